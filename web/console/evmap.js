// evmap.js - where an event is: the grids of its village (GeoJSON from
// GET /api/v1/units?parent_id=…&kind=grid&geometry=1), its own grid marked, and
// the reported point, drawn as SVG. Longitudes are scaled by cos(latitude), so
// the grids keep their shape.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function outerRings(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates[0]];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.map((p) => p[0]);
  return [];
}

// placeMap(grids, gridId, point): an <svg> of the grids ([{ id, geometry }]),
// the one with gridId marked, and the point ([lng, lat], or null); null when
// there is nothing to draw.
export function placeMap(grids, gridId, point) {
  const shapes = grids.map((g) => ({ id: g.id, rings: outerRings(g.geometry) })).filter((g) => g.rings.length);
  const all = shapes.flatMap((g) => g.rings.flat());
  if (point) all.push(point);
  if (!all.length) return null;
  const lats = all.map((p) => p[1]);
  const k = Math.cos(((Math.min(...lats) + Math.max(...lats)) / 2) * Math.PI / 180);
  const xy = ([lng, lat]) => [lng * k, -lat];
  const pts = all.map(xy);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0, 0.0005);
  const pad = span * 0.08;
  x0 -= pad; y0 -= pad; x1 += pad; y1 += pad;
  const map = svg('svg', { class: 'place-map', viewBox: `${x0} ${y0} ${x1 - x0} ${y1 - y0}`, preserveAspectRatio: 'xMidYMid meet', role: 'img', 'aria-label': '事发位置示意图' });
  const stroke = span / 300;
  // The event's grid last, so its outline is on top.
  shapes.sort((a, b) => (a.id === gridId) - (b.id === gridId));
  for (const g of shapes) {
    const d = g.rings.map((ring) => ring.map((p, i) => `${i ? 'L' : 'M'}${xy(p).join(' ')}`).join(' ') + ' Z').join(' ');
    const own = g.id === gridId;
    map.append(svg('path', { class: own ? 'place-area place-own' : 'place-area', d, 'stroke-width': stroke * (own ? 2.4 : 1), 'data-grid': g.id }));
  }
  if (point) {
    const [cx, cy] = xy(point);
    map.append(svg('circle', { class: 'place-halo', cx, cy, r: span / 22 }));
    map.append(svg('circle', { class: 'place-point', cx, cy, r: span / 60, 'stroke-width': stroke * 2, 'data-testid': 'place-point' }));
  }
  return map;
}
