/*
 * Integration: a failed fdatasync under `fsync: everysec` is never retried
 * and trusted (Linux may have dropped the pages whose write-back failed and
 * report the next fdatasync as a success). repaird writes the whole journal
 * again from memory, or exits with EX_IOERR when even that fails. The
 * failure is injected with strace; the suite skips where ptrace is denied.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;
static pid_t tracer; /* strace */
static pid_t traced; /* the repaird it runs: a tracer's death detaches it, never kills it */

static bool strace_usable(void)
{
	if (access("/usr/bin/strace", X_OK) != 0 ||
	    system("/usr/bin/strace -f -o /dev/null true >/dev/null 2>&1") != 0) {
		fprintf(stderr, "strace not usable here (missing, or ptrace denied): skipping\n");
		return false;
	}
	return true;
}

/*
 * The pid of the repaird answering on our own unix socket (so surely ours, not
 * another suite's daemon on a reused port), or 0 while none answers.
 */
static pid_t own_daemon_pid(void)
{
	redisContext *c = redisConnectUnix(d.sock);
	redisReply *info = c && !c->err ? redisCommand(c, "INFO server") : NULL;
	const char *p = info && info->str ? strstr(info->str, "process_id:") : NULL;
	pid_t pid = p ? (pid_t)atoi(p + strlen("process_id:")) : 0;

	if (info)
		freeReplyObject(info);
	if (c)
		redisFree(c);
	return pid;
}

/*
 * Start repaird (already configured in d by daemon_start) under strace with
 * fdatasync failing as `when` says (strace's syntax: "1" the first call only,
 * "1+" every call). Returns once it answers on its unix socket. A port that
 * another process took meanwhile makes it exit: then again on a new port.
 */
static void spawn_injected(const char *when)
{
	char listen[64], state[192], inject[96], trace[256];
	const char *bin = getenv("REPAIRD_BIN");

	snprintf(state, sizeof state, "%s/state", d.dir);
	snprintf(inject, sizeof inject, "inject=fdatasync:error=EIO:when=%s", when);
	snprintf(trace, sizeof trace, "%s/strace.txt", d.dir);
	for (int attempt = 0; attempt < 5; attempt++) {
		snprintf(listen, sizeof listen, "127.0.0.1:%d", d.port);
		tracer = fork();
		ck_assert_int_ge(tracer, 0);
		if (tracer == 0) {
			FILE *log = freopen(d.log, "a", stderr);
			(void)log;
			execl("/usr/bin/strace", "strace", "-f", "-o", trace, "-e",
			      "trace=fdatasync", "-e", inject, bin ? bin : "build/repaird",
			      "--config", d.config, "--listen", listen, "--unix", d.sock,
			      "--state-dir", state, "--debug-clock=2026-11-23T07:00:00Z",
			      (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) {
			if ((traced = own_daemon_pid()) > 0)
				return;
			if (waitpid(tracer, NULL, WNOHANG) == tracer) {
				tracer = 0; /* it did not start (the port, most likely) */
				break;
			}
			usleep(50000);
		}
		if (tracer > 0)
			break;
		d.port = harness_free_port();
	}
	ck_abort_msg("repaird under strace did not answer:\n%s", daemon_log(&d));
}

/* Kill the traced repaird first (kill -9), then its tracer; reap what is ours. */
static void kill_traced(void)
{
	if (traced > 0) {
		kill(traced, SIGKILL);
		/* Not our child: wait until it is gone (its port closes). */
		for (int i = 0; i < 200 && kill(traced, 0) == 0; i++)
			usleep(20000);
		traced = 0;
	}
	if (tracer > 0) {
		kill(tracer, SIGKILL);
		waitpid(tracer, NULL, 0);
		tracer = 0;
	}
}

static void teardown(void)
{
	kill_traced();
	daemon_cleanup(&d);
}

static void open_tickets(redisContext *c, int from, int n)
{
	char serial[16];

	for (int i = from; i < from + n; i++) {
		snprintf(serial, sizeof serial, "FS%04d", i);
		redisReply *r = cmd(c, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
		                    "SERIAL", serial, "SERVICE", "repair", NULL);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN: %s", r->str);
		freeReplyObject(r);
	}
}

/* Wait (up to 10 s) until the daemon's log holds text. */
static bool log_shows(const char *text)
{
	for (int i = 0; i < 200; i++) {
		if (strstr(daemon_log(&d), text))
			return true;
		usleep(50000);
	}
	return false;
}

static long info_number(redisContext *c, const char *key)
{
	redisReply *r = cmd(c, "INFO", "persistence", NULL);
	const char *p = strstr(r->str, key);
	long v = p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;

	freeReplyObject(r);
	return v;
}

START_TEST(test_failed_fdatasync_rewrites_the_journal_from_memory)
{
	redisContext *c;
	redisReply *r;

	if (!strace_usable())
		return;
	ck_assert_int_eq(daemon_start(&d, "journal: {fsync: everysec}\n", NULL), 0);
	daemon_stop(&d);
	spawn_injected("1"); /* the first fdatasync fails, later ones work */
	c = daemon_connect(&d);
	open_tickets(c, 1, 5);
	ck_assert_msg(log_shows("writing the journal again from memory"),
	              "no rewrite after the failed fdatasync:\n%s", daemon_log(&d));
	ck_assert_msg(log_shows("journal written again from memory"), "rewrite failed:\n%s",
	              daemon_log(&d));
	ck_assert_int_eq(info_number(c, "journal_rewrites"), 1);
	/* Later changes go to the new file as usual. */
	open_tickets(c, 6, 3);
	r = cmd(c, "TICKET.GET", "8", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	redisFree(c);
	/* Whatever the old file lost, the new one holds everything: restart and look. */
	sleep(2); /* one more everysec tick: the last tickets are synced */
	kill_traced();
	ck_assert_int_eq(daemon_spawn(&d, NULL), 0);
	c = daemon_connect(&d);
	for (int id = 1; id <= 8; id++) {
		char ids[8];
		snprintf(ids, sizeof ids, "%d", id);
		r = cmd(c, "TICKET.GET", ids, NULL);
		ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "ticket %d lost: %s", id, r->str);
		freeReplyObject(r);
	}
	redisFree(c);
}
END_TEST

START_TEST(test_fdatasync_that_keeps_failing_exits_ioerr)
{
	redisContext *c;
	int status = 0;

	if (!strace_usable())
		return;
	ck_assert_int_eq(daemon_start(&d, "journal: {fsync: everysec}\n", NULL), 0);
	daemon_stop(&d);
	spawn_injected("1+"); /* every fdatasync fails, the rewrite's too */
	c = daemon_connect(&d);
	open_tickets(c, 1, 2);
	redisFree(c);
	/* strace exits with its tracee's status. */
	for (int i = 0; i < 200; i++) {
		if (waitpid(tracer, &status, WNOHANG) == tracer) {
			tracer = 0;
			traced = 0; /* strace exits after its tracee */
			break;
		}
		usleep(50000);
	}
	ck_assert_msg(tracer == 0, "repaird still running after every fdatasync failed:\n%s",
	              daemon_log(&d));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == EX_IOERR,
	              "exit status %d, expected EX_IOERR (%d):\n%s", WEXITSTATUS(status), EX_IOERR,
	              daemon_log(&d));
	ck_assert_msg(strstr(daemon_log(&d), "; exiting"), "no reason logged:\n%s", daemon_log(&d));
}
END_TEST

static Suite *fsync_suite(void)
{
	Suite *s = suite_create("fsync");
	TCase *tc = tcase_create("failed fdatasync");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failed_fdatasync_rewrites_the_journal_from_memory);
	tcase_add_test(tc, test_fdatasync_that_keeps_failing_exits_ioerr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(fsync_suite());
}
