#include "store/migrate.h"

#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static const char *create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  " version INTEGER PRIMARY KEY,"
                                  " name TEXT NOT NULL,"
                                  " applied_at INTEGER NOT NULL)";

typedef struct {
    int index;
} apply_arg;

static tk_status apply_one(tk_conn *c, void *arg, tk_error *err)
{
    const apply_arg *a = arg;
    const tk_migration *m = &tk_migrations[a->index];
    if (tk_exec(c, m->sql, err) != TK_OK) {
        tk_errlog("migration failed", "name=%s err=\"%s\"", m->name, err->detail);
        return err->status;
    }
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (?1, ?2, ?3)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, a->index + 1);
    tk_bind_text(s, 2, m->name);
    tk_bind_i64(s, 3, tk_now_ms());
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

static tk_status ensure_table(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    return tk_exec(c, create_table, err);
}

tk_status tk_db_schema_version(tk_db *db, int *version, tk_error *err)
{
    tk_conn *c = tk_db_reader(db, err);
    if (!c)
        return TK_EIO;
    *version = 0;
    tk_stmt *s =
        tk_prepare(c, "SELECT count(*) FROM sqlite_master WHERE name='schema_migrations'", err);
    if (!s)
        return TK_EIO;
    int rc = tk_step(s, err);
    bool exists = rc == 1 && tk_col_i64(s, 0) > 0;
    tk_reset(s);
    if (rc < 0)
        return err->status;
    if (!exists)
        return TK_OK;
    s = tk_prepare(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", err);
    if (!s)
        return TK_EIO;
    rc = tk_step(s, err);
    if (rc == 1)
        *version = (int)tk_col_i64(s, 0);
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_db_migrate(tk_db *db, int *applied, tk_error *err)
{
    if (applied)
        *applied = 0;
    if (tk_db_write(db, ensure_table, NULL, err) != TK_OK)
        return err->status;
    int version;
    if (tk_db_schema_version(db, &version, err) != TK_OK)
        return err->status;
    if (version > tk_migrations_count)
        return tk_fail(err, TK_EINVAL, "schema_too_new",
                       "数据库结构版本 %d 比本程序认识的 %d 更新，请升级 tiaokuai", version,
                       tk_migrations_count);
    for (int i = version; i < tk_migrations_count; i++) {
        apply_arg a = {i};
        if (tk_db_write(db, apply_one, &a, err) != TK_OK)
            return err->status;
        tk_info("migration applied", "version=%d name=%s", i + 1, tk_migrations[i].name);
        if (applied)
            (*applied)++;
    }
    return TK_OK;
}
