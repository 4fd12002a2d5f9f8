/*
 * Integration: partner access (docs/protocol.md, "Access"). Users and roles,
 * centre scoping, AUTH over TCP, the unix socket's user, limits before AUTH,
 * the cross-protocol guard, and slowing down password guessing.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char *access_yaml =
        "access:\n"
        "  tcp_auth: on\n"
        "  unix_user: boss\n"
        "  users:\n"
        "    - {name: boss, password: \"sha256:" HASH_ADMIN "\", role: admin, centres: \"*\"}\n"
        "    - {name: desk, password: \"sha256:" HASH_STAFF "\", role: staff,\n"
        "       centres: [DE-PSC-TEST]}\n"
        "    - {name: workshop, password: \"sha256:" HASH_PARTNER "\", role: partner,\n"
        "       centres: [DE-ASP-TEST]}\n"
        "    - {name: auditor, password: \"sha256:" HASH_VIEWER "\", role: viewer,\n"
        "       centres: [DE-ASP-TEST]}\n";

static struct daemon d;

static void setup(void)
{
	harness_start(&d, access_yaml, NULL);
}

static void teardown(void)
{
	daemon_cleanup(&d);
}

static void expect_ok(redisReply *r)
{
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "error: %s", r->str);
	freeReplyObject(r);
}

static redisReply *open_at(redisContext *c, const char *centre, const char *serial)
{
	return cmd(c, "TICKET.OPEN", "CENTRE", centre, "PRODUCT", "EOS R5", "SERIAL", serial,
	           "SERVICE", "repair", "MEMBER", "151335488", "REGISTERED", "yes", "RECEIVED",
	           "NOW", NULL);
}

/* Tickets 1 (DE-PSC-TEST) and 2 (DE-ASP-TEST), booked over the unix socket as boss. */
static void two_tickets(void)
{
	redisContext *u = redisConnectUnix(d.sock);

	ck_assert_msg(u && !u->err, "unix connect");
	expect_ok(cmd(u, "MEMBER.SET", "151335488", "TIER", "platinum", "COUNTRY", "DE", NULL));
	expect_ok(cmd(u, "DEBUG.CLOCK", "2026-11-23T08:00:00Z", NULL));
	expect_ok(open_at(u, "DE-PSC-TEST", "PSC0001"));
	expect_ok(open_at(u, "DE-ASP-TEST", "ASP0001"));
	redisFree(u);
}

START_TEST(test_tcp_needs_auth)
{
	redisContext *c = daemon_connect(&d);
	redisReply *r;

	r = cmd(c, "PING", NULL);
	ck_assert_str_eq(r->str, "PONG");
	freeReplyObject(r);
	expect_ok(cmd(c, "COMMAND", "DOCS", NULL));
	harness_expect_error(cmd(c, "TICKET.GET", "1", NULL), "NOAUTH Authentication required.");
	harness_expect_error(cmd(c, "CENTRE.LIST", NULL), "NOAUTH");
	harness_expect_error(cmd(c, "AUTH", "desk", "wrong", NULL),
	                     "WRONGPASS invalid username-password pair or user is disabled.");
	harness_expect_error(cmd(c, "AUTH", "nobody", "staff-pw", NULL), "WRONGPASS");
	harness_expect_error(cmd(c, "TICKET.GET", "1", NULL), "NOAUTH");
	expect_ok(cmd(c, "AUTH", "desk", "staff-pw", NULL));
	harness_expect_error(cmd(c, "TICKET.GET", "1", NULL),
	                     "NOTFOUND"); /* in, and no such ticket */
	redisFree(c);
	ck_assert_ptr_nonnull(
	        strstr(daemon_log(&d), "AUTH failed for user \"desk\" from 127.0.0.1"));
}
END_TEST

START_TEST(test_unix_socket_acts_as_unix_user)
{
	redisContext *u = redisConnectUnix(d.sock);
	redisReply *r;

	ck_assert(u && !u->err);
	r = cmd(u, "CONFIG.RELOAD", NULL); /* admin only */
	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "%s", r->str);
	freeReplyObject(r);
	redisFree(u);
}
END_TEST

START_TEST(test_partner_sees_and_changes_only_its_centre)
{
	redisContext *p;
	redisReply *r;

	two_tickets();
	p = harness_login(&d, "workshop", "partner-pw");
	/* Full work on its own centre's tickets. */
	expect_ok(cmd(p, "TICKET.GET", "2", NULL));
	expect_ok(cmd(p, "TICKET.MOVE", "2", "diagnosing", NULL));
	expect_ok(cmd(p, "LOAN.ISSUE", "2", NULL)); /* platinum subscription: owed at booking */
	expect_ok(cmd(p, "TICKET.HISTORY", "2", NULL));
	expect_ok(open_at(p, "DE-ASP-TEST", "ASP0002"));
	/* Another centre's ticket: NOPERM for get, move, loan. */
	harness_expect_error(cmd(p, "TICKET.GET", "1", NULL),
	                     "NOPERM ticket 1 belongs to centre DE-PSC-TEST");
	harness_expect_error(cmd(p, "TICKET.MOVE", "1", "diagnosing", NULL), "NOPERM");
	harness_expect_error(cmd(p, "LOAN.ISSUE", "1", NULL), "NOPERM");
	harness_expect_error(cmd(p, "TICKET.HISTORY", "1", NULL), "NOPERM");
	harness_expect_error(open_at(p, "DE-PSC-TEST", "PSC0002"),
	                     "NOPERM user workshop may not work on centre DE-PSC-TEST");
	/* Lists and stats show its centre only. */
	r = cmd(p, "TICKET.LIST", "ALL", NULL);
	ck_assert_uint_eq(r->elements, 2);
	for (size_t i = 0; i < r->elements; i++)
		ck_assert_str_eq(field(r->element[i], "centre"), "DE-ASP-TEST");
	freeReplyObject(r);
	harness_expect_error(cmd(p, "TICKET.LIST", "CENTRE", "DE-PSC-TEST", NULL), "NOPERM");
	r = cmd(p, "STATS", NULL);
	ck_assert_str_eq(field(r, "open"), "2");
	freeReplyObject(r);
	harness_expect_error(cmd(p, "STATS", "CENTRE", "DE-PSC-TEST", NULL), "NOPERM");
	/* Nothing about members, nothing of the server's. */
	harness_expect_error(cmd(p, "MEMBER.GET", "151335488", NULL),
	                     "NOPERM user workshop (partner)");
	harness_expect_error(cmd(p, "MEMBER.SET", "7", "TIER", "gold", "COUNTRY", "DE", NULL),
	                     "NOPERM");
	harness_expect_error(cmd(p, "INFO", NULL), "NOPERM");
	harness_expect_error(cmd(p, "CONFIG.RELOAD", NULL), "NOPERM");
	/* Reference data is for everyone signed in. */
	expect_ok(cmd(p, "CENTRE.LIST", NULL));
	redisFree(p);
	ck_assert_ptr_nonnull(
	        strstr(daemon_log(&d), "refused TICKET.GET to workshop from 127.0.0.1"));
}
END_TEST

START_TEST(test_staff_and_viewer)
{
	redisContext *s, *v;
	redisReply *r;

	two_tickets();
	s = harness_login(&d, "desk", "staff-pw");
	expect_ok(cmd(s, "MEMBER.GET", "151335488", NULL)); /* staff reads members */
	harness_expect_error(cmd(s, "MEMBER.SET", "7", "TIER", "gold", "COUNTRY", "DE", NULL),
	                     "NOPERM");
	expect_ok(cmd(s, "TICKET.MOVE", "1", "diagnosing", NULL));
	harness_expect_error(cmd(s, "TICKET.MOVE", "2", "diagnosing", NULL), "NOPERM");
	expect_ok(cmd(s, "INFO", "tickets", NULL));
	harness_expect_error(cmd(s, "JOURNAL.COMPACT", NULL), "NOPERM");
	redisFree(s);
	v = harness_login(&d, "auditor", "viewer-pw");
	expect_ok(cmd(v, "TICKET.GET", "2", NULL));
	r = cmd(v, "TICKET.LIST", NULL);
	ck_assert_uint_eq(r->elements, 1);
	freeReplyObject(r);
	expect_ok(cmd(v, "STATS", NULL));
	harness_expect_error(cmd(v, "TICKET.MOVE", "2", "diagnosing", NULL),
	                     "NOPERM user auditor (viewer)");
	harness_expect_error(cmd(v, "LOAN.ISSUE", "2", NULL), "NOPERM");
	harness_expect_error(cmd(v, "TICKET.GET", "1", NULL), "NOPERM");
	redisFree(v);
}
END_TEST

START_TEST(test_limits_before_auth)
{
	char buf[256];
	int fd = harness_raw_connect(d.port);
	redisContext *c;

	/* Before AUTH: few arguments, small bulks. */
	ck_assert_int_eq(write(fd, "*100\r\n", 6), 6);
	harness_read_all(fd, buf, sizeof buf);
	ck_assert_str_eq(buf, "-ERR Protocol error: invalid multibulk length\r\n");
	close(fd);
	fd = harness_raw_connect(d.port);
	ck_assert_int_eq(write(fd, "*2\r\n$4\r\nPING\r\n$100000\r\n", 24), 24);
	harness_read_all(fd, buf, sizeof buf);
	ck_assert_str_eq(buf, "-ERR Protocol error: invalid bulk length\r\n");
	close(fd);
	/* A 1 GB bulk header is refused even after AUTH; memory stays bounded. */
	c = harness_login(&d, "boss", "admin-pw");
	redisAppendFormattedCommand(c, "*1\r\n$1000000000\r\n", 18);
	{
		redisReply *r = NULL;
		redisGetReply(c, (void **)&r);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->str, "ERR Protocol error: invalid bulk length");
		freeReplyObject(r);
	}
	redisFree(c);
	/* After AUTH a long request is fine. */
	c = harness_login(&d, "boss", "admin-pw");
	{
		const char *argv[40];
		redisReply *r;
		argv[0] = "PRODUCT.LIST";
		for (int i = 1; i + 1 < 40; i += 2) {
			argv[i] = "MATCH";
			argv[i + 1] = "EOS";
		}
		r = redisCommandArgv(c, 3, argv, NULL);
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		freeReplyObject(r);
		r = redisCommandArgv(c, 21, argv, NULL); /* 21 words: over the 10 of a stranger */
		ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
		ck_assert_ptr_nonnull(strstr(r->str, "syntax error")); /* parsed, then refused */
		freeReplyObject(r);
	}
	redisFree(c);
}
END_TEST

START_TEST(test_cross_protocol_guard)
{
	char buf[256];
	int fd = harness_raw_connect(d.port);
	static const char http[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1:7878\r\n\r\nFLUSH\r\n";

	ck_assert_int_eq(write(fd, http, sizeof http - 1), (ssize_t)(sizeof http - 1));
	ck_assert_uint_eq(harness_read_all(fd, buf, sizeof buf), 0); /* closed, nothing said */
	close(fd);
	fd = harness_raw_connect(d.port);
	ck_assert_int_eq(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	ck_assert_uint_eq(harness_read_all(fd, buf, sizeof buf), 0);
	close(fd);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "possible cross-protocol attack"));
	/* Others are served. */
	{
		redisContext *c = daemon_connect(&d);
		redisReply *r = cmd(c, "PING", NULL);
		ck_assert_str_eq(r->str, "PONG");
		freeReplyObject(r);
		redisFree(c);
	}
}
END_TEST

START_TEST(test_guessing_is_slowed_down)
{
	redisContext *c = daemon_connect(&d);
	struct timeval a, b;
	double secs;

	for (int i = 0; i < 3; i++)
		harness_expect_error(cmd(c, "AUTH", "boss", "guess", NULL), "WRONGPASS");
	gettimeofday(&a, NULL);
	harness_expect_error(cmd(c, "AUTH", "boss", "guess", NULL), "WRONGPASS");
	gettimeofday(&b, NULL);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
	ck_assert_msg(secs >= 0.9, "the fourth failure answered after %.2f s", secs);
	redisFree(c);
	/* The right password still works, from the same address. */
	c = harness_login(&d, "boss", "admin-pw");
	redisFree(c);
}
END_TEST

START_TEST(test_tcp_auth_off_needs_loopback)
{
	char command[512];

	daemon_write_config(&d, "access: {tcp_auth: off}\nlisten: {tcp: [\"0.0.0.0:7878\"]}", NULL);
	snprintf(command, sizeof command,
	         "%s --check-config %s 2>&1 | grep -q 'tcp_auth: off is allowed only when every "
	         "TCP listener is on loopback, and 0.0.0.0:7878 is not'",
	         getenv("REPAIRD_BIN"), d.config);
	ck_assert_int_eq(system(command), 0);
	daemon_write_config(&d, "access: {tcp_auth: off}\nlisten: {tcp: [\"127.0.0.1:7878\"]}",
	                    NULL);
	snprintf(command, sizeof command, "%s --check-config %s >/dev/null 2>&1",
	         getenv("REPAIRD_BIN"), d.config);
	ck_assert_int_eq(system(command), 0);
	/* --listen cannot open a public port either. */
	snprintf(command, sizeof command,
	         "%s --config %s --listen 0.0.0.0:%d --unix '' --state-dir %s/s2 2>/dev/null",
	         getenv("REPAIRD_BIN"), d.config, harness_free_port(), d.dir);
	ck_assert_int_eq(WEXITSTATUS(system(command)), 78);
}
END_TEST

START_TEST(test_repairctl_passwd_prints_the_config_line)
{
	char command[512], line[256] = "", yaml[1024];
	const char *hash;
	redisContext *c;
	redisReply *r;
	FILE *p;
	size_t n;

	snprintf(command, sizeof command, "printf 'new-pw\\n' | %s passwd",
	         getenv("REPAIRCTL_BIN"));
	p = popen(command, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	ck_assert_int_eq(pclose(p), 0);
	/* A salted scrypt hash in the PHC string format, never the password itself. */
	ck_assert_msg(strncmp(line, "password: \"$scrypt$ln=14,r=8,p=1$", 33) == 0, "%s", line);
	ck_assert_ptr_null(strstr(line, "new-pw"));
	hash = line + strlen("password: \"");
	n = strcspn(hash, "\"");
	/* That line's password gets in, and only it. */
	snprintf(yaml, sizeof yaml,
	         "access:\n  tcp_auth: on\n  unix_user: boss\n  users:\n"
	         "    - {name: boss, password: \"%.*s\", role: admin, centres: \"*\"}\n",
	         (int)n, hash);
	daemon_write_config(&d, yaml, NULL);
	c = redisConnectUnix(d.sock);
	ck_assert(c && !c->err);
	r = cmd(c, "CONFIG.RELOAD", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "%s", r->str);
	freeReplyObject(r);
	redisFree(c);
	redisFree(harness_login(&d, "boss", "new-pw"));
	c = daemon_connect(&d);
	harness_expect_error(cmd(c, "AUTH", "boss", "admin-pw", NULL), "WRONGPASS");
	redisFree(c);
	/* The test's config with users is 0644: the operator is told. */
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "is readable by every local user"));
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tcp_needs_auth);
	tcase_add_test(tc, test_unix_socket_acts_as_unix_user);
	tcase_add_test(tc, test_partner_sees_and_changes_only_its_centre);
	tcase_add_test(tc, test_staff_and_viewer);
	tcase_add_test(tc, test_limits_before_auth);
	tcase_add_test(tc, test_cross_protocol_guard);
	tcase_add_test(tc, test_guessing_is_slowed_down);
	tcase_add_test(tc, test_tcp_auth_off_needs_loopback);
	tcase_add_test(tc, test_repairctl_passwd_prints_the_config_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(access_suite());
}
