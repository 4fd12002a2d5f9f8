/*
 * tzif: RFC 8536 zone files and POSIX TZ rules into offsets.
 *
 * A file is checked whole before anything is allocated: the six counts of a
 * header say how many bytes the data block takes, and that many bytes must be
 * there; so an allocation is never larger than the input, which is at most
 * TZIF_MAX_BYTES. Version 2+ files carry the data twice (32-bit, then 64-bit);
 * only the 64-bit copy is used, then the footer.
 *
 * Before the first transition the offset is that of the first standard-time
 * type, as glibc does (RFC 8536 says type 0; zic writes a standard type 0,
 * so the two agree on real files). From the last transition on, the footer's
 * rule decides, computed for the UTC year of the instant, again as glibc
 * does, so that the calendar gives the same answers it gave through
 * localtime_r().
 */
#include "tzif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "timeutil.h"
#include "xmalloc.h"

#define TZIF_HEADER   44
#define TZIF_MAX_OFF  86399        /* the calendar assumes offsets below a day */
#define TZ_RULE_MAX   (167 * 3600) /* RFC 8536 3.3.1: rule times -167h..167h */
#define TZ_FOOTER_MAX 256

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ strings ---------------------------------------------------------- */

struct scan {
	const char *s;
	size_t i, n;
};

static int peek(const struct scan *sc)
{
	return sc->i < sc->n ? (unsigned char)sc->s[sc->i] : -1;
}

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* "CET" (3+ letters) or "<+0530>" (3+ of letters, digits, + and -). */
static int scan_name(struct scan *sc)
{
	size_t start;

	if (peek(sc) == '<') {
		sc->i++;
		start = sc->i;
		while (is_alpha(peek(sc)) || is_digit(peek(sc)) || peek(sc) == '+' ||
		       peek(sc) == '-')
			sc->i++;
		if (peek(sc) != '>' || sc->i - start < 3)
			return -1;
		sc->i++;
		return 0;
	}
	start = sc->i;
	while (is_alpha(peek(sc)))
		sc->i++;
	return sc->i - start >= 3 ? 0 : -1;
}

/* A number of at most `digits` digits no larger than max. */
static int scan_num(struct scan *sc, int digits, int max, int *out)
{
	int v = 0, k = 0;

	while (k < digits && is_digit(peek(sc))) {
		v = v * 10 + (peek(sc) - '0');
		sc->i++;
		k++;
	}
	if (k == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] in seconds, hh up to max_hours. */
static int scan_time(struct scan *sc, int max_hours, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (peek(sc) == '+' || peek(sc) == '-') {
		sign = peek(sc) == '-' ? -1 : 1;
		sc->i++;
	}
	if (scan_num(sc, 3, max_hours, &h) < 0)
		return -1;
	if (peek(sc) == ':') {
		sc->i++;
		if (scan_num(sc, 2, 59, &m) < 0)
			return -1;
		if (peek(sc) == ':') {
			sc->i++;
			if (scan_num(sc, 2, 59, &s) < 0)
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return 0;
}

/* A POSIX offset (hours west) as seconds east, within a day. */
static int scan_offset(struct scan *sc, int32_t *east)
{
	int32_t west;

	if (scan_time(sc, 24, &west) < 0 || west > TZIF_MAX_OFF || west < -TZIF_MAX_OFF)
		return -1;
	*east = -west;
	return 0;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static int scan_date(struct scan *sc, struct tzif_date *d)
{
	memset(d, 0, sizeof *d);
	if (peek(sc) == 'J') {
		sc->i++;
		d->kind = 'J';
		if (scan_num(sc, 3, 365, &d->day) < 0 || d->day < 1)
			return -1;
	} else if (peek(sc) == 'M') {
		sc->i++;
		d->kind = 'M';
		if (scan_num(sc, 2, 12, &d->month) < 0 || d->month < 1 || peek(sc) != '.')
			return -1;
		sc->i++;
		if (scan_num(sc, 1, 5, &d->week) < 0 || d->week < 1 || peek(sc) != '.')
			return -1;
		sc->i++;
		if (scan_num(sc, 1, 6, &d->day) < 0)
			return -1;
	} else {
		d->kind = 'N';
		if (scan_num(sc, 3, 365, &d->day) < 0)
			return -1;
	}
	d->secs = 2 * 3600;
	if (peek(sc) == '/') {
		sc->i++;
		if (scan_time(sc, 167, &d->secs) < 0)
			return -1;
	}
	return 0;
}

static int parse_rule(struct tzif_rule *r, const char *s, size_t n)
{
	struct scan sc = {s, 0, n};

	memset(r, 0, sizeof *r);
	if (scan_name(&sc) < 0 || scan_offset(&sc, &r->std_off) < 0)
		return -1;
	if (peek(&sc) == -1)
		return 0;
	if (scan_name(&sc) < 0)
		return -1;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (peek(&sc) != ',' && peek(&sc) != -1 && scan_offset(&sc, &r->dst_off) < 0)
		return -1;
	if (peek(&sc) == -1) {
		/* No rule given: POSIX leaves it to the system; glibc takes the US rule. */
		r->start = (struct tzif_date){'M', 0, 2, 3, 7200};
		r->end = (struct tzif_date){'M', 0, 1, 11, 7200};
		return 0;
	}
	if (peek(&sc) != ',')
		return -1;
	sc.i++;
	if (scan_date(&sc, &r->start) < 0 || peek(&sc) != ',')
		return -1;
	sc.i++;
	if (scan_date(&sc, &r->end) < 0 || peek(&sc) != -1)
		return -1;
	return 0;
}

int tzif_parse_rule(struct tzif *z, const char *tz, size_t len, char *err, size_t errlen)
{
	memset(z, 0, sizeof *z);
	if (len == 0 || len > TZ_FOOTER_MAX || parse_rule(&z->rule, tz, len) < 0) {
		errbuf_set(err, errlen, "not a POSIX TZ rule (e.g. CET-1CEST,M3.5.0,M10.5.0/3)");
		return -1;
	}
	z->has_rule = true;
	z->initial = z->rule.std_off;
	return 0;
}

/* ---- rules to instants ------------------------------------------------------ */

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* The UTC instant at which rule date d of year y falls, local time `off` east. */
static int64_t rule_instant(const struct tzif_date *d, int y, int32_t off)
{
	int32_t jan1 = days_from_civil(y, 1, 1);
	int64_t day;

	if (d->kind == 'J') {
		day = d->day - 1 + (leap_year(y) && d->day >= 60 ? 1 : 0);
	} else if (d->kind == 'N') {
		day = d->day;
	} else {
		int32_t first = days_from_civil(y, d->month, 1);
		int first_dow = (weekday_from_days(first) + 1) % 7; /* 0 = Sunday */
		int dm = (d->day - first_dow + 7) % 7;
		int len = month_days(y, d->month);

		for (int i = 1; i < d->week && dm + 7 < len; i++)
			dm += 7;
		day = (int64_t)(first - jan1) + dm;
	}
	return ((int64_t)jan1 + day) * SECS_PER_DAY + d->secs - off;
}

static int32_t rule_offset(const struct tzif_rule *r, int64_t t)
{
	/* Years beyond the civil arithmetic's range use its last year's dates. */
	const int64_t lo = (int64_t)days_from_civil(1, 1, 1) * SECS_PER_DAY;
	const int64_t hi = (int64_t)days_from_civil(9999, 12, 31) * SECS_PER_DAY;
	int64_t days, start, end;
	int y, m, d;
	bool dst;

	if (!r->has_dst)
		return r->std_off;
	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	days = t / SECS_PER_DAY - (t % SECS_PER_DAY < 0);
	civil_from_days((int32_t)days, &y, &m, &d);
	start = rule_instant(&r->start, y, r->std_off);
	end = rule_instant(&r->end, y, r->dst_off);
	if (start > end)
		dst = t < end || t >= start; /* southern hemisphere: dst across the new year */
	else
		dst = t >= start && t < end;
	return dst ? r->dst_off : r->std_off;
}

int32_t tzif_offset(const struct tzif *z, int64_t t)
{
	size_t lo = 0, hi;

	if (z->n == 0)
		return z->has_rule ? rule_offset(&z->rule, t) : z->initial;
	if (t < z->at[0])
		return z->initial;
	if (t >= z->at[z->n - 1])
		return z->has_rule ? rule_offset(&z->rule, t) : z->off[z->n - 1];
	/* The last transition at or before t: at[lo] <= t < at[hi]. */
	hi = z->n - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* ---- the file ------------------------------------------------------------------ */

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* The header at buf[off] and the size of the data block after it (time_size 4 or 8). */
static int read_header(const unsigned char *buf, size_t len, size_t off, int time_size,
                       struct tzif_header *h, size_t *data_len, char *err, size_t errlen)
{
	const unsigned char *p = buf + off;
	uint64_t need;

	if (len - off < TZIF_HEADER || memcmp(p, "TZif", 4) != 0) {
		errbuf_set(err, errlen, "not a TZif file");
		return -1;
	}
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		errbuf_set(err, errlen, "TZif header with impossible counts");
		return -1;
	}
	/* Counts are 32-bit: these products cannot overflow 64 bits. */
	need = (uint64_t)h->timecnt * (uint64_t)(time_size + 1) + (uint64_t)h->typecnt * 6 +
	       h->charcnt + (uint64_t)h->leapcnt * (uint64_t)(time_size + 4) + h->isstdcnt +
	       h->isutcnt;
	if (need > len - off - TZIF_HEADER) {
		errbuf_set(err, errlen, "TZif data shorter than its header says");
		return -1;
	}
	*data_len = (size_t)need;
	return 0;
}

/* The data block of h at p: types checked, then transitions into z. */
static int read_data(struct tzif *z, const struct tzif_header *h, const unsigned char *p,
                     int time_size, char *err, size_t errlen)
{
	const unsigned char *times = p, *idx = p + (size_t)h->timecnt * (size_t)time_size;
	const unsigned char *types = idx + h->timecnt;
	int32_t off[256] = {0};
	bool isdst[256] = {0};

	if (h->leapcnt != 0) {
		errbuf_set(err, errlen,
		           "leap-second zones are not supported (use the zone without right/)");
		return -1;
	}
	for (uint32_t i = 0; i < h->typecnt; i++) {
		const unsigned char *t = types + 6 * (size_t)i;

		off[i] = (int32_t)be32(t);
		isdst[i] = t[4] != 0;
		if (off[i] > TZIF_MAX_OFF || off[i] < -TZIF_MAX_OFF || t[4] > 1 ||
		    t[5] >= h->charcnt) {
			errbuf_set(err, errlen, "TZif local time type %u is invalid", (unsigned)i);
			return -1;
		}
	}
	z->initial = off[0];
	for (uint32_t i = 0; i < h->typecnt; i++)
		if (!isdst[i]) {
			z->initial = off[i];
			break;
		}
	z->n = h->timecnt;
	if (z->n == 0)
		return 0;
	z->at = xreallocarray(NULL, z->n, sizeof *z->at);
	z->off = xreallocarray(NULL, z->n, sizeof *z->off);
	for (size_t i = 0; i < z->n; i++) {
		z->at[i] = time_size == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		if (idx[i] >= h->typecnt || (i > 0 && z->at[i] <= z->at[i - 1])) {
			errbuf_set(err, errlen, "TZif transition %zu is out of order or of no type",
			           i);
			return -1;
		}
		z->off[i] = off[idx[i]];
	}
	return 0;
}

int tzif_parse(struct tzif *z, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	struct tzif_header h;
	size_t data_len, off = 0, end;
	const unsigned char *nl;

	memset(z, 0, sizeof *z);
	if (buf == NULL || len > TZIF_MAX_BYTES) {
		errbuf_set(err, errlen, "not a TZif file");
		return -1;
	}
	if (read_header(buf, len, 0, 4, &h, &data_len, err, errlen) < 0)
		return -1;
	if (h.version == '\0') {
		if (read_data(z, &h, buf + TZIF_HEADER, 4, err, errlen) < 0)
			goto bad;
		return 0;
	}
	off = TZIF_HEADER + data_len;
	if (read_header(buf, len, off, 8, &h, &data_len, err, errlen) < 0 ||
	    read_data(z, &h, buf + off + TZIF_HEADER, 8, err, errlen) < 0)
		goto bad;
	/* The footer: "\n" TZ-string "\n". */
	off += TZIF_HEADER + data_len;
	if (off >= len || buf[off] != '\n' ||
	    (nl = memchr(buf + off + 1, '\n', len - off - 1)) == NULL) {
		errbuf_set(err, errlen, "TZif footer missing");
		goto bad;
	}
	end = (size_t)(nl - buf);
	if (end == off + 1)
		return 0; /* empty: the last transition's type stays */
	if (end - off - 1 > TZ_FOOTER_MAX ||
	    parse_rule(&z->rule, (const char *)buf + off + 1, end - off - 1) < 0) {
		errbuf_set(err, errlen, "TZif footer is not a POSIX TZ rule");
		goto bad;
	}
	z->has_rule = true;
	return 0;
bad:
	tzif_free(z);
	return -1;
}

void tzif_free(struct tzif *z)
{
	if (z == NULL)
		return;
	free(z->at);
	free(z->off);
	memset(z, 0, sizeof *z);
}
