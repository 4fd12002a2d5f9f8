/*
 * Integration: events to Redis Streams. A real redis-server on a free
 * loopback port (AOF on), the real repaird, and the failures that matter:
 * Redis killed and restarted, Redis frozen, repaird killed, Redis never there,
 * a stream deleted behind repaird's back. Every event reaches its centre's
 * stream once, in sequence order.
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

static struct daemon d;
static redisContext *rc;
static struct redis_server rs;
/* Persistent, so that a restart finds what was delivered before it (its AOF). */
static const char *const redis_aof[] = {"--appendonly", "yes", "--appendfsync", "always", NULL};

/* Again on the same port and directory (repaird's config names the port). */
static void redis_start(void)
{
	ck_assert_msg(harness_redis_spawn(&rs, redis_aof), "redis-server exited at start");
}

static void redis_kill(int sig)
{
	if (sig == SIGKILL)
		harness_redis_kill(&rs);
	else
		kill(rs.pid, sig);
}

static redisContext *redis_connect(void)
{
	redisContext *c = redisConnect("127.0.0.1", rs.port);

	ck_assert_msg(c && !c->err, "cannot connect to redis");
	return c;
}

static void start_all(int with_redis)
{
	char policy[512];

	harness_redis_init(&rs);
	/* A port another process takes before redis-server binds it: try another. */
	for (int attempt = 0; with_redis && !harness_redis_spawn(&rs, redis_aof); attempt++) {
		ck_assert_msg(attempt < 5, "redis-server would not start");
		rs.port = harness_free_port();
	}
	snprintf(policy, sizeof policy,
	         "redis: {host: 127.0.0.1, port: %d, prefix: rt, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000,\n"
	         "        events: [ticket.opened, ticket.received, ticket.state, ticket.at_risk,\n"
	         "                 ticket.breached, ticket.ready, ticket.closed, ticket.promoted,\n"
	         "                 loan.eligible, loan.issued, loan.returned]}",
	         rs.port);
	ck_assert_msg(daemon_start(&d, policy, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	freeReplyObject(
	        cmd(rc, "MEMBER.SET", "151335488", "TIER", "platinum", "COUNTRY", "DE", NULL));
	freeReplyObject(cmd(rc, "MEMBER.SET", "2002", "TIER", "gold", "COUNTRY", "DE", NULL));
	freeReplyObject(cmd(rc, "DEBUG.CLOCK", "2026-11-23T08:00:00Z", NULL));
}

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
	harness_redis_stop(&rs);
}

static void book(const char *member, int i)
{
	char serial[16];
	redisReply *r;

	snprintf(serial, sizeof serial, "SN%05d", i);
	r = cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL", serial,
	        "SERVICE", "repair", "MEMBER", member, "REGISTERED", "yes", "RECEIVED", "NOW",
	        NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s", r->str ? r->str : "");
	freeReplyObject(r);
}

static long long info_num(const char *section, const char *key)
{
	redisReply *r = cmd(rc, "INFO", section, NULL);
	const char *p = strstr(r->str, key);
	long long v = -1;

	if (p)
		v = atoll(p + strlen(key) + 1);
	freeReplyObject(r);
	return v;
}

static int link_is(const char *state)
{
	redisReply *r = cmd(rc, "INFO", "events", NULL);
	char want[32];
	int yes;

	snprintf(want, sizeof want, "link:%s\r\n", state);
	yes = strstr(r->str, want) != NULL;
	freeReplyObject(r);
	return yes;
}

/* Wait until the outbox is empty (everything delivered), up to 15 s. */
static void wait_delivered(void)
{
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 15000);
	ck_assert_msg(info_num("events", "outbox_depth") == 0, "events not delivered:\n%s",
	              daemon_log(&d));
}

/* The stream's entries: each seq once, strictly increasing; returns how many. */
static long long check_stream(const char *key)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, "XRANGE %s - +", key);
	long long last = 0;

	/* Right after a restart Redis may still answer LOADING: ask again. */
	{
		struct harness_deadline dl = harness_deadline_in(5000);
		while (r && r->type == REDIS_REPLY_ERROR && harness_poll(&dl)) {
			freeReplyObject(r);
			r = redisCommand(c, "XRANGE %s - +", key);
		}
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "XRANGE: %s", r->str ? r->str : "?");
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *fields = r->element[i]->element[1];
		long long seq = atoll(field(fields, "seq"));
		ck_assert_msg(seq > last, "seq %lld after %lld: out of order or twice", seq, last);
		last = seq;
	}
	{
		long long n = (long long)r->elements;
		freeReplyObject(r);
		redisFree(c);
		return n;
	}
}

START_TEST(test_scenario_entries_and_consumer_group)
{
	static const char *const fields[] = {"event",     "ticket",  "centre", "member", "tier",
	                                     "programme", "product", "serial", "state",  "deadline",
	                                     "reason",    "at",      "seq"};
	redisContext *c;
	redisReply *r;

	start_all(1);
	book("151335488", 1); /* platinum, subscription: loan at booking */
	book("2002", 2);      /* gold, subscription: loan only at breach */
	freeReplyObject(cmd(rc, "DEBUG.CLOCK", "2026-11-27T09:00:00Z", NULL));
	wait_delivered();
	c = redis_connect();
	r = redisCommand(c, "XRANGE rt:events:DE-PSC-TEST - +");
	ck_assert_uint_eq(r->elements, (size_t)info_num("events", "last_seq"));
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		char id[32];
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
			ck_assert_msg(field(f, fields[k]) != NULL, "entry %zu lacks %s", i,
			              fields[k]);
		/* The entry ID comes from the event sequence. */
		snprintf(id, sizeof id, "%s-1", field(f, "seq"));
		ck_assert_str_eq(r->element[i]->element[0]->str, id);
		ck_assert_str_eq(field(f, "centre"), "DE-PSC-TEST");
	}
	freeReplyObject(r);
	/* The loan events, with their reasons. */
	r = redisCommand(c, "XRANGE rt:events:DE-PSC-TEST - +");
	{
		int booking = 0, breach = 0, breached = 0;
		for (size_t i = 0; i < r->elements; i++) {
			redisReply *f = r->element[i]->element[1];
			if (strcmp(field(f, "event"), "loan.eligible") == 0) {
				booking += strcmp(field(f, "reason"), "booking") == 0 &&
				           strcmp(field(f, "member"), "151335488") == 0;
				breach += strcmp(field(f, "reason"), "breach") == 0 &&
				          strcmp(field(f, "member"), "2002") == 0;
			}
			breached += strcmp(field(f, "event"), "ticket.breached") == 0;
		}
		ck_assert_int_eq(booking, 1);
		ck_assert_int_eq(breach, 1);
		ck_assert_int_eq(breached, 2);
	}
	freeReplyObject(r);
	/* A partner reads its centre's stream with a consumer group. */
	freeReplyObject(redisCommand(c, "XGROUP CREATE rt:events:DE-PSC-TEST partners 0"));
	r = redisCommand(c,
	                 "XREADGROUP GROUP partners w1 COUNT 1000 STREAMS rt:events:DE-PSC-TEST >");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->element[0]->element[1]->elements,
	                  (size_t)info_num("events", "last_seq"));
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

START_TEST(test_redis_killed_and_restarted)
{
	start_all(1);
	for (int i = 0; i < 20; i++)
		book(i % 2 ? "151335488" : "2002", i);
	redis_kill(SIGKILL);
	/* repaird goes on booking and crossing deadlines while Redis is away. */
	for (int i = 20; i < 60; i++)
		book(i % 2 ? "151335488" : "2002", i);
	freeReplyObject(cmd(rc, "DEBUG.CLOCK", "2026-11-30T09:00:00Z", NULL));
	ck_assert_int_gt(info_num("events", "outbox_depth"), 0);
	ck_assert(!link_is("up"));
	redis_start(); /* the same directory: its AOF */
	wait_delivered();
	ck_assert_int_eq(check_stream("rt:events:DE-PSC-TEST"), info_num("events", "last_seq"));
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "Redis link down"));
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "Redis link up"));
}
END_TEST

START_TEST(test_redis_frozen_mid_send)
{
	start_all(1);
	for (int i = 0; i < 10; i++)
		book("2002", i);
	redis_kill(SIGSTOP);
	/* repaird keeps answering clients meanwhile. */
	for (int i = 10; i < 40; i++)
		book("151335488", i);
	freeReplyObject(cmd(rc, "DEBUG.CLOCK", "2026-11-30T09:00:00Z", NULL));
	ck_assert_int_gt(info_num("events", "outbox_depth"), 0);
	/* Until the reply timeout (1 s) has given up on the frozen link. */
	ck_assert_msg(daemon_log_wait(&d, "no reply within 1000 ms", 5000), "%s", daemon_log(&d));
	redis_kill(SIGCONT);
	wait_delivered();
	ck_assert_int_eq(check_stream("rt:events:DE-PSC-TEST"), info_num("events", "last_seq"));
	ck_assert_int_eq(info_num("events", "errors"), 0);
}
END_TEST

START_TEST(test_repaird_killed_with_undelivered_events)
{
	long long last;

	start_all(1);
	for (int i = 0; i < 10; i++)
		book("2002", i);
	wait_delivered();
	redis_kill(SIGSTOP);
	for (int i = 10; i < 30; i++)
		book("151335488", i);
	last = info_num("events", "last_seq");
	redisFree(rc);
	rc = NULL;
	daemon_kill9(&d);
	redis_kill(SIGCONT);
	ck_assert_int_eq(daemon_spawn(&d, NULL), 0);
	rc = daemon_connect(&d);
	wait_delivered();
	ck_assert_int_eq(info_num("events", "last_seq"), last);
	ck_assert_int_eq(check_stream("rt:events:DE-PSC-TEST"), last);
	/* Redis took the XADDs that were waiting in its socket: the resend was refused. */
	ck_assert_int_gt(info_num("events", "duplicates"), 0);
	ck_assert_int_eq(info_num("events", "errors"), 0);
}
END_TEST

START_TEST(test_redis_never_reachable)
{
	start_all(0);
	for (int i = 0; i < 5; i++)
		book("151335488", i);
	ck_assert(!link_is("up"));
	ck_assert_int_gt(info_num("events", "outbox_depth"), 0);
	ck_assert_int_eq(info_num("events", "confirmed"), 0);
	{
		redisReply *r = cmd(rc, "INFO", "events", NULL);
		/* The reason is said (it once came out empty). */
		ck_assert_msg(strstr(r->str, "last_error:Connection refused") != NULL, "%s",
		              r->str);
		freeReplyObject(r);
	}
	/* Serving normally. */
	freeReplyObject(cmd(rc, "TICKET.GET", "5", NULL));
	ck_assert_int_eq(info_num("tickets", "tickets_total"), 5);
}
END_TEST

START_TEST(test_lost_stream_is_noticed_and_refilled)
{
	redisContext *c;
	long long last;

	start_all(1);
	for (int i = 0; i < 6; i++)
		book("151335488", i);
	wait_delivered();
	last = info_num("events", "last_seq");
	c = redis_connect();
	freeReplyObject(redisCommand(c, "DEL rt:events:DE-PSC-TEST"));
	redisFree(c);
	/* A Redis restart makes repaird reconnect and look at its streams. */
	redis_kill(SIGKILL);
	redis_start();
	WAIT_UNTIL(check_stream("rt:events:DE-PSC-TEST") >= last, 10000);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "lost events"));
	ck_assert_int_eq(check_stream("rt:events:DE-PSC-TEST"), last);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("redis");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_scenario_entries_and_consumer_group);
	tcase_add_test(tc, test_redis_killed_and_restarted);
	tcase_add_test(tc, test_redis_frozen_mid_send);
	tcase_add_test(tc, test_repaird_killed_with_undelivered_events);
	tcase_add_test(tc, test_redis_never_reachable);
	tcase_add_test(tc, test_lost_stream_is_noticed_and_refilled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(events_suite());
}
