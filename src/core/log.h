/*
 * log.h - one line per event on stderr: ts=... level=... msg="..." key=value...
 *
 * The key=value part is a printf format supplied by the caller; values that may
 * hold spaces should be quoted by the caller ("name=\"%s\""). Never log secrets.
 */
#ifndef TK_LOG_H
#define TK_LOG_H

typedef enum { TK_LOG_DEBUG, TK_LOG_INFO, TK_LOG_WARN, TK_LOG_ERROR } tk_log_level;

void tk_log_set_level(tk_log_level level);
/* "debug", "info", "warn", "error"; returns -1 for anything else. */
int tk_log_level_parse(const char *name);
void tk_log(tk_log_level level, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));

#define tk_debug(msg, ...)  tk_log(TK_LOG_DEBUG, msg, __VA_ARGS__)
#define tk_info(msg, ...)   tk_log(TK_LOG_INFO, msg, __VA_ARGS__)
#define tk_warn(msg, ...)   tk_log(TK_LOG_WARN, msg, __VA_ARGS__)
#define tk_errlog(msg, ...) tk_log(TK_LOG_ERROR, msg, __VA_ARGS__)

#endif
