#include "gov/sessions.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/id.h"
#include "core/str.h"
#include "gov/units.h"

#define TOUCH_EVERY_MS 60000

void tk_token_hash(const char *token, unsigned char hash[TK_TOKEN_HASH_SIZE])
{
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
}

void tk_session_token_new(char token[TK_SESSION_TOKEN_SIZE], unsigned char hash[TK_TOKEN_HASH_SIZE])
{
    char hex[65];
    tk_random_hex(32, hex);
    snprintf(token, TK_SESSION_TOKEN_SIZE, "tks_%s", hex);
    sodium_memzero(hex, sizeof hex);
    tk_token_hash(token, hash);
}

void tk_api_key_new(char key[TK_API_KEY_SIZE], char prefix[16],
                    unsigned char hash[TK_TOKEN_HASH_SIZE])
{
    char p[9], secret[49];
    tk_random_hex(4, p);
    tk_random_hex(24, secret);
    snprintf(key, TK_API_KEY_SIZE, "tkk_%s_%s", p, secret);
    snprintf(prefix, 16, "tkk_%s", p);
    sodium_memzero(secret, sizeof secret);
    tk_token_hash(key, hash);
}

tk_status tk_session_create(tk_conn *c, int64_t user_id,
                            const unsigned char hash[TK_TOKEN_HASH_SIZE], int64_t now,
                            int64_t expires_at, const char *ip, const char *user_agent, int64_t *id,
                            tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO sessions(token_hash, user_id, created_at, last_seen_at, "
                            "expires_at, ip, user_agent) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_blob(s, 1, hash, TK_TOKEN_HASH_SIZE);
    tk_bind_i64(s, 2, user_id);
    tk_bind_i64(s, 3, now);
    tk_bind_i64(s, 4, expires_at);
    tk_bind_text(s, 5, ip);
    tk_bind_text(s, 6, user_agent);
    if (tk_step(s, err) < 0)
        return err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

#define IDENTITY_COLUMNS                                                                           \
    "us.id, us.username, us.display_name, us.role, us.disabled, us.must_change_password, "         \
    "u.id, u.code, u.name, u.kind, u.path, u.scope_path"

static void identity_from_row(tk_stmt *s, tk_arena *a, tk_identity *who)
{
    who->user_id = tk_col_i64(s, 0);
    who->username = tk_arena_strdup(a, tk_col_text(s, 1));
    who->display_name = tk_arena_strdup(a, tk_col_text(s, 2));
    int role = tk_role_parse(tk_col_text(s, 3));
    who->role = role < 0 ? TK_ROLE_OBSERVER : (tk_role)role;
    who->must_change_password = tk_col_i64(s, 5) != 0;
    who->unit_id = tk_col_i64(s, 6);
    who->unit_code = tk_arena_strdup(a, tk_col_text(s, 7));
    who->unit_name = tk_arena_strdup(a, tk_col_text(s, 8));
    who->unit_kind = tk_arena_strdup(a, tk_col_text(s, 9));
    who->unit_path = tk_arena_strdup(a, tk_col_text(s, 10));
    who->scope_path = tk_arena_strdup(a, tk_col_text(s, 11));
}

static tk_status refuse(tk_error *err, const char *code, const char *msg)
{
    return tk_fail(err, TK_EUNAUTH, code, "%s", msg);
}

static tk_status resolve_session(tk_conn *c, tk_arena *a, const unsigned char *hash,
                                 const tk_session_limits *lim, int64_t now, tk_identity *who,
                                 bool *touch, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " IDENTITY_COLUMNS ", se.id, se.created_at, se.last_seen_at, "
                            "se.expires_at, se.revoked_at FROM sessions se "
                            "JOIN users us ON us.id = se.user_id JOIN units u ON u.id = us.unit_id "
                            "WHERE se.token_hash = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_blob(s, 1, hash, TK_TOKEN_HASH_SIZE);
    int rc = tk_step(s, err);
    if (rc <= 0) {
        tk_reset(s);
        return rc < 0 ? err->status : refuse(err, "session_invalid", "登录凭据无效，请重新登录");
    }
    identity_from_row(s, a, who);
    bool disabled = tk_col_i64(s, 4) != 0;
    who->session_id = tk_col_i64(s, 12);
    int64_t created = tk_col_i64(s, 13), last = tk_col_i64(s, 14), expires = tk_col_i64(s, 15);
    bool revoked = !tk_col_null(s, 16);
    tk_reset(s);
    if (revoked)
        return refuse(err, "session_revoked", "该登录已被注销，请重新登录");
    if (disabled)
        return refuse(err, "account_disabled", "账号已停用，请联系管理员");
    if (now >= expires || now - created >= lim->max_ms || now - last >= lim->idle_ms)
        return refuse(err, "session_expired", "登录已超时，请重新登录");
    *touch = now - last >= TOUCH_EVERY_MS;
    return TK_OK;
}

static tk_status resolve_api_key(tk_conn *c, tk_arena *a, const unsigned char *hash, int64_t now,
                                 tk_identity *who, bool *touch, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " IDENTITY_COLUMNS ", k.id, k.scopes, k.revoked_at, "
                            "coalesce(k.last_used_at, 0) FROM api_keys k "
                            "JOIN users us ON us.id = k.user_id JOIN units u ON u.id = us.unit_id "
                            "WHERE k.key_hash = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_blob(s, 1, hash, TK_TOKEN_HASH_SIZE);
    int rc = tk_step(s, err);
    if (rc <= 0) {
        tk_reset(s);
        return rc < 0 ? err->status : refuse(err, "session_invalid", "接口密钥无效");
    }
    identity_from_row(s, a, who);
    bool disabled = tk_col_i64(s, 4) != 0;
    who->api_key_id = tk_col_i64(s, 12);
    who->scopes = tk_arena_strdup(a, tk_col_text(s, 13));
    bool revoked = !tk_col_null(s, 14);
    int64_t last = tk_col_i64(s, 15);
    tk_reset(s);
    who->must_change_password = false; /* keys do not log in with passwords */
    if (revoked)
        return refuse(err, "session_revoked", "接口密钥已被吊销");
    if (disabled)
        return refuse(err, "account_disabled", "账号已停用，请联系管理员");
    *touch = now - last >= TOUCH_EVERY_MS;
    return TK_OK;
}

tk_status tk_identity_resolve(tk_conn *c, tk_arena *a, const char *token,
                              const tk_session_limits *lim, int64_t now, tk_identity *who,
                              bool *touch, tk_error *err)
{
    memset(who, 0, sizeof *who);
    *touch = false;
    size_t len = token ? strlen(token) : 0;
    if (len < 8 || len > 128)
        return refuse(err, "session_invalid", "登录凭据无效，请重新登录");
    unsigned char hash[TK_TOKEN_HASH_SIZE];
    tk_token_hash(token, hash);
    if (strncmp(token, "tks_", 4) == 0)
        return resolve_session(c, a, hash, lim, now, who, touch, err);
    if (strncmp(token, "tkk_", 4) == 0)
        return resolve_api_key(c, a, hash, now, who, touch, err);
    return refuse(err, "session_invalid", "登录凭据无效，请重新登录");
}

static tk_status run_update(tk_conn *c, const char *sql, int64_t id, int64_t now, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, now);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_identity_touch(tk_conn *c, int64_t session_id, int64_t api_key_id, int64_t now,
                            tk_error *err)
{
    if (session_id)
        return run_update(c,
                          "UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE id = ?1",
                          session_id, now, err);
    if (api_key_id)
        return run_update(c, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", api_key_id, now,
                          err);
    return TK_OK;
}

tk_status tk_credential_alive(tk_conn *c, int64_t session_id, int64_t api_key_id,
                              const tk_session_limits *lim, int64_t now, bool *alive, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c,
        "SELECT 1 FROM sessions x JOIN users u ON u.id = x.user_id WHERE ?1 > 0 AND x.id = ?1 "
        "AND x.revoked_at IS NULL AND x.expires_at > ?3 AND x.created_at > ?3 - ?4 "
        "AND u.disabled = 0 UNION ALL "
        "SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE ?2 > 0 AND k.id = ?2 "
        "AND k.revoked_at IS NULL AND u.disabled = 0",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, session_id);
    tk_bind_i64(s, 2, api_key_id);
    tk_bind_i64(s, 3, now);
    tk_bind_i64(s, 4, lim->max_ms);
    int rc = tk_step(s, err);
    tk_reset(s);
    *alive = rc == 1;
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_session_revoke(tk_conn *c, int64_t user_id, int64_t session_id, int64_t now,
                            tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "UPDATE sessions SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 "
                            "AND revoked_at IS NULL",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, session_id);
    tk_bind_i64(s, 2, user_id);
    tk_bind_i64(s, 3, now);
    if (tk_step(s, err) < 0)
        return err->status;
    if (tk_changes(c) == 0)
        return tk_fail(err, TK_ENOTFOUND, "session_not_found", "没有找到该登录会话");
    return TK_OK;
}

tk_status tk_session_list(tk_conn *c, tk_arena *a, int64_t user_id, const tk_session_limits *lim,
                          int64_t now, tk_session_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, created_at, last_seen_at, expires_at, ip, user_agent "
                            "FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL "
                            "AND expires_at > ?2 AND last_seen_at > ?3 AND created_at > ?4 "
                            "ORDER BY id DESC LIMIT 100",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    tk_bind_i64(s, 2, now);
    tk_bind_i64(s, 3, now - lim->idle_ms);
    tk_bind_i64(s, 4, now - lim->max_ms);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_session_info si = {
            .id = tk_col_i64(s, 0),
            .created_at = tk_col_i64(s, 1),
            .last_seen_at = tk_col_i64(s, 2),
            .expires_at = tk_col_i64(s, 3),
            .ip = tk_arena_strdup(a, tk_col_text(s, 4) ? tk_col_text(s, 4) : ""),
            .user_agent = tk_arena_strdup(a, tk_col_text(s, 5) ? tk_col_text(s, 5) : ""),
        };
        fn(ctx, &si);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_api_key_create(tk_conn *c, int64_t user_id, const char *name, const char *scopes,
                            const char *prefix, const unsigned char hash[TK_TOKEN_HASH_SIZE],
                            int64_t *id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO api_keys(prefix, key_hash, user_id, name, scopes, "
                            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, prefix);
    tk_bind_blob(s, 2, hash, TK_TOKEN_HASH_SIZE);
    tk_bind_i64(s, 3, user_id);
    tk_bind_text(s, 4, name);
    tk_bind_text(s, 5, scopes);
    tk_bind_i64(s, 6, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

tk_status tk_api_key_revoke(tk_conn *c, int64_t key_id, int64_t now, tk_error *err)
{
    if (run_update(c, "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                   key_id, now, err) != TK_OK)
        return err->status;
    if (tk_changes(c) == 0)
        return tk_fail(err, TK_ENOTFOUND, "api_key_not_found", "没有找到该接口密钥，或它已被吊销");
    return TK_OK;
}

tk_status tk_api_key_list(tk_conn *c, tk_arena *a, tk_api_key_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT k.id, k.user_id, us.username, k.prefix, k.name, k.scopes, "
                            "k.created_at, coalesce(k.last_used_at, 0), coalesce(k.revoked_at, 0) "
                            "FROM api_keys k JOIN users us ON us.id = k.user_id ORDER BY k.id",
                            err);
    if (!s)
        return TK_EIO;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_api_key_info k = {
            .id = tk_col_i64(s, 0),
            .user_id = tk_col_i64(s, 1),
            .username = tk_arena_strdup(a, tk_col_text(s, 2)),
            .prefix = tk_arena_strdup(a, tk_col_text(s, 3)),
            .name = tk_arena_strdup(a, tk_col_text(s, 4)),
            .scopes = tk_arena_strdup(a, tk_col_text(s, 5)),
            .created_at = tk_col_i64(s, 6),
            .last_used_at = tk_col_i64(s, 7),
            .revoked_at = tk_col_i64(s, 8),
        };
        fn(ctx, &k);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
