/*
 * multipart.h - multipart/form-data (RFC 7578) over a complete request body.
 *
 * The parser never copies: every part's name, filename, content type and bytes
 * are slices into the body, which must outlive them (r->body does). It is a
 * cursor over the body in the curl manner, and strict where leniency could be
 * abused: a missing closing delimiter, part headers that never end or grow past
 * TK_MULTIPART_MAX_HEADER, a part without Content-Disposition: form-data and a
 * name, or more parts than the caller allows are all TK_EINVAL "bad_multipart".
 * A request that is not multipart/form-data at all is TK_EMEDIA
 * "unsupported_media_type".
 */
#ifndef TK_MULTIPART_H
#define TK_MULTIPART_H

#include <stdbool.h>

#include "core/status.h"
#include "core/str.h"

#define TK_MULTIPART_MAX_HEADER   4096 /* bytes of headers per part */
#define TK_MULTIPART_MAX_BOUNDARY 70   /* RFC 2046 */

typedef struct {
    tk_slice name;         /* the form field name, as sent (quotes removed) */
    tk_slice filename;     /* empty when has_filename is false */
    bool has_filename;     /* a file field (filename="..." present, even if empty) */
    tk_slice content_type; /* as sent by the client; empty when absent (never trusted) */
    tk_slice data;         /* the part's bytes */
} tk_multipart_part;

/* The boundary of a "multipart/form-data; boundary=..." Content-Type (slice into
 * content_type). NULL or another type: TK_EMEDIA; a missing or invalid boundary:
 * TK_EINVAL "bad_multipart". */
tk_status tk_multipart_boundary(const char *content_type, tk_slice *boundary, tk_error *err);

/* Splits body into parts[0..*n). More than max parts is "bad_multipart". */
tk_status tk_multipart_parse(tk_slice body, tk_slice boundary, tk_multipart_part *parts, int max,
                             int *n, tk_error *err);

#endif
