/*
 * ha_nodes: what the HA suites (test_it_ha*.c) share: repaird nodes with an
 * ha: section (prefix ht, lease_ms LEASE_MS) on one real redis-server, and
 * looking at them from outside as a client would.
 */
#ifndef REPAIRD_HA_NODES_H
#define REPAIRD_HA_NODES_H

#include <stdbool.h>

#include "harness.h"

#define LEASE_MS 600

/* daemon_prepare() with redis: at redis_port and ha: {node: name, sync: sync}. */
void node_prepare(struct daemon *d, int redis_port, const char *name, const char *sync);
/* A field of ROLE, or "" when the node does not answer (static buffer per field). */
const char *role_field(const struct daemon *d, const char *name);
bool is_role(const struct daemon *d, const char *role);
/* TICKET.OPEN with this serial; the reply (the caller frees it), or NULL when no answer. */
redisReply *open_ticket(redisContext *c, const char *serial);
bool opened(redisContext *c, const char *serial);
/* The serial of ticket id on the node, or "" (static buffer). */
const char *serial_of(const struct daemon *d, const char *id);
/* A line of INFO as a number (-1 when absent). */
long long info_num(const struct daemon *d, const char *section, const char *key);

#endif
