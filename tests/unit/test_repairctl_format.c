/*
 * Unit tests for repairctl's pure helpers (client/repairctl_format.h).
 * The Makefile links unit tests with libcore.a only, so the client's
 * format.c is compiled in here directly.
 */
#include "../../client/format.c"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* ---- JSON -------------------------------------------------------------------- */

static const char *json_str(struct sbuf *b, const char *s, size_t len)
{
	sbuf_reset(b);
	json_add_string(b, s, len);
	return sbuf_str(b);
}

static const char *json_val(struct sbuf *b, enum json_kind k, const char *s)
{
	sbuf_reset(b);
	json_add_value(b, k, s, strlen(s));
	return sbuf_str(b);
}

START_TEST(test_json_escapes)
{
	struct sbuf b;

	sbuf_init(&b);
	ck_assert_str_eq(json_str(&b, "", 0), "\"\"");
	ck_assert_str_eq(json_str(&b, "EOS R5", 6), "\"EOS R5\"");
	ck_assert_str_eq(json_str(&b, "say \"hi\"\\", 9), "\"say \\\"hi\\\"\\\\\"");
	ck_assert_str_eq(json_str(&b, "a\nb\tc\rd\be\ff", 11), "\"a\\nb\\tc\\rd\\be\\ff\"");
	ck_assert_str_eq(json_str(&b, "\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\"");
	/* A NUL inside the value is escaped, not the end of the string. */
	ck_assert_str_eq(json_str(&b, "a\0b", 3), "\"a\\u0000b\"");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_json_utf8)
{
	struct sbuf b;

	sbuf_init(&b);
	/* Valid UTF-8 passes through untouched. */
	ck_assert_str_eq(json_str(&b, "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\xb7", 16),
	                 "\"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\xb7\"");
	/* Latin-1, a lone continuation byte, an overlong '/', a surrogate, a cut sequence. */
	ck_assert_str_eq(json_str(&b, "M\xfcller", 6), "\"M\\ufffdller\"");
	ck_assert_str_eq(json_str(&b, "\x80", 1), "\"\\ufffd\"");
	ck_assert_str_eq(json_str(&b, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_str(&b, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_str(&b, "\xe2\x82", 2), "\"\\ufffd\\ufffd\"");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_json_typed_values)
{
	static const struct {
		enum json_kind kind;
		const char *in, *want;
	} cases[] = {
	        {JSON_INT, "42", "42"},
	        {JSON_INT, "-3600", "-3600"},
	        {JSON_INT, "0", "0"},
	        {JSON_INT, "", "null"},
	        /* Not a JSON number: a string rather than broken JSON. */
	        {JSON_INT, "007", "\"007\""},
	        {JSON_INT, "12a", "\"12a\""},
	        {JSON_INT, "-", "\"-\""},
	        {JSON_BOOL, "1", "true"},
	        {JSON_BOOL, "0", "false"},
	        {JSON_BOOL, "", "null"},
	        {JSON_BOOL, "yes", "\"yes\""},
	        {JSON_FLOAT, "66.7", "66.7"},
	        {JSON_FLOAT, "100", "100"},
	        {JSON_FLOAT, "0.0", "0.0"},
	        {JSON_FLOAT, "1.", "\"1.\""},
	        {JSON_FLOAT, ".5", "\".5\""},
	        {JSON_STRING, "151335488", "\"151335488\""},
	        {JSON_STRING, "", "null"},
	};
	struct sbuf b;

	sbuf_init(&b);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_str_eq(json_val(&b, cases[i].kind, cases[i].in), cases[i].want);
	sbuf_free(&b);
}
END_TEST

START_TEST(test_sbuf_grows)
{
	struct sbuf b;

	sbuf_init(&b);
	ck_assert_str_eq(sbuf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		sbuf_printf(&b, "%d,", i % 10);
	ck_assert_uint_eq(b.len, 2000);
	ck_assert_int_eq(b.data[1998], '9');
	sbuf_reset(&b);
	ck_assert_str_eq(sbuf_str(&b), "");
	sbuf_free(&b);
}
END_TEST

/* ---- remaining time ------------------------------------------------------------ */

START_TEST(test_duration)
{
#define DAY (8 * 3600)
	static const struct {
		int64_t seconds, day;
		const char *want;
	} cases[] = {
	        {DAY + 3 * 3600, DAY, "1d 3h"},
	        {2 * DAY, DAY, "2d"},
	        {2 * DAY + 59 * 60, DAY, "2d 59m"}, /* the minutes stay */
	        {DAY + 7 * 3600 + 59 * 60 + 59, DAY, "1d 7h 59m"},
	        {4 * 3600 + 20 * 60, DAY, "4h 20m"},
	        {4 * 3600, DAY, "4h"},
	        {15 * 60 + 59, DAY, "15m"},
	        {30, DAY, "0m"},
	        {-(4 * 3600), DAY, "4h"}, /* the magnitude */
	        /* A 7.5-hour working day. */
	        {27000 + 3600, 27000, "1d 1h"},
	};
#undef DAY
	char buf[32];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fmt_duration(buf, sizeof buf, cases[i].seconds, cases[i].day);
		ck_assert_str_eq(buf, cases[i].want);
	}
}
END_TEST

START_TEST(test_day_seconds)
{
	ck_assert_int_eq(fmt_day_seconds(2, 0, 57600), 28800);
	ck_assert_int_eq(fmt_day_seconds(2, 60000, -2400), 28800);
	ck_assert_int_eq(fmt_day_seconds(3, 0, 3 * 27000), 27000);
	ck_assert_int_eq(fmt_day_seconds(3, 0, 180), 60); /* one-minute days exist in tests */
	ck_assert_int_eq(fmt_day_seconds(0, 0, 0), FMT_DEFAULT_DAY_SECONDS);
	ck_assert_int_eq(fmt_day_seconds(3, 0, 1000), FMT_DEFAULT_DAY_SECONDS);
}
END_TEST

static const char *remaining(const char *state, int64_t rem, bool breached, bool paused, int met,
                             bool *overdue)
{
	static char buf[64];
	struct remaining_in in = {.state = state,
	                          .remaining = rem,
	                          .used = 16 * 3600 - rem,
	                          .target_days = 2,
	                          .breached = breached,
	                          .paused = paused,
	                          .met = met};
	bool o = fmt_remaining(buf, sizeof buf, &in);

	if (overdue)
		*overdue = o;
	return buf;
}

START_TEST(test_remaining_texts)
{
	bool overdue;

	ck_assert_str_eq(remaining("received", 11 * 3600, false, false, -1, &overdue),
	                 "1d 3h left");
	ck_assert(!overdue);
	ck_assert_str_eq(remaining("in_repair", 45 * 60, false, false, -1, NULL), "45m left");
	/* As a person reads it: the minutes of a day and some hours count too. */
	ck_assert_str_eq(
	        remaining("received", 8 * 3600 + 7 * 3600 + 59 * 60, false, false, -1, NULL),
	        "1d 7h 59m left");
	ck_assert_str_eq(remaining("in_repair", -(2 * 3600 + 10 * 60), true, false, -1, NULL),
	                 "BREACHED 2h 10m ago");
	ck_assert_str_eq(remaining("awaiting_customer", 9 * 3600, false, true, -1, NULL),
	                 "1d 1h left, paused");
	ck_assert_str_eq(remaining("awaiting_parts", -4 * 3600, true, false, -1, &overdue),
	                 "BREACHED 4h ago");
	ck_assert(overdue);
	ck_assert_str_eq(remaining("diagnosing", -(8 * 3600 + 2 * 3600), true, false, -1, NULL),
	                 "BREACHED 1d 2h ago");
	/* Breached at this very minute. */
	ck_assert_str_eq(remaining("diagnosing", 0, true, false, -1, &overdue), "BREACHED");
	ck_assert(overdue);
	ck_assert_str_eq(remaining("booked", 16 * 3600, false, false, -1, NULL), "not received");
	ck_assert_str_eq(remaining("ready", 3600, false, false, 1, &overdue), "met");
	ck_assert(!overdue);
	ck_assert_str_eq(remaining("returned", -3600, true, false, 0, NULL), "missed");
	ck_assert_str_eq(remaining("cancelled", 3600, false, false, -1, NULL), "cancelled");
}
END_TEST

/* ---- times ---------------------------------------------------------------------- */

START_TEST(test_local_time_in_centre_zone)
{
	char buf[64];
	int64_t t;

	ck_assert_int_eq(time_parse("2026-11-25T15:30:00Z", &t), 0);
	ck_assert_int_eq(fmt_local_time(buf, sizeof buf, t, "Europe/Berlin"), 0);
	ck_assert_str_eq(buf, "2026-11-25 16:30 CET");
	ck_assert_int_eq(time_parse("2026-07-01T12:00:00Z", &t), 0);
	ck_assert_int_eq(fmt_local_time(buf, sizeof buf, t, "Europe/Berlin"), 0);
	ck_assert_str_eq(buf, "2026-07-01 14:00 CEST");
	ck_assert_int_eq(fmt_local_time(buf, sizeof buf, t, "Europe/London"), 0);
	ck_assert_str_eq(buf, "2026-07-01 13:00 BST");
	ck_assert_int_eq(fmt_local_time(buf, sizeof buf, t, NULL), 0);
	ck_assert_str_eq(buf, "2026-07-01 12:00 UTC");
	/* An unknown zone says so and falls back to UTC. */
	ck_assert_int_eq(fmt_local_time(buf, sizeof buf, t, "Mars/Olympus"), -1);
	ck_assert_str_eq(buf, "2026-07-01 12:00 UTC");
}
END_TEST

START_TEST(test_local_time_restores_tz)
{
	char buf[64];

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	fmt_local_time(buf, sizeof buf, 0, "Europe/Berlin");
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	fmt_local_time(buf, sizeof buf, 0, "Europe/Berlin");
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

START_TEST(test_arg_time)
{
	char out[21];

	ck_assert_int_eq(arg_time("NOW", out), 0);
	ck_assert_str_eq(out, "NOW");
	ck_assert_int_eq(arg_time("now", out), 0);
	ck_assert_str_eq(out, "NOW");
	ck_assert_int_eq(arg_time("2026-11-23T09:30:00Z", out), 0);
	ck_assert_str_eq(out, "2026-11-23T09:30:00Z");
	ck_assert_int_eq(arg_time("2026-11-23T10:30:00+01:00", out), 0);
	ck_assert_str_eq(out, "2026-11-23T09:30:00Z");
	/* Local times are the machine's zone, daylight saving included. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	ck_assert_int_eq(arg_time("2026-11-23 10:30", out), 0);
	ck_assert_str_eq(out, "2026-11-23T09:30:00Z");
	ck_assert_int_eq(arg_time("2026-07-01 10:30:15", out), 0);
	ck_assert_str_eq(out, "2026-07-01T08:30:15Z");
	ck_assert_int_eq(arg_time("2026-07-01T10:30", out), 0);
	ck_assert_str_eq(out, "2026-07-01T08:30:00Z");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(arg_time("2026-11-23 10:30", out), 0);
	ck_assert_str_eq(out, "2026-11-23T10:30:00Z");
	unsetenv("TZ");
	tzset();

	ck_assert_int_eq(arg_time("tomorrow", out), -1);
	ck_assert_int_eq(arg_time("", out), -1);
	ck_assert_int_eq(arg_time("2026-11-23", out), -1);
	ck_assert_int_eq(arg_time("2026-11-23 25:00", out), -1);
	ck_assert_int_eq(arg_time("2026-02-30 10:00", out), -1);
	ck_assert_int_eq(arg_time("2026-11-23 10:3", out), -1);
	ck_assert_int_eq(arg_time("2026-11-23 10:30 ", out), -1);
	ck_assert_int_eq(arg_time("2026-11-23x10:30", out), -1);
	ck_assert_int_eq(arg_time(NULL, out), -1);
}
END_TEST

/* A local time in a named zone, whatever the process's TZ says. */
START_TEST(test_arg_time_in_zone)
{
	static const char *const process_zones[] = {"UTC", "America/New_York", "Asia/Tokyo"};
	char out[21];

	for (size_t i = 0; i < 3; i++) {
		setenv("TZ", process_zones[i], 1);
		tzset();
		ck_assert_int_eq(arg_time_in("2026-11-23 09:30", "Europe/Berlin", out), 0);
		ck_assert_str_eq(out, "2026-11-23T08:30:00Z");
		ck_assert_int_eq(arg_time_in("2026-07-01 09:30", "Europe/Berlin", out), 0);
		ck_assert_str_eq(out, "2026-07-01T07:30:00Z"); /* summer time */
		/* A time with its zone or NOW is what it says. */
		ck_assert_int_eq(arg_time_in("2026-11-23T09:30:00Z", "Europe/Berlin", out), 0);
		ck_assert_str_eq(out, "2026-11-23T09:30:00Z");
		ck_assert_str_eq(getenv("TZ"), process_zones[i]); /* restored */
	}
	ck_assert_int_eq(arg_time_in("2026-11-23 09:30", "Mars/Base", out), -1);
	ck_assert(arg_time_is_local("2026-11-23 09:30"));
	ck_assert(!arg_time_is_local("2026-11-23T09:30:00Z"));
	ck_assert(!arg_time_is_local("NOW"));
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_times_in_text)
{
	struct sbuf b;

	sbuf_init(&b);
	fmt_times_in_text(&b, "diagnosing -> awaiting_parts, ETA 2026-12-04T12:00:00Z: lens",
	                  "Europe/Berlin");
	ck_assert_str_eq(sbuf_str(&b),
	                 "diagnosing -> awaiting_parts, ETA 2026-12-04 13:00 CET: lens");
	sbuf_reset(&b);
	fmt_times_in_text(&b, "2026-07-01T10:00:00Z and 2026-07-01T10:00:00", "America/New_York");
	ck_assert_str_eq(sbuf_str(&b), "2026-07-01 06:00 EDT and 2026-07-01T10:00:00");
	sbuf_reset(&b);
	fmt_times_in_text(&b, "no times, 2026 -", "UTC");
	ck_assert_str_eq(sbuf_str(&b), "no times, 2026 -");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_forgiving_names)
{
	char s[] = "de-Psc-willich";

	ck_assert_str_eq(str_fold(s, true), "DE-PSC-WILLICH");
	ck_assert_str_eq(str_fold(s, false), "de-psc-willich");
	ck_assert(fmt_same_name("eos r5", "EOS R5"));
	ck_assert(fmt_same_name("EOSR5", "EOS R5"));
	ck_assert(fmt_same_name(" EOS  R5 ", "EOS R5"));
	ck_assert(!fmt_same_name("EOS R", "EOS R5"));
	ck_assert(!fmt_same_name("EOS R5 C", "EOS R5"));
	ck_assert(!fmt_same_name("", "EOS R5"));
}
END_TEST

/* repaird's sentences point at protocol commands; a person is pointed at repairctl's. */
START_TEST(test_error_hints)
{
	char out[256];
	const char *hint;

	hint = error_for_people("NOTFOUND centre \"XX\": no such centre (see CENTRE.LIST)", out,
	                        sizeof out);
	ck_assert_str_eq(out, "NOTFOUND centre \"XX\": no such centre");
	ck_assert_str_eq(hint, "see: repairctl centres");
	hint = error_for_people("NOTFOUND product \"EOS\": not in the catalogue; closest: EOS R",
	                        out, sizeof out);
	ck_assert_str_eq(hint, "see: repairctl products TEXT");
	ck_assert_str_eq(out, "NOTFOUND product \"EOS\": not in the catalogue; closest: EOS R");
	hint = error_for_people("NOTFOUND ticket 9: no such ticket", out, sizeof out);
	ck_assert_str_eq(hint, "see: repairctl ticket list --all");
	hint = error_for_people("INVALID serial \"AB 12\": letters and digits only", out,
	                        sizeof out);
	ck_assert_ptr_null(hint);
	/* A short buffer still ends in NUL. */
	error_for_people("NOTFOUND centre \"XX\": no such centre (see CENTRE.LIST)", out, 8);
	ck_assert_str_eq(out, "NOTFOUN");
}
END_TEST

START_TEST(test_bar)
{
	char bar[32];

	fmt_bar(bar, sizeof bar, 70.0, 10);
	ck_assert_str_eq(bar, "#######...");
	fmt_bar(bar, sizeof bar, 100.0, 10);
	ck_assert_str_eq(bar, "##########");
	fmt_bar(bar, sizeof bar, 0.0, 4);
	ck_assert_str_eq(bar, "....");
	fmt_bar(bar, sizeof bar, 66.7, 20); /* 13.34 rounds to 13 */
	ck_assert_str_eq(bar, "#############.......");
	fmt_bar(bar, sizeof bar, 140.0, 3); /* clamped */
	ck_assert_str_eq(bar, "###");
	fmt_bar(bar, 4, 50.0, 10); /* never past the buffer */
	ck_assert_str_eq(bar, "###");
}
END_TEST

START_TEST(test_arg_uint)
{
	uint64_t v;

	ck_assert_int_eq(arg_uint("1", &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(arg_uint("4294967295", &v), 0);
	ck_assert_int_eq(arg_uint("4294967296", &v), -1);
	ck_assert_int_eq(arg_uint("0", &v), -1);
	ck_assert_int_eq(arg_uint("-1", &v), -1);
	ck_assert_int_eq(arg_uint("12x", &v), -1);
	ck_assert_int_eq(arg_uint("", &v), -1);
}
END_TEST

START_TEST(test_width_and_sanitize)
{
	char buf[32];

	ck_assert_uint_eq(fmt_width("EOS R5"), 6);
	ck_assert_uint_eq(fmt_width("M\xc3\xbcller"), 6);
	ck_assert_uint_eq(fmt_width("\xe2\x82\xac"), 1);
	ck_assert_uint_eq(fmt_width("\xff\xfe"), 2);
	ck_assert_str_eq(fmt_sanitize(buf, sizeof buf, "a\033[2Jb\nc\x7f"), "a?[2Jb?c?");
	ck_assert_str_eq(fmt_sanitize(buf, 4, "abcdef"), "abc");
	ck_assert_str_eq(fmt_sanitize(buf, sizeof buf, "M\xc3\xbcller"), "M\xc3\xbcller");
}
END_TEST

/* ---- CSV ------------------------------------------------------------------------- */

static struct csv_row row;
static char err[160];

static enum csv_status split(const char *line)
{
	csv_row_free(&row);
	err[0] = '\0';
	return csv_split(line, &row, err, sizeof err);
}

START_TEST(test_csv_plain)
{
	ck_assert_int_eq(split("151335488,platinum,DE\n"), CSV_OK);
	ck_assert_int_eq(row.nfields, 3);
	ck_assert_str_eq(row.field[0], "151335488");
	ck_assert_str_eq(row.field[1], "platinum");
	ck_assert_str_eq(row.field[2], "DE");
	ck_assert_int_eq(split("1, gold , DE ,,2027-01-01,Anna Maria\r\n"), CSV_OK);
	ck_assert_int_eq(row.nfields, 6);
	ck_assert_str_eq(row.field[1], "gold");
	ck_assert_str_eq(row.field[2], "DE");
	ck_assert_str_eq(row.field[3], "");
	ck_assert_str_eq(row.field[5], "Anna Maria");
	ck_assert_int_eq(split(""), CSV_OK);
	ck_assert_int_eq(row.nfields, 1);
	ck_assert_str_eq(row.field[0], "");
	ck_assert_int_eq(split("a,"), CSV_OK);
	ck_assert_int_eq(row.nfields, 2);
	ck_assert_str_eq(row.field[1], "");
	csv_row_free(&row);
}
END_TEST

START_TEST(test_csv_quoted)
{
	ck_assert_int_eq(split("1,gold,DE,,,\"M\xc3\xbcller, Anna\"\n"), CSV_OK);
	ck_assert_int_eq(row.nfields, 6);
	ck_assert_str_eq(row.field[5], "M\xc3\xbcller, Anna");
	ck_assert_int_eq(split("\"say \"\"cheese\"\"\",\"\", \" padded \" "), CSV_OK);
	ck_assert_int_eq(row.nfields, 3);
	ck_assert_str_eq(row.field[0], "say \"cheese\"");
	ck_assert_str_eq(row.field[1], "");
	ck_assert_str_eq(row.field[2], " padded ");
	/* A quoted field with a line break: the caller joins the next line. */
	ck_assert_int_eq(split("1,gold,DE,,,\"first line\n"), CSV_INCOMPLETE);
	ck_assert_int_eq(split("1,gold,DE,,,\"first line\nsecond\"\n"), CSV_OK);
	ck_assert_str_eq(row.field[5], "first line\nsecond");
	ck_assert_int_eq(split("\"abc"), CSV_INCOMPLETE);
	csv_row_free(&row);
}
END_TEST

START_TEST(test_csv_errors)
{
	ck_assert_int_eq(split("1,\"gold\"x,DE"), CSV_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "field 2"));
	ck_assert_int_eq(split("1,go\"ld,DE"), CSV_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "field 2"));
	ck_assert_int_eq(
	        split("1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,20,1,2,3,4,5,6,7,8,9,30,1,2,3"),
	        CSV_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	csv_row_free(&row);
}
END_TEST

/* ---- exit codes ------------------------------------------------------------------- */

START_TEST(test_exit_codes)
{
	ck_assert_int_eq(exit_code_for_error("INVALID serial \"AB 12\": letters and digits only"),
	                 EX_DATAERR);
	ck_assert_int_eq(exit_code_for_error("NOTFOUND ticket 9: no such ticket"), EX_DATAERR);
	ck_assert_int_eq(exit_code_for_error("STATE ticket 1: ..."), EX_DATAERR);
	ck_assert_int_eq(exit_code_for_error("LIMIT member 1: ..."), EX_DATAERR);
	ck_assert_int_eq(exit_code_for_error("NOAUTH Authentication required."), EX_NOPERM);
	ck_assert_int_eq(exit_code_for_error("WRONGPASS invalid username-password pair"),
	                 EX_NOPERM);
	ck_assert_int_eq(exit_code_for_error("NOPERM centre DE-PSC-X"), EX_NOPERM);
	ck_assert_int_eq(exit_code_for_error("IOERR journal: No space left on device"), EX_IOERR);
	ck_assert_int_eq(exit_code_for_error("BUSY max clients reached"), EX_TEMPFAIL);
	ck_assert_int_eq(exit_code_for_error("ERR syntax error"), EX_SOFTWARE);
	ck_assert_int_eq(exit_code_for_error("INVALIDX what"), EX_SOFTWARE);
	ck_assert_int_eq(exit_code_for_error("STATE"), EX_DATAERR);
	ck_assert_int_eq(exit_code_for_error(""), EX_SOFTWARE);
	ck_assert_int_eq(exit_code_for_error(NULL), EX_SOFTWARE);
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("repairctl_format");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_json_escapes);
	tcase_add_test(tc, test_json_utf8);
	tcase_add_test(tc, test_json_typed_values);
	tcase_add_test(tc, test_sbuf_grows);
	suite_add_tcase(s, tc);

	tc = tcase_create("texts");
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_day_seconds);
	tcase_add_test(tc, test_remaining_texts);
	tcase_add_test(tc, test_local_time_in_centre_zone);
	tcase_add_test(tc, test_local_time_restores_tz);
	tcase_add_test(tc, test_arg_time);
	tcase_add_test(tc, test_arg_uint);
	tcase_add_test(tc, test_arg_time_in_zone);
	tcase_add_test(tc, test_times_in_text);
	tcase_add_test(tc, test_forgiving_names);
	tcase_add_test(tc, test_error_hints);
	tcase_add_test(tc, test_bar);
	tcase_add_test(tc, test_width_and_sanitize);
	suite_add_tcase(s, tc);

	tc = tcase_create("csv");
	tcase_add_test(tc, test_csv_plain);
	tcase_add_test(tc, test_csv_quoted);
	tcase_add_test(tc, test_csv_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_exit_codes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(format_suite());
}
