/*
 * calendar.h - the work calendar: working hours, weekends, statutory holidays and
 * make-up working days (调休上班), and deadline arithmetic on them.
 *
 * Pure and in memory: no database. A calendar is built once (tk_calendar_new, then
 * add_schedule / set_day / load_csv) and is then read-only; the const functions
 * below keep no caches, so a built calendar may be read from many threads at once.
 * The mutating functions need exclusive access: to change a calendar in use, build
 * a new one and swap the pointer (the owner decides how readers let go of the old).
 *
 * Time is Unix ms; civil time is Asia/Shanghai (fixed UTC+08:00, see clock.h).
 *
 * - A schedule covers a span of the year (month-day from..to, inclusive; from > to
 *   wraps over the new year, e.g. 10-01..04-30) and gives, per weekday, up to 4
 *   half-open intervals [start, end) in minutes since local midnight. The newest
 *   schedule that covers a date wins. tk_calendar_new() has one schedule for the
 *   whole year: Mon-Fri 08:30-12:00 and 14:00-17:30, Sat/Sun nothing.
 * - A special day is a holiday (no hours, whatever the weekday) or a workday
 *   (调休上班: Monday's hours of the schedule in force that day).
 * - A working day is a day with at least one interval after all of the above.
 *
 * Guards: every search looks at most TK_CALENDAR_HORIZON_DAYS days ahead. When no
 * answer lies within it (a calendar without working time, a huge n), the add_*
 * functions return TK_CALENDAR_NEVER instead of looping. Instants outside
 * ±TK_CALENDAR_LIMIT_MS are rejected the same way.
 */
#ifndef TK_CALENDAR_H
#define TK_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* "No such instant": returned by the add_* functions (see the guards above). */
#define TK_CALENDAR_NEVER INT64_MAX
/* How far ahead any search looks: 100 years. */
#define TK_CALENDAR_HORIZON_DAYS 36525
/* Accepted instants: |ms| <= this (about ±31,000 years around 1970). */
#define TK_CALENDAR_LIMIT_MS      1000000000000000LL
#define TK_CALENDAR_MAX_INTERVALS 4
#define TK_CALENDAR_MAX_SCHEDULES 64
/* A special day's name: at most this many characters (code points) of UTF-8. */
#define TK_CALENDAR_NAME_MAX 64
/* load_csv refuses larger text with TK_ETOOBIG. */
#define TK_CALENDAR_CSV_MAX_BYTES (1024 * 1024)
/* Enough for tk_calendar_hours_format of any valid hours, with the NUL. */
#define TK_CALENDAR_HOURS_TEXT_MAX 64

typedef struct tk_calendar tk_calendar;

typedef enum {
    TK_CALENDAR_NORMAL = 0, /* no special mark: the schedule's weekday hours */
    TK_CALENDAR_HOLIDAY,    /* no work */
    TK_CALENDAR_WORKDAY,    /* 调休上班: Monday's hours */
} tk_calendar_day_kind;

/* Minutes since local midnight, half-open: [start, end), 0 <= start < end <= 1440. */
typedef struct {
    int start;
    int end;
} tk_calendar_interval;

/* One day's hours: count intervals, ordered and non-overlapping (they may touch). */
typedef struct {
    int count;
    tk_calendar_interval iv[TK_CALENDAR_MAX_INTERVALS];
} tk_calendar_hours;

/* A day as the API shows it. */
typedef struct {
    char date[11];                           /* "YYYY-MM-DD" */
    int64_t start_ms;                        /* local midnight */
    int weekday;                             /* 1 = Monday .. 7 = Sunday */
    tk_calendar_day_kind kind;               /* the special mark, if any */
    char name[TK_CALENDAR_NAME_MAX * 4 + 1]; /* "春节", "春节调休上班"; "" without a mark */
    bool is_workday;                         /* hours.count > 0 */
    tk_calendar_hours hours;                 /* the hours that apply on that day */
    int work_minutes;                        /* their total */
} tk_calendar_day;

/* One bad line of a CSV file. */
typedef struct {
    int line;          /* 1-based physical line number; the header is line 1 */
    char message[320]; /* zh-CN, starts with "第 N 行：" */
} tk_calendar_line_error;

/* What load_csv saw. Zero it before the call; free with tk_calendar_csv_report_free. */
typedef struct {
    size_t rows;                    /* data rows read (blank and '#' lines excluded) */
    size_t error_count;             /* bad lines, one entry each, in line order */
    tk_calendar_line_error *errors; /* owned by the report */
} tk_calendar_csv_report;

/* ---- building ---- */

/* A calendar with the default schedule and no special days. Never NULL. */
tk_calendar *tk_calendar_new(void);
void tk_calendar_free(tk_calendar *cal); /* NULL is fine */

/*
 * Parses "08:30-12:00,14:00-17:30": up to 4 intervals HH:MM-HH:MM (hour 1 or 2
 * digits, 24:00 allowed as an end), ordered and non-overlapping, spaces around items
 * ignored. NULL, "" or only spaces give no hours. TK_EVALID with a zh-CN detail.
 */
tk_status tk_calendar_parse_hours(const char *spec, tk_calendar_hours *out, tk_error *err);
/* The inverse: "08:30-12:00,14:00-17:30", "" for no hours (out: TK_CALENDAR_HOURS_TEXT_MAX). */
void tk_calendar_hours_format(const tk_calendar_hours *h, char *out, size_t size);

/*
 * Adds a schedule for the dates from_mmdd..to_mmdd ("05-01", "09-30"; inclusive,
 * wrapping when from > to; "02-29" is a valid bound). weekday_specs[0] is Monday ..
 * [6] Sunday, each a spec for tk_calendar_parse_hours (NULL = no hours). It overrides
 * every earlier schedule on the dates it covers. Nothing changes on error
 * (TK_EVALID; more than TK_CALENDAR_MAX_SCHEDULES schedules is TK_EVALID too).
 */
tk_status tk_calendar_add_schedule(tk_calendar *cal, const char *from_mmdd, const char *to_mmdd,
                                   const char *const weekday_specs[7], tk_error *err);

/*
 * Marks date ("YYYY-MM-DD", 1970..2200) as a holiday or a make-up workday with a
 * name (NULL or "" for none; valid UTF-8 without control characters, at most
 * TK_CALENDAR_NAME_MAX characters). A mark replaces an earlier one on that date;
 * TK_CALENDAR_NORMAL removes the mark. TK_EVALID on bad input, nothing changed.
 */
tk_status tk_calendar_set_day(tk_calendar *cal, const char *date, tk_calendar_day_kind kind,
                              const char *name, tk_error *err);

/*
 * Loads special days from CSV text: a header line "date,kind,name" (an optional
 * UTF-8 BOM, spaces around fields ignored), then one "YYYY-MM-DD,holiday|workday,name"
 * per line. Blank lines and lines starting with '#' are skipped; there is no quoting,
 * so a name cannot hold a comma (use "、"). Dates already in the calendar are
 * replaced by the file's rows.
 *
 * All or nothing: if any line is bad (missing or wrong header, wrong column count,
 * bad date, unknown kind, bad name, a date repeated in the file) nothing is added,
 * the result is TK_EVALID with code "calendar_csv_invalid" and a summary in
 * err->detail (cut to fit), and report (if not NULL) lists EVERY bad line with its
 * line number and reasons. report->rows is filled either way; the caller frees
 * the report with tk_calendar_csv_report_free.
 */
tk_status tk_calendar_load_csv(tk_calendar *cal, const char *text, size_t len,
                               tk_calendar_csv_report *report, tk_error *err);
void tk_calendar_csv_report_free(tk_calendar_csv_report *report);

/* Number of dates with a special mark, for tests and the admin UI. */
size_t tk_calendar_special_day_count(const tk_calendar *cal);

/* The years that have a special mark (a year whose holiday notice is on record),
 * ascending, at most max of them; returns how many. */
int tk_calendar_marked_years(const tk_calendar *cal, int *years, int max);

/* ---- reading (thread-safe on a built calendar) ---- */

/* Whether the local day of ms has working hours. False outside TK_CALENDAR_LIMIT_MS. */
bool tk_calendar_is_workday(const tk_calendar *cal, int64_t ms);
/* Whether ms lies in one of its day's intervals; intervals are [start, end). */
bool tk_calendar_is_working_time(const tk_calendar *cal, int64_t ms);

/* Fills out for the local day of ms. False only outside TK_CALENDAR_LIMIT_MS. */
bool tk_calendar_describe_day(const tk_calendar *cal, int64_t ms, tk_calendar_day *out);

/*
 * The earliest instant t >= start_ms such that [start_ms, t) holds `minutes` of
 * working time. So a start outside working time counts from the next working moment,
 * and minutes that run out exactly at the end of an interval give that end (12:00,
 * not 14:00). minutes <= 0 gives start_ms itself. TK_CALENDAR_NEVER when the
 * answer lies beyond TK_CALENDAR_HORIZON_DAYS (or start_ms is out of range).
 * Whole days are skipped by their totals, so large values are cheap.
 */
int64_t tk_calendar_add_work_minutes(const tk_calendar *cal, int64_t start_ms, int64_t minutes);

/*
 * Legal convention (期间开始之日不计算在内): the start day does not count. The result
 * is the end of the last interval of the n-th working day after the start day
 * (e.g. 17:30). n <= 0: the end of the start day's hours if it is a working day
 * (even when start_ms is already past that end), else the end of the next working
 * day. TK_CALENDAR_NEVER beyond the horizon.
 */
int64_t tk_calendar_add_work_days(const tk_calendar *cal, int64_t start_ms, int64_t n);

/* start_ms + n * 24 h, no calendar; TK_CALENDAR_NEVER on overflow. */
int64_t tk_calendar_add_natural_days(int64_t start_ms, int64_t n);

/*
 * Whole minutes of working time in [a_ms, b_ms) (a partial minute is dropped);
 * 0 when b_ms <= a_ms. -1 when the span exceeds TK_CALENDAR_HORIZON_DAYS or an
 * instant is out of range.
 */
int64_t tk_calendar_work_minutes_between(const tk_calendar *cal, int64_t a_ms, int64_t b_ms);

#endif
