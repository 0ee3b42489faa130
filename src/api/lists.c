/*
 * lists.c - 三张清单.
 *
 * GET  /api/v1/subject-types
 * GET  /api/v1/list-items?list&subject&q&as_of&delegated&enforcement&cursor&limit
 * GET  /api/v1/list-items/{code}?as_of=        the version in force that day
 * GET  /api/v1/list-items/{code}/history        every version
 * POST /api/v1/list-items                       a new item
 * PUT  /api/v1/list-items/{code}                a change, in force from effective_on
 * POST /api/v1/list-items/{code}/retire         retired from effective_on
 * POST /api/v1/list-items/import?effective_on=&dry_run=1   CSV, all or nothing
 * GET  /api/v1/list-items/export?format=csv|xlsx&as_of=
 * GET  /api/v1/lists/summary?as_of=             counts and the delegated share
 */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "api/table.h"
#include "core/clock.h"
#include "core/csv.h"
#include "gov/lists.h"

/* ?as_of=YYYY-MM-DD, default today (Asia/Shanghai). */
static bool as_of(tk_req *r, char out[16])
{
    const char *v = tk_req_query(r, "as_of");
    int64_t ms;
    if (!v || !*v) {
        tk_date_format(tk_now_ms(), out, 16);
        return true;
    }
    if (!tk_date_parse(v, &ms)) {
        tk_error err;
        tk_fail_field(&err, "as_of", "参数 as_of 需要日期 YYYY-MM-DD");
        tk_reply_error(r, &err);
        return false;
    }
    snprintf(out, 16, "%s", v);
    return true;
}

static json_t *split(const char *s)
{
    json_t *a = json_array();
    if (!s || !*s)
        return a;
    tk_slice rest = tk_slice_of(s), part;
    while (tk_slice_cut(&rest, '|', &part))
        if (part.len)
            json_array_append_new(a, json_stringn(part.ptr, part.len));
    return a;
}

static json_t *item_json(const tk_list_item *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(it->code));
    json_object_set_new(o, "list", json_string(it->list));
    json_object_set_new(o, "list_label", json_string(tk_list_label(it->list)));
    json_object_set_new(o, "name", json_string(it->name));
    json_object_set_new(o, "subject",
                        json_pack("{s:s, s:s, s:s}", "key", it->subject, "name", it->subject_name,
                                  "kind", it->subject_kind));
    json_object_set_new(o, "cooperating", split(it->cooperating));
    json_object_set_new(o, "legal_basis", json_string(it->legal_basis));
    json_object_set_new(o, "time_limit",
                        it->limit_amount
                            ? json_pack("{s:I, s:s, s:s}", "amount", (json_int_t)it->limit_amount,
                                        "unit", it->limit_unit, "label",
                                        tk_limit_unit_label(it->limit_unit))
                            : json_null());
    json_object_set_new(o, "process", split(it->process));
    json_object_set_new(o, "delegated", json_boolean(it->delegated));
    json_object_set_new(o, "enforcement", json_boolean(it->enforcement));
    json_object_set_new(o, "retired", json_boolean(it->retired));
    json_object_set_new(o, "valid_from", json_string(it->valid_from));
    json_object_set_new(o, "valid_to", it->valid_to ? json_string(it->valid_to) : json_null());
    json_object_set_new(o, "note", json_string(it->note ? it->note : ""));
    json_object_set_new(o, "changed_by", json_string(it->changed_by ? it->changed_by : ""));
    return o;
}

typedef struct {
    json_t *items;
    const char *last;
} items_ctx;

static void add_item(void *ctx, const tk_list_item *it)
{
    items_ctx *l = ctx;
    json_array_append_new(l->items, item_json(it));
    l->last = it->code;
}

void api_subject_types(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_stmt *s = tk_prepare(c, "SELECT key, kind, name FROM subject_types ORDER BY ordinal", &err);
    if (!s) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    while (tk_step(s, &err) == 1)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "key", tk_col_text(s, 0), "kind",
                                               tk_col_text(s, 1), "name", tk_col_text(s, 2)));
    tk_reset(s);
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void api_list_items(tk_req *r)
{
    tk_error err;
    char date[16];
    tk_list_filter f = {.delegated = -1, .enforcement = -1};
    int64_t delegated, enforcement;
    if (!as_of(r, date) || api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_str(r, "list", 16, &f.list, &err), &err) ||
        api_failed(r, q_str(r, "subject", 16, &f.subject, &err), &err) ||
        api_failed(r, q_str(r, "q", 32, &f.q, &err), &err) ||
        api_failed(r, q_str(r, "cursor", 32, &f.after_code, &err), &err) ||
        api_failed(r, q_int(r, "delegated", -1, -1, 1, &delegated, &err), &err) ||
        api_failed(r, q_int(r, "enforcement", -1, -1, 1, &enforcement, &err), &err))
        return;
    if (f.list && !tk_list_label(f.list)) {
        tk_reply_fail(r, TK_EVALID, "invalid_field",
                      "清单类别 %s 不存在，可选 power、service、territorial", f.list);
        return;
    }
    f.date = date;
    f.delegated = (int)delegated;
    f.enforcement = (int)enforcement;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    items_ctx ctx = {json_array(), NULL};
    bool more = false;
    if (tk_list_items(c, r->arena, &f, add_item, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    json_t *body = json_pack("{s:o, s:s}", "items", ctx.items, "as_of", date);
    json_object_set_new(body, "next_cursor",
                        more && ctx.last ? json_string(ctx.last) : json_null());
    tk_reply_json(r, 200, body);
}

void api_list_item_get(tk_req *r)
{
    char date[16];
    tk_error err;
    tk_list_item it;
    tk_conn *c;
    if (!as_of(r, date) || !(c = api_reader(r)))
        return;
    if (tk_list_item_get(c, r->arena, tk_req_param(r, "code"), date, &it, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, item_json(&it));
}

void api_list_item_history(tk_req *r)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    items_ctx ctx = {json_array(), NULL};
    if (tk_list_item_history(c, r->arena, tk_req_param(r, "code"), add_item, &ctx, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", ctx.items));
}

static const char *join(tk_req *r, json_t *array, const char *field, tk_error *err)
{
    if (!array || json_is_null(array))
        return "";
    if (!json_is_array(array) || json_array_size(array) > 32) {
        tk_fail_field(err, field, "字段 %s 需要是字符串数组（最多 32 项）", field);
        return NULL;
    }
    tk_buf b;
    tk_buf_init(&b, 8192);
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || !*s || strchr(s, '|')) {
            tk_buf_free(&b);
            tk_fail_field(err, field, "字段 %s 的每一项需要是不含 | 的非空字符串", field);
            return NULL;
        }
        if (i)
            tk_buf_putc(&b, '|');
        tk_buf_puts(&b, s);
    }
    char *out = tk_arena_strdup(r->arena, b.data ? b.data : "");
    tk_buf_free(&b);
    return out;
}

/* Reads an item's fields from JSON; code from the path for changes. */
static tk_status read_item(tk_req *r, json_t *in, tk_list_item *it, tk_error *err)
{
    static const char *const lists[] = TK_LIST_KINDS;
    static const char *const units[] = TK_LIMIT_UNITS;
    const char *date;
    json_t *limit = json_object_get(in, "time_limit");
    if (in_enum(in, "list", true, lists, &it->list, err) != TK_OK ||
        in_str(in, "name", true, 100, &it->name, err) != TK_OK ||
        in_str(in, "subject", true, 16, &it->subject, err) != TK_OK ||
        in_text(in, "legal_basis", false, 500, &it->legal_basis, err) != TK_OK ||
        in_bool(in, "delegated", false, &it->delegated, err) != TK_OK ||
        in_bool(in, "enforcement", false, &it->enforcement, err) != TK_OK ||
        in_str(in, "effective_on", false, 10, &date, err) != TK_OK ||
        in_text(in, "note", false, 200, &it->note, err) != TK_OK)
        return err->status;
    if (!(it->cooperating = join(r, json_object_get(in, "cooperating"), "cooperating", err)) ||
        !(it->process = join(r, json_object_get(in, "process"), "process", err)))
        return err->status;
    if (limit && !json_is_null(limit)) {
        if (!json_is_object(limit) ||
            in_int(limit, "amount", true, 1, 100000, &it->limit_amount, NULL, err) != TK_OK ||
            in_enum(limit, "unit", true, units, &it->limit_unit, err) != TK_OK) {
            if (err->status == TK_OK)
                tk_fail_field(err, "time_limit",
                              "time_limit 需要 {\"amount\": 整数, \"unit\": 单位}");
            snprintf(err->field, sizeof err->field, "time_limit");
            return err->status;
        }
    }
    char today[16];
    tk_date_format(tk_now_ms(), today, sizeof today);
    it->valid_from = tk_arena_strdup(r->arena, date ? date : today);
    it->changed_by = api_who(r)->username;
    /* Copy what the write job will read after the JSON is gone. */
    it->list = tk_arena_strdup(r->arena, it->list);
    it->name = tk_arena_strdup(r->arena, it->name);
    it->subject = tk_arena_strdup(r->arena, it->subject);
    it->legal_basis = it->legal_basis ? tk_arena_strdup(r->arena, it->legal_basis) : "";
    it->note = it->note ? tk_arena_strdup(r->arena, it->note) : "";
    it->limit_unit = it->limit_unit ? tk_arena_strdup(r->arena, it->limit_unit) : NULL;
    return TK_OK;
}

typedef struct {
    tk_list_item it;
    bool must_be_new, created;
} put_ctx;

static tk_status put_run(tk_conn *c, api_op *op, tk_error *err)
{
    put_ctx *p = op->data;
    snprintf(op->target_id, sizeof op->target_id, "%s", p->it.code);
    api_op_detail(op, "effective_on", json_string(p->it.valid_from));
    bool exists;
    if (tk_list_item_exists(c, p->it.code, &exists, err) != TK_OK)
        return err->status;
    if (p->must_be_new && exists)
        return tk_fail(err, TK_ECONFLICT, "list_item_exists",
                       "事项编码 %s 已被使用：请换一个编码，或修改已有的事项", p->it.code);
    if (!p->must_be_new && !exists)
        return tk_fail(err, TK_ENOTFOUND, "list_item_not_found", "没有清单事项 %s", p->it.code);
    return tk_list_item_put(c, &p->it, &p->created, err);
}

static void put_reply(tk_req *r, api_op *op)
{
    put_ctx *p = op->data;
    tk_error err;
    tk_list_item it;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    if (tk_list_item_get(c, r->arena, p->it.code, p->it.valid_from, &it, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, p->created ? 201 : 200, item_json(&it));
}

static void put_item(tk_req *r, const char *code, bool must_be_new)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"code",        "list",        "name",         "subject",
                                         "cooperating", "legal_basis", "time_limit",   "process",
                                         "delegated",   "enforcement", "effective_on", "note",
                                         NULL};
    put_ctx *p = tk_arena_zalloc(r->arena, sizeof *p);
    p->must_be_new = must_be_new;
    if (api_failed(r, in_only(in, fields, &err), &err))
        return;
    if (must_be_new && api_failed(r, in_str(in, "code", true, 32, &code, &err), &err))
        return;
    if (!must_be_new && json_object_get(in, "code")) {
        tk_fail_field(&err, "code", "事项编码不能修改");
        tk_reply_error(r, &err);
        return;
    }
    if (api_failed(r, read_item(r, in, &p->it, &err), &err))
        return;
    p->it.code = tk_arena_strdup(r->arena, code);
    api_op_submit(api_op_new(r, "list_item", put_run, put_reply, p));
}

void api_list_item_create(tk_req *r)
{
    put_item(r, NULL, true);
}

void api_list_item_change(tk_req *r)
{
    put_item(r, tk_req_param(r, "code"), false);
}

typedef struct {
    const char *code, *date, *note;
} retire_ctx;

static tk_status retire_run(tk_conn *c, api_op *op, tk_error *err)
{
    retire_ctx *x = op->data;
    snprintf(op->target_id, sizeof op->target_id, "%s", x->code);
    api_op_detail(op, "effective_on", json_string(x->date));
    return tk_list_item_retire(c, x->code, x->date, x->note, api_who(op->r)->username, err);
}

static void retire_reply(tk_req *r, api_op *op)
{
    retire_ctx *x = op->data;
    tk_reply_json(
        r, 200,
        json_pack("{s:s, s:s, s:b}", "code", x->code, "retired_from", x->date, "retired", 1));
}

void api_list_item_retire(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"effective_on", "note", NULL};
    retire_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    int64_t ms;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "effective_on", true, 10, &x->date, &err), &err) ||
        api_failed(r, in_text(in, "note", true, 200, &x->note, &err), &err))
        return;
    if (!tk_date_parse(x->date, &ms)) {
        tk_fail_field(&err, "effective_on", "废止日期需要 YYYY-MM-DD");
        tk_reply_error(r, &err);
        return;
    }
    x->code = tk_arena_strdup(r->arena, tk_req_param(r, "code"));
    x->date = tk_arena_strdup(r->arena, x->date);
    x->note = tk_arena_strdup(r->arena, x->note);
    api_op_submit(api_op_new(r, "list_item", retire_run, retire_reply, x));
}

typedef struct {
    const char *date;
    bool dry_run;
    tk_line_errors errs;
    int added, changed;
} import_ctx;

static json_t *errors_json(const tk_line_errors *e)
{
    json_t *a = json_array();
    for (int i = 0; i < e->n; i++)
        json_array_append_new(a, json_pack("{s:i, s:s, s:s}", "line", e->items[i].line, "code",
                                           e->items[i].code, "reason", e->items[i].reason));
    return a;
}

static tk_status import_run(tk_conn *c, api_op *op, tk_error *err)
{
    import_ctx *x = op->data;
    tk_req *r = op->r;
    tk_status st = tk_list_import(c, r->body.data ? r->body.data : "", r->body.len, x->date,
                                  api_who(r)->username, &x->errs, &x->added, &x->changed, err);
    if (st != TK_OK)
        return st;
    if (x->dry_run)
        return tk_fail(err, TK_ECONFLICT, "dry_run", "试导入：未做任何更改");
    json_t *detail = json_pack("{s:s, s:i, s:i}", "effective_on", x->date, "added", x->added,
                               "changed", x->changed);
    st = api_audit(c, r, "list.import", "list", "", "ok", detail, err);
    json_decref(detail);
    return st;
}

static json_t *import_report(import_ctx *x)
{
    return json_pack("{s:b, s:s, s:i, s:i, s:o}", "dry_run", x->dry_run, "effective_on", x->date,
                     "added", x->added, "changed", x->changed, "errors", errors_json(&x->errs));
}

/* A dry run and a rejected file both roll back; they differ in the answer. */
static void import_done(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    api_op *op = arg;
    import_ctx *x = op->data;
    if (st == TK_OK || (x->dry_run && !strcmp(err->code, "dry_run"))) {
        tk_reply_json(r, 200, import_report(x));
    } else if (x->errs.n) {
        json_t *extra = json_pack("{s:o}", "errors", errors_json(&x->errs));
        tk_reply_error_with(r, err, extra);
    } else {
        tk_reply_error(r, err);
    }
    tk_line_errors_free(&x->errs);
}

static tk_status import_job(tk_conn *c, void *arg, tk_error *err)
{
    api_op *op = arg;
    return import_run(c, op, err);
}

void api_list_import(tk_req *r)
{
    tk_error err;
    import_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    const char *date;
    int64_t dry, ms;
    if (api_failed(r, q_str(r, "effective_on", 10, &date, &err), &err) ||
        api_failed(r, q_int(r, "dry_run", 0, 0, 1, &dry, &err), &err))
        return;
    char today[16];
    tk_date_format(tk_now_ms(), today, sizeof today);
    if (date && !tk_date_parse(date, &ms)) {
        tk_fail_field(&err, "effective_on", "参数 effective_on 需要日期 YYYY-MM-DD");
        tk_reply_error(r, &err);
        return;
    }
    x->date = tk_arena_strdup(r->arena, date ? date : today);
    x->dry_run = dry;
    /* Not an api_op: a rejected file must answer with its line errors, and a
     * rejection or a dry run changes nothing, so only a success is audited. */
    api_op *op = api_op_new(r, "list", NULL, NULL, x);
    tk_req_write(r, import_job, op, import_done);
}

static void export_row(void *ctx, const tk_list_item *it)
{
    char limit[48] = "";
    if (it->limit_amount)
        snprintf(limit, sizeof limit, "%lld %s", (long long)it->limit_amount, it->limit_unit);
    const char *cols[] = {it->code,
                          it->list,
                          it->name,
                          it->subject_kind,
                          it->subject,
                          it->cooperating,
                          it->legal_basis,
                          limit,
                          it->process,
                          it->delegated ? "1" : "0",
                          it->enforcement ? "1" : "0"};
    api_table_row(ctx, cols);
}

/* The columns of the import file, so that an export can be imported again. */
static const char *const export_header[] = {"code",    "list",        "name",        "subject_kind",
                                            "subject", "cooperating", "legal_basis", "time_limit",
                                            "process", "delegated",   "enforcement"};

void api_list_export(tk_req *r)
{
    tk_error err;
    char date[16];
    if (!as_of(r, date))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    api_table *t = api_table_begin(r, "清单", export_header, 11);
    if (!t)
        return;
    tk_list_filter f = {.date = date, .delegated = -1, .enforcement = -1};
    tk_status st = tk_list_items(c, r->arena, &f, export_row, t, NULL, &err);
    char name[48];
    snprintf(name, sizeof name, "三张清单-%s", date);
    api_table_finish(r, t, "list.export", name, json_pack("{s:s}", "as_of", date), st, &err);
}

void api_lists_summary(tk_req *r)
{
    tk_error err;
    char date[16];
    tk_list_count n[3];
    tk_conn *c;
    if (!as_of(r, date) || !(c = api_reader(r)))
        return;
    if (tk_list_summary(c, date, n, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *lists = json_array();
    int64_t enforcement = 0, delegated = 0;
    for (int i = 0; i < 3; i++) {
        json_array_append_new(lists,
                              json_pack("{s:s, s:s, s:I, s:I, s:I}", "list", n[i].list, "label",
                                        tk_list_label(n[i].list), "items", (json_int_t)n[i].items,
                                        "enforcement", (json_int_t)n[i].enforcement, "delegated",
                                        (json_int_t)n[i].delegated));
        enforcement += n[i].enforcement;
        delegated += n[i].delegated;
    }
    tk_reply_json(r, 200,
                  json_pack("{s:s, s:o, s:I, s:I, s:f}", "as_of", date, "lists", lists,
                            "enforcement_items", (json_int_t)enforcement, "delegated_items",
                            (json_int_t)delegated, "delegated_share",
                            enforcement ? (double)delegated / (double)enforcement : 0.0));
}
