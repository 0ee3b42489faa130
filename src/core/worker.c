#include "core/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/mem.h"

struct tk_worker {
    tk_worker_pass pass;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    atomic_bool stopping;
    uint64_t requested, completed;
};

/* How long to sleep before the next pass when nothing pokes the thread. */
static int64_t wait_ms(int64_t next)
{
    if (tk_clock_is_manual())
        return 60000; /* the clock's listener wakes us */
    if (!next)
        return 1000;
    int64_t until = next - tk_now_ms();
    return until > 1000 ? 1000 : until > 0 ? until : 0;
}

static void *worker_main(void *arg)
{
    tk_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        uint64_t request = w->requested;
        pthread_mutex_unlock(&w->lock);
        int64_t next = w->pass(w->ctx, w);
        pthread_mutex_lock(&w->lock);
        w->completed = request;
        pthread_cond_broadcast(&w->done);
        if (w->stopping || w->requested != request)
            continue;
        int64_t ms = wait_ms(next);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&w->wake, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

void tk_worker_poke(void *worker)
{
    tk_worker *w = worker;
    pthread_mutex_lock(&w->lock);
    w->requested++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

tk_worker *tk_worker_start(tk_worker_pass pass, void *ctx)
{
    tk_worker *w = tk_xcalloc(1, sizeof *w);
    w->pass = pass;
    w->ctx = ctx;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    tk_clock_add_listener(tk_worker_poke, w);
    pthread_create(&w->thread, NULL, worker_main, w);
    return w;
}

bool tk_worker_stopping(tk_worker *w)
{
    return w->stopping;
}

void tk_worker_stop(tk_worker *w)
{
    if (!w)
        return;
    tk_clock_remove_listener(tk_worker_poke, w);
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void tk_worker_sync(tk_worker *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t mine = ++w->requested;
    pthread_cond_signal(&w->wake);
    while (w->completed < mine && !w->stopping)
        pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
}
