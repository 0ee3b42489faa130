/*
 * events.c - the event loop over HTTP.
 *
 * POST /api/v1/events                    intake: location -> grid, category -> list item;
 *                                        Idempotency-Key: a repeat gets 200 and the event
 * GET  /api/v1/events                    lists and inboxes (box=mine|unit|verify|overdue|
 *                                        reported|supervised), filters, text search, cursor
 * GET  /api/v1/events/boxes              how many events each inbox holds, for tab badges
 * GET  /api/v1/events/export             the list's filters as a CSV or XLSX ledger (台账)
 * GET  /api/v1/events/changes            the latest changes the caller may see, newest
 *                                        first (the big screen's feed; stream.read)
 * GET  /api/v1/events/{id}               detail with timeline, attachments, supervision,
 *                                        county calls and the actions the caller may take
 * POST /api/v1/events/{id}/supervise     人工督办 (event.supervise: desks and leaders)
 * POST /api/v1/events/{id}/{action}      a transition; 409 names the allowed actions
 */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "api/table.h"
#include "core/clock.h"
#include "gov/categories.h"
#include "gov/events.h"
#include "gov/request_keys.h"

static json_t *ref(int64_t id, const char *name)
{
    return id ? json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name ? name : "")
              : json_null();
}

/* A merged report is void, but to its reporter it was not thrown away. */
static const char *state_label(const tk_event *e)
{
    return e->merged_into ? "已合并" : tk_event_state_label(e->state);
}

static json_t *event_json(const tk_event *e, const tk_identity *viewer)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "number", json_string(e->number));
    json_object_set_new(o, "state", json_string(e->state));
    json_object_set_new(o, "state_label", json_string(state_label(e)));
    json_object_set_new(o, "source", json_string(e->source));
    json_object_set_new(o, "source_label", json_string(tk_event_source_label(e->source)));
    json_object_set_new(o, "external_ref",
                        e->external_ref ? json_string(e->external_ref) : json_null());
    json_object_set_new(o, "category",
                        json_pack("{s:s, s:s}", "code", e->category_code, "name",
                                  e->category_name ? e->category_name : ""));
    json_object_set_new(o, "urgency", json_string(e->urgency));
    json_object_set_new(o, "urgency_label", json_string(tk_urgency_label(e->urgency)));
    json_object_set_new(o, "title", json_string(e->title));
    json_object_set_new(o, "description", json_string(e->description));
    json_object_set_new(o, "address", json_string(e->address));
    if (e->has_point) {
        json_object_set_new(o, "lng", json_real(e->lng));
        json_object_set_new(o, "lat", json_real(e->lat));
    }
    json_object_set_new(o, "grid", ref(e->grid_id, e->grid_name));
    json_object_set_new(o, "village", ref(e->village_id, e->village_name));
    json_object_set_new(o, "township", ref(e->township_id, e->township_name));
    json_object_set_new(o, "county", ref(e->county_id, e->county_name));
    json_object_set_new(
        o, "reporter",
        json_pack("{s:o, s:o}", "name",
                  api_personal(e->reporter_name, 'n', e->reporter_user_id, viewer), "phone",
                  api_personal(e->reporter_phone, 'p', e->reporter_user_id, viewer)));
    json_object_set_new(o, "out_of_list", json_boolean(e->out_of_list));
    json_object_set_new(o, "routing_note", json_string(e->routing_note ? e->routing_note : ""));
    json_object_set_new(o, "list_item_code",
                        e->list_item_code ? json_string(e->list_item_code) : json_null());
    json_object_set_new(o, "suggested_unit", ref(e->suggested_unit_id, e->suggested_unit_name));
    json_object_set_new(o, "assignee_unit", ref(e->assignee_unit_id, e->assignee_unit_name));
    json_object_set_new(
        o, "assignee_user",
        e->assignee_user_id
            ? json_pack("{s:I, s:o}", "id", (json_int_t)e->assignee_user_id, "name",
                        api_personal(e->assignee_user_name ? e->assignee_user_name : "", 'n',
                                     e->assignee_user_id, viewer))
            : json_null());
    json_object_set_new(o, "called_unit", ref(e->called_unit_id, e->called_unit_name));
    json_object_set_new(o, "duplicate_of",
                        e->duplicate_of ? json_integer(e->duplicate_of) : json_null());
    json_object_set_new(o, "verified", json_boolean(e->verified));
    json_object_set_new(o, "self_handled", json_boolean(e->self_handled));
    json_object_set_new(o, "pending", e->pending ? json_string(e->pending) : json_null());
    json_error_t je;
    json_t *pending = e->pending_detail ? json_loads(e->pending_detail, 0, &je) : NULL;
    json_object_set_new(o, "pending_detail", pending ? pending : json_null());
    json_object_set_new(o, "stage", e->stage ? json_string(e->stage) : json_null());
    json_object_set_new(o, "stage_label",
                        e->stage ? json_string(tk_stage_label(e->stage)) : json_null());
    json_object_set_new(o, "stage_started_at", api_time(e->stage_started_at));
    json_object_set_new(o, "stage_deadline", api_time(e->stage_deadline));
    json_object_set_new(o, "due_at", api_time(e->due_at));
    json_object_set_new(o, "alert", json_string(e->alert));
    json_object_set_new(o, "overdue", json_boolean(e->overdue));
    json_object_set_new(o, "escalated_at", api_time(e->escalated_at));
    json_object_set_new(o, "supervised_at", api_time(e->supervised_at));
    json_object_set_new(o, "returns", json_integer(e->returns));
    json_object_set_new(o, "reworks", json_integer(e->reworks));
    json_object_set_new(o, "extensions", json_integer(e->extensions));
    json_object_set_new(o, "satisfaction",
                        e->satisfaction ? json_integer(e->satisfaction) : json_null());
    json_object_set_new(o, "created_at", api_time(e->created_at));
    json_object_set_new(o, "updated_at", api_time(e->updated_at));
    json_object_set_new(o, "accepted_at", api_time(e->accepted_at));
    json_object_set_new(o, "dispatched_at", api_time(e->dispatched_at));
    json_object_set_new(o, "closed_at", api_time(e->closed_at));
    return o;
}

static json_t *allowed_json(const tk_event *e, const tk_identity *who)
{
    tk_event_action_info list[24];
    int n = tk_event_allowed(e, who, list, 24);
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "action", list[i].action, "label", list[i].label));
    return a;
}

typedef struct {
    json_t *rows;
    const tk_identity *viewer;
} timeline_ctx;

/* A timeline row's detail as an object ({} when there is none). */
static json_t *timeline_detail(const char *text)
{
    json_error_t je;
    json_t *detail = text ? json_loads(text, 0, &je) : NULL;
    return detail ? detail : json_object();
}

/* Actors are people: their names are masked like the reporter's (not the system's). */
static void add_timeline(void *ctx, const tk_timeline_row *t)
{
    timeline_ctx *x = ctx;
    bool person = t->role && strcmp(t->role, "system") != 0;
    json_t *actor = person ? api_personal(t->actor ? t->actor : "", 'n', t->actor_id, x->viewer)
                           : json_string(t->actor ? t->actor : "");
    json_array_append_new(
        x->rows,
        json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "id", (json_int_t)t->id,
                  "at", api_time(t->at), "actor", actor, "role", t->role ? t->role : "", "action",
                  t->action, "action_label", tk_event_action_label(t->action, t->from_state),
                  "from_state", t->from_state ? json_string(t->from_state) : json_null(),
                  "to_state", t->to_state ? json_string(t->to_state) : json_null(), "note",
                  t->note ? t->note : "", "detail", timeline_detail(t->detail)));
}

/* Rows of a small child table as JSON objects, columns named by the SELECT. */
static json_t *rows_json(tk_conn *c, const char *sql, int64_t event_id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return NULL;
    tk_bind_i64(s, 1, event_id);
    json_t *list = json_array();
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        json_t *o = json_object();
        for (int i = 0; i < tk_col_count(s); i++) {
            const char *name = tk_col_name(s, i);
            json_t *v;
            if (tk_col_null(s, i))
                v = json_null();
            else if (strstr(name, "_at") || !strcmp(name, "deadline") || !strcmp(name, "at"))
                v = api_time(tk_col_i64(s, i));
            else if (!strcmp(name, "id") || !strcmp(name, "size") || strstr(name, "_id"))
                v = json_integer(tk_col_i64(s, i));
            else if (!strcmp(name, "lng") || !strcmp(name, "lat"))
                v = json_real(tk_col_double(s, i));
            else
                v = json_string(tk_col_text(s, i));
            json_object_set_new(o, name, v ? v : json_null());
        }
        json_array_append_new(list, o);
    }
    tk_reset(s);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static void add_target(void *ctx, const tk_event_target *t)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)t->id,
                                         "name", t->name, "kind", t->kind, "function", t->function,
                                         "call", !strcmp(t->kind, "department")));
}

static json_t *detail_json(tk_req *r, tk_conn *c, const tk_event *e, tk_error *err)
{
    const tk_identity *who = api_who(r);
    json_t *o = event_json(e, who);
    json_t *timeline = json_array();
    json_t *attachments = rows_json(c,
                                    "SELECT id, sha256, size, mime, kind, lng, lat, taken_at, "
                                    "created_at FROM attachments WHERE event_id = ?1 ORDER BY id",
                                    e->id, err);
    json_t *supervisions = rows_json(c,
                                     "SELECT s.id, s.stage, s.level, s.at, s.deadline, u.name AS "
                                     "unit, k.name AS escalated_to, s.note, bu.role AS by_role, "
                                     "bn.name AS by_unit FROM supervisions s LEFT JOIN units u ON "
                                     "u.id = s.unit_id LEFT JOIN units k ON k.id = s.escalated_to "
                                     "LEFT JOIN users bu ON bu.id = s.by_user_id LEFT JOIN units "
                                     "bn ON bn.id = bu.unit_id WHERE s.event_id = ?1 ORDER BY s.id",
                                     e->id, err);
    json_t *calls = rows_json(c,
                              "SELECT cc.id, u.name AS department, cc.reason, cc.called_at, "
                              "cc.sign_deadline AS deadline, cc.signed_at, cc.responded_at FROM "
                              "county_calls cc JOIN units u ON u.id = cc.department_id WHERE "
                              "cc.event_id = ?1 ORDER BY cc.id",
                              e->id, err);
    /* 合并重复件: the reports merged into this event, and the event this one went into
     * (its number and state, which the reporter of this one may know). */
    json_t *merged = rows_json(c,
                               "SELECT id, number, state, source, created_at FROM events WHERE "
                               "merged_into = ?1 ORDER BY id",
                               e->id, err);
    json_t *into = e->merged_into
                       ? rows_json(c, "SELECT id, number, state FROM events WHERE id = ?1",
                                   e->merged_into, err)
                       : json_array();
    if (!attachments || !supervisions || !calls || !merged || !into ||
        tk_event_timeline(c, r->arena, e->id, add_timeline, &(timeline_ctx){timeline, who}, err) !=
            TK_OK) {
        json_t *parts[] = {o, timeline, attachments, supervisions, calls, merged, into};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            json_decref(parts[i]);
        return NULL;
    }
    json_t *target = json_array_get(into, 0);
    if (target)
        json_object_set_new(
            target, "state_label",
            json_string(tk_event_state_label(json_string_value(json_object_get(target, "state")))));
    json_object_set_new(o, "merged_into", target ? json_incref(target) : json_null());
    json_decref(into);
    json_object_set_new(o, "merged", merged);
    json_object_set_new(o, "timeline", timeline);
    json_object_set_new(o, "attachments", attachments);
    json_object_set_new(o, "supervisions", supervisions);
    json_object_set_new(o, "county_calls", calls);
    json_object_set_new(o, "actions", allowed_json(e, who));
    if (who->role == TK_ROLE_TOWNSHIP_COMMAND || who->role == TK_ROLE_COUNTY_CENTER) {
        json_t *targets = json_array();
        if (tk_event_targets(c, r->arena, e, add_target, targets, err) != TK_OK) {
            json_decref(targets);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "targets", targets);
    }
    return o;
}

static void reply_event(tk_req *r, int64_t id, int status)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    tk_event e;
    if (!c)
        return;
    if (tk_event_get(c, r->arena, api_who(r), id, &e, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *body = detail_json(r, c, &e, &err);
    if (!body) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, status, body);
}

void api_events_get(tk_req *r)
{
    int64_t id;
    if (!tk_parse_i64(tk_req_param(r, "id"), &id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "event_not_found", "没有找到该事件");
        return;
    }
    reply_event(r, id, 200);
}

typedef struct {
    json_t *items;
    const tk_identity *viewer;
    int64_t last;
} list_ctx;

static void add_event(void *ctx, const tk_event *e)
{
    list_ctx *l = ctx;
    json_array_append_new(l->items, event_json(e, l->viewer));
    l->last = e->id;
}

/* The filters of a list or an export (everything but the page); false once replied. */
static bool read_filter(tk_req *r, tk_event_filter *f)
{
    tk_error err;
    int64_t overdue, out_of_list, supervised;
    if (api_failed(r, q_str(r, "box", 16, &f->box, &err), &err) ||
        api_failed(r, q_str(r, "state", 16, &f->state, &err), &err) ||
        api_failed(r, q_str(r, "category", 8, &f->category, &err), &err) ||
        api_failed(r, q_int(r, "unit_id", 0, 0, INT64_MAX, &f->unit_id, &err), &err) ||
        api_failed(r, q_str(r, "source", 16, &f->source, &err), &err) ||
        api_failed(r, q_time(r, "from", &f->from, &err), &err) ||
        api_failed(r, q_time(r, "to", &f->to, &err), &err) ||
        api_failed(r, q_int(r, "overdue", 0, 0, 1, &overdue, &err), &err) ||
        api_failed(r, q_int(r, "out_of_list", 0, 0, 1, &out_of_list, &err), &err) ||
        api_failed(r, q_int(r, "supervised", 0, 0, 1, &supervised, &err), &err) ||
        api_failed(r, q_str(r, "q", 64, &f->q, &err), &err))
        return false;
    if (f->box && !tk_event_box_known(f->box)) {
        tk_reply_fail(
            r, TK_EVALID, "invalid_field",
            "box 需要 mine、unit、verify、overdue、due_soon、reported、supervised 或 own");
        return false;
    }
    if (f->state && !strcmp(tk_event_state_label(f->state), f->state)) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "状态 %s 不存在", f->state);
        return false;
    }
    f->overdue_only = overdue;
    f->out_of_list_only = out_of_list;
    f->supervised_only = supervised;
    return true;
}

void api_events_list(tk_req *r)
{
    tk_error err;
    tk_event_filter f = {0};
    int64_t cursor;
    if (api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        !read_filter(r, &f))
        return;
    f.before_id = cursor;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    list_ctx ctx = {json_array(), api_who(r), 0};
    bool more = false;
    if (tk_event_list(c, r->arena, api_who(r), &f, add_event, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last));
}

/* Counted up to BOX_COUNT_CAP: a badge says "999+" beyond, and a count never walks
 * more of a big box than that. */
#define BOX_COUNT_CAP 1000

void api_events_boxes(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_event_box_count counts[TK_EVENT_NBOXES];
    if (tk_event_box_counts(c, r->arena, api_who(r), BOX_COUNT_CAP, counts, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *boxes = json_object();
    for (int i = 0; i < TK_EVENT_NBOXES; i++)
        json_object_set_new(boxes, counts[i].box, json_integer(counts[i].count));
    tk_reply_json(r, 200, json_pack("{s:o, s:i}", "boxes", boxes, "cap", BOX_COUNT_CAP));
}

typedef struct {
    json_t *items;
    const tk_identity *who;
} changes_ctx;

static void add_change(void *arg, const tk_event_change_row *row)
{
    changes_ctx *x = arg;
    const tk_timeline_row *t = &row->change;
    const char *label = tk_event_action_label(t->action, t->from_state);
    json_array_append_new(
        x->items,
        json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)t->id, "at",
                  api_time(t->at), "action", t->action, "action_label", label ? label : t->action,
                  "from_state", t->from_state ? json_string(t->from_state) : json_null(),
                  "to_state", t->to_state ? json_string(t->to_state) : json_null(), "detail",
                  timeline_detail(t->detail), "event", event_json(&row->event, x->who)));
}

/* GET /api/v1/events/changes: the latest changes the caller may see, newest first. */
void api_events_changes(tk_req *r)
{
    tk_error err;
    int64_t limit;
    if (api_failed(r, q_int(r, "limit", 30, 1, 100, &limit, &err), &err))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    changes_ctx x = {json_array(), api_who(r)};
    if (tk_event_changes(c, r->arena, x.who, (int)limit, add_change, &x, &err) != TK_OK) {
        json_decref(x.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", x.items));
}

/* The ledger's columns, as a command room keeps its 台账. */
static const char *const ledger_header[] = {
    "事件编号", "标题",         "类别",         "类别编码",   "状态",     "紧急程度",
    "来源",     "县（市、区）", "乡镇（街道）", "村（社区）", "网格",     "地址",
    "问题描述", "上报人",       "联系电话",     "承办单位",   "当前环节", "环节时限",
    "预警",     "上报时间",     "结案时间",     "清单外",     "督办时间"};
#define LEDGER_COLUMNS ((int)(sizeof ledger_header / sizeof ledger_header[0]))

typedef struct {
    api_table *t;
    const tk_identity *who;
} ledger_ctx;

/* "2026-11-29 20:47" in Beijing time, or "" for 0. */
static void ledger_time(int64_t ms, char out[32])
{
    out[0] = '\0';
    if (!ms)
        return;
    tk_time_format(ms, out, 32);
    out[10] = ' ';
    out[16] = '\0';
}

static const char *alert_label(const char *alert)
{
    return !strcmp(alert, "red") ? "红灯" : !strcmp(alert, "yellow") ? "黄灯" : "绿灯";
}

static void ledger_row(void *ctx, const tk_event *e)
{
    ledger_ctx *x = ctx;
    char name[128], phone[128], deadline[32], created[32], closed[32], supervised[32];
    ledger_time(e->supervised_at, supervised);
    ledger_time(e->stage_deadline, deadline);
    ledger_time(e->created_at, created);
    ledger_time(e->closed_at, closed);
    const char *cells[LEDGER_COLUMNS] = {
        e->number,
        e->title,
        e->category_name,
        e->category_code,
        state_label(e),
        tk_urgency_label(e->urgency),
        tk_event_source_label(e->source),
        e->county_name,
        e->township_name,
        e->village_name,
        e->grid_name,
        e->address,
        e->description,
        api_personal_text(e->reporter_name, 'n', e->reporter_user_id, x->who, name, sizeof name),
        api_personal_text(e->reporter_phone, 'p', e->reporter_user_id, x->who, phone, sizeof phone),
        e->assignee_unit_name,
        e->stage ? tk_stage_label(e->stage) : NULL,
        deadline,
        alert_label(e->alert),
        created,
        closed,
        e->out_of_list ? "是" : "否",
        supervised,
    };
    api_table_row(x->t, cells);
}

/* The filters given, for the audit record of an export. */
static json_t *filter_json(const tk_event_filter *f)
{
    json_t *o = json_object();
    const char *texts[][2] = {{"box", f->box},
                              {"state", f->state},
                              {"category", f->category},
                              {"source", f->source},
                              {"q", f->q}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i][1])
            json_object_set_new(o, texts[i][0], json_string(texts[i][1]));
    if (f->unit_id)
        json_object_set_new(o, "unit_id", json_integer(f->unit_id));
    if (f->from)
        json_object_set_new(o, "from", api_time(f->from));
    if (f->to)
        json_object_set_new(o, "to", api_time(f->to));
    if (f->overdue_only)
        json_object_set_new(o, "overdue", json_true());
    if (f->out_of_list_only)
        json_object_set_new(o, "out_of_list", json_true());
    if (f->supervised_only)
        json_object_set_new(o, "supervised", json_true());
    return o;
}

/* The list's filters, every event at once up to --export-rows (more is refused:
 * a ledger cut short would pass for whole), newest first. */
void api_events_export(tk_req *r)
{
    tk_event_filter f = {0};
    if (!read_filter(r, &f))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    ledger_ctx x = {api_table_begin(r, "事件台账", ledger_header, LEDGER_COLUMNS), api_who(r)};
    if (!x.t)
        return;
    api_table_guard_formulas(x.t);
    int64_t max = TK_APP(r)->cfg->export_rows;
    f.limit = (int)max;
    bool more = false;
    tk_error err;
    tk_status st = tk_event_list(c, r->arena, x.who, &f, ledger_row, &x, &more, &err);
    if (st == TK_OK && more)
        st = tk_fail(&err, TK_EVALID, "export_too_large",
                     "符合条件的事件超过 %lld 件，请缩小时间范围或增加筛选条件后再导出",
                     (long long)max);
    char name[40], today[16];
    tk_date_format(tk_now_ms(), today, sizeof today);
    snprintf(name, sizeof name, "事件台账-%s", today);
    api_table_finish(r, x.t, "event.export", name, filter_json(&f), st, &err);
}

typedef struct {
    tk_event_new in;
    tk_event_created out;
} create_ctx;

/* Runs on the writer while the request waits, suspended: the event as written
 * goes into the request's arena for the reply. */
static tk_status create_run(tk_conn *c, api_op *op, tk_error *err)
{
    create_ctx *x = op->data;
    tk_app *app = TK_APP(op->r);
    const tk_calendar *cal = tk_app_calendar_acquire(app);
    tk_status st = tk_event_create(c, op->r->arena, cal, api_who(op->r), &x->in, &x->out, err);
    tk_app_calendar_release(app);
    if (st == TK_OK) {
        api_op_target(op, x->out.event.id);
        api_op_detail(op, "number", json_string(x->out.event.number));
        api_op_detail(op, "category", json_string(x->in.category_code));
        if (x->out.replayed)
            api_op_detail(op, "replayed", json_true());
    }
    return st;
}

/* The event as written, as GET /api/v1/events/{id} shows it, without reading it back;
 * a repeat under the same Idempotency-Key gets 200 and the event as it is now. */
static void created_reply(tk_req *r, api_op *op)
{
    create_ctx *x = op->data;
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/events/%lld", (long long)x->out.event.id);
    tk_req_add_header(r, "Location", loc);
    if (x->out.replayed)
        tk_req_add_header(r, "Idempotent-Replayed", "true");
    json_t *body = event_json(&x->out.event, api_who(r));
    json_t *dupes = json_array();
    for (int i = 0; i < x->out.ncandidates; i++)
        json_array_append_new(dupes, json_integer(x->out.candidates[i]));
    json_object_set_new(body, "possible_duplicates", dupes);
    tk_reply_json(r, x->out.replayed ? 200 : 201, body);
}

/* A resident past the day's reports may report again from the next midnight. */
static void create_refused(tk_req *r, api_op *op, const tk_error *err)
{
    (void)op;
    if (strcmp(err->code, "daily_report_limit") != 0)
        return;
    int64_t now = tk_now_ms();
    char retry[24];
    snprintf(retry, sizeof retry, "%lld",
             (long long)((tk_day_start(now) + 86400000 - now + 999) / 1000));
    tk_req_add_header(r, "Retry-After", retry);
}

/* The Idempotency-Key header, if any, checked: *key NULL without one. */
static bool read_request_key(tk_req *r, const char **key)
{
    const char *v = tk_req_header(r, "Idempotency-Key");
    *key = NULL;
    if (!v)
        return true;
    if (!tk_request_key_valid(v)) {
        tk_reply_fail(r, TK_EINVAL, "bad_idempotency_key",
                      "Idempotency-Key 需要 1 到 %d 个字母、数字或 -_.: 字符", TK_REQUEST_KEY_MAX);
        return false;
    }
    *key = tk_arena_strdup(r->arena, v);
    return true;
}

/* Which sources a role may report from. */
static bool source_allowed(tk_role role, const char *source)
{
    switch (role) {
    case TK_ROLE_RESIDENT:
        return !strcmp(source, "resident");
    case TK_ROLE_GRID_WORKER:
        return !strcmp(source, "grid_patrol");
    case TK_ROLE_INTEGRATION:
        return !strcmp(source, "hotline") || !strcmp(source, "sensor") ||
               !strcmp(source, "department") || !strcmp(source, "higher_level");
    default:
        return true;
    }
}

void api_events_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {
        "category", "title",  "description",   "address",        "lng",          "lat", "grid_id",
        "urgency",  "source", "reporter_name", "reporter_phone", "external_ref", NULL};
    static const char *const sources[] = TK_EVENT_SOURCES;
    static const char *const urgencies[] = TK_URGENCIES;
    create_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    tk_event_new *e = &x->in;
    bool has_lng, has_lat, has_grid;
    const tk_identity *who = api_who(r);
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "category", true, 8, &e->category_code, &err), &err) ||
        api_failed(r, in_str(in, "title", false, 60, &e->title, &err), &err) ||
        api_failed(r, in_text(in, "description", true, 2000, &e->description, &err), &err) ||
        api_failed(r, in_str(in, "address", false, 200, &e->address, &err), &err) ||
        api_failed(r, in_num(in, "lng", false, 73, 136, &e->lng, &has_lng, &err), &err) ||
        api_failed(r, in_num(in, "lat", false, 3, 54, &e->lat, &has_lat, &err), &err) ||
        api_failed(r, in_int(in, "grid_id", false, 1, INT64_MAX, &e->grid_id, &has_grid, &err),
                   &err) ||
        api_failed(r, in_enum(in, "urgency", false, urgencies, &e->urgency, &err), &err) ||
        api_failed(r, in_enum(in, "source", true, sources, &e->source, &err), &err) ||
        api_failed(r, in_str(in, "reporter_name", false, 32, &e->reporter_name, &err), &err) ||
        api_failed(r, in_str(in, "reporter_phone", false, 20, &e->reporter_phone, &err), &err) ||
        api_failed(r, in_str(in, "external_ref", false, 64, &e->external_ref, &err), &err))
        return;
    if (has_lng != has_lat) {
        tk_fail_field(&err, has_lng ? "lat" : "lng", "经纬度需要同时提供");
        tk_reply_error(r, &err);
        return;
    }
    if (!source_allowed(who->role, e->source)) {
        tk_fail_field(&err, "source", "「%s」不能以来源「%s」上报", tk_role_label(who->role),
                      tk_event_source_label(e->source));
        tk_reply_error(r, &err);
        return;
    }
    e->has_point = has_lng;
    if (has_lng) {
        int64_t grid = tk_app_locate(TK_APP(r), e->lng, e->lat);
        if (grid < 0) {
            tk_fail_field(&err, "lng", "坐标 (%.6f, %.6f) 不在本市任何网格内", e->lng, e->lat);
            tk_reply_error(r, &err);
            return;
        }
        if (has_grid && grid != e->grid_id) {
            tk_fail_field(&err, "grid_id", "坐标落在另一个网格中（编号 %lld）", (long long)grid);
            tk_reply_error(r, &err);
            return;
        }
        e->grid_id = grid;
    } else if (!has_grid) {
        tk_fail_field(&err, "lng", "需要经纬度（lng、lat）或网格编号 grid_id 来确定位置");
        tk_reply_error(r, &err);
        return;
    }
    const char **copies[] = {&e->category_code, &e->title,          &e->description,
                             &e->address,       &e->urgency,        &e->source,
                             &e->reporter_name, &e->reporter_phone, &e->external_ref};
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++)
        if (*copies[i])
            *copies[i] = tk_arena_strdup(r->arena, *copies[i]);
    if (!read_request_key(r, &e->request_key))
        return;
    e->resident_daily = TK_APP(r)->cfg->resident_daily_reports;
    api_op *op = api_op_new(r, "event", create_run, created_reply, x);
    op->action = "event.create";
    op->refused = create_refused;
    api_op_submit(op);
}

typedef struct {
    int64_t id;
    const char *action;
    tk_event_input in;
    tk_event_change change;
} act_ctx;

static tk_status act_run(tk_conn *c, api_op *op, tk_error *err)
{
    act_ctx *x = op->data;
    tk_app *app = TK_APP(op->r);
    tk_arena *a = tk_arena_new(16384);
    const tk_calendar *cal = tk_app_calendar_acquire(app);
    tk_status st =
        tk_event_act(c, a, cal, api_who(op->r), x->id, x->action, &x->in, &x->change, err);
    tk_app_calendar_release(app);
    if (st == TK_ECONFLICT && !strcmp(err->code, "illegal_transition")) {
        tk_event e;
        tk_error ignored;
        if (tk_event_get(c, a, api_who(op->r), x->id, &e, &ignored) == TK_OK)
            op->problem = json_pack("{s:s, s:o}", "state", e.state, "allowed",
                                    allowed_json(&e, api_who(op->r)));
    }
    if (st == TK_OK && x->change.replayed) {
        api_op_detail(op, "replayed", json_true());
    } else if (st == TK_OK) {
        api_op_detail(op, "from", json_string(x->change.from_state));
        api_op_detail(op, "to", json_string(x->change.to_state));
    }
    tk_arena_free(a);
    return st;
}

/* The event after the action; after a repeat under the same Idempotency-Key, the
 * event as it is now, marked. */
static void act_reply(tk_req *r, api_op *op)
{
    act_ctx *x = op->data;
    if (x->change.replayed)
        tk_req_add_header(r, "Idempotent-Replayed", "true");
    reply_event(r, x->id, 200);
}

static void submit_action(tk_req *r, const char *action)
{
    act_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    tk_error err;
    if (!tk_parse_i64(tk_req_param(r, "id"), &x->id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "event_not_found", "没有找到该事件");
        return;
    }
    x->action = action;
    if (!tk_event_action_known(x->action)) {
        tk_reply_fail(r, TK_ENOTFOUND, "unknown_action", "没有「%s」这个操作", x->action);
        return;
    }
    json_t *in = r->body.len ? tk_req_json_object(r, &err) : json_object();
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"note",         "unit_id", "user_id", "approve", "passed",
                                         "satisfaction", "kind",    "amount",  "unit",    "urgency",
                                         "category",     "into",    NULL};
    static const char *const kinds[] = {"extension", "suspend", NULL};
    static const char *const units[] = {"work_minutes", "work_hours", "work_days", "natural_days",
                                        NULL};
    static const char *const urgencies[] = TK_URGENCIES;
    tk_event_input *e = &x->in;
    tk_status st = in_only(in, fields, &err);
    if (st == TK_OK)
        st = in_text(in, "note", false, 1000, &e->note, &err);
    if (st == TK_OK)
        st = in_int(in, "unit_id", false, 1, INT64_MAX, &e->unit_id, NULL, &err);
    if (st == TK_OK)
        st = in_int(in, "user_id", false, 1, INT64_MAX, &e->user_id, NULL, &err);
    if (st == TK_OK)
        st = in_bool(in, "approve", false, &e->approve, &err);
    if (st == TK_OK)
        st = in_bool(in, "passed", false, &e->passed, &err);
    if (st == TK_OK)
        st = in_int(in, "satisfaction", false, 1, 5, &e->satisfaction, NULL, &err);
    if (st == TK_OK)
        st = in_enum(in, "kind", false, kinds, &e->kind, &err);
    if (st == TK_OK)
        st = in_int(in, "amount", false, 1, 10000, &e->amount, NULL, &err);
    if (st == TK_OK)
        st = in_enum(in, "unit", false, units, &e->unit, &err);
    if (st == TK_OK)
        st = in_enum(in, "urgency", false, urgencies, &e->urgency, &err);
    if (st == TK_OK)
        st = in_str(in, "category", false, 8, &e->category_code, &err);
    if (st == TK_OK)
        st = in_int(in, "into", false, 1, INT64_MAX, &e->into, NULL, &err);
    bool owned = !r->body.len;
    if (st != TK_OK) {
        if (owned)
            json_decref(in);
        tk_reply_error(r, &err);
        return;
    }
    if (!read_request_key(r, &e->request_key)) {
        if (owned)
            json_decref(in);
        return;
    }
    const char **copies[] = {&e->note, &e->kind, &e->unit, &e->urgency, &e->category_code};
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++)
        if (*copies[i])
            *copies[i] = tk_arena_strdup(r->arena, *copies[i]);
    if (owned)
        json_decref(in);
    api_op *op = api_op_new(r, "event", act_run, act_reply, x);
    op->action = tk_arena_printf(r->arena, "event.%s", x->action);
    api_op_target(op, x->id);
    api_op_submit(op);
}

void api_events_act(tk_req *r)
{
    submit_action(r, tk_req_param(r, "action"));
}

/* Its own route, under event.supervise: leaders supervise but do not act. */
void api_events_supervise(tk_req *r)
{
    submit_action(r, "supervise");
}
