/*
 * upstream: the link to Redis that delivers the outbox to Redis Streams
 * (PROTOCOL.md, "Events in Redis"). A hiredis 0.14 async connection on the
 * daemon's libevent loop: connect with a timeout, reconnect with capped
 * exponential backoff, pipelined XADDs with explicit entry IDs derived from
 * the event sequence (so a resend is refused as a duplicate and counts as
 * delivered), a cap on XADDs in flight, a reply timeout and a heartbeat.
 *
 * Only events already in the journal are sent; delivery is recorded in the
 * journal (JREC_DELIVERED, and the engine's per-stream delivered sequence)
 * when Redis confirms. Events of types not sent to Redis are delivered as
 * soon as they are journaled.
 *
 * On every connection each stream is looked at (its last entry) before
 * anything is added to it; a stream that ends before what was delivered to
 * it lost events (deleted, Redis emptied): logged, counted, and per
 * redis.on_stream_lost the engine's retained events of it are resent, in
 * order, before anything newer.
 *
 * Shell: sockets and timers.
 */
#ifndef REPAIRD_UPSTREAM_H
#define REPAIRD_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct engine;
struct server;
struct upstream;

struct upstream_stats {
	const char *link; /* "up", "connecting", "down", "disabled" */
	uint64_t sent, confirmed, duplicates, errors, reconnects, in_flight;
	uint64_t lost;               /* events found missing from their stream (known by seq) */
	uint64_t resent;             /* of those, resent and confirmed */
	uint64_t lost_beyond_window; /* losses reaching back past the retention window */
	uint64_t delivered_upto;
	int64_t link_since; /* real time of the last change of link state */
	char addr[300];     /* where the link connects (the sentinels' primary); "" standby */
	char last_error[160];
};

struct upstream *upstream_new(struct server *srv);
void upstream_free(struct upstream *up);
/* New events were journaled (or the config changed): send what can go now. */
void upstream_kick(struct upstream *up);
void upstream_stats(const struct upstream *up, struct upstream_stats *st);
/* The configured retention window (redis.retain_events, retain_seconds) into the engine. */
void upstream_apply_retention(struct engine *eng, const struct config *cfg);

#endif
