/*
 * test_territory_io.c - gov/territory_io: CSV fields (quotes, doubled quotes, BOM,
 * CRLF, blank lines), the line-by-line report, all or nothing, dry runs, dependency
 * order within a file, refusing moves, GeoJSON overlaps inside one file and against
 * the database, tolerances, and export -> import round trips; plus the geo helpers
 * the import uses (exact equality, prepared covers, difference).
 *
 * Each test gets a fresh database with the city, one county (with a square outline),
 * one township and one village, around 118.8°E, 28.9°N (0.01° is about 1 km).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "geo/geom.h"
#include "gov/territory.h"
#include "gov/territory_io.h"
#include "store/migrate.h"

static char dir[64];
static tk_db *db;
static tk_arena *arena;

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A square polygon [x, x+size] x [y, y+size] as GeoJSON. */
static char *square(double x, double y, double size)
{
    return tk_arena_printf(arena,
                           "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],"
                           "[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}",
                           x, y, x + size, y, x + size, y + size, x, y + size, x, y);
}

static tk_status seed_run(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    tk_arena *a = tk_arena_new(0);
    tk_place_input root = {.code = "330800",
                           .name = "衢州市",
                           .kind = "city",
                           .is_central = -1,
                           .households = -1,
                           .population = -1};
    int64_t city_id = 0;
    tk_status st = tk_place_create(c, &root, &city_id, err);
    tk_geom *outline = NULL;
    const char *text = square(118.8, 28.9, 0.1);
    tk_geom_from_geojson(text, strlen(text), &outline, err);
    tk_bbox b;
    tk_geom_bbox(outline, &b);
    tk_place_input county = {.code = "330802",
                             .name = "柯城区",
                             .kind = "county",
                             .parent_id = city_id,
                             .is_central = -1,
                             .households = -1,
                             .population = -1,
                             .geometry = text,
                             .area_m2 = tk_geom_area_m2(outline),
                             .bbox = {b.min_lng, b.min_lat, b.max_lng, b.max_lat}};
    tk_geom_free(outline);
    int64_t county_id = 0, township_id = 0, village_id = 0;
    if (st == TK_OK)
        st = tk_place_create(c, &county, &county_id, err);
    tk_place_input township = {.code = "330802101",
                               .name = "航埠镇",
                               .kind = "township",
                               .parent_id = county_id,
                               .township_class = "生态型",
                               .is_central = -1,
                               .households = -1,
                               .population = -1};
    if (st == TK_OK)
        st = tk_place_create(c, &township, &township_id, err);
    tk_place_input village = {.code = "330802101001",
                              .name = "兴航社区",
                              .kind = "village",
                              .parent_id = township_id,
                              .is_central = -1,
                              .households = -1,
                              .population = -1};
    if (st == TK_OK)
        st = tk_place_create(c, &village, &village_id, err);
    tk_arena_free(a);
    return st;
}

static void setup(void)
{
    tk_log_set_level(TK_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/tk-terrio-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/test.db", dir);
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_db_open(path, NULL, &db, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(tk_db_migrate(db, NULL, &err), TK_OK, "%s", err.detail);
    arena = tk_arena_new(0);
    cr_assert_eq(tk_db_write(db, seed_run, NULL, &err), TK_OK, "%s", err.detail);
}

static void teardown(void)
{
    tk_db_close(db);
    db = NULL;
    tk_arena_free(arena);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(territory_io, .init = setup, .fini = teardown, .timeout = 60);

typedef struct {
    bool geojson;
    const char *text;
    tk_import_options opt;
    tk_import_report rep;
} import_job;

static tk_status import_run(tk_conn *c, void *arg, tk_error *err)
{
    import_job *j = arg;
    size_t len = strlen(j->text);
    return j->geojson ? tk_territory_import_geojson(c, arena, j->text, len, &j->opt, &j->rep, err)
                      : tk_territory_import_csv(c, arena, j->text, len, &j->opt, &j->rep, err);
}

/* Runs an import; returns its status and leaves the report in *rep. */
static tk_status import(bool geojson, const char *text, bool dry_run, tk_import_report *rep)
{
    import_job j = {
        .geojson = geojson,
        .text = text,
        .opt = {.dry_run = dry_run, .overlap_tolerance_m2 = -1, .outside_tolerance_m2 = -1}};
    tk_error err;
    tk_error_clear(&err);
    tk_status st = tk_db_write(db, import_run, &j, &err);
    *rep = j.rep;
    if (st != TK_OK && st != TK_EVALID)
        cr_log_error("import failed: %s", err.detail);
    if (st == TK_EVALID)
        cr_assert_str_eq(err.code, "import_rejected");
    return st;
}

static int64_t units(void)
{
    tk_conn *c = tk_db_reader(db, NULL);
    tk_stmt *s = tk_prepare(c, "SELECT count(*) FROM units", NULL);
    int64_t n = tk_step(s, NULL) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    return n;
}

static const char *name_of(const char *code)
{
    tk_conn *c = tk_db_reader(db, NULL);
    tk_unit u;
    tk_error err;
    if (tk_unit_by_code(c, arena, code, &u, &err) != TK_OK)
        return NULL;
    return u.name;
}

static char *export(bool geojson, const char *kinds)
{
    tk_conn *c = tk_db_reader(db, NULL);
    tk_buf out;
    tk_buf_init(&out, 1 << 24);
    tk_export_options opt = {.kinds = kinds};
    int64_t n = 0;
    tk_error err;
    tk_status st = geojson ? tk_territory_export_geojson(c, &opt, &out, &n, &err)
                           : tk_territory_export_csv(c, &opt, &out, &n, &err);
    cr_assert_eq(st, TK_OK, "%s", err.detail);
    char *text = tk_arena_strdup(arena, out.data);
    tk_buf_free(&out);
    return text;
}

static void assert_lines(const tk_import_report *rep, const int64_t *lines, size_t n)
{
    cr_assert_eq(rep->nerrors, n, "errors: %zu, expected %zu (first: %s)", rep->nerrors, n,
                 rep->nerrors ? rep->errors[0].reason : "");
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rep->errors[i].line, lines[i], "error %zu is line %lld: %s", i,
                     (long long)rep->errors[i].line, rep->errors[i].reason);
}

/* ---- CSV ---- */

Test(territory_io, csv_quotes_bom_crlf_and_any_column_order)
{
    const char *csv = "\xEF\xBB\xBF"
                      "parent_code, level ,name,code,households\r\n"
                      "\r\n"
                      "330802101001,grid,\"东片, \"\"一\"\"区\",330802101001001,12\r\n"
                      "330802101001,grid,  西片  ,330802101001002,\r\n"
                      "330802101001,grid,\"  留空格  \",330802101001003,\r\n";
    tk_import_report rep;
    cr_assert_eq(import(false, csv, false, &rep), TK_OK);
    cr_assert_eq(rep.added, 3);
    cr_assert_str_eq(name_of("330802101001001"), "东片, \"一\"区");
    cr_assert_str_eq(name_of("330802101001002"), "西片");
    cr_assert_str_eq(name_of("330802101001003"), "  留空格  ");
    cr_assert(rep.grids_changed);
    /* The export quotes what needs it, and imports back unchanged. */
    char *out = export(false, "grid");
    cr_assert_not_null(strstr(out, "\"东片, \"\"一\"\"区\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"  留空格  \""), "%s", out);
    cr_assert_eq(import(false, out, false, &rep), TK_OK);
    cr_assert_eq(rep.unchanged, 3);
    cr_assert_eq(rep.added + rep.changed, 0);
}

Test(territory_io, csv_children_before_parents_and_dry_run)
{
    const char *csv = "code,name,level,parent_code,township_class,lng,lat\n"
                      "330802102001001,新村第1网格,grid,330802102001,,,\n"
                      "330802102001,新村,village,330802102,,118.85,28.95\n"
                      "330802102,新镇,township,330802,经济型,118.85,28.95\n";
    int64_t before = units();
    tk_import_report rep;
    cr_assert_eq(import(false, csv, true, &rep), TK_OK);
    cr_assert(rep.dry_run);
    cr_assert_eq(rep.added, 3);
    cr_assert_eq(units(), before, "a dry run writes nothing");
    cr_assert_eq(import(false, csv, false, &rep), TK_OK);
    cr_assert_eq(units(), before + 3);
    cr_assert_eq(import(false, csv, false, &rep), TK_OK);
    cr_assert_eq(rep.unchanged, 3);
    /* An empty optional field keeps the value; a different one changes it. */
    const char *moved = "code,name,level,parent_code,lng,lat\n"
                        "330802102001,新村,village,330802102,,\n"
                        "330802102,新镇,township,330802,118.86,28.95\n";
    cr_assert_eq(import(false, moved, false, &rep), TK_OK);
    cr_assert_eq(rep.changed, 1);
    cr_assert_eq(rep.unchanged, 1);
}

Test(territory_io, csv_every_bad_line_is_reported_and_nothing_written)
{
    const char *csv = "code,name,level,parent_code,township_class,lng,lat,population\n" /* 1 */
                      "330802101002,好村,village,330802101,,,,\n"                       /* 2 */
                      "330802101003,,village,330802101,,,,\n"                           /* 3 */
                      "33080210100!,坏代码,village,330802101,,,,\n"                     /* 4 */
                      "330802101004,村,hamlet,330802101,,,,\n"                          /* 5 */
                      "330802101005,村,village,330802101,经济型,,,\n"                   /* 6 */
                      "330802101006,村,village,330802101,,200,28.9,\n"                  /* 7 */
                      "330802101007,村,village,330802101,,118.9,,\n"                    /* 8 */
                      "330802101008,村,village,330802101,,,,-5\n"                       /* 9 */
                      "330802101009,村,village,330802101009,,,,\n"                      /* 10 */
                      "330802101010,村,village,330802101,,,,1\"2\n"                     /* 11 */
                      "330802101001,兴航社区,village,330802,,,,\n"                      /* 12 */
                      "330802101011,村,grid,330802101,,,,\n";                           /* 13 */
    int64_t before = units();
    tk_import_report rep;
    cr_assert_eq(import(false, csv, false, &rep), TK_EVALID);
    static const int64_t lines[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    assert_lines(&rep, lines, sizeof lines / sizeof lines[0]);
    cr_assert_eq(rep.rejected, 11);
    cr_assert_eq(rep.added, 1);
    cr_assert_eq(units(), before);
    cr_assert_not_null(strstr(rep.errors[0].reason, "缺少名称"));
    cr_assert_not_null(strstr(rep.errors[3].reason, "只有乡镇（街道）有乡镇类型"));
    cr_assert_not_null(strstr(rep.errors[4].reason, "经度 200 超出范围"));
    cr_assert_not_null(strstr(rep.errors[5].reason, "经度和纬度需要同时填写"));
    cr_assert_not_null(strstr(rep.errors[7].reason, "上级代码不能是单位自己的代码"));
    cr_assert_not_null(strstr(rep.errors[8].reason, "未加引号的字段中有引号"));
    cr_assert_not_null(strstr(rep.errors[9].reason, "不能通过导入移动单位"), "%s",
                       rep.errors[9].reason);
    cr_assert_not_null(strstr(rep.errors[10].reason, "网格的上级应为村（社区）"), "%s",
                       rep.errors[10].reason);
}

Test(territory_io, csv_header_and_encoding)
{
    tk_import_report rep;
    cr_assert_eq(import(false, "", false, &rep), TK_EVALID);
    cr_assert_eq(rep.errors[0].line, 0);
    cr_assert_eq(import(false, "code,name,level,parent_code,code\n", false, &rep), TK_EVALID);
    cr_assert_not_null(strstr(rep.errors[0].reason, "出现了两次"));
    /* GBK bytes (what Excel writes by default in China) are named as such. */
    cr_assert_eq(import(false,
                        "code,name,level,parent_code\n330802101002,\xb4\xe5,village,330802101\n",
                        false, &rep),
                 TK_EVALID);
    cr_assert_eq(rep.errors[0].line, 2);
    cr_assert_not_null(strstr(rep.errors[0].reason, "UTF-8"));
}

/* ---- GeoJSON ---- */

static const char *collection(int n, const char *const *features)
{
    char *out = tk_arena_strdup(arena, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < n; i++)
        out = tk_arena_printf(arena, "%s%s%s", out, i ? "," : "", features[i]);
    return tk_arena_printf(arena, "%s]}", out);
}

static const char *grid_feature(const char *code, const char *parent, const char *level,
                                const char *geometry)
{
    return tk_arena_printf(
        arena,
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\",\"name\":\"网格%s\","
        "\"parent_code\":\"%s\",\"level\":\"%s\",\"households\":10},"
        "\"geometry\":%s}",
        code, code + strlen(code) - 3, parent, level, geometry);
}

Test(territory_io, geojson_grids_overlaps_and_microgrids)
{
    const char *v = "330802101001";
    const char *f[] = {
        grid_feature("330802101001001", v, "grid", square(118.81, 28.91, 0.01)),
        grid_feature("330802101001002", v, "grid", square(118.82, 28.91, 0.01)), /* touches */
        grid_feature("330802101001003", v, "grid",
                     square(118.815, 28.915, 0.01)), /* overlaps both */
        grid_feature("330802101001001001", "330802101001001", "microgrid",
                     square(118.811, 28.911, 0.002)),
    };
    tk_import_report rep;
    cr_assert_eq(import(true, collection(4, f), false, &rep), TK_EVALID);
    static const int64_t lines[] = {3};
    assert_lines(&rep, lines, 1);
    cr_assert_not_null(strstr(rep.errors[0].reason, "与第 1 个要素（330802101001001）重叠约"), "%s",
                       rep.errors[0].reason);
    cr_assert_not_null(strstr(rep.errors[0].reason, "与第 2 个要素（330802101001002）重叠约"), "%s",
                       rep.errors[0].reason);
    /* Without the third: the grids and the micro-grid under a grid of the same file. */
    const char *good[] = {f[0], f[1], f[3]};
    cr_assert_eq(import(true, collection(3, good), false, &rep), TK_OK);
    cr_assert_eq(rep.added, 3);
    cr_assert(rep.grids_changed);
    /* Now against the database: a new grid over an old one. */
    const char *over[] = {
        grid_feature("330802101001004", v, "grid", square(118.8295, 28.91, 0.01))};
    cr_assert_eq(import(true, collection(1, over), false, &rep), TK_EVALID);
    cr_assert_not_null(strstr(rep.errors[0].reason, "与网格 330802101001002 重叠约"), "%s",
                       rep.errors[0].reason);
    /* ... under the tolerance (0.0005° x 0.01° is about 54,000 m²) it passes. */
    import_job j = {
        .geojson = true,
        .text = collection(1, over),
        .opt = {.dry_run = true, .overlap_tolerance_m2 = 60000, .outside_tolerance_m2 = -1}};
    tk_error err;
    cr_assert_eq(tk_db_write(db, import_run, &j, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(j.rep.added, 1);
    /* Round trip of grids and micro-grids. */
    cr_assert_eq(import(true, export(true, "grid,microgrid"), false, &rep), TK_OK);
    cr_assert_eq(rep.unchanged, 3);
    cr_assert_eq(rep.changed + rep.added, 0);
}

Test(territory_io, geojson_outside_the_county_and_bad_features)
{
    const char *v = "330802101001";
    const char *f[] = {
        grid_feature("330802101001001", v, "grid", square(118.895, 28.95, 0.01)), /* half out */
        grid_feature("330802101001002", v, "grid", square(118.85, 28.95, 0.01)),
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"330802101001003\",\"colour\":1},"
        "\"geometry\":null}",
        "[]",
        grid_feature("330802101001005", v, "village", square(118.86, 28.95, 0.001)),
    };
    tk_import_report rep;
    cr_assert_eq(import(true, collection(5, f), false, &rep), TK_EVALID);
    static const int64_t lines[] = {1, 3, 4, 5};
    assert_lines(&rep, lines, 4);
    cr_assert_not_null(strstr(rep.errors[0].reason, "超出所属县（市、区）「柯城区」"), "%s",
                       rep.errors[0].reason);
    cr_assert_not_null(strstr(rep.errors[1].reason, "未知属性「colour」"), "%s",
                       rep.errors[1].reason);
    cr_assert_not_null(strstr(rep.errors[1].reason, "缺少几何"), "%s", rep.errors[1].reason);
    cr_assert_not_null(strstr(rep.errors[2].reason, "不是 GeoJSON Feature"));
    cr_assert_not_null(strstr(rep.errors[3].reason, "GeoJSON 只能新增网格和微网格"), "%s",
                       rep.errors[3].reason);
    cr_assert_eq(rep.added, 1);
}

/* ---- the geo helpers ---- */

Test(territory_io, geom_equality_covers_and_difference)
{
    tk_geom *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    tk_error err;
    const char *sa = square(118.8, 28.9, 0.01), *sc = square(118.805, 28.9, 0.01);
    cr_assert_eq(tk_geom_from_geojson(sa, strlen(sa), &a, &err), TK_OK);
    cr_assert_eq(tk_geom_from_geojson(sa, strlen(sa), &b, &err), TK_OK);
    cr_assert_eq(tk_geom_from_geojson(sc, strlen(sc), &c, &err), TK_OK);
    cr_assert(tk_geom_equals_exact(a, b, 0));
    cr_assert_not(tk_geom_equals_exact(a, c, 1e-9));
    tk_geom_prepared *p = tk_geom_prepare(a);
    cr_assert_not_null(p);
    cr_assert(tk_geom_prepared_covers(p, b));
    cr_assert_not(tk_geom_prepared_covers(p, c));
    cr_assert_eq(tk_geom_difference(c, a, &d, &err), TK_OK);
    cr_assert_float_eq(tk_geom_area_m2(d), tk_geom_area_m2(c) / 2, tk_geom_area_m2(c) * 0.01);
    tk_geom_prepared_free(p);
    tk_geom_prepared_free(NULL);
    tk_geom_free(a);
    tk_geom_free(b);
    tk_geom_free(c);
    tk_geom_free(d);
}

/* Found by mutating inputs under UBSan: with no polygon at all in the file or the
 * database, the overlap sweep sorted an empty (NULL) list. */
Test(territory_io, geojson_without_any_polygon)
{
    tk_import_report rep;
    cr_assert_eq(import(true, "{\"type\":\"FeatureCollection\",\"features\":[]}", false, &rep),
                 TK_OK);
    cr_assert_eq(rep.added + rep.changed + rep.unchanged + rep.rejected, 0);
    const char *f[] = {"{\"type\":\"Feature\",\"properties\":{\"code\":\"330802101001001\"},"
                       "\"geometry\":null}"};
    cr_assert_eq(import(true, collection(1, f), false, &rep), TK_EVALID);
    cr_assert_eq(rep.errors[0].line, 1);
}

/* A scope's anchor is the unit its path ends with (the session names it). */
Test(territory_io, path_unit_id)
{
    cr_assert_eq(tk_path_unit_id("/1/7/42/"), 42);
    cr_assert_eq(tk_path_unit_id("/1/"), 1);
    cr_assert_eq(tk_path_unit_id("/"), 0, "no unit");
    cr_assert_eq(tk_path_unit_id(""), 0);
    cr_assert_eq(tk_path_unit_id(NULL), 0);
    cr_assert_eq(tk_path_unit_id("/1/7"), 0, "not a path");
    cr_assert_eq(tk_path_unit_id("/1/x7/"), 0, "not a number");
    cr_assert(tk_path_within("/1/7/42/", "/1/7/"));
    cr_assert_not(tk_path_within("/1/70/", "/1/7/"), "a sibling whose id starts alike");
}
