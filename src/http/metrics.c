#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "core/mem.h"

static const int status_codes[] = {200, 201, 202, 204, 206, 304, 400, 401, 403, 404,
                                   405, 409, 413, 415, 422, 429, 500, 503, 0};
#define NSTATUS (sizeof status_codes / sizeof status_codes[0]) /* last = other */

static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof latency_bounds / sizeof latency_bounds[0])

typedef struct {
    atomic_ullong by_status[NSTATUS];
    atomic_ullong latency[NBOUNDS + 1]; /* last = +Inf */
    atomic_ullong latency_sum_us;
} route_slot;

struct tk_metrics {
    const tk_router *router;
    size_t nslots; /* routes + 1 */
    route_slot *slots;
};

tk_metrics *tk_metrics_new(const tk_router *rt)
{
    tk_metrics *m = tk_xcalloc(1, sizeof *m);
    m->router = rt;
    m->nslots = rt->count + 1;
    m->slots = tk_xcalloc(m->nslots, sizeof *m->slots);
    return m;
}

void tk_metrics_free(tk_metrics *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

void tk_metrics_observe(tk_metrics *m, size_t route_index, int status, int64_t duration_ns)
{
    size_t slot = route_index < m->router->count ? route_index : m->router->count;
    route_slot *s = &m->slots[slot];
    size_t si = NSTATUS - 1;
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (status_codes[i] == status) {
            si = i;
            break;
        }
    atomic_fetch_add_explicit(&s->by_status[si], 1, memory_order_relaxed);
    double secs = (double)duration_ns / 1e9;
    size_t bi = NBOUNDS;
    for (size_t i = 0; i < NBOUNDS; i++)
        if (secs <= latency_bounds[i]) {
            bi = i;
            break;
        }
    atomic_fetch_add_explicit(&s->latency[bi], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->latency_sum_us, (unsigned long long)(duration_ns / 1000),
                              memory_order_relaxed);
}

static void route_label(tk_metrics *m, size_t slot, char *out, size_t size)
{
    if (slot < m->router->count)
        snprintf(out, size, "%s %s", m->router->routes[slot].method,
                 m->router->routes[slot].pattern);
    else
        snprintf(out, size, "unmatched");
}

void tk_metrics_render(tk_metrics *m, tk_buf *out)
{
    char label[256];
    tk_buf_puts(out, "# HELP tiaokuai_http_requests_total HTTP requests by route and status.\n"
                     "# TYPE tiaokuai_http_requests_total counter\n");
    for (size_t r = 0; r < m->nslots; r++) {
        route_label(m, r, label, sizeof label);
        for (size_t i = 0; i < NSTATUS; i++) {
            unsigned long long n = atomic_load(&m->slots[r].by_status[i]);
            if (!n)
                continue;
            if (status_codes[i])
                tk_buf_printf(out,
                              "tiaokuai_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                              label, status_codes[i], n);
            else
                tk_buf_printf(out,
                              "tiaokuai_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                              label, n);
        }
    }
    tk_buf_puts(out, "# HELP tiaokuai_http_request_duration_seconds Request latency by route.\n"
                     "# TYPE tiaokuai_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < m->nslots; r++) {
        route_slot *s = &m->slots[r];
        unsigned long long total = 0;
        for (size_t i = 0; i <= NBOUNDS; i++)
            total += atomic_load(&s->latency[i]);
        if (!total)
            continue;
        route_label(m, r, label, sizeof label);
        unsigned long long cumulative = 0;
        for (size_t i = 0; i < NBOUNDS; i++) {
            cumulative += atomic_load(&s->latency[i]);
            tk_buf_printf(out,
                          "tiaokuai_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                          "%llu\n",
                          label, latency_bounds[i], cumulative);
        }
        tk_buf_printf(
            out,
            "tiaokuai_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
            "tiaokuai_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
            "tiaokuai_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
            label, total, label, (double)atomic_load(&s->latency_sum_us) / 1e6, label, total);
    }
}
