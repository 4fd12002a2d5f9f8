/*
 * reply: the reply buffer and the reply encoders of proto.h (RESP2, and the
 * RESP3 map and null for clients that asked for RESP3 with HELLO 3).
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

/* ---- replies --------------------------------------------------------------- */

void rbuf_init(struct rbuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void rbuf_free(struct rbuf *b)
{
	free(b->data);
	rbuf_init(b);
}

char *rbuf_reserve(struct rbuf *b, size_t len)
{
	if (len > SIZE_MAX - b->len)
		fatalx("rbuf: reply too large");
	xgrow(&b->data, &b->cap, b->len + len, 256, SIZE_MAX);
	return b->data + b->len;
}

void rbuf_append_slow(struct rbuf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	memcpy(rbuf_reserve(b, len), data, len);
	b->len += len;
}

/* Append s with CR and LF made spaces: a value must never break the framing. */
static void rbuf_append_line_safe(struct rbuf *b, const char *s)
{
	size_t len = strlen(s);
	char *d;

	if (len == 0)
		return;
	d = rbuf_reserve(b, len);
	for (size_t i = 0; i < len; i++)
		d[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
	b->len += len;
}

static void rbuf_printf(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For short numeric headers only. */
static void rbuf_printf(struct rbuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		fatalx("rbuf: header too long");
	rbuf_append(b, tmp, (size_t)n);
}

void reply_ok(struct rbuf *b)
{
	rbuf_append(b, "+OK\r\n", 5);
}

void reply_simple(struct rbuf *b, const char *s)
{
	rbuf_append(b, "+", 1);
	rbuf_append_line_safe(b, s);
	rbuf_append(b, "\r\n", 2);
}

void reply_error(struct rbuf *b, const char *word, const char *msg)
{
	/* A bare "-" would leave the client without the error's kind. */
	if (word == NULL || *word == '\0')
		word = "ERR";
	rbuf_append(b, "-", 1);
	rbuf_append_line_safe(b, word);
	if (msg != NULL && *msg != '\0') {
		rbuf_append(b, " ", 1);
		rbuf_append_line_safe(b, msg);
	}
	rbuf_append(b, "\r\n", 2);
}

void reply_errorf(struct rbuf *b, const char *word, const char *fmt, ...)
{
	char small[256], *msg = small;
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		small[0] = '\0';
	} else if ((size_t)n >= sizeof small) {
		msg = xmalloc((size_t)n + 1);
		vsnprintf(msg, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	reply_error(b, word, msg);
	if (msg != small)
		free(msg);
}

void reply_int(struct rbuf *b, long long v)
{
	rbuf_printf(b, ":%lld\r\n", v);
}

/* "<c><n>\r\n" without printf: replies are made of thousands of these. */
static void rbuf_header(struct rbuf *b, char c, unsigned long long n)
{
	char tmp[24];
	size_t k = sizeof tmp;
	char *d;

	do {
		tmp[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	d = rbuf_reserve(b, 1 + (sizeof tmp - k) + 2);
	d[0] = c;
	memcpy(d + 1, tmp + k, sizeof tmp - k);
	memcpy(d + 1 + (sizeof tmp - k), "\r\n", 2);
	b->len += 1 + (sizeof tmp - k) + 2;
}

size_t resp_put_bulk(char *d, const char *s, size_t len)
{
	size_t n = 1;

	d[0] = '$';
	/* Reply values are short: one or two digits without a loop or a division. */
	if (len < 10) {
		d[n++] = (char)('0' + len);
	} else if (len < 100) {
		d[n++] = (char)('0' + len / 10);
		d[n++] = (char)('0' + len % 10);
	} else {
		char tmp[24];
		size_t k = sizeof tmp, v = len;
		do {
			tmp[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(d + n, tmp + k, sizeof tmp - k);
		n += sizeof tmp - k;
	}
	d[n++] = '\r';
	d[n++] = '\n';
	if (len > 0)
		memcpy(d + n, s, len);
	n += len;
	d[n++] = '\r';
	d[n++] = '\n';
	return n;
}

void reply_bulk(struct rbuf *b, const char *s, size_t len)
{
	if (len > SIZE_MAX - RESP_BULK_OVERHEAD)
		fatalx("rbuf: reply too large");
	b->len += resp_put_bulk(rbuf_reserve(b, len + RESP_BULK_OVERHEAD), s, len);
}

/* NULL is "not set", which this protocol sends as an empty bulk string. */
void reply_bulk_str(struct rbuf *b, const char *s)
{
	if (s == NULL)
		s = "";
	reply_bulk(b, s, strlen(s));
}

void reply_null(struct rbuf *b)
{
	rbuf_append(b, "$-1\r\n", 5);
}

void reply_array(struct rbuf *b, long long n)
{
	if (n < 0)
		rbuf_printf(b, "*%lld\r\n", n);
	else
		rbuf_header(b, '*', (unsigned long long)n);
}

void reply_map(struct rbuf *b, long long npairs)
{
	rbuf_header(b, '%', npairs < 0 ? 0 : (unsigned long long)npairs);
}

void reply_record(struct rbuf *b, int resp, long long npairs)
{
	if (resp >= 3)
		reply_map(b, npairs);
	else
		reply_array(b, 2 * npairs);
}

void reply_nil(struct rbuf *b, int resp)
{
	if (resp >= 3)
		rbuf_append(b, "_\r\n", 3);
	else
		reply_null(b);
}
