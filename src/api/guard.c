/*
 * guard.c - runs before every handler: who is calling (session cookie, bearer
 * token or API key), is the request forged (CSRF), and may this role do this
 * action (the permission table). The one place access is decided.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/op.h"
#include "core/clock.h"
#include "core/log.h"
#include "gov/access.h"
#include "gov/sessions.h"

typedef struct {
    tk_write_job job;
    int64_t session_id, api_key_id, now;
} touch_job;

static tk_status touch_run(tk_conn *c, void *arg, tk_error *err)
{
    touch_job *t = arg;
    return tk_identity_touch(c, t->session_id, t->api_key_id, t->now, err);
}

static void touch_done(void *arg, tk_status st, const tk_error *err)
{
    (void)st;
    (void)err;
    free(arg);
}

/* Records use without holding up the request: a lost touch only shortens a session. */
static void touch_later(tk_app *app, const tk_identity *who, int64_t now)
{
    touch_job *t = tk_xcalloc(1, sizeof *t);
    t->session_id = who->session_id;
    t->api_key_id = who->api_key_id;
    t->now = now;
    t->job = (tk_write_job){.run = touch_run, .done = touch_done, .arg = t};
    if (tk_db_submit(app->db, &t->job, NULL) != TK_OK)
        free(t);
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* The presented credential, and whether it came in the cookie. */
static const char *credential(tk_req *r, bool *via_cookie)
{
    const char *auth = tk_req_header(r, "Authorization");
    *via_cookie = false;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        return auth + 7;
    const char *cookie = tk_req_cookie(r, TK_SESSION_COOKIE);
    if (cookie && *cookie) {
        *via_cookie = true;
        return cookie;
    }
    return NULL;
}

/* Origin must be this server: scheme://Host. */
static bool same_origin(tk_req *r)
{
    const char *origin = tk_req_header(r, "Origin");
    const char *host = tk_req_header(r, "Host");
    if (!origin || !host)
        return false;
    const char *rest = NULL;
    if (strncmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    return rest && strcasecmp(rest, host) == 0;
}

static bool csrf_ok(tk_req *r, const char *token)
{
    const char *sent = tk_req_header(r, TK_CSRF_HEADER);
    if (!sent || strlen(sent) != 64 || !same_origin(r))
        return false;
    char expect[65];
    tk_app_csrf_token(TK_APP(r), token, expect);
    return sodium_memcmp(expect, sent, 64) == 0;
}

/* Actions a user who must change the password may still do. */
static bool allowed_before_password_change(const char *action)
{
    return strcmp(action, "session.read") == 0 || strcmp(action, "session.manage") == 0 ||
           strcmp(action, "password.change") == 0;
}

static bool deny(tk_req *r, const char *code, const char *message)
{
    tk_error err;
    tk_fail(&err, TK_EFORBIDDEN, code, "%s", message);
    if (safe_method(r->method))
        tk_reply_error(r, &err);
    else
        api_refuse_audited(r, r->route->action, NULL, &err);
    return false;
}

bool tk_api_guard(tk_req *r)
{
    const tk_route *route = r->route;
    if (route->flags & TK_ROUTE_PUBLIC)
        return true;
    tk_app *app = TK_APP(r);
    bool via_cookie;
    const char *token = credential(r, &via_cookie);
    if (!token) {
        tk_reply_fail(r, TK_EUNAUTH, "unauthenticated", "请先登录");
        return false;
    }
    tk_error err;
    tk_conn *c = tk_db_reader(app->db, &err);
    if (!c) {
        tk_reply_error(r, &err);
        return false;
    }
    tk_identity *who = tk_arena_zalloc(r->arena, sizeof *who);
    bool touch = false;
    int64_t now = tk_now_ms();
    if (tk_identity_resolve(c, r->arena, token, &app->session_limits, now, who, &touch, &err) !=
        TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    who->ip = r->client_ip;
    r->auth = who;
    if (touch)
        touch_later(app, who, now);
    if (via_cookie && !safe_method(r->method) && !csrf_ok(r, token))
        return deny(r, "csrf_failed",
                    "请求来源校验失败（缺少或错误的 X-CSRF-Token，或来源不符），请刷新页面后重试");
    const tk_permission *p = tk_permission_find(route->action);
    if (!p) {
        tk_errlog("route without permission", "action=%s", route->action);
        tk_reply_fail(r, TK_EINTERNAL, "no_permission_entry", "服务器配置错误");
        return false;
    }
    if (!(p->roles & TK_ROLE_BIT(who->role)) || !tk_scopes_allow(who->scopes, route->action)) {
        char message[200];
        snprintf(message, sizeof message, "「%s」无权%s", tk_role_label(who->role), p->label);
        return deny(r, "forbidden", message);
    }
    if (who->must_change_password && !allowed_before_password_change(route->action))
        return deny(r, "password_change_required", "请先修改初始密码，再使用其他功能");
    return true;
}
