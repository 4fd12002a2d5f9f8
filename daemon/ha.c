/*
 * ha: roles, the lease and taking over (the stream itself: ha-stream.c).
 *
 * Every lease_ms/3 a tick: the leader (or a standby that has fenced and is
 * catching up) renews the lease with a check-and-set script; a standby reads
 * the lease and the stream's last entry (who leads, how far behind it is),
 * and when the lease has been gone a while takes over with one script that
 * bumps the term, takes the lease and writes the fence <term>-0. The tail
 * then delivers the fence like any entry; once it is applied the node leads.
 */
#include "ha_impl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <event2/event.h>

#include "conn.h"
#include "journal_file.h"
#include "log.h"
#include "server.h"
#include "upstream.h"
#include "xmalloc.h"

/* KEYS: leader, term, journal. ARGV: our lease value, lease_ms, our term. */
static const char renew_script[] =
        "local cur = redis.call('GET', KEYS[1])\n"
        "if cur ~= ARGV[1] then\n"
        "  if cur then return {0, cur} end\n"
        "  local t = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
        "  if t > tonumber(ARGV[3]) then return {0, ''} end\n"
        "  redis.call('SET', KEYS[2], ARGV[3])\n"
        "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
        "else\n"
        "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
        "end\n"
        "local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
        "if #top == 0 then return {1, ''} end\n"
        "return {1, top[1][1]}\n";

/*
 * KEYS: leader, term, journal, snapshot. ARGV: node, lease_ms, our last
 * applied entry ("none"), address, our record count. The term is above any
 * in the stream or ours, even when Redis lost the counter.
 */
static const char takeover_script[] =
        "if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end\n"
        "local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
        "if ARGV[3] == 'none' and (#top > 0 or redis.call('EXISTS', KEYS[4]) == 1) then\n"
        "  return {-1}\n"
        "end\n"
        "local function termof(id) return tonumber(string.match(id, '^(%d+)')) end\n"
        "local t = redis.call('INCR', KEYS[2])\n"
        "local prev, n = ARGV[3], ARGV[5]\n"
        "if #top > 0 then\n"
        "  prev = top[1][1]\n"
        "  if termof(prev) >= t then t = termof(prev) + 1 end\n"
        "  local f = top[1][2]\n"
        "  for i = 1, #f, 2 do if f[i] == 'n' then n = f[i + 1] end end\n"
        "end\n"
        "if ARGV[3] ~= 'none' and termof(ARGV[3]) >= t then t = termof(ARGV[3]) + 1 end\n"
        "redis.call('SET', KEYS[2], t)\n"
        "local id = string.format('%d-0', t)\n"
        "redis.call('XADD', KEYS[3], id, 'p', prev, 'n', n, 'fence', ARGV[1])\n"
        "redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t .. ' ' .. ARGV[4], 'PX', ARGV[2])\n"
        "return {1, t, id}\n";

int64_t ha_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ha_key(const struct ha *h, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s:%s", h->srv->cfg->redis_prefix, name);
}

static const struct config *cfg_of(const struct ha *h)
{
	return h->srv->cfg;
}

static const char *advertise(const struct ha *h)
{
	const struct config *cfg = cfg_of(h);

	if (cfg->ha_advertise)
		return cfg->ha_advertise;
	return cfg->nlisten_tcp > 0 ? cfg->listen_tcp[0] : "";
}

/* ---- the leader's lease --------------------------------------------------------------- */

static void on_renew(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ac->data ? ((struct hlink *)ac->data)->h : NULL;
	redisReply *reply = r;
	struct sid top = {0, 0};

	(void)privdata;
	if (h == NULL || reply == NULL)
		return;
	h->renew_out = false;
	if (h->role != HA_LEADER && !h->taking_over)
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		hlink_fail(&h->cmd, reply->type == REDIS_REPLY_ERROR ? reply->str
		                                                     : "unexpected lease reply");
		return;
	}
	if (reply->element[0]->integer == 0) {
		char why[200];
		snprintf(why, sizeof why, "the lease is held by another node (%s)",
		         reply->element[1]->str && reply->element[1]->str[0]
		                 ? reply->element[1]->str
		                 : "a newer term");
		ha_step_down(h, why);
		return;
	}
	h->lease_until = h->renew_sent + cfg_of(h)->ha_lease_ms;
	h->renewed = true;
	h->cmd_heard = true;
	if (reply->element[1]->str && reply->element[1]->str[0])
		sid_parse(reply->element[1]->str, &top);
	/*
	 * Redis processed our earlier XADDs first: a stream behind them lost
	 * data. Not while a reship snapshot is written: it covers all that.
	 */
	if (h->role == HA_LEADER && sid_cmp(top, h->renew_last) < 0 && !h->need_reship &&
	    !ha_snapshot_holds(h)) {
		char a[48], b[48];
		sid_format(top, a, sizeof a);
		sid_format(h->renew_last, b, sizeof b);
		log_msg(LOG_WARNING,
		        "ha: the journal stream ends at %s, behind %s that this leader shipped "
		        "(Redis lost data): storing a fresh snapshot",
		        a, b);
		h->need_reship = true;
		h->reships++;
	}
	if (h->role == HA_LEADER && (h->need_reship || h->snapshot_due))
		event_active(h->srv->commit_ev, EV_TIMEOUT, 0);
}

static void send_renew(struct ha *h)
{
	char kl[160], kt[160], kj[160], lease[24], term[24];
	const char *argv[9];

	ha_key(h, "leader", kl, sizeof kl);
	ha_key(h, "term", kt, sizeof kt);
	ha_key(h, "journal", kj, sizeof kj);
	snprintf(lease, sizeof lease, "%d", cfg_of(h)->ha_lease_ms);
	snprintf(term, sizeof term, "%" PRIu64, h->term);
	argv[0] = "EVAL";
	argv[1] = renew_script;
	argv[2] = "3";
	argv[3] = kl;
	argv[4] = kt;
	argv[5] = kj;
	argv[6] = h->lease_value;
	argv[7] = lease;
	argv[8] = term;
	h->renew_out = true;
	h->renew_sent = ha_now_ms();
	h->renew_last = h->applied;
	redisAsyncCommandArgv(h->cmd.ac, on_renew, NULL, 9, argv, NULL);
}

/*
 * A node whose lease has lapsed asks a new connection for a PING first and
 * renews on it only once that is answered: one that reaches Redis but
 * hears nothing back (a one-way split) would otherwise keep its lease
 * alive in Redis with renewals it never learns succeeded, and leave the
 * group without a leader for as long as the split lasts. While the lease
 * holds, the renewal goes first (cmd_up): its answer must come before any
 * XADD's, to tell whether the stream lost what was shipped. The renewal's
 * timeout covers the PING too.
 */
static void on_ping(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ac->data ? ((struct hlink *)ac->data)->h : NULL;

	(void)privdata;
	if (h == NULL || r == NULL)
		return;
	h->renew_out = false;
	h->cmd_heard = true;
	if ((h->role == HA_LEADER || h->taking_over) && hlink_ready(&h->cmd))
		send_renew(h);
}

static void send_ping(struct ha *h)
{
	h->renew_out = true;
	h->renew_sent = ha_now_ms();
	redisAsyncCommand(h->cmd.ac, on_ping, NULL, "PING");
}

/* ---- a standby's look at the lease, and taking over ------------------------------------- */

static void on_takeover(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ac->data ? ((struct hlink *)ac->data)->h : NULL;
	redisReply *reply = r;
	int64_t sent = (int64_t)(intptr_t)privdata;

	if (h == NULL || reply == NULL)
		return;
	h->poll_out = false;
	h->cmd_heard = true;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
		log_msg(LOG_ERR, "ha: taking over failed: %s",
		        reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		/* A demoted primary: reconnect (through the sentinels, when configured). */
		if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "READONLY", 8) == 0)
			hlink_fail(&h->cmd, reply->str);
		return;
	}
	if (reply->element[0]->integer == -1) {
		/* Redis has a history we have not loaded: load it before leading. */
		h->need_rebuild = true;
		return;
	}
	if (reply->element[0]->integer != 1 || reply->elements < 3)
		return; /* another node was quicker */
	h->term = (uint64_t)reply->element[1]->integer;
	sid_parse(reply->element[2]->str, &h->fence);
	snprintf(h->lease_value, sizeof h->lease_value, "%s %" PRIu64 " %s", cfg_of(h)->ha_node,
	         h->term, advertise(h));
	snprintf(h->leader, sizeof h->leader, "%s", cfg_of(h)->ha_node);
	snprintf(h->leader_addr, sizeof h->leader_addr, "%s", advertise(h));
	h->lease_until = sent + cfg_of(h)->ha_lease_ms;
	h->fence_at = ha_now_ms();
	h->taking_over = true;
	h->takeovers++;
	log_msg(LOG_NOTICE, "ha: took the lease for term %" PRIu64 "; fence %s; catching up",
	        h->term, reply->element[2]->str);
	/* The tail's own connection may have delivered the fence before this reply. */
	if (h->have_pos && sid_cmp(h->applied, h->fence) == 0)
		ha_become_leader(h);
	else
		ha_tail_next(h);
}

static void try_takeover(struct ha *h)
{
	char kl[160], kt[160], kj[160], ks[160], lease[24], last[48], records[24];
	const char *argv[12];

	ha_key(h, "leader", kl, sizeof kl);
	ha_key(h, "term", kt, sizeof kt);
	ha_key(h, "journal", kj, sizeof kj);
	ha_key(h, "snapshot", ks, sizeof ks);
	snprintf(lease, sizeof lease, "%d", cfg_of(h)->ha_lease_ms);
	snprintf(records, sizeof records, "%" PRIu64, h->records);
	if (h->have_pos)
		sid_format(h->applied, last, sizeof last);
	else
		snprintf(last, sizeof last, "none");
	argv[0] = "EVAL";
	argv[1] = takeover_script;
	argv[2] = "4";
	argv[3] = kl;
	argv[4] = kt;
	argv[5] = kj;
	argv[6] = ks;
	argv[7] = cfg_of(h)->ha_node;
	argv[8] = lease;
	argv[9] = last;
	argv[10] = advertise(h);
	argv[11] = records;
	h->poll_out = true;
	h->poll_sent = ha_now_ms();
	redisAsyncCommandArgv(h->cmd.ac, on_takeover, (void *)(intptr_t)ha_now_ms(), 12, argv,
	                      NULL);
}

static void on_poll(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ac->data ? ((struct hlink *)ac->data)->h : NULL;
	redisReply *reply = r;

	(void)privdata;
	if (h == NULL || reply == NULL || h->role != HA_STANDBY || h->taking_over)
		return;
	h->poll_out = false;
	h->cmd_heard = true;
	h->heard = ha_now_ms();
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
		return;
	if (reply->element[0]->type == REDIS_REPLY_STRING) {
		char name[72] = "", addr[128] = "";
		unsigned long long term = 0;
		if (sscanf(reply->element[0]->str, "%71s %llu %127s", name, &term, addr) == 3) {
			snprintf(h->leader, sizeof h->leader, "%s", name);
			snprintf(h->leader_addr, sizeof h->leader_addr, "%s", addr);
			h->term = term;
		}
		h->missing_since = 0;
		/* A leader lives but we hold no position in its stream: load its snapshot. */
		if (h->bootstrapped && !h->have_pos && !h->rebuild_out)
			h->need_rebuild = true;
	} else {
		int64_t now = ha_now_ms();
		/*
		 * Gone: the leader died, or Redis lost the key. Give a living leader
		 * half a lease to take it back before we do.
		 */
		if (h->missing_since == 0)
			h->missing_since = now;
		h->leader[0] = h->leader_addr[0] = '\0';
		if (now - h->missing_since >= cfg_of(h)->ha_lease_ms / 2 && h->bootstrapped &&
		    !h->rebuild_out && !h->need_rebuild)
			try_takeover(h);
	}
	/* The leader's last entry: how far behind we are. */
	if (reply->element[1]->type == REDIS_REPLY_ARRAY && reply->element[1]->elements > 0) {
		const redisReply *e = reply->element[1]->element[0];
		if (e->type == REDIS_REPLY_ARRAY && e->elements == 2)
			for (size_t i = 0; i + 1 < e->element[1]->elements; i += 2)
				if (strcmp(e->element[1]->element[i]->str, "n") == 0)
					h->top_records = strtoull(
					        e->element[1]->element[i + 1]->str, NULL, 10);
	}
}

static void send_poll(struct ha *h)
{
	char kl[160], kj[160];
	const char *script = "return {redis.call('GET', KEYS[1]), "
	                     "redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)}";
	const char *argv[5] = {"EVAL", script, "2", kl, kj};

	ha_key(h, "leader", kl, sizeof kl);
	ha_key(h, "journal", kj, sizeof kj);
	h->poll_out = true;
	h->poll_sent = ha_now_ms();
	redisAsyncCommandArgv(h->cmd.ac, on_poll, NULL, 5, argv, NULL);
}

/* ---- the tick ----------------------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ha *h = arg;
	int lease = cfg_of(h)->ha_lease_ms;
	int64_t now = ha_now_ms();

	(void)fd;
	(void)what;
	hlink_timer(h->tick_ev, lease / 3);
	/* hiredis 0.14 has no reply timeout: a renewal unanswered for a lease is a dead link. */
	if (h->renew_out && now - h->renew_sent > lease)
		hlink_fail(&h->cmd, "no reply to the lease renewal within lease_ms");
	/*
	 * The same for a standby's look at the lease: a connection that went
	 * silent (a split TCP does not notice) would otherwise hold poll_out
	 * forever, and the standby would never take over.
	 */
	if (h->poll_out && now - h->poll_sent > lease)
		hlink_fail(&h->cmd, "no reply to the lease poll within lease_ms");
	if (h->tail_out && now - h->tail_sent > 2 * lease + 2000)
		hlink_fail(&h->tail, "no reply to XREAD in time");
	/*
	 * Taking over, the fence is in the stream after our position: an XREAD
	 * returns at once. One out for a third of a lease since then went to a
	 * dead connection; waiting out the timeout above would delay the
	 * takeover past lease_ms + 2 s.
	 */
	if (h->taking_over && h->tail_out && now - h->tail_sent > lease / 3 &&
	    now - h->fence_at > lease / 3)
		hlink_fail(&h->tail, "no reply to XREAD while taking over");
	if (!hlink_ready(&h->cmd))
		return;
	if ((!h->bootstrapped || h->need_rebuild) && !h->rebuild_out && h->role == HA_STANDBY) {
		ha_rebuild(h);
		return;
	}
	if (h->role == HA_LEADER || h->taking_over) {
		if (!h->renew_out && h->cmd_heard)
			send_renew(h);
		else if (!h->renew_out)
			send_ping(h);
	} else if (!h->poll_out) {
		send_poll(h);
	}
	if (h->role == HA_STANDBY)
		ha_tail_next(h);
}

/* ---- leading and stepping down -------------------------------------------------------- */

/*
 * A standby's journal is a copy of what Redis holds (a node that comes back
 * rebuilds from Redis), so it is fdatasync'ed once a second, not per batch
 * applied: fsync: always is the leader's promise. A node that starts to lead
 * syncs what it applied before it acknowledges anything.
 */
static void journal_policy(struct ha *h, bool leading)
{
	struct server *srv = h->srv;

	if (leading) {
		uint64_t records;
		/*
		 * Records applied from the stream but not written here yet (the
		 * last entries before the fence) belong to the old term: they go
		 * to this journal now, before the tap is set, and are not shipped
		 * again under the new one.
		 */
		srv->journal.fsync = srv->cfg->fsync;
		if (srv->journal.tap != NULL)
			fatalx("ha: the journal tap is set before leading");
		if (jfile_commit(&srv->journal, srv->eng, &records) < 0 ||
		    jfile_sync(&srv->journal) < 0) {
			log_msg(LOG_ERR, "journal: %s; exiting before taking writes",
			        srv->journal.last_error);
			exit(EX_IOERR);
		}
	} else if (srv->cfg->fsync == FSYNC_ALWAYS) {
		srv->journal.fsync = FSYNC_EVERYSEC;
	}
}

void ha_become_leader(struct ha *h)
{
	struct server *srv = h->srv;

	h->role = HA_LEADER;
	journal_policy(h, true);
	h->taking_over = false;
	h->next_seq = 1;
	/* Monotonic across terms: a client's ha_wait is compared with them. */
	h->confirmed = h->shipped;
	/* What it applied came from the stream: its events are confirmed. */
	h->events_upto = engine_last_seq(srv->eng);
	h->nseqs = 0;
	h->since_snapshot = 0;
	h->batch.len = 0;
	h->batch_records = 0;
	h->need_reship = false;
	/* A new leader's first act: a snapshot at its fence, so that others bootstrap from it. */
	h->snapshot_due = true;
	srv->journal.tap = &h->batch;
	srv->journal.tap_records = &h->batch_records;
	srv->journal.tap_ready = ha_ship;
	srv->journal.tap_arg = h;
	/* Applied records left the deadline heap as it was: build it for the timer. */
	engine_restore_finish(srv->eng);
	srv->logged_seq = engine_last_seq(srv->eng);
	if (srv->up == NULL)
		srv->up = upstream_new(srv);
	log_msg(LOG_NOTICE, "ha: leader for term %" PRIu64 " (%" PRIu64 " records, %llu tickets)",
	        h->term, h->records, (unsigned long long)engine_ticket_count(srv->eng));
	server_after_change(srv);
}

void ha_step_down(struct ha *h, const char *why)
{
	struct server *srv = h->srv;

	if (h->role != HA_LEADER && !h->taking_over)
		return;
	log_msg(LOG_WARNING, "ha: stepping down from term %" PRIu64 ": %s", h->term, why);
	ha_snapshot_stop(h);
	h->role = HA_STANDBY;
	journal_policy(h, false);
	h->taking_over = false;
	h->stepdowns++;
	h->lease_until = 0;
	h->leader[0] = h->leader_addr[0] = '\0';
	srv->journal.tap = NULL;
	srv->journal.tap_records = NULL;
	h->batch.len = 0;
	upstream_free(srv->up);
	srv->up = NULL;
	evtimer_del(srv->deadline_ev);
	/* Replies waiting for Redis's copy will never be confirmed: no answer is the truth. */
	client_drop_unconfirmed(srv);
	h->confirmed = h->shipped;
	/* What this node wrote past the stream is discarded: rebuild from Redis. */
	h->have_pos = false;
	h->need_rebuild = true;
	if (hlink_ready(&h->cmd) && !h->rebuild_out)
		ha_rebuild(h);
}

/* ---- links ----------------------------------------------------------------------------------- */

static void cmd_up(struct ha *h)
{
	h->renewed = false;
	h->cmd_heard = false;
	if (h->role == HA_LEADER) {
		/* Batches in flight when the link broke may be lost: a snapshot covers them. */
		h->need_reship = h->need_reship || h->confirmed < h->shipped;
		if (ha_writable(h)) {
			send_renew(h);
		} else {
			/* Nothing ships before the lease is back; then a snapshot covers it all. */
			h->need_reship = true;
			send_ping(h);
		}
	} else if (!h->bootstrapped || h->need_rebuild) {
		ha_rebuild(h);
	}
}

static void cmd_down(struct ha *h, bool was_up)
{
	(void)was_up;
	h->renew_out = h->poll_out = false;
	ha_rebuild_abort(h);
	ha_snapshot_link_down(h);
	if (h->role == HA_LEADER && h->confirmed < h->shipped)
		h->need_reship = true;
}

static void tail_up(struct ha *h)
{
	if (h->role == HA_STANDBY)
		ha_tail_next(h);
}

static void tail_down(struct ha *h, bool was_up)
{
	(void)was_up;
	h->tail_out = false;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

struct ha *ha_start(struct server *srv)
{
	struct ha *h;
	int64_t until;

	if (!srv->cfg->ha_enabled)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->srv = srv;
	srv->ha = h;
	h->role = HA_STANDBY;
	journal_policy(h, false);
	rbuf_init(&h->batch);
	ha_snapshot_init(h);
	h->tick_ev = evtimer_new(srv->base, on_tick, h);
	if (h->tick_ev == NULL)
		fatalx("libevent: cannot create the HA timer");
	hlink_init(&h->cmd, h, "command", cmd_up, cmd_down);
	hlink_init(&h->tail, h, "tail", tail_up, tail_down);
	hlink_timer(h->tick_ev, srv->cfg->ha_lease_ms / 3);
	log_msg(LOG_NOTICE, "ha: node %s (%s), lease %d ms, sync %s; bootstrapping from Redis",
	        srv->cfg->ha_node, advertise(h), srv->cfg->ha_lease_ms,
	        srv->cfg->ha_sync ? "on" : "off");
	/* Standby bootstrap before the listeners open (and READY=1): a few lease periods. */
	until = ha_now_ms() + 2 * srv->cfg->ha_lease_ms + srv->cfg->redis_connect_timeout_ms;
	while (!h->bootstrapped && ha_now_ms() < until)
		event_base_loop(srv->base, EVLOOP_ONCE);
	if (!h->bootstrapped)
		log_msg(LOG_WARNING, "ha: Redis not reached yet; serving reads from the local "
		                     "journal until it is");
	return h;
}

static void on_release(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)ac;
	(void)r;
	((struct ha *)privdata)->released = true;
}

/*
 * A leader that stops lets its lease go, after whatever it still had to
 * ship (the same connection, in order): a standby takes over at once
 * instead of after the lease. At most a second of the loop.
 */
static void release_lease(struct ha *h)
{
	static const char script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
	                             "return redis.call('DEL', KEYS[1]) end return 0";
	char kl[160];
	const char *argv[5] = {"EVAL", script, "1", kl, h->lease_value};
	int64_t until = ha_now_ms() + 1000;

	if (h->role != HA_LEADER || !hlink_ready(&h->cmd))
		return;
	ha_key(h, "leader", kl, sizeof kl);
	redisAsyncCommandArgv(h->cmd.ac, on_release, h, 5, argv, NULL);
	while (!h->released && hlink_ready(&h->cmd) && ha_now_ms() < until)
		event_base_loop(h->srv->base, EVLOOP_ONCE);
	if (h->released)
		log_msg(LOG_NOTICE, "ha: lease of term %" PRIu64 " released", h->term);
}

void ha_free(struct ha *h)
{
	if (h == NULL)
		return;
	release_lease(h);
	h->stopping = true;
	ha_snapshot_free(h);
	hlink_free(&h->cmd);
	hlink_free(&h->tail);
	if (h->tick_ev)
		event_free(h->tick_ev);
	h->srv->journal.tap = NULL;
	h->srv->journal.tap_records = NULL;
	rbuf_free(&h->batch);
	free(h->seqs);
	free(h);
}

/* ---- what the rest of the daemon asks -------------------------------------------------------- */

enum ha_role ha_role_of(const struct ha *h)
{
	return h ? h->role : HA_SINGLE;
}

const char *ha_role_name(const struct ha *h)
{
	static const char *const names[] = {"single", "standby", "leader"};

	return names[ha_role_of(h)];
}

const char *ha_role(const struct ha *h)
{
	return ha_role_of(h) == HA_STANDBY ? "replica" : "master";
}

bool ha_writable(const struct ha *h)
{
	if (h == NULL)
		return true;
	return h->role == HA_LEADER && ha_now_ms() < h->lease_until;
}

void ha_reply_readonly(const struct ha *h, struct rbuf *out)
{
	if (h->role == HA_LEADER)
		reply_error(out, "READONLY",
		            "this node could not renew its leader lease in time; no writes until "
		            "it does or another node takes over");
	else if (h->taking_over)
		reply_error(out, "READONLY",
		            "this node is a standby taking over as leader; try again shortly");
	else if (h->leader[0])
		reply_errorf(out, "READONLY", "this node is a standby; the leader is %s at %s",
		             h->leader, h->leader_addr);
	else
		reply_error(out, "READONLY", "this node is a standby; no leader is known yet");
}

bool ha_ready(const struct ha *h)
{
	if (h == NULL)
		return true;
	if (h->role == HA_LEADER)
		return ha_writable(h);
	/* Caught up as far as it knows: it must have heard from Redis within a lease. */
	return h->bootstrapped && h->have_pos && hlink_ready(&h->tail) && h->heard > 0 &&
	       ha_now_ms() - h->heard <= cfg_of(h)->ha_lease_ms;
}

uint64_t ha_batch_to_wait(const struct ha *h)
{
	if (h == NULL || h->role != HA_LEADER || !h->srv->cfg->ha_sync)
		return 0;
	return h->shipped;
}

uint64_t ha_confirmed(const struct ha *h)
{
	return h ? h->confirmed : 0;
}

void ha_snapshot_request(struct ha *h)
{
	if (h == NULL || h->role != HA_LEADER)
		return;
	h->snapshot_due = true;
	event_active(h->srv->commit_ev, EV_TIMEOUT, 0);
}

static uint64_t lag_of(const struct ha *h)
{
	if (h->role == HA_LEADER)
		return 0;
	return h->top_records > h->records ? h->top_records - h->records : 0;
}

void ha_reply_role(const struct ha *h, struct rbuf *out)
{
	char term[24], lag[24];

	snprintf(term, sizeof term, "%" PRIu64, h ? h->term : 0);
	snprintf(lag, sizeof lag, "%" PRIu64, h ? lag_of(h) : 0);
	reply_array(out, 12);
	reply_bulk_str(out, "role");
	reply_bulk_str(out, ha_role_name(h));
	reply_bulk_str(out, "node");
	reply_bulk_str(out, h ? cfg_of(h)->ha_node : "");
	reply_bulk_str(out, "term");
	reply_bulk_str(out, term);
	reply_bulk_str(out, "leader");
	reply_bulk_str(out, h ? h->leader : "");
	reply_bulk_str(out, "leader_address");
	reply_bulk_str(out, h ? h->leader_addr : "");
	reply_bulk_str(out, "lag");
	reply_bulk_str(out, lag);
}

static void line(struct rbuf *b, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void line(struct rbuf *b, const char *key, const char *fmt, ...)
{
	char v[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	rbuf_append(b, key, strlen(key));
	rbuf_append(b, ":", 1);
	rbuf_append(b, v, strlen(v));
	rbuf_append(b, "\r\n", 2);
}

void ha_info(const struct ha *h, struct rbuf *b)
{
	char pos[48];

	line(b, "role", "%s", ha_role_name(h));
	if (h == NULL)
		return;
	sid_format(h->applied, pos, sizeof pos);
	line(b, "node", "%s", cfg_of(h)->ha_node);
	line(b, "term", "%" PRIu64, h->term);
	line(b, "leader", "%s", h->leader);
	line(b, "leader_address", "%s", h->leader_addr);
	line(b, "applied_id", "%s", h->have_pos ? pos : "");
	line(b, "applied_records", "%" PRIu64, h->records);
	line(b, "lag", "%" PRIu64, lag_of(h));
	line(b, "writable", "%d", ha_writable(h) ? 1 : 0);
	line(b, "ready", "%d", ha_ready(h) ? 1 : 0);
	line(b, "sync", "%s", cfg_of(h)->ha_sync ? "on" : "off");
	line(b, "lease_ms", "%d", cfg_of(h)->ha_lease_ms);
	line(b, "redis_link", "%s", hlink_ready(&h->cmd) ? "up" : "down");
	line(b, "tail_link", "%s", hlink_ready(&h->tail) ? "up" : "down");
	line(b, "batches_shipped", "%" PRIu64, h->shipped);
	line(b, "batches_confirmed", "%" PRIu64, h->confirmed);
	line(b, "batches_applied", "%" PRIu64, h->batches_applied);
	line(b, "snapshots", "%" PRIu64, h->snapshots);
	line(b, "snapshot_in_progress", "%d", h->snap.pid > 0 || h->snap.finish_out ? 1 : 0);
	line(b, "snapshot_failures", "%" PRIu64, h->snap.failures);
	line(b, "snapshot_chunks", "%" PRIu64, h->snap.last_chunks);
	line(b, "snapshot_bytes", "%" PRIu64, h->snap.last_bytes);
	line(b, "snapshot_last_ms", "%lld", (long long)h->snap.last_ms);
	line(b, "snapshot_held_batches", "%" PRIu64, h->snap.held_batches);
	line(b, "snapshot_read_restarts", "%" PRIu64, h->snap.rb_restarts);
	line(b, "rebuilds", "%" PRIu64, h->rebuilds);
	line(b, "takeovers", "%" PRIu64, h->takeovers);
	line(b, "stepdowns", "%" PRIu64, h->stepdowns);
	line(b, "reships", "%" PRIu64, h->reships);
}
