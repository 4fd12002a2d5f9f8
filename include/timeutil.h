/*
 * timeutil: civil-date arithmetic and the wire formats of times and dates
 * (docs/protocol.md, "Values"). Instants are UTC seconds since the epoch (int64_t);
 * dates are days since 1970-01-01 (int32_t).
 *
 * Pure: no I/O, no clock, no timezone database. `NOW` is the caller's business.
 */
#ifndef REPAIRD_TIMEUTIL_H
#define REPAIRD_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECS_PER_DAY 86400

/* Proleptic Gregorian calendar; valid for years 1..9999. */
int32_t days_from_civil(int y, int m, int d);
void civil_from_days(int32_t days, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday */
int weekday_from_days(int32_t days);
bool civil_valid(int y, int m, int d);

/* "2026-12-31" -> days. Returns 0 on success, -1 if malformed or not a date. */
int date_parse(const char *s, int32_t *days);
/* Writes "YYYY-MM-DD" (11 bytes with NUL). */
void date_format(int32_t days, char out[11]);
/* "00" "01" ... "99": decimals written two digits at a time (times, dates, reply numbers). */
extern const char digit_pairs[201];

/*
 * "2026-11-23T09:30:00Z" or "2026-11-23T10:30:00+01:00" (seconds optional,
 * offsets -14:00..+14:00) -> UTC seconds. 0 on success, -1 otherwise.
 * `NOW` is not accepted here: the shell resolves it.
 */
int time_parse(const char *s, int64_t *t);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void time_format(int64_t t, char out[21]);
/*
 * Dates already written, to skip the calendar for instants of a day seen
 * before (a ticket's times are days apart at most, and so are the tickets
 * replied to together). A day is kept in slot day % n of n (a power of two).
 * A slot is empty while text[0] is NUL: zeroed memos are empty ones.
 */
struct date_memo {
	int32_t day;
	char text[10]; /* "YYYY-MM-DD" */
};
/* time_format's 20 characters, without the NUL, the date from memo when it has the day. */
void time_format_memo(int64_t t, char out[20], struct date_memo *memo, size_t n);

/* "8h", "7h30m", "45m", "90s", "1h 30m" -> seconds. 0 on success, -1 otherwise. */
int duration_parse(const char *s, int64_t *secs);
/* "HH:MM" -> minutes after midnight (00:00..24:00). 0 on success, -1 otherwise. */
int clock_parse(const char *s, int *minutes);

#endif
