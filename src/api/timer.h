/*
 * timer.h - the thread that turns events yellow and red on time.
 *
 * It sleeps until the earliest next_alert_at (one index read), processes what
 * is due in a write job, and sleeps again (core/worker.h); it never scans all
 * events.
 */
#ifndef TK_TIMER_H
#define TK_TIMER_H

struct tk_app;
typedef struct tk_timer tk_timer;

tk_timer *tk_timer_start(struct tk_app *app);
void tk_timer_stop(tk_timer *t);
/* Processes everything due at the current time and returns when done. */
void tk_timer_sync(tk_timer *t);

#endif
