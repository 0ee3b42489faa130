/*
 * territory.h - places: units with what territory carries (township class,
 * points, grid polygons, households, population), listed and changed within a
 * scope. Strings live in the caller's arena.
 */
#ifndef TK_TERRITORY_H
#define TK_TERRITORY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/units.h"
#include "store/db.h"

#define TK_TOWNSHIP_CLASSES                                                                        \
    {                                                                                              \
        "经济型", "生态型", "复合型", "城区型", "城郊型", NULL                                     \
    }

typedef struct {
    tk_unit unit;
    const char *township_class; /* NULL unless a township with a class */
    bool is_central;
    bool has_point;
    double lng, lat;
    int64_t households;   /* -1 = unknown */
    int64_t population;   /* -1 = unknown */
    const char *geometry; /* GeoJSON; NULL unless asked for and present */
    double area_m2;       /* 0 = no polygon */
    int64_t children;     /* active child units */
} tk_place;

tk_status tk_place_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path,
                       bool with_geometry, tk_place *out, tk_error *err);
tk_status tk_place_by_code(tk_conn *c, tk_arena *a, const char *code, const char *scope_path,
                           bool with_geometry, tk_place *out, tk_error *err);

typedef struct {
    const char *scope_path; /* required */
    const char *kind;       /* NULL = any */
    int64_t parent_id;      /* 0 = any */
    const char *q;          /* substring of name or code prefix */
    const char *township_class;
    bool include_inactive;
    bool with_geometry;
    int64_t after_id;
    int limit;
} tk_place_filter;

typedef void (*tk_place_fn)(void *ctx, const tk_place *p);
tk_status tk_place_list(tk_conn *c, tk_arena *a, const tk_place_filter *f, tk_place_fn fn,
                        void *ctx, bool *more, tk_error *err);
/* The unit's ancestors from the root down (one query, O(depth) lookups). */
tk_status tk_place_ancestors(tk_conn *c, tk_arena *a, const tk_unit *u, tk_place_fn fn, void *ctx,
                             tk_error *err);

/* What a create or update sets. For updates, NULL / negative means unchanged. */
typedef struct {
    const char *code, *name, *kind;
    const char *function; /* routing role (subject type key, "command", "team"); NULL = none */
    int64_t parent_id;
    const char *township_class;
    int is_central; /* -1 unchanged */
    bool set_point;
    double lng, lat;
    int64_t households, population; /* -1 unchanged */
    const char *geometry;           /* GeoJSON, validated by the caller */
    double area_m2;
    double bbox[4];
} tk_place_input;

tk_status tk_place_create(tk_conn *c, const tk_place_input *in, int64_t *id, tk_error *err);
tk_status tk_place_update(tk_conn *c, int64_t id, const tk_place_input *in, tk_error *err);
/* Refuses to disable a unit that still has active children or users. */
tk_status tk_place_set_active(tk_conn *c, int64_t id, bool active, tk_error *err);

/* Every grid polygon (id, GeoJSON) of active grids, for the locator. */
typedef void (*tk_grid_shape_fn)(void *ctx, int64_t id, const char *geojson);
tk_status tk_grid_shapes(tk_conn *c, tk_grid_shape_fn fn, void *ctx, tk_error *err);

/* Counts of active units by kind under a scope. */
typedef struct {
    int64_t counties, townships, villages, grids;
} tk_territory_counts;
tk_status tk_territory_count(tk_conn *c, const char *scope_path, tk_territory_counts *out,
                             tk_error *err);

#endif
