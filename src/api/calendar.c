/*
 * calendar.c - the work calendar.
 *
 * GET    /api/v1/calendar?from=&to=          days with hours, holidays, 调休 (≤ 400 days),
 *                                            and the years whose holidays are on record
 * PUT    /api/v1/calendar/days/{date}        {"kind":"holiday"|"workday","name"}
 * DELETE /api/v1/calendar/days/{date}        back to an ordinary day
 * POST   /api/v1/calendar/import[?dry_run=1] CSV date,kind,name; all or nothing (a dry run
 *                                            checks every line and changes nothing)
 * GET|PUT /api/v1/calendar/schedules         working hours by season and weekday
 * GET    /api/v1/calendar/deadline?start=&amount=&unit=   the deadline, for the UI and tests
 */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "gov/workcal.h"

static const char *const weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static json_t *day_json(const tk_calendar_day *d)
{
    char hours[TK_CALENDAR_HOURS_TEXT_MAX];
    tk_calendar_hours_format(&d->hours, hours, sizeof hours);
    static const char *kinds[] = {"normal", "holiday", "workday"};
    return json_pack("{s:s, s:i, s:s, s:s, s:b, s:s, s:i}", "date", d->date, "weekday", d->weekday,
                     "kind", kinds[d->kind], "name", d->name, "is_workday", d->is_workday, "hours",
                     hours, "work_minutes", d->work_minutes);
}

void api_calendar_days(tk_req *r)
{
    tk_error err;
    int64_t from, to;
    if (api_failed(r, q_time(r, "from", &from, &err), &err) ||
        api_failed(r, q_time(r, "to", &to, &err), &err))
        return;
    if (!from)
        from = tk_now_ms();
    if (!to)
        to = from + 30LL * 86400000;
    if (to < from || to - from > 400LL * 86400000) {
        tk_fail_field(&err, "to", "查询区间需要在 0 到 400 天之间");
        tk_reply_error(r, &err);
        return;
    }
    tk_app *app = TK_APP(r);
    json_t *items = json_array();
    json_t *marked = json_array();
    const tk_calendar *cal = tk_app_calendar_acquire(app);
    for (int64_t t = from; t <= to; t += 86400000) {
        tk_calendar_day d;
        if (tk_calendar_describe_day(cal, t, &d))
            json_array_append_new(items, day_json(&d));
    }
    int years[64];
    int n = tk_calendar_marked_years(cal, years, 64);
    tk_app_calendar_release(app);
    for (int i = 0; i < n; i++)
        json_array_append_new(marked, json_integer(years[i]));
    tk_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "years", marked));
}

typedef struct {
    const char *date, *kind, *name;
} day_ctx;

static tk_status day_run(tk_conn *c, api_op *op, tk_error *err)
{
    day_ctx *d = op->data;
    snprintf(op->target_id, sizeof op->target_id, "%s", d->date);
    return tk_workcal_set_day(c, d->date, d->kind, d->name, err);
}

static void day_reply(tk_req *r, api_op *op)
{
    day_ctx *d = op->data;
    tk_error err;
    if (tk_app_reload_calendar(TK_APP(r), &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    int64_t ms;
    tk_date_parse(d->date, &ms);
    tk_calendar_day day;
    const tk_calendar *cal = tk_app_calendar_acquire(TK_APP(r));
    bool ok = tk_calendar_describe_day(cal, ms, &day);
    tk_app_calendar_release(TK_APP(r));
    if (ok)
        tk_reply_json(r, 200, day_json(&day));
    else
        tk_reply_empty(r, 204);
}

static bool parse_date_param(tk_req *r, day_ctx *d)
{
    int64_t ms;
    d->date = tk_arena_strdup(r->arena, tk_req_param(r, "date"));
    if (tk_date_parse(d->date, &ms))
        return true;
    tk_reply_fail(r, TK_EVALID, "invalid_field", "日期 %s 无效，需要 YYYY-MM-DD", d->date);
    return false;
}

void api_calendar_day_put(tk_req *r)
{
    day_ctx *d = tk_arena_zalloc(r->arena, sizeof *d);
    if (!parse_date_param(r, d))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"kind", "name", NULL};
    static const char *const kinds[] = {"holiday", "workday", NULL};
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_enum(in, "kind", true, kinds, &d->kind, &err), &err) ||
        api_failed(r, in_str(in, "name", true, 32, &d->name, &err), &err))
        return;
    d->kind = tk_arena_strdup(r->arena, d->kind);
    d->name = tk_arena_strdup(r->arena, d->name);
    api_op_submit(api_op_new(r, "calendar_day", day_run, day_reply, d));
}

void api_calendar_day_delete(tk_req *r)
{
    day_ctx *d = tk_arena_zalloc(r->arena, sizeof *d);
    if (parse_date_param(r, d))
        api_op_submit(api_op_new(r, "calendar_day", day_run, day_reply, d));
}

typedef struct {
    tk_calendar_csv_report report;
    int imported;
    bool dry_run;
} import_ctx;

static tk_status import_job(tk_conn *c, void *arg, tk_error *err)
{
    api_op *op = arg;
    import_ctx *x = op->data;
    tk_req *r = op->r;
    tk_status st = tk_workcal_import(c, r->body.data ? r->body.data : "", r->body.len, &x->report,
                                     &x->imported, err);
    if (st != TK_OK)
        return st;
    if (x->dry_run) /* rolled back like a refusal; answered as a success */
        return tk_fail(err, TK_ECONFLICT, "dry_run", "试导入：未做任何更改");
    json_t *detail = json_pack("{s:i}", "imported", x->imported);
    st = api_audit(c, r, "calendar.import", "calendar", "", "ok", detail, err);
    json_decref(detail);
    return st;
}

static void import_done(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    api_op *op = arg;
    import_ctx *x = op->data;
    if (x->dry_run && st != TK_OK && !strcmp(err->code, "dry_run")) {
        tk_reply_json(r, 200, json_pack("{s:b, s:i}", "dry_run", true, "imported", x->imported));
    } else if (st == TK_OK) {
        tk_error e;
        if (tk_app_reload_calendar(TK_APP(r), &e) != TK_OK)
            tk_reply_error(r, &e);
        else
            tk_reply_json(r, 200,
                          json_pack("{s:b, s:i}", "dry_run", false, "imported", x->imported));
    } else {
        json_t *errors = json_array();
        for (size_t i = 0; i < x->report.error_count; i++)
            json_array_append_new(errors, json_pack("{s:i, s:s}", "line", x->report.errors[i].line,
                                                    "reason", x->report.errors[i].message));
        tk_reply_error_with(r, err, json_pack("{s:o}", "errors", errors));
    }
    tk_calendar_csv_report_free(&x->report);
}

void api_calendar_import(tk_req *r)
{
    tk_error err;
    int64_t dry;
    if (api_failed(r, q_int(r, "dry_run", 0, 0, 1, &dry, &err), &err))
        return;
    import_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    x->dry_run = dry;
    /* A rejected file answers with every bad line; only a success is audited. */
    api_op *op = api_op_new(r, "calendar", NULL, NULL, x);
    tk_req_write(r, import_job, op, import_done);
}

static void add_schedule(void *ctx, const tk_workcal_schedule *w)
{
    json_t *days = json_object();
    for (int d = 0; d < 7; d++)
        json_object_set_new(days, weekdays[d], json_string(w->days[d]));
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:o, s:s}", "from", w->from, "to", w->to,
                                         "hours", days, "note", w->note));
}

void api_calendar_schedules(tk_req *r)
{
    tk_error err;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    json_t *items = json_array();
    if (!c || tk_workcal_schedules(c, add_schedule, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    tk_workcal_schedule s[16];
    int n;
} schedules_ctx;

static tk_status schedules_run(tk_conn *c, api_op *op, tk_error *err)
{
    schedules_ctx *x = op->data;
    return tk_workcal_set_schedules(c, x->s, x->n, err);
}

static void schedules_reply(tk_req *r, api_op *op)
{
    (void)op;
    tk_error err;
    if (tk_app_reload_calendar(TK_APP(r), &err) != TK_OK)
        tk_reply_error(r, &err);
    else
        api_calendar_schedules(r);
}

void api_calendar_schedules_put(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"items", NULL};
    json_t *list = json_object_get(in, "items");
    if (api_failed(r, in_only(in, fields, &err), &err))
        return;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 16) {
        tk_fail_field(&err, "items", "items 需要 1 到 16 个作息时段");
        tk_reply_error(r, &err);
        return;
    }
    schedules_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        tk_workcal_schedule *w = &x->s[x->n++];
        const char *from, *to, *note;
        json_t *hours = json_object_get(v, "hours");
        if (!json_is_object(v) || !json_is_object(hours) ||
            in_str(v, "from", true, 5, &from, &err) != TK_OK ||
            in_str(v, "to", true, 5, &to, &err) != TK_OK ||
            in_str(v, "note", false, 30, &note, &err) != TK_OK) {
            if (err.status == TK_OK || !json_is_object(hours))
                tk_fail_field(&err, "items", "每个作息时段需要 from、to（MM-DD）和 hours");
            tk_reply_error(r, &err);
            return;
        }
        snprintf(w->from, sizeof w->from, "%s", from);
        snprintf(w->to, sizeof w->to, "%s", to);
        snprintf(w->note, sizeof w->note, "%s", note ? note : "");
        for (int d = 0; d < 7; d++) {
            const char *spec;
            if (in_str(hours, weekdays[d], false, 60, &spec, &err) != TK_OK) {
                tk_reply_error(r, &err);
                return;
            }
            snprintf(w->days[d], sizeof w->days[d], "%s", spec ? spec : "");
        }
    }
    api_op_submit(api_op_new(r, "calendar", schedules_run, schedules_reply, x));
}

void api_calendar_deadline(tk_req *r)
{
    tk_error err;
    int64_t start, amount;
    const char *unit;
    static const char *const units[] = {"work_minutes", "work_hours", "work_days", "natural_days",
                                        NULL};
    if (api_failed(r, q_time(r, "start", &start, &err), &err) ||
        api_failed(r, q_int(r, "amount", 0, 0, 100000, &amount, &err), &err) ||
        api_failed(r, q_str(r, "unit", 16, &unit, &err), &err))
        return;
    bool known = false;
    for (int i = 0; unit && units[i]; i++)
        known |= !strcmp(unit, units[i]);
    if (!known) {
        tk_fail_field(&err, "unit",
                      "参数 unit 需要 work_minutes、work_hours、work_days 或 natural_days");
        tk_reply_error(r, &err);
        return;
    }
    if (!start)
        start = tk_now_ms();
    tk_app *app = TK_APP(r);
    const tk_calendar *cal = tk_app_calendar_acquire(app);
    int64_t deadline = tk_workcal_deadline(cal, start, amount, unit);
    int64_t minutes =
        deadline == TK_CALENDAR_NEVER ? -1 : tk_calendar_work_minutes_between(cal, start, deadline);
    tk_app_calendar_release(app);
    if (deadline == TK_CALENDAR_NEVER) {
        tk_reply_fail(r, TK_EVALID, "no_deadline", "按当前工作日历无法算出期限（没有工作时间）");
        return;
    }
    tk_reply_json(r, 200,
                  json_pack("{s:o, s:I, s:s, s:o, s:I}", "start", api_time(start), "amount",
                            (json_int_t)amount, "unit", unit, "deadline", api_time(deadline),
                            "work_minutes", (json_int_t)minutes));
}
