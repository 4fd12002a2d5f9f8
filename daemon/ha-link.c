/*
 * ha-link: one hiredis async connection of the HA module (ha.c has two: the
 * commands and lease link, and the blocking XREAD tail). Connect with a
 * timeout, reconnect with a short capped backoff (a failover waits for it),
 * AUTH and SELECT as redis: says. With redis.sentinels each connection first
 * asks them where the primary is and then checks ROLE (sentinel.h): a link
 * that dropped follows a Redis failover. The teardown is deferred to the loop:
 * hiredis must not free a context from inside its own callbacks.
 *
 * upstream.c keeps its own link: its reconnect policy (backoff up to 10 s,
 * heartbeat) suits event delivery, not a lease of a few seconds.
 */
#include "ha_impl.h"
#include "redis_async.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <async.h>

#include "log.h"
#include "sentinel.h"
#include "server.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

void hlink_timer(struct event *ev, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	if (evtimer_add(ev, &tv) < 0)
		fatalx("libevent: cannot arm an HA timer");
}

/* Connected, to the primary. */
static void link_up(struct hlink *l)
{
	evtimer_del(l->timeout_ev);
	l->up = true;
	l->backoff_ms = BACKOFF_MIN_MS;
	if (l->logged_down)
		log_msg(LOG_NOTICE, "ha: Redis %s link up again", l->name);
	l->logged_down = false;
	l->on_up(l->h);
}

/* A primary the sentinels named may have been demoted since: it must say so itself. */
static void on_link_role(redisAsyncContext *ac, void *r, void *privdata)
{
	struct hlink *l = ac->data;
	char buf[200];
	const char *err;

	(void)privdata;
	if (l == NULL || r == NULL || l->failing)
		return;
	err = sentinel_role_error(r, buf, sizeof buf);
	if (err != NULL) {
		log_msg(LOG_WARNING, "ha: Redis %s link to %s: %s; asking the sentinels again",
		        l->name, l->addr, err);
		sentinel_stale(l->sentinel);
		hlink_fail(l, err);
		return;
	}
	link_up(l);
}

static void on_link_connect(const redisAsyncContext *ac, int status)
{
	struct hlink *l = ac->data;

	if (l == NULL)
		return;
	if (status != REDIS_OK) {
		l->ac = NULL; /* hiredis frees it */
		hlink_fail(l, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	/* Not up before ROLE answers (the connect timeout still runs). */
	if (l->h->srv->cfg->nredis_sentinels > 0 && l->ac != NULL)
		redisAsyncCommand(l->ac, on_link_role, NULL, "ROLE");
	else
		link_up(l);
}

static void on_link_disconnect(const redisAsyncContext *ac, int status)
{
	struct hlink *l = ac->data;

	(void)status;
	if (l == NULL)
		return;
	l->ac = NULL; /* hiredis frees it after this callback */
	hlink_fail(l, ac->errstr[0] ? ac->errstr : "Redis closed the connection");
}

static void on_setup_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct hlink *l = ac->data;
	redisReply *reply = r;

	(void)privdata;
	if (l && reply && reply->type == REDIS_REPLY_ERROR)
		hlink_fail(l, reply->str);
}

/* host NULL: the configured address. */
static void link_open(struct hlink *l, const char *host, int port)
{
	const struct config *cfg = l->h->srv->cfg;
	char why[160];
	redisAsyncContext *ac;

	redis_async_where(cfg, host, port, l->addr, sizeof l->addr);
	ac = redis_async_open(cfg, host, port, l->h->srv->base, l, on_link_connect,
	                      on_link_disconnect, on_setup_reply, why, sizeof why);
	if (ac == NULL) {
		hlink_fail(l, why);
		return;
	}
	l->ac = ac;
	hlink_timer(l->timeout_ev, cfg->redis_connect_timeout_ms);
}

/* The sentinels' answer (from the loop, outside any hiredis callback). */
static void on_link_resolved(void *arg, const char *host, int port, const char *err)
{
	struct hlink *l = arg;

	if (host == NULL)
		hlink_fail(l, err);
	else
		link_open(l, host, port);
}

static void link_connect(struct hlink *l)
{
	if (l->h->srv->cfg->nredis_sentinels > 0)
		sentinel_resolve(l->sentinel);
	else
		link_open(l, NULL, 0);
}

/* Deferred: free the context (its pending callbacks see no link), tell ha.c, retry later. */
static void on_link_kill(evutil_socket_t fd, short what, void *arg)
{
	struct hlink *l = arg;
	redisAsyncContext *ac = l->ac;
	bool was_up = l->up;

	(void)fd;
	(void)what;
	l->ac = NULL;
	l->up = false;
	l->failing = false;
	sentinel_cancel(l->sentinel);
	if (ac) {
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	evtimer_del(l->timeout_ev);
	if (!l->logged_down)
		log_msg(LOG_WARNING, "ha: Redis %s link down: %s", l->name, l->last_error);
	l->logged_down = true;
	l->on_down(l->h, was_up);
	if (!l->h->stopping) {
		hlink_timer(l->retry_ev, l->backoff_ms);
		l->backoff_ms =
		        l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
	}
}

void hlink_fail(struct hlink *l, const char *why)
{
	if (l->failing)
		return;
	snprintf(l->last_error, sizeof l->last_error, "%s", why);
	l->failing = true;
	event_active(l->kill_ev, EV_TIMEOUT, 0);
}

static void on_link_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_connect(arg);
}

static void on_link_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hlink_fail(arg, "no connection in time");
}

void hlink_init(struct hlink *l, struct ha *h, const char *name, void (*on_up)(struct ha *),
                void (*on_down)(struct ha *, bool))
{
	struct event_base *base = h->srv->base;

	memset(l, 0, sizeof *l);
	l->h = h;
	l->name = name;
	l->on_up = on_up;
	l->on_down = on_down;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->retry_ev = evtimer_new(base, on_link_retry, l);
	l->timeout_ev = evtimer_new(base, on_link_timeout, l);
	l->kill_ev = event_new(base, -1, 0, on_link_kill, l);
	l->sentinel = sentinel_new(base, &h->srv->cfg, on_link_resolved, l);
	if (!l->retry_ev || !l->timeout_ev || !l->kill_ev)
		fatalx("libevent: cannot create the HA link's events");
	link_connect(l);
}

void hlink_free(struct hlink *l)
{
	if (l->ac) {
		redisAsyncContext *ac = l->ac;
		l->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	if (l->retry_ev)
		event_free(l->retry_ev);
	if (l->timeout_ev)
		event_free(l->timeout_ev);
	if (l->kill_ev)
		event_free(l->kill_ev);
	sentinel_free(l->sentinel);
	l->sentinel = NULL;
	l->retry_ev = l->timeout_ev = l->kill_ev = NULL;
}

bool hlink_ready(const struct hlink *l)
{
	return l->up && l->ac != NULL && !l->failing;
}
