/* Unit tests: password hashes (scrypt PHC strings, the legacy sha256 form). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "unit.h"

/* RFC 7914, section 12: scrypt("password", "NaCl", N=1024, r=8, p=16, 64 bytes), as PHC. */
#define RFC7914                                                                                    \
	"$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/"    \
	"xCSedmDDaxyevuUqD7m2DYMvfoswGQA"

START_TEST(test_rfc7914_vector)
{
	enum password_kind kind;
	char err[160];

	ck_assert_int_eq(password_parse(RFC7914, &kind, err, sizeof err), 0);
	ck_assert_int_eq(kind, PASSWORD_SCRYPT);
	ck_assert(password_verify(RFC7914, "password", 8));
	ck_assert(!password_verify(RFC7914, "passwore", 8));
	ck_assert(!password_verify(RFC7914, "password", 7));
}
END_TEST

START_TEST(test_hash_round_trip)
{
	static const unsigned char salt1[PASSWORD_SALT_LEN] = "aaaaaaaaaaaaaaaa";
	static const unsigned char salt2[PASSWORD_SALT_LEN] = "aaaaaaaaaaaaaaab";
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX], err[160];
	enum password_kind kind;

	ck_assert_int_eq(password_hash("s3cret", 6, salt1, sizeof salt1, a, sizeof a), 0);
	ck_assert_int_eq(password_hash("s3cret", 6, salt2, sizeof salt2, b, sizeof b), 0);
	ck_assert_int_eq(strncmp(a, "$scrypt$ln=14,r=8,p=1$", 22), 0);
	ck_assert_str_ne(a, b); /* salted: the same password, two strings */
	ck_assert_int_eq(password_parse(a, &kind, err, sizeof err), 0);
	ck_assert_int_eq(kind, PASSWORD_SCRYPT);
	ck_assert(password_verify(a, "s3cret", 6));
	ck_assert(password_verify(b, "s3cret", 6));
	ck_assert(!password_verify(a, "s3cres", 6));
	ck_assert(!password_verify(a, "", 0));
	/* An empty password hashes too (the config decides whether to allow one). */
	ck_assert_int_eq(password_hash("", 0, salt1, sizeof salt1, b, sizeof b), 0);
	ck_assert(password_verify(b, "", 0));
	/* A short salt, a short buffer. */
	ck_assert_int_eq(password_hash("x", 1, salt1, 7, a, sizeof a), -1);
	ck_assert_int_eq(password_hash("x", 1, salt1, sizeof salt1, a, 40), -1);
}
END_TEST

START_TEST(test_legacy_sha256)
{
	/* sha256("admin") */
	static const char *stored =
	        "sha256:8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918";
	enum password_kind kind;
	char err[160];

	ck_assert_int_eq(password_parse(stored, &kind, err, sizeof err), 0);
	ck_assert_int_eq(kind, PASSWORD_LEGACY_SHA256);
	ck_assert(password_verify(stored, "admin", 5));
	ck_assert(!password_verify(stored, "admim", 5));
}
END_TEST

START_TEST(test_malformed_never_verify)
{
	static const char *const bad[] = {
	        "",
	        "secret",
	        "sha256:8c69",
	        "sha256:zz6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918",
	        "$scrypt$",
	        "$scrypt$ln=14,r=8,p=1$",
	        "$scrypt$ln=14,r=8,p=1$c2FsdA$",
	        "$scrypt$ln=14,r=8,p=1$c2FsdA$AAAA",                    /* hash too short */
	        "$scrypt$ln=14,r=8,p=1$c2F sdA$AAAAAAAAAAAAAAAAAAAAAA", /* a blank */
	        "$scrypt$ln=0,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
	        "$scrypt$ln=14,r=8,p=1,x=2$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
	        "$scrypt$ln=20,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA", /* 1 GB */
	        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
	};
	enum password_kind kind;
	char err[160];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(password_parse(bad[i], &kind, err, sizeof err) == -1, "parsed %s",
		              bad[i]);
		ck_assert_msg(!password_verify(bad[i], "", 0), "verified %s", bad[i]);
		ck_assert_msg(!password_verify(bad[i], "secret", 6), "verified %s", bad[i]);
	}
	ck_assert(!password_verify(NULL, "x", 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("password");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rfc7914_vector);
	tcase_add_test(tc, test_hash_round_trip);
	tcase_add_test(tc, test_legacy_sha256);
	tcase_add_test(tc, test_malformed_never_verify);
	suite_add_tcase(s, tc);
	return unit_run_suite(s);
}
