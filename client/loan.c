/* loan: repairctl loan issue|return (a loan unit for a ticket's member). */
#include <string.h>

#include "repairctl.h"

static int loan(struct ctl *c, const struct subcmd *sc, int argc, char **argv)
{
	bool is_issue = strcmp(sc->verb, "issue") == 0;
	struct args a;
	int rc, first;

	if ((rc = cli_parse_one(c, sc, argc, argv, cli_ticket_id, &first)) != 0)
		return rc;
	args_init(&a, is_issue ? "LOAN.ISSUE" : "LOAN.RETURN");
	args_add(&a, argv[first]);
	if (c->o.serial)
		args_add2(&a, "SERIAL", c->o.serial);
	if (c->o.note)
		args_add2(&a, "NOTE", c->o.note);
	return call_print(c, &a, OBJ_TICKET);
}

const struct subcmd loan_cmds[] = {
        {"loan", "issue", loan, NULL, "serial note", "loan issue ID [--serial S] [--note TEXT]",
         "Record that a loan unit (--serial: its serial) was handed to the ticket's member.\n"
         "Only for a loan-eligible ticket whose loan was not issued yet.\n"},
        {"loan", "return", loan, NULL, "note", "loan return ID [--note TEXT]",
         "Record that the loan unit of the ticket came back.\n"},
};
const size_t nloan_cmds = sizeof loan_cmds / sizeof loan_cmds[0];
