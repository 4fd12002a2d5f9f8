/* Unit tests: the configuration loader (shipped files, and every kind of error). */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char *good_products =
        "products:\n"
        "  - {model: \"EOS R5\", class: body, fast_track: true, video: false, points: 500}\n"
        "  - {model: \"EOS C70\", class: video, fast_track: true, video: true, points: 600}\n"
        "  - {model: \"EOS R50\", class: body, fast_track: false, video: false, points: 0}\n";

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/repaird-test-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_file("products.yaml", good_products);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Parse text; returns the config (or NULL) and leaves the errors in errs. */
static struct config *parse(const char *text, struct config_errors *errs)
{
	return config_parse("t.yaml", text, strlen(text), tmpdir, errs);
}

/* Assert that parsing fails and that one error starts with prefix ("t.yaml:L:C: ...")
 * and contains needle. */
static void expect_error(const char *text, const char *prefix, const char *needle)
{
	struct config_errors errs = {0};
	struct config *cfg = parse(text, &errs);
	int found = 0;

	ck_assert_ptr_null(cfg);
	ck_assert_uint_gt(errs.n, 0);
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errs.msg[i], needle) != NULL)
			found = 1;
	if (!found)
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "  got: %s\n", errs.msg[i]);
	ck_assert_msg(found, "no error \"%s...%s\"", prefix, needle);
	config_errors_free(&errs);
}

#define CENTRE                                                                                     \
	"centres:\n"                                                                               \
	"  - id: DE-PSC-A\n"                                                                       \
	"    type: psc\n"                                                                          \
	"    country: DE\n"                                                                        \
	"    timezone: Europe/Berlin\n"                                                            \
	"    hours: {mon: \"09:00-17:00\", tue: \"09:00-12:00, 13:00-17:00\"}\n"

START_TEST(test_shipped_files_load)
{
	static const char *files[] = {"conf/repaird.yaml", "conf/dev.yaml"};

	for (size_t i = 0; i < 2; i++) {
		struct config_errors errs = {0};
		struct config *cfg = config_load(files[i], &errs);
		for (size_t j = 0; j < errs.n; j++)
			fprintf(stderr, "%s\n", errs.msg[j]);
		ck_assert_ptr_nonnull(cfg);
		ck_assert_uint_gt(cfg->ncentres, 0);
		ck_assert_uint_gt(cfg->nproducts, 0);
		config_free(cfg);
		config_errors_free(&errs);
	}
}
END_TEST

START_TEST(test_production_data)
{
	static const char *subscription[] = {"AT", "BE", "CZ", "FR", "DE", "HU", "IE", "IT", "LU",
	                                     "NL", "PL", "PT", "NO", "FI", "DK", "ES", "SE", "GB"};
	static const char *silver_only[] = {"EE", "KZ", "HR", "LV", "LT",
	                                    "RO", "SI", "TR", "UA", "AE"};
	static const char *eligible[] = {"EOS R1",
	                                 "EOS R3",
	                                 "EOS R5",
	                                 "EOS R5 Mark II",
	                                 "EOS R6 Mark II",
	                                 "EOS-1D X Mark III",
	                                 "EOS 5D Mark IV",
	                                 "EOS C70",
	                                 "EOS C300 Mark III",
	                                 "XF605",
	                                 "RF 70-200mm F2.8 L IS USM",
	                                 "EF 100mm f/2.8L Macro IS USM"};
	static const char *not_eligible[] = {"EOS 80D", "EOS R50", "EOS R100", "EF 50mm f/1.8 STM"};
	struct config_errors errs = {0};
	struct config *cfg = config_load("conf/repaird.yaml", &errs);
	const char *types[] = {"psc", "cec", "asp"};
	int seen[3] = {0};

	ck_assert_ptr_nonnull(cfg);
	for (size_t i = 0; i < sizeof subscription / sizeof *subscription; i++) {
		const struct country *c = config_country(cfg, subscription[i]);
		ck_assert_msg(c != NULL, "country %s missing", subscription[i]);
		ck_assert_int_eq(c->programme, PROGRAMME_SUBSCRIPTION);
		ck_assert(!c->silver_only);
	}
	for (size_t i = 0; i < sizeof silver_only / sizeof *silver_only; i++) {
		const struct country *c = config_country(cfg, silver_only[i]);
		ck_assert_msg(c != NULL, "country %s missing", silver_only[i]);
		ck_assert_msg(c->silver_only, "%s should be Silver only", silver_only[i]);
		ck_assert_int_eq(c->programme, PROGRAMME_FREE);
	}
	ck_assert_uint_ge(cfg->nproducts, 80);
	for (size_t i = 0; i < sizeof eligible / sizeof *eligible; i++) {
		const struct product *p = config_product(cfg, eligible[i]);
		ck_assert_msg(p != NULL, "product %s missing", eligible[i]);
		ck_assert_msg(p->fast_track, "%s should be Fast Track eligible", eligible[i]);
	}
	ck_assert(config_product(cfg, "EOS C70")->video);
	ck_assert(config_product(cfg, "XF605")->video);
	ck_assert(!config_product(cfg, "EOS R5")->video);
	for (size_t i = 0; i < sizeof not_eligible / sizeof *not_eligible; i++) {
		const struct product *p = config_product(cfg, not_eligible[i]);
		ck_assert_msg(p != NULL, "product %s missing", not_eligible[i]);
		ck_assert_msg(!p->fast_track, "%s should not be eligible", not_eligible[i]);
	}
	for (size_t i = 0; i < cfg->ncentres; i++) {
		ck_assert_uint_gt(cfg->centres[i].nholidays, 0);
		ck_assert_uint_gt(cfg->centres[i].cal.n, 0);
		seen[cfg->centres[i].type]++;
	}
	for (int t = 0; t < 3; t++)
		ck_assert_msg(seen[t] > 0, "no centre of type %s", types[t]);
	ck_assert_int_eq(cfg->target_days[TIER_PLATINUM], 2);
	ck_assert_int_eq(cfg->target_days[TIER_GOLD], 3);
	ck_assert_int_eq(cfg->target_days[TIER_SILVER], 5);
	ck_assert_int_eq(cfg->standard_days, 10);
	ck_assert_int_eq(cfg->video_min_days, 5);
	ck_assert_uint_eq(cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_PLATINUM], LOAN_ON_BOOKING);
	ck_assert_uint_eq(cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_GOLD], LOAN_ON_BREACH);
	ck_assert_uint_eq(cfg->loan_rules[PROGRAMME_FREE][TIER_GOLD],
	                  LOAN_ON_FORECAST | LOAN_ON_BREACH);
	ck_assert_uint_eq(cfg->loan_rules[PROGRAMME_FREE][TIER_SILVER], 0);
	ck_assert_uint_eq(cfg->fast_track_services[CENTRE_ASP], 1u << SERVICE_REPAIR);
	config_free(cfg);
}
END_TEST

/* ha: off by default; node required, names and addresses checked, Redis needed. */
START_TEST(test_ha_section)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	ck_assert_ptr_nonnull(cfg);
	ck_assert(!cfg->ha_enabled);
	config_free(cfg);
	cfg = parse("products: products.yaml\nha: {node: west-1, advertise: "
	            "\"10.0.0.5:7878\"}\n" CENTRE,
	            &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert(cfg->ha_enabled);
	ck_assert_str_eq(cfg->ha_node, "west-1");
	ck_assert_str_eq(cfg->ha_advertise, "10.0.0.5:7878");
	ck_assert_int_eq(cfg->ha_lease_ms, 3000);
	ck_assert(cfg->ha_sync);
	ck_assert_int_eq(cfg->ha_wait_replicas, 0);
	config_free(cfg);
	cfg = parse("products: products.yaml\nha: {node: b, lease_ms: 600, sync: off, "
	            "wait_replicas: 1}\n" CENTRE,
	            &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->ha_lease_ms, 600);
	ck_assert(!cfg->ha_sync);
	ck_assert_int_eq(cfg->ha_wait_replicas, 1);
	ck_assert_ptr_null(cfg->ha_advertise);
	config_free(cfg);
	expect_error("products: products.yaml\nha: {lease_ms: 600}\n" CENTRE,
	             "t.yaml:2:5:", "ha: missing key \"node\"");
	expect_error("products: products.yaml\nha: {node: \"two words\"}\n" CENTRE,
	             "t.yaml:2:12:", "ha.node: \"two words\" is not a name");
	expect_error("products: products.yaml\nha: {node: a, advertise: nowhere}\n" CENTRE,
	             "t.yaml:2:26:", "ha.advertise: \"nowhere\" is not HOST:PORT");
	expect_error("products: products.yaml\nha: {node: a, lease_ms: 10}\n" CENTRE,
	             "t.yaml:2:25:", "ha.lease_ms");
	expect_error("products: products.yaml\nredis: {enabled: false}\nha: {node: a}\n" CENTRE,
	             "t.yaml:3:5:", "ha: needs Redis");
}
END_TEST

START_TEST(test_minimal_and_defaults)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(cfg->nlisten_tcp, 1);
	ck_assert_str_eq(cfg->listen_tcp[0], "127.0.0.1:7878");
	ck_assert_str_eq(cfg->listen_unix, "/run/repaird/repaird.sock");
	ck_assert_str_eq(cfg->state_dir, "/var/lib/repaird");
	ck_assert_int_eq(cfg->in_service_limit, 3);
	ck_assert_int_eq(cfg->over_limit, OVER_LIMIT_STANDARD);
	ck_assert_int_eq(cfg->at_risk_permille, 750);
	ck_assert_uint_eq(cfg->pause_states, 1u << TSTATE_AWAITING_CUSTOMER);
	ck_assert_uint_eq(cfg->nproducts, 3);
	ck_assert_ptr_nonnull(config_product(cfg, "EOS C70"));
	ck_assert_ptr_null(config_product(cfg, "EOS C71"));
	ck_assert_ptr_nonnull(config_centre(cfg, "DE-PSC-A"));
	ck_assert_int_eq(cfg->centres[0].week.nspans[1], 2);
	ck_assert_int_eq(cfg->centres[0].week.span[1][1].start, 13 * 60);
	config_free(cfg);
}
END_TEST

/* retention: and the events' retention window (issue 14): defaults, values, errors. */
START_TEST(test_retention_keys)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->retention_closed_days, 730);
	ck_assert_int_eq(cfg->redis_retain_events, 10000);
	ck_assert_int_eq(cfg->redis_retain_seconds, 0);
	config_free(cfg);
	cfg = parse("products: products.yaml\nretention: {closed_days: 0}\n"
	            "redis: {retain_events: 15, retain_seconds: 86400}\n" CENTRE,
	            &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->retention_closed_days, 0);
	ck_assert_int_eq(cfg->redis_retain_events, 15);
	ck_assert_int_eq(cfg->redis_retain_seconds, 86400);
	config_free(cfg);
	expect_error(
	        "products: products.yaml\nretention: {closed_days: -1}\n" CENTRE,
	        "t.yaml:2:26: ", "retention.closed_days: -1 is out of range (allowed: 0..36500)");
	expect_error("products: products.yaml\nretention: {closed_days: forever}\n" CENTRE,
	             "t.yaml:2:26: ", "\"forever\" is not an integer (allowed: 0..36500)");
	expect_error(
	        "products: products.yaml\nredis: {retain_events: -5}\n" CENTRE,
	        "t.yaml:2:24: ", "redis.retain_events: -5 is out of range (allowed: 0..10000000)");
	expect_error("products: products.yaml\nredis: {retain_seconds: 999999999999}\n" CENTRE,
	             "t.yaml:2:25: ", "redis.retain_seconds: 999999999999 is out of range");
}
END_TEST

/* redis.sentinels and redis.master: values, and each bad value or pairing named. */
START_TEST(test_redis_sentinels)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nredis_sentinels, 0);
	ck_assert_ptr_null(cfg->redis_master);
	config_free(cfg);
	cfg = parse(
	        "products: products.yaml\n"
	        "redis: {sentinels: [\"10.0.0.7:26379\", \"[::1]:26380\"], master: ev}\n" CENTRE,
	        &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nredis_sentinels, 2);
	ck_assert_str_eq(cfg->redis_sentinels[0], "10.0.0.7:26379");
	ck_assert_str_eq(cfg->redis_sentinels[1], "[::1]:26380");
	ck_assert_str_eq(cfg->redis_master, "ev");
	config_free(cfg);
	expect_error(
	        "products: products.yaml\nredis: {sentinels: [\"a:1\", nowhere], master: "
	        "m}\n" CENTRE,
	        "t.yaml:2:28: ", "redis.sentinels: \"nowhere\" is not HOST:PORT (port 1..65535)");
	expect_error("products: products.yaml\nredis: {sentinels: [], master: m}\n" CENTRE,
	             "t.yaml:2:20: ", "redis.sentinels: empty (allowed: a list of HOST:PORT");
	expect_error("products: products.yaml\nredis: {sentinels: \"a:1\", master: m}\n" CENTRE,
	             "t.yaml:2:20: ", "redis.sentinels");
	expect_error("products: products.yaml\nredis: {sentinels: [\"a:1\"]}\n" CENTRE,
	             "t.yaml:2:20: ", "redis.sentinels: needs redis.master");
	expect_error("products: products.yaml\nredis: {master: m}\n" CENTRE,
	             "t.yaml:2:17: ", "redis.master: only with redis.sentinels");
	expect_error(
	        "products: products.yaml\nredis: {master: \"\", sentinels: [\"a:1\"]}\n" CENTRE,
	        "t.yaml:2:17: ", "redis.master: \"\" is not a name");
	expect_error("products: products.yaml\n"
	             "redis: {host: 10.0.0.9, sentinels: [\"a:1\"], master: m}\n" CENTRE,
	             "t.yaml:2:15: ", "redis.host: not with redis.sentinels");
	expect_error("products: products.yaml\n"
	             "redis: {port: 6380, sentinels: [\"a:1\"], master: m}\n" CENTRE,
	             "t.yaml:2:15: ", "redis.port: not with redis.sentinels");
	expect_error("products: products.yaml\n"
	             "redis: {unix: /run/redis.sock, sentinels: [\"a:1\"], master: m}\n" CENTRE,
	             "t.yaml:2:15: ", "redis.unix: not with redis.sentinels");
}
END_TEST

/* limits: and metrics: (issues 14, 16): defaults, values, and the errors naming them. */
START_TEST(test_limits_and_metrics)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->request_timeout_ms, 10000);
	ck_assert_int_eq(cfg->per_address, 256);
	ck_assert_int_eq(cfg->unix_clients, 64);
	ck_assert_ptr_null(cfg->metrics_listen);
	config_free(cfg);
	cfg = parse("products: products.yaml\nlimits: {request_timeout_ms: 1500, per_address: 8, "
	            "unix_clients: 2}\nmetrics: {listen: \"127.0.0.1:9787\"}\n" CENTRE,
	            &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->request_timeout_ms, 1500);
	ck_assert_int_eq(cfg->per_address, 8);
	ck_assert_int_eq(cfg->unix_clients, 2);
	ck_assert_str_eq(cfg->metrics_listen, "127.0.0.1:9787");
	config_free(cfg);
	cfg = parse("products: products.yaml\nmetrics: {listen: \"off\"}\n" CENTRE, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_null(cfg->metrics_listen);
	config_free(cfg);
	expect_error("products: products.yaml\nlimits:\n  request_timeout_ms: 10\n" CENTRE,
	             "t.yaml:3:23: ", "10 is out of range (allowed: 100..3600000)");
	expect_error("products: products.yaml\nlimits:\n  per_address: 0\n" CENTRE,
	             "t.yaml:3:16: ", "out of range");
	expect_error("products: products.yaml\nmetrics:\n  listen: everywhere\n" CENTRE,
	             "t.yaml:3:11: ", "metrics.listen: \"everywhere\" is not HOST:PORT");
	expect_error("products: products.yaml\nlimits:\n  request_timeout: 5\n" CENTRE,
	             "t.yaml:3:3: ", "unknown key \"request_timeout\"");
}
END_TEST

START_TEST(test_unknown_key)
{
	expect_error("products: products.yaml\nlisten:\n  tpc: [\"127.0.0.1:1\"]\n" CENTRE,
	             "t.yaml:3:3: ", "unknown key \"tpc\" (allowed: tcp, unix, unix_mode, tls)");
	expect_error("products: products.yaml\nfrobnicate: 1\n" CENTRE,
	             "t.yaml:2:1: ", "unknown key \"frobnicate\"");
}
END_TEST

START_TEST(test_wrong_type)
{
	expect_error("products: products.yaml\nserver: 12\n" CENTRE,
	             "t.yaml:2:9: ", "server: expected a mapping, got a scalar");
	expect_error("products: products.yaml\nserver:\n  max_clients: lots\n" CENTRE,
	             "t.yaml:3:16: ", "\"lots\" is not an integer");
	expect_error("products: products.yaml\nredis:\n  enabled: maybe\n" CENTRE,
	             "t.yaml:3:12: ", "not a boolean");
}
END_TEST

START_TEST(test_out_of_range)
{
	expect_error("products: products.yaml\npolicy:\n  at_risk_percent: 150\n" CENTRE,
	             "t.yaml:3:20: ", "150 is out of range (allowed: 1..100)");
	expect_error("products: products.yaml\npolicy:\n  over_limit: maybe\n" CENTRE,
	             "t.yaml:3:15: ", "unknown value \"maybe\" (allowed: standard, reject, queue)");
	expect_error("products: products.yaml\nlisten:\n  tcp: [\"127.0.0.1:99999\"]\n" CENTRE,
	             "t.yaml:3:9: ", "is not HOST:PORT");
	expect_error("products: products.yaml\npolicy:\n  pause_states: [returned]\n" CENTRE,
	             "t.yaml:3:17: ", "cannot pause");
}
END_TEST

START_TEST(test_unknown_timezone)
{
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: DE-PSC-A\n"
	             "    type: psc\n"
	             "    country: DE\n"
	             "    timezone: Mars/Olympus_Mons\n"
	             "    hours: {mon: \"09:00-17:00\"}\n",
	             "t.yaml:6:15: ", "unknown timezone \"Mars/Olympus_Mons\"");
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: DE-PSC-A\n"
	             "    type: psc\n"
	             "    country: DE\n"
	             "    timezone: ../../etc/passwd\n"
	             "    hours: {mon: \"09:00-17:00\"}\n",
	             "t.yaml:6:15: ", "unknown timezone");
}
END_TEST

static const char *centre_in(const char *tz, char *buf, size_t len)
{
	snprintf(buf, len,
	         "products: products.yaml\n"
	         "centres:\n"
	         "  - {id: DE-PSC-A, type: psc, country: DE, timezone: \"%s\",\n"
	         "     hours: {mon: \"09:00-17:00\"}}\n",
	         tz);
	return buf;
}

/* Names that could climb out of the zone directory, or are no zone, are unknown. */
START_TEST(test_zone_names)
{
	static const char *const good[] = {"Europe/Berlin", "Africa/Johannesburg", "UTC"};
	static const char *const bad[] = {"Mars/Base",
	                                  "",
	                                  "Europe",
	                                  "Europe/",
	                                  "/usr/share/zoneinfo/Europe/Berlin",
	                                  "../zoneinfo/Europe/Berlin",
	                                  "Europe/../Europe/Berlin",
	                                  "Europe/Berlin ",
	                                  "Europe/Berlin\\n",
	                                  "zone.tab",
	                                  "CET-1CEST,M3.5.0,M10.5.0/3"};
	char text[512];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct config_errors errs = {0};
		struct config *cfg = parse(centre_in(good[i], text, sizeof text), &errs);
		ck_assert_msg(cfg != NULL, "%s refused: %s", good[i], errs.n ? errs.msg[0] : "");
		config_free(cfg);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_error(centre_in(bad[i], text, sizeof text),
		             "t.yaml:3:54: ", "unknown timezone");
}
END_TEST

START_TEST(test_zone_dir_from_tzdir)
{
	char sub[128], text[512];
	const char *old = getenv("TZDIR");
	char *saved = old != NULL ? strdup(old) : NULL;

	snprintf(sub, sizeof sub, "%s/Fake", tmpdir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_file("Fake/Zone", "TZif2 and the rest");
	write_file("Fake/Text", "not a zone");
	setenv("TZDIR", tmpdir, 1);
	/* Found there, and then it must be a good TZif file. */
	expect_error(centre_in("Fake/Zone", text, sizeof text),
	             "t.yaml:3:54: ", "timezone \"Fake/Zone\": not a TZif file");
	expect_error(centre_in("Fake/Text", text, sizeof text),
	             "t.yaml:3:54: ", "unknown timezone \"Fake/Text\"");
	expect_error(centre_in("Europe/Berlin", text, sizeof text),
	             "t.yaml:3:54: ", "unknown timezone \"Europe/Berlin\"");
	if (saved != NULL)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
}
END_TEST

START_TEST(test_duplicate_centre)
{
	expect_error("products: products.yaml\n" CENTRE "  - id: DE-PSC-A\n"
	             "    type: asp\n"
	             "    country: DE\n"
	             "    timezone: Europe/Berlin\n"
	             "    hours: {mon: \"09:00-17:00\"}\n",
	             "t.yaml:8:9: ", "duplicate centre id \"DE-PSC-A\"");
}
END_TEST

START_TEST(test_no_working_hours)
{
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: DE-PSC-A\n"
	             "    type: psc\n"
	             "    country: DE\n"
	             "    timezone: Europe/Berlin\n"
	             "    hours: {}\n",
	             "t.yaml:7:12: ", "no working hours");
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: DE-PSC-A\n"
	             "    type: psc\n"
	             "    country: DE\n"
	             "    timezone: Europe/Berlin\n",
	             "t.yaml:3:5: ", "missing key \"hours\"");
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: DE-PSC-A\n"
	             "    type: psc\n"
	             "    country: DE\n"
	             "    timezone: Europe/Berlin\n"
	             "    hours: {mon: \"17:00-09:00\"}\n",
	             "t.yaml:7:18: ", "ends before it starts");
}
END_TEST

START_TEST(test_bad_holiday)
{
	expect_error("products: products.yaml\n" CENTRE "    holidays: [2026-01-01, 2026-02-30]\n",
	             "t.yaml:8:28: ", "\"2026-02-30\" is not a date");
}
END_TEST

START_TEST(test_bad_country)
{
	expect_error("products: products.yaml\ncountries:\n  XX: {programme: free}\n" CENTRE,
	             "t.yaml:3:3: ", "\"XX\" is not an ISO 3166 country code");
	expect_error("products: products.yaml\n"
	             "centres:\n"
	             "  - id: UK-PSC-A\n"
	             "    type: psc\n"
	             "    country: UK\n"
	             "    timezone: Europe/London\n"
	             "    hours: {mon: \"09:00-17:00\"}\n",
	             "t.yaml:5:14: ", "\"UK\" is not an ISO 3166 country code");
}
END_TEST

START_TEST(test_product_twice)
{
	struct config_errors errs = {0};
	char path[128];
	struct config *cfg;

	write_file("products.yaml",
	           "products:\n"
	           "  - {model: \"EOS R5\", class: body, fast_track: true}\n"
	           "  - {model: \"EOS C70\", class: video, fast_track: true, video: true}\n"
	           "  - {model: \"EOS R5\", class: body, fast_track: false}\n");
	cfg = parse("products: products.yaml\n" CENTRE, &errs);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(errs.n, 1);
	snprintf(path, sizeof path, "%s/products.yaml:4:5: ", tmpdir);
	ck_assert_msg(strncmp(errs.msg[0], path, strlen(path)) == 0, "got %s", errs.msg[0]);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "\"EOS R5\" listed twice (first at line 2)"));
	config_errors_free(&errs);
}
END_TEST

START_TEST(test_syntax_error_and_many_errors)
{
	struct config_errors errs = {0};
	struct config *cfg;

	expect_error("products: products.yaml\nlisten: [unclosed\n",
	             "t.yaml:", "YAML syntax error");
	/* Every error is reported, not just the first. */
	cfg = parse("products: products.yaml\n"
	            "server: {max_clients: 0, log_level: loud}\n"
	            "journal: {fsync: sometimes}\n" CENTRE,
	            &errs);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(errs.n, 3);
	config_errors_free(&errs);
}
END_TEST

START_TEST(test_product_suggest)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);
	const char *out[3];
	size_t n;

	ck_assert_ptr_nonnull(cfg);
	n = config_product_suggest(cfg, "EOS R6", out, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], "EOS R5");
	n = config_product_suggest(cfg, "eos c70", out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0], "EOS C70");
	config_free(cfg);
}
END_TEST

START_TEST(test_emea)
{
	struct config_errors errs = {0};
	struct config *cfg = parse("products: products.yaml\n" CENTRE, &errs);

	/* No key: every country is EMEA, as before the key existed. */
	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_null(cfg->emea);
	ck_assert(config_is_emea(cfg, "DE"));
	ck_assert(config_is_emea(cfg, "US"));
	config_free(cfg);

	cfg = parse("products: products.yaml\nemea: [ZA, DE, GB, DE]\n" CENTRE, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nemea, 3);
	ck_assert_str_eq(cfg->emea[0], "DE");
	ck_assert_str_eq(cfg->emea[1], "GB");
	ck_assert_str_eq(cfg->emea[2], "ZA");
	ck_assert(config_is_emea(cfg, "ZA"));
	ck_assert(config_is_emea(cfg, "DE"));
	ck_assert(!config_is_emea(cfg, "US"));
	ck_assert(!config_is_emea(cfg, "D"));
	ck_assert(!config_is_emea(cfg, "DEU"));
	config_free(cfg);

	cfg = parse("products: products.yaml\nemea: []\n" CENTRE, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nemea, 0);
	ck_assert(!config_is_emea(cfg, "DE"));
	config_free(cfg);
	ck_assert_uint_eq(errs.n, 0);

	expect_error("products: products.yaml\nemea: [DE, de]\n" CENTRE, "t.yaml:2:12: ",
	             "emea: \"de\" is not a country code (two letters A-Z, e.g. DE)");
	expect_error("products: products.yaml\nemea: [DEU]\n" CENTRE,
	             "t.yaml:2:8: ", "\"DEU\" is not a country code");
	expect_error("products: products.yaml\nemea: [D1]\n" CENTRE,
	             "t.yaml:2:8: ", "\"D1\" is not a country code");
	expect_error("products: products.yaml\nemea: [DE, XY]\n" CENTRE,
	             "t.yaml:2:12: ", "emea: \"XY\" is not an assigned ISO 3166 country code");
	expect_error("products: products.yaml\nemea: DE\n" CENTRE,
	             "t.yaml:2:7: ", "emea: expected a list, got a scalar");
	expect_error("products: products.yaml\nemea: [[DE]]\n" CENTRE,
	             "t.yaml:2:8: ", "emea: expected a country code, got a list");
}
END_TEST

struct man_check {
	const char *page;
	size_t keys;
};

static void man_describes(const char *section, const char *key, void *ctx)
{
	struct man_check *mc = ctx;
	char want[96];

	/* A top-level key has a section of the page, every other key a .B line. */
	if (section[0] == '\0') {
		snprintf(want, sizeof want, ".SH %s\n", key);
		for (char *c = want + 4; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	} else {
		snprintf(want, sizeof want, ".B %s\n", key);
	}
	ck_assert_msg(strstr(mc->page, want) != NULL, "repaird.yaml.5 does not describe %s%s%s",
	              section, section[0] ? "." : "", key);
	mc->keys++;
}

/* repaird.yaml(5) describes every key of the parser's own tables, so a new key needs a line. */
START_TEST(test_man_page_names_every_key)
{
	static char page[1 << 18];
	struct man_check mc = {page, 0};
	FILE *f = fopen("man/repaird.yaml.5", "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(page, 1, sizeof page - 1, f);
	fclose(f);
	page[n] = '\0';
	config_key_each(man_describes, &mc);
	ck_assert_uint_ge(mc.keys, 60); /* the tables were walked, all of them */
}
END_TEST

/*
 * Found by fuzz_config: `products: /dev/zero` read 128 MB before giving up, and a
 * FIFO blocked the loader for good. Only a regular file of at most 64 MB is read.
 */
START_TEST(test_products_not_a_regular_file)
{
	struct config_errors errs = {0};
	char path[128];

	snprintf(path, sizeof path, "%s/fifo.yaml", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	expect_error("products: fifo.yaml\n" CENTRE,
	             "t.yaml:1:11:", "fifo.yaml: not a regular file");
	expect_error("products: /dev/zero\n" CENTRE,
	             "t.yaml:1:11:", "/dev/zero: not a regular file");
	expect_error("products: .\n" CENTRE, "t.yaml:1:11:", "not a regular file");
	/* The configuration file itself likewise. */
	ck_assert_ptr_null(config_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "not a regular file"));
	config_errors_free(&errs);
	/* Too large is refused from its size, before anything is read. */
	write_file("huge.yaml", "products: []\n");
	snprintf(path, sizeof path, "%s/huge.yaml", tmpdir);
	ck_assert_int_eq(truncate(path, (64 << 20) + 1), 0);
	expect_error("products: huge.yaml\n" CENTRE, "t.yaml:1:11:", "file larger than 64 MB");
	/* 64 MB exactly is allowed (and then not YAML: a syntax error, no crash). */
	ck_assert_int_eq(truncate(path, 64 << 20), 0);
	expect_error("products: huge.yaml\n" CENTRE, "", "huge.yaml");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_files_load);
	tcase_add_test(tc, test_production_data);
	tcase_add_test(tc, test_minimal_and_defaults);
	tcase_add_test(tc, test_limits_and_metrics);
	tcase_add_test(tc, test_retention_keys);
	tcase_add_test(tc, test_redis_sentinels);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_unknown_timezone);
	tcase_add_test(tc, test_duplicate_centre);
	tcase_add_test(tc, test_no_working_hours);
	tcase_add_test(tc, test_bad_holiday);
	tcase_add_test(tc, test_bad_country);
	tcase_add_test(tc, test_product_twice);
	tcase_add_test(tc, test_syntax_error_and_many_errors);
	tcase_add_test(tc, test_product_suggest);
	tcase_add_test(tc, test_products_not_a_regular_file);
	tcase_add_test(tc, test_emea);
	tcase_add_test(tc, test_ha_section);
	tcase_add_test(tc, test_man_page_names_every_key);
	tcase_add_test(tc, test_zone_names);
	tcase_add_test(tc, test_zone_dir_from_tzdir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(config_suite());
}
