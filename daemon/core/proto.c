/*
 * proto: the RESP2 request parser (the reply encoders are in reply.c).
 *
 * The parser follows Redis's processMultibulkBuffer/processInlineBuffer in
 * what it accepts and in the wording of its errors. It differs where Redis's
 * answer depends on how the input was split, or where Redis lets bad input
 * through: an inline line is limited whether or not its newline has come, a
 * missing '$' is reported at the first byte, a bulk must be followed by CRLF,
 * a CR in a "*N"/"$N" line must be followed by LF, and a byte that is not
 * printable is shown as \xHH in an error.
 *
 * Memory is only ever allocated for bytes that have arrived: a declared bulk
 * length is checked, then the buffer doubles as data comes, never past the
 * declared length; argv grows likewise as elements come. The one exception
 * is small: a bulk of at most PROTO_ARENA_ARG bytes gets its room in the
 * parser's arena at its header, so that the usual request's arguments cost
 * no allocation at all (the arena is kept from request to request).
 */
#include "proto.h"
#include "text.h"
#include "xmalloc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct proto_limits proto_default_limits = {
        .max_multibulk = 1024 * 1024,
        .max_bulk = 1024 * 1024,
        .max_inline = 64 * 1024,
};

#define PROTO_HEADER_MAX   ((size_t)64 * 1024) /* a "*N"/"$N" line (Redis's inline max) */
#define PROTO_BULK_FIRST   ((size_t)16 * 1024) /* first allocation for a bulk's data */
#define PROTO_INLINE_FIRST ((size_t)256)
#define PROTO_ARGV_FIRST   1024 /* most argv slots reserved on a declared count */
#define PROTO_ARGV_KEEP    1024 /* argv slots kept between requests */
#define PROTO_INLINE_KEEP  ((size_t)4096)
#define PROTO_ARENA_ARG    ((size_t)1024) /* bulks up to this go to the arena */
#define PROTO_ARENA_FIRST  ((size_t)1024)
#define PROTO_ARENA_KEEP   ((size_t)16 * 1024) /* arena bytes kept between requests */

enum proto_state {
	ST_START,       /* before the first byte of a request */
	ST_INLINE,      /* in an inline line */
	ST_MB_COUNT,    /* in the "*N" line, after the '*' */
	ST_BULK_DOLLAR, /* expecting the '$' of a bulk header */
	ST_BULK_LEN,    /* in the "$N" line, after the '$' */
	ST_BULK_DATA,   /* in a bulk's data */
	ST_BULK_CR,     /* after a bulk's data */
	ST_BULK_LF,
	ST_DONE,  /* a request is complete, waiting for proto_reset_request */
	ST_ERROR, /* a protocol error; sticky until reset */
};

/* ---- helpers ------------------------------------------------------------ */

static void argv_reserve(struct proto_parser *p, int want)
{
	if (want <= p->argv_cap)
		return;
	p->argv = xreallocarray(p->argv, (size_t)want, sizeof *p->argv);
	p->argvlen = xreallocarray(p->argvlen, (size_t)want, sizeof *p->argvlen);
	p->argoff = xreallocarray(p->argoff, (size_t)want, sizeof *p->argoff);
	p->argv_cap = want;
}

/* Room for need more arena bytes; the arguments already there follow a move. */
static void arena_reserve(struct proto_parser *p, size_t need)
{
	char *old = p->arena;

	if (need > SIZE_MAX - p->arena_len)
		fatalx("proto: request too large");
	xgrow(&p->arena, &p->arena_cap, p->arena_len + need, PROTO_ARENA_FIRST, SIZE_MAX);
	if (p->arena == old)
		return;
	for (int i = 0; i < p->argc; i++)
		if (p->argoff[i] != SIZE_MAX)
			p->argv[i] = p->arena + p->argoff[i];
}

static inline void push_slot(struct proto_parser *p, char *s, size_t off, size_t len)
{
	if (p->argc == p->argv_cap) {
		if (p->argv_cap > INT_MAX / 2)
			fatalx("proto: too many arguments");
		argv_reserve(p, p->argv_cap != 0 ? p->argv_cap * 2 : 8);
	}
	p->argv[p->argc] = s;
	p->argvlen[p->argc] = len;
	p->argoff[p->argc] = off;
	p->argc++;
	p->args_bytes += len;
}

/* Append an argument; takes ownership of s (len bytes, NUL-terminated). */
static void push_arg(struct proto_parser *p, char *s, size_t len)
{
	push_slot(p, s, SIZE_MAX, len);
}

/* Append the argument of len bytes (and its NUL) already at the arena's end. */
static inline void push_arena_arg(struct proto_parser *p, size_t len)
{
	size_t off = p->arena_len;

	p->arena[off + len] = '\0';
	p->arena_len += len + 1;
	push_slot(p, p->arena + off, off, len);
}

/* Redis's string2ll: optional '-', no '+', no leading zeros, no spaces. */
static int parse_ll(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0, max = LLONG_MAX;
	size_t i = 0;
	int neg = 0;

	if (n == 1 && s[0] == '0') {
		*out = 0;
		return 1;
	}
	if (n > 0 && s[0] == '-') {
		neg = 1;
		max = (unsigned long long)LLONG_MAX + 1;
		i = 1;
	}
	if (i >= n || s[i] < '1' || s[i] > '9')
		return 0;
	for (; i < n; i++) {
		unsigned long long d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned long long)(s[i] - '0');
		if (v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (long long)v;
	else if (v == (unsigned long long)LLONG_MAX + 1)
		*out = LLONG_MIN;
	else
		*out = -(long long)v;
	return 1;
}

/* The number in the "*N"/"$N" line; a line too long to be kept is no number. */
static int line_number(const struct proto_parser *p, long long *v)
{
	if (p->line_len >= sizeof p->line)
		return 0;
	return parse_ll(p->line, p->line_len, v);
}

/* One byte of a header line: 1 at its CRLF, 0 for more, -1 for CR without LF. */
static int line_byte(struct proto_parser *p, char c)
{
	if (p->saw_cr) {
		p->saw_cr = 0;
		return c == '\n' ? 1 : -1;
	}
	if (c == '\r') {
		p->saw_cr = 1;
		return 0;
	}
	/* Only the start is kept: longer is not a number, but counts to the limit. */
	if (p->line_len < sizeof p->line - 1)
		p->line[p->line_len] = c;
	p->line_len++;
	return 0;
}

static void set_error(struct proto_parser *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void set_error(struct proto_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	p->state = ST_ERROR;
}

/* ---- inline requests ------------------------------------------------------- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char unescape(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'a':
		return '\a';
	default:
		return c;
	}
}

/*
 * Scan one argument of an inline line, as Redis's sdssplitargs does,
 * starting at *i (not blank). The decoded argument is written over the line
 * from the argument's start: decoding never makes it longer than its source.
 * Sets *len to its decoded length and *i past it; -1 for unbalanced quotes.
 */
static int scan_arg(char *s, size_t n, size_t *i, size_t *len)
{
	size_t r = *i, w = *i;
	char quote = 0; /* the open quote, '"' or '\'', or 0 */

	for (;;) {
		char c;

		if (r == n) {
			if (quote)
				return -1;
			break;
		}
		c = s[r];
		if (quote == '"' && c == '\\' && r + 3 < n && s[r + 1] == 'x' &&
		    hex_digit(s[r + 2]) >= 0 && hex_digit(s[r + 3]) >= 0) {
			s[w++] = (char)(hex_digit(s[r + 2]) * 16 + hex_digit(s[r + 3]));
			r += 4;
		} else if (quote && c == '\\' && r + 1 < n && (quote == '"' || s[r + 1] == '\'')) {
			/* Double quotes take every escape; single quotes only \'. */
			s[w++] = unescape(s[r + 1]);
			r += 2;
		} else if (quote && c == quote) {
			/* A closing quote must end the argument. */
			if (r + 1 < n && !is_blank(s[r + 1]))
				return -1;
			r++;
			break;
		} else if (!quote && is_blank(c)) {
			r++;
			break;
		} else if (!quote && (c == '"' || c == '\'')) {
			quote = c;
			r++;
		} else {
			s[w++] = c;
			r++;
		}
	}
	*len = w - *i;
	*i = r;
	return 0;
}

/* Split the complete line in p->inl into argv; -1 for unbalanced quotes. */
static int inline_split(struct proto_parser *p)
{
	size_t i = 0, n = p->inl_len;

	for (;;) {
		size_t start, len;

		while (i < n && is_blank(p->inl[i]))
			i++;
		if (i == n)
			return 0;
		start = i;
		if (scan_arg(p->inl, n, &i, &len) < 0)
			return -1;
		arena_reserve(p, len + 1);
		memcpy(p->arena + p->arena_len, p->inl + start, len);
		push_arena_arg(p, len);
	}
}

/*
 * Take inline bytes up to and including the newline. The line is limited
 * however it arrives (Redis only limits a line still without its newline),
 * so the outcome does not depend on how the input was split.
 */
static size_t feed_inline(struct proto_parser *p, const struct proto_limits *lim, const char *s,
                          size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t take = nl != NULL ? (size_t)(nl - s) : n;
	size_t content = p->inl_len + take;
	char last;

	/* A CR that may be the one before the newline is not content. */
	if (content > 0) {
		last = take > 0 ? s[take - 1] : p->inl[p->inl_len - 1];
		if (last == '\r')
			content--;
	}
	if (content > lim->max_inline) {
		set_error(p, "Protocol error: too big inline request");
		return take;
	}
	xgrow(&p->inl, &p->inl_cap, p->inl_len + take, PROTO_INLINE_FIRST, lim->max_inline + 1);
	if (take > 0)
		memcpy(p->inl + p->inl_len, s, take);
	p->inl_len += take;
	if (nl == NULL)
		return take;

	if (p->inl_len > 0 && p->inl[p->inl_len - 1] == '\r')
		p->inl_len--;
	if (inline_split(p) < 0) {
		set_error(p, "Protocol error: unbalanced quotes in request");
		return take + 1;
	}
	p->inl_len = 0;
	/* An empty line is no request. */
	p->state = p->argc > 0 ? ST_DONE : ST_START;
	return take + 1;
}

/* ---- multibulk requests ---------------------------------------------------- */

static void feed_mb_count(struct proto_parser *p, const struct proto_limits *lim, char c)
{
	long long v;
	int r = line_byte(p, c);

	if (r == 0) {
		if (1 + p->line_len > PROTO_HEADER_MAX)
			set_error(p, "Protocol error: too big mbulk count string");
		return;
	}
	if (r < 0 || !line_number(p, &v) || v > lim->max_multibulk || v > INT_MAX) {
		set_error(p, "Protocol error: invalid multibulk length");
		return;
	}
	p->line_len = 0;
	if (v <= 0) {
		/* "*0" and "*-1" are skipped, as in Redis. */
		p->state = ST_START;
		return;
	}
	p->multibulk_left = v;
	argv_reserve(p, v < PROTO_ARGV_FIRST ? (int)v : PROTO_ARGV_FIRST);
	p->state = ST_BULK_DOLLAR;
}

static void feed_bulk_dollar(struct proto_parser *p, char c)
{
	if (c == '$') {
		p->line_len = 0;
		p->state = ST_BULK_LEN;
	} else if (c >= ' ' && c <= '~') {
		set_error(p, "Protocol error: expected '$', got '%c'", c);
	} else {
		/* Not raw: the message goes back to the client and into the log. */
		set_error(p, "Protocol error: expected '$', got '\\x%02x'", (unsigned char)c);
	}
}

static void feed_bulk_len(struct proto_parser *p, const struct proto_limits *lim, char c)
{
	long long v;
	int r = line_byte(p, c);

	if (r == 0) {
		if (1 + p->line_len > PROTO_HEADER_MAX)
			set_error(p, "Protocol error: too big bulk count string");
		return;
	}
	if (r < 0 || !line_number(p, &v) || v < 0 || v > lim->max_bulk ||
	    (unsigned long long)v >= SIZE_MAX) {
		set_error(p, "Protocol error: invalid bulk length");
		return;
	}
	p->line_len = 0;
	p->bulk_len = v;
	p->bulk_have = 0;
	/* A small bulk's room (checked, and small) is taken now, once. */
	p->bulk_arena = (size_t)v <= PROTO_ARENA_ARG;
	if (p->bulk_arena)
		arena_reserve(p, (size_t)v + 1);
	p->state = ST_BULK_DATA;
}

static size_t feed_bulk_data(struct proto_parser *p, const char *s, size_t n)
{
	size_t want = (size_t)p->bulk_len - p->bulk_have;
	size_t take = n < want ? n : want;

	if (p->bulk_arena) {
		if (take > 0)
			memcpy(p->arena + p->arena_len + p->bulk_have, s, take);
		p->bulk_have += take;
		if (p->bulk_have == (size_t)p->bulk_len)
			p->state = ST_BULK_CR;
		return take;
	}
	/* Room for what has arrived (and the NUL), never past the declared length. */
	xgrow(&p->bulk, &p->bulk_cap, p->bulk_have + take + 1, PROTO_BULK_FIRST,
	      (size_t)p->bulk_len + 1);
	if (take > 0)
		memcpy(p->bulk + p->bulk_have, s, take);
	p->bulk_have += take;
	if (p->bulk_have == (size_t)p->bulk_len)
		p->state = ST_BULK_CR;
	return take;
}

static void feed_bulk_crlf(struct proto_parser *p, char c)
{
	if (c != (p->state == ST_BULK_CR ? '\r' : '\n')) {
		set_error(p, "Protocol error: expected CRLF after bulk");
		return;
	}
	if (p->state == ST_BULK_CR) {
		p->state = ST_BULK_LF;
		return;
	}
	if (p->bulk_arena) {
		push_arena_arg(p, p->bulk_have);
		p->bulk_arena = 0;
	} else {
		/* The buffer is exactly the declared length + 1: it becomes the argument. */
		p->bulk[p->bulk_have] = '\0';
		push_arg(p, p->bulk, p->bulk_have);
		p->bulk = NULL;
		p->bulk_cap = 0;
	}
	p->bulk_have = 0;
	p->bulk_len = -1;
	p->multibulk_left--;
	p->state = p->multibulk_left > 0 ? ST_BULK_DOLLAR : ST_DONE;
}

/*
 * The fast path: the usual request, whole in the input, a header or a bulk
 * at a time, its number read as the digits are found, only in forms the
 * general path accepts. Anything else (split input, bad bytes, a big bulk,
 * a count over the limit) returns 0 and goes byte by byte, so errors and
 * their words are the general path's, whatever the split.
 *
 * "*N\r\n" at s (s[0] is '*'), N from 1 to the limit: its length, or 0.
 */
static size_t fast_count(struct proto_parser *p, const struct proto_limits *lim, const char *s,
                         size_t n)
{
	size_t i = 1;
	long long v = 0;

	if (n < 4 || s[1] < '1' || s[1] > '9')
		return 0;
	/* At most 8 digits: under INT_MAX, no overflow. */
	for (; i < n && i < 9 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	if (i + 1 >= n || s[i] != '\r' || s[i + 1] != '\n' || v > lim->max_multibulk)
		return 0;
	p->line_len = 0;
	p->multibulk_left = v;
	argv_reserve(p, v < PROTO_ARGV_FIRST ? (int)v : PROTO_ARGV_FIRST);
	p->state = ST_BULK_DOLLAR;
	return i + 2;
}

/*
 * A whole small bulk ("$N\r\n", N bytes, "\r\n") already in the input, at the
 * start of its header: taken in one step; its length, or 0.
 */
static size_t fast_bulk(struct proto_parser *p, const struct proto_limits *lim, const char *s,
                        size_t n)
{
	size_t i = 1, end, v = 0;

	if (n < 4 || s[0] != '$' || p->line_len != 0 || p->saw_cr)
		return 0;
	if (s[1] == '0') {
		i = 2; /* "$0": the one number that may start with 0 */
	} else {
		/* At most 5 digits: enough to pass PROTO_ARENA_ARG, no overflow. */
		for (; i < n && i < 6 && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (size_t)(s[i] - '0');
		if (i == 1)
			return 0;
	}
	if (i + 1 >= n || s[i] != '\r' || s[i + 1] != '\n' || v > PROTO_ARENA_ARG ||
	    (long long)v > lim->max_bulk)
		return 0;
	end = i + 2 + v;
	if (end + 2 > n || s[end] != '\r' || s[end + 1] != '\n')
		return 0;
	if (p->arena_cap - p->arena_len < v + 1)
		arena_reserve(p, v + 1);
	memcpy(p->arena + p->arena_len, s + i + 2, v);
	push_arena_arg(p, v);
	p->multibulk_left--;
	p->state = p->multibulk_left > 0 ? ST_BULK_DOLLAR : ST_DONE;
	return end + 2;
}

/* ---- the parser ------------------------------------------------------------ */

void proto_init(struct proto_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = ST_START;
	p->bulk_len = -1;
}

void proto_free(struct proto_parser *p)
{
	proto_reset_request(p);
	free(p->argv);
	free(p->argvlen);
	free(p->argoff);
	free(p->arena);
	free(p->inl);
	proto_init(p);
}

void proto_reset_request(struct proto_parser *p)
{
	for (int i = 0; i < p->argc; i++)
		if (p->argoff[i] == SIZE_MAX)
			free(p->argv[i]);
	p->argc = 0;
	p->args_bytes = 0;
	p->arena_len = 0;
	p->bulk_arena = 0;
	/* Keep small buffers for the next request, not what one big request needed. */
	if (p->argv_cap > PROTO_ARGV_KEEP) {
		free(p->argv);
		free(p->argvlen);
		free(p->argoff);
		p->argv = NULL;
		p->argvlen = NULL;
		p->argoff = NULL;
		p->argv_cap = 0;
	}
	if (p->arena_cap > PROTO_ARENA_KEEP) {
		free(p->arena);
		p->arena = NULL;
		p->arena_cap = 0;
	}
	if (p->inl_cap > PROTO_INLINE_KEEP) {
		free(p->inl);
		p->inl = NULL;
		p->inl_cap = 0;
	}
	if (p->bulk != NULL) { /* a big bulk cut short; the usual request has none */
		free(p->bulk);
		p->bulk = NULL;
		p->bulk_cap = 0;
	}
	p->bulk_have = 0;
	p->bulk_len = -1;
	p->multibulk_left = 0;
	p->line_len = 0;
	p->inl_len = 0;
	p->saw_cr = 0;
	p->err[0] = '\0';
	p->state = ST_START;
}

size_t proto_pending_bytes(const struct proto_parser *p)
{
	size_t line = p->line_len < sizeof p->line ? p->line_len : sizeof p->line;

	return p->args_bytes + p->bulk_have + line + p->inl_len;
}

enum proto_status proto_feed(struct proto_parser *p, const struct proto_limits *lim,
                             const char *buf, size_t len, size_t *consumed, char *err,
                             size_t errlen)
{
	size_t pos = 0;

	if (lim == NULL)
		lim = &proto_default_limits;
	if (p->state == ST_DONE)
		fatalx("proto_feed: the previous request was not reset");
	while (pos < len && p->state != ST_ERROR) {
		switch ((enum proto_state)p->state) {
		case ST_START: {
			size_t k;
			if (buf[pos] != '*') {
				p->state = ST_INLINE;
			} else if ((k = fast_count(p, lim, buf + pos, len - pos)) > 0) {
				pos += k;
			} else {
				p->line_len = 0;
				p->state = ST_MB_COUNT;
				pos++;
			}
			break;
		}
		case ST_INLINE:
			pos += feed_inline(p, lim, buf + pos, len - pos);
			break;
		case ST_MB_COUNT:
			feed_mb_count(p, lim, buf[pos++]);
			break;
		case ST_BULK_DOLLAR: {
			size_t k = fast_bulk(p, lim, buf + pos, len - pos);
			if (k == 0) {
				feed_bulk_dollar(p, buf[pos++]);
				break;
			}
			/* The request's other bulks, as long as they are whole. */
			do
				pos += k;
			while (p->state == ST_BULK_DOLLAR &&
			       (k = fast_bulk(p, lim, buf + pos, len - pos)) > 0);
			break;
		}
		case ST_BULK_LEN:
			feed_bulk_len(p, lim, buf[pos++]);
			break;
		case ST_BULK_DATA:
			pos += feed_bulk_data(p, buf + pos, len - pos);
			break;
		case ST_BULK_CR:
		case ST_BULK_LF:
			feed_bulk_crlf(p, buf[pos++]);
			break;
		case ST_DONE:
		case ST_ERROR:
			break;
		}
		if (p->state == ST_DONE) {
			*consumed = pos;
			return PROTO_REQUEST;
		}
	}
	*consumed = pos;
	if (p->state == ST_ERROR) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", p->err);
		return PROTO_ERROR;
	}
	return PROTO_NEED_MORE;
}
