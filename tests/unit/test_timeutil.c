/* Unit tests for timeutil: civil dates and the wire formats. */
#include "timeutil.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t utc(int y, int m, int d, int h, int mi)
{
	return (int64_t)days_from_civil(y, m, d) * SECS_PER_DAY + h * 3600 + mi * 60;
}

/* ---- civil dates ------------------------------------------------------- */

START_TEST(test_days_known_values)
{
	ck_assert_int_eq(days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(days_from_civil(1970, 1, 2), 1);
	ck_assert_int_eq(days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(days_from_civil(2000, 1, 1), 10957);
	ck_assert_int_eq(days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(days_from_civil(2026, 11, 23), 20780);
	ck_assert_int_eq(days_from_civil(1, 1, 1), -719162);
	ck_assert_int_eq(days_from_civil(9999, 12, 31), 2932896);
}
END_TEST

START_TEST(test_days_round_trip_all_years)
{
	/*
	 * Every day of years -3 to 10003: 0000-03-01 to 9999-12-31 by the 32-bit path, the others
	 * by the 64-bit one: a valid date that maps back to the same day, the next day's date
	 * following it.
	 */
	int py = 0, pm = 0, pd = 0;
	bool first = true;

	for (int32_t days = days_from_civil(-3, 1, 1); days <= days_from_civil(10003, 12, 31);
	     days++) {
		int y, m, d;

		civil_from_days(days, &y, &m, &d);
		if (m < 1 || m > 12 || d < 1 || d > 31 || days_from_civil(y, m, d) != days)
			ck_abort_msg("day %d -> %04d-%02d-%02d", (int)days, y, m, d);
		if (!first && !(y == py && m == pm && d == pd + 1) &&
		    !(y == py && m == pm + 1 && d == 1) && !(y == py + 1 && m == 1 && d == 1))
			ck_abort_msg("day %d: %04d-%02d-%02d after %04d-%02d-%02d", (int)days, y, m,
			             d, py, pm, pd);
		py = y, pm = m, pd = d;
		first = false;
	}
}
END_TEST

START_TEST(test_days_round_trip)
{
	/* Every day from 1582 to 2500: consecutive, and back to the same date. */
	int32_t expect = days_from_civil(1582, 1, 1);
	int checked = 0;

	for (int y = 1582; y <= 2500; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= 31; d++) {
				int yy, mm, dd;
				int32_t days;

				if (!civil_valid(y, m, d))
					continue;
				days = days_from_civil(y, m, d);
				civil_from_days(days, &yy, &mm, &dd);
				/* ck_assert per day is too slow for 335,000 days: test, then
				 * report. */
				if (days != expect || yy != y || mm != m || dd != d)
					ck_abort_msg("%04d-%02d-%02d -> %d (expected %d) -> "
					             "%04d-%02d-%02d",
					             y, m, d, (int)days, (int)expect, yy, mm, dd);
				expect++;
				checked++;
			}
		}
	}
	ck_assert_int_eq(checked, days_from_civil(2501, 1, 1) - days_from_civil(1582, 1, 1));
}
END_TEST

START_TEST(test_days_round_trip_extremes)
{
	static const int dates[][3] = {
	        {1, 1, 1}, {1, 12, 31}, {4, 2, 29}, {400, 2, 29}, {1600, 2, 29}, {9999, 12, 31},
	};

	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		int y, m, d;

		civil_from_days(days_from_civil(dates[i][0], dates[i][1], dates[i][2]), &y, &m, &d);
		ck_assert_int_eq(y, dates[i][0]);
		ck_assert_int_eq(m, dates[i][1]);
		ck_assert_int_eq(d, dates[i][2]);
	}
}
END_TEST

START_TEST(test_leap_years)
{
	ck_assert(civil_valid(2000, 2, 29));  /* divisible by 400 */
	ck_assert(civil_valid(2024, 2, 29));  /* divisible by 4 */
	ck_assert(!civil_valid(2100, 2, 29)); /* divisible by 100, not 400 */
	ck_assert(!civil_valid(1900, 2, 29));
	ck_assert(!civil_valid(2026, 2, 29));
	ck_assert_int_eq(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
	ck_assert_int_eq(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1);
	ck_assert_int_eq(days_from_civil(2025, 1, 1) - days_from_civil(2024, 1, 1), 366);
	ck_assert_int_eq(days_from_civil(2101, 1, 1) - days_from_civil(2100, 1, 1), 365);
}
END_TEST

START_TEST(test_civil_valid)
{
	ck_assert(civil_valid(2026, 1, 31));
	ck_assert(!civil_valid(2026, 4, 31));
	ck_assert(!civil_valid(2026, 2, 30));
	ck_assert(!civil_valid(2026, 0, 1));
	ck_assert(!civil_valid(2026, 13, 1));
	ck_assert(!civil_valid(2026, 1, 0));
	ck_assert(!civil_valid(2026, 1, 32));
	ck_assert(!civil_valid(0, 1, 1));
	ck_assert(!civil_valid(10000, 1, 1));
	ck_assert(civil_valid(1, 1, 1));
	ck_assert(civil_valid(9999, 12, 31));
}
END_TEST

START_TEST(test_weekday)
{
	ck_assert_int_eq(weekday_from_days(0), 3);                             /* Thu */
	ck_assert_int_eq(weekday_from_days(-1), 2);                            /* Wed */
	ck_assert_int_eq(weekday_from_days(-4), 6);                            /* Sun */
	ck_assert_int_eq(weekday_from_days(days_from_civil(2000, 1, 1)), 5);   /* Sat */
	ck_assert_int_eq(weekday_from_days(days_from_civil(2026, 11, 23)), 0); /* Mon */
	ck_assert_int_eq(weekday_from_days(days_from_civil(2026, 3, 29)), 6);  /* Sun */
	ck_assert_int_eq(weekday_from_days(days_from_civil(1900, 1, 1)), 0);   /* Mon */
	for (int32_t d = -1000; d < 1000; d++)
		ck_assert_int_eq(weekday_from_days(d + 1), (weekday_from_days(d) + 1) % 7);
}
END_TEST

/* ---- dates ------------------------------------------------------------- */

START_TEST(test_date_parse_ok)
{
	int32_t d = 0;

	ck_assert_int_eq(date_parse("2026-12-31", &d), 0);
	ck_assert_int_eq(d, days_from_civil(2026, 12, 31));
	ck_assert_int_eq(date_parse("2024-02-29", &d), 0);
	ck_assert_int_eq(d, days_from_civil(2024, 2, 29));
	ck_assert_int_eq(date_parse("1970-01-01", &d), 0);
	ck_assert_int_eq(d, 0);
}
END_TEST

START_TEST(test_date_parse_errors)
{
	static const char *const bad[] = {
	        "",
	        "2026",
	        "2026-12",
	        "2026-12-3",
	        "2026-1-01",
	        "26-12-31",
	        "2026/12/31",
	        "2026-12-31x",
	        "2026-12-31 ",
	        " 2026-12-31",
	        "2026-02-29",
	        "2026-02-30",
	        "2100-02-29",
	        "2026-13-01",
	        "2026-00-10",
	        "2026-01-00",
	        "2026-04-31",
	        "0000-01-01",
	        "+026-01-01",
	        "2026-12-31T00:00Z",
	        "２026-01-01",
	        "2026-0a-01",
	        "NOW",
	};
	int32_t d = 12345;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(date_parse(bad[i], &d) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(d, 12345); /* untouched on error */
	}
	ck_assert_int_eq(date_parse(NULL, &d), -1);
}
END_TEST

START_TEST(test_date_format)
{
	char buf[11];
	int32_t d;

	date_format(days_from_civil(2026, 1, 5), buf);
	ck_assert_str_eq(buf, "2026-01-05");
	date_format(-1, buf);
	ck_assert_str_eq(buf, "1969-12-31");
	date_format(days_from_civil(1, 1, 1), buf);
	ck_assert_str_eq(buf, "0001-01-01");
	for (d = days_from_civil(1999, 1, 1); d < days_from_civil(2101, 1, 1); d += 13) {
		int32_t back;

		date_format(d, buf);
		ck_assert_int_eq(date_parse(buf, &back), 0);
		ck_assert_int_eq(back, d);
	}
}
END_TEST

/* ---- times ------------------------------------------------------------- */

START_TEST(test_time_parse_ok)
{
	int64_t t = 0;

	ck_assert_int_eq(time_parse("2026-11-23T09:30:00Z", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 9, 30));
	ck_assert_int_eq(time_parse("2026-11-23T10:30:00+01:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 9, 30));
	ck_assert_int_eq(time_parse("2026-11-23T09:30Z", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 9, 30));
	ck_assert_int_eq(time_parse("2026-11-23T09:30:59Z", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 9, 30) + 59);
	ck_assert_int_eq(time_parse("2026-11-23t09:30:00z", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 9, 30));
	/* Offsets across midnight and at the limits. */
	ck_assert_int_eq(time_parse("2026-11-23T01:00:00+02:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 22, 23, 0));
	ck_assert_int_eq(time_parse("2026-11-23T23:00-05:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 24, 4, 0));
	ck_assert_int_eq(time_parse("2026-11-23T12:00:00+14:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 22, 22, 0));
	ck_assert_int_eq(time_parse("2026-11-23T12:00:00-14:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 24, 2, 0));
	ck_assert_int_eq(time_parse("2026-11-23T12:00:00+05:45", &t), 0); /* Nepal */
	ck_assert_int_eq(t, utc(2026, 11, 23, 6, 15));
	ck_assert_int_eq(time_parse("2026-11-23T12:00:00-00:00", &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 23, 12, 0));
	ck_assert_int_eq(time_parse("1969-12-31T23:59:59Z", &t), 0);
	ck_assert_int_eq(t, -1);
	ck_assert_int_eq(time_parse("2024-02-29T00:00:00Z", &t), 0);
	ck_assert_int_eq(t, utc(2024, 2, 29, 0, 0));
}
END_TEST

START_TEST(test_time_parse_errors)
{
	static const char *const bad[] = {
	        "",
	        "NOW",
	        "2026-11-23",
	        "2026-11-23T",
	        "2026-11-23T09:30:00",   /* no zone */
	        "2026-11-23T09:30",      /* no zone */
	        "2026-11-23T09Z",        /* no minutes */
	        "2026-11-23T09:30:00Zx", /* trailing garbage */
	        "2026-11-23T09:30:00Z ",
	        " 2026-11-23T09:30:00Z",
	        "2026-11-23 09:30:00Z", /* space for T */
	        "2026-11-23X09:30:00Z",
	        "2026-02-30T09:30:00Z", /* no such date */
	        "2026-13-01T09:30:00Z",
	        "2026-11-23T24:00:00Z", /* hour 24 */
	        "2026-11-23T25:00:00Z",
	        "2026-11-23T09:60:00Z",
	        "2026-11-23T09:30:60Z", /* no leap seconds */
	        "2026-11-23T9:30:00Z",
	        "2026-11-23T09:3:00Z",
	        "2026-11-23T09:30:0Z",
	        "2026-11-23T09:30:00.5Z",    /* no fractions */
	        "2026-11-23T09:30:00+14:01", /* beyond +-14:00 */
	        "2026-11-23T09:30:00-14:30",
	        "2026-11-23T09:30:00+15:00",
	        "2026-11-23T09:30:00+01:60",
	        "2026-11-23T09:30:00+01",
	        "2026-11-23T09:30:00+0100",
	        "2026-11-23T09:30:00+1:00",
	        "2026-11-23T09:30:00+01:00Z",
	        "2026-11-23T09:30:00UTC",
	        "2026-11-23T09:30:00 Z",
	        "2026-11-23T-9:30:00Z",
	        "26-11-23T09:30:00Z",
	};
	int64_t t = 777;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(time_parse(bad[i], &t) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(t, 777);
	}
	ck_assert_int_eq(time_parse(NULL, &t), -1);
}
END_TEST

START_TEST(test_time_format)
{
	char buf[21];
	int64_t back = 0;

	time_format(utc(2026, 11, 23, 9, 30) + 7, buf);
	ck_assert_str_eq(buf, "2026-11-23T09:30:07Z");
	time_format(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	time_format(-1, buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	time_format(utc(2100, 12, 31, 23, 59) + 59, buf);
	ck_assert_str_eq(buf, "2100-12-31T23:59:59Z");
	for (int64_t t = utc(1960, 1, 1, 0, 0); t < utc(2110, 1, 1, 0, 0); t += 86400 * 37 + 3607) {
		time_format(t, buf);
		ck_assert_int_eq(time_parse(buf, &back), 0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

/* What the C library writes for t: the reference time_format must match byte for byte. */
static void libc_format(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
	ck_assert_uint_eq(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm), 20);
}

START_TEST(test_time_format_matches_libc)
{
	/* Every second of days at a year's, a leap day's and a century's edges ... */
	static const int days[][3] = {
	        {1970, 1, 1}, {2000, 3, 1}, {2027, 1, 1}, {2100, 3, 1}, {9999, 12, 31}};
	char mine[21], want[32];
	uint64_t x = 88172645463325252u;

	for (size_t k = 0; k < sizeof days / sizeof days[0]; k++) {
		int64_t day0 = utc(days[k][0], days[k][1], days[k][2], 0, 0);
		/* ... and the second before each, across the boundary into it. */
		for (int64_t t = day0 - 1; t < day0 + SECS_PER_DAY; t++) {
			if (t < 0)
				continue;
			time_format(t, mine);
			libc_format(t, want);
			ck_assert_str_eq(mine, want);
		}
	}
	/* Random instants from 1970 to 9999 (xorshift64: the same every run). */
	for (int n = 0; n < 200000; n++) {
		int64_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t = (int64_t)(x % (uint64_t)(utc(9999, 12, 31, 23, 59) + 60));
		time_format(t, mine);
		libc_format(t, want);
		ck_assert_str_eq(mine, want);
		date_format((int32_t)(t / SECS_PER_DAY), mine);
		ck_assert_int_eq(memcmp(mine, want, 10), 0);
		ck_assert_int_eq(mine[10], '\0');
	}
}
END_TEST

/*
 * time_format_memo against time_format, with the slot of t's day checked:
 * hit says whether it held the day before.
 */
static void check_memo(int64_t t, struct date_memo *memo, size_t n, bool hit)
{
	char want[21], mine[21];
	int64_t day = t >= 0 ? t / SECS_PER_DAY : -((-t + SECS_PER_DAY - 1) / SECS_PER_DAY);
	struct date_memo *m = &memo[(uint32_t)(int32_t)day & (n - 1)];
	bool had = m->text[0] != '\0' && m->day == (int32_t)day;

	time_format(t, want);
	memset(mine, '#', sizeof mine);
	time_format_memo(t, mine, memo, n);
	ck_assert_msg(memcmp(mine, want, 20) == 0, "%lld: %.20s, want %s", (long long)t, mine,
	              want);
	ck_assert_int_eq(mine[20], '#'); /* 20 characters, no NUL */
	ck_assert_msg(had == hit, "%lld: %s", (long long)t, hit ? "a miss" : "a hit");
	ck_assert_int_eq(m->day, (int32_t)day);
	ck_assert_int_eq(memcmp(m->text, want, 10), 0);
}

START_TEST(test_time_format_memo_one)
{
	struct date_memo m = {0};
	int64_t leap = utc(2028, 2, 29, 0, 0);
	uint64_t x = 2463534242u;

	/* A zeroed memo is empty, though its day (0) is 1970-01-01's. */
	check_memo(utc(1970, 1, 1, 12, 0), &m, 1, false);
	check_memo(utc(1970, 1, 1, 23, 59) + 59, &m, 1, true);
	/* The day boundary: the last second of a day, then the first of the next. */
	check_memo(utc(2026, 12, 31, 23, 59) + 59, &m, 1, false);
	check_memo(utc(2026, 12, 31, 0, 0), &m, 1, true);
	check_memo(utc(2027, 1, 1, 0, 0), &m, 1, false);
	check_memo(utc(2027, 1, 1, 0, 0) - 1, &m, 1, false);
	/* Leap days, a century that is not a leap year, before the epoch. */
	check_memo(leap - 1, &m, 1, false);
	check_memo(leap, &m, 1, false);
	check_memo(leap + SECS_PER_DAY - 1, &m, 1, true);
	check_memo(leap + SECS_PER_DAY, &m, 1, false);
	check_memo(utc(2100, 2, 28, 23, 59) + 60, &m, 1, false);
	check_memo(-1, &m, 1, false);
	check_memo(-SECS_PER_DAY, &m, 1, true);
	check_memo(-SECS_PER_DAY - 1, &m, 1, false);
	/* Instants a few hours apart over years: hits and misses mixed. */
	check_memo(utc(2026, 1, 1, 0, 0), &m, 1, false);
	for (int64_t t = utc(2026, 1, 1, 0, 0); t < utc(2030, 1, 1, 0, 0);) {
		int64_t day = t / SECS_PER_DAY;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t += (int64_t)(x % 30000);
		check_memo(t, &m, 1, t / SECS_PER_DAY == day);
	}
}
END_TEST

START_TEST(test_time_format_memo_slots)
{
	struct date_memo memo[16];
	int64_t d0 = utc(2028, 2, 20, 0, 0); /* the 16 days from here hold a leap day */

	memset(memo, 0, sizeof memo);
	/* 16 consecutive days take the 16 slots; then each is a hit, at any time of its day. */
	for (int k = 0; k < 16; k++)
		check_memo(d0 + k * SECS_PER_DAY + 3600, memo, 16, false);
	for (int k = 15; k >= 0; k--) {
		check_memo(d0 + k * SECS_PER_DAY, memo, 16, true);
		check_memo(d0 + k * SECS_PER_DAY + SECS_PER_DAY - 1, memo, 16, true);
	}
	/* A day 16 days on takes its slot from the day before; that one misses next. */
	check_memo(d0 + 16 * SECS_PER_DAY, memo, 16, false);
	check_memo(d0 + 17 * SECS_PER_DAY - 1, memo, 16, true);
	check_memo(d0 + 12 * 3600, memo, 16, false);
	check_memo(d0 + SECS_PER_DAY, memo, 16, true);
	/* Days before the epoch have slots too (negative days, modulo 16). */
	for (int k = 1; k <= 16; k++)
		check_memo(-k * SECS_PER_DAY, memo, 16, false);
	for (int k = 1; k <= 16; k++)
		check_memo(-k * SECS_PER_DAY + 1, memo, 16, true);
	/* The year's and the century's edges of the calendar, as from an empty memo. */
	check_memo(utc(9999, 12, 31, 23, 59) + 59, memo, 16, false);
	check_memo(utc(2100, 3, 1, 0, 0), memo, 16, false);
	check_memo(utc(2100, 3, 1, 0, 0) - 1, memo, 16, false);
}
END_TEST

/* ---- durations and clock times ----------------------------------------- */

START_TEST(test_duration_parse_ok)
{
	static const struct {
		const char *s;
		int64_t secs;
	} ok[] = {
	        {"8h", 8 * 3600},
	        {"7h30m", 7 * 3600 + 30 * 60},
	        {"45m", 45 * 60},
	        {"90s", 90},
	        {"1h 30m", 5400},
	        {"1h30m15s", 5415},
	        {"1h\t30m", 5400},
	        {"1h  30m 5s", 5405},
	        {"0m", 0},
	        {"120m", 7200},
	        {"007h", 7 * 3600},
	        {"1h 0s", 3600},
	        {"2562047788015215h", INT64_C(2562047788015215) * 3600},
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t secs = -1;

		ck_assert_msg(duration_parse(ok[i].s, &secs) == 0, "refused \"%s\"", ok[i].s);
		ck_assert_int_eq(secs, ok[i].secs);
	}
}
END_TEST

START_TEST(test_duration_parse_errors)
{
	static const char *const bad[] = {
	        "",
	        " ",
	        "h",
	        "8",
	        "8 h",
	        "-8h",
	        "+8h",
	        "8x",
	        "8H",
	        "8h30",
	        "30m1h",
	        "1h1h",
	        "1s1m",
	        " 8h",
	        "8h ",
	        "8h,30m",
	        "1.5h",
	        "8hours",
	        "1d",
	        "8h-30m",
	        "0x10h",
	        "9223372036854775808s",        /* INT64_MAX + 1 */
	        "99999999999999999999999999h", /* digits overflow */
	        "2562047788015216h",           /* hours * 3600 overflows */
	        "2562047788015215h 30m 7s 1s", /* INT64_MAX, then s twice */
	        "2562047788015215h 2000m",     /* sum overflows */
	};
	int64_t secs = 4242;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(duration_parse(bad[i], &secs) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(secs, 4242);
	}
	ck_assert_int_eq(duration_parse(NULL, &secs), -1);
}
END_TEST

START_TEST(test_clock_parse)
{
	static const struct {
		const char *s;
		int minutes;
	} ok[] = {
	        {"00:00", 0}, {"09:30", 570}, {"17:00", 1020}, {"23:59", 1439}, {"24:00", 1440},
	};
	static const char *const bad[] = {
	        "",       "9:30",     "09:3",  "0930",  "09.30", "09:30 ",
	        " 09:30", "09:30:00", "24:01", "24:30", "25:00", "99:00",
	        "09:60",  "-1:00",    "ab:cd", "09:-1", "9:300", "+9:30",
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int m = -1;

		ck_assert_msg(clock_parse(ok[i].s, &m) == 0, "refused \"%s\"", ok[i].s);
		ck_assert_int_eq(m, ok[i].minutes);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int m = 99;

		ck_assert_msg(clock_parse(bad[i], &m) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(m, 99);
	}
}
END_TEST

static Suite *timeutil_suite(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc = tcase_create("civil");

	tcase_add_test(tc, test_days_known_values);
	tcase_add_test(tc, test_days_round_trip);
	tcase_add_test(tc, test_days_round_trip_all_years);
	tcase_add_test(tc, test_days_round_trip_extremes);
	tcase_add_test(tc, test_leap_years);
	tcase_add_test(tc, test_civil_valid);
	tcase_add_test(tc, test_weekday);
	suite_add_tcase(s, tc);

	tc = tcase_create("formats");
	tcase_add_test(tc, test_date_parse_ok);
	tcase_add_test(tc, test_date_parse_errors);
	tcase_add_test(tc, test_date_format);
	tcase_add_test(tc, test_time_parse_ok);
	tcase_add_test(tc, test_time_parse_errors);
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_time_format_matches_libc);
	tcase_add_test(tc, test_time_format_memo_one);
	tcase_add_test(tc, test_time_format_memo_slots);
	tcase_add_test(tc, test_duration_parse_ok);
	tcase_add_test(tc, test_duration_parse_errors);
	tcase_add_test(tc, test_clock_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(timeutil_suite());
}
