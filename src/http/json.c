#include "http/json.h"

#include <stdbool.h>
#include <string.h>

/* Rejects NUL bytes and nesting deeper than max_depth, skipping string contents. */
static tk_status prescan(const char *p, size_t len, int max_depth, tk_error *err)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '\0')
            return tk_fail(err, TK_EINVAL, "invalid_json", "JSON 中含有 NUL 字节（位置 %zu）", i);
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return tk_fail(err, TK_EINVAL, "json_too_deep", "JSON 嵌套超过 %d 层", max_depth);
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return TK_OK;
}

json_t *tk_json_parse(const char *data, size_t len, int max_depth, tk_error *err)
{
    if (len == 0) {
        tk_fail(err, TK_EINVAL, "invalid_json", "请求体为空，需要 JSON");
        return NULL;
    }
    if (prescan(data, len, max_depth, err) != TK_OK)
        return NULL;
    json_error_t je;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v) {
        tk_fail(err, TK_EINVAL, "invalid_json", "JSON 无法解析（第 %d 行第 %d 列）：%s", je.line,
                je.column, je.text);
        return NULL;
    }
    return v;
}

char *tk_json_dump(const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
    if (s && len)
        *len = strlen(s);
    return s;
}
