#include "api/sender.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/render.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pool.h"
#include "core/str.h"
#include "core/worker.h"
#include "gov/callbacks.h"
#include "gov/events.h"

#define DUE_PER_PASS    16
#define CONNECT_TIMEOUT 5000L
#define TOTAL_TIMEOUT   10000L

struct tk_sender {
    tk_app *app;
    tk_worker *worker;
    atomic_ullong delivered, refused; /* attempts since start, by outcome */
    tk_pool *pings; /* 测试推送, one at a time, off the HTTP threads and the queue */
};

typedef struct {
    tk_delivery_due items[DUE_PER_PASS];
    int n;
} due_list;

static void collect(void *ctx, const tk_delivery_due *due)
{
    due_list *l = ctx;
    if (l->n < DUE_PER_PASS)
        l->items[l->n++] = *due;
}

static char *payload(const tk_delivery *d)
{
    json_t *o = json_pack(
        "{s:I, s:I, s:s, s:o, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o}", "delivery_id",
        (json_int_t)d->id, "event_id", (json_int_t)d->event_id, "number", d->number, "external_ref",
        d->external_ref ? json_string(d->external_ref) : json_null(), "action", d->action,
        "action_label", tk_delivery_action_label(d), "from_state",
        d->from_state ? json_string(d->from_state) : json_null(), "to_state", d->to_state,
        "state_label", tk_delivery_state_label(d), "note", d->note ? d->note : "", "at",
        api_time(d->at), "merged_into",
        d->merged_into_number ? json_string(d->merged_into_number) : json_null(), "satisfaction",
        d->satisfaction ? json_integer(d->satisfaction) : json_null());
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return body;
}

/* "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" */
static void sign(const char *secret, const char *body, int64_t t, char *out, size_t size)
{
    char stamp[24];
    int n = snprintf(stamp, sizeof stamp, "%lld.", (long long)t);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1];
    tk_hex(mac, sizeof mac, hex);
    snprintf(out, size, "t=%lld,v1=%s", (long long)t, hex);
}

static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
    (void)ptr;
    (void)ctx;
    return size * n;
}

/* Ends a transfer early when the server is stopping. */
static int still_wanted(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return tk_worker_stopping(ctx) ? 1 : 0;
}

/* What went wrong, in the words of the staff who read it; libcurl's own detail after it. */
static const char *failure_text(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "对方域名无法解析";
    case CURLE_COULDNT_CONNECT:
        return "无法连接对方服务器";
    case CURLE_OPERATION_TIMEDOUT:
        return "对方服务器响应超时";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        return "HTTPS 证书或加密握手失败";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return "连接被对方中断";
    default:
        return "推送出错";
    }
}

/* Posts body to url, signed with secret; delivery names it (X-Tiaokuai-Delivery).
 * w, when not NULL, ends the transfer early once it is stopping. */
static void post_signed(tk_worker *w, const char *url, const char *secret, const char *delivery,
                        const char *body, tk_callback_outcome *out)
{
    char signature[128], delivery_header[96], sig_header[160];
    sign(secret, body, tk_now_ms() / 1000, signature, sizeof signature);
    snprintf(delivery_header, sizeof delivery_header, "X-Tiaokuai-Delivery: %s", delivery);
    snprintf(sig_header, sizeof sig_header, "X-Tiaokuai-Signature: %s", signature);
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    headers = curl_slist_append(headers, delivery_header);
    headers = curl_slist_append(headers, sig_header);
    headers = curl_slist_append(headers, "Expect:");
    CURL *h = curl_easy_init();
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tiaokuai-callback/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    if (w) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, still_wanted);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
    }
    int64_t started = tk_monotonic_ns();
    CURLcode rc = curl_easy_perform(h);
    out->elapsed_ms = (tk_monotonic_ns() - started) / 1000000;
    out->status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    out->ok = rc == CURLE_OK && out->status >= 200 && out->status < 300;
    if (rc != CURLE_OK)
        snprintf(out->error, sizeof out->error, "%s（%s）", failure_text(rc),
                 *curl_error ? curl_error : curl_easy_strerror(rc));
    else if (!out->ok)
        snprintf(out->error, sizeof out->error, "对方返回 HTTP %ld", out->status);
    else
        out->error[0] = '\0';
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
}

static void post(tk_worker *w, const tk_delivery_due *due, tk_callback_outcome *out)
{
    char *body = payload(&due->d);
    if (!body) { /* a field that is not text: a bug, recorded as a failed attempt */
        *out = (tk_callback_outcome){.ok = false};
        snprintf(out->error, sizeof out->error, "推送内容无法生成");
        return;
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)due->d.id);
    post_signed(w, due->url, due->secret, id, body, out);
    free(body);
}

void tk_callback_ping(int64_t callback_id, const char *url, const char *secret,
                      tk_callback_outcome *out)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:o}", "action", "ping", "action_label", "测试推送",
                          "callback_id", (json_int_t)callback_id, "at", api_time(tk_now_ms()));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    post_signed(NULL, url, secret, "ping", body, out);
    free(body);
}

typedef struct {
    int64_t id;
    const tk_callback_outcome *o;
} record_job;

static tk_status record(tk_conn *c, void *arg, tk_error *err)
{
    record_job *j = arg;
    return tk_delivery_record(c, j->id, tk_now_ms(), j->o->ok, (int)j->o->status,
                              j->o->ok ? NULL : j->o->error, err);
}

/* Tries what is due now; returns the next instant a head will be due (0 = none). */
static int64_t sender_pass(void *ctx, tk_worker *w)
{
    tk_sender *s = ctx;
    for (;;) {
        tk_error err;
        tk_conn *c = tk_db_reader(s->app->db, &err);
        if (!c)
            return 0;
        tk_arena *a = tk_arena_new(16384);
        due_list due = {.n = 0};
        int64_t next = 0;
        if (tk_deliveries_due(c, a, tk_now_ms(), collect, &due, &next, &err) != TK_OK) {
            tk_warn("callback read failed", "err=\"%s\"", err.detail);
            tk_arena_free(a);
            return tk_now_ms() + 1000;
        }
        bool recorded = true;
        for (int i = 0; i < due.n && recorded && !tk_worker_stopping(w); i++) {
            tk_callback_outcome o;
            post(w, &due.items[i], &o);
            atomic_fetch_add(o.ok ? &s->delivered : &s->refused, 1);
            if (!o.ok)
                tk_info("callback failed", "delivery=%lld attempt=%lld err=\"%s\"",
                        (long long)due.items[i].d.id, (long long)due.items[i].d.attempts + 1,
                        o.error);
            record_job j = {due.items[i].d.id, &o};
            if (tk_worker_stopping(w))
                break; /* not recorded: tried again after the restart */
            recorded = tk_db_write(s->app->db, record, &j, &err) == TK_OK;
            if (!recorded)
                tk_warn("callback record failed", "err=\"%s\"", err.detail);
        }
        tk_arena_free(a);
        if (!recorded)
            return tk_now_ms() + 1000;
        if (!due.n || tk_worker_stopping(w))
            return next;
    }
}

tk_sender *tk_sender_start(tk_app *app)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tk_sender *s = tk_xcalloc(1, sizeof *s);
    s->app = app;
    s->worker = tk_worker_start(sender_pass, s);
    s->pings = tk_pool_new(1, 8);
    tk_callbacks_set_waker(tk_worker_poke, s->worker);
    return s;
}

static tk_status nothing(tk_conn *c, void *arg, tk_error *err)
{
    (void)c, (void)arg, (void)err;
    return TK_OK;
}

void tk_sender_stop(tk_sender *s)
{
    if (!s)
        return;
    /* No more wake-ups: a job queued before this one may still hold the old
     * waker; the writer has run it once this no-op job is done. */
    tk_callbacks_set_waker(NULL, NULL);
    tk_error err;
    tk_db_write(s->app->db, nothing, NULL, &err);
    tk_worker_stop(s->worker);
    tk_pool_free(s->pings);
    free(s);
    curl_global_cleanup();
}

void tk_sender_sync(tk_sender *s)
{
    tk_worker_sync(s->worker);
}

void tk_sender_stats(tk_sender *s, uint64_t *delivered, uint64_t *refused)
{
    *delivered = s ? atomic_load(&s->delivered) : 0;
    *refused = s ? atomic_load(&s->refused) : 0;
}

struct tk_pool *tk_sender_pings(tk_sender *s)
{
    return s->pings;
}
