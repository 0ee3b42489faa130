#include "api/timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "api/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "gov/events.h"

#define BATCH 200

struct tk_timer {
    tk_app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    bool stopping;
    uint64_t requested, completed;
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
static int64_t run_pass(tk_timer *t)
{
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

static void *timer_main(void *arg)
{
    tk_timer *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        uint64_t request = t->requested;
        pthread_mutex_unlock(&t->lock);
        int64_t next = run_pass(t);
        pthread_mutex_lock(&t->lock);
        t->completed = request;
        pthread_cond_broadcast(&t->done);
        if (t->stopping || t->requested != request)
            continue;
        /* Sleep until the next alert (real time), a poke, or at most a second. */
        int64_t wait_ms = 1000;
        if (!tk_clock_is_manual() && next) {
            int64_t until = next - tk_now_ms();
            if (until < wait_ms)
                wait_ms = until > 0 ? until : 0;
        }
        if (tk_clock_is_manual())
            wait_ms = 60000; /* the clock's listener wakes us */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void poke(void *arg)
{
    tk_timer *t = arg;
    pthread_mutex_lock(&t->lock);
    t->requested++;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

tk_timer *tk_timer_start(tk_app *app)
{
    tk_timer *t = tk_xcalloc(1, sizeof *t);
    t->app = app;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    pthread_cond_init(&t->done, NULL);
    tk_clock_add_listener(poke, t);
    pthread_create(&t->thread, NULL, timer_main, t);
    return t;
}

void tk_timer_stop(tk_timer *t)
{
    if (!t)
        return;
    tk_clock_remove_listener(poke, t);
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_cond_destroy(&t->done);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

void tk_timer_sync(tk_timer *t)
{
    pthread_mutex_lock(&t->lock);
    uint64_t mine = ++t->requested;
    pthread_cond_signal(&t->wake);
    while (t->completed < mine && !t->stopping)
        pthread_cond_wait(&t->done, &t->lock);
    pthread_mutex_unlock(&t->lock);
}
