/*
 * config_impl: what the files of the configuration parser share (config.c,
 * config-node.c, config-sections.c, config-centres.c, config-access.c,
 * config-products.c); not part of the core's interface.
 *
 * Each section's keys are a table (struct ckey): name, type, where the value
 * goes (an offset into the section's object), its limits or allowed values,
 * whether it is required. One driver, ckeys_parse(), walks a YAML mapping
 * with a table: unknown and duplicate keys, wrong types, values out of range
 * are reported there, in the same words for every section. A key whose value
 * needs more than a type (a list of addresses, a week of hours) has its own
 * function in the table.
 *
 * Like the rest of the core: no I/O, no clock. Files come through the
 * config_reader in struct cfgp.
 */
#ifndef REPAIRD_CONFIG_IMPL_H
#define REPAIRD_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config.h"

struct cfgp {
	const char *file;
	yaml_document_t *doc;
	struct config_errors *errs;
	struct config *cfg;
	const struct config_reader *rd;
};

enum ckey_type {
	CK_STRING,   /* char *, replaced */
	CK_INT,      /* int in [min, max] */
	CK_LONG,     /* long in [min, max] */
	CK_BOOL,     /* bool: true/yes/on, false/no/off */
	CK_ENUM,     /* int: index into values */
	CK_ENUM_SET, /* unsigned: bit per index into values, from a list */
	CK_FN,       /* fn does it all, with the whole object */
};

struct ckey {
	const char *name;
	enum ckey_type type;
	size_t offset; /* of the value in the section's object (not for CK_FN) */
	long min, max;
	const char *const *values;
	int nvalues;
	void (*fn)(struct cfgp *p, yaml_node_t *v, const char *what, void *obj);
	bool required;
};

/* How a value's messages name it: "server.max_clients", "centre X: hours", "countries.DE". */
enum ckey_style { CK_DOTTED, CK_COLON, CK_LABEL };

struct csection {
	const char *name; /* for config_key_each(): "server", "centres", "access.users" */
	const struct ckey *keys;
	int nkeys;
	enum ckey_style style;
};

#define CK_TYPED(n, t, field, type, lo, hi, vals, nvals, req)                                      \
	{                                                                                          \
		(n), (type), offsetof(t, field), (lo), (hi), (vals), (nvals), NULL, (req)          \
	}
#define CK_FUNC(n, f, req)                                                                         \
	{                                                                                          \
		(n), CK_FN, 0, 0, 0, NULL, 0, (f), (req)                                           \
	}
#define NKEYS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define FOR_PAIRS(n, pair)                                                                         \
	for (yaml_node_pair_t *pair = (n)->data.mapping.pairs.start;                               \
	     pair < (n)->data.mapping.pairs.top; pair++)
#define FOR_ITEMS(n, it)                                                                           \
	for (yaml_node_item_t *it = (n)->data.sequence.items.start;                                \
	     it < (n)->data.sequence.items.top; it++)

/* The tables, section by section, for the parsers and config_key_each(). */
extern const struct csection cfg_listen_section, cfg_tls_section, cfg_server_section,
        cfg_journal_section, cfg_redis_section, cfg_policy_section, cfg_calendar_section,
        cfg_country_section, cfg_centre_section, cfg_access_section, cfg_user_section,
        cfg_product_section, cfg_limits_section, cfg_metrics_section,
        cfg_retention_section, cfg_ha_section;

/* ---- config-node.c: errors, nodes, values, the table driver ---------------- */

void cerr_at(struct cfgp *p, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *node_kind(const yaml_node_t *n);
yaml_node_t *node(struct cfgp *p, int id);
const char *scalar(const yaml_node_t *n);
int expect(struct cfgp *p, const yaml_node_t *n, yaml_node_type_t type, const char *what);
int key_unique(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section);
int key_index(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section,
              const char *const *allowed, int nallowed);
int get_string(struct cfgp *p, yaml_node_t *n, const char *what, char **out);
int get_long(struct cfgp *p, yaml_node_t *n, const char *what, long min, long max, long *out);
int get_int(struct cfgp *p, yaml_node_t *n, const char *what, int min, int max, int *out);
int get_bool(struct cfgp *p, yaml_node_t *n, const char *what, bool *out);
int get_enum(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table, int count);
int get_enum_set(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table,
                 int count, unsigned *out);
int get_duration(struct cfgp *p, yaml_node_t *n, const char *what, const char *example,
                 int64_t *out);
/* A country code at n, reported if it is not one. */
bool valid_country_code(struct cfgp *p, yaml_node_t *n, const char *what);

/*
 * The pairs of map by the section's table into obj, in file order. label
 * names the mapping in "unknown key" messages ("listen.tls[0]"), prefix the
 * values ("listen.tls: cert"); at[i] (when given) gets the node of key i.
 * Returns -1 (reported) when map is not a mapping.
 */
int ckeys_parse(struct cfgp *p, yaml_node_t *map, const struct csection *sec, const char *label,
                const char *prefix, void *obj, yaml_node_t **at);

/* Parse text into doc; on a YAML syntax error, report it and return -1. */
int load_document(const char *file, const char *text, size_t len, yaml_document_t *doc,
                  struct config_errors *errs);

/* ---- the sections ------------------------------------------------------------ */

void parse_listen(struct cfgp *p, yaml_node_t *n);
void parse_server(struct cfgp *p, yaml_node_t *n);
void parse_journal(struct cfgp *p, yaml_node_t *n);
void parse_limits(struct cfgp *p, yaml_node_t *n);
void parse_retention(struct cfgp *p, yaml_node_t *n);
void parse_metrics(struct cfgp *p, yaml_node_t *n);
void parse_redis(struct cfgp *p, yaml_node_t *n);
void parse_policy(struct cfgp *p, yaml_node_t *n);
void parse_calendar(struct cfgp *p, yaml_node_t *n);
void parse_countries(struct cfgp *p, yaml_node_t *n);
void parse_emea(struct cfgp *p, yaml_node_t *n);
void parse_ha(struct cfgp *p, yaml_node_t *n); /* config-ha.c */
void parse_centres(struct cfgp *p, yaml_node_t *n); /* config-centres.c */
void centre_free(struct centre *c);
void parse_access(struct cfgp *p, yaml_node_t *n); /* config-access.c */
void check_access(struct cfgp *p, yaml_node_t *at);
void user_free(struct user *u);
void load_products(struct cfgp *p, yaml_node_t *ref); /* config-products.c */
int country_cmp(const void *a, const void *b);
int product_cmp(const void *a, const void *b);

#endif
