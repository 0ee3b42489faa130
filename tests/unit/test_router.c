/*
 * test_router.c - route matching: literals, {params}, {*tail}, 404 vs 405.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/router.h"

static void handler(tk_req *r)
{
    (void)r;
}

enum {
    R_LIST,
    R_CREATE,
    R_NEW,
    R_GET,
    R_PATCH,
    R_DELETE,
    R_ACTION,
    R_FILES,
    R_ROOT,
    R_PAIR_A,
    R_PAIR_B,
    R_EIGHT,
};

static const tk_route routes[] = {
    [R_LIST] = {"GET", "/api/v1/events", handler, "event.list", 0},
    [R_CREATE] = {"POST", "/api/v1/events", handler, "event.create", 0},
    [R_NEW] = {"GET", "/api/v1/events/new", handler, "event.form", 0},
    [R_GET] = {"GET", "/api/v1/events/{id}", handler, "event.read", 0},
    [R_PATCH] = {"PATCH", "/api/v1/events/{id}", handler, "event.update", 0},
    [R_DELETE] = {"DELETE", "/api/v1/events/{id}", handler, "event.delete", 0},
    [R_ACTION] = {"POST", "/api/v1/events/{id}/{action}", handler, "event.act", 0},
    [R_FILES] = {"GET", "/files/{*path}", handler, "files", TK_ROUTE_PUBLIC},
    [R_ROOT] = {"GET", "/", handler, "root", TK_ROUTE_PUBLIC},
    [R_PAIR_A] = {"GET", "/pair/{a}/x", handler, "pair.a", 0},
    [R_PAIR_B] = {"POST", "/pair/{b}/{c}", handler, "pair.b", 0},
    [R_EIGHT] = {"GET", "/8/{p1}/{p2}/{p3}/{p4}/{p5}/{p6}/{p7}/{p8}", handler, "eight", 0},
};

static const tk_router router = {routes, sizeof routes / sizeof routes[0]};

static tk_req req;
static char allowed[128];

static void setup(void)
{
    req = (tk_req){.arena = tk_arena_new(0)};
    allowed[0] = 'X';
    allowed[1] = '\0';
}

static void teardown(void)
{
    tk_arena_free(req.arena);
}

TestSuite(router, .init = setup, .fini = teardown);

static tk_match_result match(const char *method, const char *path, size_t *index)
{
    *index = (size_t)-1;
    return tk_router_match(&router, method, path, &req, index, allowed, sizeof allowed);
}

static const char *param(const char *name)
{
    for (int i = 0; i < req.nparams; i++)
        if (strcmp(req.param_names[i], name) == 0)
            return req.param_values[i];
    return NULL;
}

static void expect_route(const char *method, const char *path, size_t want)
{
    size_t idx;
    tk_match_result m = match(method, path, &idx);
    cr_assert_eq(m, TK_MATCH_OK, "%s %s: result %d", method, path, (int)m);
    cr_assert_eq(idx, want, "%s %s: route %zu, want %zu", method, path, idx, want);
}

static void expect_result(const char *method, const char *path, tk_match_result want)
{
    size_t idx;
    tk_match_result m = match(method, path, &idx);
    cr_assert_eq(m, want, "%s %s: result %d, want %d", method, path, (int)m, (int)want);
    cr_assert_eq(req.nparams, 0, "%s %s: params left behind", method, path);
}

Test(router, literal_routes)
{
    expect_route("GET", "/api/v1/events", R_LIST);
    cr_assert_eq(req.nparams, 0);
    expect_route("POST", "/api/v1/events", R_CREATE);
    expect_route("GET", "/", R_ROOT);
}

Test(router, literal_before_param_wins)
{
    expect_route("GET", "/api/v1/events/new", R_NEW);
    cr_assert_eq(req.nparams, 0);
    /* Only GET has the literal: PATCH falls through to the {id} route. */
    expect_route("PATCH", "/api/v1/events/new", R_PATCH);
    cr_assert_str_eq(param("id"), "new");
}

Test(router, param_is_captured)
{
    expect_route("GET", "/api/v1/events/42", R_GET);
    cr_assert_eq(req.nparams, 1);
    cr_assert_str_eq(req.param_names[0], "id");
    cr_assert_str_eq(req.param_values[0], "42");
    expect_route("DELETE", "/api/v1/events/abc-def", R_DELETE);
    cr_assert_str_eq(param("id"), "abc-def");
}

Test(router, two_params)
{
    expect_route("POST", "/api/v1/events/7/close", R_ACTION);
    cr_assert_eq(req.nparams, 2);
    cr_assert_str_eq(param("id"), "7");
    cr_assert_str_eq(param("action"), "close");
}

Test(router, eight_params)
{
    expect_route("GET", "/8/a/b/c/d/e/f/g/h", R_EIGHT);
    cr_assert_eq(req.nparams, TK_MAX_PARAMS);
    cr_assert_str_eq(param("p1"), "a");
    cr_assert_str_eq(param("p8"), "h");
    expect_result("GET", "/8/a/b/c/d/e/f/g", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/8/a/b/c/d/e/f/g/h/i", TK_MATCH_NOT_FOUND);
}

Test(router, params_of_a_failed_route_do_not_leak)
{
    /* /pair/1/y first half-matches R_PAIR_A (a=1), then matches R_PAIR_B. */
    expect_route("POST", "/pair/1/y", R_PAIR_B);
    cr_assert_eq(req.nparams, 2);
    cr_assert_null(param("a"));
    cr_assert_str_eq(param("b"), "1");
    cr_assert_str_eq(param("c"), "y");
}

Test(router, params_are_taken_verbatim)
{
    /* libmicrohttpd has already percent-decoded the path once; the router must
     * not decode again, or "%2541" would become "A". */
    expect_route("GET", "/api/v1/events/a%41b", R_GET);
    cr_assert_str_eq(param("id"), "a%41b");
    expect_route("GET", "/api/v1/events/调快", R_GET);
    cr_assert_str_eq(param("id"), "调快");
    expect_route("POST", "/api/v1/events/x?y/do!", R_ACTION);
    cr_assert_str_eq(param("id"), "x?y");
    cr_assert_str_eq(param("action"), "do!");
    expect_route("GET", "/api/v1/events/a+b", R_GET);
    cr_assert_str_eq(param("id"), "a+b");
}

Test(router, param_values_live_in_the_arena)
{
    char path[] = "/api/v1/events/123";
    expect_route("GET", path, R_GET);
    const char *v = param("id");
    memset(path, 'z', sizeof path - 1); /* the caller's path may go away */
    cr_assert_str_eq(v, "123");
    cr_assert_gt(tk_arena_used(req.arena), 0);
}

Test(router, tail_takes_the_rest)
{
    expect_route("GET", "/files/a/b/c.txt", R_FILES);
    cr_assert_eq(req.nparams, 1);
    cr_assert_str_eq(req.param_names[0], "path");
    cr_assert_str_eq(param("path"), "a/b/c.txt");
    expect_route("GET", "/files/dir/", R_FILES);
    cr_assert_str_eq(param("path"), "dir/");
    expect_route("GET", "/files/x", R_FILES);
    cr_assert_str_eq(param("path"), "x");
}

Test(router, tail_may_be_empty)
{
    expect_route("GET", "/files/", R_FILES);
    cr_assert_eq(req.nparams, 1);
    cr_assert_str_eq(param("path"), "");
    expect_route("GET", "/files", R_FILES);
    cr_assert_eq(req.nparams, 1);
    cr_assert_str_eq(param("path"), "");
}

Test(router, tail_needs_its_prefix_segment)
{
    expect_result("GET", "/filesx/a", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/file/a", TK_MATCH_NOT_FOUND);
}

Test(router, catch_all_route)
{
    static const tk_route all[] = {
        {"GET", "/api/v1/health", handler, "health", 0},
        {"GET", "/{*path}", handler, "static", 0},
    };
    tk_router rt = {all, 2};
    size_t idx = 9;
    cr_assert_eq(tk_router_match(&rt, "GET", "/api/v1/health", &req, &idx, allowed, sizeof allowed),
                 TK_MATCH_OK);
    cr_assert_eq(idx, 0);
    cr_assert_eq(tk_router_match(&rt, "GET", "/", &req, &idx, allowed, sizeof allowed),
                 TK_MATCH_OK);
    cr_assert_eq(idx, 1);
    cr_assert_str_eq(req.param_values[0], "");
    cr_assert_eq(tk_router_match(&rt, "GET", "/css/app.css", &req, &idx, allowed, sizeof allowed),
                 TK_MATCH_OK);
    cr_assert_eq(idx, 1);
    cr_assert_str_eq(req.param_values[0], "css/app.css");
    cr_assert_eq(tk_router_match(&rt, "POST", "/x", &req, &idx, allowed, sizeof allowed),
                 TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET");
}

Test(router, trailing_slash_is_a_different_path)
{
    expect_result("GET", "/api/v1/events/", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/api/v1/events/42/", TK_MATCH_NOT_FOUND);
    expect_result("POST", "/api/v1/events/42/close/", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/api/v1/events//", TK_MATCH_NOT_FOUND);
    expect_result("GET", "//", TK_MATCH_NOT_FOUND);
}

Test(router, empty_segments_do_not_fill_params)
{
    expect_result("POST", "/api/v1/events//close", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/api//v1/events", TK_MATCH_NOT_FOUND);
}

Test(router, not_found)
{
    expect_result("GET", "/nope", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/api/v1/eventsx", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/api/v1", TK_MATCH_NOT_FOUND);
    expect_result("GET", "/API/v1/events", TK_MATCH_NOT_FOUND); /* case matters */
    expect_result("GET", "api/v1/events", TK_MATCH_NOT_FOUND);  /* no leading slash */
    expect_result("GET", "", TK_MATCH_NOT_FOUND);
    expect_result("POST", "/api/v1/events/1/2/3", TK_MATCH_NOT_FOUND);
    cr_assert_str_eq(allowed, "", "no Allow list for a 404");
}

Test(router, method_not_allowed_lists_methods)
{
    expect_result("DELETE", "/api/v1/events", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET, POST");
    expect_result("PUT", "/api/v1/events/42", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET, PATCH, DELETE");
    expect_result("GET", "/api/v1/events/42/close", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "POST");
    /* The literal route and the {id} route both match /events/new. */
    expect_result("PUT", "/api/v1/events/new", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET, PATCH, DELETE");
}

Test(router, allow_list_has_no_duplicates)
{
    /* /pair/1/x matches R_PAIR_A (GET) and R_PAIR_B (POST). */
    expect_result("DELETE", "/pair/1/x", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET, POST");
    static const tk_route dup[] = {
        {"GET", "/d/{a}", handler, "a", 0},
        {"GET", "/d/{b}", handler, "b", 0},
        {"POST", "/d/{c}", handler, "c", 0},
    };
    tk_router rt = {dup, 3};
    size_t idx;
    cr_assert_eq(tk_router_match(&rt, "PUT", "/d/1", &req, &idx, allowed, sizeof allowed),
                 TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "GET, POST");
}

Test(router, allow_list_respects_its_size)
{
    char small[8];
    memset(small, '#', sizeof small);
    size_t idx;
    cr_assert_eq(tk_router_match(&router, "PUT", "/api/v1/events/42", &req, &idx, small, 6),
                 TK_MATCH_METHOD);
    cr_assert_eq(small[6], '#', "wrote past allowed_size");
    cr_assert_eq(small[7], '#');
    cr_assert_lt(strnlen(small, 6), 6, "not terminated");
    /* No buffer at all is fine too. */
    cr_assert_eq(tk_router_match(&router, "PUT", "/api/v1/events/42", &req, &idx, NULL, 0),
                 TK_MATCH_METHOD);
}

Test(router, head_is_served_by_get)
{
    expect_route("HEAD", "/api/v1/events", R_LIST);
    expect_route("HEAD", "/api/v1/events/9", R_GET);
    cr_assert_str_eq(param("id"), "9");
    expect_route("HEAD", "/files/a.txt", R_FILES);
    /* But not by other methods. */
    expect_result("HEAD", "/api/v1/events/9/close", TK_MATCH_METHOD);
    cr_assert_str_eq(allowed, "POST");
}

Test(router, method_is_case_sensitive)
{
    expect_result("get", "/api/v1/events", TK_MATCH_METHOD);
}
