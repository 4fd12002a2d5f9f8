/*
 * Unit tests: journal records. Encoding and CRC, replay of every record type
 * into a fresh engine (the same tickets, members, outbox and sequence), a
 * journal cut at every byte of its last record, a flipped byte in the middle.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "journal_scenario.h"
#include "journal_v1_fixture.h"
#include "timeutil.h"
#include "xmalloc.h"

START_TEST(test_crc32c)
{
	/* The check value of CRC-32C (RFC 3720). */
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
}
END_TEST

START_TEST(test_record_framing)
{
	struct rbuf b;
	struct jrec rec;
	size_t off = 0;

	rbuf_init(&b);
	journal_put_u64(&b, JREC_CLOCK, 0x1122334455667788ull);
	ck_assert_uint_eq(b.len, 4 + 1 + 8 + 4);
	ck_assert_int_eq((unsigned char)b.data[0], 8); /* little-endian payload length */
	ck_assert_int_eq((unsigned char)b.data[4], JREC_CLOCK);
	ck_assert_int_eq((unsigned char)b.data[5], 0x88);
	ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec), JNEXT_OK);
	ck_assert_uint_eq(off, b.len);
	ck_assert_int_eq(rec.type, JREC_CLOCK);
	ck_assert_uint_eq(rec.len, 8);
	ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec), JNEXT_END);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_changes_replay_to_the_same_state)
{
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf b;
	uint64_t seq = 0;

	rbuf_init(&b);
	journal_put_header(&b);
	/* Commit after each step, as the daemon does once per loop iteration. */
	populate(live);
	ck_assert_uint_gt(journal_put_changes(&b, live, &seq), 10);
	ck_assert_uint_eq(seq, engine_last_seq(live));
	ck_assert_uint_eq(journal_put_changes(&b, live, &seq), 0); /* nothing new */
	engine_advance(live, cet(12, 10, 12, 0));
	journal_put_changes(&b, live, &seq);
	copy = replay(&b);
	assert_same(live, copy, cet(12, 11, 9, 0));
	/* The copy goes on exactly like the original. */
	engine_advance(live, cet(12, 20, 9, 0));
	engine_advance(copy, cet(12, 20, 9, 0));
	assert_same(live, copy, cet(12, 20, 9, 0));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_snapshot_replays_to_the_same_state)
{
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf b;

	populate(live);
	/* Some events delivered: the snapshot keeps only the rest, and the sequence. */
	engine_outbox_drop(live, 3);
	rbuf_init(&b);
	journal_put_snapshot(&b, live);
	copy = replay(&b);
	assert_same(live, copy, cet(12, 1, 9, 0));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_delivered_and_sequence_survive)
{
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf b;
	uint64_t seq = 0, last;

	rbuf_init(&b);
	journal_put_header(&b);
	populate(live);
	journal_put_changes(&b, live, &seq);
	last = engine_last_seq(live);
	engine_outbox_drop(live, engine_outbox_count(live));
	journal_put_u64(&b, JREC_DELIVERED, last);
	copy = replay(&b);
	ck_assert_uint_eq(engine_outbox_count(copy), 0);
	ck_assert_uint_eq(engine_last_seq(copy), last);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_cut_at_every_byte_of_the_last_record)
{
	struct engine *live = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0;
	size_t last_start = 0, off = 0, whole;
	struct jrec rec;

	rbuf_init(&b);
	journal_put_header(&b);
	populate(live);
	journal_put_changes(&b, live, &seq);
	whole = b.len;
	while (journal_next((const unsigned char *)b.data, whole, &off, &rec) == JNEXT_OK)
		if (off < whole)
			last_start = off;
	for (size_t cut = last_start + 1; cut < whole; cut++) {
		size_t pos = 0;
		enum jnext st;
		uint64_t n = 0;
		while ((st = journal_next((const unsigned char *)b.data, cut, &pos, &rec)) ==
		       JNEXT_OK)
			n++;
		ck_assert_msg(st == JNEXT_TORN, "cut at %zu: %d", cut, st);
		ck_assert_uint_eq(pos, last_start); /* the prefix is every whole record */
	}
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_flipped_byte_in_the_middle)
{
	struct engine *live = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0;
	size_t pos = 0, mid;
	struct jrec rec;
	enum jnext st;

	rbuf_init(&b);
	journal_put_header(&b);
	populate(live);
	journal_put_changes(&b, live, &seq);
	mid = b.len / 2;
	b.data[mid] ^= 0x20;
	while ((st = journal_next((const unsigned char *)b.data, b.len, &pos, &rec)) == JNEXT_OK)
		;
	ck_assert_int_eq(st, JNEXT_CORRUPT);
	ck_assert_uint_le(pos, mid);
	/* The same damage in the very last record is a torn tail instead. */
	b.data[mid] ^= 0x20;
	b.data[b.len - 2] ^= 0x01;
	pos = 0;
	while ((st = journal_next((const unsigned char *)b.data, b.len, &pos, &rec)) == JNEXT_OK)
		;
	ck_assert_int_eq(st, JNEXT_TORN);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

/* The journal's file ends in zeros written ahead (daemon/prealloc.h): they end it, cleanly. */
START_TEST(test_zeros_after_the_last_record_are_the_end)
{
	struct engine *live = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0, n = 0, whole_records = 0;
	size_t pos = 0, whole, last_start = 0;
	struct jrec rec;
	enum jnext st;
	char *keep;

	rbuf_init(&b);
	journal_put_header(&b);
	populate(live);
	journal_put_changes(&b, live, &seq);
	whole = b.len;
	while (journal_next((const unsigned char *)b.data, whole, &pos, &rec) == JNEXT_OK) {
		whole_records++;
		if (pos < whole)
			last_start = pos;
	}
	/* Whole records, then 64 KB of zeros: every record, then the end at the last one. */
	memset(rbuf_reserve(&b, 65536), 0, 65536);
	b.len += 65536;
	pos = 0;
	while ((st = journal_next((const unsigned char *)b.data, b.len, &pos, &rec)) == JNEXT_OK)
		n++;
	ck_assert_int_eq(st, JNEXT_END);
	ck_assert_uint_eq(n, whole_records);
	ck_assert_uint_eq(pos, whole);
	/* A last record cut short, its rest zeros (a torn write over the zeros): torn, not damage.
	 */
	keep = xmalloc(whole);
	memcpy(keep, b.data, whole);
	for (size_t cut = last_start + 1; cut < whole; cut += 3) {
		memcpy(b.data, keep, whole);
		memset(b.data + cut, 0, whole - cut);
		pos = 0;
		while ((st = journal_next((const unsigned char *)b.data, b.len, &pos, &rec)) ==
		       JNEXT_OK)
			;
		ck_assert_msg(st == JNEXT_TORN, "cut at %zu: %d", cut, st);
		ck_assert_uint_eq(pos, last_start);
	}
	/* A byte after the zeros is not a tail of zeros: the bad record before it is damage. */
	b.data[b.len - 1] = 1;
	pos = 0;
	while ((st = journal_next((const unsigned char *)b.data, b.len, &pos, &rec)) == JNEXT_OK)
		;
	ck_assert_int_eq(st, JNEXT_CORRUPT);
	ck_assert_uint_eq(pos, last_start);
	free(keep);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

/* Three batches (each ends in a commit record), then 64 KB of zeros written ahead. */
static void three_batches(struct rbuf *b, size_t ends[3])
{
	struct engine *e = engine_new(cfg);
	uint64_t seq = 0;

	rbuf_init(b);
	journal_put_header(b);
	populate(e);
	journal_put_changes(b, e, &seq);
	ends[0] = b->len;
	scenario_move(e, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), NULL);
	scenario_move(e, 4, TSTATE_IN_REPAIR, cet(12, 1, 10, 5), "a note, for some bytes more");
	journal_put_changes(b, e, &seq);
	ends[1] = b->len;
	scenario_move(e, 3, TSTATE_IN_REPAIR, cet(12, 1, 11, 0), NULL);
	journal_put_changes(b, e, &seq);
	ends[2] = b->len;
	memset(rbuf_reserve(b, 65536), 0, 65536);
	b->len += 65536;
	engine_free(e);
}

/* Where replay stops, and that it stops on a bad record. */
static size_t first_bad(const struct rbuf *b)
{
	size_t pos = 0;
	struct jrec rec;
	enum jnext st;

	while ((st = journal_next((const unsigned char *)b->data, b->len, &pos, &rec)) == JNEXT_OK)
		;
	ck_assert_int_eq(st, JNEXT_CORRUPT);
	return pos;
}

/*
 * A power failure during a commit over the zeros: its pages may reach the disk
 * in any order. Pieces of the last batch after a lost page are a torn commit;
 * a bad record with a whole batch after it is damage, as before.
 */
START_TEST(test_commit_torn_over_the_zeros)
{
	struct rbuf b;
	size_t ends[3], at;
	const unsigned char *u;

	three_batches(&b, ends);
	u = (const unsigned char *)b.data;
	/* The last batch's first bytes lost (still zeros), the rest of it on disk. */
	memset(b.data + ends[1], 0, 6);
	at = first_bad(&b);
	ck_assert_uint_eq(at, ends[1]);
	ck_assert(journal_torn_commit(u, b.len, at));
	/* Without zeros after it (a file that was appended to): damage, as before. */
	ck_assert(!journal_torn_commit(u, ends[2], at));
	rbuf_free(&b);

	/* Damage in the second batch, the third whole after it: damage. */
	three_batches(&b, ends);
	u = (const unsigned char *)b.data;
	b.data[ends[0] + 6] ^= 0x40; /* a payload byte of its first record */
	at = first_bad(&b);
	ck_assert_uint_eq(at, ends[0]);
	ck_assert(!journal_torn_commit(u, b.len, at));
	rbuf_free(&b);

	/* Damage in the first batch: damage. */
	three_batches(&b, ends);
	u = (const unsigned char *)b.data;
	b.data[ends[0] - 5] ^= 0x40; /* the last payload byte of its commit */
	at = first_bad(&b);
	ck_assert_uint_lt(at, ends[0]);
	ck_assert(!journal_torn_commit(u, b.len, at));
	rbuf_free(&b);

	/* A lost page in the middle of the last batch, its commit on disk: torn. */
	three_batches(&b, ends);
	u = (const unsigned char *)b.data;
	memset(b.data + ends[1] + 2, 0, (ends[2] - ends[1]) / 2);
	at = first_bad(&b);
	ck_assert_uint_eq(at, ends[1]);
	ck_assert(journal_torn_commit(u, b.len, at));
	rbuf_free(&b);
}
END_TEST

START_TEST(test_malformed_payload_is_refused)
{
	struct engine *e = engine_new(cfg);
	unsigned char payload[8] = {1, 2, 3};
	struct jrec rec = {.type = JREC_TICKET, .payload = payload, .len = 3};
	char err[256];

	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	/* The varint records: cut short, and a varint that never ends. */
	rec.type = JREC_DELTA_V;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	rec.type = JREC_COMMIT_V;
	rec.len = 1;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	memset(payload, 0xff, sizeof payload);
	rec.len = sizeof payload;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	rec.type = JREC_DELTA_V;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	rec.type = 99;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	engine_free(e);
}
END_TEST

/* ---- format 1, delta records, the outbox cursor, delivery state ---- */

/* A journal written before delta records (format 1) replays to today's state. */
START_TEST(test_format_1_journal_replays)
{
	struct scenario_hooks live_hooks = {hook_nothing, hook_drop, NULL};
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf b;
	size_t off = 0;
	struct jrec rec;

	/* It is format 1 indeed: the header says so and every ticket record is whole. */
	ck_assert_int_eq(journal_next(journal_v1_fixture, sizeof journal_v1_fixture, &off, &rec),
	                 JNEXT_OK);
	ck_assert_int_eq(rec.type, JREC_HEADER);
	ck_assert_int_eq(rec.payload[rec.len - 4], 1);
	while (journal_next(journal_v1_fixture, sizeof journal_v1_fixture, &off, &rec) == JNEXT_OK)
		ck_assert(rec.type != JREC_DELTA && rec.type != JREC_COMMIT);
	scenario_run(live, &live_hooks);
	rbuf_init(&b);
	rbuf_append(&b, journal_v1_fixture, sizeof journal_v1_fixture);
	copy = replay(&b);
	assert_same(live, copy, cet(12, 12, 9, 0));
	ck_assert_int_eq(engine_clock(copy), engine_clock(live));
	ck_assert_uint_eq(engine_retained_count(copy), engine_retained_count(live));
	/* Format 1 journaled every event; only the kept types wait now. */
	for (size_t i = 0; i < engine_outbox_count(copy); i++)
		ck_assert(cfg->redis_events & (1u << engine_outbox_at(copy, i)->type));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

/* The same scenario journaled today: delta records, and the same state back. */
START_TEST(test_format_2_uses_deltas)
{
	struct journaling j = {.seq = 0};
	struct scenario_hooks hooks = {hook_commit, hook_deliver, &j};
	struct engine *live = engine_new(cfg), *copy;
	size_t off = 0, deltas = 0, tickets = 0;
	struct jrec rec;

	rbuf_init(&j.b);
	journal_put_header(&j.b);
	scenario_run(live, &hooks);
	while (journal_next((const unsigned char *)j.b.data, j.b.len, &off, &rec) == JNEXT_OK) {
		deltas += rec.type == JREC_DELTA_V;
		tickets += rec.type == JREC_TICKET;
	}
	ck_assert_uint_eq(tickets, 5); /* one whole record per ticket: its opening */
	ck_assert_uint_ge(deltas, 5);
	ck_assert_uint_lt(j.b.len, sizeof journal_v1_fixture);
	copy = replay(&j.b);
	assert_same(live, copy, cet(12, 12, 9, 0));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

/* A move journals what changed: the same bytes whatever the length of the history
 * (but for the varint that counts it). */
START_TEST(test_move_record_independent_of_history)
{
	struct engine *e = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0;
	size_t sizes[2];
	int64_t at = cet(12, 1, 10, 0);

	populate(e);
	rbuf_init(&b);
	journal_put_changes(&b, e, &seq);
	for (int round = 0; round < 2; round++) {
		/* Grow ticket 3's history, then measure one move of it. */
		for (int i = 0; i < (round ? 200 : 2); i++) {
			at += 60;
			scenario_move(e, 3, i % 2 ? TSTATE_DIAGNOSING : TSTATE_IN_REPAIR, at, NULL);
		}
		b.len = 0;
		journal_put_changes(&b, e, &seq);
		b.len = 0;
		at += 60;
		scenario_move(e, 3, TSTATE_AWAITING_CUSTOMER, at, NULL);
		journal_put_changes(&b, e, &seq);
		sizes[round] = b.len;
		at += 60;
		scenario_move(e, 3, TSTATE_DIAGNOSING, at, NULL);
		b.len = 0;
		journal_put_changes(&b, e, &seq);
	}
	/* Only varints grow: the history's length (2 entries, then 200 more) and the time
	 * the clock ran (200 more minutes). */
	ck_assert_uint_ge(sizes[1], sizes[0]);
	ck_assert_uint_le(sizes[1], sizes[0] + 2);
	/* The move's whole batch, delta and commit: Redis's AOF entry for an HSET is ~60. */
	ck_assert_uint_lt(sizes[1], 80);
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

/* Records of type t in b. */
static int count_records(const struct rbuf *b, uint8_t type)
{
	size_t off = 0;
	struct jrec rec;
	int n = 0;

	while (journal_next((const unsigned char *)b->data, b->len, &off, &rec) == JNEXT_OK)
		n += rec.type == type;
	return n;
}

/* A member's record is journaled when its slots change, not with every move of its tickets. */
START_TEST(test_member_journaled_only_when_its_slots_change)
{
	struct engine *e = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0;
	int64_t at = cet(12, 1, 10, 0);

	populate(e);
	rbuf_init(&b);
	journal_put_changes(&b, e, &seq);
	/* Ticket 3 (member 2001) holds a slot: from repair to parts, it keeps it. */
	b.len = 0;
	scenario_move(e, 3, TSTATE_IN_REPAIR, at, NULL);
	journal_put_changes(&b, e, &seq);
	ck_assert_int_eq(count_records(&b, JREC_DELTA_V), 1);
	ck_assert_int_eq(count_records(&b, JREC_MEMBER), 0);
	/* Ready: the slot is freed, and the member's count must reach the journal. */
	b.len = 0;
	scenario_move(e, 3, TSTATE_READY, at + 60, NULL);
	journal_put_changes(&b, e, &seq);
	ck_assert_int_eq(count_records(&b, JREC_MEMBER), 1);
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

/* A delta that does not follow the ticket's previous record is refused, not misapplied. */
START_TEST(test_delta_out_of_step_is_refused)
{
	struct engine *live = engine_new(cfg), *copy = engine_new(cfg);
	struct rbuf b;
	uint64_t seq = 0;
	size_t off = 0;
	struct jrec rec;
	char err[256];
	int refused = 0;

	populate(live);
	rbuf_init(&b);
	journal_put_changes(&b, live, &seq); /* not replayed: the copy has no tickets */
	b.len = 0;
	scenario_move(live, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), NULL);
	journal_put_changes(&b, live, &seq);
	while (journal_next((const unsigned char *)b.data, b.len, &off, &rec) == JNEXT_OK)
		if (rec.type == JREC_DELTA_V) {
			ck_assert_int_eq(journal_apply(copy, &rec, err, sizeof err), -1);
			ck_assert_ptr_nonnull(strstr(err, "ticket 3"));
			refused++;
		}
	ck_assert_int_eq(refused, 1);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

/*
 * A record with a valid CRC but a loan reason or programme no name exists for
 * (a bug, or a journal from elsewhere) is refused as malformed: the reply and
 * the archive index their name tables with these.
 */
START_TEST(test_out_of_range_names_are_refused)
{
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf base, b;
	uint64_t seq = 0;
	char err[256];

	populate(live);
	rbuf_init(&base);
	journal_put_header(&base);
	journal_put_changes(&base, live, &seq);
	/* A whole ticket with either, and a delta (which carries no programme) with the first. */
	for (int k = 0; k < 3; k++) {
		struct ticket img = *engine_ticket_get(live, 1);
		size_t off = 0;
		struct jrec rec;

		if (k != 1)
			img.loan_reason = 200;
		else
			img.programme = 100;
		copy = replay(&base);
		rbuf_init(&b);
		if (k < 2)
			journal_put_ticket(&b, live, &img);
		else
			journal_put_delta(&b, live, &img, img.nhist);
		ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec),
		                 JNEXT_OK);
		ck_assert_msg(journal_apply(copy, &rec, err, sizeof err) == -1, "case %d applied",
		              k);
		ck_assert_ptr_nonnull(strstr(err, "malformed"));
		rbuf_free(&b);
		engine_free(copy);
	}
	rbuf_free(&base);
	engine_free(live);
}
END_TEST

/* Redis disabled: no event waits, yet the sequence survives a restart. */
START_TEST(test_redis_disabled_keeps_no_events)
{
	struct engine *e, *copy;
	struct rbuf b;
	uint64_t seq = 0;
	size_t off = 0, events = 0;
	struct jrec rec;
	const struct event *evs;

	cfg->redis_enabled = false;
	e = engine_new(cfg);
	populate(e);
	ck_assert_uint_eq(engine_outbox_count(e), 0);
	ck_assert_uint_gt(engine_emitted(e, &evs), 10); /* still there for the log */
	rbuf_init(&b);
	journal_put_header(&b);
	journal_put_changes(&b, e, &seq);
	ck_assert_uint_eq(engine_emitted(e, &evs), 0); /* the commit took the batch */
	while (journal_next((const unsigned char *)b.data, b.len, &off, &rec) == JNEXT_OK)
		events += rec.type == JREC_EVENT;
	ck_assert_uint_eq(events, 0);
	copy = replay(&b);
	ck_assert_uint_eq(engine_last_seq(copy), engine_last_seq(e));
	ck_assert_uint_eq(seq, engine_last_seq(e));
	engine_free(copy);
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

/* Only the configured types wait; the others are in the batch only. */
START_TEST(test_only_configured_types_wait)
{
	struct engine *e;
	const struct event *evs;
	size_t n, kept = 0;

	cfg->redis_events = 1u << EVENT_TICKET_OPENED;
	e = engine_new(cfg);
	populate(e);
	n = engine_emitted(e, &evs);
	for (size_t i = 0; i < n; i++)
		kept += evs[i].type == EVENT_TICKET_OPENED;
	ck_assert_uint_eq(kept, 5);
	ck_assert_uint_eq(engine_outbox_count(e), kept);
	for (size_t i = 0; i < engine_outbox_count(e); i++)
		ck_assert_int_eq(engine_outbox_at(e, i)->type, EVENT_TICKET_OPENED);
	engine_free(e);
}
END_TEST

/*
 * Commit cost does not depend on the events waiting: with 200,000 waiting,
 * a commit writes only the new one (the old code walked them all).
 */
START_TEST(test_commit_does_not_walk_the_outbox)
{
	struct engine *e;
	struct rbuf b;
	uint64_t seq = 0;
	size_t off = 0, events = 0;
	struct jrec rec;
	struct engine_outbox_stats st;
	int64_t at = cet(12, 1, 10, 0);

	cfg->redis_events = ~0u;
	e = engine_new(cfg);
	populate(e);
	rbuf_init(&b);
	for (int i = 0; i < 100000; i++) {
		at += 1;
		scenario_move(e, 3, i % 2 ? TSTATE_IN_REPAIR : TSTATE_DIAGNOSING, at, NULL);
		if (i % 1000 == 999) {
			b.len = 0;
			journal_put_changes(&b, e, &seq);
		}
	}
	ck_assert_uint_gt(engine_outbox_count(e), 100000);
	b.len = 0;
	journal_put_changes(&b, e, &seq);
	ck_assert_uint_eq(engine_outbox_unjournaled(e), 0);
	b.len = 0;
	at += 1;
	scenario_move(e, 3, TSTATE_AWAITING_CUSTOMER, at, NULL);
	ck_assert_uint_eq(engine_outbox_unjournaled(e), 1);
	journal_put_changes(&b, e, &seq);
	while (journal_next((const unsigned char *)b.data, b.len, &off, &rec) == JNEXT_OK)
		events += rec.type == JREC_EVENT;
	ck_assert_uint_eq(events, 1);
	engine_outbox_stats(e, &st);
	ck_assert_uint_eq(st.waiting, engine_outbox_count(e));
	ck_assert_uint_ge(st.bytes, st.waiting * st.event_size);
	ck_assert_int_eq(st.oldest_at, engine_outbox_at(e, 0)->at);
	/* Delivery of all but one: the ring gives its memory back. */
	engine_outbox_drop(e, engine_outbox_count(e) - 1);
	engine_outbox_stats(e, &st);
	ck_assert_uint_eq(st.waiting, 1);
	ck_assert_uint_eq(st.retained, ENGINE_RETAIN_EVENTS);
	ck_assert_uint_lt(st.bytes, 4 * (ENGINE_RETAIN_EVENTS + 1) * st.event_size);
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

/* Delivered events stay for resending, by count and by age, and across a compaction. */
START_TEST(test_retention_window)
{
	struct engine *e, *copy;
	struct rbuf b;
	uint64_t seq = 0, first;
	size_t n;

	cfg->redis_events = ~0u;
	e = engine_new(cfg);
	engine_set_retention(e, 5, 0);
	populate(e);
	n = engine_outbox_count(e);
	ck_assert_uint_gt(n, 8);
	first = engine_outbox_at(e, 0)->seq;
	engine_outbox_drop(e, 3);
	ck_assert_uint_eq(engine_retained_count(e), 3);
	ck_assert_uint_eq(engine_retained_at(e, 0)->seq, first);
	ck_assert_uint_eq(engine_retained_after(e, first), 1);
	ck_assert_uint_eq(engine_outbox_after(e, first + 3), 1);
	engine_outbox_drop(e, 4);
	ck_assert_uint_eq(engine_retained_count(e), 5); /* the count limit */
	ck_assert_uint_eq(engine_retained_at(e, 0)->seq, first + 2);
	/* A compaction keeps them. */
	rbuf_init(&b);
	journal_put_snapshot(&b, e);
	copy = replay(&b);
	ck_assert_uint_eq(engine_retained_count(copy), 5);
	ck_assert_uint_eq(engine_retained_at(copy, 0)->seq, first + 2);
	ck_assert_uint_eq(engine_outbox_count(copy), n - 7);
	ck_assert_uint_eq(engine_outbox_at(copy, 0)->seq, engine_outbox_at(e, 0)->seq);
	engine_free(copy);
	/* By age: the oldest kept is just inside the window, until the clock moves on. */
	engine_set_retention(e, 100, engine_clock(e) - engine_retained_at(e, 0)->at + H);
	ck_assert_uint_eq(engine_retained_count(e), 5);
	engine_advance(e, engine_clock(e) + 2 * H);
	ck_assert_uint_lt(engine_retained_count(e), 5);
	engine_advance(e, engine_clock(e) + 60 * 24 * H);
	ck_assert_uint_eq(engine_retained_count(e), 0);
	(void)seq;
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

/* The delivered sequence per stream survives the journal and a compaction. */
START_TEST(test_stream_delivery_state_survives)
{
	struct engine *e = engine_new(cfg), *copy;
	struct rbuf b, snap;
	uint64_t seq = 0;
	size_t off = 0, streams = 0;
	struct jrec rec;

	rbuf_init(&b);
	rbuf_init(&snap);
	journal_put_header(&b);
	populate(e);
	journal_put_changes(&b, e, &seq);
	ck_assert_uint_eq(engine_stream_delivered(e, "DE-PSC-TEST"), 0);
	engine_stream_set_delivered(e, "DE-PSC-TEST", 7);
	engine_stream_set_delivered(e, "NL-PSC-ELSEWHERE", 3);
	engine_stream_set_delivered(e, "DE-PSC-TEST", 5); /* only raises */
	ck_assert_uint_eq(engine_stream_delivered(e, "DE-PSC-TEST"), 7);
	journal_put_changes(&b, e, &seq);
	while (journal_next((const unsigned char *)b.data, b.len, &off, &rec) == JNEXT_OK)
		streams += rec.type == JREC_STREAM;
	ck_assert_uint_eq(streams, 2);
	ck_assert_uint_eq(journal_put_changes(&b, e, &seq), 0); /* written once */
	copy = replay(&b);
	ck_assert_uint_eq(engine_stream_delivered(copy, "DE-PSC-TEST"), 7);
	ck_assert_uint_eq(engine_stream_delivered(copy, "NL-PSC-ELSEWHERE"), 3);
	ck_assert_uint_eq(engine_stream_count(copy), 2);
	engine_free(copy);
	journal_put_snapshot(&snap, e);
	copy = replay(&snap);
	ck_assert_uint_eq(engine_stream_delivered(copy, "DE-PSC-TEST"), 7);
	ck_assert_uint_eq(engine_stream_delivered(copy, "NL-PSC-ELSEWHERE"), 3);
	ck_assert_uint_eq(engine_stream_delivered(copy, "XX-NONE"), 0);
	engine_free(copy);
	engine_free(e);
	rbuf_free(&b);
	rbuf_free(&snap);
}
END_TEST

/* ---- property: random operations, commits, deliveries and compactions ---- */

static uint64_t prop_rng;

static uint64_t rnd(void)
{
	prop_rng ^= prop_rng << 13;
	prop_rng ^= prop_rng >> 7;
	prop_rng ^= prop_rng << 17;
	return prop_rng;
}

/* Byte for byte through the whole-record encoder: every field, the history in order. */
static void assert_same_bytes(const struct engine *a, const struct engine *b)
{
	struct rbuf ra, rb;
	const struct event *ea, *eb;

	rbuf_init(&ra);
	rbuf_init(&rb);
	ck_assert_uint_eq(engine_ticket_count(a), engine_ticket_count(b));
	for (uint64_t id = 1; id <= engine_ticket_count(a); id++) {
		ra.len = rb.len = 0;
		journal_put_ticket(&ra, a, engine_ticket_get(a, id));
		journal_put_ticket(&rb, b, engine_ticket_get(b, id));
		ck_assert_msg(ra.len == rb.len && memcmp(ra.data, rb.data, ra.len) == 0,
		              "ticket %llu differs after replay", (unsigned long long)id);
		ck_assert_int_eq(engine_ticket_get(a, id)->priority,
		                 engine_ticket_get(b, id)->priority);
	}
	for (uint64_t m = 1; m <= 6; m++) {
		const struct member *ma = engine_member_any(a, m), *mb = engine_member_any(b, m);
		ck_assert_int_eq(ma == NULL, mb == NULL);
		if (ma == NULL)
			continue;
		ra.len = rb.len = 0;
		journal_put_member(&ra, ma);
		journal_put_member(&rb, mb);
		ck_assert_msg(ra.len == rb.len && memcmp(ra.data, rb.data, ra.len) == 0,
		              "member %llu differs after replay", (unsigned long long)m);
	}
	ck_assert_uint_eq(engine_last_seq(a), engine_last_seq(b));
	ck_assert_int_eq(engine_clock(a), engine_clock(b));
	ck_assert_uint_eq(engine_outbox_count(a), engine_outbox_count(b));
	ck_assert_uint_eq(engine_retained_count(a), engine_retained_count(b));
	for (size_t i = 0; i < engine_outbox_count(a) + engine_retained_count(a); i++) {
		size_t r = engine_retained_count(a);
		ea = i < r ? engine_retained_at(a, i) : engine_outbox_at(a, i - r);
		eb = i < r ? engine_retained_at(b, i) : engine_outbox_at(b, i - r);
		ra.len = rb.len = 0;
		journal_put_event(&ra, a, ea);
		journal_put_event(&rb, b, eb);
		ck_assert_msg(ra.len == rb.len && memcmp(ra.data, rb.data, ra.len) == 0,
		              "event %llu differs after replay: type %d/%d ticket %llu/%llu at "
		              "%lld/%lld reason %s/%s serial %s/%s state %d/%d deadline %lld/%lld",
		              (unsigned long long)ea->seq, ea->type, eb->type,
		              (unsigned long long)ea->ticket, (unsigned long long)eb->ticket,
		              (long long)ea->at, (long long)eb->at, ea->reason, eb->reason,
		              ea->serial, eb->serial, ea->state, eb->state, (long long)ea->deadline,
		              (long long)eb->deadline);
	}
	ck_assert_uint_eq(engine_stream_count(a), engine_stream_count(b));
	for (size_t i = 0; i < engine_stream_count(a); i++) {
		const char *ca, *cb;
		ck_assert_uint_eq(engine_stream_at(a, i, &ca), engine_stream_at(b, i, &cb));
		ck_assert_str_eq(ca, cb);
	}
	rbuf_free(&ra);
	rbuf_free(&rb);
}

START_TEST(test_random_operations_replay_exactly)
{
	static const char *const products[] = {"EOS R5", "EOS C70"};
	static const char *const countries[] = {"DE", "ZA", "US"};
	struct engine *live, *copy;
	struct journaling j = {.seq = 0};
	int64_t now = cet(11, 2, 8, 0);
	char msg[256];

	prop_rng = 0x9E3779B97F4A7C15ull + (uint64_t)_i * 7919;
	cfg->redis_events = (unsigned)(rnd() & ((1u << EVENT_TYPE_COUNT) - 1));
	live = engine_new(cfg);
	engine_set_retention(live, 50, 0);
	rbuf_init(&j.b);
	journal_put_header(&j.b);
	for (int step = 0; step < 3000; step++) {
		unsigned op = (unsigned)(rnd() % 24);
		struct engine_error err;
		const struct ticket *t;
		now += (int64_t)(rnd() % (4 * H));
		if (op < 5 || engine_ticket_count(live) == 0) {
			struct ticket_open in = {.centre = "DE-PSC-TEST",
			                         .product = products[rnd() % 2],
			                         .serial = rnd() % 2 ? "SN0001" : "SN0002",
			                         .service = (enum service)(rnd() % 3),
			                         .member = rnd() % 7,
			                         .registered = rnd() % 5 != 0,
			                         .received = rnd() % 2,
			                         .received_at = now - (int64_t)(rnd() % H),
			                         .note = rnd() % 3 ? NULL : "note",
			                         .who = rnd() % 2 ? "ana" : "bo"};
			engine_ticket_open(live, &in, now, &t, &err);
		} else if (op < 15) {
			struct ticket_move mv = {
			        .id = 1 + rnd() % engine_ticket_count(live),
			        .to = (enum ticket_state)(1 + rnd() % (TSTATE_COUNT - 1)),
			        .note = rnd() % 4 ? NULL : "moved",
			        .who = "prop"};
			if (rnd() % 4 == 0)
				mv.at = now - (int64_t)(rnd() % (2 * H)); /* backdated */
			if (mv.to == TSTATE_AWAITING_PARTS && rnd() % 2)
				mv.eta = now + (int64_t)(rnd() % (10 * 24 * H));
			engine_ticket_move(live, &mv, now, &t, &err);
		} else if (op == 15) {
			uint64_t id = 1 + rnd() % engine_ticket_count(live);
			if (rnd() % 2)
				engine_loan_issue(live, id, rnd() % 2 ? "L1" : NULL, NULL, "prop",
				                  now, &t, &err);
			else
				engine_loan_return(live, id, "back", "prop", now, &t, &err);
		} else if (op == 16) {
			struct member_input in = {.number = 1 + rnd() % 6,
			                          .tier = (enum tier)(rnd() % 4),
			                          .expires = -1,
			                          .name = rnd() % 2 ? "N" : NULL};
			memcpy(in.country, countries[rnd() % 3], 3);
			if (rnd() % 4 == 0)
				engine_member_del(live, in.number, now);
			else
				engine_member_set(live, &in, now, &err);
		} else if (op < 20) {
			hook_commit(live, &j);
		} else if (op == 20 && engine_outbox_count(live) > 0) {
			/* Only journaled events go to Redis, so only they can be delivered. */
			size_t n = 1 + rnd() % engine_outbox_count(live);
			const struct event *ev = engine_outbox_at(live, n - 1);
			hook_commit(live, &j);
			engine_stream_set_delivered(live, engine_str(live, ev->centre), ev->seq);
			hook_deliver(live, ev->seq, &j);
		} else if (op == 21 && rnd() % 8 == 0) {
			/* Compaction: the snapshot, then the journal goes on after it. */
			hook_commit(live, &j);
			j.b.len = 0;
			journal_put_snapshot(&j.b, live);
		} else {
			engine_advance(live, now);
		}
	}
	hook_commit(live, &j);
	copy = replay(&j.b);
	engine_set_retention(copy, 50, 0);
	ck_assert_msg(engine_check(live, now, msg, sizeof msg) == 0, "%s", msg);
	/*
	 * The clock is journaled with the changes it brought: an advance that
	 * changed nothing leaves no record, so the copy's clock may lag. Brought
	 * to the live clock it must change nothing (all else was journaled).
	 */
	ck_assert_int_le(engine_clock(copy), engine_clock(live));
	engine_advance(copy, engine_clock(live));
	assert_same_bytes(live, copy);
	ck_assert_msg(engine_check(copy, now, msg, sizeof msg) == 0, "%s", msg);
	/* The copy goes on exactly like the original. */
	engine_advance(live, now + 30 * 24 * H);
	engine_advance(copy, now + 30 * 24 * H);
	assert_same_bytes(live, copy);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crc32c);
	tcase_add_test(tc, test_record_framing);
	tcase_add_test(tc, test_changes_replay_to_the_same_state);
	tcase_add_test(tc, test_snapshot_replays_to_the_same_state);
	tcase_add_test(tc, test_delivered_and_sequence_survive);
	tcase_add_test(tc, test_cut_at_every_byte_of_the_last_record);
	tcase_add_test(tc, test_flipped_byte_in_the_middle);
	tcase_add_test(tc, test_zeros_after_the_last_record_are_the_end);
	tcase_add_test(tc, test_commit_torn_over_the_zeros);
	tcase_add_test(tc, test_malformed_payload_is_refused);
	tcase_add_test(tc, test_format_1_journal_replays);
	tcase_add_test(tc, test_format_2_uses_deltas);
	tcase_add_test(tc, test_move_record_independent_of_history);
	tcase_add_test(tc, test_member_journaled_only_when_its_slots_change);
	tcase_add_test(tc, test_delta_out_of_step_is_refused);
	tcase_add_test(tc, test_out_of_range_names_are_refused);
	tcase_add_test(tc, test_redis_disabled_keeps_no_events);
	tcase_add_test(tc, test_only_configured_types_wait);
	tcase_add_test(tc, test_commit_does_not_walk_the_outbox);
	tcase_add_test(tc, test_retention_window);
	tcase_add_test(tc, test_stream_delivery_state_survives);
	tcase_add_loop_test(tc, test_random_operations_replay_exactly, 0, 64);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
