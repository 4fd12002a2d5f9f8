/*
 * metrics: Prometheus metrics and health checks over HTTP (metrics.listen),
 * served by libevent's own evhttp on the daemon's loop. GET /metrics (the
 * text exposition format 0.0.4), /healthz (200 while the loop turns),
 * /readyz (200 when server_ready() says so); 404 for any other path, 405
 * for a method other than GET or HEAD.
 *
 * Most numbers are read when scraped (the engine, the journal, the Redis
 * link, the command table's counters); what only passes by is kept here:
 * latency histograms (commands, fdatasync) and events by type.
 */
#ifndef REPAIRD_METRICS_H
#define REPAIRD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct metrics;

/* Made at start whether or not metrics.listen is set: observing costs a few adds. */
struct metrics *metrics_new(size_t ncommands);
void metrics_free(struct metrics *m);
/* Bind metrics.listen (when set) on srv's loop: 0, or -1 with the reason in err. */
int metrics_listen(struct metrics *m, struct server *srv, char *err, size_t errlen);

/* A command of the table at index ran for usec microseconds. */
void metrics_observe_command(struct metrics *m, size_t index, int64_t usec);
/* An fdatasync of the journal took usec microseconds. */
void metrics_observe_fsync(struct metrics *m, int64_t usec);
/* The engine produced an event of this type (enum event_type). */
void metrics_observe_event(struct metrics *m, unsigned type);

#endif
