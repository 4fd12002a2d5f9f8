/*
 * server: listeners, connections, the per-iteration commit, the deadline
 * timer and signals, on one libevent loop.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "cmd.h"
#include "journal.h"
#include "upstream.h"
#include "log.h"
#include "timeutil.h"
#include "tls.h"
#include "xmalloc.h"

static void client_free(struct client *c);
static void client_process(struct client *c);
static void compact_poll(struct server *srv);

int64_t server_realtime(void)
{
	return (int64_t)time(NULL);
}

int64_t server_now(const struct server *srv)
{
	return srv->debug_clock ? srv->debug_now : server_realtime();
}

/* ---- events and the deadline timer ---------------------------------------------- */

/* Log the events not logged yet: the engine's batch holds every event until the commit. */
static void log_events(struct server *srv)
{
	struct engine *eng = srv->eng;
	const struct event *evs;
	size_t n = engine_emitted(eng, &evs);
	size_t first = n;

	/* The batch is in sequence order: find the first event not logged yet from the end. */
	while (first > 0 && evs[first - 1].seq > srv->logged_seq)
		first--;
	for (size_t i = first; i < n; i++) {
		const struct event *ev = &evs[i];
		const char *name = event_type_names[ev->type];
		const char *centre = engine_str(eng, ev->centre);
		int prio = LOG_DEBUG;
		srv->logged_seq = ev->seq;
		srv->events_emitted++;
		if (ev->type == EVENT_TICKET_BREACHED || ev->type == EVENT_LOAN_ELIGIBLE)
			prio = LOG_NOTICE;
		else if (ev->type == EVENT_TICKET_AT_RISK)
			prio = LOG_INFO;
		log_ticket(prio, ev->ticket, centre, ev->member, name,
		           "ticket %llu at %s: %s%s%s (seq %llu)", (unsigned long long)ev->ticket,
		           centre, name, ev->reason[0] ? " " : "", ev->reason,
		           (unsigned long long)ev->seq);
	}
}

static void arm_deadline(struct server *srv)
{
	int64_t at, now;
	struct timeval tv = {0, 0};

	if (!engine_next_due(srv->eng, &at)) {
		evtimer_del(srv->deadline_ev);
		return;
	}
	if (srv->debug_clock) {
		/* Only DEBUG.CLOCK moves time; it runs what is due itself. */
		evtimer_del(srv->deadline_ev);
		return;
	}
	now = server_now(srv);
	if (at > now)
		tv.tv_sec = (time_t)(at - now > 86400 ? 86400 : at - now);
	evtimer_add(srv->deadline_ev, &tv);
}

void server_after_change(struct server *srv)
{
	engine_advance(srv->eng, server_now(srv));
	log_events(srv);
	arm_deadline(srv);
	/* Clock-driven changes are journaled like requested ones. */
	event_active(srv->commit_ev, EV_TIMEOUT, 0);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_after_change(arg);
}

/* ---- replies and the commit ----------------------------------------------------- */

struct rbuf *client_reply_buf(struct client *c)
{
	struct server *srv = c->srv;

	if (!c->in_pending) {
		c->in_pending = true;
		c->next_pending = srv->pending;
		srv->pending = c;
		/* Runs after the callbacks of this loop iteration. */
		event_active(srv->commit_ev, EV_TIMEOUT, 0);
	}
	return &c->pending;
}

void client_close_after_reply(struct client *c)
{
	c->closing = true;
	client_reply_buf(c);
}

static void client_release(struct client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->pending.len > 0) {
		bool was_empty = evbuffer_get_length(out) == 0;
		evbuffer_add(out, c->pending.data, c->pending.len);
		c->pending.len = 0;
		/*
		 * Write at once, as Redis does before it sleeps, instead of waiting
		 * for the loop to report the socket writable: one round trip less.
		 * Not under TLS: those bytes must go through the encryption.
		 */
		if (was_empty && !c->is_tls && evbuffer_write(out, bufferevent_getfd(c->bev)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			log_msg(LOG_DEBUG, "client %llu: write: %s", (unsigned long long)c->id,
			        strerror(errno));
	}
	if (evbuffer_get_length(out) > CLIENT_OUTPUT_LIMIT) {
		log_msg(LOG_WARNING, "client %llu (%s): %zu bytes of replies unread: closing",
		        (unsigned long long)c->id, c->peer, evbuffer_get_length(out));
		client_free(c);
		return;
	}
	if (!c->closing && !c->read_paused && evbuffer_get_length(out) > CLIENT_OUTPUT_PAUSE) {
		/* Backpressure: a client that does not read its replies stops being read. */
		c->read_paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
	if (c->closing && evbuffer_get_length(out) == 0)
		client_free(c);
}

/*
 * Once per loop iteration with pending replies or changes: the group commit.
 * Every change of the iteration goes to the journal with one write and,
 * under fsync: always, one fdatasync; only then are the replies released.
 */
static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct client *list = srv->pending, *held = NULL;
	uint64_t records;
	bool durable;

	(void)fd;
	(void)what;
	durable = journal_commit(&srv->journal, srv->eng, &records) == 0;
	if (durable)
		upstream_kick(srv->up); /* journaled events may go to Redis now */
	if (!durable) {
		if (srv->cfg->fsync == FSYNC_ALWAYS) {
			/* Never acknowledged, never retried: systemd restarts us and replay is
			 * exact. */
			log_msg(LOG_ERR, "journal: %s; exiting without acknowledging",
			        srv->journal.last_error);
			exit(74);
		}
		log_msg(LOG_ERR, "journal: %s; refusing changes (IOERR) until writes succeed",
		        srv->journal.last_error);
	}
	srv->pending = NULL;
	while (list) {
		struct client *c = list;
		list = c->next_pending;
		c->next_pending = NULL;
		if ((!durable && c->wrote) || c->delayed) {
			/* Its change is not on disk (or it failed AUTH): hold its replies. */
			c->next_pending = held;
			held = c;
			continue;
		}
		c->in_pending = false;
		c->wrote = false;
		client_release(c);
	}
	srv->pending = held;
}

/* ---- clients ------------------------------------------------------------------------- */

static void client_free(struct client *c)
{
	struct server *srv = c->srv;

	if (c->in_pending) {
		struct client **pp = &srv->pending;
		while (*pp && *pp != c)
			pp = &(*pp)->next_pending;
		if (*pp)
			*pp = c->next_pending;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
	log_msg(LOG_DEBUG, "client %llu (%s) closed", (unsigned long long)c->id, c->peer);
	if (c->tls_ready)
		tls_close_notify(c->bev);
	bufferevent_free(c->bev);
	event_free(c->resume);
	proto_free(&c->parser);
	rbuf_free(&c->pending);
	if (c->handshake)
		event_free(c->handshake);
	if (c->delay_ev)
		event_free(c->delay_ev);
	free(c->user);
	free(c);
}

static void protocol_error(struct client *c, const char *msg)
{
	c->srv->protocol_errors++;
	log_msg(LOG_INFO, "client %llu (%s): %s; closing", (unsigned long long)c->id, c->peer, msg);
	reply_error(client_reply_buf(c), "ERR", msg);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
}

/* Before AUTH, a TCP client gets Redis's small limits: it cannot make us allocate much. */
static const struct proto_limits unauth_limits = {10, 16384, 16384};

static const struct proto_limits *client_limits(const struct client *c)
{
	if (!c->is_unix && c->srv->cfg->tcp_auth && c->user == NULL)
		return &unauth_limits;
	return &proto_default_limits;
}

static void on_delay_over(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	c->delayed = false;
	bufferevent_enable(c->bev, EV_READ);
	client_reply_buf(c); /* make sure it is on the pending list */
	event_active(c->srv->commit_ev, EV_TIMEOUT, 0);
}

void client_delay(struct client *c, int secs)
{
	struct timeval tv = {secs, 0};

	if (c->delay_ev == NULL)
		c->delay_ev = evtimer_new(c->srv->base, on_delay_over, c);
	if (c->delay_ev == NULL)
		return;
	c->delayed = true;
	bufferevent_disable(c->bev, EV_READ);
	evtimer_add(c->delay_ev, &tv);
}

/* Parse and run up to a fair share of requests from the input buffer. */
static void client_process(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int done = 0;
	char err[128];

	while (!c->closing && done < CLIENT_MAX_REQUESTS_PER_EVENT) {
		struct evbuffer_iovec vec;
		size_t used = 0;
		enum proto_status st;

		if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1 || vec.iov_len == 0)
			return;
		st = proto_feed(&c->parser, client_limits(c), vec.iov_base, vec.iov_len, &used, err,
		                sizeof err);
		evbuffer_drain(in, used);
		if (st == PROTO_ERROR) {
			protocol_error(c, err);
			return;
		}
		if (proto_pending_bytes(&c->parser) > CLIENT_QUERY_LIMIT) {
			protocol_error(c, "Protocol error: query buffer limit exceeded");
			return;
		}
		if (st == PROTO_REQUEST) {
			cmd_dispatch(c, c->parser.argc, c->parser.argv, c->parser.argvlen);
			proto_reset_request(&c->parser);
			done++;
		}
	}
	/* A fair share is done: let others run, then come back for the rest. */
	if (!c->closing && evbuffer_get_length(in) > 0)
		event_active(c->resume, EV_TIMEOUT, 0);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_process(arg);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	(void)bev;
	c->last_active = server_realtime();
	client_process(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->closing && left == 0 && !c->in_pending) {
		client_free(c);
		return;
	}
	if (c->read_paused && left < CLIENT_OUTPUT_RESUME) {
		c->read_paused = false;
		bufferevent_enable(bev, EV_READ);
		client_process(c);
	}
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	int saved_errno = EVUTIL_SOCKET_ERROR();
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		/* TLS: the handshake is done. */
		c->tls_ready = true;
		if (c->handshake)
			evtimer_del(c->handshake);
		log_msg(LOG_DEBUG, "client %llu (%s): %s", (unsigned long long)c->id, c->peer,
		        tls_describe(bev, why, sizeof why));
		return;
	}
	if (c->is_tls && (what & BEV_EVENT_ERROR))
		/* A plain-text client on a TLS port ends here: "wrong version number". */
		log_msg(c->tls_ready ? LOG_DEBUG : LOG_INFO,
		        "client %llu (%s): TLS %s: %s; closing", (unsigned long long)c->id, c->peer,
		        c->tls_ready ? "error" : "handshake failed",
		        tls_error(bev, saved_errno, why, sizeof why));
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(c);
}

static void on_handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	log_msg(LOG_INFO, "client %llu (%s): no TLS handshake in time; closing",
	        (unsigned long long)c->id, c->peer);
	client_free(c);
}

static void client_new(struct server *srv, evutil_socket_t fd, struct sockaddr *sa, int salen,
                       const struct listener *l)
{
	struct client *c;
	char host[48], port[8];
	bool is_unix = l->is_unix;

	srv->total_connections++;
	if (srv->stopping || srv->nclients >= (size_t)srv->cfg->max_clients) {
		static const char busy[] = "-BUSY max number of clients reached\r\n";
		srv->rejected_connections++;
		/* Best effort: the socket is new and its buffer empty. */
		if (l->tls == NULL && write(fd, busy, sizeof busy - 1) < 0)
			log_msg(LOG_DEBUG, "could not tell a rejected client: %s", strerror(errno));
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->id = ++srv->next_client_id;
	c->is_unix = is_unix;
	c->last_active = server_realtime();
	if (is_unix)
		snprintf(c->peer, sizeof c->peer, "unix:%llu", (unsigned long long)c->id);
	else if (getnameinfo(sa, (socklen_t)salen, host, sizeof host, port, sizeof port,
	                     NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(c->peer, sizeof c->peer, "%.46s:%.7s", host, port);
	proto_init(&c->parser);
	rbuf_init(&c->pending);
	evutil_make_socket_nonblocking(fd);
	c->is_tls = l->tls != NULL;
	c->bev = c->is_tls ? tls_bufferevent_new(srv->base, fd, l->tls)
	                   : bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->resume = event_new(srv->base, -1, 0, on_resume, c);
	if (c->is_tls)
		c->handshake = evtimer_new(srv->base, on_handshake_timeout, c);
	if (c->bev == NULL || c->resume == NULL || (c->is_tls && c->handshake == NULL))
		fatalx("libevent: cannot set up a client");
	if (c->is_tls) {
		struct timeval tv = {l->handshake_timeout_ms / 1000,
		                     (l->handshake_timeout_ms % 1000) * 1000};
		evtimer_add(c->handshake, &tv);
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_client_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CLIENT_OUTPUT_RESUME, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
	log_msg(LOG_DEBUG, "client %llu connected from %s", (unsigned long long)c->id, c->peer);
}

/* ---- listeners ---------------------------------------------------------------------- */

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct listener *l = arg;

	(void)lev;
	client_new(l->srv, fd, sa, salen, l);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener *l = arg;
	struct timeval one = {1, 0};
	int e = EVUTIL_SOCKET_ERROR();

	(void)lev;
	/* Out of descriptors (EMFILE, ENFILE) and the like: pause instead of spinning. */
	log_msg(LOG_WARNING, "accept on %s failed: %s; pausing the listener for a second", l->addr,
	        evutil_socket_error_to_string(e));
	evconnlistener_disable(l->lev);
	evtimer_add(l->retry, &one);
}

static struct listener *listener_add(struct server *srv, evutil_socket_t fd, const char *addr,
                                     bool is_unix)
{
	struct listener *l = xcalloc(1, sizeof *l);

	snprintf(l->addr, sizeof l->addr, "%s", addr);
	l->is_unix = is_unix;
	l->srv = srv;
	l->retry = evtimer_new(srv->base, on_retry, l);
	l->lev = evconnlistener_new(srv->base, on_accept, l,
	                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->lev == NULL || l->retry == NULL)
		fatalx("libevent: cannot set up listener %s", addr);
	evconnlistener_set_error_cb(l->lev, on_accept_error);
	l->next = srv->listeners;
	srv->listeners = l;
	log_msg(LOG_INFO, "listening on %s", addr);
	return l;
}

static int listen_tcp(struct server *srv, const char *addr, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {0}, *res = NULL;
	evutil_socket_t fd;
	int one = 1, rc;
	size_t hl;

	if (colon == NULL) {
		snprintf(err, errlen, "listen %s: not HOST:PORT", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	listener_add(srv, fd, addr, false);
	return 0;
}

/* A listen.tls listener: its certificate and key are loaded before the port is bound. */
static int listen_tls(struct server *srv, const struct tls_listen *t, char *err, size_t errlen)
{
	struct ssl_ctx_st *ctx = tls_context_new(t, err, errlen);
	char desc[512];

	if (ctx == NULL)
		return -1;
	if (listen_tcp(srv, t->address, err, errlen) < 0) {
		tls_context_free(ctx);
		return -1;
	}
	/* listener_add() put the new listener first. */
	srv->listeners->tls = ctx;
	srv->listeners->handshake_timeout_ms = t->handshake_timeout_ms;
	log_msg(tls_context_expired(ctx) ? LOG_WARNING : LOG_INFO, "TLS on %s: %s%s", t->address,
	        tls_context_describe(ctx, desc, sizeof desc),
	        tls_context_expired(ctx) ? " (not valid now: clients will refuse it)" : "");
	return 0;
}

static const struct tls_listen *tls_config_for(const struct config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->nlisten_tls; i++)
		if (strcmp(cfg->listen_tls[i].address, addr) == 0)
			return &cfg->listen_tls[i];
	return NULL;
}

static void tls_reload_commit(struct server *srv, bool use);

/*
 * Reload, first step: load the certificates and keys of cfg for the TLS
 * listeners there are (a renewed certificate needs no restart; new or removed
 * listeners wait for one). 0, or -1 with the reason in err and nothing kept.
 */
static int tls_reload_prepare(struct server *srv, const struct config *cfg, char *err,
                              size_t errlen)
{
	for (struct listener *l = srv->listeners; l; l = l->next) {
		const struct tls_listen *t = l->tls ? tls_config_for(cfg, l->addr) : NULL;
		if (t && (l->tls_next = tls_context_new(t, err, errlen)) == NULL) {
			tls_reload_commit(srv, false);
			return -1;
		}
	}
	return 0;
}

/* Second step: use them (new connections get the new certificate), or drop them. */
static void tls_reload_commit(struct server *srv, bool use)
{
	char desc[512];

	for (struct listener *l = srv->listeners; l; l = l->next) {
		const struct tls_listen *t = tls_config_for(srv->cfg, l->addr);
		if (l->tls_next == NULL)
			continue;
		if (use && t) {
			tls_context_free(l->tls); /* open connections hold their own reference */
			l->tls = l->tls_next;
			l->handshake_timeout_ms = t->handshake_timeout_ms;
			log_msg(LOG_INFO, "TLS on %s: %s", l->addr,
			        tls_context_describe(l->tls, desc, sizeof desc));
		} else {
			tls_context_free(l->tls_next);
		}
		l->tls_next = NULL;
	}
}

static int listen_unix(struct server *srv, const char *path, unsigned mode, char *err,
                       size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char label[128];
	int fd, probe;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "unix socket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket file left by a dead daemon is replaced; a live one is not. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(probe);
		snprintf(err, errlen, "unix socket %s: another daemon is listening there", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "unix socket %s: cannot remove the old one: %s", path,
		         strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, (mode_t)mode) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "unix socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(label, sizeof label, "unix:%s", path);
	listener_add(srv, fd, label, true);
	return 0;
}

/*
 * Socket activation (repaird.socket): systemd binds the listeners and hands
 * them in; they replace listen.tcp and listen.unix. Returns how many were
 * handed in (0: none, bind our own), or -1 with the reason in err.
 */
static int listen_activated(struct server *srv, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		snprintf(err, errlen, "socket activation: %s", strerror(-n));
		return -1;
	}
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		union {
			struct sockaddr sa;
			struct sockaddr_un un;
			struct sockaddr_storage ss;
		} a;
		socklen_t alen = sizeof a;
		char label[128], host[NI_MAXHOST], port[NI_MAXSERV];
		bool is_unix = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;

		if (!is_unix && sd_is_socket_inet(fd, 0, SOCK_STREAM, 1, 0) <= 0) {
			snprintf(err, errlen,
			         "socket activation: descriptor %d is not a listening "
			         "stream socket (use ListenStream=)",
			         fd);
			return -1;
		}
		memset(&a, 0, sizeof a);
		getsockname(fd, &a.sa, &alen);
		if (is_unix)
			snprintf(label, sizeof label, "unix:%.100s",
			         a.un.sun_path[0] ? a.un.sun_path : "(abstract)");
		else if (getnameinfo(&a.sa, alen, host, sizeof host, port, sizeof port,
		                     NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(label, sizeof label,
			         a.sa.sa_family == AF_INET6 ? "[%.64s]:%s" : "%.64s:%s", host,
			         port);
		else
			snprintf(label, sizeof label, "descriptor %d", fd);
		if (evutil_make_socket_nonblocking(fd) < 0) {
			snprintf(err, errlen, "socket activation: %s: %s", label, strerror(errno));
			return -1;
		}
		listener_add(srv, fd, label, is_unix)->activated = true;
	}
	if (n > 0)
		log_msg(LOG_NOTICE,
		        "socket activation: %d listener%s from systemd; listen.tcp and listen.unix "
		        "not used",
		        n, n == 1 ? "" : "s");
	return n;
}

static void listeners_free(struct server *srv)
{
	while (srv->listeners) {
		struct listener *l = srv->listeners;
		srv->listeners = l->next;
		evconnlistener_free(l->lev);
		event_free(l->retry);
		if (l->is_unix && !l->activated)
			unlink(l->addr + 5);
		tls_context_free(l->tls); /* connections still open hold their own reference */
		free(l);
	}
}

/* ---- configuration -------------------------------------------------------------------- */

static void apply_overrides(struct server *srv, struct config *cfg)
{
	const struct server_overrides *ov = &srv->ov;

	if (ov->nlisten > 0) {
		for (size_t i = 0; i < cfg->nlisten_tcp; i++)
			free(cfg->listen_tcp[i]);
		cfg->listen_tcp = xreallocarray(cfg->listen_tcp, ov->nlisten, sizeof(char *));
		for (size_t i = 0; i < ov->nlisten; i++)
			cfg->listen_tcp[i] = xstrdup(ov->listen[i]);
		cfg->nlisten_tcp = ov->nlisten;
	}
	if (ov->unix_path) {
		free(cfg->listen_unix);
		cfg->listen_unix = ov->unix_path[0] ? xstrdup(ov->unix_path) : NULL;
	}
	if (ov->state_dir) {
		free(cfg->state_dir);
		cfg->state_dir = xstrdup(ov->state_dir);
	}
	if (ov->redis) {
		const char *colon = strrchr(ov->redis, ':');
		free(cfg->redis_host);
		cfg->redis_host = colon ? xstrndup(ov->redis, (size_t)(colon - ov->redis))
		                        : xstrdup(ov->redis);
		if (colon)
			cfg->redis_port = atoi(colon + 1);
	}
	if (ov->log_level >= 0)
		cfg->log_level = (enum log_level)ov->log_level;
}

struct config *server_load_config(struct server *srv, struct config_errors *errs)
{
	struct config *cfg = config_load(srv->config_path, errs);

	if (cfg == NULL)
		return NULL;
	apply_overrides(srv, cfg);
	/* --listen may not open what access.tcp_auth: off only allows on loopback. */
	for (size_t i = 0; !cfg->tcp_auth && i < cfg->nlisten_tcp; i++) {
		if (!config_loopback_address(cfg->listen_tcp[i])) {
			char msg[256];
			int n = snprintf(
			        msg, sizeof msg,
			        "--listen %s: access.tcp_auth is off, which is allowed only "
			        "on loopback",
			        cfg->listen_tcp[i]);
			errs->msg = xreallocarray(errs->msg, errs->n + 1, sizeof *errs->msg);
			errs->msg[errs->n++] = xstrndup(msg, n > 0 ? (size_t)n : 0);
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

int server_reload(struct server *srv, char *err, size_t errlen)
{
	struct config_errors errs = {0};
	struct engine_error eerr;
	struct config *cfg;

	sd_notify(0, "RELOADING=1\nSTATUS=Reloading the configuration");
	cfg = server_load_config(srv, &errs);
	if (cfg == NULL) {
		snprintf(err, errlen, "%s%s",
		         errs.n ? errs.msg[0] : "cannot load the configuration",
		         errs.n > 1 ? " (and more: see repaird --check-config)" : "");
		for (size_t i = 0; i < errs.n; i++)
			log_msg(LOG_ERR, "reload refused: %s", errs.msg[i]);
		config_errors_free(&errs);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; serving with the old configuration");
		return -1;
	}
	if (tls_reload_prepare(srv, cfg, err, errlen) < 0) {
		log_msg(LOG_ERR, "reload refused: %s", err);
		config_free(cfg);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; serving with the old configuration");
		return -1;
	}
	if (engine_set_config(srv->eng, cfg, server_now(srv), &eerr) < 0) {
		snprintf(err, errlen, "%s", eerr.msg);
		log_msg(LOG_ERR, "reload refused: %s", eerr.msg);
		tls_reload_commit(srv, false);
		config_free(cfg);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; serving with the old configuration");
		return -1;
	}
	config_free(srv->cfg);
	srv->cfg = cfg;
	tls_reload_commit(srv, true);
	journal_note_config(&srv->journal, cfg->fingerprint);
	upstream_kick(srv->up);
	log_set_level(cfg->log_level);
	log_msg(LOG_NOTICE, "configuration reloaded from %s (%zu centres, %zu products)",
	        srv->config_path, cfg->ncentres, cfg->nproducts);
	server_after_change(srv);
	sd_notify(0, "READY=1\nSTATUS=Serving");
	return 0;
}

/* ---- signals, cron, start and stop -------------------------------------------------------- */

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval grace = {2, 0};
	struct client *c, *next;

	(void)what;
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_msg(LOG_NOTICE, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	listeners_free(srv);
	/* Release what is queued, then close each client once its output drained. */
	on_commit(-1, 0, srv);
	for (c = srv->clients; c; c = next) {
		next = c->next;
		c->closing = true;
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			client_free(c);
	}
	event_base_loopexit(srv->base, srv->clients ? &grace : NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	char err[512];

	(void)sig;
	(void)what;
	log_msg(LOG_NOTICE, "SIGHUP: reloading %s", ((struct server *)arg)->config_path);
	server_reload(arg, err, sizeof err);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	int64_t now = server_realtime();
	struct client *c, *next;

	(void)fd;
	(void)what;
	if (srv->cfg->idle_timeout > 0) {
		for (c = srv->clients; c; c = next) {
			next = c->next;
			if (!c->closing && now - c->last_active > srv->cfg->idle_timeout) {
				log_msg(LOG_INFO, "client %llu (%s) idle for %ds: closing",
				        (unsigned long long)c->id, c->peer, srv->cfg->idle_timeout);
				client_free(c);
			}
		}
	}
	if (srv->watchdog_usec > 0)
		sd_notify(0, "WATCHDOG=1");
	log_repeats_flush(0);
	/* everysec: the fdatasync off the request path. */
	if (srv->cfg->fsync == FSYNC_EVERYSEC && journal_sync(&srv->journal) < 0)
		log_msg(LOG_ERR, "journal: %s", srv->journal.last_error);
	/* After a failed write: try again; held replies go out once it succeeds. */
	if (srv->journal.failed)
		event_active(srv->commit_ev, EV_TIMEOUT, 0);
	compact_poll(srv);
	if (srv->journal.compact_pid == 0 &&
	    journal_should_compact(&srv->journal, srv->cfg->journal_compact_min,
	                           srv->cfg->journal_compact_ratio)) {
		char cerr[256];
		if (server_compact(srv, cerr, sizeof cerr) < 0)
			log_msg(LOG_ERR, "journal compaction failed: %s", cerr);
	}
	/* The real clock moved: whatever fell due meanwhile (a timer may have slept). */
	if (!srv->debug_clock)
		server_after_change(srv);
}

static void on_libevent_log(int severity, const char *msg)
{
	log_msg(severity >= EVENT_LOG_ERR ? LOG_ERR : LOG_DEBUG, "libevent: %s", msg);
}

int server_compact(struct server *srv, char *err, size_t errlen)
{
	if (journal_compact_start(&srv->journal, srv->eng, err, errlen) < 0) {
		snprintf(srv->journal_error, sizeof srv->journal_error, "%s", err);
		return -1;
	}
	log_msg(LOG_NOTICE, "journal compaction started (process %d, journal %llu bytes)",
	        srv->journal.compact_pid, (unsigned long long)srv->journal.size);
	return 0;
}

/* Once a second: finish a compaction whose child is done. */
static void compact_poll(struct server *srv)
{
	uint64_t before = srv->journal.size;
	char err[256];
	int rc = journal_compact_poll(&srv->journal, err, sizeof err);

	if (rc < 0) {
		snprintf(srv->journal_error, sizeof srv->journal_error, "%s", err);
		log_msg(LOG_ERR, "journal compaction failed: %s; the old journal stays", err);
	} else if (rc > 0) {
		log_msg(LOG_NOTICE, "journal compacted: %llu bytes -> %llu bytes",
		        (unsigned long long)before, (unsigned long long)srv->journal.size);
	}
}

int server_start(struct server *srv, char *err, size_t errlen)
{
	struct timeval second = {1, 0};
	uint64_t usec = 0;
	int activated;

	event_set_log_callback(on_libevent_log);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit makes write() fail with EFBIG instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);
	srv->started_at = server_realtime();
	srv->base = event_base_new();
	if (srv->base == NULL)
		fatalx("libevent: cannot create the event loop");
	srv->eng = engine_new(srv->cfg);
	if (mkdir(srv->cfg->state_dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", srv->cfg->state_dir,
		         strerror(errno));
		return -1;
	}
	if (journal_open(&srv->journal, srv->cfg->state_dir, srv->cfg->fsync, srv->eng, err,
	                 errlen) < 0)
		return -1;
	log_msg(LOG_INFO,
	        "journal %s: %llu records, %llu bytes, replayed in %lld ms (%llu tickets)",
	        srv->journal.path, (unsigned long long)srv->journal.records,
	        (unsigned long long)srv->journal.size, (long long)(srv->journal.replay_usec / 1000),
	        (unsigned long long)engine_ticket_count(srv->eng));
	srv->logged_seq = engine_last_seq(srv->eng);
	if (srv->debug_clock && engine_clock(srv->eng) > srv->debug_now)
		srv->debug_now = engine_clock(srv->eng); /* the debug clock never goes back */
	if (journal_note_config(&srv->journal, srv->cfg->fingerprint) && srv->journal.records > 1) {
		struct engine_error eerr;
		/* Started with another configuration: recompute open tickets as a reload would. */
		log_msg(LOG_NOTICE, "configuration changed since the journal was written: "
		                    "recomputing open tickets");
		if (engine_set_config(srv->eng, srv->cfg, server_now(srv), &eerr) < 0) {
			snprintf(err, errlen, "%s", eerr.msg);
			return -1;
		}
	}
	srv->up = upstream_new(srv);
	srv->cmd_stats = xcalloc(cmd_count(), sizeof *srv->cmd_stats);
	srv->commit_ev = event_new(srv->base, -1, 0, on_commit, srv);
	srv->deadline_ev = evtimer_new(srv->base, on_deadline, srv);
	srv->cron_ev = event_new(srv->base, -1, EV_PERSIST, on_cron, srv);
	srv->sig_term = evsignal_new(srv->base, SIGTERM, on_stop_signal, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, on_stop_signal, srv);
	srv->sig_hup = evsignal_new(srv->base, SIGHUP, on_hup, srv);
	if (!srv->commit_ev || !srv->deadline_ev || !srv->cron_ev || !srv->sig_term ||
	    !srv->sig_int || !srv->sig_hup)
		fatalx("libevent: cannot create events");
	event_add(srv->sig_term, NULL);
	event_add(srv->sig_int, NULL);
	event_add(srv->sig_hup, NULL);
	activated = listen_activated(srv, err, errlen);
	if (activated < 0)
		return -1;
	for (size_t i = 0; activated == 0 && i < srv->cfg->nlisten_tcp; i++)
		if (listen_tcp(srv, srv->cfg->listen_tcp[i], err, errlen) < 0)
			return -1;
	if (activated == 0 && srv->cfg->listen_unix &&
	    listen_unix(srv, srv->cfg->listen_unix, srv->cfg->unix_mode, err, errlen) < 0)
		return -1;
	/* Not replaced by socket activation: systemd cannot tell which socket wants TLS. */
	for (size_t i = 0; i < srv->cfg->nlisten_tls; i++)
		if (listen_tls(srv, &srv->cfg->listen_tls[i], err, errlen) < 0)
			return -1;
	if (sd_watchdog_enabled(0, &usec) > 0)
		srv->watchdog_usec = usec;
	event_add(srv->cron_ev, &second);
	server_after_change(srv);
	return 0;
}

void server_run(struct server *srv)
{
	event_base_dispatch(srv->base);
}

void server_free(struct server *srv)
{
	while (srv->clients)
		client_free(srv->clients);
	listeners_free(srv);
	/* The Redis link's timers and socket live on the loop: gone before it. */
	upstream_free(srv->up);
	srv->up = NULL;
	if (srv->base) {
		/* A start that failed half-way left some of these unmade. */
		struct event *evs[] = {srv->commit_ev, srv->deadline_ev, srv->cron_ev,
		                       srv->sig_term,  srv->sig_int,     srv->sig_hup};
		for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
			if (evs[i])
				event_free(evs[i]);
		event_base_free(srv->base);
	}
	if (srv->journal.path) {
		uint64_t records;
		if (journal_commit(&srv->journal, srv->eng, &records) < 0 ||
		    journal_sync(&srv->journal) < 0)
			log_msg(LOG_ERR, "journal: %s", srv->journal.last_error);
		journal_close(&srv->journal);
	}
	engine_free(srv->eng);
	config_free(srv->cfg);
	free(srv->cmd_stats);
}
