/*
 * app.c - the application context: what handlers share beside the database.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "api/stream.h"
#include "api/sender.h"
#include "api/timer.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "geo/geom.h"
#include "geo/locate.h"
#include "gov/attachments.h"
#include "gov/events.h"
#include "gov/territory.h"
#include "gov/workcal.h"
#include "gov/password.h"
#include "gov/settings.h"

typedef struct {
    char value[65];
} secret_arg;

static tk_status ensure_secret(tk_conn *c, void *arg, tk_error *err)
{
    secret_arg *s = arg;
    if (tk_setting_put_new(c, "csrf_key", s->value, err) != TK_OK)
        return err->status;
    return tk_setting_get(c, "csrf_key", s->value, sizeof s->value, err);
}

/* Photos live beside the database: "<db path>.files/". */
static tk_status open_attachments(tk_app *app, tk_error *err)
{
    int n = snprintf(app->attach_dir, sizeof app->attach_dir, "%s.files", tk_db_path(app->db));
    if (n < 0 || (size_t)n >= sizeof app->attach_dir)
        return tk_fail(err, TK_EINVAL, "db_path", "数据库路径过长，无法放置照片目录");
    if (tk_attach_dir_open(app->attach_dir, err) != TK_OK)
        return err->status;
    app->attach_io = tk_pool_new(2, 256);
    return TK_OK;
}

tk_status tk_app_open(tk_app *app, tk_db *db, const tk_config *cfg, tk_error *err)
{
    memset(app, 0, sizeof *app);
    app->db = db;
    app->cfg = cfg;
    app->started_ms = tk_now_ms();
    app->session_limits.idle_ms = cfg->session_idle * 60 * 1000;
    app->session_limits.max_ms = cfg->session_max * 3600 * 1000;
    char path[600];
    snprintf(path, sizeof path, "%s/common-passwords.txt", cfg->data);
    if (tk_password_load_common(path, err) != TK_OK)
        return err->status;
    unsigned char key[32];
    secret_arg s;
    randombytes_buf(key, sizeof key);
    tk_hex(key, sizeof key, s.value);
    if (tk_db_write(db, ensure_secret, &s, err) != TK_OK)
        return err->status;
    for (int i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(s.value + 2 * i, "%2x", &byte) != 1)
            return tk_fail(err, TK_EIO, "bad_secret", "数据库中的 csrf_key 已损坏");
        app->csrf_key[i] = (unsigned char)byte;
    }
    if (open_attachments(app, err) != TK_OK)
        return err->status;
    app->hasher = tk_pool_new((int)cfg->hash_threads, 64);
    app->throttle = tk_throttle_new();
    app->grids = tk_locator_holder_new(NULL);
    pthread_rwlock_init(&app->calendar_lock, NULL);
    if (tk_app_reload_calendar(app, err) != TK_OK || tk_app_reload_grids(app, err) != TK_OK)
        return err->status;
    /* The live stream hears of every committed change; before the timer, whose
     * alerts are changes too. */
    app->stream = tk_stream_hub_new((int)cfg->stream_heartbeat, app->db, &app->session_limits);
    tk_events_set_observer(tk_stream_hub_publish, app->stream);
    app->timer = tk_timer_start(app);
    app->sender = tk_sender_start(app);
    return TK_OK;
}

const struct tk_calendar *tk_app_calendar_acquire(tk_app *app)
{
    pthread_rwlock_rdlock(&app->calendar_lock);
    return app->calendar;
}

void tk_app_calendar_release(tk_app *app)
{
    pthread_rwlock_unlock(&app->calendar_lock);
}

tk_status tk_app_reload_calendar(tk_app *app, tk_error *err)
{
    tk_conn *c = tk_db_reader(app->db, err);
    tk_calendar *cal = NULL;
    if (!c || tk_workcal_load(c, &cal, err) != TK_OK)
        return err->status;
    pthread_rwlock_wrlock(&app->calendar_lock);
    tk_calendar *old = app->calendar;
    app->calendar = cal;
    pthread_rwlock_unlock(&app->calendar_lock);
    tk_calendar_free(old);
    return TK_OK;
}

typedef struct {
    tk_locator_item *items;
    size_t n, cap;
    size_t bad;
} shapes;

static void collect_shape(void *ctx, int64_t id, const char *geojson)
{
    shapes *sh = ctx;
    tk_geom *g = NULL;
    tk_error err;
    if (tk_geom_from_geojson(geojson, strlen(geojson), &g, &err) != TK_OK) {
        sh->bad++;
        return;
    }
    if (sh->n == sh->cap) {
        sh->cap = sh->cap ? sh->cap * 2 : 1024;
        sh->items = tk_xrealloc(sh->items, sh->cap * sizeof *sh->items);
    }
    sh->items[sh->n++] = (tk_locator_item){.id = id, .geom = g};
}

tk_status tk_app_reload_grids(tk_app *app, tk_error *err)
{
    tk_conn *c = tk_db_reader(app->db, err);
    if (!c)
        return err->status;
    shapes sh = {0};
    tk_status st = tk_grid_shapes(c, collect_shape, &sh, err);
    tk_locator *loc = NULL;
    if (st == TK_OK)
        st = tk_locator_build(sh.items, sh.n, &loc, err);
    for (size_t i = 0; i < sh.n; i++)
        tk_geom_free((tk_geom *)sh.items[i].geom);
    free(sh.items);
    if (st != TK_OK)
        return st;
    if (sh.bad)
        tk_warn("grids skipped", "count=%zu reason=\"unreadable geometry\"", sh.bad);
    tk_locator_holder_swap(app->grids, loc);
    tk_info("grid locator ready", "grids=%zu", sh.n);
    return TK_OK;
}

int64_t tk_app_locate(tk_app *app, double lng, double lat)
{
    tk_locator *loc = tk_locator_holder_acquire(app->grids);
    int64_t id = loc ? tk_locator_locate(loc, lng, lat) : -1;
    tk_locator_unref(loc);
    return id;
}

static tk_status nothing(tk_conn *c, void *arg, tk_error *err)
{
    (void)c;
    (void)arg;
    (void)err;
    return TK_OK;
}

/* Unhooks the live stream and frees it. The observer runs on the writer thread
 * after a commit: once a job submitted after the unhooking has been through the
 * writer, no call into the hub can still be running. Called after the server
 * has stopped, so no subscriber is left. */
static void close_stream(tk_app *app)
{
    if (!app->stream)
        return;
    tk_events_set_observer(NULL, NULL);
    tk_error err;
    bool drained = false;
    for (int i = 0; i < 500 && !drained; i++) {
        drained = tk_db_write(app->db, nothing, NULL, &err) == TK_OK;
        if (!drained)
            usleep(10000);
    }
    if (!drained) {
        tk_warn("stream hub kept", "reason=\"writer did not drain: %s\"", err.detail);
        return;
    }
    tk_stream_hub_free(app->stream);
    app->stream = NULL;
}

void tk_app_close(tk_app *app)
{
    tk_sender_stop(app->sender);
    tk_timer_stop(app->timer);
    close_stream(app);
    tk_locator_holder_free(app->grids);
    tk_calendar_free(app->calendar);
    pthread_rwlock_destroy(&app->calendar_lock);
    tk_pool_free(app->hasher);
    tk_pool_free(app->attach_io);
    tk_throttle_free(app->throttle);
    tk_password_unload_common();
    sodium_memzero(app->csrf_key, sizeof app->csrf_key);
}

void tk_app_csrf_token(const tk_app *app, const char *session_token, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)session_token, strlen(session_token),
                           app->csrf_key);
    tk_hex(mac, sizeof mac, out);
}
