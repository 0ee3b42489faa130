/*
 * users.h - user accounts: each has a role and belongs to one unit.
 *
 * Reads that list or fetch users for a caller take the caller's scope path and
 * filter in SQL; a user outside the scope is "not found". Strings live in the
 * caller's arena.
 */
#ifndef TK_USERS_H
#define TK_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/access.h"
#include "gov/units.h"
#include "store/db.h"

typedef struct {
    int64_t id;
    const char *username;
    const char *display_name;
    const char *phone;     /* may be NULL */
    const char *id_number; /* may be NULL */
    tk_role role;
    tk_unit unit;
    bool disabled;
    bool must_change_password;
    const char *password_hash; /* NULL when no password is set */
    int64_t created_at;
    int64_t last_login_at; /* 0 = never */
    int64_t password_changed_at;
} tk_user;

typedef struct {
    const char *username;
    const char *display_name;
    const char *phone;
    const char *id_number;
    tk_role role;
    int64_t unit_id;
    const char *password_hash;
    bool must_change_password;
} tk_user_new;

/* By username, without scope (login). TK_ENOTFOUND when absent. */
tk_status tk_user_find(tk_conn *c, tk_arena *a, const char *username, tk_user *out, tk_error *err);
/* By id, within scope_path (NULL = any). */
tk_status tk_user_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path, tk_user *out,
                      tk_error *err);
tk_status tk_user_create(tk_conn *c, const tk_user_new *u, int64_t *id, tk_error *err);

typedef struct {
    const char *display_name; /* NULL = unchanged */
    const char *phone;        /* NULL = unchanged, "" = clear */
    const char *id_number;    /* NULL = unchanged, "" = clear */
    int role;                 /* -1 = unchanged */
    int64_t unit_id;          /* 0 = unchanged */
} tk_user_change;
tk_status tk_user_update(tk_conn *c, int64_t id, const tk_user_change *ch, tk_error *err);
/* Sets a new hash. The user's sessions other than keep_session end (0 = all). */
tk_status tk_user_set_password(tk_conn *c, int64_t id, const char *hash, bool must_change,
                               int64_t keep_session, tk_error *err);
/* Disabling also ends every session and revokes every API key. */
tk_status tk_user_set_disabled(tk_conn *c, int64_t id, bool disabled, tk_error *err);
/* Replaces the hash with a stronger one for the same password (sessions stay). */
tk_status tk_user_rehash(tk_conn *c, int64_t id, const char *hash, tk_error *err);
tk_status tk_user_record_login(tk_conn *c, int64_t id, int64_t at, tk_error *err);

typedef struct {
    const char *scope_path; /* required */
    const char *role;       /* NULL = any */
    int64_t unit_id;        /* 0 = any */
    const char *q;          /* substring of username or display name */
    int64_t after_id;       /* cursor: ids greater than this */
    int limit;
} tk_user_filter;
typedef void (*tk_user_fn)(void *ctx, const tk_user *u);
/* Calls fn for each match in id order; *more is true when more remain. */
tk_status tk_user_list(tk_conn *c, tk_arena *a, const tk_user_filter *f, tk_user_fn fn, void *ctx,
                       bool *more, tk_error *err);

#endif
