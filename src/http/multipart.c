/*
 * multipart.c - multipart/form-data, parsed with a cursor over the whole body.
 *
 * The body is: an optional preamble, then "--B" (at the very start) or
 * "CRLF--B"; after each delimiter either "--" (the end; the epilogue is ignored)
 * or optional spaces and CRLF, a part's headers up to CRLF CRLF, and its bytes up
 * to the next "CRLF--B". RFC 2046 forbids the delimiter inside a part, so a plain
 * search for it is exact.
 */
#include "http/multipart.h"

#include <string.h>
#include <strings.h>

static tk_status bad(tk_error *err, const char *what)
{
    return tk_fail(err, TK_EINVAL, "bad_multipart", "multipart/form-data 格式错误：%s", what);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 2046 bchars. */
static bool boundary_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static bool slice_ieq(tk_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

/*
 * One "; key=value" parameter from *rest: key is trimmed, value has its quotes
 * removed (a backslash keeps the next character inside quotes, which the slice
 * then shows as sent). Returns false when *rest is used up.
 */
static bool next_param(tk_slice *rest, tk_slice *key, tk_slice *value, bool *ok)
{
    const char *p = rest->ptr, *end = rest->ptr + rest->len;
    *ok = true;
    while (p < end && (is_space(*p) || *p == ';'))
        p++;
    if (p == end)
        return false;
    const char *k = p;
    while (p < end && *p != '=' && *p != ';')
        p++;
    *key = tk_slice_trim((tk_slice){k, (size_t)(p - k)});
    *value = (tk_slice){p, 0};
    if (p < end && *p == '=') {
        p++;
        while (p < end && is_space(*p))
            p++;
        if (p < end && *p == '"') {
            const char *v = ++p;
            while (p < end && *p != '"')
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            if (p >= end) {
                *ok = false; /* unterminated quote */
                return false;
            }
            *value = (tk_slice){v, (size_t)(p - v)};
            p++;
        } else {
            const char *v = p;
            while (p < end && *p != ';')
                p++;
            *value = tk_slice_trim((tk_slice){v, (size_t)(p - v)});
        }
    }
    while (p < end && *p != ';') {
        if (!is_space(*p)) {
            *ok = false; /* junk after a quoted value */
            return false;
        }
        p++;
    }
    *rest = (tk_slice){p, (size_t)(end - p)};
    return true;
}

tk_status tk_multipart_boundary(const char *content_type, tk_slice *boundary, tk_error *err)
{
    tk_slice rest = tk_slice_of(content_type), type;
    tk_slice_cut(&rest, ';', &type);
    if (!content_type || !slice_ieq(tk_slice_trim(type), "multipart/form-data"))
        return tk_fail(err, TK_EMEDIA, "unsupported_media_type",
                       "请以 multipart/form-data 上传照片");
    tk_slice key, value;
    bool ok;
    *boundary = (tk_slice){NULL, 0};
    while (next_param(&rest, &key, &value, &ok))
        if (slice_ieq(key, "boundary"))
            *boundary = value;
    if (!ok || !boundary->ptr || boundary->len == 0 || boundary->len > TK_MULTIPART_MAX_BOUNDARY ||
        boundary->ptr[boundary->len - 1] == ' ')
        return bad(err, "Content-Type 缺少有效的 boundary");
    for (size_t i = 0; i < boundary->len; i++)
        if (!boundary_char(boundary->ptr[i]))
            return bad(err, "boundary 含有不允许的字符");
    return TK_OK;
}

/* Content-Disposition: form-data; name="..."; filename="..." */
static tk_status parse_disposition(tk_slice v, tk_multipart_part *part, bool *named, tk_error *err)
{
    tk_slice type;
    tk_slice_cut(&v, ';', &type);
    if (!slice_ieq(tk_slice_trim(type), "form-data"))
        return bad(err, "分段的 Content-Disposition 不是 form-data");
    tk_slice key, value;
    bool ok;
    while (next_param(&v, &key, &value, &ok)) {
        if (slice_ieq(key, "name")) {
            part->name = value;
            *named = true;
        } else if (slice_ieq(key, "filename")) {
            part->filename = value;
            part->has_filename = true;
        }
    }
    if (!ok)
        return bad(err, "Content-Disposition 参数格式错误");
    return TK_OK;
}

/* The header lines of one part, without the final empty line. */
static tk_status parse_headers(tk_slice h, tk_multipart_part *part, tk_error *err)
{
    bool disposition = false, named = false;
    while (h.len) {
        const char *eol = memmem(h.ptr, h.len, "\r\n", 2);
        tk_slice line = {h.ptr, eol ? (size_t)(eol - h.ptr) : h.len};
        h = eol ? (tk_slice){eol + 2, h.len - line.len - 2} : (tk_slice){NULL, 0};
        tk_slice name;
        if (!memchr(line.ptr, ':', line.len) || is_space(line.ptr[0]))
            return bad(err, "分段头格式错误");
        tk_slice_cut(&line, ':', &name);
        if (slice_ieq(name, "Content-Disposition")) {
            if (disposition)
                return bad(err, "分段有多个 Content-Disposition");
            disposition = true;
            if (parse_disposition(line, part, &named, err) != TK_OK)
                return err->status;
        } else if (slice_ieq(name, "Content-Type")) {
            part->content_type = tk_slice_trim(line);
        }
    }
    if (!disposition || !named || part->name.len == 0)
        return bad(err, "分段缺少 Content-Disposition 或字段名");
    return TK_OK;
}

static const char *find(const char *from, const char *end, const char *needle, size_t n)
{
    return from <= end ? memmem(from, (size_t)(end - from), needle, n) : NULL;
}

tk_status tk_multipart_parse(tk_slice body, tk_slice boundary, tk_multipart_part *parts, int max,
                             int *n, tk_error *err)
{
    char delim[4 + TK_MULTIPART_MAX_BOUNDARY];
    *n = 0;
    if (boundary.len == 0 || boundary.len > TK_MULTIPART_MAX_BOUNDARY)
        return bad(err, "boundary 无效");
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary.ptr, boundary.len);
    size_t dlen = 4 + boundary.len;
    const char *p = body.ptr, *end = body.ptr + body.len;
    if (!p)
        return bad(err, "请求体为空");
    /* The first delimiter may open the body without its CRLF. */
    if (body.len >= dlen - 2 && memcmp(p, delim + 2, dlen - 2) == 0) {
        p += dlen - 2;
    } else {
        const char *at = find(p, end, delim, dlen);
        if (!at)
            return bad(err, "找不到分隔符");
        p = at + dlen;
    }
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return TK_OK;
        while (p < end && is_space(*p))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return bad(err, "分隔符之后缺少换行或请求体不完整");
        p += 2;
        if (*n == max)
            return bad(err, "分段过多");
        tk_multipart_part *part = &parts[(*n)++];
        memset(part, 0, sizeof *part);
        part->filename = part->content_type = (tk_slice){"", 0};
        const char *headers_end;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            headers_end = p;
        } else {
            size_t window = (size_t)(end - p);
            if (window > TK_MULTIPART_MAX_HEADER + 4)
                window = TK_MULTIPART_MAX_HEADER + 4;
            headers_end = memmem(p, window, "\r\n\r\n", 4);
            if (!headers_end)
                return bad(err, "分段头过长或不完整");
        }
        if (parse_headers((tk_slice){p, (size_t)(headers_end - p)}, part, err) != TK_OK)
            return err->status;
        const char *data = headers_end + (headers_end == p ? 2 : 4);
        const char *at = find(data, end, delim, dlen);
        if (!at)
            return bad(err, "缺少结束分隔符（请求体可能被截断）");
        part->data = (tk_slice){data, (size_t)(at - data)};
        p = at + dlen;
    }
}
