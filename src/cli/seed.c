/*
 * seed.c - loading the reference data shipped in data/ into a database: the work
 * calendar (for every database) and the lists and categories (for the demo).
 * Each file goes in whole or not at all, through the same importers the API uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/csv.h"
#include "core/str.h"
#include "gov/categories.h"
#include "gov/lists.h"
#include "gov/workcal.h"

static char *slurp(const char *dir, const char *name, size_t *len, tk_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        tk_fail(err, TK_EIO, "data_missing",
                "无法读取 %s（请在项目根目录运行，或用 --data 指定数据目录）", path);
        return NULL;
    }
    tk_buf b;
    tk_buf_init(&b, 16 << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tk_buf_append(&b, chunk, n);
    fclose(f);
    return tk_buf_take(&b, len);
}

typedef struct {
    const char *text;
    size_t len;
    int imported;
    tk_calendar_csv_report report;
} calendar_job;

static tk_status calendar_run(tk_conn *c, void *arg, tk_error *err)
{
    calendar_job *j = arg;
    tk_stmt *s = tk_prepare(c, "SELECT count(*) FROM calendar_days", err);
    if (!s)
        return TK_EIO;
    int64_t n = tk_step(s, err) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    if (n != 0)
        return n < 0 ? err->status : TK_OK;
    return tk_workcal_import(c, j->text, j->len, &j->report, &j->imported, err);
}

tk_status tk_cli_seed_calendar(tk_db *db, const char *dir, tk_error *err)
{
    calendar_job j = {0};
    char *text = slurp(dir, "cn-work-calendar-2025-2026.csv", &j.len, err);
    if (!text)
        return TK_EIO;
    j.text = text;
    tk_status st = tk_db_write(db, calendar_run, &j, err);
    for (size_t i = 0; st != TK_OK && i < j.report.error_count; i++)
        fprintf(stderr, "  %s\n", j.report.errors[i].message);
    tk_calendar_csv_report_free(&j.report);
    free(text);
    return st;
}

typedef struct {
    const char *items, *cats, *limits;
    size_t items_len, cats_len, limits_len;
    tk_line_errors errs;
    int added, changed, categories;
} lists_job;

static tk_status lists_run(tk_conn *c, void *arg, tk_error *err)
{
    lists_job *j = arg;
    /* The lists as they stood when the reform's lists were published. */
    if (tk_list_import(c, j->items, j->items_len, "2023-01-01", "演示数据", &j->errs, &j->added,
                       &j->changed, err) != TK_OK)
        return err->status;
    return tk_category_import(c, j->cats, j->cats_len, j->limits, j->limits_len, &j->errs,
                              &j->categories, err);
}

tk_status tk_cli_seed_lists(tk_db *db, const char *dir, tk_error *err)
{
    lists_job j = {0};
    char *items = slurp(dir, "list-items.csv", &j.items_len, err);
    char *cats = items ? slurp(dir, "categories.csv", &j.cats_len, err) : NULL;
    char *limits = cats ? slurp(dir, "category-limits.csv", &j.limits_len, err) : NULL;
    tk_status st = limits ? TK_OK : TK_EIO;
    if (st == TK_OK) {
        j.items = items;
        j.cats = cats;
        j.limits = limits;
        st = tk_db_write(db, lists_run, &j, err);
    }
    for (int i = 0; i < j.errs.n && i < 20; i++)
        fprintf(stderr, "  %s\n", j.errs.items[i].reason);
    tk_line_errors_free(&j.errs);
    free(items);
    free(cats);
    free(limits);
    return st;
}
