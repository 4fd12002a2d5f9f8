/* conn: settings, the connection to repaird, AUTH, and daemon errors -> exit codes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

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

/* ---- settings -------------------------------------------------------------------- */

void settings_free(struct ctl_settings *s)
{
	free(s->socket);
	free(s->host);
	free(s->user);
	free(s->password_file);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	memset(s, 0, sizeof *s);
	s->colour = -1;
}

static void take(char **into, char **over)
{
	if (*over == NULL)
		return;
	free(*into);
	*into = *over;
	*over = NULL;
}

void settings_merge(struct ctl_settings *into, struct ctl_settings *over)
{
	if (over->socket) {
		free(into->host);
		into->host = NULL;
		into->port = 0;
	}
	if (over->host || over->port) {
		free(into->socket);
		into->socket = NULL;
	}
	take(&into->socket, &over->socket);
	take(&into->host, &over->host);
	if (over->port)
		into->port = over->port;
	take(&into->user, &over->user);
	/* Likewise a password file and a password: the higher layer's way wins. */
	if ((over->password_file || over->password) && into->password) {
		explicit_bzero(into->password, strlen(into->password));
		free(into->password);
		into->password = NULL;
	}
	if (over->password) {
		free(into->password_file);
		into->password_file = NULL;
	}
	take(&into->password_file, &over->password_file);
	take(&into->password, &over->password);
	if (over->colour >= 0)
		into->colour = over->colour;
}

int settings_check(const struct ctl_settings *s, const char *where, int code)
{
	if (s->socket && (s->host || s->port)) {
		fprintf(stderr,
		        "repairctl: %s names both a unix socket and a TCP host/port: choose one\n",
		        where);
		return code;
	}
	return 0;
}

static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int parse_colour(const char *s)
{
	static const char *const names[] = {"auto", "always", "never"};

	for (int i = 0; i < 3; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0)
		return COLOUR_ALWAYS;
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0)
		return COLOUR_NEVER;
	return -1;
}

/* "~/x" -> "$HOME/x"; anything else copied. */
static char *expand_home(const char *v)
{
	const char *home = getenv("HOME");
	struct sbuf b;

	if (v[0] != '~' || v[1] != '/' || home == NULL)
		return xstrdup(v);
	sbuf_init(&b);
	sbuf_printf(&b, "%s%s", home, v + 1);
	return b.data;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int settings_line(struct ctl_settings *s, const char *key, char *value, const char **why)
{
	size_t n = strlen(value);

	if (n >= 2 && ((value[0] == '"' && value[n - 1] == '"') ||
	               (value[0] == '\'' && value[n - 1] == '\''))) {
		value[n - 1] = '\0';
		value++;
	}
	if (*value == '\0') {
		*why = "needs a value";
		return -1;
	}
	if (strcmp(key, "socket") == 0) {
		free(s->socket);
		s->socket = expand_home(value);
	} else if (strcmp(key, "host") == 0) {
		free(s->host);
		s->host = xstrdup(value);
	} else if (strcmp(key, "port") == 0) {
		if (parse_port(value, &s->port) < 0) {
			*why = "a TCP port, 1 to 65535";
			return -1;
		}
	} else if (strcmp(key, "user") == 0) {
		free(s->user);
		s->user = xstrdup(value);
	} else if (strcmp(key, "password_file") == 0) {
		free(s->password_file);
		s->password_file = expand_home(value);
	} else if (strcmp(key, "colour") == 0 || strcmp(key, "color") == 0) {
		if ((s->colour = parse_colour(value)) < 0) {
			*why = "one of auto, always, never";
			return -1;
		}
	} else {
		*why = "unknown key (allowed: socket, host, port, user, password_file, colour)";
		return -1;
	}
	return 0;
}

int settings_from_file(struct ctl_settings *s, const char *path)
{
	char *def = NULL, *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	FILE *f;

	if (path == NULL) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		struct sbuf b;

		sbuf_init(&b);
		if (xdg && *xdg)
			sbuf_printf(&b, "%s/repairctl.conf", xdg);
		else if (home && *home)
			sbuf_printf(&b, "%s/.config/repairctl.conf", home);
		else
			return 0;
		def = b.data;
	}
	f = fopen(path ? path : def, "r");
	if (f == NULL) {
		/* The default file is optional; one named with --config is not. */
		if (path != NULL || errno != ENOENT) {
			fprintf(stderr, "repairctl: %s: %s\n", path ? path : def, strerror(errno));
			rc = EX_CONFIG;
		}
		free(def);
		return rc;
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = trim(line), *eq, *key;
		const char *why = NULL;

		lineno++;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			why = "expected key = value";
		} else {
			*eq = '\0';
			key = trim(p);
			if (settings_line(s, key, trim(eq + 1), &why) == 0)
				continue;
			p = key;
		}
		fprintf(stderr, "repairctl: %s:%d: %s%s%s\n", path ? path : def, lineno,
		        eq ? p : "", eq ? ": " : "", why);
		rc = EX_CONFIG;
		break;
	}
	free(line);
	fclose(f);
	if (rc == 0)
		rc = settings_check(s, path ? path : def, EX_CONFIG);
	free(def);
	return rc;
}

int settings_from_env(struct ctl_settings *s)
{
	const char *v;

	if ((v = getenv("REPAIRCTL_SOCKET")) && *v)
		s->socket = xstrdup(v);
	if ((v = getenv("REPAIRCTL_HOST")) && *v)
		s->host = xstrdup(v);
	if ((v = getenv("REPAIRCTL_PORT")) && *v && parse_port(v, &s->port) < 0) {
		fprintf(stderr, "repairctl: REPAIRCTL_PORT \"%s\": a TCP port, 1 to 65535\n", v);
		return EX_CONFIG;
	}
	if ((v = getenv("REPAIRCTL_USER")) && *v)
		s->user = xstrdup(v);
	if ((v = getenv("REPAIRCTL_PASSWORD")) && *v)
		s->password = xstrdup(v);
	return settings_check(s, "the environment (REPAIRCTL_SOCKET, REPAIRCTL_HOST/PORT)",
	                      EX_CONFIG);
}

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

/* ---- the connection -------------------------------------------------------------- */

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
	r = redisCommandArgv(c->rc, 3, argv, argvlen);
	if (r == NULL) {
		fprintf(stderr, "repairctl: %s: connection lost during AUTH: %s\n", c->endpoint,
		        c->rc->errstr);
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

int ctl_connect(struct ctl *c)
{
	struct timeval ct = {CONNECT_TIMEOUT_SEC, 0}, rt = {REPLY_TIMEOUT_SEC, 0};
	const char *sock = NULL;
	int err;

	if (c->rc)
		return 0;
	if (c->set.host || c->set.port) {
		const char *host = c->set.host ? c->set.host : CTL_DEFAULT_HOST;
		int port = c->set.port ? c->set.port : CTL_DEFAULT_PORT;
		snprintf(c->endpoint, sizeof c->endpoint, "%s:%d", host, port);
		c->rc = redisConnectWithTimeout(host, port, ct);
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
	for (size_t i = 0; i < c->ncentres; i++) {
		free(c->centres[i].id);
		free(c->centres[i].timezone);
	}
	free(c->centres);
	c->centres = NULL;
	c->ncentres = 0;
}

static int lost(struct ctl *c)
{
	fprintf(stderr, "repairctl: connection to repaird at %s lost: %s\n", c->endpoint,
	        c->rc->errstr[0] ? c->rc->errstr : "closed");
	fprintf(stderr, "repairctl: %s\n", CTL_START_HINT);
	return EX_UNAVAILABLE;
}

int ctl_append(struct ctl *c, const struct args *a)
{
	int rc;

	if ((rc = ctl_connect(c)) != 0)
		return rc;
	if (redisAppendCommandArgv(c->rc, a->n, (const char **)a->v, a->len) != REDIS_OK)
		return lost(c);
	return 0;
}

int ctl_read(struct ctl *c, redisReply **out)
{
	void *r = NULL;

	*out = NULL;
	if (redisGetReply(c->rc, &r) != REDIS_OK || r == NULL)
		return lost(c);
	*out = r;
	return 0;
}

int ctl_error(struct ctl *c, const redisReply *r)
{
	int code = exit_code_for_error(r->str);

	(void)c;
	/* The daemon's sentence, word for word: it names the offending value. */
	fprintf(stderr, "repairctl: %s\n", r->str);
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

int ctl_call(struct ctl *c, const struct args *a, redisReply **out)
{
	redisReply *r;
	int rc;

	*out = NULL;
	if ((rc = ctl_append(c, a)) != 0 || (rc = ctl_read(c, &r)) != 0)
		return rc;
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
