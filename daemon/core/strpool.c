/* strpool: interned strings (open addressing over an arena) and the arena itself. */
#include "strpool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define STRPOOL_MINTABLE 64u

/*
 * Arrays whose capacity is not stored: it is the smallest power of two that
 * holds n, so the array is full exactly when n is 0 or a power of two.
 */
static bool pow2_full(size_t n)
{
	return (n & (n - 1)) == 0;
}

void strarena_init(struct strarena *a)
{
	memset(a, 0, sizeof *a);
}

void strarena_free(struct strarena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	strarena_init(a);
}

/* Add a block at position at (0 <= at <= nblocks), shifting later ones up. */
static char *arena_add_block(struct strarena *a, size_t at, size_t size)
{
	char *b = xmalloc(size);

	if (pow2_full(a->nblocks))
		a->blocks = xreallocarray(a->blocks, a->nblocks ? 2 * a->nblocks : 1,
		                          sizeof *a->blocks);
	memmove(a->blocks + at + 1, a->blocks + at, (a->nblocks - at) * sizeof *a->blocks);
	a->blocks[at] = b;
	a->nblocks++;
	return b;
}

const char *strarena_dup(struct strarena *a, const char *s, size_t len)
{
	size_t need;
	char *d;

	if (len >= SIZE_MAX - 1)
		fatalx("strarena: string of %zu bytes", len);
	need = len + 1;
	if (need > STRARENA_BLOCK) {
		/*
		 * Oversized: a block of its own, slipped in before the current
		 * block so that the last block, which `used` describes, stays
		 * the one with room. With no current block, it is left last
		 * and counted full, so the next string starts a fresh block.
		 */
		if (a->nblocks == 0) {
			d = arena_add_block(a, 0, need);
			a->used = need;
		} else {
			d = arena_add_block(a, a->nblocks - 1, need);
		}
	} else {
		if (a->nblocks == 0 || a->used > STRARENA_BLOCK - need) {
			arena_add_block(a, a->nblocks, STRARENA_BLOCK);
			a->used = 0;
		}
		d = a->blocks[a->nblocks - 1] + a->used;
		a->used += need;
	}
	if (len > 0)
		memcpy(d, s, len);
	d[len] = '\0';
	a->bytes += need;
	return d;
}

void strpool_init(struct strpool *p)
{
	memset(p, 0, sizeof *p);
	strarena_init(&p->arena);
}

void strpool_free(struct strpool *p)
{
	strarena_free(&p->arena);
	free(p->strs);
	free(p->lens);
	free(p->table);
	strpool_init(p);
}

/* FNV-1a, 32 bits. */
static uint32_t strpool_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		h ^= *c;
		h *= 16777619u;
	}
	return h;
}

/* The slot holding s, or the empty slot where it belongs. The table is never full. */
static uint32_t strpool_probe(const struct strpool *p, const char *s, uint32_t hash)
{
	uint32_t mask = p->tablecap - 1;
	uint32_t i = hash & mask;

	while (p->table[i] != 0 && strcmp(p->strs[p->table[i] - 1], s) != 0)
		i = (i + 1) & mask;
	return i;
}

static void strpool_grow(struct strpool *p)
{
	uint32_t cap, mask;
	uint32_t *t;

	if (p->tablecap == 0)
		cap = STRPOOL_MINTABLE;
	else if (p->tablecap <= UINT32_MAX / 2)
		cap = p->tablecap * 2;
	else
		fatalx("strpool: too many strings (%u)", p->n);
	mask = cap - 1;
	t = xcalloc(cap, sizeof *t);
	/* Every string is distinct, so reinsertion needs no comparisons. */
	for (uint32_t id = 0; id < p->n; id++) {
		uint32_t i = strpool_hash(p->strs[id]) & mask;

		while (t[i] != 0)
			i = (i + 1) & mask;
		t[i] = id + 1;
	}
	free(p->table);
	p->table = t;
	p->tablecap = cap;
}

uint32_t strpool_intern(struct strpool *p, const char *s)
{
	uint32_t hash = strpool_hash(s);
	uint32_t i = 0;
	size_t len;

	if (p->tablecap > 0) {
		i = strpool_probe(p, s, hash);
		if (p->table[i] != 0)
			return p->table[i] - 1;
	}
	/* Keep the load at or under 70% so that probe chains stay short. */
	if ((uint64_t)(p->n + 1) * 10 > (uint64_t)p->tablecap * 7) {
		strpool_grow(p);
		i = strpool_probe(p, s, hash);
	}
	if (pow2_full(p->n)) {
		size_t cap = p->n ? (size_t)p->n * 2 : 1;

		p->strs = xreallocarray(p->strs, cap, sizeof *p->strs);
		p->lens = xreallocarray(p->lens, cap, sizeof *p->lens);
	}
	len = strlen(s);
	if (len > UINT32_MAX)
		fatalx("strpool: string of %zu bytes", len);
	p->strs[p->n] = strarena_dup(&p->arena, s, len);
	p->lens[p->n] = (uint32_t)len;
	p->table[i] = ++p->n;
	return p->n - 1;
}

uint32_t strpool_find(const struct strpool *p, const char *s)
{
	uint32_t i;

	if (p->tablecap == 0)
		return UINT32_MAX;
	i = strpool_probe(p, s, strpool_hash(s));
	return p->table[i] != 0 ? p->table[i] - 1 : UINT32_MAX;
}
