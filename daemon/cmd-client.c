/*
 * cmd-client: what client libraries send when they connect (PROTOCOL.md,
 * "Working with common Redis clients"): HELLO (and with it RESP3), SELECT 0,
 * and the CLIENT container (SETNAME, GETNAME, ID, SETINFO, INFO; LIST and
 * KILL for admin). Replies as Redis 7 gives them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "ha.h"
#include "log.h"
#include "xmalloc.h"

const char *cmd_node_role(const struct server *srv)
{
	return ha_role(srv->ha); /* "master" for a leader or a node alone, else "replica" */
}

/* Redis's rule for names and library names: printable, no spaces. */
static bool name_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '!' || s[i] > '~')
			return false;
	return true;
}

static void set_text(char **dst, const char *s, size_t len)
{
	free(*dst);
	*dst = len ? xstrndup(s, len) : NULL;
}

/* ---- HELLO ---------------------------------------------------------------------------- */

static void reply_hello(struct cmd_req *r)
{
	struct rbuf *out = r->out;

	reply_record(out, r->c->resp, 7);
	reply_bulk_str(out, "server");
	reply_bulk_str(out, "repaird");
	reply_bulk_str(out, "version");
	reply_bulk_str(out, REPAIRD_VERSION);
	reply_bulk_str(out, "proto");
	reply_int(out, r->c->resp);
	reply_bulk_str(out, "id");
	reply_int(out, (long long)r->c->id);
	reply_bulk_str(out, "mode");
	reply_bulk_str(out, "standalone");
	reply_bulk_str(out, "role");
	reply_bulk_str(out, cmd_node_role(r->srv));
	reply_bulk_str(out, "modules");
	reply_array(out, 0);
}

/*
 * HELLO [protover [AUTH username password] [SETNAME clientname]]: as in
 * Redis, nothing changes unless everything is right: the version, the
 * options, the credentials (checked by AUTH itself, same delays), the name.
 */
static int hello(struct cmd_req *r)
{
	int ver = r->c->resp, user_arg = 0, name_arg = 0;
	char esc[80];

	if (r->argc >= 2) {
		char *end;
		long v;
		errno = 0;
		v = strtol(r->argv[1], &end, 10);
		if (end == r->argv[1] || *end != '\0' || errno != 0) {
			reply_error(r->out, "ERR",
			            "Protocol version is not an integer or out of range");
			return -1;
		}
		if (v < 2 || v > 3) {
			reply_error(r->out, "NOPROTO", "unsupported protocol version");
			return -1;
		}
		ver = (int)v;
	}
	for (int i = 2; i < r->argc; i++) {
		if (strcasecmp(r->argv[i], "AUTH") == 0 && i + 2 < r->argc) {
			user_arg = i + 1;
			i += 2;
		} else if (strcasecmp(r->argv[i], "SETNAME") == 0 && i + 1 < r->argc) {
			name_arg = ++i;
		} else {
			reply_errorf(r->out, "ERR", "Syntax error in HELLO option '%s'",
			             log_escape(r->argv[i], r->argvlen[i] > 64 ? 64 : r->argvlen[i],
			                        esc, sizeof esc));
			return -1;
		}
	}
	if (name_arg && !name_ok(r->argv[name_arg], r->argvlen[name_arg])) {
		reply_error(r->out, "ERR",
		            "Client names cannot contain spaces, newlines or special characters.");
		return -1;
	}
	if (user_arg) {
		/* AUTH's own +OK is not HELLO's reply: only its error is passed on. */
		struct rbuf scratch;
		struct cmd_req ar = *r;
		int rc;
		rbuf_init(&scratch);
		ar.out = &scratch;
		rc = cmd_server_auth(&ar, user_arg, user_arg + 1);
		if (rc < 0)
			rbuf_append(r->out, scratch.data, scratch.len);
		rbuf_free(&scratch);
		if (rc < 0)
			return -1;
	}
	if (name_arg)
		set_text(&r->c->name, r->argv[name_arg], r->argvlen[name_arg]);
	r->c->resp = ver;
	reply_hello(r);
	return 0;
}

static int select_db(struct cmd_req *r)
{
	if (strcmp(r->argv[1], "0") == 0) {
		reply_ok(r->out);
		return 0;
	}
	reply_error(r->out, "ERR", "DB index is out of range");
	return -1;
}

/* ---- CLIENT ----------------------------------------------------------------------------- */

/* One client as CLIENT LIST and CLIENT INFO write it (Redis's fields, those that apply). */
static void client_line(struct rbuf *b, const struct client *c, int64_t now)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof line,
	             "id=%llu addr=%s name=%s age=%lld idle=%lld flags=%s%s db=0 multi=%d cmd=%s "
	             "user=%s lib-name=%s lib-ver=%s resp=%d\n",
	             (unsigned long long)c->id, c->peer, c->name ? c->name : "",
	             (long long)(now - c->connected_at), (long long)(now - c->last_active),
	             c->multi ? "x" : "N", c->is_unix ? "U" : "", c->multi ? 0 : -1,
	             c->last_cmd ? c->last_cmd : "NULL", c->user ? c->user : "",
	             c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "", c->resp);
	if (n > 0)
		rbuf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int client_id(struct cmd_req *r)
{
	reply_int(r->out, (long long)r->c->id);
	return 0;
}

static int client_setname(struct cmd_req *r)
{
	if (!name_ok(r->argv[2], r->argvlen[2])) {
		reply_error(r->out, "ERR",
		            "Client names cannot contain spaces, newlines or special characters.");
		return -1;
	}
	set_text(&r->c->name, r->argv[2], r->argvlen[2]);
	reply_ok(r->out);
	return 0;
}

static int client_getname(struct cmd_req *r)
{
	if (r->c->name)
		reply_bulk_str(r->out, r->c->name);
	else
		reply_nil(r->out, r->c->resp);
	return 0;
}

static int client_setinfo(struct cmd_req *r)
{
	char esc[80];
	char **dst;

	if (strcasecmp(r->argv[2], "LIB-NAME") == 0)
		dst = &r->c->lib_name;
	else if (strcasecmp(r->argv[2], "LIB-VER") == 0)
		dst = &r->c->lib_ver;
	else {
		reply_errorf(r->out, "ERR", "Unrecognized option '%s'",
		             log_escape(r->argv[2], r->argvlen[2] > 64 ? 64 : r->argvlen[2], esc,
		                        sizeof esc));
		return -1;
	}
	if (!name_ok(r->argv[3], r->argvlen[3])) {
		reply_errorf(r->out, "ERR",
		             "%s cannot contain spaces, newlines or special characters.",
		             r->argv[2]);
		return -1;
	}
	set_text(dst, r->argv[3], r->argvlen[3]);
	reply_ok(r->out);
	return 0;
}

static int client_info(struct cmd_req *r)
{
	struct rbuf b;

	rbuf_init(&b);
	client_line(&b, r->c, server_realtime());
	reply_bulk(r->out, b.data, b.len);
	rbuf_free(&b);
	return 0;
}

static int client_list(struct cmd_req *r)
{
	int64_t now = server_realtime();
	struct rbuf b;

	rbuf_init(&b);
	for (const struct client *c = r->srv->clients; c; c = c->next)
		client_line(&b, c, now);
	reply_bulk(r->out, b.data, b.len);
	rbuf_free(&b);
	return 0;
}

/*
 * CLIENT KILL ID n | ADDR ip:port | ip:port (the old form: +OK or an error);
 * the new forms reply how many were closed. A client closes once the
 * replies it has been given are out (itself too: after this reply).
 */
static int client_kill(struct cmd_req *r)
{
	const char *addr = NULL;
	uint64_t id = 0;
	long long killed = 0;
	char esc[80];

	if (r->argc == 3) {
		addr = r->argv[2];
	} else if (r->argc == 4 && strcasecmp(r->argv[2], "ID") == 0) {
		if (cmd_parse_id(r, "client id", r->argv[3], &id) < 0)
			return -1;
	} else if (r->argc == 4 && strcasecmp(r->argv[2], "ADDR") == 0) {
		addr = r->argv[3];
	} else {
		reply_error(r->out, "ERR", "syntax error: CLIENT KILL ID client-id | ADDR ip:port");
		return -1;
	}
	for (struct client *c = r->srv->clients; c; c = c->next) {
		if (c->closing || (addr ? strcmp(c->peer, addr) != 0 : c->id != id))
			continue;
		log_msg(LOG_INFO, "client %llu (%s) killed by client %llu (%s)",
		        (unsigned long long)c->id, c->peer, (unsigned long long)r->c->id,
		        r->c->peer);
		client_stop_reading(c);
		client_close_after_reply(c);
		killed++;
	}
	if (r->argc == 3) {
		if (killed == 0) {
			reply_errorf(r->out, "ERR", "No such client: %s",
			             log_escape(addr, strlen(addr), esc, 64));
			return -1;
		}
		reply_ok(r->out);
		return 0;
	}
	reply_int(r->out, killed);
	return 0;
}

static int client_help(struct cmd_req *r);

static const struct cmd_entry client_subcommands[] = {
        {"ID", 2, 0, "CLIENT ID", client_id, "Replies the connection's id", "connection", NULL},
        {"SETNAME", 3, 0, "CLIENT SETNAME connection-name", client_setname, "Names the connection",
         "connection", NULL},
        {"GETNAME", 2, 0, "CLIENT GETNAME", client_getname, "Replies the connection's name",
         "connection", NULL},
        {"SETINFO", 4, 0, "CLIENT SETINFO LIB-NAME|LIB-VER value", client_setinfo,
         "Records the client library's name or version", "connection", NULL},
        {"INFO", 2, 0, "CLIENT INFO", client_info, "Describes this connection", "connection", NULL},
        {"LIST", 2, CMD_ADMIN, "CLIENT LIST", client_list, "Describes every connection",
         "connection", NULL},
        {"KILL", -3, CMD_ADMIN, "CLIENT KILL [ID client-id] [ADDR ip:port]", client_kill,
         "Closes connections by id or address", "connection", NULL},
        {"HELP", 2, 0, "CLIENT HELP", client_help, "Lists the subcommands", "connection", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

static int client_help(struct cmd_req *r)
{
	size_t n = 0;

	for (const struct cmd_entry *e = client_subcommands; e->name; e++)
		n++;
	reply_array(r->out, (long long)n);
	for (const struct cmd_entry *e = client_subcommands; e->name; e++) {
		char line[256];
		snprintf(line, sizeof line, "%s: %s", e->usage, e->summary);
		reply_simple(r->out, line);
	}
	return 0;
}

const struct cmd_entry cmd_client_entries[] = {
        {"HELLO", -1, CMD_NOAUTH, "HELLO [protover [AUTH username password] [SETNAME clientname]]",
         hello, "Picks the protocol (2 or 3), may authenticate and name the connection",
         "connection", NULL},
        {"SELECT", 2, 0, "SELECT index", select_db, "Database 0 is the only one", "connection",
         NULL},
        {"CLIENT", -2, 0, "CLIENT subcommand", NULL, "Names, describes and closes connections",
         "connection", client_subcommands},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
