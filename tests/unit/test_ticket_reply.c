/*
 * test_ticket_reply: engine_ticket_reply, the one-reservation encoder of a
 * ticket's reply, gives byte for byte what the generic encoders give
 * (reply_record, then reply_bulk_str of each engine_ticket_fields value),
 * under RESP2 and RESP3, as the ticket changes in every way that changes its
 * reply: opened, moved, a loan issued and returned, the clock making it at
 * risk and breached, paused, and a reload that changes its targets.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "proto.h"
#include "timeutil.h"
#include "unit.h"

#define H 3600

static char tmpdir[64];
static struct config *cfg;
static struct engine *eng;

static int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static struct config *make_config(const char *policy)
{
	static const char *head = "products: products.yaml\n"
	                          "countries:\n"
	                          "  DE: {name: Germany, programme: subscription}\n";
	static const char *centres =
	        "centres:\n"
	        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
	        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
	        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";
	char text[2048];

	snprintf(text, sizeof text, "%s%s%s", head, policy ? policy : "", centres);
	return unit_config("reply-test.yaml", text, tmpdir);
}

static void setup(void)
{
	unit_tmpdir_with_products(tmpdir, sizeof tmpdir, "reply",
	                          "products:\n"
	                          "  - {model: \"EOS R5\", class: body, fast_track: true, video: "
	                          "false, points: 500}\n");
	cfg = make_config(NULL);
	eng = engine_new(cfg);
}

static void teardown(void)
{
	engine_free(eng);
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
}

/* The reference: the generic encoders, one call per header and value. */
static void reference(const struct ticket *t, int64_t now, int resp, struct rbuf *out)
{
	struct ticket_fields f;

	engine_ticket_fields(eng, t, now, &f);
	reply_record(out, resp, TICKET_NFIELDS);
	for (int i = 0; i < TICKET_NFIELDS; i++) {
		reply_bulk_str(out, ticket_field_names[i]);
		reply_bulk_str(out, f.v[i]);
	}
}

static const char *field(const struct ticket *t, int64_t now, const char *name, char *buf);

/* The numbers of the reply are what printf makes of them (negative ones included). */
static void check_numbers(const struct ticket *t, int64_t now)
{
	struct ticket_clock clk;
	char want[32], buf[64];

	engine_ticket_clock(eng, t, now, &clk);
	snprintf(want, sizeof want, "%lld", (long long)clk.used);
	ck_assert_str_eq(field(t, now, "used_seconds", buf), want);
	snprintf(want, sizeof want, "%lld", (long long)clk.remaining);
	ck_assert_str_eq(field(t, now, "remaining_seconds", buf), want);
	snprintf(want, sizeof want, "%llu", (unsigned long long)t->id);
	ck_assert_str_eq(field(t, now, "id", buf), want);
	snprintf(want, sizeof want, "%d", (int)t->target_days);
	ck_assert_str_eq(field(t, now, "target_days", buf), want);
}

/* Both encoders, after some bytes already in the buffer, under RESP2 and RESP3. */
static void check_same(const struct ticket *t, int64_t now)
{
	check_numbers(t, now);
	for (int resp = 2; resp <= 3; resp++) {
		struct rbuf a, b;

		rbuf_init(&a);
		rbuf_init(&b);
		rbuf_append(&a, "+PONG\r\n", 7);
		rbuf_append(&b, "+PONG\r\n", 7);
		reference(t, now, resp, &a);
		engine_ticket_reply(eng, t, now, resp, &b);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert_msg(memcmp(a.data, b.data, a.len) == 0, "reply differs (resp %d): %.*s",
		              resp, (int)b.len, b.data);
		rbuf_free(&a);
		rbuf_free(&b);
	}
}

/* The value of one field in the reply, as engine_ticket_fields gives it. */
static const char *field(const struct ticket *t, int64_t now, const char *name, char *buf)
{
	struct ticket_fields f;

	engine_ticket_fields(eng, t, now, &f);
	for (int i = 0; i < TICKET_NFIELDS; i++) {
		if (strcmp(ticket_field_names[i], name) == 0) {
			ck_assert_uint_eq(f.len[i], strlen(f.v[i]));
			snprintf(buf, 64, "%s", f.v[i]);
			return buf;
		}
	}
	ck_abort_msg("no field %s", name);
	return NULL;
}

START_TEST(test_reply_same_bytes_through_changes)
{
	struct member_input in = {.number = 151335488, .tier = TIER_PLATINUM, .expires = -1};
	struct ticket_open op = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "SN0001",
	                         .service = SERVICE_REPAIR,
	                         .member = 151335488,
	                         .registered = true,
	                         .received = true,
	                         .received_at = cet(11, 23, 9, 0),
	                         .who = "test"};
	struct ticket_move mv = {.to = TSTATE_AWAITING_PARTS, .who = "test"};
	const struct ticket *t, *out;
	struct engine_error err = {0};
	struct config *next;
	char buf[64];

	memcpy(in.country, "DE", 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 12, 0), &err), 0);
	ck_assert_msg(engine_ticket_open(eng, &op, cet(11, 23, 9, 0), &t, &err) == 0, "open: %s",
	              err.msg);
	check_same(t, cet(11, 23, 9, 0));
	check_same(t, cet(11, 23, 12, 34)); /* time-dependent used/remaining */
	ck_assert_str_eq(field(t, cet(11, 23, 12, 34), "state", buf), "received");

	mv.id = t->id;
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 13, 0), &out, &err), 0);
	ck_assert_str_eq(field(t, cet(11, 23, 14, 0), "state", buf), "awaiting_parts");
	check_same(t, cet(11, 23, 14, 0));

	ck_assert_int_eq(engine_loan_issue(eng, t->id, "LN0001", "body", "test", cet(11, 23, 15, 0),
	                                   &out, &err),
	                 0);
	ck_assert_str_eq(field(t, cet(11, 23, 15, 0), "loan_state", buf), "issued");
	check_same(t, cet(11, 23, 15, 0));
	ck_assert_int_eq(
	        engine_loan_return(eng, t->id, NULL, "test", cet(11, 23, 16, 0), &out, &err), 0);
	ck_assert_str_eq(field(t, cet(11, 23, 16, 0), "loan_state", buf), "returned");
	check_same(t, cet(11, 23, 16, 0));

	mv.to = TSTATE_IN_REPAIR;
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 16, 30), &out, &err), 0);
	/* The clock alone: at risk, then breached (remaining goes negative). */
	engine_advance(eng, cet(12, 10, 12, 0));
	ck_assert_str_eq(field(t, cet(12, 10, 12, 0), "breached", buf), "1");
	ck_assert_str_eq(field(t, cet(12, 10, 12, 0), "at_risk", buf), "1");
	ck_assert_int_eq(field(t, cet(12, 10, 12, 0), "remaining_seconds", buf)[0], '-');
	check_same(t, cet(12, 10, 12, 0));

	/* A reload that changes the targets changes target_days and the deadline. */
	snprintf(buf, sizeof buf, "%s", field(t, cet(12, 10, 12, 0), "target_days", buf));
	next = make_config("policy: {targets: {platinum: 9}}\n");
	ck_assert_int_eq(engine_set_config(eng, next, cet(12, 10, 12, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	ck_assert_str_eq(field(t, cet(12, 10, 12, 0), "target_days", buf), "9");
	check_same(t, cet(12, 10, 12, 0));

	mv.to = TSTATE_READY;
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(12, 10, 13, 0), &out, &err), 0);
	check_same(t, cet(12, 10, 13, 0));
}
END_TEST

/* A long value (over 99 bytes) takes the general length path. */
START_TEST(test_bulk_long_and_empty)
{
	char big[300];
	struct rbuf b;

	memset(big, 'x', sizeof big);
	rbuf_init(&b);
	reply_bulk(&b, big, 123);
	reply_bulk(&b, "", 0);
	reply_bulk(&b, "abcdefghij", 10);
	ck_assert_uint_eq(b.len, 6 + 123 + 2 + 6 + 5 + 10 + 2);
	ck_assert_int_eq(memcmp(b.data, "$123\r\nxxx", 9), 0);
	ck_assert_int_eq(memcmp(b.data + 131, "$0\r\n\r\n$10\r\nabcdefghij\r\n", 22), 0);
	rbuf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ticket_reply");
	TCase *tc = tcase_create("reply");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reply_same_bytes_through_changes);
	tcase_add_test(tc, test_bulk_long_and_empty);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
