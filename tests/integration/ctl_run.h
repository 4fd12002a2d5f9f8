/*
 * ctl_run: running the real repairctl (REPAIRCTL_BIN) in integration tests
 * against a daemon the harness started, and checking what it printed.
 * Linked into every integration test; used by the repairctl suites.
 */
#ifndef REPAIRD_CTL_RUN_H
#define REPAIRD_CTL_RUN_H

#include <stdbool.h>

#include "harness.h"

struct out {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout */
	char *err;  /* stderr */
};

/*
 * The fixture of the repairctl suites: start d with the default config, connect
 * *rc to it, ctl_run_begin(d). ctl_fixture_stop() undoes it all.
 */
void ctl_fixture_start(struct daemon *d, redisContext **rc);
void ctl_fixture_stop(struct daemon *d, redisContext **rc);

/* The daemon the runs talk to (its socket, its directory as HOME); in setup. */
void ctl_run_begin(const struct daemon *d);
/* Free every run's output; in teardown. */
void ctl_run_end(void);

/*
 * Run repairctl with argv (NULL-terminated), stdin from `input` (NULL: none),
 * extra environment "K=V" strings, and, when `sock`, "-s <the daemon's socket>"
 * first. The child's environment is clean: no REPAIRCTL_*, no NO_COLOR, HOME in
 * the test directory (no ~/.config/repairctl.conf), TZ=Europe/Berlin.
 */
struct out *run_argv(const char *input, const char *const *env, bool sock, const char *const *args);
/* repairctl -s <socket> args... (NULL-terminated) */
struct out *ctl(const char *first, ...);
/* repairctl args... (no socket given: for TCP, env and config tests) */
struct out *ctl_raw(const char *const *env, const char *first, ...);
/* repairctl -s <socket> args... with extra environment "K=V" strings */
struct out *ctl_env(const char *const *env, const char *first, ...);
/* repairctl -s <socket> args... with `input` on stdin */
struct out *ctl_in(const char *input, const char *first, ...);

void expect_exit(const struct out *o, int code);
void expect_in(const char *text, const char *what);
void expect_not_in(const char *text, const char *what);
/* Exactly one JSON value, of the kind that starts with `open` ('{' or '['). */
void expect_json(const char *text, char open);
/* The JSON value text of "key" (first occurrence), copied to a static buffer. */
const char *jget(const char *json, const char *key);
int count_in(const char *text, const char *what);

#endif
