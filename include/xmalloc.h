/*
 * xmalloc: allocation that cannot fail. Running out of memory is the
 * program's error, not the user's: it is fatal at once (tmux's habit).
 */
#ifndef REPAIRD_XMALLOC_H
#define REPAIRD_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
/* Grow *buf to at least need bytes, doubling from first, never past limit. */
void xgrow(char **buf, size_t *cap, size_t need, size_t first, size_t limit);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Print "repaird: fatal: <msg>" to stderr and abort. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
