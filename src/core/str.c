#include "core/str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

tk_slice tk_slice_of(const char *s)
{
    return (tk_slice){s ? s : "", s ? strlen(s) : 0};
}

bool tk_slice_eq(tk_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

bool tk_slice_eq_slice(tk_slice a, tk_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool tk_slice_starts_with(tk_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

tk_slice tk_slice_trim(tk_slice s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

bool tk_slice_cut(tk_slice *rest, char sep, tk_slice *head)
{
    if (rest->len == 0 && rest->ptr == NULL)
        return false;
    const char *hit = rest->len ? memchr(rest->ptr, sep, rest->len) : NULL;
    if (!hit) {
        *head = *rest;
        *rest = (tk_slice){NULL, 0};
        return true;
    }
    head->ptr = rest->ptr;
    head->len = (size_t)(hit - rest->ptr);
    rest->len -= head->len + 1;
    rest->ptr = hit + 1;
    return true;
}

bool tk_slice_to_i64(tk_slice s, int64_t *out)
{
    if (s.len == 0 || s.len > 20)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s.ptr[0] == '-') {
        neg = true;
        i = 1;
        if (s.len == 1)
            return false;
    }
    uint64_t v = 0;
    for (; i < s.len; i++) {
        char c = s.ptr[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t d = (uint64_t)(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool tk_slice_to_double(tk_slice s, double *out)
{
    char tmp[64];
    if (s.len == 0 || s.len >= sizeof tmp)
        return false;
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = '\0';
    if (is_space(tmp[0]))
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || end != tmp + s.len || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool tk_parse_i64(const char *s, int64_t *out)
{
    return s && tk_slice_to_i64(tk_slice_of(s), out);
}

bool tk_parse_double(const char *s, double *out)
{
    return s && tk_slice_to_double(tk_slice_of(s), out);
}

long tk_utf8_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            n = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (i + n > len)
            return -1;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += n;
        count++;
    }
    return count;
}

void tk_buf_init(tk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : (size_t)64 << 20;
    b->failed = false;
}

void tk_buf_free(tk_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tk_buf_clear(tk_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static tk_status buf_fail(tk_buf *b)
{
    tk_buf_free(b);
    b->failed = true;
    return TK_ETOOBIG;
}

static tk_status buf_reserve(tk_buf *b, size_t extra)
{
    if (b->failed)
        return TK_ETOOBIG;
    if (extra > b->max || b->len > b->max - extra)
        return buf_fail(b);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return TK_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = tk_xrealloc(b->data, cap);
    b->cap = cap;
    return TK_OK;
}

tk_status tk_buf_append(tk_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != TK_OK)
        return TK_ETOOBIG;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TK_OK;
}

tk_status tk_buf_puts(tk_buf *b, const char *s)
{
    return tk_buf_append(b, s, strlen(s));
}

tk_status tk_buf_putc(tk_buf *b, char c)
{
    return tk_buf_append(b, &c, 1);
}

tk_status tk_buf_vprintf(tk_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return buf_fail(b);
    if (buf_reserve(b, (size_t)n) != TK_OK)
        return TK_ETOOBIG;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return TK_OK;
}

tk_status tk_buf_printf(tk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tk_status st = tk_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

char *tk_buf_take(tk_buf *b, size_t *len)
{
    if (b->failed)
        return NULL;
    if (!b->data && tk_buf_append(b, "", 0) != TK_OK) /* an empty string, terminated */
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void tk_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
