/*
 * stream.c - GET /api/v1/stream: server-sent events of event changes, filtered
 * by the caller's scope. See stream.h for the design and the wire format.
 *
 * A subscriber's life: the handler creates it, adds it to the hub (with the
 * retry line and any replay already queued) and answers with a callback
 * response. MHD calls sub_read for bytes; with none queued it suspends the
 * connection and returns 0, as microhttpd.h prescribes, and whoever queues bytes
 * next resumes it. When MHD is done with the response (the stream ended, the
 * client went away, the daemon stopped) it calls sub_release, which takes the
 * subscriber out of the hub and frees it.
 *
 * Why touching the request from other threads is safe: a waker resumes only a
 * subscriber whose `suspended` flag is set, under the subscriber's lock. The flag
 * is set by sub_read in the same critical section as the suspension, and a
 * suspended connection is never completed by MHD (it is not even polled), so
 * the request and its connection are alive. The shutdown hook resumes every
 * suspended subscriber, and after it none suspends again, so MHD_stop_daemon
 * never meets a suspended stream.
 */
#include "api/stream.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/op.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "gov/access.h"
#include "gov/sessions.h"
#include "gov/units.h"
#include "http/json.h"

#define READ_BLOCK  8192
#define KEEP_BUFFER 16384 /* a drained queue keeps its buffer up to this size */

struct sub {
    struct sub *prev, *next; /* in the hub's list, under the hub's lock */
    tk_stream_hub *hub;
    tk_req *req; /* alive while the connection is suspended (see above) */
    /* The caller, copied at subscription; never changes. */
    tk_role role;
    int64_t user_id, unit_id;
    int64_t session_id, api_key_id; /* what they came with, checked at every heartbeat */
    uint64_t serial;                /* unique in the hub, given by hub_add */
    char *scope_path;
    pthread_mutex_t lock; /* guards what follows */
    char *buf;            /* queued bytes are buf[off, len) */
    size_t off, len, cap;
    bool suspended; /* sub_read suspended the connection; a waker clears it */
    bool ended;     /* end the stream once the queue is empty */
    bool dropped;   /* the queue overflowed: close the connection */
};

/* A recent change, kept for Last-Event-ID. */
typedef struct {
    int64_t seq, assignee_unit_id, called_unit_id;
    char *scope_path;
    char *msg;
    size_t len;
} recent;

struct tk_stream_hub {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;  /* the heartbeat thread's sleep */
    pthread_t heartbeat;
    bool heartbeat_running;
    int heartbeat_s;
    bool stopping; /* the heartbeat thread should exit */
    tk_db *db;     /* for the heartbeat's check of credentials */
    tk_session_limits limits;
    bool closed; /* shutting down: no new streams, open ones end */
    struct sub *subs;
    long nsubs;
    uint64_t serials; /* the last serial given to a subscriber */
    int64_t seq;      /* the last id given */
    int64_t evicted;  /* the highest id no longer in ring (ids up to it cannot be replayed) */
    recent ring[TK_STREAM_REPLAY];
    size_t ring_next, ring_count;
    uint64_t published, dropped;
};

/* The rule of visible() in gov/events.c: the scope subtree, or assigned or
 * called to the caller's unit. The observer does not say who reported an
 * event, so residents (who see only their own reports) get nothing; the
 * permission table keeps them out anyway. */
static bool sees(const struct sub *s, const char *scope_path, int64_t assignee_unit_id,
                 int64_t called_unit_id)
{
    if (s->role == TK_ROLE_RESIDENT)
        return false;
    /* An empty scope is no scope (the SQL range of VISIBLE is empty too). */
    return (s->scope_path[0] && tk_path_within(scope_path, s->scope_path)) ||
           (s->unit_id && (assignee_unit_id == s->unit_id || called_unit_id == s->unit_id));
}

/* Queues bytes; drops the subscriber instead of growing past the limit.
 * Holds the hub's lock (for the counter) and the subscriber's. */
static void put(tk_stream_hub *h, struct sub *s, const char *bytes, size_t n)
{
    if (s->ended || s->dropped)
        return;
    size_t queued = s->len - s->off;
    if (queued + n > TK_STREAM_QUEUE_MAX) {
        s->dropped = true;
        free(s->buf);
        s->buf = NULL;
        s->off = s->len = s->cap = 0;
        h->dropped++;
        tk_warn("stream dropped", "user=%lld reason=\"client too slow, %zu bytes queued\"",
                (long long)s->user_id, queued);
        return;
    }
    if (s->len + n > s->cap && s->off) {
        memmove(s->buf, s->buf + s->off, queued);
        s->off = 0;
        s->len = queued;
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        if (cap > TK_STREAM_QUEUE_MAX)
            cap = TK_STREAM_QUEUE_MAX;
        s->buf = tk_xrealloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
}

/* Lets MHD call sub_read again. Holds the subscriber's lock. */
static void wake(struct sub *s)
{
    if (s->suspended) {
        s->suspended = false;
        tk_req_resume(s->req);
    }
}

static ssize_t sub_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct sub *s = cls;
    ssize_t n;
    pthread_mutex_lock(&s->lock);
    if (s->dropped) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (s->len > s->off) {
        size_t k = s->len - s->off;
        if (k > max)
            k = max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        if (s->off == s->len) {
            s->off = s->len = 0;
            if (s->cap > KEEP_BUFFER) {
                free(s->buf);
                s->buf = NULL;
                s->cap = 0;
            }
        }
        n = (ssize_t)k;
    } else if (s->ended) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* Nothing to send. Suspending under the lock means a waker either came
         * before (and its bytes were seen above) or will see `suspended`. */
        s->suspended = true;
        tk_req_suspend(s->req);
        n = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void sub_free(struct sub *s)
{
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s->scope_path);
    free(s);
}

/* MHD is done with the response: the stream is over for good. */
static void sub_release(void *cls)
{
    struct sub *s = cls;
    tk_stream_hub *h = s->hub;
    pthread_mutex_lock(&h->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        h->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    h->nsubs--;
    long left = h->nsubs;
    pthread_mutex_unlock(&h->lock);
    tk_debug("stream closed", "user=%lld open=%ld", (long long)s->user_id, left);
    sub_free(s);
}

static recent *ring_at(tk_stream_hub *h, size_t i) /* i = 0 is the oldest */
{
    return &h->ring[(h->ring_next + TK_STREAM_REPLAY - h->ring_count + i) % TK_STREAM_REPLAY];
}

/* Queues what a client that last saw `last` has missed, or a reset when that
 * cannot be known. Holds the hub's lock and the subscriber's. */
static void replay(tk_stream_hub *h, struct sub *s, int64_t last)
{
    if (last < h->evicted || last > h->seq) {
        char msg[96];
        int n =
            snprintf(msg, sizeof msg, "id: %lld\nevent: reset\ndata: {}\n\n", (long long)h->seq);
        put(h, s, msg, (size_t)n);
        return;
    }
    for (size_t i = 0; i < h->ring_count; i++) {
        const recent *e = ring_at(h, i);
        if (e->seq > last && sees(s, e->scope_path, e->assignee_unit_id, e->called_unit_id))
            put(h, s, e->msg, e->len);
    }
}

/* Adds a subscriber with its first bytes queued; false once the hub is closed. */
static bool hub_add(tk_stream_hub *h, struct sub *s, const char *last_event_id)
{
    static const char hello[] = "retry: 3000\n\n";
    pthread_mutex_lock(&h->lock);
    if (h->closed) {
        pthread_mutex_unlock(&h->lock);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    put(h, s, hello, sizeof hello - 1);
    int64_t last;
    if (last_event_id && tk_parse_i64(last_event_id, &last))
        replay(h, s, last);
    pthread_mutex_unlock(&s->lock);
    s->serial = ++h->serials;
    s->next = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->nsubs++;
    long open = h->nsubs;
    pthread_mutex_unlock(&h->lock);
    tk_debug("stream opened", "user=%lld open=%ld", (long long)s->user_id, open);
    return true;
}

void tk_stream_hub_publish(void *ctx, int64_t event_id, const char *scope_path,
                           int64_t assignee_unit_id, int64_t called_unit_id, const char *action,
                           const char *state, const char *number)
{
    tk_stream_hub *h = ctx;
    json_t *body = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)event_id, "number",
                             number ? number : "", "action", action ? action : "", "state",
                             state ? state : "");
    size_t dlen = 0;
    char *data = body ? tk_json_dump(body, &dlen) : NULL;
    json_decref(body);
    if (!data) {
        tk_warn("stream publish failed", "event=%lld", (long long)event_id);
        return;
    }
    size_t cap = dlen + 64;
    char *msg = tk_xmalloc(cap);
    pthread_mutex_lock(&h->lock);
    if (h->closed) {
        pthread_mutex_unlock(&h->lock);
        free(msg);
        free(data);
        return;
    }
    int64_t seq = ++h->seq;
    int n = snprintf(msg, cap, "id: %lld\nevent: event\ndata: %s\n\n", (long long)seq, data);
    size_t len = n > 0 && (size_t)n < cap ? (size_t)n : 0;
    h->published++;
    for (struct sub *s = h->subs; s && len; s = s->next) {
        if (!sees(s, scope_path, assignee_unit_id, called_unit_id))
            continue;
        pthread_mutex_lock(&s->lock);
        put(h, s, msg, len);
        wake(s);
        pthread_mutex_unlock(&s->lock);
    }
    /* Kept for replay; the oldest entry gives way. */
    recent *e = &h->ring[h->ring_next];
    if (h->ring_count == TK_STREAM_REPLAY) {
        h->evicted = e->seq;
        free(e->scope_path);
        free(e->msg);
    } else {
        h->ring_count++;
    }
    *e = (recent){.seq = seq,
                  .assignee_unit_id = assignee_unit_id,
                  .called_unit_id = called_unit_id,
                  .scope_path = tk_xstrdup(scope_path ? scope_path : ""),
                  .msg = msg,
                  .len = len};
    h->ring_next = (h->ring_next + 1) % TK_STREAM_REPLAY;
    pthread_mutex_unlock(&h->lock);
    free(data);
}

void tk_stream_hub_close(void *ctx)
{
    tk_stream_hub *h = ctx;
    pthread_mutex_lock(&h->lock);
    h->closed = true;
    long open = h->nsubs;
    for (struct sub *s = h->subs; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->ended = true;
        wake(s);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&h->lock);
    if (open)
        tk_info("ending streams", "count=%ld", open);
}

typedef struct {
    uint64_t serial;
    int64_t session_id, api_key_id;
} credential;

/* Ends the streams whose session or API key no longer stands (logged out,
 * revoked, past its absolute expiry, account disabled): a stream must not
 * outlive the credential it was opened with. Called by the heartbeat thread
 * with the hub's lock held; drops it while it reads the database. */
static void end_dead_streams(tk_stream_hub *h)
{
    long n = 0, cap = h->nsubs;
    if (!cap || h->closed)
        return;
    credential *check = tk_xcalloc((size_t)cap, sizeof *check);
    for (struct sub *s = h->subs; s && n < cap; s = s->next)
        check[n++] = (credential){s->serial, s->session_id, s->api_key_id};
    pthread_mutex_unlock(&h->lock);
    bool *dead = tk_xcalloc((size_t)n, sizeof *dead);
    tk_error err;
    tk_conn *c = tk_db_reader(h->db, &err);
    for (long i = 0; c && i < n; i++) {
        bool alive = true;
        if (tk_credential_alive(c, check[i].session_id, check[i].api_key_id, &h->limits,
                                tk_now_ms(), &alive, &err) != TK_OK)
            break; /* the database is failing: keep the streams, try again later */
        dead[i] = !alive;
    }
    pthread_mutex_lock(&h->lock);
    /* A subscriber may have gone meanwhile (and another taken its memory): end
     * only those still in the list, known by serial. */
    for (struct sub *s = h->subs; s; s = s->next)
        for (long i = 0; i < n; i++)
            if (dead[i] && check[i].serial == s->serial) {
                pthread_mutex_lock(&s->lock);
                s->ended = true;
                wake(s);
                pthread_mutex_unlock(&s->lock);
                tk_info("stream ended", "user=%lld reason=\"credential no longer valid\"",
                        (long long)s->user_id);
            }
    free(dead);
    free(check);
}

static void *heartbeat_main(void *arg)
{
    static const char ping[] = ": ping\n\n";
    tk_stream_hub *h = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += h->heartbeat_s;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        pthread_cond_timedwait(&h->wake, &h->lock, &next);
        if (h->stopping)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec < next.tv_nsec))
            continue; /* woken early */
        for (struct sub *s = h->closed ? NULL : h->subs; s; s = s->next) {
            pthread_mutex_lock(&s->lock);
            put(h, s, ping, sizeof ping - 1);
            wake(s);
            pthread_mutex_unlock(&s->lock);
        }
        end_dead_streams(h);
        next = now;
        next.tv_sec += h->heartbeat_s;
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

tk_stream_hub *tk_stream_hub_new(int heartbeat_s, tk_db *db, const tk_session_limits *limits)
{
    tk_stream_hub *h = tk_xcalloc(1, sizeof *h);
    h->db = db;
    h->limits = *limits;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wake, &attr);
    pthread_condattr_destroy(&attr);
    h->heartbeat_s = heartbeat_s > 0 ? heartbeat_s : 15;
    /* Ids go on from the wall clock (ms x 1000), not from 0, so they grow
     * across restarts. Real time on purpose: the manual test clock may go back. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->seq = h->evicted = ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) * 1000;
    int rc = pthread_create(&h->heartbeat, NULL, heartbeat_main, h);
    h->heartbeat_running = rc == 0;
    if (rc != 0)
        tk_errlog("stream heartbeat not started", "err=\"%s\"", strerror(rc));
    return h;
}

void tk_stream_hub_free(tk_stream_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    if (h->heartbeat_running)
        pthread_join(h->heartbeat, NULL);
    if (h->nsubs)
        tk_warn("streams left at exit", "count=%ld", h->nsubs);
    for (struct sub *s = h->subs, *next; s; s = next) {
        next = s->next;
        sub_free(s);
    }
    for (size_t i = 0; i < h->ring_count; i++) {
        recent *e = ring_at(h, i);
        free(e->scope_path);
        free(e->msg);
    }
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void tk_stream_hub_stats(tk_stream_hub *h, tk_stream_stats *out)
{
    pthread_mutex_lock(&h->lock);
    out->subscribers = h->nsubs;
    out->published = h->published;
    out->dropped = h->dropped;
    pthread_mutex_unlock(&h->lock);
}

void api_stream(tk_req *r)
{
    tk_app *app = TK_APP(r);
    const tk_identity *who = api_who(r);
    struct sub *s = tk_xcalloc(1, sizeof *s);
    s->hub = app->stream;
    s->req = r;
    s->role = who->role;
    s->user_id = who->user_id;
    s->unit_id = who->unit_id;
    s->session_id = who->session_id;
    s->api_key_id = who->api_key_id;
    s->scope_path = tk_xstrdup(who->scope_path ? who->scope_path : "");
    pthread_mutex_init(&s->lock, NULL);
    if (!hub_add(app->stream, s, tk_req_header(r, "Last-Event-ID"))) {
        sub_free(s);
        tk_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "3");
        tk_reply_fail(r, TK_EUNAVAIL, "shutting_down", "服务正在停止，请稍后重新连接");
        return;
    }
    /* From here the response owns s: sub_release runs when MHD is done with it. */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, READ_BLOCK, sub_read, s, sub_release);
    if (!resp) {
        sub_release(s);
        tk_reply_fail(r, TK_EINTERNAL, "stream_failed", "无法建立实时推送连接");
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    tk_reply_response(r, 200, resp);
}
