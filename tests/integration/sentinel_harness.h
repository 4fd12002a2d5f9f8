/*
 * sentinel_harness: Redis under Sentinel for the integration suites
 * (test_it_sentinel.c, test_it_sentinel_ha.c): a sentinel process of the
 * test's own (redis-server --sentinel) monitoring SH_MASTER, and what it and
 * the Redis servers say.
 */
#ifndef REPAIRD_SENTINEL_HARNESS_H
#define REPAIRD_SENTINEL_HARNESS_H

#include <stdbool.h>

#include <hiredis.h>

#include "harness.h"

/* The name the sentinels monitor the primary by (redis.master). */
#define SH_MASTER "events-main"

/* A reply of the Redis on port to a command made by printf; NULL when it does not answer. */
redisReply *sh_redis_at(int port, const char *fmt, const char *arg);
/* The port the sentinel on sport names for SH_MASTER, 0 when none. */
int sh_sentinel_says(int sport);
/* The sentinel knows a replica of SH_MASTER that is connected (it can promote it). */
bool sh_sentinel_knows_replica(int sport);
/* "master" or "slave" from ROLE on port, "" when it does not answer (static buffer). */
const char *sh_role_of(int port);
/*
 * A sentinel on s's port and directory, monitoring SH_MASTER at port mport
 * with quorum 1; down_ms until it calls a silent primary down.
 */
void sh_sentinel_start(struct redis_server *s, int mport, int down_ms);

#endif
