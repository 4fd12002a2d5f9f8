/*
 * Integration: high availability through Redis (issue 18). One real
 * redis-server (no persistence: a restart is an empty Redis) and two repaird
 * nodes on loopback with ha: {lease_ms: 600, sync: on}. The leader killed
 * under write load, frozen past its lease, restarted; Redis restarted
 * empty; a standby that joins after the stream was trimmed.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_run.h"
#include "harness.h"

#define LEASE_MS 600

static struct daemon na, nb;
static struct redis_server rs; /* no persistence: a restart is an empty Redis */

/* ---- redis-server -------------------------------------------------------------------- */

/* Again on the same port and directory, empty; false when the port was taken meanwhile. */
static bool redis_try_start(void)
{
	return harness_redis_spawn(&rs, NULL);
}

static void redis_kill9(void)
{
	harness_redis_kill(&rs);
}

static redisContext *redis_connect(void)
{
	redisContext *c = redisConnect("127.0.0.1", rs.port);

	ck_assert_msg(c && !c->err, "cannot connect to redis");
	return c;
}

static void setup(void)
{
	harness_redis_start(&rs, NULL);
}

static void teardown(void)
{
	if (na.pid > 0)
		kill(na.pid, SIGCONT);
	daemon_cleanup(&na);
	daemon_cleanup(&nb);
	harness_redis_stop(&rs);
}

/* ---- nodes -------------------------------------------------------------------------------- */

static void node_prepare(struct daemon *d, const char *name, const char *sync)
{
	char yaml[512];

	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: ht, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: %s, lease_ms: %d, sync: %s}\n",
	         rs.port, name, LEASE_MS, sync);
	daemon_prepare(d, yaml);
}

static void node_start(struct daemon *d, const char *name, const char *sync)
{
	node_prepare(d, name, sync);
	ck_assert_msg(daemon_spawn(d, NULL) == 0, "node %s did not start:\n%s", name,
	              daemon_log(d));
}

/* In the daemon's child before exec: snapshot chunks of this many bytes (an internal knob). */
static void set_chunk_bytes(void *arg)
{
	setenv("REPAIRD_HA_SNAPSHOT_CHUNK_BYTES", arg, 1);
}

static void node_start_chunks(struct daemon *d, const char *name, const char *chunk_bytes)
{
	node_prepare(d, name, "on");
	ck_assert_msg(daemon_spawn_with(d, NULL, set_chunk_bytes, (void *)chunk_bytes) == 0,
	              "node %s did not start:\n%s", name, daemon_log(d));
}

/* A field of ROLE, or "" when the node does not answer (static buffer per field). */
static const char *role_field(const struct daemon *d, const char *name)
{
	static char out[4][128];
	static int slot;
	redisContext *c = redisConnect("127.0.0.1", d->port);
	char *buf = out[slot++ % 4];

	buf[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "ROLE");
		const char *v = r ? field(r, name) : NULL;
		snprintf(buf, 128, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return buf;
}

static bool is_role(const struct daemon *d, const char *role)
{
	return strcmp(role_field(d, "role"), role) == 0;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TICKET.OPEN with this serial; the reply (the caller frees it), or NULL when no answer. */
static redisReply *open_ticket(redisContext *c, const char *serial)
{
	const char *argv[] = {"TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                      "SERIAL",      serial,   "SERVICE",     "repair"};

	return redisCommandArgv(c, 9, argv, NULL);
}

static bool opened(redisContext *c, const char *serial)
{
	redisReply *r = open_ticket(c, serial);
	bool ok = r && r->type == REDIS_REPLY_ARRAY;

	freeReplyObject(r);
	return ok;
}

/* The serial of ticket id on the node, or "" (static buffer). */
static const char *serial_of(const struct daemon *d, const char *id)
{
	static char out[64];
	redisContext *c = redisConnect("127.0.0.1", d->port);

	out[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "TICKET.GET %s", id);
		const char *v = r && r->type == REDIS_REPLY_ARRAY ? field(r, "serial") : NULL;
		snprintf(out, sizeof out, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return out;
}

/* A line of INFO as a number (-1 when absent). */
static long long info_num(const struct daemon *d, const char *section, const char *key)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	long long v = -1;
	char want[64];

	snprintf(want, sizeof want, "\r\n%s:", key);
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "INFO %s", section);
		const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, want) : NULL;
		if (at)
			v = atoll(at + strlen(want));
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return v;
}

/*
 * A writer in a child process: TICKET.OPEN with serials WR<n> as fast as the
 * leader answers, each acknowledged "id serial" appended to path, until the
 * leader stops answering.
 */
static pid_t writer_start(const struct daemon *d, const char *path)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		redisContext *c = redisConnect("127.0.0.1", d->port);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; c && !c->err && fd >= 0 && i < 200000; i++) {
			char serial[32], line[96];
			redisReply *r;
			const char *id;
			int n;
			snprintf(serial, sizeof serial, "WR%06d", i);
			r = open_ticket(c, serial);
			if (r == NULL || r->type != REDIS_REPLY_ARRAY)
				_exit(0);
			id = field(r, "id");
			n = snprintf(line, sizeof line, "%s %s\n", id ? id : "?", serial);
			if (write(fd, line, (size_t)n) != n)
				_exit(1);
			freeReplyObject(r);
		}
		_exit(0);
	}
	return pid;
}

/* Every acknowledged write in path is on d with its serial; how many there were. */
static int check_acknowledged(const struct daemon *d, const char *path)
{
	char *text = harness_slurp(path);
	char *save = NULL;
	int n = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[32], serial[32];
		ck_assert_int_eq(sscanf(line, "%31s %31s", id, serial), 2);
		ck_assert_msg(strcmp(serial_of(d, id), serial) == 0,
		              "acknowledged ticket %s (%s) is not on the new leader (%s)", id,
		              serial, serial_of(d, id));
		n++;
	}
	free(text);
	return n;
}

/* The ticket.opened events of the centre's stream: each seq once, increasing; how many. */
static long long events_once(void)
{
	redisContext *c = redis_connect();
	redisReply *r = redisCommand(c, "XRANGE ht:events:DE-PSC-TEST - +");
	unsigned long long prev = 0;
	long long n = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	for (size_t i = 0; i < r->elements; i++) {
		const char *seq = field(r->element[i]->element[1], "seq");
		unsigned long long s;
		ck_assert_ptr_nonnull(seq);
		s = strtoull(seq, NULL, 10);
		ck_assert_msg(s > prev, "event seq %llu after %llu: not exactly once", s, prev);
		prev = s;
		n++;
	}
	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* ---- tests -------------------------------------------------------------------------------- */

/*
 * kill -9 of the leader under write load (sync: on): the standby leads
 * within lease_ms + 2 s, every acknowledged write is there, each event is
 * in the stream once. Then the old leader comes back: a standby that
 * catches up and answers writes with READONLY naming the new leader.
 */
START_TEST(test_leader_killed_under_load_then_rejoins)
{
	char acks[256], want[160];
	long long killed, took;
	int acked;
	redisContext *c;
	redisReply *r;
	pid_t writer;

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	ck_assert_str_eq(role_field(&na, "role"), "leader");
	node_start(&nb, "node-b", "on");
	ck_assert_str_eq(role_field(&nb, "role"), "standby");
	WAIT_UNTIL(strcmp(role_field(&nb, "leader"), "node-a") == 0, 3000);
	ck_assert_str_eq(role_field(&nb, "leader"), "node-a");

	snprintf(acks, sizeof acks, "%s/acks", na.dir);
	writer = writer_start(&na, acks);
	WAIT_UNTIL(strlen(harness_file(acks)) > 2000, 10000);
	daemon_kill9(&na);
	killed = ms_now();
	waitpid(writer, NULL, 0);

	c = redisConnect("127.0.0.1", nb.port);
	ck_assert_ptr_nonnull(c);
	WAIT_UNTIL(opened(c, "AFTER00001"), LEASE_MS + 4000);
	took = ms_now() - killed;
	printf("failover: kill -9 to the first write accepted by the new leader: %lld ms\n", took);
	ck_assert_msg(took <= LEASE_MS + 2000, "failover took %lld ms", took);
	ck_assert_str_eq(role_field(&nb, "role"), "leader");
	acked = check_acknowledged(&nb, acks);
	ck_assert_int_gt(acked, 10);

	/* Events: the new leader delivers what the old one had not; none twice. */
	WAIT_UNTIL(info_num(&nb, "events", "outbox_depth") == 0, 5000);
	ck_assert_int_eq(events_once(), info_num(&nb, "tickets", "tickets_total"));

	/* The old leader returns: a standby holding exactly the leader's data. */
	ck_assert_msg(daemon_spawn(&na, NULL) == 0, "node-a did not restart:\n%s", daemon_log(&na));
	WAIT_UNTIL(strcmp(role_field(&na, "leader"), "node-b") == 0, 3000);
	ck_assert_str_eq(role_field(&na, "role"), "standby");
	ck_assert(opened(c, "AFTER00002"));
	WAIT_UNTIL(info_num(&na, "tickets", "tickets_total") ==
	                   info_num(&nb, "tickets", "tickets_total"),
	           3000);
	ck_assert_int_eq(info_num(&na, "tickets", "tickets_total"),
	                 info_num(&nb, "tickets", "tickets_total"));
	ck_assert_int_eq(check_acknowledged(&na, acks), acked);
	redisFree(c);
	c = redisConnect("127.0.0.1", na.port);
	r = open_ticket(c, "REFUSED0001");
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	snprintf(want, sizeof want,
	         "READONLY this node is a standby; the leader is node-b at "
	         "127.0.0.1:%d",
	         nb.port);
	ck_assert_str_eq(r->str, want);
	freeReplyObject(r);
	redisFree(c);

	/*
	 * repairctl with the group: a dead address is skipped, the standby's
	 * READONLY followed to the leader.
	 */
	{
		char hosts[128];
		struct out *o;
		ctl_run_begin(&na);
		snprintf(hosts, sizeof hosts, "127.0.0.1:%d,127.0.0.1:%d", harness_free_port(),
		         na.port);
		o = ctl_raw(NULL, "-H", hosts, "ticket", "open", "--centre", "DE-PSC-TEST",
		            "--product", "EOS R5", "--serial", "CTL00001", "--service", "repair",
		            NULL);
		expect_exit(o, 0);
		expect_in(o->err, "is a standby; sending it to the leader at");
		expect_in(o->out, "ticket");
		snprintf(hosts, sizeof hosts, "127.0.0.1:%d", na.port);
		o = ctl_raw(NULL, "-H", hosts, "member", "set", "151335488", "--tier", "gold",
		            "--country", "DE", NULL);
		expect_exit(o, 0);
		expect_in(o->err, "is a standby; sending it to the leader at");
		expect_in(o->out, "gold");
		ctl_run_end();
	}
	WAIT_UNTIL(info_num(&na, "tickets", "tickets_total") ==
	                   info_num(&nb, "tickets", "tickets_total"),
	           3000);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"),
	                 info_num(&na, "tickets", "tickets_total"));
}
END_TEST

/*
 * A leader frozen past its lease (SIGSTOP), then thawed: a write that waited
 * in its socket meanwhile is never acknowledged, and it steps down.
 */
START_TEST(test_frozen_leader_acknowledges_nothing_after_the_fence)
{
	redisContext *ca, *cb;
	redisReply *r;
	const char *argv[] = {"TICKET.OPEN", "CENTRE",   "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                      "SERIAL",      "FROZEN01", "SERVICE",     "repair"};

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	node_start(&nb, "node-b", "on");
	ca = redisConnect("127.0.0.1", na.port);
	ck_assert(opened(ca, "BEFORE01"));
	kill(na.pid, SIGSTOP);
	WAIT_UNTIL(is_role(&nb, "leader"), LEASE_MS + 3000);
	ck_assert_str_eq(role_field(&nb, "role"), "leader");
	cb = redisConnect("127.0.0.1", nb.port);
	ck_assert(opened(cb, "NEWLEAD1"));
	/* Sent while frozen: it waits in the socket until the thaw. */
	ck_assert_int_eq(redisAppendCommandArgv(ca, 9, argv, NULL), REDIS_OK);
	kill(na.pid, SIGCONT);
	if (redisGetReply(ca, (void **)&r) == REDIS_OK) {
		ck_assert_msg(r->type == REDIS_REPLY_ERROR && strncmp(r->str, "READONLY", 8) == 0,
		              "the frozen leader answered a write: %s",
		              r->type == REDIS_REPLY_ERROR ? r->str : "a ticket");
		freeReplyObject(r);
	}
	WAIT_UNTIL(is_role(&na, "standby"), 3000);
	ck_assert_str_eq(role_field(&na, "role"), "standby");
	ck_assert(daemon_log_wait(&na, "stepping down", 1000));
	/* Both hold the new leader's data, and nothing of the write it refused. */
	WAIT_UNTIL(info_num(&na, "tickets", "tickets_total") == 2, 3000);
	ck_assert_int_eq(info_num(&na, "tickets", "tickets_total"), 2);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 2);
	ck_assert_str_eq(serial_of(&na, "2"), "NEWLEAD1");
	redisFree(ca);
	redisFree(cb);
}
END_TEST

/*
 * sync: off, and a newer term fences the leader (here a takeover written by
 * the test, as a node that is gone again would leave it): the change the
 * leader had acknowledged but not got into the stream is discarded when it
 * rebuilds, and ticket ids stay the same on every node.
 */
START_TEST(test_sync_off_unshipped_change_is_discarded)
{
	static const char fence[] =
	        "local t = redis.call('INCR', KEYS[2]) + 1\n"
	        "redis.call('SET', KEYS[2], t)\n"
	        "local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
	        "local n = '0'\n"
	        "for i = 1, #top[1][2], 2 do if top[1][2][i] == 'n' then n = top[1][2][i + 1] end "
	        "end\n"
	        "redis.call('XADD', KEYS[3], t .. '-0', 'p', top[1][1], 'n', n, 'fence', "
	        "'node-x')\n"
	        "redis.call('SET', KEYS[1], 'node-x ' .. t .. ' 127.0.0.1:1', 'PX', 1500)\n"
	        "return t\n";
	redisContext *c, *rc;
	redisReply *r;
	int leader_port;

	node_start(&na, "node-a", "off");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	node_start(&nb, "node-b", "off");
	c = redisConnect("127.0.0.1", na.port);
	ck_assert(opened(c, "SHIPPED1"));
	/* Quiet first: the event delivered and its record shipped (else that XADD meets the fence).
	 */
	WAIT_UNTIL(info_num(&na, "events", "outbox_depth") == 0 &&
	                   info_num(&nb, "replication", "applied_records") ==
	                           info_num(&na, "replication", "applied_records"),
	           3000);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 1);
	rc = redis_connect();
	r = redisCommand(rc, "EVAL %s 3 ht:leader ht:term ht:journal", fence);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	freeReplyObject(r);
	/*
	 * Its lease still runs on its own clock (its next renewal is up to
	 * lease_ms/3 away): sync: off acknowledges at once.
	 */
	r = open_ticket(c, "LOCAL001");
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "LOCAL001 refused: %s",
	              r->type == REDIS_REPLY_ERROR ? r->str : "?");
	ck_assert_str_eq(field(r, "id"), "2");
	freeReplyObject(r);
	redisFree(c);
	WAIT_UNTIL(is_role(&na, "standby") && info_num(&na, "tickets", "tickets_total") == 1, 3000);
	ck_assert_str_eq(role_field(&na, "role"), "standby");
	ck_assert_int_eq(info_num(&na, "tickets", "tickets_total"), 1);
	/* node-x never comes back: one of them leads again and hands out id 2. */
	WAIT_UNTIL(is_role(&na, "leader") || is_role(&nb, "leader"), 4000);
	leader_port = is_role(&na, "leader") ? na.port : nb.port;
	c = redisConnect("127.0.0.1", leader_port);
	ck_assert(opened(c, "SECOND02"));
	redisFree(c);
	WAIT_UNTIL(strcmp(serial_of(&na, "2"), "SECOND02") == 0 &&
	                   strcmp(serial_of(&nb, "2"), "SECOND02") == 0,
	           3000);
	ck_assert_str_eq(serial_of(&na, "2"), "SECOND02");
	ck_assert_str_eq(serial_of(&nb, "2"), "SECOND02");
	redisFree(rc);
}
END_TEST

/* Redis restarted empty: the leader stores a fresh snapshot, the standby catches up. */
START_TEST(test_redis_restarted_empty)
{
	redisContext *c, *rc;
	redisReply *r;
	int leader_port;

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	node_start(&nb, "node-b", "on");
	c = redisConnect("127.0.0.1", na.port);
	for (int i = 0; i < 5; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "EARLY%03d", i);
		ck_assert(opened(c, serial));
	}
	redisFree(c);
	WAIT_UNTIL(info_num(&nb, "tickets", "tickets_total") == 5, 3000);
	redis_kill9();
	ck_assert(redis_try_start());
	/* One of them leads again (the old leader normally: it retakes its lease). */
	WAIT_UNTIL(is_role(&na, "leader") || is_role(&nb, "leader"), 5000);
	leader_port = is_role(&na, "leader") ? na.port : nb.port;
	c = redisConnect("127.0.0.1", leader_port);
	WAIT_UNTIL(opened(c, "LATE0001"), 5000);
	redisFree(c);
	WAIT_UNTIL(info_num(&na, "tickets", "tickets_total") == 6 &&
	                   info_num(&nb, "tickets", "tickets_total") == 6,
	           5000);
	ck_assert_int_eq(info_num(&na, "tickets", "tickets_total"), 6);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 6);
	ck_assert_str_eq(serial_of(&na, "3"), "EARLY002");
	ck_assert_str_eq(serial_of(&nb, "6"), "LATE0001");
	/* Redis holds the state again: a snapshot. */
	rc = redis_connect();
	r = redisCommand(rc, "HEXISTS ht:snapshot chunks");
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	redisFree(rc);
}
END_TEST

/*
 * Redis restarted empty while the leader is dead too: the standby is all
 * there is. It takes over with what it had applied and stores it in Redis.
 */
START_TEST(test_leader_and_redis_lost_together)
{
	redisContext *c, *rc;
	redisReply *r;

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	node_start(&nb, "node-b", "on");
	c = redisConnect("127.0.0.1", na.port);
	for (int i = 0; i < 3; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "KEPT%04d", i);
		ck_assert(opened(c, serial));
	}
	redisFree(c);
	WAIT_UNTIL(info_num(&nb, "tickets", "tickets_total") == 3, 3000);
	daemon_kill9(&na);
	redis_kill9();
	ck_assert(redis_try_start());
	WAIT_UNTIL(is_role(&nb, "leader"), LEASE_MS + 4000);
	ck_assert_str_eq(role_field(&nb, "role"), "leader");
	c = redisConnect("127.0.0.1", nb.port);
	ck_assert(opened(c, "NEWER001"));
	redisFree(c);
	ck_assert_str_eq(serial_of(&nb, "3"), "KEPT0002");
	ck_assert_str_eq(serial_of(&nb, "4"), "NEWER001");
	rc = redis_connect();
	WAIT_UNTIL((r = redisCommand(rc, "EXISTS ht:snapshot")) &&
	                   (r->integer == 1 || (freeReplyObject(r), 0)),
	           3000);
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	redisFree(rc);
}
END_TEST

/* ---- snapshots --------------------------------------------------------------------------------
 */

/* TICKET.OPEN n times, pipelined; every one must succeed. */
static void open_many(redisContext *c, const char *prefix, int n)
{
	for (int done = 0; done < n;) {
		int batch = n - done < 1000 ? n - done : 1000;
		for (int i = 0; i < batch; i++) {
			char serial[32];
			const char *argv[] = {"TICKET.OPEN", "CENTRE",  "DE-PSC-TEST",
			                      "PRODUCT",     "EOS R5",  "SERIAL",
			                      serial,        "SERVICE", "repair"};
			snprintf(serial, sizeof serial, "%s%07d", prefix, done + i);
			ck_assert_int_eq(redisAppendCommandArgv(c, 9, argv, NULL), REDIS_OK);
		}
		for (int i = 0; i < batch; i++) {
			redisReply *r = NULL;
			ck_assert_int_eq(redisGetReply(c, (void **)&r), REDIS_OK);
			ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN refused: %s",
			              r->type == REDIS_REPLY_ERROR ? r->str : "?");
			freeReplyObject(r);
		}
		done += batch;
	}
}

/* A field of the snapshot's hash in Redis, or "" (static buffer per call slot). */
static const char *snapshot_field(redisContext *rc, const char *name)
{
	static char out[4][64];
	static int slot;
	char *buf = out[slot++ % 4];
	redisReply *r = redisCommand(rc, "HGET ht:snapshot %s", name);

	snprintf(buf, 64, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return buf;
}

static long long redis_num(redisContext *rc, const char *command, const char *arg)
{
	redisReply *r = redisCommand(rc, "%s %s", command, arg);
	long long v;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* Keys of Redis matching pattern. */
static long long keys_matching(redisContext *rc, const char *pattern)
{
	redisReply *r = redisCommand(rc, "KEYS %s", pattern);
	long long n;

	ck_assert_ptr_nonnull(r);
	n = (long long)r->elements;
	freeReplyObject(r);
	return n;
}

/* Wait for the leader's next snapshot to be made current (JOURNAL.COMPACT asks for one). */
static void compact_and_wait(const struct daemon *d)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	long long before;
	redisReply *r;

	WAIT_UNTIL(info_num(d, "replication", "snapshot_in_progress") == 0, 10000);
	before = info_num(d, "replication", "snapshots");
	r = redisCommand(c, "JOURNAL.COMPACT");
	ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	WAIT_UNTIL(info_num(d, "replication", "snapshots") > before, 20000);
	ck_assert_int_gt(info_num(d, "replication", "snapshots"), before);
	redisFree(c);
}

/*
 * JOURNAL.COMPACT stores a snapshot in several chunks and trims the stream
 * at the entry it covers; a new standby starts from it.
 */
START_TEST(test_standby_bootstraps_from_snapshot_after_trim)
{
	redisContext *c, *rc;
	redisReply *r;
	char name[64], key[128];
	long long chunks;

	node_start_chunks(&na, "node-a", "512");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	for (int i = 0; i < 20; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "TRIM%04d", i);
		ck_assert(opened(c, serial));
	}
	compact_and_wait(&na);
	ck_assert(opened(c, "AFTERSNAP"));
	rc = redis_connect();
	chunks = atoll(snapshot_field(rc, "chunks"));
	ck_assert_int_ge(chunks, 3);
	ck_assert_int_eq(info_num(&na, "replication", "snapshot_chunks"), chunks);
	/* Trimmed: the stream starts at the entry the snapshot covers. */
	r = redisCommand(rc, "XRANGE ht:journal - + COUNT 1");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[0]->str, snapshot_field(rc, "id"));
	freeReplyObject(r);
	ck_assert_int_lt(redis_num(rc, "XLEN", "ht:journal"), 10);
	/* Its chunks, kept for good; the first snapshot's (at the fence) deleted. */
	snprintf(name, sizeof name, "%s", snapshot_field(rc, "name"));
	ck_assert_int_eq(keys_matching(rc, "ht:snapshot:*"), chunks);
	snprintf(key, sizeof key, "ht:snapshot:%s:0", name);
	ck_assert_int_eq(redis_num(rc, "PTTL", key), -1);
	snprintf(key, sizeof key, "ht:snapshot:%s:%lld", name, chunks - 1);
	ck_assert_int_eq(redis_num(rc, "PTTL", key), -1);
	redisFree(rc);

	node_start(&nb, "node-b", "on");
	ck_assert_str_eq(role_field(&nb, "role"), "standby");
	WAIT_UNTIL(info_num(&nb, "tickets", "tickets_total") == 21, 3000);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 21);
	ck_assert_str_eq(serial_of(&nb, "7"), "TRIM0006");
	ck_assert_str_eq(serial_of(&nb, "21"), "AFTERSNAP");
	ck_assert_int_eq(info_num(&nb, "replication", "rebuilds"), 1);
	ck_assert_int_eq(info_num(&nb, "replication", "lag"), 0);
	redisFree(c);

	/* A leader that stops (SIGTERM) lets its lease go: the standby need not wait it out. */
	ck_assert_int_eq(daemon_stop(&na), 0);
	ck_assert(daemon_log_wait(&na, "lease of term 1 released", 1000));
	WAIT_UNTIL(is_role(&nb, "leader"), LEASE_MS + 2000);
	ck_assert_str_eq(role_field(&nb, "role"), "leader");
}
END_TEST

/*
 * A standby reading the snapshot chunk by chunk (frozen in the middle) while
 * the leader replaces it: it starts over with the new one and ends with the
 * leader's data.
 */
START_TEST(test_snapshot_replaced_mid_read_starts_over)
{
	redisContext *c, *rc;
	char first[64];

	node_start_chunks(&na, "node-a", "16");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "MID", 600);
	compact_and_wait(&na);
	rc = redis_connect();
	snprintf(first, sizeof first, "%s", snapshot_field(rc, "name"));
	ck_assert_int_gt(atoll(snapshot_field(rc, "chunks")), 1000);

	node_prepare(&nb, "node-b", "on");
	daemon_exec(&nb, NULL, NULL, NULL);
	ck_assert_msg(daemon_log_wait(&nb, "ha: reading the snapshot at", 5000),
	              "node-b did not read the snapshot:\n%s", daemon_log(&nb));
	kill(nb.pid, SIGSTOP);
	ck_assert(opened(c, "MIDNEW01"));
	compact_and_wait(&na);
	ck_assert_str_ne(snapshot_field(rc, "name"), first);
	kill(nb.pid, SIGCONT);
	ck_assert_int_eq(daemon_wait_ready(&nb), 0);
	ck_assert_msg(daemon_log_wait(&nb, "was replaced while it was read", 5000),
	              "node-b did not start over:\n%s", daemon_log(&nb));
	WAIT_UNTIL(info_num(&nb, "tickets", "tickets_total") == 601, 10000);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 601);
	ck_assert_int_ge(info_num(&nb, "replication", "snapshot_read_restarts"), 1);
	ck_assert_str_eq(serial_of(&nb, "600"), "MID0000599");
	ck_assert_str_eq(serial_of(&nb, "601"), "MIDNEW01");
	ck_assert_int_eq(info_num(&nb, "replication", "lag"), 0);
	redisFree(rc);
	redisFree(c);
}
END_TEST

static long long usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * 50k tickets: the snapshot is written by a child process (small chunks make
 * it take a while) and the leader answers PING promptly all along.
 */
START_TEST(test_leader_answers_while_snapshot_is_taken)
{
	redisContext *c, *p;
	redisReply *r;
	long long worst = 0, pings = 0, end;

	node_start_chunks(&na, "node-a", "2048");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "BIG", 50000);
	WAIT_UNTIL(info_num(&na, "replication", "snapshot_in_progress") == 0, 10000);
	p = redisConnect("127.0.0.1", na.port);
	r = redisCommand(c, "JOURNAL.COMPACT");
	ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	ck_assert(daemon_log_wait(&na, "records; fork took", 2000));
	end = usec_now() + 30 * 1000000LL;
	while (info_num(&na, "replication", "snapshot_in_progress") == 1 && usec_now() < end) {
		for (int i = 0; i < 20; i++) {
			long long t0 = usec_now(), took;
			r = redisCommand(p, "PING");
			took = usec_now() - t0;
			ck_assert_ptr_nonnull(r);
			ck_assert_str_eq(r->str, "PONG");
			freeReplyObject(r);
			worst = took > worst ? took : worst;
			pings++;
		}
	}
	printf("snapshot of 50000 tickets in %lld chunks (%lld bytes, %lld ms in the child): "
	       "%lld PINGs meanwhile, the slowest %lld us\n",
	       info_num(&na, "replication", "snapshot_chunks"),
	       info_num(&na, "replication", "snapshot_bytes"),
	       info_num(&na, "replication", "snapshot_last_ms"), pings, worst);
	ck_assert_int_ge(info_num(&na, "replication", "snapshots"), 2);
	ck_assert_int_gt(info_num(&na, "replication", "snapshot_chunks"), 1000);
	ck_assert_int_ge(pings, 100);
	ck_assert_msg(worst < 250000, "a PING waited %lld us during the snapshot", worst);
	redisFree(p);
	redisFree(c);
}
END_TEST

/* The pid of node's snapshot child ("repaird-hasnap"), or 0. */
static pid_t snapshot_child_of(pid_t parent)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	ck_assert_ptr_nonnull(dir);
	while (found == 0 && (de = readdir(dir)) != NULL) {
		char path[300], stat[256];
		FILE *f;
		int ppid = 0;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(stat, sizeof stat, f) && strstr(stat, "(repaird-hasnap)") &&
		    sscanf(strchr(stat, ')') + 1, " %*c %d", &ppid) == 1 && ppid == parent)
			found = atoi(de->d_name);
		fclose(f);
	}
	closedir(dir);
	return found;
}

/*
 * The snapshot child killed halfway: what it wrote never becomes current, is
 * deleted, and the next snapshot goes through.
 */
START_TEST(test_crashed_snapshot_child_is_cleaned)
{
	redisContext *c, *rc;
	redisReply *r;
	char current[64], crashed[64] = "", key[128];
	pid_t child = 0;

	node_start_chunks(&na, "node-a", "16");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "CRASH", 1500);
	compact_and_wait(&na);
	rc = redis_connect();
	snprintf(current, sizeof current, "%s", snapshot_field(rc, "name"));
	ck_assert(opened(c, "CRASHNEW"));
	r = redisCommand(c, "JOURNAL.COMPACT");
	freeReplyObject(r);
	WAIT_UNTIL((child = snapshot_child_of(na.pid)) != 0, 5000);
	ck_assert_int_ne(child, 0);
	/* Its first chunks are in Redis, with a TTL: the name is the one that is not current. */
	while (crashed[0] == '\0' && (r = redisCommand(rc, "KEYS ht:snapshot:*:0")) != NULL) {
		for (size_t i = 0; i < r->elements; i++)
			if (strstr(r->element[i]->str, current) == NULL)
				sscanf(r->element[i]->str, "ht:snapshot:%63[^:]", crashed);
		freeReplyObject(r);
	}
	snprintf(key, sizeof key, "ht:snapshot:%s:0", crashed);
	ck_assert_int_gt(redis_num(rc, "PTTL", key), 0);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	WAIT_UNTIL(info_num(&na, "replication", "snapshot_failures") == 1, 3000);
	ck_assert_int_eq(info_num(&na, "replication", "snapshot_failures"), 1);
	ck_assert(daemon_log_wait(&na, "the snapshot process failed (signal 9)", 1000));
	ck_assert_str_eq(snapshot_field(rc, "name"), current);
	WAIT_UNTIL(redis_num(rc, "EXISTS", key) == 0, 3000);
	snprintf(key, sizeof key, "ht:snapshot:%s:*", crashed);
	ck_assert_int_eq(keys_matching(rc, key), 0);
	/* It tries again (a lease later) and that one becomes current. */
	WAIT_UNTIL(strcmp(snapshot_field(rc, "name"), current) != 0, 20000);
	ck_assert_str_ne(snapshot_field(rc, "name"), current);
	ck_assert_str_ne(snapshot_field(rc, "name"), crashed);
	node_start(&nb, "node-b", "on");
	WAIT_UNTIL(info_num(&nb, "tickets", "tickets_total") == 1501, 10000);
	ck_assert_int_eq(info_num(&nb, "tickets", "tickets_total"), 1501);
	ck_assert_str_eq(serial_of(&nb, "1501"), "CRASHNEW");
	redisFree(rc);
	redisFree(c);
}
END_TEST

/* wait_replicas: 1: a reply waits until a Redis replica holds the batch (WAIT). */
START_TEST(test_wait_replicas_holds_replies)
{
	char master[16], yaml[512];
	const char *const replica_args[] = {"--replicaof", "127.0.0.1", master, NULL};
	struct redis_server replica;
	struct timeval tv = {1, 500000};
	redisContext *c, *rc;
	redisReply *r;

	snprintf(master, sizeof master, "%d", rs.port);
	harness_redis_start(&replica, replica_args);
	rc = redis_connect();
	WAIT_UNTIL(
	        (r = redisCommand(rc, "INFO replication")) &&
	                (strstr(r->str, "connected_slaves:1") != NULL || (freeReplyObject(r), 0)),
	        10000);
	ck_assert_ptr_nonnull(strstr(r->str, "connected_slaves:1"));
	freeReplyObject(r);
	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: ht, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000}\n"
	         "ha: {node: node-a, lease_ms: %d, sync: on, wait_replicas: 1}\n",
	         rs.port, LEASE_MS);
	daemon_prepare(&na, yaml);
	ck_assert_int_eq(daemon_spawn(&na, NULL), 0);
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	ck_assert(opened(c, "REPLICA1"));
	/* The replica gone: the change is made and journaled, its reply held. */
	harness_redis_stop(&replica);
	redisSetTimeout(c, tv);
	r = open_ticket(c, "REPLICA2");
	ck_assert_msg(r == NULL, "answered without a replica: %s",
	              r && r->type == REDIS_REPLY_ERROR ? r->str : "a ticket");
	redisFree(c);
	ck_assert_str_eq(serial_of(&na, "2"), "REPLICA2");
	ck_assert(daemon_log_wait(&na, "reached 0 of 1 replicas", 1000));
	/* WAIT blocks the link only briefly: the lease renewals behind it went through. */
	ck_assert_str_eq(role_field(&na, "role"), "leader");
	ck_assert_str_eq(role_field(&na, "leader"), "node-a");
	redisFree(rc);
}
END_TEST

/* Without ha: nothing changes: ROLE says single and writes are taken. */
START_TEST(test_single_without_ha)
{
	redisContext *c;

	ck_assert_int_eq(daemon_start(&na, NULL, NULL), 0);
	ck_assert_str_eq(role_field(&na, "role"), "single");
	c = daemon_connect(&na);
	ck_assert(opened(c, "SINGLE01"));
	ck_assert_int_eq(info_num(&na, "replication", "term"), -1);
	redisFree(c);
}
END_TEST

static Suite *ha_suite(void)
{
	Suite *s = suite_create("ha");
	TCase *tc = tcase_create("redis");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_leader_killed_under_load_then_rejoins);
	tcase_add_test(tc, test_frozen_leader_acknowledges_nothing_after_the_fence);
	tcase_add_test(tc, test_sync_off_unshipped_change_is_discarded);
	tcase_add_test(tc, test_redis_restarted_empty);
	tcase_add_test(tc, test_leader_and_redis_lost_together);
	tcase_add_test(tc, test_standby_bootstraps_from_snapshot_after_trim);
	tcase_add_test(tc, test_snapshot_replaced_mid_read_starts_over);
	tcase_add_test(tc, test_leader_answers_while_snapshot_is_taken);
	tcase_add_test(tc, test_crashed_snapshot_child_is_cleaned);
	tcase_add_test(tc, test_wait_replicas_holds_replies);
	tcase_add_test(tc, test_single_without_ha);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(ha_suite());
}
