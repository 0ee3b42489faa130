/*
 * input.h - reading request input strictly: JSON fields with types, lengths and
 * ranges, unknown fields refused, and query parameters. Every failure names the
 * field (problem+json "field") and says what is expected, in zh-CN.
 */
#ifndef TK_INPUT_H
#define TK_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "http/request.h"

/* Refuses members not in the NULL-terminated list. */
tk_status in_only(json_t *obj, const char *const *allowed, tk_error *err);
/* A string of 1..max_chars characters without control characters (newlines and
 * tabs allowed when multiline). Absent (or null) and not required: *out = NULL. */
tk_status in_str(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                 tk_error *err);
tk_status in_text(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                  tk_error *err);
/* An integer in [min, max]; absent and not required leaves *out and sets *present false. */
tk_status in_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                 int64_t *out, bool *present, tk_error *err);
tk_status in_num(json_t *obj, const char *key, bool required, double min, double max, double *out,
                 bool *present, tk_error *err);
tk_status in_bool(json_t *obj, const char *key, bool def, bool *out, tk_error *err);
/* A string that must be one of the NULL-terminated values. */
tk_status in_enum(json_t *obj, const char *key, bool required, const char *const *values,
                  const char **out, tk_error *err);

/* Query parameters. */
tk_status q_int(tk_req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out,
                tk_error *err);
/* ?limit= (default 50, at most 500). */
tk_status q_limit(tk_req *r, int *out, tk_error *err);
/* A text parameter of at most max_chars characters; NULL when absent or empty. */
tk_status q_str(tk_req *r, const char *name, size_t max_chars, const char **out, tk_error *err);
/* An ISO time or date parameter; 0 when absent. */
tk_status q_time(tk_req *r, const char *name, int64_t *out, tk_error *err);

/* The calling thread's read connection; on failure replies with the problem and
 * returns NULL. */
tk_conn *api_reader(tk_req *r);

/* Replies with err and returns true when st is not TK_OK: `if (api_failed(r, st, &err)) return;` */
bool api_failed(tk_req *r, tk_status st, const tk_error *err);

#endif
