/*
 * harness: integration tests start the real repaird on a free loopback port
 * (with --debug-clock and a temporary config and state directory), wait until
 * PING answers, talk to it with hiredis as partner software would, and stop it
 * in teardown.
 */
#ifndef REPAIRD_HARNESS_H
#define REPAIRD_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <hiredis.h>

struct daemon {
	pid_t pid;
	int port;
	char dir[128]; /* temporary directory: config, state, socket, log */
	char config[192];
	char sock[192];
	char log[192];
};

/* A plain TCP connection to 127.0.0.1:port (the test fails if it cannot connect). */
int harness_raw_connect(int port);
/* Everything the peer sends until it closes or 5 s pass; NUL-terminated. */
size_t harness_read_all(int fd, char *buf, size_t cap);

/* A free TCP port on 127.0.0.1 (bound and released). */
int harness_free_port(void);

/*
 * Write a test config into d->dir (policy_yaml is inserted as the policy
 * section, may be NULL) and start repaird with extra_args (NULL-terminated,
 * may be NULL; "--real-clock" leaves out --debug-clock). Returns 0 when PING
 * answers within 10 s. The daemon's clock starts at 2026-11-23T07:00:00Z, a
 * Monday, 08:00 in Berlin.
 */
int daemon_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args);
/*
 * Start repaird again in the same directory (same config, state, port), e.g.
 * after daemon_stop() or daemon_kill9(). extra_args as for daemon_start, plus
 * "--fsize=BYTES" (a file-size limit: writes beyond it fail) and
 * "--strace=FILE" (run it under strace, writing the trace to FILE).
 */
int daemon_spawn(struct daemon *d, const char *const *extra_args);
/* kill -9, and reap. */
void daemon_kill9(struct daemon *d);
/* Rewrite the config (for reload tests). */
void daemon_write_config(struct daemon *d, const char *policy_yaml, const char *extra_yaml);
/* SIGTERM, wait (then SIGKILL after 5 s); returns the exit status, or -1. */
int daemon_stop(struct daemon *d);
void daemon_cleanup(struct daemon *d);

redisContext *daemon_connect(const struct daemon *d);
/* Run a command given as argv words; the reply (never NULL: the test fails instead). */
redisReply *cmd(redisContext *c, const char *first, ...);
/* The value of field `name` in a field/value array reply, or NULL. */
const char *field(const redisReply *r, const char *name);
/* The whole log written by the daemon so far (static buffer). */
const char *daemon_log(const struct daemon *d);

#endif
