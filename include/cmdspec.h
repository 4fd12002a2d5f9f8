/*
 * cmdspec: a command's usage line ("TICKET.MOVE id state [AT time]") read
 * as the argument tree Redis 7's COMMAND DOCS gives, so that the usage the
 * command table carries is the one description of a command's arguments:
 * wrong-arity errors, COMMAND DOCS (redis-cli's hints) and the docs all
 * say the same.
 *
 * The notation: a lower-case word is a value; a word in capitals is a
 * keyword (a pure token alone, else the token of the value or values after
 * it); `a|b|c` is one of those words; `[ ]` is optional; `...` after an
 * argument lets it repeat.
 *
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef REPAIRD_CMDSPEC_H
#define REPAIRD_CMDSPEC_H

#include <stdbool.h>
#include <stddef.h>

enum cmdspec_type {
	CMDSPEC_STRING,
	CMDSPEC_INTEGER,
	CMDSPEC_PURE_TOKEN,
	CMDSPEC_ONEOF,
	CMDSPEC_BLOCK,
};

/* Redis's words for the types: "string", "integer", "pure-token", "oneof", "block". */
extern const char *const cmdspec_type_names[];

#define CMDSPEC_MAX_ARGS 64
#define CMDSPEC_NAME_MAX 40

struct cmdspec_arg {
	char name[CMDSPEC_NAME_MAX];
	char token[CMDSPEC_NAME_MAX]; /* the keyword before the value; "" for none */
	enum cmdspec_type type;
	bool optional;
	bool multiple;
	int child; /* the first argument inside a oneof or block; -1 none */
	int next;  /* the next argument at the same level; -1 none */
};

struct cmdspec {
	struct cmdspec_arg arg[CMDSPEC_MAX_ARGS];
	int narg;
	int first; /* the first top-level argument; -1: the command takes none */
};

/*
 * Read usage, leaving out its first skip words (the command's name: 1, or
 * 2 for a subcommand such as "CLIENT SETNAME"). 0, or -1 with the reason in
 * err (unbalanced brackets, too many arguments, a word too long).
 */
int cmdspec_parse(const char *usage, int skip, struct cmdspec *spec, char *err, size_t errlen);

#endif
