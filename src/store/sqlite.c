/*
 * sqlite.c - the SQLite backend: connections set up for a server, a prepared
 * statement cache per connection, per-thread read connections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/internal.h"
#include "store/walbuf.h"

static atomic_ullong next_generation = 1;

tk_status tk_sqlite_error(tk_conn *c, int rc, tk_error *err)
{
    int primary = rc & 0xff;
    const char *msg = c && c->handle ? sqlite3_errmsg(c->handle) : sqlite3_errstr(rc);
    if (primary == SQLITE_CONSTRAINT)
        return tk_fail(err, TK_ECONFLICT, "constraint", "数据冲突：%s", msg);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return tk_fail(err, TK_EUNAVAIL, "db_busy", "数据库繁忙，请稍后重试");
    tk_warn("sqlite error", "rc=%d err=\"%s\"", rc, msg);
    return tk_fail(err, TK_EIO, "db_error", "数据库错误：%s", msg);
}

/* No memory-mapped I/O: the file grows under a stream of writes, and each
 * growth remaps it in every connection; on a VM the remaps and their TLB
 * shootdowns cost more than the copies of pread (bench/events.sh: intake
 * 2,400-2,800 events/s with a 256 MiB map, 2,900-3,100 without).
 *
 * The log is copied back into the database every 10,000 pages (~40 MB) instead
 * of SQLite's 1,000: the pages a stream of reports rewrites (the ends of tables
 * and indexes, the rollup rows) are copied once per checkpoint however often they
 * were written, so a longer log copies fewer of them per report (intake +16%,
 * writer CPU per event -7% in bench/compare.sh; 20,000 gained nothing more in
 * bench-event-intake). */
static const char *writer_pragmas = "PRAGMA journal_mode=WAL;"
                                    "PRAGMA synchronous=FULL;"
                                    "PRAGMA foreign_keys=ON;"
                                    "PRAGMA cache_size=-65536;"
                                    "PRAGMA temp_store=MEMORY;"
                                    "PRAGMA mmap_size=0;"
                                    "PRAGMA wal_autocheckpoint=10000;";

static const char *reader_pragmas = "PRAGMA foreign_keys=ON;"
                                    "PRAGMA cache_size=-16384;"
                                    "PRAGMA temp_store=MEMORY;"
                                    "PRAGMA mmap_size=0;"
                                    "PRAGMA query_only=ON;";

/* Before SQLite starts: no global memory statistics. Nothing reads them, and
 * keeping them takes one process-wide mutex on every allocation of every
 * connection, which the writer and the readers then contend for. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    tk_walbuf_register();
}

tk_status tk_conn_open(const char *path, bool writer, tk_conn **out, tk_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    sqlite3 *h = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    /* The writer appends to the log through walbuf.c (it commits with synchronous=FULL,
     * which that file relies on); readers never write it. */
    int rc = sqlite3_open_v2(path, &h, flags, writer ? TK_WALBUF_VFS : NULL);
    if (rc != SQLITE_OK) {
        tk_fail(err, TK_EIO, "db_open", "无法打开数据库 %s：%s", path,
                h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return TK_EIO;
    }
    sqlite3_busy_timeout(h, 5000);
    sqlite3_extended_result_codes(h, 1);
    tk_conn *c = tk_xcalloc(1, sizeof *c);
    c->handle = h;
    c->cache_cap = 64;
    c->cache = tk_xcalloc(c->cache_cap, sizeof *c->cache);
    if (tk_exec(c, writer ? writer_pragmas : reader_pragmas, err) != TK_OK) {
        tk_conn_close(c);
        return TK_EIO;
    }
    *out = c;
    return TK_OK;
}

void tk_conn_close(tk_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cache_cap; i++) {
        tk_stmt *s = c->cache[i];
        if (!s)
            continue;
        sqlite3_finalize(s->st);
        free(s->sql);
        free(s);
    }
    free(c->cache);
    sqlite3_close(c->handle);
    free(c);
}

static tk_status make_parent_dir(const char *path, tk_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return TK_OK;
    char dir[1024];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return tk_fail(err, TK_EINVAL, "db_path", "数据库路径过长");
    memcpy(dir, path, n);
    dir[n] = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0750);
        *p = '/';
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return tk_fail(err, TK_EIO, "db_path", "无法创建目录 %s：%s", dir, strerror(errno));
    return TK_OK;
}

tk_status tk_db_open(const char *url, const tk_db_options *opt, tk_db **out, tk_error *err)
{
    const char *path = url;
    if (strncmp(url, "sqlite:", 7) == 0)
        path = url + 7;
    else if (strstr(url, "://"))
        return tk_fail(err, TK_EINVAL, "db_url",
                       "不支持的数据库地址 %s（可用：sqlite:路径，或直接给出文件路径）", url);
    if (!*path)
        return tk_fail(err, TK_EINVAL, "db_url", "数据库路径为空");
    if (make_parent_dir(path, err) != TK_OK)
        return TK_EIO;

    tk_db *db = tk_xcalloc(1, sizeof *db);
    db->path = tk_xstrdup(path);
    db->generation = atomic_fetch_add(&next_generation, 1);
    db->queue_max = opt && opt->write_queue > 0 ? opt->write_queue : 100000;
    db->batch_max = opt && opt->write_batch > 0 ? opt->write_batch : 1024;
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->wake, NULL);
    if (tk_conn_open(path, true, &db->writer_conn, err) != TK_OK) {
        tk_db_close(db);
        return TK_EIO;
    }
    db->writer_conn->db = db;
    if (pthread_create(&db->writer, NULL, tk_writer_main, db) != 0) {
        tk_db_close(db);
        return tk_fail(err, TK_EIO, "thread", "无法启动写线程");
    }
    db->writer_started = true;
    *out = db;
    return TK_OK;
}

void tk_db_close(tk_db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&db->lock);
    db->closing = true;
    pthread_cond_broadcast(&db->wake);
    pthread_mutex_unlock(&db->lock);
    if (db->writer_started)
        pthread_join(db->writer, NULL);
    for (tk_conn *c = db->readers, *next; c; c = next) {
        next = c->next_reader;
        tk_conn_close(c);
    }
    tk_conn_close(db->writer_conn);
    pthread_cond_destroy(&db->wake);
    pthread_mutex_destroy(&db->lock);
    free(db->path);
    free(db);
}

const char *tk_db_path(const tk_db *db)
{
    return db->path;
}

/* A few slots per thread: a thread rarely talks to more than one database. */
#define READER_SLOTS 4
static _Thread_local struct {
    uint64_t generation;
    tk_conn *conn;
} reader_slots[READER_SLOTS];

tk_conn *tk_db_reader(tk_db *db, tk_error *err)
{
    int free_slot = -1;
    for (int i = 0; i < READER_SLOTS; i++) {
        if (reader_slots[i].generation == db->generation)
            return reader_slots[i].conn;
        if (free_slot < 0 && reader_slots[i].generation == 0)
            free_slot = i;
    }
    tk_conn *c;
    if (tk_conn_open(db->path, false, &c, err) != TK_OK)
        return NULL;
    pthread_mutex_lock(&db->lock);
    c->next_reader = db->readers;
    db->readers = c;
    pthread_mutex_unlock(&db->lock);
    /* A slot of a closed db is reused; its connection was closed with that db. */
    int slot = free_slot >= 0 ? free_slot : (int)(db->generation % READER_SLOTS);
    reader_slots[slot].generation = db->generation;
    reader_slots[slot].conn = c;
    return c;
}

/* FNV-1a over 8 bytes at a time, then a fold of the high bits into the low ones
 * that index the cache: statements are looked up by their text on every use, and
 * hashed a byte at a time that took 2.5% of the writer's time under intake. */
static uint64_t hash_sql(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 1469598103934665603ULL ^ n;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 1099511628211ULL;
    }
    for (; n; n--, s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static void cache_insert(tk_conn *c, tk_stmt *s);

static void cache_grow(tk_conn *c)
{
    tk_stmt **old = c->cache;
    size_t old_cap = c->cache_cap;
    c->cache_cap *= 2;
    c->cache = tk_xcalloc(c->cache_cap, sizeof *c->cache);
    c->cache_len = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            cache_insert(c, old[i]);
    free(old);
}

static void cache_insert(tk_conn *c, tk_stmt *s)
{
    if ((c->cache_len + 1) * 2 > c->cache_cap)
        cache_grow(c);
    size_t i = s->hash & (c->cache_cap - 1);
    while (c->cache[i])
        i = (i + 1) & (c->cache_cap - 1);
    c->cache[i] = s;
    c->cache_len++;
}

tk_stmt *tk_prepare(tk_conn *c, const char *sql, tk_error *err)
{
    uint64_t h = hash_sql(sql);
    for (size_t i = h & (c->cache_cap - 1); c->cache[i]; i = (i + 1) & (c->cache_cap - 1)) {
        tk_stmt *s = c->cache[i];
        if (s->hash == h && strcmp(s->sql, sql) == 0) {
            sqlite3_reset(s->st);
            sqlite3_clear_bindings(s->st);
            return s;
        }
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        tk_sqlite_error(c, rc, err);
        tk_errlog("prepare failed", "sql=\"%.200s\"", sql);
        return NULL;
    }
    tk_stmt *s = tk_xmalloc(sizeof *s);
    s->st = st;
    s->conn = c;
    s->sql = tk_xstrdup(sql);
    s->hash = h;
    cache_insert(c, s);
    return s;
}

void tk_bind_i64(tk_stmt *s, int i, int64_t v)
{
    sqlite3_bind_int64(s->st, i, v);
}

void tk_bind_double(tk_stmt *s, int i, double v)
{
    sqlite3_bind_double(s->st, i, v);
}

void tk_bind_text(tk_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s->st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s->st, i);
}

void tk_bind_textn(tk_stmt *s, int i, const char *v, size_t n)
{
    sqlite3_bind_text64(s->st, i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void tk_bind_blob(tk_stmt *s, int i, const void *v, size_t n)
{
    sqlite3_bind_blob64(s->st, i, v, n, SQLITE_TRANSIENT);
}

void tk_bind_null(tk_stmt *s, int i)
{
    sqlite3_bind_null(s->st, i);
}

int tk_step(tk_stmt *s, tk_error *err)
{
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s->st);
        return 0;
    }
    tk_sqlite_error(s->conn, rc, err);
    sqlite3_reset(s->st);
    return -1;
}

int tk_col_count(tk_stmt *s)
{
    return sqlite3_column_count(s->st);
}

const char *tk_col_name(tk_stmt *s, int i)
{
    return sqlite3_column_name(s->st, i);
}

bool tk_col_null(tk_stmt *s, int i)
{
    return sqlite3_column_type(s->st, i) == SQLITE_NULL;
}

int64_t tk_col_i64(tk_stmt *s, int i)
{
    return sqlite3_column_int64(s->st, i);
}

double tk_col_double(tk_stmt *s, int i)
{
    return sqlite3_column_double(s->st, i);
}

const char *tk_col_text(tk_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s->st, i);
}

size_t tk_col_bytes(tk_stmt *s, int i)
{
    return (size_t)sqlite3_column_bytes(s->st, i);
}

const void *tk_col_blob(tk_stmt *s, int i)
{
    return sqlite3_column_blob(s->st, i);
}

void tk_reset(tk_stmt *s)
{
    if (s)
        sqlite3_reset(s->st);
}

tk_status tk_exec(tk_conn *c, const char *sql, tk_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->handle, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return TK_OK;
    tk_status st = tk_sqlite_error(c, rc, err);
    sqlite3_free(msg);
    return st;
}

int64_t tk_last_insert_id(tk_conn *c)
{
    return sqlite3_last_insert_rowid(c->handle);
}

int64_t tk_changes(tk_conn *c)
{
    return sqlite3_changes64(c->handle);
}
