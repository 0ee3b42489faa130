/*
 * demo.c - `tiaokuai demo`: builds the 衢州 demo, deterministically from a seed.
 *
 * On the real divisions (data/quzhou-divisions.csv) and county outlines
 * (data/quzhou-counties.geojson) it places township and village points, cuts
 * each county into grids (Voronoi cells of seeds around the villages, clipped to
 * the outline) so that 4,589 grids cover the city without overlap, and adds the
 * county departments, each township's command room, four modules, posts and 1+X
 * teams, the people in the seed article's proportions, the staffing that
 * reproduces the quotas moved down, and one user per role (data/demo-users.csv).
 * Last, 3,000 events of the 45 days before the build go through the event loop
 * (simulate.c), so lists, statistics and the big screen have a live city to show.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/rand.h"
#include "core/str.h"
#include "geo/geom.h"
#include "geo/tessellate.h"
#include "gov/access.h"
#include "gov/org.h"
#include "gov/password.h"
#include "gov/territory.h"
#include "gov/units.h"
#include "gov/users.h"

#define DEMO_GRIDS             4589
#define DEMO_CENTRAL_TOWNSHIPS 35
#define DEMO_TOWNSHIP_CADRES   5400
#define DEMO_DISPATCHED_CADRES 1460
#define DEMO_ADMIN_MOVED_DOWN  159
#define DEMO_INST_MOVED_DOWN   567
/* Totals chosen so that townships hold 41.9% / 21.3% of the quotas. */
#define DEMO_ADMIN_TOTAL    2000
#define DEMO_ADMIN_TOWNSHIP 838
#define DEMO_INST_TOTAL     6000
#define DEMO_INST_TOWNSHIP  1278
/* The simulated event flow that ends at the build time. */
#define DEMO_SIM_EVENTS       3000
#define DEMO_SIM_DAYS         45
#define DEMO_FOCUS_SHARE      0.25 /* of the events, in the demo accounts' townships */
#define DEMO_FOCUS_GRID_SHARE 0.03 /* of the events, in the demo grid worker's grid */

static const char *const departments[] = {
    "自然资源和规划局", "农业农村局",   "住房和城乡建设局", "人力资源和社会保障局",
    "市场监督管理局",   "生态环境分局", "综合行政执法局",   "公安局",
    "应急管理局",       "卫生健康局",   "交通运输局",       "信访局",
};
#define NDEPTS (int)(sizeof departments / sizeof departments[0])
/* The module a department's dispatched cadres join (index into modules[]). */
static const int dept_module[NDEPTS] = {1, 1, 1, 3, 1, 1, 2, 2, 2, 3, 1, 2};
static const char *const dept_keys[NDEPTS] = {"ziran",    "nongye",   "zhujian",  "renshe",
                                              "shichang", "shengtai", "zhifa",    "gongan",
                                              "yingji",   "weijian",  "jiaotong", "xinfang"};
static const char *const modules[] = {"党建统领", "经济生态", "平安法治", "公共服务"};
static const char *const module_keys[] = {"dangjian", "jingji", "pingan", "gonggong"};

static const char *const surnames[] = {
    "徐", "毛", "郑", "王", "祝", "叶", "周", "吴", "姜", "汪", "余", "占", "刘", "陈", "杨", "黄",
    "赵", "张", "李", "朱", "胡", "郭", "何", "林", "罗", "谢", "宋", "唐", "韩", "邓", "曹", "彭",
    "曾", "蔡", "蒋", "程", "魏", "方", "邵", "柴", "童", "傅", "鲁", "华", "江", "严", "钱", "戴",
};
static const char *const given[] = {
    "建", "国", "华", "明", "伟", "芳", "秀", "英", "丽", "强", "军", "平", "红", "敏", "静", "杰",
    "涛", "斌", "勇", "艳", "燕", "霞", "峰", "磊", "洁", "婷", "超", "鹏", "辉", "刚", "浩", "宇",
    "晨", "欣", "怡", "佳", "思", "雨", "文", "海", "林", "波", "颖", "琳", "飞", "俊", "志", "宏",
    "亮", "新", "玲", "莉", "兰", "萍", "春", "梅", "晓", "云", "丹", "军", "忠", "良", "荣", "康",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    char code[16], name[64], level[16], parent[16];
} division;

typedef struct {
    division *d;
    int64_t id;
    int county;   /* index into counties */
    int township; /* index into townships (villages) */
    double lng, lat;
    int ngrids;
    const char *class;
    bool central;
    int64_t command_id, module_ids[4], team_id;
    int villages;
} place;

typedef struct {
    division *d;
    int64_t id;
    tk_geom *outline;
    int64_t dept_ids[NDEPTS];
} county;

typedef struct {
    int village;
    double lng, lat;
    tk_geom *cell;
    int64_t id;
    int64_t households;
    char code[40];
} grid;

typedef struct {
    const tk_config *cfg;
    tk_db *db;
    tk_rand rng;
    uint64_t seed;
    division *divs;
    int ndivs;
    int64_t city_id;
    county counties[8];
    int ncounties;
    place *townships, *villages;
    int ntownships, nvillages;
    grid *grids;
    int ngrids;
    int64_t people;
    int64_t events; /* simulated at the end (--events) */
} demo;

static void progress(int step, const char *what)
{
    fprintf(stderr, "[%d/9] %s\n", step, what);
}

static char *read_file(const char *path, size_t *len, tk_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tk_fail(err, TK_EIO, "data_missing",
                "无法读取 %s（请在项目根目录运行，或用 --data 指定数据目录）", path);
        return NULL;
    }
    tk_buf b;
    tk_buf_init(&b, 64 << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tk_buf_append(&b, chunk, n);
    fclose(f);
    return tk_buf_take(&b, len);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A village by the name of the place, as its people and the township say it: the
 * statistical code's name is its committee's (万川村委会, 书香社区居委会), and
 * "万川村委会第1网格" reads as a grid of a committee. */
static void village_name(char *name)
{
    /* Longest first: 卢家村村委会 is the committee of 卢家村, not of 卢家村村. */
    static const char *const committee[][2] = {
        {"村村民委员会", "村"}, {"村民委员会", "村"},       {"村村委会", "村"},
        {"村委会", "村"},       {"社区居民委员会", "社区"}, {"社区居委会", "社区"},
        {"居民委员会", "社区"}, {"居委会", "社区"},
    };
    size_t n = strlen(name);
    for (size_t i = 0; i < COUNT(committee); i++) {
        if (!ends_with(name, committee[i][0]))
            continue;
        /* The place's word is never longer than the committee's it replaces. */
        memcpy(name + n - strlen(committee[i][0]), committee[i][1], strlen(committee[i][1]) + 1);
        return;
    }
}

static tk_status load_divisions(demo *d, tk_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/quzhou-divisions.csv", d->cfg->data);
    size_t len;
    char *text = read_file(path, &len, err);
    if (!text)
        return TK_EIO;
    d->divs = tk_xcalloc(4096, sizeof *d->divs);
    tk_slice rest = {text, len}, line;
    int lineno = 0;
    while (tk_slice_cut(&rest, '\n', &line) && d->ndivs < 4096) {
        if (lineno++ == 0 || tk_slice_trim(line).len == 0)
            continue;
        tk_slice f[4], cur = tk_slice_trim(line);
        for (int i = 0; i < 4; i++)
            if (!tk_slice_cut(&cur, ',', &f[i]))
                f[i] = (tk_slice){"", 0};
        division *v = &d->divs[d->ndivs++];
        snprintf(v->code, sizeof v->code, "%.*s", (int)f[0].len, f[0].ptr);
        snprintf(v->name, sizeof v->name, "%.*s", (int)f[1].len, f[1].ptr);
        snprintf(v->level, sizeof v->level, "%.*s", (int)f[2].len, f[2].ptr);
        snprintf(v->parent, sizeof v->parent, "%.*s", (int)f[3].len, f[3].ptr);
        if (!strcmp(v->level, "village"))
            village_name(v->name);
    }
    free(text);
    return TK_OK;
}

static tk_status load_outlines(demo *d, tk_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/quzhou-counties.geojson", d->cfg->data);
    json_error_t je;
    json_t *fc = json_load_file(path, 0, &je);
    if (!fc)
        return tk_fail(err, TK_EIO, "data_missing", "无法读取 %s：%s", path, je.text);
    size_t i;
    json_t *feature;
    tk_status st = TK_OK;
    json_array_foreach(json_object_get(fc, "features"), i, feature)
    {
        json_int_t adcode =
            json_integer_value(json_object_get(json_object_get(feature, "properties"), "adcode"));
        char code[16];
        snprintf(code, sizeof code, "%lld", (long long)adcode);
        for (int k = 0; k < d->ncounties; k++) {
            if (strcmp(d->counties[k].d->code, code) != 0)
                continue;
            char *text = json_dumps(json_object_get(feature, "geometry"), JSON_COMPACT);
            st = tk_geom_from_geojson(text, strlen(text), &d->counties[k].outline, err);
            free(text);
        }
    }
    json_decref(fc);
    for (int k = 0; st == TK_OK && k < d->ncounties; k++)
        if (!d->counties[k].outline)
            st = tk_fail(err, TK_EIO, "data_missing", "缺少 %s 的边界", d->counties[k].d->name);
    return st;
}

static int find_county(demo *d, const char *code)
{
    for (int i = 0; i < d->ncounties; i++)
        if (strcmp(d->counties[i].d->code, code) == 0)
            return i;
    return -1;
}

/* Sorts the divisions into counties, townships and villages. */
static void classify(demo *d)
{
    d->townships = tk_xcalloc((size_t)d->ndivs, sizeof *d->townships);
    d->villages = tk_xcalloc((size_t)d->ndivs, sizeof *d->villages);
    for (int i = 0; i < d->ndivs; i++)
        if (!strcmp(d->divs[i].level, "county"))
            d->counties[d->ncounties++].d = &d->divs[i];
    for (int i = 0; i < d->ndivs; i++)
        if (!strcmp(d->divs[i].level, "township")) {
            place *t = &d->townships[d->ntownships++];
            t->d = &d->divs[i];
            t->county = find_county(d, d->divs[i].parent);
        }
    for (int i = 0; i < d->ndivs; i++) {
        if (strcmp(d->divs[i].level, "village") != 0)
            continue;
        place *v = &d->villages[d->nvillages];
        v->d = &d->divs[i];
        for (int k = 0; k < d->ntownships; k++)
            if (!strcmp(d->townships[k].d->code, d->divs[i].parent)) {
                v->township = k;
                v->county = d->townships[k].county;
                d->townships[k].villages++;
            }
        d->nvillages++;
    }
}

static int cmp_by_villages(const void *a, const void *b)
{
    const place *x = *(const place *const *)a, *y = *(const place *const *)b;
    if (x->villages != y->villages)
        return y->villages - x->villages;
    return strcmp(x->d->code, y->d->code);
}

/* Township classes from the kind of township and its county; the 35 central
 * townships are the towns (镇) with the most villages. */
static void assign_classes(demo *d)
{
    place **towns = tk_xcalloc((size_t)d->ntownships, sizeof *towns);
    int ntowns = 0;
    for (int i = 0; i < d->ntownships; i++) {
        place *t = &d->townships[i];
        const char *cc = d->counties[t->county].d->code;
        double u = tk_rand_unit(&d->rng);
        if (ends_with(t->d->name, "街道"))
            t->class =
                (!strcmp(cc, "330802") || !strcmp(cc, "330803") || u < 0.7) ? "城区型" : "城郊型";
        else if (ends_with(t->d->name, "镇"))
            t->class = u < 0.35 ? "经济型" : u < 0.7 ? "复合型" : "城郊型";
        else
            t->class = u < 0.8 ? "生态型" : "复合型";
        if (ends_with(t->d->name, "镇"))
            towns[ntowns++] = t;
    }
    qsort(towns, (size_t)ntowns, sizeof *towns, cmp_by_villages);
    for (int i = 0; i < ntowns && i < DEMO_CENTRAL_TOWNSHIPS; i++)
        towns[i]->central = true;
    free(towns);
}

/* A point near (lng, lat) inside the county, spread by sigma degrees. */
static void near_point(demo *d, const tk_geom *area, double lng, double lat, double sigma,
                       double *out_lng, double *out_lat)
{
    for (int tries = 0; tries < 60; tries++) {
        /* Box-Muller */
        double u1 = tk_rand_unit(&d->rng) + 1e-12, u2 = tk_rand_unit(&d->rng);
        double r = sigma * sqrt(-2 * log(u1));
        double x = lng + r * cos(2 * M_PI * u2) / cos(lat * M_PI / 180);
        double y = lat + r * sin(2 * M_PI * u2);
        if (tk_geom_covers_point(area, x, y)) {
            *out_lng = x;
            *out_lat = y;
            return;
        }
    }
    /* A corner of the county where the spread keeps falling outside: any point in it. */
    double xy[2] = {lng, lat};
    tk_error err;
    tk_geom_random_points(area, tk_rand_u64(&d->rng), 1, xy, &err);
    *out_lng = xy[0];
    *out_lat = xy[1];
}

/* Largest-remainder split of total by weights. */
static void apportion(const double *w, int n, int total, int *out)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += w[i];
    int given_out = 0;
    double *rem = tk_xcalloc((size_t)n, sizeof *rem);
    for (int i = 0; i < n; i++) {
        double exact = sum > 0 ? total * w[i] / sum : 0;
        out[i] = (int)floor(exact);
        rem[i] = exact - out[i];
        given_out += out[i];
    }
    while (given_out < total) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (rem[i] > rem[best])
                best = i;
        out[best]++;
        rem[best] = -1;
        given_out++;
    }
    free(rem);
}

static tk_status place_points(demo *d, tk_error *err)
{
    for (int c = 0; c < d->ncounties; c++) {
        county *k = &d->counties[c];
        int n = 0;
        for (int i = 0; i < d->ntownships; i++)
            n += d->townships[i].county == c;
        double *xy = tk_xcalloc((size_t)n * 2, sizeof *xy);
        if (tk_geom_random_points(k->outline, d->seed + (uint64_t)c * 7919, (size_t)n, xy, err) !=
            TK_OK) {
            free(xy);
            return err->status;
        }
        for (int i = 0, j = 0; i < d->ntownships; i++)
            if (d->townships[i].county == c) {
                d->townships[i].lng = xy[2 * j];
                d->townships[i].lat = xy[2 * j + 1];
                j++;
            }
        free(xy);
    }
    for (int i = 0; i < d->nvillages; i++) {
        place *v = &d->villages[i], *t = &d->townships[v->township];
        near_point(d, d->counties[v->county].outline, t->lng, t->lat, 0.035, &v->lng, &v->lat);
    }
    return TK_OK;
}

static tk_status make_grids(demo *d, tk_error *err)
{
    /* Grids per county by villages, then per village: one each plus a weighted share. */
    double cw[8] = {0};
    int per_county[8];
    for (int i = 0; i < d->nvillages; i++)
        cw[d->villages[i].county] += 1;
    apportion(cw, d->ncounties, DEMO_GRIDS, per_county);
    d->grids = tk_xcalloc(DEMO_GRIDS, sizeof *d->grids);
    for (int c = 0; c < d->ncounties; c++) {
        int nv = 0;
        for (int i = 0; i < d->nvillages; i++)
            nv += d->villages[i].county == c;
        double *w = tk_xcalloc((size_t)nv, sizeof *w);
        int *extra = tk_xcalloc((size_t)nv, sizeof *extra);
        for (int j = 0; j < nv; j++)
            w[j] = tk_rand_uniform(&d->rng, 0.4, 1.6);
        apportion(w, nv, per_county[c] - nv, extra);
        int first = d->ngrids;
        for (int i = 0, j = 0; i < d->nvillages; i++) {
            place *v = &d->villages[i];
            if (v->county != c)
                continue;
            v->ngrids = 1 + extra[j++];
            for (int g = 0; g < v->ngrids; g++) {
                grid *gr = &d->grids[d->ngrids++];
                gr->village = i;
                if (g == 0) {
                    gr->lng = v->lng;
                    gr->lat = v->lat;
                } else {
                    near_point(d, d->counties[c].outline, v->lng, v->lat, 0.009, &gr->lng,
                               &gr->lat);
                }
                snprintf(gr->code, sizeof gr->code, "%s%03d", v->d->code, g + 1);
                gr->households = 300 + (int64_t)tk_rand_below(&d->rng, 201);
            }
        }
        free(w);
        free(extra);
        int n = d->ngrids - first;
        double *xy = tk_xcalloc((size_t)n * 2, sizeof *xy);
        tk_geom **cells = tk_xcalloc((size_t)n, sizeof *cells);
        for (int g = 0; g < n; g++) {
            xy[2 * g] = d->grids[first + g].lng;
            xy[2 * g + 1] = d->grids[first + g].lat;
        }
        tk_status st = tk_tessellate(d->counties[c].outline, xy, (size_t)n, cells, err);
        for (int g = 0; g < n; g++)
            d->grids[first + g].cell = cells[g];
        free(xy);
        free(cells);
        if (st != TK_OK)
            return st;
    }
    return TK_OK;
}

static void set_geometry(tk_place_input *in, const tk_geom *g, tk_arena *a)
{
    char *text = NULL;
    tk_error err;
    if (tk_geom_to_geojson(g, &text, &err) != TK_OK)
        return;
    in->geometry = tk_arena_strdup(a, text);
    free(text);
    in->area_m2 = tk_geom_area_m2(g);
    tk_bbox b;
    tk_geom_bbox(g, &b);
    in->bbox[0] = b.min_lng;
    in->bbox[1] = b.min_lat;
    in->bbox[2] = b.max_lng;
    in->bbox[3] = b.max_lat;
}

static tk_place_input plain(const char *code, const char *name, const char *kind, int64_t parent)
{
    tk_place_input in = {.code = code,
                         .name = name,
                         .kind = kind,
                         .parent_id = parent,
                         .is_central = -1,
                         .households = -1,
                         .population = -1};
    return in;
}

static tk_status write_territory(tk_conn *c, void *arg, tk_error *err)
{
    demo *d = arg;
    tk_arena *a = tk_arena_new(1 << 20);
    tk_unit root;
    tk_status st = tk_unit_by_code(c, a, "330800", &root, err);
    if (st == TK_OK)
        d->city_id = root.id;
    for (int i = 0; st == TK_OK && i < d->ncounties; i++) {
        county *k = &d->counties[i];
        tk_place_input in = plain(k->d->code, k->d->name, "county", d->city_id);
        tk_geom *simple = NULL;
        if (tk_geom_simplify(k->outline, 100, &simple, err) == TK_OK)
            set_geometry(&in, simple, a);
        tk_geom_free(simple);
        st = tk_place_create(c, &in, &k->id, err);
    }
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        place *t = &d->townships[i];
        tk_place_input in = plain(t->d->code, t->d->name, "township", d->counties[t->county].id);
        in.township_class = t->class;
        in.is_central = t->central;
        in.set_point = true;
        in.lng = t->lng;
        in.lat = t->lat;
        st = tk_place_create(c, &in, &t->id, err);
    }
    for (int i = 0; st == TK_OK && i < d->nvillages; i++) {
        place *v = &d->villages[i];
        tk_place_input in = plain(v->d->code, v->d->name, "village", d->townships[v->township].id);
        in.set_point = true;
        in.lng = v->lng;
        in.lat = v->lat;
        st = tk_place_create(c, &in, &v->id, err);
    }
    char name[96];
    int seq_in_village = 0, last_village = -1;
    for (int i = 0; st == TK_OK && i < d->ngrids; i++) {
        grid *g = &d->grids[i];
        place *v = &d->villages[g->village];
        seq_in_village = g->village == last_village ? seq_in_village + 1 : 1;
        last_village = g->village;
        snprintf(name, sizeof name, "%s第%d网格", v->d->name, seq_in_village);
        tk_place_input in = plain(g->code, name, "grid", v->id);
        in.households = g->households;
        in.population = (int64_t)((double)g->households * tk_rand_uniform(&d->rng, 2.5, 3.1));
        in.set_point = true;
        in.lng = g->lng;
        in.lat = g->lat;
        set_geometry(&in, g->cell, a);
        st = tk_place_create(c, &in, &g->id, err);
        tk_arena_reset(a);
    }
    tk_arena_free(a);
    return st;
}

/* Township outlines: the union of their grids, simplified for maps. */
static tk_status township_outlines(tk_conn *c, void *arg, tk_error *err)
{
    demo *d = arg;
    tk_arena *a = tk_arena_new(1 << 20);
    const tk_geom **parts = tk_xcalloc((size_t)d->ngrids, sizeof *parts);
    tk_status st = TK_OK;
    for (int t = 0; st == TK_OK && t < d->ntownships; t++) {
        size_t n = 0;
        for (int g = 0; g < d->ngrids; g++)
            if (d->villages[d->grids[g].village].township == t)
                parts[n++] = d->grids[g].cell;
        tk_geom *u = NULL, *simple = NULL;
        if (n && tk_geom_union(parts, n, &u, err) == TK_OK &&
            tk_geom_simplify(u, 60, &simple, err) == TK_OK) {
            tk_place_input in = plain(NULL, NULL, NULL, 0);
            set_geometry(&in, simple, a);
            st = tk_place_update(c, d->townships[t].id, &in, err);
        }
        tk_geom_free(u);
        tk_geom_free(simple);
        tk_arena_reset(a);
    }
    free(parts);
    tk_arena_free(a);
    return st;
}

static tk_status add_unit(tk_conn *c, const char *code, const char *name, const char *kind,
                          const char *function, int64_t parent, int64_t *id, tk_error *err)
{
    tk_place_input in = plain(code, name, kind, parent);
    in.function = function;
    return tk_place_create(c, &in, id, err);
}

static tk_status add_post(tk_conn *c, int64_t unit, const char *name, const char *duty, int64_t n,
                          tk_error *err)
{
    int64_t id;
    return tk_post_create(c, unit, name, duty, n, &id, err);
}

static tk_status write_organisation(tk_conn *c, void *arg, tk_error *err)
{
    demo *d = arg;
    char code[48], name[160];
    tk_status st = TK_OK;
    for (int k = 0; st == TK_OK && k < d->ncounties; k++) {
        county *ct = &d->counties[k];
        for (int j = 0; st == TK_OK && j < NDEPTS; j++) {
            snprintf(code, sizeof code, "%sD%02d", ct->d->code, j + 1);
            snprintf(name, sizeof name, "%s%s", ct->d->name, departments[j]);
            st = add_unit(c, code, name, "department", dept_keys[j], ct->id, &ct->dept_ids[j], err);
        }
    }
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        place *t = &d->townships[i];
        snprintf(code, sizeof code, "%sC", t->d->code);
        snprintf(name, sizeof name, "%s综合信息指挥室", t->d->name);
        st = add_unit(c, code, name, "command", "command", t->id, &t->command_id, err);
        int watch =
            t->central ? 4 + (int)tk_rand_below(&d->rng, 3) : 3 + (int)tk_rand_below(&d->rng, 2);
        if (st == TK_OK)
            st = add_post(c, t->command_id, "指挥长", "统筹指挥、研判交办、督办考核", 1, err);
        if (st == TK_OK)
            st = add_post(c, t->command_id, "值班员", "24 小时值守、受理、派遣、回访", watch, err);
        for (int m = 0; st == TK_OK && m < 4; m++) {
            snprintf(code, sizeof code, "%sM%d", t->d->code, m + 1);
            snprintf(name, sizeof name, "%s%s模块", t->d->name, modules[m]);
            st = add_unit(c, code, name, "module", module_keys[m], t->id, &t->module_ids[m], err);
            if (st == TK_OK)
                st = add_post(c, t->module_ids[m], "模块长", "模块统筹、干部考评", 1, err);
            if (st == TK_OK)
                st = add_post(c, t->module_ids[m], "模块专员", "事项办理、组团服务", 8, err);
        }
        if (st == TK_OK && t->central) {
            snprintf(code, sizeof code, "%sT", t->d->code);
            snprintf(name, sizeof name, "%s综合行政执法队", t->d->name);
            st = add_unit(c, code, name, "team", "team", t->id, &t->team_id, err);
        }
    }
    /* 1+X: each central township's team also covers its nearest non-central
     * neighbours in the same county that no other team covers yet. */
    bool *covered = tk_xcalloc((size_t)d->ntownships, sizeof *covered);
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        place *t = &d->townships[i];
        if (!t->central)
            continue;
        int64_t list[3];
        int n = 0;
        for (int round = 0; round < 2; round++) {
            int best = -1;
            double best_d = 1e9;
            for (int j = 0; j < d->ntownships; j++) {
                place *o = &d->townships[j];
                if (o->central || covered[j] || o->county != t->county)
                    continue;
                double dx = o->lng - t->lng, dy = o->lat - t->lat, dist = dx * dx + dy * dy;
                if (dist < best_d) {
                    best_d = dist;
                    best = j;
                }
            }
            if (best >= 0) {
                covered[best] = true;
                list[n++] = d->townships[best].id;
            }
        }
        st = tk_team_set_coverage(c, t->team_id, list, n, err);
    }
    free(covered);
    return st;
}

static void person_name(demo *d, char *out, size_t size)
{
    const char *s = surnames[tk_rand_below(&d->rng, COUNT(surnames))];
    const char *g1 = given[tk_rand_below(&d->rng, COUNT(given))];
    if (tk_rand_unit(&d->rng) < 0.3)
        snprintf(out, size, "%s%s", s, g1);
    else
        snprintf(out, size, "%s%s%s", s, g1, given[tk_rand_below(&d->rng, COUNT(given))]);
}

static void person_phone(demo *d, char *out, size_t size)
{
    static const char *prefixes[] = {"138", "139", "135", "137", "150", "151", "158", "187", "188",
                                     "133", "153", "180", "189", "130", "131", "156", "185", "186"};
    snprintf(out, size, "%s%08llu", prefixes[tk_rand_below(&d->rng, COUNT(prefixes))],
             (unsigned long long)tk_rand_below(&d->rng, 100000000));
}

/* A resident ID number of the county with a valid GB 11643 check digit. */
static void person_id_number(demo *d, const char *county_code, char *out, size_t size)
{
    int year = 1965 + (int)tk_rand_below(&d->rng, 36);
    int month = 1 + (int)tk_rand_below(&d->rng, 12), day = 1 + (int)tk_rand_below(&d->rng, 28);
    char body[64];
    snprintf(body, sizeof body, "%.6s%04d%02d%02d%03d", county_code, year, month, day,
             (int)tk_rand_below(&d->rng, 1000));
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (body[i] - '0') * weights[i];
    snprintf(out, size, "%s%c", body, "10X98765432"[sum % 11]);
}

static tk_status add_person(demo *d, tk_conn *c, const char *kind, int64_t unit, int64_t home,
                            const char *county_code, bool locked, tk_error *err)
{
    char name[32], phone[24], idn[80], since[40];
    person_name(d, name, sizeof name);
    person_phone(d, phone, sizeof phone);
    person_id_number(d, county_code, idn, sizeof idn);
    snprintf(since, sizeof since, "%d-%02d-01", 2015 + (int)tk_rand_below(&d->rng, 9),
             1 + (int)tk_rand_below(&d->rng, 12));
    tk_person_input in = {.name = name,
                          .phone = phone,
                          .id_number = idn,
                          .kind = kind,
                          .since = since,
                          .unit_id = unit,
                          .home_unit_id = home,
                          .quota_locked = locked,
                          .person_locked = locked};
    int64_t id;
    d->people++;
    return tk_person_create(c, &in, &id, err);
}

static tk_status write_people(tk_conn *c, void *arg, tk_error *err)
{
    demo *d = arg;
    tk_status st = TK_OK;
    for (int g = 0; st == TK_OK && g < d->ngrids; g++) {
        place *v = &d->villages[d->grids[g].village];
        st = add_person(d, c, "grid_worker", d->grids[g].id, 0, d->counties[v->county].d->code,
                        false, err);
    }
    double *w = tk_xcalloc((size_t)d->ntownships, sizeof *w);
    int *cadres = tk_xcalloc((size_t)d->ntownships, sizeof *cadres);
    int *dispatched = tk_xcalloc((size_t)d->ntownships, sizeof *dispatched);
    for (int i = 0; i < d->ntownships; i++)
        w[i] = (10 + d->townships[i].villages) * (d->townships[i].central ? 1.3 : 1.0);
    apportion(w, d->ntownships, DEMO_TOWNSHIP_CADRES, cadres);
    apportion(w, d->ntownships, DEMO_DISPATCHED_CADRES, dispatched);
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        place *t = &d->townships[i];
        const char *cc = d->counties[t->county].d->code;
        for (int k = 0; st == TK_OK && k < cadres[i]; k++)
            st = add_person(d, c, "township_cadre", t->module_ids[k % 4], 0, cc, false, err);
        for (int k = 0; st == TK_OK && k < dispatched[i]; k++) {
            int dept = (int)tk_rand_below(&d->rng, NDEPTS);
            st = add_person(d, c, "dispatched_cadre", t->module_ids[dept_module[dept]],
                            d->counties[t->county].dept_ids[dept], cc, true, err);
        }
        int watch = t->central ? 5 : 3;
        for (int k = 0; st == TK_OK && k < watch; k++)
            st = add_person(d, c, "command_staff", t->command_id, 0, cc, false, err);
    }
    free(w);
    free(cadres);
    free(dispatched);
    return st;
}

/* Quotas held after the move down reproduce the article's shares; the transfers
 * record the 159 administrative and 567 institutional quotas moved down. */
static tk_status write_staffing(tk_conn *c, void *arg, tk_error *err)
{
    demo *d = arg;
    int nd = d->ncounties * NDEPTS;
    double *tw = tk_xcalloc((size_t)d->ntownships, sizeof *tw);
    double *dw = tk_xcalloc((size_t)nd, sizeof *dw);
    int *t_admin = tk_xcalloc((size_t)d->ntownships, sizeof(int));
    int *t_inst = tk_xcalloc((size_t)d->ntownships, sizeof(int));
    int *d_admin = tk_xcalloc((size_t)nd, sizeof(int));
    int *d_inst = tk_xcalloc((size_t)nd, sizeof(int));
    for (int i = 0; i < d->ntownships; i++)
        tw[i] = 10 + d->townships[i].villages;
    for (int i = 0; i < nd; i++)
        dw[i] = tk_rand_uniform(&d->rng, 0.6, 1.4);
    apportion(tw, d->ntownships, DEMO_ADMIN_TOWNSHIP, t_admin);
    apportion(tw, d->ntownships, DEMO_INST_TOWNSHIP, t_inst);
    apportion(dw, nd, DEMO_ADMIN_TOTAL - DEMO_ADMIN_TOWNSHIP, d_admin);
    apportion(dw, nd, DEMO_INST_TOTAL - DEMO_INST_TOWNSHIP, d_inst);
    tk_status st = TK_OK;
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        int64_t id = d->townships[i].id;
        st = tk_quota_set(c, id, "administrative", t_admin[i], t_admin[i] * 9 / 10, err);
        if (st == TK_OK)
            st = tk_quota_set(c, id, "institutional", t_inst[i], t_inst[i] * 9 / 10, err);
    }
    for (int i = 0; st == TK_OK && i < nd; i++) {
        int64_t id = d->counties[i / NDEPTS].dept_ids[i % NDEPTS];
        st = tk_quota_set(c, id, "administrative", d_admin[i], d_admin[i] * 9 / 10, err);
        if (st == TK_OK)
            st = tk_quota_set(c, id, "institutional", d_inst[i], d_inst[i] * 9 / 10, err);
    }
    /* Administrative quotas moved down with enforcement to the central townships;
     * institutional ones from every department to every township. */
    int ncentral = 0;
    for (int i = 0; i < d->ntownships; i++)
        ncentral += d->townships[i].central;
    double *cw = tk_xcalloc((size_t)d->ntownships, sizeof *cw);
    int *admin_moves = tk_xcalloc((size_t)d->ntownships, sizeof(int));
    int *inst_moves = tk_xcalloc((size_t)d->ntownships, sizeof(int));
    for (int i = 0; i < d->ntownships; i++)
        cw[i] = d->townships[i].central ? tw[i] : 0;
    apportion(cw, d->ntownships, DEMO_ADMIN_MOVED_DOWN, admin_moves);
    apportion(tw, d->ntownships, DEMO_INST_MOVED_DOWN, inst_moves);
    for (int i = 0; st == TK_OK && i < d->ntownships; i++) {
        county *ct = &d->counties[d->townships[i].county];
        int64_t id;
        if (admin_moves[i]) {
            tk_transfer t = {.from_unit_id = ct->dept_ids[6],
                             .to_unit_id = d->townships[i].id,
                             .kind = "administrative",
                             .count = admin_moves[i],
                             .effective_on = "2021-07-01",
                             .document = "衢编〔2021〕12号"};
            st = tk_transfer_create(c, &t, &id, err);
        }
        if (st == TK_OK && inst_moves[i]) {
            tk_transfer t = {.from_unit_id = ct->dept_ids[tk_rand_below(&d->rng, NDEPTS)],
                             .to_unit_id = d->townships[i].id,
                             .kind = "institutional",
                             .count = inst_moves[i],
                             .effective_on = "2021-07-01",
                             .document = "衢编〔2021〕12号"};
            st = tk_transfer_create(c, &t, &id, err);
        }
    }
    (void)ncentral;
    free(cw);
    free(admin_moves);
    free(inst_moves);
    free(tw);
    free(dw);
    free(t_admin);
    free(t_inst);
    free(d_admin);
    free(d_inst);
    return st;
}

typedef struct {
    char username[32], role[24], unit[24], name[64], password[64];
    char hash[TK_PASSWORD_HASH_SIZE];
} demo_user;

typedef struct {
    demo_user users[32];
    int n;
} demo_users;

static tk_status load_users(const char *dir, demo_users *du, tk_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/demo-users.csv", dir);
    size_t len;
    char *text = read_file(path, &len, err);
    if (!text)
        return TK_EIO;
    tk_slice rest = {text, len}, line;
    int lineno = 0;
    while (tk_slice_cut(&rest, '\n', &line) && du->n < 32) {
        line = tk_slice_trim(line);
        if (lineno++ == 0 || line.len == 0)
            continue;
        demo_user *u = &du->users[du->n++];
        char *fields[5] = {u->username, u->role, u->unit, u->name, u->password};
        size_t sizes[5] = {sizeof u->username, sizeof u->role, sizeof u->unit, sizeof u->name,
                           sizeof u->password};
        for (int i = 0; i < 5; i++) {
            tk_slice f;
            if (!tk_slice_cut(&line, ',', &f))
                f = (tk_slice){"", 0};
            snprintf(fields[i], sizes[i], "%.*s", (int)f.len, f.ptr);
        }
    }
    free(text);
    return TK_OK;
}

/* The townships of the demo's command-room accounts (the first 9 digits of their unit
 * codes), comma-separated: the simulation makes them busy, so that whoever logs in
 * there finds work waiting in every queue. */
static void focus_townships(const demo_users *du, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < du->n; i++) {
        const demo_user *u = &du->users[i];
        if (strcmp(u->role, "township_command") != 0 || strlen(u->unit) < 9 || len + 11 > size)
            continue;
        len += (size_t)snprintf(out + len, size - len, "%s%.9s", len ? "," : "", u->unit);
    }
}

static tk_status write_users(tk_conn *c, void *arg, tk_error *err)
{
    demo_users *du = arg;
    tk_arena *a = tk_arena_new(4096);
    tk_status st = TK_OK;
    for (int i = 0; st == TK_OK && i < du->n; i++) {
        demo_user *u = &du->users[i];
        tk_unit unit;
        int role = tk_role_parse(u->role);
        st = role < 0 ? tk_fail(err, TK_EVALID, "demo_user", "演示账号 %s 的角色无效", u->username)
                      : tk_unit_by_code(c, a, u->unit, &unit, err);
        if (st != TK_OK)
            break;
        tk_user_new nu = {.username = u->username,
                          .display_name = u->name,
                          .role = (tk_role)role,
                          .unit_id = unit.id,
                          .password_hash = u->hash};
        int64_t id;
        st = tk_user_create(c, &nu, &id, err);
        /* Link the account to a person working in that unit, if there is one. */
        tk_stmt *s = st == TK_OK ? tk_prepare(c,
                                              "UPDATE people SET user_id = ?1 WHERE id = (SELECT "
                                              "id FROM people WHERE unit_id = ?2 AND user_id IS "
                                              "NULL ORDER BY id LIMIT 1)",
                                              err)
                                 : NULL;
        if (s) {
            tk_bind_i64(s, 1, id);
            tk_bind_i64(s, 2, unit.id);
            if (tk_step(s, err) < 0)
                st = err->status;
        }
        tk_arena_reset(a);
    }
    tk_arena_free(a);
    return st;
}

static void demo_free(demo *d)
{
    for (int i = 0; i < d->ngrids; i++)
        tk_geom_free(d->grids[i].cell);
    for (int i = 0; i < d->ncounties; i++)
        tk_geom_free(d->counties[i].outline);
    free(d->grids);
    free(d->townships);
    free(d->villages);
    free(d->divs);
}

static bool database_empty(tk_db *db)
{
    tk_error err;
    tk_conn *c = tk_db_reader(db, &err);
    tk_stmt *s = c ? tk_prepare(c, "SELECT count(*) FROM units WHERE kind != 'city'", &err) : NULL;
    if (!s)
        return false;
    bool empty = tk_step(s, &err) == 1 && tk_col_i64(s, 0) == 0;
    tk_reset(s);
    return empty;
}

static int run(demo *d, tk_error *err)
{
    int64_t t0 = tk_monotonic_ns();
    int64_t built_at = tk_now_ms() / 60000 * 60000; /* the simulated period ends here */
    progress(1, "读取行政区划与县界");
    if (load_divisions(d, err) != TK_OK)
        return tk_cli_fail(err);
    classify(d);
    if (load_outlines(d, err) != TK_OK)
        return tk_cli_fail(err);
    assign_classes(d);
    progress(2, "布设乡镇、村社位置，划分网格");
    if (place_points(d, err) != TK_OK || make_grids(d, err) != TK_OK)
        return tk_cli_fail(err);
    progress(3, "写入区划与网格");
    if (tk_cli_ensure_root(d->db, err) != TK_OK ||
        tk_cli_seed_calendar(d->db, d->cfg->data, err) != TK_OK ||
        tk_db_write(d->db, write_territory, d, err) != TK_OK ||
        tk_db_write(d->db, township_outlines, d, err) != TK_OK)
        return tk_cli_fail(err);
    progress(4, "县级部门、指挥室、模块、岗位与 1+X 执法队");
    if (tk_db_write(d->db, write_organisation, d, err) != TK_OK)
        return tk_cli_fail(err);
    progress(5, "网格员、乡镇干部与派驻干部");
    if (tk_db_write(d->db, write_people, d, err) != TK_OK)
        return tk_cli_fail(err);
    progress(6, "编制与编制下沉");
    if (tk_db_write(d->db, write_staffing, d, err) != TK_OK)
        return tk_cli_fail(err);
    progress(7, "三张清单与事件类别");
    if (tk_cli_seed_lists(d->db, d->cfg->data, err) != TK_OK)
        return tk_cli_fail(err);
    progress(8, "演示账号");
    static demo_users du;
    memset(&du, 0, sizeof du);
    if (load_users(d->cfg->data, &du, err) != TK_OK)
        return tk_cli_fail(err);
    for (int i = 0; i < du.n; i++)
        if (tk_password_hash(du.users[i].password, du.users[i].hash, err) != TK_OK)
            return tk_cli_fail(err);
    if (tk_db_write(d->db, write_users, &du, err) != TK_OK)
        return tk_cli_fail(err);
    /* A city at work: the events of the last weeks, through the real event loop. */
    char what[128];
    if (d->events > 0)
        snprintf(what, sizeof what, "模拟近 %d 天的事件流转（%lld 件）", DEMO_SIM_DAYS,
                 (long long)d->events);
    else
        snprintf(what, sizeof what, "不模拟事件（--events 0）");
    progress(9, what);
    tk_sim_report rep = {0};
    char focus[256];
    focus_townships(&du, focus, sizeof focus);
    const char *worker_grid = NULL; /* the demo grid worker's grid */
    for (int i = 0; i < du.n; i++)
        if (!strcmp(du.users[i].role, "grid_worker"))
            worker_grid = du.users[i].unit;
    tk_sim_options sim = {.events = d->events,
                          .days = DEMO_SIM_DAYS,
                          .seed = d->seed,
                          .end_ms = built_at,
                          .quiet = true,
                          .focus = focus,
                          .focus_share = DEMO_FOCUS_SHARE,
                          .focus_grid = worker_grid,
                          .focus_grid_share = DEMO_FOCUS_GRID_SHARE};
    if (d->events > 0 && tk_cli_simulate_run(d->db, &sim, &rep, err) != TK_OK)
        return tk_cli_fail(err);
    printf("演示数据已生成：%d 个县（市、区）、%d 个乡镇（街道）、%d 个村（社区）、%d 个网格、"
           "%lld 名人员、%d 个账号、%lld 件事件（近 %d 天，已结案 %lld 件），用时 %.1f 秒\n",
           d->ncounties, d->ntownships, d->nvillages, d->ngrids, (long long)d->people, du.n,
           (long long)rep.created, DEMO_SIM_DAYS, (long long)rep.closed,
           (double)(tk_monotonic_ns() - t0) / 1e9);
    return 0;
}

int tk_cli_demo(int argc, char **argv)
{
    int n = argc;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    int64_t seed = 20230601, events = DEMO_SIM_EVENTS;
    const char *seed_arg = tk_cli_take_flag(&n, args, "--seed");
    const char *events_arg = tk_cli_take_flag(&n, args, "--events");
    if (seed_arg && (!tk_parse_i64(seed_arg, &seed) || seed < 0)) {
        fprintf(stderr, "tiaokuai: --seed 需要非负整数\n");
        free(args);
        return EX_USAGE;
    }
    if (events_arg && (!tk_parse_i64(events_arg, &events) || events < 0 || events > 1000000)) {
        fprintf(stderr, "tiaokuai: --events 需要 0 到 1000000 的整数\n");
        free(args);
        return EX_USAGE;
    }
    tk_config cfg;
    static demo d;
    memset(&d, 0, sizeof d);
    int rc = tk_cli_open_db(
        n, args,
        "用法：tiaokuai demo [--db 路径] [--seed 整数] [--events 件数] [--data 目录]\n"
        "在空数据库中生成衢州演示数据：真实区划、4,589 个网格、部门与模块、人员、"
        "编制下沉、每个角色的演示账号，以及截至生成时刻近 45 天的事件流转（--events，"
        "默认 3000 件，0 为不生成）。同一种子在同一时刻生成的数据完全相同。",
        &cfg, &d.db, NULL, NULL);
    free(args);
    if (rc >= 0)
        return rc;
    if (!database_empty(d.db)) {
        fprintf(stderr, "tiaokuai: 数据库 %s 已有区划数据，演示数据只能生成在空数据库中\n",
                tk_db_path(d.db));
        tk_db_close(d.db);
        return EX_DATAERR;
    }
    d.cfg = &cfg;
    d.seed = (uint64_t)seed;
    d.events = events;
    tk_rand_seed(&d.rng, d.seed);
    tk_error err;
    rc = run(&d, &err);
    demo_free(&d);
    tk_db_close(d.db);
    return rc;
}
