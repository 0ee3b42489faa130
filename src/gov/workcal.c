#include "gov/workcal.h"

#include <stdio.h>
#include <string.h>

#include "core/csv.h"

static const char *day_columns = "from_mmdd, to_mmdd, mon, tue, wed, thu, fri, sat, sun, note";

tk_status tk_workcal_schedules(tk_conn *c, tk_workcal_schedule_fn fn, void *ctx, tk_error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_schedules ORDER BY id", day_columns);
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_workcal_schedule w;
        memset(&w, 0, sizeof w);
        snprintf(w.from, sizeof w.from, "%s", tk_col_text(s, 0));
        snprintf(w.to, sizeof w.to, "%s", tk_col_text(s, 1));
        for (int d = 0; d < 7; d++)
            snprintf(w.days[d], sizeof w.days[d], "%s", tk_col_text(s, 2 + d));
        snprintf(w.note, sizeof w.note, "%s", tk_col_text(s, 9));
        fn(ctx, &w);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

typedef struct {
    tk_calendar *cal;
    tk_status st;
    tk_error *err;
} load_ctx;

static void add_schedule(void *ctx, const tk_workcal_schedule *w)
{
    load_ctx *l = ctx;
    if (l->st != TK_OK)
        return;
    const char *specs[7];
    for (int d = 0; d < 7; d++)
        specs[d] = w->days[d][0] ? w->days[d] : NULL;
    l->st = tk_calendar_add_schedule(l->cal, w->from, w->to, specs, l->err);
}

tk_status tk_workcal_load(tk_conn *c, tk_calendar **out, tk_error *err)
{
    tk_calendar *cal = tk_calendar_new();
    load_ctx l = {cal, TK_OK, err};
    tk_status st = tk_workcal_schedules(c, add_schedule, &l, err);
    if (st == TK_OK)
        st = l.st;
    tk_stmt *s =
        st == TK_OK ? tk_prepare(c, "SELECT date, kind, name FROM calendar_days", err) : NULL;
    if (st == TK_OK && !s)
        st = TK_EIO;
    int rc = 0;
    while (st == TK_OK && (rc = tk_step(s, err)) == 1) {
        tk_calendar_day_kind kind =
            strcmp(tk_col_text(s, 1), "holiday") == 0 ? TK_CALENDAR_HOLIDAY : TK_CALENDAR_WORKDAY;
        st = tk_calendar_set_day(cal, tk_col_text(s, 0), kind, tk_col_text(s, 2), err);
    }
    if (s)
        tk_reset(s);
    if (st == TK_OK && rc < 0)
        st = err->status;
    if (st != TK_OK) {
        tk_calendar_free(cal);
        return st;
    }
    *out = cal;
    return TK_OK;
}

tk_status tk_workcal_set_day(tk_conn *c, const char *date, const char *kind, const char *name,
                             tk_error *err)
{
    /* Validate through a scratch calendar: the same rules as the loader. */
    tk_calendar *check = tk_calendar_new();
    tk_status st = tk_calendar_set_day(check, date,
                                       !kind                      ? TK_CALENDAR_NORMAL
                                       : !strcmp(kind, "holiday") ? TK_CALENDAR_HOLIDAY
                                                                  : TK_CALENDAR_WORKDAY,
                                       name ? name : "", err);
    tk_calendar_free(check);
    if (st != TK_OK)
        return st;
    if (kind && strcmp(kind, "holiday") && strcmp(kind, "workday"))
        return tk_fail_field(err, "kind", "类型需要 holiday（放假）或 workday（调休上班）");
    tk_stmt *s =
        tk_prepare(c,
                   kind ? "INSERT INTO calendar_days(date, kind, name) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT(date) DO UPDATE SET kind = ?2, name = ?3"
                        : "DELETE FROM calendar_days WHERE date = ?1 AND ?2 IS ?2 AND ?3 IS ?3",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, date);
    tk_bind_text(s, 2, kind);
    tk_bind_text(s, 3, name ? name : "");
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_workcal_import(tk_conn *c, const char *text, size_t len,
                            tk_calendar_csv_report *report, int *imported, tk_error *err)
{
    /* The calendar's own loader checks every line and reports each bad one. */
    tk_calendar *check = tk_calendar_new();
    tk_status st = tk_calendar_load_csv(check, text, len, report, err);
    tk_calendar_free(check);
    *imported = 0;
    if (st != TK_OK)
        return st;
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO calendar_days(date, kind, name) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT(date) DO UPDATE SET kind = ?2, name = ?3",
                            err);
    if (!s)
        return TK_EIO;
    tk_csv r;
    tk_csv_init(&r, text, len);
    tk_arena *a = tk_arena_new(4096);
    const char *f[8];
    int n, line, rc;
    tk_error e;
    bool header = true;
    while ((rc = tk_csv_next(&r, a, f, 8, &n, &line, &e)) != 0) {
        if (header || rc < 0 || n < 2 || f[0][0] == '#') {
            header = false;
            continue;
        }
        tk_bind_text(s, 1, f[0]);
        tk_bind_text(s, 2, f[1]);
        tk_bind_text(s, 3, n > 2 ? f[2] : "");
        if (tk_step(s, err) < 0) {
            st = err->status;
            break;
        }
        (*imported)++;
        tk_arena_reset(a);
    }
    tk_arena_free(a);
    return st;
}

tk_status tk_workcal_set_schedules(tk_conn *c, const tk_workcal_schedule *w, int n, tk_error *err)
{
    tk_calendar *check = tk_calendar_new();
    tk_status st = TK_OK;
    for (int i = 0; st == TK_OK && i < n; i++) {
        const char *specs[7];
        for (int d = 0; d < 7; d++)
            specs[d] = w[i].days[d][0] ? w[i].days[d] : NULL;
        st = tk_calendar_add_schedule(check, w[i].from, w[i].to, specs, err);
    }
    tk_calendar_free(check);
    if (st != TK_OK)
        return st;
    if (tk_exec(c, "DELETE FROM calendar_schedules", err) != TK_OK)
        return err->status;
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO calendar_schedules(%s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
             day_columns);
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    for (int i = 0; i < n; i++) {
        tk_bind_text(s, 1, w[i].from);
        tk_bind_text(s, 2, w[i].to);
        for (int d = 0; d < 7; d++)
            tk_bind_text(s, 3 + d, w[i].days[d]);
        tk_bind_text(s, 10, w[i].note);
        if (tk_step(s, err) < 0)
            return err->status;
    }
    return TK_OK;
}

int64_t tk_workcal_deadline(const tk_calendar *cal, int64_t start, int64_t amount, const char *unit)
{
    if (!unit)
        return TK_CALENDAR_NEVER;
    if (!strcmp(unit, "work_minutes"))
        return tk_calendar_add_work_minutes(cal, start, amount);
    if (!strcmp(unit, "work_hours"))
        return tk_calendar_add_work_minutes(cal, start, amount * 60);
    if (!strcmp(unit, "work_days"))
        return tk_calendar_add_work_days(cal, start, amount);
    if (!strcmp(unit, "natural_days"))
        return tk_calendar_add_natural_days(start, amount);
    return TK_CALENDAR_NEVER;
}
