/*
 * listener: the sockets clients connect to. listen.tcp, listen.unix and
 * listen.tls, or those systemd hands in (socket activation); each accepted
 * socket goes to conn.c (client_accept), where a request's path begins.
 * A reload renews the TLS certificates here, in two steps, so that a
 * refused reload keeps the old ones.
 *
 * Shell: sockets and socket files.
 */
#ifndef REPAIRD_LISTENER_H
#define REPAIRD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct server;
struct config;
struct evconnlistener;
struct event;
struct ssl_ctx_st;

struct listener {
	struct server *srv;
	struct evconnlistener *lev;
	struct event *retry; /* re-enable after an accept error such as EMFILE */
	char addr[128];
	bool is_unix;
	bool activated;         /* handed in by systemd: its socket file is not ours to remove */
	struct ssl_ctx_st *tls; /* listen.tls: OpenSSL's SSL_CTX; NULL: plain */
	struct ssl_ctx_st *tls_next; /* loaded by a reload, in use once it succeeds */
	int handshake_timeout_ms;
	struct listener *next;
};

/*
 * Open the listeners of srv->cfg: those systemd handed in, else listen.tcp
 * and listen.unix; then listen.tls. 0, or -1 with the reason in err.
 */
int listener_open_all(struct server *srv, char *err, size_t errlen);
/* Close them all (and remove the unix socket file we made). */
void listener_free_all(struct server *srv);

/*
 * Reload, first step: load the certificates and keys of cfg for the TLS
 * listeners there are. 0, or -1 with the reason in err and nothing kept.
 */
int listener_tls_prepare(struct server *srv, const struct config *cfg, char *err, size_t errlen);
/* Second step: use them (use true; new connections get them), or drop them. */
void listener_tls_commit(struct server *srv, bool use);

#endif
