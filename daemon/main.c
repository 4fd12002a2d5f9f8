/*
 * main: repaird's command line, start-up and (later) the event loop.
 * The shell: this is where the clock, files and sockets live.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"

#define DEFAULT_CONFIG "/etc/repaird/repaird.yaml"

static void usage(FILE *f)
{
	fprintf(f, "usage: repaird [--config FILE] [--check-config FILE] [--help] [--version]\n"
		   "\n"
		   "Repair-centre ticketing and Fast Track turnaround daemon.\n"
		   "\n"
		   "  -c, --config FILE        configuration (default " DEFAULT_CONFIG ")\n"
		   "  -t, --check-config FILE  validate FILE, print \"FILE: ok\" or every error,\n"
		   "                           exit 0 or 78 (EX_CONFIG)\n"
		   "  -h, --help               show this help\n"
		   "  -V, --version            show the version\n");
}

/* Load and report like `nginx -t`: every error on stderr, one per line. */
static int check_config(const char *path)
{
	struct config_errors errs = {0};
	struct config *cfg = config_load(path, &errs);

	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n, errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return EX_CONFIG;
	}
	printf("%s: ok (%zu centres, %zu countries, %zu products)\n", path, cfg->ncentres,
	       cfg->ncountries, cfg->nproducts);
	config_free(cfg);
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = DEFAULT_CONFIG;
	int c;

	while ((c = getopt_long(argc, argv, "c:t:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			return check_config(optarg);
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
	if (optind < argc) {
		fprintf(stderr, "repaird: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	return check_config(config_path) == EX_OK ? EX_OK : EX_CONFIG;
}
