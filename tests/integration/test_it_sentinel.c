/*
 * Integration: Redis under Sentinel (redis.sentinels, redis.master). Real
 * processes on loopback: a redis-server primary, a replica (--replicaof), a
 * sentinel (redis-server --sentinel, quorum 1, down-after 1000 ms) and
 * repaird. The primary is killed with SIGKILL, Sentinel promotes the
 * replica, and repaird follows without an operator: the events link (every
 * event in its stream once) and, with ha:, the leader's links (it keeps
 * taking writes). A sentinel whose answer is stale (it names a replica) is
 * found out by ROLE and the next sentinel asked.
 *
 * Only ticket.opened goes to Redis: one event per TICKET.OPEN, so the
 * entries each stream must hold are known.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sentinel_harness.h"

#define CENTRE     "DE-PSC-TEST"
#define STREAM_KEY "st:events:" CENTRE
#define MASTER     SH_MASTER

static struct daemon d;
static redisContext *rc;
static struct redis_server primary, replica, sentinel, stale;

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
	harness_redis_stop(&stale);
	harness_redis_stop(&sentinel);
	harness_redis_stop(&replica);
	harness_redis_stop(&primary);
}

/* A primary, a replica of it, a sentinel that knows both; then repaird with extra yaml. */
static void start_all(const char *extra_yaml)
{
	char port[16], yaml[640];
	const char *replica_args[] = {"--replicaof", "127.0.0.1", port, NULL};

	harness_redis_start(&primary, NULL);
	snprintf(port, sizeof port, "%d", primary.port);
	harness_redis_start(&replica, replica_args);
	sh_sentinel_start(&sentinel, primary.port, 1000);
	WAIT_UNTIL(sh_sentinel_knows_replica(sentinel.port), 15000);
	ck_assert_msg(sh_sentinel_knows_replica(sentinel.port), "the sentinel found no replica");
	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [\"127.0.0.1:%d\"], master: %s, prefix: st, "
	         "connect_timeout_ms: 500, reply_timeout_ms: 1000, events: [ticket.opened]}\n%s",
	         sentinel.port, MASTER, extra_yaml ? extra_yaml : "");
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
}

static bool open_ticket(int i)
{
	char serial[16];
	redisReply *r;
	bool ok;

	snprintf(serial, sizeof serial, "SN%05d", i);
	r = redisCommand(rc, "TICKET.OPEN CENTRE %s PRODUCT %s SERIAL %s SERVICE repair", CENTRE,
	                 "EOS R5", serial);
	ok = r && r->type == REDIS_REPLY_ARRAY;
	freeReplyObject(r);
	return ok;
}

static long long info_num(const char *section, const char *key)
{
	redisReply *r = cmd(rc, "INFO", section, NULL);
	char want[64];
	const char *p;
	long long v = -1;

	snprintf(want, sizeof want, "\r\n%s:", key);
	p = strstr(r->str, want);
	if (p)
		v = atoll(p + strlen(want));
	freeReplyObject(r);
	return v;
}

/* The value of an INFO line (static buffer), "" when absent. */
static const char *info_str(const char *section, const char *key)
{
	static char out[128];
	redisReply *r = cmd(rc, "INFO", section, NULL);
	char want[64];
	const char *p;

	out[0] = '\0';
	snprintf(want, sizeof want, "\r\n%s:", key);
	p = strstr(r->str, want);
	if (p)
		sscanf(p + strlen(want), "%127[^\r]", out);
	freeReplyObject(r);
	return out;
}

/*
 * The stream on port holds the opening of tickets 1..n, in order, each once:
 * seq strictly increasing, entry ID "<seq>-1".
 */
static void check_stream(int port, long long n)
{
	redisReply *r = sh_redis_at(port, "XRANGE %s - +", STREAM_KEY);
	long long last = 0;

	ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY, "XRANGE on port %d failed", port);
	ck_assert_msg((long long)r->elements == n, "the stream holds %zu entries, %lld expected",
	              r->elements, n);
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		long long seq = atoll(field(f, "seq"));
		char id[32];
		ck_assert_msg(atoll(field(f, "ticket")) == (long long)i + 1,
		              "entry %zu: ticket %s, expected %zu", i, field(f, "ticket"), i + 1);
		ck_assert_msg(seq > last, "entry %zu: seq %lld after %lld", i, seq, last);
		snprintf(id, sizeof id, "%lld-1", seq);
		ck_assert_str_eq(r->element[i]->element[0]->str, id);
		last = seq;
	}
	freeReplyObject(r);
}

/* Kill the primary; wait until the sentinel names the replica, and the replica says master. */
static long long fail_over(void)
{
	struct harness_deadline dl = harness_deadline_in(0);
	long long t0 = dl.end_ms, took;

	harness_redis_kill(&primary);
	WAIT_UNTIL(sh_sentinel_says(sentinel.port) == replica.port &&
	                   strcmp(sh_role_of(replica.port), "master") == 0,
	           20000);
	ck_assert_msg(sh_sentinel_says(sentinel.port) == replica.port,
	              "the sentinel did not promote the replica");
	dl = harness_deadline_in(0);
	took = dl.end_ms - t0;
	fprintf(stderr, "sentinel: the replica promoted %lld ms after the kill\n", took);
	return took;
}

/*
 * Events reach the primary through the address the sentinel gives; the
 * primary dies, Sentinel promotes the replica, and repaird sends the events
 * of the whole run there: each once, in order, none missing.
 */
START_TEST(test_events_follow_a_failover)
{
	char port[16];

	start_all(NULL);
	for (int i = 1; i <= 20; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	ck_assert_int_eq(info_num("events", "outbox_depth"), 0);
	check_stream(primary.port, 20);
	snprintf(port, sizeof port, "127.0.0.1:%d", primary.port);
	ck_assert_str_eq(info_str("events", "redis"), port);

	fail_over();
	/* Taken while there is no primary: they wait in the outbox. */
	for (int i = 21; i <= 40; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 20000);
	ck_assert_msg(info_num("events", "outbox_depth") == 0, "events not delivered:\n%s",
	              harness_log_tail(&d));
	check_stream(replica.port, 40);
	snprintf(port, sizeof port, "127.0.0.1:%d", replica.port);
	ck_assert_str_eq(info_str("events", "redis"), port);
	ck_assert_int_eq(info_num("events", "errors"), 0);
	/* More after the failover go straight to the new primary. */
	for (int i = 41; i <= 45; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 5000);
	check_stream(replica.port, 45);
}
END_TEST

/*
 * With ha: (one node) the leader's lease and journal live in Redis: after the
 * failover it holds the lease on the new primary (kept or taken again) and
 * takes writes; its journal stream there ends at what it shipped last.
 */
START_TEST(test_ha_leader_follows_a_failover)
{
	long long failover_ms;

	start_all("ha: {node: solo, lease_ms: 3000, sync: on}\n");
	WAIT_UNTIL(open_ticket(1), 10000);
	for (int i = 2; i <= 10; i++)
		ck_assert(open_ticket(i));
	failover_ms = fail_over();
	/* Writes are taken again once the links reached the new primary. */
	{
		struct harness_deadline dl = harness_deadline_in(0);
		long long t0 = dl.end_ms;
		WAIT_UNTIL(open_ticket(11), 20000);
		dl = harness_deadline_in(0);
		fprintf(stderr,
		        "sentinel: ha leader took a write %lld ms after the promotion "
		        "(%lld ms after the kill)\n",
		        dl.end_ms - t0, dl.end_ms - t0 + failover_ms);
	}
	for (int i = 12; i <= 20; i++)
		ck_assert_msg(open_ticket(i), "a write after the failover was refused:\n%s",
		              harness_log_tail(&d));
	ck_assert_str_eq(info_str("replication", "role"), "leader");
	{
		redisReply *r = sh_redis_at(replica.port, "GET %s", "st:leader");
		ck_assert_msg(r && r->type == REDIS_REPLY_STRING &&
		                      strncmp(r->str, "solo ", 5) == 0,
		              "the new primary has no lease of this node");
		freeReplyObject(r);
		r = sh_redis_at(replica.port, "XLEN %s", "st:journal");
		ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0,
		              "no journal on the new primary");
		freeReplyObject(r);
	}
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 20000);
	check_stream(replica.port, 20);
}
END_TEST

/*
 * A sentinel that names a replica (a stale answer): ROLE says so, repaird
 * drops that connection and asks the next sentinel, which names the primary.
 */
START_TEST(test_stale_sentinel_answer_is_checked)
{
	char port[16], yaml[640];
	const char *replica_args[] = {"--replicaof", "127.0.0.1", port, NULL};

	harness_redis_start(&primary, NULL);
	snprintf(port, sizeof port, "%d", primary.port);
	harness_redis_start(&replica, replica_args);
	sh_sentinel_start(&sentinel, primary.port, 1000);
	/* Believes the replica is the primary; slow to call it down, so it does nothing. */
	sh_sentinel_start(&stale, replica.port, 60000);
	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [\"127.0.0.1:%d\", \"127.0.0.1:%d\"], master: %s, prefix: st, "
	         "connect_timeout_ms: 500, reply_timeout_ms: 1000, events: [ticket.opened]}\n",
	         stale.port, sentinel.port, MASTER);
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	for (int i = 1; i <= 5; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	ck_assert_msg(info_num("events", "outbox_depth") == 0, "events not delivered:\n%s",
	              harness_log_tail(&d));
	check_stream(primary.port, 5);
	ck_assert_msg(strstr(daemon_log(&d), "not the primary (ROLE: slave of 127.0.0.1:") != NULL,
	              "the stale answer was not noticed:\n%s", harness_log_tail(&d));
}
END_TEST

/*
 * The primary demoted while repaird's connection to it stays up (here by hand:
 * REPLICAOF swaps the two): its next XADD is refused with READONLY, and
 * repaird goes through the sentinels again to the new primary. The first
 * sentinel still names the old one, and is killed so as not to fight the
 * swap; the second knows the new primary.
 */
START_TEST(test_demoted_primary_answers_readonly)
{
	char port[16], yaml[640];
	const char *replica_args[] = {"--replicaof", "127.0.0.1", port, NULL};
	redisReply *r;

	harness_redis_start(&primary, NULL);
	snprintf(port, sizeof port, "%d", primary.port);
	harness_redis_start(&replica, replica_args);
	sh_sentinel_start(&sentinel, primary.port, 60000);
	sh_sentinel_start(&stale, replica.port, 60000); /* right once the two are swapped */
	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [\"127.0.0.1:%d\", \"127.0.0.1:%d\"], master: %s, prefix: st, "
	         "connect_timeout_ms: 500, reply_timeout_ms: 1000, events: [ticket.opened]}\n",
	         sentinel.port, stale.port, MASTER);
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	for (int i = 1; i <= 5; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	check_stream(primary.port, 5);
	r = sh_redis_at(primary.port, "WAIT 1 5000", NULL); /* the replica has them all */
	ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1, "WAIT failed");
	freeReplyObject(r);

	harness_redis_kill(&sentinel);
	freeReplyObject(sh_redis_at(replica.port, "REPLICAOF NO ONE", NULL));
	snprintf(port, sizeof port, "%d", replica.port);
	freeReplyObject(sh_redis_at(primary.port, "REPLICAOF 127.0.0.1 %s", port));
	ck_assert_str_eq(sh_role_of(primary.port), "slave");
	for (int i = 6; i <= 10; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	ck_assert_msg(info_num("events", "outbox_depth") == 0, "events not delivered:\n%s",
	              harness_log_tail(&d));
	check_stream(replica.port, 10);
	ck_assert_msg(strstr(daemon_log(&d), "READONLY") != NULL, "no READONLY in the log:\n%s",
	              harness_log_tail(&d));
	ck_assert_int_eq(info_num("events", "errors"), 0);
}
END_TEST

/*
 * Asynchronous replication: the replica is stopped and its link cut while the
 * primary takes (and acknowledges) more, then the primary dies and Sentinel promotes the
 * replica, which lacks them. The events missing from the new primary's
 * stream are found by the delivery check and resent, each once; the HA
 * leader stores a fresh snapshot there (its link broke with batches
 * unconfirmed, or the stream ends behind what it shipped), so the journal
 * in Redis ends where the leader is.
 */
START_TEST(test_async_replication_loss_is_repaired)
{
	redisReply *r;
	long long snapshots;

	start_all("ha: {node: solo, lease_ms: 3000, sync: on}\n");
	WAIT_UNTIL(open_ticket(1), 10000);
	for (int i = 2; i <= 10; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	r = sh_redis_at(primary.port, "WAIT 1 5000", NULL);
	ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1, "WAIT failed");
	freeReplyObject(r);

	/* Stopped, and cut off: nothing more waits for it in a socket buffer. */
	kill(replica.pid, SIGSTOP);
	r = sh_redis_at(primary.port, "CLIENT KILL TYPE replica", NULL);
	ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1,
	              "CLIENT KILL TYPE replica: %s", r && r->str ? r->str : "?");
	freeReplyObject(r);
	for (int i = 11; i <= 20; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 10000);
	check_stream(primary.port, 20);
	snapshots = info_num("replication", "snapshots");
	harness_redis_kill(&primary);
	kill(replica.pid, SIGCONT);
	WAIT_UNTIL(sh_sentinel_says(sentinel.port) == replica.port &&
	                   strcmp(sh_role_of(replica.port), "master") == 0,
	           25000);
	ck_assert_msg(sh_sentinel_says(sentinel.port) == replica.port,
	              "the sentinel did not promote the replica");

	WAIT_UNTIL(open_ticket(21), 20000);
	for (int i = 22; i <= 25; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0 && info_num("events", "resent") >= 10,
	           20000);
	check_stream(replica.port, 25);
	fprintf(stderr, "sentinel: after the loss: events lost %lld, resent %lld; snapshots %lld\n",
	        info_num("events", "lost"), info_num("events", "resent"),
	        info_num("replication", "snapshots"));
	ck_assert_int_eq(info_num("events", "lost"), 10);
	ck_assert_int_eq(info_num("events", "resent"), 10);
	/* A fresh snapshot on the new primary, and its journal ends where the leader is. */
	ck_assert_int_gt(info_num("replication", "snapshots"), snapshots);
	r = sh_redis_at(replica.port, "XREVRANGE %s + - COUNT 1", "st:journal");
	ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "no journal");
	ck_assert_str_eq(r->element[0]->element[0]->str, info_str("replication", "applied_id"));
	freeReplyObject(r);
	ck_assert_str_eq(info_str("replication", "role"), "leader");
}
END_TEST

/* Without a sentinel that answers: the link stays down and says why; nothing is lost. */
START_TEST(test_no_sentinel_answers)
{
	char yaml[512];
	int nobody = harness_free_port();

	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [\"127.0.0.1:%d\"], master: %s, prefix: st, "
	         "connect_timeout_ms: 300, events: [ticket.opened]}\n",
	         nobody, MASTER);
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	ck_assert(open_ticket(1));
	ck_assert(daemon_log_wait(&d, "no sentinel gave the address of primary \"" MASTER "\"",
	                          5000));
	ck_assert_str_eq(info_str("events", "link"), "down");
	ck_assert_int_eq(info_num("events", "outbox_depth"), 1);
}
END_TEST

/* --redis HOST:PORT is that Redis, instead of the configured sentinels. */
START_TEST(test_redis_option_overrides_sentinels)
{
	char yaml[512], addr[32];
	const char *args[] = {"--redis", addr, NULL};

	harness_redis_start(&primary, NULL);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", primary.port);
	snprintf(yaml, sizeof yaml,
	         "redis: {sentinels: [\"127.0.0.1:%d\"], master: %s, prefix: st, "
	         "connect_timeout_ms: 300, events: [ticket.opened]}\n",
	         harness_free_port(), MASTER);
	ck_assert_msg(daemon_start(&d, yaml, args) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	rc = daemon_connect(&d);
	for (int i = 1; i <= 3; i++)
		ck_assert(open_ticket(i));
	WAIT_UNTIL(info_num("events", "outbox_depth") == 0, 5000);
	check_stream(primary.port, 3);
	ck_assert_str_eq(info_str("events", "redis"), addr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sentinel");
	TCase *tc = tcase_create("sentinel");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_events_follow_a_failover);
	tcase_add_test(tc, test_ha_leader_follows_a_failover);
	tcase_add_test(tc, test_stale_sentinel_answer_is_checked);
	tcase_add_test(tc, test_no_sentinel_answers);
	tcase_add_test(tc, test_redis_option_overrides_sentinels);
	tcase_add_test(tc, test_demoted_primary_answers_readonly);
	tcase_add_test(tc, test_async_replication_loss_is_repaired);
	suite_add_tcase(s, tc);
	return harness_run_suite(s);
}
