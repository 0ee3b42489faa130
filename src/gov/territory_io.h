/*
 * territory_io.h - territory in and out of files: CSV of units (code, name, level,
 * parent code and attributes) and GeoJSON of grid polygons.
 *
 * An import is all or nothing per file. It runs inside a write job (the writer's
 * connection), so what it validates against is what it writes to: every line (or
 * feature) is checked first and the report lists each bad one with its number and
 * zh-CN reasons; if any is bad, nothing is written and the import returns TK_EVALID
 * "import_rejected". Otherwise the changes are written inside a savepoint of the
 * caller's transaction - and rolled back again for a dry run, which reports what
 * would be added, changed and left unchanged.
 *
 * CSV: a header naming the columns, in any order: code, name, level, parent_code
 * (required) and township_class, lng, lat, households, population (optional); any
 * other column is an error. level is county, township, village, grid or microgrid.
 * A row whose code exists updates the unit (an empty optional field leaves its value
 * as it is); otherwise the unit is added under parent_code, which exists already or
 * appears anywhere in the same file. A unit's level and parent cannot be changed by an
 * import. Fields may be quoted ("a, ""b""") but a record is one line.
 *
 * GeoJSON: a FeatureCollection whose features carry properties code, name,
 * parent_code, level (grid unless given; microgrid; or county/township/village to
 * replace the outline of an existing unit), households, population, and a Polygon or
 * MultiPolygon. A new or changed polygon must be valid, must not overlap another
 * unit of its level (in the file or the database) by more than the overlap tolerance,
 * and must not reach beyond its county's outline by more than the outside tolerance
 * (beyond what the polygon it replaces already did).
 *
 * Export writes the same formats for the units in a scope; importing an export
 * changes nothing.
 *
 * Memory: a report's strings and arrays live in the arena given to the import.
 */
#ifndef TK_TERRITORY_IO_H
#define TK_TERRITORY_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/status.h"
#include "core/str.h"
#include "store/db.h"

#define TK_IMPORT_OVERLAP_M2 100.0  /* default overlap tolerance */
#define TK_IMPORT_OUTSIDE_M2 1000.0 /* default tolerance outside the county outline */

typedef struct {
    bool dry_run;
    const char *scope_path;      /* units read and written must lie inside; NULL = all */
    double overlap_tolerance_m2; /* negative = TK_IMPORT_OVERLAP_M2 */
    double outside_tolerance_m2; /* negative = TK_IMPORT_OUTSIDE_M2 */
} tk_import_options;

/* One bad line (CSV; the header is line 1) or feature (GeoJSON, counted from 1);
 * line 0 is the file as a whole. */
typedef struct {
    int64_t line;
    const char *code;   /* the unit code on that line, "" if none could be read */
    const char *reason; /* zh-CN, starting with "第 N 行" or "第 N 个要素（code）" */
} tk_import_error;

typedef struct {
    bool dry_run;
    int64_t added, changed, unchanged, rejected;
    tk_import_error *errors; /* in line order */
    size_t nerrors;
    bool grids_changed; /* a grid was added or changed (the point locator is stale) */
} tk_import_report;

/* TK_OK: written (or, for a dry run, validated and rolled back). TK_EVALID
 * "import_rejected": rep->errors says why; nothing written. Other statuses: storage
 * failures, nothing written. */
tk_status tk_territory_import_csv(tk_conn *c, tk_arena *a, const char *data, size_t len,
                                  const tk_import_options *opt, tk_import_report *rep,
                                  tk_error *err);
tk_status tk_territory_import_geojson(tk_conn *c, tk_arena *a, const char *data, size_t len,
                                      const tk_import_options *opt, tk_import_report *rep,
                                      tk_error *err);

typedef struct {
    const char *scope_path; /* NULL = all */
    /* Levels to include, separated by commas: "village,grid". NULL = CSV: county to
     * microgrid; GeoJSON: grid. GeoJSON has only units that have a polygon. */
    const char *kinds;
} tk_export_options;

/* TK_EVALID (field "kind") for a level that cannot be exported. */
tk_status tk_territory_export_check(const tk_export_options *opt, tk_error *err);
/* Appends the file to out (a tk_buf whose cap bounds the export: TK_ETOOBIG);
 * *count gets the number of rows or features. */
tk_status tk_territory_export_csv(tk_conn *c, const tk_export_options *opt, tk_buf *out,
                                  int64_t *count, tk_error *err);
tk_status tk_territory_export_geojson(tk_conn *c, const tk_export_options *opt, tk_buf *out,
                                      int64_t *count, tk_error *err);

#endif
