/*
 * test_json.c - strict JSON input: UTF-8 only, no NUL, no duplicate keys, no
 * trailing bytes, bounded depth.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http/json.h"

static json_t *parse(const char *data, size_t len, tk_error *err)
{
    tk_error_clear(err);
    return tk_json_parse(data, len, TK_JSON_MAX_DEPTH, err);
}

#define PARSE_LIT(lit, err) parse((lit), sizeof(lit) - 1, (err))

static void rejects(const char *data, size_t len, const char *code)
{
    tk_error err;
    json_t *v = parse(data, len, &err);
    if (v) {
        json_decref(v);
        cr_assert_fail("accepted: %.*s", (int)len, data);
    }
    cr_assert_eq(err.status, TK_EINVAL);
    cr_assert_str_eq(err.code, code, "input %.*s: code %s", (int)len, data, err.code);
    cr_assert_neq(err.detail[0], '\0', "no detail for the user");
}

#define REJECTS_LIT(lit, code) rejects((lit), sizeof(lit) - 1, (code))

/* A string of n '[' followed by n ']'. */
static char *nested_arrays(int n, size_t *len)
{
    char *s = malloc((size_t)n * 2 + 1);
    memset(s, '[', (size_t)n);
    memset(s + n, ']', (size_t)n);
    s[2 * n] = '\0';
    *len = (size_t)n * 2;
    return s;
}

Test(json, accepts_a_normal_object)
{
    tk_error err;
    json_t *v = PARSE_LIT("{\"name\": \"调快\", \"n\": 3, \"ok\": true, \"tags\": [\"a\", \"b\"],"
                          " \"geo\": {\"lat\": 31.2, \"lng\": 121.5}, \"none\": null}",
                          &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert(json_is_object(v));
    cr_assert_str_eq(json_string_value(json_object_get(v, "name")), "调快");
    cr_assert_eq(json_integer_value(json_object_get(v, "n")), 3);
    cr_assert(json_is_true(json_object_get(v, "ok")));
    cr_assert_eq(json_array_size(json_object_get(v, "tags")), 2);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(v, "geo"), "lng")), 121.5,
                       1e-9);
    cr_assert(json_is_null(json_object_get(v, "none")));
    json_decref(v);
}

Test(json, accepts_scalars_and_surrounding_whitespace)
{
    tk_error err;
    json_t *v = PARSE_LIT(" \n\t42 \r\n", &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert_eq(json_integer_value(v), 42);
    json_decref(v);
    v = PARSE_LIT("\"x\"", &err);
    cr_assert_str_eq(json_string_value(v), "x");
    json_decref(v);
}

Test(json, accepts_escapes_other_than_nul)
{
    tk_error err;
    json_t *v = PARSE_LIT("[\"\\u0001\", \"\\u8c03\", \"\\ud83d\\ude00\", \"a\\\"b\\\\\"]", &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert_str_eq(json_string_value(json_array_get(v, 0)), "\x01");
    cr_assert_str_eq(json_string_value(json_array_get(v, 1)), "调");
    cr_assert_str_eq(json_string_value(json_array_get(v, 2)), "\xF0\x9F\x98\x80");
    cr_assert_str_eq(json_string_value(json_array_get(v, 3)), "a\"b\\");
    json_decref(v);
}

Test(json, uses_only_len_bytes)
{
    tk_error err;
    const char text[] = "[1,2]garbage";
    json_t *v = parse(text, 5, &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert_eq(json_array_size(v), 2);
    json_decref(v);
}

Test(json, rejects_duplicate_keys)
{
    REJECTS_LIT("{\"a\": 1, \"a\": 2}", "invalid_json");
    REJECTS_LIT("{\"a\": 1, \"b\": {\"c\": 1, \"c\": 1}}", "invalid_json");
    /* The same key in different objects is fine. */
    tk_error err;
    json_t *v = PARSE_LIT("[{\"a\": 1}, {\"a\": 2}]", &err);
    cr_assert_not_null(v, "%s", err.detail);
    json_decref(v);
}

Test(json, rejects_invalid_utf8)
{
    REJECTS_LIT("\"\xFF\"", "invalid_json");
    REJECTS_LIT("\"\xC3\"", "invalid_json");             /* truncated */
    REJECTS_LIT("\"\xC0\xAF\"", "invalid_json");         /* overlong '/' */
    REJECTS_LIT("\"\xE0\x80\xAF\"", "invalid_json");     /* overlong */
    REJECTS_LIT("\"\xED\xA0\x80\"", "invalid_json");     /* surrogate */
    REJECTS_LIT("\"\xF4\x90\x80\x80\"", "invalid_json"); /* > U+10FFFF */
    REJECTS_LIT("{\"k\xFE\": 1}", "invalid_json");       /* in a key */
    REJECTS_LIT("[\"ok\", \"\x80\"]", "invalid_json");
}

Test(json, rejects_raw_nul)
{
    REJECTS_LIT("{\"a\": \"b\0c\"}", "invalid_json");
    REJECTS_LIT("{\"a\": 1}\0", "invalid_json");
    REJECTS_LIT("\0{}", "invalid_json");
    REJECTS_LIT("[1,\0 2]", "invalid_json");
}

Test(json, rejects_escaped_nul)
{
    REJECTS_LIT("{\"a\": \"b\\u0000c\"}", "invalid_json");
    REJECTS_LIT("[\"\\u0000\"]", "invalid_json");
    REJECTS_LIT("{\"\\u0000\": 1}", "invalid_json");
}

Test(json, rejects_trailing_garbage)
{
    REJECTS_LIT("{} x", "invalid_json");
    REJECTS_LIT("{}{}", "invalid_json");
    REJECTS_LIT("[1] [2]", "invalid_json");
    REJECTS_LIT("1 2", "invalid_json");
    REJECTS_LIT("{\"a\": 1},", "invalid_json");
}

Test(json, rejects_empty_and_blank_input)
{
    tk_error err;
    tk_error_clear(&err);
    cr_assert_null(tk_json_parse("", 0, TK_JSON_MAX_DEPTH, &err));
    cr_assert_eq(err.status, TK_EINVAL);
    cr_assert_str_eq(err.code, "invalid_json");
    REJECTS_LIT("   ", "invalid_json");
    REJECTS_LIT("\n", "invalid_json");
}

Test(json, rejects_malformed)
{
    REJECTS_LIT("{", "invalid_json");
    REJECTS_LIT("{\"a\" 1}", "invalid_json");
    REJECTS_LIT("{'a': 1}", "invalid_json");
    REJECTS_LIT("[1,]", "invalid_json");
    REJECTS_LIT("NaN", "invalid_json");
    REJECTS_LIT("\"unterminated", "invalid_json");
}

Test(json, rejects_very_deep_nesting)
{
    size_t len;
    char *s = nested_arrays(2000, &len);
    rejects(s, len, "json_too_deep");
    free(s);
    /* Unclosed: the depth check comes before the parser sees the text. */
    char open[5000];
    memset(open, '[', sizeof open);
    rejects(open, sizeof open, "json_too_deep");
    char objs[4000];
    for (size_t i = 0; i + 5 <= sizeof objs; i += 5)
        memcpy(objs + i, "{\"a\":", 5);
    rejects(objs, sizeof objs, "json_too_deep");
}

Test(json, max_depth_levels_are_fine_one_more_is_not)
{
    size_t len;
    tk_error err;
    char *s = nested_arrays(TK_JSON_MAX_DEPTH, &len);
    json_t *v = parse(s, len, &err);
    cr_assert_not_null(v, "%d levels refused: %s", TK_JSON_MAX_DEPTH, err.detail);
    json_decref(v);
    free(s);
    s = nested_arrays(TK_JSON_MAX_DEPTH + 1, &len);
    rejects(s, len, "json_too_deep");
    free(s);
}

Test(json, depth_counts_nesting_not_brackets)
{
    /* Many siblings at depth 2 are fine: depth goes back down at each ']'. */
    tk_error err;
    size_t n = 500;
    char *s = malloc(n * 3 + 3);
    size_t k = 0;
    s[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        s[k++] = '[';
        s[k++] = ']';
        s[k++] = ',';
    }
    s[k - 1] = ']';
    json_t *v = parse(s, k, &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert_eq(json_array_size(v), n);
    json_decref(v);
    free(s);
}

Test(json, brackets_inside_strings_do_not_count)
{
    char text[400];
    int n = snprintf(text, sizeof text, "{\"a\": \"%.*s\", \"b\": [\"%.*s\"]}", 100,
                     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                     60, "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{");
    cr_assert_lt(n, (int)sizeof text);
    tk_error err;
    json_t *v = parse(text, (size_t)n, &err);
    cr_assert_not_null(v, "%s", err.detail);
    cr_assert_eq(strlen(json_string_value(json_object_get(v, "a"))), 100);
    json_decref(v);
}

Test(json, escaped_quote_keeps_the_string_open)
{
    /* "\"[[[...": the brackets after an escaped quote are still inside the string. */
    char text[200] = "[\"\\\"";
    size_t k = strlen(text);
    memset(text + k, '[', 50);
    k += 50;
    memcpy(text + k, "\"]", 2);
    k += 2;
    tk_error err;
    json_t *v = parse(text, k, &err);
    cr_assert_not_null(v, "%s", err.detail);
    json_decref(v);
}

Test(json, escaped_backslash_closes_the_string)
{
    /* In "\\" the backslash is escaped, so the quote after it ends the string and
     * the brackets that follow are real nesting. */
    char text[200] = "[\"\\\\\",";
    size_t k = strlen(text);
    memset(text + k, '[', 40);
    k += 40;
    memset(text + k, ']', 41);
    k += 41;
    rejects(text, k, "json_too_deep");
}

Test(json, custom_max_depth)
{
    tk_error err;
    json_t *v = tk_json_parse("[[1]]", 5, 2, &err);
    cr_assert_not_null(v);
    json_decref(v);
    tk_error_clear(&err);
    cr_assert_null(tk_json_parse("[[[1]]]", 7, 2, &err));
    cr_assert_str_eq(err.code, "json_too_deep");
    cr_assert_not_null(strstr(err.detail, "2"));
}

Test(json, null_err_is_allowed)
{
    cr_assert_null(tk_json_parse("{", 1, TK_JSON_MAX_DEPTH, NULL));
    cr_assert_null(tk_json_parse("[[[", 3, 1, NULL));
    cr_assert_null(tk_json_parse("", 0, 1, NULL));
}

Test(json, dump_is_compact_utf8)
{
    json_t *v = json_pack("{s:s, s:[i,i]}", "k", "调快", "a", 1, 2);
    size_t len = 0;
    char *s = tk_json_dump(v, &len);
    cr_assert_not_null(s);
    cr_assert_eq(len, strlen(s));
    cr_assert_not_null(strstr(s, "\"k\":\"调快\""), "%s", s);
    cr_assert_not_null(strstr(s, "\"a\":[1,2]"), "%s", s);
    cr_assert_null(strchr(s, ' '), "not compact: %s", s);
    free(s);
    json_decref(v);
    json_t *n = json_integer(7);
    s = tk_json_dump(n, NULL);
    cr_assert_str_eq(s, "7");
    free(s);
    json_decref(n);
}
