/*
 * Integration: the README's first session is true. The blocks the README
 * marks with `<!-- readme-test: session -->` are run, command by command, as
 * a reader would type them (through sh, with the real redis-cli), against a
 * real repaird started with conf/dev.yaml itself (the configuration `make
 * run` uses) and a real redis-server, each on a free loopback port. Every
 * output line the README shows must appear in what the command printed, in
 * the same order: a field the daemon does not print, a field out of place, a
 * value that is not what a fresh daemon answers, all fail. `...` stands for
 * lines left out.
 *
 * Also: docs/protocol.md names the fields the daemon prints, in its order
 * (ticket, member, STATS, centre, product, stream entry); `make install`
 * puts docs/ under share/doc/repaird and `make uninstall` takes it away.
 */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MARKER    "<!-- readme-test: session -->"
#define MAX_STEPS 64
#define MAX_LINES 128

/* One command of the README and the lines it shows after it. */
struct step {
	char cmd[1024];
	char *expect[MAX_LINES];
	int nexpect;
	int readme_line; /* where the command is, for messages */
};

static struct daemon d;
static struct redis_server rs; /* the Redis `make run`'s partner example reads from */
static struct step steps[MAX_STEPS];
static int nsteps;

static const char *src_dir(void)
{
	const char *s = getenv("REPAIRD_SRC");
	return s ? s : ".";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Collapse runs of blanks to one, drop CR and leading/trailing blanks (in place). */
static char *normalise(char *s)
{
	char *w = s, *r = s;

	while (*r == ' ' || *r == '\t' || *r == '\r')
		r++;
	for (; *r; r++) {
		if (*r == '\r')
			continue;
		if ((*r == ' ' || *r == '\t') && (w == s || w[-1] == ' '))
			continue;
		*w++ = *r == '\t' ? ' ' : *r;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/* ---- reading the README ------------------------------------------------------- */

/* The next line of *text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **text)
{
	char *line = *text, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*text = nl + 1;
	} else {
		*text = line + strlen(line);
	}
	return line;
}

/* Split the marked blocks of text into steps; returns how many blocks were marked. */
static int parse_readme(char *text)
{
	int blocks = 0, lineno = 0, in_block = 0, want_fence = 0;
	struct step *cur = NULL;
	char *line;

	nsteps = 0;
	while ((line = next_line(&text)) != NULL) {
		lineno++;
		if (!in_block) {
			if (want_fence) {
				ck_assert_msg(strcmp(line, "```sh") == 0,
				              "README line %d: a block of sh must follow " MARKER,
				              lineno);
				in_block = 1;
				want_fence = 0;
				blocks++;
			} else if (strcmp(line, MARKER) == 0) {
				want_fence = 1;
			}
			continue;
		}
		if (strcmp(line, "```") == 0) {
			in_block = 0;
			cur = NULL;
			continue;
		}
		if (strncmp(line, "$ ", 2) == 0) {
			ck_assert_msg(nsteps < MAX_STEPS, "too many README steps");
			cur = &steps[nsteps++];
			memset(cur, 0, sizeof *cur);
			cur->readme_line = lineno;
			snprintf(cur->cmd, sizeof cur->cmd, "%s", line + 2);
			/* A command continued on the next lines with a backslash. */
			while (strlen(cur->cmd) > 0 && cur->cmd[strlen(cur->cmd) - 1] == '\\') {
				char *next = next_line(&text);
				size_t n = strlen(cur->cmd) - 1;
				ck_assert_ptr_nonnull(next);
				lineno++;
				snprintf(cur->cmd + n, sizeof cur->cmd - n, " %s", next);
			}
			continue;
		}
		ck_assert_msg(cur != NULL, "README line %d: output before any command", lineno);
		normalise(line);
		if (strcmp(line, "...") == 0 || line[0] == '\0')
			continue;
		ck_assert_msg(cur->nexpect < MAX_LINES, "too many output lines");
		cur->expect[cur->nexpect++] = line;
	}
	ck_assert_msg(!in_block && !want_fence, "README: a marked block is not closed");
	return blocks;
}

/*
 * Every expected line in actual's lines, in order. Returns NULL when all are
 * there, else the first expected line that is not.
 */
static const char *match_output(char *const *expect, int nexpect, const char *actual)
{
	char *copy = strdup(actual), *save = NULL, *line;
	const char *missing = NULL;
	int i = 0;

	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line && i < nexpect;
	     line = strtok_r(NULL, "\n", &save))
		if (strcmp(normalise(line), expect[i]) == 0)
			i++;
	if (i < nexpect)
		missing = expect[i];
	free(copy);
	return missing;
}

/* ---- running a step ---------------------------------------------------------------- */

/*
 * `redis-cli` for the README's commands: `-p 7878` reaches the test's
 * repaird, any other call the test's Redis (the README's Redis is the
 * default 127.0.0.1:6379). --no-raw: the README shows what a terminal shows.
 * A script first in PATH, so that any sh runs the commands as typed.
 */
static void write_redis_cli_wrapper(void)
{
	char real[256] = "", path[256];
	FILE *p = popen("command -v redis-cli", "r"), *f;

	ck_assert_ptr_nonnull(p);
	if (fgets(real, sizeof real, p) == NULL)
		real[0] = '\0';
	pclose(p);
	real[strcspn(real, "\n")] = '\0';
	ck_assert_msg(real[0] == '/', "redis-cli is not installed");
	snprintf(path, sizeof path, "%s/bin", d.dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/bin/redis-cli", d.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "#!/bin/sh\n"
	        "if [ \"$1\" = -p ] && [ \"$2\" = 7878 ]; then shift 2;\n"
	        "  exec '%s' --no-raw -p %d \"$@\"\n"
	        "fi\n"
	        "exec '%s' --no-raw -p %d \"$@\"\n",
	        real, d.port, real, rs.port);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* Run a README command through sh, as typed. */
static char *run_step(const struct step *s)
{
	char script[256], out[256], sh[1024];
	FILE *f;
	int rc;

	snprintf(script, sizeof script, "%s/step.sh", d.dir);
	snprintf(out, sizeof out, "%s/step.out", d.dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "PATH='%s/bin':\"$PATH\"\n%s\n", d.dir, s->cmd);
	fclose(f);
	snprintf(sh, sizeof sh, "sh '%s' >'%s' 2>&1", script, out);
	rc = system(sh);
	ck_assert_msg(rc == 0, "README line %d: `%s` failed (status %d):\n%s", s->readme_line,
	              s->cmd, rc, slurp(out));
	return slurp(out);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* ---- set-up ------------------------------------------------------------------------ */

/* conf/dev.yaml as `make run` uses it; only the addresses and the state directory differ. */
static void setup(void)
{
	char redis_addr[32];
	const char *args[] = {"--redis", redis_addr, "--real-clock", NULL};

	harness_redis_start(&rs, NULL);
	snprintf(redis_addr, sizeof redis_addr, "127.0.0.1:%d", rs.port);

	memset(&d, 0, sizeof d);
	snprintf(d.dir, sizeof d.dir, "/tmp/repaird-readme-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	/* Copies: the harness may tidy up its directory; dev.yaml names products.yaml beside it. */
	ck_assert_int_eq(run("cp '%s/conf/dev.yaml' '%s/conf/products.yaml' '%s/'", src_dir(),
	                     src_dir(), d.dir),
	                 0);
	snprintf(d.config, sizeof d.config, "%s/dev.yaml", d.dir);
	snprintf(d.sock, sizeof d.sock, "%s/repaird.sock", d.dir);
	snprintf(d.log, sizeof d.log, "%s/repaird.log", d.dir);
	d.port = harness_free_port();
	ck_assert_msg(daemon_spawn(&d, args) == 0, "repaird with conf/dev.yaml did not start:\n%s",
	              daemon_log(&d));
	write_redis_cli_wrapper();
}

static void teardown(void)
{
	daemon_stop(&d);
	daemon_cleanup(&d);
	harness_redis_stop(&rs);
}

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(test_readme_first_session)
{
	char path[256];
	char *text, *open_output = NULL;
	const struct step *open_step = NULL;
	int blocks, with_output = 0;

	snprintf(path, sizeof path, "%s/README.md", src_dir());
	text = slurp(path);
	blocks = parse_readme(text);
	/* The test must not pass by finding nothing to run. */
	ck_assert_msg(blocks >= 1 && nsteps >= 5, "README: %d marked blocks, %d commands", blocks,
	              nsteps);
	for (int i = 0; i < nsteps; i++) {
		const struct step *s = &steps[i];
		const char *missing;
		char *out;

		ck_assert_msg(
		        strncmp(s->cmd, "make", 4) != 0,
		        "README line %d: `%s` in a marked block: the test starts repaird itself",
		        s->readme_line, s->cmd);
		out = run_step(s);
		missing = match_output(s->expect, s->nexpect, out);
		ck_assert_msg(missing == NULL,
		              "README line %d: `%s` printed no line `%s` (in the README's order); "
		              "it printed:\n%s",
		              s->readme_line, s->cmd, missing ? missing : "", out);
		with_output += s->nexpect > 0;
		if (strstr(s->cmd, "TICKET.OPEN") && open_output == NULL) {
			open_step = s;
			open_output = out;
		} else {
			free(out);
		}
	}
	ck_assert_msg(with_output >= 3, "README: only %d commands show their output", with_output);

	/* The check itself can fail: a field the daemon does not print. */
	ck_assert_msg(open_step && open_step->nexpect > 2, "README shows no TICKET.OPEN reply");
	{
		char *expect[MAX_LINES + 1];
		char bogus[] = "99) \"no_such_field\"";
		int n = open_step->nexpect;

		memcpy(expect, open_step->expect, (size_t)n * sizeof expect[0]);
		expect[n] = bogus;
		ck_assert_ptr_nonnull(match_output(expect, n + 1, open_output));
		/* ... and one shown out of its place. */
		expect[0] = open_step->expect[n - 1];
		expect[n - 1] = open_step->expect[0];
		ck_assert_ptr_nonnull(match_output(expect, n, open_output));
	}
	free(open_output);
	free(text);
}
END_TEST

START_TEST(test_install_puts_docs_in_share_doc)
{
	char tree[64], path[256];
	const char *docs[] = {"protocol.md", "rules.md"};
	struct stat st;

	snprintf(tree, sizeof tree, "/tmp/repaird-docs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	ck_assert_int_eq(run("make -C '%s' --no-print-directory install PREFIX=/usr DESTDIR='%s' "
	                     ">'%s.log' 2>&1",
	                     src_dir(), tree, tree),
	                 0);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		snprintf(path, sizeof path, "%s/usr/share/doc/repaird/%s", tree, docs[i]);
		ck_assert_msg(stat(path, &st) == 0, "make install did not install %s", path);
		ck_assert_int_eq(st.st_mode & 07777, 0644);
	}
	/* The configuration may hold password hashes: not for everyone's eyes. */
	snprintf(path, sizeof path, "%s/etc/repaird/repaird.yaml", tree);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(run("make -C '%s' --no-print-directory uninstall PREFIX=/usr DESTDIR='%s' "
	                     ">'%s.log' 2>&1",
	                     src_dir(), tree, tree),
	                 0);
	snprintf(path, sizeof path, "%s/usr/share/doc/repaird", tree);
	ck_assert_msg(stat(path, &st) < 0, "make uninstall left %s", path);
	ck_assert_int_eq(run("rm -rf '%s' '%s.log'", tree, tree), 0);
}
END_TEST

/* ---- docs/protocol.md against the daemon ------------------------------------------- */

#define MAX_NAMES 64

/* The words of the backquoted list that starts with `start` (it may span lines). */
static int doc_list(const char *doc, const char *start, char names[][48])
{
	const char *p = strstr(doc, start), *end;
	int n = 0;

	ck_assert_msg(p != NULL, "docs/protocol.md has no list %s", start);
	p++;
	end = strchr(p, '`');
	ck_assert_ptr_nonnull(end);
	while (p < end && n < MAX_NAMES) {
		size_t len = strcspn(p, " \n`");
		if (len > 0 && len < 48) {
			memcpy(names[n], p, len);
			names[n++][len] = '\0';
		}
		p += len;
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
	}
	return n;
}

/* The backquoted first column (after an optional number column) of the table after `after`. */
static int doc_table(const char *doc, const char *after, char names[][48])
{
	const char *p = strstr(doc, after);
	int n = 0;

	ck_assert_msg(p != NULL, "docs/protocol.md has no \"%s\"", after);
	p = strstr(p, "\n|");
	ck_assert_ptr_nonnull(p);
	for (p++; *p == '|' && n < MAX_NAMES; p = strchr(p, '\n') + 1) {
		const char *tick = strchr(p, '`'), *eol = strchr(p, '\n'), *close;
		ck_assert_ptr_nonnull(eol);
		/* The header and the rule line have no backquote before the line's end. */
		if (tick && tick < eol && (close = strchr(tick + 1, '`')) != NULL && close < eol &&
		    close - tick - 1 < 48) {
			memcpy(names[n], tick + 1, (size_t)(close - tick - 1));
			names[n++][close - tick - 1] = '\0';
		}
	}
	return n;
}

/*
 * The daemon's field names (the odd elements of a field/value array) must be
 * the document's, in its order: no more, no fewer.
 */
static void expect_fields(const char *what, char doc[][48], int ndoc, const redisReply *r,
                          size_t step)
{
	size_t nd = 0;

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s: not an array", what);
	for (size_t i = 0; i < r->elements; i += step, nd++) {
		ck_assert_msg((int)nd < ndoc,
		              "%s: the daemon prints \"%s\", docs/protocol.md does not", what,
		              r->element[i]->str);
		ck_assert_msg(strcmp(r->element[i]->str, doc[nd]) == 0,
		              "%s: field %zu is \"%s\", docs/protocol.md says \"%s\"", what, nd + 1,
		              r->element[i]->str, doc[nd]);
	}
	ck_assert_msg((int)nd == ndoc,
	              "%s: docs/protocol.md lists \"%s\", the daemon does not print it", what,
	              doc[nd]);
}

START_TEST(test_protocol_doc_names_the_daemons_fields)
{
	char path[256], names[MAX_NAMES][48];
	char *doc;
	redisContext *c = daemon_connect(&d);
	redisContext *rc = redisConnect("127.0.0.1", rs.port);
	redisReply *r;
	int n;

	snprintf(path, sizeof path, "%s/docs/protocol.md", src_dir());
	doc = slurp(path);
	ck_assert_ptr_nonnull(rc);
	ck_assert_int_eq(rc->err, 0);

	freeReplyObject(
	        cmd(c, "MEMBER.SET", "151335488", "TIER", "platinum", "COUNTRY", "DE", NULL));
	r = cmd(c, "TICKET.OPEN", "CENTRE", "DE-PSC-WILLICH", "PRODUCT", "EOS R5", "SERIAL",
	        "012345678901", "SERVICE", "repair", "MEMBER", "151335488", "REGISTERED", "yes",
	        "RECEIVED", "NOW", NULL);
	n = doc_table(doc, "A ticket is a field/value array with these fields", names);
	expect_fields("the ticket", names, n, r, 2);
	freeReplyObject(r);

	r = cmd(c, "MEMBER.GET", "151335488", NULL);
	n = doc_list(doc, "`number tier effective_tier", names);
	expect_fields("MEMBER.GET", names, n, r, 2);
	freeReplyObject(r);

	r = cmd(c, "STATS", NULL);
	n = doc_list(doc, "`closed met missed", names);
	expect_fields("STATS", names, n, r, 2);
	freeReplyObject(r);

	r = cmd(c, "CENTRE.LIST", NULL);
	ck_assert_uint_ge(r->elements, 1);
	n = doc_list(doc, "`id type country", names);
	expect_fields("CENTRE.LIST", names, n, r->element[0], 2);
	freeReplyObject(r);

	r = cmd(c, "PRODUCT.GET", "EOS R5", NULL);
	n = doc_list(doc, "`model class fast_track", names);
	expect_fields("PRODUCT.GET", names, n, r, 2);
	freeReplyObject(r);

	/* The loan owed at booking, as the stream has it (delivery is asynchronous). */
	n = doc_table(doc, "Each entry has these fields", names);
	for (int i = 0; i < 100; i++) {
		r = redisCommand(rc, "XRANGE repaird-dev:events:DE-PSC-WILLICH - + COUNT 1");
		ck_assert_ptr_nonnull(r);
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
			break;
		freeReplyObject(r);
		r = NULL;
		usleep(50000);
	}
	ck_assert_msg(r != NULL, "no event reached Redis:\n%s", daemon_log(&d));
	expect_fields("a stream entry", names, n, r->element[0]->element[1], 2);
	freeReplyObject(r);

	redisFree(rc);
	redisFree(c);
	free(doc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("readme");
	TCase *tc = tcase_create("first session");
	TCase *ti = tcase_create("install");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_readme_first_session);
	tcase_add_test(tc, test_protocol_doc_names_the_daemons_fields);
	tcase_set_timeout(ti, 120);
	tcase_add_test(ti, test_install_puts_docs_in_share_doc);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	return harness_run_suite(suite());
}
