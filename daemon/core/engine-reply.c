/*
 * engine-reply: a ticket's reply (PROTOCOL.md), the hot path of TICKET.GET,
 * OPEN and MOVE, written straight from the ticket into one reservation.
 *
 * A field whose value is one of a few names is written as its name and value
 * together, encoded by the compiler ("$5\r\nstate\r\n$5\r\nready\r\n") and
 * copied with one fixed-size memcpy: no strlen, no length digits. Runs of
 * flags are one block with their digits set in place. Numbers and times are
 * written in place, a time's date from the engine's memo of recent days;
 * centre and product names take their length from the string pool.
 * test_ticket_reply compares every value of every field with the generic
 * encoding of engine_ticket_fields, and one whole reply with its text.
 */
#include <string.h>

#include "engine_impl.h"
#include "proto.h"
#include "timeutil.h"

/*
 * A field name as a bulk string, padded to NAME_WIDTH bytes so that it is
 * copied with one fixed-size memcpy (a couple of vector moves, no call); the
 * bytes past n are overwritten next.
 */
#define NAME_WIDTH 32
struct enc_name {
	char s[NAME_WIDTH];
	unsigned char n;
};
#define NAME(len, name)                                                                            \
	{                                                                                          \
		"$" #len "\r\n" name "\r\n", sizeof("$" #len "\r\n" name "\r\n") - 1               \
	}

/* A name and one of its values, as two bulk strings; the same padding. */
#define PAIR_WIDTH 48
struct enc_pair {
	char s[PAIR_WIDTH];
	unsigned char n;
};
#define PAIR(nlen, name, vlen, value)                                                              \
	{                                                                                          \
		"$" #nlen "\r\n" name "\r\n$" #vlen "\r\n" value "\r\n",                           \
		        sizeof("$" #nlen "\r\n" name "\r\n$" #vlen "\r\n" value "\r\n") - 1        \
	}

static const struct enc_name name_id = NAME(2, "id"), name_member = NAME(6, "member"),
                             name_centre = NAME(6, "centre"), name_product = NAME(7, "product"),
                             name_serial = NAME(6, "serial"),
                             name_target_days = NAME(11, "target_days"),
                             name_created_at = NAME(10, "created_at"),
                             name_received_at = NAME(11, "received_at"),
                             name_deadline = NAME(8, "deadline"),
                             name_used = NAME(12, "used_seconds"),
                             name_remaining = NAME(17, "remaining_seconds"),
                             name_ready_at = NAME(8, "ready_at"),
                             name_closed_at = NAME(9, "closed_at");

/* member of a non-member */
static const struct enc_pair no_member_pair = PAIR(6, "member", 0, "");
/* [TIER_COUNT]: a non-member */
static const struct enc_pair tier_pairs[TIER_COUNT + 1] = {
        PAIR(4, "tier", 3, "red"),           PAIR(4, "tier", 6, "silver"),
        PAIR(4, "tier", 4, "gold"),          PAIR(4, "tier", 8, "platinum"),
        PAIR(4, "tier", 12, "enterprise-c"), PAIR(4, "tier", 12, "enterprise-b"),
        PAIR(4, "tier", 12, "enterprise-a"), PAIR(4, "tier", 0, ""),
};
/* [PROGRAMME_COUNT]: a non-member */
static const struct enc_pair programme_pairs[PROGRAMME_COUNT + 1] = {
        PAIR(9, "programme", 4, "free"),
        PAIR(9, "programme", 12, "subscription"),
        PAIR(9, "programme", 0, ""),
};
/* [CENTRE_TYPE_COUNT]: a centre no longer configured */
static const struct enc_pair centre_type_pairs[CENTRE_TYPE_COUNT + 1] = {
        PAIR(11, "centre_type", 3, "psc"),
        PAIR(11, "centre_type", 3, "cec"),
        PAIR(11, "centre_type", 3, "asp"),
        PAIR(11, "centre_type", 0, ""),
};
static const struct enc_pair pclass_pairs[PCLASS_COUNT] = {
        PAIR(13, "product_class", 4, "body"),  PAIR(13, "product_class", 4, "lens"),
        PAIR(13, "product_class", 5, "video"), PAIR(13, "product_class", 5, "flash"),
        PAIR(13, "product_class", 5, "other"),
};
static const struct enc_pair service_pairs[SERVICE_COUNT] = {
        PAIR(7, "service", 6, "repair"),
        PAIR(7, "service", 11, "maintenance"),
        PAIR(7, "service", 7, "upgrade"),
};
static const struct enc_pair state_pairs[TSTATE_COUNT] = {
        PAIR(5, "state", 6, "booked"),          PAIR(5, "state", 8, "received"),
        PAIR(5, "state", 10, "diagnosing"),     PAIR(5, "state", 17, "awaiting_customer"),
        PAIR(5, "state", 14, "awaiting_parts"), PAIR(5, "state", 9, "in_repair"),
        PAIR(5, "state", 5, "ready"),           PAIR(5, "state", 8, "returned"),
        PAIR(5, "state", 9, "cancelled"),
};
static const struct enc_pair reason_pairs[FT_REASON_COUNT] = {
        PAIR(6, "reason", 10, "fast-track"),
        PAIR(6, "reason", 12, "not-a-member"),
        PAIR(6, "reason", 18, "membership-expired"),
        PAIR(6, "reason", 17, "tier-below-silver"),
        PAIR(6, "reason", 20, "product-not-eligible"),
        PAIR(6, "reason", 16, "product-unlisted"),
        PAIR(6, "reason", 23, "registration-incomplete"),
        PAIR(6, "reason", 27, "service-not-fast-track-here"),
        PAIR(6, "reason", 16, "in-service-limit"),
        PAIR(6, "reason", 12, "outside-emea"),
};
/* by met + 1: unset, missed, met */
static const struct enc_pair met_pairs[3] = {
        PAIR(3, "met", 0, ""),
        PAIR(3, "met", 1, "0"),
        PAIR(3, "met", 1, "1"),
};
static const struct enc_pair loan_eligible_pairs[2] = {
        PAIR(13, "loan_eligible", 1, "0"),
        PAIR(13, "loan_eligible", 1, "1"),
};
/* [LOAN_REASON_COUNT]: not eligible */
static const struct enc_pair loan_reason_pairs[LOAN_REASON_COUNT + 1] = {
        PAIR(11, "loan_reason", 7, "booking"),
        PAIR(11, "loan_reason", 8, "forecast"),
        PAIR(11, "loan_reason", 6, "breach"),
        PAIR(11, "loan_reason", 0, ""),
};
/* by enum loan_state */
static const struct enc_pair loan_state_pairs[3] = {
        PAIR(10, "loan_state", 0, ""),
        PAIR(10, "loan_state", 6, "issued"),
        PAIR(10, "loan_state", 8, "returned"),
};

/*
 * Runs of flags: their names, each flag's "$1\r\n" and "0\r\n" in one block of a
 * fixed length, copied whole; then each flag's digit is set at its offset.
 */
#define FLAG(nlen, name) "$" #nlen "\r\n" name "\r\n$1\r\n"
#define FLAG_FAST_TRACK  FLAG(10, "fast_track")
#define FLAG_PAUSED      FLAG(6, "paused")
#define FLAG_AT_RISK     FLAG(7, "at_risk")
#define FLAG_BREACHED    FLAG(8, "breached")
#define FLAG_QUEUED      FLAG(6, "queued")
#define FLAG_PRIORITY    FLAG(8, "priority")
#define FLAGS_WIDTH      64
static const char fast_track_flag[FLAGS_WIDTH] = FLAG_FAST_TRACK "0\r\n";
static const char clock_flags[FLAGS_WIDTH] =
        FLAG_PAUSED "0\r\n" FLAG_AT_RISK "0\r\n" FLAG_BREACHED "0\r\n";
static const char queue_flags[FLAGS_WIDTH] = FLAG_QUEUED "0\r\n" FLAG_PRIORITY "0\r\n";
enum {
	FAST_TRACK_LEN = sizeof(FLAG_FAST_TRACK "0\r\n") - 1,
	FAST_TRACK_AT = sizeof(FLAG_FAST_TRACK) - 1,
	CLOCK_FLAGS_LEN =
	        sizeof(FLAG_PAUSED "0\r\n" FLAG_AT_RISK "0\r\n" FLAG_BREACHED "0\r\n") - 1,
	PAUSED_AT = sizeof(FLAG_PAUSED) - 1,
	AT_RISK_AT = sizeof(FLAG_PAUSED "0\r\n" FLAG_AT_RISK) - 1,
	BREACHED_AT = sizeof(FLAG_PAUSED "0\r\n" FLAG_AT_RISK "0\r\n" FLAG_BREACHED) - 1,
	QUEUE_FLAGS_LEN = sizeof(FLAG_QUEUED "0\r\n" FLAG_PRIORITY "0\r\n") - 1,
	QUEUED_AT = sizeof(FLAG_QUEUED) - 1,
	PRIORITY_AT = sizeof(FLAG_QUEUED "0\r\n" FLAG_PRIORITY) - 1,
};
#undef NAME
#undef PAIR
#undef FLAG

/* The most bytes one field writes or overwrites, but for the length of a string value. */
#define FIELD_ROOM (PAIR_WIDTH + RESP_BULK_OVERHEAD + 24)

static char *put_name(char *d, const struct enc_name *e)
{
	memcpy(d, e->s, NAME_WIDTH);
	return d + e->n;
}

static char *put_pair(char *d, const struct enc_pair *e)
{
	memcpy(d, e->s, PAIR_WIDTH);
	return d + e->n;
}

/* "$<len>\r\n" for len < 100 (a time, a number, most names). */
static char *put_len(char *d, size_t len)
{
	d[0] = '$';
	if (len < 10) {
		d[1] = (char)('0' + len);
		d += 2;
	} else {
		d[1] = (char)('0' + len / 10);
		d[2] = (char)('0' + len % 10);
		d += 3;
	}
	d[0] = '\r';
	d[1] = '\n';
	return d + 2;
}

static char *put_str(char *d, const char *s, size_t len)
{
	if (len >= 100)
		return d + resp_put_bulk(d, s, len);
	d = put_len(d, len);
	memcpy(d, s, len);
	d[len] = '\r';
	d[len + 1] = '\n';
	return d + len + 2;
}

static const uint64_t pow10[20] = {1u,
                                   10u,
                                   100u,
                                   1000u,
                                   10000u,
                                   100000u,
                                   1000000u,
                                   10000000u,
                                   100000000u,
                                   1000000000u,
                                   10000000000u,
                                   100000000000u,
                                   1000000000000u,
                                   10000000000000u,
                                   100000000000000u,
                                   1000000000000000u,
                                   10000000000000000u,
                                   100000000000000000u,
                                   1000000000000000000u,
                                   10000000000000000000u};

/* The decimal of v as a bulk string, written from the right two digits at a time. */
static char *put_i64(char *d, int64_t v)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	/* Digits from the bit length (1233 / 4096 ~ log10 2), then one comparison. */
	unsigned bits = 64 - (unsigned)__builtin_clzll(u | 1), t = (bits * 1233) >> 12;
	size_t nd = t + ((u | 1) >= pow10[t]), neg = v < 0; /* 0 has a digit: 1's */
	char *p, *end;

	p = put_len(d, nd + neg); /* at most 20 characters */
	if (neg)
		*p = '-';
	end = p + nd + neg;
	p = end;
	while (u >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10)
		memcpy(p - 2, digit_pairs + 2 * u, 2);
	else
		p[-1] = (char)('0' + u);
	end[0] = '\r';
	end[1] = '\n';
	return end + 2;
}

#define TIME_BULK_LEN 27 /* "$20\r\n" "YYYY-MM-DDTHH:MM:SSZ" "\r\n" */

/* An instant, "" when not set; its date from the engine's memo when it has the day. */
static char *put_time(char *d, int64_t t, struct date_memo *dates)
{
	if (t == 0) {
		memcpy(d, "$0\r\n\r\n", 6);
		return d + 6;
	}
	memcpy(d, "$20\r\n", 5);
	time_format_memo(t, d + 5, dates, ENGINE_DATES);
	d[25] = '\r';
	d[26] = '\n';
	return d + TIME_BULK_LEN;
}

/* An interned name, "" for an id never given out (as engine_str). */
static const char *interned(const struct engine *e, uint32_t id)
{
	const char *s = strpool_str(&e->strings, id);

	return s ? s : "";
}

/* Index of v in a table whose last entry, [count], is the empty value. */
static unsigned or_none(int v, unsigned count)
{
	return v >= 0 && (unsigned)v < count ? (unsigned)v : count;
}

void engine_ticket_reply(const struct engine *e, const struct ticket *t, int64_t now, int resp,
                         struct rbuf *out)
{
	const struct centre *c = centre_of(e, t);
	size_t centre_len = strpool_len(&e->strings, t->centre);
	size_t product_len = strpool_len(&e->strings, t->product);
	size_t serial_len = strlen(t->serial);
	struct ticket_clock clk;
	char *d, *start, *created;

	engine_ticket_clock(e, t, now, &clk);
	/* An upper bound of the whole record: one reservation, then plain stores. */
	start = d = rbuf_reserve(out, 8 + TICKET_NFIELDS * FIELD_ROOM + centre_len + product_len +
	                                      serial_len);
	memcpy(d, resp >= 3 ? "%30\r\n" : "*60\r\n", 5);
	d += 5;
	d = put_i64(put_name(d, &name_id), (int64_t)t->id);
	if (t->member)
		d = put_i64(put_name(d, &name_member), (int64_t)t->member);
	else
		d = put_pair(d, &no_member_pair);
	d = put_pair(d, &tier_pairs[or_none(t->tier, TIER_COUNT)]);
	d = put_pair(d, &programme_pairs[or_none(t->programme, PROGRAMME_COUNT)]);
	d = put_str(put_name(d, &name_centre), interned(e, t->centre), centre_len);
	d = put_pair(d, &centre_type_pairs[c ? or_none((int)c->type, CENTRE_TYPE_COUNT)
	                                     : CENTRE_TYPE_COUNT]);
	d = put_str(put_name(d, &name_product), interned(e, t->product), product_len);
	d = put_pair(d, &pclass_pairs[t->pclass]);
	d = put_str(put_name(d, &name_serial), t->serial, serial_len);
	d = put_pair(d, &service_pairs[t->service]);
	d = put_pair(d, &state_pairs[t->state]);
	memcpy(d, fast_track_flag, FLAGS_WIDTH);
	d[FAST_TRACK_AT] = (char)('0' + t->fast_track);
	d += FAST_TRACK_LEN;
	d = put_pair(d, &reason_pairs[t->reason]);
	d = put_i64(put_name(d, &name_target_days), t->target_days);
	created = put_name(d, &name_created_at);
	d = put_time(created, t->created_at, e->dates);
	d = put_name(d, &name_received_at);
	if (t->received_at == t->created_at && t->created_at != 0) {
		/* Received when opened (a walk-in): the same 27 bytes again. */
		memcpy(d, created, TIME_BULK_LEN);
		d += TIME_BULK_LEN;
	} else {
		d = put_time(d, t->received_at, e->dates);
	}
	d = put_time(put_name(d, &name_deadline), t->deadline, e->dates);
	d = put_i64(put_name(d, &name_used), clk.used);
	d = put_i64(put_name(d, &name_remaining), clk.remaining);
	memcpy(d, clock_flags, FLAGS_WIDTH);
	d[PAUSED_AT] = (char)('0' + clk.paused);
	d[AT_RISK_AT] = (char)('0' + t->at_risk);
	d[BREACHED_AT] = (char)('0' + t->breached);
	d += CLOCK_FLAGS_LEN;
	d = put_time(put_name(d, &name_ready_at), t->ready_at, e->dates);
	d = put_time(put_name(d, &name_closed_at), t->closed_at, e->dates);
	d = put_pair(d, &met_pairs[t->met < 0 ? 0 : t->met ? 2 : 1]);
	d = put_pair(d, &loan_eligible_pairs[t->loan_eligible]);
	d = put_pair(d, &loan_reason_pairs[t->loan_eligible ? t->loan_reason : LOAN_REASON_COUNT]);
	d = put_pair(d, &loan_state_pairs[t->loan_state <= LOAN_RETURNED ? t->loan_state : 0]);
	memcpy(d, queue_flags, FLAGS_WIDTH);
	d[QUEUED_AT] = (char)('0' + t->queued);
	d[PRIORITY_AT] = (char)('0' + t->priority);
	d += QUEUE_FLAGS_LEN;
	out->len += (size_t)(d - start);
}
