/* engine-query: reading tickets (reply fields, lists, stats, counters). */
#include <string.h>

#include "engine_impl.h"
#include "proto.h"
#include "timeutil.h"

/* ---- reading -------------------------------------------------------------------- */

const struct ticket *engine_ticket_get(const struct engine *e, uint64_t id)
{
	return tix(e, id);
}

uint64_t engine_ticket_count(const struct engine *e)
{
	return e->ntickets;
}

/* An instant as its wire text in buf, or "" when not set; returns the length. */
static size_t fmt_time(const char **v, char *buf, int64_t t)
{
	if (t == 0) {
		*v = "";
		return 0;
	}
	time_format(t, buf);
	*v = buf;
	return 20; /* "YYYY-MM-DDTHH:MM:SSZ": time_format always writes all of it */
}

/* The decimal of v in buf without printf (a reply has a dozen of these); returns its length. */
static size_t fmt_i64(const char **out, char *buf, int64_t v)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, w = u;
	size_t n = v < 0 ? 1 : 0, len;

	do
		n++;
	while ((w /= 10) != 0);
	len = n;
	buf[0] = '-'; /* overwritten by the last digit when v >= 0 */
	buf[n] = '\0';
	/* Two digits a division, from the right. */
	while (u >= 10) {
		n -= 2;
		memcpy(buf + n, digit_pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (n > (v < 0 ? 1u : 0u))
		buf[--n] = (char)('0' + u);
	*out = buf;
	return len;
}

/*
 * Lengths are taken where the value is made: the numbers and times know theirs,
 * and the flags are literals the compiler measures; only names are measured here.
 */
#define SET_STR(s)  (f->v[i] = (s), f->len[i] = strlen(f->v[i]), i++)
#define SET_FLAG(b) (f->v[i] = (b) ? "1" : "0", f->len[i] = 1, i++)
#define SET_I64(x)  (f->len[i] = fmt_i64(&f->v[i], f->buf[i], (x)), i++)
#define SET_TIME(x) (f->len[i] = fmt_time(&f->v[i], f->buf[i], (x)), i++)

void engine_ticket_fields(const struct engine *e, const struct ticket *t, int64_t now,
                          struct ticket_fields *f)
{
	const struct centre *c = centre_of(e, t);
	struct ticket_clock clk;
	int i = 0;

	engine_ticket_clock(e, t, now, &clk);
	/* cppcheck-suppress uninitvar ; f->buf is only written here (fmt_i64, fmt_time) */
	SET_I64((int64_t)t->id);
	if (t->member)
		SET_I64((int64_t)t->member);
	else
		SET_STR("");
	SET_STR(tier_name((enum tier)t->tier));
	SET_STR(t->programme >= 0 ? programme_names[t->programme] : "");
	SET_STR(engine_str(e, t->centre));
	SET_STR(c ? centre_type_names[c->type] : "");
	SET_STR(engine_str(e, t->product));
	SET_STR(product_class_names[t->pclass]);
	SET_STR(t->serial);
	SET_STR(service_names[t->service]);
	SET_STR(ticket_state_names[t->state]);
	SET_FLAG(t->fast_track);
	SET_STR(ft_reason_names[t->reason]);
	SET_I64(t->target_days);
	SET_TIME(t->created_at);
	SET_TIME(t->received_at);
	SET_TIME(t->deadline);
	SET_I64(clk.used);
	SET_I64(clk.remaining);
	SET_FLAG(clk.paused);
	SET_FLAG(t->at_risk);
	SET_FLAG(t->breached);
	SET_TIME(t->ready_at);
	SET_TIME(t->closed_at);
	SET_STR(t->met < 0 ? "" : t->met ? "1" : "0");
	SET_FLAG(t->loan_eligible);
	SET_STR(t->loan_eligible ? loan_reason_names[t->loan_reason] : "");
	SET_STR(t->loan_state == LOAN_ISSUED     ? "issued"
	        : t->loan_state == LOAN_RETURNED ? "returned"
	                                         : "");
	SET_FLAG(t->queued);
	SET_FLAG(t->priority);
}
#undef SET_STR
#undef SET_FLAG
#undef SET_I64
#undef SET_TIME

/* Interned ids of a set of centre names; names never interned are left out. */
static size_t centre_ids(const struct engine *e, const char *const *names, size_t n, uint32_t *ids,
                         size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		uint32_t id = strpool_find(&e->strings, names[i]);
		if (id != UINT32_MAX)
			ids[k++] = id;
	}
	return k;
}

static bool in_ids(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool matches(const struct ticket *t, const struct ticket_filter *f, uint32_t centre,
                    const uint32_t *scope, size_t nscope)
{
	bool closed = is_closed(t);

	if (f->scope == SCOPE_OPEN && closed)
		return false;
	if (f->scope == SCOPE_CLOSED && !closed)
		return false;
	if (f->centre && t->centre != centre)
		return false;
	if (f->centres && !in_ids(scope, nscope, t->centre))
		return false;
	if (f->member && t->member != f->member)
		return false;
	if (f->state >= 0 && t->state != f->state)
		return false;
	if (f->at_risk && !t->at_risk)
		return false;
	if (f->breached && !t->breached)
		return false;
	return true;
}

size_t engine_ticket_list(const struct engine *e, const struct ticket_filter *f,
                          const struct ticket **out)
{
	uint32_t centre = UINT32_MAX, scope[256];
	size_t n = 0, nscope = 0;

	if (f->centre) {
		centre = strpool_find(&e->strings, f->centre);
		if (centre == UINT32_MAX)
			return 0;
	}
	if (f->centres)
		nscope = centre_ids(e, f->centres, f->ncentres, scope, 256);
	for (uint64_t id = (f->after > e->id_base ? f->after : e->id_base) + 1;
	     id <= e->ntickets && n < f->count; id++) {
		const struct ticket *t = tix(e, id);
		if (t && matches(t, f, centre, scope, nscope))
			out[n++] = t;
	}
	return n;
}

static void stats_add(struct engine_stats *s, const struct ticket *t, int32_t since, int32_t until)
{
	int32_t day;

	if (!is_closed(t)) {
		s->open++;
		s->at_risk += t->at_risk;
		s->breached += t->breached;
		s->loans_eligible += t->loan_eligible;
	}
	if (t->met < 0)
		return;
	/* Met and missed count by the day the item was ready (UTC). */
	day = (int32_t)(t->ready_at / SECS_PER_DAY);
	if ((since >= 0 && day < since) || (until >= 0 && day > until))
		return;
	if (t->state == TSTATE_RETURNED)
		s->closed++;
	if (t->met) {
		s->met++;
		if (t->tier >= 0)
			s->met_tier[t->tier]++;
	} else {
		s->missed++;
		if (t->tier >= 0)
			s->missed_tier[t->tier]++;
	}
}

void engine_stats_in(const struct engine *e, const char *const *centres, size_t ncentres,
                     int32_t since, int32_t until, struct engine_stats *s)
{
	uint32_t scope[256];
	size_t nscope = 0;

	memset(s, 0, sizeof *s);
	if (centres)
		nscope = centre_ids(e, centres, ncentres, scope, 256);
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		/* An archived ticket (NULL) closed before the retention period. */
		if (t == NULL || (centres && !in_ids(scope, nscope, t->centre)))
			continue;
		stats_add(s, t, since, until);
	}
}

void engine_stats(const struct engine *e, const char *centre, int32_t since, int32_t until,
                  struct engine_stats *s)
{
	engine_stats_in(e, centre ? &centre : NULL, centre ? 1 : 0, since, until, s);
}

void engine_counts(const struct engine *e, struct engine_counts *c)
{
	memset(c, 0, sizeof *c);
	c->tickets = e->ntickets;
	c->in_memory = e->nlive;
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		if (t == NULL || is_closed(t))
			continue;
		c->open++;
		c->at_risk += t->at_risk;
		c->breached += t->breached;
		c->fast_track += t->fast_track;
		c->queued += t->queued;
		c->loans_eligible += t->loan_eligible;
		c->loans_issued += t->loan_state == LOAN_ISSUED;
	}
	c->members = engine_member_count(e);
	c->heap = e->heap.n;
	c->events = e->out_n;
	c->history_bytes = e->history_bytes;
	c->history_slab_bytes = eng_hist_slab_bytes(e);
}

void engine_centre_counts(const struct engine *e, struct engine_centre_count *out, size_t n)
{
	memset(out, 0, n * sizeof *out);
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		const struct centre *c;
		size_t i;
		if (t == NULL || is_closed(t) || (c = centre_of(e, t)) == NULL)
			continue;
		i = (size_t)(c - e->cfg->centres);
		if (i >= n)
			continue;
		out[i].open++;
		out[i].at_risk += t->at_risk;
		out[i].breached += t->breached;
		out[i].queued += t->queued;
		out[i].loans_eligible += t->loan_eligible;
		out[i].loans_issued += t->loan_state == LOAN_ISSUED;
	}
}
