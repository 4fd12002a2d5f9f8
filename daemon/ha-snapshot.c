/*
 * ha-snapshot: the snapshot in Redis that bootstraps a standby and lets the
 * leader trim the stream; taken without stalling the leader, stored and read
 * back in pieces of bounded size.
 *
 *   <prefix>:snapshot             hash: id (the stream entry it covers: a
 *                                 standby follows the stream after it), n
 *                                 (records up to it), name, chunks, bytes
 *   <prefix>:snapshot:<name>:<k>  bytes k*chunk .. (k+1)*chunk of the records
 *                                 (the compaction format; a record may
 *                                 straddle two chunks), k = 0 .. chunks-1
 *
 * Taking it (the leader). The records of a million tickets take the better
 * part of a second to build and some 200 MB: on the loop a stall that every
 * client waits through, and as one value close to Redis's 512 MB bulk limit.
 * So the leader forks, as local compaction does (journal-file.c): the child
 * has a copy of the engine exactly at the last shipped entry, builds the
 * records, SETs them chunk by chunk over a synchronous connection of its own
 * (to the Redis the command link is connected to now), reports the count
 * through a pipe and exits. Building in slices on the loop would need a
 * stable copy of an engine that keeps changing; the fork is that copy. The
 * loop meanwhile ships batches as usual: they follow the covered entry and
 * stay in the stream. The parent polls waitpid() on the child's pid (the
 * compaction child is reaped by its own pid, both may run at once), then
 * sends one small script on the command link, in order with the batches:
 * XADD a marker entry, which Redis refuses once a newer term wrote (the
 * fencing: a leader that lost its term never makes its snapshot current),
 * PERSIST the chunks, point the hash at them, delete the previous snapshot's
 * chunks, XTRIM MINID the covered entry. The chunks of a child that crashed
 * or was abandoned are deleted by the parent, and carry a TTL anyway until
 * they are made current.
 *
 * A reship (Redis may lack batches, so the stream does not lead to the
 * engine) cannot cover an entry of the stream: that snapshot covers its own
 * marker, written at the end, and the batches committed meanwhile are held
 * and shipped after it (under sync: on their replies wait for Redis anyway).
 *
 * A standby reads it chunk by chunk: ha-rebuild.c.
 */
#include "ha_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "journal_file.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

#define CHUNK_DEFAULT (4u << 20)
/* Chunks not made current expire; the child renews the TTL once it wrote the last one. */
#define CHUNK_TTL "600000"
#define POLL_MS   50

/* What the child reports through its pipe when it wrote every chunk. */
struct child_report {
	uint64_t chunks, bytes;
};

/*
 * KEYS: journal, snapshot. ARGV: marker id, the entry before it, records up
 * to it, name, chunks, covered id, records up to that, the chunk keys'
 * prefix, bytes. The XADD comes before any other write: refused (a newer
 * term), nothing changed. Chunks missing (expired): the marker still goes in,
 * as a plain entry, since the leader's next batch follows it.
 */
static const char finish_script[] =
        "local pre = ARGV[8] .. ARGV[4] .. ':'\n"
        "local k = tonumber(ARGV[5])\n"
        "for i = 0, k - 1 do\n"
        "  if redis.call('EXISTS', pre .. i) == 0 then\n"
        "    redis.call('XADD', KEYS[1], ARGV[1], 'p', ARGV[2], 'n', ARGV[3])\n"
        "    return 0\n"
        "  end\n"
        "end\n"
        "redis.call('XADD', KEYS[1], ARGV[1], 'p', ARGV[2], 'n', ARGV[3], 'snapshot', '1')\n"
        "for i = 0, k - 1 do redis.call('PERSIST', pre .. i) end\n"
        "local old = redis.call('HMGET', KEYS[2], 'name', 'chunks')\n"
        "if old[1] and old[2] and old[1] ~= ARGV[4] then\n"
        "  for i = 0, tonumber(old[2]) - 1 do redis.call('DEL', ARGV[8] .. old[1] .. ':' .. i) "
        "end\n"
        "end\n"
        "redis.call('DEL', KEYS[2])\n"
        "redis.call('HSET', KEYS[2], 'id', ARGV[6], 'n', ARGV[7], 'name', ARGV[4], 'chunks', "
        "ARGV[5], 'bytes', ARGV[9])\n"
        "redis.call('XTRIM', KEYS[1], 'MINID', ARGV[6])\n"
        "return 1\n";

/* KEYS: snapshot. ARGV: the chunk keys' prefix for the name, name. Chunks are written in order. */
static const char cleanup_script[] =
        "if redis.call('HGET', KEYS[1], 'name') == ARGV[2] then return -1 end\n"
        "local i = 0\n"
        "while redis.call('DEL', ARGV[1] .. i) == 1 do i = i + 1 end\n"
        "return i\n";

static struct ha *ha_of(const redisAsyncContext *ac)
{
	return ac->data ? ((struct hlink *)ac->data)->h : NULL;
}

static void chunk_prefix(const struct ha *h, char *out, size_t len)
{
	ha_key(h, "snapshot:", out, len);
}

/* ---- the child ---------------------------------------------------------------------------- */

static _Noreturn void child_fail(const char *what, const redisContext *c, const redisReply *r)
{
	log_msg(LOG_ERR, "ha: snapshot process: %s: %s", what,
	        r && r->type == REDIS_REPLY_ERROR ? r->str
	        : c && c->err                     ? c->errstr
	                                          : "no reply");
	_exit(EX_UNAVAILABLE);
}

static void child_command(redisContext *c, int argc, const char **argv, const size_t *lens,
                          const char *what)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		child_fail(what, c, r);
	freeReplyObject(r);
}

/* Where the command link is connected now (Redis's primary, however it was found). */
static redisContext *child_connect(const struct ha *h)
{
	const struct config *cfg = h->srv->cfg;
	const redisContext *lc = &h->cmd.ac->c;
	struct timeval tv = {cfg->redis_connect_timeout_ms / 1000,
	                     (cfg->redis_connect_timeout_ms % 1000) * 1000};
	struct timeval io = {60, 0};
	redisContext *c = lc->connection_type == REDIS_CONN_UNIX
	                          ? redisConnectUnixWithTimeout(lc->unix_sock.path, tv)
	                          : redisConnectWithTimeout(lc->tcp.host, lc->tcp.port, tv);

	if (c == NULL || c->err)
		child_fail("connect", c, NULL);
	redisSetTimeout(c, io);
	if (cfg->redis_password) {
		const char *argv[2] = {"AUTH", cfg->redis_password};
		child_command(c, 2, argv, NULL, "AUTH");
	}
	if (cfg->redis_db) {
		char db[16];
		const char *argv[2] = {"SELECT", db};
		snprintf(db, sizeof db, "%d", cfg->redis_db);
		child_command(c, 2, argv, NULL, "SELECT");
	}
	return c;
}

/* In the child: build the records, SET them in chunks, report. Never returns. */
static _Noreturn void snapshot_child(const struct ha *h, int report_fd, pid_t parent)
{
	char pre[200], key[280];
	struct rbuf snap;
	struct child_report rep = {0, 0};
	redisContext *c;
	size_t off = 0;

	/* An orphaned child must not outlive the daemon and write on. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EX_SOFTWARE);
	prctl(PR_SET_NAME, "repaird-hasnap");
	/* Background work: on a busy machine the leader's loop goes first. */
	(void)setpriority(PRIO_PROCESS, 0, 10);
	rbuf_init(&snap);
	journal_put_snapshot(&snap, h->srv->eng);
	c = child_connect(h);
	chunk_prefix(h, pre, sizeof pre);
	do {
		size_t n = snap.len - off < h->snap.chunk ? snap.len - off : h->snap.chunk;
		const char *argv[5] = {"SET", key, snap.data + off, "PX", CHUNK_TTL};
		size_t lens[5];
		snprintf(key, sizeof key, "%s%" PRIu64 "-%" PRIu64 ":%" PRIu64, pre,
		         h->snap.name.ms, h->snap.name.seq, rep.chunks);
		lens[0] = 3;
		lens[1] = strlen(key);
		lens[2] = n;
		lens[3] = 2;
		lens[4] = strlen(CHUNK_TTL);
		child_command(c, 5, argv, lens, "SET a chunk");
		off += n;
		rep.chunks++;
	} while (off < snap.len);
	/* The first chunks' TTL ran while the others were written: the whole TTL again. */
	for (uint64_t k = 0; k < rep.chunks; k++) {
		snprintf(key, sizeof key, "%s%" PRIu64 "-%" PRIu64 ":%" PRIu64, pre,
		         h->snap.name.ms, h->snap.name.seq, k);
		redisAppendCommand(c, "PEXPIRE %s %s", key, CHUNK_TTL);
	}
	for (uint64_t k = 0; k < rep.chunks; k++) {
		void *r = NULL;
		if (redisGetReply(c, &r) != REDIS_OK)
			child_fail("PEXPIRE", c, NULL);
		freeReplyObject(r);
	}
	rep.bytes = snap.len;
	if (write(report_fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
		_exit(EX_IOERR);
	_exit(EX_OK);
}

/* ---- the leader: taking it, making it current ---------------------------------------------- */

static void on_child_poll(evutil_socket_t fd, short what, void *arg);

void ha_snapshot_init(struct ha *h)
{
	const char *env = getenv("REPAIRD_HA_SNAPSHOT_CHUNK_BYTES");

	h->snap.report_fd = -1;
	h->snap.chunk = CHUNK_DEFAULT;
	/* Internal, for tests (several chunks from a few tickets); not documented. */
	if (env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);
		if (*end == '\0' && v >= 1 && v <= (1u << 30))
			h->snap.chunk = (size_t)v;
	}
	h->snap.poll_ev = evtimer_new(h->srv->base, on_child_poll, h);
	if (h->snap.poll_ev == NULL)
		fatalx("libevent: cannot create the HA snapshot timer");
}

/* Forget the held batches; Redis lacks them: a snapshot must cover them. */
static void drop_held(struct ha *h)
{
	struct ha_snap *s = &h->snap;

	if (s->nhb > 0)
		h->need_reship = true;
	rbuf_free(&s->held);
	rbuf_init(&s->held);
	free(s->hb);
	s->hb = NULL;
	s->nhb = s->hbcap = 0;
}

bool ha_snapshot_holds(const struct ha *h)
{
	const struct ha_snap *s = &h->snap;

	return h->role == HA_LEADER && s->reship && !s->spoiled && (s->pid > 0 || s->finish_out);
}

void ha_snapshot_hold_batch(struct ha *h)
{
	struct ha_snap *s = &h->snap;

	if (s->nhb == s->hbcap) {
		s->hbcap = s->hbcap ? 2 * s->hbcap : 64;
		s->hb = xreallocarray(s->hb, s->hbcap, sizeof *s->hb);
	}
	rbuf_append(&s->held, h->batch.data, h->batch.len);
	s->hb[s->nhb].end = s->held.len;
	s->hb[s->nhb].records = h->records;
	s->hb[s->nhb].batch = h->shipped;
	s->nhb++;
	s->held_batches++;
}

static void on_cleanup(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;

	(void)ac;
	(void)privdata;
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
		log_msg(LOG_INFO, "ha: %lld chunks of an abandoned snapshot deleted",
		        reply->integer);
}

/* Delete the chunks named name (unless a script whose reply was lost made them current). */
static void delete_chunks(struct ha *h, struct sid name)
{
	char ks[160], pre[240], n[48];
	const char *argv[6] = {"EVAL", cleanup_script, "1", ks, pre, n};

	if (!hlink_ready(&h->cmd))
		return; /* their TTL does it */
	ha_key(h, "snapshot", ks, sizeof ks);
	sid_format(name, n, sizeof n);
	chunk_prefix(h, pre, sizeof pre);
	snprintf(pre + strlen(pre), sizeof pre - strlen(pre), "%s:", n);
	redisAsyncCommandArgv(h->cmd.ac, on_cleanup, NULL, 6, argv, NULL);
}

/* Not made current: delete its chunks; a reship's held batches need the next snapshot. */
static void abandon(struct ha *h, bool failed)
{
	struct ha_snap *s = &h->snap;

	if (failed)
		s->failures++;
	delete_chunks(h, s->name);
	if (s->reship)
		h->need_reship = true;
	drop_held(h);
	s->finish_out = false;
	h->snapshot_out = false;
	if (h->role == HA_LEADER) {
		h->snapshot_due = true;
		/* A child that keeps failing (memory, Redis) is not forked again at once. */
		s->retry_at = ha_now_ms() + h->srv->cfg->ha_lease_ms;
	}
}

static void on_held_xadd(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;

	if (h == NULL || reply == NULL || h->role != HA_LEADER)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		ha_shipping_failed(h, reply, "a journal batch");
		return;
	}
	if (h->srv->cfg->ha_wait_replicas == 0)
		ha_confirm(h, (uint64_t)(uintptr_t)privdata);
}

/*
 * After a reship's marker: the batches held meanwhile, one entry each as
 * they would have been shipped (a standby's XREAD of 256 entries stays as
 * big as ever).
 */
static void ship_held(struct ha *h)
{
	struct ha_snap *s = &h->snap;
	char key[160], id[48], prev[48], n[24];
	size_t start = 0;

	ha_key(h, "journal", key, sizeof key);
	for (size_t i = 0; i < s->nhb; i++) {
		const char *argv[9] = {
		        "XADD", key, id, "p", prev, "n", n, "b", s->held.data + start};
		size_t lens[9];
		uint64_t batch = s->hb[i].batch;
		sid_format(h->applied, prev, sizeof prev);
		h->applied = (struct sid){h->term, h->next_seq++};
		sid_format(h->applied, id, sizeof id);
		snprintf(n, sizeof n, "%" PRIu64, s->hb[i].records);
		for (int a = 0; a < 8; a++)
			lens[a] = strlen(argv[a]);
		lens[8] = s->hb[i].end - start;
		redisAsyncCommandArgv(h->cmd.ac, on_held_xadd, (void *)(uintptr_t)batch, 9, argv,
		                      lens);
		if (h->srv->cfg->ha_wait_replicas > 0)
			ha_send_wait(h, batch);
		start = s->hb[i].end;
	}
	s->nhb = 0; /* shipped: drop_held must not ask for a reship */
	drop_held(h);
}

static void on_finish(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;
	struct ha_snap *s;
	char at[48];

	(void)privdata;
	if (h == NULL || reply == NULL || !h->snap.finish_out)
		return;
	s = &h->snap;
	s->finish_out = false;
	if (h->role != HA_LEADER) {
		h->snapshot_out = false;
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		h->snapshot_out = false;
		if (s->reship)
			h->need_reship = true;
		drop_held(h);
		delete_chunks(h, s->name);
		ha_shipping_failed(h, reply, "the snapshot");
		return;
	}
	sid_format(s->pos, at, sizeof at);
	if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
		log_msg(LOG_WARNING,
		        "ha: the snapshot at %s lost chunks before it was made current "
		        "(expired?); taking another",
		        at);
		abandon(h, true);
		return;
	}
	h->snapshots++;
	s->last_chunks = s->chunks;
	s->last_bytes = s->bytes;
	h->snapshot_out = false;
	/* Everything shipped before the fork is in it, whatever became of its XADD. */
	if (h->srv->cfg->ha_wait_replicas == 0)
		ha_confirm(h, s->covers);
	else
		ha_send_wait(h, s->covers);
	if (s->reship)
		ship_held(h);
	log_msg(LOG_INFO,
	        "ha: snapshot at %s stored (%" PRIu64 " records, %" PRIu64 " bytes in %" PRIu64
	        " chunks, %lld ms)",
	        at, s->records, s->bytes, s->chunks, (long long)s->last_ms);
}

static void send_finish(struct ha *h)
{
	struct ha_snap *s = &h->snap;
	char kj[160], ks[160], pre[200], id[48], prev[48], n[24], name[48], chunks[24], pos[48],
	        pos_n[24], bytes[24];
	const char *argv[14] = {"EVAL", finish_script, "2",    kj,  ks,    id,  prev,
	                        n,      name,          chunks, pos, pos_n, pre, bytes};

	ha_key(h, "journal", kj, sizeof kj);
	ha_key(h, "snapshot", ks, sizeof ks);
	chunk_prefix(h, pre, sizeof pre);
	sid_format(h->applied, prev, sizeof prev);
	h->applied = (struct sid){h->term, h->next_seq++};
	sid_format(h->applied, id, sizeof id);
	/* A reship covers its marker; the batches held since are counted after it. */
	if (s->reship)
		s->pos = h->applied;
	snprintf(n, sizeof n, "%" PRIu64, s->reship ? s->records : h->records);
	sid_format(s->name, name, sizeof name);
	snprintf(chunks, sizeof chunks, "%" PRIu64, s->chunks);
	sid_format(s->pos, pos, sizeof pos);
	snprintf(pos_n, sizeof pos_n, "%" PRIu64, s->records);
	snprintf(bytes, sizeof bytes, "%" PRIu64, s->bytes);
	s->finish_out = true;
	redisAsyncCommandArgv(h->cmd.ac, on_finish, NULL, 14, argv, NULL);
}

static bool read_report(struct ha_snap *s)
{
	struct child_report rep;
	ssize_t n;

	do
		n = read(s->report_fd, &rep, sizeof rep);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof rep || rep.chunks == 0)
		return false;
	s->chunks = rep.chunks;
	s->bytes = rep.bytes;
	return true;
}

static void child_gone(struct ha_snap *s)
{
	s->pid = 0;
	if (s->report_fd >= 0)
		close(s->report_fd);
	s->report_fd = -1;
}

static void on_child_poll(evutil_socket_t fd, short what, void *arg)
{
	struct ha *h = arg;
	struct ha_snap *s = &h->snap;
	int status = 0;
	pid_t got;
	bool ok;

	(void)fd;
	(void)what;
	if (s->pid <= 0)
		return;
	got = waitpid(s->pid, &status, WNOHANG);
	if (got == 0) {
		hlink_timer(s->poll_ev, POLL_MS);
		return;
	}
	if (got < 0)
		status = errno;
	ok = got == s->pid && WIFEXITED(status) && WEXITSTATUS(status) == EX_OK && read_report(s);
	child_gone(s);
	s->last_ms = ha_now_ms() - s->started;
	if (!ok) {
		log_msg(LOG_ERR, "ha: the snapshot process failed (%s %d); its chunks are deleted",
		        got < 0             ? "waitpid"
		        : WIFEXITED(status) ? "exit"
		                            : "signal",
		        got < 0             ? status
		        : WIFEXITED(status) ? WEXITSTATUS(status)
		                            : WTERMSIG(status));
		abandon(h, true);
		return;
	}
	/* The stream may lack batches shipped since the fork: this one does not lead anywhere. */
	if (h->role != HA_LEADER || s->spoiled || h->need_reship || !hlink_ready(&h->cmd)) {
		log_msg(LOG_NOTICE, "ha: %s while the snapshot was written; abandoning it",
		        h->role != HA_LEADER ? "no longer the leader"
		        : h->need_reship     ? "Redis lost batches"
		                             : "the Redis link failed");
		abandon(h, false);
		return;
	}
	send_finish(h);
}

void ha_ship_snapshot(struct ha *h)
{
	struct ha_snap *s = &h->snap;
	int64_t t0 = ha_now_ms();
	pid_t parent = getpid(), pid;
	int fds[2];
	char at[48];

	if (s->pid > 0 || h->snapshot_out || t0 < s->retry_at || !hlink_ready(&h->cmd))
		return;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_msg(LOG_ERR, "ha: snapshot: pipe: %s", strerror(errno));
		s->retry_at = t0 + h->srv->cfg->ha_lease_ms;
		return;
	}
	s->reship = h->need_reship;
	s->name = (struct sid){h->term, h->next_seq++};
	s->pos = h->applied;
	s->records = h->records;
	s->covers = h->shipped;
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "ha: snapshot: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		s->retry_at = t0 + h->srv->cfg->ha_lease_ms;
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		snapshot_child(h, fds[1], parent);
	}
	close(fds[1]);
	s->pid = pid;
	s->report_fd = fds[0];
	s->spoiled = false;
	s->started = t0;
	h->snapshot_out = true;
	h->snapshot_due = false;
	h->need_reship = false;
	h->since_snapshot = 0;
	hlink_timer(s->poll_ev, POLL_MS);
	sid_format(s->pos, at, sizeof at);
	log_msg(LOG_INFO,
	        "ha: snapshot process %d started%s at %s (%" PRIu64 " records; fork took %lld ms)",
	        (int)pid, s->reship ? " for a reship" : "", s->reship ? "its marker" : at,
	        s->records, (long long)(ha_now_ms() - t0));
}

void ha_snapshot_link_down(struct ha *h)
{
	struct ha_snap *s = &h->snap;
	bool busy = s->pid > 0 || s->finish_out;

	if (s->pid > 0)
		s->spoiled = true;
	if (s->finish_out) {
		/*
		 * Whether Redis ran it is unknown: its chunks expire unless it did,
		 * and the next batch may follow a marker Redis never got.
		 */
		s->finish_out = false;
		h->snapshot_out = false;
		h->need_reship = true;
	}
	/* A reship in progress covered batches Redis lacks: the next one must. */
	if (busy && s->reship && h->role == HA_LEADER)
		h->need_reship = true;
	drop_held(h);
}

void ha_snapshot_stop(struct ha *h)
{
	struct ha_snap *s = &h->snap;
	bool busy = h->snapshot_out; /* a child runs, or the script is out */

	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		child_gone(s);
	}
	/* After a script still out: it runs first, and is refused if we lost the term. */
	if (busy && !h->stopping)
		delete_chunks(h, s->name);
	if (s->poll_ev)
		evtimer_del(s->poll_ev);
	s->finish_out = false;
	h->snapshot_out = false;
	s->nhb = 0; /* stepping down: replies waiting for them are dropped, not reshipped */
	drop_held(h);
}

void ha_snapshot_free(struct ha *h)
{
	ha_snapshot_stop(h);
	ha_rebuild_abort(h);
	if (h->snap.poll_ev)
		event_free(h->snap.poll_ev);
	h->snap.poll_ev = NULL;
}
