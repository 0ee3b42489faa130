#include "gov/routing.h"

#include <stdio.h>
#include <string.h>

#include "gov/categories.h"

/* The township and county above (or at) a unit, in one recursive query. */
static tk_status township_and_county(tk_conn *c, int64_t place_id, int64_t *township,
                                     int64_t *county, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "WITH RECURSIVE up(id, parent_id, kind) AS ("
                            " SELECT id, parent_id, kind FROM units WHERE id = ?1"
                            " UNION ALL SELECT u.id, u.parent_id, u.kind FROM units u"
                            " JOIN up ON u.id = up.parent_id) "
                            "SELECT coalesce(max(CASE WHEN kind = 'township' THEN id END), 0), "
                            "coalesce(max(CASE WHEN kind = 'county' THEN id END), 0) FROM up",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, place_id);
    int rc = tk_step(s, err);
    *township = rc == 1 ? tk_col_i64(s, 0) : 0;
    *county = rc == 1 ? tk_col_i64(s, 1) : 0;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The active child of parent with the given function. */
static tk_status body_of(tk_conn *c, tk_arena *a, int64_t parent, const char *function, int64_t *id,
                         const char **name, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, name FROM units WHERE parent_id = ?1 AND function = ?2 "
                            "AND active = 1 ORDER BY id LIMIT 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, parent);
    tk_bind_text(s, 2, function);
    int rc = tk_step(s, err);
    *id = rc == 1 ? tk_col_i64(s, 0) : 0;
    *name = rc == 1 ? tk_arena_strdup(a, tk_col_text(s, 1)) : NULL;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* The township's own enforcement team, or the 1+X team that covers it. */
static tk_status enforcement_team(tk_conn *c, tk_arena *a, int64_t township, int64_t *id,
                                  const char **name, tk_error *err)
{
    tk_status st = body_of(c, a, township, "team", id, name, err);
    if (st != TK_OK || *id)
        return st;
    tk_stmt *s = tk_prepare(c,
                            "SELECT id, name FROM units WHERE id = (SELECT min(u.id) FROM "
                            "team_coverage tc JOIN units u ON u.id = tc.team_unit_id "
                            "WHERE tc.township_unit_id = ?1 AND u.active = 1)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, township);
    int rc = tk_step(s, err);
    *id = rc == 1 ? tk_col_i64(s, 0) : 0;
    *name = rc == 1 ? tk_arena_strdup(a, tk_col_text(s, 1)) : NULL;
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

/* Whether person (has_user, headcount, id) comes before the best so far: someone
 * with an account first (they can sign for it), then the head of the body (the
 * post of fewest holders; no post first, as SQL sorts NULL), then the earliest. */
static bool comes_first(bool has_user, int64_t headcount, int64_t id, const tk_routing *best,
                        int64_t best_headcount)
{
    if (!best->person_id)
        return true;
    if (has_user != (best->user_id != 0))
        return has_user;
    if (headcount != best_headcount)
        return headcount < best_headcount;
    return id < best->person_id;
}

static tk_status suggest_person(tk_conn *c, tk_arena *a, tk_routing *out, tk_error *err)
{
    /* A body has a handful of people: chosen here, without a sort in SQL (which
     * SQLite would run through a temporary table on every report). */
    tk_stmt *s = tk_prepare(c,
                            "SELECT p.id, p.name, coalesce(p.user_id, 0), "
                            "coalesce(po.headcount, -1) FROM people p "
                            "LEFT JOIN posts po ON po.id = p.post_id WHERE p.unit_id = ?1 "
                            "AND p.active = 1",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, out->subject_unit_id);
    int rc;
    int64_t best_headcount = 0;
    while ((rc = tk_step(s, err)) == 1) {
        int64_t id = tk_col_i64(s, 0), user_id = tk_col_i64(s, 2), headcount = tk_col_i64(s, 3);
        if (!comes_first(user_id != 0, headcount, id, out, best_headcount))
            continue;
        out->person_id = id;
        out->person_name = tk_arena_strdup(a, tk_col_text(s, 1));
        out->user_id = user_id;
        best_headcount = headcount;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

static tk_status choose_subject(tk_conn *c, tk_arena *a, tk_routing *out, tk_error *err)
{
    const tk_list_item *it = &out->item;
    tk_status st;
    if (!strcmp(it->subject_kind, "module")) {
        out->subject_kind = "module";
        st = body_of(c, a, out->township_id, it->subject, &out->subject_unit_id,
                     &out->subject_unit_name, err);
        out->reason = "属地管理：由乡镇相应模块负责";
    } else if (it->delegated) {
        /* Enforcement delegated to the township: its 1+X team, else 平安法治. */
        out->subject_kind = "team";
        st = enforcement_team(c, a, out->township_id, &out->subject_unit_id,
                              &out->subject_unit_name, err);
        out->reason = "执法事项已赋权乡镇：由综合行政执法队办理";
        if (st == TK_OK && !out->subject_unit_id) {
            out->subject_kind = "module";
            st = body_of(c, a, out->township_id, "pingan", &out->subject_unit_id,
                         &out->subject_unit_name, err);
            out->reason = "执法事项已赋权乡镇：本乡镇无执法队，由平安法治模块办理";
        }
    } else {
        out->subject_kind = "department";
        st = body_of(c, a, out->county_id, it->subject, &out->subject_unit_id,
                     &out->subject_unit_name, err);
        out->reason = "条线主管：由县级部门负责（乡呼县应）";
    }
    if (st != TK_OK)
        return st;
    if (!out->subject_unit_id) {
        out->reason = "该地没有对应的责任主体，请县级社会治理中心协调";
        return TK_OK;
    }
    return suggest_person(c, a, out, err);
}

tk_status tk_routing_suggest(tk_conn *c, tk_arena *a, const char *category_code, int64_t place_id,
                             const char *date, tk_routing *out, tk_error *err)
{
    memset(out, 0, sizeof *out);
    tk_category cat;
    if (tk_category_get(c, a, category_code, &cat, err) != TK_OK)
        return err->status;
    if (!cat.leaf)
        return tk_fail_field(err, "category", "请选择具体的小类，%s「%s」是大类", cat.code,
                             cat.name);
    int64_t township, county;
    if (township_and_county(c, place_id, &township, &county, err) != TK_OK)
        return err->status;
    if (!township)
        return tk_fail_field(err, "location", "该位置不在任何乡镇（街道）内");
    return tk_routing_suggest_in(c, a, &cat, township, county, date, out, err);
}

tk_status tk_routing_suggest_in(tk_conn *c, tk_arena *a, const tk_category *category,
                                int64_t township_id, int64_t county_id, const char *date,
                                tk_routing *out, tk_error *err)
{
    memset(out, 0, sizeof *out);
    const tk_category cat = *category;
    out->township_id = township_id;
    out->county_id = county_id;
    if (!cat.list_item_code) {
        out->out_of_list = true;
        out->reason = tk_arena_printf(
            a, "类别「%s」没有对应的清单事项（清单外），由县级社会治理中心研判", cat.name);
        return TK_OK;
    }
    tk_error lookup;
    tk_status st = tk_list_item_get(c, a, cat.list_item_code, date, &out->item, &lookup);
    if (st == TK_ENOTFOUND) {
        out->out_of_list = true;
        out->reason = tk_arena_printf(a, "清单事项 %s 在 %s 不在册（已废止或尚未生效），属清单外",
                                      cat.list_item_code, date);
        return TK_OK;
    }
    if (st != TK_OK) {
        *err = lookup;
        return st;
    }
    return choose_subject(c, a, out, err);
}
