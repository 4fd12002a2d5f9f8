/* cmd-member: MEMBER.SET, MEMBER.GET, MEMBER.DEL (docs/protocol.md, "Members"). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "timeutil.h"

static int parse_number(struct cmd_req *r, const char *s, uint64_t *out)
{
	char err[200];

	if (policy_parse_member_number(s, out, err, sizeof err) == 0)
		return 0;
	reply_error(r->out, "INVALID", err);
	return -1;
}

static int member_set(struct cmd_req *r)
{
	enum { TIER, COUNTRY, PROGRAMME, EXPIRES, NAME };
	struct cmd_opt o[] = {{"TIER", 1, NULL, 0},
	                      {"COUNTRY", 1, NULL, 0},
	                      {"PROGRAMME", 1, NULL, 0},
	                      {"EXPIRES", 1, NULL, 0},
	                      {"NAME", 1, NULL, 0}};
	struct member_input in = {.expires = -1};
	struct engine_error err;
	char esc[80];
	int i;

	if (parse_number(r, r->argv[1], &in.number) < 0 ||
	    cmd_parse_options(r, 2, o, sizeof o / sizeof o[0]) < 0)
		return -1;
	if (!o[TIER].seen || !o[COUNTRY].seen) {
		cmd_syntax_error(r, "MEMBER.SET needs %s", o[TIER].seen ? "COUNTRY" : "TIER");
		return -1;
	}
	if ((i = cmd_parse_enum(r, "tier", o[TIER].value, tier_names, TIER_COUNT)) < 0)
		return -1;
	in.tier = (enum tier)i;
	if (strlen(o[COUNTRY].value) != 2 || !country_code_exists(o[COUNTRY].value)) {
		reply_errorf(
		        r->out, "INVALID",
		        "country \"%s\": an ISO 3166 country code in capitals, such as DE or GB",
		        log_escape(o[COUNTRY].value, strlen(o[COUNTRY].value), esc, 64));
		return -1;
	}
	memcpy(in.country, o[COUNTRY].value, 3);
	if (o[PROGRAMME].seen) {
		if ((i = cmd_parse_enum(r, "programme", o[PROGRAMME].value, programme_names,
		                        PROGRAMME_COUNT)) < 0)
			return -1;
		in.has_programme = true;
		in.programme = (enum programme)i;
	}
	if (o[EXPIRES].seen && cmd_parse_date(r, "expires", o[EXPIRES].value, &in.expires) < 0)
		return -1;
	in.name = o[NAME].value;
	if (engine_member_set(r->srv->eng, &in, r->now, &err) < 0) {
		cmd_reply_engine_error(r, &err);
		return -1;
	}
	reply_ok(r->out);
	return 0;
}

static int member_get(struct cmd_req *r)
{
	const struct member *m;
	uint64_t number;
	char buf[32], date[11];

	if (parse_number(r, r->argv[1], &number) < 0)
		return -1;
	m = engine_member_get(r->srv->eng, number);
	if (m == NULL) {
		reply_errorf(r->out, "NOTFOUND", "member %llu: no such member",
		             (unsigned long long)number);
		return -1;
	}
	reply_record(r->out, r->c->resp, 10);
	reply_bulk_str(r->out, "number");
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)m->number);
	reply_bulk_str(r->out, buf);
	reply_bulk_str(r->out, "tier");
	reply_bulk_str(r->out, tier_names[m->tier]);
	reply_bulk_str(r->out, "effective_tier");
	reply_bulk_str(r->out, tier_names[engine_member_effective_tier(r->srv->eng, m)]);
	reply_bulk_str(r->out, "programme");
	reply_bulk_str(r->out, programme_names[engine_member_programme(r->srv->eng, m)]);
	reply_bulk_str(r->out, "country");
	reply_bulk_str(r->out, m->country);
	reply_bulk_str(r->out, "expires");
	if (m->expires >= 0)
		date_format(m->expires, date);
	reply_bulk_str(r->out, m->expires >= 0 ? date : "");
	reply_bulk_str(r->out, "name");
	reply_bulk_str(r->out, m->name ? m->name : "");
	reply_bulk_str(r->out, "in_service");
	snprintf(buf, sizeof buf, "%u", m->in_service);
	reply_bulk_str(r->out, buf);
	reply_bulk_str(r->out, "queued");
	snprintf(buf, sizeof buf, "%u", m->nqueued);
	reply_bulk_str(r->out, buf);
	/* Outside EMEA: a member of another region, served with priority but no Fast Track. */
	reply_bulk_str(r->out, "emea");
	reply_bulk_str(r->out, config_is_emea(engine_config(r->srv->eng), m->country) ? "1" : "0");
	return 0;
}

static int member_del(struct cmd_req *r)
{
	uint64_t number;

	if (parse_number(r, r->argv[1], &number) < 0)
		return -1;
	reply_int(r->out, engine_member_del(r->srv->eng, number, r->now));
	return 0;
}

const struct cmd_entry cmd_member_entries[] = {
        {"MEMBER.SET", -6, CMD_WRITE | CMD_MEMBER,
         "MEMBER.SET number TIER tier COUNTRY cc [PROGRAMME free|subscription] [EXPIRES date] "
         "[NAME text]",
         member_set, "Creates a member or replaces the whole record", "members", NULL},
        {"MEMBER.GET", 2, CMD_READONLY | CMD_MEMBER, "MEMBER.GET number", member_get,
         "Replies a member", "members", NULL},
        {"MEMBER.DEL", 2, CMD_WRITE | CMD_MEMBER, "MEMBER.DEL number", member_del,
         "Deletes a member", "members", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
