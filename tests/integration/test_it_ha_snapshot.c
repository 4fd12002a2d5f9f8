/*
 * Integration: the HA snapshot (issue 18) on a real redis-server with real
 * nodes. The leader's child process writes it in chunks (small ones here,
 * REPAIRD_HA_SNAPSHOT_CHUNK_BYTES, so that a few tickets make many), a
 * fenced script makes it current and trims the stream; a standby reads it
 * chunk by chunk. The leader answers all along; a standby whose snapshot is
 * replaced mid-read starts over; a crashed child leaves nothing behind.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ha_nodes.h"
#include "harness.h"

static struct daemon na, nb;
static struct redis_server rs;

static void setup(void)
{
	harness_redis_start(&rs, NULL);
}

static void teardown(void)
{
	if (na.pid > 0)
		kill(na.pid, SIGCONT);
	if (nb.pid > 0)
		kill(nb.pid, SIGCONT);
	daemon_cleanup(&na);
	daemon_cleanup(&nb);
	harness_redis_stop(&rs);
}

static void node_start(struct daemon *d, const char *name)
{
	node_prepare(d, rs.port, name, "on");
	ck_assert_msg(daemon_spawn(d, NULL) == 0, "node %s did not start:\n%s", name,
	              daemon_log(d));
}

/* In the daemon's child before exec: snapshot chunks of this many bytes (an internal knob). */
static void set_chunk_bytes(void *arg)
{
	setenv("REPAIRD_HA_SNAPSHOT_CHUNK_BYTES", arg, 1);
}

static void node_start_chunks(struct daemon *d, const char *name, const char *sync,
                              const char *chunk_bytes)
{
	node_prepare(d, rs.port, name, sync);
	ck_assert_msg(daemon_spawn_with(d, NULL, set_chunk_bytes, (void *)chunk_bytes) == 0,
	              "node %s did not start:\n%s", name, daemon_log(d));
}

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

/* JOURNAL.COMPACT, again while it is refused because the previous local compaction runs. */
static void journal_compact(redisContext *c)
{
	struct harness_deadline dl = harness_deadline_in(10000);
	char error[256] = "";

	do {
		redisReply *r = redisCommand(c, "JOURNAL.COMPACT");
		ck_assert_ptr_nonnull(r);
		if (r->type != REDIS_REPLY_ERROR) {
			freeReplyObject(r);
			return;
		}
		snprintf(error, sizeof error, "%s", r->str);
		freeReplyObject(r);
	} while (harness_poll(&dl));
	ck_abort_msg("JOURNAL.COMPACT refused: %s", error);
}

/* Wait for the leader's next snapshot to be made current (JOURNAL.COMPACT asks for one). */
static void compact_and_wait(const struct daemon *d)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	long long before;

	WAIT_UNTIL(harness_info_num(d, "replication", "snapshot_in_progress") == 0, 10000);
	before = harness_info_num(d, "replication", "snapshots");
	journal_compact(c);
	WAIT_UNTIL(harness_info_num(d, "replication", "snapshots") > before, 20000);
	ck_assert_int_gt(harness_info_num(d, "replication", "snapshots"), before);
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

	node_start_chunks(&na, "node-a", "on", "512");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	for (int i = 0; i < 20; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "TRIM%04d", i);
		ck_assert(opened(c, serial));
	}
	compact_and_wait(&na);
	ck_assert(opened(c, "AFTERSNAP"));
	rc = harness_redis_connect(&rs);
	chunks = atoll(snapshot_field(rc, "chunks"));
	ck_assert_int_ge(chunks, 3);
	ck_assert_int_eq(harness_info_num(&na, "replication", "snapshot_chunks"), chunks);
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

	node_start(&nb, "node-b");
	ck_assert_str_eq(harness_role_field(&nb, "role"), "standby");
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 21, 3000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 21);
	ck_assert_str_eq(serial_of(&nb, "7"), "TRIM0006");
	ck_assert_str_eq(serial_of(&nb, "21"), "AFTERSNAP");
	ck_assert_int_eq(harness_info_num(&nb, "replication", "rebuilds"), 1);
	ck_assert_int_eq(harness_info_num(&nb, "replication", "lag"), 0);
	redisFree(c);

	/* A leader that stops (SIGTERM) lets its lease go: the standby need not wait it out. */
	ck_assert_int_eq(daemon_stop(&na), 0);
	ck_assert(daemon_log_wait(&na, "lease of term 1 released", 1000));
	WAIT_UNTIL(is_role(&nb, "leader"), LEASE_MS + 2000);
	ck_assert_str_eq(harness_role_field(&nb, "role"), "leader");
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

	node_start_chunks(&na, "node-a", "on", "16");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "MID", 1500);
	compact_and_wait(&na);
	rc = harness_redis_connect(&rs);
	snprintf(first, sizeof first, "%s", snapshot_field(rc, "name"));
	ck_assert_int_gt(atoll(snapshot_field(rc, "chunks")), 10000);

	node_prepare(&nb, rs.port, "node-b", "on");
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
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 1501, 10000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 1501);
	ck_assert_int_ge(harness_info_num(&nb, "replication", "snapshot_read_restarts"), 1);
	ck_assert_str_eq(serial_of(&nb, "1500"), "MID0001499");
	ck_assert_str_eq(serial_of(&nb, "1501"), "MIDNEW01");
	ck_assert_int_eq(harness_info_num(&nb, "replication", "lag"), 0);
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

	node_start_chunks(&na, "node-a", "on", "2048");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "BIG", 50000);
	WAIT_UNTIL(harness_info_num(&na, "replication", "snapshot_in_progress") == 0, 10000);
	p = redisConnect("127.0.0.1", na.port);
	journal_compact(c);
	ck_assert(daemon_log_wait(&na, "records; fork took", 2000));
	end = usec_now() + 30 * 1000000LL;
	while (harness_info_num(&na, "replication", "snapshot_in_progress") == 1 &&
	       usec_now() < end) {
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
	       harness_info_num(&na, "replication", "snapshot_chunks"),
	       harness_info_num(&na, "replication", "snapshot_bytes"),
	       harness_info_num(&na, "replication", "snapshot_last_ms"), pings, worst);
	ck_assert_int_ge(harness_info_num(&na, "replication", "snapshots"), 2);
	ck_assert_int_gt(harness_info_num(&na, "replication", "snapshot_chunks"), 1000);
	ck_assert_int_ge(pings, 100);
	ck_assert_msg(worst < 500000, "a PING waited %lld us during the snapshot", worst);
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

	node_start_chunks(&na, "node-a", "on", "16");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "CRASH", 1500);
	compact_and_wait(&na);
	rc = harness_redis_connect(&rs);
	snprintf(current, sizeof current, "%s", snapshot_field(rc, "name"));
	ck_assert(opened(c, "CRASHNEW"));
	journal_compact(c);
	WAIT_UNTIL((child = snapshot_child_of(na.pid)) != 0, 5000);
	ck_assert_int_ne(child, 0);
	/* Its first chunks are in Redis, with a TTL: the name is the one that is not current. */
	{
		struct harness_deadline dl = harness_deadline_in(5000);
		char current_key[128];
		snprintf(current_key, sizeof current_key, "ht:snapshot:%s:0", current);
		while (crashed[0] == '\0' && harness_poll(&dl)) {
			r = redisCommand(rc, "KEYS ht:snapshot:*:0");
			ck_assert_ptr_nonnull(r);
			for (size_t i = 0; i < r->elements; i++)
				if (strcmp(r->element[i]->str, current_key) != 0)
					sscanf(r->element[i]->str, "ht:snapshot:%63[^:]", crashed);
			freeReplyObject(r);
		}
	}
	ck_assert_msg(crashed[0] != '\0', "no chunk of the new snapshot in Redis");
	snprintf(key, sizeof key, "ht:snapshot:%s:0", crashed);
	ck_assert_int_gt(redis_num(rc, "PTTL", key), 0);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	WAIT_UNTIL(harness_info_num(&na, "replication", "snapshot_failures") == 1, 3000);
	ck_assert_int_eq(harness_info_num(&na, "replication", "snapshot_failures"), 1);
	ck_assert(daemon_log_wait(&na, "the snapshot process failed (signal 9)", 1000));
	ck_assert_str_eq(snapshot_field(rc, "name"), current);
	WAIT_UNTIL(redis_num(rc, "EXISTS", key) == 0, 3000);
	snprintf(key, sizeof key, "ht:snapshot:%s:*", crashed);
	ck_assert_int_eq(keys_matching(rc, key), 0);
	/* It tries again (a lease later) and that one becomes current. */
	WAIT_UNTIL(strcmp(snapshot_field(rc, "name"), current) != 0, 20000);
	ck_assert_str_ne(snapshot_field(rc, "name"), current);
	ck_assert_str_ne(snapshot_field(rc, "name"), crashed);
	node_start(&nb, "node-b");
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") == 1501, 10000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"), 1501);
	ck_assert_str_eq(serial_of(&nb, "1501"), "CRASHNEW");
	redisFree(rc);
	redisFree(c);
}
END_TEST

/* 'Z' once the process has exited and waits to be reaped; '\0' when it is gone. */
static char process_state(pid_t pid)
{
	char path[64], stat[256] = "";
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return '\0';
	if (fgets(stat, sizeof stat, f) == NULL || strchr(stat, ')') == NULL)
		stat[0] = '\0';
	fclose(f);
	return stat[0] ? strchr(stat, ')')[2] : '\0';
}

/*
 * Fencing: the leader frozen while its child writes the snapshot, and a
 * newer term fences the stream meanwhile (as a node that took over would).
 * Thawed, the leader's script is refused: the snapshot never becomes
 * current, its chunks are deleted, the leader steps down.
 */
START_TEST(test_fenced_leader_never_makes_its_snapshot_current)
{
	redisContext *c, *rc;
	char current[64], key[128];
	pid_t child = 0;

	node_start_chunks(&na, "node-a", "on", "16");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "FENCE", 1500);
	compact_and_wait(&na);
	rc = harness_redis_connect(&rs);
	snprintf(current, sizeof current, "%s", snapshot_field(rc, "name"));
	ck_assert(opened(c, "FENCENEW"));
	journal_compact(c);
	WAIT_UNTIL((child = snapshot_child_of(na.pid)) != 0, 5000);
	ck_assert_int_ne(child, 0);
	kill(na.pid, SIGSTOP);
	/* The child writes on, exits and waits for its frozen parent. */
	WAIT_UNTIL(process_state(child) == 'Z', 20000);
	ck_assert_int_eq(process_state(child), 'Z');
	fence_as_node_x(rc, 60000);
	ck_assert_int_eq(keys_matching(rc, "ht:snapshot:*:0"), 2);
	kill(na.pid, SIGCONT);
	WAIT_UNTIL(is_role(&na, "standby"), 3000);
	ck_assert_str_eq(harness_role_field(&na, "role"), "standby");
	ck_assert(daemon_log_wait(&na, "stepping down", 1000));
	ck_assert_str_eq(snapshot_field(rc, "name"), current);
	ck_assert_int_eq(harness_info_num(&na, "replication", "snapshots"), 2);
	/* Only the current snapshot's chunks are left. */
	WAIT_UNTIL(keys_matching(rc, "ht:snapshot:*:0") == 1, 3000);
	ck_assert_int_eq(keys_matching(rc, "ht:snapshot:*:0"), 1);
	snprintf(key, sizeof key, "ht:snapshot:%s:0", current);
	ck_assert_int_eq(redis_num(rc, "EXISTS", key), 1);
	redisFree(rc);
	redisFree(c);
}
END_TEST

/*
 * Redis restarted empty under write load (sync: off, so that writes go on
 * while the leader has no confirmation): the leader reships a snapshot,
 * written slowly in small chunks, holds the batches it commits meanwhile and
 * ships them after its marker. A standby started afterwards holds every
 * acknowledged write, the leader's data exactly.
 */
START_TEST(test_reship_under_load_holds_batches)
{
	char acks[256];
	redisContext *c;
	long long before;
	pid_t writer;

	node_start_chunks(&na, "node-a", "off", "64");
	WAIT_UNTIL(is_role(&na, "leader"), 5000);
	c = redisConnect("127.0.0.1", na.port);
	open_many(c, "RSBASE", 2000);
	compact_and_wait(&na);
	before = harness_info_num(&na, "replication", "snapshots");
	snprintf(acks, sizeof acks, "%s/acks", na.dir);
	writer = writer_start(&na, acks, NULL);
	WAIT_UNTIL(strlen(harness_file(acks)) > 200, 5000);
	harness_redis_kill(&rs);
	ck_assert(harness_redis_spawn(&rs, NULL));
	ck_assert(daemon_log_wait(&na, "started for a reship", 5000));
	WAIT_UNTIL(harness_info_num(&na, "replication", "snapshots") > before, 10000);
	if (harness_info_num(&na, "replication", "snapshots") <= before)
		fprintf(stderr, "%s\n", daemon_log(&na));
	ck_assert_int_gt(harness_info_num(&na, "replication", "snapshots"), before);
	usleep(300 * 1000);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	ck_assert_str_eq(harness_role_field(&na, "role"), "leader");
	ck_assert_int_gt(harness_info_num(&na, "replication", "snapshot_held_batches"), 0);
	ck_assert(opened(c, "RSLAST01"));
	redisFree(c);

	node_start(&nb, "node-b");
	WAIT_UNTIL(harness_info_num(&nb, "tickets", "tickets_total") ==
	                           harness_info_num(&na, "tickets", "tickets_total") &&
	                   harness_info_num(&nb, "replication", "lag") == 0,
	           10000);
	ck_assert_int_eq(harness_info_num(&nb, "tickets", "tickets_total"),
	                 harness_info_num(&na, "tickets", "tickets_total"));
	ck_assert_int_gt(check_acknowledged(&nb, acks), 100);
	ck_assert_int_eq(check_acknowledged(&na, acks), check_acknowledged(&nb, acks));
}
END_TEST

static Suite *ha_snapshot_suite(void)
{
	Suite *s = suite_create("ha_snapshot");
	TCase *tc = tcase_create("redis");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_standby_bootstraps_from_snapshot_after_trim);
	tcase_add_test(tc, test_snapshot_replaced_mid_read_starts_over);
	tcase_add_test(tc, test_leader_answers_while_snapshot_is_taken);
	tcase_add_test(tc, test_crashed_snapshot_child_is_cleaned);
	tcase_add_test(tc, test_reship_under_load_holds_batches);
	tcase_add_test(tc, test_fenced_leader_never_makes_its_snapshot_current);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(ha_snapshot_suite());
}
