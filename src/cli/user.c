/*
 * user.c - `tiaokuai user add|passwd|list|disable|enable` and
 * `tiaokuai verify-audit`: administration on the database file, for the first
 * admin and for recovery. Every change is written to the audit chain with the
 * actor "命令行".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/mem.h"
#include "gov/audit.h"
#include "gov/password.h"
#include "gov/units.h"
#include "gov/users.h"

#define CLI_ACTOR "命令行"

static const char *usage_text =
    "用法：tiaokuai user 子命令 [选项]\n"
    "  add USERNAME --role 角色 --unit 单位代码 --name 姓名 [--phone 手机] [--password-stdin]\n"
    "      新建用户；不给 --password-stdin 时生成临时密码并打印，首次登录须修改\n"
    "  passwd USERNAME [--password-stdin]   重置密码（下次登录须修改）\n"
    "  list                                  列出用户\n"
    "  disable USERNAME | enable USERNAME    停用或启用账号（停用即注销其全部会话）\n"
    "角色：grid_worker resident township_command township_module county_dept county_center "
    "leader observer admin integration";

static bool read_password_stdin(char *out, size_t size)
{
    if (!fgets(out, (int)size, stdin))
        return false;
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

static void temporary_password(char out[16])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 12; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[12] = '\0';
}

static tk_status audit(tk_conn *c, const char *action, int64_t user_id, const char *detail,
                       tk_error *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)user_id);
    tk_audit_entry e = {.actor = CLI_ACTOR,
                        .ip = "local",
                        .action = action,
                        .target_type = "user",
                        .target_id = id,
                        .outcome = "ok",
                        .detail = detail};
    return tk_audit_append(c, &e, NULL, err);
}

typedef struct {
    tk_user_new u;
    const char *unit_code;
    int64_t id;
} add_job;

static tk_status add_run(tk_conn *c, void *arg, tk_error *err)
{
    add_job *j = arg;
    tk_arena *a = tk_arena_new(1024);
    tk_unit unit;
    tk_status st = tk_unit_by_code(c, a, j->unit_code, &unit, err);
    if (st == TK_OK && !tk_role_fits_unit(j->u.role, unit.kind))
        st = tk_fail(err, TK_EVALID, "role_unit", "「%s」不能隶属于%s「%s」",
                     tk_role_label(j->u.role), tk_unit_kind_label(unit.kind), unit.name);
    if (st == TK_OK) {
        j->u.unit_id = unit.id;
        st = tk_user_create(c, &j->u, &j->id, err);
    }
    char detail[200];
    snprintf(detail, sizeof detail, "{\"username\":\"%s\",\"role\":\"%s\"}", j->u.username,
             tk_role_code(j->u.role));
    if (st == TK_OK)
        st = audit(c, "user.create", j->id, detail, err);
    tk_arena_free(a);
    return st;
}

static int user_add(tk_db *db, int argc, char **argv)
{
    const char *role = tk_cli_take_flag(&argc, argv, "--role");
    const char *unit = tk_cli_take_flag(&argc, argv, "--unit");
    const char *name = tk_cli_take_flag(&argc, argv, "--name");
    const char *phone = tk_cli_take_flag(&argc, argv, "--phone");
    bool from_stdin = tk_cli_take_switch(&argc, argv, "--password-stdin");
    if (argc != 1 || !role || !unit || !name) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    int r = tk_role_parse(role);
    if (r < 0) {
        fprintf(stderr, "tiaokuai: 角色 %s 不存在\n", role);
        return EX_USAGE;
    }
    char password[TK_PASSWORD_MAX_BYTES + 2];
    tk_error err;
    if (from_stdin) {
        if (!read_password_stdin(password, sizeof password)) {
            fprintf(stderr, "tiaokuai: 没有从标准输入读到密码\n");
            return EX_USAGE;
        }
        if (tk_password_check_policy(password, argv[0], &err) != TK_OK)
            return tk_cli_fail(&err);
    } else {
        temporary_password(password);
    }
    char hash[TK_PASSWORD_HASH_SIZE];
    if (tk_password_hash(password, hash, &err) != TK_OK)
        return tk_cli_fail(&err);
    add_job j = {.u = {.username = argv[0],
                       .display_name = name,
                       .phone = phone,
                       .role = (tk_role)r,
                       .password_hash = hash,
                       .must_change_password = true},
                 .unit_code = unit};
    if (tk_db_write(db, add_run, &j, &err) != TK_OK)
        return tk_cli_fail(&err);
    printf("已创建用户 %s（%s，编号 %lld）\n", argv[0], tk_role_label((tk_role)r), (long long)j.id);
    if (!from_stdin)
        printf("临时密码：%s（首次登录后须修改）\n", password);
    sodium_memzero(password, sizeof password);
    return 0;
}

typedef struct {
    const char *username;
    const char *hash;
    int action; /* 0 passwd, 1 disable, 2 enable */
} change_job;

static tk_status change_run(tk_conn *c, void *arg, tk_error *err)
{
    change_job *j = arg;
    tk_arena *a = tk_arena_new(1024);
    tk_user u;
    tk_status st = tk_user_find(c, a, j->username, &u, err);
    const char *action = j->action == 0   ? "user.password_reset"
                         : j->action == 1 ? "user.disable"
                                          : "user.enable";
    if (st == TK_OK)
        st = j->action == 0 ? tk_user_set_password(c, u.id, j->hash, true, 0, err)
                            : tk_user_set_disabled(c, u.id, j->action == 1, err);
    if (st == TK_OK)
        st = audit(c, action, u.id, "{}", err);
    tk_arena_free(a);
    return st;
}

static int user_change(tk_db *db, int action, int argc, char **argv)
{
    bool from_stdin = action == 0 && tk_cli_take_switch(&argc, argv, "--password-stdin");
    if (argc != 1) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    tk_error err;
    char password[TK_PASSWORD_MAX_BYTES + 2] = "";
    char hash[TK_PASSWORD_HASH_SIZE] = "";
    if (action == 0) {
        if (from_stdin) {
            if (!read_password_stdin(password, sizeof password))
                return EX_USAGE;
            if (tk_password_check_policy(password, argv[0], &err) != TK_OK)
                return tk_cli_fail(&err);
        } else {
            temporary_password(password);
        }
        if (tk_password_hash(password, hash, &err) != TK_OK)
            return tk_cli_fail(&err);
    }
    change_job j = {argv[0], hash, action};
    if (tk_db_write(db, change_run, &j, &err) != TK_OK)
        return tk_cli_fail(&err);
    if (action == 0 && !from_stdin)
        printf("用户 %s 的临时密码：%s（下次登录须修改）\n", argv[0], password);
    else
        printf("已%s用户 %s\n",
               action == 0   ? "重置密码："
               : action == 1 ? "停用"
                             : "启用",
               argv[0]);
    sodium_memzero(password, sizeof password);
    return 0;
}

/* The list as a table: every row first, then columns as wide as their widest
 * cell (in terminal cells) and two apart. */
enum { USER_COLUMNS = 5 };

typedef struct {
    tk_arena *a;
    const char *(*rows)[USER_COLUMNS];
    size_t n, cap;
    int64_t last_id;
} user_table;

static void add_row(user_table *t, const char *cells[USER_COLUMNS])
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->rows = tk_xrealloc(t->rows, t->cap * sizeof *t->rows);
    }
    for (int i = 0; i < USER_COLUMNS; i++)
        t->rows[t->n][i] = tk_arena_strdup(t->a, cells[i]);
    t->n++;
}

static void collect_user(void *ctx, const tk_user *u)
{
    user_table *t = ctx;
    t->last_id = u->id;
    const char *cells[USER_COLUMNS] = {
        tk_arena_printf(t->a, "%lld", (long long)u->id), u->username, u->display_name,
        tk_role_code(u->role),
        tk_arena_printf(t->a, "%s%s", u->unit.name, u->disabled ? "（已停用）" : "")};
    add_row(t, cells);
}

static int user_list(tk_db *db)
{
    tk_error err;
    tk_conn *c = tk_db_reader(db, &err);
    if (!c)
        return tk_cli_fail(&err);
    user_table t = {.a = tk_arena_new(0)};
    add_row(&t, (const char *[USER_COLUMNS]){"编号", "用户名", "姓名", "角色", "单位"});
    tk_user_filter f = {.scope_path = "/", .limit = 1000};
    bool more = true;
    tk_status st = TK_OK;
    while (more && st == TK_OK) {
        st = tk_user_list(c, t.a, &f, collect_user, &t, &more, &err);
        f.after_id = t.last_id;
    }
    int width[USER_COLUMNS] = {0};
    for (size_t r = 0; r < t.n; r++)
        for (int i = 0; i < USER_COLUMNS; i++) {
            int w = tk_cli_cells(t.rows[r][i]);
            width[i] = w > width[i] ? w : width[i];
        }
    for (size_t r = 0; st == TK_OK && r < t.n; r++) {
        for (int i = 0; i < USER_COLUMNS - 1; i++)
            tk_cli_cell(t.rows[r][i], width[i] + 2);
        printf("%s\n", t.rows[r][USER_COLUMNS - 1]);
    }
    free(t.rows);
    tk_arena_free(t.a);
    return st == TK_OK ? 0 : tk_cli_fail(&err);
}

int tk_cli_user(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("%s\n", usage_text);
        return argc < 1 ? EX_USAGE : 0;
    }
    const char *sub = argv[0];
    /* Command-specific flags first, so the config loader sees only its own. */
    int n = argc - 1;
    char **args = tk_xcalloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv + 1, (size_t)n * sizeof *args);
    const char *role = tk_cli_take_flag(&n, args, "--role");
    const char *unit = tk_cli_take_flag(&n, args, "--unit");
    const char *name = tk_cli_take_flag(&n, args, "--name");
    const char *phone = tk_cli_take_flag(&n, args, "--phone");
    bool from_stdin = tk_cli_take_switch(&n, args, "--password-stdin");
    tk_config cfg;
    tk_db *db = NULL;
    char **rest = NULL;
    int nrest = 0;
    int rc = tk_cli_open_db(n, args, usage_text, &cfg, &db, &rest, &nrest);
    if (rc < 0) {
        /* Put the command flags back for the subcommand. */
        char *sub_args[16];
        int k = 0;
        for (int i = 0; i < nrest && k < 8; i++)
            sub_args[k++] = rest[i];
        const char *pairs[][2] = {
            {"--role", role}, {"--unit", unit}, {"--name", name}, {"--phone", phone}};
        for (int i = 0; i < 4; i++)
            if (pairs[i][1] && k < 14) {
                sub_args[k++] = (char *)pairs[i][0];
                sub_args[k++] = (char *)pairs[i][1];
            }
        if (from_stdin && k < 16)
            sub_args[k++] = (char *)"--password-stdin";
        if (strcmp(sub, "add") == 0)
            rc = user_add(db, k, sub_args);
        else if (strcmp(sub, "passwd") == 0)
            rc = user_change(db, 0, k, sub_args);
        else if (strcmp(sub, "disable") == 0)
            rc = user_change(db, 1, k, sub_args);
        else if (strcmp(sub, "enable") == 0)
            rc = user_change(db, 2, k, sub_args);
        else if (strcmp(sub, "list") == 0)
            rc = user_list(db);
        else {
            fprintf(stderr, "tiaokuai: user 没有子命令 \"%s\"\n%s\n", sub, usage_text);
            rc = EX_USAGE;
        }
        tk_db_close(db);
    }
    free(rest);
    free(args);
    return rc;
}

int tk_cli_verify_audit(int argc, char **argv)
{
    tk_config cfg;
    tk_db *db = NULL;
    int rc = tk_cli_open_db(
        argc, argv,
        "用法：tiaokuai verify-audit [--db 路径]\n"
        "逐条重算审计链的哈希；链完整时退出码为 0，否则指出第一条被改动的记录并退出码 65。",
        &cfg, &db, NULL, NULL);
    if (rc >= 0)
        return rc;
    tk_error err;
    tk_conn *c = tk_db_reader(db, &err);
    tk_audit_report rep;
    if (!c || tk_audit_verify(c, &rep, &err) != TK_OK) {
        tk_db_close(db);
        return tk_cli_fail(&err);
    }
    tk_db_close(db);
    if (rep.broken_seq) {
        printf("审计链在第 %lld 条记录处断裂：%s（已校验 %lld 条）\n", (long long)rep.broken_seq,
               rep.reason, (long long)rep.checked);
        return EX_DATAERR;
    }
    printf("审计链完整：共 %lld 条记录\n", (long long)rep.checked);
    return 0;
}

typedef struct {
    bool dummy;
} root_job;

static tk_status root_run(tk_conn *c, void *arg, tk_error *err)
{
    (void)arg;
    tk_stmt *s = tk_prepare(c, "SELECT count(*) FROM units", err);
    if (!s)
        return TK_EIO;
    int64_t n = tk_step(s, err) == 1 ? tk_col_i64(s, 0) : -1;
    tk_reset(s);
    if (n != 0)
        return n < 0 ? err->status : TK_OK;
    int64_t id;
    return tk_unit_insert(c, "330800", "衢州市", "city", 0, &id, err);
}

tk_status tk_cli_ensure_root(tk_db *db, tk_error *err)
{
    root_job j = {false};
    return tk_db_write(db, root_run, &j, err);
}

bool tk_cli_has_admin(tk_db *db)
{
    tk_error err;
    tk_conn *c = tk_db_reader(db, &err);
    tk_stmt *s = c ? tk_prepare(c, "SELECT count(*) FROM users WHERE role = 'admin'", &err) : NULL;
    if (!s)
        return false;
    bool has = tk_step(s, &err) == 1 && tk_col_i64(s, 0) > 0;
    tk_reset(s);
    return has;
}
