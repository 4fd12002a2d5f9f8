/*
 * redis_async: opening a hiredis 0.14 async connection to the Redis of the
 * configuration (redis.host/port or redis.unix, or the address the sentinels
 * gave: sentinel.h; password, db), attached to the daemon's loop. Shared by
 * upstream.c (events) and ha-link.c (the HA links); each keeps its own
 * state, timers and reconnecting.
 */
#ifndef REPAIRD_REDIS_ASYNC_H
#define REPAIRD_REDIS_ASYNC_H

#include <stddef.h>

#include <async.h>
#include <event2/event.h>

#include "config.h"

/*
 * Connect (non-blocking) to host:port (from the sentinels), or with host
 * NULL to the configuration's redis.host/port or redis.unix; set data and the two callbacks, and
 * queue AUTH and SELECT as the configuration asks (their replies go to on_setup, with a NULL
 * privdata). NULL, with the reason in why, when hiredis could not even start.
 */
redisAsyncContext *redis_async_open(const struct config *cfg, const char *host, int port,
                                    struct event_base *base, void *data,
                                    redisConnectCallback *on_connect,
                                    redisDisconnectCallback *on_disconnect,
                                    redisCallbackFn *on_setup, char *why, size_t whylen);

/* Where redis_async_open() connects with host and port, for the log and INFO. */
void redis_async_where(const struct config *cfg, const char *host, int port, char *out, size_t len);

#endif
