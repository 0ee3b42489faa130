/*
 * cli.h - command-line subcommands beyond serve/init (administration that works
 * on the database file directly, for the first admin and for recovery).
 */
#ifndef TK_CLI_H
#define TK_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/status.h"
#include "store/db.h"

/* From main.c: loads config for a database command and opens/migrates the db.
 * Returns -1 to continue, else an exit code. */
int tk_cli_open_db(int argc, char **argv, const char *usage, tk_config *cfg, tk_db **db,
                   char ***rest, int *nrest);
/* The same for a command that must see the database as it is (backup): the file
 * must exist, and it is not migrated. */
int tk_cli_open_db_as_is(int argc, char **argv, const char *usage, tk_config *cfg, tk_db **db,
                         char ***rest, int *nrest);
int tk_cli_fail(const tk_error *err);
/* Remove "--name value" (returning value, or NULL) or "--name" (returning whether
 * it was there) from argv, for a subcommand's own flags. */
const char *tk_cli_take_flag(int *argc, char **argv, const char *name);
bool tk_cli_take_switch(int *argc, char **argv, const char *name);
/* Terminal cells text takes (a Chinese character two), and text printed
 * left-aligned in a column that many cells wide, for tables that line up. */
int tk_cli_cells(const char *text);
void tk_cli_cell(const char *text, int width);

int tk_cli_user(int argc, char **argv);
int tk_cli_verify_audit(int argc, char **argv);
int tk_cli_demo(int argc, char **argv);
int tk_cli_import(int argc, char **argv);
int tk_cli_export(int argc, char **argv);
int tk_cli_backup(int argc, char **argv);

/* `tiaokuai simulate`: events driven through the domain functions on a manual
 * clock (see simulate.c). */
typedef struct {
    int64_t events; /* how many arrive */
    int days;       /* over the days before end_ms */
    uint64_t seed;
    int64_t end_ms;          /* where the clock stops */
    int64_t steps_per_job;   /* steps per write transaction, 0 = by size (see simulate.c) */
    bool quiet;              /* no progress lines */
    const char *focus;       /* comma-separated township codes, or NULL */
    double focus_share;      /* of the events that the focus townships get, 0..1 */
    const char *focus_grid;  /* one grid code, or NULL */
    double focus_grid_share; /* of the events that grid gets, 0..1 */
} tk_sim_options;

typedef struct {
    int64_t created, actions, refused, closed, alerts;
    int64_t total_events, overdue; /* in the database afterwards */
    struct {
        char state[24];
        int64_t count;
    } states[16];
    int nstates;
    double seconds;
} tk_sim_report;

tk_status tk_cli_simulate_run(tk_db *db, const tk_sim_options *opt, tk_sim_report *rep,
                              tk_error *err);
void tk_cli_simulate_print(const tk_sim_report *rep);
int tk_cli_simulate(int argc, char **argv);

/* The city unit (衢州市 330800) as the root of the tree, if the tree is empty. */
tk_status tk_cli_ensure_root(tk_db *db, tk_error *err);
bool tk_cli_has_admin(tk_db *db);
/* Loads data/cn-work-calendar-*.csv into an empty calendar. */
tk_status tk_cli_seed_calendar(tk_db *db, const char *data_dir, tk_error *err);
/* Loads data/list-items.csv, categories.csv and category-limits.csv. */
tk_status tk_cli_seed_lists(tk_db *db, const char *data_dir, tk_error *err);

#endif
