/*
 * status.h - status codes and error details shared by every layer.
 *
 * Functions return a tk_status and, on failure, fill a caller-owned tk_error with
 * a stable machine code (snake_case, e.g. "invalid_json") and a zh-CN detail that
 * can be shown to a user. The HTTP layer maps statuses to responses in one place.
 */
#ifndef TK_STATUS_H
#define TK_STATUS_H

#include <stdarg.h>

typedef enum {
    TK_OK = 0,
    TK_EINVAL,     /* malformed request or argument */
    TK_EVALID,     /* well-formed but fails validation */
    TK_EUNAUTH,    /* not authenticated */
    TK_EFORBIDDEN, /* authenticated but not allowed */
    TK_ENOTFOUND,  /* no such thing (or not in the caller's scope) */
    TK_EMETHOD,    /* method not allowed on this resource */
    TK_ECONFLICT,  /* state conflict: illegal transition, duplicate */
    TK_ETOOBIG,    /* over a size limit */
    TK_EMEDIA,     /* unsupported media type */
    TK_ELIMIT,     /* rate limited */
    TK_EUNAVAIL,   /* temporarily unavailable (shutting down, queue full) */
    TK_EIO,        /* storage or system failure */
    TK_EINTERNAL,  /* a bug */
} tk_status;

typedef struct {
    tk_status status;
    char code[48];    /* stable machine code */
    char detail[400]; /* zh-CN, for people */
    char field[48];   /* the input field at fault, when there is one */
} tk_error;

/* Fills err (if not NULL) and returns st, so callers can `return tk_fail(...)`. */
tk_status tk_fail(tk_error *err, tk_status st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
tk_status tk_vfail(tk_error *err, tk_status st, const char *code, const char *fmt, va_list ap);
/* tk_fail for one input field: code "invalid_field", status TK_EVALID. */
tk_status tk_fail_field(tk_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to TK_OK with empty code and detail. */
void tk_error_clear(tk_error *err);

/* English name of a status, for logs ("EINVAL"). */
const char *tk_status_name(tk_status st);

#endif
