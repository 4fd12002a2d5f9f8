/*
 * Integration: delivery into Redis Streams when Redis loses what it had.
 * A real redis-server without persistence on a free loopback port, the real
 * repaird. Redis restarted empty while events wait, a stream deleted while
 * repaird is down, on_stream_lost: skip, and a loss older than the retention
 * window: every event is in its stream once and in order, a loss is logged at
 * err and counted, and nothing is resent that repaird no longer has.
 *
 * Only ticket.opened goes to Redis here: one event per TICKET.OPEN, so the
 * number of entries each stream must hold is known.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PSC     "DE-PSC-TEST"
#define ASP     "DE-ASP-TEST"
#define PSC_KEY "rt:events:" PSC
#define ASP_KEY "rt:events:" ASP

static struct daemon d;
static redisContext *rc;
static struct redis_server rs; /* no persistence: a restart is an empty Redis */

/* Again on the same port and directory, empty; false when the port was taken meanwhile. */
static bool redis_try_start(void)
{
	return harness_redis_spawn(&rs, NULL);
}

static void redis_kill(void)
{
	harness_redis_kill(&rs);
}

static redisContext *redis_connect(void)
{
	redisContext *c = redisConnect("127.0.0.1", rs.port);

	ck_assert_msg(c && !c->err, "cannot connect to redis");
	return c;
}

static void redis_do(const char *command)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, command);

	ck_assert_msg(r && r->type != REDIS_REPLY_ERROR, "%s: %s", command,
	              r && r->str ? r->str : "no reply");
	freeReplyObject(r);
	redisFree(c);
}

/* redis-server, then repaird with extra_redis (", key: value" pairs) in its redis: section. */
static char policy[512];

static void start_all(const char *extra_redis)
{

	harness_redis_start(&rs, NULL);
	snprintf(policy, sizeof policy,
	         "redis: {host: 127.0.0.1, port: %d, prefix: rt, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 2000, events: [ticket.opened]%s}",
	         rs.port, extra_redis ? extra_redis : "");
	ck_assert_msg(daemon_start(&d, policy, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
}

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
	harness_redis_stop(&rs);
}

static void book(const char *centre, int i)
{
	char serial[16];
	redisReply *r;

	snprintf(serial, sizeof serial, "SN%05d", i);
	r = cmd(rc, "TICKET.OPEN", "CENTRE", centre, "PRODUCT", "EOS R5", "SERIAL", serial,
	        "SERVICE", "repair", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s", r->str ? r->str : "");
	freeReplyObject(r);
}

static long long info_num(const char *key)
{
	redisReply *r = cmd(rc, "INFO", "events", NULL);
	char want[64];
	const char *p;
	long long v = -1;

	snprintf(want, sizeof want, "\r\n%s:", key);
	p = strstr(r->str, want);
	if (p)
		v = atoll(p + strlen(want));
	freeReplyObject(r);
	return v;
}

static const char *info_text(void)
{
	static char text[4096];
	redisReply *r = cmd(rc, "INFO", "events", NULL);

	snprintf(text, sizeof text, "%s", r->str);
	freeReplyObject(r);
	return text;
}

/* Wait until nothing waits for Redis, up to 20 s (the reconnect backoff reaches 10 s). */
static void wait_delivered(void)
{
	WAIT_UNTIL(info_num("outbox_depth") == 0, 20000);
	ck_assert_msg(info_num("outbox_depth") == 0, "events not delivered:\n%s\n%s", info_text(),
	              daemon_log(&d));
}

/* A write through repaird: its commit journals the delivery state reached so far. */
static void commit_now(void)
{
	freeReplyObject(cmd(rc, "MEMBER.SET", "2002", "TIER", "gold", "COUNTRY", "DE", NULL));
}

/* Entries in a stream (0 when there is none; -1 while Redis cannot answer). */
static long long xlen(const char *key)
{
	redisContext *c = redisConnect("127.0.0.1", rs.port);
	redisReply *r = c && !c->err ? redisCommand(c, "XLEN %s", key) : NULL;
	long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	if (c)
		redisFree(c);
	return n;
}

/*
 * The stream holds exactly the events with the sequence numbers in want
 * (ascending), each once, in order, each entry's ID "<seq>-1", each of centre.
 */
static void check_stream(const char *key, const char *centre, const long long *want, size_t n)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, "XRANGE %s - +", key);

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "XRANGE: %s", r->str ? r->str : "?");
	ck_assert_msg(r->elements == n, "%s holds %zu entries, %zu expected", key, r->elements, n);
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *fields = r->element[i]->element[1];
		char id[32];
		long long seq = atoll(field(fields, "seq"));
		ck_assert_msg(seq == want[i], "%s entry %zu: seq %lld, expected %lld", key, i, seq,
		              want[i]);
		snprintf(id, sizeof id, "%lld-1", seq);
		ck_assert_str_eq(r->element[i]->element[0]->str, id);
		ck_assert_str_eq(field(fields, "centre"), centre);
		ck_assert_str_eq(field(fields, "event"), "ticket.opened");
	}
	freeReplyObject(r);
	redisFree(c);
}

/* The ids of the tickets opened at centre, ascending: one ticket.opened event each. */
static size_t tickets_of(const char *centre, long long *out, size_t cap)
{
	size_t n = 0;

	for (long long id = 1;; id++) {
		char ids[24];
		redisReply *r;
		snprintf(ids, sizeof ids, "%lld", id);
		r = cmd(rc, "TICKET.GET", ids, NULL);
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			break;
		}
		if (strcmp(field(r, "centre"), centre) == 0) {
			ck_assert_uint_lt(n, cap);
			out[n++] = id;
		}
		freeReplyObject(r);
	}
	return n;
}

/*
 * The stream holds the opening of each ticket in tickets, in that order, each
 * once: seq strictly increasing, entry ID "<seq>-1".
 */
static void check_stream_tickets(const char *key, const char *centre, const long long *tickets,
                                 size_t n)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, "XRANGE %s - +", key);
	long long last = 0;

	ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY, "XRANGE %s failed", key);
	ck_assert_msg(r->elements == n, "%s holds %zu entries, %zu expected", key, r->elements, n);
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		long long seq = atoll(field(f, "seq"));
		char id[32];
		ck_assert_msg(atoll(field(f, "ticket")) == tickets[i],
		              "%s entry %zu: ticket %s, expected %lld", key, i, field(f, "ticket"),
		              tickets[i]);
		ck_assert_msg(seq > last, "%s: seq %lld after %lld", key, seq, last);
		snprintf(id, sizeof id, "%lld-1", seq);
		ck_assert_str_eq(r->element[i]->element[0]->str, id);
		ck_assert_str_eq(field(f, "centre"), centre);
		last = seq;
	}
	freeReplyObject(r);
	redisFree(c);
}

/* The log has a line with both texts in it, the first at priority err. */
static bool logged_err(const char *a, const char *b)
{
	const char *log = daemon_log(&d);

	for (const char *p = strstr(log, a); p; p = strstr(p + 1, a)) {
		const char *bol = p, *eol = strchr(p, '\n');
		while (bol > log && bol[-1] != '\n')
			bol--;
		if (eol == NULL)
			eol = p + strlen(p);
		if (strstr(bol, "error: ") && strstr(bol, "error: ") < p) {
			const char *q = strstr(bol, b);
			if (q && q < eol)
				return true;
		}
	}
	return false;
}

/*
 * Issue 14, item 1: Redis restarted without persistence while ~480 events
 * wait. Once half of them never arrived: the resends of the lost stream
 * went out after newer XADDs had already set the stream's top, Redis refused
 * them, and nothing counted the refusals.
 */
START_TEST(test_redis_restarted_empty_while_events_wait)
{
	static long long psc[600], asp[600];
	size_t npsc, nasp;

	start_all(NULL);
	for (int i = 0; i < 20; i++)
		book(i % 2 ? PSC : ASP, i);
	wait_delivered();
	redis_kill();
	for (int i = 20; i < 500; i++)
		book(i % 2 ? PSC : ASP, i);
	ck_assert_int_ge(info_num("outbox_depth"), 400);
	ck_assert(redis_try_start()); /* the same port, empty */
	wait_delivered();
	npsc = tickets_of(PSC, psc, 600);
	nasp = tickets_of(ASP, asp, 600);
	ck_assert_uint_eq(npsc, 250);
	ck_assert_uint_eq(nasp, 250);
	check_stream_tickets(PSC_KEY, PSC, psc, npsc);
	check_stream_tickets(ASP_KEY, ASP, asp, nasp);
	ck_assert_msg(logged_err("Redis stream " PSC_KEY, "lost"), "%s", daemon_log(&d));
	ck_assert_msg(logged_err("Redis stream " ASP_KEY, "lost"), "%s", daemon_log(&d));
	ck_assert_int_eq(info_num("lost"), 20);
	ck_assert_int_eq(info_num("resent"), 20);
	ck_assert_int_eq(info_num("errors"), 0);
}
END_TEST

/* The same, Redis restarted empty in the middle of a stream of bookings: XADDs in flight. */
START_TEST(test_redis_restarted_empty_mid_send)
{
	static long long psc[600], asp[600];

	start_all(NULL);
	for (int i = 0; i < 240; i++)
		book(i % 2 ? PSC : ASP, i);
	redis_kill();
	ck_assert(redis_try_start());
	for (int i = 240; i < 480; i++)
		book(i % 2 ? PSC : ASP, i);
	wait_delivered();
	ck_assert_uint_eq(tickets_of(PSC, psc, 600), 240);
	ck_assert_uint_eq(tickets_of(ASP, asp, 600), 240);
	WAIT_UNTIL(xlen(PSC_KEY) == 240 && xlen(ASP_KEY) == 240, 5000);
	check_stream_tickets(PSC_KEY, PSC, psc, 240);
	check_stream_tickets(ASP_KEY, ASP, asp, 240);
	ck_assert_int_eq(info_num("lost"), info_num("resent"));
	ck_assert_int_eq(info_num("errors"), 0);
}
END_TEST

/* Deliver n events to PSC and 10 to ASP; then stop repaird with that state journaled. */
static void deliver_then_stop(int n)
{
	for (int i = 0; i < n; i++)
		book(PSC, i);
	for (int i = 0; i < 10; i++)
		book(ASP, n + i);
	wait_delivered();
	commit_now();
	ck_assert_int_eq(xlen(PSC_KEY), n);
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static void restart(void)
{
	ck_assert_msg(daemon_spawn(&d, NULL) == 0, "repaird did not start again:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
}

/* The seqs of the stream's entries now. */
static size_t stream_seqs(const char *key, long long *out, size_t cap)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, "XRANGE %s - +", key);
	size_t n = 0;

	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	for (size_t i = 0; i < r->elements && n < cap; i++)
		out[n++] = atoll(field(r->element[i]->element[1], "seq"));
	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* Issue 14, item 2: a stream deleted while repaird was down went unnoticed after its start. */
START_TEST(test_stream_deleted_while_repaird_down)
{
	long long before[64], asp[16];
	size_t n, nasp;

	start_all(NULL);
	for (int i = 0; i < 30; i++)
		book(PSC, i);
	for (int i = 0; i < 10; i++)
		book(ASP, 30 + i);
	wait_delivered();
	n = stream_seqs(PSC_KEY, before, 64);
	nasp = stream_seqs(ASP_KEY, asp, 16);
	ck_assert_uint_eq(n, 30);
	commit_now();
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
	redis_do("DEL " PSC_KEY);
	restart();
	WAIT_UNTIL(xlen(PSC_KEY) >= 30, 10000);
	check_stream(PSC_KEY, PSC, before, n);
	check_stream(ASP_KEY, ASP, asp, nasp);
	ck_assert_msg(logged_err("Redis stream " PSC_KEY, "lost"), "%s", daemon_log(&d));
	ck_assert_ptr_null(strstr(daemon_log(&d), "Redis stream " ASP_KEY));
	WAIT_UNTIL(info_num("resent") >= 30, 5000);
	ck_assert_int_eq(info_num("lost"), 30);
	ck_assert_int_eq(info_num("resent"), 30);
	/* Newer events follow the refilled ones. */
	book(PSC, 100);
	wait_delivered();
	ck_assert_int_eq(xlen(PSC_KEY), 31);
	ck_assert_int_eq(info_num("errors"), 0);
}
END_TEST

START_TEST(test_on_stream_lost_skip)
{
	long long after[8];

	start_all(", on_stream_lost: skip");
	deliver_then_stop(30);
	redis_do("DEL " PSC_KEY);
	restart();
	ck_assert_msg(daemon_log_wait(&d, "Redis stream " PSC_KEY, 10000), "%s", daemon_log(&d));
	ck_assert_msg(logged_err("Redis stream " PSC_KEY, "skip"), "%s", daemon_log(&d));
	/* A newer event goes in; nothing older comes back. */
	book(PSC, 100);
	wait_delivered();
	WAIT_UNTIL(xlen(PSC_KEY) >= 1, 5000);
	usleep(300 * 1000);
	ck_assert_uint_eq(stream_seqs(PSC_KEY, after, 8), 1);
	ck_assert_int_eq(after[0], info_num("last_seq"));
	ck_assert_int_eq(info_num("lost"), 30);
	ck_assert_int_eq(info_num("resent"), 0);
}
END_TEST

START_TEST(test_loss_beyond_the_retention_window)
{
	long long before[64];
	size_t n;

	/* 15 delivered events kept: the 10 of ASP push all but 5 of PSC's out of the window. */
	start_all(", retain_events: 15");
	for (int i = 0; i < 30; i++)
		book(PSC, i);
	wait_delivered();
	n = stream_seqs(PSC_KEY, before, 64);
	ck_assert_uint_eq(n, 30);
	for (int i = 0; i < 10; i++)
		book(ASP, 30 + i);
	wait_delivered();
	commit_now();
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
	redis_do("DEL " PSC_KEY);
	restart();
	ck_assert_msg(daemon_log_wait(&d, "retention window", 10000), "%s", daemon_log(&d));
	/* The five PSC events still retained come back; the 25 before them are not invented. */
	WAIT_UNTIL(xlen(PSC_KEY) >= 5, 5000);
	usleep(300 * 1000);
	check_stream(PSC_KEY, PSC, before + 25, 5);
	ck_assert_msg(logged_err("Redis stream " PSC_KEY, "retention window"), "%s",
	              daemon_log(&d));
	ck_assert_int_eq(info_num("lost"), 5);
	ck_assert_int_eq(info_num("resent"), 5);
	ck_assert_int_eq(info_num("lost_beyond_window"), 1);
	ck_assert_int_eq(info_num("retained"), 15);
	/* A reload narrows the window at once. */
	snprintf(policy, sizeof policy,
	         "redis: {host: 127.0.0.1, port: %d, prefix: rt, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 2000, events: [ticket.opened], retain_events: 4}",
	         rs.port);
	daemon_write_config(&d, policy, NULL);
	{
		redisReply *r = cmd(rc, "CONFIG.RELOAD", NULL);
		ck_assert_msg(r->type == REDIS_REPLY_STATUS, "%s", r->str);
		freeReplyObject(r);
	}
	ck_assert_int_eq(info_num("retain_events"), 4);
	ck_assert_int_eq(info_num("retained"), 4);
}
END_TEST

static Suite *delivery_suite(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc = tcase_create("redis");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_redis_restarted_empty_while_events_wait);
	tcase_add_test(tc, test_redis_restarted_empty_mid_send);
	tcase_add_test(tc, test_stream_deleted_while_repaird_down);
	tcase_add_test(tc, test_on_stream_lost_skip);
	tcase_add_test(tc, test_loss_beyond_the_retention_window);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(delivery_suite());
}
