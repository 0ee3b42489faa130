#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = TK_LOG_INFO;

void tk_log_set_level(tk_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int tk_log_level_parse(const char *name)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void tk_log(tk_log_level level, const char *msg, const char *kvfmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if ((int)level < atomic_load(&min_level))
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"%s\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, names[level], msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kvfmt && *kvfmt && len < sizeof line - 2) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, kvfmt);
        int m = vsnprintf(line + len, sizeof line - len, kvfmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
    }
    if (len >= sizeof line - 1)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* One write per line keeps lines whole across threads. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
