/*
 * Unit tests for proto: the RESP2 request parser (the reply encoders: test_reply.c).
 *
 * Every input is fed whole, one byte at a time, and split in two at every
 * boundary; the parser must tell the same story each time. The malformed
 * inputs are those of Redis's tests/unit/protocol.tcl, with Redis's wording.
 */
#include "proto.h"
#include "xmalloc.h"

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string literal and its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* ---- a transcript of what the parser said ------------------------------------ */

struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = xreallocarray(t->s, t->cap, 1);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_fmt(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_fmt(struct text *t, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof tmp);
	text_add(t, tmp, (size_t)n);
}

/* "R<argc> <len>:<bytes>...", bytes outside printable ASCII (and '\') as \xHH. */
static void text_request(struct text *t, const struct proto_parser *p)
{
	text_fmt(t, "R%d", p->argc);
	for (int i = 0; i < p->argc; i++) {
		text_fmt(t, " %zu:", p->argvlen[i]);
		/* Binary-safe, and NUL-terminated as promised. */
		if (p->argv[i][p->argvlen[i]] != '\0')
			ck_abort_msg("argv[%d] is not NUL-terminated", i);
		for (size_t j = 0; j < p->argvlen[i]; j++) {
			unsigned char c = (unsigned char)p->argv[i][j];

			if (c >= ' ' && c <= '~' && c != '\\')
				text_add(t, (const char *)&c, 1);
			else
				text_fmt(t, "\\x%02x", c);
		}
	}
	text_add(t, "\n", 1);
}

/*
 * Feed in[0..n): first a piece of `first` bytes, then pieces of `step`
 * bytes (0: all the rest at once). Returns the transcript: one line per
 * request, "E <message>" for an error (feeding stops), else "end <pending>".
 */
static char *run(const struct proto_limits *lim, const char *in, size_t n, size_t first,
                 size_t step)
{
	struct proto_parser p;
	struct text t = {NULL, 0, 0};
	size_t at = 0;
	int first_piece = 1;

	proto_init(&p);
	text_add(&t, "", 0);
	while (at < n || first_piece) {
		size_t piece = first_piece ? first : (step == 0 ? n - at : step);
		size_t off = 0;

		if (piece > n - at)
			piece = n - at;
		first_piece = 0;
		do {
			char err[128] = "";
			size_t used = SIZE_MAX;
			enum proto_status st;

			st = proto_feed(&p, lim, in + at + off, piece - off, &used, err,
			                sizeof err);
			/*
			 * Plain checks here: each ck_assert records a mark point
			 * (a write in fork mode), too slow byte by byte.
			 */
			if (used > piece - off)
				ck_abort_msg("consumed %zu of %zu", used, piece - off);
			off += used;
			if (st == PROTO_ERROR) {
				if (err[0] == '\0')
					ck_abort_msg("an error without a message");
				text_fmt(&t, "E %s\n", err);
				proto_free(&p);
				return t.s;
			}
			if (st == PROTO_REQUEST) {
				if (used == 0 || p.argc <= 0)
					ck_abort_msg("a request of %zu bytes, %d args", used,
					             p.argc);
				text_request(&t, &p);
				proto_reset_request(&p);
			} else {
				/* Need-more means everything was taken. */
				if (st != PROTO_NEED_MORE || off != piece)
					ck_abort_msg("status %d, consumed %zu of %zu", (int)st, off,
					             piece);
			}
		} while (off < piece);
		at += piece;
	}
	text_fmt(&t, "end %zu\n", proto_pending_bytes(&p));
	proto_free(&p);
	return t.s;
}

static void expect_run(const struct proto_limits *lim, const char *in, size_t n, size_t first,
                       size_t step, const char *want, const char *how)
{
	char *got = run(lim, in, n, first, step);

	if (strcmp(got, want) != 0)
		ck_abort_msg("fed %s (first %zu, step %zu):\n got: %s\nwant: %s", how, first, step,
		             got, want);
	free(got);
}

/*
 * The same transcript whole, byte by byte, and split in two at every
 * boundary (at a sample of boundaries for long inputs).
 */
static void expect_lim(const struct proto_limits *lim, const char *in, size_t n, const char *want)
{
	size_t stride = n > 4096 ? 997 : 1;

	expect_run(lim, in, n, n, 0, want, "whole");
	expect_run(lim, in, n, 0, 1, want, "byte by byte");
	for (size_t k = 0; k <= n; k += stride)
		expect_run(lim, in, n, k, 0, want, "in two");
	for (size_t k = n > 8 ? n - 8 : 0; k <= n; k++)
		expect_run(lim, in, n, k, 0, want, "in two");
}

static void expect(const char *in, size_t n, const char *want)
{
	expect_lim(&proto_default_limits, in, n, want);
}

/* An input given as a literal that may hold NUL bytes: IN("...") in a table. */
struct input {
	const char *s;
	size_t n;
};
#define IN(lit)                                                                                    \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}

/* Each of the inputs, parsed alone, gives want. */
static void expect_each(const struct input *in, size_t count, const char *want)
{
	for (size_t i = 0; i < count; i++)
		expect(in[i].s, in[i].n, want);
}
#define EXPECT_EACH(table, want) expect_each(table, sizeof(table) / sizeof(table)[0], want)

/* n copies of c, then tail. */
static char *repeat(char c, size_t n, const char *tail, size_t tail_len, size_t *len)
{
	char *s = xmalloc(n + tail_len);

	memset(s, c, n);
	memcpy(s + n, tail, tail_len);
	*len = n + tail_len;
	return s;
}

/* ---- valid requests ---------------------------------------------------------- */

START_TEST(test_multibulk)
{
	expect(S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"), "R3 3:SET 1:k 5:value\nend 0\n");
	expect(S("*1\r\n$4\r\nPING\r\n"), "R1 4:PING\nend 0\n");
	/* Empty bulks, and a count with the most digits that still fits. */
	expect(S("*2\r\n$0\r\n\r\n$0\r\n\r\n"), "R2 0: 0:\nend 0\n");
	expect(S("*1\r\n$10\r\n0123456789\r\n"), "R1 10:0123456789\nend 0\n");
}
END_TEST

/*
 * Small arguments share the parser's arena, which moves as it grows: every
 * argument stays intact through the moves, beside a bulk too big for the
 * arena (its own buffer), and in the next requests, which reuse the arena.
 */
START_TEST(test_arena_args_survive_growth)
{
	struct text in = {NULL, 0, 0}, want = {NULL, 0, 0};
	char arg[1600];

	text_add(&in, "", 0);
	text_add(&want, "", 0);
	text_fmt(&in, "*42\r\n");
	text_fmt(&want, "R42");
	for (int i = 0; i < 42; i++) {
		size_t len = i == 20 ? 1500 : 100; /* one over the arena's argument size */
		memset(arg, 'a' + i % 26, len);
		arg[0] = (char)('0' + i % 10);
		text_fmt(&in, "$%zu\r\n", len);
		text_add(&in, arg, len);
		text_add(&in, "\r\n", 2);
		text_fmt(&want, " %zu:", len);
		text_add(&want, arg, len);
	}
	text_add(&want, "\n", 1);
	text_fmt(&in, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING a \"b c\"\r\n");
	text_fmt(&want, "R2 3:GET 1:k\nR3 4:PING 1:a 3:b c\nend 0\n");
	expect_lim(NULL, in.s, in.len, want.s);
	free(in.s);
	free(want.s);
}
END_TEST

/*
 * Where the fast path (a header or a whole bulk at a time) hands over to the
 * byte-by-byte one: lengths with 1 to 4 digits, at and past the arena's
 * argument size (1024), counts of one and two digits. Split anywhere, the
 * same requests come out.
 */
START_TEST(test_fast_path_edges)
{
	static const size_t lens[] = {0, 1, 9, 10, 99, 100, 999, 1000, 1023, 1024, 1025};
	struct text in = {NULL, 0, 0}, want = {NULL, 0, 0};
	char arg[1100];
	size_t n = sizeof lens / sizeof lens[0];

	text_add(&in, "", 0);
	text_add(&want, "", 0);
	text_fmt(&in, "*%zu\r\n", n);
	text_fmt(&want, "R%zu", n);
	for (size_t i = 0; i < n; i++) {
		memset(arg, 'a' + (int)i, lens[i]);
		text_fmt(&in, "$%zu\r\n", lens[i]);
		text_add(&in, arg, lens[i]);
		text_add(&in, "\r\n", 2);
		text_fmt(&want, " %zu:", lens[i]);
		text_add(&want, arg, lens[i]);
	}
	text_add(&want, "\n", 1);
	/* Then a one-digit count, and a bulk of 0 in the middle. */
	text_fmt(&in, "*3\r\n$1\r\nx\r\n$0\r\n\r\n$2\r\nyz\r\n");
	text_fmt(&want, "R3 1:x 0: 2:yz\nend 0\n");
	expect_lim(NULL, in.s, in.len, want.s);
	free(in.s);
	free(want.s);
	/* The most digits a count may have, then one too many ("*" and 9 digits). */
	expect(S("*10000000\r\n"), "E Protocol error: invalid multibulk length\n");
	expect(S("*100000000\r\n"), "E Protocol error: invalid multibulk length\n");
	expect(S("*1\r\n$00\r\n\r\n"), "E Protocol error: invalid bulk length\n");
	expect(S("*1\r\n$0\r\nx\r\n"), "E Protocol error: expected CRLF after bulk\n");
	expect(S("*1\r\n$100000\r\n"), "end 0\n");
}
END_TEST

START_TEST(test_binary_bulk)
{
	expect(S("*2\r\n$3\r\nGET\r\n$8\r\na\0\r\nb\r\n\n\r\n"),
	       "R2 3:GET 8:a\\x00\\x0d\\x0ab\\x0d\\x0a\\x0a\nend 0\n");
	/* Data that looks like protocol is data. */
	expect(S("*1\r\n$8\r\n*1\r\n$1\r\n\r\n"), "R1 8:*1\\x0d\\x0a$1\\x0d\\x0a\nend 0\n");
	/* All 256 byte values. */
	{
		char in[300], want[1200];
		size_t n = 0, w;

		n += (size_t)snprintf(in, sizeof in, "*1\r\n$256\r\n");
		for (int c = 0; c < 256; c++)
			in[n++] = (char)c;
		in[n++] = '\r';
		in[n++] = '\n';
		w = (size_t)snprintf(want, sizeof want, "R1 256:");
		for (int c = 0; c < 256; c++) {
			if (c >= ' ' && c <= '~' && c != '\\')
				want[w++] = (char)c;
			else
				w += (size_t)snprintf(want + w, sizeof want - w, "\\x%02x", c);
		}
		snprintf(want + w, sizeof want - w, "\nend 0\n");
		expect(in, n, want);
	}
}
END_TEST

START_TEST(test_inline)
{
	expect(S("PING\r\n"), "R1 4:PING\nend 0\n");
	expect(S("PING\n"), "R1 4:PING\nend 0\n");
	expect(S("SET k value\r\n"), "R3 3:SET 1:k 5:value\nend 0\n");
	/* Runs of spaces and tabs, leading and trailing. */
	expect(S(" \t SET\t\tk   v \t\r\n"), "R3 3:SET 1:k 1:v\nend 0\n");
	/* Only the CR before the newline goes; others separate, as in Redis. */
	expect(S("a\rb\r\r\n"), "R2 1:a 1:b\nend 0\n");
	/* Not a protocol line: an inline request; the server guards cross-protocol. */
	expect(S("POST / HTTP/1.1\r\n"), "R3 4:POST 1:/ 8:HTTP/1.1\nend 0\n");
	/* Bytes that are not text are kept. */
	expect(S("x\0y\x01 z\n"), "R2 4:x\\x00y\\x01 1:z\nend 0\n");
	/* '$' or anything but '*' first is inline. */
	expect(S("$3\r\n"), "R1 2:$3\nend 0\n");
}
END_TEST

START_TEST(test_inline_quotes)
{
	expect(S("SET \"a b\" 'c d'\r\n"), "R3 3:SET 3:a b 3:c d\nend 0\n");
	expect(S("ECHO \"\\x41\\x7a\\x7A\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"),
	       "R2 4:ECHO 11:Azz\\x0a\\x0d\\x09\\x08\\x07\\x5c\"q\nend 0\n");
	/* \x with fewer than two hex digits is x and the rest. */
	expect(S("ECHO \"\\x4 \\xg1\"\n"), "R2 4:ECHO 6:x4 xg1\nend 0\n");
	expect(S("ECHO 'it\\'s' 'a\\nb'\n"), "R3 4:ECHO 4:it's 4:a\\x5cnb\nend 0\n");
	expect(S("ECHO \"\" ''\n"), "R3 4:ECHO 0: 0:\nend 0\n");
	/* A quote inside a word opens there, as in sdssplitargs. */
	expect(S("ab\"c d\" e\n"), "R2 5:abc d 1:e\nend 0\n");
	expect(S("\"a\"\t'b'\r\n"), "R2 1:a 1:b\nend 0\n");
}
END_TEST

START_TEST(test_skipped)
{
	/* Redis: empty query, "*0", "*-1", "*-10" are no request and no error. */
	expect(S("\r\n"), "end 0\n");
	expect(S("\n"), "end 0\n");
	expect(S(" \t \r\n"), "end 0\n");
	expect(S("*0\r\n"), "end 0\n");
	expect(S("*-1\r\n"), "end 0\n");
	expect(S("*-10\r\n"), "end 0\n");
	expect(S("\r\n\n*0\r\n*-10\r\n   \nPING\r\n"), "R1 4:PING\nend 0\n");
}
END_TEST

START_TEST(test_pipeline)
{
	struct text in = {NULL, 0, 0}, want = {NULL, 0, 0};

	for (int i = 0; i < 40; i++) {
		char arg[16];
		int n = snprintf(arg, sizeof arg, "v%d", i * 37);

		switch (i % 4) {
		case 0:
			text_fmt(&in, "*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n", n, arg);
			break;
		case 1:
			text_fmt(&in, "ECHO %s\r\n", arg);
			break;
		case 2:
			text_fmt(&in, "ECHO \"%s\"\n*0\r\n\r\n", arg);
			break;
		default:
			text_fmt(&in, "*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n\n", n, arg);
			break;
		}
		text_fmt(&want, "R2 4:ECHO %d:%s\n", n, arg);
	}
	/* A request cut short at the end stays pending: "ECHO" and 2 of 3 bytes. */
	text_fmt(&in, "*2\r\n$4\r\nECHO\r\n$3\r\nab");
	text_fmt(&want, "end 6\n");
	expect(in.s, in.len, want.s);
	free(in.s);
	free(want.s);
}
END_TEST

/* consumed stops right after each request, so they come out one per call. */
START_TEST(test_consumed)
{
	static const char in[] = "PING\r\n*1\r\n$4\r\nPING\r\n\r\nECHO x\n*1\r\n$1";
	struct proto_parser p;
	size_t used, at = 0, n = sizeof in - 1;
	char err[128];

	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, in, n, &used, err, sizeof err), PROTO_REQUEST);
	ck_assert_uint_eq(used, 6);
	at += used;
	proto_reset_request(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, in + at, n - at, &used, err, sizeof err),
	                 PROTO_REQUEST);
	ck_assert_uint_eq(used, 14);
	at += used;
	proto_reset_request(&p);
	/* The empty line is skipped on the way to the next request. */
	ck_assert_int_eq(proto_feed(&p, NULL, in + at, n - at, &used, err, sizeof err),
	                 PROTO_REQUEST);
	ck_assert_uint_eq(used, 9);
	ck_assert_int_eq(p.argc, 2);
	at += used;
	proto_reset_request(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, in + at, n - at, &used, err, sizeof err),
	                 PROTO_NEED_MORE);
	ck_assert_uint_eq(used, n - at);
	/* Nothing to feed is fine. */
	ck_assert_int_eq(proto_feed(&p, NULL, in, 0, &used, err, sizeof err), PROTO_NEED_MORE);
	ck_assert_uint_eq(used, 0);
	proto_free(&p);
	/* Freeing twice, or a parser never used, is harmless. */
	proto_free(&p);
}
END_TEST

/* ---- malformed requests (Redis's protocol.tcl) ---------------------------------- */

START_TEST(test_bad_multibulk_length)
{
	static const struct input bad[] = {
	        IN("*20000000\r\n"),
	        IN("*3000000000\r\n"),
	        IN("*99999999999999999999\r\n"),
	        IN("*1048577\r\n"),
	        IN("*abc\r\n"),
	        IN("*\r\n"),
	        IN("*+1\r\n"),
	        IN("*01\r\n"),
	        IN("*1 \r\n"),
	        IN("*-\r\n"),
	        /* Stricter than Redis: a CR must be followed by LF. */
	        IN("*1\rX$1\r\nx\r\n"),
	};

	EXPECT_EACH(bad, "E Protocol error: invalid multibulk length\n");
	expect(S("*1048576\r\n"), "end 0\n");
}
END_TEST

START_TEST(test_bad_dollar)
{
	expect(S("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"),
	       "E Protocol error: expected '$', got 'f'\n");
	expect(S("*1\r\nfoo\r\n"), "E Protocol error: expected '$', got 'f'\n");
	/* Not printable: escaped, so the message stays one clean line. */
	expect(S("*1\r\n\r\n"), "E Protocol error: expected '$', got '\\x0d'\n");
	expect(S("*1\r\n\0"), "E Protocol error: expected '$', got '\\x00'\n");
	expect(S("*2\r\n$1\r\na\r\n\xff"), "E Protocol error: expected '$', got '\\xff'\n");
}
END_TEST

START_TEST(test_bad_bulk_length)
{
	static const struct input bad[] = {
	        IN("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n"),
	        IN("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n"),
	        IN("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n"),
	        IN("*1\r\n$2000000000\r\n"),
	        IN("*1\r\n$-1\r\n"),
	        IN("*1\r\n$\r\n"),
	        IN("*1\r\n$+3\r\nabc\r\n"),
	        IN("*1\r\n$03\r\nabc\r\n"),
	        IN("*1\r\n$1048577\r\n"),
	        IN("*1\r\n$99999999999999999999999\r\n"),
	        IN("*1\r\n$3\rX"),
	};

	EXPECT_EACH(bad, "E Protocol error: invalid bulk length\n");
}
END_TEST

START_TEST(test_missing_crlf)
{
	static const struct input bad[] = {
	        IN("*1\r\n$3\r\nfooXY"),
	        IN("*1\r\n$3\r\nfoo\rX"),
	        IN("*1\r\n$3\r\nfoo\n\r"),
	        IN("*2\r\n$1\r\na\r\n$0\r\nb\r\n"),
	};

	EXPECT_EACH(bad, "E Protocol error: expected CRLF after bulk\n");
	/* A bulk shorter than declared just waits. */
	expect(S("*1\r\n$6\r\nfoo\r\n"), "end 5\n");
}
END_TEST

START_TEST(test_unbalanced_quotes)
{
	static const struct input bad[] = {
	        IN("set \"\"\"test-key\"\"\" test-value\r\nping\r\n"),
	        IN("ECHO \"abc\r\n"),
	        IN("ECHO 'abc\r\n"),
	        IN("ECHO \"a\"b\n"),
	        IN("ECHO 'a'b\n"),
	        IN("ECHO \"abc\\\"\n"),
	};

	EXPECT_EACH(bad, "E Protocol error: unbalanced quotes in request\n");
	/* The request before is delivered; the error comes with the bad line. */
	expect(S("PING\nECHO \"x\n"),
	       "R1 4:PING\nE Protocol error: unbalanced quotes in request\n");
}
END_TEST

START_TEST(test_too_big_inline)
{
	char *in;
	size_t n;

	/* A 70 KB line without a newline. */
	in = repeat('A', 70 * 1024, "", 0, &n);
	expect(in, n, "E Protocol error: too big inline request\n");
	free(in);
	/* Protocol desync regression tests: "\0" and "$\0", then "payload"... */
	in = repeat('p', 70 * 1024, "", 0, &n);
	in[0] = '\0';
	expect(in, n, "E Protocol error: too big inline request\n");
	in[0] = '$';
	in[1] = '\0';
	expect(in, n, "E Protocol error: too big inline request\n");
	free(in);
	/* The limit is on the line however it arrives, newline or not. */
	in = repeat('A', 64 * 1024 + 1, "\r\n", 2, &n);
	expect(in, n, "E Protocol error: too big inline request\n");
	free(in);
}
END_TEST

START_TEST(test_inline_limit_exact)
{
	struct proto_limits lim = proto_default_limits;
	char in[128], want[256];

	lim.max_inline = 10;
	expect_lim(&lim, S("0123456789\r\n"), "R1 10:0123456789\nend 0\n");
	expect_lim(&lim, S("0123456789\n"), "R1 10:0123456789\nend 0\n");
	/* Waiting for the newline after a full line is not over the limit. */
	expect_lim(&lim, S("0123456789\r"), "end 11\n");
	expect_lim(&lim, S("0123456789A\n"), "E Protocol error: too big inline request\n");
	expect_lim(&lim, S("0123456789\rA"), "E Protocol error: too big inline request\n");
	expect_lim(&lim, S("0123456789\r\r\n"), "E Protocol error: too big inline request\n");
	/* The limit is per line. */
	snprintf(in, sizeof in, "0123456789\n0123 5678\r\n");
	snprintf(want, sizeof want, "R1 10:0123456789\nR2 4:0123 4:5678\nend 0\n");
	expect_lim(&lim, in, strlen(in), want);
}
END_TEST

START_TEST(test_too_big_count_strings)
{
	char *in;
	size_t n;

	/* Protocol desync regression test "*\0" then "payload"... */
	in = repeat('p', 70 * 1024, "", 0, &n);
	in[0] = '*';
	in[1] = '\0';
	expect(in, n, "E Protocol error: too big mbulk count string\n");
	in[0] = '*';
	in[1] = '1';
	memcpy(in + 2, "\r\n$", 3);
	expect(in, n, "E Protocol error: too big bulk count string\n");
	free(in);
	/* A bare LF ends no header line, as in Redis. */
	in = repeat('\n', 70 * 1024, "", 0, &n);
	in[0] = '*';
	in[1] = '1';
	expect(in, n, "E Protocol error: too big mbulk count string\n");
	free(in);
	/* Just under the limit is a bad number, not a too big line. */
	in = repeat('1', 64 * 1024 - 1, "\r\n", 2, &n);
	in[0] = '*';
	expect(in, n, "E Protocol error: invalid multibulk length\n");
	free(in);
}
END_TEST

/* The error is sticky, with its message, until the parser is reset. */
START_TEST(test_error_sticky)
{
	struct proto_parser p;
	size_t used = 99;
	char err[128];

	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("*1\r\nfoo"), &used, err, sizeof err), PROTO_ERROR);
	ck_assert_str_eq(err, "Protocol error: expected '$', got 'f'");
	ck_assert_uint_eq(used, 5);
	err[0] = '\0';
	ck_assert_int_eq(proto_feed(&p, NULL, S("PING\r\n"), &used, err, sizeof err), PROTO_ERROR);
	ck_assert_uint_eq(used, 0);
	ck_assert_str_eq(err, "Protocol error: expected '$', got 'f'");
	/* A short err buffer is filled, truncated, NUL-terminated. */
	ck_assert_int_eq(proto_feed(&p, NULL, S("x"), &used, err, 9), PROTO_ERROR);
	ck_assert_str_eq(err, "Protocol");
	ck_assert_int_eq(proto_feed(&p, NULL, S("x"), &used, NULL, 0), PROTO_ERROR);
	proto_reset_request(&p);
	ck_assert_uint_eq(proto_pending_bytes(&p), 0);
	ck_assert_int_eq(proto_feed(&p, NULL, S("PING\r\n"), &used, err, sizeof err),
	                 PROTO_REQUEST);
	ck_assert_int_eq(p.argc, 1);
	ck_assert_str_eq(p.argv[0], "PING");
	proto_free(&p);
}
END_TEST

/* ---- memory bounds --------------------------------------------------------------- */

START_TEST(test_bulk_grows_as_data_arrives)
{
	struct proto_parser p;
	size_t used;
	char err[128], chunk[4096];
	size_t have = 0, total = 1000000;

	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("*2\r\n$3\r\nSET\r\n$1000000\r\n0123456789"), &used,
	                            err, sizeof err),
	                 PROTO_NEED_MORE);
	have = 10;
	/* Declared a megabyte, sent ten bytes: holds ten bytes, not a megabyte. */
	ck_assert_uint_eq(proto_pending_bytes(&p), 3 + 10);
	ck_assert_uint_ge(p.bulk_cap, 11);
	ck_assert_uint_lt(p.bulk_cap, 64 * 1024);
	for (size_t i = 0; i < sizeof chunk; i++)
		chunk[i] = (char)('a' + i % 26);
	while (have < total) {
		size_t n = total - have < sizeof chunk ? total - have : sizeof chunk;

		ck_assert_int_eq(proto_feed(&p, NULL, chunk, n, &used, err, sizeof err),
		                 PROTO_NEED_MORE);
		have += n;
		ck_assert_uint_eq(proto_pending_bytes(&p), 3 + have);
		/* Geometric, and never past the declared length. */
		ck_assert_uint_ge(p.bulk_cap, have + 1);
		ck_assert_uint_le(p.bulk_cap,
		                  2 * (have + 1) > 16 * 1024 ? 2 * (have + 1) : 16 * 1024);
		ck_assert_uint_le(p.bulk_cap, total + 1);
	}
	ck_assert_int_eq(proto_feed(&p, NULL, S("\r\n"), &used, err, sizeof err), PROTO_REQUEST);
	ck_assert_int_eq(p.argc, 2);
	ck_assert_uint_eq(p.argvlen[1], total);
	ck_assert_mem_eq(p.argv[1], "0123456789abc", 13);
	ck_assert_int_eq(p.argv[1][total - 1], (char)('a' + (total - 10 - 1) % sizeof chunk % 26));
	ck_assert_uint_eq(proto_pending_bytes(&p), 3 + total);
	proto_reset_request(&p);
	ck_assert_uint_eq(proto_pending_bytes(&p), 0);
	proto_free(&p);
}
END_TEST

START_TEST(test_huge_refused_before_allocation)
{
	struct proto_parser p;
	size_t used;
	char err[128];

	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("*1\r\n$1000000000\r\n"), &used, err, sizeof err),
	                 PROTO_ERROR);
	ck_assert_str_eq(err, "Protocol error: invalid bulk length");
	ck_assert_ptr_null(p.bulk);
	ck_assert_uint_eq(p.bulk_cap, 0);
	proto_free(&p);

	/* The largest count allowed reserves a bounded argv. */
	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("*1048576\r\n"), &used, err, sizeof err),
	                 PROTO_NEED_MORE);
	ck_assert_int_le(p.argv_cap, 1024);
	ck_assert_ptr_null(p.bulk);
	proto_free(&p);

	/* A count over the limit reserves nothing. */
	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("*2147483648\r\n"), &used, err, sizeof err),
	                 PROTO_ERROR);
	ck_assert_int_eq(p.argv_cap, 0);
	proto_free(&p);
}
END_TEST

START_TEST(test_argv_grows_as_elements_arrive)
{
	struct proto_parser p;
	struct text in = {NULL, 0, 0};
	size_t used, at = 0;
	char err[128];
	const int count = 5000;

	proto_init(&p);
	text_fmt(&in, "*%d\r\n", count);
	for (int i = 0; i < count; i++)
		text_fmt(&in, "$1\r\n%c\r\n", 'a' + i % 26);
	/* Feed all but the last element: the argv holds what came, geometrically. */
	ck_assert_int_eq(proto_feed(&p, NULL, in.s, in.len - 7, &used, err, sizeof err),
	                 PROTO_NEED_MORE);
	at = used;
	ck_assert_int_eq(p.argc, count - 1);
	ck_assert_int_le(p.argv_cap, 2 * count);
	ck_assert_uint_eq(proto_pending_bytes(&p), (size_t)count - 1);
	ck_assert_int_eq(proto_feed(&p, NULL, in.s + at, in.len - at, &used, err, sizeof err),
	                 PROTO_REQUEST);
	ck_assert_int_eq(p.argc, count);
	ck_assert_uint_eq(p.argvlen[count - 1], 1);
	ck_assert_int_eq(p.argv[count - 1][0], 'a' + (count - 1) % 26);
	proto_reset_request(&p);
	/* A big argv is not kept for the next, small, request. */
	ck_assert_int_le(p.argv_cap, 1024);
	proto_free(&p);
	free(in.s);
}
END_TEST

START_TEST(test_pending_bytes)
{
	struct proto_parser p;
	size_t used;
	char err[128];

	proto_init(&p);
	ck_assert_uint_eq(proto_pending_bytes(&p), 0);
	ck_assert_int_eq(proto_feed(&p, NULL, S("SET ab"), &used, err, sizeof err),
	                 PROTO_NEED_MORE);
	ck_assert_uint_eq(proto_pending_bytes(&p), 6);
	ck_assert_int_eq(proto_feed(&p, NULL, S(" c\r\n"), &used, err, sizeof err), PROTO_REQUEST);
	ck_assert_uint_eq(proto_pending_bytes(&p), 6);
	proto_reset_request(&p);
	ck_assert_int_eq(
	        proto_feed(&p, NULL, S("*3\r\n$3\r\nSET\r\n$5\r\nab"), &used, err, sizeof err),
	        PROTO_NEED_MORE);
	ck_assert_uint_eq(proto_pending_bytes(&p), 5);
	ck_assert_int_eq(proto_feed(&p, NULL, S("cde\r\n$12"), &used, err, sizeof err),
	                 PROTO_NEED_MORE);
	ck_assert_uint_eq(proto_pending_bytes(&p), 10);
	/* A parser freed mid-request leaks nothing (valgrind). */
	proto_free(&p);
	ck_assert_uint_eq(proto_pending_bytes(&p), 0);
}
END_TEST

START_TEST(test_custom_limits)
{
	struct proto_limits lim = {.max_multibulk = 2, .max_bulk = 3, .max_inline = 64};

	expect_lim(&lim, S("*2\r\n$3\r\nabc\r\n$0\r\n\r\n"), "R2 3:abc 0:\nend 0\n");
	expect_lim(&lim, S("*3\r\n"), "E Protocol error: invalid multibulk length\n");
	expect_lim(&lim, S("*1\r\n$4\r\n"), "E Protocol error: invalid bulk length\n");
}
END_TEST

/* Feeding after a request without resetting is the program's error: fatal. */
START_TEST(test_feed_without_reset_aborts)
{
	struct proto_parser p;
	size_t used;
	char err[128];

	proto_init(&p);
	ck_assert_int_eq(proto_feed(&p, NULL, S("PING\n"), &used, err, sizeof err), PROTO_REQUEST);
	/* Only in the forked child: keep the expected fatal message out of the output. */
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
	proto_feed(&p, NULL, S("PING\n"), &used, err, sizeof err);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, test_multibulk);
	tcase_add_test(tc, test_binary_bulk);
	tcase_add_test(tc, test_arena_args_survive_growth);
	tcase_add_test(tc, test_fast_path_edges);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_inline_quotes);
	tcase_add_test(tc, test_skipped);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_consumed);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bad_multibulk_length);
	tcase_add_test(tc, test_bad_dollar);
	tcase_add_test(tc, test_bad_bulk_length);
	tcase_add_test(tc, test_missing_crlf);
	tcase_add_test(tc, test_unbalanced_quotes);
	tcase_add_test(tc, test_too_big_inline);
	tcase_add_test(tc, test_inline_limit_exact);
	tcase_add_test(tc, test_too_big_count_strings);
	tcase_add_test(tc, test_error_sticky);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_test(tc, test_bulk_grows_as_data_arrives);
	tcase_add_test(tc, test_huge_refused_before_allocation);
	tcase_add_test(tc, test_argv_grows_as_elements_arrive);
	tcase_add_test(tc, test_pending_bytes);
	tcase_add_test(tc, test_custom_limits);
	suite_add_tcase(s, tc);

	return s;
}

static Suite *proto_contract_suite(void)
{
	Suite *s = suite_create("proto contract");
	TCase *tc = tcase_create("contract");

	tcase_add_test_raise_signal(tc, test_feed_without_reset_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	/* An abort can only be watched from a forked test (not under CK_FORK=no). */
	if (srunner_fork_status(sr) != CK_NOFORK)
		srunner_add_suite(sr, proto_contract_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
