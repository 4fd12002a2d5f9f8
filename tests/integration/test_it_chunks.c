/*
 * Integration: a long TICKET.LIST goes out in pieces (issue 14: "a large
 * reply is produced in pieces, never more than the limit at once"), against
 * the real repaird. Its bytes are those of the tickets one by one; clients
 * asking for many and reading nothing keep the daemon's memory bounded while
 * others are answered; one that reads gets every ticket once, in order; one
 * that leaves mid-list leaves nothing behind; EXEC, QUIT and writes before
 * it keep their order.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NTICKETS 10000
#define BIG      (16u << 20) /* room for a COUNT 10000 list (~7.5 MB) and more */

static struct daemon d;
static redisContext *rc;

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void send_all(int fd, const char *s)
{
	size_t len = strlen(s), done = 0;

	while (done < len) {
		ssize_t n = write(fd, s + done, len - done);
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		done += (size_t)n;
	}
}

/*
 * Read until want bytes came, the peer closed, or idle_ms pass without a
 * byte; NUL-terminated. Returns the bytes read.
 */
static size_t read_idle(int fd, char *buf, size_t cap, size_t want, int idle_ms)
{
	size_t n = 0;

	while (n < want && n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;
		if (poll(&p, 1, idle_ms) <= 0)
			break;
		got = read(fd, buf + n, cap - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	return n;
}

/* The daemon (policy_yaml as harness_start) with n tickets, opened in one pipeline; rc connected.
 */
static void start_policy_tickets(const char *policy_yaml, int n)
{
	harness_start(&d, policy_yaml, NULL);
	rc = daemon_connect(&d);
	for (int i = 0; i < n; i++)
		redisAppendCommand(rc,
		                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL SN%d "
		                   "SERVICE repair RECEIVED NOW",
		                   "EOS R5", 100000 + i);
	for (int i = 0; i < n; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN %d: %s", i,
		              r->str ? r->str : "?");
		freeReplyObject(r);
	}
}

static void start_with_tickets(int n)
{
	start_policy_tickets(NULL, n);
}

/* A raw connection, after HELLO 3 when resp is 3 (its reply read and dropped). */
static int raw_connect(int resp)
{
	int fd = harness_raw_connect(d.port);
	char buf[4096];

	if (resp == 3) {
		send_all(fd, "HELLO 3\r\n");
		ck_assert_uint_gt(read_idle(fd, buf, sizeof buf, 1, 2000), 0);
		ck_assert_msg(buf[0] == '%', "HELLO 3: %s", buf);
	}
	return fd;
}

/* What the old whole-list path wrote: the header, then TICKET.GET of each id in order. */
static size_t expected_list(int resp, int n, char *buf, size_t cap)
{
	int fd = raw_connect(resp);
	size_t len = (size_t)snprintf(buf, cap, "*%d\r\n", n), got;
	char *req = malloc((size_t)n * 24 + 1), *p = req;

	ck_assert_ptr_nonnull(req);
	for (int id = 1; id <= n; id++)
		p += sprintf(p, "TICKET.GET %d\r\n", id);
	send_all(fd, req);
	free(req);
	got = read_idle(fd, buf + len, cap - len, cap, 1000);
	close(fd);
	ck_assert_uint_gt(got, (size_t)n * 100);
	return len + got;
}

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	ck_assert_int_gt(kb, 0);
	return kb;
}

static long connected_clients(void)
{
	redisReply *r = cmd(rc, "INFO", "clients", NULL);
	const char *p = strstr(r->str, "connected_clients:");
	long v;

	ck_assert_ptr_nonnull(p);
	v = atol(p + strlen("connected_clients:"));
	freeReplyObject(r);
	return v;
}

/* The list in pieces has the bytes of the whole list, under RESP2 and RESP3. */
START_TEST(test_pieces_same_bytes)
{
	char *want = malloc(BIG), *got = malloc(BIG);

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	start_with_tickets(3000);
	for (int resp = 2; resp <= 3; resp++) {
		size_t wlen = expected_list(resp, 3000, want, BIG), glen;
		int fd = raw_connect(resp);
		send_all(fd, "TICKET.LIST ALL COUNT 10000\r\n");
		glen = read_idle(fd, got, BIG, wlen + 1, 1000);
		close(fd);
		fprintf(stderr, "chunks: RESP%d list of 3000: %zu bytes, expected %zu\n", resp,
		        glen, wlen);
		ck_assert_uint_eq(glen, wlen);
		ck_assert_msg(memcmp(got, want, wlen) == 0, "RESP%d: the list differs", resp);
	}
	free(want);
	free(got);
}
END_TEST

/*
 * 16 clients pipeline 4 lists of 10000 tickets each and read nothing: the
 * daemon's memory stays bounded (the whole-list path held one ~7.5 MB reply
 * per client, over 120 MB), and another client is answered meanwhile.
 */
START_TEST(test_hogs_bounded_others_answered)
{
	int hogs[16], pongs = 0;
	long base, peak;
	double until;
	char req[256] = "";

	start_with_tickets(NTICKETS);
	base = peak = vm_rss_kb(d.pid);
	for (int i = 0; i < 4; i++)
		strcat(req, "TICKET.LIST ALL COUNT 10000\r\n");
	for (int i = 0; i < 16; i++) {
		int small = 4096;
		hogs[i] = harness_raw_connect(d.port);
		setsockopt(hogs[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
		send_all(hogs[i], req);
	}
	until = now_s() + 3;
	while (now_s() < until) {
		redisReply *r = cmd(rc, "PING", NULL);
		if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0)
			pongs++;
		freeReplyObject(r);
		long rss = vm_rss_kb(d.pid);
		if (rss > peak)
			peak = rss;
		usleep(20 * 1000);
	}
	fprintf(stderr, "chunks: RSS %ld kB before, %ld kB at the peak (+%ld kB); %d PONGs\n", base,
	        peak, peak - base, pongs);
	ck_assert_int_ge(pongs, 20);
	ck_assert_msg(peak - base < 48 * 1024, "RSS grew by %ld kB (bound 48 MB)", peak - base);
	for (int i = 0; i < 16; i++)
		close(hogs[i]);
	WAIT_UNTIL(connected_clients() == 1, 5000);
	ck_assert_int_eq(connected_clients(), 1);
}
END_TEST

/* A client that reads gets every ticket exactly once, in order, list after list. */
START_TEST(test_reader_gets_every_ticket_in_order)
{
	redisContext *c2;

	start_with_tickets(2000);
	c2 = daemon_connect(&d);
	for (int i = 0; i < 3; i++)
		redisAppendCommand(c2, "TICKET.LIST ALL COUNT 10000");
	redisAppendCommand(c2, "PING");
	for (int i = 0; i < 3; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(c2, (void **)&r), REDIS_OK);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		ck_assert_uint_eq(r->elements, 2000);
		for (size_t k = 0; k < r->elements; k++) {
			redisReply *t = r->element[k];
			char want[24];
			ck_assert_int_eq(t->type, REDIS_REPLY_ARRAY);
			ck_assert_uint_ge(t->elements, 2);
			snprintf(want, sizeof want, "%zu", k + 1);
			ck_assert_str_eq(t->element[0]->str, "id");
			ck_assert_msg(strcmp(t->element[1]->str, want) == 0,
			              "list %d element %zu: id %s, expected %s", i, k,
			              t->element[1]->str, want);
		}
		freeReplyObject(r);
	}
	{
		redisReply *r;
		ck_assert_int_eq(redisGetReply(c2, (void **)&r), REDIS_OK);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
	}
	redisFree(c2);
}
END_TEST

/* Clients leaving mid-list: the daemon frees them and serves on. */
START_TEST(test_leaving_mid_list)
{
	char buf[65536];

	start_with_tickets(NTICKETS);
	for (int i = 0; i < 8; i++) {
		int fd = harness_raw_connect(d.port);
		send_all(fd, "TICKET.LIST ALL COUNT 10000\r\nTICKET.LIST ALL COUNT 10000\r\n");
		if (i % 2)
			ck_assert_uint_gt(read_idle(fd, buf, sizeof buf, 30000, 2000), 0);
		close(fd);
	}
	WAIT_UNTIL(connected_clients() == 1, 5000);
	ck_assert_int_eq(connected_clients(), 1);
	{
		redisReply *r = cmd(rc, "PING", NULL);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
	}
	ck_assert_int_eq(kill(d.pid, 0), 0);
}
END_TEST

/*
 * A write before the list answers first, PING and QUIT after it come after
 * the whole list; inside EXEC the list comes whole within EXEC's reply.
 */
START_TEST(test_order_write_exec_quit)
{
	char *want = malloc(BIG), *got = malloc(BIG), *p;
	size_t wlen, glen;
	int fd;

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	start_with_tickets(999);
	fd = raw_connect(2);
	/* Ticket 1000 opened in the same pipeline: it is in the list. */
	send_all(fd, "*11\r\n$11\r\nTICKET.OPEN\r\n$6\r\nCENTRE\r\n$11\r\nDE-PSC-TEST\r\n"
	             "$7\r\nPRODUCT\r\n$6\r\nEOS R5\r\n$6\r\nSERIAL\r\n$8\r\nSNXX0001\r\n"
	             "$7\r\nSERVICE\r\n$6\r\nrepair\r\n$8\r\nRECEIVED\r\n$3\r\nNOW\r\n"
	             "TICKET.LIST ALL COUNT 10000\r\nPING\r\nQUIT\r\n");
	glen = read_idle(fd, got, BIG, BIG, 1500);
	close(fd);
	wlen = expected_list(2, 1000, want, BIG);
	ck_assert_msg(got[0] == '*', "TICKET.OPEN: %.40s", got);
	p = strstr(got, "\r\n*1000\r\n");
	ck_assert_ptr_nonnull(p);
	p += 2;
	ck_assert_uint_eq(glen - (size_t)(p - got), wlen + strlen("+PONG\r\n+OK\r\n"));
	ck_assert(memcmp(p, want, wlen) == 0);
	ck_assert_str_eq(p + wlen, "+PONG\r\n+OK\r\n");

	fd = raw_connect(2);
	send_all(fd, "MULTI\r\nTICKET.LIST ALL COUNT 10000\r\nEXEC\r\nPING\r\n");
	glen = read_idle(fd, got, BIG, BIG, 1500);
	close(fd);
	p = got + strlen("+OK\r\n+QUEUED\r\n*1\r\n");
	ck_assert(strncmp(got, "+OK\r\n+QUEUED\r\n*1\r\n", (size_t)(p - got)) == 0);
	ck_assert_uint_eq(glen, (size_t)(p - got) + wlen + strlen("+PONG\r\n"));
	ck_assert(memcmp(p, want, wlen) == 0);
	ck_assert_str_eq(p + wlen, "+PONG\r\n");
	free(want);
	free(got);
}
END_TEST

static int unix_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(d.sock), sizeof sun.sun_path);
	memcpy(sun.sun_path, d.sock, strlen(d.sock) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	return fd;
}

/* INFO persistence's compactions, or -1 while one runs. */
static long long compactions(void)
{
	redisReply *r = cmd(rc, "INFO", "persistence", NULL);
	const char *p = strstr(r->str, "compactions:");
	long long v = p ? atoll(p + strlen("compactions:")) : -1;
	bool running = strstr(r->str, "compacting:1") != NULL;

	freeReplyObject(r);
	return running ? -1 : v;
}

/*
 * Tickets archived (retention) while a list waits for its reader: each is a
 * null in its place, the element count stays right, the others come in order.
 */
START_TEST(test_archived_meanwhile_is_null)
{
	char *got = malloc(BIG), buf[4096];
	size_t glen, nnull = 0, nnull3 = 0;
	int fd, fd3;
	redisReader *rd = redisReaderCreate();
	redisReply *list;

	ck_assert_ptr_nonnull(got);
	start_policy_tickets("retention: {closed_days: 0}\n", NTICKETS);
	for (int i = 1; i <= NTICKETS; i++) {
		if (i % 3 == 0)
			continue;
		redisAppendCommand(rc, "TICKET.MOVE %d ready", i);
		redisAppendCommand(rc, "TICKET.MOVE %d returned", i);
	}
	for (int i = 1; i <= NTICKETS; i++) {
		for (int k = 0; k < 2 && i % 3 != 0; k++) {
			redisReply *r;
			ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
			ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
			freeReplyObject(r);
		}
	}
	/* The unix socket: the kernel holds only a couple of hundred KB of it unread. */
	fd = unix_connect();
	send_all(fd, "TICKET.LIST ALL COUNT 10000\r\n");
	fd3 = unix_connect();
	send_all(fd3, "HELLO 3\r\n");
	ck_assert_uint_gt(read_idle(fd3, buf, sizeof buf, 1, 2000), 0);
	send_all(fd3, "TICKET.LIST ALL COUNT 10000\r\n");
	usleep(300 * 1000);
	freeReplyObject(cmd(rc, "JOURNAL.COMPACT", NULL));
	WAIT_UNTIL(compactions() == 1, 20000);
	ck_assert_int_eq(compactions(), 1);
	/* Under RESP3 an archived ticket is _ (hiredis 0.14 reads no RESP3: counted by hand). */
	glen = read_idle(fd3, got, BIG, BIG, 1500);
	close(fd3);
	ck_assert(strncmp(got, "*10000\r\n", 8) == 0);
	for (const char *p = got; (p = strstr(p, "\r\n_\r\n")) != NULL; p += 3)
		nnull3++;
	ck_assert_uint_gt(nnull3, 0);
	glen = read_idle(fd, got, BIG, BIG, 1500);
	close(fd);
	ck_assert_int_eq(redisReaderFeed(rd, got, glen), REDIS_OK);
	ck_assert_int_eq(redisReaderGetReply(rd, (void **)&list), REDIS_OK);
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(list->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(list->elements, NTICKETS);
	for (size_t k = 0; k < list->elements; k++) {
		redisReply *t = list->element[k];
		char want[24];
		if (t->type == REDIS_REPLY_NIL) {
			ck_assert_msg((k + 1) % 3 != 0, "open ticket %zu a null", k + 1);
			nnull++;
			continue;
		}
		snprintf(want, sizeof want, "%zu", k + 1);
		ck_assert_int_eq(t->type, REDIS_REPLY_ARRAY);
		ck_assert_str_eq(t->element[1]->str, want);
	}
	fprintf(stderr, "chunks: %zu (RESP3: %zu) of %d tickets archived while their list waited\n",
	        nnull, nnull3, NTICKETS);
	ck_assert_uint_gt(nnull, 0);
	freeReplyObject(list);
	redisReaderFree(rd);
	free(got);
}
END_TEST

static Suite *chunks_suite(void)
{
	Suite *s = suite_create("chunks");
	TCase *tc = tcase_create("chunks");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pieces_same_bytes);
	tcase_add_test(tc, test_hogs_bounded_others_answered);
	tcase_add_test(tc, test_reader_gets_every_ticket_in_order);
	tcase_add_test(tc, test_leaving_mid_list);
	tcase_add_test(tc, test_order_write_exec_quit);
	tcase_add_test(tc, test_archived_meanwhile_is_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(chunks_suite());
}
