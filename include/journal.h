/*
 * journal: the append-only journal's records. Each record is
 *
 *     u32 length of the payload | u8 type | payload | u32 CRC32C(type, payload)
 *
 * (little-endian). Records carry states, not commands, so replay needs no
 * configuration and gives back exactly the tickets, members, outbox, event
 * sequence and delivery state the daemon had. A ticket's first record is the
 * whole ticket (scalars, strings, history); a change to it afterwards is a
 * delta record: its mutable fields and the history entries it gained, so a
 * move costs the same however long the history. Compaction writes one whole
 * record per live object.
 *
 * Format 3 writes deltas and commits as JREC_DELTA_V and JREC_COMMIT_V:
 * unsigned LEB128 varints, zigzag for signed values, times as differences
 * from the record's last_change, a plain move's "from -> to" text as one
 * byte; a plain TICKET.MOVE journals about 60 bytes instead of 187.
 * It reads format 2 (JREC_DELTA and JREC_COMMIT with fixed-width fields,
 * stream records; only events of the types kept for Redis) and format 1
 * (whole tickets, every event, clock records) too.
 *
 * Pure: encoding, decoding, checking (crc32c.h) and applying records to an engine. The file
 * itself (open, write, fdatasync, truncate, rename) is the shell's
 * (daemon/journal-file.c).
 */
#ifndef REPAIRD_JOURNAL_H
#define REPAIRD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crc32c.h"
#include "engine.h"
#include "proto.h"

enum jrec_type {
	JREC_TICKET = 1,
	JREC_MEMBER = 2,
	JREC_EVENT = 3,
	JREC_DELIVERED = 4, /* events up to this sequence number were delivered */
	JREC_CLOCK = 5,     /* the latest instant the engine processed */
	JREC_HEADER = 6,    /* first record of every file: magic and format version */
	JREC_CONFIG = 7,    /* fingerprint of the configuration the records were computed with */
	JREC_COMMIT = 8,   /* end of a batch: the clock and the event sequence reached (format 2) */
	JREC_DELTA = 9,    /* a ticket's mutable fields and new history entries (format 2) */
	JREC_STREAM = 10,  /* the last event sequence delivered to a centre's stream (format 2) */
	JREC_IDS = 11,     /* ticket ids up to this were issued: those left out were archived */
	JREC_DELTA_V = 12, /* JREC_DELTA in varints, times relative to last_change (format 3) */
	JREC_COMMIT_V = 13, /* JREC_COMMIT in varints (format 3) */
	JREC_TYPE_MAX = JREC_COMMIT_V
};

#define JOURNAL_MAGIC "repaird-journal"
/*
 * Written; 1 and 2 are read too. 3 only says that the file may hold varint
 * records: a repaird that reads 1 to 2 then refuses the file at its header
 * instead of taking the first record of an unknown type for a torn tail.
 */
#define JOURNAL_VERSION     3
#define JOURNAL_HEADER_SIZE 4 /* bytes before the payload */
#define JOURNAL_MAX_RECORD  (16u << 20)

/* Append one framed record of each kind to b. */
void journal_put_header(struct rbuf *b);
void journal_put_ticket(struct rbuf *b, const struct engine *e, const struct ticket *t);
void journal_put_member(struct rbuf *b, const struct member *m);
void journal_put_event(struct rbuf *b, const struct engine *e, const struct event *ev);
void journal_put_u64(struct rbuf *b, enum jrec_type type, uint64_t v);
/* A delta record (JREC_DELTA_V) of t: fields and the history entries after the first nhist. */
void journal_put_delta(struct rbuf *b, const struct engine *e, const struct ticket *t,
                       uint32_t nhist);
void journal_put_commit(struct rbuf *b, int64_t clock, uint64_t seq);
void journal_put_stream(struct rbuf *b, const char *centre, uint64_t seq);

/*
 * Append records for everything the engine changed since the last call
 * (members, tickets whole or as deltas, the events not journaled yet, stream
 * delivery state, then a commit record), then clear the engine's change
 * lists. O(what changed): the events waiting in the outbox are not walked.
 * *last_seq becomes the engine's last sequence: every event up to it is
 * journaled. Returns how many records were added.
 */
size_t journal_put_changes(struct rbuf *b, struct engine *e, uint64_t *last_seq);
/*
 * Records for the whole live state (compaction): header, members, tickets,
 * streams, retained and waiting events, delivered, commit.
 */
void journal_put_snapshot(struct rbuf *b, const struct engine *e);

enum jnext {
	JNEXT_OK,      /* a whole record, CRC good */
	JNEXT_END,     /* no bytes left, or only zeros (written ahead of the end) */
	JNEXT_TORN,    /* the bytes left are a prefix of a record: a torn tail */
	JNEXT_CORRUPT, /* a record whose CRC or framing is wrong, with bytes after it */
};

struct jrec {
	uint8_t type;
	const unsigned char *payload;
	uint32_t len;
};

/* Read the record at buf[*off]; on JNEXT_OK *off moves past it. */
enum jnext journal_next(const unsigned char *buf, size_t len, size_t *off, struct jrec *rec);

/*
 * A journal file whose bad record at off (JNEXT_CORRUPT) is a commit torn by
 * a power failure rather than damage. The commit overwrote zeros written
 * ahead of the end, and its pages may reach the disk in any order: a lost
 * one leaves zeros, then pieces of the same commit, then zeros to the end.
 * True when the bytes after off end in zeros and hold no whole commit
 * record (the end of a batch) with other bytes after it: a second batch
 * after the bad record is damage. The same judgement as for a bad last
 * record, widened to the last commit; a span over JOURNAL_TORN_SPAN is
 * always damage.
 */
#define JOURNAL_TORN_SPAN (64u << 20)
bool journal_torn_commit(const unsigned char *buf, size_t len, size_t off);

/* Apply one record to the engine. 0, or -1 with a reason in err (malformed payload). */
int journal_apply(struct engine *e, const struct jrec *rec, char *err, size_t errlen);

#endif
