#include "gov/request_keys.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"

bool tk_request_key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > TK_REQUEST_KEY_MAX)
        return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("-_.:", *p)))
            return false;
    return true;
}

/* Each field with its length first, so that no two requests feed the same bytes. */
static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    int n = snprintf(len, sizeof len, "%zu:", s ? strlen(s) : (size_t)0);
    crypto_hash_sha256_update(st, (const unsigned char *)len, (unsigned long long)n);
    if (s)
        crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

/* SHA-256 (hex) of the fields in order; what kind of request comes first. */
static void fingerprint(const char *const *fields, size_t n, char out[65])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < n; i++)
        feed(&st, fields[i]);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    tk_hex(digest, sizeof digest, out);
}

void tk_report_fingerprint(const tk_event_new *in, char out[65])
{
    char place[96];
    if (in->has_point)
        snprintf(place, sizeof place, "%.7f,%.7f", in->lng, in->lat);
    else
        snprintf(place, sizeof place, "grid %lld", (long long)in->grid_id);
    const char *fields[] = {"report",           in->category_code, in->title,
                            in->description,    in->address,       place,
                            in->urgency,        in->source,        in->reporter_name,
                            in->reporter_phone, in->external_ref};
    /* a report without external_ref is fingerprinted as before it existed */
    size_t n = sizeof fields / sizeof fields[0] - (in->external_ref ? 0 : 1);
    fingerprint(fields, n, out);
}

void tk_action_fingerprint(int64_t event_id, const char *action, const tk_event_input *in,
                           char out[65])
{
    char numbers[200];
    snprintf(numbers, sizeof numbers, "%lld %lld %lld %d %d %lld %lld %lld", (long long)event_id,
             (long long)in->unit_id, (long long)in->user_id, in->approve, in->passed,
             (long long)in->satisfaction, (long long)in->amount, (long long)in->into);
    const char *fields[] = {"action", action,   numbers,     in->note,
                            in->kind, in->unit, in->urgency, in->category_code};
    fingerprint(fields, sizeof fields / sizeof fields[0], out);
}

tk_status tk_request_key_find(tk_conn *c, int64_t user_id, const char *key, const char *fingerprint,
                              int64_t now, int64_t *event_id, tk_error *err)
{
    *event_id = 0;
    tk_stmt *s = tk_prepare(c,
                            "SELECT event_id, fingerprint FROM request_keys WHERE user_id = ?1 "
                            "AND key = ?2 AND created_at > ?3",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    tk_bind_text(s, 2, key);
    tk_bind_i64(s, 3, now - TK_REQUEST_KEY_TTL_MS);
    int rc = tk_step(s, err);
    bool same = rc == 1 && !strcmp(tk_col_text(s, 1), fingerprint);
    int64_t id = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 1 && !same)
        return tk_fail(err, TK_EVALID, "idempotency_key_reused",
                       "幂等键 %s 已用于另一个不同的请求，请为新的请求使用新的键", key);
    *event_id = id;
    return TK_OK;
}

tk_status tk_request_key_remember(tk_conn *c, int64_t user_id, const char *key,
                                  const char *fingerprint, int64_t event_id, int64_t now,
                                  tk_error *err)
{
    tk_stmt *gone = tk_prepare(c,
                               "DELETE FROM request_keys WHERE (user_id, key) IN (SELECT user_id, "
                               "key FROM request_keys WHERE created_at <= ?1 ORDER BY created_at "
                               "LIMIT 2)",
                               err);
    if (!gone)
        return TK_EIO;
    tk_bind_i64(gone, 1, now - TK_REQUEST_KEY_TTL_MS);
    int rc = tk_step(gone, err);
    tk_reset(gone);
    if (rc < 0)
        return err->status;
    tk_stmt *s = tk_prepare(c,
                            "INSERT OR REPLACE INTO request_keys(user_id, key, fingerprint, "
                            "event_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    tk_bind_text(s, 2, key);
    tk_bind_text(s, 3, fingerprint);
    tk_bind_i64(s, 4, event_id);
    tk_bind_i64(s, 5, now);
    rc = tk_step(s, err);
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
