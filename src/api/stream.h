/*
 * stream.h - the live stream: GET /api/v1/stream, server-sent events of event
 * changes within the caller's scope (the command room, the big screen).
 *
 * A hub keeps one subscriber per open stream. The writer thread publishes each
 * committed change (tk_events_set_observer); the hub formats it once and queues
 * it for every subscriber allowed to see it. A subscriber's connection is
 * suspended while its queue is empty and resumed by whoever queues something:
 * no HTTP worker ever blocks or polls. A heartbeat thread queues a comment every
 * few seconds so dead clients are noticed. A subscriber that lets its queue
 * grow past TK_STREAM_QUEUE_MAX is dropped (its connection is closed).
 *
 * Wire format (text/event-stream):
 *   retry: 3000                      once, at the start
 *   id: <seq> / event: event / data: {"id":..,"number":..,"action":..,"state":..}
 *   : ping                           heartbeat
 *   id: <seq> / event: reset / data: {}
 *                                    the Last-Event-ID asked for is too old or
 *                                    from another run: reload, then follow on
 * Sequence numbers start from the wall clock at start-up, so an id from an
 * earlier run of the server is never taken for one of this run.
 *
 * Threads: publish runs on the writer, readers on MHD threads, the heartbeat
 * on its own thread, close on the thread stopping the server. Lock order:
 * hub, then subscriber, then (inside MHD) the daemon's.
 */
#ifndef TK_STREAM_H
#define TK_STREAM_H

#include <stdint.h>

#include "gov/sessions.h"
#include "store/db.h"

#define TK_STREAM_QUEUE_MAX (256 * 1024) /* bytes waiting per subscriber */
#define TK_STREAM_REPLAY    256          /* recent changes kept for Last-Event-ID */

typedef struct tk_stream_hub tk_stream_hub;

/* heartbeat_s: seconds between comments to every subscriber; at each, the streams
 * whose session or API key no longer stands in db (see tk_credential_alive) end. */
tk_stream_hub *tk_stream_hub_new(int heartbeat_s, tk_db *db, const tk_session_limits *limits);
/* Stops the heartbeat and frees the hub. Only once the HTTP server has stopped
 * (no subscriber left) and no publish can be running (see tk_app_close). */
void tk_stream_hub_free(tk_stream_hub *h);

/* A tk_event_observer: ctx is the hub. */
void tk_stream_hub_publish(void *ctx, int64_t event_id, const char *scope_path,
                           int64_t assignee_unit_id, int64_t called_unit_id, const char *action,
                           const char *state, const char *number);

/* A tk_shutdown_hook: ctx is the hub. Refuses new streams and ends every open
 * one (queued bytes first), resuming the suspended so that no connection is
 * left suspended when the daemon stops. */
void tk_stream_hub_close(void *ctx);

typedef struct {
    long subscribers;   /* open streams */
    uint64_t published; /* changes published */
    uint64_t dropped;   /* subscribers dropped for a full queue */
} tk_stream_stats;
void tk_stream_hub_stats(tk_stream_hub *h, tk_stream_stats *out);

#endif
