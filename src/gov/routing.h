/*
 * routing.h - 清单之外无事项: category + place -> list item -> the responsible
 * subject in that township or county -> a suggested assignee; or 清单外 with
 * the reason, for the county center to decide.
 */
#ifndef TK_ROUTING_H
#define TK_ROUTING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/categories.h"
#include "gov/lists.h"
#include "store/db.h"

typedef struct {
    bool out_of_list;
    const char *reason; /* why 清单外, or how the subject was chosen */
    tk_list_item item;  /* when in the list */
    int64_t township_id, county_id;
    int64_t subject_unit_id; /* 0 when no such body exists where the event is */
    const char *subject_unit_name;
    const char *subject_kind;   /* "module", "department", "team" */
    int64_t person_id, user_id; /* suggested assignee, 0 = none */
    const char *person_name;
} tk_routing;

/* place_id: the grid (or any unit inside a township). date: YYYY-MM-DD. */
tk_status tk_routing_suggest(tk_conn *c, tk_arena *a, const char *category_code, int64_t place_id,
                             const char *date, tk_routing *out, tk_error *err);
/* The same for a category already read (a leaf) and a place already resolved to
 * its township and county: what intake uses, to read neither twice. */
tk_status tk_routing_suggest_in(tk_conn *c, tk_arena *a, const tk_category *category,
                                int64_t township_id, int64_t county_id, const char *date,
                                tk_routing *out, tk_error *err);

#endif
