/*
 * units.c - the territory and organisation tree.
 *
 * GET   /api/v1/units                     list: kind, parent_id, q, class, cursor, limit
 * GET   /api/v1/units/{id}                one (?geometry=1 adds the polygon)
 * GET   /api/v1/units/{id}/children       direct children
 * GET   /api/v1/units/{id}/ancestors      from the root down, one query
 * POST  /api/v1/units                     create (admin)
 * PATCH /api/v1/units/{id}                rename, class, point, households ...
 * POST  /api/v1/units/{id}/disable|enable
 * GET   /api/v1/locate?lng=&lat=          point -> grid, village, township, county
 * GET   /api/v1/territory/summary         counts by kind in the caller's scope
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "geo/geom.h"
#include "geo/locate.h"
#include "gov/territory.h"

static json_t *place_json(const tk_place *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->unit.id));
    json_object_set_new(o, "code", json_string(p->unit.code));
    json_object_set_new(o, "name", json_string(p->unit.name));
    json_object_set_new(o, "kind", json_string(p->unit.kind));
    json_object_set_new(o, "kind_label", json_string(tk_unit_kind_label(p->unit.kind)));
    json_object_set_new(o, "parent_id",
                        p->unit.parent_id ? json_integer(p->unit.parent_id) : json_null());
    json_object_set_new(o, "depth", json_integer(p->unit.depth));
    json_object_set_new(o, "county_code", json_string(p->unit.county_code));
    json_object_set_new(o, "active", json_boolean(p->unit.active));
    json_object_set_new(o, "children", json_integer(p->children));
    if (p->township_class)
        json_object_set_new(o, "township_class", json_string(p->township_class));
    if (!strcmp(p->unit.kind, "township"))
        json_object_set_new(o, "is_central", json_boolean(p->is_central));
    if (p->has_point) {
        json_object_set_new(o, "lng", json_real(p->lng));
        json_object_set_new(o, "lat", json_real(p->lat));
    }
    if (p->households >= 0)
        json_object_set_new(o, "households", json_integer(p->households));
    if (p->population >= 0)
        json_object_set_new(o, "population", json_integer(p->population));
    if (p->area_m2 > 0)
        json_object_set_new(o, "area_m2", json_real(round(p->area_m2)));
    if (p->geometry) {
        json_error_t je;
        json_t *g = json_loads(p->geometry, 0, &je);
        if (g)
            json_object_set_new(o, "geometry", g);
    }
    return o;
}

typedef struct {
    json_t *items;
    int64_t last;
} list_ctx;

static void add_place(void *ctx, const tk_place *p)
{
    list_ctx *l = ctx;
    json_array_append_new(l->items, place_json(p));
    l->last = p->unit.id;
}

static void list_places(tk_req *r, int64_t parent_id)
{
    tk_error err;
    static const char *const classes[] = TK_TOWNSHIP_CLASSES;
    tk_place_filter f = {.scope_path = api_who(r)->scope_path, .parent_id = parent_id};
    int64_t cursor, with_geometry, inactive;
    if (api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_str(r, "kind", 16, &f.kind, &err), &err) ||
        api_failed(r, q_str(r, "q", 32, &f.q, &err), &err) ||
        api_failed(r, q_str(r, "class", 8, &f.township_class, &err), &err) ||
        api_failed(r, q_int(r, "geometry", 0, 0, 1, &with_geometry, &err), &err) ||
        api_failed(r, q_int(r, "include_inactive", 0, 0, 1, &inactive, &err), &err))
        return;
    if (!parent_id &&
        api_failed(r, q_int(r, "parent_id", 0, 0, INT64_MAX, &f.parent_id, &err), &err))
        return;
    if (f.kind && !tk_unit_kind_valid(f.kind)) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "单位类型 %s 不存在", f.kind);
        return;
    }
    if (f.township_class) {
        bool ok = false;
        for (int i = 0; classes[i] && !ok; i++)
            ok = strcmp(classes[i], f.township_class) == 0;
        if (!ok) {
            tk_reply_fail(r, TK_EVALID, "invalid_field", "乡镇类型 %s 不存在", f.township_class);
            return;
        }
    }
    f.after_id = cursor;
    f.with_geometry = with_geometry;
    f.include_inactive = inactive;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    list_ctx ctx = {json_array(), 0};
    bool more = false;
    if (tk_place_list(c, r->arena, &f, add_place, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last));
}

void api_units_list(tk_req *r)
{
    list_places(r, 0);
}

/* Loads {id} within scope; replies 404 and returns false otherwise. */
static bool load_place(tk_req *r, bool geometry, tk_place *p)
{
    int64_t id;
    tk_error err;
    if (!tk_parse_i64(tk_req_param(r, "id"), &id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "unit_not_found", "没有找到该单位");
        return false;
    }
    tk_conn *c = api_reader(r);
    if (!c)
        return false;
    if (tk_place_get(c, r->arena, id, api_who(r)->scope_path, geometry, p, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    return true;
}

void api_units_get(tk_req *r)
{
    const char *g = tk_req_query(r, "geometry");
    tk_place p;
    if (load_place(r, g && strcmp(g, "1") == 0, &p))
        tk_reply_json(r, 200, place_json(&p));
}

void api_units_children(tk_req *r)
{
    tk_place p;
    if (load_place(r, false, &p))
        list_places(r, p.unit.id);
}

void api_units_ancestors(tk_req *r)
{
    tk_place p;
    if (!load_place(r, false, &p))
        return;
    tk_error err;
    tk_conn *c = api_reader(r);
    list_ctx ctx = {json_array(), 0};
    if (!c || tk_place_ancestors(c, r->arena, &p.unit, add_place, &ctx, &err) != TK_OK) {
        json_decref(ctx.items);
        if (c)
            tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", ctx.items));
}

/* Reads the attribute fields shared by create and update. */
static tk_status read_attributes(tk_req *r, json_t *in, tk_place_input *pi, tk_error *err)
{
    static const char *const classes[] = TK_TOWNSHIP_CLASSES;
    bool central, has_central = json_object_get(in, "is_central") != NULL;
    bool has_lng, has_lat;
    pi->households = pi->population = -1;
    pi->is_central = -1;
    if (in_enum(in, "township_class", false, classes, &pi->township_class, err) != TK_OK ||
        in_bool(in, "is_central", false, &central, err) != TK_OK ||
        in_num(in, "lng", false, TK_GEO_MIN_LNG, TK_GEO_MAX_LNG, &pi->lng, &has_lng, err) !=
            TK_OK ||
        in_num(in, "lat", false, TK_GEO_MIN_LAT, TK_GEO_MAX_LAT, &pi->lat, &has_lat, err) !=
            TK_OK ||
        in_int(in, "households", false, 0, 10000000, &pi->households, NULL, err) != TK_OK ||
        in_int(in, "population", false, 0, 100000000, &pi->population, NULL, err) != TK_OK)
        return err->status;
    if (has_lng != has_lat)
        return tk_fail_field(err, has_lng ? "lat" : "lng", "经纬度需要同时提供");
    pi->set_point = has_lng;
    if (has_central)
        pi->is_central = central;
    json_t *geometry = json_object_get(in, "geometry");
    if (geometry && !json_is_null(geometry)) {
        char *text = json_dumps(geometry, JSON_COMPACT);
        tk_geom *g = NULL;
        tk_status st = text ? tk_geom_import_polygon(text, strlen(text), &g, err) : TK_EINVAL;
        if (st == TK_OK) {
            tk_bbox b;
            pi->area_m2 = tk_geom_area_m2(g);
            tk_geom_bbox(g, &b);
            pi->bbox[0] = b.min_lng;
            pi->bbox[1] = b.min_lat;
            pi->bbox[2] = b.max_lng;
            pi->bbox[3] = b.max_lat;
            pi->geometry = tk_arena_strdup(r->arena, text);
        } else if (err->field[0] == '\0') {
            snprintf(err->field, sizeof err->field, "geometry");
        }
        tk_geom_free(g);
        free(text);
        if (st != TK_OK)
            return st;
    }
    if (pi->township_class)
        pi->township_class = tk_arena_strdup(r->arena, pi->township_class);
    return TK_OK;
}

typedef struct {
    tk_place_input in;
    int64_t id;
} unit_ctx;

static tk_status unit_create_run(tk_conn *c, api_op *op, tk_error *err)
{
    unit_ctx *u = op->data;
    if (tk_place_create(c, &u->in, &u->id, err) != TK_OK)
        return err->status;
    api_op_target(op, u->id);
    api_op_detail(op, "code", json_string(u->in.code));
    api_op_detail(op, "name", json_string(u->in.name));
    return TK_OK;
}

static void unit_reply(tk_req *r, api_op *op)
{
    unit_ctx *u = op->data;
    tk_error err;
    tk_place p;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    if (tk_place_get(c, r->arena, u->id, NULL, false, &p, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, strcmp(r->method, "POST") == 0 && !tk_req_param(r, "id") ? 201 : 200,
                  place_json(&p));
}

void api_units_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"code",           "name",       "kind",     "parent_id",
                                         "township_class", "is_central", "lng",      "lat",
                                         "households",     "population", "geometry", NULL};
    unit_ctx *u = tk_arena_zalloc(r->arena, sizeof *u);
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "code", true, 24, &u->in.code, &err), &err) ||
        api_failed(r, in_str(in, "name", true, 64, &u->in.name, &err), &err) ||
        api_failed(r, in_str(in, "kind", true, 16, &u->in.kind, &err), &err) ||
        api_failed(r, in_int(in, "parent_id", true, 1, INT64_MAX, &u->in.parent_id, NULL, &err),
                   &err) ||
        api_failed(r, read_attributes(r, in, &u->in, &err), &err))
        return;
    if (!tk_unit_kind_valid(u->in.kind)) {
        tk_fail_field(&err, "kind", "单位类型 %s 不存在", u->in.kind);
        tk_reply_error(r, &err);
        return;
    }
    /* The parent must be inside the caller's scope. */
    tk_place parent;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    if (tk_place_get(c, r->arena, u->in.parent_id, api_who(r)->scope_path, false, &parent, &err) !=
        TK_OK) {
        tk_fail_field(&err, "parent_id", "上级单位不存在或不在您的管辖范围内");
        tk_reply_error(r, &err);
        return;
    }
    u->in.code = tk_arena_strdup(r->arena, u->in.code);
    u->in.name = tk_arena_strdup(r->arena, u->in.name);
    u->in.kind = tk_arena_strdup(r->arena, u->in.kind);
    api_op_submit(api_op_new(r, "unit", unit_create_run, unit_reply, u));
}

static tk_status unit_update_run(tk_conn *c, api_op *op, tk_error *err)
{
    unit_ctx *u = op->data;
    return tk_place_update(c, u->id, &u->in, err);
}

void api_units_update(tk_req *r)
{
    tk_place p;
    if (!load_place(r, false, &p))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"name",       "township_class", "is_central", "lng", "lat",
                                         "households", "population",     "geometry",   NULL};
    unit_ctx *u = tk_arena_zalloc(r->arena, sizeof *u);
    u->id = p.unit.id;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "name", false, 64, &u->in.name, &err), &err) ||
        api_failed(r, read_attributes(r, in, &u->in, &err), &err))
        return;
    if (u->in.township_class && strcmp(p.unit.kind, "township") != 0) {
        tk_fail_field(&err, "township_class", "只有乡镇（街道）有乡镇类型");
        tk_reply_error(r, &err);
        return;
    }
    if (u->in.name)
        u->in.name = tk_arena_strdup(r->arena, u->in.name);
    api_op *op = api_op_new(r, "unit", unit_update_run, unit_reply, u);
    api_op_target(op, u->id);
    api_op_submit(op);
}

typedef struct {
    int64_t id;
    bool active;
} active_ctx;

static tk_status unit_active_run(tk_conn *c, api_op *op, tk_error *err)
{
    active_ctx *a = op->data;
    return tk_place_set_active(c, a->id, a->active, err);
}

static void unit_active_reply(tk_req *r, api_op *op)
{
    active_ctx *a = op->data;
    unit_ctx u = {.id = a->id};
    api_op tmp = *op;
    tmp.data = &u;
    unit_reply(r, &tmp);
}

static void set_unit_active(tk_req *r, bool active)
{
    tk_place p;
    if (!load_place(r, false, &p))
        return;
    active_ctx *a = tk_arena_zalloc(r->arena, sizeof *a);
    a->id = p.unit.id;
    a->active = active;
    api_op *op = api_op_new(r, "unit", unit_active_run, unit_active_reply, a);
    api_op_target(op, a->id);
    api_op_submit(op);
}

void api_units_disable(tk_req *r)
{
    set_unit_active(r, false);
}

void api_units_enable(tk_req *r)
{
    set_unit_active(r, true);
}

void api_territory_summary(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    tk_territory_counts n = {0};
    if (!c)
        return;
    if (tk_territory_count(c, api_who(r)->scope_path, &n, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200,
                  json_pack("{s:I, s:I, s:I, s:I}", "counties", (json_int_t)n.counties, "townships",
                            (json_int_t)n.townships, "villages", (json_int_t)n.villages, "grids",
                            (json_int_t)n.grids));
}

void api_locate(tk_req *r)
{
    tk_error err;
    double lng, lat;
    const char *slng = tk_req_query(r, "lng"), *slat = tk_req_query(r, "lat");
    if (!tk_parse_double(slng, &lng) || lng < -180 || lng > 180) {
        tk_fail_field(&err, "lng", "参数 lng 需要是经度（-180 到 180）");
        tk_reply_error(r, &err);
        return;
    }
    if (!tk_parse_double(slat, &lat) || lat < -90 || lat > 90) {
        tk_fail_field(&err, "lat", "参数 lat 需要是纬度（-90 到 90）");
        tk_reply_error(r, &err);
        return;
    }
    int64_t grid = tk_app_locate(TK_APP(r), lng, lat);
    if (grid < 0) {
        tk_reply_fail(r, TK_ENOTFOUND, "outside_territory", "坐标 (%.6f, %.6f) 不在本市任何网格内",
                      lng, lat);
        return;
    }
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_place p;
    /* Location is public knowledge of the map: any caller may resolve any point. */
    if (tk_place_get(c, r->arena, grid, NULL, false, &p, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "lng", json_real(lng));
    json_object_set_new(body, "lat", json_real(lat));
    json_object_set_new(body, "grid", place_json(&p));
    list_ctx up = {json_array(), 0};
    if (tk_place_ancestors(c, r->arena, &p.unit, add_place, &up, &err) != TK_OK) {
        json_decref(up.items);
        json_decref(body);
        tk_reply_error(r, &err);
        return;
    }
    size_t i;
    json_t *a;
    json_array_foreach(up.items, i, a)
    {
        const char *kind = json_string_value(json_object_get(a, "kind"));
        if (kind && (!strcmp(kind, "village") || !strcmp(kind, "township") ||
                     !strcmp(kind, "county") || !strcmp(kind, "city")))
            json_object_set(body, kind, a);
    }
    json_decref(up.items);
    tk_reply_json(r, 200, body);
}
