#include "core/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

void tk_csv_init(tk_csv *r, const char *text, size_t len)
{
    r->p = text;
    r->end = text + len;
    r->line = 1;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        r->p += 3;
}

static void skip_line(tk_csv *r)
{
    while (r->p < r->end && *r->p != '\n')
        r->p++;
    if (r->p < r->end) {
        r->p++;
        r->line++;
    }
}

/* Names the record's first line, the number the caller reports it under (an
 * unclosed quote would otherwise be blamed on a line past the end of the file). */
static int malformed(tk_csv *r, int first_line, tk_error *err, const char *why)
{
    tk_fail(err, TK_EVALID, "malformed_csv", "第 %d 行：%s", first_line, why);
    skip_line(r);
    return -1;
}

int tk_csv_next(tk_csv *r, tk_arena *a, const char **fields, int max, int *nfields, int *line,
                tk_error *err)
{
    /* Blank lines between records are ignored. */
    while (r->p < r->end &&
           (*r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n'))) {
        r->p += *r->p == '\r' ? 2 : 1;
        r->line++;
    }
    if (r->p >= r->end)
        return 0;
    *line = r->line;
    *nfields = 0;
    tk_buf field;
    tk_buf_init(&field, 1 << 20);
    for (;;) {
        tk_buf_clear(&field);
        bool quoted = r->p < r->end && *r->p == '"';
        if (quoted) {
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    tk_buf_free(&field);
                    return malformed(r, *line, err, "引号没有闭合");
                }
                char c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"') {
                        tk_buf_putc(&field, '"');
                        r->p++;
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                tk_buf_putc(&field, c);
            }
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                tk_buf_free(&field);
                return malformed(r, *line, err, "引号后面只能是逗号或换行");
            }
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                if (*r->p == '"') {
                    tk_buf_free(&field);
                    return malformed(r, *line, err, "未加引号的字段中出现了引号");
                }
                tk_buf_putc(&field, *r->p++);
            }
        }
        if (*nfields >= max) {
            tk_buf_free(&field);
            return malformed(r, *line, err, "字段过多");
        }
        if (field.failed) {
            tk_buf_free(&field);
            return malformed(r, *line, err, "字段过长");
        }
        fields[(*nfields)++] = tk_arena_strndup(a, field.data ? field.data : "", field.len);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n') {
            r->p++;
            r->line++;
        }
        break;
    }
    tk_buf_free(&field);
    return 1;
}

int tk_csv_column(const char *const *header, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    return -1;
}

void tk_line_errors_add(tk_line_errors *e, int line, const char *code, const char *fmt, ...)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->items = tk_xrealloc(e->items, (size_t)e->cap * sizeof *e->items);
    }
    tk_line_error *it = &e->items[e->n++];
    it->line = line;
    snprintf(it->code, sizeof it->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    tk_error tmp;
    tk_vfail(&tmp, TK_EVALID, code, fmt, ap); /* reuses the UTF-8-safe truncation */
    va_end(ap);
    snprintf(it->reason, sizeof it->reason, "%s", tmp.detail);
}

void tk_line_errors_free(tk_line_errors *e)
{
    free(e->items);
    e->items = NULL;
    e->n = e->cap = 0;
}

void tk_csv_put(tk_buf *b, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'));
    if (!quote) {
        tk_buf_append(b, s, n);
        return;
    }
    tk_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            tk_buf_putc(b, '"');
        tk_buf_putc(b, *s);
    }
    tk_buf_putc(b, '"');
}
