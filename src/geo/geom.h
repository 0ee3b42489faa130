/*
 * geom.h - polygons for grids and administrative areas: GeoJSON/WKB in and out,
 * import validation, areas in square metres, overlap and containment checks, union
 * and simplification. No database, no HTTP.
 *
 * A tk_geom is an opaque, immutable wrapper of a GEOS geometry in longitude/latitude
 * degrees (x = lng, y = lat; WGS84 or GCJ-02, whatever the caller stores). Every function
 * that hands out a tk_geom (or a byte buffer) gives it to the caller: free it with
 * tk_geom_free (or free()). A tk_geom may be read by many threads at once; GEOS is called
 * through a per-thread context (see geo/internal.h).
 *
 * Metres: coordinates stay in degrees; areas and tolerances are converted with an
 * equirectangular approximation on a sphere of radius 6,371,008.8 m (the mean Earth
 * radius): 1 degree of latitude = 111,195 m, 1 degree of longitude = 111,195 m x cos(lat),
 * so 1 square degree = 111,195^2 x cos(lat) m^2, with lat = the latitude of the centroid of
 * the shape being measured. Across a county (about 1 degree of latitude) the error is well
 * under 1%; good for tolerances, statistics and maps, not for surveying.
 */
#ifndef TK_GEO_GEOM_H
#define TK_GEO_GEOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct tk_geom tk_geom;

typedef struct {
    double min_lng, min_lat, max_lng, max_lat;
} tk_bbox;

/* Metres per degree of latitude (and of longitude at the equator). */
#define TK_GEO_M_PER_DEG 111195.0797

/* Where imported polygons must lie: mainland China and its islands, with margin.
 * Catches projected coordinates (metres) and swapped lng/lat. */
#define TK_GEO_MIN_LNG 73.0
#define TK_GEO_MAX_LNG 136.0
#define TK_GEO_MIN_LAT 3.0
#define TK_GEO_MAX_LAT 54.0

/* ---- reading and writing ---- */

/* A GeoJSON geometry (a Feature is accepted too: its geometry is read). Any geometry type;
 * TK_EINVAL "invalid_geojson" with a zh-CN reason when it cannot be parsed (including a
 * ring that is not closed; a closed ring of 3 positions parses and fails validation). */
tk_status tk_geom_from_geojson(const char *text, size_t len, tk_geom **out, tk_error *err);
/* Compact GeoJSON geometry text, NUL-terminated; the caller free()s *out. */
tk_status tk_geom_to_geojson(const tk_geom *g, char **out, tk_error *err);
/* ISO WKB (2D). TK_EINVAL "invalid_wkb" when it cannot be parsed. */
tk_status tk_geom_from_wkb(const unsigned char *wkb, size_t len, tk_geom **out, tk_error *err);
/* Little-endian 2D WKB; the caller free()s *out. */
tk_status tk_geom_to_wkb(const tk_geom *g, unsigned char **out, size_t *len, tk_error *err);
/* An axis-aligned rectangle polygon; NULL if b is degenerate or not finite. */
tk_geom *tk_geom_rect(tk_bbox b);
tk_geom *tk_geom_clone(const tk_geom *g);
void tk_geom_free(tk_geom *g); /* NULL is fine */

/* ---- import validation ---- */

/* Parse GeoJSON and validate it as below; *out is set only on TK_OK. */
tk_status tk_geom_import_polygon(const char *geojson, size_t len, tk_geom **out, tk_error *err);
/* TK_OK, or TK_EVALID with code and a zh-CN detail:
 *   not_polygon              not a Polygon or MultiPolygon
 *   empty_geometry           no coordinates
 *   coordinates_out_of_range outside TK_GEO_MIN/MAX_LNG/LAT (projected? lng/lat swapped?)
 *   invalid_polygon          GEOS validity (OGC rules), e.g. "多边形无效：自相交（位置 …）" */
tk_status tk_geom_validate_polygon(const tk_geom *g, tk_error *err);

/* ---- measuring ---- */

/* "Polygon", "MultiPolygon", "Point", ... (static string). */
const char *tk_geom_type_name(const tk_geom *g);
bool tk_geom_is_polygonal(const tk_geom *g); /* Polygon or MultiPolygon */
bool tk_geom_is_empty(const tk_geom *g);
/* Parts of a multi-geometry or collection; 1 for a single geometry. */
int tk_geom_part_count(const tk_geom *g);
/* Area in m^2 (see the note at the top); 0 for non-areal or empty geometries. */
double tk_geom_area_m2(const tk_geom *g);
/* False for an empty geometry. */
bool tk_geom_centroid(const tk_geom *g, double *lng, double *lat);
bool tk_geom_bbox(const tk_geom *g, tk_bbox *out);
/* Whether the point is inside or on the boundary. */
bool tk_geom_covers_point(const tk_geom *g, double lng, double lat);

/* ---- relations between polygons ---- */

/* Area of a ∩ b in m^2. */
tk_status tk_geom_overlap_m2(const tk_geom *a, const tk_geom *b, double *m2, tk_error *err);
/* TK_EVALID "overlaps_neighbour" when g and neighbour overlap by more than tolerance_m2.
 * measured_m2 (may be NULL) gets the overlap area either way. */
tk_status tk_geom_check_neighbour(const tk_geom *g, const tk_geom *neighbour, double tolerance_m2,
                                  double *measured_m2, tk_error *err);
/* Area of child − parent in m^2: how much of child lies outside parent. */
tk_status tk_geom_outside_m2(const tk_geom *child, const tk_geom *parent, double *m2,
                             tk_error *err);
/* TK_EVALID "outside_parent" when more than tolerance_m2 of child lies outside parent. */
tk_status tk_geom_check_inside(const tk_geom *child, const tk_geom *parent, double tolerance_m2,
                               double *measured_m2, tk_error *err);

/* Same type and structure with every coordinate within tolerance_deg of the other's
 * (vertex order matters): "the same polygon", for telling an unchanged upload. */
bool tk_geom_equals_exact(const tk_geom *a, const tk_geom *b, double tolerance_deg);

/* A prepared copy of one shape that many others are tested against (a county outline
 * against its grids): an index over its edges makes each covers test cheap. Owned by
 * the caller (tk_geom_prepared_free); use it on one thread at a time. */
typedef struct tk_geom_prepared tk_geom_prepared;
tk_geom_prepared *tk_geom_prepare(const tk_geom *g); /* NULL on a GEOS error */
void tk_geom_prepared_free(tk_geom_prepared *p);     /* NULL is fine */
/* Whether g lies wholly inside or on the boundary of the prepared shape. */
bool tk_geom_prepared_covers(const tk_geom_prepared *p, const tk_geom *g);

/* ---- deriving geometries ---- */

/* a − b (the part of a outside b). */
tk_status tk_geom_difference(const tk_geom *a, const tk_geom *b, tk_geom **out, tk_error *err);

/* Union of n geometries (GEOS unary union), e.g. a township outline from its grids. */
tk_status tk_geom_union(const tk_geom *const *parts, size_t n, tk_geom **out, tk_error *err);
/* Topology-preserving simplification for maps. tolerance_m is converted to degrees of
 * latitude (tolerance_m / TK_GEO_M_PER_DEG), so east-west it is about 1/cos(lat) finer.
 * Each geometry keeps its own topology, but two neighbours simplified separately can drift
 * apart along their shared border by up to the tolerance: simplify for display only. */
tk_status tk_geom_simplify(const tk_geom *g, double tolerance_m, tk_geom **out, tk_error *err);

/* Called for every coordinate; may change it (e.g. GCJ-02 <-> WGS84, or moving a shape). */
typedef void (*tk_geom_xy_fn)(double *lng, double *lat, void *ctx);
tk_status tk_geom_transform(const tk_geom *g, tk_geom_xy_fn fn, void *ctx, tk_geom **out,
                            tk_error *err);

/* m^2 of deg2 square degrees at latitude lat (the conversion used throughout). */
double tk_geo_deg2_to_m2(double deg2, double lat);

#endif
