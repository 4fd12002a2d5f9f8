/*
 * Unit tests for calendar: business time across weekends, holidays, lunch
 * breaks and DST changes. Every expected instant is written out in UTC.
 */
#include "calendar.h"
#include "timeutil.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define H(x)     ((int64_t)(x)*3600)
#define HM(h, m) ((h)*60 + (m)) /* local clock time in minutes */

enum { MON, TUE, WED, THU, FRI, SAT, SUN };

static int64_t utc(int y, int m, int d, int h, int mi)
{
	return (int64_t)days_from_civil(y, m, d) * SECS_PER_DAY + h * 3600 + mi * 60;
}

static void add_span(struct cal_week *w, int day, int start, int end)
{
	ck_assert_int_lt(w->nspans[day], CAL_MAX_SPANS);
	w->span[day][w->nspans[day]].start = start;
	w->span[day][w->nspans[day]].end = end;
	w->nspans[day]++;
}

/* Monday to Friday, one span a day. */
static struct cal_week weekdays(int start, int end)
{
	struct cal_week w;

	memset(&w, 0, sizeof w);
	for (int d = MON; d <= FRI; d++)
		add_span(&w, d, start, end);
	return w;
}

/* The system's zone file, parsed (the test reads it; the core never does). */
static void load_zone(struct tzif *z, const char *tz)
{
	char path[256], err[256] = "";
	unsigned char buf[1 << 16];
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_msg(tzif_parse(z, buf, len, err, sizeof err) == 0, "%s: %s", tz, err);
}

static int build_in(struct calendar *cal, const char *tz, const struct cal_week *w,
                    const int32_t *hol, size_t nhol, int y1, int y2, int64_t day_seconds, char *err,
                    size_t errlen)
{
	struct tzif z;
	int rc;

	load_zone(&z, tz);
	rc = calendar_build(cal, &z, w, hol, nhol, y1, y2, day_seconds, err, errlen);
	tzif_free(&z);
	return rc;
}

static void build(struct calendar *cal, const char *tz, const struct cal_week *w,
                  const int32_t *hol, size_t nhol, int y1, int y2)
{
	char err[256] = "";

	ck_assert_msg(build_in(cal, tz, w, hol, nhol, y1, y2, 0, err, sizeof err) == 0,
	              "build failed: %s", err);
}

static int64_t add(const struct calendar *cal, int64_t t, int64_t secs)
{
	int64_t out = INT64_MIN;

	ck_assert_int_eq(calendar_add_business(cal, t, secs, &out), CAL_OK);
	return out;
}

static int64_t next_open(const struct calendar *cal, int64_t t)
{
	int64_t out = INT64_MIN;

	ck_assert_int_eq(calendar_next_open(cal, t, &out), CAL_OK);
	return out;
}

/* Business time in the 24 hours from local midnight of day d, at the given UTC offset. */
static int64_t day_total(const struct calendar *cal, int y, int m, int d, int offset_hours)
{
	int64_t midnight = utc(y, m, d, 0, 0) - H(offset_hours);

	return calendar_between(cal, midnight, midnight + SECS_PER_DAY);
}

/* ---- docs/rules.md's example ----------------------------------------------- */

START_TEST(test_domain_example)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t received = utc(2026, 11, 19, 9, 0); /* Thursday 10:00 CET */

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(cal.day_seconds, H(8));
	/* Gold: 3 days = 24 business hours; due Tuesday 10:00 CET. */
	ck_assert_int_eq(add(&cal, received, 3 * cal.day_seconds), utc(2026, 11, 24, 9, 0));
	ck_assert_int_eq(calendar_between(&cal, received, utc(2026, 11, 24, 9, 0)), H(24));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_domain_example_monday_holiday)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	int32_t hol[] = {days_from_civil(2026, 11, 23)};
	struct calendar cal;
	int64_t received = utc(2026, 11, 19, 9, 0);

	build(&cal, "Europe/Berlin", &w, hol, 1, 2026, 2026);
	ck_assert_int_eq(add(&cal, received, H(24)), utc(2026, 11, 25, 9, 0)); /* Wed 10:00 */
	ck_assert(!calendar_is_open(&cal, utc(2026, 11, 23, 10, 0)));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_domain_example_across_spring_forward)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t received = utc(2026, 3, 26, 9, 0); /* Thursday 10:00 CET */

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	/* Due Tuesday 10:00 CEST, which is 08:00Z. */
	ck_assert_int_eq(add(&cal, received, H(24)), utc(2026, 3, 31, 8, 0));
	calendar_free(&cal);
}
END_TEST

/*
 * A deadline and its at-risk instant from one position (as a ticket's clock
 * starts): ten days of 8 hours from Thursday 26 March 2026 10:00 CET, across
 * the weekend of the switch to CEST (Sunday 29), Easter Monday off (6 April),
 * over two weeks; 75% of it at risk.
 */
START_TEST(test_two_sums_from_one_position)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	int32_t hol[] = {days_from_civil(2026, 4, 6)};
	struct calendar cal;
	struct cal_pos pos;
	int64_t received = utc(2026, 3, 26, 9, 0), deadline = 0, risk = 0;

	build(&cal, "Europe/Berlin", &w, hol, 1, 2026, 2026);
	calendar_pos(&cal, received, &pos);
	ck_assert_int_eq(calendar_add_from(&cal, &pos, H(80), &deadline), CAL_OK);
	ck_assert_int_eq(calendar_add_from(&cal, &pos, H(60), &risk), CAL_OK);
	/* Thu 7 h, Fri 8 (15), Mon 30 .. Fri 3 April (55), Tue 7 .. Thu 9 (79), Fri 10 10:00 CEST.
	 */
	ck_assert_int_eq(deadline, utc(2026, 4, 10, 8, 0));
	/* 60 h: 55 by Friday 3 April, 5 more on Tuesday 7: 14:00 CEST. */
	ck_assert_int_eq(risk, utc(2026, 4, 7, 12, 0));
	ck_assert_int_eq(add(&cal, received, H(80)), deadline);
	ck_assert_int_eq(add(&cal, received, H(60)), risk);
	/* Adding 0 gives the instant itself, also before the window; a negative sum is refused. */
	ck_assert_int_eq(calendar_add_from(&cal, &pos, 0, &risk), CAL_OK);
	ck_assert_int_eq(risk, received);
	ck_assert_int_eq(calendar_add_from(&cal, &pos, -1, &risk), CAL_ERANGE);
	/* Past the window's end: out of range, as calendar_add_business says. */
	ck_assert_int_eq(calendar_add_from(&cal, &pos, H(8000), &risk), CAL_ERANGE);
	calendar_free(&cal);
}
END_TEST

/* ---- arrivals outside working hours ------------------------------------ */

START_TEST(test_arrival_on_weekend)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t saturday = utc(2026, 11, 21, 13, 0); /* 14:00 CET */

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert(!calendar_is_open(&cal, saturday));
	ck_assert_int_eq(next_open(&cal, saturday), utc(2026, 11, 23, 8, 0)); /* Mon 09:00 */
	/* A day's budget ends at Monday's close, not Tuesday's opening. */
	ck_assert_int_eq(add(&cal, saturday, H(8)), utc(2026, 11, 23, 16, 0));
	ck_assert_int_eq(add(&cal, saturday, H(8) + 1), utc(2026, 11, 24, 8, 0) + 1);
	ck_assert_int_eq(add(&cal, saturday, 60), utc(2026, 11, 23, 8, 1));
	ck_assert_int_eq(calendar_between(&cal, saturday, utc(2026, 11, 23, 8, 0)), 0);
	calendar_free(&cal);
}
END_TEST

START_TEST(test_arrival_after_and_before_hours)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t evening = utc(2026, 11, 19, 17, 30); /* Thursday 18:30 CET */
	int64_t early = utc(2026, 11, 20, 6, 0);     /* Friday 07:00 CET */
	int64_t opening = utc(2026, 11, 20, 8, 0);   /* Friday 09:00 CET */
	int64_t closing = utc(2026, 11, 20, 16, 0);  /* Friday 17:00 CET */

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(next_open(&cal, evening), opening);
	ck_assert_int_eq(add(&cal, evening, H(2)), utc(2026, 11, 20, 10, 0));
	ck_assert_int_eq(next_open(&cal, early), opening);
	ck_assert(calendar_is_open(&cal, opening));
	ck_assert(!calendar_is_open(&cal, opening - 1));
	ck_assert_int_eq(next_open(&cal, opening), opening);
	ck_assert_int_eq(next_open(&cal, opening + 1234), opening + 1234);
	/* The interval is [09:00, 17:00): 17:00 is closed, the next opening is Monday. */
	ck_assert(calendar_is_open(&cal, closing - 1));
	ck_assert(!calendar_is_open(&cal, closing));
	ck_assert_int_eq(next_open(&cal, closing), utc(2026, 11, 23, 8, 0));
	ck_assert_int_eq(add(&cal, opening, H(8)), closing);
	ck_assert_int_eq(add(&cal, opening, 0), opening);
	ck_assert_int_eq(add(&cal, evening, 0), evening);
	calendar_free(&cal);
}
END_TEST

/* ---- DST --------------------------------------------------------------- */

/* Mon-Fri 09:00-17:00 and a night shift Sunday 01:00-05:00 across the switch. */
static struct cal_week week_with_sunday_night(void)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));

	add_span(&w, SUN, HM(1, 0), HM(5, 0));
	return w;
}

START_TEST(test_dst_berlin)
{
	struct cal_week w = week_with_sunday_night();
	struct calendar cal;

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	/* Spring forward, Sun 29 March: 02:00 CET -> 03:00 CEST; the night is 3 hours. */
	ck_assert_int_eq(day_total(&cal, 2026, 3, 29, 1), H(3));
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 28, 20, 0)), utc(2026, 3, 29, 0, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 3, 29, 0, 0), H(3)), utc(2026, 3, 29, 3, 0));
	ck_assert(!calendar_is_open(&cal, utc(2026, 3, 29, 3, 0)));
	/* The Sundays around it are 4 hours, at the offset of their season. */
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 3, 22, 0, 0), utc(2026, 3, 22, 4, 0)),
	                 H(4));
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 4, 4, 23, 0), utc(2026, 4, 5, 3, 0)),
	                 H(4));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 22, 1), H(4));
	ck_assert_int_eq(day_total(&cal, 2026, 4, 5, 2), H(4));
	/* Fall back, Sun 25 October: 03:00 CEST -> 02:00 CET; the night is 5 hours. */
	ck_assert_int_eq(day_total(&cal, 2026, 10, 25, 2), H(5));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 24, 20, 0)), utc(2026, 10, 24, 23, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 10, 24, 23, 0), H(5)), utc(2026, 10, 25, 4, 0));

	/* Weekdays stay 8 hours; 09:00 is 08:00Z in winter and 07:00Z in summer. */
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 27, 0, 0)), utc(2026, 3, 27, 8, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 27, 1), H(8));
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 29, 12, 0)), utc(2026, 3, 30, 7, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 3, 30, 7, 0), H(8)), utc(2026, 3, 30, 15, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 30, 2), H(8));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 23, 0, 0)), utc(2026, 10, 23, 7, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 10, 23, 2), H(8));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 25, 12, 0)), utc(2026, 10, 26, 8, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 10, 26, 8, 0), H(8)), utc(2026, 10, 26, 16, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 10, 26, 1), H(8));
	/* Friday 16:00 CEST to Monday 10:00 CET: 1 h + the 5 h night + 1 h. */
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 10, 23, 14, 0), utc(2026, 10, 26, 9, 0)),
	                 H(7));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_dst_london)
{
	struct cal_week w = week_with_sunday_night();
	struct calendar cal;

	build(&cal, "Europe/London", &w, NULL, 0, 2026, 2026);
	/* Spring, 01:00 GMT -> 02:00 BST: 01:00 local never happens, work starts at the switch. */
	ck_assert_int_eq(day_total(&cal, 2026, 3, 29, 0), H(3));
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 28, 20, 0)), utc(2026, 3, 29, 1, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 3, 29, 1, 0), H(3)), utc(2026, 3, 29, 4, 0));
	/* Autumn, 02:00 BST -> 01:00 GMT: 01:00 is its first occurrence (BST). */
	ck_assert_int_eq(day_total(&cal, 2026, 10, 25, 1), H(5));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 24, 20, 0)), utc(2026, 10, 25, 0, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 10, 25, 0, 0), H(5)), utc(2026, 10, 25, 5, 0));
	/* Weekdays: 09:00 GMT = 09:00Z, 09:00 BST = 08:00Z. */
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 27, 0, 0)), utc(2026, 3, 27, 9, 0));
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 29, 12, 0)), utc(2026, 3, 30, 8, 0));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 23, 0, 0)), utc(2026, 10, 23, 8, 0));
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 25, 12, 0)), utc(2026, 10, 26, 9, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 27, 0), H(8));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 30, 1), H(8));
	ck_assert_int_eq(day_total(&cal, 2026, 10, 23, 1), H(8));
	ck_assert_int_eq(day_total(&cal, 2026, 10, 26, 0), H(8));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_dst_whole_day)
{
	/* Open round the clock on Sundays: 23 hours in spring, 25 in autumn. */
	struct cal_week w;
	struct calendar cal;

	memset(&w, 0, sizeof w);
	add_span(&w, SUN, 0, 1440);
	build(&cal, "Europe/London", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)),
	                 H(23));
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 10, 24, 0, 0), utc(2026, 10, 27, 0, 0)),
	                 H(25));
	ck_assert_int_eq(add(&cal, utc(2026, 3, 28, 0, 0), H(23)), utc(2026, 3, 29, 23, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 10, 24, 0, 0), H(25)), utc(2026, 10, 26, 0, 0));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_dst_span_edges_in_gap_and_overlap)
{
	/*
	 * Berlin. A span starting inside the skipped hour starts at the switch
	 * (03:00 CEST); one lying wholly inside it is empty. A repeated time
	 * means its first occurrence.
	 */
	struct cal_week w;
	struct calendar cal;

	memset(&w, 0, sizeof w);
	add_span(&w, SUN, HM(2, 30), HM(5, 0));
	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 1, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 29, 1), H(2));
	/* 02:30 CEST (00:30Z) to 05:00 CET (04:00Z). */
	ck_assert_int_eq(next_open(&cal, utc(2026, 10, 24, 12, 0)), utc(2026, 10, 25, 0, 30));
	ck_assert_int_eq(day_total(&cal, 2026, 10, 25, 2), H(3) + 1800);
	calendar_free(&cal);

	memset(&w, 0, sizeof w);
	add_span(&w, SUN, HM(2, 0), HM(2, 30));
	add_span(&w, SUN, HM(6, 0), HM(7, 0));
	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(day_total(&cal, 2026, 3, 29, 1), H(1));
	ck_assert_int_eq(next_open(&cal, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 4, 0));
	ck_assert_int_eq(day_total(&cal, 2026, 3, 22, 1), H(1) + 1800);
	calendar_free(&cal);
}
END_TEST

/* ---- zones without DST --------------------------------------------------- */

START_TEST(test_no_dst_zones)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar jnb, ist;

	build(&jnb, "Africa/Johannesburg", &w, NULL, 0, 2026, 2026);
	build(&ist, "Europe/Istanbul", &w, NULL, 0, 2026, 2026);
	/* Winter and summer, and both sides of Europe's switches. */
	static const int days[][3] = {
	        {2026, 1, 5}, {2026, 3, 27},  {2026, 3, 30},
	        {2026, 7, 6}, {2026, 10, 26}, {2026, 12, 28},
	};
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
		int y = days[i][0], m = days[i][1], d = days[i][2];

		ck_assert_int_eq(next_open(&jnb, utc(y, m, d, 0, 0)), utc(y, m, d, 7, 0));
		ck_assert_int_eq(add(&jnb, utc(y, m, d, 7, 0), H(8)), utc(y, m, d, 15, 0));
		ck_assert_int_eq(day_total(&jnb, y, m, d, 2), H(8));
		ck_assert_int_eq(next_open(&ist, utc(y, m, d, 0, 0)), utc(y, m, d, 6, 0));
		ck_assert_int_eq(add(&ist, utc(y, m, d, 6, 0), H(8)), utc(y, m, d, 14, 0));
		ck_assert_int_eq(day_total(&ist, y, m, d, 3), H(8));
	}
	calendar_free(&jnb);
	calendar_free(&ist);
}
END_TEST

/* ---- several spans a day ------------------------------------------------- */

START_TEST(test_lunch_break)
{
	/* 09:00-12:30 and 13:30-17:30, given out of order and with an overlap. */
	struct cal_week w;
	struct calendar cal;

	memset(&w, 0, sizeof w);
	for (int d = MON; d <= FRI; d++) {
		add_span(&w, d, HM(13, 30), HM(17, 30));
		add_span(&w, d, HM(9, 0), HM(12, 30));
		add_span(&w, d, HM(12, 0), HM(12, 30));
	}
	build(&cal, "Africa/Johannesburg", &w, NULL, 0, 2026, 2026); /* UTC+2 */
	ck_assert_int_eq(cal.day_seconds, H(7) + 1800);
	ck_assert_int_eq(day_total(&cal, 2026, 1, 5, 2), H(7) + 1800);
	/* Monday 11:30 + 2 h: one hour before lunch, one after: 14:30. */
	ck_assert_int_eq(add(&cal, utc(2026, 1, 5, 9, 30), H(2)), utc(2026, 1, 5, 12, 30));
	/* A budget that runs out at the start of lunch ends at 12:30, not 13:30. */
	ck_assert_int_eq(add(&cal, utc(2026, 1, 5, 9, 30), H(1)), utc(2026, 1, 5, 10, 30));
	ck_assert(!calendar_is_open(&cal, utc(2026, 1, 5, 11, 0)));
	ck_assert(calendar_is_open(&cal, utc(2026, 1, 5, 10, 29)));
	ck_assert_int_eq(next_open(&cal, utc(2026, 1, 5, 11, 0)), utc(2026, 1, 5, 11, 30));
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 12, 0)),
	                 H(1));
	/* Friday 17:00 + 1 h: half an hour on Friday, half on Monday. */
	ck_assert_int_eq(add(&cal, utc(2026, 1, 9, 15, 0), H(1)), utc(2026, 1, 12, 7, 30));
	calendar_free(&cal);
}
END_TEST

/* ---- holidays ------------------------------------------------------------ */

START_TEST(test_long_holiday_run)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	int32_t hol[16];
	size_t n = 0;
	struct calendar cal;

	/* 21 December 2026 to 3 January 2027, in reverse order, with a duplicate. */
	for (int32_t d = days_from_civil(2027, 1, 3); d >= days_from_civil(2026, 12, 21); d--)
		hol[n++] = d;
	hol[n++] = days_from_civil(2026, 12, 25);
	build(&cal, "Europe/Berlin", &w, hol, n, 2026, 2027);
	/* Friday 18 December 16:00 CET + 2 h: 1 h that day, 1 h on Monday 4 January. */
	ck_assert_int_eq(add(&cal, utc(2026, 12, 18, 15, 0), H(2)), utc(2027, 1, 4, 9, 0));
	ck_assert_int_eq(calendar_between(&cal, utc(2026, 12, 18, 15, 0), utc(2027, 1, 4, 9, 0)),
	                 H(2));
	ck_assert_int_eq(next_open(&cal, utc(2026, 12, 22, 10, 0)), utc(2027, 1, 4, 8, 0));
	ck_assert(!calendar_is_open(&cal, utc(2026, 12, 28, 10, 0)));
	/* Across the year boundary of the window's years. */
	ck_assert_int_eq(add(&cal, utc(2026, 12, 18, 8, 0), H(16)), utc(2027, 1, 4, 16, 0));
	calendar_free(&cal);
}
END_TEST

START_TEST(test_holidays_outside_window_ignored)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	int32_t hol[] = {days_from_civil(2020, 1, 6), days_from_civil(2030, 1, 7),
	                 days_from_civil(2026, 1, 6)};
	struct calendar cal;

	build(&cal, "Europe/Berlin", &w, hol, 3, 2026, 2026);
	/* Monday 5 January 2026 + 9 h: Tuesday is a holiday, so Wednesday 10:00 CET. */
	ck_assert_int_eq(add(&cal, utc(2026, 1, 5, 8, 0), H(9)), utc(2026, 1, 7, 9, 0));
	calendar_free(&cal);
}
END_TEST

/* ---- consistency ----------------------------------------------------------- */

static struct cal_week busy_week(void)
{
	struct cal_week w;

	memset(&w, 0, sizeof w);
	for (int d = MON; d <= FRI; d++) {
		add_span(&w, d, HM(8, 0), HM(12, 0));
		add_span(&w, d, HM(12, 45), HM(17, 15));
	}
	add_span(&w, SAT, HM(10, 0), HM(14, 0));
	add_span(&w, SUN, HM(1, 0), HM(5, 0));
	add_span(&w, SUN, HM(23, 0), HM(24, 0));
	return w;
}

START_TEST(test_between_add_round_trip)
{
	struct cal_week w = busy_week();
	int32_t hol[] = {days_from_civil(2026, 3, 31), days_from_civil(2026, 10, 27)};
	static const int64_t budgets[] = {0, 1, 59, 3600, H(8), H(8) + 1, H(24), H(80)};
	struct calendar cal;
	int64_t ranges[][2] = {
	        {utc(2026, 3, 20, 0, 0), utc(2026, 4, 6, 0, 0)},
	        {utc(2026, 10, 16, 0, 0), utc(2026, 11, 2, 0, 0)},
	};

	build(&cal, "Europe/Berlin", &w, hol, 2, 2026, 2026);
	for (size_t r = 0; r < 2; r++) {
		for (int64_t t = ranges[r][0]; t < ranges[r][1]; t += 37 * 60 + 11) {
			for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
				int64_t s = budgets[b];
				int64_t u = add(&cal, t, s);

				ck_assert_int_ge(u, t);
				ck_assert_int_eq(calendar_between(&cal, t, u), s);
				if (s > 0) {
					/* earliest: one second less is one second short */
					ck_assert_int_eq(calendar_between(&cal, t, u - 1), s - 1);
					ck_assert(calendar_is_open(&cal, u - 1));
				}
			}
		}
	}
	calendar_free(&cal);
}
END_TEST

START_TEST(test_between_matches_brute_force)
{
	/* Count open minutes one by one across both switches and compare. */
	struct cal_week w = busy_week();
	int32_t hol[] = {days_from_civil(2026, 3, 31)};
	struct calendar cal;
	int64_t ranges[][2] = {
	        {utc(2026, 3, 25, 0, 0), utc(2026, 4, 2, 0, 0)},
	        {utc(2026, 10, 21, 0, 0), utc(2026, 10, 29, 0, 0)},
	};

	build(&cal, "Europe/Berlin", &w, hol, 1, 2026, 2026);
	for (size_t r = 0; r < 2; r++) {
		int64_t a = ranges[r][0], brute = 0;

		for (int64_t t = a; t < ranges[r][1]; t += 60) {
			int64_t opened;

			brute += calendar_is_open(&cal, t) ? 60 : 0;
			ck_assert_int_eq(calendar_between(&cal, a, t + 60), brute);
			/* additivity through an arbitrary midpoint */
			ck_assert_int_eq(calendar_between(&cal, a, t) +
			                         calendar_between(&cal, t, t + 60),
			                 brute);
			ck_assert_int_eq(calendar_next_open(&cal, t, &opened), CAL_OK);
			ck_assert(calendar_is_open(&cal, opened));
			ck_assert_int_eq(calendar_between(&cal, t, opened), 0);
		}
	}
	calendar_free(&cal);
}
END_TEST

START_TEST(test_between_empty_and_clamped)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t a = utc(2026, 11, 19, 9, 0);

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(calendar_between(&cal, a, a), 0);
	ck_assert_int_eq(calendar_between(&cal, a, a - 1), 0);
	ck_assert_int_eq(calendar_between(&cal, a + H(1), a), 0);
	ck_assert_int_eq(calendar_between(&cal, INT64_MAX, INT64_MIN), 0);
	/* The window is local 2026: from 2025-12-31 23:00Z to 2026-12-31 23:00Z. */
	ck_assert_int_eq(cal.from, utc(2025, 12, 31, 23, 0));
	ck_assert_int_eq(cal.until, utc(2026, 12, 31, 23, 0));
	ck_assert_int_eq(calendar_between(&cal, INT64_MIN, INT64_MAX),
	                 calendar_between(&cal, cal.from, cal.until));
	/* 2026 has 261 weekdays. */
	ck_assert_int_eq(calendar_between(&cal, cal.from, cal.until), 261 * H(8));
	ck_assert_int_eq(calendar_between(&cal, utc(2020, 1, 1, 0, 0), utc(2026, 1, 2, 9, 0)),
	                 H(9));
	ck_assert_int_eq(calendar_between(&cal, utc(2030, 1, 1, 0, 0), utc(2031, 1, 1, 0, 0)), 0);
	calendar_free(&cal);
}
END_TEST

/* ---- the window ------------------------------------------------------------ */

START_TEST(test_out_of_window)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	int64_t out = 42;
	int64_t last_thursday = utc(2026, 12, 31, 9, 0); /* 10:00 CET, the last working day */

	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(add(&cal, last_thursday, H(7)), utc(2026, 12, 31, 16, 0));
	ck_assert_int_eq(calendar_add_business(&cal, last_thursday, H(7) + 1, &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, last_thursday, H(24), &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, last_thursday, INT64_MAX, &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, last_thursday, -1, &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, INT64_MAX, 1, &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, utc(2027, 6, 1, 0, 0), H(1), &out),
	                 CAL_ERANGE);
	/* Before the window the hours are unknown. */
	ck_assert_int_eq(calendar_add_business(&cal, utc(2025, 12, 1, 0, 0), H(1), &out),
	                 CAL_ERANGE);
	ck_assert_int_eq(calendar_add_business(&cal, INT64_MIN, H(1), &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_next_open(&cal, utc(2025, 12, 1, 0, 0), &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_next_open(&cal, utc(2026, 12, 31, 16, 0), &out), CAL_ERANGE);
	ck_assert_int_eq(calendar_next_open(&cal, INT64_MAX, &out), CAL_ERANGE);
	ck_assert_int_eq(out, 42); /* untouched on error */
	ck_assert_int_eq(next_open(&cal, cal.from), utc(2026, 1, 1, 8, 0));
	ck_assert(!calendar_is_open(&cal, utc(2027, 1, 4, 10, 0)));
	ck_assert(!calendar_is_open(&cal, utc(2025, 12, 31, 10, 0)));
	calendar_free(&cal);
}
END_TEST

/* ---- day length -------------------------------------------------------------- */

START_TEST(test_day_seconds)
{
	struct cal_week w = weekdays(HM(9, 0), HM(18, 0));
	struct calendar cal;
	char err[256];

	/* Mon-Thu 9 h, Fri 8 h: 9 h. */
	w.span[FRI][0].end = HM(17, 0);
	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(cal.day_seconds, H(9));
	calendar_free(&cal);

	/* Mon-Tue 8 h, Wed-Thu 9 h, Sat 4 h: a tie, the longer wins. */
	memset(&w, 0, sizeof w);
	add_span(&w, MON, HM(9, 0), HM(17, 0));
	add_span(&w, TUE, HM(9, 0), HM(17, 0));
	add_span(&w, WED, HM(8, 0), HM(17, 0));
	add_span(&w, THU, HM(8, 0), HM(12, 0));
	add_span(&w, THU, HM(13, 0), HM(18, 0));
	add_span(&w, SAT, HM(9, 0), HM(13, 0));
	build(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026);
	ck_assert_int_eq(cal.day_seconds, H(9));
	calendar_free(&cal);

	/* Given explicitly, it is kept. */
	ck_assert_int_eq(build_in(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026, H(7) + 1800, err,
	                          sizeof err),
	                 0);
	ck_assert_int_eq(cal.day_seconds, H(7) + 1800);
	calendar_free(&cal);

	ck_assert_int_eq(
	        build_in(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026, -1, err, sizeof err), -1);
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

static void expect_build_error(const char *tz, const struct cal_week *w, const int32_t *hol,
                               size_t nhol, int y1, int y2, const char *needle)
{
	struct calendar cal;
	char err[256] = "";

	memset(&cal, 0x5a, sizeof cal);
	ck_assert_int_eq(build_in(&cal, tz, w, hol, nhol, y1, y2, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
	/* A failed build leaves nothing to free, and freeing it is harmless. */
	ck_assert_ptr_null(cal.start);
	ck_assert_uint_eq(cal.n, 0);
	calendar_free(&cal);
}

START_TEST(test_build_errors)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct cal_week none;
	struct cal_week sun = {0};
	int32_t sundays[60];
	size_t n = 0;
	char err[256] = "";
	struct calendar cal;

	memset(&none, 0, sizeof none);
	expect_build_error("Europe/Berlin", &none, NULL, 0, 2026, 2026, "no working hours");
	/* Only Sundays, and every Sunday of the year a holiday. */
	add_span(&sun, SUN, HM(10, 0), HM(12, 0));
	for (int32_t d = days_from_civil(2026, 1, 4); d <= days_from_civil(2026, 12, 31); d += 7)
		sundays[n++] = d;
	expect_build_error("Europe/Berlin", &sun, sundays, n, 2026, 2026, "no working hours");

	/* Unknown zones are the configuration's to report (test_config); no zone at all: */
	memset(&cal, 0, sizeof cal);
	ck_assert_int_eq(calendar_build(&cal, NULL, &w, NULL, 0, 2026, 2026, 0, err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "calendar: missing timezone, hours or holidays");

	expect_build_error("Europe/Berlin", &w, NULL, 0, 2027, 2026, "after");
	expect_build_error("Europe/Berlin", &w, NULL, 0, 1970, 2026, "outside");
	expect_build_error("Europe/Berlin", &w, NULL, 0, 2026, 2101, "outside");

	w.span[TUE][0].start = HM(17, 0);
	w.span[TUE][0].end = HM(9, 0);
	expect_build_error("Europe/Berlin", &w, NULL, 0, 2026, 2026, "Tuesday");
	w.span[TUE][0].start = HM(9, 0);
	w.span[TUE][0].end = 1441;
	expect_build_error("Europe/Berlin", &w, NULL, 0, 2026, 2026, "Tuesday");
	w.span[TUE][0].end = HM(17, 0);
	w.nspans[WED] = CAL_MAX_SPANS + 1;
	expect_build_error("Europe/Berlin", &w, NULL, 0, 2026, 2026, "Wednesday");

	/* A NULL err is allowed. */
	ck_assert_int_eq(calendar_build(&cal, NULL, &w, NULL, 0, 2026, 2026, 0, NULL, 0), -1);
	ck_assert_int_eq(build_in(&cal, "Europe/Berlin", &w, NULL, 0, 2026, 2026, 0, NULL, 0), -1);
}
END_TEST

START_TEST(test_years_at_the_limits)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;

	build(&cal, "Europe/Berlin", &w, NULL, 0, 1971, 2100);
	ck_assert_int_eq(cal.from, utc(1970, 12, 31, 23, 0));
	ck_assert_int_eq(next_open(&cal, utc(2100, 12, 31, 0, 0)), utc(2100, 12, 31, 8, 0));
	ck_assert_int_eq(add(&cal, utc(2026, 11, 19, 9, 0), H(24)), utc(2026, 11, 24, 9, 0));
	calendar_free(&cal);
}
END_TEST

/* ---- the environment ------------------------------------------------------------ */

/* The build reads no TZ and sets none: the process's local time is left alone. */
START_TEST(test_build_restores_tz)
{
	struct cal_week w = weekdays(HM(9, 0), HM(17, 0));
	struct calendar cal;
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;
	time_t t = (time_t)utc(2026, 7, 1, 12, 0);
	struct tm tm;

	setenv("TZ", "America/New_York", 1);
	tzset();
	build(&cal, "Asia/Tokyo", &w, NULL, 0, 2026, 2026);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_int_eq(tm.tm_hour, 8); /* EDT */
	calendar_free(&cal);

	unsetenv("TZ");
	tzset();
	build(&cal, "Asia/Tokyo", &w, NULL, 0, 2026, 2026);
	ck_assert_ptr_null(getenv("TZ"));
	/* Tokyo 09:00 is 00:00Z. */
	ck_assert_int_eq(next_open(&cal, utc(2026, 7, 1, 0, 0) - 1), utc(2026, 7, 1, 0, 0));
	calendar_free(&cal);

	if (saved != NULL)
		setenv("TZ", saved, 1);
	free(saved);
	tzset();
}
END_TEST

/*
 * The lookups (a day index, then a gallop) against the plain definitions,
 * computed by walking every interval: random instants (interval edges and the
 * window's ends included) and spans, in zones with DST switches, Saturday
 * hours, split days and holidays.
 */
static int ref_is_open(const struct calendar *cal, int64_t t)
{
	for (size_t i = 0; i < cal->n; i++)
		if (cal->start[i] <= t && t < cal->end[i])
			return 1;
	return 0;
}

static int ref_next_open(const struct calendar *cal, int64_t t, int64_t *out)
{
	if (t < cal->from)
		return CAL_ERANGE;
	for (size_t i = 0; i < cal->n; i++) {
		if (cal->end[i] > t) {
			*out = t > cal->start[i] ? t : cal->start[i];
			return CAL_OK;
		}
	}
	return CAL_ERANGE;
}

static int64_t ref_between(const struct calendar *cal, int64_t a, int64_t b)
{
	int64_t sum = 0;

	if (a < cal->from)
		a = cal->from;
	if (b > cal->until)
		b = cal->until;
	for (size_t i = 0; i < cal->n; i++) {
		int64_t s = a > cal->start[i] ? a : cal->start[i];
		int64_t e = b < cal->end[i] ? b : cal->end[i];

		if (e > s)
			sum += e - s;
	}
	return sum;
}

static int ref_add(const struct calendar *cal, int64_t t, int64_t secs, int64_t *out)
{
	if (secs < 0)
		return CAL_ERANGE;
	if (secs == 0) {
		*out = t;
		return CAL_OK;
	}
	if (t < cal->from)
		return CAL_ERANGE;
	for (size_t i = 0; i < cal->n; i++) {
		int64_t s = t > cal->start[i] ? t : cal->start[i];

		if (cal->end[i] <= t)
			continue;
		if (secs <= cal->end[i] - s) {
			*out = s + secs;
			return CAL_OK;
		}
		secs -= cal->end[i] - s;
	}
	return CAL_ERANGE;
}

static uint64_t prop_rand(uint64_t *state)
{
	/* xorshift64*: deterministic, so a failure repeats */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1Dull;
}

/* An instant: anywhere around the window, or on (or next to) an interval's edge. */
static int64_t prop_instant(const struct calendar *cal, uint64_t *rs)
{
	uint64_t r = prop_rand(rs);
	size_t i = (size_t)(prop_rand(rs) % cal->n);
	int64_t edge = (r & 1) ? cal->start[i] : cal->end[i];

	switch ((r >> 1) % 6) {
	case 0:
		return edge;
	case 1:
		return edge - 1;
	case 2:
		return edge + 1;
	case 3:
		return (r >> 8 & 1) ? cal->from + (int64_t)(r >> 9 & 3) - 1
		                    : cal->until + (int64_t)(r >> 9 & 3) - 2;
	default: {
		int64_t lo = cal->from - 2 * SECS_PER_DAY, hi = cal->until + 2 * SECS_PER_DAY;

		return lo + (int64_t)(prop_rand(rs) % (uint64_t)(hi - lo));
	}
	}
}

static int64_t prop_span(uint64_t *rs)
{
	uint64_t r = prop_rand(rs);

	switch (r % 5) {
	case 0:
		return (int64_t)(r >> 8) % 120; /* seconds */
	case 1:
		return (int64_t)(r >> 8) % H(10);
	case 2:
		return (int64_t)(r >> 8) % H(400); /* weeks of working days */
	case 3:
		return (int64_t)(r >> 8) % H(8000); /* past the window's end */
	default:
		return H((int64_t)(r >> 8) % 60);
	}
}

static void check_against_reference(const struct calendar *cal, uint64_t seed, int rounds)
{
	uint64_t rs = seed;
	struct cal_pos pos;

	for (int k = 0; k < rounds; k++) {
		int64_t t = prop_instant(cal, &rs), u = prop_instant(cal, &rs);
		int64_t secs = prop_span(&rs), got = INT64_MIN, want = INT64_MIN;
		int rc, ref;

		ck_assert_msg(calendar_is_open(cal, t) == ref_is_open(cal, t), "is_open %lld",
		              (long long)t);
		rc = calendar_next_open(cal, t, &got);
		ref = ref_next_open(cal, t, &want);
		ck_assert_msg(rc == ref && (rc != CAL_OK || got == want), "next_open %lld",
		              (long long)t);
		ck_assert_msg(calendar_between(cal, t, u) == ref_between(cal, t, u),
		              "between %lld %lld", (long long)t, (long long)u);
		ck_assert_msg(calendar_between(cal, u, t) == ref_between(cal, u, t),
		              "between %lld %lld", (long long)u, (long long)t);
		got = want = INT64_MIN;
		rc = calendar_add_business(cal, t, secs, &got);
		ref = ref_add(cal, t, secs, &want);
		ck_assert_msg(rc == ref && (rc != CAL_OK || got == want),
		              "add %lld + %lld: %d %lld, want %d %lld", (long long)t,
		              (long long)secs, rc, (long long)got, ref, (long long)want);
		/* Two sums from one position found once: a deadline and its at-risk instant. */
		calendar_pos(cal, t, &pos);
		for (int j = 0; j < 2; j++) {
			int64_t s = j == 0 ? secs : (secs * 750 + 999) / 1000;
			got = want = INT64_MIN;
			rc = calendar_add_from(cal, &pos, s, &got);
			ref = ref_add(cal, t, s, &want);
			ck_assert_msg(rc == ref && (rc != CAL_OK || got == want),
			              "add_from %lld + %lld: %d %lld, want %d %lld", (long long)t,
			              (long long)s, rc, (long long)got, ref, (long long)want);
		}
	}
}

START_TEST(test_lookups_match_reference)
{
	struct cal_week busy = busy_week(), ist = weekdays(HM(9, 0), HM(18, 0));
	struct cal_week sunday_night = week_with_sunday_night();
	int32_t hol[] = {days_from_civil(2026, 3, 31),  days_from_civil(2026, 10, 26),
	                 days_from_civil(2026, 12, 24), days_from_civil(2026, 12, 25),
	                 days_from_civil(2027, 1, 1),   days_from_civil(2027, 3, 29)};
	int32_t ist_hol[] = {days_from_civil(2026, 4, 23), days_from_civil(2026, 5, 1),
	                     days_from_civil(2026, 10, 29)};
	struct calendar cal;

	add_span(&ist, SAT, HM(10, 0), HM(14, 0));
	build(&cal, "Europe/Berlin", &busy, hol, sizeof hol / sizeof hol[0], 2026, 2027);
	check_against_reference(&cal, 0x9E3779B97F4A7C15ull, 20000);
	calendar_free(&cal);
	build(&cal, "Europe/Berlin", &sunday_night, NULL, 0, 2026, 2026);
	check_against_reference(&cal, 42, 10000);
	calendar_free(&cal);
	build(&cal, "Europe/Istanbul", &ist, ist_hol, sizeof ist_hol / sizeof ist_hol[0], 2026,
	      2027);
	check_against_reference(&cal, 7, 20000);
	calendar_free(&cal);
	build(&cal, "America/New_York", &busy, hol, sizeof hol / sizeof hol[0], 2026, 2026);
	check_against_reference(&cal, 2026, 10000);
	calendar_free(&cal);
}
END_TEST

static Suite *calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("turnaround");

	tcase_add_test(tc, test_domain_example);
	tcase_add_test(tc, test_domain_example_monday_holiday);
	tcase_add_test(tc, test_domain_example_across_spring_forward);
	tcase_add_test(tc, test_two_sums_from_one_position);
	tcase_add_test(tc, test_arrival_on_weekend);
	tcase_add_test(tc, test_arrival_after_and_before_hours);
	tcase_add_test(tc, test_lunch_break);
	tcase_add_test(tc, test_long_holiday_run);
	tcase_add_test(tc, test_holidays_outside_window_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("zones");
	tcase_add_test(tc, test_dst_berlin);
	tcase_add_test(tc, test_dst_london);
	tcase_add_test(tc, test_dst_whole_day);
	tcase_add_test(tc, test_dst_span_edges_in_gap_and_overlap);
	tcase_add_test(tc, test_no_dst_zones);
	suite_add_tcase(s, tc);

	tc = tcase_create("consistency");
	tcase_add_test(tc, test_between_add_round_trip);
	tcase_add_test(tc, test_between_matches_brute_force);
	tcase_add_test(tc, test_between_empty_and_clamped);
	tcase_add_test(tc, test_lookups_match_reference);
	tcase_add_test(tc, test_out_of_window);
	tcase_add_test(tc, test_day_seconds);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_years_at_the_limits);
	tcase_add_test(tc, test_build_restores_tz);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(calendar_suite());
}
