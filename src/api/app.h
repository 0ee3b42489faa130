/*
 * app.h - the application context every handler reaches through r->app, and the
 * route table the server is given.
 */
#ifndef TK_APP_H
#define TK_APP_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include <pthread.h>

#include "core/pool.h"
#include "gov/sessions.h"
#include "gov/throttle.h"
#include "http/request.h"
#include "http/server.h"
#include "store/db.h"

typedef struct tk_app {
    tk_db *db;
    const tk_config *cfg;
    tk_server *server; /* set once the server has started */
    int64_t started_ms;
    tk_pool *hasher; /* password hashing, off the HTTP threads */
    tk_throttle *throttle;
    tk_session_limits session_limits;
    unsigned char csrf_key[32];
    struct tk_locator_holder *grids; /* point -> grid, swapped when grids change */
    pthread_rwlock_t calendar_lock;  /* guards the pointer; the calendar itself is read-only */
    struct tk_calendar *calendar;
    struct tk_timer *timer;       /* time limits: yellow, red, 督办 */
    struct tk_sender *sender;     /* 结果回传: callbacks' deliveries (api/sender.h) */
    struct tk_stream_hub *stream; /* GET /api/v1/stream subscribers (api/stream.h) */
    /* Photo attachments (gov/attachments.h): content-addressed files in
     * "<db path>.files/", stored by attach_io off the HTTP threads. */
    char attach_dir[1024];
    tk_pool *attach_io;
} tk_app;

#define TK_SESSION_COOKIE "tk_session"
#define TK_CSRF_HEADER    "X-CSRF-Token"

/* Opens what the app needs beside the database (pool, throttle, keys, data files).
 * The database must be migrated. */
tk_status tk_app_open(tk_app *app, tk_db *db, const tk_config *cfg, tk_error *err);
void tk_app_close(tk_app *app);
/* Point -> grid unit id, or -1 outside every grid. */
int64_t tk_app_locate(tk_app *app, double lng, double lat);
/* Rebuilds the grid locator from the database and swaps it in. */
tk_status tk_app_reload_grids(tk_app *app, tk_error *err);

/* The work calendar, read-locked until released (readers never wait on each other). */
const struct tk_calendar *tk_app_calendar_acquire(tk_app *app);
void tk_app_calendar_release(tk_app *app);
/* Reloads the calendar from the database after a change. */
tk_status tk_app_reload_calendar(tk_app *app, tk_error *err);

/* The anti-CSRF token that goes with a session token (hex, 65 bytes). */
void tk_app_csrf_token(const tk_app *app, const char *session_token, char out[65]);

#define TK_APP(r) ((tk_app *)(r)->app)

extern const tk_route tk_api_routes[];
extern const size_t tk_api_routes_count;

/* Runs before every handler. */
bool tk_api_guard(tk_req *r);

/* Handlers, by resource file. */
void api_session_create(tk_req *r);
void api_session_get(tk_req *r);
void api_session_delete(tk_req *r);
void api_sessions_list(tk_req *r);
void api_sessions_revoke(tk_req *r);
void api_password_change(tk_req *r);
void api_users_list(tk_req *r);
void api_users_get(tk_req *r);
void api_users_create(tk_req *r);
void api_users_update(tk_req *r);
void api_users_disable(tk_req *r);
void api_users_enable(tk_req *r);
void api_users_reset_password(tk_req *r);
void api_keys_list(tk_req *r);
void api_keys_create(tk_req *r);
void api_keys_revoke(tk_req *r);
void api_callbacks_list(tk_req *r);
void api_callbacks_create(tk_req *r);
void api_callbacks_update(tk_req *r);
void api_callbacks_delete(tk_req *r);
void api_callbacks_new_secret(tk_req *r);
void api_callbacks_deliveries(tk_req *r);
void api_callbacks_retry(tk_req *r);
void api_callbacks_test(tk_req *r);
void api_audit_list(tk_req *r);
void api_permissions(tk_req *r);
void api_clock(tk_req *r);
void api_units_list(tk_req *r);
void api_units_get(tk_req *r);
void api_units_children(tk_req *r);
void api_units_ancestors(tk_req *r);
void api_units_create(tk_req *r);
void api_units_update(tk_req *r);
void api_units_disable(tk_req *r);
void api_units_enable(tk_req *r);
void api_territory_summary(tk_req *r);
void api_territory_import(tk_req *r);
void api_territory_export(tk_req *r);
void api_locate(tk_req *r);
void api_posts_list(tk_req *r);
void api_posts_create(tk_req *r);
void api_people_list(tk_req *r);
void api_people_get(tk_req *r);
void api_people_create(tk_req *r);
void api_people_update(tk_req *r);
void api_people_disable(tk_req *r);
void api_staffing_summary(tk_req *r);
void api_quotas_set(tk_req *r);
void api_transfers_list(tk_req *r);
void api_transfers_create(tk_req *r);
void api_teams_list(tk_req *r);
void api_teams_set_coverage(tk_req *r);
void api_subject_types(tk_req *r);
void api_list_items(tk_req *r);
void api_list_item_get(tk_req *r);
void api_list_item_history(tk_req *r);
void api_list_item_create(tk_req *r);
void api_list_item_change(tk_req *r);
void api_list_item_retire(tk_req *r);
void api_list_import(tk_req *r);
void api_list_export(tk_req *r);
void api_lists_summary(tk_req *r);
void api_categories(tk_req *r);
void api_category_get(tk_req *r);
void api_category_put(tk_req *r);
void api_category_limits(tk_req *r);
void api_route(tk_req *r);
void api_calendar_days(tk_req *r);
void api_calendar_day_put(tk_req *r);
void api_calendar_day_delete(tk_req *r);
void api_calendar_import(tk_req *r);
void api_calendar_schedules(tk_req *r);
void api_calendar_schedules_put(tk_req *r);
void api_calendar_deadline(tk_req *r);
void api_events_create(tk_req *r);
void api_events_list(tk_req *r);
void api_events_boxes(tk_req *r);
void api_events_changes(tk_req *r);
void api_events_export(tk_req *r);
void api_events_get(tk_req *r);
void api_events_act(tk_req *r);
void api_events_supervise(tk_req *r);
void api_attachments_upload(tk_req *r);
void api_attachments_get(tk_req *r);
void api_notifications_list(tk_req *r);
void api_notifications_read(tk_req *r);
void api_stats_summary(tk_req *r);
void api_stats_daily(tk_req *r);
void api_stats_children(tk_req *r);
void api_stats_departments(tk_req *r);
void api_stream(tk_req *r);
void api_healthz(tk_req *r);
void api_metrics(tk_req *r);
void api_probe_write(tk_req *r);
void api_probe_read(tk_req *r);

#endif
