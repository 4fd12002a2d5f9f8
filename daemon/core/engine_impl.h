/*
 * engine_impl: the engine's insides, shared by its files (engine.c,
 * engine-ticket.c, engine-query.c, engine-restore.c) and by nothing else:
 * the struct, small inline helpers and the internal functions (prefix eng_).
 * The public interface is include/engine.h.
 *
 * Pure, as the engine: no I/O, no clock.
 */
#ifndef REPAIRD_ENGINE_IMPL_H
#define REPAIRD_ENGINE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "deadline.h"
#include "engine.h"
#include "strpool.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1u << PAGE_SHIFT)

struct hist_free {
	struct hist_free *next;
	size_t slab; /* eng_hist_shrink's note of the slab it is in */
};

struct hist_pool {
	struct hist_free *free;
	void **slabs;
	size_t nslabs;
};

struct engine {
	const struct config *cfg;
	struct strpool strings; /* products, centre ids, user names */
	struct strarena arena;  /* serials, notes, history details */

	/*
	 * Tickets by id in pages of PAGE_SIZE. Ids 1..ntickets were issued and
	 * are never reused; ids up to id_base (a multiple of PAGE_SIZE) were all
	 * archived, so ticket id i lives at index i - 1 - id_base, page
	 * pages[index >> PAGE_SHIFT] (NULL once every ticket of a page was
	 * archived). A slot whose id is 0 is an archived ticket. page_live
	 * counts each page's tickets still in memory.
	 */
	struct ticket **pages;
	uint32_t *page_live;
	size_t npages;
	uint64_t ntickets;
	uint64_t id_base;
	uint64_t nlive; /* tickets in memory */
	/* Marked by engine_archive_select(), removed by engine_archive_remove(). */
	uint64_t *archiving;
	size_t narchiving, cap_archiving;

	const struct centre **centre_map; /* by interned centre id */
	uint32_t ncentre_map;

	struct member *members; /* open addressing by number; number 0 = empty slot */
	size_t memcap;
	size_t nmembers; /* slots in use, present or not */

	struct dheap heap;
	int64_t clock; /* the latest `now` processed */

	/*
	 * The outbox, a ring: ret_n delivered events kept for resending (oldest
	 * first), then out_n events waiting for delivery, of which the last
	 * out_unjournaled are not in the journal yet. Appending, delivering and
	 * journaling are O(1) whatever the number waiting.
	 */
	struct event *outbox;
	size_t out_head, ret_n, out_n, out_cap, out_unjournaled;
	size_t ret_max;      /* delivered events kept at most */
	int64_t ret_max_age; /* seconds; 0: no limit by age */
	uint64_t seq;
	/* Every event (of any type) since the journal last collected changes. */
	struct event *emitted;
	size_t nemitted, cap_emitted;
	/* Delivery state per stream: the last sequence delivered to each centre's stream. */
	struct eng_stream *streams;
	size_t nstreams;
	bool streams_dirty;

	uint64_t history_bytes;

	/* Changes since the journal last collected them. */
	uint64_t *changed_tickets;
	uint32_t *changed_nhist; /* each one's history length when it was first changed */
	size_t nchanged_tickets, cap_changed_tickets;
	uint64_t *changed_members;
	size_t nchanged_members, cap_changed_members;

	/*
	 * "from -> to" for a move without note or ETA, made once (malloc, not the
	 * arena: compaction leaves pointers outside it alone) and shared by every
	 * history entry that says it.
	 */
	/*
	 * The plain move texts "from -> to", one block of MOVE_TEXT_STRIDE bytes
	 * each, [from][to]: history entries share them, and the journal knows one
	 * by its address (engine_plain_move()).
	 */
	char *move_texts;

	/* ENGINE_DATES dates replies wrote: a cache, written through a const engine. */
	struct date_memo *dates;
	/*
	 * History arrays of capacity 2 (every ticket's first two entries) and 4
	 * come from slabs, not malloc, whose 16-byte chunk header would make a
	 * 32-byte array cost 48 and a 64-byte one 80: free ones are chained
	 * through their first bytes. hpool[0] holds arrays of 2, hpool[1] of 4.
	 * Slabs left wholly free go back when tickets leave memory (eng_hist_shrink).
	 */
	struct hist_pool hpool[2];
	uint32_t uid_repaird; /* "repaird" interned once: the author of the engine's own entries */
};
#define ENGINE_DATES 16 /* a power of two: 16 consecutive days */

struct eng_stream {
	uint32_t centre; /* interned centre id */
	bool dirty;      /* changed since the journal last collected changes */
	uint64_t delivered;
};

#define ENG_NRESTORE_REASONS 5
/* "budget", "deadline", "met", "missed", "": event reasons replay maps back. */
extern const char *const eng_restore_reasons[ENG_NRESTORE_REASONS];

/* The ticket with this id, NULL when there is none. */
static inline struct ticket *tix(const struct engine *e, uint64_t id)
{
	uint64_t i;
	struct ticket *t;

	if (id <= e->id_base || id > e->ntickets)
		return NULL;
	i = id - 1 - e->id_base;
	if (e->pages[i >> PAGE_SHIFT] == NULL)
		return NULL;
	t = &e->pages[i >> PAGE_SHIFT][i & (PAGE_SIZE - 1)];
	return t->id != 0 ? t : NULL;
}

/* The ticket's index in the deadline heap: its place in the pages. */
static inline uint32_t idx_of(const struct engine *e, const struct ticket *t)
{
	return (uint32_t)(t->id - 1 - e->id_base);
}

static inline struct ticket *tix_idx(const struct engine *e, uint32_t idx)
{
	return tix(e, (uint64_t)idx + 1 + e->id_base);
}

/* The first id that may still be in memory. */
static inline uint64_t first_id(const struct engine *e)
{
	return e->id_base + 1;
}

static inline const struct centre *centre_of(const struct engine *e, const struct ticket *t)
{
	return t->centre < e->ncentre_map ? e->centre_map[t->centre] : NULL;
}

static inline bool is_closed(const struct ticket *t)
{
	return t->state == TSTATE_RETURNED || t->state == TSTATE_CANCELLED;
}

/* In service: the item is at the centre and not yet ready. */
static inline bool in_service(enum ticket_state s)
{
	return s >= TSTATE_RECEIVED && s <= TSTATE_IN_REPAIR;
}

static inline bool clock_runs(const struct engine *e, const struct ticket *t)
{
	return in_service(t->state) && !(e->cfg->pause_states & (1u << t->state));
}

static inline size_t member_slot(const struct engine *e, uint64_t number)
{
	size_t mask = e->memcap - 1;
	size_t i = (size_t)((number * 0x9E3779B97F4A7C15ull) >> 20) & mask;

	while (e->members[i].number != 0 && e->members[i].number != number)
		i = (i + 1) & mask;
	return i;
}

static inline struct member *member_find(const struct engine *e, uint64_t number)
{
	size_t i;

	if (number == 0 || e->memcap == 0)
		return NULL;
	i = member_slot(e, number);
	return e->members[i].number == number ? &e->members[i] : NULL;
}

static inline int64_t between(const struct engine *e, const struct ticket *t, int64_t a, int64_t b)
{
	const struct centre *c = centre_of(e, t);

	return c ? calendar_between(&c->cal, a, b) : 0;
}

static inline int64_t used_at(const struct engine *e, const struct ticket *t, int64_t now)
{
	if (clock_runs(e, t) && now > t->clock_since)
		return t->used + between(e, t, t->clock_since, now);
	return t->used;
}

/* engine.c: errors, members, outbox and history, the clock, at risk, breach, loans. */
void eng_set_err(struct engine_error *err, enum engine_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void eng_rebuild_centre_map(struct engine *e);
void eng_touch(struct engine *e, struct ticket *t);
const char *eng_move_text(struct engine *e, enum ticket_state from, enum ticket_state to);
struct member *eng_member_add(struct engine *e, uint64_t number);
void eng_member_policy_view(const struct member *m, struct policy_member *pm);
/* The queue of a member's tickets waiting for a slot; both journal the member. */
void eng_queue_remove(struct engine *e, struct member *m, uint64_t id);
void eng_queue_push(struct engine *e, struct member *m, uint64_t id);
/* The member's slots or queue changed: the journal writes it at the commit. */
void eng_member_touch(struct engine *e, struct member *m);
void eng_emit(struct engine *e, const struct ticket *t, enum event_type type, int64_t at,
              const char *reason);
const char *eng_arena_text(struct engine *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void eng_hist_add(struct engine *e, struct ticket *t, int64_t at, const char *who,
                  enum hist_what what, const char *detail);
int64_t eng_add_business(const struct engine *e, const struct ticket *t, int64_t from,
                         int64_t secs);
int32_t eng_budget_for(const struct engine *e, const struct ticket *t, int days);
void eng_schedule(struct engine *e, struct ticket *t);
void eng_clock_stop(struct engine *e, struct ticket *t, int64_t at);
void eng_clock_start(struct engine *e, struct ticket *t, int64_t at);
void eng_make_loan_eligible(struct engine *e, struct ticket *t, enum loan_reason why, int64_t at);
void eng_check_forecast(struct engine *e, struct ticket *t, int64_t at);
/* engine-outbox.c: the event batch of this commit; the outbox's memory. */
void eng_emitted_clear(struct engine *e);
/* Drop the delivered events beyond the retention window (by count, by age at the clock). */
void eng_retention_trim(struct engine *e);
/* engine-restore.c: the engine's own static text for a reason read back, or a copy. */
const char *eng_static_reason(struct engine *e, const char *reason);
void eng_outbox_free(struct engine *e);
/* engine-ticket.c: a new ticket (dense ids); the slots after a reload moved the limit. */
struct ticket *eng_ticket_new(struct engine *e);
/* engine-archive.c: the slot of ticket id (<= ntickets), its page allocated if need be. */
struct ticket *eng_slot(struct engine *e, uint64_t id);
/* After replay: free the pages the archived tickets left empty, move id_base. */
void eng_archive_release_restored(struct engine *e);
/* Capacity of a history array holding n entries (see eng_hist_add). */
uint32_t eng_hist_cap(uint32_t n);
/* engine-hist.c: an array of 2 << k entries (k 0 or 1) from the slabs. */
struct hist *eng_hist_get(struct engine *e, unsigned k);
/* engine-hist.c: give back a ticket's history array of n entries (slab or malloc). */
void eng_hist_release(struct engine *e, struct hist *h, uint32_t n);
/* engine-hist.c: every slab back to malloc (engine_free: the arrays are all given back). */
void eng_hist_pools_free(struct engine *e);
/*
 * engine-hist.c: slabs of history arrays none of which is in use go back to malloc;
 * run after tickets left memory in bulk (archiving, replay).
 */
void eng_hist_shrink(struct engine *e);
/* engine-hist.c: bytes of the slabs history arrays of 2 and 4 entries come from, in use or free. */
uint64_t eng_hist_slab_bytes(const struct engine *e);
void eng_rebalance_slots(struct engine *e, int64_t now);

#endif
