/*
 * metrics: /metrics, /healthz and /readyz over evhttp on the daemon's loop.
 * A scrape builds the whole page in one evbuffer: the per-centre numbers
 * come from one walk over the tickets (engine_centre_counts(), O(tickets):
 * the engine keeps no per-centre counters, and a scrape every few seconds
 * of a walk of about a millisecond per 200,000 tickets costs less than
 * keeping them on every change would).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cmd.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "upstream.h"
#include "xmalloc.h"

/* Fixed bucket bounds, seconds: 50 us to 2.5 s, covering a PING and a slow fdatasync. */
static const double bucket_le[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                   0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])
/* The same bounds in whole microseconds, what observe() compares: no float per command. */
static const int64_t bucket_le_usec[] = {50,     100,    250,    500,     1000,
                                         2500,   5000,   10000,  25000,   50000,
                                         100000, 250000, 500000, 1000000, 2500000};
_Static_assert(sizeof bucket_le_usec / sizeof bucket_le_usec[0] == NBUCKETS,
               "a bound in microseconds for each bucket");

struct histogram {
	uint64_t bucket[NBUCKETS]; /* not cumulative: the count of observations in each */
	uint64_t count;            /* all of them, +Inf included */
	uint64_t sum_usec;
};

struct metrics {
	struct evhttp *http;
	struct server *srv;
	size_t ncommands;
	struct histogram *command; /* by index into the command table */
	struct histogram fsync;
	uint64_t events[EVENT_TYPE_COUNT];
};

/* Bounds on what one HTTP client may make us hold, and for how long. */
#define METRICS_MAX_HEADERS 8192
#define METRICS_MAX_BODY    1024
#define METRICS_TIMEOUT_S   10

static void observe(struct histogram *h, int64_t usec)
{
	if (usec < 0)
		usec = 0;
	h->count++;
	h->sum_usec += (uint64_t)usec;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (usec <= bucket_le_usec[i]) {
			h->bucket[i]++;
			return;
		}
}

struct metrics *metrics_new(size_t ncommands)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	m->ncommands = ncommands;
	m->command = xcalloc(ncommands ? ncommands : 1, sizeof *m->command);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http)
		evhttp_free(m->http);
	free(m->command);
	free(m);
}

void metrics_observe_command(struct metrics *m, size_t index, int64_t usec)
{
	if (m && index < m->ncommands)
		observe(&m->command[index], usec);
}

void metrics_observe_fsync(struct metrics *m, int64_t usec)
{
	if (m)
		observe(&m->fsync, usec);
}

void metrics_observe_event(struct metrics *m, unsigned type)
{
	if (m && type < EVENT_TYPE_COUNT)
		m->events[type]++;
}

/* ---- the exposition format ------------------------------------------------------------ */

static void add(struct evbuffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct evbuffer *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	if (rc < 0)
		fatalx("libevent: out of memory building /metrics");
}

static void head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static const char *label(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* One histogram's series; lbl is "" or `name="value",`. */
static void histogram(struct evbuffer *b, const char *name, const char *lbl,
                      const struct histogram *h)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += h->bucket[i];
		add(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, lbl, bucket_le[i],
		    (unsigned long long)cum);
	}
	add(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, lbl, (unsigned long long)h->count);
	if (lbl[0]) {
		/* Without the trailing comma for the plain series. */
		add(b, "%s_sum{%.*s} %.6f\n", name, (int)strlen(lbl) - 1, lbl,
		    (double)h->sum_usec / 1e6);
		add(b, "%s_count{%.*s} %llu\n", name, (int)strlen(lbl) - 1, lbl,
		    (unsigned long long)h->count);
	} else {
		add(b, "%s_sum %.6f\n%s_count %llu\n", name, (double)h->sum_usec / 1e6, name,
		    (unsigned long long)h->count);
	}
}

static void tickets_by_centre(struct evbuffer *b, const struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct engine_centre_count *cc = xcalloc(cfg->ncentres ? cfg->ncentres : 1, sizeof *cc);
	struct engine_centre_count all = {0};
	static const struct {
		const char *name, *help;
		size_t offset;
	} series[] = {
	        {"repaird_tickets_open", "Open tickets.",
	         offsetof(struct engine_centre_count, open)},
	        {"repaird_tickets_at_risk", "Open tickets at risk of missing their target.",
	         offsetof(struct engine_centre_count, at_risk)},
	        {"repaird_tickets_breached", "Open tickets past their deadline.",
	         offsetof(struct engine_centre_count, breached)},
	        {"repaird_tickets_queued", "Open tickets waiting for an in-service slot.",
	         offsetof(struct engine_centre_count, queued)},
	};
	char esc[128];

	engine_centre_counts(srv->eng, cc, cfg->ncentres);
	for (size_t s = 0; s < sizeof series / sizeof series[0]; s++) {
		head(b, series[s].name, "gauge", series[s].help);
		for (size_t i = 0; i < cfg->ncentres; i++)
			add(b, "%s{centre=\"%s\"} %llu\n", series[s].name,
			    label(cfg->centres[i].id, esc, sizeof esc),
			    (unsigned long long)*(
			            const uint64_t *)(const void *)((const char *)&cc[i] +
			                                            series[s].offset));
	}
	for (size_t i = 0; i < cfg->ncentres; i++) {
		all.loans_eligible += cc[i].loans_eligible;
		all.loans_issued += cc[i].loans_issued;
	}
	head(b, "repaird_loans_eligible", "gauge", "Open tickets eligible for a loan camera.");
	add(b, "repaird_loans_eligible %llu\n", (unsigned long long)all.loans_eligible);
	head(b, "repaird_loans_issued", "gauge", "Open tickets with a loan camera out.");
	add(b, "repaird_loans_issued %llu\n", (unsigned long long)all.loans_issued);
	free(cc);
}

static void commands(struct evbuffer *b, const struct metrics *m, const struct server *srv)
{
	const struct cmd_entry *e;
	char lbl[96];

	head(b, "repaird_commands_total", "counter", "Commands run, by command.");
	for (size_t i = 0; (e = cmd_at(i)) != NULL && i < m->ncommands; i++)
		if (srv->cmd_stats[i].calls)
			add(b, "repaird_commands_total{command=\"%s\"} %llu\n", e->name,
			    (unsigned long long)srv->cmd_stats[i].calls);
	head(b, "repaird_command_errors_total", "counter",
	     "Commands that answered an error, by command.");
	for (size_t i = 0; (e = cmd_at(i)) != NULL && i < m->ncommands; i++)
		if (srv->cmd_stats[i].errors)
			add(b, "repaird_command_errors_total{command=\"%s\"} %llu\n", e->name,
			    (unsigned long long)srv->cmd_stats[i].errors);
	head(b, "repaird_command_duration_seconds", "histogram",
	     "Time a command's handler ran (the journal commit not included), by command.");
	for (size_t i = 0; (e = cmd_at(i)) != NULL && i < m->ncommands; i++) {
		if (m->command[i].count == 0)
			continue;
		snprintf(lbl, sizeof lbl, "command=\"%s\",", e->name);
		histogram(b, "repaird_command_duration_seconds", lbl, &m->command[i]);
	}
}

static void build_page(struct evbuffer *b, const struct metrics *m, const struct server *srv)
{
	struct upstream_stats us;
	int64_t oldest = 0;

	head(b, "repaird_build_info", "gauge", "Always 1; the version in a label.");
	add(b, "repaird_build_info{version=\"%s\"} 1\n", REPAIRD_VERSION);
	head(b, "repaird_up", "gauge", "1 while the daemon serves.");
	add(b, "repaird_up 1\n");
	head(b, "repaird_ready", "gauge", "1 when /readyz answers 200.");
	add(b, "repaird_ready %d\n", server_ready(srv, NULL, 0) ? 1 : 0);
	head(b, "repaird_start_time_seconds", "gauge", "When the daemon started, Unix time.");
	add(b, "repaird_start_time_seconds %lld\n", (long long)srv->started_at);
	head(b, "repaird_clients_connected", "gauge", "Client connections, the unix socket's too.");
	add(b, "repaird_clients_connected %zu\n", srv->nclients);
	tickets_by_centre(b, srv);
	head(b, "repaird_events_total", "counter", "Events produced since start, by type.");
	for (unsigned t = 0; t < EVENT_TYPE_COUNT; t++)
		add(b, "repaird_events_total{type=\"%s\"} %llu\n", event_type_names[t],
		    (unsigned long long)m->events[t]);
	commands(b, m, srv);
	head(b, "repaird_journal_fsync_duration_seconds", "histogram",
	     "Time an fdatasync of the journal took.");
	histogram(b, "repaird_journal_fsync_duration_seconds", "", &m->fsync);
	head(b, "repaird_journal_size_bytes", "gauge", "Size of the journal file.");
	add(b, "repaird_journal_size_bytes %llu\n", (unsigned long long)srv->journal.size);
	if (engine_outbox_count(srv->eng) > 0)
		oldest = server_now(srv) - engine_outbox_at(srv->eng, 0)->at;
	head(b, "repaird_outbox_depth", "gauge", "Events not yet confirmed by Redis.");
	add(b, "repaird_outbox_depth %zu\n", engine_outbox_count(srv->eng));
	head(b, "repaird_outbox_oldest_age_seconds", "gauge",
	     "Age of the oldest event waiting for Redis (0: none).");
	add(b, "repaird_outbox_oldest_age_seconds %lld\n", (long long)(oldest > 0 ? oldest : 0));
	upstream_stats(srv->up, &us);
	head(b, "repaird_redis_link_up", "gauge", "1 while the link to Redis is up.");
	add(b, "repaird_redis_link_up %d\n", strcmp(us.link, "up") == 0 ? 1 : 0);
	head(b, "repaird_events_delivered_total", "counter", "Events Redis confirmed since start.");
	add(b, "repaird_events_delivered_total %llu\n", (unsigned long long)us.confirmed);
	head(b, "repaird_events_lost_total", "counter",
	     "Events found missing from a Redis stream after delivery, since start.");
	add(b, "repaird_events_lost_total %llu\n", (unsigned long long)us.lost);
	head(b, "repaird_events_resent_total", "counter",
	     "Lost events sent again from the retention window and confirmed, since start.");
	add(b, "repaird_events_resent_total %llu\n", (unsigned long long)us.resent);
	head(b, "repaird_events_retained", "gauge", "Delivered events kept for resending.");
	add(b, "repaird_events_retained %zu\n", engine_retained_count(srv->eng));
	head(b, "repaird_deadline_slices_total", "counter",
	     "Times the due work stopped to let clients in, more being due.");
	add(b, "repaird_deadline_slices_total %llu\n", (unsigned long long)srv->due_slices);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

/* libevent 2.1 sends a HEAD reply's body too: leave it out here. */
static void reply(struct evhttp_request *req, int code, const char *reason, struct evbuffer *b)
{
	bool head_only = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;

	evhttp_send_reply(req, code, reason, head_only ? NULL : b);
}

static void send_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL || evbuffer_add(b, text, strlen(text)) < 0)
		fatalx("libevent: out of memory answering HTTP");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; charset=utf-8");
	reply(req, code, reason, b);
	evbuffer_free(b);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char why[128];

	if (path == NULL || (strcmp(path, "/metrics") != 0 && strcmp(path, "/healthz") != 0 &&
	                     strcmp(path, "/readyz") != 0)) {
		send_text(req, HTTP_NOTFOUND, "Not Found",
		          "not found: /metrics, /healthz, /readyz\n");
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		send_text(req, 405, "Method Not Allowed", "only GET and HEAD\n");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		/* Answering at all is the proof: this runs on the loop. */
		send_text(req, HTTP_OK, "OK", "ok\n");
	} else if (strcmp(path, "/readyz") == 0) {
		if (server_ready(m->srv, why, sizeof why)) {
			send_text(req, HTTP_OK, "OK", "ready\n");
		} else {
			char text[160];
			snprintf(text, sizeof text, "not ready: %s\n", why);
			send_text(req, 503, "Service Unavailable", text);
		}
	} else {
		struct evbuffer *b = evbuffer_new();
		if (b == NULL)
			fatalx("libevent: out of memory building /metrics");
		build_page(b, m, m->srv);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		                  "text/plain; version=0.0.4; charset=utf-8");
		reply(req, HTTP_OK, "OK", b);
		evbuffer_free(b);
	}
}

int metrics_listen(struct metrics *m, struct server *srv, char *err, size_t errlen)
{
	const char *addr = srv->cfg->metrics_listen;
	const char *colon;
	char host[256];
	size_t hlen;

	m->srv = srv;
	if (addr == NULL)
		return 0;
	colon = strrchr(addr, ':');
	hlen = colon ? (size_t)(colon - addr) : 0;
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++; /* [::1]:9787 */
		hlen -= 2;
	}
	if (colon == NULL || hlen >= sizeof host) {
		snprintf(err, errlen, "metrics.listen %s: not HOST:PORT", srv->cfg->metrics_listen);
		return -1;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	m->http = evhttp_new(srv->base);
	if (m->http == NULL)
		fatalx("libevent: cannot create the metrics HTTP server");
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	/* Every method reaches on_request, which answers 405 (evhttp itself would say 501). */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, on_request, m);
	if (evhttp_bind_socket(m->http, host, (ev_uint16_t)atoi(colon + 1)) < 0) {
		snprintf(err, errlen, "metrics.listen %s: cannot listen there (in use?)",
		         srv->cfg->metrics_listen);
		evhttp_free(m->http);
		m->http = NULL;
		return -1;
	}
	log_msg(LOG_INFO, "metrics on http://%s/metrics", srv->cfg->metrics_listen);
	return 0;
}
