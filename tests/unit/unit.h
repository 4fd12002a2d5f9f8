/*
 * unit: what the unit-test programs share. A header of static inline
 * functions: each unit test is linked from its own object and the core alone.
 */
#ifndef REPAIRD_UNIT_H
#define REPAIRD_UNIT_H

#include <check.h>
#include <stdlib.h>

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

#endif
