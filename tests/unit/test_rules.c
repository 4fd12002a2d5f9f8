/*
 * Unit tests: the rules of issue 13 ("Rules, second round") in the engine and
 * in the shipped data. Members outside EMEA (outside-emea, priority, no loan),
 * expiry on the centre's calendar date, history in effective-time order, the
 * booking loan that stays owed when the item loses Fast Track on arrival, a
 * free-programme member at a subscription country's centre, priority through
 * the journal, and conf/ (the seed 001 country table, emea:, the catalogue).
 *
 * The test centre works Mon-Fri 09:00-17:00 in Europe/Berlin (CET, UTC+1 in
 * winter).
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

static char tmpdir[64];
static struct config *cfg;
static struct engine *eng;

#define H 3600

/* Berlin local time in winter (CET = UTC+1). */
static int64_t cet(int y, int m, int d, int hh, int mm)
{
	return (int64_t)days_from_civil(y, m, d) * SECS_PER_DAY + hh * H + mm * 60 - H;
}

static const char *config_text =
        "products: products.yaml\n"
        "emea: [DE, NL, ZA, EE, GB, FR]\n"
        "countries:\n"
        "  DE: {name: Germany, programme: subscription, targets: {gold: 4}}\n"
        "  NL: {name: Netherlands, programme: subscription}\n"
        "  ZA: {name: South Africa, programme: free}\n"
        "  EE: {name: Estonia, programme: free, silver_only: true}\n"
        "centres:\n"
        "  - {id: DE-PSC-TEST, type: psc, country: DE, timezone: Europe/Berlin,\n"
        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n";

static void setup(void)
{
	unit_tmpdir_with_products(
	        tmpdir, sizeof tmpdir, "rules",
	        "products:\n"
	        "  - {model: \"EOS R5\", class: body, fast_track: true, points: 500}\n"
	        "  - {model: \"EOS C70\", class: video, fast_track: true, video: true}\n");
	cfg = unit_config("rules-test.yaml", config_text, tmpdir);
	eng = engine_new(cfg);
}

static void teardown(void)
{
	engine_free(eng);
	config_free(cfg);
	unit_tmpdir_remove(tmpdir);
}

static void member(uint64_t number, enum tier tier, const char *country, int32_t expires)
{
	struct member_input in = {.number = number, .tier = tier, .expires = expires};
	struct engine_error err;

	memcpy(in.country, country, 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(2026, 11, 1, 12, 0), &err), 0);
}

/* received_at 0: booked. */
static const struct ticket *open_at(uint64_t mem, int64_t received_at, int64_t now)
{
	struct ticket_open in = {.centre = "DE-PSC-TEST",
	                         .product = "EOS R5",
	                         .serial = "012345678901",
	                         .service = SERVICE_REPAIR,
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

static void move_ok(uint64_t id, enum ticket_state to, int64_t at)
{
	struct ticket_move mv = {.id = id, .to = to, .at = at, .who = "test"};
	struct engine_error err = {0};
	const struct ticket *t;

	ck_assert_msg(engine_ticket_move(eng, &mv, at, &t, &err) == 0, "move: %s", err.msg);
}

static const char *field_of(const struct ticket *t, const char *name, struct ticket_fields *f)
{
	engine_ticket_fields(eng, t, engine_clock(eng), f);
	for (int i = 0; i < TICKET_NFIELDS; i++)
		if (strcmp(ticket_field_names[i], name) == 0)
			return f->v[i];
	return NULL;
}

/* ---- members outside EMEA ---------------------------------------------------- */

START_TEST(test_outside_emea_standard_priority_no_loan)
{
	struct ticket_fields f;
	const struct ticket *t;

	member(500, TIER_PLATINUM, "US", -1);
	t = open_at(500, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->reason, FT_OUTSIDE_EMEA);
	ck_assert(t->priority);
	ck_assert(!t->loan_eligible);
	ck_assert_int_eq(t->target_days, 10);
	ck_assert_uint_eq(engine_member_get(eng, 500)->in_service, 0);
	ck_assert_str_eq(field_of(t, "reason", &f), "outside-emea");
	ck_assert_str_eq(field_of(t, "priority", &f), "1");
	/* priority is the last field of a ticket (docs/protocol.md). */
	ck_assert_str_eq(ticket_field_names[TICKET_NFIELDS - 1], "priority");
	ck_assert_str_eq(ticket_field_names[TICKET_NFIELDS - 2], "queued");
	/* An EMEA member is not marked. */
	member(501, TIER_PLATINUM, "DE", -1);
	t = open_at(501, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	ck_assert(t->fast_track);
	ck_assert(!t->priority);
	ck_assert_str_eq(field_of(t, "priority", &f), "0");
}
END_TEST

START_TEST(test_outside_emea_after_expiry_check)
{
	const struct ticket *t;
	struct member_input in = {.number = 502,
	                          .tier = TIER_GOLD,
	                          .country = "US",
	                          .has_programme = true,
	                          .programme = PROGRAMME_SUBSCRIPTION,
	                          .expires = days_from_civil(2026, 1, 31)};
	struct engine_error err;

	ck_assert_int_eq(engine_member_set(eng, &in, cet(2026, 11, 1, 12, 0), &err), 0);
	t = open_at(502, 0, cet(2026, 11, 23, 10, 0));
	ck_assert_int_eq(t->reason, FT_MEMBERSHIP_EXPIRED);
	ck_assert(!t->priority); /* priority needs a valid membership card */
}
END_TEST

START_TEST(test_emea_absent_means_everyone)
{
	struct config_errors errs = {0};
	const char *text = "products: products.yaml\n"
	                   "centres:\n"
	                   "  - {id: X, type: psc, country: DE, timezone: UTC,\n"
	                   "     hours: {mon: \"09:00-17:00\"}}\n";
	struct config *c = config_parse("t.yaml", text, strlen(text), tmpdir, &errs);

	ck_assert_ptr_nonnull(c);
	ck_assert(config_is_emea(c, "US"));
	ck_assert(config_is_emea(c, "DE"));
	config_free(c);
	ck_assert(config_is_emea(cfg, "DE"));
	ck_assert(config_is_emea(cfg, "ZA"));
	ck_assert(!config_is_emea(cfg, "US"));
	ck_assert(!config_is_emea(cfg, "JP"));
	ck_assert(!config_is_emea(cfg, "de")); /* codes are capitals */
	ck_assert(!config_is_emea(cfg, ""));
}
END_TEST

START_TEST(test_emea_bad_code_and_empty_list)
{
	struct config_errors errs = {0};
	const char *text = "products: products.yaml\n"
	                   "emea: [DE, XY]\n"
	                   "centres:\n"
	                   "  - {id: X, type: psc, country: DE, timezone: UTC,\n"
	                   "     hours: {mon: \"09:00-17:00\"}}\n";
	const char *empty = "products: products.yaml\n"
	                    "emea: []\n"
	                    "centres:\n"
	                    "  - {id: X, type: psc, country: DE, timezone: UTC,\n"
	                    "     hours: {mon: \"09:00-17:00\"}}\n";

	ck_assert_ptr_null(config_parse("t.yaml", text, strlen(text), tmpdir, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], "t.yaml:2:") && strstr(errs.msg[0], "\"XY\""), "%s",
	              errs.msg[0]);
	config_errors_free(&errs);
	/* An empty list is a choice, not a mistake: no country is EMEA. */
	{
		struct config *none = config_parse("t.yaml", empty, strlen(empty), tmpdir, &errs);
		ck_assert_ptr_nonnull(none);
		ck_assert_uint_eq(errs.n, 0);
		ck_assert(!config_is_emea(none, "DE"));
		config_free(none);
	}
}
END_TEST

START_TEST(test_any_assigned_country_code)
{
	struct member_input in = {.number = 503, .tier = TIER_GOLD, .expires = -1};
	struct engine_error err;

	/* Officially assigned ISO 3166-1 alpha-2 codes, in EMEA or not. */
	ck_assert(country_code_exists("SK"));
	ck_assert(country_code_exists("JP"));
	ck_assert(country_code_exists("AX"));
	ck_assert(!country_code_exists("XK")); /* user-assigned, not official */
	ck_assert(!country_code_exists("UK")); /* reserved, not assigned */
	ck_assert(!country_code_exists("EU"));
	memcpy(in.country, "UK", 3);
	ck_assert_int_eq(engine_member_set(eng, &in, cet(2026, 11, 1, 12, 0), &err), -1);
	ck_assert_int_eq(err.status, ENGINE_INVALID);
	ck_assert_msg(strstr(err.msg, "\"UK\"") != NULL, "%s", err.msg);
}
END_TEST

/* ---- a free-programme member at a subscription country's centre ------------ */

START_TEST(test_free_member_at_subscription_centre_keeps_free_rules)
{
	const struct ticket *t;

	/* DE (subscription) sets Gold to 4 days; ZA's free-programme Gold keeps 3. */
	member(600, TIER_GOLD, "ZA", -1);
	t = open_at(600, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	ck_assert(t->fast_track);
	ck_assert_int_eq(t->programme, PROGRAMME_FREE);
	ck_assert_int_eq(t->target_days, 3);
	/* The free programme's loan rule: a forecast miss makes a Gold member eligible. */
	{
		struct ticket_move mv = {.id = t->id,
		                         .to = TSTATE_AWAITING_PARTS,
		                         .at = cet(2026, 11, 23, 11, 0),
		                         .eta = cet(2026, 12, 10, 12, 0),
		                         .who = "test"};
		struct engine_error err;
		const struct ticket *out;
		ck_assert_int_eq(engine_ticket_move(eng, &mv, mv.at, &out, &err), 0);
	}
	ck_assert(t->loan_eligible);
	ck_assert_int_eq(t->loan_reason, LOAN_REASON_FORECAST);
	/* A subscription Gold member there gets the country's 4 days and no forecast loan. */
	member(601, TIER_GOLD, "DE", -1);
	t = open_at(601, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	ck_assert_int_eq(t->programme, PROGRAMME_SUBSCRIPTION);
	ck_assert_int_eq(t->target_days, 4);
}
END_TEST

/* ---- expiry on the centre's date ---------------------------------------------- */

START_TEST(test_expiry_in_centre_timezone)
{
	const struct ticket *t;
	struct member_input in = {.number = 700,
	                          .tier = TIER_GOLD,
	                          .country = "DE",
	                          .expires = days_from_civil(2027, 2, 2)};
	struct engine_error err;

	ck_assert_int_eq(engine_member_set(eng, &in, cet(2026, 11, 1, 12, 0), &err), 0);
	/* 23:59 Berlin on 2 February: still valid. */
	t = open_at(700, 0, cet(2027, 2, 2, 23, 59));
	ck_assert_int_eq(t->reason, FT_OK);
	/* 00:30 Berlin on 3 February is 23:30 UTC on the 2nd: expired there. */
	t = open_at(700, 0, cet(2027, 2, 3, 0, 30));
	ck_assert(!t->fast_track);
	ck_assert_int_eq(t->reason, FT_MEMBERSHIP_EXPIRED);
}
END_TEST

/* ---- history order ------------------------------------------------------------- */

START_TEST(test_backdated_receipt_before_opening_entry)
{
	const struct ticket *t;

	member(800, TIER_GOLD, "DE", -1);
	/* Opened at 12:00, received (backdated) at 09:30. */
	t = open_at(800, cet(2026, 11, 23, 9, 30), cet(2026, 11, 23, 12, 0));
	ck_assert_uint_ge(t->nhist, 2);
	ck_assert_int_eq(hist_kind(&t->hist[0]), HIST_MOVED);
	ck_assert_str_eq(t->hist[0].detail, "received");
	ck_assert_int_eq(hist_at(&t->hist[0]), cet(2026, 11, 23, 9, 30));
	ck_assert_int_eq(hist_kind(&t->hist[t->nhist - 1]), HIST_OPENED);
	for (uint32_t i = 1; i < t->nhist; i++)
		ck_assert_int_le(hist_at(&t->hist[i - 1]), hist_at(&t->hist[i]));
}
END_TEST

START_TEST(test_history_ties_in_recorded_order)
{
	const struct ticket *t;

	member(801, TIER_GOLD, "DE", -1);
	t = open_at(801, 0, cet(2026, 11, 23, 9, 0));
	move_ok(t->id, TSTATE_RECEIVED, cet(2026, 11, 23, 10, 0));
	move_ok(t->id, TSTATE_DIAGNOSING, cet(2026, 11, 23, 10, 0));
	move_ok(t->id, TSTATE_IN_REPAIR, cet(2026, 11, 23, 10, 0));
	ck_assert_uint_eq(t->nhist, 4);
	ck_assert_str_eq(t->hist[1].detail, "booked -> received");
	ck_assert_str_eq(t->hist[2].detail, "received -> diagnosing");
	ck_assert_str_eq(t->hist[3].detail, "diagnosing -> in_repair");
}
END_TEST

/* ---- the booking loan that stays owed ---------------------------------------- */

START_TEST(test_booking_loan_stays_owed_when_fast_track_lost_on_arrival)
{
	const struct ticket *booked, *t;
	const struct ticket *out;
	struct engine_error err;

	member(900, TIER_PLATINUM, "DE", -1);
	booked = open_at(900, 0, cet(2026, 11, 23, 9, 0));
	ck_assert(booked->loan_eligible);
	ck_assert_int_eq(booked->loan_reason, LOAN_REASON_BOOKING);
	for (int i = 0; i < 3; i++)
		ck_assert(open_at(900, cet(2026, 11, 23, 10 + i, 0), cet(2026, 11, 23, 10 + i, 0))
		                  ->holds_slot);
	/* On arrival the fourth item loses Fast Track: the announced loan stays owed. */
	move_ok(booked->id, TSTATE_RECEIVED, cet(2026, 11, 23, 14, 0));
	ck_assert(!booked->fast_track);
	ck_assert_int_eq(booked->reason, FT_IN_SERVICE_LIMIT);
	ck_assert(booked->loan_eligible);
	ck_assert_int_eq(booked->loan_reason, LOAN_REASON_BOOKING);
	ck_assert_int_eq(engine_loan_issue(eng, booked->id, "LOAN0001", NULL, "test",
	                                   cet(2026, 11, 23, 14, 5), &out, &err),
	                 0);
	ck_assert_int_eq(out->loan_state, LOAN_ISSUED);
	/* A ticket opened as the fourth item, already received, is owed nothing. */
	t = open_at(900, cet(2026, 11, 23, 15, 0), cet(2026, 11, 23, 15, 0));
	ck_assert(!t->fast_track);
	ck_assert(!t->loan_eligible);
}
END_TEST

/* ---- priority through the journal --------------------------------------------- */

START_TEST(test_priority_survives_replay)
{
	struct engine *copy = engine_new(cfg);
	struct rbuf b;
	size_t off = 0;
	struct jrec rec;
	char msg[128];
	const struct ticket *t;

	member(1000, TIER_GOLD, "US", -1);
	member(1001, TIER_GOLD, "DE", -1);
	open_at(1000, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	open_at(1001, cet(2026, 11, 23, 10, 0), cet(2026, 11, 23, 10, 0));
	rbuf_init(&b);
	journal_put_snapshot(&b, eng);
	while (journal_next((const unsigned char *)b.data, b.len, &off, &rec) == JNEXT_OK)
		ck_assert_int_eq(journal_apply(copy, &rec, msg, sizeof msg), 0);
	engine_restore_finish(copy);
	t = engine_ticket_get(copy, 1);
	ck_assert_ptr_nonnull(t);
	ck_assert(t->priority);
	ck_assert_int_eq(t->reason, FT_OUTSIDE_EMEA);
	ck_assert(!engine_ticket_get(copy, 2)->priority);
	rbuf_free(&b);
	engine_free(copy);
}
END_TEST

/* ---- the limit at every moment: a reload that moves it ---------------------- */

static void reload_with(const char *policy)
{
	struct config_errors errs = {0};
	char text[2048];
	struct config *next;
	struct engine_error err;

	snprintf(text, sizeof text, "%s%s", policy, config_text);
	next = config_parse("rules-test.yaml", text, strlen(text), tmpdir, &errs);
	config_errors_free(&errs);
	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(engine_set_config(eng, next, cet(2026, 11, 24, 10, 0), &err), 0);
	config_free(cfg);
	cfg = next;
}

START_TEST(test_reload_lowering_limit_demotes_newest)
{
	const struct ticket *t[3];
	char msg[256];

	member(1100, TIER_GOLD, "DE", -1);
	for (int i = 0; i < 3; i++)
		t[i] = open_at(1100, cet(2026, 11, 23, 10 + i, 0), cet(2026, 11, 23, 10 + i, 0));
	reload_with("policy: {in_service_limit: 2, over_limit: queue}\n");
	ck_assert(t[0]->fast_track && t[1]->fast_track);
	ck_assert(!t[2]->fast_track);
	ck_assert(t[2]->queued);
	ck_assert_int_eq(t[2]->reason, FT_IN_SERVICE_LIMIT);
	ck_assert_uint_eq(engine_member_get(eng, 1100)->in_service, 2);
	ck_assert_int_eq(engine_check(eng, cet(2026, 11, 24, 10, 0), msg, sizeof msg), 0);
	/* Raised again: the queued ticket is promoted at the reload. */
	reload_with("policy: {in_service_limit: 3, over_limit: queue}\n");
	ck_assert(t[2]->fast_track);
	ck_assert(!t[2]->queued);
	ck_assert_uint_eq(engine_member_get(eng, 1100)->in_service, 3);
	ck_assert_msg(engine_check(eng, cet(2026, 11, 24, 10, 0), msg, sizeof msg) == 0, "%s", msg);
}
END_TEST

/* ---- conf/: the shipped data ----------------------------------------------------- */

START_TEST(test_country_table_is_seed_001)
{
	/* Seed 001's 31 countries; the Silver-only ones are marked there. */
	static const char *const countries[] = {"BE", "DK", "DE", "EE", "FI", "FR", "IE", "IT",
	                                        "KZ", "HR", "LV", "LT", "LU", "NL", "NO", "AT",
	                                        "PL", "PT", "RO", "RU", "ZA", "SI", "ES", "SE",
	                                        "CH", "CZ", "TR", "HU", "UA", "AE", "GB"};
	static const char *const silver_only[] = {"EE", "KZ", "HR", "LV", "LT",
	                                          "RO", "SI", "TR", "UA", "AE"};
	struct config_errors errs = {0};
	struct config *c = config_load("conf/repaird.yaml", &errs);
	size_t nsilver = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->ncountries, 31);
	for (size_t i = 0; i < 31; i++) {
		const struct country *k = config_country(c, countries[i]);
		bool silver = false;
		ck_assert_msg(k != NULL, "country %s missing", countries[i]);
		for (size_t j = 0; j < 10; j++)
			silver |= strcmp(silver_only[j], countries[i]) == 0;
		ck_assert_msg(k->silver_only == silver, "%s silver_only", countries[i]);
		nsilver += k->silver_only;
		ck_assert_msg(config_is_emea(c, countries[i]), "%s not in emea", countries[i]);
	}
	ck_assert_uint_eq(nsilver, 10);
	ck_assert_ptr_null(config_country(c, "SK")); /* not named by the seeds */
	/* Other EMEA countries follow default_programme; the edge cases chosen. */
	ck_assert(config_is_emea(c, "SK"));
	ck_assert(config_is_emea(c, "CY"));
	ck_assert(config_is_emea(c, "IL"));
	ck_assert(config_is_emea(c, "EG"));
	ck_assert(config_is_emea(c, "IR"));
	ck_assert(!config_is_emea(c, "US"));
	ck_assert(!config_is_emea(c, "JP"));
	ck_assert(!config_is_emea(c, "UZ"));
	ck_assert(!config_is_emea(c, "GL"));
	ck_assert_int_eq(c->default_programme, PROGRAMME_FREE);
	config_free(c);
	config_errors_free(&errs);
}
END_TEST

START_TEST(test_catalogue_about_120_fast_track)
{
	static const char *const names[] = {
	        "EOS R5", "EOS C70",        "EOS C300 Mark III", "XF605",
	        "XA75",   "EOS C700 FF PL", "EOS-1D X Mark III", "CN-E50mm T1.3 L F"};
	struct config_errors errs = {0};
	struct config *c = config_load("conf/repaird.yaml", &errs);
	size_t ft = 0;

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < c->nproducts; i++) {
		ft += c->products[i].fast_track;
		/* Video products: Cinema EOS and the X series. */
		if (c->products[i].cls == PCLASS_VIDEO)
			ck_assert_msg(c->products[i].video, "%s", c->products[i].model);
	}
	ck_assert_msg(ft >= 110 && ft <= 130, "%zu Fast Track products", ft);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct product *p = config_product(c, names[i]);
		ck_assert_msg(p && p->fast_track, "%s", names[i]);
	}
	ck_assert(config_product(c, "XA70")->video);
	ck_assert(!config_product(c, "XF305")->fast_track);
	ck_assert_ptr_nonnull(config_product(c, "EF 100mm f/2.8 Macro"));
	ck_assert_ptr_nonnull(config_product(c, "EF 100mm f/2.8 Macro USM"));
	config_free(c);
	config_errors_free(&errs);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("issue-13");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_outside_emea_standard_priority_no_loan);
	tcase_add_test(tc, test_outside_emea_after_expiry_check);
	tcase_add_test(tc, test_emea_absent_means_everyone);
	tcase_add_test(tc, test_emea_bad_code_and_empty_list);
	tcase_add_test(tc, test_any_assigned_country_code);
	tcase_add_test(tc, test_free_member_at_subscription_centre_keeps_free_rules);
	tcase_add_test(tc, test_expiry_in_centre_timezone);
	tcase_add_test(tc, test_backdated_receipt_before_opening_entry);
	tcase_add_test(tc, test_history_ties_in_recorded_order);
	tcase_add_test(tc, test_booking_loan_stays_owed_when_fast_track_lost_on_arrival);
	tcase_add_test(tc, test_priority_survives_replay);
	tcase_add_test(tc, test_reload_lowering_limit_demotes_newest);
	tcase_add_test(tc, test_country_table_is_seed_001);
	tcase_add_test(tc, test_catalogue_about_120_fast_track);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(rules_suite());
}
