/* ref: reference data: repairctl centres, products. */
#include <stdio.h>
#include <string.h>

#include "repairctl.h"

static int centres(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	struct args a;
	redisReply *r;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 0, &first)) != 0)
		return rc;
	args_init(&a, "CENTRE.LIST");
	rc = ctl_call(c, &a, &r);
	args_free(&a);
	if (rc != 0)
		return rc;
	if (r->type != REDIS_REPLY_ARRAY) {
		rc = ctl_unexpected("CENTRE.LIST", r);
	} else if (c->json) {
		json_array((const redisReply *const *)r->element, r->elements, OBJ_CENTRE);
	} else {
		show_centres(c, r);
	}
	freeReplyObject(r);
	return rc;
}

static int products(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	const char *match;
	struct args a;
	redisReply *r;
	struct sbuf b;
	int rc, first;

	if ((rc = cli_parse(c, sc, argc, argv, 0, 1, &first)) != 0)
		return rc;
	match = c->o.match;
	if (argc - first == 1) {
		if (match)
			return usage_error(sc, "give TEXT or --match, not both");
		match = argv[first];
	}
	args_init(&a, "PRODUCT.LIST");
	if (c->o.cls)
		args_add2(&a, "CLASS", c->o.cls);
	if (c->o.fast_track)
		args_add(&a, "FASTTRACK");
	if (match)
		args_add2(&a, "MATCH", match);
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

const struct subcmd ref_cmds[] = {
        {"centres", NULL, centres, NULL, "", "centres",
         "The service centres: id, type, country, timezone, name.\n"},
        {"products", NULL, products, NULL, "match class fast-track",
         "products [TEXT] [--match TEXT] [--class body|lens|video|flash|other] [--fast-track]",
         "Catalogue models whose name contains TEXT (any case): the exact names that\n"
         "ticket open --product wants.\n"},
};
const size_t nref_cmds = sizeof ref_cmds / sizeof ref_cmds[0];
