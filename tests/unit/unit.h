/*
 * unit: what the unit-test programs share. A header of static inline
 * functions: each unit test is linked from its own object and the core alone.
 */
#ifndef REPAIRD_UNIT_H
#define REPAIRD_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Run the suite (CK_NORMAL): the exit status for main(). */
static inline int unit_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * A new temporary directory /tmp/repaird-test-<what>-XXXXXX (into dir) holding
 * products_yaml as products.yaml, which the tests' configurations name.
 */
static inline void unit_tmpdir_with_products(char *dir, size_t len, const char *what,
                                             const char *products_yaml)
{
	char path[256];
	FILE *f;

	snprintf(dir, len, "/tmp/repaird-test-%s-XXXXXX", what);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/products.yaml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(products_yaml, f);
	fclose(f);
}

/* The directory unit_tmpdir_with_products() made, and its catalogue, removed. */
static inline void unit_tmpdir_remove(const char *dir)
{
	char path[256];

	snprintf(path, sizeof path, "%s/products.yaml", dir);
	unlink(path);
	rmdir(dir);
}

/* The configuration text parsed as `name` (products beside it in dir); any error fails the test. */
static inline struct config *unit_config(const char *name, const char *text, const char *dir)
{
	struct config_errors errs = {0};
	struct config *cfg = config_parse(name, text, strlen(text), dir, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	config_errors_free(&errs);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

#endif
