/*
 * config: repaird.yaml and products.yaml into struct config.
 *
 * libyaml's document API gives a node tree with a position for every node, so
 * each problem can name file:line:column. We walk the tree once, section by
 * section, collecting every error instead of stopping at the first, so an
 * operator fixes a file in one round.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "crc32c.h"
#include "timeutil.h"
#include "tzif.h"
#include "xmalloc.h"

#define MAX_CONFIG_ERRORS 200

struct cfgp {
	const char *file;
	yaml_document_t *doc;
	struct config_errors *errs;
	struct config *cfg;
	const struct config_reader *rd;
};

static const char *const top_keys[] = {"listen",  "server",   "journal",  "redis",
                                       "policy",  "calendar", "products", "countries",
                                       "centres", "access",   "emea"};
enum {
	TOP_LISTEN,
	TOP_SERVER,
	TOP_JOURNAL,
	TOP_REDIS,
	TOP_POLICY,
	TOP_CALENDAR,
	TOP_PRODUCTS,
	TOP_COUNTRIES,
	TOP_CENTRES,
	TOP_ACCESS,
	TOP_EMEA,
	TOP_COUNT
};

static const char *const weekday_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* ---- errors ------------------------------------------------------------ */

static void errors_add(struct config_errors *errs, const char *file, size_t line, size_t col,
                       const char *fmt, va_list ap)
{
	char msg[512];
	char *full;
	int n;

	if (errs == NULL || errs->n >= MAX_CONFIG_ERRORS)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = snprintf(NULL, 0, "%s:%zu:%zu: %s", file, line, col, msg);
	full = xmalloc((size_t)n + 1);
	snprintf(full, (size_t)n + 1, "%s:%zu:%zu: %s", file, line, col, msg);
	errs->msg = xreallocarray(errs->msg, errs->n + 1, sizeof *errs->msg);
	errs->msg[errs->n++] = full;
}

static void cerr_at(struct cfgp *p, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void cerr_at(struct cfgp *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	size_t line = n ? n->start_mark.line + 1 : 1, col = n ? n->start_mark.column + 1 : 1;

	va_start(ap, fmt);
	errors_add(p->errs, p->file, line, col, fmt, ap);
	va_end(ap);
}

void config_errors_add(struct config_errors *errs, const char *file, size_t line, size_t col,
                       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_add(errs, file, line, col, fmt, ap);
	va_end(ap);
}

void config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/* ---- node access ------------------------------------------------------- */

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *node(struct cfgp *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int expect(struct cfgp *p, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	static const char *const names[] = {"nothing", "a scalar", "a list", "a mapping"};

	if (n->type == type)
		return 0;
	cerr_at(p, n, "%s: expected %s, got %s", what, names[type], node_kind(n));
	return -1;
}

/* 0 when the pair's key is a scalar not seen earlier in the mapping; else -1, reported. */
static int key_unique(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section)
{
	yaml_node_t *k = node(p, pair->key);
	const char *name = scalar(k);

	if (name == NULL) {
		cerr_at(p, k, "%s: keys must be scalars, got %s", section, node_kind(k));
		return -1;
	}
	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const char *prev = scalar(node(p, q->key));
		if (prev && strcmp(prev, name) == 0) {
			cerr_at(p, k, "%s: duplicate key \"%s\"", section, name);
			return -1;
		}
	}
	return 0;
}

/*
 * The key of a mapping pair as an index into allowed[], or -1 after reporting
 * an unknown (or duplicate) key together with the keys that are allowed.
 */
static int key_index(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section,
                     const char *const *allowed, int nallowed)
{
	yaml_node_t *k = node(p, pair->key);
	const char *name = scalar(k);
	char list[512];

	if (key_unique(p, map, pair, section) < 0)
		return -1;
	for (int i = 0; i < nallowed; i++)
		if (strcmp(allowed[i], name) == 0)
			return i;
	cerr_at(p, k, "%s: unknown key \"%s\" (allowed: %s)", section, name,
	        domain_list(allowed, nallowed, list, sizeof list));
	return -1;
}

static int get_string(struct cfgp *p, yaml_node_t *n, const char *what, char **out)
{
	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	free(*out);
	*out = xstrdup(scalar(n));
	return 0;
}

static int get_long(struct cfgp *p, yaml_node_t *n, const char *what, long min, long max, long *out)
{
	const char *s;
	char *end;
	long v;

	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	s = scalar(n);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || isspace((unsigned char)*s)) {
		cerr_at(p, n, "%s: \"%s\" is not an integer (allowed: %ld..%ld)", what, s, min,
		        max);
		return -1;
	}
	if (v < min || v > max) {
		cerr_at(p, n, "%s: %ld is out of range (allowed: %ld..%ld)", what, v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_int(struct cfgp *p, yaml_node_t *n, const char *what, int min, int max, int *out)
{
	long v;

	if (get_long(p, n, what, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int get_bool(struct cfgp *p, yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
	                                                                       "off"};
	const char *s;

	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	s = scalar(n);
	if (domain_lookup(yes, 3, s) >= 0) {
		*out = true;
		return 0;
	}
	if (domain_lookup(no, 3, s) >= 0) {
		*out = false;
		return 0;
	}
	cerr_at(p, n, "%s: \"%s\" is not a boolean (allowed: true, false)", what, s);
	return -1;
}

/* An enumeration value: its index in table, or -1 after an error naming the choices. */
static int get_enum(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table,
                    int count)
{
	char list[512];
	int i;

	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	i = domain_lookup(table, count, scalar(n));
	if (i < 0)
		cerr_at(p, n, "%s: unknown value \"%s\" (allowed: %s)", what, scalar(n),
		        domain_list(table, count, list, sizeof list));
	return i;
}

/* A list of enumeration values as a bit set. */
static int get_enum_set(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table,
                        int count, unsigned *out)
{
	unsigned set = 0;
	int bad = 0;

	if (expect(p, n, YAML_SEQUENCE_NODE, what) < 0)
		return -1;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		int i = get_enum(p, node(p, *it), what, table, count);
		if (i < 0)
			bad = -1;
		else
			set |= 1u << i;
	}
	if (bad == 0)
		*out = set;
	return bad;
}

#define FOR_PAIRS(n, pair)                                                                         \
	for (yaml_node_pair_t *pair = (n)->data.mapping.pairs.start;                               \
	     pair < (n)->data.mapping.pairs.top; pair++)
#define FOR_ITEMS(n, it)                                                                           \
	for (yaml_node_item_t *it = (n)->data.sequence.items.start;                                \
	     it < (n)->data.sequence.items.top; it++)
#define NKEYS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- sections ---------------------------------------------------------- */

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

/* One listen.tls entry: {address, cert, key, handshake_timeout_ms}. */
static void parse_listen_tls_one(struct cfgp *p, yaml_node_t *map, size_t idx)
{
	static const char *const keys[] = {"address", "cert", "key", "handshake_timeout_ms"};
	struct tls_listen t = {.handshake_timeout_ms = 5000};
	yaml_node_t *at[4] = {0};
	char what[64], item[64];
	const char *s;
	size_t before = p->errs->n;

	snprintf(what, sizeof what, "listen.tls[%zu]", idx);
	if (expect(p, map, YAML_MAPPING_NODE, what) < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		int k = key_index(p, map, pair, what, keys, NKEYS(keys));
		if (k < 0)
			continue;
		at[k] = v;
		if (k == 3) {
			get_int(p, v, "listen.tls: handshake_timeout_ms", 100, 600000,
			        &t.handshake_timeout_ms);
			continue;
		}
		snprintf(item, sizeof item, "listen.tls: %s", keys[k]);
		if (expect(p, v, YAML_SCALAR_NODE, item) < 0 || (s = scalar(v)) == NULL)
			continue;
		if (k == 0) {
			if (!valid_listen_address(s))
				cerr_at(p, v,
				        "listen.tls: address \"%s\" is not HOST:PORT (port "
				        "1..65535)",
				        s);
			free(t.address);
			t.address = xstrdup(s);
		} else {
			char **slot = k == 1 ? &t.cert : &t.key;
			const unsigned char *data = NULL;
			size_t len = 0;
			char err[256];
			free(*slot);
			*slot = tls_path(p, s);
			/* Only whether it can be read: repaird loads the PEM at start. */
			if (p->rd->read(p->rd->ctx, CONFIG_FILE_PEM, *slot, &data, &len, err,
			                sizeof err) < 0)
				cerr_at(p, v, "listen.tls: %s %s: %s", keys[k], *slot, err);
		}
	}
	for (int k = 0; k < 3; k++)
		if (at[k] == NULL)
			cerr_at(p, map, "%s: missing key \"%s\" (needed: address, cert, key)", what,
			        keys[k]);
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
static void parse_listen_tls(struct cfgp *p, yaml_node_t *v)
{
	size_t idx = 0;

	if (v->type == YAML_MAPPING_NODE) {
		parse_listen_tls_one(p, v, 0);
		return;
	}
	if (expect(p, v, YAML_SEQUENCE_NODE, "listen.tls") < 0)
		return;
	FOR_ITEMS(v, it)
	{
		parse_listen_tls_one(p, node(p, *it), idx++);
	}
}

static void parse_listen(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"tcp", "unix", "unix_mode", "tls"};
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "listen") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "listen", keys, NKEYS(keys))) {
		case 0:
			if (expect(p, v, YAML_SEQUENCE_NODE, "listen.tcp") < 0)
				break;
			for (size_t i = 0; i < cfg->nlisten_tcp; i++)
				free(cfg->listen_tcp[i]);
			cfg->nlisten_tcp = 0;
			FOR_ITEMS(v, it)
			{
				yaml_node_t *a = node(p, *it);
				if (expect(p, a, YAML_SCALAR_NODE, "listen.tcp") < 0)
					continue;
				if (!valid_listen_address(scalar(a))) {
					cerr_at(p, a,
					        "listen.tcp: \"%s\" is not HOST:PORT (port "
					        "1..65535)",
					        scalar(a));
					continue;
				}
				cfg->listen_tcp =
				        xreallocarray(cfg->listen_tcp, cfg->nlisten_tcp + 1,
				                      sizeof *cfg->listen_tcp);
				cfg->listen_tcp[cfg->nlisten_tcp++] = xstrdup(scalar(a));
			}
			break;
		case 1:
			if (expect(p, v, YAML_SCALAR_NODE, "listen.unix") < 0)
				break;
			free(cfg->listen_unix);
			cfg->listen_unix = scalar(v)[0] ? xstrdup(scalar(v)) : NULL;
			if (cfg->listen_unix && strlen(cfg->listen_unix) >= 108)
				cerr_at(p, v, "listen.unix: path longer than 107 bytes");
			break;
		case 2: {
			const char *s = scalar(v);
			char *end;
			unsigned long mode;
			if (expect(p, v, YAML_SCALAR_NODE, "listen.unix_mode") < 0)
				break;
			mode = strtoul(s, &end, 8);
			if (*s == '\0' || *end != '\0' || mode > 0777)
				cerr_at(p, v,
				        "listen.unix_mode: \"%s\" is not an octal file mode "
				        "(allowed: "
				        "0000..0777)",
				        s);
			else
				cfg->unix_mode = (unsigned)mode;
			break;
		}
		case 3:
			parse_listen_tls(p, v);
			break;
		}
	}
}

static void parse_server(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"state_dir", "max_clients", "idle_timeout", "log_level"};
	struct config *cfg = p->cfg;
	int i;

	if (expect(p, map, YAML_MAPPING_NODE, "server") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "server", keys, NKEYS(keys))) {
		case 0:
			get_string(p, v, "server.state_dir", &cfg->state_dir);
			break;
		case 1:
			get_int(p, v, "server.max_clients", 1, 1000000, &cfg->max_clients);
			break;
		case 2:
			get_int(p, v, "server.idle_timeout", 0, 31536000, &cfg->idle_timeout);
			break;
		case 3:
			if ((i = get_enum(p, v, "server.log_level", log_level_names,
			                  LOG_LEVEL_COUNT)) >= 0)
				cfg->log_level = (enum log_level)i;
			break;
		}
	}
}

static void parse_journal(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"fsync"};
	int i;

	if (expect(p, map, YAML_MAPPING_NODE, "journal") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		if (key_index(p, map, pair, "journal", keys, NKEYS(keys)) == 0 &&
		    (i = get_enum(p, node(p, pair->value), "journal.fsync", fsync_policy_names,
		                  FSYNC_COUNT)) >= 0)
			p->cfg->fsync = (enum fsync_policy)i;
	}
}

static void parse_redis(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {
	        "enabled",          "host",          "port",   "unix",   "db",
	        "password",         "prefix",        "maxlen", "events", "connect_timeout_ms",
	        "reply_timeout_ms", "on_stream_lost"};
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "redis") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "redis", keys, NKEYS(keys))) {
		case 0:
			get_bool(p, v, "redis.enabled", &cfg->redis_enabled);
			break;
		case 1:
			get_string(p, v, "redis.host", &cfg->redis_host);
			break;
		case 2:
			get_int(p, v, "redis.port", 1, 65535, &cfg->redis_port);
			break;
		case 3:
			get_string(p, v, "redis.unix", &cfg->redis_unix);
			break;
		case 4:
			get_int(p, v, "redis.db", 0, 1000, &cfg->redis_db);
			break;
		case 5:
			get_string(p, v, "redis.password", &cfg->redis_password);
			break;
		case 6:
			if (get_string(p, v, "redis.prefix", &cfg->redis_prefix) == 0 &&
			    cfg->redis_prefix[0] == '\0')
				cerr_at(p, v, "redis.prefix: must not be empty");
			break;
		case 7:
			get_long(p, v, "redis.maxlen", 1, 1000000000L, &cfg->redis_maxlen);
			break;
		case 8:
			get_enum_set(p, v, "redis.events", event_type_names, EVENT_TYPE_COUNT,
			             &cfg->redis_events);
			break;
		case 9:
			get_int(p, v, "redis.connect_timeout_ms", 1, 600000,
			        &cfg->redis_connect_timeout_ms);
			break;
		case 10:
			get_int(p, v, "redis.reply_timeout_ms", 1, 600000,
			        &cfg->redis_reply_timeout_ms);
			break;
		case 11: {
			static const char *const lost[] = {"skip", "resend"};
			int i = get_enum(p, v, "redis.on_stream_lost", lost, 2);
			if (i >= 0)
				cfg->redis_resend_lost = i == 1;
			break;
		}
		}
	}
}

/* A mapping of tier name -> business days (policy.targets, countries.X.targets). */
static void parse_targets(struct cfgp *p, yaml_node_t *map, const char *what, int *days)
{
	char key[96];

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

static void parse_loans(struct cfgp *p, yaml_node_t *map)
{
	char key[96];

	if (expect(p, map, YAML_MAPPING_NODE, "policy.loans") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		int prog =
		        key_index(p, map, pair, "policy.loans", programme_names, PROGRAMME_COUNT);
		yaml_node_t *tiers = node(p, pair->value);
		if (prog < 0)
			continue;
		snprintf(key, sizeof key, "policy.loans.%s", programme_names[prog]);
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
			             LOAN_REASON_COUNT, &p->cfg->loan_rules[prog][t]);
		}
	}
}

static void parse_policy(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"in_service_limit",   "over_limit",    "at_risk_percent",
	                                   "pause_states",       "standard_days", "video_min_days",
	                                   "default_programme",  "targets",       "loans",
	                                   "fast_track_services"};
	struct config *cfg = p->cfg;
	int i;

	if (expect(p, map, YAML_MAPPING_NODE, "policy") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "policy", keys, NKEYS(keys))) {
		case 0:
			get_int(p, v, "policy.in_service_limit", 1, 1000, &cfg->in_service_limit);
			break;
		case 1:
			if ((i = get_enum(p, v, "policy.over_limit", over_limit_names,
			                  OVER_LIMIT_COUNT)) >= 0)
				cfg->over_limit = (enum over_limit)i;
			break;
		case 2:
			if (get_int(p, v, "policy.at_risk_percent", 1, 100, &i) == 0)
				cfg->at_risk_permille = i * 10;
			break;
		case 3: {
			unsigned set = 0;
			if (get_enum_set(p, v, "policy.pause_states", ticket_state_names,
			                 TSTATE_COUNT, &set) < 0)
				break;
			/* Only states in which an item is at the centre can pause its clock. */
			if (set & ((1u << TSTATE_BOOKED) | (1u << TSTATE_READY) |
			           (1u << TSTATE_RETURNED) | (1u << TSTATE_CANCELLED)))
				cerr_at(p, v,
				        "policy.pause_states: booked, ready, returned and "
				        "cancelled "
				        "cannot pause (allowed: received, diagnosing, "
				        "awaiting_customer, awaiting_parts, in_repair)");
			else
				cfg->pause_states = set;
			break;
		}
		case 4:
			get_int(p, v, "policy.standard_days", 1, 365, &cfg->standard_days);
			break;
		case 5:
			get_int(p, v, "policy.video_min_days", 0, 365, &cfg->video_min_days);
			break;
		case 6:
			if ((i = get_enum(p, v, "policy.default_programme", programme_names,
			                  PROGRAMME_COUNT)) >= 0)
				cfg->default_programme = (enum programme)i;
			break;
		case 7:
			parse_targets(p, v, "policy.targets", cfg->target_days);
			break;
		case 8:
			parse_loans(p, v);
			break;
		case 9:
			if (expect(p, v, YAML_MAPPING_NODE, "policy.fast_track_services") < 0)
				break;
			FOR_PAIRS(v, tp)
			{
				int t = key_index(p, v, tp, "policy.fast_track_services",
				                  centre_type_names, CENTRE_TYPE_COUNT);
				if (t >= 0)
					get_enum_set(p, node(p, tp->value),
					             "policy.fast_track_services", service_names,
					             SERVICE_COUNT, &cfg->fast_track_services[t]);
			}
			break;
		}
	}
}

static void parse_calendar(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"first_year", "last_year", "day_length"};
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "calendar") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "calendar", keys, NKEYS(keys))) {
		case 0:
			get_int(p, v, "calendar.first_year", 1971, 2100, &cfg->first_year);
			break;
		case 1:
			get_int(p, v, "calendar.last_year", 1971, 2100, &cfg->last_year);
			break;
		case 2: {
			int64_t secs;
			if (expect(p, v, YAML_SCALAR_NODE, "calendar.day_length") < 0)
				break;
			if (duration_parse(scalar(v), &secs) < 0 || secs <= 0 ||
			    secs > SECS_PER_DAY)
				cerr_at(p, v,
				        "calendar.day_length: \"%s\" is not a duration of up to "
				        "24h "
				        "(e.g. 8h, 7h30m)",
				        scalar(v));
			else
				cfg->day_seconds = secs;
			break;
		}
		}
	}
}

static int country_cmp(const void *a, const void *b)
{
	return strcmp(((const struct country *)a)->code, ((const struct country *)b)->code);
}

static int valid_country_code(struct cfgp *p, yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);

	if (s == NULL) {
		cerr_at(p, n, "%s: expected a country code, got %s", what, node_kind(n));
		return 0;
	}
	if (!country_code_exists(s)) {
		cerr_at(p, n, "%s: \"%s\" is not an ISO 3166 country code (e.g. DE, GB, FR)", what,
		        s);
		return 0;
	}
	return 1;
}

static void parse_countries(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"name", "programme", "silver_only", "targets"};
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "countries") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
		struct country c;
		char what[64];
		int i;

		if (key_unique(p, map, pair, "countries") < 0 ||
		    !valid_country_code(p, k, "countries"))
			continue;
		memset(&c, 0, sizeof c);
		memcpy(c.code, scalar(k), 3);
		c.programme = cfg->default_programme;
		snprintf(what, sizeof what, "countries.%s", c.code);
		if (expect(p, v, YAML_MAPPING_NODE, what) < 0)
			continue;
		FOR_PAIRS(v, cp)
		{
			yaml_node_t *cv = node(p, cp->value);
			switch (key_index(p, v, cp, what, keys, NKEYS(keys))) {
			case 0:
				get_string(p, cv, what, &c.name);
				break;
			case 1:
				if ((i = get_enum(p, cv, what, programme_names, PROGRAMME_COUNT)) >=
				    0)
					c.programme = (enum programme)i;
				break;
			case 2:
				get_bool(p, cv, what, &c.silver_only);
				break;
			case 3:
				parse_targets(p, cv, what, c.target_days);
				break;
			}
		}
		if (c.name == NULL)
			c.name = xstrdup(c.code);
		cfg->countries =
		        xreallocarray(cfg->countries, cfg->ncountries + 1, sizeof *cfg->countries);
		cfg->countries[cfg->ncountries++] = c;
	}
	if (cfg->ncountries > 0) /* qsort wants a real pointer even for nothing */
		qsort(cfg->countries, cfg->ncountries, sizeof *cfg->countries, country_cmp);
}

/* "09:00-12:30, 13:30-17:30" (or a list of such strings) into one weekday's spans. */
static int parse_day_spans(struct cfgp *p, yaml_node_t *n, const char *what, struct cal_week *week,
                           int day)
{
	yaml_node_t *items[CAL_MAX_SPANS * 2];
	size_t nitems = 0;

	week->nspans[day] = 0;
	if (n->type == YAML_SCALAR_NODE) {
		items[nitems++] = n;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		FOR_ITEMS(n, it)
		{
			if (nitems < sizeof items / sizeof items[0])
				items[nitems++] = node(p, *it);
		}
	} else {
		cerr_at(p, n, "%s: expected \"HH:MM-HH:MM, ...\", got %s", what, node_kind(n));
		return -1;
	}
	for (size_t i = 0; i < nitems; i++) {
		const char *s = scalar(items[i]);
		char buf[256];
		char *save = NULL;

		if (s == NULL) {
			cerr_at(p, items[i], "%s: expected \"HH:MM-HH:MM\", got %s", what,
			        node_kind(items[i]));
			return -1;
		}
		if (strcasecmp(s, "closed") == 0 && nitems == 1)
			return 0;
		snprintf(buf, sizeof buf, "%s", s);
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *dash, *a = tok, *b;
			int start, end, k = week->nspans[day];

			while (isspace((unsigned char)*a))
				a++;
			for (char *e = a + strlen(a); e > a && isspace((unsigned char)e[-1]); e--)
				e[-1] = '\0';
			dash = strchr(a, '-');
			if (dash == NULL) {
				cerr_at(p, items[i], "%s: \"%s\" is not HH:MM-HH:MM", what, a);
				return -1;
			}
			*dash = '\0';
			b = dash + 1;
			if (clock_parse(a, &start) < 0 || clock_parse(b, &end) < 0) {
				cerr_at(p, items[i], "%s: \"%s-%s\" is not HH:MM-HH:MM", what, a,
				        b);
				return -1;
			}
			if (start >= end) {
				cerr_at(p, items[i], "%s: interval %s-%s ends before it starts",
				        what, a, b);
				return -1;
			}
			if (k > 0 && start < week->span[day][k - 1].end) {
				cerr_at(p, items[i],
				        "%s: interval %s-%s overlaps or precedes the one before it "
				        "(list intervals in order)",
				        what, a, b);
				return -1;
			}
			if (k == CAL_MAX_SPANS) {
				cerr_at(p, items[i], "%s: more than %d intervals in a day", what,
				        CAL_MAX_SPANS);
				return -1;
			}
			week->span[day][k].start = start;
			week->span[day][k].end = end;
			week->nspans[day] = k + 1;
		}
	}
	return 0;
}

static int int32_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static int valid_centre_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static void centre_free(struct centre *c)
{
	free(c->name);
	free(c->timezone);
	free(c->holidays);
	calendar_free(&c->cal);
}

/* The zone named at v, through the reader, parsed into *zone. */
static void read_zone(struct cfgp *p, yaml_node_t *v, const char *key, const char *tz,
                      struct tzif *zone)
{
	const unsigned char *data = NULL;
	size_t len = 0;
	char err[256];

	tzif_free(zone);
	if (p->rd->read(p->rd->ctx, CONFIG_FILE_ZONE, tz, &data, &len, err, sizeof err) < 0) {
		cerr_at(p, v, "%s: unknown timezone \"%s\" (an IANA name such as Europe/Berlin)",
		        key, tz);
		return;
	}
	if (tzif_parse(zone, data, len, err, sizeof err) < 0)
		cerr_at(p, v, "%s: timezone \"%s\": %s", key, tz, err);
}

static void parse_centre(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"id",       "name",  "type",     "country",
	                                   "timezone", "hours", "holidays", "day_length"};
	struct config *cfg = p->cfg;
	struct centre c;
	size_t errors_before = p->errs->n;
	yaml_node_t *at[NKEYS(keys)] = {0};
	int64_t day_seconds = cfg->day_seconds;
	char what[96] = "centres";
	char calerr[256];
	struct tzif zone = {0};
	int i;

	if (expect(p, map, YAML_MAPPING_NODE, "centres") < 0)
		return;
	memset(&c, 0, sizeof c);
	/* The id first, so that every later message can name the centre. */
	FOR_PAIRS(map, pair)
	{
		const char *k = scalar(node(p, pair->key));
		yaml_node_t *v = node(p, pair->value);
		if (k && strcmp(k, "id") == 0 && scalar(v)) {
			if (!valid_centre_id(scalar(v)))
				cerr_at(p, v,
				        "centres: id \"%s\" is not 1-32 of A-Z, 0-9 and '-' "
				        "(e.g. DE-PSC-WILLICH)",
				        scalar(v));
			else
				snprintf(c.id, sizeof c.id, "%s", scalar(v));
			snprintf(what, sizeof what, "centre %s", scalar(v));
		}
	}
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		char key[160];
		int k = key_index(p, map, pair, what, keys, NKEYS(keys));
		if (k < 0)
			continue;
		at[k] = v;
		snprintf(key, sizeof key, "%s: %s", what, keys[k]);
		switch (k) {
		case 0:
			expect(p, v, YAML_SCALAR_NODE, key);
			break;
		case 1:
			get_string(p, v, key, &c.name);
			break;
		case 2:
			if ((i = get_enum(p, v, key, centre_type_names, CENTRE_TYPE_COUNT)) >= 0)
				c.type = (enum centre_type)i;
			break;
		case 3:
			if (valid_country_code(p, v, key))
				memcpy(c.country, scalar(v), 3);
			break;
		case 4:
			if (get_string(p, v, key, &c.timezone) == 0)
				read_zone(p, v, key, c.timezone, &zone);
			break;
		case 5:
			if (expect(p, v, YAML_MAPPING_NODE, key) < 0)
				break;
			FOR_PAIRS(v, dp)
			{
				char dkey[192];
				int d = key_index(p, v, dp, key, weekday_keys, 7);
				if (d < 0)
					continue;
				snprintf(dkey, sizeof dkey, "%s.%s", key, weekday_keys[d]);
				parse_day_spans(p, node(p, dp->value), dkey, &c.week, d);
			}
			break;
		case 6:
			if (expect(p, v, YAML_SEQUENCE_NODE, key) < 0)
				break;
			FOR_ITEMS(v, it)
			{
				yaml_node_t *h = node(p, *it);
				int32_t day;
				if (scalar(h) == NULL || date_parse(scalar(h), &day) < 0) {
					cerr_at(p, h, "%s: \"%s\" is not a date (YYYY-MM-DD)", key,
					        scalar(h) ? scalar(h) : node_kind(h));
					continue;
				}
				c.holidays = xreallocarray(c.holidays, c.nholidays + 1,
				                           sizeof *c.holidays);
				c.holidays[c.nholidays++] = day;
			}
			break;
		case 7: {
			int64_t secs;
			if (expect(p, v, YAML_SCALAR_NODE, key) < 0)
				break;
			if (duration_parse(scalar(v), &secs) < 0 || secs <= 0 ||
			    secs > SECS_PER_DAY)
				cerr_at(p, v, "%s: \"%s\" is not a duration of up to 24h (e.g. 8h)",
				        key, scalar(v));
			else
				day_seconds = secs;
			break;
		}
		}
	}
	/* Required keys. */
	for (int k = 0; k < NKEYS(keys); k++) {
		if (at[k] == NULL && (k == 0 || k == 2 || k == 3 || k == 4 || k == 5))
			cerr_at(p, map, "%s: missing key \"%s\"", what, keys[k]);
	}
	if (at[5] && at[5]->type == YAML_MAPPING_NODE && p->errs->n == errors_before) {
		int total = 0;
		for (int d = 0; d < 7; d++)
			total += c.week.nspans[d];
		if (total == 0)
			cerr_at(p, at[5],
			        "%s: no working hours (give at least one day, e.g. mon: "
			        "\"09:00-17:00\")",
			        what);
	}
	if (c.id[0] != '\0') {
		for (size_t j = 0; j < cfg->ncentres; j++)
			if (strcmp(cfg->centres[j].id, c.id) == 0)
				cerr_at(p, at[0], "%s: duplicate centre id \"%s\"", what, c.id);
	}
	if (p->errs->n != errors_before) {
		centre_free(&c);
		tzif_free(&zone);
		return;
	}
	if (c.nholidays > 0)
		qsort(c.holidays, c.nholidays, sizeof *c.holidays, int32_cmp);
	if (calendar_build(&c.cal, &zone, &c.week, c.holidays, c.nholidays, cfg->first_year,
	                   cfg->last_year, day_seconds, calerr, sizeof calerr) < 0) {
		cerr_at(p, map, "%s: %s", what, calerr);
		centre_free(&c);
		tzif_free(&zone);
		return;
	}
	tzif_free(&zone);
	if (c.name == NULL)
		c.name = xstrdup(c.id);
	cfg->centres = xreallocarray(cfg->centres, cfg->ncentres + 1, sizeof *cfg->centres);
	cfg->centres[cfg->ncentres++] = c;
}

static void parse_centres(struct cfgp *p, yaml_node_t *seq)
{
	if (expect(p, seq, YAML_SEQUENCE_NODE, "centres") < 0)
		return;
	FOR_ITEMS(seq, it)
	parse_centre(p, node(p, *it));
}

static int emea_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* emea: a list of two-letter codes, kept sorted and without repeats for bsearch. */
static void parse_emea(struct cfgp *p, yaml_node_t *seq)
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

/* ---- access ---------------------------------------------------------------------- */

const char *const role_names[ROLE_COUNT] = {"admin", "staff", "partner", "viewer"};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void user_free(struct user *u)
{
	free(u->name);
	for (size_t k = 0; k < u->ncentres; k++)
		free(u->centres[k]);
	free(u->centres);
}

static void parse_password(struct cfgp *p, yaml_node_t *v, struct user *u)
{
	const char *s = scalar(v);

	if (expect(p, v, YAML_SCALAR_NODE, "access.users: password") < 0)
		return;
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64) {
		cerr_at(p, v,
		        "access.users: password must be \"sha256:\" and 64 hex digits "
		        "(make one with `repairctl passwd`)");
		return;
	}
	for (int b = 0; b < 32; b++) {
		int hi = hexval(s[7 + 2 * b]), lo = hexval(s[8 + 2 * b]);
		if (hi < 0 || lo < 0) {
			cerr_at(p, v, "access.users: password: \"%c%c\" is not hex", s[7 + 2 * b],
			        s[8 + 2 * b]);
			return;
		}
		u->sha256[b] = (unsigned char)(hi << 4 | lo);
	}
}

static void parse_user_centres(struct cfgp *p, yaml_node_t *v, struct user *u)
{
	if (scalar(v) && strcmp(scalar(v), "*") == 0) {
		u->all_centres = true;
		return;
	}
	if (expect(p, v, YAML_SEQUENCE_NODE, "access.users: centres (a list or \"*\")") < 0)
		return;
	FOR_ITEMS(v, it)
	{
		yaml_node_t *c = node(p, *it);
		if (expect(p, c, YAML_SCALAR_NODE, "access.users: centres") < 0)
			continue;
		if (strcmp(scalar(c), "*") == 0) {
			u->all_centres = true;
			continue;
		}
		if (config_centre(p->cfg, scalar(c)) == NULL)
			cerr_at(p, c, "access.users: no centre \"%s\" (see centres:)", scalar(c));
		u->centres = xreallocarray(u->centres, u->ncentres + 1, sizeof *u->centres);
		u->centres[u->ncentres++] = xstrdup(scalar(c));
	}
}

static void parse_user(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"name", "password", "role", "centres"};
	struct config *cfg = p->cfg;
	struct user u;
	yaml_node_t *at[4] = {0};
	size_t errors_before = p->errs->n;
	int i;

	if (expect(p, map, YAML_MAPPING_NODE, "access.users") < 0)
		return;
	memset(&u, 0, sizeof u);
	u.role = ROLE_VIEWER;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		int k = key_index(p, map, pair, "access.users", keys, NKEYS(keys));
		if (k < 0)
			continue;
		at[k] = v;
		if (k == 0 && get_string(p, v, "access.users: name", &u.name) == 0 &&
		    (u.name[0] == '\0' || strlen(u.name) > 64 ||
		     strpbrk(u.name, " \t\r\n") != NULL))
			cerr_at(p, v, "access.users: name \"%s\": 1-64 characters, no blanks",
			        u.name);
		if (k == 1)
			parse_password(p, v, &u);
		if (k == 2 &&
		    (i = get_enum(p, v, "access.users: role", role_names, ROLE_COUNT)) >= 0)
			u.role = (enum role)i;
		if (k == 3)
			parse_user_centres(p, v, &u);
	}
	if (!at[0] || !at[1] || !at[3])
		cerr_at(p, map, "access.users: missing key \"%s\"",
		        !at[0]   ? "name"
		        : !at[1] ? "password"
		                 : "centres");
	for (size_t k = 0; u.name && k < cfg->nusers; k++)
		if (strcmp(cfg->users[k].name, u.name) == 0)
			cerr_at(p, at[0], "access.users: user \"%s\" listed twice", u.name);
	if (p->errs->n != errors_before) {
		user_free(&u);
		return;
	}
	cfg->users = xreallocarray(cfg->users, cfg->nusers + 1, sizeof *cfg->users);
	cfg->users[cfg->nusers++] = u;
}

static void parse_access(struct cfgp *p, yaml_node_t *map)
{
	static const char *const keys[] = {"tcp_auth", "unix_user", "users"};
	struct config *cfg = p->cfg;

	if (expect(p, map, YAML_MAPPING_NODE, "access") < 0)
		return;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		switch (key_index(p, map, pair, "access", keys, NKEYS(keys))) {
		case 0:
			get_bool(p, v, "access.tcp_auth", &cfg->tcp_auth);
			break;
		case 1:
			get_string(p, v, "access.unix_user", &cfg->unix_user);
			break;
		case 2:
			if (expect(p, v, YAML_SEQUENCE_NODE, "access.users") < 0)
				break;
			FOR_ITEMS(v, it)
			parse_user(p, node(p, *it));
			break;
		}
	}
}

bool config_loopback_address(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
	       strncmp(addr, "localhost:", 10) == 0;
}

/* Rules across sections: tcp_auth off only on loopback; unix_user names a user. */
static void check_access(struct cfgp *p, yaml_node_t *at)
{
	struct config *cfg = p->cfg;

	if (!cfg->tcp_auth) {
		for (size_t i = 0; i < cfg->nlisten_tcp; i++)
			if (!config_loopback_address(cfg->listen_tcp[i]))
				cerr_at(p, at,
				        "access.tcp_auth: off is allowed only when every TCP "
				        "listener is on loopback, and %s is not",
				        cfg->listen_tcp[i]);
		for (size_t i = 0; i < cfg->nlisten_tls; i++)
			if (!config_loopback_address(cfg->listen_tls[i].address))
				cerr_at(p, at,
				        "access.tcp_auth: off is allowed only when every TCP "
				        "listener is on loopback, and %s (listen.tls) is not",
				        cfg->listen_tls[i].address);
	}
	if (cfg->nusers > 0 && config_user(cfg, cfg->unix_user) == NULL)
		cerr_at(p, at, "access.unix_user: no user \"%s\" in access.users", cfg->unix_user);
}

const struct user *config_user(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			return &cfg->users[i];
	return NULL;
}

bool config_user_has_centre(const struct user *u, const char *centre)
{
	if (u->all_centres)
		return true;
	for (size_t i = 0; i < u->ncentres; i++)
		if (strcmp(u->centres[i], centre) == 0)
			return true;
	return false;
}

/* ---- products ---------------------------------------------------------- */

struct product_at {
	struct product prod;
	size_t line, col;
};

static int product_at_cmp(const void *a, const void *b)
{
	const struct product_at *x = a, *y = b;
	int c = strcmp(x->prod.model, y->prod.model);
	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

static int product_cmp(const void *a, const void *b)
{
	return strcmp(((const struct product *)a)->model, ((const struct product *)b)->model);
}

static void parse_products_doc(struct cfgp *p, yaml_node_t *root)
{
	static const char *const keys[] = {"model", "class", "fast_track", "video", "points"};
	struct config *cfg = p->cfg;
	struct product_at *list = NULL;
	size_t n = 0;
	yaml_node_t *seq = NULL;

	if (root == NULL || expect(p, root, YAML_MAPPING_NODE, "products file") < 0)
		return;
	FOR_PAIRS(root, pair)
	{
		static const char *const top[] = {"products"};
		if (key_index(p, root, pair, "products file", top, 1) == 0)
			seq = node(p, pair->value);
	}
	if (seq == NULL) {
		cerr_at(p, root, "products file: missing key \"products\"");
		return;
	}
	if (expect(p, seq, YAML_SEQUENCE_NODE, "products") < 0)
		return;
	FOR_ITEMS(seq, it)
	{
		yaml_node_t *m = node(p, *it);
		struct product_at pa;
		size_t errors_before = p->errs->n;
		int i;

		memset(&pa, 0, sizeof pa);
		pa.line = m->start_mark.line + 1;
		pa.col = m->start_mark.column + 1;
		if (expect(p, m, YAML_MAPPING_NODE, "products") < 0)
			continue;
		FOR_PAIRS(m, pair)
		{
			yaml_node_t *v = node(p, pair->value);
			switch (key_index(p, m, pair, "product", keys, NKEYS(keys))) {
			case 0:
				if (get_string(p, v, "product: model", &pa.prod.model) == 0 &&
				    pa.prod.model[0] == '\0')
					cerr_at(p, v, "product: model must not be empty");
				break;
			case 1:
				if ((i = get_enum(p, v, "product: class", product_class_names,
				                  PCLASS_COUNT)) >= 0)
					pa.prod.cls = (enum product_class)i;
				break;
			case 2:
				get_bool(p, v, "product: fast_track", &pa.prod.fast_track);
				break;
			case 3:
				get_bool(p, v, "product: video", &pa.prod.video);
				break;
			case 4:
				get_int(p, v, "product: points", 0, 100000, &pa.prod.points);
				break;
			}
		}
		if (pa.prod.model == NULL && p->errs->n == errors_before)
			cerr_at(p, m, "product: missing key \"model\"");
		if (p->errs->n != errors_before) {
			free(pa.prod.model);
			continue;
		}
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = pa;
	}
	if (n > 0)
		qsort(list, n, sizeof *list, product_at_cmp);
	cfg->products = xreallocarray(cfg->products, n, sizeof *cfg->products);
	cfg->nproducts = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(list[i].prod.model, list[i - 1].prod.model) == 0) {
			config_errors_add(p->errs, p->file, list[i].line, list[i].col,
			          "product \"%s\" listed twice (first at line %zu)",
			          list[i].prod.model, list[i - 1].line);
			free(list[i].prod.model);
			continue;
		}
		cfg->products[cfg->nproducts++] = list[i].prod;
	}
	free(list);
}

/* ---- files and documents ------------------------------------------------ */

/* Parse text into doc; on a YAML syntax error, report it and return -1. */
static int load_document(const char *file, const char *text, size_t len, yaml_document_t *doc,
                         struct config_errors *errs)
{
	yaml_parser_t parser;
	int ok;

	if (!yaml_parser_initialize(&parser))
		fatalx("libyaml: cannot initialise parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ok = yaml_parser_load(&parser, doc);
	if (!ok) {
		const yaml_mark_t *m = parser.problem ? &parser.problem_mark : &parser.context_mark;
		config_errors_add(errs, file, m->line + 1, m->column + 1, "YAML syntax error: %s%s%s",
		          parser.problem ? parser.problem : "unknown problem",
		          parser.context ? " " : "", parser.context ? parser.context : "");
	}
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

static void load_products(struct cfgp *p, yaml_node_t *ref)
{
	struct config *cfg = p->cfg;
	const char *base_dir = p->rd->base_dir;
	yaml_document_t doc;
	struct cfgp pp = *p;
	char err[256];
	const unsigned char *text = NULL;
	char *path;
	size_t len = 0;
	const char *name = scalar(ref);

	if (name == NULL) {
		cerr_at(p, ref, "products: expected a file name, got %s", node_kind(ref));
		return;
	}
	if (name[0] == '/' || base_dir == NULL || base_dir[0] == '\0') {
		path = xstrdup(name);
	} else {
		size_t n = strlen(base_dir) + strlen(name) + 2;
		path = xmalloc(n);
		snprintf(path, n, "%s/%s", base_dir, name);
	}
	free(cfg->products_path);
	cfg->products_path = path;
	if (p->rd->read(p->rd->ctx, CONFIG_FILE_CATALOGUE, path, &text, &len, err, sizeof err) <
	    0) {
		cerr_at(p, ref, "products: %s: %s", path, err);
		return;
	}
	cfg->fingerprint = crc32c(cfg->fingerprint, text, len);
	if (load_document(path, (const char *)text, len, &doc, p->errs) == 0) {
		pp.file = path;
		pp.doc = &doc;
		parse_products_doc(&pp, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
	}
}

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
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->fsync = FSYNC_ALWAYS;
	cfg->journal_compact_min = 64L << 20;
	cfg->tcp_auth = true;
	cfg->unix_user = xstrdup("admin");
	cfg->journal_compact_ratio = 2;
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

/*
 * Sections are parsed in an order that lets later ones use earlier ones:
 * policy (default programme) before countries, calendar (years) before centres.
 */
static void parse_root(struct cfgp *p, yaml_node_t *root)
{
	static const int order[TOP_COUNT] = {TOP_LISTEN,  TOP_SERVER,   TOP_JOURNAL,   TOP_REDIS,
	                                     TOP_POLICY,  TOP_CALENDAR, TOP_COUNTRIES, TOP_PRODUCTS,
	                                     TOP_CENTRES, TOP_ACCESS,   TOP_EMEA};
	yaml_node_t *sec[TOP_COUNT] = {0};

	if (root == NULL) {
		config_errors_add(p->errs, p->file, 1, 1, "empty configuration");
		return;
	}
	if (expect(p, root, YAML_MAPPING_NODE, "configuration") < 0)
		return;
	FOR_PAIRS(root, pair)
	{
		int k = key_index(p, root, pair, "configuration", top_keys, TOP_COUNT);
		if (k >= 0)
			sec[k] = node(p, pair->value);
	}
	for (int i = 0; i < TOP_COUNT; i++) {
		yaml_node_t *n = sec[order[i]];
		if (n == NULL)
			continue;
		switch (order[i]) {
		case TOP_LISTEN:
			parse_listen(p, n);
			break;
		case TOP_SERVER:
			parse_server(p, n);
			break;
		case TOP_JOURNAL:
			parse_journal(p, n);
			break;
		case TOP_REDIS:
			parse_redis(p, n);
			break;
		case TOP_POLICY:
			parse_policy(p, n);
			break;
		case TOP_CALENDAR:
			parse_calendar(p, n);
			if (p->cfg->first_year > p->cfg->last_year)
				cerr_at(p, n, "calendar: first_year %d is after last_year %d",
				        p->cfg->first_year, p->cfg->last_year);
			break;
		case TOP_COUNTRIES:
			parse_countries(p, n);
			break;
		case TOP_PRODUCTS:
			load_products(p, n);
			break;
		case TOP_CENTRES:
			parse_centres(p, n);
			break;
		case TOP_ACCESS:
			parse_access(p, n);
			break;
		case TOP_EMEA:
			parse_emea(p, n);
			break;
		}
	}
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
	for (size_t i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].name);
		for (size_t k = 0; k < cfg->users[i].ncentres; k++)
			free(cfg->users[i].centres[k]);
		free(cfg->users[i].centres);
	}
	free(cfg->users);
	free(cfg->emea);
	free(cfg);
}

/* ---- lookups ------------------------------------------------------------ */

const struct centre *config_centre(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ncentres; i++)
		if (strcmp(cfg->centres[i].id, id) == 0)
			return &cfg->centres[i];
	return NULL;
}

const struct country *config_country(const struct config *cfg, const char *code)
{
	struct country key;

	memset(&key, 0, sizeof key);
	snprintf(key.code, sizeof key.code, "%s", code);
	return bsearch(&key, cfg->countries, cfg->ncountries, sizeof *cfg->countries, country_cmp);
}

const struct product *config_product(const struct config *cfg, const char *model)
{
	struct product key = {.model = (char *)(uintptr_t)model};

	return bsearch(&key, cfg->products, cfg->nproducts, sizeof *cfg->products, product_cmp);
}

/* Case-insensitive Levenshtein distance, bounded to names of up to 127 bytes. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[128];

	if (la > 127)
		la = 127;
	if (lb > 127)
		lb = 127;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			        tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
			                ? 0
			                : 1;
			size_t best = diag + cost;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

size_t config_product_suggest(const struct config *cfg, const char *model, const char **out,
                              size_t max)
{
	size_t dist[16];
	size_t n = 0;

	if (max > 16)
		max = 16;
	if (max == 0)
		return 0;
	for (size_t i = 0; i < cfg->nproducts; i++) {
		const char *name = cfg->products[i].model;
		size_t d = edit_distance(model, name);
		size_t pos;
		/* A name that contains the text is as good as a near miss. */
		if (strcasestr(name, model) != NULL && strlen(model) >= 3)
			d = d < 2 ? d : 2;
		if (n == max && d >= dist[n - 1])
			continue;
		pos = n < max ? n++ : n - 1;
		while (pos > 0 && dist[pos - 1] > d) {
			dist[pos] = dist[pos - 1];
			out[pos] = out[pos - 1];
			pos--;
		}
		dist[pos] = d;
		out[pos] = name;
	}
	return n;
}
