/* conn: the connection to repaird, AUTH, and daemon errors -> exit codes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "repairctl.h"
#include "xmalloc.h"

#define CONNECT_TIMEOUT_SEC 5
#define REPLY_TIMEOUT_SEC   60

/* ---- command words ------------------------------------------------------------- */

void args_init(struct args *a, const char *command)
{
	a->n = 0;
	a->cap = 0;
	a->v = NULL;
	a->len = NULL;
	args_add(a, command);
}

void args_add(struct args *a, const char *word)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, (size_t)a->cap, sizeof *a->v);
		a->len = xreallocarray(a->len, (size_t)a->cap, sizeof *a->len);
	}
	a->v[a->n] = xstrdup(word);
	a->len[a->n] = strlen(word);
	a->n++;
}

void args_add2(struct args *a, const char *keyword, const char *value)
{
	args_add(a, keyword);
	args_add(a, value);
}

void args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
	a->v = NULL;
	a->len = NULL;
	a->n = a->cap = 0;
}

/* ---- the password --------------------------------------------------------------- */

/* The first line of the password file. */
static int read_password(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "repairctl: password file %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		fprintf(stderr, "repairctl: password file %s is empty\n", path);
		free(line);
		return EX_NOINPUT;
	}
	*out = line;
	return 0;
}

/* ---- TLS ------------------------------------------------------------------------- */

/*
 * hiredis 0.14 has no TLS: over --tls, commands are formatted by hiredis
 * (redisFormatCommandArgv), sent with SSL_write, and replies are parsed by
 * hiredis's reader from what SSL_read returns. The socket is blocking with
 * SO_RCVTIMEO / SO_SNDTIMEO, as hiredis's own.
 */
struct ctl_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	redisReader *reader;
	struct sbuf out; /* commands not sent yet */
	char err[256];   /* why the connection broke */
};

static void set_timeouts(int fd, int sec)
{
	struct timeval tv = {sec, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A connected blocking TCP socket, or -1 with the reason in err. */
static int tcp_connect(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16];
	int fd = -1, rc, one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof portstr, "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "no address");
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t elen = sizeof rc;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			continue;
		}
		rc = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			rc = errno;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (rc == EINPROGRESS) {
				int n = poll(&pfd, 1, CONNECT_TIMEOUT_SEC * 1000);
				if (n == 0)
					rc = ETIMEDOUT;
				else if (n < 0 ||
				         getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &elen) < 0)
					rc = errno;
			}
		}
		if (rc == 0)
			break;
		snprintf(err, errlen, "%s", strerror(rc));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

/* OpenSSL's reason for the last failure, or errno's, or what. */
static const char *tls_reason(int ssl_error, const char *what, char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	int saved = errno;

	if (e && ERR_reason_error_string(e))
		snprintf(buf, len, "%s", ERR_reason_error_string(e));
	else if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE ||
	         (ssl_error == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK)))
		snprintf(buf, len, "timed out");
	else if (ssl_error == SSL_ERROR_SYSCALL && saved != 0)
		snprintf(buf, len, "%s", strerror(saved));
	else
		snprintf(buf, len, "%s", what);
	ERR_clear_error();
	return buf;
}

static void tls_free(struct ctl_tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl) {
		SSL_shutdown(t->ssl); /* close_notify; no wait for the answer */
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	if (t->fd >= 0)
		close(t->fd);
	if (t->reader)
		redisReaderFree(t->reader);
	sbuf_free(&t->out);
	free(t);
}

/* Why the handshake failed, on stderr; the exit code. */
static int tls_handshake_failed(struct ctl *c, struct ctl_tls *t, int ssl_error, const char *name)
{
	long v = SSL_get_verify_result(t->ssl);
	char why[256];

	if (v != X509_V_OK) {
		fprintf(stderr, "repairctl: TLS: repaird's certificate at %s is not trusted: %s\n",
		        c->endpoint, X509_verify_cert_error_string(v));
		if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
			fprintf(stderr,
			        "repairctl: it is not made out to %s: connect by a name it has, "
			        "or name one with --tls-server-name\n",
			        name);
		else if (c->set.cacert)
			fprintf(stderr, "repairctl: is %s the CA that signed it?\n", c->set.cacert);
		else
			fprintf(stderr,
			        "repairctl: give the CA that signed it with --cacert FILE\n");
		ERR_clear_error();
		return EX_UNAVAILABLE;
	}
	fprintf(stderr, "repairctl: TLS handshake with repaird at %s failed: %s\n", c->endpoint,
	        tls_reason(ssl_error, "connection closed", why, sizeof why));
	if (strstr(why, "wrong version number") || strstr(why, "packet length too long") ||
	    strcmp(why, "connection closed") == 0)
		fprintf(stderr,
		        "repairctl: is %s a TLS port (listen.tls in repaird.yaml)? "
		        "leave out --tls for a plain one\n",
		        c->endpoint);
	return EX_UNAVAILABLE;
}

static int tls_open(struct ctl *c, const char *host, int port)
{
	struct ctl_tls *t = xcalloc(1, sizeof *t);
	const char *name = c->set.tls_server_name ? c->set.tls_server_name : host;
	unsigned char ip[16];
	char why[256];
	int rc;

	t->fd = -1;
	sbuf_init(&t->out);
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL) {
		fprintf(stderr, "repairctl: TLS: %s\n",
		        tls_reason(0, "cannot set up OpenSSL", why, sizeof why));
		tls_free(t);
		return EX_SOFTWARE;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (c->set.cacert) {
		FILE *f = fopen(c->set.cacert, "r");
		if (f == NULL) {
			fprintf(stderr, "repairctl: CA file %s: %s\n", c->set.cacert,
			        strerror(errno));
			tls_free(t);
			return EX_NOINPUT;
		}
		fclose(f);
		if (SSL_CTX_load_verify_locations(t->ctx, c->set.cacert, NULL) != 1) {
			fprintf(stderr, "repairctl: CA file %s: %s\n", c->set.cacert,
			        tls_reason(0, "no certificate in it", why, sizeof why));
			tls_free(t);
			return EX_NOINPUT;
		}
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		ERR_clear_error();
	}
	if ((t->fd = tcp_connect(host, port, why, sizeof why)) < 0) {
		fprintf(stderr, "repairctl: cannot connect to repaird at %s: %s\n", c->endpoint,
		        why);
		fprintf(stderr, "repairctl: %s\n", CTL_START_HINT);
		tls_free(t);
		return EX_UNAVAILABLE;
	}
	set_timeouts(t->fd, CONNECT_TIMEOUT_SEC);
	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1) {
		fprintf(stderr, "repairctl: TLS: %s\n",
		        tls_reason(0, "cannot set up OpenSSL", why, sizeof why));
		tls_free(t);
		return EX_SOFTWARE;
	}
	/* The certificate must be made out to the name (or address) we connect to. */
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), name);
	} else {
		SSL_set1_host(t->ssl, name);
		SSL_set_tlsext_host_name(t->ssl, name);
	}
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_connect(t->ssl)) != 1) {
		rc = tls_handshake_failed(c, t, SSL_get_error(t->ssl, rc), name);
		SSL_free(t->ssl); /* no close_notify after a failed handshake */
		t->ssl = NULL;
		tls_free(t);
		return rc;
	}
	set_timeouts(t->fd, REPLY_TIMEOUT_SEC);
	t->reader = redisReaderCreate();
	if (t->reader == NULL) {
		fprintf(stderr, "repairctl: out of memory connecting to %s\n", c->endpoint);
		tls_free(t);
		return EX_OSERR;
	}
	c->tls = t;
	return 0;
}

/* Send what is queued. 0, or -1 with the reason in t->err. */
static int tls_flush(struct ctl_tls *t)
{
	size_t off = 0;

	while (off < t->out.len) {
		size_t n = t->out.len - off;
		int w;
		ERR_clear_error();
		errno = 0;
		w = SSL_write(t->ssl, t->out.data + off, n > INT_MAX ? INT_MAX : (int)n);
		if (w <= 0) {
			tls_reason(SSL_get_error(t->ssl, w), "closed", t->err, sizeof t->err);
			return -1;
		}
		off += (size_t)w;
	}
	/* The buffer may have held an AUTH password. */
	explicit_bzero(t->out.data, t->out.len);
	sbuf_reset(&t->out);
	return 0;
}

static int tls_get_reply(struct ctl_tls *t, void **out)
{
	char buf[16384];

	*out = NULL;
	if (t->out.len > 0 && tls_flush(t) < 0)
		return -1;
	for (;;) {
		int n;
		if (redisReaderGetReply(t->reader, out) != REDIS_OK) {
			snprintf(t->err, sizeof t->err, "protocol error: %s", t->reader->errstr);
			return -1;
		}
		if (*out)
			return 0;
		ERR_clear_error();
		errno = 0;
		n = SSL_read(t->ssl, buf, sizeof buf);
		if (n <= 0) {
			int e = SSL_get_error(t->ssl, n);
			tls_reason(e, "closed", t->err, sizeof t->err);
			return -1;
		}
		if (redisReaderFeed(t->reader, buf, (size_t)n) != REDIS_OK) {
			snprintf(t->err, sizeof t->err, "out of memory");
			return -1;
		}
	}
}

/* ---- the connection -------------------------------------------------------------- */

/* Queue a command on whichever transport: 0, or -1 (see conn_error). */
static int conn_append(struct ctl *c, int argc, const char **argv, const size_t *argvlen)
{
	char *cmd;
	int n;

	if (c->tls == NULL)
		return redisAppendCommandArgv(c->rc, argc, argv, argvlen) == REDIS_OK ? 0 : -1;
	n = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	if (n < 0) {
		snprintf(c->tls->err, sizeof c->tls->err, "out of memory");
		return -1;
	}
	sbuf_add(&c->tls->out, cmd, (size_t)n);
	explicit_bzero(cmd, (size_t)n);
	redisFreeCommand(cmd);
	return 0;
}

static int conn_get_reply(struct ctl *c, redisReply **out)
{
	void *r = NULL;
	int rc = c->tls ? tls_get_reply(c->tls, &r) : redisGetReply(c->rc, &r);

	*out = r;
	return rc == 0 && r != NULL ? 0 : -1;
}

static const char *conn_error(const struct ctl *c)
{
	const char *e = c->tls ? c->tls->err : c->rc ? c->rc->errstr : "";

	return e[0] ? e : "closed";
}

static int auth(struct ctl *c)
{
	const char *argv[3];
	size_t argvlen[3];
	char *pw = NULL;
	redisReply *r;
	int rc;

	/* settings_merge() kept one of the two: the file or REPAIRCTL_PASSWORD. */
	if (c->set.password_file) {
		if ((rc = read_password(c->set.password_file, &pw)) != 0)
			return rc;
		c->set.password = pw;
	}
	if (c->set.password == NULL) {
		fprintf(stderr,
		        "repairctl: user %s needs a password: --password-file FILE, "
		        "password_file in the config, or REPAIRCTL_PASSWORD\n",
		        c->set.user);
		return EX_USAGE;
	}
	argv[0] = "AUTH";
	argv[1] = c->set.user;
	argv[2] = c->set.password;
	for (int i = 0; i < 3; i++)
		argvlen[i] = strlen(argv[i]);
	if (conn_append(c, 3, argv, argvlen) < 0 || conn_get_reply(c, &r) < 0) {
		fprintf(stderr, "repairctl: %s: connection lost during AUTH: %s\n", c->endpoint,
		        conn_error(c));
		return EX_UNAVAILABLE;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "repairctl: AUTH as %s: %s\n", c->set.user, r->str);
		if (strncmp(r->str, "ERR AUTH", 8) == 0)
			fprintf(stderr, "repairctl: repaird has no users configured: "
			                "leave out --user (and user in repairctl.conf)\n");
		freeReplyObject(r);
		return EX_NOPERM;
	}
	freeReplyObject(r);
	return 0;
}

/*
 * The n-th server of a -H list "host[:port],host[:port]" (HA: the nodes of a
 * group), with port when it names none. 0, or -1 past the end.
 */
static int nth_server(const char *list, int n, int port, char *host, size_t hostlen, int *out)
{
	const char *p = list, *end, *colon;
	size_t len;

	for (; n > 0 && p; n--)
		p = (p = strchr(p, ',')) ? p + 1 : NULL;
	if (p == NULL)
		return -1;
	end = strchr(p, ',');
	len = end ? (size_t)(end - p) : strlen(p);
	colon = memrchr(p, ':', len);
	/* A bare IPv6 address has colons too: a port only after "]" or when it is the only one. */
	if (colon && (p[0] == '[' ? colon[-1] == ']' : memchr(p, ':', len) == colon)) {
		*out = atoi(colon + 1);
		len = (size_t)(colon - p);
	} else {
		*out = port;
	}
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	snprintf(host, hostlen, "%.*s", (int)len, p);
	return 0;
}

/* TCP (or TLS): the first server of the list that takes the connection. */
static int tcp_open(struct ctl *c, struct timeval ct)
{
	bool tls = c->set.tls == 1;
	int defport = c->set.port ? c->set.port : tls ? CTL_DEFAULT_TLS_PORT : CTL_DEFAULT_PORT;
	const char *list = c->redirect[0] ? c->redirect
	                   : c->set.host  ? c->set.host
	                                  : CTL_DEFAULT_HOST;
	char host[200];
	int port, rc = EX_UNAVAILABLE;

	for (int i = 0; nth_server(list, i, defport, host, sizeof host, &port) == 0; i++) {
		snprintf(c->endpoint, sizeof c->endpoint, "%s:%d", host, port);
		if (tls) {
			if ((rc = tls_open(c, host, port)) == 0)
				return 0;
			continue;
		}
		c->rc = redisConnectWithTimeout(host, port, ct);
		if (c->rc == NULL || !c->rc->err ||
		    nth_server(list, i + 1, defport, host, sizeof host, &port) < 0)
			return 0; /* connected, or the last one: ctl_connect reports it */
		fprintf(stderr, "repairctl: cannot connect to repaird at %s: %s; trying the next\n",
		        c->endpoint, c->rc->errstr);
		redisFree(c->rc);
		c->rc = NULL;
	}
	return rc;
}

int ctl_connect(struct ctl *c)
{
	struct timeval ct = {CONNECT_TIMEOUT_SEC, 0}, rt = {REPLY_TIMEOUT_SEC, 0};
	const char *sock = NULL;
	bool tls = c->set.tls == 1;
	int err, rc;

	if (c->rc || c->tls)
		return 0;
	if (tls || c->set.host || c->set.port || c->redirect[0]) {
		if ((rc = tcp_open(c, ct)) != 0)
			return rc;
		if (tls)
			return c->set.user ? auth(c) : 0;
	} else {
		sock = c->set.socket ? c->set.socket : CTL_DEFAULT_SOCKET;
		snprintf(c->endpoint, sizeof c->endpoint, "%s", sock);
		c->rc = redisConnectUnixWithTimeout(sock, ct);
	}
	err = errno;
	if (c->rc == NULL) {
		fprintf(stderr, "repairctl: out of memory connecting to %s\n", c->endpoint);
		return EX_OSERR;
	}
	if (c->rc->err) {
		fprintf(stderr, "repairctl: cannot connect to repaird at %s: %s\n", c->endpoint,
		        c->rc->errstr);
		redisFree(c->rc);
		c->rc = NULL;
		if (sock && (err == EACCES || err == EPERM)) {
			fprintf(stderr,
			        "repairctl: the socket's file mode keeps you out: join its "
			        "group (sudo usermod -aG repaird $USER, then log in again), "
			        "or use TCP (-H, -p) with --user\n");
			return EX_NOPERM;
		}
		fprintf(stderr, "repairctl: %s\n", CTL_START_HINT);
		return EX_UNAVAILABLE;
	}
	redisSetTimeout(c->rc, rt);
	if (c->set.user)
		return auth(c);
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c->rc)
		redisFree(c->rc);
	c->rc = NULL;
	tls_free(c->tls);
	c->tls = NULL;
	for (size_t i = 0; i < c->ncentres; i++) {
		free(c->centres[i].id);
		free(c->centres[i].timezone);
	}
	free(c->centres);
	c->centres = NULL;
	c->ncentres = 0;
	c->centres_loaded = 0; /* asked again on the next connection */
}

static int lost(struct ctl *c)
{
	fprintf(stderr, "repairctl: connection to repaird at %s lost: %s\n", c->endpoint,
	        conn_error(c));
	fprintf(stderr, "repairctl: %s\n", CTL_START_HINT);
	return EX_UNAVAILABLE;
}

int ctl_append(struct ctl *c, const struct args *a)
{
	int rc;

	if ((rc = ctl_connect(c)) != 0)
		return rc;
	if (conn_append(c, a->n, (const char **)a->v, a->len) < 0)
		return lost(c);
	return 0;
}

int ctl_read(struct ctl *c, redisReply **out)
{
	if (conn_get_reply(c, out) < 0)
		return lost(c);
	return 0;
}

int ctl_error(struct ctl *c, const redisReply *r)
{
	int code = exit_code_for_error(r->str);
	char msg[1024];
	const char *hint = error_for_people(r->str, msg, sizeof msg);

	(void)c;
	/* The daemon's sentence (it names the offending value), and where a person looks next. */
	fprintf(stderr, "repairctl: %s\n", msg);
	if (hint)
		fprintf(stderr, "repairctl: %s\n", hint);
	if (code == EX_NOPERM && strncmp(r->str, "NOAUTH", 6) == 0)
		fprintf(stderr, "repairctl: give --user and a password (--password-file or "
		                "REPAIRCTL_PASSWORD), or use the unix socket\n");
	return code;
}

int ctl_unexpected(const char *what, const redisReply *r)
{
	fprintf(stderr, "repairctl: unexpected reply to %s (type %d%s%s)\n", what, r ? r->type : -1,
	        r && r->str ? ": " : "", r && r->str ? r->str : "");
	return EX_SOFTWARE;
}

/*
 * HA: a write reached a standby, which names the leader ("READONLY ... the
 * leader is NAME at HOST:PORT"): connect there. true when it did.
 */
bool ctl_follow_leader(struct ctl *c, const redisReply *r)
{
	const char *at = strstr(r->str, " at ");
	char saved[sizeof c->endpoint];

	if (strncmp(r->str, "READONLY ", 9) != 0 || at == NULL || c->redirect[0])
		return false;
	snprintf(saved, sizeof saved, "%s", c->endpoint);
	snprintf(c->redirect, sizeof c->redirect, "%s", at + 4);
	fprintf(stderr, "repairctl: %s is a standby; sending it to the leader at %s\n", saved,
	        c->redirect);
	if (c->rc)
		redisFree(c->rc);
	c->rc = NULL;
	tls_free(c->tls);
	c->tls = NULL;
	return ctl_connect(c) == 0;
}

int ctl_call(struct ctl *c, const struct args *a, redisReply **out)
{
	redisReply *r;
	int rc;

	*out = NULL;
	if ((rc = ctl_append(c, a)) != 0 || (rc = ctl_read(c, &r)) != 0)
		return rc;
	/* Once: a leader that sends us on again is not followed. */
	if (r->type == REDIS_REPLY_ERROR && ctl_follow_leader(c, r)) {
		freeReplyObject(r);
		if ((rc = ctl_append(c, a)) != 0 || (rc = ctl_read(c, &r)) != 0)
			return rc;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		rc = ctl_error(c, r);
		freeReplyObject(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- centres --------------------------------------------------------------------- */

static void load_centres(struct ctl *c)
{
	struct args a;
	redisReply *r;

	c->centres_loaded = -1;
	args_init(&a, "CENTRE.LIST");
	/* Without the list, times are shown in UTC: not worth failing the command for. */
	if (ctl_append(c, &a) == 0 && ctl_read(c, &r) == 0) {
		if (r->type == REDIS_REPLY_ARRAY) {
			c->centres = xcalloc(r->elements ? r->elements : 1, sizeof *c->centres);
			for (size_t i = 0; i < r->elements; i++) {
				const char *id = reply_field(r->element[i], "id");
				const char *tz = reply_field(r->element[i], "timezone");
				if (id == NULL || tz == NULL)
					continue;
				c->centres[c->ncentres].id = xstrdup(id);
				c->centres[c->ncentres].timezone = xstrdup(tz);
				c->ncentres++;
			}
			c->centres_loaded = 1;
		}
		freeReplyObject(r);
	}
	args_free(&a);
}

const char *ctl_centre_tz(struct ctl *c, const char *centre)
{
	if (centre == NULL || *centre == '\0')
		return NULL;
	if (c->centres_loaded == 0)
		load_centres(c);
	for (size_t i = 0; i < c->ncentres; i++)
		if (strcmp(c->centres[i].id, centre) == 0)
			return c->centres[i].timezone;
	return NULL;
}
