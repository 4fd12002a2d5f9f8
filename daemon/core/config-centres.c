/*
 * config-centres: the centres: list. Each centre's keys by table, its week of
 * working hours, its holidays, and its calendar, built from the zone whose
 * TZif bytes the config_reader hands over (never read here).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_impl.h"
#include "domain.h"
#include "timeutil.h"
#include "tzif.h"
#include "xmalloc.h"

static const char *const weekday_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* A centre while it is parsed: what the table fills beyond struct centre. */
struct centre_in {
	struct centre c;
	int64_t day_seconds;
	struct tzif zone;
};

/* One interval "HH:MM-HH:MM" (tok, changed in place) appended to the day's spans. */
static int parse_span(struct cfgp *p, yaml_node_t *at, const char *what, char *tok,
                      struct cal_week *week, int day)
{
	char *dash, *a = tok, *b;
	int start, end, k = week->nspans[day];

	while (isspace((unsigned char)*a))
		a++;
	for (char *e = a + strlen(a); e > a && isspace((unsigned char)e[-1]); e--)
		e[-1] = '\0';
	dash = strchr(a, '-');
	if (dash == NULL) {
		cerr_at(p, at, "%s: \"%s\" is not HH:MM-HH:MM", what, a);
		return -1;
	}
	*dash = '\0';
	b = dash + 1;
	if (clock_parse(a, &start) < 0 || clock_parse(b, &end) < 0) {
		cerr_at(p, at, "%s: \"%s-%s\" is not HH:MM-HH:MM", what, a, b);
		return -1;
	}
	if (start >= end) {
		cerr_at(p, at, "%s: interval %s-%s ends before it starts", what, a, b);
		return -1;
	}
	if (k > 0 && start < week->span[day][k - 1].end) {
		cerr_at(p, at,
		        "%s: interval %s-%s overlaps or precedes the one before it (list intervals "
		        "in order)",
		        what, a, b);
		return -1;
	}
	if (k == CAL_MAX_SPANS) {
		cerr_at(p, at, "%s: more than %d intervals in a day", what, CAL_MAX_SPANS);
		return -1;
	}
	week->span[day][k].start = start;
	week->span[day][k].end = end;
	week->nspans[day] = k + 1;
	return 0;
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
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (parse_span(p, items[i], what, tok, week, day) < 0)
				return -1;
	}
	return 0;
}

static int int32_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static bool valid_centre_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

void centre_free(struct centre *c)
{
	free(c->name);
	free(c->timezone);
	free(c->holidays);
	calendar_free(&c->cal);
}

/* ---- the keys ------------------------------------------------------------ */

/* The id is read before the table's walk (to name the centre); here only its type. */
static void centre_id(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	(void)obj;
	expect(p, v, YAML_SCALAR_NODE, what);
}

static void centre_country(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	if (valid_country_code(p, v, what))
		memcpy(((struct centre_in *)obj)->c.country, scalar(v), 3);
}

/* The zone named at v, through the reader, parsed. */
static void centre_timezone(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct centre_in *in = obj;
	const unsigned char *data = NULL;
	size_t len = 0;
	char err[256];

	if (get_string(p, v, what, &in->c.timezone) < 0)
		return;
	tzif_free(&in->zone);
	if (p->rd->read(p->rd->ctx, CONFIG_FILE_ZONE, in->c.timezone, &data, &len, err,
	                sizeof err) < 0) {
		cerr_at(p, v, "%s: unknown timezone \"%s\" (an IANA name such as Europe/Berlin)",
		        what, in->c.timezone);
		return;
	}
	if (tzif_parse(&in->zone, data, len, err, sizeof err) < 0)
		cerr_at(p, v, "%s: timezone \"%s\": %s", what, in->c.timezone, err);
}

static void centre_hours(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct cal_week *week = &((struct centre_in *)obj)->c.week;

	if (expect(p, v, YAML_MAPPING_NODE, what) < 0)
		return;
	FOR_PAIRS(v, dp)
	{
		char dkey[224];
		int d = key_index(p, v, dp, what, weekday_keys, 7);
		if (d < 0)
			continue;
		snprintf(dkey, sizeof dkey, "%s.%s", what, weekday_keys[d]);
		parse_day_spans(p, node(p, dp->value), dkey, week, d);
	}
}

static void centre_holidays(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct centre *c = &((struct centre_in *)obj)->c;

	if (expect(p, v, YAML_SEQUENCE_NODE, what) < 0)
		return;
	FOR_ITEMS(v, it)
	{
		yaml_node_t *h = node(p, *it);
		int32_t day;
		if (scalar(h) == NULL || date_parse(scalar(h), &day) < 0) {
			cerr_at(p, h, "%s: \"%s\" is not a date (YYYY-MM-DD)", what,
			        scalar(h) ? scalar(h) : node_kind(h));
			continue;
		}
		c->holidays = xreallocarray(c->holidays, c->nholidays + 1, sizeof *c->holidays);
		c->holidays[c->nholidays++] = day;
	}
}

static void centre_day_length(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	get_duration(p, v, what, "8h", &((struct centre_in *)obj)->day_seconds);
}

enum { CENTRE_ID, CENTRE_HOURS = 5 };

static const struct ckey centre_keys[] = {
        CK_FUNC("id", centre_id, true),
        CK_TYPED("name", struct centre_in, c.name, CK_STRING, 0, 0, NULL, 0, false),
        CK_TYPED("type", struct centre_in, c.type, CK_ENUM, 0, 0, centre_type_names,
                 CENTRE_TYPE_COUNT, true),
        CK_FUNC("country", centre_country, true),
        CK_FUNC("timezone", centre_timezone, true),
        CK_FUNC("hours", centre_hours, true),
        CK_FUNC("holidays", centre_holidays, false),
        CK_FUNC("day_length", centre_day_length, false),
};
const struct csection cfg_centre_section = {"centres", centre_keys, NKEYS(centre_keys), CK_COLON};

/* ---- one centre ---------------------------------------------------------- */

/* The id first, so that every later message can name the centre ("centre X"). */
static void centre_label(struct cfgp *p, yaml_node_t *map, struct centre *c, char *label,
                         size_t len)
{
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
				snprintf(c->id, sizeof c->id, "%s", scalar(v));
			snprintf(label, len, "centre %s", scalar(v));
		}
	}
}

/* Required keys, working hours at all, an id not used before. */
static void centre_check(struct cfgp *p, yaml_node_t *map, const struct centre *c,
                         const char *label, yaml_node_t *const *at, size_t errors_before)
{
	const struct config *cfg = p->cfg;

	for (int k = 0; k < NKEYS(centre_keys); k++)
		if (at[k] == NULL && centre_keys[k].required)
			cerr_at(p, map, "%s: missing key \"%s\"", label, centre_keys[k].name);
	if (at[CENTRE_HOURS] && at[CENTRE_HOURS]->type == YAML_MAPPING_NODE &&
	    p->errs->n == errors_before) {
		int total = 0;
		for (int d = 0; d < 7; d++)
			total += c->week.nspans[d];
		if (total == 0)
			cerr_at(p, at[CENTRE_HOURS],
			        "%s: no working hours (give at least one day, e.g. mon: "
			        "\"09:00-17:00\")",
			        label);
	}
	if (c->id[0] != '\0')
		for (size_t j = 0; j < cfg->ncentres; j++)
			if (strcmp(cfg->centres[j].id, c->id) == 0)
				cerr_at(p, at[CENTRE_ID], "%s: duplicate centre id \"%s\"", label,
				        c->id);
}

static void parse_centre(struct cfgp *p, yaml_node_t *map)
{
	struct config *cfg = p->cfg;
	struct centre_in in;
	struct centre *c = &in.c;
	size_t errors_before = p->errs->n;
	yaml_node_t *at[NKEYS(centre_keys)] = {0};
	char label[96] = "centres";
	char calerr[256];
	int rc;

	if (expect(p, map, YAML_MAPPING_NODE, "centres") < 0)
		return;
	memset(&in, 0, sizeof in);
	in.day_seconds = cfg->day_seconds;
	centre_label(p, map, c, label, sizeof label);
	ckeys_parse(p, map, &cfg_centre_section, label, label, &in, at);
	centre_check(p, map, c, label, at, errors_before);
	if (p->errs->n != errors_before) {
		centre_free(c);
		tzif_free(&in.zone);
		return;
	}
	if (c->nholidays > 0)
		qsort(c->holidays, c->nholidays, sizeof *c->holidays, int32_cmp);
	rc = calendar_build(&c->cal, &in.zone, &c->week, c->holidays, c->nholidays, cfg->first_year,
	                    cfg->last_year, in.day_seconds, calerr, sizeof calerr);
	tzif_free(&in.zone);
	if (rc < 0) {
		cerr_at(p, map, "%s: %s", label, calerr);
		centre_free(c);
		return;
	}
	if (c->name == NULL)
		c->name = xstrdup(c->id);
	cfg->centres = xreallocarray(cfg->centres, cfg->ncentres + 1, sizeof *cfg->centres);
	cfg->centres[cfg->ncentres++] = *c;
}

void parse_centres(struct cfgp *p, yaml_node_t *seq)
{
	if (expect(p, seq, YAML_SEQUENCE_NODE, "centres") < 0)
		return;
	FOR_ITEMS(seq, it)
	parse_centre(p, node(p, *it));
}

const struct centre *config_centre(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ncentres; i++)
		if (strcmp(cfg->centres[i].id, id) == 0)
			return &cfg->centres[i];
	return NULL;
}
