/* ha_nodes: what the HA suites share (ha_nodes.h). */
#include "ha_nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void node_prepare(struct daemon *d, int redis_port, const char *name, const char *sync)
{
	char yaml[512];

	snprintf(yaml, sizeof yaml,
	         "redis: {host: 127.0.0.1, port: %d, prefix: ht, connect_timeout_ms: 500, "
	         "reply_timeout_ms: 1000, events: [ticket.opened]}\n"
	         "ha: {node: %s, lease_ms: %d, sync: %s}\n",
	         redis_port, name, LEASE_MS, sync);
	daemon_prepare(d, yaml);
}

/* A field of ROLE, or "" when the node does not answer (static buffer per field). */
const char *role_field(const struct daemon *d, const char *name)
{
	static char out[4][128];
	static int slot;
	redisContext *c = redisConnect("127.0.0.1", d->port);
	char *buf = out[slot++ % 4];

	buf[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "ROLE");
		const char *v = r ? field(r, name) : NULL;
		snprintf(buf, 128, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return buf;
}

bool is_role(const struct daemon *d, const char *role)
{
	return strcmp(role_field(d, "role"), role) == 0;
}

/* TICKET.OPEN with this serial; the reply (the caller frees it), or NULL when no answer. */
redisReply *open_ticket(redisContext *c, const char *serial)
{
	const char *argv[] = {"TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
	                      "SERIAL",      serial,   "SERVICE",     "repair"};

	return redisCommandArgv(c, 9, argv, NULL);
}

bool opened(redisContext *c, const char *serial)
{
	redisReply *r = open_ticket(c, serial);
	bool ok = r && r->type == REDIS_REPLY_ARRAY;

	freeReplyObject(r);
	return ok;
}

/* The serial of ticket id on the node, or "" (static buffer). */
const char *serial_of(const struct daemon *d, const char *id)
{
	static char out[64];
	redisContext *c = redisConnect("127.0.0.1", d->port);

	out[0] = '\0';
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "TICKET.GET %s", id);
		const char *v = r && r->type == REDIS_REPLY_ARRAY ? field(r, "serial") : NULL;
		snprintf(out, sizeof out, "%s", v ? v : "");
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return out;
}

/* A line of INFO as a number (-1 when absent). */
long long info_num(const struct daemon *d, const char *section, const char *key)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	long long v = -1;
	char want[64];

	snprintf(want, sizeof want, "\r\n%s:", key);
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "INFO %s", section);
		const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, want) : NULL;
		if (at)
			v = atoll(at + strlen(want));
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return v;
}
