#include "gov/units.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "gov/access.h"

static const struct {
    const char *kind, *label;
} kinds[] = {
    {"city", "市"},
    {"county", "县（市、区）"},
    {"township", "乡镇（街道）"},
    {"village", "村（社区）"},
    {"grid", "网格"},
    {"microgrid", "微网格"},
    {"department", "县级部门"},
    {"command", "综合信息指挥室"},
    {"module", "模块"},
    {"institution", "内设机构"},
    {"team", "执法队"},
};

bool tk_unit_kind_valid(const char *kind)
{
    return tk_unit_kind_label(kind) != NULL;
}

const char *tk_unit_kind_label(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].label;
    return NULL;
}

void tk_unit_from_row(tk_stmt *s, int i, tk_arena *a, tk_unit *u)
{
    u->id = tk_col_i64(s, i);
    u->code = tk_arena_strdup(a, tk_col_text(s, i + 1));
    u->name = tk_arena_strdup(a, tk_col_text(s, i + 2));
    u->kind = tk_arena_strdup(a, tk_col_text(s, i + 3));
    u->parent_id = tk_col_null(s, i + 4) ? 0 : tk_col_i64(s, i + 4);
    u->path = tk_arena_strdup(a, tk_col_text(s, i + 5));
    u->depth = (int)tk_col_i64(s, i + 6);
    u->county_code = tk_arena_strdup(a, tk_col_text(s, i + 7));
    u->active = tk_col_i64(s, i + 8) != 0;
    u->scope_path = tk_arena_strdup(a, tk_col_text(s, i + 9));
}

bool tk_unit_kind_territorial(const char *kind)
{
    static const char *const t[] = {"city", "county", "township", "village", "grid", "microgrid"};
    for (size_t i = 0; kind && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(kind, t[i]) == 0)
            return true;
    return false;
}

static tk_status get_one(tk_stmt *s, tk_arena *a, tk_unit *out, const char *what, tk_error *err)
{
    int rc = tk_step(s, err);
    if (rc == 1)
        tk_unit_from_row(s, 0, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail(err, TK_ENOTFOUND, "unit_not_found", "没有找到单位 %s", what);
    return TK_OK;
}

tk_status tk_unit_get(tk_conn *c, tk_arena *a, int64_t id, tk_unit *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT " TK_UNIT_COLUMNS("u") " FROM units u WHERE u.id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    char what[32];
    snprintf(what, sizeof what, "#%lld", (long long)id);
    return get_one(s, a, out, what, err);
}

tk_status tk_unit_by_code(tk_conn *c, tk_arena *a, const char *code, tk_unit *out, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c, "SELECT " TK_UNIT_COLUMNS("u") " FROM units u WHERE u.code = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    return get_one(s, a, out, code, err);
}

tk_status tk_unit_insert(tk_conn *c, const char *code, const char *name, const char *kind,
                         int64_t parent_id, int64_t *id, tk_error *err)
{
    if (!tk_unit_kind_valid(kind))
        return tk_fail_field(err, "kind", "单位类型 %s 无效", kind);
    const char *parent_path = "/";
    const char *parent_scope = NULL;
    int depth = 0;
    const char *county = "";
    tk_arena *a = tk_arena_new(1024);
    tk_unit parent;
    if (parent_id) {
        if (tk_unit_get(c, a, parent_id, &parent, err) != TK_OK) {
            tk_arena_free(a);
            return err->status;
        }
        parent_path = parent.path;
        parent_scope = parent.scope_path;
        depth = parent.depth + 1;
        county = parent.county_code;
    }
    if (strcmp(kind, "county") == 0)
        county = code;
    int64_t now = tk_now_ms();
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO units(code, name, kind, parent_id, path, depth, "
                            "county_code, created_at, updated_at) "
                            "VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?7)",
                            err);
    tk_status st = TK_EIO;
    if (s) {
        tk_bind_text(s, 1, code);
        tk_bind_text(s, 2, name);
        tk_bind_text(s, 3, kind);
        if (parent_id)
            tk_bind_i64(s, 4, parent_id);
        else
            tk_bind_null(s, 4);
        tk_bind_i64(s, 5, depth);
        tk_bind_text(s, 6, county);
        tk_bind_i64(s, 7, now);
        st = tk_step(s, err) < 0 ? err->status : TK_OK;
    }
    if (st == TK_ECONFLICT)
        st = tk_fail_field(err, "code", "单位代码 %s 已存在", code);
    if (st == TK_OK) {
        *id = tk_last_insert_id(c);
        char path[512];
        snprintf(path, sizeof path, "%s%lld/", parent_path, (long long)*id);
        bool own_scope = tk_unit_kind_territorial(kind) || !parent_scope;
        s = tk_prepare(c, "UPDATE units SET path = ?1, scope_path = ?3 WHERE id = ?2", err);
        if (!s)
            st = TK_EIO;
        else {
            tk_bind_text(s, 1, path);
            tk_bind_i64(s, 2, *id);
            tk_bind_text(s, 3, own_scope ? path : parent_scope);
            st = tk_step(s, err) < 0 ? err->status : TK_OK;
        }
    }
    tk_arena_free(a);
    return st;
}

bool tk_path_within(const char *unit_path, const char *scope_path)
{
    return unit_path && scope_path && strncmp(unit_path, scope_path, strlen(scope_path)) == 0;
}

int64_t tk_path_unit_id(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    if (n < 3 || path[n - 1] != '/')
        return 0;
    size_t i = n - 1;
    while (i > 0 && path[i - 1] != '/')
        i--;
    int64_t id = 0;
    for (; i < n - 1; i++) {
        if (path[i] < '0' || path[i] > '9')
            return 0;
        id = id * 10 + (path[i] - '0');
    }
    return id;
}

void tk_bind_path_range(tk_stmt *s, int i, const char *path)
{
    /* NULL (an internal lookup) is everything; an empty scope is nothing. */
    char hi[512];
    const char *lo = path ? path : "/";
    tk_path_range_end(lo, hi, sizeof hi);
    tk_bind_text(s, i, lo);
    tk_bind_text(s, i + 1, hi);
}
