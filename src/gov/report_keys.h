/*
 * report_keys.h - a report sent again is answered with the event it already made.
 *
 * A phone on a weak signal, or a hotline system whose call timed out, cannot tell
 * whether its report arrived and sends it again with the same Idempotency-Key.
 * The key belongs to the account that sent it (report_keys, migration 0017). The
 * fingerprint of the report's fields tells a repeat from a different report under
 * a key already used; the latter is refused, never answered with the wrong event.
 */
#ifndef TK_REPORT_KEYS_H
#define TK_REPORT_KEYS_H

#include <stdbool.h>

#include "gov/events.h"

#define TK_REPORT_KEY_MAX 64

/* 1 to TK_REPORT_KEY_MAX characters of A-Z a-z 0-9 and "-_.:" (a UUID, a ticket number). */
bool tk_report_key_valid(const char *key);

/* SHA-256 (hex) of the report's fields as the caller sent them. */
void tk_report_fingerprint(const tk_event_new *in, char out[65]);

/* The event made by user_id's earlier report under key: *event_id 0 when there is
 * none; TK_EVALID "idempotency_key_reused" when a different report made it. */
tk_status tk_report_key_find(tk_conn *c, int64_t user_id, const char *key, const char *fingerprint,
                             int64_t *event_id, tk_error *err);

tk_status tk_report_key_remember(tk_conn *c, int64_t user_id, const char *key,
                                 const char *fingerprint, int64_t event_id, int64_t at,
                                 tk_error *err);

#endif
