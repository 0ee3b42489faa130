/*
 * attachments.c - photos of events: sniffing, content-addressed durable storage,
 * the upload rule, rows and their timeline entry, and visibility of a blob.
 */
#include "gov/attachments.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/id.h"
#include "core/str.h"
#include "gov/event_internal.h"
#include "gov/units.h"

#define TMP_PREFIX ".tmp-"

const char *tk_attach_sniff(const void *data, size_t len)
{
    const unsigned char *b = data;
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return "image/jpeg";
    if (len >= 8 && memcmp(b, png, 8) == 0)
        return "image/png";
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

const char *tk_attach_kind_label(const char *kind)
{
    static const struct {
        const char *kind, *label;
    } kinds[] = {{"before", "处置前"},
                 {"after", "处置后"},
                 {"near", "近景"},
                 {"far", "远景"},
                 {"other", "其他"}};
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].kind, kind))
            return kinds[i].label;
    return NULL;
}

bool tk_attach_sha_valid(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- files ---- */

static tk_status io_fail(tk_error *err, const char *what, const char *path)
{
    return tk_fail(err, TK_EIO, "attachment_io", "照片存储失败（%s %s：%s）", what, path,
                   strerror(errno));
}

/* Makes the entries of a folder (a rename, a new subfolder) durable. */
static tk_status sync_dir(const char *dir, tk_error *err)
{
    return tk_fsync_path(dir, true) ? TK_OK : io_fail(err, "同步目录", dir);
}

/* mkdir that tolerates an existing folder; *made says whether it was created now. */
static tk_status ensure_dir(const char *dir, bool *made, tk_error *err)
{
    *made = false;
    if (mkdir(dir, 0750) == 0) {
        *made = true;
        return TK_OK;
    }
    struct stat st;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return TK_OK;
    return io_fail(err, "创建目录", dir);
}

/* out = "a/b"; false when it does not fit. */
static bool join_path(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    return n > 0 && (size_t)n < size;
}

static void sweep_temporaries(const char *dir)
{
    DIR *top = opendir(dir);
    if (!top)
        return;
    struct dirent *d;
    while ((d = readdir(top)) != NULL) {
        if (strlen(d->d_name) != 2 || d->d_name[0] == '.')
            continue;
        char sub[1024];
        if (!join_path(sub, sizeof sub, dir, d->d_name))
            continue;
        DIR *in = opendir(sub);
        if (!in)
            continue;
        struct dirent *f;
        while ((f = readdir(in)) != NULL) {
            char tmp[1100];
            if (strncmp(f->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
                join_path(tmp, sizeof tmp, sub, f->d_name))
                unlink(tmp);
        }
        closedir(in);
    }
    closedir(top);
}

tk_status tk_attach_dir_open(const char *dir, tk_error *err)
{
    bool made;
    char parent[1024];
    if (ensure_dir(dir, &made, err) != TK_OK)
        return err->status;
    tk_path_parent(dir, parent, sizeof parent);
    sweep_temporaries(dir);
    /* Also covers subfolders a killed process made but never synced. */
    if (sync_dir(dir, err) != TK_OK || (made && sync_dir(parent, err) != TK_OK))
        return err->status;
    return TK_OK;
}

static tk_status write_all(int fd, const void *data, size_t len, const char *path, tk_error *err)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return io_fail(err, "写入", path);
        p += w;
        len -= (size_t)w;
    }
    return TK_OK;
}

/* Writes a temporary file in the final folder, syncs it, renames it into place. */
static tk_status write_atomically(const char *sub, const char *final, const char *sha,
                                  const void *data, size_t len, tk_error *err)
{
    char rnd[17], tmp[1200];
    tk_random_hex(8, rnd);
    if (snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%.16s-%s", sub, sha, rnd) >= (int)sizeof tmp)
        return tk_fail(err, TK_EIO, "attachment_io", "照片存储路径过长");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return io_fail(err, "创建", tmp);
    tk_status st = write_all(fd, data, len, tmp, err);
    if (st == TK_OK && fsync(fd) != 0)
        st = io_fail(err, "同步", tmp);
    if (close(fd) != 0 && st == TK_OK)
        st = io_fail(err, "关闭", tmp);
    if (st == TK_OK && rename(tmp, final) != 0)
        st = io_fail(err, "重命名", final);
    if (st != TK_OK)
        unlink(tmp);
    return st;
}

tk_status tk_attach_store(const char *dir, const void *data, size_t len, char sha256[65],
                          tk_error *err)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    tk_hex(digest, sizeof digest, sha256);
    char sub[1024], final[1100], prefix[3] = {sha256[0], sha256[1], '\0'};
    if (!join_path(sub, sizeof sub, dir, prefix) || !join_path(final, sizeof final, sub, sha256))
        return tk_fail(err, TK_EIO, "attachment_io", "照片存储路径过长");
    bool made;
    if (ensure_dir(sub, &made, err) != TK_OK || (made && sync_dir(dir, err) != TK_OK))
        return err->status;
    struct stat st;
    /* Already stored (whoever renamed it synced it first): only make sure its
     * name is durable too, as a concurrent writer may not have synced the folder yet. */
    if (stat(final, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)
        return sync_dir(sub, err);
    if (write_atomically(sub, final, sha256, data, len, err) != TK_OK)
        return err->status;
    return sync_dir(sub, err);
}

tk_status tk_attach_open(const char *dir, const char *sha256, int *fd, int64_t *size,
                         const char **mime, tk_error *err)
{
    char path[1100];
    *fd = -1;
    if (!tk_attach_sha_valid(sha256))
        return tk_fail(err, TK_ENOTFOUND, "attachment_not_found", "没有找到该照片");
    if (snprintf(path, sizeof path, "%s/%.2s/%s", dir, sha256, sha256) >= (int)sizeof path)
        return tk_fail(err, TK_EIO, "attachment_io", "照片存储路径过长");
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return tk_fail(err, TK_EIO, "attachment_missing", "照片文件缺失：%s（%s）", sha256,
                       strerror(errno));
    struct stat st;
    unsigned char head[16];
    ssize_t got = -1;
    if (fstat(f, &st) == 0 && S_ISREG(st.st_mode))
        got = pread(f, head, sizeof head, 0);
    const char *type = got > 0 ? tk_attach_sniff(head, (size_t)got) : NULL;
    if (!type) {
        close(f);
        return tk_fail(err, TK_EIO, "attachment_unreadable", "照片文件无法读取：%s", sha256);
    }
    *fd = f;
    *size = (int64_t)st.st_size;
    *mime = type;
    return TK_OK;
}

tk_status tk_attach_copy(const char *from, const char *to, const char *sha256, tk_error *err)
{
    int fd;
    int64_t size;
    const char *mime;
    if (tk_attach_open(from, sha256, &fd, &size, &mime, err) != TK_OK)
        return err->status;
    tk_status st = TK_OK;
    void *data = size > TK_ATTACH_MAX_BYTES ? NULL : tk_xmalloc(size ? (size_t)size : 1);
    if (!data || pread(fd, data, (size_t)size, 0) != size)
        st = tk_fail(err, TK_EIO, "attachment_unreadable", "照片文件无法读取：%s", sha256);
    close(fd);
    char copied[65];
    if (st == TK_OK && tk_attach_store(to, data, (size_t)size, copied, err) != TK_OK)
        st = err->status;
    if (st == TK_OK && strcmp(copied, sha256) != 0)
        st = tk_fail(err, TK_EIO, "attachment_corrupt", "照片文件已损坏（内容与编号不符）：%s",
                     sha256);
    free(data);
    return st;
}

/* ---- rows ---- */

static bool is_finished(const char *state)
{
    static const char *const finished[] = {"closed", "archived", "rejected", "void"};
    for (size_t i = 0; i < sizeof finished / sizeof finished[0]; i++)
        if (!strcmp(state, finished[i]))
            return true;
    return false;
}

static bool is_assignee(const tk_event *ev, const tk_identity *who)
{
    if (ev->called_unit_id && ev->called_unit_id == who->unit_id)
        return true;
    if (ev->assignee_user_id)
        return ev->assignee_user_id == who->user_id;
    return ev->assignee_unit_id && ev->assignee_unit_id == who->unit_id;
}

tk_status tk_attach_may_add(const tk_event *ev, const tk_identity *who, tk_error *err)
{
    if (is_finished(ev->state))
        return tk_fail(err, TK_ECONFLICT, "event_finished", "事件「%s」已%s，不能再上传照片",
                       ev->number, tk_event_state_label(ev->state));
    bool in_scope = tk_path_within(ev->scope_path, who->scope_path);
    bool reporter = ev->reporter_user_id && ev->reporter_user_id == who->user_id;
    bool grid = who->role == TK_ROLE_GRID_WORKER && in_scope;
    bool desk =
        (who->role == TK_ROLE_TOWNSHIP_COMMAND || who->role == TK_ROLE_COUNTY_CENTER) && in_scope;
    if (reporter || grid || desk || is_assignee(ev, who))
        return TK_OK;
    return tk_fail(err, TK_EFORBIDDEN, "attach_forbidden",
                   "只有上报人、所在网格的网格员、承办人或指挥室可以为该事件上传照片");
}

tk_status tk_attach_count(tk_conn *c, int64_t event_id, int64_t *n, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT count(*) FROM attachments WHERE event_id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, event_id);
    int rc = tk_step(s, err);
    *n = rc == 1 ? tk_col_i64(s, 0) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The event's timeline entry for a new photo: "上传照片（处置前）". */
static tk_status note_on_timeline(tk_conn *c, tk_arena *a, const tk_event *ev,
                                  const tk_identity *who, const tk_attachment *att, tk_error *err)
{
    const char *note = tk_arena_printf(a, "上传照片（%s）", tk_attach_kind_label(att->kind));
    const char *detail =
        tk_arena_printf(a, "{\"attachment_id\":%lld,\"sha256\":\"%s\",\"kind\":\"%s\"}",
                        (long long)att->id, att->sha256, att->kind);
    if (ev_timeline(c, ev->id, att->created_at, who, "attach", ev->state, ev->state, note, detail,
                    NULL, err) != TK_OK)
        return err->status;
    ev_publish(c, ev, "attach", ev->state);
    return TK_OK;
}

#define ATTACH_COLUMNS                                                                             \
    "id, event_id, sha256, mime, kind, size, lng, lat, coalesce(taken_at, 0), "                    \
    "coalesce(uploaded_by, 0), created_at"

static void attachment_from_row(tk_stmt *s, tk_arena *a, tk_attachment *out)
{
    memset(out, 0, sizeof *out);
    out->id = tk_col_i64(s, 0);
    out->event_id = tk_col_i64(s, 1);
    out->sha256 = tk_arena_strdup(a, tk_col_text(s, 2));
    out->mime = tk_arena_strdup(a, tk_col_text(s, 3));
    out->kind = tk_arena_strdup(a, tk_col_text(s, 4));
    out->size = tk_col_i64(s, 5);
    out->has_point = !tk_col_null(s, 6) && !tk_col_null(s, 7);
    out->lng = tk_col_double(s, 6);
    out->lat = tk_col_double(s, 7);
    out->taken_at = tk_col_i64(s, 8);
    out->uploaded_by = tk_col_i64(s, 9);
    out->created_at = tk_col_i64(s, 10);
}

/* The same photo, as the same kind, already on the event: an upload sent again. */
static tk_status find_repeat(tk_conn *c, tk_arena *a, const tk_attachment *in, tk_attachment *out,
                             bool *found, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " ATTACH_COLUMNS " FROM attachments WHERE sha256 = ?1 AND "
                            "event_id = ?2 AND kind = ?3 ORDER BY id LIMIT 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, in->sha256);
    tk_bind_i64(s, 2, in->event_id);
    tk_bind_text(s, 3, in->kind);
    int rc = tk_step(s, err);
    if (rc == 1)
        attachment_from_row(s, a, out);
    tk_reset(s);
    *found = rc == 1;
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_attach_add(tk_conn *c, tk_arena *a, const tk_identity *who, const tk_attachment *in,
                        tk_attachment *out, bool *repeated, tk_error *err)
{
    if (!tk_attach_kind_label(in->kind))
        return tk_fail_field(err, "kind", "照片类型需要 before、after、near、far 或 other");
    if (!tk_attach_sha_valid(in->sha256) || !in->mime)
        return tk_fail(err, TK_EINTERNAL, "bad_attachment", "照片摘要或类型缺失");
    tk_event ev;
    int64_t n;
    if (tk_event_get(c, a, who, in->event_id, &ev, err) != TK_OK ||
        tk_attach_may_add(&ev, who, err) != TK_OK ||
        find_repeat(c, a, in, out, repeated, err) != TK_OK)
        return err->status;
    if (*repeated)
        return TK_OK;
    if (tk_attach_count(c, ev.id, &n, err) != TK_OK)
        return err->status;
    if (n >= TK_ATTACH_MAX_PER_EVENT)
        return tk_fail(err, TK_ECONFLICT, "too_many_photos", "每个事件最多 %d 张照片",
                       TK_ATTACH_MAX_PER_EVENT);
    *out = *in;
    out->uploaded_by = who->user_id;
    out->created_at = tk_now_ms();
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO attachments(event_id, sha256, size, mime, kind, lng, lat, "
                            "taken_at, uploaded_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                            "?7, ?8, ?9, ?10)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, ev.id);
    tk_bind_text(s, 2, in->sha256);
    tk_bind_i64(s, 3, in->size);
    tk_bind_text(s, 4, in->mime);
    tk_bind_text(s, 5, in->kind);
    if (in->has_point) {
        tk_bind_double(s, 6, in->lng);
        tk_bind_double(s, 7, in->lat);
    } else {
        tk_bind_null(s, 6);
        tk_bind_null(s, 7);
    }
    if (in->taken_at)
        tk_bind_i64(s, 8, in->taken_at);
    else
        tk_bind_null(s, 8);
    if (who->user_id)
        tk_bind_i64(s, 9, who->user_id);
    else
        tk_bind_null(s, 9);
    tk_bind_i64(s, 10, out->created_at);
    if (tk_step(s, err) < 0)
        return err->status;
    out->id = tk_last_insert_id(c);
    return note_on_timeline(c, a, &ev, who, out, err);
}

tk_status tk_attach_list(tk_conn *c, tk_arena *a, int64_t event_id, tk_attach_fn fn, void *ctx,
                         tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c, "SELECT " ATTACH_COLUMNS " FROM attachments WHERE event_id = ?1 ORDER BY id", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, event_id);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_attachment att;
        attachment_from_row(s, a, &att);
        fn(ctx, &att);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_attach_find(tk_conn *c, tk_arena *a, const tk_identity *who, const char *sha256,
                         tk_attachment *out, tk_error *err)
{
    if (!tk_attach_sha_valid(sha256))
        return tk_fail(err, TK_ENOTFOUND, "attachment_not_found", "没有找到该照片");
    /* Rows first, then visibility: tk_event_get uses statements of its own. */
    tk_stmt *s = tk_prepare(
        c, "SELECT " ATTACH_COLUMNS " FROM attachments WHERE sha256 = ?1 ORDER BY id", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, sha256);
    size_t n = 0, cap = 0;
    tk_attachment *rows = NULL;
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            tk_attachment *grown = tk_arena_alloc(a, cap * sizeof *grown);
            if (n)
                memcpy(grown, rows, n * sizeof *rows);
            rows = grown;
        }
        attachment_from_row(s, a, &rows[n++]);
    }
    tk_reset(s);
    if (rc < 0)
        return err->status;
    int64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        tk_event ev;
        if (rows[i].event_id == last)
            continue;
        last = rows[i].event_id;
        tk_status st = tk_event_get(c, a, who, rows[i].event_id, &ev, err);
        if (st == TK_OK) {
            *out = rows[i];
            return TK_OK;
        }
        if (st != TK_ENOTFOUND)
            return st;
    }
    return tk_fail(err, TK_ENOTFOUND, "attachment_not_found", "没有找到该照片");
}
