/*
 * test_worker.c - the thread that does what is due: a pass on start, on a poke,
 * and when the manual clock moves; sync waits for a pass that began after it;
 * stop ends a long pass early.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <time.h>

#include "core/clock.h"
#include "core/worker.h"

#define T0 1770969600000LL

typedef struct {
    atomic_int passes;
    atomic_llong next;     /* what the pass answers */
    atomic_llong seen_now; /* the clock at the last pass */
    atomic_bool linger;    /* the pass waits until stopping */
    atomic_bool ended_early;
} counter;

static int64_t count_pass(void *ctx, tk_worker *w)
{
    counter *c = ctx;
    c->seen_now = tk_now_ms();
    c->passes++;
    while (c->linger && !tk_worker_stopping(w)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (c->linger)
        c->ended_early = true;
    return c->next;
}

static void settle(void)
{
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
}

Test(worker, sync_waits_for_a_pass_that_began_after_it)
{
    tk_clock_use_manual(T0);
    counter c = {0};
    tk_worker *w = tk_worker_start(count_pass, &c);
    tk_worker_sync(w);
    int after_first = c.passes;
    cr_assert_geq(after_first, 1, "a pass on start");
    tk_worker_sync(w);
    cr_assert_gt(c.passes, after_first, "sync runs a new pass");
    tk_worker_stop(w);
    tk_clock_use_system();
}

Test(worker, the_manual_clock_wakes_it)
{
    tk_clock_use_manual(T0);
    counter c = {0};
    tk_worker *w = tk_worker_start(count_pass, &c);
    tk_worker_sync(w);
    int before = c.passes;
    settle();
    cr_assert_eq(c.passes, before, "with the manual clock still, nothing runs");
    tk_clock_advance(60000);
    for (int i = 0; i < 200 && c.seen_now != T0 + 60000; i++)
        settle();
    cr_assert_eq(c.seen_now, T0 + 60000, "the move woke a pass that saw the new time");
    tk_worker_stop(w);
    tk_clock_use_system();
}

Test(worker, a_poke_wakes_it)
{
    tk_clock_use_manual(T0);
    counter c = {0};
    tk_worker *w = tk_worker_start(count_pass, &c);
    tk_worker_sync(w);
    int before = c.passes;
    tk_worker_poke(w);
    for (int i = 0; i < 200 && c.passes == before; i++)
        settle();
    cr_assert_gt(c.passes, before);
    tk_worker_stop(w);
    tk_clock_use_system();
}

Test(worker, stop_ends_a_long_pass)
{
    counter c = {0};
    c.linger = true;
    tk_worker *w = tk_worker_start(count_pass, &c);
    while (!c.passes)
        settle();
    tk_worker_stop(w);
    cr_assert(c.ended_early);
}
