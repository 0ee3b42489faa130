/*
 * csv.h - reading RFC 4180 CSV with line numbers, collecting per-line import
 * errors, and writing a field. Fields may be quoted ("a,b", doubled "" for a quote, line breaks
 * inside quotes); a leading UTF-8 BOM, CRLF and blank lines are accepted.
 */
#ifndef TK_CSV_H
#define TK_CSV_H

#include <stddef.h>

#include "core/mem.h"
#include "core/status.h"
#include "core/str.h"

typedef struct {
    const char *p, *end;
    int line; /* line where the next record starts */
} tk_csv;

void tk_csv_init(tk_csv *r, const char *text, size_t len);
/* Reads one record: fields are NUL-terminated copies in a; *line is the record's
 * first line. Returns 1 for a record, 0 at the end, -1 for a malformed record
 * (err says why; the reader skips to the next line). More than max fields is
 * malformed. */
int tk_csv_next(tk_csv *r, tk_arena *a, const char **fields, int max, int *nfields, int *line,
                tk_error *err);
/* Index of name in the header fields, or -1. */
int tk_csv_column(const char *const *header, int n, const char *name);

/* Appends s as one field (no separator): quoted when it holds a comma, a quote or
 * a line break, or starts or ends with a blank, which a reader would trim. NULL is
 * an empty field. */
void tk_csv_put(tk_buf *b, const char *s);

typedef struct {
    int line; /* 0 when not tied to a line */
    char code[48];
    char reason[400]; /* zh-CN */
} tk_line_error;

typedef struct {
    tk_line_error *items;
    int n, cap;
} tk_line_errors;

void tk_line_errors_add(tk_line_errors *e, int line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tk_line_errors_free(tk_line_errors *e);

#endif
