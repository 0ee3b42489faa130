#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern against path; fills params on success. */
static bool match_path(const char *pattern, const char *path, tk_req *r)
{
    tk_slice pat = tk_slice_of(pattern), p = tk_slice_of(path);
    int np = 0;
    if (!tk_slice_starts_with(p, "/") || !tk_slice_starts_with(pat, "/"))
        return false;
    pat.ptr++, pat.len--;
    p.ptr++, p.len--;
    tk_slice pseg, seg;
    while (tk_slice_cut(&pat, '/', &pseg)) {
        if (pseg.len >= 3 && pseg.ptr[0] == '{' && pseg.ptr[1] == '*') {
            /* The tail: everything left, possibly empty. */
            if (np >= TK_MAX_PARAMS)
                return false;
            r->param_names[np] = tk_arena_strndup(r->arena, pseg.ptr + 2, pseg.len - 3);
            r->param_values[np++] = p.ptr ? tk_arena_strndup(r->arena, p.ptr, p.len) : "";
            r->nparams = np;
            return true;
        }
        if (!tk_slice_cut(&p, '/', &seg))
            return false;
        if (pseg.len >= 2 && pseg.ptr[0] == '{') {
            if (seg.len == 0 || np >= TK_MAX_PARAMS)
                return false;
            r->param_names[np] = tk_arena_strndup(r->arena, pseg.ptr + 1, pseg.len - 2);
            r->param_values[np++] = tk_arena_strndup(r->arena, seg.ptr, seg.len);
        } else if (!tk_slice_eq_slice(pseg, seg)) {
            return false;
        }
    }
    if (p.ptr != NULL)
        return false; /* path has more segments */
    r->nparams = np;
    return true;
}

static bool method_matches(const char *route_method, const char *method)
{
    if (strcmp(route_method, method) == 0)
        return true;
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

tk_match_result tk_router_match(const tk_router *rt, const char *method, const char *path,
                                tk_req *r, size_t *index, char *allowed, size_t allowed_size)
{
    bool path_seen = false;
    size_t used = 0;
    if (allowed_size)
        allowed[0] = '\0';
    for (size_t i = 0; i < rt->count; i++) {
        const tk_route *route = &rt->routes[i];
        r->nparams = 0;
        if (!match_path(route->pattern, path, r))
            continue;
        if (method_matches(route->method, method)) {
            *index = i;
            return TK_MATCH_OK;
        }
        path_seen = true;
        if (allowed_size && !strstr(allowed, route->method)) {
            int n = snprintf(allowed + used, allowed_size - used, "%s%s", used ? ", " : "",
                             route->method);
            if (n > 0 && (size_t)n < allowed_size - used)
                used += (size_t)n;
            else
                allowed[used] = '\0'; /* no room: keep the list whole */
        }
    }
    r->nparams = 0;
    return path_seen ? TK_MATCH_METHOD : TK_MATCH_NOT_FOUND;
}
