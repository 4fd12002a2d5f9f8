/*
 * fuzz_config: libFuzzer over the configuration loader.
 *
 * An input is the text of a repaird.yaml, parsed as "fuzz.yaml" by the core
 * alone (config_parse_with): the other files come from memory, read once at
 * start: `products: products.yaml` is the shipped catalogue
 * ($REPAIRD_SRC/conf when REPAIRD_SRC is set), a handful of zones are the
 * system's, every other name is missing, and every TLS path can be read
 * unless it names "missing". So the fuzzer needs neither the engine nor the
 * daemon, and an input cannot make it wait on a FIFO. The loader either
 * returns a config and no error, or no config and at least one error, each
 * "file:line:column: message". A config it returns keeps its promises: the
 * tables it sorts are sorted and every entry can be looked up, and each
 * centre's calendar is well formed and answers consistently (adding business
 * time and measuring it back give the same seconds).
 *
 * (The shell's refusal of FIFOs, devices and huge files is test_config's.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The files an input may name, loaded by LLVMFuzzerInitialize (harness state, not the core's). */
struct mem_file {
	const char *name;
	unsigned char *data;
	size_t len;
};

static struct mem_file catalogue = {"conf/products.yaml", NULL, 0};
static struct mem_file zone_files[] = {
        {"Europe/Berlin", NULL, 0},
        {"Europe/London", NULL, 0},
        {"Europe/Istanbul", NULL, 0},
        {"Europe/Vienna", NULL, 0},
        {"Europe/Paris", NULL, 0},
        {"Europe/Moscow", NULL, 0},
        {"Africa/Johannesburg", NULL, 0},
        {"Australia/Lord_Howe", NULL, 0},
        {"UTC", NULL, 0},
};

static void fail(const char *what, const char *detail) __attribute__((noreturn));

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void load(struct mem_file *f, const char *path)
{
	FILE *in = fopen(path, "rb");
	size_t cap = 1 << 16;

	if (in == NULL)
		fail("cannot open", path);
	f->data = malloc(cap);
	if (f->data == NULL)
		fail("out of memory", path);
	f->len = fread(f->data, 1, cap, in);
	fclose(in);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("REPAIRD_SRC");
	char path[4096];

	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s%sconf/products.yaml", src ? src : "", src ? "/" : "");
	load(&catalogue, path);
	for (size_t i = 0; i < sizeof zone_files / sizeof zone_files[0]; i++) {
		snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone_files[i].name);
		load(&zone_files[i], path);
	}
	return 0;
}

static int mem_read(void *ctx, enum config_file_kind kind, const char *name,
                    const unsigned char **data, size_t *len, char *err, size_t errlen)
{
	const struct mem_file *f = NULL;

	(void)ctx;
	if (kind == CONFIG_FILE_PEM) {
		if (strstr(name, "missing") != NULL) {
			snprintf(err, errlen, "No such file or directory");
			return -1;
		}
		*data = NULL;
		*len = 0;
		return 0;
	}
	if (kind == CONFIG_FILE_CATALOGUE && strcmp(name, catalogue.name) == 0)
		f = &catalogue;
	for (size_t i = 0; kind == CONFIG_FILE_ZONE && i < sizeof zone_files / sizeof zone_files[0];
	     i++)
		if (strcmp(name, zone_files[i].name) == 0)
			f = &zone_files[i];
	if (f == NULL) {
		snprintf(err, errlen, "cannot open: No such file or directory");
		return -1;
	}
	*data = f->data;
	*len = f->len;
	return 0;
}

/* "fuzz.yaml:3:7: ..." or "<catalogue path>:3:7: ...": a file, a line and a column. */
static bool well_formed_error(const char *msg)
{
	const char *colon = strchr(msg, ':');
	unsigned long line, col;
	int used = 0;

	if (colon == NULL || colon == msg)
		return false;
	/* A path may itself hold colons: find ":<line>:<col>: " after any of them. */
	for (; colon != NULL; colon = strchr(colon + 1, ':'))
		if (sscanf(colon, ":%lu:%lu: %n", &line, &col, &used) == 2 && used > 0 &&
		    line > 0 && col > 0)
			return true;
	return false;
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Sorted disjoint intervals with running totals; add and between agree. */
static void check_calendar(const struct centre *c, uint64_t seed)
{
	const struct calendar *cal = &c->cal;
	int64_t span = cal->until - cal->from;

	for (size_t i = 0; i < cal->n; i++) {
		if (cal->start[i] >= cal->end[i] || cal->start[i] < cal->from ||
		    cal->end[i] > cal->until)
			fail("a working interval is empty or outside the window", c->id);
		if (i > 0 && cal->end[i - 1] > cal->start[i])
			fail("working intervals overlap or are out of order", c->id);
		if (cal->cum[i] !=
		    (i == 0 ? 0 : cal->cum[i - 1] + (cal->end[i - 1] - cal->start[i - 1])))
			fail("a running total of business seconds is wrong", c->id);
	}
	if (span <= 0)
		return;
	for (int k = 0; k < 8; k++) {
		int64_t t = cal->from + (int64_t)(next_random(&seed) % (uint64_t)span);
		int64_t secs = (int64_t)(next_random(&seed) % (uint64_t)(6 * cal->day_seconds + 2));
		int64_t u, open;

		if (calendar_add_business(cal, t, secs, &u) == CAL_OK) {
			if (u < t || calendar_between(cal, t, u) != secs)
				fail("adding business time and measuring it back differ", c->id);
			if (secs > 0 && calendar_between(cal, t, u - 1) != secs - 1)
				fail("added business time ends later than it must", c->id);
		}
		if (calendar_next_open(cal, t, &open) == CAL_OK &&
		    (open < t || !calendar_is_open(cal, open) ||
		     calendar_between(cal, t, open) != 0))
			fail("the next opening is not open, or not the next", c->id);
	}
}

static void check_config(const struct config *cfg, uint64_t seed)
{
	const char *best[3];

	for (size_t i = 0; i < cfg->ncentres; i++) {
		if (config_centre(cfg, cfg->centres[i].id) != &cfg->centres[i])
			fail("a centre cannot be found by its id", cfg->centres[i].id);
		if (i < 8)
			check_calendar(&cfg->centres[i], seed + i);
	}
	for (size_t i = 0; i < cfg->ncountries; i++) {
		if (i > 0 && strcmp(cfg->countries[i - 1].code, cfg->countries[i].code) >= 0)
			fail("countries not sorted by code", cfg->countries[i].code);
		if (config_country(cfg, cfg->countries[i].code) != &cfg->countries[i])
			fail("a country cannot be found by its code", cfg->countries[i].code);
	}
	for (size_t i = 0; i < cfg->nproducts; i++) {
		if (i > 0 && strcmp(cfg->products[i - 1].model, cfg->products[i].model) >= 0)
			fail("products not sorted by model", cfg->products[i].model);
		if (config_product(cfg, cfg->products[i].model) != &cfg->products[i])
			fail("a product cannot be found by its model", cfg->products[i].model);
	}
	for (size_t i = 0; i < cfg->nusers; i++)
		if (config_user(cfg, cfg->users[i].name) == NULL)
			fail("a user cannot be found by name", cfg->users[i].name);
	if (config_product_suggest(cfg, "EOS R5", best, 3) > 3)
		fail("more suggestions than asked for", NULL);
	if (cfg->first_year > cfg->last_year)
		fail("first_year after last_year", NULL);
}

/* A seed for the calendar probes, from the input (never 0, for xorshift). */
static uint64_t input_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	return h | 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = {0};
	const struct config_reader rd = {.base_dir = "conf", .read = mem_read};
	struct config *cfg = config_parse_with("fuzz.yaml", (const char *)data, size, &rd, &errs);

	if (cfg != NULL && errs.n > 0)
		fail("a config returned with errors", errs.msg[0]);
	if (cfg == NULL && errs.n == 0)
		fail("no config and no error", NULL);
	for (size_t i = 0; i < errs.n; i++)
		if (!well_formed_error(errs.msg[i]))
			fail("an error without file:line:column", errs.msg[i]);
	if (cfg != NULL)
		check_config(cfg, input_hash(data, size));
	config_free(cfg);
	config_errors_free(&errs);
	return 0;
}
