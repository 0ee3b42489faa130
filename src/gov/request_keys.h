/*
 * request_keys.h - a write sent again is answered as the first one was.
 *
 * A phone on a weak signal, or a hotline system whose call timed out, cannot tell
 * whether its report or action arrived and sends it again with the same
 * Idempotency-Key. The key belongs to the account that sent it (request_keys,
 * migration 0017) and names the event the request made or acted on. The
 * fingerprint of what was asked tells a repeat from a different request under a
 * key already used; the latter is refused, never answered with the wrong event.
 */
#ifndef TK_REQUEST_KEYS_H
#define TK_REQUEST_KEYS_H

#include <stdbool.h>

#include "gov/events.h"

#define TK_REQUEST_KEY_MAX 64
/* How long a key is remembered: a request sent again later is a new one. */
#define TK_REQUEST_KEY_TTL_MS (24LL * 3600 * 1000)

/* 1 to TK_REQUEST_KEY_MAX characters of A-Z a-z 0-9 and "-_.:" (a UUID, a ticket number). */
bool tk_request_key_valid(const char *key);

/* SHA-256 (hex) of a report's fields as the caller sent them. */
void tk_report_fingerprint(const tk_event_new *in, char out[65]);
/* SHA-256 (hex) of an action on an event with its fields. */
void tk_action_fingerprint(int64_t event_id, const char *action, const tk_event_input *in,
                           char out[65]);

/* The event of user_id's request under key in the day before now: *event_id 0
 * when there is none; TK_EVALID "idempotency_key_reused" when a different request
 * used it. */
tk_status tk_request_key_find(tk_conn *c, int64_t user_id, const char *key, const char *fingerprint,
                              int64_t now, int64_t *event_id, tk_error *err);

/* Keeps the key (replacing an expired one of the same name) and lets two expired
 * keys go, so that the table holds about a day of keys. */
tk_status tk_request_key_remember(tk_conn *c, int64_t user_id, const char *key,
                                  const char *fingerprint, int64_t event_id, int64_t now,
                                  tk_error *err);

#endif
