/*
 * locate.h - point -> grid: which polygon (grid, village, township) holds a point.
 *
 * A tk_locator is an immutable index over (id, polygon) pairs: a GEOS STRtree of the
 * polygons' envelopes finds candidates, a prepared geometry per polygon (GEOSPrepare)
 * decides exactly. A point on a border shared by several polygons resolves to the
 * smallest id among the polygons that cover it (inside or on the boundary), so the answer
 * never depends on build order or on timing; a point inside one polygon gets that one;
 * a point in none gets -1.
 *
 * Threads: once tk_locator_build has returned, any number of threads may call
 * tk_locator_locate on it at once. GEOS builds some structures lazily on first use (the
 * STRtree on its first query; a prepared polygon's point locator and its interval index
 * on its first predicate; cached envelopes) and does so without locks, so build warms
 * every one of them up before returning; afterwards queries only read. Each thread talks
 * to GEOS through its own context handle (see geo/internal.h). valgrind --tool=helgrind
 * on the concurrent test confirms it: without the warm-up it reports races inside the
 * STRtree build and IndexedPointInAreaLocator; with it, only the GEOS 3.11 residue
 * described in geo/internal.h remains.
 *
 * Ownership: a locator is reference counted. tk_locator_build gives the caller one
 * reference; tk_locator_unref drops one and frees the locator with the last. The locator
 * copies the polygons it is given; the caller keeps its own.
 *
 * A tk_locator_holder is the slot the server reads from: readers acquire the current
 * locator (a new reference), use it, and unref it; a rebuild builds a new locator off to
 * the side and swaps it in. A mutex guards only the pointer and the count increment (a few
 * instructions), so readers never wait for a rebuild, and the old locator is freed by
 * whoever drops its last reference - the swapper if nobody is reading it, otherwise the
 * last reader.
 */
#ifndef TK_GEO_LOCATE_H
#define TK_GEO_LOCATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "geo/geom.h"

typedef struct {
    int64_t id;          /* >= 0; need not be unique, but the tie rule assumes it is */
    const tk_geom *geom; /* Polygon or MultiPolygon, non-empty; copied by build */
} tk_locator_item;

typedef struct tk_locator tk_locator;

/* TK_EINVAL "locator_bad_item" if an id is negative or a geometry is not a non-empty
 * polygon; n = 0 gives a locator that finds nothing. */
tk_status tk_locator_build(const tk_locator_item *items, size_t n, tk_locator **out, tk_error *err);
/* Id of the polygon covering (lng, lat), smallest id on shared borders; -1 if none or
 * if a coordinate is not finite. Thread-safe. */
int64_t tk_locator_locate(const tk_locator *loc, double lng, double lat);
/* Same answer by testing every polygon in turn (bounding box, then a plain, unprepared
 * GEOS covers test): the baseline for the benchmark and a cross-check for tests. */
int64_t tk_locator_locate_linear(const tk_locator *loc, double lng, double lat);
size_t tk_locator_count(const tk_locator *loc);

tk_locator *tk_locator_ref(tk_locator *loc); /* returns loc */
void tk_locator_unref(tk_locator *loc);      /* NULL is fine */

typedef struct tk_locator_holder tk_locator_holder;

/* Takes over the caller's reference to initial (which may be NULL). */
tk_locator_holder *tk_locator_holder_new(tk_locator *initial);
/* Drops the holder's reference; readers still holding references keep theirs. */
void tk_locator_holder_free(tk_locator_holder *h);
/* The current locator with a new reference (unref it when done), or NULL if none. */
tk_locator *tk_locator_holder_acquire(tk_locator_holder *h);
/* Makes next current, taking over the caller's reference, and drops the holder's
 * reference to the previous one (freed now or when its last reader lets go). */
void tk_locator_holder_swap(tk_locator_holder *h, tk_locator *next);

#endif
