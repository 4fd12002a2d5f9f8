/*
 * config: repaird.yaml into struct config. The top level's keys and the order
 * in which their sections are parsed, the defaults, and config_key_each().
 * The sections' own key tables are in config-sections.c, config-centres.c,
 * config-access.c and config-products.c; the driver in config-node.c.
 *
 * Pure: the text comes in, the other files through the config_reader. No
 * I/O, no clock, no TZ.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_impl.h"
#include "crc32c.h"
#include "xmalloc.h"

/*
 * The top level, in file-independent parse order so that later sections can
 * use earlier ones: policy (default programme) before countries, calendar
 * (years) before centres, centres before access (users name centres).
 */
struct top_key {
	const char *name;
	void (*parse)(struct cfgp *p, yaml_node_t *n);
	int order;
};

enum { TOP_PRODUCTS = 6, TOP_CENTRES = 8, TOP_ACCESS = 9, TOP_COUNT = 15 };

static const struct top_key top_keys[TOP_COUNT] = {
        {"listen", parse_listen, 0},    {"server", parse_server, 1},
        {"journal", parse_journal, 2},  {"redis", parse_redis, 3},
        {"policy", parse_policy, 4},    {"calendar", parse_calendar, 5},
        {"products", load_products, 7}, {"countries", parse_countries, 6},
        {"centres", parse_centres, 8},  {"access", parse_access, 9},
        {"emea", parse_emea, 10},       {"limits", parse_limits, 11},
        {"metrics", parse_metrics, 12}, {"retention", parse_retention, 13},
        {"ha", parse_ha, 14},
};

static void config_defaults(struct config *cfg)
{
	cfg->listen_tcp = xmalloc(sizeof *cfg->listen_tcp);
	cfg->listen_tcp[0] = xstrdup("127.0.0.1:7878");
	cfg->nlisten_tcp = 1;
	cfg->listen_unix = xstrdup("/run/repaird/repaird.sock");
	cfg->unix_mode = 0660;
	cfg->state_dir = xstrdup("/var/lib/repaird");
	cfg->max_clients = 10000;
	cfg->idle_timeout = 0;
	cfg->request_timeout_ms = 10000;
	cfg->per_address = 256;
	cfg->unix_clients = 64;
	cfg->metrics_listen = NULL;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->fsync = FSYNC_ALWAYS;
	cfg->journal_compact_min = 64L << 20;
	cfg->tcp_auth = true;
	cfg->unix_user = xstrdup("admin");
	cfg->journal_compact_ratio = 2;
	cfg->retention_closed_days = 730;
	cfg->redis_enabled = true;
	cfg->redis_host = xstrdup("127.0.0.1");
	cfg->redis_port = 6379;
	cfg->redis_prefix = xstrdup("repaird");
	cfg->redis_maxlen = 1000000;
	cfg->redis_events = (1u << EVENT_LOAN_ELIGIBLE) | (1u << EVENT_LOAN_ISSUED) |
	                    (1u << EVENT_LOAN_RETURNED) | (1u << EVENT_TICKET_AT_RISK) |
	                    (1u << EVENT_TICKET_BREACHED);
	cfg->redis_connect_timeout_ms = 2000;
	cfg->redis_reply_timeout_ms = 5000;
	cfg->redis_resend_lost = true;
	cfg->redis_retain_events = 10000; /* as the engine keeps by default */
	cfg->redis_retain_seconds = 0;
	cfg->ha_lease_ms = 3000;
	cfg->ha_sync = true;
	cfg->in_service_limit = 3;
	cfg->over_limit = OVER_LIMIT_STANDARD;
	cfg->at_risk_permille = 750;
	cfg->pause_states = 1u << TSTATE_AWAITING_CUSTOMER;
	cfg->standard_days = 10;
	cfg->video_min_days = 5;
	cfg->default_programme = PROGRAMME_FREE;
	cfg->target_days[TIER_RED] = 10;
	cfg->target_days[TIER_SILVER] = 5;
	cfg->target_days[TIER_GOLD] = 3;
	cfg->target_days[TIER_PLATINUM] = 2;
	cfg->target_days[TIER_ENTERPRISE_C] = 2;
	cfg->target_days[TIER_ENTERPRISE_B] = 2;
	cfg->target_days[TIER_ENTERPRISE_A] = 2;
	for (int t = TIER_GOLD; t < TIER_COUNT; t++)
		cfg->loan_rules[PROGRAMME_FREE][t] = LOAN_ON_FORECAST | LOAN_ON_BREACH;
	cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_GOLD] = LOAN_ON_BREACH;
	cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_PLATINUM] = LOAN_ON_BOOKING;
	cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_ENTERPRISE_C] = LOAN_ON_BOOKING;
	cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_ENTERPRISE_B] = LOAN_ON_BOOKING;
	cfg->loan_rules[PROGRAMME_SUBSCRIPTION][TIER_ENTERPRISE_A] = LOAN_ON_BOOKING;
	cfg->fast_track_services[CENTRE_PSC] = 0x7;
	cfg->fast_track_services[CENTRE_CEC] = 0x7;
	cfg->fast_track_services[CENTRE_ASP] = 1u << SERVICE_REPAIR;
	cfg->first_year = 2025;
	cfg->last_year = 2032;
	cfg->day_seconds = 0;
}

static void parse_root(struct cfgp *p, yaml_node_t *root)
{
	const char *names[TOP_COUNT];
	yaml_node_t *sec[TOP_COUNT] = {0};

	if (root == NULL) {
		config_errors_add(p->errs, p->file, 1, 1, "empty configuration");
		return;
	}
	if (expect(p, root, YAML_MAPPING_NODE, "configuration") < 0)
		return;
	for (int i = 0; i < TOP_COUNT; i++)
		names[i] = top_keys[i].name;
	FOR_PAIRS(root, pair)
	{
		int k = key_index(p, root, pair, "configuration", names, TOP_COUNT);
		if (k >= 0)
			sec[k] = node(p, pair->value);
	}
	for (int order = 0; order < TOP_COUNT; order++)
		for (int k = 0; k < TOP_COUNT; k++)
			if (top_keys[k].order == order && sec[k] != NULL)
				top_keys[k].parse(p, sec[k]);
	if (sec[TOP_CENTRES] == NULL)
		cerr_at(p, root, "configuration: missing key \"centres\" (at least one centre)");
	if (sec[TOP_PRODUCTS] == NULL)
		cerr_at(p, root, "configuration: missing key \"products\" (the catalogue file)");
	check_access(p, sec[TOP_ACCESS] ? sec[TOP_ACCESS] : root);
}

struct config *config_parse_with(const char *name, const char *text, size_t len,
                                 const struct config_reader *rd, struct config_errors *errs)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	yaml_document_t doc;
	struct cfgp p = {.file = name, .doc = &doc, .errs = errs, .cfg = cfg, .rd = rd};
	size_t before = errs->n;

	cfg->path = xstrdup(name);
	cfg->fingerprint = crc32c(0, text, len);
	config_defaults(cfg);
	if (load_document(name, text, len, &doc, errs) == 0) {
		parse_root(&p, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
	}
	if (errs->n != before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	for (size_t i = 0; i < cfg->nlisten_tcp; i++)
		free(cfg->listen_tcp[i]);
	free(cfg->listen_tcp);
	free(cfg->listen_unix);
	for (size_t i = 0; i < cfg->nlisten_tls; i++) {
		free(cfg->listen_tls[i].address);
		free(cfg->listen_tls[i].cert);
		free(cfg->listen_tls[i].key);
	}
	free(cfg->listen_tls);
	free(cfg->state_dir);
	free(cfg->redis_host);
	free(cfg->redis_unix);
	for (size_t i = 0; i < cfg->nredis_sentinels; i++)
		free(cfg->redis_sentinels[i]);
	free(cfg->redis_sentinels);
	free(cfg->redis_master);
	free(cfg->redis_password);
	free(cfg->redis_prefix);
	for (size_t i = 0; i < cfg->ncountries; i++)
		free(cfg->countries[i].name);
	free(cfg->countries);
	for (size_t i = 0; i < cfg->ncentres; i++)
		centre_free(&cfg->centres[i]);
	free(cfg->centres);
	for (size_t i = 0; i < cfg->nproducts; i++)
		free(cfg->products[i].model);
	free(cfg->products);
	free(cfg->products_path);
	free(cfg->unix_user);
	free(cfg->metrics_listen);
	for (size_t i = 0; i < cfg->nusers; i++)
		user_free(&cfg->users[i]);
	free(cfg->users);
	free(cfg->emea);
	free(cfg->ha_node);
	free(cfg->ha_advertise);
	free(cfg);
}

const struct country *config_country(const struct config *cfg, const char *code)
{
	struct country key;

	size_t n = strnlen(code, sizeof key.code - 1);

	/* Not snprintf: this runs several times for every ticket opened. */
	memset(&key, 0, sizeof key);
	memcpy(key.code, code, n);
	return bsearch(&key, cfg->countries, cfg->ncountries, sizeof *cfg->countries, country_cmp);
}

void config_key_each(void (*fn)(const char *section, const char *key, void *ctx), void *ctx)
{
	static const struct csection *const sections[] = {
	        &cfg_listen_section,   &cfg_tls_section,     &cfg_server_section,
	        &cfg_journal_section,  &cfg_redis_section,   &cfg_policy_section,
	        &cfg_calendar_section, &cfg_country_section, &cfg_centre_section,
	        &cfg_access_section,   &cfg_user_section,    &cfg_product_section,
	        &cfg_limits_section,   &cfg_metrics_section, &cfg_retention_section,
	        &cfg_ha_section,
	};

	for (int i = 0; i < TOP_COUNT; i++)
		fn("", top_keys[i].name, ctx);
	for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
		for (int k = 0; k < sections[s]->nkeys; k++)
			fn(sections[s]->name, sections[s]->keys[k].name, ctx);
}
