/*
 * territory_io.c - CSV and GeoJSON import and export of territory (see territory_io.h).
 *
 * An import reads the whole file into items (one per CSV line or GeoJSON feature),
 * then resolves each against the database and the file (existing unit? parent where?),
 * then, for polygons, checks validity, overlaps and the county outline, and only when
 * no item has a problem writes them, parents first (levels are strictly nested, so
 * ordering by level is a dependency order). Problems are collected per item, never
 * stopping at the first, so a report names every bad line.
 *
 * Overlaps: every polygon of the file and every polygon of the same levels in the
 * database goes into one list sorted by west edge; a sweep pairs those whose boxes
 * meet, and only pairs with a new or changed polygon on one side, whose boxes
 * overlap by more than the tolerance, reach GEOS. A polygon in the database is read
 * and parsed only when it is such a candidate. So n features against m grids cost
 * O((n + m) log(n + m)) plus GEOS work for real neighbours, not n x m.
 */
#include "gov/territory_io.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/csv.h"
#include "geo/geom.h"
#include "gov/access.h"
#include "gov/territory.h"
#include "gov/units.h"

#define MAX_CODE_CHARS 24
#define MAX_NAME_CHARS 64
#define MAX_HOUSEHOLDS 10000000
#define MAX_POPULATION 100000000
#define MAX_ITEMS      200000
/* Coordinates closer than this (about 0.1 mm) are the same. */
#define SAME_DEG 1e-9

/* ---- levels ---- */

static const struct {
    const char *kind, *parent;
} levels[] = {
    {"county", "city"},  {"township", "county"}, {"village", "township"},
    {"grid", "village"}, {"microgrid", "grid"},
};
#define NLEVELS (int)(sizeof levels / sizeof levels[0])

/* 1 county ... 5 microgrid; 0 for anything else. */
static int level_rank(const char *kind)
{
    for (int i = 0; kind && i < NLEVELS; i++)
        if (strcmp(levels[i].kind, kind) == 0)
            return i + 1;
    return 0;
}

static const char *label(const char *kind)
{
    const char *l = tk_unit_kind_label(kind);
    return l ? l : kind;
}

/* ---- items ---- */

enum { OUT_NONE, OUT_ADD, OUT_CHANGE, OUT_SAME };

typedef struct {
    int64_t line;
    const char *code, *name, *level, *parent_code, *township_class;
    int rank;
    bool has_point;
    double lng, lat;
    int64_t households, population; /* -1 = not given */
    tk_geom *geom;                  /* GeoJSON: the polygon, when it is valid */
    char *problems;                 /* NULL while the item is good */
    bool duplicate;

    /* resolution */
    bool exists;
    int64_t id;        /* the existing unit, or the one created */
    int64_t parent_id; /* the parent in the database */
    long parent;       /* the parent in the file (index), or -1 */
    const char *county_code;
    const char *old_name, *old_class;
    bool old_point;
    double old_lng, old_lat;
    int64_t old_households, old_population;
    tk_geom *old_geom;
    bool geom_changed;
    int outcome;
} item;

typedef struct {
    tk_conn *c;
    tk_arena *a;
    const tk_import_options *opt;
    bool geojson;
    double overlap_m2, outside_m2;
    item *items; /* malloc'ed */
    size_t n, cap;
    long *slots; /* code -> index + 1 (open addressing); 0 = empty */
    size_t nslots;
    char *file_problem; /* about the file as a whole (line 0) */
    int64_t file_problem_line;
} import_ctx;

static void add_problem(tk_arena *a, char **problems, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_problem(tk_arena *a, char **problems, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = tk_arena_vprintf(a, fmt, ap);
    va_end(ap);
    *problems = *problems ? tk_arena_printf(a, "%s；%s", *problems, msg) : msg;
}

#define PROBLEM(ctx, it, ...) add_problem((ctx)->a, &(it)->problems, __VA_ARGS__)

static item *new_item(import_ctx *ctx, int64_t line)
{
    if (ctx->n == ctx->cap) {
        ctx->cap = ctx->cap ? ctx->cap * 2 : 256;
        ctx->items = tk_xrealloc(ctx->items, ctx->cap * sizeof *ctx->items);
    }
    item *it = &ctx->items[ctx->n++];
    memset(it, 0, sizeof *it);
    it->line = line;
    it->households = it->population = -1;
    it->parent = -1;
    return it;
}

static void free_items(import_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n; i++) {
        tk_geom_free(ctx->items[i].geom);
        tk_geom_free(ctx->items[i].old_geom);
    }
    free(ctx->items);
    free(ctx->slots);
}

static uint64_t hash_code(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot for code: holding its index + 1, or 0 where it would go. */
static long *code_slot(import_ctx *ctx, const char *code)
{
    size_t mask = ctx->nslots - 1;
    for (size_t h = hash_code(code) & mask;; h = (h + 1) & mask) {
        long *s = &ctx->slots[h];
        if (*s == 0 || strcmp(ctx->items[*s - 1].code, code) == 0)
            return s;
    }
}

static long find_code(import_ctx *ctx, const char *code)
{
    if (!code || !ctx->nslots)
        return -1;
    long s = *code_slot(ctx, code);
    return s ? s - 1 : -1;
}

/* Indexes the codes of the items; a code seen before makes a duplicate. */
static void index_codes(import_ctx *ctx)
{
    ctx->nslots = 16;
    while (ctx->nslots < ctx->n * 2 + 16)
        ctx->nslots *= 2;
    ctx->slots = tk_xcalloc(ctx->nslots, sizeof *ctx->slots);
    for (size_t i = 0; i < ctx->n; i++) {
        item *it = &ctx->items[i];
        if (!it->code)
            continue;
        long *s = code_slot(ctx, it->code);
        if (*s) {
            const item *first = &ctx->items[*s - 1];
            it->duplicate = true;
            PROBLEM(ctx, it, "代码 %s 与第 %lld %s重复", it->code, (long long)first->line,
                    ctx->geojson ? "个要素" : "行");
        } else {
            *s = (long)i + 1;
        }
    }
}

/* ---- field checks ---- */

static bool code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_CODE_CHARS)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_';
        if (!ok)
            return false;
    }
    return true;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void check_code(import_ctx *ctx, item *it, const char *code)
{
    if (!code || !*code) {
        PROBLEM(ctx, it, "缺少单位代码 code");
        return;
    }
    if (!code_ok(code)) {
        PROBLEM(ctx, it, "单位代码「%s」无效：只能由字母、数字、- 和 _ 组成，最多 %d 个字符", code,
                MAX_CODE_CHARS);
        return;
    }
    it->code = code;
}

static void check_name(import_ctx *ctx, item *it, const char *name, bool required)
{
    if (!name || !*name) {
        if (required)
            PROBLEM(ctx, it, "缺少名称 name");
        return;
    }
    long chars = tk_utf8_length(name, strlen(name));
    if (chars < 0 || has_control(name))
        PROBLEM(ctx, it, "名称含有无效字符");
    else if (chars > MAX_NAME_CHARS)
        PROBLEM(ctx, it, "名称超过 %d 个字", MAX_NAME_CHARS);
    else
        it->name = name;
}

static void check_level(import_ctx *ctx, item *it, const char *level)
{
    it->rank = level_rank(level);
    if (it->rank) {
        it->level = levels[it->rank - 1].kind;
        return;
    }
    if (!level || !*level)
        PROBLEM(ctx, it, "缺少层级 level");
    else
        PROBLEM(ctx, it, "层级「%s」无效：应为 county、township、village、grid 或 microgrid",
                level);
}

static void check_parent_code(import_ctx *ctx, item *it, const char *code, bool required)
{
    if (!code || !*code) {
        if (required)
            PROBLEM(ctx, it, "缺少上级代码 parent_code");
        return;
    }
    if (!code_ok(code))
        PROBLEM(ctx, it, "上级代码「%s」无效", code);
    else if (it->code && strcmp(code, it->code) == 0)
        PROBLEM(ctx, it, "上级代码不能是单位自己的代码");
    else
        it->parent_code = code;
}

static void check_class(import_ctx *ctx, item *it, const char *cls)
{
    static const char *const classes[] = TK_TOWNSHIP_CLASSES;
    if (!cls || !*cls)
        return;
    for (int i = 0; classes[i]; i++)
        if (strcmp(classes[i], cls) == 0) {
            if (it->level && strcmp(it->level, "township") != 0)
                PROBLEM(ctx, it, "只有乡镇（街道）有乡镇类型，%s没有", label(it->level));
            else
                it->township_class = classes[i];
            return;
        }
    PROBLEM(ctx, it, "乡镇类型「%s」无效：应为经济型、生态型、复合型、城区型或城郊型", cls);
}

/* ---- the database ---- */

typedef struct {
    int64_t id;
    const char *kind, *name, *path, *county_code, *parent_code, *township_class, *geometry;
    bool active, has_point;
    double lng, lat;
    int64_t households, population;
} unit_row;

/* 1 found, 0 not, -1 error. */
static int find_unit(import_ctx *ctx, const char *code, bool with_geometry, unit_row *u,
                     tk_error *err)
{
    tk_stmt *s = tk_prepare(ctx->c,
                            "SELECT u.id, u.kind, u.name, u.path, u.county_code, u.active, p.code, "
                            "t.township_class, t.lng, t.lat, coalesce(t.households, -1), "
                            "coalesce(t.population, -1), CASE WHEN ?2 THEN t.geometry END "
                            "FROM units u LEFT JOIN units p ON p.id = u.parent_id "
                            "LEFT JOIN territory t ON t.unit_id = u.id WHERE u.code = ?1",
                            err);
    if (!s)
        return -1;
    tk_bind_text(s, 1, code);
    tk_bind_i64(s, 2, with_geometry);
    int rc = tk_step(s, err);
    if (rc == 1) {
        tk_arena *a = ctx->a;
        memset(u, 0, sizeof *u);
        u->id = tk_col_i64(s, 0);
        u->kind = tk_arena_strdup(a, tk_col_text(s, 1));
        u->name = tk_arena_strdup(a, tk_col_text(s, 2));
        u->path = tk_arena_strdup(a, tk_col_text(s, 3));
        u->county_code = tk_arena_strdup(a, tk_col_text(s, 4));
        u->active = tk_col_i64(s, 5) != 0;
        u->parent_code = tk_col_text(s, 6) ? tk_arena_strdup(a, tk_col_text(s, 6)) : "";
        u->township_class = tk_col_text(s, 7) ? tk_arena_strdup(a, tk_col_text(s, 7)) : NULL;
        u->has_point = !tk_col_null(s, 8) && !tk_col_null(s, 9);
        u->lng = tk_col_double(s, 8);
        u->lat = tk_col_double(s, 9);
        u->households = tk_col_i64(s, 10);
        u->population = tk_col_i64(s, 11);
        u->geometry = tk_col_text(s, 12) ? tk_arena_strdup(a, tk_col_text(s, 12)) : NULL;
    }
    tk_reset(s);
    return rc;
}

static bool in_scope(const import_ctx *ctx, const char *path)
{
    const char *scope = ctx->opt->scope_path;
    return !scope || !*scope || tk_path_within(path, scope);
}

/* Where the item stands: an existing unit to update, or a new one under which parent. */
static tk_status resolve(import_ctx *ctx, item *it, tk_error *err)
{
    unit_row u;
    int rc = find_unit(ctx, it->code, ctx->geojson, &u, err);
    if (rc < 0)
        return err->status;
    if (rc == 1) {
        if (!in_scope(ctx, u.path)) {
            PROBLEM(ctx, it, "代码 %s 已被您管辖范围以外的单位使用", it->code);
            return TK_OK;
        }
        if (strcmp(u.kind, it->level) != 0) {
            PROBLEM(ctx, it, "不能通过导入移动单位：%s「%s」现为%s，不能改为%s", it->code, u.name,
                    label(u.kind), label(it->level));
            return TK_OK;
        }
        if (it->parent_code && strcmp(u.parent_code, it->parent_code) != 0) {
            PROBLEM(ctx, it, "不能通过导入移动单位：%s「%s」的上级现为 %s，不能改为 %s", it->code,
                    u.name, u.parent_code, it->parent_code);
            return TK_OK;
        }
        it->exists = true;
        it->id = u.id;
        it->county_code = u.county_code;
        it->old_name = u.name;
        it->old_class = u.township_class;
        it->old_point = u.has_point;
        it->old_lng = u.lng;
        it->old_lat = u.lat;
        it->old_households = u.households;
        it->old_population = u.population;
        tk_error ignored;
        if (u.geometry)
            tk_geom_from_geojson(u.geometry, strlen(u.geometry), &it->old_geom, &ignored);
        return TK_OK;
    }
    if (ctx->geojson && it->rank < 4) {
        PROBLEM(ctx, it, "%s %s 不存在：GeoJSON 只能新增网格和微网格，区划单位请先用 CSV 导入",
                label(it->level), it->code);
        return TK_OK;
    }
    if (!it->name) {
        if (ctx->geojson)
            PROBLEM(ctx, it, "新增单位需要名称 name");
        return TK_OK;
    }
    if (!it->parent_code) {
        if (ctx->geojson)
            PROBLEM(ctx, it, "新增单位需要上级代码 parent_code");
        return TK_OK;
    }
    const char *want = levels[it->rank - 1].parent;
    long p = find_code(ctx, it->parent_code);
    if (p >= 0) {
        const item *parent = &ctx->items[p];
        if (parent->level && strcmp(parent->level, want) != 0)
            PROBLEM(ctx, it, "上级单位 %s 是%s，%s的上级应为%s", it->parent_code,
                    label(parent->level), label(it->level), label(want));
        else
            it->parent = p;
        return TK_OK;
    }
    unit_row pu;
    rc = find_unit(ctx, it->parent_code, false, &pu, err);
    if (rc < 0)
        return err->status;
    if (rc == 0 || !in_scope(ctx, pu.path))
        PROBLEM(ctx, it, "上级单位 %s 不存在%s", it->parent_code,
                rc == 0 ? "" : "或不在您的管辖范围内");
    else if (strcmp(pu.kind, want) != 0)
        PROBLEM(ctx, it, "上级单位 %s「%s」是%s，%s的上级应为%s", it->parent_code, pu.name,
                label(pu.kind), label(it->level), label(want));
    else if (!pu.active)
        PROBLEM(ctx, it, "上级单位 %s「%s」已停用", it->parent_code, pu.name);
    else {
        it->parent_id = pu.id;
        it->county_code = it->rank == 1 ? it->code : pu.county_code;
    }
    return TK_OK;
}

static bool point_differs(const item *it)
{
    return it->has_point && (!it->old_point || fabs(it->lng - it->old_lng) > SAME_DEG ||
                             fabs(it->lat - it->old_lat) > SAME_DEG);
}

static bool name_differs(const item *it)
{
    return it->name && strcmp(it->name, it->old_name) != 0;
}

static bool class_differs(const item *it)
{
    return it->township_class && (!it->old_class || strcmp(it->township_class, it->old_class) != 0);
}

static void classify(item *it)
{
    if (!it->exists) {
        it->outcome = OUT_ADD;
        return;
    }
    if (it->geom)
        it->geom_changed = !it->old_geom || !tk_geom_equals_exact(it->geom, it->old_geom, SAME_DEG);
    bool changed = name_differs(it) || class_differs(it) || point_differs(it) ||
                   (it->households >= 0 && it->households != it->old_households) ||
                   (it->population >= 0 && it->population != it->old_population) ||
                   it->geom_changed;
    it->outcome = changed ? OUT_CHANGE : OUT_SAME;
}

/* Resolves every item that was read well enough, then fills in the counties of new
 * units whose parent is new too (in level order, so the parent's is known). */
static tk_status resolve_all(import_ctx *ctx, tk_error *err)
{
    for (size_t i = 0; i < ctx->n; i++) {
        item *it = &ctx->items[i];
        if (!it->code || !it->rank || it->duplicate)
            continue;
        if (resolve(ctx, it, err) != TK_OK)
            return err->status;
        classify(it);
    }
    for (int rank = 1; rank <= NLEVELS; rank++)
        for (size_t i = 0; i < ctx->n; i++) {
            item *it = &ctx->items[i];
            if (it->rank == rank && it->parent >= 0)
                it->county_code = rank == 1 ? it->code : ctx->items[it->parent].county_code;
        }
    return TK_OK;
}

/* ---- polygons: county outlines ---- */

typedef struct {
    const char *code, *name;
    tk_geom *outline; /* NULL when the county has none */
    tk_geom_prepared *prepared;
} county_outline;

typedef struct {
    county_outline *v;
    size_t n;
} county_cache;

static tk_status county_get(import_ctx *ctx, county_cache *cc, const char *code,
                            county_outline **out, tk_error *err)
{
    for (size_t i = 0; i < cc->n; i++)
        if (strcmp(cc->v[i].code, code) == 0) {
            *out = &cc->v[i];
            return TK_OK;
        }
    unit_row u;
    int rc = find_unit(ctx, code, true, &u, err);
    if (rc < 0)
        return err->status;
    cc->v = tk_xrealloc(cc->v, (cc->n + 1) * sizeof *cc->v);
    county_outline *k = &cc->v[cc->n++];
    memset(k, 0, sizeof *k);
    k->code = tk_arena_strdup(ctx->a, code);
    k->name = rc == 1 ? u.name : code;
    tk_error ignored;
    if (rc == 1 && u.geometry &&
        tk_geom_from_geojson(u.geometry, strlen(u.geometry), &k->outline, &ignored) == TK_OK)
        k->prepared = tk_geom_prepare(k->outline);
    *out = k;
    return TK_OK;
}

static void county_cache_free(county_cache *cc)
{
    for (size_t i = 0; i < cc->n; i++) {
        tk_geom_prepared_free(cc->v[i].prepared);
        tk_geom_free(cc->v[i].outline);
    }
    free(cc->v);
}

/* How much of the item's polygon lies outside its county beyond what the polygon it
 * replaces already did (the stored outlines are simplified, so old grids along a
 * county border may stick out a little; they may keep doing so, not do more). */
static tk_status check_outside(import_ctx *ctx, county_cache *cc, item *it, tk_error *err)
{
    if (!it->geom || it->rank < 2 || !it->county_code || !*it->county_code)
        return TK_OK;
    county_outline *k = NULL;
    if (county_get(ctx, cc, it->county_code, &k, err) != TK_OK)
        return err->status;
    if (!k->outline || (k->prepared && tk_geom_prepared_covers(k->prepared, it->geom)))
        return TK_OK;
    tk_geom *outside = NULL;
    double m2 = 0;
    tk_status st = tk_geom_difference(it->geom, k->outline, &outside, err);
    if (st == TK_OK && it->old_geom)
        st = tk_geom_outside_m2(outside, it->old_geom, &m2, err);
    else if (st == TK_OK)
        m2 = tk_geom_area_m2(outside);
    tk_geom_free(outside);
    if (st != TK_OK)
        return st;
    if (m2 > ctx->outside_m2)
        PROBLEM(ctx, it, "超出所属县（市、区）「%s」（%s）的边界约 %.0f 平方米（允许 %.0f 平方米）",
                k->name, k->code, m2, ctx->outside_m2);
    return TK_OK;
}

/* ---- polygons: overlaps ---- */

typedef struct {
    tk_bbox b;
    int rank;
    long item;     /* index of the file item, or -1 for a polygon of the database */
    int64_t db_id; /* for the database's */
    const char *code;
    bool changed;
    tk_geom *geom; /* the database's: parsed when first needed (owned here) */
} shape;

typedef struct {
    shape *v;
    size_t n, cap;
} shape_list;

static shape *shape_add(shape_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = tk_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    shape *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    s->item = -1;
    return s;
}

static int by_west_edge(const void *x, const void *y)
{
    const shape *a = x, *b = y;
    return a->b.min_lng < b->b.min_lng ? -1 : a->b.min_lng > b->b.min_lng ? 1 : 0;
}

/* Polygons of the database at the levels the file changes, minus those the file replaces. */
static tk_status load_db_shapes(import_ctx *ctx, const bool *ranks, shape_list *l, tk_error *err)
{
    tk_stmt *s = tk_prepare(ctx->c,
                            "SELECT u.id, u.code, u.kind, t.min_lng, t.min_lat, t.max_lng, "
                            "t.max_lat, t.min_lng IS NULL OR t.max_lat IS NULL "
                            "FROM units u JOIN territory t ON t.unit_id = u.id "
                            "WHERE u.active = 1 AND t.geometry IS NOT NULL",
                            err);
    if (!s)
        return TK_EIO;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        int rank = level_rank(tk_col_text(s, 2));
        const char *code = tk_col_text(s, 1);
        if (!rank || !ranks[rank] || find_code(ctx, code) >= 0)
            continue;
        shape *sh = shape_add(l);
        sh->rank = rank;
        sh->db_id = tk_col_i64(s, 0);
        sh->code = tk_arena_strdup(ctx->a, code);
        if (tk_col_i64(s, 7)) { /* no box stored: read it from the polygon */
            sh->b = (tk_bbox){-1e9, -1e9, 1e9, 1e9};
            continue;
        }
        sh->b = (tk_bbox){tk_col_double(s, 3), tk_col_double(s, 4), tk_col_double(s, 5),
                          tk_col_double(s, 6)};
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

static tk_geom *db_geom(import_ctx *ctx, shape *sh, tk_error *err)
{
    if (sh->geom)
        return sh->geom;
    tk_stmt *s = tk_prepare(ctx->c, "SELECT geometry FROM territory WHERE unit_id = ?1", err);
    if (!s)
        return NULL;
    tk_bind_i64(s, 1, sh->db_id);
    if (tk_step(s, err) == 1 && tk_col_text(s, 0)) {
        const char *text = tk_col_text(s, 0);
        tk_error ignored;
        tk_geom_from_geojson(text, strlen(text), &sh->geom, &ignored);
    }
    tk_reset(s);
    return sh->geom;
}

static double box_overlap_m2(const tk_bbox *a, const tk_bbox *b)
{
    double w = fmin(a->max_lng, b->max_lng) - fmax(a->min_lng, b->min_lng);
    double h = fmin(a->max_lat, b->max_lat) - fmax(a->min_lat, b->min_lat);
    if (w <= 0 || h <= 0)
        return 0;
    return tk_geo_deg2_to_m2(w * h,
                             (fmax(a->min_lat, b->min_lat) + fmin(a->max_lat, b->max_lat)) / 2);
}

static tk_status check_pair(import_ctx *ctx, shape *x, shape *y, tk_error *err)
{
    /* x is a file item; y comes later in the file, or from the database. */
    if (y->item >= 0 && y->item < x->item) {
        shape *t = x;
        x = y;
        y = t;
    }
    const tk_geom *gx = ctx->items[x->item].geom;
    const tk_geom *gy = y->item >= 0 ? ctx->items[y->item].geom : db_geom(ctx, y, err);
    if (!gy)
        return TK_OK; /* an unreadable stored polygon cannot be compared */
    double m2 = 0;
    if (tk_geom_overlap_m2(gx, gy, &m2, err) != TK_OK)
        return err->status;
    if (m2 <= ctx->overlap_m2)
        return TK_OK;
    const char *kind = label(levels[x->rank - 1].kind);
    if (y->item < 0) {
        PROBLEM(ctx, &ctx->items[x->item], "与%s %s 重叠约 %.0f 平方米（允许 %.0f 平方米）", kind,
                y->code, m2, ctx->overlap_m2);
        return TK_OK;
    }
    /* Both in the file: tell it on the later one, or on the one that changes. */
    item *later = &ctx->items[y->item], *earlier = &ctx->items[x->item];
    if (!y->changed) {
        later = &ctx->items[x->item];
        earlier = &ctx->items[y->item];
    }
    PROBLEM(ctx, later, "与第 %lld 个要素（%s）重叠约 %.0f 平方米（允许 %.0f 平方米）",
            (long long)earlier->line, earlier->code, m2, ctx->overlap_m2);
    return TK_OK;
}

static tk_status check_overlaps(import_ctx *ctx, tk_error *err)
{
    bool ranks[NLEVELS + 1] = {false};
    shape_list l = {0};
    for (size_t i = 0; i < ctx->n; i++) {
        item *it = &ctx->items[i];
        if (!it->geom || !it->code || !it->rank || it->duplicate)
            continue;
        shape *sh = shape_add(&l);
        tk_geom_bbox(it->geom, &sh->b);
        sh->rank = it->rank;
        sh->item = (long)i;
        sh->code = it->code;
        sh->changed = !it->exists || it->geom_changed;
        if (sh->changed)
            ranks[it->rank] = true;
    }
    tk_status st = load_db_shapes(ctx, ranks, &l, err);
    for (size_t i = 0; st == TK_OK && i < l.n; i++) {
        shape *sh = &l.v[i];
        if (sh->b.min_lng < -1e8 && db_geom(ctx, sh, err))
            tk_geom_bbox(sh->geom, &sh->b);
    }
    if (st == TK_OK && l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, by_west_edge);
    for (size_t i = 0; st == TK_OK && i < l.n; i++) {
        shape *x = &l.v[i];
        for (size_t j = i + 1; st == TK_OK && j < l.n && l.v[j].b.min_lng <= x->b.max_lng; j++) {
            shape *y = &l.v[j];
            if (x->rank != y->rank || !(x->changed || y->changed))
                continue;
            if (box_overlap_m2(&x->b, &y->b) <= ctx->overlap_m2)
                continue; /* even full overlap of the boxes would be tolerated */
            st = x->item >= 0 ? check_pair(ctx, x, y, err) : check_pair(ctx, y, x, err);
        }
    }
    for (size_t i = 0; i < l.n; i++)
        tk_geom_free(l.v[i].geom);
    free(l.v);
    return st;
}

/* ---- writing ---- */

static void set_geometry(import_ctx *ctx, tk_place_input *in, const tk_geom *g)
{
    char *text = NULL;
    tk_error ignored;
    if (tk_geom_to_geojson(g, &text, &ignored) != TK_OK)
        return;
    in->geometry = tk_arena_strdup(ctx->a, text);
    free(text);
    in->area_m2 = tk_geom_area_m2(g);
    tk_bbox b;
    tk_geom_bbox(g, &b);
    in->bbox[0] = b.min_lng;
    in->bbox[1] = b.min_lat;
    in->bbox[2] = b.max_lng;
    in->bbox[3] = b.max_lat;
}

static tk_status write_item(import_ctx *ctx, item *it, tk_error *err)
{
    tk_place_input in = {.is_central = -1, .households = -1, .population = -1};
    if (it->outcome == OUT_ADD) {
        in.code = it->code;
        in.name = it->name;
        in.kind = it->level;
        in.parent_id = it->parent >= 0 ? ctx->items[it->parent].id : it->parent_id;
        in.township_class = it->township_class;
        in.set_point = it->has_point;
        in.lng = it->lng;
        in.lat = it->lat;
        in.households = it->households;
        in.population = it->population;
        if (it->geom)
            set_geometry(ctx, &in, it->geom);
        return tk_place_create(ctx->c, &in, &it->id, err);
    }
    if (name_differs(it))
        in.name = it->name;
    if (class_differs(it))
        in.township_class = it->township_class;
    if (point_differs(it)) {
        in.set_point = true;
        in.lng = it->lng;
        in.lat = it->lat;
    }
    if (it->households >= 0 && it->households != it->old_households)
        in.households = it->households;
    if (it->population >= 0 && it->population != it->old_population)
        in.population = it->population;
    if (it->geom_changed)
        set_geometry(ctx, &in, it->geom);
    return tk_place_update(ctx->c, it->id, &in, err);
}

static int by_level_then_line(const void *x, const void *y, void *arg)
{
    const item *items = arg;
    const item *a = &items[*(const long *)x], *b = &items[*(const long *)y];
    if (a->rank != b->rank)
        return a->rank - b->rank;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Writes the items inside a savepoint, parents first; rolls back a dry run. */
static tk_status write_all(import_ctx *ctx, tk_import_report *rep, tk_error *err)
{
    long *order = tk_xmalloc((ctx->n ? ctx->n : 1) * sizeof *order);
    for (size_t i = 0; i < ctx->n; i++)
        order[i] = (long)i;
    qsort_r(order, ctx->n, sizeof *order, by_level_then_line, ctx->items);
    tk_status st = tk_exec(ctx->c, "SAVEPOINT territory_import", err);
    bool open = st == TK_OK;
    for (size_t k = 0; st == TK_OK && k < ctx->n; k++) {
        item *it = &ctx->items[order[k]];
        if (it->outcome != OUT_ADD && it->outcome != OUT_CHANGE)
            continue;
        st = write_item(ctx, it, err);
        if (st == TK_OK && it->rank == 4)
            rep->grids_changed = true;
        else if (st == TK_EVALID || st == TK_ECONFLICT || st == TK_ENOTFOUND)
            PROBLEM(ctx, it, "%s", err->detail);
    }
    free(order);
    if (open && (st != TK_OK || ctx->opt->dry_run)) {
        tk_error ignored;
        tk_exec(ctx->c, "ROLLBACK TO territory_import", &ignored);
        tk_exec(ctx->c, "RELEASE territory_import", &ignored);
        if (ctx->opt->dry_run)
            rep->grids_changed = false;
    } else if (open) {
        st = tk_exec(ctx->c, "RELEASE territory_import", err);
    }
    return st;
}

/* ---- the report ---- */

static tk_status report(import_ctx *ctx, tk_import_report *rep, tk_error *err)
{
    const char *unit = ctx->geojson ? "个要素" : "行";
    size_t bad = ctx->file_problem ? 1 : 0;
    for (size_t i = 0; i < ctx->n; i++)
        if (ctx->items[i].problems)
            bad++;
    rep->errors = tk_arena_zalloc(ctx->a, (bad ? bad : 1) * sizeof *rep->errors);
    rep->nerrors = 0;
    rep->added = rep->changed = rep->unchanged = rep->rejected = 0;
    if (ctx->file_problem) {
        int64_t line = ctx->file_problem_line;
        rep->errors[rep->nerrors++] = (tk_import_error){
            .line = line,
            .code = "",
            .reason = line ? tk_arena_printf(ctx->a, "第 %lld %s：%s", (long long)line,
                                             ctx->geojson ? "个要素" : "行", ctx->file_problem)
                           : tk_arena_printf(ctx->a, "文件：%s", ctx->file_problem),
        };
        rep->rejected++;
    }
    for (size_t i = 0; i < ctx->n; i++) {
        const item *it = &ctx->items[i];
        if (!it->problems) {
            rep->added += it->outcome == OUT_ADD;
            rep->changed += it->outcome == OUT_CHANGE;
            rep->unchanged += it->outcome == OUT_SAME;
            continue;
        }
        rep->rejected++;
        const char *reason =
            it->code ? tk_arena_printf(ctx->a, "第 %lld %s（%s）：%s", (long long)it->line, unit,
                                       it->code, it->problems)
                     : tk_arena_printf(ctx->a, "第 %lld %s：%s", (long long)it->line, unit,
                                       it->problems);
        rep->errors[rep->nerrors++] =
            (tk_import_error){.line = it->line, .code = it->code ? it->code : "", .reason = reason};
    }
    if (!rep->rejected)
        return TK_OK;
    return tk_fail(err, TK_EVALID, "import_rejected",
                   "导入被拒绝：%lld 处错误，未写入任何数据（每一处见 errors）",
                   (long long)rep->rejected);
}

/* Validation done: report, and write when nothing is wrong. */
static tk_status finish(import_ctx *ctx, tk_import_report *rep, tk_error *err)
{
    if (report(ctx, rep, err) != TK_OK)
        return err->status;
    tk_status st = write_all(ctx, rep, err);
    if (st != TK_OK && (st == TK_EVALID || st == TK_ECONFLICT || st == TK_ENOTFOUND)) {
        tk_error ignored;
        report(ctx, rep, &ignored);
        return tk_fail(err, TK_EVALID, "import_rejected",
                       "导入被拒绝：写入时出错，未写入任何数据（见 errors）");
    }
    return st;
}

static void ctx_init(import_ctx *ctx, tk_conn *c, tk_arena *a, const tk_import_options *opt,
                     bool geojson, tk_import_report *rep)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->c = c;
    ctx->a = a;
    ctx->opt = opt;
    ctx->geojson = geojson;
    ctx->overlap_m2 =
        opt->overlap_tolerance_m2 >= 0 ? opt->overlap_tolerance_m2 : TK_IMPORT_OVERLAP_M2;
    ctx->outside_m2 =
        opt->outside_tolerance_m2 >= 0 ? opt->outside_tolerance_m2 : TK_IMPORT_OUTSIDE_M2;
    memset(rep, 0, sizeof *rep);
    rep->dry_run = opt->dry_run;
}

static void file_problem(import_ctx *ctx, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void file_problem(import_ctx *ctx, int64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = tk_arena_vprintf(ctx->a, fmt, ap);
    va_end(ap);
    if (!ctx->file_problem) {
        ctx->file_problem = msg;
        ctx->file_problem_line = line;
    } else {
        ctx->file_problem = tk_arena_printf(ctx->a, "%s；%s", ctx->file_problem, msg);
    }
}

/* ---- CSV ---- */

enum {
    COL_CODE,
    COL_NAME,
    COL_LEVEL,
    COL_PARENT,
    COL_CLASS,
    COL_LNG,
    COL_LAT,
    COL_HOUSEHOLDS,
    COL_POPULATION,
    NCOLS
};
static const char *const column_names[NCOLS] = {
    "code", "name", "level",      "parent_code", "township_class",
    "lng",  "lat",  "households", "population",
};

/* Splits one line into fields (copies in the arena). Quoted fields may hold commas and
 * doubled quotes; unquoted ones are trimmed. NULL with *why on a malformed line. */
static const char **csv_split(tk_arena *a, tk_slice line, size_t *n, const char **why)
{
    size_t max = 1;
    for (size_t i = 0; i < line.len; i++)
        max += line.ptr[i] == ',';
    const char **fields = tk_arena_alloc(a, max * sizeof *fields);
    char *buf = tk_arena_alloc(a, line.len + 1);
    size_t i = 0, count = 0;
    const char *p = line.ptr, *end = line.ptr + line.len;
    for (;;) {
        char *out = buf + i;
        size_t len = 0;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '"') {
            p++;
            for (;;) {
                if (p >= end) {
                    *why = "引号不成对（字段以 \" 开始却没有结束的 \"）";
                    return NULL;
                }
                if (*p == '"' && p + 1 < end && p[1] == '"') {
                    out[len++] = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    out[len++] = *p++;
                }
            }
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (p < end && *p != ',') {
                *why = "引号后面还有多余的字符（字段中的引号要写成两个 \"\"）";
                return NULL;
            }
        } else {
            const char *start = p;
            while (p < end && *p != ',') {
                if (*p == '"') {
                    *why = "未加引号的字段中有引号（含引号的字段要整体用 \" 括起，引号写成 \"\"）";
                    return NULL;
                }
                p++;
            }
            const char *stop = p;
            while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
                stop--;
            len = (size_t)(stop - start);
            memcpy(out, start, len);
        }
        out[len] = '\0';
        i += len + 1;
        fields[count++] = out;
        if (p >= end)
            break;
        p++; /* the comma */
    }
    *n = count;
    return fields;
}

static bool blank(tk_slice s)
{
    return tk_slice_trim(s).len == 0;
}

/* The header: which column holds what. False (with a file problem) if it is wrong. */
static bool csv_header(import_ctx *ctx, tk_slice line, int *col, size_t *ncols)
{
    const char *why = NULL;
    size_t n = 0;
    const char **names = csv_split(ctx->a, line, &n, &why);
    if (!names) {
        file_problem(ctx, 1, "表头格式错误：%s", why);
        return false;
    }
    for (int k = 0; k < NCOLS; k++)
        col[k] = -1;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        while (k < NCOLS && strcasecmp(names[i], column_names[k]) != 0)
            k++;
        if (!names[i][0]) {
            file_problem(ctx, 1, "表头第 %zu 列没有列名（多余的逗号？）", i + 1);
            ok = false;
        } else if (k == NCOLS) {
            file_problem(ctx, 1,
                         "表头有未知的列「%s」（可用的列：code、name、level、parent_code、"
                         "township_class、lng、lat、households、population）",
                         names[i]);
            ok = false;
        } else if (col[k] >= 0) {
            file_problem(ctx, 1, "表头中列「%s」出现了两次", column_names[k]);
            ok = false;
        } else {
            col[k] = (int)i;
        }
    }
    for (int k = 0; k <= COL_PARENT; k++)
        if (col[k] < 0) {
            file_problem(ctx, 1, "表头缺少必需的列「%s」（需要 code、name、level、parent_code）",
                         column_names[k]);
            ok = false;
        }
    *ncols = n;
    return ok;
}

static const char *field(const char **f, const int *col, int k)
{
    return col[k] >= 0 && f[col[k]][0] ? f[col[k]] : NULL;
}

static void csv_number(import_ctx *ctx, item *it, const char *text, const char *what, double lo,
                       double hi, double *out, bool *present)
{
    *present = false;
    if (!text)
        return;
    double v;
    if (!tk_parse_double(text, &v))
        PROBLEM(ctx, it, "%s「%s」不是数字", what, text);
    else if (v < lo || v > hi)
        PROBLEM(ctx, it, "%s %s 超出范围（%.0f–%.0f）", what, text, lo, hi);
    else {
        *out = v;
        *present = true;
    }
}

static void csv_count(import_ctx *ctx, item *it, const char *text, const char *what, int64_t max,
                      int64_t *out)
{
    int64_t v;
    if (!text)
        return;
    if (!tk_parse_i64(text, &v) || v < 0)
        PROBLEM(ctx, it, "%s「%s」不是非负整数", what, text);
    else if (v > max)
        PROBLEM(ctx, it, "%s %s 过大（最多 %lld）", what, text, (long long)max);
    else
        *out = v;
}

static void csv_row(import_ctx *ctx, item *it, tk_slice line, const int *col, size_t ncols)
{
    if (tk_utf8_length(line.ptr, line.len) < 0) {
        PROBLEM(ctx, it, "不是有效的 UTF-8 文字（请把文件另存为「CSV UTF-8」格式）");
        return;
    }
    const char *why = NULL;
    size_t n = 0;
    const char **f = csv_split(ctx->a, line, &n, &why);
    if (!f || n != ncols) {
        /* Name the line by its code when the code column comes first and reads. */
        tk_slice rest = line, first;
        tk_slice_cut(&rest, ',', &first);
        first = tk_slice_trim(first);
        char *code = tk_arena_strndup(ctx->a, first.ptr ? first.ptr : "", first.len);
        if (col[COL_CODE] == 0 && code_ok(code))
            it->code = code;
    }
    if (!f) {
        PROBLEM(ctx, it, "格式错误：%s", why);
        return;
    }
    if (n != ncols) {
        PROBLEM(ctx, it, "有 %zu 列，表头有 %zu 列（含逗号的字段要用英文双引号括起）", n, ncols);
        return;
    }
    check_code(ctx, it, field(f, col, COL_CODE));
    check_name(ctx, it, field(f, col, COL_NAME), true);
    check_level(ctx, it, field(f, col, COL_LEVEL));
    check_parent_code(ctx, it, field(f, col, COL_PARENT), true);
    check_class(ctx, it, field(f, col, COL_CLASS));
    bool has_lng, has_lat;
    csv_number(ctx, it, field(f, col, COL_LNG), "经度", TK_GEO_MIN_LNG, TK_GEO_MAX_LNG, &it->lng,
               &has_lng);
    csv_number(ctx, it, field(f, col, COL_LAT), "纬度", TK_GEO_MIN_LAT, TK_GEO_MAX_LAT, &it->lat,
               &has_lat);
    if (!field(f, col, COL_LNG) != !field(f, col, COL_LAT))
        PROBLEM(ctx, it, "经度和纬度需要同时填写");
    it->has_point = has_lng && has_lat;
    csv_count(ctx, it, field(f, col, COL_HOUSEHOLDS), "户数", MAX_HOUSEHOLDS, &it->households);
    csv_count(ctx, it, field(f, col, COL_POPULATION), "人口", MAX_POPULATION, &it->population);
}

static tk_status csv_read(import_ctx *ctx, const char *data, size_t len)
{
    tk_slice rest = {data, len};
    if (rest.len >= 3 && memcmp(rest.ptr, "\xEF\xBB\xBF", 3) == 0) { /* Excel's BOM */
        rest.ptr += 3;
        rest.len -= 3;
    }
    if (memchr(rest.ptr, '\0', rest.len)) {
        file_problem(ctx, 0, "文件中含有 NUL 字符，不是文本格式的 CSV");
        return TK_OK;
    }
    tk_slice line;
    int64_t number = 0;
    int col[NCOLS];
    size_t ncols = 0;
    bool have_header = false;
    while (rest.len && tk_slice_cut(&rest, '\n', &line)) {
        number++;
        if (line.len && line.ptr[line.len - 1] == '\r')
            line.len--;
        if (number == 1) {
            if (blank(line)) {
                file_problem(ctx, 1, "第一行应为表头，例如 code,name,level,parent_code");
                return TK_OK;
            }
            if (tk_utf8_length(line.ptr, line.len) < 0) {
                file_problem(ctx, 1, "不是有效的 UTF-8 文字（请把文件另存为「CSV UTF-8」格式）");
                return TK_OK;
            }
            have_header = csv_header(ctx, line, col, &ncols);
            if (!have_header)
                return TK_OK;
            continue;
        }
        if (blank(line))
            continue;
        if (ctx->n >= MAX_ITEMS) {
            file_problem(ctx, number, "文件超过 %d 行，请分成几个文件导入", MAX_ITEMS);
            return TK_OK;
        }
        csv_row(ctx, new_item(ctx, number), line, col, ncols);
    }
    if (!have_header)
        file_problem(ctx, 0, "文件是空的：第一行应为表头 code,name,level,parent_code");
    return TK_OK;
}

tk_status tk_territory_import_csv(tk_conn *c, tk_arena *a, const char *data, size_t len,
                                  const tk_import_options *opt, tk_import_report *rep,
                                  tk_error *err)
{
    import_ctx ctx;
    ctx_init(&ctx, c, a, opt, false, rep);
    tk_status st = csv_read(&ctx, data, len);
    if (st == TK_OK && !ctx.file_problem) {
        index_codes(&ctx);
        st = resolve_all(&ctx, err);
    }
    if (st == TK_OK)
        st = finish(&ctx, rep, err);
    free_items(&ctx);
    return st;
}

/* ---- GeoJSON ---- */

/* A code property: a string, or a whole number written without quotes. */
static const char *json_code(import_ctx *ctx, json_t *v, bool *bad)
{
    *bad = false;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return tk_arena_strdup(ctx->a, json_string_value(v));
    if (json_is_integer(v))
        return tk_arena_printf(ctx->a, "%lld", (long long)json_integer_value(v));
    *bad = true;
    return NULL;
}

static void json_count(import_ctx *ctx, item *it, json_t *props, const char *key, const char *what,
                       int64_t max, int64_t *out)
{
    json_t *v = json_object_get(props, key);
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        PROBLEM(ctx, it, "%s（%s）需要是非负整数", what, key);
    else if (json_integer_value(v) > max)
        PROBLEM(ctx, it, "%s（%s）过大（最多 %lld）", what, key, (long long)max);
    else
        *out = json_integer_value(v);
}

static void feature_geometry(import_ctx *ctx, item *it, json_t *geometry)
{
    if (!geometry || json_is_null(geometry)) {
        PROBLEM(ctx, it, "缺少几何 geometry（需要 Polygon 或 MultiPolygon）");
        return;
    }
    if (!json_is_object(geometry)) {
        PROBLEM(ctx, it, "geometry 需要是 GeoJSON 几何对象");
        return;
    }
    char *text = json_dumps(geometry, JSON_COMPACT);
    tk_error gerr;
    tk_error_clear(&gerr);
    if (!text || tk_geom_import_polygon(text, strlen(text), &it->geom, &gerr) != TK_OK)
        PROBLEM(ctx, it, "%s", text ? gerr.detail : "几何无法读取");
    free(text);
}

static void feature_read(import_ctx *ctx, item *it, json_t *f)
{
    static const char *const known[] = {"code",       "name",       "level", "parent_code",
                                        "households", "population", NULL};
    if (!json_is_object(f) || !json_is_string(json_object_get(f, "type")) ||
        strcmp(json_string_value(json_object_get(f, "type")), "Feature") != 0) {
        PROBLEM(ctx, it,
                "不是 GeoJSON Feature（需要 {\"type\":\"Feature\",\"properties\":{…},"
                "\"geometry\":{…}}）");
        return;
    }
    json_t *props = json_object_get(f, "properties");
    if (!json_is_object(props)) {
        PROBLEM(ctx, it, "缺少属性 properties（至少要有 code）");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v)
    {
        int k = 0;
        while (known[k] && strcmp(known[k], key) != 0)
            k++;
        if (!known[k])
            PROBLEM(ctx, it,
                    "未知属性「%s」（可用：code、name、level、parent_code、households、"
                    "population）",
                    key);
    }
    bool bad;
    const char *code = json_code(ctx, json_object_get(props, "code"), &bad);
    if (bad)
        PROBLEM(ctx, it, "code 需要是字符串");
    else
        check_code(ctx, it, code);
    json_t *name = json_object_get(props, "name");
    if (name && !json_is_null(name) && !json_is_string(name))
        PROBLEM(ctx, it, "name 需要是字符串");
    else
        check_name(ctx, it, name ? json_string_value(name) : NULL, false);
    if (it->name)
        it->name = tk_arena_strdup(ctx->a, it->name);
    json_t *level = json_object_get(props, "level");
    if (level && !json_is_null(level) && !json_is_string(level))
        PROBLEM(ctx, it, "level 需要是字符串");
    else
        check_level(ctx, it, level && json_is_string(level) ? json_string_value(level) : "grid");
    const char *parent = json_code(ctx, json_object_get(props, "parent_code"), &bad);
    if (bad)
        PROBLEM(ctx, it, "parent_code 需要是字符串");
    else
        check_parent_code(ctx, it, parent, false);
    json_count(ctx, it, props, "households", "户数", MAX_HOUSEHOLDS, &it->households);
    json_count(ctx, it, props, "population", "人口", MAX_POPULATION, &it->population);
    feature_geometry(ctx, it, json_object_get(f, "geometry"));
}

static tk_status geojson_read(import_ctx *ctx, const char *data, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        file_problem(ctx, 0, "GeoJSON 无法解析：第 %d 行第 %d 列附近格式错误（%s）", je.line,
                     je.column, je.text);
        return TK_OK;
    }
    json_t *type = json_object_get(root, "type");
    json_t *features = json_object_get(root, "features");
    if (!json_is_string(type) || strcmp(json_string_value(type), "FeatureCollection") != 0 ||
        !json_is_array(features)) {
        file_problem(ctx, 0,
                     "需要 GeoJSON FeatureCollection：{\"type\":\"FeatureCollection\","
                     "\"features\":[…]}");
    } else if (json_array_size(features) > MAX_ITEMS) {
        file_problem(ctx, 0, "文件超过 %d 个要素，请分成几个文件导入", MAX_ITEMS);
    } else {
        size_t i;
        json_t *f;
        json_array_foreach(features, i, f) feature_read(ctx, new_item(ctx, (int64_t)i + 1), f);
    }
    json_decref(root);
    return TK_OK;
}

tk_status tk_territory_import_geojson(tk_conn *c, tk_arena *a, const char *data, size_t len,
                                      const tk_import_options *opt, tk_import_report *rep,
                                      tk_error *err)
{
    import_ctx ctx;
    ctx_init(&ctx, c, a, opt, true, rep);
    tk_status st = geojson_read(&ctx, data, len);
    if (st == TK_OK && !ctx.file_problem) {
        index_codes(&ctx);
        st = resolve_all(&ctx, err);
    }
    county_cache cc = {0};
    for (size_t i = 0; st == TK_OK && !ctx.file_problem && i < ctx.n; i++) {
        item *it = &ctx.items[i];
        if (it->code && it->rank && !it->duplicate && (!it->exists || it->geom_changed))
            st = check_outside(&ctx, &cc, it, err);
    }
    county_cache_free(&cc);
    if (st == TK_OK && !ctx.file_problem)
        st = check_overlaps(&ctx, err);
    if (st == TK_OK)
        st = finish(&ctx, rep, err);
    free_items(&ctx);
    return st;
}

/* ---- export ---- */

/* ",village,grid," for SQL's instr(), from "village, grid"; NULL (with err) if a
 * level is unknown. */
static char *kind_set(const char *kinds, const char *fallback, char *out, size_t size,
                      tk_error *err)
{
    tk_slice rest = tk_slice_of(kinds && *kinds ? kinds : fallback), one;
    size_t len = 0;
    out[len++] = ',';
    while (rest.len && tk_slice_cut(&rest, ',', &one)) {
        one = tk_slice_trim(one);
        if (!one.len)
            continue;
        int rank = 0;
        for (int i = 0; i < NLEVELS && !rank; i++)
            if (tk_slice_eq(one, levels[i].kind))
                rank = i + 1;
        if (!rank) {
            tk_fail_field(err, "kind",
                          "层级「%.*s」无效：可导出 county、township、village、grid、"
                          "microgrid（用逗号分隔）",
                          (int)(one.len > 32 ? 32 : one.len), one.ptr);
            return NULL;
        }
        const char *k = levels[rank - 1].kind;
        size_t n = strlen(k);
        if (len + n + 2 > size)
            break;
        memcpy(out + len, k, n);
        len += n;
        out[len++] = ',';
    }
    out[len] = '\0';
    return out;
}

tk_status tk_territory_export_check(const tk_export_options *opt, tk_error *err)
{
    char set[128];
    return kind_set(opt->kinds, "grid", set, sizeof set, err) ? TK_OK : err->status;
}

static void put_double(tk_buf *b, double v)
{
    char s[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(s, sizeof s, "%.*g", precision, v);
        if (strtod(s, NULL) == v)
            break;
    }
    tk_buf_puts(b, s);
}

#define EXPORT_SELECT                                                                              \
    "SELECT u.code, u.name, u.kind, p.code, t.township_class, t.lng, t.lat, t.households, "        \
    "t.population, t.geometry FROM units u JOIN units p ON p.id = u.parent_id "                    \
    "LEFT JOIN territory t ON t.unit_id = u.id "                                                   \
    "WHERE u.path >= ?1 AND u.path < ?2 AND u.active = 1 AND instr(?3, ',' || u.kind || ',') > 0 "

static tk_stmt *export_query(tk_conn *c, const tk_export_options *opt, const char *sql,
                             const char *fallback, char *set, size_t size, tk_error *err)
{
    if (!kind_set(opt->kinds, fallback, set, size, err))
        return NULL;
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return NULL;
    tk_bind_path_range(s, 1, opt->scope_path && *opt->scope_path ? opt->scope_path : NULL);
    tk_bind_text(s, 3, set);
    return s;
}

tk_status tk_territory_export_csv(tk_conn *c, const tk_export_options *opt, tk_buf *out,
                                  int64_t *count, tk_error *err)
{
    char set[128];
    *count = 0;
    tk_stmt *s = export_query(c, opt, EXPORT_SELECT "ORDER BY u.path",
                              "county,township,village,grid,microgrid", set, sizeof set, err);
    if (!s)
        return err->status;
    /* The BOM tells Excel the file is UTF-8; the import skips it. */
    tk_buf_puts(out,
                "\xEF\xBB\xBF"
                "code,name,level,parent_code,township_class,lng,lat,households,population\r\n");
    int rc;
    while ((rc = tk_step(s, err)) == 1 && !out->failed) {
        for (int i = 0; i < 5; i++) {
            if (i)
                tk_buf_putc(out, ',');
            tk_csv_put(out, tk_col_text(s, i));
        }
        bool point = !tk_col_null(s, 5) && !tk_col_null(s, 6);
        tk_buf_putc(out, ',');
        if (point)
            put_double(out, tk_col_double(s, 5));
        tk_buf_putc(out, ',');
        if (point)
            put_double(out, tk_col_double(s, 6));
        for (int i = 7; i <= 8; i++) {
            tk_buf_putc(out, ',');
            if (!tk_col_null(s, i))
                tk_buf_printf(out, "%lld", (long long)tk_col_i64(s, i));
        }
        tk_buf_puts(out, "\r\n");
        (*count)++;
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (out->failed)
        return tk_fail(err, TK_ETOOBIG, "export_too_big", "导出内容超过上限，请按层级分开导出");
    return TK_OK;
}

tk_status tk_territory_export_geojson(tk_conn *c, const tk_export_options *opt, tk_buf *out,
                                      int64_t *count, tk_error *err)
{
    char set[128];
    *count = 0;
    tk_stmt *s = export_query(c, opt, EXPORT_SELECT "AND t.geometry IS NOT NULL ORDER BY u.path",
                              "grid", set, sizeof set, err);
    if (!s)
        return err->status;
    tk_buf_puts(out, "{\"type\":\"FeatureCollection\",\"features\":[");
    int rc;
    while ((rc = tk_step(s, err)) == 1 && !out->failed) {
        json_t *props = json_object();
        json_object_set_new(props, "code", json_string(tk_col_text(s, 0)));
        json_object_set_new(props, "name", json_string(tk_col_text(s, 1)));
        json_object_set_new(props, "level", json_string(tk_col_text(s, 2)));
        json_object_set_new(props, "parent_code", json_string(tk_col_text(s, 3)));
        if (!tk_col_null(s, 7))
            json_object_set_new(props, "households", json_integer(tk_col_i64(s, 7)));
        if (!tk_col_null(s, 8))
            json_object_set_new(props, "population", json_integer(tk_col_i64(s, 8)));
        char *text = json_dumps(props, JSON_COMPACT);
        json_decref(props);
        if (!text) {
            tk_reset(s);
            return tk_fail(err, TK_EINTERNAL, "export_failed", "导出失败：属性无法输出");
        }
        tk_buf_puts(out, *count ? ",\n" : "\n");
        tk_buf_puts(out, "{\"type\":\"Feature\",\"properties\":");
        tk_buf_puts(out, text);
        free(text);
        /* Stored polygons were validated GeoJSON when they were written. */
        tk_buf_puts(out, ",\"geometry\":");
        tk_buf_puts(out, tk_col_text(s, 9));
        tk_buf_putc(out, '}');
        (*count)++;
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    tk_buf_puts(out, "\n]}\n");
    if (out->failed)
        return tk_fail(err, TK_ETOOBIG, "export_too_big", "导出内容超过上限，请按层级分开导出");
    return TK_OK;
}
