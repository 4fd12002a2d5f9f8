/* harness: start and stop the real daemon for integration tests. */
#include "harness.h"
#include "../unit/unit.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 1 when 127.0.0.1:port can be bound now (without SO_REUSEADDR: not even in TIME_WAIT). */
static int port_is_free(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return ok;
}

int harness_free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	int lo = 0, hi = 0, fd, port;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	/* The ports just below the ephemeral range (by default 32768-60999). */
	if (f) {
		if (fscanf(f, "%d", &hi) != 1)
			hi = 0;
		fclose(f);
	}
	if (hi > 12000) {
		lo = hi > 22000 ? hi - 12000 : 10000;
		for (int i = 0; i < 200; i++) {
			unsigned r = 0;
			if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
				break;
			port = lo + (int)(r % (unsigned)(hi - lo));
			if (port_is_free(port))
				return port;
		}
	}
	/* A kernel with an unusual range: let it choose. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* ---- waiting ------------------------------------------------------------------------ */

long long harness_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct harness_deadline harness_deadline_in(int ms)
{
	struct harness_deadline dl = {harness_ms_now() + ms};
	return dl;
}

bool harness_poll(struct harness_deadline *dl)
{
	if (harness_ms_now() >= dl->end_ms)
		return false;
	usleep(10000);
	return true;
}

bool daemon_log_wait(const struct daemon *d, const char *text, int ms)
{
	WAIT_UNTIL(strstr(daemon_log(d), text) != NULL, ms);
	return strstr(daemon_log(d), text) != NULL;
}

/* ---- files, commands, children ------------------------------------------------------ */

char *harness_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		if (f)
			fclose(f);
		buf = strdup("");
		ck_assert_ptr_nonnull(buf);
		return buf;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

const char *harness_file(const char *path)
{
	static char buf[65536];
	return read_small(path, buf, sizeof buf);
}

int harness_system(const char *fmt, ...)
{
	char cmdline[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmdline, sizeof cmdline, fmt, ap);
	va_end(ap);
	rc = system(cmdline);
	if (rc == 0)
		return 0;
	fprintf(stderr, "`%s` failed (status %d)\n", cmdline, rc);
	return -1;
}

/* In the child: the environment of a user who has set nothing for repairctl. */
static void clean_env(const char *home, const char *const *env1, const char *const *env2)
{
	static const char *const unset[] = {"REPAIRCTL_SOCKET",   "REPAIRCTL_HOST",
	                                    "REPAIRCTL_PORT",     "REPAIRCTL_USER",
	                                    "REPAIRCTL_PASSWORD", "REPAIRCTL_TLS",
	                                    "REPAIRCTL_CACERT",   "REPAIRCTL_TLS_SERVER_NAME",
	                                    "XDG_CONFIG_HOME",    "NO_COLOR",
	                                    "SSL_CERT_FILE",      "SSL_CERT_DIR"};

	for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++)
		unsetenv(unset[i]);
	setenv("HOME", home, 1);
	for (int i = 0; env1 && env1[i]; i++)
		putenv((char *)env1[i]);
	for (int i = 0; env2 && env2[i]; i++)
		putenv((char *)env2[i]);
}

int harness_run(const char *dir, const char *input, const char *const *env1,
                const char *const *env2, const char *const *argv, char **out, char **err)
{
	char outp[256], errp[256], inp[256];
	int status;
	pid_t pid;

	snprintf(outp, sizeof outp, "%s/run.out", dir);
	snprintf(errp, sizeof errp, "%s/run.err", dir);
	snprintf(inp, sizeof inp, "%s/run.in", dir);
	if (input) {
		FILE *f = fopen(inp, "w");
		ck_assert_ptr_nonnull(f);
		fputs(input, f);
		fclose(f);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open(input ? inp : "/dev/null", O_RDONLY);
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		clean_env(dir, env1, env2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*out = harness_slurp(outp);
	*err = harness_slurp(errp);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int harness_run_suite(Suite *s)
{
	/*
	 * A daemon killed with -9 may leave a forked child (a compaction, an HA
	 * snapshot) holding its listening sockets for a moment: a PING sent
	 * there meets a reset. That is an error to retry, not SIGPIPE for the test.
	 */
	signal(SIGPIPE, SIG_IGN);
	return unit_run_suite(s);
}

int harness_raw_connect(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

size_t harness_read_all(int fd, char *buf, size_t cap)
{
	struct timeval tv = {5, 0};
	size_t n = 0;
	ssize_t got;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (n < cap - 1 && (got = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return n;
}

static const char *src_dir(void)
{
	const char *s = getenv("REPAIRD_SRC");
	return s ? s : ".";
}

void daemon_write_config(struct daemon *d, const char *policy_yaml, const char *extra_yaml)
{
	FILE *f = fopen(d->config, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "%s"
	        "%s"
	        "%s"
	        "products: %s/conf/products.yaml\n"
	        "%s\n"
	        "%s\n"
	        "countries:\n"
	        "  DE: {name: Germany, programme: subscription}\n"
	        "  ZA: {name: South Africa, programme: free}\n"
	        "  EE: {name: Estonia, programme: free, silver_only: true}\n"
	        "centres:\n"
	        "  - {id: DE-PSC-TEST, name: Test PSC, type: psc, country: DE, "
	        "timezone: Europe/Berlin,\n"
	        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
	        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n"
	        "  - {id: DE-ASP-TEST, name: Test ASP, type: asp, country: DE, "
	        "timezone: Europe/Berlin,\n"
	        "     hours: {mon: \"09:00-17:00\", tue: \"09:00-17:00\", wed: \"09:00-17:00\",\n"
	        "             thu: \"09:00-17:00\", fri: \"09:00-17:00\"}}\n"
	        "  # Open around the clock with one-minute days: budgets of minutes, for real "
	        "timers.\n"
	        "  - {id: XX-PSC-ALWAYS, type: psc, country: DE, timezone: UTC, day_length: 1m,\n"
	        "     hours: {mon: \"00:00-24:00\", tue: \"00:00-24:00\", wed: \"00:00-24:00\",\n"
	        "             thu: \"00:00-24:00\", fri: \"00:00-24:00\", sat: \"00:00-24:00\",\n"
	        "             sun: \"00:00-24:00\"}}\n",
	        policy_yaml && strstr(policy_yaml, "journal:") ? "" : "journal: {fsync: always}\n",
	        policy_yaml && strstr(policy_yaml, "redis:") ? "" : "redis: {enabled: false}\n",
	        policy_yaml && strstr(policy_yaml, "access:") ? "" : "access: {tcp_auth: off}\n",
	        src_dir(), policy_yaml ? policy_yaml : "", extra_yaml ? extra_yaml : "");
	fclose(f);
}

void daemon_prepare(struct daemon *d, const char *policy_yaml)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "/tmp/repaird-it-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->config, sizeof d->config, "%s/repaird.yaml", d->dir);
	snprintf(d->sock, sizeof d->sock, "%s/repaird.sock", d->dir);
	snprintf(d->log, sizeof d->log, "%s/repaird.log", d->dir);
	daemon_write_config(d, policy_yaml, NULL);
	d->port = harness_free_port();
}

int daemon_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args)
{
	daemon_prepare(d, policy_yaml);
	return daemon_spawn(d, extra_args);
}

void daemon_exec(struct daemon *d, const char *const *extra_args, harness_child_fn setup, void *arg)
{
	const char *bin = getenv("REPAIRD_BIN");
	char listen[64], state[192], strace_out[256] = "";
	const char *argv[40];
	int argc = 0, real_clock = 0;
	long fsize = 0;

	snprintf(state, sizeof state, "%s/state", d->dir);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", d->port);
	for (int i = 0; extra_args && extra_args[i]; i++) {
		if (strncmp(extra_args[i], "--strace=", 9) == 0)
			snprintf(strace_out, sizeof strace_out, "%s", extra_args[i] + 9);
		/* A --unix of the test's own comes later and wins: wait for readiness there. */
		if (strcmp(extra_args[i], "--unix") == 0 && extra_args[i + 1])
			snprintf(d->sock, sizeof d->sock, "%s", extra_args[i + 1]);
	}
	if (strace_out[0]) {
		argv[argc++] = "/usr/bin/strace";
		argv[argc++] = "-f";
		argv[argc++] = "-s";
		argv[argc++] = "16";
		argv[argc++] = "-e";
		argv[argc++] = "trace=fdatasync,fsync,write,writev,sendmsg,read,readv,recvfrom";
		argv[argc++] = "-o";
		argv[argc++] = strace_out;
	}
	argv[argc++] = bin ? bin : "build/repaird";
	argv[argc++] = "--config";
	argv[argc++] = d->config;
	argv[argc++] = "--listen";
	argv[argc++] = listen;
	argv[argc++] = "--unix";
	argv[argc++] = d->sock;
	argv[argc++] = "--state-dir";
	argv[argc++] = state;
	for (int i = 0; extra_args && extra_args[i] && argc < 36; i++) {
		if (strcmp(extra_args[i], "--real-clock") == 0)
			real_clock = 1;
		else if (strncmp(extra_args[i], "--fsize=", 8) == 0)
			fsize = atol(extra_args[i] + 8);
		else if (strncmp(extra_args[i], "--strace=", 9) != 0)
			argv[argc++] = extra_args[i];
	}
	if (!real_clock)
		argv[argc++] = "--debug-clock=2026-11-23T07:00:00Z"; /* Monday 08:00 in Berlin */
	argv[argc] = NULL;

	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		/* Dies with the test process, even when a failed check skips the teardown. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fsize > 0) {
			/* A disk that fills up: writes beyond this size fail with EFBIG. */
			struct rlimit rl = {(rlim_t)fsize, RLIM_INFINITY};
			setrlimit(RLIMIT_FSIZE, &rl);
		}
		unsetenv("JOURNAL_STREAM");
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDNAMES");
		if (setup)
			setup(arg);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

bool harness_ping(redisContext *c)
{
	redisReply *r;
	bool ok;

	if (c == NULL)
		return false;
	if (c->err) {
		redisFree(c);
		return false;
	}
	r = redisCommand(c, "PING");
	ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
	freeReplyObject(r);
	redisFree(c);
	return ok;
}

int daemon_wait_ready(struct daemon *d)
{
	struct harness_deadline dl = harness_deadline_in(20000);

	do {
		if (harness_ping(d->sock[0] ? redisConnectUnix(d->sock)
		                            : redisConnect("127.0.0.1", d->port)))
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -1;
		}
	} while (harness_poll(&dl));
	return -1;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The daemon's log said, since offset `from`, that it could not bind its port. */
static bool port_was_taken(const struct daemon *d, long from)
{
	char want[64], tail[8192];
	FILE *f = fopen(d->log, "r");
	size_t n = 0;

	if (f == NULL)
		return false;
	if (fseek(f, from, SEEK_SET) == 0)
		n = fread(tail, 1, sizeof tail - 1, f);
	fclose(f);
	tail[n] = '\0';
	snprintf(want, sizeof want, "listen 127.0.0.1:%d: Address already in use", d->port);
	return strstr(tail, want) != NULL;
}

int daemon_spawn_with(struct daemon *d, const char *const *extra_args, harness_child_fn setup,
                      void *arg)
{
	for (int attempt = 0;; attempt++) {
		long from = file_size(d->log);

		daemon_exec(d, extra_args, setup, arg);
		if (daemon_wait_ready(d) == 0)
			return 0;
		/* Another process took the port between harness_free_port() and bind(). */
		if (d->pid == 0 && attempt < 5 && port_was_taken(d, from)) {
			d->port = harness_free_port();
			continue;
		}
		if (d->pid > 0)
			daemon_kill9(d);
		fprintf(stderr, "repaird did not start:\n%s\n", daemon_log(d));
		return -1;
	}
}

int daemon_spawn(struct daemon *d, const char *const *extra_args)
{
	return daemon_spawn_with(d, extra_args, NULL, NULL);
}

void daemon_kill9(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

int daemon_stop(struct daemon *d)
{
	int status = 0;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	{
		struct harness_deadline dl = harness_deadline_in(5000);
		do {
			if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
				d->pid = 0;
				return WIFEXITED(status) ? WEXITSTATUS(status)
				                         : 128 + WTERMSIG(status);
			}
		} while (harness_poll(&dl));
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	return -1;
}

void daemon_cleanup(struct daemon *d)
{
	char cmdline[256];

	if (d->pid > 0)
		daemon_stop(d);
	if (d->dir[0] && getenv("REPAIRD_KEEP_TMP") == NULL) {
		snprintf(cmdline, sizeof cmdline, "rm -rf '%s'", d->dir);
		if (system(cmdline) != 0)
			fprintf(stderr, "could not remove %s\n", d->dir);
	}
}

redisContext *daemon_connect(const struct daemon *d)
{
	struct timeval tv = {10, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", d->port, tv);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(c->err == 0, "connect: %s", c->errstr);
	redisSetTimeout(c, tv);
	return c;
}

redisReply *cmd(redisContext *c, const char *first, ...)
{
	const char *argv[64];
	size_t argvlen[64];
	int argc = 0;
	va_list ap;
	redisReply *r;

	va_start(ap, first);
	for (const char *a = first; a && argc < 64; a = va_arg(ap, const char *)) {
		argv[argc] = a;
		argvlen[argc] = strlen(a);
		argc++;
	}
	va_end(ap);
	r = redisCommandArgv(c, argc, argv, argvlen);
	ck_assert_msg(r != NULL, "%s: no reply (%s)", first, c->errstr);
	return r;
}

const char *field(const redisReply *r, const char *name)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

const char *daemon_log(const struct daemon *d)
{
	static char buf[65536];
	return read_small(d->log, buf, sizeof buf);
}

const char *harness_log_tail(const struct daemon *d)
{
	const char *log = daemon_log(d);
	size_t n = strlen(log);

	return n > 1500 ? log + n - 1500 : log;
}

void harness_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: cannot write", path);
	fputs(text, f);
	ck_assert_msg(fclose(f) == 0, "%s: cannot write", path);
}

void harness_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args)
{
	ck_assert_msg(daemon_start(d, policy_yaml, extra_args) == 0, "repaird did not start:\n%s",
	              daemon_log(d));
}

/* ---- replies --------------------------------------------------------------------- */

void harness_expect_status(redisReply *r, const char *status)
{
	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "expected +%s, got type %d %s", status,
	              r->type, r->str ? r->str : "");
	ck_assert_str_eq(r->str, status);
	freeReplyObject(r);
}

void harness_expect_error(redisReply *r, const char *prefix)
{
	ck_assert_msg(r->type == REDIS_REPLY_ERROR, "expected -%s..., got type %d %s", prefix,
	              r->type, r->str ? r->str : "");
	ck_assert_msg(strncmp(r->str, prefix, strlen(prefix)) == 0, "expected -%s..., got -%s",
	              prefix, r->str);
	freeReplyObject(r);
}

void harness_expect_field(const redisReply *r, const char *name, const char *value)
{
	const char *v = field(r, name);

	ck_assert_msg(v != NULL, "no field %s in reply", name);
	ck_assert_msg(strcmp(v, value) == 0, "field %s: expected \"%s\", got \"%s\"", name, value,
	              v);
}

void harness_expect_fields(const redisReply *r, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, r);
	while ((name = va_arg(ap, const char *)) != NULL)
		harness_expect_field(r, name, va_arg(ap, const char *));
	va_end(ap);
}

void harness_set_clock(redisContext *c, const char *t)
{
	harness_expect_status(cmd(c, "DEBUG.CLOCK", t, NULL), "OK");
}

redisContext *harness_login(const struct daemon *d, const char *user, const char *password)
{
	redisContext *c = daemon_connect(d);
	redisReply *r = cmd(c, "AUTH", user, password, NULL);

	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "AUTH %s: %s", user, r->str);
	freeReplyObject(r);
	return c;
}

/* ---- redis-server ------------------------------------------------------------------ */

/* r's own redis-server answers PONG and has loaded (INFO loading:0). */
static bool redis_is_up(const struct redis_server *r)
{
	redisContext *c = redisConnect("127.0.0.1", r->port);
	char ours[48];
	bool up = false;

	snprintf(ours, sizeof ours, "process_id:%d\r\n", (int)r->pid);
	if (c && !c->err) {
		redisReply *info = redisCommand(c, "INFO");
		up = info && info->type == REDIS_REPLY_STRING && strstr(info->str, ours) &&
		     strstr(info->str, "loading:0");
		if (info)
			freeReplyObject(info);
	}
	if (c)
		redisFree(c);
	return up;
}

void harness_redis_init(struct redis_server *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->dir, sizeof r->dir, "/tmp/repaird-redis-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	r->port = harness_free_port();
}

bool harness_redis_spawn(struct redis_server *r, const char *const *extra)
{
	char port[16];
	const char *argv[40];
	int argc = 0;
	bool up = false, exited = false;

	snprintf(port, sizeof port, "%d", r->port);
	argv[argc++] = "redis-server";
	argv[argc++] = "--port";
	argv[argc++] = port;
	argv[argc++] = "--bind";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--dir";
	argv[argc++] = r->dir;
	argv[argc++] = "--save";
	argv[argc++] = "";
	for (int i = 0; extra && extra[i] && argc < 39; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	WAIT_UNTIL((up = redis_is_up(r)) || (exited = waitpid(r->pid, NULL, WNOHANG) == r->pid),
	           10000);
	if (up)
		return true;
	ck_assert_msg(exited, "redis-server on port %d did not answer within 10 s", r->port);
	r->pid = 0;
	return false;
}

void harness_redis_start(struct redis_server *r, const char *const *extra)
{
	harness_redis_init(r);
	for (int attempt = 0; !harness_redis_spawn(r, extra); attempt++) {
		ck_assert_msg(attempt < 5, "redis-server would not start");
		r->port = harness_free_port();
	}
}

redisContext *harness_redis_connect(const struct redis_server *r)
{
	redisContext *c = redisConnect("127.0.0.1", r->port);

	ck_assert_msg(c && !c->err, "cannot connect to redis");
	return c;
}

void harness_redis_kill(struct redis_server *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
}

void harness_redis_stop(struct redis_server *r)
{
	if (r->pid > 0)
		kill(r->pid, SIGCONT); /* a test may have stopped it */
	harness_redis_kill(r);
	if (r->dir[0] && harness_system("rm -rf '%s'", r->dir) != 0)
		fprintf(stderr, "could not remove %s\n", r->dir);
	r->dir[0] = '\0';
}

const char *harness_role_field(const struct daemon *d, const char *name)
{
	static char out[4][128];
	static int slot;
	redisContext *c = redisConnect("127.0.0.1", d->port);
	char *buf = out[slot++ % 4];

	buf[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "ROLE");
		const char *v = r ? field(r, name) : NULL;
		snprintf(buf, 128, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return buf;
}

long long harness_info_num(const struct daemon *d, const char *section, const char *key)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	long long v = -1;
	char want[64];

	snprintf(want, sizeof want, "\r\n%s:", key);
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "INFO %s", section);
		const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, want) : NULL;
		if (at)
			v = atoll(at + strlen(want));
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return v;
}
