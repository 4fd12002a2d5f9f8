/*
 * repairctl_format: the pure formatting helpers of repairctl (client/format.c):
 * a growing string buffer, JSON string and value writing, the "1d 3h left" /
 * "BREACHED 4h ago" texts, time arguments (docs/protocol.md times plus a local
 * "YYYY-MM-DD HH:MM"), times shown in a centre's zone, CSV line splitting, and
 * the exit code that a daemon error word maps to.
 *
 * No sockets, no daemon, no output: everything here is unit-tested on its own
 * (tests/unit/test_repairctl_format.c). The only process state touched is TZ,
 * by fmt_local_time() and arg_time_in() (a zone's rules), and it is restored.
 */
#ifndef REPAIRD_REPAIRCTL_FORMAT_H
#define REPAIRD_REPAIRCTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- string buffer ---------------------------------------------------------- */

struct sbuf {
	char *data; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "" when nothing was added yet. */
const char *sbuf_str(const struct sbuf *b);

/* ---- JSON ---------------------------------------------------------------------- */

/*
 * How a wire value (always a string in RESP) is written in JSON. Every kind
 * writes an empty value as null ("not set", docs/protocol.md); a value that does not
 * look like its kind is written as a string rather than as broken JSON.
 */
enum json_kind {
	JSON_STRING,
	JSON_INT,   /* -?[0-9]+ as a number */
	JSON_BOOL,  /* "1" true, "0" false */
	JSON_FLOAT, /* a decimal such as 66.7 as a number */
};

/*
 * Append s (len bytes) as a JSON string literal, quotes included. Control
 * characters are escaped; bytes that are not valid UTF-8 become U+FFFD, so the
 * output is always valid JSON.
 */
void json_add_string(struct sbuf *b, const char *s, size_t len);
void json_add_value(struct sbuf *b, enum json_kind kind, const char *s, size_t len);

/* ---- texts for people ---------------------------------------------------------- */

/* Business seconds per day when a ticket cannot tell (a standard 8-hour day). */
#define FMT_DEFAULT_DAY_SECONDS (8 * 3600)

/*
 * The centre's working day as a ticket sees it: its budget (used + remaining)
 * divided by its target days; FMT_DEFAULT_DAY_SECONDS when that is not known.
 */
int64_t fmt_day_seconds(int64_t target_days, int64_t used, int64_t remaining);

/*
 * A length of business time: "1d 7h 59m", "2d", "1d 5m", "4h 20m", "15m", "0m"
 * (a day is day_seconds long; every unit that is not zero, the larger first;
 * seconds dropped).
 */
void fmt_duration(char *out, size_t len, int64_t secs, int64_t day_seconds);

/* What the REMAINING column of a ticket says, from its wire fields. */
struct remaining_in {
	const char *state;     /* "booked", "received", ... */
	int64_t remaining;     /* remaining_seconds, negative once overdue */
	int64_t used;          /* used_seconds */
	int64_t target_days;   /* target_days */
	bool breached, paused; /* breached, paused */
	int met;               /* met: 1, 0, or -1 while not ready */
};
/*
 * "1d 7h 59m left", "4h left, paused", "BREACHED 2h 10m ago", "not received", "met",
 * "missed", "cancelled". Returns true when the ticket is overdue (for colour).
 */
bool fmt_remaining(char *out, size_t len, const struct remaining_in *in);

/*
 * A UTC instant in zone tz (IANA name; NULL or "" = UTC) as
 * "2026-11-25 16:30 CET". Returns 0, or -1 if the zone is unknown (out then
 * holds the UTC time with "UTC").
 */
int fmt_local_time(char *out, size_t len, int64_t t, const char *tz);

/* Is tz a zone this machine knows (a file under TZDIR or /usr/share/zoneinfo, or UTC)? */
bool fmt_tz_known(const char *tz);

/*
 * Append text with every wire time in it ("2026-12-04T12:00:00Z", as history
 * details carry them) written as fmt_local_time() writes it in zone tz.
 */
void fmt_times_in_text(struct sbuf *out, const char *text, const char *tz);

/*
 * A bar of width characters for a share in percent: '#' for the part met, '.'
 * for the rest ("#######..." for 70); plain ASCII, so that any terminal and a
 * pipe show it alike.
 */
void fmt_bar(char *out, size_t len, double pct, int width);

/* Upper-case (or lower-case) ASCII letters of s in place: ids and names typed in any case. */
char *str_fold(char *s, bool upper);

/* Do two product names match ignoring case and blanks ("eos r5" = "EOS R5" = "EOSR5")? */
bool fmt_same_name(const char *a, const char *b);

/* Display width of UTF-8 text in a terminal (code points; bytes of bad UTF-8 count one). */
size_t fmt_width(const char *s);

/*
 * Copy s for a terminal: control characters (ESC among them) become '?', so
 * data typed by someone else cannot drive the terminal. Returns out.
 */
char *fmt_sanitize(char *out, size_t len, const char *s);

/* ---- arguments ----------------------------------------------------------------- */

/*
 * A time as the user typed it -> what is sent to repaird: "NOW" (any case)
 * stays "NOW"; an ISO time with Z or an offset is normalised to UTC "...Z";
 * a local "YYYY-MM-DD HH:MM[:SS]" (or with 'T' and no zone) is taken in the
 * machine's local timezone (TZ) and converted to UTC. Returns 0, or -1 when it
 * is none of these.
 */
int arg_time(const char *s, char out[21]);
/* The same, a local time taken in zone tz (NULL: TZ); -1 also when tz is unknown. */
int arg_time_in(const char *s, const char *tz, char out[21]);
/* Is s a local time without a zone (the form whose meaning depends on a zone)? */
bool arg_time_is_local(const char *s);

/* A strictly positive decimal integer that fits in uint32 (ids, limits). */
int arg_uint(const char *s, uint64_t *out);

/* ---- CSV ----------------------------------------------------------------------- */

#define CSV_MAX_FIELDS 32

struct csv_row {
	int nfields;
	char *field[CSV_MAX_FIELDS]; /* point into storage */
	char *storage;
};

enum csv_status { CSV_OK = 0, CSV_INCOMPLETE = 1, CSV_ERROR = -1 };

/*
 * Split one record (RFC 4180: commas, fields in double quotes with "" for a
 * quote, a trailing CR ignored). Unquoted fields are trimmed of blanks.
 * CSV_INCOMPLETE: a quoted field is still open at the end (the caller appends
 * a newline and the next line and calls again); CSV_ERROR: err says why.
 * The row is freed with csv_row_free() whatever the status.
 */
enum csv_status csv_split(const char *line, struct csv_row *row, char *err, size_t errlen);
void csv_row_free(struct csv_row *row);

/* ---- errors -------------------------------------------------------------------- */

/*
 * The sysexits.h code for an error reply of repaird, by its first word:
 * INVALID NOTFOUND STATE LIMIT -> EX_DATAERR, NOAUTH WRONGPASS NOPERM ->
 * EX_NOPERM, IOERR -> EX_IOERR, BUSY -> EX_TEMPFAIL, anything else (ERR) ->
 * EX_SOFTWARE.
 */
int exit_code_for_error(const char *msg);

/*
 * An error reply of repaird for a person: out is the message without the
 * protocol's own pointers ("(see CENTRE.LIST)"); the return value is a hint
 * that names the repairctl command to look with ("see: repairctl centres"),
 * or NULL.
 */
const char *error_for_people(const char *msg, char *out, size_t len);

#endif
