/*
 * harness: integration tests start the real repaird on a free loopback port
 * (with --debug-clock and a temporary config and state directory), wait until
 * PING answers, talk to it with hiredis as partner software would, and stop it
 * in teardown.
 */
#ifndef REPAIRD_HARNESS_H
#define REPAIRD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>
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

/*
 * A free TCP port on 127.0.0.1 (bound and released), picked at random below the
 * kernel's ephemeral range: outgoing connections never take it, and suites run
 * side by side rarely pick the same one. Another process may still take it
 * before the daemon binds it: daemon_start() and daemon_spawn() then retry on
 * a new port.
 */
int harness_free_port(void);

/* ---- waiting for a condition ----------------------------------------------------- */

struct harness_deadline {
	long long end_ms; /* CLOCK_MONOTONIC */
};

/* CLOCK_MONOTONIC in ms: for timing a test's steps. */
long long harness_ms_now(void);
struct harness_deadline harness_deadline_in(int ms);
/* false once the deadline has passed; otherwise waits one short step (10 ms), true. */
bool harness_poll(struct harness_deadline *dl);
/*
 * Re-evaluate cond until it holds or ms milliseconds pass. It asserts nothing:
 * the test checks the outcome afterwards, so a condition that never comes
 * still fails it (with the test's own message).
 */
#define WAIT_UNTIL(cond, ms)                                                                       \
	do {                                                                                       \
		struct harness_deadline wait_dl_ = harness_deadline_in(ms);                        \
		while (!(cond) && harness_poll(&wait_dl_))                                         \
			;                                                                          \
	} while (0)

/* ---- files, commands, children --------------------------------------------------- */

/* The whole file, malloc'd and NUL-terminated; "" when it cannot be read. */
char *harness_slurp(const char *path);
/* The start of a (small) file, up to 64 KiB, or "" (a static buffer of its own). */
const char *harness_file(const char *path);
/* Write text to path (the test fails if it cannot). */
void harness_write_file(const char *path, const char *text);
/* Run a shell command made by printf: 0 when it exits 0, else -1 (the command on stderr). */
int harness_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run argv (argv[0] a path) in a child and wait for it: stdin from input (NULL:
 * /dev/null), stdout and stderr into *out and *err (malloc'd), by way of files
 * in dir. The child's environment is that of a user without repairctl
 * settings: no REPAIRCTL_*, XDG_CONFIG_HOME, NO_COLOR, SSL_CERT_FILE or
 * SSL_CERT_DIR, HOME=dir; then each "K=V" of env1 and of env2 (either may be
 * NULL). Returns the exit status, or 128 + the signal.
 */
int harness_run(const char *dir, const char *input, const char *const *env1,
                const char *const *env2, const char *const *argv, char **out, char **err);

/* Run the suite (CK_NORMAL): the exit status for main(). */
int harness_run_suite(Suite *s);

/* ---- the daemon ------------------------------------------------------------------ */

/*
 * Write a test config into d->dir (policy_yaml is inserted as the policy
 * section, may be NULL) and start repaird with extra_args (NULL-terminated,
 * may be NULL; "--real-clock" leaves out --debug-clock). Returns 0 when PING
 * answers within 10 s. The daemon's clock starts at 2026-11-23T07:00:00Z, a
 * Monday, 08:00 in Berlin.
 */
int daemon_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args);
/* daemon_start(), and the test fails (with the daemon's log) unless it started. */
void harness_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args);
/* daemon_start() without the start: the directory, the config, a port. */
void daemon_prepare(struct daemon *d, const char *policy_yaml);
/*
 * Start repaird again in the same directory (same config, state, port), e.g.
 * after daemon_stop() or daemon_kill9(). extra_args as for daemon_start, plus
 * "--fsize=BYTES" (a file-size limit: writes beyond it fail) and
 * "--strace=FILE" (run it under strace, writing the trace to FILE).
 */
int daemon_spawn(struct daemon *d, const char *const *extra_args);

/* Runs in the child just before exec (environment, limits, descriptors). */
typedef void (*harness_child_fn)(void *arg);
/* daemon_spawn(), with setup (may be NULL) run in the child before exec. */
int daemon_spawn_with(struct daemon *d, const char *const *extra_args, harness_child_fn setup,
                      void *arg);
/*
 * Fork and exec repaird as daemon_spawn_with() does, and return at once: for
 * tests that watch the start itself. Without a retry when the port is taken.
 */
void daemon_exec(struct daemon *d, const char *const *extra_args, harness_child_fn setup,
                 void *arg);
/*
 * Wait until the daemon answers PING on its own unix socket (d->sock; TCP
 * when it has none), up to 20 s: all its listeners are bound by then, and the
 * answer cannot come from another process that happens to hold d->port
 * (a "--unix PATH" in extra_args moves d->sock there; "--unix \"\"" empties it).
 * 0; -1 when it exited (d->pid is then 0) or did not answer.
 */
int daemon_wait_ready(struct daemon *d);
/* PING on c answers PONG (c may be NULL or failed: false). */
bool harness_ping(redisContext *c);
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
/*
 * Field `name` of ROLE on d over a new TCP connection, or "" when d does not
 * answer (one of four static buffers, so that a few can be compared).
 */
const char *harness_role_field(const struct daemon *d, const char *name);
/* The number on line `key:` of INFO section on d over a new TCP connection; -1 when absent. */
long long harness_info_num(const struct daemon *d, const char *section, const char *key);
/* The whole log written by the daemon so far (static buffer). */
const char *daemon_log(const struct daemon *d);
/* The last 1500 bytes of daemon_log(), for a failure message (Check limits its length). */
const char *harness_log_tail(const struct daemon *d);
/* Wait up to ms for text to appear in the daemon's log; true when it is there. */
bool daemon_log_wait(const struct daemon *d, const char *text, int ms);

/* ---- replies --------------------------------------------------------------------- */

/* Assert a +status reply that is exactly status, and free it. */
void harness_expect_status(redisReply *r, const char *status);
/* Assert an -error reply that starts with prefix, and free it. */
void harness_expect_error(redisReply *r, const char *prefix);
/* Assert field `name` of a field/value array reply is value (the reply is kept). */
void harness_expect_field(const redisReply *r, const char *name, const char *value);
/* harness_expect_field() for each name, value pair that follows r (NULL-terminated). */
void harness_expect_fields(const redisReply *r, ...);
/* DEBUG.CLOCK t on c answers +OK. */
void harness_set_clock(redisContext *c, const char *t);
/* A new connection to d, authenticated as user (the test fails if AUTH does not answer +OK). */
redisContext *harness_login(const struct daemon *d, const char *user, const char *password);

/* ---- redis-server ------------------------------------------------------------------ */

/* A redis-server of the test's own, on a free loopback port, in a directory of its own. */
struct redis_server {
	pid_t pid;
	int port;
	char dir[128];
};

/* A directory and a free port for r; nothing started yet. */
void harness_redis_init(struct redis_server *r);
/*
 * Start redis-server on r's port and directory (extra: more "--name value"
 * words, NULL-terminated, may be NULL; without any, no persistence) and wait
 * until it answers as itself (its INFO process_id, not another process's on a
 * reused port) and has finished loading. false when it exited at once (the
 * port was taken): pick another port or give up.
 */
bool harness_redis_spawn(struct redis_server *r, const char *const *extra);
/* harness_redis_init(), then harness_redis_spawn() on another port while one is taken. */
void harness_redis_start(struct redis_server *r, const char *const *extra);
/* A connection to r (the test fails if it cannot connect). */
redisContext *harness_redis_connect(const struct redis_server *r);
/* kill -9 and reap; directory and port stay, for a restart with harness_redis_spawn(). */
void harness_redis_kill(struct redis_server *r);
/* kill -9, reap, and remove its directory. */
void harness_redis_stop(struct redis_server *r);

/* ---- access ---------------------------------------------------------------------- */

/* sha256 of "admin-pw", "staff-pw", "partner-pw", "viewer-pw" (the older form; still read). */
#define HASH_ADMIN   "f6302296b934fd23629ef2252a746c1f2b57a7d0446f069232a007fe0a1f046e"
#define HASH_STAFF   "a6af30537a31ea1b3ff0d5446a98d22f091b110e06e74a91668952e4eb57a927"
#define HASH_PARTNER "173bafb02a1b5c0a6803fdb78a3b811f4ee7011b961095267b5ec645ac086677"
#define HASH_VIEWER  "25e82f97f275c78d52337764cc2ec727510531cbf99047253e809079cd9f7e98"
/* TCP needs AUTH; the one user, boss (password admin-pw), is admin and also the unix user. */
#define HARNESS_AUTH_YAML                                                                          \
	"access:\n"                                                                                \
	"  tcp_auth: on\n"                                                                         \
	"  unix_user: boss\n"                                                                      \
	"  users:\n"                                                                               \
	"    - {name: boss, password: \"sha256:" HASH_ADMIN "\", role: admin, centres: \"*\"}\n"

#endif
