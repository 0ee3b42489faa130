/*
 * test_geo.c - src/geo and core/rand: GeoJSON/WKB round trips, polygon import
 * validation, areas and overlap checks, the point locator (borders, ties, threads, the
 * swap holder) and Voronoi tessellation of a real county outline from
 * data/quzhou-counties.geojson (found through TK_SOURCE_ROOT, set by meson).
 *
 * Coordinates are around 衢州 (118.8°E, 28.9°N), where 0.00001° is about 1 metre.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "geo/geom.h"
#include "geo/locate.h"
#include "geo/tessellate.h"

#ifndef TK_SOURCE_ROOT
#error "TK_SOURCE_ROOT must be defined by the build"
#endif

#define COUNTIES_PATH TK_SOURCE_ROOT "/data/quzhou-counties.geojson"
#define ONE_METRE     0.00001

static tk_geom *from_geojson(const char *text)
{
    tk_geom *g = NULL;
    tk_error err;
    tk_error_clear(&err);
    tk_status st = tk_geom_from_geojson(text, strlen(text), &g, &err);
    cr_assert_eq(st, TK_OK, "%s: %s", text, err.detail);
    return g;
}

static tk_geom *rect(double x0, double y0, double x1, double y1)
{
    tk_geom *g = tk_geom_rect((tk_bbox){x0, y0, x1, y1});
    cr_assert_not_null(g);
    return g;
}

/* The county with this adcode, imported (and so validated) like an upload would be. */
static tk_geom *load_county(long long adcode)
{
    json_error_t jerr;
    json_t *root = json_load_file(COUNTIES_PATH, 0, &jerr);
    cr_assert_not_null(root, "%s: %s", COUNTIES_PATH, jerr.text);
    json_t *features = json_object_get(root, "features");
    tk_geom *found = NULL;
    for (size_t i = 0; i < json_array_size(features) && !found; i++) {
        json_t *f = json_array_get(features, i);
        json_t *code = json_object_get(json_object_get(f, "properties"), "adcode");
        if (json_integer_value(code) != adcode)
            continue;
        char *text = json_dumps(json_object_get(f, "geometry"), JSON_COMPACT);
        tk_error err;
        tk_error_clear(&err);
        tk_status st = tk_geom_import_polygon(text, strlen(text), &found, &err);
        cr_assert_eq(st, TK_OK, "county %lld: %s", adcode, err.detail);
        free(text);
    }
    json_decref(root);
    cr_assert_not_null(found, "county %lld not in %s", adcode, COUNTIES_PATH);
    return found;
}

static void free_all(tk_geom **g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tk_geom_free(g[i]);
    free(g);
}

/* ---- core/rand ---- */

Test(geo_rand, splitmix64_reference_values)
{
    /* From the reference implementation (Vigna) seeded with 1234567. */
    uint64_t s = 1234567;
    cr_assert_eq(tk_splitmix64(&s), 6457827717110365317ULL);
    cr_assert_eq(tk_splitmix64(&s), 3203168211198807973ULL);
    cr_assert_eq(tk_splitmix64(&s), 9817491932198370423ULL);
}

Test(geo_rand, xoshiro_reference_values)
{
    /* xoshiro256** whose state is four splitmix64 outputs from 42 (checked in Python). */
    tk_rand r;
    tk_rand_seed(&r, 42);
    cr_assert_eq(tk_rand_u64(&r), 1546998764402558742ULL);
    cr_assert_eq(tk_rand_u64(&r), 6990951692964543102ULL);
    cr_assert_eq(tk_rand_u64(&r), 12544586762248559009ULL);
}

Test(geo_rand, deterministic_and_in_range)
{
    tk_rand a, b, c, d;
    tk_rand_seed(&a, 7);
    tk_rand_seed(&b, 7);
    tk_rand_seed(&c, 8);
    tk_rand_seed(&d, 9);
    int same_as_other_seed = 0;
    int hits[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint64_t x = tk_rand_u64(&a);
        cr_assert_eq(x, tk_rand_u64(&b));
        same_as_other_seed += x == tk_rand_u64(&c);
        double u = tk_rand_unit(&d);
        cr_assert(u >= 0 && u < 1);
        double v = tk_rand_uniform(&d, 118.5, 118.6);
        cr_assert(v >= 118.5 && v < 118.6);
        uint64_t k = tk_rand_below(&d, 10);
        cr_assert_lt(k, 10);
        hits[k]++;
    }
    cr_assert_eq(same_as_other_seed, 0);
    for (int k = 0; k < 10; k++)
        cr_assert(hits[k] > 800 && hits[k] < 1200, "bucket %d: %d", k, hits[k]);
    cr_assert_eq(tk_rand_below(&d, 0), 0);
    cr_assert_eq(tk_rand_below(&d, 1), 0);
}

/* ---- geom: reading and writing ---- */

static void assert_same_wkb(const tk_geom *a, const tk_geom *b)
{
    unsigned char *wa, *wb;
    size_t la, lb;
    tk_error err;
    cr_assert_eq(tk_geom_to_wkb(a, &wa, &la, &err), TK_OK);
    cr_assert_eq(tk_geom_to_wkb(b, &wb, &lb, &err), TK_OK);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(wa, wb, la), 0);
    free(wa);
    free(wb);
}

Test(geo_geom, geojson_round_trip)
{
    const char *texts[] = {
        "{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,28.9],[118.9,29.0],"
        "[118.8,29.0],[118.8,28.9]],[[118.82,28.92],[118.82,28.94],[118.84,28.94],"
        "[118.84,28.92],[118.82,28.92]]]}",
        "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[118.1,28.1],[118.2,28.1],[118.2,28.2],"
        "[118.1,28.1]]],[[[118.123456789012,28.5],[118.6,28.5],[118.6,28.6],"
        "[118.123456789012,28.5]]]]}",
        "{\"type\":\"Point\",\"coordinates\":[118.87304,28.944539]}",
    };
    const char *types[] = {"Polygon", "MultiPolygon", "Point"};
    for (size_t i = 0; i < 3; i++) {
        tk_geom *a = from_geojson(texts[i]);
        cr_assert_str_eq(tk_geom_type_name(a), types[i]);
        char *out = NULL;
        tk_error err;
        cr_assert_eq(tk_geom_to_geojson(a, &out, &err), TK_OK);
        cr_assert_not_null(strstr(out, types[i]), "%s", out);
        tk_geom *b = from_geojson(out);
        assert_same_wkb(a, b); /* every coordinate survived bit for bit */
        free(out);
        tk_geom_free(a);
        tk_geom_free(b);
    }
    /* A Feature is accepted: its geometry is read. */
    tk_geom *f = from_geojson("{\"type\":\"Feature\",\"properties\":{\"name\":\"网格\"},"
                              "\"geometry\":{\"type\":\"Point\",\"coordinates\":[118.8,28.9]}}");
    cr_assert_str_eq(tk_geom_type_name(f), "Point");
    tk_geom_free(f);
}

Test(geo_geom, wkb_round_trip)
{
    tk_geom *a = load_county(330802);
    unsigned char *wkb;
    size_t len;
    tk_error err;
    cr_assert_eq(tk_geom_to_wkb(a, &wkb, &len, &err), TK_OK);
    cr_assert_gt(len, 1000);
    cr_assert_eq(wkb[0], 1); /* little endian */
    tk_geom *b = NULL;
    cr_assert_eq(tk_geom_from_wkb(wkb, len, &b, &err), TK_OK, "%s", err.detail);
    assert_same_wkb(a, b);
    tk_geom_free(b);
    cr_assert_eq(tk_geom_from_wkb(wkb, len / 2, &b, &err), TK_EINVAL);
    cr_assert_null(b);
    cr_assert_str_eq(err.code, "invalid_wkb");
    free(wkb);
    tk_geom_free(a);
}

/* ---- geom: import validation ---- */

static tk_error import_fails(const char *text, tk_status want, const char *code)
{
    tk_geom *g = (tk_geom *)1;
    tk_error err;
    tk_error_clear(&err);
    tk_status st = tk_geom_import_polygon(text, strlen(text), &g, &err);
    cr_assert_eq(st, want, "%s: got %s (%s)", text, tk_status_name(st), err.detail);
    cr_assert_null(g);
    cr_assert_str_eq(err.code, code, "%s: %s", text, err.detail);
    cr_assert_gt(strlen(err.detail), 0);
    return err;
}

Test(geo_geom, rejects_bowtie_with_reason_and_place)
{
    tk_error err = import_fails("{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,29.0],"
                                "[118.9,28.9],[118.8,29.0],[118.8,28.9]]]}",
                                TK_EVALID, "invalid_polygon");
    cr_assert_not_null(strstr(err.detail, "自相交"), "%s", err.detail);
    cr_assert_not_null(strstr(err.detail, "118.850000, 28.950000"), "%s", err.detail);
}

Test(geo_geom, rejects_unclosed_ring)
{
    tk_error err = import_fails("{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,28.9],"
                                "[118.9,29.0],[118.8,29.0]]]}",
                                TK_EINVAL, "invalid_geojson");
    cr_assert_not_null(strstr(err.detail, "未闭合"), "%s", err.detail);
}

Test(geo_geom, rejects_ring_with_too_few_points)
{
    tk_error err = import_fails(
        "{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,28.9],[118.8,28.9]]]}",
        TK_EVALID, "invalid_polygon");
    cr_assert_not_null(strstr(err.detail, "过少"), "%s", err.detail);
}

Test(geo_geom, rejects_point_and_line)
{
    tk_error err =
        import_fails("{\"type\":\"Point\",\"coordinates\":[118.8,28.9]}", TK_EVALID, "not_polygon");
    cr_assert_not_null(strstr(err.detail, "Point"), "%s", err.detail);
    import_fails("{\"type\":\"LineString\",\"coordinates\":[[118.8,28.9],[118.9,28.9]]}", TK_EVALID,
                 "not_polygon");
}

Test(geo_geom, rejects_garbage)
{
    import_fails("{not json", TK_EINVAL, "invalid_geojson");
    import_fails("\"Polygon\"", TK_EINVAL, "invalid_geojson");
    import_fails("{\"type\":\"Polygon\",\"coordinates\":\"abc\"}", TK_EINVAL, "invalid_geojson");
    import_fails("{\"type\":\"Hexagon\",\"coordinates\":[]}", TK_EINVAL, "invalid_geojson");
    tk_geom *g = NULL;
    tk_error err;
    cr_assert_eq(tk_geom_import_polygon("", 0, &g, &err), TK_EINVAL);
    cr_assert_eq(tk_geom_import_polygon("{\"type\"\0", 9, &g, &err), TK_EINVAL);
    cr_assert_null(g);
}

Test(geo_geom, rejects_empty_out_of_range_and_bad_holes)
{
    import_fails("{\"type\":\"Polygon\",\"coordinates\":[]}", TK_EVALID, "empty_geometry");
    /* Web Mercator metres instead of degrees. */
    tk_error err = import_fails(
        "{\"type\":\"Polygon\",\"coordinates\":[[[13224000,3360000],[13225000,3360000],"
        "[13225000,3361000],[13224000,3361000],[13224000,3360000]]]}",
        TK_EVALID, "coordinates_out_of_range");
    cr_assert_not_null(strstr(err.detail, "经纬度"), "%s", err.detail);
    /* Latitude and longitude swapped. */
    import_fails("{\"type\":\"Polygon\",\"coordinates\":[[[28.9,118.8],[28.9,118.9],[29.0,118.9],"
                 "[28.9,118.8]]]}",
                 TK_EVALID, "coordinates_out_of_range");
    err = import_fails("{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,28.9],"
                       "[118.9,29.0],[118.8,29.0],[118.8,28.9]],[[119.0,29.1],[119.1,29.1],"
                       "[119.1,29.2],[119.0,29.1]]]}",
                       TK_EVALID, "invalid_polygon");
    cr_assert_not_null(strstr(err.detail, "内环"), "%s", err.detail);
}

Test(geo_geom, accepts_every_quzhou_county)
{
    const long long codes[] = {330802, 330803, 330822, 330824, 330825, 330881};
    double total = 0;
    for (size_t i = 0; i < 6; i++) {
        tk_geom *c = load_county(codes[i]);
        cr_assert_str_eq(tk_geom_type_name(c), "MultiPolygon");
        total += tk_geom_area_m2(c);
        tk_geom_free(c);
    }
    /* 衢州市 covers 8,844 km² by official figures; the outlines are approximate. */
    cr_assert(fabs(total / 1e6 - 8844) < 8844 * 0.03, "total %.0f km²", total / 1e6);
}

/* ---- geom: measuring and relations ---- */

Test(geo_geom, area_centroid_bbox)
{
    tk_geom *sq = rect(118.80, 28.90, 118.81, 28.91);
    double want = 1e-4 * TK_GEO_M_PER_DEG * TK_GEO_M_PER_DEG * cos(28.905 * M_PI / 180);
    cr_assert_float_eq(tk_geom_area_m2(sq), want, want * 1e-9);
    cr_assert(want > 1.07e6 && want < 1.09e6); /* about 1 km² */
    double x, y;
    cr_assert(tk_geom_centroid(sq, &x, &y));
    cr_assert_float_eq(x, 118.805, 1e-9);
    cr_assert_float_eq(y, 28.905, 1e-9);
    tk_bbox b;
    cr_assert(tk_geom_bbox(sq, &b));
    cr_assert_eq(b.min_lng, 118.80);
    cr_assert_eq(b.max_lat, 28.91);
    cr_assert(tk_geom_covers_point(sq, 118.80, 28.905)); /* boundary */
    cr_assert_not(tk_geom_covers_point(sq, 118.80 - ONE_METRE, 28.905));
    cr_assert_not(tk_geom_covers_point(sq, NAN, 28.905));
    cr_assert_eq(tk_geom_part_count(sq), 1);
    tk_geom_free(sq);

    tk_geom *empty = from_geojson("{\"type\":\"Polygon\",\"coordinates\":[]}");
    cr_assert_not(tk_geom_centroid(empty, &x, &y));
    cr_assert_not(tk_geom_bbox(empty, &b));
    cr_assert_eq(tk_geom_area_m2(empty), 0);
    tk_geom_free(empty);
    cr_assert_null(tk_geom_rect((tk_bbox){1, 1, 1, 2}));
}

Test(geo_geom, overlap_with_neighbour)
{
    tk_geom *a = rect(118.80, 28.90, 118.81, 28.91);
    tk_geom *touching = rect(118.81, 28.90, 118.82, 28.91);
    tk_geom *overlapping = rect(118.809, 28.90, 118.819, 28.91); /* 0.001° ≈ 97 m strip */
    tk_geom *far = rect(119.0, 29.0, 119.1, 29.1);
    double want = 1e-5 * TK_GEO_M_PER_DEG * TK_GEO_M_PER_DEG * cos(28.905 * M_PI / 180);
    double m2 = -1;
    tk_error err;

    cr_assert_eq(tk_geom_overlap_m2(a, touching, &m2, &err), TK_OK);
    cr_assert_eq(m2, 0);
    cr_assert_eq(tk_geom_check_neighbour(a, touching, 0, &m2, &err), TK_OK);
    cr_assert_eq(tk_geom_overlap_m2(a, far, &m2, &err), TK_OK);
    cr_assert_eq(m2, 0);

    cr_assert_eq(tk_geom_overlap_m2(a, overlapping, &m2, &err), TK_OK);
    cr_assert_float_eq(m2, want, want * 1e-6);
    tk_error_clear(&err);
    cr_assert_eq(tk_geom_check_neighbour(a, overlapping, 1000, &m2, &err), TK_EVALID);
    cr_assert_str_eq(err.code, "overlaps_neighbour");
    cr_assert_not_null(strstr(err.detail, "重叠"), "%s", err.detail);
    cr_assert_float_eq(m2, want, want * 1e-6);
    cr_assert_eq(tk_geom_check_neighbour(a, overlapping, want * 1.01, NULL, &err), TK_OK);

    tk_geom_free(a);
    tk_geom_free(touching);
    tk_geom_free(overlapping);
    tk_geom_free(far);
}

Test(geo_geom, outside_parent)
{
    tk_geom *parent = rect(118.80, 28.90, 118.90, 29.00);
    tk_geom *inside = rect(118.81, 28.91, 118.82, 28.92);
    tk_geom *edge = rect(118.80, 28.90, 118.81, 28.91); /* shares two sides, still inside */
    tk_geom *sticking_out = rect(118.895, 28.95, 118.905, 28.96);
    double m2 = -1;
    tk_error err;
    cr_assert_eq(tk_geom_check_inside(inside, parent, 0, &m2, &err), TK_OK);
    cr_assert_eq(m2, 0);
    cr_assert_eq(tk_geom_check_inside(edge, parent, 0, &m2, &err), TK_OK);
    cr_assert_eq(m2, 0);
    double want = 0.005 * 0.01 * TK_GEO_M_PER_DEG * TK_GEO_M_PER_DEG * cos(28.955 * M_PI / 180);
    cr_assert_eq(tk_geom_outside_m2(sticking_out, parent, &m2, &err), TK_OK);
    cr_assert_float_eq(m2, want, want * 1e-6);
    tk_error_clear(&err);
    cr_assert_eq(tk_geom_check_inside(sticking_out, parent, 100, NULL, &err), TK_EVALID);
    cr_assert_str_eq(err.code, "outside_parent");
    cr_assert_not_null(strstr(err.detail, "超出上级"), "%s", err.detail);
    cr_assert_eq(tk_geom_check_inside(sticking_out, parent, want * 1.01, NULL, &err), TK_OK);
    tk_geom_free(parent);
    tk_geom_free(inside);
    tk_geom_free(edge);
    tk_geom_free(sticking_out);
}

Test(geo_geom, union_simplify_transform)
{
    tk_geom *sq[4] = {
        rect(118.80, 28.90, 118.81, 28.91),
        rect(118.81, 28.90, 118.82, 28.91),
        rect(118.80, 28.91, 118.81, 28.92),
        rect(118.81, 28.91, 118.82, 28.92),
    };
    tk_geom *u = NULL;
    tk_error err;
    cr_assert_eq(tk_geom_union((const tk_geom *const *)sq, 4, &u, &err), TK_OK);
    cr_assert_str_eq(tk_geom_type_name(u), "Polygon");
    tk_geom *big = rect(118.80, 28.90, 118.82, 28.92);
    cr_assert_float_eq(tk_geom_area_m2(u), tk_geom_area_m2(big), 1e-3);
    double m2;
    cr_assert_eq(tk_geom_outside_m2(big, u, &m2, &err), TK_OK);
    cr_assert_lt(m2, 1e-3);
    tk_geom_free(u);
    cr_assert_eq(tk_geom_union(NULL, 0, &u, &err), TK_EINVAL);
    cr_assert_null(u);
    tk_geom_free(big);
    for (int i = 0; i < 4; i++)
        tk_geom_free(sq[i]);

    tk_geom *county = load_county(330824);
    tk_geom *simple = NULL;
    cr_assert_eq(tk_geom_simplify(county, 200, &simple, &err), TK_OK);
    cr_assert_eq(tk_geom_validate_polygon(simple, &err), TK_OK, "%s", err.detail);
    unsigned char *w1, *w2;
    size_t l1, l2;
    tk_geom_to_wkb(county, &w1, &l1, &err);
    tk_geom_to_wkb(simple, &w2, &l2, &err);
    cr_assert_lt(l2, l1 * 3 / 4, "%zu vs %zu bytes", l2, l1);
    double a0 = tk_geom_area_m2(county), a1 = tk_geom_area_m2(simple);
    cr_assert(fabs(a1 - a0) < a0 * 0.01, "%.0f vs %.0f", a1, a0);
    tk_geom_free(simple);
    cr_assert_eq(tk_geom_simplify(county, -1, &simple, &err), TK_EINVAL);
    cr_assert_null(simple);
    free(w1);
    free(w2);
    tk_geom_free(county);
}

static void shift_east(double *lng, double *lat, void *ctx)
{
    (void)lat;
    *lng += *(const double *)ctx;
}

Test(geo_geom, transform_moves_every_coordinate)
{
    tk_geom *sq = rect(118.80, 28.90, 118.81, 28.91);
    double d = 1.0;
    tk_geom *moved = NULL;
    tk_error err;
    cr_assert_eq(tk_geom_transform(sq, shift_east, &d, &moved, &err), TK_OK);
    tk_bbox b;
    cr_assert(tk_geom_bbox(moved, &b));
    cr_assert_float_eq(b.min_lng, 119.80, 1e-12);
    cr_assert_float_eq(b.max_lng, 119.81, 1e-12);
    cr_assert_eq(b.min_lat, 28.90);
    tk_geom_free(sq);
    tk_geom_free(moved);
}

/* ---- locate: a 3x3 block of 0.01° squares ---- */

/* Corner coordinates as literals, so that points "exactly on a border" are exact. */
static const double xs[4] = {118.80, 118.81, 118.82, 118.83};
static const double ys[4] = {28.90, 28.91, 28.92, 28.93};
/* Ids deliberately not in build order, so ties test the smallest-id rule. ids[row][col],
 * row 0 at the south. */
static const int64_t ids[3][3] = {{7, 3, 9}, {1, 8, 2}, {6, 4, 5}};

static tk_locator *build_block(tk_geom *squares[9])
{
    tk_locator_item items[9];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            squares[r * 3 + c] = rect(xs[c], ys[r], xs[c + 1], ys[r + 1]);
            items[r * 3 + c] = (tk_locator_item){ids[r][c], squares[r * 3 + c]};
        }
    tk_locator *loc = NULL;
    tk_error err;
    cr_assert_eq(tk_locator_build(items, 9, &loc, &err), TK_OK, "%s", err.detail);
    for (int i = 0; i < 9; i++) /* the locator keeps its own copies */
        tk_geom_free(squares[i]);
    return loc;
}

static void expect_at(const tk_locator *loc, double lng, double lat, int64_t want)
{
    int64_t got = tk_locator_locate(loc, lng, lat);
    cr_assert_eq(got, want, "(%.8f, %.8f): index says %lld, want %lld", lng, lat, (long long)got,
                 (long long)want);
    got = tk_locator_locate_linear(loc, lng, lat);
    cr_assert_eq(got, want, "(%.8f, %.8f): linear scan says %lld, want %lld", lng, lat,
                 (long long)got, (long long)want);
}

Test(geo_locate, centres_and_one_metre_either_side_of_borders)
{
    tk_geom *sq[9];
    tk_locator *loc = build_block(sq);
    cr_assert_eq(tk_locator_count(loc), 9);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            expect_at(loc, (xs[c] + xs[c + 1]) / 2, (ys[r] + ys[r + 1]) / 2, ids[r][c]);
    /* Vertical borders, row 1, 1 m west and 1 m east. */
    double y = 28.915;
    expect_at(loc, xs[1] - ONE_METRE, y, ids[1][0]);
    expect_at(loc, xs[1] + ONE_METRE, y, ids[1][1]);
    expect_at(loc, xs[2] - ONE_METRE, y, ids[1][1]);
    expect_at(loc, xs[2] + ONE_METRE, y, ids[1][2]);
    /* Horizontal borders, column 2, 1 m south and north. */
    double x = 118.825;
    expect_at(loc, x, ys[1] - ONE_METRE, ids[0][2]);
    expect_at(loc, x, ys[1] + ONE_METRE, ids[1][2]);
    expect_at(loc, x, ys[2] - ONE_METRE, ids[1][2]);
    expect_at(loc, x, ys[2] + ONE_METRE, ids[2][2]);
    /* 1 m inside the outer edge, near a corner of the block. */
    expect_at(loc, xs[0] + ONE_METRE, ys[0] + ONE_METRE, ids[0][0]);
    expect_at(loc, xs[3] - ONE_METRE, ys[3] - ONE_METRE, ids[2][2]);
    tk_locator_unref(loc);
}

Test(geo_locate, exactly_on_a_border_takes_the_smallest_id)
{
    tk_geom *sq[9];
    tk_locator *loc = build_block(sq);
    expect_at(loc, xs[1], 28.905, 3);  /* 7 | 3 */
    expect_at(loc, xs[2], 28.905, 3);  /* 3 | 9 */
    expect_at(loc, xs[1], 28.915, 1);  /* 1 | 8 */
    expect_at(loc, xs[2], 28.915, 2);  /* 8 | 2 */
    expect_at(loc, 118.805, ys[1], 1); /* 7 / 1 */
    expect_at(loc, 118.825, ys[2], 2); /* 2 / 5 */
    expect_at(loc, xs[1], ys[1], 1);   /* corner of 7, 3, 1, 8 */
    expect_at(loc, xs[2], ys[2], 2);   /* corner of 8, 2, 4, 5 */
    /* The outer edge belongs to the one square there. */
    expect_at(loc, xs[0], 28.905, 7);
    expect_at(loc, xs[3], ys[3], 5);
    /* The same answer every time. */
    for (int i = 0; i < 100; i++)
        cr_assert_eq(tk_locator_locate(loc, xs[1], ys[1]), 1);
    tk_locator_unref(loc);
}

Test(geo_locate, outside_is_minus_one)
{
    tk_geom *sq[9];
    tk_locator *loc = build_block(sq);
    expect_at(loc, xs[0] - ONE_METRE, 28.905, -1);
    expect_at(loc, xs[3] + ONE_METRE, 28.925, -1);
    expect_at(loc, 118.815, ys[0] - ONE_METRE, -1);
    expect_at(loc, 118.70, 28.80, -1);
    expect_at(loc, 0, 0, -1);
    expect_at(loc, NAN, 28.905, -1);
    expect_at(loc, 118.805, INFINITY, -1);
    tk_locator_unref(loc);
}

Test(geo_locate, holes_and_bad_items)
{
    /* A square with a hole: points in the hole are outside it. */
    tk_geom *holed = from_geojson(
        "{\"type\":\"Polygon\",\"coordinates\":[[[118.8,28.9],[118.9,28.9],[118.9,29.0],"
        "[118.8,29.0],[118.8,28.9]],[[118.82,28.92],[118.82,28.94],[118.84,28.94],"
        "[118.84,28.92],[118.82,28.92]]]}");
    tk_geom *inner = rect(118.82, 28.92, 118.84, 28.94); /* fills the hole */
    tk_locator_item items[2] = {{20, holed}, {10, inner}};
    tk_locator *loc = NULL;
    tk_error err;
    cr_assert_eq(tk_locator_build(items, 1, &loc, &err), TK_OK);
    expect_at(loc, 118.83, 28.93, -1);
    expect_at(loc, 118.81, 28.91, 20);
    expect_at(loc, 118.82, 28.93, 20); /* on the hole's edge: still on the polygon */
    tk_locator_unref(loc);
    cr_assert_eq(tk_locator_build(items, 2, &loc, &err), TK_OK);
    expect_at(loc, 118.83, 28.93, 10);
    expect_at(loc, 118.82, 28.93, 10); /* shared edge: smaller id */
    tk_locator_unref(loc);

    tk_geom *pt = from_geojson("{\"type\":\"Point\",\"coordinates\":[118.8,28.9]}");
    tk_locator_item bad[2] = {{1, inner}, {2, pt}};
    loc = (tk_locator *)1;
    cr_assert_eq(tk_locator_build(bad, 2, &loc, &err), TK_EINVAL);
    cr_assert_null(loc);
    cr_assert_str_eq(err.code, "locator_bad_item");
    tk_locator_item negative = {-5, inner};
    cr_assert_eq(tk_locator_build(&negative, 1, &loc, &err), TK_EINVAL);

    cr_assert_eq(tk_locator_build(NULL, 0, &loc, &err), TK_OK);
    cr_assert_eq(tk_locator_locate(loc, 118.83, 28.93), -1);
    cr_assert_eq(tk_locator_locate_linear(loc, 118.83, 28.93), -1);
    tk_locator_unref(loc);
    tk_locator_unref(NULL);
    tk_geom_free(pt);
    tk_geom_free(holed);
    tk_geom_free(inner);
}

/* ---- tessellation ---- */

static tk_geom **tessellate_ok(const tk_geom *area, const double *xy, size_t n)
{
    tk_geom **cells = calloc(n, sizeof *cells);
    cr_assert_not_null(cells);
    tk_error err;
    tk_error_clear(&err);
    tk_status st = tk_tessellate(area, xy, n, cells, &err);
    cr_assert_eq(st, TK_OK, "%s", err.detail);
    return cells;
}

static bool boxes_meet(const tk_bbox *a, const tk_bbox *b)
{
    return a->min_lng <= b->max_lng && b->min_lng <= a->max_lng && a->min_lat <= b->max_lat &&
           b->min_lat <= a->max_lat;
}

/* The cells are valid polygons that cover the area and do not overlap: their areas add up
 * to the area's, nothing of the area lies outside their union nor of their union outside
 * the area, and all pairwise overlaps together come to under 1 m². Cell i covers seed i. */
static void assert_partition(const tk_geom *area, tk_geom **cells, const double *xy, size_t n)
{
    tk_bbox *boxes = calloc(n, sizeof *boxes);
    cr_assert_not_null(boxes);
    tk_error err;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(tk_geom_validate_polygon(cells[i], &err), TK_OK, "cell %zu: %s", i,
                     err.detail);
        cr_assert(tk_geom_covers_point(cells[i], xy[2 * i], xy[2 * i + 1]), "cell %zu", i);
        cr_assert(tk_geom_bbox(cells[i], &boxes[i]));
        sum += tk_geom_area_m2(cells[i]);
    }
    double total = tk_geom_area_m2(area);
    /* Each cell's area is converted at its own latitude: agreement to 1e-5, not exactly. */
    cr_assert(fabs(sum - total) < total * 1e-5, "cells %.1f m², area %.1f m²", sum, total);

    tk_geom *all = NULL;
    cr_assert_eq(tk_geom_union((const tk_geom *const *)cells, n, &all, &err), TK_OK);
    double m2;
    cr_assert_eq(tk_geom_outside_m2(area, all, &m2, &err), TK_OK);
    cr_assert_lt(m2, 1.0, "%.3f m² of the area is in no cell", m2);
    cr_assert_eq(tk_geom_outside_m2(all, area, &m2, &err), TK_OK);
    cr_assert_lt(m2, 1.0, "%.3f m² of the cells is outside the area", m2);
    tk_geom_free(all);

    double overlap = 0;
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!boxes_meet(&boxes[i], &boxes[j]))
                continue;
            cr_assert_eq(tk_geom_overlap_m2(cells[i], cells[j], &m2, &err), TK_OK);
            overlap += m2;
            pairs++;
        }
    cr_assert_lt(overlap, 1.0, "cells overlap by %.3f m² over %zu pairs", overlap, pairs);
    free(boxes);
}

/* A U-shaped area (0.03° square minus a notch from the top middle) and two seeds: the
 * seed in the left arm also owns the top of the right arm, beyond the notch. */
static const char *u_shape =
    "{\"type\":\"Polygon\",\"coordinates\":[[[118.80,28.80],[118.83,28.80],[118.83,28.83],"
    "[118.82,28.83],[118.82,28.81],[118.81,28.81],[118.81,28.83],[118.80,28.83],"
    "[118.80,28.80]]]}";

Test(geo_tess, cell_cut_by_the_area_is_a_multipolygon, .timeout = 60)
{
    tk_geom *area = from_geojson(u_shape);
    double xy[4] = {118.805, 28.825, 118.825, 28.805};
    tk_geom **cells = tessellate_ok(area, xy, 2);
    cr_assert_str_eq(tk_geom_type_name(cells[0]), "MultiPolygon");
    cr_assert_eq(tk_geom_part_count(cells[0]), 2);
    cr_assert_str_eq(tk_geom_type_name(cells[1]), "Polygon");
    /* 3 and 4 of the 7 unit squares (0.01° each side). */
    double ratio = tk_geom_area_m2(cells[0]) / tk_geom_area_m2(cells[1]);
    cr_assert_float_eq(ratio, 0.75, 0.001);
    cr_assert(tk_geom_covers_point(cells[0], 118.829, 28.8295)); /* beyond the notch */
    assert_partition(area, cells, xy, 2);
    free_all(cells, 2);

    /* Same seeds in the other order: same cells, other order. */
    double yx[4] = {118.825, 28.805, 118.805, 28.825};
    cells = tessellate_ok(area, yx, 2);
    cr_assert_str_eq(tk_geom_type_name(cells[0]), "Polygon");
    cr_assert_str_eq(tk_geom_type_name(cells[1]), "MultiPolygon");
    free_all(cells, 2);
    tk_geom_free(area);
}

Test(geo_tess, area_with_an_island, .timeout = 60)
{
    tk_geom *area = from_geojson(
        "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[118.80,28.80],[118.85,28.80],"
        "[118.85,28.85],[118.80,28.85],[118.80,28.80]]],[[[118.90,28.80],[118.92,28.80],"
        "[118.92,28.82],[118.90,28.82],[118.90,28.80]]]]}");
    enum { N = 40 };
    double xy[2 * N];
    tk_error err;
    cr_assert_eq(tk_geom_random_points(area, 99, N, xy, &err), TK_OK);
    tk_geom **cells = tessellate_ok(area, xy, N);
    assert_partition(area, cells, xy, N);
    free_all(cells, N);
    tk_geom_free(area);
}

Test(geo_tess, random_points_are_inside_and_reproducible)
{
    tk_geom *area = from_geojson(u_shape);
    enum { N = 500 };
    double a[2 * N], b[2 * N], c[2 * N];
    tk_error err;
    cr_assert_eq(tk_geom_random_points(area, 1, N, a, &err), TK_OK);
    cr_assert_eq(tk_geom_random_points(area, 1, N, b, &err), TK_OK);
    cr_assert_eq(tk_geom_random_points(area, 2, N, c, &err), TK_OK);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    cr_assert_neq(memcmp(a, c, sizeof a), 0);
    int in_right_arm = 0;
    for (int i = 0; i < N; i++) {
        cr_assert(tk_geom_covers_point(area, a[2 * i], a[2 * i + 1]));
        /* Never in the notch. */
        cr_assert_not(a[2 * i] > 118.81 && a[2 * i] < 118.82 && a[2 * i + 1] > 28.81);
        in_right_arm += a[2 * i] > 118.82 && a[2 * i + 1] > 28.81;
    }
    /* The right arm is 2/7 of the area. */
    cr_assert(in_right_arm > N * 2 / 7 - 50 && in_right_arm < N * 2 / 7 + 50, "%d", in_right_arm);

    tk_geom *pt = from_geojson("{\"type\":\"Point\",\"coordinates\":[118.8,28.9]}");
    cr_assert_eq(tk_geom_random_points(pt, 1, 1, a, &err), TK_EINVAL);
    tk_geom_free(pt);
    tk_geom_free(area);
}

Test(geo_tess, rejects_bad_seeds)
{
    tk_geom *area = rect(118.80, 28.80, 118.81, 28.81);
    tk_geom *cells[3] = {(tk_geom *)1, (tk_geom *)1, (tk_geom *)1};
    tk_error err;
    double outside[6] = {118.805, 28.805, 118.9, 28.805, 118.801, 28.801};
    cr_assert_eq(tk_tessellate(area, outside, 3, cells, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "seed_outside");
    cr_assert_null(cells[0]);
    double twice[6] = {118.805, 28.805, 118.802, 28.803, 118.805, 28.805};
    cr_assert_eq(tk_tessellate(area, twice, 3, cells, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "duplicate_seeds");
    cr_assert_eq(tk_tessellate(area, twice, 0, cells, &err), TK_EINVAL);
    /* One seed: the whole area. */
    cr_assert_eq(tk_tessellate(area, twice, 1, cells, &err), TK_OK);
    cr_assert_float_eq(tk_geom_area_m2(cells[0]), tk_geom_area_m2(area), 1e-6);
    tk_geom_free(cells[0]);
    tk_geom_free(area);
}

/* ---- a real county: 常山县 in 500 cells ---- */

enum { COUNTY_CELLS = 500, POINTS_PER_CELL = 4 };
#define SWAP_OFFSET 100000

typedef struct {
    tk_geom *county;
    double seeds[2 * COUNTY_CELLS];
    tk_geom **cells;
    double pts[2 * COUNTY_CELLS * POINTS_PER_CELL]; /* strictly inside cell i / POINTS_PER_CELL */
    int64_t want[COUNTY_CELLS * POINTS_PER_CELL];
} county_grid;

static county_grid *county_grid_new(void)
{
    county_grid *g = calloc(1, sizeof *g);
    cr_assert_not_null(g);
    g->county = load_county(330822);
    tk_error err;
    cr_assert_eq(tk_geom_random_points(g->county, 2023, COUNTY_CELLS, g->seeds, &err), TK_OK);
    g->cells = tessellate_ok(g->county, g->seeds, COUNTY_CELLS);
    for (size_t i = 0; i < COUNTY_CELLS; i++) {
        cr_assert_eq(tk_geom_random_points(g->cells[i], i, POINTS_PER_CELL,
                                           &g->pts[2 * i * POINTS_PER_CELL], &err),
                     TK_OK, "%s", err.detail);
        for (size_t k = 0; k < POINTS_PER_CELL; k++)
            g->want[i * POINTS_PER_CELL + k] = (int64_t)i;
    }
    return g;
}

static void county_grid_free(county_grid *g)
{
    free_all(g->cells, COUNTY_CELLS);
    tk_geom_free(g->county);
    free(g);
}

static tk_locator *county_locator(const county_grid *g, int64_t id_base)
{
    tk_locator_item *items = calloc(COUNTY_CELLS, sizeof *items);
    cr_assert_not_null(items);
    for (size_t i = 0; i < COUNTY_CELLS; i++)
        items[i] = (tk_locator_item){id_base + (int64_t)i, g->cells[i]};
    tk_locator *loc = NULL;
    tk_error err;
    cr_assert_eq(tk_locator_build(items, COUNTY_CELLS, &loc, &err), TK_OK, "%s", err.detail);
    free(items);
    return loc;
}

Test(geo_tess, county_cells_cover_without_overlap, .timeout = 120)
{
    county_grid *g = county_grid_new();
    assert_partition(g->county, g->cells, g->seeds, COUNTY_CELLS);
    size_t multi = 0;
    for (size_t i = 0; i < COUNTY_CELLS; i++)
        multi += strcmp(tk_geom_type_name(g->cells[i]), "MultiPolygon") == 0;
    cr_log_info("常山县: %d cells, %zu of them in several pieces", COUNTY_CELLS, multi);
    county_grid_free(g);
}

Test(geo_tess, county_cells_locate_like_the_linear_scan, .timeout = 120)
{
    county_grid *g = county_grid_new();
    tk_locator *loc = county_locator(g, 0);
    cr_assert_eq(tk_locator_count(loc), COUNTY_CELLS);
    for (size_t k = 0; k < COUNTY_CELLS * POINTS_PER_CELL; k++) {
        double x = g->pts[2 * k], y = g->pts[2 * k + 1];
        cr_assert_eq(tk_locator_locate(loc, x, y), g->want[k], "point %zu", k);
        cr_assert_eq(tk_locator_locate_linear(loc, x, y), g->want[k], "point %zu", k);
    }
    /* The seeds themselves lie inside their own cells. */
    for (size_t i = 0; i < COUNTY_CELLS; i++)
        cr_assert_eq(tk_locator_locate(loc, g->seeds[2 * i], g->seeds[2 * i + 1]), (int64_t)i);
    tk_locator_unref(loc);
    county_grid_free(g);
}

typedef struct {
    const tk_locator *loc;
    const county_grid *g;
    long bad;
} locate_job;

static void *locate_all(void *p)
{
    locate_job *job = p;
    for (int round = 0; round < 3; round++)
        for (size_t k = 0; k < COUNTY_CELLS * POINTS_PER_CELL; k++)
            if (tk_locator_locate(job->loc, job->g->pts[2 * k], job->g->pts[2 * k + 1]) !=
                job->g->want[k])
                job->bad++;
    return NULL;
}

Test(geo_tess, concurrent_locate_gives_the_same_answers, .timeout = 120)
{
    county_grid *g = county_grid_new();
    /* Threads start on a freshly built index: nothing may be left for them to build. */
    tk_locator *loc = county_locator(g, 0);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    locate_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (locate_job){loc, g, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, locate_all, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(jobs[i].bad, 0, "thread %d: %ld wrong answers", i, jobs[i].bad);
    }
    tk_locator_unref(loc);
    county_grid_free(g);
}

typedef struct {
    tk_locator_holder *holder;
    const county_grid *g;
    atomic_bool *stop;
    atomic_int *started;
    long acquisitions, queries, bad;
} reader_job;

/* Every answer is either the cell's id or the cell's id + SWAP_OFFSET, and all answers
 * from one acquired locator agree on which. */
static void *read_while_swapping(void *p)
{
    reader_job *job = p;
    size_t k = 0, total = COUNTY_CELLS * POINTS_PER_CELL;
    bool counted = false;
    while (!atomic_load(job->stop)) {
        tk_locator *loc = tk_locator_holder_acquire(job->holder);
        if (!loc) {
            job->bad++;
            continue;
        }
        int64_t base = -1;
        for (int j = 0; j < 25; j++, k = (k + 1) % total) {
            int64_t d = tk_locator_locate(loc, job->g->pts[2 * k], job->g->pts[2 * k + 1]) -
                        job->g->want[k];
            if ((d != 0 && d != SWAP_OFFSET) || (base >= 0 && d != base))
                job->bad++;
            base = d;
            job->queries++;
        }
        tk_locator_unref(loc);
        job->acquisitions++;
        if (!counted) {
            atomic_fetch_add(job->started, 1);
            counted = true;
        }
    }
    return NULL;
}

Test(geo_tess, holder_swaps_while_readers_run, .timeout = 180)
{
    county_grid *g = county_grid_new();
    tk_locator_holder *holder = tk_locator_holder_new(county_locator(g, 0));
    enum { READERS = 4, SWAPS = 12 };
    atomic_bool stop = false;
    atomic_int started = 0;
    pthread_t t[READERS];
    reader_job jobs[READERS];
    for (int i = 0; i < READERS; i++) {
        jobs[i] = (reader_job){holder, g, &stop, &started, 0, 0, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, read_while_swapping, &jobs[i]), 0);
    }
    while (atomic_load(&started) < READERS)
        sched_yield();

    for (int s = 1; s <= SWAPS; s++) {
        /* Hold the current locator across a swap: it stays usable until released. */
        tk_locator *held = tk_locator_holder_acquire(holder);
        int64_t held_base = tk_locator_locate(held, g->pts[0], g->pts[1]) - g->want[0];
        tk_locator_holder_swap(holder, county_locator(g, (s % 2) * SWAP_OFFSET));
        cr_assert_eq(tk_locator_locate(held, g->pts[0], g->pts[1]) - g->want[0], held_base);
        tk_locator_unref(held);
        tk_locator *now = tk_locator_holder_acquire(holder);
        cr_assert_eq(tk_locator_locate(now, g->pts[0], g->pts[1]) - g->want[0],
                     (s % 2) * SWAP_OFFSET);
        tk_locator_unref(now);
    }
    atomic_store(&stop, true);
    long acquisitions = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(jobs[i].bad, 0, "reader %d: %ld wrong answers", i, jobs[i].bad);
        acquisitions += jobs[i].acquisitions;
    }
    cr_log_info("%ld acquisitions across %d swaps", acquisitions, SWAPS);
    tk_locator_holder_free(holder); /* frees the last locator: ASan checks nothing leaked */

    tk_locator_holder *empty = tk_locator_holder_new(NULL);
    cr_assert_null(tk_locator_holder_acquire(empty));
    tk_locator_holder_free(empty);
    county_grid_free(g);
}
