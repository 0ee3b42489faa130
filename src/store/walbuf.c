/*
 * walbuf.c - one write for a commit's log frames instead of two per page.
 *
 * SQLite appends a commit to the write-ahead log as frames, each written with two
 * calls (a 24-byte header, then the page), so a batch that changed 200 pages cost
 * 400 pwrite calls, and on a virtual machine a system call costs as much as
 * copying a page. This VFS wraps the platform's and, for write-ahead logs only,
 * gathers writes that continue one another in a buffer and writes them at once:
 * before the log is synced, read, truncated, sized, controlled or closed, before a
 * write elsewhere in it, and when the buffer is full. Every other file is the
 * platform's own, unwrapped.
 *
 * The writer's connection commits with synchronous=FULL, so SQLite syncs the log
 * after a commit's frames and before it publishes them to readers in the shared
 * index: the frames are in the file before anyone can look for them there.
 */
#include "store/walbuf.h"

#include <stdlib.h>
#include <string.h>

#define WALBUF_SIZE (1 << 20)
#define WRITE_MAX   (64 << 10) /* the unix VFS writes at most 128 KiB - 1 in one call */

typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* the platform's file, in the memory after this struct */
    unsigned char *buf;
    sqlite3_int64 start; /* file offset of buf[0] */
    int len;
} wal_file;

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *platform;

static int flush(wal_file *w)
{
    int rc = SQLITE_OK;
    for (int done = 0; done < w->len && rc == SQLITE_OK; done += WRITE_MAX) {
        int n = w->len - done < WRITE_MAX ? w->len - done : WRITE_MAX;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, n, w->start + done);
    }
    w->len = 0;
    return rc;
}

static int wal_write(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset)
{
    wal_file *w = (wal_file *)f;
    if (w->len && offset == w->start + w->len && w->len + amount <= WALBUF_SIZE) {
        memcpy(w->buf + w->len, data, (size_t)amount);
        w->len += amount;
        return SQLITE_OK;
    }
    int rc = flush(w);
    if (rc != SQLITE_OK)
        return rc;
    if (amount > WRITE_MAX)
        return w->real->pMethods->xWrite(w->real, data, amount, offset);
    if (!w->buf && !(w->buf = malloc(WALBUF_SIZE)))
        return w->real->pMethods->xWrite(w->real, data, amount, offset);
    memcpy(w->buf, data, (size_t)amount);
    w->start = offset;
    w->len = amount;
    return SQLITE_OK;
}

static int wal_close(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    int rc2 = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, data, amount, offset);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

/* Locks, sector size and device characteristics are the platform file's. A log
 * has no shared memory nor memory map of its own, but SQLite may still ask. */
static int wal_lock(sqlite3_file *f, int level)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xLock(w->real, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xUnlock(w->real, level);
}

static int wal_check_reserved(sqlite3_file *f, int *out)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int wal_sector_size(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xSectorSize(w->real);
}

static int wal_device(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xDeviceCharacteristics(w->real);
}

static int wal_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xShmMap(w->real, page, size, extend, out);
}

static int wal_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xShmLock(w->real, offset, n, flags);
}

static void wal_shm_barrier(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    w->real->pMethods->xShmBarrier(w->real);
}

static int wal_shm_unmap(sqlite3_file *f, int delete_flag)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xShmUnmap(w->real, delete_flag);
}

static int wal_fetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFetch(w->real, offset, amount, out);
}

static int wal_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *p)
{
    wal_file *w = (wal_file *)f;
    return w->real->pMethods->xUnfetch(w->real, offset, p);
}

static const sqlite3_io_methods wal_methods = {
    .iVersion = 3,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
    .xShmMap = wal_shm_map,
    .xShmLock = wal_shm_lock,
    .xShmBarrier = wal_shm_barrier,
    .xShmUnmap = wal_shm_unmap,
    .xFetch = wal_fetch,
    .xUnfetch = wal_unfetch,
};

static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return platform->xOpen(platform, name, f, flags, out); /* unwrapped: the same memory */
    wal_file *w = (wal_file *)f;
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(w + 1);
    int rc = platform->xOpen(platform, name, w->real, flags, out);
    if (rc == SQLITE_OK && w->real->pMethods) {
        if (w->real->pMethods->iVersion < 3) {
            w->real->pMethods->xClose(w->real);
            return SQLITE_CANTOPEN;
        }
        w->base.pMethods = &wal_methods;
    }
    return rc;
}

void tk_walbuf_register(void)
{
    platform = sqlite3_vfs_find(NULL);
    walbuf_vfs = *platform;
    walbuf_vfs.iVersion = platform->iVersion < 3 ? platform->iVersion : 3;
    walbuf_vfs.szOsFile = (int)sizeof(wal_file) + platform->szOsFile;
    walbuf_vfs.zName = TK_WALBUF_VFS;
    walbuf_vfs.pNext = NULL;
    walbuf_vfs.xOpen = walbuf_open;
    sqlite3_vfs_register(&walbuf_vfs, 0);
}
