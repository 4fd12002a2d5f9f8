/*
 * Integration: connection fairness and limits (issue 14) and the command
 * lookup (issue 15), against the real repaird: output bounded per request,
 * the request deadline, idle time counted from the last whole request,
 * unix-socket slots apart from max_clients, the per-address TCP limit, and
 * AUTH guessing slowed per source across connections and pipelines.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HASH_ADMIN "f6302296b934fd23629ef2252a746c1f2b57a7d0446f069232a007fe0a1f046e"

static const char *auth_yaml =
        "access:\n"
        "  tcp_auth: on\n"
        "  unix_user: boss\n"
        "  users:\n"
        "    - {name: boss, password: \"sha256:" HASH_ADMIN "\", role: admin, centres: \"*\"}\n";

static struct daemon d;
static redisContext *rc;

static void start(const char *yaml)
{
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = NULL;
	/* The harness's readiness probe has closed: let the daemon notice before counting. */
	usleep(100 * 1000);
}

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
 * Read what arrives within timeout_ms (buf NULL: discard it). Returns the
 * bytes read; *closed is set when the peer closed.
 */
static size_t read_for(int fd, char *buf, size_t cap, int timeout_ms, int *closed)
{
	char scratch[65536];
	size_t n = 0;
	double until = now_s() + timeout_ms / 1000.0;

	*closed = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)((until - now_s()) * 1000);
		ssize_t got;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if (buf && n + 1 < cap)
			got = read(fd, buf + n, cap - 1 - n);
		else
			got = read(fd, scratch, sizeof scratch);
		if (got <= 0) {
			*closed = 1;
			break;
		}
		n += (size_t)got;
	}
	if (buf)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

/*
 * Like read_for, but done as soon as want has arrived (or the peer closed):
 * the wait is only the timeout when the expected bytes never come.
 */
static size_t read_until(int fd, char *buf, size_t cap, int timeout_ms, const char *want,
                         int *closed)
{
	size_t n = 0;
	double until = now_s() + timeout_ms / 1000.0;

	*closed = 0;
	buf[0] = '\0';
	while (strstr(buf, want) == NULL && n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)((until - now_s()) * 1000);
		ssize_t got;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		got = read(fd, buf + n, cap - 1 - n);
		if (got <= 0) {
			*closed = 1;
			break;
		}
		n += (size_t)got;
		buf[n] = '\0';
	}
	return n;
}

/* INFO's total_commands_processed. */
static long long commands_processed(void)
{
	redisReply *r = cmd(rc, "INFO", "clients", NULL);
	const char *p = strstr(r->str, "total_commands_processed:");
	long long v;

	ck_assert_ptr_nonnull(p);
	v = atoll(p + strlen("total_commands_processed:"));
	freeReplyObject(r);
	return v;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- issue 15: the command lookup -------------------------------------------- */

START_TEST(test_command_names_any_case)
{
	redisReply *r;

	start(NULL);
	rc = daemon_connect(&d);
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = {"PING", "ping", "PiNg", "pING"};
		r = cmd(rc, names[i], NULL);
		ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
	}
	r = cmd(rc, "cEnTrE.lIsT", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements >= 1, "CENTRE.LIST: type %d",
	              r->type);
	freeReplyObject(r);
	/* With --debug-clock (the harness's default) DEBUG.CLOCK exists, in any case too. */
	r = cmd(rc, "debug.clock", "2026-11-23T08:00:00Z", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	/* Near misses are unknown, with Redis's wording. */
	r = cmd(rc, "PINGG", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR unknown command 'PINGG'", 27) == 0, "got %s", r->str);
	freeReplyObject(r);
	r = cmd(rc, "PIN", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
}
END_TEST

/* ---- issue 14a: output bounded per request ----------------------------------- */

/*
 * 40 pipelined TICKET.LISTs of ~300 tickets each (a few hundred KB a reply)
 * from a client that reads nothing. Once its unsent replies pass the soft
 * limit (1 MiB) no further request of it runs: a handful, not the fair
 * share of 16 that ran before the limit was checked per request. When it
 * reads, the rest run and every reply arrives.
 */
START_TEST(test_output_bounded_per_request)
{
	char req[64], big[2048];
	long long before, ran;
	size_t got;
	int fd, closed;

	start(NULL);
	rc = daemon_connect(&d);
	for (int i = 0; i < 300; i++) {
		char member[16];
		snprintf(member, sizeof member, "%d", 5000 + i);
		redisAppendCommand(rc,
		                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL 012345678901 "
		                   "SERVICE repair MEMBER %s REGISTERED yes RECEIVED NOW",
		                   "EOS R5", member);
	}
	for (int i = 0; i < 300; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN %d: %s", i,
		              r->str ? r->str : "?");
		freeReplyObject(r);
	}
	before = commands_processed();
	/* The unix socket: the kernel holds only a couple of hundred KB of unread replies. */
	fd = unix_connect();
	big[0] = '\0';
	for (int i = 0; i < 40; i++) {
		snprintf(req, sizeof req, "TICKET.LIST COUNT 300\r\n");
		strcat(big, req);
	}
	send_all(fd, big);
	usleep(700 * 1000);
	ran = commands_processed() - before - 1; /* less the INFO itself */
	fprintf(stderr, "output bound: %lld of 40 TICKET.LISTs ran for a client reading nothing\n",
	        ran);
	ck_assert_msg(ran >= 1 && ran <= 8,
	              "%lld TICKET.LISTs ran for a client that reads nothing (expected 1..8)", ran);
	/* It reads: the rest run, every reply comes. */
	/* Until 300 ms pass without a byte. */
	got = 0;
	closed = 0;
	for (size_t more = 1; more > 0 && !closed; got += more)
		more = read_for(fd, NULL, 0, 300, &closed);
	ck_assert_int_eq(closed, 0);
	ran = commands_processed() - before - 2;
	ck_assert_msg(ran == 40, "%lld of 40 ran after the client read", ran);
	fprintf(stderr, "output bound: %zu bytes of replies once it read\n", got);
	ck_assert_msg(got > 40 * 100000 && got % 40 == 0, "%zu bytes of replies", got);
	close(fd);
}
END_TEST

/* ---- issue 14b: request deadline, idle time, slots ----------------------------- */

/* A request trickling in a byte every 100 ms is cut off request_timeout_ms (1 s) after its
 * first byte. */
START_TEST(test_request_deadline)
{
	static const char slow[] = "*2\r\n$4\r\nECHO\r\n$40\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char buf[256];
	double t0;
	int fd, closed = 0;

	start("limits: {request_timeout_ms: 1000}");
	rc = daemon_connect(&d);
	fd = harness_raw_connect(d.port);
	t0 = now_s();
	for (size_t i = 0; i < sizeof slow - 1 && !closed; i++) {
		if (write(fd, slow + i, 1) != 1)
			break;
		read_for(fd, buf, sizeof buf, 100, &closed);
	}
	if (!closed)
		read_until(fd, buf, sizeof buf, 5000, "\n", &closed);
	ck_assert_msg(closed, "a request still incomplete after %.1f s was not cut off",
	              now_s() - t0);
	/* The cron checks once a second: cut between 1 and about 2 s. */
	ck_assert_msg(now_s() - t0 >= 0.9 && now_s() - t0 < 3.5, "cut off after %.1f s",
	              now_s() - t0);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "request not complete within 1000 ms"));
	close(fd);
	/* Others were served meanwhile. */
	freeReplyObject(cmd(rc, "PING", NULL));
}
END_TEST

/* Whole requests, however slow between them, are never cut off by the deadline. */
START_TEST(test_deadline_spares_whole_requests)
{
	char buf[256];
	int fd, closed;

	start("limits: {request_timeout_ms: 500}");
	fd = harness_raw_connect(d.port);
	/* 12 requests 250 ms apart: 3 s of connection, six times the request deadline. */
	for (int i = 0; i < 12; i++) {
		send_all(fd, "PING\r\n");
		read_until(fd, buf, sizeof buf, 1000, "\r\n", &closed);
		ck_assert_int_eq(closed, 0);
		ck_assert_str_eq(buf, "+PONG\r\n");
		usleep(250 * 1000);
	}
	close(fd);
}
END_TEST

/* idle_timeout counts from the last whole request: bytes of an unfinished one do not reset it. */
START_TEST(test_idle_counts_from_last_request)
{
	char buf[256];
	double t0;
	int fd, closed = 0;

	start("server: {idle_timeout: 2}");
	fd = harness_raw_connect(d.port);
	send_all(fd, "PING\r\n");
	read_until(fd, buf, sizeof buf, 500, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	t0 = now_s();
	/* A byte every 0.4 s of an inline request that never ends. */
	for (int i = 0; i < 20 && !closed; i++) {
		if (write(fd, "x", 1) != 1)
			break;
		read_for(fd, buf, sizeof buf, 400, &closed);
	}
	ck_assert_msg(closed, "still open %.1f s after the last whole request", now_s() - t0);
	ck_assert_msg(now_s() - t0 < 5.0, "closed only after %.1f s", now_s() - t0);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "idle for 2s"));
	close(fd);
}
END_TEST

/* max_clients full over TCP: the unix socket still lets an admin in, up to limits.unix_clients. */
START_TEST(test_unix_slots_apart_from_max_clients)
{
	char buf[1024];
	int tcp[2], extra, ux, ux2, closed;

	start("server: {max_clients: 2}\nlimits: {unix_clients: 1}");
	tcp[0] = harness_raw_connect(d.port);
	tcp[1] = harness_raw_connect(d.port);
	send_all(tcp[1], "PING\r\n");
	read_until(tcp[1], buf, sizeof buf, 1000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	extra = harness_raw_connect(d.port);
	harness_read_all(extra, buf, sizeof buf);
	ck_assert_str_eq(buf, "-BUSY max number of clients reached\r\n");
	close(extra);
	ux = unix_connect();
	send_all(ux, "PING\r\n");
	read_until(ux, buf, sizeof buf, 1000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	send_all(ux, "INFO clients\r\n");
	read_until(ux, buf, sizeof buf, 1000, "unix_clients:", &closed);
	read_until(ux, buf + strlen(buf), sizeof buf - strlen(buf), 200, "\r\n", &closed);
	ck_assert_ptr_nonnull(strstr(buf, "connected_clients:3\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "unix_clients:1\r\n"));
	/* The unix socket's one slot is taken. */
	ux2 = unix_connect();
	read_until(ux2, buf, sizeof buf, 1000, "\r\n", &closed);
	ck_assert_str_eq(buf, "-BUSY max number of unix socket clients reached\r\n");
	close(ux2);
	close(ux);
	close(tcp[0]);
	close(tcp[1]);
}
END_TEST

/* At most limits.per_address TCP connections from one address, however high max_clients is. */
START_TEST(test_per_address_limit)
{
	char buf[256];
	int fds[16], extra, ux, closed;

	start("limits: {per_address: 16}");
	for (int i = 0; i < 16; i++)
		fds[i] = harness_raw_connect(d.port);
	send_all(fds[15], "PING\r\n");
	read_until(fds[15], buf, sizeof buf, 2000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	extra = harness_raw_connect(d.port);
	harness_read_all(extra, buf, sizeof buf);
	ck_assert_str_eq(buf, "-BUSY max number of connections from one address reached\r\n");
	close(extra);
	/* The unix socket is not an address. */
	ux = unix_connect();
	send_all(ux, "PING\r\n");
	read_until(ux, buf, sizeof buf, 1000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	close(ux);
	/* One closes, one more may come. */
	close(fds[0]);
	usleep(200 * 1000);
	extra = harness_raw_connect(d.port);
	send_all(extra, "PING\r\n");
	read_until(extra, buf, sizeof buf, 1000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	close(extra);
	for (int i = 1; i < 16; i++)
		close(fds[i]);
}
END_TEST

/* The default per-address limit is 256: the 257th connection is turned away. */
START_TEST(test_per_address_default)
{
	char buf[256];
	int fds[256], extra, closed;

	start(NULL);
	for (int i = 0; i < 256; i++)
		fds[i] = harness_raw_connect(d.port);
	send_all(fds[255], "PING\r\n");
	read_until(fds[255], buf, sizeof buf, 2000, "\r\n", &closed);
	ck_assert_str_eq(buf, "+PONG\r\n");
	extra = harness_raw_connect(d.port);
	harness_read_all(extra, buf, sizeof buf);
	ck_assert_str_eq(buf, "-BUSY max number of connections from one address reached\r\n");
	close(extra);
	for (int i = 0; i < 256; i++)
		close(fds[i]);
}
END_TEST

/* ---- issue 14c: AUTH guessing ------------------------------------------------- */

/* Guesses pipelined in one write are tried one per delay, not all at once. */
START_TEST(test_pipelined_guesses_wait_their_turn)
{
	char buf[64];
	int fd, closed;
	size_t tried;

	start(auth_yaml);
	fd = harness_raw_connect(d.port);
	for (int i = 0; i < 8; i++)
		send_all(fd, "AUTH boss guess\r\n");
	read_for(fd, buf, sizeof buf, 1500, &closed);
	/* The fourth failure holds the connection 1 s, the fifth 2 s: 5 tried by now. */
	tried = count(daemon_log(&d), "AUTH failed for user \"boss\"");
	ck_assert_msg(tried >= 4 && tried <= 5, "%zu guesses tried within 1.5 s", tried);
	close(fd);
}
END_TEST

/* Failures count for the source across connections: TCP per address, unix per uid. */
START_TEST(test_guessing_slowed_across_connections)
{
	char buf[256];
	double t0, secs;
	int fd, closed;

	start(auth_yaml);
	for (int i = 0; i < 3; i++) {
		fd = harness_raw_connect(d.port);
		send_all(fd, "AUTH boss guess\r\n");
		read_until(fd, buf, sizeof buf, 1000, "\r\n", &closed);
		ck_assert_ptr_nonnull(strstr(buf, "-WRONGPASS"));
		close(fd);
	}
	fd = harness_raw_connect(d.port);
	t0 = now_s();
	send_all(fd, "AUTH boss guess\r\n");
	read_until(fd, buf, sizeof buf, 3000, "\r\n", &closed);
	secs = now_s() - t0;
	ck_assert_ptr_nonnull(strstr(buf, "-WRONGPASS"));
	ck_assert_msg(secs >= 0.9, "the fourth failure on a new connection answered in %.2f s",
	              secs);
	close(fd);

	/* The unix socket: the same uid on new connections. */
	for (int i = 0; i < 3; i++) {
		fd = unix_connect();
		send_all(fd, "AUTH boss guess\r\n");
		read_until(fd, buf, sizeof buf, 1000, "\r\n", &closed);
		ck_assert_ptr_nonnull(strstr(buf, "-WRONGPASS"));
		close(fd);
	}
	fd = unix_connect();
	t0 = now_s();
	send_all(fd, "AUTH boss guess\r\n");
	read_until(fd, buf, sizeof buf, 3000, "\r\n", &closed);
	secs = now_s() - t0;
	ck_assert_ptr_nonnull(strstr(buf, "-WRONGPASS"));
	ck_assert_msg(secs >= 0.9, "the fourth unix failure answered in %.2f s", secs);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "from unix:uid="));
	close(fd);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_command_names_any_case);
	tcase_add_test(tc, test_output_bounded_per_request);
	tcase_add_test(tc, test_request_deadline);
	tcase_add_test(tc, test_deadline_spares_whole_requests);
	tcase_add_test(tc, test_idle_counts_from_last_request);
	tcase_add_test(tc, test_unix_slots_apart_from_max_clients);
	tcase_add_test(tc, test_per_address_limit);
	tcase_add_test(tc, test_per_address_default);
	tcase_add_test(tc, test_pipelined_guesses_wait_their_turn);
	tcase_add_test(tc, test_guessing_slowed_across_connections);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
