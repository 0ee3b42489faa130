/*
 * probe.c - POST /api/v1/_probe/writes {"key": "..."}: commits one row through
 * the writer and answers 201 only once it is durable.
 *
 * It exists so benchmarks and crash tests can measure group commit and check
 * that every acknowledged write survives; it answers 404 unless --probe 1.
 * GET /api/v1/_probe/writes/{key} reads one back.
 */
#include <string.h>

#include "api/app.h"
#include "core/clock.h"

typedef struct {
    const char *key;
    int64_t id;
    int64_t created_at;
} probe_row;

static tk_status insert_probe(tk_conn *c, void *arg, tk_error *err)
{
    probe_row *row = arg;
    tk_stmt *s = tk_prepare(c, "INSERT INTO probe_writes(key, created_at) VALUES (?1, ?2)", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, row->key);
    tk_bind_i64(s, 2, row->created_at);
    if (tk_step(s, err) < 0) {
        if (err->status == TK_ECONFLICT)
            return tk_fail(err, TK_ECONFLICT, "duplicate_key", "key 已存在：%s", row->key);
        return err->status;
    }
    row->id = tk_last_insert_id(c);
    return TK_OK;
}

static void probe_written(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    probe_row *row = arg;
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    tk_reply_json(r, 201, json_pack("{s:I, s:s}", "id", (json_int_t)row->id, "key", row->key));
}

void api_probe_write(tk_req *r)
{
    if (!TK_APP(r)->cfg->probe) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个地址：%s", r->path);
        return;
    }
    tk_error err;
    json_t *body = tk_req_json_object(r, &err);
    if (!body) {
        tk_reply_error(r, &err);
        return;
    }
    const char *key = json_string_value(json_object_get(body, "key"));
    if (!key || !*key || strlen(key) > 200) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "key 需要 1 到 200 字节的字符串");
        return;
    }
    probe_row *row = tk_arena_zalloc(r->arena, sizeof *row);
    row->key = tk_arena_strdup(r->arena, key);
    row->created_at = tk_now_ms();
    tk_req_write(r, insert_probe, row, probe_written);
}

void api_probe_read(tk_req *r)
{
    if (!TK_APP(r)->cfg->probe) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个地址：%s", r->path);
        return;
    }
    tk_error err;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    tk_stmt *s =
        c ? tk_prepare(c, "SELECT id, created_at FROM probe_writes WHERE key = ?1", &err) : NULL;
    if (!s) {
        tk_reply_error(r, &err);
        return;
    }
    const char *key = tk_req_param(r, "key");
    tk_bind_text(s, 1, key);
    int rc = tk_step(s, &err);
    if (rc < 0) {
        tk_reply_error(r, &err);
        return;
    }
    if (rc == 0) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有 key 为 %s 的写入", key);
        return;
    }
    json_t *body = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)tk_col_i64(s, 0), "key", key,
                             "created_at", (json_int_t)tk_col_i64(s, 1));
    tk_reset(s);
    tk_reply_json(r, 200, body);
}
