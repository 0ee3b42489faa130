/*
 * callbacks.c - 结果回传: an integration account's callback URL and what was sent to it.
 *
 * GET    /api/v1/callbacks                                   every callback, with its queue
 * POST   /api/v1/callbacks                                   {user_id, url, active?}: 201 with
 *                                                            the secret, shown this once
 * PATCH  /api/v1/callbacks/{id}                              {url?, active?}
 * POST   /api/v1/callbacks/{id}/secret                       a new secret, shown this once
 * DELETE /api/v1/callbacks/{id}                              with its deliveries
 * GET    /api/v1/callbacks/{id}/deliveries                   ?status= &cursor= &limit=
 * POST   /api/v1/callbacks/{id}/deliveries/{delivery}/retry  a failed one queued again
 * POST   /api/v1/callbacks/{id}/test                         测试推送: a signed ping, answered
 *                                                            with what the receiver said
 *
 * The secret signs what is sent (api/sender.c); it is never written to the audit
 * log and never shown again after the answer that made it.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "api/sender.h"
#include "core/clock.h"
#include "gov/callbacks.h"
#include "gov/events.h"

static json_t *callback_json(const tk_callback *cb, const char *secret)
{
    size_t n = strlen(cb->secret);
    char hint[16];
    snprintf(hint, sizeof hint, "…%s", n > 4 ? cb->secret + n - 4 : cb->secret);
    json_t *o = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:b, s:o, s:o, s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "id",
        (json_int_t)cb->id, "user_id", (json_int_t)cb->user_id, "username", cb->username,
        "display_name", cb->display_name, "url", cb->url, "active", cb->active, "created_at",
        api_time(cb->created_at), "updated_at", api_time(cb->updated_at), "secret_hint", hint,
        "pending", (json_int_t)cb->pending, "delivered", (json_int_t)cb->delivered, "failed",
        (json_int_t)cb->failed, "last_delivered_at", api_time(cb->last_delivered_at),
        "next_attempt_at", api_time(cb->next_attempt_at), "last_error",
        cb->last_error ? json_string(cb->last_error) : json_null());
    if (secret)
        json_object_set_new(o, "secret", json_string(secret));
    return o;
}

static json_t *delivery_json(const tk_delivery *d)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:o, s:o, s:o, s:o}",
                     "id", (json_int_t)d->id, "event_id", (json_int_t)d->event_id, "number",
                     d->number, "action", d->action, "action_label", tk_delivery_action_label(d),
                     "to_state", d->to_state, "state_label", tk_delivery_state_label(d),
                     "created_at", api_time(d->created_at), "status", d->status, "status_label",
                     tk_delivery_status_label(d->status), "attempts", (json_int_t)d->attempts,
                     "next_at", strcmp(d->status, "pending") ? json_null() : api_time(d->next_at),
                     "last_status", d->last_status ? json_integer(d->last_status) : json_null(),
                     "last_error", d->last_error ? json_string(d->last_error) : json_null(),
                     "delivered_at", api_time(d->delivered_at));
}

/* An absolute http or https URL with a host, as libcurl reads it. */
static tk_status check_url(const char *url, tk_error *err)
{
    if (!url)
        return TK_OK;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (!strcmp(scheme, "http") || !strcmp(scheme, "https")) && *host;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!ok || strchr(url, ' '))
        return tk_fail_field(err, "url", "回调地址需要是完整的 http:// 或 https:// 地址");
    return TK_OK;
}

static bool path_id(tk_req *r, const char *name, int64_t *id)
{
    if (tk_parse_i64(tk_req_param(r, name), id) && *id > 0)
        return true;
    if (!strcmp(name, "id"))
        tk_reply_fail(r, TK_ENOTFOUND, "callback_not_found", "没有找到该回调配置");
    else
        tk_reply_fail(r, TK_ENOTFOUND, "delivery_not_found", "没有找到该推送记录");
    return false;
}

static void add_callback(void *ctx, const tk_callback *cb)
{
    json_array_append_new(ctx, callback_json(cb, NULL));
}

void api_callbacks_list(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    json_t *items = json_array();
    if (tk_callbacks_list(c, r->arena, add_callback, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    int64_t id, user_id;
    const char *url;
    int active; /* -1: as it is */
    bool created, new_secret;
    char secret[TK_CALLBACK_SECRET_LEN + 1];
    tk_callback after;
} callback_ctx;

/* The callback as it is after the change, for the reply (read in the same job). */
static tk_status reread(tk_conn *c, api_op *op, tk_error *err)
{
    callback_ctx *x = op->data;
    return tk_callback_get(c, op->r->arena, x->id, &x->after, err);
}

static void callback_reply(tk_req *r, api_op *op)
{
    callback_ctx *x = op->data;
    tk_reply_json(r, x->created ? 201 : 200,
                  callback_json(&x->after, x->new_secret ? x->secret : NULL));
    sodium_memzero(x->secret, sizeof x->secret);
}

static tk_status create_run(tk_conn *c, api_op *op, tk_error *err)
{
    callback_ctx *x = op->data;
    if (tk_callback_create(c, x->user_id, x->url, x->active != 0, x->secret, tk_now_ms(), &x->id,
                           err) != TK_OK)
        return err->status;
    api_op_target(op, x->id);
    api_op_detail(op, "user_id", json_integer(x->user_id));
    api_op_detail(op, "url", json_string(x->url));
    return reread(c, op, err);
}

void api_callbacks_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"user_id", "url", "active", NULL};
    callback_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    bool active;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_int(in, "user_id", true, 1, INT64_MAX, &x->user_id, NULL, &err), &err) ||
        api_failed(r, in_str(in, "url", true, TK_CALLBACK_URL_MAX, &x->url, &err), &err) ||
        api_failed(r, in_bool(in, "active", true, &active, &err), &err) ||
        api_failed(r, check_url(x->url, &err), &err))
        return;
    x->url = tk_arena_strdup(r->arena, x->url);
    x->active = active;
    x->created = x->new_secret = true;
    tk_callback_secret_new(x->secret);
    api_op *op = api_op_new(r, "callback", create_run, callback_reply, x);
    op->action = "callback.create";
    api_op_submit(op);
}

static tk_status update_run(tk_conn *c, api_op *op, tk_error *err)
{
    callback_ctx *x = op->data;
    if (tk_callback_update(c, x->id, x->url, x->active, x->new_secret ? x->secret : NULL,
                           tk_now_ms(), err) != TK_OK)
        return err->status;
    if (x->url)
        api_op_detail(op, "url", json_string(x->url));
    if (x->active >= 0)
        api_op_detail(op, "active", json_boolean(x->active));
    if (x->new_secret)
        api_op_detail(op, "secret", json_string("replaced"));
    return reread(c, op, err);
}

static void submit_update(tk_req *r, callback_ctx *x, const char *action)
{
    api_op *op = api_op_new(r, "callback", update_run, callback_reply, x);
    op->action = action;
    api_op_target(op, x->id);
    api_op_submit(op);
}

void api_callbacks_update(tk_req *r)
{
    tk_error err;
    callback_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    if (!path_id(r, "id", &x->id))
        return;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"url", "active", NULL};
    bool active;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "url", false, TK_CALLBACK_URL_MAX, &x->url, &err), &err) ||
        api_failed(r, in_bool(in, "active", false, &active, &err), &err) ||
        api_failed(r, check_url(x->url, &err), &err))
        return;
    if (x->url)
        x->url = tk_arena_strdup(r->arena, x->url);
    x->active = json_object_get(in, "active") ? active : -1;
    submit_update(r, x, "callback.update");
}

void api_callbacks_new_secret(tk_req *r)
{
    callback_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    if (!path_id(r, "id", &x->id))
        return;
    x->active = -1;
    x->new_secret = true;
    tk_callback_secret_new(x->secret);
    submit_update(r, x, "callback.secret");
}

static tk_status delete_run(tk_conn *c, api_op *op, tk_error *err)
{
    return tk_callback_delete(c, *(int64_t *)op->data, err);
}

static void no_content(tk_req *r, api_op *op)
{
    (void)op;
    tk_reply_empty(r, 204);
}

void api_callbacks_delete(tk_req *r)
{
    int64_t *id = tk_arena_alloc(r->arena, sizeof *id);
    if (!path_id(r, "id", id))
        return;
    api_op *op = api_op_new(r, "callback", delete_run, no_content, id);
    op->action = "callback.delete";
    api_op_target(op, *id);
    api_op_submit(op);
}

static void add_delivery(void *ctx, const tk_delivery *d)
{
    json_array_append_new(ctx, delivery_json(d));
}

void api_callbacks_deliveries(tk_req *r)
{
    tk_error err;
    int64_t id, cursor;
    int limit;
    const char *status;
    static const char *const statuses[] = {"pending", "delivered", "failed"};
    if (!path_id(r, "id", &id) || api_failed(r, q_str(r, "status", 16, &status, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_limit(r, &limit, &err), &err))
        return;
    bool known = !status;
    for (size_t i = 0; status && i < sizeof statuses / sizeof statuses[0]; i++)
        known = known || !strcmp(status, statuses[i]);
    if (!known) {
        tk_reply_fail(r, TK_EINVAL, "invalid_parameter",
                      "status 只能是 pending、delivered 或 failed");
        return;
    }
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_callback cb;
    if (api_failed(r, tk_callback_get(c, r->arena, id, &cb, &err), &err))
        return;
    json_t *items = json_array();
    bool more = false;
    if (tk_deliveries_list(c, r->arena, id, status, cursor, limit, add_delivery, items, &more,
                           &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    size_t n = json_array_size(items);
    int64_t last = n ? json_integer_value(json_object_get(json_array_get(items, n - 1), "id")) : 0;
    tk_reply_json(r, 200, api_page(items, more, last));
}

typedef struct {
    int64_t callback_id, id;
    tk_delivery after;
} retry_ctx;

static tk_status retry_run(tk_conn *c, api_op *op, tk_error *err)
{
    retry_ctx *x = op->data;
    if (tk_delivery_retry(c, x->callback_id, x->id, tk_now_ms(), err) != TK_OK)
        return err->status;
    return tk_delivery_get(c, op->r->arena, x->callback_id, x->id, &x->after, err);
}

static void retry_reply(tk_req *r, api_op *op)
{
    retry_ctx *x = op->data;
    tk_reply_json(r, 200, delivery_json(&x->after));
}

void api_callbacks_retry(tk_req *r)
{
    retry_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    if (!path_id(r, "id", &x->callback_id) || !path_id(r, "delivery", &x->id))
        return;
    api_op *op = api_op_new(r, "callback", retry_run, retry_reply, x);
    op->action = "callback.retry";
    api_op_target(op, x->callback_id);
    api_op_detail(op, "delivery_id", json_integer(x->id));
    api_op_submit(op);
}

typedef struct {
    int64_t id;
    const char *url, *secret;
    tk_callback_outcome out;
} ping_ctx;

static tk_status ping_run(void *arg, tk_error *err)
{
    (void)err;
    ping_ctx *x = arg;
    tk_callback_ping(x->id, x->url, x->secret, &x->out);
    return TK_OK;
}

static void ping_done(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    ping_ctx *x = arg;
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    tk_reply_json(r, 200,
                  json_pack("{s:b, s:o, s:o, s:I}", "ok", x->out.ok, "status",
                            x->out.status ? json_integer(x->out.status) : json_null(), "error",
                            x->out.ok ? json_null() : json_string(x->out.error), "elapsed_ms",
                            (json_int_t)x->out.elapsed_ms));
}

/* Off the HTTP threads: the receiver may take up to the sender's timeout to answer. */
void api_callbacks_test(tk_req *r)
{
    tk_error err;
    ping_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    if (!path_id(r, "id", &x->id))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_callback cb;
    if (api_failed(r, tk_callback_get(c, r->arena, x->id, &cb, &err), &err))
        return;
    x->url = cb.url;
    x->secret = cb.secret;
    tk_req_offload(r, tk_sender_pings(TK_APP(r)->sender), ping_run, x, ping_done);
}
