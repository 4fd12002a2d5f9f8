/*
 * server: the daemon's shell around the core. One libevent loop,
 * single-threaded: start and stop, reload, signals, systemd notification,
 * the deadline timer, the once-a-second cron, and the group commit that
 * runs once per loop iteration (journal first, replies after).
 *
 * The rooms around it: listener.c accepts, conn.c reads and parses a
 * client's requests and holds its replies, cmd.c dispatches to cmd-*.c,
 * the engine (core) decides, journal-file.c makes it durable. The core
 * does the work; this layer moves bytes and owns the clock. All mutable
 * state lives in struct server, created by main.
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
struct client;
struct listener;
struct cmd_index;
struct metrics;

#define AUTH_FAIL_SLOTS 64

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

/* A source of failed AUTHs (cmd-server.c). */
struct auth_slot {
	char addr[48];
	unsigned count;
	int64_t last;     /* real time of the last failure (the one-minute window) */
	int64_t until_ms; /* monotonic: no AUTH from here is checked before this */
};

struct server {
	struct event_base *base;
	const char *config_path;
	struct server_overrides ov;
	struct config *cfg;
	struct engine *eng;
	struct jfile journal;
	struct upstream *up; /* the Redis link (NULL on an HA standby) */
	struct metrics *metrics;
	struct ha *ha; /* high availability (ha.c); NULL without ha: */

	bool debug_clock;
	int64_t debug_now;
	/*
	 * The clocks of the batch of requests conn.c is running (one client's
	 * pipelined requests, at most CLIENT_MAX_REQUESTS_PER_EVENT, a few ms):
	 * read once when it begins, not once or twice per request, as Redis
	 * keeps its cached unixtime. server_now() gives the batch's second;
	 * cmd.c times each command from the end of the one before it.
	 */
	struct {
		bool on;
		int64_t now;       /* server_realtime() when the batch began */
		int64_t cmd_clock; /* monotonic us: the start, then the last command's end */
	} batch;

	struct listener *listeners;
	struct client *clients;
	size_t nclients;         /* all, the unix socket's included */
	size_t nawaiting_due;    /* clients with awaiting_due (conn.c): most writes skip the walk */
	size_t nclients_unix;    /* on the unix socket: slots apart from max_clients */
	struct client *pending;  /* clients with replies to release after the commit */
	struct event *commit_ev; /* runs once per loop iteration when there is work */
	bool commit_soon;        /* commit_ev made active by server_commit_soon(), not run yet */
	struct event *deadline_ev;
	int64_t deadline_at;   /* the due time deadline_ev was last armed for */
	struct event *cron_ev; /* once a second: idle clients, watchdog */
	struct event *sig_term, *sig_int, *sig_hup;
	bool stopping;
	bool started; /* server_start() is done */

	uint64_t next_client_id;
	uint64_t total_connections;
	uint64_t rejected_connections;
	uint64_t total_commands;
	uint64_t events_emitted;
	uint64_t due_processed; /* tickets the deadline work handled */
	uint64_t due_slices;    /* times it stopped with more due and let clients in */
	bool due_pending;       /* work is due now and left for the next slice */
	uint64_t logged_seq;
	uint64_t protocol_errors;
	int64_t started_at;
	uint64_t watchdog_usec;
	int64_t last_watchdog;

	struct cmd_stat *cmd_stats;
	struct cmd_index *cmd_index; /* command names to the table (cmd.c), built on first use */
	/* Recent failed AUTHs per source (TCP address, unix uid), to slow down guessing. */
	struct auth_slot auth_fail[AUTH_FAIL_SLOTS];
	char journal_error[256]; /* the last compaction error, for INFO */
};

/* JOURNAL.COMPACT and the automatic trigger. 0, or -1 with the reason in err. */
int server_compact(struct server *srv, char *err, size_t errlen);

/*
 * The daemon's "now": real UTC seconds, or the debug clock. Within a batch
 * of requests, the second read when the batch began.
 */
int64_t server_now(const struct server *srv);
/* Real time (for idle timeouts and uptime even under the debug clock). */
int64_t server_realtime(void);
/*
 * conn.c runs a batch of one client's requests between these: the clocks
 * are read once, at the begin. Returns false (and changes nothing) when a
 * batch is running already; end only the batch whose begin returned true.
 */
bool server_batch_begin(struct server *srv);
void server_batch_end(struct server *srv);

int server_start(struct server *srv, char *err, size_t errlen);
/*
 * Ready for the node's role (/readyz): started and the journal writable.
 * The one place that decides; false with the reason in why (may be NULL).
 */
bool server_ready(const struct server *srv, char *why, size_t len);
void server_run(struct server *srv);
void server_free(struct server *srv);

/* Load the config from srv->config_path with the command-line overrides applied. */
struct config *server_load_config(struct server *srv, struct config_errors *errs);
/* Reload (SIGHUP, CONFIG.RELOAD): 0, or -1 with the reason in err; the old config stays. */
int server_reload(struct server *srv, char *err, size_t errlen);

/*
 * Process what is due up to now, one slice of a few milliseconds (the rest
 * at the next loop iteration, after other clients), log the new events,
 * re-arm the deadline timer and schedule the commit.
 */
void server_after_change(struct server *srv);
/*
 * Have the commit run after this loop iteration's callbacks: commit_ev made
 * active once, not once per request and change of the iteration.
 */
void server_commit_soon(struct server *srv);

#endif
