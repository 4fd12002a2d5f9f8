/*
 * password: scrypt PHC strings through OpenSSL's EVP_KDF, the legacy
 * "sha256:<hex>" form, constant-time comparison (CRYPTO_memcmp).
 *
 * Base64 is OpenSSL's (EVP_EncodeBlock/EVP_DecodeBlock); PHC strings leave
 * out the padding, so it is stripped on the way out and put back on the way
 * in, after a strict check of the alphabet (EVP_DecodeBlock skips blanks).
 */
#include "password.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "text.h"

#define SALT_MAX      64
#define HASH_LEN      32 /* of new hashes */
#define HASH_MIN      16
#define HASH_MAX      64
#define MEM_LOG2_MAX  19 /* r * N <= 2^19: 128 * r * N bytes <= 64 MB */
#define WORK_LOG2_MAX 20 /* r * N * p <= 2^20 */

struct scrypt_form {
	int ln, r, p;
	unsigned char salt[SALT_MAX];
	size_t saltlen;
	unsigned char hash[HASH_MAX];
	size_t hashlen;
};

/* ---- base64 without padding ---------------------------------------------------- */

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	return (size_t)len;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* s[0..n) into out (room for max); the decoded length, or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
	char buf[(HASH_MAX + SALT_MAX) * 2];
	unsigned char tmp[sizeof buf];
	size_t pad = (4 - n % 4) % 4, len;
	int got;

	if (n == 0 || pad == 3 || n + pad >= sizeof buf)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!b64_char(s[i]))
			return -1;
	memcpy(buf, s, n);
	memset(buf + n, '=', pad);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)buf, (int)(n + pad));
	if (got < 0 || (size_t)got < pad)
		return -1;
	len = (size_t)got - pad;
	if (len > max)
		return -1;
	memcpy(out, tmp, len);
	return (long)len;
}

/* ---- scrypt ------------------------------------------------------------------- */

static int scrypt(const char *pw, size_t len, const unsigned char *salt, size_t saltlen, int ln,
                  int r, int p, unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx;
	uint64_t n = (uint64_t)1 << ln, maxmem = (uint64_t)160 << 20;
	uint32_t rr = (uint32_t)r, pp = (uint32_t)p;
	OSSL_PARAM params[7];
	int ok;

	if (kdf == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	                                              (void *)(uintptr_t)(len ? pw : ""), len);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt,
	                                              saltlen);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp);
	params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	params[6] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, params);
	EVP_KDF_CTX_free(ctx);
	return ok == 1 ? 0 : -1;
}

static int log2_floor(int v)
{
	int k = 0;

	while (v > 1) {
		v >>= 1;
		k++;
	}
	return k;
}

/* A decimal 1..max at *s, moving past it. */
static int take_int(const char **s, int max, int *out)
{
	int v = 0, digits = 0;

	while (**s >= '0' && **s <= '9' && digits < 6) {
		v = v * 10 + (**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_scrypt(const char *s, struct scrypt_form *f, char *err, size_t errlen)
{
	const char *salt, *dollar;
	long n;

	if (strncmp(s, "$scrypt$ln=", 11) != 0)
		goto bad;
	s += 11;
	if (take_int(&s, 30, &f->ln) < 0 || strncmp(s, ",r=", 3) != 0)
		goto bad;
	s += 3;
	if (take_int(&s, 1024, &f->r) < 0 || strncmp(s, ",p=", 3) != 0)
		goto bad;
	s += 3;
	if (take_int(&s, 1024, &f->p) < 0 || *s != '$')
		goto bad;
	salt = s + 1;
	dollar = strchr(salt, '$');
	if (dollar == NULL)
		goto bad;
	if ((n = b64_decode(salt, (size_t)(dollar - salt), f->salt, sizeof f->salt)) < 1)
		goto bad;
	f->saltlen = (size_t)n;
	n = b64_decode(dollar + 1, strlen(dollar + 1), f->hash, sizeof f->hash);
	if (n < HASH_MIN)
		goto bad;
	f->hashlen = (size_t)n;
	if (f->ln + log2_floor(f->r) > MEM_LOG2_MAX ||
	    f->ln + log2_floor(f->r) + log2_floor(f->p) > WORK_LOG2_MAX) {
		snprintf(err, errlen, "scrypt cost ln=%d,r=%d,p=%d is beyond what AUTH may spend",
		         f->ln, f->r, f->p);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen,
	         "not \"$scrypt$ln=N,r=N,p=N$<salt>$<hash>\" (base64 without padding)");
	return -1;
}

/* ---- the legacy form ------------------------------------------------------------ */

static int parse_sha256(const char *s, unsigned char digest[32], char *err, size_t errlen)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64) {
		snprintf(err, errlen, "not \"sha256:\" and 64 hex digits");
		return -1;
	}
	for (int b = 0; b < 32; b++) {
		int hi = hex_digit(s[7 + 2 * b]), lo = hex_digit(s[8 + 2 * b]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "\"%c%c\" is not hex", s[7 + 2 * b], s[8 + 2 * b]);
			return -1;
		}
		digest[b] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- the interface ---------------------------------------------------------------- */

int password_hash(const char *password, size_t len, const unsigned char *salt, size_t saltlen,
                  char *out, size_t outlen)
{
	unsigned char hash[HASH_LEN];
	char salt64[SALT_MAX * 2], hash64[HASH_LEN * 2];
	int n;

	if (saltlen < 8 || saltlen > SALT_MAX ||
	    scrypt(password, len, salt, saltlen, PASSWORD_SCRYPT_LN, PASSWORD_SCRYPT_R,
	           PASSWORD_SCRYPT_P, hash, sizeof hash) < 0)
		return -1;
	b64_encode(salt, saltlen, salt64);
	b64_encode(hash, sizeof hash, hash64);
	OPENSSL_cleanse(hash, sizeof hash);
	n = snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", PASSWORD_SCRYPT_LN,
	             PASSWORD_SCRYPT_R, PASSWORD_SCRYPT_P, salt64, hash64);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int password_parse(const char *stored, enum password_kind *kind, char *err, size_t errlen)
{
	struct scrypt_form f;
	unsigned char digest[32];

	if (stored != NULL && stored[0] == '$') {
		*kind = PASSWORD_SCRYPT;
		return parse_scrypt(stored, &f, err, errlen);
	}
	*kind = PASSWORD_LEGACY_SHA256;
	return parse_sha256(stored ? stored : "", digest, err, errlen);
}

bool password_verify(const char *stored, const char *password, size_t len)
{
	unsigned char want[HASH_MAX], got[HASH_MAX];
	struct scrypt_form f;
	char err[128];
	size_t n;
	bool same;

	if (stored == NULL || password == NULL)
		return false;
	if (stored[0] == '$') {
		if (parse_scrypt(stored, &f, err, sizeof err) < 0 ||
		    scrypt(password, len, f.salt, f.saltlen, f.ln, f.r, f.p, got, f.hashlen) < 0)
			return false;
		memcpy(want, f.hash, f.hashlen);
		n = f.hashlen;
	} else {
		if (parse_sha256(stored, want, err, sizeof err) < 0)
			return false;
		SHA256((const unsigned char *)password, len, got);
		n = 32;
	}
	same = CRYPTO_memcmp(want, got, n) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return same;
}
