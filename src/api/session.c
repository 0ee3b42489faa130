/*
 * session.c - logging in and out, who am I, my sessions, my password.
 *
 * POST /api/v1/session            log in (public): cookie for browsers, or a
 *                                 bearer token in the body when "bearer": true
 * GET  /api/v1/session            the caller, permissions and anti-CSRF token
 * DELETE /api/v1/session          log out
 * GET  /api/v1/sessions           my live sessions
 * DELETE /api/v1/sessions/{id}    end one of them
 * PUT  /api/v1/session/password   change my password
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"
#include "gov/password.h"
#include "gov/sessions.h"
#include "gov/throttle.h"
#include "gov/users.h"

#define USER_FREE_FAILURES 5
#define IP_FREE_FAILURES   20

typedef struct {
    const char *username;
    char *password; /* arena copy, wiped after use */
    bool bearer;
    bool found;
    bool ok;
    bool rehash;
    tk_user user;
    char new_hash[TK_PASSWORD_HASH_SIZE];
    char token[TK_SESSION_TOKEN_SIZE];
    unsigned char token_hash[TK_TOKEN_HASH_SIZE];
    int64_t session_id, created_at, expires_at;
    tk_identity who;
    char user_key[96], ip_key[80];
} login;

/* Usernames compare without case, so their throttle keys do too. */
static void throttle_user_key(const char *username, char *out, size_t size)
{
    snprintf(out, size, "user:%s", username);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static void wipe(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
}

static tk_status login_verify(void *arg, tk_error *err)
{
    login *l = arg;
    if (!l->found || !l->user.password_hash) {
        tk_password_verify_dummy(l->password);
        l->ok = false;
    } else {
        l->ok = tk_password_verify(l->user.password_hash, l->password);
        if (l->ok && tk_password_needs_rehash(l->user.password_hash))
            l->rehash = tk_password_hash(l->password, l->new_hash, err) == TK_OK;
    }
    wipe(l->password);
    return TK_OK;
}

static tk_status session_insert(tk_conn *c, api_op *op, tk_error *err)
{
    login *l = op->data;
    if (tk_session_create(c, l->user.id, l->token_hash, l->created_at, l->expires_at,
                          op->r->client_ip, tk_req_header(op->r, "User-Agent"), &l->session_id,
                          err) != TK_OK)
        return err->status;
    if (l->rehash && tk_user_rehash(c, l->user.id, l->new_hash, err) != TK_OK)
        return err->status;
    api_op_detail(op, "session_id", json_integer(l->session_id));
    return tk_user_record_login(c, l->user.id, l->created_at, err);
}

static void set_session_cookie(tk_req *r, const char *token, int64_t max_age_s)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
             TK_SESSION_COOKIE, token, (long long)max_age_s,
             TK_APP(r)->cfg->behind_tls ? "; Secure" : "");
    tk_req_add_header(r, "Set-Cookie", cookie);
}

static json_t *permissions_of(tk_role role, const char *scopes)
{
    json_t *list = json_array();
    for (size_t i = 0; i < tk_permissions_count; i++)
        if ((tk_permissions[i].roles & TK_ROLE_BIT(role)) &&
            tk_scopes_allow(scopes, tk_permissions[i].action))
            json_array_append_new(list, json_string(tk_permissions[i].action));
    return list;
}

/* The user, their unit, and the unit their scope starts at (a desk's township). */
static json_t *identity_json(const tk_identity *who)
{
    int64_t scope = tk_path_unit_id(who->scope_path);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:I, s:s, s:s, s:s}, s:o}", "id",
                     (json_int_t)who->user_id, "username", who->username, "display_name",
                     who->display_name, "role", tk_role_code(who->role), "role_label",
                     tk_role_label(who->role), "unit", "id", (json_int_t)who->unit_id, "code",
                     who->unit_code, "name", who->unit_name, "kind", who->unit_kind,
                     "scope_unit_id", scope ? json_integer(scope) : json_null());
}

static void session_reply(tk_req *r, api_op *op)
{
    login *l = op->data;
    tk_app *app = TK_APP(r);
    json_t *body = json_object();
    json_object_set_new(body, "user", identity_json(&l->who));
    json_object_set_new(body, "permissions", permissions_of(l->who.role, NULL));
    json_object_set_new(body, "must_change_password", json_boolean(l->user.must_change_password));
    json_object_set_new(body, "expires_at", api_time(l->expires_at));
    json_object_set_new(body, "idle_timeout_s", json_integer(app->session_limits.idle_ms / 1000));
    if (l->bearer) {
        json_object_set_new(body, "token", json_string(l->token));
    } else {
        char csrf[65];
        tk_app_csrf_token(app, l->token, csrf);
        json_object_set_new(body, "csrf_token", json_string(csrf));
        set_session_cookie(r, l->token, app->session_limits.max_ms / 1000);
    }
    sodium_memzero(l->token, sizeof l->token);
    tk_reply_json(r, 201, body);
}

static void identity_from_user(tk_identity *who, const tk_user *u, const char *ip)
{
    memset(who, 0, sizeof *who);
    who->user_id = u->id;
    who->username = u->username;
    who->display_name = u->display_name;
    who->role = u->role;
    who->unit_id = u->unit.id;
    who->unit_code = u->unit.code;
    who->unit_name = u->unit.name;
    who->unit_kind = u->unit.kind;
    who->unit_path = u->unit.path;
    who->scope_path = u->unit.scope_path;
    who->must_change_password = u->must_change_password;
    who->ip = ip;
}

static void login_verified(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    login *l = arg;
    tk_app *app = TK_APP(r);
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    int64_t now = tk_now_ms();
    tk_error refusal;
    if (!l->ok) {
        tk_throttle_fail(app->throttle, l->user_key, USER_FREE_FAILURES, now);
        tk_throttle_fail(app->throttle, l->ip_key, IP_FREE_FAILURES, now);
        tk_fail(&refusal, TK_EUNAUTH, "bad_credentials", "用户名或密码错误");
        api_refuse_audited(r, "session.create", l->username, &refusal);
        return;
    }
    if (l->user.disabled) {
        tk_fail(&refusal, TK_EFORBIDDEN, "account_disabled", "账号已停用，请联系管理员");
        api_refuse_audited(r, "session.create", l->username, &refusal);
        return;
    }
    tk_throttle_forget(app->throttle, l->user_key);
    identity_from_user(&l->who, &l->user, r->client_ip);
    r->auth = &l->who;
    tk_session_token_new(l->token, l->token_hash);
    l->created_at = now;
    l->expires_at = now + app->session_limits.max_ms;
    api_op *op = api_op_new(r, "user", session_insert, session_reply, l);
    op->action = "session.create";
    api_op_target(op, l->user.id);
    api_op_submit(op);
}

static void too_many(tk_req *r, login *l, int64_t wait_ms)
{
    char retry[32];
    snprintf(retry, sizeof retry, "%lld", (long long)((wait_ms + 999) / 1000));
    tk_req_add_header(r, "Retry-After", retry);
    tk_error err;
    tk_fail(&err, TK_ELIMIT, "too_many_attempts", "登录失败次数过多，请 %s 秒后再试", retry);
    api_refuse_audited(r, "session.create", l->username, &err);
}

void api_session_create(tk_req *r)
{
    tk_app *app = TK_APP(r);
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"username", "password", "bearer", NULL};
    login *l = tk_arena_zalloc(r->arena, sizeof *l);
    const char *password;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "username", true, 64, &l->username, &err), &err) ||
        api_failed(r, in_str(in, "password", true, TK_PASSWORD_MAX_BYTES, &password, &err), &err) ||
        api_failed(r, in_bool(in, "bearer", false, &l->bearer, &err), &err))
        return;
    l->password = tk_arena_strdup(r->arena, password);
    throttle_user_key(l->username, l->user_key, sizeof l->user_key);
    snprintf(l->ip_key, sizeof l->ip_key, "ip:%s", r->client_ip);
    int64_t now = tk_now_ms();
    int64_t wait = tk_throttle_wait(app->throttle, l->user_key, now);
    int64_t wait_ip = tk_throttle_wait(app->throttle, l->ip_key, now);
    if (wait || wait_ip) {
        wipe(l->password);
        too_many(r, l, wait > wait_ip ? wait : wait_ip);
        return;
    }
    tk_conn *c = tk_db_reader(app->db, &err);
    if (!c) {
        tk_reply_error(r, &err);
        return;
    }
    tk_status st = tk_user_find(c, r->arena, l->username, &l->user, &err);
    if (st != TK_OK && st != TK_ENOTFOUND) {
        tk_reply_error(r, &err);
        return;
    }
    l->found = st == TK_OK;
    tk_req_offload(r, app->hasher, login_verify, l, login_verified);
}

void api_session_get(tk_req *r)
{
    const tk_identity *who = api_who(r);
    json_t *body = json_object();
    json_object_set_new(body, "user", identity_json(who));
    json_object_set_new(body, "permissions", permissions_of(who->role, who->scopes));
    json_object_set_new(body, "must_change_password", json_boolean(who->must_change_password));
    json_object_set_new(body, "auth", json_string(who->session_id ? "session" : "api_key"));
    /* The server's clock, which tests (and a manual clock) may set apart from the browser's. */
    json_object_set_new(body, "now", api_time(tk_now_ms()));
    const char *cookie = tk_req_cookie(r, TK_SESSION_COOKIE);
    const char *auth = tk_req_header(r, "Authorization");
    if (cookie && !auth) {
        char csrf[65];
        tk_app_csrf_token(TK_APP(r), cookie, csrf);
        json_object_set_new(body, "csrf_token", json_string(csrf));
    }
    tk_reply_json(r, 200, body);
}

static tk_status logout_run(tk_conn *c, api_op *op, tk_error *err)
{
    const tk_identity *who = api_who(op->r);
    return tk_session_revoke(c, who->user_id, who->session_id, tk_now_ms(), err);
}

static void logout_reply(tk_req *r, api_op *op)
{
    (void)op;
    set_session_cookie(r, "", 0);
    tk_reply_empty(r, 204);
}

void api_session_delete(tk_req *r)
{
    const tk_identity *who = api_who(r);
    if (!who->session_id) {
        tk_reply_fail(r, TK_EINVAL, "not_a_session", "接口密钥无法注销，请由管理员吊销");
        return;
    }
    api_op *op = api_op_new(r, "session", logout_run, logout_reply, NULL);
    op->action = "session.delete";
    api_op_target(op, who->session_id);
    api_op_submit(op);
}

typedef struct {
    json_t *items;
    int64_t current;
} session_list_ctx;

static void add_session(void *ctx, const tk_session_info *s)
{
    session_list_ctx *l = ctx;
    json_array_append_new(
        l->items, json_pack("{s:I, s:o, s:o, s:o, s:s, s:s, s:b}", "id", (json_int_t)s->id,
                            "created_at", api_time(s->created_at), "last_seen_at",
                            api_time(s->last_seen_at), "expires_at", api_time(s->expires_at), "ip",
                            s->ip, "user_agent", s->user_agent, "current", s->id == l->current));
}

void api_sessions_list(tk_req *r)
{
    tk_app *app = TK_APP(r);
    const tk_identity *who = api_who(r);
    tk_error err;
    tk_conn *c = tk_db_reader(app->db, &err);
    session_list_ctx ctx = {json_array(), who->session_id};
    if (!c || tk_session_list(c, r->arena, who->user_id, &app->session_limits, tk_now_ms(),
                              add_session, &ctx, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", ctx.items));
}

static tk_status revoke_run(tk_conn *c, api_op *op, tk_error *err)
{
    int64_t *id = op->data;
    return tk_session_revoke(c, api_who(op->r)->user_id, *id, tk_now_ms(), err);
}

static void reply_no_content(tk_req *r, api_op *op)
{
    (void)op;
    tk_reply_empty(r, 204);
}

void api_sessions_revoke(tk_req *r)
{
    int64_t *id = tk_arena_alloc(r->arena, sizeof *id);
    if (!tk_parse_i64(tk_req_param(r, "id"), id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "session_not_found", "没有找到该登录会话");
        return;
    }
    api_op *op = api_op_new(r, "session", revoke_run, reply_no_content, id);
    op->action = "session.delete";
    api_op_target(op, *id);
    api_op_submit(op);
}

typedef struct {
    char *current, *next;
    bool ok;
    char hash[TK_PASSWORD_HASH_SIZE];
    const char *stored_hash;
    char user_key[96];
} password_change;

static tk_status password_work(void *arg, tk_error *err)
{
    password_change *p = arg;
    p->ok = tk_password_verify(p->stored_hash, p->current);
    tk_status st = p->ok ? tk_password_hash(p->next, p->hash, err) : TK_OK;
    wipe(p->current);
    wipe(p->next);
    return st;
}

static tk_status password_store(tk_conn *c, api_op *op, tk_error *err)
{
    password_change *p = op->data;
    const tk_identity *who = api_who(op->r);
    return tk_user_set_password(c, who->user_id, p->hash, false, who->session_id, err);
}

static void password_done(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    password_change *p = arg;
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    if (!p->ok) {
        tk_throttle_fail(TK_APP(r)->throttle, p->user_key, USER_FREE_FAILURES, tk_now_ms());
        tk_error refusal;
        tk_fail_field(&refusal, "current_password", "当前密码不正确");
        api_refuse_audited(r, "password.change", NULL, &refusal);
        return;
    }
    api_op *op = api_op_new(r, "user", password_store, reply_no_content, p);
    api_op_target(op, api_who(r)->user_id);
    api_op_submit(op);
}

void api_password_change(tk_req *r)
{
    tk_app *app = TK_APP(r);
    const tk_identity *who = api_who(r);
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"current_password", "new_password", NULL};
    const char *current, *next;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "current_password", true, TK_PASSWORD_MAX_BYTES, &current, &err),
                   &err) ||
        api_failed(r, in_str(in, "new_password", true, TK_PASSWORD_MAX_BYTES, &next, &err), &err))
        return;
    if (tk_password_check_policy(next, who->username, &err) != TK_OK) {
        snprintf(err.field, sizeof err.field, "new_password");
        tk_reply_error(r, &err);
        return;
    }
    if (strcmp(current, next) == 0) {
        tk_fail_field(&err, "new_password", "新密码不能与当前密码相同");
        tk_reply_error(r, &err);
        return;
    }
    password_change *p = tk_arena_zalloc(r->arena, sizeof *p);
    throttle_user_key(who->username, p->user_key, sizeof p->user_key);
    if (tk_throttle_wait(app->throttle, p->user_key, tk_now_ms())) {
        tk_reply_fail(r, TK_ELIMIT, "too_many_attempts", "失败次数过多，请稍后再试");
        return;
    }
    tk_conn *c = tk_db_reader(app->db, &err);
    tk_user u;
    if (!c || tk_user_get(c, r->arena, who->user_id, NULL, &u, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    p->stored_hash = u.password_hash;
    p->current = tk_arena_strdup(r->arena, current);
    p->next = tk_arena_strdup(r->arena, next);
    tk_req_offload(r, app->hasher, password_work, p, password_done);
}
