/*
 * text: small helpers the core's parsers share: the caller's error buffer
 * (a message naming the bad value and what is allowed) and hex digits.
 */
#ifndef REPAIRD_TEXT_H
#define REPAIRD_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* printf into err (errlen bytes, truncated); nothing when err is NULL or errlen 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The value of hex digit c (either case), or -1. */
int hex_digit(char c);

/* c with A-Z made a-z, every other byte as it is: the C locale's tolower(). */
static inline unsigned char text_fold(unsigned char c)
{
	return (unsigned char)(c | ((unsigned)(c - 'A') < 26u) << 5);
}

/*
 * a and b equal but for the case of ASCII letters: strcasecmp() == 0 in the
 * C locale the daemon runs in, without its per-call locale lookup. For the
 * words of requests (command, option and enumeration names) on every request.
 */
static inline bool text_caseeq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		/* The same byte (the usual case): no folding. A NUL folds to no other byte. */
		if (x == y) {
			if (x == '\0')
				return true;
		} else if (text_fold(x) != text_fold(y)) {
			return false;
		}
	}
}

#endif
