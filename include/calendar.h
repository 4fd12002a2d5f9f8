/*
 * calendar: the business time of one service centre: its working hours per
 * weekday, its holidays (local dates) and its IANA timezone, precomputed at
 * build time into sorted UTC working intervals with a running total of
 * business seconds, so that every query is a binary search and integer
 * arithmetic. DST-safe: a working interval across a switch has its true length.
 *
 * Pure: no I/O, no clock, no TZ switching. The zone's offsets come from
 * tzif.h, parsed from bytes that the shell read from the timezone database.
 */
#ifndef REPAIRD_CALENDAR_H
#define REPAIRD_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "tzif.h"

#define CAL_MAX_SPANS 4 /* working intervals per weekday */

/* Local working interval [start, end) in minutes after midnight, end <= 1440. */
struct cal_span {
	int start;
	int end;
};

/* Working hours of a week; day 0 is Monday. */
struct cal_week {
	struct cal_span span[7][CAL_MAX_SPANS];
	int nspans[7];
};

struct calendar {
	int64_t *start; /* UTC start of each working interval, ascending */
	int64_t *end;   /* UTC end, exclusive; intervals are disjoint */
	int64_t *cum;   /* business seconds before interval i */
	size_t n;       /* number of intervals */
	int64_t from;   /* window covered: [from, until) in UTC */
	int64_t until;
	int64_t day_seconds; /* a standard working day, for turnaround budgets */
	int64_t *midnight;   /* UTC instant of each local midnight, first_day.. (ndays + 1) */
	int32_t first_day;   /* local date of midnight[0] */
	size_t ndays;
	/*
	 * day_first[k]: the first interval ending after from + k days (UTC), so a lookup
	 * starts a few intervals from its answer instead of searching the whole array.
	 */
	uint32_t *day_first;
	size_t nbuckets;
};

enum {
	CAL_OK = 0,
	CAL_ERANGE = -1, /* the answer lies outside the precomputed window */
};

/*
 * Build the calendar of a centre in zone for the local years first_year..last_year.
 * holidays: local dates (days since 1970-01-01), any order, duplicates allowed.
 * day_seconds: length of a standard working day; 0 means "derive it": the most
 * common non-zero weekday length (ties: the longer).
 * Returns 0, or -1 with a message in err (no working time, bad hours or years).
 */
int calendar_build(struct calendar *cal, const struct tzif *zone, const struct cal_week *week,
                   const int32_t *holidays, size_t nholidays, int first_year, int last_year,
                   int64_t day_seconds, char *err, size_t errlen);
void calendar_free(struct calendar *cal);

/* The first working instant at or after t. */
int calendar_next_open(const struct calendar *cal, int64_t t, int64_t *out);

/*
 * The earliest instant u >= t with calendar_between(t, u) == seconds.
 * So a budget that runs out at the end of a working day ends at 17:00, not at
 * the next morning's 09:00; adding 0 gives t.
 */
int calendar_add_business(const struct calendar *cal, int64_t t, int64_t seconds, int64_t *out);

/*
 * An instant and where it lies in the calendar, found once for several sums
 * from it (a ticket's deadline and its at-risk instant start at the same
 * moment): calendar_add_from(cal, &p, s, out) is calendar_add_business(cal,
 * p.t, s, out) without searching for p.t again.
 */
struct cal_pos {
	int64_t t;
	size_t i;     /* the first interval ending after t */
	int64_t have; /* business seconds in the window before t */
};
void calendar_pos(const struct calendar *cal, int64_t t, struct cal_pos *p);
int calendar_add_from(const struct calendar *cal, const struct cal_pos *p, int64_t seconds,
                      int64_t *out);

/* Business seconds in [a, b); 0 when b <= a. Clamped to the window. */
int64_t calendar_between(const struct calendar *cal, int64_t a, int64_t b);

/* The centre's local date at t (days since 1970-01-01); CAL_ERANGE outside the window. */
int calendar_local_date(const struct calendar *cal, int64_t t, int32_t *date);
/* true when t lies inside a working interval. */
int calendar_is_open(const struct calendar *cal, int64_t t);

#endif
