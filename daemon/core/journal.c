/* journal: record framing, encoding of engine state and replay. */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"
#include "xmalloc.h"

/* ---- encoding ---------------------------------------------------------------------- */

static void put_u32(struct rbuf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	rbuf_append(b, x, 4);
}

static void put_u64(struct rbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_i64(struct rbuf *b, int64_t v)
{
	put_u64(b, (uint64_t)v);
}

static void put_str(struct rbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > 0xffff)
		n = 0xffff;
	put_u8(b, (uint8_t)n);
	put_u8(b, (uint8_t)(n >> 8));
	rbuf_append(b, s ? s : "", n);
	put_u8(b, 0); /* so that replay can use the string where it lies */
}

/* Start a record: returns the offset of its length field. */
size_t jr_rec_begin(struct rbuf *b, enum jrec_type type)
{
	size_t at = b->len;

	put_u32(b, 0);
	put_u8(b, (uint8_t)type);
	return at;
}

void jr_rec_end(struct rbuf *b, size_t at)
{
	uint32_t len = (uint32_t)(b->len - at - JOURNAL_HEADER_SIZE - 1);
	uint32_t crc = crc32c(0, b->data + at + JOURNAL_HEADER_SIZE, len + 1);
	unsigned char *p = (unsigned char *)b->data + at;

	p[0] = (unsigned char)len;
	p[1] = (unsigned char)(len >> 8);
	p[2] = (unsigned char)(len >> 16);
	p[3] = (unsigned char)(len >> 24);
	put_u32(b, crc);
}

void journal_put_header(struct rbuf *b)
{
	size_t at = jr_rec_begin(b, JREC_HEADER);

	put_str(b, JOURNAL_MAGIC);
	put_u32(b, JOURNAL_VERSION);
	jr_rec_end(b, at);
}

void journal_put_u64(struct rbuf *b, enum jrec_type type, uint64_t v)
{
	size_t at = jr_rec_begin(b, type);

	put_u64(b, v);
	jr_rec_end(b, at);
}

uint32_t jr_ticket_flags(const struct ticket *t)
{
	return (uint32_t)(t->fast_track | t->at_risk << 1 | t->breached << 2 | t->queued << 3 |
	                  t->loan_eligible << 4 | t->registered << 5 | t->unlisted << 6 |
	                  t->video << 7 | t->holds_slot << 8 | t->priority << 9);
}

static void put_hist(struct rbuf *b, const struct engine *e, const struct hist *h)
{
	put_i64(b, hist_at(h));
	put_u8(b, (uint8_t)hist_kind(h));
	put_str(b, engine_str(e, hist_who(h)));
	put_str(b, h->detail);
}

void journal_put_ticket(struct rbuf *b, const struct engine *e, const struct ticket *t)
{
	size_t at = jr_rec_begin(b, JREC_TICKET);

	put_u64(b, t->id);
	put_u64(b, t->member);
	put_i64(b, t->created_at);
	put_i64(b, t->received_at);
	put_i64(b, t->ready_at);
	put_i64(b, t->closed_at);
	put_i64(b, t->last_change);
	put_i64(b, t->clock_since);
	put_i64(b, t->used);
	put_i64(b, t->budget);
	put_i64(b, t->deadline);
	put_i64(b, t->eta);
	put_u32(b, t->target_days);
	put_u8(b, (uint8_t)t->tier);
	put_u8(b, (uint8_t)t->programme);
	put_u8(b, t->pclass);
	put_u8(b, t->service);
	put_u8(b, t->state);
	put_u8(b, t->reason);
	put_u8(b, t->loan_reason);
	put_u8(b, t->loan_state);
	put_u8(b, (uint8_t)t->met);
	put_u32(b, jr_ticket_flags(t));
	put_str(b, t->serial);
	put_str(b, engine_str(e, t->product));
	put_str(b, engine_str(e, t->centre));
	put_u32(b, t->nhist);
	for (uint32_t i = 0; i < t->nhist; i++)
		put_hist(b, e, &t->hist[i]);
	jr_rec_end(b, at);
}

void journal_put_stream(struct rbuf *b, const char *centre, uint64_t seq)
{
	size_t at = jr_rec_begin(b, JREC_STREAM);

	put_str(b, centre);
	put_u64(b, seq);
	jr_rec_end(b, at);
}

void journal_put_member(struct rbuf *b, const struct member *m)
{
	size_t at = jr_rec_begin(b, JREC_MEMBER);

	put_u64(b, m->number);
	put_u8(b, (uint8_t)m->tier);
	put_str(b, m->country);
	put_u8(b, m->has_programme);
	put_u8(b, (uint8_t)m->programme);
	put_u32(b, (uint32_t)m->expires);
	put_str(b, m->name);
	put_u8(b, m->name != NULL);
	put_u8(b, m->present);
	put_u32(b, m->in_service);
	put_u32(b, m->nqueued);
	for (uint32_t i = 0; i < m->nqueued; i++)
		put_u64(b, m->queued[i]);
	jr_rec_end(b, at);
}

void journal_put_event(struct rbuf *b, const struct engine *e, const struct event *ev)
{
	size_t at = jr_rec_begin(b, JREC_EVENT);

	put_u64(b, ev->seq);
	put_i64(b, ev->at);
	put_u64(b, ev->ticket);
	put_u64(b, ev->member);
	put_i64(b, ev->deadline);
	put_u8(b, ev->type);
	put_u8(b, (uint8_t)ev->tier);
	put_u8(b, (uint8_t)ev->programme);
	put_u8(b, ev->state);
	put_str(b, ev->serial);
	put_str(b, ev->reason);
	put_str(b, engine_str(e, ev->centre));
	put_str(b, engine_str(e, ev->product));
	jr_rec_end(b, at);
}

size_t journal_put_changes(struct rbuf *b, struct engine *e, uint64_t *last_seq)
{
	const uint64_t *ids;
	size_t n = 0, count, first;

	count = engine_changed_members(e, &ids);
	for (size_t i = 0; i < count; i++, n++)
		journal_put_member(b, engine_member_any(e, ids[i]));
	count = engine_changed_tickets(e, &ids);
	for (size_t i = 0; i < count; i++, n++) {
		const struct ticket *t = engine_ticket_get(e, ids[i]);
		if (t == NULL) {
			n--; /* archived after it changed: the archive holds it */
			continue;
		}
		if (t->whole)
			journal_put_ticket(b, e, t);
		else
			journal_put_delta(b, e, t, engine_changed_ticket_nhist(e, i));
	}
	/* The events not journaled yet are the tail of the outbox: no walk from its start. */
	count = engine_outbox_count(e);
	first = count - engine_outbox_unjournaled(e);
	for (size_t i = first; i < count; i++, n++)
		journal_put_event(b, e, engine_outbox_at(e, i));
	for (size_t i = 0; i < engine_stream_count(e); i++) {
		const char *centre;
		uint64_t seq = engine_stream_at(e, i, &centre);
		if (engine_stream_changed(e, i)) {
			journal_put_stream(b, centre, seq);
			n++;
		}
	}
	/* Events of types not kept are not journaled one by one: the sequence says they were. */
	if (n > 0 || engine_last_seq(e) != *last_seq) {
		journal_put_commit(b, engine_clock(e), engine_last_seq(e));
		n++;
	}
	*last_seq = engine_last_seq(e);
	engine_clear_changes(e);
	return n;
}

static void put_member_cb(const struct member *m, void *arg)
{
	journal_put_member(arg, m);
}

void journal_put_snapshot(struct rbuf *b, const struct engine *e)
{
	size_t waiting = engine_outbox_count(e);

	journal_put_header(b);
	engine_each_member(e, put_member_cb, b);
	/*
	 * Tickets archived or being archived are left out; the ids record first
	 * keeps their ids issued (never reused). Only then: a journal without
	 * archived tickets stays readable by a repaird that predates retention.
	 */
	for (uint64_t id = 1; id <= engine_ticket_count(e); id++) {
		const struct ticket *t = engine_ticket_get(e, id);
		if (t == NULL || t->archiving) {
			journal_put_u64(b, JREC_IDS, engine_ticket_count(e));
			break;
		}
	}
	for (uint64_t id = 1; id <= engine_ticket_count(e); id++) {
		const struct ticket *t = engine_ticket_get(e, id);
		if (t != NULL && !t->archiving)
			journal_put_ticket(b, e, t);
	}
	for (size_t i = 0; i < engine_stream_count(e); i++) {
		const char *centre;
		uint64_t seq = engine_stream_at(e, i, &centre);
		journal_put_stream(b, centre, seq);
	}
	/* The retained events go back into the retention window with the delivered record. */
	for (size_t i = 0; i < engine_retained_count(e); i++)
		journal_put_event(b, e, engine_retained_at(e, i));
	for (size_t i = 0; i < waiting; i++)
		journal_put_event(b, e, engine_outbox_at(e, i));
	journal_put_u64(b, JREC_DELIVERED,
	                waiting ? engine_outbox_at(e, 0)->seq - 1 : engine_last_seq(e));
	journal_put_commit(b, engine_clock(e), engine_last_seq(e));
}

/* ---- decoding ---------------------------------------------------------------------- */

static uint32_t get_u32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The journal's file ends in zeros written ahead of its last record (the shell's prealloc). */
static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

enum jnext journal_next(const unsigned char *buf, size_t len, size_t *off, struct jrec *rec)
{
	size_t left = len - *off;
	const unsigned char *p = buf + *off;
	uint32_t plen, crc;
	size_t total;

	if (left == 0)
		return JNEXT_END;
	/* No record starts with a zero length and type: zeros to the end are written ahead. */
	if (p[0] == 0 && all_zero(p, left))
		return JNEXT_END;
	if (left < JOURNAL_HEADER_SIZE + 1 + 4)
		return JNEXT_TORN;
	plen = get_u32_at(p);
	if (plen > JOURNAL_MAX_RECORD)
		return left < (size_t)JOURNAL_MAX_RECORD ? JNEXT_TORN : JNEXT_CORRUPT;
	total = JOURNAL_HEADER_SIZE + 1 + (size_t)plen + 4;
	if (total > left)
		return JNEXT_TORN;
	crc = get_u32_at(p + JOURNAL_HEADER_SIZE + 1 + plen);
	if (crc != crc32c(0, p + JOURNAL_HEADER_SIZE, (size_t)plen + 1) || p[4] == 0 ||
	    p[4] > JREC_TYPE_MAX)
		/*
		 * A bad last record (nothing but the zeros written ahead after it) is a
		 * torn write; one with records after it is damage.
		 */
		return all_zero(p + total, left - total) ? JNEXT_TORN : JNEXT_CORRUPT;
	rec->type = p[4];
	rec->payload = p + JOURNAL_HEADER_SIZE + 1;
	rec->len = plen;
	*off += total;
	return JNEXT_OK;
}

bool journal_torn_commit(const unsigned char *buf, size_t len, size_t off)
{
	size_t end = len;

	while (end > off && buf[end - 1] == 0)
		end--;
	/* No zeros after it, or more than a commit could span: damage, as before. */
	if (end == len || end - off > JOURNAL_TORN_SPAN)
		return false;
	for (size_t x = off + 1; x + JOURNAL_HEADER_SIZE + 1 + 4 <= end; x++) {
		const unsigned char *p = buf + x;
		uint32_t plen = get_u32_at(p), total;

		if ((p[4] != JREC_COMMIT_V && p[4] != JREC_COMMIT) || plen > 64)
			continue;
		total = JOURNAL_HEADER_SIZE + 1 + plen + 4;
		if (x + total >= end) /* the last record there: the torn commit's own end */
			continue;
		if (get_u32_at(p + JOURNAL_HEADER_SIZE + 1 + plen) ==
		    crc32c(0, p + JOURNAL_HEADER_SIZE, (size_t)plen + 1))
			return false; /* a whole batch ends here and bytes follow: damage */
	}
	return true;
}

static uint32_t get_u32(struct cursor *c)
{
	uint32_t v;

	if (c->left < 4) {
		c->bad = 1;
		return 0;
	}
	v = get_u32_at(c->p);
	c->p += 4;
	c->left -= 4;
	return v;
}

static uint64_t get_u64(struct cursor *c)
{
	uint64_t lo = get_u32(c);

	return lo | (uint64_t)get_u32(c) << 32;
}

static int64_t get_i64(struct cursor *c)
{
	return (int64_t)get_u64(c);
}

/* A string: it lies NUL-terminated in the payload, valid while the payload is. */
static const char *get_str(struct cursor *c)
{
	size_t n = get_u8(c);
	const char *s;

	n |= (size_t)get_u8(c) << 8;
	if (c->bad || n + 1 > c->left || c->p[n] != '\0' || memchr(c->p, '\0', n) != NULL) {
		c->bad = 1;
		return "";
	}
	s = (const char *)c->p;
	c->p += n + 1;
	c->left -= n + 1;
	return s;
}

static int apply_ticket(struct engine *e, struct cursor *c, char *err, size_t errlen)
{
	struct ticket_image img;
	struct hist_image *hist = NULL;
	uint32_t flags;
	int64_t used, budget;
	uint8_t loan_state;
	int rc, packed;

	memset(&img, 0, sizeof img);
	img.t.id = get_u64(c);
	img.t.member = get_u64(c);
	img.t.created_at = get_i64(c);
	img.t.received_at = get_i64(c);
	img.t.ready_at = get_i64(c);
	img.t.closed_at = get_i64(c);
	img.t.last_change = get_i64(c);
	img.t.clock_since = get_i64(c);
	used = get_i64(c);
	budget = get_i64(c);
	img.t.deadline = get_i64(c);
	img.t.eta = get_i64(c);
	img.t.target_days = (uint16_t)get_u32(c);
	img.t.tier = (int8_t)get_u8(c);
	img.t.programme = (int8_t)get_u8(c);
	img.t.pclass = get_u8(c);
	img.t.service = get_u8(c);
	img.t.state = get_u8(c);
	img.t.reason = get_u8(c);
	img.t.loan_reason = get_u8(c);
	loan_state = get_u8(c);
	packed = engine_ticket_set_packed(&img.t, used, budget, loan_state, (int8_t)get_u8(c));
	flags = get_u32(c);
	img.t.fast_track = flags & 1;
	img.t.at_risk = (flags >> 1) & 1;
	img.t.breached = (flags >> 2) & 1;
	img.t.queued = (flags >> 3) & 1;
	img.t.loan_eligible = (flags >> 4) & 1;
	img.t.registered = (flags >> 5) & 1;
	img.t.unlisted = (flags >> 6) & 1;
	img.t.video = (flags >> 7) & 1;
	img.t.holds_slot = (flags >> 8) & 1;
	img.t.priority = (flags >> 9) & 1; /* 0 in journals written before it existed */
	img.serial = get_str(c);
	img.product = get_str(c);
	img.centre = get_str(c);
	img.nhist = get_u32(c);
	if (c->bad || packed < 0 || img.nhist > c->left / 13 || img.t.state >= TSTATE_COUNT ||
	    img.t.service >= SERVICE_COUNT || img.t.pclass >= PCLASS_COUNT ||
	    img.t.reason >= FT_REASON_COUNT || img.t.tier >= TIER_COUNT || img.t.tier < -1 ||
	    img.t.programme >= PROGRAMME_COUNT || img.t.programme < -1 ||
	    img.t.loan_reason >= LOAN_REASON_COUNT) {
		snprintf(err, errlen, "malformed ticket record");
		return -1;
	}
	if (img.nhist > 0) {
		hist = xreallocarray(NULL, img.nhist, sizeof *hist);
		for (uint32_t i = 0; i < img.nhist; i++) {
			hist[i].at = get_i64(c);
			hist[i].what = get_u8(c);
			hist[i].who = get_str(c);
			hist[i].detail = get_str(c);
			if (hist[i].what >= HIST_WHAT_COUNT)
				c->bad = 1;
		}
	}
	img.hist = hist;
	if (c->bad || c->left != 0) {
		snprintf(err, errlen, "malformed history in the record of ticket %llu",
		         (unsigned long long)img.t.id);
		rc = -1;
	} else if ((rc = engine_restore_ticket(e, &img)) < 0) {
		snprintf(err, errlen, "ticket %llu out of order (ids are dense)",
		         (unsigned long long)img.t.id);
	}
	free(hist);
	return rc;
}

void jr_set_flags(struct ticket *t, uint64_t flags)
{
	t->fast_track = flags & 1;
	t->at_risk = (flags >> 1) & 1;
	t->breached = (flags >> 2) & 1;
	t->queued = (flags >> 3) & 1;
	t->loan_eligible = (flags >> 4) & 1;
	t->registered = (flags >> 5) & 1;
	t->unlisted = (flags >> 6) & 1;
	t->video = (flags >> 7) & 1;
	t->holds_slot = (flags >> 8) & 1;
	t->priority = (flags >> 9) & 1;
}

/* A decoded delta, both kinds: onto its ticket once the whole payload was read well. */
int jr_restore_delta(struct engine *e, const struct cursor *c, const struct ticket *t,
                     uint32_t nhist, const struct hist_image *hist, uint32_t nnew, char *err,
                     size_t errlen)
{
	int rc;

	if (c->bad || c->left != 0) {
		snprintf(err, errlen, "malformed history in the delta of ticket %llu",
		         (unsigned long long)t->id);
		rc = -1;
	} else if (engine_ticket_archived(e, t->id)) {
		/* A ticket archived by a compaction that ran while it changed: its line in the
		 * archive was written again with this change. */
		rc = 0;
	} else if ((rc = engine_restore_delta(e, t, nhist, hist, nnew)) < 0) {
		snprintf(err, errlen,
		         "delta of ticket %llu does not follow its previous record (%u history "
		         "entries expected)",
		         (unsigned long long)t->id, nhist);
	}
	return rc;
}

static int apply_delta(struct engine *e, struct cursor *c, char *err, size_t errlen)
{
	struct ticket t;
	struct hist_image *hist = NULL;
	uint32_t flags, nhist, nnew;
	int64_t used, budget;
	uint8_t loan_state;
	int rc, packed;

	memset(&t, 0, sizeof t);
	t.id = get_u64(c);
	nhist = get_u32(c);
	t.received_at = get_i64(c);
	t.ready_at = get_i64(c);
	t.closed_at = get_i64(c);
	t.last_change = get_i64(c);
	t.clock_since = get_i64(c);
	used = get_i64(c);
	budget = get_i64(c);
	t.deadline = get_i64(c);
	t.eta = get_i64(c);
	t.target_days = get_u8(c);
	t.target_days = (uint16_t)(t.target_days | get_u8(c) << 8);
	t.state = get_u8(c);
	t.reason = get_u8(c);
	t.loan_reason = get_u8(c);
	loan_state = get_u8(c);
	packed = engine_ticket_set_packed(&t, used, budget, loan_state, (int8_t)get_u8(c));
	flags = get_u32(c);
	jr_set_flags(&t, flags);
	nnew = get_u32(c);
	if (c->bad || packed < 0 || nnew > c->left / 13 || t.state >= TSTATE_COUNT ||
	    t.reason >= FT_REASON_COUNT || t.loan_reason >= LOAN_REASON_COUNT) {
		snprintf(err, errlen, "malformed delta record");
		return -1;
	}
	if (nnew > 0) {
		hist = xreallocarray(NULL, nnew, sizeof *hist);
		for (uint32_t i = 0; i < nnew; i++) {
			hist[i].at = get_i64(c);
			hist[i].what = get_u8(c);
			hist[i].who = get_str(c);
			hist[i].detail = get_str(c);
			if (hist[i].what >= HIST_WHAT_COUNT)
				c->bad = 1;
		}
	}
	rc = jr_restore_delta(e, c, &t, nhist, hist, nnew, err, errlen);
	free(hist);
	return rc;
}

static int apply_member(struct engine *e, struct cursor *c, char *err, size_t errlen)
{
	struct member m;
	uint64_t *queued = NULL;
	int has_name;

	memset(&m, 0, sizeof m);
	m.number = get_u64(c);
	m.tier = (enum tier)get_u8(c);
	snprintf(m.country, sizeof m.country, "%s", get_str(c));
	m.has_programme = get_u8(c) != 0;
	m.programme = (enum programme)get_u8(c);
	m.expires = (int32_t)get_u32(c);
	m.name = (char *)get_str(c);
	has_name = get_u8(c);
	if (!has_name)
		m.name = NULL;
	m.present = get_u8(c) != 0;
	m.in_service = get_u32(c);
	m.nqueued = get_u32(c);
	if (c->bad || m.number == 0 || m.tier >= TIER_COUNT || m.programme >= PROGRAMME_COUNT ||
	    m.nqueued > c->left / 8) {
		snprintf(err, errlen, "malformed member record");
		return -1;
	}
	if (m.nqueued) {
		queued = xreallocarray(NULL, m.nqueued, sizeof *queued);
		for (uint32_t i = 0; i < m.nqueued; i++)
			queued[i] = get_u64(c);
	}
	m.queued = queued;
	if (c->bad || c->left != 0) {
		free(queued);
		snprintf(err, errlen, "malformed member record");
		return -1;
	}
	engine_restore_member(e, &m);
	free(queued);
	return 0;
}

static int apply_event(struct engine *e, struct cursor *c, char *err, size_t errlen)
{
	struct event ev;
	const char *serial, *reason, *centre, *product;

	memset(&ev, 0, sizeof ev);
	ev.seq = get_u64(c);
	ev.at = get_i64(c);
	ev.ticket = get_u64(c);
	ev.member = get_u64(c);
	ev.deadline = get_i64(c);
	ev.type = get_u8(c);
	ev.tier = (int8_t)get_u8(c);
	ev.programme = (int8_t)get_u8(c);
	ev.state = get_u8(c);
	serial = get_str(c);
	reason = get_str(c);
	centre = get_str(c);
	product = get_str(c);
	if (c->bad || c->left != 0 || ev.type >= EVENT_TYPE_COUNT || ev.seq == 0) {
		snprintf(err, errlen, "malformed event record");
		return -1;
	}
	if (ev.seq <= engine_last_seq(e)) {
		snprintf(err, errlen, "event %llu out of sequence (last %llu)",
		         (unsigned long long)ev.seq, (unsigned long long)engine_last_seq(e));
		return -1;
	}
	engine_restore_event(e, &ev, centre, product, serial, reason);
	return 0;
}

int journal_apply(struct engine *e, const struct jrec *rec, char *err, size_t errlen)
{
	struct cursor c;
	uint64_t v;

	c.p = rec->payload;
	c.left = rec->len;
	c.bad = 0;
	switch (rec->type) {
	case JREC_HEADER: {
		char magic[64];
		snprintf(magic, sizeof magic, "%s", get_str(&c));
		v = get_u32(&c);
		if (c.bad || strcmp(magic, JOURNAL_MAGIC) != 0) {
			snprintf(err, errlen, "not a repaird journal");
			return -1;
		}
		if (v < 1 || v > JOURNAL_VERSION) {
			snprintf(err, errlen, "journal format %llu, this repaird reads 1 to %d",
			         (unsigned long long)v, JOURNAL_VERSION);
			return -1;
		}
		return 0;
	}
	case JREC_TICKET:
		return apply_ticket(e, &c, err, errlen);
	case JREC_MEMBER:
		return apply_member(e, &c, err, errlen);
	case JREC_EVENT:
		return apply_event(e, &c, err, errlen);
	case JREC_DELTA:
		return apply_delta(e, &c, err, errlen);
	case JREC_DELTA_V:
		return jr_apply_delta_v(e, &c, err, errlen);
	case JREC_COMMIT:
	case JREC_COMMIT_V: {
		int64_t clock = rec->type == JREC_COMMIT ? get_i64(&c) : jr_get_svar(&c);
		v = rec->type == JREC_COMMIT ? get_u64(&c) : jr_get_uvar(&c);
		if (c.bad || c.left != 0) {
			snprintf(err, errlen, "malformed commit record");
			return -1;
		}
		engine_restore_clock(e, clock);
		engine_restore_seq(e, v);
		return 0;
	}
	case JREC_STREAM: {
		const char *centre = get_str(&c);
		v = get_u64(&c);
		if (c.bad || c.left != 0 || centre[0] == '\0') {
			snprintf(err, errlen, "malformed stream record");
			return -1;
		}
		engine_restore_stream(e, centre, v);
		return 0;
	}
	case JREC_DELIVERED:
	case JREC_CLOCK:
	case JREC_CONFIG:
	case JREC_IDS:
		v = get_u64(&c);
		if (c.bad || c.left != 0) {
			snprintf(err, errlen, "malformed record of type %d", rec->type);
			return -1;
		}
		if (rec->type == JREC_DELIVERED)
			engine_restore_delivered(e, v);
		else if (rec->type == JREC_CLOCK)
			engine_restore_clock(e, (int64_t)v);
		else if (rec->type == JREC_IDS)
			engine_restore_ids(e, v);
		return 0;
	default:
		snprintf(err, errlen, "unknown record type %d", rec->type);
		return -1;
	}
}
