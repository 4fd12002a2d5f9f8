/*
 * engine-archive: retention. Closed tickets past the retention period leave
 * memory at compaction (see engine.h for the three steps). Memory is really
 * given back: the ticket's history, its strings (the arena is copied without
 * them), its page once the whole page is archived, and the leading pages
 * and the deadline heap's index by moving id_base up.
 *
 * Pure, as the engine: no I/O, no clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "xmalloc.h"

/* ---- slots ------------------------------------------------------------------------ */

/* Make pages[] cover page p (new entries NULL). */
static void pages_cover(struct engine *e, size_t p)
{
	if (p < e->npages)
		return;
	e->pages = xreallocarray(e->pages, p + 1, sizeof *e->pages);
	e->page_live = xreallocarray(e->page_live, p + 1, sizeof *e->page_live);
	memset(e->pages + e->npages, 0, (p + 1 - e->npages) * sizeof *e->pages);
	memset(e->page_live + e->npages, 0, (p + 1 - e->npages) * sizeof *e->page_live);
	e->npages = p + 1;
}

struct ticket *eng_slot(struct engine *e, uint64_t id)
{
	uint64_t i = id - 1 - e->id_base;
	size_t p = (size_t)(i >> PAGE_SHIFT);
	struct ticket *t;

	pages_cover(e, p);
	if (e->pages[p] == NULL)
		e->pages[p] = xcalloc(PAGE_SIZE, sizeof **e->pages);
	t = &e->pages[p][i & (PAGE_SIZE - 1)];
	memset(t, 0, sizeof *t);
	t->id = id;
	e->page_live[p]++;
	e->nlive++;
	return t;
}

bool engine_ticket_archived(const struct engine *e, uint64_t id)
{
	return id != 0 && id <= e->ntickets && tix(e, id) == NULL;
}

void engine_restore_ids(struct engine *e, uint64_t n)
{
	if (n <= e->ntickets)
		return;
	if (n - e->id_base >= UINT32_MAX)
		fatalx("ticket ids exhausted");
	/* Pages stay NULL until a ticket of theirs is restored. */
	pages_cover(e, (size_t)((n - 1 - e->id_base) >> PAGE_SHIFT));
	e->ntickets = n;
}

/* ---- select, cancel ------------------------------------------------------------------ */

size_t engine_archive_select(struct engine *e, int64_t cutoff)
{
	engine_archive_cancel(e);
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (t == NULL || !is_closed(t) || t->closed_at > cutoff)
			continue;
		if (e->narchiving == e->cap_archiving) {
			e->cap_archiving = e->cap_archiving ? e->cap_archiving * 2 : 256;
			e->archiving =
			        xreallocarray(e->archiving, e->cap_archiving, sizeof *e->archiving);
		}
		e->archiving[e->narchiving++] = id;
		t->archiving = 1;
		t->rearchive = 0;
	}
	return e->narchiving;
}

size_t engine_archive_marked(const struct engine *e, const uint64_t **ids)
{
	*ids = e->archiving;
	return e->narchiving;
}

void engine_archive_cancel(struct engine *e)
{
	for (size_t i = 0; i < e->narchiving; i++) {
		struct ticket *t = tix(e, e->archiving[i]);
		if (t)
			t->archiving = t->rearchive = 0;
	}
	e->narchiving = 0;
	/* A large selection's list is not kept for the next one. */
	free(e->archiving);
	e->archiving = NULL;
	e->cap_archiving = 0;
}

/* ---- the arena: keep only the strings still in use ------------------------------------ */

struct owned {
	uintptr_t *starts; /* the old arena's blocks, sorted */
	size_t n;
	struct strarena *to;
};

static int cmp_uintptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * p moved into the new arena when the old one holds it, else unchanged
 * (static text). Every block holds at least STRARENA_BLOCK bytes from its
 * start, and an oversized one a single string at its start, so the range
 * test is exact.
 */
static const char *move_str(const struct owned *o, const char *p)
{
	uintptr_t v = (uintptr_t)p;
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->starts[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || v - o->starts[lo - 1] >= STRARENA_BLOCK)
		return p;
	return strarena_dup(o->to, p, strlen(p));
}

static void move_event(const struct owned *o, struct event *ev)
{
	ev->serial = move_str(o, ev->serial);
	ev->reason = move_str(o, ev->reason);
}

/* Copy every string still referenced into a new arena and free the old one. */
static void arena_compact(struct engine *e)
{
	struct strarena old = e->arena;
	struct owned o;

	o.n = old.nblocks;
	o.starts = xcalloc(o.n ? o.n : 1, sizeof *o.starts);
	for (size_t i = 0; i < o.n; i++)
		o.starts[i] = (uintptr_t)old.blocks[i];
	qsort(o.starts, o.n, sizeof *o.starts, cmp_uintptr);
	strarena_init(&e->arena);
	o.to = &e->arena;
	for (uint64_t id = first_id(e); id <= e->ntickets; id++) {
		struct ticket *t = tix(e, id);
		if (t == NULL)
			continue;
		t->serial = move_str(&o, t->serial);
		for (uint32_t i = 0; i < t->nhist; i++)
			t->hist[i].detail = move_str(&o, t->hist[i].detail);
	}
	for (size_t i = 0; i < e->ret_n + e->out_n; i++)
		move_event(&o, &e->outbox[(e->out_head + i) % e->out_cap]);
	for (size_t i = 0; i < e->nemitted; i++)
		move_event(&o, &e->emitted[i]);
	free(o.starts);
	strarena_free(&old);
}

/* ---- remove ---------------------------------------------------------------------------- */

static void ticket_free(struct engine *e, struct ticket *t)
{
	size_t i = (size_t)(t->id - 1 - e->id_base);

	dheap_remove(&e->heap, idx_of(e, t)); /* closed: not there; for safety */
	eng_hist_release(e, t->hist, t->nhist);
	e->history_bytes -= (uint64_t)eng_hist_cap(t->nhist) * sizeof *t->hist;
	memset(t, 0, sizeof *t); /* id 0: archived */
	e->page_live[i >> PAGE_SHIFT]--;
	e->nlive--;
}

/*
 * Free every page whose tickets were all archived (and whose ids were all
 * issued), then move id_base past the leading free pages so that neither
 * the page table nor the heap's index grow with history.
 */
static void pages_release(struct engine *e)
{
	size_t lead = 0;

	for (size_t p = 0; p < e->npages; p++) {
		uint64_t last = e->id_base + ((uint64_t)p + 1) * PAGE_SIZE;
		if (e->pages[p] != NULL && e->page_live[p] == 0 && last <= e->ntickets) {
			free(e->pages[p]);
			e->pages[p] = NULL;
		}
	}
	while (lead < e->npages && e->pages[lead] == NULL &&
	       e->id_base + ((uint64_t)lead + 1) * PAGE_SIZE <= e->ntickets)
		lead++;
	if (lead == 0)
		return;
	memmove(e->pages, e->pages + lead, (e->npages - lead) * sizeof *e->pages);
	memmove(e->page_live, e->page_live + lead, (e->npages - lead) * sizeof *e->page_live);
	e->npages -= lead;
	e->id_base += (uint64_t)lead * PAGE_SIZE;
	dheap_rebase(&e->heap, (uint32_t)(lead * PAGE_SIZE));
}

size_t engine_archive_remove(struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->narchiving; i++) {
		struct ticket *t = tix(e, e->archiving[i]);
		if (t == NULL || !t->archiving)
			continue;
		ticket_free(e, t);
		n++;
	}
	engine_archive_cancel(e);
	if (n == 0)
		return 0;
	pages_release(e);
	arena_compact(e);
	eng_hist_shrink(e);
	/*
	 * Arrays sized by the busiest moment since the last archiving (the
	 * heap, the change lists) go back to what is in use now.
	 */
	dheap_shrink(&e->heap);
	if (e->nchanged_tickets == 0) {
		free(e->changed_tickets);
		free(e->changed_nhist);
		e->changed_tickets = NULL;
		e->changed_nhist = NULL;
		e->cap_changed_tickets = 0;
	}
	return n;
}

void eng_archive_release_restored(struct engine *e)
{
	pages_release(e);
}
