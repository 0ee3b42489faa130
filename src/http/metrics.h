/*
 * metrics.h - request counters by route and status, and latency histograms by
 * route, rendered as Prometheus text. Lock-free counters; one instance per server.
 */
#ifndef TK_METRICS_H
#define TK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "http/router.h"

typedef struct tk_metrics tk_metrics;

/* One slot per route plus one for requests that matched no route. */
tk_metrics *tk_metrics_new(const tk_router *rt);
void tk_metrics_free(tk_metrics *m);
/* route_index == (size_t)-1 for unmatched requests. */
void tk_metrics_observe(tk_metrics *m, size_t route_index, int status, int64_t duration_ns);
void tk_metrics_render(tk_metrics *m, tk_buf *out);

#endif
