/*
 * Integration: repairctl at the service counter (issue 17) against the real
 * repaird: a typed time is the centre's local time whatever zone the
 * workstation is in; ids, tiers, services, states in any case and product
 * names but for case and blanks; hints that name repairctl commands and
 * usage errors before anything is sent; the completion in plain bash.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Ids, tiers, services and states in any case; a product name but for case and blanks. */
START_TEST(test_forgiving_input)
{
	struct out *o;
	redisReply *r;

	o = ctl("member", "set", "151335488", "--tier", "PLATINUM", "--country", "de", NULL);
	expect_exit(o, 0);
	o = ctl_in("number,tier,country\n151335489,Gold,De\n", "member", "import", "-", NULL);
	expect_exit(o, 0);
	r = cmd(rc, "MEMBER.GET", "151335489", NULL);
	ck_assert_str_eq(field(r, "tier"), "gold");
	ck_assert_str_eq(field(r, "country"), "DE");
	freeReplyObject(r);
	o = ctl("--json", "ticket", "open", "--centre", "de-psc-test", "--product", "eos  r5",
	        "--serial", "0001", "--service", "Repair", "--member", "151335488", "--registered",
	        "--received", NULL);
	expect_exit(o, 0);
	ck_assert_str_eq(jget(o->out, "product"), "\"EOS R5\"");
	ck_assert_str_eq(jget(o->out, "centre"), "\"DE-PSC-TEST\"");
	o = ctl("ticket", "move", "1", "Diagnosing", NULL);
	expect_exit(o, 0);
	o = ctl("--json", "ticket", "list", "--state", "DIAGNOSING", "--centre", "De-Psc-Test",
	        NULL);
	expect_exit(o, 0);
	ck_assert_int_eq(count_in(o->out, "\"id\": "), 1);
	/* No single catalogue name: repaird's refusal with the closest names. */
	o = ctl("ticket", "open", "--centre", "DE-PSC-TEST", "--product", "EOS", "--serial", "0002",
	        "--service", "repair", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "product \"EOS\"");
}
END_TEST

/* Hints name repairctl's commands; an id that is not one is a usage error (64). */
START_TEST(test_hints_and_usage)
{
	struct out *o;

	o = ctl("ticket", "open", "--centre", "NOWHERE", "--product", "EOS R5", "--serial", "0001",
	        "--service", "repair", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "see: repairctl centres");
	expect_not_in(o->err, "CENTRE.LIST");
	o = ctl("ticket", "show", "abc", NULL);
	expect_exit(o, 64);
	expect_in(o->err, "ticket \"abc\"");
	expect_exit(ctl("ticket", "history", "-1", NULL), 64);
	expect_exit(ctl("ticket", "ready", "1x", NULL), 64);
	expect_exit(ctl("loan", "issue", "abc", NULL), 64);
	expect_exit(ctl("member", "show", "12ab", NULL), 64);
	expect_exit(ctl("ticket", "list", "--member", "x", NULL), 64);
	o = ctl("ticket", "show", "99", NULL);
	expect_exit(o, 65);
	expect_in(o->err, "see: repairctl ticket list");
}
END_TEST

/*
 * The completion works in plain bash (no bash-completion package: no
 * _init_completion) and knows every command, passwd and board among them.
 */
START_TEST(test_completion_in_plain_bash)
{
	char script[1024], line[512];
	const char *src = getenv("REPAIRD_SRC");
	FILE *p;

	snprintf(script, sizeof script,
	         "bash --norc --noprofile -c 'source %s/client/repairctl.bash-completion && "
	         "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _repairctl; "
	         "echo \"${COMPREPLY[*]}\"; }; t repairctl \"\"; t repairctl pa; "
	         "t repairctl ticket move 1 awaiting_p; t repairctl board --i' 2>&1",
	         src ? src : ".");
	p = popen(script, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	expect_in(line, "passwd");
	expect_in(line, "board");
	expect_in(line, "ticket");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_str_eq(line, "passwd\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_str_eq(line, "awaiting_parts\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_str_eq(line, "--interval\n");
	ck_assert_int_eq(pclose(p), 0);
}
END_TEST

/* A typed time is the centre's local time, whatever zone the workstation is in. */
START_TEST(test_typed_time_is_the_centres)
{
	static const char *const zones[][2] = {{"TZ=UTC", "0003"}, {"TZ=America/New_York", "0004"}};
	struct out *o;

	harness_set_clock(rc, "2026-11-23T16:00:00Z");
	for (size_t i = 0; i < 2; i++) {
		const char *env[] = {zones[i][0], NULL};
		o = ctl_env(env, "--json", "ticket", "open", "--centre", "DE-PSC-TEST", "--product",
		            "EOS R5", "--serial", zones[i][1], "--service", "repair", "--received",
		            "2026-11-23 09:30", NULL);
		expect_exit(o, 0);
		/* 09:30 in Berlin (CET, UTC+1), not 09:30 in the workstation's zone. */
		ck_assert_str_eq(jget(o->out, "received_at"), "\"2026-11-23T08:30:00Z\"");
	}
	/* --tz says otherwise; on a move the ticket's centre decides. */
	o = ctl("--json", "ticket", "open", "--centre", "DE-PSC-TEST", "--product", "EOS R5",
	        "--serial", "0005", "--service", "repair", "--received", "2026-11-23 09:30", "--tz",
	        "America/New_York", NULL);
	expect_exit(o, 0);
	ck_assert_str_eq(jget(o->out, "received_at"), "\"2026-11-23T14:30:00Z\"");
	{
		const char *env[] = {"TZ=America/New_York", NULL};
		o = ctl_env(env, "ticket", "move", "1", "awaiting_parts", "--at",
		            "2026-11-23 10:00", "--eta", "2026-11-27 16:00", NULL);
		expect_exit(o, 0);
		/* Shown in the centre's zone with its abbreviation, the parts ETA too. */
		expect_in(o->out, "2026-11-27 16:00 CET");
		o = ctl_env(env, "ticket", "history", "1", NULL);
		expect_in(o->out, "2026-11-23 10:00 CET");
		expect_in(o->out, "ETA 2026-11-27 16:00 CET");
		expect_not_in(o->out, "T15:00:00Z");
	}
	o = ctl("--json", "ticket", "history", "1", NULL);
	expect_in(o->out, "\"at\": \"2026-11-23T09:00:00Z\"");
	expect_in(o->out, "ETA 2026-11-27T15:00:00Z"); /* --json stays UTC */
	o = ctl("ticket", "move", "1", "in_repair", "--at", "2026-11-23 11:00", "--tz", "Mars/Base",
	        NULL);
	expect_exit(o, 64);
	expect_in(o->err, "--tz \"Mars/Base\"");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("repairctl_input");
	TCase *tc = tcase_create("input");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_forgiving_input);
	tcase_add_test(tc, test_hints_and_usage);
	tcase_add_test(tc, test_completion_in_plain_bash);
	tcase_add_test(tc, test_typed_time_is_the_centres);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(suite());
}
