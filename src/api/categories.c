/*
 * categories.c - event categories and routing.
 *
 * GET /api/v1/categories                 the tree (?flat=1: leaves with limits)
 * GET /api/v1/categories/{code}
 * PUT /api/v1/categories/{code}          create or update (admin)
 * PUT /api/v1/categories/{code}/limits   {"limits":[{"urgency","stage","amount","unit"}]}
 * GET /api/v1/route?category=&lng=&lat=  (or &unit_id=) -> list item, subject, assignee
 */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"
#include "gov/categories.h"
#include "gov/lists.h"
#include "gov/routing.h"
#include "gov/units.h"

static json_t *limits_json(const tk_category *cat)
{
    json_t *o = json_object();
    for (int i = 0; i < cat->nlimits; i++) {
        const tk_limit *l = &cat->limits[i];
        json_t *u = json_object_get(o, l->urgency);
        if (!u) {
            u = json_object();
            json_object_set_new(o, l->urgency, u);
        }
        json_object_set_new(u, l->stage,
                            json_pack("{s:I, s:s, s:s}", "amount", (json_int_t)l->amount, "unit",
                                      l->unit, "label", tk_limit_unit_label(l->unit)));
    }
    return o;
}

static json_t *category_json(const tk_category *cat)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(cat->code));
    json_object_set_new(o, "name", json_string(cat->name));
    json_object_set_new(o, "parent_code",
                        cat->parent_code ? json_string(cat->parent_code) : json_null());
    json_object_set_new(o, "leaf", json_boolean(cat->leaf));
    json_object_set_new(o, "active", json_boolean(cat->active));
    if (cat->leaf) {
        json_object_set_new(o, "accept_condition", json_string(cat->accept_condition));
        json_object_set_new(o, "close_condition", json_string(cat->close_condition));
        json_object_set_new(o, "list_item_code",
                            cat->list_item_code ? json_string(cat->list_item_code) : json_null());
        json_object_set_new(o, "default_urgency", json_string(cat->default_urgency));
        json_object_set_new(o, "default_urgency_label",
                            json_string(tk_urgency_label(cat->default_urgency)));
        json_object_set_new(o, "limits", limits_json(cat));
    }
    return o;
}

typedef struct {
    json_t *items;
    json_t *current_top; /* children array of the last top class */
    bool flat;
} tree_ctx;

static void add_category(void *ctx, const tk_category *cat)
{
    tree_ctx *t = ctx;
    json_t *o = category_json(cat);
    if (t->flat || !cat->parent_code) {
        if (!t->flat) {
            t->current_top = json_array();
            json_object_set_new(o, "children", t->current_top);
        }
        json_array_append_new(t->items, o);
    } else if (t->current_top) {
        json_array_append_new(t->current_top, o);
    } else {
        json_decref(o);
    }
}

void api_categories(tk_req *r)
{
    tk_error err;
    int64_t flat;
    if (api_failed(r, q_int(r, "flat", 0, 0, 1, &flat, &err), &err))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tree_ctx t = {json_array(), NULL, flat};
    if (tk_category_list(c, r->arena, flat, add_category, &t, &err) != TK_OK) {
        json_decref(t.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", t.items));
}

void api_category_get(tk_req *r)
{
    tk_error err;
    tk_category cat;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    if (tk_category_get(c, r->arena, tk_req_param(r, "code"), &cat, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, category_json(&cat));
}

typedef struct {
    tk_category cat;
    bool created;
    tk_limit limits[15];
    int nlimits;
} category_ctx;

static tk_status category_put_run(tk_conn *c, api_op *op, tk_error *err)
{
    category_ctx *x = op->data;
    snprintf(op->target_id, sizeof op->target_id, "%s", x->cat.code);
    if (x->cat.list_item_code) {
        bool exists;
        if (tk_list_item_exists(c, x->cat.list_item_code, &exists, err) != TK_OK)
            return err->status;
        if (!exists)
            return tk_fail_field(err, "list_item_code", "清单事项 %s 不存在",
                                 x->cat.list_item_code);
    }
    return tk_category_put(c, &x->cat, &x->created, err);
}

static void category_reply(tk_req *r, api_op *op)
{
    category_ctx *x = op->data;
    tk_error err;
    tk_category cat;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    if (tk_category_get(c, r->arena, x->cat.code, &cat, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, x->created ? 201 : 200, category_json(&cat));
}

static const char *copy(tk_req *r, const char *s)
{
    return s ? tk_arena_strdup(r->arena, s) : NULL;
}

void api_category_put(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {
        "name",           "parent_code",     "accept_condition", "close_condition",
        "list_item_code", "default_urgency", "active",           NULL};
    static const char *const urgencies[] = TK_URGENCIES;
    category_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    tk_category *cat = &x->cat;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "name", true, 32, &cat->name, &err), &err) ||
        api_failed(r, in_str(in, "parent_code", false, 16, &cat->parent_code, &err), &err) ||
        api_failed(r, in_text(in, "accept_condition", false, 300, &cat->accept_condition, &err),
                   &err) ||
        api_failed(r, in_text(in, "close_condition", false, 300, &cat->close_condition, &err),
                   &err) ||
        api_failed(r, in_str(in, "list_item_code", false, 32, &cat->list_item_code, &err), &err) ||
        api_failed(r, in_enum(in, "default_urgency", false, urgencies, &cat->default_urgency, &err),
                   &err) ||
        api_failed(r, in_bool(in, "active", true, &cat->active, &err), &err))
        return;
    cat->code = copy(r, tk_req_param(r, "code"));
    cat->name = copy(r, cat->name);
    cat->parent_code = copy(r, cat->parent_code);
    cat->accept_condition = copy(r, cat->accept_condition);
    cat->close_condition = copy(r, cat->close_condition);
    cat->list_item_code = copy(r, cat->list_item_code);
    cat->default_urgency = cat->default_urgency ? copy(r, cat->default_urgency) : "normal";
    api_op_submit(api_op_new(r, "category", category_put_run, category_reply, x));
}

static tk_status limits_run(tk_conn *c, api_op *op, tk_error *err)
{
    category_ctx *x = op->data;
    snprintf(op->target_id, sizeof op->target_id, "%s", x->cat.code);
    for (int i = 0; i < x->nlimits; i++)
        if (tk_category_set_limit(c, x->cat.code, &x->limits[i], err) != TK_OK)
            return err->status;
    return TK_OK;
}

void api_category_limits(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"limits", NULL};
    json_t *list = json_object_get(in, "limits");
    if (api_failed(r, in_only(in, fields, &err), &err))
        return;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 15) {
        tk_fail_field(&err, "limits", "limits 需要 1 到 15 项");
        tk_reply_error(r, &err);
        return;
    }
    category_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    x->cat.code = copy(r, tk_req_param(r, "code"));
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        tk_limit *l = &x->limits[x->nlimits++];
        if (!json_is_object(v) ||
            api_failed(r, in_str(v, "urgency", true, 10, &l->urgency, &err), &err) ||
            api_failed(r, in_str(v, "stage", true, 10, &l->stage, &err), &err) ||
            api_failed(r, in_int(v, "amount", true, 1, 100000, &l->amount, NULL, &err), &err) ||
            api_failed(r, in_str(v, "unit", true, 16, &l->unit, &err), &err)) {
            if (!tk_req_replied(r))
                tk_reply_fail(r, TK_EVALID, "invalid_field", "limits 的每一项需要是对象");
            return;
        }
        l->urgency = copy(r, l->urgency);
        l->stage = copy(r, l->stage);
        l->unit = copy(r, l->unit);
    }
    api_op_submit(api_op_new(r, "category", limits_run, category_reply, x));
}

void api_route(tk_req *r)
{
    tk_error err;
    const char *category;
    int64_t unit_id;
    if (api_failed(r, q_str(r, "category", 16, &category, &err), &err) ||
        api_failed(r, q_int(r, "unit_id", 0, 0, INT64_MAX, &unit_id, &err), &err))
        return;
    if (!category) {
        tk_fail_field(&err, "category", "缺少参数 category（事件小类编码）");
        tk_reply_error(r, &err);
        return;
    }
    if (!unit_id) {
        double lng, lat;
        if (!tk_parse_double(tk_req_query(r, "lng"), &lng) ||
            !tk_parse_double(tk_req_query(r, "lat"), &lat)) {
            tk_fail_field(&err, "lng", "需要 unit_id，或经纬度 lng 与 lat");
            tk_reply_error(r, &err);
            return;
        }
        unit_id = tk_app_locate(TK_APP(r), lng, lat);
        if (unit_id < 0) {
            tk_reply_fail(r, TK_ENOTFOUND, "outside_territory", "该坐标不在本市任何网格内");
            return;
        }
    }
    char date[16];
    tk_date_format(tk_now_ms(), date, sizeof date);
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_routing rr;
    if (tk_routing_suggest(c, r->arena, category, unit_id, date, &rr, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "category", json_string(category));
    json_object_set_new(o, "unit_id", json_integer(unit_id));
    json_object_set_new(o, "out_of_list", json_boolean(rr.out_of_list));
    json_object_set_new(o, "reason", json_string(rr.reason ? rr.reason : ""));
    json_object_set_new(o, "township_id", json_integer(rr.township_id));
    json_object_set_new(o, "county_id", json_integer(rr.county_id));
    if (!rr.out_of_list) {
        json_object_set_new(o, "list_item",
                            json_pack("{s:s, s:s, s:s, s:b}", "code", rr.item.code, "name",
                                      rr.item.name, "list", rr.item.list, "delegated",
                                      rr.item.delegated));
        json_object_set_new(o, "subject",
                            rr.subject_unit_id
                                ? json_pack("{s:I, s:s, s:s}", "unit_id",
                                            (json_int_t)rr.subject_unit_id, "name",
                                            rr.subject_unit_name, "kind", rr.subject_kind)
                                : json_null());
        json_object_set_new(
            o, "assignee",
            rr.person_id
                ? json_pack("{s:I, s:o, s:o}", "person_id", (json_int_t)rr.person_id, "name",
                            api_personal(rr.person_name, 'n', rr.user_id, api_who(r)), "user_id",
                            rr.user_id ? json_integer(rr.user_id) : json_null())
                : json_null());
    }
    tk_reply_json(r, 200, o);
}
