/* harness: start and stop the real daemon for integration tests. */
#include "harness.h"

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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int harness_free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
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

int daemon_start(struct daemon *d, const char *policy_yaml, const char *const *extra_args)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "/tmp/repaird-it-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->config, sizeof d->config, "%s/repaird.yaml", d->dir);
	snprintf(d->sock, sizeof d->sock, "%s/repaird.sock", d->dir);
	snprintf(d->log, sizeof d->log, "%s/repaird.log", d->dir);
	daemon_write_config(d, policy_yaml, NULL);
	d->port = harness_free_port();
	return daemon_spawn(d, extra_args);
}

int daemon_spawn(struct daemon *d, const char *const *extra_args)
{
	const char *bin = getenv("REPAIRD_BIN");
	char listen[64], state[192], strace_out[256] = "";
	const char *argv[40];
	int argc = 0, real_clock = 0;
	long fsize = 0;

	snprintf(state, sizeof state, "%s/state", d->dir);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", d->port);
	for (int i = 0; extra_args && extra_args[i]; i++)
		if (strncmp(extra_args[i], "--strace=", 9) == 0)
			snprintf(strace_out, sizeof strace_out, "%s", extra_args[i] + 9);
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
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
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
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		redisContext *c = redisConnect("127.0.0.1", d->port);
		if (c && !c->err) {
			redisReply *r = redisCommand(c, "PING");
			int ok = r && r->type == REDIS_REPLY_STATUS;
			freeReplyObject(r);
			redisFree(c);
			if (ok)
				return 0;
		} else if (c) {
			redisFree(c);
		}
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			fprintf(stderr, "repaird exited at start:\n%s\n", daemon_log(d));
			return -1;
		}
		usleep(50000);
	}
	return -1;
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
	for (int i = 0; i < 100; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(50000);
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
	FILE *f = fopen(d->log, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}
