/*
 * internal.h - what geom.c, locate.c and tessellate.c share and nothing outside src/geo
 * should see: the GEOS geometry inside a tk_geom, and the calling thread's GEOS context.
 *
 * Why a context per thread: a GEOSContextHandle_t holds mutable state (the last error
 * message, the message handlers, WKT/WKB settings) and GEOS documents a handle as usable
 * by one thread at a time. Geometries are not tied to the handle that made them (they
 * all use GEOS's default GeometryFactory), so a geometry built on one thread may be read
 * through another thread's handle. tk_geos() creates the handle on a thread's first use
 * and a pthread key destructor finishes it when the thread exits.
 *
 * What GEOS 3.11 still shares between threads, and why it is harmless here: every
 * geometry created or destroyed on any thread bumps a plain (non-atomic) int reference
 * count on the shared default GeometryFactory (libgeos/geos#847; PR #1307 proposes an
 * atomic count), and GEOS_init_r clears a global interrupt flag. The default factory is a
 * static that GEOS never frees whatever its count says, and we never request interrupts, so both
 * races change nothing we depend on; helgrind reports them, nothing else. A locator
 * query still creates (and so counts) one point geometry, because GEOS 3.11's STRtree and
 * prepared predicates only take geometries; GEOS >= 3.12's GEOSPreparedIntersectsXY would
 * avoid that.
 */
#ifndef TK_GEO_INTERNAL_H
#define TK_GEO_INTERNAL_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "core/status.h"
#include "geo/geom.h"

struct tk_geom {
    GEOSGeometry *g; /* owned */
};

/* The calling thread's GEOS context (created on first use; never NULL). */
GEOSContextHandle_t tk_geos(void);
/* The last GEOS error message on this thread ("" if none since tk_geos_clear_error). */
const char *tk_geos_last_error(void);
void tk_geos_clear_error(void);

/* Wraps g, taking ownership; NULL gives NULL. */
tk_geom *tk_geom_adopt(GEOSGeometry *g);
/* TK_EINTERNAL "geometry_error": "几何运算失败（<what>）：<GEOS message>". */
tk_status tk_geos_fail(tk_error *err, const char *what);
/* Area of a GEOS geometry in m^2 at its centroid latitude; -1 on a GEOS error. */
double tk_geos_area_m2(const GEOSGeometry *g);
/* g if it is polygonal, else its polygonal parts as a (Multi)Polygon (possibly empty);
 * consumes g. NULL on a GEOS error (g is freed). */
GEOSGeometry *tk_geos_polygonal(GEOSGeometry *g);

#endif
