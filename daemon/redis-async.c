/* redis-async: one way to open a Redis link (redis_async.h). */
#include "redis_async.h"

#include <stdio.h>

#include <adapters/libevent.h>

void redis_async_where(const struct config *cfg, const char *host, int port, char *out, size_t len)
{
	if (host)
		snprintf(out, len, "%s:%d", host, port);
	else if (cfg->redis_unix)
		snprintf(out, len, "%s", cfg->redis_unix);
	else
		snprintf(out, len, "%s:%d", cfg->redis_host, cfg->redis_port);
}

redisAsyncContext *redis_async_open(const struct config *cfg, const char *host, int port,
                                    struct event_base *base, void *data,
                                    redisConnectCallback *on_connect,
                                    redisDisconnectCallback *on_disconnect,
                                    redisCallbackFn *on_setup, char *why, size_t whylen)
{
	redisAsyncContext *ac = host ? redisAsyncConnect(host, port)
	                        : cfg->redis_unix
	                                ? redisAsyncConnectUnix(cfg->redis_unix)
	                                : redisAsyncConnect(cfg->redis_host, cfg->redis_port);

	if (ac == NULL || ac->err) {
		snprintf(why, whylen, "connect: %s", ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return NULL;
	}
	ac->data = data;
	redisLibeventAttach(ac, base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* Queued now, sent first once connected. */
	if (cfg->redis_password)
		redisAsyncCommand(ac, on_setup, NULL, "AUTH %s", cfg->redis_password);
	if (cfg->redis_db)
		redisAsyncCommand(ac, on_setup, NULL, "SELECT %d", cfg->redis_db);
	return ac;
}
