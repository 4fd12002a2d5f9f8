/*
 * log: the daemon's log. To journald with structured fields (TICKET_ID=,
 * CENTRE=, MEMBER=, EVENT=) when stderr is connected to the journal, else
 * readable lines on stderr. Client bytes must go through log_escape() before
 * they reach a message; they are never a format string.
 *
 * Shell: this module does I/O.
 */
#ifndef REPAIRD_LOG_H
#define REPAIRD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "domain.h"

void log_init(const char *ident, enum log_level level, int force_stderr);
void log_set_level(enum log_level level);
int log_to_journal(void);

/*
 * prio: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG. An error or
 * warning identical to one logged less than 10 s ago is only counted; the
 * count follows as "<message> (repeated N times)" when the 10 s are over.
 */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report the repeat counts whose 10 s are over (all: every pending count). Once a second. */
void log_repeats_flush(int all);

/* A message about a ticket, with the structured fields set (0 / NULL: left out). */
void log_ticket(int prio, uint64_t ticket, const char *centre, uint64_t member, const char *event,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Printable ASCII copy of untrusted bytes (\xHH for the rest), truncated to fit out. */
const char *log_escape(const char *s, size_t len, char *out, size_t outlen);

#endif
