/*
 * proto: the RESP2 request parser and the reply encoders (docs/protocol.md):
 * RESP2, and the RESP3 types a client gets after HELLO 3 (maps, null).
 *
 * The parser turns bytes into an argv and knows nothing about commands
 * (memcached's habit). It is incremental: bytes may arrive one at a time and
 * a request may be split anywhere. It enforces Redis's limits with Redis's
 * wording, and never allocates from a length it has not checked: bulk
 * buffers grow as data arrives, up to the declared (checked) length.
 *
 * Pure: no I/O, no clock.
 */
#ifndef REPAIRD_PROTO_H
#define REPAIRD_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct proto_limits {
	long long max_multibulk; /* elements in one request (Redis: 1024*1024) */
	long long max_bulk;      /* bytes in one bulk string (Redis: proto-max-bulk-len) */
	size_t max_inline;       /* bytes in an inline request line (Redis: 64 KiB) */
};

/* Redis's defaults, with a bulk limit that fits this protocol (1 MiB). */
extern const struct proto_limits proto_default_limits;

struct proto_parser {
	/* The request being assembled. */
	int argc;
	int argv_cap;
	char **argv; /* each NUL-terminated, binary-safe with argvlen */
	size_t *argvlen;
	size_t *argoff; /* where argv[i] is in the arena; SIZE_MAX: its own allocation */

	/*
	 * Small arguments (the usual ones) are stored one after another in
	 * the arena, reused from request to request: no allocation per
	 * argument. A bulk over PROTO_ARENA_ARG bytes gets its own buffer.
	 */
	char *arena;
	size_t arena_len;
	size_t arena_cap;
	int bulk_arena; /* the current bulk goes to the arena */

	/* Parser state. */
	int state;                /* internal */
	long long multibulk_left; /* elements still to read */
	long long bulk_len;       /* declared length of the current bulk, -1 none */
	size_t bulk_have;         /* bytes of it read so far */
	size_t bulk_cap;
	char *bulk;
	char line[64]; /* a header line being assembled ("*3", "$5") */
	size_t line_len;
	char *inl; /* an inline line being assembled */
	size_t inl_len;
	size_t inl_cap;
	int saw_cr;
	size_t args_bytes; /* sum of argvlen[0..argc) */
	char err[80];      /* the protocol error, repeated if fed again */
};

enum proto_status {
	PROTO_NEED_MORE, /* all input consumed, no complete request yet */
	PROTO_REQUEST,   /* a complete request is in argc/argv; call proto_reset_request next */
	PROTO_ERROR,     /* a protocol error: reply with the message, then close */
};

void proto_init(struct proto_parser *p);
void proto_free(struct proto_parser *p);

/*
 * Feed len bytes. Sets *consumed to how many were used (stops right after a
 * complete request, so pipelined requests come out one at a time). On
 * PROTO_ERROR, err holds "Protocol error: ..." as Redis words it.
 * An empty inline line is skipped, as in Redis.
 */
enum proto_status proto_feed(struct proto_parser *p, const struct proto_limits *lim,
                             const char *buf, size_t len, size_t *consumed, char *err,
                             size_t errlen);
/* Forget the request just returned (keeps buffers for reuse). */
void proto_reset_request(struct proto_parser *p);
/* Bytes held by the parser for a request not yet complete (for query-buffer limits). */
size_t proto_pending_bytes(const struct proto_parser *p);

/* ---- replies ---- */

struct rbuf {
	char *data;
	size_t len;
	size_t cap;
};

void rbuf_init(struct rbuf *b);
void rbuf_free(struct rbuf *b);
void rbuf_append_slow(struct rbuf *b, const void *data, size_t len);
/*
 * Append len bytes. Inline for the common case of room left: the journal
 * encodes a record a few bytes at a time, and replies end in small pieces.
 */
static inline void rbuf_append(struct rbuf *b, const void *data, size_t len)
{
	if (len != 0 && b->cap - b->len >= len) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
		return;
	}
	rbuf_append_slow(b, data, len);
}
/*
 * Room for len more bytes at the returned pointer; the caller writes up to
 * len bytes there and adds what it wrote to b->len. For a reply assembled
 * in one go from a known upper bound, instead of growing by small steps.
 */
char *rbuf_reserve(struct rbuf *b, size_t len);
/*
 * rbuf_reserve() with the common case, room left, inline: for an encoder
 * that writes straight into the buffer (the journal's varints) rather than
 * through a local copy and a memcpy call a field. len must not be 0.
 */
static inline char *rbuf_room(struct rbuf *b, size_t len)
{
	if (b->cap - b->len >= len)
		return b->data + b->len;
	return rbuf_reserve(b, len);
}
/* Most bytes a bulk string adds to its data: "$", 20 digits, CRLF, CRLF. */
#define RESP_BULK_OVERHEAD 25
/* Writes the bulk string "$len\r\n" s "\r\n" at d (room: len + RESP_BULK_OVERHEAD). */
size_t resp_put_bulk(char *d, const char *s, size_t len);

void reply_ok(struct rbuf *b);                    /* +OK */
void reply_simple(struct rbuf *b, const char *s); /* +s (CR/LF replaced by spaces) */
/* -WORD message (CR/LF in message replaced by spaces), e.g. word "INVALID". */
void reply_error(struct rbuf *b, const char *word, const char *msg);
void reply_errorf(struct rbuf *b, const char *word, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void reply_int(struct rbuf *b, long long v);                /* :v */
void reply_bulk(struct rbuf *b, const char *s, size_t len); /* $len s */
void reply_bulk_str(struct rbuf *b, const char *s);
void reply_null(struct rbuf *b);               /* $-1 */
void reply_array(struct rbuf *b, long long n); /* *n */

/* ---- RESP3 (after HELLO 3); the RESP2 encoders above are unchanged ---- */

void reply_map(struct rbuf *b, long long npairs); /* %npairs: then key, value, ... */
/*
 * A record of npairs field/value pairs: a map under RESP3 (resp 3), the
 * flat field/value array of RESP2 otherwise (*2n), so one handler serves both.
 */
void reply_record(struct rbuf *b, int resp, long long npairs);
/* "No value": $-1 under RESP2, _ under RESP3. */
void reply_nil(struct rbuf *b, int resp);

#endif
