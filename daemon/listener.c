/*
 * listener: listen.tcp, listen.unix, listen.tls and socket activation.
 * An accepted socket goes straight to client_accept() in conn.c.
 */
#include "listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "conn.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct listener *l = arg;

	(void)lev;
	client_accept(l->srv, fd, sa, salen, l);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener *l = arg;
	struct timeval one = {1, 0};
	int e = EVUTIL_SOCKET_ERROR();

	(void)lev;
	/* Out of descriptors (EMFILE, ENFILE) and the like: pause instead of spinning. */
	log_msg(LOG_WARNING, "accept on %s failed: %s; pausing the listener for a second", l->addr,
	        evutil_socket_error_to_string(e));
	evconnlistener_disable(l->lev);
	if (evtimer_add(l->retry, &one) < 0)
		fatalx("libevent: cannot arm the retry of listener %s", l->addr);
}

static struct listener *listener_add(struct server *srv, evutil_socket_t fd, const char *addr,
                                     bool is_unix)
{
	struct listener *l = xcalloc(1, sizeof *l);

	snprintf(l->addr, sizeof l->addr, "%s", addr);
	l->is_unix = is_unix;
	l->srv = srv;
	l->retry = evtimer_new(srv->base, on_retry, l);
	l->lev = evconnlistener_new(srv->base, on_accept, l,
	                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->lev == NULL || l->retry == NULL)
		fatalx("libevent: cannot set up listener %s", addr);
	evconnlistener_set_error_cb(l->lev, on_accept_error);
	l->next = srv->listeners;
	srv->listeners = l;
	log_msg(LOG_INFO, "listening on %s", addr);
	return l;
}

static int listen_tcp(struct server *srv, const char *addr, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {0}, *res = NULL;
	evutil_socket_t fd;
	int one = 1, rc;
	size_t hl;

	if (colon == NULL) {
		snprintf(err, errlen, "listen %s: not HOST:PORT", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "listen %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	listener_add(srv, fd, addr, false);
	return 0;
}

/* A listen.tls listener: its certificate and key are loaded before the port is bound. */
static int listen_tls(struct server *srv, const struct tls_listen *t, char *err, size_t errlen)
{
	struct ssl_ctx_st *ctx = tls_context_new(t, err, errlen);
	char desc[512];

	if (ctx == NULL)
		return -1;
	if (listen_tcp(srv, t->address, err, errlen) < 0) {
		tls_context_free(ctx);
		return -1;
	}
	/* listener_add() put the new listener first. */
	srv->listeners->tls = ctx;
	srv->listeners->handshake_timeout_ms = t->handshake_timeout_ms;
	log_msg(tls_context_expired(ctx) ? LOG_WARNING : LOG_INFO, "TLS on %s: %s%s", t->address,
	        tls_context_describe(ctx, desc, sizeof desc),
	        tls_context_expired(ctx) ? " (not valid now: clients will refuse it)" : "");
	return 0;
}

static const struct tls_listen *tls_config_for(const struct config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->nlisten_tls; i++)
		if (strcmp(cfg->listen_tls[i].address, addr) == 0)
			return &cfg->listen_tls[i];
	return NULL;
}

/* A renewed certificate needs no restart; new or removed listeners wait for one. */
int listener_tls_prepare(struct server *srv, const struct config *cfg, char *err, size_t errlen)
{
	for (struct listener *l = srv->listeners; l; l = l->next) {
		const struct tls_listen *t = l->tls ? tls_config_for(cfg, l->addr) : NULL;
		if (t && (l->tls_next = tls_context_new(t, err, errlen)) == NULL) {
			listener_tls_commit(srv, false);
			return -1;
		}
	}
	return 0;
}

void listener_tls_commit(struct server *srv, bool use)
{
	char desc[512];

	for (struct listener *l = srv->listeners; l; l = l->next) {
		const struct tls_listen *t = tls_config_for(srv->cfg, l->addr);
		if (l->tls_next == NULL)
			continue;
		if (use && t) {
			tls_context_free(l->tls); /* open connections hold their own reference */
			l->tls = l->tls_next;
			l->handshake_timeout_ms = t->handshake_timeout_ms;
			log_msg(LOG_INFO, "TLS on %s: %s", l->addr,
			        tls_context_describe(l->tls, desc, sizeof desc));
		} else {
			tls_context_free(l->tls_next);
		}
		l->tls_next = NULL;
	}
}

static int listen_unix(struct server *srv, const char *path, unsigned mode, char *err,
                       size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char label[128];
	int fd, probe;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "unix socket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket file left by a dead daemon is replaced; a live one is not. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(probe);
		snprintf(err, errlen, "unix socket %s: another daemon is listening there", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "unix socket %s: cannot remove the old one: %s", path,
		         strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, (mode_t)mode) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "unix socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(label, sizeof label, "unix:%s", path);
	listener_add(srv, fd, label, true);
	return 0;
}

/*
 * Socket activation (repaird.socket): systemd binds the listeners and hands
 * them in; they replace listen.tcp and listen.unix. Returns how many were
 * handed in (0: none, bind our own), or -1 with the reason in err.
 */
static int listen_activated(struct server *srv, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		snprintf(err, errlen, "socket activation: %s", strerror(-n));
		return -1;
	}
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		union {
			struct sockaddr sa;
			struct sockaddr_un un;
			struct sockaddr_storage ss;
		} a;
		socklen_t alen = sizeof a;
		char label[128], host[NI_MAXHOST], port[NI_MAXSERV];
		bool is_unix = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;

		if (!is_unix && sd_is_socket_inet(fd, 0, SOCK_STREAM, 1, 0) <= 0) {
			snprintf(err, errlen,
			         "socket activation: descriptor %d is not a listening "
			         "stream socket (use ListenStream=)",
			         fd);
			return -1;
		}
		memset(&a, 0, sizeof a);
		getsockname(fd, &a.sa, &alen);
		if (is_unix)
			snprintf(label, sizeof label, "unix:%.100s",
			         a.un.sun_path[0] ? a.un.sun_path : "(abstract)");
		else if (getnameinfo(&a.sa, alen, host, sizeof host, port, sizeof port,
		                     NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(label, sizeof label,
			         a.sa.sa_family == AF_INET6 ? "[%.64s]:%s" : "%.64s:%s", host,
			         port);
		else
			snprintf(label, sizeof label, "descriptor %d", fd);
		if (evutil_make_socket_nonblocking(fd) < 0) {
			snprintf(err, errlen, "socket activation: %s: %s", label, strerror(errno));
			return -1;
		}
		listener_add(srv, fd, label, is_unix)->activated = true;
	}
	if (n > 0)
		log_msg(LOG_NOTICE,
		        "socket activation: %d listener%s from systemd; listen.tcp and listen.unix "
		        "not used",
		        n, n == 1 ? "" : "s");
	return n;
}

void listener_free_all(struct server *srv)
{
	while (srv->listeners) {
		struct listener *l = srv->listeners;
		srv->listeners = l->next;
		evconnlistener_free(l->lev);
		event_free(l->retry);
		if (l->is_unix && !l->activated)
			unlink(l->addr + 5);
		tls_context_free(l->tls); /* connections still open hold their own reference */
		free(l);
	}
}

int listener_open_all(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->cfg;
	int activated = listen_activated(srv, err, errlen);

	if (activated < 0)
		return -1;
	for (size_t i = 0; activated == 0 && i < cfg->nlisten_tcp; i++)
		if (listen_tcp(srv, cfg->listen_tcp[i], err, errlen) < 0)
			return -1;
	if (activated == 0 && cfg->listen_unix &&
	    listen_unix(srv, cfg->listen_unix, cfg->unix_mode, err, errlen) < 0)
		return -1;
	/* Not replaced by socket activation: systemd cannot tell which socket wants TLS. */
	for (size_t i = 0; i < cfg->nlisten_tls; i++)
		if (listen_tls(srv, &cfg->listen_tls[i], err, errlen) < 0)
			return -1;
	return 0;
}
