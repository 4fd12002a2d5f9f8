/*
 * Integration: the TLS listener (listen.tls). A CA, a server certificate for
 * localhost and 127.0.0.1, and a second, unrelated CA are made at test time
 * with the openssl command; repaird (harness.c) gets a TLS listener beside
 * its plain one. repairctl --tls works and is checked against the CA; a plain
 * client on the TLS port, one that never finishes its handshake and one that
 * offers only TLS 1.1 are closed; certificate problems are configuration
 * errors.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness.h"

#define HANDSHAKE_MS 700

static struct daemon d;
/*
 * The CA, the server's certificate and key, another CA: made once for the suite
 * in made[], and copied to certs[] for each test (one test renews them).
 */
static char made[64];
static char certs[64];
static int tls_port;

/* ---- helpers ---------------------------------------------------------------------- */

struct out {
	int status;
	char *out, *err;
};

#define MAX_RUNS 64
static struct out runs[MAX_RUNS];

/* A shell command that must succeed (harness_system() names it on stderr if not). */
#define sh(...) ck_assert(harness_system(__VA_ARGS__) == 0)
static int nruns;

/* Run argv (NULL-terminated) with stdin from input (NULL: none) and extra "K=V" env. */
static struct out *run(const char *input, const char *const *env, const char *const *argv)
{
	static const char *const no_color[] = {"NO_COLOR=1", NULL};
	struct out *o;

	ck_assert_int_lt(nruns, MAX_RUNS);
	o = &runs[nruns++];
	o->status = harness_run(certs, input, no_color, env, argv, &o->out, &o->err);
	return o;
}

static const char *repairctl_bin(void)
{
	const char *b = getenv("REPAIRCTL_BIN");
	return b ? b : "build/repairctl";
}

static const char *repaird_bin(void)
{
	const char *b = getenv("REPAIRD_BIN");
	return b ? b : "build/repaird";
}

/* repairctl args... with env (NULL or NULL-terminated "K=V" strings). */
static struct out *ctl_env(const char *input, const char *const *env, const char *first, ...)
{
	const char *argv[40];
	int n = 0;
	va_list ap;

	argv[n++] = repairctl_bin();
	va_start(ap, first);
	for (const char *a = first; a && n < 39; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run(input, env, argv);
}

static void expect_exit(const struct out *o, int code)
{
	ck_assert_msg(o->status == code, "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s",
	              o->status, code, o->out, o->err);
}

static void expect_in(const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want) != NULL, "\"%s\" not in:\n%s", want, text);
}

static const char *path_in_certs(const char *name)
{
	static char buf[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", certs, name);
	return buf[i];
}

static const char *port_str(int port)
{
	static char buf[4][16];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%d", port);
	return buf[i];
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Read until the peer closes (or resets) the connection, at most `limit`
 * seconds: the bytes read into buf; returns true when it was closed.
 */
static bool read_until_closed(int fd, double limit, char *buf, size_t cap, size_t *got)
{
	double until = now_sec() + limit;

	*got = 0;
	while (now_sec() < until) {
		struct timeval tv = {0, 100000};
		ssize_t n;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		n = recv(fd, buf + *got, cap - 1 - *got, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0)
			continue; /* EAGAIN: not yet */
		*got += (size_t)n;
		if (*got >= cap - 1)
			break;
	}
	buf[*got] = '\0';
	return now_sec() < until;
}

/* Wait up to 3 s for text in the daemon's log. */
static void expect_log(const char *want)
{
	ck_assert_msg(daemon_log_wait(&d, want, 3000), "\"%s\" not in the log:\n%s", want,
	              daemon_log(&d));
}

/* ---- fixture ---------------------------------------------------------------------- */

/* Once, in the runner's process, before the tests are forked. */
static void make_certs(void)
{
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

	snprintf(made, sizeof made, "/tmp/repaird-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(made));
	/* A CA, and a server certificate it signs for localhost and 127.0.0.1. */
	sh("cd %s && openssl req -x509 %s -days 2 -subj '/CN=repaird test CA' "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign "
	   "-keyout ca.key -out ca.pem 2>/dev/null",
	   made, ec);
	sh("cd %s && openssl req %s -subj '/CN=localhost' -keyout key.pem -out server.csr "
	   "2>/dev/null",
	   made, ec);
	sh("cd %s && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
	   "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
	   "-extfile ext.cnf -out cert.pem 2>/dev/null",
	   made);
	/* A CA that signed nothing of ours. */
	sh("cd %s && openssl req -x509 %s -days 2 -subj '/CN=some other CA' "
	   "-addext basicConstraints=critical,CA:TRUE -keyout other.key -out other.pem "
	   "2>/dev/null",
	   made, ec);
	sh("chmod 0600 %s/key.pem", made);
}

static void remove_certs(void)
{
	if (made[0])
		sh("rm -rf %s", made);
}

static void setup(void)
{
	char yaml[1024], taken[96];

	nruns = 0;
	snprintf(certs, sizeof certs, "/tmp/repaird-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(certs));
	sh("cp -a %s/. %s", made, certs);
	/* The TLS port, like the plain one, may be taken by another process before the bind. */
	for (int attempt = 0; attempt < 5; attempt++) {
		tls_port = harness_free_port();
		snprintf(yaml, sizeof yaml,
		         "listen:\n"
		         "  tls:\n"
		         "    - {address: \"127.0.0.1:%d\", cert: %s/cert.pem, key: %s/key.pem,\n"
		         "       handshake_timeout_ms: %d}\n",
		         tls_port, certs, certs, HANDSHAKE_MS);
		if (daemon_start(&d, yaml, NULL) == 0)
			return;
		snprintf(taken, sizeof taken, "listen 127.0.0.1:%d: Address already in use",
		         tls_port);
		if (strstr(daemon_log(&d), taken) == NULL)
			break;
		daemon_cleanup(&d);
	}
	ck_abort_msg("repaird did not start:\n%s", daemon_log(&d));
}

static void teardown(void)
{
	daemon_stop(&d);
	daemon_cleanup(&d);
	if (certs[0])
		sh("rm -rf %s", certs);
	for (int i = 0; i < nruns; i++) {
		free(runs[i].out);
		free(runs[i].err);
	}
	nruns = 0;
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(test_repairctl_over_tls)
{
	const char *ca = path_in_certs("ca.pem"), *port = port_str(tls_port);
	const char *env[] = {NULL, NULL, NULL};
	char env_ca[256];
	struct out *o, *plain;
	char csv[64 * 600 + 1];
	size_t used = 0;

	/* By address: the certificate names 127.0.0.1. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", ca, "-H", "127.0.0.1", "-p", port, "ping",
	            NULL);
	expect_exit(o, 0);
	expect_in(o->out, "PONG");
	/* By name, options after the command. */
	o = ctl_env(NULL, NULL, "ticket", "list", "--tls", "--cacert", ca, "-H", "localhost", "-p",
	            port, NULL);
	expect_exit(o, 0);
	/* A reply of several kilobytes comes through whole: the same as over the unix socket. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", ca, "-H", "localhost", "-p", port, "products",
	            NULL);
	plain = ctl_env(NULL, NULL, "-s", d.sock, "products", NULL);
	expect_exit(o, 0);
	expect_exit(plain, 0);
	ck_assert_uint_gt(strlen(o->out), 2000);
	ck_assert_str_eq(o->out, plain->out);
	/* The environment: REPAIRCTL_TLS and REPAIRCTL_CACERT. */
	snprintf(env_ca, sizeof env_ca, "REPAIRCTL_CACERT=%s", ca);
	env[0] = "REPAIRCTL_TLS=1";
	env[1] = env_ca;
	o = ctl_env(NULL, env, "-p", port, "centres", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "DE-PSC-TEST");
	/* The settings file: tls, cacert, tls_server_name. */
	{
		const char *conf = path_in_certs("repairctl.conf");
		FILE *f = fopen(conf, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "tls = yes\ncacert = %s\ntls_server_name = localhost\nport = %d\n", ca,
		        tls_port);
		fclose(f);
		o = ctl_env(NULL, NULL, "--config", conf, "ping", NULL);
		expect_exit(o, 0);
		f = fopen(conf, "w");
		ck_assert_ptr_nonnull(f);
		fputs("tls = perhaps\n", f);
		fclose(f);
		o = ctl_env(NULL, NULL, "--config", conf, "ping", NULL);
		expect_exit(o, 78);
		expect_in(o->err, "repairctl.conf:1: tls: yes or no");
	}
	/* A pipelined import (several windows of commands in flight) over TLS. */
	for (int i = 0; i < 600; i++)
		used += (size_t)snprintf(csv + used, sizeof csv - used, "%d,gold,DE\n", 300000 + i);
	o = ctl_env(csv, NULL, "--tls", "--cacert", ca, "-p", port, "member", "import", "-", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "imported 600 members");
	o = ctl_env(NULL, NULL, "-s", d.sock, "member", "show", "300599", NULL);
	expect_exit(o, 0);
	expect_in(o->out, "gold");
	/* The handshakes were logged at debug only; nothing failed. */
	ck_assert_ptr_null(strstr(daemon_log(&d), "TLS handshake failed"));
}
END_TEST

START_TEST(test_plain_client_on_tls_port_is_closed)
{
	static const char ping[] = "PING\r\n";
	char buf[4096];
	size_t got;
	redisContext *rc;
	redisReply *r;
	int fd = harness_raw_connect(tls_port);

	ck_assert_int_eq(send(fd, ping, sizeof ping - 1, 0), (ssize_t)(sizeof ping - 1));
	ck_assert_msg(read_until_closed(fd, 5, buf, sizeof buf, &got),
	              "a plain client on the TLS port was not closed");
	ck_assert_ptr_null(strstr(buf, "PONG"));
	close(fd);
	expect_log("TLS handshake failed");
	expect_log("127.0.0.1:"); /* the peer is named */
	/* The daemon goes on serving, over plain TCP and TLS alike. */
	rc = daemon_connect(&d);
	r = cmd(rc, "PING", NULL);
	ck_assert_str_eq(r->str, "PONG");
	freeReplyObject(r);
	redisFree(rc);
	expect_exit(ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("ca.pem"), "-p",
	                    port_str(tls_port), "ping", NULL),
	            0);
}
END_TEST

START_TEST(test_handshake_timeout)
{
	static const char partial[] = "\x16\x03\x01"; /* the start of a ClientHello, no more */
	char buf[256];
	size_t got;
	double t0, took;
	int fd;

	/* Says nothing at all. */
	t0 = now_sec();
	fd = harness_raw_connect(tls_port);
	ck_assert_msg(read_until_closed(fd, 5, buf, sizeof buf, &got),
	              "a silent client was not closed");
	took = now_sec() - t0;
	close(fd);
	ck_assert_msg(took >= HANDSHAKE_MS / 1000.0 - 0.1 && took < 3,
	              "closed after %.2f s, handshake_timeout_ms is %d", took, HANDSHAKE_MS);
	ck_assert_uint_eq(got, 0);
	expect_log("no TLS handshake in time");
	/* Starts a handshake and stalls. */
	t0 = now_sec();
	fd = harness_raw_connect(tls_port);
	ck_assert_int_eq(send(fd, partial, 3, 0), 3);
	ck_assert_msg(read_until_closed(fd, 5, buf, sizeof buf, &got),
	              "a stalled handshake was not closed");
	took = now_sec() - t0;
	close(fd);
	ck_assert_msg(took >= HANDSHAKE_MS / 1000.0 - 0.1 && took < 3, "closed after %.2f s", took);
}
END_TEST

/*
 * Our own TLS client (max_version 0: any): sends request and reads the reply
 * until the daemon closes, or 1 s passes (0.2 s once a reply line is whole).
 * 1 when the handshake succeeded.
 */
static int tls_client(int max_version, const char *request, char *reply, size_t cap, bool *closed)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int fd = harness_raw_connect(tls_port), ok;
	struct timeval tv = {1, 0};
	size_t got = 0;

	ck_assert_ptr_nonnull(ctx);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* Let the client offer old versions at all: OpenSSL 3 refuses them by default. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	if (max_version)
		SSL_CTX_set_max_proto_version(ctx, max_version);
	SSL_CTX_load_verify_locations(ctx, path_in_certs("ca.pem"), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, "localhost");
	ok = SSL_connect(ssl) == 1;
	*closed = false;
	if (ok) {
		int n;
		ck_assert_int_eq(SSL_write(ssl, request, (int)strlen(request)),
		                 (int)strlen(request));
		while (got < cap - 1 &&
		       (n = SSL_read(ssl, reply + got, (int)(cap - 1 - got))) > 0) {
			got += (size_t)n;
			/* A whole reply line: a close, if one comes, follows at once. */
			if (got >= 2 && reply[got - 2] == '\r' && reply[got - 1] == '\n') {
				struct timeval brief = {0, 200000};
				setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
			}
		}
		*closed = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN ||
		          (SSL_get_error(ssl, n) == SSL_ERROR_SYSCALL && errno != EAGAIN);
		SSL_shutdown(ssl);
	}
	reply[got] = '\0';
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return ok;
}

START_TEST(test_tls_1_2_minimum)
{
	char reply[256];
	bool closed;

	ck_assert_int_eq(tls_client(TLS1_1_VERSION, "PING\r\n", reply, sizeof reply, &closed), 0);
	expect_log("TLS handshake failed");
	ck_assert_int_eq(tls_client(TLS1_2_VERSION, "PING\r\n", reply, sizeof reply, &closed), 1);
	ck_assert_str_eq(reply, "+PONG\r\n");
	ck_assert(!closed);
	ck_assert_int_eq(tls_client(0, "PING\r\n", reply, sizeof reply, &closed), 1);
	ck_assert_str_eq(reply, "+PONG\r\n");
}
END_TEST

/* A protocol error over TLS: the error reply arrives (encrypted), then the close. */
START_TEST(test_protocol_error_over_tls)
{
	char reply[256];
	bool closed;

	ck_assert_int_eq(tls_client(0, "*x\r\n", reply, sizeof reply, &closed), 1);
	ck_assert_msg(strncmp(reply, "-ERR Protocol error", 19) == 0, "reply: %s", reply);
	ck_assert(closed);
	ck_assert_int_eq(tls_client(0, "PING\r\n", reply, sizeof reply, &closed), 1);
	ck_assert_str_eq(reply, "+PONG\r\n");
}
END_TEST

START_TEST(test_certificate_checked_by_repairctl)
{
	const char *port = port_str(tls_port);
	struct out *o;

	/* Signed by another CA: unavailable (69), naming the certificate problem. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("other.pem"), "-p", port, "ping",
	            NULL);
	expect_exit(o, 69);
	expect_in(o->err, "not trusted");
	expect_in(o->err, "unable to get local issuer certificate");
	ck_assert_ptr_null(strstr(o->out, "PONG"));
	/* No --cacert: the system's CAs do not know ours either. */
	o = ctl_env(NULL, NULL, "--tls", "-p", port, "ping", NULL);
	expect_exit(o, 69);
	expect_in(o->err, "--cacert");
	/* The certificate is not made out to that name. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("ca.pem"), "--tls-server-name",
	            "repaird.example.net", "-p", port, "ping", NULL);
	expect_exit(o, 69);
	expect_in(o->err, "hostname mismatch");
	/* TLS to the plain port. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("ca.pem"), "-p",
	            port_str(d.port), "ping", NULL);
	expect_exit(o, 69);
	expect_in(o->err, "a TLS port");
	/* A CA file that is not there, or holds no certificate. */
	o = ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("nope.pem"), "-p", port, "ping",
	            NULL);
	expect_exit(o, 66);
	o = ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("server.csr"), "-p", port,
	            "ping", NULL);
	expect_exit(o, 66);
	/* TLS and a unix socket together make no sense. */
	o = ctl_env(NULL, NULL, "--tls", "-s", d.sock, "ping", NULL);
	expect_exit(o, 64);
}
END_TEST

/* The subject of the certificate the TLS listener shows now. */
static void peer_subject(char *buf, int len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fd = harness_raw_connect(tls_port);
	SSL *ssl;
	X509 *x;

	ck_assert_ptr_nonnull(ctx);
	SSL_CTX_load_verify_locations(ctx, path_in_certs("ca.pem"), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	x = SSL_get1_peer_certificate(ssl);
	ck_assert_ptr_nonnull(x);
	X509_NAME_oneline(X509_get_subject_name(x), buf, len);
	X509_free(x);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

/* A renewed certificate is taken up by a reload; one that does not load refuses the reload. */
START_TEST(test_certificate_renewed_on_reload)
{
	char subject[256];
	redisContext *rc = daemon_connect(&d);
	redisReply *r;

	peer_subject(subject, sizeof subject);
	ck_assert_str_eq(subject, "/CN=localhost");
	sh("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	   "-subj '/O=renewed/CN=localhost' -keyout key2.pem -out server2.csr 2>/dev/null && "
	   "openssl x509 -req -in server2.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "
	   "2 "
	   "-extfile ext.cnf -out cert2.pem 2>/dev/null && mv key2.pem key.pem && "
	   "mv cert2.pem cert.pem",
	   certs);
	r = cmd(rc, "CONFIG.RELOAD", NULL);
	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "CONFIG.RELOAD: %s", r->str);
	freeReplyObject(r);
	peer_subject(subject, sizeof subject);
	ck_assert_str_eq(subject, "/O=renewed/CN=localhost");
	expect_exit(ctl_env(NULL, NULL, "--tls", "--cacert", path_in_certs("ca.pem"), "-p",
	                    port_str(tls_port), "ping", NULL),
	            0);
	/* Broken: refused, and the listener keeps the certificate it has. */
	sh("echo 'not a certificate' > %s/cert.pem", certs);
	r = cmd(rc, "CONFIG.RELOAD", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	expect_in(r->str, "no start line");
	freeReplyObject(r);
	peer_subject(subject, sizeof subject);
	ck_assert_str_eq(subject, "/O=renewed/CN=localhost");
	redisFree(rc);
}
END_TEST

/* Write a config with the harness's content plus yaml; returns its path. */
static const char *write_config(const char *name, const char *yaml)
{
	struct daemon tmp;
	const char *path = path_in_certs(name);

	memset(&tmp, 0, sizeof tmp);
	snprintf(tmp.config, sizeof tmp.config, "%s", path);
	daemon_write_config(&tmp, yaml, NULL);
	return path;
}

START_TEST(test_certificate_problems_are_config_errors)
{
	char yaml[1024];
	const char *cfg;
	struct out *o;

	/* A file that is not there: file:line:column. */
	snprintf(yaml, sizeof yaml,
	         "listen:\n"
	         "  tls: {address: \"127.0.0.1:%d\", cert: %s/missing.pem, key: %s/key.pem}\n",
	         tls_port, certs, certs);
	cfg = write_config("missing.yaml", yaml);
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 78);
	{
		const char *at = strstr(o->err, "missing.yaml:");
		unsigned line = 0, col = 0;
		ck_assert_ptr_nonnull(at);
		ck_assert_int_eq(sscanf(at, "missing.yaml:%u:%u:", &line, &col), 2);
		ck_assert_uint_gt(line, 0);
	}
	expect_in(o->err, "listen.tls: cert");
	expect_in(o->err, "No such file or directory");
	/* Missing keys, a bad address, an unknown key. */
	cfg = write_config("keys.yaml", "listen:\n  tls:\n    - {address: nowhere, colour: red}\n");
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 78);
	expect_in(o->err, "\"nowhere\" is not HOST:PORT");
	expect_in(o->err, "unknown key \"colour\"");
	expect_in(o->err, "missing key \"cert\"");
	/* Not a certificate; a key of another certificate: found by --check-config. */
	snprintf(yaml, sizeof yaml,
	         "listen:\n"
	         "  tls: {address: \"127.0.0.1:%d\", cert: %s/server.csr, key: %s/key.pem}\n",
	         tls_port, certs, certs);
	cfg = write_config("notcert.yaml", yaml);
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 78);
	expect_in(o->err, "certificate");
	expect_in(o->err, "no start line");
	snprintf(yaml, sizeof yaml,
	         "listen:\n"
	         "  tls: {address: \"127.0.0.1:%d\", cert: %s/cert.pem, key: %s/other.key}\n",
	         harness_free_port(), certs, certs);
	cfg = write_config("mismatch.yaml", yaml);
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 78);
	expect_in(o->err, "does not belong to certificate");
	/* And the daemon refuses to start with it: a configuration error, no restart loop. */
	o = run(NULL, NULL,
	        (const char *[]){repaird_bin(), "--config", cfg, "--listen", "127.0.0.1:1",
	                         "--unix", "", "--state-dir", path_in_certs("state"), NULL});
	expect_exit(o, 78);
	expect_in(o->err, "does not belong to certificate");
	/* With access.tcp_auth off (the harness's default), a TLS listener off loopback. */
	snprintf(yaml, sizeof yaml,
	         "listen:\n"
	         "  tls: {address: \"0.0.0.0:%d\", cert: %s/cert.pem, key: %s/key.pem}\n",
	         tls_port, certs, certs);
	cfg = write_config("open.yaml", yaml);
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 78);
	expect_in(o->err, "0.0.0.0:");
	expect_in(o->err, "(listen.tls) is not");
	/* The good one: ok. */
	snprintf(yaml, sizeof yaml,
	         "listen:\n"
	         "  tls: {address: \"127.0.0.1:%d\", cert: %s/cert.pem, key: %s/key.pem}\n",
	         harness_free_port(), certs, certs);
	cfg = write_config("good.yaml", yaml);
	o = run(NULL, NULL, (const char *[]){repaird_bin(), "--check-config", cfg, NULL});
	expect_exit(o, 0);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_unchecked_fixture(tc, make_certs, remove_certs);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_repairctl_over_tls);
	tcase_add_test(tc, test_plain_client_on_tls_port_is_closed);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_tls_1_2_minimum);
	tcase_add_test(tc, test_protocol_error_over_tls);
	tcase_add_test(tc, test_certificate_checked_by_repairctl);
	tcase_add_test(tc, test_certificate_renewed_on_reload);
	tcase_add_test(tc, test_certificate_problems_are_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(tls_suite());
}
