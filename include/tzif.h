/*
 * tzif: the UTC offset of a zone at any instant, from the bytes of its TZif
 * file (RFC 8536): version 1, and the 64-bit data and the POSIX TZ footer of
 * versions 2 to 4. The footer gives the offsets after the last transition, so
 * "slim" files (few transitions, rules in the footer) and "fat" ones (every
 * transition to 2037) answer alike.
 *
 * Owns the parsed zone only. Never reads a file, never looks at TZ or the C
 * library's idea of local time: the shell hands over the bytes. Hostile input
 * is refused with a reason; nothing is allocated from a count that the bytes
 * present do not back.
 */
#ifndef REPAIRD_TZIF_H
#define REPAIRD_TZIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZIF_MAX_BYTES ((size_t)1 << 20) /* no real zone file comes near this */

/* A date rule of the footer: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
struct tzif_date {
	char kind;    /* 'J', 'N' or 'M' */
	int day;      /* Jn, n; or d (0 = Sunday) of Mm.w.d */
	int week;     /* w: 1..5, 5 = the last */
	int month;    /* m: 1..12 */
	int32_t secs; /* local time of the change, -167h..167h */
};

/* The footer's rule: std offset, and when has_dst, dst offset and the two changes. */
struct tzif_rule {
	int32_t std_off; /* seconds east of UTC */
	int32_t dst_off;
	bool has_dst;
	struct tzif_date start, end; /* dst starts (in std time), ends (in dst time) */
};

struct tzif {
	int64_t *at;     /* transition instants, strictly ascending */
	int32_t *off;    /* offset from at[i] on */
	size_t n;        /* transitions */
	int32_t initial; /* offset before at[0] (or always, with no transitions and no rule) */
	bool has_rule;   /* a non-empty footer */
	struct tzif_rule rule;
};

/*
 * Parse a TZif file. 0, or -1 with the reason in err (and nothing to free).
 * Refuses leap-second files ("right/" zones: their instants are not POSIX
 * time) and offsets of a day or more.
 */
int tzif_parse(struct tzif *z, const unsigned char *buf, size_t len, char *err, size_t errlen);

/* Parse only a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"): a zone of rules alone. */
int tzif_parse_rule(struct tzif *z, const char *tz, size_t len, char *err, size_t errlen);

void tzif_free(struct tzif *z);

/* Seconds east of UTC in force at instant t (as localtime_r's tm_gmtoff). */
int32_t tzif_offset(const struct tzif *z, int64_t t);

#endif
