/*
 * internal.h - state the http files share; handlers never include this.
 */
#ifndef TK_HTTP_INTERNAL_H
#define TK_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "core/pool.h"
#include "http/server.h"
#include "http/static.h"

typedef enum {
    PHASE_HEADERS, /* first call: headers read */
    PHASE_BODY,    /* collecting the body */
    PHASE_WAITING, /* suspended: a write or a stream */
    PHASE_RESUMED, /* write finished, `then` pending */
    PHASE_REPLIED,
} req_phase;

typedef struct header_kv {
    const char *name, *value;
    struct header_kv *next;
} header_kv;

struct tk_req_internal {
    struct MHD_Connection *conn;
    tk_server *srv;
    const char *uri;
    req_phase phase;
    size_t route_index;
    bool has_body;
    bool body_too_big;
    bool suspended;
    int status;
    struct MHD_Response *resp;
    header_kv *headers;
    json_t *json;
    bool json_parsed;
    tk_error json_err;
    /* tk_req_write / tk_req_offload: work done elsewhere, then `then` here */
    tk_write_job job;
    tk_pool_job pool_job;
    tk_write_fn run;
    tk_status (*offload)(void *arg, tk_error *err);
    void *run_arg;
    tk_then_fn then;
    tk_status work_status;
    tk_error work_err;
};

struct shutdown_hook {
    tk_shutdown_hook fn;
    void *ctx;
};

struct tk_server {
    struct MHD_Daemon *daemon;
    const tk_config *cfg;
    tk_router router;
    void *app;
    tk_db *db;
    tk_guard_fn guard;
    tk_metrics *metrics;
    tk_static *statics;
    tk_static *vendor; /* /vendor/echarts/: ECharts from node_modules */
    int port;
    atomic_long in_flight;
    atomic_bool stopping; /* refuse new requests: kept-alive clients may still send */
    struct shutdown_hook hooks[8];
    int nhooks;
};

#endif
