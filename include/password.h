/*
 * password: stored passwords as salted slow hashes, and checking one.
 *
 * The stored form is a PHC string, "$scrypt$ln=14,r=8,p=1$<salt>$<hash>"
 * (unpadded base64), made with OpenSSL's scrypt. The legacy form
 * "sha256:<64 hex digits>" (one fast unsalted hash) is still accepted, and
 * reported as legacy so that the daemon can tell the operator to replace it.
 *
 * Pure: the salt comes from the caller (the shell reads the random bytes),
 * no clock, no files. Never keeps a password; comparisons are constant time.
 */
#ifndef REPAIRD_PASSWORD_H
#define REPAIRD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_SALT_LEN 16  /* what password_hash() callers should give */
#define PASSWORD_HASH_MAX 160 /* room for any string password_hash() writes */

/* The cost of new hashes: N = 2^14, r = 8 (16 MB, tens of milliseconds), p = 1. */
#define PASSWORD_SCRYPT_LN 14
#define PASSWORD_SCRYPT_R  8
#define PASSWORD_SCRYPT_P  1

enum password_kind {
	PASSWORD_SCRYPT,
	PASSWORD_LEGACY_SHA256,
};

/*
 * The stored form of password (len bytes) with salt (8..64 bytes) into out.
 * 0, or -1 (salt length, out too small, the KDF failed).
 */
int password_hash(const char *password, size_t len, const unsigned char *salt, size_t saltlen,
                  char *out, size_t outlen);

/*
 * Whether stored is a form password_verify() accepts, with its kind; else -1
 * with the reason in err. Costs beyond 64 MB of memory are refused, so that a
 * configuration cannot make every AUTH slow.
 */
int password_parse(const char *stored, enum password_kind *kind, char *err, size_t errlen);

/* true when password (len bytes) is the one stored; false for any malformed stored form. */
bool password_verify(const char *stored, const char *password, size_t len);

#endif
