/*
 * tessellate.h - cutting an area into grid cells, for demo data (衢州's 4,589 grids) and
 * benchmarks: seeded random points inside a polygon, and the Voronoi cells of seed
 * points clipped to the area.
 *
 * The cells returned by tk_tessellate are owned by the caller (tk_geom_free each one).
 * Both functions are deterministic: the same inputs give the same output everywhere.
 */
#ifndef TK_GEO_TESSELLATE_H
#define TK_GEO_TESSELLATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "geo/geom.h"

/* n points strictly inside area (not on its boundary), uniform over its area in
 * degree space, from seed. xy gets 2n doubles: lng0, lat0, lng1, lat1, ...
 * TK_EINVAL if area is not a non-empty polygon or is too thin to hit by sampling its
 * bounding box. */
tk_status tk_geom_random_points(const tk_geom *area, uint64_t seed, size_t n, double *xy,
                                tk_error *err);

/* Cuts area (Polygon or MultiPolygon) into n cells, one per seed point: the Voronoi cell
 * of each point, clipped to the area. cells[i] is the cell of point i (xy[2i], xy[2i+1]),
 * a Polygon, or a MultiPolygon where the area's shape cuts the cell into pieces
 * (islands, exclaves, a bay). The cells cover the area and do not overlap (they share
 * borders exactly). Points must be distinct and lie in the area (TK_EINVAL otherwise).
 * On failure every cells[i] is NULL. */
tk_status tk_tessellate(const tk_geom *area, const double *xy, size_t n, tk_geom **cells,
                        tk_error *err);

#endif
