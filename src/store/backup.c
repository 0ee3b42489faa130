/*
 * backup.c - a consistent copy of a live database (SQLite's online backup).
 *
 * The copy is taken from the calling thread's read connection in one step, so it
 * is one snapshot: every transaction committed before the step began, none after,
 * while the writer goes on committing into the log. It is written under a
 * temporary name beside dest, checked (quick_check), synced and renamed into
 * place, so that a file at dest is always a whole backup.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "store/internal.h"

static tk_status sync_path(const char *path, bool folder, tk_error *err)
{
    if (!tk_fsync_path(path, folder))
        return tk_fail(err, TK_EIO, "backup_sync", "无法同步 %s 到磁盘：%s", path, strerror(errno));
    return TK_OK;
}

/* Copies the snapshot into tmp, in rollback-journal mode: the copy is one file. */
static tk_status copy_into(sqlite3 *source, const char *tmp, tk_error *err)
{
    sqlite3 *dest = NULL;
    int rc = sqlite3_open_v2(tmp, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dest, "main", source, "main") : NULL;
    if (b) {
        rc = sqlite3_backup_step(b, -1);
        int finish = sqlite3_backup_finish(b);
        rc = rc == SQLITE_DONE ? finish : rc;
    } else if (rc == SQLITE_OK) {
        rc = sqlite3_errcode(dest);
    }
    char *check = NULL;
    if (rc == SQLITE_OK) {
        /* The source is in WAL mode and so is its copy: fold the copy's log in and
         * leave a single file. */
        rc = sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        rc = sqlite3_prepare_v2(dest, "PRAGMA quick_check", -1, &q, NULL);
        if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            check = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    tk_status st = TK_OK;
    if (rc != SQLITE_OK)
        st = tk_fail(err, TK_EIO, "backup_failed", "备份失败：%s",
                     dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
    else if (!check || strcmp(check, "ok") != 0)
        st = tk_fail(err, TK_EIO, "backup_check", "备份副本校验未通过：%s", check ? check : "?");
    sqlite3_free(check);
    sqlite3_close(dest);
    return st;
}

tk_status tk_db_backup(tk_db *db, const char *dest, tk_error *err)
{
    if (access(dest, F_OK) == 0)
        return tk_fail(err, TK_ECONFLICT, "backup_exists", "%s 已存在，备份不会覆盖已有文件", dest);
    tk_conn *c = tk_db_reader(db, err);
    if (!c)
        return err->status;
    char tmp[4096], dir[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", dest) >= sizeof tmp)
        return tk_fail(err, TK_EINVAL, "backup_path", "备份路径过长");
    unlink(tmp); /* a copy an earlier run left unfinished */
    tk_status st = copy_into(c->handle, tmp, err);
    if (st == TK_OK)
        st = sync_path(tmp, false, err);
    if (st == TK_OK && rename(tmp, dest) != 0)
        st = tk_fail(err, TK_EIO, "backup_rename", "无法把备份命名为 %s", dest);
    if (st != TK_OK) {
        unlink(tmp);
        return st;
    }
    tk_path_parent(dest, dir, sizeof dir);
    return sync_path(dir, true, err);
}
