/* cmd-ref: reference data: CENTRE.LIST, PRODUCT.GET, PRODUCT.LIST. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static int centre_list(struct cmd_req *r)
{
	const struct config *cfg = r->srv->cfg;

	reply_array(r->out, (long long)cfg->ncentres);
	for (size_t i = 0; i < cfg->ncentres; i++) {
		const struct centre *c = &cfg->centres[i];
		reply_record(r->out, r->c->resp, 5);
		reply_bulk_str(r->out, "id");
		reply_bulk_str(r->out, c->id);
		reply_bulk_str(r->out, "type");
		reply_bulk_str(r->out, centre_type_names[c->type]);
		reply_bulk_str(r->out, "country");
		reply_bulk_str(r->out, c->country);
		reply_bulk_str(r->out, "timezone");
		reply_bulk_str(r->out, c->timezone);
		reply_bulk_str(r->out, "name");
		reply_bulk_str(r->out, c->name);
	}
	return 0;
}

static int product_get(struct cmd_req *r)
{
	const struct config *cfg = r->srv->cfg;
	const struct product *p = config_product(cfg, r->argv[1]);
	const char *near[3];
	char list[320] = "", esc[200];
	size_t n;

	if (p == NULL) {
		n = config_product_suggest(cfg, r->argv[1], near, 3);
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "", near[i]);
		}
		reply_errorf(r->out, "NOTFOUND", "product \"%s\": not in the catalogue%s%s",
		             log_escape(r->argv[1], r->argvlen[1], esc, 100),
		             n ? "; did you mean " : "", list);
		return -1;
	}
	reply_array(r->out, 8);
	reply_bulk_str(r->out, "model");
	reply_bulk_str(r->out, p->model);
	reply_bulk_str(r->out, "class");
	reply_bulk_str(r->out, product_class_names[p->cls]);
	reply_bulk_str(r->out, "fast_track");
	reply_bulk_str(r->out, p->fast_track ? "1" : "0");
	reply_bulk_str(r->out, "video");
	reply_bulk_str(r->out, p->video ? "1" : "0");
	return 0;
}

static int product_list(struct cmd_req *r)
{
	struct cmd_opt o[] = {
	        {"CLASS", 1, NULL, 0}, {"FASTTRACK", 0, NULL, 0}, {"MATCH", 1, NULL, 0}};
	const struct config *cfg = r->srv->cfg;
	int cls = -1;
	size_t n = 0;

	if (cmd_parse_options(r, 1, o, 3) < 0)
		return -1;
	if (o[0].seen &&
	    (cls = cmd_parse_enum(r, "class", o[0].value, product_class_names, PCLASS_COUNT)) < 0)
		return -1;
	/* Two passes: count, then reply (the array header comes first). */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			reply_array(r->out, (long long)n);
		for (size_t i = 0; i < cfg->nproducts; i++) {
			const struct product *p = &cfg->products[i];
			if ((cls >= 0 && p->cls != (enum product_class)cls) ||
			    (o[1].seen && !p->fast_track) ||
			    (o[2].seen && strcasestr(p->model, o[2].value) == NULL))
				continue;
			if (pass == 0)
				n++;
			else
				reply_bulk_str(r->out, p->model);
		}
	}
	return 0;
}

const struct cmd_entry cmd_ref_entries[] = {
        {"CENTRE.LIST", 1, CMD_READONLY, "CENTRE.LIST", centre_list, "Lists the service centres",
         "reference", NULL},
        {"PRODUCT.GET", 2, CMD_READONLY, "PRODUCT.GET model", product_get,
         "Replies a product of the catalogue", "reference", NULL},
        {"PRODUCT.LIST", -1, CMD_READONLY, "PRODUCT.LIST [CLASS class] [FASTTRACK] [MATCH text]",
         product_list, "Lists catalogue models by class, Fast Track or name", "reference", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
