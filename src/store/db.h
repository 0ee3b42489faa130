/*
 * db.h - the database interface. No sqlite3 (or libpq) type appears here.
 *
 * Reads: every thread gets its own read connection from tk_db_reader; statements
 * come from a per-connection cache (tk_prepare) and must be released with
 * tk_reset when the caller stops before the last row, so no snapshot is held.
 *
 * Writes: one writer thread owns the only write connection. Callers submit jobs;
 * the writer takes what is queued, runs the jobs inside one BEGIN IMMEDIATE ...
 * COMMIT (group commit) with a savepoint per job, so a failing job is rolled back
 * alone, then calls each job's `done` after the commit is durable. A job's `run`
 * must only touch the database (and register after-commit hooks): if the batch's
 * transaction is lost, the writer runs the surviving jobs again.
 *
 * Ownership: the db owns connections and statements; a job belongs to its
 * submitter until `done` has been called.
 */
#ifndef TK_DB_H
#define TK_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct tk_db tk_db;
typedef struct tk_conn tk_conn;
typedef struct tk_stmt tk_stmt;

typedef struct {
    int64_t write_queue; /* pending jobs before submit refuses (0 = 100000) */
    int64_t write_batch; /* jobs per transaction at most (0 = 1024) */
} tk_db_options;

/* url: "sqlite:PATH" or a bare PATH. Creates the file (and its folder) if missing. */
tk_status tk_db_open(const char *url, const tk_db_options *opt, tk_db **out, tk_error *err);
/* Runs every queued job, stops the writer, closes all connections. */
void tk_db_close(tk_db *db);
const char *tk_db_path(const tk_db *db);

/* Copies one consistent snapshot of the database into the new file dest (refused
 * when dest exists), while writers go on; the copy is checked and synced before it
 * appears at dest. Runs on the calling thread's read connection. */
tk_status tk_db_backup(tk_db *db, const char *dest, tk_error *err);

/* The calling thread's read connection (opened on first use). */
tk_conn *tk_db_reader(tk_db *db, tk_error *err);

/* Statements. Indexes of binds start at 1, of columns at 0. */
tk_stmt *tk_prepare(tk_conn *c, const char *sql, tk_error *err);
void tk_bind_i64(tk_stmt *s, int i, int64_t v);
void tk_bind_double(tk_stmt *s, int i, double v);
void tk_bind_text(tk_stmt *s, int i, const char *v); /* NULL binds NULL */
void tk_bind_textn(tk_stmt *s, int i, const char *v, size_t n);
void tk_bind_blob(tk_stmt *s, int i, const void *v, size_t n);
void tk_bind_null(tk_stmt *s, int i);
/* 1 = a row is ready, 0 = done, -1 = error (err filled: TK_ECONFLICT for a
 * constraint violation, TK_EIO otherwise). */
int tk_step(tk_stmt *s, tk_error *err);
int tk_col_count(tk_stmt *s);
const char *tk_col_name(tk_stmt *s, int i);
bool tk_col_null(tk_stmt *s, int i);
int64_t tk_col_i64(tk_stmt *s, int i);
double tk_col_double(tk_stmt *s, int i);
const char *tk_col_text(tk_stmt *s, int i); /* NULL for SQL NULL; valid until the next step */
size_t tk_col_bytes(tk_stmt *s, int i);
const void *tk_col_blob(tk_stmt *s, int i);
void tk_reset(tk_stmt *s);

/* Runs SQL without results (several statements allowed). */
tk_status tk_exec(tk_conn *c, const char *sql, tk_error *err);
int64_t tk_last_insert_id(tk_conn *c);
int64_t tk_changes(tk_conn *c);

/* Writes. */
typedef tk_status (*tk_write_fn)(tk_conn *c, void *arg, tk_error *err);
typedef void (*tk_write_done_fn)(void *arg, tk_status st, const tk_error *err);
typedef void (*tk_commit_hook)(void *arg);

typedef struct tk_write_job {
    tk_write_fn run;
    tk_write_done_fn done; /* called on the writer thread after commit or failure */
    void *arg;
    /* private to the writer */
    tk_status status;
    tk_error err;
    struct tk_write_job *next;
    struct commit_hook *hooks;
} tk_write_job;

/* Queues job; TK_EUNAVAIL when the queue is full or the db is closing. */
tk_status tk_db_submit(tk_db *db, tk_write_job *job, tk_error *err);
/* Submits and waits. Not for HTTP worker threads (they suspend instead). */
tk_status tk_db_write(tk_db *db, tk_write_fn run, void *arg, tk_error *err);
/* From inside a job's run: call fn(arg) after the commit, if the job commits. */
void tk_conn_after_commit(tk_conn *c, tk_commit_hook fn, void *arg);
/* From inside a job's run: call fn(c, arg) once in this transaction, after every
 * job of the batch and before the commit (asked twice with the same fn and arg,
 * it runs once). For work cheaper once per batch than once per job, which may lag
 * the jobs that asked for it: it runs in its own savepoint, and if it fails the
 * failure is logged and the batch commits without it, so it must catch up with
 * what an earlier run missed. Asked from inside fn itself, it runs again with the
 * next batch (the writer_busy case below). Outside the writer it runs at once. */
void tk_conn_before_commit(tk_conn *c, tk_write_fn fn, void *arg);
/* On the writer: whether more jobs are waiting behind this batch (work that can
 * lag may then wait for a later batch). False elsewhere. */
bool tk_conn_writer_busy(tk_conn *c);

#define TK_DB_BATCH_BUCKETS 12 /* batch sizes 1, 2, 4, ... 1024, more */

typedef struct {
    uint64_t batches;
    uint64_t jobs;
    uint64_t failed_jobs;
    int64_t queue_depth;
    uint64_t batch_hist[TK_DB_BATCH_BUCKETS]; /* count of batches with size <= 2^i */
} tk_db_stats;

void tk_db_stats_get(tk_db *db, tk_db_stats *out);

#endif
