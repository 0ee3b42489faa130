/*
 * org.h - organisation inside the territory: posts, people, staffing quotas and
 * the quotas moved down to townships (下沉), and 1+X enforcement teams.
 * Reads take the caller's scope path; strings live in the caller's arena.
 */
#ifndef TK_ORG_H
#define TK_ORG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/units.h"
#include "store/db.h"

#define TK_PERSON_KINDS                                                                            \
    {                                                                                              \
        "township_cadre", "dispatched_cadre", "grid_worker", "department_staff", "command_staff",  \
            NULL                                                                                   \
    }
const char *tk_person_kind_label(const char *kind);

typedef struct {
    int64_t id;
    int64_t unit_id;
    const char *name, *duty;
    int64_t headcount, filled;
    bool active;
} tk_post;

typedef void (*tk_post_fn)(void *ctx, const tk_post *p);
tk_status tk_post_list(tk_conn *c, tk_arena *a, int64_t unit_id, tk_post_fn fn, void *ctx,
                       tk_error *err);
tk_status tk_post_create(tk_conn *c, int64_t unit_id, const char *name, const char *duty,
                         int64_t headcount, int64_t *id, tk_error *err);

typedef struct {
    int64_t id;
    const char *name, *phone, *id_number, *kind;
    tk_unit unit;
    int64_t post_id;
    const char *post_name;
    int64_t home_unit_id;
    const char *home_unit_name;
    bool quota_locked, person_locked;
    int64_t user_id;
    bool active;
    const char *since;
} tk_person;

typedef struct {
    const char *scope_path;
    const char *kind;
    int64_t unit_id;      /* exactly this unit */
    int64_t under_id;     /* anywhere under this unit */
    int64_t home_unit_id; /* dispatched from this department */
    const char *q;        /* name substring */
    bool include_inactive;
    int64_t after_id;
    int limit;
} tk_person_filter;

typedef void (*tk_person_fn)(void *ctx, const tk_person *p);
tk_status tk_person_list(tk_conn *c, tk_arena *a, const tk_person_filter *f, tk_person_fn fn,
                         void *ctx, bool *more, tk_error *err);
tk_status tk_person_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path, tk_person *out,
                        tk_error *err);

typedef struct {
    const char *name, *phone, *id_number, *kind, *since;
    int64_t unit_id, post_id, home_unit_id, user_id; /* 0 = none / unchanged */
    int quota_locked, person_locked;                 /* -1 unchanged */
} tk_person_input;
tk_status tk_person_create(tk_conn *c, const tk_person_input *in, int64_t *id, tk_error *err);
tk_status tk_person_update(tk_conn *c, int64_t id, const tk_person_input *in, tk_error *err);
tk_status tk_person_set_active(tk_conn *c, int64_t id, bool active, tk_error *err);

/* Staffing (编制). */
tk_status tk_quota_set(tk_conn *c, int64_t unit_id, const char *kind, int64_t approved,
                       int64_t used, tk_error *err);
typedef struct {
    const char *kind;
    int64_t township_approved, county_approved; /* by the unit's territorial anchor */
    int64_t township_used, county_used;
    int64_t moved_down;    /* sum of transfers */
    double township_share; /* township_approved / (township + county) */
} tk_staffing_summary;
/* Two entries: administrative, institutional. */
tk_status tk_staffing_summary_get(tk_conn *c, const char *scope_path, tk_staffing_summary out[2],
                                  tk_error *err);

typedef struct {
    int64_t id, from_unit_id, to_unit_id, count;
    const char *from_name, *to_name, *kind, *effective_on, *document;
} tk_transfer;
tk_status tk_transfer_create(tk_conn *c, const tk_transfer *t, int64_t *id, tk_error *err);
typedef void (*tk_transfer_fn)(void *ctx, const tk_transfer *t);
tk_status tk_transfer_list(tk_conn *c, tk_arena *a, const char *scope_path, int64_t after_id,
                           int limit, tk_transfer_fn fn, void *ctx, bool *more, tk_error *err);

/* 1+X teams. */
typedef struct {
    tk_unit team;
    tk_unit home; /* the central township */
    int ncovered;
    const tk_unit *covered;
} tk_team;
typedef void (*tk_team_fn)(void *ctx, const tk_team *t);
tk_status tk_team_list(tk_conn *c, tk_arena *a, const char *scope_path, tk_team_fn fn, void *ctx,
                       tk_error *err);
/* Replaces the coverage of a team with the given townships. */
tk_status tk_team_set_coverage(tk_conn *c, int64_t team_id, const int64_t *townships, int n,
                               tk_error *err);

#endif
