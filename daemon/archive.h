/*
 * archive: closed tickets past retention.closed_days, out of memory and the
 * live journal, kept as newline-delimited JSON, one file per UTC year of
 * closing: state_dir/archive/YYYY.ndjson. Each line is one ticket, its
 * fields under the protocol's names plus "history", starting with
 * {"id":N, so that `jq`, `grep '^{"id":42,'` and archive_lookup() all read
 * it. Lines are only appended; a ticket may appear twice (a compaction
 * interrupted after the archive was written, or a ticket that changed while
 * it was archived): the last line of an id is the one that counts.
 *
 * The journal file's compaction writes the lines (archive_write) and makes
 * them durable, file and directory, before the journal that no longer holds
 * those tickets is renamed into place: a crash in between leaves a ticket
 * in both, never in neither.
 *
 * Shell: file I/O. Prefix archive_.
 */
#ifndef REPAIRD_ARCHIVE_H
#define REPAIRD_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "proto.h"

/* One ticket as a JSON line (with the newline) appended to b. */
void archive_line(struct rbuf *b, const struct engine *e, const struct ticket *t);

/*
 * Append the lines of the tickets ids[0..n) (those in memory; with
 * only_changed, only those whose rearchive bit is set) to their year
 * files under state_dir/archive, creating what is missing, and fsync each
 * file and the directories. 0, or -1 with the reason in err.
 */
int archive_write(const char *state_dir, const struct engine *e, const uint64_t *ids, size_t n,
                  bool only_changed, char *err, size_t errlen);

/*
 * `repaird --archive STATE_DIR ID`: print ticket id's last archived line to
 * out. EX_OK, EX_NOINPUT (no archive directory, or the id is in none of its
 * files) or EX_DATAERR (the id is not a ticket id), with a message on stderr.
 */
int archive_lookup(const char *state_dir, const char *id, FILE *out);

#endif
