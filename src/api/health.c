/*
 * health.c - GET /healthz (liveness and database) and GET /metrics (Prometheus).
 */
#include <string.h>

#include "api/app.h"
#include "api/sender.h"
#include "api/stream.h"
#include "core/clock.h"
#include "gov/callbacks.h"

static bool database_ok(tk_app *app)
{
    tk_error err;
    tk_conn *c = tk_db_reader(app->db, &err);
    if (!c)
        return false;
    tk_stmt *s = tk_prepare(c, "SELECT 1", &err);
    if (!s)
        return false;
    bool ok = tk_step(s, &err) == 1;
    tk_reset(s);
    return ok;
}

void api_healthz(tk_req *r)
{
    tk_app *app = TK_APP(r);
    bool db_ok = database_ok(app);
    json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "status", db_ok ? "ok" : "degraded", "version",
                             TK_VERSION, "database", db_ok ? "ok" : "error", "uptime_s",
                             (json_int_t)((tk_now_ms() - app->started_ms) / 1000));
    tk_reply_json(r, db_ok ? 200 : 503, body);
}

static void render_store(tk_app *app, tk_buf *out)
{
    tk_db_stats st;
    tk_db_stats_get(app->db, &st);
    tk_buf_printf(out,
                  "# HELP tiaokuai_write_queue_depth Write jobs waiting for the writer.\n"
                  "# TYPE tiaokuai_write_queue_depth gauge\n"
                  "tiaokuai_write_queue_depth %lld\n"
                  "# HELP tiaokuai_write_jobs_total Write jobs run by the writer.\n"
                  "# TYPE tiaokuai_write_jobs_total counter\n"
                  "tiaokuai_write_jobs_total %llu\n"
                  "# HELP tiaokuai_write_jobs_failed_total Write jobs rolled back.\n"
                  "# TYPE tiaokuai_write_jobs_failed_total counter\n"
                  "tiaokuai_write_jobs_failed_total %llu\n"
                  "# HELP tiaokuai_write_batch_size Jobs per group commit.\n"
                  "# TYPE tiaokuai_write_batch_size histogram\n",
                  (long long)st.queue_depth, (unsigned long long)st.jobs,
                  (unsigned long long)st.failed_jobs);
    unsigned long long cumulative = 0;
    for (int i = 0; i < TK_DB_BATCH_BUCKETS; i++) {
        cumulative += st.batch_hist[i];
        if (i < TK_DB_BATCH_BUCKETS - 1)
            tk_buf_printf(out, "tiaokuai_write_batch_size_bucket{le=\"%d\"} %llu\n", 1 << i,
                          cumulative);
    }
    tk_buf_printf(out,
                  "tiaokuai_write_batch_size_bucket{le=\"+Inf\"} %llu\n"
                  "tiaokuai_write_batch_size_sum %llu\n"
                  "tiaokuai_write_batch_size_count %llu\n",
                  cumulative, (unsigned long long)st.jobs, (unsigned long long)st.batches);
}

static void render_stream(tk_app *app, tk_buf *out)
{
    tk_stream_stats st = {0};
    if (app->stream)
        tk_stream_hub_stats(app->stream, &st);
    tk_buf_printf(out,
                  "# HELP tiaokuai_stream_subscribers Open live streams (GET /api/v1/stream).\n"
                  "# TYPE tiaokuai_stream_subscribers gauge\n"
                  "tiaokuai_stream_subscribers %ld\n"
                  "# HELP tiaokuai_stream_published_total Event changes sent to the live stream.\n"
                  "# TYPE tiaokuai_stream_published_total counter\n"
                  "tiaokuai_stream_published_total %llu\n"
                  "# HELP tiaokuai_stream_dropped_total Live streams dropped for a full queue.\n"
                  "# TYPE tiaokuai_stream_dropped_total counter\n"
                  "tiaokuai_stream_dropped_total %llu\n",
                  st.subscribers, (unsigned long long)st.published, (unsigned long long)st.dropped);
}

static void render_callbacks(tk_app *app, tk_buf *out)
{
    uint64_t delivered, refused;
    tk_sender_stats(app->sender, &delivered, &refused);
    tk_buf_printf(out,
                  "# HELP tiaokuai_callback_attempts_total Posts to callbacks since the start, by "
                  "outcome.\n"
                  "# TYPE tiaokuai_callback_attempts_total counter\n"
                  "tiaokuai_callback_attempts_total{outcome=\"delivered\"} %llu\n"
                  "tiaokuai_callback_attempts_total{outcome=\"refused\"} %llu\n",
                  (unsigned long long)delivered, (unsigned long long)refused);
    int64_t pending, failed;
    tk_error err;
    tk_conn *c = tk_db_reader(app->db, &err);
    if (!c || tk_deliveries_count(c, &pending, &failed, &err) != TK_OK)
        return; /* the database did not answer: /healthz says so */
    tk_buf_printf(
        out,
        "# HELP tiaokuai_callback_pending Changes waiting to be posted to callbacks.\n"
        "# TYPE tiaokuai_callback_pending gauge\n"
        "tiaokuai_callback_pending %lld\n"
        "# HELP tiaokuai_callback_failed Deliveries that gave up (推送失败), waiting for an "
        "admin.\n"
        "# TYPE tiaokuai_callback_failed gauge\n"
        "tiaokuai_callback_failed %lld\n",
        (long long)pending, (long long)failed);
}

void api_metrics(tk_req *r)
{
    tk_app *app = TK_APP(r);
    tk_buf out;
    tk_buf_init(&out, 16 << 20);
    tk_buf_printf(&out,
                  "# HELP tiaokuai_uptime_seconds Seconds since the server started.\n"
                  "# TYPE tiaokuai_uptime_seconds gauge\n"
                  "tiaokuai_uptime_seconds %lld\n"
                  "# HELP tiaokuai_http_in_flight Requests being processed.\n"
                  "# TYPE tiaokuai_http_in_flight gauge\n"
                  "tiaokuai_http_in_flight %ld\n",
                  (long long)((tk_now_ms() - app->started_ms) / 1000),
                  tk_server_in_flight(app->server));
    tk_metrics_render(tk_server_metrics(app->server), &out);
    render_store(app, &out);
    render_stream(app, &out);
    render_callbacks(app, &out);
    size_t len;
    char *text = tk_buf_take(&out, &len);
    if (!text) {
        tk_reply_fail(r, TK_EINTERNAL, "metrics_too_large", "指标输出过大");
        return;
    }
    tk_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, true);
}
