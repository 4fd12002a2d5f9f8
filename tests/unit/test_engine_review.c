/*
 * Unit tests from reviews of the engine: each kills a mutant or pins a bug that
 * was fixed (bug_*), with explicit times.
 */
#include "engine_fixture.h"

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

static Suite *engine_review_suite(void)
{
	Suite *s = suite_create("engine review");
	TCase *tc = tcase_create("review");

	tcase_add_checked_fixture(tc, setup, teardown);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(engine_review_suite());
}
