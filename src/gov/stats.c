#include "gov/stats.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "gov/access.h"

#define SUMS                                                                                       \
    "coalesce(sum(reported), 0), coalesce(sum(accepted), 0), coalesce(sum(dispatched), 0), "       \
    "coalesce(sum(dispatched_on_time), 0), coalesce(sum(closed), 0), coalesce(sum(due), 0), "      \
    "coalesce(sum(closed_on_time), 0), coalesce(sum(feedbacks), 0), coalesce(sum(reworks), 0), "   \
    "coalesce(sum(returns), 0), coalesce(sum(overdue), 0), coalesce(sum(handle_minutes), 0), "     \
    "coalesce(sum(rated), 0), coalesce(sum(satisfied), 0), coalesce(sum(rating_sum), 0), "         \
    "coalesce(sum(accepted_closed), 0)"

static void stats_from_row(tk_stmt *s, int i, tk_stats *o)
{
    int64_t *f[] = {&o->reported, &o->accepted,  &o->dispatched,     &o->dispatched_on_time,
                    &o->closed,   &o->due,       &o->closed_on_time, &o->feedbacks,
                    &o->reworks,  &o->returns,   &o->overdue,        &o->handle_minutes,
                    &o->rated,    &o->satisfied, &o->rating_sum,     &o->accepted_closed};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        *f[k] = tk_col_i64(s, i + (int)k);
}

tk_status tk_stats_rollup(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                          tk_stats *out, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT " SUMS " FROM stats_daily WHERE unit_id = ?1 AND day >= ?2 "
                            "AND day <= ?3",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, from_day);
    tk_bind_text(s, 3, to_day);
    int rc = tk_step(s, err);
    memset(out, 0, sizeof *out);
    if (rc == 1)
        stats_from_row(s, 0, out);
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The timeline's day of a row, in Asia/Shanghai. */
#define DAY_OF(col) "date((" col ") / 1000 + 8 * 3600, 'unixepoch')"

tk_status tk_stats_raw(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                       int64_t now, tk_stats *out, tk_error *err)
{
    /* Independent of the rollups: events and their timeline only. */
    /* The SQL reads better laid out by hand around DAY_OF(). */
    /* clang-format off */
    tk_stmt *s = tk_prepare(
        c,
        "WITH scope AS (SELECT path FROM units WHERE id = ?1), "
        "ev AS (SELECT e.* FROM events e, scope WHERE e.scope_path >= scope.path AND "
        "  e.scope_path < substr(scope.path, 1, length(scope.path) - 1) || '0'), "
        "tl AS (SELECT t.* FROM event_timeline t JOIN ev ON ev.id = t.event_id WHERE "
        DAY_OF("t.at") " BETWEEN ?2 AND ?3) "
        "SELECT "
        "(SELECT count(*) FROM ev WHERE " DAY_OF("ev.created_at") " BETWEEN ?2 AND ?3), "
        "(SELECT count(*) FROM tl WHERE action IN ('accept', 'self-close')), "
        "(SELECT count(*) FROM tl WHERE action = 'dispatch'), "
        "(SELECT count(*) FROM tl WHERE action = 'dispatch' AND json_extract(detail, '$.on_time')), "
        "(SELECT count(*) FROM tl WHERE to_state = 'closed' AND action IN ('close', 'self-close')), "
        /* due: at closure if it came first, else when the total deadline passed */
        "(SELECT count(*) FROM ev WHERE ev.due_at IS NOT NULL AND "
        "  (CASE WHEN ev.closed_at IS NOT NULL AND ev.closed_at <= ev.due_at THEN ev.closed_at "
        "   ELSE ev.due_at END) <= ?4 AND "
        /* stopped (rejected, void) events count only if the deadline came first */
        "  (ev.state NOT IN ('rejected', 'void') OR ev.due_at <= (SELECT min(s.at) FROM "
        "   event_timeline s WHERE s.event_id = ev.id AND s.to_state IN ('rejected', 'void'))) AND "
        "  " DAY_OF("CASE WHEN ev.closed_at IS NOT NULL AND ev.closed_at <= ev.due_at THEN "
                    "ev.closed_at ELSE ev.due_at END") " BETWEEN ?2 AND ?3), "
        "(SELECT count(*) FROM tl WHERE to_state = 'closed' AND action IN ('close', 'self-close') "
        "  AND json_extract(detail, '$.on_time')), "
        "(SELECT count(*) FROM tl WHERE action = 'feedback'), "
        /* reworks: on the day of the feedback sent back */
        "(SELECT count(*) FROM event_timeline v JOIN ev ON ev.id = v.event_id WHERE "
        "  v.action = 'verify' AND v.from_state = 'feedback' AND v.to_state = 'handling' AND "
        "  v.at <= ?4 AND " DAY_OF("(SELECT max(f.at) FROM event_timeline f WHERE "
        "  f.event_id = v.event_id AND f.action = 'feedback' AND f.id < v.id)") " BETWEEN ?2 AND "
        "  ?3), "
        "(SELECT count(*) FROM tl WHERE action = 'return'), "
        "(SELECT count(*) FROM tl WHERE action = 'red'), "
        "(SELECT coalesce(sum(ev.handle_minutes), 0) FROM ev WHERE ev.closed_at IS NOT NULL AND "
        "  " DAY_OF("ev.closed_at") " BETWEEN ?2 AND ?3), "
        "(SELECT count(*) FROM tl WHERE action = 'revisit'), "
        "(SELECT count(*) FROM tl WHERE action = 'revisit' AND "
        "  json_extract(detail, '$.satisfaction') >= 4), "
        "(SELECT coalesce(sum(json_extract(detail, '$.satisfaction')), 0) FROM tl WHERE "
        "  action = 'revisit'), "
        /* accepted in the period and closed by now, whenever */
        "(SELECT count(*) FROM ev WHERE EXISTS (SELECT 1 FROM event_timeline a WHERE "
        "  a.event_id = ev.id AND a.action IN ('accept', 'self-close') AND "
        "  " DAY_OF("a.at") " BETWEEN ?2 AND ?3) AND EXISTS (SELECT 1 FROM event_timeline z "
        "  WHERE z.event_id = ev.id AND z.to_state = 'closed' AND z.at <= ?4))",
        err);
    /* clang-format on */
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, from_day);
    tk_bind_text(s, 3, to_day);
    tk_bind_i64(s, 4, now);
    int rc = tk_step(s, err);
    memset(out, 0, sizeof *out);
    if (rc == 1)
        stats_from_row(s, 0, out);
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_stats_departments(tk_conn *c, int64_t unit_id, const char *from_day,
                               const char *to_day, tk_department_stats_fn fn, void *ctx,
                               tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c,
                   "SELECT u.id, u.name, coalesce(sum(d.calls), 0), coalesce(sum(d.signed), 0), "
                   "coalesce(sum(d.signed_on_time), 0), coalesce(sum(d.sign_minutes), 0), "
                   "coalesce(sum(d.responded), 0), coalesce(sum(d.response_minutes), 0) "
                   "FROM units u JOIN units s ON s.id = ?1 LEFT JOIN stats_departments d ON "
                   "d.department_id = u.id AND d.day >= ?2 AND d.day <= ?3 "
                   "WHERE u.kind = 'department' AND u.path >= s.path AND "
                   "u.path < substr(s.path, 1, length(s.path) - 1) || '0' "
                   "GROUP BY u.id HAVING sum(d.calls) > 0 ORDER BY u.id",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, from_day);
    tk_bind_text(s, 3, to_day);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_department_stats d = {tk_col_i64(s, 0), tk_col_text(s, 1), tk_col_i64(s, 2),
                                 tk_col_i64(s, 3), tk_col_i64(s, 4),  tk_col_i64(s, 5),
                                 tk_col_i64(s, 6), tk_col_i64(s, 7)};
        fn(ctx, &d);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_stats_series(tk_conn *c, int64_t unit_id, const char *from_day, const char *to_day,
                          tk_stats_day_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT day, " SUMS " FROM stats_daily WHERE unit_id = ?1 AND "
                            "day >= ?2 AND day <= ?3 GROUP BY day ORDER BY day",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, from_day);
    tk_bind_text(s, 3, to_day);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_stats_day d = {.day = tk_col_text(s, 0)};
        stats_from_row(s, 1, &d.s);
        fn(ctx, &d);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_stats_children(tk_conn *c, int64_t unit_id, const char *kind, const char *from_day,
                            const char *to_day, tk_stats_unit_fn fn, void *ctx, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT u.id, u.name, u.code, " SUMS " FROM units u JOIN units p ON "
                            "p.id = ?1 LEFT JOIN stats_daily d ON d.unit_id = u.id AND "
                            "d.day >= ?3 AND d.day <= ?4 WHERE u.kind = ?2 AND u.active = 1 AND "
                            "u.path >= p.path AND u.path < substr(p.path, 1, length(p.path) - 1) "
                            "|| '0' GROUP BY u.id ORDER BY u.id",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, kind);
    tk_bind_text(s, 3, from_day);
    tk_bind_text(s, 4, to_day);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_stats_unit u = {
            .unit_id = tk_col_i64(s, 0), .name = tk_col_text(s, 1), .code = tk_col_text(s, 2)};
        stats_from_row(s, 3, &u.s);
        fn(ctx, &u);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}
