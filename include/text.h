/*
 * text: small helpers the core's parsers share: the caller's error buffer
 * (a message naming the bad value and what is allowed) and hex digits.
 */
#ifndef REPAIRD_TEXT_H
#define REPAIRD_TEXT_H

#include <stddef.h>

/* printf into err (errlen bytes, truncated); nothing when err is NULL or errlen 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The value of hex digit c (either case), or -1. */
int hex_digit(char c);

#endif
