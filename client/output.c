/* output: what repairctl prints: aligned tables and views for people, JSON for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repairctl.h"
#include "timeutil.h"
#include "xmalloc.h"

#define LABEL_WIDTH 12

const char *col(const struct ctl *c, const char *sgr)
{
	return c->colour ? sgr : "";
}

/* ---- replies ----------------------------------------------------------------------- */

bool reply_is_pairs(const redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
		return false;
	for (size_t i = 0; i < r->elements; i++)
		if (r->element[i]->type != REDIS_REPLY_STRING &&
		    r->element[i]->type != REDIS_REPLY_STATUS)
			return false;
	return true;
}

const char *reply_field(const redisReply *r, const char *name)
{
	if (!reply_is_pairs(r))
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

const char *field_or(const redisReply *r, const char *name, const char *dflt)
{
	const char *v = reply_field(r, name);

	return v && *v ? v : dflt;
}

int64_t field_i64(const redisReply *r, const char *name)
{
	const char *v = reply_field(r, name);

	return v && *v ? strtoll(v, NULL, 10) : 0;
}

bool field_flag(const redisReply *r, const char *name)
{
	const char *v = reply_field(r, name);

	return v && strcmp(v, "1") == 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* The JSON type of each field: the mapping the man page documents under JSON. */
static enum json_kind kind_of(enum ctl_object o, const char *name)
{
	static const char *const ticket_ints[] = {"id", "target_days", "used_seconds",
	                                          "remaining_seconds", NULL};
	static const char *const ticket_bools[] = {"fast_track", "paused", "at_risk",
	                                           "breached",   "met",    "loan_eligible",
	                                           "queued",     NULL};
	static const char *const member_ints[] = {"in_service", "queued", NULL};
	static const char *const product_bools[] = {"fast_track", "video", NULL};

	switch (o) {
	case OBJ_TICKET:
		if (in_list(ticket_ints, name))
			return JSON_INT;
		if (in_list(ticket_bools, name))
			return JSON_BOOL;
		return JSON_STRING;
	case OBJ_MEMBER:
		return in_list(member_ints, name) ? JSON_INT : JSON_STRING;
	case OBJ_STATS:
		return strncmp(name, "met_pct", 7) == 0 ? JSON_FLOAT : JSON_INT;
	case OBJ_PRODUCT:
		return in_list(product_bools, name) ? JSON_BOOL : JSON_STRING;
	case OBJ_CENTRE:
	case OBJ_PLAIN:
		break;
	}
	return JSON_STRING;
}

void json_object(struct sbuf *b, const redisReply *r, enum ctl_object kind)
{
	sbuf_addc(b, '{');
	for (size_t i = 0; reply_is_pairs(r) && i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (i)
			sbuf_adds(b, ", ");
		json_add_string(b, k->str, k->len);
		sbuf_adds(b, ": ");
		json_add_value(b, kind_of(kind, k->str), v->str, v->len);
	}
	sbuf_addc(b, '}');
}

void out_flush(struct sbuf *b)
{
	sbuf_addc(b, '\n');
	fwrite(b->data, 1, b->len, stdout);
	sbuf_reset(b);
}

/* ---- tables -------------------------------------------------------------------------- */

void table_init(struct table *t, size_t ncols)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cap = 0;
	t->cells = NULL;
	t->colour = NULL;
}

void table_add_row(struct table *t, const char *const *cells, const char *const *colours)
{
	char buf[1024];

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols, sizeof *t->cells);
		t->colour = xreallocarray(t->colour, t->cap * t->ncols, sizeof *t->colour);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = cells[i] && *cells[i] ? cells[i] : "-";
		t->cells[t->nrows * t->ncols + i] = xstrdup(fmt_sanitize(buf, sizeof buf, s));
		t->colour[t->nrows * t->ncols + i] = colours ? colours[i] : NULL;
	}
	t->nrows++;
}

/* Row 0 is the header. The last column is not padded: no trailing blanks. */
void table_print(struct ctl *c, const struct table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof *w);

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t n = fmt_width(t->cells[r * t->ncols + i]);
			if (n > w[i])
				w[i] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			const char *sgr = r == 0 ? SGR_BOLD : t->colour[r * t->ncols + i];
			bool last = i + 1 == t->ncols;
			if (sgr && c->colour)
				printf("%s%s%s", sgr, s, SGR_RESET);
			else
				fputs(s, stdout);
			if (!last)
				printf("%*s", (int)(w[i] - fmt_width(s) + 2), "");
		}
		putchar('\n');
	}
	free(w);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colour);
	table_init(t, 0);
}

/* ---- objects and arrays of them ---------------------------------------------------- */

int print_object(struct ctl *c, const redisReply *r, enum ctl_object kind, const char *what)
{
	struct sbuf b;

	if (!reply_is_pairs(r))
		return ctl_unexpected(what, r);
	if (!c->json) {
		if (kind == OBJ_TICKET)
			show_ticket(c, r);
		else if (kind == OBJ_MEMBER)
			show_member(c, r);
		else if (kind == OBJ_STATS)
			show_stats(c, r);
		else
			show_pairs(c, r);
		return 0;
	}
	sbuf_init(&b);
	json_object(&b, r, kind);
	out_flush(&b);
	sbuf_free(&b);
	return 0;
}

int call_print(struct ctl *c, struct args *a, enum ctl_object kind)
{
	redisReply *r;
	int rc = ctl_call(c, a, &r);

	if (rc == 0) {
		rc = print_object(c, r, kind, a->v[0]);
		freeReplyObject(r);
	}
	args_free(a);
	return rc;
}

void json_array(const redisReply *const *items, size_t n, enum ctl_object kind)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "[");
	for (size_t i = 0; i < n; i++) {
		sbuf_adds(&b, i ? ",\n  " : "\n  ");
		json_object(&b, items[i], kind);
	}
	sbuf_adds(&b, n ? "\n]" : "]");
	out_flush(&b);
	sbuf_free(&b);
}

/* ---- pieces of a ticket ------------------------------------------------------------- */

void centre_time(struct ctl *c, const char *iso, const char *centre, char *out, size_t len)
{
	int64_t t;

	if (iso == NULL || *iso == '\0') {
		snprintf(out, len, "-");
		return;
	}
	if (time_parse(iso, &t) < 0) {
		snprintf(out, len, "%s", iso);
		return;
	}
	fmt_local_time(out, len, t, ctl_centre_tz(c, centre));
}

const char *remaining_text(const redisReply *t, char *out, size_t len)
{
	const char *met = reply_field(t, "met");
	struct remaining_in in = {
	        .state = reply_field(t, "state"),
	        .remaining = field_i64(t, "remaining_seconds"),
	        .used = field_i64(t, "used_seconds"),
	        .target_days = field_i64(t, "target_days"),
	        .breached = field_flag(t, "breached"),
	        .paused = field_flag(t, "paused"),
	        .met = met && *met ? met[0] == '1' : -1,
	};

	if (fmt_remaining(out, len, &in))
		return SGR_RED;
	if (field_flag(t, "at_risk") && in.met < 0 && strcmp(out, "cancelled") != 0)
		return SGR_YELLOW;
	if (in.met == 1)
		return SGR_GREEN;
	if (in.met == 0)
		return SGR_RED;
	return NULL;
}

const char *loan_text(const redisReply *t)
{
	const char *st = field_or(t, "loan_state", "");

	if (*st)
		return st;
	return field_flag(t, "loan_eligible") ? "owed" : "";
}

void show_ticket_table(struct ctl *c, redisReply *const *tickets, size_t n)
{
	static const char *const head[] = {"ID",    "CENTRE", "PRODUCT", "MEMBER",   "TIER",
	                                   "STATE", "FT",     "LOAN",    "DEADLINE", "REMAINING"};
	struct table tb;

	table_init(&tb, 10);
	table_add_row(&tb, head, NULL);
	for (size_t i = 0; i < n; i++) {
		const redisReply *t = tickets[i];
		const char *centre = field_or(t, "centre", "");
		char deadline[64], rem[64];
		const char *loan = loan_text(t);
		const char *cells[10] = {field_or(t, "id", ""),
		                         centre,
		                         field_or(t, "product", ""),
		                         field_or(t, "member", ""),
		                         field_or(t, "tier", ""),
		                         field_or(t, "state", ""),
		                         field_flag(t, "fast_track") ? "yes" : "no",
		                         loan,
		                         deadline,
		                         rem};
		const char *colours[10] = {NULL};

		centre_time(c, reply_field(t, "deadline"), centre, deadline, sizeof deadline);
		colours[9] = remaining_text(t, rem, sizeof rem);
		if (strcmp(loan, "owed") == 0)
			colours[7] = SGR_YELLOW;
		table_add_row(&tb, cells, colours);
	}
	table_print(c, &tb);
	table_free(&tb);
}

static void label(struct ctl *c, const char *name)
{
	printf("  %s%-*s%s", col(c, SGR_DIM), LABEL_WIDTH, name, col(c, SGR_RESET));
}

static void line(struct ctl *c, const char *name, const char *value)
{
	char buf[1024];

	label(c, name);
	printf("%s\n", fmt_sanitize(buf, sizeof buf, value && *value ? value : "-"));
}

/*
 * The parts ETA of a ticket awaiting parts, as a wire time: the `eta` field
 * where repaird serves one, else the last "ETA <time>" its history recorded.
 */
static void ticket_eta(struct ctl *c, const redisReply *t, char *out, size_t len)
{
	const char *eta = reply_field(t, "eta");
	struct args a;
	redisReply *h;

	out[0] = '\0';
	if (eta && *eta) {
		snprintf(out, len, "%s", eta);
		return;
	}
	if (strcmp(field_or(t, "state", ""), "awaiting_parts") != 0 || !reply_field(t, "id"))
		return;
	args_init(&a, "TICKET.HISTORY");
	args_add(&a, reply_field(t, "id"));
	if (ctl_call(c, &a, &h) == 0) {
		for (size_t i = 0; h->type == REDIS_REPLY_ARRAY && i < h->elements; i++) {
			const redisReply *e = h->element[i];
			const char *p;
			if (e->type == REDIS_REPLY_ARRAY && e->elements == 4 &&
			    e->element[3]->str && (p = strstr(e->element[3]->str, "ETA ")) != NULL)
				snprintf(out, len, "%.20s", p + 4);
		}
		freeReplyObject(h);
	}
	args_free(&a);
}

void show_ticket(struct ctl *c, const redisReply *t)
{
	const char *centre = field_or(t, "centre", ""), *member = field_or(t, "member", "");
	const char *sgr, *loan = loan_text(t), *met = field_or(t, "met", "");
	char buf[256], when[64], safe[256];
	int64_t days = field_i64(t, "target_days");

	printf("%sticket %s%s  %s (%s), serial %s\n", col(c, SGR_BOLD), field_or(t, "id", "?"),
	       col(c, SGR_RESET), fmt_sanitize(safe, sizeof safe, field_or(t, "product", "-")),
	       field_or(t, "product_class", "-"), field_or(t, "serial", "-"));
	snprintf(buf, sizeof buf, "%s (%s)", centre, field_or(t, "centre_type", "-"));
	line(c, "centre", buf);
	if (*member)
		snprintf(buf, sizeof buf, "%s, %s, %s programme", member, field_or(t, "tier", "-"),
		         field_or(t, "programme", "-"));
	else
		snprintf(buf, sizeof buf, "non-member");
	line(c, "member", buf);
	line(c, "service", field_or(t, "service", "-"));
	snprintf(buf, sizeof buf, "%s%s", field_or(t, "state", "-"),
	         field_flag(t, "paused") ? " (clock paused)" : "");
	line(c, "state", buf);
	if (field_flag(t, "fast_track"))
		snprintf(buf, sizeof buf, "yes, %lld business day%s", (long long)days,
		         days == 1 ? "" : "s");
	else
		snprintf(buf, sizeof buf, "no (%s), %lld business day%s",
		         field_or(t, "reason", "-"), (long long)days, days == 1 ? "" : "s");
	line(c, "fast track", buf);
	centre_time(c, reply_field(t, "created_at"), centre, when, sizeof when);
	line(c, "created", when);
	centre_time(c, reply_field(t, "received_at"), centre, when, sizeof when);
	line(c, "received", when);
	centre_time(c, reply_field(t, "deadline"), centre, when, sizeof when);
	line(c, "deadline", when);
	ticket_eta(c, t, buf, sizeof buf);
	if (*buf) {
		centre_time(c, buf, centre, when, sizeof when);
		line(c, "parts ETA", when);
	}
	sgr = remaining_text(t, buf, sizeof buf);
	label(c, "remaining");
	printf("%s%s%s%s\n", sgr ? col(c, sgr) : "", buf, sgr ? col(c, SGR_RESET) : "",
	       field_flag(t, "at_risk") && !field_flag(t, "breached") && !*met ? " (at risk)" : "");
	if (*field_or(t, "ready_at", "")) {
		centre_time(c, reply_field(t, "ready_at"), centre, when, sizeof when);
		line(c, "ready", when);
	}
	if (*field_or(t, "closed_at", "")) {
		centre_time(c, reply_field(t, "closed_at"), centre, when, sizeof when);
		line(c, "closed", when);
	}
	if (*met)
		line(c, "result", met[0] == '1' ? "met" : "missed");
	if (*loan)
		snprintf(buf, sizeof buf, "%s (%s)", loan, field_or(t, "loan_reason", "-"));
	label(c, "loan");
	if (!*loan)
		printf("-\n");
	else if (strcmp(loan, "owed") == 0)
		printf("%s%s%s\n", col(c, SGR_YELLOW), buf, col(c, SGR_RESET));
	else
		printf("%s\n", buf);
	if (field_flag(t, "queued"))
		line(c, "queued", "yes: waiting for one of the member's Fast Track slots");
}

void show_history(struct ctl *c, const redisReply *ticket, const redisReply *hist)
{
	static const char *const head[] = {"AT", "WHO", "WHAT", "DETAIL"};
	const char *centre = field_or(ticket, "centre", "");
	struct table tb;

	table_init(&tb, 4);
	table_add_row(&tb, head, NULL);
	for (size_t i = 0; i < hist->elements; i++) {
		const redisReply *e = hist->element[i];
		char when[64];
		const char *cells[4];
		struct sbuf detail;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 4)
			continue;
		centre_time(c, e->element[0]->str, centre, when, sizeof when);
		/* An ETA or a time in the detail is shown in the centre's zone too. */
		sbuf_init(&detail);
		fmt_times_in_text(&detail, e->element[3]->str ? e->element[3]->str : "",
		                  ctl_centre_tz(c, centre));
		cells[0] = when;
		cells[1] = e->element[1]->str ? e->element[1]->str : "";
		cells[2] = e->element[2]->str ? e->element[2]->str : "";
		cells[3] = sbuf_str(&detail);
		table_add_row(&tb, cells, NULL);
		sbuf_free(&detail);
	}
	table_print(c, &tb);
	table_free(&tb);
}

void show_member(struct ctl *c, const redisReply *m)
{
	const char *tier = field_or(m, "tier", "-"), *eff = field_or(m, "effective_tier", "-");
	char buf[256], safe[256];

	printf("%smember %s%s", col(c, SGR_BOLD), field_or(m, "number", "?"), col(c, SGR_RESET));
	if (*field_or(m, "name", ""))
		printf("  %s", fmt_sanitize(safe, sizeof safe, field_or(m, "name", "")));
	putchar('\n');
	if (strcmp(tier, eff) != 0)
		snprintf(buf, sizeof buf, "%s (served as %s)", tier, eff);
	else
		snprintf(buf, sizeof buf, "%s", tier);
	line(c, "tier", buf);
	line(c, "programme", field_or(m, "programme", "-"));
	line(c, "country", field_or(m, "country", "-"));
	line(c, "expires", field_or(m, "expires", "never"));
	line(c, "in service", field_or(m, "in_service", "0"));
	line(c, "queued", field_or(m, "queued", "0"));
}

void show_pairs(struct ctl *c, const redisReply *r)
{
	size_t w = 0;

	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strlen(r->element[i]->str) > w)
			w = strlen(r->element[i]->str);
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;
		char safe[512];

		printf("%s%-*s%s  %s\n", col(c, SGR_DIM), (int)w, k, col(c, SGR_RESET),
		       *v ? fmt_sanitize(safe, sizeof safe, v) : "-");
	}
}

void show_centres(struct ctl *c, const redisReply *list)
{
	static const char *const head[] = {"ID", "TYPE", "COUNTRY", "TIMEZONE", "NAME"};
	struct table tb;

	table_init(&tb, 5);
	table_add_row(&tb, head, NULL);
	for (size_t i = 0; i < list->elements; i++) {
		const redisReply *e = list->element[i];
		const char *cells[5] = {field_or(e, "id", ""), field_or(e, "type", ""),
		                        field_or(e, "country", ""), field_or(e, "timezone", ""),
		                        field_or(e, "name", "")};
		table_add_row(&tb, cells, NULL);
	}
	table_print(c, &tb);
	table_free(&tb);
}
