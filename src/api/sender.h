/*
 * sender.h - the thread that posts the callbacks' deliveries (gov/callbacks.h).
 *
 * Each pass reads the head of every active callback's queue that is due, posts
 * it with libcurl (JSON, signed: X-Tiaokuai-Signature: t=<unix s>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<body>")>, X-Tiaokuai-Delivery: <id>), and records
 * the outcome through the writer. A 2xx answer is delivered; anything else is
 * tried again later. Delivery is at least once: the receiver dedupes on the id.
 */
#ifndef TK_SENDER_H
#define TK_SENDER_H

#include <stdbool.h>
#include <stdint.h>

struct tk_app;
typedef struct tk_sender tk_sender;

tk_sender *tk_sender_start(struct tk_app *app);
void tk_sender_stop(tk_sender *s);
/* Returns once the deliveries due now have been tried. */
void tk_sender_sync(tk_sender *s);

/* What became of one POST: ok is a 2xx answer; status 0 = no answer; error in zh-CN. */
typedef struct {
    bool ok;
    long status;
    int64_t elapsed_ms;
    char error[512]; /* room for the zh-CN words and all of libcurl's detail: never cut */
} tk_callback_outcome;

/* Attempts since the start, answered with a 2xx or not (pings not counted). */
void tk_sender_stats(tk_sender *s, uint64_t *delivered, uint64_t *refused);

/* The pool tk_callback_ping runs on (one thread). */
struct tk_pool *tk_sender_pings(tk_sender *s);

/* 测试推送: posts {"action":"ping", ...} to url, signed with secret and named "ping"
 * (X-Tiaokuai-Delivery), on the caller's thread (at most 10 s); nothing is queued. */
void tk_callback_ping(int64_t callback_id, const char *url, const char *secret,
                      tk_callback_outcome *out);

#endif
