/* deadline: an indexed binary min-heap on (at, idx). */
#include "deadline.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define DHEAP_MINCAP 16

void dheap_init(struct dheap *h)
{
	memset(h, 0, sizeof *h);
}

void dheap_free(struct dheap *h)
{
	free(h->a);
	free(h->pos);
	dheap_init(h);
}

/* Double a uint32_t capacity until it exceeds need; fatal past UINT32_MAX entries. */
static uint32_t grow_cap(uint32_t cap, uint32_t need)
{
	uint64_t c = cap ? cap : DHEAP_MINCAP;

	while (c <= need)
		c *= 2;
	if (c > UINT32_MAX)
		c = UINT32_MAX;
	if (c <= need)
		fatalx("dheap: %u entries is too many", need);
	return (uint32_t)c;
}

/*
 * Positions are size_t so that 2 * i + 1 cannot wrap; they are stored + 1 in
 * pos[], which fits because n < UINT32_MAX.
 */
static void place(struct dheap *h, size_t i, struct dheap_entry e)
{
	h->a[i] = e;
	h->pos[e.idx] = (uint32_t)(i + 1);
}

/*
 * Ties on the instant go by index: the order in which simultaneous deadlines
 * are handled (and their events numbered) then does not depend on the
 * heap's history, so a replayed engine goes on exactly like the original.
 */
static bool before(struct dheap_entry a, struct dheap_entry b)
{
	return a.at < b.at || (a.at == b.at && a.idx < b.idx);
}

static void sift_up(struct dheap *h, size_t i)
{
	struct dheap_entry e = h->a[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(e, h->a[parent]))
			break;
		place(h, i, h->a[parent]);
		i = parent;
	}
	place(h, i, e);
}

static void sift_down(struct dheap *h, size_t i)
{
	struct dheap_entry e = h->a[i];
	size_t n = h->n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(h->a[c + 1], h->a[c]))
			c++;
		if (!before(h->a[c], e))
			break;
		place(h, i, h->a[c]);
		i = c;
	}
	place(h, i, e);
}

/* Make pos[] cover idx; new entries are 0 (absent). */
static void cover_idx(struct dheap *h, uint32_t idx)
{
	uint32_t npos;

	if (idx < h->npos)
		return;
	if (idx == UINT32_MAX)
		fatalx("dheap: index %u out of range", idx);
	npos = grow_cap(h->npos, idx);
	h->pos = xreallocarray(h->pos, npos, sizeof *h->pos);
	memset(h->pos + h->npos, 0, (size_t)(npos - h->npos) * sizeof *h->pos);
	h->npos = npos;
}

void dheap_set(struct dheap *h, uint32_t idx, int64_t at)
{
	struct dheap_entry e = {.at = at, .idx = idx};
	size_t i;
	int64_t old;

	cover_idx(h, idx);
	if (h->pos[idx] != 0) {
		i = h->pos[idx] - 1;
		old = h->a[i].at;
		h->a[i].at = at;
		if (at < old)
			sift_up(h, i);
		else if (at > old)
			sift_down(h, i);
		return;
	}
	if (h->n == h->cap) {
		h->cap = grow_cap(h->cap, h->n);
		h->a = xreallocarray(h->a, h->cap, sizeof *h->a);
	}
	i = h->n++;
	place(h, i, e);
	sift_up(h, i);
}

void dheap_remove(struct dheap *h, uint32_t idx)
{
	size_t i, last;

	if (!dheap_contains(h, idx))
		return;
	i = h->pos[idx] - 1;
	h->pos[idx] = 0;
	last = --h->n;
	if (i == last)
		return;
	/* The last entry fills the hole; it may belong above or below it. */
	place(h, i, h->a[last]);
	if (i > 0 && before(h->a[i], h->a[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}

bool dheap_contains(const struct dheap *h, uint32_t idx)
{
	return idx < h->npos && h->pos[idx] != 0;
}

bool dheap_peek(const struct dheap *h, uint32_t *idx, int64_t *at)
{
	if (h->n == 0)
		return false;
	if (idx != NULL)
		*idx = h->a[0].idx;
	if (at != NULL)
		*at = h->a[0].at;
	return true;
}

bool dheap_valid(const struct dheap *h)
{
	if (h->n > h->cap || (h->n > 0 && (h->a == NULL || h->pos == NULL)))
		return false;
	for (size_t i = 0; i < h->n; i++) {
		uint32_t idx = h->a[i].idx;

		if (idx >= h->npos || h->pos[idx] != i + 1)
			return false;
		if (i > 0 && before(h->a[i], h->a[(i - 1) / 2]))
			return false;
	}
	for (size_t idx = 0; idx < h->npos; idx++) {
		uint32_t p = h->pos[idx];

		if (p != 0 && (p > h->n || h->a[p - 1].idx != idx))
			return false;
	}
	return true;
}

void dheap_rebase(struct dheap *h, uint32_t delta)
{
	if (delta == 0)
		return;
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->a[i].idx < delta)
			fatalx("dheap: rebase by %u over index %u", delta, h->a[i].idx);
		h->a[i].idx -= delta;
	}
	if (h->npos <= delta) {
		free(h->pos);
		h->pos = NULL;
		h->npos = 0;
		return;
	}
	memmove(h->pos, h->pos + delta, (size_t)(h->npos - delta) * sizeof *h->pos);
	h->npos -= delta;
	/* Give the memory back: the part of pos for archived tickets. */
	h->pos = xreallocarray(h->pos, h->npos, sizeof *h->pos);
}

void dheap_shrink(struct dheap *h)
{
	uint32_t cap = DHEAP_MINCAP;

	while (cap <= h->n)
		cap *= 2;
	if (cap >= h->cap)
		return;
	h->a = xreallocarray(h->a, cap, sizeof *h->a);
	h->cap = cap;
}
