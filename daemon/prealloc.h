/*
 * prealloc (prealloc.c): zeroes ahead of the journal's end, in a thread.
 *
 * Why: on ext4 (and most filesystems) an fdatasync after an append must
 * also write the inode (the file grew) and the allocation, a second I/O
 * the commit waits for. Overwriting bytes the file already holds needs
 * only the data blocks: measured here, 95-110 us per commit instead of
 * 155-180. So the journal keeps a tail of zeros written ahead (real
 * zeros: fallocate's unwritten extents would need the same metadata
 * write at first use), and the journal reader takes a run of zeros to the
 * end of the file as its end (journal_next()).
 *
 * The zeros are written by a short-lived thread, in pieces, each flushed
 * with sync_file_range() so that the commit's own fdatasync does not
 * inherit them; the main thread never writes at or beyond where a running
 * job has got to. It does no more than pwrite() and sync_file_range() on
 * the descriptor it was given; everything else stays on the loop.
 *
 * Shell: this module does file I/O and runs a thread; prefix prealloc_.
 */
#ifndef REPAIRD_PREALLOC_H
#define REPAIRD_PREALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct prealloc_job;

struct prealloc {
	uint64_t zeroed_end; /* [the file's logical end, zeroed_end) are zeros already on file */
	struct prealloc_job *job; /* NULL: none started, or joined */
	bool failed;              /* the last job failed (noted by prealloc_ahead) */
	int64_t failed_at; /* monotonic ms of the last failure: a pause before the next job */
	uint64_t jobs;     /* started, for INFO */
	uint64_t bytes;    /* zeroed in all, for INFO */
	char last_error[128];
};

void prealloc_init(struct prealloc *p, uint64_t zeroed_end);

/*
 * Before the main thread writes up to end (from the file's logical end): a
 * job that may still write there is stopped and joined (it stops after its
 * current piece), so that the two never write the same bytes.
 */
void prealloc_claim(struct prealloc *p, uint64_t end);

/* Where the zeros end, with a running job's progress (INFO). */
uint64_t prealloc_zeroed_end(const struct prealloc *p);

/* After the main thread wrote up to end. */
void prealloc_wrote(struct prealloc *p, uint64_t end);

/*
 * After a commit: join a finished job; start the next when less than half
 * a chunk of zeros is left after size. The chunk grows with the journal
 * (a quarter of its size, from 64 KB to 16 MB), so a small daemon keeps a
 * small tail. now_ms: a monotonic clock, for the pause after a failure.
 */
void prealloc_ahead(struct prealloc *p, int fd, uint64_t size, int64_t now_ms);

/*
 * Stop and join any job (before the descriptor is closed, truncated or
 * replaced); then zeroed_end is at least size.
 */
void prealloc_stop(struct prealloc *p, uint64_t size);

#endif
