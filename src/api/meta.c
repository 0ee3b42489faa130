/*
 * meta.c - GET /api/v1/permissions (the permission table, for the UI and for
 * audits of the policy) and /api/v1/_clock (moving the manual clock in tests;
 * 404 unless the server was started with --manual-clock).
 */
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/render.h"
#include "api/sender.h"
#include "api/timer.h"
#include "core/clock.h"
#include "gov/access.h"

void api_permissions(tk_req *r)
{
    json_t *roles = json_array();
    for (int i = 0; i < TK_ROLE_COUNT; i++)
        json_array_append_new(roles, json_pack("{s:s, s:s}", "code", tk_role_code((tk_role)i),
                                               "label", tk_role_label((tk_role)i)));
    json_t *actions = json_array();
    for (size_t i = 0; i < tk_permissions_count; i++) {
        json_t *who = json_array();
        for (int k = 0; k < TK_ROLE_COUNT; k++)
            if (tk_permissions[i].roles & TK_ROLE_BIT(k))
                json_array_append_new(who, json_string(tk_role_code((tk_role)k)));
        json_array_append_new(actions,
                              json_pack("{s:s, s:s, s:o}", "action", tk_permissions[i].action,
                                        "label", tk_permissions[i].label, "roles", who));
    }
    tk_reply_json(r, 200, json_pack("{s:o, s:o}", "roles", roles, "actions", actions));
}

void api_clock(tk_req *r)
{
    if (!tk_clock_is_manual()) {
        tk_reply_fail(r, TK_ENOTFOUND, "not_found", "没有这个地址：%s", r->path);
        return;
    }
    if (strcmp(r->method, "POST") == 0) {
        tk_error err;
        json_t *in = tk_req_json_object(r, &err);
        if (!in) {
            tk_reply_error(r, &err);
            return;
        }
        static const char *const fields[] = {"now", "advance_minutes", NULL};
        const char *now;
        int64_t minutes = 0;
        bool has_minutes;
        if (api_failed(r, in_only(in, fields, &err), &err) ||
            api_failed(r, in_str(in, "now", false, 40, &now, &err), &err) ||
            api_failed(
                r, in_int(in, "advance_minutes", false, 0, 10000000, &minutes, &has_minutes, &err),
                &err))
            return;
        int64_t at;
        if (now) {
            if (!tk_time_parse(now, &at)) {
                tk_reply_fail(r, TK_EVALID, "invalid_field", "now 需要 ISO 时间");
                return;
            }
            tk_clock_set(at);
        }
        if (has_minutes)
            tk_clock_advance(minutes * 60000);
        /* Answer once the alerts and the callbacks now due have been processed. */
        tk_timer_sync(TK_APP(r)->timer);
        tk_sender_sync(TK_APP(r)->sender);
    }
    tk_reply_json(r, 200, json_pack("{s:o}", "now", api_time(tk_now_ms())));
}
