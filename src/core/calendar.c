/*
 * calendar.c - the work calendar: schedules by span of the year, special days
 * (holiday / 调休上班) kept sorted for binary search, the CSV loader, and the
 * deadline arithmetic, which walks day by day and skips a whole day by its total.
 *
 * Nothing here writes to a calendar from a const function, which is what makes a
 * built calendar safe to share between threads.
 */
#include "core/calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"

#define MIN_MS  60000LL
#define DAY_MS  86400000LL
#define DAY_MIN 1440

typedef struct {
    int from; /* month * 100 + day */
    int to;
    tk_calendar_hours week[7]; /* [0] Monday .. [6] Sunday */
} schedule;

typedef struct {
    int64_t day; /* days since 1970-01-01, local */
    tk_calendar_day_kind kind;
    char *name; /* owned, never NULL */
} special_day;

struct tk_calendar {
    schedule *schedules; /* later entries win */
    size_t nschedules;
    special_day *days; /* sorted by day, unique */
    size_t ndays;
    size_t days_cap;
    bool has_hours; /* some schedule has an interval; false means no working time at all */
};

static const tk_calendar_hours no_hours;
static const char *const weekday_names[7] = {"周一", "周二", "周三", "周四",
                                             "周五", "周六", "周日"};

/* ---- small helpers ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static bool in_range(int64_t ms)
{
    return ms >= -TK_CALENDAR_LIMIT_MS && ms <= TK_CALENDAR_LIMIT_MS;
}

static int64_t local_day(int64_t ms)
{
    return floor_div(ms + TK_TZ_OFFSET_MS, DAY_MS);
}

static int64_t day_start_ms(int64_t day)
{
    return day * DAY_MS - TK_TZ_OFFSET_MS;
}

static int weekday_of(int64_t day)
{
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

static int hours_total(const tk_calendar_hours *h)
{
    int total = 0;
    for (int i = 0; i < h->count; i++)
        total += h->iv[i].end - h->iv[i].start;
    return total;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A user-supplied piece may be echoed in a message only if it is short, valid
 * UTF-8 and free of control characters; the message ends up in JSON. */
static bool echoable(tk_slice s)
{
    if (s.len == 0 || s.len > 32 || tk_utf8_length(s.ptr, s.len) < 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
            return false;
    return true;
}

static bool valid_name(tk_slice s)
{
    long n = tk_utf8_length(s.ptr, s.len);
    if (n < 0 || n > TK_CALENDAR_NAME_MAX)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
            return false;
    return true;
}

static char *dup_slice(tk_slice s)
{
    char *p = tk_xmalloc(s.len + 1);
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

/* "YYYY-MM-DD" as a slice -> local day number. */
static bool parse_date_slice(tk_slice s, int64_t *day)
{
    char buf[11];
    int64_t ms;
    if (s.len != 10)
        return false;
    memcpy(buf, s.ptr, 10);
    buf[10] = '\0';
    if (!tk_date_parse(buf, &ms))
        return false;
    *day = local_day(ms);
    return true;
}

/* "MM-DD" -> month * 100 + day; Feb 29 is allowed (it exists in leap years). */
static bool parse_mmdd(const char *s, int *out)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 5 || s[2] != '-' || !is_digit(s[0]) || !is_digit(s[1]) ||
        !is_digit(s[3]) || !is_digit(s[4]))
        return false;
    int m = (s[0] - '0') * 10 + (s[1] - '0');
    int d = (s[3] - '0') * 10 + (s[4] - '0');
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    *out = m * 100 + d;
    return true;
}

/* ---- hours ---- */

/* "H:MM" or "HH:MM", 00:00..24:00 -> minutes. */
static bool parse_hhmm(tk_slice s, int *out)
{
    s = tk_slice_trim(s);
    if (s.len != 4 && s.len != 5)
        return false;
    size_t hl = s.len - 3;
    if (s.ptr[hl] != ':' || !is_digit(s.ptr[0]) || !is_digit(s.ptr[hl - 1]) ||
        !is_digit(s.ptr[hl + 1]) || !is_digit(s.ptr[hl + 2]))
        return false;
    int h = hl == 2 ? (s.ptr[0] - '0') * 10 + (s.ptr[1] - '0') : s.ptr[0] - '0';
    int m = (s.ptr[hl + 1] - '0') * 10 + (s.ptr[hl + 2] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *out = h * 60 + m;
    return true;
}

static tk_status hours_fail(tk_error *err, tk_slice item, const char *why)
{
    if (echoable(item))
        return tk_fail(err, TK_EVALID, "calendar_hours_invalid", "时段 %.*s %s", (int)item.len,
                       item.ptr, why);
    return tk_fail(err, TK_EVALID, "calendar_hours_invalid", "时段%s", why);
}

tk_status tk_calendar_parse_hours(const char *spec, tk_calendar_hours *out, tk_error *err)
{
    tk_calendar_hours h = {0};
    tk_slice rest = tk_slice_trim(tk_slice_of(spec));
    if (rest.len == 0) {
        *out = h;
        return TK_OK;
    }
    tk_slice item;
    while (tk_slice_cut(&rest, ',', &item)) {
        item = tk_slice_trim(item);
        tk_slice end_s = item, start_s;
        /* Without a '-', tk_slice_cut leaves end_s as {NULL, 0}. */
        if (!tk_slice_cut(&end_s, '-', &start_s) || end_s.ptr == NULL)
            return hours_fail(err, item, "格式无效，应为 HH:MM-HH:MM，多段以英文逗号分隔");
        int start, end;
        if (!parse_hhmm(start_s, &start) || !parse_hhmm(end_s, &end))
            return hours_fail(err, item, "格式无效，应为 HH:MM-HH:MM，时间在 00:00 到 24:00 之间");
        if (start >= end)
            return hours_fail(err, item, "的开始时间须早于结束时间");
        if (h.count > 0 && start < h.iv[h.count - 1].end)
            return hours_fail(err, item, "与前一时段重叠或顺序颠倒，时段须按时间先后排列");
        if (h.count == TK_CALENDAR_MAX_INTERVALS)
            return tk_fail(err, TK_EVALID, "calendar_hours_invalid", "每天最多 %d 个时段",
                           TK_CALENDAR_MAX_INTERVALS);
        h.iv[h.count].start = start;
        h.iv[h.count].end = end;
        h.count++;
    }
    *out = h;
    return TK_OK;
}

void tk_calendar_hours_format(const tk_calendar_hours *h, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < h->count && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%02d:%02d-%02d:%02d", i ? "," : "",
                         h->iv[i].start / 60, h->iv[i].start % 60, h->iv[i].end / 60,
                         h->iv[i].end % 60);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

/* ---- building ---- */

tk_calendar *tk_calendar_new(void)
{
    tk_calendar *cal = tk_xcalloc(1, sizeof *cal);
    cal->schedules = tk_xcalloc(TK_CALENDAR_MAX_SCHEDULES, sizeof *cal->schedules);
    schedule *s = &cal->schedules[0];
    s->from = 101;
    s->to = 1231;
    for (int wd = 0; wd < 5; wd++) {
        s->week[wd].count = 2;
        s->week[wd].iv[0] = (tk_calendar_interval){8 * 60 + 30, 12 * 60};
        s->week[wd].iv[1] = (tk_calendar_interval){14 * 60, 17 * 60 + 30};
    }
    cal->nschedules = 1;
    cal->has_hours = true;
    return cal;
}

void tk_calendar_free(tk_calendar *cal)
{
    if (!cal)
        return;
    for (size_t i = 0; i < cal->ndays; i++)
        free(cal->days[i].name);
    free(cal->days);
    free(cal->schedules);
    free(cal);
}

static bool schedule_covers(const schedule *s, int mmdd)
{
    if (s->from <= s->to)
        return mmdd >= s->from && mmdd <= s->to;
    return mmdd >= s->from || mmdd <= s->to;
}

static bool schedule_covers_year(const schedule *s)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= mdays[m - 1]; d++)
            if (!schedule_covers(s, m * 100 + d))
                return false;
    return true;
}

/* A schedule that covers the whole year hides every earlier one, so only it and
 * the later ones can give working time. Knowing that there is none lets the add_*
 * functions answer TK_CALENDAR_NEVER at once instead of searching the horizon. */
static void update_has_hours(tk_calendar *cal)
{
    size_t live = 0;
    for (size_t i = cal->nschedules; i-- > 0;) {
        if (schedule_covers_year(&cal->schedules[i])) {
            live = i;
            break;
        }
    }
    cal->has_hours = false;
    for (size_t i = live; i < cal->nschedules; i++)
        for (int wd = 0; wd < 7; wd++)
            if (cal->schedules[i].week[wd].count > 0)
                cal->has_hours = true;
}

tk_status tk_calendar_add_schedule(tk_calendar *cal, const char *from_mmdd, const char *to_mmdd,
                                   const char *const weekday_specs[7], tk_error *err)
{
    schedule s = {0};
    if (!parse_mmdd(from_mmdd, &s.from) || !parse_mmdd(to_mmdd, &s.to))
        return tk_fail(err, TK_EVALID, "calendar_schedule_invalid",
                       "作息适用日期须为 MM-DD 格式的有效日期（如 05-01）");
    for (int wd = 0; wd < 7; wd++) {
        tk_error e;
        tk_error_clear(&e);
        if (tk_calendar_parse_hours(weekday_specs ? weekday_specs[wd] : NULL, &s.week[wd], &e))
            return tk_fail(err, TK_EVALID, e.code, "%s：%s", weekday_names[wd], e.detail);
    }
    if (cal->nschedules >= TK_CALENDAR_MAX_SCHEDULES)
        return tk_fail(err, TK_EVALID, "calendar_too_many_schedules", "作息时间最多 %d 套",
                       TK_CALENDAR_MAX_SCHEDULES);
    cal->schedules[cal->nschedules++] = s;
    update_has_hours(cal);
    return TK_OK;
}

/* Index of the first special day >= day. */
static size_t special_lower_bound(const tk_calendar *cal, int64_t day)
{
    size_t lo = 0, hi = cal->ndays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const special_day *special_find(const tk_calendar *cal, int64_t day)
{
    size_t i = special_lower_bound(cal, day);
    return i < cal->ndays && cal->days[i].day == day ? &cal->days[i] : NULL;
}

/* Cannot fail: input is already validated. */
static void special_put(tk_calendar *cal, int64_t day, tk_calendar_day_kind kind, tk_slice name)
{
    size_t i = special_lower_bound(cal, day);
    bool exists = i < cal->ndays && cal->days[i].day == day;
    if (kind == TK_CALENDAR_NORMAL) {
        if (!exists)
            return;
        free(cal->days[i].name);
        memmove(&cal->days[i], &cal->days[i + 1], (cal->ndays - i - 1) * sizeof *cal->days);
        cal->ndays--;
        return;
    }
    if (exists) {
        free(cal->days[i].name);
    } else {
        if (cal->ndays == cal->days_cap) {
            cal->days_cap = cal->days_cap ? cal->days_cap * 2 : 64;
            cal->days = tk_xrealloc(cal->days, cal->days_cap * sizeof *cal->days);
        }
        memmove(&cal->days[i + 1], &cal->days[i], (cal->ndays - i) * sizeof *cal->days);
        cal->ndays++;
    }
    cal->days[i] = (special_day){day, kind, dup_slice(name)};
}

tk_status tk_calendar_set_day(tk_calendar *cal, const char *date, tk_calendar_day_kind kind,
                              const char *name, tk_error *err)
{
    int64_t day;
    if (!parse_date_slice(tk_slice_of(date), &day))
        return tk_fail(err, TK_EVALID, "calendar_date_invalid",
                       "日期须为 YYYY-MM-DD 格式的有效日期（1970 至 2200 年）");
    if (kind != TK_CALENDAR_NORMAL && kind != TK_CALENDAR_HOLIDAY && kind != TK_CALENDAR_WORKDAY)
        return tk_fail(err, TK_EVALID, "calendar_kind_invalid", "日期类型无效");
    tk_slice n = tk_slice_trim(tk_slice_of(name));
    if (!valid_name(n))
        return tk_fail(err, TK_EVALID, "calendar_name_invalid",
                       "名称须为不含控制字符的文本，最多 %d 个字", TK_CALENDAR_NAME_MAX);
    special_put(cal, day, kind, n);
    return TK_OK;
}

size_t tk_calendar_special_day_count(const tk_calendar *cal)
{
    return cal->ndays;
}

int tk_calendar_marked_years(const tk_calendar *cal, int *years, int max)
{
    int n = 0;
    for (size_t i = 0; i < cal->ndays; i++) { /* sorted by day: the years come in order */
        int y, m, d;
        tk_civil_from_days(cal->days[i].day, &y, &m, &d);
        if (n > 0 && years[n - 1] == y)
            continue;
        if (n == max)
            break;
        years[n++] = y;
    }
    return n;
}

/* ---- CSV ---- */

typedef struct {
    int line;
    int ncols;
    tk_slice date, kind, name;
    int64_t day;
    tk_calendar_day_kind k;
    bool date_ok, kind_ok, name_ok;
    int dup_of; /* line of an earlier row with the same date, 0 if none */
} csv_row;

typedef struct {
    int64_t day;
    size_t idx;
} day_index;

static int cmp_day_index(const void *a, const void *b)
{
    const day_index *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Splits a line into at most 3 trimmed fields; returns the column count. */
static int split_fields(tk_slice line, tk_slice f[3])
{
    int n = 0;
    tk_slice col;
    while (tk_slice_cut(&line, ',', &col)) {
        if (n < 3)
            f[n] = tk_slice_trim(col);
        n++;
    }
    return n;
}

/* Appends to a fixed message buffer, silently stopping at its end. */
static void msg_add(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void msg_add(char *out, size_t size, const char *fmt, ...)
{
    size_t used = strlen(out);
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + used, size - used, fmt, ap);
    va_end(ap);
}

static void row_message(const csv_row *r, char *out, size_t size)
{
    out[0] = '\0';
    msg_add(out, size, "第 %d 行：", r->line);
    if (r->ncols != 3) {
        msg_add(out, size, "应有 3 列（date,kind,name），实际 %d 列", r->ncols);
        return;
    }
    const char *sep = "";
    if (!r->date_ok) {
        if (echoable(r->date))
            msg_add(out, size, "日期 %.*s 无效", (int)r->date.len, r->date.ptr);
        else if (r->date.len == 0)
            msg_add(out, size, "日期为空");
        else
            msg_add(out, size, "日期无效（应为 YYYY-MM-DD）");
        sep = "，";
    }
    if (!r->kind_ok) {
        if (echoable(r->kind))
            msg_add(out, size, "%s类型 %.*s 未知（应为 holiday 或 workday）", sep, (int)r->kind.len,
                    r->kind.ptr);
        else
            msg_add(out, size, "%s类型无效（应为 holiday 或 workday）", sep);
        sep = "，";
    }
    if (!r->name_ok) {
        msg_add(out, size, "%s名称须为不含控制字符的文本，最多 %d 个字", sep, TK_CALENDAR_NAME_MAX);
        sep = "，";
    }
    if (r->dup_of)
        msg_add(out, size, "%s日期 %.*s 与第 %d 行重复", sep, (int)r->date.len, r->date.ptr,
                r->dup_of);
}

static bool row_bad(const csv_row *r)
{
    return r->ncols != 3 || !r->date_ok || !r->kind_ok || !r->name_ok || r->dup_of;
}

static void report_add(tk_calendar_csv_report *rep, size_t *cap, int line, const char *msg)
{
    if (rep->error_count == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        rep->errors = tk_xrealloc(rep->errors, *cap * sizeof *rep->errors);
    }
    tk_calendar_line_error *e = &rep->errors[rep->error_count++];
    e->line = line;
    snprintf(e->message, sizeof e->message, "%s", msg);
}

/* err->detail holds 400 bytes: list lines while they fit, then say how many more. */
static tk_status csv_fail(tk_error *err, const tk_calendar_csv_report *rep)
{
    char detail[sizeof err->detail];
    detail[0] = '\0';
    msg_add(detail, sizeof detail, "日历文件有 %zu 行错误，未导入任何日期：", rep->error_count);
    size_t budget = sizeof detail - 40; /* room for the "等 N 行" tail */
    size_t shown = 0;
    for (; shown < rep->error_count; shown++) {
        const char *m = rep->errors[shown].message;
        if (strlen(detail) + strlen(m) + 4 > budget)
            break;
        msg_add(detail, sizeof detail, "%s%s", shown ? "；" : "", m);
    }
    if (shown < rep->error_count)
        msg_add(detail, sizeof detail, "%s等另 %zu 行", shown ? "；" : "",
                rep->error_count - shown);
    return tk_fail(err, TK_EVALID, "calendar_csv_invalid", "%s", detail);
}

static bool header_ok(tk_slice line)
{
    tk_slice f[3];
    return split_fields(line, f) == 3 && tk_slice_eq(f[0], "date") && tk_slice_eq(f[1], "kind") &&
           tk_slice_eq(f[2], "name");
}

static void parse_row(csv_row *r, tk_slice line)
{
    tk_slice f[3] = {{0}};
    r->ncols = split_fields(line, f);
    if (r->ncols != 3)
        return;
    r->date = f[0];
    r->kind = f[1];
    r->name = f[2];
    r->date_ok = parse_date_slice(r->date, &r->day);
    if (tk_slice_eq(r->kind, "holiday")) {
        r->k = TK_CALENDAR_HOLIDAY;
        r->kind_ok = true;
    } else if (tk_slice_eq(r->kind, "workday")) {
        r->k = TK_CALENDAR_WORKDAY;
        r->kind_ok = true;
    }
    r->name_ok = valid_name(r->name);
}

/* Marks every row whose date appeared on an earlier line. */
static void mark_duplicates(csv_row *rows, size_t nrows)
{
    day_index *ix = tk_xmalloc((nrows ? nrows : 1) * sizeof *ix);
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].ncols == 3 && rows[i].date_ok)
            ix[n++] = (day_index){rows[i].day, i};
    qsort(ix, n, sizeof *ix, cmp_day_index);
    size_t first = 0; /* the earliest row of the current run of equal dates */
    for (size_t i = 1; i < n; i++) {
        if (ix[i].day != ix[first].day)
            first = i;
        else
            rows[ix[i].idx].dup_of = rows[ix[first].idx].line;
    }
    free(ix);
}

tk_status tk_calendar_load_csv(tk_calendar *cal, const char *text, size_t len,
                               tk_calendar_csv_report *report, tk_error *err)
{
    tk_calendar_csv_report local = {0};
    tk_calendar_csv_report *rep = report ? report : &local;
    size_t err_cap = 0;
    rep->rows = 0;
    rep->error_count = 0;
    rep->errors = NULL;
    if (len > TK_CALENDAR_CSV_MAX_BYTES)
        return tk_fail(err, TK_ETOOBIG, "calendar_csv_too_big", "日历文件超过 %d KiB",
                       TK_CALENDAR_CSV_MAX_BYTES / 1024);

    tk_slice rest = {text ? text : "", text ? len : 0};
    if (tk_slice_starts_with(rest, "\xEF\xBB\xBF")) {
        rest.ptr += 3;
        rest.len -= 3;
    }
    csv_row *rows = NULL;
    size_t nrows = 0, rows_cap = 0;
    int header_line = 0, line_no = 0;
    bool header_good = false;
    tk_slice raw;
    while (tk_slice_cut(&rest, '\n', &raw)) {
        line_no++;
        tk_slice line = tk_slice_trim(raw);
        if (line.len == 0 || line.ptr[0] == '#')
            continue;
        if (!header_line) {
            header_line = line_no;
            header_good = header_ok(line);
            continue;
        }
        if (nrows == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 128;
            rows = tk_xrealloc(rows, rows_cap * sizeof *rows);
        }
        csv_row *r = &rows[nrows++];
        *r = (csv_row){.line = line_no};
        parse_row(r, line);
    }
    rep->rows = nrows;
    mark_duplicates(rows, nrows);

    if (!header_line)
        report_add(rep, &err_cap, 1, "第 1 行：缺少表头 date,kind,name");
    else if (!header_good) {
        char msg[96];
        snprintf(msg, sizeof msg, "第 %d 行：表头应为 date,kind,name", header_line);
        report_add(rep, &err_cap, header_line, msg);
    }
    for (size_t i = 0; i < nrows; i++) {
        if (!row_bad(&rows[i]))
            continue;
        char msg[sizeof rep->errors[0].message];
        row_message(&rows[i], msg, sizeof msg);
        report_add(rep, &err_cap, rows[i].line, msg);
    }

    tk_status st = TK_OK;
    if (rep->error_count) {
        st = csv_fail(err, rep);
    } else {
        for (size_t i = 0; i < nrows; i++)
            special_put(cal, rows[i].day, rows[i].k, rows[i].name);
    }
    free(rows);
    if (!report)
        tk_calendar_csv_report_free(&local);
    return st;
}

void tk_calendar_csv_report_free(tk_calendar_csv_report *report)
{
    if (!report)
        return;
    free(report->errors);
    report->errors = NULL;
    report->error_count = 0;
}

/* ---- reading ---- */

static const schedule *schedule_for(const tk_calendar *cal, int mmdd)
{
    for (size_t i = cal->nschedules; i-- > 0;) {
        if (schedule_covers(&cal->schedules[i], mmdd))
            return &cal->schedules[i];
    }
    return NULL;
}

/* The hours that apply on a local day, and its special mark if any. */
static const tk_calendar_hours *day_hours(const tk_calendar *cal, int64_t day,
                                          const special_day **mark)
{
    const special_day *sp = special_find(cal, day);
    if (mark)
        *mark = sp;
    if (sp && sp->kind == TK_CALENDAR_HOLIDAY)
        return &no_hours;
    int y, m, d;
    tk_civil_from_days(day, &y, &m, &d);
    const schedule *s = schedule_for(cal, m * 100 + d);
    if (!s)
        return &no_hours;
    if (sp && sp->kind == TK_CALENDAR_WORKDAY)
        return &s->week[0];
    return &s->week[weekday_of(day) - 1];
}

bool tk_calendar_is_workday(const tk_calendar *cal, int64_t ms)
{
    if (!in_range(ms))
        return false;
    return day_hours(cal, local_day(ms), NULL)->count > 0;
}

bool tk_calendar_is_working_time(const tk_calendar *cal, int64_t ms)
{
    if (!in_range(ms))
        return false;
    int64_t day = local_day(ms);
    int64_t pos = ms - day_start_ms(day);
    const tk_calendar_hours *h = day_hours(cal, day, NULL);
    for (int i = 0; i < h->count; i++)
        if (pos >= h->iv[i].start * MIN_MS && pos < h->iv[i].end * MIN_MS)
            return true;
    return false;
}

bool tk_calendar_describe_day(const tk_calendar *cal, int64_t ms, tk_calendar_day *out)
{
    memset(out, 0, sizeof *out);
    if (!in_range(ms))
        return false;
    int64_t day = local_day(ms);
    const special_day *sp;
    const tk_calendar_hours *h = day_hours(cal, day, &sp);
    out->start_ms = day_start_ms(day);
    tk_date_format(out->start_ms, out->date, sizeof out->date);
    out->weekday = weekday_of(day);
    if (sp) {
        out->kind = sp->kind;
        snprintf(out->name, sizeof out->name, "%s", sp->name);
    }
    out->hours = *h;
    out->work_minutes = hours_total(h);
    out->is_workday = h->count > 0;
    return true;
}

int64_t tk_calendar_add_work_minutes(const tk_calendar *cal, int64_t start_ms, int64_t minutes)
{
    if (!in_range(start_ms))
        return TK_CALENDAR_NEVER;
    if (minutes <= 0)
        return start_ms;
    if (!cal->has_hours || minutes > (int64_t)TK_CALENDAR_HORIZON_DAYS * DAY_MIN)
        return TK_CALENDAR_NEVER;
    int64_t remaining = minutes * MIN_MS;
    int64_t day = local_day(start_ms);
    int64_t pos = start_ms - day_start_ms(day); /* ms into the day; 0 after the first */
    for (int64_t i = 0; i <= TK_CALENDAR_HORIZON_DAYS; i++, day++, pos = 0) {
        const tk_calendar_hours *h = day_hours(cal, day, NULL);
        if (pos == 0) {
            int64_t total = hours_total(h) * MIN_MS;
            if (total < remaining) { /* strictly less: an exact fit ends inside this day */
                remaining -= total;
                continue;
            }
        }
        for (int k = 0; k < h->count; k++) {
            int64_t s = h->iv[k].start * MIN_MS, e = h->iv[k].end * MIN_MS;
            if (s < pos)
                s = pos;
            if (s >= e)
                continue;
            if (remaining <= e - s)
                return day_start_ms(day) + s + remaining;
            remaining -= e - s;
        }
    }
    return TK_CALENDAR_NEVER;
}

int64_t tk_calendar_add_work_days(const tk_calendar *cal, int64_t start_ms, int64_t n)
{
    if (!in_range(start_ms) || !cal->has_hours || n > TK_CALENDAR_HORIZON_DAYS)
        return TK_CALENDAR_NEVER;
    int64_t day = local_day(start_ms);
    if (n <= 0) {
        /* The start day itself if it works, else the first working day after it. */
        n = 1;
        day--;
    }
    for (int64_t i = 0; i < TK_CALENDAR_HORIZON_DAYS; i++) {
        day++;
        const tk_calendar_hours *h = day_hours(cal, day, NULL);
        if (h->count == 0)
            continue;
        if (--n == 0)
            return day_start_ms(day) + h->iv[h->count - 1].end * MIN_MS;
    }
    return TK_CALENDAR_NEVER;
}

int64_t tk_calendar_add_natural_days(int64_t start_ms, int64_t n)
{
    int64_t delta, out;
    if (__builtin_mul_overflow(n, DAY_MS, &delta) || __builtin_add_overflow(start_ms, delta, &out))
        return TK_CALENDAR_NEVER;
    return out;
}

int64_t tk_calendar_work_minutes_between(const tk_calendar *cal, int64_t a_ms, int64_t b_ms)
{
    if (!in_range(a_ms) || !in_range(b_ms))
        return -1;
    if (b_ms <= a_ms)
        return 0;
    int64_t first = local_day(a_ms), last = local_day(b_ms);
    if (last - first > TK_CALENDAR_HORIZON_DAYS)
        return -1;
    int64_t total = 0;
    for (int64_t day = first; day <= last; day++) {
        const tk_calendar_hours *h = day_hours(cal, day, NULL);
        int64_t base = day_start_ms(day);
        int64_t lo = a_ms - base, hi = b_ms - base; /* [a, b) in this day's ms */
        for (int k = 0; k < h->count; k++) {
            int64_t s = h->iv[k].start * MIN_MS, e = h->iv[k].end * MIN_MS;
            if (s < lo)
                s = lo;
            if (e > hi)
                e = hi;
            if (e > s)
                total += e - s;
        }
    }
    return total / MIN_MS;
}
