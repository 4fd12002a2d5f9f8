/*
 * Unit tests: the engine under random operations, its invariants and the
 * three-items rule checked after every one of them.
 */
#include "engine_fixture.h"

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

/* ---- memory per ticket ------------------------------------------------------------ */

START_TEST(test_ticket_is_128_bytes)
{
	/* Two cache lines, no padding: a million tickets, 128 MB. */
	ck_assert_uint_eq(sizeof(struct ticket), 128);
}
END_TEST

START_TEST(test_packed_fields_take_what_fits)
{
	struct ticket t;

	memset(&t, 0, sizeof t);
	ck_assert_int_eq(ticket_secs(INT64_MAX), INT32_MAX);
	ck_assert_int_eq(ticket_secs(INT64_MIN), INT32_MIN);
	ck_assert_int_eq(ticket_secs(-7), -7);
	ck_assert_int_eq(engine_ticket_set_packed(&t, INT32_MAX, INT32_MIN, LOAN_RETURNED, -1), 0);
	ck_assert_int_eq(t.used, INT32_MAX);
	ck_assert_int_eq(t.budget, INT32_MIN);
	ck_assert_int_eq(t.loan_state, LOAN_RETURNED);
	ck_assert_int_eq(t.met, -1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 5, 16 * H, LOAN_ISSUED, 1), 0);
	ck_assert_int_eq(t.used, 5);
	ck_assert_int_eq(t.budget, 16 * H);
	ck_assert_int_eq(t.loan_state, LOAN_ISSUED);
	ck_assert_int_eq(t.met, 1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 0, 0, LOAN_NONE, 0), 0);
	ck_assert_int_eq(t.met, 0);
	ck_assert_int_eq(t.loan_state, LOAN_NONE);
	/* What the fields cannot hold is refused, and nothing is changed. */
	t.used = 9;
	ck_assert_int_eq(engine_ticket_set_packed(&t, (int64_t)INT32_MAX + 1, 0, 0, 0), -1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 0, (int64_t)INT32_MIN - 1, 0, 0), -1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 0, 0, 3, 0), -1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 0, 0, 0, 2), -1);
	ck_assert_int_eq(engine_ticket_set_packed(&t, 0, 0, 0, -2), -1);
	ck_assert_int_eq(t.used, 9);
}
END_TEST

/*
 * History arrays of two and four entries come from slabs (2048 and 1024 a
 * slab) and go back to a free list when a history grows: more tickets than a
 * slab holds, half of them grown to four entries and a quarter to five
 * (their smaller arrays freed), then as many again opened and grown (reusing
 * those): every history still says what its ticket did, at its own times.
 */
static void grow(uint64_t id, int64_t at, int moves)
{
	static const enum ticket_state to[] = {TSTATE_DIAGNOSING, TSTATE_IN_REPAIR,
	                                       TSTATE_AWAITING_PARTS};
	struct engine_error err;

	for (int i = 0; i < moves; i++)
		ck_assert_int_eq(move(id, to[i], at + i, 0, &err), 0);
}

static void check_history(uint64_t id, int64_t opened, int64_t moved, int moves)
{
	static const char *const texts[] = {"received -> diagnosing", "diagnosing -> in_repair",
	                                    "in_repair -> awaiting_parts"};
	const struct ticket *t = engine_ticket_get(eng, id);

	ck_assert_uint_eq(t->nhist, 2 + (uint32_t)moves);
	ck_assert_int_eq(hist_kind(&t->hist[0]), HIST_OPENED);
	ck_assert_int_eq(hist_at(&t->hist[0]), opened);
	ck_assert_int_eq(hist_kind(&t->hist[1]), HIST_MOVED);
	ck_assert_int_eq(hist_at(&t->hist[1]), opened);
	ck_assert_str_eq(engine_str(eng, hist_who(&t->hist[1])), "test");
	for (int i = 0; i < moves; i++) {
		ck_assert_str_eq(t->hist[2 + i].detail, texts[i]);
		ck_assert_int_eq(hist_at(&t->hist[2 + i]), moved + i);
	}
}

START_TEST(test_history_arrays_reused)
{
	enum { N = 3000 };
	int64_t t0 = cet(11, 23, 9, 0), t1 = t0 + 10 * N, t2 = t0 + 20 * N;

	for (int i = 0; i < N; i++)
		receive("EOS R5", 0, t0 + i);
	for (uint64_t id = 1; id <= N; id += 2)
		grow(id, t0 + N + 3 * (int64_t)id, id % 4 == 1 ? 3 : 2);
	for (int i = 0; i < N; i++)
		receive("EOS R5", 0, t1 + i);
	for (uint64_t id = N + 1; id <= 2 * N; id += 3)
		grow(id, t2 + 3 * (int64_t)id, 2);
	for (uint64_t id = 1; id <= N; id++)
		check_history(id, t0 + (int64_t)id - 1, t0 + N + 3 * (int64_t)id,
		              id % 2 == 0   ? 0
		              : id % 4 == 1 ? 3
		                            : 2);
	for (uint64_t id = N + 1; id <= 2 * N; id++)
		check_history(id, t1 + (int64_t)(id - N - 1), t2 + 3 * (int64_t)id,
		              (id - N - 1) % 3 == 0 ? 2 : 0);
	assert_invariants(t2 + 10 * N);
}
END_TEST

/* ---- the clock across moves ---------------------------------------------------------- */

/*
 * Moves between states that all run the clock leave the deadline and the
 * at-risk instant where they were (each move finds its instant in the
 * calendar once, for both): Silver, 40 business hours from Wednesday 25
 * November 09:00 CET, Monday 30 a holiday, at risk at 75% (30 h).
 */
START_TEST(test_moves_keep_deadline_and_at_risk)
{
	const struct ticket *t;
	const struct event *ev;
	struct engine_error err;
	int64_t deadline = cet(12, 2, 17, 0), risk = cet(12, 1, 15, 0);

	teardown();
	setup_with(NULL, "2026-11-30");
	member(3101, TIER_SILVER, "DE", -1);
	t = receive("EOS R5", 3101, cet(11, 25, 9, 0));
	ck_assert_int_eq(t->budget, 40 * H);
	/* Wed 8 h, Thu 8, Fri 8, (Mon off), Tue 8, Wed 8: Wednesday 2 December 17:00. */
	ck_assert_int_eq(t->deadline, deadline);
	ck_assert_int_eq(move(t->id, TSTATE_DIAGNOSING, cet(11, 25, 13, 0), 0, &err), 0);
	ck_assert_int_eq(t->used, 4 * H);
	ck_assert_int_eq(t->deadline, deadline);
	ck_assert_int_eq(move(t->id, TSTATE_IN_REPAIR, cet(11, 27, 16, 0), 0, &err), 0);
	ck_assert_int_eq(t->used, 23 * H);
	ck_assert_int_eq(t->deadline, deadline);
	ck_assert_int_eq(move(t->id, TSTATE_AWAITING_PARTS, cet(11, 30, 12, 0), 0, &err), 0);
	ck_assert_int_eq(t->used, 24 * H); /* the holiday counts nothing */
	ck_assert_int_eq(t->deadline, deadline);
	/* 30 h: 24 by Friday, 6 more on Tuesday 1 December: 15:00. */
	engine_advance(eng, risk - 1);
	ck_assert(!t->at_risk);
	engine_advance(eng, risk);
	ck_assert(t->at_risk);
	ev = find_event(EVENT_TICKET_AT_RISK, t->id);
	ck_assert_int_eq(ev->at, risk);
	ck_assert_int_eq(move(t->id, TSTATE_IN_REPAIR, cet(12, 2, 9, 30), 0, &err), 0);
	ck_assert_int_eq(t->deadline, deadline);
	engine_advance(eng, deadline);
	ck_assert(!t->breached); /* breached the first second after the deadline */
	engine_advance(eng, deadline + 1);
	ck_assert(t->breached);
	ck_assert_int_eq(find_event(EVENT_TICKET_BREACHED, t->id)->at, deadline);
	ck_assert_int_eq(count_events(EVENT_TICKET_AT_RISK, t->id), 1);
	assert_invariants(deadline + 1);
}
END_TEST

static Suite *engine_props_suite(void)
{
	Suite *s = suite_create("engine props");
	TCase *tc = tcase_create("properties");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_random_operations_keep_invariants, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ticket_is_128_bytes);
	tcase_add_test(tc, test_packed_fields_take_what_fits);
	tcase_add_test(tc, test_history_arrays_reused);
	suite_add_tcase(s, tc);
	tc = tcase_create("clock");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_moves_keep_deadline_and_at_risk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(engine_props_suite());
}
