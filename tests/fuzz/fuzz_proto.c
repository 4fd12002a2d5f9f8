/*
 * fuzz_proto: libFuzzer over the request parser and the command dispatch.
 *
 * An input is the byte stream of one client. It is parsed under Redis's
 * default limits and under tiny ones (4 elements, 16-byte bulks, 64-byte
 * inline lines), whole, one byte at a time and in chunks whose sizes come
 * from the input: the parser must tell the same story each time (a request
 * may be split anywhere) and never hold more than the limits allow.
 *
 * Under the default limits every request goes through cmd_dispatch() on an
 * in-process server: the real configuration (conf/repaird.yaml, or
 * $REPAIRD_SRC/conf/repaird.yaml), engine, access checks and command table,
 * the debug clock; no listener, no journal file, no Redis. The client is on
 * the unix socket or, for about half the inputs (chosen by their hash), on
 * TCP and must AUTH (the shipped users' password is "change-me"). Each
 * request must leave exactly one well-formed RESP reply (none after the
 * client is closed), and the journal records of the changes must replay
 * into a fresh engine that gives the same snapshot.
 * JOURNAL.COMPACT (a fork) and CONFIG.RELOAD (files, Redis) are left to the
 * integration tests.
 *
 * The engine starts afresh for every input, so a crash reproduces from its
 * input alone.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "journal.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "upstream.h"
#include "xmalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_T0 1772438400 /* 2026-03-02T08:00:00Z, a Monday morning */

static const struct proto_limits tiny_limits = {
        .max_multibulk = 4,
        .max_bulk = 16,
        .max_inline = 64,
};

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_CHUNKS };

/* The harness's state: one server and one client, kept across inputs. */
static struct fuzz {
	struct server srv;
	struct client cli;
	char config_path[4096];
	bool verbose;        /* FUZZ_VERBOSE=1: each request and its reply on stderr */
	int sock[2];         /* the client's bufferevent is on sock[0]; nothing is sent */
	struct rbuf journal; /* the records this input's changes produced */
	uint64_t journal_seq;
} fz;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_proto: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static void noop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config_errors errs = {0};
	const char *src = getenv("REPAIRD_SRC");

	(void)argc;
	(void)argv;
	fz.verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_init("fuzz_proto", fz.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR, 1);
	snprintf(fz.config_path, sizeof fz.config_path, "%s%sconf/repaird.yaml", src ? src : "",
	         src ? "/" : "");
	fz.srv.config_path = fz.config_path;
	fz.srv.cfg = config_load(fz.config_path, &errs);
	if (fz.srv.cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fail("cannot load %s (run from the source tree or set REPAIRD_SRC)",
		     fz.config_path);
	}
	/* No Redis: the link exists (INFO reports it) but stays disabled. */
	fz.srv.cfg->redis_enabled = false;
	fz.srv.base = event_base_new();
	if (fz.srv.base == NULL)
		fail("event_base_new failed");
	fz.srv.debug_clock = true;
	fz.srv.started_at = server_realtime();
	fz.srv.debug_now = FUZZ_T0;
	fz.srv.eng = engine_new(fz.srv.cfg);
	fz.srv.journal.fd = -1;
	fz.srv.journal.failed = false;
	fz.srv.cmd_stats = xcalloc(cmd_count(), sizeof *fz.srv.cmd_stats);
	fz.srv.commit_ev = event_new(fz.srv.base, -1, 0, noop, NULL);
	fz.srv.deadline_ev = evtimer_new(fz.srv.base, noop, NULL);
	if (fz.srv.commit_ev == NULL || fz.srv.deadline_ev == NULL)
		fail("event_new failed");
	fz.srv.up = upstream_new(&fz.srv);

	fz.cli.srv = &fz.srv;
	fz.cli.id = 1;
	/* A real bufferevent, for the handlers that stop reading a client. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fz.sock) < 0)
		fail("socketpair failed");
	fz.cli.bev = bufferevent_socket_new(fz.srv.base, fz.sock[0], 0);
	if (fz.cli.bev == NULL)
		fail("bufferevent_socket_new failed");
	proto_init(&fz.cli.parser);
	rbuf_init(&fz.cli.pending);
	rbuf_init(&fz.journal);
	return 0;
}

/* ---- replies: exactly one well-formed RESP2 value ----------------------------- */

/* The line at b[at..]: its length before the CRLF; -1 without CRLF or with a bare CR/LF. */
static long resp_line(const char *b, size_t n, size_t at)
{
	for (size_t i = at; i < n; i++) {
		if (b[i] == '\n')
			return -1;
		if (b[i] == '\r')
			return i + 1 < n && b[i + 1] == '\n' ? (long)(i - at) : -1;
	}
	return -1;
}

static int resp_number(const char *s, long len, long long *v)
{
	char tmp[32], *end;

	if (len <= 0 || len >= (long)sizeof tmp)
		return -1;
	memcpy(tmp, s, (size_t)len);
	tmp[len] = '\0';
	*v = strtoll(tmp, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* One value at b[*off]; moves *off past it. NULL, or what is wrong with it. */
static const char *resp_value(const char *b, size_t n, size_t *off, int depth)
{
	long len;
	long long v;
	size_t at = *off;

	if (depth > 16)
		return "arrays nested too deep";
	if (at >= n)
		return "truncated";
	len = resp_line(b, n, at + 1);
	if (len < 0)
		return "a line without CRLF, or with a bare CR or LF";
	*off = at + 1 + (size_t)len + 2;
	switch (b[at]) {
	case '+':
		return NULL;
	case '_': /* RESP3 null, after HELLO 3 */
		return len == 0 ? NULL : "a null with content";
	case '-':
		return len > 0 ? NULL : "an error without a word";
	case ':':
		return resp_number(b + at + 1, len, &v) == 0 ? NULL : "a bad integer";
	case '$':
		if (resp_number(b + at + 1, len, &v) < 0 || v < -1)
			return "a bad bulk length";
		if (v == -1)
			return NULL;
		if ((unsigned long long)v > n - *off || n - *off - (size_t)v < 2)
			return "a bulk shorter than its length";
		*off += (size_t)v;
		if (b[*off] != '\r' || b[*off + 1] != '\n')
			return "a bulk not followed by CRLF";
		*off += 2;
		return NULL;
	case '*':
	case '%': /* RESP3 map, after HELLO 3: key, value, ... */
		if (resp_number(b + at + 1, len, &v) < 0 || v < -1 || (b[at] == '%' && v < 0))
			return "a bad array length";
		if (b[at] == '%')
			v *= 2;
		for (long long i = 0; i < v; i++) {
			const char *why = resp_value(b, n, off, depth + 1);
			if (why != NULL)
				return why;
		}
		return NULL;
	default:
		return "an unknown type byte";
	}
}

static void check_reply(const struct proto_parser *p)
{
	const struct rbuf *out = &fz.cli.pending;
	size_t off = 0;
	const char *why;

	/* An HTTP request is answered by closing the connection, without a word. */
	if (out->len == 0 && fz.cli.closing)
		return;
	why = resp_value(out->data, out->len, &off, 0);
	if (why == NULL && off != out->len)
		why = "more than one reply";
	if (why != NULL)
		fail("%s: the reply to %.*s is not one RESP value (%s): %.*s", fz.config_path,
		     (int)(p->argvlen[0] > 64 ? 64 : p->argvlen[0]), p->argv[0], why,
		     (int)(out->len > 512 ? 512 : out->len), out->data ? out->data : "");
}

/* For FUZZ_VERBOSE: the request and the reply, escaped. */
static void show(const struct proto_parser *p)
{
	char esc[256];

	fprintf(stderr, ">");
	for (int i = 0; i < p->argc; i++)
		fprintf(stderr, " %s", log_escape(p->argv[i], p->argvlen[i], esc, sizeof esc));
	fprintf(stderr, "\n< %s\n",
	        log_escape(fz.cli.pending.data ? fz.cli.pending.data : "", fz.cli.pending.len, esc,
	                   sizeof esc));
}

/* ---- dispatch -------------------------------------------------------------------- */

/* A fresh engine, clock and client for each input. */
static void server_reset(bool is_unix)
{
	engine_free(fz.srv.eng);
	fz.srv.eng = engine_new(fz.srv.cfg);
	fz.srv.debug_now = FUZZ_T0;
	fz.srv.logged_seq = 0;
	memset(fz.srv.auth_fail, 0, sizeof fz.srv.auth_fail);
	fz.cli.is_unix = is_unix;
	snprintf(fz.cli.peer, sizeof fz.cli.peer, "%s", is_unix ? "unix:1" : "127.0.0.1:40000");
	free(fz.cli.user);
	fz.cli.user = NULL;
	fz.cli.closing = false;
	fz.cli.delayed = false;
	/* What HELLO, CLIENT and MULTI leave behind. */
	fz.cli.resp = 2;
	free(fz.cli.name);
	free(fz.cli.lib_name);
	free(fz.cli.lib_ver);
	fz.cli.name = fz.cli.lib_name = fz.cli.lib_ver = NULL;
	cmd_multi_free(fz.cli.multi);
	fz.cli.multi = NULL;
	if (fz.cli.delay_ev != NULL)
		evtimer_del(fz.cli.delay_ev);
	fz.journal.len = 0;
	fz.journal_seq = 0;
	journal_put_header(&fz.journal);
}

static void dispatch(const struct proto_parser *p)
{
	/* After QUIT (or an HTTP request) the server reads no more from the client. */
	if (fz.cli.closing)
		return;
	if (strcasecmp(p->argv[0], "JOURNAL.COMPACT") == 0 ||
	    strcasecmp(p->argv[0], "CONFIG.RELOAD") == 0)
		return;
	cmd_dispatch(&fz.cli, p->argc, p->argv, p->argvlen);
	if (fz.verbose)
		show(p);
	check_reply(p);
	/* The commit: the changes become journal records, then the replies go out. */
	journal_put_changes(&fz.journal, fz.srv.eng, &fz.journal_seq);
	fz.cli.pending.len = 0;
	fz.cli.in_pending = false;
	fz.cli.wrote = false;
	fz.srv.pending = NULL;
}

/* The last record of a snapshot: the commit (length, type, clock, sequence, CRC). */
#define SNAPSHOT_CLOCK_SIZE (JOURNAL_HEADER_SIZE + 1 + 8 + 8 + 4)

/* The journal of this input replays into a fresh engine with the same state. */
static void check_replay(void)
{
	struct engine *copy = engine_new(fz.srv.cfg);
	const unsigned char *j = (const unsigned char *)fz.journal.data;
	struct rbuf a, b;
	struct jrec rec;
	enum jnext st;
	size_t off = 0, at = 0;
	char why[200];

	while ((st = journal_next(j, fz.journal.len, &off, &rec)) == JNEXT_OK) {
		if (journal_apply(copy, &rec, why, sizeof why) < 0)
			fail("journal record %u at offset %zu does not replay: %s", rec.type, at,
			     why);
		at = off;
	}
	if (st != JNEXT_END)
		fail("journal: records end in %s at offset %zu",
		     st == JNEXT_TORN ? "a torn record" : "damage", at);
	rbuf_init(&a);
	rbuf_init(&b);
	journal_put_snapshot(&a, fz.srv.eng);
	journal_put_snapshot(&b, copy);
	/*
	 * The snapshots end with the clock, which an engine_advance() that changed
	 * nothing moves without a record: replay may give an earlier one, never a later.
	 */
	if (a.len != b.len || a.len < SNAPSHOT_CLOCK_SIZE ||
	    memcmp(a.data, b.data, a.len - SNAPSHOT_CLOCK_SIZE) != 0)
		fail("replay of the journal gives another state (snapshots of %zu and %zu bytes)",
		     a.len, b.len);
	if (engine_clock(copy) > engine_clock(fz.srv.eng))
		fail("replay of the journal gives a later clock");
	rbuf_free(&a);
	rbuf_free(&b);
	engine_free(copy);
}

/* ---- parsing ---------------------------------------------------------------------- */

static void transcript_add(struct rbuf *t, char kind, const void *data, size_t len)
{
	rbuf_append(t, &kind, 1);
	rbuf_append(t, &len, sizeof len);
	rbuf_append(t, data, len);
}

/* Chunk sizes from the input: a generator seeded with its hash. */
static uint64_t input_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	return h | 1;
}

static size_t next_chunk(uint64_t *rng)
{
	uint64_t x = *rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	/* Mostly small pieces, now and then a large one. */
	return 1 + (size_t)((x >> 8) % ((x & 7) == 0 ? 4096 : 24));
}

static void check_request(const struct proto_parser *p, const struct proto_limits *lim)
{
	if (p->argc < 1)
		fail("a request without arguments");
	for (int i = 0; i < p->argc; i++) {
		if (p->argv[i] == NULL || p->argv[i][p->argvlen[i]] != '\0')
			fail("argument %d is not NUL-terminated", i);
		if (p->argvlen[i] > (size_t)lim->max_bulk && p->argvlen[i] > lim->max_inline)
			fail("argument %d of %zu bytes is past the limits", i, p->argvlen[i]);
	}
}

/* What the parser may hold for an incomplete request under the tiny limits. */
#define TINY_PENDING_MAX ((size_t)(4 * 16 + 16) + sizeof(((struct proto_parser *)0)->line) + 64 + 1)

/*
 * Feed the input split as told; returns the transcript of requests and the
 * final status. Requests are dispatched when dispatching is asked for.
 */
static void parse(const uint8_t *data, size_t size, const struct proto_limits *lim, enum split how,
                  bool run, struct rbuf *t)
{
	struct proto_parser p;
	uint64_t rng = input_hash(data, size);
	size_t pos = 0;
	char err[128];

	proto_init(&p);
	while (pos < size) {
		size_t chunk = how == SPLIT_WHOLE   ? size - pos
		               : how == SPLIT_BYTES ? 1
		                                    : next_chunk(&rng);
		size_t off = 0;

		if (chunk > size - pos)
			chunk = size - pos;
		while (off < chunk) {
			size_t used = SIZE_MAX;
			enum proto_status st = proto_feed(&p, lim, (const char *)data + pos + off,
			                                  chunk - off, &used, err, sizeof err);

			if (used > chunk - off)
				fail("proto_feed used %zu of %zu bytes", used, chunk - off);
			off += used;
			if (st == PROTO_ERROR) {
				char again[128];
				size_t none = SIZE_MAX;
				if (proto_feed(&p, lim, "", 0, &none, again, sizeof again) !=
				            PROTO_ERROR ||
				    strcmp(err, again) != 0 || none != 0)
					fail("a protocol error is not repeated when fed again");
				transcript_add(t, 'E', err, strlen(err));
				proto_free(&p);
				return;
			}
			if (st == PROTO_NEED_MORE) {
				if (off != chunk)
					fail("PROTO_NEED_MORE with %zu bytes left", chunk - off);
				break;
			}
			if (used == 0)
				fail("a request from no bytes");
			check_request(&p, lim);
			transcript_add(t, 'R', &p.argc, sizeof p.argc);
			for (int i = 0; i < p.argc; i++)
				transcript_add(t, 'A', p.argv[i], p.argvlen[i]);
			if (run)
				dispatch(&p);
			proto_reset_request(&p);
		}
		if (lim == &tiny_limits && proto_pending_bytes(&p) > TINY_PENDING_MAX)
			fail("the parser holds %zu bytes under the tiny limits",
			     proto_pending_bytes(&p));
		pos += chunk;
	}
	transcript_add(t, 'N', "", 0);
	proto_free(&p);
}

static void same_story(const struct rbuf *a, const struct rbuf *b, const char *limits,
                       const char *split)
{
	if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
		fail("under the %s limits, the input fed %s tells another story than fed whole",
		     limits, split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_limits *const limits[] = {&proto_default_limits, &tiny_limits};
	const char *const names[] = {"default", "tiny"};
	struct rbuf whole, bytes, chunks;

	server_reset((input_hash(data, size) & 2) == 0);
	rbuf_init(&whole);
	rbuf_init(&bytes);
	rbuf_init(&chunks);
	for (int l = 0; l < 2; l++) {
		whole.len = bytes.len = chunks.len = 0;
		parse(data, size, limits[l], SPLIT_WHOLE, false, &whole);
		parse(data, size, limits[l], SPLIT_BYTES, false, &bytes);
		same_story(&whole, &bytes, names[l], "one byte at a time");
		parse(data, size, limits[l], SPLIT_CHUNKS, l == 0, &chunks);
		same_story(&whole, &chunks, names[l], "in chunks");
	}
	check_replay();
	rbuf_free(&whole);
	rbuf_free(&bytes);
	rbuf_free(&chunks);
	return 0;
}
