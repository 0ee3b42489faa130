/*
 * pool.h - a small bounded pool of worker threads for CPU-heavy work that must
 * not run on HTTP threads (argon2id password hashing).
 *
 * Jobs are owned by the submitter until `done` has been called (on the worker).
 */
#ifndef TK_POOL_H
#define TK_POOL_H

#include <stdbool.h>

#include "core/status.h"

typedef struct tk_pool tk_pool;

typedef struct tk_pool_job {
    tk_status (*run)(void *arg, tk_error *err);
    void (*done)(void *arg, tk_status st, const tk_error *err);
    void *arg;
    /* private */
    struct tk_pool_job *next;
} tk_pool_job;

tk_pool *tk_pool_new(int threads, int queue_max);
/* Runs what is queued, then joins the threads. */
void tk_pool_free(tk_pool *p);
/* TK_EUNAVAIL when the queue is full or the pool is stopping. */
tk_status tk_pool_submit(tk_pool *p, tk_pool_job *job, tk_error *err);
/* Submits and waits (for command-line use). */
tk_status tk_pool_run(tk_pool *p, tk_status (*run)(void *, tk_error *), void *arg, tk_error *err);

#endif
