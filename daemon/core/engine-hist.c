/*
 * engine-hist: the slabs history arrays of two and four entries come from
 * (struct hist_pool in engine_impl.h). Every ticket has one from its first
 * entry on, and malloc's 16-byte chunk header would make a 32-byte array
 * cost 48, a 64-byte one 80. Getting and giving back one is a pop or push of
 * a free list;
 * slabs none of whose arrays is in use go back to malloc when tickets leave
 * memory in bulk (eng_hist_shrink).
 *
 * Pure, as the engine: no I/O, no clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "xmalloc.h"

_Static_assert(sizeof(struct hist_free) <= 2 * sizeof(struct hist), "a free array holds its link");

/* 64 KiB a slab (below malloc's mmap threshold): 2048 arrays of two entries, 1024 of four. */
#define HIST_SLAB_BYTES ((size_t)64 * 1024)

/* An array of 2 << k entries from pool k. */
struct hist *eng_hist_get(struct engine *e, unsigned k)
{
	struct hist_pool *p = &e->hpool[k];
	size_t size = ((size_t)2 << k) * sizeof(struct hist);
	struct hist_free *a;

	if (p->free == NULL) {
		char *slab = xmalloc(HIST_SLAB_BYTES);
		p->slabs = xreallocarray(p->slabs, p->nslabs + 1, sizeof *p->slabs);
		p->slabs[p->nslabs++] = slab;
		for (size_t off = HIST_SLAB_BYTES; off >= size; off -= size) {
			a = (struct hist_free *)(void *)(slab + off - size);
			a->next = p->free;
			p->free = a;
		}
	}
	a = p->free;
	p->free = a->next;
	return (struct hist *)(void *)a;
}

/* Which of a pool's slabs (sorted by address) holds address a. */
static size_t slab_of(const struct hist_pool *p, const void *a)
{
	size_t lo = 0, hi = p->nslabs; /* slabs[lo] <= a < slabs[hi] */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)p->slabs[mid] <= (uintptr_t)a)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_slab(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return (x > y) - (x < y);
}

/*
 * Pool k gives back the slabs none of whose arrays is in use, and its free
 * list becomes the free arrays of the rest, lowest slab first: new arrays
 * fill the oldest slabs, so the newer ones empty out sooner. Slabs are not
 * freed one by one as they empty (that would take finding an array's slab
 * on every release, on the path of every move); this runs when tickets
 * leave memory in bulk. O(free arrays x log slabs).
 */
static void hist_pool_shrink(struct hist_pool *p, size_t size)
{
	size_t per = HIST_SLAB_BYTES / size, kept = 0;
	struct hist_free **head, **tail, *a, *next;
	uint32_t *nfree;

	if (p->nslabs == 0)
		return;
	qsort(p->slabs, p->nslabs, sizeof *p->slabs, cmp_slab);
	nfree = xcalloc(p->nslabs, sizeof *nfree);
	head = xcalloc(p->nslabs, sizeof *head);
	tail = xcalloc(p->nslabs, sizeof *tail);
	for (a = p->free; a != NULL; a = a->next) {
		a->slab = slab_of(p, a); /* found once: the second walk reads it */
		nfree[a->slab]++;
	}
	for (a = p->free; a != NULL; a = next) {
		size_t s = a->slab;
		next = a->next;
		if (nfree[s] == per)
			continue; /* its slab goes */
		a->next = head[s];
		head[s] = a;
		if (tail[s] == NULL)
			tail[s] = a;
	}
	p->free = NULL;
	for (size_t s = p->nslabs; s-- > 0;) {
		if (nfree[s] == per) {
			free(p->slabs[s]);
			p->slabs[s] = NULL;
		} else if (head[s] != NULL) {
			tail[s]->next = p->free;
			p->free = head[s];
		}
	}
	for (size_t s = 0; s < p->nslabs; s++)
		if (p->slabs[s] != NULL)
			p->slabs[kept++] = p->slabs[s];
	p->nslabs = kept;
	if (kept == 0) {
		free(p->slabs);
		p->slabs = NULL;
	} else {
		p->slabs = xreallocarray(p->slabs, kept, sizeof *p->slabs);
	}
	free(nfree);
	free(head);
	free(tail);
}

void eng_hist_shrink(struct engine *e)
{
	for (unsigned k = 0; k < 2; k++)
		hist_pool_shrink(&e->hpool[k], ((size_t)2 << k) * sizeof(struct hist));
}

uint64_t eng_hist_slab_bytes(const struct engine *e)
{
	return (uint64_t)(e->hpool[0].nslabs + e->hpool[1].nslabs) * HIST_SLAB_BYTES;
}

void eng_hist_release(struct engine *e, struct hist *h, uint32_t n)
{
	uint32_t cap = eng_hist_cap(n);

	if (h == NULL)
		return;
	if (cap <= 4) {
		struct hist_pool *p = &e->hpool[cap == 4];
		struct hist_free *a = (struct hist_free *)(void *)h;
		a->next = p->free;
		p->free = a;
	} else {
		free(h);
	}
}

void eng_hist_pools_free(struct engine *e)
{
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < e->hpool[k].nslabs; i++)
			free(e->hpool[k].slabs[i]);
		free(e->hpool[k].slabs);
		memset(&e->hpool[k], 0, sizeof e->hpool[k]);
	}
}
