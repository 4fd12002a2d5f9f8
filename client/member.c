/*
 * member: repairctl member set|show|delete|import. An import pipelines
 * MEMBER.SET (IMPORT_WINDOW in flight) and reports every bad row in line order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "repairctl.h"
#include "xmalloc.h"

#define IMPORT_WINDOW 256 /* MEMBER.SETs in flight during an import */

/* What a member is set to, from the options or from a CSV row. */
struct member_in {
	const char *tier, *country, *programme, *expires, *name;
};

/* A copy of s in upper or lower case (CSV rows are typed in any case, as options are). */
static const char *folded(char *buf, size_t len, const char *s, bool upper)
{
	snprintf(buf, len, "%s", s);
	return str_fold(buf, upper);
}

static void member_set_args(struct args *a, const char *number, const struct member_in *m)
{
	char buf[256];

	args_init(a, "MEMBER.SET");
	args_add(a, number);
	args_add2(a, "TIER", folded(buf, sizeof buf, m->tier, false));
	args_add2(a, "COUNTRY", folded(buf, sizeof buf, m->country, true));
	if (m->programme && *m->programme)
		args_add2(a, "PROGRAMME", folded(buf, sizeof buf, m->programme, false));
	if (m->expires && *m->expires)
		args_add2(a, "EXPIRES", m->expires);
	if (m->name && *m->name)
		args_add2(a, "NAME", m->name);
}

static int member_set(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	const struct opts *o = &c->o;
	struct member_in m;
	struct args set, get;
	redisReply *s = NULL, *g = NULL;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_member_number, &first)) != 0)
		return rc;
	m = (struct member_in){o->tier, o->country, o->programme, o->expires, o->name};
	if (!m.tier || !m.country)
		return usage_error(sc, "member set needs %s", m.tier ? "--country" : "--tier");
	/* Set, then read back what repaird made of it (effective tier, programme). */
	member_set_args(&set, argv[first], &m);
	args_init(&get, "MEMBER.GET");
	args_add(&get, argv[first]);
	for (int tries = 0; tries < 2; tries++) {
		if ((rc = ctl_append(c, &set)) != 0 || (rc = ctl_append(c, &get)) != 0 ||
		    (rc = ctl_read(c, &s)) != 0 || (rc = ctl_read(c, &g)) != 0)
			break;
		/* HA: a standby refused the change: once more at the leader. */
		if (tries > 0 || s->type != REDIS_REPLY_ERROR || !ctl_follow_leader(c, s))
			break;
		freeReplyObject(s);
		freeReplyObject(g);
		s = g = NULL;
	}
	if (rc == 0) {
		if (s->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, s);
		else if (g->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, g);
		else
			rc = print_object(c, g, OBJ_MEMBER, "MEMBER.GET");
	}
	if (s)
		freeReplyObject(s);
	if (g)
		freeReplyObject(g);
	args_free(&set);
	args_free(&get);
	return rc;
}

static int member_show(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_member_number, &first)) != 0)
		return rc;
	args_init(&a, "MEMBER.GET");
	args_add(&a, argv[first]);
	return call_print(c, &a, OBJ_MEMBER);
}

static int member_delete(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	redisReply *r;
	struct sbuf b;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_member_number, &first)) != 0)
		return rc;
	args_init(&a, "MEMBER.DEL");
	args_add(&a, argv[first]);
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_INTEGER) {
		rc = ctl_unexpected("MEMBER.DEL", r);
	} else if (c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "{\"number\": ");
		json_add_string(&b, argv[first], strlen(argv[first]));
		sbuf_printf(&b, ", \"deleted\": %s}", r->integer ? "true" : "false");
		out_flush(&b);
		sbuf_free(&b);
	} else if (r->integer) {
		printf("member %s deleted (open tickets keep their snapshot)\n", argv[first]);
	}
	if (rc == 0 && r->integer == 0) {
		fprintf(stderr, "repairctl: member %s: no such member\n", argv[first]);
		rc = EX_DATAERR;
	}
	freeReplyObject(r);
	return rc;
}

/* ---- member import ------------------------------------------------------------------ */

enum { COL_NUMBER, COL_TIER, COL_COUNTRY, COL_PROGRAMME, COL_EXPIRES, COL_NAME, NCOLS };

static const char *const col_names[NCOLS] = {"number",    "tier",    "country",
                                             "programme", "expires", "name"};

struct import {
	struct ctl *c;
	const char *file;
	int col[NCOLS]; /* field index of each column, -1 when absent */
	int nfields;    /* fields a row may have */
	/*
	 * Rows in file order since the last drain: the line of a MEMBER.SET in
	 * flight, or of a row refused here (with why), so that every bad row is
	 * reported in line order.
	 */
	struct pending {
		unsigned long line;
		char *refused;
	} * pending;
	size_t npending;
	unsigned long rows, imported, bad;
	int fatal; /* first exit code that is worse than a bad row */
	bool progress;
	int64_t progress_ms; /* when the progress line was last written */
	struct sbuf errors;  /* JSON array elements */
};

static void import_progress(struct import *im, bool done)
{
	struct timespec now;
	int64_t ms;

	if (!im->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (done)
		fputs("\r\033[K", stderr);
	else if (ms - im->progress_ms < 100)
		return; /* ten updates a second are plenty */
	else
		fprintf(stderr, "\rimporting %s: %lu rows, %lu imported, %lu bad", im->file,
		        im->rows, im->imported, im->bad);
	im->progress_ms = ms;
	fflush(stderr);
}

static void import_bad(struct import *im, unsigned long lineno, const char *msg)
{
	if (im->progress)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s:%lu: %s\n", im->file, lineno, msg);
	if (im->c->json) {
		sbuf_printf(&im->errors, "%s{\"line\": %lu, \"error\": ", im->bad ? ", " : "",
		            lineno);
		json_add_string(&im->errors, msg, strlen(msg));
		sbuf_addc(&im->errors, '}');
	}
	im->bad++;
}

/* Read the replies of the rows in flight. */
static int import_drain(struct import *im)
{
	for (size_t i = 0; i < im->npending; i++) {
		struct pending *p = &im->pending[i];
		redisReply *r;
		int rc;

		if (p->refused) {
			import_bad(im, p->line, p->refused);
			free(p->refused);
			p->refused = NULL;
			continue;
		}
		if ((rc = ctl_read(im->c, &r)) != 0)
			return rc;
		if (r->type == REDIS_REPLY_ERROR) {
			int code = exit_code_for_error(r->str);
			import_bad(im, p->line, r->str);
			if (code != EX_DATAERR && im->fatal == 0)
				im->fatal = code;
		} else {
			im->imported++;
		}
		freeReplyObject(r);
	}
	im->npending = 0;
	import_progress(im, false);
	return 0;
}

static int import_push(struct import *im, unsigned long lineno, const char *refused)
{
	im->pending[im->npending].line = lineno;
	im->pending[im->npending].refused = refused ? xstrdup(refused) : NULL;
	im->npending++;
	return im->npending == IMPORT_WINDOW ? import_drain(im) : 0;
}

/* A header row names the columns, in any order; without one they are positional. */
static int import_header(struct import *im, const struct csv_row *row, unsigned long lineno)
{
	bool header = false;

	for (int i = 0; i < row->nfields; i++)
		if (strcasecmp(row->field[i], "number") == 0)
			header = true;
	if (!header)
		return 0;
	for (int k = 0; k < NCOLS; k++)
		im->col[k] = -1;
	for (int i = 0; i < row->nfields; i++) {
		int k = 0;
		while (k < NCOLS && strcasecmp(row->field[i], col_names[k]) != 0)
			k++;
		if (k == NCOLS && strcasecmp(row->field[i], "program") == 0)
			k = COL_PROGRAMME;
		if (k == NCOLS || im->col[k] >= 0) {
			fprintf(stderr,
			        "repairctl: %s:%lu: header: %s column \"%s\" (columns: number, "
			        "tier, country, programme, expires, name)\n",
			        im->file, lineno, k == NCOLS ? "unknown" : "repeated",
			        row->field[i]);
			return EX_DATAERR;
		}
		im->col[k] = i;
	}
	for (int k = COL_NUMBER; k <= COL_COUNTRY; k++) {
		if (im->col[k] < 0) {
			fprintf(stderr, "repairctl: %s:%lu: header: no %s column\n", im->file,
			        lineno, col_names[k]);
			return EX_DATAERR;
		}
	}
	im->nfields = row->nfields;
	return 1;
}

static const char *import_col(const struct import *im, const struct csv_row *row, int k)
{
	return im->col[k] >= 0 && im->col[k] < row->nfields ? row->field[im->col[k]] : NULL;
}

static int import_row(struct import *im, const struct csv_row *row, unsigned long lineno)
{
	struct member_in o;
	const char *number;
	char msg[160];
	struct args a;
	int rc;

	im->rows++;
	if (row->nfields < 3 || row->nfields > im->nfields) {
		snprintf(msg, sizeof msg,
		         "%d field%s: a row is number,tier,country[,programme,expires,name]",
		         row->nfields, row->nfields == 1 ? "" : "s");
		return import_push(im, lineno, msg);
	}
	number = import_col(im, row, COL_NUMBER);
	o.tier = import_col(im, row, COL_TIER);
	o.country = import_col(im, row, COL_COUNTRY);
	o.programme = import_col(im, row, COL_PROGRAMME);
	o.expires = import_col(im, row, COL_EXPIRES);
	o.name = import_col(im, row, COL_NAME);
	for (int k = COL_NUMBER; k <= COL_COUNTRY; k++) {
		const char *v = import_col(im, row, k);
		if (v == NULL || *v == '\0') {
			snprintf(msg, sizeof msg, "no %s", col_names[k]);
			return import_push(im, lineno, msg);
		}
	}
	member_set_args(&a, number, &o);
	rc = ctl_append(im->c, &a);
	args_free(&a);
	if (rc != 0)
		return rc;
	return import_push(im, lineno, NULL);
}

/* Read records (a quoted field may span lines) and import them. */
static int import_file(struct import *im, FILE *f)
{
	char *line = NULL, err[160];
	struct sbuf rec;
	size_t cap = 0;
	unsigned long lineno = 0, start = 0;
	bool seen_first = false;
	int rc = 0;

	sbuf_init(&rec);
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		struct csv_row row;
		enum csv_status st;
		const char *p = line;

		lineno++;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3; /* a byte order mark, as spreadsheets write */
		if (rec.len == 0) {
			start = lineno;
			if (p[strspn(p, " \t\r\n")] == '\0')
				continue;
		}
		if (rec.len >= 2 && rec.data[rec.len - 2] == '\r') {
			/* A line break inside a quoted field is a newline, whatever wrote it. */
			rec.data[rec.len - 2] = '\n';
			rec.data[--rec.len] = '\0';
		}
		sbuf_adds(&rec, p);
		st = csv_split(sbuf_str(&rec), &row, err, sizeof err);
		if (st == CSV_INCOMPLETE) {
			csv_row_free(&row);
			continue;
		}
		if (st == CSV_ERROR) {
			im->rows++;
			rc = import_push(im, start, err);
		} else if (!seen_first && (rc = import_header(im, &row, start)) != 0) {
			rc = rc == 1 ? 0 : rc;
		} else {
			rc = import_row(im, &row, start);
		}
		seen_first = true;
		csv_row_free(&row);
		sbuf_reset(&rec);
	}
	if (rc == 0 && rec.len > 0) {
		im->rows++;
		rc = import_push(im, start,
		                 "a quoted field is not closed before the end of the file");
	}
	if (rc == 0)
		rc = import_drain(im);
	free(line);
	sbuf_free(&rec);
	return rc;
}

static int member_import(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct import im = {.c = c, .nfields = NCOLS};
	const char *path;
	struct sbuf b;
	FILE *f;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 1, 1, &first)) != 0)
		return rc;
	path = argv[first];
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "repairctl: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	if ((rc = ctl_connect(c)) != 0) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	im.file = f == stdin ? "(stdin)" : path;
	for (int k = 0; k < NCOLS; k++)
		im.col[k] = k;
	im.pending = xcalloc(IMPORT_WINDOW, sizeof *im.pending);
	im.progress = !c->json && isatty(STDERR_FILENO);
	sbuf_init(&im.errors);
	rc = import_file(&im, f);
	import_progress(&im, true);
	if (f != stdin)
		fclose(f);
	if (rc == 0 && c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "{\"file\": ");
		json_add_string(&b, im.file, strlen(im.file));
		sbuf_printf(&b,
		            ", \"rows\": %lu, \"imported\": %lu, \"bad\": %lu, \"errors\": [%s]}",
		            im.rows, im.imported, im.bad, sbuf_str(&im.errors));
		out_flush(&b);
		sbuf_free(&b);
	} else if (rc == 0) {
		printf("imported %lu member%s from %s", im.imported, im.imported == 1 ? "" : "s",
		       im.file);
		if (im.bad)
			printf("; %lu bad row%s not imported (listed above)", im.bad,
			       im.bad == 1 ? "" : "s");
		putchar('\n');
	}
	for (size_t i = 0; i < im.npending; i++)
		free(im.pending[i].refused);
	free(im.pending);
	sbuf_free(&im.errors);
	if (rc != 0)
		return rc;
	if (im.fatal)
		return im.fatal;
	return im.bad ? EX_DATAERR : 0;
}

const struct subcmd member_cmds[] = {
        {"member", "set", member_set, NULL, "tier country programme expires name",
         "member set N --tier T --country CC [--programme free|subscription]\n"
         "       [--expires YYYY-MM-DD] [--name TEXT]",
         "Create or replace member N. Tiers: red silver gold platinum enterprise-c\n"
         "enterprise-b enterprise-a. The programme follows the country unless given.\n"
         "Prints the member as repaird now serves it (effective tier, programme).\n"},
        {"member", "show", member_show, NULL, "", "member show N", "Show member N.\n"},
        {"member", "delete", member_delete, NULL, "", "member delete N",
         "Delete member N; open tickets keep their snapshot. Exit 65 if there is none.\n"},
        {"member", "import", member_import, NULL, "", "member import FILE.csv",
         "Create or replace members from a CSV file (- for standard input), pipelined.\n"
         "Columns: number,tier,country[,programme,expires,name]; a first row that names\n"
         "the columns (with a `number` column) is a header and may order them freely.\n"
         "Fields may be quoted (\"Müller, Anna\"; \"\" for a quote). Every bad row is\n"
         "reported as FILE:LINE: reason and skipped; good rows are imported all the same.\n"
         "Exit 0 when every row was imported, 65 when some were bad.\n"},
};
const size_t nmember_cmds = sizeof member_cmds / sizeof member_cmds[0];
