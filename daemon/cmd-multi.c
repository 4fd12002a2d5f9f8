/*
 * cmd-multi: MULTI, EXEC, DISCARD, WATCH, UNWATCH (docs/protocol.md, "Working with
 * Redis client libraries"). Between MULTI and EXEC, cmd_dispatch() checks each
 * request (name, arity, access) and hands it here to be queued; EXEC runs
 * the queue at once, nothing else between its commands, and as every
 * command runs within this one loop iteration, their changes go to the
 * journal in that iteration's one commit, before any of the replies leave.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

/* A transaction may not hold more than a request may (CLIENT_QUERY_LIMIT). */
#define MULTI_MAX_BYTES  CLIENT_QUERY_LIMIT
#define MULTI_MAX_QUEUED 100000

struct cmd_queued {
	int argc;
	char **argv; /* each NUL-terminated, binary-safe with argvlen */
	size_t *argvlen;
};

struct cmd_multi {
	struct cmd_queued *q;
	size_t n, cap;
	size_t bytes;
	bool failed; /* an error at queueing: EXEC aborts */
};

void cmd_multi_free(struct cmd_multi *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (int k = 0; k < m->q[i].argc; k++)
			free(m->q[i].argv[k]);
		free(m->q[i].argv);
		free(m->q[i].argvlen);
	}
	free(m->q);
	free(m);
}

void cmd_multi_fail(struct client *c)
{
	if (c->multi != NULL)
		c->multi->failed = true;
}

/* The parser reuses its argv: the queue keeps copies (only inside MULTI). */
void cmd_multi_queue(struct cmd_req *r)
{
	struct cmd_multi *m = r->c->multi;
	struct cmd_queued *q;
	size_t bytes = 0;

	for (int i = 0; i < r->argc; i++)
		bytes += r->argvlen[i];
	if (m->n == MULTI_MAX_QUEUED || bytes > MULTI_MAX_BYTES - m->bytes) {
		reply_errorf(r->out, "ERR",
		             "transaction too large: at most %d commands and %zu bytes",
		             MULTI_MAX_QUEUED, (size_t)MULTI_MAX_BYTES);
		m->failed = true;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->q = xreallocarray(m->q, m->cap, sizeof *m->q);
	}
	q = &m->q[m->n++];
	q->argc = r->argc;
	q->argv = xreallocarray(NULL, (size_t)r->argc, sizeof *q->argv);
	q->argvlen = xreallocarray(NULL, (size_t)r->argc, sizeof *q->argvlen);
	for (int i = 0; i < r->argc; i++) {
		q->argv[i] = xmalloc(r->argvlen[i] + 1);
		memcpy(q->argv[i], r->argv[i], r->argvlen[i] + 1);
		q->argvlen[i] = r->argvlen[i];
	}
	m->bytes += bytes;
	reply_simple(r->out, "QUEUED");
}

static int multi(struct cmd_req *r)
{
	if (r->c->multi != NULL) {
		reply_error(r->out, "ERR", "MULTI calls can not be nested");
		return -1;
	}
	r->c->multi = xcalloc(1, sizeof *r->c->multi);
	reply_ok(r->out);
	return 0;
}

static int exec(struct cmd_req *r)
{
	struct cmd_multi *m = r->c->multi;

	if (m == NULL) {
		reply_error(r->out, "ERR", "EXEC without MULTI");
		return -1;
	}
	r->c->multi = NULL;
	if (m->failed) {
		reply_error(r->out, "EXECABORT",
		            "Transaction discarded because of previous errors.");
		cmd_multi_free(m);
		return -1;
	}
	reply_array(r->out, (long long)m->n);
	for (size_t i = 0; i < m->n; i++)
		cmd_run_queued(r->c, m->q[i].argc, m->q[i].argv, m->q[i].argvlen);
	cmd_multi_free(m);
	return 0;
}

static int discard(struct cmd_req *r)
{
	if (r->c->multi == NULL) {
		reply_error(r->out, "ERR", "DISCARD without MULTI");
		return -1;
	}
	cmd_multi_free(r->c->multi);
	r->c->multi = NULL;
	reply_ok(r->out);
	return 0;
}

/* No keys to watch: repaird's state is not keys. Redis's words inside MULTI. */
static int watch(struct cmd_req *r)
{
	if (r->c->multi != NULL)
		reply_error(r->out, "ERR", "WATCH inside MULTI is not allowed");
	else
		reply_error(r->out, "ERR", "WATCH is not supported");
	return -1;
}

static int unwatch(struct cmd_req *r)
{
	reply_ok(r->out);
	return 0;
}

const struct cmd_entry cmd_multi_entries[] = {
        {"MULTI", 1, CMD_NOQUEUE, "MULTI", multi, "Starts a transaction", "transactions", NULL},
        {"EXEC", 1, CMD_NOQUEUE, "EXEC", exec,
         "Runs the queued commands together and replies their replies", "transactions", NULL},
        {"DISCARD", 1, CMD_NOQUEUE, "DISCARD", discard, "Forgets the queued commands",
         "transactions", NULL},
        {"WATCH", -2, CMD_NOQUEUE, "WATCH key [key ...]", watch, "Not supported: an error",
         "transactions", NULL},
        {"UNWATCH", 1, 0, "UNWATCH", unwatch, "Does nothing (no key is ever watched)",
         "transactions", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
