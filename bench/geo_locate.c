/*
 * geo_locate.c - the point -> grid benchmark (`bench-geo-locate`): how long
 * tk_locator_locate takes at the scale of 衢州 (4,589 grids) and of a province
 * (85,000 grids, Zhejiang's count), against the linear scan over the same polygons.
 *
 * 衢州: each of the 6 county outlines in data/quzhou-counties.geojson is cut into Voronoi
 * cells, seeds spread in proportion to county area (largest remainder, 4,589 in all).
 * Province: the union of the 6 outlines enlarged about its centroid to Zhejiang's area
 * (105,500 km²) and cut into 85,000 cells. Query points are uniform inside each outline
 * (a few fall into slivers between counties and find nothing); both methods get the same
 * points, the linear scan only the first few thousand because it is slow.
 *
 * Usage: bench-geo-locate [counties.geojson]   (default: the source tree's data/ file)
 * Everything allocated here is freed before exit.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <geos_c.h>

#include "core/clock.h"
#include "core/mem.h"
#include "geo/geom.h"
#include "geo/locate.h"
#include "geo/tessellate.h"

#ifndef TK_SOURCE_ROOT
#define TK_SOURCE_ROOT "."
#endif

enum {
    QUZHOU_GRIDS = 4589,
    PROVINCE_GRIDS = 85000,
    INDEX_POINTS = 200000,
    MAX_THREADS = 4,
};
#define ZHEJIANG_KM2 105500.0

typedef struct {
    tk_geom **cells;
    size_t n;
} grid_set;

static double seconds_since(int64_t start_ns)
{
    return (double)(tk_monotonic_ns() - start_ns) / 1e9;
}

static void die(const char *what, const tk_error *err)
{
    fprintf(stderr, "bench-geo-locate: %s: %s\n", what, err ? err->detail : "");
    exit(1);
}

static size_t load_counties(const char *path, tk_geom **out, size_t max)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "bench-geo-locate: %s: %s\n", path, jerr.text);
        exit(1);
    }
    json_t *features = json_object_get(root, "features");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(features) && n < max; i++) {
        char *text =
            json_dumps(json_object_get(json_array_get(features, i), "geometry"), JSON_COMPACT);
        tk_error err;
        if (!text || tk_geom_import_polygon(text, strlen(text), &out[n], &err) != TK_OK)
            die("county outline", &err);
        free(text);
        n++;
    }
    json_decref(root);
    return n;
}

/* Splits total among n parts in proportion to weight (largest remainder). */
static void apportion(const double *weight, size_t n, size_t total, size_t *share)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weight[i];
    size_t given = 0;
    double rest[16];
    for (size_t i = 0; i < n; i++) {
        double exact = (double)total * weight[i] / sum;
        share[i] = (size_t)floor(exact);
        rest[i] = exact - floor(exact);
        given += share[i];
    }
    while (given < total) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (rest[i] > rest[best])
                best = i;
        share[best]++;
        rest[best] = -1;
        given++;
    }
}

/* Cuts area into n cells and appends them to set. */
static void cut(const tk_geom *area, size_t n, uint64_t seed, grid_set *set)
{
    double *xy = tk_xmalloc(2 * n * sizeof *xy);
    tk_error err;
    if (tk_geom_random_points(area, seed, n, xy, &err) != TK_OK)
        die("seed points", &err);
    set->cells = tk_xrealloc(set->cells, (set->n + n) * sizeof *set->cells);
    if (tk_tessellate(area, xy, n, set->cells + set->n, &err) != TK_OK)
        die("tessellate", &err);
    set->n += n;
    free(xy);
}

static tk_locator *build_locator(const grid_set *set, double *build_s)
{
    tk_locator_item *items = tk_xmalloc(set->n * sizeof *items);
    for (size_t i = 0; i < set->n; i++)
        items[i] = (tk_locator_item){(int64_t)i + 1, set->cells[i]};
    tk_locator *loc = NULL;
    tk_error err;
    int64_t t0 = tk_monotonic_ns();
    if (tk_locator_build(items, set->n, &loc, &err) != TK_OK)
        die("build locator", &err);
    *build_s = seconds_since(t0);
    free(items);
    return loc;
}

typedef struct {
    const tk_locator *loc;
    const double *xy;
    size_t from, to;
    int64_t *answers; /* may be NULL */
    size_t found;
} run_job;

static void *run_index(void *p)
{
    run_job *job = p;
    for (size_t i = job->from; i < job->to; i++) {
        int64_t id = tk_locator_locate(job->loc, job->xy[2 * i], job->xy[2 * i + 1]);
        if (job->answers)
            job->answers[i] = id;
        job->found += id >= 0;
    }
    return NULL;
}

/* Lookups per second over all points with nthreads threads, each taking a slice. */
static double index_throughput(const tk_locator *loc, const double *xy, size_t n, int nthreads)
{
    pthread_t t[MAX_THREADS];
    run_job jobs[MAX_THREADS];
    int64_t t0 = tk_monotonic_ns();
    for (int k = 0; k < nthreads; k++) {
        jobs[k] = (run_job){
            loc,  xy, n * (size_t)k / (size_t)nthreads, n * (size_t)(k + 1) / (size_t)nthreads,
            NULL, 0};
        if (pthread_create(&t[k], NULL, run_index, &jobs[k]) != 0)
            die("pthread_create", NULL);
    }
    for (int k = 0; k < nthreads; k++)
        pthread_join(t[k], NULL);
    return (double)n / seconds_since(t0);
}

static void measure(const char *title, const grid_set *set, const tk_geom *outline,
                    size_t linear_points, double cut_s, int nthreads)
{
    double build_s;
    tk_locator *loc = build_locator(set, &build_s);
    double *xy = tk_xmalloc(2 * INDEX_POINTS * sizeof *xy);
    tk_error err;
    if (tk_geom_random_points(outline, 0x5eed, INDEX_POINTS, xy, &err) != TK_OK)
        die("query points", &err);
    int64_t *answers = tk_xmalloc(INDEX_POINTS * sizeof *answers);

    run_job warm = {loc, xy, 0, INDEX_POINTS / 10, NULL, 0};
    run_index(&warm); /* warm the CPU caches, not GEOS (build did that) */

    run_job job = {loc, xy, 0, INDEX_POINTS, answers, 0};
    int64_t t0 = tk_monotonic_ns();
    run_index(&job);
    double index_us = seconds_since(t0) * 1e6 / INDEX_POINTS;

    size_t agree = 0;
    t0 = tk_monotonic_ns();
    for (size_t i = 0; i < linear_points; i++)
        agree += tk_locator_locate_linear(loc, xy[2 * i], xy[2 * i + 1]) == answers[i];
    double linear_us = seconds_since(t0) * 1e6 / (double)linear_points;

    double per_s = nthreads > 1 ? index_throughput(loc, xy, INDEX_POINTS, nthreads) : 0;

    printf("%s: %zu grids (tessellated in %.2f s, index built in %.3f s)\n", title, set->n, cut_s,
           build_s);
    printf("  index        %7d points  %8.2f µs/lookup  (%.1f%% found a grid)\n", INDEX_POINTS,
           index_us, 100.0 * (double)job.found / INDEX_POINTS);
    printf("  linear scan  %7zu points  %8.2f µs/lookup  (only the first %zu of the same points: "
           "it is slow)\n",
           linear_points, linear_us, linear_points);
    printf("  linear / index = %.0fx; answers agree on %zu of %zu points\n", linear_us / index_us,
           agree, linear_points);
    if (nthreads > 1)
        printf("  index, %d threads: %.0f lookups/s in all (%.2f µs/lookup per thread)\n", nthreads,
               per_s, 1e6 * nthreads / per_s);
    free(answers);
    free(xy);
    tk_locator_unref(loc);
}

typedef struct {
    double cx, cy, scale;
} enlarge;

static void enlarge_xy(double *lng, double *lat, void *ctx)
{
    const enlarge *e = ctx;
    *lng = e->cx + (*lng - e->cx) * e->scale;
    *lat = e->cy + (*lat - e->cy) * e->scale;
}

static void grid_set_free(grid_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        tk_geom_free(set->cells[i]);
    free(set->cells);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : TK_SOURCE_ROOT "/data/quzhou-counties.geojson";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = cpus < 2 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
    printf("Point -> grid lookup benchmark (GEOS %s, %ld CPUs)\n\n", GEOSversion(), cpus);

    tk_geom *counties[16];
    size_t ncounties = load_counties(path, counties, 16);
    double area[16];
    size_t share[16];
    for (size_t i = 0; i < ncounties; i++)
        area[i] = tk_geom_area_m2(counties[i]);
    apportion(area, ncounties, QUZHOU_GRIDS, share);

    grid_set quzhou = {NULL, 0};
    int64_t t0 = tk_monotonic_ns();
    for (size_t i = 0; i < ncounties; i++)
        cut(counties[i], share[i], 2021 + i, &quzhou);
    double cut_s = seconds_since(t0);

    tk_geom *outline = NULL;
    tk_error err;
    if (tk_geom_union((const tk_geom *const *)counties, ncounties, &outline, &err) != TK_OK)
        die("union", &err);
    measure("衢州 demo grids", &quzhou, outline, 20000, cut_s, nthreads);
    grid_set_free(&quzhou);
    printf("\n");

    enlarge e = {0, 0, sqrt(ZHEJIANG_KM2 * 1e6 / tk_geom_area_m2(outline))};
    tk_geom_centroid(outline, &e.cx, &e.cy);
    tk_geom *province = NULL;
    if (tk_geom_transform(outline, enlarge_xy, &e, &province, &err) != TK_OK)
        die("enlarge", &err);
    grid_set big = {NULL, 0};
    t0 = tk_monotonic_ns();
    cut(province, PROVINCE_GRIDS, 2022, &big);
    cut_s = seconds_since(t0);
    char title[128];
    snprintf(title, sizeof title, "synthetic province (衢州 outline x%.2f, %.0f km²)", e.scale,
             tk_geom_area_m2(province) / 1e6);
    measure(title, &big, province, 2000, cut_s, nthreads);
    grid_set_free(&big);

    tk_geom_free(province);
    tk_geom_free(outline);
    for (size_t i = 0; i < ncounties; i++)
        tk_geom_free(counties[i]);
    return 0;
}
