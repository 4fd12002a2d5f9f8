/*
 * Integration: high availability through Redis (issue 18). One real
 * redis-server (no persistence: a restart is an empty Redis) and two repaird
 * nodes on loopback with ha: {lease_ms: 600, sync: on}. The leader killed
 * under write load, frozen past its lease, restarted; Redis restarted
 * empty. Snapshots: test_it_ha_snapshot.c.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_run.h"
#include "ha_nodes.h"
#include "harness.h"

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

static void node_start(struct daemon *d, const char *name, const char *sync)
{
	node_prepare(d, rs.port, name, sync);
	ck_assert_msg(daemon_spawn(d, NULL) == 0, "node %s did not start:\n%s", name,
	              daemon_log(d));
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
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	node_start(&nb, "node-b", "on");
	ck_assert_str_eq(harness_role_field(&nb, "role"), "standby");
	WAIT_UNTIL(strcmp(harness_role_field(&nb, "leader"), "node-a") == 0, 3000);
	ck_assert_str_eq(harness_role_field(&nb, "leader"), "node-a");

	snprintf(acks, sizeof acks, "%s/acks", na.dir);
	writer = writer_start(&na, acks, NULL);
	WAIT_UNTIL(strlen(harness_file(acks)) > 2000, 10000);
	daemon_kill9(&na);
	killed = harness_ms_now();
	waitpid(writer, NULL, 0);

	c = redisConnect("127.0.0.1", nb.port);
	ck_assert_ptr_nonnull(c);
	WAIT_UNTIL(opened(c, "AFTER00001"), LEASE_MS + 4000);
	took = harness_ms_now() - killed;
	printf("failover: kill -9 to the first write accepted by the new leader: %lld ms\n", took);
	ck_assert_msg(took <= LEASE_MS + 2000, "failover took %lld ms", took);
	ck_assert_str_eq(harness_role_field(&nb, "role"), "leader");
	acked = check_acknowledged(&nb, acks);
	ck_assert_int_gt(acked, 10);

	/* Events: the new leader delivers what the old one had not; none twice. */
	WAIT_UNTIL(harness_info_num(&nb, "events", "outbox_depth") == 0, 5000);
	ck_assert_int_eq(events_once(rs.port, "ht"),
	                 harness_info_num(&nb, "tickets", "tickets_total"));

	/* The old leader returns: a standby holding exactly the leader's data. */
	ck_assert_msg(daemon_spawn(&na, NULL) == 0, "node-a did not restart:\n%s", daemon_log(&na));
	WAIT_UNTIL(strcmp(harness_role_field(&na, "leader"), "node-b") == 0, 3000);
	ck_assert_str_eq(harness_role_field(&na, "role"), "standby");
	ck_assert(opened(c, "AFTER00002"));
	WAIT_UNTIL(harness_info_num(&na, "tickets", "tickets_total") ==
	                   harness_info_num(&nb, "tickets", "tickets_total"),
	           3000);
	ck_assert_int_eq(harness_info_num(&na, "tickets", "tickets_total"),
	                 harness_info_num(&nb, "tickets", "tickets_total"));
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
	WAIT_UNTIL(harness_info_num(&na, "tickets", "tickets_total") ==
	                   harness_info_num(&nb, "tickets", "tickets_total"),
	           3000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"),
	                 harness_info_num(&na, "tickets", "tickets_total"));
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
	ck_assert_str_eq(harness_role_field(&nb, "role"), "leader");
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
	ck_assert_str_eq(harness_role_field(&na, "role"), "standby");
	ck_assert(daemon_log_wait(&na, "stepping down", 1000));
	/* Both hold the new leader's data, and nothing of the write it refused. */
	WAIT_UNTIL(harness_info_num(&na, "tickets", "tickets_total") == 2, 3000);
	ck_assert_int_eq(harness_info_num(&na, "tickets", "tickets_total"), 2);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 2);
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
	WAIT_UNTIL(harness_info_num(&na, "events", "outbox_depth") == 0 &&
	                   harness_info_num(&nb, "replication", "applied_records") ==
	                           harness_info_num(&na, "replication", "applied_records"),
	           3000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 1);
	rc = harness_redis_connect(&rs);
	fence_as_node_x(rc, 1500);
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
	WAIT_UNTIL(is_role(&na, "standby") &&
	                   harness_info_num(&na, "tickets", "tickets_total") == 1,
	           3000);
	ck_assert_str_eq(harness_role_field(&na, "role"), "standby");
	ck_assert_int_eq(harness_info_num(&na, "tickets", "tickets_total"), 1);
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
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 5, 3000);
	redis_kill9();
	ck_assert(redis_try_start());
	/* One of them leads again (the old leader normally: it retakes its lease). */
	WAIT_UNTIL(is_role(&na, "leader") || is_role(&nb, "leader"), 5000);
	leader_port = is_role(&na, "leader") ? na.port : nb.port;
	c = redisConnect("127.0.0.1", leader_port);
	WAIT_UNTIL(opened(c, "LATE0001"), 5000);
	redisFree(c);
	WAIT_UNTIL(harness_info_num(&na, "tickets", "tickets_total") == 6 &&
	                   harness_info_num(&nb, "tickets", "tickets_total") == 6,
	           5000);
	ck_assert_int_eq(harness_info_num(&na, "tickets", "tickets_total"), 6);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 6);
	ck_assert_str_eq(serial_of(&na, "3"), "EARLY002");
	ck_assert_str_eq(serial_of(&nb, "6"), "LATE0001");
	/* Redis holds the state again: a snapshot. */
	rc = harness_redis_connect(&rs);
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
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 3, 3000);
	daemon_kill9(&na);
	redis_kill9();
	ck_assert(redis_try_start());
	WAIT_UNTIL(is_role(&nb, "leader"), LEASE_MS + 4000);
	ck_assert_str_eq(harness_role_field(&nb, "role"), "leader");
	c = redisConnect("127.0.0.1", nb.port);
	ck_assert(opened(c, "NEWER001"));
	redisFree(c);
	ck_assert_str_eq(serial_of(&nb, "3"), "KEPT0002");
	ck_assert_str_eq(serial_of(&nb, "4"), "NEWER001");
	rc = harness_redis_connect(&rs);
	WAIT_UNTIL((r = redisCommand(rc, "EXISTS ht:snapshot")) &&
	                   (r->integer == 1 || (freeReplyObject(r), 0)),
	           3000);
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	redisFree(rc);
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
	rc = harness_redis_connect(&rs);
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
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	ck_assert_str_eq(harness_role_field(&na, "leader"), "node-a");
	redisFree(rc);
}
END_TEST

/* XLEN of a key in the test's Redis. */
static long long stream_len(const char *key)
{
	redisContext *c = harness_redis_connect(&rs);
	redisReply *r = redisCommand(c, "XLEN %s", key);
	long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	redisFree(c);
	return n;
}

/*
 * sync: on, replies held for Redis (here: WAIT for a replica that is gone),
 * with more requests pipelined behind the held write: nothing is answered
 * before the write is confirmed, and once it is, every reply comes, in order
 * (those asked after the write leave with the commit that follows).
 */
START_TEST(test_held_write_then_pipelined_reads)
{
	char master[16], yaml[512];
	const char *const replica_args[] = {"--replicaof", "127.0.0.1", master, NULL};
	struct redis_server replica;
	struct timeval tv = {1, 0}, longer = {10, 0};
	redisContext *c;
	redisReply *r;
	void *reply;

	snprintf(master, sizeof master, "%d", rs.port);
	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: ht, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: node-a, lease_ms: %d, sync: on, wait_replicas: 1}\n",
	         rs.port,
	         5 * LEASE_MS); /* the WAITs must not starve the renewals on a busy machine */
	daemon_prepare(&na, yaml);
	ck_assert_int_eq(daemon_spawn(&na, NULL), 0);
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	ck_assert(c && !c->err);
	redisSetTimeout(c, tv);
	/* No replica: the write is made and journaled, its reply held, and all behind it. */
	redisAppendCommand(
	        c, "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL HELD0001 SERVICE repair",
	        "EOS R5");
	redisAppendCommand(c, "PING");
	redisAppendCommand(c, "TICKET.GET 1");
	ck_assert_int_eq(redisGetReply(c, &reply), REDIS_ERR);
	redisFree(c);
	/* A fresh connection, the same pipeline; then a replica comes and WAIT is answered. */
	c = redisConnect("127.0.0.1", na.port);
	ck_assert(c && !c->err);
	redisSetTimeout(c, tv);
	redisAppendCommand(
	        c, "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL HELD0002 SERVICE repair",
	        "EOS R5");
	ck_assert_int_eq(redisBufferWrite(c, &(int){0}), REDIS_OK);
	WAIT_UNTIL(strcmp(serial_of(&na, "2"), "HELD0002") == 0, 3000);
	/* These arrive after the write's commit: they wait behind it, not with it. */
	redisAppendCommand(c, "PING");
	redisAppendCommand(c, "TICKET.GET 1");
	ck_assert_int_eq(redisBufferWrite(c, &(int){0}), REDIS_OK);
	usleep(200 * 1000);
	/* Nor have their events gone to the stream: the batches are not confirmed. */
	ck_assert_int_eq(stream_len("ht:events:DE-PSC-TEST"), 0);
	harness_redis_start(&replica, replica_args);
	redisSetTimeout(c, longer);
	ck_assert_int_eq(redisGetReply(c, &reply), REDIS_OK);
	r = reply;
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "the held write: %s",
	              r->type == REDIS_REPLY_ERROR ? r->str : "not a ticket");
	ck_assert_str_eq(field(r, "serial"), "HELD0002");
	freeReplyObject(r);
	ck_assert_int_eq(redisGetReply(c, &reply), REDIS_OK);
	r = reply;
	ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
	ck_assert_str_eq(r->str, "PONG");
	freeReplyObject(r);
	ck_assert_int_eq(redisGetReply(c, &reply), REDIS_OK);
	r = reply;
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_str_eq(field(r, "serial"), "HELD0001");
	freeReplyObject(r);
	redisFree(c);
	/* Confirmed: both events, once each. */
	WAIT_UNTIL(stream_len("ht:events:DE-PSC-TEST") == 2, 5000);
	ck_assert_int_eq(stream_len("ht:events:DE-PSC-TEST"), 2);
	harness_redis_stop(&replica);
}
END_TEST

/*
 * A standby's journal is Redis's copy: it is fdatasync'ed about once a
 * second, not once per batch it applies (fsync: always is the leader's).
 */
START_TEST(test_standby_syncs_once_a_second)
{
	redisContext *c;
	long long applied0, fsyncs0, batches, fsyncs;
	long long t0;
	char serial[16];

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	node_start(&nb, "node-b", "on");
	WAIT_UNTIL(is_role(&nb, "standby") && harness_info_num(&nb, "replication", "lag") == 0,
	           5000);
	applied0 = harness_info_num(&nb, "replication", "batches_applied");
	fsyncs0 = harness_info_num(&nb, "persistence", "fsyncs");
	fsyncs = harness_info_num(&na, "persistence", "fsyncs");
	c = redisConnect("127.0.0.1", na.port);
	t0 = harness_ms_now();
	for (int i = 0; i < 60; i++) {
		snprintf(serial, sizeof serial, "SYNC%04d", i);
		ck_assert(opened(c, serial)); /* one batch each: each waits for its reply */
	}
	redisFree(c);
	/* The leader synced each of them. */
	ck_assert_int_ge(harness_info_num(&na, "persistence", "fsyncs") - fsyncs, 60);
	WAIT_UNTIL(harness_info_num(&nb, "replication", "batches_applied") - applied0 >= 60, 5000);
	batches = harness_info_num(&nb, "replication", "batches_applied") - applied0;
	fsyncs = harness_info_num(&nb, "persistence", "fsyncs") - fsyncs0;
	ck_assert_int_ge(batches, 60);
	ck_assert_msg(fsyncs <= (harness_ms_now() - t0) / 1000 + 2,
	              "the standby synced %lld times for %lld batches in %lld ms", fsyncs, batches,
	              harness_ms_now() - t0);
}
END_TEST

/*
 * A client whose batch Redis confirmed while its replies were held for
 * another reason (a failed AUTH's delay) is released by a later commit; what
 * it kept of the HA hold must not release its next replies before their own
 * commit, nor bytes that are no reply. Other writers keep confirms coming.
 */
START_TEST(test_release_after_an_auth_delay)
{
	char acks[256];
	struct timeval tv = {10, 0};
	redisContext *x, *a;
	redisReply *r;
	void *reply;
	pid_t writers[4];

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	/* Writers out of step with each other and with the client under test. */
	for (int i = 0; i < 4; i++) {
		snprintf(acks, sizeof acks, "%s/acks%d", na.dir, i);
		writers[i] = writer_start(&na, acks, NULL);
	}
	/* The source's free failures used up: the next one is delayed. */
	x = redisConnect("127.0.0.1", na.port);
	for (int i = 0; i < 3; i++) {
		r = redisCommand(x, "AUTH nobody wrong");
		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
		freeReplyObject(r);
	}
	redisFree(x);
	a = redisConnect("127.0.0.1", na.port);
	redisSetTimeout(a, tv);
	redisAppendCommand(
	        a, "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL DELAY001 SERVICE repair",
	        "EOS R5");
	redisAppendCommand(a, "AUTH nobody wrong");
	ck_assert_int_eq(redisGetReply(a, &reply), REDIS_OK);
	ck_assert_int_eq(((redisReply *)reply)->type, REDIS_REPLY_ARRAY);
	freeReplyObject(reply);
	ck_assert_int_eq(redisGetReply(a, &reply), REDIS_OK);
	ck_assert_int_eq(((redisReply *)reply)->type, REDIS_REPLY_ERROR);
	freeReplyObject(reply);
	for (int i = 0; i < 500; i++) {
		r = redisCommand(a, "MEMBER.SET 4242 TIER gold COUNTRY DE");
		ck_assert_msg(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0,
		              "MEMBER.SET %d: %s", i,
		              r ? (r->str ? r->str : "(not a status)") : a->errstr);
		freeReplyObject(r);
		r = redisCommand(a, "PING");
		ck_assert_msg(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0,
		              "PING %d after MEMBER.SET: type %d", i, r ? r->type : -1);
		freeReplyObject(r);
	}
	redisFree(a);
	for (int i = 0; i < 4; i++) {
		kill(writers[i], SIGKILL);
		waitpid(writers[i], NULL, 0);
	}
}
END_TEST

/* A reload keeps the running ha: settings (and prefix), with a warning; the rest reloads. */
START_TEST(test_reload_keeps_ha_settings)
{
	char yaml[512];
	redisContext *c;

	node_start(&na, "node-a", "on");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: other, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: renamed, lease_ms: %d, sync: off}\n"
	         "policy: {standard_days: 12}\n",
	         rs.port, 4 * LEASE_MS);
	daemon_write_config(&na, yaml, NULL);
	c = redisConnect("127.0.0.1", na.port);
	harness_expect_status(cmd(c, "CONFIG.RELOAD", NULL), "OK");
	ck_assert(daemon_log_wait(&na, "changes only with a restart", 2000));
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	ck_assert_str_eq(harness_role_field(&na, "leader"), "node-a");
	/* Still shipping under the old prefix, and writes are taken. */
	ck_assert(opened(c, "RELOAD01"));
	WAIT_UNTIL(stream_len("ht:journal") > 1, 2000);
	ck_assert_int_gt(stream_len("ht:journal"), 1);
	ck_assert_int_le(stream_len("other:journal"), 0);
	redisFree(c);
}
END_TEST

/* Without ha: nothing changes: ROLE says single and writes are taken. */
START_TEST(test_single_without_ha)
{
	redisContext *c;

	ck_assert_int_eq(daemon_start(&na, NULL, NULL), 0);
	ck_assert_str_eq(harness_role_field(&na, "role"), "single");
	c = daemon_connect(&na);
	ck_assert(opened(c, "SINGLE01"));
	ck_assert_int_eq(harness_info_num(&na, "replication", "term"), -1);
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
	tcase_add_test(tc, test_wait_replicas_holds_replies);
	tcase_add_test(tc, test_held_write_then_pipelined_reads);
	tcase_add_test(tc, test_standby_syncs_once_a_second);
	tcase_add_test(tc, test_release_after_an_auth_delay);
	tcase_add_test(tc, test_reload_keeps_ha_settings);
	tcase_add_test(tc, test_single_without_ha);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(ha_suite());
}
