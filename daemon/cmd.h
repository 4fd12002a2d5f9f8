/*
 * cmd: the command table and dispatch (Redis's order: unknown command,
 * arity, then the handler). Each family of commands lives in its own file
 * (cmd-server.c, cmd-ref.c, cmd-member.c, cmd-ticket.c, cmd-client.c for
 * HELLO/CLIENT/SELECT, cmd-multi.c for transactions, cmd-command.c for
 * COMMAND) as a table of `struct cmd_entry`; cmd.c joins them. The table
 * is also the documentation: its usage line is read as the argument tree
 * of COMMAND DOCS (cmdspec.h), with the summary and group beside it.
 *
 * A request arrives here from conn.c (client_process) as an argv; its
 * handler in cmd-*.c calls the engine (core) and writes the reply into
 * r->out, which conn.c holds until the commit.
 *
 * A handler of a CMD_WRITE command returns 0 when it changed the engine's
 * state. The journal does not record the request: at the end of the loop
 * iteration server.c's commit has jfile_commit() write the states the
 * engine changed (by requests, by the clock or by a reload), and only then
 * are the replies of the clients that wrote released.
 */
#ifndef REPAIRD_CMD_H
#define REPAIRD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "server.h"

#define CMD_WRITE    (1u << 0) /* changes state */
#define CMD_READONLY (1u << 1) /* reads state */
#define CMD_ADMIN    (1u << 2) /* server administration */
#define CMD_NOAUTH   (1u << 3) /* allowed before AUTH */
#define CMD_DEBUG    (1u << 4) /* exists only with --debug-clock */
#define CMD_MEMBER   (1u << 5) /* touches member records */
#define CMD_TICKET   (1u << 6) /* touches a ticket's centre (argv[1] is a ticket id) */
#define CMD_OPS      (1u << 7) /* operations data: admin and staff */
#define CMD_NOQUEUE  (1u << 8) /* runs at once inside MULTI (EXEC, DISCARD, QUIT, ...) */

struct cmd_req {
	struct client *c;
	struct server *srv;
	int argc;
	char **argv;
	size_t *argvlen;
	int64_t now;
	struct rbuf *out;
	const struct user *user; /* whom the request acts for; NULL: unrestricted */
	bool in_exec; /* run by EXEC: its reply goes whole into EXEC's, never in pieces */
};

struct cmd_entry {
	const char *name;
	int arity; /* N: exactly N words (the name included); -N: at least N */
	unsigned flags;
	const char *usage;
	/* Returns 0 when it succeeded (for CMD_WRITE: changed state), -1 after replying an error.
	 */
	int (*exec)(struct cmd_req *r);
	const char *summary; /* one line, for COMMAND DOCS (redis-cli's help) */
	const char *group;   /* COMMAND DOCS group: connection, server, tickets, ... */
	/*
	 * A container (CLIENT, COMMAND): argv[1] names one of these (any case);
	 * each has its own arity (counting both words), flags and usage. NULL-ended.
	 */
	const struct cmd_entry *subcommands;
};

extern const struct cmd_entry cmd_server_entries[];
extern const struct cmd_entry cmd_ref_entries[];
extern const struct cmd_entry cmd_member_entries[];
extern const struct cmd_entry cmd_ticket_entries[];
extern const struct cmd_entry cmd_client_entries[];
extern const struct cmd_entry cmd_multi_entries[];
extern const struct cmd_entry cmd_command_entries[];
extern const struct cmd_entry cmd_ha_entries[]; /* cmd-ha.c */

/* The whole table, in a stable order (for COMMAND and INFO commandstats). */
size_t cmd_count(void);
const struct cmd_entry *cmd_at(size_t i);
/* By name, any case (a hash lookup); NULL when unknown (DEBUG.* without --debug-clock). */
const struct cmd_entry *cmd_lookup(struct server *srv, const char *name, size_t *index);
/* The lookup table cmd_lookup() builds in srv->cmd_index on first use. */
void cmd_index_free(struct cmd_index *ix);

/* Run one request of a client (or, inside MULTI, queue it). */
void cmd_dispatch(struct client *c, int argc, char **argv, size_t *argvlen);
/* EXEC: run a request queued by MULTI, whose name and arity were checked then. */
void cmd_run_queued(struct client *c, int argc, char **argv, size_t *argvlen);
/* The subcommand argv[1] names of a container entry, or NULL. */
const struct cmd_entry *cmd_subcommand(const struct cmd_entry *e, const char *name);

/* ---- transactions (cmd-multi.c) ---- */

/* Queue the request of a client in MULTI and reply +QUEUED. */
void cmd_multi_queue(struct cmd_req *r);
/* An error at queueing: EXEC will answer EXECABORT. No-op outside MULTI. */
void cmd_multi_fail(struct client *c);
/* Forget a transaction (DISCARD, EXEC, the client closing). */
void cmd_multi_free(struct cmd_multi *m);

/* ---- connection (cmd-client.c, cmd-server.c) ---- */

/* The node's role as HELLO and CLIENT report it: "master" (one place, for a later HA role). */
const char *cmd_node_role(const struct server *srv);
/*
 * AUTH with the words at user_arg (0: the user "default") and pass_arg of
 * r->argv; replies +OK or WRONGPASS (with the failure delay) into r->out.
 */
int cmd_server_auth(struct cmd_req *r, int user_arg, int pass_arg);

/* ---- helpers for handlers ---- */

/* Reply an engine error with its PROTOCOL.md word. */
void cmd_reply_engine_error(struct cmd_req *r, const struct engine_error *err);
/* The ticket as a flat field/value array. */
void cmd_reply_ticket(struct cmd_req *r, const struct ticket *t);
/* A time value: "NOW" or ISO 8601 with Z or an offset. 0, or -1 after replying INVALID. */
int cmd_parse_time(struct cmd_req *r, const char *what, const char *s, int64_t *out);
int cmd_parse_date(struct cmd_req *r, const char *what, const char *s, int32_t *out);
/* A positive integer (ticket id, count). 0, or -1 after replying INVALID. */
int cmd_parse_id(struct cmd_req *r, const char *what, const char *s, uint64_t *out);
/* An enumeration value, any case. index, or -1 after replying INVALID naming the choices. */
int cmd_parse_enum(struct cmd_req *r, const char *what, const char *s, const char *const *table,
                   int count);
/* Keyword options: NAME value pairs or bare flags, any case, each at most once. */
struct cmd_opt {
	const char *name;
	int takes_value;
	const char *value; /* set by cmd_parse_options */
	int seen;
};
/* Parse argv[first..]; 0, or -1 after replying a syntax error naming the word. */
int cmd_parse_options(struct cmd_req *r, int first, struct cmd_opt *opts, size_t nopts);

/* Reply "ERR syntax error: ..." */
void cmd_syntax_error(struct cmd_req *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* May the request's user work on this centre's tickets? */
bool cmd_centre_allowed(const struct cmd_req *r, const char *centre);
/* Reply NOPERM for a centre, logging the refusal. */
void cmd_noperm_centre(struct cmd_req *r, const char *centre);

/* The user a request acts as (for history). */
const char *cmd_user(const struct cmd_req *r);

#endif
