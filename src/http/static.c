#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/log.h"
#include "http/internal.h"

#define MAX_STATIC_FILE (32 << 20)

typedef struct entry {
    char *path; /* relative to root */
    char *data;
    size_t len;
    char *gz; /* NULL when not worth compressing */
    size_t gzlen;
    char etag[40];
    const char *mime;
    time_t mtime;
    off_t size;
    atomic_int refs; /* the cache holds one; each response in flight holds one */
    struct entry *next;
} entry;

struct tk_static {
    char *root;
    pthread_mutex_t lock;
    entry *entries;
};

static const struct {
    const char *ext;
    const char *mime;
    bool compress;
} types[] = {
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".mjs", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json; charset=utf-8", true},
    {".geojson", "application/geo+json; charset=utf-8", true},
    {".svg", "image/svg+xml", true},
    {".txt", "text/plain; charset=utf-8", true},
    {".csv", "text/csv; charset=utf-8", true},
    {".map", "application/json; charset=utf-8", true},
    {".png", "image/png", false},
    {".jpg", "image/jpeg", false},
    {".jpeg", "image/jpeg", false},
    {".webp", "image/webp", false},
    {".ico", "image/x-icon", false},
    {".woff2", "font/woff2", false},
    {".webmanifest", "application/manifest+json", true},
};

static int type_index(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return (int)i;
    return -1;
}

tk_static *tk_static_new(const char *root)
{
    tk_static *s = tk_xcalloc(1, sizeof *s);
    s->root = tk_xstrdup(root);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void entry_release(entry *e)
{
    if (atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    free(e->path);
    free(e->data);
    free(e->gz);
    free(e);
}

void tk_static_free(tk_static *s)
{
    if (!s)
        return;
    for (entry *e = s->entries, *next; e; e = next) {
        next = e->next;
        entry_release(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->root);
    free(s);
}

static char *gzip(const char *data, size_t len, size_t *outlen)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    char *out = tk_xmalloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *outlen >= len) {
        free(out);
        return NULL;
    }
    return out;
}

static entry *load_entry(const char *full, const char *rel, const struct stat *st, int type)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    entry *e = tk_xcalloc(1, sizeof *e);
    e->len = (size_t)st->st_size;
    e->data = tk_xmalloc(e->len + 1);
    size_t got = 0;
    while (got < e->len) {
        ssize_t n = read(fd, e->data + got, e->len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != e->len) {
        free(e->data);
        free(e);
        return NULL;
    }
    e->path = tk_xstrdup(rel);
    e->mime = type >= 0 ? types[type].mime : "application/octet-stream";
    if (type >= 0 && types[type].compress && e->len > 512)
        e->gz = gzip(e->data, e->len, &e->gzlen);
    unsigned char hash[16];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)e->data, e->len, NULL, 0);
    e->etag[0] = '"';
    tk_hex(hash, sizeof hash, e->etag + 1);
    e->etag[33] = '"';
    e->etag[34] = '\0';
    e->mtime = st->st_mtime;
    e->size = st->st_size;
    atomic_init(&e->refs, 1);
    return e;
}

/* Returns the entry with a reference taken for the caller, or NULL. */
static entry *lookup(tk_static *s, const char *rel, const char *full, const struct stat *st)
{
    pthread_mutex_lock(&s->lock);
    entry **pp = &s->entries;
    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->path, rel) != 0)
            continue;
        entry *e = *pp;
        if (e->mtime == st->st_mtime && e->size == st->st_size) {
            atomic_fetch_add(&e->refs, 1);
            pthread_mutex_unlock(&s->lock);
            return e;
        }
        *pp = e->next; /* stale: drop it and load again */
        entry_release(e);
        break;
    }
    entry *e = load_entry(full, rel, st, type_index(rel));
    if (e) {
        e->next = s->entries;
        s->entries = e;
        atomic_fetch_add(&e->refs, 1);
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* No "..", no hidden files, no empty segments. */
static bool safe_path(const char *p)
{
    if (strlen(p) > 512)
        return false;
    for (const char *seg = p; *seg;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 && end)
            return false;
        if (n > 0 && seg[0] == '.')
            return false;
        if (!end)
            break;
        seg = end + 1;
    }
    return strchr(p, '\\') == NULL;
}

static void release_cb(void *cls)
{
    entry_release(cls);
}

static bool accepts_gzip(tk_req *r)
{
    const char *ae = tk_req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return ae && strstr(ae, "gzip") != NULL;
}

static bool etag_matches(const char *inm, const char *etag)
{
    return inm && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

static void serve_from(tk_req *r, tk_static *s);

void tk_static_handler(tk_req *r)
{
    if (strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个地址：%s", r->path);
        return;
    }
    serve_from(r, r->in->srv->statics);
}

void tk_vendor_handler(tk_req *r)
{
    serve_from(r, r->in->srv->vendor);
}

static void serve_from(tk_req *r, tk_static *s)
{
    const char *tail = tk_req_param(r, "path");
    char rel[600];
    if (!tail || !*tail)
        snprintf(rel, sizeof rel, "index.html");
    else if (tail[strlen(tail) - 1] == '/')
        snprintf(rel, sizeof rel, "%sindex.html", tail);
    else
        snprintf(rel, sizeof rel, "%s", tail);
    if (!safe_path(rel)) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个文件");
        return;
    }
    char full[1200];
    snprintf(full, sizeof full, "%s/%s", s->root, rel);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
        char loc[700];
        snprintf(loc, sizeof loc, "/%s/", rel);
        tk_req_add_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        tk_reply_empty(r, 301);
        return;
    }
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_STATIC_FILE) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个文件：/%s", rel);
        return;
    }
    entry *e = lookup(s, rel, full, &st);
    if (!e) {
        tk_reply_fail(r, TK_EIO, "static_read", "文件读取失败");
        return;
    }
    if (etag_matches(tk_req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), e->etag)) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, e->etag);
        entry_release(e);
        tk_reply_response(r, 304, resp);
        return;
    }
    bool gz = e->gz && accepts_gzip(r);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        gz ? e->gzlen : e->len, gz ? e->gz : e->data, release_cb, e);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, e->mime);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, e->etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (e->gz)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (gz)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    tk_reply_response(r, 200, resp);
}
