/*
 * loadgen: redis-benchmark's loop for commands that need a valid ticket id.
 * redis-benchmark's __rand_int__ is always 12 zero-padded digits, which
 * repaird rightly refuses as an id; here __id__ becomes 1 + (k mod range)
 * for the k-th request, so every id from 1 to range is used in turn.
 *
 *     loadgen PORT CLIENTS PIPELINE REQUESTS RANGE ARG...
 *
 * Prints "<requests per second> <error replies>". Each client keeps PIPELINE
 * requests in flight, as redis-benchmark -P does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <async.h>
#include <adapters/libevent.h>
#include <event2/event.h>

struct load {
	int argc;
	char **argv;
	long requests, range, sent, done, errors;
	int pipeline;
	struct event_base *base;
};

static void send_one(redisAsyncContext *ac, struct load *l);

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct load *l = priv;
	redisReply *reply = r;

	if (reply == NULL) {
		fprintf(stderr, "loadgen: connection lost: %s\n", ac->errstr);
		exit(1);
	}
	if (reply->type == REDIS_REPLY_ERROR && l->errors++ == 0)
		fprintf(stderr, "loadgen: first error: %s\n", reply->str);
	if (++l->done == l->requests) {
		event_base_loopbreak(l->base);
		return;
	}
	if (l->sent < l->requests)
		send_one(ac, l);
}

static void send_one(redisAsyncContext *ac, struct load *l)
{
	char id[24];
	const char *argv[64];
	int argc = l->argc < 64 ? l->argc : 64;

	snprintf(id, sizeof id, "%ld", 1 + l->sent % l->range);
	for (int i = 0; i < argc; i++)
		argv[i] = strcmp(l->argv[i], "__id__") == 0 ? id : l->argv[i];
	l->sent++;
	redisAsyncCommandArgv(ac, on_reply, l, argc, argv, NULL);
}

int main(int argc, char **argv)
{
	struct load l = {0};
	struct timespec t0, t1;
	int port, clients;

	if (argc < 7) {
		fprintf(stderr, "usage: loadgen PORT CLIENTS PIPELINE REQUESTS RANGE ARG...\n");
		return 64; /* EX_USAGE */
	}
	port = atoi(argv[1]);
	clients = atoi(argv[2]);
	l.pipeline = atoi(argv[3]);
	l.requests = atol(argv[4]);
	l.range = atol(argv[5]);
	l.argc = argc - 6;
	l.argv = argv + 6;
	if (clients < 1 || l.pipeline < 1 || l.requests < 1 || l.range < 1)
		return 64;
	l.base = event_base_new();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int c = 0; c < clients; c++) {
		redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);
		if (ac == NULL || ac->err) {
			fprintf(stderr, "loadgen: cannot connect to %d\n", port);
			return 69; /* EX_UNAVAILABLE */
		}
		redisLibeventAttach(ac, l.base);
		for (int p = 0; p < l.pipeline && l.sent < l.requests; p++)
			send_one(ac, &l);
	}
	event_base_dispatch(l.base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.0f %ld\n",
	       (double)l.done / ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9),
	       l.errors);
	return 0;
}
