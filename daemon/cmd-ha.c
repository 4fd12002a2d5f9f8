/* cmd-ha: ROLE (docs/protocol.md, "High availability"); the state is ha.c's. */
#include "cmd.h"
#include "ha.h"

static int role(struct cmd_req *r)
{
	ha_reply_role(r->srv->ha, r->out);
	return 0;
}

const struct cmd_entry cmd_ha_entries[] = {
        {"ROLE", 1, CMD_READONLY, "ROLE", role,
         "This node's part in high availability: leader, standby or single", "server", NULL},
        {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL},
};
