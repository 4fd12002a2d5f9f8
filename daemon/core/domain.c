/* domain: enumeration names and the ISO 3166 country list. Pure. */
#include "domain.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

const char *const tier_names[TIER_COUNT] = {
        "red", "silver", "gold", "platinum", "enterprise-c", "enterprise-b", "enterprise-a"};
const char *const programme_names[PROGRAMME_COUNT] = {"free", "subscription"};
const char *const centre_type_names[CENTRE_TYPE_COUNT] = {"psc", "cec", "asp"};
const char *const service_names[SERVICE_COUNT] = {"repair", "maintenance", "upgrade"};
const char *const product_class_names[PCLASS_COUNT] = {"body", "lens", "video", "flash", "other"};
const char *const ticket_state_names[TSTATE_COUNT] = {
        "booked",    "received", "diagnosing", "awaiting_customer", "awaiting_parts",
        "in_repair", "ready",    "returned",   "cancelled"};
const char *const over_limit_names[OVER_LIMIT_COUNT] = {"standard", "reject", "queue"};
const char *const loan_reason_names[LOAN_REASON_COUNT] = {"booking", "forecast", "breach"};
const char *const event_type_names[EVENT_TYPE_COUNT] = {
        "ticket.opened",   "ticket.received", "ticket.state",  "ticket.at_risk",
        "ticket.breached", "ticket.ready",    "ticket.closed", "ticket.promoted",
        "loan.eligible",   "loan.issued",     "loan.returned"};
const char *const fsync_policy_names[FSYNC_COUNT] = {"always", "everysec", "no"};
const char *const log_level_names[LOG_LEVEL_COUNT] = {"debug", "info", "notice", "warning", "err"};

int domain_lookup(const char *const *table, int count, const char *name)
{
	/* A hot path (TICKET.MOVE's state): no locale, and the first byte rules out most. */
	unsigned char first = text_fold((unsigned char)name[0]);

	for (int i = 0; i < count; i++)
		if (text_fold((unsigned char)table[i][0]) == first && text_caseeq(table[i], name))
			return i;
	return -1;
}

const char *domain_list(const char *const *table, int count, char *buf, unsigned long len)
{
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (int i = 0; i < count && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", table[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

const char *tier_name(enum tier t)
{
	return (t >= 0 && t < TIER_COUNT) ? tier_names[t] : "";
}

bool tier_is_enterprise(enum tier t)
{
	return t == TIER_ENTERPRISE_A || t == TIER_ENTERPRISE_B || t == TIER_ENTERPRISE_C;
}

/* Generated from tzdata's iso3166.tab: every assigned alpha-2 code, sorted. */
static const char country_codes[] = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQ"
                                    "BRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDM"
                                    "DODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGS"
                                    "GTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
                                    "KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQ"
                                    "MRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPM"
                                    "PNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSV"
                                    "SXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
                                    "VNVUWFWSYEYTZAZMZW";

bool country_code_exists(const char *code)
{
	size_t lo = 0, hi = (sizeof(country_codes) - 1) / 2;

	if (code == NULL || strlen(code) != 2)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(country_codes + 2 * mid, code, 2);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
