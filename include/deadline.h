/*
 * deadline: one indexed binary min-heap holding, for each ticket that needs
 * attention later (at risk, breach), the instant it needs it. The daemon arms
 * a single timer on the top. Tickets are named by a dense index (id - 1).
 * O(log n) insert, update and remove; O(1) peek.
 *
 * Pure: no I/O, no clock.
 */
#ifndef REPAIRD_DEADLINE_H
#define REPAIRD_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * 12 bytes, not 16: packed to 4-byte alignment, as every open ticket has one
 * (the instant is read unaligned, which costs nothing on the targets we
 * build for). Only deadline.c touches the fields, never by address.
 */
struct __attribute__((packed, aligned(4))) dheap_entry {
	int64_t at;
	uint32_t idx;
};
_Static_assert(sizeof(struct dheap_entry) == 12, "a heap entry is 12 bytes");

struct dheap {
	struct dheap_entry *a; /* the heap, a[0] is the earliest */
	uint32_t n;
	uint32_t cap;
	uint32_t *pos; /* pos[idx] = heap position + 1, 0 when idx is not in the heap */
	uint32_t npos; /* entries allocated in pos */
};

void dheap_init(struct dheap *h);
void dheap_free(struct dheap *h);
/* Insert idx with key at, or move it to at if already present. */
void dheap_set(struct dheap *h, uint32_t idx, int64_t at);
/* Remove idx if present. */
void dheap_remove(struct dheap *h, uint32_t idx);
bool dheap_contains(const struct dheap *h, uint32_t idx);
/* The earliest entry; false when empty. Ties: any order. */
bool dheap_peek(const struct dheap *h, uint32_t *idx, int64_t *at);
/*
 * Every index dropped by delta (the tickets below it were archived and the
 * engine renumbered the rest): the order stays, the index memory shrinks.
 * No entry may have an index below delta.
 */
void dheap_rebase(struct dheap *h, uint32_t delta);
/* Give back the entries' memory beyond what n needs (after many left the heap). */
void dheap_shrink(struct dheap *h);
/* true when the heap property and the index agree everywhere (for tests). */
bool dheap_valid(const struct dheap *h);

#endif
