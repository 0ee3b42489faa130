/*
 * test_store.c - the SQLite store: opening, migrations, the writer thread's group
 * commit (batching, per-job failure isolation, after-commit hooks), per-thread
 * readers, draining on close, and the online backup.
 *
 * Nothing here sleeps: a "gate" job holds the writer inside its transaction until
 * the test has queued what it wants behind it, so batch boundaries are exact.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/db.h"
#include "store/internal.h" /* only to see that close has begun: close_drains_queued_jobs */
#include "store/migrate.h"

static char dir[64];
static char path[128];
static tk_db *db;

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static tk_db *open_at(const char *url, const tk_db_options *opt)
{
    tk_db *d = NULL;
    tk_error err;
    tk_error_clear(&err);
    tk_status st = tk_db_open(url, opt, &d, &err);
    cr_assert_eq(st, TK_OK, "open %s: %s", url, err.detail);
    cr_assert_not_null(d);
    return d;
}

static tk_status exec_job(tk_conn *c, void *arg, tk_error *err)
{
    return tk_exec(c, arg, err);
}

static void create_table(tk_db *d)
{
    tk_error err;
    tk_status st = tk_db_write(
        d, exec_job, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)", &err);
    cr_assert_eq(st, TK_OK, "%s", err.detail);
}

static void setup(void)
{
    tk_log_set_level(TK_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/tk-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/test.db", dir);
    db = NULL;
}

static void teardown(void)
{
    tk_db_close(db);
    db = NULL;
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

/* Rows in t, or rows with v = value; -1 on error (safe to call from any thread). */
static int64_t count_rows(tk_db *d, const char *value)
{
    tk_conn *c = tk_db_reader(d, NULL);
    if (!c)
        return -1;
    tk_stmt *s = tk_prepare(
        c, value ? "SELECT count(*) FROM t WHERE v = ?1" : "SELECT count(*) FROM t", NULL);
    if (!s)
        return -1;
    if (value)
        tk_bind_text(s, 1, value);
    int64_t n = tk_step(s, NULL) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    return n;
}

/* ---- async jobs with a gate ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool started, released;
    int done; /* done callbacks heard */
} gate;

static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 0};

typedef struct {
    tk_write_job job;
    int index;
    bool blocks;       /* wait for the gate before writing */
    bool fail;         /* insert, then fail */
    bool fail_bare;    /* fail without filling err */
    bool before;       /* ask for the before-commit work */
    const char *value; /* row to insert (default "row-<index>") */
    char own_value[32];
    /* filled on the writer thread; read after waiting on the gate */
    int hooks_ran;
    int hook_order[4];
    bool done_called;
    int done_calls;
    int hooks_at_done;
    tk_status status;
    bool err_null;
    char code[48];
} test_job;

static void hook_first(void *arg)
{
    test_job *j = arg;
    if (j->hooks_ran < 4)
        j->hook_order[j->hooks_ran] = 1;
    j->hooks_ran++;
}

static void hook_second(void *arg)
{
    test_job *j = arg;
    if (j->hooks_ran < 4)
        j->hook_order[j->hooks_ran] = 2;
    j->hooks_ran++;
}

/* Before-commit work: records how many rows of t the batch holds by then, and
 * whether jobs were waiting, in table b; or inserts and then fails. */
typedef struct {
    int calls;
    bool fail;
    int again; /* times to ask for itself again, for the next batch */
} before_log;

static before_log before_state;

static tk_status before_work(tk_conn *c, void *arg, tk_error *err)
{
    before_log *st = arg;
    st->calls++;
    tk_stmt *s = tk_prepare(c, "INSERT INTO b(rows, busy) SELECT count(*), ?1 FROM t", err);
    if (!s)
        return err->status;
    tk_bind_i64(s, 1, tk_conn_writer_busy(c));
    if (tk_step(s, err) < 0)
        return err->status;
    if (st->again > 0) {
        st->again--;
        tk_conn_before_commit(c, before_work, arg);
    }
    return st->fail ? tk_fail(err, TK_EVALID, "test_fail", "before-commit work fails") : TK_OK;
}

static tk_status test_run(tk_conn *c, void *arg, tk_error *err)
{
    test_job *j = arg;
    if (j->blocks) {
        pthread_mutex_lock(&g.lock);
        g.started = true;
        pthread_cond_broadcast(&g.cond);
        while (!g.released)
            pthread_cond_wait(&g.cond, &g.lock);
        pthread_mutex_unlock(&g.lock);
    }
    tk_stmt *s = tk_prepare(c, "INSERT INTO t(v) VALUES (?1)", err);
    if (!s)
        return err->status;
    tk_bind_text(s, 1, j->value ? j->value : j->own_value);
    if (tk_step(s, err) < 0)
        return err->status;
    tk_conn_after_commit(c, hook_first, j);
    tk_conn_after_commit(c, hook_second, j);
    if (j->before)
        tk_conn_before_commit(c, before_work, &before_state);
    if (j->fail_bare)
        return TK_EINTERNAL;
    if (j->fail)
        return tk_fail(err, TK_EVALID, "test_fail", "job %d fails on purpose", j->index);
    return TK_OK;
}

static void test_done(void *arg, tk_status st, const tk_error *err)
{
    test_job *j = arg;
    j->done_called = true;
    j->done_calls++;
    j->hooks_at_done = j->hooks_ran;
    j->status = st;
    j->err_null = err == NULL;
    snprintf(j->code, sizeof j->code, "%s", err ? err->code : "");
    pthread_mutex_lock(&g.lock);
    g.done++;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
}

static void job_init(test_job *j, int index)
{
    memset(j, 0, sizeof *j);
    j->index = index;
    snprintf(j->own_value, sizeof j->own_value, "row-%d", index);
    j->job.run = test_run;
    j->job.done = test_done;
    j->job.arg = j;
}

static void submit(tk_db *d, test_job *j)
{
    tk_error err;
    tk_status st = tk_db_submit(d, &j->job, &err);
    cr_assert_eq(st, TK_OK, "submit job %d: %s", j->index, err.detail);
}

static void gate_reset(void)
{
    pthread_mutex_lock(&g.lock);
    g.started = false;
    g.released = false;
    g.done = 0;
    pthread_mutex_unlock(&g.lock);
}

static void wait_started(void)
{
    pthread_mutex_lock(&g.lock);
    while (!g.started)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
}

static void release_gate(void)
{
    pthread_mutex_lock(&g.lock);
    g.released = true;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
}

static void wait_done(int n)
{
    pthread_mutex_lock(&g.lock);
    while (g.done < n)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
}

/* Submits a blocking job and waits until the writer is inside it. */
static void start_blocker(tk_db *d, test_job *blocker)
{
    gate_reset();
    job_init(blocker, 1000);
    blocker->blocks = true;
    submit(d, blocker);
    wait_started();
}

/* ---- opening ---- */

Test(store, open_creates_file_and_folders)
{
    char url[200];
    snprintf(url, sizeof url, "sqlite:%s/a/b/c.db", dir);
    db = open_at(url, NULL);
    cr_assert_str_eq(tk_db_path(db), url + 7, "the sqlite: prefix is not part of the path");
    create_table(db);
    cr_assert_eq(count_rows(db, NULL), 0);
    FILE *f = fopen(url + 7, "r");
    cr_assert_not_null(f, "database file not created");
    fclose(f);
}

Test(store, open_refuses_other_urls)
{
    tk_db *d = NULL;
    tk_error err;
    cr_assert_eq(tk_db_open("postgres://localhost/x", NULL, &d, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "db_url");
    cr_assert_null(d);
    cr_assert_eq(tk_db_open("sqlite:", NULL, &d, &err), TK_EINVAL);
    cr_assert_eq(tk_db_open("", NULL, &d, &err), TK_EINVAL);
    cr_assert_null(d);
}

/* ---- migrations ---- */

Test(store, migrate_applies_all_then_nothing)
{
    cr_assert_gt(tk_migrations_count, 0);
    tk_clock_use_manual(1770969600000LL);
    db = open_at(path, NULL);
    tk_error err;
    int version = -1;
    cr_assert_eq(tk_db_schema_version(db, &version, &err), TK_OK);
    cr_assert_eq(version, 0, "fresh database");

    int applied = -1;
    cr_assert_eq(tk_db_migrate(db, &applied, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(applied, tk_migrations_count);
    cr_assert_eq(tk_db_schema_version(db, &version, &err), TK_OK);
    cr_assert_eq(version, tk_migrations_count);

    /* Recorded in order, with the (manual) time. */
    tk_conn *c = tk_db_reader(db, &err);
    cr_assert_not_null(c);
    tk_stmt *s = tk_prepare(c,
                            "SELECT version, name, applied_at FROM schema_migrations "
                            "ORDER BY version",
                            &err);
    cr_assert_not_null(s, "%s", err.detail);
    for (int i = 0; i < tk_migrations_count; i++) {
        cr_assert_eq(tk_step(s, &err), 1);
        cr_assert_eq(tk_col_i64(s, 0), i + 1);
        cr_assert_str_eq(tk_col_text(s, 1), tk_migrations[i].name);
        cr_assert_eq(tk_col_i64(s, 2), 1770969600000LL);
    }
    cr_assert_eq(tk_step(s, &err), 0);

    applied = -1;
    cr_assert_eq(tk_db_migrate(db, &applied, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(applied, 0, "second run applied %d", applied);
    cr_assert_eq(tk_db_schema_version(db, &version, &err), TK_OK);
    cr_assert_eq(version, tk_migrations_count);
    tk_clock_use_system();
}

Test(store, migrate_after_reopen_applies_nothing)
{
    tk_error err;
    db = open_at(path, NULL);
    cr_assert_eq(tk_db_migrate(db, NULL, &err), TK_OK, "%s", err.detail);
    tk_db_close(db);
    db = open_at(path, NULL);
    int applied = -1, version = -1;
    cr_assert_eq(tk_db_migrate(db, &applied, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(applied, 0);
    cr_assert_eq(tk_db_schema_version(db, &version, &err), TK_OK);
    cr_assert_eq(version, tk_migrations_count);
}

static tk_status record_future_migration(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (?1, 'from_the_future', 0)",
                            err);
    if (!s)
        return err->status;
    tk_bind_i64(s, 1, tk_migrations_count + 1);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

Test(store, migrate_refuses_a_newer_schema)
{
    tk_error err;
    db = open_at(path, NULL);
    cr_assert_eq(tk_db_migrate(db, NULL, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(tk_db_write(db, record_future_migration, NULL, &err), TK_OK, "%s", err.detail);
    int applied = -1;
    cr_assert_eq(tk_db_migrate(db, &applied, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "schema_too_new");
    cr_assert_eq(applied, 0);
}

/* An event row with the given state, source, urgency and alert (the rest fixed),
 * on a grid unit that the job adds the first time. */
static tk_status insert_event(tk_conn *c, void *arg, tk_error *err)
{
    const char **v = arg;
    if (tk_exec(c,
                "INSERT OR IGNORE INTO units(id, code, name, kind, path, depth, created_at, "
                "updated_at) VALUES (1, 'g', '网格', 'grid', '/1/', 0, 0, 0)",
                err) != TK_OK)
        return err->status;
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO events(number, state, source, category_code, urgency, "
                            "title, description, grid_id, village_id, township_id, county_id, "
                            "scope_path, county_code, alert, created_at, updated_at) VALUES "
                            "(?1, ?2, ?3, '0101', ?4, 't', 'd', 1, 1, 1, 1, '/1/', '', ?5, 0, 0)",
                            err);
    if (!s)
        return err->status;
    for (int i = 0; i < 5; i++)
        tk_bind_text(s, i + 1, v[i]);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status insert_audit_outcome(tk_conn *c, void *arg, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO audit_log(at, actor, role, unit_path, ip, action, "
                            "target_type, target_id, outcome, detail, prev_hash, hash) VALUES "
                            "(0, 'a', 'admin', '/', '', 'x', 'x', '1', ?1, '{}', x'00', x'00')",
                            err);
    if (!s)
        return err->status;
    tk_bind_text(s, 1, arg);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

/* Migration 0009 rewrote the value checks of events and audit_log without IN
 * lists: none is left, the file is sound, every listed value is still accepted
 * and anything else still refused. */
Test(store, value_checks_accept_their_values_and_refuse_others)
{
    tk_error err;
    db = open_at(path, NULL);
    cr_assert_eq(tk_db_migrate(db, NULL, &err), TK_OK, "%s", err.detail);
    tk_conn *c = tk_db_reader(db, &err);
    tk_stmt *s = tk_prepare(c,
                            "SELECT count(*) FROM sqlite_schema WHERE name IN ('events', "
                            "'audit_log') AND sql NOT LIKE '% IN (%'",
                            &err);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_eq(tk_col_i64(s, 0), 2, "an IN list is left in events or audit_log");
    tk_reset(s);
    s = tk_prepare(c, "PRAGMA integrity_check", &err);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_str_eq(tk_col_text(s, 0), "ok");
    tk_reset(s);

    static const char *states[] = {"reported",      "verifying", "accepted",  "dispatched",
                                   "county_called", "handling",  "suspended", "feedback",
                                   "closed",        "archived",  "rejected",  "void"};
    static const char *sources[] = {"grid_patrol", "resident",     "hotline",
                                    "department",  "higher_level", "sensor"};
    static const char *urgencies[] = {"normal", "urgent", "critical"};
    static const char *alerts[] = {"green", "yellow", "red"};
    char number[32];
    for (int i = 0; i < 12; i++) {
        snprintf(number, sizeof number, "n%d", i);
        const char *row[] = {number, states[i], sources[i % 6], urgencies[i % 3], alerts[i % 3]};
        cr_assert_eq(tk_db_write(db, insert_event, row, &err), TK_OK, "%s: %s", states[i],
                     err.detail);
    }
    const char *bad[][5] = {{"b1", "open", "hotline", "normal", "green"},
                            {"b2", "closed", "email", "normal", "green"},
                            {"b3", "closed", "hotline", "low", "green"},
                            {"b4", "closed", "hotline", "normal", "blue"},
                            {"b5", "Closed", "hotline", "normal", "green"}};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(tk_db_write(db, insert_event, (void *)bad[i], &err), TK_ECONFLICT,
                     "row %s accepted", bad[i][0]);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(tk_db_write(db, insert_audit_outcome,
                                 (void *)(const char *[]){"ok", "denied", "failed"}[i], &err),
                     TK_OK, "%s", err.detail);
    cr_assert_eq(tk_db_write(db, insert_audit_outcome, "maybe", &err), TK_ECONFLICT);
}

/* ---- synchronous writes ---- */

static tk_status insert_value(tk_conn *c, void *arg, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "INSERT INTO t(v) VALUES (?1)", err);
    if (!s)
        return err->status;
    tk_bind_text(s, 1, arg);
    if (tk_step(s, err) < 0)
        return err->status;
    return tk_changes(c) == 1 && tk_last_insert_id(c) > 0 ? TK_OK
                                                          : tk_fail(err, TK_EINTERNAL, "x", "x");
}

Test(store, write_runs_the_job)
{
    tk_error err;
    db = open_at(path, NULL);
    create_table(db);
    cr_assert_eq(tk_db_write(db, insert_value, "hello", &err), TK_OK, "%s", err.detail);
    cr_assert_eq(count_rows(db, "hello"), 1);
    cr_assert_eq(count_rows(db, NULL), 1);
    tk_db_stats st;
    tk_db_stats_get(db, &st);
    cr_assert_eq(st.jobs, 2); /* create table + insert */
    cr_assert_eq(st.batches, 2);
    cr_assert_eq(st.failed_jobs, 0);
    cr_assert_eq(st.queue_depth, 0);
}

Test(store, constraint_violation_is_a_conflict)
{
    tk_error err;
    db = open_at(path, NULL);
    create_table(db);
    cr_assert_eq(tk_db_write(db, insert_value, "dup", &err), TK_OK, "%s", err.detail);
    tk_error_clear(&err);
    cr_assert_eq(tk_db_write(db, insert_value, "dup", &err), TK_ECONFLICT);
    cr_assert_eq(err.status, TK_ECONFLICT);
    cr_assert_str_eq(err.code, "constraint");
    cr_assert_eq(count_rows(db, "dup"), 1);
    tk_db_stats st;
    tk_db_stats_get(db, &st);
    cr_assert_eq(st.failed_jobs, 1);
    /* The writer carries on. */
    cr_assert_eq(tk_db_write(db, insert_value, "after", &err), TK_OK, "%s", err.detail);
    cr_assert_eq(count_rows(db, "after"), 1);
}

static tk_status not_null_violation(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    return tk_exec(c, "INSERT INTO t(v) VALUES (NULL)", err);
}

Test(store, not_null_violation_is_a_conflict_too)
{
    tk_error err;
    db = open_at(path, NULL);
    create_table(db);
    cr_assert_eq(tk_db_write(db, not_null_violation, NULL, &err), TK_ECONFLICT);
    cr_assert_str_eq(err.code, "constraint");
}

Test(store, bad_sql_is_an_io_error)
{
    tk_error err;
    db = open_at(path, NULL);
    create_table(db);
    cr_assert_eq(tk_db_write(db, exec_job, "INSERT INTO no_such_table VALUES (1)", &err), TK_EIO);
    cr_assert_str_eq(err.code, "db_error");
}

/* ---- group commit ---- */

Test(store, queued_jobs_commit_in_one_batch)
{
    db = open_at(path, NULL);
    create_table(db);
    tk_db_stats s0, mid, s1;
    tk_db_stats_get(db, &s0);

    test_job blocker, jobs[50];
    start_blocker(db, &blocker);
    for (int i = 0; i < 50; i++) {
        job_init(&jobs[i], i);
        submit(db, &jobs[i]);
    }
    tk_db_stats_get(db, &mid);
    cr_assert_eq(mid.queue_depth, 50);
    cr_assert_eq(mid.batches, s0.batches, "the blocker's batch is still open");
    release_gate();
    wait_done(51);

    tk_db_stats_get(db, &s1);
    cr_assert_eq(s1.batches, s0.batches + 2, "batches %llu -> %llu", (unsigned long long)s0.batches,
                 (unsigned long long)s1.batches);
    cr_assert_eq(s1.jobs, s0.jobs + 51);
    cr_assert_eq(s1.queue_depth, 0);
    cr_assert_eq(s1.failed_jobs, s0.failed_jobs);
    /* One batch of 1 (bucket <= 1) and one of 50 (bucket <= 64). */
    for (int b = 0; b < TK_DB_BATCH_BUCKETS; b++) {
        uint64_t want = s0.batch_hist[b] + (b == 0 || b == 6 ? 1 : 0);
        cr_assert_eq(s1.batch_hist[b], want, "bucket %d: %llu", b,
                     (unsigned long long)s1.batch_hist[b]);
    }
    cr_assert_eq(blocker.status, TK_OK);
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(jobs[i].done_calls, 1, "job %d done %d times", i, jobs[i].done_calls);
        cr_assert_eq(jobs[i].status, TK_OK);
        cr_assert(jobs[i].err_null);
    }
    cr_assert_eq(count_rows(db, NULL), 51);
}

Test(store, batches_respect_write_batch)
{
    tk_db_options opt = {.write_batch = 8};
    db = open_at(path, &opt);
    create_table(db);
    tk_db_stats s0, s1;
    tk_db_stats_get(db, &s0);
    test_job blocker, jobs[20];
    start_blocker(db, &blocker);
    for (int i = 0; i < 20; i++) {
        job_init(&jobs[i], i);
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(21);
    tk_db_stats_get(db, &s1);
    /* 1, then 8 + 8 + 4. */
    cr_assert_eq(s1.batches, s0.batches + 4);
    cr_assert_eq(s1.batch_hist[0], s0.batch_hist[0] + 1);
    cr_assert_eq(s1.batch_hist[2], s0.batch_hist[2] + 1); /* 4 */
    cr_assert_eq(s1.batch_hist[3], s0.batch_hist[3] + 2); /* 8, 8 */
    cr_assert_eq(count_rows(db, NULL), 21);
}

Test(store, full_queue_refuses)
{
    tk_db_options opt = {.write_queue = 16};
    db = open_at(path, &opt);
    create_table(db);
    test_job blocker, jobs[17];
    start_blocker(db, &blocker); /* taken off the queue: does not count */
    for (int i = 0; i < 16; i++) {
        job_init(&jobs[i], i);
        submit(db, &jobs[i]);
    }
    job_init(&jobs[16], 16);
    tk_error err;
    cr_assert_eq(tk_db_submit(db, &jobs[16].job, &err), TK_EUNAVAIL);
    cr_assert_str_eq(err.code, "write_queue_full");
    release_gate();
    wait_done(17);
    cr_assert_not(jobs[16].done_called);
    cr_assert_eq(count_rows(db, NULL), 17);
    /* Room again. */
    submit(db, &jobs[16]);
    wait_done(18);
    cr_assert_eq(jobs[16].status, TK_OK);
}

Test(store, failing_job_is_rolled_back_alone)
{
    enum { N = 10, K = 4 };
    db = open_at(path, NULL);
    create_table(db);
    tk_db_stats s0, s1;
    tk_db_stats_get(db, &s0);
    test_job blocker, jobs[N];
    start_blocker(db, &blocker);
    for (int i = 0; i < N; i++) {
        job_init(&jobs[i], i);
        jobs[i].fail = i == K;
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(N + 1);

    tk_db_stats_get(db, &s1);
    cr_assert_eq(s1.batches, s0.batches + 2, "the jobs must share one batch for this test");
    cr_assert_eq(s1.failed_jobs, s0.failed_jobs + 1);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(count_rows(db, jobs[i].own_value), i == K ? 0 : 1, "row of job %d", i);
        cr_assert_eq(jobs[i].done_calls, 1);
        if (i == K) {
            cr_assert_eq(jobs[i].status, TK_EVALID);
            cr_assert_not(jobs[i].err_null);
            cr_assert_str_eq(jobs[i].code, "test_fail");
        } else {
            cr_assert_eq(jobs[i].status, TK_OK, "job %d: %d", i, jobs[i].status);
            cr_assert(jobs[i].err_null, "job %d got an error", i);
        }
    }
    cr_assert_eq(count_rows(db, "row-1000"), 1, "the blocker committed");
    cr_assert_eq(count_rows(db, NULL), N);
}

Test(store, job_failing_without_detail_gets_one)
{
    db = open_at(path, NULL);
    create_table(db);
    test_job blocker, jobs[3];
    start_blocker(db, &blocker);
    for (int i = 0; i < 3; i++) {
        job_init(&jobs[i], i);
        jobs[i].fail_bare = i == 1;
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(4);
    cr_assert_eq(jobs[1].status, TK_EINTERNAL);
    cr_assert_str_eq(jobs[1].code, "job_failed");
    cr_assert_eq(jobs[0].status, TK_OK);
    cr_assert_eq(jobs[2].status, TK_OK);
    cr_assert_eq(count_rows(db, "row-1"), 0);
    cr_assert_eq(count_rows(db, NULL), 3);
}

Test(store, conflict_in_a_batch_spares_the_others)
{
    db = open_at(path, NULL);
    create_table(db);
    test_job blocker, jobs[5];
    start_blocker(db, &blocker);
    for (int i = 0; i < 5; i++) {
        job_init(&jobs[i], i);
        if (i == 3)
            jobs[i].value = "row-1"; /* a duplicate of job 1's row */
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(6);
    cr_assert_eq(jobs[3].status, TK_ECONFLICT);
    cr_assert_str_eq(jobs[3].code, "constraint");
    cr_assert_eq(jobs[3].hooks_ran, 0);
    for (int i = 0; i < 5; i++)
        if (i != 3)
            cr_assert_eq(jobs[i].status, TK_OK, "job %d", i);
    cr_assert_eq(count_rows(db, NULL), 5);
}

Test(store, after_commit_hooks_run_only_for_committed_jobs)
{
    enum { N = 6, K = 2 };
    db = open_at(path, NULL);
    create_table(db);
    test_job blocker, jobs[N];
    start_blocker(db, &blocker);
    for (int i = 0; i < N; i++) {
        job_init(&jobs[i], i);
        jobs[i].fail = i == K;
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(N + 1);
    for (int i = 0; i < N; i++) {
        if (i == K) {
            cr_assert_eq(jobs[i].hooks_ran, 0, "hooks of the failed job ran");
            continue;
        }
        cr_assert_eq(jobs[i].hooks_ran, 2, "job %d: %d hooks ran", i, jobs[i].hooks_ran);
        cr_assert_eq(jobs[i].hook_order[0], 1, "hooks run in registration order");
        cr_assert_eq(jobs[i].hook_order[1], 2);
        cr_assert_eq(jobs[i].hooks_at_done, 2, "hooks run before done");
    }
    cr_assert_eq(blocker.hooks_ran, 2);
}

static void count_hook(void *arg)
{
    (*(int *)arg)++;
}

Test(store, after_commit_outside_the_writer_runs_at_once)
{
    db = open_at(path, NULL);
    create_table(db);
    tk_conn *c = tk_db_reader(db, NULL);
    cr_assert_not_null(c);
    int n = 0;
    tk_conn_after_commit(c, count_hook, &n);
    cr_assert_eq(n, 1);
}

/* ---- readers ---- */

typedef struct {
    tk_db *db;
    tk_conn *conn, *again;
    int64_t rows;
} reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *a = p;
    a->conn = tk_db_reader(a->db, NULL);
    a->again = tk_db_reader(a->db, NULL);
    a->rows = count_rows(a->db, NULL);
    return NULL;
}

Test(store, each_thread_has_its_reader_and_sees_commits)
{
    tk_error err;
    db = open_at(path, NULL);
    create_table(db);
    tk_conn *mine = tk_db_reader(db, &err);
    cr_assert_not_null(mine, "%s", err.detail);
    cr_assert_eq(tk_db_reader(db, &err), mine, "same thread, same connection");
    cr_assert_eq(count_rows(db, NULL), 0);

    cr_assert_eq(tk_db_write(db, insert_value, "one", &err), TK_OK, "%s", err.detail);
    cr_assert_eq(count_rows(db, NULL), 1, "reader holds a stale snapshot");
    cr_assert_eq(tk_db_write(db, insert_value, "two", &err), TK_OK, "%s", err.detail);
    cr_assert_eq(count_rows(db, NULL), 2);

    reader_arg a[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        a[i] = (reader_arg){.db = db, .rows = -2};
        cr_assert_eq(pthread_create(&th[i], NULL, reader_thread, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        cr_assert_not_null(a[i].conn);
        cr_assert_eq(a[i].again, a[i].conn);
        cr_assert_neq(a[i].conn, mine, "thread %d shares the main thread's reader", i);
        for (int k = 0; k < i; k++)
            cr_assert_neq(a[i].conn, a[k].conn);
        cr_assert_eq(a[i].rows, 2, "thread %d saw %lld rows", i, (long long)a[i].rows);
    }
}

Test(store, readers_of_two_databases_are_distinct)
{
    char other[160];
    snprintf(other, sizeof other, "%s/other.db", dir);
    db = open_at(path, NULL);
    tk_db *db2 = open_at(other, NULL);
    create_table(db);
    create_table(db2);
    tk_error err;
    cr_assert_eq(tk_db_write(db2, insert_value, "x", &err), TK_OK);
    cr_assert_neq(tk_db_reader(db, NULL), tk_db_reader(db2, NULL));
    cr_assert_eq(count_rows(db, NULL), 0);
    cr_assert_eq(count_rows(db2, NULL), 1);
    tk_db_close(db2);
}

Test(store, reader_cannot_write)
{
    db = open_at(path, NULL);
    create_table(db);
    tk_conn *c = tk_db_reader(db, NULL);
    tk_error err;
    tk_error_clear(&err);
    cr_assert_neq(tk_exec(c, "INSERT INTO t(v) VALUES ('sneaky')", &err), TK_OK);
    cr_assert_neq(err.status, TK_OK);
    cr_assert_eq(count_rows(db, NULL), 0);
}

Test(store, statements_read_columns)
{
    db = open_at(path, NULL);
    tk_error err;
    cr_assert_eq(tk_db_write(db, exec_job,
                             "CREATE TABLE k (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT);"
                             "INSERT INTO k VALUES (-7, 2.5, '调快', x'00ff', NULL)",
                             &err),
                 TK_OK, "%s", err.detail);
    tk_conn *c = tk_db_reader(db, &err);
    tk_stmt *s = tk_prepare(c, "SELECT i, d, s, b, n FROM k WHERE i = ?1", &err);
    cr_assert_not_null(s);
    tk_bind_i64(s, 1, -7);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_eq(tk_col_count(s), 5);
    cr_assert_str_eq(tk_col_name(s, 2), "s");
    cr_assert_eq(tk_col_i64(s, 0), -7);
    cr_assert_float_eq(tk_col_double(s, 1), 2.5, 1e-12);
    cr_assert_str_eq(tk_col_text(s, 2), "调快");
    cr_assert_eq(tk_col_bytes(s, 3), 2);
    cr_assert_eq(memcmp(tk_col_blob(s, 3), "\x00\xff", 2), 0);
    cr_assert(tk_col_null(s, 4));
    cr_assert_null(tk_col_text(s, 4));
    cr_assert_not(tk_col_null(s, 0));
    cr_assert_eq(tk_step(s, &err), 0);
    /* The cache hands back the same statement, with bindings cleared. */
    cr_assert_eq(tk_prepare(c, "SELECT i, d, s, b, n FROM k WHERE i = ?1", &err), s);
    cr_assert_eq(tk_step(s, &err), 0, "i = NULL matches nothing");
    cr_assert_null(tk_prepare(c, "SELECT nonsense FROM", &err));
    cr_assert_eq(err.status, TK_EIO);
}

/* ---- close ---- */

typedef struct {
    tk_db *db;
} closer_arg;

static void *closer_thread(void *p)
{
    closer_arg *a = p;
    tk_db_close(a->db);
    return NULL;
}

Test(store, close_drains_queued_jobs)
{
    enum { N = 30 };
    db = open_at(path, NULL);
    create_table(db);
    test_job blocker, jobs[N], late;
    start_blocker(db, &blocker);
    for (int i = 0; i < N; i++) {
        job_init(&jobs[i], i);
        submit(db, &jobs[i]);
    }

    closer_arg ca = {db};
    pthread_t closer;
    cr_assert_eq(pthread_create(&closer, NULL, closer_thread, &ca), 0);
    /* Wait until close has marked the db closing (it broadcasts db->wake), while the
     * writer is still held inside the blocker: the N jobs are still queued. */
    pthread_mutex_lock(&db->lock);
    while (!db->closing)
        pthread_cond_wait(&db->wake, &db->lock);
    int64_t queued = db->queue_len;
    pthread_mutex_unlock(&db->lock);
    cr_assert_eq(queued, N);

    job_init(&late, 99);
    tk_error err;
    cr_assert_eq(tk_db_submit(db, &late.job, &err), TK_EUNAVAIL);
    cr_assert_str_eq(err.code, "shutting_down");

    release_gate();
    pthread_join(closer, NULL);
    db = NULL; /* closed and freed */

    cr_assert_eq(g.done, N + 1, "done callbacks: %d", g.done);
    cr_assert_not(late.done_called);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(jobs[i].done_calls, 1, "job %d", i);
        cr_assert_eq(jobs[i].status, TK_OK, "job %d", i);
    }
    /* And they were committed. */
    db = open_at(path, NULL);
    cr_assert_eq(count_rows(db, NULL), N + 1);
}

Test(store, close_of_idle_and_null_db)
{
    tk_db_close(NULL);
    db = open_at(path, NULL);
    tk_db_close(db);
    db = NULL;
    /* The file is usable after close. */
    db = open_at(path, NULL);
    create_table(db);
    cr_assert_eq(count_rows(db, NULL), 0);
}

/* ---- before-commit work ---- */

static int64_t query_i64(tk_db *d, const char *sql)
{
    tk_conn *c = tk_db_reader(d, NULL);
    tk_stmt *s = c ? tk_prepare(c, sql, NULL) : NULL;
    if (!s)
        return -1;
    int64_t v = tk_step(s, NULL) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    return v;
}

static void before_commit_batch(bool fail)
{
    enum { N = 10 };
    db = open_at(path, NULL);
    create_table(db);
    tk_error err;
    cr_assert_eq(tk_db_write(db, exec_job, "CREATE TABLE b (rows INTEGER, busy INTEGER)", &err),
                 TK_OK);
    memset(&before_state, 0, sizeof before_state);
    before_state.fail = fail;
    test_job blocker, jobs[N];
    start_blocker(db, &blocker);
    for (int i = 0; i < N; i++) {
        job_init(&jobs[i], i);
        jobs[i].before = true;
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(N + 1);
    for (int i = 0; i < N; i++)
        cr_assert_eq(jobs[i].status, TK_OK, "job %d: %d", i, jobs[i].status);
    cr_assert_eq(count_rows(db, NULL), N + 1, "every job committed");
    cr_assert_eq(before_state.calls, 1, "asked by %d jobs of one batch, ran %d times", N,
                 before_state.calls);
}

Test(store, before_commit_work_runs_once_after_the_batch)
{
    before_commit_batch(false);
    cr_assert_eq(query_i64(db, "SELECT count(*) FROM b"), 1);
    cr_assert_eq(query_i64(db, "SELECT rows FROM b"), 11, "it ran after every job of the batch");
    cr_assert_eq(query_i64(db, "SELECT busy FROM b"), 0, "nothing was waiting behind the batch");
}

Test(store, failing_before_commit_work_leaves_the_batch_committed)
{
    before_commit_batch(true);
    cr_assert_eq(query_i64(db, "SELECT count(*) FROM b"), 0, "its own change was undone");
}

static tk_status ask_before_commit(tk_conn *c, void *arg, tk_error *err)
{
    (void)err;
    tk_conn_before_commit(c, before_work, arg);
    return TK_OK;
}

/* A blocker job that asks for before_work (again: whether before_work asks for
 * itself once more), three plain jobs queued behind it, all run to the end. */
static void blocker_then_three(int again)
{
    db = open_at(path, NULL);
    create_table(db);
    tk_error err;
    cr_assert_eq(tk_db_write(db, exec_job, "CREATE TABLE b (rows INTEGER, busy INTEGER)", &err),
                 TK_OK);
    memset(&before_state, 0, sizeof before_state);
    before_state.again = again;
    test_job blocker, jobs[3];
    start_blocker(db, &blocker);
    blocker.before = true; /* read by test_run after the gate opens */
    for (int i = 0; i < 3; i++) {
        job_init(&jobs[i], i); /* they do not ask for it themselves */
        submit(db, &jobs[i]);
    }
    release_gate();
    wait_done(4);
}

Test(store, writer_busy_while_jobs_wait)
{
    blocker_then_three(0);
    tk_error err;
    cr_assert_eq(before_state.calls, 1);
    cr_assert_eq(query_i64(db, "SELECT busy FROM b"), 1, "three jobs waited behind the blocker");
    cr_assert_eq(query_i64(db, "SELECT rows FROM b"), 1, "only the blocker's row by then");
    tk_conn *reader = tk_db_reader(db, &err);
    cr_assert_not(tk_conn_writer_busy(reader), "a reader is never the busy writer");
    cr_assert_eq(tk_db_write(db, ask_before_commit, &before_state, &err), TK_OK);
    cr_assert_eq(before_state.calls, 2);
}

Test(store, before_commit_work_asked_again_runs_with_the_next_batch)
{
    blocker_then_three(1);
    cr_assert_eq(before_state.calls, 2, "ran with the blocker's batch and with the next");
    cr_assert_eq(query_i64(db, "SELECT rows FROM b ORDER BY rowid LIMIT 1"), 1,
                 "first after the blocker's job alone");
    cr_assert_eq(query_i64(db, "SELECT rows FROM b ORDER BY rowid DESC LIMIT 1"), 4,
                 "then after the next batch's three jobs");
}

/* Copies file from to to (a test's few megabytes). */
static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "copy %s to %s", from, to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

/* The writer's log goes through walbuf.c, which gathers a commit's frames and
 * writes them in pieces. A commit several times its buffer, with pages rewritten
 * inside the transaction, reads back whole, and is whole in the log file itself
 * as soon as it is acknowledged: a copy of the database and its log, taken while
 * the writer is still open (as a crash would leave them), recovers all of it. */
Test(store, a_commit_larger_than_the_log_buffer_is_in_the_log_when_acknowledged)
{
    db = open_at(path, NULL);
    tk_error err;
    /* No checkpoint: the commit lives in the log alone, as it does until one runs. */
    const char *sql = "PRAGMA wal_autocheckpoint=0;"
                      "CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB NOT NULL);"
                      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                      "WHERE i < 3000) INSERT INTO big(v) SELECT zeroblob(2000) FROM n;"
                      "UPDATE big SET v = randomblob(2000) WHERE id % 3 = 0;"
                      "UPDATE big SET v = randomblob(2001) WHERE id % 7 = 0";
    cr_assert_eq(tk_db_write(db, exec_job, (void *)sql, &err), TK_OK, "%s", err.detail);
    const int64_t bytes = 3000 * 2000 + 3000 / 7;
    const char *rewritten = "SELECT count(*) FROM big WHERE id % 3 = 0 AND v = zeroblob(length(v))";
    cr_assert_eq(query_i64(db, "SELECT count(*) FROM big"), 3000);
    cr_assert_eq(query_i64(db, "SELECT sum(length(v)) FROM big"), bytes);
    cr_assert_eq(query_i64(db, rewritten), 0, "the rewritten pages are the last written");

    char copy[160], from_wal[170], to_wal[170];
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    snprintf(from_wal, sizeof from_wal, "%s-wal", path);
    snprintf(to_wal, sizeof to_wal, "%s-wal", copy);
    copy_file(path, copy);
    copy_file(from_wal, to_wal);
    tk_conn *c = NULL;
    cr_assert_eq(tk_conn_open(copy, false, &c, &err), TK_OK, "%s", err.detail);
    tk_stmt *s = tk_prepare(c, "SELECT count(*), sum(length(v)) FROM big", &err);
    cr_assert_not_null(s, "%s", err.detail);
    cr_assert_eq(tk_step(s, &err), 1, "%s", err.detail);
    cr_assert_eq(tk_col_i64(s, 0), 3000);
    cr_assert_eq(tk_col_i64(s, 1), bytes);
    tk_reset(s);
    s = tk_prepare(c, rewritten, &err);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_eq(tk_col_i64(s, 0), 0);
    tk_reset(s);
    tk_conn_close(c);
}

/* ---- backup ---- */

Test(store, backup_is_a_whole_checked_copy_and_never_overwrites)
{
    db = open_at(path, NULL);
    create_table(db);
    tk_error err;
    const char *sql =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
        "INSERT INTO t(v) SELECT 'row ' || i FROM n";
    cr_assert_eq(tk_db_write(db, exec_job, (void *)sql, &err), TK_OK, "%s", err.detail);

    char dest[160], partial[180], wal[170];
    snprintf(dest, sizeof dest, "%s/backup.db", dir);
    snprintf(partial, sizeof partial, "%s.partial", dest);
    snprintf(wal, sizeof wal, "%s-wal", dest);
    cr_assert_eq(tk_db_backup(db, dest, &err), TK_OK, "%s", err.detail);
    cr_assert_neq(access(partial, F_OK), 0, "no temporary left");
    cr_assert_neq(access(wal, F_OK), 0, "one file: no log beside it");
    /* The rows committed so far, read from the copy on its own. */
    tk_conn *c = NULL;
    cr_assert_eq(tk_conn_open(dest, false, &c, &err), TK_OK, "%s", err.detail);
    tk_stmt *s = tk_prepare(c, "SELECT count(*), max(v) FROM t", &err);
    cr_assert_not_null(s, "%s", err.detail);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_eq(tk_col_i64(s, 0), 500);
    cr_assert_str_eq(tk_col_text(s, 1), "row 99");
    tk_reset(s);
    tk_conn_close(c);

    /* A later write is not in it, and a second backup to the same name is refused. */
    cr_assert_eq(tk_db_write(db, exec_job, "INSERT INTO t(v) VALUES ('later')", &err), TK_OK);
    cr_assert_eq(tk_db_backup(db, dest, &err), TK_ECONFLICT);
    cr_assert_str_eq(err.code, "backup_exists");
    cr_assert_eq(tk_conn_open(dest, false, &c, &err), TK_OK);
    s = tk_prepare(c, "SELECT count(*) FROM t", &err);
    cr_assert_eq(tk_step(s, &err), 1);
    cr_assert_eq(tk_col_i64(s, 0), 500, "the first backup is as it was");
    tk_reset(s);
    tk_conn_close(c);
}
