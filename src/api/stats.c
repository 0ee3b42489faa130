/*
 * stats.c - indicators from the rollups.
 *
 * GET /api/v1/stats/summary?unit_id=&from=&to=[&source=raw]   one unit, one period
 * GET /api/v1/stats/daily?unit_id=&from=&to=                  a series by day
 * GET /api/v1/stats/children?unit_id=&kind=township&from=&to= every child, for rankings
 * GET /api/v1/stats/departments?unit_id=&from=&to=            乡呼县应 per department
 * Periods are whole days in Asia/Shanghai; the default is the current month.
 */
#include <string.h>

#include "api/app.h"
#include "api/input.h"
#include "api/op.h"
#include "api/render.h"
#include "core/clock.h"
#include "gov/access.h"
#include "gov/stats.h"
#include "gov/territory.h"

static json_t *ratio(int64_t num, int64_t den)
{
    return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *stats_json(const tk_stats *s)
{
    json_t *counts =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                  "reported", (json_int_t)s->reported, "accepted", (json_int_t)s->accepted,
                  "dispatched", (json_int_t)s->dispatched, "dispatched_on_time",
                  (json_int_t)s->dispatched_on_time, "closed", (json_int_t)s->closed, "due",
                  (json_int_t)s->due, "closed_on_time", (json_int_t)s->closed_on_time, "feedbacks",
                  (json_int_t)s->feedbacks, "reworks", (json_int_t)s->reworks, "returns",
                  (json_int_t)s->returns, "overdue", (json_int_t)s->overdue, "handle_minutes",
                  (json_int_t)s->handle_minutes, "rated", (json_int_t)s->rated, "satisfied",
                  (json_int_t)s->satisfied, "rating_sum", (json_int_t)s->rating_sum);
    json_object_set_new(counts, "accepted_closed", json_integer(s->accepted_closed));
    json_t *rates = json_object();
    /* Of the events accepted in the period, the share closed so far (never above 1). */
    json_object_set_new(rates, "closure_rate", ratio(s->accepted_closed, s->accepted));
    json_object_set_new(rates, "on_time_closure_rate", ratio(s->closed_on_time, s->due));
    json_object_set_new(rates, "rework_rate", ratio(s->reworks, s->feedbacks));
    json_object_set_new(rates, "timely_dispatch_rate", ratio(s->dispatched_on_time, s->dispatched));
    json_object_set_new(rates, "satisfaction_rate", ratio(s->satisfied, s->rated));
    json_object_set_new(rates, "average_handle_minutes",
                        s->closed ? json_real((double)s->handle_minutes / (double)s->closed)
                                  : json_null());
    return json_pack("{s:o, s:o}", "counts", counts, "rates", rates);
}

/* unit_id (default: the caller's scope anchor) inside the scope; from/to days. */
static bool period(tk_req *r, int64_t *unit_id, char from[16], char to[16])
{
    tk_error err;
    int64_t f, t;
    if (api_failed(r, q_int(r, "unit_id", 0, 0, INT64_MAX, unit_id, &err), &err) ||
        api_failed(r, q_time(r, "from", &f, &err), &err) ||
        api_failed(r, q_time(r, "to", &t, &err), &err))
        return false;
    int64_t now = tk_now_ms();
    tk_date_format(t ? t : now, to, 16);
    if (f) {
        tk_date_format(f, from, 16);
    } else {
        tk_date_format(now, from, 16);
        memcpy(from + 8, "01", 3); /* the first of this month */
    }
    tk_conn *c = api_reader(r);
    if (!c)
        return false;
    const tk_identity *who = api_who(r);
    tk_place p;
    tk_status st =
        *unit_id ? tk_place_get(c, r->arena, *unit_id, who->scope_path, false, &p, &err) : TK_OK;
    if (st != TK_OK) {
        tk_reply_error(r, &err);
        return false;
    }
    if (!*unit_id)
        *unit_id = tk_path_unit_id(who->scope_path); /* the caller's territorial anchor */
    return true;
}

void api_stats_summary(tk_req *r)
{
    int64_t unit;
    char from[16], to[16];
    tk_error err;
    const char *source;
    if (!period(r, &unit, from, to) || api_failed(r, q_str(r, "source", 8, &source, &err), &err))
        return;
    bool raw = source && !strcmp(source, "raw");
    tk_stats s;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    tk_status st = raw ? tk_stats_raw(c, unit, from, to, tk_now_ms(), &s, &err)
                       : tk_stats_rollup(c, unit, from, to, &s, &err);
    if (st != TK_OK) {
        tk_reply_error(r, &err);
        return;
    }
    json_t *body = stats_json(&s);
    json_object_set_new(body, "unit_id", json_integer(unit));
    json_object_set_new(body, "from", json_string(from));
    json_object_set_new(body, "to", json_string(to));
    json_object_set_new(body, "source", json_string(raw ? "raw" : "rollup"));
    tk_reply_json(r, 200, body);
}

static void add_day(void *ctx, const tk_stats_day *d)
{
    json_t *o = stats_json(&d->s);
    json_object_set_new(o, "day", json_string(d->day));
    json_array_append_new(ctx, o);
}

void api_stats_daily(tk_req *r)
{
    int64_t unit;
    char from[16], to[16];
    tk_error err;
    if (!period(r, &unit, from, to))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    json_t *items = json_array();
    if (tk_stats_series(c, unit, from, to, add_day, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:I, s:o}", "unit_id", (json_int_t)unit, "items", items));
}

static void add_child(void *ctx, const tk_stats_unit *u)
{
    json_t *o = stats_json(&u->s);
    json_object_set_new(o, "unit_id", json_integer(u->unit_id));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "code", json_string(u->code));
    json_array_append_new(ctx, o);
}

void api_stats_children(tk_req *r)
{
    int64_t unit;
    char from[16], to[16];
    tk_error err;
    const char *kind;
    if (!period(r, &unit, from, to) || api_failed(r, q_str(r, "kind", 16, &kind, &err), &err))
        return;
    if (!kind || !tk_unit_kind_territorial(kind)) {
        tk_reply_fail(r, TK_EVALID, "invalid_field", "kind 需要 county、township、village 或 grid");
        return;
    }
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    json_t *items = json_array();
    if (tk_stats_children(c, unit, kind, from, to, add_child, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:I, s:o}", "unit_id", (json_int_t)unit, "items", items));
}

static void add_department(void *ctx, const tk_department_stats *d)
{
    json_array_append_new(
        ctx, json_pack(
                 "{s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "department_id",
                 (json_int_t)d->department_id, "name", d->name, "calls", (json_int_t)d->calls,
                 "signed", (json_int_t)d->signed_, "signed_on_time", (json_int_t)d->signed_on_time,
                 "responded", (json_int_t)d->responded, "average_sign_minutes",
                 d->signed_ ? json_real((double)d->sign_minutes / (double)d->signed_) : json_null(),
                 "average_response_minutes",
                 d->responded ? json_real((double)d->response_minutes / (double)d->responded)
                              : json_null()));
}

void api_stats_departments(tk_req *r)
{
    int64_t unit;
    char from[16], to[16];
    tk_error err;
    if (!period(r, &unit, from, to))
        return;
    tk_conn *c = api_reader(r);
    if (!c)
        return;
    json_t *items = json_array();
    if (tk_stats_departments(c, unit, from, to, add_department, items, &err) != TK_OK) {
        json_decref(items);
        tk_reply_error(r, &err);
        return;
    }
    tk_reply_json(r, 200, json_pack("{s:I, s:o}", "unit_id", (json_int_t)unit, "items", items));
}
