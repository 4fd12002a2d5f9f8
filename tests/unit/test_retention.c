/*
 * Unit tests: retention. Closed tickets marked for the archive leave the
 * engine (engine_archive_*) with its invariants intact, the snapshot leaves
 * them out and keeps their ids issued, replay goes on without them, and
 * STATS over tickets still in memory does not change.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "timeutil.h"
#include "unit.h"

#define H 3600

static char tmpdir[64];
static struct config *cfg;
static struct engine *eng;

static const char *config_text =
        "products: products.yaml\n"
        "countries:\n"
        "  DE: {name: Germany, programme: subscription}\n"
        "centres:\n"
        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";

/* Berlin local time in winter (CET = UTC+1), 2026. */
static int64_t cet(int m, int d, int hh)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H - H;
}

static void setup(void)
{
	unit_tmpdir_with_products(tmpdir, sizeof tmpdir, "retention",
	                          "products:\n"
	                          "  - {model: \"EOS R5\", class: body, fast_track: true, video: "
	                          "false, points: 500}\n");
	cfg = unit_config("retention-test.yaml", config_text, tmpdir);
	eng = engine_new(cfg);
}

static void teardown(void)
{
	engine_free(eng);
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
}

static uint64_t open_one(uint64_t member, bool received, int64_t now)
{
	struct ticket_open in = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "012345678901",
	                         .service = SERVICE_REPAIR,
	                         .member = member,
	                         .registered = true,
	                         .received = received,
	                         .received_at = now,
	                         .note = "a note for the arena",
	                         .who = "test"};
	const struct ticket *t = NULL;
	struct engine_error err = {0};

	ck_assert_msg(engine_ticket_open(eng, &in, now, &t, &err) == 0, "open: %s", err.msg);
	return t->id;
}

static void move_ok(uint64_t id, enum ticket_state to, int64_t at)
{
	struct ticket_move mv = {.id = id, .to = to, .at = at, .who = "test"};
	const struct ticket *t;
	struct engine_error err = {0};

	ck_assert_msg(engine_ticket_move(eng, &mv, at, &t, &err) == 0, "move: %s", err.msg);
}

/* Received, ready, returned: met or missed counted by the day it was ready. */
static void close_returned(uint64_t id, int64_t ready, int64_t returned)
{
	move_ok(id, TSTATE_READY, ready);
	move_ok(id, TSTATE_RETURNED, returned);
}

static void assert_invariants(int64_t now)
{
	char msg[256];

	ck_assert_msg(engine_check(eng, now, msg, sizeof msg) == 0, "invariant: %s", msg);
}

/* Replay a buffer of records into a new engine. */
static struct engine *replay(const struct rbuf *b)
{
	struct engine *e = engine_new(cfg);
	size_t off = 0;
	struct jrec rec;
	char err[200];

	while (journal_next((const unsigned char *)b->data, b->len, &off, &rec) == JNEXT_OK)
		ck_assert_msg(journal_apply(e, &rec, err, sizeof err) == 0, "apply: %s", err);
	ck_assert_uint_eq(off, b->len);
	engine_restore_finish(e);
	return e;
}

/*
 * 10,000 tickets over three pages: the first 9,000 cancelled or returned in
 * November, the rest open (some holding a member's slot, all running with a
 * deadline in the heap). Archiving the closed ones changes nothing about
 * the open ones.
 */
START_TEST(test_remove_keeps_invariants)
{
	struct member_input mi = {.number = 4711, .tier = TIER_PLATINUM, .expires = -1};
	struct engine_error err;
	struct engine_counts before, after;
	const struct member *m;
	int64_t t0 = cet(11, 2, 10), now = cet(11, 20, 12);
	uint32_t in_service;
	const uint64_t *ids;
	uint64_t id;

	memcpy(mi.country, "DE", 3);
	ck_assert_int_eq(engine_member_set(eng, &mi, t0, &err), 0);
	for (int i = 0; i < 9000; i++) {
		id = open_one(0, i % 2 == 0, t0);
		if (i % 2 == 0)
			close_returned(id, t0 + H, t0 + 2 * H);
		else
			move_ok(id, TSTATE_CANCELLED, t0 + H);
	}
	for (int i = 0; i < 1000; i++)
		open_one(i < 2 ? 4711 : 0, true, now);
	m = engine_member_get(eng, 4711);
	in_service = m->in_service;
	ck_assert_uint_eq(in_service, 2);
	engine_counts(eng, &before);
	assert_invariants(now);

	ck_assert_uint_eq(engine_archive_select(eng, cet(11, 3, 0)), 9000);
	ck_assert_uint_eq(engine_archive_marked(eng, &ids), 9000);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_uint_eq(engine_archive_remove(eng), 9000);
	assert_invariants(now);

	engine_counts(eng, &after);
	ck_assert_uint_eq(after.tickets, 10000); /* ids issued stay issued */
	ck_assert_uint_eq(after.in_memory, 1000);
	ck_assert_uint_eq(after.open, before.open);
	ck_assert_uint_eq(after.heap, before.heap); /* the deadline heap: untouched */
	ck_assert_uint_lt(after.history_bytes, before.history_bytes / 5);
	ck_assert_uint_eq(engine_member_get(eng, 4711)->in_service, in_service);
	ck_assert_ptr_null(engine_ticket_get(eng, 1));
	ck_assert(engine_ticket_archived(eng, 1));
	ck_assert(engine_ticket_archived(eng, 9000));
	ck_assert(!engine_ticket_archived(eng, 9001));
	ck_assert(!engine_ticket_archived(eng, 10001)); /* never issued */
	ck_assert_str_eq(engine_ticket_get(eng, 9001)->serial, "012345678901");
	/* Its strings survived the arena's copy. */
	ck_assert_str_eq(engine_ticket_get(eng, 10000)->hist[0].detail,
	                 "booked: a note for the arena");
	/* The next id goes on after the archived ones, and deadlines still fall due. */
	ck_assert_uint_eq(open_one(0, true, now), 10001);
	engine_advance(eng, cet(12, 20, 12));
	engine_counts(eng, &after);
	ck_assert_uint_eq(after.breached, 1001);
	assert_invariants(cet(12, 20, 12));
}
END_TEST

/* Bytes of the slabs small history arrays come from. */
static uint64_t slab_bytes(const struct engine *e)
{
	struct engine_counts c;

	engine_counts(e, &c);
	return c.history_slab_bytes;
}

/*
 * Archived tickets give back the slabs their history arrays came from: after
 * rounds of tickets opened, closed and archived, none is left (before, every
 * slab stayed, the free arrays of the last busiest round).
 */
START_TEST(test_archive_frees_history_slabs)
{
	enum { N = 5000 };
	int64_t t0 = cet(11, 2, 10);

	for (int round = 0; round < 3; round++) {
		int64_t at = t0 + round * 24 * H;
		uint64_t first = engine_ticket_count(eng) + 1;
		for (int i = 0; i < N; i++)
			open_one(0, true, at);
		for (uint64_t id = first; id < first + N; id++)
			close_returned(id, at + H, at + 2 * H);
		/* Four entries each: N arrays of four in use, N of two free. */
		ck_assert_uint_ge(slab_bytes(eng), (uint64_t)N * 6 * 16);
		ck_assert_uint_eq(engine_archive_select(eng, at + 3 * H), N);
		ck_assert_uint_eq(engine_archive_remove(eng), N);
		ck_assert_uint_eq(slab_bytes(eng), 0);
		assert_invariants(at + 3 * H);
	}
}
END_TEST

/*
 * The arrays still in use keep their slabs and their contents when their
 * neighbours in a slab are archived, and the free room among them is used
 * again before a new slab: of the first 2,048 tickets (a slab of arrays of
 * two, two of four) every seventh stays open (two entries, or three when it
 * is ready), all the others are archived around them.
 */
static bool kept_id(uint64_t id)
{
	return id <= 2048 && id % 7 == 0;
}

static void check_kept(uint64_t id, int64_t opened)
{
	const struct ticket *t = engine_ticket_get(eng, id);
	bool ready = id % 2 == 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->nhist, ready ? 3 : 2);
	ck_assert_int_eq(hist_kind(&t->hist[0]), HIST_OPENED);
	ck_assert_int_eq(hist_at(&t->hist[0]), opened);
	ck_assert_str_eq(t->hist[0].detail, "booked: a note for the arena");
	ck_assert_int_eq(hist_kind(&t->hist[1]), HIST_MOVED);
	ck_assert_int_eq(hist_at(&t->hist[1]), opened);
	ck_assert_str_eq(engine_str(eng, hist_who(&t->hist[1])), "test");
	if (ready) {
		ck_assert_str_eq(t->hist[2].detail, "received -> ready");
		ck_assert_int_eq(hist_at(&t->hist[2]), opened + H);
	}
}

START_TEST(test_archive_keeps_arrays_in_use)
{
	enum { N = 7000 };
	int64_t t0 = cet(11, 2, 10), now = t0 + 5 * H; /* before any deadline */
	uint64_t before, after, kept = 0;

	for (int i = 0; i < N; i++)
		open_one(0, true, t0 + i);
	for (uint64_t id = 1; id <= N; id++) {
		int64_t at = t0 + (int64_t)(id - 1);
		if (!kept_id(id))
			close_returned(id, at + H, at + 2 * H);
		else if (id % 2 == 0)
			move_ok(id, TSTATE_READY, at + H);
		kept += kept_id(id);
	}
	before = slab_bytes(eng);
	ck_assert_uint_eq(engine_archive_select(eng, now), N - kept);
	ck_assert_uint_eq(engine_archive_remove(eng), N - kept);
	after = slab_bytes(eng);
	/* Of four slabs of arrays of two and seven of four, one and two stay. */
	ck_assert_uint_eq(before, 11 * 64 * 1024);
	ck_assert_uint_eq(after, 3 * 64 * 1024);
	for (uint64_t id = 7; kept_id(id); id += 7)
		check_kept(id, t0 + (int64_t)(id - 1));
	assert_invariants(now);
	/* As many again fit in the free room of the slabs that stayed. */
	for (uint64_t i = 0; i < kept; i++)
		open_one(0, true, now);
	ck_assert_uint_eq(slab_bytes(eng), after);
	for (uint64_t id = 7; kept_id(id); id += 7)
		check_kept(id, t0 + (int64_t)(id - 1));
	for (uint64_t id = N + 1; id <= N + kept; id++) {
		const struct ticket *t = engine_ticket_get(eng, id);
		ck_assert_uint_eq(t->nhist, 2);
		ck_assert_int_eq(hist_at(&t->hist[0]), now);
	}
	assert_invariants(now);
}
END_TEST

/*
 * Replay grows each ticket's history from two entries to three: the arrays of
 * two it freed on the way go back with their slabs when it finishes.
 */
START_TEST(test_replay_frees_outgrown_slabs)
{
	enum { N = 5000 };
	int64_t t0 = cet(11, 2, 10);
	struct rbuf b;
	struct engine *e2;
	uint64_t seq = 0;

	for (int i = 0; i < N; i++)
		move_ok(open_one(0, true, t0), TSTATE_READY, t0 + H);
	rbuf_init(&b);
	journal_put_changes(&b, eng, &seq);
	e2 = replay(&b);
	/* Arrays of four for N tickets, 1024 a slab; none of two. */
	ck_assert_uint_eq(slab_bytes(e2), (uint64_t)(N + 1023) / 1024 * 64 * 1024);
	ck_assert_str_eq(engine_ticket_get(e2, N)->hist[2].detail, "received -> ready");
	engine_free(e2);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_archived_ticket_refuses_moves)
{
	int64_t t0 = cet(11, 2, 10);
	struct ticket_move mv = {.id = 1, .to = TSTATE_RECEIVED, .at = 0, .who = "test"};
	const struct ticket *t;
	struct engine_error err = {0};

	open_one(0, false, t0);
	move_ok(1, TSTATE_CANCELLED, t0 + H);
	engine_archive_select(eng, t0 + 2 * H);
	ck_assert_uint_eq(engine_archive_remove(eng), 1);
	ck_assert_int_eq(engine_ticket_move(eng, &mv, t0 + 3 * H, &t, &err), -1);
	ck_assert_int_eq(err.status, ENGINE_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "archived") != NULL, "%s", err.msg);
}
END_TEST

/* A failed compaction: the marks go, nothing leaves memory. */
START_TEST(test_cancel_keeps_everything)
{
	int64_t t0 = cet(11, 2, 10);
	struct rbuf b;
	struct engine *e2;

	open_one(0, false, t0);
	move_ok(1, TSTATE_CANCELLED, t0 + H);
	ck_assert_uint_eq(engine_archive_select(eng, t0 + 2 * H), 1);
	ck_assert(engine_ticket_get(eng, 1)->archiving);
	engine_archive_cancel(eng);
	ck_assert(!engine_ticket_get(eng, 1)->archiving);
	ck_assert_uint_eq(engine_archive_remove(eng), 0);
	rbuf_init(&b);
	journal_put_snapshot(&b, eng);
	e2 = replay(&b);
	ck_assert_ptr_nonnull(engine_ticket_get(e2, 1));
	engine_free(e2);
	rbuf_free(&b);
}
END_TEST

/*
 * The snapshot taken while tickets are marked leaves them out but keeps the
 * ids issued; a change to a marked ticket after the snapshot (a loan
 * returned after closing would be one) marks it for a new archive line,
 * and replay skips its delta.
 */
START_TEST(test_snapshot_without_archived_replays)
{
	int64_t t0 = cet(11, 2, 10), now = cet(11, 20, 12);
	struct rbuf snap, tail;
	struct engine *e2;
	uint64_t last;

	for (int i = 0; i < 5000; i++) {
		uint64_t id = open_one(0, true, t0);
		close_returned(id, t0 + H, t0 + 2 * H);
	}
	open_one(0, true, now);
	ck_assert_uint_eq(engine_archive_select(eng, now - 86400), 5000);
	rbuf_init(&snap);
	rbuf_init(&tail);
	journal_put_snapshot(&snap, eng);
	{
		/* What the parent journals after the fork: a change to a marked ticket. */
		uint64_t seq = 0;
		struct ticket *t = (struct ticket *)engine_ticket_get(eng, 3);
		struct ticket_move mv = {.id = 5001, .to = TSTATE_DIAGNOSING, .at = 0, .who = "x"};
		const struct ticket *out;
		struct engine_error err;
		journal_put_changes(&tail, eng, &seq);
		tail.len = 0;
		ck_assert_int_eq(engine_ticket_move(eng, &mv, now + H, &out, &err), 0);
		/* Stands in for a loan returned after closing: the engine touches it. */
		journal_put_delta(&tail, eng, t, t->nhist);
		journal_put_changes(&tail, eng, &seq);
	}
	ck_assert(engine_ticket_get(eng, 3)->archiving);
	rbuf_append(&snap, tail.data, tail.len);
	e2 = replay(&snap);
	ck_assert_ptr_null(engine_ticket_get(e2, 1));
	ck_assert(engine_ticket_archived(e2, 3));
	ck_assert_ptr_nonnull(engine_ticket_get(e2, 5001));
	ck_assert_int_eq(engine_ticket_get(e2, 5001)->state, TSTATE_DIAGNOSING);
	ck_assert_uint_eq(engine_ticket_count(e2), 5001);
	{
		struct ticket_open in = {.centre = "DE-PSC-TEST",
		                         .product = "EOS R5",
		                         .serial = "012345678902",
		                         .service = SERVICE_REPAIR,
		                         .who = "t"};
		const struct ticket *t = NULL;
		struct engine_error err;
		ck_assert_msg(engine_ticket_open(e2, &in, now + 2 * H, &t, &err) == 0, "%s",
		              err.msg);
		last = t->id;
	}
	ck_assert_uint_eq(last, 5002);
	{
		char msg[256];
		ck_assert_msg(engine_check(e2, now + 2 * H, msg, sizeof msg) == 0, "%s", msg);
	}
	engine_free(e2);
	rbuf_free(&snap);
	rbuf_free(&tail);
}
END_TEST

/*
 * A marked ticket that changes before the rename (a loan issued on a closed,
 * loan-eligible ticket): its rearchive bit tells the shell to write its line
 * again; unmarked tickets never get the bit.
 */
START_TEST(test_change_after_select_marks_rearchive)
{
	struct member_input mi = {.number = 4711, .tier = TIER_PLATINUM, .expires = -1};
	struct engine_error err;
	int64_t t0 = cet(11, 2, 10);
	const struct ticket *t;
	uint64_t id;

	memcpy(mi.country, "DE", 3);
	ck_assert_int_eq(engine_member_set(eng, &mi, t0, &err), 0);
	id = open_one(4711, false, t0);
	ck_assert(engine_ticket_get(eng, id)->loan_eligible);
	move_ok(id, TSTATE_CANCELLED, t0 + H);
	open_one(0, false, t0 + H);
	ck_assert_uint_eq(engine_archive_select(eng, t0 + 2 * H), 1);
	ck_assert(!engine_ticket_get(eng, id)->rearchive);
	ck_assert_msg(engine_loan_issue(eng, id, NULL, NULL, "desk", t0 + 3 * H, &t, &err) == 0,
	              "%s", err.msg);
	ck_assert(t->archiving && t->rearchive);
	ck_assert(!engine_ticket_get(eng, id + 1)->rearchive);
	ck_assert_uint_eq(engine_archive_remove(eng), 1);
	ck_assert(engine_ticket_archived(eng, id));
	assert_invariants(t0 + 3 * H);
}
END_TEST

/* STATS over a period whose tickets all stay in memory: the same before and after. */
START_TEST(test_stats_within_retention_unchanged)
{
	int64_t old = cet(11, 2, 10), recent = cet(11, 23, 10);
	struct engine_stats a, b;
	int32_t since = (int32_t)(recent / SECS_PER_DAY);

	for (int i = 0; i < 300; i++) {
		uint64_t id = open_one(0, true, old);
		close_returned(id, old + H, old + 2 * H);
	}
	for (int i = 0; i < 200; i++) {
		uint64_t id = open_one(0, true, recent);
		if (i % 3 == 0)
			close_returned(id, recent + H * (i % 2 ? 1 : 48), recent + 50 * H);
		else if (i % 3 == 1)
			move_ok(id, TSTATE_READY, recent + 2 * H);
	}
	engine_stats(eng, NULL, since, -1, &a);
	ck_assert_uint_gt(a.met + a.missed, 0);
	ck_assert_uint_eq(engine_archive_select(eng, cet(11, 10, 0)), 300);
	ck_assert_uint_eq(engine_archive_remove(eng), 300);
	engine_stats(eng, NULL, since, -1, &b);
	ck_assert_mem_eq(&a, &b, sizeof a);
}
END_TEST

static Suite *retention_suite(void)
{
	Suite *s = suite_create("retention");
	TCase *tc = tcase_create("archive");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_remove_keeps_invariants);
	tcase_add_test(tc, test_archived_ticket_refuses_moves);
	tcase_add_test(tc, test_archive_frees_history_slabs);
	tcase_add_test(tc, test_archive_keeps_arrays_in_use);
	tcase_add_test(tc, test_replay_frees_outgrown_slabs);
	tcase_add_test(tc, test_cancel_keeps_everything);
	tcase_add_test(tc, test_snapshot_without_archived_replays);
	tcase_add_test(tc, test_stats_within_retention_unchanged);
	tcase_add_test(tc, test_change_after_select_marks_rearchive);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(retention_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
