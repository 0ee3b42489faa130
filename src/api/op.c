#include "api/op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gov/audit.h"
#include "http/json.h"

static void op_free_detail(api_op *op)
{
    json_decref(op->detail);
    op->detail = NULL;
    json_decref(op->problem);
    op->problem = NULL;
}

api_op *api_op_new(tk_req *r, const char *target_type, api_op_fn run, api_op_reply reply,
                   void *data)
{
    api_op *op = tk_arena_zalloc(r->arena, sizeof *op);
    op->r = r;
    op->action = r->route ? r->route->action : "";
    op->target_type = target_type;
    op->run = run;
    op->reply = reply;
    op->data = data;
    return op;
}

void api_op_target(api_op *op, int64_t id)
{
    snprintf(op->target_id, sizeof op->target_id, "%lld", (long long)id);
}

void api_op_detail(api_op *op, const char *key, json_t *value)
{
    if (!op->detail)
        op->detail = json_object();
    json_object_set_new(op->detail, key, value);
}

tk_status api_audit(tk_conn *c, tk_req *r, const char *action, const char *target_type,
                    const char *target_id, const char *outcome, const json_t *detail, tk_error *err)
{
    char *text = detail ? tk_json_dump(detail, NULL) : NULL;
    tk_audit_entry e = {
        .who = api_who(r),
        .ip = r->client_ip,
        .action = action,
        .target_type = target_type,
        .target_id = target_id,
        .outcome = outcome,
        .detail = text,
    };
    tk_status st = tk_audit_append(c, &e, NULL, err);
    free(text);
    return st;
}

static tk_status op_run(tk_conn *c, void *arg, tk_error *err)
{
    api_op *op = arg;
    tk_status st = op->run(c, op, err);
    if (st != TK_OK)
        return st;
    return api_audit(c, op->r, op->action, op->target_type, op->target_id, "ok", op->detail, err);
}

typedef struct {
    api_op *op;
    const char *action;
    const char *actor;
    const char *target_type, *target_id;
    tk_error failure;
    json_t *detail;
    json_t *problem; /* extra members of the reply */
} refusal;

static const char *outcome_of(tk_status st)
{
    return st == TK_EFORBIDDEN || st == TK_EUNAUTH || st == TK_ELIMIT ? "denied" : "failed";
}

static tk_status refusal_run(tk_conn *c, void *arg, tk_error *err)
{
    refusal *f = arg;
    json_t *detail = f->detail ? json_incref(f->detail) : json_object();
    json_object_set_new(detail, "code", json_string(f->failure.code));
    json_object_set_new(detail, "reason", json_string(f->failure.detail));
    if (f->actor)
        json_object_set_new(detail, "actor", json_string(f->actor));
    char *text = tk_json_dump(detail, NULL);
    json_decref(detail);
    tk_audit_entry e = {
        .who = api_who(f->op->r),
        .actor = f->actor,
        .ip = f->op->r->client_ip,
        .action = f->action,
        .target_type = f->target_type,
        .target_id = f->target_id,
        .outcome = outcome_of(f->failure.status),
        .detail = text,
    };
    tk_status st = tk_audit_append(c, &e, NULL, err);
    free(text);
    return st;
}

static void refusal_then(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    refusal *f = arg;
    (void)st;
    (void)err; /* the refusal stands even if its record could not be written */
    json_decref(f->detail);
    tk_reply_error_with(r, &f->failure, f->problem); /* takes problem */
}

static void refuse(api_op *op, const char *action, const char *actor, const tk_error *failure)
{
    tk_req *r = op->r;
    refusal *f = tk_arena_zalloc(r->arena, sizeof *f);
    f->op = op;
    f->action = action;
    f->actor = actor ? tk_arena_strdup(r->arena, actor) : NULL;
    f->target_type = op->target_type ? op->target_type : "";
    f->target_id = op->target_id;
    f->failure = *failure;
    f->detail = op->detail;
    op->detail = NULL;
    f->problem = op->problem;
    op->problem = NULL;
    tk_req_write(r, refusal_run, f, refusal_then);
}

static void op_then(tk_req *r, void *arg, tk_status st, const tk_error *err)
{
    api_op *op = arg;
    if (st == TK_OK) {
        op_free_detail(op);
        op->reply(r, op);
        return;
    }
    if (st == TK_EIO || st == TK_EINTERNAL || st == TK_EUNAVAIL) {
        op_free_detail(op);
        tk_reply_error(r, err);
        return;
    }
    if (op->refused)
        op->refused(r, op, err);
    refuse(op, op->action, NULL, err);
}

void api_op_submit(api_op *op)
{
    tk_req_write(op->r, op_run, op, op_then);
}

void api_refuse_audited(tk_req *r, const char *action, const char *actor, const tk_error *err)
{
    api_op *op = api_op_new(r, "", NULL, NULL, NULL);
    refuse(op, action, actor, err);
}
