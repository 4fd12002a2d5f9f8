/*
 * config_file: the files of the configuration, read from disk for the core's
 * parser (config_load() and config_parse() in config.h are implemented here).
 * Reads only regular files of bounded size; parses nothing.
 */
#ifndef REPAIRD_CONFIG_FILE_H
#define REPAIRD_CONFIG_FILE_H

#include <stddef.h>

/*
 * A regular file of at most max bytes, NUL-terminated; NULL with the reason in
 * err ("cannot open: ...", "not a regular file", "file larger than 64 MB").
 */
char *config_file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* The TZif bytes of zone tz ("Europe/Berlin") from $TZDIR or /usr/share/zoneinfo; NULL if none. */
char *config_file_read_zone(const char *tz, size_t *len);

#endif
