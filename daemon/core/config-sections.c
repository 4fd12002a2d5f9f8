/*
 * config-sections: the key tables of listen:, server:, journal:, redis:,
 * policy:, calendar:, countries: and emea:, with the few values that need
 * more than a type. Parsing only: the files a section names (TLS
 * certificates) are asked of the config_reader, never opened here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "domain.h"
#include "xmalloc.h"

/* ---- listen ------------------------------------------------------------- */

static int valid_listen_address(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || colon == s)
		return 0;
	if (s[0] == '[' && colon[-1] != ']')
		return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] != '\0' && *end == '\0' && errno == 0 && port >= 1 && port <= 65535;
}

/* A cert or key path: relative ones from the directory of the file being read. */
static char *tls_path(const struct cfgp *p, const char *name)
{
	const char *slash = strrchr(p->file, '/');
	size_t dl, n;
	char *path;

	if (name[0] == '/' || slash == NULL)
		return xstrdup(name);
	dl = (size_t)(slash - p->file);
	n = dl + strlen(name) + 2;
	path = xmalloc(n);
	snprintf(path, n, "%.*s/%s", (int)dl, p->file, name);
	return path;
}

static void tls_address(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct tls_listen *t = obj;

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	if (!valid_listen_address(scalar(v)))
		cerr_at(p, v, "listen.tls: address \"%s\" is not HOST:PORT (port 1..65535)",
		        scalar(v));
	free(t->address);
	t->address = xstrdup(scalar(v));
}

/* Only whether it can be read: repaird loads the PEM at start. */
static void tls_file(struct cfgp *p, yaml_node_t *v, const char *what, char **slot, const char *key)
{
	const unsigned char *data = NULL;
	size_t len = 0;
	char err[256];

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	free(*slot);
	*slot = tls_path(p, scalar(v));
	if (p->rd->read(p->rd->ctx, CONFIG_FILE_PEM, *slot, &data, &len, err, sizeof err) < 0)
		cerr_at(p, v, "listen.tls: %s %s: %s", key, *slot, err);
}

static void tls_cert(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	tls_file(p, v, what, &((struct tls_listen *)obj)->cert, "cert");
}

static void tls_key(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	tls_file(p, v, what, &((struct tls_listen *)obj)->key, "key");
}

static const struct ckey tls_keys[] = {
        CK_FUNC("address", tls_address, true),
        CK_FUNC("cert", tls_cert, true),
        CK_FUNC("key", tls_key, true),
        CK_TYPED("handshake_timeout_ms", struct tls_listen, handshake_timeout_ms, CK_INT, 100,
                 600000, NULL, 0, false),
};
const struct csection cfg_tls_section = {"listen.tls", tls_keys, NKEYS(tls_keys), CK_COLON};

/* One listen.tls entry: {address, cert, key, handshake_timeout_ms}. */
static void parse_listen_tls_one(struct cfgp *p, yaml_node_t *map, size_t idx)
{
	struct tls_listen t = {.handshake_timeout_ms = 5000};
	yaml_node_t *at[NKEYS(tls_keys)] = {0};
	char label[64];
	size_t before = p->errs->n;

	snprintf(label, sizeof label, "listen.tls[%zu]", idx);
	if (ckeys_parse(p, map, &cfg_tls_section, label, "listen.tls", &t, at) < 0)
		return;
	for (int k = 0; k < NKEYS(tls_keys); k++)
		if (tls_keys[k].required && at[k] == NULL)
			cerr_at(p, map, "%s: missing key \"%s\" (needed: address, cert, key)",
			        label, tls_keys[k].name);
	if (p->errs->n != before) {
		free(t.address);
		free(t.cert);
		free(t.key);
		return;
	}
	p->cfg->listen_tls = xreallocarray(p->cfg->listen_tls, p->cfg->nlisten_tls + 1,
	                                   sizeof *p->cfg->listen_tls);
	p->cfg->listen_tls[p->cfg->nlisten_tls++] = t;
}

/* listen.tls: a list of listeners, or one listener as a mapping. */
static void listen_tls(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	size_t idx = 0;

	(void)obj;
	if (v->type == YAML_MAPPING_NODE) {
		parse_listen_tls_one(p, v, 0);
		return;
	}
	if (expect(p, v, YAML_SEQUENCE_NODE, what) < 0)
		return;
	FOR_ITEMS(v, it)
	{
		parse_listen_tls_one(p, node(p, *it), idx++);
	}
}

static void listen_tcp(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (expect(p, v, YAML_SEQUENCE_NODE, what) < 0)
		return;
	for (size_t i = 0; i < cfg->nlisten_tcp; i++)
		free(cfg->listen_tcp[i]);
	cfg->nlisten_tcp = 0;
	FOR_ITEMS(v, it)
	{
		yaml_node_t *a = node(p, *it);
		if (expect(p, a, YAML_SCALAR_NODE, what) < 0)
			continue;
		if (!valid_listen_address(scalar(a))) {
			cerr_at(p, a, "listen.tcp: \"%s\" is not HOST:PORT (port 1..65535)",
			        scalar(a));
			continue;
		}
		cfg->listen_tcp = xreallocarray(cfg->listen_tcp, cfg->nlisten_tcp + 1,
		                                sizeof *cfg->listen_tcp);
		cfg->listen_tcp[cfg->nlisten_tcp++] = xstrdup(scalar(a));
	}
}

static void listen_unix(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	free(cfg->listen_unix);
	cfg->listen_unix = scalar(v)[0] ? xstrdup(scalar(v)) : NULL;
	if (cfg->listen_unix && strlen(cfg->listen_unix) >= 108)
		cerr_at(p, v, "listen.unix: path longer than 107 bytes");
}

static void listen_unix_mode(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	const char *s = scalar(v);
	char *end;
	unsigned long mode;

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	mode = strtoul(s, &end, 8);
	if (*s == '\0' || *end != '\0' || mode > 0777)
		cerr_at(p, v,
		        "listen.unix_mode: \"%s\" is not an octal file mode (allowed: 0000..0777)",
		        s);
	else
		((struct config *)obj)->unix_mode = (unsigned)mode;
}

static const struct ckey listen_keys[] = {
        CK_FUNC("tcp", listen_tcp, false),
        CK_FUNC("unix", listen_unix, false),
        CK_FUNC("unix_mode", listen_unix_mode, false),
        CK_FUNC("tls", listen_tls, false),
};
const struct csection cfg_listen_section = {"listen", listen_keys, NKEYS(listen_keys), CK_DOTTED};

void parse_listen(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_listen_section, "listen", "listen", p->cfg, NULL);
}

/* ---- server, journal ---------------------------------------------------- */

static const struct ckey server_keys[] = {
        CK_TYPED("state_dir", struct config, state_dir, CK_STRING, 0, 0, NULL, 0, false),
        CK_TYPED("max_clients", struct config, max_clients, CK_INT, 1, 1000000, NULL, 0, false),
        CK_TYPED("idle_timeout", struct config, idle_timeout, CK_INT, 0, 31536000, NULL, 0, false),
        CK_TYPED("log_level", struct config, log_level, CK_ENUM, 0, 0, log_level_names,
                 LOG_LEVEL_COUNT, false),
};
const struct csection cfg_server_section = {"server", server_keys, NKEYS(server_keys), CK_DOTTED};

void parse_server(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_server_section, "server", "server", p->cfg, NULL);
}

static const struct ckey journal_keys[] = {
        CK_TYPED("fsync", struct config, fsync, CK_ENUM, 0, 0, fsync_policy_names, FSYNC_COUNT,
                 false),
};
const struct csection cfg_journal_section = {"journal", journal_keys, NKEYS(journal_keys),
                                             CK_DOTTED};

void parse_journal(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_journal_section, "journal", "journal", p->cfg, NULL);
}

/* ---- retention ------------------------------------------------------------ */

static const struct ckey retention_keys[] = {
        CK_TYPED("closed_days", struct config, retention_closed_days, CK_INT, 0, 36500, NULL, 0,
                 false),
};
const struct csection cfg_retention_section = {"retention", retention_keys, NKEYS(retention_keys),
                                               CK_DOTTED};

void parse_retention(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_retention_section, "retention", "retention", p->cfg, NULL);
}

/* ---- limits, metrics ------------------------------------------------------ */

static const struct ckey limits_keys[] = {
        CK_TYPED("request_timeout_ms", struct config, request_timeout_ms, CK_INT, 100, 3600000,
                 NULL, 0, false),
        CK_TYPED("per_address", struct config, per_address, CK_INT, 1, 1000000, NULL, 0, false),
        CK_TYPED("unix_clients", struct config, unix_clients, CK_INT, 1, 100000, NULL, 0, false),
};
const struct csection cfg_limits_section = {"limits", limits_keys, NKEYS(limits_keys), CK_DOTTED};

void parse_limits(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_limits_section, "limits", "limits", p->cfg, NULL);
}

/* metrics.listen: HOST:PORT of the HTTP endpoint, "off" (the default) for none. */
static void metrics_listen(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;
	const char *s;

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	s = scalar(v);
	free(cfg->metrics_listen);
	cfg->metrics_listen = NULL;
	if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		return;
	if (!valid_listen_address(s)) {
		cerr_at(p, v, "metrics.listen: \"%s\" is not HOST:PORT (port 1..65535) or off", s);
		return;
	}
	cfg->metrics_listen = xstrdup(s);
}

static const struct ckey metrics_keys[] = {
        CK_FUNC("listen", metrics_listen, false),
};
const struct csection cfg_metrics_section = {"metrics", metrics_keys, NKEYS(metrics_keys),
                                             CK_DOTTED};

void parse_metrics(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_metrics_section, "metrics", "metrics", p->cfg, NULL);
}

/* ---- redis -------------------------------------------------------------- */

static void redis_prefix(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (get_string(p, v, what, &cfg->redis_prefix) == 0 && cfg->redis_prefix[0] == '\0')
		cerr_at(p, v, "redis.prefix: must not be empty");
}

static void redis_on_stream_lost(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	static const char *const lost[] = {"skip", "resend"};
	int i = get_enum(p, v, what, lost, 2);

	if (i >= 0)
		((struct config *)obj)->redis_resend_lost = i == 1;
}

/* redis.sentinels: HOST:PORT each, asked in turn for the primary's address. */
static void redis_sentinels(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (expect(p, v, YAML_SEQUENCE_NODE, what) < 0)
		return;
	for (size_t i = 0; i < cfg->nredis_sentinels; i++)
		free(cfg->redis_sentinels[i]);
	cfg->nredis_sentinels = 0;
	FOR_ITEMS(v, it)
	{
		yaml_node_t *a = node(p, *it);
		if (expect(p, a, YAML_SCALAR_NODE, what) < 0)
			continue;
		if (!valid_listen_address(scalar(a)) || scalar(a)[0] == ':') {
			cerr_at(p, a, "redis.sentinels: \"%s\" is not HOST:PORT (port 1..65535)",
			        scalar(a));
			continue;
		}
		cfg->redis_sentinels =
		        xreallocarray(cfg->redis_sentinels, cfg->nredis_sentinels + 1,
		                      sizeof *cfg->redis_sentinels);
		cfg->redis_sentinels[cfg->nredis_sentinels++] = xstrdup(scalar(a));
	}
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		cerr_at(p, v,
		        "redis.sentinels: empty (allowed: a list of HOST:PORT, or no key "
		        "for redis.host/port)");
}

static void redis_master(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (get_string(p, v, what, &cfg->redis_master) < 0)
		return;
	if (cfg->redis_master[0] == '\0' || strpbrk(cfg->redis_master, " \t\r\n") != NULL)
		cerr_at(p, v,
		        "redis.master: \"%s\" is not a name (allowed: a non-empty name "
		        "without spaces, as in the sentinels' \"sentinel monitor\")",
		        cfg->redis_master);
}

static const struct ckey redis_keys[] = {
        CK_TYPED("enabled", struct config, redis_enabled, CK_BOOL, 0, 0, NULL, 0, false),
        CK_TYPED("host", struct config, redis_host, CK_STRING, 0, 0, NULL, 0, false),
        CK_TYPED("port", struct config, redis_port, CK_INT, 1, 65535, NULL, 0, false),
        CK_TYPED("unix", struct config, redis_unix, CK_STRING, 0, 0, NULL, 0, false),
        CK_TYPED("db", struct config, redis_db, CK_INT, 0, 1000, NULL, 0, false),
        CK_TYPED("password", struct config, redis_password, CK_STRING, 0, 0, NULL, 0, false),
        CK_FUNC("prefix", redis_prefix, false),
        CK_TYPED("maxlen", struct config, redis_maxlen, CK_LONG, 1, 1000000000L, NULL, 0, false),
        CK_TYPED("events", struct config, redis_events, CK_ENUM_SET, 0, 0, event_type_names,
                 EVENT_TYPE_COUNT, false),
        CK_TYPED("connect_timeout_ms", struct config, redis_connect_timeout_ms, CK_INT, 1, 600000,
                 NULL, 0, false),
        CK_TYPED("reply_timeout_ms", struct config, redis_reply_timeout_ms, CK_INT, 1, 600000, NULL,
                 0, false),
        CK_FUNC("on_stream_lost", redis_on_stream_lost, false),
        CK_TYPED("retain_events", struct config, redis_retain_events, CK_LONG, 0, 10000000L, NULL,
                 0, false),
        CK_TYPED("retain_seconds", struct config, redis_retain_seconds, CK_LONG, 0,
                 10L * 366 * 86400, NULL, 0, false),
        CK_FUNC("sentinels", redis_sentinels, false),
        CK_FUNC("master", redis_master, false),
};

/* A redis key's node, as ckeys_parse left it in at[], or NULL when not given. */
static yaml_node_t *redis_given(yaml_node_t *const *at, const char *name)
{
	for (int k = 0; k < NKEYS(redis_keys); k++)
		if (strcmp(redis_keys[k].name, name) == 0)
			return at[k];
	return NULL;
}
const struct csection cfg_redis_section = {"redis", redis_keys, NKEYS(redis_keys), CK_DOTTED};

/*
 * With sentinels the primary's address is theirs to give: a host, port or
 * unix socket beside them would be ignored, so it is refused, naming both.
 */
void parse_redis(struct cfgp *p, yaml_node_t *n)
{
	static const char *const direct[] = {"host", "port", "unix"};
	yaml_node_t *at[NKEYS(redis_keys)] = {0};
	yaml_node_t *sentinels, *master;

	if (ckeys_parse(p, n, &cfg_redis_section, "redis", "redis", p->cfg, at) < 0)
		return;
	sentinels = redis_given(at, "sentinels");
	master = redis_given(at, "master");
	if (sentinels != NULL) {
		for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
			if (redis_given(at, direct[i]) != NULL)
				cerr_at(p, redis_given(at, direct[i]),
				        "redis.%s: not with redis.sentinels (the sentinels give "
				        "the "
				        "primary's address; allowed: one of the two)",
				        direct[i]);
		if (master == NULL)
			cerr_at(p, sentinels,
			        "redis.sentinels: needs redis.master, the name the sentinels "
			        "monitor the primary by");
	} else if (master != NULL) {
		cerr_at(p, master, "redis.master: only with redis.sentinels (a list of HOST:PORT)");
	}
}

/* ---- policy ------------------------------------------------------------- */

/* A mapping of tier name -> business days (policy.targets, countries.X.targets). */
static void parse_targets(struct cfgp *p, yaml_node_t *map, const char *what, int *days)
{
	char key[224];

	if (expect(p, map, YAML_MAPPING_NODE, what) < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		int t = key_index(p, map, pair, what, tier_names, TIER_COUNT);
		if (t < 0)
			continue;
		snprintf(key, sizeof key, "%s.%s", what, tier_names[t]);
		get_int(p, node(p, pair->value), key, 1, 365, &days[t]);
	}
}

static void policy_targets(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	parse_targets(p, v, what, ((struct config *)obj)->target_days);
}

static void policy_loans(struct cfgp *p, yaml_node_t *map, const char *what, void *obj)
{
	struct config *cfg = obj;
	char key[96];

	if (expect(p, map, YAML_MAPPING_NODE, what) < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		int prog = key_index(p, map, pair, what, programme_names, PROGRAMME_COUNT);
		yaml_node_t *tiers = node(p, pair->value);
		if (prog < 0)
			continue;
		snprintf(key, sizeof key, "%s.%s", what, programme_names[prog]);
		if (expect(p, tiers, YAML_MAPPING_NODE, key) < 0)
			continue;
		FOR_PAIRS(tiers, tp)
		{
			int t = key_index(p, tiers, tp, key, tier_names, TIER_COUNT);
			char tkey[128];
			if (t < 0)
				continue;
			snprintf(tkey, sizeof tkey, "%s.%s", key, tier_names[t]);
			get_enum_set(p, node(p, tp->value), tkey, loan_reason_names,
			             LOAN_REASON_COUNT, &cfg->loan_rules[prog][t]);
		}
	}
}

static void policy_fast_track_services(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;

	if (expect(p, v, YAML_MAPPING_NODE, what) < 0)
		return;
	FOR_PAIRS(v, tp)
	{
		int t = key_index(p, v, tp, what, centre_type_names, CENTRE_TYPE_COUNT);
		if (t >= 0)
			get_enum_set(p, node(p, tp->value), what, service_names, SERVICE_COUNT,
			             &cfg->fast_track_services[t]);
	}
}

static void policy_at_risk(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	int i;

	if (get_int(p, v, what, 1, 100, &i) == 0)
		((struct config *)obj)->at_risk_permille = i * 10;
}

static void policy_pause_states(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	const unsigned away = (1u << TSTATE_BOOKED) | (1u << TSTATE_READY) |
	                      (1u << TSTATE_RETURNED) | (1u << TSTATE_CANCELLED);
	unsigned set = 0;

	if (get_enum_set(p, v, what, ticket_state_names, TSTATE_COUNT, &set) < 0)
		return;
	/* Only states in which an item is at the centre can pause its clock. */
	if (set & away)
		cerr_at(p, v,
		        "policy.pause_states: booked, ready, returned and cancelled cannot pause "
		        "(allowed: received, diagnosing, awaiting_customer, awaiting_parts, "
		        "in_repair)");
	else
		((struct config *)obj)->pause_states = set;
}

static const struct ckey policy_keys[] = {
        CK_TYPED("in_service_limit", struct config, in_service_limit, CK_INT, 1, 1000, NULL, 0,
                 false),
        CK_TYPED("over_limit", struct config, over_limit, CK_ENUM, 0, 0, over_limit_names,
                 OVER_LIMIT_COUNT, false),
        CK_FUNC("at_risk_percent", policy_at_risk, false),
        CK_FUNC("pause_states", policy_pause_states, false),
        CK_TYPED("standard_days", struct config, standard_days, CK_INT, 1, 365, NULL, 0, false),
        CK_TYPED("video_min_days", struct config, video_min_days, CK_INT, 0, 365, NULL, 0, false),
        CK_TYPED("default_programme", struct config, default_programme, CK_ENUM, 0, 0,
                 programme_names, PROGRAMME_COUNT, false),
        CK_FUNC("targets", policy_targets, false),
        CK_FUNC("loans", policy_loans, false),
        CK_FUNC("fast_track_services", policy_fast_track_services, false),
};
const struct csection cfg_policy_section = {"policy", policy_keys, NKEYS(policy_keys), CK_DOTTED};

void parse_policy(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_policy_section, "policy", "policy", p->cfg, NULL);
}

/* ---- calendar ----------------------------------------------------------- */

static void calendar_day_length(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	get_duration(p, v, what, "8h, 7h30m", &((struct config *)obj)->day_seconds);
}

static const struct ckey calendar_keys[] = {
        CK_TYPED("first_year", struct config, first_year, CK_INT, 1971, 2100, NULL, 0, false),
        CK_TYPED("last_year", struct config, last_year, CK_INT, 1971, 2100, NULL, 0, false),
        CK_FUNC("day_length", calendar_day_length, false),
};
const struct csection cfg_calendar_section = {"calendar", calendar_keys, NKEYS(calendar_keys),
                                              CK_DOTTED};

void parse_calendar(struct cfgp *p, yaml_node_t *n)
{
	if (ckeys_parse(p, n, &cfg_calendar_section, "calendar", "calendar", p->cfg, NULL) == 0 &&
	    p->cfg->first_year > p->cfg->last_year)
		cerr_at(p, n, "calendar: first_year %d is after last_year %d", p->cfg->first_year,
		        p->cfg->last_year);
}

/* ---- countries ---------------------------------------------------------- */

int country_cmp(const void *a, const void *b)
{
	return strcmp(((const struct country *)a)->code, ((const struct country *)b)->code);
}

static void country_targets(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	parse_targets(p, v, what, ((struct country *)obj)->target_days);
}

/* Every message names the country alone ("countries.DE: ..."): CK_LABEL. */
static const struct ckey country_keys[] = {
        CK_TYPED("name", struct country, name, CK_STRING, 0, 0, NULL, 0, false),
        CK_TYPED("programme", struct country, programme, CK_ENUM, 0, 0, programme_names,
                 PROGRAMME_COUNT, false),
        CK_TYPED("silver_only", struct country, silver_only, CK_BOOL, 0, 0, NULL, 0, false),
        CK_FUNC("targets", country_targets, false),
};
const struct csection cfg_country_section = {"countries", country_keys, NKEYS(country_keys),
                                             CK_LABEL};

void parse_countries(struct cfgp *p, yaml_node_t *map)
{
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "countries") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
		struct country c;
		char what[64];

		if (key_unique(p, map, pair, "countries") < 0 ||
		    !valid_country_code(p, k, "countries"))
			continue;
		memset(&c, 0, sizeof c);
		memcpy(c.code, scalar(k), 3);
		c.programme = cfg->default_programme;
		snprintf(what, sizeof what, "countries.%s", c.code);
		if (ckeys_parse(p, v, &cfg_country_section, what, what, &c, NULL) < 0)
			continue;
		if (c.name == NULL)
			c.name = xstrdup(c.code);
		cfg->countries =
		        xreallocarray(cfg->countries, cfg->ncountries + 1, sizeof *cfg->countries);
		cfg->countries[cfg->ncountries++] = c;
	}
	if (cfg->ncountries > 0) /* qsort wants a real pointer even for nothing */
		qsort(cfg->countries, cfg->ncountries, sizeof *cfg->countries, country_cmp);
}

/* ---- emea --------------------------------------------------------------- */

static int emea_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* emea: a list of two-letter codes, kept sorted and without repeats for bsearch. */
void parse_emea(struct cfgp *p, yaml_node_t *seq)
{
	struct config *cfg = p->cfg;
	size_t n = 0;

	if (expect(p, seq, YAML_SEQUENCE_NODE, "emea") < 0)
		return;
	/* Never NULL once the key is given: an empty list means no country is in EMEA. */
	cfg->emea = xreallocarray(
	        cfg->emea,
	        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) + 1,
	        sizeof *cfg->emea);
	FOR_ITEMS(seq, it)
	{
		yaml_node_t *c = node(p, *it);
		const char *s = scalar(c);
		if (s == NULL) {
			cerr_at(p, c, "emea: expected a country code, got %s", node_kind(c));
			continue;
		}
		if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') {
			cerr_at(p, c,
			        "emea: \"%s\" is not a country code (two letters A-Z, e.g. DE)", s);
			continue;
		}
		if (!country_code_exists(s)) {
			cerr_at(p, c, "emea: \"%s\" is not an assigned ISO 3166 country code", s);
			continue;
		}
		memcpy(cfg->emea[n++], s, 3);
	}
	if (n > 0)
		qsort(cfg->emea, n, sizeof *cfg->emea, emea_cmp);
	cfg->nemea = 0;
	for (size_t i = 0; i < n; i++)
		if (cfg->nemea == 0 || strcmp(cfg->emea[cfg->nemea - 1], cfg->emea[i]) != 0)
			memcpy(cfg->emea[cfg->nemea++], cfg->emea[i], 3);
}

bool config_is_emea(const struct config *cfg, const char *cc)
{
	char key[3];

	if (cfg->emea == NULL)
		return true;
	if (cc == NULL || strlen(cc) != 2)
		return false;
	memcpy(key, cc, 3);
	return bsearch(key, cfg->emea, cfg->nemea, sizeof *cfg->emea, emea_cmp) != NULL;
}
