/*
 * crc32c: CRC-32C (Castagnoli), the checksum of journal records and of the
 * configuration's fingerprint. Uses the SSE 4.2 instruction when the CPU has
 * it, a table otherwise; both give the same bits.
 *
 * Owns nothing but the arithmetic: no I/O, no state, no other core module.
 */
#ifndef REPAIRD_CRC32C_H
#define REPAIRD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc (0 to start) over len bytes; crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
