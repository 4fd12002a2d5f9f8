/* format: repairctl's pure formatting helpers (client/repairctl_format.h). */
#include "repairctl_format.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "timeutil.h"
#include "xmalloc.h"

/* ---- string buffer ---------------------------------------------------------- */

void sbuf_init(struct sbuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	sbuf_init(b);
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void sbuf_reserve(struct sbuf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xreallocarray(b->data, b->cap, 1);
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *sbuf_str(const struct sbuf *b)
{
	return b->data ? b->data : "";
}

/* ---- JSON ---------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

void json_add_string(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	sbuf_addc(b, '"');
	while (i < len) {
		unsigned char c = p[i];
		size_t n;

		switch (c) {
		case '"':
			sbuf_add(b, "\\\"", 2);
			break;
		case '\\':
			sbuf_add(b, "\\\\", 2);
			break;
		case '\n':
			sbuf_add(b, "\\n", 2);
			break;
		case '\r':
			sbuf_add(b, "\\r", 2);
			break;
		case '\t':
			sbuf_add(b, "\\t", 2);
			break;
		case '\b':
			sbuf_add(b, "\\b", 2);
			break;
		case '\f':
			sbuf_add(b, "\\f", 2);
			break;
		default:
			if (c < 0x20) {
				sbuf_printf(b, "\\u%04x", c);
				break;
			}
			n = utf8_len(p + i, len - i);
			if (n == 0) {
				sbuf_adds(b, "\\ufffd");
				break;
			}
			sbuf_add(b, s + i, n);
			i += n;
			continue;
		}
		i++;
	}
	sbuf_addc(b, '"');
}

static bool is_json_int(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[0] == '-')
		i++;
	if (i == len || len - i > 18)
		return false;
	if (s[i] == '0' && len - i > 1)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* JSON's number grammar, fraction optional, no exponent (all repaird sends). */
static bool is_json_decimal(const char *s, size_t len)
{
	const char *dot = memchr(s, '.', len);
	size_t ilen = dot ? (size_t)(dot - s) : len;

	if (!is_json_int(s, ilen))
		return false;
	if (dot == NULL)
		return true;
	if (ilen + 1 == len)
		return false;
	for (size_t i = ilen + 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

void json_add_value(struct sbuf *b, enum json_kind kind, const char *s, size_t len)
{
	if (len == 0) {
		sbuf_adds(b, "null");
		return;
	}
	switch (kind) {
	case JSON_INT:
		if (is_json_int(s, len)) {
			sbuf_add(b, s, len);
			return;
		}
		break;
	case JSON_FLOAT:
		if (is_json_decimal(s, len)) {
			sbuf_add(b, s, len);
			return;
		}
		break;
	case JSON_BOOL:
		if (len == 1 && (s[0] == '0' || s[0] == '1')) {
			sbuf_adds(b, s[0] == '1' ? "true" : "false");
			return;
		}
		break;
	case JSON_STRING:
		break;
	}
	json_add_string(b, s, len);
}

/* ---- texts for people ---------------------------------------------------------- */

int64_t fmt_day_seconds(int64_t target_days, int64_t used, int64_t remaining)
{
	int64_t budget = used + remaining;

	if (target_days <= 0 || used < 0 || budget <= 0 || budget % target_days != 0)
		return FMT_DEFAULT_DAY_SECONDS;
	return budget / target_days;
}

void fmt_duration(char *out, size_t len, int64_t secs, int64_t day_seconds)
{
	int64_t v[3];
	static const char unit[3] = {'d', 'h', 'm'};
	size_t n = 0;

	if (secs < 0)
		secs = -secs;
	if (day_seconds <= 0)
		day_seconds = FMT_DEFAULT_DAY_SECONDS;
	v[0] = secs / day_seconds;
	secs -= v[0] * day_seconds;
	v[1] = secs / 3600;
	v[2] = secs % 3600 / 60;
	/* Every unit that is not zero, so that 1d 7h 59m does not read as 1d 7h. */
	if (len)
		out[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (v[i] == 0 || n >= len)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%lld%c", n ? " " : "", (long long)v[i],
		                      unit[i]);
	}
	if (n == 0)
		snprintf(out, len, "0m");
}

bool fmt_remaining(char *out, size_t len, const struct remaining_in *in)
{
	const char *st = in->state ? in->state : "";
	int64_t day = fmt_day_seconds(in->target_days, in->used, in->remaining);
	char dur[48];

	if (strcmp(st, "cancelled") == 0) {
		snprintf(out, len, "cancelled");
		return false;
	}
	if (strcmp(st, "ready") == 0 || strcmp(st, "returned") == 0) {
		snprintf(out, len, "%s", in->met == 1 ? "met" : in->met == 0 ? "missed" : "-");
		return false;
	}
	if (strcmp(st, "booked") == 0) {
		snprintf(out, len, "not received");
		return false;
	}
	fmt_duration(dur, sizeof dur, in->remaining, day);
	if (in->breached || in->remaining < 0) {
		if (in->remaining < 0)
			snprintf(out, len, "BREACHED %s ago%s", dur, in->paused ? ", paused" : "");
		else
			snprintf(out, len, "BREACHED");
		return true;
	}
	snprintf(out, len, "%s left%s", dur, in->paused ? ", paused" : "");
	return false;
}

/* Set TZ to tz (NULL: unset) and return the previous value (to hand back to tz_restore). */
static char *tz_set(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? xstrdup(old) : NULL;

	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	return saved;
}

static void tz_restore(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* glibc takes an unknown zone name as UTC without a word: look for the file. */
bool fmt_tz_known(const char *tz)
{
	char path[512];
	const char *dir = getenv("TZDIR");
	FILE *f;

	if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0)
		return true;
	if (tz[0] == '/' || strstr(tz, "..") != NULL)
		return false;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	f = fopen(path, "rb");
	if (f == NULL)
		return false;
	fclose(f);
	return true;
}

int fmt_local_time(char *out, size_t len, int64_t t, const char *tz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char *saved;
	int rc = 0;

	if (tz == NULL || *tz == '\0' || !fmt_tz_known(tz)) {
		rc = tz && *tz ? -1 : 0;
		gmtime_r(&tt, &tm);
		strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
		return rc;
	}
	saved = tz_set(tz);
	localtime_r(&tt, &tm);
	if (strftime(out, len, "%Y-%m-%d %H:%M %Z", &tm) == 0 && len > 0)
		out[0] = '\0';
	tz_restore(saved);
	return rc;
}

char *str_fold(char *s, bool upper)
{
	for (char *p = s; *p; p++)
		*p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
	return s;
}

bool fmt_same_name(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

void fmt_bar(char *out, size_t len, double pct, int width)
{
	int full;
	size_t n = 0;

	if (len == 0)
		return;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	full = (int)(pct * width / 100.0 + 0.5);
	for (int i = 0; i < width && n + 1 < len; i++)
		out[n++] = i < full ? '#' : '.';
	out[n] = '\0';
}

/* Is s[0..20) a wire time "YYYY-MM-DDTHH:MM:SSZ"? */
static bool wire_time_at(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	for (size_t i = 0; i < sizeof shape - 1; i++) {
		if (s[i] == '\0')
			return false;
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	}
	return true;
}

void fmt_times_in_text(struct sbuf *out, const char *text, const char *tz)
{
	const char *p = text;

	while (*p) {
		const char *q = p;
		int64_t t;
		char when[64], iso[21];

		while (*q && !(isdigit((unsigned char)*q) && wire_time_at(q)))
			q++;
		sbuf_add(out, p, (size_t)(q - p));
		if (*q == '\0')
			break;
		memcpy(iso, q, 20);
		iso[20] = '\0';
		if (time_parse(iso, &t) == 0 && fmt_local_time(when, sizeof when, t, tz) == 0)
			sbuf_adds(out, when);
		else
			sbuf_adds(out, iso);
		p = q + 20;
	}
}

size_t fmt_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, len = strlen(s);

	for (size_t i = 0; i < len; n++) {
		size_t k = utf8_len(p + i, len - i);
		i += k ? k : 1;
	}
	return n;
}

char *fmt_sanitize(char *out, size_t len, const char *s)
{
	size_t i = 0;

	if (len == 0)
		return out;
	for (; *s && i + 1 < len; s++, i++)
		out[i] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	out[i] = '\0';
	return out;
}

/* ---- arguments ----------------------------------------------------------------- */

static int two_digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" without a zone, in zone tz
 * (NULL: the process's TZ).
 */
static int local_time_parse(const char *s, const char *tz, int64_t *out)
{
	char *saved;
	char date[11];
	int32_t days;
	int y, mo, d, hh, mm, ss = 0;
	size_t len = strlen(s);
	struct tm tm;
	time_t t;

	if (len != 16 && len != 19)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &days) < 0 || (s[10] != ' ' && s[10] != 'T' && s[10] != 't'))
		return -1;
	if ((hh = two_digits(s + 11)) < 0 || s[13] != ':' || (mm = two_digits(s + 14)) < 0)
		return -1;
	if (len == 19 && (s[16] != ':' || (ss = two_digits(s + 17)) < 0))
		return -1;
	if (hh > 23 || mm > 59 || ss > 59)
		return -1;
	civil_from_days(days, &y, &mo, &d);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	tm.tm_isdst = -1; /* the zone's rules decide, daylight saving included */
	saved = tz ? tz_set(tz) : NULL;
	errno = 0;
	t = mktime(&tm);
	if (tz)
		tz_restore(saved);
	if (t == (time_t)-1 && errno != 0)
		return -1;
	*out = (int64_t)t;
	return 0;
}

int arg_time(const char *s, char out[21])
{
	return arg_time_in(s, NULL, out);
}

bool arg_time_is_local(const char *s)
{
	int64_t t;

	return s && time_parse(s, &t) < 0 && local_time_parse(s, NULL, &t) == 0;
}

int arg_time_in(const char *s, const char *tz, char out[21])
{
	int64_t t;

	if (s == NULL)
		return -1;
	if (strcasecmp(s, "NOW") == 0) {
		memcpy(out, "NOW", 4);
		return 0;
	}
	if (tz && !fmt_tz_known(tz))
		return -1;
	if (time_parse(s, &t) == 0 || local_time_parse(s, tz, &t) == 0) {
		time_format(t, out);
		return 0;
	}
	return -1;
}

int arg_uint(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '1' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/* ---- CSV ----------------------------------------------------------------------- */

void csv_row_free(struct csv_row *row)
{
	free(row->storage);
	row->storage = NULL;
	row->nfields = 0;
}

static bool csv_blank(char c)
{
	return c == ' ' || c == '\t';
}

enum csv_status csv_split(const char *line, struct csv_row *row, char *err, size_t errlen)
{
	size_t len = strlen(line);
	const char *p = line, *end;
	char *w;

	row->nfields = 0;
	row->storage = xmalloc(len + 1);
	w = row->storage;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	for (;;) {
		char *start = w;

		if (row->nfields == CSV_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d fields", CSV_MAX_FIELDS);
			return CSV_ERROR;
		}
		while (p < end && csv_blank(*p))
			p++;
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p == end)
					return CSV_INCOMPLETE;
				if (*p == '"' && p + 1 < end && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			while (p < end && csv_blank(*p))
				p++;
			if (p < end && *p != ',') {
				snprintf(err, errlen,
				         "field %d: text after the closing quote (write \"\" for a "
				         "quote inside a quoted field)",
				         row->nfields + 1);
				return CSV_ERROR;
			}
		} else {
			while (p < end && *p != ',') {
				if (*p == '"') {
					snprintf(
					        err, errlen,
					        "field %d: a quote inside an unquoted field (quote "
					        "the whole field and write \"\")",
					        row->nfields + 1);
					return CSV_ERROR;
				}
				*w++ = *p++;
			}
			while (w > start && csv_blank(w[-1]))
				w--;
		}
		*w++ = '\0';
		row->field[row->nfields++] = start;
		if (p == end)
			return CSV_OK;
		p++; /* the comma */
	}
}

/* ---- errors -------------------------------------------------------------------- */

const char *error_for_people(const char *msg, char *out, size_t len)
{
	/* Protocol commands that repaird's sentences name, and what a person types instead. */
	static const struct {
		const char *wire, *person;
	} names[] = {{" (see CENTRE.LIST)", ""}, {" (see PRODUCT.LIST)", ""}};
	static const struct {
		const char *word, *subject, *hint;
	} hints[] = {
	        {"NOTFOUND", "centre ", "see: repairctl centres"},
	        {"NOTFOUND", "product ", "see: repairctl products TEXT"},
	        {"NOTFOUND", "member ", "see: repairctl member set N --tier T --country CC"},
	        {"NOTFOUND", "ticket ", "see: repairctl ticket list --all"},
	        {"STATE", "loan", "see: repairctl ticket show ID (LOAN)"},
	        {"STATE", "", "see: repairctl ticket history ID"},
	        {"LIMIT", "", "see: repairctl member show N (in service, queued)"},
	};
	const char *p = msg;
	size_t n = 0;

	if (len == 0)
		return NULL;
	while (*p && n + 1 < len) {
		size_t k = 0;
		while (k < sizeof names / sizeof names[0] &&
		       strncmp(p, names[k].wire, strlen(names[k].wire)) != 0)
			k++;
		if (k < sizeof names / sizeof names[0]) {
			n += (size_t)snprintf(out + n, len - n, "%s", names[k].person);
			p += strlen(names[k].wire);
			continue;
		}
		out[n++] = *p++;
	}
	out[n < len ? n : len - 1] = '\0';
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		size_t w = strlen(hints[i].word);
		if (strncmp(msg, hints[i].word, w) == 0 && msg[w] == ' ' &&
		    strstr(msg + w, hints[i].subject) != NULL)
			return hints[i].hint;
	}
	return NULL;
}

int exit_code_for_error(const char *msg)
{
	static const struct {
		const char *word;
		int code;
	} map[] = {
	        {"INVALID", EX_DATAERR}, {"NOTFOUND", EX_DATAERR}, {"STATE", EX_DATAERR},
	        {"LIMIT", EX_DATAERR},   {"NOAUTH", EX_NOPERM},    {"WRONGPASS", EX_NOPERM},
	        {"NOPERM", EX_NOPERM},   {"IOERR", EX_IOERR},      {"BUSY", EX_TEMPFAIL},
	};
	size_t n;

	if (msg == NULL)
		return EX_SOFTWARE;
	n = strcspn(msg, " ");
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].word) == n && strncmp(msg, map[i].word, n) == 0)
			return map[i].code;
	return EX_SOFTWARE;
}
