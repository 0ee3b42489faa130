/*
 * test_calendar.c - the work calendar: default and seasonal hours, holidays and
 * make-up workdays from the real CSV, work-minute / work-day / natural-day
 * deadlines, working time between two instants, the CSV loader's all-or-nothing
 * errors, the guards against endless searches, and sharing between threads.
 *
 * Every expectation is a concrete Asia/Shanghai time; dates were checked against
 * data/cn-work-calendar-2025-2026.csv and a calendar for 2026.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/calendar.h"
#include "core/clock.h"

#define HOUR_MS  (3600LL * 1000)
#define DAY_MS   (24 * HOUR_MS)
#define CSV_ROWS 72 /* data rows in cn-work-calendar-2025-2026.csv: 61 holidays, 11 workdays */

static const char *const summer_specs[7] = {
    "08:30-12:00,14:30-18:00",
    "08:30-12:00,14:30-18:00",
    "08:30-12:00,14:30-18:00",
    "08:30-12:00,14:30-18:00",
    "08:30-12:00,14:30-18:00",
    NULL,
    NULL,
};

/* ---- helpers ---- */

static int64_t at(const char *s)
{
    int64_t ms = 0;
    cr_assert(tk_time_parse(s, &ms), "bad test time \"%s\"", s);
    return ms;
}

static void assert_at(int64_t got, const char *want, const char *what)
{
    char g[32] = "NEVER";
    if (got != TK_CALENDAR_NEVER)
        tk_time_format(got, g, sizeof g);
    cr_assert_eq(got, at(want), "%s: got %s, want %s", what, g, want);
}

/* The CSV lives in the source tree. __FILE__ is relative to the build root (how meson
 * names sources), the binary sits in <build>/tests/unit, and a test may run from the
 * source root, the build root or the binary's directory: try each. */
static char *read_csv_file(size_t *len)
{
    static const char rel[] = "/../../data/cn-work-calendar-2025-2026.csv";
    char src_dir[512], exe[512];
    snprintf(src_dir, sizeof src_dir, "%s", __FILE__);
    char *slash = strrchr(src_dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(src_dir, sizeof src_dir, ".");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';

    char candidates[4][1200];
    snprintf(candidates[0], sizeof candidates[0], "%s%s", src_dir, rel);
    snprintf(candidates[1], sizeof candidates[1], "%s/../../%s%s", exe, src_dir, rel);
    snprintf(candidates[2], sizeof candidates[2], "data/cn-work-calendar-2025-2026.csv");
    snprintf(candidates[3], sizeof candidates[3], "%s/../../../data/cn-work-calendar-2025-2026.csv",
             exe);
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(candidates[i], "rb");
        if (!f)
            continue;
        char *buf = malloc(64 * 1024);
        cr_assert_not_null(buf);
        *len = fread(buf, 1, 64 * 1024 - 1, f);
        buf[*len] = '\0';
        fclose(f);
        return buf;
    }
    cr_assert_fail("cn-work-calendar-2025-2026.csv not found (cwd or next to the sources)");
    return NULL;
}

static void load_real_csv(tk_calendar *cal)
{
    size_t len;
    char *text = read_csv_file(&len);
    tk_error err;
    tk_error_clear(&err);
    tk_calendar_csv_report rep = {0};
    tk_status st = tk_calendar_load_csv(cal, text, len, &rep, &err);
    cr_assert_eq(st, TK_OK, "load_csv: %s", err.detail);
    cr_assert_eq(rep.error_count, 0);
    tk_calendar_csv_report_free(&rep);
    free(text);
}

static tk_calendar *with_summer(tk_calendar *cal)
{
    tk_error err;
    cr_assert_eq(tk_calendar_add_schedule(cal, "05-01", "09-30", summer_specs, &err), TK_OK, "%s",
                 err.detail);
    return cal;
}

/* ---- work minutes, default hours ---- */

Test(calendar, default_friday_plus_4_hours)
{
    tk_calendar *cal = tk_calendar_new();
    /* Fri 17:00-17:30 is 30 min; Sat/Sun off; Mon 08:30 + 210 min = 12:00. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-06T17:00"), 240), "2026-03-09T12:00",
              "Fri 17:00 + 4h");
    tk_calendar_free(cal);
}

Test(calendar, across_lunch_break)
{
    tk_calendar *cal = tk_calendar_new();
    /* 11:00-12:00 is 60 min, the other 60 from 14:00 (not 14:30: the break is two hours). */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T11:00"), 120), "2026-03-09T15:00",
              "11:00 + 2h");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T11:00"), 90), "2026-03-09T14:30",
              "11:00 + 1.5h");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T11:59"), 2), "2026-03-09T14:01",
              "11:59 + 2 min");
    /* Starting inside the break counts from 14:00. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T12:30"), 30), "2026-03-09T14:30",
              "12:30 + 30 min");
    tk_calendar_free(cal);
}

Test(calendar, start_at_night_on_weekend_in_holiday)
{
    tk_calendar *cal = tk_calendar_new();
    load_real_csv(cal);
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-10T20:00"), 60), "2026-03-11T09:30",
              "Tue 20:00 + 1h");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-11T03:00"), 60), "2026-03-11T09:30",
              "Wed 03:00 + 1h");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-07T10:00"), 60), "2026-03-09T09:30",
              "Sat 10:00 + 1h");
    /* 2026-10-01..07 are 国庆节 holidays in the CSV; Thu 10-08 is a normal day. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-10-03T10:00"), 30), "2026-10-08T09:00",
              "holiday 10:00 + 30 min");
    tk_calendar_free(cal);
}

Test(calendar, exact_interval_ends)
{
    tk_calendar *cal = tk_calendar_new();
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T08:30"), 210), "2026-03-09T12:00",
              "morning exactly: 12:00, not 14:00");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T14:00"), 210), "2026-03-09T17:30",
              "afternoon exactly: 17:30, not the next morning");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T08:30"), 420), "2026-03-09T17:30",
              "whole day");
    /* From midnight the whole-day shortcut runs; an exact fit must still end at 17:30. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T00:00"), 420), "2026-03-09T17:30",
              "whole day from midnight");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T00:00"), 840), "2026-03-10T17:30",
              "two whole days from midnight");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T12:00"), 1), "2026-03-09T14:01",
              "12:00 + 1 min");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T17:29"), 1), "2026-03-09T17:30",
              "17:29 + 1 min");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T17:30"), 1), "2026-03-10T08:31",
              "17:30 + 1 min");
    tk_calendar_free(cal);
}

Test(calendar, zero_and_negative_minutes_give_the_start)
{
    tk_calendar *cal = tk_calendar_new();
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T20:00"), 0), "2026-03-09T20:00",
              "+0 at night");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), 0), "2026-03-09T10:00",
              "+0 in hours");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), -5), "2026-03-09T10:00",
              "-5");
    tk_calendar_free(cal);
}

Test(calendar, seconds_are_kept)
{
    tk_calendar *cal = tk_calendar_new();
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00:30"), 60),
              "2026-03-09T11:00:30", "10:00:30 + 1h");
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T11:59:30"), 1),
              "2026-03-09T14:00:30", "11:59:30 + 1 min");
    tk_calendar_free(cal);
}

/* ---- seasonal schedule and the real CSV ---- */

Test(calendar, summer_schedule)
{
    tk_calendar *cal = with_summer(tk_calendar_new());
    /* Fri 17:00-18:00 is 60 min; Mon 08:30 + 180 min = 11:30. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-06-05T17:00"), 240), "2026-06-08T11:30",
              "summer Fri 17:00 + 4h");
    /* Outside 05-01..09-30 the default hours still apply. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-06T17:00"), 240), "2026-03-09T12:00",
              "March Fri 17:00 + 4h");
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-06-08T14:15")));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-06-08T17:45")));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-03-09T14:15")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-09T17:45")));
    /* The span is inclusive at both ends (no CSV here: Fri 05-01 is a plain workday). */
    cr_assert(tk_calendar_is_working_time(cal, at("2026-05-01T17:45")), "Fri 05-01");
    cr_assert(tk_calendar_is_working_time(cal, at("2026-09-30T17:45")), "Wed 09-30");
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-10-01T17:45")), "Thu 10-01");
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-04-30T17:45")), "Thu 04-30");
    tk_calendar_free(cal);
}

Test(calendar, summer_schedule_with_real_holidays)
{
    tk_calendar *cal = with_summer(tk_calendar_new());
    load_real_csv(cal);
    /* Fri 2026-04-03, then 04-04 (Sat), 04-05 (Sun) and 04-06 (Mon) are 清明节 holidays:
     * April is on default hours, so 30 min on Friday and 210 on Tue 04-07. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-04-03T17:00"), 240), "2026-04-07T12:00",
              "Fri before a Monday holiday");
    /* Thu 2026-06-18, then 06-19 (Fri, 端午节), 06-20, 06-21 off: summer hours give 60 min
     * on Thursday and 180 on Mon 06-22. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-06-18T17:00"), 240), "2026-06-22T11:30",
              "Thu before the 端午 Friday");
    /* Thu 2026-04-30 (default hours, 30 min), 05-01..05-05 劳动节, Wed 05-06 is in summer:
     * 08:30 + 210 min ends exactly at the morning's end, 12:00. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-04-30T17:00"), 240), "2026-05-06T12:00",
              "across 劳动节 into the summer schedule");
    /* Sat 2026-05-09 is 劳动节调休上班 with the summer Monday hours: 60 min on Fri 05-08
     * (17:00-18:00), then 08:30 + 180 min on Saturday. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-05-08T17:00"), 240), "2026-05-09T11:30",
              "into a make-up Saturday");
    tk_calendar_free(cal);
}

/* ---- work days ---- */

Test(calendar, work_days_over_spring_festival)
{
    tk_calendar *cal = tk_calendar_new();
    load_real_csv(cal);
    /* The CSV: 2026-02-14 (Sat) is 春节调休上班, 02-15..02-23 are 春节 holidays and Tue
     * 02-24 is a normal day. The start day (Fri 02-13) does not count. */
    assert_at(tk_calendar_add_work_days(cal, at("2026-02-13T16:00"), 1), "2026-02-14T17:30",
              "+1 work day");
    assert_at(tk_calendar_add_work_days(cal, at("2026-02-13T16:00"), 2), "2026-02-24T17:30",
              "+2 work days");
    assert_at(tk_calendar_add_work_days(cal, at("2026-02-13T16:00"), 3), "2026-02-25T17:30",
              "+3 work days");
    /* From inside the festival. */
    assert_at(tk_calendar_add_work_days(cal, at("2026-02-17T09:00"), 1), "2026-02-24T17:30",
              "+1 from a holiday");
    assert_at(tk_calendar_add_work_days(cal, at("2026-10-01T09:00"), 1), "2026-10-08T17:30",
              "+1 from 国庆节");
    tk_calendar_free(cal);
}

Test(calendar, work_days_basics)
{
    tk_calendar *cal = tk_calendar_new();
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-06T16:00"), 1), "2026-03-09T17:30",
              "Fri + 1");
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-07T10:00"), 1), "2026-03-09T17:30",
              "Sat + 1");
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-09T08:00"), 5), "2026-03-16T17:30",
              "Mon + 5");
    /* n = 0: the start day's end if it works, else the next working day's end. */
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), 0), "2026-03-09T17:30",
              "Mon + 0");
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-09T20:00"), 0), "2026-03-09T17:30",
              "Mon 20:00 + 0 (documented: the start day's end even when past it)");
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-07T10:00"), 0), "2026-03-09T17:30",
              "Sat + 0");
    assert_at(tk_calendar_add_work_days(cal, at("2026-03-07T10:00"), -3), "2026-03-09T17:30",
              "Sat - 3 is treated as 0");
    /* The end of the day is the end of that day's schedule. */
    with_summer(cal);
    assert_at(tk_calendar_add_work_days(cal, at("2026-06-05T10:00"), 0), "2026-06-05T18:00",
              "summer Fri + 0");
    tk_calendar_free(cal);
}

/* ---- natural days ---- */

Test(calendar, natural_days_ignore_holidays)
{
    /* 2026-10-01..07 are holidays; natural days do not care. */
    assert_at(tk_calendar_add_natural_days(at("2026-09-30T10:00"), 3), "2026-10-03T10:00", "+3");
    assert_at(tk_calendar_add_natural_days(at("2026-02-13T16:00"), 10), "2026-02-23T16:00", "+10");
    assert_at(tk_calendar_add_natural_days(at("2026-02-13T16:00"), 0), "2026-02-13T16:00", "+0");
    assert_at(tk_calendar_add_natural_days(at("2026-03-01T00:00"), -1), "2026-02-28T00:00", "-1");
    cr_assert_eq(tk_calendar_add_natural_days(INT64_MAX - DAY_MS, 2), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_natural_days(0, INT64_MAX / 1000), TK_CALENDAR_NEVER);
}

/* ---- working time between ---- */

Test(calendar, minutes_between)
{
    tk_calendar *cal = tk_calendar_new();
    load_real_csv(cal);
    /* Fri 17:00-17:30 and Mon 08:30-09:00. */
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-03-06T17:00"), at("2026-03-09T09:00")), 60);
    /* A plain week: 5 x 420. */
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-03-09T00:00"), at("2026-03-16T00:00")),
        2100);
    /* Spring Festival: Fri 02-13, Sat 02-14 (make-up) and Tue 02-24 work, 420 each. */
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-02-13T08:30"), at("2026-02-25T08:30")),
        1260);
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-02-14T17:30"), at("2026-02-24T08:30")), 0);
    /* Across lunch (60 + 30); b <= a; a partial minute is dropped. */
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-03-09T11:00"), at("2026-03-09T14:30")), 90);
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-03-09T14:30"), at("2026-03-09T11:00")), 0);
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-03-09T10:00:00"), at("2026-03-09T10:00:59")),
        0);
    tk_calendar_free(cal);
}

Test(calendar, working_time_is_half_open)
{
    tk_calendar *cal = tk_calendar_new();
    load_real_csv(cal);
    cr_assert(tk_calendar_is_working_time(cal, at("2026-03-09T08:30")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-09T08:30") - 1));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-03-09T11:59:59")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-09T12:00")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-09T12:30")));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-03-09T14:00")));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-03-09T17:30") - 1));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-09T17:30")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-07T10:00")), "Saturday");
    cr_assert(tk_calendar_is_working_time(cal, at("2026-02-14T10:00")), "make-up Saturday");
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-02-16T10:00")), "春节 Monday");

    cr_assert(tk_calendar_is_workday(cal, at("2026-03-09T23:59")));
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-03-08T12:00")));
    cr_assert(tk_calendar_is_workday(cal, at("2026-02-14T00:00")));
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-10-01T10:00")));
    /* The local day decides: 2026-03-08T16:30Z is already Monday in Shanghai. */
    cr_assert(tk_calendar_is_workday(cal, at("2026-03-08T16:30Z")));
    tk_calendar_free(cal);
}

/* ---- describing a day ---- */

Test(calendar, describe_day)
{
    tk_calendar *cal = with_summer(tk_calendar_new());
    load_real_csv(cal);
    tk_calendar_day d;
    char text[TK_CALENDAR_HOURS_TEXT_MAX];

    cr_assert(tk_calendar_describe_day(cal, at("2026-02-14T20:00"), &d));
    cr_assert_str_eq(d.date, "2026-02-14");
    cr_assert_eq(d.start_ms, at("2026-02-14T00:00"));
    cr_assert_eq(d.weekday, 6);
    cr_assert_eq(d.kind, TK_CALENDAR_WORKDAY);
    cr_assert_str_eq(d.name, "春节调休上班");
    cr_assert(d.is_workday);
    cr_assert_eq(d.work_minutes, 420);
    tk_calendar_hours_format(&d.hours, text, sizeof text);
    cr_assert_str_eq(text, "08:30-12:00,14:00-17:30");

    cr_assert(tk_calendar_describe_day(cal, at("2026-05-09T10:00"), &d));
    cr_assert_eq(d.kind, TK_CALENDAR_WORKDAY);
    cr_assert_str_eq(d.name, "劳动节调休上班");
    tk_calendar_hours_format(&d.hours, text, sizeof text);
    cr_assert_str_eq(text, "08:30-12:00,14:30-18:00", "summer Monday hours");

    cr_assert(tk_calendar_describe_day(cal, at("2026-10-01T10:00"), &d));
    cr_assert_eq(d.weekday, 4);
    cr_assert_eq(d.kind, TK_CALENDAR_HOLIDAY);
    cr_assert_str_eq(d.name, "国庆节");
    cr_assert_not(d.is_workday);
    cr_assert_eq(d.hours.count, 0);
    cr_assert_eq(d.work_minutes, 0);

    cr_assert(tk_calendar_describe_day(cal, at("2026-03-07T10:00"), &d));
    cr_assert_eq(d.weekday, 6);
    cr_assert_eq(d.kind, TK_CALENDAR_NORMAL);
    cr_assert_str_eq(d.name, "");
    cr_assert_not(d.is_workday);

    cr_assert_not(tk_calendar_describe_day(cal, INT64_MAX, &d));
    tk_calendar_free(cal);
}

/* ---- hours specs and schedules ---- */

static void hours_ok(const char *spec, const char *canonical)
{
    tk_calendar_hours h;
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_calendar_parse_hours(spec, &h, &err), TK_OK, "\"%s\": %s", spec ? spec : "NULL",
                 err.detail);
    char text[TK_CALENDAR_HOURS_TEXT_MAX];
    tk_calendar_hours_format(&h, text, sizeof text);
    cr_assert_str_eq(text, canonical, "\"%s\"", spec ? spec : "NULL");
}

static void hours_bad(const char *spec)
{
    tk_calendar_hours h;
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_calendar_parse_hours(spec, &h, &err), TK_EVALID, "\"%s\" accepted", spec);
    cr_assert_str_eq(err.code, "calendar_hours_invalid");
    cr_assert_neq(err.detail[0], '\0');
}

Test(calendar, parse_hours)
{
    hours_ok("08:30-12:00,14:00-17:30", "08:30-12:00,14:00-17:30");
    hours_ok(" 8:30 - 12:00 , 14:00-17:30 ", "08:30-12:00,14:00-17:30");
    hours_ok("00:00-24:00", "00:00-24:00");
    hours_ok("08:00-12:00,12:00-13:00", "08:00-12:00,12:00-13:00"); /* touching is fine */
    hours_ok("01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00",
             "01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00");
    hours_ok("", "");
    hours_ok("   ", "");
    hours_ok(NULL, "");

    hours_bad("12:00-08:30");                                                 /* backwards */
    hours_bad("10:00-10:00");                                                 /* empty */
    hours_bad("08:30-12:00,11:00-13:00");                                     /* overlap */
    hours_bad("14:00-17:30,08:30-12:00");                                     /* out of order */
    hours_bad("01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00"); /* 5 */
    hours_bad("24:00-24:30");
    hours_bad("23:00-24:01");
    hours_bad("08:60-09:00");
    hours_bad("0830-1200");
    hours_bad("08:30");
    hours_bad("08:30-12:00,");
    hours_bad("08:30-12:00-13:00");
    hours_bad("-");
    hours_bad("abc");
    hours_bad("８:30-12:00"); /* full-width digit */

    tk_calendar_hours h;
    tk_error err;
    tk_calendar_parse_hours("12:00-08:30", &h, &err);
    cr_assert_str_eq(err.detail, "时段 12:00-08:30 的开始时间须早于结束时间");
}

Test(calendar, schedule_validation_leaves_calendar_unchanged)
{
    tk_calendar *cal = tk_calendar_new();
    tk_error err;
    const char *const specs[7] = {"09:00-17:00", NULL, "09:00-25:00", NULL, NULL, NULL, NULL};
    cr_assert_eq(tk_calendar_add_schedule(cal, "01-01", "12-31", specs, &err), TK_EVALID);
    cr_assert(strncmp(err.detail, "周三：", strlen("周三：")) == 0, "%s", err.detail);
    cr_assert_eq(tk_calendar_add_schedule(cal, "13-01", "12-31", summer_specs, &err), TK_EVALID);
    cr_assert_str_eq(err.code, "calendar_schedule_invalid");
    cr_assert_eq(tk_calendar_add_schedule(cal, "02-30", "12-31", summer_specs, &err), TK_EVALID);
    cr_assert_eq(tk_calendar_add_schedule(cal, "5-1", "12-31", summer_specs, &err), TK_EVALID);
    cr_assert_eq(tk_calendar_add_schedule(cal, NULL, "12-31", summer_specs, &err), TK_EVALID);
    cr_assert_eq(tk_calendar_add_schedule(cal, "02-29", "02-29", summer_specs, &err), TK_OK);
    /* Still the default on Monday 2026-03-09. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-09T08:00"), 60), "2026-03-09T09:30",
              "default hours kept");

    /* 1 default + 1 above; fill up to the cap, then one more is refused. */
    for (int i = 2; i < TK_CALENDAR_MAX_SCHEDULES; i++)
        cr_assert_eq(tk_calendar_add_schedule(cal, "02-29", "02-29", summer_specs, &err), TK_OK);
    cr_assert_eq(tk_calendar_add_schedule(cal, "02-29", "02-29", summer_specs, &err), TK_EVALID);
    cr_assert_str_eq(err.code, "calendar_too_many_schedules");
    tk_calendar_free(cal);
}

Test(calendar, wrapping_schedule_and_override)
{
    tk_calendar *cal = tk_calendar_new();
    tk_error err;
    const char *const winter[7] = {"09:00-12:00,13:30-17:00",
                                   "09:00-12:00,13:30-17:00",
                                   "09:00-12:00,13:30-17:00",
                                   "09:00-12:00,13:30-17:00",
                                   "09:00-12:00,13:30-17:00",
                                   NULL,
                                   NULL};
    cr_assert_eq(tk_calendar_add_schedule(cal, "10-01", "04-30", winter, &err), TK_OK);
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-12-15T08:45")), "Tue in winter");
    cr_assert(tk_calendar_is_working_time(cal, at("2026-12-15T13:45")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-03-10T08:45")), "wraps to spring");
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-04-30T08:45")), "to is inclusive");
    cr_assert(tk_calendar_is_working_time(cal, at("2026-05-01T08:45")), "default after it");
    cr_assert(tk_calendar_is_working_time(cal, at("2026-09-30T08:45")));
    cr_assert_not(tk_calendar_is_working_time(cal, at("2026-10-01T08:45")), "from is inclusive");

    /* A later schedule wins where it applies: December off, November still winter. */
    const char *const none[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(tk_calendar_add_schedule(cal, "12-01", "12-31", none, &err), TK_OK);
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-12-15T10:00")));
    cr_assert(tk_calendar_is_working_time(cal, at("2026-11-17T13:45")));
    /* Tue 2026-11-24 16:00 + 2h: 60 min to 17:00, then 09:00 + 60 on Wednesday. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-11-24T16:00"), 120), "2026-11-25T10:00",
              "winter hours");
    /* Mon 2026-11-30 16:00 + 2h: 60 min, then all of December is off; Fri 2027-01-01 is
     * a plain winter weekday here (no CSV): 09:00 + 60. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-11-30T16:00"), 120), "2027-01-01T10:00",
              "over an empty December");
    tk_calendar_free(cal);
}

/* ---- special days ---- */

Test(calendar, set_day)
{
    tk_calendar *cal = tk_calendar_new();
    tk_error err;
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", TK_CALENDAR_HOLIDAY, "测试假日", &err),
                 TK_OK);
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-03-09T10:00")));
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-07", TK_CALENDAR_WORKDAY, NULL, &err), TK_OK);
    cr_assert(tk_calendar_is_workday(cal, at("2026-03-07T10:00")));
    cr_assert_eq(tk_calendar_special_day_count(cal), 2);
    /* Fri 17:00 + 4h: 30 min, Sat 03-07 (make-up) 08:30 + 210 = 12:00. */
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-06T17:00"), 240), "2026-03-07T12:00",
              "into a make-up Saturday");

    /* A new mark replaces the old one; NORMAL removes it. */
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", TK_CALENDAR_WORKDAY, "改", &err), TK_OK);
    cr_assert_eq(tk_calendar_special_day_count(cal), 2);
    tk_calendar_day d;
    tk_calendar_describe_day(cal, at("2026-03-09T10:00"), &d);
    cr_assert_str_eq(d.name, "改");
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", TK_CALENDAR_NORMAL, NULL, &err), TK_OK);
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-07", TK_CALENDAR_NORMAL, NULL, &err), TK_OK);
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-08", TK_CALENDAR_NORMAL, NULL, &err), TK_OK);
    cr_assert_eq(tk_calendar_special_day_count(cal), 0);
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-03-07T10:00")));

    cr_assert_eq(tk_calendar_set_day(cal, "2026-02-30", TK_CALENDAR_HOLIDAY, "x", &err), TK_EVALID);
    cr_assert_str_eq(err.code, "calendar_date_invalid");
    cr_assert_eq(tk_calendar_set_day(cal, "2026-3-9", TK_CALENDAR_HOLIDAY, "x", &err), TK_EVALID);
    cr_assert_eq(tk_calendar_set_day(cal, NULL, TK_CALENDAR_HOLIDAY, "x", &err), TK_EVALID);
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", (tk_calendar_day_kind)9, "x", &err),
                 TK_EVALID);
    char long_name[3 * 65 + 1];
    for (int i = 0; i < 65; i++)
        memcpy(long_name + 3 * i, "节", 3); /* 65 characters, one too many */
    long_name[3 * 65] = '\0';
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", TK_CALENDAR_HOLIDAY, long_name, &err),
                 TK_EVALID);
    cr_assert_str_eq(err.code, "calendar_name_invalid");
    long_name[3 * 64] = '\0';
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-09", TK_CALENDAR_HOLIDAY, long_name, &err),
                 TK_OK, "64 characters are allowed");
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-10", TK_CALENDAR_HOLIDAY, "\xff\xfe", &err),
                 TK_EVALID);
    cr_assert_eq(tk_calendar_set_day(cal, "2026-03-10", TK_CALENDAR_HOLIDAY, "a\tb", &err),
                 TK_EVALID);
    cr_assert_eq(tk_calendar_special_day_count(cal), 1);
    tk_calendar_free(cal);
}

/* ---- CSV ---- */

Test(calendar, csv_real_file_loads)
{
    tk_calendar *cal = tk_calendar_new();
    size_t len;
    char *text = read_csv_file(&len);
    tk_calendar_csv_report rep = {0};
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_calendar_load_csv(cal, text, len, &rep, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(rep.rows, CSV_ROWS);
    cr_assert_eq(rep.error_count, 0);
    cr_assert_null(rep.errors);
    cr_assert_eq(tk_calendar_special_day_count(cal), CSV_ROWS);
    /* The notices of 2025 and 2026, and no other year. */
    int years[4];
    cr_assert_eq(tk_calendar_marked_years(cal, years, 4), 2);
    cr_assert_eq(years[0], 2025);
    cr_assert_eq(years[1], 2026);
    cr_assert_eq(tk_calendar_marked_years(cal, years, 1), 1, "at most max years");
    /* Loading it again replaces the same dates: still 72. */
    cr_assert_eq(tk_calendar_load_csv(cal, text, len, NULL, &err), TK_OK);
    cr_assert_eq(tk_calendar_special_day_count(cal), CSV_ROWS);
    tk_calendar_csv_report_free(&rep);
    free(text);
    tk_calendar_free(cal);
}

Test(calendar, csv_three_bad_lines_all_reported_nothing_added)
{
    static const char text[] = "date,kind,name\n"                  /* 1 */
                               "2026-01-05,holiday,测试\n"         /* 2 ok */
                               "2026-02-30,holiday,春节\n"         /* 3 bad date */
                               "2026-02-14,workday,春节调休上班\n" /* 4 ok */
                               "2026-02-15,rest,春节\n"            /* 5 unknown kind */
                               "\n"                                /* 6 blank */
                               "2026-01-05,workday,重复\n";        /* 7 duplicate of 2 */
    tk_calendar *cal = tk_calendar_new();
    tk_calendar_csv_report rep = {0};
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_calendar_load_csv(cal, text, strlen(text), &rep, &err), TK_EVALID);
    cr_assert_str_eq(err.code, "calendar_csv_invalid");
    cr_assert_eq(rep.rows, 5);
    cr_assert_eq(rep.error_count, 3);
    cr_assert_eq(rep.errors[0].line, 3);
    cr_assert_eq(rep.errors[1].line, 5);
    cr_assert_eq(rep.errors[2].line, 7);
    cr_assert_str_eq(rep.errors[0].message, "第 3 行：日期 2026-02-30 无效");
    cr_assert_str_eq(rep.errors[1].message, "第 5 行：类型 rest 未知（应为 holiday 或 workday）");
    cr_assert_str_eq(rep.errors[2].message, "第 7 行：日期 2026-01-05 与第 2 行重复");
    for (size_t i = 0; i < rep.error_count; i++)
        cr_assert_not_null(strstr(err.detail, rep.errors[i].message), "detail: %s", err.detail);
    /* Nothing added: Mon 01-05 still works, Sat 02-14 does not. */
    cr_assert_eq(tk_calendar_special_day_count(cal), 0);
    cr_assert(tk_calendar_is_workday(cal, at("2026-01-05T10:00")));
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-02-14T10:00")));
    tk_calendar_csv_report_free(&rep);
    cr_assert_null(rep.errors);
    tk_calendar_free(cal);
}

static tk_calendar_csv_report load_bad(tk_calendar *cal, const char *text, size_t len)
{
    tk_calendar_csv_report rep = {0};
    tk_error err;
    cr_assert_eq(tk_calendar_load_csv(cal, text, len, &rep, &err), TK_EVALID, "accepted: %s", text);
    cr_assert_eq(err.status, TK_EVALID);
    return rep;
}

Test(calendar, csv_other_errors)
{
    tk_calendar *cal = tk_calendar_new();

    static const char cols[] = "date,kind,name\n2026-01-05,holiday\n2026-01-06,holiday,a,b\n";
    tk_calendar_csv_report rep = load_bad(cal, cols, strlen(cols));
    cr_assert_eq(rep.error_count, 2);
    cr_assert_str_eq(rep.errors[0].message, "第 2 行：应有 3 列（date,kind,name），实际 2 列");
    cr_assert_str_eq(rep.errors[1].message, "第 3 行：应有 3 列（date,kind,name），实际 4 列");
    tk_calendar_csv_report_free(&rep);

    /* Several faults on one line are one entry. */
    static const char multi[] = "date,kind,name\n2026-13-01,休,ok\n";
    rep = load_bad(cal, multi, strlen(multi));
    cr_assert_eq(rep.error_count, 1);
    cr_assert_str_eq(rep.errors[0].message,
                     "第 2 行：日期 2026-13-01 无效，类型 休 未知（应为 holiday 或 workday）");
    tk_calendar_csv_report_free(&rep);

    static const char header[] = "day,type,label\n2026-01-05,holiday,x\n";
    rep = load_bad(cal, header, strlen(header));
    cr_assert_eq(rep.error_count, 1);
    cr_assert_str_eq(rep.errors[0].message, "第 1 行：表头应为 date,kind,name");
    tk_calendar_csv_report_free(&rep);

    rep = load_bad(cal, "", 0);
    cr_assert_eq(rep.error_count, 1);
    cr_assert_str_eq(rep.errors[0].message, "第 1 行：缺少表头 date,kind,name");
    tk_calendar_csv_report_free(&rep);

    /* A value that cannot be shown (bytes that are not UTF-8) is not echoed. */
    static const char bin[] = "date,kind,name\n\xff\xfe,holiday,x\n";
    rep = load_bad(cal, bin, strlen(bin));
    cr_assert_str_eq(rep.errors[0].message, "第 2 行：日期无效（应为 YYYY-MM-DD）");
    tk_calendar_csv_report_free(&rep);

    /* A NUL inside the text is data, not an end. */
    static const char nul[] = "date,kind,name\n2026-01-05,holiday,a\0b\n";
    rep = load_bad(cal, nul, sizeof nul - 1);
    cr_assert_eq(rep.errors[0].line, 2);
    tk_calendar_csv_report_free(&rep);

    /* Too big. */
    tk_error err;
    cr_assert_eq(
        tk_calendar_load_csv(cal, "date,kind,name\n", TK_CALENDAR_CSV_MAX_BYTES + 1, NULL, &err),
        TK_ETOOBIG);
    cr_assert_eq(tk_calendar_special_day_count(cal), 0);
    tk_calendar_free(cal);
}

Test(calendar, csv_many_bad_lines_detail_is_cut_but_report_is_complete)
{
    static const char head[] = "date,kind,name\n", row[] = "2026-02-30,holiday,x\n";
    char text[8192];
    size_t n = sizeof head - 1;
    memcpy(text, head, n);
    for (int i = 0; i < 100; i++, n += sizeof row - 1)
        memcpy(text + n, row, sizeof row - 1);
    text[n] = '\0';
    tk_calendar *cal = tk_calendar_new();
    tk_calendar_csv_report rep = load_bad(cal, text, strlen(text));
    cr_assert_eq(rep.error_count, 100);
    cr_assert_eq(rep.errors[99].line, 101);
    tk_error err;
    tk_calendar_csv_report_free(&rep);
    tk_calendar_load_csv(cal, text, strlen(text), NULL, &err);
    cr_assert_not_null(strstr(err.detail, "日历文件有 100 行错误"), "%s", err.detail);
    cr_assert_not_null(strstr(err.detail, "等另"), "%s", err.detail);
    tk_calendar_free(cal);
}

Test(calendar, csv_tolerates_bom_crlf_blank_and_comments)
{
    static const char text[] = "\xEF\xBB\xBF"
                               "date,kind,name\r\n"
                               "# 2026 调整\r\n"
                               "\r\n"
                               " 2026-03-09 , holiday , 测试假日 \r\n"
                               "2026-03-07,workday,\r\n";
    tk_calendar *cal = tk_calendar_new();
    tk_calendar_csv_report rep = {0};
    tk_error err;
    tk_error_clear(&err);
    cr_assert_eq(tk_calendar_load_csv(cal, text, strlen(text), &rep, &err), TK_OK, "%s",
                 err.detail);
    cr_assert_eq(rep.rows, 2);
    tk_calendar_day d;
    tk_calendar_describe_day(cal, at("2026-03-09T10:00"), &d);
    cr_assert_str_eq(d.name, "测试假日");
    cr_assert_eq(d.kind, TK_CALENDAR_HOLIDAY);
    tk_calendar_describe_day(cal, at("2026-03-07T10:00"), &d);
    cr_assert_eq(d.kind, TK_CALENDAR_WORKDAY);
    cr_assert_str_eq(d.name, "");
    cr_assert(d.is_workday);
    tk_calendar_csv_report_free(&rep);

    /* Header only: fine, nothing added. */
    cr_assert_eq(tk_calendar_load_csv(cal, "date,kind,name", 14, NULL, &err), TK_OK);
    cr_assert_eq(tk_calendar_special_day_count(cal), 2);
    tk_calendar_free(cal);
}

/* ---- guards and large values ---- */

Test(calendar, large_add_is_fast_and_consistent, .timeout = 20)
{
    tk_calendar *cal = tk_calendar_new();
    load_real_csv(cal);
    int64_t start = at("2026-03-06T17:00");
    int64_t t0 = tk_monotonic_ns();
    int64_t end = tk_calendar_add_work_minutes(cal, start, 10000 * 60);
    int64_t took = tk_monotonic_ns() - t0;
    /* Cross-checked with an independent script over the same CSV (plain weekdays
     * after 2026): 1,428 working days and 240 min later, at the end of a morning. */
    assert_at(end, "2031-09-09T12:00", "+10,000 work hours");
    cr_assert_eq(tk_calendar_work_minutes_between(cal, start, end), 600000);
    cr_assert_lt(took, 500LL * 1000 * 1000, "took %lld ns", (long long)took);
    tk_calendar_free(cal);
}

Test(calendar, no_working_time_does_not_hang, .timeout = 20)
{
    const char *const none[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    tk_error err;

    /* A whole-year schedule without hours hides the default: answered at once. */
    tk_calendar *cal = tk_calendar_new();
    cr_assert_eq(tk_calendar_add_schedule(cal, "01-01", "12-31", none, &err), TK_OK);
    cr_assert_eq(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), 1), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), 1), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), 0), TK_CALENDAR_NEVER);
    cr_assert_not(tk_calendar_is_workday(cal, at("2026-03-09T10:00")));
    cr_assert_eq(
        tk_calendar_work_minutes_between(cal, at("2026-01-01T00:00"), at("2027-01-01T00:00")), 0);
    cr_assert_eq(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), 0),
                 at("2026-03-09T10:00"));

    /* Hours only on 02-29, and only on Mondays: the next is 2044-02-29. */
    const char *const leap_monday[7] = {"08:30-12:00", NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(tk_calendar_add_schedule(cal, "02-29", "02-29", leap_monday, &err), TK_OK);
    assert_at(tk_calendar_add_work_minutes(cal, at("2026-03-01T00:00"), 60), "2044-02-29T09:30",
              "far away but within the horizon");
    tk_calendar_free(cal);

    /* Two half-year schedules without hours: no shortcut, the horizon search ends it. */
    cal = tk_calendar_new();
    cr_assert_eq(tk_calendar_add_schedule(cal, "01-01", "06-30", none, &err), TK_OK);
    cr_assert_eq(tk_calendar_add_schedule(cal, "07-01", "12-31", none, &err), TK_OK);
    cr_assert_eq(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), 60), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), 3), TK_CALENDAR_NEVER);
    tk_calendar_free(cal);
}

Test(calendar, out_of_range_inputs)
{
    tk_calendar *cal = tk_calendar_new();
    cr_assert_eq(tk_calendar_add_work_minutes(cal, INT64_MAX - 5, 10), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_minutes(cal, INT64_MIN, 10), TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_minutes(cal, at("2026-03-09T10:00"), INT64_MAX),
                 TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), INT64_MAX),
                 TK_CALENDAR_NEVER);
    cr_assert_eq(tk_calendar_add_work_days(cal, at("2026-03-09T10:00"), 30000), TK_CALENDAR_NEVER,
                 "30,000 working days is beyond 100 years");
    cr_assert_eq(tk_calendar_work_minutes_between(cal, INT64_MIN, 0), -1);
    cr_assert_eq(tk_calendar_work_minutes_between(cal, 0, 200LL * 366 * DAY_MS), -1);
    cr_assert_not(tk_calendar_is_workday(cal, INT64_MAX));
    cr_assert_not(tk_calendar_is_working_time(cal, INT64_MIN));
    /* Before 1970 works too (floor division, not truncation). */
    /* Wed 1969-12-31 17:00 (tk_time_parse starts at 1970): 30 min, then Thu 08:30 + 30. */
    assert_at(tk_calendar_add_work_minutes(cal, at("1970-01-01T17:00") - DAY_MS, 60),
              "1970-01-01T09:00", "before the epoch");
    tk_calendar_free(cal);
}

/* ---- against a minute-by-minute reference ---- */

static int64_t naive_add(const tk_calendar *cal, int64_t t, int64_t minutes)
{
    while (minutes > 0) {
        if (tk_calendar_is_working_time(cal, t))
            minutes--;
        t += 60000;
    }
    return t;
}

Test(calendar, matches_minute_by_minute_reference, .timeout = 60)
{
    tk_calendar *cal = with_summer(tk_calendar_new());
    load_real_csv(cal);
    uint64_t seed = 20260213;
    int64_t base = at("2025-12-20T00:00");
    for (int i = 0; i < 300; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t start = base + (int64_t)((seed >> 33) % (400 * 1440)) * 60000;
        int64_t minutes = (int64_t)((seed >> 13) % 2500);
        int64_t got = tk_calendar_add_work_minutes(cal, start, minutes);
        int64_t want = naive_add(cal, start, minutes);
        char s[32], g[32], w[32];
        tk_time_format(start, s, sizeof s);
        tk_time_format(got, g, sizeof g);
        tk_time_format(want, w, sizeof w);
        cr_assert_eq(got, want, "%s + %lld: got %s want %s", s, (long long)minutes, g, w);
        cr_assert_eq(tk_calendar_work_minutes_between(cal, start, got), minutes);
    }
    tk_calendar_free(cal);
}

/* ---- sharing between threads ---- */

typedef struct {
    const tk_calendar *cal;
    int64_t results[64];
} thread_job;

static void compute_all(const tk_calendar *cal, int64_t *out)
{
    int64_t base = at("2026-01-01T07:00");
    for (int i = 0; i < 64; i++) {
        int64_t start = base + (int64_t)i * 5 * DAY_MS + i * 37 * 60000;
        out[i] = tk_calendar_add_work_minutes(cal, start, 60 * (i + 1)) ^
                 tk_calendar_add_work_days(cal, start, i % 7) ^
                 tk_calendar_work_minutes_between(cal, start, start + 20 * DAY_MS);
    }
}

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    compute_all(job->cal, job->results);
    return NULL;
}

Test(calendar, shared_between_threads)
{
    tk_calendar *cal = with_summer(tk_calendar_new());
    load_real_csv(cal);
    int64_t want[64];
    compute_all(cal, want);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].cal = cal;
        cr_assert_eq(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_arr_eq(jobs[i].results, want, sizeof want);
    }
    tk_calendar_free(cal);
}
