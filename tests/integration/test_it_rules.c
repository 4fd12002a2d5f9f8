/*
 * Integration: the rules of issue 13 through the real protocol (the real
 * repaird with --debug-clock, driven with hiredis): a reopened ticket and the
 * three-items rule, members outside EMEA, a free-programme member at a
 * subscription country's centre, expiry on the centre's date, history order,
 * AUTH without users, the catalogue, and the booking loan kept on arrival.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

/* Top-level emea: beside the policy (the harness inserts this text as is). */
#define EMEA "emea: [DE, ZA, EE, FR, GB, SK, NL]\n"

static struct daemon d;
static redisContext *rc;

static void start(const char *policy)
{
	harness_start(&d, policy, NULL);
	rc = daemon_connect(&d);
}

static void setup(void)
{
	start("policy: {over_limit: standard}\n" EMEA);
}

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static void member_set(const char *number, const char *tier, const char *country)
{
	harness_expect_status(cmd(rc, "MEMBER.SET", number, "TIER", tier, "COUNTRY", country, NULL),
	                      "OK");
}

/* TICKET.OPEN at DE-PSC-TEST; received NULL: booked. */
static redisReply *open_ticket(const char *member, const char *received)
{
	redisReply *r;

	if (received)
		r = cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL",
		        "012345678901", "SERVICE", "repair", "MEMBER", member, "REGISTERED", "yes",
		        "RECEIVED", received, NULL);
	else
		r = cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL",
		        "012345678901", "SERVICE", "repair", "MEMBER", member, "REGISTERED", "yes",
		        NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN: %s", r->str ? r->str : "?");
	return r;
}

static void open_ok(const char *member, const char *received)
{
	freeReplyObject(open_ticket(member, received));
}

static redisReply *move(const char *id, const char *state)
{
	redisReply *r = cmd(rc, "TICKET.MOVE", id, state, NULL);

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.MOVE %s %s: %s", id, state,
	              r->str ? r->str : "?");
	return r;
}

static void expect_in_service(const char *member, const char *n, const char *queued)
{
	redisReply *r = cmd(rc, "MEMBER.GET", member, NULL);

	harness_expect_fields(r, "in_service", n, "queued", queued, NULL);
	freeReplyObject(r);
}

/* ---- 1. a reopened ticket and the three-items rule ---------------------------- */

/* Regression: the reopened ticket said fast_track 1 while MEMBER.GET said in_service 3. */
START_TEST(bug_reopened_ticket_breaks_three_items_rule)
{
	redisReply *r;

	harness_set_clock(rc, "2026-11-23T09:00:00Z");
	member_set("3001", "gold", "DE");
	open_ok("3001", "NOW");
	freeReplyObject(move("1", "ready"));
	for (int i = 0; i < 3; i++)
		open_ok("3001", "NOW");
	expect_in_service("3001", "3", "0");
	r = move("1", "in_repair");
	harness_expect_fields(r, "state", "in_repair", "fast_track", "0", "reason",
	                      "in-service-limit", "target_days", "10", "queued", "0", NULL);
	freeReplyObject(r);
	expect_in_service("3001", "3", "0");
}
END_TEST

START_TEST(test_reopened_ticket_queued_then_promoted)
{
	redisReply *r;

	teardown();
	start("policy: {over_limit: queue}\n" EMEA);
	harness_set_clock(rc, "2026-11-23T09:00:00Z");
	member_set("3002", "gold", "DE");
	open_ok("3002", "NOW");
	freeReplyObject(move("1", "ready"));
	for (int i = 0; i < 3; i++)
		open_ok("3002", "NOW");
	r = move("1", "in_repair"); /* never refused: the item is in the centre */
	harness_expect_fields(r, "fast_track", "0", "reason", "in-service-limit", "queued", "1",
	                      NULL);
	freeReplyObject(r);
	expect_in_service("3002", "3", "1");
	harness_set_clock(rc, "2026-11-23T10:00:00Z");
	freeReplyObject(move("2", "ready"));
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_fields(r, "fast_track", "1", "reason", "fast-track", "queued", "0", NULL);
	freeReplyObject(r);
	expect_in_service("3002", "3", "0");
}
END_TEST

/* ---- 2. members outside EMEA ------------------------------------------------------ */

START_TEST(test_member_outside_emea)
{
	redisReply *r;

	harness_set_clock(rc, "2026-11-23T09:00:00Z");
	member_set("4001", "platinum", "US");
	r = cmd(rc, "MEMBER.GET", "4001", NULL);
	ck_assert_uint_eq(r->elements, 20);
	ck_assert_str_eq(r->element[16]->str, "queued");
	ck_assert_str_eq(r->element[18]->str, "emea"); /* appended last */
	harness_expect_fields(r, "emea", "0", "country", "US", NULL);
	freeReplyObject(r);
	r = open_ticket("4001", "NOW");
	harness_expect_fields(r, "fast_track", "0", "reason", "outside-emea", "priority", "1",
	                      "loan_eligible", "0", "target_days", "10", NULL);
	/* The ticket's fields end with queued, priority (docs/protocol.md). */
	ck_assert_uint_eq(r->elements, 60);
	ck_assert_str_eq(r->element[56]->str, "queued");
	ck_assert_str_eq(r->element[58]->str, "priority");
	freeReplyObject(r);
	expect_in_service("4001", "0", "0");
	/* An EMEA member: emea 1, Fast Track, not marked. */
	member_set("4002", "platinum", "DE");
	r = cmd(rc, "MEMBER.GET", "4002", NULL);
	harness_expect_field(r, "emea", "1");
	freeReplyObject(r);
	r = open_ticket("4002", "NOW");
	harness_expect_fields(r, "fast_track", "1", "priority", "0", NULL);
	freeReplyObject(r);
	/* Priority is journaled: it survives a restart. */
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
	ck_assert_msg(daemon_spawn(&d, NULL) == 0, "restart:\n%s", daemon_log(&d));
	rc = daemon_connect(&d);
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_fields(r, "reason", "outside-emea", "priority", "1", NULL);
	freeReplyObject(r);
}
END_TEST

START_TEST(test_member_country_codes)
{
	redisReply *r;

	/* Any officially assigned ISO 3166-1 code; a wrong one is named. */
	member_set("4101", "gold", "JP");
	member_set("4102", "gold", "SK");
	harness_expect_error(cmd(rc, "MEMBER.SET", "4103", "TIER", "gold", "COUNTRY", "ZZ", NULL),
	                     "INVALID country \"ZZ\"");
	harness_expect_error(cmd(rc, "MEMBER.SET", "4103", "TIER", "gold", "COUNTRY", "UK", NULL),
	                     "INVALID country \"UK\"");
	/* SK: in EMEA, not in the country table: the default (free) programme. */
	r = cmd(rc, "MEMBER.GET", "4102", NULL);
	harness_expect_fields(r, "emea", "1", "programme", "free", NULL);
	freeReplyObject(r);
	r = cmd(rc, "MEMBER.GET", "4101", NULL);
	harness_expect_field(r, "emea", "0");
	freeReplyObject(r);
}
END_TEST

START_TEST(test_free_member_at_subscription_psc)
{
	redisReply *r;

	harness_set_clock(rc, "2026-11-23T09:00:00Z");
	member_set("4201", "gold", "ZA"); /* free programme, at a German (subscription) PSC */
	r = open_ticket("4201", "NOW");
	harness_expect_fields(r, "programme", "free", "fast_track", "1", "target_days", "3", NULL);
	freeReplyObject(r);
	/* The free programme's loan rule: a forecast miss makes Gold loan-eligible at once. */
	r = cmd(rc, "TICKET.MOVE", "1", "awaiting_parts", "ETA", "2026-12-10T12:00:00Z", NULL);
	harness_expect_fields(r, "loan_eligible", "1", "loan_reason", "forecast", NULL);
	freeReplyObject(r);
	/* A subscription Gold member with the same facts is owed nothing yet. */
	member_set("4202", "gold", "DE");
	freeReplyObject(open_ticket("4202", "NOW"));
	r = cmd(rc, "TICKET.MOVE", "2", "awaiting_parts", "ETA", "2026-12-10T12:00:00Z", NULL);
	harness_expect_field(r, "loan_eligible", "0");
	freeReplyObject(r);
}
END_TEST

/* ---- 4. expiry on the centre's date --------------------------------------------- */

START_TEST(test_expiry_in_centre_timezone)
{
	redisReply *r;

	harness_set_clock(rc, "2027-02-02T12:00:00Z");
	harness_expect_status(cmd(rc, "MEMBER.SET", "5001", "TIER", "gold", "COUNTRY", "DE",
	                          "EXPIRES", "2027-02-02", NULL),
	                      "OK");
	harness_set_clock(
	        rc, "2027-02-02T22:59:00Z"); /* 23:59 in Berlin: the last minute of validity */
	r = open_ticket("5001", NULL);
	harness_expect_field(r, "reason", "fast-track");
	freeReplyObject(r);
	harness_set_clock(rc, "2027-02-02T23:30:00Z"); /* 00:30 on 3 February in Berlin */
	r = open_ticket("5001", NULL);
	harness_expect_fields(r, "fast_track", "0", "reason", "membership-expired", NULL);
	freeReplyObject(r);
}
END_TEST

/* ---- 5. history order ------------------------------------------------------------- */

START_TEST(test_history_effective_time_order)
{
	redisReply *r;

	harness_set_clock(rc, "2026-11-23T11:00:00Z");
	member_set("6001", "gold", "DE");
	open_ok("6001", "2026-11-23T08:30:00Z"); /* recorded at 11:00, received at 08:30 */
	r = cmd(rc, "TICKET.HISTORY", "1", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_ge(r->elements, 2);
	ck_assert_str_eq(r->element[0]->element[0]->str, "2026-11-23T08:30:00Z");
	ck_assert_str_eq(r->element[0]->element[2]->str, "moved");
	ck_assert_str_eq(r->element[0]->element[3]->str, "received");
	ck_assert_str_eq(r->element[r->elements - 1]->element[2]->str, "opened");
	ck_assert_str_eq(r->element[r->elements - 1]->element[0]->str, "2026-11-23T11:00:00Z");
	for (size_t i = 1; i < r->elements; i++)
		ck_assert_int_le(
		        strcmp(r->element[i - 1]->element[0]->str, r->element[i]->element[0]->str),
		        0);
	freeReplyObject(r);
}
END_TEST

/* ---- 6. AUTH with no users configured ------------------------------------------------ */

START_TEST(test_auth_without_users_is_wrongpass)
{
	struct timeval a, b;
	double secs;

	for (int i = 0; i < 3; i++)
		harness_expect_error(
		        cmd(rc, "AUTH", "default", "guess", NULL),
		        "WRONGPASS invalid username-password pair or user is disabled.");
	/* The same delay rules as with users: the fourth failure in a minute waits. */
	gettimeofday(&a, NULL);
	harness_expect_error(cmd(rc, "AUTH", "admin", "guess", NULL), "WRONGPASS");
	gettimeofday(&b, NULL);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
	ck_assert_msg(secs >= 0.9, "the fourth failure answered after %.2f s", secs);
}
END_TEST

/* ---- 7. the catalogue ---------------------------------------------------------------- */

START_TEST(test_catalogue)
{
	redisReply *r = cmd(rc, "PRODUCT.GET", "EOS C700 FF PL", NULL);

	harness_expect_fields(r, "class", "video", "fast_track", "1", "video", "1", NULL);
	freeReplyObject(r);
	r = cmd(rc, "PRODUCT.GET", "XA75", NULL);
	harness_expect_field(r, "video", "1");
	freeReplyObject(r);
	r = cmd(rc, "PRODUCT.GET", "EOS 5D Mark II", NULL);
	harness_expect_field(r, "fast_track", "0");
	freeReplyObject(r);
	r = cmd(rc, "PRODUCT.LIST", "FASTTRACK", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_msg(r->elements >= 110 && r->elements <= 130, "%zu Fast Track products",
	              r->elements);
	freeReplyObject(r);
}
END_TEST

/* ---- 8. the booking loan that stays owed --------------------------------------------- */

START_TEST(test_booking_loan_kept_when_fast_track_lost_on_arrival)
{
	redisReply *r;

	harness_set_clock(rc, "2026-11-23T09:00:00Z");
	member_set("8001", "platinum", "DE");
	r = open_ticket("8001", NULL);
	harness_expect_fields(r, "state", "booked", "loan_eligible", "1", "loan_reason", "booking",
	                      NULL);
	freeReplyObject(r);
	for (int i = 0; i < 3; i++)
		open_ok("8001", "NOW");
	r = move("1", "received");
	harness_expect_fields(r, "fast_track", "0", "reason", "in-service-limit", "loan_eligible",
	                      "1", "loan_reason", "booking", NULL);
	freeReplyObject(r);
	r = cmd(rc, "LOAN.ISSUE", "1", "SERIAL", "LOAN0001", NULL);
	harness_expect_field(r, "loan_state", "issued");
	freeReplyObject(r);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("it_rules");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bug_reopened_ticket_breaks_three_items_rule);
	tcase_add_test(tc, test_reopened_ticket_queued_then_promoted);
	tcase_add_test(tc, test_member_outside_emea);
	tcase_add_test(tc, test_member_country_codes);
	tcase_add_test(tc, test_free_member_at_subscription_psc);
	tcase_add_test(tc, test_expiry_in_centre_timezone);
	tcase_add_test(tc, test_history_effective_time_order);
	tcase_add_test(tc, test_auth_without_users_is_wrongpass);
	tcase_add_test(tc, test_catalogue);
	tcase_add_test(tc, test_booking_loan_kept_when_fast_track_lost_on_arrival);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(rules_suite());
}
