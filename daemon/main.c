/*
 * main: repaird's command line, start-up and shutdown. The server struct
 * that holds all of the daemon's mutable state is created here.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <systemd/sd-daemon.h>

#include "archive.h"
#include "config.h"
#include "journal_file.h"
#include "log.h"
#include "server.h"
#include "timeutil.h"
#include "tls.h"
#include "xmalloc.h"

#define DEFAULT_CONFIG "/etc/repaird/repaird.yaml"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: repaird [--config FILE] [options]\n"
	        "       repaird --check-config FILE\n"
	        "\n"
	        "Repair-centre ticketing and Fast Track turnaround daemon.\n"
	        "\n"
	        "  -c, --config FILE        configuration (default " DEFAULT_CONFIG ")\n"
	        "  -t, --check-config FILE  validate FILE, print \"FILE: ok\" or every error;\n"
	        "                           exit 0, or 78 (EX_CONFIG)\n"
	        "      --check-journal FILE [--fix]\n"
	        "                           check a journal's records; with --fix cut it at the\n"
	        "                           first damaged one (exit 0 ok, 65 damaged)\n"
	        "      --archive [STATE_DIR] ID\n"
	        "                           print archived ticket ID as JSON (the state directory\n"
	        "                           from --state-dir or the configuration when not given;\n"
	        "                           exit 0, 66 not archived, 65 not an id)\n"
	        "      --listen HOST:PORT   listen on this TCP address instead of listen.tcp\n"
	        "                           (repeatable)\n"
	        "      --unix PATH          unix socket instead of listen.unix (\"\" for none)\n"
	        "      --state-dir DIR      state directory instead of server.state_dir\n"
	        "      --redis HOST:PORT    Redis instead of redis.host/port (or sentinels)\n"
	        "      --log-level LEVEL    debug, info, notice, warning or err\n"
	        "      --debug-clock[=TIME] the clock moves only by DEBUG.CLOCK (tests, demos);\n"
	        "                           starts at TIME (default: the real time)\n"
	        "  -h, --help               show this help\n"
	        "  -V, --version            show the version\n"
	        "\n"
	        "Exit status: 0 stopped cleanly; 64 bad usage; 69 a listener, the state directory\n"
	        "or the journal could not be set up (or the journal is damaged); 74 a journal\n"
	        "write or fsync failed under fsync: always; 78 configuration invalid.\n");
}

/*
 * Load each listen.tls certificate and key as the daemon will (the config
 * loader only sees that the files are readable). The number that fail, each
 * reported on stderr or in the log.
 */
static size_t tls_load_errors(const struct config *cfg, bool to_log)
{
	size_t bad = 0;

	for (size_t i = 0; i < cfg->nlisten_tls; i++) {
		char err[512];
		struct ssl_ctx_st *ctx = tls_context_new(&cfg->listen_tls[i], err, sizeof err);
		if (ctx == NULL) {
			bad++;
			if (to_log)
				log_msg(LOG_ERR, "%s: %s", cfg->path, err);
			else
				fprintf(stderr, "%s: %s\n", cfg->path, err);
		}
		tls_context_free(ctx);
	}
	return bad;
}

/* Load and report like `nginx -t`: every error on stderr, one per line. */
static int check_config(const char *path)
{
	struct config_errors errs = {0};
	struct config *cfg = config_load(path, &errs);
	size_t bad;

	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n, errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return EX_CONFIG;
	}
	if ((bad = tls_load_errors(cfg, false)) > 0) {
		fprintf(stderr, "%s: %zu error%s\n", path, bad, bad == 1 ? "" : "s");
		config_free(cfg);
		return EX_CONFIG;
	}
	printf("%s: ok (%zu centres, %zu countries, %zu products)\n", path, cfg->ncentres,
	       cfg->ncountries, cfg->nproducts);
	config_free(cfg);
	return EX_OK;
}

enum {
	OPT_LISTEN = 256,
	OPT_UNIX,
	OPT_STATE_DIR,
	OPT_REDIS,
	OPT_LOG_LEVEL,
	OPT_DEBUG_CLOCK,
	OPT_CHECK_JOURNAL,
	OPT_FIX,
	OPT_ARCHIVE,
};

/* The command line's choices beyond the server's own overrides. */
struct cmdline {
	const char *check_journal;
	bool fix;
	const char *archive;    /* --archive's argument */
	const char *archive_id; /* with a second argument: the id (archive is the directory) */
};

/* --log-level LEVEL into srv's overrides; -1 (said on stderr) when LEVEL is no level. */
static int opt_log_level(struct server *srv, const char *arg)
{
	int level = domain_lookup(log_level_names, LOG_LEVEL_COUNT, arg);

	if (level < 0) {
		fprintf(stderr,
		        "repaird: --log-level \"%s\": one of debug, info, notice, warning, err\n",
		        arg);
		return -1;
	}
	srv->ov.log_level = level;
	return 0;
}

/* --debug-clock[=TIME]: the clock stands still, at TIME or now; -1 when TIME is no time. */
static int opt_debug_clock(struct server *srv, const char *arg)
{
	srv->debug_clock = true;
	srv->debug_now = server_realtime();
	if (arg && time_parse(arg, &srv->debug_now) < 0) {
		fprintf(stderr, "repaird: --debug-clock=%s: a time like 2026-11-23T09:30:00Z\n",
		        arg);
		return -1;
	}
	return 0;
}

/*
 * Parse the command line into srv and cl. Returns -1 to go on, else the
 * exit status (--help, --version, --check-config, a usage error). One case
 * per option, as in the usage above.
 */
static int parse_options(int argc, char **argv, struct server *srv, struct cmdline *cl)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"check-config", required_argument, NULL, 't'},
	        {"check-journal", required_argument, NULL, OPT_CHECK_JOURNAL},
	        {"fix", no_argument, NULL, OPT_FIX},
	        {"archive", required_argument, NULL, OPT_ARCHIVE},
	        {"listen", required_argument, NULL, OPT_LISTEN},
	        {"unix", required_argument, NULL, OPT_UNIX},
	        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	        {"redis", required_argument, NULL, OPT_REDIS},
	        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	        {"debug-clock", optional_argument, NULL, OPT_DEBUG_CLOCK},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:t:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			srv->config_path = optarg;
			break;
		case 't':
			return check_config(optarg);
		case OPT_CHECK_JOURNAL:
			cl->check_journal = optarg;
			break;
		case OPT_FIX:
			cl->fix = true;
			break;
		case OPT_ARCHIVE:
			cl->archive = optarg;
			break;
		case OPT_LISTEN:
			srv->ov.listen =
			        xreallocarray(srv->ov.listen, srv->ov.nlisten + 1, sizeof(char *));
			srv->ov.listen[srv->ov.nlisten++] = optarg;
			break;
		case OPT_UNIX:
			srv->ov.unix_path = optarg;
			break;
		case OPT_STATE_DIR:
			srv->ov.state_dir = optarg;
			break;
		case OPT_REDIS:
			srv->ov.redis = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (opt_log_level(srv, optarg) < 0)
				return EX_USAGE;
			break;
		case OPT_DEBUG_CLOCK:
			if (opt_debug_clock(srv, optarg) < 0)
				return EX_USAGE;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("repaird %s\n", REPAIRD_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (cl->archive && optind + 1 == argc)
		cl->archive_id = argv[optind++]; /* --archive STATE_DIR ID */
	if (optind < argc) {
		fprintf(stderr, "repaird: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	if (cl->fix && cl->check_journal == NULL) {
		fprintf(stderr, "repaird: --fix goes with --check-journal FILE\n");
		return EX_USAGE;
	}
	return -1;
}

/* `repaird --archive [STATE_DIR] ID`: the state directory given, or the configuration's. */
static int archive_cmd(const struct server *srv, const struct cmdline *cl)
{
	struct config_errors errs = {0};
	struct config *cfg;
	int rc;

	if (cl->archive_id)
		return archive_lookup(cl->archive, cl->archive_id, stdout);
	if (srv->ov.state_dir)
		return archive_lookup(srv->ov.state_dir, cl->archive, stdout);
	cfg = config_load(srv->config_path, &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		config_errors_free(&errs);
		return EX_CONFIG;
	}
	rc = archive_lookup(cfg->state_dir, cl->archive, stdout);
	config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct server srv;
	struct cmdline cl = {NULL, false, NULL, NULL};
	struct config_errors errs = {0};
	char err[512];
	int rc;

	memset(&srv, 0, sizeof srv);
	srv.config_path = DEFAULT_CONFIG;
	srv.ov.log_level = -1;
	rc = parse_options(argc, argv, &srv, &cl);
	if (rc < 0 && cl.check_journal)
		rc = jfile_check(cl.check_journal, cl.fix);
	else if (rc < 0 && cl.archive)
		rc = archive_cmd(&srv, &cl);
	if (rc >= 0) {
		free(srv.ov.listen);
		return rc;
	}

	log_init("repaird",
	         srv.ov.log_level >= 0 ? (enum log_level)srv.ov.log_level : LOG_LEVEL_INFO, 0);
	srv.cfg = server_load_config(&srv, &errs);
	if (srv.cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_msg(LOG_ERR, "%s", errs.msg[i]);
		log_msg(LOG_ERR, "%s: %zu error%s; not starting", srv.config_path, errs.n,
		        errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		free(srv.ov.listen);
		return EX_CONFIG;
	}
	log_set_level(srv.cfg->log_level);
	if (tls_load_errors(srv.cfg, true) > 0) {
		/* A certificate that does not load is a configuration error: no restart loop. */
		log_msg(LOG_ERR, "%s: TLS certificate or key unusable; not starting",
		        srv.config_path);
		config_free(srv.cfg);
		free(srv.ov.listen);
		return EX_CONFIG;
	}
	log_msg(LOG_NOTICE, "repaird %s starting with %s (%zu centres, %zu products)%s",
	        REPAIRD_VERSION, srv.config_path, srv.cfg->ncentres, srv.cfg->nproducts,
	        srv.debug_clock ? ", debug clock" : "");
	if (server_start(&srv, err, sizeof err) < 0) {
		log_msg(LOG_ERR, "%s; not starting", err);
		server_free(&srv);
		free(srv.ov.listen);
		return EX_UNAVAILABLE;
	}
	sd_notify(0, "READY=1\nSTATUS=Serving");
	log_msg(LOG_NOTICE, "ready");
	server_run(&srv);
	log_msg(LOG_NOTICE, "stopped");
	server_free(&srv);
	free(srv.ov.listen);
	return EX_OK;
}
