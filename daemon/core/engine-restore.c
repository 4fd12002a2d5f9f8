/*
 * engine-restore: the self-check of the engine's invariants (for tests) and
 * journal support: what changed since the last commit, and replay of
 * records into the engine exactly as they describe it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "xmalloc.h"

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

	for (uint64_t id = first_id(e); id <= e->ntickets && rc == 0; id++) {
		const struct ticket *t = tix(e, id);
		bool should;
		if (t == NULL)
			continue;
		should = t->fast_track && t->member != 0 && in_service(t->state);
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
	/* Storage: each page's count of tickets in memory, and the total. */
	{
		uint64_t live = 0;
		for (size_t p = 0; p < e->npages; p++) {
			uint32_t n = 0;
			for (size_t i = 0; e->pages[p] && i < PAGE_SIZE; i++)
				n += e->pages[p][i].id != 0;
			if (n != e->page_live[p]) {
				snprintf(msg, len, "page %zu: %u tickets, counted %u", p, n,
				         e->page_live[p]);
				return -1;
			}
			live += n;
		}
		if (live != e->nlive) {
			snprintf(msg, len, "%" PRIu64 " tickets in memory, counted %" PRIu64, live,
			         e->nlive);
			return -1;
		}
	}
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		const struct ticket *t = tix(e, id);
		int64_t used;
		if (t == NULL)
			continue;
		used = used_at(e, t, now);
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
		    !dheap_contains(&e->heap, idx_of(e, t))) {
			snprintf(msg, len, "ticket %" PRIu64 ": running but not scheduled", id);
			return -1;
		}
		if (!clock_runs(e, t) && dheap_contains(&e->heap, idx_of(e, t))) {
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
	for (size_t i = 0; i < e->nchanged_tickets; i++) {
		struct ticket *t = tix(e, e->changed_tickets[i]);
		if (t == NULL)
			continue; /* archived since it changed */
		t->dirty = 0;
		t->whole = 0;
	}
	for (size_t i = 0; i < e->nchanged_members; i++) {
		struct member *m = member_find(e, e->changed_members[i]);
		if (m)
			m->dirty = false;
	}
	e->nchanged_tickets = 0;
	e->nchanged_members = 0;
	eng_emitted_clear(e);
}

uint32_t engine_changed_ticket_nhist(const struct engine *e, size_t i)
{
	return i < e->nchanged_tickets ? e->changed_nhist[i] : 0;
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

int engine_ticket_set_packed(struct ticket *t, int64_t used, int64_t budget, unsigned loan_state,
                             int met)
{
	if (used != ticket_secs(used) || budget != ticket_secs(budget) ||
	    loan_state > LOAN_RETURNED || met < -1 || met > 1)
		return -1;
	t->used = (int32_t)used;
	t->budget = (int32_t)budget;
	t->loan_state = loan_state & 3u;
	t->met = met < 0 ? -1 : met > 0 ? 1 : 0;
	return 0;
}

uint32_t eng_hist_cap(uint32_t n)
{
	uint32_t cap = 2;

	while (cap < n)
		cap *= 2;
	return n ? cap : 0;
}

/*
 * A restored history detail: a plain move's "from -> to" is the engine's
 * shared text, as when the move was made (one copy for all, not one each);
 * anything else a copy in the arena.
 */
static const char *restored_detail(struct engine *e, const char *detail)
{
	const char *arrow = strstr(detail, " -> ");

	if (detail[0] == '\0')
		return "";
	if (arrow != NULL) {
		int from = -1, to = -1;
		for (int i = 0; i < TSTATE_COUNT; i++) {
			size_t n = strlen(ticket_state_names[i]);
			if ((size_t)(arrow - detail) == n &&
			    memcmp(detail, ticket_state_names[i], n) == 0)
				from = i;
			if (strcmp(arrow + 4, ticket_state_names[i]) == 0)
				to = i;
		}
		if (from >= 0 && to >= 0)
			return eng_move_text(e, (enum ticket_state)from, (enum ticket_state)to);
	}
	return strarena_dup(&e->arena, detail, strlen(detail));
}

int engine_restore_ticket(struct engine *e, const struct ticket_image *img)
{
	struct ticket *t;
	struct hist *old;
	const char *old_serial;
	uint32_t old_n;
	uint64_t id = img->t.id;

	if (id == 0 || id > e->ntickets + 1 || id <= e->id_base)
		return -1;
	if (id == e->ntickets + 1)
		t = eng_ticket_new(e);
	else if ((t = tix(e, id)) == NULL)
		t = eng_slot(e, id); /* a gap a snapshot left for archived tickets */
	/*
	 * A ticket is written whole after every change: reuse the strings of its
	 * previous record, or replay would use memory per record, not per ticket.
	 */
	old = t->hist;
	old_n = t->nhist;
	old_serial = t->serial;
	e->history_bytes -= eng_hist_cap(old_n) * sizeof *old;
	*t = img->t;
	t->dirty = 0;
	t->whole = 0;
	t->serial = old_serial && strcmp(old_serial, img->serial) == 0
	                    ? old_serial
	                    : strarena_dup(&e->arena, img->serial, strlen(img->serial));
	t->product = strpool_intern(&e->strings, img->product);
	t->centre = strpool_intern(&e->strings, img->centre);
	if (t->centre >= e->ncentre_map)
		eng_rebuild_centre_map(e);
	t->hist = NULL;
	t->nhist = 0;
	t->dirty = 1; /* replay: not a change for the journal's list */
	for (uint32_t i = 0; i < img->nhist; i++) {
		const struct hist_image *h = &img->hist[i];
		const char *detail = "";
		if (i < old_n && strcmp(old[i].detail, h->detail) == 0)
			detail = old[i].detail;
		else
			detail = restored_detail(e, h->detail);
		eng_hist_add(e, t, h->at, h->who, (enum hist_what)h->what, detail);
	}
	t->dirty = 0;
	t->whole = 0;
	eng_hist_release(e, old, old_n);
	return 0;
}

void engine_restore_member(struct engine *e, const struct member *src)
{
	struct member *m = eng_member_add(e, src->number);

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
	for (size_t i = 0; i < ENG_NRESTORE_REASONS; i++)
		if (r == eng_restore_reasons[i])
			return true;
	return false;
}

const char *eng_static_reason(struct engine *e, const char *reason)
{
	size_t i;

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
	for (i = 0; i < ENG_NRESTORE_REASONS; i++)
		if (strcmp(eng_restore_reasons[i], reason) == 0)
			reason = eng_restore_reasons[i];
	if (!is_static_reason(reason))
		reason = strarena_dup(&e->arena, reason, strlen(reason));
	return reason;
}

int engine_restore_delta(struct engine *e, const struct ticket *img, uint32_t nhist,
                         const struct hist_image *hist, uint32_t nnew)
{
	struct ticket *t = tix(e, img->id);
	struct ticket keep;

	if (t == NULL || t->nhist != nhist)
		return -1;
	keep = *t;
	*t = *img;
	t->id = keep.id;
	t->member = keep.member;
	t->created_at = keep.created_at;
	t->tier = keep.tier;
	t->programme = keep.programme;
	t->pclass = keep.pclass;
	t->service = keep.service;
	t->serial = keep.serial;
	t->hist = keep.hist;
	t->nhist = keep.nhist;
	t->product = keep.product;
	t->centre = keep.centre;
	t->dirty = 1; /* replay: not a change for the journal's list */
	for (uint32_t i = 0; i < nnew; i++) {
		const struct hist_image *h = &hist[i];
		const char *detail = restored_detail(e, h->detail);
		eng_hist_add(e, t, h->at, h->who, (enum hist_what)h->what, detail);
	}
	/* Entries appended in the order they were made: replay puts them where they went. */
	if (t->nhist != nhist + nnew)
		return -1;
	t->dirty = 0;
	t->whole = 0;
	return 0;
}

void engine_restore_clock(struct engine *e, int64_t clock)
{
	if (clock > e->clock)
		e->clock = clock;
}

void engine_restore_finish(struct engine *e)
{
	eng_archive_release_restored(e);
	eng_hist_shrink(e); /* arrays replay outgrew or replaced */
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (t)
			eng_schedule(e, t);
	}
	if (e->out_cap > 0)
		eng_retention_trim(e); /* replay restores the clock without advancing */
	engine_clear_changes(e);
}
