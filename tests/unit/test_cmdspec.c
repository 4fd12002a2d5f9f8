/* Unit tests for cmdspec: usage lines read as Redis 7's COMMAND DOCS argument tree. */
#include "cmdspec.h"
#include "unit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tree written back as redis-cli writes its hints: it must give the usage again. */
static void render(const struct cmdspec *s, int i, char *out, size_t cap)
{
	for (; i >= 0; i = s->arg[i].next) {
		const struct cmdspec_arg *a = &s->arg[i];
		size_t n = strlen(out);
		snprintf(out + n, cap - n, "%s%s%s%s", n && out[n - 1] != '[' ? " " : "",
		         a->optional ? "[" : "", a->token,
		         a->token[0] && a->type != CMDSPEC_PURE_TOKEN ? " " : "");
		if (a->type == CMDSPEC_ONEOF) {
			for (int c = a->child; c >= 0; c = s->arg[c].next) {
				n = strlen(out);
				snprintf(out + n, cap - n, "%s%s", c == a->child ? "" : "|",
				         s->arg[c].token);
			}
		} else if (a->type == CMDSPEC_BLOCK) {
			char inner[256] = "";
			render(s, a->child, inner, sizeof inner);
			n = strlen(out);
			snprintf(out + n, cap - n, "%s", inner);
		} else if (a->type != CMDSPEC_PURE_TOKEN) {
			n = strlen(out);
			snprintf(out + n, cap - n, "%s", a->name);
		}
		n = strlen(out);
		snprintf(out + n, cap - n, "%s%s", a->multiple ? " ..." : "",
		         a->optional ? "]" : "");
	}
}

static const struct cmdspec_arg *top(const struct cmdspec *s, int k)
{
	int i = s->first;

	while (i >= 0 && k-- > 0)
		i = s->arg[i].next;
	ck_assert_int_ge(i, 0);
	return &s->arg[i];
}

START_TEST(test_round_trip)
{
	static const char *const usages[] = {
	        "TICKET.OPEN CENTRE id PRODUCT model SERIAL sn SERVICE repair|maintenance|upgrade "
	        "[MEMBER number] [REGISTERED yes|no] [RECEIVED time] [UNLISTED] [NOTE text]",
	        "TICKET.LIST [CENTRE id] [STATE state] [OPEN|CLOSED|ALL] [ATRISK] [COUNT n]",
	        "TICKET.MOVE id state [AT time] [ETA time] [NOTE text]",
	        "PING [message]",
	        "HELLO [protover [AUTH username password] [SETNAME clientname]]",
	        "CLIENT SETINFO LIB-NAME|LIB-VER value",
	};
	static const char *const expect[] = {
	        "CENTRE id PRODUCT model SERIAL sn SERVICE repair|maintenance|upgrade "
	        "[MEMBER number] [REGISTERED yes|no] [RECEIVED time] [UNLISTED] [NOTE text]",
	        "[CENTRE id] [STATE state] [OPEN|CLOSED|ALL] [ATRISK] [COUNT n]",
	        "id state [AT time] [ETA time] [NOTE text]",
	        "[message]",
	        "[protover [AUTH username password] [SETNAME clientname]]",
	        "LIB-NAME|LIB-VER value",
	};
	struct cmdspec s;
	char err[80], out[512];

	for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++) {
		ck_assert_int_eq(cmdspec_parse(usages[i], strncmp(usages[i], "CLIENT ", 7) ? 1 : 2,
		                               &s, err, sizeof err),
		                 0);
		out[0] = '\0';
		render(&s, s.first, out, sizeof out);
		ck_assert_str_eq(out, expect[i]);
	}
}
END_TEST

START_TEST(test_shapes)
{
	struct cmdspec s;
	char err[80];
	const struct cmdspec_arg *a;

	ck_assert_int_eq(cmdspec_parse("MEMBER.SET number TIER tier [PROGRAMME free|subscription] "
	                               "[FASTTRACK]",
	                               1, &s, err, sizeof err),
	                 0);
	a = top(&s, 0);
	ck_assert_str_eq(a->name, "number");
	ck_assert_int_eq(a->type, CMDSPEC_INTEGER);
	ck_assert_str_eq(a->token, "");
	ck_assert(!a->optional);
	a = top(&s, 1);
	ck_assert_str_eq(a->name, "tier");
	ck_assert_str_eq(a->token, "TIER");
	ck_assert_int_eq(a->type, CMDSPEC_STRING);
	a = top(&s, 2);
	ck_assert_int_eq(a->type, CMDSPEC_ONEOF);
	ck_assert_str_eq(a->token, "PROGRAMME");
	ck_assert(a->optional);
	ck_assert_str_eq(s.arg[a->child].token, "free");
	ck_assert_int_eq(s.arg[a->child].type, CMDSPEC_PURE_TOKEN);
	ck_assert_str_eq(s.arg[s.arg[a->child].next].token, "subscription");
	ck_assert_int_eq(s.arg[s.arg[a->child].next].next, -1);
	a = top(&s, 3);
	ck_assert_int_eq(a->type, CMDSPEC_PURE_TOKEN);
	ck_assert_str_eq(a->token, "FASTTRACK");
	ck_assert_str_eq(a->name, "fasttrack");
	ck_assert_int_eq(a->next, -1);
	ck_assert_str_eq(cmdspec_type_names[CMDSPEC_PURE_TOKEN], "pure-token");
}
END_TEST

/* HELLO as Redis documents it: a block with a block "username-password" under AUTH. */
START_TEST(test_nested_blocks)
{
	struct cmdspec s;
	char err[80];
	const struct cmdspec_arg *a, *auth;

	ck_assert_int_eq(cmdspec_parse("HELLO [protover [AUTH username password] "
	                               "[SETNAME clientname]]",
	                               1, &s, err, sizeof err),
	                 0);
	a = top(&s, 0);
	ck_assert_int_eq(a->type, CMDSPEC_BLOCK);
	ck_assert(a->optional);
	ck_assert_int_eq(a->next, -1);
	ck_assert_str_eq(s.arg[a->child].name, "protover");
	ck_assert_int_eq(s.arg[a->child].type, CMDSPEC_INTEGER);
	auth = &s.arg[s.arg[a->child].next];
	ck_assert_int_eq(auth->type, CMDSPEC_BLOCK);
	ck_assert_str_eq(auth->name, "username-password");
	ck_assert_str_eq(auth->token, "AUTH");
	ck_assert(auth->optional);
	ck_assert_str_eq(s.arg[auth->child].name, "username");
	ck_assert_str_eq(s.arg[s.arg[auth->child].next].name, "password");
}
END_TEST

START_TEST(test_subcommand_and_repeat)
{
	struct cmdspec s;
	char err[80];

	ck_assert_int_eq(cmdspec_parse("COMMAND DOCS [command-name ...]", 2, &s, err, sizeof err),
	                 0);
	ck_assert_str_eq(top(&s, 0)->name, "command-name");
	ck_assert(top(&s, 0)->optional);
	ck_assert(top(&s, 0)->multiple);
	ck_assert_int_eq(cmdspec_parse("WATCH key [key ...]", 1, &s, err, sizeof err), 0);
	ck_assert_str_eq(top(&s, 0)->name, "key");
	ck_assert(!top(&s, 0)->optional);
	ck_assert(top(&s, 0)->multiple);
	ck_assert_int_eq(top(&s, 0)->next, -1);
	ck_assert_int_eq(cmdspec_parse("MULTI", 1, &s, err, sizeof err), 0);
	ck_assert_int_eq(s.first, -1);
}
END_TEST

START_TEST(test_malformed)
{
	struct cmdspec s;
	char err[80];

	ck_assert_int_eq(cmdspec_parse("X [a", 1, &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "a [ without its ]");
	ck_assert_int_eq(cmdspec_parse("X a]", 1, &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "a ] without its [");
	ck_assert_int_eq(cmdspec_parse("X []", 1, &s, err, sizeof err), -1);
	ck_assert_int_eq(cmdspec_parse("X ... a", 1, &s, err, sizeof err), -1);
	ck_assert_int_eq(cmdspec_parse("X averyveryveryveryveryveryverylongargumentname", 1, &s,
	                               err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "a word too long");
}
END_TEST

static Suite *cmdspec_suite(void)
{
	Suite *s = suite_create("cmdspec");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_nested_blocks);
	tcase_add_test(tc, test_subcommand_and_repeat);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(cmdspec_suite());
}
