/* group: helpers for suites with a group of HA nodes (see group.h). */
#include "group.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <check.h>

void grp_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

redisContext *grp_connect(const struct daemon *d, int timeout_ms)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	ck_assert_msg(c && !c->err, "cannot connect to port %d", d->port);
	redisSetTimeout(c, tv);
	return c;
}

/* TICKET.OPEN with this serial sent out now; the reply is left to read later. */
void grp_send_open(redisContext *c, const char *serial)
{
	const char *argv[9];
	int done = 0;

	open_argv(serial, argv);
	ck_assert_int_eq(redisAppendCommandArgv(c, 9, argv, NULL), REDIS_OK);
	while (!done)
		ck_assert_int_eq(redisBufferWrite(c, &done), REDIS_OK);
}

/* ---- what the test saw acknowledged --------------------------------------------------------- */

/* A success reply (a ticket) is noted; true when it was one. */
bool grp_note_ack(struct grp_acks *a, const redisReply *r, const char *serial)
{
	const char *id;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return false;
	id = field(r, "id");
	ck_assert_ptr_nonnull(id);
	ck_assert_int_lt(a->n, GRP_MAX_ACKS);
	snprintf(a->id[a->n], sizeof a->id[0], "%s", id);
	snprintf(a->serial[a->n], sizeof a->serial[0], "%s", serial);
	a->n++;
	return true;
}

/* n tickets PREFIX000..: each must be acknowledged. */
void grp_open_acked(const struct daemon *d, struct grp_acks *a, const char *prefix, int n)
{
	redisContext *c = grp_connect(d, 3000);

	for (int i = 0; i < n; i++) {
		char serial[24];
		redisReply *r;
		snprintf(serial, sizeof serial, "%s%03d", prefix, i);
		r = open_ticket(c, serial);
		ck_assert_msg(grp_note_ack(a, r, serial), "%s refused: %s", serial,
		              r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
		freeReplyObject(r);
	}
	redisFree(c);
}

long long grp_tickets(const struct daemon *d)
{
	return harness_info_num(d, "tickets", "tickets_total");
}

/* The serial of ticket id on the node, or "" (static buffer). */
const char *grp_serial_of(redisContext *c, long long id)
{
	static char out[64];
	redisReply *r = redisCommand(c, "TICKET.GET %lld", id);
	const char *v = r && r->type == REDIS_REPLY_ARRAY ? field(r, "serial") : NULL;

	snprintf(out, sizeof out, "%s", v ? v : "");
	freeReplyObject(r);
	return out;
}

/*
 * The leader's tickets are 1..n, each serial once; every acknowledged ticket
 * is among them under the id its client was given; the standby holds the
 * same ids with the same serials.
 */
void grp_check_same(const struct daemon *leader, const struct daemon *standby,
                    const struct grp_acks *a)
{
	redisContext *cl = grp_connect(leader, 3000), *cs = grp_connect(standby, 3000);
	long long n = grp_tickets(leader);
	static char seen[GRP_MAX_ACKS + 1][24];

	ck_assert_int_le(n, GRP_MAX_ACKS);
	/* The standby applies the leader's last writes a moment later. */
	WAIT_UNTIL(grp_tickets(standby) == n, 3000);
	ck_assert_int_eq(grp_tickets(standby), n);
	for (long long id = 1; id <= n; id++) {
		snprintf(seen[id], sizeof seen[id], "%s", grp_serial_of(cl, id));
		ck_assert_msg(seen[id][0], "ticket %lld missing on the leader", id);
		for (long long j = 1; j < id; j++)
			ck_assert_msg(strcmp(seen[j], seen[id]) != 0,
			              "serial %s is ticket %lld and ticket %lld", seen[id], j, id);
		ck_assert_str_eq(grp_serial_of(cs, id), seen[id]);
	}
	for (int i = 0; i < a->n; i++) {
		long long id = atoll(a->id[i]);
		ck_assert_msg(id >= 1 && id <= n && strcmp(seen[id], a->serial[i]) == 0,
		              "acknowledged ticket %s (%s) is %s on the leader", a->id[i],
		              a->serial[i], id >= 1 && id <= n ? seen[id] : "absent");
	}
	redisFree(cl);
	redisFree(cs);
}

/*
 * Every event in the centre's stream names a ticket the leader holds, with
 * that ticket's serial, and each sequence number is there once; how many.
 */
long long grp_check_events(int redis_port, const struct daemon *leader)
{
	redisContext *rc = redisConnect("127.0.0.1", redis_port), *c = grp_connect(leader, 3000);
	redisReply *r;
	unsigned long long prev = 0;
	long long n = 0;

	ck_assert_msg(rc && !rc->err, "cannot connect to redis");
	r = redisCommand(rc, "XRANGE sp:events:DE-PSC-TEST - +");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *f = r->element[i]->element[1];
		const char *seq = field(f, "seq"), *ticket = field(f, "ticket"),
		           *serial = field(f, "serial");
		unsigned long long sq;
		ck_assert_ptr_nonnull(seq);
		ck_assert_ptr_nonnull(ticket);
		ck_assert_ptr_nonnull(serial);
		sq = strtoull(seq, NULL, 10);
		ck_assert_msg(sq > prev, "event seq %llu after %llu", sq, prev);
		prev = sq;
		ck_assert_msg(strcmp(grp_serial_of(c, atoll(ticket)), serial) == 0,
		              "event %s says ticket %s is %s; the leader's ticket %s is %s", seq,
		              ticket, serial, ticket, grp_serial_of(c, atoll(ticket)));
		n++;
	}
	freeReplyObject(r);
	redisFree(rc);
	redisFree(c);
	return n;
}

/* Both nodes agree on who leads, hold the same tickets, and the standby lags by nothing. */
void grp_wait_converged(const struct daemon *leader, const struct daemon *standby,
                        const char *leader_name)
{
	WAIT_UNTIL(is_role(standby, "standby") &&
	                   strcmp(harness_role_field(standby, "leader"), leader_name) == 0 &&
	                   grp_tickets(standby) == grp_tickets(leader) &&
	                   harness_info_num(standby, "replication", "ready") == 1,
	           5000);
	ck_assert_str_eq(harness_role_field(standby, "role"), "standby");
	ck_assert_str_eq(harness_role_field(standby, "leader"), leader_name);
	ck_assert_int_eq(grp_tickets(standby), grp_tickets(leader));
	ck_assert_int_eq(harness_info_num(standby, "replication", "ready"), 1);
}

static void *writer_main(void *arg)
{
	struct grp_writer *w = arg;
	redisContext *c = redisConnect("127.0.0.1", w->d->port);
	struct timeval tv = {2, 0};
	char serials[16][24];
	int next = 0;

	if (c == NULL || c->err)
		return NULL;
	redisSetTimeout(c, tv);
	for (bool going = true; going && w->acks.n + 16 <= GRP_WRITER_MAX;) {
		const char *argv[9];
		for (int i = 0; i < 16; i++) {
			snprintf(serials[i], sizeof serials[i], "LOAD%04d", next++);
			open_argv(serials[i], argv);
			redisAppendCommandArgv(c, 9, argv, NULL);
		}
		for (int i = 0; i < 16; i++) {
			redisReply *r = NULL;
			if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
				going = false;
				break;
			}
			/* Acknowledged or not, nothing else but a ticket counts. */
			if (!grp_note_ack(&w->acks, r, serials[i]))
				going = false;
			freeReplyObject(r);
		}
		grp_sleep_ms(10);
	}
	redisFree(c);
	return NULL;
}

/* A line of INFO replication on d is exactly `line` (e.g. "redis_link:up"). */
bool grp_info_line(const struct daemon *d, const char *line)
{
	redisContext *c = redisConnect("127.0.0.1", d->port);
	char want[96];
	bool found = false;

	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "INFO replication");
		found = r && r->type == REDIS_REPLY_STRING && strstr(r->str, want) != NULL;
		freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return found;
}

void grp_writer_start(struct grp_writer *w, const struct daemon *d)
{
	w->d = d;
	ck_assert_int_eq(pthread_create(&w->thread, NULL, writer_main, w), 0);
}

void grp_writer_join(struct grp_writer *w)
{
	pthread_join(w->thread, NULL);
}
