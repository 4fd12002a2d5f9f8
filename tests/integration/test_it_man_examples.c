/*
 * Integration: every example in man/repairctl.1 (each "$ repairctl ..." line
 * of a .nf block, with its continuation lines) runs, in the order written,
 * against the real repaird and exits 0: the manual cannot promise what the
 * program does not do. The examples' centre DE-PSC-WILLICH is the test
 * config's DE-PSC-TEST; an example that pipes into a tool this machine lacks
 * (jq) is skipped with a message.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon d;

static void setup(void)
{
	harness_start(&d, NULL, NULL);
}

static void teardown(void)
{
	daemon_cleanup(&d);
}

/* Append s to the buffer with groff's escapes undone (\-, \e, \(dq, \(aq, \fB...). */
static void unescape(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);

	while (*s && n + 1 < cap) {
		if (s[0] == '\\' && s[1] == '-') {
			out[n++] = '-';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'e') {
			out[n++] = '\\';
			s += 2;
		} else if (strncmp(s, "\\(dq", 4) == 0 || strncmp(s, "\\(aq", 4) == 0) {
			out[n++] = s[2] == 'd' ? '"' : '\'';
			s += 4;
		} else if (s[0] == '\\' && s[1] == 'f' && s[2]) {
			s += 3; /* a font change */
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

/* Replace every `from` in s by `to` (s has room for cap bytes). */
static void replace_all(char *s, size_t cap, const char *from, const char *to)
{
	char *p;

	while ((p = strstr(s, from)) != NULL && strlen(s) - strlen(from) + strlen(to) < cap) {
		memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
		memcpy(p, to, strlen(to));
	}
}

/*
 * The examples of the manual, in order, as shell command lines. Returns how
 * many; each is malloc'd.
 */
static int examples(char **out, int max)
{
	const char *src = getenv("REPAIRD_SRC");
	char path[512], line[1024], cmdline[4096];
	bool in_block = false, open_cmd = false;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/man/repairctl.1", src ? src : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	while (fgets(line, sizeof line, f) && n < max) {
		size_t len = strcspn(line, "\n");
		bool more;

		line[len] = '\0';
		if (strcmp(line, ".nf") == 0 || strcmp(line, ".fi") == 0) {
			in_block = line[1] == 'n';
			continue;
		}
		if (!in_block || (!open_cmd && strncmp(line, "$ repairctl ", 12) != 0))
			continue;
		/* A line ending in "\e" (a backslash) or a pipe goes on in the next one. */
		more = (len >= 2 && strcmp(line + len - 2, "\\e") == 0) ||
		       (len >= 1 && line[len - 1] == '|');
		if (more && line[len - 1] != '|')
			line[len - 2] = '\0';
		if (!open_cmd)
			cmdline[0] = '\0';
		unescape(cmdline, sizeof cmdline, open_cmd ? line : line + 2);
		if (more && cmdline[0] && cmdline[strlen(cmdline) - 1] == '|')
			strncat(cmdline, " ", sizeof cmdline - strlen(cmdline) - 1);
		open_cmd = more;
		if (!more) {
			replace_all(cmdline, sizeof cmdline, "DE-PSC-WILLICH", "DE-PSC-TEST");
			out[n++] = strdup(cmdline);
		}
	}
	fclose(f);
	return n;
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", d.dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_every_example_runs)
{
	const char *bin = getenv("REPAIRCTL_BIN");
	bool have_jq = system("command -v jq >/dev/null 2>&1") == 0;
	char *ex[64], sh[8192];
	int n = examples(ex, 64), ran = 0;

	ck_assert_msg(n >= 10, "only %d examples found in the manual", n);
	write_file("members.csv", "number,tier,country,name\n151335490,gold,DE,Anna\n"
	                          "151335491,silver,ZA,\"Smith, Jo\"\n");
	for (int i = 0; i < n; i++) {
		int status;

		if (strstr(ex[i], "| jq") && !have_jq) {
			fprintf(stderr, "test_it_man_examples: skipped (no jq): %s\n", ex[i]);
			free(ex[i]);
			continue;
		}
		/* repairctl as a shell function: the same words, this daemon, this directory. */
		snprintf(sh, sizeof sh,
		         "cd '%s' && export HOME='%s' TZ=Europe/Berlin && "
		         "repairctl() { '%s' -s '%s' \"$@\"; } && ( %s ) >/dev/null",
		         d.dir, d.dir, bin ? bin : "build/repairctl", d.sock, ex[i]);
		status = system(sh);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		              "the manual's example exits %d:\n  %s", WEXITSTATUS(status), ex[i]);
		ran++;
		free(ex[i]);
	}
	ck_assert_int_ge(ran, 10);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("man_examples");
	TCase *tc = tcase_create("man_examples");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_example_runs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(suite());
}
