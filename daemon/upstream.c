/* upstream: the outbox to Redis Streams over the events link (upstream-link.c). */
#include "upstream_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <async.h>

#include "ha.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

static void send_pending(struct upstream *up);
static void on_xadd(redisAsyncContext *ac, void *r, void *privdata);
static void on_resend(redisAsyncContext *ac, void *r, void *privdata);
static void send_xadd(struct upstream *up, const struct event *ev, redisCallbackFn *fn);

static bool wanted(const struct upstream *up, const struct event *ev)
{
	return upstream_cfg(up)->redis_enabled &&
	       (upstream_cfg(up)->redis_events & (1u << ev->type));
}

/* Errors that say "not now" rather than "not this event". */
static bool transient(const char *err)
{
	static const char *const words[] = {"LOADING",  "BUSY",        "TRYAGAIN", "MASTERDOWN",
	                                    "READONLY", "CLUSTERDOWN", "NOSCRIPT"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strncmp(err, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

/* ---- delivery bookkeeping ----------------------------------------------------------- */

static size_t link_stream(struct upstream *up, const char *centre)
{
	for (size_t i = 0; i < up->nstreams; i++)
		if (strcmp(up->streams[i].centre, centre) == 0)
			return i;
	up->streams = xreallocarray(up->streams, up->nstreams + 1, sizeof *up->streams);
	memset(&up->streams[up->nstreams], 0, sizeof *up->streams);
	snprintf(up->streams[up->nstreams].centre, sizeof up->streams[0].centre, "%s", centre);
	return up->nstreams++;
}

/* Events up to `upto` are delivered: into the retention window, and the journal says so. */
static void advance_delivered(struct upstream *up, uint64_t upto)
{
	struct server *srv = up->srv;

	if (upto <= up->delivered_upto)
		return;
	engine_outbox_drop(srv->eng, engine_outbox_after(srv->eng, upto));
	up->delivered_upto = upto;
	/* Goes out with the next commit: a delivery lost in a crash is only a resend. */
	jfile_note_delivered(&srv->journal, upto);
}

static void recompute_delivered(struct upstream *up)
{
	advance_delivered(up, up->newq_n ? up->newq[up->newq_head] - 1 : up->sent_upto);
}

/* How many events of the stream's centre repaird still retains with a sequence in (after, upto]. */
static uint64_t retained_of(const struct upstream *up, const char *centre, uint64_t after,
                            uint64_t upto)
{
	const struct engine *eng = up->srv->eng;
	size_t n = engine_retained_count(eng);
	uint64_t count = 0;

	for (size_t i = engine_retained_after(eng, after); i < n; i++) {
		const struct event *ev = engine_retained_at(eng, i);
		if (ev->seq > upto)
			break;
		if (wanted(up, ev) && strcmp(engine_str(eng, ev->centre), centre) == 0)
			count++;
	}
	return count;
}

/*
 * Its last entry is top, repaird delivered up to `delivered` into it: the
 * events in between are gone from Redis. Say so, count them, and per
 * on_stream_lost queue the retained ones for resending before anything newer.
 */
static void stream_lost(struct upstream *up, struct link_stream *ls, uint64_t top,
                        uint64_t delivered)
{
	const struct config *cfg = upstream_cfg(up);
	const struct engine *eng = up->srv->eng;
	uint64_t oldest, known = retained_of(up, ls->centre, top, delivered);
	bool resend = cfg->redis_resend_lost;

	if (!resend && ls->skipped_top == top && ls->skipped_upto == delivered)
		return; /* reported already, nothing newer went in since */
	up->lost += known;
	log_msg(LOG_ERR,
	        "Redis stream %s:events:%s lost events: it ends at %" PRIu64
	        ", repaird delivered up to %" PRIu64 " (deleted, or Redis restarted without "
	        "persistence); missing: its events with seq %" PRIu64 "..%" PRIu64 ", %" PRIu64
	        " of them retained; on_stream_lost: %s",
	        cfg->redis_prefix, ls->centre, top, delivered, top + 1, delivered, known,
	        resend ? "resend, before any newer event" : "skip, not resent");
	/*
	 * Events older than the window are not kept: whatever the stream had
	 * among them is gone for good. The window only ever lost events when it
	 * was full or limited by age.
	 */
	oldest = engine_retained_count(eng) ? engine_retained_at(eng, 0)->seq : delivered + 1;
	if (oldest > top + 1 && (engine_retained_count(eng) >= (size_t)cfg->redis_retain_events ||
	                         cfg->redis_retain_seconds > 0)) {
		uint64_t upto = oldest - 1 < delivered ? oldest - 1 : delivered;
		up->lost_beyond_window++;
		log_msg(LOG_ERR,
		        "Redis stream %s:events:%s: its events with seq %" PRIu64 "..%" PRIu64
		        ", if any, are older than the retention window (redis.retain_events %ld, "
		        "retain_seconds %ld) and cannot be resent",
		        cfg->redis_prefix, ls->centre, top + 1, upto, cfg->redis_retain_events,
		        cfg->redis_retain_seconds);
	}
	if (!resend) {
		ls->skipped_top = top;
		ls->skipped_upto = delivered;
		return;
	}
	ls->skipped_top = ls->skipped_upto = 0;
	ls->resending = known > 0;
	ls->resend_after = top;
	ls->resend_upto = delivered;
}

/* The reply to a stream's XREVRANGE + - COUNT 1: its last entry, or none. */
static void on_check(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;
	struct link_stream *ls;
	unsigned long long top = 0;
	uint64_t delivered;

	if (up == NULL || reply == NULL)
		return;
	uplink_untrack(up);
	if (up->checks_out > 0)
		up->checks_out--;
	ls = &up->streams[(size_t)(uintptr_t)privdata];
	if (reply->type == REDIS_REPLY_ERROR) {
		if (transient(reply->str)) {
			/* Loading, say: no verdict yet, and nothing may go out before one. */
			uplink_down_later(up, reply->str);
			return;
		}
		/* Not a stream, say: its XADDs will be refused and counted as errors. */
		log_msg(LOG_ERR, "Redis stream %s:events:%s cannot be read: %s",
		        upstream_cfg(up)->redis_prefix, ls->centre, reply->str);
	} else if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	           reply->element[0]->type == REDIS_REPLY_ARRAY &&
	           reply->element[0]->elements > 0 &&
	           reply->element[0]->element[0]->type == REDIS_REPLY_STRING) {
		top = strtoull(reply->element[0]->element[0]->str, NULL, 10);
	}
	ls->check = STREAM_CHECKED;
	delivered = engine_stream_delivered(up->srv->eng, ls->centre);
	if (reply->type != REDIS_REPLY_ERROR && top < delivered)
		stream_lost(up, ls, top, delivered);
	if (up->checks_out == 0)
		send_pending(up);
}

/* Ask for the stream's last entry; nothing is added to any stream until the answer. */
static void send_check(struct upstream *up, size_t i)
{
	char key[160];
	const char *argv[6];

	snprintf(key, sizeof key, "%s:events:%s", upstream_cfg(up)->redis_prefix,
	         up->streams[i].centre);
	argv[0] = "XREVRANGE";
	argv[1] = key;
	argv[2] = "+";
	argv[3] = "-";
	argv[4] = "COUNT";
	argv[5] = "1";
	redisAsyncCommandArgv(up->ac, on_check, (void *)(uintptr_t)i, 6, argv, NULL);
	up->streams[i].check = STREAM_CHECKING;
	up->checks_out++;
	uplink_track(up);
}

/* Connected, to the primary: look at the streams, then send. */
void upstream_link_ready(struct upstream *up)
{
	struct engine *eng = up->srv->eng;

	/*
	 * Did Redis lose what we delivered, while we ran or while we were down?
	 * Every stream the engine delivered to is looked at before any XADD: an
	 * XADD pipelined behind the check would set the stream's top, and the
	 * resends that must come before it would then be refused.
	 */
	for (size_t i = 0; i < engine_stream_count(eng); i++) {
		const char *centre;
		engine_stream_at(eng, i, &centre);
		link_stream(up, centre);
	}
	for (size_t i = 0; i < up->nstreams; i++)
		send_check(up, i);
	send_pending(up);
}

void upstream_link_lost(struct upstream *up)
{
	up->newq_n = 0;
	up->checks_out = 0;
	/* The next connection looks at every stream again, and repairs what is still lost. */
	for (size_t i = 0; i < up->nstreams; i++) {
		up->streams[i].check = STREAM_UNCHECKED;
		up->streams[i].resending = false;
	}
	/* What was in flight is sent again: a duplicate is refused by its ID. */
	up->sent_upto = up->delivered_upto;
}

/* ---- sending ---------------------------------------------------------------------------- */

static void send_xadd(struct upstream *up, const struct event *ev, redisCallbackFn *fn)
{
	struct engine *eng = up->srv->eng;
	const struct config *cfg = upstream_cfg(up);
	char key[160], maxlen[24], id[32], ticket[24], member[24], seq[24], at[21], deadline[21];
	const char *argv[32];
	int argc = 0;

	snprintf(key, sizeof key, "%s:events:%s", cfg->redis_prefix, engine_str(eng, ev->centre));
	snprintf(maxlen, sizeof maxlen, "%ld", cfg->redis_maxlen);
	/* The entry ID is the event's sequence number: a resend is a refused duplicate. */
	snprintf(id, sizeof id, "%" PRIu64 "-1", ev->seq);
	snprintf(ticket, sizeof ticket, "%" PRIu64, ev->ticket);
	snprintf(member, sizeof member, "%" PRIu64, ev->member);
	snprintf(seq, sizeof seq, "%" PRIu64, ev->seq);
	time_format(ev->at, at);
	deadline[0] = '\0';
	if (ev->deadline)
		time_format(ev->deadline, deadline);
	argv[argc++] = "XADD";
	argv[argc++] = key;
	argv[argc++] = "MAXLEN";
	argv[argc++] = "~";
	argv[argc++] = maxlen;
	argv[argc++] = id;
	argv[argc++] = "event";
	argv[argc++] = event_type_names[ev->type];
	argv[argc++] = "ticket";
	argv[argc++] = ticket;
	argv[argc++] = "centre";
	argv[argc++] = engine_str(eng, ev->centre);
	argv[argc++] = "member";
	argv[argc++] = ev->member ? member : "";
	argv[argc++] = "tier";
	argv[argc++] = tier_name((enum tier)ev->tier);
	argv[argc++] = "programme";
	argv[argc++] = ev->programme >= 0 ? programme_names[ev->programme] : "";
	argv[argc++] = "product";
	argv[argc++] = engine_str(eng, ev->product);
	argv[argc++] = "serial";
	argv[argc++] = ev->serial;
	argv[argc++] = "state";
	argv[argc++] = ticket_state_names[ev->state];
	argv[argc++] = "deadline";
	argv[argc++] = deadline;
	argv[argc++] = "reason";
	argv[argc++] = ev->reason;
	argv[argc++] = "at";
	argv[argc++] = at;
	argv[argc++] = "seq";
	argv[argc++] = seq;
	redisAsyncCommandArgv(up->ac, fn, (void *)(uintptr_t)ev->seq, argc, argv, NULL);
	uplink_track(up);
	up->sent++;
}

/*
 * The retained events of lost streams, in order, each stream's before
 * anything newer goes to it (Redis refuses an ID below its stream's top).
 * false while some are left (the in-flight cap).
 */
static bool send_resends(struct upstream *up)
{
	struct engine *eng = up->srv->eng;

	for (size_t k = 0; k < up->nstreams; k++) {
		struct link_stream *ls = &up->streams[k];
		size_t n = engine_retained_count(eng);
		for (size_t i = engine_retained_after(eng, ls->resend_after);
		     ls->resending && i < n; i++) {
			const struct event *ev = engine_retained_at(eng, i);
			if (ev->seq > ls->resend_upto)
				break;
			if (wanted(up, ev) &&
			    strcmp(engine_str(eng, ev->centre), ls->centre) == 0) {
				if (up->in_n >= MAX_IN_FLIGHT)
					return false;
				send_xadd(up, ev, on_resend);
			}
			ls->resend_after = ev->seq;
		}
		ls->resending = false;
	}
	return true;
}

static void send_pending(struct upstream *up)
{
	struct engine *eng = up->srv->eng;
	uint64_t journaled = up->srv->journal.last_seq;
	uint64_t confirmed = ha_events_upto(up->srv->ha);
	size_t n = engine_outbox_count(eng);

	if (up->state == LINK_DISABLED) {
		/* Nothing goes to Redis: delivered once journaled. */
		if (journaled > up->sent_upto)
			up->sent_upto = journaled;
		recompute_delivered(up);
		return;
	}
	if (up->state != LINK_UP || up->ac == NULL)
		return;
	/* Every stream checked, every loss resent, before anything newer. */
	if (up->checks_out > 0 || !send_resends(up))
		return;
	/* From the first event not sent yet: the cost does not grow with the outbox. */
	for (size_t i = engine_outbox_after(eng, up->sent_upto); i < n && up->in_n < MAX_IN_FLIGHT;
	     i++) {
		const struct event *ev = engine_outbox_at(eng, i);
		if (ev->seq > journaled)
			break; /* not durable yet: sending it could leave Redis ahead of us */
		if (ev->seq > confirmed)
			break; /* HA: its batch is not in the journal stream yet (ha.h) */
		if (wanted(up, ev)) {
			size_t k = link_stream(up, engine_str(eng, ev->centre));
			if (up->streams[k].check != STREAM_CHECKED) {
				/* A stream new to this link: looked at first, like the others. */
				if (up->streams[k].check == STREAM_UNCHECKED)
					send_check(up, k);
				break;
			}
			up->newq[(up->newq_head + up->newq_n) % MAX_IN_FLIGHT] = ev->seq;
			up->newq_n++;
			send_xadd(up, ev, on_xadd);
		}
		up->sent_upto = ev->seq;
	}
	recompute_delivered(up);
}

/*
 * An XADD's verdict: 1 in the stream now, 0 there before (a duplicate ID),
 * -1 refused (counted, logged), -2 not now (the link is dropped; it goes
 * again on the next connection).
 */
static int xadd_verdict(struct upstream *up, const redisReply *reply, uint64_t seq)
{
	if (reply->type != REDIS_REPLY_ERROR)
		return 1;
	if (transient(reply->str)) {
		/* Redis is loading, busy or read-only for now: not a verdict on the event. */
		uplink_down_later(up, reply->str);
		return -2;
	}
	if (strstr(reply->str, "equal or smaller") != NULL) {
		up->duplicates++; /* sent before, and Redis has it: delivered */
		return 0;
	}
	up->errors++;
	snprintf(up->last_error, sizeof up->last_error, "XADD %" PRIu64 ": %s", seq, reply->str);
	log_msg(LOG_ERR, "Redis refused event %" PRIu64 ": %s; it is skipped", seq, reply->str);
	return -1;
}

/* A new event's XADD. */
static void on_xadd(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;
	uint64_t seq = (uint64_t)(uintptr_t)privdata;
	struct engine *eng;
	const struct event *ev;
	int verdict;

	if (up == NULL || reply == NULL)
		return;
	if (up->newq_n == 0 || up->newq[up->newq_head] != seq)
		return; /* cannot be: replies come in order, and none from an older link */
	verdict = xadd_verdict(up, reply, seq);
	if (verdict == -2)
		return;
	uplink_untrack(up);
	up->newq_head = (up->newq_head + 1) % MAX_IN_FLIGHT;
	up->newq_n--;
	eng = up->srv->eng;
	/* Still in the outbox: only events before the oldest awaiting a reply have left it. */
	ev = engine_outbox_at(eng, engine_outbox_after(eng, seq - 1));
	if (verdict == 1)
		up->confirmed++;
	if (verdict >= 0 && ev && ev->seq == seq)
		engine_stream_set_delivered(eng, engine_str(eng, ev->centre), seq);
	send_pending(up);
}

/* A retained event's XADD into the stream that lost it. */
static void on_resend(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;

	if (up == NULL || reply == NULL)
		return;
	if (xadd_verdict(up, reply, (uint64_t)(uintptr_t)privdata) == -2)
		return;
	uplink_untrack(up);
	if (reply->type != REDIS_REPLY_ERROR)
		up->resent++;
	send_pending(up);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

struct upstream *upstream_new(struct server *srv)
{
	struct upstream *up = xcalloc(1, sizeof *up);

	up->srv = srv;
	up->newq = xreallocarray(NULL, MAX_IN_FLIGHT, sizeof *up->newq);
	up->cfg_applied = srv->cfg;
	uplink_init(up);
	up->delivered_upto = up->sent_upto = engine_outbox_count(srv->eng)
	                                             ? engine_outbox_at(srv->eng, 0)->seq - 1
	                                             : engine_last_seq(srv->eng);
	if (srv->cfg->redis_enabled) {
		up->state = LINK_DOWN;
		uplink_connect(up);
	} else {
		up->state = LINK_DISABLED;
	}
	return up;
}

void upstream_free(struct upstream *up)
{
	if (up == NULL)
		return;
	uplink_free(up);
	free(up->newq);
	free(up->streams);
	free(up);
}

void upstream_kick(struct upstream *up)
{
	if (up == NULL)
		return;
	/* Enabled or disabled by a reload. */
	if (!upstream_cfg(up)->redis_enabled && up->state != LINK_DISABLED) {
		uplink_disable(up);
	} else if (upstream_cfg(up)->redis_enabled && up->state == LINK_DISABLED) {
		uplink_set_state(up, LINK_DOWN);
		uplink_connect(up);
	}
	if (up->cfg_applied != upstream_cfg(up)) {
		/* A reload: the retention window may have changed. */
		upstream_apply_retention(up->srv->eng, upstream_cfg(up));
		up->cfg_applied = upstream_cfg(up);
	}
	send_pending(up);
}

void upstream_stats(const struct upstream *up, struct upstream_stats *st)
{
	memset(st, 0, sizeof *st);
	if (up == NULL) { /* an HA standby: the leader sends the events */
		st->link = "standby";
		return;
	}
	st->link = uplink_state_name(up->state);
	st->sent = up->sent;
	st->confirmed = up->confirmed;
	st->duplicates = up->duplicates;
	st->errors = up->errors;
	st->reconnects = up->reconnects;
	st->in_flight = up->in_n;
	st->lost = up->lost;
	st->resent = up->resent;
	st->lost_beyond_window = up->lost_beyond_window;
	st->delivered_upto = up->delivered_upto;
	st->link_since = up->link_since;
	snprintf(st->addr, sizeof st->addr, "%s", up->addr);
	snprintf(st->last_error, sizeof st->last_error, "%s", up->last_error);
}

void upstream_apply_retention(struct engine *eng, const struct config *cfg)
{
	engine_set_retention(eng, (size_t)cfg->redis_retain_events, cfg->redis_retain_seconds);
}
