/* log: journald with structured fields, or stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "timeutil.h"

/* The log's settings: written once at start (and on reload), read everywhere. */
static struct {
	const char *ident;
	int min_prio;
	int journal;
} logstate = {"repaird", LOG_INFO, 0};

static const int level_prio[LOG_LEVEL_COUNT] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING,
                                                LOG_ERR};

/*
 * Repeated errors and warnings (an accept failing every second while the
 * process is out of descriptors) must not flood the journal: the first copy
 * of a message is logged, the identical ones within the next
 * LOG_REPEAT_WINDOW seconds are only counted, and when the window closes one
 * line "<message> (repeated N times)" reports them. Windows close on the
 * next copy after them, from log_repeats_flush() once a second, or at exit.
 */
#define LOG_REPEAT_WINDOW 10
#define LOG_REPEAT_SLOTS  16

struct log_repeat {
	uint64_t hash; /* 0: the slot is free */
	int prio;
	int64_t since;          /* monotonic seconds of the copy that was logged */
	unsigned long repeated; /* copies counted since */
	char msg[1024];
};

static struct log_repeat repeats[LOG_REPEAT_SLOTS];

static void repeats_flush_at_exit(void);

void log_set_level(enum log_level level)
{
	logstate.min_prio = level_prio[level];
}

void log_init(const char *ident, enum log_level level, int force_stderr)
{
	logstate.ident = ident;
	log_set_level(level);
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal. */
	logstate.journal = !force_stderr && getenv("JOURNAL_STREAM") != NULL;
	atexit(repeats_flush_at_exit);
}

int log_to_journal(void)
{
	return logstate.journal;
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void emit(int prio, uint64_t ticket, const char *centre, uint64_t member, const char *event,
                 const char *msg)
{
	char tb[21];

	if (prio > logstate.min_prio)
		return;
	if (logstate.journal) {
		char f[6][1100];
		struct iovec iov[6];
		int n = 0;
		snprintf(f[n++], sizeof f[0], "MESSAGE=%s", msg);
		snprintf(f[n++], sizeof f[0], "PRIORITY=%d", prio);
		snprintf(f[n++], sizeof f[0], "SYSLOG_IDENTIFIER=%s", logstate.ident);
		if (ticket)
			snprintf(f[n++], sizeof f[0], "TICKET_ID=%llu", (unsigned long long)ticket);
		if (centre)
			snprintf(f[n++], sizeof f[0], "CENTRE=%s", centre);
		if (member)
			snprintf(f[n++], sizeof f[0], "MEMBER=%llu", (unsigned long long)member);
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = f[i];
			iov[i].iov_len = strlen(f[i]);
		}
		if (event) {
			/* EVENT= may need the last slot when all the others are used. */
			char ev[80];
			struct iovec all[7];
			memcpy(all, iov, sizeof(struct iovec) * (size_t)n);
			snprintf(ev, sizeof ev, "EVENT=%s", event);
			all[n].iov_base = ev;
			all[n].iov_len = strlen(ev);
			sd_journal_sendv(all, n + 1);
		} else {
			sd_journal_sendv(iov, n);
		}
		return;
	}
	time_format((int64_t)time(NULL), tb);
	fprintf(stderr, "%s %s[%d]: %s: %s\n", tb, logstate.ident, (int)getpid(), prio_name(prio),
	        msg);
}

static int64_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Report the copies a slot counted (if any) and free it. */
static void repeat_close(struct log_repeat *r)
{
	char line[1100];

	if (r->repeated > 0) {
		snprintf(line, sizeof line, "%s (repeated %lu time%s)", r->msg, r->repeated,
		         r->repeated == 1 ? "" : "s");
		emit(r->prio, 0, NULL, 0, NULL, line);
	}
	r->hash = 0;
	r->repeated = 0;
}

void log_repeats_flush(int all)
{
	int64_t now = monotonic_seconds();

	for (int i = 0; i < LOG_REPEAT_SLOTS; i++)
		if (repeats[i].hash != 0 && (all || now - repeats[i].since >= LOG_REPEAT_WINDOW))
			repeat_close(&repeats[i]);
}

static void repeats_flush_at_exit(void)
{
	log_repeats_flush(1);
}

/* 1: log msg now; 0: a copy within its window, counted. */
static int repeat_admit(int prio, const char *msg)
{
	uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */
	struct log_repeat *slot = NULL;

	for (const char *p = msg; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	h |= 1;
	log_repeats_flush(0);
	for (int i = 0; i < LOG_REPEAT_SLOTS; i++) {
		struct log_repeat *r = &repeats[i];
		if (r->hash == h && r->prio == prio && strcmp(r->msg, msg) == 0) {
			r->repeated++;
			return 0;
		}
		if (slot == NULL || (slot->hash != 0 && (r->hash == 0 || r->since < slot->since)))
			slot = r;
	}
	/* All slots busy with other messages: the oldest window closes early. */
	if (slot->hash != 0)
		repeat_close(slot);
	slot->hash = h;
	slot->prio = prio;
	slot->since = monotonic_seconds();
	slot->repeated = 0;
	snprintf(slot->msg, sizeof slot->msg, "%s", msg);
	return 1;
}

/* Format and emit one line; warnings and worse pass repeat_admit() when rate_limit. */
static void log_v(int prio, bool rate_limit, uint64_t ticket, const char *centre, uint64_t member,
                  const char *event, const char *fmt, va_list ap)
        __attribute__((format(printf, 7, 0)));

static void log_v(int prio, bool rate_limit, uint64_t ticket, const char *centre, uint64_t member,
                  const char *event, const char *fmt, va_list ap)
{
	char msg[1024];

	if (prio > logstate.min_prio)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (rate_limit && prio <= LOG_WARNING && !repeat_admit(prio, msg))
		return;
	emit(prio, ticket, centre, member, event, msg);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(prio, true, 0, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void log_ticket(int prio, uint64_t ticket, const char *centre, uint64_t member, const char *event,
                const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(prio, false, ticket, centre, member, event, fmt, ap);
	va_end(ap);
}

const char *log_escape(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}
