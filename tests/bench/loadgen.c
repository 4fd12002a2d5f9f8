/*
 * loadgen: redis-benchmark's loop for commands that need a valid ticket id.
 * redis-benchmark's __rand_int__ is always 12 zero-padded digits, which
 * repaird rightly refuses as an id; here __id__ becomes 1 + (k mod range)
 * for the k-th request, so every id from 1 to range is used in turn.
 *
 *     loadgen PORT CLIENTS PIPELINE REQUESTS RANGE ARG...
 *
 * Prints "<requests per second> <error replies> <p50 ms> <p99 ms>".
 *
 * It does what redis-benchmark does, so that its pairs compare with the
 * redis-benchmark ones: each client writes PIPELINE requests at once, waits
 * for all their replies, then writes the next PIPELINE; a request's latency
 * runs from its batch's write to the first read of the batch's replies
 * (redis-benchmark leaves the parsing out, too); TCP_NODELAY, as hiredis.
 *
 * Replies are only measured out, never built into objects: the client shares
 * the machine's two cores with the server it measures, and building the 61
 * values of a ticket's reply (against one for an HSET's) would take CPU from
 * repaird's side alone. The same reader serves both sides of a pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

struct client {
	int fd;
	char *out;
	size_t out_len, out_sent;
	char *in;
	size_t in_len, in_cap;
	int waiting;     /* replies of the batch still to come */
	double start;    /* when the batch was written */
	double latency;  /* to the batch's first read; < 0 before it */
};

struct load {
	int argc;
	char **argv;
	long requests, range, sent, done, errors;
	int pipeline;
	int ep;      /* epoll: EPOLLOUT only while a batch did not fit the socket */
	double *lat; /* latencies in ms, in reply order */
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

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(71); /* EX_OSERR */
	}
	return p;
}

/*
 * Append the k-th request, RESP multibulk, __id__ replaced wherever it stands
 * in an argument ("ticket:__id__" too: the Redis side's key).
 */
static void put_request(struct client *c, const struct load *l, size_t *cap)
{
	char id[24], sub[512];

	snprintf(id, sizeof id, "%ld", 1 + l->sent % l->range);
	for (int i = -1; i < l->argc; i++) {
		char head[32];
		const char *a = i < 0 ? NULL : l->argv[i], *at = a ? strstr(a, "__id__") : NULL;
		size_t alen;

		if (at != NULL) {
			snprintf(sub, sizeof sub, "%.*s%s%s", (int)(at - a), a, id, at + 6);
			a = sub;
		}
		alen = a ? strlen(a) : 0;
		int hn = a ? snprintf(head, sizeof head, "$%zu\r\n", alen)
		           : snprintf(head, sizeof head, "*%d\r\n", l->argc);

		if (c->out_len + (size_t)hn + alen + 2 > *cap) {
			*cap = (c->out_len + (size_t)hn + alen + 2) * 2;
			c->out = xrealloc(c->out, *cap);
		}
		memcpy(c->out + c->out_len, head, (size_t)hn);
		c->out_len += (size_t)hn;
		if (a) {
			memcpy(c->out + c->out_len, a, alen);
			memcpy(c->out + c->out_len + alen, "\r\n", 2);
			c->out_len += alen + 2;
		}
	}
}

/* The number after the type byte at buf[*off] into *n, *off past its line; false: not all there. */
static bool line_num(const char *buf, size_t len, size_t *off, long *n)
{
	size_t i = *off + 1;
	bool neg = i < len && buf[i] == '-';

	*n = 0;
	i += neg;
	while (i < len && buf[i] >= '0' && buf[i] <= '9')
		*n = *n * 10 + (buf[i++] - '0');
	while (i < len && buf[i] != '\n')
		i++;
	if (i >= len)
		return false;
	*off = i + 1;
	if (neg)
		*n = -*n;
	return true;
}

/*
 * The length of the first whole reply in buf, 0 if it is not all there yet,
 * -1 if it is not RESP. Aggregates are counted, not descended into: every
 * element is one more reply to measure out. *err: the reply is an error.
 */
static long reply_len(const char *buf, size_t len, bool *err)
{
	size_t off = 0;
	long need = 1;

	*err = len > 0 && buf[0] == '-';
	while (need > 0) {
		char type;
		long n;

		if (off >= len)
			return 0;
		type = buf[off];
		if (!line_num(buf, len, &off, &n))
			return 0;
		need--;
		switch (type) {
		case '*': case '~': case '>': case '%':
			if (n > 0)
				need += type == '%' ? 2 * n : n;
			break;
		case '$': case '=': case '!':
			if (n >= 0)
				off += (size_t)n + 2;
			break;
		case '+': case '-': case ':': case '_': case ',': case '#': case '(':
			break;
		default:
			return -1;
		}
	}
	return off <= len ? (long)off : 0;
}

static void send_batch(struct client *c, struct load *l)
{
	static size_t cap_hint = 4096;
	size_t cap = cap_hint;

	c->out = xrealloc(c->out, cap);
	c->out_len = c->out_sent = 0;
	c->waiting = 0;
	for (int p = 0; p < l->pipeline && l->sent < l->requests; p++) {
		put_request(c, l, &cap);
		l->sent++;
		c->waiting++;
	}
	if (cap > cap_hint)
		cap_hint = cap;
	c->start = now_ms();
	c->latency = -1;
	while (c->out_sent < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* The rest on EPOLLOUT. */
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
			epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0) {
			perror("loadgen: write");
			exit(1);
		}
		c->out_sent += (size_t)n;
	}
}

/* One read, as redis-benchmark; the whole replies counted; the next batch once all are in. */
static void on_readable(struct client *c, struct load *l)
{
	size_t off = 0;
	ssize_t n;

	if (c->in_cap - c->in_len < 16384) {
		c->in_cap = c->in_cap * 2 + 16384;
		c->in = xrealloc(c->in, c->in_cap);
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		fprintf(stderr, "loadgen: connection lost%s%s\n", n < 0 ? ": " : "",
		        n < 0 ? strerror(errno) : "");
		exit(1);
	}
	if (c->latency < 0)
		c->latency = now_ms() - c->start;
	c->in_len += (size_t)n;
	while (c->waiting > 0) {
		bool err;
		long r = reply_len(c->in + off, c->in_len - off, &err);

		if (r < 0) {
			fprintf(stderr, "loadgen: not a RESP reply at byte %zu\n", off);
			exit(1);
		}
		if (r == 0)
			break;
		if (err && l->errors++ == 0)
			fprintf(stderr, "loadgen: first error: %.*s\n", (int)r - 3, c->in + off + 1);
		off += (size_t)r;
		c->waiting--;
		l->lat[l->done++] = c->latency;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->waiting == 0 && l->sent < l->requests)
		send_batch(c, l);
}

static int connect_to(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "loadgen: cannot connect to %d: %s\n", port, strerror(errno));
		exit(69); /* EX_UNAVAILABLE */
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* Non-blocking from here: writes that do not fit wait for EPOLLOUT. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		perror("loadgen: fcntl");
		exit(71);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct load l = {0};
	struct timespec t0, t1;
	struct client *cs;
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
	l.lat = calloc((size_t)l.requests, sizeof *l.lat);
	cs = calloc((size_t)clients, sizeof *cs);
	l.ep = epoll_create1(0);
	if (l.lat == NULL || cs == NULL || l.ep < 0)
		return 71; /* EX_OSERR */
	for (int i = 0; i < clients; i++)
		cs[i].fd = connect_to(port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < clients; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
		if (epoll_ctl(l.ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
			return 71;
		if (l.sent < l.requests)
			send_batch(&cs[i], &l);
	}
	while (l.done < l.requests) {
		struct epoll_event evs[64];
		int n = epoll_wait(l.ep, evs, 64, 10000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "loadgen: no reply for 10 s (%ld of %ld done)\n", l.done,
			        l.requests);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			if ((evs[i].events & EPOLLOUT) && c->out_sent < c->out_len) {
				ssize_t w = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
				if (w > 0)
					c->out_sent += (size_t)w;
				if (c->out_sent == c->out_len) {
					struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
					epoll_ctl(l.ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c, &l);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	qsort(l.lat, (size_t)l.done, sizeof *l.lat, cmp_double);
	printf("%.0f %ld %.3f %.3f\n",
	       (double)l.done / ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9),
	       l.errors, l.lat[(l.done - 1) / 2], l.lat[(l.done * 99 - 1) / 100]);
	return 0;
}
