/*
 * engine: tickets, members, slots, the turnaround clock and the outbox.
 *
 * The clock of a ticket is kept as "business seconds used before
 * clock_since" plus, while it runs, the business time since clock_since on
 * the centre's calendar. Nothing ticks: the deadline heap holds the next
 * instant each running ticket needs attention (at risk, breach) and
 * engine_advance() handles what fell due.
 */
#include "engine.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "strpool.h"
#include "timeutil.h"
#include "xmalloc.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1u << PAGE_SHIFT)

const char *const engine_status_words[ENGINE_STATUS_COUNT] = {"",         "ERR",   "INVALID",
                                                              "NOTFOUND", "STATE", "LIMIT"};

const char *const hist_what_names[HIST_WHAT_COUNT] = {
        "opened",      "moved",         "at_risk",  "breached", "loan.eligible",
        "loan.issued", "loan.returned", "promoted", "limit"};

const char *const ticket_field_names[TICKET_NFIELDS] = {"id",
                                                        "member",
                                                        "tier",
                                                        "programme",
                                                        "centre",
                                                        "centre_type",
                                                        "product",
                                                        "product_class",
                                                        "serial",
                                                        "service",
                                                        "state",
                                                        "fast_track",
                                                        "reason",
                                                        "target_days",
                                                        "created_at",
                                                        "received_at",
                                                        "deadline",
                                                        "used_seconds",
                                                        "remaining_seconds",
                                                        "paused",
                                                        "at_risk",
                                                        "breached",
                                                        "ready_at",
                                                        "closed_at",
                                                        "met",
                                                        "loan_eligible",
                                                        "loan_reason",
                                                        "loan_state",
                                                        "queued",
                                                        "priority"};

/* Event reasons that are neither check, loan reason nor state names (replay maps them back). */
static const char *const restore_reasons[] = {"budget", "deadline", "met", "missed", ""};

struct engine {
	const struct config *cfg;
	struct strpool strings; /* products, centre ids, user names */
	struct strarena arena;  /* serials, notes, history details */

	struct ticket **pages;
	size_t npages;
	uint64_t ntickets; /* ids are 1..ntickets; ticket id i lives at index i - 1 */

	const struct centre **centre_map; /* by interned centre id */
	uint32_t ncentre_map;

	struct member *members; /* open addressing by number; number 0 = empty slot */
	size_t memcap;
	size_t nmembers; /* slots in use, present or not */

	struct dheap heap;
	int64_t clock; /* the latest `now` processed */

	struct event *outbox; /* ring buffer */
	size_t out_head, out_n, out_cap;
	uint64_t seq;

	uint64_t history_bytes;

	/* Changes since the journal last collected them. */
	uint64_t *changed_tickets;
	size_t nchanged_tickets, cap_changed_tickets;
	uint64_t *changed_members;
	size_t nchanged_members, cap_changed_members;
};

/* ---- small helpers ------------------------------------------------------ */

static void set_err(struct engine_error *err, enum engine_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(struct engine_error *err, enum engine_status st, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->status = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

static struct ticket *tix(const struct engine *e, uint64_t id)
{
	uint64_t i;

	if (id == 0 || id > e->ntickets)
		return NULL;
	i = id - 1;
	return &e->pages[i >> PAGE_SHIFT][i & (PAGE_SIZE - 1)];
}

static uint32_t idx_of(const struct ticket *t)
{
	return (uint32_t)(t->id - 1);
}

const char *engine_str(const struct engine *e, uint32_t id)
{
	const char *s = strpool_str(&e->strings, id);
	return s ? s : "";
}

static const struct centre *centre_of(const struct engine *e, const struct ticket *t)
{
	return t->centre < e->ncentre_map ? e->centre_map[t->centre] : NULL;
}

static bool is_closed(const struct ticket *t)
{
	return t->state == TSTATE_RETURNED || t->state == TSTATE_CANCELLED;
}

/* In service: the item is at the centre and not yet ready. */
static bool in_service(enum ticket_state s)
{
	return s >= TSTATE_RECEIVED && s <= TSTATE_IN_REPAIR;
}

static bool clock_runs(const struct engine *e, const struct ticket *t)
{
	return in_service(t->state) && !(e->cfg->pause_states & (1u << t->state));
}

static void rebuild_centre_map(struct engine *e)
{
	for (size_t i = 0; i < e->cfg->ncentres; i++)
		strpool_intern(&e->strings, e->cfg->centres[i].id);
	free(e->centre_map);
	e->ncentre_map = e->strings.n;
	e->centre_map = xcalloc(e->ncentre_map, sizeof *e->centre_map);
	for (size_t i = 0; i < e->cfg->ncentres; i++)
		e->centre_map[strpool_find(&e->strings, e->cfg->centres[i].id)] =
		        &e->cfg->centres[i];
}

/* ---- members -------------------------------------------------------------- */

static size_t member_slot(const struct engine *e, uint64_t number)
{
	size_t mask = e->memcap - 1;
	size_t i = (size_t)((number * 0x9E3779B97F4A7C15ull) >> 20) & mask;

	while (e->members[i].number != 0 && e->members[i].number != number)
		i = (i + 1) & mask;
	return i;
}

static struct member *member_find(const struct engine *e, uint64_t number)
{
	size_t i;

	if (number == 0 || e->memcap == 0)
		return NULL;
	i = member_slot(e, number);
	return e->members[i].number == number ? &e->members[i] : NULL;
}

static void touch_member(struct engine *e, struct member *m)
{
	if (m == NULL || m->dirty)
		return;
	m->dirty = true;
	if (e->nchanged_members == e->cap_changed_members) {
		e->cap_changed_members = e->cap_changed_members ? e->cap_changed_members * 2 : 64;
		e->changed_members = xreallocarray(e->changed_members, e->cap_changed_members,
		                                   sizeof *e->changed_members);
	}
	e->changed_members[e->nchanged_members++] = m->number;
}

/* A ticket changed: the journal will write it (and its member's slots) at the commit. */
static void touch(struct engine *e, struct ticket *t)
{
	if (!t->dirty) {
		t->dirty = 1;
		if (e->nchanged_tickets == e->cap_changed_tickets) {
			e->cap_changed_tickets =
			        e->cap_changed_tickets ? e->cap_changed_tickets * 2 : 64;
			e->changed_tickets =
			        xreallocarray(e->changed_tickets, e->cap_changed_tickets,
			                      sizeof *e->changed_tickets);
		}
		e->changed_tickets[e->nchanged_tickets++] = t->id;
	}
	if (t->member)
		touch_member(e, member_find(e, t->member));
}

static struct member *member_add(struct engine *e, uint64_t number)
{
	struct member *m;

	if ((e->nmembers + 1) * 10 > e->memcap * 7) {
		struct member *old = e->members;
		size_t oldcap = e->memcap;
		e->memcap = oldcap ? oldcap * 2 : 1024;
		e->members = xcalloc(e->memcap, sizeof *e->members);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].number != 0)
				e->members[member_slot(e, old[i].number)] = old[i];
		free(old);
	}
	m = &e->members[member_slot(e, number)];
	if (m->number == 0) {
		memset(m, 0, sizeof *m);
		m->number = number;
		e->nmembers++;
	}
	return m;
}

static void member_policy_view(const struct member *m, struct policy_member *pm)
{
	pm->tier = m->tier;
	memcpy(pm->country, m->country, sizeof pm->country);
	pm->has_programme = m->has_programme;
	pm->programme = m->programme;
	pm->expires = m->expires;
}

enum tier engine_member_effective_tier(const struct engine *e, const struct member *m)
{
	struct policy_member pm;

	member_policy_view(m, &pm);
	return policy_effective_tier(e->cfg, &pm);
}

enum programme engine_member_programme(const struct engine *e, const struct member *m)
{
	struct policy_member pm;

	member_policy_view(m, &pm);
	return policy_programme(e->cfg, &pm);
}

int engine_member_set(struct engine *e, const struct member_input *in, int64_t now,
                      struct engine_error *err)
{
	struct member *m;

	engine_advance(e, now);
	if (in->number == 0 || in->number > 999999999999ull) {
		set_err(err, ENGINE_INVALID,
		        "member %" PRIu64 ": a membership number is 1-12 digits", in->number);
		return -1;
	}
	if (!country_code_exists(in->country)) {
		set_err(err, ENGINE_INVALID, "country \"%s\": not an ISO 3166 country code",
		        in->country);
		return -1;
	}
	if (tier_is_enterprise(in->tier) && in->has_programme &&
	    in->programme != PROGRAMME_SUBSCRIPTION) {
		set_err(err, ENGINE_INVALID,
		        "tier \"%s\": Enterprise tiers belong to the subscription programme",
		        tier_names[in->tier]);
		return -1;
	}
	m = member_add(e, in->number);
	m->tier = in->tier;
	memcpy(m->country, in->country, sizeof m->country);
	m->has_programme = in->has_programme;
	m->programme = in->programme;
	m->expires = in->expires;
	free(m->name);
	m->name = in->name ? xstrdup(in->name) : NULL;
	m->present = true;
	touch_member(e, m);
	return 0;
}

int engine_member_del(struct engine *e, uint64_t number, int64_t now)
{
	struct member *m = member_find(e, number);

	engine_advance(e, now);
	if (m == NULL || !m->present)
		return 0;
	/* Open tickets keep their snapshot; the slot accounting stays until they finish. */
	m->present = false;
	free(m->name);
	m->name = NULL;
	touch_member(e, m);
	return 1;
}

const struct member *engine_member_get(const struct engine *e, uint64_t number)
{
	const struct member *m = member_find(e, number);

	return m && m->present ? m : NULL;
}

size_t engine_member_count(const struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->memcap; i++)
		if (e->members[i].number != 0 && e->members[i].present)
			n++;
	return n;
}

static void queue_remove(struct member *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->nqueued; i++) {
		if (m->queued[i] == id) {
			memmove(&m->queued[i], &m->queued[i + 1],
			        (m->nqueued - i - 1) * sizeof *m->queued);
			m->nqueued--;
			return;
		}
	}
}

static void queue_push(struct member *m, uint64_t id)
{
	m->queued = xreallocarray(m->queued, m->nqueued + 1, sizeof *m->queued);
	m->queued[m->nqueued++] = id;
}

/* ---- outbox and history ---------------------------------------------------- */

static void emit(struct engine *e, const struct ticket *t, enum event_type type, int64_t at,
                 const char *reason)
{
	struct event *ev;

	if (e->out_n == e->out_cap) {
		size_t cap = e->out_cap ? e->out_cap * 2 : 256;
		struct event *ring = xreallocarray(NULL, cap, sizeof *ring);
		for (size_t i = 0; i < e->out_n; i++)
			ring[i] = e->outbox[(e->out_head + i) % e->out_cap];
		free(e->outbox);
		e->outbox = ring;
		e->out_cap = cap;
		e->out_head = 0;
	}
	ev = &e->outbox[(e->out_head + e->out_n++) % e->out_cap];
	memset(ev, 0, sizeof *ev);
	ev->seq = ++e->seq;
	ev->at = at;
	ev->type = (uint8_t)type;
	ev->ticket = t->id;
	ev->member = t->member;
	ev->deadline = t->deadline;
	ev->serial = t->serial;
	ev->reason = reason ? reason : "";
	ev->centre = t->centre;
	ev->product = t->product;
	ev->tier = t->tier;
	ev->programme = t->programme;
	ev->state = t->state;
}

size_t engine_outbox_count(const struct engine *e)
{
	return e->out_n;
}

const struct event *engine_outbox_at(const struct engine *e, size_t i)
{
	if (i >= e->out_n)
		return NULL;
	return &e->outbox[(e->out_head + i) % e->out_cap];
}

void engine_outbox_drop(struct engine *e, size_t n)
{
	if (n > e->out_n)
		n = e->out_n;
	e->out_head = e->out_cap ? (e->out_head + n) % e->out_cap : 0;
	e->out_n -= n;
}

uint64_t engine_last_seq(const struct engine *e)
{
	return e->seq;
}

static const char *arena_text(struct engine *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static const char *arena_text(struct engine *e, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return "";
	if ((size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	return strarena_dup(&e->arena, buf, (size_t)n);
}

static void hist_add(struct engine *e, struct ticket *t, int64_t at, const char *who,
                     enum hist_what what, const char *detail)
{
	struct hist *h;
	uint32_t uid, at2000, pos;

	touch(e, t);
	/* Capacity is the next power of two at or above nhist (at least 2). */
	if (t->nhist >= 2 && (t->nhist & (t->nhist - 1)) == 0) {
		t->hist = xreallocarray(t->hist, (size_t)t->nhist * 2, sizeof *t->hist);
		e->history_bytes += t->nhist * sizeof *t->hist;
	} else if (t->hist == NULL) {
		t->hist = xreallocarray(NULL, 2, sizeof *t->hist);
		e->history_bytes += 2 * sizeof *t->hist;
	}
	uid = strpool_intern(&e->strings, who ? who : "repaird");
	if (uid >= (1u << 24))
		fatalx("more than 16M distinct names in the string pool");
	at -= HIST_EPOCH;
	at2000 = at < 0 ? 0 : at > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)at;
	/*
	 * Kept in the order the changes took effect, ties in the order recorded:
	 * a backdated receipt goes before the entry that recorded it.
	 */
	pos = t->nhist;
	while (pos > 0 && t->hist[pos - 1].at2000 > at2000)
		pos--;
	memmove(&t->hist[pos + 1], &t->hist[pos], (t->nhist - pos) * sizeof *t->hist);
	t->nhist++;
	h = &t->hist[pos];
	h->at2000 = at2000;
	h->who_what = uid << 8 | (uint32_t)what;
	h->detail = detail ? detail : "";
}

/* ---- the clock -------------------------------------------------------------- */

static int64_t between(const struct engine *e, const struct ticket *t, int64_t a, int64_t b)
{
	const struct centre *c = centre_of(e, t);

	return c ? calendar_between(&c->cal, a, b) : 0;
}

/* Where a budget of `secs` business seconds from `from` runs out. */
static int64_t add_business(const struct engine *e, const struct ticket *t, int64_t from,
                            int64_t secs)
{
	const struct centre *c = centre_of(e, t);
	int64_t out;

	if (c == NULL)
		return from;
	if (secs <= 0)
		return from;
	if (calendar_add_business(&c->cal, from, secs, &out) != CAL_OK)
		return c->cal.until; /* beyond the precomputed years: the window's end */
	return out;
}

static int64_t used_at(const struct engine *e, const struct ticket *t, int64_t now)
{
	if (clock_runs(e, t) && now > t->clock_since)
		return t->used + between(e, t, t->clock_since, now);
	return t->used;
}

void engine_ticket_clock(const struct engine *e, const struct ticket *t, int64_t now,
                         struct ticket_clock *c)
{
	c->used = used_at(e, t, now);
	c->remaining = t->budget - c->used;
	c->running = clock_runs(e, t);
	c->paused = in_service(t->state) && !c->running;
}

static int64_t budget_for(const struct engine *e, const struct ticket *t, int days)
{
	const struct centre *c = centre_of(e, t);

	return (int64_t)days * (c ? c->cal.day_seconds : 8 * 3600);
}

static int64_t at_risk_threshold(const struct engine *e, const struct ticket *t)
{
	/* Rounded up: at risk once at least this share of the budget is used. */
	return (t->budget * e->cfg->at_risk_permille + 999) / 1000;
}

/* Put the ticket in the heap at its next instant of attention, or take it out. */
static void schedule(struct engine *e, struct ticket *t)
{
	int64_t next = INT64_MAX;

	if (clock_runs(e, t)) {
		if (!t->at_risk) {
			int64_t left = at_risk_threshold(e, t) - t->used;
			int64_t at = add_business(e, t, t->clock_since, left);
			if (at < next)
				next = at;
		}
		/* Breached once the deadline has passed: the first second after it. */
		if (!t->breached && t->deadline != 0 && t->deadline + 1 < next)
			next = t->deadline + 1;
	}
	if (next == INT64_MAX)
		dheap_remove(&e->heap, idx_of(t));
	else
		dheap_set(&e->heap, idx_of(t), next);
}

/* Stop the clock at `at` (if it runs), folding the time since clock_since into used. */
static void clock_stop(struct engine *e, struct ticket *t, int64_t at)
{
	touch(e, t);
	if (clock_runs(e, t) && at > t->clock_since)
		t->used += between(e, t, t->clock_since, at);
	t->clock_since = at;
}

/* After a state change at `at`: start the clock if the new state runs it. */
static void clock_start(struct engine *e, struct ticket *t, int64_t at)
{
	touch(e, t);
	t->clock_since = at;
	if (clock_runs(e, t)) {
		int64_t left = t->budget - t->used;
		if (left > 0)
			t->deadline = add_business(e, t, at, left);
		else if (!t->breached)
			t->deadline = at; /* over budget already (a shorter target): due now */
	} else if (!t->breached && in_service(t->state)) {
		t->deadline = 0; /* paused: the deadline moves with the pause */
	}
	schedule(e, t);
}

/* ---- decisions ------------------------------------------------------------------ */

static void make_loan_eligible(struct engine *e, struct ticket *t, enum loan_reason why, int64_t at)
{
	if (t->loan_eligible || !t->fast_track)
		return;
	if (!(policy_loan_rule(e->cfg, (enum programme)t->programme, (enum tier)t->tier) &
	      (1u << why)))
		return;
	t->loan_eligible = 1;
	t->loan_reason = (uint8_t)why;
	hist_add(e, t, at, NULL, HIST_LOAN_ELIGIBLE, loan_reason_names[why]);
	emit(e, t, EVENT_LOAN_ELIGIBLE, at, loan_reason_names[why]);
}

static void mark_at_risk(struct engine *e, struct ticket *t, int64_t at, const char *why)
{
	if (t->at_risk)
		return;
	t->at_risk = 1;
	if (at > t->last_change)
		t->last_change = at; /* no later move may be dated before a reported event */
	hist_add(e, t, at, NULL, HIST_AT_RISK, why);
	emit(e, t, EVENT_TICKET_AT_RISK, at, why);
}

static void mark_breached(struct engine *e, struct ticket *t, int64_t at)
{
	if (t->breached)
		return;
	mark_at_risk(e, t, at, restore_reasons[0]);
	t->breached = 1;
	if (at > t->last_change)
		t->last_change = at;
	hist_add(e, t, at, NULL, HIST_BREACHED, "deadline passed");
	emit(e, t, EVENT_TICKET_BREACHED, at, restore_reasons[1]);
	make_loan_eligible(e, t, LOAN_REASON_BREACH, at);
}

/* A forecast miss: waiting for parts whose ETA lies beyond the deadline. */
static void check_forecast(struct engine *e, struct ticket *t, int64_t at)
{
	int64_t due;

	if (t->state != TSTATE_AWAITING_PARTS || t->eta == 0)
		return;
	due = t->deadline;
	if (due == 0)
		due = add_business(e, t, at, t->budget - t->used);
	if (t->eta > due) {
		mark_at_risk(e, t, at, loan_reason_names[LOAN_REASON_FORECAST]);
		make_loan_eligible(e, t, LOAN_REASON_FORECAST, at);
		schedule(e, t);
	}
}

/* Handle whatever this ticket has due at or before now. */
static void process_due(struct engine *e, struct ticket *t, int64_t now)
{
	if (!clock_runs(e, t))
		return;
	if (!t->at_risk) {
		int64_t left = at_risk_threshold(e, t) - t->used;
		int64_t at = add_business(e, t, t->clock_since, left);
		if (at <= now)
			mark_at_risk(e, t, at, restore_reasons[0]);
	}
	if (!t->breached && t->deadline != 0 && t->deadline < now)
		mark_breached(e, t, t->deadline);
	schedule(e, t);
}

size_t engine_advance(struct engine *e, int64_t now)
{
	size_t n = 0;
	uint32_t idx;
	int64_t at;

	if (now > e->clock)
		e->clock = now;
	while (dheap_peek(&e->heap, &idx, &at) && at <= now) {
		struct ticket *t = tix(e, (uint64_t)idx + 1);
		process_due(e, t, now);
		/* process_due always reschedules past now or removes; guard anyway. */
		if (dheap_peek(&e->heap, &idx, &at) && at <= now && idx == idx_of(t))
			dheap_remove(&e->heap, idx);
		n++;
	}
	return n;
}

bool engine_next_due(const struct engine *e, int64_t *at)
{
	uint32_t idx;

	return dheap_peek(&e->heap, &idx, at);
}

/* ---- slots ------------------------------------------------------------------------ */

/*
 * The in-service check when an item arrives (DOMAIN.md, "The three-items
 * rule"). Returns -1 (LIMIT, nothing changed) only under over_limit: reject.
 */
static int slot_check(struct engine *e, const struct ticket *t, struct engine_error *err)
{
	const struct member *m;

	if (!t->fast_track || t->member == 0)
		return 0;
	m = member_find(e, t->member);
	if (m && m->in_service >= (uint32_t)e->cfg->in_service_limit &&
	    e->cfg->over_limit == OVER_LIMIT_REJECT) {
		set_err(err, ENGINE_LIMIT,
		        "member %" PRIu64 " has %u Fast Track items in service (limit %d)",
		        t->member, m->in_service, e->cfg->in_service_limit);
		return -1;
	}
	return 0;
}

static void demote(struct engine *e, struct ticket *t, struct member *m, int64_t at);

/* The item has arrived (or is back in repair): take a slot, or follow over_limit. */
static void slot_take(struct engine *e, struct ticket *t, int64_t at)
{
	struct member *m;

	if (!t->fast_track || t->member == 0)
		return;
	m = member_find(e, t->member);
	if (m == NULL)
		m = member_add(e, t->member); /* deleted meanwhile: keep counting its slots */
	if (m->in_service < (uint32_t)e->cfg->in_service_limit) {
		m->in_service++;
		t->holds_slot = 1;
		return;
	}
	demote(e, t, m, at);
}

/*
 * No slot for this Fast Track ticket: standard service, reason in-service-limit,
 * and under over_limit: queue it waits for a slot.
 */
static void demote(struct engine *e, struct ticket *t, struct member *m, int64_t at)
{
	t->fast_track = 0;
	t->reason = FT_IN_SERVICE_LIMIT;
	t->target_days = (uint16_t)policy_standard_days(
	        e->cfg, config_product(e->cfg, engine_str(e, t->product)));
	t->budget = budget_for(e, t, t->target_days);
	if (e->cfg->over_limit == OVER_LIMIT_QUEUE) {
		t->queued = 1;
		queue_push(m, t->id);
	}
	hist_add(e, t, at, NULL, HIST_LIMIT,
	         t->queued ? "in-service limit reached: standard service, queued for a slot"
	                   : "in-service limit reached: standard service");
}

static void promote(struct engine *e, struct ticket *t, struct member *m, int64_t at)
{
	const struct centre *c = centre_of(e, t);

	queue_remove(m, t->id);
	t->queued = 0;
	t->fast_track = 1;
	t->reason = FT_OK;
	t->holds_slot = 1;
	m->in_service++;
	t->target_days = (uint16_t)policy_target_days(
	        e->cfg, (enum tier)t->tier, (enum programme)t->programme, c ? c->country : NULL,
	        config_product(e->cfg, engine_str(e, t->product)));
	t->budget = budget_for(e, t, t->target_days);
	/* The Fast Track clock counts from the promotion. */
	t->used = 0; /* at risk stays reported: each event once per ticket */
	t->last_change = at;
	hist_add(e, t, at, NULL, HIST_PROMOTED, "a slot freed: Fast Track from now");
	clock_start(e, t, at);
	emit(e, t, EVENT_TICKET_PROMOTED, at, "fast-track");
	make_loan_eligible(e, t, LOAN_REASON_BOOKING, at);
	check_forecast(e, t, at); /* the new, shorter deadline may fall before the parts */
}

/* While the member has a free slot, promote its oldest queued ticket. */
static void promote_waiting(struct engine *e, struct member *m, int64_t at)
{
	while (m->nqueued > 0 && m->in_service < (uint32_t)e->cfg->in_service_limit) {
		struct ticket *q = tix(e, m->queued[0]);
		if (q == NULL || !in_service(q->state)) {
			queue_remove(m, m->queued[0]);
			continue;
		}
		promote(e, q, m, at > q->last_change ? at : q->last_change);
	}
}

/* The item is ready or cancelled: free its slot and promote the member's oldest queued. */
static void slot_free(struct engine *e, struct ticket *t, int64_t at)
{
	struct member *m = member_find(e, t->member);

	if (m == NULL)
		return;
	if (t->queued) {
		queue_remove(m, t->id);
		t->queued = 0;
	}
	if (!t->holds_slot)
		return;
	t->holds_slot = 0;
	m->in_service--;
	promote_waiting(e, m, at);
}

/* ---- opening ------------------------------------------------------------------------ */

static struct ticket *ticket_new(struct engine *e)
{
	uint64_t i = e->ntickets;
	struct ticket *t;

	if (i >= UINT32_MAX)
		fatalx("ticket ids exhausted");
	if ((i >> PAGE_SHIFT) >= e->npages) {
		e->pages = xreallocarray(e->pages, e->npages + 1, sizeof *e->pages);
		e->pages[e->npages++] = xcalloc(PAGE_SIZE, sizeof **e->pages);
	}
	e->ntickets++;
	t = &e->pages[i >> PAGE_SHIFT][i & (PAGE_SIZE - 1)];
	memset(t, 0, sizeof *t);
	t->id = i + 1;
	t->met = -1;
	return t;
}

int engine_ticket_open(struct engine *e, const struct ticket_open *in, int64_t now,
                       const struct ticket **out, struct engine_error *err)
{
	const struct centre *centre;
	const struct product *product;
	const struct member *m = NULL;
	struct policy_member pm;
	struct policy_booking b;
	struct policy_decision d;
	struct ticket *t, probe;
	char msg[160];
	int64_t at = in->received ? in->received_at : now;

	engine_advance(e, now);
	if (policy_check_centre_id(in->centre, msg, sizeof msg) < 0) {
		set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	centre = config_centre(e->cfg, in->centre);
	if (centre == NULL) {
		set_err(err, ENGINE_NOTFOUND, "centre \"%s\": no such centre (see CENTRE.LIST)",
		        in->centre);
		return -1;
	}
	if (policy_check_serial(in->serial, msg, sizeof msg) < 0) {
		set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	product = config_product(e->cfg, in->product);
	if (product == NULL && !in->unlisted) {
		const char *near[3];
		size_t n = config_product_suggest(e->cfg, in->product, near, 3);
		char list[320] = "";
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "", near[i]);
		}
		set_err(err, ENGINE_NOTFOUND,
		        "product \"%.80s\": not in the catalogue%s%s (or book it UNLISTED)",
		        in->product, n ? "; did you mean " : "", list);
		return -1;
	}
	if (in->received && (in->received_at > now || in->received_at <= 0)) {
		set_err(err, ENGINE_INVALID, "received: a time not in the future");
		return -1;
	}
	if (in->member != 0) {
		m = engine_member_get(e, in->member);
		if (m)
			member_policy_view(m, &pm);
	}
	memset(&b, 0, sizeof b);
	b.member = m ? &pm : NULL;
	b.product = product;
	b.centre = centre;
	b.service = in->service;
	b.registered = in->registered;
	/*
	 * The day the ticket is opened, whatever RECEIVED says, in the centre's
	 * timezone: an expiry date is valid to the end of that day there.
	 */
	if (calendar_local_date(&centre->cal, now, &b.today) != CAL_OK)
		b.today = (int32_t)(now / SECS_PER_DAY);
	policy_decide(e->cfg, &b, &d);

	/* The limit check needs the would-be ticket; a refusal must change nothing. */
	memset(&probe, 0, sizeof probe);
	probe.fast_track = d.fast_track;
	probe.member = in->member;
	if (in->received && slot_check(e, &probe, err) < 0)
		return -1;

	t = ticket_new(e);
	t->member = in->member;
	t->created_at = now;
	t->last_change = at < now ? at : now;
	t->serial = strarena_dup(&e->arena, in->serial, strlen(in->serial));
	t->product = strpool_intern(&e->strings, in->product);
	t->centre = strpool_intern(&e->strings, in->centre);
	if (t->centre >= e->ncentre_map)
		rebuild_centre_map(e);
	t->tier = (int8_t)d.tier;
	t->programme = (int8_t)(m ? (int)d.programme : -1);
	t->pclass = (uint8_t)(product ? product->cls : PCLASS_OTHER);
	t->video = product ? product->video : 0;
	t->service = (uint8_t)in->service;
	t->state = TSTATE_BOOKED;
	t->fast_track = d.fast_track;
	t->priority = d.priority;
	t->reason = (uint8_t)d.reason;
	t->target_days = (uint16_t)d.target_days;
	t->registered = in->registered;
	t->unlisted = product == NULL;
	t->budget = budget_for(e, t, t->target_days);
	hist_add(e, t, now, in->who, HIST_OPENED,
	         in->note && *in->note ? arena_text(e, "booked: %s", in->note) : "booked");
	/* Received at once: the in-service check comes first, it may take Fast Track away. */
	if (in->received) {
		hist_add(e, t, at, in->who, HIST_MOVED, "received");
		slot_take(e, t, at);
	}
	emit(e, t, EVENT_TICKET_OPENED, now, ft_reason_names[t->reason]);
	/* Subscription Platinum (and Enterprise): the loan is owed at booking. */
	make_loan_eligible(e, t, LOAN_REASON_BOOKING, now);
	if (in->received) {
		t->state = TSTATE_RECEIVED;
		t->received_at = at;
		clock_start(e, t, at);
		emit(e, t, EVENT_TICKET_RECEIVED, at, NULL);
		engine_advance(e, now);
	}
	*out = t;
	return 0;
}

/* ---- moves ------------------------------------------------------------------------ */

/* The state machine of DOMAIN.md, "Ticket states". */
static unsigned allowed_moves(enum ticket_state from)
{
	const unsigned work = (1u << TSTATE_DIAGNOSING) | (1u << TSTATE_AWAITING_CUSTOMER) |
	                      (1u << TSTATE_AWAITING_PARTS) | (1u << TSTATE_IN_REPAIR) |
	                      (1u << TSTATE_READY) | (1u << TSTATE_CANCELLED);

	switch (from) {
	case TSTATE_BOOKED:
		return (1u << TSTATE_RECEIVED) | (1u << TSTATE_CANCELLED);
	case TSTATE_RECEIVED:
	case TSTATE_DIAGNOSING:
	case TSTATE_IN_REPAIR:
	case TSTATE_AWAITING_CUSTOMER:
		return work & ~(1u << from);
	case TSTATE_AWAITING_PARTS:
		return work; /* again: a new ETA */
	case TSTATE_READY:
		/* A failed final check goes back to repair; the clock resumes. */
		return (1u << TSTATE_RETURNED) | (1u << TSTATE_IN_REPAIR);
	default:
		return 0;
	}
}

static void state_list(unsigned set, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int s = 0; s < TSTATE_COUNT && used < len; s++) {
		if (set & (1u << s)) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			                 ticket_state_names[s]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
	}
	if (used == 0)
		snprintf(buf, len, "none: the ticket is closed");
}

static enum event_type event_for_state(enum ticket_state s)
{
	switch (s) {
	case TSTATE_RECEIVED:
		return EVENT_TICKET_RECEIVED;
	case TSTATE_READY:
		return EVENT_TICKET_READY;
	case TSTATE_RETURNED:
	case TSTATE_CANCELLED:
		return EVENT_TICKET_CLOSED;
	default:
		return EVENT_TICKET_STATE;
	}
}

int engine_ticket_move(struct engine *e, const struct ticket_move *in, int64_t now,
                       const struct ticket **out, struct engine_error *err)
{
	struct ticket *t = tix(e, in->id);
	int64_t at = in->at ? in->at : now;
	enum ticket_state from;
	unsigned allowed;
	char list[256], ts[21];
	const char *detail, *reason = NULL;

	if (t == NULL) {
		set_err(err, ENGINE_NOTFOUND, "ticket %" PRIu64 ": no such ticket", in->id);
		return -1;
	}
	from = (enum ticket_state)t->state;
	allowed = allowed_moves(from);
	if (!(allowed & (1u << in->to))) {
		state_list(allowed, list, sizeof list);
		set_err(err, ENGINE_STATE,
		        "ticket %" PRIu64 " is %s: cannot move to %s (allowed: %s)", t->id,
		        ticket_state_names[from], ticket_state_names[in->to], list);
		return -1;
	}
	if (in->eta && in->to != TSTATE_AWAITING_PARTS) {
		set_err(err, ENGINE_INVALID, "ETA: only with awaiting_parts, not with %s",
		        ticket_state_names[in->to]);
		return -1;
	}
	if (at > now) {
		time_format(at, ts);
		set_err(err, ENGINE_INVALID, "AT %s: in the future", ts);
		return -1;
	}
	if (at < t->last_change) {
		time_format(t->last_change, ts);
		set_err(err, ENGINE_INVALID, "AT: before the ticket's last change at %s", ts);
		return -1;
	}
	if (in->to == TSTATE_RECEIVED && slot_check(e, t, err) < 0)
		return -1;

	/* Handle what fell due before the move itself (a backdated move included). */
	engine_advance(e, at);
	clock_stop(e, t, at);
	t->state = (uint8_t)in->to;
	t->last_change = at;
	switch (in->to) {
	case TSTATE_RECEIVED:
		t->received_at = at;
		slot_take(e, t, at);
		break;
	case TSTATE_AWAITING_PARTS:
		t->eta = in->eta;
		break;
	case TSTATE_READY:
		t->ready_at = at;
		t->met = !t->breached && t->used <= t->budget;
		reason = t->met ? restore_reasons[2] : restore_reasons[3];
		slot_free(e, t, at);
		break;
	case TSTATE_IN_REPAIR:
		if (from == TSTATE_READY) {
			/* Reopened: met/missed is open again, breach stays. */
			t->ready_at = 0;
			t->met = -1;
			/*
			 * It needs a slot again; with none free it goes on at standard
			 * service (never refused: the item is already in the centre).
			 */
			slot_take(e, t, at);
		}
		break;
	case TSTATE_RETURNED:
		t->closed_at = at;
		reason = ticket_state_names[TSTATE_RETURNED];
		break;
	case TSTATE_CANCELLED:
		t->closed_at = at;
		reason = ticket_state_names[TSTATE_CANCELLED];
		slot_free(e, t, at);
		break;
	default:
		break;
	}
	if (in->to != TSTATE_AWAITING_PARTS)
		t->eta = 0;
	clock_start(e, t, at);
	if (in->to == TSTATE_AWAITING_PARTS && in->eta) {
		time_format(in->eta, ts);
		detail = in->note && *in->note ? arena_text(e, "%s -> awaiting_parts, ETA %s: %s",
		                                            ticket_state_names[from], ts, in->note)
		                               : arena_text(e, "%s -> awaiting_parts, ETA %s",
		                                            ticket_state_names[from], ts);
	} else {
		detail = in->note && *in->note
		                 ? arena_text(e, "%s -> %s: %s", ticket_state_names[from],
		                              ticket_state_names[in->to], in->note)
		                 : arena_text(e, "%s -> %s", ticket_state_names[from],
		                              ticket_state_names[in->to]);
	}
	hist_add(e, t, at, in->who, HIST_MOVED, detail);
	emit(e, t, event_for_state(in->to), at, reason ? reason : ticket_state_names[in->to]);
	/* A forecast miss: the parts come after the deadline. */
	if (in->to == TSTATE_AWAITING_PARTS && in->eta)
		check_forecast(e, t, at);
	engine_advance(e, now);
	*out = t;
	return 0;
}

/* ---- loans ---------------------------------------------------------------------- */

static struct ticket *loan_ticket(struct engine *e, uint64_t id, struct engine_error *err)
{
	struct ticket *t = tix(e, id);

	if (t == NULL)
		set_err(err, ENGINE_NOTFOUND, "ticket %" PRIu64 ": no such ticket", id);
	return t;
}

int engine_loan_issue(struct engine *e, uint64_t id, const char *serial, const char *note,
                      const char *who, int64_t now, const struct ticket **out,
                      struct engine_error *err)
{
	struct ticket *t;
	char msg[160];

	engine_advance(e, now);
	if ((t = loan_ticket(e, id, err)) == NULL)
		return -1;
	if (!t->loan_eligible) {
		set_err(err, ENGINE_STATE, "ticket %" PRIu64 " is not loan-eligible", id);
		return -1;
	}
	if (t->loan_state != LOAN_NONE) {
		set_err(err, ENGINE_STATE, "ticket %" PRIu64 ": a loan unit was already %s", id,
		        t->loan_state == LOAN_ISSUED ? "issued" : "issued and returned");
		return -1;
	}
	if (serial && policy_check_serial(serial, msg, sizeof msg) < 0) {
		set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	t->loan_state = LOAN_ISSUED;
	hist_add(e, t, now, who, HIST_LOAN_ISSUED,
	         serial ? (note && *note ? arena_text(e, "loan unit %s: %s", serial, note)
	                                 : arena_text(e, "loan unit %s", serial))
	                : (note && *note ? arena_text(e, "%s", note) : "loan unit issued"));
	emit(e, t, EVENT_LOAN_ISSUED, now, loan_reason_names[t->loan_reason]);
	*out = t;
	return 0;
}

int engine_loan_return(struct engine *e, uint64_t id, const char *note, const char *who,
                       int64_t now, const struct ticket **out, struct engine_error *err)
{
	struct ticket *t;

	engine_advance(e, now);
	if ((t = loan_ticket(e, id, err)) == NULL)
		return -1;
	if (t->loan_state != LOAN_ISSUED) {
		set_err(err, ENGINE_STATE, "ticket %" PRIu64 ": no loan unit is out (%s)", id,
		        t->loan_state == LOAN_RETURNED ? "already returned" : "none issued");
		return -1;
	}
	t->loan_state = LOAN_RETURNED;
	hist_add(e, t, now, who, HIST_LOAN_RETURNED,
	         note && *note ? arena_text(e, "%s", note) : "loan unit returned");
	emit(e, t, EVENT_LOAN_RETURNED, now, loan_reason_names[t->loan_reason]);
	*out = t;
	return 0;
}

/* ---- reading -------------------------------------------------------------------- */

const struct ticket *engine_ticket_get(const struct engine *e, uint64_t id)
{
	return tix(e, id);
}

uint64_t engine_ticket_count(const struct engine *e)
{
	return e->ntickets;
}

static const char *fmt_time(char *buf, int64_t t)
{
	if (t == 0)
		return "";
	time_format(t, buf);
	return buf;
}

static const char *fmt_i64(char *buf, int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

void engine_ticket_fields(const struct engine *e, const struct ticket *t, int64_t now,
                          struct ticket_fields *f)
{
	const struct centre *c = centre_of(e, t);
	struct ticket_clock clk;
	int i = 0;

	engine_ticket_clock(e, t, now, &clk);
	f->v[i] = fmt_i64(f->buf[i], (int64_t)t->id), i++;
	f->v[i] = t->member ? fmt_i64(f->buf[i], (int64_t)t->member) : "", i++;
	f->v[i++] = tier_name((enum tier)t->tier);
	f->v[i++] = t->programme >= 0 ? programme_names[t->programme] : "";
	f->v[i++] = engine_str(e, t->centre);
	f->v[i++] = c ? centre_type_names[c->type] : "";
	f->v[i++] = engine_str(e, t->product);
	f->v[i++] = product_class_names[t->pclass];
	f->v[i++] = t->serial;
	f->v[i++] = service_names[t->service];
	f->v[i++] = ticket_state_names[t->state];
	f->v[i++] = t->fast_track ? "1" : "0";
	f->v[i++] = ft_reason_names[t->reason];
	f->v[i] = fmt_i64(f->buf[i], t->target_days), i++;
	f->v[i] = fmt_time(f->buf[i], t->created_at), i++;
	f->v[i] = fmt_time(f->buf[i], t->received_at), i++;
	f->v[i] = fmt_time(f->buf[i], t->deadline), i++;
	f->v[i] = fmt_i64(f->buf[i], clk.used), i++;
	f->v[i] = fmt_i64(f->buf[i], clk.remaining), i++;
	f->v[i++] = clk.paused ? "1" : "0";
	f->v[i++] = t->at_risk ? "1" : "0";
	f->v[i++] = t->breached ? "1" : "0";
	f->v[i] = fmt_time(f->buf[i], t->ready_at), i++;
	f->v[i] = fmt_time(f->buf[i], t->closed_at), i++;
	f->v[i++] = t->met < 0 ? "" : t->met ? "1" : "0";
	f->v[i++] = t->loan_eligible ? "1" : "0";
	f->v[i++] = t->loan_eligible ? loan_reason_names[t->loan_reason] : "";
	f->v[i++] = t->loan_state == LOAN_ISSUED     ? "issued"
	            : t->loan_state == LOAN_RETURNED ? "returned"
	                                             : "";
	f->v[i++] = t->queued ? "1" : "0";
	f->v[i++] = t->priority ? "1" : "0";
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
	for (uint64_t id = f->after + 1; id <= e->ntickets && n < f->count; id++) {
		const struct ticket *t = tix(e, id);
		if (matches(t, f, centre, scope, nscope))
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
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		if (centres && !in_ids(scope, nscope, t->centre))
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
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		if (is_closed(t))
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

/* ---- life cycle ------------------------------------------------------------------- */

struct engine *engine_new(const struct config *cfg)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->cfg = cfg;
	strpool_init(&e->strings);
	strarena_init(&e->arena);
	dheap_init(&e->heap);
	rebuild_centre_map(e);
	return e;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (uint64_t id = 1; id <= e->ntickets; id++)
		free(tix(e, id)->hist);
	for (size_t i = 0; i < e->npages; i++)
		free(e->pages[i]);
	free(e->pages);
	for (size_t i = 0; i < e->memcap; i++) {
		free(e->members[i].name);
		free(e->members[i].queued);
	}
	free(e->members);
	free(e->centre_map);
	free(e->outbox);
	free(e->changed_tickets);
	free(e->changed_members);
	dheap_free(&e->heap);
	strarena_free(&e->arena);
	strpool_free(&e->strings);
	free(e);
}

const struct config *engine_config(const struct engine *e)
{
	return e->cfg;
}

/*
 * After a reload that changed the in-service limit: the limit holds at every
 * moment, so a member over a lowered limit keeps its oldest tickets at Fast
 * Track and the newest go on at standard service; a raised limit promotes
 * queued tickets.
 */
static void rebalance_slots(struct engine *e, int64_t now)
{
	uint32_t limit = (uint32_t)e->cfg->in_service_limit;

	for (uint64_t id = e->ntickets; id >= 1; id--) {
		struct ticket *t = tix(e, id);
		struct member *m;
		if (!t->holds_slot || (m = member_find(e, t->member)) == NULL ||
		    m->in_service <= limit)
			continue;
		t->holds_slot = 0;
		m->in_service--;
		demote(e, t, m, now);
	}
	for (size_t i = 0; i < e->memcap; i++)
		if (e->members[i].number != 0 && e->members[i].nqueued > 0)
			promote_waiting(e, &e->members[i], now);
}

int engine_set_config(struct engine *e, const struct config *cfg, int64_t now,
                      struct engine_error *err)
{
	engine_advance(e, now);
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		if (!is_closed(t) && config_centre(cfg, engine_str(e, t->centre)) == NULL) {
			set_err(err, ENGINE_INVALID,
			        "centre \"%s\" is missing from the new configuration but ticket "
			        "%" PRIu64 " there is open",
			        engine_str(e, t->centre), t->id);
			return -1;
		}
	}
	/* Fold the time used so far on the old calendar, then switch. */
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (!is_closed(t))
			clock_stop(e, t, now);
	}
	e->cfg = cfg;
	rebuild_centre_map(e);
	rebalance_slots(e, now);
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		const struct centre *c;
		const struct product *p;
		if (is_closed(t))
			continue;
		c = centre_of(e, t);
		p = config_product(cfg, engine_str(e, t->product));
		if (p)
			t->video = p->video;
		if (t->fast_track)
			t->target_days = (uint16_t)policy_target_days(
			        cfg, (enum tier)t->tier, (enum programme)t->programme, c->country,
			        t->video ? p : NULL);
		else
			t->target_days = (uint16_t)policy_standard_days(cfg, t->video ? p : NULL);
		t->budget = budget_for(e, t, t->target_days);
		clock_start(e, t, now);
		if (t->last_change < now)
			t->last_change =
			        now; /* used time is folded at now: no move dated before it */
	}
	engine_advance(e, now);
	return 0;
}

/* ---- self-check ------------------------------------------------------------------ */

/*
 * in_service of every member equals its tickets holding a slot, within the
 * limit; a ticket holds one exactly while it is Fast Track between receipt
 * and ready. O(members + tickets).
 */
static int check_slots(const struct engine *e, char *msg, size_t len)
{
	uint32_t *holding = xcalloc(e->memcap ? e->memcap : 1, sizeof *holding);
	int rc = 0;

	for (uint64_t id = 1; id <= e->ntickets && rc == 0; id++) {
		const struct ticket *t = tix(e, id);
		bool should = t->fast_track && t->member != 0 && in_service(t->state);
		if (t->holds_slot != should) {
			snprintf(msg, len, "ticket %" PRIu64 " (%s, %s) %s a slot", id,
			         t->fast_track ? "Fast Track" : "standard",
			         ticket_state_names[t->state],
			         t->holds_slot ? "holds" : "does not hold");
			rc = -1;
		} else if (t->holds_slot) {
			const struct member *m = member_find(e, t->member);
			if (m == NULL) {
				snprintf(msg, len, "ticket %" PRIu64 " holds a slot of no member",
				         id);
				rc = -1;
			} else {
				holding[m - e->members]++;
			}
		}
	}
	for (size_t i = 0; i < e->memcap && rc == 0; i++) {
		const struct member *m = &e->members[i];
		if (m->number == 0)
			continue;
		if (m->in_service > (uint32_t)e->cfg->in_service_limit) {
			snprintf(msg, len, "member %" PRIu64 ": %u in service, limit %d", m->number,
			         m->in_service, e->cfg->in_service_limit);
			rc = -1;
		} else if (holding[i] != m->in_service) {
			snprintf(msg, len,
			         "member %" PRIu64 ": %u in service but %u tickets hold a slot",
			         m->number, m->in_service, holding[i]);
			rc = -1;
		}
	}
	free(holding);
	return rc;
}

int engine_check(const struct engine *e, int64_t now, char *msg, size_t len)
{
	uint64_t prev = 0;

	if (!dheap_valid(&e->heap)) {
		snprintf(msg, len, "deadline heap out of order");
		return -1;
	}
	for (size_t i = 0; i < e->out_n; i++) {
		const struct event *ev = engine_outbox_at(e, i);
		if (ev->seq <= prev) {
			snprintf(msg, len, "event %zu: seq %" PRIu64 " after %" PRIu64, i, ev->seq,
			         prev);
			return -1;
		}
		prev = ev->seq;
	}
	if (check_slots(e, msg, len) < 0)
		return -1;
	for (uint64_t id = 1; id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		int64_t used = used_at(e, t, now);
		if (t->received_at && used > between(e, t, t->received_at, now)) {
			snprintf(msg, len, "ticket %" PRIu64 ": used %" PRId64 "s > elapsed", id,
			         used);
			return -1;
		}
		if (used < 0) {
			snprintf(msg, len, "ticket %" PRIu64 ": negative used time", id);
			return -1;
		}
		if (clock_runs(e, t) && (!t->at_risk || !t->breached) && t->deadline != 0 &&
		    !dheap_contains(&e->heap, idx_of(t))) {
			snprintf(msg, len, "ticket %" PRIu64 ": running but not scheduled", id);
			return -1;
		}
		if (!clock_runs(e, t) && dheap_contains(&e->heap, idx_of(t))) {
			snprintf(msg, len, "ticket %" PRIu64 ": scheduled while its clock stands",
			         id);
			return -1;
		}
	}
	return 0;
}

/* ---- journal support ---------------------------------------------------------------- */

size_t engine_changed_tickets(const struct engine *e, const uint64_t **ids)
{
	*ids = e->changed_tickets;
	return e->nchanged_tickets;
}

size_t engine_changed_members(const struct engine *e, const uint64_t **numbers)
{
	*numbers = e->changed_members;
	return e->nchanged_members;
}

void engine_clear_changes(struct engine *e)
{
	for (size_t i = 0; i < e->nchanged_tickets; i++)
		tix(e, e->changed_tickets[i])->dirty = 0;
	for (size_t i = 0; i < e->nchanged_members; i++) {
		struct member *m = member_find(e, e->changed_members[i]);
		if (m)
			m->dirty = false;
	}
	e->nchanged_tickets = 0;
	e->nchanged_members = 0;
}

const struct member *engine_member_any(const struct engine *e, uint64_t number)
{
	return member_find(e, number);
}

void engine_each_member(const struct engine *e, void (*fn)(const struct member *m, void *arg),
                        void *arg)
{
	for (size_t i = 0; i < e->memcap; i++)
		if (e->members[i].number != 0)
			fn(&e->members[i], arg);
}

int64_t engine_clock(const struct engine *e)
{
	return e->clock;
}

/* Capacity of a history array holding n entries (see hist_add). */
static uint32_t hist_cap(uint32_t n)
{
	uint32_t cap = 2;

	while (cap < n)
		cap *= 2;
	return n ? cap : 0;
}

int engine_restore_ticket(struct engine *e, const struct ticket_image *img)
{
	struct ticket *t;
	struct hist *old;
	const char *old_serial;
	uint32_t old_n;
	uint64_t id = img->t.id;

	if (id == 0 || id > e->ntickets + 1)
		return -1;
	if (id == e->ntickets + 1)
		t = ticket_new(e);
	else
		t = tix(e, id);
	/*
	 * A ticket is written whole after every change: reuse the strings of its
	 * previous record, or replay would use memory per record, not per ticket.
	 */
	old = t->hist;
	old_n = t->nhist;
	old_serial = t->serial;
	e->history_bytes -= hist_cap(old_n) * sizeof *old;
	*t = img->t;
	t->dirty = 0;
	t->serial = old_serial && strcmp(old_serial, img->serial) == 0
	                    ? old_serial
	                    : strarena_dup(&e->arena, img->serial, strlen(img->serial));
	t->product = strpool_intern(&e->strings, img->product);
	t->centre = strpool_intern(&e->strings, img->centre);
	if (t->centre >= e->ncentre_map)
		rebuild_centre_map(e);
	t->hist = NULL;
	t->nhist = 0;
	for (uint32_t i = 0; i < img->nhist; i++) {
		const struct hist_image *h = &img->hist[i];
		const char *detail = "";
		if (i < old_n && strcmp(old[i].detail, h->detail) == 0)
			detail = old[i].detail;
		else if (h->detail[0])
			detail = strarena_dup(&e->arena, h->detail, strlen(h->detail));
		hist_add(e, t, h->at, h->who, (enum hist_what)h->what, detail);
	}
	free(old);
	return 0;
}

void engine_restore_member(struct engine *e, const struct member *src)
{
	struct member *m = member_add(e, src->number);

	free(m->name);
	free(m->queued);
	*m = *src;
	m->name = src->name ? xstrdup(src->name) : NULL;
	m->queued = NULL;
	if (src->nqueued) {
		m->queued = xreallocarray(NULL, src->nqueued, sizeof *m->queued);
		memcpy(m->queued, src->queued, src->nqueued * sizeof *m->queued);
	}
	m->dirty = false;
}

static bool is_static_reason(const char *r)
{
	for (size_t i = 0; i < FT_REASON_COUNT; i++)
		if (r == ft_reason_names[i])
			return true;
	for (size_t i = 0; i < LOAN_REASON_COUNT; i++)
		if (r == loan_reason_names[i])
			return true;
	for (size_t i = 0; i < TSTATE_COUNT; i++)
		if (r == ticket_state_names[i])
			return true;
	for (size_t i = 0; i < sizeof restore_reasons / sizeof restore_reasons[0]; i++)
		if (r == restore_reasons[i])
			return true;
	return false;
}

void engine_restore_event(struct engine *e, const struct event *ev, const char *centre,
                          const char *product, const char *serial, const char *reason)
{
	struct ticket probe;
	size_t i;

	/* emit() copies from a ticket; give it one with the event's values. */
	memset(&probe, 0, sizeof probe);
	probe.id = ev->ticket;
	probe.member = ev->member;
	probe.deadline = ev->deadline;
	probe.serial = strarena_dup(&e->arena, serial, strlen(serial));
	probe.centre = strpool_intern(&e->strings, centre);
	probe.product = strpool_intern(&e->strings, product);
	probe.tier = ev->tier;
	probe.programme = ev->programme;
	probe.state = ev->state;
	/* Reasons are static texts in the engine: find the same one. */
	for (i = 0; i < FT_REASON_COUNT; i++)
		if (strcmp(ft_reason_names[i], reason) == 0)
			reason = ft_reason_names[i];
	for (i = 0; i < LOAN_REASON_COUNT; i++)
		if (strcmp(loan_reason_names[i], reason) == 0)
			reason = loan_reason_names[i];
	for (i = 0; i < TSTATE_COUNT; i++)
		if (strcmp(ticket_state_names[i], reason) == 0)
			reason = ticket_state_names[i];
	for (i = 0; i < sizeof restore_reasons / sizeof restore_reasons[0]; i++)
		if (strcmp(restore_reasons[i], reason) == 0)
			reason = restore_reasons[i];
	if (!is_static_reason(reason))
		reason = strarena_dup(&e->arena, reason, strlen(reason));
	e->seq = ev->seq - 1;
	emit(e, &probe, (enum event_type)ev->type, ev->at, reason);
}

void engine_restore_delivered(struct engine *e, uint64_t seq)
{
	size_t n = 0;

	while (n < e->out_n && engine_outbox_at(e, n)->seq <= seq)
		n++;
	engine_outbox_drop(e, n);
	if (seq > e->seq)
		e->seq = seq;
}

void engine_restore_clock(struct engine *e, int64_t clock)
{
	if (clock > e->clock)
		e->clock = clock;
}

void engine_restore_finish(struct engine *e)
{
	for (uint64_t id = 1; id <= e->ntickets; id++)
		schedule(e, tix(e, id));
	engine_clear_changes(e);
}
