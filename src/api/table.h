/*
 * table.h - a table of text cells for download, as CSV or as an XLSX sheet.
 *
 * The exports of the lists and of the events build their files here: begin with
 * the header, add rows, finish with the reply (or the error that stopped the rows).
 */
#ifndef TK_API_TABLE_H
#define TK_API_TABLE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/status.h"
#include "http/request.h"

typedef struct api_table api_table;

/* ?format=csv|xlsx (csv when absent). Replies 422 to another and returns NULL. */
api_table *api_table_begin(tk_req *r, const char *sheet, const char *const *header, int ncols);
/* For tables of what people typed, opened by people: a CSV cell that begins with
 * = + - or @ gets a leading ' so that a spreadsheet shows it instead of running it
 * (an XLSX cell is text already). */
void api_table_guard_formulas(api_table *t);
/* ncols cells; NULL is an empty cell. */
void api_table_row(api_table *t, const char *const *cells);
/* When st is TK_OK, commits an audit record of action with detail (owned, may be
 * NULL; the row count and file name are added), then replies with the file, named
 * name.csv or name.xlsx (name in UTF-8; its ASCII part, after "export", for
 * clients that cannot read more); else replies with err. Frees t either way. */
void api_table_finish(tk_req *r, api_table *t, const char *action, const char *name, json_t *detail,
                      tk_status st, const tk_error *err);

#endif
