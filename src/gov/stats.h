/*
 * stats.h - the indicators of DESIGN.md §5 for a unit and a period, read from
 * the daily rollups (constant cost whatever the history), and the same figures
 * recomputed from the raw events and their timeline, to check the rollups.
 */
#ifndef TK_STATS_H
#define TK_STATS_H

#include <stdint.h>

#include "core/status.h"
#include "store/db.h"

typedef struct {
    int64_t reported, accepted, dispatched, dispatched_on_time, closed, due, closed_on_time,
        feedbacks, reworks, returns, overdue, handle_minutes, rated, satisfied, rating_sum;
    int64_t accepted_closed; /* of the accepted, those closed since (结案率 = this / accepted) */
} tk_stats;

/* Days are YYYY-MM-DD, inclusive. */
tk_status tk_stats_rollup(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                          tk_stats *out, tk_error *err);
/* Recomputed from events and event_timeline, for unit_id's subtree. */
tk_status tk_stats_raw(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                       int64_t now, tk_stats *out, tk_error *err);

typedef struct {
    int64_t department_id;
    const char *name;
    int64_t calls, signed_, signed_on_time, sign_minutes, responded, response_minutes;
} tk_department_stats;
typedef void (*tk_department_stats_fn)(void *ctx, const tk_department_stats *d);
/* 乡呼县应 per department under unit_id (a county or the city). */
tk_status tk_stats_departments(tk_conn *c, int64_t unit_id, const char *from_day,
                               const char *to_day, tk_department_stats_fn fn, void *ctx,
                               tk_error *err);

typedef struct {
    const char *day;
    tk_stats s;
} tk_stats_day;
typedef void (*tk_stats_day_fn)(void *ctx, const tk_stats_day *d);
tk_status tk_stats_series(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                          tk_stats_day_fn fn, void *ctx, tk_error *err);

/* Summaries of every child unit (townships of a county ...), for rankings. */
typedef struct {
    int64_t unit_id;
    const char *name, *code;
    tk_stats s;
} tk_stats_unit;
typedef void (*tk_stats_unit_fn)(void *ctx, const tk_stats_unit *u);
tk_status tk_stats_children(tk_conn *c, int64_t unit_id, const char *kind, const char *from_day,
                            const char *to_day, tk_stats_unit_fn fn, void *ctx, tk_error *err);

#endif
