/*
 * Unit tests: the ticket engine against DOMAIN.md, as scenarios with explicit
 * times. The test centres work Mon-Fri 09:00-17:00 (an 8-hour day) in
 * Europe/Berlin; the dates are in November and December 2026 (CET, UTC+1):
 * Monday 23 November ... Friday 27, Monday 30, Tuesday 1 December ...
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "timeutil.h"

static char tmpdir[64];
static struct config *cfg;
static struct engine *eng;

#define H 3600

/* Berlin local time in winter (CET = UTC+1). */
static int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static const char *products_yaml =
        "products:\n"
        "  - {model: \"EOS R5\", class: body, fast_track: true, video: false, points: 500}\n"
        "  - {model: \"EOS R6 Mark II\", class: body, fast_track: true, points: 400}\n"
        "  - {model: \"EOS C70\", class: video, fast_track: true, video: true, points: 600}\n"
        "  - {model: \"EOS R50\", class: body, fast_track: false, points: 0}\n";

static const char *config_head =
        "products: products.yaml\n"
        "countries:\n"
        "  DE: {name: Germany, programme: subscription}\n"
        "  ZA: {name: South Africa, programme: free}\n"
        "  EE: {name: Estonia, programme: free, silver_only: true}\n"
        "  NL: {name: Netherlands, programme: subscription, targets: {gold: 4}}\n";

static const char *config_centres =
        "centres:\n"
        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}, holidays: [%s]}\n"
        "  - {id: DE-ASP-TEST, type: asp, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n"
        "  - {id: NL-PSC-TEST, type: psc, country: NL, timezone: Europe/Amsterdam,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";

static struct config *make_config(const char *policy, const char *holidays)
{
	struct config_errors errs = {0};
	char text[4096], centres[2048];
	struct config *c;

	snprintf(centres, sizeof centres, config_centres, holidays ? holidays : "");
	snprintf(text, sizeof text, "%s%s%s", config_head, policy ? policy : "", centres);
	c = config_parse("engine-test.yaml", text, strlen(text), tmpdir, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	config_errors_free(&errs);
	return c;
}

static void setup_with(const char *policy, const char *holidays)
{
	char path[128];
	FILE *f;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/repaird-test-engine-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof path, "%s/products.yaml", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(products_yaml, f);
	fclose(f);
	cfg = make_config(policy, holidays);
	eng = engine_new(cfg);
}

static void setup(void)
{
	setup_with(NULL, NULL);
}

static void teardown(void)
{
	char path[128];

	engine_free(eng);
	config_free(cfg);
	snprintf(path, sizeof path, "%s/products.yaml", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static void member(uint64_t number, enum tier tier, const char *country, int32_t expires)
{
	struct member_input in = {.number = number, .tier = tier, .expires = expires};
	struct engine_error err;

	memcpy(in.country, country, 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 12, 0), &err), 0);
}

/* Open a ticket; received_at 0 = booked. Fails the test on error. */
static const struct ticket *open_at(const char *centre, const char *product, uint64_t mem,
                                    enum service svc, int64_t received_at, int64_t now)
{
	struct ticket_open in = {.centre = centre,
	                         .product = product,
	                         .serial = "012345678901",
	                         .service = svc,
	                         .member = mem,
	                         .registered = true,
	                         .received = received_at != 0,
	                         .received_at = received_at,
	                         .who = "test"};
	const struct ticket *t = NULL;
	struct engine_error err = {0};

	ck_assert_msg(engine_ticket_open(eng, &in, now, &t, &err) == 0, "open: %s", err.msg);
	return t;
}

static const struct ticket *receive(const char *product, uint64_t mem, int64_t at)
{
	return open_at("DE-PSC-TEST", product, mem, SERVICE_REPAIR, at, at);
}

static int move(uint64_t id, enum ticket_state to, int64_t at, int64_t eta,
                struct engine_error *err)
{
	struct ticket_move mv = {.id = id, .to = to, .at = at, .eta = eta, .who = "test"};
	const struct ticket *t;

	return engine_ticket_move(eng, &mv, at, &t, err);
}

static void move_ok(uint64_t id, enum ticket_state to, int64_t at)
{
	struct engine_error err = {0};

	ck_assert_msg(move(id, to, at, 0, &err) == 0, "move: %s", err.msg);
}

/* Events of one type (and ticket, 0 = any) emitted (no journal collects them here). */
static int count_events(enum event_type type, uint64_t ticket)
{
	const struct event *evs;
	size_t n = engine_emitted(eng, &evs);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		if (evs[i].type == type && (ticket == 0 || evs[i].ticket == ticket))
			found++;
	return found;
}

static const struct event *find_event(enum event_type type, uint64_t ticket)
{
	const struct event *evs;
	size_t n = engine_emitted(eng, &evs);

	for (size_t i = 0; i < n; i++)
		if (evs[i].type == type && evs[i].ticket == ticket)
			return &evs[i];
	return NULL;
}

static size_t nemitted(void)
{
	const struct event *evs;

	return engine_emitted(eng, &evs);
}

static void assert_invariants(int64_t now)
{
	char msg[256];

	ck_assert_msg(engine_check(eng, now, msg, sizeof msg) == 0, "invariant: %s", msg);
}

/* ---- DOMAIN.md scenarios ------------------------------------------------------ */

START_TEST(test_platinum_subscription_loan_at_booking)
{
	const struct ticket *t;
	const struct event *ev;

	member(151335488, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 151335488, cet(11, 24, 10, 0)); /* Tuesday 10:00 */
	ck_assert(t->fast_track);
	ck_assert_int_eq(t->reason, FT_OK);
	ck_assert_int_eq(t->target_days, 2);
	ck_assert_int_eq(t->tier, TIER_PLATINUM);
	ck_assert_int_eq(t->programme, PROGRAMME_SUBSCRIPTION);
	ck_assert_int_eq(t->deadline, cet(11, 26, 10, 0)); /* Thursday 10:00 */
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_BOOKING);
	ev = find_event(EVENT_LOAN_ELIGIBLE, t->id);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->reason, "booking");
	ck_assert_int_eq(count_events(EVENT_TICKET_OPENED, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_TICKET_RECEIVED, t->id), 1);
}
END_TEST

START_TEST(test_platinum_booked_loan_before_item_arrives)
{
	const struct ticket *t;

	member(151335488, TIER_PLATINUM, "DE", -1);
	t = open_at("DE-PSC-TEST", "EOS R5", 151335488, SERVICE_REPAIR, 0, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->state, TSTATE_BOOKED);
	ck_assert_int_eq(t->deadline, 0);
	ck_assert(t->loan_eligible); /* before the member sends the item in */
	move_ok(t->id, TSTATE_RECEIVED, cet(11, 24, 10, 0));
	ck_assert_int_eq(t->deadline, cet(11, 26, 10, 0));
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, t->id), 1);
}
END_TEST

START_TEST(test_gold_free_forecast_loan_at_once)
{
	const struct ticket *t;
	struct engine_error err;

	member(2001, TIER_GOLD, "ZA", -1); /* free programme */
	t = receive("EOS R5", 2001, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 3);
	ck_assert_int_eq(t->programme, PROGRAMME_FREE);
	ck_assert_int_eq(t->deadline, cet(11, 25, 17, 0));
	ck_assert(!t->loan_eligible);
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 23, 11, 0), cet(12, 1, 12, 0), &err), 0);
	ck_assert(t->at_risk);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_FORECAST);
	ck_assert_str_eq(find_event(EVENT_TICKET_AT_RISK, t->id)->reason, "forecast");
	ck_assert_str_eq(find_event(EVENT_LOAN_ELIGIBLE, t->id)->reason, "forecast");
	/* Waiting for parts does not pause the clock. */
	ck_assert_int_eq(t->deadline, cet(11, 25, 17, 0));
	/* Breach later: no second loan event. */
	engine_advance(eng, cet(11, 26, 9, 0));
	ck_assert(t->breached);
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_TICKET_AT_RISK, t->id), 1);
}
END_TEST

START_TEST(test_gold_free_eta_within_deadline_no_forecast)
{
	const struct ticket *t;
	struct engine_error err;

	member(2001, TIER_GOLD, "ZA", -1);
	t = receive("EOS R5", 2001, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 23, 11, 0), cet(11, 24, 12, 0), &err),
	        0);
	ck_assert(!t->at_risk);
	ck_assert(!t->loan_eligible);
}
END_TEST

START_TEST(test_gold_subscription_loan_only_at_breach)
{
	const struct ticket *t;
	struct engine_error err;

	member(2002, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 2002, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 23, 11, 0), cet(12, 1, 12, 0), &err), 0);
	ck_assert(t->at_risk);
	ck_assert(!t->loan_eligible);
	engine_advance(eng, cet(11, 25, 17, 0)); /* exactly the deadline: not yet breached */
	ck_assert(!t->breached);
	engine_advance(eng, cet(11, 25, 17, 1));
	ck_assert(t->breached);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_BREACH);
	ck_assert_int_eq(find_event(EVENT_TICKET_BREACHED, t->id)->at, cet(11, 25, 17, 0));
	ck_assert_str_eq(find_event(EVENT_LOAN_ELIGIBLE, t->id)->reason, "breach");
}
END_TEST

START_TEST(test_silver_breach_no_loan)
{
	const struct ticket *t;
	const struct event *ev;

	member(3001, TIER_SILVER, "DE", -1);
	t = receive("EOS R5", 3001, cet(11, 23, 9, 0));
	ck_assert(t->fast_track);
	ck_assert_int_eq(t->target_days, 5);
	ck_assert_int_eq(t->deadline, cet(11, 27, 17, 0));
	engine_advance(eng, cet(11, 26, 9, 0)); /* 24h of 40h used: 60% */
	ck_assert(!t->at_risk);
	engine_advance(eng, cet(11, 27, 9, 0)); /* 32h = 80%: at risk since Thursday 15:00 */
	ck_assert(t->at_risk);
	ev = find_event(EVENT_TICKET_AT_RISK, t->id);
	ck_assert_int_eq(ev->at, cet(11, 26, 15, 0));
	ck_assert_str_eq(ev->reason, "budget");
	engine_advance(eng, cet(11, 30, 10, 0));
	ck_assert(t->breached);
	ck_assert_int_eq(count_events(EVENT_TICKET_BREACHED, t->id), 1);
	ck_assert(!t->loan_eligible);
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, 0), 0);
}
END_TEST

START_TEST(test_red_non_member_expired_standard)
{
	const struct ticket *red, *none, *expired, *unknown;

	member(4001, TIER_RED, "DE", -1);
	member(4002, TIER_PLATINUM, "DE", days_from_civil(2026, 10, 31));
	red = receive("EOS R5", 4001, cet(11, 23, 9, 0));
	none = receive("EOS R5", 0, cet(11, 23, 9, 0));
	expired = receive("EOS R5", 4002, cet(11, 23, 9, 0));
	unknown = receive("EOS R5", 999999, cet(11, 23, 9, 0));
	ck_assert(!red->fast_track);
	ck_assert_int_eq(red->reason, FT_TIER_BELOW_SILVER);
	ck_assert_int_eq(red->target_days, 10);
	ck_assert(!none->fast_track);
	ck_assert_int_eq(none->reason, FT_NOT_A_MEMBER);
	ck_assert_int_eq(none->target_days, 10);
	ck_assert_int_eq(none->tier, TIER_NONE);
	ck_assert(!expired->fast_track);
	ck_assert_int_eq(expired->reason, FT_MEMBERSHIP_EXPIRED);
	ck_assert_int_eq(expired->target_days, 10);
	ck_assert(!expired->loan_eligible);
	ck_assert_int_eq(unknown->reason, FT_NOT_A_MEMBER);
	/* 10 days = 80 business hours from Monday 09:00: Friday of the next week, 17:00. */
	ck_assert_int_eq(red->deadline, cet(12, 4, 17, 0));
}
END_TEST

START_TEST(test_expiry_is_inclusive)
{
	const struct ticket *t;

	member(4003, TIER_GOLD, "DE", days_from_civil(2026, 11, 23));
	t = receive("EOS R5", 4003, cet(11, 23, 9, 0));
	ck_assert(t->fast_track); /* valid through its expiry date */
}
END_TEST

START_TEST(test_video_platinum_five_days)
{
	const struct ticket *t;

	member(5001, TIER_PLATINUM, "DE", -1);
	t = receive("EOS C70", 5001, cet(11, 23, 9, 0));
	ck_assert(t->fast_track);
	ck_assert_int_eq(t->target_days, 5);
	ck_assert_int_eq(t->pclass, PCLASS_VIDEO);
	ck_assert_int_eq(t->deadline, cet(11, 27, 17, 0));
}
END_TEST

START_TEST(test_video_free_gold_loan_at_breach_of_five_days)
{
	const struct ticket *t;

	member(5002, TIER_GOLD, "ZA", -1);
	t = receive("EOS C70", 5002, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 5);
	engine_advance(eng, cet(11, 27, 16, 0));
	ck_assert(!t->loan_eligible);
	engine_advance(eng, cet(11, 30, 9, 0));
	ck_assert(t->breached);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_BREACH);
}
END_TEST

START_TEST(test_service_at_centre_types)
{
	const struct ticket *asp, *psc, *asp_repair;

	member(6001, TIER_GOLD, "DE", -1);
	asp = open_at("DE-ASP-TEST", "EOS R5", 6001, SERVICE_MAINTENANCE, cet(11, 23, 9, 0),
	              cet(11, 23, 9, 0));
	ck_assert(!asp->fast_track);
	ck_assert_int_eq(asp->reason, FT_SERVICE_NOT_HERE);
	ck_assert_int_eq(asp->target_days, 10);
	psc = open_at("DE-PSC-TEST", "EOS R5", 6001, SERVICE_MAINTENANCE, cet(11, 23, 9, 0),
	              cet(11, 23, 9, 0));
	ck_assert(psc->fast_track);
	asp_repair = open_at("DE-ASP-TEST", "EOS R5", 6001, SERVICE_REPAIR, cet(11, 23, 9, 0),
	                     cet(11, 23, 9, 0));
	ck_assert(asp_repair->fast_track);
}
END_TEST

START_TEST(test_product_rules)
{
	struct ticket_open in = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "AB1234",
	                         .service = SERVICE_REPAIR,
	                         .member = 7001,
	                         .registered = false,
	                         .who = "test"};
	const struct ticket *t;
	struct engine_error err = {0};

	member(7001, TIER_PLATINUM, "DE", -1);
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_REGISTRATION_INCOMPLETE);
	ck_assert(!t->loan_eligible);
	in.registered = true;
	in.product = "EOS R50";
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_PRODUCT_NOT_ELIGIBLE);
	in.product = "EOS R6";
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"EOS R6 Mark II\""));
	in.unlisted = true;
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_PRODUCT_UNLISTED);
	ck_assert_int_eq(t->target_days, 10);
	ck_assert_int_eq(t->pclass, PCLASS_OTHER);
	in.serial = "AB 12";
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_INVALID);
	ck_assert_str_eq(err.msg, "serial \"AB 12\": letters and digits only");
	in.serial = "AB1234";
	in.centre = "XX-NONE";
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_NOTFOUND);
	ck_assert_uint_eq(engine_ticket_count(eng), 3);
}
END_TEST

START_TEST(test_estonia_platinum_served_as_silver)
{
	const struct ticket *t;
	const struct member *m;

	member(8001, TIER_PLATINUM, "EE", -1);
	m = engine_member_get(eng, 8001);
	ck_assert_int_eq(m->tier, TIER_PLATINUM);
	ck_assert_int_eq(engine_member_effective_tier(eng, m), TIER_SILVER);
	t = receive("EOS R5", 8001, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->tier, TIER_SILVER);
	ck_assert_int_eq(t->target_days, 5);
	ck_assert(!t->loan_eligible);
}
END_TEST

START_TEST(test_country_target_override)
{
	const struct ticket *t;

	member(8002, TIER_GOLD, "DE", -1);
	t = open_at("NL-PSC-TEST", "EOS R5", 8002, SERVICE_REPAIR, cet(11, 23, 9, 0),
	            cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 4);
}
END_TEST

START_TEST(test_snapshot_survives_member_change)
{
	const struct ticket *t;

	member(8003, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 8003, cet(11, 23, 9, 0));
	member(8003, TIER_SILVER, "DE", -1);
	ck_assert_int_eq(t->tier, TIER_PLATINUM);
	ck_assert_int_eq(t->target_days, 2);
	ck_assert_int_eq(engine_member_del(eng, 8003, cet(11, 23, 10, 0)), 1);
	ck_assert_int_eq(engine_member_del(eng, 8003, cet(11, 23, 10, 0)), 0);
	ck_assert_ptr_null(engine_member_get(eng, 8003));
	ck_assert_int_eq(t->tier, TIER_PLATINUM);
}
END_TEST

/* ---- the three-items rule --------------------------------------------------- */

static const struct ticket *three_and_a_fourth(uint64_t mem, int booked_fourth)
{
	member(mem, TIER_GOLD, "DE", -1);
	for (int i = 0; i < 3; i++)
		ck_assert(receive("EOS R5", mem, cet(11, 23, 9 + i, 0))->holds_slot);
	ck_assert_uint_eq(engine_member_get(eng, mem)->in_service, 3);
	if (booked_fourth)
		return open_at("DE-PSC-TEST", "EOS R5", mem, SERVICE_REPAIR, 0, cet(11, 23, 12, 0));
	return receive("EOS R5", mem, cet(11, 23, 12, 0));
}

START_TEST(test_fourth_item_standard)
{
	const struct ticket *t = three_and_a_fourth(9001, 0);

	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_int_eq(t->target_days, 10);
	ck_assert(!t->queued);
	ck_assert_uint_eq(engine_member_get(eng, 9001)->in_service, 3);
	assert_invariants(cet(11, 23, 12, 0));
}
END_TEST

START_TEST(test_fourth_booked_checked_on_arrival)
{
	const struct ticket *t = three_and_a_fourth(9002, 1);

	ck_assert(t->fast_track); /* booked: not in service yet */
	move_ok(t->id, TSTATE_RECEIVED, cet(11, 23, 13, 0));
	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->reason, FT_IN_SERVICE_LIMIT);
}
END_TEST

START_TEST(test_fourth_item_reject)
{
	struct ticket_open in = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "AB1234",
	                         .service = SERVICE_REPAIR,
	                         .member = 9003,
	                         .registered = true,
	                         .received = true,
	                         .who = "test"};
	const struct ticket *t, *booked;
	struct engine_error err = {0};
	uint64_t before;
	size_t events;

	teardown();
	setup_with("policy: {over_limit: reject}\n", NULL);
	booked = three_and_a_fourth(9003, 1);
	before = engine_ticket_count(eng);
	events = nemitted();
	in.received_at = cet(11, 23, 12, 30);
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 12, 30), &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_LIMIT);
	ck_assert_str_eq(err.msg, "member 9003 has 3 Fast Track items in service (limit 3)");
	ck_assert_uint_eq(engine_ticket_count(eng), before);
	ck_assert_uint_eq(nemitted(), events);
	/* The receipt of the booked fourth is refused too, and changes nothing. */
	ck_assert_int_eq(move(booked->id, TSTATE_RECEIVED, cet(11, 23, 13, 0), 0, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_LIMIT);
	ck_assert_int_eq(booked->state, TSTATE_BOOKED);
	ck_assert_uint_eq(nemitted(), events);
}
END_TEST

START_TEST(test_fourth_item_queue_and_promotion)
{
	const struct ticket *t, *first;
	const struct event *ev;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	t = three_and_a_fourth(9004, 0);
	first = engine_ticket_get(eng, 1);
	ck_assert(!t->fast_track);
	ck_assert(t->queued);
	ck_assert_int_eq(t->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_uint_eq(engine_member_get(eng, 9004)->nqueued, 1);
	/* A slot frees on Wednesday 10:00: the queued ticket becomes Fast Track from then. */
	move_ok(first->id, TSTATE_READY, cet(11, 25, 10, 0));
	ck_assert(t->fast_track);
	ck_assert(!t->queued);
	ck_assert(t->holds_slot);
	ck_assert_int_eq(t->reason, FT_OK);
	ck_assert_int_eq(t->target_days, 3);
	ck_assert_int_eq(t->used, 0);
	ck_assert_int_eq(t->deadline, cet(11, 30, 10, 0)); /* 24h from Wednesday 10:00 */
	ev = find_event(EVENT_TICKET_PROMOTED, t->id);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->at, cet(11, 25, 10, 0));
	ck_assert_uint_eq(engine_member_get(eng, 9004)->in_service, 3);
	ck_assert_uint_eq(engine_member_get(eng, 9004)->nqueued, 0);
	assert_invariants(cet(11, 25, 10, 0));
}
END_TEST

START_TEST(test_queue_oldest_first_and_cancel)
{
	const struct ticket *q1, *q2;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	q1 = three_and_a_fourth(9005, 0);
	q2 = receive("EOS R5", 9005, cet(11, 23, 13, 0));
	ck_assert(q1->queued && q2->queued);
	move_ok(q1->id, TSTATE_CANCELLED, cet(11, 23, 14, 0)); /* leaves the queue */
	ck_assert(!q1->queued);
	move_ok(2, TSTATE_CANCELLED, cet(11, 23, 15, 0)); /* a slot frees */
	ck_assert(q2->fast_track);
	ck_assert(!q2->queued);
	ck_assert(!q1->fast_track);
	assert_invariants(cet(11, 23, 15, 0));
}
END_TEST

START_TEST(test_slot_held_until_ready_not_return)
{
	const struct ticket *t;

	member(9006, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 9006, cet(11, 23, 9, 0));
	ck_assert_uint_eq(engine_member_get(eng, 9006)->in_service, 1);
	move_ok(t->id, TSTATE_DIAGNOSING, cet(11, 23, 10, 0));
	move_ok(t->id, TSTATE_READY, cet(11, 23, 11, 0));
	ck_assert_uint_eq(engine_member_get(eng, 9006)->in_service, 0);
	move_ok(t->id, TSTATE_RETURNED, cet(11, 24, 11, 0));
	ck_assert_uint_eq(engine_member_get(eng, 9006)->in_service, 0);
	ck_assert_int_eq(count_events(EVENT_TICKET_CLOSED, t->id), 1);
}
END_TEST

/* ---- the clock ---------------------------------------------------------------- */

START_TEST(test_pause_moves_deadline_by_paused_time)
{
	const struct ticket *t;

	member(10001, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 10001, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->deadline, cet(11, 25, 17, 0));
	move_ok(t->id, TSTATE_AWAITING_CUSTOMER, cet(11, 23, 13, 0));
	ck_assert_int_eq(t->used, 4 * H);
	engine_advance(eng, cet(11, 26, 12, 0));
	ck_assert(!t->breached); /* paused across the old deadline */
	ck_assert(!t->at_risk);
	/* Resume after exactly 3 business days (24h) of waiting. */
	move_ok(t->id, TSTATE_IN_REPAIR, cet(11, 26, 13, 0));
	ck_assert_int_eq(t->used, 4 * H);
	ck_assert_int_eq(t->deadline, cet(11, 30, 17, 0)); /* old deadline + 3 business days */
}
END_TEST

START_TEST(test_received_after_hours_and_weekend)
{
	const struct ticket *t;
	struct ticket_clock c;

	member(10002, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 10002, cet(11, 27, 18, 30)); /* Friday evening */
	ck_assert_int_eq(t->deadline, cet(12, 1, 17, 0));  /* Monday 09:00 + 16h */
	engine_ticket_clock(eng, t, cet(11, 29, 12, 0), &c);
	ck_assert_int_eq(c.used, 0);
	ck_assert_int_eq(c.remaining, 16 * H);
	ck_assert(c.running);
	engine_ticket_clock(eng, t, cet(11, 30, 10, 30), &c);
	ck_assert_int_eq(c.used, 90 * 60);
}
END_TEST

START_TEST(test_holiday_moves_deadline)
{
	const struct ticket *t;

	teardown();
	setup_with(NULL, "2026-11-30"); /* the Monday a holiday */
	member(10003, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 10003, cet(11, 26, 10, 0)); /* Thursday 10:00 */
	ck_assert_int_eq(t->deadline, cet(12, 2, 10, 0)); /* Wednesday, not Tuesday */
}
END_TEST

START_TEST(test_breach_sticky_and_events_once)
{
	const struct ticket *t;

	member(10004, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 10004, cet(11, 23, 9, 0));
	for (int i = 0; i < 50; i++)
		engine_advance(eng, cet(11, 23, 9, 0) + i * 2 * H);
	ck_assert(t->breached);
	move_ok(t->id, TSTATE_READY, cet(11, 27, 10, 0));
	ck_assert_int_eq(t->met, 0);
	move_ok(t->id, TSTATE_IN_REPAIR, cet(11, 27, 11, 0)); /* failed final check */
	ck_assert_int_eq(t->met, -1);
	ck_assert(t->breached);
	move_ok(t->id, TSTATE_READY, cet(11, 27, 12, 0));
	ck_assert_int_eq(t->met, 0);
	for (int i = 0; i < 20; i++)
		engine_advance(eng, cet(12, 1, 9, 0) + i * H);
	ck_assert_int_eq(count_events(EVENT_TICKET_BREACHED, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_TICKET_AT_RISK, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_TICKET_READY, t->id), 2);
}
END_TEST

START_TEST(test_met_when_ready_on_time)
{
	const struct ticket *t;

	member(10005, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 10005, cet(11, 23, 9, 0));
	move_ok(t->id, TSTATE_IN_REPAIR, cet(11, 24, 9, 0));
	move_ok(t->id, TSTATE_READY, cet(11, 25, 17, 0)); /* exactly at the deadline */
	ck_assert_int_eq(t->met, 1);
	ck_assert(!t->breached);
	ck_assert_str_eq(find_event(EVENT_TICKET_READY, t->id)->reason, "met");
	engine_advance(eng, cet(12, 10, 9, 0));
	ck_assert(!t->breached);
	ck_assert_ptr_null(find_event(EVENT_TICKET_BREACHED, t->id));
}
END_TEST

START_TEST(test_illegal_moves)
{
	const struct ticket *t;
	struct engine_error err = {0};

	member(11001, TIER_GOLD, "DE", -1);
	t = open_at("DE-PSC-TEST", "EOS R5", 11001, SERVICE_REPAIR, 0, cet(11, 23, 9, 0));
	ck_assert_int_eq(move(t->id, TSTATE_READY, cet(11, 23, 10, 0), 0, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_STATE);
	ck_assert_str_eq(err.msg,
	                 "ticket 1 is booked: cannot move to ready (allowed: received, cancelled)");
	move_ok(t->id, TSTATE_RECEIVED, cet(11, 23, 10, 0));
	ck_assert_int_eq(move(t->id, TSTATE_RECEIVED, cet(11, 23, 11, 0), 0, &err), -1);
	ck_assert_int_eq(move(t->id, TSTATE_RETURNED, cet(11, 23, 11, 0), 0, &err), -1);
	ck_assert_int_eq(move(t->id, TSTATE_IN_REPAIR, cet(11, 23, 11, 0), cet(11, 30, 9, 0), &err),
	                 -1);
	ck_assert_int_eq(err.status, ENGINE_INVALID);
	move_ok(t->id, TSTATE_READY, cet(11, 23, 12, 0));
	move_ok(t->id, TSTATE_RETURNED, cet(11, 23, 13, 0));
	ck_assert_int_eq(move(t->id, TSTATE_IN_REPAIR, cet(11, 23, 14, 0), 0, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "closed"));
	ck_assert_int_eq(move(99, TSTATE_IN_REPAIR, cet(11, 23, 14, 0), 0, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_NOTFOUND);
}
END_TEST

START_TEST(test_cancel_any_not_ready)
{
	for (int s = TSTATE_BOOKED; s <= TSTATE_IN_REPAIR; s++) {
		const struct ticket *t;
		int64_t at = cet(11, 23, 9, 0) + s * 60;
		t = open_at("DE-PSC-TEST", "EOS R5", 0, SERVICE_REPAIR, 0, at);
		if (s >= TSTATE_RECEIVED)
			move_ok(t->id, TSTATE_RECEIVED, at);
		if (s > TSTATE_RECEIVED)
			move_ok(t->id, (enum ticket_state)s, at);
		move_ok(t->id, TSTATE_CANCELLED, at + 1);
		ck_assert_int_eq(t->state, TSTATE_CANCELLED);
		ck_assert_int_eq(t->closed_at, at + 1);
	}
}
END_TEST

START_TEST(test_history)
{
	const struct ticket *t;
	struct engine_error err;

	member(11002, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 11002, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 23, 10, 0), cet(11, 24, 9, 0), &err), 0);
	ck_assert_uint_eq(t->nhist, 4); /* opened, received, loan eligible (booking), moved */
	ck_assert_int_eq(hist_kind(&t->hist[0]), HIST_OPENED);
	ck_assert_int_eq(hist_kind(&t->hist[1]), HIST_MOVED);
	ck_assert_int_eq(hist_kind(&t->hist[2]), HIST_LOAN_ELIGIBLE);
	ck_assert_str_eq(t->hist[3].detail, "received -> awaiting_parts, ETA 2026-11-24T08:00:00Z");
	ck_assert_str_eq(engine_str(eng, hist_who(&t->hist[3])), "test");
	ck_assert_int_eq(hist_at(&t->hist[3]), cet(11, 23, 10, 0));
}
END_TEST

START_TEST(test_backdated_and_future_moves)
{
	const struct ticket *t;
	struct ticket_move mv = {.to = TSTATE_DIAGNOSING, .who = "test"};
	struct engine_error err;

	t = receive("EOS R5", 0, cet(11, 23, 10, 0));
	mv.id = t->id;
	mv.at = cet(11, 23, 9, 0); /* before it was received */
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 12, 0), &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_INVALID);
	mv.at = cet(11, 23, 13, 0); /* after now */
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 12, 0), &t, &err), -1);
	mv.at = cet(11, 23, 11, 0);
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 12, 0), &t, &err), 0);
	ck_assert_int_eq(t->last_change, cet(11, 23, 11, 0));
}
END_TEST

START_TEST(test_loans_issue_return)
{
	const struct ticket *t, *out;
	struct engine_error err;

	member(12001, TIER_PLATINUM, "DE", -1);
	member(12002, TIER_SILVER, "DE", -1);
	t = receive("EOS R5", 12002, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        engine_loan_issue(eng, t->id, NULL, NULL, "test", cet(11, 23, 10, 0), &out, &err),
	        -1);
	ck_assert_int_eq(err.status, ENGINE_STATE);
	t = receive("EOS R5", 12001, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        engine_loan_return(eng, t->id, NULL, "test", cet(11, 23, 10, 0), &out, &err), -1);
	ck_assert_int_eq(engine_loan_issue(eng, t->id, "LN0001", "body", "test", cet(11, 23, 10, 0),
	                                   &out, &err),
	                 0);
	ck_assert_int_eq(t->loan_state, LOAN_ISSUED);
	ck_assert_int_eq(
	        engine_loan_issue(eng, t->id, NULL, NULL, "test", cet(11, 23, 10, 0), &out, &err),
	        -1);
	ck_assert_int_eq(
	        engine_loan_return(eng, t->id, NULL, "test", cet(11, 24, 10, 0), &out, &err), 0);
	ck_assert_int_eq(t->loan_state, LOAN_RETURNED);
	ck_assert_int_eq(count_events(EVENT_LOAN_ISSUED, t->id), 1);
	ck_assert_int_eq(count_events(EVENT_LOAN_RETURNED, t->id), 1);
}
END_TEST

START_TEST(test_member_numbers)
{
	char err[256];
	uint64_t n;

	ck_assert_int_eq(policy_parse_member_number("151335488", &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 151335488);
	ck_assert_int_eq(policy_parse_member_number("UK013795RS", &n, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "expired in April 2010"));
	ck_assert_int_eq(policy_parse_member_number("1234567890123", &n, err, sizeof err), -1);
	ck_assert_int_eq(policy_parse_member_number("", &n, err, sizeof err), -1);
	ck_assert_int_eq(policy_parse_member_number("12 34", &n, err, sizeof err), -1);
	ck_assert_int_eq(policy_parse_member_number("-5", &n, err, sizeof err), -1);
}
END_TEST

START_TEST(test_enterprise_and_programmes)
{
	struct member_input in = {.number = 13001, .tier = TIER_ENTERPRISE_A, .expires = -1};
	struct engine_error err;
	const struct ticket *t;

	memcpy(in.country, "DE", 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 0, 0), &err), 0);
	t = receive("EOS R5", 13001, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 2);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_BOOKING);
	in.has_programme = true;
	in.programme = PROGRAMME_FREE;
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 0, 0), &err), -1);
	ck_assert_int_eq(err.status, ENGINE_INVALID);
	/* A record naming its programme wins over the country's. */
	in.tier = TIER_GOLD;
	in.number = 13002;
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 0, 0), &err), 0);
	t = receive("EOS R5", 13002, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->programme, PROGRAMME_FREE);
}
END_TEST

START_TEST(test_config_change_keeps_used_time)
{
	const struct ticket *t;
	struct config *next;
	struct engine_error err;

	member(14001, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 14001, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->deadline, cet(11, 25, 17, 0));
	/* Tuesday 13:00 (12h used): Wednesday becomes a holiday and Gold gets 4 days. */
	next = make_config("policy: {targets: {gold: 4}}\n", "2026-11-25");
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 24, 13, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	ck_assert_int_eq(t->used, 12 * H);
	ck_assert_int_eq(t->target_days, 4);
	/* 20h left from Tuesday 13:00: Tue 4h, (Wed holiday), Thu 8h, Fri 8h. */
	ck_assert_int_eq(t->deadline, cet(11, 27, 17, 0));
}
END_TEST

START_TEST(test_queries_and_stats)
{
	const struct ticket *out[10];
	struct ticket_filter f = {.state = -1, .scope = SCOPE_OPEN, .count = 10};
	struct engine_stats st;
	struct ticket_fields tf;

	member(15001, TIER_PLATINUM, "DE", -1);
	member(15002, TIER_SILVER, "DE", -1);
	receive("EOS R5", 15001, cet(11, 23, 9, 0));
	receive("EOS R5", 15002, cet(11, 23, 9, 0));
	open_at("DE-ASP-TEST", "EOS R5", 15002, SERVICE_REPAIR, cet(11, 23, 9, 0),
	        cet(11, 23, 9, 0));
	move_ok(2, TSTATE_READY, cet(11, 24, 9, 0));
	move_ok(2, TSTATE_RETURNED, cet(11, 24, 10, 0));
	engine_advance(eng, cet(11, 26, 9, 0)); /* ticket 1 (Platinum, 2 days) breached */
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 2);
	f.scope = SCOPE_ALL;
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 3);
	f.after = 1;
	f.count = 1;
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 1);
	ck_assert_uint_eq(out[0]->id, 2);
	f = (struct ticket_filter){.state = -1, .scope = SCOPE_OPEN, .count = 10, .breached = true};
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 1);
	ck_assert_uint_eq(out[0]->id, 1);
	f = (struct ticket_filter){.state = -1, .count = 10, .centre = "DE-ASP-TEST"};
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 1);
	f.centre = "NOPE";
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 0);
	f = (struct ticket_filter){.state = -1, .scope = SCOPE_ALL, .count = 10, .member = 15002};
	ck_assert_uint_eq(engine_ticket_list(eng, &f, out), 2);

	engine_stats(eng, NULL, -1, -1, &st);
	ck_assert_uint_eq(st.open, 2);
	ck_assert_uint_eq(st.closed, 1);
	ck_assert_uint_eq(st.met, 1);
	ck_assert_uint_eq(st.missed, 0);
	ck_assert_uint_eq(st.breached, 1);
	ck_assert_uint_eq(st.loans_eligible, 1);
	ck_assert_uint_eq(st.met_tier[TIER_SILVER], 1);
	engine_stats(eng, "DE-ASP-TEST", -1, -1, &st);
	ck_assert_uint_eq(st.open, 1);
	ck_assert_uint_eq(st.met, 0);
	engine_stats(eng, NULL, days_from_civil(2026, 11, 25), -1, &st);
	ck_assert_uint_eq(st.met, 0);

	engine_ticket_fields(eng, engine_ticket_get(eng, 1), cet(11, 26, 9, 0), &tf);
	ck_assert_str_eq(ticket_field_names[0], "id");
	ck_assert_str_eq(tf.v[0], "1");
	ck_assert_str_eq(tf.v[1], "15001");
	ck_assert_str_eq(tf.v[2], "platinum");
	ck_assert_str_eq(tf.v[3], "subscription");
	ck_assert_str_eq(tf.v[4], "DE-PSC-TEST");
	ck_assert_str_eq(tf.v[5], "psc");
	ck_assert_str_eq(tf.v[6], "EOS R5");
	ck_assert_str_eq(tf.v[12], "fast-track");
	ck_assert_str_eq(tf.v[16], "2026-11-24T16:00:00Z"); /* Tuesday 17:00 CET */
	ck_assert_str_eq(tf.v[17], "86400");                /* 24h used of 16h */
	ck_assert_str_eq(tf.v[18], "-28800");
	ck_assert_str_eq(tf.v[21], "1");
	ck_assert_str_eq(tf.v[24], "");
	ck_assert_str_eq(tf.v[26], "booking");
	ck_assert_str_eq(tf.v[27], "");
}
END_TEST

/* ---- property test -------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * The three-items rule at every moment (DOMAIN.md): each member's in_service
 * equals its Fast Track tickets between receipt and ready, within the limit.
 * Counted here from the tickets, independently of the engine's bookkeeping.
 */
static void assert_slots(int64_t now)
{
	uint32_t count[8] = {0};
	int limit = engine_config(eng)->in_service_limit;

	for (uint64_t id = 1; id <= engine_ticket_count(eng); id++) {
		const struct ticket *t = engine_ticket_get(eng, id);
		if (t->fast_track && t->member != 0 && t->state >= TSTATE_RECEIVED &&
		    t->state <= TSTATE_IN_REPAIR)
			count[t->member]++;
	}
	for (uint64_t m = 1; m < 8; m++) {
		const struct member *mm = engine_member_any(eng, m);
		uint32_t in = mm ? mm->in_service : 0;
		ck_assert_msg(in == count[m],
		              "member %" PRIu64 ": in_service %u, %u Fast Track in service", m, in,
		              count[m]);
		ck_assert_msg(in <= (uint32_t)limit, "member %" PRIu64 ": %u in service, limit %d",
		              m, in, limit);
	}
	assert_invariants(now);
}

/* A reload to one of two limits, so that the limit moves under open tickets. */
static void reload(int64_t now, unsigned variant)
{
	static const char *const policies[] = {
	        "policy: {over_limit: queue}\n",
	        "policy: {over_limit: queue, in_service_limit: 2}\n",
	        "policy: {over_limit: standard}\n",
	        "policy: {over_limit: standard, in_service_limit: 2}\n"};
	struct config *next = make_config(policies[variant % 4], "2026-11-11, 2026-12-24");
	struct engine_error err;

	ck_assert_int_eq(engine_set_config(eng, next, now, &err), 0);
	config_free(cfg);
	cfg = next;
}

START_TEST(test_random_operations_keep_invariants)
{
	static const char *const products[] = {"EOS R5", "EOS C70", "EOS R50"};
	static const enum tier tiers[] = {TIER_RED, TIER_SILVER, TIER_GOLD, TIER_PLATINUM};
	static const char *const countries[] = {"DE", "ZA", "EE"};
	int64_t now = cet(11, 2, 8, 0);
	uint64_t last_seq = 0;
	size_t seen = 0;

	teardown();
	setup_with(_i == 0 ? "policy: {over_limit: queue}\n" : "policy: {over_limit: standard}\n",
	           "2026-11-11, 2026-12-24");
	rng_state += (uint64_t)_i;
	for (uint64_t m = 1; m <= 5; m++)
		member(m, tiers[rnd() % 4], countries[rnd() % 3], -1);
	for (int step = 0; step < 4000; step++) {
		unsigned op = (unsigned)(rnd() % 20);
		struct engine_error err;
		const struct ticket *t;

		now += (int64_t)(rnd() % (6 * H));
		if (op < 6 || engine_ticket_count(eng) == 0) {
			struct ticket_open in = {.centre =
			                                 rnd() % 4 ? "DE-PSC-TEST" : "DE-ASP-TEST",
			                         .product = products[rnd() % 3],
			                         .serial = "SN0001",
			                         .service = (enum service)(rnd() % 3),
			                         .member = rnd() % 6,
			                         .registered = rnd() % 5 != 0,
			                         .received = rnd() % 2,
			                         .received_at = now - (int64_t)(rnd() % H),
			                         .who = "prop"};
			engine_ticket_open(eng, &in, now, &t, &err);
		} else if (op < 17) {
			/* Every move, reopening and cancelling included; promotions follow. */
			struct ticket_move mv = {
			        .id = 1 + rnd() % engine_ticket_count(eng),
			        .to = (enum ticket_state)(1 + rnd() % (TSTATE_COUNT - 1)),
			        .who = "prop"};
			if (mv.to == TSTATE_AWAITING_PARTS && rnd() % 2)
				mv.eta = now + (int64_t)(rnd() % (10 * 24 * H));
			engine_ticket_move(eng, &mv, now, &t, &err);
		} else if (op == 17) {
			reload(now, (unsigned)(rnd() % 4) + (_i == 0 ? 0 : 2));
		} else if (op == 18) {
			uint64_t m = 1 + rnd() % 5;
			if (rnd() % 4 == 0)
				engine_member_del(eng, m, now);
			else
				member(m, tiers[rnd() % 4], countries[rnd() % 3], -1);
		} else {
			engine_advance(eng, now);
		}
		assert_slots(now);
		/* Take the events as the shell's log would, checking the sequence. */
		for (; seen < nemitted(); seen++) {
			const struct event *evs;
			engine_emitted(eng, &evs);
			ck_assert_uint_gt(evs[seen].seq, last_seq);
			last_seq = evs[seen].seq;
		}
		if (seen > 1000) {
			engine_clear_changes(eng); /* what a journal commit does */
			seen = 0;
		}
		if (engine_outbox_count(eng) > 500)
			engine_outbox_drop(eng, engine_outbox_count(eng) / 2);
	}
	assert_invariants(now);
	ck_assert_uint_eq(last_seq, engine_last_seq(eng));
}
END_TEST

/* ---- review findings: tests that kill mutants and pin fixed bugs ---- */

START_TEST(test_silver_only_does_not_lift_red)
{
	const struct ticket *t;

	member(21001, TIER_RED, "EE", -1);
	ck_assert_int_eq(engine_member_effective_tier(eng, engine_member_get(eng, 21001)),
	                 TIER_RED);
	t = receive("EOS R5", 21001, cet(11, 23, 9, 0));
	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->tier, TIER_RED);
	ck_assert_int_eq(t->reason, FT_TIER_BELOW_SILVER);
}
END_TEST

START_TEST(test_country_override_shorter_than_default)
{
	const struct ticket *nl, *de;

	teardown();
	setup_with("policy: {targets: {gold: 5}}\n", NULL); /* NL overrides gold to 4 */
	member(21002, TIER_GOLD, "DE", -1);
	nl = open_at("NL-PSC-TEST", "EOS R5", 21002, SERVICE_REPAIR, cet(11, 23, 9, 0),
	             cet(11, 23, 9, 0));
	de = receive("EOS R5", 21002, cet(11, 23, 9, 0));
	ck_assert_int_eq(nl->target_days, 4);
	ck_assert_int_eq(de->target_days, 5);
}
END_TEST

START_TEST(test_video_minimum_applies_to_standard_service)
{
	const struct ticket *video, *body;

	teardown();
	setup_with("policy: {standard_days: 3}\n", NULL);
	video = receive("EOS C70", 0, cet(11, 23, 9, 0));
	body = receive("EOS R5", 0, cet(11, 23, 9, 0));
	ck_assert(!video->fast_track);
	ck_assert_int_eq(video->target_days, 5);
	ck_assert_int_eq(body->target_days, 3);
}
END_TEST

START_TEST(test_reason_order_product_before_registration)
{
	struct ticket_open in = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R50",
	                         .serial = "AB1234",
	                         .service = SERVICE_MAINTENANCE,
	                         .member = 21004,
	                         .registered = false,
	                         .who = "test"};
	const struct ticket *t;
	struct engine_error err = {0};

	member(21004, TIER_GOLD, "DE", -1);
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_PRODUCT_NOT_ELIGIBLE);
	in.product = "EOS Unknown";
	in.unlisted = true;
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_PRODUCT_UNLISTED);
	/* registered, eligible, but maintenance at an ASP: the service check comes last */
	in.product = "EOS R5";
	in.unlisted = false;
	in.registered = false;
	in.centre = "DE-ASP-TEST";
	ck_assert_int_eq(engine_ticket_open(eng, &in, cet(11, 23, 9, 0), &t, &err), 0);
	ck_assert_int_eq(t->reason, FT_REGISTRATION_INCOMPLETE);
}
END_TEST

START_TEST(test_reason_order_expiry_before_tier)
{
	const struct ticket *t;

	member(21005, TIER_RED, "DE", days_from_civil(2026, 10, 31));
	t = receive("EOS R5", 21005, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->reason, FT_MEMBERSHIP_EXPIRED);
}
END_TEST

START_TEST(test_queue_promotes_oldest_first)
{
	const struct ticket *q1, *q2;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	q1 = three_and_a_fourth(21006, 0);                 /* queued at 12:00 */
	q2 = receive("EOS R5", 21006, cet(11, 23, 13, 0)); /* queued at 13:00 */
	move_ok(3, TSTATE_READY, cet(11, 23, 14, 0));      /* one slot frees */
	ck_assert(q1->fast_track);
	ck_assert(!q1->queued);
	ck_assert(!q2->fast_track);
	ck_assert(q2->queued);
	ck_assert_uint_eq(engine_member_get(eng, 21006)->nqueued, 1);
	ck_assert_uint_eq(engine_member_get(eng, 21006)->queued[0], q2->id);
}
END_TEST

START_TEST(test_promotion_drops_time_used_before)
{
	const struct ticket *q;
	struct ticket_clock c;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	q = three_and_a_fourth(21007, 0);                     /* queued Mon 12:00 */
	move_ok(q->id, TSTATE_DIAGNOSING, cet(11, 24, 9, 0)); /* 5h folded into used */
	ck_assert_int_eq(q->used, 5 * H);
	move_ok(1, TSTATE_READY, cet(11, 25, 10, 0)); /* promoted Wed 10:00 */
	ck_assert_int_eq(q->used, 0);
	ck_assert_int_eq(q->deadline, cet(11, 30, 10, 0));
	engine_ticket_clock(eng, q, cet(11, 25, 12, 0), &c);
	ck_assert_int_eq(c.used, 2 * H);
}
END_TEST

START_TEST(test_reopen_retakes_slot)
{
	const struct ticket *t;

	member(21008, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 21008, cet(11, 23, 9, 0));
	move_ok(t->id, TSTATE_READY, cet(11, 23, 12, 0));
	ck_assert_uint_eq(engine_member_get(eng, 21008)->in_service, 0);
	move_ok(t->id, TSTATE_IN_REPAIR, cet(11, 23, 13, 0));
	ck_assert(t->holds_slot);
	ck_assert_uint_eq(engine_member_get(eng, 21008)->in_service, 1);
	assert_invariants(cet(11, 23, 13, 0));
}
END_TEST

/*
 * Issue 13: a reopened ticket broke the three-items rule. Ticket 1 ready, three
 * more Fast Track items received, ticket 1 back to in_repair: it stayed Fast
 * Track without a slot (four Fast Track items in service, in_service 3).
 */
START_TEST(bug_reopen_without_free_slot_keeps_fast_track)
{
	const struct ticket *first;

	member(21009, TIER_GOLD, "DE", -1);
	first = receive("EOS R5", 21009, cet(11, 23, 9, 0));
	move_ok(first->id, TSTATE_READY, cet(11, 23, 10, 0));
	for (int i = 0; i < 3; i++)
		ck_assert(receive("EOS R5", 21009, cet(11, 23, 11 + i, 0))->holds_slot);
	move_ok(first->id, TSTATE_IN_REPAIR, cet(11, 23, 15, 0));
	ck_assert(!first->fast_track);
	ck_assert(!first->holds_slot);
	ck_assert(!first->queued);
	ck_assert_int_eq(first->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_int_eq(first->target_days, 10);
	ck_assert_uint_eq(engine_member_get(eng, 21009)->in_service, 3);
	assert_invariants(cet(11, 23, 15, 0));
}
END_TEST

START_TEST(bug_reopen_without_free_slot_queues_under_queue)
{
	const struct ticket *first;

	teardown();
	setup_with("policy: {over_limit: reject}\n", NULL);
	member(21010, TIER_GOLD, "DE", -1);
	first = receive("EOS R5", 21010, cet(11, 23, 9, 0));
	move_ok(first->id, TSTATE_READY, cet(11, 23, 10, 0));
	for (int i = 0; i < 3; i++)
		receive("EOS R5", 21010, cet(11, 23, 11 + i, 0));
	/* Never refused, even under reject: the item is already in the centre. */
	move_ok(first->id, TSTATE_IN_REPAIR, cet(11, 23, 15, 0));
	ck_assert(!first->fast_track);
	ck_assert(!first->queued);
	assert_invariants(cet(11, 23, 15, 0));

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	member(21010, TIER_GOLD, "DE", -1);
	first = receive("EOS R5", 21010, cet(11, 23, 9, 0));
	move_ok(first->id, TSTATE_READY, cet(11, 23, 10, 0));
	for (int i = 0; i < 3; i++)
		receive("EOS R5", 21010, cet(11, 23, 11 + i, 0));
	move_ok(first->id, TSTATE_IN_REPAIR, cet(11, 23, 15, 0));
	ck_assert(!first->fast_track);
	ck_assert(first->queued);
	ck_assert_int_eq(first->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_uint_eq(engine_member_get(eng, 21010)->nqueued, 1);
	/* A slot frees: the reopened ticket is promoted. */
	move_ok(2, TSTATE_READY, cet(11, 24, 10, 0));
	ck_assert(first->fast_track);
	ck_assert(first->holds_slot);
	ck_assert_uint_eq(engine_member_get(eng, 21010)->in_service, 3);
	assert_invariants(cet(11, 24, 10, 0));
}
END_TEST

START_TEST(test_paused_ticket_has_no_fixed_deadline)
{
	const struct ticket *t;
	struct ticket_fields tf;

	member(21009, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 21009, cet(11, 23, 9, 0));
	move_ok(t->id, TSTATE_AWAITING_CUSTOMER, cet(11, 23, 13, 0));
	ck_assert_int_eq(t->deadline, 0);
	engine_ticket_fields(eng, t, cet(11, 23, 14, 0), &tf);
	ck_assert_str_eq(tf.v[16], "");      /* deadline */
	ck_assert_str_eq(tf.v[19], "1");     /* paused */
	ck_assert_str_eq(tf.v[18], "72000"); /* 20h remaining */
}
END_TEST

START_TEST(test_forecast_eta_exactly_at_deadline_is_no_miss)
{
	const struct ticket *a, *b;
	struct engine_error err = {0};

	member(21010, TIER_GOLD, "ZA", -1);
	a = receive("EOS R5", 21010, cet(11, 23, 9, 0)); /* due Wed 17:00 */
	b = receive("EOS R5", 21010, cet(11, 23, 9, 0));
	ck_assert_int_eq(
	        move(a->id, TSTATE_AWAITING_PARTS, cet(11, 23, 10, 0), cet(11, 25, 17, 0), &err),
	        0);
	ck_assert(!a->at_risk);
	ck_assert(!a->loan_eligible);
	ck_assert_int_eq(move(b->id, TSTATE_AWAITING_PARTS, cet(11, 23, 10, 0),
	                      cet(11, 25, 17, 0) + 1, &err),
	                 0);
	ck_assert(b->at_risk);
	ck_assert_int_eq(b->loan_reason, LOAN_REASON_FORECAST);
}
END_TEST

START_TEST(test_awaiting_parts_new_eta)
{
	const struct ticket *t;
	struct engine_error err = {0};

	member(21011, TIER_GOLD, "ZA", -1);
	t = receive("EOS R5", 21011, cet(11, 23, 9, 0)); /* due Wed 17:00 */
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 23, 10, 0), cet(11, 24, 12, 0), &err),
	        0);
	ck_assert(!t->at_risk);
	/* The supplier slips: a new ETA past the deadline is a forecast miss. */
	ck_assert_int_eq(
	        move(t->id, TSTATE_AWAITING_PARTS, cet(11, 24, 10, 0), cet(11, 27, 12, 0), &err),
	        0);
	ck_assert_int_eq(t->eta, cet(11, 27, 12, 0));
	ck_assert(t->at_risk);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_FORECAST);
}
END_TEST

START_TEST(test_ready_cannot_be_cancelled)
{
	const struct ticket *t;
	struct engine_error err = {0};

	t = receive("EOS R5", 0, cet(11, 23, 9, 0));
	move_ok(t->id, TSTATE_READY, cet(11, 23, 10, 0));
	ck_assert_int_eq(move(t->id, TSTATE_CANCELLED, cet(11, 23, 11, 0), 0, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_STATE);
	ck_assert_str_eq(
	        err.msg,
	        "ticket 1 is ready: cannot move to cancelled (allowed: in_repair, returned)");
	ck_assert_int_eq(t->state, TSTATE_READY);
}
END_TEST

START_TEST(test_reload_keeps_country_override)
{
	const struct ticket *t;
	struct config *next;
	struct engine_error err;

	member(21012, TIER_GOLD, "DE", -1);
	t = open_at("NL-PSC-TEST", "EOS R5", 21012, SERVICE_REPAIR, cet(11, 23, 9, 0),
	            cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 4);
	next = make_config(NULL, NULL);
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 23, 12, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	ck_assert_int_eq(t->target_days, 4);
	ck_assert_int_eq(t->deadline, cet(11, 26, 17, 0));
}
END_TEST

START_TEST(test_reload_shorter_target_over_budget_breaches_now)
{
	const struct ticket *t;
	struct config *next;
	struct engine_error err;

	member(21013, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 21013, cet(11, 23, 9, 0));
	/* Tuesday 13:00, 12h used; Gold becomes 1 day (8h): over budget, due at once. */
	next = make_config("policy: {targets: {gold: 1}}\n", NULL);
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 24, 13, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	ck_assert_int_eq(t->used, 12 * H);
	ck_assert_int_eq(t->deadline, cet(11, 24, 13, 0));
	engine_advance(eng, cet(11, 24, 13, 1));
	ck_assert(t->breached);
	ck_assert_int_eq(find_event(EVENT_TICKET_BREACHED, t->id)->at, cet(11, 24, 13, 0));
}
END_TEST

START_TEST(test_forecast_when_awaiting_parts_pauses)
{
	const struct ticket *a, *b;
	struct engine_error err = {0};

	teardown();
	setup_with("policy: {pause_states: [awaiting_parts]}\n", NULL);
	member(21014, TIER_GOLD, "ZA", -1);
	a = receive("EOS R5", 21014, cet(11, 23, 9, 0));
	b = receive("EOS R5", 21014, cet(11, 23, 9, 0));
	/* 2h used at 11:00, paused: 22h left, due Wed 17:00 if resumed now. */
	ck_assert_int_eq(
	        move(a->id, TSTATE_AWAITING_PARTS, cet(11, 23, 11, 0), cet(11, 26, 12, 0), &err),
	        0);
	ck_assert_int_eq(a->deadline, 0);
	ck_assert(a->at_risk);
	ck_assert_int_eq(a->loan_reason, LOAN_REASON_FORECAST);
	ck_assert_int_eq(
	        move(b->id, TSTATE_AWAITING_PARTS, cet(11, 23, 11, 0), cet(11, 24, 12, 0), &err),
	        0);
	ck_assert(!b->at_risk);
}
END_TEST

START_TEST(test_reload_keeps_video_minimum_on_standard)
{
	const struct ticket *t;
	struct config *next;
	struct engine_error err;

	teardown();
	setup_with("policy: {standard_days: 3}\n", NULL);
	t = receive("EOS C70", 0, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->target_days, 5);
	next = make_config("policy: {standard_days: 3}\n", NULL);
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 23, 12, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	ck_assert_int_eq(t->target_days, 5);
}
END_TEST

START_TEST(bug_fourth_item_no_booking_loan)
{
	/* Subscription Platinum, three Fast Track items in service; the fourth, opened as
	 * received, falls to standard service: no loan may go with it. */
	const struct ticket *t;

	member(20001, TIER_PLATINUM, "DE", -1);
	for (int i = 0; i < 3; i++)
		receive("EOS R5", 20001, cet(11, 23, 9 + i, 0));
	t = receive("EOS R5", 20001, cet(11, 23, 12, 0));
	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_msg(!t->loan_eligible, "standard ticket is loan-eligible (%s)",
	              loan_reason_names[t->loan_reason]);
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, t->id), 0);
	ck_assert_str_eq(find_event(EVENT_TICKET_OPENED, t->id)->reason, "in-service-limit");
}
END_TEST

START_TEST(bug_backdated_ready_before_reported_breach)
{
	/* Platinum received Mon 09:00, due Tue 17:00. The daemon processes time up to Wed
	 * 10:00 (breach reported), then staff record "ready AT Tue 16:00". */
	const struct ticket *t, *out;
	struct ticket_move mv = {.to = TSTATE_READY, .who = "test"};
	struct engine_error err = {0};
	int rc;

	member(20002, TIER_PLATINUM, "DE", -1);
	t = receive("EOS R5", 20002, cet(11, 23, 9, 0));
	engine_advance(eng, cet(11, 25, 10, 0));
	ck_assert(t->breached);
	mv.id = t->id;
	mv.at = cet(11, 24, 16, 0);
	rc = engine_ticket_move(eng, &mv, cet(11, 25, 10, 0), &out, &err);
	/* Either refuse the backdated move, or accept it and call it met; never "ready
	 * before the deadline, missed". */
	ck_assert_msg(rc == -1 || t->met == 1, "ready at Tue 16:00 (deadline Tue 17:00) but met=%d",
	              t->met);
}
END_TEST

START_TEST(bug_reload_then_backdated_move_double_counts)
{
	const struct ticket *t, *out;
	struct config *next;
	struct ticket_move mv = {.to = TSTATE_DIAGNOSING, .who = "test"};
	struct engine_error err = {0};
	struct ticket_clock c;

	member(20003, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 20003, cet(11, 23, 9, 0));
	next = make_config(NULL, NULL); /* an unchanged reload at Mon 13:00 */
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 23, 13, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	mv.id = t->id;
	mv.at = cet(11, 23, 11, 0); /* after the last change (09:00), before the reload */
	/* Either refused (dated before the reload) or counted right: Mon 09:00-14:00 = 5h. */
	if (engine_ticket_move(eng, &mv, cet(11, 23, 14, 0), &out, &err) == 0) {
		engine_ticket_clock(eng, t, cet(11, 23, 14, 0), &c);
		ck_assert_int_eq(c.used, 5 * H);
	}
	assert_invariants(cet(11, 23, 14, 0));
}
END_TEST

START_TEST(bug_enterprise_in_free_country_is_subscription)
{
	const struct ticket *t;

	member(20004, TIER_ENTERPRISE_B, "ZA", -1); /* ZA runs the free programme */
	t = receive("EOS R5", 20004, cet(11, 23, 9, 0));
	ck_assert(t->fast_track);
	ck_assert_int_eq(t->programme, PROGRAMME_SUBSCRIPTION);
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_BOOKING);
}
END_TEST

START_TEST(bug_free_programme_never_expires)
{
	const struct ticket *t;

	member(20005, TIER_GOLD, "ZA", days_from_civil(2026, 1, 31)); /* free: no expiry */
	t = receive("EOS R5", 20005, cet(11, 23, 9, 0));
	ck_assert_int_eq(t->programme, PROGRAMME_FREE);
	ck_assert_msg(t->fast_track, "free-programme member refused as %s",
	              ft_reason_names[t->reason]);
}
END_TEST

START_TEST(bug_promotion_reports_at_risk_twice)
{
	const struct ticket *q;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	q = three_and_a_fourth(20007, 0);       /* queued, standard 80h from Mon 12:00 */
	engine_advance(eng, cet(12, 3, 12, 0)); /* >= 60h used: at risk (standard) */
	ck_assert(q->at_risk);
	move_ok(1, TSTATE_READY, cet(12, 3, 12, 0)); /* promoted: Gold 24h */
	ck_assert(q->fast_track);
	engine_advance(eng, cet(12, 8, 12, 0));
	ck_assert_int_eq(count_events(EVENT_TICKET_AT_RISK, q->id), 1);
}
END_TEST

START_TEST(bug_promotion_forecast_not_evaluated)
{
	/* Free Gold, queued ticket waits for parts with an ETA 6 days out; promoted to a
	 * 3-day target: the ETA is past the new deadline, a forecast miss at once. */
	const struct ticket *q;
	struct engine_error err = {0};

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	member(20008, TIER_GOLD, "ZA", -1);
	for (int i = 0; i < 3; i++)
		receive("EOS R5", 20008, cet(11, 23, 9 + i, 0));
	q = receive("EOS R5", 20008, cet(11, 23, 12, 0));
	ck_assert(q->queued);
	ck_assert_int_eq(
	        move(q->id, TSTATE_AWAITING_PARTS, cet(11, 23, 13, 0), cet(12, 1, 12, 0), &err), 0);
	ck_assert(!q->at_risk); /* standard 10 days: ETA within */
	move_ok(1, TSTATE_READY, cet(11, 23, 14, 0));
	ck_assert(q->fast_track);
	ck_assert(q->at_risk);
	ck_assert(q->loan_eligible);
}
END_TEST

START_TEST(bug_backdated_ready_promotes_before_receipt)
{
	const struct ticket *q;
	struct ticket_move mv = {.id = 1, .to = TSTATE_READY, .at = 0, .who = "test"};
	const struct ticket *out;
	struct engine_error err = {0};

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	q = three_and_a_fourth(20010, 0); /* three at 09,10,11; q received 12:00, queued */
	ck_assert(q->queued);
	mv.at = cet(11, 23, 10, 30); /* ticket 1 was ready at 10:30, recorded at 13:00 */
	ck_assert_int_eq(engine_ticket_move(eng, &mv, cet(11, 23, 13, 0), &out, &err), 0);
	ck_assert(q->fast_track);
	ck_assert_int_ge(q->clock_since, q->received_at);
	assert_invariants(cet(11, 23, 13, 0));
}
END_TEST

START_TEST(chk_dst_and_threshold)
{
	const struct ticket *t;
	int64_t fri =
	        (int64_t)days_from_civil(2026, 3, 27) * SECS_PER_DAY + 10 * H - H; /* 10:00 CET */
	int64_t wed = (int64_t)days_from_civil(2026, 4, 1) * SECS_PER_DAY + 10 * H -
	              2 * H; /* 10:00 CEST */

	member(20011, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 20011, fri);
	ck_assert_int_eq(t->deadline, wed);
	t = receive("EOS R5", 20011, cet(11, 23, 9, 0));
	engine_advance(eng, cet(11, 25, 10, 59));
	ck_assert(!t->at_risk);
	engine_advance(eng, cet(11, 25, 11, 0));
	ck_assert(t->at_risk);
	ck_assert_int_eq(find_event(EVENT_TICKET_AT_RISK, t->id)->at, cet(11, 25, 11, 0));
}
END_TEST

START_TEST(test_queued_platinum_loan_at_promotion)
{
	const struct ticket *q;
	const struct event *ev;

	teardown();
	setup_with("policy: {over_limit: queue}\n", NULL);
	member(21015, TIER_PLATINUM, "DE", -1); /* subscription: loan at booking */
	for (int i = 0; i < 3; i++)
		receive("EOS R5", 21015, cet(11, 23, 9 + i, 0));
	q = receive("EOS R5", 21015, cet(11, 23, 12, 0));
	ck_assert(q->queued);
	ck_assert(!q->loan_eligible); /* standard while queued: no loan */
	move_ok(1, TSTATE_READY, cet(11, 24, 10, 0));
	ck_assert(q->fast_track);
	ck_assert(q->loan_eligible);
	ck_assert_int_eq(q->loan_reason, LOAN_REASON_BOOKING);
	ev = find_event(EVENT_LOAN_ELIGIBLE, q->id);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->at, cet(11, 24, 10, 0));
	ck_assert_int_eq(count_events(EVENT_LOAN_ELIGIBLE, q->id), 1);
}
END_TEST

START_TEST(bug_paused_over_budget_after_reload_is_met)
{
	const struct ticket *t;
	struct config *next;
	struct engine_error err;

	member(20012, TIER_GOLD, "DE", -1);
	t = receive("EOS R5", 20012, cet(11, 23, 9, 0));
	move_ok(t->id, TSTATE_AWAITING_CUSTOMER, cet(11, 24, 13, 0)); /* 12h used */
	next = make_config("policy: {targets: {gold: 1}}\n", NULL);   /* 8h budget */
	ck_assert_int_eq(engine_set_config(eng, next, cet(11, 24, 14, 0), &err), 0);
	config_free(cfg);
	cfg = next;
	move_ok(t->id, TSTATE_READY, cet(11, 24, 15, 0));
	ck_assert_msg(t->met == 0, "12h used of 8h, ready: met=%d breached=%d", t->met,
	              t->breached);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("scenarios");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_platinum_subscription_loan_at_booking);
	tcase_add_test(tc, test_platinum_booked_loan_before_item_arrives);
	tcase_add_test(tc, test_gold_free_forecast_loan_at_once);
	tcase_add_test(tc, test_gold_free_eta_within_deadline_no_forecast);
	tcase_add_test(tc, test_gold_subscription_loan_only_at_breach);
	tcase_add_test(tc, test_silver_breach_no_loan);
	tcase_add_test(tc, test_red_non_member_expired_standard);
	tcase_add_test(tc, test_expiry_is_inclusive);
	tcase_add_test(tc, test_video_platinum_five_days);
	tcase_add_test(tc, test_video_free_gold_loan_at_breach_of_five_days);
	tcase_add_test(tc, test_service_at_centre_types);
	tcase_add_test(tc, test_product_rules);
	tcase_add_test(tc, test_estonia_platinum_served_as_silver);
	tcase_add_test(tc, test_country_target_override);
	tcase_add_test(tc, test_snapshot_survives_member_change);
	tcase_add_test(tc, test_fourth_item_standard);
	tcase_add_test(tc, test_fourth_booked_checked_on_arrival);
	tcase_add_test(tc, test_fourth_item_reject);
	tcase_add_test(tc, test_fourth_item_queue_and_promotion);
	tcase_add_test(tc, test_queue_oldest_first_and_cancel);
	tcase_add_test(tc, test_slot_held_until_ready_not_return);
	tcase_add_test(tc, test_pause_moves_deadline_by_paused_time);
	tcase_add_test(tc, test_received_after_hours_and_weekend);
	tcase_add_test(tc, test_holiday_moves_deadline);
	tcase_add_test(tc, test_breach_sticky_and_events_once);
	tcase_add_test(tc, test_met_when_ready_on_time);
	tcase_add_test(tc, test_illegal_moves);
	tcase_add_test(tc, test_cancel_any_not_ready);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_backdated_and_future_moves);
	tcase_add_test(tc, test_loans_issue_return);
	tcase_add_test(tc, test_member_numbers);
	tcase_add_test(tc, test_enterprise_and_programmes);
	tcase_add_test(tc, test_config_change_keeps_used_time);
	tcase_add_test(tc, test_queries_and_stats);
	tcase_add_test(tc, test_silver_only_does_not_lift_red);
	tcase_add_test(tc, test_country_override_shorter_than_default);
	tcase_add_test(tc, test_video_minimum_applies_to_standard_service);
	tcase_add_test(tc, test_reason_order_product_before_registration);
	tcase_add_test(tc, test_reason_order_expiry_before_tier);
	tcase_add_test(tc, test_queue_promotes_oldest_first);
	tcase_add_test(tc, test_promotion_drops_time_used_before);
	tcase_add_test(tc, test_reopen_retakes_slot);
	tcase_add_test(tc, bug_reopen_without_free_slot_keeps_fast_track);
	tcase_add_test(tc, bug_reopen_without_free_slot_queues_under_queue);
	tcase_add_test(tc, test_paused_ticket_has_no_fixed_deadline);
	tcase_add_test(tc, test_forecast_eta_exactly_at_deadline_is_no_miss);
	tcase_add_test(tc, test_awaiting_parts_new_eta);
	tcase_add_test(tc, test_ready_cannot_be_cancelled);
	tcase_add_test(tc, test_reload_keeps_country_override);
	tcase_add_test(tc, test_reload_shorter_target_over_budget_breaches_now);
	tcase_add_test(tc, test_forecast_when_awaiting_parts_pauses);
	tcase_add_test(tc, test_reload_keeps_video_minimum_on_standard);
	tcase_add_test(tc, bug_fourth_item_no_booking_loan);
	tcase_add_test(tc, bug_backdated_ready_before_reported_breach);
	tcase_add_test(tc, bug_reload_then_backdated_move_double_counts);
	tcase_add_test(tc, bug_enterprise_in_free_country_is_subscription);
	tcase_add_test(tc, bug_free_programme_never_expires);
	tcase_add_test(tc, bug_promotion_reports_at_risk_twice);
	tcase_add_test(tc, bug_promotion_forecast_not_evaluated);
	tcase_add_test(tc, bug_backdated_ready_promotes_before_receipt);
	tcase_add_test(tc, chk_dst_and_threshold);
	tcase_add_test(tc, test_queued_platinum_loan_at_promotion);
	tcase_add_test(tc, bug_paused_over_budget_after_reload_is_met);
	tcase_add_loop_test(tc, test_random_operations_keep_invariants, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
