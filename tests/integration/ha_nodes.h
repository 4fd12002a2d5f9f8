/*
 * ha_nodes: what the HA suites (test_it_ha.c, test_it_ha_snapshot.c,
 * test_it_sentinel_ha.c, and test_it_split.c by way of group.c) share:
 * repaird nodes with an ha: section (prefix ht, lease_ms LEASE_MS) on one
 * real redis-server, and looking at HA nodes from outside as a client would.
 * Every ticket is a TICKET.OPEN in DE-PSC-TEST of an EOS R5 with a serial.
 */
#ifndef REPAIRD_HA_NODES_H
#define REPAIRD_HA_NODES_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

#define LEASE_MS 600

/* daemon_prepare() with redis: at redis_port and ha: {node: name, sync: sync}. */
void node_prepare(struct daemon *d, int redis_port, const char *name, const char *sync);
/* ROLE's role field on d is role ("leader", "standby"). */
bool is_role(const struct daemon *d, const char *role);
/* argv (9 words) of TICKET.OPEN with this serial. */
void open_argv(const char *serial, const char **argv);
/* TICKET.OPEN with this serial; the reply (the caller frees it), or NULL when no answer. */
redisReply *open_ticket(redisContext *c, const char *serial);
bool opened(redisContext *c, const char *serial);
/* The serial of ticket id on the node, or "" (static buffer). */
const char *serial_of(const struct daemon *d, const char *id);
/*
 * A writer in a child process: TICKET.OPEN with serials WR<n> on one
 * connection as fast as d answers, each acknowledged "id serial" appended to
 * path, until a write is not acknowledged, stop (when not NULL) exists, or
 * after 100000 writes.
 */
pid_t writer_start(const struct daemon *d, const char *path, const char *stop);
/* Every acknowledged write in path (writer_start()) is on d with its serial; how many. */
int check_acknowledged(const struct daemon *d, const char *path);
/*
 * The ticket.opened events of DE-PSC-TEST's stream (key prefix) in the
 * Redis on redis_port: each seq once, increasing; how many.
 */
long long events_once(int redis_port, const char *prefix);
/*
 * A takeover by a rival, node-x, written straight into the Redis of c
 * (prefix ht) as its script would: the next term, a fence record after the
 * journal's last one, and node-x's lease for px ms. The test fails unless
 * the script ran.
 */
void fence_as_node_x(redisContext *c, int px);

#endif
