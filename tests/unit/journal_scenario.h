/*
 * The journal tests' configuration and a day of work, shared with the
 * program that wrote tests/unit/journal_v1_fixture.h: that fixture is this
 * scenario journaled by the format-1 encoder, so replaying it must give the
 * state the scenario gives a live engine today.
 */
#ifndef REPAIRD_TEST_JOURNAL_SCENARIO_H
#define REPAIRD_TEST_JOURNAL_SCENARIO_H

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "timeutil.h"
#include "unit.h"

#define H 3600

static char tmpdir[64];
static struct config *cfg;

static int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static void setup(void)
{
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

	unit_tmpdir_with_products(
	        tmpdir, sizeof tmpdir, "journal",
	        "products:\n"
	        "  - {model: \"EOS R5\", class: body, fast_track: true}\n"
	        "  - {model: \"EOS C70\", class: video, fast_track: true, video: true}\n");
	cfg = unit_config("journal-test.yaml", text, tmpdir);
}

static void teardown(void)
{
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
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

/*
 * The fixture's scenario: the day above and the weeks after it, with a
 * commit (as the daemon's loop iteration) where commit() is called and
 * delivery of every waiting event up to a sequence number where deliver() is.
 */
struct scenario_hooks {
	void (*commit)(struct engine *e, void *arg);
	void (*deliver)(struct engine *e, uint64_t upto, void *arg);
	void *arg;
};

static void scenario_move(struct engine *e, uint64_t id, enum ticket_state to, int64_t at,
                          const char *note)
{
	struct engine_error err;
	const struct ticket *t;
	struct ticket_move mv = {.id = id, .to = to, .at = at, .note = note, .who = "bench"};

	must(engine_ticket_move(e, &mv, at, &t, &err), &err);
}

static void scenario_run(struct engine *e, const struct scenario_hooks *h)
{
	populate(e);
	h->commit(e, h->arg);
	h->deliver(e, engine_last_seq(e) - 20, h->arg);
	scenario_move(e, 3, TSTATE_DIAGNOSING, cet(12, 1, 10, 0), NULL);
	h->commit(e, h->arg);
	scenario_move(e, 3, TSTATE_IN_REPAIR, cet(12, 1, 14, 0), "board swapped");
	scenario_move(e, 5, TSTATE_AWAITING_CUSTOMER, cet(12, 1, 15, 0), "quote sent");
	h->commit(e, h->arg);
	engine_advance(e, cet(12, 10, 12, 0));
	h->commit(e, h->arg);
	h->deliver(e, engine_last_seq(e) - 2, h->arg);
	scenario_move(e, 3, TSTATE_READY, cet(12, 11, 9, 0), NULL);
	scenario_move(e, 5, TSTATE_CANCELLED, cet(12, 11, 9, 30), NULL);
	h->commit(e, h->arg);
}

/* Hooks that journal the scenario as the daemon does (what made the fixtures). */
struct journaling {
	struct rbuf b;
	uint64_t seq;
};

static void hook_commit(struct engine *e, void *arg)
{
	struct journaling *j = arg;

	journal_put_changes(&j->b, e, &j->seq);
}

static void hook_deliver(struct engine *e, uint64_t upto, void *arg)
{
	struct journaling *j = arg;

	engine_outbox_drop(e, engine_outbox_after(e, upto));
	journal_put_u64(&j->b, JREC_DELIVERED, upto);
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

static void hook_nothing(struct engine *e, void *arg)
{
	(void)arg;
	engine_clear_changes(e);
}

static void hook_drop(struct engine *e, uint64_t upto, void *arg)
{
	(void)arg;
	engine_outbox_drop(e, engine_outbox_after(e, upto));
}

#endif
