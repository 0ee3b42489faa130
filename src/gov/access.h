/*
 * access.h - roles, the permission table (action x role), the caller's identity
 * and data scope, and the masking of personal data.
 *
 * Every route names an action; the guard checks the caller's role against this
 * table before any handler runs. The data scope is the caller's unit subtree;
 * domain queries take it as a path range and filter inside SQL.
 */
#ifndef TK_ACCESS_H
#define TK_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TK_ROLE_GRID_WORKER,
    TK_ROLE_RESIDENT,
    TK_ROLE_TOWNSHIP_COMMAND,
    TK_ROLE_TOWNSHIP_MODULE,
    TK_ROLE_COUNTY_DEPT,
    TK_ROLE_COUNTY_CENTER,
    TK_ROLE_LEADER,
    TK_ROLE_OBSERVER,
    TK_ROLE_ADMIN,
    TK_ROLE_INTEGRATION,
    TK_ROLE_COUNT
} tk_role;

#define TK_ROLE_BIT(r) (1u << (r))
#define TK_ROLES_ALL   ((1u << TK_ROLE_COUNT) - 1)

const char *tk_role_code(tk_role r);  /* "grid_worker" */
const char *tk_role_label(tk_role r); /* "网格员" */
/* -1 when unknown. */
int tk_role_parse(const char *code);

typedef struct {
    const char *action; /* "event.dispatch" */
    unsigned roles;     /* TK_ROLE_BIT mask */
    const char *label;  /* zh-CN: "交办事件" */
} tk_permission;

extern const tk_permission tk_permissions[];
extern const size_t tk_permissions_count;

const tk_permission *tk_permission_find(const char *action);
bool tk_role_may(tk_role r, const char *action);

/* Who is calling. Strings point into memory owned by whoever filled it (the
 * request arena in the server). */
typedef struct {
    int64_t user_id;
    const char *username;
    const char *display_name;
    tk_role role;
    int64_t unit_id;
    const char *unit_code;
    const char *unit_name;
    const char *unit_kind;
    const char *unit_path;  /* "/1/7/" */
    const char *scope_path; /* the subtree the caller may see (territorial anchor) */
    int64_t session_id;     /* 0 when authenticated by API key */
    int64_t api_key_id;     /* 0 for sessions */
    const char *scopes;     /* API key scopes, space separated; NULL = the role's */
    bool must_change_password;
    const char *ip;
} tk_identity;

/* Whether a user of this role may belong to a unit of this kind. */
bool tk_role_fits_unit(tk_role r, const char *unit_kind);

/* API key scopes: "event.read event.create", or "event.*", or "*". */
bool tk_scopes_allow(const char *scopes, const char *action);

/* The subtree of a unit path as a half-open range of path strings:
 * [lo, hi) where hi is lo with its last '/' replaced by '0'. hi needs strlen+1. */
void tk_path_range_end(const char *path, char *hi, size_t size);

/* Personal data. Roles that read names and phones in clear: see tk_role_sees_personal.
 * An ID number (身份证号) is needed by nobody's daily work but the administrator's:
 * tk_role_sees_id_numbers. Everyone reads their own in clear. */
bool tk_role_sees_personal(tk_role r);
bool tk_role_sees_id_numbers(tk_role r);
/* Into out (at least strlen(in)+1 bytes, 64 is enough for names and phones):
 * "张三丰" -> "张**", "13812345678" -> "138****5678", an ID number keeps its first
 * 4 and last 4 characters. */
void tk_mask_name(const char *in, char *out, size_t size);
void tk_mask_phone(const char *in, char *out, size_t size);
void tk_mask_id_number(const char *in, char *out, size_t size);

#endif
