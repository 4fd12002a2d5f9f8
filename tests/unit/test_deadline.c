/* Unit tests for deadline: the indexed min-heap, by example and against a naive reference. */
#include "deadline.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

static uint32_t peek_idx(const struct dheap *h)
{
	uint32_t idx = UINT32_MAX;

	ck_assert(dheap_peek(h, &idx, NULL));
	return idx;
}

static int64_t peek_at(const struct dheap *h)
{
	int64_t at = 0;

	ck_assert(dheap_peek(h, NULL, &at));
	return at;
}

/* ---- examples ---------------------------------------------------------- */

START_TEST(test_empty)
{
	struct dheap h;
	uint32_t idx = 7;
	int64_t at = 7;

	dheap_init(&h);
	ck_assert(!dheap_peek(&h, &idx, &at));
	ck_assert_uint_eq(idx, 7);
	ck_assert_int_eq(at, 7);
	ck_assert(!dheap_contains(&h, 0));
	ck_assert(!dheap_contains(&h, UINT32_MAX));
	dheap_remove(&h, 3);
	ck_assert(dheap_valid(&h));
	dheap_free(&h);
	dheap_free(&h); /* freeing twice is harmless: free re-initialises */
}
END_TEST

START_TEST(test_insert_order)
{
	static const int64_t ats[] = {50, 10, 40, 30, 20, 60, -5, 35};
	static const uint32_t order[] = {6, 1, 4, 3, 7, 2, 0, 5};
	struct dheap h;

	dheap_init(&h);
	for (uint32_t i = 0; i < sizeof ats / sizeof ats[0]; i++) {
		dheap_set(&h, i, ats[i]);
		ck_assert(dheap_valid(&h));
		ck_assert(dheap_contains(&h, i));
	}
	ck_assert_uint_eq(h.n, 8);
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		ck_assert_uint_eq(peek_idx(&h), order[k]);
		ck_assert_int_eq(peek_at(&h), ats[order[k]]);
		dheap_remove(&h, order[k]);
		ck_assert(!dheap_contains(&h, order[k]));
		ck_assert(dheap_valid(&h));
	}
	ck_assert(!dheap_peek(&h, NULL, NULL));
	dheap_free(&h);
}
END_TEST

/*
 * Simultaneous deadlines come out by index whatever the order they went in:
 * a replayed engine (its heap built in id order) handles them, and numbers
 * their events, as the original did.
 */
START_TEST(bug_ties_depend_on_insertion_history)
{
	static const uint32_t in[][5] = {{4, 1, 3, 0, 2}, {0, 1, 2, 3, 4}, {2, 4, 0, 3, 1}};

	for (size_t r = 0; r < sizeof in / sizeof in[0]; r++) {
		struct dheap h;
		dheap_init(&h);
		dheap_set(&h, 9, 5); /* moved onto the tie later */
		for (size_t k = 0; k < 5; k++)
			dheap_set(&h, in[r][k], 100);
		dheap_set(&h, 9, 100);
		for (uint32_t want = 0; want < 5; want++) {
			ck_assert_uint_eq(peek_idx(&h), want);
			dheap_remove(&h, want);
			ck_assert(dheap_valid(&h));
		}
		ck_assert_uint_eq(peek_idx(&h), 9);
		dheap_free(&h);
	}
}
END_TEST

START_TEST(test_update)
{
	struct dheap h;

	dheap_init(&h);
	for (uint32_t i = 0; i < 10; i++)
		dheap_set(&h, i, 100 + 10 * (int64_t)i);
	ck_assert_uint_eq(peek_idx(&h), 0);

	/* earlier: 7 goes to the top */
	dheap_set(&h, 7, 5);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.n, 10);
	ck_assert_uint_eq(peek_idx(&h), 7);
	ck_assert_int_eq(peek_at(&h), 5);

	/* later: the top goes to the bottom, 0 comes back up */
	dheap_set(&h, 7, 1000);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(peek_idx(&h), 0);
	dheap_set(&h, 0, 999);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(peek_idx(&h), 1);

	/* same key: nothing moves */
	dheap_set(&h, 1, 110);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(peek_idx(&h), 1);
	ck_assert_uint_eq(h.n, 10);

	/* extremes */
	dheap_set(&h, 9, INT64_MIN);
	dheap_set(&h, 1, INT64_MAX);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(peek_idx(&h), 9);
	ck_assert_int_eq(peek_at(&h), INT64_MIN);
	dheap_free(&h);
}
END_TEST

START_TEST(test_remove)
{
	struct dheap h;

	dheap_init(&h);
	for (uint32_t i = 0; i < 31; i++)
		dheap_set(&h, i, (int64_t)i * 7 % 31);
	ck_assert_uint_eq(peek_idx(&h), 0);

	/* the top */
	dheap_remove(&h, 0);
	ck_assert(dheap_valid(&h));
	ck_assert(!dheap_contains(&h, 0));
	ck_assert_uint_eq(h.n, 30);
	ck_assert_int_eq(peek_at(&h), 1);

	/* a middle element, one whose replacement must move up, and a leaf */
	dheap_remove(&h, 15);
	ck_assert(dheap_valid(&h));
	dheap_remove(&h, 30);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.n, 28);
	ck_assert(!dheap_contains(&h, 15));
	ck_assert(!dheap_contains(&h, 30));

	/* absent, twice removed, and far beyond anything allocated: no-ops */
	dheap_remove(&h, 15);
	dheap_remove(&h, 5000);
	dheap_remove(&h, UINT32_MAX);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.n, 28);

	/* a removed index can come back */
	dheap_set(&h, 15, -1);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(peek_idx(&h), 15);
	dheap_free(&h);
}
END_TEST

START_TEST(test_remove_sifts_up)
{
	/*
	 * Inserted in this order the heap's layout is the array itself: a
	 * large left subtree (100, 101, 102) and a small right one (1, 2, 3).
	 * Removing 101 moves the last entry (3) under 100: the hole must be
	 * filled upwards, not only down.
	 */
	static const int64_t ats[] = {0, 100, 1, 101, 102, 2, 3};
	static const uint32_t order[] = {0, 2, 5, 6, 1, 4};
	struct dheap h;

	dheap_init(&h);
	for (uint32_t i = 0; i < sizeof ats / sizeof ats[0]; i++)
		dheap_set(&h, i, ats[i]);
	for (uint32_t i = 0; i < sizeof ats / sizeof ats[0]; i++)
		ck_assert_uint_eq(h.a[i].idx, i);
	dheap_remove(&h, 3);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.a[1].idx, 6);
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		ck_assert_uint_eq(peek_idx(&h), order[k]);
		dheap_remove(&h, order[k]);
		ck_assert(dheap_valid(&h));
	}
	ck_assert_uint_eq(h.n, 0);
	dheap_free(&h);
}
END_TEST

START_TEST(test_large_idx)
{
	struct dheap h;

	dheap_init(&h);
	dheap_set(&h, 1000000, 42);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_ge(h.npos, 1000001);
	ck_assert(dheap_contains(&h, 1000000));
	ck_assert(!dheap_contains(&h, 999999));
	ck_assert(!dheap_contains(&h, 0));
	ck_assert_uint_eq(peek_idx(&h), 1000000);

	dheap_set(&h, 3, 41);
	dheap_set(&h, 4000000, 40);
	ck_assert(dheap_valid(&h));
	ck_assert_uint_eq(h.n, 3);
	ck_assert_uint_eq(peek_idx(&h), 4000000);
	dheap_remove(&h, 4000000);
	ck_assert_uint_eq(peek_idx(&h), 3);
	dheap_remove(&h, 3);
	ck_assert_uint_eq(peek_idx(&h), 1000000);
	ck_assert(dheap_valid(&h));
	dheap_free(&h);
}
END_TEST

/* ---- property: random operations against a naive reference -------------- */

#define PROP_OPS    100000
#define PROP_SLOTS  512
#define PROP_STRIDE 97 /* idx = slot * stride: spread indices, grow pos[] */

struct xorshift {
	uint64_t s;
};

static uint64_t xorshift_next(struct xorshift *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

struct reference {
	bool present[PROP_SLOTS];
	int64_t at[PROP_SLOTS];
	uint32_t n;
};

/* A small key range so that ties are common; now and then an extreme. */
static int64_t random_at(struct xorshift *r)
{
	uint64_t x = xorshift_next(r);

	switch (x % 64) {
	case 0:
		return INT64_MIN;
	case 1:
		return INT64_MAX;
	default:
		return (int64_t)(x >> 8 & 1023) - 512;
	}
}

static void check_against(const struct dheap *h, const struct reference *ref)
{
	uint32_t idx, slot;
	int64_t at, min = INT64_MAX;

	ck_assert_uint_eq(h->n, ref->n);
	if (ref->n == 0) {
		ck_assert(!dheap_peek(h, &idx, &at));
		return;
	}
	for (uint32_t k = 0; k < PROP_SLOTS; k++)
		if (ref->present[k] && ref->at[k] < min)
			min = ref->at[k];
	ck_assert(dheap_peek(h, &idx, &at));
	ck_assert_int_eq(at, min);
	/* Ties: any idx holding the minimum will do. */
	ck_assert_uint_eq(idx % PROP_STRIDE, 0);
	slot = idx / PROP_STRIDE;
	ck_assert_uint_lt(slot, PROP_SLOTS);
	ck_assert(ref->present[slot]);
	ck_assert_int_eq(ref->at[slot], min);
}

START_TEST(test_property_random)
{
	struct xorshift r = {.s = 0x9e3779b97f4a7c15u};
	struct reference *ref = calloc(1, sizeof *ref);
	struct dheap h;
	uint32_t counts[3] = {0, 0, 0};

	ck_assert_ptr_nonnull(ref);
	dheap_init(&h);
	for (uint32_t op = 0; op < PROP_OPS; op++) {
		uint64_t x = xorshift_next(&r);
		uint32_t slot = (uint32_t)(x % PROP_SLOTS);
		uint32_t idx = slot * PROP_STRIDE;
		uint32_t kind = (uint32_t)(x >> 32) % 8;

		/* Bias to sets so that the heap stays around half full. */
		if (kind < 5) {
			int64_t at = random_at(&r);

			counts[ref->present[slot] ? 1 : 0]++;
			if (!ref->present[slot])
				ref->n++;
			ref->present[slot] = true;
			ref->at[slot] = at;
			dheap_set(&h, idx, at);
		} else {
			counts[2]++;
			if (ref->present[slot])
				ref->n--;
			ref->present[slot] = false;
			dheap_remove(&h, idx);
		}
		ck_assert(dheap_contains(&h, idx) == ref->present[slot]);
		check_against(&h, ref);
		if (op % 1000 == 0)
			ck_assert(dheap_valid(&h));
	}
	ck_assert(dheap_valid(&h));
	/* Each kind of operation really happened, many times. */
	ck_assert_uint_gt(counts[0], 10000);
	ck_assert_uint_gt(counts[1], 10000);
	ck_assert_uint_gt(counts[2], 10000);

	/* Drain: the heap gives back the reference's keys in order. */
	while (ref->n > 0) {
		check_against(&h, ref);
		ck_assert(ref->present[peek_idx(&h) / PROP_STRIDE]);
		ref->present[peek_idx(&h) / PROP_STRIDE] = false;
		ref->n--;
		dheap_remove(&h, peek_idx(&h));
	}
	ck_assert(!dheap_peek(&h, NULL, NULL));
	ck_assert(dheap_valid(&h));
	dheap_free(&h);
	free(ref);
}
END_TEST

static Suite *deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc;

	tc = tcase_create("examples");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_insert_order);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, bug_ties_depend_on_insertion_history);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_remove_sifts_up);
	tcase_add_test(tc, test_large_idx);
	suite_add_tcase(s, tc);

	tc = tcase_create("property");
	tcase_add_test(tc, test_property_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(deadline_suite());
}
