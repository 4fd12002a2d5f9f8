/*
 * sentinel: where the Redis primary is now, asked of Redis Sentinel
 * (redis.sentinels, redis.master), for every link to Redis: the events link
 * (upstream.c) and the HA links (ha-link.c) each hold one resolver and ask
 * it before each connection, so that a link that dropped reconnects to the
 * primary Sentinel promoted, not to the one that failed.
 *
 * The sentinels are asked in turn (SENTINEL get-master-addr-by-name), each
 * with redis.connect_timeout_ms for its connection and its answer, over
 * hiredis async connections on the daemon's loop: nothing blocks. The one
 * that answered is asked first the next time. The answer, or why there was
 * none, comes through the callback, always from the loop, never from inside
 * sentinel_resolve() or a hiredis callback, so the owner may reconnect or
 * tear down from it.
 *
 * An answer may be stale (a sentinel that has not yet seen the failover):
 * the owner checks ROLE on the connection it opens (sentinel_role_error())
 * and resolves again when it is not the primary.
 *
 * Shell: sockets and timers.
 */
#ifndef REPAIRD_SENTINEL_H
#define REPAIRD_SENTINEL_H

#include <stddef.h>

#include <hiredis.h>
#include <event2/event.h>

struct config;
struct sentinel;

/* The primary's address (err NULL), or host NULL and why no sentinel gave one. */
typedef void sentinel_done_fn(void *arg, const char *host, int port, const char *err);

/* cfgp: where the server keeps its configuration (a reload replaces it). */
struct sentinel *sentinel_new(struct event_base *base, struct config *const *cfgp,
                              sentinel_done_fn *done, void *arg);
/* Ask for the address of redis.master; a resolution under way is dropped. */
void sentinel_resolve(struct sentinel *s);
/* Drop the resolution under way, if any: done is not called for it. */
void sentinel_cancel(struct sentinel *s);
/*
 * The address last given was not the primary (ROLE): the next resolution
 * starts with the sentinel after the one that gave it.
 */
void sentinel_stale(struct sentinel *s);
void sentinel_free(struct sentinel *s);

/*
 * The reply to ROLE on a connection to the address a sentinel gave: NULL
 * when it is the primary, else why not (in buf).
 */
const char *sentinel_role_error(const redisReply *r, char *buf, size_t len);

#endif
