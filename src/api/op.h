/*
 * op.h - an audited write: the change and its audit record commit together.
 *
 * A handler validates its input, then makes an op with the function that does
 * the change (on the writer thread, inside the batch's transaction) and the one
 * that replies on success. After run succeeds, the op appends the audit record
 * (outcome "ok") in the same transaction. If run fails, the transaction part is
 * rolled back, a record with outcome "failed" (or "denied") is committed on its
 * own, and the failure is answered as problem+json.
 */
#ifndef TK_OP_H
#define TK_OP_H

#include <jansson.h>

#include "api/app.h"
#include "gov/access.h"

typedef struct api_op api_op;
typedef tk_status (*api_op_fn)(tk_conn *c, api_op *op, tk_error *err);
typedef void (*api_op_reply)(tk_req *r, api_op *op);

struct api_op {
    tk_req *r;
    const char *action;      /* defaults to the route's action */
    const char *target_type; /* "user", "event" ... */
    char target_id[64];      /* set by run when the target is created there */
    json_t *detail;          /* audit detail (owned; may be NULL) */
    json_t *problem;         /* extra members of the problem answered if run fails (owned;
                                may be NULL): run sets it, e.g. the lines of a rejected file */
    api_op_fn run;
    api_op_reply reply;
    /* May add headers to the refusal when run fails (e.g. Retry-After); may be NULL. */
    void (*refused)(tk_req *r, api_op *op, const tk_error *err);
    void *data; /* the handler's own state (arena memory) */
};

api_op *api_op_new(tk_req *r, const char *target_type, api_op_fn run, api_op_reply reply,
                   void *data);
void api_op_target(api_op *op, int64_t id);
/* Adds a member to the audit detail. */
void api_op_detail(api_op *op, const char *key, json_t *value);
void api_op_submit(api_op *op);

/* Appends an audit record for r's caller (call inside a write job). */
tk_status api_audit(tk_conn *c, tk_req *r, const char *action, const char *target_type,
                    const char *target_id, const char *outcome, const json_t *detail,
                    tk_error *err);
/* Commits an audit record on its own, then answers err. For refusals that change
 * nothing (403 on a write, a failed login). */
void api_refuse_audited(tk_req *r, const char *action, const char *actor, const tk_error *err);

/* The caller, set by the guard (NULL on public routes). */
static inline const tk_identity *api_who(tk_req *r)
{
    return (const tk_identity *)r->auth;
}

#endif
