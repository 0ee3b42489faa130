/*
 * notify.c - notices into users' inboxes: new tasks, yellow and red alerts,
 * supervision, returns, county calls. One INSERT ... SELECT per audience.
 */
#include <stdio.h>
#include <string.h>

#include "gov/event_internal.h"

static const char *audience_sql(ev_audience to)
{
    switch (to) {
    case EV_TO_DESK:
        return "SELECT us.id FROM users us JOIN units u ON u.id = us.unit_id JOIN units t "
               "ON t.id = ?1 WHERE us.role = 'township_command' AND us.disabled = 0 "
               "AND u.scope_path = t.path";
    case EV_TO_ASSIGNEE:
        return "SELECT id FROM users WHERE disabled = 0 AND (id = ?2 OR (?2 = 0 AND "
               "unit_id = ?3 AND ?3 != 0))";
    case EV_TO_CENTER:
        return "SELECT us.id FROM users us JOIN units u ON u.id = us.unit_id JOIN units k "
               "ON k.id = ?4 WHERE us.role = 'county_center' AND us.disabled = 0 "
               "AND u.scope_path = k.path";
    case EV_TO_GRID:
        return "SELECT us.id FROM users us WHERE us.role = 'grid_worker' AND us.disabled = 0 "
               "AND us.unit_id = ?5";
    case EV_TO_REPORTER:
        return "SELECT id FROM users WHERE id = ?6 AND disabled = 0";
    }
    return NULL;
}

tk_status ev_notify(tk_conn *c, const tk_event *ev, ev_audience to, const char *kind,
                    const char *title, const char *body, int64_t now, tk_error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO notifications(user_id, event_id, kind, title, body, created_at) "
             "SELECT x.id, ?7, ?8, ?9, ?10, ?11 FROM (%s) x",
             audience_sql(to));
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    int64_t unit = !strcmp(ev->state, "county_called") && ev->called_unit_id ? ev->called_unit_id
                                                                             : ev->assignee_unit_id;
    tk_bind_i64(s, 1, ev->township_id);
    tk_bind_i64(s, 2, ev->assignee_user_id);
    tk_bind_i64(s, 3, unit);
    tk_bind_i64(s, 4, ev->county_id);
    tk_bind_i64(s, 5, ev->grid_id);
    tk_bind_i64(s, 6, ev->reporter_user_id);
    tk_bind_i64(s, 7, ev->id);
    tk_bind_text(s, 8, kind);
    tk_bind_text(s, 9, title);
    tk_bind_text(s, 10, body ? body : "");
    tk_bind_i64(s, 11, now);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}
