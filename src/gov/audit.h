/*
 * audit.h - the tamper-evident audit chain.
 *
 * Every state-changing request appends one record in the same transaction as its
 * change (the writer thread serialises appends, so the chain is linear). A
 * record's hash is SHA-256 over the previous record's hash and the record's own
 * fields, each length-prefixed; the first record's previous hash is 32 zero
 * bytes. tk_audit_verify recomputes the chain and names the first record whose
 * hash, link or sequence does not hold.
 */
#ifndef TK_AUDIT_H
#define TK_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "gov/access.h"
#include "store/db.h"

typedef struct {
    const tk_identity *who; /* NULL for the anonymous or the system */
    const char *actor;      /* used when who is NULL (e.g. the username tried) */
    const char *ip;
    const char *action;      /* "user.create", "session.create", "event.dispatch" ... */
    const char *target_type; /* "user", "event", ... ("" if none) */
    const char *target_id;
    const char *outcome; /* "ok", "denied", "failed" */
    const char *detail;  /* JSON text, may be NULL */
} tk_audit_entry;

/* Call inside a write job. */
tk_status tk_audit_append(tk_conn *c, const tk_audit_entry *e, int64_t *seq, tk_error *err);

typedef struct {
    int64_t checked;    /* records walked */
    int64_t broken_seq; /* 0 when the chain holds */
    char reason[200];   /* zh-CN */
} tk_audit_report;

tk_status tk_audit_verify(tk_conn *c, tk_audit_report *rep, tk_error *err);

typedef struct {
    int64_t seq, at, actor_id;
    const char *actor, *role, *unit_path, *ip, *action, *target_type, *target_id, *outcome, *detail;
    char hash[65];
} tk_audit_row;

typedef struct {
    const char *actor;  /* exact username */
    const char *action; /* exact, or a prefix ending in '.' ("user.") */
    const char *target_type;
    const char *target_id;
    const char *outcome;
    int64_t from, to;   /* [from, to) in ms; 0 = open */
    int64_t before_seq; /* cursor: records older than this (0 = newest) */
    int limit;
} tk_audit_filter;

typedef void (*tk_audit_fn)(void *ctx, const tk_audit_row *row);
/* Newest first. */
tk_status tk_audit_list(tk_conn *c, tk_arena *a, const tk_audit_filter *f, tk_audit_fn fn,
                        void *ctx, bool *more, tk_error *err);

#endif
