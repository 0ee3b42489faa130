/*
 * backup.c - `tiaokuai backup`: the database and its photos, while the server runs.
 *
 * The database is copied as one snapshot (tk_db_backup); then every photo the
 * database knows is copied into <dest>.files/, checked against its content
 * address. Photos are never changed or removed, and a photo's file is written
 * before its row commits, so the files listed after the snapshot cover every row
 * in it (a few more, of rows committed since, are harmless: a file is served only
 * through its row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "gov/attachments.h"

static const char *usage =
    "用法：tiaokuai backup [--db 路径] --out 备份文件\n"
    "在服务运行时也可备份：数据库的一致快照写入 --out（不覆盖已有文件），\n"
    "事件照片复制到「备份文件.files/」。恢复时停止服务，把两者放回 --db 所指的位置。";

static tk_status copy_photos(tk_db *db, const char *dest, int64_t *copied, tk_error *err)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s.files", tk_db_path(db));
    snprintf(to, sizeof to, "%s.files", dest);
    *copied = 0;
    struct stat st;
    if (stat(from, &st) != 0)
        return TK_OK; /* no photo was ever stored */
    if (tk_attach_dir_open(to, err) != TK_OK)
        return err->status;
    tk_conn *c = tk_db_reader(db, err);
    tk_stmt *s = c ? tk_prepare(c, "SELECT DISTINCT sha256 FROM attachments", err) : NULL;
    if (!s)
        return err->status;
    int rc;
    tk_status status = TK_OK;
    while (status == TK_OK && (rc = tk_step(s, err)) == 1) {
        status = tk_attach_copy(from, to, tk_col_text(s, 0), err);
        *copied += status == TK_OK;
    }
    tk_reset(s);
    if (status == TK_OK && rc < 0)
        status = err->status;
    return status;
}

int tk_cli_backup(int argc, char **argv)
{
    int n = argc;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    const char *dest = tk_cli_take_flag(&n, args, "--out");
    tk_config cfg;
    tk_db *db = NULL;
    char **rest = NULL;
    int nrest = 0;
    /* As it is: a backup taken before an upgrade must be of the old schema. */
    int rc = tk_cli_open_db_as_is(n, args, usage, &cfg, &db, &rest, &nrest);
    free(args);
    free(rest);
    if (rc >= 0)
        return rc;
    if (nrest != 0 || !dest || !*dest) {
        fprintf(stderr, "%s\n", usage);
        tk_db_close(db);
        return EX_USAGE;
    }
    int64_t t0 = tk_monotonic_ns(), photos = 0;
    tk_error err;
    tk_status st = tk_db_backup(db, dest, &err);
    if (st == TK_OK)
        st = copy_photos(db, dest, &photos, &err);
    tk_db_close(db);
    if (st != TK_OK)
        return tk_cli_fail(&err);
    struct stat info;
    double mb = stat(dest, &info) == 0 ? (double)info.st_size / (1024 * 1024) : 0;
    printf("备份完成：%s（%.1f MB，照片 %lld 张，用时 %.1f 秒）\n", dest, mb, (long long)photos,
           (double)(tk_monotonic_ns() - t0) / 1e9);
    return 0;
}
