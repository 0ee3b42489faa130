/*
 * problem.h - the one place where statuses become HTTP codes and zh-CN titles.
 */
#ifndef TK_PROBLEM_H
#define TK_PROBLEM_H

#include <jansson.h>

#include "core/status.h"

int tk_problem_http_status(tk_status st);
const char *tk_problem_title(int http_status);
/* {"type","title","status","detail","code","instance"} plus extra's members. */
json_t *tk_problem_body(const tk_error *err, const char *instance, json_t *extra);

#endif
