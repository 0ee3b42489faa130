/*
 * test_clock.c - the manual clock and its listeners, ISO time parsing and
 * formatting in Asia/Shanghai, and the civil-date conversions.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS  (24 * HOUR_MS)
/* 2026-02-13T08:00:00Z = 2026-02-13T16:00:00+08:00 */
#define T0 1770969600000LL

/* ---- manual clock ---- */

Test(clock, manual_set_and_advance)
{
    tk_clock_use_manual(T0);
    cr_assert(tk_clock_is_manual());
    cr_assert_eq(tk_now_ms(), T0);
    cr_assert_eq(tk_now_ms(), T0, "a manual clock does not move by itself");
    tk_clock_advance(1500);
    cr_assert_eq(tk_now_ms(), T0 + 1500);
    tk_clock_advance(-500);
    cr_assert_eq(tk_now_ms(), T0 + 1000);
    tk_clock_set(42);
    cr_assert_eq(tk_now_ms(), 42);
    tk_clock_advance(3 * DAY_MS);
    cr_assert_eq(tk_now_ms(), 42 + 3 * DAY_MS);
    tk_clock_use_system();
}

Test(clock, system_clock_is_wall_time)
{
    tk_clock_use_manual(5);
    tk_clock_use_system();
    cr_assert_not(tk_clock_is_manual());
    int64_t now = tk_now_ms();
    int64_t wall = (int64_t)time(NULL) * 1000;
    cr_assert(now > wall - 5000 && now < wall + 5000, "now=%lld wall=%lld", (long long)now,
              (long long)wall);
}

Test(clock, monotonic_does_not_go_back)
{
    tk_clock_use_manual(0);
    int64_t a = tk_monotonic_ns();
    tk_clock_advance(-HOUR_MS); /* manual moves do not touch it */
    int64_t b = tk_monotonic_ns();
    cr_assert_geq(b, a);
    cr_assert_gt(a, 0);
    tk_clock_use_system();
}

typedef struct {
    int calls;
    int64_t seen[8];
} listener_log;

static void record_listener(void *ctx)
{
    listener_log *log = ctx;
    if (log->calls < 8)
        log->seen[log->calls] = tk_now_ms();
    log->calls++;
}

Test(clock, listeners_hear_every_manual_change)
{
    listener_log a = {0}, b = {0};
    tk_clock_use_manual(1000);
    tk_clock_add_listener(record_listener, &a);
    tk_clock_add_listener(record_listener, &b);

    tk_clock_set(2000);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.seen[0], 2000, "listener must see the new time");
    cr_assert_eq(b.calls, 1);

    tk_clock_advance(500);
    cr_assert_eq(a.calls, 2);
    cr_assert_eq(a.seen[1], 2500);
    cr_assert_eq(b.calls, 2);

    /* Removal matches fn and ctx: b stays. */
    tk_clock_remove_listener(record_listener, &a);
    tk_clock_advance(1);
    cr_assert_eq(a.calls, 2);
    cr_assert_eq(b.calls, 3);
    cr_assert_eq(b.seen[2], 2501);

    tk_clock_use_system(); /* switching sources is a change too */
    cr_assert_eq(b.calls, 4);
    tk_clock_remove_listener(record_listener, &b);
    tk_clock_use_manual(0);
    cr_assert_eq(b.calls, 4);
    tk_clock_use_system();
}

/* ---- time format/parse ---- */

static int64_t parse_ok(const char *s)
{
    int64_t ms = -777;
    cr_assert(tk_time_parse(s, &ms), "\"%s\" rejected", s);
    return ms;
}

static void parse_bad(const char *s)
{
    int64_t ms = -777;
    cr_assert_not(tk_time_parse(s, &ms), "\"%s\" accepted as %lld", s, (long long)ms);
}

Test(time, format_is_shanghai_local)
{
    char out[32];
    tk_time_format(T0, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13T16:00:00+08:00");
    tk_time_format(0, out, sizeof out);
    cr_assert_str_eq(out, "1970-01-01T08:00:00+08:00");
    /* Before the epoch: floor, not truncation toward zero. */
    tk_time_format(-1, out, sizeof out);
    cr_assert_str_eq(out, "1970-01-01T07:59:59+08:00");
    tk_time_format(-8 * HOUR_MS - 1, out, sizeof out);
    cr_assert_str_eq(out, "1969-12-31T23:59:59+08:00");
    /* Milliseconds are dropped. */
    tk_time_format(T0 + 999, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13T16:00:00+08:00");
    /* Local midnight rolls the date. */
    tk_time_format(T0 + 8 * HOUR_MS, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-14T00:00:00+08:00");
}

Test(time, date_format)
{
    char out[11];
    tk_date_format(T0, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13");
    /* 2026-02-13T23:59:59Z is already the 14th in Shanghai. */
    tk_date_format(T0 + 16 * HOUR_MS - 1000, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-14");
    tk_date_format(T0 + 16 * HOUR_MS - 1000 - 8 * HOUR_MS, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13");
}

Test(time, parse_zones)
{
    cr_assert_eq(parse_ok("2026-02-13T16:00:00+08:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13T08:00:00Z"), T0);
    cr_assert_eq(parse_ok("2026-02-13T03:00:00-05:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13T13:30:00+05:30"), T0);
    cr_assert_eq(parse_ok("2026-02-13T08:00:00+00:00"), T0);
    /* No zone means Asia/Shanghai. */
    cr_assert_eq(parse_ok("2026-02-13T16:00:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13T16:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13 16:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13T16:00+08:00"), T0);
    cr_assert_eq(parse_ok("2026-02-13T08:00Z"), T0);
}

Test(time, parse_seconds_and_fractions)
{
    cr_assert_eq(parse_ok("2026-02-13T16:00:59"), T0 + 59000);
    cr_assert_eq(parse_ok("2026-02-13T16:00:00.5Z"), T0 + 8 * HOUR_MS + 500);
    cr_assert_eq(parse_ok("2026-02-13T16:00:00.5"), T0 + 500);
    cr_assert_eq(parse_ok("2026-02-13T16:00:00.05"), T0 + 50);
    cr_assert_eq(parse_ok("2026-02-13T16:00:00.123"), T0 + 123);
    cr_assert_eq(parse_ok("2026-02-13T16:00:00.123999+08:00"), T0 + 123);
    cr_assert_eq(parse_ok("2024-02-29T12:34:56Z"), 1709210096000LL);
}

Test(time, parse_rejects_impossible_dates_and_times)
{
    parse_bad("2026-02-30T00:00");
    parse_bad("2026-02-29T00:00"); /* 2026 is not a leap year */
    parse_ok("2024-02-29T00:00");
    parse_bad("2100-02-29T00:00"); /* a century, not a leap year */
    parse_ok("2000-02-29T00:00");  /* 400 years: leap */
    parse_bad("2026-04-31T00:00");
    parse_bad("2026-13-01T00:00");
    parse_bad("2026-00-10T00:00");
    parse_bad("2026-01-00T00:00");
    parse_bad("2026-01-01T24:00");
    parse_bad("2026-01-01T24:00:00+08:00");
    parse_bad("2026-01-01T23:60");
    parse_bad("2026-01-01T23:59:60"); /* no leap seconds */
    parse_bad("1969-12-31T23:59Z");   /* outside the supported years */
}

Test(time, parse_rejects_bad_syntax)
{
    int64_t ms;
    cr_assert_not(tk_time_parse(NULL, &ms));
    parse_bad("");
    parse_bad("2026-02-13");
    parse_bad("2026-02-13T16");
    parse_bad("2026-2-13T16:00");
    parse_bad("2026/02/13T16:00");
    parse_bad("2026-02-13X16:00");
    parse_bad("2026-02-13T16-00");
    parse_bad("2026-02-13T1a:00");
    parse_bad("abcd-02-13T16:00");
    parse_bad("2026-02-13T16:00:0");
    parse_bad("2026-02-13T16:00:00."); /* fraction without digits */
    parse_bad("2026-02-13T16:00:00.Z");
    parse_bad("2026-02-13T16:00:00+08");
    parse_bad("2026-02-13T16:00:00+0800");
    parse_bad("2026-02-13T16:00:00+08:0");
    parse_bad("2026-02-13T16:00:00+15:00");
    parse_bad("2026-02-13T16:00:00+08:60");
}

Test(time, parse_rejects_trailing_junk)
{
    parse_bad("2026-02-13T16:00:00Zx");
    parse_bad("2026-02-13T16:00:00ZZ");
    parse_bad("2026-02-13T16:00:00+08:00 ");
    parse_bad("2026-02-13T16:00:00+08:00Z");
    parse_bad("2026-02-13T16:00x");
    parse_bad("2026-02-13T16:00:00 ");
    parse_bad("2026-02-13T16:00:00.5s");
}

Test(time, format_parse_round_trip)
{
    char out[32];
    /* Every 7919 s over ten years, plus both ends of the supported range. */
    for (int64_t ms = 0; ms < 10 * 366 * DAY_MS; ms += 7919000) {
        tk_time_format(ms, out, sizeof out);
        int64_t back = -1;
        if (!tk_time_parse(out, &back) || back != ms)
            cr_assert_fail("%lld -> %s -> %lld", (long long)ms, out, (long long)back);
    }
    int64_t far = (tk_days_from_civil(2200, 12, 31) * DAY_MS) + 15 * HOUR_MS + 59 * 60000 + 59000;
    tk_time_format(far, out, sizeof out);
    cr_assert_str_eq(out, "2200-12-31T23:59:59+08:00");
    cr_assert_eq(parse_ok(out), far);
}

/* ---- dates ---- */

Test(date, parse_gives_local_midnight)
{
    int64_t ms = 0;
    cr_assert(tk_date_parse("2026-02-13", &ms));
    cr_assert_eq(ms, T0 - 16 * HOUR_MS);
    char out[32];
    tk_time_format(ms, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13T00:00:00+08:00");
    tk_date_format(ms, out, sizeof out);
    cr_assert_str_eq(out, "2026-02-13");
    cr_assert(tk_date_parse("1970-01-01", &ms));
    cr_assert_eq(ms, -8 * HOUR_MS);
    cr_assert(tk_date_parse("2024-02-29", &ms));
}

Test(date, day_start_is_local_midnight)
{
    int64_t midnight = 0;
    cr_assert(tk_date_parse("2026-02-13", &midnight));
    cr_assert_eq(tk_day_start(midnight), midnight);
    cr_assert_eq(tk_day_start(midnight + 1), midnight);
    cr_assert_eq(tk_day_start(midnight + 24 * HOUR_MS - 1), midnight);
    cr_assert_eq(tk_day_start(midnight - 1), midnight - 24 * HOUR_MS);
    /* 15:59 in Shanghai is 07:59 UTC: still the same day. 1970-01-01 began at -8 h. */
    cr_assert_eq(tk_day_start(midnight + 16 * HOUR_MS - 1), midnight);
    cr_assert_eq(tk_day_start(-8 * HOUR_MS), -8 * HOUR_MS);
    cr_assert_eq(tk_day_start(-8 * HOUR_MS - 1), -32 * HOUR_MS);
}

Test(date, parse_rejects)
{
    const char *bad[] = {
        "2026-02-30", "2026-02-29", "2026-2-13", "2026-02-13T00:00", "2026-02-13 ", " 2026-02-13",
        "20260213",   "2026-02-1x", "",          "2026-13-01",       "1969-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 5;
        cr_assert_not(tk_date_parse(bad[i], &ms), "\"%s\" accepted", bad[i]);
        cr_assert_eq(ms, 5);
    }
    int64_t ms;
    cr_assert_not(tk_date_parse(NULL, &ms));
}

Test(date, days_from_civil_known_values)
{
    cr_assert_eq(tk_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(tk_days_from_civil(1969, 12, 31), -1);
    cr_assert_eq(tk_days_from_civil(2000, 2, 29), 11016);
    cr_assert_eq(tk_days_from_civil(2000, 3, 1), 11017);
    cr_assert_eq(tk_days_from_civil(2026, 2, 13), 20497);
    cr_assert_eq(tk_days_from_civil(1600, 1, 1), -135140);
    cr_assert_eq(tk_days_from_civil(1, 1, 1), -719162);
    cr_assert_eq(tk_days_from_civil(2200, 12, 31), 84370);
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

Test(date, civil_round_trip_day_by_day)
{
    /* Walk day by day from 0400-03-01 to 2400-03-01 and compare against an
     * independent calendar. */
    int y = 400, m = 3, d = 1;
    int64_t start = tk_days_from_civil(y, m, d);
    for (int64_t z = start; z < start + 146097 * 5; z++) {
        int cy, cm, cd;
        tk_civil_from_days(z, &cy, &cm, &cd);
        if (cy != y || cm != m || cd != d)
            cr_assert_fail("day %lld: got %d-%d-%d, want %d-%d-%d", (long long)z, cy, cm, cd, y, m,
                           d);
        if (tk_days_from_civil(y, m, d) != z)
            cr_assert_fail("%d-%d-%d: days %lld, want %lld", y, m, d,
                           (long long)tk_days_from_civil(y, m, d), (long long)z);
        if (++d > days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    cr_assert_eq(y, 2400);
    cr_assert_eq(m, 3);
    cr_assert_eq(d, 1);
}

Test(date, civil_round_trip_far_range)
{
    for (int64_t z = -3000000; z <= 3000000; z += 997) {
        int y, m, d;
        tk_civil_from_days(z, &y, &m, &d);
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || tk_days_from_civil(y, m, d) != z)
            cr_assert_fail("day %lld -> %d-%d-%d", (long long)z, y, m, d);
    }
}
