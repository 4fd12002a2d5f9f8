/*
 * Integration: deadlines falling due together are processed in slices, and
 * other clients are answered meanwhile (DESIGN.md "The loop never stalls").
 * Real repaird under --debug-clock. Times are printed, never asserted: the
 * benchmark (tests/bench/bench.sh) measures them.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NTICKETS 50000

static struct daemon d;

static void teardown(void)
{
	daemon_cleanup(&d);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* An INFO field as a number. */
static long long info_num(redisContext *rc, const char *section, const char *name)
{
	redisReply *r = cmd(rc, "INFO", section, NULL);
	char key[64];
	const char *p;
	long long v;

	snprintf(key, sizeof key, "%s:", name);
	p = strstr(r->str, key);
	ck_assert_msg(p != NULL, "INFO %s has no %s", section, name);
	v = atoll(p + strlen(key));
	freeReplyObject(r);
	return v;
}

/* NTICKETS tickets at the always-open centre, received at once: one deadline for all. */
static void open_many(redisContext *rc)
{
	/* Pipelined in batches: hiredis writes a whole batch before it reads a reply. */
	for (int b = 0; b < NTICKETS; b += 1000) {
		for (int i = b; i < b + 1000 && i < NTICKETS; i++)
			redisAppendCommand(rc,
			                   "TICKET.OPEN CENTRE XX-PSC-ALWAYS PRODUCT %s SERIAL "
			                   "012345678901 SERVICE repair RECEIVED NOW",
			                   "EOS R5");
		for (int i = b; i < b + 1000 && i < NTICKETS; i++) {
			redisReply *r;
			ck_assert_msg(redisGetReply(rc, (void **)&r) == REDIS_OK,
			              "TICKET.OPEN %d: %s", i, rc->errstr);
			ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN %d: %s", i,
			              r->str ? r->str : "?");
			freeReplyObject(r);
		}
	}
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

START_TEST(test_ping_answered_while_deadlines_run)
{
	redisContext *rc, *pinger;
	char buf[64];
	int fd, pings_before = 0;
	double t0, worst = 0, clock_ms;
	long long slices_before, processed_before, seq_before;
	ssize_t n;

	ck_assert_msg(daemon_start(&d, "journal: {fsync: everysec}\n", NULL) == 0,
	              "repaird did not start:\n%s", daemon_log(&d));
	rc = daemon_connect(&d);
	pinger = daemon_connect(&d);
	open_many(rc);
	ck_assert_int_eq(info_num(rc, "tickets", "tickets_breached"), 0);
	slices_before = info_num(rc, "server", "due_slices");
	processed_before = info_num(rc, "server", "due_processed");
	seq_before = info_num(rc, "events", "last_seq");

	/* One connection moves the clock an hour on: every ticket at risk and breached. */
	fd = harness_raw_connect(d.port);
	t0 = now_ms();
	send_all(fd, "*2\r\n$11\r\nDEBUG.CLOCK\r\n$20\r\n2026-11-23T08:00:00Z\r\n");
	/* Another one PINGs until DEBUG.CLOCK answers (it does once the work is done). */
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double t1 = now_ms();
		redisReply *r;
		if (poll(&p, 1, 0) == 1)
			break;
		r = cmd(pinger, "PING", NULL);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
		if (now_ms() - t1 > worst)
			worst = now_ms() - t1;
		/* Answered, and DEBUG.CLOCK not yet: the loop turned during the work. */
		p.revents = 0;
		if (poll(&p, 1, 0) == 0)
			pings_before++;
		ck_assert_msg(now_ms() - t0 < 60000, "DEBUG.CLOCK did not answer within 60 s");
	}
	n = read(fd, buf, sizeof buf - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	clock_ms = now_ms() - t0;
	ck_assert_str_eq(buf, "+OK\r\n");
	close(fd);
	fprintf(stderr,
	        "slices: %d deadlines: DEBUG.CLOCK answered after %.0f ms, %d PINGs answered "
	        "meanwhile, worst PING %.1f ms, %lld slices\n",
	        NTICKETS, clock_ms, pings_before, worst,
	        info_num(rc, "server", "due_slices") - slices_before);
	ck_assert_msg(pings_before >= 1, "no PING was answered while the deadlines ran");
	ck_assert_int_gt(info_num(rc, "server", "due_slices") - slices_before, 1);
	/* Every ticket handled once: at risk and breached, each event once. */
	ck_assert_int_eq(info_num(rc, "server", "due_processed") - processed_before, NTICKETS);
	ck_assert_int_eq(info_num(rc, "tickets", "tickets_breached"), NTICKETS);
	ck_assert_int_eq(info_num(rc, "tickets", "tickets_at_risk"), NTICKETS);
	/* At risk and breached: two events per ticket, no more. */
	ck_assert_int_eq(info_num(rc, "events", "last_seq") - seq_before, 2LL * NTICKETS);
	redisFree(pinger);
	redisFree(rc);
}
END_TEST

/* A few due tickets: DEBUG.CLOCK's +OK still comes after they all ran (one slice). */
START_TEST(test_debug_clock_reply_after_work)
{
	redisContext *rc;
	redisReply *r;

	ck_assert_msg(daemon_start(&d, NULL, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	r = cmd(rc, "TICKET.OPEN", "CENTRE", "XX-PSC-ALWAYS", "PRODUCT", "EOS R5", "SERIAL",
	        "012345678901", "SERVICE", "repair", "RECEIVED", "NOW", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	r = cmd(rc, "DEBUG.CLOCK", "2026-11-23T08:00:00Z", NULL);
	ck_assert_str_eq(r->str, "OK");
	freeReplyObject(r);
	r = cmd(rc, "TICKET.GET", "1", NULL);
	ck_assert_str_eq(field(r, "breached"), "1");
	freeReplyObject(r);
	redisFree(rc);
}
END_TEST

static Suite *slices_suite(void)
{
	Suite *s = suite_create("slices");
	TCase *tc = tcase_create("slices");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ping_answered_while_deadlines_run);
	tcase_add_test(tc, test_debug_clock_reply_after_work);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(slices_suite());
}
