/*
 * Unit tests for where repairctl connects: the settings file, the environment
 * (REPAIRCTL_*), the command line (-s, -H, -p, ...) and how the three layers
 * merge. Unit tests link with libcore.a only, so the client's pure parts are
 * compiled in here directly (format.c, settings.c, cli.c need no daemon).
 */
#include "../../client/format.c"
#include "../../client/settings.c"
#include "../../client/cli.c"
#include "unit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
	static const char *const vars[] = {"REPAIRCTL_SOCKET",   "REPAIRCTL_HOST",
	                                   "REPAIRCTL_PORT",     "REPAIRCTL_USER",
	                                   "REPAIRCTL_PASSWORD", "REPAIRCTL_TLS",
	                                   "REPAIRCTL_CACERT",   "REPAIRCTL_TLS_SERVER_NAME",
	                                   "XDG_CONFIG_HOME"};

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	snprintf(dir, sizeof dir, "/tmp/repairctl-settings-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("HOME", dir, 1); /* no ~/.config/repairctl.conf but the test's */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write a settings file in the test directory; returns its path (static). */
static const char *conf(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/repairctl.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct subcmd test_sc = {"ping", NULL, NULL, NULL, "", "ping", "test\n"};

/* Parse a command line (NULL-terminated words after "ping") into a fresh ctl. */
static int parse_line(struct ctl *c, const char *const *words)
{
	char *argv[32];
	int argc = 0, first;

	memset(c, 0, sizeof *c);
	c->set.colour = c->cmdline.colour = -1;
	argv[argc++] = (char *)"ping";
	while (*words && argc < 31)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	return cli_parse(c, &test_sc, argc, argv, 0, 0, &first);
}

static void ctl_done(struct ctl *c)
{
	settings_free(&c->set);
	settings_free(&c->cmdline);
}

START_TEST(test_file_every_key)
{
	struct ctl_settings s = {.colour = -1};
	const char *path = conf("# comment\n"
	                        "; another\n"
	                        "\n"
	                        "host = repair-1.example\n"
	                        "port = 7900\n"
	                        "  user=anna  \n"
	                        "password_file = \"~/pw\"\n"
	                        "colour = never\n"
	                        "tls = yes\n"
	                        "cacert = '~/ca.pem'\n"
	                        "tls_server_name = repaird.example\n");
	char want[128];

	ck_assert_int_eq(settings_from_file(&s, path), 0);
	ck_assert_str_eq(s.host, "repair-1.example");
	ck_assert_int_eq(s.port, 7900);
	ck_assert_str_eq(s.user, "anna");
	snprintf(want, sizeof want, "%s/pw", dir);
	ck_assert_str_eq(s.password_file, want);
	snprintf(want, sizeof want, "%s/ca.pem", dir);
	ck_assert_str_eq(s.cacert, want);
	ck_assert_int_eq(s.colour, COLOUR_NEVER);
	ck_assert_int_eq(s.tls, 1);
	ck_assert_str_eq(s.tls_server_name, "repaird.example");
	ck_assert_ptr_null(s.socket);
	settings_free(&s);
}
END_TEST

START_TEST(test_file_errors)
{
	static const char *const bad[] = {
	        "port = 0\n",      "port = 70000\n", "port = 12ab\n",
	        "colour = pink\n", "tls = maybe\n",  "sockets = /x\n",
	        "just words\n",    "host =\n",       "socket = /run/x.sock\nhost = h\n",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ctl_settings s = {.colour = -1};
		ck_assert_msg(settings_from_file(&s, conf(bad[i])) == EX_CONFIG, "accepted: %s",
		              bad[i]);
		settings_free(&s);
	}
}
END_TEST

START_TEST(test_file_missing)
{
	struct ctl_settings s = {.colour = -1};
	char path[128];

	/* The default file may be absent; a file named with --config may not. */
	ck_assert_int_eq(settings_from_file(&s, NULL), 0);
	snprintf(path, sizeof path, "%s/nonexistent.conf", dir);
	ck_assert_int_eq(settings_from_file(&s, path), EX_CONFIG);
	/* The default place is XDG_CONFIG_HOME's when set. */
	setenv("XDG_CONFIG_HOME", dir, 1);
	conf("socket = /tmp/x.sock\n");
	ck_assert_int_eq(settings_from_file(&s, NULL), 0);
	ck_assert_str_eq(s.socket, "/tmp/x.sock");
	settings_free(&s);
}
END_TEST

START_TEST(test_environment)
{
	struct ctl_settings s = {.colour = -1};

	setenv("REPAIRCTL_HOST", "10.0.0.5", 1);
	setenv("REPAIRCTL_PORT", "7001", 1);
	setenv("REPAIRCTL_USER", "bob", 1);
	setenv("REPAIRCTL_PASSWORD", "secret", 1);
	setenv("REPAIRCTL_TLS", "0", 1);
	ck_assert_int_eq(settings_from_env(&s), 0);
	ck_assert_str_eq(s.host, "10.0.0.5");
	ck_assert_int_eq(s.port, 7001);
	ck_assert_str_eq(s.user, "bob");
	ck_assert_str_eq(s.password, "secret");
	ck_assert_int_eq(s.tls, -1);
	settings_free(&s);

	setenv("REPAIRCTL_PORT", "seventy", 1);
	ck_assert_int_eq(settings_from_env(&s), EX_CONFIG);
	settings_free(&s);
	setenv("REPAIRCTL_PORT", "7001", 1);
	setenv("REPAIRCTL_SOCKET", "/run/x.sock", 1);
	ck_assert_int_eq(settings_from_env(&s), EX_CONFIG); /* a socket and a host */
	settings_free(&s);
}
END_TEST

START_TEST(test_command_line)
{
	struct ctl c;

	ck_assert_int_eq(parse_line(&c, (const char *[]){"-H", "h1", "-p", "7005", "-u", "eve",
	                                                 "--json", NULL}),
	                 0);
	ck_assert_str_eq(c.set.host, "h1");
	ck_assert_int_eq(c.set.port, 7005);
	ck_assert_str_eq(c.set.user, "eve");
	ck_assert(c.json);
	ck_assert(!c.colour); /* JSON is never coloured */
	ctl_done(&c);

	ck_assert_int_eq(parse_line(&c, (const char *[]){"--socket=/tmp/r.sock", NULL}), 0);
	ck_assert_str_eq(c.set.socket, "/tmp/r.sock");
	ck_assert_ptr_null(c.set.host);
	ctl_done(&c);

	/* Refused before anything is connected. */
	ck_assert_int_eq(parse_line(&c, (const char *[]){"-p", "0", NULL}), EX_USAGE);
	ctl_done(&c);
	ck_assert_int_eq(parse_line(&c, (const char *[]){"-p", "65536", NULL}), EX_USAGE);
	ctl_done(&c);
	ck_assert_int_eq(parse_line(&c, (const char *[]){"-s", "/x", "-H", "h", NULL}), EX_USAGE);
	ctl_done(&c);
	ck_assert_int_eq(parse_line(&c, (const char *[]){"--password", "x", NULL}), EX_USAGE);
	ctl_done(&c);
	ck_assert_int_eq(parse_line(&c, (const char *[]){"--centre", "X", NULL}), EX_USAGE);
	ctl_done(&c);
	ck_assert_int_eq(parse_line(&c, (const char *[]){"extra", NULL}), EX_USAGE);
	ctl_done(&c);
}
END_TEST

/* The one option table: a subcommand's options by name, folded, typed, excluding. */
START_TEST(test_option_table)
{
	static const struct subcmd list = {
	        "ticket",      "list",  NULL, NULL, "centre state open closed all limit member",
	        "ticket list", "test\n"};
	char centre[] = "de-psc-x", state[] = "In_Repair"; /* folded in place, as argv is */
	char *argv[] = {"list",    "--center", centre,  "--state", state,
	                "--limit", "7",        "--all", NULL};
	char *bad[] = {"list", "--open", "--closed", NULL};
	char *member[] = {"list", "--member", "12x", NULL};
	struct ctl c;
	int first;

	memset(&c, 0, sizeof c);
	c.set.colour = c.cmdline.colour = -1;
	ck_assert_int_eq(cli_parse(&c, &list, 8, argv, 0, 0, &first), 0);
	ck_assert_str_eq(c.o.centre, "DE-PSC-X");
	ck_assert_str_eq(c.o.state, "in_repair");
	ck_assert_uint_eq(c.o.limit, 7);
	ck_assert_str_eq(c.o.scope, "ALL");
	ctl_done(&c);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(cli_parse(&c, &list, 3, bad, 0, 0, &first), EX_USAGE);
	ctl_done(&c);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(cli_parse(&c, &list, 3, member, 0, 0, &first), EX_USAGE);
	ctl_done(&c);
}
END_TEST

START_TEST(test_layers)
{
	struct ctl c;

	/* The file names a host and port, the environment a port, the command line a socket. */
	conf("host = filehost\nport = 7100\nuser = fileuser\n");
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("REPAIRCTL_PORT", "7200", 1);
	ck_assert_int_eq(parse_line(&c, (const char *[]){NULL}), 0);
	ck_assert_str_eq(c.set.host, "filehost");
	ck_assert_int_eq(c.set.port, 7200);
	ck_assert_str_eq(c.set.user, "fileuser");
	ctl_done(&c);

	/* A socket on a higher layer drops the host and port from below, and back. */
	ck_assert_int_eq(parse_line(&c, (const char *[]){"-s", "/tmp/cl.sock", NULL}), 0);
	ck_assert_str_eq(c.set.socket, "/tmp/cl.sock");
	ck_assert_ptr_null(c.set.host);
	ck_assert_int_eq(c.set.port, 0);
	ctl_done(&c);
	conf("socket = /tmp/file.sock\n");
	unsetenv("REPAIRCTL_PORT");
	ck_assert_int_eq(parse_line(&c, (const char *[]){"-H", "clhost", NULL}), 0);
	ck_assert_ptr_null(c.set.socket);
	ck_assert_str_eq(c.set.host, "clhost");
	ctl_done(&c);

	/* --config names another file, which must exist. */
	ck_assert_int_eq(parse_line(&c, (const char *[]){"--config", "/nonexistent", NULL}),
	                 EX_CONFIG);
	ctl_done(&c);
}
END_TEST

START_TEST(test_password_layers)
{
	struct ctl_settings into = {.colour = -1}, over = {.colour = -1};

	/* A password file on a higher layer wins over a password from below. */
	into.password = xstrdup("from-env");
	over.password_file = xstrdup("/tmp/pw");
	settings_merge(&into, &over);
	ck_assert_ptr_null(into.password);
	ck_assert_str_eq(into.password_file, "/tmp/pw");
	settings_free(&over);
	/* ...and a password over a file. */
	over.password = xstrdup("later");
	settings_merge(&into, &over);
	ck_assert_ptr_null(into.password_file);
	ck_assert_str_eq(into.password, "later");
	settings_free(&over);
	settings_free(&into);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("repairctl_settings");
	TCase *tc = tcase_create("settings");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_every_key);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_file_missing);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_command_line);
	tcase_add_test(tc, test_option_table);
	tcase_add_test(tc, test_layers);
	tcase_add_test(tc, test_password_layers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run_suite(suite());
}
