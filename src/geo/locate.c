/*
 * locate.c - the point locator and its swap holder (see locate.h). The locator owns
 * copies of its polygons, their prepared geometries and the STRtree; all are destroyed
 * with the last reference.
 */
#include "geo/locate.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/mem.h"
#include "geo/internal.h"

typedef struct {
    int64_t id;
    GEOSGeometry *g;
    const GEOSPreparedGeometry *prepared;
    tk_bbox box;
} entry;

struct tk_locator {
    atomic_size_t refs;
    entry *entries;
    size_t n;
    GEOSSTRtree *tree; /* items point into entries; read-only after build */
};

static void locator_destroy(tk_locator *loc)
{
    GEOSContextHandle_t h = tk_geos();
    if (loc->tree)
        GEOSSTRtree_destroy_r(h, loc->tree);
    for (size_t i = 0; i < loc->n; i++) {
        if (loc->entries[i].prepared)
            GEOSPreparedGeom_destroy_r(h, loc->entries[i].prepared);
        if (loc->entries[i].g)
            GEOSGeom_destroy_r(h, loc->entries[i].g);
    }
    free(loc->entries);
    free(loc);
}

/* Computes and caches the envelope of g and of every part and ring below it, so that no
 * query ever has to (GEOS caches envelopes lazily in some versions). */
static void warm_envelopes(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double v;
    GEOSGeom_getXMin_r(h, g, &v);
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            warm_envelopes(h, GEOSGetGeometryN_r(h, g, i));
    } else if (t == GEOS_POLYGON) {
        const GEOSGeometry *shell = GEOSGetExteriorRing_r(h, g);
        if (shell)
            GEOSGeom_getXMin_r(h, shell, &v);
        int holes = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < holes; i++)
            GEOSGeom_getXMin_r(h, GEOSGetInteriorRingN_r(h, g, i), &v);
    }
}

/* Runs the point predicate once with a point inside and once with a point on the
 * boundary, which creates the prepared polygon's lazily built point locator and index
 * along every path a later query can take. Returns false if the inside point was not
 * found, which would mean a broken geometry. */
static bool warm_prepared(GEOSContextHandle_t h, const entry *e)
{
    bool ok = false;
    GEOSGeometry *inside = GEOSPointOnSurface_r(h, e->g);
    if (inside) {
        ok = GEOSPreparedCovers_r(h, e->prepared, inside) == 1;
        GEOSGeom_destroy_r(h, inside);
    }
    GEOSGeometry *boundary = GEOSGeom_createPointFromXY_r(h, e->box.min_lng, e->box.min_lat);
    const GEOSGeometry *poly = e->g;
    if (GEOSGeomTypeId_r(h, poly) == GEOS_MULTIPOLYGON)
        poly = GEOSGetGeometryN_r(h, poly, 0);
    const GEOSGeometry *shell = poly ? GEOSGetExteriorRing_r(h, poly) : NULL;
    const GEOSCoordSequence *seq = shell ? GEOSGeom_getCoordSeq_r(h, shell) : NULL;
    double x, y;
    if (seq && GEOSCoordSeq_getXY_r(h, seq, 0, &x, &y) == 1) {
        if (boundary)
            GEOSGeom_destroy_r(h, boundary);
        boundary = GEOSGeom_createPointFromXY_r(h, x, y);
    }
    if (boundary) {
        GEOSPreparedCovers_r(h, e->prepared, boundary);
        GEOSGeom_destroy_r(h, boundary);
    }
    return ok;
}

static tk_status add_entry(GEOSContextHandle_t h, tk_locator *loc, const tk_locator_item *item,
                           size_t i, tk_error *err)
{
    if (item->id < 0 || !item->geom || !tk_geom_is_polygonal(item->geom) ||
        tk_geom_is_empty(item->geom))
        return tk_fail(
            err, TK_EINVAL, "locator_bad_item",
            "第 %zu 个区域（id %lld）无效：需要非空的 Polygon 或 MultiPolygon 且 id 不为负", i + 1,
            (long long)item->id);
    entry *e = &loc->entries[loc->n];
    e->id = item->id;
    tk_geos_clear_error();
    e->g = GEOSGeom_clone_r(h, item->geom->g);
    if (!e->g)
        return tk_geos_fail(err, "复制区域");
    loc->n++; /* from here on destroy frees what e holds */
    e->prepared = GEOSPrepare_r(h, e->g);
    if (!e->prepared)
        return tk_geos_fail(err, "预处理区域");
    warm_envelopes(h, e->g);
    if (GEOSGeom_getXMin_r(h, e->g, &e->box.min_lng) != 1 ||
        GEOSGeom_getYMin_r(h, e->g, &e->box.min_lat) != 1 ||
        GEOSGeom_getXMax_r(h, e->g, &e->box.max_lng) != 1 ||
        GEOSGeom_getYMax_r(h, e->g, &e->box.max_lat) != 1)
        return tk_geos_fail(err, "外包框");
    if (!warm_prepared(h, e))
        return tk_fail(err, TK_EINVAL, "locator_bad_item", "第 %zu 个区域（id %lld）的几何无效",
                       i + 1, (long long)item->id);
    GEOSSTRtree_insert_r(h, loc->tree, e->g, e);
    return TK_OK;
}

static void ignore_item(void *item, void *userdata)
{
    (void)item;
    (void)userdata;
}

tk_status tk_locator_build(const tk_locator_item *items, size_t n, tk_locator **out, tk_error *err)
{
    *out = NULL;
    GEOSContextHandle_t h = tk_geos();
    tk_locator *loc = tk_xcalloc(1, sizeof *loc);
    atomic_init(&loc->refs, 1);
    loc->entries = tk_xcalloc(n ? n : 1, sizeof *loc->entries);
    loc->tree = GEOSSTRtree_create_r(h, 10);
    if (!loc->tree) {
        locator_destroy(loc);
        return tk_geos_fail(err, "空间索引");
    }
    for (size_t i = 0; i < n; i++) {
        tk_status st = add_entry(h, loc, &items[i], i, err);
        if (st != TK_OK) {
            locator_destroy(loc);
            return st;
        }
    }
    if (n > 0) {
        /* The first query builds the STRtree (without a lock): do it now, on this thread. */
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, loc->entries[0].box.min_lng,
                                                        loc->entries[0].box.min_lat);
        if (!pt) {
            locator_destroy(loc);
            return tk_geos_fail(err, "空间索引");
        }
        GEOSSTRtree_query_r(h, loc->tree, pt, ignore_item, NULL);
        GEOSGeom_destroy_r(h, pt);
    }
    *out = loc;
    return TK_OK;
}

typedef struct {
    GEOSContextHandle_t h;
    const GEOSGeometry *pt;
    int64_t best;
} query;

static void on_candidate(void *item, void *userdata)
{
    const entry *e = item;
    query *q = userdata;
    if (q->best >= 0 && e->id >= q->best)
        return; /* cannot win the tie */
    if (GEOSPreparedCovers_r(q->h, e->prepared, q->pt) == 1)
        q->best = e->id;
}

int64_t tk_locator_locate(const tk_locator *loc, double lng, double lat)
{
    if (!loc || loc->n == 0 || !isfinite(lng) || !isfinite(lat))
        return -1;
    GEOSContextHandle_t h = tk_geos();
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, lng, lat);
    if (!pt)
        return -1;
    query q = {h, pt, -1};
    GEOSSTRtree_query_r(h, loc->tree, pt, on_candidate, &q);
    GEOSGeom_destroy_r(h, pt);
    return q.best;
}

int64_t tk_locator_locate_linear(const tk_locator *loc, double lng, double lat)
{
    if (!loc || loc->n == 0 || !isfinite(lng) || !isfinite(lat))
        return -1;
    GEOSContextHandle_t h = tk_geos();
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, lng, lat);
    if (!pt)
        return -1;
    int64_t best = -1;
    for (size_t i = 0; i < loc->n; i++) {
        const entry *e = &loc->entries[i];
        if (lng < e->box.min_lng || lng > e->box.max_lng || lat < e->box.min_lat ||
            lat > e->box.max_lat)
            continue;
        if (best >= 0 && e->id >= best)
            continue;
        if (GEOSCovers_r(h, e->g, pt) == 1)
            best = e->id;
    }
    GEOSGeom_destroy_r(h, pt);
    return best;
}

size_t tk_locator_count(const tk_locator *loc)
{
    return loc ? loc->n : 0;
}

tk_locator *tk_locator_ref(tk_locator *loc)
{
    if (loc)
        atomic_fetch_add_explicit(&loc->refs, 1, memory_order_relaxed);
    return loc;
}

void tk_locator_unref(tk_locator *loc)
{
    if (!loc)
        return;
    /* acq_rel: the thread that frees must see every other holder's reads as finished. */
    if (atomic_fetch_sub_explicit(&loc->refs, 1, memory_order_acq_rel) == 1)
        locator_destroy(loc);
}

/* ---- holder ---- */

struct tk_locator_holder {
    pthread_mutex_t mu; /* guards current and the increment in acquire, nothing longer */
    tk_locator *current;
};

tk_locator_holder *tk_locator_holder_new(tk_locator *initial)
{
    tk_locator_holder *hd = tk_xcalloc(1, sizeof *hd);
    pthread_mutex_init(&hd->mu, NULL);
    hd->current = initial;
    return hd;
}

void tk_locator_holder_free(tk_locator_holder *hd)
{
    if (!hd)
        return;
    tk_locator_unref(hd->current);
    pthread_mutex_destroy(&hd->mu);
    free(hd);
}

tk_locator *tk_locator_holder_acquire(tk_locator_holder *hd)
{
    /* The lock makes "read the pointer, count the reference" one step; without it a swap
     * could drop the last reference between the two and free what we are about to count. */
    pthread_mutex_lock(&hd->mu);
    tk_locator *loc = tk_locator_ref(hd->current);
    pthread_mutex_unlock(&hd->mu);
    return loc;
}

void tk_locator_holder_swap(tk_locator_holder *hd, tk_locator *next)
{
    pthread_mutex_lock(&hd->mu);
    tk_locator *old = hd->current;
    hd->current = next;
    pthread_mutex_unlock(&hd->mu);
    tk_locator_unref(old); /* outside the lock: freeing a big index takes milliseconds */
}
