/* journal-file (jfile_): the journal on disk: replay, group commit, fsync, compaction, check. */
#include "journal_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "journal.h"
#include "log.h"
#include "xmalloc.h"

static int64_t usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Write all of it at the journal's end, over the zeros written ahead where
 * there are (prealloc.h); on failure cut the file back to its last record.
 */
static int write_all(struct jfile *j, const char *data, size_t len)
{
	size_t done = 0;

	prealloc_claim(&j->pre, j->size + len);
	while (done < len) {
		ssize_t n = pwrite(j->fd, data + done, len - done, (off_t)(j->size + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(j->last_error, sizeof j->last_error, "write %s: %s", j->path,
			         n < 0 ? strerror(errno) : "no progress");
			prealloc_stop(&j->pre, j->size);
			if (ftruncate(j->fd, (off_t)j->size) < 0)
				log_msg(LOG_ERR, "cannot truncate %s back to %llu: %s", j->path,
				        (unsigned long long)j->size, strerror(errno));
			else
				j->pre.zeroed_end = j->size; /* the zeros went with the cut */
			return -1;
		}
		done += (size_t)n;
	}
	prealloc_wrote(&j->pre, j->size + len);
	return 0;
}

static int fsync_dir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc;

	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static void compact_tmp_path(const struct jfile *j, char *out, size_t len)
{
	snprintf(out, len, "%s.compact", j->path);
}

static void compact_abandon(struct jfile *j);

/* ---- replay -------------------------------------------------------------------------- */

struct scan {
	uint64_t records;
	size_t good_end; /* offset after the last whole record */
	enum jnext stop; /* why the scan ended */
	uint32_t fingerprint;
	char err[256]; /* a record that would not apply */
};

/* Walk the records of buf; apply them to e when e is not NULL. */
static void scan_records(const unsigned char *buf, size_t len, struct engine *e, struct scan *s)
{
	size_t off = 0;
	struct jrec rec;

	memset(s, 0, sizeof *s);
	for (;;) {
		size_t at = off;
		enum jnext st = journal_next(buf, len, &off, &rec);
		if (st == JNEXT_CORRUPT && s->records > 0 && journal_torn_commit(buf, len, at))
			st = JNEXT_TORN; /* a commit a power failure tore over the zeros */
		if (st != JNEXT_OK) {
			s->stop = st;
			return;
		}
		if (s->records == 0 && rec.type != JREC_HEADER) {
			snprintf(s->err, sizeof s->err, "offset 0: not a repaird journal");
			s->stop = JNEXT_CORRUPT;
			return;
		}
		if (rec.type == JREC_CONFIG && rec.len == 8)
			s->fingerprint = (uint32_t)rec.payload[0] | (uint32_t)rec.payload[1] << 8 |
			                 (uint32_t)rec.payload[2] << 16 |
			                 (uint32_t)rec.payload[3] << 24;
		if (e != NULL) {
			char why[200];
			if (journal_apply(e, &rec, why, sizeof why) < 0) {
				snprintf(s->err, sizeof s->err, "offset %zu: %s", at, why);
				s->stop = JNEXT_CORRUPT;
				s->good_end = at;
				return;
			}
		}
		s->records++;
		s->good_end = off;
	}
}

int jfile_open(struct jfile *j, const char *dir, enum fsync_policy fsync, struct engine *e,
               char *err, size_t errlen)
{
	struct stat st;
	struct scan s;
	unsigned char *map = NULL;
	size_t n;
	int64_t start = usec_now();

	memset(j, 0, sizeof *j);
	prealloc_init(&j->pre, 0);
	j->dir = xstrdup(dir);
	n = strlen(dir) + sizeof "/journal";
	j->path = xmalloc(n);
	snprintf(j->path, n, "%s/journal", dir);
	j->fsync = fsync;
	rbuf_init(&j->buf);
	rbuf_init(&j->rewrite);
	{
		/* A compaction that a crash interrupted: the journal itself is whole. */
		char tmp[4096];
		compact_tmp_path(j, tmp, sizeof tmp);
		unlink(tmp);
	}
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		snprintf(err, errlen, "journal %s: %s", j->path, strerror(errno));
		return -1;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, j->fd, 0);
		if (map == MAP_FAILED) {
			snprintf(err, errlen, "journal %s: %s", j->path, strerror(errno));
			return -1;
		}
		scan_records(map, (size_t)st.st_size, e, &s);
		munmap(map, (size_t)st.st_size);
		if (s.stop == JNEXT_CORRUPT) {
			snprintf(err, errlen,
			         "journal %s is damaged at offset %zu%s%s; refusing to start. "
			         "Inspect it with `repaird --check-journal %s` and cut it there "
			         "with `--fix` (what follows the damage is lost)",
			         j->path, s.good_end, s.err[0] ? ": " : "", s.err, j->path);
			return -1;
		}
		if (s.stop == JNEXT_TORN) {
			log_msg(LOG_WARNING,
			        "journal %s ends in a torn record at offset %zu (%lld bytes); "
			        "cutting it off",
			        j->path, s.good_end, (long long)st.st_size - (long long)s.good_end);
			if (ftruncate(j->fd, (off_t)s.good_end) < 0 || fdatasync(j->fd) < 0) {
				snprintf(err, errlen, "journal %s: cannot cut the torn tail: %s",
				         j->path, strerror(errno));
				return -1;
			}
		}
		j->size = s.good_end;
		j->records = s.records;
		j->fingerprint = s.fingerprint;
		/* What follows the last record is zeros written ahead (a torn tail is cut). */
		prealloc_init(&j->pre, s.stop == JNEXT_END ? (uint64_t)st.st_size : s.good_end);
	}
	engine_restore_finish(e);
	j->last_seq = engine_last_seq(e);
	if (j->size == 0) {
		journal_put_header(&j->buf);
		j->buf_records++;
		if (write_all(j, j->buf.data, j->buf.len) < 0 || fdatasync(j->fd) < 0 ||
		    fsync_dir(j->path) < 0) {
			snprintf(err, errlen, "journal %s: %s", j->path, strerror(errno));
			return -1;
		}
		j->size = j->buf.len;
		j->records = 1;
		j->buf.len = 0;
		j->buf_records = 0;
	}
	j->live_size = j->size;
	j->replay_usec = usec_now() - start;
	j->last_fsync = (int64_t)time(NULL);
	return 0;
}

void jfile_close(struct jfile *j)
{
	if (j->compact_pid > 0) {
		kill(j->compact_pid, SIGKILL);
		waitpid(j->compact_pid, NULL, 0);
		compact_abandon(j);
	}
	rbuf_free(&j->rewrite);
	if (j->fd >= 0) {
		/*
		 * A stopped daemon leaves the journal exact: no zeros after its last
		 * record. Only zeros it knows it wrote: after a replay that refused
		 * the file, size is not where the records end.
		 */
		prealloc_stop(&j->pre, j->size);
		if (j->pre.zeroed_end > j->size && ftruncate(j->fd, (off_t)j->size) < 0)
			log_msg(LOG_WARNING, "cannot cut %s to %llu bytes: %s", j->path,
			        (unsigned long long)j->size, strerror(errno));
		if (j->unsynced)
			fdatasync(j->fd);
	}
	if (j->fd > 0)
		close(j->fd);
	j->fd = -1;
	rbuf_free(&j->buf);
	free(j->path);
	j->path = NULL;
	free(j->dir);
	j->dir = NULL;
}

int jfile_note_config(struct jfile *j, uint32_t fingerprint)
{
	if (j->fingerprint == fingerprint)
		return 0;
	j->fingerprint = fingerprint;
	journal_put_u64(&j->buf, JREC_CONFIG, fingerprint);
	j->buf_records++;
	return 1;
}

void jfile_note_delivered(struct jfile *j, uint64_t seq)
{
	journal_put_u64(&j->buf, JREC_DELIVERED, seq);
	j->buf_records++;
}

void jfile_append_batch(struct jfile *j, struct engine *e, const char *data, size_t len,
                        uint64_t records)
{
	rbuf_append(&j->buf, data, len);
	j->buf_records += records;
	/* Their events are in these bytes: the next commit must not write them again. */
	j->last_seq = engine_last_seq(e);
}

/* ---- commit ---------------------------------------------------------------------------- */

int jfile_sync(struct jfile *j)
{
	/* Under everysec and no, a failed fdatasync is never tried again: see jfile_rewrite(). */
	if (j->sync_failed)
		return -1;
	if (!j->unsynced)
		return 0;
	j->last_fsync_usec = usec_now();
	if (fdatasync(j->fd) < 0) {
		snprintf(j->last_error, sizeof j->last_error, "fdatasync %s: %s", j->path,
		         strerror(errno));
		j->failed = true;
		j->sync_failed = j->fsync != FSYNC_ALWAYS;
		return -1;
	}
	j->unsynced = false;
	j->last_fsync_usec = usec_now() - j->last_fsync_usec;
	j->fsyncs++;
	j->last_fsync = (int64_t)time(NULL);
	return 0;
}

/* HA: the batch in j->buf is copied for the journal stream (ha.c), shipped by tap_ship(). */
static void tap_copy(struct jfile *j)
{
	if (j->tap) {
		rbuf_append(j->tap, j->buf.data, j->buf.len);
		*j->tap_records += j->buf_records;
	}
}

static void tap_ship(struct jfile *j)
{
	if (j->tap && j->tap_ready)
		j->tap_ready(j->tap_arg);
}

int jfile_commit(struct jfile *j, struct engine *e, uint64_t *records_written)
{
	*records_written = 0;
	j->buf_records += journal_put_changes(&j->buf, e, &j->last_seq);
	if (j->buf.len == 0)
		return 0;
	if (write_all(j, j->buf.data, j->buf.len) < 0) {
		j->failed = true;
		return -1;
	}
	j->size += j->buf.len;
	j->unsynced = true;
	tap_copy(j);
	if (j->compact_pid > 0) {
		rbuf_append(&j->rewrite, j->buf.data, j->buf.len);
		j->rewrite_records += j->buf_records;
	}
	j->records += j->buf_records;
	*records_written = j->buf_records;
	j->buf.len = 0;
	j->buf_records = 0;
	if (j->buf.cap > (4u << 20)) {
		/* A burst (a reload touching every ticket) left a large buffer behind. */
		rbuf_free(&j->buf);
		rbuf_init(&j->buf);
	}
	tap_ship(j);
	/* Not durable without the fdatasync: the caller must not acknowledge. */
	if (j->fsync == FSYNC_ALWAYS && jfile_sync(j) < 0)
		return -1;
	j->failed = false;
	/* After the fdatasync: the zeros for the next commits are written meanwhile. */
	prealloc_ahead(&j->pre, j->fd, j->size, usec_now() / 1000);
	return 0;
}

/* ---- compaction ------------------------------------------------------------------------- */

bool jfile_should_compact(const struct jfile *j, long min_size, int ratio)
{
	return j->size > (uint64_t)min_size && j->size > j->live_size * (uint64_t)ratio;
}

/* In the child: the snapshot to the temp file, fsync'ed. Never returns. */
static void compact_child(struct jfile *j, struct engine *e)
{
	char tmp[4096];
	struct rbuf snap;
	size_t done = 0;
	int fd;

	/* An orphaned child must not outlive the daemon and write on. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	compact_tmp_path(j, tmp, sizeof tmp);
	{
		/* The archive first, durable: the snapshot leaves its tickets out. */
		const uint64_t *ids;
		size_t n = engine_archive_marked(e, &ids);
		char err[512];
		if (n > 0 && archive_write(j->dir, e, ids, n, false, err, sizeof err) < 0) {
			log_msg(LOG_ERR, "compaction: %s", err);
			_exit(EX_IOERR);
		}
	}
	rbuf_init(&snap);
	journal_put_snapshot(&snap, e);
	journal_put_u64(&snap, JREC_CONFIG, j->fingerprint);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		_exit(EX_CANTCREAT);
	while (done < snap.len) {
		ssize_t n = write(fd, snap.data + done, snap.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(EX_IOERR);
		done += (size_t)n;
	}
	if (fdatasync(fd) < 0)
		_exit(EX_IOERR);
	_exit(EX_OK);
}

int jfile_compact_start(struct jfile *j, struct engine *e, char *err, size_t errlen)
{
	uint64_t records = 0;
	pid_t pid;

	if (j->compact_pid > 0) {
		snprintf(err, errlen, "a compaction is already running (since %lld s)",
		         (long long)(time(NULL) - j->compact_started));
		return -1;
	}
	/* Everything changed so far goes to the old journal: the snapshot covers it. */
	if (jfile_commit(j, e, &records) < 0 || jfile_sync(j) < 0) {
		snprintf(err, errlen, "%s", j->last_error);
		return -1;
	}
	j->snapshot_records = 0;
	j->archived = 0;
	if (j->archive)
		engine_archive_select(e, j->archive_cutoff);
	j->compact_eng = e;
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		engine_archive_cancel(e);
		j->compact_eng = NULL;
		return -1;
	}
	if (pid == 0)
		compact_child(j, e);
	j->compact_pid = pid;
	j->compact_started = (int64_t)time(NULL);
	j->rewrite.len = 0;
	j->rewrite_records = 0;
	/* header, members, tickets, outbox, delivered, clock, config */
	{
		struct engine_counts c;
		const uint64_t *ids;
		engine_counts(e, &c);
		j->snapshot_records = 5 + c.in_memory - engine_archive_marked(e, &ids) +
		                      engine_outbox_count(e) + c.members;
	}
	return 0;
}

static void compact_abandon(struct jfile *j)
{
	char tmp[4096];

	compact_tmp_path(j, tmp, sizeof tmp);
	unlink(tmp);
	j->compact_pid = 0;
	j->rewrite.len = 0;
	j->rewrite_records = 0;
	/* The marked tickets stay: the old journal holds them (the archive may too). */
	if (j->compact_eng)
		engine_archive_cancel(j->compact_eng);
	j->compact_eng = NULL;
}

/*
 * Before the switch: what is pending goes into the rewrite buffer now, so
 * that no ticket about to leave memory has a change the journal has not
 * seen; marked tickets that changed since the fork get their archive line
 * again (the new journal ignores their deltas).
 */
static int compact_catch_up(struct jfile *j, struct engine *e, char *err, size_t errlen)
{
	uint64_t records;
	const uint64_t *ids;
	size_t n = engine_archive_marked(e, &ids);

	if (jfile_commit(j, e, &records) < 0) {
		snprintf(err, errlen, "compaction: %s", j->last_error);
		return -1;
	}
	if (n > 0 && archive_write(j->dir, e, ids, n, true, err, errlen) < 0)
		return -1;
	return 0;
}

int jfile_compact_poll(struct jfile *j, struct engine *e, char *err, size_t errlen)
{
	char tmp[4096];
	struct stat st;
	int status = 0, fd;
	pid_t got;
	size_t done = 0;

	if (j->compact_pid <= 0)
		return 0;
	got = waitpid(j->compact_pid, &status, WNOHANG);
	if (got == 0)
		return 0;
	if (got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "the compaction process failed (%s %d)",
		         got < 0             ? "waitpid"
		         : WIFEXITED(status) ? "exit"
		                             : "signal",
		         got < 0             ? errno
		         : WIFEXITED(status) ? WEXITSTATUS(status)
		                             : WTERMSIG(status));
		compact_abandon(j);
		return -1;
	}
	if (compact_catch_up(j, e, err, errlen) < 0) {
		compact_abandon(j);
		return -1;
	}
	compact_tmp_path(j, tmp, sizeof tmp);
	/* Written at offsets, not appended: the file gets zeros written ahead of its end. */
	fd = open(tmp, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "compaction: %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		compact_abandon(j);
		return -1;
	}
	/* What the daemon wrote while the child worked, after the snapshot. */
	while (done < j->rewrite.len) {
		ssize_t n = pwrite(fd, j->rewrite.data + done, j->rewrite.len - done,
		                   st.st_size + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < j->rewrite.len || fdatasync(fd) < 0) {
		snprintf(err, errlen, "compaction: %s: %s", tmp, strerror(errno));
		close(fd);
		compact_abandon(j);
		return -1;
	}
	/* The rename is the switch: before it the old journal is whole, after it the new. */
	if (rename(tmp, j->path) < 0 || fsync_dir(j->path) < 0) {
		snprintf(err, errlen, "compaction: rename %s: %s", tmp, strerror(errno));
		close(fd);
		compact_abandon(j);
		return -1;
	}
	prealloc_stop(&j->pre, 0); /* it wrote the old file */
	/* The new file has no zeros ahead yet: the old file's must not stand for them. */
	j->pre.zeroed_end = (uint64_t)st.st_size + j->rewrite.len;
	close(j->fd);
	j->fd = fd;
	j->live_size = (uint64_t)st.st_size;
	j->size = (uint64_t)st.st_size + j->rewrite.len;
	j->records = j->snapshot_records + j->rewrite_records;
	j->compactions++;
	j->compact_pid = 0;
	/* Only now, with the new journal in place, do the archived tickets leave memory. */
	j->archived = engine_archive_remove(e);
	j->archived_total += j->archived;
	j->compact_eng = NULL;
	/* The buffer held a whole compaction's worth of changes: give the memory back. */
	rbuf_free(&j->rewrite);
	rbuf_init(&j->rewrite);
	j->rewrite_records = 0;
	return 1;
}

/*
 * After a failed fdatasync under everysec or no, the file cannot be trusted:
 * Linux may have dropped the dirty pages whose write-back failed and report
 * the next fdatasync as a success (PostgreSQL's "fsyncgate", 2018). So the
 * failure is never retried; the whole state is written again from memory to
 * a new file (fsync'ed, renamed over, directory fsync'ed), in this process,
 * as a compaction would. A running compaction child is abandoned: its
 * snapshot is older than what we write now.
 */
int jfile_rewrite(struct jfile *j, struct engine *e, char *err, size_t errlen)
{
	char tmp[4096];
	struct rbuf snap;
	size_t done = 0;
	int fd;

	if (j->compact_pid > 0) {
		kill(j->compact_pid, SIGKILL);
		waitpid(j->compact_pid, NULL, 0);
		compact_abandon(j);
	}
	/*
	 * Changes not yet written are in the engine already: the snapshot holds
	 * them. The journal stream does not: they go there as a batch (with a
	 * batch whose write failed, still in the buffer).
	 */
	j->buf_records += journal_put_changes(&j->buf, e, &j->last_seq);
	if (j->buf.len > 0) {
		tap_copy(j);
		tap_ship(j);
	}
	j->buf.len = 0;
	j->buf_records = 0;
	compact_tmp_path(j, tmp, sizeof tmp);
	rbuf_init(&snap);
	journal_put_snapshot(&snap, e);
	journal_put_u64(&snap, JREC_CONFIG, j->fingerprint);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "rewrite: %s: %s", tmp, strerror(errno));
		rbuf_free(&snap);
		return -1;
	}
	while (done < snap.len) {
		ssize_t n = write(fd, snap.data + done, snap.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < snap.len || fdatasync(fd) < 0 || rename(tmp, j->path) < 0 ||
	    fsync_dir(j->path) < 0) {
		snprintf(err, errlen, "rewrite: %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		rbuf_free(&snap);
		return -1;
	}
	prealloc_stop(&j->pre, 0);    /* it wrote the old file */
	j->pre.zeroed_end = snap.len; /* the new file has no zeros ahead yet */
	close(j->fd);
	j->fd = fd;
	j->size = j->live_size = snap.len;
	{
		struct engine_counts c;
		engine_counts(e, &c);
		j->records = 5 + c.in_memory + engine_outbox_count(e) + c.members;
	}
	rbuf_free(&snap);
	j->unsynced = false;
	j->sync_failed = false;
	j->failed = false;
	j->rewrites++;
	j->fsyncs++;
	j->last_fsync = (int64_t)time(NULL);
	return 0;
}

int jfile_compact(struct jfile *j, struct engine *e, char *err, size_t errlen)
{
	int rc;

	if (jfile_compact_start(j, e, err, errlen) < 0)
		return -1;
	while ((rc = jfile_compact_poll(j, e, err, errlen)) == 0)
		usleep(1000);
	return rc < 0 ? -1 : 0;
}

/* ---- offline check ------------------------------------------------------------------------ */

int jfile_check(const char *path, bool fix)
{
	struct stat st;
	struct scan s;
	unsigned char *map;
	int fd = open(path, fix ? O_RDWR : O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_NOINPUT;
	}
	if (st.st_size == 0) {
		printf("%s: empty\n", path);
		close(fd);
		return EX_OK;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		close(fd);
		return EX_IOERR;
	}
	scan_records(map, (size_t)st.st_size, NULL, &s);
	munmap(map, (size_t)st.st_size);
	if (s.stop == JNEXT_END && s.err[0] == '\0') {
		printf("%s: ok, %llu records, %zu bytes", path, (unsigned long long)s.records,
		       s.good_end);
		if ((size_t)st.st_size > s.good_end)
			printf(" (then %lld bytes of zeros written ahead)",
			       (long long)st.st_size - (long long)s.good_end);
		printf("\n");
		close(fd);
		return EX_OK;
	}
	printf("%s: %llu good records; %s at offset %zu (%lld bytes after it)%s%s\n", path,
	       (unsigned long long)s.records, s.stop == JNEXT_TORN ? "a torn record" : "damage",
	       s.good_end, (long long)st.st_size - (long long)s.good_end, s.err[0] ? ": " : "",
	       s.err);
	if (!fix) {
		printf("run again with --fix to cut the journal at offset %zu\n", s.good_end);
		close(fd);
		return EX_DATAERR;
	}
	if (ftruncate(fd, (off_t)s.good_end) < 0 || fsync(fd) < 0) {
		fprintf(stderr, "%s: cannot truncate: %s\n", path, strerror(errno));
		close(fd);
		return EX_IOERR;
	}
	printf("%s: cut at offset %zu\n", path, s.good_end);
	close(fd);
	return EX_OK;
}
