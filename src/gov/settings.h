/*
 * settings.h - small key/value settings kept in the database (secrets the server
 * generates once, such as the key behind anti-CSRF tokens).
 */
#ifndef TK_SETTINGS_H
#define TK_SETTINGS_H

#include <stddef.h>

#include "core/status.h"
#include "store/db.h"

/* Copies the value into out (size bytes); TK_ENOTFOUND when absent. */
tk_status tk_setting_get(tk_conn *c, const char *key, char *out, size_t size, tk_error *err);
/* Inserts the value unless the key exists (call in a write job). */
tk_status tk_setting_put_new(tk_conn *c, const char *key, const char *value, tk_error *err);

#endif
