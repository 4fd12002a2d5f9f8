/*
 * policy: the Fast Track rules of docs/rules.md as functions of the configuration
 * and the facts of one booking: effective tier, programme, the Fast Track
 * decision with the first reason that fails, the turnaround target and the
 * loan rule. Also the validation of the values a booking is made of
 * (membership numbers, serials, centre ids).
 *
 * Pure: no I/O, no clock, no state of its own.
 */
#ifndef REPAIRD_POLICY_H
#define REPAIRD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "domain.h"

/* The first Fast Track check that failed (docs/rules.md, "Fast Track", "Turnaround targets"). */
enum ft_reason {
	FT_OK,
	FT_NOT_A_MEMBER,
	FT_MEMBERSHIP_EXPIRED,
	FT_TIER_BELOW_SILVER,
	FT_PRODUCT_NOT_ELIGIBLE,
	FT_PRODUCT_UNLISTED,
	FT_REGISTRATION_INCOMPLETE,
	FT_SERVICE_NOT_HERE,
	FT_IN_SERVICE_LIMIT,
	FT_OUTSIDE_EMEA, /* last: journals store the number; the check comes after expiry */
	FT_REASON_COUNT
};

extern const char *const ft_reason_names[FT_REASON_COUNT]; /* "fast-track", "not-a-member", ... */

/* A member as policy sees it. */
struct policy_member {
	enum tier tier; /* as recorded */
	char country[3];
	int has_programme; /* the record names its programme */
	enum programme programme;
	int32_t expires; /* local date, or -1 for no expiry */
};

/* The facts of one booking. member == NULL: a non-member. product == NULL: unlisted. */
struct policy_booking {
	const struct policy_member *member;
	const struct product *product;
	const struct centre *centre;
	enum service service;
	bool registered;
	int32_t today; /* the date the ticket is opened, in the centre's timezone */
};

struct policy_decision {
	bool fast_track;
	enum ft_reason reason; /* FT_OK when fast_track */
	enum tier tier;        /* effective tier snapshot; TIER_NONE for a non-member */
	enum programme programme;
	bool priority;      /* a member of another region: standard service, taken first */
	int target_days;    /* business days */
	unsigned loan_rule; /* LOAN_ON_* bits; 0 unless Fast Track */
};

/* Programme: the member record's own, else its country's, else the default. */
enum programme policy_programme(const struct config *cfg, const struct policy_member *m);
/* Tier after the Silver-only cap of the member's country. */
enum tier policy_effective_tier(const struct config *cfg, const struct policy_member *m);
bool policy_expired(const struct policy_member *m, int32_t today);

/*
 * The decision for a booking, every check but the in-service limit (which is
 * made at receipt, see policy_limit_reached()).
 */
void policy_decide(const struct config *cfg, const struct policy_booking *b,
                   struct policy_decision *out);
/*
 * Target in business days for a Fast Track ticket of this tier, programme and
 * product at a centre in country: the service level of the country where the
 * work is done, when that country runs the member's programme (a free-programme
 * member at a subscription country's centre keeps the free programme's targets).
 */
int policy_target_days(const struct config *cfg, enum tier tier, enum programme prog,
                       const char *country, const struct product *product);
/* Target for standard service. */
int policy_standard_days(const struct config *cfg, const struct product *product);
unsigned policy_loan_rule(const struct config *cfg, enum programme prog, enum tier tier);

/*
 * Value checks. Each returns 0, or -1 with a sentence in err that names the
 * value and says what is allowed (docs/protocol.md, "Values").
 */
int policy_parse_member_number(const char *s, uint64_t *out, char *err, size_t errlen);
int policy_check_serial(const char *s, char *err, size_t errlen);
int policy_check_centre_id(const char *s, char *err, size_t errlen);

#endif
