/*
 * internal.h - what the store's own files share: the db and connection structs.
 * Nothing outside src/store includes this.
 */
#ifndef TK_STORE_INTERNAL_H
#define TK_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/db.h"

struct tk_stmt {
    sqlite3_stmt *st;
    tk_conn *conn;
    char *sql;
    uint64_t hash;
};

struct commit_hook {
    tk_commit_hook fn;
    void *arg;
    struct commit_hook *next;
};

typedef struct {
    tk_write_fn fn;
    void *arg;
} before_commit_work;

struct tk_conn {
    sqlite3 *handle;
    tk_stmt **cache; /* open addressing on hash */
    size_t cache_cap;
    size_t cache_len;
    tk_write_job *current_job;           /* the writer's job being run, for after-commit hooks */
    before_commit_work before_commit[4]; /* the batch's once-per-transaction work */
    int nbefore_commit;
    bool in_before_commit; /* running it: what asks now is for the next batch */
    tk_db *db;             /* the writer's database, for its queue; NULL on readers */
    struct tk_conn *next_reader;
};

struct tk_db {
    char *path;
    uint64_t generation; /* distinguishes this db from an earlier one at the same address */
    tk_conn *writer_conn;
    pthread_t writer;
    bool writer_started;

    pthread_mutex_t lock; /* queue, readers list */
    pthread_cond_t wake;
    tk_write_job *queue_head, *queue_tail;
    int64_t queue_len;
    int64_t queue_max;
    int64_t batch_max;
    bool closing;
    tk_conn *readers;

    atomic_ullong batches, jobs, failed_jobs;
    atomic_ullong batch_hist[TK_DB_BATCH_BUCKETS];
};

tk_status tk_conn_open(const char *path, bool writer, tk_conn **out, tk_error *err);
void tk_conn_close(tk_conn *c);
tk_status tk_sqlite_error(tk_conn *c, int rc, tk_error *err);

void *tk_writer_main(void *arg);

#endif
