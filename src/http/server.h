/*
 * server.h - the HTTP server on libmicrohttpd: internal polling thread, epoll,
 * a thread pool, suspend/resume, and explicit limits on connections, per-IP
 * connections, idle time, per-connection memory and body size.
 *
 * The server knows nothing of the domain: it is given a route table, an opaque
 * application pointer (r->app) and a guard that runs before every handler (the
 * api layer authenticates and authorizes there).
 */
#ifndef TK_SERVER_H
#define TK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/status.h"
#include "http/metrics.h"
#include "http/request.h"

typedef struct tk_server tk_server;

/* Returns false after replying (401, 403, ...) to stop the request. */
typedef bool (*tk_guard_fn)(tk_req *r);

typedef struct {
    const tk_config *cfg;
    const tk_route *routes;
    size_t nroutes;
    void *app;
    tk_db *db;         /* where tk_req_write sends its jobs */
    tk_guard_fn guard; /* may be NULL */
} tk_server_options;

tk_status tk_server_start(const tk_server_options *opt, tk_server **out, tk_error *err);
int tk_server_port(const tk_server *s);
tk_metrics *tk_server_metrics(tk_server *s);
/* Requests being processed right now (not idle keep-alive connections). */
long tk_server_in_flight(tk_server *s);

typedef void (*tk_shutdown_hook)(void *ctx);
/* Called at the start of tk_server_stop, e.g. to end long-lived streams. */
void tk_server_on_shutdown(tk_server *s, tk_shutdown_hook fn, void *ctx);

/* Graceful stop: stop accepting, run shutdown hooks, wait up to grace_ms for
 * in-flight requests, then stop the daemon and free the server. */
void tk_server_stop(tk_server *s, int grace_ms);

/* Resumes a suspended request from any thread (used by streams). */
void tk_req_resume(tk_req *r);
/* Suspends the current request (call only from a handler or its then, or from
 * the content reader of its response: see api/stream.c). */
void tk_req_suspend(tk_req *r);

#endif
