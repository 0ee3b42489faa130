/*
 * password.h - argon2id password hashes (libsodium, INTERACTIVE limits) and the
 * password policy: at least 10 characters, not the username, not in the common
 * password list shipped in data/common-passwords.txt.
 *
 * Hashing and verifying take tens of milliseconds and 64 MiB: call them on the
 * worker pool, never on an HTTP thread.
 */
#ifndef TK_PASSWORD_H
#define TK_PASSWORD_H

#include <stdbool.h>
#include <sodium.h>

#include "core/status.h"

#define TK_PASSWORD_HASH_SIZE crypto_pwhash_STRBYTES
#define TK_PASSWORD_MIN_CHARS 10
#define TK_PASSWORD_MAX_BYTES 256

/* Loads the common-password list (one per line, '#' comments). Call once at
 * start; without it only length and username are checked. */
tk_status tk_password_load_common(const char *path, tk_error *err);
void tk_password_unload_common(void);

tk_status tk_password_check_policy(const char *password, const char *username, tk_error *err);
tk_status tk_password_hash(const char *password, char out[TK_PASSWORD_HASH_SIZE], tk_error *err);
bool tk_password_verify(const char *hash, const char *password);
bool tk_password_needs_rehash(const char *hash);
/* Spends the time of a verification without a user, so a missing user cannot be
 * told from a wrong password by timing. */
void tk_password_verify_dummy(const char *password);

#endif
