/* upstream: the outbox to Redis Streams over a hiredis async link. */
#include "upstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <async.h>
#include <adapters/libevent.h>

#include "log.h"
#include "server.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MAX_IN_FLIGHT  1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define HEARTBEAT_MS   1000
#define RETAINED       10000 /* delivered events kept to resend into a lost stream */

enum link_state { LINK_DISABLED, LINK_DOWN, LINK_CONNECTING, LINK_UP };
static const char *const link_names[] = {"disabled", "down", "connecting", "up"};

struct centre_seq {
	char id[CONFIG_ID_MAX + 1];
	uint64_t seq; /* the last event confirmed in this centre's stream */
};

struct upstream {
	struct server *srv;
	redisAsyncContext *ac;
	enum link_state state;
	struct event *retry_ev, *connect_timeout_ev, *reply_timeout_ev, *heartbeat_ev, *kill_ev;
	int backoff_ms;
	bool ping_out;

	uint64_t sent_upto;      /* every event up to here was sent (or needs no sending) */
	uint64_t delivered_upto; /* every event up to here is confirmed */
	uint64_t *inflight;      /* sequence numbers of XADDs awaiting a reply, oldest first */
	size_t in_head, in_n;

	struct event *retained; /* a ring of the last delivered events */
	size_t ret_head, ret_n;
	struct centre_seq *centres;
	size_t ncentres;

	uint64_t sent, confirmed, duplicates, errors, reconnects;
	int64_t link_since;
	char last_error[160];
	bool logged_down;
};

static void schedule_retry(struct upstream *up);
static void send_pending(struct upstream *up);
static void send_xadd(struct upstream *up, const struct event *ev);

static int64_t now_real(void)
{
	return (int64_t)time(NULL);
}

static void set_state(struct upstream *up, enum link_state st)
{
	if (up->state != st)
		up->link_since = now_real();
	up->state = st;
}

static void ms_timer(struct event *ev, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (evtimer_add(ev, &tv) < 0)
		fatalx("libevent: cannot arm a Redis link timer");
}

static const struct config *cfg_of(const struct upstream *up)
{
	return up->srv->cfg;
}

static bool wanted(const struct upstream *up, const struct event *ev)
{
	return cfg_of(up)->redis_enabled && (cfg_of(up)->redis_events & (1u << ev->type));
}

/* ---- delivery bookkeeping ----------------------------------------------------------- */

static struct centre_seq *centre_entry(struct upstream *up, const char *id)
{
	for (size_t i = 0; i < up->ncentres; i++)
		if (strcmp(up->centres[i].id, id) == 0)
			return &up->centres[i];
	up->centres = xreallocarray(up->centres, up->ncentres + 1, sizeof *up->centres);
	memset(&up->centres[up->ncentres], 0, sizeof *up->centres);
	snprintf(up->centres[up->ncentres].id, sizeof up->centres[0].id, "%s", id);
	return &up->centres[up->ncentres++];
}

static void retain(struct upstream *up, const struct event *ev)
{
	if (up->retained == NULL)
		up->retained = xreallocarray(NULL, RETAINED, sizeof *up->retained);
	up->retained[(up->ret_head + up->ret_n) % RETAINED] = *ev;
	if (up->ret_n < RETAINED)
		up->ret_n++;
	else
		up->ret_head = (up->ret_head + 1) % RETAINED;
}

/* Events up to `upto` are delivered: they leave the outbox, and the journal says so. */
static void advance_delivered(struct upstream *up, uint64_t upto)
{
	struct server *srv = up->srv;
	struct engine *eng = srv->eng;
	size_t n = 0;

	if (upto <= up->delivered_upto)
		return;
	while (n < engine_outbox_count(eng) && engine_outbox_at(eng, n)->seq <= upto) {
		const struct event *ev = engine_outbox_at(eng, n);
		if (wanted(up, ev)) {
			retain(up, ev);
			centre_entry(up, engine_str(eng, ev->centre))->seq = ev->seq;
		}
		n++;
	}
	engine_outbox_drop(eng, n);
	up->delivered_upto = upto;
	/* Goes out with the next commit: a delivery lost in a crash is only a resend. */
	jfile_note_delivered(&srv->journal, upto);
}

static void recompute_delivered(struct upstream *up)
{
	uint64_t upto = up->in_n ? up->inflight[up->in_head] - 1 : up->sent_upto;

	advance_delivered(up, upto);
}

/* ---- the connection ------------------------------------------------------------------ */

/* Drop the link (from outside hiredis's callbacks) and try again later. */
static void link_down(struct upstream *up, const char *why)
{
	redisAsyncContext *ac = up->ac;
	char reason[sizeof up->last_error];

	if (up->state == LINK_DISABLED)
		return;
	/* why may be last_error itself: copy it through a buffer of our own. */
	snprintf(reason, sizeof reason, "%s", why);
	why = reason;
	snprintf(up->last_error, sizeof up->last_error, "%s", reason);
	up->ac = NULL;
	if (ac) {
		ac->data = NULL; /* its callbacks, called while it is freed, must do nothing */
		redisAsyncFree(ac);
	}
	evtimer_del(up->connect_timeout_ev);
	evtimer_del(up->reply_timeout_ev);
	evtimer_del(up->heartbeat_ev);
	up->in_n = 0;
	up->ping_out = false;
	/* What was in flight is sent again: a duplicate is refused by its ID. */
	up->sent_upto = up->delivered_upto;
	if (!up->logged_down) {
		log_msg(LOG_WARNING, "Redis link down: %s; events wait in the outbox", why);
		up->logged_down = true;
	}
	set_state(up, LINK_DOWN);
	schedule_retry(up);
}

static void on_kill(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;

	(void)fd;
	(void)what;
	link_down(up, up->last_error[0] ? up->last_error : "connection lost");
}

/* From inside a hiredis callback: the teardown must wait until it returns. */
static void link_down_later(struct upstream *up, const char *why)
{
	snprintf(up->last_error, sizeof up->last_error, "%s", why);
	event_active(up->kill_ev, EV_TIMEOUT, 0);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct upstream *up = ac->data;

	(void)status;
	if (up == NULL)
		return;
	/* hiredis frees the context after this callback: forget it now. */
	up->ac = NULL;
	link_down_later(up, ac->errstr[0] ? ac->errstr : "Redis closed the connection");
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

static void check_stream(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;
	struct centre_seq *cs = privdata;
	unsigned long long top = 0;

	if (up == NULL || reply == NULL || reply->type == REDIS_REPLY_ERROR)
		return; /* loading, say: no verdict */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements > 0)
		top = strtoull(reply->element[0]->element[0]->str, NULL, 10);
	if (top >= cs->seq)
		return;
	log_msg(LOG_ERR,
	        "Redis stream %s:events:%s lost events: it ends at %llu, repaird delivered up "
	        "to %" PRIu64 " (deleted, or Redis restarted without persistence); policy: %s",
	        cfg_of(up)->redis_prefix, cs->id, top, cs->seq,
	        cfg_of(up)->redis_resend_lost ? "resend what is retained" : "skip");
	if (!cfg_of(up)->redis_resend_lost)
		return;
	/* Resend the retained events of that stream the stream no longer has. */
	for (size_t i = 0; i < up->ret_n; i++) {
		const struct event *ev = &up->retained[(up->ret_head + i) % RETAINED];
		if (ev->seq > top && strcmp(engine_str(up->srv->eng, ev->centre), cs->id) == 0)
			send_xadd(up, ev); /* its reply matches nothing in flight: ignored */
	}
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct upstream *up = ac->data;

	if (up == NULL)
		return;
	if (status != REDIS_OK) {
		up->ac = NULL; /* hiredis frees it */
		link_down_later(up, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	evtimer_del(up->connect_timeout_ev);
	set_state(up, LINK_UP);
	up->backoff_ms = BACKOFF_MIN_MS;
	if (up->logged_down || up->reconnects == 0)
		log_msg(LOG_NOTICE, "Redis link up: %s:%d; %zu events in the outbox",
		        cfg_of(up)->redis_host, cfg_of(up)->redis_port,
		        engine_outbox_count(up->srv->eng));
	up->logged_down = false;
	up->reconnects++;
	ms_timer(up->heartbeat_ev, HEARTBEAT_MS);
	/* Did Redis lose what we delivered? Look at each stream's last entry. */
	for (size_t i = 0; i < up->ncentres; i++) {
		char key[160];
		const char *argv[6];
		snprintf(key, sizeof key, "%s:events:%s", cfg_of(up)->redis_prefix,
		         up->centres[i].id);
		argv[0] = "XREVRANGE";
		argv[1] = key;
		argv[2] = "+";
		argv[3] = "-";
		argv[4] = "COUNT";
		argv[5] = "1";
		redisAsyncCommandArgv(up->ac, check_stream, &up->centres[i], 6, argv, NULL);
	}
	send_pending(up);
}

static void do_connect(struct upstream *up)
{
	const struct config *cfg = cfg_of(up);
	redisAsyncContext *ac;

	ac = cfg->redis_unix ? redisAsyncConnectUnix(cfg->redis_unix)
	                     : redisAsyncConnect(cfg->redis_host, cfg->redis_port);
	if (ac == NULL || ac->err) {
		char why[160];
		snprintf(why, sizeof why, "connect: %s", ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		up->ac = NULL;
		link_down(up, why);
		return;
	}
	ac->data = up;
	up->ac = ac;
	redisLibeventAttach(ac, up->srv->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	set_state(up, LINK_CONNECTING);
	ms_timer(up->connect_timeout_ev, cfg->redis_connect_timeout_ms);
	/* Queued now, sent once connected, before any XADD. */
	if (cfg->redis_password)
		redisAsyncCommand(ac, on_reply, NULL, "AUTH %s", cfg->redis_password);
	if (cfg->redis_db)
		redisAsyncCommand(ac, on_reply, NULL, "SELECT %d", cfg->redis_db);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	do_connect(arg);
}

static void schedule_retry(struct upstream *up)
{
	ms_timer(up->retry_ev, up->backoff_ms);
	up->backoff_ms = up->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : up->backoff_ms * 2;
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof why, "no connection within %d ms",
	         cfg_of(up)->redis_connect_timeout_ms);
	link_down(up, why);
}

static void on_reply_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof why, "no reply within %d ms", cfg_of(up)->redis_reply_timeout_ms);
	link_down(up, why);
}

static void on_pong(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;

	(void)privdata;
	if (up == NULL || r == NULL)
		return;
	up->ping_out = false;
	if (up->in_n == 0)
		evtimer_del(up->reply_timeout_ev);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;

	(void)fd;
	(void)what;
	if (up->state != LINK_UP || up->ac == NULL)
		return;
	if (!up->ping_out && up->in_n == 0) {
		up->ping_out = true;
		redisAsyncCommand(up->ac, on_pong, NULL, "PING");
		ms_timer(up->reply_timeout_ev, cfg_of(up)->redis_reply_timeout_ms);
	}
	ms_timer(up->heartbeat_ev, HEARTBEAT_MS);
}

/* ---- sending ---------------------------------------------------------------------------- */

static void send_xadd(struct upstream *up, const struct event *ev)
{
	struct engine *eng = up->srv->eng;
	const struct config *cfg = cfg_of(up);
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
	redisAsyncCommandArgv(up->ac, on_reply, (void *)(uintptr_t)ev->seq, argc, argv, NULL);
	up->sent++;
}

static void send_pending(struct upstream *up)
{
	struct engine *eng = up->srv->eng;
	uint64_t journaled = up->srv->journal.last_seq;
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
	for (size_t i = 0; i < n && up->in_n < MAX_IN_FLIGHT; i++) {
		const struct event *ev = engine_outbox_at(eng, i);
		if (ev->seq <= up->sent_upto)
			continue;
		if (ev->seq > journaled)
			break; /* not durable yet: sending it could leave Redis ahead of us */
		if (wanted(up, ev)) {
			if (up->in_n == 0)
				ms_timer(up->reply_timeout_ev, cfg_of(up)->redis_reply_timeout_ms);
			up->inflight[(up->in_head + up->in_n) % MAX_IN_FLIGHT] = ev->seq;
			up->in_n++;
			send_xadd(up, ev);
		}
		up->sent_upto = ev->seq;
	}
	recompute_delivered(up);
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

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;
	uint64_t seq = (uint64_t)(uintptr_t)privdata;

	if (up == NULL || reply == NULL)
		return;
	if (seq == 0) {
		/* AUTH or SELECT. */
		if (reply->type == REDIS_REPLY_ERROR) {
			log_msg(LOG_ERR, "Redis refused set-up: %s", reply->str);
			link_down_later(up, reply->str);
		}
		return;
	}
	if (up->in_n == 0 || up->inflight[up->in_head] != seq)
		return; /* a reply from before a reconnect */
	up->in_head = (up->in_head + 1) % MAX_IN_FLIGHT;
	up->in_n--;
	if (reply->type == REDIS_REPLY_ERROR && transient(reply->str)) {
		/* Redis is loading, busy or read-only for now: not a verdict on the event. */
		up->in_head = (up->in_head + MAX_IN_FLIGHT - 1) % MAX_IN_FLIGHT;
		up->in_n++;
		link_down_later(up, reply->str);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		if (strstr(reply->str, "equal or smaller") != NULL) {
			up->duplicates++; /* sent before, and Redis has it: delivered */
		} else {
			up->errors++;
			snprintf(up->last_error, sizeof up->last_error, "XADD %" PRIu64 ": %s", seq,
			         reply->str);
			log_msg(LOG_ERR, "Redis refused event %" PRIu64 ": %s; it is skipped", seq,
			        reply->str);
		}
	} else {
		up->confirmed++;
	}
	if (up->in_n > 0)
		ms_timer(up->reply_timeout_ev, cfg_of(up)->redis_reply_timeout_ms);
	else if (!up->ping_out)
		evtimer_del(up->reply_timeout_ev);
	send_pending(up);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

struct upstream *upstream_new(struct server *srv)
{
	struct upstream *up = xcalloc(1, sizeof *up);

	up->srv = srv;
	up->inflight = xreallocarray(NULL, MAX_IN_FLIGHT, sizeof *up->inflight);
	up->retry_ev = evtimer_new(srv->base, on_retry, up);
	up->connect_timeout_ev = evtimer_new(srv->base, on_connect_timeout, up);
	up->reply_timeout_ev = evtimer_new(srv->base, on_reply_timeout, up);
	up->heartbeat_ev = evtimer_new(srv->base, on_heartbeat, up);
	up->kill_ev = event_new(srv->base, -1, 0, on_kill, up);
	if (!up->retry_ev || !up->connect_timeout_ev || !up->reply_timeout_ev ||
	    !up->heartbeat_ev || !up->kill_ev)
		fatalx("libevent: cannot create the Redis link's timers");
	up->backoff_ms = BACKOFF_MIN_MS;
	up->delivered_upto = up->sent_upto = engine_outbox_count(srv->eng)
	                                             ? engine_outbox_at(srv->eng, 0)->seq - 1
	                                             : engine_last_seq(srv->eng);
	up->link_since = now_real();
	if (srv->cfg->redis_enabled) {
		up->state = LINK_DOWN;
		do_connect(up);
	} else {
		up->state = LINK_DISABLED;
	}
	return up;
}

void upstream_free(struct upstream *up)
{
	if (up == NULL)
		return;
	if (up->ac) {
		redisAsyncContext *ac = up->ac;
		up->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	event_free(up->retry_ev);
	event_free(up->connect_timeout_ev);
	event_free(up->reply_timeout_ev);
	event_free(up->heartbeat_ev);
	event_free(up->kill_ev);
	free(up->inflight);
	free(up->retained);
	free(up->centres);
	free(up);
}

void upstream_kick(struct upstream *up)
{
	if (up == NULL)
		return;
	/* Enabled or disabled by a reload. */
	if (!cfg_of(up)->redis_enabled && up->state != LINK_DISABLED) {
		link_down(up, "disabled in the configuration");
		evtimer_del(up->retry_ev);
		set_state(up, LINK_DISABLED);
	} else if (cfg_of(up)->redis_enabled && up->state == LINK_DISABLED) {
		set_state(up, LINK_DOWN);
		do_connect(up);
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
	st->link = link_names[up->state];
	st->sent = up->sent;
	st->confirmed = up->confirmed;
	st->duplicates = up->duplicates;
	st->errors = up->errors;
	st->reconnects = up->reconnects;
	st->in_flight = up->in_n;
	st->delivered_upto = up->delivered_upto;
	st->link_since = up->link_since;
	snprintf(st->last_error, sizeof st->last_error, "%s", up->last_error);
}
