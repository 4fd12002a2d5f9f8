/*
 * test_ticket_reply: engine_ticket_reply, the one-reservation encoder of a
 * ticket's reply, gives byte for byte what the generic encoders give
 * (reply_record, then reply_bulk_str of each engine_ticket_fields value),
 * under RESP2 and RESP3, as the ticket changes in every way that changes its
 * reply: opened, moved, a loan issued and returned, the clock making it at
 * risk and breached, paused, and a reload that changes its targets; then
 * copies of a ticket given every value of every field that takes one of a few,
 * numbers either side of each power of ten, instants across days, years and
 * leap days; and one reply spelt out in full.
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

/* Two tickets to vary: a member's, and a non-member's with an unlisted long model name. */
static void open_two(const struct ticket **member, const struct ticket **other)
{
	struct member_input in = {.number = 151335488, .tier = TIER_GOLD, .expires = -1};
	char model[121];
	struct ticket_open op = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "SN0001",
	                         .service = SERVICE_REPAIR,
	                         .member = 151335488,
	                         .registered = true,
	                         .received = true,
	                         .received_at = cet(11, 23, 9, 0),
	                         .who = "test"};
	struct engine_error err = {0};

	memcpy(in.country, "DE", 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 12, 0), &err), 0);
	ck_assert_msg(engine_ticket_open(eng, &op, cet(11, 23, 9, 0), member, &err) == 0,
	              "open: %s", err.msg);
	memset(model, 'M', sizeof model - 1);
	model[sizeof model - 1] = '\0';
	op.product = model;
	op.unlisted = true;
	op.member = 0;
	op.received = false;
	op.service = SERVICE_MAINTENANCE;
	ck_assert_msg(engine_ticket_open(eng, &op, cet(11, 24, 10, 0), other, &err) == 0,
	              "open: %s", err.msg);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Instants a ticket may hold: unset, around the epoch, year and leap-day edges, far off. */
static int64_t some_instant(uint64_t *x)
{
	static const int64_t fixed[] = {0,
	                                1,
	                                -1,
	                                -SECS_PER_DAY,
	                                INT64_C(951782399),     /* 2000-02-28T23:59:59Z */
	                                INT64_C(951782400),     /* 2000-02-29T00:00:00Z */
	                                INT64_C(951868800),     /* 2000-03-01T00:00:00Z */
	                                INT64_C(1798761599),    /* 2026-12-31T23:59:59Z */
	                                INT64_C(1798761600),    /* 2027-01-01T00:00:00Z */
	                                INT64_C(1835395200),    /* 2028-02-29T00:00:00Z */
	                                INT64_C(4107542399),    /* 2100-02-28T23:59:59Z */
	                                INT64_C(4107542400),    /* 2100-03-01T00:00:00Z */
	                                INT64_C(253402300799)}; /* 9999-12-31T23:59:59Z */
	uint64_t r = xorshift(x);

	if (r % 3 == 0)
		return fixed[(r >> 8) % (sizeof fixed / sizeof fixed[0])];
	/* Within a few days of the last one often: the same day, the next, a year on. */
	return INT64_C(1700000000) + (int64_t)((r >> 8) % (UINT64_C(400) * 86400 * 3));
}

/*
 * Every value of every field that takes one of a few values, each alone, then
 * all of them at random together with numbers and instants of every kind:
 * the reply must equal the generic encoding of engine_ticket_fields.
 */
START_TEST(test_reply_every_value)
{
	const struct ticket *t, *other;
	struct ticket x;
	uint64_t r = 88172645463325252u;
	int64_t now = cet(11, 25, 10, 0);

	open_two(&t, &other);
	check_same(t, now);
	check_same(other, now);
	for (int v = -1; v < TIER_COUNT; v++) {
		x = *t;
		x.tier = (int8_t)v;
		check_same(&x, now);
	}
	for (int v = -1; v < PROGRAMME_COUNT; v++) {
		x = *t;
		x.programme = (int8_t)v;
		check_same(&x, now);
	}
	for (int v = 0; v < PCLASS_COUNT; v++) {
		x = *t;
		x.pclass = (uint8_t)v;
		check_same(&x, now);
	}
	for (int v = 0; v < SERVICE_COUNT; v++) {
		x = *t;
		x.service = (uint8_t)v;
		check_same(&x, now);
	}
	for (int v = 0; v < TSTATE_COUNT; v++) {
		x = *t;
		x.state = (uint8_t)v;
		check_same(&x, now);
	}
	for (int v = 0; v < FT_REASON_COUNT; v++) {
		x = *t;
		x.reason = (uint8_t)v;
		check_same(&x, now);
	}
	for (int v = -1; v <= 1; v++) {
		x = *t;
		ck_assert_int_eq(engine_ticket_set_packed(&x, x.used, x.budget, x.loan_state, v),
		                 0);
		check_same(&x, now);
	}
	for (int v = 0; v <= LOAN_RETURNED; v++) {
		x = *t;
		ck_assert_int_eq(engine_ticket_set_packed(&x, x.used, x.budget, (unsigned)v, x.met),
		                 0);
		check_same(&x, now);
	}
	for (int v = 0; v < 2 * LOAN_REASON_COUNT; v++) {
		x = *t;
		x.loan_eligible = (unsigned)(v & 1);
		x.loan_reason = (uint8_t)(v / 2);
		check_same(&x, now);
	}
	for (int v = 0; v < 64; v++) {
		x = *t;
		x.fast_track = (unsigned)(v & 1);
		x.at_risk = (unsigned)(v >> 1 & 1);
		x.breached = (unsigned)(v >> 2 & 1);
		x.queued = (unsigned)(v >> 3 & 1);
		x.priority = (unsigned)(v >> 4 & 1);
		x.state = v >> 5 ? TSTATE_AWAITING_CUSTOMER : TSTATE_IN_REPAIR; /* paused or not */
		check_same(&x, now);
	}
	/* Received when opened, or neither set; received before opened. */
	x = *t;
	x.received_at = x.created_at;
	check_same(&x, now);
	x.created_at = x.received_at = 0;
	check_same(&x, now);
	x = *t;
	x.received_at = x.created_at - 1;
	check_same(&x, now);
	x.received_at = 0;
	check_same(&x, now);
	/* Numbers either side of each power of ten, and the extremes. */
	for (uint64_t p10 = 1, k = 0; k < 20; k++, p10 *= 10) {
		x = *t;
		x.id = p10 - 1 - (k == 19 ? p10 / 2 : 0); /* ids stay under 2^63 */
		x.member = p10;
		x.used = ticket_secs(-(int64_t)(p10 - 1));
		x.budget = ticket_secs((int64_t)(p10 / 2));
		check_same(&x, now);
	}
	x = *t;
	x.id = INT64_MAX;
	x.member = (uint64_t)INT64_MIN;
	x.used = INT32_MAX; /* business seconds saturate there */
	x.budget = 0;
	check_same(&x, now);
	/* Names: an unknown centre (no type), the long model name, serials around 100 bytes. */
	x = *t;
	x.centre = 0xfffffff0u;
	check_same(&x, now);
	x = *t;
	x.product = other->product;
	check_same(&x, now);
	{
		static char serial[130];
		static const size_t lens[] = {0, 1, 9, 10, 99, 100, 129};

		for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
			memset(serial, 'S', lens[k]);
			serial[lens[k]] = '\0';
			x = *t;
			x.serial = serial;
			check_same(&x, now);
		}
	}
	for (int n = 0; n < 3000; n++) {
		uint64_t a = xorshift(&r), b = xorshift(&r);

		x = (a & 1) ? *t : *other;
		x.id = (a >> 1 & 3) == 0 ? (b >> 1) : (b >> 40);
		x.member = (a >> 3 & 3) == 0 ? 0 : (a >> 3 & 3) == 1 ? (b >> 20) : b;
		x.tier = (int8_t)((int)(a >> 5 & 7) - 1);
		x.programme = (int8_t)((int)((a >> 8) % 3) - 1);
		x.pclass = (uint8_t)((a >> 10) % PCLASS_COUNT);
		x.service = (uint8_t)((a >> 13) % SERVICE_COUNT);
		x.state = (uint8_t)((a >> 15) % TSTATE_COUNT);
		x.reason = (uint8_t)((a >> 19) % FT_REASON_COUNT);
		ck_assert_int_eq(engine_ticket_set_packed(&x, x.used, x.budget,
		                                          (unsigned)((a >> 25) % 3),
		                                          (int)((a >> 23) % 3) - 1),
		                 0);
		x.loan_reason = (uint8_t)((a >> 27) % LOAN_REASON_COUNT);
		x.loan_eligible = (unsigned)(a >> 29 & 1);
		x.fast_track = (unsigned)(a >> 30 & 1);
		x.at_risk = (unsigned)(a >> 31 & 1);
		x.breached = (unsigned)(a >> 32 & 1);
		x.queued = (unsigned)(a >> 33 & 1);
		x.priority = (unsigned)(a >> 34 & 1);
		x.target_days = (uint16_t)(a >> 35);
		x.created_at = some_instant(&r);
		x.received_at =
		        (a >> 51 & 1) ? x.created_at + (int64_t)(b % 200000) : some_instant(&r);
		x.deadline = some_instant(&r);
		x.ready_at = some_instant(&r);
		x.closed_at = some_instant(&r);
		/* used and remaining: either side of the budget, small and large */
		x.used = (int32_t)(b % 5000000);
		x.budget = (a >> 52 & 1) ? ticket_secs((int64_t)(b >> 30)) : (int32_t)(b % 7000);
		x.clock_since = x.created_at;
		check_same(&x, x.created_at + (int64_t)(b % 100000));
	}
}
END_TEST

/*
 * One reply spelt out: a change to how any value is written (not only a
 * difference between the two encoders) fails here.
 */
START_TEST(test_reply_literal)
{
	const struct ticket *t, *other;
	struct ticket x;
	struct rbuf b;
	static const char want[] =
	        "*60\r\n$2\r\nid\r\n$1\r\n1\r\n$6\r\nmember\r\n$9\r\n151335488\r\n"
	        "$4\r\ntier\r\n$4\r\ngold\r\n$9\r\nprogramme\r\n$12\r\nsubscription\r\n"
	        "$6\r\ncentre\r\n$11\r\nDE-PSC-TEST\r\n$11\r\ncentre_type\r\n$3\r\npsc\r\n"
	        "$7\r\nproduct\r\n$6\r\nEOS R5\r\n$13\r\nproduct_class\r\n$4\r\nbody\r\n"
	        "$6\r\nserial\r\n$6\r\nSN0001\r\n$7\r\nservice\r\n$6\r\nrepair\r\n"
	        "$5\r\nstate\r\n$9\r\nin_repair\r\n$10\r\nfast_track\r\n$1\r\n1\r\n"
	        "$6\r\nreason\r\n$10\r\nfast-track\r\n$11\r\ntarget_days\r\n$3\r\n123\r\n"
	        "$10\r\ncreated_at\r\n$20\r\n2028-02-29T23:59:59Z\r\n"
	        "$11\r\nreceived_at\r\n$20\r\n2028-03-01T00:00:00Z\r\n"
	        "$8\r\ndeadline\r\n$0\r\n\r\n"
	        "$12\r\nused_seconds\r\n$5\r\n90000\r\n"
	        "$17\r\nremaining_seconds\r\n$6\r\n-89999\r\n"
	        "$6\r\npaused\r\n$1\r\n0\r\n$7\r\nat_risk\r\n$1\r\n1\r\n$8\r\nbreached\r\n$"
	        "1\r\n1\r\n"
	        "$8\r\nready_at\r\n$20\r\n1969-12-31T23:59:59Z\r\n"
	        "$9\r\nclosed_at\r\n$20\r\n2100-03-01T00:00:00Z\r\n"
	        "$3\r\nmet\r\n$1\r\n0\r\n$13\r\nloan_eligible\r\n$1\r\n1\r\n"
	        "$11\r\nloan_reason\r\n$6\r\nbreach\r\n$10\r\nloan_state\r\n$8\r\nreturned\r\n"
	        "$6\r\nqueued\r\n$1\r\n1\r\n$8\r\npriority\r\n$1\r\n0\r\n";

	open_two(&t, &other);
	x = *t;
	x.state = TSTATE_IN_REPAIR;
	x.target_days = 123;
	x.created_at = INT64_C(1835481599); /* the last second of 2028-02-29 */
	x.received_at = x.created_at + 1;
	x.deadline = 0;
	x.clock_since = x.received_at;
	x.used = 90000;
	x.budget = 1;
	x.at_risk = 1;
	x.breached = 1;
	x.ready_at = -1;
	x.closed_at = INT64_C(4107542400);
	x.met = 0;
	x.loan_eligible = 1;
	x.loan_reason = LOAN_REASON_BREACH;
	x.loan_state = LOAN_RETURNED;
	x.queued = 1;
	x.priority = 0;
	rbuf_init(&b);
	/* now == clock_since: nothing used since */
	engine_ticket_reply(eng, &x, x.received_at, 2, &b);
	ck_assert_msg(b.len == sizeof want - 1 && memcmp(b.data, want, b.len) == 0, "reply: %.*s",
	              (int)b.len, b.data);
	check_same(&x, x.received_at);
	rbuf_free(&b);
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
	tcase_add_test(tc, test_reply_every_value);
	tcase_add_test(tc, test_reply_literal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
