#include "api/render.h"

#include "core/clock.h"

json_t *api_time(int64_t ms)
{
    if (!ms)
        return json_null();
    char buf[40];
    tk_time_format(ms, buf, sizeof buf);
    return json_string(buf);
}

json_t *api_unit_brief(const tk_unit *u)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)u->id, "code", u->code, "name",
                     u->name, "kind", u->kind);
}

const char *api_personal_text(const char *value, char kind, int64_t owner,
                              const tk_identity *viewer, char *buf, size_t size)
{
    bool clear = viewer && ((owner && owner == viewer->user_id) ||
                            (kind == 'i' ? tk_role_sees_id_numbers(viewer->role)
                                         : tk_role_sees_personal(viewer->role)));
    if (!value || clear)
        return value;
    if (kind == 'n')
        tk_mask_name(value, buf, size);
    else if (kind == 'p')
        tk_mask_phone(value, buf, size);
    else
        tk_mask_id_number(value, buf, size);
    return buf;
}

json_t *api_personal(const char *value, char kind, int64_t owner, const tk_identity *viewer)
{
    char buf[128];
    const char *shown = api_personal_text(value, kind, owner, viewer, buf, sizeof buf);
    return shown ? json_string(shown) : json_null();
}

json_t *api_user_json(const tk_user *u, const tk_identity *viewer)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "username", json_string(u->username));
    json_object_set_new(o, "display_name", api_personal(u->display_name, 'n', u->id, viewer));
    json_object_set_new(o, "phone", api_personal(u->phone, 'p', u->id, viewer));
    json_object_set_new(o, "id_number", api_personal(u->id_number, 'i', u->id, viewer));
    json_object_set_new(o, "role", json_string(tk_role_code(u->role)));
    json_object_set_new(o, "role_label", json_string(tk_role_label(u->role)));
    json_object_set_new(o, "unit", api_unit_brief(&u->unit));
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    json_object_set_new(o, "must_change_password", json_boolean(u->must_change_password));
    json_object_set_new(o, "created_at", api_time(u->created_at));
    json_object_set_new(o, "last_login_at", api_time(u->last_login_at));
    return o;
}

json_t *api_page(json_t *items, bool more, int64_t next_cursor)
{
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor",
                        more ? json_sprintf("%lld", (long long)next_cursor) : json_null());
    return o;
}
