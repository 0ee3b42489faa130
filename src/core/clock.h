/*
 * clock.h - wall time behind an injectable source, and monotonic time.
 *
 * Everything that depends on "now" (deadlines, sessions, timers) reads
 * tk_now_ms(). Tests and `serve --manual-clock` switch to a manual clock and move
 * it with tk_clock_set/tk_clock_advance, so nothing ever sleeps to test time.
 * Listeners hear every manual move, so a timer can re-check its deadlines.
 *
 * Civil time is Asia/Shanghai, which has had a fixed UTC+08:00 offset since 1991;
 * the helpers below use that offset and need no tz database.
 */
#ifndef TK_CLOCK_H
#define TK_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TK_TZ_OFFSET_MS (8LL * 3600 * 1000)

int64_t tk_now_ms(void);       /* Unix epoch milliseconds, from the current source */
int64_t tk_monotonic_ns(void); /* for measuring durations; never manual */

void tk_clock_use_system(void);
void tk_clock_use_manual(int64_t start_ms);
bool tk_clock_is_manual(void);
void tk_clock_set(int64_t ms);           /* manual clock only */
void tk_clock_advance(int64_t delta_ms); /* manual clock only */

typedef void (*tk_clock_listener)(void *ctx);
/* At most a few listeners; called after every manual change, on the caller's thread. */
void tk_clock_add_listener(tk_clock_listener fn, void *ctx);
void tk_clock_remove_listener(tk_clock_listener fn, void *ctx);

/* "2026-02-13T16:00:00+08:00" (out: at least 32 bytes). */
void tk_time_format(int64_t ms, char *out, size_t size);
/* "2026-02-13" in Asia/Shanghai (out: at least 11 bytes). */
void tk_date_format(int64_t ms, char *out, size_t size);
/* Accepts YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]; without a zone, +08:00. */
bool tk_time_parse(const char *s, int64_t *ms);
/* Accepts YYYY-MM-DD; gives local midnight (Asia/Shanghai) of that day. */
bool tk_date_parse(const char *s, int64_t *ms);
/* Local midnight (Asia/Shanghai) that begins the day holding ms. */
int64_t tk_day_start(int64_t ms);
/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t tk_days_from_civil(int y, int m, int d);
void tk_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
