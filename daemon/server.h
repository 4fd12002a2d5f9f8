/*
 * server: the daemon's shell. One libevent loop, single-threaded: listeners
 * (TCP and a unix socket), client connections with their parser and pending
 * replies, the command table and dispatch, the deadline timer, signals,
 * systemd notification.
 *
 * The core (engine, config, proto) does the work; this layer moves bytes and
 * owns the clock. All mutable state lives in struct server, created by main.
 */
#ifndef REPAIRD_SERVER_H
#define REPAIRD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "journal_file.h"
#include "proto.h"

struct event_base;
struct event;
struct bufferevent;
struct evconnlistener;
struct ssl_ctx_st;

#define CLIENT_MAX_REQUESTS_PER_EVENT 16           /* fairness */
#define CLIENT_OUTPUT_PAUSE           (1u << 20)   /* stop reading above this much unsent */
#define CLIENT_OUTPUT_RESUME          (256u << 10) /* resume below this */
#define CLIENT_OUTPUT_LIMIT           ((size_t)64 << 20) /* close a client whose unsent replies pass this */
#define AUTH_FAIL_SLOTS               64
#define CLIENT_QUERY_LIMIT            ((size_t)64 << 20) /* bytes of one request in progress */

struct client {
	struct server *srv;
	struct bufferevent *bev;
	struct event *resume; /* re-runs parsing when requests are left after a fair share */
	struct proto_parser parser;
	struct rbuf pending; /* replies waiting for the commit of this loop iteration */
	uint64_t id;
	char peer[64];
	bool is_unix;
	bool is_tls;             /* on a listen.tls listener: bev is a bufferevent_openssl */
	bool tls_ready;          /* its handshake is done */
	struct event *handshake; /* closes it when the handshake takes too long */
	bool closing;            /* close once the output has drained */
	bool read_paused;        /* backpressure */
	bool in_pending;         /* on the server's pending list */
	bool wrote;
	bool delayed;           /* a failed AUTH: replies held for a while (slows guessing) */
	char *user;             /* after a successful AUTH */
	struct event *delay_ev; /* changed state since the last commit: its replies wait for it */
	int64_t last_active;    /* for the idle timeout (real time) */
	struct client *next, *prev;  /* all clients */
	struct client *next_pending; /* clients with replies to release */
};

struct listener {
	struct server *srv;
	struct evconnlistener *lev;
	struct event *retry; /* re-enable after an accept error such as EMFILE */
	char addr[128];
	bool is_unix;
	bool activated;         /* handed in by systemd: its socket file is not ours to remove */
	struct ssl_ctx_st *tls; /* listen.tls: OpenSSL's SSL_CTX; NULL: plain */
	struct ssl_ctx_st *tls_next; /* loaded by a reload, in use once it succeeds */
	int handshake_timeout_ms;
	struct listener *next;
};

/* Per-command statistics, indexed like the command table. */
struct cmd_stat {
	uint64_t calls;
	uint64_t usec;
	uint64_t errors;
};

struct server_overrides {
	const char **listen; /* --listen HOST:PORT, replaces listen.tcp */
	size_t nlisten;
	const char *unix_path; /* --unix PATH ("" for none) */
	const char *state_dir;
	const char *redis; /* --redis HOST:PORT */
	int log_level;     /* -1: from the config */
};

struct server {
	struct event_base *base;
	const char *config_path;
	struct server_overrides ov;
	struct config *cfg;
	struct engine *eng;
	struct journal_file journal;
	struct upstream *up; /* the Redis link */

	bool debug_clock;
	int64_t debug_now;

	struct listener *listeners;
	struct client *clients;
	size_t nclients;
	struct client *pending;  /* clients with replies to release after the commit */
	struct event *commit_ev; /* runs once per loop iteration when there is work */
	struct event *deadline_ev;
	struct event *cron_ev; /* once a second: idle clients, watchdog */
	struct event *sig_term, *sig_int, *sig_hup;
	bool stopping;

	uint64_t next_client_id;
	uint64_t total_connections;
	uint64_t rejected_connections;
	uint64_t total_commands;
	uint64_t events_emitted;
	uint64_t logged_seq;
	uint64_t protocol_errors;
	int64_t started_at;
	uint64_t watchdog_usec;
	int64_t last_watchdog;

	struct cmd_stat *cmd_stats;
	/* Recent failed AUTHs per peer address, to slow down guessing. */
	struct {
		char addr[48];
		unsigned count;
		int64_t last;
	} auth_fail[AUTH_FAIL_SLOTS];
	char journal_error[256]; /* the last compaction error, for INFO */
};

/* JOURNAL.COMPACT and the automatic trigger. 0, or -1 with the reason in err. */
int server_compact(struct server *srv, char *err, size_t errlen);

/* The daemon's "now": real UTC seconds, or the debug clock. */
int64_t server_now(const struct server *srv);
/* Real time (for idle timeouts and uptime even under the debug clock). */
int64_t server_realtime(void);

int server_start(struct server *srv, char *err, size_t errlen);
void server_run(struct server *srv);
void server_free(struct server *srv);

/* Load the config from srv->config_path with the command-line overrides applied. */
struct config *server_load_config(struct server *srv, struct config_errors *errs);
/* Reload (SIGHUP, CONFIG.RELOAD): 0, or -1 with the reason in err; the old config stays. */
int server_reload(struct server *srv, char *err, size_t errlen);

/* Run engine_advance(now), log and drain new events, and re-arm the deadline timer. */
void server_after_change(struct server *srv);

/* Queue reply bytes for the client (released after this iteration's commit). */
struct rbuf *client_reply_buf(struct client *c);
void client_close_after_reply(struct client *c);
/* Hold the client's replies (and stop reading it) for secs seconds. */
void client_delay(struct client *c, int secs);

#endif
