/* prealloc (prealloc_): zeros written ahead of the journal's end, by a short-lived thread. */
#include "prealloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

#define PREALLOC_PIECE        (128u << 10) /* written and flushed at a time */
#define PREALLOC_PAUSE_MAX_NS 5000000      /* the longest rest after a piece */
#define PREALLOC_MIN          (64u << 10)
#define PREALLOC_MAX          (16u << 20)
#define PREALLOC_PAUSE_MS     10000 /* after a failed job (a full disk): no new job for this long */

struct prealloc_job {
	pthread_t thread;
	int fd;
	uint64_t from, to;
	char *zeros;           /* PREALLOC_PIECE bytes */
	_Atomic uint64_t upto; /* written and flushed up to here: the thread never goes back */
	atomic_bool stop;      /* asked to stop after the current piece */
	atomic_bool finished;  /* the thread is done (joinable without a wait) */
	int err;               /* errno of a failed write, read after the join */
};

/*
 * Sleep as long as has passed since t (at most PREALLOC_PAUSE_MAX_NS), in
 * steps of half a millisecond: a loop waiting to join the job (it needs the
 * bytes) waits for one step at most, not for the whole rest.
 */
static void pause_like(const struct prealloc_job *z, struct timespec t)
{
	struct timespec now, d = {0, 500000};
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - t.tv_sec) * 1000000000 + (now.tv_nsec - t.tv_nsec);
	if (ns > PREALLOC_PAUSE_MAX_NS)
		ns = PREALLOC_PAUSE_MAX_NS;
	for (; ns > 0 && !atomic_load(&z->stop); ns -= d.tv_nsec) {
		if (ns < d.tv_nsec)
			d.tv_nsec = (long)ns;
		nanosleep(&d, NULL);
	}
}

static void *job_run(void *arg)
{
	struct prealloc_job *z = arg;
	uint64_t at = z->from;

	while (at < z->to && !atomic_load(&z->stop)) {
		struct timespec started;
		size_t n = z->to - at < PREALLOC_PIECE ? (size_t)(z->to - at) : PREALLOC_PIECE;
		ssize_t w;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &started);
		w = pwrite(z->fd, z->zeros, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			z->err = w < 0 ? errno : EIO;
			break;
		}
		/* Flushed now, so that the loop's next fdatasync does not write them. */
		rc = sync_file_range(z->fd, (off_t)at, w,
		                     SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		                             SYNC_FILE_RANGE_WAIT_AFTER);
		/* Written either way: a clean stop must know to cut them off. */
		at += (uint64_t)w;
		atomic_store(&z->upto, at);
		if (rc < 0) {
			z->err = errno;
			break;
		}
		/*
		 * As long again idle: the commits' own writes and fdatasyncs share the
		 * disk with these, and would wait behind a burst of them (MOVE -P 1's
		 * p99 latency after a large load: up to 2-2.8 ms, from 0.9).
		 */
		pause_like(z, started);
	}
	atomic_store(&z->finished, true);
	return NULL;
}

void prealloc_init(struct prealloc *p, uint64_t zeroed_end)
{
	memset(p, 0, sizeof *p);
	p->zeroed_end = zeroed_end;
}

/* Wait for the job (it stops after its current piece when asked) and take its result. */
static void join(struct prealloc *p, bool ask_stop)
{
	struct prealloc_job *z = p->job;
	uint64_t upto;

	if (z == NULL)
		return;
	if (ask_stop)
		atomic_store(&z->stop, true);
	pthread_join(z->thread, NULL);
	upto = atomic_load(&z->upto);
	p->bytes += upto - z->from;
	/* Only a job that started at the end of the zeros extends them. */
	if (upto > p->zeroed_end && z->from <= p->zeroed_end)
		p->zeroed_end = upto;
	if (z->err != 0) {
		snprintf(p->last_error, sizeof p->last_error, "%s", strerror(z->err));
		p->failed = true;
		log_msg(LOG_WARNING,
		        "journal: cannot write zeros ahead of its end (%s); commits append "
		        "instead, which costs an extra write of the file's size each",
		        strerror(z->err));
	}
	free(z->zeros);
	free(z);
	p->job = NULL;
}

void prealloc_claim(struct prealloc *p, uint64_t end)
{
	struct prealloc_job *z = p->job;

	/* Up to upto the job is done for good; beyond it, it may still write. */
	if (z != NULL && end > z->from && end > atomic_load(&z->upto))
		join(p, true);
}

uint64_t prealloc_zeroed_end(const struct prealloc *p)
{
	uint64_t upto = p->job ? atomic_load(&p->job->upto) : 0;

	return upto > p->zeroed_end && p->job->from <= p->zeroed_end ? upto : p->zeroed_end;
}

void prealloc_wrote(struct prealloc *p, uint64_t end)
{
	if (end > p->zeroed_end)
		p->zeroed_end = end;
}

void prealloc_ahead(struct prealloc *p, int fd, uint64_t size, int64_t now_ms)
{
	uint64_t chunk = size / 4;
	struct prealloc_job *z;
	sigset_t all, old;
	int rc;

	if (p->job != NULL && atomic_load(&p->job->finished))
		join(p, false);
	if (p->failed) {
		p->failed = false;
		p->failed_at = now_ms;
	}
	if (p->job != NULL || (p->failed_at > 0 && now_ms - p->failed_at < PREALLOC_PAUSE_MS))
		return;
	if (chunk < PREALLOC_MIN)
		chunk = PREALLOC_MIN;
	if (chunk > PREALLOC_MAX)
		chunk = PREALLOC_MAX;
	if (p->zeroed_end < size)
		p->zeroed_end = size;
	if (p->zeroed_end - size >= chunk / 2)
		return;
	z = xcalloc(1, sizeof *z);
	z->zeros = xcalloc(1, PREALLOC_PIECE);
	z->fd = fd;
	z->from = p->zeroed_end;
	z->to = p->zeroed_end + chunk;
	atomic_init(&z->upto, z->from);
	atomic_init(&z->stop, false);
	atomic_init(&z->finished, false);
	/* Signals stay with the loop's thread: the job's thread inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&z->thread, NULL, job_run, z);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		/* No thread now (a limit): commits append, as without preallocation. */
		free(z->zeros);
		free(z);
		p->failed_at = now_ms;
		return;
	}
	p->failed_at = 0;
	p->job = z;
	p->jobs++;
}

void prealloc_stop(struct prealloc *p, uint64_t size)
{
	join(p, true);
	if (p->zeroed_end < size)
		p->zeroed_end = size;
}
