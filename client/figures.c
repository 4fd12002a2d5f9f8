/*
 * figures: STATS and INFO for people: the turnaround figures with the share
 * met per tier as a bar, and INFO's sections as aligned key/value lists with
 * the command statistics as a table. The JSON forms are server.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repairctl.h"
#include "xmalloc.h"

#define BAR_WIDTH 20

/* A count from a STATS reply, "-" when missing. */
static const char *count_of(const redisReply *r, const char *name)
{
	const char *v = reply_field(r, name);

	return v && *v ? v : "-";
}

void stats_tiers(struct ctl *c, struct sbuf *b, const redisReply *r, int width)
{
	size_t w = 4;

	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strncmp(r->element[i]->str, "met_pct_", 8) == 0 &&
		    strlen(r->element[i]->str + 8) > w)
			w = strlen(r->element[i]->str + 8);
	sbuf_printf(b, "%s%-*s  %-*s  MET%s\n", col(c, SGR_BOLD), (int)w, "TIER", width, "",
	            col(c, SGR_RESET));
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;
		char bar[64];
		double pct;

		if (strncmp(k, "met_pct_", 8) != 0)
			continue;
		if (*v == '\0') {
			/* Nothing closed in this tier: no share to show, rather than 0%. */
			sbuf_printf(b, "%-*s  %s%-*s%s  -\n", (int)w, k + 8, col(c, SGR_DIM), width,
			            "(nothing closed)", col(c, SGR_RESET));
			continue;
		}
		pct = strtod(v, NULL);
		fmt_bar(bar, sizeof bar, pct,
		        width < (int)sizeof bar ? width : (int)sizeof bar - 1);
		sbuf_printf(b, "%-*s  %s%s%s  %s%%\n", (int)w, k + 8,
		            col(c, pct >= 90   ? SGR_GREEN
		                   : pct >= 75 ? SGR_YELLOW
		                               : SGR_RED),
		            bar, col(c, SGR_RESET), v);
	}
}

void show_stats(struct ctl *c, const redisReply *r)
{
	const char *pct = reply_field(r, "met_pct");
	struct sbuf b;

	sbuf_init(&b);
	sbuf_printf(&b, "%sclosed%s %s   %smet%s %s   %smissed%s %s   %smet%s %s%s\n",
	            col(c, SGR_DIM), col(c, SGR_RESET), count_of(r, "closed"), col(c, SGR_DIM),
	            col(c, SGR_RESET), count_of(r, "met"), col(c, SGR_DIM), col(c, SGR_RESET),
	            count_of(r, "missed"), col(c, SGR_DIM), col(c, SGR_RESET),
	            pct && *pct ? pct : "-", pct && *pct ? "%" : "");
	sbuf_printf(&b,
	            "%sopen%s %s   %sat risk%s %s   %sbreached%s %s   %sloans eligible%s %s\n\n",
	            col(c, SGR_DIM), col(c, SGR_RESET), count_of(r, "open"), col(c, SGR_DIM),
	            col(c, SGR_RESET), count_of(r, "at_risk"), col(c, SGR_DIM), col(c, SGR_RESET),
	            count_of(r, "breached"), col(c, SGR_DIM), col(c, SGR_RESET),
	            count_of(r, "loans_eligible"));
	stats_tiers(c, &b, r, BAR_WIDTH);
	fwrite(sbuf_str(&b), 1, b.len, stdout);
	sbuf_free(&b);
}

/* "cmdstat_PING:calls=3,usec=10,..." lines as a table: COMMAND and one column per key. */
static void info_commandstats(struct ctl *c, char **lines, size_t n)
{
	const char *colon0 = strchr(lines[0], ':');
	char *keys = xstrdup(colon0 ? colon0 + 1 : "");
	const char *head[8] = {"COMMAND"};
	size_t ncols = 1;
	struct table tb;

	/* The columns are the keys of the first line, in its order. */
	for (char *p = keys; *p && ncols < 8;) {
		char *eq = strchr(p, '=');
		if (eq == NULL)
			break;
		*eq = '\0';
		head[ncols++] = p;
		p = eq + 1 + strcspn(eq + 1, ",");
		if (*p)
			p++;
	}
	table_init(&tb, ncols);
	table_add_row(&tb, head, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *cells[8];
		char *colon = strchr(lines[i], ':');
		size_t k = 1;

		if (colon)
			*colon = '\0';
		cells[0] = strncmp(lines[i], "cmdstat_", 8) == 0 ? lines[i] + 8 : lines[i];
		for (char *p = colon ? colon + 1 : NULL; p && *p && k < ncols; k++) {
			char *eq = strchr(p, '='), *v;
			size_t vl;
			if (eq == NULL)
				break;
			v = eq + 1;
			vl = strcspn(v, ",");
			p = v[vl] ? v + vl + 1 : v + vl;
			v[vl] = '\0';
			cells[k] = v;
		}
		for (; k < ncols; k++)
			cells[k] = "";
		table_add_row(&tb, cells, NULL);
	}
	table_print(c, &tb);
	table_free(&tb);
	free(keys);
}

void show_info(struct ctl *c, const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	char **lines = NULL;
	size_t n = 0, cap = 0;

	/* Split into lines; then print section by section. */
	for (char *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			lines = xreallocarray(lines, cap, sizeof *lines);
		}
		lines[n++] = l;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, w = 0;
		bool cmdstats;

		if (lines[i][0] != '#') {
			i++;
			continue;
		}
		printf("%s%s%s\n", col(c, SGR_BOLD), lines[i] + 2, col(c, SGR_RESET));
		while (j < n && lines[j][0] != '#')
			j++;
		cmdstats = j > i + 1 && strncmp(lines[i + 1], "cmdstat_", 8) == 0;
		if (cmdstats) {
			info_commandstats(c, lines + i + 1, j - i - 1);
		} else {
			for (size_t k = i + 1; k < j; k++) {
				size_t kl = strcspn(lines[k], ":");
				if (kl > w)
					w = kl;
			}
			for (size_t k = i + 1; k < j; k++) {
				size_t kl = strcspn(lines[k], ":");
				const char *v =
				        lines[k][kl] && lines[k][kl + 1] ? lines[k] + kl + 1 : "-";
				printf("  %s%-*.*s%s  %s\n", col(c, SGR_DIM), (int)w, (int)kl,
				       lines[k], col(c, SGR_RESET), v);
			}
		}
		if (j < n)
			putchar('\n');
		i = j;
	}
	free(lines);
	free(copy);
}
