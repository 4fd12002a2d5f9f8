/*
 * Integration: retention. With retention.closed_days: 0 a compaction moves
 * every closed ticket out of memory and the journal into
 * state_dir/archive/YEAR.ndjson: INFO counts them out, the archive holds
 * them (parsed by python's json), the journal shrinks, a restart replays
 * without them, their ids are not reused, `repaird --archive` finds one,
 * and kill -9 during the compaction loses none.
 */
#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define RETENTION "retention: {closed_days: 0}\n"
#define NTICKETS  1500

static struct daemon d;
static redisContext *rc;

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static void respawn(void)
{
	if (rc)
		redisFree(rc);
	ck_assert_msg(daemon_spawn(&d, NULL) == 0, "repaird did not restart:\n%s", daemon_log(&d));
	rc = daemon_connect(&d);
}

static void ok(redisReply *r)
{
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "error: %s", r->str);
	freeReplyObject(r);
}

/* Send every command first, then read every reply: each must not be an error. */
static void pipeline_ok(void)
{
	while (1) {
		int done = 0;
		ck_assert_int_eq(redisBufferWrite(rc, &done), REDIS_OK);
		if (done)
			break;
	}
}

/* n tickets opened received; those with id % keep_every != 0 returned (ready, returned). */
static void open_and_close(int n, int keep_every)
{
	char id[24];
	size_t sent = 0;

	for (int i = 1; i <= n; i++) {
		redisAppendCommand(rc,
		                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL R%05d SERVICE "
		                   "repair RECEIVED NOW",
		                   "EOS R5", i);
		sent++;
	}
	pipeline_ok();
	for (size_t i = 0; i < sent; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
		freeReplyObject(r);
	}
	sent = 0;
	for (int i = 1; i <= n; i++) {
		if (i % keep_every == 0)
			continue;
		snprintf(id, sizeof id, "%d", i);
		redisAppendCommand(rc, "TICKET.MOVE %s ready", id);
		redisAppendCommand(rc, "TICKET.MOVE %s returned", id);
		sent += 2;
	}
	pipeline_ok();
	for (size_t i = 0; i < sent; i++) {
		redisReply *r;
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
		freeReplyObject(r);
	}
}

static long long info_value(const char *key)
{
	redisReply *r = cmd(rc, "INFO", "tickets", NULL);
	char want[64];
	const char *p;
	long long v = -1;

	snprintf(want, sizeof want, "%s:", key);
	p = strstr(r->str, want);
	if (p)
		v = atoll(p + strlen(want));
	freeReplyObject(r);
	return v;
}

static long long compactions(void)
{
	redisReply *r = cmd(rc, "INFO", "persistence", NULL);
	const char *p = strstr(r->str, "compactions:");
	long long v = p ? atoll(p + strlen("compactions:")) : -1;
	bool running = strstr(r->str, "compacting:1") != NULL;

	freeReplyObject(r);
	return running ? -1 : v;
}

static long long file_size(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", d.dir, name);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The ids in the archive files ("{"id":N," at the start of each line); seen[id] = true. */
static size_t archive_ids(bool *seen, size_t max)
{
	char dir[256], path[600];
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	snprintf(dir, sizeof dir, "%s/state/archive", d.dir);
	memset(seen, 0, max * sizeof *seen);
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		char line[8192];
		FILE *f;
		if (strstr(de->d_name, ".ndjson") == NULL)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof line, f)) {
			unsigned long long id;
			ck_assert_msg(sscanf(line, "{\"id\":%llu,", &id) == 1, "line: %s", line);
			ck_assert_msg(id < max, "id %llu", id);
			if (!seen[id])
				n++;
			seen[id] = true;
		}
		fclose(f);
	}
	closedir(dp);
	return n;
}

START_TEST(test_closed_tickets_leave_for_the_archive)
{
	static bool seen[NTICKETS + 2];
	long long journal_before, journal_after;
	redisReply *r;
	char *out = NULL, *err = NULL;
	const char *bin = getenv("REPAIRD_BIN");
	char idarg[16], state[160];

	ck_assert_ptr_nonnull(bin);
	ck_assert_int_eq(daemon_start(&d, RETENTION, NULL), 0);
	rc = daemon_connect(&d);
	/* 1500 tickets; every third stays open: 1000 are closed. */
	open_and_close(NTICKETS, 3);
	ck_assert_int_eq(info_value("tickets_in_memory"), NTICKETS);
	journal_before = file_size("state/journal");
	ok(cmd(rc, "JOURNAL.COMPACT", NULL));
	WAIT_UNTIL(compactions() == 1, 20000);
	ck_assert_int_eq(compactions(), 1);

	ck_assert_int_eq(info_value("tickets_total"), NTICKETS);
	ck_assert_int_eq(info_value("tickets_in_memory"), 500);
	ck_assert_int_eq(info_value("tickets_archived"), 1000);
	ck_assert_int_eq(info_value("tickets_open"), 500);
	journal_after = file_size("state/journal");
	ck_assert_msg(journal_after * 2 < journal_before, "journal %lld -> %lld bytes",
	              journal_before, journal_after);
	/* Every closed ticket in the archive, once, and valid JSON with its history. */
	ck_assert_uint_eq(archive_ids(seen, NTICKETS + 2), 1000);
	for (int i = 1; i <= NTICKETS; i++)
		ck_assert_msg(seen[i] == (i % 3 != 0), "ticket %d archived: %d", i, seen[i]);
	ck_assert_int_eq(
	        harness_system(
	                "cat %s/state/archive/*.ndjson | python3 -c 'import json,sys\n"
	                "n=0\n"
	                "for l in sys.stdin:\n"
	                "  t=json.loads(l); n+=1\n"
	                "  assert t[\"state\"]==\"returned\" and t[\"serial\"].startswith(\"R\")\n"
	                "  assert t[\"history\"][-1][\"detail\"]==\"ready -> returned\", t\n"
	                "  assert isinstance(t[\"id\"], int) and t[\"received_at\"]\n"
	                "assert n==1000, n'",
	                d.dir),
	        0);

	r = cmd(rc, "TICKET.GET", "1", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "NOTFOUND", 8) == 0 && strstr(r->str, "archived") &&
	                      strstr(r->str, "repaird --archive"),
	              "%s", r->str);
	freeReplyObject(r);
	r = cmd(rc, "TICKET.GET", "3", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);

	/* A restart replays without them; the ids go on after the archived ones. */
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
	respawn();
	ck_assert_int_eq(info_value("tickets_in_memory"), 500);
	ck_assert_int_eq(info_value("tickets_total"), NTICKETS);
	r = cmd(rc, "TICKET.GET", "2", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ERROR && strstr(r->str, "archived"), "%s", r->str);
	freeReplyObject(r);
	r = cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL", "NEW1",
	        "SERVICE", "repair", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_str_eq(field(r, "id"), "1501");
	freeReplyObject(r);

	/* repaird --archive STATE_DIR ID */
	snprintf(state, sizeof state, "%s/state", d.dir);
	{
		const char *argv[] = {bin, "--archive", state, "1000", NULL};
		ck_assert_int_eq(harness_run(d.dir, NULL, NULL, NULL, argv, &out, &err), 0);
		ck_assert_msg(strncmp(out, "{\"id\":1000,", 11) == 0, "%s", out);
		ck_assert_ptr_nonnull(strstr(out, "\"serial\":\"R01000\""));
		free(out);
		free(err);
	}
	{
		const char *argv[] = {bin, "--archive", state, "3", NULL};
		ck_assert_int_eq(harness_run(d.dir, NULL, NULL, NULL, argv, &out, &err), 66);
		ck_assert_ptr_nonnull(strstr(err, "not in the archive"));
		free(out);
		free(err);
	}
	{
		const char *argv[] = {bin, "--archive", state, "x1", NULL};
		ck_assert_int_eq(harness_run(d.dir, NULL, NULL, NULL, argv, &out, &err), 65);
		free(out);
		free(err);
	}
	{
		/* --archive ID with --config: the configuration's state directory. */
		snprintf(idarg, sizeof idarg, "%d", 1499);
		char conf[512];
		FILE *f;
		snprintf(conf, sizeof conf, "%s/archive.yaml", d.dir);
		f = fopen(conf, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s", harness_file(d.config));
		fprintf(f, "server: {state_dir: %s}\n", state);
		fclose(f);
		const char *argv[] = {bin, "--config", conf, "--archive", idarg, NULL};
		ck_assert_msg(harness_run(d.dir, NULL, NULL, NULL, argv, &out, &err) == 0, "%s",
		              err);
		ck_assert_msg(strncmp(out, "{\"id\":1499,", 11) == 0, "%s", out);
		free(out);
		free(err);
	}
}
END_TEST

/* kill -9 at random moments of a compaction that archives: every ticket is somewhere. */
START_TEST(test_kill9_during_archiving_loses_nothing)
{
	static bool seen[NTICKETS + 2];
	unsigned seed = 11;

	ck_assert_int_eq(daemon_start(&d, RETENTION, NULL), 0);
	rc = daemon_connect(&d);
	open_and_close(NTICKETS, 5);
	for (int round = 0; round < 5; round++) {
		long long in_memory;
		size_t missing = 0;
		redisAppendCommand(rc, "JOURNAL.COMPACT");
		pipeline_ok();
		usleep((useconds_t)(rand_r(&seed) % 30000));
		daemon_kill9(&d);
		respawn();
		archive_ids(seen, NTICKETS + 2);
		in_memory = info_value("tickets_in_memory");
		ck_assert_int_eq(info_value("tickets_total"), NTICKETS);
		for (int i = 1; i <= NTICKETS; i++) {
			char id[16];
			redisReply *r;
			snprintf(id, sizeof id, "%d", i);
			r = cmd(rc, "TICKET.GET", id, NULL);
			if (r->type != REDIS_REPLY_ARRAY && !seen[i])
				missing++;
			if (r->type != REDIS_REPLY_ARRAY)
				ck_assert_msg(strstr(r->str, "archived"), "%d: %s", i, r->str);
			freeReplyObject(r);
		}
		ck_assert_msg(missing == 0, "round %d: %zu tickets neither in memory nor archived",
		              round, missing);
		ck_assert_int_ge(in_memory, 300);
	}
	/* A compaction that completes: only the open ones stay. */
	ok(cmd(rc, "JOURNAL.COMPACT", NULL));
	WAIT_UNTIL(compactions() >= 1, 20000);
	ck_assert_int_eq(info_value("tickets_in_memory"), 300);
	ck_assert_uint_ge(archive_ids(seen, NTICKETS + 2), 1200);
}
END_TEST

static Suite *retention_suite(void)
{
	Suite *s = suite_create("retention");
	TCase *tc = tcase_create("archive");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_closed_tickets_leave_for_the_archive);
	tcase_add_test(tc, test_kill9_during_archiving_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(retention_suite());
}
