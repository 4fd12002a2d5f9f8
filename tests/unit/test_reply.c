/* Unit tests for proto's reply encoders and their buffer (the parser: test_proto.c). */
#include "proto.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define ck_assert_rbuf(b, lit)                                                                     \
	do {                                                                                       \
		ck_assert_uint_eq((b)->len, sizeof(lit) - 1);                                      \
		ck_assert_mem_eq((b)->data, lit, sizeof(lit) - 1);                                 \
		rbuf_free(b);                                                                      \
	} while (0)

START_TEST(test_reply_simple)
{
	struct rbuf b;

	rbuf_init(&b);
	ck_assert_uint_eq(b.len, 0);
	reply_ok(&b);
	ck_assert_rbuf(&b, "+OK\r\n");
	reply_simple(&b, "PONG");
	ck_assert_rbuf(&b, "+PONG\r\n");
	reply_simple(&b, "a\r\nb\rc\n");
	ck_assert_rbuf(&b, "+a  b c \r\n");
	reply_simple(&b, "");
	ck_assert_rbuf(&b, "+\r\n");
}
END_TEST

START_TEST(test_reply_error)
{
	struct rbuf b;
	char big[600];

	rbuf_init(&b);
	reply_error(&b, "ERR", "Protocol error: invalid bulk length");
	ck_assert_rbuf(&b, "-ERR Protocol error: invalid bulk length\r\n");
	reply_error(&b, "NOTFOUND", "");
	ck_assert_rbuf(&b, "-NOTFOUND\r\n");
	reply_error(&b, "NOTFOUND", NULL);
	ck_assert_rbuf(&b, "-NOTFOUND\r\n");
	reply_error(&b, "", "x");
	ck_assert_rbuf(&b, "-ERR x\r\n");
	/* A client's value must never break the framing. */
	reply_error(&b, "INVALID", "serial \"AB\r\n+OK\r\n\": letters");
	ck_assert_rbuf(&b, "-INVALID serial \"AB  +OK  \": letters\r\n");
	reply_error(&b, "BAD\r\nWORD", "m\n");
	ck_assert_rbuf(&b, "-BAD  WORD m \r\n");
	reply_errorf(&b, "INVALID", "%s \"%s\": a positive integer", "ticket id", "1\r\n2");
	ck_assert_rbuf(&b, "-INVALID ticket id \"1  2\": a positive integer\r\n");
	/* Longer than the formatter's stack buffer. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[300] = '\n';
	reply_errorf(&b, "ERR", "<%s>", big);
	ck_assert_uint_eq(b.len, 5 + 1 + sizeof big - 1 + 1 + 2);
	ck_assert_mem_eq(b.data, "-ERR <xxx", 9);
	ck_assert_int_eq(b.data[5 + 1 + 300], ' ');
	ck_assert_mem_eq(b.data + b.len - 6, "xxx>\r\n", 6);
	rbuf_free(&b);
}
END_TEST

START_TEST(test_reply_values)
{
	struct rbuf b;

	rbuf_init(&b);
	reply_int(&b, 0);
	ck_assert_rbuf(&b, ":0\r\n");
	reply_int(&b, -42);
	ck_assert_rbuf(&b, ":-42\r\n");
	reply_int(&b, LLONG_MIN);
	ck_assert_rbuf(&b, ":-9223372036854775808\r\n");
	reply_int(&b, LLONG_MAX);
	ck_assert_rbuf(&b, ":9223372036854775807\r\n");
	reply_bulk(&b, "a\0\r\nb", 5);
	ck_assert_rbuf(&b, "$5\r\na\0\r\nb\r\n");
	reply_bulk(&b, NULL, 0);
	ck_assert_rbuf(&b, "$0\r\n\r\n");
	reply_bulk_str(&b, "hello");
	ck_assert_rbuf(&b, "$5\r\nhello\r\n");
	reply_bulk_str(&b, "");
	ck_assert_rbuf(&b, "$0\r\n\r\n");
	reply_bulk_str(&b, NULL);
	ck_assert_rbuf(&b, "$0\r\n\r\n");
	reply_null(&b);
	ck_assert_rbuf(&b, "$-1\r\n");
	reply_array(&b, 0);
	ck_assert_rbuf(&b, "*0\r\n");
	reply_array(&b, 3);
	reply_bulk_str(&b, "id");
	reply_int(&b, 7);
	reply_null(&b);
	ck_assert_rbuf(&b, "*3\r\n$2\r\nid\r\n:7\r\n$-1\r\n");
	rbuf_append(&b, "", 0);
	ck_assert_uint_eq(b.len, 0);
	rbuf_free(&b);
}
END_TEST

/* RESP3 after HELLO 3: a record is a map, "no value" is _; RESP2 stays as it was. */
START_TEST(test_reply_resp3)
{
	struct rbuf b;

	rbuf_init(&b);
	reply_map(&b, 0);
	ck_assert_rbuf(&b, "%0\r\n");
	reply_map(&b, 12);
	ck_assert_rbuf(&b, "%12\r\n");
	reply_record(&b, 3, 2);
	reply_bulk_str(&b, "id");
	reply_bulk_str(&b, "1");
	reply_bulk_str(&b, "state");
	reply_bulk_str(&b, "booked");
	ck_assert_rbuf(&b, "%2\r\n$2\r\nid\r\n$1\r\n1\r\n$5\r\nstate\r\n$6\r\nbooked\r\n");
	reply_record(&b, 2, 2);
	ck_assert_rbuf(&b, "*4\r\n");
	reply_record(&b, 2, 0);
	ck_assert_rbuf(&b, "*0\r\n");
	reply_nil(&b, 3);
	ck_assert_rbuf(&b, "_\r\n");
	reply_nil(&b, 2);
	ck_assert_rbuf(&b, "$-1\r\n");
	rbuf_free(&b);
}
END_TEST

START_TEST(test_rbuf_grows)
{
	struct rbuf b;
	const int count = 100000;

	rbuf_init(&b);
	for (int i = 0; i < count; i++) {
		size_t before = b.cap;

		reply_bulk(&b, "0123456789", 10);
		/* Geometric: a reallocation at least doubles. */
		ck_assert(b.cap == before || b.cap >= 2 * before);
	}
	ck_assert_uint_eq(b.len, (size_t)count * 17);
	ck_assert_uint_le(b.cap, 2 * b.len);
	for (int i = 0; i < count; i += 997)
		ck_assert_mem_eq(b.data + (size_t)i * 17, "$10\r\n0123456789\r\n", 17);
	rbuf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("replies");

	tcase_add_test(tc, test_reply_simple);
	tcase_add_test(tc, test_reply_error);
	tcase_add_test(tc, test_reply_values);
	tcase_add_test(tc, test_reply_resp3);
	tcase_add_test(tc, test_rbuf_grows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(reply_suite());
}
