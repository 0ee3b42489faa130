/*
 * territory_io.c - territory files over HTTP (the domain is gov/territory_io.c).
 *
 * POST /api/v1/territory/import?format=csv|geojson[&dry_run=1]
 *      [&overlap_tolerance=m²][&outside_tolerance=m²]
 *      body: the file (Content-Type text/csv, or application/geo+json / application/json)
 *      200 {"dry_run","added","changed","unchanged","rejected","errors":[]}
 *      422 problem "import_rejected" with the same members, errors listing each bad
 *          line {"line","code","reason"}; nothing written
 * GET  /api/v1/territory/export?format=csv|geojson[&kind=village,grid]
 *      the units in the caller's scope, as an attachment
 *
 * The import runs as one write job, so it validates against exactly what it writes
 * to. A real import is an audited op (target "territory", counts in the detail); a
 * dry run changes nothing and is not audited. After an import that added or changed
 * grids, the point locator is rebuilt.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "core/log.h"
#include "gov/territory_io.h"

#define EXPORT_MAX_BYTES (512u << 20)

typedef struct {
    bool geojson;
    tk_import_options opt;
    const char *data;
    size_t len;
    tk_import_report counts; /* only the numbers */
    json_t *problem;         /* a rejection's report with its errors (writer thread) */
} import_ctx;

/* The report's members; steals errors. */
static json_t *report_json(const import_ctx *ic, json_t *errors)
{
    const tk_import_report *rep = &ic->counts;
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "dry_run", rep->dry_run, "added",
                     (json_int_t)rep->added, "changed", (json_int_t)rep->changed, "unchanged",
                     (json_int_t)rep->unchanged, "rejected", (json_int_t)rep->rejected, "errors",
                     errors);
}

static bool rejected(tk_status st, const tk_error *err)
{
    return st == TK_EVALID && err && strcmp(err->code, "import_rejected") == 0;
}

/* Runs the import on the writer's connection; keeps the counts and the errors. */
static tk_status run_import(tk_conn *c, import_ctx *ic, tk_error *err)
{
    tk_arena *a = tk_arena_new(0);
    tk_import_report rep;
    tk_status st = ic->geojson
                       ? tk_territory_import_geojson(c, a, ic->data, ic->len, &ic->opt, &rep, err)
                       : tk_territory_import_csv(c, a, ic->data, ic->len, &ic->opt, &rep, err);
    ic->counts = rep;
    ic->counts.errors = NULL;
    ic->counts.nerrors = 0;
    json_decref(ic->problem); /* from an earlier attempt, if the batch was run again */
    ic->problem = NULL;
    if (rejected(st, err)) {
        json_t *errors = json_array();
        for (size_t i = 0; i < rep.nerrors; i++)
            json_array_append_new(
                errors, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)rep.errors[i].line, "code",
                                  rep.errors[i].code, "reason", rep.errors[i].reason));
        ic->problem = report_json(ic, errors);
    }
    tk_arena_free(a);
    return st;
}

static tk_status import_op_run(tk_conn *c, api_op *op, tk_error *err)
{
    import_ctx *ic = op->data;
    tk_status st = run_import(c, ic, err);
    api_op_detail(op, "format", json_string(ic->geojson ? "geojson" : "csv"));
    api_op_detail(op, "bytes", json_integer((json_int_t)ic->len));
    api_op_detail(op, "added", json_integer(ic->counts.added));
    api_op_detail(op, "changed", json_integer(ic->counts.changed));
    api_op_detail(op, "unchanged", json_integer(ic->counts.unchanged));
    api_op_detail(op, "rejected", json_integer(ic->counts.rejected));
    json_decref(op->problem);
    op->problem = ic->problem;
    ic->problem = NULL;
    return st;
}

static void reply_report(tk_req *r, import_ctx *ic)
{
    tk_reply_json(r, 200, report_json(ic, json_array()));
}

static void import_op_reply(tk_req *r, api_op *op)
{
    import_ctx *ic = op->data;
    if (ic->counts.grids_changed) {
        tk_error err;
        if (tk_app_reload_grids(TK_APP(r), &err) != TK_OK)
            tk_errlog("grid locator not rebuilt after import", "detail=\"%s\"", err.detail);
    }
    reply_report(r, ic);
}

static tk_status dry_run_job(tk_conn *c, void *arg, tk_error *err)
{
    return run_import(c, arg, err);
}

static void dry_run_then(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    import_ctx *ic = arg;
    if (st == TK_OK) {
        reply_report(r, ic);
        return;
    }
    tk_reply_error_with(r, err, ic->problem); /* takes the problem (NULL unless rejected) */
    ic->problem = NULL;
}

static bool type_is(const char *ct, const char *const *types)
{
    if (!ct)
        return false;
    tk_slice s = tk_slice_of(ct), type;
    tk_slice_cut(&s, ';', &type);
    type = tk_slice_trim(type);
    for (; *types; types++)
        if (type.len == strlen(*types) && strncasecmp(type.ptr, *types, type.len) == 0)
            return true;
    return false;
}

static bool q_tolerance(tk_req *r, const char *name, double *out)
{
    const char *v = tk_req_query(r, name);
    *out = -1;
    if (!v || !*v)
        return true;
    if (!tk_parse_double(v, out) || *out < 0 || *out > 1e9) {
        tk_error err;
        tk_fail_field(&err, name, "参数 %s 需要是 0 到 1000000000 之间的平方米数", name);
        tk_reply_error(r, &err);
        return false;
    }
    return true;
}

/* ?format=, or the Content-Type when it is absent. */
static bool import_format(tk_req *r, bool *geojson)
{
    static const char *const csv_types[] = {"text/csv", "application/csv", "text/plain", NULL};
    static const char *const geo_types[] = {"application/geo+json", "application/json", NULL};
    const char *ct = tk_req_header(r, "Content-Type");
    const char *format = tk_req_query(r, "format");
    if (!format || !*format) {
        if (type_is(ct, csv_types))
            format = "csv";
        else if (type_is(ct, geo_types))
            format = "geojson";
        else
            format = "";
    }
    tk_error err;
    if (strcmp(format, "csv") != 0 && strcmp(format, "geojson") != 0) {
        tk_fail_field(&err, "format", "参数 format 需要是 csv 或 geojson");
        tk_reply_error(r, &err);
        return false;
    }
    *geojson = strcmp(format, "geojson") == 0;
    if (!type_is(ct, *geojson ? geo_types : csv_types)) {
        tk_reply_fail(r, TK_EMEDIA, "unsupported_media_type", "%s",
                      *geojson ? "GeoJSON 导入需要 Content-Type: application/geo+json"
                               : "CSV 导入需要 Content-Type: text/csv");
        return false;
    }
    return true;
}

void api_territory_import(tk_req *r)
{
    tk_error err;
    import_ctx *ic = tk_arena_zalloc(r->arena, sizeof *ic);
    int64_t dry_run;
    if (!import_format(r, &ic->geojson) ||
        api_failed(r, q_int(r, "dry_run", 0, 0, 1, &dry_run, &err), &err) ||
        !q_tolerance(r, "overlap_tolerance", &ic->opt.overlap_tolerance_m2) ||
        !q_tolerance(r, "outside_tolerance", &ic->opt.outside_tolerance_m2))
        return;
    if (r->body.len == 0 || !r->body.data) {
        tk_reply_fail(r, TK_EINVAL, "empty_file", "缺少导入文件（请求体为空）");
        return;
    }
    ic->data = r->body.data;
    ic->len = r->body.len;
    ic->opt.dry_run = dry_run != 0;
    ic->opt.scope_path = api_who(r)->scope_path;
    if (ic->opt.dry_run) {
        tk_req_write(r, dry_run_job, ic, dry_run_then);
        return;
    }
    api_op_submit(api_op_new(r, "territory", import_op_run, import_op_reply, ic));
}

void api_territory_export(tk_req *r)
{
    tk_error err;
    const char *format, *kind;
    if (api_failed(r, q_str(r, "format", 16, &format, &err), &err) ||
        api_failed(r, q_str(r, "kind", 100, &kind, &err), &err))
        return;
    if (!format)
        format = "csv";
    if (strcmp(format, "csv") != 0 && strcmp(format, "geojson") != 0) {
        tk_fail_field(&err, "format", "参数 format 需要是 csv 或 geojson");
        tk_reply_error(r, &err);
        return;
    }
    bool geojson = strcmp(format, "geojson") == 0;
    tk_export_options opt = {.scope_path = api_who(r)->scope_path, .kinds = kind};
    if (api_failed(r, tk_territory_export_check(&opt, &err), &err))
        return;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    if (!c) {
        tk_reply_error(r, &err);
        return;
    }
    tk_buf out;
    tk_buf_init(&out, EXPORT_MAX_BYTES);
    int64_t count = 0;
    tk_status st = geojson ? tk_territory_export_geojson(c, &opt, &out, &count, &err)
                           : tk_territory_export_csv(c, &opt, &out, &count, &err);
    if (st != TK_OK) {
        tk_buf_free(&out);
        tk_reply_error(r, &err);
        return;
    }
    size_t len = 0;
    char *body = tk_buf_take(&out, &len);
    char count_text[32];
    snprintf(count_text, sizeof count_text, "%lld", (long long)count);
    tk_req_add_header(r, "Content-Disposition",
                      geojson ? "attachment; filename=\"territory.geojson\""
                              : "attachment; filename=\"territory.csv\"");
    tk_req_add_header(r, "X-Total-Count", count_text);
    tk_reply_raw(r, 200, geojson ? "application/geo+json" : "text/csv; charset=utf-8", body, len,
                 true);
}
