/*
 * callbacks.h - 结果回传: the progress of a report pushed back to the system that
 * sent it (the 12345 hotline).
 *
 * An integration account may have one callback: a URL and a secret. Each change
 * of an event the account reported is queued as a delivery in the transaction
 * that made it (migration 0021), and the server's sender posts the deliveries of
 * a callback one after another, in order. A failed attempt is tried again after
 * a growing pause; after TK_DELIVERY_ATTEMPTS the delivery is marked failed and
 * the queue goes on; an admin may send it again.
 */
#ifndef TK_CALLBACKS_H
#define TK_CALLBACKS_H

#include <stdbool.h>

#include "core/mem.h"
#include "store/db.h"

#define TK_CALLBACK_URL_MAX        512
#define TK_CALLBACK_SECRET_LEN     64 /* hex characters */
#define TK_DELIVERY_ATTEMPTS       10
#define TK_DELIVERY_FIRST_PAUSE_MS 30000LL
#define TK_DELIVERY_MAX_PAUSE_MS   3600000LL

typedef struct {
    int64_t id, user_id;
    const char *username, *display_name, *url, *secret;
    bool active;
    int64_t created_at, updated_at;
    int64_t pending, delivered, failed;
    int64_t last_delivered_at; /* of the newest change delivered, 0 = none */
    int64_t next_attempt_at;   /* the queue's head, 0 = nothing pending */
    const char *last_error;    /* of the queue's head, or of the newest failed one */
} tk_callback;

typedef struct {
    int64_t id, callback_id, event_id, timeline_id, created_at;
    const char *status; /* pending, delivered, failed */
    int64_t attempts, next_at, last_status, delivered_at;
    const char *last_error;
    /* What is sent, read from the event and its timeline row. */
    const char *number, *external_ref, *action, *from_state, *to_state, *note;
    int64_t at;
    const char *merged_into_number; /* NULL = not merged */
    int64_t satisfaction;           /* 0 = none */
} tk_delivery;

const char *tk_delivery_status_label(const char *status);
/* The labels of the change and of the state it led to (已合并 for a merged report);
 * the code itself where there is no label. */
const char *tk_delivery_action_label(const tk_delivery *d);
const char *tk_delivery_state_label(const tk_delivery *d);
/* A new secret: TK_CALLBACK_SECRET_LEN hex characters. */
void tk_callback_secret_new(char out[TK_CALLBACK_SECRET_LEN + 1]);

typedef void (*tk_callback_fn)(void *ctx, const tk_callback *cb);
tk_status tk_callbacks_list(tk_conn *c, tk_arena *a, tk_callback_fn fn, void *ctx, tk_error *err);
tk_status tk_callback_get(tk_conn *c, tk_arena *a, int64_t id, tk_callback *out, tk_error *err);
/* The account must be an enabled integration account without a callback. */
tk_status tk_callback_create(tk_conn *c, int64_t user_id, const char *url, bool active,
                             const char *secret, int64_t now, int64_t *id, tk_error *err);
/* url and secret NULL, active < 0: left as they are. */
tk_status tk_callback_update(tk_conn *c, int64_t id, const char *url, int active,
                             const char *secret, int64_t now, tk_error *err);
tk_status tk_callback_delete(tk_conn *c, int64_t id, tk_error *err);

typedef void (*tk_delivery_fn)(void *ctx, const tk_delivery *d);
/* A callback's deliveries, newest first, below before_id (0 = from the newest);
 * status NULL = all. */
tk_status tk_deliveries_list(tk_conn *c, tk_arena *a, int64_t callback_id, const char *status,
                             int64_t before_id, int limit, tk_delivery_fn fn, void *ctx, bool *more,
                             tk_error *err);
tk_status tk_delivery_get(tk_conn *c, tk_arena *a, int64_t callback_id, int64_t id,
                          tk_delivery *out, tk_error *err);

/* The sender's side. A due delivery: the head of an active callback's queue
 * whose time has come, with where it goes. */
typedef struct {
    tk_delivery d;
    const char *url, *secret;
} tk_delivery_due;
typedef void (*tk_delivery_due_fn)(void *ctx, const tk_delivery_due *due);
/* Calls fn for each due head; *next_at: the earliest head not yet due (0 = none). */
tk_status tk_deliveries_due(tk_conn *c, tk_arena *a, int64_t now, tk_delivery_due_fn fn, void *ctx,
                            int64_t *next_at, tk_error *err);
/* The outcome of an attempt: delivered, or the next attempt scheduled (failed
 * after the last one). http_status 0 = no answer; error NULL when ok. */
tk_status tk_delivery_record(tk_conn *c, int64_t id, int64_t now, bool ok, int http_status,
                             const char *error, tk_error *err);
/* A failed delivery queued again, due now (TK_ECONFLICT when it is not failed). */
tk_status tk_delivery_retry(tk_conn *c, int64_t callback_id, int64_t id, int64_t now,
                            tk_error *err);

/* Deliveries waiting to be sent, and those that gave up (推送失败), over all callbacks. */
tk_status tk_deliveries_count(tk_conn *c, int64_t *pending, int64_t *failed, tk_error *err);

/* Called after a commit that queued deliveries (the sender's wake-up). */
void tk_callbacks_set_waker(void (*fn)(void *ctx), void *ctx);

#endif
