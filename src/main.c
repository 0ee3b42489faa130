/*
 * main.c - the command line: tiaokuai COMMAND [options].
 *
 * Exit codes follow sysexits.h: 0 success, 64 usage, 65 bad data, 69 unavailable,
 * 70 internal error, 74 I/O error, 78 configuration error.
 */
#include <signal.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/resource.h>
#include <sysexits.h>

#include "api/app.h"
#include "api/stream.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server.h"
#include "store/migrate.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int exit_code_for(tk_status st)
{
    switch (st) {
    case TK_OK:
        return 0;
    case TK_EINVAL:
        return EX_USAGE;
    case TK_EVALID:
    case TK_ECONFLICT:
        return EX_DATAERR;
    case TK_EUNAVAIL:
        return EX_UNAVAILABLE;
    case TK_EIO:
        return EX_IOERR;
    default:
        return EX_SOFTWARE;
    }
}

static int fail(const tk_error *err)
{
    fprintf(stderr, "tiaokuai: %s\n", err->detail[0] ? err->detail : tk_status_name(err->status));
    return exit_code_for(err->status);
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* Loads config for a command; returns -1 to continue, else an exit code. */
static int load_config(tk_config *cfg, int argc, char **argv, unsigned mask, const char *usage,
                       char ***rest, int *nrest)
{
    if (wants_help(argc, argv)) {
        printf("%s\n选项：\n", usage);
        tk_config_usage(stdout, mask);
        return 0;
    }
    tk_config_defaults(cfg);
    tk_error err;
    if (tk_config_load(cfg, argc, argv, mask, rest, nrest, &err) != TK_OK) {
        fprintf(stderr, "tiaokuai: %s\n", err.detail);
        return EX_USAGE;
    }
    int level = tk_log_level_parse(cfg->log_level);
    if (level < 0) {
        fprintf(stderr, "tiaokuai: --log-level 需要 debug、info、warn 或 error\n");
        return EX_USAGE;
    }
    tk_log_set_level((tk_log_level)level);
    return -1;
}

static tk_status open_db(const tk_config *cfg, tk_db **db, tk_error *err)
{
    tk_db_options opt = {.write_queue = cfg->write_queue, .write_batch = cfg->write_batch};
    return tk_db_open(cfg->db, &opt, db, err);
}

static tk_status open_and_migrate(const tk_config *cfg, tk_db **db, int *applied, tk_error *err)
{
    if (open_db(cfg, db, err) != TK_OK)
        return err->status;
    if (tk_db_migrate(*db, applied, err) != TK_OK) {
        tk_db_close(*db);
        *db = NULL;
        return err->status;
    }
    return TK_OK;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int cmd_serve(int argc, char **argv)
{
    tk_config cfg;
    int rc = load_config(
        &cfg, argc, argv, TK_CMD_SERVE | TK_CMD_DB,
        "用法：tiaokuai serve [选项]\n启动 HTTP 服务：网页界面、/api/v1、/healthz、/metrics。",
        NULL, NULL);
    if (rc >= 0)
        return rc;
    if (cfg.manual_clock[0]) {
        int64_t start;
        if (!tk_time_parse(cfg.manual_clock, &start)) {
            fprintf(stderr,
                    "tiaokuai: --manual-clock 需要 ISO 时间，例如 2026-02-13T16:00:00+08:00\n");
            return EX_USAGE;
        }
        tk_clock_use_manual(start);
    }
    /* Block the stop signals before any thread starts, so only sigwait sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    tk_error err;
    tk_db *db = NULL;
    if (open_and_migrate(&cfg, &db, NULL, &err) != TK_OK)
        return fail(&err);
    tk_app app;
    if (tk_app_open(&app, db, &cfg, &err) != TK_OK) {
        tk_db_close(db);
        return fail(&err);
    }
    tk_server_options opt = {.cfg = &cfg,
                             .routes = tk_api_routes,
                             .nroutes = tk_api_routes_count,
                             .app = &app,
                             .db = db,
                             .guard = tk_api_guard};
    if (tk_server_start(&opt, &app.server, &err) != TK_OK) {
        tk_app_close(&app);
        tk_db_close(db);
        return fail(&err);
    }
    /* Open streams end first when stopping: none may stay suspended in the daemon. */
    tk_server_on_shutdown(app.server, tk_stream_hub_close, app.stream);
    tk_info("listening", "port=%d db=%s version=%s", tk_server_port(app.server), tk_db_path(db),
            TK_VERSION);
    int sig = 0;
    sigwait(&stop, &sig);
    tk_info("stopping", "signal=%d", sig);
    tk_server_stop(app.server, (int)cfg.shutdown_grace * 1000);
    tk_app_close(&app); /* stops the timer and frees the stream hub before the database closes */
    tk_db_close(db);
    tk_info("stopped", "%s", "");
    return 0;
}

static int cmd_init(int argc, char **argv)
{
    tk_config cfg;
    int rc = load_config(
        &cfg, argc, argv, TK_CMD_DB,
        "用法：tiaokuai init [--db 路径]\n创建数据库，或把已有数据库升级到本程序的结构版本。", NULL,
        NULL);
    if (rc >= 0)
        return rc;
    tk_error err;
    tk_db *db = NULL;
    int applied = 0;
    if (open_and_migrate(&cfg, &db, &applied, &err) != TK_OK)
        return fail(&err);
    int version = 0;
    tk_db_schema_version(db, &version, &err);
    if (tk_cli_ensure_root(db, &err) != TK_OK ||
        tk_cli_seed_calendar(db, cfg.data, &err) != TK_OK) {
        tk_db_close(db);
        return fail(&err);
    }
    printf("数据库已就绪：%s（结构版本 %d，本次升级 %d 项）\n", tk_db_path(db), version, applied);
    if (!tk_cli_has_admin(db))
        printf("还没有管理员。创建第一个管理员：\n"
               "  tiaokuai user add --db %s --role admin --unit 330800 --name 系统管理员 admin\n",
               tk_db_path(db));
    tk_db_close(db);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tiaokuai %s\n", TK_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv);

int tk_cli_open_db(int argc, char **argv, const char *usage, tk_config *cfg, tk_db **db,
                   char ***rest, int *nrest)
{
    int rc = load_config(cfg, argc, argv, TK_CMD_DB, usage, rest, nrest);
    if (rc >= 0)
        return rc;
    tk_error err;
    if (open_and_migrate(cfg, db, NULL, &err) != TK_OK)
        return fail(&err);
    return -1;
}

int tk_cli_open_db_as_is(int argc, char **argv, const char *usage, tk_config *cfg, tk_db **db,
                         char ***rest, int *nrest)
{
    int rc = load_config(cfg, argc, argv, TK_CMD_DB, usage, rest, nrest);
    if (rc >= 0)
        return rc;
    tk_error err;
    const char *path = strncmp(cfg->db, "sqlite:", 7) == 0 ? cfg->db + 7 : cfg->db;
    if (access(path, F_OK) != 0) {
        tk_fail(&err, TK_EIO, "db_missing", "数据库 %s 不存在", path);
        return fail(&err);
    }
    if (open_db(cfg, db, &err) != TK_OK)
        return fail(&err);
    return -1;
}

int tk_cli_cells(const char *text)
{
    /* As the terminal counts them: wcwidth in a UTF-8 locale, set for this thread
     * only so nothing else changes its reading of bytes. */
    static locale_t utf8;
    if (!utf8)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t before = utf8 ? uselocale(utf8) : (locale_t)0;
    int cells = 0;
    mbstate_t state = {0};
    for (size_t left = strlen(text); left > 0;) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, text, left, &state);
        if (n == (size_t)-1 || n == (size_t)-2) {
            cells += (int)left; /* not UTF-8: a byte a cell */
            break;
        }
        int w = wcwidth(wc);
        cells += w > 0 ? w : 0;
        text += n;
        left -= n;
    }
    if (before)
        uselocale(before);
    return cells;
}

void tk_cli_cell(const char *text, int width)
{
    int cells = tk_cli_cells(text);
    printf("%s%*s", text, width > cells ? width - cells : 0, "");
}

/* Removes "--name value" from argv; returns the value or NULL. */
const char *tk_cli_take_flag(int *argc, char **argv, const char *name)
{
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], name) != 0 || i + 1 >= *argc)
            continue;
        const char *v = argv[i + 1];
        for (int k = i; k + 2 <= *argc; k++)
            argv[k] = argv[k + 2];
        *argc -= 2;
        return v;
    }
    return NULL;
}

/* Removes "--name" from argv; returns whether it was there. */
bool tk_cli_take_switch(int *argc, char **argv, const char *name)
{
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], name) != 0)
            continue;
        for (int k = i; k + 1 <= *argc; k++)
            argv[k] = argv[k + 1];
        (*argc)--;
        return true;
    }
    return false;
}

int tk_cli_fail(const tk_error *err)
{
    return fail(err);
}

static const command commands[] = {
    {"serve", cmd_serve, "启动服务"},
    {"init", cmd_init, "创建或升级数据库"},
    {"demo", tk_cli_demo, "在空数据库中生成衢州演示数据"},
    {"simulate", tk_cli_simulate, "模拟一段时间内的事件流转（受理、交办、处置、督办）"},
    {"import", tk_cli_import, "从 CSV 或 GeoJSON 导入区划与网格"},
    {"export", tk_cli_export, "把区划与网格导出为 CSV 或 GeoJSON"},
    {"user", tk_cli_user, "管理用户：add、passwd、list、disable、enable"},
    {"backup", tk_cli_backup, "备份数据库和事件照片（服务运行时也可）"},
    {"verify-audit", tk_cli_verify_audit, "校验审计链是否被篡改"},
    {"version", cmd_version, "显示版本"},
    {"help", cmd_help, "显示帮助"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tiaokuai %s — 条块：县乡一体、条抓块统的基层治理平台\n\n用法：tiaokuai 命令 "
           "[选项]\n\n命令：\n",
           TK_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-14s %s\n", commands[i].name, commands[i].summary);
    printf("\n每个命令都可用 --help 查看选项，例如 tiaokuai serve --help\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? (cmd_help(0, NULL), EX_USAGE) : cmd_help(0, NULL);
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "tiaokuai: 没有命令 \"%s\"（用 tiaokuai help 查看命令）\n", argv[1]);
    return EX_USAGE;
}
