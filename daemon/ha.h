/*
 * ha: high availability through Redis (the ha: section). One node is the
 * leader: it takes writes, ships every commit batch (the bytes it wrote to
 * its local journal in that group commit) to the stream <prefix>:journal
 * with entry ID <term>-<n>, and renews the lease <prefix>:leader. The
 * others are standbys: they load the latest snapshot, tail the stream,
 * apply each batch to their engine and their own journal, serve reads and
 * answer writes with READONLY naming the leader. Stream IDs only grow, so
 * once a newer term has written, an older leader's XADD is refused and it
 * steps down: that is the fencing.
 *
 * Without an ha: section srv->ha is NULL and every function here answers as
 * a single node would (role single, writable, ready). Never calls into
 * cmd.c; conn.c asks it which batch a reply waits for, server.c hands it
 * each commit.
 *
 * Shell: two hiredis async connections of its own (commands and lease, and
 * the blocking XREAD tail) on the daemon's loop, and timers.
 */
#ifndef REPAIRD_HA_H
#define REPAIRD_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

struct server;
struct ha;

enum ha_role { HA_SINGLE, HA_STANDBY, HA_LEADER };

/*
 * Create the HA state when the config has ha: (else NULL), connect, and
 * run the loop until the node has bootstrapped from Redis (the snapshot
 * loaded, or Redis found empty) or a few lease periods passed. The caller
 * opens its listeners after this.
 */
struct ha *ha_start(struct server *srv);
void ha_free(struct ha *h);

enum ha_role ha_role_of(const struct ha *h);
/* "leader", "standby" or "single". */
const char *ha_role_name(const struct ha *h);
/* Redis's word for it (HELLO): "master" (leader, single) or "replica". */
const char *ha_role(const struct ha *h);

/*
 * May this node change state now (requests, deadlines, events)? A single
 * node always; a leader while its lease holds; a standby never.
 */
bool ha_writable(const struct ha *h);
/* The READONLY error for a write refused here (call when !ha_writable). */
void ha_reply_readonly(const struct ha *h, struct rbuf *out);
/* For /readyz: ready to take its role's requests. */
bool ha_ready(const struct ha *h);

/*
 * After a successful jfile_commit(): ship what it wrote (the leader), store
 * a snapshot when one is due. Called by server.c's on_commit.
 */
void ha_after_commit(struct ha *h);
/*
 * The batch number that replies of a write committed just now must wait
 * for (sync: on), and the highest batch Redis has confirmed. A single node,
 * a standby and sync: off answer 0 to the first: nothing waits.
 */
uint64_t ha_batch_to_wait(const struct ha *h);
uint64_t ha_confirmed(const struct ha *h);
/*
 * Events up to this sequence number may go to Redis: all of them without
 * HA, none on a standby, on a leader those of batches Redis confirmed.
 */
uint64_t ha_events_upto(const struct ha *h);
/* JOURNAL.COMPACT: the leader also stores a snapshot in Redis and trims the stream. */
void ha_snapshot_request(struct ha *h);

/* ROLE: the field/value array. */
void ha_reply_role(const struct ha *h, struct rbuf *out);
/* INFO replication: key:value lines. */
void ha_info(const struct ha *h, struct rbuf *b);

#endif
