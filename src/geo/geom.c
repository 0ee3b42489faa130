/*
 * geom.c - tk_geom over GEOS: I/O, validation, measuring, overlap checks, union,
 * simplification (see geom.h), and the per-thread GEOS context (see internal.h).
 *
 * Every tk_geom returned here is owned by the caller; every GEOS object made here is
 * destroyed before returning, including on the error paths.
 */
#include "geo/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* ---- per-thread GEOS context ---- */

typedef struct {
    GEOSContextHandle_t handle;
    char last_error[256];
} geos_thread;

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static _Thread_local geos_thread *this_thread;

static void thread_finish(void *p)
{
    geos_thread *t = p;
    GEOS_finish_r(t->handle);
    free(t);
    this_thread = NULL;
}

static void thread_key_create(void)
{
    if (pthread_key_create(&thread_key, thread_finish) != 0)
        abort();
}

static void on_geos_error(const char *message, void *userdata)
{
    geos_thread *t = userdata;
    snprintf(t->last_error, sizeof t->last_error, "%s", message ? message : "");
}

static geos_thread *current_thread(void)
{
    if (this_thread)
        return this_thread;
    pthread_once(&thread_key_once, thread_key_create);
    geos_thread *t = tk_xcalloc(1, sizeof *t);
    t->handle = GEOS_init_r();
    if (!t->handle)
        abort();
    GEOSContext_setErrorMessageHandler_r(t->handle, on_geos_error, t);
    pthread_setspecific(thread_key, t);
    this_thread = t;
    return t;
}

GEOSContextHandle_t tk_geos(void)
{
    return current_thread()->handle;
}

const char *tk_geos_last_error(void)
{
    return current_thread()->last_error;
}

void tk_geos_clear_error(void)
{
    current_thread()->last_error[0] = '\0';
}

tk_geom *tk_geom_adopt(GEOSGeometry *g)
{
    if (!g)
        return NULL;
    tk_geom *out = tk_xmalloc(sizeof *out);
    out->g = g;
    return out;
}

tk_status tk_geos_fail(tk_error *err, const char *what)
{
    const char *msg = tk_geos_last_error();
    return tk_fail(err, TK_EINTERNAL, "geometry_error", "几何运算失败（%s）：%s", what,
                   msg[0] ? msg : "未知错误");
}

/* ---- units ---- */

double tk_geo_deg2_to_m2(double deg2, double lat)
{
    return deg2 * TK_GEO_M_PER_DEG * TK_GEO_M_PER_DEG * cos(lat * M_PI / 180.0);
}

static bool geos_centroid(GEOSContextHandle_t h, const GEOSGeometry *g, double *x, double *y)
{
    if (GEOSisEmpty_r(h, g) != 0)
        return false;
    GEOSGeometry *c = GEOSGetCentroid_r(h, g);
    if (!c)
        return false;
    bool ok =
        GEOSisEmpty_r(h, c) == 0 && GEOSGeomGetX_r(h, c, x) == 1 && GEOSGeomGetY_r(h, c, y) == 1;
    GEOSGeom_destroy_r(h, c);
    return ok;
}

double tk_geos_area_m2(const GEOSGeometry *g)
{
    GEOSContextHandle_t h = tk_geos();
    double deg2 = 0;
    if (GEOSArea_r(h, g, &deg2) != 1)
        return -1;
    if (deg2 <= 0)
        return 0;
    double x, y;
    if (!geos_centroid(h, g, &x, &y))
        return -1;
    return tk_geo_deg2_to_m2(deg2, y);
}

static bool geos_is_polygonal(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

/* Appends clones of g's polygons (recursing into collections) to parts. */
static bool collect_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry ***parts,
                             size_t *n, size_t *cap)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g) != 0)
            return true;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 4;
            *parts = tk_xrealloc(*parts, *cap * sizeof **parts);
        }
        GEOSGeometry *c = GEOSGeom_clone_r(h, g);
        if (!c)
            return false;
        (*parts)[(*n)++] = c;
        return true;
    }
    if (t != GEOS_MULTIPOLYGON && t != GEOS_GEOMETRYCOLLECTION)
        return true;
    int k = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < k; i++)
        if (!collect_polygons(h, GEOSGetGeometryN_r(h, g, i), parts, n, cap))
            return false;
    return true;
}

GEOSGeometry *tk_geos_polygonal(GEOSGeometry *g)
{
    GEOSContextHandle_t h = tk_geos();
    if (!g || geos_is_polygonal(h, g))
        return g;
    GEOSGeometry **parts = NULL;
    size_t n = 0, cap = 0;
    bool ok = collect_polygons(h, g, &parts, &n, &cap);
    GEOSGeom_destroy_r(h, g);
    GEOSGeometry *out = NULL;
    if (ok && n == 1) {
        out = parts[0];
    } else if (ok && n <= 0x7fffffff) {
        /* Takes the parts even when it fails (GEOS 3.11 wraps them in unique_ptrs first). */
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    } else {
        for (size_t i = 0; i < n; i++)
            GEOSGeom_destroy_r(h, parts[i]);
    }
    free(parts);
    return out;
}

/* ---- reading and writing ---- */

/* GEOS reports ring problems while parsing, in English; say them in zh-CN. */
static tk_status parse_fail(tk_error *err, const char *code, const char *format)
{
    const char *msg = tk_geos_last_error();
    if (strstr(msg, "closed linestring"))
        return tk_fail(err, TK_EINVAL, code, "%s 无法解析：环未闭合（每个环的首尾坐标必须相同）",
                       format);
    if (strstr(msg, "Invalid number of points in LinearRing"))
        return tk_fail(err, TK_EINVAL, code,
                       "%s 无法解析：环的坐标点过少（每个环至少 4 个坐标，首尾相同）", format);
    return tk_fail(err, TK_EINVAL, code, "%s 无法解析：%s", format, msg[0] ? msg : "格式错误");
}

tk_status tk_geom_from_geojson(const char *text, size_t len, tk_geom **out, tk_error *err)
{
    *out = NULL;
    if (!text || len == 0)
        return tk_fail(err, TK_EINVAL, "invalid_geojson", "缺少 GeoJSON 几何");
    if (memchr(text, '\0', len))
        return tk_fail(err, TK_EINVAL, "invalid_geojson", "GeoJSON 中含有 NUL 字符");
    GEOSContextHandle_t h = tk_geos();
    char *copy = tk_xmalloc(len + 1); /* GEOS wants a C string */
    memcpy(copy, text, len);
    copy[len] = '\0';
    tk_geos_clear_error();
    GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(h);
    GEOSGeometry *g = reader ? GEOSGeoJSONReader_readGeometry_r(h, reader, copy) : NULL;
    if (reader)
        GEOSGeoJSONReader_destroy_r(h, reader);
    free(copy);
    if (!g)
        return parse_fail(err, "invalid_geojson", "GeoJSON");
    *out = tk_geom_adopt(g);
    return TK_OK;
}

tk_status tk_geom_to_geojson(const tk_geom *g, char **out, tk_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSGeoJSONWriter *writer = GEOSGeoJSONWriter_create_r(h);
    if (!writer)
        return tk_geos_fail(err, "GeoJSON 输出");
    char *text = GEOSGeoJSONWriter_writeGeometry_r(h, writer, g->g, -1);
    GEOSGeoJSONWriter_destroy_r(h, writer);
    if (!text)
        return tk_geos_fail(err, "GeoJSON 输出");
    *out = tk_xstrdup(text);
    GEOSFree_r(h, text);
    return TK_OK;
}

tk_status tk_geom_from_wkb(const unsigned char *wkb, size_t len, tk_geom **out, tk_error *err)
{
    *out = NULL;
    if (!wkb || len == 0)
        return tk_fail(err, TK_EINVAL, "invalid_wkb", "缺少 WKB 几何");
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSWKBReader *reader = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = reader ? GEOSWKBReader_read_r(h, reader, wkb, len) : NULL;
    if (reader)
        GEOSWKBReader_destroy_r(h, reader);
    if (!g)
        return parse_fail(err, "invalid_wkb", "WKB");
    *out = tk_geom_adopt(g);
    return TK_OK;
}

tk_status tk_geom_to_wkb(const tk_geom *g, unsigned char **out, size_t *len, tk_error *err)
{
    *out = NULL;
    *len = 0;
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSWKBWriter *writer = GEOSWKBWriter_create_r(h);
    if (!writer)
        return tk_geos_fail(err, "WKB 输出");
    GEOSWKBWriter_setOutputDimension_r(h, writer, 2);
    GEOSWKBWriter_setByteOrder_r(h, writer, GEOS_WKB_NDR);
    size_t n = 0;
    unsigned char *bytes = GEOSWKBWriter_write_r(h, writer, g->g, &n);
    GEOSWKBWriter_destroy_r(h, writer);
    if (!bytes)
        return tk_geos_fail(err, "WKB 输出");
    *out = tk_xmalloc(n ? n : 1);
    memcpy(*out, bytes, n);
    *len = n;
    GEOSFree_r(h, bytes);
    return TK_OK;
}

tk_geom *tk_geom_rect(tk_bbox b)
{
    if (!isfinite(b.min_lng) || !isfinite(b.min_lat) || !isfinite(b.max_lng) ||
        !isfinite(b.max_lat) || !(b.min_lng < b.max_lng) || !(b.min_lat < b.max_lat))
        return NULL;
    GEOSContextHandle_t h = tk_geos();
    return tk_geom_adopt(GEOSGeom_createRectangle_r(h, b.min_lng, b.min_lat, b.max_lng, b.max_lat));
}

tk_geom *tk_geom_clone(const tk_geom *g)
{
    return g ? tk_geom_adopt(GEOSGeom_clone_r(tk_geos(), g->g)) : NULL;
}

void tk_geom_free(tk_geom *g)
{
    if (!g)
        return;
    GEOSGeom_destroy_r(tk_geos(), g->g);
    free(g);
}

/* ---- import validation ---- */

static const struct {
    const char *geos;
    const char *zh;
} validity_reasons[] = {
    {"Self-intersection", "自相交"},
    {"Ring Self-intersection", "环自相交"},
    {"Too few points", "坐标点过少"},
    {"Too few points in geometry component", "坐标点过少（每个环至少 4 个坐标，首尾相同）"},
    {"Invalid Coordinate", "坐标无效（不是有限数值）"},
    {"Hole lies outside shell", "内环（洞）位于外环之外"},
    {"Nested holes", "内环相互嵌套"},
    {"Interior is disconnected", "内部不连通（内环把多边形分割开）"},
    {"Nested shells", "多个多边形相互嵌套"},
    {"Duplicate Rings", "存在重复的环"},
    {"Ring is not closed", "环未闭合"},
};

static const char *validity_reason_zh(const char *reason)
{
    for (size_t i = 0; i < sizeof validity_reasons / sizeof validity_reasons[0]; i++)
        if (strcmp(reason, validity_reasons[i].geos) == 0)
            return validity_reasons[i].zh;
    return NULL;
}

static tk_status check_range(const tk_geom *g, tk_error *err)
{
    tk_bbox b;
    if (!tk_geom_bbox(g, &b))
        return tk_fail(err, TK_EVALID, "empty_geometry", "多边形为空");
    bool finite =
        isfinite(b.min_lng) && isfinite(b.min_lat) && isfinite(b.max_lng) && isfinite(b.max_lat);
    if (finite && b.min_lng >= TK_GEO_MIN_LNG && b.max_lng <= TK_GEO_MAX_LNG &&
        b.min_lat >= TK_GEO_MIN_LAT && b.max_lat <= TK_GEO_MAX_LAT)
        return TK_OK;
    return tk_fail(err, TK_EVALID, "coordinates_out_of_range",
                   "坐标超出合理范围（经度 %.6f–%.6f，纬度 %.6f–%.6f）：应为中国境内的经纬度"
                   "（经度 %.0f–%.0f，纬度 %.0f–%.0f），请检查是否用了投影坐标或把经纬度写反了",
                   b.min_lng, b.max_lng, b.min_lat, b.max_lat, TK_GEO_MIN_LNG, TK_GEO_MAX_LNG,
                   TK_GEO_MIN_LAT, TK_GEO_MAX_LAT);
}

tk_status tk_geom_validate_polygon(const tk_geom *g, tk_error *err)
{
    GEOSContextHandle_t h = tk_geos();
    if (!tk_geom_is_polygonal(g))
        return tk_fail(err, TK_EVALID, "not_polygon", "几何类型为 %s，需要 Polygon 或 MultiPolygon",
                       tk_geom_type_name(g));
    if (tk_geom_is_empty(g))
        return tk_fail(err, TK_EVALID, "empty_geometry", "多边形为空");
    tk_status st = check_range(g, err);
    if (st != TK_OK)
        return st;

    char *reason = NULL;
    GEOSGeometry *where = NULL;
    tk_geos_clear_error();
    char valid = GEOSisValidDetail_r(h, g->g, 0, &reason, &where);
    if (valid == 1) {
        st = TK_OK;
    } else if (valid != 0) {
        st = tk_geos_fail(err, "有效性检查");
    } else {
        const char *zh = validity_reason_zh(reason ? reason : "");
        double x = 0, y = 0;
        bool at = where && GEOSGeomGetX_r(h, where, &x) == 1 && GEOSGeomGetY_r(h, where, &y) == 1;
        if (zh && at)
            st = tk_fail(err, TK_EVALID, "invalid_polygon", "多边形无效：%s（位置 %.6f, %.6f）", zh,
                         x, y);
        else if (zh)
            st = tk_fail(err, TK_EVALID, "invalid_polygon", "多边形无效：%s", zh);
        else
            st = tk_fail(err, TK_EVALID, "invalid_polygon", "多边形无效：拓扑错误（%s）",
                         reason ? reason : "未知");
    }
    if (reason)
        GEOSFree_r(h, reason);
    if (where)
        GEOSGeom_destroy_r(h, where);
    return st;
}

tk_status tk_geom_import_polygon(const char *geojson, size_t len, tk_geom **out, tk_error *err)
{
    *out = NULL;
    tk_geom *g = NULL;
    tk_status st = tk_geom_from_geojson(geojson, len, &g, err);
    if (st != TK_OK)
        return st;
    st = tk_geom_validate_polygon(g, err);
    if (st != TK_OK) {
        tk_geom_free(g);
        return st;
    }
    *out = g;
    return TK_OK;
}

/* ---- measuring ---- */

const char *tk_geom_type_name(const tk_geom *g)
{
    switch (GEOSGeomTypeId_r(tk_geos(), g->g)) {
    case GEOS_POINT:
        return "Point";
    case GEOS_LINESTRING:
        return "LineString";
    case GEOS_LINEARRING:
        return "LinearRing";
    case GEOS_POLYGON:
        return "Polygon";
    case GEOS_MULTIPOINT:
        return "MultiPoint";
    case GEOS_MULTILINESTRING:
        return "MultiLineString";
    case GEOS_MULTIPOLYGON:
        return "MultiPolygon";
    case GEOS_GEOMETRYCOLLECTION:
        return "GeometryCollection";
    default:
        return "Unknown";
    }
}

bool tk_geom_is_polygonal(const tk_geom *g)
{
    return geos_is_polygonal(tk_geos(), g->g);
}

bool tk_geom_is_empty(const tk_geom *g)
{
    return GEOSisEmpty_r(tk_geos(), g->g) != 0;
}

int tk_geom_part_count(const tk_geom *g)
{
    int n = GEOSGetNumGeometries_r(tk_geos(), g->g);
    return n < 0 ? 0 : n;
}

double tk_geom_area_m2(const tk_geom *g)
{
    double m2 = tk_geos_area_m2(g->g);
    return m2 < 0 ? 0 : m2;
}

bool tk_geom_centroid(const tk_geom *g, double *lng, double *lat)
{
    return geos_centroid(tk_geos(), g->g, lng, lat);
}

bool tk_geom_bbox(const tk_geom *g, tk_bbox *out)
{
    GEOSContextHandle_t h = tk_geos();
    if (GEOSisEmpty_r(h, g->g) != 0)
        return false;
    return GEOSGeom_getXMin_r(h, g->g, &out->min_lng) == 1 &&
           GEOSGeom_getYMin_r(h, g->g, &out->min_lat) == 1 &&
           GEOSGeom_getXMax_r(h, g->g, &out->max_lng) == 1 &&
           GEOSGeom_getYMax_r(h, g->g, &out->max_lat) == 1;
}

bool tk_geom_covers_point(const tk_geom *g, double lng, double lat)
{
    if (!isfinite(lng) || !isfinite(lat))
        return false;
    GEOSContextHandle_t h = tk_geos();
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, lng, lat);
    if (!pt)
        return false;
    bool in = GEOSCovers_r(h, g->g, pt) == 1;
    GEOSGeom_destroy_r(h, pt);
    return in;
}

/* ---- relations ---- */

static bool boxes_meet(const tk_geom *a, const tk_geom *b)
{
    tk_bbox x, y;
    if (!tk_geom_bbox(a, &x) || !tk_geom_bbox(b, &y))
        return false;
    return x.min_lng <= y.max_lng && y.min_lng <= x.max_lng && x.min_lat <= y.max_lat &&
           y.min_lat <= x.max_lat;
}

tk_status tk_geom_overlap_m2(const tk_geom *a, const tk_geom *b, double *m2, tk_error *err)
{
    *m2 = 0;
    if (!boxes_meet(a, b))
        return TK_OK;
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSGeometry *x = GEOSIntersection_r(h, a->g, b->g);
    if (!x)
        return tk_geos_fail(err, "求交");
    double area = tk_geos_area_m2(x);
    GEOSGeom_destroy_r(h, x);
    if (area < 0)
        return tk_geos_fail(err, "面积");
    *m2 = area;
    return TK_OK;
}

tk_status tk_geom_check_neighbour(const tk_geom *g, const tk_geom *neighbour, double tolerance_m2,
                                  double *measured_m2, tk_error *err)
{
    double m2 = 0;
    tk_status st = tk_geom_overlap_m2(g, neighbour, &m2, err);
    if (measured_m2)
        *measured_m2 = m2;
    if (st != TK_OK)
        return st;
    if (m2 > tolerance_m2)
        return tk_fail(err, TK_EVALID, "overlaps_neighbour",
                       "与相邻区域重叠约 %.0f 平方米，超过允许的 %.0f 平方米", m2, tolerance_m2);
    return TK_OK;
}

tk_status tk_geom_outside_m2(const tk_geom *child, const tk_geom *parent, double *m2, tk_error *err)
{
    *m2 = 0;
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSGeometry *d = GEOSDifference_r(h, child->g, parent->g);
    if (!d)
        return tk_geos_fail(err, "求差");
    double area = tk_geos_area_m2(d);
    GEOSGeom_destroy_r(h, d);
    if (area < 0)
        return tk_geos_fail(err, "面积");
    *m2 = area;
    return TK_OK;
}

tk_status tk_geom_check_inside(const tk_geom *child, const tk_geom *parent, double tolerance_m2,
                               double *measured_m2, tk_error *err)
{
    double m2 = 0;
    tk_status st = tk_geom_outside_m2(child, parent, &m2, err);
    if (measured_m2)
        *measured_m2 = m2;
    if (st != TK_OK)
        return st;
    if (m2 > tolerance_m2)
        return tk_fail(err, TK_EVALID, "outside_parent",
                       "超出上级区域约 %.0f 平方米，超过允许的 %.0f 平方米", m2, tolerance_m2);
    return TK_OK;
}

bool tk_geom_equals_exact(const tk_geom *a, const tk_geom *b, double tolerance_deg)
{
    return GEOSEqualsExact_r(tk_geos(), a->g, b->g, tolerance_deg) == 1;
}

struct tk_geom_prepared {
    GEOSGeometry *g; /* owned: the prepared geometry points into it */
    const GEOSPreparedGeometry *p;
};

tk_geom_prepared *tk_geom_prepare(const tk_geom *g)
{
    GEOSContextHandle_t h = tk_geos();
    GEOSGeometry *copy = GEOSGeom_clone_r(h, g->g);
    if (!copy)
        return NULL;
    const GEOSPreparedGeometry *p = GEOSPrepare_r(h, copy);
    if (!p) {
        GEOSGeom_destroy_r(h, copy);
        return NULL;
    }
    tk_geom_prepared *out = tk_xmalloc(sizeof *out);
    out->g = copy;
    out->p = p;
    return out;
}

void tk_geom_prepared_free(tk_geom_prepared *p)
{
    if (!p)
        return;
    GEOSContextHandle_t h = tk_geos();
    GEOSPreparedGeom_destroy_r(h, p->p);
    GEOSGeom_destroy_r(h, p->g);
    free(p);
}

bool tk_geom_prepared_covers(const tk_geom_prepared *p, const tk_geom *g)
{
    return GEOSPreparedCovers_r(tk_geos(), p->p, g->g) == 1;
}

/* ---- deriving ---- */

tk_status tk_geom_difference(const tk_geom *a, const tk_geom *b, tk_geom **out, tk_error *err)
{
    *out = NULL;
    tk_geos_clear_error();
    GEOSGeometry *d = GEOSDifference_r(tk_geos(), a->g, b->g);
    if (!d)
        return tk_geos_fail(err, "求差");
    *out = tk_geom_adopt(d);
    return TK_OK;
}

tk_status tk_geom_union(const tk_geom *const *parts, size_t n, tk_geom **out, tk_error *err)
{
    *out = NULL;
    if (n == 0)
        return tk_fail(err, TK_EINVAL, "empty_union", "没有可合并的几何");
    if (n > 0x7fffffff)
        return tk_fail(err, TK_ETOOBIG, "union_too_big", "合并的几何过多");
    GEOSContextHandle_t h = tk_geos();
    GEOSGeometry **clones = tk_xmalloc(n * sizeof *clones);
    for (size_t i = 0; i < n; i++) {
        clones[i] = GEOSGeom_clone_r(h, parts[i]->g);
        if (!clones[i]) {
            while (i > 0)
                GEOSGeom_destroy_r(h, clones[--i]);
            free(clones);
            return tk_geos_fail(err, "复制");
        }
    }
    tk_geos_clear_error();
    /* The collection takes the clones (but not the array), even when it fails. */
    GEOSGeometry *all =
        GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, clones, (unsigned)n);
    free(clones);
    if (!all)
        return tk_geos_fail(err, "合并");
    GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
    GEOSGeom_destroy_r(h, all);
    if (!u)
        return tk_geos_fail(err, "合并");
    *out = tk_geom_adopt(u);
    return TK_OK;
}

tk_status tk_geom_simplify(const tk_geom *g, double tolerance_m, tk_geom **out, tk_error *err)
{
    *out = NULL;
    if (!isfinite(tolerance_m) || tolerance_m < 0)
        return tk_fail(err, TK_EINVAL, "invalid_tolerance", "简化容差必须是非负数");
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    GEOSGeometry *s = GEOSTopologyPreserveSimplify_r(h, g->g, tolerance_m / TK_GEO_M_PER_DEG);
    if (!s)
        return tk_geos_fail(err, "简化");
    *out = tk_geom_adopt(s);
    return TK_OK;
}

typedef struct {
    tk_geom_xy_fn fn;
    void *ctx;
} transform_call;

static int transform_one(double *x, double *y, void *userdata)
{
    transform_call *c = userdata;
    c->fn(x, y, c->ctx);
    return 1;
}

tk_status tk_geom_transform(const tk_geom *g, tk_geom_xy_fn fn, void *ctx, tk_geom **out,
                            tk_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = tk_geos();
    transform_call call = {fn, ctx};
    tk_geos_clear_error();
    GEOSGeometry *t = GEOSGeom_transformXY_r(h, g->g, transform_one, &call);
    if (!t)
        return tk_geos_fail(err, "坐标变换");
    *out = tk_geom_adopt(t);
    return TK_OK;
}
