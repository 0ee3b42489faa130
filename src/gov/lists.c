#include "gov/lists.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"

const char *tk_list_label(const char *list)
{
    if (!list)
        return NULL;
    if (!strcmp(list, "power"))
        return "权责清单";
    if (!strcmp(list, "service"))
        return "政务服务清单";
    if (!strcmp(list, "territorial"))
        return "属地管理事项责任清单";
    return NULL;
}

const char *tk_limit_unit_label(const char *unit)
{
    if (!unit)
        return NULL;
    if (!strcmp(unit, "work_minutes"))
        return "工作分钟";
    if (!strcmp(unit, "work_hours"))
        return "工作小时";
    if (!strcmp(unit, "work_days"))
        return "工作日";
    if (!strcmp(unit, "natural_days"))
        return "自然日";
    return NULL;
}

#define ITEM_SELECT                                                                                \
    "SELECT i.code, v.list, v.name, v.subject, st.name, st.kind, v.cooperating, v.legal_basis, "   \
    "coalesce(v.limit_amount, 0), v.limit_unit, v.process, v.delegated, v.enforcement, "           \
    "v.retired, v.valid_from, v.valid_to, v.note, v.changed_by FROM list_items i "                 \
    "JOIN list_item_versions v ON v.item_id = i.id JOIN subject_types st ON st.key = v.subject "

/* In force on ?1: started on or before, not yet ended. */
#define IN_FORCE "v.valid_from <= ?1 AND (v.valid_to IS NULL OR v.valid_to > ?1) "

static const char *dup(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

static void item_from_row(tk_stmt *s, tk_arena *a, tk_list_item *it)
{
    it->code = dup(a, tk_col_text(s, 0));
    it->list = dup(a, tk_col_text(s, 1));
    it->name = dup(a, tk_col_text(s, 2));
    it->subject = dup(a, tk_col_text(s, 3));
    it->subject_name = dup(a, tk_col_text(s, 4));
    it->subject_kind = dup(a, tk_col_text(s, 5));
    it->cooperating = dup(a, tk_col_text(s, 6));
    it->legal_basis = dup(a, tk_col_text(s, 7));
    it->limit_amount = tk_col_i64(s, 8);
    it->limit_unit = dup(a, tk_col_text(s, 9));
    it->process = dup(a, tk_col_text(s, 10));
    it->delegated = tk_col_i64(s, 11) != 0;
    it->enforcement = tk_col_i64(s, 12) != 0;
    it->retired = tk_col_i64(s, 13) != 0;
    it->valid_from = dup(a, tk_col_text(s, 14));
    it->valid_to = dup(a, tk_col_text(s, 15));
    it->note = dup(a, tk_col_text(s, 16));
    it->changed_by = dup(a, tk_col_text(s, 17));
}

tk_status tk_list_item_get(tk_conn *c, tk_arena *a, const char *code, const char *date,
                           tk_list_item *out, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c, ITEM_SELECT "WHERE i.code = ?2 AND " IN_FORCE "AND v.retired = 0", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, date);
    tk_bind_text(s, 2, code);
    int rc = tk_step(s, err);
    if (rc == 1)
        item_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc ? TK_OK
              : tk_fail(err, TK_ENOTFOUND, "list_item_not_found",
                        "清单事项 %s 在 %s 不存在或已废止", code, date);
}

tk_status tk_list_items(tk_conn *c, tk_arena *a, const tk_list_filter *f, tk_list_item_fn fn,
                        void *ctx, bool *more, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            ITEM_SELECT "WHERE " IN_FORCE "AND v.retired = 0 "
                                        "AND (?2 IS NULL OR v.list = ?2) "
                                        "AND (?3 IS NULL OR v.subject = ?3) "
                                        "AND (?4 IS NULL OR instr(v.name, ?4) > 0 OR i.code = ?4) "
                                        "AND (?5 < 0 OR v.delegated = ?5) "
                                        "AND (?6 < 0 OR v.enforcement = ?6) "
                                        "AND i.code > ?7 ORDER BY i.code LIMIT ?8",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, f->date);
    tk_bind_text(s, 2, f->list);
    tk_bind_text(s, 3, f->subject);
    tk_bind_text(s, 4, f->q);
    tk_bind_i64(s, 5, f->delegated);
    tk_bind_i64(s, 6, f->enforcement);
    tk_bind_text(s, 7, f->after_code ? f->after_code : "");
    tk_bind_i64(s, 8, f->limit > 0 ? f->limit + 1 : -1);
    int n = 0, rc;
    if (more)
        *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (f->limit > 0 && n == f->limit) {
            if (more)
                *more = true;
            break;
        }
        tk_list_item it;
        item_from_row(s, a, &it);
        fn(ctx, &it);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_list_item_history(tk_conn *c, tk_arena *a, const char *code, tk_list_item_fn fn,
                               void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, ITEM_SELECT "WHERE i.code = ?1 ORDER BY v.valid_from, v.id", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    int rc, n = 0;
    while ((rc = tk_step(s, err)) == 1) {
        tk_list_item it;
        item_from_row(s, a, &it);
        fn(ctx, &it);
        n++;
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return n ? TK_OK : tk_fail(err, TK_ENOTFOUND, "list_item_not_found", "没有清单事项 %s", code);
}

static bool subject_exists(tk_conn *c, const char *key, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT 1 FROM subject_types WHERE key = ?1", err);
    if (!s)
        return false;
    tk_bind_text(s, 1, key);
    bool ok = tk_step(s, err) == 1;
    tk_reset(s);
    return ok;
}

static bool in_set(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (!strcmp(v, *set))
            return true;
    return false;
}

/* The characters of an item's code (QZ-QZ-001): it is part of a URL and of a CSV row. */
#define CODE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

tk_status tk_list_item_check(tk_conn *c, const tk_list_item *it, tk_error *err)
{
    static const char *const lists[] = TK_LIST_KINDS;
    static const char *const units[] = TK_LIMIT_UNITS;
    int64_t day;
    if (!it->code || !*it->code || strlen(it->code) > 32 ||
        strspn(it->code, CODE_CHARS) != strlen(it->code))
        return tk_fail_field(err, "code", "事项编码需要 1 到 32 个字母、数字或 . _ - 字符");
    if (!in_set(it->list, lists))
        return tk_fail_field(err, "list", "清单类别 %s 无效，可选 power、service、territorial",
                             it->list ? it->list : "");
    if (!it->name || !*it->name)
        return tk_fail_field(err, "name", "事项名称不能为空");
    if (!it->subject || !subject_exists(c, it->subject, err))
        return tk_fail_field(err, "subject", "责任主体 %s 不存在", it->subject ? it->subject : "");
    if (it->cooperating && *it->cooperating) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", it->cooperating);
        for (char *p = buf, *bar; p; p = bar ? bar + 1 : NULL) {
            bar = strchr(p, '|');
            if (bar)
                *bar = '\0';
            if (*p && !subject_exists(c, p, err))
                return tk_fail_field(err, "cooperating", "配合主体 %s 不存在", p);
        }
    }
    if (it->limit_amount < 0 || (it->limit_amount > 0 && !in_set(it->limit_unit, units)))
        return tk_fail_field(err, "time_limit",
                             "时限单位需要 work_minutes、work_hours、work_days 或 natural_days");
    if (!it->valid_from || !tk_date_parse(it->valid_from, &day))
        return tk_fail_field(err, "effective_on", "生效日期需要 YYYY-MM-DD");
    if (it->delegated && !it->enforcement)
        return tk_fail_field(err, "delegated", "只有执法事项可以赋权乡镇");
    return TK_OK;
}

static tk_status item_id(tk_conn *c, const char *code, int64_t *id, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT id FROM list_items WHERE code = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, code);
    int rc = tk_step(s, err);
    *id = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* Closes the open version at `date`; a version opened that same day is
 * replaced instead. Refuses a date before the open version's start. */
tk_status tk_list_item_exists(tk_conn *c, const char *code, bool *exists, tk_error *err)
{
    int64_t id;
    if (item_id(c, code, &id, err) != TK_OK)
        return err->status;
    *exists = id != 0;
    return TK_OK;
}

static tk_status close_open_version(tk_conn *c, int64_t id, const char *date, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, valid_from FROM list_item_versions WHERE item_id = ?1 "
                            "AND valid_to IS NULL",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    int rc = tk_step(s, err);
    int64_t vid = rc == 1 ? tk_col_i64(s, 0) : 0;
    char from[16] = "";
    if (rc == 1)
        snprintf(from, sizeof from, "%s", tk_col_text(s, 1));
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (!vid)
        return TK_OK;
    int cmp = strcmp(date, from);
    if (cmp < 0)
        return tk_fail_field(err, "effective_on", "生效日期 %s 早于现行版本的生效日期 %s", date,
                             from);
    s = tk_prepare(c,
                   cmp == 0 ? "DELETE FROM list_item_versions WHERE id = ?1 AND ?2 = ?2"
                            : "UPDATE list_item_versions SET valid_to = ?2 WHERE id = ?1",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, vid);
    tk_bind_text(s, 2, date);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status insert_version(tk_conn *c, int64_t id, const tk_list_item *it, bool retired,
                                tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c,
        "INSERT INTO list_item_versions(item_id, valid_from, list, name, subject, cooperating, "
        "legal_basis, limit_amount, limit_unit, process, delegated, enforcement, retired, note, "
        "changed_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, nullif(?8, 0), ?9, ?10, ?11, "
        "?12, ?13, ?14, ?15, ?16)",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, it->valid_from);
    tk_bind_text(s, 3, it->list);
    tk_bind_text(s, 4, it->name);
    tk_bind_text(s, 5, it->subject);
    tk_bind_text(s, 6, it->cooperating ? it->cooperating : "");
    tk_bind_text(s, 7, it->legal_basis ? it->legal_basis : "");
    tk_bind_i64(s, 8, it->limit_amount);
    tk_bind_text(s, 9, it->limit_amount > 0 ? it->limit_unit : NULL);
    tk_bind_text(s, 10, it->process ? it->process : "");
    tk_bind_i64(s, 11, it->delegated);
    tk_bind_i64(s, 12, it->enforcement);
    tk_bind_i64(s, 13, retired);
    tk_bind_text(s, 14, it->note ? it->note : "");
    tk_bind_text(s, 15, it->changed_by ? it->changed_by : "");
    tk_bind_i64(s, 16, tk_now_ms());
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_list_item_put(tk_conn *c, const tk_list_item *it, bool *created, tk_error *err)
{
    if (tk_list_item_check(c, it, err) != TK_OK)
        return err->status;
    int64_t id;
    if (item_id(c, it->code, &id, err) != TK_OK)
        return err->status;
    *created = id == 0;
    if (!id) {
        tk_stmt *s = tk_prepare(c, "INSERT INTO list_items(code, created_at) VALUES (?1, ?2)", err);
        if (!s)
            return TK_EIO;
        tk_bind_text(s, 1, it->code);
        tk_bind_i64(s, 2, tk_now_ms());
        if (tk_step(s, err) < 0)
            return err->status;
        id = tk_last_insert_id(c);
    } else if (close_open_version(c, id, it->valid_from, err) != TK_OK) {
        return err->status;
    }
    return insert_version(c, id, it, false, err);
}

tk_status tk_list_item_retire(tk_conn *c, const char *code, const char *date, const char *note,
                              const char *by, tk_error *err)
{
    tk_arena *a = tk_arena_new(4096);
    tk_list_item it;
    tk_status st = tk_list_item_get(c, a, code, date, &it, err);
    int64_t id = 0;
    if (st == TK_OK)
        st = item_id(c, code, &id, err);
    if (st == TK_OK)
        st = close_open_version(c, id, date, err);
    if (st == TK_OK) {
        it.valid_from = date;
        it.note = note;
        it.changed_by = by;
        st = insert_version(c, id, &it, true, err);
    }
    tk_arena_free(a);
    return st;
}

tk_status tk_list_summary(tk_conn *c, const char *date, tk_list_count out[3], tk_error *err)
{
    static const char *lists[3] = {"power", "service", "territorial"};
    tk_stmt *s = tk_prepare(c,
                            "SELECT count(*), coalesce(sum(v.enforcement), 0), "
                            "coalesce(sum(v.delegated), 0) FROM list_item_versions v "
                            "WHERE " IN_FORCE "AND v.retired = 0 AND v.list = ?2",
                            err);
    if (!s)
        return TK_EIO;
    for (int i = 0; i < 3; i++) {
        tk_bind_text(s, 1, date);
        tk_bind_text(s, 2, lists[i]);
        if (tk_step(s, err) < 0)
            return err->status;
        out[i] = (tk_list_count){lists[i], tk_col_i64(s, 0), tk_col_i64(s, 1), tk_col_i64(s, 2)};
        tk_reset(s);
    }
    return TK_OK;
}

static bool same_version(const tk_list_item *a, const tk_list_item *b)
{
#define SAME(f) (strcmp(a->f ? a->f : "", b->f ? b->f : "") == 0)
    return SAME(list) && SAME(name) && SAME(subject) && SAME(cooperating) && SAME(legal_basis) &&
           SAME(process) && a->limit_amount == b->limit_amount &&
           (a->limit_amount == 0 || SAME(limit_unit)) && a->delegated == b->delegated &&
           a->enforcement == b->enforcement;
#undef SAME
}

/* "20 work_days" -> 20, "work_days"; "" -> 0. */
static bool parse_limit(const char *s, int64_t *amount, const char **unit, tk_arena *a)
{
    *amount = 0;
    *unit = NULL;
    if (!*s)
        return true;
    tk_slice rest = tk_slice_of(s), num;
    tk_slice_cut(&rest, ' ', &num);
    if (!tk_slice_to_i64(num, amount) || *amount <= 0 || !rest.ptr)
        return false;
    *unit = tk_arena_strndup(a, rest.ptr, rest.len);
    return tk_limit_unit_label(*unit) != NULL;
}

static bool parse_flag(const char *s, bool *out)
{
    if (!strcmp(s, "0") || !*s) {
        *out = false;
        return true;
    }
    if (!strcmp(s, "1")) {
        *out = true;
        return true;
    }
    return false;
}

static tk_status subject_kind_of(tk_conn *c, const char *key, char *kind, size_t size,
                                 tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT kind FROM subject_types WHERE key = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, key);
    int rc = tk_step(s, err);
    kind[0] = '\0';
    if (rc == 1)
        snprintf(kind, size, "%s", tk_col_text(s, 0));
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_list_import(tk_conn *c, const char *text, size_t len, const char *date, const char *by,
                         tk_line_errors *errs, int *added, int *changed, tk_error *err)
{
    static const char *const cols[] = {"code",    "list",        "name",        "subject_kind",
                                       "subject", "cooperating", "legal_basis", "time_limit",
                                       "process", "delegated",   "enforcement"};
    enum { NCOLS = 11 };
    *added = *changed = 0;
    tk_csv r;
    tk_csv_init(&r, text, len);
    tk_arena *a = tk_arena_new(16384);
    const char *f[32];
    int n, line, rc;
    tk_error e;
    rc = tk_csv_next(&r, a, f, 32, &n, &line, &e);
    bool header_ok = rc == 1 && n == NCOLS;
    for (int i = 0; header_ok && i < NCOLS; i++)
        header_ok = strcmp(f[i], cols[i]) == 0;
    if (!header_ok)
        tk_line_errors_add(errs, 1, "bad_header", "第 1 行：表头需要是 %s",
                           "code,list,name,subject_kind,subject,cooperating,legal_basis,"
                           "time_limit,process,delegated,enforcement");
    tk_status st = TK_OK;
    while (header_ok && st == TK_OK && (rc = tk_csv_next(&r, a, f, 32, &n, &line, &e)) != 0) {
        if (rc < 0 || n != NCOLS) {
            if (rc < 0)
                tk_line_errors_add(errs, line, "malformed_csv", "%s", e.detail);
            else
                tk_line_errors_add(errs, line, "column_count", "第 %d 行：需要 %d 列，实际 %d 列",
                                   line, NCOLS, n);
            continue;
        }
        tk_list_item it = {.code = f[0],
                           .list = f[1],
                           .name = f[2],
                           .subject = f[4],
                           .cooperating = f[5],
                           .legal_basis = f[6],
                           .process = f[8],
                           .valid_from = date,
                           .changed_by = by,
                           .note = "导入"};
        char kind[16];
        if ((st = subject_kind_of(c, it.subject, kind, sizeof kind, err)) != TK_OK)
            break;
        if (!parse_limit(f[7], &it.limit_amount, &it.limit_unit, a)) {
            tk_line_errors_add(errs, line, "invalid_field",
                               "第 %d 行：时限 \"%s\" 需要形如 \"20 work_days\"", line, f[7]);
            continue;
        }
        if (!parse_flag(f[9], &it.delegated) || !parse_flag(f[10], &it.enforcement)) {
            tk_line_errors_add(errs, line, "invalid_field",
                               "第 %d 行：delegated 与 enforcement 需要是 0 或 1", line);
            continue;
        }
        if (*kind && strcmp(kind, f[3]) != 0) {
            tk_line_errors_add(errs, line, "invalid_field",
                               "第 %d 行：责任主体 %s 的类型是 %s，不是 %s", line, it.subject, kind,
                               f[3]);
            continue;
        }
        if (tk_list_item_check(c, &it, &e) != TK_OK) {
            if (e.status != TK_EVALID) {
                *err = e;
                st = e.status;
                break;
            }
            tk_line_errors_add(errs, line, e.code, "第 %d 行：%s", line, e.detail);
            continue;
        }
        tk_list_item current;
        tk_status found = tk_list_item_get(c, a, it.code, date, &current, &e);
        if (found == TK_OK && same_version(&current, &it))
            continue;
        bool created;
        if (tk_list_item_put(c, &it, &created, &e) != TK_OK) {
            if (e.status != TK_EVALID) {
                *err = e;
                st = e.status;
                break;
            }
            tk_line_errors_add(errs, line, e.code, "第 %d 行：%s", line, e.detail);
            continue;
        }
        if (created)
            (*added)++;
        else
            (*changed)++;
        tk_arena_reset(a);
    }
    tk_arena_free(a);
    if (st == TK_OK && errs->n)
        st = tk_fail(err, TK_EVALID, "import_rejected", "导入被拒绝：%d 行有错误，未做任何更改",
                     errs->n);
    return st;
}
