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

	unit_tmpdir_with_products(tmpdir, sizeof tmpdir, "journal",
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

#endif
