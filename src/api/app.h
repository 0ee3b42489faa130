/*
 * app.h - the application context every handler reaches through r->app, and the
 * route table the server is given.
 */
#ifndef TK_APP_H
#define TK_APP_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "http/request.h"
#include "http/server.h"
#include "store/db.h"

typedef struct tk_app {
    tk_db *db;
    const tk_config *cfg;
    tk_server *server; /* set once the server has started */
    int64_t started_ms;
} tk_app;

#define TK_APP(r) ((tk_app *)(r)->app)

extern const tk_route tk_api_routes[];
extern const size_t tk_api_routes_count;

/* Runs before every handler. */
bool tk_api_guard(tk_req *r);

/* Handlers, by resource file. */
void api_healthz(tk_req *r);
void api_metrics(tk_req *r);
void api_probe_write(tk_req *r);
void api_probe_read(tk_req *r);

#endif
