#include "gov/territory.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "gov/access.h"

#define PLACE_SELECT(geom)                                                                         \
    "SELECT " TK_UNIT_COLUMNS(                                                                     \
        "u") ", t.township_class, coalesce(t.is_central, 0), t.lng, "                              \
             "t.lat, coalesce(t.households, -1), coalesce(t.population, -1), "                     \
             "coalesce(t.area_m2, 0), " geom ", "                                                  \
             "(SELECT count(*) FROM units k WHERE k.parent_id = u.id AND "                         \
             "k.active = 1) "                                                                      \
             "FROM units u LEFT JOIN territory t ON t.unit_id = u.id "

static void place_from_row(tk_stmt *s, tk_arena *a, tk_place *p)
{
    memset(p, 0, sizeof *p);
    tk_unit_from_row(s, 0, a, &p->unit);
    int i = TK_UNIT_NCOLUMNS;
    p->township_class = tk_col_text(s, i) ? tk_arena_strdup(a, tk_col_text(s, i)) : NULL;
    p->is_central = tk_col_i64(s, i + 1) != 0;
    p->has_point = !tk_col_null(s, i + 2) && !tk_col_null(s, i + 3);
    p->lng = tk_col_double(s, i + 2);
    p->lat = tk_col_double(s, i + 3);
    p->households = tk_col_i64(s, i + 4);
    p->population = tk_col_i64(s, i + 5);
    p->area_m2 = tk_col_double(s, i + 6);
    p->geometry = tk_col_text(s, i + 7) ? tk_arena_strdup(a, tk_col_text(s, i + 7)) : NULL;
    p->children = tk_col_i64(s, i + 8);
}

static tk_status one_place(tk_stmt *s, tk_arena *a, tk_place *out, tk_error *err)
{
    int rc = tk_step(s, err);
    if (rc == 1)
        place_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail(err, TK_ENOTFOUND, "unit_not_found", "没有找到该单位，或不在您的管辖范围内");
    return TK_OK;
}

tk_status tk_place_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path,
                       bool with_geometry, tk_place *out, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c,
                   with_geometry ? PLACE_SELECT("t.geometry") "WHERE u.id = ?1 AND "
                                                              "u.path >= ?2 AND u.path < ?3"
                                 : PLACE_SELECT("NULL") "WHERE u.id = ?1 AND "
                                                        "u.path >= ?2 AND u.path < ?3",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_path_range(s, 2, scope_path);
    return one_place(s, a, out, err);
}

tk_status tk_place_by_code(tk_conn *c, tk_arena *a, const char *code, const char *scope_path,
                           bool with_geometry, tk_place *out, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c,
                   with_geometry ? PLACE_SELECT("t.geometry") "WHERE u.code = ?1 AND "
                                                              "u.path >= ?2 AND u.path < ?3"
                                 : PLACE_SELECT("NULL") "WHERE u.code = ?1 AND "
                                                        "u.path >= ?2 AND u.path < ?3",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    tk_bind_path_range(s, 2, scope_path);
    return one_place(s, a, out, err);
}

tk_status tk_place_list(tk_conn *c, tk_arena *a, const tk_place_filter *f, tk_place_fn fn,
                        void *ctx, bool *more, tk_error *err)
{
#define LIST_WHERE                                                                                 \
    "WHERE u.path >= ?1 AND u.path < ?2 AND u.id > ?3 AND (?4 IS NULL OR u.kind = ?4) "            \
    "AND (?5 = 0 OR u.parent_id = ?5) "                                                            \
    "AND (?6 IS NULL OR instr(u.name, ?6) > 0 OR u.code LIKE ?6 || '%') "                          \
    "AND (?7 IS NULL OR t.township_class = ?7) AND (?8 = 1 OR u.active = 1) "                      \
    "ORDER BY u.id LIMIT ?9"
    tk_stmt *s = tk_prepare(c,
                            f->with_geometry ? PLACE_SELECT("t.geometry") LIST_WHERE
                                             : PLACE_SELECT("NULL") LIST_WHERE,
                            err);
#undef LIST_WHERE
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, f->scope_path);
    tk_bind_i64(s, 3, f->after_id);
    tk_bind_text(s, 4, f->kind);
    tk_bind_i64(s, 5, f->parent_id);
    tk_bind_text(s, 6, f->q);
    tk_bind_text(s, 7, f->township_class);
    tk_bind_i64(s, 8, f->include_inactive);
    tk_bind_i64(s, 9, f->limit + 1);
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == f->limit) {
            *more = true;
            break;
        }
        tk_place p;
        place_from_row(s, a, &p);
        fn(ctx, &p);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_place_ancestors(tk_conn *c, tk_arena *a, const tk_unit *u, tk_place_fn fn, void *ctx,
                             tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "WITH RECURSIVE up(id) AS (SELECT parent_id FROM units WHERE id = ?1 "
                            "UNION ALL SELECT x.parent_id FROM units x JOIN up ON x.id = up.id "
                            "WHERE x.parent_id IS NOT NULL) " PLACE_SELECT(
                                "NULL") "WHERE u.id IN (SELECT id FROM up) ORDER BY u.depth",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, u->id);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_place p;
        place_from_row(s, a, &p);
        fn(ctx, &p);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

static tk_status upsert_attributes(tk_conn *c, int64_t id, const tk_place_input *in, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c,
        "INSERT INTO territory(unit_id, township_class, is_central, lng, lat, households, "
        "population, geometry, area_m2, min_lng, min_lat, max_lng, max_lat) "
        "VALUES (?1, ?2, max(?3, 0), ?4, ?5, nullif(?6, -1), nullif(?7, -1), ?8, ?9, ?10, ?11, "
        "?12, ?13) "
        "ON CONFLICT(unit_id) DO UPDATE SET "
        "township_class = coalesce(?2, township_class), "
        "is_central = CASE WHEN ?3 < 0 THEN is_central ELSE ?3 END, "
        "lng = coalesce(?4, lng), lat = coalesce(?5, lat), "
        "households = CASE WHEN ?6 < 0 THEN households ELSE ?6 END, "
        "population = CASE WHEN ?7 < 0 THEN population ELSE ?7 END, "
        "geometry = coalesce(?8, geometry), area_m2 = CASE WHEN ?8 IS NULL THEN area_m2 ELSE ?9 "
        "END, "
        "min_lng = CASE WHEN ?8 IS NULL THEN min_lng ELSE ?10 END, "
        "min_lat = CASE WHEN ?8 IS NULL THEN min_lat ELSE ?11 END, "
        "max_lng = CASE WHEN ?8 IS NULL THEN max_lng ELSE ?12 END, "
        "max_lat = CASE WHEN ?8 IS NULL THEN max_lat ELSE ?13 END",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, in->township_class);
    tk_bind_i64(s, 3, in->is_central);
    if (in->set_point) {
        tk_bind_double(s, 4, in->lng);
        tk_bind_double(s, 5, in->lat);
    } else {
        tk_bind_null(s, 4);
        tk_bind_null(s, 5);
    }
    tk_bind_i64(s, 6, in->households);
    tk_bind_i64(s, 7, in->population);
    tk_bind_text(s, 8, in->geometry);
    tk_bind_double(s, 9, in->area_m2);
    for (int i = 0; i < 4; i++)
        tk_bind_double(s, 10 + i, in->bbox[i]);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static bool has_attributes(const tk_place_input *in)
{
    return in->township_class || in->is_central >= 0 || in->set_point || in->households >= 0 ||
           in->population >= 0 || in->geometry;
}

/* The kind a child of `parent` may have. */
static bool child_kind_allowed(const char *parent, const char *child)
{
    static const struct {
        const char *parent, *children;
    } rules[] = {
        {"city", " county department "},
        {"county", " township department team "},
        {"township", " village command module team "},
        {"village", " grid "},
        {"grid", " microgrid "},
        {"department", " institution team "},
        {"module", " institution "},
        {"command", " institution "},
    };
    char needle[32];
    snprintf(needle, sizeof needle, " %s ", child);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].parent, parent) == 0)
            return strstr(rules[i].children, needle) != NULL;
    return false;
}

tk_status tk_place_create(tk_conn *c, const tk_place_input *in, int64_t *id, tk_error *err)
{
    if (in->parent_id) {
        tk_arena *a = tk_arena_new(1024);
        tk_unit parent;
        tk_status st = tk_unit_get(c, a, in->parent_id, &parent, err);
        if (st == TK_OK && !child_kind_allowed(parent.kind, in->kind))
            st = tk_fail_field(err, "kind", "%s下不能设立%s", tk_unit_kind_label(parent.kind),
                               tk_unit_kind_label(in->kind) ? tk_unit_kind_label(in->kind)
                                                            : in->kind);
        else if (st == TK_OK && !parent.active)
            st = tk_fail_field(err, "parent_id", "上级单位「%s」已停用", parent.name);
        tk_arena_free(a);
        if (st != TK_OK)
            return st;
    }
    if (tk_unit_insert(c, in->code, in->name, in->kind, in->parent_id, id, err) != TK_OK)
        return err->status;
    if (in->function) {
        tk_stmt *s = tk_prepare(c, "UPDATE units SET function = ?2 WHERE id = ?1", err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, *id);
        tk_bind_text(s, 2, in->function);
        if (tk_step(s, err) < 0)
            return err->status;
    }
    return has_attributes(in) ? upsert_attributes(c, *id, in, err) : TK_OK;
}

tk_status tk_place_update(tk_conn *c, int64_t id, const tk_place_input *in, tk_error *err)
{
    if (in->name) {
        tk_stmt *s =
            tk_prepare(c, "UPDATE units SET name = ?2, updated_at = ?3 WHERE id = ?1", err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, id);
        tk_bind_text(s, 2, in->name);
        tk_bind_i64(s, 3, tk_now_ms());
        if (tk_step(s, err) < 0)
            return err->status;
        if (tk_changes(c) == 0)
            return tk_fail(err, TK_ENOTFOUND, "unit_not_found", "没有找到该单位");
    }
    return has_attributes(in) ? upsert_attributes(c, id, in, err) : TK_OK;
}

static int64_t count_where(tk_conn *c, const char *sql, int64_t id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return -1;
    tk_bind_i64(s, 1, id);
    int64_t n = tk_step(s, err) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    return n;
}

tk_status tk_place_set_active(tk_conn *c, int64_t id, bool active, tk_error *err)
{
    if (!active) {
        int64_t kids = count_where(
            c, "SELECT count(*) FROM units WHERE parent_id = ?1 AND active = 1", id, err);
        int64_t users = count_where(
            c, "SELECT count(*) FROM users WHERE unit_id = ?1 AND disabled = 0", id, err);
        if (kids < 0 || users < 0)
            return TK_EIO;
        if (kids > 0)
            return tk_fail(err, TK_ECONFLICT, "unit_has_children",
                           "该单位下还有 %lld 个启用的下级单位，请先停用它们", (long long)kids);
        if (users > 0)
            return tk_fail(err, TK_ECONFLICT, "unit_has_users",
                           "该单位还有 %lld 个启用的用户，请先停用或调走", (long long)users);
    }
    tk_stmt *s = tk_prepare(c, "UPDATE units SET active = ?2, updated_at = ?3 WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, active);
    tk_bind_i64(s, 3, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    return tk_changes(c) ? TK_OK : tk_fail(err, TK_ENOTFOUND, "unit_not_found", "没有找到该单位");
}

tk_status tk_grid_shapes(tk_conn *c, tk_grid_shape_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT u.id, t.geometry FROM units u JOIN territory t ON "
                            "t.unit_id = u.id WHERE u.kind = 'grid' AND u.active = 1 AND "
                            "t.geometry IS NOT NULL ORDER BY u.id",
                            err);
    if (!s)
        return TK_EIO;
    int rc;
    while ((rc = tk_step(s, err)) == 1)
        fn(ctx, tk_col_i64(s, 0), tk_col_text(s, 1));
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_territory_count(tk_conn *c, const char *scope_path, tk_territory_counts *out,
                             tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT sum(kind = 'county'), sum(kind = 'township'), "
                            "sum(kind = 'village'), sum(kind = 'grid') FROM units "
                            "WHERE path >= ?1 AND path < ?2 AND active = 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, scope_path);
    int rc = tk_step(s, err);
    if (rc == 1) {
        out->counties = tk_col_i64(s, 0);
        out->townships = tk_col_i64(s, 1);
        out->villages = tk_col_i64(s, 2);
        out->grids = tk_col_i64(s, 3);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
