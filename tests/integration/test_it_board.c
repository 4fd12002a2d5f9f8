/*
 * Integration: `repairctl board` against the real repaird, in a real terminal:
 * tmux runs it in a detached 120x40 session; capture-pane shows what a wall
 * screen would. Checked: the rows and their order (least remaining business
 * time first, booked last), the marks, a resize (SIGWINCH) that shrinks the
 * table, `q` quitting with 0, and plain text once when stdout is a pipe.
 * Skipped, with a message, when tmux is not installed.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;
static redisContext *rc;
static char tmux[128]; /* "tmux -L <a server of this test's own>" */

static void ok(redisReply *r)
{
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
	freeReplyObject(r);
}

static void setup(void)
{
	harness_start(&d, NULL, NULL);
	rc = daemon_connect(&d);
	snprintf(tmux, sizeof tmux, "tmux -L repairctl-board-%d", (int)getpid());
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "%s kill-server >/dev/null 2>&1", tmux);
	if (system(cmd) < 0)
		perror("tmux kill-server");
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static bool have_tmux(void)
{
	return system("command -v tmux >/dev/null 2>&1") == 0;
}

/* What the tmux pane shows now (static buffer); with its colours as escapes when `sgr`. */
static const char *capture_as(bool sgr)
{
	static char screen[16384];
	char cmd[256];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof cmd, "%s capture-pane -p %s-t board 2>/dev/null", tmux,
	         sgr ? "-e " : "");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(screen, 1, sizeof screen - 1, p);
	screen[n] = '\0';
	pclose(p);
	return screen;
}

static const char *capture(void)
{
	return capture_as(false);
}

/* Wait up to 10 s for the pane to show `what`; returns the screen. */
static const char *wait_for(const char *what)
{
	const char *s = "";

	for (int i = 0; i < 100; i++) {
		s = capture();
		if (strstr(s, what))
			return s;
		usleep(100 * 1000);
	}
	ck_abort_msg("\"%s\" never showed; the pane:\n%s", what, s);
	return s;
}

/* The ticket ids of the table's rows, top to bottom (a row starts with its id). */
static int row_ids(const char *screen, int *ids, int max)
{
	int n = 0;

	for (const char *l = screen; *l && n < max;) {
		const char *nl = strchr(l, '\n');
		char *end;
		long id = strtol(l, &end, 10);
		if (end != l && *end == ' ' && id > 0)
			ids[n++] = (int)id;
		if (nl == NULL)
			break;
		l = nl + 1;
	}
	return n;
}

static const char *line_of(const char *screen, int id)
{
	static char line[512];

	for (const char *l = screen; *l;) {
		size_t len = strcspn(l, "\n");
		if (atoi(l) == id) {
			snprintf(line, sizeof line, "%.*s", (int)len, l);
			return line;
		}
		l += len + (l[len] == '\n');
	}
	ck_abort_msg("no row for ticket %d in:\n%s", id, screen);
	return NULL;
}

/* The line of the screen that holds `what` (static buffer). */
static const char *line_with(const char *screen, const char *what)
{
	static char line[1024];
	const char *p = strstr(screen, what), *start, *end;

	ck_assert_msg(p != NULL, "\"%s\" not on the screen:\n%s", what, screen);
	for (start = p; start > screen && start[-1] != '\n'; start--)
		;
	end = p + strcspn(p, "\n");
	snprintf(line, sizeof line, "%.*s", (int)(end - start), start);
	return line;
}

static void open_ticket(const char *serial, const char *member, const char *received)
{
	if (received && member)
		ok(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL",
		       serial, "SERVICE", "repair", "MEMBER", member, "REGISTERED", "yes",
		       "RECEIVED", received, NULL));
	else if (received)
		ok(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL",
		       serial, "SERVICE", "repair", "RECEIVED", received, NULL));
	else
		ok(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL",
		       serial, "SERVICE", "repair", NULL));
}

/*
 * Five open tickets whose urgency differs: 1 breached (received last
 * Thursday, Fast Track), 2 with 14 h left, 3 with 16 h, 4 a non-member's
 * (standard turnaround), 5 booked only.
 */
static void five_tickets(void)
{
	static const char *const members[] = {"151335481", "151335482", "151335483"};

	for (int i = 0; i < 3; i++)
		ok(cmd(rc, "MEMBER.SET", members[i], "TIER", "platinum", "COUNTRY", "DE", NULL));
	open_ticket("0001", members[0], "2026-11-19T08:00:00Z");
	open_ticket("0002", members[1], "NOW"); /* 07:00Z: before opening, nothing used */
	ok(cmd(rc, "DEBUG.CLOCK", "2026-11-23T10:00:00Z", NULL));
	open_ticket("0003", members[2], "NOW");
	open_ticket("0004", NULL, "NOW");
	open_ticket("0005", NULL, NULL);
}

START_TEST(test_board_rows_resize_and_quit)
{
	const char *bin = getenv("REPAIRCTL_BIN"), *s;
	char cmd_line[1024];
	int ids[16], n;

	if (!have_tmux()) {
		fprintf(stderr, "test_it_board: skipped: tmux is not installed\n");
		return;
	}
	five_tickets();
	snprintf(cmd_line, sizeof cmd_line,
	         "%s new-session -d -s board -x 120 -y 40 "
	         "'env HOME=%s TZ=UTC %s -s %s board --centre de-psc-test --interval 1; "
	         "echo BOARD-EXITED $?; sleep 60'",
	         tmux, d.dir, bin ? bin : "build/repairctl", d.sock);
	ck_assert_int_eq(system(cmd_line), 0);
	s = wait_for("REMAINING");
	n = row_ids(s, ids, 16);
	ck_assert_msg(n == 5, "%d rows in:\n%s", n, s);
	for (int i = 0; i < 5; i++)
		ck_assert_msg(ids[i] == i + 1, "row %d is ticket %d:\n%s", i, ids[i], s);
	ck_assert_msg(strstr(s, "REPAIR BOARD  DE-PSC-TEST") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "open 5:  booked 1  received 4") != NULL, "%s", s);
	ck_assert_msg(strstr(line_of(s, 1), "BREACHED") != NULL, "%s", s);
	ck_assert_msg(strstr(line_of(s, 2), "1d 6h left") != NULL, "%s", s); /* 14h of 8h days */
	ck_assert_msg(strstr(line_of(s, 3), "2d left") != NULL, "%s", s);
	ck_assert_msg(strstr(line_of(s, 3), "OWED") != NULL, "%s", s); /* Platinum in DE */
	ck_assert_msg(strstr(line_of(s, 5), "not received") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "PRIO  ") != NULL, "%s", s); /* the column, no ticket marked */
	ck_assert_msg(strstr(s, " CET") != NULL, "%s", s);   /* centre time, not the TZ=UTC */
	/* The breached row is red; a row with time to spare is not. */
	s = capture_as(true);
	ck_assert_msg(strstr(line_with(s, "151335481"), "31m") != NULL, "ticket 1 not red:\n%s", s);
	ck_assert_msg(strstr(line_with(s, "2026-12-07"), "31m") == NULL, "ticket 4 red:\n%s", s);

	/* A smaller terminal (SIGWINCH): the rows that fit, and how many more. */
	snprintf(cmd_line, sizeof cmd_line, "%s resize-window -t board -x 100 -y 8", tmux);
	ck_assert_int_eq(system(cmd_line), 0);
	s = wait_for("... and 3 more");
	n = row_ids(s, ids, 16);
	ck_assert_msg(n == 2 && ids[0] == 1 && ids[1] == 2, "after the resize:\n%s", s);

	/* A ticket moves on: the next refresh shows it (every second here). Ready, it
	 * waits for its owner below the tickets whose clock runs; returned, it is gone. */
	ok(cmd(rc, "TICKET.MOVE", "1", "ready", NULL));
	snprintf(cmd_line, sizeof cmd_line, "%s resize-window -t board -x 120 -y 40", tmux);
	ck_assert_int_eq(system(cmd_line), 0);
	s = wait_for("ready 1");
	n = row_ids(s, ids, 16);
	ck_assert_msg(n == 5 && ids[0] == 2 && ids[3] == 1 && ids[4] == 5, "ticket 1 ready:\n%s",
	              s);
	ck_assert_msg(strstr(s, "breached 0") != NULL, "%s", s);
	ok(cmd(rc, "TICKET.MOVE", "1", "returned", NULL));
	s = wait_for("open 4:");
	n = row_ids(s, ids, 16);
	ck_assert_msg(n == 4 && ids[0] == 2, "after ticket 1 was returned:\n%s", s);

	/* q quits, with 0, and gives the terminal back. */
	snprintf(cmd_line, sizeof cmd_line, "%s send-keys -t board q", tmux);
	ck_assert_int_eq(system(cmd_line), 0);
	s = wait_for("BOARD-EXITED");
	ck_assert_msg(strstr(s, "BOARD-EXITED 0") != NULL, "%s", s);
}
END_TEST

/* Standard output not a terminal: the board once, as plain text, and exit 0. */
START_TEST(test_board_once_into_a_pipe)
{
	const char *bin = getenv("REPAIRCTL_BIN");
	char cmd_line[512], out[8192];
	size_t n;
	FILE *p;

	five_tickets();
	snprintf(cmd_line, sizeof cmd_line, "env HOME=%s %s -s %s board --centre DE-PSC-TEST",
	         d.dir, bin ? bin : "build/repairctl", d.sock);
	p = popen(cmd_line, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(strstr(out, "REPAIR BOARD") != NULL, "%s", out);
	ck_assert_msg(strchr(out, '\033') == NULL, "escape sequences in:\n%s", out);
	ck_assert_msg(strstr(out, "q quits") == NULL, "%s", out);
	{
		int ids[16], k = row_ids(out, ids, 16);
		ck_assert_int_eq(k, 5);
		ck_assert_int_eq(ids[0], 1);
		ck_assert_int_eq(ids[4], 5);
	}
	/* A centre that is not there: an error, not a screen. */
	snprintf(cmd_line, sizeof cmd_line,
	         "env HOME=%s %s -s %s board --centre NOWHERE 2>/dev/null", d.dir,
	         bin ? bin : "build/repairctl", d.sock);
	ck_assert_int_eq(WEXITSTATUS(system(cmd_line)), 65);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("board");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_board_rows_resize_and_quit);
	tcase_add_test(tc, test_board_once_into_a_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(suite());
}
