/* ha_nodes: what the HA suites share (ha_nodes.h). */
#include "ha_nodes.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <check.h>

void node_prepare(struct daemon *d, int redis_port, const char *name, const char *sync)
{
	char yaml[512];

	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: ht, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: %s, lease_ms: %d, sync: %s}\n",
	         redis_port, name, LEASE_MS, sync);
	daemon_prepare(d, yaml);
}

bool is_role(const struct daemon *d, const char *role)
{
	return strcmp(harness_role_field(d, "role"), role) == 0;
}

void open_argv(const char *serial, const char **argv)
{
	static const char *const words[] = {"TICKET.OPEN", "CENTRE",  "DE-PSC-TEST",
	                                    "PRODUCT",     "EOS R5",  "SERIAL",
	                                    NULL,          "SERVICE", "repair"};
	for (int i = 0; i < 9; i++)
		argv[i] = words[i];
	argv[6] = serial;
}

redisReply *open_ticket(redisContext *c, const char *serial)
{
	const char *argv[9];

	open_argv(serial, argv);
	return redisCommandArgv(c, 9, argv, NULL);
}

bool opened(redisContext *c, const char *serial)
{
	redisReply *r = open_ticket(c, serial);
	bool ok = r && r->type == REDIS_REPLY_ARRAY;

	freeReplyObject(r);
	return ok;
}

const char *serial_of(const struct daemon *d, const char *id)
{
	static char out[64];
	redisContext *c = redisConnect("127.0.0.1", d->port);

	out[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "TICKET.GET %s", id);
		const char *v = r && r->type == REDIS_REPLY_ARRAY ? field(r, "serial") : NULL;
		snprintf(out, sizeof out, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return out;
}

pid_t writer_start(const struct daemon *d, const char *path, const char *stop)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		redisContext *c = redisConnect("127.0.0.1", d->port);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; c && !c->err && fd >= 0 && i < 100000 &&
		                (stop == NULL || access(stop, F_OK) != 0);
		     i++) {
			char serial[32], line[96];
			redisReply *r;
			const char *id;
			int n;
			snprintf(serial, sizeof serial, "WR%06d", i);
			r = open_ticket(c, serial);
			if (r == NULL || r->type != REDIS_REPLY_ARRAY)
				_exit(0);
			id = field(r, "id");
			n = snprintf(line, sizeof line, "%s %s\n", id ? id : "?", serial);
			if (write(fd, line, (size_t)n) != n)
				_exit(1);
			freeReplyObject(r);
		}
		_exit(0);
	}
	return pid;
}

int check_acknowledged(const struct daemon *d, const char *path)
{
	char *text = harness_slurp(path);
	char *save = NULL;
	int n = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[32], serial[32];
		ck_assert_int_eq(sscanf(line, "%31s %31s", id, serial), 2);
		ck_assert_msg(strcmp(serial_of(d, id), serial) == 0,
		              "acknowledged ticket %s (%s) is not on node %d (%s)", id, serial,
		              d->port, serial_of(d, id));
		n++;
	}
	free(text);
	return n;
}

long long events_once(int redis_port, const char *prefix)
{
	redisContext *c = redisConnect("127.0.0.1", redis_port);
	redisReply *r;
	unsigned long long prev = 0;
	long long n = 0;

	ck_assert_msg(c && !c->err, "cannot connect to redis on port %d", redis_port);
	r = redisCommand(c, "XRANGE %s:events:DE-PSC-TEST - +", prefix);
	ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY, "XRANGE on port %d failed", redis_port);
	for (size_t i = 0; i < r->elements; i++) {
		const char *seq = field(r->element[i]->element[1], "seq");
		unsigned long long s;
		ck_assert_ptr_nonnull(seq);
		s = strtoull(seq, NULL, 10);
		ck_assert_msg(s > prev, "event seq %llu after %llu: not exactly once", s, prev);
		prev = s;
		n++;
	}
	freeReplyObject(r);
	redisFree(c);
	return n;
}

void fence_as_node_x(redisContext *c, int px)
{
	static const char fence[] =
	        "local t = redis.call('INCR', KEYS[2]) + 1\n"
	        "redis.call('SET', KEYS[2], t)\n"
	        "local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
	        "local n = '0'\n"
	        "for i = 1, #top[1][2], 2 do if top[1][2][i] == 'n' then n = top[1][2][i + 1] end "
	        "end\n"
	        "redis.call('XADD', KEYS[3], t .. '-0', 'p', top[1][1], 'n', n, 'fence', "
	        "'node-x')\n"
	        "redis.call('SET', KEYS[1], 'node-x ' .. t .. ' 127.0.0.1:1', 'PX', ARGV[1])\n"
	        "return t\n";
	char ms[16];
	redisReply *r;

	snprintf(ms, sizeof ms, "%d", px);
	r = redisCommand(c, "EVAL %s 3 ht:leader ht:term ht:journal %s", fence, ms);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	freeReplyObject(r);
}
