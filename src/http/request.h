/*
 * request.h - what a handler sees of an HTTP request, and how it answers.
 *
 * A handler validates, reads, and either replies at once or hands a write to the
 * store with tk_req_write: the connection is suspended until the batch holding the
 * write has committed, then `then` runs on an HTTP thread and replies.
 * If `then` does not reply, a failed write is answered with its problem and a
 * successful one with 204. Everything
 * allocated from r->arena lives until the response has been sent.
 *
 * Errors are answered with tk_reply_error, which renders RFC 7807 problem+json;
 * no handler builds a problem body itself.
 */
#ifndef TK_REQUEST_H
#define TK_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "core/str.h"
#include "store/db.h"

#define TK_MAX_PARAMS 8

typedef struct tk_req tk_req;
typedef void (*tk_handler)(tk_req *r);
/* arg is the one given to tk_req_write; err is NULL when st == TK_OK. */
typedef void (*tk_then_fn)(tk_req *r, void *arg, tk_status st, const tk_error *err);

/* Route flags. */
enum {
    TK_ROUTE_PUBLIC = 1 << 0, /* no session needed */
    TK_ROUTE_RAW = 1 << 1,    /* body is not JSON (uploads); handler reads r->body */
    TK_ROUTE_STREAM = 1 << 2, /* long-lived response (server-sent events) */
};

typedef struct tk_route {
    const char *method;  /* "GET", "POST", ... (HEAD is served by GET routes) */
    const char *pattern; /* "/api/v1/events/{id}/{action}"; "{*rest}" matches the tail */
    tk_handler handler;
    const char *action; /* permission name, e.g. "event.read" */
    unsigned flags;
} tk_route;

struct tk_req {
    tk_arena *arena;
    void *app; /* the application context given to the server */
    const tk_route *route;
    const char *method;
    const char *path; /* decoded path, without the query */
    int nparams;
    const char *param_names[TK_MAX_PARAMS];
    const char *param_values[TK_MAX_PARAMS];
    tk_buf body;
    const char *client_ip;
    int64_t started_ns;
    void *auth;                 /* set by the guard: the caller's identity (api layer's type) */
    struct tk_req_internal *in; /* the server's own state */
};

const char *tk_req_param(tk_req *r, const char *name);
const char *tk_req_query(tk_req *r, const char *name); /* NULL when absent */
const char *tk_req_header(tk_req *r, const char *name);
const char *tk_req_cookie(tk_req *r, const char *name);

/* The request body as JSON, parsed strictly (see json.h); NULL with err set when it
 * is missing, too big, not JSON, not UTF-8, too deep, or has duplicate keys.
 * The value is owned by the request. */
json_t *tk_req_json(tk_req *r, tk_error *err);
/* Same, and it must be an object. */
json_t *tk_req_json_object(tk_req *r, tk_error *err);

/* Replies. Each request gets exactly one; later calls are ignored. */
void tk_reply_json(tk_req *r, int status, json_t *body); /* steals body */
void tk_reply_raw(tk_req *r, int status, const char *content_type, char *body, size_t len,
                  bool take); /* take: body was malloc'ed and is freed by the server */
void tk_reply_empty(tk_req *r, int status);
void tk_reply_error(tk_req *r, const tk_error *err);
/* A problem with extra members (steals extra, may be NULL). */
void tk_reply_error_with(tk_req *r, const tk_error *err, json_t *extra);
void tk_reply_fail(tk_req *r, tk_status st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool tk_req_replied(tk_req *r);
/* Adds a response header (copied). */
void tk_req_add_header(tk_req *r, const char *name, const char *value);

/* Suspends the request until run(c, arg, err) has committed (or failed) in the
 * writer, then calls then(r, arg, status, err). arg must live as long as the
 * request (allocate it from r->arena). */
void tk_req_write(tk_req *r, tk_write_fn run, void *arg, tk_then_fn then);

/* Suspends the request while fn(arg, err) runs on a worker pool (CPU-heavy work
 * such as password hashing), then calls then(r, arg, status, err). */
struct tk_pool;
void tk_req_offload(tk_req *r, struct tk_pool *pool, tk_status (*fn)(void *arg, tk_error *err),
                    void *arg, tk_then_fn then);

/* Long-lived responses (SSE): the handler gives a reader callback that MHD calls
 * for more bytes; see stream.h. */
struct MHD_Response;
void tk_reply_response(tk_req *r, int status, struct MHD_Response *resp);

#endif
