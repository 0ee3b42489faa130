#include "api/timer.h"

#include <stdlib.h>

#include "api/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/worker.h"
#include "gov/events.h"

#define BATCH 200

struct tk_timer {
    tk_app *app;
    tk_worker *worker;
};

typedef struct {
    tk_app *app;
    int64_t now;
    int processed;
} due_job;

static tk_status process_due(tk_conn *c, void *arg, tk_error *err)
{
    due_job *j = arg;
    tk_arena *a = tk_arena_new(65536);
    const tk_calendar *cal = tk_app_calendar_acquire(j->app);
    tk_status st = tk_events_process_due(c, a, cal, j->now, BATCH, &j->processed, err);
    tk_app_calendar_release(j->app);
    tk_arena_free(a);
    return st;
}

/* Processes everything due now; returns the next alert instant (0 = none). */
static int64_t timer_pass(void *ctx, tk_worker *w)
{
    (void)w;
    tk_timer *t = ctx;
    tk_error err;
    for (;;) {
        tk_conn *c = tk_db_reader(t->app->db, &err);
        int64_t next = 0;
        if (!c || tk_events_next_alert(c, &next, &err) != TK_OK) {
            tk_warn("timer read failed", "err=\"%s\"", err.detail);
            return 0;
        }
        int64_t now = tk_now_ms();
        if (!next || next > now)
            return next;
        due_job j = {t->app, now, 0};
        if (tk_db_write(t->app->db, process_due, &j, &err) != TK_OK) {
            tk_warn("timer write failed", "err=\"%s\"", err.detail);
            return now + 1000;
        }
        if (j.processed)
            tk_debug("alerts processed", "count=%d", j.processed);
        if (j.processed < BATCH && j.processed == 0)
            return next; /* nothing could be done now: avoid a busy loop */
    }
}

tk_timer *tk_timer_start(tk_app *app)
{
    tk_timer *t = tk_xcalloc(1, sizeof *t);
    t->app = app;
    t->worker = tk_worker_start(timer_pass, t);
    return t;
}

void tk_timer_stop(tk_timer *t)
{
    if (!t)
        return;
    tk_worker_stop(t->worker);
    free(t);
}

void tk_timer_sync(tk_timer *t)
{
    tk_worker_sync(t->worker);
}
