/*
 * audit.c - GET /api/v1/audit: the audit chain, newest first, filtered by actor,
 * action (exact or "prefix."), target, outcome and period; cursor = seq.
 */
#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "gov/audit.h"

typedef struct {
    json_t *items;
    int64_t last;
} audit_ctx;

static void add_row(void *ctx, const tk_audit_row *a)
{
    audit_ctx *x = ctx;
    json_error_t je;
    json_t *detail = json_loads(a->detail, JSON_DECODE_ANY, &je);
    json_array_append_new(x->items,
                          json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}",
                                    "seq", (json_int_t)a->seq, "at", api_time(a->at), "actor_id",
                                    a->actor_id ? json_integer(a->actor_id) : json_null(), "actor",
                                    a->actor, "role", a->role, "ip", a->ip, "action", a->action,
                                    "target_type", a->target_type, "target_id", a->target_id,
                                    "outcome", a->outcome, "detail",
                                    detail ? detail : json_string(a->detail), "hash", a->hash));
    x->last = a->seq;
}

void api_audit_list(tk_req *r)
{
    tk_error err;
    tk_audit_filter f = {0};
    int64_t cursor;
    if (api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_str(r, "actor", 64, &f.actor, &err), &err) ||
        api_failed(r, q_str(r, "action", 64, &f.action, &err), &err) ||
        api_failed(r, q_str(r, "target_type", 32, &f.target_type, &err), &err) ||
        api_failed(r, q_str(r, "target_id", 64, &f.target_id, &err), &err) ||
        api_failed(r, q_str(r, "outcome", 16, &f.outcome, &err), &err) ||
        api_failed(r, q_time(r, "from", &f.from, &err), &err) ||
        api_failed(r, q_time(r, "to", &f.to, &err), &err))
        return;
    f.before_seq = cursor;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    audit_ctx ctx = {json_array(), 0};
    bool more = false;
    if (!c || tk_audit_list(c, r->arena, &f, add_row, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last));
}
