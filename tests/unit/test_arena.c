/*
 * test_arena.c - the per-request arena: alignment, big blocks, reset, strings.
 */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define ALIGN alignof(max_align_t)

static bool aligned(const void *p)
{
    return ((uintptr_t)p % ALIGN) == 0;
}

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

Test(arena, alloc_is_aligned_for_every_size)
{
    tk_arena *a = tk_arena_new(256);
    for (size_t n = 0; n < 200; n++) {
        void *p = tk_arena_alloc(a, n);
        cr_assert_not_null(p);
        cr_assert(aligned(p), "alloc(%zu) gave %p, not aligned to %zu", n, p, (size_t)ALIGN);
        memset(p, 0xAB, n); /* ASan catches a block smaller than asked */
    }
    tk_arena_free(a);
}

Test(arena, allocations_do_not_overlap)
{
    tk_arena *a = tk_arena_new(128);
    unsigned char *blocks[64];
    for (int i = 0; i < 64; i++) {
        blocks[i] = tk_arena_alloc(a, 24);
        memset(blocks[i], i, 24);
    }
    for (int i = 0; i < 64; i++)
        for (int k = 0; k < 24; k++)
            cr_assert_eq(blocks[i][k], (unsigned char)i, "block %d byte %d overwritten", i, k);
    tk_arena_free(a);
}

Test(arena, used_counts_rounded_sizes)
{
    tk_arena *a = tk_arena_new(0);
    cr_assert_eq(tk_arena_used(a), 0);
    tk_arena_alloc(a, 1);
    cr_assert_eq(tk_arena_used(a), ALIGN);
    tk_arena_alloc(a, ALIGN);
    cr_assert_eq(tk_arena_used(a), 2 * ALIGN);
    tk_arena_alloc(a, ALIGN + 1);
    cr_assert_eq(tk_arena_used(a), 4 * ALIGN);
    tk_arena_alloc(a, 0); /* still a distinct block */
    cr_assert_eq(tk_arena_used(a), 5 * ALIGN);
    tk_arena_free(a);
}

Test(arena, zero_size_allocs_are_distinct)
{
    tk_arena *a = tk_arena_new(0);
    void *p = tk_arena_alloc(a, 0);
    void *q = tk_arena_alloc(a, 0);
    cr_assert_neq(p, q);
    tk_arena_free(a);
}

Test(arena, big_allocation_gets_its_own_block)
{
    tk_arena *a = tk_arena_new(1024);
    char *small1 = tk_arena_alloc(a, 16);
    size_t big_n = 100000;
    char *big = tk_arena_alloc(a, big_n);
    cr_assert(aligned(big));
    memset(big, 'x', big_n);
    /* The current chunk still had room: small allocations continue there. */
    char *small2 = tk_arena_alloc(a, 16);
    cr_assert_eq(small2, small1 + 16, "small alloc after a big one left the current chunk");
    cr_assert(small2 + 16 <= big || small2 >= big + big_n);
    cr_assert_eq(tk_arena_used(a), round_up(16) + round_up(big_n) + round_up(16));
    for (size_t i = 0; i < big_n; i++)
        if (big[i] != 'x')
            cr_assert_fail("big block byte %zu overwritten", i);
    tk_arena_free(a);
}

Test(arena, many_chunks)
{
    tk_arena *a = tk_arena_new(64);
    size_t total = 0;
    for (size_t i = 1; i <= 500; i++) {
        size_t n = i % 50;
        char *p = tk_arena_alloc(a, n);
        memset(p, (int)i, n);
        total += n ? round_up(n) : ALIGN;
    }
    cr_assert_eq(tk_arena_used(a), total);
    tk_arena_free(a);
}

Test(arena, reset_empties_and_reuses_the_first_chunk)
{
    tk_arena *a = tk_arena_new(1024);
    char *first = tk_arena_alloc(a, 32);
    for (int i = 0; i < 100; i++)
        tk_arena_alloc(a, 100); /* more chunks */
    cr_assert_gt(tk_arena_used(a), 1024);
    tk_arena_reset(a);
    cr_assert_eq(tk_arena_used(a), 0);
    char *again = tk_arena_alloc(a, 32);
    cr_assert_eq(again, first, "reset did not keep the first chunk");
    memset(again, 1, 32);
    tk_arena_free(a);
}

/* A big block allocated while the first chunk is current must not displace the
 * first chunk as the one reset keeps. */
Test(arena, reset_after_big_block_keeps_the_first_chunk)
{
    tk_arena *a = tk_arena_new(1024);
    char *first = tk_arena_alloc(a, 32);
    char *big = tk_arena_alloc(a, 1 << 20);
    memset(big, 0, 1 << 20);
    tk_arena_reset(a);
    cr_assert_eq(tk_arena_used(a), 0);
    char *again = tk_arena_alloc(a, 32);
    cr_assert_eq(again, first, "reset kept the big block instead of the first chunk");
    tk_arena_alloc(a, 2000); /* the arena still works */
    tk_arena_free(a);
}

Test(arena, reset_fresh_arena)
{
    tk_arena *a = tk_arena_new(0);
    tk_arena_reset(a);
    cr_assert_eq(tk_arena_used(a), 0);
    cr_assert_not_null(tk_arena_alloc(a, 8));
    tk_arena_free(a);
}

Test(arena, zalloc_zeroes)
{
    tk_arena *a = tk_arena_new(64);
    unsigned char *p = tk_arena_alloc(a, 48);
    memset(p, 0xFF, 48);
    tk_arena_reset(a);
    unsigned char *z = tk_arena_zalloc(a, 48);
    for (int i = 0; i < 48; i++)
        cr_assert_eq(z[i], 0);
    tk_arena_free(a);
}

Test(arena, strndup_copies_and_terminates)
{
    tk_arena *a = tk_arena_new(0);
    const char src[] = "hello, world";
    char *s = tk_arena_strndup(a, src, 5);
    cr_assert_str_eq(s, "hello");
    cr_assert_neq((const char *)s, src);
    char *e = tk_arena_strndup(a, src, 0);
    cr_assert_str_eq(e, "");
    /* Bytes past NUL are copied too: strndup takes a length, not a C string. */
    char *b = tk_arena_strndup(a, "a\0b", 3);
    cr_assert_eq(memcmp(b, "a\0b\0", 4), 0);
    char *d = tk_arena_strdup(a, "调快");
    cr_assert_str_eq(d, "调快");
    tk_arena_free(a);
}

Test(arena, printf_formats_any_length)
{
    tk_arena *a = tk_arena_new(64);
    char *s = tk_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
    cr_assert_str_eq(s, "x-42-003.1");
    char *empty = tk_arena_printf(a, "%s", "");
    cr_assert_str_eq(empty, "");
    /* Longer than a chunk. */
    char *long_s = tk_arena_printf(a, "%0500d", 7);
    cr_assert_eq(strlen(long_s), 500);
    cr_assert_eq(long_s[499], '7');
    cr_assert_eq(long_s[0], '0');
    cr_assert(aligned(long_s));
    tk_arena_free(a);
}

Test(mem, xstrdup_and_xcalloc)
{
    char *s = tk_xstrdup("abc");
    cr_assert_str_eq(s, "abc");
    free(s);
    int *z = tk_xcalloc(16, sizeof *z);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(z[i], 0);
    free(z);
    void *m = tk_xmalloc(0); /* never NULL */
    cr_assert_not_null(m);
    free(m);
    tk_arena_free(NULL); /* harmless */
}

/* A name from the data may hold quotes, backslashes and controls: the detail stays JSON. */
Test(arena, json_string_escapes)
{
    tk_arena *a = tk_arena_new(256);
    cr_assert_str_eq(tk_arena_json_string(a, "航埠镇"), "\"航埠镇\"");
    cr_assert_str_eq(tk_arena_json_string(a, ""), "\"\"");
    cr_assert_str_eq(tk_arena_json_string(a, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    cr_assert_str_eq(tk_arena_json_string(a, "x\ny\t\x01"), "\"x\\u000ay\\u0009\\u0001\"");
    tk_arena_free(a);
}
