/*
 * journal: the append-only journal's records. Each record is
 *
 *     u32 length of the payload | u8 type | payload | u32 CRC32C(type, payload)
 *
 * (little-endian). Records carry whole states, not commands: a ticket record
 * is the ticket as it is after the change (scalars, strings, history), so
 * replay needs no configuration and gives back exactly the tickets, members,
 * outbox and event sequence the daemon had. Compaction writes one record per
 * live object.
 *
 * Pure: encoding, decoding, checking (crc32c.h) and applying records to an engine. The file
 * itself (open, write, fdatasync, truncate, rename) is the shell's
 * (daemon/journal-file.c).
 */
#ifndef REPAIRD_JOURNAL_H
#define REPAIRD_JOURNAL_H

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
};

#define JOURNAL_MAGIC       "repaird-journal"
#define JOURNAL_VERSION     1
#define JOURNAL_HEADER_SIZE 4 /* bytes before the payload */
#define JOURNAL_MAX_RECORD  (16u << 20)

/* Append one framed record of each kind to b. */
void journal_put_header(struct rbuf *b);
void journal_put_ticket(struct rbuf *b, const struct engine *e, const struct ticket *t);
void journal_put_member(struct rbuf *b, const struct member *m);
void journal_put_event(struct rbuf *b, const struct engine *e, const struct event *ev);
void journal_put_u64(struct rbuf *b, enum jrec_type type, uint64_t v);

/*
 * Append records for everything the engine changed since the last call
 * (tickets, members, new events after *last_seq, the clock), then clear the
 * engine's change lists. Returns how many records were added.
 */
size_t journal_put_changes(struct rbuf *b, struct engine *e, uint64_t *last_seq);
/* Records for the whole live state (compaction): header, members, tickets, outbox, clock. */
void journal_put_snapshot(struct rbuf *b, const struct engine *e);

enum jnext {
	JNEXT_OK,      /* a whole record, CRC good */
	JNEXT_END,     /* no bytes left */
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

/* Apply one record to the engine. 0, or -1 with a reason in err (malformed payload). */
int journal_apply(struct engine *e, const struct jrec *rec, char *err, size_t errlen);

#endif
