/*
 * cmdspec: a usage line read as Redis 7's argument tree (cmdspec.h).
 * A recursive descent over the words: a bracket opens a group, a keyword
 * takes the values after it, "..." marks the argument before it.
 */
#include "cmdspec.h"

#include <stdio.h>
#include <string.h>

const char *const cmdspec_type_names[] = {"string", "integer", "pure-token", "oneof", "block"};

#define MAX_WORDS 128

struct word {
	const char *s;
	size_t len;
};

struct reader {
	struct word w[MAX_WORDS];
	int nw;
	int at;
	struct cmdspec *spec;
	char *err;
	size_t errlen;
};

static int fail(struct reader *rd, const char *why)
{
	snprintf(rd->err, rd->errlen, "%s", why);
	return -1;
}

/* Words, with each bracket a word of its own. */
static int split(struct reader *rd, const char *usage, int skip)
{
	const char *p = usage;

	rd->nw = 0;
	while (*p) {
		size_t len;
		if (*p == ' ') {
			p++;
			continue;
		}
		len = (*p == '[' || *p == ']') ? 1 : strcspn(p, " []");
		if (skip > 0) {
			if (*p == '[' || *p == ']')
				return fail(rd, "a bracket in the command's name");
			skip--;
		} else {
			if (rd->nw == MAX_WORDS)
				return fail(rd, "too many words");
			rd->w[rd->nw].s = p;
			rd->w[rd->nw].len = len;
			rd->nw++;
		}
		p += len;
	}
	return 0;
}

static bool is_word(const struct word *w, const char *s)
{
	return w->len == strlen(s) && memcmp(w->s, s, w->len) == 0;
}

/* Capitals and no small letter: a keyword (TIER, OPEN|CLOSED|ALL). */
static bool is_keyword(const struct word *w)
{
	bool upper = false;

	for (size_t i = 0; i < w->len; i++) {
		if (w->s[i] >= 'a' && w->s[i] <= 'z')
			return false;
		upper |= w->s[i] >= 'A' && w->s[i] <= 'Z';
	}
	return upper;
}

static bool is_plain(const struct word *w)
{
	return !is_word(w, "[") && !is_word(w, "]") && !is_word(w, "...");
}

static int new_arg(struct reader *rd, enum cmdspec_type type)
{
	struct cmdspec_arg *a;

	if (rd->spec->narg == CMDSPEC_MAX_ARGS)
		return fail(rd, "too many arguments");
	a = &rd->spec->arg[rd->spec->narg];
	memset(a, 0, sizeof *a);
	a->type = type;
	a->child = -1;
	a->next = -1;
	return rd->spec->narg++;
}

static int set_text(struct reader *rd, char *dst, const char *s, size_t len)
{
	if (len >= CMDSPEC_NAME_MAX)
		return fail(rd, "a word too long");
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* Numbers by their usual names; everything else is a string. */
static enum cmdspec_type value_type(const struct word *w)
{
	static const char *const ints[] = {"id", "n", "protover", "client-id", "index", "number"};

	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if (is_word(w, ints[i]))
			return CMDSPEC_INTEGER;
	return CMDSPEC_STRING;
}

/* One word as a value: a plain value, or for a|b|c a oneof of pure tokens. */
static int value_arg(struct reader *rd, const struct word *w)
{
	const char *bar = memchr(w->s, '|', w->len);
	int a, prev = -1;

	if (bar == NULL) {
		if ((a = new_arg(rd, value_type(w))) < 0 ||
		    set_text(rd, rd->spec->arg[a].name, w->s, w->len) < 0)
			return -1;
		return a;
	}
	if ((a = new_arg(rd, CMDSPEC_ONEOF)) < 0)
		return -1;
	/* Named after its alternatives, lower case ("open-closed-all"). */
	for (size_t i = 0, k = 0; i < w->len && k + 1 < CMDSPEC_NAME_MAX; i++, k++) {
		char ch = w->s[i] == '|' ? '-' : w->s[i];
		rd->spec->arg[a].name[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	for (const char *p = w->s, *end = w->s + w->len; p < end;) {
		const char *q = memchr(p, '|', (size_t)(end - p));
		size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
		int c = new_arg(rd, CMDSPEC_PURE_TOKEN);
		if (c < 0 || set_text(rd, rd->spec->arg[c].name, p, len) < 0 ||
		    set_text(rd, rd->spec->arg[c].token, p, len) < 0)
			return -1;
		if (prev < 0)
			rd->spec->arg[a].child = c;
		else
			rd->spec->arg[prev].next = c;
		prev = c;
		p += len + 1;
	}
	return a;
}

/* A keyword and the values after it: a pure token, a value with a token, or a block. */
static int keyword_arg(struct reader *rd)
{
	const struct word *kw = &rd->w[rd->at++];
	int nvalues = 0, a, prev = -1;

	/* LIB-NAME|LIB-VER value: a choice of keywords, then a value of its own. */
	if (memchr(kw->s, '|', kw->len) != NULL)
		return value_arg(rd, kw);
	while (rd->at + nvalues < rd->nw && is_plain(&rd->w[rd->at + nvalues]) &&
	       !is_keyword(&rd->w[rd->at + nvalues]))
		nvalues++;
	if (nvalues == 0) {
		if ((a = new_arg(rd, CMDSPEC_PURE_TOKEN)) < 0 ||
		    set_text(rd, rd->spec->arg[a].name, kw->s, kw->len) < 0)
			return -1;
		for (char *p = rd->spec->arg[a].name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	} else if (nvalues == 1) {
		if ((a = value_arg(rd, &rd->w[rd->at++])) < 0)
			return -1;
	} else {
		/* AUTH username password: a block named after its values ("username-password"). */
		size_t k = 0;
		if ((a = new_arg(rd, CMDSPEC_BLOCK)) < 0)
			return -1;
		for (int i = 0; i < nvalues; i++) {
			const struct word *v = &rd->w[rd->at++];
			int c = value_arg(rd, v);
			if (c < 0)
				return -1;
			if (k + v->len + 2 < CMDSPEC_NAME_MAX) {
				k += (size_t)snprintf(rd->spec->arg[a].name + k,
				                      CMDSPEC_NAME_MAX - k, "%s%.*s", i ? "-" : "",
				                      (int)v->len, v->s);
			}
			if (prev < 0)
				rd->spec->arg[a].child = c;
			else
				rd->spec->arg[prev].next = c;
			prev = c;
		}
	}
	return set_text(rd, rd->spec->arg[a].token, kw->s, kw->len) < 0 ? -1 : a;
}

/* Arguments up to a closing bracket or the end; *first is the first of them (-1: none). */
static int sequence(struct reader *rd, int *first, int *count);

static int group_arg(struct reader *rd)
{
	int first, count, a;

	rd->at++; /* [ */
	if (sequence(rd, &first, &count) < 0)
		return -1;
	if (rd->at >= rd->nw || !is_word(&rd->w[rd->at], "]"))
		return fail(rd, "a [ without its ]");
	rd->at++;
	if (count == 0)
		return fail(rd, "an empty [ ]");
	if (count == 1) {
		a = first;
	} else {
		if ((a = new_arg(rd, CMDSPEC_BLOCK)) < 0)
			return -1;
		snprintf(rd->spec->arg[a].name, CMDSPEC_NAME_MAX, "arguments");
		rd->spec->arg[a].child = first;
	}
	rd->spec->arg[a].optional = true;
	return a;
}

static int sequence(struct reader *rd, int *first, int *count)
{
	int prev = -1, a;

	*first = -1;
	*count = 0;
	while (rd->at < rd->nw && !is_word(&rd->w[rd->at], "]")) {
		const struct word *w = &rd->w[rd->at];
		if (is_word(w, "...")) {
			if (prev < 0)
				return fail(rd, "... after nothing");
			rd->spec->arg[prev].multiple = true;
			rd->at++;
			continue;
		}
		if (is_word(w, "["))
			a = group_arg(rd);
		else if (is_keyword(w))
			a = keyword_arg(rd);
		else {
			a = value_arg(rd, w);
			rd->at++;
		}
		if (a < 0)
			return -1;
		/* "key [key ...]": the optional repeat is the same argument, repeatable. */
		if (prev >= 0 && rd->spec->arg[a].multiple && rd->spec->arg[a].optional &&
		    rd->spec->arg[a].child < 0 &&
		    strcmp(rd->spec->arg[a].name, rd->spec->arg[prev].name) == 0) {
			rd->spec->arg[prev].multiple = true;
			rd->spec->narg--;
			continue;
		}
		if (prev < 0)
			*first = a;
		else
			rd->spec->arg[prev].next = a;
		prev = a;
		(*count)++;
	}
	return 0;
}

int cmdspec_parse(const char *usage, int skip, struct cmdspec *spec, char *err, size_t errlen)
{
	struct reader rd = {.spec = spec, .err = err, .errlen = errlen};
	int count;

	spec->narg = 0;
	spec->first = -1;
	if (split(&rd, usage, skip) < 0 || sequence(&rd, &spec->first, &count) < 0)
		return -1;
	if (rd.at < rd.nw)
		return fail(&rd, "a ] without its [");
	return 0;
}
