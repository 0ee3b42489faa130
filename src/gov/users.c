#include "gov/users.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"

#define USER_SELECT                                                                                \
    "SELECT us.id, us.username, us.display_name, us.phone, us.id_number, us.role, "                \
    "us.disabled, us.must_change_password, us.password_hash, us.created_at, "                      \
    "coalesce(us.last_login_at, 0), coalesce(us.password_changed_at, 0), " TK_UNIT_COLUMNS(        \
        "u") " FROM users us JOIN units u ON u.id = us.unit_id "

static const char *dup_or_null(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

static void user_from_row(tk_stmt *s, tk_arena *a, tk_user *u)
{
    u->id = tk_col_i64(s, 0);
    u->username = tk_arena_strdup(a, tk_col_text(s, 1));
    u->display_name = tk_arena_strdup(a, tk_col_text(s, 2));
    u->phone = dup_or_null(a, tk_col_text(s, 3));
    u->id_number = dup_or_null(a, tk_col_text(s, 4));
    int role = tk_role_parse(tk_col_text(s, 5));
    u->role = role < 0 ? TK_ROLE_OBSERVER : (tk_role)role;
    u->disabled = tk_col_i64(s, 6) != 0;
    u->must_change_password = tk_col_i64(s, 7) != 0;
    u->password_hash = dup_or_null(a, tk_col_text(s, 8));
    u->created_at = tk_col_i64(s, 9);
    u->last_login_at = tk_col_i64(s, 10);
    u->password_changed_at = tk_col_i64(s, 11);
    tk_unit_from_row(s, 12, a, &u->unit);
}

static tk_status one_user(tk_stmt *s, tk_arena *a, tk_user *out, tk_error *err)
{
    int rc = tk_step(s, err);
    if (rc == 1)
        user_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (rc == 0)
        return tk_fail(err, TK_ENOTFOUND, "user_not_found", "没有找到该用户");
    return TK_OK;
}

tk_status tk_user_find(tk_conn *c, tk_arena *a, const char *username, tk_user *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, USER_SELECT "WHERE us.username = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, username);
    return one_user(s, a, out, err);
}

tk_status tk_user_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path, tk_user *out,
                      tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c, USER_SELECT "WHERE us.id = ?1 AND u.path >= ?2 AND u.path < ?3", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_path_range(s, 2, scope_path);
    return one_user(s, a, out, err);
}

static void bind_opt(tk_stmt *s, int i, const char *v)
{
    if (v && *v)
        tk_bind_text(s, i, v);
    else
        tk_bind_null(s, i);
}

tk_status tk_user_create(tk_conn *c, const tk_user_new *u, int64_t *id, tk_error *err)
{
    int64_t now = tk_now_ms();
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO users(username, display_name, phone, id_number, role, "
                            "unit_id, password_hash, must_change_password, password_changed_at, "
                            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                            "?9, ?9)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, u->username);
    tk_bind_text(s, 2, u->display_name);
    bind_opt(s, 3, u->phone);
    bind_opt(s, 4, u->id_number);
    tk_bind_text(s, 5, tk_role_code(u->role));
    tk_bind_i64(s, 6, u->unit_id);
    bind_opt(s, 7, u->password_hash);
    tk_bind_i64(s, 8, u->must_change_password);
    tk_bind_i64(s, 9, now);
    if (tk_step(s, err) < 0) {
        if (err->status == TK_ECONFLICT) {
            tk_fail(err, TK_ECONFLICT, "username_taken", "用户名 %s 已被使用", u->username);
            snprintf(err->field, sizeof err->field, "username");
            return TK_ECONFLICT;
        }
        return err->status;
    }
    *id = tk_last_insert_id(c);
    return TK_OK;
}

static tk_status exec_i64(tk_conn *c, const char *sql, int64_t a, int64_t b, int64_t d,
                          tk_error *err)
{
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, a);
    tk_bind_i64(s, 2, b);
    tk_bind_i64(s, 3, d);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status require_changed(tk_conn *c, tk_error *err)
{
    if (tk_changes(c) == 0)
        return tk_fail(err, TK_ENOTFOUND, "user_not_found", "没有找到该用户");
    return TK_OK;
}

tk_status tk_user_update(tk_conn *c, int64_t id, const tk_user_change *ch, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "UPDATE users SET display_name = coalesce(?2, display_name), "
                            "phone = CASE WHEN ?3 IS NULL THEN phone ELSE nullif(?3, '') END, "
                            "id_number = CASE WHEN ?4 IS NULL THEN id_number "
                            "ELSE nullif(?4, '') END, "
                            "role = coalesce(?5, role), unit_id = coalesce(?6, unit_id), "
                            "updated_at = ?7 WHERE id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, ch->display_name);
    tk_bind_text(s, 3, ch->phone);
    tk_bind_text(s, 4, ch->id_number);
    if (ch->role >= 0)
        tk_bind_text(s, 5, tk_role_code((tk_role)ch->role));
    else
        tk_bind_null(s, 5);
    if (ch->unit_id)
        tk_bind_i64(s, 6, ch->unit_id);
    else
        tk_bind_null(s, 6);
    tk_bind_i64(s, 7, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    return require_changed(c, err);
}

tk_status tk_user_set_password(tk_conn *c, int64_t id, const char *hash, bool must_change,
                               int64_t keep_session, tk_error *err)
{
    int64_t now = tk_now_ms();
    tk_stmt *s = tk_prepare(c,
                            "UPDATE users SET password_hash = ?2, must_change_password = ?3, "
                            "password_changed_at = ?4, updated_at = ?4 WHERE id = ?1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, hash);
    tk_bind_i64(s, 3, must_change);
    tk_bind_i64(s, 4, now);
    if (tk_step(s, err) < 0)
        return err->status;
    if (require_changed(c, err) != TK_OK)
        return err->status;
    return exec_i64(c,
                    "UPDATE sessions SET revoked_at = ?3 WHERE user_id = ?1 AND id != ?2 "
                    "AND revoked_at IS NULL",
                    id, keep_session, now, err);
}

tk_status tk_user_set_disabled(tk_conn *c, int64_t id, bool disabled, tk_error *err)
{
    int64_t now = tk_now_ms();
    if (exec_i64(c, "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1", id, disabled,
                 now, err) != TK_OK)
        return err->status;
    if (require_changed(c, err) != TK_OK || !disabled)
        return err->status;
    if (exec_i64(c,
                 "UPDATE sessions SET revoked_at = ?3 WHERE user_id = ?1 AND ?2 = ?2 "
                 "AND revoked_at IS NULL",
                 id, 0, now, err) != TK_OK)
        return err->status;
    return exec_i64(c,
                    "UPDATE api_keys SET revoked_at = ?3 WHERE user_id = ?1 AND ?2 = ?2 "
                    "AND revoked_at IS NULL",
                    id, 0, now, err);
}

tk_status tk_user_rehash(tk_conn *c, int64_t id, const char *hash, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "UPDATE users SET password_hash = ?2 WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, hash);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_user_record_login(tk_conn *c, int64_t id, int64_t at, tk_error *err)
{
    return exec_i64(c, "UPDATE users SET last_login_at = ?2 WHERE id = ?1 AND ?3 = ?3", id, at, 0,
                    err);
}

tk_status tk_user_list(tk_conn *c, tk_arena *a, const tk_user_filter *f, tk_user_fn fn, void *ctx,
                       bool *more, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            USER_SELECT "WHERE u.path >= ?1 AND u.path < ?2 AND us.id > ?3 "
                                        "AND (?4 IS NULL OR us.role = ?4) "
                                        "AND (?5 = 0 OR us.unit_id = ?5) "
                                        "AND (?6 IS NULL OR instr(us.username, ?6) > 0 "
                                        "     OR instr(us.display_name, ?6) > 0) "
                                        "ORDER BY us.id LIMIT ?7",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, f->scope_path);
    tk_bind_i64(s, 3, f->after_id);
    tk_bind_text(s, 4, f->role);
    tk_bind_i64(s, 5, f->unit_id);
    tk_bind_text(s, 6, f->q && *f->q ? f->q : NULL);
    tk_bind_i64(s, 7, f->limit + 1);
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == f->limit) {
            *more = true;
            break;
        }
        tk_user u;
        user_from_row(s, a, &u);
        fn(ctx, &u);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
