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

/*
 * The field names as bulk strings, encoded once by the compiler; the test
 * of engine_ticket_reply compares them with ticket_field_names.
 */
#define ENC(len, name)                                                                             \
	{                                                                                          \
		"$" #len "\r\n" name "\r\n", sizeof("$" #len "\r\n" name "\r\n") - 1               \
	}
/*
 * Each padded to ENC_WIDTH bytes, so that it is copied with one fixed-size memcpy
 * (a couple of vector moves, no call); the bytes past n are overwritten next.
 */
#define ENC_WIDTH 32
static const struct {
	char s[ENC_WIDTH];
	size_t n;
} enc_names[TICKET_NFIELDS] = {
        ENC(2, "id"),
        ENC(6, "member"),
        ENC(4, "tier"),
        ENC(9, "programme"),
        ENC(6, "centre"),
        ENC(11, "centre_type"),
        ENC(7, "product"),
        ENC(13, "product_class"),
        ENC(6, "serial"),
        ENC(7, "service"),
        ENC(5, "state"),
        ENC(10, "fast_track"),
        ENC(6, "reason"),
        ENC(11, "target_days"),
        ENC(10, "created_at"),
        ENC(11, "received_at"),
        ENC(8, "deadline"),
        ENC(12, "used_seconds"),
        ENC(17, "remaining_seconds"),
        ENC(6, "paused"),
        ENC(7, "at_risk"),
        ENC(8, "breached"),
        ENC(8, "ready_at"),
        ENC(9, "closed_at"),
        ENC(3, "met"),
        ENC(13, "loan_eligible"),
        ENC(11, "loan_reason"),
        ENC(10, "loan_state"),
        ENC(6, "queued"),
        ENC(8, "priority"),
};
#undef ENC

/*
 * One value as a bulk string at d; returns the bytes it takes. A value formatted
 * into its field's buffer (a number or a time) is copied as the whole buffer, a
 * fixed-size copy: the bytes past its length are overwritten next. Those bytes
 * and a name's padding are the slack engine_ticket_reply reserves.
 */
static size_t put_value(char *d, const struct ticket_fields *f, int i)
{
	size_t len = f->len[i], n = 1;

	d[0] = '$';
	if (len < 10) {
		d[n++] = (char)('0' + len);
	} else if (len < 100) {
		d[n++] = (char)('0' + len / 10);
		d[n++] = (char)('0' + len % 10);
	} else {
		return resp_put_bulk(d, f->v[i], len);
	}
	d[n++] = '\r';
	d[n++] = '\n';
	if (f->v[i] == f->buf[i])
		memcpy(d + n, f->buf[i], sizeof f->buf[i]);
	else if (len > 0)
		memcpy(d + n, f->v[i], len);
	n += len;
	d[n++] = '\r';
	d[n++] = '\n';
	return n;
}

void engine_ticket_reply(const struct engine *e, const struct ticket *t, int64_t now, int resp,
                         struct rbuf *out)
{
	struct ticket_fields f;
	size_t room = ENC_WIDTH + sizeof f.buf[0]; /* the slack of the fixed-size copies */
	char *d, *start;

	engine_ticket_fields(e, t, now, &f);
	reply_record(out, resp, TICKET_NFIELDS);
	/* An upper bound of the whole record: one reservation, then plain stores. */
	for (int i = 0; i < TICKET_NFIELDS; i++)
		room += enc_names[i].n + f.len[i] + RESP_BULK_OVERHEAD;
	start = d = rbuf_reserve(out, room);
	for (int i = 0; i < TICKET_NFIELDS; i++) {
		memcpy(d, enc_names[i].s, ENC_WIDTH);
		d += enc_names[i].n;
		d += put_value(d, &f, i);
	}
	out->len += (size_t)(d - start);
}

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
