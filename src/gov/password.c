#include "gov/password.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static char **common;
static size_t ncommon;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

tk_status tk_password_load_common(const char *path, tk_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tk_fail(err, TK_EIO, "data_missing", "无法读取常见密码表 %s", path);
    tk_password_unload_common();
    size_t cap = 2048;
    common = tk_xmalloc(cap * sizeof *common);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        tk_slice s = tk_slice_trim(tk_slice_of(line));
        if (s.len == 0 || s.ptr[0] == '#')
            continue;
        if (ncommon == cap)
            common = tk_xrealloc(common, (cap *= 2) * sizeof *common);
        char *p = tk_xmalloc(s.len + 1);
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
        lower_ascii(p);
        common[ncommon++] = p;
    }
    fclose(f);
    qsort(common, ncommon, sizeof *common, cmp_str);
    return TK_OK;
}

void tk_password_unload_common(void)
{
    for (size_t i = 0; i < ncommon; i++)
        free(common[i]);
    free(common);
    common = NULL;
    ncommon = 0;
}

static bool is_common(const char *password)
{
    if (!ncommon || strlen(password) >= 512)
        return false;
    char lower[512];
    snprintf(lower, sizeof lower, "%s", password);
    lower_ascii(lower);
    const char *key = lower;
    return bsearch(&key, common, ncommon, sizeof *common, cmp_str) != NULL;
}

tk_status tk_password_check_policy(const char *password, const char *username, tk_error *err)
{
    if (!password)
        return tk_fail_field(err, "password", "请输入密码");
    size_t bytes = strlen(password);
    long chars = tk_utf8_length(password, bytes);
    if (chars < 0)
        return tk_fail_field(err, "password", "密码含有无效字符");
    if (chars < TK_PASSWORD_MIN_CHARS)
        return tk_fail_field(err, "password", "密码至少需要 %d 个字符", TK_PASSWORD_MIN_CHARS);
    if (bytes > TK_PASSWORD_MAX_BYTES)
        return tk_fail_field(err, "password", "密码过长（最多 %d 字节）", TK_PASSWORD_MAX_BYTES);
    if (username && strcasecmp(password, username) == 0)
        return tk_fail_field(err, "password", "密码不能与用户名相同");
    if (is_common(password))
        return tk_fail_field(err, "password", "密码过于常见，容易被猜中，请换一个");
    return TK_OK;
}

tk_status tk_password_hash(const char *password, char out[TK_PASSWORD_HASH_SIZE], tk_error *err)
{
    if (crypto_pwhash_str(out, password, strlen(password), OPSLIMIT, MEMLIMIT) != 0)
        return tk_fail(err, TK_EUNAVAIL, "hash_failed", "服务器资源不足，暂时无法设置密码");
    return TK_OK;
}

bool tk_password_verify(const char *hash, const char *password)
{
    return hash && password && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool tk_password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

static char dummy_hash[TK_PASSWORD_HASH_SIZE];

static void make_dummy_hash(void)
{
    char random[33];
    randombytes_buf(random, 32);
    random[32] = '\0';
    if (crypto_pwhash_str(dummy_hash, random, 32, OPSLIMIT, MEMLIMIT) != 0)
        dummy_hash[0] = '\0';
}

void tk_password_verify_dummy(const char *password)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_dummy_hash);
    if (dummy_hash[0]) {
        volatile int rc = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
        (void)rc;
    }
}
