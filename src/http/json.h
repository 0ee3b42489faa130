/*
 * json.h - strict JSON in, compact UTF-8 JSON out (jansson underneath).
 *
 * Strict means: valid UTF-8 only, no NUL (raw or \u0000), no duplicate keys, no
 * trailing bytes, at most max_depth levels of nesting (checked before jansson
 * sees the text, whose own limit is 2048).
 */
#ifndef TK_JSON_H
#define TK_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"

#define TK_JSON_MAX_DEPTH 32

/* New reference, or NULL with err (TK_EINVAL, code invalid_json / json_too_deep). */
json_t *tk_json_parse(const char *data, size_t len, int max_depth, tk_error *err);
/* Compact dump; malloc'ed, caller frees. */
char *tk_json_dump(const json_t *v, size_t *len);

#endif
