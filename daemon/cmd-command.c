/*
 * cmd-command: COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, all made
 * from the command table, in Redis 7's shapes: redis-cli reads COMMAND DOCS
 * when it starts and shows each command's arguments as a hint while one
 * types. The arguments come from the usage line each entry carries
 * (cmdspec.h), the very line a wrong-arity error quotes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "cmdspec.h"
#include "log.h"

#define DOCS_SINCE "0.1.0" /* every command is in the first release */

/* The commands this daemon has (DEBUG.* only with --debug-clock). */
static bool visible(struct server *srv, const struct cmd_entry *e)
{
	return cmd_lookup(srv, e->name, NULL) == e;
}

/* "client|setname", as Redis names commands and subcommands. */
static void reply_name(struct rbuf *out, const struct cmd_entry *e, const struct cmd_entry *parent)
{
	char name[96];
	size_t k = 0;

	if (parent)
		k = (size_t)snprintf(name, sizeof name, "%s|", parent->name);
	snprintf(name + k, sizeof name - k, "%s", e->name);
	for (char *p = name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	reply_bulk_str(out, name);
}

static size_t count(const struct cmd_entry *e)
{
	size_t n = 0;

	while (e && e[n].name)
		n++;
	return n;
}

static void reply_flags(struct rbuf *out, unsigned flags)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{CMD_WRITE, "write"},
	             {CMD_READONLY, "readonly"},
	             {CMD_ADMIN, "admin"},
	             {CMD_NOAUTH, "no_auth"}};
	int n = 0;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		n += (flags & names[i].bit) != 0;
	reply_array(out, n);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].bit)
			reply_simple(out, names[i].name);
}

/* Redis 7's ten: name arity flags first last step acl-categories tips key-specs subcommands. */
static void reply_info(struct cmd_req *r, const struct cmd_entry *e, const struct cmd_entry *parent)
{
	struct rbuf *out = r->out;

	reply_array(out, 10);
	reply_name(out, e, parent);
	reply_int(out, e->arity);
	reply_flags(out, e->flags);
	reply_int(out, 0);
	reply_int(out, 0);
	reply_int(out, 0);
	reply_array(out, 0);
	reply_array(out, 0);
	reply_array(out, 0);
	reply_array(out, (long long)count(e->subcommands));
	for (const struct cmd_entry *s = e->subcommands; s && s->name; s++)
		reply_info(r, s, e);
}

static void reply_arg(struct cmd_req *r, const struct cmdspec *spec, int i)
{
	const struct cmdspec_arg *a = &spec->arg[i];
	bool value = a->type == CMDSPEC_STRING || a->type == CMDSPEC_INTEGER;
	int nflags = a->optional + a->multiple, nchild = 0;

	for (int c = a->child; c >= 0; c = spec->arg[c].next)
		nchild++;
	reply_record(r->out, r->c->resp,
	             2 + value + (a->token[0] != '\0') + (nflags > 0) + (nchild > 0));
	reply_bulk_str(r->out, "name");
	reply_bulk_str(r->out, a->name);
	reply_bulk_str(r->out, "type");
	reply_bulk_str(r->out, cmdspec_type_names[a->type]);
	if (value) {
		reply_bulk_str(r->out, "display_text");
		reply_bulk_str(r->out, a->name);
	}
	if (a->token[0]) {
		reply_bulk_str(r->out, "token");
		reply_bulk_str(r->out, a->token);
	}
	if (nflags > 0) {
		reply_bulk_str(r->out, "flags");
		reply_array(r->out, nflags);
		if (a->optional)
			reply_simple(r->out, "optional");
		if (a->multiple)
			reply_simple(r->out, "multiple");
	}
	if (nchild > 0) {
		reply_bulk_str(r->out, "arguments");
		reply_array(r->out, nchild);
		for (int c = a->child; c >= 0; c = spec->arg[c].next)
			reply_arg(r, spec, c);
	}
}

/* summary since group [arguments] [subcommands]: what redis-cli's help and hints show. */
static void reply_docs(struct cmd_req *r, const struct cmd_entry *e, const struct cmd_entry *parent)
{
	struct cmdspec spec;
	char err[80];
	int nargs = 0;

	if (e->subcommands == NULL) {
		if (cmdspec_parse(e->usage, parent ? 2 : 1, &spec, err, sizeof err) < 0) {
			log_msg(LOG_ERR, "the usage of %s cannot be read: %s", e->name, err);
			spec.first = -1;
		}
		for (int i = spec.first; i >= 0; i = spec.arg[i].next)
			nargs++;
	}
	reply_record(r->out, r->c->resp, 3 + (nargs > 0) + (e->subcommands != NULL));
	reply_bulk_str(r->out, "summary");
	reply_bulk_str(r->out, e->summary);
	reply_bulk_str(r->out, "since");
	reply_bulk_str(r->out, DOCS_SINCE);
	reply_bulk_str(r->out, "group");
	reply_bulk_str(r->out, e->group);
	if (nargs > 0) {
		reply_bulk_str(r->out, "arguments");
		reply_array(r->out, nargs);
		for (int i = spec.first; i >= 0; i = spec.arg[i].next)
			reply_arg(r, &spec, i);
	}
	if (e->subcommands) {
		reply_bulk_str(r->out, "subcommands");
		reply_record(r->out, r->c->resp, (long long)count(e->subcommands));
		for (const struct cmd_entry *s = e->subcommands; s->name; s++) {
			reply_name(r->out, s, e);
			reply_docs(r, s, e);
		}
	}
}

/* A name as COMMAND INFO/DOCS take it: "ticket.get" or "client|setname". */
static const struct cmd_entry *find(struct cmd_req *r, const char *name,
                                    const struct cmd_entry **parent)
{
	const char *bar = strchr(name, '|');
	char top[64];
	const struct cmd_entry *e;

	*parent = NULL;
	if (bar == NULL)
		return cmd_lookup(r->srv, name, NULL);
	snprintf(top, sizeof top, "%.*s", (int)(bar - name), name);
	if ((e = cmd_lookup(r->srv, top, NULL)) == NULL)
		return NULL;
	*parent = e;
	return cmd_subcommand(e, bar + 1);
}

static int command_all(struct cmd_req *r)
{
	const struct cmd_entry *e;
	size_t n = 0;

	for (size_t i = 0; (e = cmd_at(i)) != NULL; i++)
		n += visible(r->srv, e);
	reply_array(r->out, (long long)n);
	for (size_t i = 0; (e = cmd_at(i)) != NULL; i++)
		if (visible(r->srv, e))
			reply_info(r, e, NULL);
	return 0;
}

static int command_count(struct cmd_req *r)
{
	const struct cmd_entry *e;
	size_t n = 0;

	for (size_t i = 0; (e = cmd_at(i)) != NULL; i++)
		n += visible(r->srv, e);
	reply_int(r->out, (long long)n);
	return 0;
}

static int command_info(struct cmd_req *r)
{
	const struct cmd_entry *e, *parent;

	if (r->argc == 2)
		return command_all(r);
	reply_array(r->out, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		if ((e = find(r, r->argv[i], &parent)) != NULL)
			reply_info(r, e, parent);
		else
			reply_nil(r->out, r->c->resp);
	}
	return 0;
}

static int command_docs(struct cmd_req *r)
{
	const struct cmd_entry *e, *parent;
	size_t n = 0;

	if (r->argc == 2) {
		for (size_t i = 0; (e = cmd_at(i)) != NULL; i++)
			n += visible(r->srv, e);
		reply_record(r->out, r->c->resp, (long long)n);
		for (size_t i = 0; (e = cmd_at(i)) != NULL; i++) {
			if (!visible(r->srv, e))
				continue;
			reply_name(r->out, e, NULL);
			reply_docs(r, e, NULL);
		}
		return 0;
	}
	/* Names not known are left out, as Redis does. */
	for (int i = 2; i < r->argc; i++)
		n += find(r, r->argv[i], &parent) != NULL;
	reply_record(r->out, r->c->resp, (long long)n);
	for (int i = 2; i < r->argc; i++) {
		if ((e = find(r, r->argv[i], &parent)) == NULL)
			continue;
		reply_name(r->out, e, parent);
		reply_docs(r, e, parent);
	}
	return 0;
}

static int command_help(struct cmd_req *r);

static const struct cmd_entry command_subcommands[] = {
        {"COUNT", 2, CMD_NOAUTH, "COMMAND COUNT", command_count, "Replies the number of commands",
         "server", NULL},
        {"INFO", -2, CMD_NOAUTH, "COMMAND INFO [command-name ...]", command_info,
         "Describes commands: arity, flags, subcommands", "server", NULL},
        {"DOCS", -2, CMD_NOAUTH, "COMMAND DOCS [command-name ...]", command_docs,
         "Documents commands: summary, group, arguments", "server", NULL},
        {"HELP", 2, CMD_NOAUTH, "COMMAND HELP", command_help, "Lists the subcommands", "server",
         NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

static int command_help(struct cmd_req *r)
{
	reply_array(r->out, (long long)count(command_subcommands));
	for (const struct cmd_entry *e = command_subcommands; e->name; e++) {
		char line[256];
		snprintf(line, sizeof line, "%s: %s", e->usage, e->summary);
		reply_simple(r->out, line);
	}
	return 0;
}

const struct cmd_entry cmd_command_entries[] = {
        {"COMMAND", -1, CMD_NOAUTH, "COMMAND", command_all, "Describes every command", "server",
         command_subcommands},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
