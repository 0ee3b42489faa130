#include "core/mem.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "level=fatal msg=\"out of memory\" bytes=%zu\n", n);
    abort();
}

void *tk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *tk_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *tk_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *tk_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(tk_xmalloc(n), s, n);
}

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct tk_arena {
    chunk *head;  /* current chunk; the list holds every chunk */
    chunk *first; /* kept by reset; a big block may sit after it in the list */
    size_t chunk_size;
    size_t total;
};

static chunk *chunk_new(size_t size)
{
    chunk *c = tk_xmalloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

tk_arena *tk_arena_new(size_t chunk_size)
{
    tk_arena *a = tk_xmalloc(sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : 8192;
    a->head = a->first = chunk_new(a->chunk_size);
    a->total = 0;
    return a;
}

void tk_arena_free(tk_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void tk_arena_reset(tk_arena *a)
{
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (c != a->first)
            free(c);
    }
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->total = 0;
}

void *tk_arena_alloc(tk_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX - align)
        oom(n);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    chunk *c = a->head;
    if (c->size - c->used < n) {
        size_t size = n > a->chunk_size / 4 ? n : a->chunk_size;
        chunk *fresh = chunk_new(size);
        if (size == n && c->size - c->used > 0) {
            /* A big block: keep filling the current chunk afterwards. */
            fresh->next = c->next;
            c->next = fresh;
            fresh->used = n;
            a->total += n;
            return fresh->data;
        }
        fresh->next = c;
        a->head = c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    return p;
}

void *tk_arena_zalloc(tk_arena *a, size_t n)
{
    return memset(tk_arena_alloc(a, n), 0, n);
}

char *tk_arena_strndup(tk_arena *a, const char *s, size_t n)
{
    char *p = tk_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tk_arena_strdup(tk_arena *a, const char *s)
{
    return tk_arena_strndup(a, s, strlen(s));
}

char *tk_arena_json_string(tk_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = tk_arena_alloc(a, n * 6 + 3), *o = out; /* \u00XX at worst */
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += snprintf(o, 7, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = 0;
    return out;
}

char *tk_arena_vprintf(tk_arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return tk_arena_strdup(a, "");
    char *p = tk_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *tk_arena_printf(tk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = tk_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t tk_arena_used(const tk_arena *a)
{
    return a->total;
}
