/*
 * workcal.h - the work calendar kept in the database (special days and
 * working-hour schedules), loaded into a tk_calendar for deadline arithmetic.
 */
#ifndef TK_WORKCAL_H
#define TK_WORKCAL_H

#include "core/calendar.h"
#include "core/status.h"
#include "store/db.h"

/* Builds a calendar from the stored schedules and days. Caller frees it. */
tk_status tk_workcal_load(tk_conn *c, tk_calendar **out, tk_error *err);
/* Marks a day (kind "holiday" or "workday") or, with kind NULL, clears its mark. */
tk_status tk_workcal_set_day(tk_conn *c, const char *date, const char *kind, const char *name,
                             tk_error *err);
/* Imports special days from CSV (date,kind,name). All-or-nothing: a bad line
 * leaves everything as it was and its reason is in report. */
tk_status tk_workcal_import(tk_conn *c, const char *text, size_t len,
                            tk_calendar_csv_report *report, int *imported, tk_error *err);
/* Replaces the schedules: specs[i][0..6] are Monday..Sunday hours ("" = none). */
typedef struct {
    char from[6], to[6];
    char days[7][64];
    char note[64];
} tk_workcal_schedule;
tk_status tk_workcal_set_schedules(tk_conn *c, const tk_workcal_schedule *s, int n, tk_error *err);
typedef void (*tk_workcal_schedule_fn)(void *ctx, const tk_workcal_schedule *s);
tk_status tk_workcal_schedules(tk_conn *c, tk_workcal_schedule_fn fn, void *ctx, tk_error *err);

/* start + amount of unit ("work_minutes", "work_hours", "work_days", "natural_days")
 * on the calendar; TK_CALENDAR_NEVER when there is no answer. */
int64_t tk_workcal_deadline(const tk_calendar *cal, int64_t start, int64_t amount,
                            const char *unit);

#endif
