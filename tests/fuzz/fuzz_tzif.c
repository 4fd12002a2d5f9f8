/*
 * fuzz_tzif: libFuzzer over the TZif parser and the calendars built on it.
 *
 * An input is the bytes of a zone file. tzif_parse either refuses it with a
 * reason or gives a zone whose offsets stay within a day at every instant
 * probed; a calendar of 2026 built on it has sorted, disjoint working
 * intervals with correct running totals. An input that is no TZif file is
 * tried as a POSIX TZ rule too (footers are such rules).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "tzif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) __attribute__((noreturn));

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_tzif: %s\n", what);
	abort();
}

static void check_zone(const struct tzif *z)
{
	static const int64_t probes[] = {INT64_MIN,  -2208988800, 0,          1774746000,
	                                 1792890000, 2147483647,  4102444800, INT64_MAX};
	struct cal_week w = {0};
	struct calendar cal;
	char err[256];

	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		int32_t off = tzif_offset(z, probes[i]);
		if (off <= -86400 || off >= 86400)
			fail("an offset of a day or more");
	}
	/* From the last transition on a footer rules (as in glibc), so that one is not checked. */
	for (size_t i = 0; i < z->n; i++) {
		int32_t off = tzif_offset(z, z->at[i]);
		if ((off != z->off[i] && (i + 1 < z->n || !z->has_rule)) ||
		    (i > 0 && z->at[i - 1] >= z->at[i]))
			fail("transitions out of order or not in force at their instant");
	}
	for (int d = 0; d < 5; d++) {
		w.span[d][0].start = 9 * 60;
		w.span[d][0].end = 17 * 60;
		w.nspans[d] = 1;
	}
	w.span[6][0].start = 0; /* a Sunday of 24 hours meets every change of the night */
	w.span[6][0].end = 1440;
	w.nspans[6] = 1;
	if (calendar_build(&cal, z, &w, NULL, 0, 2026, 2026, 0, err, sizeof err) < 0)
		fail(err);
	for (size_t i = 0; i < cal.n; i++) {
		if (cal.start[i] >= cal.end[i] || (i > 0 && cal.end[i - 1] > cal.start[i]))
			fail("working intervals empty, overlapping or out of order");
		if (cal.cum[i] !=
		    (i == 0 ? 0 : cal.cum[i - 1] + (cal.end[i - 1] - cal.start[i - 1])))
			fail("a running total is wrong");
	}
	calendar_free(&cal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tzif z;
	char err[256];

	if (tzif_parse(&z, data, size, err, sizeof err) == 0) {
		check_zone(&z);
		tzif_free(&z);
	} else if (err[0] == '\0') {
		fail("refused without a reason");
	}
	if (tzif_parse_rule(&z, (const char *)data, size, err, sizeof err) == 0) {
		check_zone(&z);
		tzif_free(&z);
	}
	return 0;
}
