/*
 * repairctl: the service-centre workstation client of repaird (PROTOCOL.md).
 * main, options and one function per subcommand; see repairctl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "repairctl.h"
#include "xmalloc.h"

#ifndef REPAIRD_VERSION
#define REPAIRD_VERSION "unknown"
#endif

#define HELP_SHOWN    (-1) /* --help was printed: exit 0 */
#define LIST_PAGE     1000 /* TICKET.LIST page size (repaird allows up to 10000) */
#define IMPORT_WINDOW 256  /* MEMBER.SETs in flight during an import */

struct subcmd;
typedef int (*run_fn)(struct ctl *c, const struct subcmd *sc, int argc, char **argv);

struct subcmd {
	const char *noun;
	const char *verb; /* NULL: the noun is the whole command */
	run_fn run;
	const char *arg; /* a fixed argument: the state of a `ticket receive`-style shortcut */
	const char *synopsis;
	const char *help;
};

/* ---- options shared by every subcommand ---------------------------------------- */

enum {
	OPT_PASSWORD_FILE = 300,
	OPT_NO_COLOUR,
	OPT_CONFIG,
	OPT_TLS,
	OPT_CACERT,
	OPT_TLS_SERVER_NAME,
	OPT_OWN = 1000, /* a subcommand's own options count up from here */
};

static const struct option common_opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"tls", no_argument, NULL, OPT_TLS},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME},
        {"json", no_argument, NULL, 'j'},
        {"no-color", no_argument, NULL, OPT_NO_COLOUR},
        {"no-colour", no_argument, NULL, OPT_NO_COLOUR},
        {"help", no_argument, NULL, 'h'},
};
#define NCOMMON (sizeof common_opts / sizeof common_opts[0])

static const char common_help[] =
        "Common options (before or after the subcommand):\n"
        "  -s, --socket PATH        repaird's unix socket (default " CTL_DEFAULT_SOCKET ")\n"
        "  -H, --host HOST          connect over TCP instead (default port 7878)\n"
        "  -p, --port PORT          TCP port (default host 127.0.0.1)\n"
        "  -u, --user NAME          AUTH as NAME; the password comes from --password-file\n"
        "                           or REPAIRCTL_PASSWORD, never from the command line\n"
        "      --password-file FILE the first line of FILE is the password\n"
        "      --config FILE        settings file (default ~/.config/repairctl.conf)\n"
        "      --tls                TCP with TLS (default port 7879); the certificate is\n"
        "                           checked against the host name or address\n"
        "      --cacert FILE        the CA that signed repaird's certificate (PEM)\n"
        "      --tls-server-name NAME  check the certificate for NAME instead\n"
        "  -j, --json               JSON for scripts: one object or array, times in UTC\n"
        "      --no-color           no colour (also NO_COLOR=1; colour only on a terminal)\n"
        "  -h, --help               this help\n";

static int usage_error(const struct subcmd *sc, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int usage_error(const struct subcmd *sc, const char *fmt, ...)
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

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* 0 when handled, 1 when code is not a common option, or an exit code. */
static int common_opt(struct ctl *c, const struct subcmd *sc, int code, const char *arg)
{
	char *end;
	long port;

	switch (code) {
	case 's':
		set_str(&c->cmdline.socket, arg);
		return 0;
	case 'H':
		set_str(&c->cmdline.host, arg);
		return 0;
	case 'p':
		port = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || port < 1 || port > 65535)
			return usage_error(sc, "--port \"%s\": a TCP port, 1 to 65535", arg);
		c->cmdline.port = (int)port;
		return 0;
	case 'u':
		set_str(&c->cmdline.user, arg);
		return 0;
	case OPT_PASSWORD_FILE:
		set_str(&c->cmdline.password_file, arg);
		return 0;
	case OPT_CONFIG:
		c->config_path = arg;
		return 0;
	case OPT_TLS:
		c->cmdline.tls = 1;
		return 0;
	case OPT_CACERT:
		set_str(&c->cmdline.cacert, arg);
		return 0;
	case OPT_TLS_SERVER_NAME:
		set_str(&c->cmdline.tls_server_name, arg);
		return 0;
	case 'j':
		c->json = true;
		return 0;
	case OPT_NO_COLOUR:
		c->no_colour = true;
		return 0;
	default:
		return 1;
	}
}

/* File, then environment, then command line; then whether to colour. */
static int finish_settings(struct ctl *c)
{
	struct ctl_settings file = {.colour = -1}, env = {.colour = -1};
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	int rc;

	if ((rc = settings_check(&c->cmdline, "the command line", EX_USAGE)) != 0 ||
	    (rc = settings_from_file(&file, c->config_path)) != 0 ||
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
	if (c->json || c->no_colour || (nc && *nc) || c->set.colour == COLOUR_NEVER)
		c->colour = false;
	else if (c->set.colour == COLOUR_ALWAYS)
		c->colour = true;
	else
		c->colour = isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
	return 0;
}

static void print_help(const struct subcmd *sc)
{
	printf("usage: repairctl %s\n\n%s\n%s", sc->synopsis, sc->help, common_help);
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

typedef int (*opt_fn)(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg);

/*
 * getopt_long over a subcommand's own options (codes from OPT_OWN) and the
 * common ones; options and operands may be mixed. On success *first is the
 * index of the first operand. Returns 0, HELP_SHOWN, or an exit code.
 */
static int parse(struct ctl *c, const struct subcmd *sc, int argc, char **argv,
                 const struct option *own, opt_fn fn, void *st, int *first)
{
	size_t nown = 0;
	struct option *all;
	int code, rc = 0;

	if ((rc = refuse_password(sc, argc, argv)) != 0)
		return rc;
	while (own && own[nown].name)
		nown++;
	all = xcalloc(nown + NCOMMON + 1, sizeof *all);
	if (nown)
		memcpy(all, own, nown * sizeof *all);
	memcpy(all + nown, common_opts, sizeof common_opts);
	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while (rc == 0 && (code = getopt_long(argc, argv, ":s:H:p:u:jh", all, NULL)) != -1) {
		if (code == 'h') {
			print_help(sc);
			rc = HELP_SHOWN;
		} else if (code == '?') {
			rc = optopt ? usage_error(sc, "unknown option '-%c'", optopt)
			            : usage_error(sc, "unknown option '%s'", argv[optind - 1]);
		} else if (code == ':') {
			rc = usage_error(sc, "option '%s' needs a value", argv[optind - 1]);
		} else if ((rc = common_opt(c, sc, code, optarg)) == 1) {
			rc = fn ? fn(c, sc, st, code, optarg) : usage_error(sc, "bad option");
		}
	}
	free(all);
	if (rc != 0)
		return rc;
	*first = optind;
	return finish_settings(c);
}

static int operands(const struct subcmd *sc, int argc, int first, int min, int max)
{
	int n = argc - first;

	if (n < min)
		return usage_error(sc, "missing %s", min - n == 1 ? "an argument" : "arguments");
	if (n > max)
		return usage_error(sc, "too many arguments");
	return 0;
}

static int time_arg(const struct subcmd *sc, const char *opt, const char *s, char out[21])
{
	if (arg_time(s, out) == 0)
		return 0;
	return usage_error(sc,
	                   "%s \"%s\": a time like 2026-11-23T09:30:00Z, "
	                   "2026-11-23T10:30:00+01:00, NOW, or local time 2026-11-23 10:30",
	                   opt, s);
}

/* ---- output of replies ----------------------------------------------------------- */

static int print_object(struct ctl *c, const redisReply *r, enum ctl_object kind, const char *what)
{
	struct sbuf b;

	if (!reply_is_pairs(r))
		return ctl_unexpected(what, r);
	if (!c->json) {
		if (kind == OBJ_TICKET)
			show_ticket(c, r);
		else if (kind == OBJ_MEMBER)
			show_member(c, r);
		else
			show_pairs(c, r, kind);
		return 0;
	}
	sbuf_init(&b);
	json_object(&b, r, kind);
	out_flush(&b);
	sbuf_free(&b);
	return 0;
}

/* Run a command whose reply is one object, and print it. */
static int call_print(struct ctl *c, struct args *a, enum ctl_object kind)
{
	redisReply *r;
	int rc = ctl_call(c, a, &r);

	if (rc == 0) {
		rc = print_object(c, r, kind, a->v[0]);
		freeReplyObject(r);
	}
	args_free(a);
	return rc;
}

/* ---- ticket ---------------------------------------------------------------------- */

struct open_opts {
	const char *centre, *product, *serial, *service, *member, *note, *received_at;
	bool registered, received, unlisted;
};

enum {
	O_CENTRE = OPT_OWN,
	O_PRODUCT,
	O_SERIAL,
	O_SERVICE,
	O_MEMBER,
	O_REGISTERED,
	O_RECEIVED,
	O_UNLISTED,
	O_NOTE,
	O_ETA,
	O_AT,
	O_STATE,
	O_ATRISK,
	O_BREACHED,
	O_ALL,
	O_CLOSED,
	O_OPEN,
	O_LIMIT,
	O_TIER,
	O_COUNTRY,
	O_PROGRAMME,
	O_EXPIRES,
	O_NAME,
	O_SINCE,
	O_UNTIL,
	O_MATCH,
	O_CLASS,
	O_FASTTRACK
};

static int open_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct open_opts *o = st;

	(void)c;
	switch (code) {
	case O_CENTRE:
		o->centre = arg;
		break;
	case O_PRODUCT:
		o->product = arg;
		break;
	case O_SERIAL:
		o->serial = arg;
		break;
	case O_SERVICE:
		o->service = arg;
		break;
	case O_MEMBER:
		o->member = arg;
		break;
	case O_REGISTERED:
		o->registered = true;
		break;
	case O_RECEIVED:
		o->received = true;
		o->received_at = arg;
		break;
	case O_UNLISTED:
		o->unlisted = true;
		break;
	case O_NOTE:
		o->note = arg;
		break;
	default:
		return usage_error(sc, "bad option");
	}
	return 0;
}

static int ticket_open(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"centre", required_argument, NULL, O_CENTRE},
	                                    {"center", required_argument, NULL, O_CENTRE},
	                                    {"product", required_argument, NULL, O_PRODUCT},
	                                    {"serial", required_argument, NULL, O_SERIAL},
	                                    {"service", required_argument, NULL, O_SERVICE},
	                                    {"member", required_argument, NULL, O_MEMBER},
	                                    {"registered", no_argument, NULL, O_REGISTERED},
	                                    {"received", optional_argument, NULL, O_RECEIVED},
	                                    {"unlisted", no_argument, NULL, O_UNLISTED},
	                                    {"note", required_argument, NULL, O_NOTE},
	                                    {NULL, 0, NULL, 0}};
	struct open_opts o = {0};
	char when[21];
	struct args a;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, own, open_opt, &o, &first)) != 0)
		return rc;
	/* `--received TIME` as two words: the only operand ticket open can have. */
	if (o.received && o.received_at == NULL && argc - first == 1)
		o.received_at = argv[first++];
	if ((rc = operands(sc, argc, first, 0, 0)) != 0)
		return rc;
	if (!o.centre || !o.product || !o.serial || !o.service)
		return usage_error(sc, "ticket open needs %s",
		                   !o.centre    ? "--centre"
		                   : !o.product ? "--product"
		                   : !o.serial  ? "--serial"
		                                : "--service");
	if (o.received &&
	    time_arg(sc, "--received", o.received_at ? o.received_at : "NOW", when) != 0)
		return EX_USAGE;
	args_init(&a, "TICKET.OPEN");
	args_add2(&a, "CENTRE", o.centre);
	args_add2(&a, "PRODUCT", o.product);
	args_add2(&a, "SERIAL", o.serial);
	args_add2(&a, "SERVICE", o.service);
	if (o.member)
		args_add2(&a, "MEMBER", o.member);
	args_add2(&a, "REGISTERED", o.registered ? "yes" : "no");
	if (o.received)
		args_add2(&a, "RECEIVED", when);
	if (o.unlisted)
		args_add(&a, "UNLISTED");
	if (o.note)
		args_add2(&a, "NOTE", o.note);
	return call_print(c, &a, OBJ_TICKET);
}

static int ticket_show(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	args_init(&a, "TICKET.GET");
	args_add(&a, argv[first]);
	return call_print(c, &a, OBJ_TICKET);
}

static int history_json(const redisReply *h)
{
	static const char *const keys[] = {"at", "who", "what", "detail"};
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "[");
	for (size_t i = 0; i < h->elements; i++) {
		const redisReply *e = h->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 4) {
			sbuf_free(&b);
			return ctl_unexpected("TICKET.HISTORY", e);
		}
		sbuf_adds(&b, i ? ",\n  {" : "\n  {");
		for (size_t k = 0; k < 4; k++) {
			sbuf_printf(&b, "%s\"%s\": ", k ? ", " : "", keys[k]);
			json_add_value(&b, JSON_STRING,
			               e->element[k]->str ? e->element[k]->str : "",
			               e->element[k]->str ? e->element[k]->len : 0);
		}
		sbuf_adds(&b, "}");
	}
	sbuf_adds(&b, h->elements ? "\n]" : "]");
	out_flush(&b);
	sbuf_free(&b);
	return 0;
}

static int ticket_history(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args get, hist;
	redisReply *t = NULL, *h = NULL;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	/* The ticket names its centre, whose zone the times are shown in: one round trip. */
	args_init(&get, "TICKET.GET");
	args_add(&get, argv[first]);
	args_init(&hist, "TICKET.HISTORY");
	args_add(&hist, argv[first]);
	if ((rc = ctl_append(c, &get)) == 0 && (rc = ctl_append(c, &hist)) == 0 &&
	    (rc = ctl_read(c, &t)) == 0 && (rc = ctl_read(c, &h)) == 0) {
		if (h->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, h);
		else if (h->type != REDIS_REPLY_ARRAY)
			rc = ctl_unexpected("TICKET.HISTORY", h);
		else if (c->json)
			rc = history_json(h);
		else
			show_history(c, t->type == REDIS_REPLY_ARRAY ? t : NULL, h);
	}
	if (t)
		freeReplyObject(t);
	if (h)
		freeReplyObject(h);
	args_free(&get);
	args_free(&hist);
	return rc;
}

struct move_opts {
	const char *eta, *note, *at;
};

static int move_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct move_opts *o = st;

	(void)c;
	if (code == O_ETA)
		o->eta = arg;
	else if (code == O_NOTE)
		o->note = arg;
	else if (code == O_AT)
		o->at = arg;
	else
		return usage_error(sc, "bad option");
	return 0;
}

/* ticket move ID STATE, and the shortcuts that fix the state (sc->arg). */
static int ticket_move(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"eta", required_argument, NULL, O_ETA},
	                                    {"note", required_argument, NULL, O_NOTE},
	                                    {"at", required_argument, NULL, O_AT},
	                                    {NULL, 0, NULL, 0}};
	static const struct option own_short[] = {{"note", required_argument, NULL, O_NOTE},
	                                          {"at", required_argument, NULL, O_AT},
	                                          {NULL, 0, NULL, 0}};
	struct move_opts o = {0};
	char eta[21], at[21];
	struct args a;
	int rc, first, nops = sc->arg ? 1 : 2;

	if ((rc = parse(c, sc, argc, argv, sc->arg ? own_short : own, move_opt, &o, &first)) != 0 ||
	    (rc = operands(sc, argc, first, nops, nops)) != 0)
		return rc;
	if ((o.eta && time_arg(sc, "--eta", o.eta, eta) != 0) ||
	    (o.at && time_arg(sc, "--at", o.at, at) != 0))
		return EX_USAGE;
	args_init(&a, "TICKET.MOVE");
	args_add(&a, argv[first]);
	args_add(&a, sc->arg ? sc->arg : argv[first + 1]);
	if (o.at)
		args_add2(&a, "AT", at);
	if (o.eta)
		args_add2(&a, "ETA", eta);
	if (o.note)
		args_add2(&a, "NOTE", o.note);
	return call_print(c, &a, OBJ_TICKET);
}

struct list_opts {
	const char *centre, *member, *state;
	bool at_risk, breached;
	const char *scope; /* OPEN, CLOSED, ALL */
	uint64_t limit;    /* 0: all */
};

static int list_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct list_opts *o = st;
	const char *scope = NULL;

	(void)c;
	switch (code) {
	case O_CENTRE:
		o->centre = arg;
		break;
	case O_MEMBER:
		o->member = arg;
		break;
	case O_STATE:
		o->state = arg;
		break;
	case O_ATRISK:
		o->at_risk = true;
		break;
	case O_BREACHED:
		o->breached = true;
		break;
	case O_ALL:
		scope = "ALL";
		break;
	case O_CLOSED:
		scope = "CLOSED";
		break;
	case O_OPEN:
		scope = "OPEN";
		break;
	case O_LIMIT:
		if (arg_uint(arg, &o->limit) < 0)
			return usage_error(sc, "--limit \"%s\": a positive number", arg);
		break;
	default:
		return usage_error(sc, "bad option");
	}
	if (scope) {
		if (o->scope && strcmp(o->scope, scope) != 0)
			return usage_error(sc, "--open, --closed and --all exclude each other");
		o->scope = scope;
	}
	return 0;
}

static void list_json(redisReply *const *t, size_t n)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "[");
	for (size_t i = 0; i < n; i++) {
		sbuf_adds(&b, i ? ",\n  " : "\n  ");
		json_object(&b, t[i], OBJ_TICKET);
	}
	sbuf_adds(&b, n ? "\n]" : "]");
	out_flush(&b);
	sbuf_free(&b);
}

static int ticket_list(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"centre", required_argument, NULL, O_CENTRE},
	                                    {"center", required_argument, NULL, O_CENTRE},
	                                    {"member", required_argument, NULL, O_MEMBER},
	                                    {"state", required_argument, NULL, O_STATE},
	                                    {"at-risk", no_argument, NULL, O_ATRISK},
	                                    {"breached", no_argument, NULL, O_BREACHED},
	                                    {"all", no_argument, NULL, O_ALL},
	                                    {"closed", no_argument, NULL, O_CLOSED},
	                                    {"open", no_argument, NULL, O_OPEN},
	                                    {"limit", required_argument, NULL, O_LIMIT},
	                                    {NULL, 0, NULL, 0}};
	struct list_opts o = {0};
	redisReply **pages = NULL, **tickets = NULL;
	size_t npages = 0, n = 0;
	char after[24] = "0", count[24];
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, own, list_opt, &o, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 0)) != 0)
		return rc;
	/* Page through with AFTER until the list or --limit ends. */
	for (;;) {
		uint64_t want = o.limit ? o.limit - n : LIST_PAGE;
		struct args a;
		redisReply *r;

		if (want > LIST_PAGE)
			want = LIST_PAGE;
		snprintf(count, sizeof count, "%llu", (unsigned long long)want);
		args_init(&a, "TICKET.LIST");
		if (o.centre)
			args_add2(&a, "CENTRE", o.centre);
		if (o.member)
			args_add2(&a, "MEMBER", o.member);
		if (o.state)
			args_add2(&a, "STATE", o.state);
		if (o.scope)
			args_add(&a, o.scope);
		if (o.at_risk)
			args_add(&a, "ATRISK");
		if (o.breached)
			args_add(&a, "BREACHED");
		args_add2(&a, "AFTER", after);
		args_add2(&a, "COUNT", count);
		rc = ctl_call(c, &a, &r);
		args_free(&a);
		if (rc != 0)
			break;
		if (r->type != REDIS_REPLY_ARRAY) {
			rc = ctl_unexpected("TICKET.LIST", r);
			freeReplyObject(r);
			break;
		}
		pages = xreallocarray(pages, npages + 1, sizeof *pages);
		pages[npages++] = r;
		tickets = xreallocarray(tickets, n + r->elements + 1, sizeof *tickets);
		for (size_t i = 0; i < r->elements; i++)
			tickets[n++] = r->element[i];
		if (r->elements < want || (o.limit && n >= o.limit) || r->elements == 0)
			break;
		snprintf(after, sizeof after, "%s", reply_field(tickets[n - 1], "id"));
	}
	if (rc == 0) {
		if (c->json)
			list_json(tickets, n);
		else if (n == 0)
			fprintf(stderr, "repairctl: no tickets match\n");
		else
			show_ticket_table(c, tickets, n);
	}
	for (size_t i = 0; i < npages; i++)
		freeReplyObject(pages[i]);
	free(pages);
	free(tickets);
	return rc;
}

/* ---- member ---------------------------------------------------------------------- */

struct member_opts {
	const char *tier, *country, *programme, *expires, *name;
};

static int member_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct member_opts *o = st;

	(void)c;
	switch (code) {
	case O_TIER:
		o->tier = arg;
		break;
	case O_COUNTRY:
		o->country = arg;
		break;
	case O_PROGRAMME:
		o->programme = arg;
		break;
	case O_EXPIRES:
		o->expires = arg;
		break;
	case O_NAME:
		o->name = arg;
		break;
	default:
		return usage_error(sc, "bad option");
	}
	return 0;
}

static void member_set_args(struct args *a, const char *number, const struct member_opts *o)
{
	args_init(a, "MEMBER.SET");
	args_add(a, number);
	args_add2(a, "TIER", o->tier);
	args_add2(a, "COUNTRY", o->country);
	if (o->programme && *o->programme)
		args_add2(a, "PROGRAMME", o->programme);
	if (o->expires && *o->expires)
		args_add2(a, "EXPIRES", o->expires);
	if (o->name && *o->name)
		args_add2(a, "NAME", o->name);
}

static int member_set(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"tier", required_argument, NULL, O_TIER},
	                                    {"country", required_argument, NULL, O_COUNTRY},
	                                    {"programme", required_argument, NULL, O_PROGRAMME},
	                                    {"program", required_argument, NULL, O_PROGRAMME},
	                                    {"expires", required_argument, NULL, O_EXPIRES},
	                                    {"name", required_argument, NULL, O_NAME},
	                                    {NULL, 0, NULL, 0}};
	struct member_opts o = {0};
	struct args set, get;
	redisReply *s = NULL, *g = NULL;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, own, member_opt, &o, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	if (!o.tier || !o.country)
		return usage_error(sc, "member set needs %s", o.tier ? "--country" : "--tier");
	/* Set, then read back what repaird made of it (effective tier, programme). */
	member_set_args(&set, argv[first], &o);
	args_init(&get, "MEMBER.GET");
	args_add(&get, argv[first]);
	if ((rc = ctl_append(c, &set)) == 0 && (rc = ctl_append(c, &get)) == 0 &&
	    (rc = ctl_read(c, &s)) == 0 && (rc = ctl_read(c, &g)) == 0) {
		if (s->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, s);
		else if (g->type == REDIS_REPLY_ERROR)
			rc = ctl_error(c, g);
		else
			rc = print_object(c, g, OBJ_MEMBER, "MEMBER.GET");
	}
	if (s)
		freeReplyObject(s);
	if (g)
		freeReplyObject(g);
	args_free(&set);
	args_free(&get);
	return rc;
}

static int member_show(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	args_init(&a, "MEMBER.GET");
	args_add(&a, argv[first]);
	return call_print(c, &a, OBJ_MEMBER);
}

static int member_delete(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	redisReply *r;
	struct sbuf b;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	args_init(&a, "MEMBER.DEL");
	args_add(&a, argv[first]);
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_INTEGER) {
		rc = ctl_unexpected("MEMBER.DEL", r);
	} else if (c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "{\"number\": ");
		json_add_string(&b, argv[first], strlen(argv[first]));
		sbuf_printf(&b, ", \"deleted\": %s}", r->integer ? "true" : "false");
		out_flush(&b);
		sbuf_free(&b);
	} else if (r->integer) {
		printf("member %s deleted (open tickets keep their snapshot)\n", argv[first]);
	}
	if (rc == 0 && r->integer == 0) {
		fprintf(stderr, "repairctl: member %s: no such member\n", argv[first]);
		rc = EX_DATAERR;
	}
	freeReplyObject(r);
	return rc;
}

/* ---- member import ------------------------------------------------------------------ */

enum { COL_NUMBER, COL_TIER, COL_COUNTRY, COL_PROGRAMME, COL_EXPIRES, COL_NAME, NCOLS };

static const char *const col_names[NCOLS] = {"number",    "tier",    "country",
                                             "programme", "expires", "name"};

struct import {
	struct ctl *c;
	const char *file;
	int col[NCOLS]; /* field index of each column, -1 when absent */
	int nfields;    /* fields a row may have */
	/*
	 * Rows in file order since the last drain: the line of a MEMBER.SET in
	 * flight, or of a row refused here (with why), so that every bad row is
	 * reported in line order.
	 */
	struct pending {
		unsigned long line;
		char *refused;
	} * pending;
	size_t npending;
	unsigned long rows, imported, bad;
	int fatal; /* first exit code that is worse than a bad row */
	bool progress;
	int64_t progress_ms; /* when the progress line was last written */
	struct sbuf errors;  /* JSON array elements */
};

static void import_progress(struct import *im, bool done)
{
	struct timespec now;
	int64_t ms;

	if (!im->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (done)
		fputs("\r\033[K", stderr);
	else if (ms - im->progress_ms < 100)
		return; /* ten updates a second are plenty */
	else
		fprintf(stderr, "\rimporting %s: %lu rows, %lu imported, %lu bad", im->file,
		        im->rows, im->imported, im->bad);
	im->progress_ms = ms;
	fflush(stderr);
}

static void import_bad(struct import *im, unsigned long lineno, const char *msg)
{
	if (im->progress)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s:%lu: %s\n", im->file, lineno, msg);
	if (im->c->json) {
		sbuf_printf(&im->errors, "%s{\"line\": %lu, \"error\": ", im->bad ? ", " : "",
		            lineno);
		json_add_string(&im->errors, msg, strlen(msg));
		sbuf_addc(&im->errors, '}');
	}
	im->bad++;
}

/* Read the replies of the rows in flight. */
static int import_drain(struct import *im)
{
	for (size_t i = 0; i < im->npending; i++) {
		struct pending *p = &im->pending[i];
		redisReply *r;
		int rc;

		if (p->refused) {
			import_bad(im, p->line, p->refused);
			free(p->refused);
			p->refused = NULL;
			continue;
		}
		if ((rc = ctl_read(im->c, &r)) != 0)
			return rc;
		if (r->type == REDIS_REPLY_ERROR) {
			int code = exit_code_for_error(r->str);
			import_bad(im, p->line, r->str);
			if (code != EX_DATAERR && im->fatal == 0)
				im->fatal = code;
		} else {
			im->imported++;
		}
		freeReplyObject(r);
	}
	im->npending = 0;
	import_progress(im, false);
	return 0;
}

static int import_push(struct import *im, unsigned long lineno, const char *refused)
{
	im->pending[im->npending].line = lineno;
	im->pending[im->npending].refused = refused ? xstrdup(refused) : NULL;
	im->npending++;
	return im->npending == IMPORT_WINDOW ? import_drain(im) : 0;
}

/* A header row names the columns, in any order; without one they are positional. */
static int import_header(struct import *im, const struct csv_row *row, unsigned long lineno)
{
	bool header = false;

	for (int i = 0; i < row->nfields; i++)
		if (strcasecmp(row->field[i], "number") == 0)
			header = true;
	if (!header)
		return 0;
	for (int k = 0; k < NCOLS; k++)
		im->col[k] = -1;
	for (int i = 0; i < row->nfields; i++) {
		int k = 0;
		while (k < NCOLS && strcasecmp(row->field[i], col_names[k]) != 0)
			k++;
		if (k == NCOLS && strcasecmp(row->field[i], "program") == 0)
			k = COL_PROGRAMME;
		if (k == NCOLS || im->col[k] >= 0) {
			fprintf(stderr,
			        "repairctl: %s:%lu: header: %s column \"%s\" (columns: number, "
			        "tier, country, programme, expires, name)\n",
			        im->file, lineno, k == NCOLS ? "unknown" : "repeated",
			        row->field[i]);
			return EX_DATAERR;
		}
		im->col[k] = i;
	}
	for (int k = COL_NUMBER; k <= COL_COUNTRY; k++) {
		if (im->col[k] < 0) {
			fprintf(stderr, "repairctl: %s:%lu: header: no %s column\n", im->file,
			        lineno, col_names[k]);
			return EX_DATAERR;
		}
	}
	im->nfields = row->nfields;
	return 1;
}

static const char *import_col(const struct import *im, const struct csv_row *row, int k)
{
	return im->col[k] >= 0 && im->col[k] < row->nfields ? row->field[im->col[k]] : NULL;
}

static int import_row(struct import *im, const struct csv_row *row, unsigned long lineno)
{
	struct member_opts o;
	const char *number;
	char msg[160];
	struct args a;
	int rc;

	im->rows++;
	if (row->nfields < 3 || row->nfields > im->nfields) {
		snprintf(msg, sizeof msg,
		         "%d field%s: a row is number,tier,country[,programme,expires,name]",
		         row->nfields, row->nfields == 1 ? "" : "s");
		return import_push(im, lineno, msg);
	}
	number = import_col(im, row, COL_NUMBER);
	o.tier = import_col(im, row, COL_TIER);
	o.country = import_col(im, row, COL_COUNTRY);
	o.programme = import_col(im, row, COL_PROGRAMME);
	o.expires = import_col(im, row, COL_EXPIRES);
	o.name = import_col(im, row, COL_NAME);
	for (int k = COL_NUMBER; k <= COL_COUNTRY; k++) {
		const char *v = import_col(im, row, k);
		if (v == NULL || *v == '\0') {
			snprintf(msg, sizeof msg, "no %s", col_names[k]);
			return import_push(im, lineno, msg);
		}
	}
	member_set_args(&a, number, &o);
	rc = ctl_append(im->c, &a);
	args_free(&a);
	if (rc != 0)
		return rc;
	return import_push(im, lineno, NULL);
}

/* Read records (a quoted field may span lines) and import them. */
static int import_file(struct import *im, FILE *f)
{
	char *line = NULL, err[160];
	struct sbuf rec;
	size_t cap = 0;
	unsigned long lineno = 0, start = 0;
	bool seen_first = false;
	int rc = 0;

	sbuf_init(&rec);
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		struct csv_row row;
		enum csv_status st;
		const char *p = line;

		lineno++;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3; /* a byte order mark, as spreadsheets write */
		if (rec.len == 0) {
			start = lineno;
			if (p[strspn(p, " \t\r\n")] == '\0')
				continue;
		}
		if (rec.len >= 2 && rec.data[rec.len - 2] == '\r') {
			/* A line break inside a quoted field is a newline, whatever wrote it. */
			rec.data[rec.len - 2] = '\n';
			rec.data[--rec.len] = '\0';
		}
		sbuf_adds(&rec, p);
		st = csv_split(sbuf_str(&rec), &row, err, sizeof err);
		if (st == CSV_INCOMPLETE) {
			csv_row_free(&row);
			continue;
		}
		if (st == CSV_ERROR) {
			im->rows++;
			rc = import_push(im, start, err);
		} else if (!seen_first && (rc = import_header(im, &row, start)) != 0) {
			rc = rc == 1 ? 0 : rc;
		} else {
			rc = import_row(im, &row, start);
		}
		seen_first = true;
		csv_row_free(&row);
		sbuf_reset(&rec);
	}
	if (rc == 0 && rec.len > 0) {
		im->rows++;
		rc = import_push(im, start,
		                 "a quoted field is not closed before the end of the file");
	}
	if (rc == 0)
		rc = import_drain(im);
	free(line);
	sbuf_free(&rec);
	return rc;
}

static int member_import(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct import im = {.c = c, .nfields = NCOLS};
	const char *path;
	struct sbuf b;
	FILE *f;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	path = argv[first];
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "repairctl: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	if ((rc = ctl_connect(c)) != 0) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	im.file = f == stdin ? "(stdin)" : path;
	for (int k = 0; k < NCOLS; k++)
		im.col[k] = k;
	im.pending = xcalloc(IMPORT_WINDOW, sizeof *im.pending);
	im.progress = !c->json && isatty(STDERR_FILENO);
	sbuf_init(&im.errors);
	rc = import_file(&im, f);
	import_progress(&im, true);
	if (f != stdin)
		fclose(f);
	if (rc == 0 && c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "{\"file\": ");
		json_add_string(&b, im.file, strlen(im.file));
		sbuf_printf(&b,
		            ", \"rows\": %lu, \"imported\": %lu, \"bad\": %lu, \"errors\": [%s]}",
		            im.rows, im.imported, im.bad, sbuf_str(&im.errors));
		out_flush(&b);
		sbuf_free(&b);
	} else if (rc == 0) {
		printf("imported %lu member%s from %s", im.imported, im.imported == 1 ? "" : "s",
		       im.file);
		if (im.bad)
			printf("; %lu bad row%s not imported (listed above)", im.bad,
			       im.bad == 1 ? "" : "s");
		putchar('\n');
	}
	for (size_t i = 0; i < im.npending; i++)
		free(im.pending[i].refused);
	free(im.pending);
	sbuf_free(&im.errors);
	if (rc != 0)
		return rc;
	if (im.fatal)
		return im.fatal;
	return im.bad ? EX_DATAERR : 0;
}

/* ---- loans ---------------------------------------------------------------------- */

struct loan_opts {
	const char *serial, *note;
};

static int loan_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct loan_opts *o = st;

	(void)c;
	if (code == O_SERIAL)
		o->serial = arg;
	else if (code == O_NOTE)
		o->note = arg;
	else
		return usage_error(sc, "bad option");
	return 0;
}

static int loan(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option issue[] = {{"serial", required_argument, NULL, O_SERIAL},
	                                      {"note", required_argument, NULL, O_NOTE},
	                                      {NULL, 0, NULL, 0}};
	struct loan_opts o = {0};
	bool is_issue = strcmp(sc->verb, "issue") == 0;
	struct args a;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, is_issue ? issue : issue + 1, loan_opt, &o, &first)) !=
	            0 ||
	    (rc = operands(sc, argc, first, 1, 1)) != 0)
		return rc;
	args_init(&a, is_issue ? "LOAN.ISSUE" : "LOAN.RETURN");
	args_add(&a, argv[first]);
	if (o.serial)
		args_add2(&a, "SERIAL", o.serial);
	if (o.note)
		args_add2(&a, "NOTE", o.note);
	return call_print(c, &a, OBJ_TICKET);
}

/* ---- stats, info, ping, reference data ---------------------------------------------- */

struct stats_opts {
	const char *centre, *since, *until;
};

static int stats_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct stats_opts *o = st;

	(void)c;
	if (code == O_CENTRE)
		o->centre = arg;
	else if (code == O_SINCE)
		o->since = arg;
	else if (code == O_UNTIL)
		o->until = arg;
	else
		return usage_error(sc, "bad option");
	return 0;
}

static int stats(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"centre", required_argument, NULL, O_CENTRE},
	                                    {"center", required_argument, NULL, O_CENTRE},
	                                    {"since", required_argument, NULL, O_SINCE},
	                                    {"until", required_argument, NULL, O_UNTIL},
	                                    {NULL, 0, NULL, 0}};
	struct stats_opts o = {0};
	struct args a;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, own, stats_opt, &o, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 0)) != 0)
		return rc;
	args_init(&a, "STATS");
	if (o.centre)
		args_add2(&a, "CENTRE", o.centre);
	if (o.since)
		args_add2(&a, "SINCE", o.since);
	if (o.until)
		args_add2(&a, "UNTIL", o.until);
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

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 1)) != 0)
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
		for (const char *p = r->str; *p; p++)
			if (*p != '\r')
				putchar(*p);
		if (r->len && r->str[r->len - 1] != '\n')
			putchar('\n');
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

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 0)) != 0 || (rc = ctl_connect(c)) != 0)
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

static int centres(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	redisReply *r;
	struct sbuf b;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 0)) != 0)
		return rc;
	args_init(&a, "CENTRE.LIST");
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_ARRAY) {
		rc = ctl_unexpected("CENTRE.LIST", r);
	} else if (c->json) {
		sbuf_init(&b);
		sbuf_adds(&b, "[");
		for (size_t i = 0; i < r->elements; i++) {
			sbuf_adds(&b, i ? ",\n  " : "\n  ");
			json_object(&b, r->element[i], OBJ_CENTRE);
		}
		sbuf_adds(&b, r->elements ? "\n]" : "]");
		out_flush(&b);
		sbuf_free(&b);
	} else {
		show_centres(c, r);
	}
	freeReplyObject(r);
	return rc;
}

struct product_opts {
	const char *match, *cls;
	bool fast_track;
};

static int product_opt(struct ctl *c, const struct subcmd *sc, void *st, int code, const char *arg)
{
	struct product_opts *o = st;

	(void)c;
	if (code == O_MATCH)
		o->match = arg;
	else if (code == O_CLASS)
		o->cls = arg;
	else if (code == O_FASTTRACK)
		o->fast_track = true;
	else
		return usage_error(sc, "bad option");
	return 0;
}

static int products(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	static const struct option own[] = {{"match", required_argument, NULL, O_MATCH},
	                                    {"class", required_argument, NULL, O_CLASS},
	                                    {"fast-track", no_argument, NULL, O_FASTTRACK},
	                                    {NULL, 0, NULL, 0}};
	struct product_opts o = {0};
	struct args a;
	redisReply *r;
	struct sbuf b;
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, own, product_opt, &o, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 1)) != 0)
		return rc;
	if (argc - first == 1) {
		if (o.match)
			return usage_error(sc, "give TEXT or --match, not both");
		o.match = argv[first];
	}
	args_init(&a, "PRODUCT.LIST");
	if (o.cls)
		args_add2(&a, "CLASS", o.cls);
	if (o.fast_track)
		args_add(&a, "FASTTRACK");
	if (o.match)
		args_add2(&a, "MATCH", o.match);
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_ARRAY) {
		rc = ctl_unexpected("PRODUCT.LIST", r);
		freeReplyObject(r);
		return rc;
	}
	sbuf_init(&b);
	if (c->json)
		sbuf_adds(&b, "[");
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_STRING)
			continue;
		if (c->json) {
			sbuf_adds(&b, i ? ", " : "");
			json_add_string(&b, e->str, e->len);
		} else {
			sbuf_add(&b, e->str, e->len);
			sbuf_addc(&b, '\n');
		}
	}
	if (c->json) {
		sbuf_adds(&b, "]");
		out_flush(&b);
	} else {
		fwrite(sbuf_str(&b), 1, b.len, stdout);
	}
	if (!c->json && r->elements == 0)
		fprintf(stderr, "repairctl: no products match\n");
	sbuf_free(&b);
	freeReplyObject(r);
	return 0;
}

/* ---- the table of subcommands --------------------------------------------------------- */

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

/* `repairctl passwd`: the access.users password line for a password typed twice. */
static int passwd_cmd(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	char pw[1024], again[1024];
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int rc, first;

	if ((rc = parse(c, sc, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = operands(sc, argc, first, 0, 0)) != 0)
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
	SHA256((const unsigned char *)pw, strlen(pw), digest);
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(again, sizeof again);
	printf("password: \"sha256:");
	for (size_t i = 0; i < sizeof digest; i++)
		printf("%02x", digest[i]);
	printf("\"\n");
	return 0;
}

static const struct subcmd cmds[] = {
        {"ticket", "open", ticket_open, NULL,
         "ticket open --centre C --product MODEL --serial S --service repair|maintenance|upgrade\n"
         "       [--member N] [--registered] [--received [TIME]] [--unlisted] [--note TEXT]",
         "Book an item in. Without --received the ticket is `booked` (the item is on its way);\n"
         "with --received (the time defaults to now) it is `received` and the turnaround\n"
         "clock runs. --registered: the product's registration is complete (needed for\n"
         "Fast Track). --unlisted: book a model that is not in the catalogue, at standard\n"
         "service. Without --member the owner is a non-member. Prints the new ticket.\n"},
        {"ticket", "show", ticket_show, NULL, "ticket show ID",
         "Show a ticket: member and tier, state, Fast Track, deadline in the centre's\n"
         "local time, remaining business time, loan.\n"},
        {"ticket", "history", ticket_history, NULL, "ticket history ID",
         "Every change of a ticket, with time (centre's local time), who and what.\n"},
        {"ticket", "move", ticket_move, NULL,
         "ticket move ID STATE [--eta TIME] [--note TEXT] [--at TIME]",
         "Move a ticket to STATE: received diagnosing awaiting_customer awaiting_parts\n"
         "in_repair ready returned cancelled. --eta (with awaiting_parts): when the parts\n"
         "are due; an ETA beyond the deadline makes the ticket at risk at once. --at: when\n"
         "it happened (default now).\n"},
        {"ticket", "receive", ticket_move, "received",
         "ticket receive ID [--note TEXT] [--at TIME]",
         "The booked item has arrived: `ticket move ID received`. The clock starts.\n"},
        {"ticket", "ready", ticket_move, "ready", "ticket ready ID [--note TEXT] [--at TIME]",
         "The repair is done: `ticket move ID ready`. The clock stops; met or missed.\n"},
        {"ticket", "return", ticket_move, "returned", "ticket return ID [--note TEXT] [--at TIME]",
         "The item went back to its owner: `ticket move ID returned` (closes the ticket).\n"},
        {"ticket", "cancel", ticket_move, "cancelled", "ticket cancel ID [--note TEXT] [--at TIME]",
         "Cancel a ticket that is not ready yet: `ticket move ID cancelled`.\n"},
        {"ticket", "list", ticket_list, NULL,
         "ticket list [--centre C] [--member N] [--state S] [--at-risk] [--breached]\n"
         "       [--open|--closed|--all] [--limit N]",
         "Tickets by id, open ones unless --closed or --all. --at-risk: 75% of the budget\n"
         "used, or a parts ETA beyond the deadline; --breached: past the deadline. Without\n"
         "--limit every match is listed.\n"
         "\n"
         "DEADLINE is in the centre's local time with its zone. REMAINING is business\n"
         "time (working hours only): `1d 3h left` or `BREACHED 4h ago`, where a day is the\n"
         "centre's working day (the ticket's budget divided by its target days; 8 hours\n"
         "when that is unknown). LOAN: `owed` when the member is owed a loan unit that\n"
         "was not handed out yet, else `issued` or `returned`.\n"},
        {"member", "set", member_set, NULL,
         "member set N --tier T --country CC [--programme free|subscription]\n"
         "       [--expires YYYY-MM-DD] [--name TEXT]",
         "Create or replace member N. Tiers: red silver gold platinum enterprise-c\n"
         "enterprise-b enterprise-a. The programme follows the country unless given.\n"
         "Prints the member as repaird now serves it (effective tier, programme).\n"},
        {"member", "show", member_show, NULL, "member show N", "Show member N.\n"},
        {"member", "delete", member_delete, NULL, "member delete N",
         "Delete member N; open tickets keep their snapshot. Exit 65 if there is none.\n"},
        {"member", "import", member_import, NULL, "member import FILE.csv",
         "Create or replace members from a CSV file (- for standard input), pipelined.\n"
         "Columns: number,tier,country[,programme,expires,name]; a first row that names\n"
         "the columns (with a `number` column) is a header and may order them freely.\n"
         "Fields may be quoted (\"Müller, Anna\"; \"\" for a quote). Every bad row is\n"
         "reported as FILE:LINE: reason and skipped; good rows are imported all the same.\n"
         "Exit 0 when every row was imported, 65 when some were bad.\n"},
        {"loan", "issue", loan, NULL, "loan issue ID [--serial S] [--note TEXT]",
         "Record that a loan unit (--serial: its serial) was handed to the ticket's member.\n"
         "Only for a loan-eligible ticket whose loan was not issued yet.\n"},
        {"loan", "return", loan, NULL, "loan return ID [--note TEXT]",
         "Record that the loan unit of the ticket came back.\n"},
        {"stats", NULL, stats, NULL, "stats [--centre C] [--since YYYY-MM-DD] [--until YYYY-MM-DD]",
         "Turnaround figures: closed, met, missed, met_pct (per tier too), open, at risk,\n"
         "breached, loans eligible.\n"},
        {"info", NULL, info, NULL, "info [SECTION]",
         "repaird's INFO: server clients persistence events tickets commandstats (default\n"
         "all).\n"},
        {"ping", NULL, ping, NULL, "ping", "Check that repaird answers, and how fast.\n"},
        {"passwd", NULL, passwd_cmd, NULL, "passwd",
         "Read a password (twice on a terminal, echo off; once from a pipe) and print\n"
         "the line for access.users in repaird.yaml: password: \"sha256:<hex>\".\n"
         "Needs no daemon.\n"},
        {"centres", NULL, centres, NULL, "centres",
         "The service centres: id, type, country, timezone, name.\n"},
        {"products", NULL, products, NULL,
         "products [TEXT] [--match TEXT] [--class body|lens|video|flash|other] [--fast-track]",
         "Catalogue models whose name contains TEXT (any case): the exact names that\n"
         "ticket open --product wants.\n"},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void main_usage(FILE *f)
{
	fprintf(f, "usage: repairctl [options] COMMAND [arguments]\n\n"
	           "The workstation client of repaird, the repair-centre ticketing daemon.\n\n"
	           "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++) {
		const char *nl = strchr(cmds[i].synopsis, '\n');
		int n = nl ? (int)(nl - cmds[i].synopsis) : (int)strlen(cmds[i].synopsis);
		fprintf(f, "  %.*s%s\n", n, cmds[i].synopsis, nl ? " ..." : "");
	}
	fprintf(f,
	        "\n%s\nEach command has --help. Exit status: 0 ok, 64 usage, 65 data refused by\n"
	        "repaird, 69 repaird unavailable, 70 unexpected reply, 77 not allowed.\n"
	        "See repairctl(1).\n",
	        common_help);
}

static void noun_usage(FILE *f, const char *noun)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].noun, noun) == 0)
			fprintf(f, "  repairctl %s\n", cmds[i].synopsis);
}

static const struct subcmd *find(const char *noun, const char *verb, bool *noun_known)
{
	*noun_known = false;
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].noun, noun) != 0)
			continue;
		*noun_known = true;
		if (cmds[i].verb == NULL || (verb && strcmp(cmds[i].verb, verb) == 0))
			return &cmds[i];
	}
	return NULL;
}

static int dispatch(struct ctl *c, int argc, char **argv)
{
	const struct subcmd *sc;
	bool known;
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			main_usage(stdout);
			return 0;
		}
		sc = find(argv[1], argc > 2 ? argv[2] : NULL, &known);
		if (sc)
			print_help(sc);
		else if (known)
			noun_usage(stdout, argv[1]);
		else
			return usage_error(NULL, "no command \"%s\"", argv[1]);
		return 0;
	}
	sc = find(argv[0], verb, &known);
	if (sc == NULL && !known)
		return usage_error(NULL, "no command \"%s\"", argv[0]);
	if (sc == NULL) {
		if (verb && (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)) {
			noun_usage(stdout, argv[0]);
			return 0;
		}
		if (verb)
			fprintf(stderr, "repairctl: no command \"%s %s\"\n", argv[0], verb);
		else
			fprintf(stderr, "repairctl: %s what?\n", argv[0]);
		noun_usage(stderr, argv[0]);
		return EX_USAGE;
	}
	/* The subcommand sees its own argv: argv[0] is its last word. */
	if (sc->verb)
		return sc->run(c, sc, argc - 1, argv + 1);
	return sc->run(c, sc, argc, argv);
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"host", required_argument, NULL, 'H'},
	        {"port", required_argument, NULL, 'p'},
	        {"user", required_argument, NULL, 'u'},
	        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
	        {"config", required_argument, NULL, OPT_CONFIG},
	        {"tls", no_argument, NULL, OPT_TLS},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME},
	        {"json", no_argument, NULL, 'j'},
	        {"no-color", no_argument, NULL, OPT_NO_COLOUR},
	        {"no-colour", no_argument, NULL, OPT_NO_COLOUR},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0}};
	struct ctl c;
	int code, rc = 0;

	memset(&c, 0, sizeof c);
	c.set.colour = c.cmdline.colour = -1;
	opterr = 0;
	rc = refuse_password(NULL, argc, argv);
	/* '+': stop at the command; what follows is the subcommand's. */
	while (rc == 0 && (code = getopt_long(argc, argv, "+:s:H:p:u:jhV", global, NULL)) != -1) {
		if (code == 'h') {
			main_usage(stdout);
			return 0;
		} else if (code == 'V') {
			printf("repairctl %s\n", REPAIRD_VERSION);
			return 0;
		} else if (code == '?') {
			rc = optopt ? usage_error(NULL, "unknown option '-%c'", optopt)
			            : usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		} else if (code == ':') {
			rc = usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
		} else {
			rc = common_opt(&c, NULL, code, optarg);
		}
	}
	if (rc == 0 && optind >= argc) {
		main_usage(stderr);
		rc = EX_USAGE;
	}
	if (rc == 0)
		rc = dispatch(&c, argc - optind, argv + optind);
	ctl_close(&c);
	settings_free(&c.set);
	settings_free(&c.cmdline);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "repairctl: writing the output: %s\n", strerror(errno));
		rc = EX_IOERR;
	}
	return rc == HELP_SHOWN ? 0 : rc;
}
