/*
 * timeutil: civil dates and the wire formats of times, dates, durations and
 * clock times. Pure integer arithmetic: no clock, no timezone database.
 *
 * The civil-date conversions follow Howard Hinnant's "chrono-compatible
 * low-level date algorithms": the year is shifted to start on 1 March, so the
 * leap day is the last day of the shifted year, and the proleptic Gregorian
 * calendar repeats every 400 years (an "era" of 146097 days).
 */
#include "timeutil.h"

#include <limits.h>
#include <string.h>

#define DAYS_PER_ERA 146097 /* days in 400 Gregorian years */
/* days from 0000-03-01 to 1970-01-01 */
#define EPOCH_SHIFT 719468

/* Floor division and its remainder, for negative instants and days. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

int32_t days_from_civil(int y, int m, int d)
{
	/* Years starting in March: January and February belong to the previous one. */
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = floor_div(yy, 400);
	int64_t yoe = yy - era * 400;                        /* 0..399 */
	int64_t mp = (m + 9) % 12;                           /* March = 0 ... February = 11 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */

	return (int32_t)(era * DAYS_PER_ERA + doe - EPOCH_SHIFT);
}

static void civil_from_days_wide(int32_t days, int *y, int *m, int *d);

/* 0000-03-01 and 9999-12-31: the days the 32-bit path below covers. */
#define FAST_FIRST_DAY (-EPOCH_SHIFT)
#define FAST_LAST_DAY  2932896

void civil_from_days(int32_t days, int *y, int *m, int *d)
{
	if (days >= FAST_FIRST_DAY && days <= FAST_LAST_DAY) {
		/*
		 * Neri and Schneider's Euclidean affine form of the same computation
		 * (years from 0000-03-01): 32-bit multiplies instead of 64-bit divisions,
		 * for every timestamp of every ticket reply.
		 */
		uint32_t n1 = 4 * (uint32_t)(days + EPOCH_SHIFT) + 3;
		uint32_t c = n1 / 146097, nc = n1 % 146097 / 4;
		uint64_t p2 = (uint64_t)2939745 * (4 * nc + 3);
		uint32_t z = (uint32_t)(p2 >> 32), ny = (uint32_t)p2 / 2939745 / 4;
		uint32_t n3 = 2141 * ny + 197913, mm = n3 >> 16, jan_feb = ny >= 306;

		*y = (int)(100 * c + z + jan_feb);
		*m = (int)(jan_feb ? mm - 12 : mm);
		*d = (int)(n3 % 65536 / 2141 + 1);
		return;
	}
	civil_from_days_wide(days, y, m, d);
}

static void civil_from_days_wide(int32_t days, int *y, int *m, int *d)
{
	int64_t z = (int64_t)days + EPOCH_SHIFT;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA; /* 0..146096 */
	/* Undo the leap days: one per 4 years, less one per 100, plus one per 400. */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
	int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;                           /* 1..31 */
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;                              /* 1..12 */
	int64_t yy = yoe + era * 400 + (mm <= 2);

	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
}

int weekday_from_days(int32_t days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	return (int)floor_mod((int64_t)days + 3, 7);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

bool civil_valid(int y, int m, int d)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

/*
 * Exactly n ASCII digits at *p (no sign, no space); advances *p.
 * Returns -1 when a character is not a digit.
 */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

/* "YYYY-MM-DD" at *p, advancing past it. */
static int date_part(const char **p, int32_t *days)
{
	int y, m, d;

	if (digits(p, 4, &y) < 0 || expect(p, '-') < 0 || digits(p, 2, &m) < 0 ||
	    expect(p, '-') < 0 || digits(p, 2, &d) < 0)
		return -1;
	if (!civil_valid(y, m, d))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int date_parse(const char *s, int32_t *days)
{
	const char *p = s;
	int32_t v;

	if (s == NULL || date_part(&p, &v) < 0 || *p != '\0')
		return -1;
	*days = v;
	return 0;
}

/* "00" to "99": every field of a date or time is written two digits at a time. */
const char digit_pairs[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";

/* Writes v (0..99) as exactly two decimal digits. */
static void put2(char *out, int v)
{
	memcpy(out, digit_pairs + 2 * v, 2);
}

/* Years outside 0..9999 cannot be written in four digits: clamp, as no valid input reaches them. */
static int clamp_year(int y)
{
	return y < 0 ? 0 : (y > 9999 ? 9999 : y);
}

void date_format(int32_t days, char out[11])
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	y = clamp_year(y);
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = '\0';
}

int time_parse(const char *s, int64_t *t)
{
	const char *p = s;
	int32_t days;
	int hh, mm, ss = 0, off = 0;

	if (s == NULL || date_part(&p, &days) < 0)
		return -1;
	/* RFC 3339 allows a lower-case 't' and 'z'; so do we. */
	if (*p != 'T' && *p != 't')
		return -1;
	p++;
	if (digits(&p, 2, &hh) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &mm) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &ss) < 0)
			return -1;
	}
	/* No leap seconds: an instant is a count of SI seconds without them. */
	if (hh > 23 || mm > 59 || ss > 59)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int oh, om;

		p++;
		if (digits(&p, 2, &oh) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &om) < 0)
			return -1;
		if (om > 59 || oh * 60 + om > 14 * 60)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	*t = (int64_t)days * SECS_PER_DAY + hh * 3600 + mm * 60 + ss - off;
	return 0;
}

/* "THH:MM:SSZ" of secs (0..86399) after midnight at out[10..19]: one division by 3600, one by 60.
 */
static void put_clock(char out[20], uint32_t secs)
{
	uint32_t hh = secs / 3600, rest = secs - hh * 3600, mm = rest / 60;

	out[10] = 'T';
	put2(out + 11, (int)hh);
	out[13] = ':';
	put2(out + 14, (int)mm);
	out[16] = ':';
	put2(out + 17, (int)(rest - mm * 60));
	out[19] = 'Z';
}

void time_format(int64_t t, char out[21])
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	uint32_t secs = (uint32_t)(t - days * SECS_PER_DAY);

	if (days < INT32_MIN)
		days = INT32_MIN;
	if (days > INT32_MAX)
		days = INT32_MAX;
	date_format((int32_t)days, out);
	put_clock(out, secs);
	out[20] = '\0';
}

void time_format_memo(int64_t t, char out[20], struct date_memo *memo, size_t n)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	uint32_t secs = (uint32_t)(t - days * SECS_PER_DAY);
	struct date_memo *m;

	if (days < INT32_MIN)
		days = INT32_MIN;
	if (days > INT32_MAX)
		days = INT32_MAX;
	m = &memo[(uint32_t)days & (n - 1)];
	if (m->text[0] == '\0' || m->day != (int32_t)days) {
		char date[11];

		date_format((int32_t)days, date);
		memcpy(m->text, date, sizeof m->text);
		m->day = (int32_t)days;
	}
	memcpy(out, m->text, sizeof m->text);
	put_clock(out, secs);
}

/*
 * Components <digits><unit>, units h, m, s, each at most once and in that
 * order, optionally separated by blanks: "8h", "7h30m", "1h 30m", "90s".
 */
int duration_parse(const char *s, int64_t *secs)
{
	static const char units[] = "hms";
	static const int64_t scale[] = {3600, 60, 1};
	const char *p = s;
	int64_t total = 0;
	int next = 0; /* index of the smallest unit still allowed */
	int ncomp = 0;

	if (s == NULL)
		return -1;
	while (*p != '\0') {
		int64_t v = 0;
		const char *u;
		int k;

		if (ncomp > 0)
			while (*p == ' ' || *p == '\t')
				p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			int dgt = *p - '0';

			if (v > (INT64_MAX - dgt) / 10)
				return -1;
			v = v * 10 + dgt;
			p++;
		}
		if (*p == '\0' || (u = strchr(units, *p)) == NULL)
			return -1;
		k = (int)(u - units);
		if (k < next)
			return -1;
		if (v > (INT64_MAX - total) / scale[k])
			return -1;
		total += v * scale[k];
		next = k + 1;
		ncomp++;
		p++;
	}
	if (ncomp == 0)
		return -1;
	*secs = total;
	return 0;
}

int clock_parse(const char *s, int *minutes)
{
	const char *p = s;
	int hh, mm;

	if (s == NULL || digits(&p, 2, &hh) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &mm) < 0 ||
	    *p != '\0')
		return -1;
	if (mm > 59 || hh > 24 || (hh == 24 && mm != 0))
		return -1;
	*minutes = hh * 60 + mm;
	return 0;
}
