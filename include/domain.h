/*
 * domain: the fixed vocabulary of the repair service (tiers, programmes,
 * centre types, services, product classes, ticket states, event types) and
 * the conversions between these enumerations and their wire names.
 *
 * Pure: no I/O, no clock, no allocation. Wire names are lower case; parsing
 * accepts any case (docs/protocol.md, "Connecting").
 */
#ifndef REPAIRD_DOMAIN_H
#define REPAIRD_DOMAIN_H

#include <stdbool.h>

/* Tiers in rank order: Red has no Fast Track; everything from Silver up does. */
enum tier {
	TIER_RED,
	TIER_SILVER,
	TIER_GOLD,
	TIER_PLATINUM,
	TIER_ENTERPRISE_C,
	TIER_ENTERPRISE_B,
	TIER_ENTERPRISE_A,
	TIER_COUNT,
	TIER_NONE = -1 /* a non-member */
};

enum programme { PROGRAMME_FREE, PROGRAMME_SUBSCRIPTION, PROGRAMME_COUNT };

enum centre_type { CENTRE_PSC, CENTRE_CEC, CENTRE_ASP, CENTRE_TYPE_COUNT };

enum service { SERVICE_REPAIR, SERVICE_MAINTENANCE, SERVICE_UPGRADE, SERVICE_COUNT };

enum product_class {
	PCLASS_BODY,
	PCLASS_LENS,
	PCLASS_VIDEO,
	PCLASS_FLASH,
	PCLASS_OTHER,
	PCLASS_COUNT
};

enum ticket_state {
	TSTATE_BOOKED,
	TSTATE_RECEIVED,
	TSTATE_DIAGNOSING,
	TSTATE_AWAITING_CUSTOMER,
	TSTATE_AWAITING_PARTS,
	TSTATE_IN_REPAIR,
	TSTATE_READY,
	TSTATE_RETURNED,
	TSTATE_CANCELLED,
	TSTATE_COUNT
};

enum over_limit { OVER_LIMIT_STANDARD, OVER_LIMIT_REJECT, OVER_LIMIT_QUEUE, OVER_LIMIT_COUNT };

/* When a Fast Track ticket becomes loan-eligible (docs/rules.md, "Courtesy loans"). */
enum loan_reason {
	LOAN_REASON_BOOKING,
	LOAN_REASON_FORECAST,
	LOAN_REASON_BREACH,
	LOAN_REASON_COUNT
};
#define LOAN_ON_BOOKING  (1u << LOAN_REASON_BOOKING)
#define LOAN_ON_FORECAST (1u << LOAN_REASON_FORECAST)
#define LOAN_ON_BREACH   (1u << LOAN_REASON_BREACH)

enum event_type {
	EVENT_TICKET_OPENED,
	EVENT_TICKET_RECEIVED,
	EVENT_TICKET_STATE,
	EVENT_TICKET_AT_RISK,
	EVENT_TICKET_BREACHED,
	EVENT_TICKET_READY,
	EVENT_TICKET_CLOSED,
	EVENT_TICKET_PROMOTED,
	EVENT_LOAN_ELIGIBLE,
	EVENT_LOAN_ISSUED,
	EVENT_LOAN_RETURNED,
	EVENT_TYPE_COUNT
};

enum fsync_policy { FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO, FSYNC_COUNT };

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERR,
	LOG_LEVEL_COUNT
};

/* One name table per enumeration; NULL-free, indexed by the enum value. */
extern const char *const tier_names[TIER_COUNT];
extern const char *const programme_names[PROGRAMME_COUNT];
extern const char *const centre_type_names[CENTRE_TYPE_COUNT];
extern const char *const service_names[SERVICE_COUNT];
extern const char *const product_class_names[PCLASS_COUNT];
extern const char *const ticket_state_names[TSTATE_COUNT];
extern const char *const over_limit_names[OVER_LIMIT_COUNT];
extern const char *const loan_reason_names[LOAN_REASON_COUNT];
extern const char *const event_type_names[EVENT_TYPE_COUNT];
extern const char *const fsync_policy_names[FSYNC_COUNT];
extern const char *const log_level_names[LOG_LEVEL_COUNT];

/*
 * Look a name up in a table, ignoring case; returns the index or -1.
 * domain_list() writes "a, b, c" (for error messages that say what is allowed).
 */
int domain_lookup(const char *const *table, int count, const char *name);
const char *domain_list(const char *const *table, int count, char *buf, unsigned long len);

const char *tier_name(enum tier t); /* "" for TIER_NONE */
bool tier_is_enterprise(enum tier t);

/* ISO 3166-1 alpha-2: true when code (two upper-case letters) is assigned. */
bool country_code_exists(const char *code);

#endif
