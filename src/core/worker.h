/*
 * worker.h - a thread that does what is due, then sleeps until the next instant
 * something will be due, a poke, or a change of the manual clock.
 *
 * The pass returns the next instant (tk clock, ms; 0 = none known). With the
 * system clock the thread looks again at least once a second, since other threads
 * may have made something due earlier without poking; with the manual clock it
 * waits for the clock to move or a poke.
 */
#ifndef TK_WORKER_H
#define TK_WORKER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tk_worker tk_worker;
typedef int64_t (*tk_worker_pass)(void *ctx, tk_worker *w);

tk_worker *tk_worker_start(tk_worker_pass pass, void *ctx);
/* Wakes the thread for another pass. Safe from any thread. */
void tk_worker_poke(void *worker);
/* Returns once a pass that began after this call has finished. */
void tk_worker_sync(tk_worker *w);
/* True once stop was asked: a long pass should end early. */
bool tk_worker_stopping(tk_worker *w);
void tk_worker_stop(tk_worker *w);

#endif
