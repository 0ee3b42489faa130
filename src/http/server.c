/*
 * server.c - request lifecycle on libmicrohttpd.
 *
 * MHD calls on_request for the headers, again for each piece of body, and once
 * more with no data when the body is complete. We dispatch once the body is
 * complete (or at once for requests without one). A handler that writes
 * suspends the connection; the writer thread resumes it after the commit, and the
 * next call to on_request runs the handler's `then`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/json.h"
#include "http/problem.h"

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    tk_server *srv = cls;
    tk_arena *arena = tk_arena_new(8192);
    tk_req *r = tk_arena_zalloc(arena, sizeof *r);
    r->arena = arena;
    r->app = srv->app;
    r->started_ns = tk_monotonic_ns();
    r->in = tk_arena_zalloc(arena, sizeof *r->in);
    r->in->conn = conn;
    r->in->srv = srv;
    r->in->uri = tk_arena_strdup(arena, uri ? uri : "/");
    r->in->route_index = (size_t)-1;
    tk_buf_init(&r->body, (size_t)srv->cfg->max_body);
    atomic_fetch_add(&srv->in_flight, 1);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    tk_server *srv = cls;
    tk_req *r = *con_cls;
    if (!r)
        return;
    int status = r->in->status ? r->in->status : 499; /* client went away */
    tk_metrics_observe(srv->metrics, r->in->route_index, status, tk_monotonic_ns() - r->started_ns);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && toe != MHD_REQUEST_TERMINATED_CLIENT_ABORT)
        tk_debug("request ended early", "path=\"%s\" reason=%d", r->path ? r->path : "", (int)toe);
    if (r->in->resp)
        MHD_destroy_response(r->in->resp);
    json_decref(r->in->json);
    tk_buf_free(&r->body);
    tk_arena_free(r->arena);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

const char *tk_req_param(tk_req *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->param_names[i], name) == 0)
            return r->param_values[i];
    return NULL;
}

const char *tk_req_query(tk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->in->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *tk_req_header(tk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->in->conn, MHD_HEADER_KIND, name);
}

const char *tk_req_cookie(tk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->in->conn, MHD_COOKIE_KIND, name);
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    tk_slice s = tk_slice_of(ct), type;
    tk_slice_cut(&s, ';', &type);
    type = tk_slice_trim(type);
    return type.len == 16 && strncasecmp(type.ptr, "application/json", 16) == 0;
}

json_t *tk_req_json(tk_req *r, tk_error *err)
{
    struct tk_req_internal *in = r->in;
    if (!in->json_parsed) {
        in->json_parsed = true;
        if (!is_json_type(tk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
            tk_fail(&in->json_err, TK_EMEDIA, "unsupported_media_type",
                    "请求体需要 Content-Type: application/json");
        else if (r->body.len > (size_t)in->srv->cfg->max_json)
            tk_fail(&in->json_err, TK_ETOOBIG, "body_too_large", "JSON 请求体超过 %lld 字节",
                    (long long)in->srv->cfg->max_json);
        else
            in->json = tk_json_parse(r->body.data, r->body.len, TK_JSON_MAX_DEPTH, &in->json_err);
    }
    if (!in->json && err)
        *err = in->json_err;
    return in->json;
}

json_t *tk_req_json_object(tk_req *r, tk_error *err)
{
    json_t *v = tk_req_json(r, err);
    if (v && !json_is_object(v)) {
        tk_fail(err, TK_EINVAL, "invalid_json", "请求体需要是 JSON 对象");
        return NULL;
    }
    return v;
}

bool tk_req_replied(tk_req *r)
{
    return r->in->resp != NULL || r->in->phase == PHASE_REPLIED;
}

void tk_req_add_header(tk_req *r, const char *name, const char *value)
{
    header_kv *h = tk_arena_alloc(r->arena, sizeof *h);
    h->name = tk_arena_strdup(r->arena, name);
    h->value = tk_arena_strdup(r->arena, value);
    h->next = r->in->headers;
    r->in->headers = h;
}

void tk_reply_response(tk_req *r, int status, struct MHD_Response *resp)
{
    if (tk_req_replied(r)) {
        MHD_destroy_response(resp);
        return;
    }
    for (header_kv *h = r->in->headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    r->in->resp = resp;
    r->in->status = status;
}

void tk_reply_raw(tk_req *r, int status, const char *content_type, char *body, size_t len,
                  bool take)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        if (take)
            free(body);
        return;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    tk_reply_response(r, status, resp);
}

static void reply_json_typed(tk_req *r, int status, json_t *body, const char *type)
{
    size_t len = 0;
    char *text = tk_json_dump(body, &len);
    json_decref(body);
    if (!text) {
        tk_reply_raw(r, 500, "application/problem+json", (char *)"{}", 2, false);
        return;
    }
    tk_reply_raw(r, status, type, text, len, true);
}

void tk_reply_json(tk_req *r, int status, json_t *body)
{
    reply_json_typed(r, status, body, "application/json; charset=utf-8");
}

void tk_reply_empty(tk_req *r, int status)
{
    tk_reply_raw(r, status, NULL, (char *)"", 0, false);
}

void tk_reply_error_with(tk_req *r, const tk_error *err, json_t *extra)
{
    int status = tk_problem_http_status(err->status);
    if (status >= 500)
        tk_errlog("request failed", "path=\"%s\" code=%s detail=\"%s\"", r->path ? r->path : "",
                  err->code, err->detail);
    json_t *body = tk_problem_body(err, r->path, extra);
    reply_json_typed(r, status, body, "application/problem+json; charset=utf-8");
}

void tk_reply_error(tk_req *r, const tk_error *err)
{
    tk_reply_error_with(r, err, NULL);
}

void tk_reply_fail(tk_req *r, tk_status st, const char *code, const char *fmt, ...)
{
    tk_error err;
    va_list ap;
    va_start(ap, fmt);
    tk_vfail(&err, st, code, fmt, ap);
    va_end(ap);
    tk_reply_error(r, &err);
}

void tk_req_suspend(tk_req *r)
{
    r->in->suspended = true;
    r->in->phase = PHASE_WAITING;
    MHD_suspend_connection(r->in->conn);
}

void tk_req_resume(tk_req *r)
{
    MHD_resume_connection(r->in->conn);
}

/* Work finished elsewhere (writer or pool thread): record the outcome and let
 * MHD call on_request again. The request is suspended, so nothing else touches it. */
static void finish_work(tk_req *r, tk_status st, const tk_error *err)
{
    r->in->work_status = st;
    if (err)
        r->in->work_err = *err;
    r->in->phase = PHASE_RESUMED;
    MHD_resume_connection(r->in->conn);
}

static tk_status write_run(tk_conn *c, void *arg, tk_error *err)
{
    tk_req *r = arg;
    return r->in->run(c, r->in->run_arg, err);
}

static void work_done(void *arg, tk_status st, const tk_error *err)
{
    finish_work(arg, st, err);
}

static void begin_work(tk_req *r, void *arg, tk_then_fn then)
{
    r->in->run_arg = arg;
    r->in->then = then;
    /* Suspend first: the work may finish before the submit call returns. */
    tk_req_suspend(r);
}

void tk_req_write(tk_req *r, tk_write_fn run, void *arg, tk_then_fn then)
{
    struct tk_req_internal *in = r->in;
    in->run = run;
    in->job = (tk_write_job){.run = write_run, .done = work_done, .arg = r};
    begin_work(r, arg, then);
    tk_error err;
    if (tk_db_submit(in->srv->db, &in->job, &err) != TK_OK)
        finish_work(r, err.status, &err);
}

static tk_status offload_run(void *arg, tk_error *err)
{
    tk_req *r = arg;
    return r->in->offload(r->in->run_arg, err);
}

void tk_req_offload(tk_req *r, tk_pool *pool, tk_status (*fn)(void *arg, tk_error *err), void *arg,
                    tk_then_fn then)
{
    struct tk_req_internal *in = r->in;
    in->offload = fn;
    in->pool_job = (tk_pool_job){.run = offload_run, .done = work_done, .arg = r};
    begin_work(r, arg, then);
    tk_error err;
    if (tk_pool_submit(pool, &in->pool_job, &err) != TK_OK)
        finish_work(r, err.status, &err);
}

static enum MHD_Result queue_reply(tk_req *r)
{
    struct tk_req_internal *in = r->in;
    if (!in->resp)
        return MHD_YES; /* suspended, or a stream still deciding */
    in->phase = PHASE_REPLIED;
    enum MHD_Result ok = MHD_queue_response(in->conn, (unsigned)in->status, in->resp);
    MHD_destroy_response(in->resp);
    in->resp = NULL;
    return ok;
}

static void dispatch(tk_req *r)
{
    struct tk_req_internal *in = r->in;
    tk_server *srv = in->srv;
    if (in->body_too_big) {
        tk_reply_fail(r, TK_ETOOBIG, "body_too_large", "请求体超过上限 %lld 字节",
                      (long long)srv->cfg->max_body);
        return;
    }
    char allowed[128];
    size_t idx;
    tk_match_result m =
        tk_router_match(&srv->router, r->method, r->path, r, &idx, allowed, sizeof allowed);
    if (m == TK_MATCH_NOT_FOUND) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个地址：%s", r->path);
        return;
    }
    if (m == TK_MATCH_METHOD) {
        tk_req_add_header(r, MHD_HTTP_HEADER_ALLOW, allowed);
        tk_reply_fail(r, TK_EMETHOD, "method_not_allowed", "%s 不支持 %s，可用：%s", r->path,
                      r->method, allowed);
        return;
    }
    in->route_index = idx;
    r->route = &srv->router.routes[idx];
    if (srv->guard && !srv->guard(r))
        return; /* the guard replied, or suspended to finish its work */
    r->route->handler(r);
}

static bool request_has_body(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te != NULL || (cl && strcmp(cl, "0") != 0);
}

static void client_ip(tk_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->in->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    }
    r->client_ip = tk_arena_strdup(r->arena, buf);
}

/* First call: headers are in. Refuse an announced oversize body before reading it. */
static void on_headers(tk_req *r, const char *url, const char *method)
{
    struct tk_req_internal *in = r->in;
    r->method = tk_arena_strdup(r->arena, method);
    r->path = tk_arena_strdup(r->arena, url); /* libmicrohttpd has decoded it */
    client_ip(r);
    in->has_body = request_has_body(in->conn);
    const char *cl =
        MHD_lookup_connection_value(in->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t announced;
    if (cl && tk_parse_i64(cl, &announced) && announced > in->srv->cfg->max_body) {
        in->body_too_big = true;
        in->has_body = false; /* answer now; MHD closes the connection */
    }
}

/* Connections are welcome until the server begins to stop. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    tk_server *srv = cls;
    return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    tk_req *r = *con_cls;
    struct tk_req_internal *in = r->in;
    switch (in->phase) {
    case PHASE_HEADERS:
        on_headers(r, url, method);
        if (atomic_load(&in->srv->stopping) && !tk_req_replied(r)) {
            /* Nothing new may start (or suspend) once shutdown has begun. */
            tk_req_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
            tk_reply_fail(r, TK_EUNAVAIL, "shutting_down", "服务正在停止，请稍后重试");
        }
        if (tk_req_replied(r))
            return queue_reply(r);
        if (in->body_too_big) {
            dispatch(r); /* refuse before reading it; MHD closes the connection */
            return queue_reply(r);
        }
        /* Answer on a later call even without a body: a response queued while
         * MHD is still in the header phase makes it close the connection. */
        in->phase = PHASE_BODY;
        return MHD_YES;
    case PHASE_BODY:
        if (*upload_size) {
            if (!in->body_too_big && tk_buf_append(&r->body, upload_data, *upload_size) != TK_OK)
                in->body_too_big = true;
            *upload_size = 0;
            return MHD_YES;
        }
        dispatch(r);
        return queue_reply(r);
    case PHASE_RESUMED:
        in->suspended = false;
        in->phase = PHASE_WAITING;
        if (in->then)
            in->then(r, in->run_arg, in->work_status,
                     in->work_status == TK_OK ? NULL : &in->work_err);
        else if (in->work_status != TK_OK)
            tk_reply_error(r, &in->work_err);
        if (!tk_req_replied(r) && !in->suspended)
            tk_reply_empty(r, 204);
        return queue_reply(r);
    case PHASE_WAITING:
        /* A stream resumed to hand over its response. */
        in->suspended = false;
        return queue_reply(r);
    case PHASE_REPLIED:
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
        msg[--n] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '"')
            *p = '\'';
    tk_debug("microhttpd", "detail=\"%s\"", msg);
}

static tk_status parse_listen(const char *listen, struct sockaddr_in *addr, tk_error *err)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return tk_fail(err, TK_EINVAL, "bad_listen", "--listen 需要 主机:端口，收到 %s", listen);
    char host[64];
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host)
        return tk_fail(err, TK_EINVAL, "bad_listen", "--listen 主机名过长");
    memcpy(host, listen, hl);
    host[hl] = '\0';
    int64_t port;
    if (!tk_parse_i64(colon + 1, &port) || port < 0 || port > 65535)
        return tk_fail(err, TK_EINVAL, "bad_listen", "--listen 端口无效：%s", colon + 1);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0 || hl == 0)
        snprintf(host, sizeof host, hl ? "127.0.0.1" : "0.0.0.0");
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return tk_fail(err, TK_EINVAL, "bad_listen", "--listen 需要 IPv4 地址，收到 %s", host);
    return TK_OK;
}

static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    if (!info)
        return -1;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(info->listen_fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    return ntohs(sa.sin_port);
}

static long worker_threads(const tk_config *cfg)
{
    if (cfg->threads > 0)
        return (long)cfg->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 2;
}

tk_status tk_server_start(const tk_server_options *opt, tk_server **out, tk_error *err)
{
    struct sockaddr_in addr;
    if (parse_listen(opt->cfg->listen, &addr, err) != TK_OK)
        return TK_EINVAL;
    tk_server *srv = tk_xcalloc(1, sizeof *srv);
    srv->cfg = opt->cfg;
    srv->router = (tk_router){opt->routes, opt->nroutes};
    srv->app = opt->app;
    srv->db = opt->db;
    srv->guard = opt->guard;
    srv->metrics = tk_metrics_new(&srv->router);
    srv->statics = tk_static_new(opt->cfg->web);
    srv->vendor = tk_static_new(opt->cfg->vendor);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    srv->daemon = MHD_start_daemon(
        flags, 0, on_accept, srv, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)worker_threads(opt->cfg),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)opt->cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opt->cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->cfg->connection_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)opt->cfg->connection_memory,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        int e = errno;
        tk_metrics_free(srv->metrics);
        tk_static_free(srv->statics);
        tk_static_free(srv->vendor);
        free(srv);
        return tk_fail(err, TK_EIO, "listen_failed", "无法在 %s 上监听（%s），端口是否已被占用？",
                       opt->cfg->listen, strerror(e));
    }
    srv->port = bound_port(srv->daemon);
    *out = srv;
    return TK_OK;
}

int tk_server_port(const tk_server *s)
{
    return s->port;
}

tk_metrics *tk_server_metrics(tk_server *s)
{
    return s->metrics;
}

long tk_server_in_flight(tk_server *s)
{
    return atomic_load(&s->in_flight);
}

void tk_server_on_shutdown(tk_server *s, tk_shutdown_hook fn, void *ctx)
{
    if (s->nhooks < (int)(sizeof s->hooks / sizeof s->hooks[0]))
        s->hooks[s->nhooks++] = (struct shutdown_hook){fn, ctx};
}

void tk_server_stop(tk_server *s, int grace_ms)
{
    if (!s)
        return;
    /* From now on new connections are closed as they arrive (on_accept) and new
     * requests on open ones refused. Not MHD_quiesce_daemon: with epoll and worker
     * threads, the quiescing thread and a worker both remove the listening socket
     * from the worker's epoll set, unsynchronised, and the loser makes
     * libmicrohttpd abort ("Failed to remove listen FD from epoll set"); it did so
     * once in a test's SIGTERM under ASan. */
    atomic_store(&s->stopping, true);
    for (int i = 0; i < s->nhooks; i++)
        s->hooks[i].fn(s->hooks[i].ctx);
    int64_t deadline = tk_monotonic_ns() + (int64_t)grace_ms * 1000000;
    while (atomic_load(&s->in_flight) > 0 && tk_monotonic_ns() < deadline)
        usleep(10000);
    long left = atomic_load(&s->in_flight);
    if (left > 0)
        tk_warn("stopping with requests in flight", "count=%ld", left);
    MHD_stop_daemon(s->daemon);
    tk_metrics_free(s->metrics);
    tk_static_free(s->statics);
    tk_static_free(s->vendor);
    free(s);
}
