/*
 * board: `repairctl board`, the live board for a centre's wall screen: the
 * open tickets, the most urgent first (the least remaining business time),
 * breached ones in red and at-risk ones in yellow, loans and priority marked,
 * counts by state and the share met this month per tier. It redraws in place
 * every --interval seconds and at once when the terminal is resized; `q`
 * quits. When standard output is not a terminal it prints the board once.
 *
 * Plain ANSI escape sequences rather than ncurses: the board is one screen
 * redrawn whole (home, lines each ending in erase-to-end-of-line, erase
 * below), which needs five sequences every terminal emulator of the last
 * thirty years knows, and no new library on the workstation. Signals
 * (SIGWINCH, SIGINT, SIGTERM, SIGHUP) come through a signalfd in the poll
 * loop, so that no work happens in a signal handler.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "repairctl.h"
#include "xmalloc.h"

#define BOARD_INTERVAL 10 /* seconds between refreshes without --interval */
#define BOARD_COLS     10

#define ESC_HOME        "\033[H"
#define ESC_ERASE_EOL   "\033[K"
#define ESC_ERASE_BELOW "\033[J"
#define ESC_ALT_ON      "\033[?1049h\033[?25l" /* the alternate screen, no cursor */
#define ESC_ALT_OFF     "\033[?25h\033[?1049l"

struct board {
	struct ctl *c;
	bool tty;             /* redrawn in place; else printed once */
	int rows, cols;       /* the terminal's size; 0: no limit */
	struct ticket_set ts; /* the open tickets, sorted */
	redisReply *stats;    /* STATS since the first of the month */
	char since[11];       /* that first of the month, YYYY-MM-DD */
	char error[160];      /* why the last refresh failed, or "" */
	struct sbuf out;      /* the screen being drawn */
};

/* Where a state sorts: the clock runs (0), done and waiting for pickup (1), not here (2). */
static int state_rank(const redisReply *t)
{
	const char *st = field_or(t, "state", "");

	return strcmp(st, "booked") == 0 ? 2 : strcmp(st, "ready") == 0 ? 1 : 0;
}

/*
 * Most urgent first: tickets whose clock runs by remaining business time,
 * then the ready ones (waiting for their owner), then the booked ones.
 */
static int by_urgency(const void *a, const void *b)
{
	const redisReply *x = *(redisReply *const *)a, *y = *(redisReply *const *)b;
	int kx = state_rank(x), ky = state_rank(y);
	int64_t rx = field_i64(x, "remaining_seconds"), ry = field_i64(y, "remaining_seconds");

	if (kx != ky)
		return kx < ky ? -1 : 1;
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return field_i64(x, "id") < field_i64(y, "id") ? -1
	                                               : field_i64(x, "id") > field_i64(y, "id");
}

/* The first of this month in the centre's zone (the machine's without --centre). */
static void month_start(struct board *bd)
{
	char now[64];

	fmt_local_time(now, sizeof now, (int64_t)time(NULL), ctl_centre_tz(bd->c, bd->c->o.centre));
	snprintf(bd->since, sizeof bd->since, "%.7s-01", now);
}

/* Fetch tickets and figures. 0, or an exit code (the reason already on stderr). */
static int board_fetch(struct board *bd)
{
	struct ctl *c = bd->c;
	struct ticket_set ts;
	struct args a;
	redisReply *st;
	int rc;

	month_start(bd);
	args_init(&a, "STATS");
	if (c->o.centre)
		args_add2(&a, "CENTRE", c->o.centre);
	args_add2(&a, "SINCE", bd->since);
	rc = ctl_call(c, &a, &st);
	args_free(&a);
	if (rc == 0 && !reply_is_pairs(st)) {
		rc = ctl_unexpected("STATS", st);
		freeReplyObject(st);
	}
	if (rc != 0)
		return rc;
	if ((rc = ticket_fetch(c, &ts)) != 0) {
		freeReplyObject(st);
		return rc;
	}
	qsort(ts.v, ts.n, sizeof *ts.v, by_urgency);
	ticket_set_free(&bd->ts);
	if (bd->stats)
		freeReplyObject(bd->stats);
	bd->ts = ts;
	bd->stats = st;
	return 0;
}

/* One screen line: cut to the terminal's width (by characters), coloured whole. */
static void board_line(struct board *bd, const char *text, const char *sgr)
{
	size_t n = 0, chars = 0;

	while (text[n] && (bd->cols <= 0 || chars < (size_t)bd->cols)) {
		n++;
		while ((text[n] & 0xC0) == 0x80) /* the rest of a UTF-8 character */
			n++;
		chars++;
	}
	if (sgr && *col(bd->c, sgr))
		sbuf_adds(&bd->out, sgr);
	sbuf_add(&bd->out, text, n);
	if (sgr && *col(bd->c, sgr))
		sbuf_adds(&bd->out, SGR_RESET);
	sbuf_adds(&bd->out, bd->tty ? ESC_ERASE_EOL "\r\n" : "\n");
}

/* The title, the counts by state, the share met this month per tier. */
static void board_head(struct board *bd)
{
	static const char *const states[] = {
	        "booked",         "received",  "diagnosing", "awaiting_customer",
	        "awaiting_parts", "in_repair", "ready"};
	struct sbuf l;
	char now[64];
	size_t at_risk = 0, breached = 0, owed = 0;
	const char *tz = ctl_centre_tz(bd->c, bd->c->o.centre);

	sbuf_init(&l);
	fmt_local_time(now, sizeof now, (int64_t)time(NULL), tz);
	sbuf_printf(&l, "REPAIR BOARD  %s  %s   (every %llus%s)",
	            bd->c->o.centre ? bd->c->o.centre : "all centres", now,
	            (unsigned long long)(bd->c->o.interval ? bd->c->o.interval : BOARD_INTERVAL),
	            bd->tty ? ", q quits" : "");
	board_line(bd, sbuf_str(&l), SGR_BOLD);
	sbuf_reset(&l);
	sbuf_printf(&l, "open %zu:", bd->ts.n);
	for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
		size_t k = 0;
		for (size_t i = 0; i < bd->ts.n; i++)
			k += strcmp(field_or(bd->ts.v[i], "state", ""), states[s]) == 0;
		if (k)
			sbuf_printf(&l, "  %s %zu", states[s], k);
	}
	for (size_t i = 0; i < bd->ts.n; i++) {
		if (state_rank(bd->ts.v[i]) == 1)
			continue; /* ready: nothing left to risk */
		breached += field_flag(bd->ts.v[i], "breached");
		at_risk +=
		        field_flag(bd->ts.v[i], "at_risk") && !field_flag(bd->ts.v[i], "breached");
		owed += field_flag(bd->ts.v[i], "loan_eligible") &&
		        !*field_or(bd->ts.v[i], "loan_state", "");
	}
	sbuf_printf(&l, "   |  at risk %zu  breached %zu  loans owed %zu", at_risk, breached, owed);
	board_line(bd, sbuf_str(&l), NULL);
	sbuf_reset(&l);
	sbuf_printf(&l, "met since %s:", bd->since);
	for (size_t i = 0; i + 1 < bd->stats->elements; i += 2) {
		const char *k = bd->stats->element[i]->str, *v = bd->stats->element[i + 1]->str;
		if (strncmp(k, "met_pct", 7) == 0 && *v)
			sbuf_printf(&l, "  %s %s%%", k[7] == '_' ? k + 8 : "all", v);
	}
	if (l.len == strlen("met since YYYY-MM-DD:"))
		sbuf_adds(&l, "  nothing closed yet");
	board_line(bd, sbuf_str(&l), NULL);
	board_line(bd, bd->error, *bd->error ? SGR_RED : NULL);
	sbuf_free(&l);
}

/* The cells of one ticket's row; returns the colour of the row (NULL: none). */
static const char *ticket_cells(struct board *bd, const redisReply *t, char cells[][64])
{
	const char *loan = loan_text(t), *sgr;

	snprintf(cells[0], 64, "%s", field_or(t, "id", "?"));
	fmt_sanitize(cells[1], 64, field_or(t, "product", "-"));
	snprintf(cells[2], 64, "%s", field_or(t, "member", "-"));
	snprintf(cells[3], 64, "%s", field_or(t, "tier", "-"));
	snprintf(cells[4], 64, "%s", field_or(t, "state", "-"));
	snprintf(cells[5], 64, "%s", field_flag(t, "fast_track") ? "FT" : "");
	/* A loan owed is what the counter must act on: upper case. */
	snprintf(cells[6], 64, "%s", strcmp(loan, "owed") == 0 ? "OWED" : loan);
	snprintf(cells[7], 64, "%s", field_flag(t, "priority") ? "PRIO" : ""); /* absent: 0 */
	centre_time(bd->c, reply_field(t, "deadline"), field_or(t, "centre", ""), cells[8], 64);
	sgr = remaining_text(t, cells[9], 64);
	if (state_rank(t) == 1)
		return strcmp(field_or(t, "met", ""), "1") == 0 ? SGR_GREEN : NULL; /* done */
	return sgr;
}

/* The tickets as a table, as many as the screen holds. */
static void board_table(struct board *bd, int room)
{
	static const char *const head[BOARD_COLS] = {"ID",       "PRODUCT",  "MEMBER", "TIER",
	                                             "STATE",    "FT",       "LOAN",   "PRIO",
	                                             "DEADLINE", "REMAINING"};
	size_t show = bd->ts.n, w[BOARD_COLS];
	char(*cells)[BOARD_COLS][64];
	const char **sgr;
	struct sbuf l;

	if (room >= 0 && show > (size_t)room)
		show = room > 0 ? (size_t)room - 1 : 0; /* one line says how many more */
	cells = xcalloc(show + 1, sizeof *cells);
	sgr = xcalloc(show + 1, sizeof *sgr);
	for (size_t k = 0; k < BOARD_COLS; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < show; i++) {
		sgr[i] = ticket_cells(bd, bd->ts.v[i], cells[i]);
		for (size_t k = 0; k < BOARD_COLS; k++)
			if (fmt_width(cells[i][k]) > w[k])
				w[k] = fmt_width(cells[i][k]);
	}
	sbuf_init(&l);
	for (size_t i = 0; i <= show; i++) {
		sbuf_reset(&l);
		for (size_t k = 0; k < BOARD_COLS; k++) {
			const char *s = i == 0 ? head[k] : cells[i - 1][k];
			sbuf_adds(&l, s);
			if (k + 1 < BOARD_COLS)
				sbuf_printf(&l, "%*s", (int)(w[k] - fmt_width(s) + 2), "");
		}
		board_line(bd, sbuf_str(&l), i == 0 ? SGR_BOLD : sgr[i - 1]);
	}
	if (show < bd->ts.n) {
		sbuf_reset(&l);
		sbuf_printf(&l, "... and %zu more", bd->ts.n - show);
		board_line(bd, sbuf_str(&l), SGR_DIM);
	}
	if (bd->ts.n == 0)
		board_line(bd, "no open tickets", SGR_DIM);
	sbuf_free(&l);
	free(cells);
	free(sgr);
}

static void board_draw(struct board *bd)
{
	struct winsize ws;

	if (bd->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		bd->rows = ws.ws_row;
		bd->cols = ws.ws_col;
	}
	sbuf_reset(&bd->out);
	if (bd->tty)
		sbuf_adds(&bd->out, ESC_HOME);
	board_head(bd);
	/* Four head lines and the table's header above the rows. */
	board_table(bd, bd->tty ? bd->rows - 5 : -1);
	if (bd->tty)
		sbuf_adds(&bd->out, ESC_ERASE_BELOW);
	fwrite(sbuf_str(&bd->out), 1, bd->out.len, stdout);
	fflush(stdout);
}

/* What the keyboard says: 1 to quit, 0 nothing, -1 no more keyboard (end of input). */
static int board_key(void)
{
	char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	return memchr(buf, 'q', (size_t)n) || memchr(buf, 'Q', (size_t)n) ? 1 : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A refresh when it is due; a failed one keeps the last tickets, with the reason. */
static void board_refresh(struct board *bd, int interval)
{
	int rc = board_fetch(bd);

	bd->error[0] = '\0';
	if (rc != 0) {
		ctl_close(bd->c); /* connect afresh next time */
		snprintf(bd->error, sizeof bd->error,
		         "refresh failed (exit %d): retrying every %ds", rc, interval);
	}
}

/*
 * The live loop: redraw, then wait for a key, a signal or the next refresh
 * (keys and resizes do not put the refresh off). A failed refresh is tried
 * again at the next interval: a wall screen should outlive a daemon restart.
 */
static int board_loop(struct board *bd, int sfd)
{
	int interval = (int)(bd->c->o.interval ? bd->c->o.interval : BOARD_INTERVAL);
	struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
	struct signalfd_siginfo si;
	int64_t due = now_ms() + interval * 1000;

	for (;;) {
		int64_t wait = due - now_ms();
		int n;

		board_draw(bd);
		n = poll(p, 2, wait > 0 ? (int)wait : 0);
		if (n < 0 && errno != EINTR)
			return EX_OSERR;
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			int k = board_key();
			if (k == 1)
				return 0;
			if (k < 0)
				p[0].fd = -1; /* no keyboard: signals only */
		}
		if (n > 0 && (p[1].revents & POLLIN) &&
		    read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGWINCH)
			return 0; /* SIGINT, SIGTERM, SIGHUP; a resize only redraws */
		if (now_ms() >= due) {
			board_refresh(bd, interval);
			due = now_ms() + interval * 1000;
		}
	}
}

/* Full screen on a terminal: raw keys, the alternate screen, signals as a file. */
static int board_live(struct board *bd)
{
	struct termios old, raw;
	bool keys = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	sigset_t set, oldset;
	int sfd, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &oldset);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "repairctl: signalfd: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &oldset, NULL);
		return EX_OSERR;
	}
	if (keys) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	fputs(ESC_ALT_ON, stdout);
	rc = board_loop(bd, sfd);
	fputs(ESC_ALT_OFF, stdout);
	fflush(stdout);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	return rc;
}

static int board(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct board bd = {.c = c};
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0)
		return rc;
	if (c->o.interval > 3600)
		return usage_error(sc, "--interval %llu: at most 3600 seconds",
		                   (unsigned long long)c->o.interval);
	sbuf_init(&bd.out);
	/* The first fetch decides: a wrong centre or no daemon is an error, not a screen. */
	if ((rc = board_fetch(&bd)) == 0) {
		bd.tty = isatty(STDOUT_FILENO) && !c->json;
		if (c->json)
			json_array((const redisReply *const *)bd.ts.v, bd.ts.n, OBJ_TICKET);
		else if (bd.tty)
			rc = board_live(&bd);
		else
			board_draw(&bd);
	}
	ticket_set_free(&bd.ts);
	if (bd.stats)
		freeReplyObject(bd.stats);
	sbuf_free(&bd.out);
	return rc;
}

const struct subcmd board_cmds[] = {
        {"board", NULL, board, NULL, "centre interval", "board [--centre C] [--interval S]",
         "The live board for a centre's wall screen: the open tickets, the least remaining\n"
         "business time first; breached ones in red, at-risk ones in yellow; loans owed\n"
         "(OWED) and issued, priority (PRIO) marked; counts by state; the share met this\n"
         "month per tier. Redraws in place every --interval seconds (default 10) and when\n"
         "the terminal is resized; q quits. Printed once when the output is not a terminal;\n"
         "with --json, the tickets in board order.\n"},
};
const size_t nboard_cmds = sizeof board_cmds / sizeof board_cmds[0];
