/* cmd-ticket: TICKET.* and LOAN.* (docs/protocol.md, "Tickets", "Loans"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define LIST_DEFAULT 100
#define LIST_MAX     10000
/*
 * A longer list goes out in pieces of at most this many tickets or about
 * LIST_PIECE_BYTES (conn.h, struct client_more): one TICKET.LIST COUNT 10000
 * is ~7.5 MB, and 16 clients asking at once must not hold 16 of them.
 */
#define LIST_PIECE       256
#define LIST_PIECE_BYTES ((size_t)256 << 10)

static int get_ticket(struct cmd_req *r, const char *arg, const struct ticket **t)
{
	uint64_t id;

	if (cmd_parse_id(r, "ticket", arg, &id) < 0)
		return -1;
	*t = engine_ticket_get(r->srv->eng, id);
	if (*t == NULL && engine_ticket_archived(r->srv->eng, id)) {
		reply_errorf(r->out, "NOTFOUND",
		             "ticket %llu: archived (closed more than retention.closed_days ago): "
		             "see repaird --archive %llu",
		             (unsigned long long)id, (unsigned long long)id);
		return -1;
	}
	if (*t == NULL) {
		reply_errorf(r->out, "NOTFOUND", "ticket %llu: no such ticket",
		             (unsigned long long)id);
		return -1;
	}
	return 0;
}

static int parse_member(struct cmd_req *r, const char *s, uint64_t *out)
{
	char err[200];

	if (policy_parse_member_number(s, out, err, sizeof err) == 0)
		return 0;
	reply_error(r->out, "INVALID", err);
	return -1;
}

static int parse_yes_no(struct cmd_req *r, const char *what, const char *s, bool *out)
{
	static const char *const yn[] = {"no", "yes"};
	int i = cmd_parse_enum(r, what, s, yn, 2);

	if (i < 0)
		return -1;
	*out = i == 1;
	return 0;
}

static int ticket_open(struct cmd_req *r)
{
	enum { CENTRE, PRODUCT, SERIAL, SERVICE, MEMBER, REGISTERED, RECEIVED, UNLISTED, NOTE };
	struct cmd_opt o[] = {
	        {"CENTRE", 1, NULL, 0},   {"PRODUCT", 1, NULL, 0},  {"SERIAL", 1, NULL, 0},
	        {"SERVICE", 1, NULL, 0},  {"MEMBER", 1, NULL, 0},   {"REGISTERED", 1, NULL, 0},
	        {"RECEIVED", 1, NULL, 0}, {"UNLISTED", 0, NULL, 0}, {"NOTE", 1, NULL, 0}};
	struct ticket_open in = {0};
	const struct ticket *t;
	struct engine_error err;
	int svc;

	if (cmd_parse_options(r, 1, o, sizeof o / sizeof o[0]) < 0)
		return -1;
	for (int k = CENTRE; k <= SERVICE; k++) {
		if (!o[k].seen) {
			cmd_syntax_error(r, "TICKET.OPEN needs %s", o[k].name);
			return -1;
		}
	}
	if ((svc = cmd_parse_enum(r, "service", o[SERVICE].value, service_names, SERVICE_COUNT)) <
	    0)
		return -1;
	in.service = (enum service)svc;
	in.centre = o[CENTRE].value;
	in.product = o[PRODUCT].value;
	in.serial = o[SERIAL].value;
	if (o[MEMBER].seen && parse_member(r, o[MEMBER].value, &in.member) < 0)
		return -1;
	if (o[REGISTERED].seen &&
	    parse_yes_no(r, "registered", o[REGISTERED].value, &in.registered) < 0)
		return -1;
	if (o[RECEIVED].seen) {
		if (cmd_parse_time(r, "received", o[RECEIVED].value, &in.received_at) < 0)
			return -1;
		in.received = true;
	}
	in.unlisted = o[UNLISTED].seen;
	in.note = o[NOTE].value;
	in.who = cmd_user(r);
	if (engine_ticket_open(r->srv->eng, &in, r->now, &t, &err) < 0) {
		cmd_reply_engine_error(r, &err);
		return -1;
	}
	log_ticket(LOG_DEBUG, t->id, in.centre, t->member, "ticket.opened",
	           "ticket %llu opened at %s (%s, %s)", (unsigned long long)t->id, in.centre,
	           t->fast_track ? "Fast Track" : "standard", ft_reason_names[t->reason]);
	cmd_reply_ticket(r, t);
	return 0;
}

static int ticket_get(struct cmd_req *r)
{
	const struct ticket *t;

	if (get_ticket(r, r->argv[1], &t) < 0)
		return -1;
	cmd_reply_ticket(r, t);
	return 0;
}

static int ticket_move(struct cmd_req *r)
{
	enum { AT, ETA, NOTE };
	struct cmd_opt o[] = {{"AT", 1, NULL, 0}, {"ETA", 1, NULL, 0}, {"NOTE", 1, NULL, 0}};
	struct ticket_move mv = {0};
	const struct ticket *t;
	struct engine_error err;
	int to;

	if (get_ticket(r, r->argv[1], &t) < 0)
		return -1;
	if ((to = cmd_parse_enum(r, "state", r->argv[2], ticket_state_names, TSTATE_COUNT)) < 0)
		return -1;
	if (to == TSTATE_BOOKED) {
		reply_errorf(r->out, "STATE", "ticket %llu: no ticket can move back to booked",
		             (unsigned long long)t->id);
		return -1;
	}
	if (cmd_parse_options(r, 3, o, sizeof o / sizeof o[0]) < 0)
		return -1;
	if (o[AT].seen && cmd_parse_time(r, "AT", o[AT].value, &mv.at) < 0)
		return -1;
	if (o[ETA].seen && cmd_parse_time(r, "ETA", o[ETA].value, &mv.eta) < 0)
		return -1;
	mv.id = t->id;
	mv.to = (enum ticket_state)to;
	mv.note = o[NOTE].value;
	mv.who = cmd_user(r);
	if (engine_ticket_move(r->srv->eng, &mv, r->now, &t, &err) < 0) {
		cmd_reply_engine_error(r, &err);
		return -1;
	}
	cmd_reply_ticket(r, t);
	return 0;
}

/* The rest of a long TICKET.LIST: the ids it matched, the next to write. */
struct list_more {
	uint64_t *ids;
	size_t n, next;
	int resp; /* the connection's, at the request */
};

/*
 * The next piece. Each ticket is written as it is now, not as it was at the
 * request (a long list is not a snapshot); one archived meanwhile is a null,
 * so the element count given in the header stays right (docs/protocol.md).
 */
static bool list_step(struct client *c, void *state, struct rbuf *out)
{
	struct list_more *m = state;
	const struct engine *eng = c->srv->eng;
	int64_t now = server_now(c->srv);
	size_t start = out->len, end = m->n - m->next > LIST_PIECE ? m->next + LIST_PIECE : m->n;

	for (; m->next < end && out->len - start < LIST_PIECE_BYTES; m->next++) {
		const struct ticket *t = engine_ticket_get(eng, m->ids[m->next]);
		if (t != NULL)
			engine_ticket_reply(eng, t, now, m->resp, out);
		else if (m->resp >= 3)
			rbuf_append(out, "_\r\n", 3);
		else
			rbuf_append(out, "*-1\r\n", 5);
	}
	return m->next == m->n;
}

static void list_drop(void *state)
{
	struct list_more *m = state;

	free(m->ids);
	free(m);
}

/* The n tickets of out as a reply: whole when short (or inside EXEC), else in pieces. */
static void list_reply(struct cmd_req *r, const struct ticket **out, size_t n)
{
	struct list_more *m;

	reply_array(r->out, (long long)n);
	if (n <= LIST_PIECE || r->in_exec) {
		for (size_t i = 0; i < n; i++)
			cmd_reply_ticket(r, out[i]);
		return;
	}
	m = xcalloc(1, sizeof *m);
	m->ids = xreallocarray(NULL, n, sizeof *m->ids);
	for (size_t i = 0; i < n; i++)
		m->ids[i] = out[i]->id;
	m->n = n;
	m->resp = r->c->resp;
	if (list_step(r->c, m, r->out))
		list_drop(m);
	else
		client_reply_more(r->c, list_step, list_drop, m);
}

static int ticket_list(struct cmd_req *r)
{
	enum { CENTRE, MEMBER, STATE, OPEN, CLOSED, ALL, ATRISK, BREACHED, AFTER, COUNT };
	struct cmd_opt o[] = {{"CENTRE", 1, NULL, 0}, {"MEMBER", 1, NULL, 0},
	                      {"STATE", 1, NULL, 0},  {"OPEN", 0, NULL, 0},
	                      {"CLOSED", 0, NULL, 0}, {"ALL", 0, NULL, 0},
	                      {"ATRISK", 0, NULL, 0}, {"BREACHED", 0, NULL, 0},
	                      {"AFTER", 1, NULL, 0},  {"COUNT", 1, NULL, 0}};
	struct ticket_filter f = {.state = -1, .scope = SCOPE_OPEN, .count = LIST_DEFAULT};
	const struct ticket **out;
	size_t n;
	uint64_t v;

	if (cmd_parse_options(r, 1, o, sizeof o / sizeof o[0]) < 0)
		return -1;
	if (o[OPEN].seen + o[CLOSED].seen + o[ALL].seen > 1) {
		cmd_syntax_error(r, "OPEN, CLOSED and ALL exclude each other");
		return -1;
	}
	if (o[CLOSED].seen)
		f.scope = SCOPE_CLOSED;
	if (o[ALL].seen)
		f.scope = SCOPE_ALL;
	f.centre = o[CENTRE].value;
	if (f.centre && config_centre(r->srv->cfg, f.centre) == NULL) {
		char esc[80];
		reply_errorf(r->out, "NOTFOUND", "centre \"%s\": no such centre (see CENTRE.LIST)",
		             log_escape(f.centre, strlen(f.centre), esc, 64));
		return -1;
	}
	if (o[MEMBER].seen && parse_member(r, o[MEMBER].value, &f.member) < 0)
		return -1;
	if (o[STATE].seen && (f.state = cmd_parse_enum(r, "state", o[STATE].value,
	                                               ticket_state_names, TSTATE_COUNT)) < 0)
		return -1;
	f.at_risk = o[ATRISK].seen;
	f.breached = o[BREACHED].seen;
	if (o[AFTER].seen) {
		if (strcmp(o[AFTER].value, "0") == 0)
			f.after = 0;
		else if (cmd_parse_id(r, "AFTER", o[AFTER].value, &f.after) < 0)
			return -1;
	}
	if (o[COUNT].seen) {
		if (cmd_parse_id(r, "COUNT", o[COUNT].value, &v) < 0)
			return -1;
		if (v > LIST_MAX) {
			reply_errorf(r->out, "INVALID", "COUNT %llu: at most %d",
			             (unsigned long long)v, LIST_MAX);
			return -1;
		}
		f.count = (size_t)v;
	}
	if (r->user && !r->user->all_centres) {
		/* A user only ever sees its own centres' tickets. */
		f.centres = (const char *const *)r->user->centres;
		f.ncentres = r->user->ncentres;
	}
	out = xreallocarray(NULL, f.count, sizeof *out);
	n = engine_ticket_list(r->srv->eng, &f, out);
	list_reply(r, out, n);
	free(out);
	return 0;
}

static int ticket_history(struct cmd_req *r)
{
	const struct ticket *t;
	char ts[21];

	if (get_ticket(r, r->argv[1], &t) < 0)
		return -1;
	reply_array(r->out, t->nhist);
	for (uint32_t i = 0; i < t->nhist; i++) {
		const struct hist *h = &t->hist[i];
		time_format(hist_at(h), ts);
		reply_array(r->out, 4);
		reply_bulk_str(r->out, ts);
		reply_bulk_str(r->out, engine_str(r->srv->eng, hist_who(h)));
		reply_bulk_str(r->out, hist_what_names[hist_kind(h)]);
		reply_bulk_str(r->out, h->detail);
	}
	return 0;
}

static int loan_issue(struct cmd_req *r)
{
	struct cmd_opt o[] = {{"SERIAL", 1, NULL, 0}, {"NOTE", 1, NULL, 0}};
	const struct ticket *t;
	struct engine_error err;

	if (get_ticket(r, r->argv[1], &t) < 0 || cmd_parse_options(r, 2, o, 2) < 0)
		return -1;
	if (engine_loan_issue(r->srv->eng, t->id, o[0].value, o[1].value, cmd_user(r), r->now, &t,
	                      &err) < 0) {
		cmd_reply_engine_error(r, &err);
		return -1;
	}
	cmd_reply_ticket(r, t);
	return 0;
}

static int loan_return(struct cmd_req *r)
{
	struct cmd_opt o[] = {{"NOTE", 1, NULL, 0}};
	const struct ticket *t;
	struct engine_error err;

	if (get_ticket(r, r->argv[1], &t) < 0 || cmd_parse_options(r, 2, o, 1) < 0)
		return -1;
	if (engine_loan_return(r->srv->eng, t->id, o[0].value, cmd_user(r), r->now, &t, &err) < 0) {
		cmd_reply_engine_error(r, &err);
		return -1;
	}
	cmd_reply_ticket(r, t);
	return 0;
}

const struct cmd_entry cmd_ticket_entries[] = {
        {"TICKET.OPEN", -9, CMD_WRITE,
         "TICKET.OPEN CENTRE id PRODUCT model SERIAL sn SERVICE repair|maintenance|upgrade "
         "[MEMBER number] [REGISTERED yes|no] [RECEIVED time] [UNLISTED] [NOTE text]",
         ticket_open, "Books an item in and replies the new ticket", "tickets", NULL},
        {"TICKET.GET", 2, CMD_READONLY | CMD_TICKET, "TICKET.GET id", ticket_get,
         "Replies a ticket", "tickets", NULL},
        {"TICKET.MOVE", -3, CMD_WRITE | CMD_TICKET,
         "TICKET.MOVE id state [AT time] [ETA time] [NOTE text]", ticket_move,
         "Moves a ticket to another state and replies it", "tickets", NULL},
        {"TICKET.LIST", -1, CMD_READONLY,
         "TICKET.LIST [CENTRE id] [MEMBER number] [STATE state] [OPEN|CLOSED|ALL] [ATRISK] "
         "[BREACHED] [AFTER id] [COUNT n]",
         ticket_list, "Lists tickets by centre, member, state or mark", "tickets", NULL},
        {"TICKET.HISTORY", 2, CMD_READONLY | CMD_TICKET, "TICKET.HISTORY id", ticket_history,
         "Replies what happened to a ticket, in order", "tickets", NULL},
        {"LOAN.ISSUE", -2, CMD_WRITE | CMD_TICKET, "LOAN.ISSUE id [SERIAL sn] [NOTE text]",
         loan_issue, "Records that a loan unit was handed to the member", "loans", NULL},
        {"LOAN.RETURN", -2, CMD_WRITE | CMD_TICKET, "LOAN.RETURN id [NOTE text]", loan_return,
         "Records that the loan unit came back", "loans", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
