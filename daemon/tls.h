/*
 * tls: the daemon's TLS listeners (listen.tls). OpenSSL contexts, one per
 * listener, made at start from the listener's certificate and key, and the
 * server side of a connection as libevent's bufferevent_openssl.
 *
 * Shell: this module reads the certificate and key files.
 */
#ifndef REPAIRD_TLS_H
#define REPAIRD_TLS_H

#include <stddef.h>

struct bufferevent;
struct event_base;
struct ssl_ctx_st; /* OpenSSL's SSL_CTX */
struct tls_listen;

/*
 * A server context for t: TLS 1.2 or newer, t->cert (a PEM chain) and t->key,
 * checked to belong together. NULL with the reason in err (naming the file).
 */
struct ssl_ctx_st *tls_context_new(const struct tls_listen *t, char *err, size_t errlen);
void tls_context_free(struct ssl_ctx_st *ctx);
/* "subject CN=..., valid until 2027-01-01 00:00:00 UTC" of the context's certificate. */
const char *tls_context_describe(struct ssl_ctx_st *ctx, char *buf, size_t len);
/* 1 when the context's certificate has expired or is not valid yet, else 0. */
int tls_context_expired(struct ssl_ctx_st *ctx);

/* The server side of an accepted socket: handshake pending; closes fd when freed. */
struct bufferevent *tls_bufferevent_new(struct event_base *base, int fd, struct ssl_ctx_st *ctx);
/* Before closing: tell the peer (close_notify) that nothing was cut off. */
void tls_close_notify(struct bufferevent *bev);
/* Why a TLS bufferevent failed (OpenSSL's reasons, else errno's, else "closed"). */
const char *tls_error(struct bufferevent *bev, int saved_errno, char *buf, size_t len);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done. */
const char *tls_describe(struct bufferevent *bev, char *buf, size_t len);

#endif
