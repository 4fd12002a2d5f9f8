/*
 * ha_impl: what the files of the HA module share (ha.c: roles, lease,
 * takeover, status; ha-stream.c: shipping, the tail, snapshots, rebuild;
 * ha-link.c: a Redis connection). Not part of the daemon's interface.
 */
#ifndef REPAIRD_HA_IMPL_H
#define REPAIRD_HA_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis.h>
#include <async.h>

#include "ha.h"
#include "proto.h"

struct event;

/* A stream entry ID, <ms>-<seq>; here <term>-<n>. {0, 0}: none (before any entry). */
struct sid {
	uint64_t ms, seq;
};

struct hlink {
	struct ha *h;
	const char *name; /* "command", "tail" (for the log) */
	redisAsyncContext *ac;
	bool up;      /* connected (and set up) */
	bool failing; /* a teardown is queued */
	bool logged_down;
	int backoff_ms;
	struct event *retry_ev, *timeout_ev, *kill_ev;
	char last_error[160];
	void (*on_up)(struct ha *h);
	void (*on_down)(struct ha *h, bool was_up);
};

struct ha {
	struct server *srv;
	enum ha_role role;
	bool stopping;
	bool released; /* stopping: the lease was let go */
	struct hlink cmd, tail;
	struct event *tick_ev;
	char lease_value[256]; /* "<node> <term> <address>" while we hold it */

	/* What the node knows of the leader (its own values when leading). */
	uint64_t term;
	char leader[72];
	char leader_addr[128];
	int64_t missing_since; /* monotonic ms the lease was first seen gone; 0: present */

	/* The lease (leader, or a standby taking over). */
	bool taking_over; /* fenced; becomes leader once the tail reached the fence */
	struct sid fence;
	int64_t fence_at;    /* monotonic ms the fence was written */
	int64_t lease_until; /* monotonic ms: writes allowed before this */
	bool renew_out;      /* a renewal awaits its reply */
	int64_t renew_sent;
	struct sid renew_last; /* the last entry we had shipped when the renewal left */
	bool renewed;          /* the lease was confirmed since the command link came up */
	bool cmd_heard;        /* the command link answered since it came up (see send_ping) */
	bool poll_out;         /* a standby's look at the lease awaits its reply */
	int64_t poll_sent;
	int64_t heard; /* monotonic ms of a standby's last answer from Redis; 0: none yet */

	/* Stream position. */
	bool have_pos;        /* the engine is exactly the stream up to `applied` */
	struct sid applied;   /* standby: last entry applied; leader: last shipped */
	uint64_t records;     /* records in the stream up to `applied` (cumulative) */
	uint64_t top_records; /* the leader's count, as last seen (a standby's lag) */
	bool bootstrapped;
	bool rebuild_out;
	bool need_rebuild;
	bool tail_out;
	uint64_t tail_gen; /* XREADs sent before a rebuild are of no use after it */
	int64_t tail_sent;

	/* Shipping (leader). */
	struct rbuf batch; /* jfile_commit's bytes (the journal's tap) */
	uint64_t batch_records;
	uint64_t next_seq;       /* the next entry is <term>-<next_seq> */
	uint64_t shipped;        /* batches handed over, numbered from 1 */
	uint64_t confirmed;      /* batches Redis confirmed (and WAIT, with wait_replicas) */
	uint64_t since_snapshot; /* batches since the last snapshot */
	bool snapshot_due;
	bool need_reship; /* Redis may lack batches: a snapshot must cover them */
	bool snapshot_out;
	uint64_t snapshot_covers; /* `shipped` when the snapshot in flight was taken */
	bool replicas_short;      /* WAIT found fewer than wait_replicas (logged once) */

	/*
	 * Events (leader): only those whose records Redis holds go out, else a
	 * change lost in a failover leaves its event behind, and the new leader's
	 * event of the same sequence number is refused as a duplicate. marks:
	 * for each batch shipped and not yet confirmed, the last journal
	 * sequence number it holds.
	 */
	struct batch_mark {
		uint64_t batch, seq;
	} * marks;
	size_t nmarks, marks_head, marks_cap;
	uint64_t marked;         /* the last batch with a mark */
	uint64_t events_horizon; /* every record up to this sequence number is in Redis */

	/* Counters for INFO. */
	uint64_t batches_applied, rebuilds, takeovers, stepdowns, snapshots, reships;
};

/* ---- ha-link.c ---- */
void hlink_init(struct hlink *l, struct ha *h, const char *name, void (*on_up)(struct ha *),
                void (*on_down)(struct ha *, bool));
void hlink_free(struct hlink *l);
/* Queue the teardown (safe inside hiredis callbacks); the link reconnects. */
void hlink_fail(struct hlink *l, const char *why);
bool hlink_ready(const struct hlink *l);
void hlink_timer(struct event *ev, int64_t ms);

/* ---- ha.c ---- */
void ha_become_leader(struct ha *h);
void ha_step_down(struct ha *h, const char *why);
int64_t ha_now_ms(void);
/* "<prefix>:<name>" */
void ha_key(const struct ha *h, const char *name, char *out, size_t len);

/* ---- ha-stream.c ---- */
int sid_parse(const char *s, struct sid *out);
int sid_cmp(struct sid a, struct sid b);
void sid_format(struct sid id, char *out, size_t len); /* "none" for {0, 0} */
/* Load the snapshot from Redis into a new engine (or find Redis empty). */
void ha_rebuild(struct ha *h);
/* The standby's next XREAD BLOCK, when none is out. */
void ha_tail_next(struct ha *h);
/* Store a snapshot of the engine at the next entry ID, then trim. */
void ha_ship_snapshot(struct ha *h);
/* An XADD or the snapshot script was refused: a newer term wrote. */
bool ha_fenced_error(const redisReply *r);

#endif
