/*
 * ctl_run: running the real repairctl in integration tests (ctl_run.h): a
 * clean environment, the daemon's socket, stdout and stderr captured; and the
 * checks on what it printed, JSON included (a small validator).
 */
#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_run.h"

static const struct daemon *cur; /* the daemon of the running test */

#define MAX_RUNS 256
static struct out runs[MAX_RUNS]; /* freed by ctl_run_end() */
static int nruns;

void ctl_run_begin(const struct daemon *d)
{
	cur = d;
	nruns = 0;
}

void ctl_run_end(void)
{
	for (int i = 0; i < nruns; i++) {
		free(runs[i].out);
		free(runs[i].err);
	}
	nruns = 0;
	cur = NULL;
}

/*
 * Run repairctl with argv (NULL-terminated), stdin from `input` (NULL: none),
 * extra environment "K=V" strings, and, when `sock`, "-s <the daemon's socket>"
 * first. The child's environment is clean: no REPAIRCTL_*, no NO_COLOR, HOME in
 * the test directory (no ~/.config/repairctl.conf), TZ=Europe/Berlin.
 */
struct out *run_argv(const char *input, const char *const *env, bool sock, const char *const *args)
{
	static const char *const berlin[] = {"TZ=Europe/Berlin", NULL};
	const char *bin = getenv("REPAIRCTL_BIN");
	const char *argv[64];
	struct out *o;
	int argc = 0;

	ck_assert_int_lt(nruns, MAX_RUNS);
	o = &runs[nruns++];
	argv[argc++] = bin ? bin : "build/repairctl";
	if (sock) {
		argv[argc++] = "-s";
		argv[argc++] = cur->sock;
	}
	for (int i = 0; args[i] && argc < 63; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	o->status = harness_run(cur->dir, input, berlin, env, argv, &o->out, &o->err);
	return o;
}

static struct out *run_va(const char *input, const char *const *env, bool sock, const char *first,
                          va_list ap)
{
	const char *args[60];
	int n = 0;

	for (const char *a = first; a && n < 59; a = va_arg(ap, const char *))
		args[n++] = a;
	args[n] = NULL;
	return run_argv(input, env, sock, args);
}

/* repairctl -s <socket> args... */
struct out *ctl(const char *first, ...)
{
	struct out *o;
	va_list ap;

	va_start(ap, first);
	o = run_va(NULL, NULL, true, first, ap);
	va_end(ap);
	return o;
}

/* repairctl args... (no socket given: for TCP, env and config tests) */
struct out *ctl_raw(const char *const *env, const char *first, ...)
{
	struct out *o;
	va_list ap;

	va_start(ap, first);
	o = run_va(NULL, env, false, first, ap);
	va_end(ap);
	return o;
}

/* repairctl -s <socket> args... with extra environment "K=V" strings. */
struct out *ctl_env(const char *const *env, const char *first, ...)
{
	struct out *o;
	va_list ap;

	va_start(ap, first);
	o = run_va(NULL, env, true, first, ap);
	va_end(ap);
	return o;
}

struct out *ctl_in(const char *input, const char *first, ...)
{
	struct out *o;
	va_list ap;

	va_start(ap, first);
	o = run_va(input, NULL, true, first, ap);
	va_end(ap);
	return o;
}

void expect_exit(const struct out *o, int code)
{
	ck_assert_msg(o->status == code, "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s",
	              o->status, code, o->out, o->err);
}

void expect_in(const char *text, const char *what)
{
	ck_assert_msg(strstr(text, what) != NULL, "\"%s\" not in:\n%s", what, text);
}

void expect_not_in(const char *text, const char *what)
{
	ck_assert_msg(strstr(text, what) == NULL, "\"%s\" unexpectedly in:\n%s", what, text);
}

/* ---- a small JSON validator ------------------------------------------------------- */

static const char *j_value(const char *p, int depth);

static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *j_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL; /* raw control characters (and the end) are not allowed */
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *j_digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *j_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if ((p = j_digits(p)) == NULL)
		return NULL;
	if (*p == '.' && (p = j_digits(p + 1)) == NULL)
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = j_digits(p);
	}
	return p;
}

static const char *j_members(const char *p, int depth, char close, bool object)
{
	p = j_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		p = j_ws(p);
		if (object) {
			if ((p = j_string(p)) == NULL)
				return NULL;
			p = j_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if ((p = j_value(p, depth + 1)) == NULL)
			return NULL;
		p = j_ws(p);
		if (*p == ',')
			p++;
		else if (*p == close)
			return p + 1;
		else
			return NULL;
	}
}

static const char *j_value(const char *p, int depth)
{
	p = j_ws(p);
	if (depth > 32)
		return NULL;
	switch (*p) {
	case '{':
		return j_members(p + 1, depth, '}', true);
	case '[':
		return j_members(p + 1, depth, ']', false);
	case '"':
		return j_string(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return j_number(p);
	}
}

/* Exactly one JSON value, of the kind that starts with `open` ('{' or '['). */
void expect_json(const char *text, char open)
{
	const char *end = j_value(text, 0);

	ck_assert_msg(j_ws(text)[0] == open, "JSON should start with %c:\n%s", open, text);
	ck_assert_msg(end != NULL && *j_ws(end) == '\0', "not valid JSON:\n%s", text);
}

/* The JSON value text of "key" (first occurrence), copied to a static buffer. */
const char *jget(const char *json, const char *key)
{
	static char buf[256];
	char pat[80];
	const char *p, *end;

	snprintf(pat, sizeof pat, "\"%s\": ", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no %s in %s", pat, json);
	p += strlen(pat);
	end = *p == '"' ? j_string(p) : p + strcspn(p, ",}]\n");
	ck_assert_ptr_nonnull(end);
	snprintf(buf, sizeof buf, "%.*s", (int)(end - p), p);
	return buf;
}

int count_in(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

void ctl_fixture_start(struct daemon *d, redisContext **rc)
{
	ck_assert_msg(getenv("REPAIRCTL_BIN") != NULL || access("build/repairctl", X_OK) == 0,
	              "set REPAIRCTL_BIN to the repairctl binary");
	harness_start(d, NULL, NULL);
	*rc = daemon_connect(d);
	ctl_run_begin(d);
}

void ctl_fixture_stop(struct daemon *d, redisContext **rc)
{
	ctl_run_end();
	if (*rc)
		redisFree(*rc);
	*rc = NULL;
	daemon_cleanup(d);
}
