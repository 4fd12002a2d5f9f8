/*
 * Integration: repairctl's member commands against the real repaird: set and
 * show in both forms, and the CSV import with good and bad rows, from a file
 * or standard input, pipelined.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ctl_run.h"

static struct daemon d;
static redisContext *rc;

static void setup(void)
{
	ctl_fixture_start(&d, &rc);
}

static void teardown(void)
{
	ctl_fixture_stop(&d, &rc);
}

START_TEST(test_member_commands)
{
	struct out *o;

	o = ctl("--json", "member", "set", "1234567", "--tier", "gold", "--country", "EE",
	        "--programme", "free", "--expires", "2027-12-31", "--name", "Kask \"Photo\"", NULL);
	expect_exit(o, 0);
	expect_json(o->out, '{');
	ck_assert_str_eq(jget(o->out, "tier"), "\"gold\"");
	ck_assert_str_eq(jget(o->out, "effective_tier"), "\"silver\""); /* Estonia: Silver only */
	ck_assert_str_eq(jget(o->out, "expires"), "\"2027-12-31\"");
	expect_in(o->out, "\"name\": \"Kask \\\"Photo\\\"\"");
	o = ctl("member", "show", "1234567", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "gold (served as silver)");
	expect_in(o->out, "2027-12-31");
	o = ctl("member", "set", "1234567", "--tier", "bronze", "--country", "EE", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "INVALID tier \"bronze\"");
	expect_exit(ctl("member", "set", "1234567", "--country", "EE", NULL), 64);
	o = ctl("member", "delete", "1234567", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "deleted");
	o = ctl("--json", "member", "delete", "1234567", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "no such member");
	expect_exit(ctl("member", "show", "1234567", NULL), 65);
}
END_TEST

/* member import from standard input: no header, another order, an unknown column. */
static void member_import_from_stdin(void)
{
	struct out *o;
	redisReply *r;

	/* No header, positional columns, from standard input: all good, exit 0. */
	o = ctl_in("200001,platinum,DE\n200002,gold,ZA,free,,Bo\n", "member", "import", "-", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "imported 2 members");
	ck_assert_str_eq(o->err, "");
	/* A header in another order. */
	o = ctl_in("country,number,tier\nDE,200003,silver\n", "member", "import", "-", NULL);
	expect_exit(o, 0);
	r = cmd(rc, "MEMBER.GET", "200003", NULL);
	ck_assert_str_eq(field(r, "tier"), "silver");
	freeReplyObject(r);
	/* A header with an unknown column: nothing imported. */
	o = ctl_in("number,tier,colour\n1,gold,red\n", "member", "import", "-", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "unknown column \"colour\"");
	/* No such file. */
	expect_exit(ctl("member", "import", "/nonexistent/members.csv", NULL), 66);
}

START_TEST(test_member_import_good_and_bad_rows)
{
	char path[256];
	struct out *o;
	redisReply *r;

	snprintf(path, sizeof path, "%s/members.csv", d.dir);
	harness_write_file(
	        path, "number,tier,country,programme,expires,name\r\n" /* 1: header */
	              "100001,gold,DE,,,\"M\xc3\xbcller, Anna\"\r\n"   /* 2: good */
	              "100002,bronze,DE\r\n"                           /* 3: bad tier */
	              "UK013795RS,gold,DE\r\n"                         /* 4: old number */
	              "\r\n"                                           /* 5: blank */
	              "100003,silver,ZA,free,2027-12-31,\"Say \"\"cheese\"\"\r\n" /* 6-7: good */
	              "Studio\"\r\n"
	              "100004,gold\r\n"                                /* 8: 2 fields */
	              "100005,gold,DE,x\"y\r\n"                        /* 9: stray quote */
	              "100006,platinum,XX\r\n"                         /* 10: no country */
	              "100007,platinum,DE,subscription,2028-01-31\r\n" /* 11: good */
	              "100008,red,ZA,,,\"never closed\r\n");           /* 12: open quote */
	o = ctl("member", "import", path, NULL);
	expect_exit(o, 65);
	expect_in(o->out, "imported 3 members");
	expect_in(o->out, "6 bad rows");
	{
		static const int bad[] = {3, 4, 8, 9, 10, 12};
		const char *prev = o->err;
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char loc[300];
			const char *at;
			snprintf(loc, sizeof loc, "%s:%d: ", path, bad[i]);
			at = strstr(o->err, loc);
			ck_assert_msg(at != NULL, "no %s in:\n%s", loc, o->err);
			ck_assert_msg(at >= prev, "bad rows out of line order:\n%s", o->err);
			prev = at;
		}
	}
	expect_in(o->err, "INVALID tier \"bronze\"");
	expect_in(o->err, "April 2010");
	expect_in(o->err, "INVALID country \"XX\"");
	ck_assert_int_eq(count_in(o->err, path), 6); /* good lines are not mentioned */

	/* Good rows imported, bad ones not: ask the daemon directly. */
	r = cmd(rc, "MEMBER.GET", "100001", NULL);
	ck_assert_str_eq(field(r, "tier"), "gold");
	ck_assert_str_eq(field(r, "name"), "M\xc3\xbcller, Anna");
	freeReplyObject(r);
	r = cmd(rc, "MEMBER.GET", "100003", NULL);
	ck_assert_str_eq(field(r, "programme"), "free");
	ck_assert_str_eq(field(r, "expires"), "2027-12-31");
	ck_assert_str_eq(field(r, "name"), "Say \"cheese\"\nStudio");
	freeReplyObject(r);
	r = cmd(rc, "MEMBER.GET", "100007", NULL);
	ck_assert_str_eq(field(r, "tier"), "platinum");
	freeReplyObject(r);
	{
		static const char *const refused[] = {"100002", "100004", "100005", "100006",
		                                      "100008"};
		for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
			r = cmd(rc, "MEMBER.GET", refused[i], NULL);
			ck_assert_msg(r->type == REDIS_REPLY_ERROR, "member %s was imported",
			              refused[i]);
			freeReplyObject(r);
		}
	}

	/* The JSON summary lists the same errors. */
	o = ctl("--json", "member", "import", path, NULL);
	expect_exit(o, 65);
	expect_json(o->out, '{');
	ck_assert_str_eq(jget(o->out, "imported"), "3");
	ck_assert_str_eq(jget(o->out, "bad"), "6");
	ck_assert_str_eq(jget(o->out, "rows"), "9");
	expect_in(o->out, "{\"line\": 3, \"error\": \"INVALID tier");

	member_import_from_stdin();
}
END_TEST

START_TEST(test_member_import_is_pipelined)
{
	char path[256];
	struct out *o;
	redisReply *r;
	FILE *f;

	snprintf(path, sizeof path, "%s/many.csv", d.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 5000; i++)
		fprintf(f, "%d,%s,DE\n", 500000 + i, i == 4321 ? "gilded" : "gold");
	fclose(f);
	o = ctl("member", "import", path, NULL);
	expect_exit(o, 65);
	expect_in(o->out, "imported 4999 members");
	expect_in(o->err, ":4322: INVALID tier \"gilded\"");
	r = cmd(rc, "INFO", "tickets", NULL);
	expect_in(r->str, "members:4999");
	freeReplyObject(r);
	/* Not a terminal: no progress line. */
	expect_not_in(o->err, "importing");
}
END_TEST

static Suite *members_suite(void)
{
	Suite *s = suite_create("repairctl_members");
	TCase *tc = tcase_create("members");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_member_commands);
	tcase_add_test(tc, test_member_import_good_and_bad_rows);
	tcase_add_test(tc, test_member_import_is_pipelined);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(members_suite());
}
