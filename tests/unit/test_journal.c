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
#include "timeutil.h"

static char tmpdir[64];
static struct config *cfg;

#define H 3600

static int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static void setup(void)
{
	struct config_errors errs = {0};
	char path[128];
	const char *text =
	        "products: products.yaml\n"
	        "policy: {over_limit: queue}\n"
	        "countries:\n"
	        "  DE: {name: Germany, programme: subscription}\n"
	        "  ZA: {name: South Africa, programme: free}\n"
	        "centres:\n"
	        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
	        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: "
	        "\"09:00-17:00\",\n"
	        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";
	FILE *f;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/repaird-test-journal-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof path, "%s/products.yaml", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("products:\n"
	      "  - {model: \"EOS R5\", class: body, fast_track: true}\n"
	      "  - {model: \"EOS C70\", class: video, fast_track: true, video: true}\n",
	      f);
	fclose(f);
	cfg = config_parse("journal-test.yaml", text, strlen(text), tmpdir, &errs);
	ck_assert_ptr_nonnull(cfg);
}

static void teardown(void)
{
	char path[128];

	config_free(cfg);
	snprintf(path, sizeof path, "%s/products.yaml", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static void must(int rc, const struct engine_error *err)
{
	ck_assert_msg(rc == 0, "engine: %s", err->msg);
}

/* A day of work touching every kind of state: members (one deleted), queued and
 * promoted tickets, history with notes, loans, at-risk and breach, events. */
static void populate(struct engine *e)
{
	static const uint64_t numbers[] = {151335488, 2001, 3003};
	static const enum tier tiers[] = {TIER_PLATINUM, TIER_GOLD, TIER_SILVER};
	static const char *const countries[] = {"DE", "ZA", "DE"};
	struct engine_error err;
	const struct ticket *t;

	for (int i = 0; i < 3; i++) {
		struct member_input in = {.number = numbers[i],
		                          .tier = tiers[i],
		                          .expires = -1,
		                          .name = i == 0 ? "Ansel \"A\" Adams" : NULL};
		memcpy(in.country, countries[i], 3);
		must(engine_member_set(e, &in, cet(11, 20, 9, 0), &err), &err);
	}
	for (int i = 0; i < 5; i++) {
		struct ticket_open in = {.centre = "DE-PSC-TEST",
		                         .product = i == 4 ? "EOS C70" : "EOS R5",
		                         .serial = "SN00001",
		                         .service = SERVICE_REPAIR,
		                         .member = i < 4 ? 2001 : 151335488,
		                         .registered = true,
		                         .received = true,
		                         .received_at = cet(11, 23, 9, i),
		                         .note = i == 0 ? "dropped in the rain" : NULL,
		                         .who = "staff"};
		must(engine_ticket_open(e, &in, cet(11, 23, 9, i), &t, &err), &err);
	}
	{
		struct ticket_move mv = {.id = 1,
		                         .to = TSTATE_AWAITING_PARTS,
		                         .eta = cet(12, 10, 12, 0),
		                         .note = "shutter",
		                         .who = "staff"};
		must(engine_ticket_move(e, &mv, cet(11, 23, 11, 0), &t, &err), &err);
		must(engine_loan_issue(e, 1, "LOAN01", "R6", "staff", cet(11, 23, 12, 0), &t, &err),
		     &err);
		mv = (struct ticket_move){.id = 2, .to = TSTATE_READY, .who = "staff"};
		must(engine_ticket_move(e, &mv, cet(11, 24, 10, 0), &t, &err),
		     &err); /* promotes 4 */
		mv = (struct ticket_move){.id = 2, .to = TSTATE_RETURNED, .who = "staff"};
		must(engine_ticket_move(e, &mv, cet(11, 24, 11, 0), &t, &err), &err);
	}
	ck_assert_int_eq(engine_member_del(e, 3003, cet(11, 24, 12, 0)), 1);
	engine_advance(e, cet(11, 30, 12, 0)); /* at risk, breaches, loans */
}

/* Every observable of two engines is the same. */
static void assert_same(const struct engine *a, const struct engine *b, int64_t now)
{
	struct engine_counts ca, cb;

	ck_assert_uint_eq(engine_ticket_count(a), engine_ticket_count(b));
	for (uint64_t id = 1; id <= engine_ticket_count(a); id++) {
		const struct ticket *ta = engine_ticket_get(a, id), *tb = engine_ticket_get(b, id);
		struct ticket_fields fa, fb;
		engine_ticket_fields(a, ta, now, &fa);
		engine_ticket_fields(b, tb, now, &fb);
		for (int i = 0; i < TICKET_NFIELDS; i++)
			ck_assert_msg(strcmp(fa.v[i], fb.v[i]) == 0, "ticket %llu %s: %s vs %s",
			              (unsigned long long)id, ticket_field_names[i], fa.v[i],
			              fb.v[i]);
		ck_assert_uint_eq(ta->nhist, tb->nhist);
		for (uint32_t h = 0; h < ta->nhist; h++) {
			ck_assert_int_eq(hist_at(&ta->hist[h]), hist_at(&tb->hist[h]));
			ck_assert_int_eq(hist_kind(&ta->hist[h]), hist_kind(&tb->hist[h]));
			ck_assert_str_eq(ta->hist[h].detail, tb->hist[h].detail);
			ck_assert_str_eq(engine_str(a, hist_who(&ta->hist[h])),
			                 engine_str(b, hist_who(&tb->hist[h])));
		}
		ck_assert_int_eq(ta->eta, tb->eta);
		ck_assert_int_eq(ta->clock_since, tb->clock_since);
	}
	engine_counts(a, &ca);
	engine_counts(b, &cb);
	ck_assert_uint_eq(ca.members, cb.members);
	ck_assert_uint_eq(ca.heap, cb.heap);
	ck_assert_uint_eq(ca.queued, cb.queued);
	ck_assert_uint_eq(engine_last_seq(a), engine_last_seq(b));
	ck_assert_uint_eq(engine_outbox_count(a), engine_outbox_count(b));
	for (size_t i = 0; i < engine_outbox_count(a); i++) {
		const struct event *ea = engine_outbox_at(a, i), *eb = engine_outbox_at(b, i);
		ck_assert_uint_eq(ea->seq, eb->seq);
		ck_assert_int_eq(ea->type, eb->type);
		ck_assert_int_eq(ea->at, eb->at);
		ck_assert_str_eq(ea->reason, eb->reason);
		ck_assert_str_eq(engine_str(a, ea->centre), engine_str(b, eb->centre));
	}
	{
		static const uint64_t numbers[] = {151335488, 2001, 3003};
		for (int i = 0; i < 3; i++) {
			const struct member *ma = engine_member_any(a, numbers[i]);
			const struct member *mb = engine_member_any(b, numbers[i]);
			ck_assert_ptr_nonnull(ma);
			ck_assert_ptr_nonnull(mb);
			ck_assert_int_eq(ma->present, mb->present);
			ck_assert_int_eq(ma->tier, mb->tier);
			ck_assert_uint_eq(ma->in_service, mb->in_service);
			ck_assert_uint_eq(ma->nqueued, mb->nqueued);
			ck_assert_int_eq(ma->name == NULL, mb->name == NULL);
			if (ma->name)
				ck_assert_str_eq(ma->name, mb->name);
		}
	}
}

/* Replay buf into a fresh engine; returns it. */
static struct engine *replay(const struct rbuf *buf)
{
	struct engine *e = engine_new(cfg);
	size_t off = 0;
	struct jrec rec;
	char err[256];
	enum jnext st;

	while ((st = journal_next((const unsigned char *)buf->data, buf->len, &off, &rec)) ==
	       JNEXT_OK)
		ck_assert_msg(journal_apply(e, &rec, err, sizeof err) == 0, "apply: %s", err);
	ck_assert_int_eq(st, JNEXT_END);
	engine_restore_finish(e);
	return e;
}

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

START_TEST(test_malformed_payload_is_refused)
{
	struct engine *e = engine_new(cfg);
	unsigned char payload[8] = {1, 2, 3};
	struct jrec rec = {.type = JREC_TICKET, .payload = payload, .len = 3};
	char err[256];

	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	rec.type = 99;
	ck_assert_int_eq(journal_apply(e, &rec, err, sizeof err), -1);
	engine_free(e);
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
	tcase_add_test(tc, test_malformed_payload_is_refused);
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
