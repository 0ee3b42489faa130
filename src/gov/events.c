/*
 * events.c - intake, reading and lists of events, and their timeline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "gov/event_internal.h"
#include "gov/request_keys.h"
#include "gov/routing.h"
#include "gov/units.h"

const char *tk_event_state_label(const char *s)
{
    static const struct {
        const char *state, *label;
    } labels[] = {
        {"reported", "已上报"},   {"verifying", "核实中"},       {"accepted", "已立案"},
        {"dispatched", "已交办"}, {"county_called", "乡呼县应"}, {"handling", "处置中"},
        {"suspended", "已挂账"},  {"feedback", "已反馈"},        {"closed", "已结案"},
        {"archived", "已归档"},   {"rejected", "不予立案"},      {"void", "已作废"},
    };
    for (size_t i = 0; s && i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i].state, s))
            return labels[i].label;
    return s;
}

const char *tk_event_source_label(const char *s)
{
    static const struct {
        const char *source, *label;
    } labels[] = {
        {"grid_patrol", "网格巡查"}, {"resident", "群众上报"},     {"hotline", "12345 热线"},
        {"department", "部门移交"},  {"higher_level", "上级交办"}, {"sensor", "物联感知"},
    };
    for (size_t i = 0; s && i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i].source, s))
            return labels[i].label;
    return NULL;
}

static tk_event_observer observer;
static void *observer_ctx;

void tk_events_set_observer(tk_event_observer fn, void *ctx)
{
    observer = fn;
    observer_ctx = ctx;
}

typedef struct {
    int64_t id, assignee_unit_id, called_unit_id;
    char scope_path[256], action[32], state[24], number[48];
} published;

static void publish_now(void *arg)
{
    published *p = arg;
    if (observer)
        observer(observer_ctx, p->id, p->scope_path, p->assignee_unit_id, p->called_unit_id,
                 p->action, p->state, p->number);
    free(p);
}

void ev_publish(tk_conn *c, const tk_event *ev, const char *action, const char *state)
{
    if (!observer)
        return;
    published *p = tk_xcalloc(1, sizeof *p);
    p->id = ev->id;
    p->assignee_unit_id = ev->assignee_unit_id;
    p->called_unit_id = ev->called_unit_id;
    snprintf(p->scope_path, sizeof p->scope_path, "%s", ev->scope_path);
    snprintf(p->action, sizeof p->action, "%s", action);
    snprintf(p->state, sizeof p->state, "%s", state);
    snprintf(p->number, sizeof p->number, "%s", ev->number ? ev->number : "");
    tk_conn_after_commit(c, publish_now, p);
}

#define EVENT_COLUMNS                                                                              \
    "e.id, e.number, e.state, e.source, e.category_code, cat.name, e.urgency, e.title, "           \
    "e.description, e.address, e.lng, e.lat, e.grid_id, e.village_id, e.township_id, "             \
    "e.county_id, "                                                                                \
    "g.name, v.name, t.name, k.name, e.scope_path, coalesce(e.reporter_user_id, 0), "              \
    "e.reporter_name, e.reporter_phone, e.out_of_list, e.routing_note, e.list_item_code, "         \
    "coalesce(e.suggested_unit_id, 0), coalesce(e.assignee_unit_id, 0), "                          \
    "coalesce(e.assignee_user_id, 0), coalesce(e.called_unit_id, 0), coalesce(e.duplicate_of, "    \
    "0), "                                                                                         \
    "su.name, au.name, aus.display_name, cu.name, e.verified, e.pending, e.pending_detail, "       \
    "e.stage, coalesce(e.stage_started_at, 0), coalesce(e.stage_deadline, 0), "                    \
    "coalesce(e.next_alert_at, 0), coalesce(e.due_at, 0), e.alert, e.overdue, e.due_counted, "     \
    "coalesce(e.escalated_at, 0), e.returns, e.reworks, e.extensions, coalesce(e.satisfaction, "   \
    "0), "                                                                                         \
    "coalesce(e.handle_minutes, 0), e.created_at, e.updated_at, coalesce(e.accepted_at, 0), "      \
    "coalesce(e.dispatched_at, 0), coalesce(e.signed_at, 0), coalesce(e.feedback_at, 0), "         \
    "coalesce(e.closed_at, 0), coalesce(e.archived_at, 0), coalesce(e.supervised_at, 0), "         \
    "coalesce(e.merged_into, 0), coalesce(e.submitted_by, 0), e.external_ref, e.self_handled"

#define EVENT_FROM " FROM events e " EVENT_JOINS
#define EVENT_JOINS                                                                                \
    "LEFT JOIN categories cat ON cat.code = e.category_code "                                      \
    "JOIN units g ON g.id = e.grid_id JOIN units v ON v.id = e.village_id "                        \
    "JOIN units t ON t.id = e.township_id JOIN units k ON k.id = e.county_id "                     \
    "LEFT JOIN units su ON su.id = e.suggested_unit_id LEFT JOIN units au ON "                     \
    "au.id = e.assignee_unit_id LEFT JOIN users aus ON aus.id = e.assignee_user_id "               \
    "LEFT JOIN units cu ON cu.id = e.called_unit_id "

static const char *dup(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

/* EVENT_COLUMNS from column `first` of the row. */
static void event_from_row_at(tk_stmt *s, tk_arena *a, int first, tk_event *e)
{
    int i = first;
    memset(e, 0, sizeof *e);
    e->id = tk_col_i64(s, i++);
    const char **texts1[] = {&e->number,        &e->state,         &e->source,
                             &e->category_code, &e->category_name, &e->urgency,
                             &e->title,         &e->description,   &e->address};
    for (size_t k = 0; k < sizeof texts1 / sizeof texts1[0]; k++)
        *texts1[k] = dup(a, tk_col_text(s, i++));
    e->has_point = !tk_col_null(s, i) && !tk_col_null(s, i + 1);
    e->lng = tk_col_double(s, i++);
    e->lat = tk_col_double(s, i++);
    e->grid_id = tk_col_i64(s, i++);
    e->village_id = tk_col_i64(s, i++);
    e->township_id = tk_col_i64(s, i++);
    e->county_id = tk_col_i64(s, i++);
    const char **texts2[] = {&e->grid_name, &e->village_name, &e->township_name, &e->county_name,
                             &e->scope_path};
    for (size_t k = 0; k < sizeof texts2 / sizeof texts2[0]; k++)
        *texts2[k] = dup(a, tk_col_text(s, i++));
    e->reporter_user_id = tk_col_i64(s, i++);
    e->reporter_name = dup(a, tk_col_text(s, i++));
    e->reporter_phone = dup(a, tk_col_text(s, i++));
    e->out_of_list = tk_col_i64(s, i++) != 0;
    e->routing_note = dup(a, tk_col_text(s, i++));
    e->list_item_code = dup(a, tk_col_text(s, i++));
    int64_t *ids[] = {&e->suggested_unit_id, &e->assignee_unit_id, &e->assignee_user_id,
                      &e->called_unit_id, &e->duplicate_of};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        *ids[k] = tk_col_i64(s, i++);
    const char **names[] = {&e->suggested_unit_name, &e->assignee_unit_name, &e->assignee_user_name,
                            &e->called_unit_name};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        *names[k] = dup(a, tk_col_text(s, i++));
    e->verified = tk_col_i64(s, i++) != 0;
    e->pending = dup(a, tk_col_text(s, i++));
    e->pending_detail = dup(a, tk_col_text(s, i++));
    e->stage = dup(a, tk_col_text(s, i++));
    e->stage_started_at = tk_col_i64(s, i++);
    e->stage_deadline = tk_col_i64(s, i++);
    e->next_alert_at = tk_col_i64(s, i++);
    e->due_at = tk_col_i64(s, i++);
    e->alert = dup(a, tk_col_text(s, i++));
    e->overdue = tk_col_i64(s, i++) != 0;
    e->due_counted = tk_col_i64(s, i++) != 0;
    e->escalated_at = tk_col_i64(s, i++);
    int64_t *nums[] = {&e->returns,        &e->reworks,       &e->extensions,  &e->satisfaction,
                       &e->handle_minutes, &e->created_at,    &e->updated_at,  &e->accepted_at,
                       &e->dispatched_at,  &e->signed_at,     &e->feedback_at, &e->closed_at,
                       &e->archived_at,    &e->supervised_at, &e->merged_into};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
        *nums[k] = tk_col_i64(s, i++);
    e->submitted_by = tk_col_i64(s, i++);
    e->external_ref = dup(a, tk_col_text(s, i++));
    e->self_handled = tk_col_i64(s, i++) != 0;
}

static void event_from_row(tk_stmt *s, tk_arena *a, tk_event *e)
{
    event_from_row_at(s, a, 0, e);
}

tk_status ev_load(tk_conn *c, tk_arena *a, int64_t id, tk_event *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT " EVENT_COLUMNS EVENT_FROM "WHERE e.id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    int rc = tk_step(s, err);
    if (rc == 1)
        event_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc ? TK_OK
              : tk_fail(err, TK_ENOTFOUND, "event_not_found",
                        "没有找到该事件，或不在您的管辖范围内");
}

/* Who may see an event: residents their own reports; everyone else their scope,
 * plus what is assigned or called to their unit. visible_clause() is its SQL. */
static bool visible(const tk_event *e, const tk_identity *who)
{
    if (who->role == TK_ROLE_RESIDENT)
        return e->reporter_user_id == who->user_id;
    return tk_path_within(e->scope_path, who->scope_path) || e->assignee_unit_id == who->unit_id ||
           e->called_unit_id == who->unit_id || e->reporter_user_id == who->user_id;
}

tk_status tk_event_get(tk_conn *c, tk_arena *a, const tk_identity *who, int64_t id, tk_event *out,
                       tk_error *err)
{
    if (ev_load(c, a, id, out, err) != TK_OK)
        return err->status;
    if (!visible(out, who))
        return tk_fail(err, TK_ENOTFOUND, "event_not_found",
                       "没有找到该事件，或不在您的管辖范围内");
    return TK_OK;
}

tk_status ev_timeline(tk_conn *c, int64_t event_id, int64_t at, const tk_identity *who,
                      const char *action, const char *from, const char *to, const char *note,
                      const char *detail, int64_t *id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO event_timeline(event_id, at, actor_id, actor, role, "
                            "action, from_state, to_state, note, detail) VALUES (?1, ?2, ?3, ?4, "
                            "?5, ?6, ?7, ?8, ?9, ?10)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, event_id);
    tk_bind_i64(s, 2, at);
    if (who && who->user_id)
        tk_bind_i64(s, 3, who->user_id);
    else
        tk_bind_null(s, 3);
    tk_bind_text(s, 4, who ? who->display_name : "系统");
    tk_bind_text(s, 5, who ? tk_role_code(who->role) : "system");
    tk_bind_text(s, 6, action);
    tk_bind_text(s, 7, from);
    tk_bind_text(s, 8, to);
    tk_bind_text(s, 9, note ? note : "");
    tk_bind_text(s, 10, detail ? detail : "{}");
    if (tk_step(s, err) < 0)
        return err->status;
    if (id)
        *id = tk_last_insert_id(c);
    return TK_OK;
}

/* The grid's place: its village, township (with its code) and county, path,
 * county code and name, in one query (the tree is grid < village < township <
 * county, see child_kind_allowed in territory.c). */
typedef struct {
    int64_t ids[3];       /* village, township, county */
    const char *names[3]; /* theirs */
    const char *path, *county_code, *grid_name, *township_code;
} grid_place;

static tk_status place_of_grid(tk_conn *c, tk_arena *a, int64_t grid, grid_place *out,
                               tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT g.kind, g.path, g.county_code, g.name, "
                            "coalesce(v.id, 0), coalesce(t.id, 0), coalesce(k.id, 0), t.code, "
                            "v.name, t.name, k.name "
                            "FROM units g LEFT JOIN units v ON v.id = g.parent_id AND "
                            "v.kind = 'village' LEFT JOIN units t ON t.id = v.parent_id AND "
                            "t.kind = 'township' LEFT JOIN units k ON k.id = t.parent_id AND "
                            "k.kind = 'county' WHERE g.id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, grid);
    int rc = tk_step(s, err);
    bool is_grid = rc == 1 && !strcmp(tk_col_text(s, 0), "grid");
    if (is_grid) {
        out->path = tk_arena_strdup(a, tk_col_text(s, 1));
        out->county_code = tk_arena_strdup(a, tk_col_text(s, 2));
        out->grid_name = tk_arena_strdup(a, tk_col_text(s, 3));
        for (int i = 0; i < 3; i++) {
            out->ids[i] = tk_col_i64(s, 4 + i);
            out->names[i] = dup(a, tk_col_text(s, 8 + i));
        }
        out->township_code = dup(a, tk_col_text(s, 7));
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail(err, TK_ENOTFOUND, "unit_not_found", "单位不存在");
    if (!is_grid)
        return tk_fail_field(err, "grid_id", "位置需要落在网格上");
    if (!out->ids[0] || !out->ids[1] || !out->ids[2])
        return tk_fail_field(err, "grid_id", "该网格不在任何村、乡镇和县之下");
    return TK_OK;
}

static tk_status next_number(tk_conn *c, int64_t township, const char *township_code, int64_t now,
                             char *out, size_t size, tk_error *err)
{
    char day[16], compact[16];
    tk_date_format(now, day, sizeof day);
    snprintf(compact, sizeof compact, "%.4s%.2s%.2s", day, day + 5, day + 8);
    /* Two statements rather than one with RETURNING, which SQLite runs through a
     * temporary table of its own: the writer would build and drop one per report. */
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO event_counters(township_id, day, n) VALUES (?1, ?2, 1) "
                            "ON CONFLICT(township_id, day) DO UPDATE SET n = n + 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, township);
    tk_bind_text(s, 2, day);
    if (tk_step(s, err) < 0)
        return err->status;
    s = tk_prepare(c, "SELECT n FROM event_counters WHERE township_id = ?1 AND day = ?2", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, township);
    tk_bind_text(s, 2, day);
    int rc = tk_step(s, err);
    int64_t n = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    snprintf(out, size, "%s-%s-%04lld", township_code, compact, (long long)n);
    return TK_OK;
}

/* Keeps the smallest ids, at most 8, in ascending order: the earliest reports
 * first, the first of them the one this report duplicates. */
static void keep_earliest(tk_event_created *out, int64_t id)
{
    int n = out->ncandidates;
    if (n == 8 && id > out->candidates[7])
        return;
    int i = n < 8 ? n++ : 7;
    while (i > 0 && out->candidates[i - 1] > id) {
        out->candidates[i] = out->candidates[i - 1];
        i--;
    }
    out->candidates[i] = id;
    out->ncandidates = n;
}

/* Possible duplicates: same category within r metres and w hours, not rejected or
 * void. The box is searched by latitude first (events_dupes, migration 0007). */
static tk_status find_duplicates(tk_conn *c, const tk_event_new *in, int64_t now,
                                 tk_event_created *out, tk_error *err)
{
    if (!in->has_point)
        return TK_OK;
    double r = (double)(in->duplicate_radius_m > 0 ? in->duplicate_radius_m : 100);
    int64_t window = (in->duplicate_window_h > 0 ? in->duplicate_window_h : 24) * 3600000;
    double dlat = r / 111195.0, dlng = dlat / cos(in->lat * M_PI / 180);
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, lng, lat FROM events WHERE category_code = ?1 AND "
                            "lat BETWEEN ?5 AND ?6 AND lng BETWEEN ?3 AND ?4 AND "
                            "created_at BETWEEN ?2 AND ?7 AND state NOT IN ('rejected', 'void')",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, in->category_code);
    tk_bind_i64(s, 2, now - window);
    tk_bind_double(s, 3, in->lng - dlng);
    tk_bind_double(s, 4, in->lng + dlng);
    tk_bind_double(s, 5, in->lat - dlat);
    tk_bind_double(s, 6, in->lat + dlat);
    tk_bind_i64(s, 7, now); /* not events of a later time (a clock set back, in tests) */
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        double dx = (tk_col_double(s, 1) - in->lng) * 111195.0 * cos(in->lat * M_PI / 180);
        double dy = (tk_col_double(s, 2) - in->lat) * 111195.0;
        if (dx * dx + dy * dy <= r * r)
            keep_earliest(out, tk_col_i64(s, 0));
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    out->duplicate_of = out->ncandidates ? out->candidates[0] : 0;
    return TK_OK;
}

/* Brings the full-text index up to the newest event, before the commit of a write
 * batch that created events (see migration 0006), so the index and the events
 * commit together. FTS5 writes a segment per flush, so under a stream of reports
 * the index waits while more jobs queue behind the batch, up to SEARCH_LAG events,
 * and asks to run with the next batch: the first batch that nothing waits behind
 * (the last of a burst) indexes everything. */
#define SEARCH_LAG 512

static tk_status index_new_events(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    if (tk_conn_writer_busy(c)) {
        tk_stmt *s = tk_prepare(c,
                                "SELECT coalesce(max(id), 0) - (SELECT last_id FROM search_marks "
                                "WHERE name = 'events') FROM events",
                                err);
        if (!s)
            return TK_EIO;
        int rc = tk_step(s, err);
        int64_t waiting = rc == 1 ? tk_col_i64(s, 0) : 0;
        tk_reset(s);
        if (rc < 0)
            return err->status;
        if (waiting < SEARCH_LAG) {
            tk_conn_before_commit(c, index_new_events, arg);
            return TK_OK;
        }
    }
    return tk_exec(c,
                   "INSERT INTO events_fts(rowid, number, title, description, address) "
                   "SELECT id, number, title, description, address FROM events WHERE id > "
                   "(SELECT last_id FROM search_marks WHERE name = 'events') ORDER BY id; "
                   "UPDATE search_marks SET last_id = (SELECT coalesce(max(id), 0) FROM events) "
                   "WHERE name = 'events'",
                   err);
}

static tk_status write_event(tk_conn *c, tk_arena *a, const tk_calendar *cal,
                             const tk_identity *who, const tk_event_new *in, int64_t now,
                             tk_event_created *out, tk_error *err)
{
    tk_category cat;
    if (tk_category_get(c, a, in->category_code, &cat, err) != TK_OK)
        return err->status == TK_ENOTFOUND
                   ? tk_fail_field(err, "category", "事件类别 %s 不存在", in->category_code)
                   : err->status;
    if (!cat.leaf || !cat.active)
        return tk_fail_field(err, "category", "请选择具体的小类（%s「%s」不能直接上报）", cat.code,
                             cat.name);
    grid_place place = {0};
    if (place_of_grid(c, a, in->grid_id, &place, err) != TK_OK)
        return err->status;
    if (who->role != TK_ROLE_RESIDENT && who->role != TK_ROLE_INTEGRATION &&
        who->role != TK_ROLE_ADMIN && !tk_path_within(place.path, who->scope_path))
        return tk_fail(err, TK_EFORBIDDEN, "outside_scope", "该位置不在您的管辖范围内");
    char day[16];
    tk_date_format(now, day, sizeof day);
    tk_routing rt;
    if (tk_routing_suggest_in(c, a, &cat, place.ids[1], place.ids[2], day, &rt, err) != TK_OK)
        return err->status;
    if (find_duplicates(c, in, now, out, err) != TK_OK)
        return err->status;
    char number[64];
    if (next_number(c, place.ids[1], place.township_code, now, number, sizeof number, err) != TK_OK)
        return err->status;
    /* The event as written, for the timing, rollups and notices below and for the
     * caller's reply, instead of reading it back. */
    bool reporter = (who->role == TK_ROLE_RESIDENT || who->role == TK_ROLE_GRID_WORKER) &&
                    who->user_id; /* user_id 0: a system or simulated actor, named only */
    const char *reporter_name =
        in->reporter_name                                                     ? in->reporter_name
        : (who->role == TK_ROLE_RESIDENT || who->role == TK_ROLE_GRID_WORKER) ? who->display_name
                                                                              : NULL;
    tk_event *ev = &out->event;
    *ev = (tk_event){
        .state = "reported",
        .source = in->source,
        .category_code = in->category_code,
        .category_name = cat.name,
        .urgency = in->urgency ? in->urgency : cat.default_urgency,
        .title = in->title ? in->title : tk_arena_printf(a, "%s（%s）", cat.name, place.grid_name),
        .description = in->description,
        .address = in->address ? in->address : "",
        .has_point = in->has_point,
        .lng = in->lng,
        .lat = in->lat,
        .grid_id = in->grid_id,
        .village_id = place.ids[0],
        .township_id = place.ids[1],
        .county_id = place.ids[2],
        .grid_name = place.grid_name,
        .village_name = place.names[0],
        .township_name = place.names[1],
        .county_name = place.names[2],
        .scope_path = place.path,
        .reporter_user_id = reporter ? who->user_id : 0,
        .reporter_name = reporter_name,
        .reporter_phone = in->reporter_phone,
        .out_of_list = rt.out_of_list,
        .routing_note = rt.reason ? rt.reason : "",
        .list_item_code = rt.out_of_list ? NULL : rt.item.code,
        .suggested_unit_id = rt.subject_unit_id,
        .suggested_unit_name = rt.subject_unit_name,
        .duplicate_of = out->duplicate_of,
        .stage = "dispatch",
        .stage_started_at = now,
        .alert = "green",
        .created_at = now,
        .updated_at = now,
        .submitted_by = who->user_id,
        .external_ref = in->external_ref,
    };
    ev_stage_timing(cal, &cat, ev->urgency, "dispatch", now, 0, false, &ev->stage_deadline,
                    &ev->next_alert_at);
    tk_stmt *s = tk_prepare(
        c,
        "INSERT INTO events(number, state, source, category_code, urgency, title, description, "
        "address, lng, lat, grid_id, village_id, township_id, county_id, scope_path, county_code, "
        "reporter_user_id, reporter_name, reporter_phone, out_of_list, routing_note, "
        "list_item_code, suggested_unit_id, duplicate_of, created_at, updated_at, stage, "
        "stage_started_at, stage_deadline, next_alert_at, submitted_by, external_ref) "
        "VALUES (?1, 'reported', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, ?20, ?21, nullif(?22, 0), nullif(?23, 0), ?24, ?24, 'dispatch', ?24, "
        "nullif(?25, 0), nullif(?26, 0), nullif(?27, 0), ?28)",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, number);
    tk_bind_text(s, 2, in->source);
    tk_bind_text(s, 3, in->category_code);
    tk_bind_text(s, 4, ev->urgency);
    tk_bind_text(s, 5, ev->title);
    tk_bind_text(s, 6, in->description);
    tk_bind_text(s, 7, ev->address);
    if (in->has_point) {
        tk_bind_double(s, 8, in->lng);
        tk_bind_double(s, 9, in->lat);
    } else {
        tk_bind_null(s, 8);
        tk_bind_null(s, 9);
    }
    tk_bind_i64(s, 10, in->grid_id);
    tk_bind_i64(s, 11, ev->village_id);
    tk_bind_i64(s, 12, ev->township_id);
    tk_bind_i64(s, 13, ev->county_id);
    tk_bind_text(s, 14, place.path);
    tk_bind_text(s, 15, place.county_code);
    if (reporter)
        tk_bind_i64(s, 16, who->user_id);
    else
        tk_bind_null(s, 16);
    tk_bind_text(s, 17, ev->reporter_name);
    tk_bind_text(s, 18, ev->reporter_phone);
    tk_bind_i64(s, 19, rt.out_of_list);
    tk_bind_text(s, 20, ev->routing_note);
    tk_bind_text(s, 21, ev->list_item_code);
    tk_bind_i64(s, 22, rt.subject_unit_id);
    tk_bind_i64(s, 23, out->duplicate_of);
    tk_bind_i64(s, 24, now);
    tk_bind_i64(s, 25, ev->stage_deadline);
    tk_bind_i64(s, 26, ev->next_alert_at);
    tk_bind_i64(s, 27, ev->submitted_by);
    tk_bind_text(s, 28, ev->external_ref);
    if (tk_step(s, err) < 0)
        return err->status;
    ev->id = tk_last_insert_id(c);
    ev->number = tk_arena_strdup(a, number);
    tk_conn_before_commit(c, index_new_events, NULL);
    char *detail = tk_arena_printf(
        a, "{\"source\":\"%s\",\"out_of_list\":%s,\"duplicate_of\":%lld}", in->source,
        rt.out_of_list ? "true" : "false", (long long)out->duplicate_of);
    if (ev_timeline(c, ev->id, now, who, "report", NULL, "reported", in->description, detail, NULL,
                    err) != TK_OK ||
        ev_bump_report(c, ev, err) != TK_OK)
        return err->status;
    const char *title_note = tk_arena_printf(a, "新事件 %s：%s", number, ev->title);
    if (ev_notify(c, ev, EV_TO_DESK, "new_event", title_note, rt.reason, now, err) != TK_OK)
        return err->status;
    if (rt.out_of_list &&
        ev_notify(c, ev, EV_TO_CENTER, "out_of_list",
                  tk_arena_printf(a, "清单外事项待研判：%s", number), rt.reason, now, err) != TK_OK)
        return err->status;
    ev_publish(c, ev, "report", "reported");
    return TK_OK;
}

/* The event an earlier report under the same key made, as it is now. */
static tk_status replay(tk_conn *c, tk_arena *a, int64_t id, tk_event_created *out, tk_error *err)
{
    if (ev_load(c, a, id, &out->event, err) != TK_OK)
        return err->status;
    out->replayed = true;
    out->duplicate_of = out->event.duplicate_of;
    if (out->duplicate_of)
        out->candidates[out->ncandidates++] = out->duplicate_of;
    return TK_OK;
}

/* A resident's reports of the day (Asia/Shanghai) against their daily allowance. */
static tk_status check_daily_limit(tk_conn *c, const tk_identity *who, int64_t limit, int64_t now,
                                   tk_error *err)
{
    int64_t midnight = tk_day_start(now);
    tk_stmt *s = tk_prepare(c,
                            "SELECT count(*) FROM events WHERE reporter_user_id = ?1 AND "
                            "created_at >= ?2 AND created_at <= ?3",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, who->user_id);
    tk_bind_i64(s, 2, midnight);
    tk_bind_i64(s, 3, now);
    int rc = tk_step(s, err);
    int64_t n = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (n >= limit)
        return tk_fail(err, TK_ELIMIT, "daily_report_limit",
                       "您今天已上报 %lld 件，已达每日上限，请明天再报；情况紧急请拨打 12345 "
                       "热线或 110",
                       (long long)n);
    return TK_OK;
}

tk_status tk_event_create(tk_conn *c, tk_arena *a, const tk_calendar *cal, const tk_identity *who,
                          const tk_event_new *in, tk_event_created *out, tk_error *err)
{
    memset(out, 0, sizeof *out);
    int64_t now = tk_now_ms();
    bool keyed = in->request_key && who->user_id;
    char fingerprint[65];
    if (keyed) {
        int64_t id;
        tk_report_fingerprint(in, fingerprint);
        if (tk_request_key_find(c, who->user_id, in->request_key, fingerprint, now, &id, err) !=
            TK_OK)
            return err->status;
        if (id)
            return replay(c, a, id, out, err);
    }
    if (who->role == TK_ROLE_RESIDENT && in->resident_daily > 0 &&
        check_daily_limit(c, who, in->resident_daily, now, err) != TK_OK)
        return err->status;
    if (write_event(c, a, cal, who, in, now, out, err) != TK_OK)
        return err->status;
    return keyed ? tk_request_key_remember(c, who->user_id, in->request_key, fingerprint,
                                           out->event.id, now, err)
                 : TK_OK;
}

/* The columns timeline_from_row reads, of event_timeline as tl. */
#define TIMELINE_COLUMNS                                                                           \
    "tl.id, tl.at, coalesce(tl.actor_id, 0), tl.actor, tl.role, tl.action, tl.from_state, "        \
    "tl.to_state, tl.note, tl.detail"
#define TIMELINE_NCOLUMNS 10

static tk_timeline_row timeline_from_row(tk_stmt *s, tk_arena *a)
{
    return (tk_timeline_row){
        .id = tk_col_i64(s, 0),
        .at = tk_col_i64(s, 1),
        .actor_id = tk_col_i64(s, 2),
        .actor = dup(a, tk_col_text(s, 3)),
        .role = dup(a, tk_col_text(s, 4)),
        .action = dup(a, tk_col_text(s, 5)),
        .from_state = dup(a, tk_col_text(s, 6)),
        .to_state = dup(a, tk_col_text(s, 7)),
        .note = dup(a, tk_col_text(s, 8)),
        .detail = dup(a, tk_col_text(s, 9)),
    };
}

tk_status tk_event_timeline(tk_conn *c, tk_arena *a, int64_t event_id, tk_timeline_fn fn, void *ctx,
                            tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " TIMELINE_COLUMNS " FROM event_timeline tl "
                            "WHERE tl.event_id = ?1 ORDER BY tl.id",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, event_id);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_timeline_row row = timeline_from_row(s, a);
        fn(ctx, &row);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The scope filter of lists, the SQL of visible(): ?1 and ?2 bound the scope's paths,
 * ?3 is the user, ?4 their unit. Lists are read newest first, a page at a time, and
 * how SQLite finds a page depends on how much of the city the caller sees:
 *  - a resident, their own reports, from the index of reporters, already in order;
 *  - a village or a grid (a grid is one event in ~5,000 at city scale), the ids of
 *    their events gathered from the indexes of scope, assignee, county call and
 *    reporter: walking every event from the newest for them took 0.2-0.8 s at
 *    1,000,000 events, gathering takes milliseconds;
 *  - a township or more, the walk from the newest, which meets their events soon. */
/* The level of a unit's path: "/1/" the city 1, "/1/2/10/" a township 3, a village
 * 4, a grid 5. */
static int path_depth(const char *path)
{
    int slashes = 0;
    for (const char *p = path ? path : ""; *p; p++)
        slashes += *p == '/';
    return slashes - 1;
}

/* Whether who sees few events (a resident, a village, a grid): their lists start
 * from the events they see, not from an index of all events. */
static bool sees_few(const tk_identity *who)
{
    return who->role == TK_ROLE_RESIDENT || path_depth(who->scope_path) >= 4;
}

static const char *visible_clause(const tk_identity *who)
{
    if (who->role == TK_ROLE_RESIDENT)
        return "e.reporter_user_id = ?3 ";
    if (sees_few(who))
        return "e.id IN (SELECT id FROM events WHERE scope_path >= ?1 AND scope_path < ?2 "
               "UNION ALL SELECT id FROM events WHERE assignee_unit_id = ?4 "
               "UNION ALL SELECT id FROM events WHERE called_unit_id = ?4 "
               "UNION ALL SELECT id FROM events WHERE reporter_user_id = ?3) ";
    return "((e.scope_path >= ?1 AND e.scope_path < ?2) OR e.assignee_unit_id = ?4 OR "
           "e.called_unit_id = ?4 OR e.reporter_user_id = ?3) ";
}

/* Everything but the text, the state (?8), the category (?9), the unit (?10) and the
 * inbox: ?7 cursor .. ?15, and ?17 the limit. */
#define LIST_FILTERS                                                                               \
    "AND e.id < ?7 "                                                                               \
    "AND (?11 IS NULL OR e.source = ?11) AND e.created_at >= ?12 AND e.created_at < ?13 "          \
    "AND (?14 = 0 OR e.alert = 'red') AND (?15 = 0 OR e.out_of_list = 1) "

/* The inboxes, written out rather than chosen by a parameter, so that SQLite can
 * read the selective ones from their indexes (the caller's or the unit's tasks, the
 * few awaiting verification, the overdue ones: migrations 0011 and 0012, whose
 * WHERE the overdue box repeats word for word) instead of walking every event from
 * the newest: at 1,000,000 events a grid worker's tasks took 0.8 s that way, 3 ms
 * this way. The desk's queue is common among recent events, so walking from the
 * newest finds a page of it soonest: "+" keeps SQLite from reading it through the
 * index of states and sorting thousands. */
static const struct {
    const char *box, *sql;
} boxes[] = {
    {"mine", "AND e.assignee_user_id = ?3 AND e.state IN ('dispatched', 'county_called', "
             "'handling', 'verifying') "},
    {"unit", "AND (e.assignee_unit_id = ?4 OR e.called_unit_id = ?4) AND e.state IN "
             "('dispatched', 'county_called', 'handling', 'suspended') "},
    {"verify", "AND (e.state = 'verifying' OR (e.state = 'feedback' AND e.verified = 0)) "},
    {"overdue", "AND e.alert = 'red' AND e.state NOT IN ('closed', 'archived', 'rejected', "
                "'void') "},
    /* 即将超期: yellow and open (migration 0023, the same WHERE). */
    {"due_soon", "AND e.alert = 'yellow' AND e.state NOT IN ('closed', 'archived', 'rejected', "
                 "'void') "},
    {"reported", "AND +e.state IN ('reported', 'accepted', 'feedback') "},
    /* 督办件: pressed by a person and not finished (the few: migration 0015). */
    {"supervised", "AND e.supervised_at IS NOT NULL AND e.state NOT IN ('closed', 'archived', "
                   "'rejected', 'void') "},
    /* 我的上报: one's own reports, finished or not (migration 0008's index). */
    {"own", "AND e.reporter_user_id = ?3 "},
};

/* The inbox's index in boxes[], or -1 when there is no such inbox. */
static int box_index(const char *box)
{
    for (size_t i = 0; i < sizeof boxes / sizeof boxes[0]; i++)
        if (!strcmp(boxes[i].box, box))
            return (int)i;
    return -1;
}

bool tk_event_box_known(const char *box)
{
    return box_index(box) >= 0;
}

/* An inbox as the caller sees it: 待核查 holds nothing for a role that verifies nothing
 * (a module or a department would see its scope's checks, none of them its own). */
static const char *box_sql(const tk_identity *who, size_t i)
{
    if (!strcmp(boxes[i].box, "verify") && !tk_event_role_may("verify", who->role))
        return "AND 0 ";
    return boxes[i].sql;
}

static const char *box_clause(const tk_identity *who, const char *box)
{
    if (!box)
        return "";
    int i = box_index(box);
    return i < 0 ? "AND 0 " /* no such inbox: nothing in it */ : box_sql(who, (size_t)i);
}

/* The SQL that counts a box (?5 the cap). A count reads every event of the box,
 * not a page of the newest, so each way of seeing an event (the scope, the unit's
 * tasks, its county calls, one's own reports: visible_clause) is its own branch
 * with the box's condition beside it, and SQLite reads each from the index that
 * serves both (the overdue ones in a scope: migration 0012; the desk's queue from
 * the index of states, which its list's "+" turns away). With the scope and the
 * box joined by OR instead, a county's overdue count took 0.3 s at 1,000,000
 * events; this way each count takes under 30 ms, whatever the box and scope. */
static const char *box_count_sql(tk_arena *a, const tk_identity *who, const char *box_sql)
{
    if (!strncmp(box_sql, "AND +", 5))
        box_sql = tk_arena_printf(a, "AND %s", box_sql + 5);
    if (who->role == TK_ROLE_RESIDENT)
        return tk_arena_printf(a,
                               "SELECT count(*) FROM (SELECT e.id FROM events e WHERE "
                               "e.reporter_user_id = ?3 %sLIMIT ?5)",
                               box_sql);
    return tk_arena_printf(
        a,
        "SELECT count(*) FROM (SELECT e.id FROM events e WHERE e.scope_path >= ?1 AND "
        "e.scope_path < ?2 %s UNION SELECT e.id FROM events e WHERE e.assignee_unit_id = ?4 %s "
        "UNION SELECT e.id FROM events e WHERE e.called_unit_id = ?4 %s UNION SELECT e.id FROM "
        "events e WHERE e.reporter_user_id = ?3 %sLIMIT ?5)",
        box_sql, box_sql, box_sql, box_sql);
}

tk_status tk_event_box_counts(tk_conn *c, tk_arena *a, const tk_identity *who, int64_t cap,
                              tk_event_box_count out[TK_EVENT_NBOXES], tk_error *err)
{
    _Static_assert(sizeof boxes / sizeof boxes[0] == TK_EVENT_NBOXES, "one count per inbox");
    for (int i = 0; i < TK_EVENT_NBOXES; i++) {
        tk_stmt *s = tk_prepare(c, box_count_sql(a, who, box_sql(who, i)), err);
        if (!s)
            return TK_EIO;
        tk_bind_path_range(s, 1, who->scope_path);
        tk_bind_i64(s, 3, who->user_id);
        tk_bind_i64(s, 4, who->unit_id);
        tk_bind_i64(s, 5, cap);
        int rc = tk_step(s, err);
        out[i] = (tk_event_box_count){boxes[i].box, rc == 1 ? tk_col_i64(s, 0) : 0};
        tk_reset(s);
        if (rc < 0)
            return err->status;
    }
    return TK_OK;
}

/* A unit's path, or NULL when there is no such unit. */
static tk_status unit_path_of(tk_conn *c, tk_arena *a, int64_t unit_id, const char **path,
                              tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT path FROM units WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    int rc = tk_step(s, err);
    *path = rc == 1 ? dup(a, tk_col_text(s, 0)) : NULL;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The unit filter; *range when it reads ?18 and ?19, the range of the unit's path.
 * A village or a grid holds a sliver of the city's events: the index of scopes
 * reads them (a grid's list as a city leader took 0.3 s walking from the newest,
 * 4-16 ms this way). A township or more is dense among recent events, and reading
 * its range would sort all of it (a county's 1 s): the walk meets its events
 * soonest. The city is everything. */
static const char *unit_clause(int64_t unit_id, const char *path, bool *range)
{
    *range = false;
    if (!unit_id)
        return "";
    if (!path)
        return "AND 0 "; /* no such unit: nothing in it */
    int depth = path_depth(path);
    if ((*range = depth >= 4))
        return "AND e.scope_path >= ?18 AND e.scope_path < ?19 ";
    if (depth >= 2)
        return "AND ?10 IN (e.township_id, e.county_id) ";
    return "";
}

/* The ids within which the events reported in [from, to) lie: the bounds the
 * intake keeps per day beside the counts of the tree's root (the city: the first
 * unit of every scope path, migration 0016). Without a period, every id; with a
 * period nobody reported in, none (*lo > *hi). */
static tk_status period_ids(tk_conn *c, int64_t from, int64_t to, int64_t *lo, int64_t *hi,
                            tk_error *err)
{
    *lo = 0;
    *hi = INT64_MAX;
    if (!from && !to)
        return TK_OK;
    char first[16] = "0000-00-00", last[16] = "9999-12-31";
    if (from)
        tk_date_format(from, first, sizeof first);
    if (to)
        tk_date_format(to - 1, last, sizeof last);
    tk_stmt *s = tk_prepare(c,
                            "SELECT coalesce(min(d.first_event_id), 1), "
                            "coalesce(max(d.last_event_id), 0) FROM units u JOIN stats_daily d "
                            "ON d.unit_id = u.id AND d.day >= ?1 AND d.day <= ?2 "
                            "WHERE u.parent_id IS NULL",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, first);
    tk_bind_text(s, 2, last);
    int rc = tk_step(s, err);
    if (rc == 1) {
        *lo = tk_col_i64(s, 0);
        *hi = tk_col_i64(s, 1);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* A category holding fewer than one event in this many is read from the index that
 * begins with it. */
#define FEW_OF_A_CATEGORY 50

/* The category filter (?9, and ?22 for a class). A category's events are either
 * read from the index that begins with it (events_dupes), the list then walking
 * among them, or met on the walk from the newest event: a rare one that way passed
 * most of the city for a desk (0.58 s at 1,000,000 events for a leaf, 0.2 s for a
 * class), a common one is met at once, while gathering it first costs tens of
 * milliseconds. So it is counted first through the same index, up to one event in
 * FEW_OF_A_CATEGORY of all (20,000 at 1,000,000 events). A class (two digits) is
 * the range [class, next class) of codes; end gets the next class. */
static tk_status category_clause(tk_conn *c, const char *code, char end[16], const char **clause,
                                 tk_error *err)
{
    bool class = strlen(code) <= 2;
    snprintf(end, 16, "%s", code);
    if (class && *end)
        end[strlen(end) - 1]++;
    /* Its events, counted up to the share that makes it common (the largest id
     * stands for how many events there are). */
    tk_stmt *s = tk_prepare(c,
                            class ? "SELECT count(*), (SELECT coalesce(max(id), 0) / ?3 FROM "
                                    "events) FROM (SELECT 1 FROM events WHERE category_code >= ?1 "
                                    "AND category_code < ?2 LIMIT (SELECT coalesce(max(id), 0) / "
                                    "?3 FROM events))"
                                  : "SELECT count(*), (SELECT coalesce(max(id), 0) / ?3 FROM "
                                    "events) FROM (SELECT 1 FROM events WHERE category_code = ?1 "
                                    "LIMIT (SELECT coalesce(max(id), 0) / ?3 FROM events))",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    if (class)
        tk_bind_text(s, 2, end);
    tk_bind_i64(s, 3, FEW_OF_A_CATEGORY);
    int rc = tk_step(s, err);
    bool few = rc == 1 && tk_col_i64(s, 0) < tk_col_i64(s, 1);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (class)
        *clause = few ? "AND e.id IN (SELECT id FROM events WHERE category_code >= ?9 AND "
                        "category_code < ?22) "
                      : "AND substr(e.category_code, 1, 2) = ?9 ";
    else
        *clause = few ? "AND e.id IN (SELECT id FROM events WHERE category_code = ?9) "
                      : "AND +e.category_code = ?9 "; /* "+": the walk, not the index */
    return TK_OK;
}

tk_status tk_event_list(tk_conn *c, tk_arena *a, const tk_identity *who, const tk_event_filter *f,
                        tk_event_fn fn, void *ctx, bool *more, tk_error *err)
{
    /* Text of 3+ characters goes through the trigram index; shorter text is a
     * substring scan over the rows the other filters leave. */
    bool fts = f->q && tk_utf8_length(f->q, strlen(f->q)) >= 3;
    /* A reporting system's ticket number (external_ref) is found whole. */
    const char *text =
        fts ? " AND e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?6 "
              "UNION ALL SELECT id FROM events WHERE external_ref = ?23) "
            : " AND (?6 IS NULL OR instr(e.title, ?6) > 0 OR instr(e.description, ?6) > 0 "
              "OR instr(e.address, ?6) > 0 OR instr(e.number, ?6) > 0 OR e.external_ref = ?6) ";
    /* A state, when asked for, is written out like the inboxes: the index of states
     * then gives that state's events newest first (migration 0010). Not for those who
     * see few events: walking the 900,000 archived ones for a resident's took 0.5 s
     * at 1,000,000 events; their own events, sorted, take milliseconds ("+"). */
    const char *state = !f->state ? "" : sees_few(who) ? "AND +e.state = ?8 " : "AND e.state = ?8 ";
    char category_end[16];
    const char *category = "";
    if (f->category && category_clause(c, f->category, category_end, &category, err) != TK_OK)
        return err->status;
    const char *unit_path = NULL;
    if (f->unit_id && unit_path_of(c, a, f->unit_id, &unit_path, err) != TK_OK)
        return err->status;
    bool unit_range;
    const char *unit = unit_clause(f->unit_id, unit_path, &unit_range);
    /* A period walks the ids its days hold, not every newer event (a city leader's
     * month long past at 1,000,000 events: 0.5 s walking, milliseconds this way). */
    int64_t lo, hi;
    if (period_ids(c, f->from, f->to, &lo, &hi, err) != TK_OK)
        return err->status;
    const char *sql =
        tk_arena_printf(a, "%s%s%s%s%s%s%s%s%s%sORDER BY e.id DESC LIMIT ?17",
                        "SELECT " EVENT_COLUMNS EVENT_FROM "WHERE ", visible_clause(who), text,
                        LIST_FILTERS, unit, state, category, box_clause(who, f->box),
                        /* written out, for the index of the few (migration 0015) */
                        f->supervised_only ? "AND e.supervised_at IS NOT NULL " : "",
                        f->from || f->to ? "AND e.id BETWEEN ?20 AND ?21 " : "");
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, who->scope_path);
    tk_bind_i64(s, 3, who->user_id);
    tk_bind_i64(s, 4, who->unit_id);
    if (fts) {
        /* Quote the text so FTS5 takes it as one phrase. */
        tk_buf q;
        tk_buf_init(&q, 4096);
        tk_buf_putc(&q, '"');
        for (const char *p = f->q; *p; p++) {
            if (*p == '"')
                tk_buf_putc(&q, '"');
            tk_buf_putc(&q, *p);
        }
        tk_buf_putc(&q, '"');
        tk_bind_text(s, 6, q.data);
        tk_buf_free(&q);
        tk_bind_text(s, 23, f->q);
    } else {
        tk_bind_text(s, 6, f->q);
    }
    tk_bind_i64(s, 7, f->before_id > 0 ? f->before_id : INT64_MAX);
    tk_bind_text(s, 8, f->state);
    tk_bind_text(s, 9, f->category);
    if (strstr(category, "?22"))
        tk_bind_text(s, 22, category_end);
    tk_bind_i64(s, 10, f->unit_id);
    if (unit_range)
        tk_bind_path_range(s, 18, unit_path);
    tk_bind_text(s, 11, f->source);
    tk_bind_i64(s, 12, f->from);
    tk_bind_i64(s, 13, f->to > 0 ? f->to : INT64_MAX);
    tk_bind_i64(s, 14, f->overdue_only);
    tk_bind_i64(s, 15, f->out_of_list_only);
    tk_bind_i64(s, 17, f->limit + 1);
    if (f->from || f->to) {
        tk_bind_i64(s, 20, lo);
        tk_bind_i64(s, 21, hi);
    }
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == f->limit) {
            *more = true;
            break;
        }
        tk_event ev;
        event_from_row(s, a, &ev);
        fn(ctx, &ev);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The walk back through the timeline is bounded: the latest changes are among
 * the last rows written, and a viewer who sees few events must not walk them all. */
#define CHANGES_WINDOW 5000

tk_status tk_event_changes(tk_conn *c, tk_arena *a, const tk_identity *who, int limit,
                           tk_change_fn fn, void *ctx, tk_error *err)
{
    /* "CROSS JOIN": the timeline, newest first, drives; each row finds its event. */
    const char *sql = tk_arena_printf(
        a,
        "SELECT " TIMELINE_COLUMNS ", " EVENT_COLUMNS " FROM event_timeline tl CROSS JOIN "
        "events e ON e.id = tl.event_id " EVENT_JOINS "WHERE tl.id > (SELECT max(id) FROM "
        "event_timeline) - ?5 AND tl.action <> "
        "'comment' AND tl.action <> 'attach' AND tl.action <> 'merged' AND %s"
        "ORDER BY tl.id DESC LIMIT ?6",
        visible_clause(who));
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, who->scope_path);
    tk_bind_i64(s, 3, who->user_id);
    tk_bind_i64(s, 4, who->unit_id);
    tk_bind_i64(s, 5, CHANGES_WINDOW);
    tk_bind_i64(s, 6, limit);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_event_change_row row = {.change = timeline_from_row(s, a)};
        event_from_row_at(s, a, TIMELINE_NCOLUMNS, &row.event);
        fn(ctx, &row);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_event_targets(tk_conn *c, tk_arena *a, const tk_event *ev, tk_event_target_fn fn,
                           void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, name, kind, coalesce(function, '') FROM units WHERE "
                            "active = 1 AND ((parent_id = ?1 AND kind IN ('command', 'module', "
                            "'team')) OR (parent_id = ?2 AND kind = 'department') OR id IN "
                            "(SELECT team_unit_id FROM team_coverage WHERE township_unit_id = ?1)) "
                            "ORDER BY kind = 'department', kind, id",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev->township_id);
    tk_bind_i64(s, 2, ev->county_id);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_event_target t = {tk_col_i64(s, 0), dup(a, tk_col_text(s, 1)), dup(a, tk_col_text(s, 2)),
                             dup(a, tk_col_text(s, 3))};
        fn(ctx, &t);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
