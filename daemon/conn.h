/*
 * conn: one client connection's life, from accept to close. Reading,
 * parsing (proto.h), handing each whole request to cmd_dispatch(), holding
 * its replies until the iteration's journal commit, and backpressure.
 *
 * Following one request through the daemon, read in this order:
 *   conn.c         bytes in, a request out (client_process), replies held
 *   cmd.c          lookup, arity, access, then the handler
 *   cmd-*.c        the handler: parse arguments, call the engine, reply
 *   core/engine.c  the change itself (no I/O, no clock)
 *   journal-file.c the commit that makes it durable (server.c runs it once
 *                  per loop iteration), after which conn.c releases the replies
 *
 * The functions are client_* after struct client, the name the handlers
 * know it by (r->c). A listener (listener.c) hands in accepted sockets.
 */
#ifndef REPAIRD_CONN_H
#define REPAIRD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "proto.h"

struct server;
struct listener;
struct bufferevent;
struct event;
struct sockaddr;
struct cmd_multi;
struct client;

#define CLIENT_MAX_REQUESTS_PER_EVENT 16           /* fairness */
#define CLIENT_OUTPUT_PAUSE           (1u << 20)   /* stop reading above this much unsent */
#define CLIENT_OUTPUT_RESUME          (256u << 10) /* resume below this */
#define CLIENT_OUTPUT_LIMIT           ((size_t)64 << 20) /* close a client whose unsent replies pass this */
#define CLIENT_READ_CHUNK             ((size_t)16 << 10) /* at most per read(2), as Redis */
#define CLIENT_QUERY_LIMIT            ((size_t)64 << 20) /* bytes of one request in progress */
/* limits.request_timeout_ms, limits.per_address, limits.unix_clients: in struct config. */

/*
 * A reply produced in pieces (a long TICKET.LIST, cmd-ticket.c): step()
 * appends the next piece to out and returns true once the reply is whole;
 * drop() frees state (done, or the client closed). conn.c runs one piece per
 * loop turn, only while the client's unsent output is under
 * CLIENT_OUTPUT_RESUME, so no reply is built more than a piece at a time and
 * other clients run between pieces. The client's next requests wait until it
 * is whole: replies stay in order.
 */
struct client_more {
	bool (*step)(struct client *c, void *state, struct rbuf *out);
	void (*drop)(void *state);
	void *state; /* NULL step: no reply in pieces under way */
};

struct client {
	struct server *srv;
	struct bufferevent *bev;
	struct event *rd;     /* plain TCP and unix: our own read event (conn.c: on_readable) */
	struct event *resume; /* re-runs parsing when requests are left after a fair share */
	struct proto_parser parser;
	struct rbuf pending; /* replies waiting for the commit of this loop iteration */
	uint64_t id;
	/*
	 * "ADDRESS:PORT" over TCP, "unix:uid=UID:ID" on the unix socket. What
	 * precedes the last colon is the source that AUTH failures are counted
	 * for (cmd-server.c): the address, or the user id.
	 */
	char peer[64];
	bool is_unix;
	bool is_tls;             /* on a listen.tls listener: bev is a bufferevent_openssl */
	bool tls_ready;          /* its handshake is done */
	struct event *handshake; /* closes it when the handshake takes too long */
	bool closing;            /* close once the output has drained */
	bool read_paused;        /* backpressure */
	bool in_pending;         /* on the server's pending list */
	bool wrote;              /* changed state since the last commit: its replies wait for it */
	bool delayed;            /* a failed AUTH: replies held for a while (slows guessing) */
	bool awaiting_due;       /* DEBUG.CLOCK: replies held until the due work is done */
	uint64_t ha_wait;        /* HA, sync: on: replies wait until Redis confirmed this batch */
	size_t ha_mark;          /* the bytes of pending committed with that batch */
	char *user;              /* after a successful AUTH */
	struct event *delay_ev;  /* ends the AUTH delay */
	int64_t last_active; /* the last complete request or the connect (real time): idle timeout
	                      */
	int64_t request_started;     /* monotonic ms of a partial request's first byte; 0: none */
	int resp;                    /* 2, or 3 after HELLO 3: records become maps */
	int64_t connected_at;        /* real time of the accept (CLIENT LIST age) */
	char *name;                  /* CLIENT SETNAME / HELLO SETNAME; NULL: none */
	char *lib_name, *lib_ver;    /* CLIENT SETINFO */
	const char *last_cmd;        /* the table's name of its last command (CLIENT LIST) */
	struct cmd_multi *multi;     /* between MULTI and EXEC/DISCARD (cmd-multi.c); else NULL */
	struct client_more more;     /* the rest of a reply produced in pieces */
	struct client *next, *prev;  /* all clients */
	struct client *next_pending; /* clients with replies to release */

	/* last_cmd's index in the table: cmd.c tries it first for the next request. */
	size_t last_cmd_index;
};

/* A listener accepted fd: set it up as a client, or turn it away (max_clients). */
void client_accept(struct server *srv, evutil_socket_t fd, struct sockaddr *sa, int salen,
                   const struct listener *l);
void client_free(struct client *c);

/* Queue reply bytes for the client (released after this iteration's commit). */
struct rbuf *client_reply_buf(struct client *c);
void client_close_after_reply(struct client *c);
/*
 * The reply begun in the client's reply buffer goes on in pieces: conn.c
 * calls step until it returns true (struct client_more), then drop.
 */
void client_reply_more(struct client *c,
                       bool (*step)(struct client *c, void *state, struct rbuf *out),
                       void (*drop)(void *state), void *state);
/* Read nothing more from it (it is closing). */
void client_stop_reading(struct client *c);
/* Hold the client's replies (and stop reading it) for secs seconds. */
void client_delay(struct client *c, int64_t ms);
/* Milliseconds of CLOCK_MONOTONIC: for delays and deadlines, never for dates. */
int64_t monotonic_ms(void);
/* Microseconds of CLOCK_MONOTONIC: for durations (INFO commandstats, metrics). */
int64_t monotonic_usec(void);
/* Hold them until client_due_done(): DEBUG.CLOCK answers once what fell due has run. */
void client_await_due(struct client *c);
void client_due_done(struct server *srv);

/*
 * After the commit: release the replies of every client on the pending list,
 * except those whose change is not durable (durable false and they wrote) or
 * that are delayed; these stay on the list for the next commit.
 */
void client_release_pending(struct server *srv, bool durable);
/* HA, sync: on: Redis confirmed a batch; the replies it held go out (conn.c). */
void client_release_confirmed(struct server *srv);
/*
 * HA: a leader stepped down. Close every client whose replies wait for a
 * batch Redis never confirmed: it gets no answer rather than a false one.
 */
void client_drop_unconfirmed(struct server *srv);
/* Stopping: no more reading; each client closes once its output has drained. */
void client_close_all(struct server *srv);
/* Once a second: close clients idle longer than idle_timeout, or too slow with a request. */
void client_cron(struct server *srv);

#endif
