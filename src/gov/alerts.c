/*
 * alerts.c - stage time limits and what happens when they run out.
 *
 * A stage's deadline comes from the category's limit for the event's urgency,
 * on the work calendar. At 80% of the stage's working time the event turns
 * yellow; at 100% red: a 督办 record, notices to the assignee and the township
 * desk, and a township-level event is raised to the county center. When the
 * total deadline passes unclosed, the event counts as due for 按期结案率.
 * next_alert_at always holds the next instant to look at, so the timer reads
 * one index entry instead of scanning events.
 */
#include <stdio.h>
#include <string.h>

#include "gov/event_internal.h"
#include "gov/workcal.h"

int64_t ev_yellow_point(const tk_calendar *cal, int64_t start, int64_t deadline)
{
    int64_t minutes = tk_calendar_work_minutes_between(cal, start, deadline);
    if (minutes > 0) {
        int64_t at = tk_calendar_add_work_minutes(cal, start, (minutes * 8 + 9) / 10);
        if (at != TK_CALENDAR_NEVER && at <= deadline)
            return at;
    }
    return start + (deadline - start) * 8 / 10;
}

int64_t ev_next_alert(const tk_calendar *cal, const char *alert, int64_t start, int64_t deadline,
                      int64_t due_at, bool due_counted, int64_t now)
{
    (void)now;
    int64_t next = 0;
    if (deadline && strcmp(alert, "red") != 0)
        next = strcmp(alert, "green") == 0 ? ev_yellow_point(cal, start, deadline) : deadline;
    if (due_at && !due_counted && (!next || due_at < next))
        next = due_at;
    return next;
}

static tk_status store_timing(tk_conn *c, int64_t id, const char *stage, int64_t start,
                              int64_t deadline, int64_t next, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "UPDATE events SET stage = ?2, stage_started_at = nullif(?3, 0), "
                            "stage_deadline = nullif(?4, 0), alert = 'green', "
                            "next_alert_at = nullif(?5, 0), stage_left_ms = NULL WHERE id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, stage);
    tk_bind_i64(s, 3, start);
    tk_bind_i64(s, 4, deadline);
    tk_bind_i64(s, 5, next);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

void ev_stage_timing(const tk_calendar *cal, const tk_category *cat, const char *urgency,
                     const char *stage, int64_t now, int64_t due_at, bool due_counted,
                     int64_t *deadline, int64_t *next)
{
    tk_limit limit;
    *deadline = 0;
    if (stage && tk_category_limit(cat, urgency, stage, &limit)) {
        *deadline = tk_workcal_deadline(cal, now, limit.amount, limit.unit);
        if (*deadline == TK_CALENDAR_NEVER)
            *deadline = 0;
    }
    *next = ev_next_alert(cal, "green", now, *deadline, due_at, due_counted, now);
}

tk_status ev_start_stage(tk_conn *c, const tk_calendar *cal, const tk_category *cat,
                         const tk_event *ev, const char *stage, int64_t now, tk_error *err)
{
    int64_t deadline, next;
    ev_stage_timing(cal, cat, ev->urgency, stage, now, ev->due_at, ev->due_counted, &deadline,
                    &next);
    return store_timing(c, ev->id, stage, stage ? now : 0, deadline, next, err);
}

static bool open_state(const char *state)
{
    return strcmp(state, "closed") && strcmp(state, "archived") && strcmp(state, "rejected") &&
           strcmp(state, "void");
}

/* The desk's own stages, or an assignee inside the township: 乡镇级. */
static bool township_level(const tk_event *ev)
{
    return ev->called_unit_id == 0;
}

static tk_status supervise(tk_conn *c, tk_arena *a, const tk_event *ev, int64_t now, bool escalate,
                           tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO supervisions(event_id, stage, level, at, deadline, "
                            "unit_id, user_id, escalated_to, note) VALUES (?1, ?2, 'red', ?3, ?4, "
                            "nullif(?5, 0), nullif(?6, 0), nullif(?7, 0), ?8)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev->id);
    tk_bind_text(s, 2, ev->stage);
    tk_bind_i64(s, 3, now);
    tk_bind_i64(s, 4, ev->stage_deadline);
    tk_bind_i64(s, 5, ev->assignee_unit_id ? ev->assignee_unit_id : ev->township_id);
    tk_bind_i64(s, 6, ev->assignee_user_id);
    tk_bind_i64(s, 7, escalate ? ev->county_id : 0);
    tk_bind_text(s, 8, tk_arena_printf(a, "%s环节超时，系统督办", tk_stage_label(ev->stage)));
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status turn_yellow(tk_conn *c, tk_arena *a, const tk_event *ev, int64_t now,
                             tk_error *err)
{
    const char *note = tk_arena_printf(a, "%s环节已用时 80%%", tk_stage_label(ev->stage));
    if (ev_timeline(c, ev->id, now, NULL, "yellow", ev->state, ev->state, note, "{}", NULL, err) !=
        TK_OK)
        return err->status;
    return ev_notify(c, ev, EV_TO_ASSIGNEE, "yellow",
                     tk_arena_printf(a, "黄灯预警：%s", ev->number), note, now, err);
}

static tk_status turn_red(tk_conn *c, tk_arena *a, const tk_event *ev, int64_t now, bool escalate,
                          tk_error *err)
{
    const char *note = tk_arena_printf(a, "%s环节已超时，生成督办", tk_stage_label(ev->stage));
    const char *detail = tk_arena_printf(a, "{\"stage\":\"%s\",\"escalated\":%s}", ev->stage,
                                         escalate ? "true" : "false");
    if (supervise(c, a, ev, now, escalate, err) != TK_OK ||
        ev_timeline(c, ev->id, now, NULL, "red", ev->state, ev->state, note, detail, NULL, err) !=
            TK_OK ||
        ev_bump(c, ev, now, "overdue", 1, err) != TK_OK)
        return err->status;
    const char *title = tk_arena_printf(a, "红灯督办：%s", ev->number);
    if (ev_notify(c, ev, EV_TO_ASSIGNEE, "red", title, note, now, err) != TK_OK ||
        ev_notify(c, ev, EV_TO_DESK, "supervision", title, note, now, err) != TK_OK)
        return err->status;
    if (escalate)
        return ev_notify(c, ev, EV_TO_CENTER, "escalated",
                         tk_arena_printf(a, "乡镇超期事件上报：%s", ev->number), note, now, err);
    return TK_OK;
}

static tk_status process_one(tk_conn *c, tk_arena *a, const tk_calendar *cal, int64_t id,
                             int64_t now, tk_error *err)
{
    tk_event ev;
    if (ev_load(c, a, id, &ev, err) != TK_OK)
        return err->status;
    const char *alert = ev.alert;
    bool escalated = ev.escalated_at != 0, due_counted = ev.due_counted;
    bool timed =
        ev.stage && ev.stage_deadline && open_state(ev.state) && strcmp(ev.state, "suspended") != 0;
    if (timed && !strcmp(alert, "green") &&
        now >= ev_yellow_point(cal, ev.stage_started_at, ev.stage_deadline) &&
        now < ev.stage_deadline) {
        if (turn_yellow(c, a, &ev, now, err) != TK_OK)
            return err->status;
        alert = "yellow";
    }
    if (timed && strcmp(alert, "red") != 0 && now >= ev.stage_deadline) {
        bool escalate = !escalated && township_level(&ev);
        if (turn_red(c, a, &ev, now, escalate, err) != TK_OK)
            return err->status;
        alert = "red";
        escalated |= escalate;
    }
    if (!due_counted && ev.due_at && now >= ev.due_at && open_state(ev.state)) {
        /* On the day it fell due, however late the timer looks (a server that was
         * down, a clock moved in a test): as the indicators from raw events count it. */
        if (ev_bump(c, &ev, ev.due_at, "due", 1, err) != TK_OK)
            return err->status;
        due_counted = true;
    }
    int64_t next = ev_next_alert(cal, alert, ev.stage_started_at, timed ? ev.stage_deadline : 0,
                                 ev.due_at, due_counted || !open_state(ev.state), now);
    tk_stmt *s = tk_prepare(c,
                            "UPDATE events SET alert = ?2, overdue = overdue OR ?2 = 'red', "
                            "escalated_at = CASE WHEN ?3 AND escalated_at IS NULL THEN ?4 ELSE "
                            "escalated_at END, due_counted = ?5, next_alert_at = nullif(?6, 0) "
                            "WHERE id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, alert);
    tk_bind_i64(s, 3, escalated);
    tk_bind_i64(s, 4, now);
    tk_bind_i64(s, 5, due_counted);
    tk_bind_i64(s, 6, next > now ? next : 0);
    if (tk_step(s, err) < 0)
        return err->status;
    if (strcmp(alert, ev.alert) != 0)
        ev_publish(c, &ev, alert, ev.state);
    return TK_OK;
}

tk_status tk_events_next_alert(tk_conn *c, int64_t *at, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c, "SELECT min(next_alert_at) FROM events WHERE next_alert_at IS NOT NULL", err);
    if (!s)
        return TK_EIO;
    int rc = tk_step(s, err);
    *at = rc == 1 && !tk_col_null(s, 0) ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_events_process_due(tk_conn *c, tk_arena *a, const tk_calendar *cal, int64_t now,
                                int max, int *processed, tk_error *err)
{
    *processed = 0;
    tk_stmt *s = tk_prepare(c,
                            "SELECT id FROM events WHERE next_alert_at IS NOT NULL AND "
                            "next_alert_at <= ?1 ORDER BY next_alert_at LIMIT ?2",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, now);
    tk_bind_i64(s, 2, max);
    int64_t *ids = tk_arena_alloc(a, (size_t)max * sizeof *ids);
    int n = 0, rc;
    while ((rc = tk_step(s, err)) == 1)
        ids[n++] = tk_col_i64(s, 0);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    for (int i = 0; i < n; i++)
        if (process_one(c, a, cal, ids[i], now, err) != TK_OK)
            return err->status;
    *processed = n;
    return TK_OK;
}
