/*
 * engine: tickets, members, slots, the turnaround clock and the outbox.
 * This file: members, the outbox and history, the clock, at risk, breach and
 * loans, and the life cycle; engine-hist.c keeps the slabs of small history
 * arrays, engine-ticket.c opens and moves tickets (slots,
 * state machine, loans), engine-query.c reads, engine-restore.c checks
 * invariants and puts journal records back.
 *
 * The clock of a ticket is kept as "business seconds used before
 * clock_since" plus, while it runs, the business time since clock_since on
 * the centre's calendar. Nothing ticks: the deadline heap holds the next
 * instant each running ticket needs attention (at risk, breach) and
 * engine_advance() handles what fell due.
 */
#include "engine_impl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "xmalloc.h"

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
const char *const eng_restore_reasons[ENG_NRESTORE_REASONS] = {"budget", "deadline", "met",
                                                               "missed", ""};

/* ---- small helpers ------------------------------------------------------ */

void eng_set_err(struct engine_error *err, enum engine_status st, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->status = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

const char *engine_str(const struct engine *e, uint32_t id)
{
	const char *s = strpool_str(&e->strings, id);
	return s ? s : "";
}

void eng_rebuild_centre_map(struct engine *e)
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

void eng_member_touch(struct engine *e, struct member *m)
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

/*
 * A ticket changed: the journal will write it at the commit. Its history length now is what the
 * journal already has: every history entry goes through eng_hist_add(), which touches first.
 */
void eng_touch(struct engine *e, struct ticket *t)
{
	if (!t->dirty) {
		t->dirty = 1;
		if (e->nchanged_tickets == e->cap_changed_tickets) {
			e->cap_changed_tickets =
			        e->cap_changed_tickets ? e->cap_changed_tickets * 2 : 64;
			e->changed_tickets =
			        xreallocarray(e->changed_tickets, e->cap_changed_tickets,
			                      sizeof *e->changed_tickets);
			e->changed_nhist = xreallocarray(e->changed_nhist, e->cap_changed_tickets,
			                                 sizeof *e->changed_nhist);
		}
		e->changed_nhist[e->nchanged_tickets] = t->nhist;
		e->changed_tickets[e->nchanged_tickets++] = t->id;
	}
	if (t->archiving)
		t->rearchive = 1;
	/* Its member is journaled only when its slots change (eng_member_touch at each). */
}

struct member *eng_member_add(struct engine *e, uint64_t number)
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

void eng_member_policy_view(const struct member *m, struct policy_member *pm)
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

	eng_member_policy_view(m, &pm);
	return policy_effective_tier(e->cfg, &pm);
}

enum programme engine_member_programme(const struct engine *e, const struct member *m)
{
	struct policy_member pm;

	eng_member_policy_view(m, &pm);
	return policy_programme(e->cfg, &pm);
}

int engine_member_set(struct engine *e, const struct member_input *in, int64_t now,
                      struct engine_error *err)
{
	struct member *m;

	engine_advance(e, now);
	if (in->number == 0 || in->number > 999999999999ull) {
		eng_set_err(err, ENGINE_INVALID,
		            "member %" PRIu64 ": a membership number is 1-12 digits", in->number);
		return -1;
	}
	if (!country_code_exists(in->country)) {
		eng_set_err(err, ENGINE_INVALID, "country \"%s\": not an ISO 3166 country code",
		            in->country);
		return -1;
	}
	if (tier_is_enterprise(in->tier) && in->has_programme &&
	    in->programme != PROGRAMME_SUBSCRIPTION) {
		eng_set_err(err, ENGINE_INVALID,
		            "tier \"%s\": Enterprise tiers belong to the subscription programme",
		            tier_names[in->tier]);
		return -1;
	}
	m = eng_member_add(e, in->number);
	m->tier = in->tier;
	memcpy(m->country, in->country, sizeof m->country);
	m->has_programme = in->has_programme;
	m->programme = in->programme;
	m->expires = in->expires;
	free(m->name);
	m->name = in->name ? xstrdup(in->name) : NULL;
	m->present = true;
	eng_member_touch(e, m);
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
	eng_member_touch(e, m);
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

void eng_queue_remove(struct engine *e, struct member *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->nqueued; i++) {
		if (m->queued[i] == id) {
			eng_member_touch(e, m);
			memmove(&m->queued[i], &m->queued[i + 1],
			        (m->nqueued - i - 1) * sizeof *m->queued);
			m->nqueued--;
			return;
		}
	}
}

void eng_queue_push(struct engine *e, struct member *m, uint64_t id)
{
	eng_member_touch(e, m);
	m->queued = xreallocarray(m->queued, m->nqueued + 1, sizeof *m->queued);
	m->queued[m->nqueued++] = id;
}

/* ---- history (the outbox is engine-outbox.c) ----------------------------------- */

const char *eng_arena_text(struct engine *e, const char *fmt, ...)
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

/* Room for "from -> to": the two longest state names, the arrow, the NUL. */
#define MOVE_TEXT_STRIDE 48

const char *eng_move_text(struct engine *e, enum ticket_state from, enum ticket_state to)
{
	if (e->move_texts == NULL) {
		e->move_texts = xcalloc((size_t)TSTATE_COUNT * TSTATE_COUNT, MOVE_TEXT_STRIDE);
		for (int i = 0; i < TSTATE_COUNT; i++)
			for (int j = 0; j < TSTATE_COUNT; j++)
				snprintf(e->move_texts + (i * TSTATE_COUNT + j) * MOVE_TEXT_STRIDE,
				         MOVE_TEXT_STRIDE, "%s -> %s", ticket_state_names[i],
				         ticket_state_names[j]);
	}
	return e->move_texts + ((size_t)from * TSTATE_COUNT + to) * MOVE_TEXT_STRIDE;
}

bool engine_plain_move(const struct engine *e, const char *detail, unsigned *from, unsigned *to)
{
	size_t off;

	if (e->move_texts == NULL || detail < e->move_texts ||
	    detail >= e->move_texts + (size_t)TSTATE_COUNT * TSTATE_COUNT * MOVE_TEXT_STRIDE)
		return false;
	off = (size_t)(detail - e->move_texts);
	if (off % MOVE_TEXT_STRIDE != 0)
		return false;
	*from = (unsigned)(off / MOVE_TEXT_STRIDE / TSTATE_COUNT);
	*to = (unsigned)(off / MOVE_TEXT_STRIDE % TSTATE_COUNT);
	return true;
}

/* Room for one more entry: capacity is the next power of two at or above nhist (at least 2). */
static void hist_grow(struct engine *e, struct ticket *t)
{
	struct hist *h;

	if (t->hist == NULL) {
		t->hist = eng_hist_get(e, 0);
		e->history_bytes += 2 * sizeof *t->hist;
	} else if (t->nhist == 2 || t->nhist == 4) {
		h = t->nhist == 2 ? eng_hist_get(e, 1) : xreallocarray(NULL, 8, sizeof *h);
		memcpy(h, t->hist, t->nhist * sizeof *h);
		eng_hist_release(e, t->hist, t->nhist);
		t->hist = h;
		e->history_bytes += t->nhist * sizeof *t->hist;
	} else if (t->nhist > 4 && (t->nhist & (t->nhist - 1)) == 0) {
		t->hist = xreallocarray(t->hist, (size_t)t->nhist * 2, sizeof *t->hist);
		e->history_bytes += t->nhist * sizeof *t->hist;
	}
}

void eng_hist_add(struct engine *e, struct ticket *t, int64_t at, const char *who,
                  enum hist_what what, const char *detail)
{
	struct hist *h;
	uint32_t uid, at2000, pos;

	eng_touch(e, t);
	hist_grow(e, t);
	uid = who ? strpool_intern(&e->strings, who) : e->uid_repaird;
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
	if (pos != t->nhist)
		t->whole = 1; /* not an append: a delta record could not say where it went */
	memmove(&t->hist[pos + 1], &t->hist[pos], (t->nhist - pos) * sizeof *t->hist);
	t->nhist++;
	h = &t->hist[pos];
	h->at2000 = at2000;
	h->who_what = uid << 8 | (uint32_t)what;
	h->detail = detail ? detail : "";
}

/* ---- the clock -------------------------------------------------------------- */

/* Where a budget of `secs` business seconds from `from` runs out. */
int64_t eng_add_business(const struct engine *e, const struct ticket *t, int64_t from, int64_t secs)
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

void engine_ticket_clock(const struct engine *e, const struct ticket *t, int64_t now,
                         struct ticket_clock *c)
{
	c->used = used_at(e, t, now);
	c->remaining = t->budget - c->used;
	c->running = clock_runs(e, t);
	c->paused = in_service(t->state) && !c->running;
}

int32_t eng_budget_for(const struct engine *e, const struct ticket *t, int days)
{
	const struct centre *c = centre_of(e, t);

	return ticket_secs((int64_t)days * (c ? c->cal.day_seconds : 8 * 3600));
}

static int64_t at_risk_threshold(const struct engine *e, const struct ticket *t)
{
	/* Rounded up: at risk once at least this share of the budget is used. */
	return ((int64_t)t->budget * e->cfg->at_risk_permille + 999) / 1000;
}

/* eng_add_business() from a position found already (NULL: no centre). */
static int64_t add_business_from(const struct centre *c, const struct cal_pos *p, int64_t secs)
{
	int64_t out;

	if (c == NULL || secs <= 0)
		return p->t;
	if (calendar_add_from(&c->cal, p, secs, &out) != CAL_OK)
		return c->cal.until;
	return out;
}

/*
 * The heap entry for the ticket's next instant of attention; since is
 * clock_since's place in its centre's calendar (from eng_clock_start(), which
 * has just found it for the deadline), or NULL to find it here.
 */
static void schedule(struct engine *e, struct ticket *t, const struct cal_pos *since)
{
	int64_t next = INT64_MAX;

	if (clock_runs(e, t)) {
		if (!t->at_risk) {
			int64_t left = at_risk_threshold(e, t) - t->used;
			int64_t at = since ? add_business_from(centre_of(e, t), since, left)
			                   : eng_add_business(e, t, t->clock_since, left);
			if (at < next)
				next = at;
		}
		/* Breached once the deadline has passed: the first second after it. */
		if (!t->breached && t->deadline != 0 && t->deadline + 1 < next)
			next = t->deadline + 1;
	}
	if (next == INT64_MAX)
		dheap_remove(&e->heap, idx_of(e, t));
	else
		dheap_set(&e->heap, idx_of(e, t), next);
}

/* Put the ticket in the heap at its next instant of attention, or take it out. */
void eng_schedule(struct engine *e, struct ticket *t)
{
	schedule(e, t, NULL);
}

/* Stop the clock at `at` (if it runs), folding the time since clock_since into used. */
void eng_clock_stop(struct engine *e, struct ticket *t, int64_t at)
{
	eng_touch(e, t);
	if (clock_runs(e, t) && at > t->clock_since)
		t->used = ticket_secs(t->used + between(e, t, t->clock_since, at));
	t->clock_since = at;
}

/* After a state change at `at`: start the clock if the new state runs it. */
void eng_clock_start(struct engine *e, struct ticket *t, int64_t at)
{
	const struct centre *c = centre_of(e, t);
	struct cal_pos pos = {.t = at};

	eng_touch(e, t);
	t->clock_since = at;
	if (clock_runs(e, t)) {
		int64_t left = (int64_t)t->budget - t->used;
		/* Where `at` lies in the calendar: for the deadline and the at-risk instant. */
		if (c != NULL)
			calendar_pos(&c->cal, at, &pos);
		if (left > 0)
			t->deadline = add_business_from(c, &pos, left);
		else if (!t->breached)
			t->deadline = at; /* over budget already (a shorter target): due now */
		schedule(e, t, &pos);
		return;
	}
	if (!t->breached && in_service(t->state))
		t->deadline = 0; /* paused: the deadline moves with the pause */
	schedule(e, t, NULL);
}

/* ---- decisions ------------------------------------------------------------------ */

void eng_make_loan_eligible(struct engine *e, struct ticket *t, enum loan_reason why, int64_t at)
{
	if (t->loan_eligible || !t->fast_track)
		return;
	if (!(policy_loan_rule(e->cfg, (enum programme)t->programme, (enum tier)t->tier) &
	      (1u << why)))
		return;
	t->loan_eligible = 1;
	t->loan_reason = (uint8_t)why;
	eng_hist_add(e, t, at, NULL, HIST_LOAN_ELIGIBLE, loan_reason_names[why]);
	eng_emit(e, t, EVENT_LOAN_ELIGIBLE, at, loan_reason_names[why]);
}

static void mark_at_risk(struct engine *e, struct ticket *t, int64_t at, const char *why)
{
	if (t->at_risk)
		return;
	t->at_risk = 1;
	if (at > t->last_change)
		t->last_change = at; /* no later move may be dated before a reported event */
	eng_hist_add(e, t, at, NULL, HIST_AT_RISK, why);
	eng_emit(e, t, EVENT_TICKET_AT_RISK, at, why);
}

static void mark_breached(struct engine *e, struct ticket *t, int64_t at)
{
	if (t->breached)
		return;
	mark_at_risk(e, t, at, eng_restore_reasons[0]);
	t->breached = 1;
	if (at > t->last_change)
		t->last_change = at;
	eng_hist_add(e, t, at, NULL, HIST_BREACHED, "deadline passed");
	eng_emit(e, t, EVENT_TICKET_BREACHED, at, eng_restore_reasons[1]);
	eng_make_loan_eligible(e, t, LOAN_REASON_BREACH, at);
}

/* A forecast miss: waiting for parts whose ETA lies beyond the deadline. */
void eng_check_forecast(struct engine *e, struct ticket *t, int64_t at)
{
	int64_t due;

	if (t->state != TSTATE_AWAITING_PARTS || t->eta == 0)
		return;
	due = t->deadline;
	if (due == 0)
		due = eng_add_business(e, t, at, (int64_t)t->budget - t->used);
	if (t->eta > due) {
		mark_at_risk(e, t, at, loan_reason_names[LOAN_REASON_FORECAST]);
		eng_make_loan_eligible(e, t, LOAN_REASON_FORECAST, at);
		eng_schedule(e, t);
	}
}

/* Handle whatever this ticket has due at or before now. */
static void process_due(struct engine *e, struct ticket *t, int64_t now)
{
	const struct centre *c = centre_of(e, t);
	struct cal_pos since = {.t = t->clock_since};

	if (!clock_runs(e, t))
		return;
	if (!t->at_risk) {
		/* clock_since's place, found once: the rescheduling below starts there too. */
		int64_t left = at_risk_threshold(e, t) - t->used, at;
		if (c != NULL)
			calendar_pos(&c->cal, t->clock_since, &since);
		at = add_business_from(c, &since, left);
		if (at <= now)
			mark_at_risk(e, t, at, eng_restore_reasons[0]);
	}
	if (!t->breached && t->deadline != 0 && t->deadline < now)
		mark_breached(e, t, t->deadline);
	/* Nothing above moves clock_since; once at risk, schedule() has no use for it. */
	schedule(e, t, t->at_risk ? NULL : &since);
}

bool engine_advance_max(struct engine *e, int64_t now, size_t max, size_t *done)
{
	size_t n = 0;
	uint32_t idx;
	int64_t at;

	if (now > e->clock) {
		e->clock = now;
		if (e->ret_n > 0 && e->ret_max_age > 0)
			eng_retention_trim(e); /* the window is by age too */
	}
	/*
	 * The heap gives the order; stopping after max and going on later with
	 * the same now pops the same entries in the same order, so slices change
	 * nothing but when the work happens. Each ticket popped leaves the due
	 * part of the heap (rescheduled past now or removed): exactly once.
	 */
	while (n < max && dheap_peek(&e->heap, &idx, &at) && at <= now) {
		struct ticket *t = tix_idx(e, idx);
		process_due(e, t, now);
		/* process_due always reschedules past now or removes; guard anyway. */
		if (dheap_peek(&e->heap, &idx, &at) && at <= now && idx == idx_of(e, t))
			dheap_remove(&e->heap, idx);
		n++;
	}
	if (done)
		*done = n;
	return dheap_peek(&e->heap, &idx, &at) && at <= now;
}

size_t engine_advance(struct engine *e, int64_t now)
{
	size_t n;

	engine_advance_max(e, now, SIZE_MAX, &n);
	return n;
}

bool engine_next_due(const struct engine *e, int64_t *at)
{
	uint32_t idx;

	return dheap_peek(&e->heap, &idx, at);
}

/* ---- life cycle ------------------------------------------------------------------- */

struct engine *engine_new(const struct config *cfg)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->cfg = cfg;
	strpool_init(&e->strings);
	strarena_init(&e->arena);
	dheap_init(&e->heap);
	eng_rebuild_centre_map(e);
	e->uid_repaird = strpool_intern(&e->strings, "repaird");
	e->ret_max = ENGINE_RETAIN_EVENTS;
	e->dates = xcalloc(ENGINE_DATES, sizeof *e->dates);
	return e;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (t)
			eng_hist_release(e, t->hist, t->nhist);
	}
	eng_hist_pools_free(e);
	for (size_t i = 0; i < e->npages; i++)
		free(e->pages[i]);
	free(e->pages);
	free(e->page_live);
	free(e->archiving);
	for (size_t i = 0; i < e->memcap; i++) {
		free(e->members[i].name);
		free(e->members[i].queued);
	}
	free(e->members);
	free(e->centre_map);
	eng_outbox_free(e);
	free(e->changed_tickets);
	free(e->changed_nhist);
	free(e->changed_members);
	free(e->move_texts);
	free(e->dates);
	dheap_free(&e->heap);
	strarena_free(&e->arena);
	strpool_free(&e->strings);
	free(e);
}

const struct config *engine_config(const struct engine *e)
{
	return e->cfg;
}

int engine_set_config(struct engine *e, const struct config *cfg, int64_t now,
                      struct engine_error *err)
{
	engine_advance(e, now);
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		if (t && !is_closed(t) && config_centre(cfg, engine_str(e, t->centre)) == NULL) {
			eng_set_err(
			        err, ENGINE_INVALID,
			        "centre \"%s\" is missing from the new configuration but ticket "
			        "%" PRIu64 " there is open",
			        engine_str(e, t->centre), t->id);
			return -1;
		}
	}
	/* Fold the time used so far on the old calendar, then switch. */
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (t && !is_closed(t))
			eng_clock_stop(e, t, now);
	}
	e->cfg = cfg;
	eng_rebuild_centre_map(e);
	eng_rebalance_slots(e, now);
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		const struct centre *c;
		const struct product *p;
		if (t == NULL || is_closed(t))
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
		t->budget = eng_budget_for(e, t, t->target_days);
		eng_clock_start(e, t, now);
		if (t->last_change < now)
			t->last_change =
			        now; /* used time is folded at now: no move dated before it */
	}
	engine_advance(e, now);
	return 0;
}
