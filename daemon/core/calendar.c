/*
 * calendar: business time of a service centre as sorted UTC intervals.
 *
 * calendar_build() walks every local date of the window, turns each working
 * span into a UTC interval with the zone's offsets (tzif.h, parsed by the
 * caller from bytes the shell read), and keeps a running total of business
 * seconds. Queries are then binary searches.
 *
 * Local times that a DST change skips or repeats follow one rule: a local
 * wall-clock time L stands for the first instant at which the centre's clock
 * shows L or later. So a time in the spring-forward gap is the instant of the
 * switch, and a repeated time is its first occurrence. The mapping is
 * monotonic, which keeps intervals ordered and gives a span across a switch
 * its true length (01:00-05:00 is 3 hours in spring, 5 in autumn).
 * (mktime() did not do this: with tm_isdst = -1 glibc moves a gap time
 * forward by the gap, so 02:30 lands after 03:00, and picks the first
 * occurrence of a repeated time in some zones and the second in others.)
 */
#include "calendar.h"
#include "text.h"
#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAL_MIN_YEAR 1971
#define CAL_MAX_YEAR 2100

static const char *const day_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

/* ---- local time to UTC ------------------------------------------------ */

/*
 * The first instant at which the local clock shows `local` (seconds since
 * 1970-01-01 00:00 local wall time) or later; see the comment at the top.
 * Offsets never exceed a day (tzif refuses larger ones), so every instant of
 * `local` lies within a day of it read as UTC, and one zone changes its
 * offset at most once in two days.
 */
static int64_t local_to_utc(const struct tzif *zone, int64_t local)
{
	int64_t before = tzif_offset(zone, local - SECS_PER_DAY);
	int64_t after = tzif_offset(zone, local + SECS_PER_DAY);
	int64_t c1 = local - before;
	int64_t c2 = local - after;
	bool ok1, ok2;
	int64_t lo, hi;

	if (before == after && tzif_offset(zone, c1) == before)
		return c1;
	ok1 = tzif_offset(zone, c1) == before;
	ok2 = tzif_offset(zone, c2) == after;
	if (ok1 && ok2)
		return c1 < c2 ? c1 : c2; /* repeated: the first occurrence */
	if (ok1)
		return c1;
	if (ok2)
		return c2;
	/*
	 * Skipped: the first instant that shows a later time is the switch
	 * itself, which lies in (c2, c1]; find it to the second.
	 */
	lo = c2 < c1 ? c2 : c1;
	hi = c2 < c1 ? c1 : c2;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (tzif_offset(zone, mid) == before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- building ---------------------------------------------------------- */

static int cmp_span(const void *a, const void *b)
{
	const struct cal_span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

static int cmp_date(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Sorted, overlapping and touching spans joined; returns the count. */
static int merge_spans(const struct cal_span *in, int n, struct cal_span out[CAL_MAX_SPANS])
{
	struct cal_span tmp[CAL_MAX_SPANS];
	int m = 0;

	memcpy(tmp, in, (size_t)n * sizeof tmp[0]);
	qsort(tmp, (size_t)n, sizeof tmp[0], cmp_span);
	for (int i = 0; i < n; i++) {
		if (m > 0 && tmp[i].start <= out[m - 1].end) {
			if (tmp[i].end > out[m - 1].end)
				out[m - 1].end = tmp[i].end;
		} else {
			out[m++] = tmp[i];
		}
	}
	return m;
}

/* minutes is 0..1440 */
static void fmt_clock(int minutes, char out[6])
{
	out[0] = (char)('0' + minutes / 600);
	out[1] = (char)('0' + minutes / 60 % 10);
	out[2] = ':';
	out[3] = (char)('0' + minutes % 60 / 10);
	out[4] = (char)('0' + minutes % 10);
	out[5] = '\0';
}

/* Checks the week and merges each day's spans; returns the business minutes of the week. */
static int64_t normalise_week(const struct cal_week *week, struct cal_span days[7][CAL_MAX_SPANS],
                              int ndays[7], int64_t day_len[7], char *err, size_t errlen)
{
	int64_t total = 0;

	for (int wd = 0; wd < 7; wd++) {
		int n = week->nspans[wd];

		if (n < 0 || n > CAL_MAX_SPANS) {
			errbuf_set(err, errlen, "%s: %d working intervals (at most %d)",
			           day_names[wd], n, CAL_MAX_SPANS);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const struct cal_span *sp = &week->span[wd][i];

			if (sp->start < 0 || sp->end > 1440 || sp->start >= sp->end) {
				char a[6], b[6];

				if (sp->start < 0 || sp->start > 1440 || sp->end < 0 ||
				    sp->end > 1440) {
					errbuf_set(err, errlen,
					           "%s: working interval out of the day (%d-%d "
					           "minutes)",
					           day_names[wd], sp->start, sp->end);
					return -1;
				}
				fmt_clock(sp->start, a);
				fmt_clock(sp->end, b);
				errbuf_set(err, errlen,
				           "%s: working interval %s-%s ends before it starts "
				           "(intervals cannot cross midnight)",
				           day_names[wd], a, b);
				return -1;
			}
		}
		ndays[wd] = merge_spans(week->span[wd], n, days[wd]);
		day_len[wd] = 0;
		for (int i = 0; i < ndays[wd]; i++)
			day_len[wd] += (int64_t)(days[wd][i].end - days[wd][i].start) * 60;
		total += day_len[wd];
	}
	return total;
}

/* The most common non-zero day length; ties go to the longer. */
static int64_t derive_day_seconds(const int64_t day_len[7])
{
	int64_t best = 0;
	int best_count = 0;

	for (int i = 0; i < 7; i++) {
		int count = 0;

		if (day_len[i] == 0)
			continue;
		for (int j = 0; j < 7; j++)
			count += day_len[j] == day_len[i];
		if (count > best_count || (count == best_count && day_len[i] > best)) {
			best = day_len[i];
			best_count = count;
		}
	}
	return best;
}

/* Appends [s, e) keeping the list ascending and disjoint; touching intervals are joined. */
static void push_interval(struct calendar *cal, int64_t s, int64_t e)
{
	size_t n = cal->n;

	if (n > 0 && s < cal->end[n - 1])
		s = cal->end[n - 1]; /* an odd zone rule folded time back: never count twice */
	if (e <= s)
		return;
	if (n > 0 && s == cal->end[n - 1]) {
		cal->end[n - 1] = e;
		return;
	}
	cal->start[n] = s;
	cal->end[n] = e;
	cal->n = n + 1;
}

/* The arguments of calendar_build() that need no work to check; have_inputs: none missing. */
static int check_build_args(bool have_inputs, int first_year, int last_year, int64_t day_seconds,
                            char *err, size_t errlen)
{
	if (!have_inputs) {
		errbuf_set(err, errlen, "calendar: missing timezone, hours or holidays");
		return -1;
	}
	if (first_year > last_year) {
		errbuf_set(err, errlen, "calendar: first year %d is after last year %d", first_year,
		           last_year);
		return -1;
	}
	if (first_year < CAL_MIN_YEAR || last_year > CAL_MAX_YEAR) {
		errbuf_set(err, errlen, "calendar: years %d-%d outside %d-%d", first_year,
		           last_year, CAL_MIN_YEAR, CAL_MAX_YEAR);
		return -1;
	}
	if (day_seconds < 0 || day_seconds > SECS_PER_DAY) {
		errbuf_set(err, errlen, "calendar: working day of %lld seconds is not within a day",
		           (long long)day_seconds);
		return -1;
	}
	return 0;
}

/* The working intervals of each day first_day..last_day (hol sorted: those days are off). */
static void push_working_days(struct calendar *cal, const struct tzif *zone,
                              struct cal_span spans[7][CAL_MAX_SPANS], const int nspans[7],
                              const int32_t *hol, size_t nhol, int32_t first_day, int32_t last_day)
{
	size_t h = 0;

	for (int32_t d = first_day; d <= last_day; d++) {
		int wd = weekday_from_days(d);
		int64_t midnight = (int64_t)d * SECS_PER_DAY;

		while (h < nhol && hol[h] < d)
			h++;
		if (h < nhol && hol[h] == d)
			continue;
		for (int i = 0; i < nspans[wd]; i++)
			push_interval(cal, local_to_utc(zone, midnight + spans[wd][i].start * 60),
			              local_to_utc(zone, midnight + spans[wd][i].end * 60));
	}
}

/* day_first[] for each UTC day of the window; one pass, as the intervals are sorted. */
static int build_day_index(struct calendar *cal)
{
	size_t i = 0;

	if (cal->n > UINT32_MAX)
		return 0; /* no index: lookups search the whole array */
	cal->nbuckets = (size_t)((cal->until - cal->from) / SECS_PER_DAY) + 1;
	cal->day_first = malloc(cal->nbuckets * sizeof *cal->day_first);
	if (cal->day_first == NULL)
		return -1;
	for (size_t k = 0; k < cal->nbuckets; k++) {
		int64_t t = cal->from + (int64_t)k * SECS_PER_DAY;

		while (i < cal->n && cal->end[i] <= t)
			i++;
		cal->day_first[k] = (uint32_t)i;
	}
	return 0;
}

int calendar_build(struct calendar *cal, const struct tzif *zone, const struct cal_week *week,
                   const int32_t *holidays, size_t nholidays, int first_year, int last_year,
                   int64_t day_seconds, char *err, size_t errlen)
{
	struct cal_span spans[7][CAL_MAX_SPANS];
	int nspans[7];
	int64_t day_len[7];
	int32_t *hol = NULL;
	size_t nhol = 0, cap = 0;
	int32_t first_day, last_day;
	int64_t week_total, run;

	memset(cal, 0, sizeof *cal);
	if (check_build_args(zone != NULL && week != NULL && (nholidays == 0 || holidays != NULL),
	                     first_year, last_year, day_seconds, err, errlen) < 0)
		return -1;
	week_total = normalise_week(week, spans, nspans, day_len, err, errlen);
	if (week_total < 0)
		return -1;
	if (week_total == 0) {
		errbuf_set(err, errlen, "no working hours: every day of the week is closed");
		return -1;
	}

	first_day = days_from_civil(first_year, 1, 1);
	last_day = days_from_civil(last_year, 12, 31);

	if (nholidays > 0) {
		hol = malloc(nholidays * sizeof *hol);
		if (hol == NULL)
			goto oom;
		memcpy(hol, holidays, nholidays * sizeof *hol);
		qsort(hol, nholidays, sizeof *hol, cmp_date);
		nhol = nholidays;
	}
	for (int32_t d = first_day; d <= last_day; d++)
		cap += (size_t)nspans[weekday_from_days(d)];
	cal->start = malloc(cap * sizeof *cal->start);
	cal->end = malloc(cap * sizeof *cal->end);
	if (cal->start == NULL || cal->end == NULL)
		goto oom;

	cal->from = local_to_utc(zone, (int64_t)first_day * SECS_PER_DAY);
	cal->until = local_to_utc(zone, (int64_t)(last_day + 1) * SECS_PER_DAY);
	/* Local midnights: dates such as a membership's expiry are the centre's dates. */
	cal->first_day = first_day;
	cal->ndays = (size_t)(last_day - first_day + 1);
	cal->midnight = malloc((cal->ndays + 1) * sizeof *cal->midnight);
	if (cal->midnight == NULL)
		goto oom;
	for (size_t i = 0; i <= cal->ndays; i++)
		cal->midnight[i] =
		        local_to_utc(zone, (int64_t)(first_day + (int32_t)i) * SECS_PER_DAY);
	push_working_days(cal, zone, spans, nspans, hol, nhol, first_day, last_day);
	free(hol);
	hol = NULL;

	if (cal->n == 0) {
		errbuf_set(err, errlen, "no working hours: every working day of %d-%d is a holiday",
		           first_year, last_year);
		calendar_free(cal);
		return -1;
	}
	cal->cum = malloc(cal->n * sizeof *cal->cum);
	if (cal->cum == NULL)
		goto oom;
	run = 0;
	for (size_t i = 0; i < cal->n; i++) {
		cal->cum[i] = run;
		run += cal->end[i] - cal->start[i];
	}
	cal->day_seconds = day_seconds != 0 ? day_seconds : derive_day_seconds(day_len);
	if (build_day_index(cal) < 0)
		goto oom;
	return 0;

oom:
	free(hol);
	calendar_free(cal);
	errbuf_set(err, errlen, "out of memory");
	return -1;
}

void calendar_free(struct calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->start);
	free(cal->end);
	free(cal->cum);
	free(cal->midnight);
	free(cal->day_first);
	memset(cal, 0, sizeof *cal);
}

/* ---- queries ----------------------------------------------------------- */

/* The first interval that ends after t (n when none does). */
static size_t first_ending_after(const struct calendar *cal, int64_t t)
{
	size_t lo = 0, hi = cal->n;

	if (cal->day_first != NULL && t >= cal->from) {
		size_t k = (size_t)((t - cal->from) / SECS_PER_DAY);

		if (k < cal->nbuckets) {
			/* At most the intervals ending within one day lie between. */
			lo = cal->day_first[k];
			while (lo < cal->n && cal->end[lo] <= t)
				lo++;
			return lo;
		}
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->end[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t total_seconds(const struct calendar *cal)
{
	size_t n = cal->n;

	return n == 0 ? 0 : cal->cum[n - 1] + (cal->end[n - 1] - cal->start[n - 1]);
}

void calendar_pos(const struct calendar *cal, int64_t t, struct cal_pos *p)
{
	p->t = t;
	p->i = first_ending_after(cal, t);
	if (p->i == cal->n)
		p->have = total_seconds(cal);
	else if (t <= cal->start[p->i])
		p->have = cal->cum[p->i];
	else
		p->have = cal->cum[p->i] + (t - cal->start[p->i]);
}

/* Business seconds in [from, t). */
static int64_t business_before(const struct calendar *cal, int64_t t)
{
	struct cal_pos p;

	calendar_pos(cal, t, &p);
	return p.have;
}

int calendar_is_open(const struct calendar *cal, int64_t t)
{
	size_t i = first_ending_after(cal, t);

	return i < cal->n && cal->start[i] <= t;
}

int calendar_next_open(const struct calendar *cal, int64_t t, int64_t *out)
{
	size_t i;

	/* Before the window the centre's hours are unknown: an earlier opening may exist. */
	if (t < cal->from)
		return CAL_ERANGE;
	i = first_ending_after(cal, t);
	if (i == cal->n)
		return CAL_ERANGE;
	*out = t > cal->start[i] ? t : cal->start[i];
	return CAL_OK;
}

int calendar_add_from(const struct calendar *cal, const struct cal_pos *p, int64_t seconds,
                      int64_t *out)
{
	int64_t target;
	size_t lo, hi;

	if (seconds < 0)
		return CAL_ERANGE;
	if (seconds == 0) {
		*out = p->t;
		return CAL_OK;
	}
	if (p->t < cal->from || seconds > total_seconds(cal) - p->have)
		return CAL_ERANGE;
	target = p->have + seconds;
	/*
	 * The first interval whose end brings the total to the target: at or after
	 * t's, and usually a few intervals on (a budget of days), so gallop from
	 * there before the binary search.
	 */
	lo = p->i;
	for (size_t step = 1;; step *= 2) {
		hi = lo + step - 1;
		if (hi >= cal->n) {
			hi = cal->n;
			break;
		}
		if (cal->cum[hi] + (cal->end[hi] - cal->start[hi]) >= target) {
			hi++;
			break;
		}
		lo = hi + 1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->cum[mid] + (cal->end[mid] - cal->start[mid]) < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = cal->start[lo] + (target - cal->cum[lo]);
	return CAL_OK;
}

int calendar_add_business(const struct calendar *cal, int64_t t, int64_t seconds, int64_t *out)
{
	struct cal_pos p;

	if (seconds <= 0 || t < cal->from) {
		p.t = t;
		p.i = 0;
		p.have = 0;
		return calendar_add_from(cal, &p, seconds, out);
	}
	calendar_pos(cal, t, &p);
	return calendar_add_from(cal, &p, seconds, out);
}

int64_t calendar_between(const struct calendar *cal, int64_t a, int64_t b)
{
	if (b <= a || cal->n == 0)
		return 0;
	if (a < cal->from)
		a = cal->from;
	if (b > cal->until)
		b = cal->until;
	if (b <= a)
		return 0;
	return business_before(cal, b) - business_before(cal, a);
}

int calendar_local_date(const struct calendar *cal, int64_t t, int32_t *date)
{
	size_t lo = 0, hi;

	if (cal->midnight == NULL || t < cal->midnight[0] || t >= cal->midnight[cal->ndays])
		return CAL_ERANGE;
	/* The last midnight at or before t. */
	hi = cal->ndays;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->midnight[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*date = cal->first_day + (int32_t)lo;
	return CAL_OK;
}
