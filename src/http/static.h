/*
 * static.h - static files from the web folder: content types, ETag / 304, gzip
 * when the client accepts it. Files are cached in memory and re-read when their
 * size or mtime changes.
 */
#ifndef TK_STATIC_H
#define TK_STATIC_H

#include "http/request.h"

typedef struct tk_static tk_static;

tk_static *tk_static_new(const char *root);
void tk_static_free(tk_static *s);

/* Route handler for GET /{*path}: serves r's "path" parameter from the server's
 * web folder; "" and folders serve index.html. */
void tk_static_handler(tk_req *r);
/* Route handler for GET /vendor/echarts/{*path}: the same, from the vendor folder
 * (browser libraries installed by npm, never copied into web/). */
void tk_vendor_handler(tk_req *r);

#endif
