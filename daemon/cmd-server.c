/* cmd-server: connection and server commands (docs/protocol.md, "Connection and server"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "ha.h"
#include "password.h"
#include "upstream.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

static int ping(struct cmd_req *r)
{
	if (r->argc > 2) {
		reply_error(r->out, "ERR", "wrong number of arguments for 'ping' command");
		return -1;
	}
	if (r->argc == 2)
		reply_bulk(r->out, r->argv[1], r->argvlen[1]);
	else
		reply_simple(r->out, "PONG");
	return 0;
}

/*
 * The guessing record of a source (a TCP address; "unix:uid=N" on the unix
 * socket): found, or made in the least recently used slot when make is set.
 * Counts older than a minute start again.
 */
static struct auth_slot *auth_source(struct server *srv, const char *peer, bool make)
{
	char addr[48];
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	int64_t now = server_realtime();
	size_t oldest = 0;

	snprintf(addr, sizeof addr, "%.*s", (int)(n < sizeof addr ? n : sizeof addr - 1), peer);
	for (size_t i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_slot *s = &srv->auth_fail[i];
		if (strcmp(s->addr, addr) == 0) {
			if (now - s->last > 60)
				s->count = 0;
			return s;
		}
		if (s->last < srv->auth_fail[oldest].last)
			oldest = i;
	}
	if (!make)
		return NULL;
	memset(&srv->auth_fail[oldest], 0, sizeof srv->auth_fail[oldest]);
	snprintf(srv->auth_fail[oldest].addr, sizeof srv->auth_fail[oldest].addr, "%s", addr);
	return &srv->auth_fail[oldest];
}

/*
 * A failed AUTH: from the fourth failure a minute, the source waits 1, 2, ...
 * up to 5 s before its next AUTH is even checked. The wait belongs to the
 * source, not the connection: parallel connections queue behind each other,
 * and an AUTH that arrives during the wait is refused unchecked (it costs no
 * password hashing either), so guesses per source stay one per wait however
 * many connections try. Returns the failures counted.
 */
static unsigned auth_failed(struct cmd_req *r, struct auth_slot *s)
{
	int64_t now_ms = monotonic_ms();

	s->count++;
	s->last = server_realtime();
	if (s->count > 3) {
		int64_t step = 1000 * (int64_t)(s->count - 3 > 5 ? 5 : s->count - 3);
		s->until_ms = (s->until_ms > now_ms ? s->until_ms : now_ms) + step;
		/* Far behind: this source is hammering us; make it wait at most a minute. */
		if (s->until_ms - now_ms > 60000)
			s->until_ms = now_ms + 60000;
		client_delay(r->c, s->until_ms - now_ms);
	}
	reply_error(r->out, "WRONGPASS", "invalid username-password pair or user is disabled.");
	return s->count;
}

static int auth(struct cmd_req *r)
{
	const struct config *cfg = r->srv->cfg;
	/* An unknown user costs the same scrypt as a known one: no timing says who exists. */
	static const char nobody[] = "$scrypt$ln=14,r=8,p=1$bm9ib2R5bm9ib2R5$"
	                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	const struct user *u;
	struct auth_slot *src;
	unsigned failures;
	bool match;
	char esc[80];

	src = auth_source(r->srv, r->c->peer, true);
	/* A few ms of slack: the delay timer and this clock round differently. */
	if (src->until_ms > monotonic_ms() + 5) {
		failures = auth_failed(r, src);
		log_msg(LOG_WARNING,
		        "AUTH from %s refused unchecked: guessing (%u in the last minute)",
		        r->c->peer, failures);
		return -1;
	}
	/* No users configured: every credential is bad, with the same answer and delay. */
	u = cfg->nusers ? config_user(cfg, r->argv[1]) : NULL;
	match = password_verify(u ? u->password : nobody, r->argv[2], r->argvlen[2]);
	if (match && u) {
		free(r->c->user);
		r->c->user = xstrdup(u->name);
		log_msg(LOG_INFO, "client %llu (%s) authenticated as %s (%s)",
		        (unsigned long long)r->c->id, r->c->peer, u->name, role_names[u->role]);
		reply_ok(r->out);
		return 0;
	}
	failures = auth_failed(r, src);
	log_msg(LOG_WARNING, "AUTH failed for user \"%s\" from %s (%u in the last minute)",
	        log_escape(r->argv[1], r->argvlen[1] > 64 ? 64 : r->argvlen[1], esc, sizeof esc),
	        r->c->peer, failures);
	return -1;
}

/*
 * AUTH password (Redis's one-argument form) is AUTH default password; HELLO's
 * AUTH option comes here too. Both go through auth() itself, so that every
 * way in has the same checks, answers and delays.
 */
int cmd_server_auth(struct cmd_req *r, int user_arg, int pass_arg)
{
	char *argv[3] = {r->argv[0], user_arg > 0 ? r->argv[user_arg] : "default",
	                 r->argv[pass_arg]};
	size_t argvlen[3] = {r->argvlen[0], user_arg > 0 ? r->argvlen[user_arg] : 7,
	                     r->argvlen[pass_arg]};
	struct cmd_req ar = *r;

	ar.argc = 3;
	ar.argv = argv;
	ar.argvlen = argvlen;
	return auth(&ar);
}

static int auth_cmd(struct cmd_req *r)
{
	if (r->argc > 3) {
		reply_errorf(r->out, "ERR",
		             "wrong number of arguments for 'auth' command (usage: AUTH [username] "
		             "password)");
		return -1;
	}
	return cmd_server_auth(r, r->argc == 3 ? 1 : 0, r->argc - 1);
}

static int quit(struct cmd_req *r)
{
	reply_ok(r->out);
	client_close_after_reply(r->c);
	return 0;
}

static void info_line(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void info_line(struct rbuf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	rbuf_append(b, line, (size_t)n);
	rbuf_append(b, "\r\n", 2);
}

/* A counter line of INFO: name:value. */
static void info_u64(struct rbuf *b, const char *name, uint64_t v)
{
	info_line(b, "%s:%llu", name, (unsigned long long)v);
}

static void info_server(struct cmd_req *r, struct rbuf *b)
{
	struct server *srv = r->srv;
	char ts[21];

	info_line(b, "repaird_version:%s", REPAIRD_VERSION);
	info_line(b, "process_id:%d", (int)getpid());
	info_line(b, "uptime_in_seconds:%lld", (long long)(server_realtime() - srv->started_at));
	info_line(b, "config_file:%s", srv->config_path);
	info_line(b, "debug_clock:%d", srv->debug_clock ? 1 : 0);
	time_format(r->now, ts);
	info_line(b, "now:%s", ts);
	for (size_t i = 0; i < srv->cfg->nlisten_tcp; i++)
		info_line(b, "tcp_listen%zu:%s", i, srv->cfg->listen_tcp[i]);
	info_line(b, "unix_socket:%s", srv->cfg->listen_unix ? srv->cfg->listen_unix : "");
	info_line(b, "centres:%zu", srv->cfg->ncentres);
	info_line(b, "products:%zu", srv->cfg->nproducts);
	info_u64(b, "due_processed", srv->due_processed);
	info_u64(b, "due_slices", srv->due_slices);
}

static void info_clients(struct cmd_req *r, struct rbuf *b)
{
	struct server *srv = r->srv;
	size_t paused = 0;

	for (struct client *c = srv->clients; c; c = c->next)
		paused += c->read_paused;
	info_line(b, "connected_clients:%zu", srv->nclients);
	info_line(b, "unix_clients:%zu", srv->nclients_unix);
	info_line(b, "max_clients:%d", srv->cfg->max_clients);
	info_line(b, "paused_clients:%zu", paused);
	info_u64(b, "total_connections_received", srv->total_connections);
	info_u64(b, "rejected_connections", srv->rejected_connections);
	info_u64(b, "total_commands_processed", srv->total_commands);
	info_u64(b, "protocol_errors", srv->protocol_errors);
	info_line(b, "idle_timeout:%d", srv->cfg->idle_timeout);
}

static void info_persistence(struct cmd_req *r, struct rbuf *b)
{
	struct server *srv = r->srv;
	const struct jfile *j = &srv->journal;
	uint64_t zeros;

	info_line(b, "journal_file:%s", j->path ? j->path : "");
	info_u64(b, "journal_size", j->size);
	info_u64(b, "journal_records", j->records);
	info_u64(b, "journal_live_size", j->live_size);
	/* Zeros written ahead of the end (prealloc.h): commits overwrite them, the file keeps its
	 * size. */
	zeros = prealloc_zeroed_end(&j->pre);
	info_u64(b, "journal_zeros_ahead", zeros > j->size ? zeros - j->size : 0);
	info_line(b, "fsync:%s", fsync_policy_names[srv->cfg->fsync]);
	info_u64(b, "fsyncs", j->fsyncs);
	info_u64(b, "journal_rewrites", j->rewrites);
	info_line(b, "last_fsync:%lld", (long long)j->last_fsync);
	info_line(b, "unsynced:%d", j->unsynced ? 1 : 0);
	info_u64(b, "compactions", j->compactions);
	info_line(b, "compacting:%d", j->compact_pid > 0 ? 1 : 0);
	info_line(b, "replay_ms:%lld", (long long)(j->replay_usec / 1000));
	info_line(b, "write_failed:%d", j->failed ? 1 : 0);
	info_line(b, "last_error:%s", j->failed ? j->last_error : srv->journal_error);
	info_line(b, "state_dir:%s", srv->cfg->state_dir);
}

static void info_events(struct cmd_req *r, struct rbuf *b)
{
	struct server *srv = r->srv;
	struct upstream_stats us;
	struct engine_outbox_stats os;
	int64_t oldest = 0;

	upstream_stats(srv->up, &us);
	engine_outbox_stats(srv->eng, &os);
	if (os.waiting > 0)
		oldest = server_now(srv) - os.oldest_at;
	info_line(b, "link:%s", us.link);
	info_line(b, "link_since:%lld", (long long)us.link_since);
	if (us.addr[0]) /* where it connects: the sentinels' primary, or redis.host/port */
		info_line(b, "redis:%s", us.addr);
	else if (srv->cfg->nredis_sentinels > 0)
		info_line(b, "redis:sentinels:%s", srv->cfg->redis_master);
	else
		info_line(b, "redis:%s:%d", srv->cfg->redis_host, srv->cfg->redis_port);
	info_line(b, "outbox_oldest_age:%lld", (long long)oldest);
	info_u64(b, "sent", us.sent);
	info_u64(b, "confirmed", us.confirmed);
	info_u64(b, "duplicates", us.duplicates);
	info_u64(b, "errors", us.errors);
	info_u64(b, "in_flight", us.in_flight);
	info_u64(b, "connects", us.reconnects);
	info_u64(b, "delivered_upto", us.delivered_upto);
	info_line(b, "last_error:%s", us.last_error);
	info_u64(b, "events_emitted", srv->events_emitted);
	info_u64(b, "last_seq", engine_last_seq(srv->eng));
	info_line(b, "outbox_depth:%zu", os.waiting);
	info_line(b, "outbox_event_bytes:%zu", os.event_size);
	info_line(b, "outbox_bytes:%zu", os.bytes);
	info_line(b, "retained:%zu", os.retained);
	info_line(b, "retain_events:%ld", srv->cfg->redis_retain_events);
	info_line(b, "retain_seconds:%ld", srv->cfg->redis_retain_seconds);
	info_u64(b, "lost", us.lost);
	info_u64(b, "resent", us.resent);
	info_u64(b, "lost_beyond_window", us.lost_beyond_window);
	for (size_t i = 0; i < engine_stream_count(srv->eng); i++) {
		const char *centre;
		uint64_t seq = engine_stream_at(srv->eng, i, &centre);
		info_line(b, "stream_%s:delivered=%llu", centre, (unsigned long long)seq);
	}
}

static void info_tickets(struct cmd_req *r, struct rbuf *b)
{
	struct server *srv = r->srv;
	struct engine_counts ec;
	int64_t due;
	char ts[21] = "";

	engine_counts(srv->eng, &ec);
	info_u64(b, "tickets_total", ec.tickets);
	info_u64(b, "tickets_in_memory", ec.in_memory);
	info_u64(b, "tickets_archived", ec.tickets - ec.in_memory);
	info_u64(b, "tickets_open", ec.open);
	info_u64(b, "tickets_fast_track", ec.fast_track);
	info_u64(b, "tickets_at_risk", ec.at_risk);
	info_u64(b, "tickets_breached", ec.breached);
	info_u64(b, "tickets_queued", ec.queued);
	info_u64(b, "loans_eligible", ec.loans_eligible);
	info_u64(b, "loans_issued", ec.loans_issued);
	info_u64(b, "members", ec.members);
	info_u64(b, "deadline_heap", ec.heap);
	if (engine_next_due(srv->eng, &due))
		time_format(due, ts);
	info_line(b, "next_due:%s", ts);
}

static void info_commandstats(struct cmd_req *r, struct rbuf *b)
{
	const struct cmd_entry *e;

	for (size_t i = 0; (e = cmd_at(i)) != NULL; i++) {
		const struct cmd_stat *st = &r->srv->cmd_stats[i];
		if (st->calls == 0)
			continue;
		info_line(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,errors=%llu",
		          e->name, (unsigned long long)st->calls, (unsigned long long)st->usec,
		          (double)st->usec / (double)st->calls, (unsigned long long)st->errors);
	}
}

static void info_replication(struct cmd_req *r, struct rbuf *b)
{
	ha_info(r->srv->ha, b);
}

static int info(struct cmd_req *r)
{
	static const char *const sections[] = {"Server",  "Clients",     "Persistence", "Events",
	                                       "Tickets", "Replication", "Commandstats"};
	enum { NSECTIONS = sizeof sections / sizeof sections[0] };
	/* In the order of sections[]. */
	static void (*const section_fns[NSECTIONS])(struct cmd_req *, struct rbuf *) = {
	        info_server,  info_clients,     info_persistence, info_events,
	        info_tickets, info_replication, info_commandstats};
	struct rbuf b;
	int want = -1;

	if (r->argc == 2 && strcasecmp(r->argv[1], "all") != 0 &&
	    strcasecmp(r->argv[1], "everything") != 0 && strcasecmp(r->argv[1], "default") != 0) {
		want = domain_lookup(sections, NSECTIONS, r->argv[1]);
		if (want < 0) {
			char list[128];
			reply_errorf(r->out, "INVALID", "INFO section: one of %s, all",
			             domain_list(sections, NSECTIONS, list, sizeof list));
			return -1;
		}
	}
	rbuf_init(&b);
	for (int i = 0; i < NSECTIONS; i++) {
		if (want >= 0 && want != i)
			continue;
		if (b.len > 0)
			rbuf_append(&b, "\r\n", 2);
		info_line(&b, "# %s", sections[i]);
		section_fns[i](r, &b);
	}
	reply_bulk(r->out, b.data, b.len);
	rbuf_free(&b);
	return 0;
}

/* The reply of a server action that says err when it fails (rc < 0), else ok. */
static int reply_outcome(struct cmd_req *r, int rc, const char *err, const char *ok)
{
	if (rc < 0) {
		reply_error(r->out, "ERR", err);
		return -1;
	}
	reply_simple(r->out, ok);
	return 0;
}

static int config_reload(struct cmd_req *r)
{
	char err[512];

	return reply_outcome(r, server_reload(r->srv, err, sizeof err), err, "OK");
}

static void reply_pct(struct rbuf *out, uint64_t met, uint64_t missed)
{
	char buf[32];

	if (met + missed == 0) {
		reply_bulk_str(out, "");
		return;
	}
	snprintf(buf, sizeof buf, "%.1f", 100.0 * (double)met / (double)(met + missed));
	reply_bulk_str(out, buf);
}

/* A field of a record reply: its name, then v as a bulk string. */
static void reply_field_u64(struct rbuf *out, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	reply_bulk_str(out, name);
	reply_bulk_str(out, buf);
}

static int stats(struct cmd_req *r)
{
	struct cmd_opt o[] = {{"CENTRE", 1, NULL, 0}, {"SINCE", 1, NULL, 0}, {"UNTIL", 1, NULL, 0}};
	struct engine_stats s;
	int32_t since = -1, until = -1;

	if (cmd_parse_options(r, 1, o, 3) < 0)
		return -1;
	if (o[0].seen && config_centre(r->srv->cfg, o[0].value) == NULL) {
		char esc[80];
		reply_errorf(r->out, "NOTFOUND", "centre \"%s\": no such centre (see CENTRE.LIST)",
		             log_escape(o[0].value, strlen(o[0].value), esc, 64));
		return -1;
	}
	if (o[1].seen && cmd_parse_date(r, "SINCE", o[1].value, &since) < 0)
		return -1;
	if (o[2].seen && cmd_parse_date(r, "UNTIL", o[2].value, &until) < 0)
		return -1;
	if (o[0].seen || r->user == NULL || r->user->all_centres)
		engine_stats(r->srv->eng, o[0].value, since, until, &s);
	else /* only the caller's centres */
		engine_stats_in(r->srv->eng, (const char *const *)r->user->centres,
		                r->user->ncentres, since, until, &s);
	reply_record(r->out, r->c->resp, 8 + TIER_COUNT);
	reply_field_u64(r->out, "closed", s.closed);
	reply_field_u64(r->out, "met", s.met);
	reply_field_u64(r->out, "missed", s.missed);
	reply_bulk_str(r->out, "met_pct");
	reply_pct(r->out, s.met, s.missed);
	reply_field_u64(r->out, "open", s.open);
	reply_field_u64(r->out, "at_risk", s.at_risk);
	reply_field_u64(r->out, "breached", s.breached);
	reply_field_u64(r->out, "loans_eligible", s.loans_eligible);
	for (int t = 0; t < TIER_COUNT; t++) {
		char key[48];
		snprintf(key, sizeof key, "met_pct_%s", tier_names[t]);
		reply_bulk_str(r->out, key);
		reply_pct(r->out, s.met_tier[t], s.missed_tier[t]);
	}
	return 0;
}

static int journal_compact_cmd(struct cmd_req *r)
{
	char err[256];

	return reply_outcome(r, server_compact(r->srv, err, sizeof err), err,
	                     "Background journal compaction started");
}

static int debug_clock(struct cmd_req *r)
{
	int64_t t;
	char now[21];

	if (cmd_parse_time(r, "time", r->argv[1], &t) < 0)
		return -1;
	if (t < r->srv->debug_now) {
		time_format(r->srv->debug_now, now);
		reply_errorf(r->out, "INVALID", "time: the clock only moves forward (now %s)", now);
		return -1;
	}
	r->srv->debug_now = t;
	server_after_change(r->srv);
	reply_ok(r->out);
	if (r->srv->due_pending)
		client_await_due(r->c); /* +OK once the rest has run, in slices */
	return 0;
}

const struct cmd_entry cmd_server_entries[] = {
        {"PING", -1, CMD_NOAUTH, "PING [message]", ping, "Checks the connection", "connection",
         NULL},
        {"AUTH", -2, CMD_NOAUTH, "AUTH [username] password", auth_cmd,
         "Authenticates the connection as a user", "connection", NULL},
        {"QUIT", -1, CMD_NOAUTH | CMD_NOQUEUE, "QUIT", quit, "Closes the connection", "connection",
         NULL},
        {"INFO", -1, CMD_READONLY | CMD_OPS, "INFO [section]", info,
         "Replies the server's state and counters as text", "server", NULL},
        {"CONFIG.RELOAD", 1, CMD_ADMIN, "CONFIG.RELOAD", config_reload,
         "Reads the configuration file again", "server", NULL},
        {"STATS", -1, CMD_READONLY, "STATS [CENTRE id] [SINCE date] [UNTIL date]", stats,
         "Replies turnaround statistics", "tickets", NULL},
        {"JOURNAL.COMPACT", 1, CMD_ADMIN, "JOURNAL.COMPACT", journal_compact_cmd,
         "Starts a compaction of the journal", "server", NULL},
        {"DEBUG.CLOCK", 2, CMD_ADMIN | CMD_DEBUG, "DEBUG.CLOCK time", debug_clock,
         "Sets the daemon's clock (tests only)", "server", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
