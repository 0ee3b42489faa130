/*
 * writer.c - the single writer thread and group commit.
 *
 * Jobs queue under db->lock. The writer takes up to batch_max of them and runs
 * them in one transaction, each inside its own savepoint. One fsync (COMMIT with
 * synchronous=FULL) then makes the whole batch durable, and only after that does
 * any submitter hear "done". If SQLite abandons the transaction (an I/O error
 * mid-batch), the jobs that had succeeded are run again in a fresh transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/internal.h"

tk_status tk_db_submit(tk_db *db, tk_write_job *job, tk_error *err)
{
    job->next = NULL;
    job->hooks = NULL;
    job->status = TK_OK;
    tk_error_clear(&job->err);
    pthread_mutex_lock(&db->lock);
    if (db->closing) {
        pthread_mutex_unlock(&db->lock);
        return tk_fail(err, TK_EUNAVAIL, "shutting_down", "服务正在停止，请稍后重试");
    }
    if (db->queue_len >= db->queue_max) {
        pthread_mutex_unlock(&db->lock);
        return tk_fail(err, TK_EUNAVAIL, "write_queue_full", "写入队列已满，请稍后重试");
    }
    if (db->queue_tail)
        db->queue_tail->next = job;
    else
        db->queue_head = job;
    db->queue_tail = job;
    db->queue_len++;
    pthread_cond_signal(&db->wake);
    pthread_mutex_unlock(&db->lock);
    return TK_OK;
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool finished;
    tk_status status;
    tk_error err;
    tk_write_fn run;
    void *arg;
} sync_job;

static tk_status sync_run(tk_conn *c, void *arg, tk_error *err)
{
    sync_job *s = arg;
    return s->run(c, s->arg, err);
}

static void sync_done(void *arg, tk_status st, const tk_error *err)
{
    sync_job *s = arg;
    pthread_mutex_lock(&s->lock);
    s->status = st;
    if (err)
        s->err = *err;
    s->finished = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

tk_status tk_db_write(tk_db *db, tk_write_fn run, void *arg, tk_error *err)
{
    sync_job s = {.run = run, .arg = arg};
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    tk_write_job job = {.run = sync_run, .done = sync_done, .arg = &s};
    tk_status st = tk_db_submit(db, &job, err);
    if (st == TK_OK) {
        pthread_mutex_lock(&s.lock);
        while (!s.finished)
            pthread_cond_wait(&s.cond, &s.lock);
        pthread_mutex_unlock(&s.lock);
        st = s.status;
        if (st != TK_OK && err)
            *err = s.err;
    }
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    return st;
}

void tk_conn_after_commit(tk_conn *c, tk_commit_hook fn, void *arg)
{
    tk_write_job *job = c->current_job;
    if (!job) {
        /* Outside the writer (a test calling a domain function directly): the
         * caller owns the transaction, so the hook runs now. */
        fn(arg);
        return;
    }
    struct commit_hook *h = tk_xmalloc(sizeof *h);
    h->fn = fn;
    h->arg = arg;
    h->next = job->hooks;
    job->hooks = h;
}

static bool in_transaction(tk_conn *c)
{
    return !sqlite3_get_autocommit(c->handle);
}

/* Runs one of the writer's transaction statements, prepared once: parsing
 * "SAVEPOINT job" anew for every job of every batch costs more than running it. */
static tk_status control(tk_conn *c, const char *sql, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, sql, err);
    if (!s)
        return TK_EIO;
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

/* Adds work to the batch's list, once. */
static void add_work(tk_conn *c, before_commit_work w)
{
    for (int i = 0; i < c->nbefore_commit; i++)
        if (c->before_commit[i].fn == w.fn && c->before_commit[i].arg == w.arg)
            return;
    if (c->nbefore_commit == (int)(sizeof c->before_commit / sizeof c->before_commit[0])) {
        tk_warn("before-commit work dropped", "reason=\"more than %zu kinds\"",
                sizeof c->before_commit / sizeof c->before_commit[0]);
        return;
    }
    c->before_commit[c->nbefore_commit++] = w;
}

void tk_conn_before_commit(tk_conn *c, tk_write_fn fn, void *arg)
{
    if (!c->current_job && !c->in_before_commit) {
        tk_error err;
        if (fn(c, arg, &err) != TK_OK)
            tk_warn("before-commit work failed", "code=%s", err.code);
        return;
    }
    add_work(c, (before_commit_work){fn, arg});
}

bool tk_conn_writer_busy(tk_conn *c)
{
    if (!c->db)
        return false;
    pthread_mutex_lock(&c->db->lock);
    bool busy = c->db->queue_head != NULL;
    pthread_mutex_unlock(&c->db->lock);
    return busy;
}

/* Runs the batch's before-commit work, each in a savepoint; what asks for itself
 * again meanwhile stays for the next batch. Returns false if the transaction was
 * lost (the work then stays asked for, for the retry). */
static bool run_before_commit(tk_conn *c)
{
    before_commit_work work[sizeof c->before_commit / sizeof c->before_commit[0]];
    int n = c->nbefore_commit;
    memcpy(work, c->before_commit, (size_t)n * sizeof work[0]);
    c->nbefore_commit = 0;
    c->in_before_commit = true;
    bool lost = false;
    for (int i = 0; i < n && !lost; i++) {
        tk_error err;
        tk_status st = control(c, "SAVEPOINT before_commit", &err);
        if (st == TK_OK)
            st = work[i].fn(c, work[i].arg, &err);
        lost = !in_transaction(c);
        if (lost)
            break;
        tk_error ignored;
        if (st != TK_OK) {
            tk_warn("before-commit work failed", "code=%s", err.code);
            control(c, "ROLLBACK TO before_commit", &ignored);
        }
        control(c, "RELEASE before_commit", &ignored);
    }
    c->in_before_commit = false;
    if (lost)
        for (int i = 0; i < n; i++)
            add_work(c, work[i]);
    return !lost && in_transaction(c);
}

static void drop_hooks(tk_write_job *job, bool run)
{
    /* Hooks were pushed in front; run them in registration order. */
    struct commit_hook *rev = NULL;
    for (struct commit_hook *h = job->hooks, *next; h; h = next) {
        next = h->next;
        h->next = rev;
        rev = h;
    }
    for (struct commit_hook *h = rev, *next; h; h = next) {
        next = h->next;
        if (run)
            h->fn(h->arg);
        free(h);
    }
    job->hooks = NULL;
}

/* Runs one job in a savepoint. Returns false if the enclosing transaction was lost. */
static bool run_job(tk_conn *c, tk_write_job *job)
{
    tk_error_clear(&job->err);
    c->current_job = job;
    tk_status st = control(c, "SAVEPOINT job", &job->err);
    if (st == TK_OK)
        st = job->run(c, job->arg, &job->err);
    c->current_job = NULL;
    if (!in_transaction(c)) {
        job->status = st == TK_OK ? TK_EIO : st;
        return false;
    }
    if (st == TK_OK) {
        st = control(c, "RELEASE job", &job->err);
    } else {
        tk_error ignored;
        control(c, "ROLLBACK TO job", &ignored);
        control(c, "RELEASE job", &ignored);
        drop_hooks(job, false);
    }
    if (st != TK_OK && job->err.status == TK_OK)
        tk_fail(&job->err, st, "job_failed", "写入失败");
    job->status = st;
    return in_transaction(c);
}

static void fail_all(tk_write_job **jobs, int n, tk_status st, const tk_error *err)
{
    for (int i = 0; i < n; i++) {
        if (jobs[i]->status != TK_OK)
            continue;
        jobs[i]->status = st;
        jobs[i]->err = *err;
        drop_hooks(jobs[i], false);
    }
}

static void run_batch(tk_db *db, tk_write_job **jobs, int n)
{
    tk_conn *c = db->writer_conn;
    for (int i = 0; i < n; i++)
        jobs[i]->status = TK_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        tk_error err;
        if (control(c, "BEGIN IMMEDIATE", &err) != TK_OK) {
            fail_all(jobs, n, err.status, &err);
            return;
        }
        bool lost = false;
        for (int i = 0; i < n && !lost; i++) {
            if (jobs[i]->status != TK_OK && attempt > 0)
                continue; /* failed on an earlier attempt: stays failed */
            lost = !run_job(c, jobs[i]);
        }
        if (!lost)
            lost = !run_before_commit(c);
        if (lost) {
            /* Everything that had succeeded was rolled back with the transaction:
             * discard their hooks and run them again. */
            for (int i = 0; i < n; i++)
                if (jobs[i]->status == TK_OK)
                    drop_hooks(jobs[i], false);
            tk_warn("write batch lost its transaction", "jobs=%d attempt=%d", n, attempt);
            continue;
        }
        if (control(c, "COMMIT", &err) != TK_OK) {
            tk_error ignored;
            control(c, "ROLLBACK", &ignored);
            fail_all(jobs, n, TK_EIO, &err);
            return;
        }
        return;
    }
    tk_error err;
    tk_fail(&err, TK_EIO, "write_failed", "写入失败，请重试");
    fail_all(jobs, n, TK_EIO, &err);
}

static void record_batch(tk_db *db, int n)
{
    atomic_fetch_add(&db->batches, 1);
    atomic_fetch_add(&db->jobs, (unsigned long long)n);
    int bucket = 0;
    while (bucket < TK_DB_BATCH_BUCKETS - 1 && (1 << bucket) < n)
        bucket++;
    atomic_fetch_add(&db->batch_hist[bucket], 1);
}

void *tk_writer_main(void *arg)
{
    tk_db *db = arg;
    tk_write_job **batch = tk_xmalloc((size_t)db->batch_max * sizeof *batch);
    for (;;) {
        pthread_mutex_lock(&db->lock);
        while (!db->queue_head && !db->closing)
            pthread_cond_wait(&db->wake, &db->lock);
        if (!db->queue_head && db->closing) {
            pthread_mutex_unlock(&db->lock);
            break;
        }
        int n = 0;
        while (db->queue_head && n < db->batch_max) {
            tk_write_job *job = db->queue_head;
            db->queue_head = job->next;
            batch[n++] = job;
        }
        if (!db->queue_head)
            db->queue_tail = NULL;
        db->queue_len -= n;
        pthread_mutex_unlock(&db->lock);

        run_batch(db, batch, n);
        record_batch(db, n);
        for (int i = 0; i < n; i++) {
            tk_write_job *job = batch[i];
            if (job->status == TK_OK)
                drop_hooks(job, true);
            else
                atomic_fetch_add(&db->failed_jobs, 1);
            /* done may free the job: read nothing of it afterwards. */
            job->done(job->arg, job->status, job->status == TK_OK ? NULL : &job->err);
        }
    }
    free(batch);
    return NULL;
}

void tk_db_stats_get(tk_db *db, tk_db_stats *out)
{
    memset(out, 0, sizeof *out);
    out->batches = atomic_load(&db->batches);
    out->jobs = atomic_load(&db->jobs);
    out->failed_jobs = atomic_load(&db->failed_jobs);
    pthread_mutex_lock(&db->lock);
    out->queue_depth = db->queue_len;
    pthread_mutex_unlock(&db->lock);
    for (int i = 0; i < TK_DB_BATCH_BUCKETS; i++)
        out->batch_hist[i] = atomic_load(&db->batch_hist[i]);
}
