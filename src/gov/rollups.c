/*
 * rollups.c - indicator counters kept per unit and day, updated in the same
 * transaction as the events they count. An event counts for its grid, village,
 * township, county and city.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "gov/event_internal.h"

static bool known_counter(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(*list, name))
            return true;
    return false;
}

static int64_t city_of(const char *scope_path)
{
    int64_t id = 0;
    tk_slice rest = tk_slice_of(scope_path + 1), first; /* "/1/7/..." */
    if (tk_slice_cut(&rest, '/', &first))
        tk_slice_to_i64(first, &id);
    return id;
}

/* Adds by to counter for the event's units on at's day; with report, the day's
 * rows also take in the event's id (first_event_id .. last_event_id: migration
 * 0016), the bounds a list filtered by report time walks within. */
static tk_status bump(tk_conn *c, const tk_event *ev, int64_t at, const char *counter, int64_t by,
                      bool report, tk_error *err)
{
    static const char *const counters[] = {
        "reported", "accepted",  "dispatched",     "dispatched_on_time",
        "closed",   "due",       "closed_on_time", "feedbacks",
        "reworks",  "returns",   "overdue",        "handle_minutes",
        "rated",    "satisfied", "rating_sum",     "accepted_closed",
        NULL};
    if (!known_counter(counter, counters))
        return tk_fail(err, TK_EINTERNAL, "bad_counter", "未知的统计项 %s", counter);
    const char *ids = report ? ", first_event_id, last_event_id" : "";
    const char *id_values = report ? ", ?8, ?8" : "";
    const char *id_set = report ? ", first_event_id = min(coalesce(first_event_id, ?8), ?8), "
                                  "last_event_id = max(coalesce(last_event_id, ?8), ?8)"
                                : "";
    char sql[1024];
    char day[16];
    tk_date_format(at, day, sizeof day);
    int64_t units[5] = {ev->grid_id, ev->village_id, ev->township_id, ev->county_id,
                        city_of(ev->scope_path)};
    if (units[0] && units[1] && units[2] && units[3] && units[4]) {
        /* The usual case: all five rows in one statement. */
        snprintf(sql, sizeof sql,
                 "INSERT INTO stats_daily(unit_id, day, %s%s) VALUES (?1, ?6, ?7%s), (?2, ?6, "
                 "?7%s), (?3, ?6, ?7%s), (?4, ?6, ?7%s), (?5, ?6, ?7%s) ON CONFLICT(unit_id, day) "
                 "DO UPDATE SET %s = %s + excluded.%s%s",
                 counter, ids, id_values, id_values, id_values, id_values, id_values, counter,
                 counter, counter, id_set);
        tk_stmt *s = tk_prepare(c, sql, err);
        if (!s)
            return TK_EIO;
        for (int i = 0; i < 5; i++)
            tk_bind_i64(s, i + 1, units[i]);
        tk_bind_text(s, 6, day);
        tk_bind_i64(s, 7, by);
        if (report)
            tk_bind_i64(s, 8, ev->id);
        return tk_step(s, err) < 0 ? err->status : TK_OK;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO stats_daily(unit_id, day, %s%s) VALUES (?1, ?6, ?7%s) ON "
             "CONFLICT(unit_id, day) DO UPDATE SET %s = %s + excluded.%s%s",
             counter, ids, id_values, counter, counter, counter, id_set);
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    for (int i = 0; i < 5; i++) {
        if (!units[i])
            continue;
        tk_bind_i64(s, 1, units[i]);
        tk_bind_text(s, 6, day);
        tk_bind_i64(s, 7, by);
        if (report)
            tk_bind_i64(s, 8, ev->id);
        if (tk_step(s, err) < 0)
            return err->status;
    }
    return TK_OK;
}

tk_status ev_bump(tk_conn *c, const tk_event *ev, int64_t at, const char *counter, int64_t by,
                  tk_error *err)
{
    return bump(c, ev, at, counter, by, false, err);
}

tk_status ev_bump_report(tk_conn *c, const tk_event *ev, tk_error *err)
{
    return bump(c, ev, ev->created_at, "reported", 1, true, err);
}

tk_status ev_bump_department(tk_conn *c, int64_t department, int64_t at, const char *counter,
                             int64_t by, tk_error *err)
{
    static const char *const counters[] = {
        "calls", "signed", "signed_on_time", "sign_minutes", "responded", "response_minutes", NULL};
    if (!known_counter(counter, counters))
        return tk_fail(err, TK_EINTERNAL, "bad_counter", "未知的统计项 %s", counter);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO stats_departments(department_id, day, %s) VALUES (?1, ?2, ?3) ON "
             "CONFLICT(department_id, day) DO UPDATE SET %s = %s + excluded.%s",
             counter, counter, counter, counter);
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    char day[16];
    tk_date_format(at, day, sizeof day);
    tk_bind_i64(s, 1, department);
    tk_bind_text(s, 2, day);
    tk_bind_i64(s, 3, by);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}
