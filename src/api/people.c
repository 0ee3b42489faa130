/*
 * people.c - posts, people and staffing.
 *
 * GET  /api/v1/units/{id}/posts, POST /api/v1/units/{id}/posts
 * GET  /api/v1/people (kind, unit_id, under_id, home_unit_id, q), GET /api/v1/people/{id}
 * POST /api/v1/people, PATCH /api/v1/people/{id}, POST /api/v1/people/{id}/disable
 * GET  /api/v1/staffing                    quotas and shares (编制下沉) in scope
 * PUT  /api/v1/units/{id}/quotas           {"kind","approved","used"}
 * GET|POST /api/v1/quota-transfers         quotas moved down (下沉)
 * GET  /api/v1/teams                       1+X enforcement teams and their coverage
 * PUT  /api/v1/teams/{id}/coverage         {"townships": [ids]}
 * Names, phones and ID numbers are masked for roles that do not need them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"
#include "gov/org.h"
#include "gov/territory.h"

static bool param_id(tk_req *r, int64_t *id, const char *what)
{
    if (tk_parse_i64(tk_req_param(r, "id"), id) && *id > 0)
        return true;
    tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有找到该%s", what);
    return false;
}

/* {id} as a unit inside the caller's scope. */
static bool scoped_unit(tk_req *r, tk_place *p)
{
    int64_t id;
    tk_error err;
    if (!param_id(r, &id, "单位"))
        return false;
    tk_conn *c = api_reader(r);
    if (!c)
        return false;
    if (tk_place_get(c, r->arena, id, api_who(r)->scope_path, false, p, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    return true;
}

static void add_post(void *ctx, const tk_post *p)
{
    json_array_append_new(ctx,
                          json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:b}", "id", (json_int_t)p->id,
                                    "unit_id", (json_int_t)p->unit_id, "name", p->name, "duty",
                                    p->duty, "headcount", (json_int_t)p->headcount, "filled",
                                    (json_int_t)p->filled, "active", p->active));
}

void api_posts_list(tk_req *r)
{
    tk_place u;
    if (!scoped_unit(r, &u))
        return;
    tk_error err;
    json_t *items = json_array();
    if (tk_post_list(api_reader(r), r->arena, u.unit.id, add_post, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    int64_t unit_id, headcount, id;
    const char *name, *duty;
} post_ctx;

static tk_status post_create_run(tk_conn *c, api_op *op, tk_error *err)
{
    post_ctx *p = op->data;
    if (tk_post_create(c, p->unit_id, p->name, p->duty, p->headcount, &p->id, err) != TK_OK)
        return err->status;
    api_op_target(op, p->id);
    return TK_OK;
}

static void post_created(tk_req *r, api_op *op)
{
    post_ctx *p = op->data;
    tk_reply_json(r, 201,
                  json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)p->id, "unit_id",
                            (json_int_t)p->unit_id, "name", p->name, "duty", p->duty ? p->duty : "",
                            "headcount", (json_int_t)p->headcount));
}

void api_posts_create(tk_req *r)
{
    tk_place u;
    if (!scoped_unit(r, &u))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"name", "duty", "headcount", NULL};
    post_ctx *p = tk_arena_zalloc(r->arena, sizeof *p);
    p->unit_id = u.unit.id;
    p->headcount = 1;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "name", true, 32, &p->name, &err), &err) ||
        api_failed(r, in_text(in, "duty", false, 500, &p->duty, &err), &err) ||
        api_failed(r, in_int(in, "headcount", false, 1, 1000, &p->headcount, NULL, &err), &err))
        return;
    p->name = tk_arena_strdup(r->arena, p->name);
    p->duty = p->duty ? tk_arena_strdup(r->arena, p->duty) : NULL;
    api_op_submit(api_op_new(r, "post", post_create_run, post_created, p));
}

static json_t *person_json(const tk_person *p, const tk_identity *viewer)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "name", api_personal(p->name, 'n', p->user_id, viewer));
    json_object_set_new(o, "phone", api_personal(p->phone, 'p', p->user_id, viewer));
    json_object_set_new(o, "id_number", api_personal(p->id_number, 'i', p->user_id, viewer));
    json_object_set_new(o, "kind", json_string(p->kind));
    json_object_set_new(o, "kind_label", json_string(tk_person_kind_label(p->kind)));
    json_object_set_new(o, "unit", api_unit_brief(&p->unit));
    json_object_set_new(o, "post",
                        p->post_id ? json_pack("{s:I, s:s}", "id", (json_int_t)p->post_id, "name",
                                               p->post_name ? p->post_name : "")
                                   : json_null());
    json_object_set_new(o, "home_unit",
                        p->home_unit_id
                            ? json_pack("{s:I, s:s}", "id", (json_int_t)p->home_unit_id, "name",
                                        p->home_unit_name ? p->home_unit_name : "")
                            : json_null());
    json_object_set_new(o, "quota_locked", json_boolean(p->quota_locked));
    json_object_set_new(o, "person_locked", json_boolean(p->person_locked));
    json_object_set_new(o, "user_id", p->user_id ? json_integer(p->user_id) : json_null());
    json_object_set_new(o, "active", json_boolean(p->active));
    json_object_set_new(o, "since", p->since ? json_string(p->since) : json_null());
    return o;
}

typedef struct {
    json_t *items;
    const tk_identity *viewer;
    int64_t last;
} people_ctx;

static void add_person(void *ctx, const tk_person *p)
{
    people_ctx *l = ctx;
    json_array_append_new(l->items, person_json(p, l->viewer));
    l->last = p->id;
}

void api_people_list(tk_req *r)
{
    tk_error err;
    static const char *const kinds[] = TK_PERSON_KINDS;
    tk_person_filter f = {.scope_path = api_who(r)->scope_path};
    int64_t cursor, inactive;
    if (api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_str(r, "kind", 24, &f.kind, &err), &err) ||
        api_failed(r, q_int(r, "unit_id", 0, 0, INT64_MAX, &f.unit_id, &err), &err) ||
        api_failed(r, q_int(r, "under_id", 0, 0, INT64_MAX, &f.under_id, &err), &err) ||
        api_failed(r, q_int(r, "home_unit_id", 0, 0, INT64_MAX, &f.home_unit_id, &err), &err) ||
        api_failed(r, q_str(r, "q", 16, &f.q, &err), &err) ||
        api_failed(r, q_int(r, "include_inactive", 0, 0, 1, &inactive, &err), &err))
        return;
    if (f.kind) {
        bool ok = false;
        for (int i = 0; kinds[i] && !ok; i++)
            ok = strcmp(kinds[i], f.kind) == 0;
        if (!ok) {
            tk_reply_fail(r, TK_EVALID, "invalid_field", "人员类别 %s 不存在", f.kind);
            return;
        }
    }
    f.after_id = cursor;
    f.include_inactive = inactive;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    people_ctx ctx = {json_array(), api_who(r), 0};
    bool more = false;
    if (tk_person_list(c, r->arena, &f, add_person, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last));
}

static bool load_person(tk_req *r, int64_t id, tk_person *p)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return false;
    if (tk_person_get(c, r->arena, id, api_who(r)->scope_path, p, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    return true;
}

void api_people_get(tk_req *r)
{
    int64_t id;
    tk_person p;
    if (param_id(r, &id, "人员") && load_person(r, id, &p))
        tk_reply_json(r, 200, person_json(&p, api_who(r)));
}

typedef struct {
    int64_t id;
    tk_person_input in;
    bool active;
} person_ctx;

static void reply_person(tk_req *r, int64_t id, int status)
{
    tk_person out;
    if (load_person(r, id, &out))
        tk_reply_json(r, status, person_json(&out, api_who(r)));
}

static void person_reply(tk_req *r, api_op *op)
{
    reply_person(r, ((person_ctx *)op->data)->id, 200);
}

static void person_created_reply(tk_req *r, api_op *op)
{
    int64_t id = ((person_ctx *)op->data)->id;
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/people/%lld", (long long)id);
    tk_req_add_header(r, "Location", loc);
    reply_person(r, id, 201);
}

static tk_status person_create_run(tk_conn *c, api_op *op, tk_error *err)
{
    person_ctx *p = op->data;
    if (tk_person_create(c, &p->in, &p->id, err) != TK_OK)
        return err->status;
    api_op_target(op, p->id);
    return TK_OK;
}

static tk_status person_update_run(tk_conn *c, api_op *op, tk_error *err)
{
    person_ctx *p = op->data;
    return tk_person_update(c, p->id, &p->in, err);
}

static const char *copy(tk_req *r, const char *s)
{
    return s ? tk_arena_strdup(r->arena, s) : NULL;
}

/* Reads person fields; units referenced must be inside the caller's scope. */
static tk_status read_person(tk_req *r, json_t *in, bool create, tk_person_input *pi, tk_error *err)
{
    static const char *const kinds[] = TK_PERSON_KINDS;
    bool ql, pl;
    bool has_ql = json_object_get(in, "quota_locked") != NULL;
    bool has_pl = json_object_get(in, "person_locked") != NULL;
    pi->quota_locked = pi->person_locked = -1;
    if (in_str(in, "name", create, 32, &pi->name, err) != TK_OK ||
        in_str(in, "phone", false, 20, &pi->phone, err) != TK_OK ||
        in_str(in, "id_number", false, 18, &pi->id_number, err) != TK_OK ||
        (create && in_enum(in, "kind", true, kinds, &pi->kind, err) != TK_OK) ||
        in_str(in, "since", false, 10, &pi->since, err) != TK_OK ||
        in_int(in, "unit_id", create, 1, INT64_MAX, &pi->unit_id, NULL, err) != TK_OK ||
        in_int(in, "post_id", false, 1, INT64_MAX, &pi->post_id, NULL, err) != TK_OK ||
        in_int(in, "home_unit_id", false, 1, INT64_MAX, &pi->home_unit_id, NULL, err) != TK_OK ||
        in_int(in, "user_id", false, 1, INT64_MAX, &pi->user_id, NULL, err) != TK_OK ||
        in_bool(in, "quota_locked", false, &ql, err) != TK_OK ||
        in_bool(in, "person_locked", false, &pl, err) != TK_OK)
        return err->status;
    if (has_ql)
        pi->quota_locked = ql;
    if (has_pl)
        pi->person_locked = pl;
    if (pi->unit_id) {
        tk_place u;
        tk_conn *c = tk_db_reader(TK_APP(r)->db, err);
        if (!c)
            return err->status;
        if (tk_place_get(c, r->arena, pi->unit_id, api_who(r)->scope_path, false, &u, err) != TK_OK)
            return tk_fail_field(err, "unit_id", "单位不存在或不在您的管辖范围内");
    }
    pi->name = copy(r, pi->name);
    pi->phone = copy(r, pi->phone);
    pi->id_number = copy(r, pi->id_number);
    pi->kind = copy(r, pi->kind);
    pi->since = copy(r, pi->since);
    return TK_OK;
}

static const char *const person_fields[] = {
    "name",    "phone",        "id_number", "kind",         "since",         "unit_id",
    "post_id", "home_unit_id", "user_id",   "quota_locked", "person_locked", NULL};

void api_people_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    person_ctx *p = tk_arena_zalloc(r->arena, sizeof *p);
    if (api_failed(r, in_only(in, person_fields, &err), &err) ||
        api_failed(r, read_person(r, in, true, &p->in, &err), &err))
        return;
    api_op_submit(api_op_new(r, "person", person_create_run, person_created_reply, p));
}

void api_people_update(tk_req *r)
{
    person_ctx *p = tk_arena_zalloc(r->arena, sizeof *p);
    tk_person current;
    if (!param_id(r, &p->id, "人员") || !load_person(r, p->id, &current))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    if (api_failed(r, in_only(in, person_fields, &err), &err))
        return;
    if (json_object_get(in, "kind")) {
        tk_fail_field(&err, "kind", "人员类别不能修改，请停用后新建");
        tk_reply_error(r, &err);
        return;
    }
    if (api_failed(r, read_person(r, in, false, &p->in, &err), &err))
        return;
    api_op *op = api_op_new(r, "person", person_update_run, person_reply, p);
    api_op_target(op, p->id);
    api_op_submit(op);
}

static tk_status person_disable_run(tk_conn *c, api_op *op, tk_error *err)
{
    person_ctx *p = op->data;
    return tk_person_set_active(c, p->id, false, err);
}

void api_people_disable(tk_req *r)
{
    person_ctx *p = tk_arena_zalloc(r->arena, sizeof *p);
    tk_person current;
    if (!param_id(r, &p->id, "人员") || !load_person(r, p->id, &current))
        return;
    api_op *op = api_op_new(r, "person", person_disable_run, person_reply, p);
    api_op_target(op, p->id);
    api_op_submit(op);
}

/* GET /api/v1/staffing[?unit_id=]: the caller's scope, or one unit's subtree in it. */
void api_staffing_summary(tk_req *r)
{
    tk_error err;
    tk_staffing_summary s[2];
    int64_t unit_id;
    if (api_failed(r, q_int(r, "unit_id", 0, 1, INT64_MAX, &unit_id, &err), &err))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    const char *scope = api_who(r)->scope_path;
    tk_place unit;
    if ((unit_id && tk_place_get(c, r->arena, unit_id, scope, false, &unit, &err) != TK_OK) ||
        tk_staffing_summary_get(c, unit_id ? unit.unit.path : scope, s, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < 2; i++)
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "kind",
                                        s[i].kind, "kind_label", i == 0 ? "行政编制" : "事业编制",
                                        "township_approved", (json_int_t)s[i].township_approved,
                                        "county_approved", (json_int_t)s[i].county_approved,
                                        "township_used", (json_int_t)s[i].township_used,
                                        "county_used", (json_int_t)s[i].county_used, "moved_down",
                                        (json_int_t)s[i].moved_down, "township_share",
                                        round(s[i].township_share * 1000) / 1000));
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    int64_t unit_id, approved, used;
    const char *kind;
} quota_ctx;

static tk_status quota_run(tk_conn *c, api_op *op, tk_error *err)
{
    quota_ctx *q = op->data;
    api_op_detail(op, "kind", json_string(q->kind));
    api_op_detail(op, "approved", json_integer(q->approved));
    return tk_quota_set(c, q->unit_id, q->kind, q->approved, q->used, err);
}

static void quota_reply(tk_req *r, api_op *op)
{
    quota_ctx *q = op->data;
    tk_reply_json(r, 200,
                  json_pack("{s:I, s:s, s:I, s:I}", "unit_id", (json_int_t)q->unit_id, "kind",
                            q->kind, "approved", (json_int_t)q->approved, "used",
                            (json_int_t)q->used));
}

void api_quotas_set(tk_req *r)
{
    tk_place u;
    if (!scoped_unit(r, &u))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"kind", "approved", "used", NULL};
    static const char *const kinds[] = {"administrative", "institutional", NULL};
    quota_ctx *q = tk_arena_zalloc(r->arena, sizeof *q);
    q->unit_id = u.unit.id;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_enum(in, "kind", true, kinds, &q->kind, &err), &err) ||
        api_failed(r, in_int(in, "approved", true, 0, 100000, &q->approved, NULL, &err), &err) ||
        api_failed(r, in_int(in, "used", true, 0, 100000, &q->used, NULL, &err), &err))
        return;
    q->kind = tk_arena_strdup(r->arena, q->kind);
    api_op *op = api_op_new(r, "unit", quota_run, quota_reply, q);
    api_op_target(op, q->unit_id);
    api_op_submit(op);
}

typedef struct {
    json_t *items;
    int64_t last;
} transfer_ctx;

static json_t *transfer_json(const tk_transfer *t)
{
    return json_pack("{s:I, s:{s:I, s:s}, s:{s:I, s:s}, s:s, s:I, s:s, s:s}", "id",
                     (json_int_t)t->id, "from", "id", (json_int_t)t->from_unit_id, "name",
                     t->from_name ? t->from_name : "", "to", "id", (json_int_t)t->to_unit_id,
                     "name", t->to_name ? t->to_name : "", "kind", t->kind, "count",
                     (json_int_t)t->count, "effective_on", t->effective_on, "document",
                     t->document ? t->document : "");
}

static void add_transfer(void *ctx, const tk_transfer *t)
{
    transfer_ctx *l = ctx;
    json_array_append_new(l->items, transfer_json(t));
    l->last = t->id;
}

void api_transfers_list(tk_req *r)
{
    tk_error err;
    int limit;
    int64_t cursor;
    if (api_failed(r, q_limit(r, &limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    transfer_ctx ctx = {json_array(), 0};
    bool more = false;
    if (tk_transfer_list(c, r->arena, api_who(r)->scope_path, cursor, limit, add_transfer, &ctx,
                         &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last));
}

static tk_status transfer_run(tk_conn *c, api_op *op, tk_error *err)
{
    tk_transfer *t = op->data;
    if (tk_transfer_create(c, t, &t->id, err) != TK_OK)
        return err->status;
    api_op_target(op, t->id);
    return TK_OK;
}

static void transfer_created(tk_req *r, api_op *op)
{
    tk_reply_json(r, 201, transfer_json(op->data));
}

void api_transfers_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"from_unit_id", "to_unit_id", "kind", "count",
                                         "effective_on", "document",   NULL};
    static const char *const kinds[] = {"administrative", "institutional", NULL};
    tk_transfer *t = tk_arena_zalloc(r->arena, sizeof *t);
    int64_t day;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_int(in, "from_unit_id", true, 1, INT64_MAX, &t->from_unit_id, NULL, &err),
                   &err) ||
        api_failed(r, in_int(in, "to_unit_id", true, 1, INT64_MAX, &t->to_unit_id, NULL, &err),
                   &err) ||
        api_failed(r, in_enum(in, "kind", true, kinds, &t->kind, &err), &err) ||
        api_failed(r, in_int(in, "count", true, 1, 10000, &t->count, NULL, &err), &err) ||
        api_failed(r, in_str(in, "effective_on", true, 10, &t->effective_on, &err), &err) ||
        api_failed(r, in_str(in, "document", false, 100, &t->document, &err), &err))
        return;
    if (!tk_date_parse(t->effective_on, &day)) {
        tk_fail_field(&err, "effective_on", "生效日期需要 YYYY-MM-DD");
        tk_reply_error(r, &err);
        return;
    }
    tk_conn *c = api_reader(r);
    tk_place from, to;
    if (!c)
        return;
    if (tk_place_get(c, r->arena, t->from_unit_id, api_who(r)->scope_path, false, &from, &err) !=
            TK_OK ||
        strcmp(from.unit.kind, "department") != 0) {
        tk_fail_field(&err, "from_unit_id", "下沉编制的来源需要是您管辖范围内的县级部门");
        tk_reply_error(r, &err);
        return;
    }
    if (tk_place_get(c, r->arena, t->to_unit_id, api_who(r)->scope_path, false, &to, &err) !=
            TK_OK ||
        strcmp(to.unit.kind, "township") != 0) {
        tk_fail_field(&err, "to_unit_id", "下沉编制的去向需要是您管辖范围内的乡镇（街道）");
        tk_reply_error(r, &err);
        return;
    }
    t->kind = tk_arena_strdup(r->arena, t->kind);
    t->effective_on = tk_arena_strdup(r->arena, t->effective_on);
    t->document = t->document ? tk_arena_strdup(r->arena, t->document) : "";
    t->from_name = from.unit.name;
    t->to_name = to.unit.name;
    api_op_submit(api_op_new(r, "quota_transfer", transfer_run, transfer_created, t));
}

static void add_team(void *ctx, const tk_team *t)
{
    json_t *covered = json_array();
    for (int i = 0; i < t->ncovered; i++)
        json_array_append_new(covered, api_unit_brief(&t->covered[i]));
    json_array_append_new(ctx, json_pack("{s:o, s:o, s:o}", "team", api_unit_brief(&t->team),
                                         "township", api_unit_brief(&t->home), "covers", covered));
}

void api_teams_list(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    json_t *items = json_array();
    if (tk_team_list(c, r->arena, api_who(r)->scope_path, add_team, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    int64_t team_id;
    int64_t townships[32];
    int n;
} coverage_ctx;

static tk_status coverage_run(tk_conn *c, api_op *op, tk_error *err)
{
    coverage_ctx *cc = op->data;
    return tk_team_set_coverage(c, cc->team_id, cc->townships, cc->n, err);
}

static void coverage_reply(tk_req *r, api_op *op)
{
    (void)op;
    api_teams_list(r);
}

void api_teams_set_coverage(tk_req *r)
{
    tk_place team;
    if (!scoped_unit(r, &team))
        return;
    if (strcmp(team.unit.kind, "team") != 0) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "该单位不是执法队");
        return;
    }
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"townships", NULL};
    json_t *list = json_object_get(in, "townships");
    if (api_failed(r, in_only(in, fields, &err), &err))
        return;
    if (!json_is_array(list) || json_array_size(list) > 32) {
        tk_fail_field(&err, "townships", "townships 需要是最多 32 个乡镇编号的数组");
        tk_reply_error(r, &err);
        return;
    }
    coverage_ctx *cc = tk_arena_zalloc(r->arena, sizeof *cc);
    cc->team_id = team.unit.id;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!json_is_integer(v)) {
            tk_fail_field(&err, "townships", "townships 的元素需要是整数编号");
            tk_reply_error(r, &err);
            return;
        }
        cc->townships[cc->n++] = json_integer_value(v);
    }
    api_op *op = api_op_new(r, "unit", coverage_run, coverage_reply, cc);
    api_op_target(op, cc->team_id);
    api_op_submit(op);
}
