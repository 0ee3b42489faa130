/*
 * simulate.c - `tiaokuai simulate`: a city's event flow driven through the real
 * domain functions (tk_event_create, tk_event_act, tk_events_process_due) on a
 * manual clock that runs from end - D days to end.
 *
 * Events arrive over the period with daily rhythms per source (grid patrols in
 * working hours, the hotline into the evening, sensors at any hour), in random
 * grids weighted by population, at points inside the grid (its bounding box and
 * the point -> grid locator), with categories weighted towards 市容环境 and
 * 矛盾纠纷. Each then follows a path: mostly accepted -> dispatched to the
 * suggested body -> signed -> feedback -> verified -> closed -> revisited; some
 * are rejected (duplicates among them), verified on site first, returned,
 * reworked, extended, or passed to a county department (乡呼县应). Each step
 * waits a share of the stage's time limit measured on the work calendar, so
 * most finish in time, some turn yellow and some red, and the timer's alerts
 * (tk_events_process_due) run at their exact instants as the clock moves.
 * Self-closing (自行处置) needs photos and is not simulated.
 *
 * Actors: the database's accounts where they fit (the demo's command room, module,
 * department and grid users, the hotline integration); elsewhere an identity
 * built for the unit (user_id 0): the command room of the event's township, the
 * staff of the assignee unit, the grid's worker under the name on the roster.
 *
 * Steps run in write jobs (one transaction each), every step inside its own
 * savepoint so a refused step leaves nothing behind: 20,000 steps per job for runs
 * of up to 20,000 events, 100 above. Long jobs are cheap on a small database but
 * not on a large one: inside a job every statement's savepoint is released by
 * truncating SQLite's in-memory sub-journal (the writer runs with temp_store=MEMORY),
 * which walks it from its start, so a statement costs more the more distinct pages
 * the job has touched; on a year of a city that dominates after a few hundred steps.
 * Where the commits fall does not change the result: the same seed, period and
 * database give the same events. Audit records are not written: the audit
 * chain records requests, and nothing here is one. Run it on a database no server
 * is using: its transactions hold the write lock for their whole length.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/rand.h"
#include "core/str.h"
#include "geo/geom.h"
#include "geo/locate.h"
#include "gov/access.h"
#include "gov/categories.h"
#include "gov/events.h"
#include "gov/territory.h"
#include "gov/units.h"
#include "gov/workcal.h"

#define COUNT(a)  (sizeof(a) / sizeof((a)[0]))
#define MINUTE_MS 60000LL
#define DAY_MS    86400000LL

/* ---- the world: units, grids, categories, accounts ------------------------------ */

enum { MOD_DANGJIAN, MOD_JINGJI, MOD_PINGAN, MOD_GONGGONG, NMODULES };
static const char *const module_functions[NMODULES] = {"dangjian", "jingji", "pingan", "gonggong"};

typedef struct {
    int64_t id, parent_id;
    const char *code, *name, *kind, *function, *path, *scope_path;
    tk_identity staff; /* who acts for the unit */
    bool staffed;
} sim_unit;

typedef struct {
    int64_t id;
    const char *code, *name, *path;
    int county;            /* index into counties */
    int command;           /* unit index, -1 when none */
    int modules[NMODULES]; /* unit indexes, -1 when none */
} sim_township;

typedef struct {
    int64_t id;
    int *depts; /* unit indexes */
    int ndepts;
} sim_county;

typedef struct {
    int64_t id;
    const char *code, *name, *path, *village;
    int township;
    bool has_point, has_bbox;
    double lng, lat, bbox[4];
    const char *worker_name;
    tk_identity worker;
    bool worker_ready;
} sim_grid;

typedef struct {
    tk_category cat;
    char klass[3];
} sim_cat;

typedef struct {
    tk_identity who;
} sim_user;

/* ---- events and the step queue --------------------------------------------------- */

enum { SRC_GRID, SRC_HOTLINE, SRC_RESIDENT, SRC_DEPARTMENT, SRC_SENSOR, SRC_HIGHER, NSOURCES };
static const char *const source_codes[NSOURCES] = {"grid_patrol", "hotline", "resident",
                                                   "department",  "sensor",  "higher_level"};
static const double source_weights[NSOURCES] = {0.42, 0.24, 0.16, 0.07, 0.06, 0.05};
static const char *const source_phrases[NSOURCES] = {
    "网格员巡查发现：", "12345 热线来电反映：", "居民反映：",
    "部门移交：",       "物联感知设备告警：",   "上级交办：",
};

typedef enum {
    S_REPORT,
    S_ACCEPT,
    S_DISPATCH,
    S_CALL,
    S_SIGN,
    S_RETURN,
    S_EXT_REQUEST,
    S_EXT_DECIDE,
    S_FEEDBACK,
    S_VERIFY,
    S_CLOSE,
    S_REVISIT,
    S_REJECT,
    S_VERIFY_REQUEST,
    S_ONSITE,
    S_REASSIGN,
    S_DONE
} sim_step;

/* Plans drawn at the report. */
#define F_REJECT       0x01
#define F_VERIFY_FIRST 0x02
#define F_RETURN       0x04
#define F_CALL         0x08
#define F_EXTEND       0x10
#define F_REWORK       0x20
#define F_DUPLICATE    0x40

typedef struct {
    int64_t id; /* the event's id once reported */
    int64_t at; /* arrival */
    double lng, lat;
    int64_t planned; /* when the step after the next one is due (dispatch after accept,
                        close after verify): both inside one stage's limit */
    int32_t grid, unit, first_unit; /* unit: who holds it (index into units), -1 none */
    int16_t cat;
    uint8_t source, step, flags, urgency;
} sim_event;

typedef struct {
    int64_t at;
    uint32_t seq, ev;
} sim_item;

typedef struct {
    tk_db *db;
    const tk_sim_options *opt;
    tk_sim_report *rep;
    tk_rand rng;
    tk_arena *world; /* names, paths and identities for the whole run */
    tk_arena *a;     /* one step's memory */
    tk_calendar *cal;
    tk_locator *locator;
    int64_t start, end, now;

    sim_unit *units;
    int nunits;
    sim_township *townships;
    int ntownships;
    sim_county *counties;
    int ncounties;
    sim_grid *grids;
    int ngrids;
    double *grid_cum;
    sim_cat *cats;
    int ncats;
    double *cat_cum;
    sim_user *users;
    int nusers;
    tk_identity hotline;
    int64_t tickets;   /* the hotline's ticket numbers (external_ref) given so far */
    int resident_user; /* index into users, -1 */

    sim_event *events;
    int64_t nevents;
    sim_item *heap;
    int64_t nheap;
    uint32_t seq;
    int64_t recent[64]; /* event indexes, for deliberate duplicates */
    int nrecent;

    uint64_t job, job_running;
    bool finished;
    int64_t refusals_shown;
} sim;

/* ---- small helpers --------------------------------------------------------------- */

static const char *wdup(sim *s, const char *text)
{
    return tk_arena_strdup(s->world, text ? text : "");
}

static int pick_cum(const double *cum, int n, double u)
{
    double x = u * cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static uint64_t below(sim *s, uint64_t n)
{
    return tk_rand_below(&s->rng, n);
}

static double unit_rand(sim *s)
{
    return tk_rand_unit(&s->rng);
}

static const char *one_of(sim *s, const char *const *list, size_t n)
{
    return list[below(s, n)];
}

static int unit_index(const sim *s, int64_t id)
{
    int lo = 0, hi = s->nunits - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (s->units[mid].id == id)
            return mid;
        if (s->units[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int township_index(const sim *s, int64_t id)
{
    for (int i = 0; i < s->ntownships; i++)
        if (s->townships[i].id == id)
            return i;
    return -1;
}

static int county_index(const sim *s, int64_t id)
{
    for (int i = 0; i < s->ncounties; i++)
        if (s->counties[i].id == id)
            return i;
    return -1;
}

/* ---- names and words ------------------------------------------------------------- */

static const char *const surnames[] = {"徐", "毛", "郑", "王", "祝", "叶", "周", "吴", "姜", "汪",
                                       "余", "占", "刘", "陈", "杨", "黄", "赵", "张", "李", "朱",
                                       "胡", "何", "林", "方", "邵", "柴", "童", "傅", "江", "钱"};
static const char *const given[] = {"建", "国", "华", "明", "伟", "芳", "秀", "英", "丽", "强",
                                    "军", "平", "红", "敏", "静", "杰", "涛", "斌", "勇", "燕",
                                    "霞", "峰", "磊", "婷", "超", "鹏", "辉", "文", "海", "林",
                                    "波", "颖", "飞", "俊", "志", "宏", "亮", "新", "玲", "春"};
static const char *const landmarks[] = {
    "村口",       "文化礼堂旁", "菜市场附近",       "主干道旁",
    "小区东门",   "桥头",       "老年活动中心附近", "停车场",
    "溪边步道",   "公交站旁",   "幼儿园门口",       "农贸市场北侧",
    "综合楼后侧", "沿街商铺前", "健身广场",         "祠堂边",
};

typedef struct {
    const char *klass;
    const char *details[4];
    const char *feedbacks[3];
} sim_words;

static const sim_words words[] = {
    {"01",
     {"堆放杂物影响通行", "已有好几天无人清理", "周边居民意见较大", "气味难闻，影响环境卫生"},
     {"已组织人员清理完毕，现场恢复整洁", "已联系责任人整改到位", "已清运并安排专人定期巡查"}},
    {"10",
     {"双方争执不下，情绪激动", "因宅基地边界问题发生争执", "因房屋漏水引发邻里矛盾",
      "因土地流转费用产生纠纷"},
     {"已组织双方调解，达成一致意见", "已上门调解，矛盾已化解", "已签订调解协议，后续跟踪回访"}},
    {"05",
     {"占道经营影响通行", "车辆乱停乱放堵塞道路", "流动摊贩聚集", "店外经营屡劝不改"},
     {"已劝离并规范经营秩序", "已教育劝导，现场秩序恢复", "已拖移车辆并设置提示牌"}},
    {"11",
     {"存在安全隐患，需尽快排查", "设施老化破损，有坠落风险", "电线私拉乱接", "井盖缺失"},
     {"已设置警示并完成整改", "已更换破损设施，隐患消除", "已督促责任单位整改到位"}},
    {"22",
     {"夜间有人聚集吵闹", "疑似有人从事违法活动", "有陌生人员反复出入", "发生口角推搡"},
     {"已联合派出所处置", "已开展巡逻防控，现场平稳", "已登记并移交公安机关"}},
    {"15",
     {"排放异味，周边群众反映强烈", "河道出现不明污水", "夜间焚烧垃圾", "噪声扰民"},
     {"已责令停止排放并整改", "已取样送检并督促整改", "已查处并恢复原状"}},
};
static const sim_words default_words = {
    "",
    {"请相关单位尽快核实处置", "影响群众正常生产生活", "已持续一段时间，群众反映较多",
     "存在一定风险，需尽快处理"},
    {"已现场处置完毕", "已按要求整改到位，群众认可", "已协调相关单位处理完毕"},
};

static const sim_words *words_for(const char *klass)
{
    for (size_t i = 0; i < COUNT(words); i++)
        if (!strcmp(words[i].klass, klass))
            return &words[i];
    return &default_words;
}

static const char *person_name(sim *s)
{
    const char *sur = one_of(s, surnames, COUNT(surnames));
    if (unit_rand(s) < 0.3)
        return tk_arena_printf(s->a, "%s%s", sur, one_of(s, given, COUNT(given)));
    return tk_arena_printf(s->a, "%s%s%s", sur, one_of(s, given, COUNT(given)),
                           one_of(s, given, COUNT(given)));
}

static const char *phone(sim *s)
{
    static const char *const prefixes[] = {"138", "139", "135", "137", "150", "151",
                                           "158", "187", "188", "133", "153", "189"};
    return tk_arena_printf(s->a, "%s%08llu", one_of(s, prefixes, COUNT(prefixes)),
                           (unsigned long long)below(s, 100000000));
}

/* The 12345 hotline's own number for a ticket it passes on (external_ref). */
static const char *hotline_ticket(sim *s)
{
    return tk_arena_printf(s->a, "QZ12345-%08lld", (long long)++s->tickets);
}

/* Category classes by how often they come up (市容环境 and 矛盾纠纷 most). */
static double class_weight(const char *klass)
{
    static const struct {
        const char *klass;
        double w;
    } table[] = {{"01", 28}, {"10", 16}, {"05", 8}, {"11", 7}, {"22", 5}, {"15", 5}, {"18", 5},
                 {"23", 4},  {"14", 4},  {"19", 4}, {"03", 3}, {"12", 3}, {"16", 3}, {"02", 2},
                 {"20", 2},  {"21", 2},  {"13", 2}, {"17", 2}, {"04", 1}, {"24", 1}, {"06", 1}};
    for (size_t i = 0; i < COUNT(table); i++)
        if (!strcmp(table[i].klass, klass))
            return table[i].w;
    return 1;
}

/* The township module that takes a class when no subject was suggested. */
static int module_for(const char *klass)
{
    static const char *const jingji[] = {"01", "03", "14", "15", "19", "20", "21", "24"};
    static const char *const gonggong[] = {"12", "17", "18"};
    for (size_t i = 0; i < COUNT(jingji); i++)
        if (!strcmp(jingji[i], klass))
            return MOD_JINGJI;
    for (size_t i = 0; i < COUNT(gonggong); i++)
        if (!strcmp(gonggong[i], klass))
            return MOD_GONGGONG;
    return MOD_PINGAN;
}

/* The county department a township calls for a class (乡呼县应). */
static const char *department_for(const char *klass)
{
    static const struct {
        const char *klass, *function;
    } table[] = {{"01", "zhifa"},    {"05", "zhifa"},    {"02", "zhifa"},    {"03", "zhujian"},
                 {"14", "zhujian"},  {"15", "shengtai"}, {"19", "nongye"},   {"20", "nongye"},
                 {"21", "yingji"},   {"24", "ziran"},    {"17", "shichang"}, {"12", "renshe"},
                 {"22", "gongan"},   {"16", "yingji"},   {"11", "yingji"},   {"04", "yingji"},
                 {"23", "jiaotong"}, {"13", "xinfang"},  {"18", "weijian"},  {"10", "xinfang"}};
    for (size_t i = 0; i < COUNT(table); i++)
        if (!strcmp(table[i].klass, klass))
            return table[i].function;
    return "zhifa";
}

/* ---- loading the world ------------------------------------------------------------ */

static void identity_for_unit(sim *s, tk_identity *who, const sim_unit *u, tk_role role,
                              const char *display_name)
{
    memset(who, 0, sizeof *who);
    who->username = "simulate";
    who->display_name = wdup(s, display_name);
    who->role = role;
    who->unit_id = u->id;
    who->unit_name = u->name;
    who->unit_kind = u->kind;
    who->unit_path = u->path;
    who->scope_path = u->scope_path;
}

static tk_status load_units(sim *s, tk_conn *c, tk_error *err)
{
    tk_stmt *st =
        tk_prepare(c,
                   "SELECT id, coalesce(parent_id, 0), name, kind, coalesce(function, ''), "
                   "path, scope_path, code FROM units WHERE active = 1 AND kind IN ('county', "
                   "'township', 'command', 'module', 'team', 'institution', 'department') "
                   "ORDER BY id",
                   err);
    if (!st)
        return TK_EIO;
    int cap = 1024, rc;
    s->units = tk_xcalloc((size_t)cap, sizeof *s->units);
    while ((rc = tk_step(st, err)) == 1) {
        if (s->nunits == cap) {
            cap *= 2;
            s->units = tk_xrealloc(s->units, (size_t)cap * sizeof *s->units);
        }
        sim_unit *u = &s->units[s->nunits++];
        memset(u, 0, sizeof *u);
        u->id = tk_col_i64(st, 0);
        u->parent_id = tk_col_i64(st, 1);
        u->name = wdup(s, tk_col_text(st, 2));
        u->kind = wdup(s, tk_col_text(st, 3));
        u->function = wdup(s, tk_col_text(st, 4));
        u->path = wdup(s, tk_col_text(st, 5));
        u->scope_path = wdup(s, tk_col_text(st, 6));
        u->code = wdup(s, tk_col_text(st, 7));
    }
    tk_reset(st);
    if (rc < 0)
        return err->status;
    int ncounties = 0, ntownships = 0;
    for (int i = 0; i < s->nunits; i++) {
        ncounties += !strcmp(s->units[i].kind, "county");
        ntownships += !strcmp(s->units[i].kind, "township");
    }
    s->counties = tk_xcalloc((size_t)ncounties + 1, sizeof *s->counties);
    s->townships = tk_xcalloc((size_t)ntownships + 1, sizeof *s->townships);
    for (int i = 0; i < s->nunits; i++) {
        sim_unit *u = &s->units[i];
        if (!strcmp(u->kind, "county")) {
            sim_county *k = &s->counties[s->ncounties++];
            k->id = u->id;
            k->depts = tk_xcalloc(64, sizeof *k->depts);
        } else if (!strcmp(u->kind, "township")) {
            sim_township *t = &s->townships[s->ntownships++];
            t->id = u->id;
            t->code = u->code;
            t->name = u->name;
            t->path = u->path;
            t->county = -1;
            t->command = -1;
            for (int m = 0; m < NMODULES; m++)
                t->modules[m] = -1;
        }
    }
    for (int i = 0; i < s->nunits; i++) {
        sim_unit *u = &s->units[i];
        if (!strcmp(u->kind, "township")) {
            int t = township_index(s, u->id);
            s->townships[t].county = county_index(s, u->parent_id);
        } else if (!strcmp(u->kind, "department")) {
            int k = county_index(s, u->parent_id);
            if (k >= 0 && s->counties[k].ndepts < 64)
                s->counties[k].depts[s->counties[k].ndepts++] = i;
        } else if (!strcmp(u->kind, "command") || !strcmp(u->kind, "module")) {
            int t = township_index(s, u->parent_id);
            if (t < 0)
                continue;
            if (!strcmp(u->kind, "command")) {
                if (s->townships[t].command < 0)
                    s->townships[t].command = i;
                continue;
            }
            for (int m = 0; m < NMODULES; m++)
                if (!strcmp(u->function, module_functions[m]) && s->townships[t].modules[m] < 0)
                    s->townships[t].modules[m] = i;
        }
    }
    return TK_OK;
}

/* Whether township `t` is one of the comma-separated codes of opt->focus. */
static bool in_focus(const sim *s, int t)
{
    const char *code = s->townships[t].code, *p = s->opt->focus;
    size_t n = strlen(code);
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !memcmp(p, code, n))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* Scales the grid weights so that the focus townships' grids, in proportion to their
 * people among themselves, draw opt->focus_share of the events, and the focus grid
 * opt->focus_grid_share: the busy places whose accounts a demo visitor logs in with. */
static tk_status focus_grids(sim *s, tk_error *err)
{
    if ((!s->opt->focus || !*s->opt->focus) && !s->opt->focus_grid)
        return TK_OK;
    double in = 0, out = 0, share = s->opt->focus_share;
    for (int i = 0; i < s->ngrids; i++)
        *(in_focus(s, s->grids[i].township) ? &in : &out) += s->grid_cum[i];
    if (in == 0 && s->opt->focus && *s->opt->focus)
        return tk_fail(err, TK_EINVAL, "simulate_focus",
                       "--focus 中的乡镇代码都不是有网格的乡镇：%s", s->opt->focus);
    if (in > 0 && out > 0 && share > 0 && share < 1) {
        double scale = share / (1 - share) * out / in;
        for (int i = 0; i < s->ngrids; i++)
            if (in_focus(s, s->grids[i].township))
                s->grid_cum[i] *= scale;
    }
    /* One grid busier still: the grid worker's a visitor logs in as. */
    const char *grid = s->opt->focus_grid;
    if (!grid || !*grid)
        return TK_OK;
    double total = 0;
    int g = -1;
    for (int i = 0; i < s->ngrids; i++) {
        total += s->grid_cum[i];
        if (!strcmp(s->grids[i].code, grid))
            g = i;
    }
    if (g < 0)
        return tk_fail(err, TK_EINVAL, "simulate_focus", "重点网格 %s 不存在或不可用", grid);
    double f = s->opt->focus_grid_share;
    if (f > 0 && f < 1)
        s->grid_cum[g] = f / (1 - f) * (total - s->grid_cum[g]);
    return TK_OK;
}

static tk_status load_grids(sim *s, tk_conn *c, tk_error *err)
{
    tk_stmt *st = tk_prepare(
        c,
        "SELECT g.id, g.name, g.path, v.name, t.id, tr.lng, tr.lat, tr.min_lng, tr.min_lat, "
        "tr.max_lng, tr.max_lat, coalesce(tr.population, 0), (SELECT p.name FROM people p WHERE "
        "p.unit_id = g.id AND p.kind = 'grid_worker' AND p.active = 1 ORDER BY p.id LIMIT 1), "
        "g.code "
        "FROM units g JOIN units v ON v.id = g.parent_id JOIN units t ON t.id = v.parent_id "
        "LEFT JOIN territory tr ON tr.unit_id = g.id WHERE g.kind = 'grid' AND g.active = 1 AND "
        "v.kind = 'village' AND t.kind = 'township' ORDER BY g.id",
        err);
    if (!st)
        return TK_EIO;
    int cap = 1024, rc;
    s->grids = tk_xcalloc((size_t)cap, sizeof *s->grids);
    s->grid_cum = tk_xcalloc((size_t)cap, sizeof *s->grid_cum);
    while ((rc = tk_step(st, err)) == 1) {
        int t = township_index(s, tk_col_i64(st, 4));
        if (t < 0 || s->townships[t].county < 0 || s->townships[t].command < 0)
            continue; /* nobody to take its events */
        if (s->ngrids == cap) {
            cap *= 2;
            s->grids = tk_xrealloc(s->grids, (size_t)cap * sizeof *s->grids);
            s->grid_cum = tk_xrealloc(s->grid_cum, (size_t)cap * sizeof *s->grid_cum);
        }
        sim_grid *g = &s->grids[s->ngrids];
        memset(g, 0, sizeof *g);
        g->id = tk_col_i64(st, 0);
        g->name = wdup(s, tk_col_text(st, 1));
        g->path = wdup(s, tk_col_text(st, 2));
        g->village = wdup(s, tk_col_text(st, 3));
        g->township = t;
        g->has_point = !tk_col_null(st, 5) && !tk_col_null(st, 6);
        g->lng = tk_col_double(st, 5);
        g->lat = tk_col_double(st, 6);
        g->has_bbox = !tk_col_null(st, 7) && !tk_col_null(st, 10);
        for (int k = 0; k < 4; k++)
            g->bbox[k] = tk_col_double(st, 7 + k);
        double people = (double)tk_col_i64(st, 11);
        g->worker_name = tk_col_null(st, 12) ? NULL : wdup(s, tk_col_text(st, 12));
        g->code = wdup(s, tk_col_text(st, 13));
        s->grid_cum[s->ngrids++] = people > 0 ? people : 1000; /* a weight until the end */
    }
    tk_reset(st);
    if (rc < 0)
        return err->status;
    if (!s->ngrids)
        return tk_fail(err, TK_EVALID, "no_grids",
                       "数据库中没有可用的网格（需要网格、村、乡镇、县和乡镇指挥室；可先运行 "
                       "tiaokuai demo）");
    if (focus_grids(s, err) != TK_OK)
        return err->status;
    double total = 0;
    for (int i = 0; i < s->ngrids; i++)
        s->grid_cum[i] = total += s->grid_cum[i];
    return TK_OK;
}

typedef struct {
    sim *s;
    tk_locator_item *items;
    size_t n, cap;
} shape_ctx;

static void collect_shape(void *ctx, int64_t id, const char *geojson)
{
    shape_ctx *x = ctx;
    tk_geom *g = NULL;
    tk_error err;
    if (tk_geom_from_geojson(geojson, strlen(geojson), &g, &err) != TK_OK)
        return;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 1024;
        x->items = tk_xrealloc(x->items, x->cap * sizeof *x->items);
    }
    x->items[x->n++] = (tk_locator_item){.id = id, .geom = g};
}

static tk_status load_locator(sim *s, tk_conn *c, tk_error *err)
{
    shape_ctx x = {.s = s};
    tk_status st = tk_grid_shapes(c, collect_shape, &x, err);
    if (st == TK_OK)
        st = tk_locator_build(x.items, x.n, &s->locator, err);
    for (size_t i = 0; i < x.n; i++)
        tk_geom_free((tk_geom *)x.items[i].geom);
    free(x.items);
    return st;
}

typedef struct {
    sim *s;
    int cap;
} cat_ctx;

static void collect_category(void *ctx, const tk_category *cat)
{
    cat_ctx *x = ctx;
    sim *s = x->s;
    if (!cat->active || !cat->leaf || strlen(cat->code) < 2)
        return;
    if (s->ncats == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 256;
        s->cats = tk_xrealloc(s->cats, (size_t)x->cap * sizeof *s->cats);
        s->cat_cum = tk_xrealloc(s->cat_cum, (size_t)x->cap * sizeof *s->cat_cum);
    }
    sim_cat *sc = &s->cats[s->ncats];
    sc->cat = *cat; /* its strings live in the world arena */
    snprintf(sc->klass, sizeof sc->klass, "%.2s", cat->code);
    /* Within a class, the first leaves are the common ones. */
    int rank = 0;
    for (int i = s->ncats - 1; i >= 0 && !strcmp(s->cats[i].klass, sc->klass); i--)
        rank++;
    double w = class_weight(sc->klass) / (1.0 + 0.35 * rank);
    s->cat_cum[s->ncats] = (s->ncats ? s->cat_cum[s->ncats - 1] : 0) + w;
    s->ncats++;
}

static tk_status load_categories(sim *s, tk_conn *c, tk_error *err)
{
    cat_ctx x = {.s = s};
    if (tk_category_list(c, s->world, true, collect_category, &x, err) != TK_OK)
        return err->status;
    if (!s->ncats)
        return tk_fail(err, TK_EVALID, "no_categories",
                       "数据库中没有事件类别（可先运行 tiaokuai demo）");
    return TK_OK;
}

static tk_status load_users(sim *s, tk_conn *c, tk_error *err)
{
    tk_stmt *st = tk_prepare(c,
                             "SELECT us.id, us.username, us.display_name, us.role, u.id, u.code, "
                             "u.name, u.kind, u.path, u.scope_path FROM users us JOIN units u ON "
                             "u.id = us.unit_id WHERE us.disabled = 0 ORDER BY us.id",
                             err);
    if (!st)
        return TK_EIO;
    int cap = 64, rc;
    s->users = tk_xcalloc((size_t)cap, sizeof *s->users);
    s->resident_user = -1;
    memset(&s->hotline, 0, sizeof s->hotline);
    s->hotline.username = "simulate";
    s->hotline.display_name = "12345 热线对接";
    s->hotline.role = TK_ROLE_INTEGRATION;
    s->hotline.scope_path = "/";
    s->hotline.unit_path = "/";
    bool have_hotline = false;
    while ((rc = tk_step(st, err)) == 1) {
        int role = tk_role_parse(tk_col_text(st, 3));
        if (role < 0)
            continue;
        if (s->nusers == cap) {
            cap *= 2;
            s->users = tk_xrealloc(s->users, (size_t)cap * sizeof *s->users);
        }
        tk_identity *who = &s->users[s->nusers].who;
        memset(who, 0, sizeof *who);
        who->user_id = tk_col_i64(st, 0);
        who->username = wdup(s, tk_col_text(st, 1));
        who->display_name = wdup(s, tk_col_text(st, 2));
        who->role = (tk_role)role;
        who->unit_id = tk_col_i64(st, 4);
        who->unit_code = wdup(s, tk_col_text(st, 5));
        who->unit_name = wdup(s, tk_col_text(st, 6));
        who->unit_kind = wdup(s, tk_col_text(st, 7));
        who->unit_path = wdup(s, tk_col_text(st, 8));
        who->scope_path = wdup(s, tk_col_text(st, 9));
        if (role == TK_ROLE_INTEGRATION && !have_hotline) {
            s->hotline = *who;
            have_hotline = true;
        }
        if (role == TK_ROLE_RESIDENT && s->resident_user < 0)
            s->resident_user = s->nusers;
        s->nusers++;
    }
    tk_reset(st);
    return rc < 0 ? err->status : TK_OK;
}

static const tk_identity *account_in(const sim *s, int64_t unit_id, tk_role role)
{
    for (int i = 0; i < s->nusers; i++)
        if (s->users[i].who.unit_id == unit_id && s->users[i].who.role == role)
            return &s->users[i].who;
    return NULL;
}

/* Who acts for a unit: its account of the fitting role, or one built for it. */
static const tk_identity *staff(sim *s, int unit)
{
    sim_unit *u = &s->units[unit];
    if (u->staffed)
        return &u->staff;
    tk_role role = !strcmp(u->kind, "command")      ? TK_ROLE_TOWNSHIP_COMMAND
                   : !strcmp(u->kind, "department") ? TK_ROLE_COUNTY_DEPT
                                                    : TK_ROLE_TOWNSHIP_MODULE;
    const tk_identity *account = account_in(s, u->id, role);
    if (account) {
        u->staff = *account;
    } else {
        char name[256];
        snprintf(name, sizeof name, "%s%s", u->name,
                 role == TK_ROLE_TOWNSHIP_COMMAND ? "值班员" : "经办人");
        identity_for_unit(s, &u->staff, u, role, name);
    }
    u->staffed = true;
    return &u->staff;
}

static const tk_identity *desk(sim *s, const sim_event *e)
{
    return staff(s, s->townships[s->grids[e->grid].township].command);
}

static const tk_identity *grid_worker(sim *s, int grid)
{
    sim_grid *g = &s->grids[grid];
    if (g->worker_ready)
        return &g->worker;
    const tk_identity *account = account_in(s, g->id, TK_ROLE_GRID_WORKER);
    if (account) {
        g->worker = *account;
    } else {
        memset(&g->worker, 0, sizeof g->worker);
        g->worker.username = "simulate";
        g->worker.display_name =
            g->worker_name ? g->worker_name : tk_arena_printf(s->world, "%s网格员", g->name);
        g->worker.role = TK_ROLE_GRID_WORKER;
        g->worker.unit_id = g->id;
        g->worker.unit_name = g->name;
        g->worker.unit_kind = "grid";
        g->worker.unit_path = g->path;
        g->worker.scope_path = g->path;
    }
    g->worker_ready = true;
    return &g->worker;
}

/* ---- the queue --------------------------------------------------------------------- */

static bool item_less(const sim_item *a, const sim_item *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(sim *s, int64_t at, uint32_t ev)
{
    sim_item it = {at, s->seq++, ev};
    int64_t i = s->nheap++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!item_less(&it, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = it;
}

static sim_item heap_pop(sim *s)
{
    sim_item top = s->heap[0], last = s->heap[--s->nheap];
    int64_t i = 0;
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        const sim_item *best = &last;
        if (l < s->nheap && item_less(&s->heap[l], best)) {
            m = l;
            best = &s->heap[l];
        }
        if (r < s->nheap && item_less(&s->heap[r], best))
            m = r;
        if (m == i)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

static void schedule(sim *s, sim_event *e, sim_step step, int64_t at)
{
    e->step = (uint8_t)step;
    if (at < s->now)
        at = s->now;
    at += (int64_t)below(s, 60) * 1000; /* seconds past the minute */
    if (at > s->end)
        return; /* stays where it is when the period ends */
    heap_push(s, at, (uint32_t)(e - s->events));
}

/* ---- timing on the work calendar ------------------------------------------------------ */

/* How far into a stage's limit the next step comes: mostly well inside, some past
 * 80% (yellow), some past the deadline (red). */
static double lateness(sim *s, double p_yellow, double p_red)
{
    double u = unit_rand(s);
    if (u < p_red)
        return tk_rand_uniform(&s->rng, 1.03, 2.2);
    if (u < p_red + p_yellow)
        return tk_rand_uniform(&s->rng, 0.82, 0.98);
    return tk_rand_uniform(&s->rng, 0.04, 0.75);
}

static const char *urgency_code(uint8_t u)
{
    return u == 2 ? "critical" : u == 1 ? "urgent" : "normal";
}

/* The instant `f` of the way through the stage's limit from `from`, in working time. */
static int64_t stage_point(sim *s, const sim_event *e, const char *stage, int64_t from, double f)
{
    const tk_category *cat = &s->cats[e->cat].cat;
    tk_limit l;
    int64_t deadline = TK_CALENDAR_NEVER;
    if (tk_category_limit(cat, urgency_code(e->urgency), stage, &l))
        deadline = tk_workcal_deadline(s->cal, from, l.amount, l.unit);
    if (deadline == TK_CALENDAR_NEVER || deadline <= from)
        deadline = tk_calendar_add_work_minutes(s->cal, from, 240);
    if (deadline == TK_CALENDAR_NEVER)
        deadline = from + 4 * 3600000LL;
    int64_t minutes = tk_calendar_work_minutes_between(s->cal, from, deadline);
    if (minutes > 0) {
        int64_t at = tk_calendar_add_work_minutes(s->cal, from, llround((double)minutes * f));
        if (at != TK_CALENDAR_NEVER)
            return at;
    }
    return from + (int64_t)((double)(deadline - from) * f);
}

/* A few working minutes from `from`. */
static int64_t work_gap(sim *s, int64_t from, int64_t lo, int64_t hi)
{
    int64_t at =
        tk_calendar_add_work_minutes(s->cal, from, lo + (int64_t)below(s, (uint64_t)(hi - lo + 1)));
    return at == TK_CALENDAR_NEVER ? from + lo * MINUTE_MS : at;
}

/* ---- arrivals ---------------------------------------------------------------------- */

/* Relative intensity of reports of a source at an instant. */
static double intensity(sim *s, int source, int64_t t)
{
    int64_t local = t + TK_TZ_OFFSET_MS;
    int minute = (int)(((local % DAY_MS) + DAY_MS) % DAY_MS / MINUTE_MS);
    double h = minute / 60.0;
    bool workday = tk_calendar_is_workday(s->cal, t);
    switch (source) {
    case SRC_GRID:
        return (h >= 8 && h < 18) ? (workday ? 1.0 : 0.35) : 0.02;
    case SRC_SENSOR:
        return 1.0;
    case SRC_DEPARTMENT:
    case SRC_HIGHER:
        return tk_calendar_is_working_time(s->cal, t) ? 1.0 : 0.02;
    default: {
        double w = (h >= 8 && h < 12) || (h >= 14 && h < 18) ? 1.0
                   : (h >= 12 && h < 14)                     ? 0.7
                   : (h >= 18 && h < 22)                     ? 0.5
                   : (h >= 6 && h < 8)                       ? 0.3
                                                             : 0.06;
        return workday ? w : w * 0.8;
    }
    }
}

static int cmp_events(const void *a, const void *b)
{
    const sim_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void make_arrivals(sim *s)
{
    s->events = tk_xcalloc((size_t)s->nevents, sizeof *s->events);
    double cum[NSOURCES], sum = 0;
    for (int i = 0; i < NSOURCES; i++)
        cum[i] = sum += source_weights[i];
    int64_t span = s->end - s->start;
    for (int64_t i = 0; i < s->nevents; i++) {
        sim_event *e = &s->events[i];
        e->source = (uint8_t)pick_cum(cum, NSOURCES, unit_rand(s));
        for (int tries = 0; tries < 200; tries++) {
            e->at = s->start + (int64_t)(unit_rand(s) * (double)span);
            if (unit_rand(s) < intensity(s, e->source, e->at))
                break;
        }
        e->id = i; /* generation order, for a stable sort */
    }
    qsort(s->events, (size_t)s->nevents, sizeof *s->events, cmp_events);
    s->heap = tk_xcalloc((size_t)s->nevents + 1, sizeof *s->heap);
    for (int64_t i = 0; i < s->nevents; i++) {
        s->events[i].id = 0;
        s->events[i].step = S_REPORT;
        s->events[i].unit = s->events[i].first_unit = -1;
        heap_push(s, s->events[i].at, (uint32_t)i);
    }
}

/* ---- steps ------------------------------------------------------------------------- */

/* Ends a step's savepoint: keeps the step on success, undoes it on a refusal.
 * Returns TK_OK for both (refusals are counted); database failures are fatal. */
static tk_status finish_step(sim *s, tk_conn *c, tk_status st, const char *what, tk_error *err)
{
    tk_error ignored;
    if (st == TK_OK)
        return tk_exec(c, "RELEASE sim_step", err);
    tk_exec(c, "ROLLBACK TO sim_step", &ignored);
    tk_exec(c, "RELEASE sim_step", &ignored);
    if (st == TK_EIO || st == TK_EINTERNAL || st == TK_EUNAVAIL)
        return st;
    s->rep->refused++;
    if (s->refusals_shown++ < 5 && !s->opt->quiet)
        fprintf(stderr, "模拟：%s 被拒绝：%s\n", what, err->detail);
    return TK_OK;
}

static tk_status act(sim *s, tk_conn *c, sim_event *e, const tk_identity *who, const char *action,
                     const tk_event_input *in, bool *ok, tk_error *err)
{
    *ok = false;
    if (tk_exec(c, "SAVEPOINT sim_step", err) != TK_OK)
        return err->status;
    tk_event_change ch;
    tk_status st = tk_event_act(c, s->a, s->cal, who, e->id, action, in, &ch, err);
    if (st == TK_OK) {
        *ok = true;
        s->rep->actions++;
    }
    return finish_step(s, c, st, action, err);
}

/* 人工督办: a share of the signed events is pressed by the city's leader or the
 * county center, so that the demo's leaders find supervised events. */
#define SUPERVISE_SHARE 0.03

static const tk_identity *user_of_role(const sim *s, tk_role role, int64_t unit_id)
{
    for (int i = 0; i < s->nusers; i++)
        if (s->users[i].who.role == role && (!unit_id || s->users[i].who.unit_id == unit_id))
            return &s->users[i].who;
    return NULL;
}

static tk_status supervise(sim *s, tk_conn *c, sim_event *e, tk_error *err)
{
    static const char *const notes[] = {
        "群众反映强烈，请加快办理，按期反馈", "请主要负责人亲自过问，尽快办结",
        "请于本周内处置到位并报送结果", "重点关注事项，请落实专人跟进"};
    const sim_township *t = &s->townships[s->grids[e->grid].township];
    const tk_identity *who =
        unit_rand(s) < 0.5 ? user_of_role(s, TK_ROLE_LEADER, 0)
                           : user_of_role(s, TK_ROLE_COUNTY_CENTER, s->counties[t->county].id);
    if (!who)
        return TK_OK;
    tk_event_input in = {.note = one_of(s, notes, COUNT(notes))};
    bool ok;
    return act(s, c, e, who, "supervise", &in, &ok, err);
}

static int64_t event_column(tk_conn *c, int64_t id, const char *sql, tk_error *err)
{
    tk_stmt *st = tk_prepare(c, sql, err);
    if (!st)
        return -1;
    tk_bind_i64(st, 1, id);
    int rc = tk_step(st, err);
    int64_t v = rc == 1 ? tk_col_i64(st, 0) : 0;
    tk_reset(st);
    return rc < 0 ? -1 : v;
}

/* A point in the grid: its box and the locator, else its stored point. */
static bool point_in_grid(sim *s, const sim_grid *g, double *lng, double *lat)
{
    if (g->has_bbox && s->locator)
        for (int tries = 0; tries < 8; tries++) {
            double x = tk_rand_uniform(&s->rng, g->bbox[0], g->bbox[2]);
            double y = tk_rand_uniform(&s->rng, g->bbox[1], g->bbox[3]);
            if (tk_locator_locate(s->locator, x, y) == g->id) {
                *lng = x;
                *lat = y;
                return true;
            }
        }
    *lng = g->lng;
    *lat = g->lat;
    return g->has_point;
}

/* What a reporter says of event e: its place, category and source in words. */
/* A 12345 call: the caller's name and phone, and the hotline's ticket number. */
static void hotline_caller(sim *s, tk_event_new *in)
{
    in->reporter_name = person_name(s);
    in->reporter_phone = phone(s);
    in->external_ref = hotline_ticket(s);
}

static tk_event_new report_of(sim *s, const sim_event *e)
{
    const sim_grid *g = &s->grids[e->grid];
    const sim_cat *sc = &s->cats[e->cat];
    const sim_words *w = words_for(sc->klass);
    const char *address =
        tk_arena_printf(s->a, "%s%s", g->village, one_of(s, landmarks, COUNT(landmarks)));
    return (tk_event_new){
        .category_code = sc->cat.code,
        .description = tk_arena_printf(s->a, "%s%s%s，%s。", source_phrases[e->source], address,
                                       sc->cat.name, one_of(s, w->details, COUNT(w->details))),
        .address = address,
        .has_point = e->lng != 0,
        .lng = e->lng,
        .lat = e->lat,
        .grid_id = g->id,
        .source = source_codes[e->source],
    };
}

/* Of the reports from residents, the share the demo's resident account makes
 * itself, in its own village: whoever logs in as that resident finds their reports
 * at every stage (about 10 of the demo's 3,000 events). */
#define RESIDENT_OWN_SHARE 0.02

/* A grid within path, each as likely, or -1 (reservoir sampling). */
static int grid_within(sim *s, const char *path)
{
    int pick = -1;
    uint64_t seen = 0;
    for (int i = 0; i < s->ngrids; i++)
        if (tk_path_within(s->grids[i].path, path) && below(s, ++seen) == 0)
            pick = i;
    return pick;
}

static tk_status step_report(sim *s, tk_conn *c, sim_event *e, tk_error *err)
{
    bool duplicate = false;
    if (unit_rand(s) < 0.02 && s->nrecent) {
        /* Someone else reports the same thing nearby within hours. */
        sim_event *o = &s->events[s->recent[below(s, (uint64_t)s->nrecent)]];
        if (o->id && s->now - o->at < 12 * 3600000LL && o->lng != 0) {
            e->grid = o->grid;
            e->cat = o->cat;
            e->lng = o->lng + tk_rand_uniform(&s->rng, -0.0002, 0.0002);
            e->lat = o->lat + tk_rand_uniform(&s->rng, -0.0002, 0.0002);
            duplicate = tk_locator_locate(s->locator, e->lng, e->lat) == s->grids[e->grid].id;
        }
    }
    if (!duplicate) {
        e->grid = pick_cum(s->grid_cum, s->ngrids, unit_rand(s));
        e->cat = (int16_t)pick_cum(s->cat_cum, s->ncats, unit_rand(s));
        if (!point_in_grid(s, &s->grids[e->grid], &e->lng, &e->lat))
            e->lng = e->lat = 0;
    }
    const tk_identity *account = s->resident_user >= 0 ? &s->users[s->resident_user].who : NULL;
    bool own = false;
    if (!duplicate && e->source == SRC_RESIDENT && account && unit_rand(s) < RESIDENT_OWN_SHARE) {
        int mine = grid_within(s, account->unit_path);
        if (mine >= 0) {
            own = true;
            e->grid = mine;
            if (!point_in_grid(s, &s->grids[mine], &e->lng, &e->lat))
                e->lng = e->lat = 0;
        }
    }
    const sim_grid *g = &s->grids[e->grid];
    const sim_cat *sc = &s->cats[e->cat];
    /* Mostly the category's own urgency; some raised by the reporter. */
    double u = unit_rand(s);
    const char *given_urgency = u < 0.015 ? "critical" : u < 0.085 ? "urgent" : NULL;
    const char *urgency = given_urgency ? given_urgency : sc->cat.default_urgency;
    e->urgency = urgency && !strcmp(urgency, "critical") ? 2
                 : urgency && !strcmp(urgency, "urgent") ? 1
                                                         : 0;
    tk_event_new in = report_of(s, e);
    in.urgency = given_urgency;
    tk_identity resident;
    const tk_identity *who = &s->hotline;
    if (e->source == SRC_GRID) {
        who = grid_worker(s, e->grid);
    } else if (e->source == SRC_RESIDENT) {
        if (own || (account && tk_path_within(g->path, account->unit_path) && unit_rand(s) < 0.5)) {
            who = account;
        } else {
            memset(&resident, 0, sizeof resident);
            resident.username = "simulate";
            resident.display_name = person_name(s);
            resident.role = TK_ROLE_RESIDENT;
            resident.scope_path = g->path;
            resident.unit_path = g->path;
            who = &resident;
            in.reporter_phone = phone(s);
        }
    } else if (e->source == SRC_HOTLINE) {
        hotline_caller(s, &in);
    }
    if (tk_exec(c, "SAVEPOINT sim_step", err) != TK_OK)
        return err->status;
    tk_event_created out;
    tk_status st = tk_event_create(c, s->a, s->cal, who, &in, &out, err);
    if (st == TK_OK) {
        e->id = out.event.id;
        s->rep->created++;
        int slot =
            s->nrecent < (int)COUNT(s->recent) ? s->nrecent++ : (int)below(s, COUNT(s->recent));
        s->recent[slot] = e - s->events;
    }
    if (finish_step(s, c, st, "上报", err) != TK_OK)
        return err->status;
    if (!e->id)
        return TK_OK;
    /* The plan. */
    e->flags = 0;
    if (duplicate && out.duplicate_of && unit_rand(s) < 0.8)
        e->flags |= F_DUPLICATE | F_REJECT;
    if (unit_rand(s) < 0.03)
        e->flags |= F_REJECT;
    if (unit_rand(s) < 0.05)
        e->flags |= F_VERIFY_FIRST;
    if (unit_rand(s) < 0.05)
        e->flags |= F_RETURN;
    if (unit_rand(s) < 0.06)
        e->flags |= F_CALL;
    if (unit_rand(s) < 0.05)
        e->flags |= F_EXTEND;
    if (unit_rand(s) < 0.07)
        e->flags |= F_REWORK;
    /* The dispatch stage runs from the report: accepting and dispatching share it. */
    double f = lateness(s, 0.06, 0.02);
    int64_t at = stage_point(s, e, "dispatch", s->now, f * tk_rand_uniform(&s->rng, 0.3, 0.85));
    e->planned = stage_point(s, e, "dispatch", s->now, f);
    if (e->flags & F_REJECT)
        schedule(s, e, S_REJECT, at);
    else if (e->flags & F_VERIFY_FIRST)
        schedule(s, e, S_VERIFY_REQUEST, at);
    else
        schedule(s, e, S_ACCEPT, at);
    return TK_OK;
}

/* The desk's next turn inside the dispatch stage, which (re)starts now. */
static void plan_dispatch(sim *s, sim_event *e, sim_step first)
{
    double f = lateness(s, 0.06, 0.02);
    int64_t at = stage_point(s, e, "dispatch", s->now, f * tk_rand_uniform(&s->rng, 0.3, 0.85));
    e->planned = stage_point(s, e, "dispatch", s->now, f);
    schedule(s, e, first, at);
}

/* The unit a desk dispatches to: the suggestion first; after a return, or with
 * none, the township's module for the class (another one after a return). */
static tk_status dispatch_target(sim *s, tk_conn *c, sim_event *e, int *unit, int64_t *unit_id,
                                 tk_error *err)
{
    *unit = -1;
    *unit_id = 0;
    if (e->first_unit < 0) {
        int64_t suggested = event_column(
            c, e->id, "SELECT coalesce(suggested_unit_id, 0) FROM events WHERE id = ?1", err);
        if (suggested < 0)
            return err->status;
        int i = suggested ? unit_index(s, suggested) : -1;
        if (i >= 0) {
            *unit = i;
            return TK_OK; /* unit_id 0: the act takes the suggestion */
        }
    }
    const sim_township *t = &s->townships[s->grids[e->grid].township];
    int m = module_for(s->cats[e->cat].klass);
    int pick = t->modules[m];
    for (int k = 0; k < NMODULES && (pick < 0 || pick == e->first_unit); k++)
        pick = t->modules[(m + 1 + k) % NMODULES];
    if (pick < 0)
        pick = t->command;
    *unit = pick;
    *unit_id = s->units[pick].id;
    return TK_OK;
}

static int department_of(sim *s, const sim_event *e)
{
    const sim_township *t = &s->townships[s->grids[e->grid].township];
    const sim_county *k = &s->counties[t->county];
    const char *function = department_for(s->cats[e->cat].klass);
    for (int i = 0; i < k->ndepts; i++)
        if (!strcmp(s->units[k->depts[i]].function, function))
            return k->depts[i];
    return k->ndepts ? k->depts[0] : -1;
}

/* The event a repeated report was linked to at intake, if it is still open (the
 * desk merges the repeat into it, 合并重复件); 0 when it is finished. */
static tk_status open_original(tk_conn *c, int64_t id, int64_t *into, tk_error *err)
{
    tk_stmt *st = tk_prepare(c,
                             "SELECT o.id FROM events d JOIN events o ON o.id = d.duplicate_of "
                             "WHERE d.id = ?1 AND o.state NOT IN ('closed', 'archived', "
                             "'rejected', 'void')",
                             err);
    if (!st)
        return TK_EIO;
    tk_bind_i64(st, 1, id);
    int rc = tk_step(st, err);
    *into = rc == 1 ? tk_col_i64(st, 0) : 0;
    tk_reset(st);
    return rc < 0 ? err->status : TK_OK;
}

static tk_status step(sim *s, tk_conn *c, sim_event *e, tk_error *err)
{
    if (e->step == S_REPORT)
        return step_report(s, c, e, err);
    const sim_cat *sc = &s->cats[e->cat];
    const sim_words *w = words_for(sc->klass);
    tk_event_input in = {0};
    bool ok = false;
    int64_t now = s->now;
    switch ((sim_step)e->step) {
    case S_REJECT:
        if (e->flags & F_DUPLICATE) {
            if (open_original(c, e->id, &in.into, err) != TK_OK)
                return err->status;
            if (in.into && act(s, c, e, desk(s, e), "merge", &in, &ok, err) != TK_OK)
                return err->status;
            if (ok) {
                e->step = S_DONE;
                return TK_OK;
            }
        }
        in.note = e->flags & F_DUPLICATE
                      ? "重复上报，原事件已办结"
                      : one_of(s,
                               (const char *const[]){"经研判不属于受理范围", "反映情况与事实不符",
                                                     "已由其他渠道办理"},
                               3);
        if (act(s, c, e, desk(s, e), "reject", &in, &ok, err) != TK_OK)
            return err->status;
        e->step = S_DONE;
        return TK_OK;
    case S_VERIFY_REQUEST:
        in.note = "请网格员现场核实";
        if (act(s, c, e, desk(s, e), "verify-request", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok)
            schedule(s, e, S_ONSITE, stage_point(s, e, "verify", now, lateness(s, 0.08, 0.03)));
        return TK_OK;
    case S_ONSITE: {
        bool passed = unit_rand(s) < 0.85;
        in.passed = passed;
        in.note = passed ? "现场核实属实" : "现场核实，情况不属实";
        if (act(s, c, e, grid_worker(s, e->grid), "verify", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok)
            plan_dispatch(s, e, passed ? S_ACCEPT : S_REJECT);
        return TK_OK;
    }
    case S_ACCEPT:
        if (act(s, c, e, desk(s, e), "accept", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok)
            schedule(s, e, e->flags & F_CALL ? S_CALL : S_DISPATCH,
                     e->planned > now ? e->planned : work_gap(s, now, 1, 5));
        return TK_OK;
    case S_DISPATCH: {
        int unit;
        if (dispatch_target(s, c, e, &unit, &in.unit_id, err) != TK_OK)
            return err->status;
        if (act(s, c, e, desk(s, e), "dispatch", &in, &ok, err) != TK_OK)
            return err->status;
        if (!ok)
            return TK_OK;
        e->unit = unit;
        bool give_back = (e->flags & F_RETURN) && e->first_unit < 0;
        if (e->first_unit < 0)
            e->first_unit = unit;
        /* A wrong body: it returns the event, or the desk sees it first and 改派. */
        sim_step next = !give_back ? S_SIGN : unit_rand(s) < 0.5 ? S_RETURN : S_REASSIGN;
        schedule(s, e, next,
                 stage_point(s, e, "sign", now,
                             give_back ? lateness(s, 0, 0) : lateness(s, 0.08, 0.03)));
        return TK_OK;
    }
    case S_REASSIGN: {
        int unit;
        if (dispatch_target(s, c, e, &unit, &in.unit_id, err) != TK_OK)
            return err->status;
        in.note = "经核实不属该单位职责，改派";
        if (unit != e->unit && act(s, c, e, desk(s, e), "reassign", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok)
            e->unit = unit;
        schedule(s, e, S_SIGN, stage_point(s, e, "sign", now, lateness(s, 0.08, 0.03)));
        return TK_OK;
    }
    case S_CALL: {
        int dept = department_of(s, e);
        if (dept < 0) {
            e->flags &= (uint8_t)~F_CALL;
            schedule(s, e, S_DISPATCH, now);
            return TK_OK;
        }
        in.unit_id = s->units[dept].id;
        in.note = "超出乡镇处置能力，呼叫县级部门协同处置";
        if (act(s, c, e, desk(s, e), "call-county", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok) {
            e->unit = e->first_unit = dept;
            schedule(s, e, S_SIGN, stage_point(s, e, "sign", now, lateness(s, 0.1, 0.05)));
        }
        return TK_OK;
    }
    case S_RETURN:
        in.note = "不属于本单位职责范围，申请退回重新交办";
        if (act(s, c, e, staff(s, e->unit), "return", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok) {
            /* The dispatch stage starts again: the desk's next turn is a dispatch. */
            double f = lateness(s, 0.06, 0.02);
            schedule(s, e, S_DISPATCH, stage_point(s, e, "dispatch", now, f));
        }
        return TK_OK;
    case S_SIGN:
        if (act(s, c, e, staff(s, e->unit), "sign", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok && unit_rand(s) < SUPERVISE_SHARE && supervise(s, c, e, err) != TK_OK)
            return err->status;
        if (ok) {
            bool extend = e->flags & F_EXTEND;
            schedule(
                s, e, extend ? S_EXT_REQUEST : S_FEEDBACK,
                stage_point(s, e, "handle", now,
                            extend ? tk_rand_uniform(&s->rng, 0.3, 0.7) : lateness(s, 0.1, 0.045)));
        }
        return TK_OK;
    case S_EXT_REQUEST:
        in.kind = "extension";
        in.amount = 1 + (int64_t)below(s, 3);
        in.unit = "work_days";
        in.note = "需协调多方力量，申请延期办理";
        if (act(s, c, e, staff(s, e->unit), "request-extension", &in, &ok, err) != TK_OK)
            return err->status;
        e->flags &= (uint8_t)~F_EXTEND;
        schedule(s, e, ok ? S_EXT_DECIDE : S_FEEDBACK, work_gap(s, now, 10, 120));
        return TK_OK;
    case S_EXT_DECIDE:
        in.approve = unit_rand(s) < 0.9;
        in.note = in.approve ? "同意延期" : "理由不充分，请按期办结";
        if (act(s, c, e, desk(s, e), "decide-extension", &in, &ok, err) != TK_OK)
            return err->status;
        schedule(s, e, S_FEEDBACK, stage_point(s, e, "handle", now, lateness(s, 0.1, 0.03)));
        return TK_OK;
    case S_FEEDBACK:
        in.note = one_of(s, w->feedbacks, COUNT(w->feedbacks));
        if (act(s, c, e, staff(s, e->unit), "feedback", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok) {
            /* The verify stage runs from the feedback to the closing. */
            double f = lateness(s, 0.08, 0.02);
            e->planned = stage_point(s, e, "verify", now, f);
            schedule(s, e, S_VERIFY,
                     stage_point(s, e, "verify", now, f * tk_rand_uniform(&s->rng, 0.3, 0.85)));
        }
        return TK_OK;
    case S_VERIFY: {
        bool rework = e->flags & F_REWORK;
        in.passed = !rework;
        in.note = rework ? "整改不到位，请返工" : "现场核查，处置到位";
        const tk_identity *who = unit_rand(s) < 0.8 ? grid_worker(s, e->grid) : desk(s, e);
        if (act(s, c, e, who, "verify", &in, &ok, err) != TK_OK)
            return err->status;
        if (!ok)
            return TK_OK;
        e->flags &= (uint8_t)~F_REWORK;
        if (rework)
            schedule(s, e, S_FEEDBACK, stage_point(s, e, "handle", now, lateness(s, 0.1, 0.04)));
        else
            schedule(s, e, S_CLOSE, e->planned > now ? e->planned : work_gap(s, now, 2, 20));
        return TK_OK;
    }
    case S_CLOSE:
        if (act(s, c, e, desk(s, e), "close", &in, &ok, err) != TK_OK)
            return err->status;
        if (ok) {
            s->rep->closed++;
            schedule(s, e, S_REVISIT, work_gap(s, now, 60, 1200));
        }
        return TK_OK;
    case S_REVISIT: {
        double u = unit_rand(s);
        in.satisfaction = u < 0.62 ? 5 : u < 0.9 ? 4 : u < 0.97 ? 3 : u < 0.99 ? 2 : 1;
        in.note = in.satisfaction >= 4 ? "电话回访，群众满意" : "电话回访，群众认为处置不够及时";
        if (act(s, c, e, desk(s, e), "revisit", &in, &ok, err) != TK_OK)
            return err->status;
        e->step = S_DONE;
        return TK_OK;
    }
    default:
        return TK_OK;
    }
}

/* ---- running ------------------------------------------------------------------------- */

/* Runs the timer's work for every alert instant up to `until`, at that instant. */
static tk_status catch_up(sim *s, tk_conn *c, int64_t until, tk_error *err)
{
    for (;;) {
        int64_t next = 0;
        if (tk_events_next_alert(c, &next, err) != TK_OK)
            return err->status;
        if (!next || next > until)
            return TK_OK;
        if (next > s->now) {
            s->now = next;
            tk_clock_set(next);
        }
        int n = 0;
        if (tk_events_process_due(c, s->a, s->cal, s->now, 1000, &n, err) != TK_OK)
            return err->status;
        tk_arena_reset(s->a);
        s->rep->alerts += n;
        if (n == 0)
            return TK_OK;
    }
}

/* A 12345 report of a listed matter (one that can be dispatched) at grid g, sent
 * now; e->id stays 0 when it was refused. */
static tk_status fresh_report(sim *s, tk_conn *c, int grid, sim_event *e, tk_error *err)
{
    *e = (sim_event){.grid = grid, .unit = -1, .first_unit = -1, .source = SRC_HOTLINE};
    for (int tries = 0; tries < 20; tries++) {
        e->cat = (int16_t)pick_cum(s->cat_cum, s->ncats, unit_rand(s));
        if (s->cats[e->cat].cat.list_item_code)
            break;
    }
    e->lng = s->grids[grid].lng;
    e->lat = s->grids[grid].lat;
    tk_event_new in = report_of(s, e);
    hotline_caller(s, &in);
    if (tk_exec(c, "SAVEPOINT sim_step", err) != TK_OK)
        return err->status;
    tk_event_created out;
    tk_status st = tk_event_create(c, s->a, s->cal, &s->hotline, &in, &out, err);
    if (st == TK_OK) {
        s->rep->created++;
        e->id = out.event.id;
    }
    return finish_step(s, c, st, "上报", err);
}

/* The last hour in each focus township, whenever the run ends (a night or a
 * weekend leaves desks idle): two reports from the 12345 hotline wait at its
 * command room, and a third has been accepted and dispatched to the module of its
 * class, waiting to be signed, beside what the run left in handling and feedback.
 * In the focus grid a fourth report waits for its grid worker's check on site
 * (核实). */
static tk_status fresh_work(sim *s, tk_conn *c, tk_error *err)
{
    for (int t = 0; t < s->ntownships && s->opt->focus; t++) {
        if (!in_focus(s, t))
            continue;
        int grid = -1;
        for (int g = 0; g < s->ngrids && grid < 0; g++)
            if (s->grids[g].township == t && s->grids[g].has_point)
                grid = g;
        if (grid < 0)
            continue;
        for (int k = 0; k < 3; k++) {
            sim_event e;
            if (fresh_report(s, c, grid, &e, err) != TK_OK)
                return err->status;
            if (!e.id)
                continue;
            int module = s->townships[t].modules[module_for(s->cats[e.cat].klass)];
            if (k < 2 || module < 0)
                continue;
            tk_event_input to = {.unit_id = s->units[module].id};
            bool ok;
            if (act(s, c, &e, desk(s, &e), "accept", &(tk_event_input){0}, &ok, err) != TK_OK ||
                (ok && act(s, c, &e, desk(s, &e), "dispatch", &to, &ok, err) != TK_OK))
                return err->status;
        }
    }
    for (int g = 0; g < s->ngrids && s->opt->focus_grid; g++) {
        if (strcmp(s->grids[g].code, s->opt->focus_grid) != 0 || !s->grids[g].has_point)
            continue;
        sim_event e;
        if (fresh_report(s, c, g, &e, err) != TK_OK)
            return err->status;
        bool ok;
        if (e.id && act(s, c, &e, desk(s, &e), "verify-request",
                        &(tk_event_input){.note = "请网格员现场核实"}, &ok, err) != TK_OK)
            return err->status;
    }
    return TK_OK;
}

static tk_status sim_job(tk_conn *c, void *arg, tk_error *err)
{
    sim *s = arg;
    if (s->job_running == s->job)
        return tk_fail(err, TK_EIO, "simulate_lost",
                       "模拟批次的事务丢失，数据库已回到该批次之前；请在新数据库上重新运行");
    s->job_running = s->job;
    int64_t budget = s->opt->steps_per_job > 0 ? s->opt->steps_per_job
                     : s->nevents <= 20000     ? 20000
                                               : 100;
    while (budget-- > 0 && s->nheap > 0 && s->heap[0].at <= s->end) {
        sim_item it = heap_pop(s);
        if (catch_up(s, c, it.at, err) != TK_OK)
            return err->status;
        if (it.at > s->now) {
            s->now = it.at;
            tk_clock_set(it.at);
        }
        tk_status st = step(s, c, &s->events[it.ev], err);
        tk_arena_reset(s->a);
        if (st != TK_OK)
            return st;
    }
    if (s->nheap == 0 || s->heap[0].at > s->end) {
        if (catch_up(s, c, s->end, err) != TK_OK)
            return err->status;
        if (s->end > s->now) {
            s->now = s->end;
            tk_clock_set(s->end);
        }
        if (fresh_work(s, c, err) != TK_OK)
            return err->status;
        s->finished = true;
    }
    return TK_OK;
}

static tk_status count_states(sim *s, tk_error *err)
{
    tk_conn *c = tk_db_reader(s->db, err);
    if (!c)
        return err->status;
    tk_stmt *st =
        tk_prepare(c, "SELECT state, count(*) FROM events GROUP BY state ORDER BY 2 DESC", err);
    if (!st)
        return TK_EIO;
    int rc;
    s->rep->nstates = 0;
    while ((rc = tk_step(st, err)) == 1 && s->rep->nstates < (int)COUNT(s->rep->states)) {
        snprintf(s->rep->states[s->rep->nstates].state, sizeof s->rep->states[0].state, "%s",
                 tk_col_text(st, 0));
        s->rep->states[s->rep->nstates++].count = tk_col_i64(st, 1);
    }
    tk_reset(st);
    if (rc < 0)
        return err->status;
    st = tk_prepare(c, "SELECT count(*), coalesce(sum(overdue), 0) FROM events", err);
    if (!st)
        return TK_EIO;
    if (tk_step(st, err) == 1) {
        s->rep->total_events = tk_col_i64(st, 0);
        s->rep->overdue = tk_col_i64(st, 1);
    }
    tk_reset(st);
    return TK_OK;
}

static void sim_free(sim *s)
{
    for (int i = 0; i < s->ncounties; i++)
        free(s->counties[i].depts);
    free(s->counties);
    free(s->townships);
    free(s->units);
    free(s->grids);
    free(s->grid_cum);
    free(s->cats);
    free(s->cat_cum);
    free(s->users);
    free(s->events);
    free(s->heap);
    tk_locator_unref(s->locator);
    tk_calendar_free(s->cal);
    if (s->a)
        tk_arena_free(s->a);
    if (s->world)
        tk_arena_free(s->world);
}

tk_status tk_cli_simulate_run(tk_db *db, const tk_sim_options *opt, tk_sim_report *rep,
                              tk_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (opt->events <= 0 || opt->events > 100000000 || opt->days <= 0 || opt->days > 3650)
        return tk_fail(err, TK_EINVAL, "simulate_options",
                       "事件数需要 1 到 1 亿，天数需要 1 到 3650");
    int64_t t0 = tk_monotonic_ns();
    sim *s = tk_xcalloc(1, sizeof *s);
    s->db = db;
    s->opt = opt;
    s->rep = rep;
    s->world = tk_arena_new(1 << 20);
    s->a = tk_arena_new(1 << 16);
    tk_rand_seed(&s->rng, opt->seed);
    s->end = opt->end_ms;
    s->start = s->end - (int64_t)opt->days * DAY_MS;
    s->now = s->start;
    s->nevents = opt->events;
    tk_conn *c = tk_db_reader(db, err);
    tk_status st = c ? TK_OK : err->status;
    if (st == TK_OK)
        st = tk_workcal_load(c, &s->cal, err);
    if (st == TK_OK)
        st = load_units(s, c, err);
    if (st == TK_OK)
        st = load_grids(s, c, err);
    if (st == TK_OK)
        st = load_categories(s, c, err);
    if (st == TK_OK)
        st = load_users(s, c, err);
    if (st == TK_OK)
        st = load_locator(s, c, err);
    if (st != TK_OK) {
        sim_free(s);
        free(s);
        return st;
    }
    make_arrivals(s);
    bool was_manual = tk_clock_is_manual();
    int64_t wall = tk_now_ms();
    tk_clock_use_manual(s->start);
    int64_t shown = 0;
    while (st == TK_OK && !s->finished) {
        s->job++;
        st = tk_db_write(db, sim_job, s, err);
        /* Progress at most every 2 seconds, and at the end. */
        if (st == TK_OK && !opt->quiet &&
            (s->finished || tk_monotonic_ns() - shown >= 2000000000LL)) {
            shown = tk_monotonic_ns();
            char at[40];
            tk_time_format(s->now, at, sizeof at);
            fprintf(stderr,
                    "模拟：已上报 %lld / %lld 件，操作 %lld 次，预警 %lld 次，模拟时间 %.16s，用时 "
                    "%.1f 秒\n",
                    (long long)rep->created, (long long)s->nevents, (long long)rep->actions,
                    (long long)rep->alerts, at, (double)(tk_monotonic_ns() - t0) / 1e9);
        }
    }
    if (was_manual)
        tk_clock_set(wall);
    else
        tk_clock_use_system();
    if (st == TK_OK)
        st = count_states(s, err);
    rep->seconds = (double)(tk_monotonic_ns() - t0) / 1e9;
    sim_free(s);
    free(s);
    return st;
}

/* ---- the command ------------------------------------------------------------------------ */

void tk_cli_simulate_print(const tk_sim_report *rep)
{
    printf(
        "模拟完成：上报 %lld 件，执行操作 %lld 次（被拒 %lld 次），结案 %lld 件，预警处理 %lld 次，"
        "用时 %.1f 秒\n",
        (long long)rep->created, (long long)rep->actions, (long long)rep->refused,
        (long long)rep->closed, (long long)rep->alerts, rep->seconds);
    printf("事件总数 %lld，其中曾超时 %lld 件；按状态：", (long long)rep->total_events,
           (long long)rep->overdue);
    for (int i = 0; i < rep->nstates; i++)
        printf("%s%s %lld", i ? "，" : "", tk_event_state_label(rep->states[i].state),
               (long long)rep->states[i].count);
    printf("\n");
}

int tk_cli_simulate(int argc, char **argv)
{
    int n = argc;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    const char *events = tk_cli_take_flag(&n, args, "--events");
    const char *days = tk_cli_take_flag(&n, args, "--days");
    const char *seed = tk_cli_take_flag(&n, args, "--seed");
    const char *end = tk_cli_take_flag(&n, args, "--end");
    const char *batch = tk_cli_take_flag(&n, args, "--batch");
    const char *focus = tk_cli_take_flag(&n, args, "--focus");
    const char *share = tk_cli_take_flag(&n, args, "--focus-share");
    tk_config cfg;
    tk_db *db = NULL;
    int rc = tk_cli_open_db(
        n, args,
        "用法：tiaokuai simulate --db 路径 --events 件数 [--days 天数] [--seed 整数] [--end 时间] "
        "[--batch 步数] [--focus 乡镇代码,… [--focus-share 比例]]\n"
        "在已有区划、类别和日历的数据库（如 tiaokuai demo 生成的）中模拟事件流转：按真实的上报、"
        "受理、交办、签收、反馈、核查、结案、回访流程和时限，在手动时钟上从 end 前 D 天（默认 30 "
        "天）"
        "运行到 end（默认现在），期间按时触发黄灯、红灯督办。同一种子与数据库得到相同结果。\n"
        "  --batch 每个写事务执行的步数（默认：2 万件以内 20000，更多时 100）\n"
        "  --focus 重点乡镇（逗号分隔的区划代码），其网格分得 --focus-share（默认 0.25）的事件；"
        "结束时各有两件 12345 来件待受理、一件已交办待签收",
        &cfg, &db, NULL, NULL);
    free(args);
    if (rc >= 0)
        return rc;
    tk_sim_options opt = {.days = 30, .seed = 20230601, .focus = focus, .focus_share = 0.25};
    int64_t v;
    rc = 0;
    if (!events || !tk_parse_i64(events, &opt.events) || opt.events <= 0) {
        fprintf(stderr, "tiaokuai: --events 需要正整数\n");
        rc = EX_USAGE;
    }
    if (!rc && days) {
        if (!tk_parse_i64(days, &v) || v <= 0 || v > 3650) {
            fprintf(stderr, "tiaokuai: --days 需要 1 到 3650 的整数\n");
            rc = EX_USAGE;
        }
        opt.days = (int)v;
    }
    if (!rc && seed) {
        if (!tk_parse_i64(seed, &v) || v < 0) {
            fprintf(stderr, "tiaokuai: --seed 需要非负整数\n");
            rc = EX_USAGE;
        }
        opt.seed = (uint64_t)v;
    }
    if (!rc && batch && (!tk_parse_i64(batch, &opt.steps_per_job) || opt.steps_per_job <= 0)) {
        fprintf(stderr, "tiaokuai: --batch 需要正整数\n");
        rc = EX_USAGE;
    }
    if (!rc && share) {
        char *tail = NULL;
        opt.focus_share = strtod(share, &tail);
        if (!focus || tail == share || *tail || !(opt.focus_share > 0 && opt.focus_share < 1)) {
            fprintf(stderr, "tiaokuai: --focus-share 需要与 --focus 同用，取 0 到 1 之间的小数\n");
            rc = EX_USAGE;
        }
    }
    if (!rc) {
        if (end) {
            if (!tk_time_parse(end, &opt.end_ms)) {
                fprintf(stderr, "tiaokuai: --end 需要 ISO 时间，例如 2026-11-29T18:00:00+08:00\n");
                rc = EX_USAGE;
            }
        } else {
            opt.end_ms = tk_now_ms() / MINUTE_MS * MINUTE_MS;
        }
    }
    if (rc) {
        tk_db_close(db);
        return rc;
    }
    tk_sim_report rep;
    tk_error err;
    if (tk_cli_simulate_run(db, &opt, &rep, &err) != TK_OK) {
        tk_db_close(db);
        return tk_cli_fail(&err);
    }
    tk_db_close(db);
    tk_cli_simulate_print(&rep);
    return 0;
}
