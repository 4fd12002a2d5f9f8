/*
 * Integration: password guessing is slowed per source, not per connection.
 * Twenty connections guessing side by side from one address get no more
 * passwords checked than one connection would; an AUTH that arrives while
 * its source must wait is refused unchecked, even with the right password,
 * and the right password works again once the wait is over.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;

static void teardown(void)
{
	daemon_cleanup(&d);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void send_line(int fd, const char *s)
{
	size_t len = strlen(s);

	ck_assert_int_eq(write(fd, s, len), (ssize_t)len);
}

/* One reply line within timeout_ms, into buf; "" when none came. */
static void read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = 0;

	buf[0] = '\0';
	if (poll(&p, 1, timeout_ms) == 1 && (n = read(fd, buf, cap - 1)) > 0)
		buf[n] = '\0';
}

static void fail_three_times(void)
{
	char buf[256];

	for (int i = 0; i < 3; i++) {
		int fd = harness_raw_connect(d.port);
		send_line(fd, "AUTH boss guess\r\n");
		read_line(fd, buf, sizeof buf, 2000);
		ck_assert_msg(strncmp(buf, "-WRONGPASS", 10) == 0, "reply: %s", buf);
		close(fd);
	}
}

START_TEST(test_parallel_connections_share_the_wait)
{
	enum { CONNS = 20 };
	int fds[CONNS];
	size_t checked;

	ck_assert_int_eq(daemon_start(&d, HARNESS_AUTH_YAML, NULL), 0);
	fail_three_times();
	/* Twenty connections, five guesses each, all at once. */
	for (int i = 0; i < CONNS; i++) {
		fds[i] = harness_raw_connect(d.port);
		send_line(fds[i], "AUTH boss g1\r\nAUTH boss g2\r\nAUTH boss g3\r\n"
		                  "AUTH boss g4\r\nAUTH boss g5\r\n");
	}
	sleep(3);
	/*
	 * Per connection, 3 s would let each of the 20 try twice or more (40+).
	 * Per source: the 4th failure waits 1 s, the 5th 2 s more; whatever
	 * arrives meanwhile is refused unchecked. At most two more checked.
	 */
	checked = count(daemon_log(&d), "AUTH failed for user \"boss\"");
	ck_assert_msg(checked <= 3 + 2, "%zu passwords checked within 3 s from one source",
	              checked);
	ck_assert_msg(count(daemon_log(&d), "refused unchecked") >= 1,
	              "no AUTH was refused unchecked:\n%s", daemon_log(&d));
	for (int i = 0; i < CONNS; i++)
		close(fds[i]);
}
END_TEST

START_TEST(test_right_password_waits_out_the_source)
{
	char buf[256];
	int fd, fd2;

	ck_assert_int_eq(daemon_start(&d, HARNESS_AUTH_YAML, NULL), 0);
	fail_three_times();
	fd = harness_raw_connect(d.port);
	send_line(fd, "AUTH boss guess\r\n"); /* the 4th: the source waits 1 s */
	usleep(200000);
	/* Another connection, the right password, inside the wait: not even checked. */
	fd2 = harness_raw_connect(d.port);
	send_line(fd2, "AUTH boss admin-pw\r\n");
	read_line(fd2, buf, sizeof buf, 5000);
	ck_assert_msg(strncmp(buf, "-WRONGPASS", 10) == 0, "inside the wait: %s", buf);
	close(fd2);
	read_line(fd, buf, sizeof buf, 3000);
	ck_assert_msg(strncmp(buf, "-WRONGPASS", 10) == 0, "reply: %s", buf);
	close(fd);
	/* Once the wait is over, the right password works. */
	sleep(4); /* the 5th failure (unchecked) made the wait 1 + 2 s */
	fd = harness_raw_connect(d.port);
	send_line(fd, "AUTH boss admin-pw\r\n");
	read_line(fd, buf, sizeof buf, 3000);
	ck_assert_msg(strncmp(buf, "+OK", 3) == 0, "after the wait: %s", buf);
	close(fd);
}
END_TEST

static Suite *guess_suite(void)
{
	Suite *s = suite_create("guess");
	TCase *tc = tcase_create("per source");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parallel_connections_share_the_wait);
	tcase_add_test(tc, test_right_password_waits_out_the_source);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(guess_suite());
}
