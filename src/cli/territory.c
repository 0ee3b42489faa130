/*
 * territory.c - `tiaokuai import` and `tiaokuai export`: territory files (CSV of
 * units, GeoJSON of grid polygons) on the database file directly, with the same
 * checks and report as POST /api/v1/territory/import. An import is written to the
 * audit chain with the actor "命令行". A running server rebuilds its grid locator
 * only on its own imports: restart it after importing grids here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "core/str.h"
#include "gov/audit.h"
#include "gov/territory_io.h"

#define CLI_ACTOR      "命令行"
#define FILE_MAX_BYTES (256u << 20)

static const char *import_usage =
    "用法：tiaokuai import --db 路径 --format csv|geojson [--dry-run]\n"
    "                     [--overlap-tolerance 平方米] [--outside-tolerance 平方米] 文件\n"
    "导入区划与网格（文件为 - 时读标准输入）。整个文件要么全部导入，要么一行也不写入；\n"
    "--dry-run 只校验并报告将新增、修改、不变的单位。有错误时列出每一行的原因并以 65 退出。";

static const char *export_usage =
    "用法：tiaokuai export --db 路径 --format csv|geojson [--kind 层级,层级] > 文件\n"
    "把区划与网格导出到标准输出。层级：county township village grid microgrid\n"
    "（CSV 默认全部，GeoJSON 默认 grid）。";

static bool read_all(const char *path, tk_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return false;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tk_buf_append(out, chunk, n) != TK_OK)
            break;
    bool ok = !ferror(f) && !out->failed;
    if (f != stdin)
        fclose(f);
    return ok;
}

static bool parse_tolerance(const char *text, const char *flag, double *out)
{
    *out = -1;
    if (!text)
        return true;
    if (tk_parse_double(text, out) && *out >= 0 && *out <= 1e9)
        return true;
    fprintf(stderr, "tiaokuai: %s 需要 0 到 1000000000 之间的平方米数\n", flag);
    return false;
}

typedef struct {
    bool geojson;
    tk_import_options opt;
    const char *data;
    size_t len;
    tk_arena *a;
    tk_import_report rep;
} import_job;

static tk_status import_run(tk_conn *c, void *arg, tk_error *err)
{
    import_job *j = arg;
    tk_arena_reset(j->a); /* a batch run again starts afresh */
    tk_status st =
        j->geojson ? tk_territory_import_geojson(c, j->a, j->data, j->len, &j->opt, &j->rep, err)
                   : tk_territory_import_csv(c, j->a, j->data, j->len, &j->opt, &j->rep, err);
    if (st != TK_OK || j->opt.dry_run)
        return st;
    char detail[256];
    snprintf(detail, sizeof detail,
             "{\"format\":\"%s\",\"bytes\":%zu,\"added\":%lld,\"changed\":%lld,"
             "\"unchanged\":%lld,\"rejected\":0}",
             j->geojson ? "geojson" : "csv", j->len, (long long)j->rep.added,
             (long long)j->rep.changed, (long long)j->rep.unchanged);
    tk_audit_entry e = {.actor = CLI_ACTOR,
                        .ip = "local",
                        .action = "territory.import",
                        .target_type = "territory",
                        .target_id = "",
                        .outcome = "ok",
                        .detail = detail};
    return tk_audit_append(c, &e, NULL, err);
}

static int print_report(const import_job *j, tk_status st, const tk_error *err)
{
    const tk_import_report *r = &j->rep;
    if (st == TK_EVALID && strcmp(err->code, "import_rejected") == 0) {
        for (size_t i = 0; i < r->nerrors; i++)
            fprintf(stderr, "%s\n", r->errors[i].reason);
        fprintf(stderr,
                "导入被拒绝：%lld 处错误，未写入任何数据（其余：新增 %lld，修改 %lld，"
                "不变 %lld）\n",
                (long long)r->rejected, (long long)r->added, (long long)r->changed,
                (long long)r->unchanged);
        return EX_DATAERR;
    }
    if (st != TK_OK)
        return tk_cli_fail(err);
    printf("%s新增 %lld，修改 %lld，不变 %lld，拒绝 0\n",
           j->opt.dry_run ? "试运行通过（未写入任何数据）：" : "导入完成：", (long long)r->added,
           (long long)r->changed, (long long)r->unchanged);
    if (r->grids_changed)
        printf("网格有变化：如服务正在运行，请重启它以更新坐标定位\n");
    return 0;
}

int tk_cli_import(int argc, char **argv)
{
    int n = argc;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    const char *format = tk_cli_take_flag(&n, args, "--format");
    const char *overlap = tk_cli_take_flag(&n, args, "--overlap-tolerance");
    const char *outside = tk_cli_take_flag(&n, args, "--outside-tolerance");
    import_job j = {.opt = {.dry_run = tk_cli_take_switch(&n, args, "--dry-run")}};
    tk_config cfg;
    tk_db *db = NULL;
    char **rest = NULL;
    int nrest = 0;
    int rc = tk_cli_open_db(n, args, import_usage, &cfg, &db, &rest, &nrest);
    free(args);
    if (rc >= 0) {
        free(rest);
        return rc;
    }
    tk_buf file;
    tk_buf_init(&file, FILE_MAX_BYTES);
    if (nrest != 1 || !format || (strcmp(format, "csv") != 0 && strcmp(format, "geojson") != 0)) {
        fprintf(stderr, "%s\n", import_usage);
        rc = EX_USAGE;
    } else if (!parse_tolerance(overlap, "--overlap-tolerance", &j.opt.overlap_tolerance_m2) ||
               !parse_tolerance(outside, "--outside-tolerance", &j.opt.outside_tolerance_m2)) {
        rc = EX_USAGE;
    } else if (!read_all(rest[0], &file)) {
        fprintf(stderr, "tiaokuai: 无法读取文件 %s（不存在、无权读取或超过 256 MiB）\n", rest[0]);
        rc = EX_NOINPUT;
    } else {
        j.geojson = strcmp(format, "geojson") == 0;
        j.data = file.data ? file.data : "";
        j.len = file.len;
        j.a = tk_arena_new(0);
        tk_error err;
        tk_error_clear(&err);
        tk_status st = tk_db_write(db, import_run, &j, &err);
        rc = print_report(&j, st, &err);
        tk_arena_free(j.a);
    }
    tk_buf_free(&file);
    free(rest);
    tk_db_close(db);
    return rc;
}

int tk_cli_export(int argc, char **argv)
{
    int n = argc;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    const char *format = tk_cli_take_flag(&n, args, "--format");
    const char *kind = tk_cli_take_flag(&n, args, "--kind");
    tk_config cfg;
    tk_db *db = NULL;
    char **rest = NULL;
    int nrest = 0;
    int rc = tk_cli_open_db(n, args, export_usage, &cfg, &db, &rest, &nrest);
    free(args);
    if (rc >= 0) {
        free(rest);
        return rc;
    }
    free(rest);
    if (nrest != 0 || (format && strcmp(format, "csv") != 0 && strcmp(format, "geojson") != 0)) {
        fprintf(stderr, "%s\n", export_usage);
        tk_db_close(db);
        return EX_USAGE;
    }
    bool geojson = format && strcmp(format, "geojson") == 0;
    tk_export_options opt = {.kinds = kind};
    tk_error err;
    tk_buf out;
    tk_buf_init(&out, 1u << 30);
    int64_t count = 0;
    tk_conn *c = tk_db_reader(db, &err);
    tk_status st = !c        ? err.status
                   : geojson ? tk_territory_export_geojson(c, &opt, &out, &count, &err)
                             : tk_territory_export_csv(c, &opt, &out, &count, &err);
    if (st == TK_OK) {
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
            fprintf(stderr, "tiaokuai: 写出失败\n");
            rc = EX_IOERR;
        } else {
            fprintf(stderr, "已导出 %lld %s\n", (long long)count, geojson ? "个要素" : "行");
            rc = 0;
        }
    } else {
        rc = tk_cli_fail(&err);
    }
    tk_buf_free(&out);
    tk_db_close(db);
    return rc;
}
