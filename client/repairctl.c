/*
 * repairctl: the service-centre workstation client of repaird (docs/protocol.md).
 * main, the table of subcommands (each noun's in its own file, as the
 * daemon's cmd-*.c) and dispatch; see repairctl(1).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repairctl.h"

#ifndef REPAIRD_VERSION
#define REPAIRD_VERSION "unknown"
#endif

/* Every noun's subcommands, in the order help lists them. */
static const struct family {
	const struct subcmd *v;
	const size_t *n;
} families[] = {
        {ticket_cmds, &nticket_cmds}, {member_cmds, &nmember_cmds}, {loan_cmds, &nloan_cmds},
        {server_cmds, &nserver_cmds}, {ref_cmds, &nref_cmds},       {board_cmds, &nboard_cmds},
};
#define NFAMILIES (sizeof families / sizeof families[0])

/* Runs the statement that follows for every subcommand, as sc. */
#define EACH_CMD(sc)                                                                               \
	for (size_t f_ = 0; f_ < NFAMILIES; f_++)                                                  \
		for (const struct subcmd *sc = families[f_].v;                                     \
		     sc < families[f_].v + *families[f_].n; sc++)

static void main_usage(FILE *f)
{
	fprintf(f, "usage: repairctl [options] COMMAND [arguments]\n\n"
	           "The workstation client of repaird, the repair-centre ticketing daemon.\n\n"
	           "Commands:\n");
	EACH_CMD(sc)
	{
		const char *nl = strchr(sc->synopsis, '\n');
		int n = nl ? (int)(nl - sc->synopsis) : (int)strlen(sc->synopsis);
		fprintf(f, "  %.*s%s\n", n, sc->synopsis, nl ? " ..." : "");
	}
	fputc('\n', f);
	cli_common_help(f);
	fprintf(f, "\nEach command has --help. Exit status: 0 ok, 64 usage, 65 data refused by\n"
	           "repaird, 69 repaird unavailable, 70 unexpected reply, 77 not allowed.\n"
	           "See repairctl(1).\n");
}

static void noun_usage(FILE *f, const char *noun)
{
	fprintf(f, "usage:\n");
	EACH_CMD(sc)
	{
		if (strcmp(sc->noun, noun) == 0)
			fprintf(f, "  repairctl %s\n", sc->synopsis);
	}
}

static const struct subcmd *find(const char *noun, const char *verb, bool *noun_known)
{
	*noun_known = false;
	EACH_CMD(sc)
	{
		if (strcmp(sc->noun, noun) != 0)
			continue;
		*noun_known = true;
		if (sc->verb == NULL || (verb && strcmp(sc->verb, verb) == 0))
			return sc;
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
			cli_print_help(sc);
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
	struct ctl c;
	int first, rc;

	memset(&c, 0, sizeof c);
	c.set.colour = c.cmdline.colour = -1;
	/* Up to the command; what follows is the subcommand's. */
	rc = cli_parse_global(&c, argc, argv, &first);
	if (rc == CLI_MAIN_HELP) {
		main_usage(stdout);
		return 0;
	}
	if (rc == CLI_VERSION) {
		printf("repairctl %s\n", REPAIRD_VERSION);
		return 0;
	}
	if (rc == 0 && first >= argc) {
		main_usage(stderr);
		rc = EX_USAGE;
	}
	if (rc == 0)
		rc = dispatch(&c, argc - first, argv + first);
	ctl_close(&c);
	settings_free(&c.set);
	settings_free(&c.cmdline);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "repairctl: writing the output: %s\n", strerror(errno));
		rc = EX_IOERR;
	}
	return rc == HELP_SHOWN ? 0 : rc;
}
