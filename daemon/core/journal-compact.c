/*
 * journal-compact: the varint records of format 3, JREC_DELTA_V and
 * JREC_COMMIT_V (see include/journal.h), their encoding and decoding.
 * Framing and the fixed-width records are journal.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "journal_impl.h"
#include "xmalloc.h"

/* ---- encoding ---------------------------------------------------------------------- */

/*
 * The encoders write into room reserved beforehand (rbuf_room), a record's
 * fixed part at once, then b->len is set from where they stopped: no local
 * copy and memcpy call per varint (a few percent of a MOVE's CPU).
 */
#define UVAR_MAX 10 /* bytes of the longest varint, a 64-bit value */

/* Unsigned LEB128: seven bits a byte, low first, the high bit saying more follow. */
static unsigned char *uvar_at(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* Zigzag: small magnitudes of either sign in few bytes (0, -1, 1, -2 -> 0, 1, 2, 3). */
static unsigned char *svar_at(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	return uvar_at(p, u << 1 ^ (v < 0 ? UINT64_MAX : 0));
}

static unsigned char *room(struct rbuf *b, size_t len)
{
	return (unsigned char *)rbuf_room(b, len);
}

/* What was written up to p (into room from room()) is the buffer's. */
static void room_used(struct rbuf *b, const unsigned char *p)
{
	b->len = (size_t)((const char *)p - b->data);
}

static unsigned char *bytes_at(unsigned char *p, const char *s, size_t n)
{
	if (n > 0)
		memcpy(p, s, n);
	return p + n;
}

/* Wrapping difference: any two int64 values round-trip through it. */
static int64_t time_diff(int64_t v, int64_t base)
{
	return (int64_t)((uint64_t)v - (uint64_t)base);
}

_Static_assert(TSTATE_COUNT <= 16, "a plain move's states share one byte");

/* The time fields of a delta, in the order of its presence bits. */
enum { DV_RECEIVED, DV_READY, DV_CLOSED, DV_SINCE, DV_DEADLINE, DV_ETA, DV_TIMES };
#define DV_USED       (1u << DV_TIMES)
#define DV_BUDGET     (1u << (DV_TIMES + 1))
#define DV_TARGET     (1u << (DV_TIMES + 2))
#define DV_PLAIN_MOVE 0x80 /* with a history entry's kind: its detail is the plain move text */

/* Most bytes of a delta's fixed part: 15 varints, 5 single bytes (journal_put_delta). */
#define DELTA_FIXED_MAX (15 * UVAR_MAX + 5)

/* One history entry after the fixed part; its room is reserved for its strings' lengths. */
static void put_delta_hist(struct rbuf *b, const struct engine *e, const struct ticket *t,
                           const struct hist *h)
{
	unsigned from, to;
	bool plain = engine_plain_move(e, h->detail, &from, &to);
	const char *who = engine_str(e, hist_who(h)), *detail = plain ? NULL : h->detail;
	size_t nwho = who ? strlen(who) : 0, ndetail = detail ? strlen(detail) : 0;
	unsigned char *p = room(b, 3 * UVAR_MAX + 2 + nwho + ndetail);

	p = svar_at(p, time_diff(hist_at(h), t->last_change));
	*p++ = (unsigned char)(hist_kind(h) | (plain ? DV_PLAIN_MOVE : 0));
	p = uvar_at(p, nwho);
	p = bytes_at(p, who, nwho);
	if (plain) {
		*p++ = (unsigned char)(from << 4 | to);
	} else {
		p = uvar_at(p, ndetail);
		p = bytes_at(p, detail, ndetail);
	}
	room_used(b, p);
}

/*
 * What a change can alter; the id, member, opening time, tier, programme,
 * product class, service and strings are fixed at opening. Times are
 * differences from last_change (a move's own time: 0, one byte); a bit per
 * field says which are not 0, and those of 0 are left out.
 */
void journal_put_delta(struct rbuf *b, const struct engine *e, const struct ticket *t,
                       uint32_t nhist)
{
	size_t at = jr_rec_begin(b, JREC_DELTA_V);
	const int64_t times[DV_TIMES] = {t->received_at, t->ready_at, t->closed_at,
	                                 t->clock_since, t->deadline, t->eta};
	uint32_t present = (t->used ? DV_USED : 0) | (t->budget ? DV_BUDGET : 0) |
	                   (t->target_days ? DV_TARGET : 0);
	unsigned char *p = room(b, DELTA_FIXED_MAX);

	for (int i = 0; i < DV_TIMES; i++)
		present |= times[i] ? 1u << i : 0;
	p = uvar_at(p, t->id);
	p = uvar_at(p, nhist);
	p = svar_at(p, t->last_change);
	p = uvar_at(p, present);
	for (int i = 0; i < DV_TIMES; i++)
		if (times[i])
			p = svar_at(p, time_diff(times[i], t->last_change));
	if (t->used)
		p = svar_at(p, t->used);
	if (t->budget)
		p = svar_at(p, t->budget);
	if (t->target_days)
		p = uvar_at(p, t->target_days);
	*p++ = t->state;
	*p++ = t->reason;
	*p++ = t->loan_reason;
	*p++ = t->loan_state;
	*p++ = (unsigned char)t->met;
	p = uvar_at(p, jr_ticket_flags(t));
	p = uvar_at(p, t->nhist - nhist);
	room_used(b, p);
	for (uint32_t i = nhist; i < t->nhist; i++)
		put_delta_hist(b, e, t, &t->hist[i]);
	jr_rec_end(b, at);
}

void journal_put_commit(struct rbuf *b, int64_t clock, uint64_t seq)
{
	size_t at = jr_rec_begin(b, JREC_COMMIT_V);
	unsigned char *p = room(b, 2 * UVAR_MAX);

	p = svar_at(p, clock);
	p = uvar_at(p, seq);
	room_used(b, p);
	jr_rec_end(b, at);
}

/* ---- decoding ---------------------------------------------------------------------- */

/* An unsigned LEB128 varint of at most 64 bits; longer or unterminated ones are bad. */
uint64_t jr_get_uvar(struct cursor *c)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t x = get_u8(c);
		if (c->bad || (shift == 63 && x > 1))
			break;
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return v;
	}
	c->bad = 1;
	return 0;
}

int64_t jr_get_svar(struct cursor *c)
{
	uint64_t u = jr_get_uvar(c);

	return (int64_t)(u >> 1 ^ (u & 1 ? UINT64_MAX : 0));
}

static int64_t time_add(int64_t base, int64_t diff)
{
	return (int64_t)((uint64_t)base + (uint64_t)diff);
}

/*
 * A varint-length string, copied NUL-terminated to *out (room for the
 * payload's bytes and a NUL for each string was made by the caller).
 */
static const char *get_vstr(struct cursor *c, char **out)
{
	uint64_t n = jr_get_uvar(c);
	char *s = *out;

	if (c->bad || n > c->left || memchr(c->p, '\0', (size_t)n) != NULL) {
		c->bad = 1;
		return "";
	}
	memcpy(s, c->p, (size_t)n);
	s[n] = '\0';
	*out += n + 1;
	c->p += n;
	c->left -= (size_t)n;
	return s;
}

/* Room for a plain move's text rebuilt: two state names and " -> ". */
#define MOVE_TEXT_MAX 64

/* JREC_DELTA_V: see journal_put_delta(). */
int jr_apply_delta_v(struct engine *e, struct cursor *c, char *err, size_t errlen)
{
	struct ticket t;
	struct hist_image *hist = NULL;
	char *text = NULL, *out;
	uint64_t present, nhist, nnew, target = 0, flags;
	int64_t times[DV_TIMES] = {0}, used, budget;
	uint8_t loan_state;
	int rc, packed;

	memset(&t, 0, sizeof t);
	t.id = jr_get_uvar(c);
	nhist = jr_get_uvar(c);
	t.last_change = jr_get_svar(c);
	present = jr_get_uvar(c);
	for (int i = 0; i < DV_TIMES; i++)
		if (present & 1u << i)
			times[i] = time_add(t.last_change, jr_get_svar(c));
	used = present & DV_USED ? jr_get_svar(c) : 0;
	budget = present & DV_BUDGET ? jr_get_svar(c) : 0;
	if (present & DV_TARGET)
		target = jr_get_uvar(c);
	t.received_at = times[DV_RECEIVED];
	t.ready_at = times[DV_READY];
	t.closed_at = times[DV_CLOSED];
	t.clock_since = times[DV_SINCE];
	t.deadline = times[DV_DEADLINE];
	t.eta = times[DV_ETA];
	t.target_days = (uint16_t)target;
	t.state = get_u8(c);
	t.reason = get_u8(c);
	t.loan_reason = get_u8(c);
	loan_state = get_u8(c);
	packed = engine_ticket_set_packed(&t, used, budget, loan_state, (int8_t)get_u8(c));
	flags = jr_get_uvar(c);
	jr_set_flags(&t, flags);
	nnew = jr_get_uvar(c);
	/* An entry takes at least 4 bytes: time, kind, who's length, detail. */
	if (c->bad || packed < 0 || nhist > UINT32_MAX || nnew > c->left / 4 ||
	    target > UINT16_MAX || present >= DV_TARGET << 1 || flags >= 1u << 10 ||
	    t.state >= TSTATE_COUNT || t.reason >= FT_REASON_COUNT ||
	    t.loan_reason >= LOAN_REASON_COUNT) {
		snprintf(err, errlen, "malformed delta record");
		return -1;
	}
	if (nnew > 0) {
		hist = xreallocarray(NULL, nnew, sizeof *hist);
		out = text = xmalloc(c->left + nnew * (2 + MOVE_TEXT_MAX));
		for (uint32_t i = 0; i < nnew && !c->bad; i++) {
			uint8_t kind;
			hist[i].at = time_add(t.last_change, jr_get_svar(c));
			kind = get_u8(c);
			hist[i].what = kind & (uint8_t)~DV_PLAIN_MOVE;
			hist[i].who = get_vstr(c, &out);
			if (kind & DV_PLAIN_MOVE) {
				uint8_t states = get_u8(c);
				if ((states >> 4) >= TSTATE_COUNT ||
				    (states & 15) >= TSTATE_COUNT) {
					c->bad = 1;
					break;
				}
				hist[i].detail = out;
				out += snprintf(out, MOVE_TEXT_MAX, "%s -> %s",
				                ticket_state_names[states >> 4],
				                ticket_state_names[states & 15]) +
				       1;
			} else {
				hist[i].detail = get_vstr(c, &out);
			}
			if (hist[i].what >= HIST_WHAT_COUNT)
				c->bad = 1;
		}
	}
	rc = jr_restore_delta(e, c, &t, (uint32_t)nhist, hist, (uint32_t)nnew, err, errlen);
	free(text);
	free(hist);
	return rc;
}
