/*
 * cmd: the command table, dispatch and the helpers the handlers share.
 * A request comes from conn.c (client_process) and goes on to its handler
 * in cmd-*.c.
 */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "timeutil.h"
#include "xmalloc.h"

static const struct cmd_entry *const families[] = {
        cmd_server_entries, cmd_client_entries, cmd_multi_entries,  cmd_command_entries,
        cmd_ref_entries,    cmd_member_entries, cmd_ticket_entries, cmd_ha_entries};

size_t cmd_count(void)
{
	size_t n = 0;

	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		for (const struct cmd_entry *e = families[f]; e->name; e++)
			n++;
	return n;
}

const struct cmd_entry *cmd_at(size_t i)
{
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		for (const struct cmd_entry *e = families[f]; e->name; e++)
			if (i-- == 0)
				return e;
	return NULL;
}

/*
 * The lookup table: open addressing over the names folded to lower case,
 * built once from the families on the first lookup and kept in struct
 * server (no global state). Twice as many slots as commands keeps the
 * probes short. Each name is kept folded too: a probe compares the length,
 * then the bytes the hash folded on its way, no strcasecmp.
 */
#define CMD_NAME_MAX 48 /* longer than every command's name */

struct cmd_index {
	size_t n;                         /* commands in the table */
	size_t mask;                      /* slots - 1 */
	size_t *slot;                     /* table index + 1; 0: empty */
	const struct cmd_entry **entries; /* by table index */
	size_t *lens;                     /* strlen of each entry's name, by table index */
	char (*folded)[CMD_NAME_MAX];     /* each entry's name in lower case, by table index */
};

/*
 * FNV-1a over the name folded to lower case (ASCII: command names are); the
 * name's length comes with it, so a probe compares lengths before bytes,
 * and its first CMD_NAME_MAX bytes folded into fold.
 */
static size_t name_hash(const char *name, size_t *len, char fold[CMD_NAME_MAX])
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		unsigned char ch = text_fold(*p);
		size_t at = (size_t)(p - (const unsigned char *)name);
		if (at < CMD_NAME_MAX)
			fold[at] = (char)ch;
		h = (h ^ ch) * 16777619u;
	}
	*len = (size_t)(p - (const unsigned char *)name);
	return h;
}

/* n bytes equal: names are short, a loop beats a call to memcmp. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static struct cmd_index *index_build(void)
{
	struct cmd_index *ix = xcalloc(1, sizeof *ix);
	size_t n = cmd_count(), slots = 16;

	while (slots < 2 * n)
		slots *= 2;
	ix->n = n;
	ix->mask = slots - 1;
	ix->slot = xcalloc(slots, sizeof *ix->slot);
	ix->entries = xcalloc(n, sizeof *ix->entries);
	ix->lens = xcalloc(n, sizeof *ix->lens);
	ix->folded = xcalloc(n, sizeof *ix->folded);
	for (size_t i = 0; i < n; i++) {
		size_t at = name_hash(cmd_at(i)->name, &ix->lens[i], ix->folded[i]) & ix->mask;
		if (ix->lens[i] >= CMD_NAME_MAX)
			fatalx("command name %s: longer than CMD_NAME_MAX", cmd_at(i)->name);
		ix->entries[i] = cmd_at(i);
		while (ix->slot[at] != 0)
			at = (at + 1) & ix->mask;
		ix->slot[at] = i + 1;
	}
	return ix;
}

void cmd_index_free(struct cmd_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->slot);
	free(ix->entries);
	free(ix->lens);
	free(ix->folded);
	free(ix);
}

const struct cmd_entry *cmd_lookup(struct server *srv, const char *name, size_t *index)
{
	struct cmd_index *ix;
	char fold[CMD_NAME_MAX];
	size_t len;

	if (srv->cmd_index == NULL)
		srv->cmd_index = index_build();
	ix = srv->cmd_index;
	for (size_t at = name_hash(name, &len, fold) & ix->mask; ix->slot[at] != 0;
	     at = (at + 1) & ix->mask) {
		size_t i = ix->slot[at] - 1;
		const struct cmd_entry *e = ix->entries[i];
		/* Equal lengths: under CMD_NAME_MAX, all of it is in fold. */
		if (ix->lens[i] != len || !same_bytes(ix->folded[i], fold, len))
			continue;
		/* DEBUG.CLOCK does not exist without --debug-clock. */
		if ((e->flags & CMD_DEBUG) && !srv->debug_clock)
			return NULL;
		if (index)
			*index = i;
		return e;
	}
	return NULL;
}

/*
 * cmd_lookup() for a request of a client. A pipeline mostly repeats one
 * command, written as the table writes it: the client's last command is
 * tried first, bytes against bytes, before hashing. The same entry as the
 * lookup's: its name without a NUL, so the same length by strlen.
 */
static const struct cmd_entry *lookup_request(const struct cmd_req *r, size_t *index)
{
	const struct cmd_index *ix = r->srv->cmd_index;
	size_t i = r->c->last_cmd_index;

	if (ix != NULL && r->c->last_cmd != NULL && i < ix->n && ix->lens[i] == r->argvlen[0] &&
	    same_bytes(ix->entries[i]->name, r->argv[0], r->argvlen[0])) {
		*index = i;
		return ix->entries[i];
	}
	return cmd_lookup(r->srv, r->argv[0], index);
}

/* Redis: ERR unknown command 'foo', with args beginning with: 'a' 'b' */
static void reply_unknown(struct rbuf *out, int argc, char **argv, size_t *argvlen)
{
	char msg[512], esc[80];
	size_t n;

	snprintf(msg, sizeof msg, "unknown command '%s', with args beginning with: ",
	         log_escape(argv[0], argvlen[0] > 64 ? 64 : argvlen[0], esc, sizeof esc));
	for (int i = 1; i < argc && (n = strlen(msg)) < sizeof msg - 100; i++)
		snprintf(msg + n, sizeof msg - n, "'%s' ",
		         log_escape(argv[i], argvlen[i] > 64 ? 64 : argvlen[i], esc, sizeof esc));
	reply_error(out, "ERR", msg);
}

/* ---- access ---------------------------------------------------------------------------- */

/*
 * Someone speaking HTTP to us (a browser tricked into POSTing to localhost:7878,
 * as Redis has seen): no reply, close, log.
 */
static bool cross_protocol(struct client *c, int argc, char **argv, size_t *argvlen)
{
	char esc[80];

	/* Every request passes here: the length decides before any comparison. */
	if (!(argvlen[0] == 4 && text_caseeq(argv[0], "POST")) &&
	    !(argvlen[0] == 5 && text_caseeq(argv[0], "Host:")) &&
	    !(argvlen[0] == 3 && text_caseeq(argv[0], "GET") && argc > 1 && argv[1][0] == '/'))
		return false;
	log_msg(LOG_WARNING,
	        "possible cross-protocol attack: client %llu (%s) sent \"%s\" (HTTP?); closing",
	        (unsigned long long)c->id, c->peer,
	        log_escape(argv[0], argvlen[0] > 32 ? 32 : argvlen[0], esc, sizeof esc));
	c->srv->protocol_errors++;
	client_close_after_reply(c);
	client_stop_reading(c);
	return true;
}

/* The user the client acts for; *unrestricted when no check applies. */
static const struct user *client_identity(const struct client *c, bool *unrestricted,
                                          bool *anonymous)
{
	const struct config *cfg = c->srv->cfg;
	const struct user *u;

	*unrestricted = false;
	*anonymous = false;
	if (c->user) {
		u = config_user(cfg, c->user);
		if (u)
			return u;
		/* The user went away in a reload: as if never authenticated. */
	}
	if (c->is_unix) {
		u = config_user(cfg, cfg->unix_user);
		*unrestricted = u == NULL; /* no users configured: the socket's mode is the guard */
		return u;
	}
	if (!cfg->tcp_auth) {
		*unrestricted = true;
		return NULL;
	}
	*anonymous = true;
	return NULL;
}

static bool role_may(enum role role, unsigned flags)
{
	if (flags & CMD_ADMIN)
		return role == ROLE_ADMIN;
	if (flags & CMD_OPS)
		return role == ROLE_ADMIN || role == ROLE_STAFF;
	if (flags & CMD_MEMBER)
		return role == ROLE_ADMIN || (role == ROLE_STAFF && !(flags & CMD_WRITE));
	if (flags & CMD_WRITE)
		return role != ROLE_VIEWER;
	return true;
}

static void refuse(struct cmd_req *r, const char *word, const char *why)
{
	const struct user *u = r->user;

	log_msg(LOG_WARNING, "refused %s to %s from %s: %s", r->argv[0], u ? u->name : "(nobody)",
	        r->c->peer, why);
	reply_errorf(r->out, word, "%s", why);
}

bool cmd_centre_allowed(const struct cmd_req *r, const char *centre)
{
	return r->user == NULL || config_user_has_centre(r->user, centre);
}

void cmd_noperm_centre(struct cmd_req *r, const char *centre)
{
	char why[200], esc[80];

	snprintf(why, sizeof why, "user %s may not work on centre %s", r->user->name,
	         log_escape(centre, strlen(centre), esc, 64));
	refuse(r, "NOPERM", why);
}

/* Authentication, role and centre, driven by the table's flags (after arity). */
static int access_check(struct cmd_req *r, const struct cmd_entry *e)
{
	bool unrestricted, anonymous;
	char why[200];

	r->user = client_identity(r->c, &unrestricted, &anonymous);
	if (e->flags & CMD_NOAUTH)
		return 0;
	if (anonymous) {
		refuse(r, "NOAUTH", "Authentication required.");
		return -1;
	}
	if (unrestricted)
		return 0;
	if (r->user == NULL) {
		refuse(r, "NOPERM", "this connection acts for no known user");
		return -1;
	}
	if (!role_may(r->user->role, e->flags)) {
		/* A subcommand by its full name: "CLIENT LIST". */
		bool sub = r->c->last_cmd != NULL && r->c->last_cmd != e->name;
		snprintf(why, sizeof why, "user %s (%s) may not run %s%s%s", r->user->name,
		         role_names[r->user->role], sub ? r->c->last_cmd : "", sub ? " " : "",
		         e->name);
		refuse(r, "NOPERM", why);
		return -1;
	}
	if (e->flags & CMD_TICKET) {
		const struct ticket *t =
		        engine_ticket_get(r->srv->eng, strtoull(r->argv[1], NULL, 10));
		if (t && !cmd_centre_allowed(r, engine_str(r->srv->eng, t->centre))) {
			snprintf(why, sizeof why,
			         "ticket %llu belongs to centre %s, not to user %s",
			         (unsigned long long)t->id, engine_str(r->srv->eng, t->centre),
			         r->user->name);
			refuse(r, "NOPERM", why);
			return -1;
		}
	}
	/* A CENTRE option names a centre the user must have (TICKET.OPEN, LIST, STATS). */
	for (int i = 1; i + 1 < r->argc; i++) {
		if (text_caseeq(r->argv[i], "CENTRE") &&
		    config_centre(r->srv->cfg, r->argv[i + 1]) != NULL &&
		    !cmd_centre_allowed(r, r->argv[i + 1])) {
			cmd_noperm_centre(r, r->argv[i + 1]);
			return -1;
		}
	}
	return 0;
}

const struct cmd_entry *cmd_subcommand(const struct cmd_entry *e, const char *name)
{
	for (const struct cmd_entry *sub = e->subcommands; sub && sub->name; sub++)
		if (text_caseeq(sub->name, name))
			return sub;
	return NULL;
}

static bool arity_ok(const struct cmd_entry *e, int argc)
{
	return (e->arity > 0 && argc == e->arity) || (e->arity <= 0 && argc >= -e->arity);
}

/*
 * The entry that runs the request: the command, or for a container called
 * with a subcommand (CLIENT SETNAME) the subcommand. Checks existence and
 * arity, in Redis's order and words; NULL after replying the error.
 */
static const struct cmd_entry *resolve(struct cmd_req *r, size_t *index)
{
	const struct cmd_entry *e = lookup_request(r, index), *sub;
	char esc[80];

	if (e == NULL) {
		reply_unknown(r->out, r->argc, r->argv, r->argvlen);
		return NULL;
	}
	if (!arity_ok(e, r->argc)) {
		reply_errorf(r->out, "ERR",
		             "wrong number of arguments for '%s' command (usage: %s)", e->name,
		             e->usage);
		return NULL;
	}
	r->c->last_cmd = e->name;
	r->c->last_cmd_index = *index;
	if (e->subcommands == NULL || r->argc < 2)
		return e;
	if ((sub = cmd_subcommand(e, r->argv[1])) == NULL) {
		reply_errorf(r->out, "ERR", "unknown subcommand '%s'. Try %s HELP.",
		             log_escape(r->argv[1], r->argvlen[1] > 64 ? 64 : r->argvlen[1], esc,
		                        sizeof esc),
		             e->name);
		return NULL;
	}
	if (!arity_ok(sub, r->argc)) {
		reply_errorf(r->out, "ERR",
		             "wrong number of arguments for '%s|%s' command (usage: %s)", e->name,
		             sub->name, sub->usage);
		return NULL;
	}
	return sub;
}

/*
 * The handler, its statistics, and for a change the commit it waits for.
 *
 * A command's duration (INFO commandstats, the metrics' histogram) ends
 * when its handler returns, and begins where the one before it in the
 * batch ended, or where the batch began (server_batch_begin): its request's
 * parsing, lookup and checks are in it, the wait for the commit is not. So
 * one clock read a command, not two, and the durations of a batch add up
 * to its time. A command run by EXEC counts from where EXEC began (the one
 * before it), and EXEC's own duration holds those of its commands.
 */
static void execute(struct cmd_req *r, const struct cmd_entry *e, size_t index)
{
	struct server *srv = r->srv;
	int64_t start, end;
	int rc;

	if ((e->flags & CMD_WRITE) && !ha_writable(srv->ha)) {
		ha_reply_readonly(srv->ha, r->out); /* HA: a standby, or a leader without lease */
		return;
	}
	if ((e->flags & CMD_WRITE) && srv->journal.failed) {
		reply_errorf(r->out, "IOERR",
		             "the change could not be made durable (%s); it was not applied",
		             srv->journal.last_error);
		return;
	}
	start = srv->batch.on ? srv->batch.cmd_clock : monotonic_usec();
	rc = e->exec(r);
	end = monotonic_usec();
	if (srv->batch.on)
		srv->batch.cmd_clock = end;
	srv->cmd_stats[index].calls++;
	srv->cmd_stats[index].usec += (uint64_t)(end - start);
	metrics_observe_command(srv->metrics, index, end - start);
	if (rc < 0) {
		srv->cmd_stats[index].errors++;
		return;
	}
	/*
	 * A successful change, so far only in the engine: the clock-driven
	 * consequences are processed and the timer re-armed now; the journal
	 * records the resulting states (not the command) at this iteration's
	 * commit, and the client's replies wait for it (c->wrote). Every
	 * command of an EXEC runs within one iteration: one commit for all.
	 */
	if (e->flags & CMD_WRITE) {
		r->c->wrote = true;
		server_after_change(srv);
	}
}

void cmd_dispatch(struct client *c, int argc, char **argv, size_t *argvlen)
{
	struct server *srv = c->srv;
	struct cmd_req r = {.c = c,
	                    .srv = srv,
	                    .argc = argc,
	                    .argv = argv,
	                    .argvlen = argvlen,
	                    .now = server_now(srv),
	                    .out = client_reply_buf(c)};
	const struct cmd_entry *e;
	size_t index = 0;

	srv->total_commands++;
	if (cross_protocol(c, argc, argv, argvlen))
		return;
	if ((e = resolve(&r, &index)) == NULL) {
		cmd_multi_fail(c);
		return;
	}
	if (access_check(&r, e) < 0) {
		srv->cmd_stats[index].errors++;
		cmd_multi_fail(c);
		return;
	}
	/* Inside MULTI: checked now (errors abort the EXEC), run at EXEC. */
	if (c->multi != NULL && !(e->flags & CMD_NOQUEUE)) {
		cmd_multi_queue(&r);
		return;
	}
	execute(&r, e, index);
}

void cmd_run_queued(struct client *c, int argc, char **argv, size_t *argvlen)
{
	struct cmd_req r = {.c = c,
	                    .srv = c->srv,
	                    .argc = argc,
	                    .argv = argv,
	                    .argvlen = argvlen,
	                    .now = server_now(c->srv),
	                    .out = client_reply_buf(c),
	                    .in_exec = true};
	const struct cmd_entry *e;
	size_t index = 0;

	c->srv->total_commands++;
	if ((e = resolve(&r, &index)) == NULL)
		return;
	/* Again: an AUTH queued before it, or a reload, may have changed who this is. */
	if (access_check(&r, e) < 0) {
		c->srv->cmd_stats[index].errors++;
		return;
	}
	execute(&r, e, index);
}

/* ---- helpers ------------------------------------------------------------------- */

void cmd_reply_engine_error(struct cmd_req *r, const struct engine_error *err)
{
	enum engine_status st = err->status;

	if (st <= ENGINE_OK || st >= ENGINE_STATUS_COUNT)
		st = ENGINE_ERR;
	reply_error(r->out, engine_status_words[st], err->msg);
}

void cmd_reply_ticket(struct cmd_req *r, const struct ticket *t)
{
	engine_ticket_reply(r->srv->eng, t, r->now, r->c->resp, r->out);
}

int cmd_parse_time(struct cmd_req *r, const char *what, const char *s, int64_t *out)
{
	char esc[80];

	if (text_caseeq(s, "NOW")) {
		*out = r->now;
		return 0;
	}
	if (time_parse(s, out) == 0)
		return 0;
	reply_errorf(r->out, "INVALID",
	             "%s \"%s\": a time like 2026-11-23T09:30:00Z, "
	             "2026-11-23T10:30:00+01:00 or NOW",
	             what, log_escape(s, strlen(s), esc, 64));
	return -1;
}

int cmd_parse_date(struct cmd_req *r, const char *what, const char *s, int32_t *out)
{
	char esc[80];

	if (date_parse(s, out) == 0)
		return 0;
	reply_errorf(r->out, "INVALID", "%s \"%s\": a date like 2026-12-31", what,
	             log_escape(s, strlen(s), esc, 64));
	return -1;
}

int cmd_parse_id(struct cmd_req *r, const char *what, const char *s, uint64_t *out)
{
	char esc[80];
	uint64_t v = 0;
	size_t i = 0;

	/*
	 * Digits only, the first not 0, at most UINT32_MAX (what strtoull with
	 * those checks accepted), without its locale and sign handling: every
	 * ticket command passes here. Ten digits at most cannot overflow.
	 */
	if (s[0] >= '1' && s[0] <= '9') {
		for (; i < 11 && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i > 0 && i <= 10 && s[i] == '\0' && v <= UINT32_MAX) {
		*out = v;
		return 0;
	}
	reply_errorf(r->out, "INVALID", "%s \"%s\": a positive integer", what,
	             log_escape(s, strlen(s), esc, 64));
	return -1;
}

int cmd_parse_enum(struct cmd_req *r, const char *what, const char *s, const char *const *table,
                   int count)
{
	char list[256], esc[80];
	int i = domain_lookup(table, count, s);

	if (i >= 0)
		return i;
	reply_errorf(r->out, "INVALID", "%s \"%s\": one of %s", what,
	             log_escape(s, strlen(s), esc, 64),
	             domain_list(table, count, list, sizeof list));
	return -1;
}

void cmd_syntax_error(struct cmd_req *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_errorf(r->out, "ERR", "syntax error: %s", msg);
}

int cmd_parse_options(struct cmd_req *r, int first, struct cmd_opt *opts, size_t nopts)
{
	char esc[80], list[256];

	for (int i = first; i < r->argc; i++) {
		struct cmd_opt *o = NULL;
		for (size_t k = 0; k < nopts; k++)
			if (text_caseeq(opts[k].name, r->argv[i])) {
				o = &opts[k];
				break;
			}
		if (o == NULL) {
			size_t n = 0;
			list[0] = '\0';
			for (size_t k = 0; k < nopts && n < sizeof list; k++) {
				snprintf(list + n, sizeof list - n, "%s%s", k ? " " : "",
				         opts[k].name);
				n = strlen(list);
			}
			cmd_syntax_error(r, "unknown option \"%s\" (allowed: %s)",
			                 log_escape(r->argv[i], r->argvlen[i], esc, 64), list);
			return -1;
		}
		if (o->seen) {
			cmd_syntax_error(r, "%s given twice", o->name);
			return -1;
		}
		o->seen = 1;
		if (o->takes_value) {
			if (i + 1 >= r->argc) {
				cmd_syntax_error(r, "%s needs a value", o->name);
				return -1;
			}
			o->value = r->argv[++i];
		}
	}
	return 0;
}

const char *cmd_user(const struct cmd_req *r)
{
	if (r->user)
		return r->user->name;
	return r->c->is_unix ? "unix" : "tcp";
}
