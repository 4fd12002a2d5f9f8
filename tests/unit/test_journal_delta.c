/*
 * Unit tests: the compact delta record (JREC_DELTA_V) and the journals
 * written before it. A format-2 journal (JREC_DELTA) still replays to the
 * scenario's state; a plain move journals a small batch.
 *
 * `test_journal_delta --write-v2-fixture tests/unit/journal_v2_fixture.h`
 * journals the scenario with the encoder built in: it made that fixture at
 * the commit its comment names, and with a later encoder writes today's format.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "journal_scenario.h"
#include "journal_v2_fixture.h"
#include "timeutil.h"

static const char *fixture_out; /* set from the command line only */

/* The scenario journaled, as a C header into fixture_out. */
START_TEST(write_fixture)
{
	struct journaling j = {.seq = 0};
	struct scenario_hooks hooks = {hook_commit, hook_deliver, &j};
	struct engine *e = engine_new(cfg);
	FILE *f = fopen(fixture_out, "w");

	ck_assert_msg(f != NULL, "%s", fixture_out);
	rbuf_init(&j.b);
	journal_put_header(&j.b);
	scenario_run(e, &hooks);
	fprintf(f,
	        "/*\n"
	        " * journal_scenario.h's scenario journaled by the format-2 encoder (repaird at\n"
	        " * commit COMMIT, before compact delta records): JREC_DELTA records.\n"
	        " * Made by `test_journal_delta --write-v2-fixture FILE` at that commit.\n"
	        " */\n"
	        "static const unsigned char journal_v2_fixture[%zu] = {",
	        j.b.len);
	for (size_t i = 0; i < j.b.len; i++)
		fprintf(f, "%s0x%02x,", i % 12 ? " " : "\n        ", (unsigned char)j.b.data[i]);
	fprintf(f, "\n};\n");
	ck_assert_int_eq(fclose(f), 0);
	engine_free(e);
	rbuf_free(&j.b);
}
END_TEST

/* A journal written with JREC_DELTA records (format 2) replays to today's state. */
START_TEST(test_format_2_journal_replays)
{
	struct scenario_hooks live_hooks = {hook_nothing, hook_drop, NULL};
	struct engine *live = engine_new(cfg), *copy;
	struct rbuf b;
	size_t off = 0, deltas = 0;
	struct jrec rec;

	/* It is format 2 indeed: the header says so and changes are JREC_DELTA records. */
	ck_assert_int_eq(journal_next(journal_v2_fixture, sizeof journal_v2_fixture, &off, &rec),
	                 JNEXT_OK);
	ck_assert_int_eq(rec.type, JREC_HEADER);
	ck_assert_int_eq(rec.payload[rec.len - 4], 2);
	while (journal_next(journal_v2_fixture, sizeof journal_v2_fixture, &off, &rec) ==
	       JNEXT_OK) {
		ck_assert_int_le(rec.type, JREC_IDS);
		deltas += rec.type == JREC_DELTA;
	}
	ck_assert_uint_ge(deltas, 5);
	scenario_run(live, &live_hooks);
	rbuf_init(&b);
	rbuf_append(&b, journal_v2_fixture, sizeof journal_v2_fixture);
	copy = replay(&b);
	assert_same(live, copy, cet(12, 12, 9, 0));
	ck_assert_int_eq(engine_clock(copy), engine_clock(live));
	ck_assert_uint_eq(engine_last_seq(copy), engine_last_seq(live));
	ck_assert_uint_eq(engine_retained_count(copy), engine_retained_count(live));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&b);
}
END_TEST

/* The records of type type in b, each framed: its first byte's offset and its length. */
static size_t find_record(const struct rbuf *b, uint8_t type, struct jrec *out, size_t *size)
{
	size_t off = 0, at = 0, n = 0;
	struct jrec rec;

	while (journal_next((const unsigned char *)b->data, b->len, &off, &rec) == JNEXT_OK) {
		if (rec.type == type) {
			*out = rec;
			*size = off - at;
			n++;
		}
		at = off;
	}
	return n;
}

/* The engine after the scenario's day, journaled; j holds the journal so far. */
static struct engine *journaled_day(struct journaling *j)
{
	struct engine *e = engine_new(cfg);

	populate(e);
	rbuf_init(&j->b);
	j->seq = 0;
	journal_put_header(&j->b);
	journal_put_changes(&j->b, e, &j->seq);
	return e;
}

/*
 * A plain move: a small record (49 bytes here: 9 of framing, 5 of last_change,
 * 6 of who), its "from -> to" a byte, rebuilt the same at replay.
 */
START_TEST(test_plain_move_record_is_small)
{
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy;
	struct rbuf batch;
	struct jrec rec;
	size_t size, at = j.b.len;
	const struct ticket *t;

	scenario_move(live, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), NULL);
	journal_put_changes(&j.b, live, &j.seq);
	rbuf_init(&batch);
	rbuf_append(&batch, j.b.data + at, j.b.len - at);
	ck_assert_uint_eq(find_record(&batch, JREC_DELTA_V, &rec, &size), 1);
	ck_assert_msg(size < 56, "a plain move's delta record is %zu bytes", size);
	ck_assert_ptr_null(memmem(rec.payload, rec.len, " -> ", 4));
	ck_assert_uint_eq(find_record(&batch, JREC_COMMIT_V, &rec, &size), 1);
	ck_assert_msg(size < 20, "a commit record is %zu bytes", size);
	ck_assert_msg(batch.len < 72, "a plain move's batch is %zu bytes", batch.len);
	copy = replay(&j.b);
	t = engine_ticket_get(copy, 3);
	ck_assert_str_eq(t->hist[t->nhist - 1].detail, "received -> diagnosing");
	assert_same(live, copy, cet(12, 2, 9, 0));
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
	rbuf_free(&batch);
}
END_TEST

/* A replayed plain move's text is the engine's one shared copy, as when it was made. */
START_TEST(test_replayed_plain_moves_share_their_text)
{
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy;
	const struct ticket *t;
	int64_t at = cet(12, 1, 10, 0);
	static const enum ticket_state to[] = {TSTATE_DIAGNOSING, TSTATE_IN_REPAIR,
	                                       TSTATE_DIAGNOSING, TSTATE_IN_REPAIR};

	for (int i = 0; i < 4; i++)
		scenario_move(live, 3, to[i], at + 60 * i, NULL);
	journal_put_changes(&j.b, live, &j.seq);
	copy = replay(&j.b);
	t = engine_ticket_get(copy, 3);
	ck_assert_str_eq(t->hist[t->nhist - 1].detail, "diagnosing -> in_repair");
	ck_assert_ptr_eq(t->hist[t->nhist - 1].detail, t->hist[t->nhist - 3].detail);
	ck_assert_str_eq(t->hist[t->nhist - 2].detail, "in_repair -> diagnosing");
	assert_same(live, copy, at + 3600);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

/* Details that are not the plain text, some much like it, come back as they were. */
START_TEST(test_history_details_round_trip)
{
	static const char *const notes[] = {"a -> b", "received -> diagnosing", "", "x",
	                                    "\xc3\xa9t\xc3\xa9 -> ready"};
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy;
	struct engine_error err;
	const struct ticket *t;
	int64_t at = cet(12, 1, 10, 0);
	struct ticket_move mv = {.id = 1, .to = TSTATE_IN_REPAIR, .who = ""};

	must(engine_ticket_move(live, &mv, at, &t, &err), &err);
	for (int i = 0; i < 5; i++) {
		at += 3600;
		scenario_move(live, 3, i % 2 ? TSTATE_DIAGNOSING : TSTATE_IN_REPAIR, at, notes[i]);
		if (i % 2)
			journal_put_changes(&j.b, live, &j.seq);
	}
	mv = (struct ticket_move){.id = 1,
	                          .to = TSTATE_AWAITING_PARTS,
	                          .eta = at + 86400,
	                          .note = "valve -> spring",
	                          .who = "a very long name for a member of the staff, longer than "
	                                 "one hundred and twenty-eight bytes so that its length "
	                                 "takes two bytes of varint, and then some more"};
	must(engine_ticket_move(live, &mv, at + 60, &t, &err), &err);
	journal_put_changes(&j.b, live, &j.seq);
	copy = replay(&j.b);
	assert_same(live, copy, at + 3600);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

/* Every time field at the ends of its range, 0 and -1: the varints carry them exactly. */
START_TEST(test_extreme_values_round_trip)
{
	static const int64_t values[] = {0, -1, 1, INT64_MIN, INT64_MAX, 1764000000, -1764000000};
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy = replay(&j.b);
	struct rbuf b;

	rbuf_init(&b);
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		const struct ticket *t = engine_ticket_get(live, 2), *r;
		struct ticket img = *t;
		size_t off = 0;
		struct jrec rec;
		char msg[256];
		int64_t v = values[i], w = values[(i + 3) % 7];

		img.last_change = w;
		img.received_at = img.ready_at = img.closed_at = v;
		img.clock_since = img.deadline = img.eta = v;
		img.used = img.budget = ticket_secs(v); /* business seconds are 32-bit */
		img.target_days = (uint16_t)v;
		b.len = 0;
		journal_put_delta(&b, live, &img, img.nhist);
		ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec),
		                 JNEXT_OK);
		ck_assert_msg(journal_apply(copy, &rec, msg, sizeof msg) == 0, "%s", msg);
		r = engine_ticket_get(copy, 2);
		ck_assert_int_eq(r->last_change, w);
		ck_assert_int_eq(r->received_at, v);
		ck_assert_int_eq(r->ready_at, v);
		ck_assert_int_eq(r->closed_at, v);
		ck_assert_int_eq(r->clock_since, v);
		ck_assert_int_eq(r->deadline, v);
		ck_assert_int_eq(r->eta, v);
		ck_assert_int_eq(r->used, ticket_secs(v));
		ck_assert_int_eq(r->budget, ticket_secs(v));
		ck_assert_uint_eq(r->target_days, (uint16_t)v);
		ck_assert_uint_eq(r->nhist, t->nhist);
	}
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
	rbuf_free(&b);
}
END_TEST

/*
 * The values at the edges of every varint length, signed (zigzag: -2^(7k-1)
 * and 2^(7k-1) are where k bytes stop being enough) and unsigned, each
 * encoded at every offset of a fresh buffer's first allocations: the
 * encoder writes into room it reserved, and a wrong bound or length shows.
 */
START_TEST(test_varint_length_edges_round_trip)
{
	static const uint16_t targets[] = {1, 127, 128, 16383, 16384, 65535};
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy = replay(&j.b), *clocked;
	int64_t v[9 * 6 + 2];
	size_t n = 0;

	for (int k = 1; k <= 9; k++) {
		int64_t edge = (int64_t)1 << (7 * k - 1);
		for (int d = -1; d <= 1; d++) {
			v[n++] = edge + d;
			v[n++] = -edge + d;
		}
	}
	v[n++] = INT64_MAX;
	v[n++] = INT64_MIN;
	for (size_t i = 0; i < n * 6; i++) {
		const struct ticket *t = engine_ticket_get(live, 2), *r;
		struct ticket img = *t;
		int64_t x = v[i % n];
		int32_t x32 = ticket_secs(x);
		size_t pad = i % 300, off = pad;
		struct jrec rec;
		struct rbuf b;
		char msg[256];

		rbuf_init(&b);
		for (size_t k = 0; k < pad; k++)
			rbuf_append(&b, "x", 1);
		img.last_change = 0; /* the times' differences are the values themselves */
		img.received_at = img.ready_at = img.closed_at = x;
		img.clock_since = img.deadline = img.eta = x;
		/* Business seconds are 32 bits in memory: the edges that fit them. */
		img.used = img.budget = x32;
		img.target_days = targets[i % 6];
		journal_put_delta(&b, live, &img, img.nhist);
		ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec),
		                 JNEXT_OK);
		ck_assert_uint_eq(off, b.len);
		ck_assert_msg(journal_apply(copy, &rec, msg, sizeof msg) == 0, "%s", msg);
		r = engine_ticket_get(copy, 2);
		ck_assert_int_eq(r->received_at, x);
		ck_assert_int_eq(r->ready_at, x);
		ck_assert_int_eq(r->closed_at, x);
		ck_assert_int_eq(r->clock_since, x);
		ck_assert_int_eq(r->deadline, x);
		ck_assert_int_eq(r->eta, x);
		ck_assert_int_eq(r->used, x32);
		ck_assert_int_eq(r->budget, x32);
		ck_assert_uint_eq(r->target_days, targets[i % 6]);
		rbuf_free(&b);
	}
	/* A commit's clock (signed) and sequence (unsigned), growing as replay wants them. */
	clocked = engine_new(cfg);
	for (int k = 1; k <= 9; k++) {
		for (int d = -1; d <= 1; d++) {
			int64_t clock = ((int64_t)1 << (7 * k - 1)) + d;
			uint64_t seq = ((uint64_t)1 << (7 * k)) + (uint64_t)d;
			size_t off = 0;
			struct jrec rec;
			struct rbuf b;
			char msg[256];

			rbuf_init(&b);
			journal_put_commit(&b, clock, seq);
			ck_assert_int_eq(
			        journal_next((const unsigned char *)b.data, b.len, &off, &rec),
			        JNEXT_OK);
			ck_assert_msg(journal_apply(clocked, &rec, msg, sizeof msg) == 0, "%s",
			              msg);
			ck_assert_int_eq(engine_clock(clocked), clock);
			ck_assert_uint_eq(engine_last_seq(clocked), seq);
			rbuf_free(&b);
		}
	}
	engine_free(clocked);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

/* Notes of 127 and 128 bytes, and 16383 and 16384: a string's length crossing a byte. */
START_TEST(test_string_length_edges_round_trip)
{
	static const size_t lens[] = {127, 128, 16383, 16384};
	struct journaling j;
	struct engine *live = journaled_day(&j), *copy;
	int64_t at = cet(12, 1, 10, 0);
	char *note = malloc(16385);

	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		memset(note, 'a' + (int)i, lens[i]);
		note[lens[i]] = '\0';
		at += 60;
		scenario_move(live, 3, i % 2 ? TSTATE_DIAGNOSING : TSTATE_IN_REPAIR, at, note);
		journal_put_changes(&j.b, live, &j.seq);
	}
	copy = replay(&j.b);
	assert_same(live, copy, at + 3600);
	free(note);
	engine_free(copy);
	engine_free(live);
	rbuf_free(&j.b);
}
END_TEST

/* Apply a delta payload to a copy of the day: 0, or -1 with "malformed" or "ticket" said. */
static int apply_payload(const struct rbuf *day, uint8_t type, const unsigned char *p, size_t len)
{
	struct engine *copy = replay(day);
	struct jrec rec = {.type = type, .payload = p, .len = (uint32_t)len};
	char err[256] = "";
	int rc = journal_apply(copy, &rec, err, sizeof err);

	if (rc < 0)
		ck_assert_msg(strstr(err, "malformed") || strstr(err, "ticket"), "%s", err);
	engine_free(copy);
	return rc;
}

/* A cut, a byte too many, an overlong varint or a state out of range is refused. */
START_TEST(test_malformed_delta_is_refused)
{
	static const unsigned char overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	                                         0x80, 0x80, 0x80, 0x80, 0x01};
	struct journaling j;
	struct engine *live = journaled_day(&j);
	struct rbuf b, payload;
	struct jrec rec;
	size_t size;
	uint64_t rng = 0x2545F4914F6CDD1Dull;

	rbuf_init(&b);
	rbuf_init(&payload);
	scenario_move(live, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), "with a note");
	journal_put_changes(&b, live, &j.seq);
	ck_assert_uint_eq(find_record(&b, JREC_DELTA_V, &rec, &size), 1);
	rbuf_append(&payload, rec.payload, rec.len);
	ck_assert_int_eq(apply_payload(&j.b, JREC_DELTA_V, rec.payload, rec.len), 0);
	/* Copied to a buffer of its own size: the sanitizer build sees any read past it. */
	for (size_t cut = 0; cut < rec.len; cut++) {
		unsigned char *p = malloc(cut + 1);
		memcpy(p, rec.payload, cut);
		ck_assert_msg(apply_payload(&j.b, JREC_DELTA_V, p, cut) == -1, "cut at %zu", cut);
		free(p);
	}
	rbuf_append(&payload, "", 1);
	ck_assert_int_eq(
	        apply_payload(&j.b, JREC_DELTA_V, (unsigned char *)payload.data, payload.len), -1);
	ck_assert_int_eq(apply_payload(&j.b, JREC_DELTA_V, overlong, sizeof overlong), -1);
	ck_assert_int_eq(apply_payload(&j.b, JREC_COMMIT_V, overlong, sizeof overlong), -1);
	/* Random damage: refused or applied, never a read past the payload. */
	for (int i = 0; i < 300; i++) {
		unsigned char *p = malloc(rec.len);
		memcpy(p, rec.payload, rec.len);
		for (int k = 0; k < 3; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			p[rng % rec.len] = (unsigned char)(rng >> 32);
		}
		apply_payload(&j.b, JREC_DELTA_V, p, rec.len);
		free(p);
	}
	engine_free(live);
	rbuf_free(&j.b);
	rbuf_free(&b);
	rbuf_free(&payload);
}
END_TEST

/* A plain move's states out of range: refused, not looked up past the names. */
START_TEST(test_plain_move_states_out_of_range_are_refused)
{
	struct journaling j;
	struct engine *live = journaled_day(&j);
	struct rbuf b;
	struct jrec rec;
	size_t size;
	unsigned char *p;

	rbuf_init(&b);
	scenario_move(live, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), NULL);
	journal_put_changes(&b, live, &j.seq);
	ck_assert_uint_eq(find_record(&b, JREC_DELTA_V, &rec, &size), 1);
	/* The payload ends with the entry's who ("bench", length 5) and its states byte. */
	ck_assert_mem_eq(rec.payload + rec.len - 7,
	                 "\x05"
	                 "bench",
	                 6);
	p = malloc(rec.len);
	memcpy(p, rec.payload, rec.len);
	ck_assert_int_eq(apply_payload(&j.b, JREC_DELTA_V, p, rec.len), 0);
	p[rec.len - 1] = (unsigned char)(TSTATE_COUNT << 4 | TSTATE_DIAGNOSING);
	ck_assert_int_eq(apply_payload(&j.b, JREC_DELTA_V, p, rec.len), -1);
	p[rec.len - 1] = (unsigned char)(TSTATE_RECEIVED << 4 | 15);
	ck_assert_int_eq(apply_payload(&j.b, JREC_DELTA_V, p, rec.len), -1);
	free(p);
	engine_free(live);
	rbuf_free(&j.b);
	rbuf_free(&b);
}
END_TEST

/* Files say format 3 now; a later format is refused with both numbers. */
START_TEST(test_header_says_format_3)
{
	struct engine *e = engine_new(cfg);
	struct rbuf b;
	size_t off = 0;
	struct jrec rec;
	char err[256];
	unsigned char *p;

	rbuf_init(&b);
	journal_put_header(&b);
	ck_assert_int_eq(journal_next((const unsigned char *)b.data, b.len, &off, &rec), JNEXT_OK);
	ck_assert_int_eq(rec.payload[rec.len - 4], 3);
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), 0);
	p = malloc(rec.len);
	memcpy(p, rec.payload, rec.len);
	p[rec.len - 4] = 4;
	rec.payload = p;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_str_eq(err, "journal format 4, this repaird reads 1 to 3");
	free(p);
	engine_free(e);
	rbuf_free(&b);
}
END_TEST

static Suite *journal_delta_suite(void)
{
	Suite *s = suite_create("journal_delta");
	TCase *tc = tcase_create("journal_delta");

	tcase_add_checked_fixture(tc, setup, teardown);
	if (fixture_out) {
		tcase_add_test(tc, write_fixture);
		suite_add_tcase(s, tc);
		return s;
	}
	tcase_add_test(tc, test_format_2_journal_replays);
	tcase_add_test(tc, test_plain_move_record_is_small);
	tcase_add_test(tc, test_replayed_plain_moves_share_their_text);
	tcase_add_test(tc, test_history_details_round_trip);
	tcase_add_test(tc, test_extreme_values_round_trip);
	tcase_add_test(tc, test_varint_length_edges_round_trip);
	tcase_add_test(tc, test_string_length_edges_round_trip);
	tcase_add_test(tc, test_malformed_delta_is_refused);
	tcase_add_test(tc, test_plain_move_states_out_of_range_are_refused);
	tcase_add_test(tc, test_header_says_format_3);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-v2-fixture") == 0)
		fixture_out = argv[2];
	return unit_run_suite(journal_delta_suite());
}
