/*
 * tls: OpenSSL server contexts for listen.tls and the server side of a TLS
 * connection as a bufferevent_openssl. The rest of the daemon sees a
 * bufferevent like any other: plaintext in its input and output buffers.
 */
#include "tls.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "config.h"

/* OpenSSL's first queued error (the most precise) as "reason (library)", or what. */
static const char *ssl_reason(const char *what, char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	const char *lib = e ? ERR_lib_error_string(e) : NULL;

	if (reason)
		snprintf(buf, len, "%s%s%s%s", reason, lib ? " (" : "", lib ? lib : "",
		         lib ? ")" : "");
	else if (e)
		snprintf(buf, len, "OpenSSL error %lx", e);
	else
		snprintf(buf, len, "%s", what);
	ERR_clear_error();
	return buf;
}

struct ssl_ctx_st *tls_context_new(const struct tls_listen *t, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char why[256];
	bool mismatch = false;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "TLS on %s: %s", t->address,
		         ssl_reason("cannot create a context", why, sizeof why));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* No renegotiation (a client could make us do handshakes at will), no compression. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* A client that just closes its socket (no close_notify) has simply gone: EOF. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* An idle connection keeps no read and write buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
		snprintf(err, errlen, "TLS on %s: certificate %s: %s", t->address, t->cert,
		         ssl_reason("cannot load it", why, sizeof why));
		SSL_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1) {
		/* A key of another certificate is refused here already: say it plainly below. */
		mismatch = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
		if (!mismatch) {
			snprintf(err, errlen, "TLS on %s: key %s: %s", t->address, t->key,
			         ssl_reason("cannot load it", why, sizeof why));
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "TLS on %s: key %s does not belong to certificate %s: %s",
		         t->address, t->key, t->cert, ssl_reason("mismatch", why, sizeof why));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void tls_context_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

const char *tls_context_describe(struct ssl_ctx_st *ctx, char *buf, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char subject[256], until[64] = "?";
	struct tm tm;

	if (x == NULL) {
		snprintf(buf, len, "no certificate");
		return buf;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	memset(&tm, 0, sizeof tm);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(until, sizeof until, "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(buf, len, "certificate %s, valid until %s", subject, until);
	return buf;
}

int tls_context_expired(struct ssl_ctx_st *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);

	return x && (X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ||
	             X509_cmp_current_time(X509_get0_notBefore(x)) > 0);
}

struct bufferevent *tls_bufferevent_new(struct event_base *base, int fd, struct ssl_ctx_st *ctx)
{
	struct bufferevent *bev;
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL; /* out of memory: the caller gives up */
	/* A client that just closes its socket (no close_notify) has simply gone: EOF. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void tls_close_notify(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	/* Best effort, on the socket directly: what is not sent now never will be. */
	if (ssl && SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
}

const char *tls_error(struct bufferevent *bev, int saved_errno, char *buf, size_t len)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		const char *reason = ERR_reason_error_string(e);
		int n;
		if (used >= len || reason == NULL)
			continue; /* drain the rest; libevent also queues bare return codes */
		n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", reason);
		used += n > 0 ? (size_t)n : 0;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "%s", saved_errno ? strerror(saved_errno) : "connection closed");
	return buf;
}

const char *tls_describe(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	return buf;
}
