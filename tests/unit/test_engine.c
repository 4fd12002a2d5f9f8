/*
 * Unit tests: the ticket engine against docs/rules.md, as scenarios with explicit
 * times (the fixture in engine_fixture.h says which centres and dates).
 */
#include "engine_fixture.h"

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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(engine_suite());
}
