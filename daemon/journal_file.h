/*
 * jfile (journal-file.c): the journal on disk (state_dir/journal). Replay at start,
 * group commit once per loop iteration (one write, then one fdatasync under
 * fsync: always, before any reply of the iteration is released), the
 * everysec flusher, compaction by snapshot + rename, and the offline
 * `repaird --check-journal FILE [--fix]`.
 *
 * The last room on a request's path (conn.c, cmd.c, cmd-*.c, the engine,
 * then here): server.c's commit calls jfile_commit() once per loop
 * iteration, and conn.c releases the replies only after it succeeded.
 *
 * Shell: this module does file I/O. Record encoding lives in the core
 * (journal.h, prefix journal_); this module's prefix is jfile_.
 *
 * The records of an iteration wait in the module's own buffer: the changes
 * of the engine are collected by jfile_commit() itself, and the two records
 * the shell adds on its own go in through jfile_note_config() and
 * jfile_note_delivered(). Nothing else writes to buf.
 */
#ifndef REPAIRD_JOURNAL_FILE_H
#define REPAIRD_JOURNAL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "engine.h"
#include "prealloc.h"
#include "proto.h"

struct jfile {
	char *path;
	int fd;
	enum fsync_policy fsync;
	uint64_t size;        /* bytes of records on disk (durable under always); zeros follow */
	struct prealloc pre;  /* the zeros written ahead of size (prealloc.h) */
	uint64_t records;     /* records in the file */
	uint64_t last_seq;    /* events up to this sequence are in the journal */
	uint32_t fingerprint; /* of the configuration last recorded */
	struct rbuf buf;      /* records of this iteration, not yet written */
	uint64_t buf_records;
	bool unsynced;     /* written but not yet fdatasync'ed (everysec, no) */
	bool failed;       /* the last write or fsync failed: refuse changes (IOERR) */
	bool sync_failed;  /* an fdatasync failed under everysec/no: only a rewrite clears it */
	uint64_t rewrites; /* whole journals written again from memory after a failed fdatasync */
	char last_error[256];
	int64_t last_fsync; /* real time of the last successful fdatasync */
	uint64_t fsyncs;
	int64_t last_fsync_usec; /* how long the last successful fdatasync took (metrics) */
	uint64_t compactions;
	uint64_t live_size;  /* size of the last snapshot (for the compaction trigger) */
	int64_t replay_usec; /* how long replay took at start */

	/* Compaction in a child process (Redis's AOF rewrite): the child writes the
	 * snapshot of the state at fork time; what the parent writes meanwhile is
	 * kept in rewrite and appended before the switch. */
	int compact_pid; /* 0: none running */
	struct rbuf rewrite;
	uint64_t rewrite_records;
	uint64_t snapshot_records;
	int64_t compact_started;

	/* Retention (archive.h): with archive set, a compaction moves tickets closed
	 * before archive_cutoff to the archive in dir, before its rename. */
	char *dir; /* the state directory */
	bool archive;
	int64_t archive_cutoff;
	struct engine *compact_eng; /* the engine whose tickets the running compaction marked */
	uint64_t archived;          /* tickets the last compaction archived */
	uint64_t archived_total;    /* since start */
	/*
	 * HA (ha.c): when set, every batch jfile_commit() writes is copied here
	 * too, and tap_ready(tap_arg) is called once it is written, before the
	 * fdatasync: the batch travels to Redis while the disk works.
	 */
	struct rbuf *tap;
	uint64_t *tap_records;
	void (*tap_ready)(void *arg);
	void *tap_arg;
};

/*
 * Open (or create) the journal and replay it into e. A torn tail is cut off
 * (logged with its offset); damage in the middle refuses to start with the
 * offset and the --check-journal hint in err.
 */
int jfile_open(struct jfile *j, const char *dir, enum fsync_policy fsync, struct engine *e,
               char *err, size_t errlen);
void jfile_close(struct jfile *j);

/* Record the configuration's fingerprint when it differs from the last one. 1 if changed. */
int jfile_note_config(struct jfile *j, uint32_t fingerprint);

/* Record that Redis confirmed every event up to seq (upstream.c); goes out with the next commit. */
void jfile_note_delivered(struct jfile *j, uint64_t seq);

/*
 * Collect the engine's changes into records and make them durable as the
 * fsync policy says. 0 on success (also when there was nothing to write);
 * -1 when the write or fdatasync failed (nothing of this batch is
 * acknowledged; the records stay buffered for the next attempt).
 */
int jfile_commit(struct jfile *j, struct engine *e, uint64_t *records_written);
/*
 * HA standby: records a leader shipped, already applied to e, go into this
 * node's journal with the next commit (as they are: the same bytes).
 */
void jfile_append_batch(struct jfile *j, struct engine *e, const char *data, size_t len,
                        uint64_t records);
/* everysec: fdatasync if something was written since the last one. */
int jfile_sync(struct jfile *j);

/*
 * Start compaction: fork a child that writes a snapshot of e to journal.compact
 * and fsyncs it. With j->archive, the tickets closed before j->archive_cutoff
 * are marked first (at or before); the child appends them to the archive (fsync'ed, file and
 * directory) before it writes the snapshot, which leaves them out.
 * 0 started, -1 with the reason (one already runs, fork failed).
 */
int jfile_compact_start(struct jfile *j, struct engine *e, char *err, size_t errlen);
/*
 * Check on a running compaction; when the child is done, commit what is
 * pending, write the archive lines of marked tickets that changed meanwhile
 * again, append what was written meanwhile, fsync, rename over the journal
 * and fsync the directory; then the archived tickets leave memory. A crash
 * at any point leaves either the old or the new journal, complete, and
 * every archived ticket in the archive or the journal (or both).
 * Returns 0 still running (or none), 1 switched, -1 failed (old journal kept).
 */
int jfile_compact_poll(struct jfile *j, struct engine *e, char *err, size_t errlen);
/*
 * Write the whole state again from memory to a new journal (after a failed
 * fdatasync under everysec/no, whose pages the kernel may have dropped).
 * 0 done, -1 with the reason: the caller must then exit (EX_IOERR).
 */
int jfile_rewrite(struct jfile *j, struct engine *e, char *err, size_t errlen);
/* The synchronous form: start and wait (tests, shutdown). */
int jfile_compact(struct jfile *j, struct engine *e, char *err, size_t errlen);
bool jfile_should_compact(const struct jfile *j, long min_size, int ratio);

/*
 * `repaird --check-journal FILE [--fix]`: report, and truncate at the first
 * damage. The exit status: EX_OK, EX_DATAERR (damaged, not fixed),
 * EX_NOINPUT or EX_IOERR.
 */
int jfile_check(const char *path, bool fix);

#endif
