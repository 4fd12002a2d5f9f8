/*
 * repairctl: the service-centre workstation client. Shared by its files:
 * repairctl.c (main, the table of subcommands, help), cli.c (the one option
 * table, parsing, what every subcommand shares), one file per noun as the
 * daemon's cmd-*.c (ticket.c, member.c with import.c, loan.c, ref.c,
 * server.c), settings.c (settings file, environment), conn.c (connecting,
 * AUTH, commands, daemon errors -> exit codes) and output.c (tables, ticket
 * views, JSON, colour).
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
#include <stdio.h>
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

/*
 * Every option's value, common or a subcommand's: the one option table
 * (cli.c) says which field each option sets. Strings point into argv.
 */
struct opts {
	/* common to every subcommand */
	const char *socket, *host, *user, *password_file, *config, *cacert, *tls_server_name;
	uint64_t port;
	bool tls, json, no_colour;
	/* subcommands' own */
	const char *centre, *product, *serial, *service, *member, *note, *eta, *at, *state;
	const char *received; /* "" when --received came without a time */
	const char *scope;    /* OPEN, CLOSED, ALL */
	const char *tier, *country, *programme, *expires, *name;
	const char *since, *until, *match, *cls, *tz;
	bool registered, unlisted, at_risk, breached, fast_track;
	uint64_t limit, interval;
};

struct ctl {
	struct opts o;               /* the command line's options */
	struct ctl_settings set;     /* the merged settings */
	struct ctl_settings cmdline; /* what the command line gave */
	bool json;                   /* --json: o.json, kept here for the output code */
	bool colour;                 /* decided once the settings are known */

	redisContext *rc;
	struct ctl_tls *tls; /* instead of rc with --tls: hiredis 0.14 has no TLS (conn.c) */
	char endpoint[256];  /* "/run/repaird/repaird.sock" or "127.0.0.1:7878", for messages */
	char redirect[256];  /* HA: the leader a READONLY named; connect there instead */

	struct ctl_centre *centres; /* loaded on first need (tables in centre time) */
	size_t ncentres;
	int centres_loaded; /* 0 not yet, 1 loaded, -1 could not */
};

/* ---- ticket.c -------------------------------------------------------------------- */

/* Tickets from TICKET.LIST, paged through; v points into pages. */
struct ticket_set {
	redisReply **pages;
	size_t npages;
	redisReply **v;
	size_t n;
};

/* Every ticket that c->o's filters (centre, member, state, scope, limit...) select. */
int ticket_fetch(struct ctl *c, struct ticket_set *ts);
void ticket_set_free(struct ticket_set *ts);

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
/*
 * HA: r is a standby's READONLY naming the leader: reconnect there (once per
 * run). true when connected; the caller sends its command again.
 */
bool ctl_follow_leader(struct ctl *c, const redisReply *r);
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
/* The same, dflt when missing or empty; as a number (0); as a 0/1 flag. */
const char *field_or(const redisReply *r, const char *name, const char *dflt);
int64_t field_i64(const redisReply *r, const char *name);
bool field_flag(const redisReply *r, const char *name);

/* A ticket's pieces, the same in every view. */
/* An instant from the wire in the centre's local time with its zone; "-" when not set. */
void centre_time(struct ctl *c, const char *iso, const char *centre, char *out, size_t len);
/* REMAINING (fmt_remaining); returns the colour it deserves (NULL for none). */
const char *remaining_text(const redisReply *t, char *out, size_t len);
/* LOAN: "owed" (eligible, not handed out yet), "issued", "returned", or "". */
const char *loan_text(const redisReply *t);
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
void show_pairs(struct ctl *c, const redisReply *r);
void show_centres(struct ctl *c, const redisReply *list);

/* figures.c: STATS and INFO for people. */
void show_stats(struct ctl *c, const redisReply *r);
/* The share met per tier, a bar of `width` each, into b. */
void stats_tiers(struct ctl *c, struct sbuf *b, const redisReply *r, int width);
void show_info(struct ctl *c, const char *text);

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

/* ---- cli.c: options and what every subcommand shares -------------------------------- */

#define HELP_SHOWN    (-1) /* --help was printed: exit 0 */
#define CLI_MAIN_HELP (-2) /* --help before any subcommand */
#define CLI_VERSION   (-3) /* --version */

struct subcmd;
typedef int (*run_fn)(struct ctl *c, const struct subcmd *sc, int argc, char **argv);

struct subcmd {
	const char *noun;
	const char *verb; /* NULL: the noun is the whole command */
	run_fn run;
	const char *arg;  /* a fixed argument: the state of a `ticket receive`-style shortcut */
	const char *opts; /* its own options, by name, space-separated (cli.c's table) */
	const char *synopsis;
	const char *help;
};

/* The subcommands of each noun file, for repairctl.c's table. */
extern const struct subcmd ticket_cmds[], member_cmds[], loan_cmds[], ref_cmds[], server_cmds[],
        board_cmds[];
extern const size_t nticket_cmds, nmember_cmds, nloan_cmds, nref_cmds, nserver_cmds, nboard_cmds;

/* A usage error: the message, the subcommand's synopsis (sc may be NULL); EX_USAGE. */
int usage_error(const struct subcmd *sc, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The options before the subcommand: 0, CLI_MAIN_HELP, CLI_VERSION, or an exit code. */
int cli_parse_global(struct ctl *c, int argc, char **argv, int *first);
/*
 * A subcommand's own options (sc->opts) and the common ones, mixed with
 * operands; then the settings are merged. On success *first is the index of the
 * first operand and there are between min and max operands. Returns 0,
 * HELP_SHOWN, or an exit code.
 */
int cli_parse(struct ctl *c, const struct subcmd *sc, int argc, char **argv, int min, int max,
              int *first);
void cli_print_help(const struct subcmd *sc);
/* A ticket id or membership number operand: 0, or EX_USAGE after a message. */
int cli_ticket_id(const struct subcmd *sc, const char *s);
int cli_member_number(const struct subcmd *sc, const char *s);
/* cli_parse() with exactly one operand, argv[*first], that check (e.g. cli_ticket_id) accepts. */
int cli_parse_one(struct ctl *c, const struct subcmd *sc, int argc, char **argv,
                  int (*check)(const struct subcmd *, const char *), int *first);
/* The common options' help, generated from the option table. */
void cli_common_help(FILE *f);
/*
 * A typed time -> what repaird takes (arg_time_in): a local time is in --tz,
 * else in tz (the centre's; NULL: this machine's). 0, or EX_USAGE after a
 * message naming opt.
 */
int cli_time(struct ctl *c, const struct subcmd *sc, const char *opt, const char *s, const char *tz,
             char out[21]);
/* Print one object reply (a ticket, a member, stats) as a view or as JSON. */
int print_object(struct ctl *c, const redisReply *r, enum ctl_object kind, const char *what);
/* Run a command whose reply is one object, print it, free the words. */
int call_print(struct ctl *c, struct args *a, enum ctl_object kind);
/* Print an array of objects as one JSON array. */
void json_array(const redisReply *const *items, size_t n, enum ctl_object kind);

#endif
