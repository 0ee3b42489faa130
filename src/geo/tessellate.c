/*
 * tessellate.c - seeded random points and clipped Voronoi cells (see tessellate.h).
 * Cells handed back belong to the caller; every GEOS object made here is destroyed here.
 */
#include "geo/tessellate.h"

#include <math.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/rand.h"
#include "geo/internal.h"

static tk_status check_area(const tk_geom *area, tk_error *err)
{
    if (!area || !tk_geom_is_polygonal(area) || tk_geom_is_empty(area))
        return tk_fail(err, TK_EINVAL, "bad_area", "区域必须是非空的 Polygon 或 MultiPolygon");
    return TK_OK;
}

tk_status tk_geom_random_points(const tk_geom *area, uint64_t seed, size_t n, double *xy,
                                tk_error *err)
{
    tk_status st = check_area(area, err);
    if (st != TK_OK)
        return st;
    tk_bbox b;
    if (!tk_geom_bbox(area, &b))
        return tk_fail(err, TK_EINVAL, "bad_area", "区域为空");
    GEOSContextHandle_t h = tk_geos();
    const GEOSPreparedGeometry *prepared = GEOSPrepare_r(h, area->g);
    if (!prepared)
        return tk_geos_fail(err, "预处理区域");

    tk_rand r;
    tk_rand_seed(&r, seed);
    /* Rejection sampling over the bounding box: a grid covers a good share of its box,
     * so a budget of 1,000 tries per point only runs out for slivers. */
    size_t budget = n * 1000 + 100000;
    size_t got = 0;
    while (got < n && budget-- > 0) {
        double x = tk_rand_uniform(&r, b.min_lng, b.max_lng);
        double y = tk_rand_uniform(&r, b.min_lat, b.max_lat);
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
        if (!pt)
            break;
        bool in = GEOSPreparedContainsProperly_r(h, prepared, pt) == 1;
        GEOSGeom_destroy_r(h, pt);
        if (in) {
            xy[2 * got] = x;
            xy[2 * got + 1] = y;
            got++;
        }
    }
    GEOSPreparedGeom_destroy_r(h, prepared);
    if (got < n)
        return tk_fail(err, TK_EINVAL, "area_too_thin", "区域过于狭小，无法在其中取得 %zu 个随机点",
                       n);
    return TK_OK;
}

/* ---- Voronoi ---- */

typedef struct {
    const double *xy;
    double cx, cy; /* the cell's centroid */
    size_t best;
    double best_d2;
} nearest_site;

static void on_site(void *item, void *userdata)
{
    nearest_site *q = userdata;
    size_t i = *(const size_t *)item;
    double dx = q->xy[2 * i] - q->cx, dy = q->xy[2 * i + 1] - q->cy;
    double d2 = dx * dx + dy * dy;
    if (d2 < q->best_d2 || (d2 == q->best_d2 && i < q->best)) {
        q->best_d2 = d2;
        q->best = i;
    }
}

typedef struct {
    GEOSGeometry *sites;   /* MultiPoint */
    GEOSGeometry *frame;   /* rectangle around the area */
    GEOSGeometry *diagram; /* GeometryCollection of cells, in no useful order */
    GEOSSTRtree *site_tree;
    size_t *site_index;           /* items of site_tree */
    const GEOSGeometry **cell_of; /* site i -> its cell in diagram */
    const GEOSPreparedGeometry *prepared_area;
} work;

static void work_free(GEOSContextHandle_t h, work *w)
{
    if (w->site_tree)
        GEOSSTRtree_destroy_r(h, w->site_tree);
    if (w->prepared_area)
        GEOSPreparedGeom_destroy_r(h, w->prepared_area);
    if (w->diagram)
        GEOSGeom_destroy_r(h, w->diagram);
    if (w->frame)
        GEOSGeom_destroy_r(h, w->frame);
    if (w->sites)
        GEOSGeom_destroy_r(h, w->sites);
    free(w->site_index);
    free(w->cell_of);
}

static tk_status check_seeds(GEOSContextHandle_t h, work *w, const double *xy, size_t n,
                             tk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        GEOSGeometry *pt =
            isfinite(x) && isfinite(y) ? GEOSGeom_createPointFromXY_r(h, x, y) : NULL;
        bool in = pt && GEOSPreparedCovers_r(h, w->prepared_area, pt) == 1;
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        if (!in)
            return tk_fail(err, TK_EINVAL, "seed_outside",
                           "第 %zu 个种子点（%.6f, %.6f）不在区域内", i + 1, x, y);
    }
    return TK_OK;
}

static tk_status make_sites(GEOSContextHandle_t h, work *w, const double *xy, size_t n,
                            tk_error *err)
{
    GEOSGeometry **pts = tk_xmalloc(n * sizeof *pts);
    for (size_t i = 0; i < n; i++) {
        pts[i] = GEOSGeom_createPointFromXY_r(h, xy[2 * i], xy[2 * i + 1]);
        if (!pts[i]) {
            while (i > 0)
                GEOSGeom_destroy_r(h, pts[--i]);
            free(pts);
            return tk_geos_fail(err, "种子点");
        }
    }
    w->sites = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, (unsigned)n);
    free(pts); /* the collection owns the points now */
    if (!w->sites)
        return tk_geos_fail(err, "种子点");
    return TK_OK;
}

/* A Voronoi cell is convex and every point of it is nearer its own site than any other,
 * so the site nearest to the cell's centroid is the cell's site. Only sites inside the
 * cell's envelope can be nearest (the cell's own site is one of them). */
static tk_status match_cells(GEOSContextHandle_t h, work *w, const double *xy, size_t n,
                             tk_error *err)
{
    w->site_tree = GEOSSTRtree_create_r(h, 10);
    if (!w->site_tree)
        return tk_geos_fail(err, "空间索引");
    w->site_index = tk_xmalloc(n * sizeof *w->site_index);
    for (size_t i = 0; i < n; i++) {
        w->site_index[i] = i;
        GEOSSTRtree_insert_r(h, w->site_tree, GEOSGetGeometryN_r(h, w->sites, (int)i),
                             &w->site_index[i]);
    }
    w->cell_of = tk_xcalloc(n, sizeof *w->cell_of);
    for (size_t k = 0; k < n; k++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(h, w->diagram, (int)k);
        nearest_site q = {xy, 0, 0, n, INFINITY};
        GEOSGeometry *c = GEOSGetCentroid_r(h, cell);
        bool ok = c && GEOSGeomGetX_r(h, c, &q.cx) == 1 && GEOSGeomGetY_r(h, c, &q.cy) == 1;
        if (c)
            GEOSGeom_destroy_r(h, c);
        if (!ok)
            return tk_geos_fail(err, "泰森多边形");
        GEOSSTRtree_query_r(h, w->site_tree, cell, on_site, &q);
        if (q.best == n || w->cell_of[q.best])
            return tk_fail(err, TK_EINTERNAL, "voronoi_mismatch", "泰森多边形与种子点无法一一对应");
        w->cell_of[q.best] = cell;
    }
    return TK_OK;
}

static GEOSGeometry *clip_cell(GEOSContextHandle_t h, work *w, const GEOSGeometry *cell,
                               const GEOSGeometry *area)
{
    /* Most cells lie wholly inside; only those crossing the boundary need the overlay. */
    if (GEOSPreparedContainsProperly_r(h, w->prepared_area, cell) == 1)
        return GEOSGeom_clone_r(h, cell);
    return tk_geos_polygonal(GEOSIntersection_r(h, cell, area));
}

tk_status tk_tessellate(const tk_geom *area, const double *xy, size_t n, tk_geom **cells,
                        tk_error *err)
{
    for (size_t i = 0; i < n; i++)
        cells[i] = NULL;
    tk_status st = check_area(area, err);
    if (st != TK_OK)
        return st;
    if (n == 0)
        return tk_fail(err, TK_EINVAL, "no_seeds", "至少需要 1 个种子点");
    if (n > 0x7fffffff)
        return tk_fail(err, TK_ETOOBIG, "too_many_seeds", "种子点过多");
    GEOSContextHandle_t h = tk_geos();
    tk_geos_clear_error();
    work w = {0};
    w.prepared_area = GEOSPrepare_r(h, area->g);
    if (!w.prepared_area) {
        st = tk_geos_fail(err, "预处理区域");
        goto fail;
    }
    st = check_seeds(h, &w, xy, n, err);
    if (st != TK_OK)
        goto fail;
    if (n == 1) {
        cells[0] = tk_geom_clone(area);
        work_free(h, &w);
        return cells[0] ? TK_OK : tk_geos_fail(err, "复制区域");
    }
    st = make_sites(h, &w, xy, n, err);
    if (st != TK_OK)
        goto fail;

    /* A frame well outside the area, so that clipping to it never cuts into the area. */
    tk_bbox b;
    tk_geom_bbox(area, &b);
    double margin = fmax(b.max_lng - b.min_lng, b.max_lat - b.min_lat) * 0.1 + 0.01;
    w.frame = GEOSGeom_createRectangle_r(h, b.min_lng - margin, b.min_lat - margin,
                                         b.max_lng + margin, b.max_lat + margin);
    if (!w.frame) {
        st = tk_geos_fail(err, "泰森多边形");
        goto fail;
    }
    w.diagram = GEOSVoronoiDiagram_r(h, w.sites, w.frame, 0.0, 0);
    if (!w.diagram) {
        st = tk_geos_fail(err, "泰森多边形");
        goto fail;
    }
    int got = GEOSGetNumGeometries_r(h, w.diagram);
    if (got < 0 || (size_t)got != n) {
        st = tk_fail(err, TK_EINVAL, "duplicate_seeds", "种子点有重复：%zu 个点只得到 %d 个网格", n,
                     got);
        goto fail;
    }
    st = match_cells(h, &w, xy, n, err);
    if (st != TK_OK)
        goto fail;

    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *clipped = clip_cell(h, &w, w.cell_of[i], area->g);
        if (!clipped) {
            st = tk_geos_fail(err, "裁剪网格");
            goto fail;
        }
        cells[i] = tk_geom_adopt(clipped);
        if (GEOSisEmpty_r(h, clipped) != 0) {
            st = tk_fail(err, TK_EINTERNAL, "empty_cell", "第 %zu 个网格裁剪后为空", i + 1);
            goto fail;
        }
    }
    work_free(h, &w);
    return TK_OK;

fail:
    for (size_t i = 0; i < n; i++) {
        tk_geom_free(cells[i]);
        cells[i] = NULL;
    }
    work_free(h, &w);
    return st;
}
