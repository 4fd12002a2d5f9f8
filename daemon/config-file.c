/*
 * config-file: the configuration's files, read for the core's parser.
 *
 * config_load() reads repaird.yaml; its reader hands config_parse_with() the
 * catalogue's bytes, each centre's zone from the timezone database ($TZDIR,
 * else /usr/share/zoneinfo) and whether the TLS files can be read. Only
 * regular files are read, each up to a limit: a FIFO, a device or a
 * directory (a mistake, or `products: /dev/zero`) is refused before it is
 * read, since it could block the loader or fill the memory. Never parses:
 * every rule about what the bytes mean is the core's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_file.h"
#include "tzif.h"
#include "xmalloc.h"

#define CONFIG_FILE_MAX ((size_t)64 << 20)
#define TZ_NAME_MAX     255

/* A regular file's descriptor, or -1 with the reason in err. */
static int open_regular(const char *path, size_t max, struct stat *st, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) || (uintmax_t)st->st_size > max) {
		if (S_ISREG(st->st_mode))
			snprintf(err, errlen, "file larger than %zu MB", max >> 20);
		else
			snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

char *config_file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd = open_regular(path, max, &st, err, errlen);
	char *buf;
	size_t cap, n = 0;

	if (fd < 0)
		return NULL;
	/* The size is a hint (files in /proc say 0); the cap holds whatever it says. */
	cap = (size_t)st.st_size + 2 < 16384 ? 16384 : (size_t)st.st_size + 2;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t got;
		if (n == cap - 1) {
			if (n > max)
				break;
			cap = cap > max / 2 ? max + 2 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > max) {
		snprintf(err, errlen, "file larger than %zu MB", max >> 20);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A relative path below the zone directory, nothing that could climb out of it. */
static bool tz_name_safe(const char *tz)
{
	size_t len = strlen(tz);

	if (len == 0 || len > TZ_NAME_MAX || tz[0] == '/' || strstr(tz, "..") != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = tz[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

char *config_file_read_zone(const char *tz, size_t *len)
{
	const char *dir = getenv("TZDIR");
	char path[4096], err[128];
	char *buf;
	int n;

	if (tz == NULL || !tz_name_safe(tz))
		return NULL;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	n = snprintf(path, sizeof path, "%s/%s", dir, tz);
	if (n < 0 || (size_t)n >= sizeof path)
		return NULL;
	buf = config_file_read(path, TZIF_MAX_BYTES, len, err, sizeof err);
	/* zone.tab, tzdata.zi and the like live there too: only TZif files are zones. */
	if (buf != NULL && (*len < 4 || memcmp(buf, "TZif", 4) != 0)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* What the reader read, freed once the parser is done with it. */
struct file_reader {
	char **bufs;
	size_t n;
};

static int read_for_parser(void *ctx, enum config_file_kind kind, const char *name,
                           const unsigned char **data, size_t *len, char *err, size_t errlen)
{
	struct file_reader *fr = ctx;
	struct stat st;
	char *buf;
	int fd;

	switch (kind) {
	case CONFIG_FILE_PEM:
		/* Only whether it can be read: repaird loads the PEM at start. */
		fd = open_regular(name, SIZE_MAX, &st, err, errlen);
		if (fd < 0) {
			/* The message the loader always gave: the bare reason. */
			const char *colon = strstr(err, ": ");
			if (colon != NULL)
				memmove(err, colon + 2, strlen(colon + 2) + 1);
			return -1;
		}
		close(fd);
		*data = NULL;
		*len = 0;
		return 0;
	case CONFIG_FILE_ZONE:
		buf = config_file_read_zone(name, len);
		if (buf == NULL) {
			snprintf(err, errlen, "not in the timezone database");
			return -1;
		}
		break;
	case CONFIG_FILE_CATALOGUE:
	default:
		buf = config_file_read(name, CONFIG_FILE_MAX, len, err, errlen);
		if (buf == NULL)
			return -1;
		break;
	}
	fr->bufs = xreallocarray(fr->bufs, fr->n + 1, sizeof *fr->bufs);
	fr->bufs[fr->n++] = buf;
	*data = (const unsigned char *)buf;
	return 0;
}

struct config *config_parse(const char *name, const char *text, size_t len, const char *base_dir,
                            struct config_errors *errs)
{
	struct file_reader fr = {0};
	struct config_reader rd = {.base_dir = base_dir, .read = read_for_parser, .ctx = &fr};
	struct config *cfg = config_parse_with(name, text, len, &rd, errs);

	for (size_t i = 0; i < fr.n; i++)
		free(fr.bufs[i]);
	free(fr.bufs);
	return cfg;
}

struct config *config_load(const char *path, struct config_errors *errs)
{
	struct config *cfg;
	char err[256];
	char *text, *dir;
	const char *slash;
	size_t len = 0;

	text = config_file_read(path, CONFIG_FILE_MAX, &len, err, sizeof err);
	if (text == NULL) {
		config_errors_add(errs, path, 1, 1, "%s", err);
		return NULL;
	}
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	if (dir[0] == '\0') {
		free(dir);
		dir = xstrdup("/");
	}
	cfg = config_parse(path, text, len, dir, errs);
	free(dir);
	free(text);
	return cfg;
}
