#include "core/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

typedef enum { OPT_STR, OPT_INT } opt_type;

typedef struct {
    const char *name; /* flag name without dashes */
    opt_type type;
    size_t offset;
    size_t size; /* for strings */
    int64_t min, max;
    unsigned cmds;
    const char *help;
} opt_def;

#define STR_OPT(field, cmds, help)                                                                 \
    {                                                                                              \
#field, OPT_STR, offsetof(tk_config, field), sizeof(((tk_config *)0)->field), 0, 0, cmds,  \
            help                                                                                   \
    }
#define INT_OPT(field, lo, hi, cmds, help)                                                         \
    {                                                                                              \
#field, OPT_INT, offsetof(tk_config, field), 0, lo, hi, cmds, help                         \
    }

static const opt_def options[] = {
    STR_OPT(db, TK_CMD_DB | TK_CMD_SERVE, "数据库：文件路径或 sqlite:路径"),
    STR_OPT(listen, TK_CMD_SERVE, "监听地址 主机:端口（端口 0 = 任选空闲端口）"),
    STR_OPT(web, TK_CMD_SERVE, "网页界面所在目录"),
    STR_OPT(vendor, TK_CMD_SERVE, "npm 浏览器库目录（ECharts）"),
    INT_OPT(threads, 0, 256, TK_CMD_SERVE, "HTTP 工作线程数（0 = 每核一个）"),
    INT_OPT(max_connections, 16, 1000000, TK_CMD_SERVE, "最大连接数"),
    INT_OPT(per_ip_connections, 1, 1000000, TK_CMD_SERVE, "每个客户端地址的最大连接数"),
    INT_OPT(connection_timeout, 1, 86400, TK_CMD_SERVE, "空闲连接超时（秒）"),
    INT_OPT(connection_memory, 8192, 16 << 20, TK_CMD_SERVE, "每个连接的缓冲区字节数"),
    INT_OPT(max_body, 1024, 1 << 30, TK_CMD_SERVE, "请求体上限（字节）"),
    INT_OPT(max_json, 1024, 1 << 30, TK_CMD_SERVE, "JSON 请求体上限（字节）"),
    INT_OPT(write_queue, 16, 10000000, TK_CMD_SERVE | TK_CMD_DB, "写入队列上限（超出返回 503）"),
    INT_OPT(write_batch, 1, 100000, TK_CMD_SERVE | TK_CMD_DB, "每批提交的最大写入数"),
    INT_OPT(shutdown_grace, 0, 3600, TK_CMD_SERVE, "停止时等待请求完成的秒数"),
    INT_OPT(probe, 0, 1, TK_CMD_SERVE, "1 = 开启写入探针（用于压测和测试）"),
    INT_OPT(session_idle, 1, 1440, TK_CMD_SERVE, "会话空闲超时（分钟）"),
    INT_OPT(session_max, 1, 168, TK_CMD_SERVE, "会话最长有效期（小时）"),
    INT_OPT(hash_threads, 1, 64, TK_CMD_SERVE | TK_CMD_DB, "密码哈希线程数"),
    INT_OPT(behind_tls, 0, 1, TK_CMD_SERVE, "1 = 前面有 TLS 代理，Cookie 加 Secure"),
    INT_OPT(stream_heartbeat, 1, 300, TK_CMD_SERVE, "实时推送的心跳间隔（秒）"),
    INT_OPT(export_rows, 10, 1000000, TK_CMD_SERVE, "一次导出的最多事件数"),
    INT_OPT(resident_daily_reports, 0, 100000, TK_CMD_SERVE,
            "居民每天最多上报的事件数（0 = 不限）"),
    STR_OPT(data, TK_CMD_SERVE | TK_CMD_DB, "参考数据目录"),
    STR_OPT(manual_clock, TK_CMD_SERVE, "以此 ISO 时间启动手动时钟（仅用于测试）"),
    STR_OPT(log_level, TK_CMD_SERVE | TK_CMD_DB, "日志级别：debug、info、warn、error"),
};
#define NOPTS (sizeof options / sizeof options[0])

void tk_config_defaults(tk_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    snprintf(cfg->db, sizeof cfg->db, "var/tiaokuai.db");
    snprintf(cfg->web, sizeof cfg->web, "web");
    snprintf(cfg->vendor, sizeof cfg->vendor, "node_modules/echarts/dist");
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
    cfg->threads = 0;
    cfg->max_connections = 4096;
    cfg->per_ip_connections = 256;
    cfg->connection_timeout = 60;
    cfg->connection_memory = 64 * 1024;
    cfg->max_body = 8 << 20;
    cfg->max_json = 1 << 20;
    cfg->write_queue = 100000;
    cfg->write_batch = 1024;
    cfg->shutdown_grace = 10;
    cfg->session_idle = 30;
    cfg->session_max = 12;
    cfg->hash_threads = 2;
    cfg->stream_heartbeat = 15;
    cfg->export_rows = 10000;
    cfg->resident_daily_reports = 20;
    snprintf(cfg->data, sizeof cfg->data, "data");
}

/* "max-body" and "max_body" both name max_body. */
static const opt_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const char *o = options[i].name;
        if (strlen(o) != len)
            continue;
        size_t k = 0;
        for (; k < len; k++) {
            char c = name[k] == '-' ? '_' : name[k];
            if (c != o[k])
                break;
        }
        if (k == len)
            return &options[i];
    }
    return NULL;
}

static tk_status set_option(tk_config *cfg, const opt_def *o, const char *value, const char *origin,
                            tk_error *err)
{
    char *field = (char *)cfg + o->offset;
    if (o->type == OPT_STR) {
        if (strlen(value) >= o->size)
            return tk_fail(err, TK_EINVAL, "config_too_long", "%s: %s 的值过长", origin, o->name);
        memcpy(field, value, strlen(value) + 1);
        return TK_OK;
    }
    int64_t v;
    if (!tk_parse_i64(value, &v) || v < o->min || v > o->max)
        return tk_fail(err, TK_EINVAL, "config_bad_value",
                       "%s: %s 需要 %lld 到 %lld 之间的整数，收到 \"%s\"", origin, o->name,
                       (long long)o->min, (long long)o->max, value);
    memcpy(field, &v, sizeof v);
    return TK_OK;
}

static tk_status load_file(tk_config *cfg, const char *path, tk_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tk_fail(err, TK_EINVAL, "config_unreadable", "无法读取配置文件 %s", path);
    char line[1024];
    int lineno = 0;
    tk_status st = TK_OK;
    while (st == TK_OK && fgets(line, sizeof line, f)) {
        lineno++;
        tk_slice s = tk_slice_trim(tk_slice_of(line));
        if (s.len == 0 || s.ptr[0] == '#')
            continue;
        tk_slice key;
        tk_slice rest = s;
        tk_slice_cut(&rest, '=', &key);
        key = tk_slice_trim(key);
        tk_slice value = tk_slice_trim(rest);
        const opt_def *o = rest.ptr ? find_option(key.ptr, key.len) : NULL;
        char origin[600];
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        if (!o) {
            st = tk_fail(err, TK_EINVAL, "config_unknown", "%s: 无法识别的配置项 \"%.*s\"", origin,
                         (int)key.len, key.ptr);
            break;
        }
        char val[600];
        snprintf(val, sizeof val, "%.*s", (int)value.len, value.ptr);
        st = set_option(cfg, o, val, origin, err);
    }
    fclose(f);
    return st;
}

static tk_status load_env(tk_config *cfg, unsigned mask, tk_error *err)
{
    for (size_t i = 0; i < NOPTS; i++) {
        if (!(options[i].cmds & mask))
            continue;
        char name[64] = "TIAOKUAI_";
        size_t n = strlen(name);
        for (const char *p = options[i].name; *p && n < sizeof name - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = '\0';
        const char *v = getenv(name);
        if (v && set_option(cfg, &options[i], v, name, err) != TK_OK)
            return err ? err->status : TK_EINVAL;
    }
    return TK_OK;
}

static const char *find_config_flag(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return getenv("TIAOKUAI_CONFIG");
}

tk_status tk_config_load(tk_config *cfg, int argc, char **argv, unsigned mask, char ***rest,
                         int *nrest, tk_error *err)
{
    const char *file = find_config_flag(argc, argv);
    if (file && load_file(cfg, file, err) != TK_OK)
        return err ? err->status : TK_EINVAL;
    if (load_env(cfg, mask, err) != TK_OK)
        return err ? err->status : TK_EINVAL;
    char **positional = tk_xcalloc((size_t)argc + 1, sizeof *positional);
    int np = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            positional[np++] = argv[i];
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 6 && strncmp(name, "config", 6) == 0) {
            i += eq ? 0 : 1;
            continue;
        }
        const opt_def *o = find_option(name, len);
        if (!o || !(o->cmds & mask)) {
            free(positional);
            return tk_fail(err, TK_EINVAL, "config_unknown",
                           "无法识别的选项 %s（用 --help 查看可用选项）", a);
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            free(positional);
            return tk_fail(err, TK_EINVAL, "config_missing_value", "选项 %s 缺少取值", a);
        }
        char origin[80];
        snprintf(origin, sizeof origin, "--%.*s", (int)(len < 60 ? len : 60), name);
        if (set_option(cfg, o, value, origin, err) != TK_OK) {
            free(positional);
            return err ? err->status : TK_EINVAL;
        }
    }
    if (rest) {
        *rest = positional;
        *nrest = np;
    } else {
        free(positional);
    }
    return TK_OK;
}

void tk_config_usage(FILE *out, unsigned mask)
{
    tk_config d;
    tk_config_defaults(&d);
    fprintf(out, "  --config FILE              从文件读取配置（每行 key = value）\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_def *o = &options[i];
        if (!(o->cmds & mask))
            continue;
        char flag[64];
        size_t n = 0;
        for (const char *p = o->name; *p && n < sizeof flag - 1; p++)
            flag[n++] = *p == '_' ? '-' : *p;
        flag[n] = '\0';
        const char *field = (const char *)&d + o->offset;
        if (o->type == OPT_STR)
            fprintf(out, "  --%-24s %s%s%s%s\n", flag, o->help, *field ? " [" : "",
                    *field ? field : "", *field ? "]" : "");
        else
            fprintf(out, "  --%-24s %s [%lld]\n", flag, o->help,
                    (long long)*(const int64_t *)field);
    }
}
