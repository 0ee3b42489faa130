/*
 * units.h - the organisation tree: territory and the bodies inside it.
 *
 * A unit's path lists the ids from the root ("/1/7/130/"); the subtree of a unit
 * is every unit whose path starts with its path. Returned strings live in the
 * caller's arena.
 */
#ifndef TK_UNITS_H
#define TK_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "store/db.h"

typedef struct {
    int64_t id;
    const char *code;
    const char *name;
    const char *kind;
    int64_t parent_id; /* 0 for the root */
    const char *path;
    int depth;
    const char *county_code;
    bool active;
    const char *scope_path; /* the territorial anchor's path (see 0003_territory.sql) */
} tk_unit;

/* The columns tk_unit_from_row reads, for SELECT lists: prefix them with an alias. */
#define TK_UNIT_COLUMNS(a)                                                                         \
    a ".id, " a ".code, " a ".name, " a ".kind, " a ".parent_id, " a ".path, " a ".depth, " a      \
      ".county_code, " a ".active, " a ".scope_path"
#define TK_UNIT_NCOLUMNS 10
void tk_unit_from_row(tk_stmt *s, int first_col, tk_arena *a, tk_unit *out);

tk_status tk_unit_get(tk_conn *c, tk_arena *a, int64_t id, tk_unit *out, tk_error *err);
tk_status tk_unit_by_code(tk_conn *c, tk_arena *a, const char *code, tk_unit *out, tk_error *err);
/* Inserts a unit under parent_id (0 for a root), computing path, depth and county. */
tk_status tk_unit_insert(tk_conn *c, const char *code, const char *name, const char *kind,
                         int64_t parent_id, int64_t *id, tk_error *err);
/* Binds the subtree of path as the half-open range [?i, ?i+1) of unit paths, for
 * "x.path >= ?i AND x.path < ?i+1". NULL means everything (internal lookups);
 * "" means nothing (a caller without a scope). */
void tk_bind_path_range(tk_stmt *s, int i, const char *path);
/* True when unit_path lies inside scope_path's subtree. */
bool tk_path_within(const char *unit_path, const char *scope_path);
/* The unit a path ends with ("/1/7/42/" -> 42): a scope's territorial anchor; 0 for none. */
int64_t tk_path_unit_id(const char *path);
bool tk_unit_kind_valid(const char *kind);
/* city, county, township, village, grid, micro-grid */
bool tk_unit_kind_territorial(const char *kind);
const char *tk_unit_kind_label(const char *kind);

#endif
