/*
 * mem.h - allocation that never returns NULL, and the per-request arena.
 *
 * Out of memory is not a condition this server recovers from: tk_xmalloc and
 * friends abort, like Redis' zmalloc. An arena hands out memory that lives until
 * tk_arena_free (or tk_arena_reset); the request context owns one per request.
 */
#ifndef TK_MEM_H
#define TK_MEM_H

#include <stdarg.h>
#include <stddef.h>

void *tk_xmalloc(size_t n);
void *tk_xcalloc(size_t count, size_t size);
void *tk_xrealloc(void *p, size_t n);
char *tk_xstrdup(const char *s);

typedef struct tk_arena tk_arena;

/* chunk_size: bytes per chunk (0 = 8 KiB). Large requests get their own chunk. */
tk_arena *tk_arena_new(size_t chunk_size);
void tk_arena_free(tk_arena *a);
/* Frees every chunk but the first; memory from the arena becomes invalid. */
void tk_arena_reset(tk_arena *a);

/* Aligned to max_align_t; never NULL. */
void *tk_arena_alloc(tk_arena *a, size_t n);
void *tk_arena_zalloc(tk_arena *a, size_t n);
char *tk_arena_strndup(tk_arena *a, const char *s, size_t n);
char *tk_arena_strdup(tk_arena *a, const char *s);
char *tk_arena_printf(tk_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included ("航埠镇", "a\"b"), for the details the domain
 * writes beside a change: a name from the data may hold any character. */
char *tk_arena_json_string(tk_arena *a, const char *s);
/* nonnull: without it, GCC 12's -fsanitize=undefined check on fmt makes
 * -Wformat-truncation report a "null format string" and breaks the ASan build. */
char *tk_arena_vprintf(tk_arena *a, const char *fmt, va_list ap) __attribute__((nonnull(2)));
/* Bytes handed out so far, for tests and limits. */
size_t tk_arena_used(const tk_arena *a);

#endif
