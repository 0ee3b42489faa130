/*
 * sessions.h - login sessions and API keys, and turning a presented token into
 * the caller's identity.
 *
 * Tokens are random (32 bytes) and given to the client once; only their SHA-256
 * is stored. Session tokens look like "tks_<64 hex>", API keys like
 * "tkk_<8 hex prefix>_<48 hex>". A session ends after idle_ms without use or
 * max_ms after login, whichever comes first.
 */
#ifndef TK_SESSIONS_H
#define TK_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/access.h"
#include "store/db.h"

#define TK_TOKEN_HASH_SIZE    32
#define TK_SESSION_TOKEN_SIZE 69 /* "tks_" + 64 hex + NUL */
#define TK_API_KEY_SIZE       66 /* "tkk_" + 8 + "_" + 48 + NUL, rounded */

/* Makes a new session token and its hash. */
void tk_session_token_new(char token[TK_SESSION_TOKEN_SIZE],
                          unsigned char hash[TK_TOKEN_HASH_SIZE]);
/* Makes a new API key, its display prefix ("tkk_1a2b3c4d") and its hash. */
void tk_api_key_new(char key[TK_API_KEY_SIZE], char prefix[16],
                    unsigned char hash[TK_TOKEN_HASH_SIZE]);
void tk_token_hash(const char *token, unsigned char hash[TK_TOKEN_HASH_SIZE]);

typedef struct {
    int64_t idle_ms;
    int64_t max_ms;
} tk_session_limits;

tk_status tk_session_create(tk_conn *c, int64_t user_id,
                            const unsigned char hash[TK_TOKEN_HASH_SIZE], int64_t now,
                            int64_t expires_at, const char *ip, const char *user_agent, int64_t *id,
                            tk_error *err);

/* Resolves a session token or an API key into *who (strings in a). Refusals are
 * TK_EUNAUTH with codes session_invalid, session_expired, session_revoked,
 * account_disabled. *touch is set when last use should be recorded (at most
 * once a minute per session, to keep reads from becoming writes). */
tk_status tk_identity_resolve(tk_conn *c, tk_arena *a, const char *token,
                              const tk_session_limits *lim, int64_t now, tk_identity *who,
                              bool *touch, tk_error *err);
/* Records use of a session (id > 0) or an API key (api_key_id > 0). */
tk_status tk_identity_touch(tk_conn *c, int64_t session_id, int64_t api_key_id, int64_t now,
                            tk_error *err);

/* Whether the session (session_id > 0) or API key (api_key_id > 0) a caller came
 * with still stands at `now`: not revoked, not past its absolute expiry, its
 * account not disabled. For connections that outlive their request (the live
 * stream); the idle limit does not apply to them, an open stream being use. */
tk_status tk_credential_alive(tk_conn *c, int64_t session_id, int64_t api_key_id,
                              const tk_session_limits *lim, int64_t now, bool *alive,
                              tk_error *err);

/* Ends one of the user's sessions; TK_ENOTFOUND if it is not theirs or already ended. */
tk_status tk_session_revoke(tk_conn *c, int64_t user_id, int64_t session_id, int64_t now,
                            tk_error *err);

typedef struct {
    int64_t id;
    int64_t created_at, last_seen_at, expires_at;
    const char *ip, *user_agent;
} tk_session_info;
typedef void (*tk_session_fn)(void *ctx, const tk_session_info *s);
/* The user's live sessions, newest first. */
tk_status tk_session_list(tk_conn *c, tk_arena *a, int64_t user_id, const tk_session_limits *lim,
                          int64_t now, tk_session_fn fn, void *ctx, tk_error *err);

tk_status tk_api_key_create(tk_conn *c, int64_t user_id, const char *name, const char *scopes,
                            const char *prefix, const unsigned char hash[TK_TOKEN_HASH_SIZE],
                            int64_t *id, tk_error *err);
tk_status tk_api_key_revoke(tk_conn *c, int64_t key_id, int64_t now, tk_error *err);

typedef struct {
    int64_t id, user_id;
    const char *username, *prefix, *name, *scopes;
    int64_t created_at, last_used_at, revoked_at;
} tk_api_key_info;
typedef void (*tk_api_key_fn)(void *ctx, const tk_api_key_info *k);
tk_status tk_api_key_list(tk_conn *c, tk_arena *a, tk_api_key_fn fn, void *ctx, tk_error *err);

#endif
