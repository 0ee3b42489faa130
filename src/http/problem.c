#include "http/problem.h"

int tk_problem_http_status(tk_status st)
{
    switch (st) {
    case TK_OK:
        return 200;
    case TK_EINVAL:
        return 400;
    case TK_EVALID:
        return 422;
    case TK_EUNAUTH:
        return 401;
    case TK_EFORBIDDEN:
        return 403;
    case TK_ENOTFOUND:
        return 404;
    case TK_EMETHOD:
        return 405;
    case TK_ECONFLICT:
        return 409;
    case TK_ETOOBIG:
        return 413;
    case TK_EMEDIA:
        return 415;
    case TK_ELIMIT:
        return 429;
    case TK_EUNAVAIL:
        return 503;
    case TK_EIO:
    case TK_EINTERNAL:
        return 500;
    }
    return 500;
}

const char *tk_problem_title(int http_status)
{
    switch (http_status) {
    case 400:
        return "请求格式错误";
    case 401:
        return "未登录或登录已失效";
    case 403:
        return "没有权限";
    case 404:
        return "未找到";
    case 405:
        return "不支持该请求方法";
    case 409:
        return "与当前状态冲突";
    case 413:
        return "请求内容过大";
    case 415:
        return "不支持的内容类型";
    case 422:
        return "数据校验未通过";
    case 429:
        return "请求过于频繁";
    case 503:
        return "服务暂时不可用";
    default:
        return "服务器内部错误";
    }
}

json_t *tk_problem_body(const tk_error *err, const char *instance, json_t *extra)
{
    int status = tk_problem_http_status(err->status);
    const char *code = err->code[0] ? err->code : "error";
    json_t *body = json_object();
    json_object_set_new(body, "type", json_sprintf("urn:tiaokuai:problem:%s", code));
    json_object_set_new(body, "title", json_string(tk_problem_title(status)));
    json_object_set_new(body, "status", json_integer(status));
    json_t *detail = err->detail[0] ? json_string(err->detail) : NULL;
    json_object_set_new(body, "detail", detail ? detail : json_string(tk_problem_title(status)));
    json_object_set_new(body, "code", json_string(code));
    if (instance)
        json_object_set_new(body, "instance", json_string(instance));
    if (err->field[0])
        json_object_set_new(body, "field", json_string(err->field));
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    return body;
}
