/*
 * Integration: the real repaird on a free loopback port, driven with hiredis
 * as partner software would (docs/protocol.md), docs/rules.md scenarios end to end.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;
static redisContext *rc;

static void start(const char *policy, const char *const *args)
{
	harness_start(&d, policy, args);
	rc = daemon_connect(&d);
}

static void setup(void)
{
	start("policy: {over_limit: reject}", NULL);
}

static void teardown(void)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	daemon_cleanup(&d);
}

static redisReply *open_received(const char *member, const char *product)
{
	redisReply *r = cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", product,
	                    "SERIAL", "012345678901", "SERVICE", "repair", "MEMBER", member,
	                    "REGISTERED", "yes", "RECEIVED", "NOW", NULL);

	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "TICKET.OPEN: %s", r->str ? r->str : "?");
	return r;
}

START_TEST(test_connection_commands)
{
	redisReply *r;

	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
	r = cmd(rc, "ping", "hello", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_str_eq(r->str, "hello");
	freeReplyObject(r);
	harness_expect_error(cmd(rc, "FROB", "a", NULL),
	                     "ERR unknown command 'FROB', with args beginning with: 'a'");
	harness_expect_error(cmd(rc, "TICKET.GET", NULL),
	                     "ERR wrong number of arguments for 'TICKET.GET'");
	r = cmd(rc, "COMMAND", "DOCS", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	r = cmd(rc, "COMMAND", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_ge(r->elements, 20);
	freeReplyObject(r);
	r = cmd(rc, "INFO", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	for (const char *s = "# Server\0# Clients\0# Persistence\0# Events\0# Tickets\0"; *s;
	     s += strlen(s) + 1)
		ck_assert_msg(strstr(r->str, s) != NULL, "INFO lacks %s", s);
	freeReplyObject(r);
	r = cmd(rc, "INFO", "tickets", NULL);
	ck_assert_ptr_nonnull(strstr(r->str, "tickets_open:0"));
	ck_assert_ptr_null(strstr(r->str, "# Server"));
	freeReplyObject(r);
	r = cmd(rc, "CENTRE.LIST", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 3);
	harness_expect_field(r->element[0], "id", "DE-PSC-TEST");
	harness_expect_field(r->element[0], "timezone", "Europe/Berlin");
	freeReplyObject(r);
	r = cmd(rc, "PRODUCT.GET", "EOS C70", NULL);
	harness_expect_fields(r, "class", "video", "video", "1", NULL);
	freeReplyObject(r);
	harness_expect_error(cmd(rc, "PRODUCT.GET", "EOS R5 Mk2", NULL),
	                     "NOTFOUND product \"EOS R5 Mk2\"");
	r = cmd(rc, "PRODUCT.LIST", "CLASS", "video", "MATCH", "c300", NULL);
	ck_assert_uint_ge(r->elements, 1);
	freeReplyObject(r);
	harness_expect_status(cmd(rc, "QUIT", NULL), "OK");
}
END_TEST

START_TEST(test_booking_lifecycle)
{
	redisReply *r;

	harness_expect_status(
	        cmd(rc, "MEMBER.SET", "151335488", "TIER", "platinum", "COUNTRY", "DE", NULL),
	        "OK");
	r = cmd(rc, "MEMBER.GET", "151335488", NULL);
	harness_expect_fields(r, "effective_tier", "platinum", "programme", "subscription", NULL);
	freeReplyObject(r);
	harness_set_clock(rc, "2026-11-24T09:00:00Z"); /* Tuesday 10:00 in Berlin */
	r = open_received("151335488", "EOS R5");
	harness_expect_fields(r, "id", "1", "state", "received", "fast_track", "1", "reason",
	                      "fast-track", "target_days", "2", NULL);
	harness_expect_field(r, "deadline", "2026-11-26T09:00:00Z"); /* Thursday 10:00 */
	harness_expect_fields(r, "loan_eligible", "1", "loan_reason", "booking", "met", "", NULL);
	ck_assert_uint_eq(r->elements, 60);
	ck_assert_str_eq(r->element[56]->str, "queued");
	ck_assert_str_eq(r->element[58]->str, "priority");
	freeReplyObject(r);
	harness_expect_field(r = cmd(rc, "TICKET.MOVE", "1", "diagnosing", NULL), "state",
	                     "diagnosing");
	freeReplyObject(r);
	harness_set_clock(rc, "2026-11-24T12:00:00Z");
	r = cmd(rc, "TICKET.MOVE", "1", "awaiting_parts", "ETA", "2026-11-25T10:00:00+01:00",
	        "NOTE", "shutter unit", NULL);
	harness_expect_field(r, "at_risk", "0");
	freeReplyObject(r);
	r = cmd(rc, "LOAN.ISSUE", "1", "SERIAL", "LOAN0001", NULL);
	harness_expect_field(r, "loan_state", "issued");
	freeReplyObject(r);
	harness_set_clock(rc, "2026-11-25T10:00:00Z");
	harness_expect_field(r = cmd(rc, "TICKET.MOVE", "1", "in_repair", NULL), "state",
	                     "in_repair");
	freeReplyObject(r);
	r = cmd(rc, "TICKET.MOVE", "1", "ready", NULL);
	harness_expect_fields(r, "met", "1", "ready_at", "2026-11-25T10:00:00Z", NULL);
	freeReplyObject(r);
	harness_expect_field(r = cmd(rc, "LOAN.RETURN", "1", NULL), "loan_state", "returned");
	freeReplyObject(r);
	r = cmd(rc, "TICKET.MOVE", "1", "returned", NULL);
	harness_expect_field(r, "closed_at", "2026-11-25T10:00:00Z");
	freeReplyObject(r);
	r = cmd(rc, "TICKET.HISTORY", "1", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_ge(r->elements, 8);
	ck_assert_uint_eq(r->element[0]->elements, 4);
	ck_assert_str_eq(r->element[0]->element[2]->str, "opened");
	freeReplyObject(r);
	r = cmd(rc, "TICKET.LIST", NULL);
	ck_assert_uint_eq(r->elements, 0); /* open only, by default */
	freeReplyObject(r);
	r = cmd(rc, "TICKET.LIST", "ALL", NULL);
	ck_assert_uint_eq(r->elements, 1);
	freeReplyObject(r);
	r = cmd(rc, "STATS", NULL);
	harness_expect_fields(r, "met", "1", "met_pct", "100.0", "met_pct_platinum", "100.0", NULL);
	freeReplyObject(r);
}
END_TEST

START_TEST(test_breach_and_loan_when_the_clock_passes)
{
	redisReply *r;

	harness_expect_status(cmd(rc, "MEMBER.SET", "2002", "TIER", "gold", "COUNTRY", "DE", NULL),
	                      "OK");
	harness_set_clock(rc, "2026-11-23T08:00:00Z"); /* Monday 09:00 */
	freeReplyObject(open_received("2002", "EOS R5"));
	harness_set_clock(rc, "2026-11-25T13:00:00Z"); /* 22h of 24h used */
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_fields(r, "at_risk", "1", "breached", "0", "loan_eligible", "0", NULL);
	freeReplyObject(r);
	harness_set_clock(rc, "2026-11-26T09:00:00Z"); /* Thursday 10:00: past Wednesday 17:00 */
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_fields(r, "breached", "1", "loan_eligible", "1", "loan_reason", "breach",
	                      "remaining_seconds", "-3600", NULL);
	freeReplyObject(r);
	r = cmd(rc, "TICKET.LIST", "BREACHED", NULL);
	ck_assert_uint_eq(r->elements, 1);
	freeReplyObject(r);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "loan.eligible breach"));
	r = cmd(rc, "INFO", "tickets", NULL);
	ck_assert_ptr_nonnull(strstr(r->str, "tickets_breached:1"));
	freeReplyObject(r);
}
END_TEST

START_TEST(test_fourth_item_is_refused)
{
	harness_expect_status(
	        cmd(rc, "MEMBER.SET", "3003", "TIER", "silver", "COUNTRY", "DE", NULL), "OK");
	harness_set_clock(rc, "2026-11-23T08:00:00Z");
	for (int i = 0; i < 3; i++)
		freeReplyObject(open_received("3003", "EOS R5"));
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB1234", "SERVICE", "repair", "MEMBER", "3003",
	                         "REGISTERED", "yes", "RECEIVED", "NOW", NULL),
	                     "LIMIT member 3003 has 3 Fast Track items in service (limit 3)");
	freeReplyObject(cmd(rc, "TICKET.MOVE", "2", "ready", NULL));
	freeReplyObject(open_received("3003", "EOS R5")); /* a slot freed */
}
END_TEST

START_TEST(test_every_error_word)
{
	harness_expect_error(cmd(rc, "NOSUCH", NULL), "ERR unknown command");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB 12", "SERVICE", "repair", NULL),
	                     "INVALID serial \"AB 12\": letters and digits only");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB1", "SERVICE", "repair", NULL),
	                     "INVALID serial \"AB1\": 4-32");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB123", "SERVICE", "polish", NULL),
	                     "INVALID service \"polish\": one of repair, maintenance, upgrade");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB123", "NOTE", "no service given", NULL),
	                     "ERR syntax error: TICKET.OPEN needs SERVICE");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", NULL),
	                     "ERR wrong number of arguments for 'TICKET.OPEN' command");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB123", "SERVICE", "repair", "COLOUR", "red", NULL),
	                     "ERR syntax error: unknown option \"COLOUR\"");
	harness_expect_error(
	        cmd(rc, "MEMBER.SET", "UK013795RS", "TIER", "gold", "COUNTRY", "GB", NULL),
	        "INVALID member \"UK013795RS\": alphanumeric membership numbers expired in "
	        "April 2010");
	harness_expect_error(cmd(rc, "MEMBER.SET", "42", "TIER", "diamond", "COUNTRY", "GB", NULL),
	                     "INVALID tier \"diamond\"");
	harness_expect_error(cmd(rc, "MEMBER.SET", "42", "TIER", "gold", "COUNTRY", "UK", NULL),
	                     "INVALID country \"UK\"");
	harness_expect_error(cmd(rc, "MEMBER.GET", "42", NULL), "NOTFOUND member 42");
	harness_expect_error(cmd(rc, "TICKET.GET", "999", NULL), "NOTFOUND ticket 999");
	harness_expect_error(cmd(rc, "TICKET.LIST", "CENTRE", "XX-NOWHERE", NULL),
	                     "NOTFOUND centre \"XX-NOWHERE\"");
	harness_expect_error(cmd(rc, "TICKET.GET", "abc", NULL), "INVALID ticket \"abc\"");
	harness_expect_error(cmd(rc, "TICKET.OPEN", "CENTRE", "XX-NOWHERE", "PRODUCT", "EOS R5",
	                         "SERIAL", "AB123", "SERVICE", "repair", NULL),
	                     "NOTFOUND centre \"XX-NOWHERE\"");
	freeReplyObject(cmd(rc, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                    "SERIAL", "AB123", "SERVICE", "repair", NULL));
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "ready", NULL),
	                     "STATE ticket 1 is booked: cannot move to ready");
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "received", "AT", "yesterday", NULL),
	                     "INVALID AT \"yesterday\"");
	harness_expect_error(cmd(rc, "LOAN.ISSUE", "1", NULL),
	                     "STATE ticket 1 is not loan-eligible");
	harness_expect_error(cmd(rc, "DEBUG.CLOCK", "2020-01-01T00:00:00Z", NULL),
	                     "INVALID time: the clock only moves forward");
	/* With no users configured too: the one answer to bad credentials (docs/protocol.md). */
	harness_expect_error(cmd(rc, "AUTH", "someone", "secret", NULL),
	                     "WRONGPASS invalid username-password pair or user is disabled.");
	/* Nothing above changed anything but the one booking. */
	freeReplyObject(cmd(rc, "TICKET.GET", "1", NULL));
	harness_expect_error(cmd(rc, "TICKET.GET", "2", NULL), "NOTFOUND");
}
END_TEST

/*
 * The words of a request in any case (command, option, state, NOW), and a
 * ticket id as digits only, the first not 0, up to 4294967295: what the
 * command path's own compares and number parsing must keep accepting and
 * refusing.
 */
START_TEST(test_words_in_any_case_and_ids)
{
	static const char *const bad_ids[] = {"0",
	                                      "01",
	                                      "+1",
	                                      " 1",
	                                      "1 ",
	                                      "1a",
	                                      "",
	                                      "-1",
	                                      "4294967296",
	                                      "12345678901",
	                                      "1.",
	                                      "0x1",
	                                      "99999999999999999999999"};
	redisReply *r = open_received("3003", "EOS R5");

	freeReplyObject(r);
	r = cmd(rc, "ticket.move", "1", "In_Repair", "note", "any case", "At", "now", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s", r->str ? r->str : "?");
	harness_expect_field(r, "state", "in_repair");
	freeReplyObject(r);
	r = cmd(rc, "TiCkEt.GeT", "1", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	/* After a command, one of its length and another byte, or one byte short or long. */
	freeReplyObject(cmd(rc, "TICKET.GET", "1", NULL));
	harness_expect_error(cmd(rc, "TICKET.GEX", "1", NULL), "ERR unknown command 'TICKET.GEX'");
	freeReplyObject(cmd(rc, "TICKET.GET", "1", NULL));
	harness_expect_status(cmd(rc, "ping", NULL), "PONG");
	harness_expect_error(cmd(rc, "TICKET.GE", "1", NULL), "ERR unknown command 'TICKET.GE'");
	harness_expect_error(cmd(rc, "TICKET.GETT", "1", NULL), "ERR unknown command");
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "in-repair", NULL),
	                     "INVALID state \"in-repair\"");
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "in_repairs", NULL),
	                     "INVALID state \"in_repairs\"");
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "ready", "NOTES", "x", NULL),
	                     "ERR syntax error: unknown option \"NOTES\"");
	harness_expect_error(cmd(rc, "TICKET.MOVE", "1", "ready", "AT", "nowx", NULL),
	                     "INVALID AT \"nowx\"");
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		char want[128];
		snprintf(want, sizeof want, "INVALID ticket \"%s\": a positive integer",
		         bad_ids[i]);
		harness_expect_error(cmd(rc, "TICKET.GET", bad_ids[i], NULL), want);
	}
	harness_expect_error(cmd(rc, "TICKET.GET", "4294967295", NULL),
	                     "NOTFOUND ticket 4294967295");
	harness_expect_error(cmd(rc, "TICKET.GET", "1000000000", NULL),
	                     "NOTFOUND ticket 1000000000");
}
END_TEST

START_TEST(test_pipelining_1000)
{
	char msg[32];
	redisReply *r;

	for (int i = 0; i < 1000; i++) {
		if (i % 2)
			redisAppendCommand(rc, "PING %d", i);
		else
			redisAppendCommand(rc,
			                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL "
			                   "SN%d SERVICE repair",
			                   "EOS R5", 1000 + i);
	}
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(redisGetReply(rc, (void **)&r), REDIS_OK);
		if (i % 2) {
			snprintf(msg, sizeof msg, "%d", i);
			ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
			ck_assert_str_eq(r->str, msg);
		} else {
			snprintf(msg, sizeof msg, "%d", i / 2 + 1);
			harness_expect_field(r, "id", msg);
		}
		freeReplyObject(r);
	}
}
END_TEST

START_TEST(test_200_concurrent_clients)
{
	redisContext *cs[200];
	redisReply *r;
	char id[16];

	for (int i = 0; i < 200; i++) {
		cs[i] = daemon_connect(&d);
		redisAppendCommand(cs[i],
		                   "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT %s SERIAL SN%d "
		                   "SERVICE repair",
		                   "EOS R5", 5000 + i);
	}
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(redisGetReply(cs[i], (void **)&r), REDIS_OK);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		freeReplyObject(r);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof id, "%d", 200 - i);
		r = cmd(cs[i], "TICKET.GET", id, NULL);
		harness_expect_field(r, "id", id);
		freeReplyObject(r);
		redisFree(cs[i]);
	}
	r = cmd(rc, "INFO", "clients", NULL);
	ck_assert_ptr_nonnull(strstr(r->str, "total_connections_received:"));
	freeReplyObject(r);
}
END_TEST

START_TEST(test_half_request_then_vanish)
{
	int fd = harness_raw_connect(d.port);

	ck_assert_int_eq(write(fd, "*3\r\n$4\r\nPING", 12), 12);
	close(fd);
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
}
END_TEST

START_TEST(test_protocol_error_closes)
{
	char buf[256];
	int fd = harness_raw_connect(d.port);

	ck_assert_int_eq(write(fd, "*1\r\n$-5\r\n", 9), 9);
	harness_read_all(fd, buf, sizeof buf);
	ck_assert_str_eq(buf, "-ERR Protocol error: invalid bulk length\r\n");
	close(fd);
	/* Inline commands work, as typed into nc. */
	fd = harness_raw_connect(d.port);
	ck_assert_int_eq(write(fd, "PING\r\nQUIT\r\n", 12), 12);
	harness_read_all(fd, buf, sizeof buf);
	ck_assert_str_eq(buf, "+PONG\r\n+OK\r\n");
	close(fd);
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
}
END_TEST

START_TEST(test_unix_socket)
{
	redisContext *u = redisConnectUnix(d.sock);
	redisReply *r;

	ck_assert_msg(u && !u->err, "unix connect failed");
	r = redisCommand(u, "PING");
	ck_assert_str_eq(r->str, "PONG");
	freeReplyObject(r);
	redisFree(u);
}
END_TEST

/* journal.fsync changed by a reload takes effect at once: no fdatasync per commit under no. */
START_TEST(test_reload_changes_fsync)
{
	long long before;

	before = harness_info_num(&d, "persistence", "fsyncs");
	harness_expect_status(cmd(rc, "MEMBER.SET", "8", "TIER", "gold", "COUNTRY", "DE", NULL),
	                      "OK");
	ck_assert_int_gt(harness_info_num(&d, "persistence", "fsyncs"), before);
	daemon_write_config(&d, "journal: {fsync: no}", NULL);
	harness_expect_status(cmd(rc, "CONFIG.RELOAD", NULL), "OK");
	before = harness_info_num(&d, "persistence", "fsyncs");
	for (int i = 0; i < 5; i++)
		harness_expect_status(cmd(rc, "MEMBER.SET", "8", "TIER", i % 2 ? "gold" : "silver",
		                          "COUNTRY", "DE", NULL),
		                      "OK");
	ck_assert_int_eq(harness_info_num(&d, "persistence", "fsyncs"), before);
}
END_TEST

START_TEST(test_reload_good_and_bad)
{
	redisReply *r;

	harness_expect_status(cmd(rc, "MEMBER.SET", "7", "TIER", "red", "COUNTRY", "DE", NULL),
	                      "OK");
	harness_set_clock(rc, "2026-11-23T08:00:00Z");
	r = open_received("7", "EOS R5");
	harness_expect_field(r, "target_days", "10");
	freeReplyObject(r);
	/* A bad config: refused with file:line:column, the old one stays. */
	daemon_write_config(&d, "policy: {standard_days: many}", NULL);
	r = cmd(rc, "CONFIG.RELOAD", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_ptr_nonnull(strstr(r->str, "repaird.yaml:"));
	ck_assert_ptr_nonnull(strstr(r->str, "\"many\" is not an integer"));
	freeReplyObject(r);
	kill(d.pid, SIGHUP);
	ck_assert_msg(daemon_log_wait(&d, "reload refused", 5000), "%s", daemon_log(&d));
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
	/* A good one: open tickets are recomputed, used time stays used. */
	daemon_write_config(&d, "policy: {standard_days: 12}", NULL);
	kill(d.pid, SIGHUP);
	ck_assert_msg(daemon_log_wait(&d, "configuration reloaded", 5000), "%s", daemon_log(&d));
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_field(r, "target_days", "12");
	freeReplyObject(r);
	daemon_write_config(&d, "policy: {standard_days: 11}", NULL);
	harness_expect_status(cmd(rc, "CONFIG.RELOAD", NULL), "OK");
	harness_expect_field(r = cmd(rc, "TICKET.GET", "1", NULL), "target_days", "11");
	freeReplyObject(r);
}
END_TEST

START_TEST(test_redis_cli)
{
	char line[256], command[256];
	FILE *p;

	if (system("command -v redis-cli >/dev/null 2>&1") != 0) {
		fprintf(stderr, "redis-cli not installed: skipping\n");
		return;
	}
	snprintf(command, sizeof command,
	         "redis-cli -p %d PING && redis-cli -p %d PRODUCT.GET 'EOS R5' 2>&1", d.port,
	         d.port);
	p = popen(command, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_str_eq(line, "PONG\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_str_eq(line, "model\n");
	ck_assert_int_eq(pclose(p), 0);
}
END_TEST

START_TEST(test_max_clients_busy)
{
	char buf[128];
	redisContext *extra[2];
	int fd;

	teardown();
	start("server: {max_clients: 3}", NULL);
	extra[0] = daemon_connect(&d);
	extra[1] = daemon_connect(&d);
	harness_expect_status(cmd(extra[1], "PING", NULL), "PONG");
	fd = harness_raw_connect(d.port);
	harness_read_all(fd, buf, sizeof buf);
	ck_assert_str_eq(buf, "-BUSY max number of clients reached\r\n");
	close(fd);
	redisFree(extra[0]);
	redisFree(extra[1]);
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
}
END_TEST

START_TEST(test_real_timer_breach_on_time)
{
	char received[32];
	time_t now;
	redisReply *r;

	teardown();
	{
		const char *args[] = {"--real-clock", NULL};
		start(NULL, args);
	}
	harness_expect_status(cmd(rc, "MEMBER.SET", "9", "TIER", "platinum", "COUNTRY", "DE", NULL),
	                      "OK");
	/* Platinum: 2 one-minute days. Received 118 s ago: due in 2 s. */
	now = time(NULL) - 118;
	strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	r = cmd(rc, "TICKET.OPEN", "CENTRE", "XX-PSC-ALWAYS", "PRODUCT", "EOS R5", "SERIAL",
	        "AB1234", "SERVICE", "repair", "MEMBER", "9", "REGISTERED", "yes", "RECEIVED",
	        received, NULL);
	harness_expect_field(r, "breached", "0");
	freeReplyObject(r);
	/* No request moves the daemon: its own timer must notice, within 2 s of the due time. */
	ck_assert_msg(daemon_log_wait(&d, "ticket.breached", 4000), "no breach on time:\n%s",
	              daemon_log(&d));
	r = cmd(rc, "TICKET.GET", "1", NULL);
	harness_expect_field(r, "breached", "1");
	freeReplyObject(r);
}
END_TEST

START_TEST(test_sigterm_exits_cleanly)
{
	redisFree(rc);
	rc = NULL;
	ck_assert_int_eq(daemon_stop(&d), 0);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "stopped"));
}
END_TEST

START_TEST(test_check_config_exit_codes)
{
	char command[512];
	const char *bin = getenv("REPAIRD_BIN");

	snprintf(command, sizeof command, "%s --check-config %s >/dev/null", bin, d.config);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 0);
	daemon_write_config(&d, "policy: {over_limit: sometimes}", NULL);
	snprintf(command, sizeof command, "%s --check-config %s 2>/dev/null", bin, d.config);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 78);
}
END_TEST

START_TEST(test_arity_of_every_command)
{
	redisReply *table = cmd(rc, "COMMAND", NULL);

	ck_assert_uint_ge(table->elements, 20);
	for (size_t i = 0; i < table->elements; i++) {
		const char *name = table->element[i]->element[0]->str;
		long long arity = table->element[i]->element[1]->integer;
		char expect[128];
		if (arity == 1 || arity == -1)
			continue; /* the name alone is enough */
		snprintf(expect, sizeof expect, "ERR wrong number of arguments for '");
		harness_expect_error(cmd(rc, name, NULL), expect);
		if (arity > 1) {
			/* One word too many. */
			const char *words[12] = {0};
			for (long long k = 0; k <= arity && k < 11; k++)
				words[k] = "1";
			words[0] = name;
			harness_expect_error(redisCommandArgv(rc, (int)arity + 1, words, NULL),
			                     expect);
		}
	}
	freeReplyObject(table);
}
END_TEST

START_TEST(test_backpressure_on_a_client_that_does_not_read)
{
	static char burst[1 << 16];
	redisReply *r;
	size_t sent = 0;
	int fd = harness_raw_connect(d.port);
	struct timeval tv = {0, 200000};

	for (size_t i = 0; i + 6 <= sizeof burst; i += 6)
		memcpy(burst + i, "PING\r\n", 6);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* Never read: the replies pile up until repaird stops reading this client. */
	for (int i = 0; i < 2000; i++) {
		ssize_t n = write(fd, burst, sizeof burst - sizeof burst % 6);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	ck_assert_uint_gt(sent, 4u << 20);
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
	r = cmd(rc, "INFO", "clients", NULL);
	ck_assert_msg(strstr(r->str, "paused_clients:1") != NULL, "%s", r->str);
	freeReplyObject(r);
	close(fd);
	harness_expect_status(cmd(rc, "PING", NULL), "PONG");
}
END_TEST

START_TEST(test_idle_timeout)
{
	char buf[64];
	int fd;

	teardown();
	start("server: {idle_timeout: 1}", NULL);
	fd = harness_raw_connect(d.port);
	/* read_all returns once repaird closes the idle connection (or after 5 s). */
	ck_assert_uint_eq(harness_read_all(fd, buf, sizeof buf), 0);
	close(fd);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "idle"));
}
END_TEST

/*
 * The harness itself: a port another process takes between harness_free_port()
 * and the daemon's bind (suites run side by side) is retried on a new one.
 */
START_TEST(test_harness_retries_a_taken_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct daemon other;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), taken;

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	taken = harness_free_port();
	sin.sin_port = htons((uint16_t)taken);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	daemon_prepare(&other, NULL);
	other.port = taken;
	ck_assert_int_eq(daemon_spawn(&other, NULL), 0);
	ck_assert_int_ne(other.port, taken);
	ck_assert_msg(strstr(daemon_log(&other), "Address already in use"), "%s",
	              daemon_log(&other));
	ck_assert(harness_ping(redisConnect("127.0.0.1", other.port)));
	ck_assert_int_eq(daemon_stop(&other), 0);
	daemon_cleanup(&other);
	close(fd);
	/* Without a unix socket, readiness is asked over TCP. */
	{
		const char *no_unix[] = {"--unix", "", NULL};
		ck_assert_int_eq(daemon_start(&other, NULL, no_unix), 0);
		ck_assert_str_eq(other.sock, "");
		ck_assert_int_eq(daemon_stop(&other), 0);
		daemon_cleanup(&other);
	}
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_connection_commands);
	tcase_add_test(tc, test_reload_changes_fsync);
	tcase_add_test(tc, test_booking_lifecycle);
	tcase_add_test(tc, test_breach_and_loan_when_the_clock_passes);
	tcase_add_test(tc, test_fourth_item_is_refused);
	tcase_add_test(tc, test_every_error_word);
	tcase_add_test(tc, test_words_in_any_case_and_ids);
	tcase_add_test(tc, test_pipelining_1000);
	tcase_add_test(tc, test_200_concurrent_clients);
	tcase_add_test(tc, test_half_request_then_vanish);
	tcase_add_test(tc, test_protocol_error_closes);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_reload_good_and_bad);
	tcase_add_test(tc, test_redis_cli);
	tcase_add_test(tc, test_max_clients_busy);
	tcase_add_test(tc, test_real_timer_breach_on_time);
	tcase_add_test(tc, test_sigterm_exits_cleanly);
	tcase_add_test(tc, test_check_config_exit_codes);
	tcase_add_test(tc, test_arity_of_every_command);
	tcase_add_test(tc, test_backpressure_on_a_client_that_does_not_read);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_harness_retries_a_taken_port);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(daemon_suite());
}
