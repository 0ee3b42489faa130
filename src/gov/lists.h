/*
 * lists.h - 三张清单: 权责清单 (power), 政务服务清单 (service), 属地管理事项责任清单
 * (territorial). Items are versioned by date: every change closes the version in
 * force and opens a new one, so the lists can be read as of any day.
 * Strings live in the caller's arena.
 */
#ifndef TK_LISTS_H
#define TK_LISTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/status.h"
#include "store/db.h"

#define TK_LIST_KINDS                                                                              \
    {                                                                                              \
        "power", "service", "territorial", NULL                                                    \
    }
#define TK_LIMIT_UNITS                                                                             \
    {                                                                                              \
        "work_minutes", "work_hours", "work_days", "natural_days", NULL                            \
    }
const char *tk_list_label(const char *list);
const char *tk_limit_unit_label(const char *unit);

typedef struct {
    const char *code, *list, *name;
    const char *subject;      /* subject type key: "pingan", "zhifa" ... */
    const char *subject_name; /* its current name */
    const char *subject_kind; /* "module" or "department" */
    const char *cooperating;  /* keys separated by '|' */
    const char *legal_basis;
    int64_t limit_amount; /* 0 = none */
    const char *limit_unit;
    const char *process; /* steps separated by '|' */
    bool delegated, enforcement, retired;
    const char *valid_from, *valid_to; /* valid_to NULL = open */
    const char *note, *changed_by;
} tk_list_item;

/* The version in force on `date` (YYYY-MM-DD). Retired items are not found. */
tk_status tk_list_item_get(tk_conn *c, tk_arena *a, const char *code, const char *date,
                           tk_list_item *out, tk_error *err);

typedef struct {
    const char *date; /* required: as of this day */
    const char *list; /* NULL = all */
    const char *subject;
    const char *q;
    int delegated;   /* -1 any */
    int enforcement; /* -1 any */
    const char *after_code;
    int limit; /* 0 = no limit */
} tk_list_filter;

typedef void (*tk_list_item_fn)(void *ctx, const tk_list_item *it);
tk_status tk_list_items(tk_conn *c, tk_arena *a, const tk_list_filter *f, tk_list_item_fn fn,
                        void *ctx, bool *more, tk_error *err);
tk_status tk_list_item_exists(tk_conn *c, const char *code, bool *exists, tk_error *err);
/* Every version of one item, oldest first. */
tk_status tk_list_item_history(tk_conn *c, tk_arena *a, const char *code, tk_list_item_fn fn,
                               void *ctx, tk_error *err);

/* Validates an item's fields (subject keys, list, unit); TK_EVALID naming the field. */
tk_status tk_list_item_check(tk_conn *c, const tk_list_item *it, tk_error *err);
/* Adds a new item, or a new version of an existing one, in force from it->valid_from.
 * *created says which. A change dated before the current version's start is refused. */
tk_status tk_list_item_put(tk_conn *c, const tk_list_item *it, bool *created, tk_error *err);
/* Retires the item from `date` on. */
tk_status tk_list_item_retire(tk_conn *c, const char *code, const char *date, const char *note,
                              const char *by, tk_error *err);

/* Imports list-items.csv (code,list,name,subject_kind,subject,cooperating,
 * legal_basis,time_limit,process,delegated,enforcement), each row a new item or a
 * new version in force from `date`. Rows identical to the version in force are
 * left alone. All-or-nothing: any bad line goes to errs and nothing is written. */
tk_status tk_list_import(tk_conn *c, const char *text, size_t len, const char *date, const char *by,
                         tk_line_errors *errs, int *added, int *changed, tk_error *err);

typedef struct {
    const char *list;
    int64_t items, enforcement, delegated;
} tk_list_count;
/* Counts per list as of date; out has room for 3. */
tk_status tk_list_summary(tk_conn *c, const char *date, tk_list_count out[3], tk_error *err);

#endif
