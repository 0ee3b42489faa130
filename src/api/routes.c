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
    {"GET", "/{*path}", tk_static_handler, "static", TK_ROUTE_PUBLIC},
};

const size_t tk_api_routes_count = sizeof tk_api_routes / sizeof tk_api_routes[0];

bool tk_api_guard(tk_req *r)
{
    (void)r;
    return true;
}
