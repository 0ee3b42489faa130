/*
 * routes.c - every route of the server, with the permission each one needs.
 * The static UI is the last route, so any API path that matches nothing is 404.
 */
#include "api/app.h"
#include "http/static.h"

const tk_route tk_api_routes[] = {
    {"GET", "/healthz", api_healthz, "health", TK_ROUTE_PUBLIC},
    {"GET", "/metrics", api_metrics, "metrics", TK_ROUTE_PUBLIC},
    {"POST", "/api/v1/_probe/writes", api_probe_write, "probe", TK_ROUTE_PUBLIC},
    {"GET", "/api/v1/_probe/writes/{key}", api_probe_read, "probe", TK_ROUTE_PUBLIC},

    {"POST", "/api/v1/session", api_session_create, "session.create", TK_ROUTE_PUBLIC},
    {"GET", "/api/v1/session", api_session_get, "session.read", 0},
    {"DELETE", "/api/v1/session", api_session_delete, "session.manage", 0},
    {"PUT", "/api/v1/session/password", api_password_change, "password.change", 0},
    {"GET", "/api/v1/sessions", api_sessions_list, "session.manage", 0},
    {"DELETE", "/api/v1/sessions/{id}", api_sessions_revoke, "session.manage", 0},
    {"GET", "/api/v1/permissions", api_permissions, "permission.read", 0},

    {"GET", "/api/v1/users", api_users_list, "user.read", 0},
    {"POST", "/api/v1/users", api_users_create, "user.write", 0},
    {"GET", "/api/v1/users/{id}", api_users_get, "user.read", 0},
    {"PATCH", "/api/v1/users/{id}", api_users_update, "user.write", 0},
    {"POST", "/api/v1/users/{id}/disable", api_users_disable, "user.write", 0},
    {"POST", "/api/v1/users/{id}/enable", api_users_enable, "user.write", 0},
    {"POST", "/api/v1/users/{id}/password-reset", api_users_reset_password, "user.write", 0},
    {"GET", "/api/v1/api-keys", api_keys_list, "apikey.manage", 0},
    {"POST", "/api/v1/api-keys", api_keys_create, "apikey.manage", 0},
    {"DELETE", "/api/v1/api-keys/{id}", api_keys_revoke, "apikey.manage", 0},
    {"GET", "/api/v1/audit", api_audit_list, "audit.read", 0},

    {"GET", "/api/v1/units", api_units_list, "territory.read", 0},
    {"POST", "/api/v1/units", api_units_create, "territory.write", 0},
    {"GET", "/api/v1/units/{id}", api_units_get, "territory.read", 0},
    {"PATCH", "/api/v1/units/{id}", api_units_update, "territory.write", 0},
    {"GET", "/api/v1/units/{id}/children", api_units_children, "territory.read", 0},
    {"GET", "/api/v1/units/{id}/ancestors", api_units_ancestors, "territory.read", 0},
    {"POST", "/api/v1/units/{id}/disable", api_units_disable, "territory.write", 0},
    {"POST", "/api/v1/units/{id}/enable", api_units_enable, "territory.write", 0},
    {"GET", "/api/v1/units/{id}/posts", api_posts_list, "org.read", 0},
    {"POST", "/api/v1/units/{id}/posts", api_posts_create, "org.write", 0},
    {"PUT", "/api/v1/units/{id}/quotas", api_quotas_set, "staffing.write", 0},
    {"GET", "/api/v1/territory/summary", api_territory_summary, "territory.read", 0},
    {"POST", "/api/v1/territory/import", api_territory_import, "territory.import", TK_ROUTE_RAW},
    {"GET", "/api/v1/territory/export", api_territory_export, "territory.export", 0},
    {"GET", "/api/v1/locate", api_locate, "locate", 0},
    {"GET", "/api/v1/people", api_people_list, "org.read", 0},
    {"POST", "/api/v1/people", api_people_create, "org.write", 0},
    {"GET", "/api/v1/people/{id}", api_people_get, "org.read", 0},
    {"PATCH", "/api/v1/people/{id}", api_people_update, "org.write", 0},
    {"POST", "/api/v1/people/{id}/disable", api_people_disable, "org.write", 0},
    {"GET", "/api/v1/staffing", api_staffing_summary, "staffing.read", 0},
    {"GET", "/api/v1/quota-transfers", api_transfers_list, "staffing.read", 0},
    {"POST", "/api/v1/quota-transfers", api_transfers_create, "staffing.write", 0},
    {"GET", "/api/v1/teams", api_teams_list, "org.read", 0},
    {"PUT", "/api/v1/teams/{id}/coverage", api_teams_set_coverage, "org.write", 0},

    {"GET", "/api/v1/subject-types", api_subject_types, "list.read", 0},
    {"GET", "/api/v1/lists/summary", api_lists_summary, "list.read", 0},
    {"GET", "/api/v1/list-items", api_list_items, "list.read", 0},
    {"POST", "/api/v1/list-items", api_list_item_create, "list.write", 0},
    {"POST", "/api/v1/list-items/import", api_list_import, "list.write", TK_ROUTE_RAW},
    {"GET", "/api/v1/list-items/export", api_list_export, "list.export", 0},
    {"GET", "/api/v1/list-items/{code}", api_list_item_get, "list.read", 0},
    {"PUT", "/api/v1/list-items/{code}", api_list_item_change, "list.write", 0},
    {"GET", "/api/v1/list-items/{code}/history", api_list_item_history, "list.read", 0},
    {"POST", "/api/v1/list-items/{code}/retire", api_list_item_retire, "list.write", 0},
    {"GET", "/api/v1/categories", api_categories, "category.read", 0},
    {"GET", "/api/v1/categories/{code}", api_category_get, "category.read", 0},
    {"PUT", "/api/v1/categories/{code}", api_category_put, "category.write", 0},
    {"PUT", "/api/v1/categories/{code}/limits", api_category_limits, "category.write", 0},
    {"GET", "/api/v1/route", api_route, "route.read", 0},
    {"GET", "/api/v1/calendar", api_calendar_days, "calendar.read", 0},
    {"GET", "/api/v1/calendar/deadline", api_calendar_deadline, "calendar.read", 0},
    {"GET", "/api/v1/calendar/schedules", api_calendar_schedules, "calendar.read", 0},
    {"PUT", "/api/v1/calendar/schedules", api_calendar_schedules_put, "calendar.write", 0},
    {"POST", "/api/v1/calendar/import", api_calendar_import, "calendar.write", TK_ROUTE_RAW},
    {"PUT", "/api/v1/calendar/days/{date}", api_calendar_day_put, "calendar.write", 0},
    {"DELETE", "/api/v1/calendar/days/{date}", api_calendar_day_delete, "calendar.write", 0},

    {"GET", "/api/v1/_clock", api_clock, "clock", TK_ROUTE_PUBLIC},
    {"POST", "/api/v1/_clock", api_clock, "clock", TK_ROUTE_PUBLIC},

    {"GET", "/{*path}", tk_static_handler, "static", TK_ROUTE_PUBLIC},
};

const size_t tk_api_routes_count = sizeof tk_api_routes / sizeof tk_api_routes[0];

