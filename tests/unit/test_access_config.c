/* Unit tests: the access: section of the configuration (users, roles, centres). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "password.h"
#include "unit.h"

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
	ck_assert_str_eq(config_user(cfg, "boss")->password, HASH);
	ck_assert(config_user(cfg, "boss")->password_legacy);
	ck_assert_ptr_null(config_user(cfg, "nobody"));
	config_free(cfg);
}
END_TEST

/* The scrypt form is accepted and not flagged; both forms check a password. */
START_TEST(test_scrypt_password)
{
	struct config_errors errs = {0};
	static const unsigned char salt[PASSWORD_SALT_LEN] = "0123456789abcdef";
	char stored[PASSWORD_HASH_MAX], text[1024];
	struct config *cfg;
	const struct user *u;

	ck_assert_int_eq(password_hash("hunter2", 7, salt, sizeof salt, stored, sizeof stored), 0);
	snprintf(text, sizeof text,
	         "access:\n  unix_user: boss\n  users:\n"
	         "    - {name: boss, password: \"%s\", role: admin, centres: \"*\"}\n",
	         stored);
	cfg = parse(text, &errs);
	ck_assert_ptr_nonnull(cfg);
	u = config_user(cfg, "boss");
	ck_assert(!u->password_legacy);
	ck_assert(password_verify(u->password, "hunter2", 7));
	ck_assert(!password_verify(u->password, "hunter3", 7));
	config_free(cfg);
	config_errors_free(&errs);
}
END_TEST

START_TEST(test_access_errors)
{
	expect_error(
	        "access:\n  users:\n    - {name: a, password: \"secret\", role: admin, "
	        "centres: \"*\"}\n",
	        "password must be \"$scrypt$...\" or the legacy \"sha256:\" and 64 hex digits");
	expect_error(
	        "access:\n  users:\n    - {name: a, password: \"sha256:12\", centres: \"*\"}\n",
	        "password: not \"sha256:\" and 64 hex digits");
	expect_error("access:\n  users:\n    - {name: a, password: \"$scrypt$ln=14,r=8\", centres: "
	             "\"*\"}\n",
	             "password: not \"$scrypt$ln=N,r=N,p=N$<salt>$<hash>\"");
	/* A cost that would make every AUTH (and the daemon with it) wait is refused. */
	expect_error("access:\n  users:\n    - {name: a, password: "
	             "\"$scrypt$ln=24,r=8,p=1$c2FsdHNhbHQ$"
	             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", "
	             "centres: \"*\"}\n",
	             "scrypt cost ln=24,r=8,p=1 is beyond what AUTH may spend");
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

	tcase_add_test(tc, test_users_parse);
	tcase_add_test(tc, test_access_errors);
	tcase_add_test(tc, test_scrypt_password);
	suite_add_tcase(s, tc);
	return unit_run_suite(s);
}
