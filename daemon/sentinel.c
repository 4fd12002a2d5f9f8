/* sentinel: the primary's address from Redis Sentinel (sentinel.h). */
#include "sentinel.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <async.h>
#include <adapters/libevent.h>

#include "config.h"
#include "log.h"
#include "xmalloc.h"

struct sentinel {
	struct event_base *base;
	sentinel_done_fn *done;
	void *arg;
	struct config *const *cfgp; /* the server's: a reload replaces it */
	redisAsyncContext *ac;      /* the sentinel being asked */
	struct event *timeout_ev;   /* its connection and answer */
	struct event *step_ev;      /* the next sentinel, or the report: from the loop */
	bool busy;
	bool found;
	size_t first; /* the sentinel that answered last: asked first */
	size_t asked; /* sentinels done with in this resolution */
	char host[256];
	int port;
	char err[240]; /* the last sentinel's failure */
};

static size_t current(const struct sentinel *s)
{
	size_t n = (*s->cfgp)->nredis_sentinels;

	return n ? (s->first + s->asked) % n : 0;
}

/* "host:port" or "[v6]:port" (the config checked the form) into host and port. */
static void split_address(const char *addr, char *host, size_t len, int *port)
{
	const char *colon = strrchr(addr, ':');
	size_t n = (size_t)(colon - addr);

	if (addr[0] == '[' && n >= 2) {
		addr++;
		n -= 2;
	}
	snprintf(host, len, "%.*s", (int)n, addr);
	*port = atoi(colon + 1);
}

static void drop_context(struct sentinel *s)
{
	redisAsyncContext *ac = s->ac;

	s->ac = NULL;
	evtimer_del(s->timeout_ev);
	if (ac) {
		ac->data = NULL; /* its callbacks, called while it is freed, must do nothing */
		redisAsyncFree(ac);
	}
}

/* This sentinel gave no address: note why, and go on to the next from the loop. */
static void failed(struct sentinel *s, const char *why)
{
	const struct config *cfg = *s->cfgp;

	snprintf(s->err, sizeof s->err, "sentinel %s: %s",
	         cfg->nredis_sentinels ? cfg->redis_sentinels[current(s)] : "(gone in a reload)",
	         why);
	log_msg(LOG_DEBUG, "Redis %s", s->err);
	s->asked++;
	event_active(s->step_ev, EV_TIMEOUT, 0);
}

static void on_answer(redisAsyncContext *ac, void *r, void *privdata)
{
	struct sentinel *s = ac->data;
	redisReply *reply = r;

	(void)privdata;
	if (s == NULL || reply == NULL)
		return;
	/* Done with this connection: hiredis closes it once this callback returns. */
	ac->data = NULL;
	s->ac = NULL;
	evtimer_del(s->timeout_ev);
	redisAsyncDisconnect(ac);
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(s->host, sizeof s->host, "%s", reply->element[0]->str);
		s->port = atoi(reply->element[1]->str);
		s->found = true;
		s->first = current(s);
		event_active(s->step_ev, EV_TIMEOUT, 0);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		failed(s, reply->str);
	} else {
		char why[160];
		snprintf(why, sizeof why, "monitors no primary named \"%s\" (sentinel monitor)",
		         (*s->cfgp)->redis_master);
		failed(s, why);
	}
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct sentinel *s = ac->data;
	char why[160];

	if (s == NULL || status == REDIS_OK)
		return;
	s->ac = NULL; /* hiredis frees it */
	evtimer_del(s->timeout_ev);
	snprintf(why, sizeof why, "cannot connect: %s", ac->errstr[0] ? ac->errstr : "refused");
	failed(s, why);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct sentinel *s = ac->data;
	char why[160];

	(void)status;
	if (s == NULL)
		return;
	s->ac = NULL; /* hiredis frees it after this callback */
	evtimer_del(s->timeout_ev);
	snprintf(why, sizeof why, "closed the connection: %s",
	         ac->errstr[0] ? ac->errstr : "before answering");
	failed(s, why);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sentinel *s = arg;
	char why[96];

	(void)fd;
	(void)what;
	drop_context(s);
	snprintf(why, sizeof why, "no answer within %d ms (redis.connect_timeout_ms)",
	         (*s->cfgp)->redis_connect_timeout_ms);
	failed(s, why);
}

static void ask(struct sentinel *s)
{
	char host[256];
	int port;
	redisAsyncContext *ac;
	struct timeval tv = {(*s->cfgp)->redis_connect_timeout_ms / 1000,
	                     ((*s->cfgp)->redis_connect_timeout_ms % 1000) * 1000};

	split_address((*s->cfgp)->redis_sentinels[current(s)], host, sizeof host, &port);
	ac = redisAsyncConnect(host, port);
	if (ac == NULL)
		fatalx("hiredis: out of memory");
	if (ac->err) {
		char why[160];
		snprintf(why, sizeof why, "cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		failed(s, why);
		return;
	}
	ac->data = s;
	s->ac = ac;
	redisLibeventAttach(ac, s->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	redisAsyncCommand(ac, on_answer, NULL, "SENTINEL get-master-addr-by-name %s",
	                  (*s->cfgp)->redis_master);
	if (evtimer_add(s->timeout_ev, &tv) < 0)
		fatalx("libevent: cannot arm the sentinel timer");
}

/* From the loop: the next sentinel, or the report to the owner. */
static void on_step(evutil_socket_t fd, short what, void *arg)
{
	struct sentinel *s = arg;
	char why[sizeof s->err + 96];

	(void)fd;
	(void)what;
	if (!s->busy)
		return;
	if (s->found) {
		s->busy = false;
		s->done(s->arg, s->host, s->port, NULL);
	} else if (s->asked >= (*s->cfgp)->nredis_sentinels || (*s->cfgp)->nredis_sentinels == 0) {
		s->busy = false;
		snprintf(why, sizeof why,
		         "no sentinel gave the address of primary \"%s\" (last: %s)",
		         (*s->cfgp)->redis_master, s->err);
		s->done(s->arg, NULL, 0, why);
	} else {
		ask(s);
	}
}

struct sentinel *sentinel_new(struct event_base *base, struct config *const *cfgp,
                              sentinel_done_fn *done, void *arg)
{
	struct sentinel *s = xcalloc(1, sizeof *s);

	s->base = base;
	s->cfgp = cfgp;
	s->done = done;
	s->arg = arg;
	s->timeout_ev = evtimer_new(base, on_timeout, s);
	s->step_ev = event_new(base, -1, 0, on_step, s);
	if (!s->timeout_ev || !s->step_ev)
		fatalx("libevent: cannot create the sentinel resolver's events");
	return s;
}

void sentinel_resolve(struct sentinel *s)
{
	sentinel_cancel(s);
	s->busy = true;
	s->found = false;
	s->asked = 0;
	s->err[0] = '\0';
	event_active(s->step_ev, EV_TIMEOUT, 0);
}

void sentinel_cancel(struct sentinel *s)
{
	if (s == NULL)
		return;
	drop_context(s);
	event_del(s->step_ev);
	s->busy = false;
}

void sentinel_stale(struct sentinel *s)
{
	if (s != NULL && s->found)
		s->first++;
}

void sentinel_free(struct sentinel *s)
{
	if (s == NULL)
		return;
	sentinel_cancel(s);
	event_free(s->timeout_ev);
	event_free(s->step_ev);
	free(s);
}

const char *sentinel_role_error(const redisReply *r, char *buf, size_t len)
{
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(buf, len, "ROLE: %s", r->str);
		return buf;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		snprintf(buf, len, "ROLE: unexpected reply");
		return buf;
	}
	if (strcmp(r->element[0]->str, "master") == 0)
		return NULL;
	/* A replica says "slave", its primary's host and port. */
	if (r->elements >= 3 && r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[2]->type == REDIS_REPLY_INTEGER)
		snprintf(buf, len,
		         "not the primary (ROLE: %s of %s:%lld): a stale answer from the sentinels",
		         r->element[0]->str, r->element[1]->str, r->element[2]->integer);
	else
		snprintf(buf, len, "not the primary (ROLE: %s)", r->element[0]->str);
	return buf;
}
