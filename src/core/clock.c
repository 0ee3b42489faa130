#include "core/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_bool manual;
static atomic_llong manual_ms;

#define MAX_LISTENERS 8
static pthread_mutex_t listeners_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    tk_clock_listener fn;
    void *ctx;
} listeners[MAX_LISTENERS];

int64_t tk_now_ms(void)
{
    if (atomic_load(&manual))
        return atomic_load(&manual_ms);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tk_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void notify(void)
{
    pthread_mutex_lock(&listeners_lock);
    for (int i = 0; i < MAX_LISTENERS; i++)
        if (listeners[i].fn)
            listeners[i].fn(listeners[i].ctx);
    pthread_mutex_unlock(&listeners_lock);
}

void tk_clock_use_system(void)
{
    atomic_store(&manual, false);
    notify();
}

void tk_clock_use_manual(int64_t start_ms)
{
    atomic_store(&manual_ms, start_ms);
    atomic_store(&manual, true);
    notify();
}

bool tk_clock_is_manual(void)
{
    return atomic_load(&manual);
}

void tk_clock_set(int64_t ms)
{
    atomic_store(&manual_ms, ms);
    notify();
}

void tk_clock_advance(int64_t delta_ms)
{
    atomic_fetch_add(&manual_ms, delta_ms);
    notify();
}

void tk_clock_add_listener(tk_clock_listener fn, void *ctx)
{
    pthread_mutex_lock(&listeners_lock);
    for (int i = 0; i < MAX_LISTENERS; i++) {
        if (!listeners[i].fn) {
            listeners[i].fn = fn;
            listeners[i].ctx = ctx;
            break;
        }
    }
    pthread_mutex_unlock(&listeners_lock);
}

void tk_clock_remove_listener(tk_clock_listener fn, void *ctx)
{
    pthread_mutex_lock(&listeners_lock);
    for (int i = 0; i < MAX_LISTENERS; i++)
        if (listeners[i].fn == fn && listeners[i].ctx == ctx)
            listeners[i].fn = NULL;
    pthread_mutex_unlock(&listeners_lock);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t tk_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tk_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

void tk_time_format(int64_t ms, char *out, size_t size)
{
    int64_t local = ms + TK_TZ_OFFSET_MS;
    int64_t days = floor_div(local, 86400000);
    int64_t rem = local - days * 86400000;
    int y, m, d;
    tk_civil_from_days(days, &y, &m, &d);
    int sec = (int)(rem / 1000);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, sec / 3600, sec / 60 % 60,
             sec % 60);
}

void tk_date_format(int64_t ms, char *out, size_t size)
{
    int64_t days = floor_div(ms + TK_TZ_OFFSET_MS, 86400000);
    int y, m, d;
    tk_civil_from_days(days, &y, &m, &d);
    snprintf(out, size, "%04d-%02d-%02d", y, m, d);
}

int64_t tk_day_start(int64_t ms)
{
    return floor_div(ms + TK_TZ_OFFSET_MS, 86400000) * 86400000 - TK_TZ_OFFSET_MS;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

bool tk_date_parse(const char *s, int64_t *ms)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !valid_date(y, m, d))
        return false;
    *ms = tk_days_from_civil(y, m, d) * 86400000 - TK_TZ_OFFSET_MS;
    return true;
}

bool tk_time_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec = 0, frac = 0;
    if (!s || strlen(s) < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !valid_date(y, mo, d) || h > 23 ||
        mi > 59)
        return false;
    const char *p = s + 16;
    if (*p == ':') {
        if (!digits(p + 1, 2, &sec) || sec > 59)
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                if (n < 3)
                    frac = frac * 10 + (*p - '0');
                n++;
                p++;
            }
            if (n == 0)
                return false;
            for (; n < 3; n++)
                frac *= 10;
        }
    }
    int64_t offset = TK_TZ_OFFSET_MS;
    if (*p == 'Z') {
        offset = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 14 || om > 59)
            return false;
        offset = ((int64_t)oh * 60 + om) * 60000 * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (*p)
        return false;
    int64_t days = tk_days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac - offset;
    return true;
}
