#include "gov/access.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *code, *label;
} roles[TK_ROLE_COUNT] = {
    [TK_ROLE_GRID_WORKER] = {"grid_worker", "网格员"},
    [TK_ROLE_RESIDENT] = {"resident", "居民"},
    [TK_ROLE_TOWNSHIP_COMMAND] = {"township_command", "乡镇综合信息指挥室"},
    [TK_ROLE_TOWNSHIP_MODULE] = {"township_module", "模块干部"},
    [TK_ROLE_COUNTY_DEPT] = {"county_dept", "县级部门"},
    [TK_ROLE_COUNTY_CENTER] = {"county_center", "县级社会治理中心"},
    [TK_ROLE_LEADER] = {"leader", "领导"},
    [TK_ROLE_OBSERVER] = {"observer", "改革观察员"},
    [TK_ROLE_ADMIN] = {"admin", "系统管理员"},
    [TK_ROLE_INTEGRATION] = {"integration", "接口对接"},
};

const char *tk_role_code(tk_role r)
{
    return (unsigned)r < TK_ROLE_COUNT ? roles[r].code : "?";
}

const char *tk_role_label(tk_role r)
{
    return (unsigned)r < TK_ROLE_COUNT ? roles[r].label : "?";
}

int tk_role_parse(const char *code)
{
    for (int i = 0; code && i < TK_ROLE_COUNT; i++)
        if (strcmp(code, roles[i].code) == 0)
            return i;
    return -1;
}

#define R(x) TK_ROLE_BIT(TK_ROLE_##x)
/* Staff who work cases inside the government. */
#define STAFF                                                                                      \
    (R(GRID_WORKER) | R(TOWNSHIP_COMMAND) | R(TOWNSHIP_MODULE) | R(COUNTY_DEPT) | R(COUNTY_CENTER))
/* Everyone who reads the governance picture. */
#define READERS (STAFF | R(LEADER) | R(OBSERVER) | R(ADMIN))
#define PEOPLE  (TK_ROLES_ALL & ~R(INTEGRATION))

const tk_permission tk_permissions[] = {
    /* identity */
    {"session.read", TK_ROLES_ALL, "查看本人登录信息"},
    {"session.manage", PEOPLE, "管理本人会话"},
    {"password.change", PEOPLE, "修改本人密码"},
    {"permission.read", TK_ROLES_ALL, "查看权限表"},
    {"user.read", R(ADMIN) | R(COUNTY_CENTER) | R(TOWNSHIP_COMMAND), "查看用户"},
    {"user.write", R(ADMIN), "管理用户"},
    {"apikey.manage", R(ADMIN), "管理接口密钥"},
    {"callback.manage", R(ADMIN), "管理结果回传"},
    {"audit.read", R(ADMIN), "查看审计日志"},
    /* territory and organisation */
    {"territory.read", READERS, "查看区划与网格"},
    {"territory.write", R(ADMIN), "维护区划与网格"},
    {"territory.import", R(ADMIN), "导入区划与网格"},
    {"territory.export", R(ADMIN) | R(COUNTY_CENTER), "导出区划与网格"},
    {"locate", TK_ROLES_ALL, "坐标定位到网格"},
    {"org.read", READERS, "查看岗位与人员"},
    {"org.write", R(ADMIN), "维护岗位与人员"},
    {"staffing.read", R(ADMIN) | R(COUNTY_CENTER) | R(LEADER) | R(OBSERVER), "查看编制与下沉"},
    {"staffing.write", R(ADMIN), "维护编制与下沉"},
    /* lists, categories, routing, calendar */
    {"list.read", READERS | R(INTEGRATION), "查看三张清单"},
    {"list.write", R(ADMIN), "维护三张清单"},
    {"list.export", R(ADMIN) | R(COUNTY_CENTER) | R(LEADER) | R(OBSERVER), "导出三张清单"},
    {"category.read", TK_ROLES_ALL, "查看事件类别"},
    {"category.write", R(ADMIN), "维护事件类别与时限"},
    {"route.read", STAFF | R(ADMIN) | R(INTEGRATION), "查询事项分派建议"},
    {"calendar.read", TK_ROLES_ALL, "查看工作日历"},
    {"calendar.write", R(ADMIN), "维护工作日历"},
    /* the event loop */
    {"event.create", STAFF | R(RESIDENT) | R(INTEGRATION), "上报事件"},
    {"event.read", TK_ROLES_ALL, "查看事件"},
    {"event.act", STAFF | R(RESIDENT) | R(INTEGRATION), "办理事件"},
    {"event.supervise", R(TOWNSHIP_COMMAND) | R(COUNTY_CENTER) | R(LEADER), "督办事件"},
    {"attachment.write", STAFF | R(RESIDENT), "上传事件照片"},
    {"attachment.read", TK_ROLES_ALL, "查看事件照片"},
    {"notification.read", PEOPLE, "查看通知"},
    {"stats.read", READERS, "查看统计指标"},
    {"stream.read", READERS | R(INTEGRATION), "订阅实时事件变更"},
};
#undef R

const size_t tk_permissions_count = sizeof tk_permissions / sizeof tk_permissions[0];

const tk_permission *tk_permission_find(const char *action)
{
    for (size_t i = 0; action && i < tk_permissions_count; i++)
        if (strcmp(tk_permissions[i].action, action) == 0)
            return &tk_permissions[i];
    return NULL;
}

bool tk_role_may(tk_role r, const char *action)
{
    const tk_permission *p = tk_permission_find(action);
    return p && (unsigned)r < TK_ROLE_COUNT && (p->roles & TK_ROLE_BIT(r));
}

static bool kind_in(const char *kind, const char *const *kinds)
{
    for (; *kinds; kinds++)
        if (strcmp(kind, *kinds) == 0)
            return true;
    return false;
}

bool tk_role_fits_unit(tk_role r, const char *kind)
{
    static const char *const grid[] = {"township", "village", "grid", "microgrid", NULL};
    static const char *const territory[] = {"city", "county",    "township", "village",
                                            "grid", "microgrid", NULL};
    static const char *const command[] = {"township", "command", NULL};
    static const char *const module[] = {"township", "module", "institution", "team", NULL};
    static const char *const dept[] = {"department", "team", NULL};
    static const char *const center[] = {"city", "county", NULL};
    static const char *const leader[] = {"city", "county", "township", NULL};
    if (!kind)
        return false;
    switch (r) {
    case TK_ROLE_GRID_WORKER:
        return kind_in(kind, grid);
    case TK_ROLE_RESIDENT:
        return kind_in(kind, territory);
    case TK_ROLE_TOWNSHIP_COMMAND:
        return kind_in(kind, command);
    case TK_ROLE_TOWNSHIP_MODULE:
        return kind_in(kind, module);
    case TK_ROLE_COUNTY_DEPT:
        return kind_in(kind, dept);
    case TK_ROLE_COUNTY_CENTER:
    case TK_ROLE_ADMIN:
        return kind_in(kind, center);
    case TK_ROLE_LEADER:
        return kind_in(kind, leader);
    case TK_ROLE_OBSERVER:
    case TK_ROLE_INTEGRATION:
        return true;
    default:
        return false;
    }
}

bool tk_scopes_allow(const char *scopes, const char *action)
{
    if (!scopes)
        return true;
    size_t alen = strlen(action);
    for (const char *p = scopes; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        size_t n = (size_t)(end - p);
        if (n == 1 && p[0] == '*')
            return true;
        if (n == alen && strncmp(p, action, n) == 0)
            return true;
        /* "event.*" covers "event.read" */
        if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && alen > n - 1 &&
            strncmp(p, action, n - 1) == 0)
            return true;
        p = end;
    }
    return false;
}

void tk_path_range_end(const char *path, char *hi, size_t size)
{
    snprintf(hi, size, "%s", path);
    size_t n = strlen(hi);
    if (n && hi[n - 1] == '/')
        hi[n - 1] = '0';
}

bool tk_role_sees_id_numbers(tk_role r)
{
    return r == TK_ROLE_ADMIN;
}

bool tk_role_sees_personal(tk_role r)
{
    switch (r) {
    case TK_ROLE_GRID_WORKER:
    case TK_ROLE_TOWNSHIP_COMMAND:
    case TK_ROLE_TOWNSHIP_MODULE:
    case TK_ROLE_COUNTY_DEPT:
    case TK_ROLE_COUNTY_CENTER:
    case TK_ROLE_ADMIN:
        return true;
    default:
        return false;
    }
}

/* Length in bytes of the UTF-8 character starting at s. */
static size_t utf8_char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    return 4;
}

void tk_mask_name(const char *in, char *out, size_t size)
{
    if (!in || !*in || size < 2) {
        snprintf(out, size, "%s", in ? in : "");
        return;
    }
    size_t first = utf8_char_len(in);
    size_t chars = 0;
    for (const char *p = in + first; *p; p += utf8_char_len(p))
        chars++;
    if (chars == 0)
        chars = 1;
    size_t n = 0;
    for (size_t i = 0; i < first && in[i] && n + 1 < size; i++)
        out[n++] = in[i];
    for (size_t i = 0; i < chars && n + 1 < size; i++)
        out[n++] = '*';
    out[n] = '\0';
}

static void mask_keep(const char *in, size_t keep_head, size_t keep_tail, char *out, size_t size)
{
    size_t len = in ? strlen(in) : 0;
    if (len <= keep_head + keep_tail) {
        snprintf(out, size, "%s", len ? "****" : "");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++)
        out[n++] = (i < keep_head || i >= len - keep_tail) ? in[i] : '*';
    out[n] = '\0';
}

void tk_mask_phone(const char *in, char *out, size_t size)
{
    mask_keep(in, 3, 4, out, size);
}

void tk_mask_id_number(const char *in, char *out, size_t size)
{
    mask_keep(in, 4, 4, out, size);
}
