/*
 * settings: where repairctl connects and how, from three layers: the settings
 * file (~/.config/repairctl.conf or --config), the environment (REPAIRCTL_*),
 * and the command line; cli.c merges them in that order, the later winning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repairctl.h"
#include "xmalloc.h"

void settings_free(struct ctl_settings *s)
{
	free(s->socket);
	free(s->host);
	free(s->user);
	free(s->password_file);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->cacert);
	free(s->tls_server_name);
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
		into->tls = 0; /* TLS is for TCP */
	}
	if (over->host || over->port || over->tls == 1) {
		free(into->socket);
		into->socket = NULL;
	}
	if (over->tls)
		into->tls = over->tls;
	take(&into->cacert, &over->cacert);
	take(&into->tls_server_name, &over->tls_server_name);
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
	if (s->socket && s->tls == 1) {
		fprintf(stderr,
		        "repairctl: %s names both a unix socket and TLS: TLS is for TCP (-H, -p)\n",
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

/* yes/no and the like: 1 (on), -1 (off), 0 (neither). */
static int parse_tls(const char *s)
{
	static const char *const on[] = {"1", "yes", "true", "on"}, *const off[] = {"0", "no",
	                                                                            "false", "off"};

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, on[i]) == 0)
			return 1;
		if (strcasecmp(s, off[i]) == 0)
			return -1;
	}
	return 0;
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
	} else if (strcmp(key, "tls") == 0) {
		if ((s->tls = parse_tls(value)) == 0) {
			*why = "yes or no";
			return -1;
		}
	} else if (strcmp(key, "cacert") == 0) {
		free(s->cacert);
		s->cacert = expand_home(value);
	} else if (strcmp(key, "tls_server_name") == 0) {
		free(s->tls_server_name);
		s->tls_server_name = xstrdup(value);
	} else {
		*why = "unknown key (allowed: socket, host, port, user, password_file, colour, "
		       "tls, "
		       "cacert, tls_server_name)";
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
	if ((v = getenv("REPAIRCTL_TLS")) && *v && (s->tls = parse_tls(v)) == 0) {
		fprintf(stderr, "repairctl: REPAIRCTL_TLS \"%s\": 1 or 0\n", v);
		return EX_CONFIG;
	}
	if ((v = getenv("REPAIRCTL_CACERT")) && *v)
		s->cacert = xstrdup(v);
	if ((v = getenv("REPAIRCTL_TLS_SERVER_NAME")) && *v)
		s->tls_server_name = xstrdup(v);
	return settings_check(s, "the environment (REPAIRCTL_SOCKET, REPAIRCTL_HOST/PORT)",
	                      EX_CONFIG);
}
