/*
 * Integration: the HA leader and standby under Redis Sentinel. Real
 * processes on loopback: a redis-server primary, a replica, sentinels
 * (redis-server --sentinel) and two repaird nodes with ha: {lease_ms: 1000,
 * sync: on, wait_replicas: 1} that find Redis through the sentinels. Apart
 * from test_it_sentinel.c so that the two run side by side.
 *
 * A Redis failover longer than the lease: the leader stops taking writes
 * when it cannot renew, and once Sentinel promoted the replica a node leads
 * there and takes writes again, with every acknowledged write. A standby
 * taking over on a primary demoted under its connection goes back through
 * the sentinels and takes over on the real one.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ha_nodes.h"
#include "harness.h"
#include "sentinel_harness.h"

#define SH_LEASE_MS 1000

static struct daemon na, nb;
static struct redis_server primary, replica, sentinel, second;

static void teardown(void)
{
	if (na.pid > 0)
		kill(na.pid, SIGCONT); /* frozen by a test that failed */
	daemon_cleanup(&na);
	daemon_cleanup(&nb);
	harness_redis_stop(&second);
	harness_redis_stop(&sentinel);
	harness_redis_stop(&replica);
	harness_redis_stop(&primary);
}

/*
 * A primary and a replica of it. The replica, once promoted, serves a
 * returning replica at once (not after the 5 s diskless-sync delay).
 */
static void redis_pair_start(void)
{
	char port[16];
	const char *replica_args[] = {
	        "--replicaof", "127.0.0.1", port, "--repl-diskless-sync-delay", "0", NULL};

	harness_redis_start(&primary, NULL);
	snprintf(port, sizeof port, "%d", primary.port);
	harness_redis_start(&replica, replica_args);
}

/* A node that asks the sentinels on ports s1 (and s2 unless 0) where Redis is. */
static void node_start(struct daemon *d, const char *name, int s1, int s2)
{
	char yaml[640], list[64];

	if (s2)
		snprintf(list, sizeof list, "\"127.0.0.1:%d\", \"127.0.0.1:%d\"", s1, s2);
	else
		snprintf(list, sizeof list, "\"127.0.0.1:%d\"", s1);
	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [%s], master: %s, prefix: sh, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: %s, lease_ms: %d, sync: on, wait_replicas: 1}\n",
	         list, SH_MASTER, name, SH_LEASE_MS);
	daemon_prepare(d, yaml);
	ck_assert_msg(daemon_spawn(d, NULL) == 0, "node %s did not start:\n%s", name,
	              daemon_log(d));
}

/* TICKET.OPEN on a connection of its own: acknowledged (its id into id, when given). */
static bool opened_on(const struct daemon *d, const char *serial, char *id, size_t idlen)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	redisReply *r = c && !c->err ? open_ticket(c, serial) : NULL;
	bool ok = r && r->type == REDIS_REPLY_ARRAY;

	if (ok && id)
		snprintf(id, idlen, "%s", field(r, "id"));
	freeReplyObject(r);
	if (c)
		redisFree(c);
	return ok;
}

/*
 * A primary, a replica, a sentinel that calls a silent primary down after
 * 1500 ms (longer than the lease), node-a leading and node-b its standby.
 */
static void failover_setup(void)
{
	redis_pair_start();
	sh_sentinel_start(&sentinel, primary.port, 1500);
	WAIT_UNTIL(sh_sentinel_knows_replica(sentinel.port), 15000);
	ck_assert_msg(sh_sentinel_knows_replica(sentinel.port), "the sentinel found no replica");
	node_start(&na, "node-a", sentinel.port, 0);
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	node_start(&nb, "node-b", sentinel.port, 0);
	WAIT_UNTIL(strcmp(harness_role_field(&nb, "leader"), "node-a") == 0, 5000);
	ck_assert_str_eq(harness_role_field(&nb, "role"), "standby");
}

/* Wait until Sentinel promoted the replica; then the old primary returns as its replica. */
static long long promotion(void)
{
	char port[16];
	const char *back_args[] = {"--replicaof", "127.0.0.1", port, NULL};
	long long at;

	WAIT_UNTIL(sh_sentinel_says(sentinel.port) == replica.port &&
	                   strcmp(sh_role_of(replica.port), "master") == 0,
	           20000);
	ck_assert_msg(sh_sentinel_says(sentinel.port) == replica.port,
	              "the sentinel did not promote the replica");
	at = harness_ms_now();
	/* As Sentinel would make it; wait_replicas: 1 needs a replica to confirm. */
	snprintf(port, sizeof port, "%d", replica.port);
	ck_assert_msg(harness_redis_spawn(&primary, back_args), "the old primary did not restart");
	return at;
}

/*
 * The primary dies and Sentinel (down-after 1500 ms) takes longer than the
 * lease to promote the replica. The leader, unable to renew, refuses writes
 * with READONLY once its lease ran out; after the promotion (and the old
 * primary back as a replica, for wait_replicas: 1) a node leads on the new
 * primary and takes writes again. Every write acknowledged before, during
 * and after is on the leader, and on the standby once it caught up.
 */
START_TEST(test_failover_longer_than_the_lease)
{
	char acks[256], stop[256], id[32];
	long long killed, promoted, took;
	struct daemon *lead, *other;
	redisContext *c;
	redisReply *r;
	pid_t writer;
	int acked;

	failover_setup();

	snprintf(acks, sizeof acks, "%s/acks", na.dir);
	snprintf(stop, sizeof stop, "%s/stop", na.dir);
	writer = writer_start(&na, acks, stop);
	WAIT_UNTIL(strlen(harness_file(acks)) > 1000, 10000);
	harness_redis_kill(&primary);
	killed = harness_ms_now();

	/* Past the lease, and before Sentinel has promoted the replica. */
	usleep((SH_LEASE_MS + 200) * 1000);
	c = redisConnect("127.0.0.1", na.port);
	ck_assert_msg(c && !c->err, "node-a does not answer");
	r = open_ticket(c, "LAPSED0001");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "READONLY this node could not renew its leader lease in time; no "
	                         "writes until it does or another node takes over");
	freeReplyObject(r);
	redisFree(c);
	ck_assert_int_eq(harness_info_num(&na, "replication", "writable"), 0);
	ck_assert_int_eq(sh_sentinel_says(sentinel.port), primary.port);

	promoted = promotion();

	/* Whichever node leads now takes writes. */
	lead = NULL;
	WAIT_UNTIL((lead = is_role(&na, "leader")   ? &na
	                   : is_role(&nb, "leader") ? &nb
	                                            : NULL) &&
	                   opened_on(lead, "AFTER00001", id, sizeof id),
	           20000);
	ck_assert_msg(lead != NULL, "no leader after the failover:\nnode-a: %s\nnode-b: %s",
	              harness_log_tail(&na), harness_log_tail(&nb));
	took = harness_ms_now() - promoted;
	ck_assert_str_eq(serial_of(lead, id), "AFTER00001");
	other = lead == &na ? &nb : &na;
	fprintf(stderr,
	        "sentinel-ha: replica promoted %lld ms after the kill; %s took a write %lld ms "
	        "after the promotion\n",
	        promoted - killed, lead == &na ? "node-a (the old leader)" : "node-b (the standby)",
	        took);
	for (int i = 2; i <= 5; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "AFTER%05d", i);
		ck_assert_msg(opened_on(lead, serial, NULL, 0),
		              "write %d after the failover refused", i);
	}
	harness_write_file(stop, "");
	WAIT_UNTIL(waitpid(writer, NULL, WNOHANG) == writer, 10000);

	acked = check_acknowledged(lead, acks);
	ck_assert_int_gt(acked, 10);
	ck_assert_str_eq(harness_role_field(lead, "role"), "leader");
	ck_assert_int_eq(harness_info_num(lead, "replication", "writable"), 1);
	r = sh_redis_at(replica.port, "GET %s", "sh:leader");
	ck_assert_msg(r && r->type == REDIS_REPLY_STRING &&
	                      strncmp(r->str, lead == &na ? "node-a " : "node-b ", 7) == 0,
	              "the new primary holds no lease of the leader");
	freeReplyObject(r);
	/* The other node is a standby with exactly the leader's data. */
	WAIT_UNTIL(is_role(other, "standby") &&
	                   harness_info_num(other, "tickets", "tickets_total") ==
	                           harness_info_num(lead, "tickets", "tickets_total"),
	           10000);
	ck_assert_str_eq(harness_role_field(other, "role"), "standby");
	ck_assert_int_eq(harness_info_num(other, "tickets", "tickets_total"),
	                 harness_info_num(lead, "tickets", "tickets_total"));
	ck_assert_int_eq(check_acknowledged(other, acks), acked);
	ck_assert_str_eq(serial_of(other, id), "AFTER00001");
	/* Events: what the dead primary took and the new one lacks is resent; none twice. */
	WAIT_UNTIL(harness_info_num(lead, "events", "outbox_depth") == 0, 10000);
	ck_assert_int_eq(harness_info_num(lead, "events", "outbox_depth"), 0);
	ck_assert_int_eq(events_once(replica.port, "sh"),
	                 harness_info_num(lead, "tickets", "tickets_total"));
}
END_TEST

/*
 * The same failover with the leader frozen (SIGSTOP) through it: node-b
 * takes over on the new primary and takes writes, with every write node-a
 * acknowledged. node-a, resumed, steps down and holds exactly node-b's data.
 */
START_TEST(test_standby_leads_on_the_promoted_primary)
{
	char acks[256], stop[256], id[32];
	long long killed, promoted;
	pid_t writer;
	int acked;

	failover_setup();
	snprintf(acks, sizeof acks, "%s/acks", na.dir);
	snprintf(stop, sizeof stop, "%s/stop", na.dir);
	writer = writer_start(&na, acks, stop);
	WAIT_UNTIL(strlen(harness_file(acks)) > 1000, 10000);
	harness_redis_kill(&primary);
	kill(na.pid, SIGSTOP);
	killed = harness_ms_now();
	promoted = promotion();

	WAIT_UNTIL(is_role(&nb, "leader") && opened_on(&nb, "AFTER00001", id, sizeof id), 20000);
	ck_assert_msg(is_role(&nb, "leader"), "node-b did not take over:\n%s",
	              harness_log_tail(&nb));
	fprintf(stderr,
	        "sentinel-ha: replica promoted %lld ms after the kill; node-b took a write %lld ms "
	        "after the promotion\n",
	        promoted - killed, harness_ms_now() - promoted);
	kill(na.pid, SIGCONT);
	WAIT_UNTIL(is_role(&na, "standby"), 10000);
	ck_assert_msg(is_role(&na, "standby"), "node-a did not step down:\n%s",
	              harness_log_tail(&na));
	harness_write_file(stop, "");
	WAIT_UNTIL(waitpid(writer, NULL, WNOHANG) == writer, 10000);

	acked = check_acknowledged(&nb, acks);
	ck_assert_int_gt(acked, 10);
	ck_assert(opened_on(&nb, "AFTER00002", NULL, 0));
	WAIT_UNTIL(harness_info_num(&na, "tickets", "tickets_total") ==
	                   harness_info_num(&nb, "tickets", "tickets_total"),
	           10000);
	ck_assert_int_eq(harness_info_num(&na, "tickets", "tickets_total"),
	                 harness_info_num(&nb, "tickets", "tickets_total"));
	ck_assert_int_eq(check_acknowledged(&na, acks), acked);
	ck_assert_str_eq(serial_of(&na, id), "AFTER00001");
	WAIT_UNTIL(harness_info_num(&nb, "events", "outbox_depth") == 0, 10000);
	ck_assert_int_eq(harness_info_num(&nb, "events", "outbox_depth"), 0);
	ck_assert_int_eq(events_once(replica.port, "sh"),
	                 harness_info_num(&nb, "tickets", "tickets_total"));
}
END_TEST

/*
 * The leader dies; at the same moment the Redis primary is demoted by hand
 * (REPLICAOF swaps the two) under the standby's connection, and the sentinel
 * that named it dies. The standby's takeover script meets READONLY there;
 * it goes back through the sentinels (the second names the new primary) and
 * takes over on the real primary, with every acknowledged write.
 */
START_TEST(test_takeover_meets_a_demoted_primary)
{
	char port[16], id[5][32];
	redisReply *r;

	redis_pair_start();
	sh_sentinel_start(&sentinel, primary.port, 60000);
	sh_sentinel_start(&second, replica.port, 60000); /* right once the two are swapped */
	node_start(&na, "node-a", sentinel.port, second.port);
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	node_start(&nb, "node-b", sentinel.port, second.port);
	WAIT_UNTIL(strcmp(harness_role_field(&nb, "leader"), "node-a") == 0, 5000);
	ck_assert_str_eq(harness_role_field(&nb, "role"), "standby");
	for (int i = 0; i < 5; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "BEFORE%04d", i);
		ck_assert(opened_on(&na, serial, id[i], sizeof id[i]));
	}
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 5, 5000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 5);

	daemon_kill9(&na);
	harness_redis_kill(&sentinel);
	freeReplyObject(sh_redis_at(replica.port, "REPLICAOF NO ONE", NULL));
	snprintf(port, sizeof port, "%d", replica.port);
	freeReplyObject(sh_redis_at(primary.port, "REPLICAOF 127.0.0.1 %s", port));
	ck_assert_str_eq(sh_role_of(primary.port), "slave");

	WAIT_UNTIL(is_role(&nb, "leader") && opened_on(&nb, "AFTER00001", NULL, 0), 15000);
	ck_assert_msg(is_role(&nb, "leader"), "node-b did not take over:\n%s",
	              harness_log_tail(&nb));
	ck_assert_msg(strstr(daemon_log(&nb), "ha: taking over failed: READONLY") != NULL,
	              "the takeover never met the demoted primary:\n%s", harness_log_tail(&nb));
	for (int i = 0; i < 5; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "BEFORE%04d", i);
		ck_assert_str_eq(serial_of(&nb, id[i]), serial);
	}
	/* The lease and the fence are on the real primary. */
	r = sh_redis_at(replica.port, "GET %s", "sh:leader");
	ck_assert_msg(r && r->type == REDIS_REPLY_STRING && strncmp(r->str, "node-b ", 7) == 0,
	              "the new primary holds no lease of node-b");
	freeReplyObject(r);
	ck_assert_int_eq(harness_info_num(&nb, "replication", "takeovers"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sentinel_ha");
	TCase *tc = tcase_create("sentinel_ha");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_failover_longer_than_the_lease);
	tcase_add_test(tc, test_standby_leads_on_the_promoted_primary);
	tcase_add_test(tc, test_takeover_meets_a_demoted_primary);
	suite_add_tcase(s, tc);
	return harness_run_suite(s);
}
