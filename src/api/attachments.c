/*
 * attachments.c - photos of events over HTTP (the domain is gov/attachments.c).
 *
 * POST /api/v1/events/{id}/attachments
 *      multipart/form-data: "file" (one JPEG, PNG or WebP, at most 5 MiB) and
 *      optional kind (before|after|near|far|other, default other), lng and lat
 *      (together), taken_at (ISO time)
 *      201 {"id","event_id","sha256","size","mime","kind","lng","lat","taken_at",
 *           "created_at","url"}; 200 with the row already there when the same photo
 *      was added as the same kind before (an upload sent again adds nothing)
 *      404 event not visible, 403 not the reporter / grid worker / assignee / desk,
 *      409 event finished or already 9 photos, 413 photo_too_large,
 *      415 not an image (by its bytes), 422 bad metadata (with field)
 * GET  /api/v1/attachments/{sha256}
 *      the bytes, Content-Type sniffed from them, ETag the sha256, 304 on
 *      If-None-Match; 404 unless the caller may see an event that uses them
 *
 * An upload is checked against the event on a read connection first (so nobody
 * fills the disk with photos for events they may not touch), then hashed and
 * written durably on the app's attachment pool (off the HTTP threads), and only
 * then the row, the timeline entry and the audit record (event.attach) commit
 * together; the write job checks the event and the limit again.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"
#include "gov/attachments.h"
#include "http/multipart.h"

#define MAX_PARTS         8
#define MAX_FIELD_BYTES   64
#define TAKEN_AT_SLACK_MS (24LL * 3600 * 1000) /* camera clocks run ahead */

typedef struct {
    tk_attachment in;  /* what was sent (sha256 once stored) */
    tk_attachment out; /* the committed row */
    const void *bytes; /* the photo, inside r->body */
    size_t len;
    const char *dir; /* where blobs live (the app's) */
    char sha256[65];
    tk_error refusal; /* a refusal found before storing (refused_run) */
    bool repeated;    /* the same photo was there already: nothing added */
} upload_ctx;

static const char *url_of(tk_req *r, const char *sha256)
{
    return tk_arena_printf(r->arena, "/api/v1/attachments/%s", sha256);
}

/* A text field's value as a C string: short, no NUL, valid UTF-8. */
static tk_status field_text(tk_req *r, const tk_multipart_part *p, const char **out, tk_error *err)
{
    const char *name = tk_arena_strndup(r->arena, p->name.ptr, p->name.len);
    if (p->data.len > MAX_FIELD_BYTES || memchr(p->data.ptr, '\0', p->data.len) ||
        tk_utf8_length(p->data.ptr, p->data.len) < 0)
        return tk_fail_field(err, name, "字段 %s 的值过长或不是有效文本", name);
    *out = tk_arena_strndup(r->arena, p->data.ptr, p->data.len);
    return TK_OK;
}

static tk_status parse_number(const char *field, const char *text, double lo, double hi,
                              double *out, tk_error *err)
{
    if (!tk_parse_double(text, out) || *out < lo || *out > hi)
        return tk_fail_field(err, field, "%s 需要 %g 到 %g 之间的数值", field, lo, hi);
    return TK_OK;
}

/* kind (default other), lng and lat (both or neither), taken_at into *in. */
static tk_status read_metadata(const char *kind, const char *lng, const char *lat,
                               const char *taken_at, tk_attachment *in, tk_error *err)
{
    in->kind = kind ? kind : "other";
    if (!tk_attach_kind_label(in->kind))
        return tk_fail_field(err, "kind",
                             "照片类型需要 before（处置前）、after（处置后）、"
                             "near（近景）、far（远景）或 other（其他）");
    if (!lng != !lat)
        return tk_fail_field(err, lng ? "lat" : "lng", "经纬度需要同时提供");
    if (lng) {
        if (parse_number("lng", lng, 73, 136, &in->lng, err) != TK_OK ||
            parse_number("lat", lat, 3, 54, &in->lat, err) != TK_OK)
            return err->status;
        in->has_point = true;
    }
    if (taken_at) {
        if (!tk_time_parse(taken_at, &in->taken_at))
            return tk_fail_field(err, "taken_at",
                                 "拍摄时间需要 ISO 时间，如 2026-03-02T09:30:00+08:00");
        if (in->taken_at > tk_now_ms() + TAKEN_AT_SLACK_MS)
            return tk_fail_field(err, "taken_at", "拍摄时间晚于当前时间");
    }
    return TK_OK;
}

/* The form: exactly one "file", the optional metadata fields, nothing else. */
static tk_status read_form(tk_req *r, upload_ctx *x, tk_error *err)
{
    tk_slice boundary;
    tk_multipart_part parts[MAX_PARTS];
    int n;
    if (tk_multipart_boundary(tk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE), &boundary, err) !=
            TK_OK ||
        tk_multipart_parse((tk_slice){r->body.data, r->body.len}, boundary, parts, MAX_PARTS, &n,
                           err) != TK_OK)
        return err->status;
    static const char *const names[] = {"file", "kind", "lng", "lat", "taken_at"};
    const char *values[5] = {NULL};
    const tk_multipart_part *file = NULL;
    for (int i = 0; i < n; i++) {
        const tk_multipart_part *p = &parts[i];
        size_t k = 0;
        while (k < 5 && !tk_slice_eq(p->name, names[k]))
            k++;
        const char *shown = tk_arena_strndup(r->arena, p->name.ptr, p->name.len);
        if (k == 5)
            return tk_fail_field(err, shown,
                                 "不认识的字段 %s（可用：file、kind、lng、lat、taken_at）", shown);
        if ((k == 0 && file) || (k > 0 && values[k]))
            return tk_fail_field(err, shown, "字段 %s 重复（每次只能上传一张照片）", shown);
        if (k == 0)
            file = p;
        else if (field_text(r, p, &values[k], err) != TK_OK)
            return err->status;
    }
    if (!file)
        return tk_fail_field(err, "file", "需要在字段 file 中上传一张照片");
    if (file->data.len > TK_ATTACH_MAX_BYTES)
        return tk_fail(err, TK_ETOOBIG, "photo_too_large", "照片超过 %d MiB 上限",
                       TK_ATTACH_MAX_BYTES >> 20);
    x->in.mime = tk_attach_sniff(file->data.ptr, file->data.len);
    if (!x->in.mime)
        return tk_fail(err, TK_EMEDIA, "unsupported_media_type",
                       "只能上传 JPEG、PNG 或 WebP 格式的照片（按文件内容识别）");
    x->bytes = file->data.ptr;
    x->len = file->data.len;
    x->in.size = (int64_t)file->data.len;
    return read_metadata(values[1], values[2], values[3], values[4], &x->in, err);
}

/* A refusal found before anything was stored, answered through an op so that
 * its audit record names the event like any refused write. */
static tk_status refused_run(tk_conn *c, api_op *op, tk_error *err)
{
    upload_ctx *x = op->data;
    *err = x->refusal;
    return err->status;
}

static void refuse_upload(tk_req *r, upload_ctx *x, const tk_error *err)
{
    x->refusal = *err;
    api_op *op = api_op_new(r, "event", refused_run, NULL, x);
    op->action = "event.attach";
    api_op_target(op, x->in.event_id);
    api_op_submit(op);
}

/* Before anything is stored: the event is visible (404 otherwise, like a read),
 * the caller may add to it and it has room (refusals audited). */
static bool precheck(tk_req *r, upload_ctx *x)
{
    tk_error err;
    tk_conn *c = api_reader(r);
    if (!c)
        return false;
    tk_event ev;
    int64_t n = 0;
    if (tk_event_get(c, r->arena, api_who(r), x->in.event_id, &ev, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    if (tk_attach_may_add(&ev, api_who(r), &err) != TK_OK) {
        refuse_upload(r, x, &err);
        return false;
    }
    if (tk_attach_count(c, ev.id, &n, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    if (n >= TK_ATTACH_MAX_PER_EVENT) {
        tk_fail(&err, TK_ECONFLICT, "too_many_photos", "每个事件最多 %d 张照片",
                TK_ATTACH_MAX_PER_EVENT);
        refuse_upload(r, x, &err);
        return false;
    }
    return true;
}

static tk_status upload_run(tk_conn *c, api_op *op, tk_error *err)
{
    upload_ctx *x = op->data;
    tk_arena *a = tk_arena_new(16384);
    tk_status st = tk_attach_add(c, a, api_who(op->r), &x->in, &x->out, &x->repeated, err);
    /* The row's strings are the request's own (the same content, hence type, and kind). */
    x->out.sha256 = x->in.sha256;
    x->out.mime = x->in.mime;
    x->out.kind = x->in.kind;
    tk_arena_free(a);
    if (st == TK_OK && x->repeated) {
        api_op_detail(op, "attachment_id", json_integer(x->out.id));
        api_op_detail(op, "repeated", json_true());
    } else if (st == TK_OK) {
        api_op_detail(op, "attachment_id", json_integer(x->out.id));
        api_op_detail(op, "sha256", json_string(x->sha256));
        api_op_detail(op, "kind", json_string(x->in.kind));
        api_op_detail(op, "mime", json_string(x->in.mime));
        api_op_detail(op, "size", json_integer(x->in.size));
    }
    return st;
}

static json_t *attachment_json(tk_req *r, const tk_attachment *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "event_id", json_integer(a->event_id));
    json_object_set_new(o, "sha256", json_string(a->sha256));
    json_object_set_new(o, "size", json_integer(a->size));
    json_object_set_new(o, "mime", json_string(a->mime));
    json_object_set_new(o, "kind", json_string(a->kind));
    json_object_set_new(o, "kind_label", json_string(tk_attach_kind_label(a->kind)));
    json_object_set_new(o, "lng", a->has_point ? json_real(a->lng) : json_null());
    json_object_set_new(o, "lat", a->has_point ? json_real(a->lat) : json_null());
    json_object_set_new(o, "taken_at", api_time(a->taken_at));
    json_object_set_new(o, "created_at", api_time(a->created_at));
    json_object_set_new(o, "url", json_string(url_of(r, a->sha256)));
    return o;
}

static void upload_reply(tk_req *r, api_op *op)
{
    upload_ctx *x = op->data;
    tk_req_add_header(r, MHD_HTTP_HEADER_LOCATION, url_of(r, x->sha256));
    tk_reply_json(r, x->repeated ? 200 : 201, attachment_json(r, &x->out));
}

/* On the attachment pool: hash and store the bytes durably. */
static tk_status store_blob(void *arg, tk_error *err)
{
    upload_ctx *x = arg;
    return tk_attach_store(x->dir, x->bytes, x->len, x->sha256, err);
}

/* Back on an HTTP thread: the file is durable, now the row. */
static void stored(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    upload_ctx *x = arg;
    if (st != TK_OK) {
        tk_reply_error(r, err);
        return;
    }
    x->in.sha256 = x->sha256;
    api_op *op = api_op_new(r, "event", upload_run, upload_reply, x);
    op->action = "event.attach";
    api_op_target(op, x->in.event_id);
    api_op_submit(op);
}

void api_attachments_upload(tk_req *r)
{
    upload_ctx *x = tk_arena_zalloc(r->arena, sizeof *x);
    tk_error err;
    if (!tk_parse_i64(tk_req_param(r, "id"), &x->in.event_id)) {
        tk_reply_fail(r, TK_ENOTFOUND, "event_not_found", "没有找到该事件");
        return;
    }
    if (!precheck(r, x))
        return;
    if (read_form(r, x, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    x->dir = TK_APP(r)->attach_dir;
    tk_req_offload(r, TK_APP(r)->attach_io, store_blob, x, stored);
}

/* If-None-Match holds our ETag (a list, weak or not, or "*"). */
static bool etag_matches(const char *inm, const char *sha256)
{
    return inm && (strstr(inm, sha256) != NULL || strcmp(inm, "*") == 0);
}

static void cache_headers(struct MHD_Response *resp, const char *etag)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    /* Private: only this user's browser keeps it; no-cache: every use asks again,
     * so a caller who loses sight of the event loses the photo (a 304 is cheap). */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

void api_attachments_get(tk_req *r)
{
    tk_error err;
    const char *sha256 = tk_req_param(r, "sha256");
    tk_conn *c = api_reader(r);
    tk_attachment att;
    if (!c)
        return;
    if (tk_attach_find(c, r->arena, api_who(r), sha256, &att, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    const char *etag = tk_arena_printf(r->arena, "\"%s\"", att.sha256);
    if (etag_matches(tk_req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), att.sha256)) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp) {
            tk_reply_fail(r, TK_EINTERNAL, "response_failed", "无法生成响应");
            return;
        }
        cache_headers(resp, etag);
        tk_reply_response(r, 304, resp);
        return;
    }
    int fd;
    int64_t size;
    const char *mime;
    if (tk_attach_open(TK_APP(r)->attach_dir, att.sha256, &fd, &size, &mime, &err) != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((size_t)size, fd); /* owns fd */
    if (!resp) {
        close(fd);
        tk_reply_fail(r, TK_EINTERNAL, "response_failed", "无法生成响应");
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, mime);
    MHD_add_response_header(resp, "Content-Disposition", "inline");
    cache_headers(resp, etag);
    tk_reply_response(r, 200, resp);
}
