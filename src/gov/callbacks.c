#include "gov/callbacks.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "core/str.h"
#include "gov/event_internal.h"

static void (*waker)(void *ctx);
static void *waker_ctx;

void tk_callbacks_set_waker(void (*fn)(void *ctx), void *ctx)
{
    waker = fn;
    waker_ctx = ctx;
}

const char *tk_delivery_status_label(const char *status)
{
    if (!status)
        return NULL;
    if (!strcmp(status, "pending"))
        return "待推送";
    if (!strcmp(status, "delivered"))
        return "已送达";
    if (!strcmp(status, "failed"))
        return "推送失败";
    return status;
}

const char *tk_delivery_action_label(const tk_delivery *d)
{
    const char *label = tk_event_action_label(d->action, d->from_state);
    return label ? label : d->action;
}

const char *tk_delivery_state_label(const tk_delivery *d)
{
    if (d->merged_into_number && !strcmp(d->to_state, "void"))
        return "已合并";
    const char *label = tk_event_state_label(d->to_state);
    return label ? label : d->to_state;
}

void tk_callback_secret_new(char out[TK_CALLBACK_SECRET_LEN + 1])
{
    unsigned char bytes[TK_CALLBACK_SECRET_LEN / 2];
    randombytes_buf(bytes, sizeof bytes);
    tk_hex(bytes, sizeof bytes, out);
    sodium_memzero(bytes, sizeof bytes);
}

static const char *dup(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

/* ------------------------------------------------------------------ callbacks */

#define CALLBACK_SELECT                                                                            \
    "SELECT cb.id, cb.user_id, u.username, u.display_name, cb.url, cb.secret, cb.active, "         \
    "cb.created_at, cb.updated_at, "                                                               \
    "(SELECT count(*) FROM callback_deliveries d WHERE d.callback_id = cb.id AND "                 \
    "  d.status = 'pending'), "                                                                    \
    "(SELECT count(*) FROM callback_deliveries d WHERE d.callback_id = cb.id AND "                 \
    "  d.status = 'delivered'), "                                                                  \
    "(SELECT count(*) FROM callback_deliveries d WHERE d.callback_id = cb.id AND "                 \
    "  d.status = 'failed'), "                                                                     \
    "(SELECT d.delivered_at FROM callback_deliveries d WHERE d.callback_id = cb.id AND "           \
    "  d.status = 'delivered' ORDER BY d.id DESC LIMIT 1), "                                       \
    "(SELECT d.next_at FROM callback_deliveries d WHERE d.callback_id = cb.id AND "                \
    "  d.status = 'pending' ORDER BY d.id LIMIT 1), "                                              \
    "coalesce((SELECT d.last_error FROM callback_deliveries d WHERE d.callback_id = cb.id AND "    \
    "  d.status = 'pending' ORDER BY d.id LIMIT 1), (SELECT d.last_error FROM "                    \
    "  callback_deliveries d WHERE d.callback_id = cb.id AND d.status = 'failed' ORDER BY d.id "   \
    "  DESC LIMIT 1)) "                                                                            \
    "FROM callbacks cb JOIN users u ON u.id = cb.user_id "

static void callback_from_row(tk_stmt *s, tk_arena *a, tk_callback *cb)
{
    memset(cb, 0, sizeof *cb);
    cb->id = tk_col_i64(s, 0);
    cb->user_id = tk_col_i64(s, 1);
    cb->username = dup(a, tk_col_text(s, 2));
    cb->display_name = dup(a, tk_col_text(s, 3));
    cb->url = dup(a, tk_col_text(s, 4));
    cb->secret = dup(a, tk_col_text(s, 5));
    cb->active = tk_col_i64(s, 6) != 0;
    cb->created_at = tk_col_i64(s, 7);
    cb->updated_at = tk_col_i64(s, 8);
    cb->pending = tk_col_i64(s, 9);
    cb->delivered = tk_col_i64(s, 10);
    cb->failed = tk_col_i64(s, 11);
    cb->last_delivered_at = tk_col_i64(s, 12);
    cb->next_attempt_at = tk_col_i64(s, 13);
    cb->last_error = dup(a, tk_col_text(s, 14));
}

tk_status tk_callbacks_list(tk_conn *c, tk_arena *a, tk_callback_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, CALLBACK_SELECT "ORDER BY cb.id", err);
    if (!s)
        return TK_EIO;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_callback cb;
        callback_from_row(s, a, &cb);
        fn(ctx, &cb);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

static tk_status callback_missing(tk_error *err)
{
    return tk_fail(err, TK_ENOTFOUND, "callback_not_found", "没有找到该回调配置");
}

tk_status tk_callback_get(tk_conn *c, tk_arena *a, int64_t id, tk_callback *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, CALLBACK_SELECT "WHERE cb.id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    int rc = tk_step(s, err);
    if (rc == 1)
        callback_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc ? TK_OK : callback_missing(err);
}

/* An enabled integration account without a callback. */
static tk_status check_account(tk_conn *c, int64_t user_id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT u.role, u.disabled, (SELECT count(*) FROM callbacks cb WHERE "
                            "cb.user_id = u.id) FROM users u WHERE u.id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    int rc = tk_step(s, err);
    bool integration = rc == 1 && !strcmp(tk_col_text(s, 0), "integration");
    bool disabled = rc == 1 && tk_col_i64(s, 1) != 0;
    bool taken = rc == 1 && tk_col_i64(s, 2) != 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail_field(err, "user_id", "没有找到该用户");
    if (!integration)
        return tk_fail_field(err, "user_id", "回调只能配置给「接口对接」角色的账号");
    if (disabled)
        return tk_fail_field(err, "user_id", "该账号已停用");
    if (taken)
        return tk_fail(err, TK_ECONFLICT, "callback_exists", "该账号已有回调配置，请修改原配置");
    return TK_OK;
}

tk_status tk_callback_create(tk_conn *c, int64_t user_id, const char *url, bool active,
                             const char *secret, int64_t now, int64_t *id, tk_error *err)
{
    if (check_account(c, user_id, err) != TK_OK)
        return err->status;
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO callbacks(user_id, url, secret, active, created_at, "
                            "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    tk_bind_text(s, 2, url);
    tk_bind_text(s, 3, secret);
    tk_bind_i64(s, 4, active);
    tk_bind_i64(s, 5, now);
    if (tk_step(s, err) < 0)
        return err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

tk_status tk_callback_update(tk_conn *c, int64_t id, const char *url, int active,
                             const char *secret, int64_t now, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "UPDATE callbacks SET url = coalesce(?2, url), active = CASE WHEN ?3 "
                            "< 0 THEN active ELSE ?3 END, secret = coalesce(?4, secret), "
                            "updated_at = ?5 WHERE id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, url);
    tk_bind_i64(s, 3, active);
    tk_bind_text(s, 4, secret);
    tk_bind_i64(s, 5, now);
    if (tk_step(s, err) < 0)
        return err->status;
    if (tk_changes(c) == 0)
        return callback_missing(err);
    if (active == 1 && waker)
        tk_conn_after_commit(c, waker, waker_ctx);
    return TK_OK;
}

tk_status tk_callback_delete(tk_conn *c, int64_t id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "DELETE FROM callbacks WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    if (tk_step(s, err) < 0)
        return err->status;
    return tk_changes(c) ? TK_OK : callback_missing(err);
}

/* ------------------------------------------------------------------ deliveries */

#define DELIVERY_COLUMNS                                                                           \
    "d.id, d.callback_id, d.event_id, d.timeline_id, d.created_at, d.status, d.attempts, "         \
    "d.next_at, coalesce(d.last_status, 0), coalesce(d.delivered_at, 0), d.last_error, "           \
    "e.number, e.external_ref, t.action, t.from_state, t.to_state, t.note, t.at, m.number, "       \
    "coalesce(e.satisfaction, 0) "
#define DELIVERY_FROM                                                                              \
    "FROM callback_deliveries d JOIN events e ON e.id = d.event_id "                               \
    "JOIN event_timeline t ON t.id = d.timeline_id LEFT JOIN events m ON m.id = e.merged_into "

static void delivery_from_row(tk_stmt *s, tk_arena *a, tk_delivery *d)
{
    memset(d, 0, sizeof *d);
    d->id = tk_col_i64(s, 0);
    d->callback_id = tk_col_i64(s, 1);
    d->event_id = tk_col_i64(s, 2);
    d->timeline_id = tk_col_i64(s, 3);
    d->created_at = tk_col_i64(s, 4);
    d->status = dup(a, tk_col_text(s, 5));
    d->attempts = tk_col_i64(s, 6);
    d->next_at = tk_col_i64(s, 7);
    d->last_status = tk_col_i64(s, 8);
    d->delivered_at = tk_col_i64(s, 9);
    d->last_error = dup(a, tk_col_text(s, 10));
    d->number = dup(a, tk_col_text(s, 11));
    d->external_ref = dup(a, tk_col_text(s, 12));
    d->action = dup(a, tk_col_text(s, 13));
    d->from_state = dup(a, tk_col_text(s, 14));
    d->to_state = dup(a, tk_col_text(s, 15));
    d->note = dup(a, tk_col_text(s, 16));
    d->at = tk_col_i64(s, 17);
    d->merged_into_number = dup(a, tk_col_text(s, 18));
    d->satisfaction = tk_col_i64(s, 19);
}

tk_status tk_deliveries_list(tk_conn *c, tk_arena *a, int64_t callback_id, const char *status,
                             int64_t before_id, int limit, tk_delivery_fn fn, void *ctx, bool *more,
                             tk_error *err)
{
    /* Two statements, so that each reads its own index range. */
    tk_stmt *s = tk_prepare(c,
                            status ? "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
                                     "WHERE d.callback_id = ?1 AND d.id < ?2 AND d.status = ?4 "
                                     "ORDER BY d.id DESC LIMIT ?3"
                                   : "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
                                     "WHERE d.callback_id = ?1 AND d.id < ?2 "
                                     "ORDER BY d.id DESC LIMIT ?3",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, callback_id);
    tk_bind_i64(s, 2, before_id ? before_id : INT64_MAX);
    tk_bind_i64(s, 3, limit + 1);
    if (status)
        tk_bind_text(s, 4, status);
    int rc, n = 0;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n++ == limit) {
            *more = true;
            break;
        }
        tk_delivery d;
        delivery_from_row(s, a, &d);
        fn(ctx, &d);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_delivery_get(tk_conn *c, tk_arena *a, int64_t callback_id, int64_t id,
                          tk_delivery *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c, "SELECT " DELIVERY_COLUMNS DELIVERY_FROM "WHERE d.id = ?1 AND d.callback_id = ?2", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, callback_id);
    int rc = tk_step(s, err);
    if (rc == 1)
        delivery_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc ? TK_OK : tk_fail(err, TK_ENOTFOUND, "delivery_not_found", "没有找到该推送记录");
}

tk_status tk_deliveries_due(tk_conn *c, tk_arena *a, int64_t now, tk_delivery_due_fn fn, void *ctx,
                            int64_t *next_at, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " DELIVERY_COLUMNS ", cb.url, cb.secret " DELIVERY_FROM
                            "JOIN callbacks cb ON cb.id = d.callback_id WHERE cb.active = 1 AND "
                            "d.id = (SELECT q.id FROM callback_deliveries q WHERE q.callback_id = "
                            "cb.id AND q.status = 'pending' ORDER BY q.id LIMIT 1) ORDER BY "
                            "d.next_at",
                            err);
    if (!s)
        return TK_EIO;
    int rc;
    *next_at = 0;
    while ((rc = tk_step(s, err)) == 1) {
        tk_delivery_due due;
        delivery_from_row(s, a, &due.d);
        if (due.d.next_at > now) {
            if (!*next_at || due.d.next_at < *next_at)
                *next_at = due.d.next_at;
            continue;
        }
        due.url = dup(a, tk_col_text(s, 20));
        due.secret = dup(a, tk_col_text(s, 21));
        fn(ctx, &due);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The pause before the next attempt doubles from the first one, up to the longest. */
tk_status tk_delivery_record(tk_conn *c, int64_t id, int64_t now, bool ok, int http_status,
                             const char *error, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c,
        "UPDATE callback_deliveries SET attempts = attempts + 1, last_status = nullif(?3, 0), "
        "last_error = ?4, status = CASE WHEN ?2 THEN 'delivered' WHEN attempts + 1 >= ?5 THEN "
        "'failed' ELSE 'pending' END, delivered_at = CASE WHEN ?2 THEN ?6 END, "
        "next_at = ?6 + min(?7 * (1 << min(attempts, 20)), ?8) WHERE id = ?1 AND status = "
        "'pending'",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, ok);
    tk_bind_i64(s, 3, http_status);
    tk_bind_text(s, 4, ok ? NULL : error);
    tk_bind_i64(s, 5, TK_DELIVERY_ATTEMPTS);
    tk_bind_i64(s, 6, now);
    tk_bind_i64(s, 7, TK_DELIVERY_FIRST_PAUSE_MS);
    tk_bind_i64(s, 8, TK_DELIVERY_MAX_PAUSE_MS);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_delivery_retry(tk_conn *c, int64_t callback_id, int64_t id, int64_t now, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "UPDATE callback_deliveries SET status = 'pending', attempts = 0, "
                            "next_at = ?3 WHERE id = ?1 AND callback_id = ?2 AND status = "
                            "'failed'",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, callback_id);
    tk_bind_i64(s, 3, now);
    if (tk_step(s, err) < 0)
        return err->status;
    if (tk_changes(c) == 0) {
        tk_arena *a = tk_arena_new(1024);
        tk_delivery d;
        tk_status st = tk_delivery_get(c, a, callback_id, id, &d, err);
        tk_arena_free(a);
        if (st != TK_OK)
            return st;
        return tk_fail(err, TK_ECONFLICT, "delivery_not_failed", "只有推送失败的记录可以重新推送");
    }
    if (waker)
        tk_conn_after_commit(c, waker, waker_ctx);
    return TK_OK;
}

tk_status tk_deliveries_count(tk_conn *c, int64_t *pending, int64_t *failed, tk_error *err)
{
    /* Per callback, so that each count reads a range of the status index. */
    tk_stmt *s = tk_prepare(c,
                            "SELECT coalesce(sum((SELECT count(*) FROM callback_deliveries d "
                            "WHERE d.callback_id = cb.id AND d.status = 'pending')), 0), "
                            "coalesce(sum((SELECT count(*) FROM callback_deliveries d WHERE "
                            "d.callback_id = cb.id AND d.status = 'failed')), 0) FROM callbacks cb",
                            err);
    if (!s)
        return TK_EIO;
    int rc = tk_step(s, err);
    *pending = rc == 1 ? tk_col_i64(s, 0) : 0;
    *failed = rc == 1 ? tk_col_i64(s, 1) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* ------------------------------------------------------------------ the writer's side */

tk_status ev_callback_queue(tk_conn *c, const tk_event *ev, int64_t timeline_id, int64_t now,
                            tk_error *err)
{
    if (!ev->submitted_by)
        return TK_OK;
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO callback_deliveries(callback_id, event_id, timeline_id, "
                            "created_at, next_at) SELECT id, ?2, ?3, ?4, ?4 FROM callbacks "
                            "WHERE user_id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev->submitted_by);
    tk_bind_i64(s, 2, ev->id);
    tk_bind_i64(s, 3, timeline_id);
    tk_bind_i64(s, 4, now);
    if (tk_step(s, err) < 0)
        return err->status;
    if (tk_changes(c) && waker)
        tk_conn_after_commit(c, waker, waker_ctx);
    return TK_OK;
}
