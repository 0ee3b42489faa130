/*
 * str.h - length-carrying string slices and a capped growable buffer.
 *
 * A tk_slice borrows bytes; it never owns them. Parsers advance a slice as a
 * cursor (tk_slice_cut). A tk_buf owns its bytes and refuses to grow past its
 * cap: on any failure it frees itself and stays failed (like curl's dynbuf), so a
 * caller checks once at the end.
 */
#ifndef TK_STR_H
#define TK_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
    const char *ptr;
    size_t len;
} tk_slice;

#define TK_SLICE_LIT(s) ((tk_slice){(s), sizeof(s) - 1})

tk_slice tk_slice_of(const char *s); /* NULL gives an empty slice */
bool tk_slice_eq(tk_slice s, const char *lit);
bool tk_slice_eq_slice(tk_slice a, tk_slice b);
bool tk_slice_starts_with(tk_slice s, const char *prefix);
tk_slice tk_slice_trim(tk_slice s); /* ASCII whitespace */
/* Splits *rest at the first sep: *head gets what is before it, *rest what is after.
 * Without sep, head = all of rest and rest becomes {NULL, 0}. Returns false only
 * for {NULL, 0}, so "a/" yields "a" then "" and then stops. */
bool tk_slice_cut(tk_slice *rest, char sep, tk_slice *head);
/* Strict decimal integer: optional '-', digits only, no overflow. */
bool tk_slice_to_i64(tk_slice s, int64_t *out);
/* Strict decimal number (strtod over the whole slice, finite). */
bool tk_slice_to_double(tk_slice s, double *out);
/* Convenience over NUL-terminated strings. */
bool tk_parse_i64(const char *s, int64_t *out);
bool tk_parse_double(const char *s, double *out);

/* Counts code points in valid UTF-8; returns -1 on invalid UTF-8. */
long tk_utf8_length(const char *s, size_t len);

typedef struct {
    char *data; /* NUL-terminated while not failed */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    bool failed;
} tk_buf;

void tk_buf_init(tk_buf *b, size_t max);
void tk_buf_free(tk_buf *b);
void tk_buf_clear(tk_buf *b); /* len = 0, keeps memory */
/* TK_ETOOBIG once past max; the buffer is then freed and failed. */
tk_status tk_buf_append(tk_buf *b, const void *p, size_t n);
tk_status tk_buf_puts(tk_buf *b, const char *s);
tk_status tk_buf_putc(tk_buf *b, char c);
tk_status tk_buf_printf(tk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
tk_status tk_buf_vprintf(tk_buf *b, const char *fmt, va_list ap);
/* Hands the bytes to the caller (free() them); the buffer is emptied. */
char *tk_buf_take(tk_buf *b, size_t *len);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void tk_hex(const unsigned char *bytes, size_t n, char *out);

#endif
