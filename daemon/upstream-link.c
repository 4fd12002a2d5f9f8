/*
 * upstream-link: the events link's Redis connection (upstream_impl.h):
 * resolve the primary through the sentinels, connect with a timeout, check
 * ROLE, a reply timeout and a heartbeat, and reconnect with capped
 * exponential backoff. What goes over it is upstream.c's.
 */
#include "upstream_impl.h"

#include <stdio.h>
#include <time.h>

#include <event2/event.h>
#include <async.h>

#include "log.h"
#include "redis_async.h"
#include "sentinel.h"
#include "xmalloc.h" /* fatalx() */

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define HEARTBEAT_MS   1000

static const char *const link_names[] = {"disabled", "down", "connecting", "up"};

static void schedule_retry(struct upstream *up);

static int64_t now_real(void)
{
	return (int64_t)time(NULL);
}

static void ms_timer(struct event *ev, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (evtimer_add(ev, &tv) < 0)
		fatalx("libevent: cannot arm a Redis link timer");
}

void uplink_set_state(struct upstream *up, enum link_state st)
{
	if (up->state != st)
		up->link_since = now_real();
	up->state = st;
}

const char *uplink_state_name(enum link_state st)
{
	return link_names[st];
}

void uplink_track(struct upstream *up)
{
	if (up->in_n++ == 0)
		ms_timer(up->reply_timeout_ev, upstream_cfg(up)->redis_reply_timeout_ms);
}

void uplink_untrack(struct upstream *up)
{
	if (up->in_n > 0)
		up->in_n--;
	if (up->in_n > 0)
		ms_timer(up->reply_timeout_ev, upstream_cfg(up)->redis_reply_timeout_ms);
	else if (!up->ping_out)
		evtimer_del(up->reply_timeout_ev);
}

void uplink_down(struct upstream *up, const char *why)
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
	sentinel_cancel(up->sentinel);
	evtimer_del(up->connect_timeout_ev);
	evtimer_del(up->reply_timeout_ev);
	evtimer_del(up->heartbeat_ev);
	up->in_n = 0;
	up->ping_out = false;
	upstream_link_lost(up);
	if (!up->logged_down) {
		log_msg(LOG_WARNING, "Redis link down: %s; events wait in the outbox", why);
		up->logged_down = true;
	}
	uplink_set_state(up, LINK_DOWN);
	schedule_retry(up);
}

static void on_kill(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;

	(void)fd;
	(void)what;
	uplink_down(up, up->last_error[0] ? up->last_error : "connection lost");
}

void uplink_down_later(struct upstream *up, const char *why)
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
	uplink_down_later(up, ac->errstr[0] ? ac->errstr : "Redis closed the connection");
}

/* AUTH or SELECT. */
static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	redisReply *reply = r;

	(void)privdata;
	if (up == NULL || reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_msg(LOG_ERR, "Redis refused set-up: %s", reply->str);
		uplink_down_later(up, reply->str);
	}
}

/* Connected, to the primary: the delivery side takes over. */
static void link_up(struct upstream *up)
{
	evtimer_del(up->connect_timeout_ev);
	uplink_set_state(up, LINK_UP);
	up->backoff_ms = BACKOFF_MIN_MS;
	if (up->logged_down || up->reconnects == 0)
		log_msg(LOG_NOTICE, "Redis link up: %s; %zu events in the outbox", up->addr,
		        engine_outbox_count(up->srv->eng));
	up->logged_down = false;
	up->reconnects++;
	ms_timer(up->heartbeat_ev, HEARTBEAT_MS);
	upstream_link_ready(up);
}

/* A primary the sentinels named may have been demoted since: it must say so itself. */
static void on_role(redisAsyncContext *ac, void *r, void *privdata)
{
	struct upstream *up = ac->data;
	char buf[200];
	const char *err;

	(void)privdata;
	if (up == NULL || r == NULL)
		return;
	err = sentinel_role_error(r, buf, sizeof buf);
	if (err != NULL) {
		log_msg(LOG_WARNING, "Redis at %s: %s; asking the sentinels again", up->addr, err);
		sentinel_stale(up->sentinel);
		uplink_down_later(up, err);
		return;
	}
	link_up(up);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct upstream *up = ac->data;

	if (up == NULL)
		return;
	if (status != REDIS_OK) {
		up->ac = NULL; /* hiredis frees it */
		uplink_down_later(up, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	/* Nothing goes out before ROLE answers (the connect timeout still runs). */
	if (upstream_cfg(up)->nredis_sentinels > 0)
		redisAsyncCommand(up->ac, on_role, NULL, "ROLE");
	else
		link_up(up);
}

/* host NULL: the configured address. */
static void open_link(struct upstream *up, const char *host, int port)
{
	const struct config *cfg = upstream_cfg(up);
	char why[160];
	redisAsyncContext *ac;

	redis_async_where(cfg, host, port, up->addr, sizeof up->addr);
	ac = redis_async_open(cfg, host, port, up->srv->base, up, on_connect, on_disconnect,
	                      on_reply, why, sizeof why);
	if (ac == NULL) {
		up->ac = NULL;
		uplink_down(up, why);
		return;
	}
	up->ac = ac;
	uplink_set_state(up, LINK_CONNECTING);
	ms_timer(up->connect_timeout_ev, cfg->redis_connect_timeout_ms);
}

/* The sentinels' answer (from the loop, outside any hiredis callback). */
static void on_resolved(void *arg, const char *host, int port, const char *err)
{
	if (host == NULL)
		uplink_down(arg, err);
	else
		open_link(arg, host, port);
}

/* With sentinels, each connection first asks them where the primary is now. */
void uplink_connect(struct upstream *up)
{
	if (upstream_cfg(up)->nredis_sentinels == 0) {
		open_link(up, NULL, 0);
		return;
	}
	uplink_set_state(up, LINK_CONNECTING);
	sentinel_resolve(up->sentinel);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	uplink_connect(arg);
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
	         upstream_cfg(up)->redis_connect_timeout_ms);
	uplink_down(up, why);
}

static void on_reply_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof why, "no reply within %d ms",
	         upstream_cfg(up)->redis_reply_timeout_ms);
	uplink_down(up, why);
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
		ms_timer(up->reply_timeout_ev, upstream_cfg(up)->redis_reply_timeout_ms);
	}
	ms_timer(up->heartbeat_ev, HEARTBEAT_MS);
}

void uplink_init(struct upstream *up)
{
	struct server *srv = up->srv;

	up->retry_ev = evtimer_new(srv->base, on_retry, up);
	up->connect_timeout_ev = evtimer_new(srv->base, on_connect_timeout, up);
	up->reply_timeout_ev = evtimer_new(srv->base, on_reply_timeout, up);
	up->heartbeat_ev = evtimer_new(srv->base, on_heartbeat, up);
	up->kill_ev = event_new(srv->base, -1, 0, on_kill, up);
	up->sentinel = sentinel_new(srv->base, &srv->cfg, on_resolved, up);
	if (!up->retry_ev || !up->connect_timeout_ev || !up->reply_timeout_ev ||
	    !up->heartbeat_ev || !up->kill_ev)
		fatalx("libevent: cannot create the Redis link's timers");
	up->backoff_ms = BACKOFF_MIN_MS;
	up->link_since = now_real();
}

void uplink_free(struct upstream *up)
{
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
	sentinel_free(up->sentinel);
}

void uplink_disable(struct upstream *up)
{
	uplink_down(up, "disabled in the configuration");
	evtimer_del(up->retry_ev);
	uplink_set_state(up, LINK_DISABLED);
}
