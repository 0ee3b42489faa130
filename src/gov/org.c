#include "gov/org.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "gov/access.h"

const char *tk_person_kind_label(const char *kind)
{
    static const struct {
        const char *kind, *label;
    } kinds[] = {
        {"township_cadre", "乡镇干部"},      {"dispatched_cadre", "派驻干部"},
        {"grid_worker", "专职网格员"},       {"department_staff", "部门工作人员"},
        {"command_staff", "指挥室值班人员"},
    };
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].label;
    return NULL;
}

static const char *dup(tk_arena *a, const char *s)
{
    return s ? tk_arena_strdup(a, s) : NULL;
}

tk_status tk_post_list(tk_conn *c, tk_arena *a, int64_t unit_id, tk_post_fn fn, void *ctx,
                       tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c,
                   "SELECT p.id, p.unit_id, p.name, p.duty, p.headcount, "
                   "(SELECT count(*) FROM people x WHERE x.post_id = p.id AND x.active = 1), "
                   "p.active FROM posts p WHERE p.unit_id = ?1 ORDER BY p.id",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    int rc;
    while ((rc = tk_step(s, err)) == 1) {
        tk_post p = {tk_col_i64(s, 0),          tk_col_i64(s, 1), dup(a, tk_col_text(s, 2)),
                     dup(a, tk_col_text(s, 3)), tk_col_i64(s, 4), tk_col_i64(s, 5),
                     tk_col_i64(s, 6) != 0};
        fn(ctx, &p);
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_post_create(tk_conn *c, int64_t unit_id, const char *name, const char *duty,
                         int64_t headcount, int64_t *id, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c, "INSERT INTO posts(unit_id, name, duty, headcount) VALUES (?1, ?2, ?3, ?4)", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, name);
    tk_bind_text(s, 3, duty ? duty : "");
    tk_bind_i64(s, 4, headcount);
    if (tk_step(s, err) < 0)
        return err->status == TK_ECONFLICT
                   ? tk_fail_field(err, "name", "该单位已有名为「%s」的岗位", name)
                   : err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

#define PERSON_SELECT                                                                              \
    "SELECT p.id, p.name, p.phone, p.id_number, p.kind, coalesce(p.post_id, 0), po.name, "         \
    "coalesce(p.home_unit_id, 0), h.name, p.quota_locked, p.person_locked, "                       \
    "coalesce(p.user_id, 0), p.active, p.since, " TK_UNIT_COLUMNS(                                 \
        "u") " FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN posts po ON po.id = "      \
             "p.post_id "                                                                          \
             "LEFT JOIN units h ON h.id = p.home_unit_id "

static void person_from_row(tk_stmt *s, tk_arena *a, tk_person *p)
{
    p->id = tk_col_i64(s, 0);
    p->name = dup(a, tk_col_text(s, 1));
    p->phone = dup(a, tk_col_text(s, 2));
    p->id_number = dup(a, tk_col_text(s, 3));
    p->kind = dup(a, tk_col_text(s, 4));
    p->post_id = tk_col_i64(s, 5);
    p->post_name = dup(a, tk_col_text(s, 6));
    p->home_unit_id = tk_col_i64(s, 7);
    p->home_unit_name = dup(a, tk_col_text(s, 8));
    p->quota_locked = tk_col_i64(s, 9) != 0;
    p->person_locked = tk_col_i64(s, 10) != 0;
    p->user_id = tk_col_i64(s, 11);
    p->active = tk_col_i64(s, 12) != 0;
    p->since = dup(a, tk_col_text(s, 13));
    tk_unit_from_row(s, 14, a, &p->unit);
}

tk_status tk_person_list(tk_conn *c, tk_arena *a, const tk_person_filter *f, tk_person_fn fn,
                         void *ctx, bool *more, tk_error *err)
{
    tk_stmt *s = tk_prepare(
        c,
        PERSON_SELECT "WHERE u.path >= ?1 AND u.path < ?2 AND p.id > ?3 "
                      "AND (?4 IS NULL OR p.kind = ?4) AND (?5 = 0 OR p.unit_id = ?5) "
                      "AND (?6 = 0 OR p.home_unit_id = ?6) "
                      "AND (?7 IS NULL OR instr(p.name, ?7) > 0) AND (?8 = 1 OR p.active = 1) "
                      "AND (?9 = '' OR (u.path >= ?9 AND u.path < ?10)) "
                      "ORDER BY p.id LIMIT ?11",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, f->scope_path);
    tk_bind_i64(s, 3, f->after_id);
    tk_bind_text(s, 4, f->kind);
    tk_bind_i64(s, 5, f->unit_id);
    tk_bind_i64(s, 6, f->home_unit_id);
    tk_bind_text(s, 7, f->q);
    tk_bind_i64(s, 8, f->include_inactive);
    const char *under = "";
    tk_arena *tmp = tk_arena_new(512);
    tk_unit u;
    if (f->under_id && tk_unit_get(c, tmp, f->under_id, &u, err) == TK_OK)
        under = u.path;
    else if (f->under_id)
        under = "/none/";
    if (*under)
        tk_bind_path_range(s, 9, under);
    else
        tk_bind_text(s, 9, ""); /* ?9 = '' means no "under" filter */
    tk_arena_free(tmp);
    tk_bind_i64(s, 11, f->limit + 1);
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == f->limit) {
            *more = true;
            break;
        }
        tk_person p;
        person_from_row(s, a, &p);
        fn(ctx, &p);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_person_get(tk_conn *c, tk_arena *a, int64_t id, const char *scope_path, tk_person *out,
                        tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c, PERSON_SELECT "WHERE p.id = ?1 AND u.path >= ?2 AND u.path < ?3", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_path_range(s, 2, scope_path);
    int rc = tk_step(s, err);
    if (rc == 1)
        person_from_row(s, a, out);
    tk_reset(s);
    if (rc < 0)
        return err->status;
    return rc == 1 ? TK_OK
                   : tk_fail(err, TK_ENOTFOUND, "person_not_found",
                             "没有找到该人员，或不在您的管辖范围内");
}

static void bind_id_or_null(tk_stmt *s, int i, int64_t v)
{
    if (v)
        tk_bind_i64(s, i, v);
    else
        tk_bind_null(s, i);
}

static tk_status person_check(tk_conn *c, const tk_person_input *in, tk_error *err)
{
    if (in->kind && strcmp(in->kind, "dispatched_cadre") == 0 && !in->home_unit_id)
        return tk_fail_field(err, "home_unit_id", "派驻干部需要派出部门");
    if (in->home_unit_id) {
        tk_arena *a = tk_arena_new(512);
        tk_unit home;
        tk_status st = tk_unit_get(c, a, in->home_unit_id, &home, err);
        if (st == TK_OK && strcmp(home.kind, "department") != 0)
            st = tk_fail_field(err, "home_unit_id", "派出单位需要是县级部门");
        tk_arena_free(a);
        if (st != TK_OK)
            return st == TK_ENOTFOUND ? tk_fail_field(err, "home_unit_id", "派出部门不存在") : st;
    }
    return TK_OK;
}

tk_status tk_person_create(tk_conn *c, const tk_person_input *in, int64_t *id, tk_error *err)
{
    if (person_check(c, in, err) != TK_OK)
        return err->status;
    int64_t now = tk_now_ms();
    tk_stmt *s = tk_prepare(c,
                            "INSERT INTO people(name, phone, id_number, kind, unit_id, post_id, "
                            "home_unit_id, quota_locked, person_locked, user_id, since, "
                            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                            "max(?8, 0), max(?9, 0), ?10, ?11, ?12, ?12)",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_text(s, 1, in->name);
    tk_bind_text(s, 2, in->phone);
    tk_bind_text(s, 3, in->id_number);
    tk_bind_text(s, 4, in->kind);
    tk_bind_i64(s, 5, in->unit_id);
    bind_id_or_null(s, 6, in->post_id);
    bind_id_or_null(s, 7, in->home_unit_id);
    tk_bind_i64(s, 8, in->quota_locked);
    tk_bind_i64(s, 9, in->person_locked);
    bind_id_or_null(s, 10, in->user_id);
    tk_bind_text(s, 11, in->since);
    tk_bind_i64(s, 12, now);
    if (tk_step(s, err) < 0)
        return err->status == TK_ECONFLICT
                   ? tk_fail(err, TK_ECONFLICT, "person_conflict",
                             "人员数据冲突：所关联的账号已被他人使用，或引用的单位、岗位不存在")
                   : err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

tk_status tk_person_update(tk_conn *c, int64_t id, const tk_person_input *in, tk_error *err)
{
    if (person_check(c, in, err) != TK_OK)
        return err->status;
    tk_stmt *s = tk_prepare(
        c,
        "UPDATE people SET name = coalesce(?2, name), phone = coalesce(?3, phone), "
        "id_number = coalesce(?4, id_number), unit_id = coalesce(?5, unit_id), "
        "post_id = coalesce(?6, post_id), home_unit_id = coalesce(?7, home_unit_id), "
        "quota_locked = CASE WHEN ?8 < 0 THEN quota_locked ELSE ?8 END, "
        "person_locked = CASE WHEN ?9 < 0 THEN person_locked ELSE ?9 END, "
        "user_id = coalesce(?10, user_id), since = coalesce(?11, since), updated_at = ?12 "
        "WHERE id = ?1",
        err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_text(s, 2, in->name);
    tk_bind_text(s, 3, in->phone);
    tk_bind_text(s, 4, in->id_number);
    bind_id_or_null(s, 5, in->unit_id);
    bind_id_or_null(s, 6, in->post_id);
    bind_id_or_null(s, 7, in->home_unit_id);
    tk_bind_i64(s, 8, in->quota_locked);
    tk_bind_i64(s, 9, in->person_locked);
    bind_id_or_null(s, 10, in->user_id);
    tk_bind_text(s, 11, in->since);
    tk_bind_i64(s, 12, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    return tk_changes(c) ? TK_OK : tk_fail(err, TK_ENOTFOUND, "person_not_found", "没有找到该人员");
}

tk_status tk_person_set_active(tk_conn *c, int64_t id, bool active, tk_error *err)
{
    tk_stmt *s = tk_prepare(c, "UPDATE people SET active = ?2, updated_at = ?3 WHERE id = ?1", err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, id);
    tk_bind_i64(s, 2, active);
    tk_bind_i64(s, 3, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    return tk_changes(c) ? TK_OK : tk_fail(err, TK_ENOTFOUND, "person_not_found", "没有找到该人员");
}

tk_status tk_quota_set(tk_conn *c, int64_t unit_id, const char *kind, int64_t approved,
                       int64_t used, tk_error *err)
{
    if (used > approved)
        return tk_fail_field(err, "used", "实有人数 %lld 超过核定编制 %lld", (long long)used,
                             (long long)approved);
    tk_stmt *s =
        tk_prepare(c,
                   "INSERT INTO quotas(unit_id, kind, approved, used) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(unit_id, kind) DO UPDATE SET approved = ?3, used = ?4",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, unit_id);
    tk_bind_text(s, 2, kind);
    tk_bind_i64(s, 3, approved);
    tk_bind_i64(s, 4, used);
    return tk_step(s, err) < 0 ? err->status : TK_OK;
}

tk_status tk_staffing_summary_get(tk_conn *c, const char *scope_path, tk_staffing_summary out[2],
                                  tk_error *err)
{
    static const char *kinds[2] = {"administrative", "institutional"};
    tk_stmt *s = tk_prepare(
        c,
        /* A quota sits with the townships when its unit's territorial anchor is a
         * township (township, command room, module), with the county otherwise. */
        "SELECT coalesce(sum(CASE WHEN an.kind = 'township' THEN q.approved END), 0), "
        "coalesce(sum(CASE WHEN an.kind != 'township' THEN q.approved END), 0), "
        "coalesce(sum(CASE WHEN an.kind = 'township' THEN q.used END), 0), "
        "coalesce(sum(CASE WHEN an.kind != 'township' THEN q.used END), 0), "
        "(SELECT coalesce(sum(t.count), 0) FROM quota_transfers t JOIN units tu ON "
        "tu.id = t.to_unit_id WHERE t.kind = ?3 AND tu.path >= ?1 AND tu.path < ?2) "
        "FROM quotas q JOIN units u ON u.id = q.unit_id JOIN units an ON an.path = u.scope_path "
        "WHERE q.kind = ?3 AND u.path >= ?1 AND u.path < ?2",
        err);
    if (!s)
        return TK_EIO;
    for (int i = 0; i < 2; i++) {
        tk_bind_path_range(s, 1, scope_path);
        tk_bind_text(s, 3, kinds[i]);
        int rc = tk_step(s, err);
        if (rc < 0)
            return err->status;
        tk_staffing_summary *o = &out[i];
        o->kind = kinds[i];
        o->township_approved = tk_col_i64(s, 0);
        o->county_approved = tk_col_i64(s, 1);
        o->township_used = tk_col_i64(s, 2);
        o->county_used = tk_col_i64(s, 3);
        o->moved_down = tk_col_i64(s, 4);
        int64_t total = o->township_approved + o->county_approved;
        o->township_share = total ? (double)o->township_approved / (double)total : 0;
        tk_reset(s);
    }
    return TK_OK;
}

tk_status tk_transfer_create(tk_conn *c, const tk_transfer *t, int64_t *id, tk_error *err)
{
    tk_stmt *s =
        tk_prepare(c,
                   "INSERT INTO quota_transfers(from_unit_id, to_unit_id, kind, count, "
                   "effective_on, document, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   err);
    if (!s)
        return TK_EIO;
    tk_bind_i64(s, 1, t->from_unit_id);
    tk_bind_i64(s, 2, t->to_unit_id);
    tk_bind_text(s, 3, t->kind);
    tk_bind_i64(s, 4, t->count);
    tk_bind_text(s, 5, t->effective_on);
    tk_bind_text(s, 6, t->document ? t->document : "");
    tk_bind_i64(s, 7, tk_now_ms());
    if (tk_step(s, err) < 0)
        return err->status;
    *id = tk_last_insert_id(c);
    return TK_OK;
}

tk_status tk_transfer_list(tk_conn *c, tk_arena *a, const char *scope_path, int64_t after_id,
                           int limit, tk_transfer_fn fn, void *ctx, bool *more, tk_error *err)
{
    tk_stmt *s = tk_prepare(c,
                            "SELECT t.id, t.from_unit_id, t.to_unit_id, t.count, f.name, tu.name, "
                            "t.kind, t.effective_on, t.document FROM quota_transfers t "
                            "JOIN units f ON f.id = t.from_unit_id JOIN units tu ON "
                            "tu.id = t.to_unit_id WHERE tu.path >= ?1 AND tu.path < ?2 "
                            "AND t.id > ?3 ORDER BY t.id LIMIT ?4",
                            err);
    if (!s)
        return TK_EIO;
    tk_bind_path_range(s, 1, scope_path);
    tk_bind_i64(s, 3, after_id);
    tk_bind_i64(s, 4, limit + 1);
    int n = 0, rc;
    *more = false;
    while ((rc = tk_step(s, err)) == 1) {
        if (n == limit) {
            *more = true;
            break;
        }
        tk_transfer t = {
            tk_col_i64(s, 0),          tk_col_i64(s, 1),          tk_col_i64(s, 2),
            tk_col_i64(s, 3),          dup(a, tk_col_text(s, 4)), dup(a, tk_col_text(s, 5)),
            dup(a, tk_col_text(s, 6)), dup(a, tk_col_text(s, 7)), dup(a, tk_col_text(s, 8))};
        fn(ctx, &t);
        n++;
    }
    tk_reset(s);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_team_list(tk_conn *c, tk_arena *a, const char *scope_path, tk_team_fn fn, void *ctx,
                       tk_error *err)
{
    tk_stmt *teams =
        tk_prepare(c,
                   "SELECT " TK_UNIT_COLUMNS("t") ", " TK_UNIT_COLUMNS(
                       "h") " FROM units t JOIN units h ON h.id = t.parent_id "
                            "WHERE t.kind = 'team' AND h.kind = 'township' AND t.active = 1 "
                            "AND t.path >= ?1 AND t.path < ?2 ORDER BY t.id",
                   err);
    tk_stmt *cov = tk_prepare(
        c,
        "SELECT " TK_UNIT_COLUMNS(
            "u") " FROM team_coverage tc JOIN units u "
                 "ON u.id = tc.township_unit_id WHERE tc.team_unit_id = ?1 ORDER BY u.id",
        err);
    if (!teams || !cov)
        return TK_EIO;
    tk_bind_path_range(teams, 1, scope_path);
    int rc;
    while ((rc = tk_step(teams, err)) == 1) {
        tk_team t = {0};
        tk_unit_from_row(teams, 0, a, &t.team);
        tk_unit_from_row(teams, TK_UNIT_NCOLUMNS, a, &t.home);
        tk_bind_i64(cov, 1, t.team.id);
        tk_unit *list = tk_arena_alloc(a, 32 * sizeof *list);
        int n = 0, rc2;
        while ((rc2 = tk_step(cov, err)) == 1 && n < 32)
            tk_unit_from_row(cov, 0, a, &list[n++]);
        tk_reset(cov);
        if (rc2 < 0)
            break;
        t.covered = list;
        t.ncovered = n;
        fn(ctx, &t);
    }
    tk_reset(teams);
    return rc < 0 ? err->status : TK_OK;
}

tk_status tk_team_set_coverage(tk_conn *c, int64_t team_id, const int64_t *townships, int n,
                               tk_error *err)
{
    tk_stmt *del = tk_prepare(c, "DELETE FROM team_coverage WHERE team_unit_id = ?1", err);
    if (!del)
        return TK_EIO;
    tk_bind_i64(del, 1, team_id);
    if (tk_step(del, err) < 0)
        return err->status;
    tk_stmt *ins = tk_prepare(c,
                              "INSERT INTO team_coverage(team_unit_id, township_unit_id) "
                              "SELECT ?1, id FROM units WHERE id = ?2 AND kind = 'township'",
                              err);
    if (!ins)
        return TK_EIO;
    for (int i = 0; i < n; i++) {
        tk_bind_i64(ins, 1, team_id);
        tk_bind_i64(ins, 2, townships[i]);
        if (tk_step(ins, err) < 0)
            return err->status;
        if (tk_changes(c) == 0)
            return tk_fail_field(err, "townships", "编号 %lld 不是乡镇", (long long)townships[i]);
    }
    return TK_OK;
}
