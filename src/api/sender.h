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

struct tk_app;
typedef struct tk_sender tk_sender;

tk_sender *tk_sender_start(struct tk_app *app);
void tk_sender_stop(tk_sender *s);
/* Returns once the deliveries due now have been tried. */
void tk_sender_sync(tk_sender *s);

#endif
