/* Unit tests: the access: section of the configuration (users, roles, centres). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define HASH "sha256:f6302296b934fd23629ef2252a746c1f2b57a7d0446f069232a007fe0a1f046e"

static const char *base = "products: ../../conf/products.yaml\n"
                          "centres:\n"
                          "  - {id: DE-PSC-A, type: psc, country: DE, timezone: Europe/Berlin,\n"
                          "     hours: {mon: \"09:00-17:00\"}}\n";

static struct config *parse(const char *access, struct config_errors *errs)
{
	char text[2048];

	snprintf(text, sizeof text, "%s%s", base, access);
	return config_parse("a.yaml", text, strlen(text), "tests/unit", errs);
}

static void expect_error(const char *access, const char *needle)
{
	struct config_errors errs = {0};
	struct config *cfg = parse(access, &errs);
	int found = 0;

	ck_assert_ptr_null(cfg);
	for (size_t i = 0; i < errs.n; i++)
		found |= strstr(errs.msg[i], needle) != NULL;
	for (size_t i = 0; !found && i < errs.n; i++)
		fprintf(stderr, "  got: %s\n", errs.msg[i]);
	ck_assert_msg(found, "no error containing \"%s\"", needle);
	config_errors_free(&errs);
}

START_TEST(test_users_parse)
{
	struct config_errors errs = {0};
	struct config *cfg =
	        parse("access:\n"
	              "  unix_user: boss\n"
	              "  users:\n"
	              "    - {name: boss, password: \"" HASH "\", role: admin, centres: \"*\"}\n"
	              "    - {name: desk, password: \"" HASH "\", role: staff,\n"
	              "       centres: [DE-PSC-A]}\n",
	              &errs);
	const struct user *u;

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(cfg);
	ck_assert(cfg->tcp_auth);
	ck_assert_uint_eq(cfg->nusers, 2);
	u = config_user(cfg, "desk");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->role, ROLE_STAFF);
	ck_assert(config_user_has_centre(u, "DE-PSC-A"));
	ck_assert(!config_user_has_centre(u, "DE-PSC-B"));
	ck_assert(config_user_has_centre(config_user(cfg, "boss"), "anything"));
	ck_assert_int_eq(config_user(cfg, "boss")->sha256[0], 0xf6);
	ck_assert_ptr_null(config_user(cfg, "nobody"));
	config_free(cfg);
}
END_TEST

START_TEST(test_access_errors)
{
	expect_error("access:\n  users:\n    - {name: a, password: \"secret\", role: admin, "
	             "centres: \"*\"}\n",
	             "password must be \"sha256:\" and 64 hex digits");
	expect_error("access:\n  users:\n    - {name: a, password: \"" HASH
	             "\", role: boss, centres: \"*\"}\n",
	             "unknown value \"boss\" (allowed: admin, staff, partner, viewer)");
	expect_error("access:\n  users:\n    - {name: a, password: \"" HASH
	             "\", role: staff, centres: [XX-NOPE]}\n",
	             "no centre \"XX-NOPE\"");
	expect_error("access:\n  users:\n    - {name: a, password: \"" HASH
	             "\", centres: \"*\"}\n    - {name: a, password: \"" HASH
	             "\", centres: \"*\"}\n",
	             "user \"a\" listed twice");
	expect_error("access:\n  users:\n    - {name: a, password: \"" HASH "\", centres: \"*\"}\n",
	             "access.unix_user: no user \"admin\"");
	expect_error("listen: {tcp: [\"10.0.0.5:7878\"]}\naccess: {tcp_auth: off}\n",
	             "only when every TCP listener is on loopback, and 10.0.0.5:7878 is not");
	expect_error("access: {tcp_auth: maybe}\n", "not a boolean");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("access-config");
	TCase *tc = tcase_create("access-config");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_users_parse);
	tcase_add_test(tc, test_access_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
