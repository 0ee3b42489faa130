/*
 * id.h - identifiers and random tokens.
 *
 * tk_id_next gives process-unique, time-ordered 63-bit ids (milliseconds since
 * 2024-01-01 in the high bits, a sequence in the low 16), usable before a row is
 * written. Tokens come from libsodium's CSPRNG.
 */
#ifndef TK_ID_H
#define TK_ID_H

#include <stddef.h>
#include <stdint.h>

int64_t tk_id_next(void);
/* n random bytes as 2n lowercase hex characters plus NUL in out. */
void tk_random_hex(size_t n, char *out);

#endif
