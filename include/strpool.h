/*
 * strpool: interned strings and an append-only string arena.
 *
 * Millions of tickets share a few hundred product names, a few dozen centre
 * ids and user names: each is stored once and named by a 32-bit id
 * (intern). Per-ticket strings (serials, notes) go to an arena in large
 * blocks, so each costs its bytes plus a NUL and no malloc header.
 * The arena is freed as a whole; when tickets are archived the engine copies
 * the strings still in use into a new arena (strarena_owns() tells them).
 *
 * Pure: no I/O, no clock.
 */
#ifndef REPAIRD_STRPOOL_H
#define REPAIRD_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strarena {
	char **blocks;
	size_t nblocks;
	size_t used;  /* bytes used in the last block */
	size_t bytes; /* total bytes handed out (for INFO) */
};

void strarena_init(struct strarena *a);
void strarena_free(struct strarena *a);
/* A stable copy of s[0..len) with a NUL after it. */
const char *strarena_dup(struct strarena *a, const char *s, size_t len);

#define STRARENA_BLOCK ((size_t)64 * 1024)

struct strpool {
	struct strarena arena;
	const char **strs; /* by id */
	uint32_t *lens;    /* strlen of each, by id: replies write names without measuring them */
	uint32_t n;
	uint32_t *table;   /* open addressing: id + 1, 0 = empty */
	uint32_t tablecap; /* power of two */
};

void strpool_init(struct strpool *p);
void strpool_free(struct strpool *p);
/* The id of s, adding it if new. Ids are dense, from 0, in order of first use. */
uint32_t strpool_intern(struct strpool *p, const char *s);
/* The id of s, or UINT32_MAX when s was never interned. */
uint32_t strpool_find(const struct strpool *p, const char *s);
/* The string of id, NULL for an id never given out. Inline: every ticket reply asks. */
static inline const char *strpool_str(const struct strpool *p, uint32_t id)
{
	return id < p->n ? p->strs[id] : NULL;
}

/* strlen(strpool_str(p, id)), 0 for an id never given out. */
static inline size_t strpool_len(const struct strpool *p, uint32_t id)
{
	return id < p->n ? p->lens[id] : 0;
}

#endif
