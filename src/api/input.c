#include "api/input.h"

#include "api/app.h"

#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"

tk_status in_only(json_t *obj, const char *const *allowed, tk_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return tk_fail_field(err, key, "不认识的字段 %s", key);
    }
    return TK_OK;
}

static tk_status str_field(json_t *obj, const char *key, bool required, size_t max_chars,
                           bool multiline, const char **out, tk_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return tk_fail_field(err, key, "缺少字段 %s", key);
        return TK_OK;
    }
    if (!json_is_string(v))
        return tk_fail_field(err, key, "字段 %s 需要是字符串", key);
    const char *s = json_string_value(v);
    size_t bytes = json_string_length(v);
    long chars = tk_utf8_length(s, bytes);
    if (chars <= 0 && required)
        return tk_fail_field(err, key, "字段 %s 不能为空", key);
    if (chars > (long)max_chars)
        return tk_fail_field(err, key, "字段 %s 最多 %zu 个字符", key, max_chars);
    for (size_t i = 0; i < bytes; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
            return tk_fail_field(err, key, "字段 %s 含有控制字符", key);
    }
    *out = chars > 0 ? s : NULL;
    return TK_OK;
}

tk_status in_str(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                 tk_error *err)
{
    return str_field(obj, key, required, max_chars, false, out, err);
}

tk_status in_text(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                  tk_error *err)
{
    return str_field(obj, key, required, max_chars, true, out, err);
}

tk_status in_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                 int64_t *out, bool *present, tk_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = false;
    if (!v || json_is_null(v))
        return required ? tk_fail_field(err, key, "缺少字段 %s", key) : TK_OK;
    if (!json_is_integer(v))
        return tk_fail_field(err, key, "字段 %s 需要是整数", key);
    int64_t n = json_integer_value(v);
    if (n < min || n > max)
        return tk_fail_field(err, key, "字段 %s 需要在 %lld 到 %lld 之间", key, (long long)min,
                             (long long)max);
    *out = n;
    if (present)
        *present = true;
    return TK_OK;
}

tk_status in_num(json_t *obj, const char *key, bool required, double min, double max, double *out,
                 bool *present, tk_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = false;
    if (!v || json_is_null(v))
        return required ? tk_fail_field(err, key, "缺少字段 %s", key) : TK_OK;
    if (!json_is_number(v))
        return tk_fail_field(err, key, "字段 %s 需要是数字", key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max)
        return tk_fail_field(err, key, "字段 %s 需要在 %g 到 %g 之间", key, min, max);
    *out = d;
    if (present)
        *present = true;
    return TK_OK;
}

tk_status in_bool(json_t *obj, const char *key, bool def, bool *out, tk_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return TK_OK;
    }
    if (!json_is_boolean(v))
        return tk_fail_field(err, key, "字段 %s 需要是 true 或 false", key);
    *out = json_is_true(v);
    return TK_OK;
}

tk_status in_enum(json_t *obj, const char *key, bool required, const char *const *values,
                  const char **out, tk_error *err)
{
    tk_status st = in_str(obj, key, required, 64, out, err);
    if (st != TK_OK || !*out)
        return st;
    for (const char *const *v = values; *v; v++)
        if (strcmp(*v, *out) == 0)
            return TK_OK;
    char list[400] = "";
    size_t n = 0;
    for (const char *const *v = values; *v && n < sizeof list - 1; v++) {
        int w = snprintf(list + n, sizeof list - n, "%s%s", n ? "、" : "", *v);
        if (w < 0)
            break;
        n += (size_t)w < sizeof list - n ? (size_t)w : sizeof list - n - 1;
    }
    const char *bad = *out;
    *out = NULL;
    return tk_fail_field(err, key, "字段 %s 的值 %.60s 无效，可选：%s", key, bad, list);
}

tk_status q_int(tk_req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out,
                tk_error *err)
{
    const char *v = tk_req_query(r, name);
    if (!v || !*v) {
        *out = def;
        return TK_OK;
    }
    int64_t n;
    if (!tk_parse_i64(v, &n) || n < min || n > max)
        return tk_fail_field(err, name, "参数 %s 需要 %lld 到 %lld 之间的整数", name,
                             (long long)min, (long long)max);
    *out = n;
    return TK_OK;
}

tk_status q_limit(tk_req *r, int *out, tk_error *err)
{
    int64_t n;
    if (q_int(r, "limit", 50, 1, 500, &n, err) != TK_OK)
        return err->status;
    *out = (int)n;
    return TK_OK;
}

tk_status q_str(tk_req *r, const char *name, size_t max_chars, const char **out, tk_error *err)
{
    const char *v = tk_req_query(r, name);
    *out = NULL;
    if (!v || !*v)
        return TK_OK;
    long chars = tk_utf8_length(v, strlen(v));
    if (chars < 0)
        return tk_fail_field(err, name, "参数 %s 不是有效的 UTF-8", name);
    if (chars > (long)max_chars)
        return tk_fail_field(err, name, "参数 %s 最多 %zu 个字符", name, max_chars);
    *out = v;
    return TK_OK;
}

tk_status q_time(tk_req *r, const char *name, int64_t *out, tk_error *err)
{
    const char *v = tk_req_query(r, name);
    *out = 0;
    if (!v || !*v)
        return TK_OK;
    if (tk_time_parse(v, out) || tk_date_parse(v, out))
        return TK_OK;
    return tk_fail_field(err, name, "参数 %s 需要 ISO 时间（如 2026-02-13T16:00:00+08:00）或日期",
                         name);
}

bool api_failed(tk_req *r, tk_status st, const tk_error *err)
{
    if (st == TK_OK)
        return false;
    tk_reply_error(r, err);
    return true;
}

tk_conn *api_reader(tk_req *r)
{
    tk_error err;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    if (!c)
        tk_reply_error(r, &err);
    return c;
}
