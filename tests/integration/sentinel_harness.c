/* sentinel_harness: Redis under Sentinel for the integration suites (sentinel_harness.h). */
#include "sentinel_harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MASTER SH_MASTER

/* A reply of the Redis on port to a command made by printf; NULL when it does not answer. */
redisReply *sh_redis_at(int port, const char *fmt, const char *arg)
{
	redisContext *c = redisConnect("127.0.0.1", port);
	redisReply *r = c && !c->err ? redisCommand(c, fmt, arg) : NULL;

	if (c)
		redisFree(c);
	return r;
}

/* The port the sentinel on sport names for MASTER, 0 when none. */
int sh_sentinel_says(int sport)
{
	redisReply *r = sh_redis_at(sport, "SENTINEL get-master-addr-by-name %s", MASTER);
	int port = 0;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		port = atoi(r->element[1]->str);
	freeReplyObject(r);
	return port;
}

/* The sentinel knows a replica of MASTER that is connected (it can promote it). */
bool sh_sentinel_knows_replica(int sport)
{
	redisReply *r = sh_redis_at(sport, "SENTINEL replicas %s", MASTER);
	bool ok = false;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *flags = field(r->element[i], "flags");
		const char *link = field(r->element[i], "master-link-status");
		if (flags && strcmp(flags, "slave") == 0 && link && strcmp(link, "ok") == 0)
			ok = true;
	}
	freeReplyObject(r);
	return ok;
}

/* "master" or "slave" from ROLE on port, "" when it does not answer (static buffer). */
const char *sh_role_of(int port)
{
	static char out[16];
	redisReply *r = sh_redis_at(port, "ROLE", NULL);

	out[0] = '\0';
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0)
		snprintf(out, sizeof out, "%s", r->element[0]->str);
	freeReplyObject(r);
	return out;
}

/*
 * A sentinel on s's port and directory, monitoring MASTER at port mport with
 * quorum 1; down_ms until it calls a silent primary down. Sentinel needs a
 * config file it can write.
 */
void sh_sentinel_start(struct redis_server *s, int mport, int down_ms)
{
	char conf[192], text[512], pidtext[48];
	int attempt = 0;

	harness_redis_init(s);
	for (;;) {
		snprintf(conf, sizeof conf, "%s/sentinel.conf", s->dir);
		snprintf(text, sizeof text,
		         "port %d\nbind 127.0.0.1\ndir %s\n"
		         "sentinel monitor %s 127.0.0.1 %d 1\n"
		         "sentinel down-after-milliseconds %s %d\n"
		         "sentinel failover-timeout %s 3000\n",
		         s->port, s->dir, MASTER, mport, MASTER, down_ms, MASTER);
		harness_write_file(conf, text);
		s->pid = fork();
		ck_assert_int_ge(s->pid, 0);
		if (s->pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (freopen("/dev/null", "w", stdout) == NULL)
				_exit(126);
			execlp("redis-server", "redis-server", conf, "--sentinel", (char *)NULL);
			_exit(127);
		}
		snprintf(pidtext, sizeof pidtext, "process_id:%d\r\n", (int)s->pid);
		bool up = false, exited = false;
		WAIT_UNTIL((exited = waitpid(s->pid, NULL, WNOHANG) == s->pid) ||
		                   (up = sh_sentinel_says(s->port) == mport),
		           10000);
		if (up)
			return;
		ck_assert_msg(exited && ++attempt < 5, "the sentinel on port %d did not start",
		              s->port);
		s->port = harness_free_port(); /* the port was taken meanwhile */
	}
}
