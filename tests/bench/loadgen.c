/*
 * loadgen: redis-benchmark's loop for commands that need a valid ticket id.
 * redis-benchmark's __rand_int__ is always 12 zero-padded digits, which
 * repaird rightly refuses as an id; here __id__ becomes 1 + (k mod range)
 * for the k-th request, so every id from 1 to range is used in turn.
 *
 *     loadgen PORT CLIENTS PIPELINE REQUESTS RANGE ARG...
 *
 * Prints "<requests per second> <error replies> <p50 ms> <p99 ms>", the
 * latencies from sending a request to its reply, as redis-benchmark --csv
 * reports them. Each client keeps PIPELINE requests in flight, as
 * redis-benchmark -P does.
 *
 * Replies are read but not built: the client shares the machine's cores
 * with the server it measures, and building the 61 objects of a ticket's
 * reply (against one for an HSET's) would take CPU from repaird alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <async.h>
#include <adapters/libevent.h>
#include <event2/event.h>

struct load;

/* One request in flight: when it was sent (its latency is taken at the reply). */
struct slot {
	struct load *l;
	double sent;
};

struct load {
	int argc;
	char **argv;
	long requests, range, sent, done, errors;
	int pipeline;
	struct event_base *base;
	struct slot *slots; /* one per request */
	double *lat;        /* latencies in ms, in reply order */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void send_one(redisAsyncContext *ac, struct load *l);

/* Stand-ins for reply objects: only the type of the top level matters here. */
static redisReply r_error = {.type = REDIS_REPLY_ERROR, .str = "(error)"};
static redisReply r_other = {.type = REDIS_REPLY_STATUS};

static void *mk_string(const redisReadTask *task, char *str, size_t len)
{
	(void)str;
	(void)len;
	return task->type == REDIS_REPLY_ERROR ? &r_error : &r_other;
}

static void *mk_array(const redisReadTask *task, int n)
{
	(void)task;
	(void)n;
	return &r_other;
}

static void *mk_integer(const redisReadTask *task, long long v)
{
	(void)task;
	(void)v;
	return &r_other;
}

static void *mk_nil(const redisReadTask *task)
{
	(void)task;
	return &r_other;
}

static void free_nothing(void *reply)
{
	(void)reply;
}

static redisReplyObjectFunctions no_objects = {mk_string, mk_array, mk_integer, mk_nil,
                                               free_nothing};

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct slot *sl = priv;
	struct load *l = sl->l;
	redisReply *reply = r;

	if (reply == NULL) {
		fprintf(stderr, "loadgen: connection lost: %s\n", ac->errstr);
		exit(1);
	}
	if (reply->type == REDIS_REPLY_ERROR && l->errors++ == 0)
		fprintf(stderr, "loadgen: first error: %s\n", reply->str);
	l->lat[l->done] = now_ms() - sl->sent;
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
	l->slots[l->sent].l = l;
	l->slots[l->sent].sent = now_ms();
	redisAsyncCommandArgv(ac, on_reply, &l->slots[l->sent], argc, argv, NULL);
	l->sent++;
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
	l.slots = calloc((size_t)l.requests, sizeof *l.slots);
	l.lat = calloc((size_t)l.requests, sizeof *l.lat);
	if (l.slots == NULL || l.lat == NULL)
		return 71; /* EX_OSERR */
	l.base = event_base_new();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int c = 0; c < clients; c++) {
		redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);
		if (ac == NULL || ac->err) {
			fprintf(stderr, "loadgen: cannot connect to %d\n", port);
			return 69; /* EX_UNAVAILABLE */
		}
		ac->c.reader->fn = &no_objects;
		redisLibeventAttach(ac, l.base);
		for (int p = 0; p < l.pipeline && l.sent < l.requests; p++)
			send_one(ac, &l);
	}
	event_base_dispatch(l.base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	qsort(l.lat, (size_t)l.done, sizeof *l.lat, cmp_double);
	printf("%.0f %ld %.3f %.3f\n",
	       (double)l.done / ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9),
	       l.errors, l.lat[(l.done - 1) / 2], l.lat[(l.done * 99 - 1) / 100]);
	return 0;
}
