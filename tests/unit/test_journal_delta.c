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

static Suite *journal_delta_suite(void)
{
	Suite *s = suite_create("journal_delta");
	TCase *tc = tcase_create("journal_delta");

	tcase_add_checked_fixture(tc, setup, teardown);
	if (fixture_out)
		tcase_add_test(tc, write_fixture);
	else
		tcase_add_test(tc, test_format_2_journal_replays);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-v2-fixture") == 0)
		fixture_out = argv[2];
	return unit_run_suite(journal_delta_suite());
}
