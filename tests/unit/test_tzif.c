/*
 * Unit tests for tzif: offsets from the system's zone files (fat ones, with
 * every transition to 2037) and from footer rules alone (as in slim files)
 * against the C library's localtime_r for the same zone, 2026-2028; and
 * hostile files refused without reading or allocating past their end.
 * The comparison with libc switches TZ here, in the test: the core never does.
 */
#include "timeutil.h"
#include "tzif.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const zones[] = {
        "Europe/Berlin",    "Europe/London",     "Europe/Istanbul",  "Africa/Johannesburg",
        "America/New_York", "America/Sao_Paulo", "Australia/Sydney", "Australia/Lord_Howe",
        "Asia/Kolkata",     "Pacific/Chatham",   "America/St_Johns", "UTC",
};

static size_t read_zone_file(const char *tz, unsigned char *buf, size_t cap)
{
	char path[256];
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	len = fread(buf, 1, cap, f);
	fclose(f);
	return len;
}

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static long libc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	ck_assert_ptr_nonnull(localtime_r(&tt, &tm));
	return tm.tm_gmtoff;
}

/* Every 20 minutes of 2026-2028, and each second around every change libc shows. */
static void compare_with_libc(const struct tzif *z, const char *tz)
{
	int64_t from = (int64_t)days_from_civil(2026, 1, 1) * SECS_PER_DAY;
	int64_t until = (int64_t)days_from_civil(2029, 1, 1) * SECS_PER_DAY;
	long prev = libc_offset(from);
	int changes = 0;

	for (int64_t t = from; t < until; t += 1200) {
		long want = libc_offset(t);

		ck_assert_msg(tzif_offset(z, t) == want, "%s at %lld: %d, libc %ld", tz,
		              (long long)t, tzif_offset(z, t), want);
		if (want != prev) {
			changes++;
			for (int64_t u = t - 1200; u <= t; u++)
				ck_assert_msg(tzif_offset(z, u) == libc_offset(u),
				              "%s at %lld: %d, libc %ld", tz, (long long)u,
				              tzif_offset(z, u), libc_offset(u));
		}
		prev = want;
	}
	if (strcmp(tz, "Europe/Berlin") == 0)
		ck_assert_int_eq(changes, 6); /* the test sees what it claims to */
}

/* TZ back as it was (saved: strdup'd, or NULL for unset), and freed. */
static void tz_restore(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

START_TEST(test_system_zones_match_libc)
{
	static unsigned char buf[1 << 16];
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;

	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		struct tzif z;
		char err[256] = "";
		size_t len = read_zone_file(zones[i], buf, sizeof buf);

		ck_assert_msg(tzif_parse(&z, buf, len, err, sizeof err) == 0, "%s: %s", zones[i],
		              err);
		use_tz(zones[i]);
		compare_with_libc(&z, zones[i]);
		tzif_free(&z);
	}
	tz_restore(saved);
}
END_TEST

/* ---- building TZif bytes ------------------------------------------------------------ */

struct tzb {
	unsigned char b[4096];
	size_t n;
};

static void put(struct tzb *t, const void *p, size_t n)
{
	ck_assert_uint_le(t->n + n, sizeof t->b);
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void put32(struct tzb *t, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};
	put(t, x, 4);
}

static void put64(struct tzb *t, int64_t v)
{
	put32(t, (uint32_t)((uint64_t)v >> 32));
	put32(t, (uint32_t)v);
}

/* One header and data block: types {std, dst}, transitions at[] alternating. */
static void put_block(struct tzb *t, char version, int size, const int64_t *at, size_t n,
                      int32_t std, int32_t dst)
{
	put(t, "TZif", 4);
	put(t, &version, 1);
	put(t, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
	put32(t, 0);           /* isutcnt */
	put32(t, 0);           /* isstdcnt */
	put32(t, 0);           /* leapcnt */
	put32(t, (uint32_t)n); /* timecnt */
	put32(t, 2);           /* typecnt */
	put32(t, 8);           /* charcnt */
	for (size_t i = 0; i < n; i++) {
		if (size == 8)
			put64(t, at[i]);
		else
			put32(t, (uint32_t)(int32_t)at[i]);
	}
	for (size_t i = 0; i < n; i++)
		put(t, i % 2 == 0 ? "\1" : "\0", 1);
	put32(t, (uint32_t)std);
	put(t, "\0\0", 2);
	put32(t, (uint32_t)dst);
	put(t, "\1\4", 2);
	put(t, "CET\0CEST", 8);
}

/* A version 2 file: the same transitions twice, then the footer. */
static void make_v2(struct tzb *t, const int64_t *at, size_t n, const char *footer)
{
	memset(t, 0, sizeof *t);
	put_block(t, '2', 4, at, n, 3600, 7200);
	put_block(t, '2', 8, at, n, 3600, 7200);
	put(t, "\n", 1);
	put(t, footer, strlen(footer));
	put(t, "\n", 1);
}

/* A slim file (transitions to 1996 only) and a rules-only one give libc's answers. */
START_TEST(test_footer_rules_match_libc)
{
	/* Berlin's last changes before the EU rule took over for good (1996). */
	static const int64_t at[] = {828234000, 846378000};
	static const char *const rules[] = {
	        "CET-1CEST,M3.5.0,M10.5.0/3",           /* Europe */
	        "EST5EDT,M3.2.0,M11.1.0",               /* New York */
	        "AEST-10AEDT,M10.1.0,M4.1.0/3",         /* Sydney: dst across the new year */
	        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", /* Lord Howe: half-hour dst */
	        "NZST-12NZDT,M9.5.0,M4.1.0/3",
	        "<-03>3",                          /* no dst */
	        "IST-2IDT,M3.4.4/26,M10.5.0",      /* Israel: a time past 24h */
	        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", /* Greenland: a negative time */
	        "EST5EDT,J60/2,300/2",             /* Julian and zero-based days */
	};
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	struct tzb t;
	struct tzif z;
	char err[256] = "";

	make_v2(&t, at, 2, rules[0]);
	ck_assert_msg(tzif_parse(&z, t.b, t.n, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(z.n, 2);
	ck_assert(z.has_rule);
	use_tz(rules[0]);
	compare_with_libc(&z, "Europe/Berlin");
	/* Between the transitions the file's types rule; before them, standard time. */
	ck_assert_int_eq(tzif_offset(&z, 828234000), 7200);
	ck_assert_int_eq(tzif_offset(&z, 828234000 - 1), 3600);
	tzif_free(&z);

	/* A slim file as zic -b slim writes it (the EU rules from 1977; seed of fuzz_tzif). */
	{
		static unsigned char buf[4096];
		FILE *f = fopen("tests/fuzz/corpus/tzif/eu-slim", "rb");
		size_t len;

		ck_assert_ptr_nonnull(f);
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ck_assert_msg(tzif_parse(&z, buf, len, err, sizeof err) == 0, "%s", err);
		ck_assert(z.has_rule);
		ck_assert_uint_lt(z.n, 60); /* slim: nothing after 1996 */
		ck_assert_int_lt(z.at[z.n - 1],
		                 (int64_t)days_from_civil(2000, 1, 1) * SECS_PER_DAY);
		use_tz("Europe/Berlin");
		compare_with_libc(&z, "Europe/Berlin");
		tzif_free(&z);
	}

	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		/* No transitions at all: the footer decides everything (RFC 8536 3.3). */
		make_v2(&t, NULL, 0, rules[i]);
		ck_assert_msg(tzif_parse(&z, t.b, t.n, err, sizeof err) == 0, "%s: %s", rules[i],
		              err);
		use_tz(rules[i]);
		compare_with_libc(&z, rules[i]);
		tzif_free(&z);
		ck_assert_int_eq(tzif_parse_rule(&z, rules[i], strlen(rules[i]), err, sizeof err),
		                 0);
		compare_with_libc(&z, rules[i]);
		tzif_free(&z);
	}
	tz_restore(saved);
}
END_TEST

START_TEST(test_v1_and_empty_footer)
{
	static const int64_t at[] = {1774746000, 1792890000}; /* 2026-03-29, 2026-10-25 01:00Z */
	struct tzb t;
	struct tzif z;
	char err[256] = "";

	memset(&t, 0, sizeof t);
	put_block(&t, '\0', 4, at, 2, 3600, 7200);
	ck_assert_msg(tzif_parse(&z, t.b, t.n, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(tzif_offset(&z, at[0] - 1), 3600);
	ck_assert_int_eq(tzif_offset(&z, at[0]), 7200);
	ck_assert_int_eq(tzif_offset(&z, at[1] - 1), 7200);
	/* No footer in version 1: the last type stays. */
	ck_assert_int_eq(tzif_offset(&z, at[1] + 86400 * 365), 3600);
	tzif_free(&z);

	make_v2(&t, at, 2, "");
	ck_assert_msg(tzif_parse(&z, t.b, t.n, err, sizeof err) == 0, "%s", err);
	ck_assert(!z.has_rule);
	ck_assert_int_eq(tzif_offset(&z, at[1] + 86400 * 365), 3600);
	tzif_free(&z);
}
END_TEST

static void expect_refused(const unsigned char *b, size_t n, const char *needle)
{
	struct tzif z;
	char err[256] = "";

	memset(&z, 0x5a, sizeof z);
	ck_assert_int_eq(tzif_parse(&z, b, n, err, sizeof err), -1);
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
	ck_assert_ptr_null(z.at); /* nothing left to free */
	tzif_free(&z);
}

START_TEST(test_hostile_files_refused)
{
	static const int64_t at[] = {1774746000, 1792890000};
	struct tzb t, u;

	expect_refused((const unsigned char *)"", 0, "not a TZif file");
	expect_refused((const unsigned char *)"TZif2", 5, "not a TZif file");
	expect_refused((const unsigned char *)"not a zone at all, just text of forty-four+ bytes",
	               49, "not a TZif file");
	make_v2(&t, at, 2, "CET-1CEST,M3.5.0,M10.5.0/3");
	/* Every truncation is refused, none read past the end (ASan would say). */
	for (size_t n = 0; n < t.n - 1; n++) {
		struct tzif z;
		char err[256];
		unsigned char *copy = malloc(n ? n : 1);

		memcpy(copy, t.b, n);
		ck_assert_msg(tzif_parse(&z, copy, n, err, sizeof err) == -1, "%zu bytes", n);
		free(copy);
	}
	/* A count of 2^32-1 transitions with 200 bytes behind it: refused, not allocated. */
	u = t;
	u.b[32] = u.b[33] = u.b[34] = u.b[35] = 0xff;
	expect_refused(u.b, u.n, "shorter than its header says");
	u = t;
	u.b[36] = u.b[37] = u.b[38] = u.b[39] = 0; /* no types */
	expect_refused(u.b, u.n, "impossible counts");
	/* A leap-second count with nothing behind it; then with its record ("right/" zones). */
	u = t;
	u.b[31] = 1;
	expect_refused(u.b, u.n, "not a TZif file"); /* the second header is not where it was */
	memset(&u, 0, sizeof u);
	put_block(&u, '\0', 4, at, 2, 3600, 7200);
	u.b[31] = 1;
	put(&u, "\0\0\0\0\0\0\0\0", 8);
	expect_refused(u.b, u.n, "leap-second zones are not supported");
	/* A bad footer, a missing one. */
	make_v2(&u, at, 2, "CET-1CEST,M13.5.0,M10.5.0");
	expect_refused(u.b, u.n, "footer is not a POSIX TZ rule");
	make_v2(&u, at, 2, "CET");
	expect_refused(u.b, u.n, "footer");
	u = t;
	u.n -= 1; /* the footer's closing newline */
	expect_refused(u.b, u.n, "footer missing");
	/* Transitions out of order. */
	{
		static const int64_t back[] = {1792890000, 1774746000};
		make_v2(&u, back, 2, "CET-1CEST,M3.5.0,M10.5.0/3");
		expect_refused(u.b, u.n, "out of order");
	}
}
END_TEST

START_TEST(test_bad_rules)
{
	static const char *const bad[] = {
	        "",
	        "C",
	        "CET",
	        "CET-1CEST,",
	        "CET-1CEST,M3.5.0",
	        "CET-1CEST,M3.6.0,M10.5.0",
	        "CET-1CEST,M3.5.7,M10.5.0",
	        "CET-25",
	        "CET-1CEST,J0,J365",
	        "CET-1CEST,366,0",
	        "CET-1CEST,M3.5.0/168,M10.5.0",
	        "<AB>1",
	        "<ABC1",
	        "CET-1 ",
	        "CET-1CEST,M3.5.0,M10.5.0x",
	};
	struct tzif z;
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(tzif_parse_rule(&z, bad[i], strlen(bad[i]), err, sizeof err) == -1,
		              "accepted \"%s\"", bad[i]);
	/* dst without rules takes the US ones, as glibc does. */
	ck_assert_int_eq(tzif_parse_rule(&z, "EST5EDT", 7, err, sizeof err), 0);
	ck_assert_int_eq(tzif_offset(&z, (int64_t)days_from_civil(2026, 7, 1) * SECS_PER_DAY),
	                 -4 * 3600);
	ck_assert_int_eq(tzif_offset(&z, (int64_t)days_from_civil(2026, 1, 1) * SECS_PER_DAY),
	                 -5 * 3600);
	/* Far instants do not overflow the year arithmetic. */
	(void)tzif_offset(&z, INT64_MAX);
	(void)tzif_offset(&z, INT64_MIN);
	tzif_free(&z);
}
END_TEST

static Suite *tzif_suite(void)
{
	Suite *s = suite_create("tzif");
	TCase *tc = tcase_create("tzif");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_system_zones_match_libc);
	tcase_add_test(tc, test_footer_rules_match_libc);
	tcase_add_test(tc, test_v1_and_empty_footer);
	tcase_add_test(tc, test_hostile_files_refused);
	tcase_add_test(tc, test_bad_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(tzif_suite());
}
