/*
 * render.h - JSON views shared by several resources. Personal fields are masked
 * here, by the viewer's role, so no handler can forget.
 */
#ifndef TK_RENDER_H
#define TK_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "gov/access.h"
#include "gov/units.h"
#include "gov/users.h"

/* ISO time with +08:00, or null for 0. */
json_t *api_time(int64_t ms);
json_t *api_unit_brief(const tk_unit *u);
json_t *api_user_json(const tk_user *u, const tk_identity *viewer);
/* A personal value as the viewer may see it (masked or in clear); null for NULL.
 * owner: the user the value belongs to (0 for none): one's own data is in clear. */
json_t *api_personal(const char *value, char kind, int64_t owner, const tk_identity *viewer);
/* The same as text: value itself, or its mask written into buf; NULL for NULL. */
const char *api_personal_text(const char *value, char kind, int64_t owner,
                              const tk_identity *viewer, char *buf, size_t size);
/* {"items": [...], "next_cursor": "..." or null} */
json_t *api_page(json_t *items, bool more, int64_t next_cursor);

#endif
