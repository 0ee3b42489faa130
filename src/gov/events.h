/*
 * events.h - the event loop: intake, the state machine (受理交办、处置反馈、督办考核),
 * time limits on the work calendar, notifications and rollup indicators.
 *
 * Every change runs inside a write job: the event row, its timeline row, the
 * rollups and the notifications change together or not at all (the API adds
 * the audit row to the same transaction). Reads take the caller's identity and
 * filter inside SQL. Strings live in the caller's arena.
 */
#ifndef TK_EVENTS_H
#define TK_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"
#include "core/mem.h"
#include "core/status.h"
#include "gov/access.h"
#include "store/db.h"

#define TK_EVENT_SOURCES                                                                           \
    {                                                                                              \
        "grid_patrol", "resident", "hotline", "department", "higher_level", "sensor", NULL         \
    }

const char *tk_event_state_label(const char *state);
const char *tk_event_source_label(const char *source);

typedef struct {
    int64_t id;
    const char *number, *state, *source, *category_code, *category_name, *urgency;
    const char *title, *description, *address;
    bool has_point;
    double lng, lat;
    int64_t grid_id, village_id, township_id, county_id;
    const char *grid_name, *village_name, *township_name, *county_name;
    const char *scope_path;
    int64_t reporter_user_id;
    const char *reporter_name, *reporter_phone;
    bool out_of_list;
    const char *routing_note, *list_item_code;
    int64_t suggested_unit_id, assignee_unit_id, assignee_user_id, called_unit_id, duplicate_of;
    const char *suggested_unit_name, *assignee_unit_name, *assignee_user_name, *called_unit_name;
    bool verified;
    const char *pending, *pending_detail;
    const char *stage;
    int64_t stage_started_at, stage_deadline, next_alert_at, due_at;
    const char *alert;
    bool overdue, due_counted;
    int64_t escalated_at, supervised_at;
    int64_t merged_into; /* 合并重复件: the event this report went into (it is void), 0 = none */
    int64_t submitted_by;     /* the account that sent the report (0 = none recorded) */
    const char *external_ref; /* the reporting system's number for it (a 12345 ticket) */
    bool self_handled; /* 自行处置: closed on the spot by the grid worker who reported it */
    int64_t returns, reworks, extensions, satisfaction, handle_minutes;
    int64_t created_at, updated_at, accepted_at, dispatched_at, signed_at, feedback_at, closed_at,
        archived_at;
} tk_event;

/* Intake. */
typedef struct {
    const char *category_code;
    const char *title; /* NULL: the category name and the place */
    const char *description;
    const char *address;
    bool has_point;
    double lng, lat;
    int64_t grid_id;     /* resolved from the point by the caller, or given */
    const char *urgency; /* NULL: the category's default */
    const char *source;
    const char *reporter_name, *reporter_phone;
    int64_t duplicate_radius_m; /* 0 = 100 m */
    int64_t duplicate_window_h; /* 0 = 24 h */
    const char *request_key;    /* Idempotency-Key: a repeat gets the event made before */
    const char *external_ref;   /* the reporting system's number for it, NULL = none */
    int64_t resident_daily;     /* reports a resident may make a day; 0 = any number */
} tk_event_new;

typedef struct {
    tk_event event;       /* as written, names included (the strings in the caller's arena) */
    int64_t duplicate_of; /* the earliest possible duplicate, 0 = none */
    int ncandidates;
    int64_t candidates[8];
    bool replayed; /* the event an earlier report under the same key made, as it is now */
} tk_event_created;

/* Writes the event, or with in->request_key answers with the one an earlier report
 * under the key made (out->replayed; TK_EVALID when that report was a different
 * one). A resident past in->resident_daily reports today: TK_ELIMIT. */
tk_status tk_event_create(tk_conn *c, tk_arena *a, const tk_calendar *cal, const tk_identity *who,
                          const tk_event_new *in, tk_event_created *out, tk_error *err);

/* Reading: NULL/NOTFOUND when the caller may not see it. */
tk_status tk_event_get(tk_conn *c, tk_arena *a, const tk_identity *who, int64_t id, tk_event *out,
                       tk_error *err);

/* Actions: POST /api/v1/events/{id}/{action}. */
typedef struct {
    const char *note;
    int64_t unit_id, user_id; /* dispatch target, called department */
    bool approve;             /* decide-extension, void */
    bool passed;              /* verify */
    int64_t satisfaction;     /* revisit, 1..5 */
    const char *kind;         /* request-extension: "extension" or "suspend" */
    int64_t amount;
    const char *unit;                    /* extension length */
    const char *urgency, *category_code; /* accept: reclassify */
    int64_t into;                        /* merge: the event this report goes into */
    const char *request_key;             /* Idempotency-Key: a repeat changes nothing */
} tk_event_input;

/* What an action changed, for the reply and the live stream. */
typedef struct {
    const char *action;
    const char *from_state, *to_state;
    int64_t timeline_id;
    bool replayed; /* done before under the same key: nothing changed now */
} tk_event_change;

/* Performs the action or refuses it: TK_ECONFLICT "illegal_transition" when the
 * state does not allow it, TK_EFORBIDDEN when the caller's role or assignment
 * does not, TK_EVALID for missing or bad fields. With in->request_key, the same
 * action done before under the key is not done again (out->replayed). */
tk_status tk_event_act(tk_conn *c, tk_arena *a, const tk_calendar *cal, const tk_identity *who,
                       int64_t id, const char *action, const tk_event_input *in,
                       tk_event_change *out, tk_error *err);

/* The actions the caller may take on the event now (labels zh-CN). */
typedef struct {
    const char *action, *label;
} tk_event_action_info;
int tk_event_allowed(const tk_event *ev, const tk_identity *who, tk_event_action_info *out,
                     int max);
/* An action's label, as done from from_state (NULL: from any state): a verify is
 * 核实 of a report (from verifying) or 核查 of the handling (from feedback). */
const char *tk_event_action_label(const char *action, const char *from_state);
bool tk_event_action_known(const char *action);
/* Whether the role may ever take the action (its state and the event aside). */
bool tk_event_role_may(const char *action, tk_role role);

/* Where the desk may send an event: the township's command room, modules and
 * enforcement team, a team that covers the township, and the county's
 * departments (the only targets of 乡呼县应). */
typedef struct {
    int64_t id;
    const char *name, *kind, *function;
} tk_event_target;
typedef void (*tk_event_target_fn)(void *ctx, const tk_event_target *t);
tk_status tk_event_targets(tk_conn *c, tk_arena *a, const tk_event *ev, tk_event_target_fn fn,
                           void *ctx, tk_error *err);

/* Lists and inboxes. */
typedef struct {
    const char *box; /* NULL, "mine", "unit", "verify", "overdue", "reported", "supervised" */
    const char *state;
    const char *category; /* a code or a class prefix */
    int64_t unit_id;      /* township, village, grid or county */
    const char *source;
    int64_t from, to; /* created_at range, ms */
    bool overdue_only;
    bool out_of_list_only;
    bool supervised_only; /* supervised by a person (人工督办) */
    const char *q;        /* text: trigram FTS for 3+ characters, substring below */
    int64_t before_id;    /* cursor */
    int limit;
} tk_event_filter;

typedef void (*tk_event_fn)(void *ctx, const tk_event *ev);

/* A row of an event's timeline: from_state and to_state NULL where it changed no
 * state, detail a JSON object (NULL read as {}). */
typedef struct {
    int64_t id, at, actor_id;
    const char *actor, *role, *action, *from_state, *to_state, *note, *detail;
} tk_timeline_row;

/* The latest changes the caller may see, newest first (the big screen's feed): a
 * timeline row with the event as it is now. Notes, photos and merged reports' rows
 * are left out; only the last few thousand rows of the timeline are looked at. */
typedef struct {
    tk_timeline_row change;
    tk_event event;
} tk_event_change_row;
typedef void (*tk_change_fn)(void *ctx, const tk_event_change_row *row);
tk_status tk_event_changes(tk_conn *c, tk_arena *a, const tk_identity *who, int limit,
                           tk_change_fn fn, void *ctx, tk_error *err);
tk_status tk_event_list(tk_conn *c, tk_arena *a, const tk_identity *who, const tk_event_filter *f,
                        tk_event_fn fn, void *ctx, bool *more, tk_error *err);

/* How many events each inbox holds for who, each counted up to cap (a count of
 * cap means "cap or more"), in the order mine, unit, verify, overdue, due_soon, reported,
 * supervised, own. */
#define TK_EVENT_NBOXES 8
bool tk_event_box_known(const char *box);
typedef struct {
    const char *box;
    int64_t count;
} tk_event_box_count;
tk_status tk_event_box_counts(tk_conn *c, tk_arena *a, const tk_identity *who, int64_t cap,
                              tk_event_box_count out[TK_EVENT_NBOXES], tk_error *err);

typedef void (*tk_timeline_fn)(void *ctx, const tk_timeline_row *row);
tk_status tk_event_timeline(tk_conn *c, tk_arena *a, int64_t event_id, tk_timeline_fn fn, void *ctx,
                            tk_error *err);

/* Time limits: the earliest pending alert instant, and processing what is due.
 * *processed counts events changed; a batch handles at most `max` events. */
tk_status tk_events_next_alert(tk_conn *c, int64_t *at, tk_error *err);
tk_status tk_events_process_due(tk_conn *c, tk_arena *a, const tk_calendar *cal, int64_t now,
                                int max, int *processed, tk_error *err);

/* After-commit: what changed, for the live stream. Set by the caller. */
typedef void (*tk_event_observer)(void *ctx, int64_t event_id, const char *scope_path,
                                  int64_t assignee_unit_id, int64_t called_unit_id,
                                  const char *action, const char *state, const char *number);
void tk_events_set_observer(tk_event_observer fn, void *ctx);

#endif
