#include "gov/categories.h"

#include <stdio.h>
#include <string.h>

#include "core/str.h"

const char *tk_urgency_label(const char *u)
{
    if (!u)
        return NULL;
    return !strcmp(u, "normal")     ? "一般"
           : !strcmp(u, "urgent")   ? "紧急"
           : !strcmp(u, "critical") ? "特急"
                                    : NULL;
}

const char *tk_stage_label(const char *s)
{
    static const struct {
        const char *stage, *label;
    } labels[] = {{"dispatch", "派遣"},
                  {"sign", "签收"},
                  {"handle", "处置"},
                  {"verify", "核查"},
                  {"total", "总时限"}};
    for (size_t i = 0; s && i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i].stage, s))
            return labels[i].label;
    return NULL;
}

static const char *dup(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

#define CAT_SELECT                                                                                 \
    "SELECT c.id, c.code, c.name, p.code, c.accept_condition, c.close_condition, "                 \
    "c.list_item_code, c.default_urgency, "                                                        \
    "NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id), c.active "                  \
    "FROM categories c LEFT JOIN categories p ON p.id = c.parent_id "

static tk_status load_limits(tk_conn *c, tk_arena *a, tk_category *cat, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT urgency, stage, amount, unit FROM category_limits "
                            "WHERE category_id = ?1 ORDER BY urgency, stage",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, cat->id);
    int rc;
    cat->nlimits = 0;
    while ((rc = tk_step(s, err)) == 1 && cat->nlimits < 15) {
        tk_limit *l = &cat->limits[cat->nlimits++];
        l->urgency = dup(a, tk_col_text(s, 0));
        l->stage = dup(a, tk_col_text(s, 1));
        l->amount = tk_col_i64(s, 2);
        l->unit = dup(a, tk_col_text(s, 3));
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

static void cat_from_row(tk_stmt *s, tk_arena *a, tk_category *cat)
{
    memset(cat, 0, sizeof *cat);
    cat->id = tk_col_i64(s, 0);
    cat->code = dup(a, tk_col_text(s, 1));
    cat->name = dup(a, tk_col_text(s, 2));
    cat->parent_code = dup(a, tk_col_text(s, 3));
    cat->accept_condition = dup(a, tk_col_text(s, 4));
    cat->close_condition = dup(a, tk_col_text(s, 5));
    const char *item = tk_col_text(s, 6);
    cat->list_item_code = item && *item ? tk_arena_strdup(a, item) : NULL;
    cat->default_urgency = dup(a, tk_col_text(s, 7));
    cat->leaf = tk_col_i64(s, 8) != 0;
    cat->active = tk_col_i64(s, 9) != 0;
}

tk_status tk_category_get(tk_conn *c, tk_arena *a, const char *code, tk_category *out,
                          tk_error *err)
{
    tk_stmt *s = tk_prepare(c, CAT_SELECT "WHERE c.code = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    int rc = tk_step(s, err);
    if (rc == 1)
        cat_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail(err, TK_ENOTFOUND, "category_not_found", "没有事件类别 %s", code);
    return load_limits(c, a, out, err);
}

tk_status tk_category_list(tk_conn *c, tk_arena *a, bool leaves_only, tk_category_fn fn, void *ctx,
                           tk_error *err)
{
    tk_stmt *s = tk_prepare(c, CAT_SELECT "ORDER BY c.code", err);
    if (!s)
        return TK_EIO;
    /* Collect first: loading limits uses another statement on this connection. */
    int cap = 256, n = 0, rc;
    tk_category *all = tk_arena_alloc(a, (size_t)cap * sizeof *all);
    while ((rc = tk_step(s, err)) == 1) {
        if (n == cap) {
            tk_category *bigger = tk_arena_alloc(a, (size_t)cap * 2 * sizeof *all);
            memcpy(bigger, all, (size_t)n * sizeof *all);
            all = bigger;
            cap *= 2;
        }
        cat_from_row(s, a, &all[n++]);
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    for (int i = 0; i < n; i++) {
        if (leaves_only && !all[i].leaf)
            continue;
        if (all[i].leaf && load_limits(c, a, &all[i], err) != TK_OK)
            return err->status;
        fn(ctx, &all[i]);
    }
    return TK_OK;
}

bool tk_category_limit(const tk_category *cat, const char *urgency, const char *stage,
                       tk_limit *out)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *u = pass == 0 ? urgency : "normal";
        for (int i = 0; i < cat->nlimits; i++)
            if (!strcmp(cat->limits[i].urgency, u) && !strcmp(cat->limits[i].stage, stage)) {
                *out = cat->limits[i];
                return true;
            }
    }
    return false;
}

static bool in_set(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (!strcmp(v, *set))
            return true;
    return false;
}

static tk_status category_id(tk_conn *c, const char *code, int64_t *id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT id FROM categories WHERE code = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    int rc = tk_step(s, err);
    *id = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_category_put(tk_conn *c, const tk_category *cat, bool *created, tk_error *err)
{
    static const char *const urgencies[] = TK_URGENCIES;
    if (!cat->code || !*cat->code || strlen(cat->code) > 16)
        return tk_fail_field(err, "code", "类别编码需要 1 到 16 个字符");
    if (!cat->name || !*cat->name)
        return tk_fail_field(err, "name", "类别名称不能为空");
    if (!in_set(cat->default_urgency, urgencies))
        return tk_fail_field(err, "default_urgency", "默认紧急程度需要 normal、urgent 或 critical");
    int64_t parent = 0, id = 0;
    if (cat->parent_code && *cat->parent_code) {
        if (category_id(c, cat->parent_code, &parent, err) != TK_OK)
            return err->status;
        if (!parent)
            return tk_fail_field(err, "parent_code", "上级类别 %s 不存在", cat->parent_code);
    }
    if (category_id(c, cat->code, &id, err) != TK_OK)
        return err->status;
    *created = id == 0;
    tk_stmt *s =
        tk_prepare(c,
                   id ? "UPDATE categories SET name = ?2, parent_id = ?3, "
                        "accept_condition = ?4, close_condition = ?5, list_item_code = ?6, "
                        "default_urgency = ?7, active = ?8 WHERE code = ?1"
                      : "INSERT INTO categories(code, name, parent_id, accept_condition, "
                        "close_condition, list_item_code, default_urgency, active) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, cat->code);
    tk_bind_text(s, 2, cat->name);
    if (parent)
        tk_bind_i64(s, 3, parent);
    else
        tk_bind_null(s, 3);
    tk_bind_text(s, 4, cat->accept_condition ? cat->accept_condition : "");
    tk_bind_text(s, 5, cat->close_condition ? cat->close_condition : "");
    tk_bind_text(s, 6, cat->list_item_code && *cat->list_item_code ? cat->list_item_code : NULL);
    tk_bind_text(s, 7, cat->default_urgency);
    tk_bind_i64(s, 8, cat->active);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_category_set_limit(tk_conn *c, const char *code, const tk_limit *l, tk_error *err)
{
    static const char *const urgencies[] = TK_URGENCIES;
    static const char *const stages[] = TK_STAGES;
    static const char *const units[] = {"work_minutes", "work_hours", "work_days", "natural_days",
                                        NULL};
    if (!in_set(l->urgency, urgencies))
        return tk_fail_field(err, "urgency", "紧急程度 %s 无效", l->urgency ? l->urgency : "");
    if (!in_set(l->stage, stages))
        return tk_fail_field(err, "stage", "环节 %s 无效", l->stage ? l->stage : "");
    if (!in_set(l->unit, units))
        return tk_fail_field(err, "unit", "时限单位 %s 无效", l->unit ? l->unit : "");
    if (l->amount <= 0 || l->amount > 100000)
        return tk_fail_field(err, "amount", "时限需要是正整数");
    int64_t id;
    if (category_id(c, code, &id, err) != TK_OK)
        return err->status;
    if (!id)
        return tk_fail_field(err, "category_code", "类别 %s 不存在", code);
    tk_stmt *s =
        tk_prepare(c,
                   "INSERT INTO category_limits(category_id, urgency, stage, amount, unit) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(category_id, urgency, stage) "
                   "DO UPDATE SET amount = ?4, unit = ?5",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, l->urgency);
    tk_bind_text(s, 3, l->stage);
    tk_bind_i64(s, 4, l->amount);
    tk_bind_text(s, 5, l->unit);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

/* Reads one CSV file against its expected header, calling row() for each record. */
typedef tk_status (*row_fn)(tk_conn *c, const char **f, int line, tk_line_errors *errs,
                            tk_error *err);

static tk_status each_row(tk_conn *c, const char *text, size_t len, const char *const *columns,
                          int ncols, row_fn row, tk_line_errors *errs, int *count, tk_error *err)
{
    tk_csv r;
    tk_csv_init(&r, text, len);
    tk_arena *a = tk_arena_new(8192);
    const char *f[32];
    int n, line, rc;
    tk_error e;
    rc = tk_csv_next(&r, a, f, 32, &n, &line, &e);
    bool header_ok = rc == 1 && n == ncols;
    for (int i = 0; header_ok && i < ncols; i++)
        header_ok = strcmp(f[i], columns[i]) == 0;
    if (!header_ok) {
        tk_line_errors_add(errs, 1, "bad_header", "第 1 行：表头需要是 %s,…（共 %d 列）",
                           columns[0], ncols);
        tk_arena_free(a);
        return TK_OK;
    }
    tk_status st = TK_OK;
    while (st == TK_OK && (rc = tk_csv_next(&r, a, f, 32, &n, &line, &e)) != 0) {
        if (rc < 0)
            tk_line_errors_add(errs, line, "malformed_csv", "%s", e.detail);
        else if (n != ncols)
            tk_line_errors_add(errs, line, "column_count", "第 %d 行：需要 %d 列，实际 %d 列", line,
                               ncols, n);
        else {
            st = row(c, f, line, errs, err);
            (*count)++;
        }
        tk_arena_reset(a);
    }
    tk_arena_free(a);
    return st;
}

static tk_status category_row(tk_conn *c, const char **f, int line, tk_line_errors *errs,
                              tk_error *err)
{
    tk_category cat = {.code = f[0],
                       .name = f[1],
                       .parent_code = f[2],
                       .accept_condition = f[3],
                       .close_condition = f[4],
                       .list_item_code = f[5],
                       .default_urgency = f[6],
                       .active = true};
    if (!*cat.default_urgency)
        cat.default_urgency = "normal";
    bool created;
    tk_error e;
    tk_status st = tk_category_put(c, &cat, &created, &e);
    if (st == TK_EVALID || st == TK_ECONFLICT) {
        tk_line_errors_add(errs, line, e.code, "第 %d 行：%s", line, e.detail);
        return TK_OK;
    }
    if (st != TK_OK)
        *err = e;
    return st;
}

static tk_status limit_row(tk_conn *c, const char **f, int line, tk_line_errors *errs,
                           tk_error *err)
{
    int64_t amount;
    if (!tk_parse_i64(f[3], &amount)) {
        tk_line_errors_add(errs, line, "invalid_field", "第 %d 行：时限 %s 不是整数", line, f[3]);
        return TK_OK;
    }
    tk_limit l = {.urgency = f[1], .stage = f[2], .amount = amount, .unit = f[4]};
    tk_error e;
    tk_status st = tk_category_set_limit(c, f[0], &l, &e);
    if (st == TK_EVALID) {
        tk_line_errors_add(errs, line, e.code, "第 %d 行：%s", line, e.detail);
        return TK_OK;
    }
    if (st != TK_OK)
        *err = e;
    return st;
}

tk_status tk_category_import(tk_conn *c, const char *cats, size_t cats_len, const char *limits,
                             size_t limits_len, tk_line_errors *errs, int *count, tk_error *err)
{
    static const char *const cat_cols[] = {
        "code",           "name",           "parent_code", "accept_condition", "close_condition",
        "list_item_code", "default_urgency"};
    static const char *const limit_cols[] = {"category_code", "urgency", "stage", "amount", "unit"};
    *count = 0;
    int nlimits = 0;
    tk_status st = each_row(c, cats, cats_len, cat_cols, 7, category_row, errs, count, err);
    if (st == TK_OK && limits)
        st = each_row(c, limits, limits_len, limit_cols, 5, limit_row, errs, &nlimits, err);
    if (st == TK_OK && errs->n)
        st = tk_fail(err, TK_EVALID, "import_rejected", "导入被拒绝：%d 行有错误，未做任何更改",
                     errs->n);
    return st;
}
