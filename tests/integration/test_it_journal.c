/*
 * Integration: durability. Nothing acknowledged is ever lost: restarts,
 * kill -9 at random moments (also during compaction), a disk that fills up,
 * and the order "fdatasync before the reply" seen under strace.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;
static redisContext *rc;

static void start(const char *policy, const char *const *args)
{
	harness_start(&d, policy, args);
	rc = daemon_connect(&d);
}

static void respawn(const char *const *args)
{
	if (rc)
		redisFree(rc);
	ck_assert_msg(daemon_spawn(&d, args) == 0, "repaird did not restart:\n%s", daemon_log(&d));
	rc = daemon_connect(&d);
}

/* Disconnect and stop the daemon cleanly (exit 0). */
static void stop(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static void ok(redisReply *r)
{
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "error: %s", r->str);
	freeReplyObject(r);
}

static redisReply *open_ticket(redisContext *c, const char *serial, int received)
{
	return cmd(c, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL", serial,
	           "SERVICE", "repair", "MEMBER", "2001", "REGISTERED", "yes",
	           received ? "RECEIVED" : "NOTE", received ? "NOW" : "booked", NULL);
}

/* A flat text of every ticket and the ticket counters, for comparing states. */
static char *state_text(redisContext *c)
{
	redisReply *list = cmd(c, "TICKET.LIST", "ALL", "COUNT", "10000", NULL);
	redisReply *info = cmd(c, "INFO", "tickets", NULL);
	size_t cap = 1 << 20, n = 0;
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < list->elements; i++)
		for (size_t k = 0; k < list->element[i]->elements; k++)
			n += (size_t)snprintf(out + n, cap - n, "%s%c",
			                      list->element[i]->element[k]->str,
			                      k % 2 ? '\n' : '=');
	n += (size_t)snprintf(out + n, cap - n, "%s", info->str);
	freeReplyObject(list);
	freeReplyObject(info);
	return out;
}

START_TEST(test_restart_gives_the_same_state)
{
	char *before, *after, serial[16];

	start("policy: {over_limit: queue}", NULL);
	ok(cmd(rc, "MEMBER.SET", "2001", "TIER", "gold", "COUNTRY", "ZA", "NAME", "Zanele M",
	       NULL));
	ok(cmd(rc, "DEBUG.CLOCK", "2026-11-23T08:00:00Z", NULL));
	for (int i = 0; i < 5; i++) {
		snprintf(serial, sizeof serial, "SN%04d", i);
		ok(open_ticket(rc, serial, i != 4));
	}
	ok(cmd(rc, "TICKET.MOVE", "1", "awaiting_parts", "ETA", "2026-12-04T12:00:00Z", "NOTE",
	       "shutter unit", NULL));
	ok(cmd(rc, "LOAN.ISSUE", "1", "SERIAL", "LOAN01", NULL));
	ok(cmd(rc, "TICKET.MOVE", "2", "ready", NULL));           /* promotes the queued fourth */
	ok(cmd(rc, "DEBUG.CLOCK", "2026-11-27T12:00:00Z", NULL)); /* breaches */
	before = state_text(rc);
	ck_assert_ptr_nonnull(strstr(before, "breached=1"));
	ck_assert_ptr_nonnull(strstr(before, "queued=0"));
	stop();
	respawn(NULL);
	after = state_text(rc);
	ck_assert_str_eq(before, after);
	/* And it goes on: new ids continue, history is whole. */
	{
		redisReply *r = open_ticket(rc, "SN9999", 1);
		ck_assert_str_eq(field(r, "id"), "6");
		freeReplyObject(r);
		r = cmd(rc, "TICKET.HISTORY", "1", NULL);
		ck_assert_uint_ge(r->elements, 5);
		freeReplyObject(r);
	}
	free(before);
	free(after);
}
END_TEST

/* A ticket with only what TICKET.OPEN needs; the reply, or NULL when none came (no check). */
static redisReply *open_plain(redisContext *c, const char *serial)
{
	return redisCommand(c, "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL %s SERVICE repair",
	                    "EOS R5", serial);
}

/* A writer in a child process: books tickets one by one and reports each acknowledged one. */
static pid_t start_writer(int port, int round, int *readfd)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		redisContext *c = redisConnect("127.0.0.1", port);
		close(fds[0]);
		for (int i = 0; c && !c->err; i++) {
			char serial[32], line[64];
			redisReply *r;
			snprintf(serial, sizeof serial, "R%02dN%05d", round, i);
			r = open_plain(c, serial);
			if (r == NULL || r->type != REDIS_REPLY_ARRAY)
				break;
			snprintf(line, sizeof line, "%s %s\n", r->element[1]->str, serial);
			freeReplyObject(r);
			if (write(fds[1], line, strlen(line)) < 0)
				break;
		}
		_exit(0);
	}
	close(fds[1]);
	*readfd = fds[0];
	return pid;
}

START_TEST(test_kill9_at_random_moments)
{
	static char acked[1 << 20];
	size_t nacked = 0;
	unsigned seed = 20261123;

	start(NULL, NULL);
	redisFree(rc);
	rc = NULL;
	for (int round = 0; round < 20; round++) {
		int fd;
		pid_t w = start_writer(d.port, round, &fd);
		ssize_t got;
		redisReply *r;
		char *line;
		long long count;

		usleep(20000 + (useconds_t)(rand_r(&seed) % 150000));
		daemon_kill9(&d);
		while ((got = read(fd, acked + nacked, sizeof acked - nacked - 1)) > 0)
			nacked += (size_t)got;
		close(fd);
		waitpid(w, NULL, 0);
		acked[nacked] = '\0';
		respawn(NULL);
		/* Every acknowledged ticket is there, with its serial. */
		for (line = acked; *line;) {
			char id[16], serial[32];
			char *nl = strchr(line, '\n');
			ck_assert_int_eq(sscanf(line, "%15s %31s", id, serial), 2);
			r = cmd(rc, "TICKET.GET", id, NULL);
			ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "round %d: ticket %s lost (%s)",
			              round, id, r->str ? r->str : "");
			ck_assert_str_eq(field(r, "serial"), serial);
			freeReplyObject(r);
			line = nl + 1;
		}
		/* Nothing invented: at most the one request in flight per round besides. */
		r = cmd(rc, "INFO", "tickets", NULL);
		ck_assert_int_eq(
		        sscanf(strstr(r->str, "tickets_total:"), "tickets_total:%lld", &count), 1);
		freeReplyObject(r);
		{
			long long lines = 0;
			for (char *p = acked; *p; p++)
				lines += *p == '\n';
			ck_assert_msg(count >= lines && count <= lines + round + 1,
			              "round %d: %lld tickets, %lld acknowledged", round, count,
			              lines);
		}
		redisFree(rc);
		rc = NULL;
	}
	ck_assert_uint_gt(nacked, 0);
}
END_TEST

/* INFO persistence: one compaction done, none running. */
static bool compacted_once(void)
{
	redisReply *r = cmd(rc, "INFO", "persistence", NULL);
	bool done =
	        strstr(r->str, "compacting:0") != NULL && strstr(r->str, "compactions:1") != NULL;

	freeReplyObject(r);
	return done;
}

START_TEST(test_kill9_during_compaction)
{
	char serial[16];
	unsigned seed = 7;

	start(NULL, NULL);
	for (int i = 0; i < 1500; i++) {
		snprintf(serial, sizeof serial, "C%05d", i);
		redisAppendCommand(rc,
		                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL %s SERVICE "
		                   "repair",
		                   "EOS R5", serial);
	}
	for (int i = 0; i < 1500; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		freeReplyObject(r);
	}
	for (int round = 0; round < 6; round++) {
		redisReply *r;
		redisAppendCommand(rc, "JOURNAL.COMPACT");
		ck_assert_int_eq(redisBufferWrite(rc, &(int){0}), REDIS_OK);
		usleep((useconds_t)(rand_r(&seed) % 20000));
		daemon_kill9(&d);
		respawn(NULL);
		r = cmd(rc, "TICKET.GET", "1500", NULL);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "round %d: %s", round, r->str);
		ck_assert_str_eq(field(r, "serial"), "C01499");
		freeReplyObject(r);
		r = cmd(rc, "INFO", "tickets", NULL);
		ck_assert_ptr_nonnull(strstr(r->str, "tickets_total:1500\r\n"));
		freeReplyObject(r);
	}
	/* A compaction that completes, with changes made while it runs: nothing lost. */
	{
		char *before, *after;
		int done = 0;
		ok(cmd(rc, "JOURNAL.COMPACT", NULL));
		for (int i = 0; i < 50; i++) {
			snprintf(serial, sizeof serial, "D%05d", i);
			ok(open_ticket(rc, serial, 1));
		}
		WAIT_UNTIL((done = compacted_once()), 10000);
		ck_assert_msg(done, "compaction did not finish");
		ok(open_ticket(rc, "AFTER1", 1));
		before = state_text(rc);
		stop();
		respawn(NULL);
		after = state_text(rc);
		ck_assert_str_eq(before, after);
		ck_assert_ptr_nonnull(strstr(after, "tickets_total:1551"));
		free(before);
		free(after);
	}
}
END_TEST

/*
 * Book tickets (serials <prefix>000000, <prefix>000001, ...) until one gets no
 * reply (the daemon exited, or holds it): how many were acknowledged.
 */
static int book_until_no_reply(char prefix)
{
	char serial[16];
	int acked = 0;

	for (int i = 0; i < 100000; i++) {
		redisReply *r;
		snprintf(serial, sizeof serial, "%c%06d", prefix, i);
		r = open_plain(rc, serial);
		if (r == NULL)
			return acked;
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		freeReplyObject(r);
		acked++;
	}
	ck_abort_msg("%d tickets acknowledged and the disk never filled", acked);
	return acked;
}

START_TEST(test_disk_full_under_always_exits_and_loses_nothing)
{
	/* Quiet: the file-size limit applies to the log file too. */
	const char *args[] = {"--fsize=300000", "--log-level", "warning", NULL};
	int acked, status;

	start(NULL, args);
	acked = book_until_no_reply('F');
	ck_assert_int_gt(acked, 10);
	waitpid(d.pid, &status, 0);
	d.pid = 0;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 74);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "exiting without acknowledging"));
	respawn(NULL);
	{
		char id[16];
		redisReply *r;
		snprintf(id, sizeof id, "%d", acked);
		r = cmd(rc, "TICKET.GET", id, NULL);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "ticket %s lost", id);
		freeReplyObject(r);
		snprintf(id, sizeof id, "%d", acked + 1);
		r = cmd(rc, "TICKET.GET", id, NULL);
		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR); /* never acknowledged, not there */
		freeReplyObject(r);
	}
}
END_TEST

/* INFO persistence says the last journal write failed (and has not been retried yet). */
static bool journal_failed(redisContext *c)
{
	redisReply *r = cmd(c, "INFO", "persistence", NULL);
	bool failed = r->type == REDIS_REPLY_STRING && strstr(r->str, "write_failed:1") != NULL;

	freeReplyObject(r);
	return failed;
}

START_TEST(test_disk_full_under_everysec_answers_ioerr_and_resumes)
{
	const char *args[] = {"--fsize=200000", "--log-level", "warning", NULL};
	redisContext *other;
	struct rlimit big = {RLIM_INFINITY, RLIM_INFINITY};
	struct timeval quick = {0, 500000};
	int acked;
	redisReply *r;

	start("journal: {fsync: everysec}", args);
	other = daemon_connect(&d);
	redisSetTimeout(rc, quick);
	acked = book_until_no_reply('E'); /* the last one held: its change is not on disk */
	/* Changes are refused, reads are served. */
	r = open_ticket(other, "ZZ0001", 0);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "IOERR", 5) == 0, "%s", r->str);
	freeReplyObject(r);
	r = cmd(other, "TICKET.GET", "1", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	ck_assert(journal_failed(other));
	/* Space again: the retry succeeds and writes go on. */
	ck_assert_int_eq(prlimit(d.pid, RLIMIT_FSIZE, &big, NULL), 0);
	WAIT_UNTIL(!journal_failed(other), 5000);
	r = open_ticket(other, "ZZ0002", 0);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s", r->str ? r->str : "");
	freeReplyObject(r);
	redisFree(other);
	stop();
	respawn(NULL);
	{
		char id[16];
		snprintf(id, sizeof id, "%d", acked);
		r = cmd(rc, "TICKET.GET", id, NULL);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "ticket %s lost", id);
		freeReplyObject(r);
	}
}
END_TEST

static long long file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/*
 * The journal keeps zeros written ahead of its last record, so that a commit
 * overwrites instead of growing the file (one write less per fdatasync): a
 * kill -9 leaves them, and they are the end, not damage; a record torn over
 * them is cut as any torn tail; a clean stop leaves the journal exact.
 */
START_TEST(test_zeros_written_ahead_of_the_journal)
{
	char path[256], serial[16];
	long long logical;
	int fd;

	start(NULL, NULL);
	snprintf(path, sizeof path, "%s/state/journal", d.dir);
	for (int i = 0; i < 20; i++) {
		snprintf(serial, sizeof serial, "ZA%04d", i);
		ok(open_ticket(rc, serial, i % 2));
	}
	WAIT_UNTIL(harness_info_num(&d, "persistence", "journal_zeros_ahead") > 0, 5000);
	logical = harness_info_num(&d, "persistence", "journal_size");
	ck_assert_int_gt(harness_info_num(&d, "persistence", "journal_zeros_ahead"), 0);
	ck_assert_int_gt(file_bytes(path), logical);
	daemon_kill9(&d);
	respawn(NULL);
	ck_assert_msg(strstr(daemon_log(&d), "torn") == NULL, "%s", daemon_log(&d));
	ck_assert_int_eq(harness_info_num(&d, "persistence", "journal_size"), logical);
	ck_assert_int_eq(harness_info_num(&d, "tickets", "tickets_total"), 20);
	ok(open_ticket(rc, "ZA0020", 1));
	logical = harness_info_num(&d, "persistence", "journal_size");
	ck_assert_int_gt(file_bytes(path), logical);
	/* Half a record over the zeros, as a crash during its write would leave it. */
	daemon_kill9(&d);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x40\x00\x00\x00\x01garbage", 12, (off_t)logical), 12);
	close(fd);
	respawn(NULL);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "torn record"));
	ck_assert_int_eq(harness_info_num(&d, "persistence", "journal_size"), logical);
	{
		redisReply *r = cmd(rc, "TICKET.GET", "21", NULL);
		ck_assert_str_eq(field(r, "serial"), "ZA0020");
		freeReplyObject(r);
	}
	/* A clean stop: the file is the records, no zeros after them. */
	ok(open_ticket(rc, "ZA0021", 1));
	WAIT_UNTIL(harness_info_num(&d, "persistence", "journal_zeros_ahead") > 0, 5000);
	ck_assert_int_gt(harness_info_num(&d, "persistence", "journal_zeros_ahead"), 0);
	stop();
	{
		char command[512];
		const char *out;
		snprintf(command, sizeof command, "%s --check-journal %s >%s/check.txt",
		         getenv("REPAIRD_BIN"), path, d.dir);
		ck_assert_int_eq(WEXITSTATUS(system(command)), 0);
		snprintf(command, sizeof command, "%s/check.txt", d.dir);
		out = harness_file(command);
		ck_assert_msg(strstr(out, ": ok, ") != NULL && strstr(out, "zeros") == NULL, "%s",
		              out);
	}
	respawn(NULL);
	ck_assert_int_eq(harness_info_num(&d, "tickets", "tickets_total"), 22);
	ck_assert_int_eq(file_bytes(path), harness_info_num(&d, "persistence", "journal_size"));
}
END_TEST

/*
 * A compaction replaces the file: the zeros counted ahead were the old
 * file's. The new one gets its own (INFO tells what is on disk), not none
 * until it has grown to the old file's size.
 */
START_TEST(test_zeros_ahead_after_a_compaction_are_the_new_files)
{
	char path[256], serial[16];
	long long zeros = -1, disk = -2;

	start(NULL, NULL);
	snprintf(path, sizeof path, "%s/state/journal", d.dir);
	for (int i = 0; i < 20; i++) {
		snprintf(serial, sizeof serial, "ZC%04d", i);
		ok(open_ticket(rc, serial, i % 2));
	}
	WAIT_UNTIL(harness_info_num(&d, "persistence", "journal_zeros_ahead") > 0, 5000);
	ok(cmd(rc, "JOURNAL.COMPACT", NULL));
	WAIT_UNTIL(compacted_once(), 10000);
	ck_assert(compacted_once());
	ok(open_ticket(rc, "ZC0020", 1));
	WAIT_UNTIL((zeros = harness_info_num(&d, "persistence", "journal_zeros_ahead"),
	            disk = file_bytes(path) - harness_info_num(&d, "persistence", "journal_size"),
	            zeros > 0 && zeros == disk),
	           5000);
	ck_assert_int_gt(disk, 0);
	ck_assert_int_eq(zeros, disk);
}
END_TEST

/*
 * Where the last batch a journal file holds begins: after the commit record
 * (types 8 and 13) that ends the batch before it. Read as the format says
 * (length, type, payload, CRC), up to the zeros written ahead.
 */
static long long last_batch_start(const char *path)
{
	static unsigned char buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n, off = 0, prev_commit_end = 0, commit_end = 0, rec_end = 0;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	while (off + 9 <= n) {
		size_t plen = (size_t)buf[off] | (size_t)buf[off + 1] << 8 |
		              (size_t)buf[off + 2] << 16 | (size_t)buf[off + 3] << 24;
		if (plen == 0 && buf[off + 4] == 0)
			break; /* the zeros */
		if (buf[off + 4] == 8 || buf[off + 4] == 13) {
			prev_commit_end = commit_end;
			commit_end = off + 9 + plen;
		}
		off += 9 + plen;
		rec_end = off;
	}
	return (long long)(commit_end == rec_end ? prev_commit_end : commit_end);
}

/* Zeros over the first bytes at off, as a page the disk never got leaves them. */
static void lose_bytes(const char *path, long long off)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\0\0\0\0\0\0", 6, (off_t)off), 6);
	close(fd);
}

/*
 * A power failure during a commit: its pages may reach the disk in any
 * order, so the commit's first bytes can be lost (still the zeros written
 * ahead) while its later ones arrived. Simulated on a killed daemon's file:
 * replay cuts that last commit as torn and starts; the same loss in a batch
 * with whole batches after it (synced before they were written) is damage.
 */
START_TEST(test_commit_torn_by_a_power_failure_is_cut)
{
	char path[256], serial[16];
	long long moved, last;

	start(NULL, NULL);
	snprintf(path, sizeof path, "%s/state/journal", d.dir);
	for (int i = 0; i < 5; i++) {
		snprintf(serial, sizeof serial, "PF%04d", i);
		ok(open_ticket(rc, serial, 1));
	}
	moved = harness_info_num(&d, "persistence", "journal_size");
	ok(cmd(rc, "TICKET.MOVE", "5", "diagnosing", "NOTE", "the last commit, torn", NULL));
	usleep(300 * 1000); /* whatever follows the move (a delivery noted) is written too */
	daemon_kill9(&d);
	last = last_batch_start(path);
	ck_assert_int_ge(last, moved);
	lose_bytes(path, last);
	respawn(NULL);
	ck_assert_msg(strstr(daemon_log(&d), "torn record") != NULL, "%s", daemon_log(&d));
	ck_assert_int_eq(harness_info_num(&d, "persistence", "journal_size"), last);
	{
		redisReply *r = cmd(rc, "TICKET.GET", "5", NULL);
		ck_assert_str_eq(field(r, "serial"), "PF0004");
		freeReplyObject(r);
	}
	/* The same loss in the move's batch with two whole batches after it: damage. */
	moved = harness_info_num(&d, "persistence", "journal_size");
	ok(cmd(rc, "TICKET.MOVE", "4", "diagnosing", NULL));
	usleep(100 * 1000);
	ok(cmd(rc, "TICKET.MOVE", "3", "diagnosing", NULL));
	ok(cmd(rc, "TICKET.MOVE", "2", "diagnosing", NULL));
	daemon_kill9(&d);
	lose_bytes(path, moved);
	ck_assert_int_ne(daemon_spawn(&d, NULL), 0);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "is damaged at offset"));
}
END_TEST

START_TEST(test_torn_tail_is_cut_and_damage_refused)
{
	char path[256], command[512];
	FILE *f;
	long size;

	start(NULL, NULL);
	ok(open_ticket(rc, "TT0001", 0));
	ok(open_ticket(rc, "TT0002", 0));
	stop();
	snprintf(path, sizeof path, "%s/state/journal", d.dir);
	/* A torn tail: half a record. */
	f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fwrite("\x40\x00\x00\x00\x01garbage", 1, 12, f);
	fclose(f);
	respawn(NULL);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "torn record"));
	{
		redisReply *r = cmd(rc, "TICKET.GET", "2", NULL);
		ck_assert_str_eq(field(r, "serial"), "TT0002");
		freeReplyObject(r);
	}
	stop();
	/* Damage in the middle: refuse to start, name the offset, point to --check-journal. */
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	fputc('#', f);
	fclose(f);
	ck_assert_int_ne(daemon_spawn(&d, NULL), 0);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "is damaged at offset"));
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "--check-journal"));
	/* And it says so with its exit status, not a crash. */
	snprintf(command, sizeof command,
	         "%s --config %s --listen 127.0.0.1:%d --unix '' --state-dir %s/state "
	         "--debug-clock 2>/dev/null",
	         getenv("REPAIRD_BIN"), d.config, d.port, d.dir);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 69);
	snprintf(command, sizeof command, "%s --check-journal %s >/dev/null", getenv("REPAIRD_BIN"),
	         path);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 65);
	snprintf(command, sizeof command, "%s --check-journal %s --fix >/dev/null",
	         getenv("REPAIRD_BIN"), path);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 0);
	respawn(NULL);
}
END_TEST

START_TEST(test_fdatasync_before_the_reply)
{
	char trace[256], line[512];
	const char *args[] = {trace, NULL};
	int read_at = 0, sync_at = 0, reply_at = 0, n = 0;
	char tmp[192];
	FILE *f;

	if (access("/usr/bin/strace", X_OK) != 0 ||
	    system("/usr/bin/strace -f -o /dev/null true >/dev/null 2>&1") != 0) {
		/* Not there, or ptrace is not allowed here (some containers). */
		fprintf(stderr, "strace not usable: skipping the fdatasync-order test\n");
		return;
	}
	snprintf(tmp, sizeof tmp, "/tmp/repaird-strace-%d.txt", (int)getpid());
	snprintf(trace, sizeof trace, "--strace=%s", tmp);
	start(NULL, args);
	ok(cmd(rc, "PING", NULL));
	ok(open_ticket(rc, "ST0001", 0));
	redisFree(rc);
	rc = NULL;
	daemon_stop(&d);
	f = fopen(tmp, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		n++;
		if (!read_at && strstr(line, "TICKET") &&
		    (strstr(line, "read") || strstr(line, "recv")))
			read_at = n;
		if (read_at && !sync_at && strstr(line, "fdatasync("))
			sync_at = n;
		if (read_at && !reply_at && strstr(line, "*60\\r\\n"))
			reply_at = n;
	}
	fclose(f);
	unlink(tmp);
	ck_assert_msg(read_at > 0 && sync_at > 0 && reply_at > 0,
	              "trace incomplete: request %d, fdatasync %d, reply %d", read_at, sync_at,
	              reply_at);
	ck_assert_msg(read_at < sync_at && sync_at < reply_at,
	              "order: request %d, fdatasync %d, reply %d", read_at, sync_at, reply_at);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("durability");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restart_gives_the_same_state);
	tcase_add_test(tc, test_kill9_at_random_moments);
	tcase_add_test(tc, test_kill9_during_compaction);
	tcase_add_test(tc, test_disk_full_under_always_exits_and_loses_nothing);
	tcase_add_test(tc, test_disk_full_under_everysec_answers_ioerr_and_resumes);
	tcase_add_test(tc, test_torn_tail_is_cut_and_damage_refused);
	tcase_add_test(tc, test_zeros_written_ahead_of_the_journal);
	tcase_add_test(tc, test_commit_torn_by_a_power_failure_is_cut);
	tcase_add_test(tc, test_zeros_ahead_after_a_compaction_are_the_new_files);
	tcase_add_test(tc, test_fdatasync_before_the_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(journal_suite());
}
