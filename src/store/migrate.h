/*
 * migrate.h - numbered SQL migrations compiled into the program.
 *
 * The files in src/store/migrations/NNNN_name.sql are embedded at build time
 * (scripts/embed_sql.py) and applied in order, each in its own transaction, and
 * recorded in schema_migrations. A database that knows a newer migration than the
 * program is refused.
 */
#ifndef TK_MIGRATE_H
#define TK_MIGRATE_H

#include "core/status.h"
#include "store/db.h"

typedef struct {
    const char *name;
    const char *sql;
} tk_migration;

extern const tk_migration tk_migrations[];
extern const int tk_migrations_count;

/* Applies what is missing; *applied (may be NULL) gets how many were applied. */
tk_status tk_db_migrate(tk_db *db, int *applied, tk_error *err);
/* Number of migrations recorded in the database (0 for a fresh one). */
tk_status tk_db_schema_version(tk_db *db, int *version, tk_error *err);

#endif
