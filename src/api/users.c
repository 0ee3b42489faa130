/*
 * users.c - user administration and API keys.
 *
 * GET   /api/v1/users                 list (scope: the caller's unit subtree)
 * GET   /api/v1/users/{id}
 * POST  /api/v1/users                 create; without a password a temporary one
 *                                     is generated and shown once
 * PATCH /api/v1/users/{id}
 * POST  /api/v1/users/{id}/disable | /enable
 * POST  /api/v1/users/{id}/password-reset   new temporary password, forced change
 * GET|POST /api/v1/api-keys, DELETE /api/v1/api-keys/{id}
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
#include "gov/units.h"
#include "gov/users.h"

/* 12 characters without look-alikes (0/O, 1/l/I). */
static void temporary_password(char out[16])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 12; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[12] = '\0';
}

static bool parse_id(tk_req *r, int64_t *id)
{
    if (tk_parse_i64(tk_req_param(r, "id"), id) && *id > 0)
        return true;
    tk_reply_fail(r, TK_ENOTFOUND, "user_not_found", "没有找到该用户");
    return false;
}

/* The user if they are inside the caller's scope, else a 404 reply. */
static bool load_user(tk_req *r, int64_t id, tk_user *u)
{
    tk_error err;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    if (!c || tk_user_get(c, r->arena, id, api_who(r)->scope_path, u, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    return true;
}

typedef struct {
    json_t *items;
    const tk_identity *viewer;
    int64_t last_id;
} list_ctx;

static void add_user(void *ctx, const tk_user *u)
{
    list_ctx *l = ctx;
    json_array_append_new(l->items, api_user_json(u, l->viewer));
    l->last_id = u->id;
}

void api_users_list(tk_req *r)
{
    tk_error err;
    tk_user_filter f = {.scope_path = api_who(r)->scope_path};
    int64_t cursor, unit_id;
    if (api_failed(r, q_limit(r, &f.limit, &err), &err) ||
        api_failed(r, q_int(r, "cursor", 0, 0, INT64_MAX, &cursor, &err), &err) ||
        api_failed(r, q_int(r, "unit_id", 0, 0, INT64_MAX, &unit_id, &err), &err) ||
        api_failed(r, q_str(r, "role", 32, &f.role, &err), &err) ||
        api_failed(r, q_str(r, "q", 64, &f.q, &err), &err))
        return;
    if (f.role && tk_role_parse(f.role) < 0) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "角色 %s 不存在", f.role);
        return;
    }
    f.after_id = cursor;
    f.unit_id = unit_id;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    list_ctx ctx = {json_array(), api_who(r), 0};
    bool more = false;
    if (!c || tk_user_list(c, r->arena, &f, add_user, &ctx, &more, &err) != TK_OK) {
        json_decref(ctx.items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, api_page(ctx.items, more, ctx.last_id));
}

void api_users_get(tk_req *r)
{
    int64_t id;
    tk_user u;
    if (!parse_id(r, &id) || !load_user(r, id, &u))
        return;
    tk_reply_json(r, 200, api_user_json(&u, api_who(r)));
}

typedef struct {
    tk_user_new u;
    char *password;
    bool generated;
    char hash[TK_PASSWORD_HASH_SIZE];
    int64_t id;
} create_ctx;

static tk_status hash_password(void *arg, tk_error *err)
{
    create_ctx *cc = arg;
    return tk_password_hash(cc->password, cc->hash, err);
}

static tk_status create_run(tk_conn *c, api_op *op, tk_error *err)
{
    create_ctx *cc = op->data;
    cc->u.password_hash = cc->hash;
    if (tk_user_create(c, &cc->u, &cc->id, err) != TK_OK)
        return err->status;
    api_op_target(op, cc->id);
    api_op_detail(op, "username", json_string(cc->u.username));
    api_op_detail(op, "role", json_string(tk_role_code(cc->u.role)));
    return TK_OK;
}

static void created_reply(tk_req *r, api_op *op)
{
    create_ctx *cc = op->data;
    tk_error err;
    tk_user u;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    if (!c || tk_user_get(c, r->arena, cc->id, NULL, &u, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *body = api_user_json(&u, api_who(r));
    if (cc->generated)
        json_object_set_new(body, "temporary_password", json_string(cc->password));
    sodium_memzero(cc->password, strlen(cc->password));
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/users/%lld", (long long)cc->id);
    tk_req_add_header(r, "Location", loc);
    tk_reply_json(r, 201, body);
}

static void create_hashed(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    api_op *op = api_op_new(r, "user", create_run, created_reply, arg);
    op->action = "user.create";
    api_op_submit(op);
}

/* Resolves unit_code or unit_id inside the caller's scope, checking the role fits. */
static tk_status resolve_unit(tk_req *r, json_t *in, tk_role role, int64_t *unit_id, tk_error *err)
{
    const char *code;
    int64_t id = 0;
    bool has_id;
    if (in_str(in, "unit_code", false, 32, &code, err) != TK_OK ||
        in_int(in, "unit_id", false, 1, INT64_MAX, &id, &has_id, err) != TK_OK)
        return err->status;
    if (!code && !has_id)
        return tk_fail_field(err, "unit_code", "需要 unit_code 或 unit_id");
    tk_conn *c = tk_db_reader(TK_APP(r)->db, err);
    if (!c)
        return err->status;
    tk_unit u;
    tk_status st =
        code ? tk_unit_by_code(c, r->arena, code, &u, err) : tk_unit_get(c, r->arena, id, &u, err);
    if (st == TK_ENOTFOUND || (st == TK_OK && !tk_path_within(u.path, api_who(r)->scope_path)))
        return tk_fail_field(err, code ? "unit_code" : "unit_id", "单位不存在或不在您的管辖范围内");
    if (st != TK_OK)
        return st;
    if (!tk_role_fits_unit(role, u.kind))
        return tk_fail_field(err, "role", "「%s」不能隶属于%s「%s」", tk_role_label(role),
                             tk_unit_kind_label(u.kind), u.name);
    *unit_id = u.id;
    return TK_OK;
}

void api_users_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"username",  "display_name", "role",
                                         "unit_code", "unit_id",      "phone",
                                         "id_number", "password",     NULL};
    create_ctx *cc = tk_arena_zalloc(r->arena, sizeof *cc);
    const char *role, *password;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "username", true, 64, &cc->u.username, &err), &err) ||
        api_failed(r, in_str(in, "display_name", true, 64, &cc->u.display_name, &err), &err) ||
        api_failed(r, in_str(in, "role", true, 32, &role, &err), &err) ||
        api_failed(r, in_str(in, "phone", false, 20, &cc->u.phone, &err), &err) ||
        api_failed(r, in_str(in, "id_number", false, 18, &cc->u.id_number, &err), &err) ||
        api_failed(r, in_str(in, "password", false, TK_PASSWORD_MAX_BYTES, &password, &err), &err))
        return;
    for (const char *p = cc->u.username; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-')) {
            tk_fail_field(&err, "username", "用户名只能包含字母、数字、下划线、点和连字符");
            tk_reply_error(r, &err);
            return;
        }
    int rc = tk_role_parse(role);
    if (rc < 0) {
        tk_fail_field(&err, "role", "角色 %s 不存在", role);
        tk_reply_error(r, &err);
        return;
    }
    cc->u.role = (tk_role)rc;
    if (api_failed(r, resolve_unit(r, in, cc->u.role, &cc->u.unit_id, &err), &err))
        return;
    if (password) {
        if (api_failed(r, tk_password_check_policy(password, cc->u.username, &err), &err))
            return;
        cc->password = tk_arena_strdup(r->arena, password);
    } else {
        cc->password = tk_arena_alloc(r->arena, 16);
        temporary_password(cc->password);
        cc->generated = true;
    }
    /* Whoever sets a password for someone else: the owner changes it at first login. */
    cc->u.must_change_password = true;
    cc->u.username = tk_arena_strdup(r->arena, cc->u.username);
    cc->u.display_name = tk_arena_strdup(r->arena, cc->u.display_name);
    tk_req_offload(r, TK_APP(r)->hasher, hash_password, cc, create_hashed);
}

typedef struct {
    int64_t id;
    tk_user_change ch;
} update_ctx;

static tk_status update_run(tk_conn *c, api_op *op, tk_error *err)
{
    update_ctx *u = op->data;
    return tk_user_update(c, u->id, &u->ch, err);
}

static void user_reply(tk_req *r, api_op *op)
{
    int64_t id = *(int64_t *)op->data;
    tk_user u;
    if (load_user(r, id, &u))
        tk_reply_json(r, 200, api_user_json(&u, api_who(r)));
}

static const char *arena_copy(tk_req *r, const char *s)
{
    return s ? tk_arena_strdup(r->arena, s) : NULL;
}

void api_users_update(tk_req *r)
{
    update_ctx *u = tk_arena_zalloc(r->arena, sizeof *u);
    tk_user current;
    if (!parse_id(r, &u->id) || !load_user(r, u->id, &current))
        return;
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"display_name", "phone",   "id_number", "role",
                                         "unit_code",    "unit_id", NULL};
    const char *role;
    u->ch.role = -1;
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_str(in, "display_name", false, 64, &u->ch.display_name, &err), &err) ||
        api_failed(r, in_str(in, "phone", false, 20, &u->ch.phone, &err), &err) ||
        api_failed(r, in_str(in, "id_number", false, 18, &u->ch.id_number, &err), &err) ||
        api_failed(r, in_str(in, "role", false, 32, &role, &err), &err))
        return;
    /* An explicit "" clears a personal field. */
    if (json_is_string(json_object_get(in, "phone")) && !u->ch.phone)
        u->ch.phone = "";
    if (json_is_string(json_object_get(in, "id_number")) && !u->ch.id_number)
        u->ch.id_number = "";
    tk_role new_role = current.role;
    if (role) {
        int rc = tk_role_parse(role);
        if (rc < 0) {
            tk_fail_field(&err, "role", "角色 %s 不存在", role);
            tk_reply_error(r, &err);
            return;
        }
        u->ch.role = rc;
        new_role = (tk_role)rc;
    }
    bool moves = json_object_get(in, "unit_code") || json_object_get(in, "unit_id");
    if (moves && api_failed(r, resolve_unit(r, in, new_role, &u->ch.unit_id, &err), &err))
        return;
    if (!moves && role && !tk_role_fits_unit(new_role, current.unit.kind)) {
        tk_fail_field(&err, "role", "「%s」不能隶属于%s「%s」", tk_role_label(new_role),
                      tk_unit_kind_label(current.unit.kind), current.unit.name);
        tk_reply_error(r, &err);
        return;
    }
    u->ch.display_name = arena_copy(r, u->ch.display_name);
    u->ch.phone = arena_copy(r, u->ch.phone);
    u->ch.id_number = arena_copy(r, u->ch.id_number);
    api_op *op = api_op_new(r, "user", update_run, user_reply, u);
    op->action = "user.update";
    api_op_target(op, u->id);
    const char *key;
    json_t *value;
    json_t *changed = json_array();
    json_object_foreach(in, key, value) json_array_append_new(changed, json_string(key));
    api_op_detail(op, "changed", changed);
    api_op_submit(op);
}

typedef struct {
    int64_t id;
    bool disabled;
} disable_ctx;

static tk_status disable_run(tk_conn *c, api_op *op, tk_error *err)
{
    disable_ctx *d = op->data;
    return tk_user_set_disabled(c, d->id, d->disabled, err);
}

static void set_disabled(tk_req *r, bool disabled)
{
    disable_ctx *d = tk_arena_zalloc(r->arena, sizeof *d);
    tk_user u;
    if (!parse_id(r, &d->id) || !load_user(r, d->id, &u))
        return;
    if (disabled && d->id == api_who(r)->user_id) {
        tk_reply_fail(r, TK_ECONFLICT, "cannot_disable_self", "不能停用自己的账号");
        return;
    }
    d->disabled = disabled;
    api_op *op = api_op_new(r, "user", disable_run, user_reply, d);
    op->action = disabled ? "user.disable" : "user.enable";
    api_op_target(op, d->id);
    api_op_submit(op);
}

void api_users_disable(tk_req *r)
{
    set_disabled(r, true);
}

void api_users_enable(tk_req *r)
{
    set_disabled(r, false);
}

typedef struct {
    int64_t id;
    char password[16];
    char hash[TK_PASSWORD_HASH_SIZE];
} reset_ctx;

static tk_status reset_hash(void *arg, tk_error *err)
{
    reset_ctx *rc = arg;
    return tk_password_hash(rc->password, rc->hash, err);
}

static tk_status reset_run(tk_conn *c, api_op *op, tk_error *err)
{
    reset_ctx *rc = op->data;
    return tk_user_set_password(c, rc->id, rc->hash, true, 0, err);
}

static void reset_reply(tk_req *r, api_op *op)
{
    reset_ctx *rc = op->data;
    tk_reply_json(r, 200,
                  json_pack("{s:I, s:s, s:b}", "id", (json_int_t)rc->id, "temporary_password",
                            rc->password, "must_change_password", 1));
    sodium_memzero(rc->password, sizeof rc->password);
}

static void reset_hashed(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    reset_ctx *rc = arg;
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    api_op *op = api_op_new(r, "user", reset_run, reset_reply, rc);
    op->action = "user.password_reset";
    api_op_target(op, rc->id);
    api_op_submit(op);
}

void api_users_reset_password(tk_req *r)
{
    reset_ctx *rc = tk_arena_zalloc(r->arena, sizeof *rc);
    tk_user u;
    if (!parse_id(r, &rc->id) || !load_user(r, rc->id, &u))
        return;
    temporary_password(rc->password);
    tk_req_offload(r, TK_APP(r)->hasher, reset_hash, rc, reset_hashed);
}

static json_t *key_json(const tk_api_key_info *k)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)k->id,
                     "user_id", (json_int_t)k->user_id, "username", k->username, "prefix",
                     k->prefix, "name", k->name, "scopes", k->scopes, "created_at",
                     api_time(k->created_at), "last_used_at", api_time(k->last_used_at),
                     "revoked_at", api_time(k->revoked_at));
}

static void add_key(void *ctx, const tk_api_key_info *k)
{
    json_array_append_new(ctx, key_json(k));
}

void api_keys_list(tk_req *r)
{
    tk_error err;
    tk_conn *c = tk_db_reader(TK_APP(r)->db, &err);
    json_t *items = json_array();
    if (!c || tk_api_key_list(c, r->arena, add_key, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    int64_t user_id, id;
    const char *name, *scopes;
    char key[TK_API_KEY_SIZE], prefix[16];
    unsigned char hash[TK_TOKEN_HASH_SIZE];
} key_ctx;

static tk_status key_create_run(tk_conn *c, api_op *op, tk_error *err)
{
    key_ctx *k = op->data;
    if (tk_api_key_create(c, k->user_id, k->name, k->scopes, k->prefix, k->hash, &k->id, err) !=
        TK_OK)
        return err->status;
    api_op_target(op, k->id);
    api_op_detail(op, "scopes", json_string(k->scopes));
    return TK_OK;
}

static void key_created(tk_req *r, api_op *op)
{
    key_ctx *k = op->data;
    tk_reply_json(r, 201,
                  json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)k->id, "key", k->key,
                            "prefix", k->prefix, "name", k->name, "scopes", k->scopes));
    sodium_memzero(k->key, sizeof k->key);
}

/* Every scope must name a known action, "prefix.*" or "*". */
static tk_status check_scopes(const char *scopes, tk_error *err)
{
    tk_slice rest = tk_slice_of(scopes), tok;
    while (tk_slice_cut(&rest, ' ', &tok)) {
        if (tok.len == 0 || tk_slice_eq(tok, "*"))
            continue;
        bool known = false;
        bool wildcard = tok.len > 2 && tok.ptr[tok.len - 1] == '*' && tok.ptr[tok.len - 2] == '.';
        size_t n = wildcard ? tok.len - 1 : tok.len;
        for (size_t i = 0; i < tk_permissions_count && !known; i++) {
            const char *a = tk_permissions[i].action;
            known = wildcard ? strncmp(a, tok.ptr, n) == 0
                             : strlen(a) == n && strncmp(a, tok.ptr, n) == 0;
        }
        if (!known)
            return tk_fail_field(err, "scopes", "权限范围 %.*s 不存在", (int)tok.len, tok.ptr);
    }
    return TK_OK;
}

void api_keys_create(tk_req *r)
{
    tk_error err;
    json_t *in = tk_req_json_object(r, &err);
    if (!in) {
        tk_reply_error(r, &err);
        return;
    }
    static const char *const fields[] = {"user_id", "name", "scopes", NULL};
    key_ctx *k = tk_arena_zalloc(r->arena, sizeof *k);
    if (api_failed(r, in_only(in, fields, &err), &err) ||
        api_failed(r, in_int(in, "user_id", true, 1, INT64_MAX, &k->user_id, NULL, &err), &err) ||
        api_failed(r, in_str(in, "name", true, 64, &k->name, &err), &err) ||
        api_failed(r, in_str(in, "scopes", true, 900, &k->scopes, &err), &err) ||
        api_failed(r, check_scopes(k->scopes, &err), &err))
        return;
    tk_user u;
    if (!load_user(r, k->user_id, &u))
        return;
    if (u.role != TK_ROLE_INTEGRATION) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "接口密钥只能发给「接口对接」角色的用户");
        return;
    }
    k->name = tk_arena_strdup(r->arena, k->name);
    k->scopes = tk_arena_strdup(r->arena, k->scopes);
    tk_api_key_new(k->key, k->prefix, k->hash);
    api_op_submit(api_op_new(r, "api_key", key_create_run, key_created, k));
}

static tk_status key_revoke_run(tk_conn *c, api_op *op, tk_error *err)
{
    return tk_api_key_revoke(c, *(int64_t *)op->data, tk_now_ms(), err);
}

static void no_content(tk_req *r, api_op *op)
{
    (void)op;
    tk_reply_empty(r, 204);
}

void api_keys_revoke(tk_req *r)
{
    int64_t *id = tk_arena_alloc(r->arena, sizeof *id);
    if (!tk_parse_i64(tk_req_param(r, "id"), id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "api_key_not_found", "没有找到该接口密钥");
        return;
    }
    api_op *op = api_op_new(r, "api_key", key_revoke_run, no_content, id);
    api_op_target(op, *id);
    api_op_submit(op);
}
