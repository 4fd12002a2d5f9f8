/*
 * conn: a client connection's life: accept, read, parse, dispatch, hold the
 * replies until the commit, release them, backpressure, close. Where a
 * request goes next: cmd_dispatch() in cmd.c.
 */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cmd.h"
#include "ha.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

static void client_process(struct client *c);

int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Replies not yet sent: held for the commit, and queued on the socket. */
static size_t output_len(const struct client *c)
{
	return c->pending.len + evbuffer_get_length(bufferevent_get_output(c->bev));
}

/*
 * libevent fails these only when it cannot allocate (or add an event): out
 * of memory, fatal at once rather than a reply or a pause silently lost.
 */
static void read_enable(struct client *c, bool on)
{
	int rc;

	if (c->rd)
		rc = on ? event_add(c->rd, NULL) : event_del(c->rd);
	else
		rc = on ? bufferevent_enable(c->bev, EV_READ)
		        : bufferevent_disable(c->bev, EV_READ);
	if (rc < 0)
		fatalx("libevent: cannot %s reading client %llu", on ? "resume" : "pause",
		       (unsigned long long)c->id);
}

void client_stop_reading(struct client *c)
{
	read_enable(c, false);
}

/* ---- replies -------------------------------------------------------------------------- */

struct rbuf *client_reply_buf(struct client *c)
{
	struct server *srv = c->srv;

	if (!c->in_pending) {
		c->in_pending = true;
		c->next_pending = srv->pending;
		srv->pending = c;
		/* Runs after the callbacks of this loop iteration. */
		server_commit_soon(srv);
	}
	return &c->pending;
}

void client_close_after_reply(struct client *c)
{
	c->closing = true;
	client_reply_buf(c);
}

void client_reply_more(struct client *c,
                       bool (*step)(struct client *c, void *state, struct rbuf *out),
                       void (*drop)(void *state), void *state)
{
	c->more.step = step;
	c->more.drop = drop;
	c->more.state = state;
}

static void more_drop(struct client *c)
{
	if (c->more.step == NULL)
		return;
	c->more.drop(c->more.state);
	c->more.step = NULL;
	c->more.drop = NULL;
	c->more.state = NULL;
}

/*
 * The next piece of a reply in pieces, when the client has taken most of the
 * last one. Returns true once the reply is whole (or there was none). Else
 * the client stays paused, and what drains its output comes back here:
 * client_release() after the commit, or on_write(), each through
 * client_process() once the output is under CLIENT_OUTPUT_RESUME.
 */
static bool more_run(struct client *c)
{
	if (c->more.step == NULL)
		return true;
	if (c->closing || output_len(c) > CLIENT_OUTPUT_RESUME)
		return false;
	if (!c->more.step(c, c->more.state, client_reply_buf(c)))
		return false;
	more_drop(c);
	return true;
}

/* Bytes of replies to the client's socket, or queued on its bufferevent. */
static void send_replies(struct client *c, const char *data, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t sent = 0;

	if (len == 0)
		return;
	/*
	 * Write at once, as Redis does before it sleeps, instead of waiting
	 * for the loop to report the socket writable: one round trip less.
	 * Straight from our buffer: only what the socket does not take goes
	 * to the bufferevent, so the usual reply costs no copy, and no
	 * write event armed and disarmed (two epoll_ctl calls). On an error
	 * all of it goes there, and the bufferevent reports the error.
	 * Not under TLS: those bytes must go through the encryption.
	 */
	if (evbuffer_get_length(out) == 0 && !c->is_tls) {
		/* write(2), as libevent's own writes: SIGPIPE is ignored (server.c). */
		ssize_t n = write(bufferevent_getfd(c->bev), data, len);
		if (n > 0)
			sent = (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_msg(LOG_DEBUG, "client %llu: write: %s", (unsigned long long)c->id,
			        strerror(errno));
	}
	if (sent < len && evbuffer_add(out, data + sent, len - sent) < 0)
		fatalx("libevent: out of memory queueing %zu bytes for client %llu", len - sent,
		       (unsigned long long)c->id);
}

/* The commit is done: the client's replies go to its socket. */
static void client_release(struct client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	send_replies(c, c->pending.data, c->pending.len);
	c->pending.len = 0;
	/* Nothing held any more: no HA hold may outlive the bytes it was for. */
	c->ha_wait = 0;
	c->ha_mark = 0;
	if (evbuffer_get_length(out) > CLIENT_OUTPUT_LIMIT) {
		log_msg(LOG_WARNING, "client %llu (%s): %zu bytes of replies unread: closing",
		        (unsigned long long)c->id, c->peer, evbuffer_get_length(out));
		client_free(c);
		return;
	}
	if (!c->closing && !c->read_paused && evbuffer_get_length(out) > CLIENT_OUTPUT_PAUSE) {
		/* Backpressure: a client that does not read its replies stops being read. */
		c->read_paused = true;
		read_enable(c, false);
	}
	if (c->closing && evbuffer_get_length(out) == 0) {
		client_free(c);
		return;
	}
	if (c->read_paused && !c->closing && evbuffer_get_length(out) < CLIENT_OUTPUT_RESUME) {
		/* Paused with its replies still held, and the socket took them at once. */
		c->read_paused = false;
		read_enable(c, true);
		event_active(c->resume, EV_TIMEOUT, 0);
	}
}

void client_release_pending(struct server *srv, bool durable)
{
	struct client *list = srv->pending, *held = NULL;

	srv->pending = NULL;
	while (list) {
		struct client *c = list;
		list = c->next_pending;
		c->next_pending = NULL;
		if (durable && c->wrote) {
			/* HA, sync: on: on disk here, and now on its way to Redis too. */
			c->ha_wait = ha_batch_to_wait(srv->ha);
			c->ha_mark = c->pending.len;
			c->wrote = false;
		}
		if ((!durable && c->wrote) || c->delayed || c->ha_wait > ha_confirmed(srv->ha)) {
			/* Its change is not on disk (or not in Redis, or it failed AUTH): hold its
			 * replies. */
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

/*
 * HA, sync: on: Redis confirmed the batches up to ha_confirmed(). The
 * replies they held go out now rather than with the next commit, whose own
 * fdatasync would add to their wait. Only the bytes committed with the
 * batch (up to ha_mark): whatever a held client asked since waits for its
 * commit as usual, since a read may show changes not yet on disk.
 */
void client_release_confirmed(struct server *srv)
{
	uint64_t confirmed = ha_confirmed(srv->ha);
	struct client **pp = &srv->pending;

	while (*pp) {
		struct client *c = *pp;
		if (c->ha_wait == 0 || c->ha_wait > confirmed || c->delayed) {
			pp = &c->next_pending;
			continue;
		}
		c->ha_wait = 0;
		if (c->wrote || c->ha_mark < c->pending.len) {
			send_replies(c, c->pending.data, c->ha_mark);
			memmove(c->pending.data, c->pending.data + c->ha_mark,
			        c->pending.len - c->ha_mark);
			c->pending.len -= c->ha_mark;
			c->ha_mark = 0;
			/* The rest goes with the next commit: make sure there is one. */
			server_commit_soon(srv);
			pp = &c->next_pending;
			continue;
		}
		*pp = c->next_pending;
		c->next_pending = NULL;
		c->in_pending = false;
		c->ha_mark = 0;
		client_release(c); /* may free c: it is off the list already */
	}
}

/* ---- closing -------------------------------------------------------------------------- */

void client_drop_unconfirmed(struct server *srv)
{
	struct client *c = srv->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->ha_wait > ha_confirmed(srv->ha)) {
			log_msg(LOG_INFO,
			        "client %llu (%s): its change never reached Redis; closing",
			        (unsigned long long)c->id, c->peer);
			client_free(c);
		}
	}
}

void client_free(struct client *c)
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
	if (c->awaiting_due)
		srv->nawaiting_due--;
	if (c->is_unix)
		srv->nclients_unix--;
	log_msg(LOG_DEBUG, "client %llu (%s) closed", (unsigned long long)c->id, c->peer);
	if (c->tls_ready)
		tls_close_notify(c->bev);
	if (c->rd)
		event_free(c->rd);
	bufferevent_free(c->bev);
	event_free(c->resume);
	proto_free(&c->parser);
	rbuf_free(&c->pending);
	if (c->handshake)
		event_free(c->handshake);
	if (c->delay_ev)
		event_free(c->delay_ev);
	free(c->user);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	cmd_multi_free(c->multi);
	more_drop(c);
	free(c);
}

void client_close_all(struct server *srv)
{
	struct client *c, *next;

	for (c = srv->clients; c; c = next) {
		next = c->next;
		c->closing = true;
		read_enable(c, false);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			client_free(c);
	}
}

static void protocol_error(struct client *c, const char *msg)
{
	c->srv->protocol_errors++;
	log_msg(LOG_INFO, "client %llu (%s): %s; closing", (unsigned long long)c->id, c->peer, msg);
	reply_error(client_reply_buf(c), "ERR", msg);
	c->closing = true;
	read_enable(c, false);
}

void client_cron(struct server *srv)
{
	int64_t now = server_realtime(), now_ms = monotonic_ms();
	int idle = srv->cfg->idle_timeout;
	struct client *c, *next;

	for (c = srv->clients; c; c = next) {
		next = c->next;
		if (c->closing)
			continue;
		/* While we do not read it (backpressure, AUTH delay), its clock restarts. */
		if (c->request_started != 0 && (c->read_paused || c->delayed))
			c->request_started = now_ms;
		if (c->request_started != 0 &&
		    now_ms - c->request_started > srv->cfg->request_timeout_ms) {
			char msg[96];
			snprintf(msg, sizeof msg,
			         "Protocol error: request not complete within %d ms of its first "
			         "byte",
			         srv->cfg->request_timeout_ms);
			protocol_error(c, msg);
			continue;
		}
		if (idle > 0 && now - c->last_active > idle) {
			log_msg(LOG_INFO, "client %llu (%s) idle for %ds: closing",
			        (unsigned long long)c->id, c->peer, idle);
			client_free(c);
		}
	}
}

/* ---- AUTH delay ----------------------------------------------------------------------- */

static void on_delay_over(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	c->delayed = false;
	read_enable(c, true);
	client_reply_buf(c); /* make sure it is on the pending list */
	server_commit_soon(c->srv);
	/* Requests pipelined behind the failed AUTH ran not yet: they do now. */
	event_active(c->resume, EV_TIMEOUT, 0);
}

void client_delay(struct client *c, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	if (c->delay_ev == NULL)
		c->delay_ev = evtimer_new(c->srv->base, on_delay_over, c);
	/* From now, not from the loop's cached time (a password check takes a while). */
	event_base_update_cache_time(c->srv->base);
	if (c->delay_ev == NULL || evtimer_add(c->delay_ev, &tv) < 0)
		fatalx("libevent: cannot set up the AUTH delay of client %llu",
		       (unsigned long long)c->id);
	c->delayed = true;
	read_enable(c, false);
}

void client_await_due(struct client *c)
{
	if (!c->awaiting_due)
		c->srv->nawaiting_due++;
	c->awaiting_due = true;
	c->delayed = true;
	read_enable(c, false);
}

void client_due_done(struct server *srv)
{
	/* Called after every change: the walk is only for a DEBUG.CLOCK waiting. */
	if (srv->nawaiting_due == 0)
		return;
	srv->nawaiting_due = 0;
	for (struct client *c = srv->clients; c; c = c->next)
		if (c->awaiting_due) {
			c->awaiting_due = false;
			on_delay_over(-1, 0, c);
		}
}

/* ---- reading and parsing -------------------------------------------------------------- */

/* Before AUTH, a TCP client gets Redis's small limits: it cannot make us allocate much. */
static const struct proto_limits unauth_limits = {10, 16384, 16384};

static const struct proto_limits *client_limits(const struct client *c)
{
	if (!c->is_unix && c->srv->cfg->tcp_auth && c->user == NULL)
		return &unauth_limits;
	return &proto_default_limits;
}

/* Has the parser seen part of a request? (An empty inline line leaves nothing.) */
static bool mid_request(const struct proto_parser *p)
{
	return p->argc > 0 || p->multibulk_left > 0 || proto_pending_bytes(p) > 0;
}

/*
 * May the client's next request run now? Not while closing, nor while a
 * failed AUTH holds it (else a pipeline of guesses would all be tried at
 * once), nor once its unsent replies pass the soft limit: one request's
 * reply at a time can overshoot it, never a pipeline's (a long list only
 * by a piece: client_reply_more), nor while a reply in pieces is under way.
 * on_write() or client_release() resumes it when the output drains.
 */
static bool may_run(struct client *c)
{
	if (c->closing || c->delayed || c->read_paused)
		return false;
	/* A reply in pieces under way: nothing more from it until it is whole. */
	if (output_len(c) > CLIENT_OUTPUT_PAUSE || c->more.step != NULL) {
		c->read_paused = true;
		read_enable(c, false);
		return false;
	}
	return true;
}

/* Done with the first used bytes of the input. */
static void input_drain(struct client *c, struct evbuffer *in, size_t used)
{
	if (used > 0 && evbuffer_drain(in, used) < 0)
		fatalx("libevent: cannot drain the input of client %llu",
		       (unsigned long long)c->id);
}

/*
 * Parse and run up to a fair share of requests from the input buffer, as
 * one batch (server_batch_begin: the clocks read once for all of them). The
 * input is peeked once per stretch of contiguous bytes and drained once at
 * the end, not per request: no handler reads a client's input.
 */
static void client_process(struct client *c)
{
	struct server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec vec = {NULL, 0};
	size_t off = 0; /* bytes of vec parsed, not drained yet */
	bool began = false, tried = false;
	int done = 0;
	char err[128];

	if (!more_run(c)) {
		/* Not read meanwhile: a client that sends and never reads gets nowhere. */
		if (!c->closing && !c->read_paused) {
			c->read_paused = true;
			read_enable(c, false);
		}
		return;
	}
	while (done < CLIENT_MAX_REQUESTS_PER_EVENT && may_run(c)) {
		size_t used = 0;
		enum proto_status st;

		if (off == vec.iov_len) {
			input_drain(c, in, off);
			off = 0;
			if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1 || vec.iov_len == 0)
				break;
		}
		if (!tried) {
			began = server_batch_begin(srv);
			tried = true;
		}
		st = proto_feed(&c->parser, client_limits(c), (const char *)vec.iov_base + off,
		                vec.iov_len - off, &used, err, sizeof err);
		off += used;
		if (st == PROTO_ERROR || proto_pending_bytes(&c->parser) > CLIENT_QUERY_LIMIT) {
			input_drain(c, in, off);
			protocol_error(c, st == PROTO_ERROR
			                          ? err
			                          : "Protocol error: query buffer limit exceeded");
			if (began)
				server_batch_end(srv);
			return;
		}
		if (st == PROTO_REQUEST) {
			/* Idle time counts from here, the request deadline no longer. */
			c->request_started = 0;
			c->last_active = srv->batch.now;
			/* The next room: cmd.c. */
			cmd_dispatch(c, c->parser.argc, c->parser.argv, c->parser.argvlen);
			proto_reset_request(&c->parser);
			done++;
		}
	}
	input_drain(c, in, off);
	if (began)
		server_batch_end(srv);
	if (c->request_started == 0 && mid_request(&c->parser))
		c->request_started = monotonic_ms();
	/* A fair share is done: let others run, then come back for the rest. */
	if (done == CLIENT_MAX_REQUESTS_PER_EVENT && evbuffer_get_length(in) > 0)
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
	client_process(c);
}

/*
 * Plain sockets are read here rather than by the bufferevent: libevent's
 * evbuffer_read() asks the kernel how much is waiting (ioctl FIONREAD)
 * before every read, one system call per request more than Redis makes,
 * and reads at most 4 KB at a time. This reads straight into the input
 * buffer, as much as CLIENT_READ_CHUNK; the bufferevent keeps the output.
 */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec vec;
	ssize_t n;

	(void)what;
	if (evbuffer_reserve_space(in, CLIENT_READ_CHUNK, &vec, 1) < 1)
		fatalx("libevent: out of memory reading client %llu", (unsigned long long)c->id);
	/* The buffer may offer more than asked: a read at a time stays bounded. */
	n = read(fd, vec.iov_base,
	         vec.iov_len < CLIENT_READ_CHUNK ? vec.iov_len : CLIENT_READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_msg(LOG_DEBUG, "client %llu (%s): %s", (unsigned long long)c->id, c->peer,
		        n == 0 ? "end of input" : strerror(errno));
		client_free(c);
		return;
	}
	vec.iov_len = (size_t)n;
	if (evbuffer_commit_space(in, &vec, 1) < 0)
		fatalx("libevent: cannot commit the input of client %llu",
		       (unsigned long long)c->id);
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
		read_enable(c, true);
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

/* ---- accepting ------------------------------------------------------------------------ */

/* Best effort: the socket is new and its buffer empty. Not on TLS: it would be garbage. */
static void turn_away(struct server *srv, evutil_socket_t fd, const struct listener *l,
                      const char *line)
{
	srv->rejected_connections++;
	if (l->tls == NULL && write(fd, line, strlen(line)) < 0)
		log_msg(LOG_DEBUG, "could not tell a rejected client: %s", strerror(errno));
	evutil_closesocket(fd);
}

/* Its bufferevent (plain or TLS), callbacks and timers. */
static void client_setup_io(struct client *c, evutil_socket_t fd, const struct listener *l)
{
	struct server *srv = c->srv;

	evutil_make_socket_nonblocking(fd);
	if (!c->is_unix) {
		/*
		 * As Redis: no Nagle delay for small replies behind unacknowledged
		 * ones, and keepalive probes so that a peer gone without a FIN
		 * (a machine switched off) is found and its slot freed.
		 */
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) < 0)
			log_msg(LOG_DEBUG, "client %llu: setsockopt: %s", (unsigned long long)c->id,
			        strerror(errno));
	}
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
		if (evtimer_add(c->handshake, &tv) < 0)
			fatalx("libevent: cannot set up a client's handshake timer");
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_client_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CLIENT_OUTPUT_RESUME, 0);
	if (!c->is_tls) {
		/* The bufferevent keeps the end of its input frozen for its own reads. */
		c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, on_readable, c);
		if (c->rd == NULL || evbuffer_unfreeze(bufferevent_get_input(c->bev), 0) < 0 ||
		    event_add(c->rd, NULL) < 0 || bufferevent_enable(c->bev, EV_WRITE) < 0)
			fatalx("libevent: cannot start reading a client");
	} else if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) < 0) {
		fatalx("libevent: cannot start reading a client");
	}
}

/* Its source without the port ("ADDRESS:PORT" -> "ADDRESS"), as auth_failures() sees it. */
static size_t source_len(const char *peer)
{
	const char *colon = strrchr(peer, ':');

	return colon ? (size_t)(colon - peer) : strlen(peer);
}

/*
 * TCP connections open from the address of peer. A walk over all clients:
 * at most max_clients, once per accept, cheaper than keeping a table in step.
 */
static size_t connections_from(const struct server *srv, const char *peer)
{
	size_t n = 0, len = source_len(peer);

	for (const struct client *c = srv->clients; c; c = c->next)
		if (!c->is_unix && source_len(c->peer) == len && memcmp(c->peer, peer, len) == 0)
			n++;
	return n;
}

/* "ADDRESS:PORT", or for the unix socket "unix:uid=UID:ID" (the peer's user id, for AUTH). */
static void describe_peer(struct client *c, evutil_socket_t fd, struct sockaddr *sa, int salen)
{
	char host[48], port[8];

	if (c->is_unix) {
		struct ucred cred;
		socklen_t len = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			snprintf(c->peer, sizeof c->peer, "unix:uid=%u:%llu", (unsigned)cred.uid,
			         (unsigned long long)c->id);
		else
			snprintf(c->peer, sizeof c->peer, "unix:uid=?:%llu",
			         (unsigned long long)c->id);
	} else if (getnameinfo(sa, (socklen_t)salen, host, sizeof host, port, sizeof port,
	                       NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		snprintf(c->peer, sizeof c->peer, "%.46s:%.7s", host, port);
	} else {
		snprintf(c->peer, sizeof c->peer, "(unknown):%llu", (unsigned long long)c->id);
	}
}

/* Room for one more? Else the BUSY line to turn it away with. */
static const char *no_room(const struct server *srv, const struct client *c)
{
	if (srv->stopping)
		return "-BUSY the server is stopping\r\n";
	if (c->is_unix)
		return srv->nclients_unix >= (size_t)srv->cfg->unix_clients
		               ? "-BUSY max number of unix socket clients reached\r\n"
		               : NULL;
	if (srv->nclients - srv->nclients_unix >= (size_t)srv->cfg->max_clients)
		return "-BUSY max number of clients reached\r\n";
	if (connections_from(srv, c->peer) >= (size_t)srv->cfg->per_address)
		return "-BUSY max number of connections from one address reached\r\n";
	return NULL;
}

void client_accept(struct server *srv, evutil_socket_t fd, struct sockaddr *sa, int salen,
                   const struct listener *l)
{
	struct client *c = xcalloc(1, sizeof *c);
	const char *busy;

	srv->total_connections++;
	c->srv = srv;
	c->id = srv->next_client_id + 1;
	c->is_unix = l->is_unix;
	describe_peer(c, fd, sa, salen);
	if ((busy = no_room(srv, c)) != NULL) {
		/* Without the port: a flood of them is counted as repeats, not logged one by one.
		 */
		log_msg(LOG_WARNING, "turned away a connection from %.*s: %.*s",
		        (int)source_len(c->peer), c->peer, (int)strlen(busy) - 3, busy + 1);
		free(c);
		turn_away(srv, fd, l, busy);
		return;
	}
	srv->next_client_id++;
	c->last_active = server_realtime();
	c->connected_at = c->last_active;
	c->resp = 2;
	proto_init(&c->parser);
	rbuf_init(&c->pending);
	client_setup_io(c, fd, l);
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
	srv->nclients_unix += c->is_unix;
	log_msg(LOG_DEBUG, "client %llu connected from %s", (unsigned long long)c->id, c->peer);
}
