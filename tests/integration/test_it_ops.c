/*
 * Integration: operating repaird. systemd notification (READY, STATUS,
 * WATCHDOG, RELOADING, STOPPING, in order) over a datagram socket the test
 * owns; socket activation with listeners the test binds; the log lines an
 * operator relies on and the rate limit on repeated errors; `make install`
 * into a temporary tree, `systemd-analyze verify` and `security` on the
 * units; the man pages rendering without a groff warning.
 *
 * The daemon is started here rather than by daemon_start(), because each
 * test prepares the child's environment (NOTIFY_SOCKET, LISTEN_FDS, limits).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "harness.h"

static struct daemon d;

static const char *src_dir(void)
{
	const char *s = getenv("REPAIRD_SRC");
	return s ? s : ".";
}

/* ---- starting the daemon with a prepared environment -------------------------------- */

/* With the real clock: the watchdog and the accept pause are timers of their own. */
static const char *const real_clock[] = {"--real-clock", NULL};

static bool ping_tcp(int port)
{
	return harness_ping(redisConnect("127.0.0.1", port));
}

/* Poll until PING answers on port (10 s); fails the test with the daemon's log otherwise. */
static void wait_ping(struct daemon *dd, int port)
{
	bool up = false, exited = false;

	WAIT_UNTIL((up = ping_tcp(port)) || (exited = waitpid(dd->pid, NULL, WNOHANG) == dd->pid),
	           10000);
	ck_assert_msg(!exited, "repaird exited at start:\n%s", daemon_log(dd));
	ck_assert_msg(up, "repaird did not answer on port %d:\n%s", port, daemon_log(dd));
}

static void teardown(void)
{
	daemon_cleanup(&d);
}

/* Number of non-overlapping occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

/* ---- systemd notification ------------------------------------------------------------ */

static char notify_path[192];

static void notify_env(void *arg)
{
	(void)arg;
	setenv("NOTIFY_SOCKET", notify_path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
}

/* The next datagram within ms milliseconds (0-terminated in buf), or -1. */
static int recv_notify(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Read datagrams until one contains want (true) or ms pass (false). Every
 * datagram read is appended to seen, one per line, for the failure message.
 */
static int await_notify(int fd, const char *want, int ms, char *seen, size_t seenlen)
{
	char buf[4096];
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int left;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms -
		       (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || recv_notify(fd, buf, sizeof buf, left) < 0)
			return 0;
		snprintf(seen + strlen(seen), seenlen - strlen(seen), "[%s]\n", buf);
		if (strstr(buf, want))
			return 1;
	}
}

START_TEST(test_notify_ready_status_watchdog_reload_stopping)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char seen[16384] = "";
	int fd, status;

	daemon_prepare(&d, NULL);
	snprintf(notify_path, sizeof notify_path, "%s/notify.sock", d.dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%.100s", notify_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	daemon_exec(&d, real_clock, notify_env, NULL);

	/* READY=1 comes with a STATUS= line, and only once the daemon can answer. */
	ck_assert_msg(await_notify(fd, "READY=1", 10000, seen, sizeof seen),
	              "no READY=1; got:\n%s\nlog:\n%s", seen, daemon_log(&d));
	ck_assert_msg(strstr(seen, "STATUS=") != NULL, "no STATUS= by READY=1; got:\n%s", seen);
	wait_ping(&d, d.port);
	/* WATCHDOG_USEC=2 s: a ping at least every second. */
	ck_assert_msg(await_notify(fd, "WATCHDOG=1", 3000, seen, sizeof seen),
	              "no WATCHDOG=1 after READY=1; got:\n%s", seen);

	/* A reload says so, then says it is ready again. */
	kill(d.pid, SIGHUP);
	ck_assert_msg(await_notify(fd, "RELOADING=1", 5000, seen, sizeof seen),
	              "no RELOADING=1 after SIGHUP; got:\n%s", seen);
	ck_assert_msg(await_notify(fd, "READY=1", 5000, seen, sizeof seen),
	              "no READY=1 after RELOADING=1; got:\n%s", seen);

	kill(d.pid, SIGTERM);
	ck_assert_msg(await_notify(fd, "STOPPING=1", 5000, seen, sizeof seen),
	              "no STOPPING=1 after SIGTERM; got:\n%s", seen);
	ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
	d.pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
	/* And the order over the whole run. */
	{
		const char *ready = strstr(seen, "READY=1"), *wd = strstr(seen, "WATCHDOG=1");
		const char *stopping = strstr(seen, "STOPPING=1");
		ck_assert_msg(ready && wd && stopping && ready < wd && wd < stopping,
		              "out of order:\n%s", seen);
	}
	close(fd);
}
END_TEST

/* ---- socket activation --------------------------------------------------------------- */

struct activation {
	int tcp, unx; /* listening sockets the test bound */
};

/* In the child: the sockets at 3 and 4, as systemd hands them in. */
static void activation_env(void *arg)
{
	struct activation *a = arg;
	char pid[32];
	int tcp = fcntl(a->tcp, F_DUPFD, 10), unx = fcntl(a->unx, F_DUPFD, 10);

	if (tcp < 0 || unx < 0 || dup2(tcp, 3) < 0 || dup2(unx, 4) < 0)
		_exit(126);
	close(tcp);
	close(unx);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_PID", pid, 1);
}

START_TEST(test_socket_activation)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct activation a;
	struct stat st;
	char path[192], want[256];
	int port;

	daemon_prepare(&d, NULL);
	/* Bound and listening before the daemon exists, as repaird.socket does. */
	port = harness_free_port();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	a.tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(a.tcp, 0);
	ck_assert_int_eq(bind(a.tcp, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(a.tcp, 16), 0);
	snprintf(path, sizeof path, "%s/activated.sock", d.dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%.100s", path);
	a.unx = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(a.unx, 0);
	ck_assert_int_eq(bind(a.unx, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(a.unx, 16), 0);

	daemon_exec(&d, real_clock, activation_env, &a);
	close(a.tcp);
	close(a.unx);

	/* It serves on what it was handed, and binds nothing of its own. */
	wait_ping(&d, port);
	ck_assert_msg(harness_ping(redisConnectUnix(path)), "no PONG on the activated unix socket");
	ck_assert_msg(!ping_tcp(d.port), "repaird bound --listen despite socket activation");
	ck_assert_msg(stat(d.sock, &st) < 0, "repaird created %s despite socket activation",
	              d.sock);
	ck_assert_msg(strstr(daemon_log(&d), "socket activation: 2 listeners from systemd"), "%s",
	              daemon_log(&d));
	snprintf(want, sizeof want, "listening on 127.0.0.1:%d", port);
	ck_assert_msg(strstr(daemon_log(&d), want), "%s", daemon_log(&d));
	snprintf(want, sizeof want, "listening on unix:%s", path);
	ck_assert_msg(strstr(daemon_log(&d), want), "%s", daemon_log(&d));

	ck_assert_int_eq(daemon_stop(&d), 0);
	/* The socket file belongs to systemd: it outlives the daemon. */
	ck_assert_msg(stat(path, &st) == 0 && S_ISSOCK(st.st_mode),
	              "repaird removed the activated socket %s", path);
}
END_TEST

START_TEST(test_activation_rejects_other_descriptors)
{
	int fds[2];

	/* A datagram socket is not a listener: refuse to start (69), naming it. */
	daemon_prepare(&d, NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
	{
		struct activation a = {fds[0], fds[1]};
		int status;
		daemon_exec(&d, real_clock, activation_env, &a);
		ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
		d.pid = 0;
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 69, "status %d\n%s",
		              status, daemon_log(&d));
	}
	ck_assert_msg(strstr(daemon_log(&d), "descriptor 3 is not a listening stream socket"), "%s",
	              daemon_log(&d));
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* ---- logs ---------------------------------------------------------------------------- */

START_TEST(test_log_lines_for_operators)
{
	char want[256];
	const char *log;

	daemon_prepare(&d, NULL);
	ck_assert_int_eq(daemon_spawn_with(&d, real_clock, NULL, NULL), 0);
	kill(d.pid, SIGHUP);
	daemon_log_wait(&d, "configuration reloaded", 5000);
	ck_assert_int_eq(daemon_stop(&d), 0);
	log = daemon_log(&d);

	ck_assert_msg(strstr(log, "notice: repaird ") && strstr(log, " starting with "),
	              "no start line with version and config:\n%s", log);
	ck_assert_msg(strstr(log, d.config), "the start line does not name the config:\n%s", log);
	snprintf(want, sizeof want, "info: listening on 127.0.0.1:%d", d.port);
	ck_assert_msg(strstr(log, want), "no \"%s\":\n%s", want, log);
	snprintf(want, sizeof want, "info: listening on unix:%s", d.sock);
	ck_assert_msg(strstr(log, want), "no \"%s\":\n%s", want, log);
	ck_assert_msg(strstr(log, "notice: ready"), "no ready line:\n%s", log);
	ck_assert_msg(strstr(log, "notice: SIGHUP: reloading"), "no reload line:\n%s", log);
	ck_assert_msg(strstr(log, "notice: configuration reloaded from"), "no reloaded line:\n%s",
	              log);
	ck_assert_msg(strstr(log, "notice: SIGTERM: stopping"), "no stopping line:\n%s", log);
	ck_assert_msg(strstr(log, "notice: stopped"), "no stopped line:\n%s", log);
	/* Start, ready and stop each once. */
	ck_assert_int_eq(count(log, "notice: ready"), 1);
	ck_assert_int_eq(count(log, "notice: stopped"), 1);
}
END_TEST

/* Few descriptors: accept fails with EMFILE once a second while clients wait. */
static void few_fds(void *arg)
{
	struct rlimit rl = {32, 32};

	(void)arg;
	setrlimit(RLIMIT_NOFILE, &rl);
}

START_TEST(test_repeated_errors_are_counted_not_repeated)
{
	int clients[80], n = 0, lines, summaries;
	char want[160];
	const char *log, *sum;

	daemon_prepare(&d, NULL);
	ck_assert_int_eq(daemon_spawn_with(&d, real_clock, few_fds, NULL), 0);
	/* More connections than the daemon has descriptors for: they wait in the backlog. */
	for (int i = 0; i < 80; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)d.port);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0)
			clients[n++] = fd;
		else if (fd >= 0)
			close(fd);
	}
	ck_assert_int_gt(n, 40);
	/* The first failed accept is logged; then the listener pauses a second at a time. */
	snprintf(want, sizeof want, "warning: accept on 127.0.0.1:%d failed: ", d.port);
	ck_assert_msg(daemon_log_wait(&d, want, 5000), "no failed accept:\n%s", daemon_log(&d));
	/*
	 * Two or three more a second apart, all within one 10 s window. They are only
	 * counted (that is the point), so there is nothing to poll for: wait them out.
	 */
	sleep(3);
	ck_assert_int_eq(daemon_stop(&d), 0);
	for (int i = 0; i < n; i++)
		close(clients[i]);
	log = daemon_log(&d);
	lines = count(log, want);
	summaries = count(log, "times)");
	ck_assert_msg(lines == 2 && summaries == 1,
	              "want the warning once and one \"(repeated N times)\" line; got:\n%s", log);
	sum = strstr(log, "(repeated ");
	ck_assert_msg(sum && atoi(sum + strlen("(repeated ")) >= 2, "%s", log);
}
END_TEST

/* ---- install, units, man pages -------------------------------------------------------- */

static int have(const char *tool)
{
	return harness_system("command -v %s >/dev/null 2>&1", tool) == 0;
}

static void expect_file(const char *root, const char *rel, mode_t mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s%s", root, rel);
	ck_assert_msg(stat(path, &st) == 0, "make install did not create %s", rel);
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", rel);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %04o, want %04o", rel,
	              (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

static void expect_absent(const char *root, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s%s", root, rel);
	ck_assert_msg(stat(path, &st) < 0, "%s is still there", rel);
}

static char tree[128];

static void tree_teardown(void)
{
	if (tree[0] && getenv("REPAIRD_KEEP_TMP") == NULL)
		harness_system("rm -rf '%s'", tree);
	tree[0] = '\0';
}

START_TEST(test_make_install_tree)
{
	char out[256], path[512], bin[512];
	FILE *f;

	snprintf(tree, sizeof tree, "/tmp/repaird-install-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	snprintf(out, sizeof out, "%s.log", tree);
	ck_assert_msg(
	        harness_system("make -C '%s' --no-print-directory install PREFIX=/usr DESTDIR='%s' "
	                       ">'%s' 2>&1",
	                       src_dir(), tree, out) == 0,
	        "make install failed:\n%s", harness_file(out));

	expect_file(tree, "/usr/sbin/repaird", 0755);
	expect_file(tree, "/usr/lib/systemd/system/repaird.service", 0644);
	expect_file(tree, "/usr/lib/systemd/system/repaird.socket", 0644);
	expect_file(tree, "/usr/lib/sysusers.d/repaird.conf", 0644);
	expect_file(tree, "/usr/lib/tmpfiles.d/repaird.conf", 0644);
	expect_file(tree, "/usr/share/man/man8/repaird.8", 0644);
	expect_file(tree, "/usr/share/man/man5/repaird.yaml.5", 0644);
	expect_file(tree, "/etc/repaird/repaird.yaml", 0640);
	expect_file(tree, "/etc/repaird/products.yaml", 0644);
	snprintf(path, sizeof path, "%s/man/repairctl.1", src_dir());
	if (access(path, F_OK) == 0)
		expect_file(tree, "/usr/share/man/man1/repairctl.1", 0644);
	snprintf(path, sizeof path, "%s/client/repairctl.bash-completion", src_dir());
	if (access(path, F_OK) == 0)
		expect_file(tree, "/usr/share/bash-completion/completions/repairctl", 0644);
	if (getenv("REPAIRCTL_BIN") && access(getenv("REPAIRCTL_BIN"), X_OK) == 0)
		expect_file(tree, "/usr/bin/repairctl", 0755);
	/* The units as the issue has them, under PREFIX=/usr unchanged. */
	snprintf(path, sizeof path, "%s/usr/lib/systemd/system/repaird.service", tree);
	ck_assert_msg(strstr(harness_file(path),
	                     "\nExecStart=/usr/sbin/repaird --config /etc/repaird/repaird.yaml\n"),
	              "%s", harness_file(path));

	/* The installed configuration is valid as installed (products.yaml beside it). */
	snprintf(bin, sizeof bin, "%s/usr/sbin/repaird", tree);
	ck_assert_msg(harness_system("'%s' --check-config '%s/etc/repaird/repaird.yaml' >'%s' 2>&1",
	                             bin, tree, out) == 0,
	              "installed config: %s", harness_file(out));

	/* A second install keeps the operator's config and puts the new one beside it. */
	snprintf(path, sizeof path, "%s/etc/repaird/repaird.yaml", tree);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("# edited by the operator\n", f);
	fclose(f);
	ck_assert_msg(
	        harness_system("make -C '%s' --no-print-directory install PREFIX=/usr DESTDIR='%s' "
	                       ">'%s' 2>&1",
	                       src_dir(), tree, out) == 0,
	        "second make install failed:\n%s", harness_file(out));
	ck_assert_msg(strstr(harness_file(path), "# edited by the operator"),
	              "make install overwrote the operator's repaird.yaml");
	expect_file(tree, "/etc/repaird/repaird.yaml.example", 0640);

	/* uninstall: everything but the configuration. */
	ck_assert_msg(
	        harness_system(
	                "make -C '%s' --no-print-directory uninstall PREFIX=/usr DESTDIR='%s' "
	                ">'%s' 2>&1",
	                src_dir(), tree, out) == 0,
	        "make uninstall failed:\n%s", harness_file(out));
	expect_absent(tree, "/usr/sbin/repaird");
	expect_absent(tree, "/usr/bin/repairctl");
	expect_absent(tree, "/usr/lib/systemd/system/repaird.service");
	expect_absent(tree, "/usr/lib/systemd/system/repaird.socket");
	expect_absent(tree, "/usr/lib/sysusers.d/repaird.conf");
	expect_absent(tree, "/usr/lib/tmpfiles.d/repaird.conf");
	expect_absent(tree, "/usr/share/man/man8/repaird.8");
	expect_absent(tree, "/usr/share/man/man5/repaird.yaml.5");
	expect_file(tree, "/etc/repaird/repaird.yaml", 0640);
	unlink(out);
}
END_TEST

START_TEST(test_systemd_analyze_verify)
{
	char out[256], units[512];
	const char *text;

	if (!have("systemd-analyze")) {
		fprintf(stderr,
		        "SKIP test_systemd_analyze_verify: systemd-analyze not installed\n");
		return;
	}
	snprintf(tree, sizeof tree, "/tmp/repaird-verify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	snprintf(out, sizeof out, "%s.log", tree);

	/*
	 * Installed under a prefix that exists on this machine, so that every
	 * path the units name (binary, config, man pages) resolves: verify must
	 * say nothing at all.
	 */
	ck_assert_msg(harness_system("make -C '%s' --no-print-directory install PREFIX='%s/usr' "
	                             "SYSCONFDIR='%s/etc' >'%s' 2>&1",
	                             src_dir(), tree, tree, out) == 0,
	              "make install failed:\n%s", harness_file(out));
	snprintf(units, sizeof units,
	         "'%s/usr/lib/systemd/system/repaird.service' "
	         "'%s/usr/lib/systemd/system/repaird.socket'",
	         tree, tree);
	ck_assert_msg(
	        harness_system("MANPATH='%s/usr/share/man' systemd-analyze verify %s >'%s' 2>&1",
	                       tree, units, out) == 0,
	        "systemd-analyze verify failed:\n%s", harness_file(out));
	text = harness_file(out);
	ck_assert_msg(text[0] == '\0', "systemd-analyze verify said:\n%s", text);

	/* The units as shipped (PREFIX=/usr): only a missing /usr/sbin/repaird may be reported. */
	harness_system("rm -rf '%s'/*", tree);
	ck_assert_msg(
	        harness_system("make -C '%s' --no-print-directory install PREFIX=/usr DESTDIR='%s' "
	                       ">'%s' 2>&1",
	                       src_dir(), tree, out) == 0,
	        "make install failed:\n%s", harness_file(out));
	harness_system("systemd-analyze verify --man=no %s >'%s' 2>&1", units, out);
	text = harness_file(out);
	for (const char *line = text; *line;) {
		char one[512];
		size_t len = strcspn(line, "\n");
		snprintf(one, sizeof one, "%.*s", (int)len, line);
		ck_assert_msg(one[0] == '\0' ||
		                      strstr(one, "Command /usr/sbin/repaird is not executable"),
		              "systemd-analyze verify said:\n%s", text);
		line += len + (line[len] == '\n');
	}
	unlink(out);
}
END_TEST

START_TEST(test_systemd_analyze_security)
{
	char out[256];
	const char *text, *level;
	double exposure;

	if (!have("systemd-analyze")) {
		fprintf(stderr,
		        "SKIP test_systemd_analyze_security: systemd-analyze not installed\n");
		return;
	}
	snprintf(out, sizeof out, "/tmp/repaird-security-%d.log", (int)getpid());
	if (harness_system("systemd-analyze security --offline=true '%s/systemd/repaird.service' "
	                   ">'%s' 2>&1",
	                   src_dir(), out) != 0 &&
	    strstr(harness_file(out), "offline")) {
		fprintf(stderr, "SKIP test_systemd_analyze_security: no --offline here:\n%s",
		        harness_file(out));
		unlink(out);
		return;
	}
	text = harness_file(out);
	level = strstr(text, "Overall exposure level for repaird.service: ");
	ck_assert_msg(level != NULL, "%s", text);
	exposure = atof(level + strlen("Overall exposure level for repaird.service: "));
	ck_assert_msg(exposure <= 2.0, "exposure %.1f, want 2.0 or lower:\n%s", exposure, text);
	unlink(out);
}
END_TEST

START_TEST(test_man_pages_render_without_warnings)
{
	static const char *const pages[] = {"repaird.8", "repaird.yaml.5", "repairctl.1"};
	char page[512], out[256];

	if (!have("groff")) {
		fprintf(stderr,
		        "SKIP test_man_pages_render_without_warnings: groff not installed\n");
		return;
	}
	snprintf(out, sizeof out, "/tmp/repaird-man-%d.log", (int)getpid());
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		snprintf(page, sizeof page, "%s/man/%s", src_dir(), pages[i]);
		if (access(page, F_OK) != 0) {
			ck_assert_msg(i == 2, "man/%s is missing", pages[i]);
			fprintf(stderr, "SKIP man/%s: not written yet\n", pages[i]);
			continue;
		}
		ck_assert_msg(harness_system("groff -ww -man -Tutf8 '%s' 2>'%s' >/dev/null", page,
		                             out) == 0,
		              "groff %s failed: %s", pages[i], harness_file(out));
		ck_assert_msg(harness_file(out)[0] == '\0', "groff -ww %s:\n%s", pages[i],
		              harness_file(out));
		if (have("man")) {
			ck_assert_msg(
			        harness_system(
			                "MANWIDTH=80 man --warnings -l '%s' 2>'%s' >/dev/null",
			                page, out) == 0,
			        "man -l %s failed: %s", pages[i], harness_file(out));
			ck_assert_msg(harness_file(out)[0] == '\0', "man -l %s:\n%s", pages[i],
			              harness_file(out));
		}
	}
	unlink(out);
}
END_TEST

/* repaird.yaml(5) documents every key the loader accepts. */
START_TEST(test_man_page_names_every_config_key)
{
	static const char *const keys[] = {/* listen */ "tcp",
	                                   "unix",
	                                   "unix_mode",
	                                   "tls",
	                                   "address",
	                                   "cert",
	                                   "key",
	                                   "handshake_timeout_ms",
	                                   /* server */ "state_dir",
	                                   "max_clients",
	                                   "idle_timeout",
	                                   "log_level",
	                                   /* journal */ "fsync",
	                                   /* redis */ "enabled",
	                                   "host",
	                                   "port",
	                                   "db",
	                                   "password",
	                                   "prefix",
	                                   "maxlen",
	                                   "events",
	                                   "connect_timeout_ms",
	                                   "reply_timeout_ms",
	                                   "on_stream_lost",
	                                   /* journal */ "compact_min_mb",
	                                   "compact_ratio",
	                                   /* access */ "tcp_auth",
	                                   "unix_user",
	                                   "users",
	                                   "role",
	                                   "centres",
	                                   /* policy */ "in_service_limit",
	                                   "over_limit",
	                                   "at_risk_percent",
	                                   "pause_states",
	                                   "standard_days",
	                                   "video_min_days",
	                                   "default_programme",
	                                   "targets",
	                                   "loans",
	                                   "fast_track_services",
	                                   /* calendar */ "first_year",
	                                   "last_year",
	                                   "day_length",
	                                   /* countries */ "name",
	                                   "programme",
	                                   "silver_only",
	                                   /* centres */ "id",
	                                   "type",
	                                   "country",
	                                   "timezone",
	                                   "hours",
	                                   "holidays",
	                                   /* products */ "model",
	                                   "class",
	                                   "fast_track",
	                                   "video",
	                                   "points"};
	char page[512], want[64];
	const char *text;

	snprintf(page, sizeof page, "%s/man/repaird.yaml.5", src_dir());
	text = harness_file(page);
	ck_assert_msg(text[0] != '\0', "cannot read %s", page);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(want, sizeof want, ".B %s\n", keys[i]);
		ck_assert_msg(strstr(text, want) != NULL, "repaird.yaml.5 does not describe %s",
		              keys[i]);
	}
}
END_TEST

static Suite *ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("daemon");
	TCase *ti = tcase_create("install");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_notify_ready_status_watchdog_reload_stopping);
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_activation_rejects_other_descriptors);
	tcase_add_test(tc, test_log_lines_for_operators);
	tcase_add_test(tc, test_repeated_errors_are_counted_not_repeated);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(ti, NULL, tree_teardown);
	tcase_set_timeout(ti, 300);
	tcase_add_test(ti, test_make_install_tree);
	tcase_add_test(ti, test_systemd_analyze_verify);
	tcase_add_test(ti, test_systemd_analyze_security);
	tcase_add_test(ti, test_man_pages_render_without_warnings);
	tcase_add_test(ti, test_man_page_names_every_config_key);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	return harness_run_suite(ops_suite());
}
