/*
 * event_internal.h - what the event files share (events.c, transitions.c,
 * alerts.c, rollups.c, notify.c). Nothing outside src/gov includes this.
 */
#ifndef TK_EVENT_INTERNAL_H
#define TK_EVENT_INTERNAL_H

#include "gov/categories.h"
#include "gov/events.h"

/* Loads any event by id, without a scope check (writer side). */
tk_status ev_load(tk_conn *c, tk_arena *a, int64_t id, tk_event *out, tk_error *err);
/* Appends a timeline row; *id may be NULL. */
tk_status ev_timeline(tk_conn *c, int64_t event_id, int64_t at, const tk_identity *who,
                      const char *action, const char *from, const char *to, const char *note,
                      const char *detail, int64_t *id, tk_error *err);

/* Stage timing: starts `stage` at now with the category's limit for the event's
 * urgency; stage NULL stops the clock. Recomputes alert and next_alert_at. */
tk_status ev_start_stage(tk_conn *c, const tk_calendar *cal, const tk_category *cat,
                         const tk_event *ev, const char *stage, int64_t now, tk_error *err);
/* What ev_start_stage stores, computed without storing it (intake writes it with
 * the event's row): the deadline (0 = none) and the next alert instant. */
void ev_stage_timing(const tk_calendar *cal, const tk_category *cat, const char *urgency,
                     const char *stage, int64_t now, int64_t due_at, bool due_counted,
                     int64_t *deadline, int64_t *next);
/* The yellow instant of a stage: 80% of its working time. */
int64_t ev_yellow_point(const tk_calendar *cal, int64_t start, int64_t deadline);
/* The next instant the timer must look at an event. 0 = none. */
int64_t ev_next_alert(const tk_calendar *cal, const char *alert, int64_t start, int64_t deadline,
                      int64_t due_at, bool due_counted, int64_t now);

/* Rollups: adds to a counter of every unit above the event's grid, for the day. */
tk_status ev_bump(tk_conn *c, const tk_event *ev, int64_t at, const char *counter, int64_t by,
                  tk_error *err);
/* The report itself: "reported" on its day, and its id into the day's id bounds. */
tk_status ev_bump_report(tk_conn *c, const tk_event *ev, tk_error *err);
tk_status ev_bump_department(tk_conn *c, int64_t department, int64_t at, const char *counter,
                             int64_t by, tk_error *err);

/* Notifications. */
typedef enum {
    EV_TO_DESK,     /* the township's command room */
    EV_TO_ASSIGNEE, /* the assignee user, or every user of the assignee unit */
    EV_TO_CENTER,   /* the county center */
    EV_TO_GRID,     /* the grid workers of the event's grid */
    EV_TO_REPORTER,
} ev_audience;
tk_status ev_notify(tk_conn *c, const tk_event *ev, ev_audience to, const char *kind,
                    const char *title, const char *body, int64_t now, tk_error *err);

/* 结果回传: queues the timeline row for the callback of the event's reporter, if
 * that account has one (gov/callbacks.c). */
tk_status ev_callback_queue(tk_conn *c, const tk_event *ev, int64_t timeline_id, int64_t now,
                            tk_error *err);

/* After-commit hook that tells the observer what changed. */
void ev_publish(tk_conn *c, const tk_event *ev, const char *action, const char *state);

#endif
