#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"

struct tk_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    tk_pool_job *head, *tail;
    int queued, queue_max;
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    tk_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        tk_pool_job *job = p->head;
        if (!job) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->lock);
        tk_error err;
        tk_error_clear(&err);
        tk_status st = job->run(job->arg, &err);
        job->done(job->arg, st, st == TK_OK ? NULL : &err);
    }
}

tk_pool *tk_pool_new(int threads, int queue_max)
{
    tk_pool *p = tk_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->queue_max = queue_max > 0 ? queue_max : 256;
    p->nthreads = threads > 0 ? threads : 1;
    p->threads = tk_xcalloc((size_t)p->nthreads, sizeof *p->threads);
    for (int i = 0; i < p->nthreads; i++)
        pthread_create(&p->threads[i], NULL, worker, p);
    return p;
}

void tk_pool_free(tk_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

tk_status tk_pool_submit(tk_pool *p, tk_pool_job *job, tk_error *err)
{
    job->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->queued >= p->queue_max) {
        pthread_mutex_unlock(&p->lock);
        return tk_fail(err, TK_EUNAVAIL, "busy", "服务繁忙，请稍后重试");
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return TK_OK;
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool finished;
    tk_status st;
    tk_error err;
    tk_status (*run)(void *, tk_error *);
    void *arg;
} sync_job;

static tk_status sync_run(void *arg, tk_error *err)
{
    sync_job *s = arg;
    return s->run(s->arg, err);
}

static void sync_done(void *arg, tk_status st, const tk_error *err)
{
    sync_job *s = arg;
    pthread_mutex_lock(&s->lock);
    s->st = st;
    if (err)
        s->err = *err;
    s->finished = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

tk_status tk_pool_run(tk_pool *p, tk_status (*run)(void *, tk_error *), void *arg, tk_error *err)
{
    sync_job s = {.run = run, .arg = arg};
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    tk_pool_job job = {.run = sync_run, .done = sync_done, .arg = &s};
    tk_status st = tk_pool_submit(p, &job, err);
    if (st == TK_OK) {
        pthread_mutex_lock(&s.lock);
        while (!s.finished)
            pthread_cond_wait(&s.cond, &s.lock);
        pthread_mutex_unlock(&s.lock);
        st = s.st;
        if (st != TK_OK && err)
            *err = s.err;
    }
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    return st;
}
