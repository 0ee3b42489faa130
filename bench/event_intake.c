/*
 * event_intake.c - the writer's share of an event intake (`bench-event-intake`).
 *
 * POST /api/v1/events runs its whole change on the single writer thread: the
 * category, the grid's place, routing, the duplicate query, the number, the insert
 * (with its full-text row), the stage timing, the timeline row, the rollups of five
 * units, the notices and the audit record. That thread is the ceiling on intake,
 * so this program measures it alone, without HTTP: it submits N jobs exactly as
 * the API does (one write job per event: tk_event_create and then tk_audit_append,
 * group-committed by the writer like concurrent requests), as the `hotline`
 * integration account, rotating over grids and leaf categories like
 * bench/events.lua, and prints the events per second of writer time and the
 * writer's CPU microseconds per intake (thread CPU time, so a busy machine
 * disturbs it less than wall time).
 *
 * Usage: bench-event-intake DB [N=20000 [BATCH]]   (DB: a copy of a demo database; it is
 * written to). BATCH caps the jobs per commit, as a server with that many requests in
 * flight would see them (64 connections make batches of about 32); without it the
 * writer takes all that wait, up to 1,024.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "gov/access.h"
#include "gov/audit.h"
#include "gov/events.h"
#include "gov/workcal.h"
#include "store/db.h"

typedef struct {
    int64_t grid;
    double lng, lat;
} point;

typedef struct {
    tk_calendar *cal;
    tk_identity who;
    point *points;
    int npoints;
    char (*cats)[8];
    int ncats;
    _Atomic int64_t writer_cpu_ns;
    _Atomic int64_t done, failed;
    pthread_mutex_t lock;
    pthread_cond_t all_done;
    int64_t total;
} bench;

typedef struct {
    tk_write_job job;
    bench *b;
    int64_t i;
} intake;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static tk_status run(tk_conn *c, void *arg, tk_error *err)
{
    intake *x = arg;
    bench *b = x->b;
    int64_t t0 = thread_cpu_ns();
    tk_arena *a = tk_arena_new(16384);
    const point *p = &b->points[x->i % b->npoints];
    char desc[160];
    snprintf(desc, sizeof desc, "12345 热线来电反映：压测事件 %lld，请核实处置。", (long long)x->i);
    tk_event_new in = {
        .category_code = b->cats[(x->i * 7 + x->i / b->npoints) % b->ncats],
        .description = desc,
        .address = "压测地址",
        .has_point = true,
        .lng = p->lng + (double)(x->i % 7) * 1e-5,
        .lat = p->lat + (double)(x->i % 5) * 1e-5,
        .grid_id = p->grid,
        .source = "hotline",
        .reporter_name = "张先生",
        .reporter_phone = "13800000000",
    };
    tk_event_created out;
    tk_status st = tk_event_create(c, a, b->cal, &b->who, &in, &out, err);
    if (st == TK_OK) {
        char target[32], detail[96];
        snprintf(target, sizeof target, "%lld", (long long)out.event.id);
        snprintf(detail, sizeof detail, "{\"number\":\"%s\",\"category\":\"%s\"}", out.event.number,
                 in.category_code);
        tk_audit_entry e = {.who = &b->who,
                            .ip = "127.0.0.1",
                            .action = "event.create",
                            .target_type = "event",
                            .target_id = target,
                            .outcome = "ok",
                            .detail = detail};
        st = tk_audit_append(c, &e, NULL, err);
    }
    tk_arena_free(a);
    atomic_fetch_add(&b->writer_cpu_ns, thread_cpu_ns() - t0);
    return st;
}

static void done(void *arg, tk_status st, const tk_error *err)
{
    intake *x = arg;
    bench *b = x->b;
    if (st != TK_OK && atomic_fetch_add(&b->failed, 1) < 3)
        fprintf(stderr, "bench-event-intake: %s\n", err->detail);
    pthread_mutex_lock(&b->lock);
    if (atomic_fetch_add(&b->done, 1) + 1 == b->total)
        pthread_cond_signal(&b->all_done);
    pthread_mutex_unlock(&b->lock);
}

static void die(const char *what, const tk_error *err)
{
    fprintf(stderr, "bench-event-intake: %s: %s\n", what, err ? err->detail : "");
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-event-intake DB [N [BATCH]]\n");
        return 64;
    }
    int64_t n = 20000;
    if (argc > 2 && (!tk_parse_i64(argv[2], &n) || n <= 0))
        die("N must be a positive number", NULL);
    int64_t batch = 0;
    if (argc > 3 && (!tk_parse_i64(argv[3], &batch) || batch <= 0))
        die("BATCH must be a positive number", NULL);
    static bench b;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.all_done, NULL);
    b.total = n;
    tk_error err;
    tk_db *db = NULL;
    tk_db_options opt = {.write_batch = batch};
    if (tk_db_open(argv[1], &opt, &db, &err) != TK_OK)
        die("open", &err);
    tk_conn *c = tk_db_reader(db, &err);
    if (!c || tk_workcal_load(c, &b.cal, &err) != TK_OK)
        die("calendar", &err);
    tk_stmt *s = tk_prepare(c,
                            "SELECT us.id, u.id, u.path, u.scope_path FROM users us JOIN units u "
                            "ON u.id = us.unit_id WHERE us.username = 'hotline'",
                            &err);
    if (!s || tk_step(s, &err) != 1)
        die("the demo's hotline account", &err);
    tk_arena *keep = tk_arena_new(4096);
    b.who = (tk_identity){.user_id = tk_col_i64(s, 0),
                          .username = "hotline",
                          .display_name = "12345热线对接",
                          .role = TK_ROLE_INTEGRATION,
                          .unit_id = tk_col_i64(s, 1),
                          .unit_path = tk_arena_strdup(keep, tk_col_text(s, 2)),
                          .scope_path = tk_arena_strdup(keep, tk_col_text(s, 3))};
    tk_reset(s);
    /* The same grids as bench/events.sh: every 15th, at its stored point. */
    s = tk_prepare(c,
                   "SELECT u.id, t.lng, t.lat FROM units u JOIN territory t ON t.unit_id = u.id "
                   "WHERE u.kind = 'grid' AND u.id % 15 = 0 AND t.lng IS NOT NULL ORDER BY u.id",
                   &err);
    b.points = tk_xcalloc(8192, sizeof *b.points);
    while (s && tk_step(s, &err) == 1 && b.npoints < 8192)
        b.points[b.npoints++] = (point){tk_col_i64(s, 0), tk_col_double(s, 1), tk_col_double(s, 2)};
    if (s)
        tk_reset(s);
    s = tk_prepare(c,
                   "SELECT c.code FROM categories c WHERE c.active = 1 AND NOT EXISTS (SELECT 1 "
                   "FROM categories k WHERE k.parent_id = c.id) ORDER BY c.code",
                   &err);
    b.cats = tk_xcalloc(1024, sizeof *b.cats);
    while (s && tk_step(s, &err) == 1 && b.ncats < 1024)
        snprintf(b.cats[b.ncats++], sizeof b.cats[0], "%s", tk_col_text(s, 0));
    if (s)
        tk_reset(s);
    if (!b.npoints || !b.ncats)
        die("no grids or categories (use a demo database)", NULL);

    intake *jobs = tk_xcalloc((size_t)n, sizeof *jobs);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t t0 = tk_monotonic_ns();
    for (int64_t i = 0; i < n; i++) {
        jobs[i] = (intake){.job = {.run = run, .done = done, .arg = &jobs[i]}, .b = &b, .i = i};
        while (tk_db_submit(db, &jobs[i].job, &err) != TK_OK) {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL); /* queue full: let the writer catch up */
        }
    }
    pthread_mutex_lock(&b.lock);
    while (atomic_load(&b.done) < n)
        pthread_cond_wait(&b.all_done, &b.lock);
    pthread_mutex_unlock(&b.lock);
    double wall = (double)(tk_monotonic_ns() - t0) / 1e9;
    getrusage(RUSAGE_SELF, &r1);
    double proc_us = ((double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 +
                      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                      (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 +
                      (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) /
                     (double)n;
    tk_db_stats st;
    tk_db_stats_get(db, &st);
    double cpu_us = (double)atomic_load(&b.writer_cpu_ns) / 1e3 / (double)n;
    /* job_cpu: inside the jobs; process_cpu: everything (savepoints, commits, the
     * submitting thread), the figure that bounds events per second on one core. */
    printf("BENCH intakes=%lld failed=%lld wall_s=%.2f per_s_wall=%.0f job_cpu_us=%.1f "
           "process_cpu_us=%.1f per_s_process_cpu=%.0f commits=%llu\n",
           (long long)n, (long long)atomic_load(&b.failed), wall, (double)n / wall, cpu_us, proc_us,
           1e6 / proc_us, (unsigned long long)st.batches);
    tk_db_close(db);
    tk_calendar_free(b.cal);
    tk_arena_free(keep);
    free(b.points);
    free(b.cats);
    free(jobs);
    return atomic_load(&b.failed) ? 1 : 0;
}
