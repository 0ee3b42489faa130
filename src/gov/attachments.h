/*
 * attachments.h - photos of events: what may be uploaded, where the bytes live,
 * who may upload and who may see them. No HTTP here.
 *
 * Bytes are stored content-addressed beside the database, at
 * <dir>/<first 2 hex>/<sha256 hex>, written to a temporary file in the same
 * folder, fsync'ed, renamed into place and the folder fsync'ed. The caller stores
 * the bytes BEFORE the row commits, so a row (and an acknowledged upload) always
 * has its file, even after kill -9; identical content is stored once. A file
 * whose row never committed is never served (serving needs a row the caller may
 * see) and is harmless.
 *
 * The type is decided from the bytes (magic numbers), never from what the client
 * says. Rows, limits and the timeline entry change inside the caller's write job.
 * Strings returned live in the caller's arena.
 */
#ifndef TK_ATTACHMENTS_H
#define TK_ATTACHMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/access.h"
#include "gov/events.h"
#include "store/db.h"

#define TK_ATTACH_MAX_BYTES     (5 * 1024 * 1024) /* per photo */
#define TK_ATTACH_MAX_PER_EVENT 9
#define TK_ATTACH_KINDS                                                                            \
    {                                                                                              \
        "before", "after", "near", "far", "other", NULL                                            \
    }

/* "image/jpeg", "image/png" or "image/webp" from the first bytes; NULL otherwise. */
const char *tk_attach_sniff(const void *data, size_t len);
/* zh-CN label of a kind ("处置前"); NULL for an unknown kind. */
const char *tk_attach_kind_label(const char *kind);
/* 64 lowercase hex digits. */
bool tk_attach_sha_valid(const char *sha256);

/* Creates the folder if missing (and makes that durable), and removes temporary
 * files a killed process left behind. Call once at start, before any upload. */
tk_status tk_attach_dir_open(const char *dir, tk_error *err);
/* Hashes data and stores it durably at its content address; sha256 gets the hex.
 * When the file is already there (same size), nothing is written. */
tk_status tk_attach_store(const char *dir, const void *data, size_t len, char sha256[65],
                          tk_error *err);
/* Copies the blob sha256 from the folder `from` into the folder `to`, checking its
 * bytes against its name on the way (TK_EIO "attachment_corrupt" when they differ). */
tk_status tk_attach_copy(const char *from, const char *to, const char *sha256, tk_error *err);
/* Opens a stored blob for reading: *fd (the caller closes it), its size and the
 * type sniffed from its first bytes. TK_EIO when the file is missing or unreadable. */
tk_status tk_attach_open(const char *dir, const char *sha256, int *fd, int64_t *size,
                         const char **mime, tk_error *err);

typedef struct {
    int64_t id, event_id;
    const char *sha256, *mime, *kind;
    int64_t size;
    bool has_point;
    double lng, lat;
    int64_t taken_at; /* ms, 0 = unknown */
    int64_t uploaded_by, created_at;
} tk_attachment;

/* Whether who may add photos to ev now: the event must not be finished (closed,
 * archived, rejected, void: TK_ECONFLICT "event_finished"), and who must be its
 * reporter, a grid worker or the desk (township command, county center) whose
 * scope holds it, or its assignee (the assigned user, else the assigned or
 * called unit); otherwise TK_EFORBIDDEN "attach_forbidden". */
tk_status tk_attach_may_add(const tk_event *ev, const tk_identity *who, tk_error *err);
/* Photos the event has. */
tk_status tk_attach_count(tk_conn *c, int64_t event_id, int64_t *n, tk_error *err);

/* In a write job: checks visibility (TK_ENOTFOUND), tk_attach_may_add and the
 * per-event limit (TK_ECONFLICT "too_many_photos"), inserts the row (in->id,
 * uploaded_by and created_at are set here, into *out) and the event's timeline
 * row "attach". in->sha256 must already be stored. The same photo as the same
 * kind on the same event again (an upload retried) adds nothing: *out is the row
 * there and *repeated is set. */
tk_status tk_attach_add(tk_conn *c, tk_arena *a, const tk_identity *who, const tk_attachment *in,
                        tk_attachment *out, bool *repeated, tk_error *err);

typedef void (*tk_attach_fn)(void *ctx, const tk_attachment *att);
/* The event's photos in upload order (the caller checks the event's visibility). */
tk_status tk_attach_list(tk_conn *c, tk_arena *a, int64_t event_id, tk_attach_fn fn, void *ctx,
                         tk_error *err);
/* A row referencing sha256 on an event who may see (tk_event_get decides);
 * TK_ENOTFOUND "attachment_not_found" when there is none, so a blob the caller
 * may not see looks exactly like one that does not exist. */
tk_status tk_attach_find(tk_conn *c, tk_arena *a, const tk_identity *who, const char *sha256,
                         tk_attachment *out, tk_error *err);

#endif
