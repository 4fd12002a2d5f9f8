/*
 * Integration: a partner's developer with only docs/protocol.md and redis-py
 * (Debian's python3-redis, its defaults) books a repair, follows it, and reads
 * the centre's events from a real redis-server with a consumer group.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct daemon d;
static struct redis_server rs;

static void teardown(void)
{
	daemon_cleanup(&d);
	harness_redis_stop(&rs);
}

static const char *src_dir(void)
{
	const char *s = getenv("REPAIRD_SRC");
	return s ? s : ".";
}

START_TEST(test_partner_books_follows_and_reads_events)
{
	char yaml[1024], script[512];
	const char *argv[8];
	char dport[16], rport[16], *out = NULL, *err = NULL;
	int status;

	harness_redis_start(&rs, NULL);
	/* The workshop's account is the one a bare `AUTH password` uses: default, a partner. */
	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: partner}\n"
	         "access:\n  tcp_auth: on\n  unix_user: boss\n  users:\n"
	         "    - {name: boss, password: \"sha256:" HASH_ADMIN
	         "\", role: admin, centres: \"*\"}\n"
	         "    - {name: default, password: \"sha256:" HASH_PARTNER "\", role: partner,\n"
	         "       centres: [DE-PSC-TEST]}\n",
	         rs.port);
	ck_assert_msg(daemon_start(&d, yaml, NULL) == 0, "repaird did not start:\n%s",
	              daemon_log(&d));
	/* The member on file, as the centre's admin keeps it (over the unix socket). */
	{
		redisContext *u = redisConnectUnix(d.sock);
		ck_assert(u && !u->err);
		harness_expect_status(cmd(u, "MEMBER.SET", "151335488", "TIER", "platinum",
		                          "COUNTRY", "DE", NULL),
		                      "OK");
		redisFree(u);
	}
	snprintf(script, sizeof script, "%s/tests/clients/partner.py", src_dir());
	snprintf(dport, sizeof dport, "%d", d.port);
	snprintf(rport, sizeof rport, "%d", rs.port);
	argv[0] = "/usr/bin/python3";
	argv[1] = script;
	argv[2] = dport;
	argv[3] = "partner-pw"; /* AUTH password: the one-argument form redis-py sends */
	argv[4] = rport;
	argv[5] = "partner:events:DE-PSC-TEST";
	argv[6] = NULL;
	status = harness_run(d.dir, NULL, NULL, NULL, argv, &out, &err);
	ck_assert_msg(status == 0, "partner.py exited %d\nstdout:\n%s\nstderr:\n%s", status, out,
	              err);
	ck_assert_msg(strstr(out, "opened booked fast_track 1 loan 1 booking\n"), "%s", out);
	ck_assert_msg(strstr(out, "moved received deadline set True\n"), "%s", out);
	ck_assert_msg(strstr(out, "event loan.eligible ticket True reason booking member 151335488 "
	                          "id matches seq True\n"),
	              "no loan.eligible event read from the stream:\n%s\n%s", out, err);
	ck_assert_msg(strstr(out, "pending after ack 0\n"), "%s", out);
	ck_assert_msg(strstr(out, "done\n"), "%s", out);
	free(out);
	free(err);
}
END_TEST

static Suite *partner_suite(void)
{
	Suite *s = suite_create("partner");
	TCase *tc = tcase_create("redis-py");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_partner_books_follows_and_reads_events);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(partner_suite());
}
