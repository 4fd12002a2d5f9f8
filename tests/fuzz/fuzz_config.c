/*
 * fuzz_config: libFuzzer over the configuration loader.
 *
 * An input is the text of a repaird.yaml, parsed as "fuzz.yaml" with conf/
 * as its directory (so `products: products.yaml` finds the shipped
 * catalogue; $REPAIRD_SRC/conf when REPAIRD_SRC is set). The loader either
 * returns a config and no error, or no config and at least one error, each
 * "file:line:column: message". A config it returns keeps its promises: the
 * tables it sorts are sorted and every entry can be looked up, and each
 * centre's calendar is well formed and answers consistently (adding business
 * time and measuring it back give the same seconds).
 *
 * The input may name any file as its product catalogue (/dev/zero, a FIFO,
 * a directory): the loader must refuse what is not a regular file of at
 * most 64 MB rather than hang or fill the memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base_dir[4096];

static void fail(const char *what, const char *detail) __attribute__((noreturn));

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("REPAIRD_SRC");

	(void)argc;
	(void)argv;
	log_init("fuzz_config", LOG_LEVEL_ERR, 1);
	snprintf(base_dir, sizeof base_dir, "%s%sconf", src ? src : "", src ? "/" : "");
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
	struct config *cfg = config_parse("fuzz.yaml", (const char *)data, size, base_dir, &errs);

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
