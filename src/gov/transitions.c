/*
 * transitions.c - the state machine of DESIGN.md §3.
 *
 * One table says, for every action, its label, the states it may start from and
 * the roles that may take it; the handler checks the caller's assignment and the
 * fields, then changes the event, writes its timeline row, bumps the rollups and
 * sends the notices. All of it runs in the caller's write job, so an action is
 * done whole or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "gov/event_internal.h"
#include "gov/request_keys.h"
#include "gov/units.h"
#include "gov/workcal.h"

#define R(x) TK_ROLE_BIT(TK_ROLE_##x)
#define DESK (R(TOWNSHIP_COMMAND) | R(COUNTY_CENTER))
#define WORKERS                                                                                    \
    (R(GRID_WORKER) | R(TOWNSHIP_COMMAND) | R(TOWNSHIP_MODULE) | R(COUNTY_DEPT) | R(COUNTY_CENTER))

typedef struct {
    tk_conn *c;
    tk_arena *a;
    const tk_calendar *cal;
    const tk_identity *who;
    tk_event ev;
    tk_category cat;
    const tk_event_input *in;
    int64_t now;
    tk_event_change *out;
} act_ctx;

typedef tk_status (*act_fn)(act_ctx *x, tk_error *err);

typedef struct {
    const char *name, *label;
    const char *states; /* " reported accepted " */
    unsigned roles;
    act_fn fn;
    /* What else must hold for the action to be offered (assignment, a pending
     * request ...); the handler checks the same and says why. NULL = nothing. */
    bool (*may)(const tk_event *ev, const tk_identity *who);
} action_def;

static bool in_states(const char *states, const char *state)
{
    char needle[32];
    snprintf(needle, sizeof needle, " %s ", state);
    return strstr(states, needle) != NULL;
}

static const char *note_or(act_ctx *x, const char *fallback)
{
    return x->in->note && *x->in->note ? x->in->note : fallback;
}

static tk_status need_note(act_ctx *x, const char *what, tk_error *err)
{
    if (!x->in->note || !*x->in->note)
        return tk_fail_field(err, "note", "%s需要填写理由", what);
    return TK_OK;
}

/* Sets the state and one optional extra column assignment (SQL with ?3, ?4). */
static tk_status set_state(act_ctx *x, const char *to, const char *extra, int64_t v3, int64_t v4,
                           tk_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "UPDATE events SET state = ?2, updated_at = ?5%s%s WHERE id = ?1",
             extra ? ", " : "", extra ? extra : "");
    tk_stmt *s = tk_prepare(x->c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    tk_bind_text(s, 2, to);
    tk_bind_i64(s, 3, v3);
    tk_bind_i64(s, 4, v4);
    tk_bind_i64(s, 5, x->now);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

/* The timeline row and the live-stream notice of a transition. */
static tk_status record(act_ctx *x, const char *to, const char *note, const char *detail,
                        tk_error *err)
{
    x->out->to_state = tk_arena_strdup(x->a, to);
    if (ev_timeline(x->c, x->ev.id, x->now, x->who, x->out->action, x->ev.state, to, note, detail,
                    &x->out->timeline_id, err) != TK_OK)
        return err->status;
    tk_event after;
    if (ev_load(x->c, x->a, x->ev.id, &after, err) != TK_OK)
        return err->status;
    ev_publish(x->c, &after, x->out->action, to);
    return ev_callback_queue(x->c, &after, x->out->timeline_id, x->now, err);
}

static tk_status stage(act_ctx *x, const char *name, tk_error *err)
{
    tk_event now_ev;
    if (ev_load(x->c, x->a, x->ev.id, &now_ev, err) != TK_OK)
        return err->status;
    return ev_start_stage(x->c, x->cal, &x->cat, &now_ev, name, x->now, err);
}

static bool assignee_of(const tk_event *ev, const tk_identity *who);

static bool is_assignee(act_ctx *x)
{
    return assignee_of(&x->ev, x->who);
}

static tk_status require_assignee(act_ctx *x, tk_error *err)
{
    if (is_assignee(x))
        return TK_OK;
    return tk_fail(err, TK_EFORBIDDEN, "not_assignee", "只有承办人（%s）可以%s",
                   x->ev.assignee_unit_name ? x->ev.assignee_unit_name
                   : x->ev.called_unit_name ? x->ev.called_unit_name
                                            : "未指定",
                   tk_event_action_label(x->out->action, x->ev.state));
}

/* The desk of the event's township, or the county center above it. */
static tk_status require_desk(act_ctx *x, tk_error *err)
{
    if (tk_path_within(x->ev.scope_path, x->who->scope_path))
        return TK_OK;
    return tk_fail(err, TK_EFORBIDDEN, "outside_scope", "该事件不在您的管辖范围内");
}

/* The reporter, or the system that reported on their behalf (the 12345 hotline,
 * which presses and calls back for the citizen). */
static bool own_report(const tk_event *ev, const tk_identity *who)
{
    if (who->role == TK_ROLE_INTEGRATION)
        return ev->submitted_by && ev->submitted_by == who->user_id;
    return ev->reporter_user_id && ev->reporter_user_id == who->user_id;
}

static tk_status act_accept(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    tk_limit total;
    int64_t due = 0;
    if (tk_category_limit(&x->cat, x->ev.urgency, "total", &total)) {
        due = tk_workcal_deadline(x->cal, x->now, total.amount, total.unit);
        if (due == TK_CALENDAR_NEVER)
            due = 0;
    }
    if (set_state(x, "accepted", "accepted_at = ?3, due_at = nullif(?4, 0)", x->now, due, err) !=
            TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "accepted", 1, err) != TK_OK)
        return err->status;
    /* The dispatch stage keeps running from the report; only the total is new. */
    tk_event ev;
    if (ev_load(x->c, x->a, x->ev.id, &ev, err) != TK_OK)
        return err->status;
    int64_t next = ev_next_alert(x->cal, ev.alert, ev.stage_started_at, ev.stage_deadline,
                                 ev.due_at, ev.due_counted, x->now);
    tk_stmt *s =
        tk_prepare(x->c, "UPDATE events SET next_alert_at = nullif(?2, 0) WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev.id);
    tk_bind_i64(s, 2, next);
    if (tk_step(s, err) < 0)
        return err->status;
    return record(x, "accepted", note_or(x, "立案"), "{}", err);
}

static tk_status act_verify_request(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    /* The grid's own worker verifies on site. */
    tk_stmt *s = tk_prepare(x->c,
                            "SELECT id FROM users WHERE role = 'grid_worker' AND unit_id = ?1 "
                            "AND disabled = 0 ORDER BY id LIMIT 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.grid_id);
    int rc = tk_step(s, err);
    int64_t worker = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (set_state(x, "verifying", "assignee_unit_id = ?3, assignee_user_id = nullif(?4, 0)",
                  x->ev.grid_id, worker, err) != TK_OK ||
        stage(x, "verify", err) != TK_OK ||
        record(x, "verifying", note_or(x, "请网格员现场核实"), "{}", err) != TK_OK)
        return err->status;
    tk_event ev;
    if (ev_load(x->c, x->a, x->ev.id, &ev, err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &ev, EV_TO_ASSIGNEE, "verify_task",
                     tk_arena_printf(x->a, "核实任务：%s", ev.number), ev.title, x->now, err);
}

/* verify: on site (verifying -> reported) or after feedback (核查). */
static tk_status act_verify(act_ctx *x, tk_error *err)
{
    bool grid_worker = x->who->role == TK_ROLE_GRID_WORKER;
    if (grid_worker ? !tk_path_within(x->ev.scope_path, x->who->scope_path)
                    : require_desk(x, err) != TK_OK)
        return grid_worker ? tk_fail(err, TK_EFORBIDDEN, "outside_scope", "该事件不在您的网格内")
                           : err->status;
    const char *detail = x->in->passed ? "{\"passed\":true}" : "{\"passed\":false}";
    if (!strcmp(x->ev.state, "verifying")) {
        if (need_note(x, "核实", err) != TK_OK ||
            set_state(x, "reported",
                      "verified = ?3, assignee_unit_id = NULL, "
                      "assignee_user_id = NULL",
                      x->in->passed, 0, err) != TK_OK ||
            stage(x, "dispatch", err) != TK_OK)
            return err->status;
        return record(x, "reported", x->in->note, detail, err);
    }
    if (x->ev.verified)
        return tk_fail(err, TK_ECONFLICT, "already_verified", "该事件已核查通过，等待结案");
    if (x->in->passed) {
        if (set_state(x, "feedback", "verified = 1", 0, 0, err) != TK_OK)
            return err->status;
        return record(x, "feedback", note_or(x, "核查通过"), detail, err);
    }
    if (need_note(x, "核查不通过（返工）", err) != TK_OK ||
        set_state(x, "handling", "reworks = reworks + 1, verified = 0", 0, 0, err) != TK_OK ||
        /* on the day of the feedback it sends back, as 返工率 divides by those (0014) */
        ev_bump(x->c, &x->ev, x->ev.feedback_at ? x->ev.feedback_at : x->now, "reworks", 1, err) !=
            TK_OK ||
        stage(x, "handle", err) != TK_OK ||
        record(x, "handling", x->in->note, detail, err) != TK_OK)
        return err->status;
    tk_event ev;
    if (ev_load(x->c, x->a, x->ev.id, &ev, err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &ev, EV_TO_ASSIGNEE, "rework",
                     tk_arena_printf(x->a, "核查未通过，请返工：%s", ev.number), x->in->note,
                     x->now, err);
}

/* A dispatch target: a body of the event's township, or a department of its county. */
static tk_status check_target(act_ctx *x, int64_t unit_id, tk_unit *u, tk_error *err)
{
    if (tk_unit_get(x->c, x->a, unit_id, u, err) != TK_OK)
        return tk_fail_field(err, "unit_id", "交办单位不存在");
    if (!u->active)
        return tk_fail_field(err, "unit_id", "交办单位「%s」已停用", u->name);
    bool in_township = u->parent_id == x->ev.township_id &&
                       (!strcmp(u->kind, "module") || !strcmp(u->kind, "command") ||
                        !strcmp(u->kind, "team") || !strcmp(u->kind, "institution"));
    bool department = !strcmp(u->kind, "department") && u->parent_id == x->ev.county_id;
    bool covering_team = false;
    if (!strcmp(u->kind, "team") && !in_township) {
        tk_stmt *s = tk_prepare(x->c,
                                "SELECT 1 FROM team_coverage WHERE team_unit_id = ?1 AND "
                                "township_unit_id = ?2",
                                err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, u->id);
        tk_bind_i64(s, 2, x->ev.township_id);
        covering_team = tk_step(s, err) == 1;
        tk_reset(s);
    }
    if (!in_township && !department && !covering_team)
        return tk_fail_field(err, "unit_id",
                             "只能交办给本乡镇的指挥室、模块、执法队，或本县的职能部门");
    return TK_OK;
}

static tk_status check_user_in(act_ctx *x, int64_t user_id, int64_t unit_id, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        x->c, "SELECT 1 FROM users WHERE id = ?1 AND unit_id = ?2 AND disabled = 0", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, user_id);
    tk_bind_i64(s, 2, unit_id);
    int rc = tk_step(s, err);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc ? TK_OK : tk_fail_field(err, "user_id", "承办人不属于所选单位");
}

/* The body (and person, if given) the desk hands the event to. */
static tk_status check_assignee(act_ctx *x, int64_t unit_id, tk_unit *target, tk_error *err)
{
    if (check_target(x, unit_id, target, err) != TK_OK ||
        (x->in->user_id && check_user_in(x, x->in->user_id, unit_id, err) != TK_OK))
        return err->status;
    return TK_OK;
}

/* The new assignee's task notice, from the event as it now is. */
static tk_status notify_new_task(act_ctx *x, tk_error *err)
{
    tk_event ev;
    if (ev_load(x->c, x->a, x->ev.id, &ev, err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &ev, EV_TO_ASSIGNEE, "new_task",
                     tk_arena_printf(x->a, "新任务：%s", ev.number), ev.title, x->now, err);
}

/* Dispatching (or calling the county) goes on with the event: a void request
 * still waiting for the center is dropped with it, or it would block the
 * assignee's extension requests ("request_pending") with nothing to decide. */
static tk_status act_dispatch(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    int64_t unit_id = x->in->unit_id ? x->in->unit_id : x->ev.suggested_unit_id;
    if (!unit_id)
        return tk_fail_field(err, "unit_id", "请选择交办单位（该事件没有建议的责任主体）");
    tk_unit target;
    if (check_assignee(x, unit_id, &target, err) != TK_OK)
        return err->status;
    bool on_time = !x->ev.stage_deadline || x->now <= x->ev.stage_deadline;
    if (set_state(x, "dispatched",
                  "assignee_unit_id = ?3, assignee_user_id = nullif(?4, 0), "
                  "dispatched_at = ?5, pending = NULL, pending_detail = NULL",
                  unit_id, x->in->user_id, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "dispatched", 1, err) != TK_OK ||
        (on_time && ev_bump(x->c, &x->ev, x->now, "dispatched_on_time", 1, err) != TK_OK) ||
        stage(x, "sign", err) != TK_OK)
        return err->status;
    const char *detail =
        tk_arena_printf(x->a, "{\"unit_id\":%lld,\"unit\":%s,\"on_time\":%s}", (long long)unit_id,
                        tk_arena_json_string(x->a, target.name), on_time ? "true" : "false");
    if (record(x, "dispatched", note_or(x, tk_arena_printf(x->a, "交办至%s", target.name)), detail,
               err) != TK_OK)
        return err->status;
    return notify_new_task(x, err);
}

/* 改派: before the assignee signs, the desk sends the event elsewhere (the wrong body,
 * nobody on duty). A reason is required; the new assignee gets a fresh time to sign
 * and the old one is told. Not a second dispatch in the indicators. */
static tk_status act_reassign(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK || need_note(x, "改派", err) != TK_OK)
        return err->status;
    if (!x->in->unit_id)
        return tk_fail_field(err, "unit_id", "请选择改派给哪个单位");
    if (x->in->unit_id == x->ev.assignee_unit_id && x->in->user_id == x->ev.assignee_user_id)
        return tk_fail_field(err, "unit_id", "改派对象与当前承办单位相同");
    tk_unit target;
    if (check_assignee(x, x->in->unit_id, &target, err) != TK_OK)
        return err->status;
    tk_event before = x->ev;
    if (set_state(x, "dispatched", "assignee_unit_id = ?3, assignee_user_id = nullif(?4, 0)",
                  x->in->unit_id, x->in->user_id, err) != TK_OK ||
        stage(x, "sign", err) != TK_OK)
        return err->status;
    const char *detail = tk_arena_printf(
        x->a, "{\"from_unit\":%s,\"unit_id\":%lld,\"unit\":%s}",
        tk_arena_json_string(x->a, before.assignee_unit_name ? before.assignee_unit_name : ""),
        (long long)x->in->unit_id, tk_arena_json_string(x->a, target.name));
    if (record(x, "dispatched", x->in->note, detail, err) != TK_OK)
        return err->status;
    if (ev_notify(x->c, &before, EV_TO_ASSIGNEE, "withdrawn",
                  tk_arena_printf(x->a, "任务已改派：%s", before.number), x->in->note, x->now,
                  err) != TK_OK)
        return err->status;
    return notify_new_task(x, err);
}

static tk_status county_call_update(act_ctx *x, const char *column, const char *counter,
                                    const char *minutes_counter, tk_error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE county_calls SET %s = ?2 WHERE id = (SELECT id FROM county_calls WHERE "
             "event_id = ?1 AND %s IS NULL ORDER BY id DESC LIMIT 1) RETURNING called_at, "
             "sign_deadline, department_id",
             column, column);
    tk_stmt *s = tk_prepare(x->c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    tk_bind_i64(s, 2, x->now);
    int rc = tk_step(s, err);
    int64_t called = rc == 1 ? tk_col_i64(s, 0) : 0, deadline = rc == 1 ? tk_col_i64(s, 1) : 0;
    int64_t dept = rc == 1 ? tk_col_i64(s, 2) : 0;
    tk_reset(s);
    if (rc <= 0)
        return rc < 0 ? err->status : TK_OK;
    int64_t minutes = tk_calendar_work_minutes_between(x->cal, called, x->now);
    if (ev_bump_department(x->c, dept, x->now, counter, 1, err) != TK_OK ||
        ev_bump_department(x->c, dept, x->now, minutes_counter, minutes > 0 ? minutes : 0, err) !=
            TK_OK)
        return err->status;
    if (!strcmp(column, "signed_at") && x->now <= deadline)
        return ev_bump_department(x->c, dept, x->now, "signed_on_time", 1, err);
    return TK_OK;
}

static tk_status act_sign(act_ctx *x, tk_error *err)
{
    if (require_assignee(x, err) != TK_OK)
        return err->status;
    bool called = !strcmp(x->ev.state, "county_called");
    if (called && county_call_update(x, "signed_at", "signed", "sign_minutes", err) != TK_OK)
        return err->status;
    /* A department that signs a call becomes the assignee. */
    if (set_state(x, "handling",
                  called ? "signed_at = ?5, assignee_unit_id = ?3, assignee_user_id = nullif(?4, 0)"
                         : "signed_at = ?5, assignee_user_id = coalesce(assignee_user_id, "
                           "nullif(?4, 0))",
                  x->ev.called_unit_id, x->who->user_id, err) != TK_OK ||
        stage(x, "handle", err) != TK_OK)
        return err->status;
    return record(x, "handling", note_or(x, "签收"), "{}", err);
}

static tk_status act_return(act_ctx *x, tk_error *err)
{
    if (require_assignee(x, err) != TK_OK || need_note(x, "退回", err) != TK_OK)
        return err->status;
    if (set_state(x, "accepted",
                  "returns = returns + 1, assignee_unit_id = NULL, assignee_user_id = NULL, "
                  "called_unit_id = NULL",
                  0, 0, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "returns", 1, err) != TK_OK ||
        stage(x, "dispatch", err) != TK_OK ||
        record(x, "accepted", x->in->note, "{}", err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &x->ev, EV_TO_DESK, "returned",
                     tk_arena_printf(x->a, "任务被退回：%s", x->ev.number), x->in->note, x->now,
                     err);
}

static tk_status act_call_county(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK || need_note(x, "乡呼县应", err) != TK_OK)
        return err->status;
    tk_unit dept;
    if (!x->in->unit_id || tk_unit_get(x->c, x->a, x->in->unit_id, &dept, err) != TK_OK ||
        strcmp(dept.kind, "department") != 0 || dept.parent_id != x->ev.county_id)
        return tk_fail_field(err, "unit_id", "乡呼县应需要选择本县的职能部门");
    tk_limit sign;
    int64_t deadline = 0;
    if (tk_category_limit(&x->cat, x->ev.urgency, "sign", &sign))
        deadline = tk_workcal_deadline(x->cal, x->now, sign.amount, sign.unit);
    tk_stmt *s =
        tk_prepare(x->c,
                   "INSERT INTO county_calls(event_id, township_id, department_id, reason, "
                   "called_at, sign_deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    tk_bind_i64(s, 2, x->ev.township_id);
    tk_bind_i64(s, 3, dept.id);
    tk_bind_text(s, 4, x->in->note);
    tk_bind_i64(s, 5, x->now);
    tk_bind_i64(s, 6, deadline == TK_CALENDAR_NEVER ? 0 : deadline);
    if (tk_step(s, err) < 0 ||
        set_state(x, "county_called",
                  "called_unit_id = ?3, assignee_unit_id = ?3, assignee_user_id = NULL, "
                  "pending = NULL, pending_detail = NULL",
                  dept.id, 0, err) != TK_OK ||
        ev_bump_department(x->c, dept.id, x->now, "calls", 1, err) != TK_OK ||
        stage(x, "sign", err) != TK_OK)
        return err->status;
    const char *detail = tk_arena_printf(x->a, "{\"department_id\":%lld,\"department\":%s}",
                                         (long long)dept.id, tk_arena_json_string(x->a, dept.name));
    if (record(x, "county_called", x->in->note, detail, err) != TK_OK)
        return err->status;
    tk_event ev;
    if (ev_load(x->c, x->a, x->ev.id, &ev, err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &ev, EV_TO_ASSIGNEE, "called",
                     tk_arena_printf(x->a, "乡呼县应：%s 呼叫%s", ev.township_name, dept.name),
                     x->in->note, x->now, err);
}

static tk_status set_pending(act_ctx *x, const char *kind, const char *detail, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(x->c, "UPDATE events SET pending = ?2, pending_detail = ?3 WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    tk_bind_text(s, 2, kind);
    tk_bind_text(s, 3, detail);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status act_request_extension(act_ctx *x, tk_error *err)
{
    if (require_assignee(x, err) != TK_OK || need_note(x, "申请", err) != TK_OK)
        return err->status;
    if (x->ev.pending)
        return tk_fail(err, TK_ECONFLICT, "request_pending", "已有待审批的申请");
    bool suspend = x->in->kind && !strcmp(x->in->kind, "suspend");
    if (!suspend && (x->in->amount <= 0 || !x->in->unit))
        return tk_fail_field(err, "amount", "延期申请需要延长的时长 amount 和单位 unit");
    const char *detail =
        suspend ? "{\"kind\":\"suspend\"}"
                : tk_arena_printf(x->a, "{\"kind\":\"extension\",\"amount\":%lld,\"unit\":\"%s\"}",
                                  (long long)x->in->amount, x->in->unit);
    if (set_pending(x, suspend ? "suspend" : "extension", detail, err) != TK_OK ||
        record(x, x->ev.state, x->in->note, detail, err) != TK_OK)
        return err->status;
    return ev_notify(
        x->c, &x->ev, EV_TO_DESK, "approval",
        tk_arena_printf(x->a, "%s待审批：%s", suspend ? "挂账申请" : "延期申请", x->ev.number),
        x->in->note, x->now, err);
}

static bool stage_in_natural_days(act_ctx *x)
{
    tk_limit l;
    return x->ev.stage && tk_category_limit(&x->cat, x->ev.urgency, x->ev.stage, &l) && l.unit &&
           !strcmp(l.unit, "natural_days");
}

/* 挂账 stops the stage clock and keeps the time left in it: working time on the
 * calendar (natural time for a stage limited in natural days), NULL for a stage
 * without a deadline. The total deadline keeps running, so the timer still
 * counts the event due when it passes. */
static tk_status suspend_stage(act_ctx *x, const char *note, const char *detail, tk_error *err)
{
    int64_t left = -1;
    if (x->ev.stage_deadline && x->ev.stage_deadline <= x->now)
        left = 0;
    else if (x->ev.stage_deadline && stage_in_natural_days(x))
        left = x->ev.stage_deadline - x->now;
    else if (x->ev.stage_deadline)
        left = tk_calendar_work_minutes_between(x->cal, x->now, x->ev.stage_deadline) * 60000;
    int64_t next = x->ev.due_at && !x->ev.due_counted ? x->ev.due_at : 0;
    if (set_state(x, "suspended",
                  "stage_left_ms = nullif(?3, -1), next_alert_at = nullif(?4, 0), pending = NULL",
                  left, next, err) != TK_OK)
        return err->status;
    return record(x, "suspended", note, detail, err);
}

static tk_status act_decide_extension(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    if (!x->ev.pending || !strcmp(x->ev.pending, "void"))
        return tk_fail(err, TK_ECONFLICT, "nothing_pending", "没有待审批的延期或挂账申请");
    bool suspend = !strcmp(x->ev.pending, "suspend");
    const char *detail = tk_arena_printf(x->a, "{\"kind\":\"%s\",\"approved\":%s}", x->ev.pending,
                                         x->in->approve ? "true" : "false");
    if (set_pending(x, NULL, NULL, err) != TK_OK)
        return err->status;
    if (!x->in->approve) {
        if (need_note(x, "驳回", err) != TK_OK)
            return err->status;
        return record(x, x->ev.state, x->in->note, detail, err);
    }
    if (suspend)
        return suspend_stage(x, note_or(x, "同意挂账"), detail, err);
    /* Extension: the amount asked for, on the calendar, from the current deadline. */
    const char *pd = x->ev.pending_detail ? x->ev.pending_detail : "";
    int64_t amount = 0;
    char unit[16] = "";
    const char *am = strstr(pd, "\"amount\":"), *un = strstr(pd, "\"unit\":\"");
    if (am)
        amount = strtoll(am + 9, NULL, 10);
    if (un)
        sscanf(un + 8, "%15[a-z_]", unit);
    int64_t base = x->ev.stage_deadline > x->now ? x->ev.stage_deadline : x->now;
    int64_t deadline = tk_workcal_deadline(x->cal, base, amount, unit);
    if (deadline == TK_CALENDAR_NEVER || amount <= 0)
        return tk_fail(err, TK_EVALID, "bad_extension", "延期申请的时长无效");
    int64_t next = ev_next_alert(x->cal, "green", x->ev.stage_started_at, deadline, x->ev.due_at,
                                 x->ev.due_counted, x->now);
    if (set_state(x, x->ev.state,
                  "stage_deadline = ?3, next_alert_at = nullif(?4, 0), alert = 'green', "
                  "extensions = extensions + 1",
                  deadline, next, err) != TK_OK)
        return err->status;
    return record(x, x->ev.state, note_or(x, "同意延期"), detail, err);
}

static tk_status act_suspend(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK || need_note(x, "挂账", err) != TK_OK)
        return err->status;
    return suspend_stage(x, x->in->note, "{}", err);
}

static tk_status act_resume(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    tk_stmt *s = tk_prepare(x->c, "SELECT stage_left_ms FROM events WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    int rc = tk_step(s, err);
    bool timed = rc == 1 && !tk_col_null(s, 0);
    int64_t left = timed ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    /* The time that was left runs again from now, on the calendar it was measured on. */
    int64_t deadline = 0;
    if (timed && stage_in_natural_days(x)) {
        deadline = x->now + left;
    } else if (timed) {
        deadline = tk_calendar_add_work_minutes(x->cal, x->now, left / 60000);
        if (deadline == TK_CALENDAR_NEVER)
            deadline = x->now + left;
    }
    int64_t next =
        ev_next_alert(x->cal, "green", x->now, deadline, x->ev.due_at, x->ev.due_counted, x->now);
    if (set_state(x, "handling",
                  "stage = 'handle', stage_started_at = ?5, stage_deadline = nullif(?3, 0), "
                  "next_alert_at = nullif(?4, 0), stage_left_ms = NULL, alert = 'green'",
                  deadline, next, err) != TK_OK)
        return err->status;
    return record(x, "handling", note_or(x, "恢复办理"), "{}", err);
}

static tk_status act_feedback(act_ctx *x, tk_error *err)
{
    if (require_assignee(x, err) != TK_OK || need_note(x, "反馈处置结果", err) != TK_OK)
        return err->status;
    if (x->ev.called_unit_id &&
        county_call_update(x, "responded_at", "responded", "response_minutes", err) != TK_OK)
        return err->status;
    if (set_state(x, "feedback", "feedback_at = ?5, verified = 0, pending = NULL", 0, 0, err) !=
            TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "feedbacks", 1, err) != TK_OK ||
        stage(x, "verify", err) != TK_OK || record(x, "feedback", x->in->note, "{}", err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &x->ev, EV_TO_GRID, "verify_task",
                     tk_arena_printf(x->a, "待核查：%s %s", x->ev.number, x->ev.title),
                     tk_arena_printf(x->a, "处置反馈：%s", x->in->note), x->now, err);
}

/* Closing counts the event as closed, due (if not yet) and on time or not, and as
 * closed among the events accepted on its day of acceptance (结案率, 0013). */
static tk_status count_closure(act_ctx *x, int64_t accepted_at, tk_error *err)
{
    int64_t minutes = tk_calendar_work_minutes_between(x->cal, accepted_at, x->now);
    if (minutes < 0)
        minutes = 0;
    /* 按期结案率 is closed on time / due: an event without a total deadline is
     * neither due nor closed on time (the raw recomputation uses the same rule). */
    bool has_due = x->ev.due_at != 0;
    bool on_time = has_due && x->now <= x->ev.due_at;
    /* Due now, or when the total deadline passed if the timer has not counted it yet. */
    int64_t due_day = has_due && x->ev.due_at < x->now ? x->ev.due_at : x->now;
    if (ev_bump(x->c, &x->ev, x->now, "closed", 1, err) != TK_OK ||
        ev_bump(x->c, &x->ev, accepted_at, "accepted_closed", 1, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "handle_minutes", minutes, err) != TK_OK ||
        (has_due && !x->ev.due_counted && ev_bump(x->c, &x->ev, due_day, "due", 1, err) != TK_OK) ||
        (on_time && ev_bump(x->c, &x->ev, x->now, "closed_on_time", 1, err) != TK_OK))
        return err->status;
    return set_state(x, "closed",
                     "closed_at = ?5, handle_minutes = ?3, due_counted = 1, stage = NULL, "
                     "stage_deadline = NULL, next_alert_at = NULL, pending = NULL, alert = "
                     "CASE WHEN ?4 THEN alert ELSE 'red' END, overdue = overdue OR NOT ?4",
                     minutes, on_time || !has_due, err);
}

/* The reporters of the reports merged into this event hear what became of it
 * (kind: the notice's, what: 办结, 不予立案, 作废). */
static tk_status notify_merged(act_ctx *x, const char *kind, const char *what, tk_error *err)
{
    /* A page of ids at a time: the notices are written between the reads. */
    int64_t ids[64], last = 0;
    int n;
    do {
        tk_stmt *s = tk_prepare(
            x->c, "SELECT id FROM events WHERE merged_into = ?1 AND id > ?2 ORDER BY id LIMIT 64",
            err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, x->ev.id);
        tk_bind_i64(s, 2, last);
        int rc;
        for (n = 0; (rc = tk_step(s, err)) == 1; n++)
            last = ids[n] = tk_col_i64(s, 0);
        tk_reset(s);
        if (rc < 0)
            return err->status;
        for (int i = 0; i < n; i++) {
            tk_event merged;
            if (ev_load(x->c, x->a, ids[i], &merged, err) != TK_OK ||
                ev_notify(x->c, &merged, EV_TO_REPORTER, kind,
                          tk_arena_printf(x->a, "您反映的事件（%s）已随 %s %s", merged.number,
                                          x->ev.number, what),
                          x->in->note ? x->in->note : "", x->now, err) != TK_OK)
                return err->status;
        }
    } while (n == 64);
    return TK_OK;
}

static tk_status act_close(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    if (!x->ev.verified)
        return tk_fail(err, TK_ECONFLICT, "not_verified", "需先由网格员核查通过，才能结案");
    if (count_closure(x, x->ev.accepted_at, err) != TK_OK)
        return err->status;
    const char *detail = tk_arena_printf(x->a, "{\"on_time\":%s}",
                                         x->ev.due_at && x->now <= x->ev.due_at ? "true" : "false");
    if (record(x, "closed", note_or(x, "结案"), detail, err) != TK_OK ||
        notify_merged(x, "closed", "办结", err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &x->ev, EV_TO_REPORTER, "closed",
                     tk_arena_printf(x->a, "您反映的事件已办结：%s", x->ev.number),
                     "欢迎对办理结果评价", x->now, err);
}

static tk_status act_self_close(act_ctx *x, tk_error *err)
{
    if (x->ev.reporter_user_id != x->who->user_id)
        return tk_fail(err, TK_EFORBIDDEN, "not_reporter", "只有上报该事件的网格员可以自行处置");
    if (need_note(x, "自行处置", err) != TK_OK)
        return err->status;
    tk_stmt *s = tk_prepare(x->c,
                            "SELECT sum(kind = 'before'), sum(kind = 'after') FROM attachments "
                            "WHERE event_id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, x->ev.id);
    int rc = tk_step(s, err);
    int64_t before = rc == 1 ? tk_col_i64(s, 0) : 0, after = rc == 1 ? tk_col_i64(s, 1) : 0;
    tk_reset(s);
    if (before < 1 || after < 1)
        return tk_fail(err, TK_EVALID, "photos_required",
                       "自行处置需要上传处置前和处置后的照片（各至少一张）");
    if (set_state(x, "reported", "accepted_at = ?5, due_at = ?5, verified = 1, self_handled = 1", 0,
                  0, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "accepted", 1, err) != TK_OK)
        return err->status;
    x->ev.due_at = x->now;
    x->ev.self_handled = true;
    if (count_closure(x, x->now, err) != TK_OK)
        return err->status;
    return record(x, "closed", x->in->note, "{\"self_handled\":true,\"on_time\":true}", err);
}

/* The reporter rates the handling, unless the reporter was the handler (自行处置). */
static bool rates_as_reporter(const tk_event *ev, const tk_identity *who)
{
    return own_report(ev, who) && !ev->self_handled;
}

static tk_status act_revisit(act_ctx *x, tk_error *err)
{
    if (!rates_as_reporter(&x->ev, x->who)) {
        if (own_report(&x->ev, x->who))
            return tk_fail(err, TK_EFORBIDDEN, "own_handling",
                           "自行处置的事件由指挥室回访，处置人不能评价自己的处置");
        if (x->who->role == TK_ROLE_INTEGRATION)
            return tk_fail(err, TK_EFORBIDDEN, "not_reporter", "对接系统只能回访本系统上报的事件");
        if (require_desk(x, err) != TK_OK)
            return err->status;
    }
    if (x->in->satisfaction < 1 || x->in->satisfaction > 5)
        return tk_fail_field(err, "satisfaction", "满意度需要 1 到 5 分");
    int64_t s5 = x->in->satisfaction;
    if (set_state(x, "archived", "archived_at = ?5, satisfaction = ?3", s5, 0, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "rated", 1, err) != TK_OK ||
        ev_bump(x->c, &x->ev, x->now, "rating_sum", s5, err) != TK_OK ||
        (s5 >= 4 && ev_bump(x->c, &x->ev, x->now, "satisfied", 1, err) != TK_OK))
        return err->status;
    return record(x, "archived", note_or(x, "回访"),
                  tk_arena_printf(x->a, "{\"satisfaction\":%lld}", (long long)s5), err);
}

static tk_status stop_as(act_ctx *x, const char *to, const char *note, const char *detail,
                         tk_error *err)
{
    /* An event that fell due before it was stopped stays due, counted on its
     * deadline's day even if the timer had not got to it yet. */
    bool fell_due = x->ev.due_at && !x->ev.due_counted && x->ev.due_at <= x->now;
    if ((fell_due && ev_bump(x->c, &x->ev, x->ev.due_at, "due", 1, err) != TK_OK) ||
        set_state(x, to,
                  "stage = NULL, stage_deadline = NULL, next_alert_at = NULL, pending = NULL, "
                  "due_counted = due_counted OR ?3",
                  fell_due, 0, err) != TK_OK ||
        record(x, to, note, detail, err) != TK_OK)
        return err->status;
    return notify_merged(x, to, !strcmp(to, "rejected") ? "不予立案" : "作废", err);
}

static tk_status stop(act_ctx *x, const char *to, tk_error *err)
{
    return stop_as(x, to, x->in->note, "{}", err);
}

static tk_status act_reject(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK || need_note(x, "不予立案", err) != TK_OK)
        return err->status;
    if (stop(x, "rejected", err) != TK_OK)
        return err->status;
    return ev_notify(x->c, &x->ev, EV_TO_REPORTER, "rejected",
                     tk_arena_printf(x->a, "您反映的事件不予立案：%s", x->ev.number), x->in->note,
                     x->now, err);
}

/* Void needs approval: the township desk asks, the county center decides. */
static tk_status act_void(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK || need_note(x, "作废", err) != TK_OK)
        return err->status;
    if (x->who->role != TK_ROLE_COUNTY_CENTER) {
        if (x->ev.pending)
            return tk_fail(err, TK_ECONFLICT, "request_pending", "已有待审批的申请");
        if (set_pending(x, "void", "{\"kind\":\"void\"}", err) != TK_OK ||
            record(x, x->ev.state, x->in->note, "{\"kind\":\"void\",\"requested\":true}", err) !=
                TK_OK)
            return err->status;
        return ev_notify(x->c, &x->ev, EV_TO_CENTER, "approval",
                         tk_arena_printf(x->a, "作废申请待审批：%s", x->ev.number), x->in->note,
                         x->now, err);
    }
    if (!x->in->approve) {
        if (!x->ev.pending || strcmp(x->ev.pending, "void") != 0)
            return stop(x, "void", err); /* the center voids on its own authority */
        if (set_pending(x, NULL, NULL, err) != TK_OK)
            return err->status;
        return record(x, x->ev.state, x->in->note, "{\"kind\":\"void\",\"approved\":false}", err);
    }
    return stop(x, "void", err);
}

/* 合并重复件: a report of a problem another open event covers ends as void,
 * linked to it (its own merged reports follow it there). Its reporter is told
 * now and again when the other event is closed; the other event's timeline
 * names it. */
static tk_status act_merge(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    if (!x->in->into)
        return tk_fail_field(err, "into", "请指定合并到哪一件事件");
    if (x->in->into == x->ev.id)
        return tk_fail_field(err, "into", "不能合并到事件自身");
    tk_event main;
    if (tk_event_get(x->c, x->a, x->who, x->in->into, &main, err) != TK_OK)
        return err->status == TK_ENOTFOUND
                   ? tk_fail_field(err, "into", "没有找到事件 #%lld，或不在您的管辖范围内",
                                   (long long)x->in->into)
                   : err->status;
    if (in_states(" closed archived rejected void ", main.state))
        return tk_fail(err, TK_ECONFLICT, "merge_target_finished", "事件 %s 已%s，不能再合并进去",
                       main.number, tk_event_state_label(main.state));
    const char *note =
        note_or(x, tk_arena_printf(x->a, "与事件 %s 为同一问题，合并办理", main.number));
    const char *detail = tk_arena_printf(x->a, "{\"into\":%lld,\"into_number\":\"%s\"}",
                                         (long long)main.id, main.number);
    tk_stmt *s = tk_prepare(
        x->c, "UPDATE events SET merged_into = ?1 WHERE id = ?2 OR merged_into = ?2", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, main.id);
    tk_bind_i64(s, 2, x->ev.id);
    int rc = tk_step(s, err);
    tk_reset(s);
    if (rc < 0 || stop_as(x, "void", note, detail, err) != TK_OK)
        return err->status;
    const char *from = tk_arena_printf(x->a, "{\"from\":%lld,\"from_number\":\"%s\"}",
                                       (long long)x->ev.id, x->ev.number);
    if (ev_timeline(x->c, main.id, x->now, x->who, "merged", main.state, main.state,
                    tk_arena_printf(x->a, "并入重复上报 %s", x->ev.number), from, NULL,
                    err) != TK_OK)
        return err->status;
    ev_publish(x->c, &main, "merged", main.state);
    return ev_notify(
        x->c, &x->ev, EV_TO_REPORTER, "merged",
        tk_arena_printf(x->a, "您反映的事件已合并办理：%s", x->ev.number),
        tk_arena_printf(x->a, "与事件 %s 为同一问题，将一并处理，办结后通知您", main.number),
        x->now, err);
}

static tk_status act_comment(act_ctx *x, tk_error *err)
{
    if (need_note(x, "备注", err) != TK_OK)
        return err->status;
    return record(x, x->ev.state, x->in->note, "{}", err);
}

/* Whether the event is held by an assignee (a grid worker verifying, a body or
 * person handling, a called department) rather than by the township's desk. */
static bool held_by_assignee(const tk_event *ev)
{
    return in_states(" verifying dispatched county_called handling suspended ", ev->state);
}

/* 人工督办: a leader, the county center or the township's desk presses an open
 * event with an instruction. The event keeps its state and time limits; the
 * supervision is recorded beside the timer's, the event is marked supervised, and
 * whoever holds it is told, with the desk when the pressure comes from above. */
static tk_status act_supervise(act_ctx *x, tk_error *err)
{
    if (require_desk(x, err) != TK_OK)
        return err->status;
    if (!x->in->note || !*x->in->note)
        return tk_fail_field(err, "note", "督办需要填写督办意见");
    const tk_event *ev = &x->ev;
    bool assignee = held_by_assignee(ev);
    if (!assignee && x->who->role == TK_ROLE_TOWNSHIP_COMMAND)
        return tk_fail(err, TK_ECONFLICT, "own_event", "该事件正由本指挥室办理，无需督办");
    int64_t holder = !assignee                             ? ev->township_id
                     : !strcmp(ev->state, "county_called") ? ev->called_unit_id
                                                           : ev->assignee_unit_id;
    tk_stmt *s = tk_prepare(x->c,
                            "INSERT INTO supervisions(event_id, stage, level, at, deadline, "
                            "unit_id, user_id, by_user_id, note) VALUES (?1, ?2, 'manual', ?3, "
                            "?4, nullif(?5, 0), nullif(?6, 0), nullif(?7, 0), ?8)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev->id);
    if (ev->stage)
        tk_bind_text(s, 2, ev->stage);
    else
        tk_bind_null(s, 2);
    tk_bind_i64(s, 3, x->now);
    tk_bind_i64(s, 4, ev->stage_deadline ? ev->stage_deadline : ev->due_at);
    tk_bind_i64(s, 5, holder);
    tk_bind_i64(s, 6, assignee && strcmp(ev->state, "county_called") ? ev->assignee_user_id : 0);
    tk_bind_i64(s, 7, x->who->user_id);
    tk_bind_text(s, 8, x->in->note);
    if (tk_step(s, err) < 0)
        return err->status;
    int64_t supervision = tk_last_insert_id(x->c);
    if (set_state(x, ev->state, "supervised_at = ?5", 0, 0, err) != TK_OK ||
        record(x, ev->state, x->in->note,
               tk_arena_printf(x->a, "{\"supervision_id\":%lld}", (long long)supervision),
               err) != TK_OK)
        return err->status;
    const char *title =
        tk_arena_printf(x->a, "%s督办：%s", tk_role_label(x->who->role), ev->number);
    if (assignee && ev_notify(x->c, ev, EV_TO_ASSIGNEE, "supervision", title, x->in->note, x->now,
                              err) != TK_OK)
        return err->status;
    if (x->who->role != TK_ROLE_TOWNSHIP_COMMAND &&
        ev_notify(x->c, ev, EV_TO_DESK, "supervision", title, x->in->note, x->now, err) != TK_OK)
        return err->status;
    return TK_OK;
}

static bool may_urge(const tk_event *ev, const tk_identity *who)
{
    return own_report(ev, who);
}

/* 催办 at most once a day per event: a reporter presses, the holder is not flooded. */
#define URGE_INTERVAL_MS (24 * 3600 * 1000LL)

/* 催办: the reporter of an open event presses whoever holds it (the assignee, or the
 * township's desk while the desk holds it). Nothing else about the event changes. */
static tk_status act_urge(act_ctx *x, tk_error *err)
{
    const tk_event *ev = &x->ev;
    if (!may_urge(ev, x->who))
        return tk_fail(err, TK_EFORBIDDEN, "not_reporter",
                       "只有反映人本人或代为上报的对接系统可以催办");
    tk_stmt *s = tk_prepare(x->c,
                            "SELECT max(at) FROM event_timeline WHERE event_id = ?1 AND "
                            "action = 'urge'",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev->id);
    int rc = tk_step(s, err);
    int64_t last = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (last && x->now - last < URGE_INTERVAL_MS) {
        char when[32];
        tk_time_format(last + URGE_INTERVAL_MS, when, sizeof when);
        return tk_fail(
            err, TK_ECONFLICT, "urged_recently",
            "您已催办过该事件，同一事件 24 小时内只能催办一次（%.10s %.5s 后可再次催办）", when,
            when + 11);
    }
    const char *note = note_or(x, "请尽快处理");
    if (record(x, ev->state, note, "{}", err) != TK_OK)
        return err->status;
    const char *title = tk_arena_printf(x->a, "群众催办：%s", ev->number);
    return ev_notify(x->c, ev, held_by_assignee(ev) ? EV_TO_ASSIGNEE : EV_TO_DESK, "urged", title,
                     note, x->now, err);
}

static bool assignee_of(const tk_event *ev, const tk_identity *who)
{
    if (!strcmp(ev->state, "county_called"))
        return ev->called_unit_id == who->unit_id;
    return (ev->assignee_user_id && ev->assignee_user_id == who->user_id) ||
           (!ev->assignee_user_id && ev->assignee_unit_id == who->unit_id);
}

static bool may_assignee(const tk_event *ev, const tk_identity *who)
{
    return assignee_of(ev, who);
}

static bool may_request(const tk_event *ev, const tk_identity *who)
{
    return assignee_of(ev, who) && !ev->pending;
}

static bool may_decide(const tk_event *ev, const tk_identity *who)
{
    (void)who;
    return ev->pending && strcmp(ev->pending, "void") != 0;
}

static bool may_verify(const tk_event *ev, const tk_identity *who)
{
    (void)who;
    return strcmp(ev->state, "feedback") != 0 || !ev->verified;
}

static bool may_close(const tk_event *ev, const tk_identity *who)
{
    (void)who;
    return ev->verified;
}

static bool may_self_close(const tk_event *ev, const tk_identity *who)
{
    return ev->reporter_user_id == who->user_id;
}

static bool may_revisit(const tk_event *ev, const tk_identity *who)
{
    bool desk = who->role != TK_ROLE_RESIDENT && who->role != TK_ROLE_GRID_WORKER &&
                who->role != TK_ROLE_INTEGRATION;
    return desk || rates_as_reporter(ev, who);
}

static bool may_void(const tk_event *ev, const tk_identity *who)
{
    /* The township asks once; the county center decides. */
    return who->role == TK_ROLE_COUNTY_CENTER || !ev->pending;
}

static bool may_supervise(const tk_event *ev, const tk_identity *who)
{
    /* The desk presses those it handed the event to, not itself. */
    return who->role != TK_ROLE_TOWNSHIP_COMMAND || held_by_assignee(ev);
}

static const action_def actions[] = {
    {"accept", "立案", " reported ", DESK, act_accept, NULL},
    {"verify-request", "派发核实", " reported ", DESK, act_verify_request, NULL},
    {"verify", "核实/核查", " verifying feedback ", R(GRID_WORKER) | DESK, act_verify, may_verify},
    {"dispatch", "交办", " accepted ", DESK, act_dispatch, NULL},
    {"reassign", "改派", " dispatched ", DESK, act_reassign, NULL},
    {"sign", "签收", " dispatched county_called ", WORKERS, act_sign, may_assignee},
    {"return", "退回", " dispatched county_called ", WORKERS, act_return, may_assignee},
    {"call-county", "乡呼县应", " accepted dispatched ", R(TOWNSHIP_COMMAND), act_call_county,
     NULL},
    {"request-extension", "申请延期/挂账", " handling ", WORKERS, act_request_extension,
     may_request},
    {"decide-extension", "审批延期/挂账", " handling ", DESK, act_decide_extension, may_decide},
    {"suspend", "挂账", " handling ", DESK, act_suspend, NULL},
    {"resume", "恢复办理", " suspended ", DESK, act_resume, NULL},
    {"feedback", "反馈", " handling ", WORKERS, act_feedback, may_assignee},
    {"close", "结案", " feedback ", DESK, act_close, may_close},
    {"revisit", "回访", " closed ", DESK | R(RESIDENT) | R(GRID_WORKER) | R(INTEGRATION),
     act_revisit, may_revisit},
    {"reject", "不予立案", " reported verifying ", DESK, act_reject, NULL},
    {"void", "作废", " reported accepted ", DESK, act_void, may_void},
    {"merge", "合并重复件", " reported verifying accepted ", DESK, act_merge, NULL},
    {"self-close", "自行处置", " reported ", R(GRID_WORKER), act_self_close, may_self_close},
    {"urge", "催办",
     " reported verifying accepted dispatched county_called handling suspended feedback ",
     R(RESIDENT) | R(GRID_WORKER) | R(INTEGRATION), act_urge, may_urge},
    /* Its own route and permission (event.supervise): leaders supervise, not act. */
    {"supervise", "督办",
     " reported verifying accepted dispatched county_called handling suspended feedback ",
     DESK | R(LEADER), act_supervise, may_supervise},
    /* Whoever may act on events (event.act: staff) may comment. */
    {"comment", "备注",
     " reported verifying accepted dispatched county_called handling suspended feedback closed "
     "archived rejected void ",
     WORKERS, act_comment, NULL},
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static const action_def *find_action(const char *name)
{
    for (size_t i = 0; name && i < NACTIONS; i++)
        if (!strcmp(actions[i].name, name))
            return &actions[i];
    return NULL;
}

bool tk_event_action_known(const char *action)
{
    return find_action(action) != NULL;
}

bool tk_event_role_may(const char *action, tk_role role)
{
    const action_def *d = find_action(action);
    return d && (d->roles & TK_ROLE_BIT(role));
}

const char *tk_event_action_label(const char *action, const char *from_state)
{
    const action_def *d = find_action(action);
    if (d && from_state && !strcmp(d->name, "verify"))
        return !strcmp(from_state, "verifying") ? "核实" : "核查";
    if (d)
        return d->label;
    static const struct {
        const char *action, *label;
    } system_actions[] = {{"report", "上报"},
                          {"yellow", "黄灯预警"},
                          {"red", "红灯督办"},
                          {"attach", "上传照片"},
                          {"merged", "并入重复上报"}};
    for (size_t i = 0; action && i < sizeof system_actions / sizeof system_actions[0]; i++)
        if (!strcmp(system_actions[i].action, action))
            return system_actions[i].label;
    return action;
}

int tk_event_allowed(const tk_event *ev, const tk_identity *who, tk_event_action_info *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < NACTIONS && n < max; i++)
        if (in_states(actions[i].states, ev->state) &&
            (actions[i].roles & TK_ROLE_BIT(who->role)) &&
            (!actions[i].may || actions[i].may(ev, who)))
            out[n++] = (tk_event_action_info){actions[i].name,
                                              tk_event_action_label(actions[i].name, ev->state)};
    return n;
}

static tk_status illegal(const tk_event *ev, const tk_identity *who, const action_def *d,
                         tk_error *err)
{
    tk_event_action_info allowed[NACTIONS];
    int n = tk_event_allowed(ev, who, allowed, (int)NACTIONS);
    char list[300] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list - 1; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? "、" : "", allowed[i].label);
        if (w < 0)
            break;
        used += (size_t)w < sizeof list - used ? (size_t)w : sizeof list - used - 1;
    }
    return tk_fail(err, TK_ECONFLICT, "illegal_transition", "「%s」状态下不能%s；可执行：%s",
                   tk_event_state_label(ev->state), d->label, n ? list : "无");
}

static tk_status act_once(tk_conn *c, tk_arena *a, const tk_calendar *cal, const tk_identity *who,
                          int64_t id, const action_def *d, const tk_event_input *in,
                          tk_event_change *out, tk_error *err)
{
    const char *action = d->name;
    act_ctx x = {.c = c, .a = a, .cal = cal, .who = who, .in = in, .now = tk_now_ms(), .out = out};
    memset(out, 0, sizeof *out);
    out->action = d->name;
    if (tk_event_get(c, a, who, id, &x.ev, err) != TK_OK)
        return err->status;
    out->from_state = x.ev.state;
    if (!(d->roles & TK_ROLE_BIT(who->role)))
        return tk_fail(err, TK_EFORBIDDEN, "forbidden", "「%s」不能%s", tk_role_label(who->role),
                       d->label);
    if (!in_states(d->states, x.ev.state))
        return illegal(&x.ev, who, d, err);
    if (in->category_code && strcmp(action, "accept") == 0) {
        if (tk_category_get(c, a, in->category_code, &x.cat, err) != TK_OK || !x.cat.leaf)
            return tk_fail_field(err, "category", "事件类别 %s 无效", in->category_code);
        tk_stmt *s = tk_prepare(c, "UPDATE events SET category_code = ?2 WHERE id = ?1", err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, id);
        tk_bind_text(s, 2, in->category_code);
        if (tk_step(s, err) < 0)
            return err->status;
    } else if (tk_category_get(c, a, x.ev.category_code, &x.cat, err) != TK_OK) {
        return err->status;
    }
    if (in->urgency && strcmp(action, "accept") == 0) {
        tk_stmt *s = tk_prepare(c, "UPDATE events SET urgency = ?2 WHERE id = ?1", err);
        if (!s)
            return TK_EIO;
        tk_bind_i64(s, 1, id);
        tk_bind_text(s, 2, in->urgency);
        if (tk_step(s, err) < 0)
            return err->status;
        x.ev.urgency = in->urgency;
    }
    return d->fn(&x, err);
}

tk_status tk_event_act(tk_conn *c, tk_arena *a, const tk_calendar *cal, const tk_identity *who,
                       int64_t id, const char *action, const tk_event_input *in,
                       tk_event_change *out, tk_error *err)
{
    const action_def *d = find_action(action);
    if (!d)
        return tk_fail(err, TK_ENOTFOUND, "unknown_action", "没有「%s」这个操作", action);
    bool keyed = in->request_key && who->user_id;
    char fingerprint[65];
    if (keyed) {
        int64_t done;
        tk_action_fingerprint(id, d->name, in, fingerprint);
        if (tk_request_key_find(c, who->user_id, in->request_key, fingerprint, tk_now_ms(), &done,
                                err) != TK_OK)
            return err->status;
        if (done) {
            *out = (tk_event_change){.action = d->name, .replayed = true};
            return TK_OK;
        }
    }
    if (act_once(c, a, cal, who, id, d, in, out, err) != TK_OK)
        return err->status;
    return keyed ? tk_request_key_remember(c, who->user_id, in->request_key, fingerprint, id,
                                           tk_now_ms(), err)
                 : TK_OK;
}
