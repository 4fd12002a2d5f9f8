/*
 * group: what the suites with a group of HA nodes share (test_it_split):
 * talking to a node, opening tickets and keeping what was acknowledged, and
 * checking that the nodes hold the same tickets and Redis the right events.
 * Every ticket is a TICKET.OPEN in DE-PSC-TEST of an EOS R5 with a serial
 * (open_argv(), open_ticket() and is_role() are in ha_nodes.h).
 */
#ifndef REPAIRD_GROUP_H
#define REPAIRD_GROUP_H

#include <pthread.h>
#include <stdbool.h>

#include "ha_nodes.h"
#include "harness.h"

/* A sleep of ms milliseconds. */
void grp_sleep_ms(int ms);
/* A TCP connection to d with a reply timeout (the test fails if it cannot connect). */
redisContext *grp_connect(const struct daemon *d, int timeout_ms);

/* TICKET.OPEN with this serial sent out now; the reply is left to read later. */
void grp_send_open(redisContext *c, const char *serial);

/* What a test saw acknowledged: ticket id and serial. */
#define GRP_MAX_ACKS 2048
struct grp_acks {
	int n;
	char id[GRP_MAX_ACKS][16], serial[GRP_MAX_ACKS][24];
};
/* A success reply (a ticket) is noted; true when it was one. */
bool grp_note_ack(struct grp_acks *a, const redisReply *r, const char *serial);
/* n tickets PREFIX000.. on d: each must be acknowledged. */
void grp_open_acked(const struct daemon *d, struct grp_acks *a, const char *prefix, int n);

/* INFO tickets_total of d (-1 when it does not answer). */
long long grp_tickets(const struct daemon *d);
/* The serial of ticket id over c, or "" (static buffer). */
const char *grp_serial_of(redisContext *c, long long id);
/*
 * The leader's tickets are 1..n, each serial once; every acknowledged ticket
 * is among them under the id its client was given; the standby holds the
 * same ids with the same serials (waited for a moment).
 */
void grp_check_same(const struct daemon *leader, const struct daemon *standby,
                    const struct grp_acks *a);
/*
 * Every event in DE-PSC-TEST's stream (prefix sp) names a ticket the
 * leader holds, with its serial, each sequence number once; how many.
 */
long long grp_check_events(int redis_port, const struct daemon *leader);
/* The standby follows leader_name, holds the leader's tickets and is ready (up to 5 s). */
void grp_wait_converged(const struct daemon *leader, const struct daemon *standby,
                        const char *leader_name);
/* A line of INFO replication on d is exactly `line` (e.g. "redis_link:up"). */
bool grp_info_line(const struct daemon *d, const char *line);

/* A writer thread: pipelines of 16 TICKET.OPEN (serials LOAD0000..) until one is no success. */
#define GRP_WRITER_MAX (GRP_MAX_ACKS - 256) /* it stops short: room for acks that follow */
struct grp_writer {
	const struct daemon *d;
	struct grp_acks acks;
	pthread_t thread;
};
void grp_writer_start(struct grp_writer *w, const struct daemon *d);
void grp_writer_join(struct grp_writer *w);

#endif
