/*
 * config-products: the product catalogue (products.yaml), whose bytes the
 * config_reader hands over; its entries by table, sorted for lookups, and
 * the "did you mean" suggestions for a model the catalogue lacks.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "crc32c.h"
#include "domain.h"
#include "xmalloc.h"

struct product_at {
	struct product prod;
	size_t line, col;
};

static int product_at_cmp(const void *a, const void *b)
{
	const struct product_at *x = a, *y = b;
	int c = strcmp(x->prod.model, y->prod.model);
	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

int product_cmp(const void *a, const void *b)
{
	return strcmp(((const struct product *)a)->model, ((const struct product *)b)->model);
}

static void product_model(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct product_at *pa = obj;

	if (get_string(p, v, what, &pa->prod.model) == 0 && pa->prod.model[0] == '\0')
		cerr_at(p, v, "product: model must not be empty");
}

static const struct ckey product_keys[] = {
        CK_FUNC("model", product_model, true),
        CK_TYPED("class", struct product_at, prod.cls, CK_ENUM, 0, 0, product_class_names,
                 PCLASS_COUNT, false),
        CK_TYPED("fast_track", struct product_at, prod.fast_track, CK_BOOL, 0, 0, NULL, 0, false),
        CK_TYPED("video", struct product_at, prod.video, CK_BOOL, 0, 0, NULL, 0, false),
        CK_TYPED("points", struct product_at, prod.points, CK_INT, 0, 100000, NULL, 0, false),
};
const struct csection cfg_product_section = {"products", product_keys, NKEYS(product_keys),
                                             CK_COLON};

/* The products: list of the catalogue, each entry by table; NULL if there is none. */
static yaml_node_t *catalogue_list(struct cfgp *p, yaml_node_t *root)
{
	static const char *const top[] = {"products"};
	yaml_node_t *seq = NULL;

	if (root == NULL || expect(p, root, YAML_MAPPING_NODE, "products file") < 0)
		return NULL;
	FOR_PAIRS(root, pair)
	{
		if (key_index(p, root, pair, "products file", top, 1) == 0)
			seq = node(p, pair->value);
	}
	if (seq == NULL) {
		cerr_at(p, root, "products file: missing key \"products\"");
		return NULL;
	}
	if (expect(p, seq, YAML_SEQUENCE_NODE, "products") < 0)
		return NULL;
	return seq;
}

/* Sorted into cfg->products; a model listed twice is reported at its second entry. */
static void keep_products(struct cfgp *p, struct product_at *list, size_t n)
{
	struct config *cfg = p->cfg;

	if (n > 0)
		qsort(list, n, sizeof *list, product_at_cmp);
	cfg->products = xreallocarray(cfg->products, n, sizeof *cfg->products);
	cfg->nproducts = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(list[i].prod.model, list[i - 1].prod.model) == 0) {
			config_errors_add(p->errs, p->file, list[i].line, list[i].col,
			                  "product \"%s\" listed twice (first at line %zu)",
			                  list[i].prod.model, list[i - 1].line);
			free(list[i].prod.model);
			continue;
		}
		cfg->products[cfg->nproducts++] = list[i].prod;
	}
}

static void parse_products_doc(struct cfgp *p, yaml_node_t *root)
{
	struct product_at *list = NULL;
	size_t n = 0;
	yaml_node_t *seq = catalogue_list(p, root);

	if (seq == NULL)
		return;
	FOR_ITEMS(seq, it)
	{
		yaml_node_t *m = node(p, *it);
		struct product_at pa;
		size_t errors_before = p->errs->n;

		memset(&pa, 0, sizeof pa);
		pa.line = m->start_mark.line + 1;
		pa.col = m->start_mark.column + 1;
		if (expect(p, m, YAML_MAPPING_NODE, "products") < 0)
			continue;
		ckeys_parse(p, m, &cfg_product_section, "product", "product", &pa, NULL);
		if (pa.prod.model == NULL && p->errs->n == errors_before)
			cerr_at(p, m, "product: missing key \"model\"");
		if (p->errs->n != errors_before) {
			free(pa.prod.model);
			continue;
		}
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = pa;
	}
	keep_products(p, list, n);
	free(list);
}

void load_products(struct cfgp *p, yaml_node_t *ref)
{
	struct config *cfg = p->cfg;
	const char *base_dir = p->rd->base_dir;
	yaml_document_t doc;
	struct cfgp pp = *p;
	char err[256];
	const unsigned char *text = NULL;
	char *path;
	size_t len = 0;
	const char *name = scalar(ref);

	if (name == NULL) {
		cerr_at(p, ref, "products: expected a file name, got %s", node_kind(ref));
		return;
	}
	if (name[0] == '/' || base_dir == NULL || base_dir[0] == '\0') {
		path = xstrdup(name);
	} else {
		size_t n = strlen(base_dir) + strlen(name) + 2;
		path = xmalloc(n);
		snprintf(path, n, "%s/%s", base_dir, name);
	}
	free(cfg->products_path);
	cfg->products_path = path;
	if (p->rd->read(p->rd->ctx, CONFIG_FILE_CATALOGUE, path, &text, &len, err, sizeof err) <
	    0) {
		cerr_at(p, ref, "products: %s: %s", path, err);
		return;
	}
	cfg->fingerprint = crc32c(cfg->fingerprint, text, len);
	if (load_document(path, (const char *)text, len, &doc, p->errs) == 0) {
		pp.file = path;
		pp.doc = &doc;
		parse_products_doc(&pp, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
	}
}

const struct product *config_product(const struct config *cfg, const char *model)
{
	struct product key = {.model = (char *)(uintptr_t)model};

	return bsearch(&key, cfg->products, cfg->nproducts, sizeof *cfg->products, product_cmp);
}

/* Case-insensitive Levenshtein distance, bounded to names of up to 127 bytes. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[128];

	if (la > 127)
		la = 127;
	if (lb > 127)
		lb = 127;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			        tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
			                ? 0
			                : 1;
			size_t best = diag + cost;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

size_t config_product_suggest(const struct config *cfg, const char *model, const char **out,
                              size_t max)
{
	size_t dist[16];
	size_t n = 0;

	if (max > 16)
		max = 16;
	if (max == 0)
		return 0;
	for (size_t i = 0; i < cfg->nproducts; i++) {
		const char *name = cfg->products[i].model;
		size_t d = edit_distance(model, name);
		size_t pos;
		/* A name that contains the text is as good as a near miss. */
		if (strcasestr(name, model) != NULL && strlen(model) >= 3)
			d = d < 2 ? d : 2;
		if (n == max && d >= dist[n - 1])
			continue;
		pos = n < max ? n++ : n - 1;
		while (pos > 0 && dist[pos - 1] > d) {
			dist[pos] = dist[pos - 1];
			out[pos] = out[pos - 1];
			pos--;
		}
		dist[pos] = d;
		out[pos] = name;
	}
	return n;
}
