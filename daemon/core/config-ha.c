/*
 * config-ha: the ha: section (high availability through Redis). Without the
 * section the node is alone (role single) and nothing else changes.
 *
 * Pure like the rest of the parser: no I/O, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "xmalloc.h"

/* The node's name goes into the lease value "<node> <term> <address>": no spaces. */
static void ha_node(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;
	const char *s;

	if (get_string(p, v, what, &cfg->ha_node) < 0)
		return;
	s = cfg->ha_node;
	if (s[0] == '\0' || strlen(s) > 64 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz"
	              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789._-") != strlen(s))
		cerr_at(p, v, "ha.node: \"%s\" is not a name (1-64 of A-Z a-z 0-9 . _ -)", s);
}

static void ha_advertise(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct config *cfg = obj;
	const char *colon;
	char *end;
	long port;

	if (get_string(p, v, what, &cfg->ha_advertise) < 0)
		return;
	colon = strrchr(cfg->ha_advertise, ':');
	errno = 0;
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (colon == NULL || colon == cfg->ha_advertise || colon[1] == '\0' || *end != '\0' ||
	    errno != 0 || port < 1 || port > 65535 || strchr(cfg->ha_advertise, ' ') != NULL)
		cerr_at(p, v, "ha.advertise: \"%s\" is not HOST:PORT (port 1..65535)",
		        cfg->ha_advertise);
}

static const struct ckey ha_keys[] = {
        CK_FUNC("node", ha_node, true),
        CK_FUNC("advertise", ha_advertise, false),
        CK_TYPED("lease_ms", struct config, ha_lease_ms, CK_INT, 150, 600000, NULL, 0, false),
        CK_TYPED("sync", struct config, ha_sync, CK_BOOL, 0, 0, NULL, 0, false),
        CK_TYPED("wait_replicas", struct config, ha_wait_replicas, CK_INT, 0, 100, NULL, 0, false),
};
const struct csection cfg_ha_section = {"ha", ha_keys, NKEYS(ha_keys), CK_DOTTED};

void parse_ha(struct cfgp *p, yaml_node_t *n)
{
	p->cfg->ha_enabled = true;
	if (ckeys_parse(p, n, &cfg_ha_section, "ha", "ha", p->cfg, NULL) < 0)
		return;
	if (p->cfg->ha_node == NULL)
		cerr_at(p, n, "ha: missing key \"node\" (this node's unique name)");
	/* The lease and the replicated journal live in Redis: without it there is no HA. */
	if (!p->cfg->redis_enabled)
		cerr_at(p, n,
		        "ha: needs Redis (redis.enabled: true), which holds the lease and "
		        "the journal stream");
}
