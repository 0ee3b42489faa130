/*
 * router.h - method + path matching with {name} parameters and a {*tail}.
 *
 * Routes are matched in table order; the first whose path matches wins, so put
 * literal routes before parameterised ones that overlap. A path that matches no
 * pattern is 404; one that matches only with other methods is 405.
 */
#ifndef TK_ROUTER_H
#define TK_ROUTER_H

#include <stddef.h>

#include "http/request.h"

typedef struct {
    const tk_route *routes;
    size_t count;
} tk_router;

typedef enum { TK_MATCH_OK, TK_MATCH_NOT_FOUND, TK_MATCH_METHOD } tk_match_result;

/* On TK_MATCH_OK, *index is the route's position and params are filled (values
 * allocated from r->arena, verbatim: libmicrohttpd has already decoded the path). On
 * TK_MATCH_METHOD, allowed gets a comma-separated list of methods ("GET, POST"). */
tk_match_result tk_router_match(const tk_router *rt, const char *method, const char *path,
                                tk_req *r, size_t *index, char *allowed, size_t allowed_size);

#endif
