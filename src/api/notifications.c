/*
 * notifications.c - my inbox: new tasks, yellow and red alerts, supervision,
 * returns, county calls.
 *
 * GET  /api/v1/notifications?unread=1&cursor=&limit=
 * POST /api/v1/notifications/{id}/read
 * POST /api/v1/notifications/read-all
 */
#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"

void api_notifications_list(tk_req *r)
{
    tk_error err;
    int limit;
    int64_t cursor, unread;
    if (api_failed(r, q_limit(r, &limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_int(r, "unread", 0, 0, 1, &unread, &err), &err))
        return;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    tk_stmt *s = c ? tk_prepare(c,
                                "SELECT n.id, n.event_id, e.number, n.kind, n.title, n.body, "
                                "n.created_at, coalesce(n.read_at, 0) FROM notifications n LEFT "
                                "JOIN events e ON e.id = n.event_id WHERE n.user_id = ?1 AND "
                                "n.id < ?2 AND (?3 = 0 OR n.read_at IS NULL) ORDER BY n.id DESC "
                                "LIMIT ?4",
                                &err)
                   : NULL;
    tk_stmt *count = c ? tk_prepare(c,
                                    "SELECT count(*) FROM notifications WHERE user_id = ?1 AND "
                                    "read_at IS NULL",
                                    &err)
                       : NULL;
    if (!s || !count) {
        tk_reply_error(r, &err);
        return;
    }
    tk_bind_i64(s, 1, api_who(r)->user_id);
    tk_bind_i64(s, 2, cursor ? cursor : INT64_MAX);
    tk_bind_i64(s, 3, unread);
    tk_bind_i64(s, 4, limit + 1);
    json_t *items = json_array();
    int n = 0, rc;
    int64_t last = 0;
    bool more = false;
    while ((rc = tk_step(s, &err)) == 1) {
        if (n++ == limit) {
            more = true;
            break;
        }
        last = tk_col_i64(s, 0);
        json_array_append_new(
            items,
            json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)last,
                      "event_id", tk_col_null(s, 1) ? json_null() : json_integer(tk_col_i64(s, 1)),
                      "event_number",
                      tk_col_null(s, 2) ? json_null() : json_string(tk_col_text(s, 2)), "kind",
                      tk_col_text(s, 3), "title", tk_col_text(s, 4), "body", tk_col_text(s, 5),
                      "created_at", api_time(tk_col_i64(s, 6)), "read", tk_col_i64(s, 7) != 0));
    }
    tk_reset(s);
    tk_bind_i64(count, 1, api_who(r)->user_id);
    int64_t unread_count = tk_step(count, &err) == 1 ? tk_col_i64(count, 0) : 0;
    tk_reset(count);
    json_t *body = api_page(items, more, last);
    json_object_set_new(body, "unread", json_integer(unread_count));
    tk_reply_json(r, 200, body);
}

typedef struct {
    int64_t id; /* 0 = all */
} read_ctx;

static tk_status read_run(tk_conn *c, api_op *op, tk_error *err)
{
    read_ctx *x = op->data;
    tk_stmt *s = tk_prepare(c,
                            "UPDATE notifications SET read_at = ?3 WHERE user_id = ?1 AND "
                            "(?2 = 0 OR id = ?2) AND read_at IS NULL",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, api_who(op->r)->user_id);
    tk_bind_i64(s, 2, x->id);
    tk_bind_i64(s, 3, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    api_op_detail(op, "count", json_integer(tk_changes(c)));
    return TK_OK;
}

static void read_reply(tk_req *r, api_op *op)
{
    (void)op;
    tk_reply_empty(r, 204);
}

void api_notifications_read(tk_req *r)
{
    read_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    const char *id = tk_req_param(r, "id");
    if (id && (!tk_parse_i64(id, &x->id) || x->id <= 0)) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这条通知");
        return;
    }
    api_op *op = api_op_new(r, "notification", read_run, read_reply, x);
    op->action = "notification.read";
    if (x->id)
        api_op_target(op, x->id);
    api_op_submit(op);
}
