/* Unit tests for strpool: interning and the string arena. */
#include "strpool.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK ((size_t)64 * 1024) /* the arena's block size */

/* ---- interning --------------------------------------------------------- */

START_TEST(test_intern_same)
{
	struct strpool p;
	char buf[16];
	uint32_t id;

	strpool_init(&p);
	id = strpool_intern(&p, "LX-200");
	ck_assert_uint_eq(id, 0);
	/* Equal content at another address is the same string. */
	snprintf(buf, sizeof buf, "LX-%d", 200);
	ck_assert_uint_eq(strpool_intern(&p, buf), id);
	ck_assert_uint_eq(strpool_intern(&p, "LX-200"), id);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(strpool_str(&p, id), "LX-200");
	ck_assert_ptr_ne(strpool_str(&p, id), buf);
	strpool_free(&p);
}
END_TEST

START_TEST(test_intern_distinct_dense)
{
	static const char *const names[] = {"alice", "bob", "", "Alice", "alice ", "b", "bo"};
	const size_t count = sizeof names / sizeof names[0];
	struct strpool p;

	strpool_init(&p);
	for (size_t i = 0; i < count; i++)
		ck_assert_uint_eq(strpool_intern(&p, names[i]), i);
	for (size_t i = 0; i < count; i++) {
		ck_assert_uint_eq(strpool_intern(&p, names[i]), i);
		ck_assert_uint_eq(strpool_find(&p, names[i]), i);
		ck_assert_str_eq(strpool_str(&p, (uint32_t)i), names[i]);
	}
	ck_assert_uint_eq(p.n, count);
	ck_assert_ptr_null(strpool_str(&p, (uint32_t)count));
	ck_assert_ptr_null(strpool_str(&p, UINT32_MAX));
	strpool_free(&p);
}
END_TEST

START_TEST(test_find_unknown)
{
	struct strpool p;
	const struct strpool *cp = &p;

	strpool_init(&p);
	/* An empty pool has no table yet. */
	ck_assert_uint_eq(strpool_find(cp, "x"), UINT32_MAX);
	ck_assert_uint_eq(strpool_find(cp, ""), UINT32_MAX);
	ck_assert_ptr_null(strpool_str(cp, 0));
	strpool_intern(&p, "x");
	ck_assert_uint_eq(strpool_find(cp, "x"), 0);
	ck_assert_uint_eq(strpool_find(cp, "y"), UINT32_MAX);
	ck_assert_uint_eq(strpool_find(cp, "x "), UINT32_MAX);
	ck_assert_uint_eq(strpool_find(cp, ""), UINT32_MAX);
	/* find never adds */
	ck_assert_uint_eq(p.n, 1);
	strpool_free(&p);
}
END_TEST

/* Lengths come from the pool, not strlen, across the growth of its arrays. */
START_TEST(test_intern_lengths)
{
	struct strpool p;
	char buf[80];

	strpool_init(&p);
	ck_assert_uint_eq(strpool_len(&p, 0), 0);
	for (int i = 0; i < 300; i++) {
		/* "", "x", "xx", ... then repeats of earlier ones, which add nothing */
		memset(buf, 'x', (size_t)(i % 70));
		buf[i % 70] = '\0';
		if (i >= 70)
			snprintf(buf, sizeof buf, "name-%d%s", i, i % 3 ? "" : " with blanks");
		strpool_intern(&p, buf);
	}
	for (uint32_t id = 0; id < p.n; id++)
		ck_assert_uint_eq(strpool_len(&p, id), strlen(strpool_str(&p, id)));
	ck_assert_uint_eq(strpool_len(&p, strpool_find(&p, "")), 0);
	ck_assert_uint_eq(strpool_len(&p, strpool_find(&p, "name-99 with blanks")), 19);
	ck_assert_uint_eq(strpool_len(&p, p.n), 0);
	ck_assert_uint_eq(strpool_len(&p, UINT32_MAX), 0);
	strpool_free(&p);
}
END_TEST

#define MANY 100000

START_TEST(test_intern_many)
{
	struct strpool p;
	const char *first;
	char buf[32];

	strpool_init(&p);
	first = strpool_str(&p, strpool_intern(&p, "s0"));
	for (uint32_t i = 1; i < MANY; i++) {
		snprintf(buf, sizeof buf, "s%u", i);
		ck_assert_uint_eq(strpool_intern(&p, buf), i);
	}
	ck_assert_uint_eq(p.n, MANY);
	/* Power of two, and grown so that the load stays under 70%. */
	ck_assert_uint_eq(p.tablecap & (p.tablecap - 1), 0);
	ck_assert_uint_le((uint64_t)p.n * 10, (uint64_t)p.tablecap * 7);
	/* Strings did not move when the table and the id array grew. */
	ck_assert_ptr_eq(strpool_str(&p, 0), first);
	for (uint32_t i = 0; i < MANY; i++) {
		snprintf(buf, sizeof buf, "s%u", i);
		ck_assert_uint_eq(strpool_find(&p, buf), i);
		ck_assert_str_eq(strpool_str(&p, i), buf);
	}
	for (uint32_t i = MANY; i < MANY + 1000; i++) {
		snprintf(buf, sizeof buf, "s%u", i);
		ck_assert_uint_eq(strpool_find(&p, buf), UINT32_MAX);
	}
	/* Interning again adds nothing. */
	for (uint32_t i = 0; i < MANY; i += 7) {
		snprintf(buf, sizeof buf, "s%u", i);
		ck_assert_uint_eq(strpool_intern(&p, buf), i);
	}
	ck_assert_uint_eq(p.n, MANY);
	strpool_free(&p);
}
END_TEST

/* ---- arena --------------------------------------------------------------- */

static char *pattern(size_t len)
{
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + i % 26);
	s[len] = '\0';
	return s;
}

START_TEST(test_arena_copy)
{
	struct strarena a;
	const char *s, *t;

	strarena_init(&a);
	/* len bytes are copied, embedded NULs included, and a NUL follows. */
	s = strarena_dup(&a, "ab\0cdXYZ", 5);
	ck_assert_mem_eq(s, "ab\0cd", 6);
	t = strarena_dup(&a, NULL, 0);
	ck_assert_str_eq(t, "");
	ck_assert_ptr_ne(s, t);
	ck_assert_uint_eq(a.bytes, 6 + 1);
	strarena_free(&a);
	strarena_free(&a);
}
END_TEST

START_TEST(test_arena_long_string)
{
	struct strarena a;
	char *big = pattern(3 * BLOCK);
	const char *s1, *s2, *s3, *s4;

	strarena_init(&a);
	s1 = strarena_dup(&a, "one", 3);
	ck_assert_uint_eq(a.nblocks, 1);
	ck_assert_uint_eq(a.used, 4);

	s2 = strarena_dup(&a, big, 3 * BLOCK);
	ck_assert_mem_eq(s2, big, 3 * BLOCK + 1);
	/* The long string has its own block; the current block is untouched. */
	ck_assert_uint_eq(a.nblocks, 2);
	ck_assert_uint_eq(a.used, 4);
	s3 = strarena_dup(&a, "two", 3);
	ck_assert_ptr_eq(s3, s1 + 4);
	ck_assert_uint_eq(a.nblocks, 2);

	/* Exactly one block with its NUL fits a block; one byte more does not. */
	s4 = strarena_dup(&a, big, BLOCK - 1);
	ck_assert_mem_eq(s4, big, BLOCK - 1);
	ck_assert_int_eq(s4[BLOCK - 1], '\0');
	ck_assert_uint_eq(a.nblocks, 3);
	ck_assert_uint_eq(a.used, BLOCK);
	s4 = strarena_dup(&a, big, BLOCK);
	ck_assert_mem_eq(s4, big, BLOCK);
	ck_assert_int_eq(s4[BLOCK], '\0');
	ck_assert_uint_eq(a.nblocks, 4);
	ck_assert_uint_eq(a.used, BLOCK);

	ck_assert_str_eq(s1, "one");
	ck_assert_str_eq(s3, "two");
	ck_assert_mem_eq(s2, big, 3 * BLOCK + 1);
	ck_assert_uint_eq(a.bytes, 4 + (3 * BLOCK + 1) + 4 + BLOCK + (BLOCK + 1));
	strarena_free(&a);
	free(big);
}
END_TEST

START_TEST(test_arena_long_string_first)
{
	struct strarena a;
	char *big = pattern(BLOCK + 10);
	const char *s, *t;

	strarena_init(&a);
	s = strarena_dup(&a, big, BLOCK + 10);
	t = strarena_dup(&a, "after", 5);
	ck_assert_mem_eq(s, big, BLOCK + 11);
	ck_assert_str_eq(t, "after");
	ck_assert_uint_eq(a.nblocks, 2);
	ck_assert_uint_eq(a.used, 6);
	strarena_free(&a);
	free(big);
}
END_TEST

START_TEST(test_arena_stable)
{
	enum { KEEP = 100, MORE = 1000000 };
	struct strarena a;
	const char *kept[KEEP];
	char buf[32];
	char *big = pattern(100000);

	strarena_init(&a);
	for (int i = 0; i < KEEP; i++) {
		int len = snprintf(buf, sizeof buf, "kept-%d", i);

		kept[i] = strarena_dup(&a, buf, (size_t)len);
	}
	/* Many small strings and, now and then, a long one. */
	for (int i = 0; i < MORE; i++) {
		int len = snprintf(buf, sizeof buf, "more-%d", i);

		strarena_dup(&a, buf, (size_t)len);
		if (i % 10000 == 0)
			strarena_dup(&a, big, 100000 - (size_t)i / 10000);
	}
	ck_assert_uint_gt(a.nblocks, 100);
	for (int i = 0; i < KEEP; i++) {
		snprintf(buf, sizeof buf, "kept-%d", i);
		ck_assert_str_eq(kept[i], buf);
	}
	strarena_free(&a);
	free(big);
}
END_TEST

static Suite *strpool_suite(void)
{
	Suite *s = suite_create("strpool");
	TCase *tc;

	tc = tcase_create("intern");
	tcase_add_test(tc, test_intern_same);
	tcase_add_test(tc, test_intern_distinct_dense);
	tcase_add_test(tc, test_find_unknown);
	tcase_add_test(tc, test_intern_many);
	tcase_add_test(tc, test_intern_lengths);
	suite_add_tcase(s, tc);

	tc = tcase_create("arena");
	tcase_add_test(tc, test_arena_copy);
	tcase_add_test(tc, test_arena_long_string);
	tcase_add_test(tc, test_arena_long_string_first);
	tcase_add_test(tc, test_arena_stable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(strpool_suite());
}
