/*
 * repairctl: the service-centre workstation client. Shared by its three
 * files: repairctl.c (main, options, subcommands), conn.c (settings,
 * connecting, AUTH, commands, daemon errors -> exit codes) and output.c
 * (tables, ticket views, JSON, colour).
 *
 * All state lives in one struct ctl that main() owns and hands down. Exit
 * codes are sysexits.h's; a function that fails has already told the user why
 * on stderr and returns the code to exit with.
 */
#ifndef REPAIRCTL_H
#define REPAIRCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

#include <hiredis.h>

#include "repairctl_format.h"

#define CTL_DEFAULT_SOCKET   "/run/repaird/repaird.sock"
#define CTL_DEFAULT_HOST     "127.0.0.1"
#define CTL_DEFAULT_PORT     7878
#define CTL_DEFAULT_TLS_PORT 7879 /* with --tls and no --port */
#define CTL_START_HINT       "is repaird running? start it with `systemctl start repaird` or `make run`"

enum colour_mode { COLOUR_AUTO, COLOUR_ALWAYS, COLOUR_NEVER };

/* One layer of settings (file, environment, command line); NULL / 0 = not given here. */
struct ctl_settings {
	char *socket;
	char *host;
	int port;
	char *user;
	char *password_file;
	char *password;        /* only from the environment */
	int colour;            /* -1 = not given, else enum colour_mode */
	int tls;               /* 0 = not given, 1 = on, -1 = off */
	char *cacert;          /* the CA that signed repaird's certificate; NULL: the system's */
	char *tls_server_name; /* the name to check the certificate for; NULL: the host */
};

/* A centre as CENTRE.LIST describes it; only what the output needs. */
struct ctl_centre {
	char *id;
	char *timezone;
};

struct ctl {
	struct ctl_settings set;     /* the merged settings */
	struct ctl_settings cmdline; /* what the command line gave */
	const char *config_path;     /* --config, or NULL for the default place */
	bool json;
	bool no_colour; /* --no-color */
	bool colour;    /* decided once the settings are known */

	redisContext *rc;
	struct ctl_tls *tls; /* instead of rc with --tls: hiredis 0.14 has no TLS (conn.c) */
	char endpoint[256];  /* "/run/repaird/repaird.sock" or "127.0.0.1:7878", for messages */

	struct ctl_centre *centres; /* loaded on first need (tables in centre time) */
	size_t ncentres;
	int centres_loaded; /* 0 not yet, 1 loaded, -1 could not */
};

/* ---- conn.c ---------------------------------------------------------------------- */

/* Words of one command for repaird; every word is copied. */
struct args {
	int n, cap;
	char **v;
	size_t *len;
};

void args_init(struct args *a, const char *command);
void args_add(struct args *a, const char *word);
void args_add2(struct args *a, const char *keyword, const char *value);
void args_free(struct args *a);

void settings_free(struct ctl_settings *s);
/*
 * Merge `over` onto `into`: what `over` gives wins; naming a socket drops a
 * host/port from below and the other way round. Takes over the strings of `over`.
 */
void settings_merge(struct ctl_settings *into, struct ctl_settings *over);
/* Read ~/.config/repairctl.conf (or path); 0, or an exit code (EX_CONFIG) after a message. */
int settings_from_file(struct ctl_settings *s, const char *path);
int settings_from_env(struct ctl_settings *s);
/* Checks a layer that names both a socket and a host/port; 0 or EX_USAGE/EX_CONFIG. */
int settings_check(const struct ctl_settings *s, const char *where, int code);

/* Connect (once) and AUTH when a user is set. 0, or an exit code. */
int ctl_connect(struct ctl *c);
/*
 * Send a command and read its reply. 0 with *out set (never an error reply),
 * or an exit code after the daemon's message was shown on stderr.
 */
int ctl_call(struct ctl *c, const struct args *a, redisReply **out);
/* Pipelining: queue a command; read replies in order (error replies are returned as such). */
int ctl_append(struct ctl *c, const struct args *a);
int ctl_read(struct ctl *c, redisReply **out);
/* Show an error reply as repaird wrote it and return its exit code. */
int ctl_error(struct ctl *c, const redisReply *r);
/* A reply of an unexpected shape: EX_SOFTWARE after a message. */
int ctl_unexpected(const char *what, const redisReply *r);
void ctl_close(struct ctl *c);
/* The timezone of a centre (CENTRE.LIST, loaded once), or NULL. */
const char *ctl_centre_tz(struct ctl *c, const char *centre);

/* ---- output.c -------------------------------------------------------------------- */

enum ctl_object { OBJ_TICKET, OBJ_MEMBER, OBJ_STATS, OBJ_CENTRE, OBJ_PRODUCT, OBJ_PLAIN };

/* The value of `name` in a field/value array reply, or NULL. */
const char *reply_field(const redisReply *r, const char *name);
bool reply_is_pairs(const redisReply *r);

/* JSON: a field/value array as an object, typed per kind of object (man page, JSON). */
void json_object(struct sbuf *b, const redisReply *r, enum ctl_object kind);

/* Write the buffer to stdout with a newline. */
void out_flush(struct sbuf *b);

/* Human output. */
void show_ticket(struct ctl *c, const redisReply *t);
void show_ticket_table(struct ctl *c, redisReply *const *tickets, size_t n);
void show_history(struct ctl *c, const redisReply *ticket, const redisReply *hist);
void show_member(struct ctl *c, const redisReply *m);
void show_pairs(struct ctl *c, const redisReply *r, enum ctl_object kind);
void show_centres(struct ctl *c, const redisReply *list);

/* A simple aligned table; cells are copied. */
struct table {
	size_t ncols, nrows, cap;
	char **cells;        /* nrows * ncols */
	const char **colour; /* an SGR sequence per cell, or NULL */
};

void table_init(struct table *t, size_t ncols);
void table_add_row(struct table *t, const char *const *cells, const char *const *colours);
void table_print(struct ctl *c, const struct table *t);
void table_free(struct table *t);

/* SGR sequences, or "" when colour is off. */
const char *col(const struct ctl *c, const char *sgr);
#define SGR_BOLD   "\033[1m"
#define SGR_RED    "\033[1;31m"
#define SGR_YELLOW "\033[33m"
#define SGR_GREEN  "\033[32m"
#define SGR_DIM    "\033[2m"
#define SGR_RESET  "\033[0m"

#endif
