/*
 * Integration: metrics and health over HTTP (metrics.listen). The real
 * repaird; /metrics is parsed by a real Prometheus parser (Debian's
 * python3-prometheus-client, text_string_to_metric_families) run as a
 * child, and its values are checked against what the commands say.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;
static int mport;

/* Every sample as "name{label=value,...} value", labels sorted; fails on a bad page. */
static const char *parser_py =
        "import sys\n"
        "from prometheus_client.parser import text_string_to_metric_families\n"
        "text = sys.stdin.read()\n"
        "for fam in text_string_to_metric_families(text):\n"
        "    print('family %s %s' % (fam.name, fam.type))\n"
        "    if not fam.documentation:\n"
        "        sys.exit('no HELP for ' + fam.name)\n"
        "    for s in fam.samples:\n"
        "        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))\n"
        "        print('%s{%s} %r' % (s.name, labels, s.value))\n";

static void teardown(void)
{
	daemon_cleanup(&d);
}

/* Started with metrics on a free port, and extra YAML (may be ""). */
static void start_with(const char *extra)
{
	char yaml[1024], taken[96];

	for (int attempt = 0; attempt < 5; attempt++) {
		mport = harness_free_port();
		snprintf(yaml, sizeof yaml, "metrics: {listen: \"127.0.0.1:%d\"}\n%s", mport,
		         extra);
		if (daemon_start(&d, yaml, NULL) == 0)
			return;
		snprintf(taken, sizeof taken, "metrics.listen 127.0.0.1:%d: cannot listen", mport);
		if (strstr(daemon_log(&d), taken) == NULL)
			break;
		daemon_cleanup(&d);
	}
	ck_abort_msg("repaird did not start:\n%s", daemon_log(&d));
}

static void start(void)
{
	start_with("");
}

/* One HTTP/1.0 request; the status code, and the body in *body (malloc'd). */
static int http(const char *method, const char *path, char **body)
{
	static char buf[1 << 20];
	char req[256];
	int fd = harness_raw_connect(mport), code = 0;
	size_t n;
	const char *sep;

	snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = harness_read_all(fd, buf, sizeof buf);
	close(fd);
	ck_assert_msg(n > 0 && sscanf(buf, "HTTP/1.%*d %d", &code) == 1, "no HTTP answer to %s %s",
	              method, path);
	sep = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	if (body)
		*body = strdup(sep + 4);
	return code;
}

/* The value of the sample line "name{labels}" in the parser's output; fails when absent. */
static double sample(const char *parsed, const char *series)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof want, "\n%s ", series);
	p = strstr(parsed, want);
	ck_assert_msg(p != NULL, "no sample %s in:\n%.3000s", series, parsed);
	return atof(p + strlen(want));
}

static char *scrape_parsed(void)
{
	const char *argv[] = {"/usr/bin/python3", "-c", parser_py, NULL};
	char *page, *out = NULL, *err = NULL, *framed;
	int rc;

	ck_assert_int_eq(http("GET", "/metrics", &page), 200);
	rc = harness_run(d.dir, page, NULL, NULL, argv, &out, &err);
	ck_assert_msg(rc == 0, "the Prometheus parser refused /metrics (%d): %s\n%.2000s", rc, err,
	              page);
	free(page);
	free(err);
	/* A leading newline: every sample is then found as "\nname{...} ". */
	framed = malloc(strlen(out) + 2);
	ck_assert_ptr_nonnull(framed);
	framed[0] = '\n';
	strcpy(framed + 1, out);
	free(out);
	return framed;
}

static size_t list_count(redisContext *rc, const char *centre, const char *flag)
{
	redisReply *r = flag ? cmd(rc, "TICKET.LIST", "CENTRE", centre, flag, NULL)
	                     : cmd(rc, "TICKET.LIST", "CENTRE", centre, NULL);
	size_t n;

	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	n = r->elements;
	freeReplyObject(r);
	return n;
}

static void open_ticket(redisContext *rc, const char *centre)
{
	redisReply *r = cmd(rc, "TICKET.OPEN", "CENTRE", centre, "PRODUCT", "EOS R5", "SERIAL",
	                    "012345678901", "SERVICE", "repair", "RECEIVED", "NOW", NULL);

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN: %s", r->str ? r->str : "?");
	freeReplyObject(r);
}

START_TEST(test_metrics_match_the_commands)
{
	redisContext *rc;
	redisReply *r;
	char *parsed;

	start();
	rc = daemon_connect(&d);
	for (int i = 0; i < 3; i++)
		open_ticket(rc, "DE-PSC-TEST");
	for (int i = 0; i < 2; i++)
		open_ticket(rc, "XX-PSC-ALWAYS");
	/* An hour on: the always-open centre's one-minute days are long gone. */
	freeReplyObject(cmd(rc, "DEBUG.CLOCK", "2026-11-23T08:00:00Z", NULL));
	r = cmd(rc, "TICKET.GET", "999", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);

	parsed = scrape_parsed();
	/* HELP and TYPE for every family (the parser reads them). */
	ck_assert_ptr_nonnull(strstr(parsed, "family repaird_tickets_open gauge\n"));
	ck_assert_ptr_nonnull(strstr(parsed, "family repaird_events counter\n"));
	ck_assert_ptr_nonnull(
	        strstr(parsed, "family repaird_command_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(
	        strstr(parsed, "family repaird_journal_fsync_duration_seconds histogram\n"));
	/* Per centre, as TICKET.LIST counts them. */
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_open{centre=DE-PSC-TEST}"),
	                 (int)list_count(rc, "DE-PSC-TEST", NULL));
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_open{centre=XX-PSC-ALWAYS}"),
	                 (int)list_count(rc, "XX-PSC-ALWAYS", NULL));
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_open{centre=DE-PSC-TEST}"), 3);
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_breached{centre=XX-PSC-ALWAYS}"),
	                 (int)list_count(rc, "XX-PSC-ALWAYS", "BREACHED"));
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_breached{centre=XX-PSC-ALWAYS}"), 2);
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_at_risk{centre=XX-PSC-ALWAYS}"),
	                 (int)list_count(rc, "XX-PSC-ALWAYS", "ATRISK"));
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_breached{centre=DE-PSC-TEST}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_queued{centre=DE-PSC-TEST}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_events_total{type=ticket.breached}"), 2);
	ck_assert_int_eq((int)sample(parsed, "repaird_loans_issued{}"), 0);
	/* Commands: counts and the histogram's count agree. */
	ck_assert_int_eq((int)sample(parsed, "repaird_commands_total{command=TICKET.OPEN}"), 5);
	ck_assert_int_eq(
	        (int)sample(parsed, "repaird_command_duration_seconds_count{command=TICKET.OPEN}"),
	        5);
	ck_assert_int_eq((int)sample(parsed, "repaird_command_duration_seconds_bucket{command="
	                                     "TICKET.OPEN,le=+Inf}"),
	                 5);
	ck_assert_int_eq((int)sample(parsed, "repaird_command_errors_total{command=TICKET.GET}"),
	                 1);
	/* fsync: always in the harness: one fdatasync per commit at least. */
	ck_assert(sample(parsed, "repaird_journal_fsync_duration_seconds_count{}") >= 5);
	ck_assert_int_eq((int)sample(parsed, "repaird_redis_link_up{}"), 0); /* redis off */
	/* Redis off: nothing delivered, lost or kept for resending. */
	ck_assert_int_eq((int)sample(parsed, "repaird_events_delivered_total{}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_events_lost_total{}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_events_resent_total{}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_events_retained{}"), 0);
	ck_assert_int_eq((int)sample(parsed, "repaird_up{}"), 1);
	ck_assert_int_eq((int)sample(parsed, "repaird_ready{}"), 1);
	ck_assert_int_eq((int)sample(parsed, "repaird_build_info{version=0.1.0}"), 1);
	ck_assert(sample(parsed, "repaird_outbox_depth{}") >= 0);
	free(parsed);

	/* A close: the numbers move with it. */
	r = cmd(rc, "TICKET.MOVE", "1", "cancelled", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.MOVE: %s", r->str ? r->str : "?");
	freeReplyObject(r);
	parsed = scrape_parsed();
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_open{centre=DE-PSC-TEST}"), 2);
	ck_assert_int_eq((int)sample(parsed, "repaird_tickets_open{centre=DE-PSC-TEST}"),
	                 (int)list_count(rc, "DE-PSC-TEST", NULL));
	free(parsed);
	redisFree(rc);
}
END_TEST

/* calls= and usec= of a command's line in INFO commandstats over c. */
static void cmdstat(redisContext *c, const char *name, long long *calls, long long *usec)
{
	redisReply *r = cmd(c, "INFO", "commandstats", NULL);
	char key[64];
	const char *p;

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	snprintf(key, sizeof key, "cmdstat_%s:", name);
	p = strstr(r->str, key);
	ck_assert_msg(p != NULL, "no %s in:\n%s", key, r->str);
	ck_assert_int_eq(sscanf(p + strlen(key), "calls=%lld,usec=%lld", calls, usec), 2);
	freeReplyObject(r);
}

/*
 * A command's duration is its own: measured from the end of the command
 * before it in a pipeline (one clock read a command), so a slow AUTH (an
 * scrypt hash, tens of ms) pipelined before ten PINGs stays AUTH's, and a
 * second of idling between two requests is nobody's.
 */
START_TEST(test_command_durations_are_each_commands_own)
{
	/* `repairctl passwd` of "slow-pw": scrypt, as an operator's would be. */
	start_with("access:\n  tcp_auth: on\n  unix_user: boss\n  users:\n"
	           "    - {name: boss, password: \"$scrypt$ln=14,r=8,p=1$zGF3wpN9QV6nndkSY8KB8A$"
	           "NE8/wdF2A2BUGvMIwgNfXlq9t9YGkwX1P7Rg+J73oBA\", role: admin, centres: \"*\"}\n");
	redisContext *c = redisConnect("127.0.0.1", d.port), *u = redisConnectUnix(d.sock);
	long long auth_calls, auth_usec, ping_calls, ping_usec, calls0, usec0;
	double sum0;
	redisReply *r;
	char *parsed;

	ck_assert(c && !c->err && u && !u->err);
	/* The harness's own PINGs (is it up?) before. */
	cmdstat(u, "PING", &calls0, &usec0);
	parsed = scrape_parsed();
	sum0 = sample(parsed, "repaird_command_duration_seconds_sum{command=PING}");
	free(parsed);
	redisAppendCommand(c, "AUTH boss slow-pw");
	for (int i = 0; i < 10; i++)
		redisAppendCommand(c, "PING");
	for (int i = 0; i < 11; i++) {
		ck_assert_int_eq(redisGetReply(c, (void **)&r), REDIS_OK);
		ck_assert_str_eq(r->str, i == 0 ? "OK" : "PONG");
		freeReplyObject(r);
	}
	usleep(1200 * 1000);
	harness_expect_status(cmd(c, "PING", NULL), "PONG");
	cmdstat(u, "AUTH", &auth_calls, &auth_usec);
	cmdstat(u, "PING", &ping_calls, &ping_usec);
	ping_calls -= calls0;
	ping_usec -= usec0;
	ck_assert_int_eq(auth_calls, 1);
	ck_assert_int_eq(ping_calls, 11);
	ck_assert_msg(auth_usec >= 2000, "AUTH with scrypt took %lld us", auth_usec);
	ck_assert_msg(ping_usec < auth_usec && ping_usec < 200000,
	              "11 PINGs took %lld us, the AUTH before them %lld us", ping_usec, auth_usec);
	/* The histogram sees the same durations. */
	parsed = scrape_parsed();
	ck_assert(sample(parsed, "repaird_command_duration_seconds_sum{command=PING}") - sum0 <
	          0.2);
	ck_assert(sample(parsed, "repaird_command_duration_seconds_sum{command=AUTH}") >= 0.002);
	ck_assert_int_eq(
	        (int)sample(parsed, "repaird_command_duration_seconds_count{command=PING}"),
	        (int)(calls0 + 11));
	free(parsed);
	redisFree(c);
	redisFree(u);
}
END_TEST

START_TEST(test_health_and_errors)
{
	char *body;

	start();
	ck_assert_int_eq(http("GET", "/healthz", &body), 200);
	ck_assert_str_eq(body, "ok\n");
	free(body);
	ck_assert_int_eq(http("GET", "/readyz", &body), 200);
	ck_assert_str_eq(body, "ready\n");
	free(body);
	ck_assert_int_eq(http("GET", "/nothing", NULL), 404);
	ck_assert_int_eq(http("GET", "/", NULL), 404);
	ck_assert_int_eq(http("POST", "/metrics", NULL), 405);
	ck_assert_int_eq(http("DELETE", "/healthz", NULL), 405);
	/* HEAD: the status, no body. */
	ck_assert_int_eq(http("HEAD", "/metrics", &body), 200);
	ck_assert_str_eq(body, "");
	free(body);
	/* The daemon still serves its clients (harness_ping frees the connection). */
	ck_assert(harness_ping(daemon_connect(&d)));
}
END_TEST

/* Oversized headers are refused, not held. */
START_TEST(test_bounded_request)
{
	char *big = malloc(20000), *req = malloc(20100), buf[256];
	int fd;
	size_t n;

	start();
	memset(big, 'a', 19999);
	big[19999] = '\0';
	snprintf(req, 20100, "GET /metrics HTTP/1.0\r\nX-Big: %s\r\n\r\n", big);
	fd = harness_raw_connect(mport);
	/* The daemon may close before it has read it all. */
	if (write(fd, req, strlen(req)) < 0)
		ck_assert_int_eq(errno, EPIPE);
	n = harness_read_all(fd, buf, sizeof buf);
	close(fd);
	ck_assert_msg(n == 0 || strstr(buf, " 200 ") == NULL, "an oversized request answered: %s",
	              buf);
	free(big);
	free(req);
	ck_assert_int_eq(http("GET", "/healthz", NULL), 200);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_metrics_match_the_commands);
	tcase_add_test(tc, test_health_and_errors);
	tcase_add_test(tc, test_command_durations_are_each_commands_own);
	tcase_add_test(tc, test_bounded_request);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(metrics_suite());
}
