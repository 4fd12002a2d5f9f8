/* ticket: repairctl ticket open|show|history|move|list and the move shortcuts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repairctl.h"
#include "xmalloc.h"

#define LIST_PAGE 1000 /* TICKET.LIST page size (repaird allows up to 10000) */

/*
 * The zone a typed local time is in when --tz does not say: the centre's, of
 * `centre` or else of ticket `id` (one TICKET.GET). Asked only for a local
 * time, so that a UTC time or NOW costs no round trip. 0 with *tz set (NULL:
 * not known, this machine's zone), or the exit code of a failed TICKET.GET.
 */
static int typed_zone(struct ctl *c, const char *s, const char *centre, const char *id,
                      const char **tz)
{
	struct args a;
	redisReply *r;
	int rc;

	*tz = NULL;
	if (c->o.tz || !arg_time_is_local(s))
		return 0;
	if (centre) {
		*tz = ctl_centre_tz(c, centre);
		return 0;
	}
	args_init(&a, "TICKET.GET");
	args_add(&a, id);
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (reply_field(r, "centre"))
		*tz = ctl_centre_tz(c, reply_field(r, "centre"));
	freeReplyObject(r);
	return 0;
}

/* --NAME's typed time s for ticket id (or a new ticket at centre) -> out. 0 or an exit code. */
static int ticket_time(struct ctl *c, const struct subcmd *sc, const char *name, const char *s,
                       const char *centre, const char *id, char out[21])
{
	const char *tz;
	int rc = typed_zone(c, s, centre, id, &tz);

	return rc ? rc : cli_time(c, sc, name, s, tz, out);
}

/*
 * The catalogue's name for a typed product: itself when repaird knows it;
 * else the one catalogue name equal to it but for case and blanks ("eos r5").
 * When none or several are, repaird's NOTFOUND (with the closest names) is
 * shown. 0 with *name set (owned by *keep, to free), or an exit code.
 */
static int product_name(struct ctl *c, const char *typed, const char **name, redisReply **keep)
{
	struct args a;
	redisReply *g = NULL, *l = NULL;
	const char *found = NULL;
	int rc, n = 0;

	*name = typed;
	*keep = NULL;
	args_init(&a, "PRODUCT.GET");
	args_add(&a, typed);
	rc = ctl_append(c, &a);
	args_free(&a);
	if (rc != 0 || (rc = ctl_read(c, &g)) != 0)
		return rc;
	if (g->type != REDIS_REPLY_ERROR || strncmp(g->str, "NOTFOUND", 8) != 0) {
		freeReplyObject(g); /* known, or an error TICKET.OPEN will show */
		return 0;
	}
	/* Only a name repaird does not know costs the whole catalogue. */
	args_init(&a, "PRODUCT.LIST");
	if ((rc = ctl_call(c, &a, &l)) == 0 && l->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < l->elements; i++) {
			if (l->element[i]->type == REDIS_REPLY_STRING &&
			    fmt_same_name(l->element[i]->str, typed)) {
				found = l->element[i]->str;
				n++;
			}
		}
	}
	if (rc == 0 && n == 1) {
		*name = found;
		*keep = l;
		l = NULL;
	} else if (rc == 0) {
		rc = ctl_error(c, g);
	}
	args_free(&a);
	freeReplyObject(g);
	if (l)
		freeReplyObject(l);
	return rc;
}

static int ticket_open(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	const struct opts *o = &c->o;
	const char *received, *product;
	redisReply *catalogue = NULL;
	char when[21];
	struct args a;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 1, &first)) != 0)
		return rc;
	received = o->received;
	/* `--received TIME` as two words: the only operand ticket open can have. */
	if (received && *received == '\0' && argc - first == 1)
		received = argv[first++];
	if (argc - first > 0)
		return usage_error(sc, "too many arguments");
	if (!o->centre || !o->product || !o->serial || !o->service)
		return usage_error(sc, "ticket open needs %s",
		                   !o->centre    ? "--centre"
		                   : !o->product ? "--product"
		                   : !o->serial  ? "--serial"
		                                 : "--service");
	if (received && (rc = ticket_time(c, sc, "--received", *received ? received : "NOW",
	                                  o->centre, NULL, when)) != 0)
		return rc;
	product = o->product;
	if (!o->unlisted && (rc = product_name(c, o->product, &product, &catalogue)) != 0)
		return rc;
	args_init(&a, "TICKET.OPEN");
	args_add2(&a, "CENTRE", o->centre);
	args_add2(&a, "PRODUCT", product);
	if (catalogue)
		freeReplyObject(catalogue);
	args_add2(&a, "SERIAL", o->serial);
	args_add2(&a, "SERVICE", o->service);
	if (o->member)
		args_add2(&a, "MEMBER", o->member);
	args_add2(&a, "REGISTERED", o->registered ? "yes" : "no");
	if (received)
		args_add2(&a, "RECEIVED", when);
	if (o->unlisted)
		args_add(&a, "UNLISTED");
	if (o->note)
		args_add2(&a, "NOTE", o->note);
	return call_print(c, &a, OBJ_TICKET);
}

static int ticket_show(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_ticket_id, &first)) != 0)
		return rc;
	args_init(&a, "TICKET.GET");
	args_add(&a, argv[first]);
	return call_print(c, &a, OBJ_TICKET);
}

static int history_json(const redisReply *h)
{
	static const char *const keys[] = {"at", "who", "what", "detail"};
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "[");
	for (size_t i = 0; i < h->elements; i++) {
		const redisReply *e = h->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 4) {
			sbuf_free(&b);
			return ctl_unexpected("TICKET.HISTORY", e);
		}
		sbuf_adds(&b, i ? ",\n  {" : "\n  {");
		for (size_t k = 0; k < 4; k++) {
			sbuf_printf(&b, "%s\"%s\": ", k ? ", " : "", keys[k]);
			json_add_value(&b, JSON_STRING,
			               e->element[k]->str ? e->element[k]->str : "",
			               e->element[k]->str ? e->element[k]->len : 0);
		}
		sbuf_adds(&b, "}");
	}
	sbuf_adds(&b, h->elements ? "\n]" : "]");
	out_flush(&b);
	sbuf_free(&b);
	return 0;
}

static int ticket_history(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args get, hist;
	redisReply *t = NULL, *h = NULL;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_ticket_id, &first)) != 0)
		return rc;
	/* The ticket names its centre, whose zone the times are shown in: one round trip. */
	args_init(&get, "TICKET.GET");
	args_add(&get, argv[first]);
	args_init(&hist, "TICKET.HISTORY");
	args_add(&hist, argv[first]);
	if ((rc = ctl_append(c, &get)) == 0 && (rc = ctl_append(c, &hist)) == 0 &&
	    (rc = ctl_read(c, &t)) == 0 && (rc = ctl_read(c, &h)) == 0) {
		if (h->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, h);
		else if (h->type != REDIS_REPLY_ARRAY)
			rc = ctl_unexpected("TICKET.HISTORY", h);
		else if (c->json)
			rc = history_json(h);
		else
			show_history(c, t->type == REDIS_REPLY_ARRAY ? t : NULL, h);
	}
	if (t)
		freeReplyObject(t);
	if (h)
		freeReplyObject(h);
	args_free(&get);
	args_free(&hist);
	return rc;
}

/* ticket move ID STATE, and the shortcuts that fix the state (sc->arg). */
static int ticket_move(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	const struct opts *o = &c->o;
	char eta[21], at[21];
	struct args a;
	int rc, first, nops = sc->arg ? 1 : 2;

	if ((rc = cli_parse(c, sc, argc, argv, nops, nops, &first)) != 0 ||
	    (rc = cli_ticket_id(sc, argv[first])) != 0)
		return rc;
	if ((o->eta && (rc = ticket_time(c, sc, "--eta", o->eta, NULL, argv[first], eta)) != 0) ||
	    (o->at && (rc = ticket_time(c, sc, "--at", o->at, NULL, argv[first], at)) != 0))
		return rc;
	args_init(&a, "TICKET.MOVE");
	args_add(&a, argv[first]);
	args_add(&a, sc->arg ? sc->arg : str_fold(argv[first + 1], false));
	if (o->at)
		args_add2(&a, "AT", at);
	if (o->eta)
		args_add2(&a, "ETA", eta);
	if (o->note)
		args_add2(&a, "NOTE", o->note);
	return call_print(c, &a, OBJ_TICKET);
}

/* One page of TICKET.LIST after ticket `after`: the reply, or NULL with *rc set. */
static redisReply *list_page(struct ctl *c, const char *after, uint64_t want, int *rc)
{
	const struct opts *o = &c->o;
	char count[24];
	struct args a;
	redisReply *r = NULL;

	snprintf(count, sizeof count, "%llu", (unsigned long long)want);
	args_init(&a, "TICKET.LIST");
	if (o->centre)
		args_add2(&a, "CENTRE", o->centre);
	if (o->member)
		args_add2(&a, "MEMBER", o->member);
	if (o->state)
		args_add2(&a, "STATE", o->state);
	if (o->scope)
		args_add(&a, o->scope);
	if (o->at_risk)
		args_add(&a, "ATRISK");
	if (o->breached)
		args_add(&a, "BREACHED");
	args_add2(&a, "AFTER", after);
	args_add2(&a, "COUNT", count);
	*rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (*rc == 0 && r->type != REDIS_REPLY_ARRAY) {
		*rc = ctl_unexpected("TICKET.LIST", r);
		freeReplyObject(r);
		r = NULL;
	}
	return *rc == 0 ? r : NULL;
}

int ticket_fetch(struct ctl *c, struct ticket_set *ts)
{
	char after[24] = "0";
	uint64_t limit = c->o.limit;
	int rc = 0;

	memset(ts, 0, sizeof *ts);
	/* Page through with AFTER until the list or --limit ends. */
	for (;;) {
		uint64_t want = limit ? limit - ts->n : LIST_PAGE;
		redisReply *r;

		if (want > LIST_PAGE)
			want = LIST_PAGE;
		if ((r = list_page(c, after, want, &rc)) == NULL)
			break;
		ts->pages = xreallocarray(ts->pages, ts->npages + 1, sizeof *ts->pages);
		ts->pages[ts->npages++] = r;
		ts->v = xreallocarray(ts->v, ts->n + r->elements + 1, sizeof *ts->v);
		for (size_t i = 0; i < r->elements; i++)
			ts->v[ts->n++] = r->element[i];
		if (r->elements < want || (limit && ts->n >= limit) || r->elements == 0)
			break;
		snprintf(after, sizeof after, "%s", reply_field(ts->v[ts->n - 1], "id"));
	}
	if (rc != 0)
		ticket_set_free(ts);
	return rc;
}

void ticket_set_free(struct ticket_set *ts)
{
	for (size_t i = 0; i < ts->npages; i++)
		freeReplyObject(ts->pages[i]);
	free(ts->pages);
	free(ts->v);
	memset(ts, 0, sizeof *ts);
}

static int ticket_list(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct ticket_set ts;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0 ||
	    (rc = ticket_fetch(c, &ts)) != 0)
		return rc;
	if (c->json)
		json_array((const redisReply *const *)ts.v, ts.n, OBJ_TICKET);
	else if (ts.n == 0)
		fprintf(stderr, "repairctl: no tickets match\n");
	else
		show_ticket_table(c, ts.v, ts.n);
	ticket_set_free(&ts);
	return 0;
}

#define MOVE_OPTS "note at"

const struct subcmd ticket_cmds[] = {
        {"ticket", "open", ticket_open, NULL,
         "centre product serial service member registered received unlisted note tz",
         "ticket open --centre C --product MODEL --serial S --service repair|maintenance|upgrade\n"
         "       [--member N] [--registered] [--received [TIME]] [--unlisted] [--note TEXT]",
         "Book an item in. Without --received the ticket is `booked` (the item is on its way);\n"
         "with --received (the time defaults to now) it is `received` and the turnaround\n"
         "clock runs. --registered: the product's registration is complete (needed for\n"
         "Fast Track). --unlisted: book a model that is not in the catalogue, at standard\n"
         "service. Without --member the owner is a non-member. Prints the new ticket.\n"},
        {"ticket", "show", ticket_show, NULL, "", "ticket show ID",
         "Show a ticket: member and tier, state, Fast Track, deadline in the centre's\n"
         "local time, remaining business time, loan.\n"},
        {"ticket", "history", ticket_history, NULL, "", "ticket history ID",
         "Every change of a ticket, with time (centre's local time), who and what.\n"},
        {"ticket", "move", ticket_move, NULL, "eta " MOVE_OPTS " tz",
         "ticket move ID STATE [--eta TIME] [--note TEXT] [--at TIME]",
         "Move a ticket to STATE: received diagnosing awaiting_customer awaiting_parts\n"
         "in_repair ready returned cancelled. --eta (with awaiting_parts): when the parts\n"
         "are due; an ETA beyond the deadline makes the ticket at risk at once. --at: when\n"
         "it happened (default now).\n"},
        {"ticket", "receive", ticket_move, "received", MOVE_OPTS " tz",
         "ticket receive ID [--note TEXT] [--at TIME]",
         "The booked item has arrived: `ticket move ID received`. The clock starts.\n"},
        {"ticket", "ready", ticket_move, "ready", MOVE_OPTS " tz",
         "ticket ready ID [--note TEXT] [--at TIME]",
         "The repair is done: `ticket move ID ready`. The clock stops; met or missed.\n"},
        {"ticket", "return", ticket_move, "returned", MOVE_OPTS " tz",
         "ticket return ID [--note TEXT] [--at TIME]",
         "The item went back to its owner: `ticket move ID returned` (closes the ticket).\n"},
        {"ticket", "cancel", ticket_move, "cancelled", MOVE_OPTS " tz",
         "ticket cancel ID [--note TEXT] [--at TIME]",
         "Cancel a ticket that is not ready yet: `ticket move ID cancelled`.\n"},
        {"ticket", "list", ticket_list, NULL,
         "centre member state at-risk breached open closed all limit",
         "ticket list [--centre C] [--member N] [--state S] [--at-risk] [--breached]\n"
         "       [--open|--closed|--all] [--limit N]",
         "Tickets by id, open ones unless --closed or --all. --at-risk: 75% of the budget\n"
         "used, or a parts ETA beyond the deadline; --breached: past the deadline. Without\n"
         "--limit every match is listed.\n"
         "\n"
         "DEADLINE is in the centre's local time with its zone. REMAINING is business\n"
         "time (working hours only): `1d 7h 59m left` or `BREACHED 2h 10m ago`, where a day is "
         "the\n"
         "centre's working day (the ticket's budget divided by its target days; 8 hours\n"
         "when that is unknown). LOAN: `owed` when the member is owed a loan unit that\n"
         "was not handed out yet, else `issued` or `returned`.\n"},
};
const size_t nticket_cmds = sizeof ticket_cmds / sizeof ticket_cmds[0];
