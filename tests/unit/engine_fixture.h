#ifndef REPAIRD_ENGINE_FIXTURE_H
#define REPAIRD_ENGINE_FIXTURE_H

/*
 * engine_fixture.h: what the engine's unit suites (test_engine*.c) share: a
 * configuration and an engine per test, members, opening and moving tickets,
 * the events emitted, the invariants. Included by one test file each, so the
 * statics are that file's; a suite that leaves a helper unused is fine
 * (FIXTURE marks them). Explicit times, as everywhere in the core's tests. The test centres work Mon-Fri 09:00-17:00 (an 8-hour day) in
 * Europe/Berlin; the dates are in November and December 2026 (CET, UTC+1):
 * Monday 23 November ... Friday 27, Monday 30, Tuesday 1 December ...
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "unit.h"
#include "timeutil.h"

#define FIXTURE static __attribute__((unused))

static char tmpdir[64];
static struct config *cfg;
static struct engine *eng;

#define H 3600

/* Berlin local time in winter (CET = UTC+1). */
FIXTURE int64_t cet(int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(2026, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static const char *products_yaml =
        "products:\n"
        "  - {model: \"EOS R5\", class: body, fast_track: true, video: false, points: 500}\n"
        "  - {model: \"EOS R6 Mark II\", class: body, fast_track: true, points: 400}\n"
        "  - {model: \"EOS C70\", class: video, fast_track: true, video: true, points: 600}\n"
        "  - {model: \"EOS R50\", class: body, fast_track: false, points: 0}\n";

static const char *config_head =
        "products: products.yaml\n"
        "countries:\n"
        "  DE: {name: Germany, programme: subscription}\n"
        "  ZA: {name: South Africa, programme: free}\n"
        "  EE: {name: Estonia, programme: free, silver_only: true}\n"
        "  NL: {name: Netherlands, programme: subscription, targets: {gold: 4}}\n";

static const char *config_centres =
        "centres:\n"
        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}, holidays: [%s]}\n"
        "  - {id: DE-ASP-TEST, type: asp, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n"
        "  - {id: NL-PSC-TEST, type: psc, country: NL, timezone: Europe/Amsterdam,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";

FIXTURE struct config *make_config(const char *policy, const char *holidays)
{
	char text[4096], centres[2048];

	snprintf(centres, sizeof centres, config_centres, holidays ? holidays : "");
	snprintf(text, sizeof text, "%s%s%s", config_head, policy ? policy : "", centres);
	return unit_config("engine-test.yaml", text, tmpdir);
}

FIXTURE void setup_with(const char *policy, const char *holidays)
{
	unit_tmpdir_with_products(tmpdir, sizeof tmpdir, "engine", products_yaml);
	cfg = make_config(policy, holidays);
	eng = engine_new(cfg);
}

FIXTURE void setup(void)
{
	setup_with(NULL, NULL);
}

FIXTURE void teardown(void)
{
	engine_free(eng);
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
}

FIXTURE void member(uint64_t number, enum tier tier, const char *country, int32_t expires)
{
	struct member_input in = {.number = number, .tier = tier, .expires = expires};
	struct engine_error err;

	memcpy(in.country, country, 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(11, 1, 12, 0), &err), 0);
}

/* Open a ticket; received_at 0 = booked. Fails the test on error. */
FIXTURE const struct ticket *open_at(const char *centre, const char *product, uint64_t mem,
                                    enum service svc, int64_t received_at, int64_t now)
{
	struct ticket_open in = {.centre = centre,
	                         .product = product,
	                         .serial = "012345678901",
	                         .service = svc,
	                         .member = mem,
	                         .registered = true,
	                         .received = received_at != 0,
	                         .received_at = received_at,
	                         .who = "test"};
	const struct ticket *t = NULL;
	struct engine_error err = {0};

	ck_assert_msg(engine_ticket_open(eng, &in, now, &t, &err) == 0, "open: %s", err.msg);
	return t;
}

FIXTURE const struct ticket *receive(const char *product, uint64_t mem, int64_t at)
{
	return open_at("DE-PSC-TEST", product, mem, SERVICE_REPAIR, at, at);
}

FIXTURE int move(uint64_t id, enum ticket_state to, int64_t at, int64_t eta,
                struct engine_error *err)
{
	struct ticket_move mv = {.id = id, .to = to, .at = at, .eta = eta, .who = "test"};
	const struct ticket *t;

	return engine_ticket_move(eng, &mv, at, &t, err);
}

FIXTURE void move_ok(uint64_t id, enum ticket_state to, int64_t at)
{
	struct engine_error err = {0};

	ck_assert_msg(move(id, to, at, 0, &err) == 0, "move: %s", err.msg);
}

/* Events of one type (and ticket, 0 = any) emitted (no journal collects them here). */
FIXTURE int count_events(enum event_type type, uint64_t ticket)
{
	const struct event *evs;
	size_t n = engine_emitted(eng, &evs);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		if (evs[i].type == type && (ticket == 0 || evs[i].ticket == ticket))
			found++;
	return found;
}

FIXTURE const struct event *find_event(enum event_type type, uint64_t ticket)
{
	const struct event *evs;
	size_t n = engine_emitted(eng, &evs);

	for (size_t i = 0; i < n; i++)
		if (evs[i].type == type && evs[i].ticket == ticket)
			return &evs[i];
	return NULL;
}

FIXTURE size_t nemitted(void)
{
	const struct event *evs;

	return engine_emitted(eng, &evs);
}

FIXTURE void assert_invariants(int64_t now)
{
	char msg[256];

	ck_assert_msg(engine_check(eng, now, msg, sizeof msg) == 0, "invariant: %s", msg);
}

/* A Gold member with three Fast Track items in service, and a fourth (booked, or received). */
FIXTURE const struct ticket *three_and_a_fourth(uint64_t mem, int booked_fourth)
{
	member(mem, TIER_GOLD, "DE", -1);
	for (int i = 0; i < 3; i++)
		ck_assert(receive("EOS R5", mem, cet(11, 23, 9 + i, 0))->holds_slot);
	ck_assert_uint_eq(engine_member_get(eng, mem)->in_service, 3);
	if (booked_fourth)
		return open_at("DE-PSC-TEST", "EOS R5", mem, SERVICE_REPAIR, 0, cet(11, 23, 12, 0));
	return receive("EOS R5", mem, cet(11, 23, 12, 0));
}

#endif
