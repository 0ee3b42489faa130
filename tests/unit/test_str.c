/*
 * test_str.c - slices, strict number parsing, UTF-8 counting, the capped buffer.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

/* ---- slices ---- */

Test(slice, of_and_eq)
{
    tk_slice s = tk_slice_of("abc");
    cr_assert_eq(s.len, 3);
    cr_assert(tk_slice_eq(s, "abc"));
    cr_assert_not(tk_slice_eq(s, "ab"));
    cr_assert_not(tk_slice_eq(s, "abcd"));
    cr_assert_not(tk_slice_eq(s, "abd"));

    tk_slice n = tk_slice_of(NULL);
    cr_assert_eq(n.len, 0);
    cr_assert_not_null(n.ptr);
    cr_assert(tk_slice_eq(n, ""));

    /* eq compares only len bytes: a slice into a longer string. */
    tk_slice part = {"abcdef", 3};
    cr_assert(tk_slice_eq(part, "abc"));
    cr_assert_not(tk_slice_eq(part, "abcdef"));
}

Test(slice, eq_slice_and_starts_with)
{
    cr_assert(tk_slice_eq_slice(TK_SLICE_LIT("xy"), (tk_slice){"xyz", 2}));
    cr_assert_not(tk_slice_eq_slice(TK_SLICE_LIT("xy"), TK_SLICE_LIT("xz")));
    cr_assert_not(tk_slice_eq_slice(TK_SLICE_LIT("xy"), TK_SLICE_LIT("xyz")));
    /* Two empty slices are equal even when one has a NULL pointer. */
    cr_assert(tk_slice_eq_slice((tk_slice){NULL, 0}, TK_SLICE_LIT("")));

    cr_assert(tk_slice_starts_with(TK_SLICE_LIT("/api/v1"), "/api"));
    cr_assert(tk_slice_starts_with(TK_SLICE_LIT("/api"), "/api"));
    cr_assert(tk_slice_starts_with(TK_SLICE_LIT("/api"), ""));
    cr_assert_not(tk_slice_starts_with(TK_SLICE_LIT("/ap"), "/api"));
    cr_assert_not(tk_slice_starts_with(TK_SLICE_LIT("/apx"), "/api"));
}

Test(slice, trim)
{
    tk_slice t = tk_slice_trim(tk_slice_of(" \t\r\n a b \v\f\n"));
    cr_assert(tk_slice_eq(t, "a b"));
    t = tk_slice_trim(tk_slice_of("   "));
    cr_assert_eq(t.len, 0);
    t = tk_slice_trim(tk_slice_of(""));
    cr_assert_eq(t.len, 0);
    t = tk_slice_trim(tk_slice_of("x"));
    cr_assert(tk_slice_eq(t, "x"));
    /* Only ASCII whitespace: a full-width space (U+3000) stays. */
    t = tk_slice_trim(tk_slice_of("\xE3\x80\x80x"));
    cr_assert_eq(t.len, 4);
    /* Trim does not read past len. */
    t = tk_slice_trim((tk_slice){" ab  cd", 4});
    cr_assert(tk_slice_eq(t, "ab"));
}

Test(slice, cut_walks_fields_as_a_cursor)
{
    const char *src = "a,bc,,d";
    tk_slice rest = tk_slice_of(src), head;
    const char *want[] = {"a", "bc", "", "d"};
    for (int i = 0; i < 4; i++) {
        cr_assert(tk_slice_cut(&rest, ',', &head), "field %d missing", i);
        cr_assert(tk_slice_eq(head, want[i]), "field %d: got '%.*s'", i, (int)head.len, head.ptr);
    }
    cr_assert_not(tk_slice_cut(&rest, ',', &head));
    cr_assert_not(tk_slice_cut(&rest, ',', &head)); /* stays exhausted */
}

Test(slice, cut_borrows_from_the_source)
{
    const char *src = "key=value=more";
    tk_slice rest = tk_slice_of(src), head;
    cr_assert(tk_slice_cut(&rest, '=', &head));
    cr_assert_eq(head.ptr, src);
    cr_assert_eq(head.len, 3);
    cr_assert_eq(rest.ptr, src + 4);
    cr_assert(tk_slice_eq(rest, "value=more"));
}

Test(slice, cut_without_separator_takes_everything)
{
    tk_slice rest = tk_slice_of("abc"), head;
    cr_assert(tk_slice_cut(&rest, ',', &head));
    cr_assert(tk_slice_eq(head, "abc"));
    cr_assert_null(rest.ptr); /* callers use this to tell "no separator" */
    cr_assert_eq(rest.len, 0);
    cr_assert_not(tk_slice_cut(&rest, ',', &head));
}

Test(slice, cut_trailing_separator_gives_an_empty_last_field)
{
    tk_slice rest = tk_slice_of("a,"), head;
    cr_assert(tk_slice_cut(&rest, ',', &head));
    cr_assert(tk_slice_eq(head, "a"));
    cr_assert_not_null(rest.ptr);
    cr_assert(tk_slice_cut(&rest, ',', &head));
    cr_assert_eq(head.len, 0);
    cr_assert_not(tk_slice_cut(&rest, ',', &head));
}

Test(slice, cut_null_slice_cuts_nothing)
{
    tk_slice rest = {NULL, 0}, head = TK_SLICE_LIT("untouched");
    cr_assert_not(tk_slice_cut(&rest, ',', &head));
    cr_assert(tk_slice_eq(head, "untouched"));
}

Test(slice, cut_empty_string_is_one_empty_field)
{
    /* The router relies on this: path "/" is one empty segment. */
    tk_slice rest = tk_slice_of(""), head;
    cr_assert(tk_slice_cut(&rest, '/', &head));
    cr_assert_eq(head.len, 0);
    cr_assert_not(tk_slice_cut(&rest, '/', &head));
}

/* ---- numbers ---- */

static void expect_i64(const char *s, int64_t want)
{
    int64_t v = 12345;
    cr_assert(tk_parse_i64(s, &v), "\"%s\" rejected", s);
    cr_assert_eq(v, want, "\"%s\" gave %lld", s, (long long)v);
}

static void reject_i64(const char *s)
{
    int64_t v = 12345;
    cr_assert_not(tk_parse_i64(s, &v), "\"%s\" accepted as %lld", s, (long long)v);
    cr_assert_eq(v, 12345, "\"%s\" changed out on failure", s);
}

Test(number, i64_accepts_plain_decimals)
{
    expect_i64("0", 0);
    expect_i64("-0", 0);
    expect_i64("7", 7);
    expect_i64("007", 7);
    expect_i64("-42", -42);
    expect_i64("1234567890123", 1234567890123LL);
    expect_i64("9223372036854775807", INT64_MAX);
    expect_i64("-9223372036854775808", INT64_MIN);
}

Test(number, i64_rejects_overflow)
{
    reject_i64("9223372036854775808");
    reject_i64("-9223372036854775809");
    reject_i64("18446744073709551615");
    reject_i64("18446744073709551616");
    reject_i64("99999999999999999999");
    reject_i64("-99999999999999999999");
    reject_i64("123456789012345678901234567890");
}

Test(number, i64_rejects_anything_not_strict)
{
    reject_i64("");
    reject_i64("-");
    reject_i64("--1");
    reject_i64("+1");
    reject_i64("12a");
    reject_i64("a12");
    reject_i64(" 1");
    reject_i64("1 ");
    reject_i64("1.0");
    reject_i64("1e3");
    reject_i64("0x10");
    reject_i64("１"); /* full-width digit */
    int64_t v;
    cr_assert_not(tk_parse_i64(NULL, &v));
}

Test(number, i64_slice_stops_at_len)
{
    int64_t v = 0;
    cr_assert(tk_slice_to_i64((tk_slice){"123abc", 3}, &v));
    cr_assert_eq(v, 123);
    cr_assert_not(tk_slice_to_i64((tk_slice){"123abc", 4}, &v));
    cr_assert_not(tk_slice_to_i64((tk_slice){"-5", 1}, &v));
}

static void expect_double(const char *s, double want)
{
    double v = -1;
    cr_assert(tk_parse_double(s, &v), "\"%s\" rejected", s);
    cr_assert_float_eq(v, want, 1e-12, "\"%s\" gave %g", s, v);
}

static void reject_double(const char *s)
{
    double v = 99.5;
    cr_assert_not(tk_parse_double(s, &v), "\"%s\" accepted as %g", s, v);
    cr_assert_eq(v, 99.5);
}

Test(number, double_accepts_numbers)
{
    expect_double("0", 0);
    expect_double("1.5", 1.5);
    expect_double("-2.25", -2.25);
    expect_double("1e3", 1000);
    expect_double("-2E-2", -0.02);
    expect_double("121.4737", 121.4737);
    expect_double("1e308", 1e308);
}

Test(number, double_rejects_junk_and_non_finite)
{
    reject_double("");
    reject_double("-");
    reject_double("12a");
    reject_double(" 1");
    reject_double("1 ");
    reject_double("1.5.2");
    reject_double("1e400");
    reject_double("-1e400");
    reject_double("inf");
    reject_double("-infinity");
    reject_double("nan");
    reject_double("NaN");
    double v;
    cr_assert_not(tk_parse_double(NULL, &v));
}

Test(number, double_slice_stops_at_len)
{
    double v = 0;
    cr_assert(tk_slice_to_double((tk_slice){"2.5xyz", 3}, &v));
    cr_assert_float_eq(v, 2.5, 1e-12);
    /* Too long for the internal copy: refused rather than truncated. */
    char lng[100];
    memset(lng, '1', sizeof lng);
    cr_assert_not(tk_slice_to_double((tk_slice){lng, sizeof lng}, &v));
}

/* ---- UTF-8 ---- */

#define U8LEN(lit) tk_utf8_length((lit), sizeof(lit) - 1)

Test(utf8, counts_code_points_of_valid_text)
{
    cr_assert_eq(U8LEN(""), 0);
    cr_assert_eq(U8LEN("hello"), 5);
    cr_assert_eq(U8LEN("h\xC3\xA9llo"), 5);             /* é */
    cr_assert_eq(U8LEN("\xE8\xB0\x83\xE5\xBF\xAB"), 2); /* 调快 */
    cr_assert_eq(U8LEN("\xF0\x9F\x98\x80"), 1);         /* U+1F600 */
    cr_assert_eq(U8LEN("\xC2\x80"), 1);                 /* smallest 2-byte */
    cr_assert_eq(U8LEN("\xE0\xA0\x80"), 1);             /* smallest 3-byte */
    cr_assert_eq(U8LEN("\xF0\x90\x80\x80"), 1);         /* smallest 4-byte */
    cr_assert_eq(U8LEN("\xED\x9F\xBF"), 1);             /* U+D7FF, just below surrogates */
    cr_assert_eq(U8LEN("\xEE\x80\x80"), 1);             /* U+E000, just above */
    cr_assert_eq(U8LEN("\xF4\x8F\xBF\xBF"), 1);         /* U+10FFFF */
    cr_assert_eq(U8LEN("a\0b"), 3);                     /* NUL is valid UTF-8 */
}

Test(utf8, rejects_overlong_forms)
{
    cr_assert_eq(U8LEN("\xC0\xAF"), -1);
    cr_assert_eq(U8LEN("\xC1\xBF"), -1);
    cr_assert_eq(U8LEN("\xC0\x80"), -1); /* "modified UTF-8" NUL */
    cr_assert_eq(U8LEN("\xE0\x80\xAF"), -1);
    cr_assert_eq(U8LEN("\xE0\x9F\xBF"), -1);
    cr_assert_eq(U8LEN("\xF0\x80\x80\xAF"), -1);
    cr_assert_eq(U8LEN("\xF0\x8F\xBF\xBF"), -1);
}

Test(utf8, rejects_surrogates_and_out_of_range)
{
    cr_assert_eq(U8LEN("\xED\xA0\x80"), -1);             /* U+D800 */
    cr_assert_eq(U8LEN("\xED\xBF\xBF"), -1);             /* U+DFFF */
    cr_assert_eq(U8LEN("\xED\xA0\xBD\xED\xB8\x80"), -1); /* CESU-8 pair */
    cr_assert_eq(U8LEN("\xF4\x90\x80\x80"), -1);         /* U+110000 */
    cr_assert_eq(U8LEN("\xF7\xBF\xBF\xBF"), -1);
    cr_assert_eq(U8LEN("\xF8\x88\x80\x80\x80"), -1); /* 5-byte form */
    cr_assert_eq(U8LEN("\xFE"), -1);
    cr_assert_eq(U8LEN("\xFF"), -1);
}

Test(utf8, rejects_truncated_and_stray_bytes)
{
    cr_assert_eq(U8LEN("\xC3"), -1);
    cr_assert_eq(U8LEN("\xE8\xB0"), -1);
    cr_assert_eq(U8LEN("\xF0\x9F\x98"), -1);
    cr_assert_eq(U8LEN("ok\xE8\xB0"), -1);
    cr_assert_eq(U8LEN("\x80"), -1); /* lone continuation */
    cr_assert_eq(U8LEN("a\xBF"
                       "b"),
                 -1);
    cr_assert_eq(U8LEN("\xC3"
                       "A"),
                 -1); /* lead byte followed by ASCII */
    cr_assert_eq(U8LEN("\xE8\xB0"
                       "A"),
                 -1);
    /* A valid sequence cut short by len, not by the bytes. */
    cr_assert_eq(tk_utf8_length("\xE8\xB0\x83", 2), -1);
    cr_assert_eq(tk_utf8_length("\xE8\xB0\x83", 3), 1);
}

/* ---- buffer ---- */

Test(buf, grows_and_stays_terminated)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    cr_assert_eq(b.len, 0);
    cr_assert_not(b.failed);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(tk_buf_append(&b, "abc", 3), TK_OK);
    cr_assert_eq(b.len, 3000);
    cr_assert_geq(b.cap, b.len + 1);
    cr_assert_eq(b.data[3000], '\0');
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] != "abc"[i % 3])
            cr_assert_fail("byte %zu is %c", i, b.data[i]);
    tk_buf_free(&b);
    cr_assert_null(b.data);
}

Test(buf, puts_putc_printf)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    cr_assert_eq(tk_buf_puts(&b, "id="), TK_OK);
    cr_assert_eq(tk_buf_printf(&b, "%d;%s", 42, "x"), TK_OK);
    cr_assert_eq(tk_buf_putc(&b, '!'), TK_OK);
    cr_assert_str_eq(b.data, "id=42;x!");
    cr_assert_eq(b.len, 8);
    /* printf bigger than the first allocation */
    cr_assert_eq(tk_buf_printf(&b, "%0600d", 1), TK_OK);
    cr_assert_eq(b.len, 608);
    cr_assert_eq(strlen(b.data), 608);
    tk_buf_free(&b);
}

Test(buf, append_zero_bytes_gives_a_string)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    cr_assert_eq(tk_buf_append(&b, NULL, 0), TK_OK);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    tk_buf_free(&b);
}

Test(buf, clear_keeps_memory)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    tk_buf_puts(&b, "hello");
    char *data = b.data;
    size_t cap = b.cap;
    tk_buf_clear(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.data, data);
    cr_assert_eq(b.cap, cap);
    cr_assert_str_eq(b.data, "");
    tk_buf_puts(&b, "x");
    cr_assert_str_eq(b.data, "x");
    tk_buf_free(&b);
}

Test(buf, exactly_max_is_allowed)
{
    tk_buf b;
    tk_buf_init(&b, 10);
    cr_assert_eq(tk_buf_append(&b, "0123456789", 10), TK_OK);
    cr_assert_eq(b.len, 10);
    cr_assert_str_eq(b.data, "0123456789");
    cr_assert_not(b.failed);
    tk_buf_free(&b);
}

Test(buf, over_the_cap_fails_frees_and_stays_failed)
{
    tk_buf b;
    tk_buf_init(&b, 10);
    cr_assert_eq(tk_buf_puts(&b, "01234567"), TK_OK);
    cr_assert_eq(tk_buf_puts(&b, "890"), TK_ETOOBIG);
    cr_assert(b.failed);
    cr_assert_null(b.data); /* freed: LeakSanitizer would also notice */
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    /* Stays failed, even for appends that would now fit. */
    cr_assert_eq(tk_buf_putc(&b, 'x'), TK_ETOOBIG);
    cr_assert_eq(tk_buf_append(&b, "", 0), TK_ETOOBIG);
    cr_assert_eq(tk_buf_puts(&b, "a"), TK_ETOOBIG);
    cr_assert_eq(tk_buf_printf(&b, "%d", 1), TK_ETOOBIG);
    cr_assert_null(b.data);
    cr_assert(b.failed);
    size_t len = 99;
    cr_assert_null(tk_buf_take(&b, &len));
    tk_buf_free(&b); /* harmless after failure */
}

Test(buf, printf_over_the_cap_fails)
{
    tk_buf b;
    tk_buf_init(&b, 16);
    cr_assert_eq(tk_buf_printf(&b, "%s", "0123456789"), TK_OK);
    cr_assert_eq(tk_buf_printf(&b, "%s", "0123456789"), TK_ETOOBIG);
    cr_assert(b.failed);
    cr_assert_null(b.data);
}

Test(buf, huge_append_does_not_wrap)
{
    tk_buf b;
    tk_buf_init(&b, 100);
    tk_buf_puts(&b, "abc");
    cr_assert_eq(tk_buf_append(&b, "x", SIZE_MAX - 1), TK_ETOOBIG);
    cr_assert(b.failed);
}

Test(buf, take_hands_over_the_bytes)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    tk_buf_puts(&b, "payload");
    size_t len = 0;
    char *p = tk_buf_take(&b, &len);
    cr_assert_str_eq(p, "payload");
    cr_assert_eq(len, 7);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    /* The buffer is usable again and independent of p. */
    tk_buf_puts(&b, "next");
    cr_assert_str_eq(b.data, "next");
    cr_assert_str_eq(p, "payload");
    free(p);
    tk_buf_free(&b);
}

Test(buf, take_of_empty_buffer_is_an_empty_string)
{
    tk_buf b;
    tk_buf_init(&b, 0);
    size_t len = 5;
    char *p = tk_buf_take(&b, &len);
    cr_assert_not_null(p);
    cr_assert_str_eq(p, "");
    cr_assert_eq(len, 0);
    free(p);
    p = tk_buf_take(&b, NULL); /* len may be NULL */
    cr_assert_not_null(p);
    free(p);
}

Test(hex, lowercase)
{
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[9];
    tk_hex(bytes, 4, out);
    cr_assert_str_eq(out, "000fa5ff");
    tk_hex(bytes, 0, out);
    cr_assert_str_eq(out, "");
}
