/*
 * config.h - settings from defaults, an optional file, the environment and flags,
 * in that order of precedence (a flag wins).
 *
 * The file (--config FILE or TIAOKUAI_CONFIG) holds `key = value` lines with '#'
 * comments; a key is the flag name without dashes, and the environment variable is
 * TIAOKUAI_ plus the key in upper case with '-' as '_' (--max-body -> TIAOKUAI_MAX_BODY).
 */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

/* Which subcommands an option belongs to. */
enum {
    TK_CMD_SERVE = 1 << 0,
    TK_CMD_DB = 1 << 1, /* every command that opens the database */
};

typedef struct {
    char listen[128];      /* host:port; port 0 picks a free port */
    char db[512];          /* path or sqlite:PATH */
    char web[512];         /* static files */
    char vendor[512];      /* browser libraries from npm (node_modules/echarts/dist) */
    char manual_clock[40]; /* ISO time: start a manual clock (tests) */
    char log_level[16];
    int64_t threads; /* HTTP worker threads; 0 = number of cores */
    int64_t max_connections;
    int64_t per_ip_connections;
    int64_t connection_timeout;     /* seconds idle before a connection is closed */
    int64_t connection_memory;      /* bytes of MHD buffer per connection */
    int64_t max_body;               /* bytes; larger request bodies get 413 */
    int64_t max_json;               /* bytes; larger JSON bodies get 413 */
    int64_t write_queue;            /* pending write jobs before 503 */
    int64_t write_batch;            /* jobs per group commit at most */
    int64_t shutdown_grace;         /* seconds to finish in-flight requests */
    int64_t probe;                  /* 1: serve POST /api/v1/_probe/writes (benchmarks, tests) */
    int64_t session_idle;           /* minutes without use before a session ends */
    int64_t session_max;            /* hours after login before a session ends */
    int64_t hash_threads;           /* password-hashing threads */
    int64_t behind_tls;             /* 1: cookies get Secure (a TLS proxy is in front) */
    int64_t stream_heartbeat;       /* seconds between keep-alive comments on live streams */
    int64_t export_rows;            /* events in one export at most (422 beyond) */
    int64_t resident_daily_reports; /* a resident's reports a day (429 beyond); 0 = any */
    char data[512];                 /* folder of reference data (data/) */
} tk_config;

void tk_config_defaults(tk_config *cfg);
/* Reads file, environment and argv (flags from argv[0] on; positional arguments are
 * left in *rest / *nrest, in order). Unknown flags and bad values are errors. */
tk_status tk_config_load(tk_config *cfg, int argc, char **argv, unsigned cmd_mask, char ***rest,
                         int *nrest, tk_error *err);
/* Prints the options of cmd_mask with their defaults. */
void tk_config_usage(FILE *out, unsigned cmd_mask);

#endif
