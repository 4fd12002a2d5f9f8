/*
 * engine: the ticket store and everything DOMAIN.md says happens to a ticket:
 * members, Fast Track decision at opening, the state machine with history,
 * the per-member in-service slots and queue, the turnaround clock in the
 * centre's business time, at-risk, breach, met/missed, loans, and the domain
 * events appended to an outbox with a strictly increasing sequence number.
 *
 * Pure: no I/O and no clock. Every entry point takes `now` (UTC seconds) and
 * first processes whatever fell due up to it, so the result never depends on
 * how often engine_advance() was called. The engine never sends events
 * anywhere: the shell drains the outbox. Deterministic: the same calls with
 * the same arguments give the same state (the journal relies on it).
 */
#ifndef REPAIRD_ENGINE_H
#define REPAIRD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "domain.h"
#include "policy.h"

/* The error words of PROTOCOL.md that the engine can produce. */
enum engine_status {
	ENGINE_OK,
	ENGINE_ERR,      /* syntax */
	ENGINE_INVALID,  /* a malformed or out-of-range value */
	ENGINE_NOTFOUND, /* no such ticket, member, centre, product */
	ENGINE_STATE,    /* a transition the state machine does not allow */
	ENGINE_LIMIT,    /* over the in-service limit with over_limit: reject */
	ENGINE_STATUS_COUNT
};

extern const char *const engine_status_words[ENGINE_STATUS_COUNT]; /* "", "ERR", "INVALID", ... */

struct engine_error {
	enum engine_status status;
	char msg[320]; /* a sentence for a person, naming the offending value */
};

enum hist_what {
	HIST_OPENED,
	HIST_MOVED,
	HIST_AT_RISK,
	HIST_BREACHED,
	HIST_LOAN_ELIGIBLE,
	HIST_LOAN_ISSUED,
	HIST_LOAN_RETURNED,
	HIST_PROMOTED,
	HIST_LIMIT,
	HIST_WHAT_COUNT
};
extern const char *const hist_what_names[HIST_WHAT_COUNT];

/* 16 bytes: a million tickets have several of these each. */
struct hist {
	const char *detail; /* static text or the engine's arena */
	uint32_t at2000;    /* seconds since 2000-01-01T00:00:00Z (good until 2136) */
	uint32_t who_what;  /* interned user name << 8 | enum hist_what */
};

#define HIST_EPOCH 946684800 /* 2000-01-01T00:00:00Z */

static inline int64_t hist_at(const struct hist *h)
{
	return (int64_t)h->at2000 + HIST_EPOCH;
}

static inline uint32_t hist_who(const struct hist *h)
{
	return h->who_what >> 8;
}

static inline enum hist_what hist_kind(const struct hist *h)
{
	return (enum hist_what)(h->who_what & 0xff);
}

enum loan_state { LOAN_NONE, LOAN_ISSUED, LOAN_RETURNED };

/*
 * One ticket. Kept small: a million of them must fit in well under 300 MB.
 * 128 bytes: 64-bit values first, then 32, 16 and 8, the flags last, so
 * that nothing is padding (tests/unit/test_engine.c checks the size).
 */
struct ticket {
	uint64_t id;
	uint64_t member; /* 0: none */
	int64_t created_at;
	int64_t received_at; /* 0: not yet */
	int64_t ready_at;    /* 0: not ready */
	int64_t closed_at;   /* 0: open */
	int64_t last_change; /* time of the latest move; a move may not be dated before it */
	int64_t clock_since; /* while the clock runs: when it last started */
	int64_t deadline;    /* 0: not set (not started, or paused before any deadline) */
	int64_t eta;         /* awaiting-parts ETA, 0: none */
	const char *serial;
	struct hist *hist;
	uint32_t nhist;
	uint32_t product; /* interned model name */
	uint32_t centre;  /* interned centre id */
	/*
	 * Business seconds: a target of at most 365 days is under 32M; the
	 * clock saturates at INT32_MAX (68 years of it running around the clock).
	 */
	int32_t used;   /* business seconds used before clock_since */
	int32_t budget; /* business seconds of the target */
	uint16_t target_days;
	int8_t tier;      /* snapshot at opening; TIER_NONE for a non-member */
	int8_t programme; /* snapshot at opening; -1 for a non-member */
	uint8_t pclass;   /* enum product_class (other when unlisted) */
	uint8_t service;
	uint8_t state;
	uint8_t reason;          /* enum ft_reason */
	uint8_t loan_reason;     /* enum loan_reason, valid when loan_eligible */
	unsigned loan_state : 2; /* enum loan_state */
	signed met : 2;          /* -1 unset, 0 missed, 1 met */
	unsigned fast_track : 1;
	unsigned at_risk : 1;
	unsigned breached : 1;
	unsigned queued : 1;
	unsigned loan_eligible : 1;
	unsigned registered : 1;
	unsigned unlisted : 1;
	unsigned video : 1;
	unsigned holds_slot : 1;
	unsigned priority : 1;  /* a member from outside EMEA: staff take it first */
	unsigned dirty : 1;     /* changed since the journal last collected changes */
	unsigned whole : 1;     /* the journal must write it whole (new, or history inserted) */
	unsigned archiving : 1; /* marked for the archive by the running compaction */
	unsigned rearchive : 1; /* changed after it was marked: its archive line is stale */
};

/*
 * Business seconds as the ticket keeps them: saturated to int32. A journal
 * record's values outside that range (or a loan state or met value the
 * fields cannot hold) make engine_ticket_set_packed() return -1.
 */
static inline int32_t ticket_secs(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}
int engine_ticket_set_packed(struct ticket *t, int64_t used, int64_t budget, unsigned loan_state,
                             int met);

struct member {
	uint64_t number;
	enum tier tier;
	char country[3];
	bool has_programme;
	enum programme programme;
	int32_t expires; /* -1: none */
	char *name;
	bool present; /* false after MEMBER.DEL while tickets still hold slots */
	uint32_t in_service;
	uint64_t *queued; /* ticket ids waiting for a slot, oldest first */
	uint32_t nqueued;
	bool dirty;
};

struct event {
	uint64_t seq;
	int64_t at;
	uint64_t ticket;
	uint64_t member;
	int64_t deadline;
	const char *serial;
	const char *reason; /* static text */
	uint32_t centre;    /* interned */
	uint32_t product;   /* interned */
	uint8_t type;       /* enum event_type */
	int8_t tier;
	int8_t programme;
	uint8_t state;
};

struct engine;

struct engine *engine_new(const struct config *cfg);
/*
 * A history detail that is one of the engine's shared plain move texts
 * ("from -> to"): true, with the two states. By address, not by comparing
 * text: a note that reads the same is not one.
 */
bool engine_plain_move(const struct engine *e, const char *detail, unsigned *from, unsigned *to);
void engine_free(struct engine *e);

/*
 * Switch to a new configuration (a reload). Open tickets keep their used
 * business time; their budget, deadline and heap entry are recomputed on the
 * new calendar and targets. Refused (nothing changes) when an open ticket's
 * centre is missing from cfg.
 */
int engine_set_config(struct engine *e, const struct config *cfg, int64_t now,
                      struct engine_error *err);
const struct config *engine_config(const struct engine *e);

/* ---- members ---- */

struct member_input {
	uint64_t number;
	enum tier tier;
	char country[3];
	bool has_programme;
	enum programme programme;
	int32_t expires;  /* -1: none */
	const char *name; /* may be NULL */
};

int engine_member_set(struct engine *e, const struct member_input *in, int64_t now,
                      struct engine_error *err);
/* 1 when a member was deleted, 0 when there was none. */
int engine_member_del(struct engine *e, uint64_t number, int64_t now);
const struct member *engine_member_get(const struct engine *e, uint64_t number);
size_t engine_member_count(const struct engine *e);
enum tier engine_member_effective_tier(const struct engine *e, const struct member *m);
enum programme engine_member_programme(const struct engine *e, const struct member *m);

/* ---- tickets ---- */

struct ticket_open {
	const char *centre;
	const char *product;
	const char *serial;
	enum service service;
	uint64_t member; /* 0: a non-member */
	bool registered;
	bool received;
	int64_t received_at; /* with received: when (<= now) */
	bool unlisted;
	const char *note; /* may be NULL */
	const char *who;
};

int engine_ticket_open(struct engine *e, const struct ticket_open *in, int64_t now,
                       const struct ticket **out, struct engine_error *err);

struct ticket_move {
	uint64_t id;
	enum ticket_state to;
	int64_t at;  /* 0: now */
	int64_t eta; /* 0: none; only with awaiting_parts */
	const char *note;
	const char *who;
};

int engine_ticket_move(struct engine *e, const struct ticket_move *in, int64_t now,
                       const struct ticket **out, struct engine_error *err);
int engine_loan_issue(struct engine *e, uint64_t id, const char *serial, const char *note,
                      const char *who, int64_t now, const struct ticket **out,
                      struct engine_error *err);
int engine_loan_return(struct engine *e, uint64_t id, const char *note, const char *who,
                       int64_t now, const struct ticket **out, struct engine_error *err);

const struct ticket *engine_ticket_get(const struct engine *e, uint64_t id);
/* Every id issued (archived ones included): the next ticket gets this + 1. */
uint64_t engine_ticket_count(const struct engine *e);

/* A ticket's clock read at now (the ticket itself only changes on events). */
struct ticket_clock {
	int64_t used;      /* business seconds used */
	int64_t remaining; /* budget - used; negative when over */
	bool running;
	bool paused;
};
void engine_ticket_clock(const struct engine *e, const struct ticket *t, int64_t now,
                         struct ticket_clock *c);

#define TICKET_NFIELDS 30
extern const char *const ticket_field_names[TICKET_NFIELDS];
/* The ticket's reply values in PROTOCOL.md's order; "" stands for "not set". */
struct ticket_fields {
	const char *v[TICKET_NFIELDS];
	size_t len[TICKET_NFIELDS]; /* strlen(v[i]) */
	char buf[TICKET_NFIELDS][24];
};
void engine_ticket_fields(const struct engine *e, const struct ticket *t, int64_t now,
                          struct ticket_fields *f);
struct rbuf;
/*
 * The ticket's reply (PROTOCOL.md): a record (RESP2 flat array, RESP3 map)
 * of the TICKET_NFIELDS field names and values, written in one go (one
 * reservation, no printf): the hot path of TICKET.GET/OPEN/MOVE. Byte for
 * byte what reply_record and reply_bulk_str of engine_ticket_fields give.
 */
void engine_ticket_reply(const struct engine *e, const struct ticket *t, int64_t now, int resp,
                         struct rbuf *out);

const char *engine_str(const struct engine *e, uint32_t id); /* an interned string */

/* ---- queries ---- */

enum ticket_scope { SCOPE_OPEN, SCOPE_CLOSED, SCOPE_ALL };

struct ticket_filter {
	const char *centre; /* NULL: any */
	uint64_t member;    /* 0: any */
	int state;          /* -1: any */
	enum ticket_scope scope;
	bool at_risk;
	bool breached;
	uint64_t after; /* ids greater than this */
	size_t count;
	const char *const *centres; /* when set: only tickets of these centres (a user's scope) */
	size_t ncentres;
};

/* Up to f->count matching tickets with ids above f->after, ascending. Returns how many. */
size_t engine_ticket_list(const struct engine *e, const struct ticket_filter *f,
                          const struct ticket **out);

struct engine_stats {
	uint64_t closed, met, missed, open, at_risk, breached, loans_eligible;
	uint64_t met_tier[TIER_COUNT], missed_tier[TIER_COUNT];
};
/* centre NULL: all; since/until: UTC dates of readiness (-1: unbounded). */
void engine_stats(const struct engine *e, const char *centre, int32_t since, int32_t until,
                  struct engine_stats *s);
/* The same, over a set of centres (a user's scope); centres NULL: all. */
void engine_stats_in(const struct engine *e, const char *const *centres, size_t ncentres,
                     int32_t since, int32_t until, struct engine_stats *s);

/* Counters for INFO tickets. */
struct engine_counts {
	uint64_t tickets, open, at_risk, breached, fast_track, queued, loans_eligible, loans_issued,
	        members, heap, events, history_bytes;
	uint64_t history_slab_bytes; /* slabs of small history arrays, in use or free */
	uint64_t in_memory; /* tickets is every id issued; archived ones are not in memory */
};
void engine_counts(const struct engine *e, struct engine_counts *c);

/* Open tickets of one centre, for the metrics. */
struct engine_centre_count {
	uint64_t open, at_risk, breached, queued, loans_eligible, loans_issued;
};
/*
 * out[i] for the configuration's centre i (n of them, zeroed first). One
 * walk over the tickets: O(tickets), about a millisecond per 200,000.
 */
void engine_centre_counts(const struct engine *e, struct engine_centre_count *out, size_t n);

/* ---- time ---- */

/* Process everything due up to now (at risk, breach, loans). Returns how many. */
size_t engine_advance(struct engine *e, int64_t now);
/*
 * The same in slices: at most max due tickets (their count in *done, which
 * may be NULL). Returns true when more are due at or before now. Calling it
 * again with the same now until it returns false gives the same state and
 * the same events in the same order as one engine_advance(now): the shell
 * does the work a few milliseconds at a time and serves clients between.
 * Every other entry point still finishes what is due first (its result
 * depends on it).
 */
bool engine_advance_max(struct engine *e, int64_t now, size_t max, size_t *done);
/* The next instant a ticket needs attention; false when none. */
bool engine_next_due(const struct engine *e, int64_t *at);

/* ---- outbox ---- */

/*
 * Only events of the types configured for Redis (cfg->redis_events, none
 * while redis is disabled) wait in the outbox; every event, of any type, is
 * in the batch engine_emitted() returns until the journal collects changes.
 * Delivered events leave the outbox for the retention window, where they
 * stay for resending into a stream that lost them.
 */

/* Every event since the journal last collected changes (engine_clear_changes), any type. */
size_t engine_emitted(const struct engine *e, const struct event **events);

/* Events waiting for delivery, oldest first. */
size_t engine_outbox_count(const struct engine *e);
const struct event *engine_outbox_at(const struct engine *e, size_t i);
/* The index of the first waiting event with a sequence above seq (count if none): O(log n). */
size_t engine_outbox_after(const struct engine *e, uint64_t seq);
/*
 * The n oldest waiting events were delivered (or need no delivery): into the
 * retention window. Only journaled events may be: the journal's cursor
 * covers the waiting ones.
 */
void engine_outbox_drop(struct engine *e, size_t n);
/* Waiting events at the tail of the outbox that the journal has not collected yet. */
size_t engine_outbox_unjournaled(const struct engine *e);
uint64_t engine_last_seq(const struct engine *e);

struct engine_outbox_stats {
	size_t waiting;    /* events waiting for delivery */
	size_t retained;   /* delivered events kept for resending */
	size_t bytes;      /* memory the outbox holds (waiting and retained) */
	size_t event_size; /* bytes per event */
	int64_t oldest_at; /* time of the oldest waiting event; 0 when none waits */
};
void engine_outbox_stats(const struct engine *e, struct engine_outbox_stats *s);

/* Retention of delivered events: at most max_events, none older than max_age seconds (0: no
 * limit by age) against the engine's clock. */
#define ENGINE_RETAIN_EVENTS 10000
void engine_set_retention(struct engine *e, size_t max_events, int64_t max_age);
/* Delivered events still kept, oldest first. */
size_t engine_retained_count(const struct engine *e);
const struct event *engine_retained_at(const struct engine *e, size_t i);
/* The index of the first retained event with a sequence above seq (count if none): O(log n). */
size_t engine_retained_after(const struct engine *e, uint64_t seq);

/*
 * Delivery state per stream (a stream per centre): the last event sequence
 * Redis confirmed in it. Journaled at the next commit and kept in snapshots,
 * so after a restart the shell can compare a stream's last entry with it
 * before it adds anything. Only raises.
 */
void engine_stream_set_delivered(struct engine *e, const char *centre, uint64_t seq);
/* 0 when nothing was ever delivered to that stream. */
uint64_t engine_stream_delivered(const struct engine *e, const char *centre);
size_t engine_stream_count(const struct engine *e);
/* The i-th stream's centre and delivered sequence. */
uint64_t engine_stream_at(const struct engine *e, size_t i, const char **centre);

/* ---- journal support ---- */

/*
 * Every ticket and member changed since the last engine_clear_changes(), each
 * once, in the order they were first changed. The journal writes members
 * whole and a ticket whole when its `whole` flag is set (new, or history
 * inserted before its end), else what changed: its mutable fields and the
 * history entries after engine_changed_ticket_nhist(). Events: the last
 * engine_outbox_unjournaled() of the outbox.
 */
size_t engine_changed_tickets(const struct engine *e, const uint64_t **ids);
/* The history length the i-th changed ticket had when it was first changed. */
uint32_t engine_changed_ticket_nhist(const struct engine *e, size_t i);
/* Whether the i-th stream's delivered sequence changed since the last engine_clear_changes(). */
bool engine_stream_changed(const struct engine *e, size_t i);
size_t engine_changed_members(const struct engine *e, const uint64_t **numbers);
void engine_clear_changes(struct engine *e);
/* The member record by number, present or deleted (slots are kept after MEMBER.DEL). */
const struct member *engine_member_any(const struct engine *e, uint64_t number);
/* Visit every member slot in use. */
void engine_each_member(const struct engine *e, void (*fn)(const struct member *m, void *arg),
                        void *arg);
int64_t engine_clock(const struct engine *e);

/* Replay: put back state exactly as a journal record describes it. */
struct hist_image {
	int64_t at;
	const char *who;
	const char *detail;
	uint8_t what;
};
struct ticket_image {
	struct ticket t; /* scalar fields; serial, hist, product, centre ignored */
	const char *serial;
	const char *product;
	const char *centre;
	const struct hist_image *hist;
	uint32_t nhist;
};
/* 0, or -1 when the id would leave a gap (ids are dense and never reused) or was archived. */
int engine_restore_ticket(struct engine *e, const struct ticket_image *img);
void engine_restore_member(struct engine *e, const struct member *m);
void engine_restore_event(struct engine *e, const struct event *ev, const char *centre,
                          const char *product, const char *serial, const char *reason);
/* Events up to seq were delivered: from the outbox into the retention window. */
void engine_restore_delivered(struct engine *e, uint64_t seq);
/* The last event sequence delivered to a centre's stream. */
void engine_restore_stream(struct engine *e, const char *centre, uint64_t seq);
/* The event sequence reached (events of types not kept are not journaled one by one). */
void engine_restore_seq(struct engine *e, uint64_t seq);
/*
 * A delta record: the ticket's mutable fields as in img->t (id, member,
 * created_at and strings ignored) and history entries added after the nhist
 * it had. -1 when there is no such ticket or its history length differs.
 */
int engine_restore_delta(struct engine *e, const struct ticket *img, uint32_t nhist,
                         const struct hist_image *hist, uint32_t nnew);
void engine_restore_clock(struct engine *e, int64_t clock);
/* After the last record: rebuild the deadline heap; then nothing is marked changed. */
void engine_restore_finish(struct engine *e);
/* The text interned under id (for encoding), "" if none. */
const char *engine_str(const struct engine *e, uint32_t id);

/* ---- retention: closed tickets leave memory for the archive ---- */

/*
 * Compaction takes tickets closed (returned or cancelled) at or before cutoff out
 * of memory and of the journal, into the archive the shell writes. In
 * three steps, so that nothing is lost if it stops half-way: select marks
 * them (the snapshot skips marked tickets); the shell writes their archive
 * lines and the snapshot, then renames; only then does remove free them.
 * cancel undoes select when the compaction failed. A marked ticket that
 * changes meanwhile (a loan returned after closing) gets its rearchive bit:
 * the shell writes its line again before the rename, and replay ignores
 * delta records of archived tickets. Ids are never reused.
 */
size_t engine_archive_select(struct engine *e, int64_t cutoff);
/* The marked tickets' ids, ascending. */
size_t engine_archive_marked(const struct engine *e, const uint64_t **ids);
void engine_archive_cancel(struct engine *e);
/* Free the marked tickets (history, strings, slots; whole pages when empty). How many. */
size_t engine_archive_remove(struct engine *e);
/* true when id was issued and is no longer in memory: archived. */
bool engine_ticket_archived(const struct engine *e, uint64_t id);
/*
 * Replay: ids up to n were issued (a snapshot that left archived tickets
 * out says so first). Tickets then fill the gaps; the rest are archived.
 */
void engine_restore_ids(struct engine *e, uint64_t n);

/* ---- self-check ---- */

/*
 * Verify the engine's invariants at now (slots per member within the limit
 * and equal to the tickets holding one, a ticket holding one exactly while
 * it is Fast Track between receipt and ready, heap order and membership, used time
 * within elapsed business time, event sequence increasing). For tests:
 * returns 0, or -1 with the first violation in msg. O(n).
 */
int engine_check(const struct engine *e, int64_t now, char *msg, size_t len);

#endif
