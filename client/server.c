/* server: repairctl stats, info, ping, and passwd (which needs no server). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "password.h"
#include "repairctl.h"

static int stats(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0)
		return rc;
	args_init(&a, "STATS");
	if (c->o.centre)
		args_add2(&a, "CENTRE", c->o.centre);
	if (c->o.since)
		args_add2(&a, "SINCE", c->o.since);
	if (c->o.until)
		args_add2(&a, "UNTIL", c->o.until);
	return call_print(c, &a, OBJ_STATS);
}

/* INFO's "# Section" and "key:value" lines as {"section": {"key": value}}. */
static void info_json(const char *text)
{
	struct sbuf b;
	const char *p = text;
	bool in_section = false, first_key = true;

	sbuf_init(&b);
	sbuf_addc(&b, '{');
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		const char *colon = memchr(p, ':', n);

		if (n > 2 && p[0] == '#') {
			sbuf_adds(&b, in_section ? "}, " : "");
			sbuf_addc(&b, '"');
			for (size_t i = 2; i < n; i++)
				sbuf_addc(&b,
				          (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]));
			sbuf_adds(&b, "\": {");
			in_section = true;
			first_key = true;
		} else if (colon && in_section) {
			size_t klen = (size_t)(colon - p);
			sbuf_adds(&b, first_key ? "" : ", ");
			json_add_string(&b, p, klen);
			sbuf_adds(&b, ": ");
			json_add_value(&b, JSON_INT, colon + 1, n - klen - 1);
			first_key = false;
		}
		p += n;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	sbuf_adds(&b, in_section ? "}}" : "}");
	out_flush(&b);
	sbuf_free(&b);
}

static int info(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	redisReply *r;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 1, &first)) != 0)
		return rc;
	args_init(&a, "INFO");
	if (argc - first == 1)
		args_add(&a, argv[first]);
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_STRING) {
		rc = ctl_unexpected("INFO", r);
	} else if (c->json) {
		info_json(r->str);
	} else {
		show_info(c, r->str);
	}
	freeReplyObject(r);
	return rc;
}

static int ping(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct timespec t0, t1;
	struct args a;
	redisReply *r;
	struct sbuf b;
	double ms;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0 || (rc = ctl_connect(c)) != 0)
		return rc;
	args_init(&a, "PING");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ctl_call(c, &a, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	args_free(&a);
	if (rc != 0)
		return rc;
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (r->type != REDIS_REPLY_STATUS) {
		rc = ctl_unexpected("PING", r);
	} else if (c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "{\"reply\": ");
		json_add_string(&b, r->str, r->len);
		sbuf_adds(&b, ", \"endpoint\": ");
		json_add_string(&b, c->endpoint, strlen(c->endpoint));
		sbuf_printf(&b, ", \"ms\": %.3f}", ms);
		out_flush(&b);
		sbuf_free(&b);
	} else {
		printf("%s from repaird at %s in %.2f ms\n", r->str, c->endpoint, ms);
	}
	freeReplyObject(r);
	return rc;
}

/* Read one line with the terminal's echo off (or plainly from a pipe). */
static int read_secret(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) != 0;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)len, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n > 0 ? 0 : -1;
}

/*
 * `repairctl passwd`: the access.users password line for a password typed
 * twice: a salted scrypt hash in the PHC string format (password.h), the salt
 * from the kernel's random source.
 */
static int passwd_cmd(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	char pw[1024], again[1024], line[PASSWORD_HASH_MAX];
	unsigned char salt[PASSWORD_SALT_LEN];
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0)
		return rc;
	if (read_secret("Password: ", pw, sizeof pw) < 0) {
		fprintf(stderr, "repairctl: an empty password is not allowed\n");
		return EX_DATAERR;
	}
	if (isatty(STDIN_FILENO) &&
	    (read_secret("Again: ", again, sizeof again) < 0 || strcmp(pw, again) != 0)) {
		fprintf(stderr, "repairctl: the two passwords differ\n");
		return EX_DATAERR;
	}
	if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) {
		fprintf(stderr, "repairctl: no random bytes for the salt: %s\n", strerror(errno));
		return EX_OSERR;
	}
	rc = password_hash(pw, strlen(pw), salt, sizeof salt, line, sizeof line);
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(again, sizeof again);
	if (rc < 0) {
		fprintf(stderr, "repairctl: scrypt failed\n");
		return EX_SOFTWARE;
	}
	printf("password: \"%s\"\n", line);
	return 0;
}

const struct subcmd server_cmds[] = {
        {"stats", NULL, stats, NULL, "centre since until",
         "stats [--centre C] [--since YYYY-MM-DD] [--until YYYY-MM-DD]",
         "Turnaround figures: closed, met, missed, met_pct (per tier too), open, at risk,\n"
         "breached, loans eligible.\n"},
        {"info", NULL, info, NULL, "", "info [SECTION]",
         "repaird's INFO: server clients persistence events tickets commandstats (default\n"
         "all).\n"},
        {"ping", NULL, ping, NULL, "", "ping", "Check that repaird answers, and how fast.\n"},
        {"passwd", NULL, passwd_cmd, NULL, "", "passwd",
         "Read a password (twice on a terminal, echo off; once from a pipe) and print\n"
         "the line for access.users in repaird.yaml: password: \"$scrypt$...\" (a salted\n"
         "scrypt hash).\n"
         "Needs no daemon.\n"},
};
const size_t nserver_cmds = sizeof server_cmds / sizeof server_cmds[0];
