/* archive: closed tickets past retention, as JSON lines per year of closing (see archive.h). */
#include "archive.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "timeutil.h"
#include "xmalloc.h"

/* ---- the line ------------------------------------------------------------------------- */

static void put(struct rbuf *b, const char *s)
{
	rbuf_append(b, s, strlen(s));
}

/* s as a JSON string: quotes, backslashes and control characters escaped. */
static void put_json_str(struct rbuf *b, const char *s)
{
	char esc[8];

	put(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rbuf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc);
		} else {
			rbuf_append(b, s, 1);
		}
	}
	put(b, "\"");
}

static bool is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s) || (s[0] == '0' && s[1] != '\0'))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

void archive_line(struct rbuf *b, const struct engine *e, const struct ticket *t)
{
	struct ticket_fields f;
	char ts[21];

	/* A closed ticket's clock stands: its fields at closing are its fields for good. */
	engine_ticket_fields(e, t, t->closed_at, &f);
	put(b, "{");
	for (int i = 0; i < TICKET_NFIELDS; i++) {
		const char *v = f.v[i];
		if (i > 0)
			put(b, ",");
		put_json_str(b, ticket_field_names[i]);
		put(b, ":");
		/* Values as TICKET.GET gives them; integers as numbers (not the serial), "" null.
		 */
		if (v[0] == '\0')
			put(b, "null");
		else if (is_integer(v) && strcmp(ticket_field_names[i], "serial") != 0)
			put(b, v);
		else
			put_json_str(b, v);
	}
	put(b, ",\"history\":[");
	for (uint32_t i = 0; i < t->nhist; i++) {
		const struct hist *h = &t->hist[i];
		time_format(hist_at(h), ts);
		put(b, i ? ",{\"at\":" : "{\"at\":");
		put_json_str(b, ts);
		put(b, ",\"who\":");
		put_json_str(b, engine_str(e, hist_who(h)));
		put(b, ",\"what\":");
		put_json_str(b, hist_what_names[hist_kind(h)]);
		put(b, ",\"detail\":");
		put_json_str(b, h->detail);
		put(b, "}");
	}
	put(b, "]}\n");
}

/* ---- writing ---------------------------------------------------------------------------- */

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Append b to dir/YEAR.ndjson and fsync it. */
static int flush_year(const char *dir, int year, struct rbuf *b, char *err, size_t errlen)
{
	char path[4096];
	size_t done = 0;
	int fd;

	if (b->len == 0)
		return 0;
	snprintf(path, sizeof path, "%s/%d.ndjson", dir, year);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "archive %s: %s", path, strerror(errno));
		return -1;
	}
	while (done < b->len) {
		ssize_t n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "archive %s: %s", path,
			         n < 0 ? strerror(errno) : "no progress");
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		snprintf(err, errlen, "archive %s: fsync: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	b->len = 0;
	return 0;
}

static int year_of(int64_t t)
{
	char ts[21];

	time_format(t, ts);
	return atoi(ts);
}

int archive_write(const char *state_dir, const struct engine *e, const uint64_t *ids, size_t n,
                  bool only_changed, char *err, size_t errlen)
{
	char dir[4096];
	struct rbuf b;
	int year = 0, rc = 0;
	size_t written = 0;

	snprintf(dir, sizeof dir, "%s/archive", state_dir);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "archive %s: %s", dir, strerror(errno));
		return -1;
	}
	rbuf_init(&b);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct ticket *t = engine_ticket_get(e, ids[i]);
		int y;
		if (t == NULL || (only_changed && !t->rearchive))
			continue;
		y = year_of(t->closed_at);
		/* Ids ascend and so, mostly, do closing years: a file switch is rare. */
		if ((y != year || b.len > (4u << 20)) && flush_year(dir, year, &b, err, errlen) < 0)
			rc = -1;
		year = y;
		archive_line(&b, e, t);
		written++;
	}
	if (rc == 0 && flush_year(dir, year, &b, err, errlen) < 0)
		rc = -1;
	rbuf_free(&b);
	/* The new files' names durable too: the directory, and the state dir for a new one. */
	if (rc == 0 && written > 0 && (fsync_path(dir) < 0 || fsync_path(state_dir) < 0)) {
		snprintf(err, errlen, "archive %s: fsync: %s", dir, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* ---- lookup ---------------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The last line of path starting with prefix, into *best (replaced). */
static void scan_file(const char *path, const char *prefix, char **best)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, plen = strlen(prefix);
	ssize_t n;

	if (f == NULL)
		return;
	while ((n = getline(&line, &cap, f)) > 0) {
		if ((size_t)n > plen && memcmp(line, prefix, plen) == 0) {
			free(*best);
			*best = xstrdup(line);
		}
	}
	free(line);
	fclose(f);
}

int archive_lookup(const char *state_dir, const char *idtext, FILE *out)
{
	char dir[4096], prefix[64], path[4400];
	char **names = NULL, *best = NULL;
	size_t nnames = 0;
	struct dirent *d;
	uint64_t id;
	char *end;
	DIR *dp;

	errno = 0;
	id = strtoull(idtext, &end, 10);
	if (!isdigit((unsigned char)idtext[0]) || *end != '\0' || errno != 0 || id == 0) {
		fprintf(stderr, "repaird: --archive: \"%s\" is not a ticket id (a number from 1)\n",
		        idtext);
		return EX_DATAERR;
	}
	snprintf(dir, sizeof dir, "%s/archive", state_dir);
	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "repaird: --archive: %s: %s (nothing was archived there)\n", dir,
		        strerror(errno));
		return EX_NOINPUT;
	}
	while ((d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);
		if (len > 7 && strcmp(d->d_name + len - 7, ".ndjson") == 0) {
			names = xreallocarray(names, nnames + 1, sizeof *names);
			names[nnames++] = xstrdup(d->d_name);
		}
	}
	closedir(dp);
	/* Years in order: the last line of an id wins, as it does within a file. */
	qsort(names, nnames, sizeof *names, cmp_names);
	snprintf(prefix, sizeof prefix, "{\"id\":%" PRIu64 ",", id);
	for (size_t i = 0; i < nnames; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		scan_file(path, prefix, &best);
		free(names[i]);
	}
	free(names);
	if (best == NULL) {
		fprintf(stderr, "repaird: --archive: ticket %" PRIu64 " is not in the archive %s\n",
		        id, dir);
		return EX_NOINPUT;
	}
	fputs(best, out);
	free(best);
	return EX_OK;
}
