/*
 * Unit tests for the words of requests compared without the locale:
 * text_caseeq() and domain_lookup() answer as strcasecmp() does in the C
 * locale the daemon runs in, for every byte, and at every length.
 */
#include "domain.h"
#include "text.h"
#include "unit.h"

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Every pair of bytes, alone and inside words: the same answer as strcasecmp. */
START_TEST(test_caseeq_is_strcasecmp_for_every_byte)
{
	char a[4] = "x?y", b[4] = "X?Y";

	for (int x = 1; x < 256; x++) {
		for (int y = 1; y < 256; y++) {
			char s[2] = {(char)x, '\0'}, t[2] = {(char)y, '\0'};
			ck_assert_msg(text_caseeq(s, t) == (strcasecmp(s, t) == 0), "%02x %02x", x,
			              y);
			a[1] = (char)x;
			b[1] = (char)y;
			ck_assert_msg(text_caseeq(a, b) == (strcasecmp(a, b) == 0), "%02x %02x", x,
			              y);
		}
		ck_assert_uint_eq(text_fold((unsigned char)x),
		                  (unsigned char)(x >= 'A' && x <= 'Z' ? x + 32 : x));
	}
}
END_TEST

/* Prefixes, longer words and the empty word: only the whole word matches. */
START_TEST(test_caseeq_lengths)
{
	static const char *const words[] = {
	        "",          "a",          "A",      "in",        "IN_",          "in_repair",
	        "IN_REPAIR", "in_repairs", "in_rep", "In_RePaIr", "in\x80repair", "in\xc0repair"};
	size_t n = sizeof words / sizeof words[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			ck_assert_msg(text_caseeq(words[i], words[j]) ==
			                      (strcasecmp(words[i], words[j]) == 0),
			              "\"%s\" \"%s\"", words[i], words[j]);
}
END_TEST

/* Enumeration names in any case; a prefix, a longer word or another byte is none. */
START_TEST(test_domain_lookup)
{
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "in_repair"),
	                 TSTATE_IN_REPAIR);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "AWAITING_Parts"),
	                 TSTATE_AWAITING_PARTS);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "BOOKED"), TSTATE_BOOKED);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "cancelled"),
	                 TSTATE_CANCELLED);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "awaiting_"), -1);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "in_repairs"), -1);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, "in-repair"), -1);
	ck_assert_int_eq(domain_lookup(ticket_state_names, TSTATE_COUNT, ""), -1);
	ck_assert_int_eq(domain_lookup(tier_names, TIER_COUNT, "Enterprise-A"), TIER_ENTERPRISE_A);
	ck_assert_int_eq(domain_lookup(service_names, SERVICE_COUNT, "REPAIR"), SERVICE_REPAIR);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_caseeq_is_strcasecmp_for_every_byte);
	tcase_add_test(tc, test_caseeq_lengths);
	tcase_add_test(tc, test_domain_lookup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(text_suite());
}
