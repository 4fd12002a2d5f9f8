/*
 * proxy: the forwarding thread. One poll() loop over the listener, a wake-up
 * pipe and both sockets of each connection; each direction has a buffer of
 * its own, read only when empty and written out before reading again, so
 * that a slow side holds the other back (as TCP would) instead of the proxy
 * buffering without bound. A half-close is passed on as one.
 */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define PROXY_CONNS 64
#define PROXY_BUF   65536

struct half {
	char buf[PROXY_BUF];
	size_t len, off;
	bool eof;  /* the source closed its side */
	bool shut; /* and the destination was told */
};

struct pconn {
	int fd[2];         /* 0: the client (repaird), 1: the target (Redis) */
	struct half to[2]; /* to[1]: client -> target, to[0]: target -> client */
	bool dead;         /* dropped: read and discarded for good */
	bool deaf;         /* what the target sends is discarded for good */
};

struct proxy {
	int port, target, lfd;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum proxy_mode want, mode; /* want: set by the test; mode: what the thread applies */
	unsigned long want_gen, done_gen;
	bool stop;
	struct pconn *conns[PROXY_CONNS];
};

static void conn_close(struct pconn *c, bool reset)
{
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] < 0)
			continue;
		if (reset) {
			struct linger lg = {1, 0};
			setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(c->fd[i]);
	}
	free(c);
}

static int connect_target(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	/* Blocking: a loopback connect answers at once, accepted or refused. */
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void accept_one(struct proxy *p)
{
	int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), slot = -1;
	struct pconn *c;

	if (fd < 0)
		return;
	for (int i = 0; i < PROXY_CONNS && slot < 0; i++)
		if (p->conns[i] == NULL)
			slot = i;
	if (p->mode == PROXY_CUT || slot < 0) {
		struct linger lg = {1, 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd);
		return;
	}
	c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->fd[0] = fd;
	c->fd[1] = -1;
	if (p->mode == PROXY_DROP) {
		c->dead = true;
	} else if ((c->fd[1] = connect_target(p->target)) < 0) {
		conn_close(c, true);
		return;
	}
	c->deaf = p->mode == PROXY_DEAF;
	p->conns[slot] = c;
}

/* Read from side src into the buffer towards the other side (dead: into the void). */
static bool pump_read(struct pconn *c, int src)
{
	struct half *h = &c->to[1 - src];
	ssize_t n;

	if (c->dead || (c->deaf && src == 1)) {
		char sink[4096];
		n = read(c->fd[src], sink, sizeof sink);
		return n > 0 || (n < 0 && errno == EAGAIN);
	}
	n = read(c->fd[src], h->buf, sizeof h->buf);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		h->eof = true;
	h->len = (size_t)n;
	h->off = 0;
	return true;
}

static bool pump_write(struct pconn *c, int dst)
{
	struct half *h = &c->to[dst];
	/* MSG_NOSIGNAL: a peer gone meanwhile is an error here, not SIGPIPE for the test. */
	ssize_t n = send(c->fd[dst], h->buf + h->off, h->len - h->off, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	h->off += (size_t)n;
	if (h->off == h->len)
		h->len = h->off = 0;
	return true;
}

/* Pass a half-close on once its bytes are out; true when both directions are closed. */
static bool pass_shutdowns(struct pconn *c)
{
	for (int dst = 0; dst < 2; dst++) {
		struct half *h = &c->to[dst];
		if (h->eof && h->len == 0 && !h->shut) {
			shutdown(c->fd[dst], SHUT_WR);
			h->shut = true;
		}
	}
	return c->to[0].shut && c->to[1].shut;
}

static void apply_mode(struct proxy *p)
{
	pthread_mutex_lock(&p->mu);
	if (p->done_gen != p->want_gen) {
		p->mode = p->want;
		for (int i = 0; i < PROXY_CONNS; i++) {
			if (p->conns[i] == NULL)
				continue;
			if (p->mode == PROXY_CUT) {
				conn_close(p->conns[i], true);
				p->conns[i] = NULL;
			} else if (p->mode == PROXY_DROP) {
				p->conns[i]->dead = true;
			} else if (p->mode == PROXY_DEAF) {
				p->conns[i]->deaf = true;
			}
		}
		p->done_gen = p->want_gen;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

static void poll_once(struct proxy *p)
{
	struct pollfd pf[2 + 2 * PROXY_CONNS];
	int who[2 + 2 * PROXY_CONNS]; /* conn index * 2 + side, or -1 */
	nfds_t n = 0;
	char drain[64];

	pf[n] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
	who[n++] = -1;
	/* A blackhole: nothing is read, accepted or written; the kernel keeps it all. */
	if (p->mode != PROXY_BLACKHOLE) {
		pf[n] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
		who[n++] = -1;
		for (int i = 0; i < PROXY_CONNS; i++) {
			struct pconn *c = p->conns[i];
			if (c == NULL)
				continue;
			for (int side = 0; side < 2; side++) {
				short ev = 0;
				if (c->fd[side] < 0)
					continue;
				if (c->dead || (c->deaf && side == 1))
					ev = POLLIN | (c->deaf && c->to[1].len > 0 ? POLLOUT : 0);
				else {
					/* side reads into to[1 - side], writes out of to[side] */
					if (c->to[1 - side].len == 0 && !c->to[1 - side].eof)
						ev |= POLLIN;
					if (c->to[side].len > 0)
						ev |= POLLOUT;
				}
				if (ev == 0)
					continue;
				pf[n] = (struct pollfd){.fd = c->fd[side], .events = ev};
				who[n++] = i * 2 + side;
			}
		}
	}
	if (poll(pf, n, 1000) <= 0)
		return;
	if (pf[0].revents && read(p->wake[0], drain, sizeof drain) < 0)
		return;
	for (nfds_t k = 1; k < n; k++) {
		struct pconn *c;
		int side;
		bool ok = true;
		if (pf[k].revents == 0)
			continue;
		if (who[k] < 0) {
			accept_one(p);
			continue;
		}
		c = p->conns[who[k] / 2];
		side = who[k] % 2;
		if (c == NULL)
			continue;
		if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
			ok = (pf[k].events & POLLIN) ? pump_read(c, side)
			                             : !(pf[k].revents & POLLERR);
		if (ok && (pf[k].revents & POLLOUT))
			ok = pump_write(c, side);
		if (!ok || (!c->dead && pass_shutdowns(c))) {
			conn_close(c, !ok);
			p->conns[who[k] / 2] = NULL;
		}
	}
}

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;

	for (;;) {
		bool stop;
		apply_mode(p);
		pthread_mutex_lock(&p->mu);
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		poll_once(p);
	}
	return NULL;
}

struct proxy *proxy_start(int target_port)
{
	struct proxy *p = calloc(1, sizeof *p);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1, i;

	ck_assert_ptr_nonnull(p);
	p->target = target_port;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(p->lfd, 0);
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* Another suite may take a free port first: try a few. */
	for (i = 0; i < 20; i++) {
		p->port = harness_free_port();
		sin.sin_port = htons((uint16_t)p->port);
		if (bind(p->lfd, (struct sockaddr *)&sin, sizeof sin) == 0)
			break;
	}
	ck_assert_msg(i < 20, "proxy: no free port to listen on");
	ck_assert_int_eq(listen(p->lfd, 128), 0);
	ck_assert_int_eq(pipe2(p->wake, O_CLOEXEC | O_NONBLOCK), 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	ck_assert_int_eq(pthread_create(&p->thread, NULL, proxy_main, p), 0);
	return p;
}

int proxy_port(const struct proxy *p)
{
	return p->port;
}

static void wake(struct proxy *p)
{
	if (write(p->wake[1], "x", 1) < 0 && errno != EAGAIN)
		ck_abort_msg("proxy: cannot wake the thread");
}

void proxy_set(struct proxy *p, enum proxy_mode mode)
{
	unsigned long gen;

	pthread_mutex_lock(&p->mu);
	p->want = mode;
	gen = ++p->want_gen;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	pthread_mutex_lock(&p->mu);
	while (p->done_gen < gen)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void proxy_stop(struct proxy *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	pthread_join(p->thread, NULL);
	for (int i = 0; i < PROXY_CONNS; i++)
		if (p->conns[i])
			conn_close(p->conns[i], false);
	close(p->lfd);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
