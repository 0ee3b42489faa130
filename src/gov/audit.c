#include "gov/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"

#define HASH_SIZE crypto_hash_sha256_BYTES

typedef struct {
    int64_t seq, at;
    int64_t actor_id; /* 0 = none */
    const char *actor, *role, *unit_path, *ip, *action, *target_type, *target_id, *outcome, *detail;
} record;

static void feed_field(crypto_hash_sha256_state *st, const char *s)
{
    uint64_t n = s ? strlen(s) : 0;
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(n >> (8 * i));
    crypto_hash_sha256_update(st, len, sizeof len);
    if (n)
        crypto_hash_sha256_update(st, (const unsigned char *)s, n);
}

static void feed_i64(crypto_hash_sha256_state *st, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    feed_field(st, buf);
}

static void record_hash(const unsigned char prev[HASH_SIZE], const record *r,
                        unsigned char out[HASH_SIZE])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, HASH_SIZE);
    feed_i64(&st, r->seq);
    feed_i64(&st, r->at);
    feed_i64(&st, r->actor_id);
    const char *fields[] = {r->actor,       r->role,      r->unit_path, r->ip,    r->action,
                            r->target_type, r->target_id, r->outcome,   r->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        feed_field(&st, fields[i]);
    crypto_hash_sha256_final(&st, out);
}

static tk_status last_link(tk_conn *c, int64_t *seq, unsigned char prev[HASH_SIZE], tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", err);
    if (!s)
        return TK_EIO;
    memset(prev, 0, HASH_SIZE);
    *seq = 0;
    int rc = tk_step(s, err);
    if (rc == 1) {
        *seq = tk_col_i64(s, 0);
        if (tk_col_bytes(s, 1) == HASH_SIZE)
            memcpy(prev, tk_col_blob(s, 1), HASH_SIZE);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_audit_append(tk_conn *c, const tk_audit_entry *e, int64_t *seq_out, tk_error *err)
{
    int64_t last;
    unsigned char prev[HASH_SIZE], hash[HASH_SIZE];
    if (last_link(c, &last, prev, err) != TK_OK)
        return err->status;
    record r = {
        .seq = last + 1,
        .at = tk_now_ms(),
        .actor_id = e->who ? e->who->user_id : 0,
        .actor = e->who ? e->who->username : (e->actor ? e->actor : ""),
        .role = e->who ? tk_role_code(e->who->role) : "",
        .unit_path = e->who && e->who->unit_path ? e->who->unit_path : "",
        .ip = e->ip ? e->ip : "",
        .action = e->action,
        .target_type = e->target_type ? e->target_type : "",
        .target_id = e->target_id ? e->target_id : "",
        .outcome = e->outcome ? e->outcome : "ok",
        .detail = e->detail ? e->detail : "{}",
    };
    record_hash(prev, &r, hash);
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO audit_log(seq, at, actor_id, actor, role, unit_path, ip, "
                            "action, target_type, target_id, outcome, detail, prev_hash, hash) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, r.seq);
    tk_bind_i64(s, 2, r.at);
    if (r.actor_id)
        tk_bind_i64(s, 3, r.actor_id);
    else
        tk_bind_null(s, 3);
    const char *texts[] = {r.actor,       r.role,      r.unit_path, r.ip,    r.action,
                           r.target_type, r.target_id, r.outcome,   r.detail};
    for (int i = 0; i < 9; i++)
        tk_bind_text(s, 4 + i, texts[i]);
    tk_bind_blob(s, 13, prev, HASH_SIZE);
    tk_bind_blob(s, 14, hash, HASH_SIZE);
    if (tk_step(s, err) < 0)
        return err->status;
    if (seq_out)
        *seq_out = r.seq;
    return TK_OK;
}

#define ROW_COLUMNS                                                                                \
    "seq, at, coalesce(actor_id, 0), actor, role, unit_path, ip, action, target_type, "            \
    "target_id, outcome, detail, prev_hash, hash"

static void record_from_row(tk_stmt *s, record *r)
{
    r->seq = tk_col_i64(s, 0);
    r->at = tk_col_i64(s, 1);
    r->actor_id = tk_col_i64(s, 2);
    const char **texts[] = {&r->actor,       &r->role,      &r->unit_path, &r->ip,    &r->action,
                            &r->target_type, &r->target_id, &r->outcome,   &r->detail};
    for (int i = 0; i < 9; i++) {
        const char *t = tk_col_text(s, 3 + i);
        *texts[i] = t ? t : "";
    }
}

static void broken(tk_audit_report *rep, int64_t seq, const char *why)
{
    rep->broken_seq = seq;
    snprintf(rep->reason, sizeof rep->reason, "%s", why);
}

tk_status tk_audit_verify(tk_conn *c, tk_audit_report *rep, tk_error *err)
{
    memset(rep, 0, sizeof *rep);
    tk_stmt *s = tk_prepare(c, "SELECT " ROW_COLUMNS " FROM audit_log ORDER BY seq", err);
    if (!s)
        return TK_EIO;
    unsigned char prev[HASH_SIZE] = {0}, hash[HASH_SIZE];
    int64_t expect_seq = 1;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        record r;
        record_from_row(s, &r);
        rep->checked++;
        if (r.seq != expect_seq) {
            broken(rep, r.seq, expect_seq < r.seq ? "序号不连续：之前的记录被删除" : "序号重复");
            break;
        }
        if (tk_col_bytes(s, 12) != HASH_SIZE || memcmp(tk_col_blob(s, 12), prev, HASH_SIZE)) {
            broken(rep, r.seq, "与上一条记录的链接不符");
            break;
        }
        record_hash(prev, &r, hash);
        if (tk_col_bytes(s, 13) != HASH_SIZE || memcmp(tk_col_blob(s, 13), hash, HASH_SIZE)) {
            broken(rep, r.seq, "记录内容与其哈希不符：该记录被改动过");
            break;
        }
        memcpy(prev, hash, HASH_SIZE);
        expect_seq++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_audit_list(tk_conn *c, tk_arena *a, const tk_audit_filter *f, tk_audit_fn fn,
                        void *ctx, bool *more, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " ROW_COLUMNS " FROM audit_log WHERE seq < ?1 "
                            "AND (?2 IS NULL OR actor = ?2) "
                            "AND (?3 IS NULL OR action = ?3 OR "
                            "     (substr(?3, -1) = '.' AND substr(action, 1, length(?3)) = ?3)) "
                            "AND (?4 IS NULL OR target_type = ?4) "
                            "AND (?5 IS NULL OR target_id = ?5) "
                            "AND (?6 IS NULL OR outcome = ?6) "
                            "AND at >= ?7 AND at < ?8 ORDER BY seq DESC LIMIT ?9",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, f->before_seq > 0 ? f->before_seq : INT64_MAX);
    tk_bind_text(s, 2, f->actor);
    tk_bind_text(s, 3, f->action);
    tk_bind_text(s, 4, f->target_type);
    tk_bind_text(s, 5, f->target_id);
    tk_bind_text(s, 6, f->outcome);
    tk_bind_i64(s, 7, f->from);
    tk_bind_i64(s, 8, f->to > 0 ? f->to : INT64_MAX);
    tk_bind_i64(s, 9, f->limit + 1);
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == f->limit) {
            *more = true;
            break;
        }
        record r;
        record_from_row(s, &r);
        tk_audit_row row = {
            .seq = r.seq,
            .at = r.at,
            .actor_id = r.actor_id,
            .actor = tk_arena_strdup(a, r.actor),
            .role = tk_arena_strdup(a, r.role),
            .unit_path = tk_arena_strdup(a, r.unit_path),
            .ip = tk_arena_strdup(a, r.ip),
            .action = tk_arena_strdup(a, r.action),
            .target_type = tk_arena_strdup(a, r.target_type),
            .target_id = tk_arena_strdup(a, r.target_id),
            .outcome = tk_arena_strdup(a, r.outcome),
            .detail = tk_arena_strdup(a, r.detail),
        };
        if (tk_col_bytes(s, 13) == HASH_SIZE)
            tk_hex(tk_col_blob(s, 13), HASH_SIZE, row.hash);
        else
            row.hash[0] = '\0';
        fn(ctx, &row);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
