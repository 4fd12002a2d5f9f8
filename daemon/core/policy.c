/* policy: docs/rules.md's Fast Track rules as pure functions. */
#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *const ft_reason_names[FT_REASON_COUNT] = {"fast-track",
                                                      "not-a-member",
                                                      "membership-expired",
                                                      "tier-below-silver",
                                                      "product-not-eligible",
                                                      "product-unlisted",
                                                      "registration-incomplete",
                                                      "service-not-fast-track-here",
                                                      "in-service-limit",
                                                      "outside-emea"};

enum programme policy_programme(const struct config *cfg, const struct policy_member *m)
{
	const struct country *c;

	/* Enterprise tiers exist only in the subscription programme (seed 000). */
	if (tier_is_enterprise(m->tier))
		return PROGRAMME_SUBSCRIPTION;
	if (m->has_programme)
		return m->programme;
	c = config_country(cfg, m->country);
	return c ? c->programme : cfg->default_programme;
}

enum tier policy_effective_tier(const struct config *cfg, const struct policy_member *m)
{
	const struct country *c = config_country(cfg, m->country);

	/* Silver-only markets (seed 001): served at most as Silver, Enterprise included. */
	if (c && c->silver_only && m->tier != TIER_RED)
		return TIER_SILVER;
	return m->tier;
}

bool policy_expired(const struct policy_member *m, int32_t today)
{
	return m->expires >= 0 && today > m->expires;
}

int policy_standard_days(const struct config *cfg, const struct product *product)
{
	int days = cfg->standard_days;

	if (product && product->video && days < cfg->video_min_days)
		days = cfg->video_min_days;
	return days;
}

int policy_target_days(const struct config *cfg, enum tier tier, enum programme prog,
                       const char *country, const struct product *product)
{
	const struct country *c = country ? config_country(cfg, country) : NULL;
	int days = cfg->target_days[tier];

	/* The country's service level is its programme's (seed 002). */
	if (c && c->programme == prog && c->target_days[tier] > 0)
		days = c->target_days[tier];
	/* Video products never get a target below the video minimum (seed 002). */
	if (product && product->video && days < cfg->video_min_days)
		days = cfg->video_min_days;
	return days;
}

unsigned policy_loan_rule(const struct config *cfg, enum programme prog, enum tier tier)
{
	if (tier < 0 || tier >= TIER_COUNT)
		return 0;
	return cfg->loan_rules[prog][tier];
}

static enum ft_reason first_failure(const struct config *cfg, const struct policy_booking *b,
                                    enum tier tier)
{
	if (b->member == NULL)
		return FT_NOT_A_MEMBER;
	/* Only subscriptions expire; the free programme has no expiry (seed 002). */
	if (policy_programme(cfg, b->member) == PROGRAMME_SUBSCRIPTION &&
	    policy_expired(b->member, b->today))
		return FT_MEMBERSHIP_EXPIRED;
	/* A member of another region: priority, not the European benefits (seeds 001, 002). */
	if (!config_is_emea(cfg, b->member->country))
		return FT_OUTSIDE_EMEA;
	if (tier < TIER_SILVER)
		return FT_TIER_BELOW_SILVER;
	if (b->product == NULL)
		return FT_PRODUCT_UNLISTED;
	if (!b->product->fast_track)
		return FT_PRODUCT_NOT_ELIGIBLE;
	if (!b->registered)
		return FT_REGISTRATION_INCOMPLETE;
	if (!(cfg->fast_track_services[b->centre->type] & (1u << b->service)))
		return FT_SERVICE_NOT_HERE;
	return FT_OK;
}

void policy_decide(const struct config *cfg, const struct policy_booking *b,
                   struct policy_decision *out)
{
	memset(out, 0, sizeof *out);
	if (b->member) {
		out->tier = policy_effective_tier(cfg, b->member);
		out->programme = policy_programme(cfg, b->member);
	} else {
		out->tier = TIER_NONE;
		out->programme = cfg->default_programme;
		if (b->centre) {
			const struct country *c = config_country(cfg, b->centre->country);
			if (c)
				out->programme = c->programme;
		}
	}
	out->reason = first_failure(cfg, b, out->tier);
	out->fast_track = out->reason == FT_OK;
	out->priority = out->reason == FT_OUTSIDE_EMEA;
	if (out->fast_track) {
		out->target_days = policy_target_days(cfg, out->tier, out->programme,
		                                      b->centre->country, b->product);
		out->loan_rule = policy_loan_rule(cfg, out->programme, out->tier);
	} else {
		out->target_days = policy_standard_days(cfg, b->product);
	}
}

int policy_parse_member_number(const char *s, uint64_t *out, char *err, size_t errlen)
{
	size_t n = strlen(s);
	uint64_t v = 0;
	int letters = 0, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (isalpha((unsigned char)s[i]))
			letters++;
	}
	/* The old alphanumeric numbers (e.g. UK013795RS) expired in April 2010 (seed 001). */
	if (letters > 0 && digits > 0 && letters + digits == (int)n && n <= 16) {
		snprintf(err, errlen,
		         "member \"%s\": alphanumeric membership numbers expired in April 2010; "
		         "the member must re-register for a numeric number",
		         s);
		return -1;
	}
	if (n == 0 || n > 12 || digits != (int)n) {
		snprintf(err, errlen, "member \"%.40s\": a membership number is 1-12 digits", s);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v == 0) {
		snprintf(err, errlen, "member \"%s\": a membership number is not zero", s);
		return -1;
	}
	*out = v;
	return 0;
}

int policy_check_serial(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80) {
			snprintf(err, errlen, "serial \"%.40s\": letters and digits only", s);
			return -1;
		}
	}
	if (n < 4 || n > 32) {
		snprintf(err, errlen, "serial \"%.40s\": 4-32 letters and digits", s);
		return -1;
	}
	return 0;
}

int policy_check_centre_id(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
			snprintf(err, errlen, "centre \"%.40s\": 1-32 of A-Z, 0-9 and '-'", s);
			return -1;
		}
	}
	if (n == 0 || n > 32) {
		snprintf(err, errlen, "centre \"%.40s\": 1-32 of A-Z, 0-9 and '-'", s);
		return -1;
	}
	return 0;
}
