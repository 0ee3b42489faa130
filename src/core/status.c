#include "core/status.h"

#include <stdio.h>
#include <string.h>

/* Truncation may split a multi-byte character; drop the incomplete tail. */
static void trim_partial_utf8(char *s)
{
    size_t len = strlen(s);
    size_t i = len;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (i - 1) < need)
        s[i - 1] = '\0';
}

tk_status tk_vfail(tk_error *err, tk_status st, const char *code, const char *fmt, va_list ap)
{
    if (!err)
        return st;
    err->status = st;
    err->field[0] = '\0';
    snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    int n = vsnprintf(err->detail, sizeof err->detail, fmt ? fmt : "", ap);
    if (n >= (int)sizeof err->detail)
        trim_partial_utf8(err->detail);
    return st;
}

tk_status tk_fail(tk_error *err, tk_status st, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tk_vfail(err, st, code, fmt, ap);
    va_end(ap);
    return st;
}

tk_status tk_fail_field(tk_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tk_vfail(err, TK_EVALID, "invalid_field", fmt, ap);
    va_end(ap);
    if (err)
        snprintf(err->field, sizeof err->field, "%s", field);
    return TK_EVALID;
}

void tk_error_clear(tk_error *err)
{
    if (!err)
        return;
    err->status = TK_OK;
    err->code[0] = '\0';
    err->detail[0] = '\0';
    err->field[0] = '\0';
}

const char *tk_status_name(tk_status st)
{
    static const char *names[] = {
        [TK_OK] = "OK",           [TK_EINVAL] = "EINVAL",         [TK_EVALID] = "EVALID",
        [TK_EUNAUTH] = "EUNAUTH", [TK_EFORBIDDEN] = "EFORBIDDEN", [TK_ENOTFOUND] = "ENOTFOUND",
        [TK_EMETHOD] = "EMETHOD", [TK_ECONFLICT] = "ECONFLICT",   [TK_ETOOBIG] = "ETOOBIG",
        [TK_EMEDIA] = "EMEDIA",   [TK_ELIMIT] = "ELIMIT",         [TK_EUNAVAIL] = "EUNAVAIL",
        [TK_EIO] = "EIO",         [TK_EINTERNAL] = "EINTERNAL",
    };
    if ((unsigned)st < sizeof names / sizeof names[0] && names[st])
        return names[st];
    return "E?";
}
