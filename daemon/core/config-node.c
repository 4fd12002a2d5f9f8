/*
 * config-node: the configuration parser's common ground: error messages with
 * their positions, typed values read from libyaml nodes, and ckeys_parse(),
 * which walks a mapping with a section's key table.
 *
 * libyaml's document API gives a node tree with a position for every node, so
 * each problem can name file:line:column. Every error is collected, none
 * stops the walk, so an operator fixes a file in one round.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "domain.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MAX_CONFIG_ERRORS 200

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

void cerr_at(struct cfgp *p, const yaml_node_t *n, const char *fmt, ...)
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

const char *node_kind(const yaml_node_t *n)
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

yaml_node_t *node(struct cfgp *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int expect(struct cfgp *p, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	static const char *const names[] = {"nothing", "a scalar", "a list", "a mapping"};

	if (n->type == type)
		return 0;
	cerr_at(p, n, "%s: expected %s, got %s", what, names[type], node_kind(n));
	return -1;
}

/* 0 when the pair's key is a scalar not seen earlier in the mapping; else -1, reported. */
int key_unique(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section)
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
int key_index(struct cfgp *p, yaml_node_t *map, yaml_node_pair_t *pair, const char *section,
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

/* ---- values ------------------------------------------------------------- */

int get_string(struct cfgp *p, yaml_node_t *n, const char *what, char **out)
{
	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	free(*out);
	*out = xstrdup(scalar(n));
	return 0;
}

int get_long(struct cfgp *p, yaml_node_t *n, const char *what, long min, long max, long *out)
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

int get_int(struct cfgp *p, yaml_node_t *n, const char *what, int min, int max, int *out)
{
	long v;

	if (get_long(p, n, what, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int get_bool(struct cfgp *p, yaml_node_t *n, const char *what, bool *out)
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
int get_enum(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table, int count)
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
int get_enum_set(struct cfgp *p, yaml_node_t *n, const char *what, const char *const *table,
                 int count, unsigned *out)
{
	unsigned set = 0;
	int bad = 0;

	if (expect(p, n, YAML_SEQUENCE_NODE, what) < 0)
		return -1;
	FOR_ITEMS(n, it)
	{
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

/* "8h", "7h30m": more than nothing, at most a day. */
int get_duration(struct cfgp *p, yaml_node_t *n, const char *what, const char *example,
                 int64_t *out)
{
	int64_t secs;

	if (expect(p, n, YAML_SCALAR_NODE, what) < 0)
		return -1;
	if (duration_parse(scalar(n), &secs) < 0 || secs <= 0 || secs > SECS_PER_DAY) {
		cerr_at(p, n, "%s: \"%s\" is not a duration of up to 24h (e.g. %s)", what,
		        scalar(n), example);
		return -1;
	}
	*out = secs;
	return 0;
}

bool valid_country_code(struct cfgp *p, yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);

	if (s == NULL) {
		cerr_at(p, n, "%s: expected a country code, got %s", what, node_kind(n));
		return false;
	}
	if (!country_code_exists(s)) {
		cerr_at(p, n, "%s: \"%s\" is not an ISO 3166 country code (e.g. DE, GB, FR)", what,
		        s);
		return false;
	}
	return true;
}

/* ---- the table driver --------------------------------------------------- */

_Static_assert(sizeof(enum log_level) == sizeof(int) && sizeof(enum programme) == sizeof(int),
               "CK_ENUM values are stored as int");

static void ckey_value(struct cfgp *p, const struct ckey *k, yaml_node_t *v, const char *what,
                       void *obj)
{
	char *field = (char *)obj + k->offset;
	int i;

	switch (k->type) {
	case CK_STRING:
		get_string(p, v, what, (char **)(void *)field);
		break;
	case CK_INT:
		get_int(p, v, what, (int)k->min, (int)k->max, (int *)(void *)field);
		break;
	case CK_LONG:
		get_long(p, v, what, k->min, k->max, (long *)(void *)field);
		break;
	case CK_BOOL:
		get_bool(p, v, what, (bool *)(void *)field);
		break;
	case CK_ENUM:
		if ((i = get_enum(p, v, what, k->values, k->nvalues)) >= 0)
			*(int *)(void *)field = i;
		break;
	case CK_ENUM_SET:
		get_enum_set(p, v, what, k->values, k->nvalues, (unsigned *)(void *)field);
		break;
	case CK_FN:
		k->fn(p, v, what, obj);
		break;
	}
}

int ckeys_parse(struct cfgp *p, yaml_node_t *map, const struct csection *sec, const char *label,
                const char *prefix, void *obj, yaml_node_t **at)
{
	const char *names[32];
	char what[192];

	if (expect(p, map, YAML_MAPPING_NODE, label) < 0)
		return -1;
	for (int i = 0; i < sec->nkeys && i < 32; i++)
		names[i] = sec->keys[i].name;
	FOR_PAIRS(map, pair)
	{
		yaml_node_t *v = node(p, pair->value);
		int k = key_index(p, map, pair, label, names, sec->nkeys);
		if (k < 0)
			continue;
		if (at != NULL)
			at[k] = v;
		if (sec->style == CK_DOTTED)
			snprintf(what, sizeof what, "%s.%s", prefix, names[k]);
		else if (sec->style == CK_COLON)
			snprintf(what, sizeof what, "%s: %s", prefix, names[k]);
		else
			snprintf(what, sizeof what, "%s", prefix);
		ckey_value(p, &sec->keys[k], v, what, obj);
	}
	return 0;
}

int load_document(const char *file, const char *text, size_t len, yaml_document_t *doc,
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
		config_errors_add(errs, file, m->line + 1, m->column + 1,
		                  "YAML syntax error: %s%s%s",
		                  parser.problem ? parser.problem : "unknown problem",
		                  parser.context ? " " : "", parser.context ? parser.context : "");
	}
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}
