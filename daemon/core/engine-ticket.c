/*
 * engine-ticket: opening and moving tickets. The per-member in-service slots
 * and queue (DOMAIN.md, "The three-items rule"), the Fast Track decision at
 * opening, the state machine with its history and events, and loan units.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "timeutil.h"
#include "xmalloc.h"

/* ---- slots ------------------------------------------------------------------------ */

/*
 * The in-service check when an item arrives (DOMAIN.md, "The three-items
 * rule"). Returns -1 (LIMIT, nothing changed) only under over_limit: reject.
 */
static int slot_check(struct engine *e, const struct ticket *t, struct engine_error *err)
{
	const struct member *m;

	if (!t->fast_track || t->member == 0)
		return 0;
	m = member_find(e, t->member);
	if (m && m->in_service >= (uint32_t)e->cfg->in_service_limit &&
	    e->cfg->over_limit == OVER_LIMIT_REJECT) {
		eng_set_err(err, ENGINE_LIMIT,
		            "member %" PRIu64 " has %u Fast Track items in service (limit %d)",
		            t->member, m->in_service, e->cfg->in_service_limit);
		return -1;
	}
	return 0;
}

static void demote(struct engine *e, struct ticket *t, struct member *m, int64_t at);

/* The item has arrived (or is back in repair): take a slot, or follow over_limit. */
static void slot_take(struct engine *e, struct ticket *t, int64_t at)
{
	struct member *m;

	if (!t->fast_track || t->member == 0)
		return;
	m = member_find(e, t->member);
	if (m == NULL)
		m = eng_member_add(e, t->member); /* deleted meanwhile: keep counting its slots */
	if (m->in_service < (uint32_t)e->cfg->in_service_limit) {
		m->in_service++;
		eng_member_touch(e, m);
		t->holds_slot = 1;
		return;
	}
	demote(e, t, m, at);
}

/*
 * No slot for this Fast Track ticket: standard service, reason in-service-limit,
 * and under over_limit: queue it waits for a slot.
 */
static void demote(struct engine *e, struct ticket *t, struct member *m, int64_t at)
{
	t->fast_track = 0;
	t->reason = FT_IN_SERVICE_LIMIT;
	t->target_days = (uint16_t)policy_standard_days(
	        e->cfg, config_product(e->cfg, engine_str(e, t->product)));
	t->budget = eng_budget_for(e, t, t->target_days);
	if (e->cfg->over_limit == OVER_LIMIT_QUEUE) {
		t->queued = 1;
		eng_queue_push(e, m, t->id);
	}
	eng_hist_add(e, t, at, NULL, HIST_LIMIT,
	             t->queued ? "in-service limit reached: standard service, queued for a slot"
	                       : "in-service limit reached: standard service");
}

static void promote(struct engine *e, struct ticket *t, struct member *m, int64_t at)
{
	const struct centre *c = centre_of(e, t);

	eng_queue_remove(e, m, t->id);
	t->queued = 0;
	t->fast_track = 1;
	t->reason = FT_OK;
	t->holds_slot = 1;
	m->in_service++;
	eng_member_touch(e, m);
	t->target_days = (uint16_t)policy_target_days(
	        e->cfg, (enum tier)t->tier, (enum programme)t->programme, c ? c->country : NULL,
	        config_product(e->cfg, engine_str(e, t->product)));
	t->budget = eng_budget_for(e, t, t->target_days);
	/* The Fast Track clock counts from the promotion. */
	t->used = 0; /* at risk stays reported: each event once per ticket */
	t->last_change = at;
	eng_hist_add(e, t, at, NULL, HIST_PROMOTED, "a slot freed: Fast Track from now");
	eng_clock_start(e, t, at);
	eng_emit(e, t, EVENT_TICKET_PROMOTED, at, "fast-track");
	eng_make_loan_eligible(e, t, LOAN_REASON_BOOKING, at);
	eng_check_forecast(e, t, at); /* the new, shorter deadline may fall before the parts */
}

/* While the member has a free slot, promote its oldest queued ticket. */
static void promote_waiting(struct engine *e, struct member *m, int64_t at)
{
	while (m->nqueued > 0 && m->in_service < (uint32_t)e->cfg->in_service_limit) {
		struct ticket *q = tix(e, m->queued[0]);
		if (q == NULL || !in_service(q->state)) {
			eng_queue_remove(e, m, m->queued[0]);
			continue;
		}
		promote(e, q, m, at > q->last_change ? at : q->last_change);
	}
}

/* The item is ready or cancelled: free its slot and promote the member's oldest queued. */
static void slot_free(struct engine *e, struct ticket *t, int64_t at)
{
	struct member *m = member_find(e, t->member);

	if (m == NULL)
		return;
	if (t->queued) {
		eng_queue_remove(e, m, t->id);
		t->queued = 0;
	}
	if (!t->holds_slot)
		return;
	t->holds_slot = 0;
	m->in_service--;
	eng_member_touch(e, m);
	promote_waiting(e, m, at);
}

/* ---- opening ------------------------------------------------------------------------ */

struct ticket *eng_ticket_new(struct engine *e)
{
	struct ticket *t;

	if (e->ntickets - e->id_base >= UINT32_MAX)
		fatalx("ticket ids exhausted");
	e->ntickets++;
	t = eng_slot(e, e->ntickets);
	t->met = -1;
	t->whole = 1; /* its first record is the whole ticket */
	return t;
}

/* The booking's own values: centre, serial, product (or UNLISTED), receipt time. */
static int open_check(struct engine *e, const struct ticket_open *in, int64_t now,
                      const struct centre **centre, const struct product **product,
                      struct engine_error *err)
{
	char msg[160];

	if (policy_check_centre_id(in->centre, msg, sizeof msg) < 0) {
		eng_set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	*centre = config_centre(e->cfg, in->centre);
	if (*centre == NULL) {
		eng_set_err(err, ENGINE_NOTFOUND, "centre \"%s\": no such centre (see CENTRE.LIST)",
		            in->centre);
		return -1;
	}
	if (policy_check_serial(in->serial, msg, sizeof msg) < 0) {
		eng_set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	*product = config_product(e->cfg, in->product);
	if (*product == NULL && !in->unlisted) {
		const char *near[3];
		size_t n = config_product_suggest(e->cfg, in->product, near, 3);
		char list[320] = "";
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "", near[i]);
		}
		eng_set_err(err, ENGINE_NOTFOUND,
		            "product \"%.80s\": not in the catalogue%s%s (or book it UNLISTED)",
		            in->product, n ? "; did you mean " : "", list);
		return -1;
	}
	if (in->received && (in->received_at > now || in->received_at <= 0)) {
		eng_set_err(err, ENGINE_INVALID, "received: a time not in the future");
		return -1;
	}
	return 0;
}

/* The Fast Track decision for the booking, with the member's snapshot (m: NULL for none). */
static void open_decide(struct engine *e, const struct ticket_open *in, const struct centre *centre,
                        const struct product *product, int64_t now, const struct member **m,
                        struct policy_decision *d)
{
	struct policy_member pm;
	struct policy_booking b;

	*m = in->member != 0 ? engine_member_get(e, in->member) : NULL;
	if (*m)
		eng_member_policy_view(*m, &pm);
	memset(&b, 0, sizeof b);
	b.member = *m ? &pm : NULL;
	b.product = product;
	b.centre = centre;
	b.service = in->service;
	b.registered = in->registered;
	/*
	 * The day the ticket is opened, whatever RECEIVED says, in the centre's
	 * timezone: an expiry date is valid to the end of that day there.
	 */
	if (calendar_local_date(&centre->cal, now, &b.today) != CAL_OK)
		b.today = (int32_t)(now / SECS_PER_DAY);
	policy_decide(e->cfg, &b, d);
}

/* A new booked ticket with the decision's snapshot, its opening in the history. */
static struct ticket *open_new(struct engine *e, const struct ticket_open *in,
                               const struct product *product, const struct member *m,
                               const struct policy_decision *d, int64_t now, int64_t at)
{
	struct ticket *t = eng_ticket_new(e);

	t->member = in->member;
	t->created_at = now;
	t->last_change = at < now ? at : now;
	t->serial = strarena_dup(&e->arena, in->serial, strlen(in->serial));
	t->product = strpool_intern(&e->strings, in->product);
	t->centre = strpool_intern(&e->strings, in->centre);
	if (t->centre >= e->ncentre_map)
		eng_rebuild_centre_map(e);
	t->tier = (int8_t)d->tier;
	t->programme = (int8_t)(m ? (int)d->programme : -1);
	t->pclass = (uint8_t)(product ? product->cls : PCLASS_OTHER);
	t->video = product ? product->video : 0;
	t->service = (uint8_t)in->service;
	t->state = TSTATE_BOOKED;
	t->fast_track = d->fast_track;
	t->priority = d->priority;
	t->reason = (uint8_t)d->reason;
	t->target_days = (uint16_t)d->target_days;
	t->registered = in->registered;
	t->unlisted = product == NULL;
	t->budget = eng_budget_for(e, t, t->target_days);
	eng_hist_add(e, t, now, in->who, HIST_OPENED,
	             in->note && *in->note ? eng_arena_text(e, "booked: %s", in->note) : "booked");
	return t;
}

int engine_ticket_open(struct engine *e, const struct ticket_open *in, int64_t now,
                       const struct ticket **out, struct engine_error *err)
{
	const struct centre *centre;
	const struct product *product;
	const struct member *m;
	struct policy_decision d;
	struct ticket *t, probe;
	int64_t at = in->received ? in->received_at : now;

	engine_advance(e, now);
	if (open_check(e, in, now, &centre, &product, err) < 0)
		return -1;
	open_decide(e, in, centre, product, now, &m, &d);

	/* The limit check needs the would-be ticket; a refusal must change nothing. */
	memset(&probe, 0, sizeof probe);
	probe.fast_track = d.fast_track;
	probe.member = in->member;
	if (in->received && slot_check(e, &probe, err) < 0)
		return -1;

	t = open_new(e, in, product, m, &d, now, at);
	/* Received at once: the in-service check comes first, it may take Fast Track away. */
	if (in->received) {
		eng_hist_add(e, t, at, in->who, HIST_MOVED, "received");
		slot_take(e, t, at);
	}
	eng_emit(e, t, EVENT_TICKET_OPENED, now, ft_reason_names[t->reason]);
	/* Subscription Platinum (and Enterprise): the loan is owed at booking. */
	eng_make_loan_eligible(e, t, LOAN_REASON_BOOKING, now);
	if (in->received) {
		t->state = TSTATE_RECEIVED;
		t->received_at = at;
		eng_clock_start(e, t, at);
		eng_emit(e, t, EVENT_TICKET_RECEIVED, at, NULL);
		engine_advance(e, now);
	}
	*out = t;
	return 0;
}

/* ---- moves ------------------------------------------------------------------------ */

/* The state machine of DOMAIN.md, "Ticket states". */
static unsigned allowed_moves(enum ticket_state from)
{
	const unsigned work = (1u << TSTATE_DIAGNOSING) | (1u << TSTATE_AWAITING_CUSTOMER) |
	                      (1u << TSTATE_AWAITING_PARTS) | (1u << TSTATE_IN_REPAIR) |
	                      (1u << TSTATE_READY) | (1u << TSTATE_CANCELLED);

	switch (from) {
	case TSTATE_BOOKED:
		return (1u << TSTATE_RECEIVED) | (1u << TSTATE_CANCELLED);
	case TSTATE_RECEIVED:
	case TSTATE_DIAGNOSING:
	case TSTATE_IN_REPAIR:
	case TSTATE_AWAITING_CUSTOMER:
		return work & ~(1u << from);
	case TSTATE_AWAITING_PARTS:
		return work; /* again: a new ETA */
	case TSTATE_READY:
		/* A failed final check goes back to repair; the clock resumes. */
		return (1u << TSTATE_RETURNED) | (1u << TSTATE_IN_REPAIR);
	default:
		return 0;
	}
}

static void state_list(unsigned set, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int s = 0; s < TSTATE_COUNT && used < len; s++) {
		if (set & (1u << s)) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			                 ticket_state_names[s]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
	}
	if (used == 0)
		snprintf(buf, len, "none: the ticket is closed");
}

static enum event_type event_for_state(enum ticket_state s)
{
	switch (s) {
	case TSTATE_RECEIVED:
		return EVENT_TICKET_RECEIVED;
	case TSTATE_READY:
		return EVENT_TICKET_READY;
	case TSTATE_RETURNED:
	case TSTATE_CANCELLED:
		return EVENT_TICKET_CLOSED;
	default:
		return EVENT_TICKET_STATE;
	}
}

/* Whether the move may be made: the state machine, ETA, AT, and the slot at receipt. */
static int move_check(struct engine *e, struct ticket *t, const struct ticket_move *in, int64_t at,
                      int64_t now, struct engine_error *err)
{
	enum ticket_state from = (enum ticket_state)t->state;
	unsigned allowed = allowed_moves(from);
	char list[256], ts[21];

	if (!(allowed & (1u << in->to))) {
		state_list(allowed, list, sizeof list);
		eng_set_err(err, ENGINE_STATE,
		            "ticket %" PRIu64 " is %s: cannot move to %s (allowed: %s)", t->id,
		            ticket_state_names[from], ticket_state_names[in->to], list);
		return -1;
	}
	if (in->eta && in->to != TSTATE_AWAITING_PARTS) {
		eng_set_err(err, ENGINE_INVALID, "ETA: only with awaiting_parts, not with %s",
		            ticket_state_names[in->to]);
		return -1;
	}
	if (at > now) {
		time_format(at, ts);
		eng_set_err(err, ENGINE_INVALID, "AT %s: in the future", ts);
		return -1;
	}
	if (at < t->last_change) {
		time_format(t->last_change, ts);
		eng_set_err(err, ENGINE_INVALID, "AT: before the ticket's last change at %s", ts);
		return -1;
	}
	if (in->to == TSTATE_RECEIVED && slot_check(e, t, err) < 0)
		return -1;
	return 0;
}

/*
 * What entering the new state does to the ticket's fields and the member's
 * slots; returns the event's reason (NULL: the state's name).
 */
static const char *move_enter(struct engine *e, struct ticket *t, enum ticket_state from,
                              const struct ticket_move *in, int64_t at)
{
	const char *reason = NULL;

	switch (in->to) {
	case TSTATE_RECEIVED:
		t->received_at = at;
		slot_take(e, t, at);
		break;
	case TSTATE_AWAITING_PARTS:
		t->eta = in->eta;
		break;
	case TSTATE_READY:
		t->ready_at = at;
		t->met = !t->breached && t->used <= t->budget;
		reason = t->met ? eng_restore_reasons[2] : eng_restore_reasons[3];
		slot_free(e, t, at);
		break;
	case TSTATE_IN_REPAIR:
		if (from == TSTATE_READY) {
			/* Reopened: met/missed is open again, breach stays. */
			t->ready_at = 0;
			t->met = -1;
			/*
			 * It needs a slot again; with none free it goes on at standard
			 * service (never refused: the item is already in the centre).
			 */
			slot_take(e, t, at);
		}
		break;
	case TSTATE_RETURNED:
		t->closed_at = at;
		reason = ticket_state_names[TSTATE_RETURNED];
		break;
	case TSTATE_CANCELLED:
		t->closed_at = at;
		reason = ticket_state_names[TSTATE_CANCELLED];
		slot_free(e, t, at);
		break;
	default:
		break;
	}
	if (in->to != TSTATE_AWAITING_PARTS)
		t->eta = 0;
	return reason;
}

/* The history's words for a move: "from -> to", the parts ETA, the note. */
static const char *move_detail(struct engine *e, enum ticket_state from,
                               const struct ticket_move *in)
{
	char ts[21];

	if (in->to == TSTATE_AWAITING_PARTS && in->eta) {
		time_format(in->eta, ts);
		return in->note && *in->note
		               ? eng_arena_text(e, "%s -> awaiting_parts, ETA %s: %s",
		                                ticket_state_names[from], ts, in->note)
		               : eng_arena_text(e, "%s -> awaiting_parts, ETA %s",
		                                ticket_state_names[from], ts);
	}
	return in->note && *in->note ? eng_arena_text(e, "%s -> %s: %s", ticket_state_names[from],
	                                              ticket_state_names[in->to], in->note)
	                             : eng_move_text(e, from, in->to);
}

int engine_ticket_move(struct engine *e, const struct ticket_move *in, int64_t now,
                       const struct ticket **out, struct engine_error *err)
{
	struct ticket *t = tix(e, in->id);
	int64_t at = in->at ? in->at : now;
	enum ticket_state from;
	const char *reason;

	if (t == NULL) {
		eng_set_err(err, ENGINE_NOTFOUND, "ticket %" PRIu64 ": %s", in->id,
		            engine_ticket_archived(e, in->id) ? "archived, closed for good"
		                                              : "no such ticket");
		return -1;
	}
	if (move_check(e, t, in, at, now, err) < 0)
		return -1;
	from = (enum ticket_state)t->state;

	/* Handle what fell due before the move itself (a backdated move included). */
	engine_advance(e, at);
	eng_clock_stop(e, t, at);
	t->state = (uint8_t)in->to;
	t->last_change = at;
	reason = move_enter(e, t, from, in, at);
	eng_clock_start(e, t, at);
	eng_hist_add(e, t, at, in->who, HIST_MOVED, move_detail(e, from, in));
	eng_emit(e, t, event_for_state(in->to), at, reason ? reason : ticket_state_names[in->to]);
	/* A forecast miss: the parts come after the deadline. */
	if (in->to == TSTATE_AWAITING_PARTS && in->eta)
		eng_check_forecast(e, t, at);
	engine_advance(e, now);
	*out = t;
	return 0;
}

/* ---- loans ---------------------------------------------------------------------- */

static struct ticket *loan_ticket(struct engine *e, uint64_t id, struct engine_error *err)
{
	struct ticket *t = tix(e, id);

	if (t == NULL)
		eng_set_err(err, ENGINE_NOTFOUND, "ticket %" PRIu64 ": %s", id,
		            engine_ticket_archived(e, id) ? "archived, closed for good"
		                                          : "no such ticket");
	return t;
}

int engine_loan_issue(struct engine *e, uint64_t id, const char *serial, const char *note,
                      const char *who, int64_t now, const struct ticket **out,
                      struct engine_error *err)
{
	struct ticket *t;
	char msg[160];

	engine_advance(e, now);
	if ((t = loan_ticket(e, id, err)) == NULL)
		return -1;
	if (!t->loan_eligible) {
		eng_set_err(err, ENGINE_STATE, "ticket %" PRIu64 " is not loan-eligible", id);
		return -1;
	}
	if (t->loan_state != LOAN_NONE) {
		eng_set_err(err, ENGINE_STATE, "ticket %" PRIu64 ": a loan unit was already %s", id,
		            t->loan_state == LOAN_ISSUED ? "issued" : "issued and returned");
		return -1;
	}
	if (serial && policy_check_serial(serial, msg, sizeof msg) < 0) {
		eng_set_err(err, ENGINE_INVALID, "%s", msg);
		return -1;
	}
	t->loan_state = LOAN_ISSUED;
	eng_hist_add(e, t, now, who, HIST_LOAN_ISSUED,
	             serial ? (note && *note ? eng_arena_text(e, "loan unit %s: %s", serial, note)
	                                     : eng_arena_text(e, "loan unit %s", serial))
	                    : (note && *note ? eng_arena_text(e, "%s", note) : "loan unit issued"));
	eng_emit(e, t, EVENT_LOAN_ISSUED, now, loan_reason_names[t->loan_reason]);
	*out = t;
	return 0;
}

int engine_loan_return(struct engine *e, uint64_t id, const char *note, const char *who,
                       int64_t now, const struct ticket **out, struct engine_error *err)
{
	struct ticket *t;

	engine_advance(e, now);
	if ((t = loan_ticket(e, id, err)) == NULL)
		return -1;
	if (t->loan_state != LOAN_ISSUED) {
		eng_set_err(err, ENGINE_STATE, "ticket %" PRIu64 ": no loan unit is out (%s)", id,
		            t->loan_state == LOAN_RETURNED ? "already returned" : "none issued");
		return -1;
	}
	t->loan_state = LOAN_RETURNED;
	eng_hist_add(e, t, now, who, HIST_LOAN_RETURNED,
	             note && *note ? eng_arena_text(e, "%s", note) : "loan unit returned");
	eng_emit(e, t, EVENT_LOAN_RETURNED, now, loan_reason_names[t->loan_reason]);
	*out = t;
	return 0;
}

/*
 * After a reload that changed the in-service limit: the limit holds at every
 * moment, so a member over a lowered limit keeps its oldest tickets at Fast
 * Track and the newest go on at standard service; a raised limit promotes
 * queued tickets.
 */
void eng_rebalance_slots(struct engine *e, int64_t now)
{
	uint32_t limit = (uint32_t)e->cfg->in_service_limit;

	for (uint64_t id = e->ntickets; id >= first_id(e); id--) {
		struct ticket *t = tix(e, id);
		struct member *m;
		if (t == NULL || !t->holds_slot || (m = member_find(e, t->member)) == NULL ||
		    m->in_service <= limit)
			continue;
		t->holds_slot = 0;
		m->in_service--;
		eng_member_touch(e, m);
		demote(e, t, m, now);
	}
	for (size_t i = 0; i < e->memcap; i++)
		if (e->members[i].number != 0 && e->members[i].nqueued > 0)
			promote_waiting(e, &e->members[i], now);
}
