/*
 * server: start and stop, reload, signals, the deadline timer, the
 * once-a-second cron and the per-iteration commit, on one libevent loop.
 * Connections live in conn.c, listeners in listener.c.
 */
#include "server.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <event2/event.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "cmd.h"
#include "conn.h"
#include "ha.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "upstream.h"
#include "xmalloc.h"

static void compact_poll(struct server *srv);

int64_t server_realtime(void)
{
	return (int64_t)time(NULL);
}

int64_t server_now(const struct server *srv)
{
	if (srv->debug_clock)
		return srv->debug_now;
	return srv->batch.on ? srv->batch.now : server_realtime();
}

bool server_batch_begin(struct server *srv)
{
	if (srv->batch.on)
		return false;
	srv->batch.on = true;
	srv->batch.now = server_realtime();
	srv->batch.cmd_clock = monotonic_usec();
	return true;
}

void server_batch_end(struct server *srv)
{
	srv->batch.on = false;
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
		metrics_observe_event(srv->metrics, ev->type);
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
	int64_t at, now = server_now(srv);
	struct timeval tv = {0, 0};

	if (!engine_next_due(srv->eng, &at) || (srv->debug_clock && at > now)) {
		/* Under --debug-clock only DEBUG.CLOCK moves time: nothing is due before it. */
		evtimer_del(srv->deadline_ev);
		return;
	}
	/*
	 * Armed for that time already: most changes leave the first due time
	 * as it was, and re-adding the timer costs a heap update each time.
	 * (A timer armed for a far time, cut to a day, is re-armed when it
	 * fires; what falls due meanwhile the cron processes too.)
	 */
	if (at == srv->deadline_at && evtimer_pending(srv->deadline_ev, NULL))
		return;
	srv->deadline_at = at;
	/* Due already (work left from a slice): at once, after the loop polled the sockets. */
	if (at > now)
		tv.tv_sec = (time_t)(at - now > 86400 ? 86400 : at - now);
	if (evtimer_add(srv->deadline_ev, &tv) < 0)
		fatalx("libevent: cannot arm the deadline timer");
}

/*
 * What fell due is processed in slices of SERVER_DUE_SLICE tickets: a slice,
 * then the timer armed with no delay, which libevent runs only after it has
 * polled the sockets, so other clients are served between slices. A count,
 * not a time: most of a ticket's cost comes after the engine (the log lines
 * of its events, its journal record at the commit), about 10 us in all, so
 * 256 make a turn of the loop a few milliseconds long.
 */
#define SERVER_DUE_SLICE 256

void server_after_change(struct server *srv)
{
	size_t done;
	bool more;

	/* HA: a standby's (or a lapsed leader's) state changes only by the leader's journal. */
	if (!ha_writable(srv->ha)) {
		evtimer_del(srv->deadline_ev);
		server_commit_soon(srv);
		return;
	}
	more = engine_advance_max(srv->eng, server_now(srv), SERVER_DUE_SLICE, &done);
	srv->due_processed += done;
	if (more)
		srv->due_slices++; /* another slice follows */
	srv->due_pending = more;
	log_events(srv);
	arm_deadline(srv);
	/* DEBUG.CLOCK answers once everything up to its time has run. */
	if (!more)
		client_due_done(srv);
	/* Clock-driven changes are journaled like requested ones. */
	server_commit_soon(srv);
}

void server_commit_soon(struct server *srv)
{
	if (srv->commit_soon)
		return;
	srv->commit_soon = true;
	event_active(srv->commit_ev, EV_TIMEOUT, 0);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_after_change(arg);
}

/* ---- the commit ---------------------------------------------------------------------- */

/*
 * Once per loop iteration with pending replies or changes: the group commit.
 * Every change of the iteration goes to the journal with one write and,
 * under fsync: always, one fdatasync; only then does conn.c release the
 * replies.
 */
static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	uint64_t records, fsyncs;
	bool durable;

	(void)fd;
	(void)what;
	srv->commit_soon = false; /* what asks for a commit from here on gets the next one */
	fsyncs = srv->journal.fsyncs;
	durable = jfile_commit(&srv->journal, srv->eng, &records) == 0;
	if (srv->journal.fsyncs != fsyncs)
		metrics_observe_fsync(srv->metrics, srv->journal.last_fsync_usec);
	if (durable) {
		ha_after_commit(srv->ha); /* HA: the batch to the journal stream */
		upstream_kick(srv->up);   /* journaled events may go to Redis now */
	}
	if (!durable) {
		if (srv->cfg->fsync == FSYNC_ALWAYS) {
			/* Never acknowledged, never retried: systemd restarts us and replay is
			 * exact. */
			log_msg(LOG_ERR, "journal: %s; exiting without acknowledging",
			        srv->journal.last_error);
			exit(EX_IOERR);
		}
		log_msg(LOG_ERR, "journal: %s; refusing changes (IOERR) until writes succeed",
		        srv->journal.last_error);
	}
	client_release_pending(srv, durable);
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
		for (size_t i = 0; i < cfg->nredis_sentinels; i++) /* this address, not theirs */
			free(cfg->redis_sentinels[i]);
		cfg->nredis_sentinels = 0;
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
	/* Password hashes are secrets too: Debian's redis.conf is 0640 for the same reason. */
	if (cfg->nusers > 0) {
		struct stat st;
		if (stat(srv->config_path, &st) == 0 && (st.st_mode & S_IROTH))
			log_msg(LOG_WARNING,
			        "%s holds access.users and is readable by every local user (mode "
			        "%04o); "
			        "make it 0640 root:repaird",
			        srv->config_path, (unsigned)(st.st_mode & 07777));
	}
	for (size_t i = 0; i < cfg->nusers; i++)
		if (cfg->users[i].password_legacy)
			log_msg(LOG_WARNING,
			        "access.users: %s has a legacy sha256 password (fast to "
			        "guess); make a scrypt one with `repairctl passwd`",
			        cfg->users[i].name);
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

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/*
 * The ha: section (and, with it, the Redis prefix its keys live under)
 * is the node's identity in its group: a reload keeps the running values,
 * with a warning, rather than change them under a lease. A restart applies
 * them.
 */
static void keep_ha_settings(const struct config *old, struct config *cfg)
{
	bool changed = old->ha_enabled != cfg->ha_enabled ||
	               !same_str(old->ha_node, cfg->ha_node) ||
	               !same_str(old->ha_advertise, cfg->ha_advertise) ||
	               old->ha_lease_ms != cfg->ha_lease_ms || old->ha_sync != cfg->ha_sync ||
	               old->ha_wait_replicas != cfg->ha_wait_replicas ||
	               (old->ha_enabled && !same_str(old->redis_prefix, cfg->redis_prefix));

	if (!changed)
		return;
	log_msg(LOG_WARNING, "reload: the ha: section (and under it redis.prefix) changes only "
	                     "with a restart; keeping the running values");
	cfg->ha_enabled = old->ha_enabled;
	free(cfg->ha_node);
	cfg->ha_node = old->ha_node ? xstrdup(old->ha_node) : NULL;
	free(cfg->ha_advertise);
	cfg->ha_advertise = old->ha_advertise ? xstrdup(old->ha_advertise) : NULL;
	cfg->ha_lease_ms = old->ha_lease_ms;
	cfg->ha_sync = old->ha_sync;
	cfg->ha_wait_replicas = old->ha_wait_replicas;
	if (old->ha_enabled) {
		free(cfg->redis_prefix);
		cfg->redis_prefix = xstrdup(old->redis_prefix);
	}
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
	keep_ha_settings(srv->cfg, cfg);
	if (listener_tls_prepare(srv, cfg, err, errlen) < 0) {
		log_msg(LOG_ERR, "reload refused: %s", err);
		config_free(cfg);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; serving with the old configuration");
		return -1;
	}
	if (engine_set_config(srv->eng, cfg, server_now(srv), &eerr) < 0) {
		snprintf(err, errlen, "%s", eerr.msg);
		log_msg(LOG_ERR, "reload refused: %s", eerr.msg);
		listener_tls_commit(srv, false);
		config_free(cfg);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; serving with the old configuration");
		return -1;
	}
	config_free(srv->cfg);
	srv->cfg = cfg;
	/* journal.fsync takes effect now (an HA standby keeps its own, ha.c). */
	if (srv->ha == NULL || ha_role_of(srv->ha) == HA_LEADER || srv->cfg->fsync != FSYNC_ALWAYS)
		srv->journal.fsync = srv->cfg->fsync;
	listener_tls_commit(srv, true);
	jfile_note_config(&srv->journal, cfg->fingerprint);
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

	(void)what;
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_msg(LOG_NOTICE, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	listener_free_all(srv);
	/* Release what is queued, then close each client once its output drained. */
	on_commit(-1, 0, srv);
	client_close_all(srv);
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

/*
 * A failed fdatasync under everysec/no: what the kernel had not yet written
 * may be gone from the file while it is all still in memory. Write it all
 * again; if even that fails, exit without acknowledging more (systemd
 * restarts us, and replay is of what is really on disk).
 */
static void journal_rewrite_or_exit(struct server *srv)
{
	char err[512];

	log_msg(LOG_ERR, "journal: %s; writing the journal again from memory",
	        srv->journal.last_error);
	if (jfile_rewrite(&srv->journal, srv->eng, err, sizeof err) < 0) {
		log_msg(LOG_ERR, "journal: %s; exiting", err);
		exit(EX_IOERR);
	}
	log_msg(LOG_NOTICE, "journal written again from memory (%llu bytes)",
	        (unsigned long long)srv->journal.size);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	uint64_t fsyncs = srv->journal.fsyncs;

	(void)fd;
	(void)what;
	client_cron(srv);
	if (srv->watchdog_usec > 0)
		sd_notify(0, "WATCHDOG=1");
	log_repeats_flush(0);
	/* everysec (and an HA standby, ha.c): the fdatasync off the request path. */
	if ((srv->journal.fsync == FSYNC_EVERYSEC && jfile_sync(&srv->journal) < 0) ||
	    srv->journal.sync_failed)
		journal_rewrite_or_exit(srv);
	if (srv->journal.fsyncs != fsyncs)
		metrics_observe_fsync(srv->metrics, srv->journal.last_fsync_usec);
	/* After a failed write: try again; held replies go out once it succeeds. */
	if (srv->journal.failed)
		server_commit_soon(srv);
	compact_poll(srv);
	if (srv->journal.compact_pid == 0 &&
	    jfile_should_compact(&srv->journal, srv->cfg->journal_compact_min,
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
	/* Retention: closed tickets older than retention.closed_days go to the archive. */
	srv->journal.archive = true;
	srv->journal.archive_cutoff =
	        server_now(srv) - (int64_t)srv->cfg->retention_closed_days * 86400;
	if (jfile_compact_start(&srv->journal, srv->eng, err, errlen) < 0) {
		snprintf(srv->journal_error, sizeof srv->journal_error, "%s", err);
		return -1;
	}
	log_msg(LOG_NOTICE, "journal compaction started (process %d, journal %llu bytes)",
	        srv->journal.compact_pid, (unsigned long long)srv->journal.size);
	ha_snapshot_request(srv->ha); /* HA: the stream is trimmed at a snapshot too */
	return 0;
}

/* Once a second: finish a compaction whose child is done. */
static void compact_poll(struct server *srv)
{
	uint64_t before = srv->journal.size;
	char err[256];
	int rc = jfile_compact_poll(&srv->journal, srv->eng, err, sizeof err);

	if (rc < 0) {
		snprintf(srv->journal_error, sizeof srv->journal_error, "%s", err);
		log_msg(LOG_ERR, "journal compaction failed: %s; the old journal stays", err);
	} else if (rc > 0) {
		log_msg(LOG_NOTICE,
		        "journal compacted: %llu bytes -> %llu bytes, %llu tickets archived",
		        (unsigned long long)before, (unsigned long long)srv->journal.size,
		        (unsigned long long)srv->journal.archived);
		/* The archived tickets' memory back to the system, not only to malloc. */
		if (srv->journal.archived > 0)
			malloc_trim(0);
	}
}

int server_start(struct server *srv, char *err, size_t errlen)
{
	struct timeval second = {1, 0};
	uint64_t usec = 0;

	event_set_log_callback(on_libevent_log);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit makes write() fail with EFBIG instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);
	srv->started_at = server_realtime();
	srv->base = event_base_new();
	if (srv->base == NULL)
		fatalx("libevent: cannot create the event loop");
	srv->eng = engine_new(srv->cfg);
	/* Before replay, which fills the retention window. */
	upstream_apply_retention(srv->eng, srv->cfg);
	if (mkdir(srv->cfg->state_dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", srv->cfg->state_dir,
		         strerror(errno));
		return -1;
	}
	if (jfile_open(&srv->journal, srv->cfg->state_dir, srv->cfg->fsync, srv->eng, err, errlen) <
	    0)
		return -1;
	log_msg(LOG_INFO,
	        "journal %s: %llu records, %llu bytes, replayed in %lld ms (%llu tickets)",
	        srv->journal.path, (unsigned long long)srv->journal.records,
	        (unsigned long long)srv->journal.size, (long long)(srv->journal.replay_usec / 1000),
	        (unsigned long long)engine_ticket_count(srv->eng));
	srv->logged_seq = engine_last_seq(srv->eng);
	if (srv->debug_clock && engine_clock(srv->eng) > srv->debug_now)
		srv->debug_now = engine_clock(srv->eng); /* the debug clock never goes back */
	if (jfile_note_config(&srv->journal, srv->cfg->fingerprint) && srv->journal.records > 1) {
		struct engine_error eerr;
		/* Started with another configuration: recompute open tickets as a reload would. */
		log_msg(LOG_NOTICE, "configuration changed since the journal was written: "
		                    "recomputing open tickets");
		if (engine_set_config(srv->eng, srv->cfg, server_now(srv), &eerr) < 0) {
			snprintf(err, errlen, "%s", eerr.msg);
			return -1;
		}
	}
	if (!srv->cfg->ha_enabled)
		srv->up = upstream_new(srv); /* HA: only the leader sends events (ha.c) */
	srv->cmd_stats = xcalloc(cmd_count(), sizeof *srv->cmd_stats);
	srv->metrics = metrics_new(cmd_count());
	srv->commit_ev = event_new(srv->base, -1, 0, on_commit, srv);
	srv->deadline_ev = evtimer_new(srv->base, on_deadline, srv);
	srv->cron_ev = event_new(srv->base, -1, EV_PERSIST, on_cron, srv);
	srv->sig_term = evsignal_new(srv->base, SIGTERM, on_stop_signal, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, on_stop_signal, srv);
	srv->sig_hup = evsignal_new(srv->base, SIGHUP, on_hup, srv);
	if (!srv->commit_ev || !srv->deadline_ev || !srv->cron_ev || !srv->sig_term ||
	    !srv->sig_int || !srv->sig_hup)
		fatalx("libevent: cannot create events");
	if (event_add(srv->sig_term, NULL) < 0 || event_add(srv->sig_int, NULL) < 0 ||
	    event_add(srv->sig_hup, NULL) < 0 || event_add(srv->cron_ev, &second) < 0)
		fatalx("libevent: cannot add the signal and cron events");
	srv->ha = ha_start(srv); /* HA: bootstrap from Redis before the listeners open */
	if (listener_open_all(srv, err, errlen) < 0 ||
	    metrics_listen(srv->metrics, srv, err, errlen) < 0)
		return -1;
	if (sd_watchdog_enabled(0, &usec) > 0)
		srv->watchdog_usec = usec;
	server_after_change(srv);
	srv->started = true;
	return 0;
}

bool server_ready(const struct server *srv, char *why, size_t len)
{
	const char *reason = NULL;

	if (!srv->started || srv->stopping)
		reason = srv->stopping ? "stopping" : "starting";
	else if (srv->journal.failed || srv->journal.sync_failed)
		reason = "the journal cannot be written";
	else if (!ha_ready(srv->ha))
		reason = ha_writable(srv->ha) ? "not ready for its HA role"
		                              : "an HA standby that is not caught up, or a leader "
		                                "without its lease";
	if (reason && why)
		snprintf(why, len, "%s", reason);
	return reason == NULL;
}

void server_run(struct server *srv)
{
	event_base_dispatch(srv->base);
}

void server_free(struct server *srv)
{
	while (srv->clients)
		client_free(srv->clients);
	listener_free_all(srv);
	metrics_free(srv->metrics); /* its HTTP server lives on the loop */
	srv->metrics = NULL;
	/* The Redis link's timers and socket live on the loop: gone before it. */
	upstream_free(srv->up);
	srv->up = NULL;
	ha_free(srv->ha);
	srv->ha = NULL;
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
		if (jfile_commit(&srv->journal, srv->eng, &records) < 0 ||
		    jfile_sync(&srv->journal) < 0)
			log_msg(LOG_ERR, "journal: %s", srv->journal.last_error);
		jfile_close(&srv->journal);
	}
	engine_free(srv->eng);
	config_free(srv->cfg);
	free(srv->cmd_stats);
	cmd_index_free(srv->cmd_index);
	srv->cmd_index = NULL;
}
