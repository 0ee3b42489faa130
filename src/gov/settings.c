#include "gov/settings.h"

#include <stdio.h>

tk_status tk_setting_get(tk_conn *c, const char *key, char *out, size_t size, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "SELECT value FROM settings WHERE key = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, key);
    int rc = tk_step(s, err);
    if (rc == 1)
        snprintf(out, size, "%s", tk_col_text(s, 0));
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc == 1 ? TK_OK : tk_fail(err, TK_ENOTFOUND, "setting_missing", "缺少设置项 %s", key);
}

tk_status tk_setting_put_new(tk_conn *c, const char *key, const char *value, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "INSERT OR IGNORE INTO settings(key, value) VALUES (?1, ?2)", err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, key);
    tk_bind_text(s, 2, value);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}
