/*
 * Unit tests: due work in slices (engine_advance_max). The same tickets,
 * advanced to the same instants in one call or in slices of 1, 7 and 1000,
 * give the same events in the same order, each exactly once, and the same
 * ticket state.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "timeutil.h"
#include "unit.h"

#define H       3600
#define NTICKET 600

static char tmpdir[64];
static struct config *cfg;

static int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static const char *config_text =
        "products: products.yaml\n"
        "countries:\n"
        "  ZA: {name: South Africa, programme: free}\n"
        "centres:\n"
        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";

static void setup(void)
{
	unit_tmpdir_with_products(tmpdir, sizeof tmpdir, "slices",
	                          "products:\n"
	                          "  - {model: \"EOS R5\", class: body, fast_track: true, video: "
	                          "false, points: 500}\n");
	cfg = unit_config("slices.yaml", config_text, tmpdir);
}

static void teardown(void)
{
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
}

/*
 * NTICKET tickets received over Monday in bursts of the same minute, for
 * Gold members (3 days, loans on breach) and non-members (10 days): many
 * fall due at the same instants, at risk, breach and loans mixed.
 */
static struct engine *populate(void)
{
	struct engine *e = engine_new(cfg);
	struct engine_error err;

	for (uint64_t m = 1; m <= NTICKET / 3; m++) {
		struct member_input in = {.number = 1000 + m, .tier = TIER_GOLD, .expires = -1};
		memcpy(in.country, "ZA", 3);
		ck_assert_int_eq(engine_member_set(e, &in, cet(11, 1, 12, 0), &err), 0);
	}
	for (int i = 0; i < NTICKET; i++) {
		int64_t at = cet(11, 23, 9, 0) + (i % 5) * 37 * 60;
		struct ticket_open in = {.centre = "DE-PSC-TEST",
		                         .product = "EOS R5",
		                         .serial = "012345678901",
		                         .service = SERVICE_REPAIR,
		                         .member = i % 2 ? 1000 + 1 + (uint64_t)(i / 3) : 0,
		                         .registered = true,
		                         .received = true,
		                         .received_at = at,
		                         .who = "test"};
		const struct ticket *t;
		ck_assert_msg(engine_ticket_open(e, &in, cet(11, 23, 12, 0), &t, &err) == 0,
		              "open %d: %s", i, err.msg);
	}
	return e;
}

/* Advance to now in slices of max; returns how many calls it took. */
static size_t advance_sliced(struct engine *e, int64_t now, size_t max)
{
	size_t calls = 0, done, total = 0;
	bool more;

	do {
		more = engine_advance_max(e, now, max, &done);
		ck_assert_uint_le(done, max);
		total += done;
		calls++;
	} while (more);
	ck_assert_msg(!engine_advance_max(e, now, max, &done) && done == 0,
	              "work left after the last slice");
	return calls;
}

static void same_events(const struct engine *a, const struct engine *b, size_t max)
{
	ck_assert_uint_eq(engine_outbox_count(a), engine_outbox_count(b));
	for (size_t i = 0; i < engine_outbox_count(a); i++) {
		const struct event *x = engine_outbox_at(a, i), *y = engine_outbox_at(b, i);
		ck_assert_msg(x->seq == y->seq && x->type == y->type && x->ticket == y->ticket &&
		                      x->at == y->at && strcmp(x->reason, y->reason) == 0,
		              "slices of %zu: event %zu differs: seq %" PRIu64 " %s ticket %" PRIu64
		              " at %" PRId64 " vs seq %" PRIu64 " %s ticket %" PRIu64
		              " at %" PRId64,
		              max, i, x->seq, event_type_names[x->type], x->ticket, x->at, y->seq,
		              event_type_names[y->type], y->ticket, y->at);
	}
	for (uint64_t id = 1; id <= engine_ticket_count(a); id++) {
		const struct ticket *x = engine_ticket_get(a, id), *y = engine_ticket_get(b, id);
		ck_assert_msg(x->at_risk == y->at_risk && x->breached == y->breached &&
		                      x->loan_eligible == y->loan_eligible &&
		                      x->deadline == y->deadline && x->nhist == y->nhist,
		              "slices of %zu: ticket %" PRIu64 " differs", max, id);
	}
}

/* Each (ticket, event type) at most once: no event twice across slices. */
static void exactly_once(const struct engine *e)
{
	static unsigned char seen[NTICKET + 1][EVENT_TYPE_COUNT];

	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < engine_outbox_count(e); i++) {
		const struct event *ev = engine_outbox_at(e, i);
		if (ev->type == EVENT_TICKET_OPENED)
			continue;
		ck_assert_uint_le(ev->ticket, NTICKET);
		ck_assert_msg(seen[ev->ticket][ev->type]++ == 0, "%s for ticket %" PRIu64 " twice",
		              event_type_names[ev->type], ev->ticket);
	}
}

START_TEST(test_slices_give_the_same_events)
{
	static const size_t sizes[] = {1, 7, 1000};
	/* Wednesday noon: at risk for some; next Monday: breaches and loans for many. */
	const int64_t steps[] = {cet(11, 25, 12, 0), cet(11, 30, 12, 0), cet(12, 14, 12, 0)};
	struct engine *whole = populate();
	char msg[256];

	for (size_t s = 0; s < 3; s++)
		engine_advance(whole, steps[s]);
	ck_assert_msg(engine_check(whole, steps[2], msg, sizeof msg) == 0, "%s", msg);
	exactly_once(whole);
	ck_assert_uint_gt(engine_outbox_count(whole), (size_t)NTICKET * 2);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct engine *sliced = populate();
		size_t calls = 0;
		for (size_t s = 0; s < 3; s++)
			calls += advance_sliced(sliced, steps[s], sizes[k]);
		if (sizes[k] < NTICKET)
			ck_assert_msg(calls > 3, "slices of %zu: %zu calls", sizes[k], calls);
		ck_assert_msg(engine_check(sliced, steps[2], msg, sizeof msg) == 0, "%s", msg);
		same_events(whole, sliced, sizes[k]);
		exactly_once(sliced);
		engine_free(sliced);
	}
	engine_free(whole);
}
END_TEST

/* Between slices the state is consistent, and nothing due at a later instant runs early. */
START_TEST(test_slice_stops_at_now)
{
	struct engine *e = populate();
	int64_t now = cet(11, 30, 12, 0), next;
	size_t done;
	char msg[256];

	ck_assert(engine_advance_max(e, now, 5, &done));
	ck_assert_uint_eq(done, 5);
	ck_assert_msg(engine_check(e, now, msg, sizeof msg) == 0, "%s", msg);
	ck_assert(engine_next_due(e, &next));
	ck_assert_int_le(next, now);
	while (engine_advance_max(e, now, 100, &done))
		;
	ck_assert(engine_next_due(e, &next));
	ck_assert_int_gt(next, now);
	ck_assert(!engine_advance_max(e, now, 100, &done));
	ck_assert_uint_eq(done, 0);
	engine_free(e);
}
END_TEST

static Suite *slices_suite(void)
{
	Suite *s = suite_create("engine_slices");
	TCase *tc = tcase_create("slices");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slices_give_the_same_events);
	tcase_add_test(tc, test_slice_stops_at_now);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(slices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
