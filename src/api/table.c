/*
 * table.c - a table of text cells for download, as CSV or as an XLSX sheet.
 *
 * CSV is RFC 4180 in UTF-8, built in memory. XLSX goes through libxlsxwriter, which
 * writes a file: a temporary one, read back for the reply and removed. The sheet's
 * header row is bold, stays in view and filters its columns. Every export leaves
 * an audit record (who took which rows, how many) committed before the file goes
 * out: the ledgers carry residents' names and phones.
 */
#include "api/table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"

struct api_table {
    int ncols;
    tk_buf csv;
    lxw_workbook *book; /* NULL for CSV */
    lxw_worksheet *sheet;
    lxw_row_t row;
    bool guard_formulas;
    char path[40];
};

/* A workbook in a new temporary file, its header row written. */
static bool open_book(api_table *t, const char *sheet, const char *const *header)
{
    snprintf(t->path, sizeof t->path, "/tmp/tiaokuai-export-XXXXXX");
    int fd = mkstemp(t->path);
    if (fd < 0)
        return false;
    close(fd);
    t->book = workbook_new(t->path);
    t->sheet = t->book ? workbook_add_worksheet(t->book, sheet) : NULL;
    if (!t->sheet) {
        if (t->book)
            workbook_close(t->book);
        t->book = NULL;
        unlink(t->path);
        return false;
    }
    lxw_format *bold = workbook_add_format(t->book);
    format_set_bold(bold);
    lxw_col_t last = (lxw_col_t)(t->ncols - 1);
    worksheet_set_column(t->sheet, 0, last, 16, NULL);
    worksheet_freeze_panes(t->sheet, 1, 0);
    worksheet_autofilter(t->sheet, 0, 0, 0, last);
    for (int i = 0; i < t->ncols; i++)
        worksheet_write_string(t->sheet, 0, (lxw_col_t)i, header[i], bold);
    t->row = 1;
    return true;
}

api_table *api_table_begin(tk_req *r, const char *sheet, const char *const *header, int ncols)
{
    tk_error err;
    const char *format;
    if (api_failed(r, q_str(r, "format", 8, &format, &err), &err))
        return NULL;
    bool xlsx = format && !strcmp(format, "xlsx");
    if (format && !xlsx && strcmp(format, "csv")) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "format 需要 csv 或 xlsx");
        return NULL;
    }
    api_table *t = tk_xcalloc(1, sizeof *t);
    t->ncols = ncols;
    tk_buf_init(&t->csv, 64 << 20);
    if (!xlsx) {
        api_table_row(t, header);
        return t;
    }
    if (!open_book(t, sheet, header)) {
        tk_buf_free(&t->csv);
        free(t);
        tk_reply_fail(r, TK_EIO, "export_failed", "无法创建导出文件");
        return NULL;
    }
    return t;
}

/* A spreadsheet would run "=..." typed by a resident as a formula: guarded, it
 * shows the text with a ' before it. */
static void put_csv_cell(api_table *t, const char *s, bool last)
{
    char *guarded = NULL;
    if (t->guard_formulas && s[0] && strchr("=+-@", s[0])) {
        size_t n = strlen(s);
        guarded = tk_xmalloc(n + 2);
        guarded[0] = '\'';
        memcpy(guarded + 1, s, n + 1);
        s = guarded;
    }
    tk_csv_put(&t->csv, s);
    free(guarded);
    tk_buf_putc(&t->csv, last ? '\n' : ',');
}

void api_table_row(api_table *t, const char *const *cells)
{
    for (int i = 0; i < t->ncols; i++) {
        const char *s = cells[i] ? cells[i] : "";
        if (t->sheet)
            worksheet_write_string(t->sheet, t->row, (lxw_col_t)i, s, NULL);
        else
            put_csv_cell(t, s, i == t->ncols - 1);
    }
    t->row++;
}

void api_table_guard_formulas(api_table *t)
{
    t->guard_formulas = true;
}

/* The finished workbook's bytes; NULL if it could not be written or read. */
static char *read_book(api_table *t, size_t *len)
{
    bool closed = workbook_close(t->book) == LXW_NO_ERROR;
    t->book = NULL;
    FILE *fp = fopen(t->path, "rb");
    tk_buf file;
    tk_buf_init(&file, 64 << 20);
    char chunk[65536];
    size_t n;
    while (fp && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        tk_buf_append(&file, chunk, n);
    if (fp)
        fclose(fp);
    unlink(t->path);
    char *data = tk_buf_take(&file, len);
    if (!closed || !fp) {
        free(data);
        return NULL;
    }
    return data;
}

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

typedef struct {
    char *data; /* in the request's arena */
    size_t len;
    bool xlsx;
    char disposition[512];
} table_file;

static tk_status record_only(tk_conn *c, api_op *op, tk_error *err)
{
    (void)c;
    (void)op;
    (void)err;
    return TK_OK; /* the op appends the audit record */
}

static void reply_file(tk_req *r, api_op *op)
{
    table_file *f = op->data;
    tk_req_add_header(r, "Content-Disposition", f->disposition);
    tk_reply_raw(r, 200, f->xlsx ? XLSX_TYPE : "text/csv; charset=utf-8", f->data, f->len, false);
}

/* attachment; filename="ascii"; filename*=UTF-8''percent-encoded (RFC 6266): browsers
 * save the Chinese name; a client that knows only filename gets its ASCII part. */
static void disposition(char *out, size_t size, const char *file)
{
    char ascii[128] = "export";
    size_t a = strlen(ascii);
    for (const char *p = file; *p && a + 1 < sizeof ascii; p++)
        if ((unsigned char)*p < 0x80 && *p != '"' && *p != '\\')
            ascii[a++] = *p;
    ascii[a] = '\0';
    int n = snprintf(out, size, "attachment; filename=\"%s\"; filename*=UTF-8''", ascii);
    for (const unsigned char *p = (const unsigned char *)file; *p && n > 0 && (size_t)n + 4 < size;
         p++)
        n += isalnum(*p) || strchr("-._~", *p) ? snprintf(out + n, size - (size_t)n, "%c", *p)
                                               : snprintf(out + n, size - (size_t)n, "%%%02X", *p);
}

void api_table_finish(tk_req *r, api_table *t, const char *action, const char *name, json_t *detail,
                      tk_status st, const tk_error *err)
{
    bool xlsx = t->book != NULL;
    int64_t rows = (int64_t)t->row - 1;
    size_t len = 0;
    char *data = xlsx ? read_book(t, &len) : tk_buf_take(&t->csv, &len);
    tk_buf_free(&t->csv);
    free(t);
    if (st != TK_OK || !data) {
        free(data);
        json_decref(detail);
        if (st != TK_OK)
            tk_reply_error(r, err);
        else
            tk_reply_fail(r, TK_EIO, "export_failed", "导出失败");
        return;
    }
    table_file *f = tk_arena_zalloc(r->arena, sizeof *f);
    f->data = tk_arena_alloc(r->arena, len);
    memcpy(f->data, data, len);
    free(data);
    f->len = len;
    f->xlsx = xlsx;
    char file[96];
    snprintf(file, sizeof file, "%s.%s", name, xlsx ? "xlsx" : "csv");
    disposition(f->disposition, sizeof f->disposition, file);
    api_op *op = api_op_new(r, "export", record_only, reply_file, f);
    op->action = action;
    op->detail = detail ? detail : json_object();
    api_op_detail(op, "rows", json_integer(rows));
    api_op_detail(op, "file", json_string(file));
    api_op_submit(op);
}
