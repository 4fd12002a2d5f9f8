/*
 * cli: the one table of repairctl's options (common and per subcommand), the
 * parsing of a command line against it, and the small pieces every
 * subcommand shares (usage errors, time arguments, printing an object).
 *
 * Each option is one row: its names, its argument, its help, and the field of
 * struct opts it sets. A subcommand names the options it takes (sc->opts);
 * getopt_long's table and the help text are both made from the rows.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repairctl.h"
#include "xmalloc.h"

enum opt_kind {
	K_STR,    /* a string */
	K_OPTSTR, /* a string whose argument may be left out: then "" */
	K_FLAG,   /* a bool */
	K_CHOICE, /* a string set to .value; two different choices exclude each other */
	K_UINT,   /* a positive number */
	K_PORT,   /* a TCP port, 1 to 65535 */
	K_MEMBER, /* a membership number */
	K_HELP,
	K_VERSION,
};

struct opt_def {
	const char *name;
	const char *alias; /* another spelling (center, program): accepted, not shown */
	char short_name;   /* 0: none */
	enum opt_kind kind;
	size_t field;      /* offsetof(struct opts, ...) */
	const char *value; /* K_CHOICE: what the field is set to */
	const char *arg;   /* the argument's name in help; NULL: none */
	bool common;       /* taken by every subcommand, before it or after */
	const char *help;  /* "\n" continues on the next help line */
	char fold;         /* 'U' upper case, 'l' lower case: ids and names typed in any case */
};

#define F(x) offsetof(struct opts, x)

static const struct opt_def opt_table[] = {
        {"socket", NULL, 's', K_STR, F(socket), NULL, "PATH", true,
         "repaird's unix socket (default " CTL_DEFAULT_SOCKET ")", 0},
        {"host", NULL, 'H', K_STR, F(host), NULL, "HOST", true,
         "connect over TCP instead (default port 7878); HA: a list\n"
         "HOST[:PORT],HOST[:PORT] is tried in turn, and a write\n"
         "a standby refuses goes to the leader it names",
         0},
        {"port", NULL, 'p', K_PORT, F(port), NULL, "PORT", true,
         "TCP port (default host 127.0.0.1)", 0},
        {"user", NULL, 'u', K_STR, F(user), NULL, "NAME", true,
         "AUTH as NAME; the password comes from --password-file\n"
         "or REPAIRCTL_PASSWORD, never from the command line",
         0},
        {"password-file", NULL, 0, K_STR, F(password_file), NULL, "FILE", true,
         "the first line of FILE is the password", 0},
        {"config", NULL, 0, K_STR, F(config), NULL, "FILE", true,
         "settings file (default ~/.config/repairctl.conf)", 0},
        {"tls", NULL, 0, K_FLAG, F(tls), NULL, NULL, true,
         "TCP with TLS (default port 7879); the certificate is\n"
         "checked against the host name or address",
         0},
        {"cacert", NULL, 0, K_STR, F(cacert), NULL, "FILE", true,
         "the CA that signed repaird's certificate (PEM)", 0},
        {"tls-server-name", NULL, 0, K_STR, F(tls_server_name), NULL, "NAME", true,
         "check the certificate for NAME instead", 0},
        {"json", NULL, 'j', K_FLAG, F(json), NULL, NULL, true,
         "JSON for scripts: one object or array, times in UTC", 0},
        {"no-color", "no-colour", 0, K_FLAG, F(no_colour), NULL, NULL, true,
         "no colour (also NO_COLOR=1; colour only on a terminal)", 0},
        {"help", NULL, 'h', K_HELP, 0, NULL, NULL, true, "this help", 0},
        {"version", NULL, 'V', K_VERSION, 0, NULL, NULL, false, "repairctl's version", 0},

        {"centre", "center", 0, K_STR, F(centre), NULL, "C", false,
         "a centre id (repairctl centres)", 'U'},
        {"product", NULL, 0, K_STR, F(product), NULL, "MODEL", false,
         "the model (repairctl products TEXT)", 0},
        {"serial", NULL, 0, K_STR, F(serial), NULL, "S", false,
         "the serial number (loan issue: the loan unit's)", 0},
        {"service", NULL, 0, K_STR, F(service), NULL, "SERVICE", false,
         "repair, maintenance or upgrade", 'l'},
        {"member", NULL, 0, K_MEMBER, F(member), NULL, "N", false, "a membership number", 0},
        {"registered", NULL, 0, K_FLAG, F(registered), NULL, NULL, false,
         "the product's registration is complete", 0},
        {"received", NULL, 0, K_OPTSTR, F(received), NULL, "[TIME]", false,
         "the item is here (default now): the clock runs", 0},
        {"unlisted", NULL, 0, K_FLAG, F(unlisted), NULL, NULL, false,
         "a model not in the catalogue, at standard service", 0},
        {"note", NULL, 0, K_STR, F(note), NULL, "TEXT", false, "a note for the history", 0},
        {"eta", NULL, 0, K_STR, F(eta), NULL, "TIME", false,
         "with awaiting_parts: when the parts are due", 0},
        {"at", NULL, 0, K_STR, F(at), NULL, "TIME", false, "when it happened (default now)", 0},
        {"tz", NULL, 0, K_STR, F(tz), NULL, "ZONE", false,
         "typed times are in ZONE (default: the centre's)", 0},
        {"state", NULL, 0, K_STR, F(state), NULL, "S", false, "only tickets in state S", 'l'},
        {"at-risk", NULL, 0, K_FLAG, F(at_risk), NULL, NULL, false, "only tickets at risk", 0},
        {"breached", NULL, 0, K_FLAG, F(breached), NULL, NULL, false,
         "only tickets past their deadline", 0},
        {"open", NULL, 0, K_CHOICE, F(scope), "OPEN", NULL, false, "open tickets (the default)", 0},
        {"closed", NULL, 0, K_CHOICE, F(scope), "CLOSED", NULL, false, "closed tickets", 0},
        {"all", NULL, 0, K_CHOICE, F(scope), "ALL", NULL, false, "open and closed tickets", 0},
        {"limit", NULL, 0, K_UINT, F(limit), NULL, "N", false, "at most N tickets", 0},
        {"tier", NULL, 0, K_STR, F(tier), NULL, "T", false, "the membership tier", 'l'},
        {"country", NULL, 0, K_STR, F(country), NULL, "CC", false, "the member's country", 'U'},
        {"programme", "program", 0, K_STR, F(programme), NULL, "P", false, "free or subscription",
         'l'},
        {"expires", NULL, 0, K_STR, F(expires), NULL, "YYYY-MM-DD", false,
         "the membership's last day", 0},
        {"name", NULL, 0, K_STR, F(name), NULL, "TEXT", false, "the member's name", 0},
        {"since", NULL, 0, K_STR, F(since), NULL, "YYYY-MM-DD", false, "from this day on", 0},
        {"until", NULL, 0, K_STR, F(until), NULL, "YYYY-MM-DD", false, "up to this day", 0},
        {"match", NULL, 0, K_STR, F(match), NULL, "TEXT", false,
         "names that contain TEXT (any case)", 0},
        {"class", NULL, 0, K_STR, F(cls), NULL, "CLASS", false, "body, lens, video, flash or other",
         'l'},
        {"fast-track", NULL, 0, K_FLAG, F(fast_track), NULL, NULL, false, "only Fast Track models",
         0},
        {"interval", NULL, 0, K_UINT, F(interval), NULL, "S", false,
         "seconds between refreshes (default 10)", 0},
};
#define NOPTS    (sizeof opt_table / sizeof opt_table[0])
#define VAL_BASE 256 /* getopt values of long-only options: VAL_BASE + row */

int usage_error(const struct subcmd *sc, const char *fmt, ...)
{
	va_list ap;

	fputs("repairctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (sc) {
		fprintf(stderr, "usage: repairctl %s\n", sc->synopsis);
		fprintf(stderr, "Try 'repairctl %s%s%s --help'.\n", sc->noun, sc->verb ? " " : "",
		        sc->verb ? sc->verb : "");
	} else {
		fprintf(stderr, "Try 'repairctl --help'.\n");
	}
	return EX_USAGE;
}

/* Is the word `name` in the space-separated list? */
static bool in_words(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, " ");
		if (k == n && strncmp(p, name, n) == 0)
			return true;
		p += k;
		p += strspn(p, " ");
	}
	return false;
}

/* Does sc (NULL: before any subcommand) take row d? */
static bool takes(const struct subcmd *sc, const struct opt_def *d)
{
	if (d->common)
		return true;
	if (sc == NULL)
		return d->kind == K_VERSION;
	return d->kind != K_VERSION && in_words(sc->opts, d->name);
}

static void help_line(FILE *f, const struct opt_def *d)
{
	char head[64];
	const char *h = d->help;
	int n;

	n = snprintf(head, sizeof head, "  %c%c%s--%s%s%s", d->short_name ? '-' : ' ',
	             d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ", d->name,
	             d->arg ? " " : "", d->arg ? d->arg : "");
	fprintf(f, "%-*s ", n < 27 ? 27 : n, head);
	while (*h) {
		size_t k = strcspn(h, "\n");
		fprintf(f, "%.*s\n", (int)k, h);
		h += k;
		if (*h == '\n' && *++h)
			fprintf(f, "%28s", "");
	}
}

void cli_common_help(FILE *f)
{
	fprintf(f, "Common options (before or after the subcommand):\n");
	for (size_t i = 0; i < NOPTS; i++)
		if (opt_table[i].common)
			help_line(f, &opt_table[i]);
}

void cli_print_help(const struct subcmd *sc)
{
	bool any = false;

	printf("usage: repairctl %s\n\n%s\n", sc->synopsis, sc->help);
	for (size_t i = 0; i < NOPTS; i++) {
		if (opt_table[i].common || !takes(sc, &opt_table[i]))
			continue;
		if (!any)
			printf("Options:\n");
		any = true;
		help_line(stdout, &opt_table[i]);
	}
	if (any)
		putchar('\n');
	cli_common_help(stdout);
}

/* Set the field of row d from arg: 0, or EX_USAGE after a message. */
static int apply(struct ctl *c, const struct subcmd *sc, const struct opt_def *d, char *arg)
{
	char *field = (char *)&c->o + d->field;
	const char **str = (const char **)(void *)field;
	uint64_t *num = (uint64_t *)(void *)field;

	if (arg && d->fold)
		str_fold(arg, d->fold == 'U');
	switch (d->kind) {
	case K_STR:
		*str = arg;
		break;
	case K_OPTSTR:
		*str = arg ? arg : "";
		break;
	case K_FLAG:
		*(bool *)(void *)field = true;
		break;
	case K_CHOICE:
		if (*str && strcmp(*str, d->value) != 0) {
			const struct opt_def *other = opt_table;
			while (other->kind != K_CHOICE || other->field != d->field ||
			       strcmp(other->value, *str) != 0)
				other++;
			return usage_error(sc, "--%s and --%s exclude each other", other->name,
			                   d->name);
		}
		*str = d->value;
		break;
	case K_UINT:
		if (arg_uint(arg, num) < 0)
			return usage_error(sc, "--%s \"%s\": a positive number", d->name, arg);
		break;
	case K_PORT:
		if (arg_uint(arg, num) < 0 || *num > 65535)
			return usage_error(sc, "--%s \"%s\": a TCP port, 1 to 65535", d->name, arg);
		break;
	case K_MEMBER:
		if (cli_member_number(sc, arg) != 0)
			return EX_USAGE;
		*str = arg;
		break;
	case K_HELP:
	case K_VERSION:
		break;
	}
	return 0;
}

int cli_ticket_id(const struct subcmd *sc, const char *s)
{
	uint64_t v;

	if (arg_uint(s, &v) == 0)
		return 0;
	return usage_error(
	        sc, "ticket \"%s\": a ticket number such as 42 (see: repairctl ticket list)", s);
}

int cli_member_number(const struct subcmd *sc, const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n >= 1 && n <= 12 && s[n] == '\0')
		return 0;
	return usage_error(sc, "member \"%s\": a membership number, 1 to 12 digits", s);
}

/*
 * getopt_long would take `--password x` as an abbreviation of --password-file:
 * say plainly that a password is never an argument (ps shows arguments).
 */
static int refuse_password(const struct subcmd *sc, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--password") == 0 || strncmp(argv[i], "--password=", 11) == 0)
			return usage_error(sc, "a password is never on the command line: use "
			                       "--password-file FILE or REPAIRCTL_PASSWORD");
	return 0;
}

/* A subcommand that names an option the table lacks is the program's error: say so loudly. */
static void opts_check(const struct subcmd *sc)
{
	for (const char *p = sc ? sc->opts : NULL; p && *p;) {
		size_t k = strcspn(p, " "), i = 0;
		while (i < NOPTS &&
		       !(strlen(opt_table[i].name) == k && strncmp(opt_table[i].name, p, k) == 0))
			i++;
		if (i == NOPTS)
			fatalx("repairctl %s%s%s: no option \"%.*s\" in the table", sc->noun,
			       sc->verb ? " " : "", sc->verb ? sc->verb : "", (int)k, p);
		p += k;
		p += strspn(p, " ");
	}
}

/* getopt_long's table and short option string for what sc takes. */
static struct option *getopt_table(const struct subcmd *sc, char *shorts, size_t len)
{
	struct option *all = xcalloc(2 * NOPTS + 1, sizeof *all);
	size_t n = 0, k;

	k = (size_t)snprintf(shorts, len, "%s:", sc ? "" : "+");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt_def *d = &opt_table[i];
		int has = d->kind == K_OPTSTR                         ? optional_argument
		          : d->kind == K_FLAG || d->kind == K_CHOICE  ? no_argument
		          : d->kind == K_HELP || d->kind == K_VERSION ? no_argument
		                                                      : required_argument;
		int val = d->short_name ? d->short_name : VAL_BASE + (int)i;

		if (!takes(sc, d))
			continue;
		all[n++] = (struct option){d->name, has, NULL, val};
		if (d->alias)
			all[n++] = (struct option){d->alias, has, NULL, val};
		if (d->short_name && k + 3 < len) {
			shorts[k++] = d->short_name;
			if (has == required_argument)
				shorts[k++] = ':';
			shorts[k] = '\0';
		}
	}
	return all;
}

static const struct opt_def *row_of(const struct subcmd *sc, int code)
{
	if (code >= VAL_BASE && code < VAL_BASE + (int)NOPTS)
		return &opt_table[code - VAL_BASE];
	for (size_t i = 0; i < NOPTS; i++)
		if (opt_table[i].short_name == code && takes(sc, &opt_table[i]))
			return &opt_table[i];
	return NULL;
}

/* The getopt_long loop, for main (sc NULL) and for subcommands. 0, HELP_SHOWN, or a code. */
static int parse_opts(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	char shorts[64];
	struct option *all;
	int code, rc;

	if ((rc = refuse_password(sc, argc, argv)) != 0)
		return rc;
	opts_check(sc);
	all = getopt_table(sc, shorts, sizeof shorts);
	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while (rc == 0 && (code = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		const struct opt_def *d = row_of(sc, code);

		if (code == '?')
			rc = optopt ? usage_error(sc, "unknown option '-%c'", optopt)
			            : usage_error(sc, "unknown option '%s'", argv[optind - 1]);
		else if (code == ':')
			rc = usage_error(sc, "option '%s' needs a value", argv[optind - 1]);
		else if (d == NULL)
			rc = usage_error(sc, "bad option");
		else if (d->kind == K_HELP && sc)
			cli_print_help(sc), rc = HELP_SHOWN;
		else if (d->kind == K_HELP)
			rc = CLI_MAIN_HELP;
		else if (d->kind == K_VERSION)
			rc = CLI_VERSION;
		else
			rc = apply(c, sc, d, optarg);
	}
	free(all);
	return rc;
}

int cli_parse_global(struct ctl *c, int argc, char **argv, int *first)
{
	int rc = parse_opts(c, NULL, argc, argv);

	*first = optind;
	return rc;
}

static void set_str(char **slot, const char *v)
{
	if (v == NULL)
		return;
	free(*slot);
	*slot = xstrdup(v);
}

/* File, then environment, then command line; then whether to colour. */
static int finish_settings(struct ctl *c)
{
	struct ctl_settings file = {.colour = -1}, env = {.colour = -1};
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	int rc;

	set_str(&c->cmdline.socket, c->o.socket);
	set_str(&c->cmdline.host, c->o.host);
	set_str(&c->cmdline.user, c->o.user);
	set_str(&c->cmdline.password_file, c->o.password_file);
	set_str(&c->cmdline.cacert, c->o.cacert);
	set_str(&c->cmdline.tls_server_name, c->o.tls_server_name);
	c->cmdline.port = (int)c->o.port;
	c->cmdline.tls = c->o.tls ? 1 : 0;
	c->json = c->o.json;
	if ((rc = settings_check(&c->cmdline, "the command line", EX_USAGE)) != 0 ||
	    (rc = settings_from_file(&file, c->o.config)) != 0 ||
	    (rc = settings_from_env(&env)) != 0) {
		settings_free(&file);
		settings_free(&env);
		return rc;
	}
	settings_merge(&c->set, &file);
	settings_merge(&c->set, &env);
	settings_merge(&c->set, &c->cmdline);
	settings_free(&file);
	settings_free(&env);
	if (c->json || c->o.no_colour || (nc && *nc) || c->set.colour == COLOUR_NEVER)
		c->colour = false;
	else if (c->set.colour == COLOUR_ALWAYS)
		c->colour = true;
	else
		c->colour = isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
	return 0;
}

int cli_parse(struct ctl *c, const struct subcmd *sc, int argc, char **argv, int min, int max,
              int *first)
{
	int rc, n;

	if ((rc = parse_opts(c, sc, argc, argv)) != 0 || (rc = finish_settings(c)) != 0)
		return rc;
	*first = optind;
	n = argc - optind;
	if (n < min)
		return usage_error(sc, "missing %s", min - n == 1 ? "an argument" : "arguments");
	if (n > max)
		return usage_error(sc, "too many arguments");
	return 0;
}

int cli_parse_one(struct ctl *c, const struct subcmd *sc, int argc, char **argv,
                  int (*check)(const struct subcmd *, const char *), int *first)
{
	int rc = cli_parse(c, sc, argc, argv, 1, 1, first);

	return rc != 0 ? rc : check(sc, argv[*first]);
}

int cli_time(struct ctl *c, const struct subcmd *sc, const char *opt, const char *s, const char *tz,
             char out[21])
{
	if (c->o.tz && !fmt_tz_known(c->o.tz))
		return usage_error(sc,
		                   "--tz \"%s\": not a timezone this machine knows (e.g. "
		                   "Europe/Berlin, America/New_York, UTC)",
		                   c->o.tz);
	if (arg_time_in(s, c->o.tz ? c->o.tz : tz, out) == 0)
		return 0;
	return usage_error(sc,
	                   "%s \"%s\": a time like 2026-11-23T09:30:00Z, "
	                   "2026-11-23T10:30:00+01:00, NOW, or the centre's local time "
	                   "2026-11-23 10:30",
	                   opt, s);
}
