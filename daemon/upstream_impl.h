/*
 * upstream_impl: what the two files of the events link share. upstream.c
 * owns delivery (the outbox, the stream checks, resends, XADD verdicts);
 * upstream-link.c owns the Redis connection (resolving through the
 * sentinels, connecting, the ROLE check, timeouts, heartbeat, reconnecting
 * with backoff). Not part of the daemon's interface.
 */
#ifndef REPAIRD_UPSTREAM_IMPL_H
#define REPAIRD_UPSTREAM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <async.h>

#include "server.h"
#include "upstream.h"

#define MAX_IN_FLIGHT 1000

enum link_state { LINK_DISABLED, LINK_DOWN, LINK_CONNECTING, LINK_UP };

enum stream_check { STREAM_UNCHECKED, STREAM_CHECKING, STREAM_CHECKED };

struct event;
struct sentinel;

/*
 * A stream as this link sees it. Each connection looks at a stream's last
 * entry before it adds anything to it: Redis may have lost it meanwhile.
 */
struct link_stream {
	char centre[CONFIG_ID_MAX + 1];
	enum stream_check check;
	/* A loss being repaired: retained events in (resend_after, resend_upto] go first. */
	bool resending;
	uint64_t resend_after, resend_upto;
	/* A loss under on_stream_lost: skip, already reported: the same again is not news. */
	uint64_t skipped_top, skipped_upto;
};

struct upstream {
	struct server *srv;
	const struct config *cfg_applied; /* the config whose retention window the engine has */
	redisAsyncContext *ac;
	struct sentinel *sentinel; /* with redis.sentinels: asked before each connection */
	char addr[300];            /* host:port of the connection, for the log and INFO */
	enum link_state state;
	struct event *retry_ev, *connect_timeout_ev, *reply_timeout_ev, *heartbeat_ev, *kill_ev;
	int backoff_ms;
	bool ping_out;

	uint64_t sent_upto;      /* every event up to here was sent (or needs no sending) */
	uint64_t delivered_upto; /* every event up to here is confirmed */
	size_t in_n;             /* commands awaiting a reply: checks, resends, XADDs */
	uint64_t *newq;          /* sequence numbers of new XADDs awaiting a reply, oldest first */
	size_t newq_head, newq_n;
	size_t checks_out; /* stream checks awaiting a reply: no XADD goes out meanwhile */

	struct link_stream *streams;
	size_t nstreams;

	uint64_t sent, confirmed, duplicates, errors, reconnects;
	uint64_t lost, resent, lost_beyond_window;
	int64_t link_since;
	char last_error[160];
	bool logged_down;
};

static inline const struct config *upstream_cfg(const struct upstream *up)
{
	return up->srv->cfg;
}

/* ---- upstream-link.c ---- */

/* The link's timers and resolver; state stays as the caller sets it. */
void uplink_init(struct upstream *up);
void uplink_free(struct upstream *up);
/* Connect (through the sentinels when configured); the link is then up or down and retrying. */
void uplink_connect(struct upstream *up);
/* Drop the link (from outside hiredis's callbacks) and try again later. */
void uplink_down(struct upstream *up, const char *why);
/* The same from inside a hiredis callback: the teardown waits until it returns. */
void uplink_down_later(struct upstream *up, const char *why);
/* Drop the link and stay down: redis disabled by a reload. */
void uplink_disable(struct upstream *up);
void uplink_set_state(struct upstream *up, enum link_state st);
const char *uplink_state_name(enum link_state st);
/* A command whose reply we wait for went out (the reply timeout runs); its reply came. */
void uplink_track(struct upstream *up);
void uplink_untrack(struct upstream *up);

/* ---- upstream.c, called by the link ---- */

/* Connected to the primary: look at the streams, then send. */
void upstream_link_ready(struct upstream *up);
/* The link dropped: what was in flight goes again on the next connection. */
void upstream_link_lost(struct upstream *up);

#endif
