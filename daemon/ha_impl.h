/*
 * ha_impl: what the files of the HA module share (ha.c: roles, lease,
 * takeover, status; ha-stream.c: shipping, the tail; ha-snapshot.c: the
 * snapshot, written by a child process; ha-rebuild.c: a standby loading it;
 * ha-link.c: a Redis connection). Not part of the daemon's interface.
 */
#ifndef REPAIRD_HA_IMPL_H
#define REPAIRD_HA_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis.h>
#include <async.h>

#include "ha.h"
#include "proto.h"

struct event;
struct sentinel;

/* A stream entry ID, <ms>-<seq>; here <term>-<n>. {0, 0}: none (before any entry). */
struct sid {
	uint64_t ms, seq;
};

struct ha_rebuild; /* ha-snapshot.c: a standby's read of the snapshot, chunk by chunk */

/* The leader's snapshot in progress, and what the last ones cost (ha-snapshot.c). */
struct ha_snap {
	size_t chunk;          /* bytes per chunk key (REPAIRD_HA_SNAPSHOT_CHUNK_BYTES for tests) */
	pid_t pid;             /* the child writing the chunks; 0: none */
	int report_fd;         /* the child's report (chunks, bytes); -1 */
	struct event *poll_ev; /* waitpid(pid) while it runs */
	struct sid name;       /* names its chunk keys: an ID never used for an entry */
	struct sid pos;        /* the entry it covers (a reship: its marker, given at the end) */
	uint64_t records;      /* records in the stream up to pos */
	uint64_t covers;       /* `shipped` at the fork */
	bool reship;           /* Redis may lack batches: those after the fork are held */
	bool spoiled;          /* the command link went down while the child ran */
	bool finish_out;       /* the script that makes it current awaits its reply */
	uint64_t chunks, bytes; /* the child's report */
	int64_t started, retry_at;
	/* Batches committed during a reship snapshot: shipped after its marker. */
	struct rbuf held;
	struct ha_held {
		size_t end;       /* in held */
		uint64_t records; /* the stream's count after it */
		uint64_t batch;   /* its number (what replies wait for) */
	} * hb;
	size_t nhb, hbcap;
	/* Counters for INFO. */
	uint64_t failures, last_chunks, last_bytes, held_batches;
	int64_t last_ms;
	/* A standby's rebuild. */
	struct ha_rebuild *rb;
	uint64_t rb_gen;      /* replies to an abandoned read are of no use */
	uint64_t rb_restarts; /* the snapshot was replaced while it was read */
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
	struct sentinel *sentinel; /* with redis.sentinels: asked before each connection */
	char addr[300];            /* where it connects, for the log */
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
	uint64_t next_seq;  /* the next entry is <term>-<next_seq> */
	uint64_t shipped;   /* batches handed over, numbered from 1 */
	uint64_t confirmed; /* batches Redis confirmed (and WAIT, with wait_replicas) */
	/*
	 * Events go to their streams only once the batch that journaled them is
	 * confirmed: an event of a change a deposed leader made but never got
	 * into the journal stream would be a phantom, and would take the stream
	 * entry ID of the new leader's event of that sequence number.
	 */
	uint64_t events_upto; /* the event sequence confirmed batches reach */
#define HA_SEQS_MAX 4096      /* entries of seqs at most: then the newest stands for those after */
	struct ha_seq {
		uint64_t batch, seq;
	} * seqs; /* shipped batches not yet confirmed */
	size_t nseqs, capseqs;
	uint64_t since_snapshot; /* batches since the last snapshot */
	bool snapshot_due;
	bool need_reship;  /* Redis may lack batches: a snapshot must cover them */
	bool snapshot_out; /* a snapshot is being taken or made current */
	struct ha_snap snap;
	bool replicas_short; /* WAIT found fewer than wait_replicas (logged once) */

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
/* The standby's next XREAD BLOCK, when none is out. */
void ha_tail_next(struct ha *h);
/* jfile.tap_ready: the batch just written to the local journal, to the stream. */
void ha_ship(void *arg);
/* An XADD or the snapshot script was refused: a newer term wrote. */
bool ha_fenced_error(const redisReply *r);
/* Batches up to this one are in Redis (and its replicas, with wait_replicas). */
void ha_confirm(struct ha *h, uint64_t batch);
/* WAIT for wait_replicas, then confirm batch. */
void ha_send_wait(struct ha *h, uint64_t batch);
/* Redis refused something the leader shipped: step down (fenced) or reconnect and reship. */
void ha_shipping_failed(struct ha *h, const redisReply *reply, const char *what);

/* ---- ha-snapshot.c, ha-rebuild.c ---- */
void ha_snapshot_init(struct ha *h);
void ha_snapshot_free(struct ha *h);
/*
 * Leader: fork a child that writes a snapshot of the engine into Redis in
 * chunks; once it exits, a fenced script makes it current and trims the
 * stream. Does nothing while one is in progress.
 */
void ha_ship_snapshot(struct ha *h);
/* A reship snapshot is in progress: the batch just committed is held until its marker. */
bool ha_snapshot_holds(const struct ha *h);
void ha_snapshot_hold_batch(struct ha *h);
/* The command link went down: what is in progress cannot be trusted. */
void ha_snapshot_link_down(struct ha *h);
/* Stepping down or stopping: end the child, forget what was held. */
void ha_snapshot_stop(struct ha *h);
/* Standby: load the snapshot from Redis into a new engine (or find Redis empty). */
void ha_rebuild(struct ha *h);
/* Forget a rebuild in progress (its link went down). */
void ha_rebuild_abort(struct ha *h);

#endif
