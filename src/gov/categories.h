/*
 * categories.h - the event category tree (GB/T 30428.2 lineage plus grassroots
 * classes) with each leaf's 立案/结案条件, default list item, default urgency and
 * time limits per urgency and stage. Strings live in the caller's arena.
 */
#ifndef TK_CATEGORIES_H
#define TK_CATEGORIES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/status.h"
#include "store/db.h"

#define TK_URGENCIES                                                                               \
    {                                                                                              \
        "normal", "urgent", "critical", NULL                                                       \
    }
#define TK_STAGES                                                                                  \
    {                                                                                              \
        "dispatch", "sign", "handle", "verify", "total", NULL                                      \
    }
const char *tk_urgency_label(const char *urgency);
const char *tk_stage_label(const char *stage);

typedef struct {
    const char *urgency, *stage, *unit;
    int64_t amount;
} tk_limit;

typedef struct {
    int64_t id;
    const char *code, *name;
    const char *parent_code; /* NULL for a top class */
    const char *accept_condition, *close_condition;
    const char *list_item_code; /* NULL when none (清单外 by design) */
    const char *default_urgency;
    bool leaf, active;
    int nlimits;
    tk_limit limits[15];
} tk_category;

tk_status tk_category_get(tk_conn *c, tk_arena *a, const char *code, tk_category *out,
                          tk_error *err);
typedef void (*tk_category_fn)(void *ctx, const tk_category *cat);
/* All categories in code order (with limits for leaves). */
tk_status tk_category_list(tk_conn *c, tk_arena *a, bool leaves_only, tk_category_fn fn, void *ctx,
                           tk_error *err);
/* The limit for a stage at an urgency; falls back to "normal". */
bool tk_category_limit(const tk_category *cat, const char *urgency, const char *stage,
                       tk_limit *out);

/* Creates or updates a category (by code). parent_code must exist. */
tk_status tk_category_put(tk_conn *c, const tk_category *cat, bool *created, tk_error *err);
tk_status tk_category_set_limit(tk_conn *c, const char *code, const tk_limit *l, tk_error *err);

/* Seeds: categories.csv and category-limits.csv formats (see data/README.md).
 * All-or-nothing: any bad line is reported in errs and nothing is written. */
tk_status tk_category_import(tk_conn *c, const char *cats, size_t cats_len, const char *limits,
                             size_t limits_len, tk_line_errors *errs, int *count, tk_error *err);

#endif
