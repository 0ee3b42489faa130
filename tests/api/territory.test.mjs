// Territory on the 衢州 demo: counts and data scope per caller, point -> grid for
// every demo grid and across shared borders, ancestors and children, and the
// import (CSV, GeoJSON; all or nothing, dry run, line-by-line report) and export
// of territory files, including the round trip export -> import.
//
// The demo is built once into a temporary directory (`tiaokuai demo`, ~3 s) and one
// server runs on it. Tests run in order: the read-only checks first, then exports,
// then imports (which add units and change one grid).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, demoDatabase } from './lib/server.mjs';

const TOWNSHIP_A = '330802101'; // 航埠镇, the `command` user's
const TOWNSHIP_B = '330803115'; // 杜泽镇, the `command2` user's
const COUNTY_A = '330802'; // 柯城区, the `center` user's

// ---- HTTP ----

let srv;
const tokens = {};

async function call(who, method, urlPath, { json, body, type } = {}) {
  const headers = {};
  if (who) headers.authorization = `Bearer ${tokens[who]}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers['content-type'] = 'application/json';
  }
  if (type) headers['content-type'] = type;
  const res = await fetch(srv.base + urlPath, { method, headers, body: payload });
  const text = Buffer.from(await res.arrayBuffer()).toString('utf8'); // keeps a BOM
  const ct = res.headers.get('content-type') || '';
  let parsed = text;
  if (ct.includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

const get = (who, p) => call(who, 'GET', p);

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 2000)}`);
}

function expectProblem(res, status, code, field) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  if (field) assert.equal(res.body.field, field);
}

// Every page of a list.
async function listAll(who, p) {
  const items = [];
  let cursor = null;
  for (;;) {
    const sep = p.includes('?') ? '&' : '?';
    const res = await get(who, `${p}${sep}limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    expectStatus(res, 200, p);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (!cursor) return items;
  }
}

async function unitByCode(code) {
  const res = await get('admin', `/api/v1/units?q=${code}&limit=500`);
  expectStatus(res, 200);
  const u = res.body.items.find((x) => x.code === code);
  assert.ok(u, `unit ${code} exists`);
  return u;
}

// Runs fn over items, n at a time.
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

function importFile(who, format, body, { dryRun = false, query = '' } = {}) {
  const type = format === 'csv' ? 'text/csv' : 'application/geo+json';
  const q = `format=${format}${dryRun ? '&dry_run=1' : ''}${query}`;
  return call(who, 'POST', `/api/v1/territory/import?${q}`, { body, type });
}

// ---- CSV ----

function csvFields(line) {
  const out = [];
  let i = 0;
  for (;;) {
    let v = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++];
      }
    } else {
      while (i < line.length && line[i] !== ',') v += line[i++];
    }
    out.push(v);
    if (i >= line.length) return out;
    i++; // comma
  }
}

function parseCsv(text) {
  const lines = text.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l.length);
  const header = csvFields(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(csvFields(l).map((v, i) => [header[i], v])));
}

function countLevels(rows) {
  const n = {};
  for (const r of rows) n[r.level] = (n[r.level] || 0) + 1;
  return n;
}

// ---- polygons (degrees; good enough a few metres from any edge) ----

const polygonsOf = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);

function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(x, y, g) {
  return polygonsOf(g).some(([outer, ...holes]) => inRing(x, y, outer) && !holes.some((h) => inRing(x, y, h)));
}

function segmentDistance(x, y, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = dx || dy ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}

function edgeDistance(x, y, g) {
  let d = Infinity;
  for (const poly of polygonsOf(g)) for (const ring of poly) for (let i = 1; i < ring.length; i++) d = Math.min(d, segmentDistance(x, y, ring[i - 1], ring[i]));
  return d;
}

function ringArea(ring) {
  let a = 0;
  for (let i = 1; i < ring.length; i++) a += ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1];
  return a / 2;
}

function ringCentroid(ring) {
  let cx = 0;
  let cy = 0;
  let a = 0;
  for (let i = 1; i < ring.length; i++) {
    const [x0, y0] = ring[i - 1];
    const [x1, y1] = ring[i];
    const f = x0 * y1 - x1 * y0;
    a += f;
    cx += (x0 + x1) * f;
    cy += (y0 + y1) * f;
  }
  return [cx / (3 * a), cy / (3 * a)];
}

// A point well inside the polygon: the centroid of its largest part when that is
// inside, otherwise the sampled point farthest from every edge.
function interiorPoint(g) {
  const largest = polygonsOf(g).reduce((best, p) => (Math.abs(ringArea(p[0])) > Math.abs(ringArea(best[0])) ? p : best));
  const [cx, cy] = ringCentroid(largest[0]);
  if (inPolygon(cx, cy, g) && edgeDistance(cx, cy, g) > 1e-5) return [cx, cy];
  const xs = largest[0].map((p) => p[0]);
  const ys = largest[0].map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let best = null;
  let bestD = 0;
  for (let i = 1; i < 40; i++) {
    for (let j = 1; j < 40; j++) {
      const x = x0 + ((x1 - x0) * i) / 40;
      const y = y0 + ((y1 - y0) * j) / 40;
      if (!inPolygon(x, y, g)) continue;
      const d = edgeDistance(x, y, g);
      if (d > bestD) { best = [x, y]; bestD = d; }
    }
  }
  assert.ok(best, 'an interior point was found');
  return best;
}

function isConvexSimplePolygon(g) {
  if (g.type !== 'Polygon' || g.coordinates.length !== 1) return false;
  const r = g.coordinates[0];
  let sign = 0;
  for (let i = 0; i + 2 < r.length + 1; i++) {
    const a = r[i % (r.length - 1)];
    const b = r[(i + 1) % (r.length - 1)];
    const c = r[(i + 2) % (r.length - 1)];
    const cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
    if (Math.abs(cross) < 1e-14) continue;
    if (sign && Math.sign(cross) !== sign) return false;
    sign = Math.sign(cross);
  }
  return true;
}

// g scaled by s around (cx, cy).
function scaled(g, s, [cx, cy]) {
  const ring = (r) => r.map(([x, y]) => [cx + (x - cx) * s, cy + (y - cy) * s]);
  return g.type === 'Polygon' ? { type: 'Polygon', coordinates: g.coordinates.map(ring) }
    : { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => p.map(ring)) };
}

// ---- the suite ----

describe('territory on the 衢州 demo', () => {
  let dir;
  let grids; // every demo grid with its polygon
  let edges; // shared borders: { a, b, p, q } (grid indexes, endpoints)
  let interiorGrid; // a convex grid whose every edge is shared: far from the county border

  before(async () => {
    dir = tempDir('tk-territory-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    srv = await new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] }).start();
    const users = {
      admin: 'Demo-Admin-2026', command: 'Demo-Command-2026', command2: 'Demo-Command-2026',
      center: 'Demo-Center-2026',
    };
    for (const [username, password] of Object.entries(users)) {
      const res = await call(null, 'POST', '/api/v1/session', { json: { username, password, bearer: true } });
      expectStatus(res, 201, `login ${username}`);
      tokens[username] = res.body.token;
    }
  });

  after(async () => {
    if (!srv) return;
    const st = await srv.stop();
    srv.cleanup();
    assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
  });

  describe('counts and scope', () => {
    test('admin sees 6 counties, 100 townships, 1,664 villages, 4,589 grids', async () => {
      const res = await get('admin', '/api/v1/territory/summary');
      expectStatus(res, 200);
      assert.deepEqual(res.body, { counties: 6, townships: 100, villages: 1664, grids: 4589 });
    });

    test('command (航埠镇) sees one township and only its villages and grids', async () => {
      const res = await get('command', '/api/v1/territory/summary');
      expectStatus(res, 200);
      assert.equal(res.body.counties, 0);
      assert.equal(res.body.townships, 1);
      const townships = await listAll('command', '/api/v1/units?kind=township');
      assert.deepEqual(townships.map((t) => t.code), [TOWNSHIP_A]);
      assert.equal(townships[0].name, '航埠镇');
      const villages = await listAll('command', '/api/v1/units?kind=village');
      const mine = await listAll('command', '/api/v1/units?kind=grid');
      assert.equal(villages.length, res.body.villages);
      assert.equal(mine.length, res.body.grids);
      assert.ok(villages.length > 5 && mine.length > villages.length);
      for (const u of [...villages, ...mine]) assert.ok(u.code.startsWith(TOWNSHIP_A), u.code);
      // ... and exactly the ones the administrator sees under 航埠镇.
      const a = await unitByCode(TOWNSHIP_A);
      const adminVillages = await listAll('admin', `/api/v1/units?kind=village&parent_id=${a.id}`);
      assert.deepEqual(villages.map((v) => v.id).sort(), adminVillages.map((v) => v.id).sort());
      const adminGrids = (await listAll('admin', `/api/v1/units?kind=grid&q=${TOWNSHIP_A}`));
      assert.equal(mine.length, adminGrids.length);
    });

    // What one township's command room may not see of another township.
    async function otherTownshipIsInvisible(who, otherCode) {
      const b = await unitByCode(otherCode);
      const villages = await listAll('admin', `/api/v1/units?parent_id=${b.id}&kind=village`);
      const village = villages[0];
      const gridsOfB = await listAll('admin', `/api/v1/units?parent_id=${village.id}`);
      const modules = await listAll('admin', `/api/v1/units?parent_id=${b.id}&kind=module`);
      const people = await get('admin', `/api/v1/people?under_id=${b.id}&limit=5`);
      expectStatus(people, 200);
      assert.ok(modules.length > 0 && people.body.items.length > 0 && gridsOfB.length > 0);

      for (const u of [b, village, gridsOfB[0], modules[0]]) {
        expectProblem(await get(who, `/api/v1/units/${u.id}`), 404, 'unit_not_found');
        expectProblem(await get(who, `/api/v1/units/${u.id}/children`), 404, 'unit_not_found');
        expectProblem(await get(who, `/api/v1/units/${u.id}/ancestors`), 404, 'unit_not_found');
      }
      for (const p of people.body.items) expectStatus(await get(who, `/api/v1/people/${p.id}`), 404, 'person of B');
      for (const q of [`parent_id=${b.id}`, `parent_id=${village.id}`, `q=${otherCode}`]) {
        const res = await get(who, `/api/v1/units?${q}`);
        expectStatus(res, 200);
        assert.deepEqual(res.body.items, [], q);
      }
      for (const q of [`unit_id=${modules[0].id}`, `under_id=${b.id}`]) {
        const res = await get(who, `/api/v1/people?${q}`);
        expectStatus(res, 200);
        assert.deepEqual(res.body.items, [], q);
      }
      // Changing it: the role has no territory.write at all.
      const patch = await call(who, 'PATCH', `/api/v1/units/${b.id}`, { json: { name: '改名' } });
      expectProblem(patch, 403, 'forbidden');
      const after = await unitByCode(otherCode);
      assert.equal(after.name, b.name);
    }

    test('command (航埠镇) can neither read, list nor change 杜泽镇', async () => {
      await otherTownshipIsInvisible('command', TOWNSHIP_B);
    });

    test('command2 (杜泽镇) can neither read, list nor change 航埠镇', async () => {
      const res = await get('command2', '/api/v1/units?kind=township');
      expectStatus(res, 200);
      assert.deepEqual(res.body.items.map((t) => t.code), [TOWNSHIP_B]);
      await otherTownshipIsInvisible('command2', TOWNSHIP_A);
    });

    test('the session names where its scope starts: the desk\'s township, the centre\'s county, the admin\'s city', async () => {
      for (const [who, code] of [['command', TOWNSHIP_A], ['command2', TOWNSHIP_B], ['center', '330802'], ['admin', '330800']]) {
        const me = await get(who, '/api/v1/session');
        expectStatus(me, 200);
        const scope = await get(who, `/api/v1/units/${me.body.user.scope_unit_id}`);
        expectStatus(scope, 200, `${who}'s scope unit`);
        assert.equal(scope.body.code, code, who);
      }
      const desk = (await get('command', '/api/v1/session')).body.user;
      assert.notEqual(desk.unit.id, desk.scope_unit_id, 'the desk sits in its command room, its scope is the township');
    });

    test('people: a township desk reads its grid workers\' phones, not their ID numbers; the administrator reads both', async () => {
      const township = (await get('command', `/api/v1/units?q=${TOWNSHIP_A}&kind=township`)).body.items.find((u) => u.code === TOWNSHIP_A);
      const grid = (await get('command', `/api/v1/units?kind=grid&limit=1&q=${TOWNSHIP_A}`)).body.items[0]
        || (await get('command', `/api/v1/units?kind=grid&limit=1`)).body.items[0];
      assert.ok(township && grid, 'a grid of the desk\'s township');
      const seen = async (who) => {
        const res = await get(who, `/api/v1/people?unit_id=${grid.id}&kind=grid_worker`);
        expectStatus(res, 200, `people as ${who}`);
        assert.ok(res.body.items.length > 0, 'the grid has a worker');
        return res.body.items[0];
      };
      const [desk, admin] = [await seen('command'), await seen('admin')];
      assert.match(admin.id_number, /^\d{17}[\dX]$/, 'the administrator reads the ID number');
      assert.match(desk.id_number, /^\d{4}\*{10}[\dX]{4}$/, `the desk reads it masked: ${desk.id_number}`);
      assert.equal(desk.id_number.slice(-4), admin.id_number.slice(-4));
      assert.equal(desk.phone, admin.phone, 'the desk calls its grid workers: the phone in clear');
      assert.match(desk.phone, /^1\d{10}$/);
    });

    test('staffing: one township\'s summary and the city\'s both follow its quota; another county\'s township is refused', async () => {
      const township = (await get('admin', `/api/v1/units?q=${TOWNSHIP_A}&kind=township`)).body.items.find((u) => u.code === TOWNSHIP_A);
      const summary = async (who, unit) => {
        const res = await get(who, `/api/v1/staffing${unit ? `?unit_id=${unit}` : ''}`);
        expectStatus(res, 200, `staffing ${who} ${unit || ''}`);
        return Object.fromEntries(res.body.items.map((x) => [x.kind, x]));
      };
      const quota = async (approved, used) => expectStatus(await call('admin', 'PUT', `/api/v1/units/${room.id}/quotas`,
        { json: { kind: 'administrative', approved, used } }), 200, 'set a quota');
      const room = (await get('admin', `/api/v1/units/${township.id}/children`)).body.items.find((u) => u.kind === 'command');
      await quota(10, 5);
      const [town1, city1] = [await summary('admin', township.id), await summary('admin')];
      await quota(13, 7);
      const [town2, city2] = [await summary('admin', township.id), await summary('admin')];
      for (const [before, after] of [[town1, town2], [city1, city2]]) {
        assert.equal(after.administrative.township_approved - before.administrative.township_approved, 3);
        assert.equal(after.administrative.township_used - before.administrative.township_used, 2);
        assert.deepEqual(after.institutional, before.institutional);
      }
      assert.ok(town2.administrative.township_approved < city2.administrative.township_approved, 'one township is less than the city');
      assert.equal(town2.administrative.county_approved, 0, 'no county department inside a township');
      // The county centre of 柯城区 may look at its townships, not at another county's.
      expectStatus(await get('center', `/api/v1/staffing?unit_id=${township.id}`), 200);
      const other = (await get('admin', '/api/v1/units?kind=township&limit=200')).body.items.find((u) => !u.code.startsWith('330802'));
      expectProblem(await get('center', `/api/v1/staffing?unit_id=${other.id}`), 404, 'unit_not_found');
      expectProblem(await get('admin', '/api/v1/staffing?unit_id=0'), 422, 'invalid_field');
    });
  });

  describe('locate and the tree', () => {
    before(async () => {
      grids = await listAll('admin', '/api/v1/units?kind=grid&geometry=1');
      assert.equal(grids.length, 4589);
      // Borders: an edge that appears in two grids' rings.
      const byEdge = new Map();
      grids.forEach((g, gi) => {
        for (const poly of polygonsOf(g.geometry)) {
          for (const ring of poly) {
            for (let i = 1; i < ring.length; i++) {
              const p = ring[i - 1];
              const q = ring[i];
              const [k1, k2] = [p.join(','), q.join(',')];
              const key = k1 < k2 ? `${k1}|${k2}` : `${k2}|${k1}`;
              const seen = byEdge.get(key);
              if (!seen) byEdge.set(key, { a: gi, p, q, b: -1 });
              else if (seen.a !== gi) seen.b = gi;
            }
          }
        }
      });
      edges = [...byEdge.values()].filter((e) => e.b >= 0);
      assert.ok(edges.length > 5000, `shared edges found: ${edges.length}`);
      const shared = new Map();
      for (const e of edges) for (const gi of [e.a, e.b]) shared.set(gi, (shared.get(gi) || 0) + 1);
      interiorGrid = grids.find((g, gi) => g.code.startsWith(COUNTY_A) && isConvexSimplePolygon(g.geometry) &&
        shared.get(gi) === g.geometry.coordinates[0].length - 1 && g.area_m2 > 200000);
      assert.ok(interiorGrid, 'a convex grid away from the county border');
    });

    test('an interior point of every one of the 4,589 grids locates to that grid', async () => {
      const wrong = [];
      await pool(grids, 16, async (g) => {
        const [lng, lat] = interiorPoint(g.geometry);
        const res = await get('admin', `/api/v1/locate?lng=${lng}&lat=${lat}`);
        if (res.status !== 200 || res.body.grid.id !== g.id) wrong.push(`${g.code}: ${res.status} ${res.body.grid ? res.body.grid.code : res.text}`);
      });
      assert.deepEqual(wrong, []);
    });

    test('2 m either side of 300 shared borders each side locates to its own grid', async () => {
      const long = edges.filter((e) => Math.hypot(e.q[0] - e.p[0], e.q[1] - e.p[1]) > 0.0003);
      const step = Math.floor(long.length / 300);
      const sample = long.filter((e, i) => i % step === 0).slice(0, 300);
      assert.equal(sample.length, 300);
      const probes = [];
      for (const e of sample) {
        const [dx, dy] = [e.q[0] - e.p[0], e.q[1] - e.p[1]];
        const len = Math.hypot(dx, dy);
        const [nx, ny] = [(-dy / len) * 0.00002, (dx / len) * 0.00002];
        const mid = [(e.p[0] + e.q[0]) / 2, (e.p[1] + e.q[1]) / 2];
        for (const side of [1, -1]) {
          const pt = [mid[0] + side * nx, mid[1] + side * ny];
          const owners = [e.a, e.b].filter((gi) => inPolygon(pt[0], pt[1], grids[gi].geometry));
          assert.equal(owners.length, 1, `one side of the border ${grids[e.a].code}/${grids[e.b].code}`);
          probes.push({ pt, grid: grids[owners[0]] });
        }
      }
      const wrong = [];
      await pool(probes, 16, async ({ pt, grid }) => {
        const res = await get('admin', `/api/v1/locate?lng=${pt[0]}&lat=${pt[1]}`);
        if (res.status !== 200 || res.body.grid.id !== grid.id) wrong.push(`${grid.code} at ${pt}: ${res.body.grid ? res.body.grid.code : res.text}`);
      });
      assert.deepEqual(wrong, []);
    });

    test('outside 衢州 is a 404 outside_territory; a bad longitude is a 422 on lng', async () => {
      expectProblem(await get('admin', '/api/v1/locate?lng=110&lat=30'), 404, 'outside_territory');
      expectProblem(await get('admin', '/api/v1/locate?lng=abc&lat=29'), 422, 'invalid_field', 'lng');
    });

    test('locate answers the grid with its village, township, county and city', async () => {
      const g = grids[1234];
      const [lng, lat] = interiorPoint(g.geometry);
      const res = await get('command', `/api/v1/locate?lng=${lng}&lat=${lat}`);
      expectStatus(res, 200);
      assert.equal(res.body.grid.code, g.code);
      assert.equal(res.body.village.code, g.code.slice(0, 12));
      assert.equal(res.body.township.code, g.code.slice(0, 9));
      assert.equal(res.body.county.code, g.code.slice(0, 6));
      assert.equal(res.body.city.code, '330800');
    });

    test('ancestors of a grid run city, county, township, village; a village\'s children are its grids', async () => {
      const g = grids.find((x) => x.code.startsWith(TOWNSHIP_A));
      const res = await get('command', `/api/v1/units/${g.id}/ancestors`);
      expectStatus(res, 200);
      assert.deepEqual(res.body.items.map((u) => u.kind), ['city', 'county', 'township', 'village']);
      assert.deepEqual(res.body.items.map((u) => u.code), ['330800', COUNTY_A, TOWNSHIP_A, g.code.slice(0, 12)]);
      const village = res.body.items[3];
      const kids = await listAll('command', `/api/v1/units/${village.id}/children`);
      const expected = grids.filter((x) => x.parent_id === village.id).map((x) => x.id).sort();
      assert.ok(expected.length >= 1);
      assert.deepEqual(kids.map((k) => k.id).sort(), expected);
      assert.ok(kids.every((k) => k.kind === 'grid'));
    });
  });

  describe('export', () => {
    test('CSV as admin: every county, township, village and grid, with attributes', async () => {
      const res = await get('admin', '/api/v1/territory/export?format=csv');
      expectStatus(res, 200);
      assert.match(res.headers.get('content-type'), /^text\/csv/);
      assert.match(res.headers.get('content-disposition'), /^attachment; filename="territory\.csv"/);
      assert.ok(res.text.startsWith('\uFEFFcode,name,level,parent_code,township_class,lng,lat,households,population\r\n'));
      const rows = parseCsv(res.text);
      assert.deepEqual(countLevels(rows), { county: 6, township: 100, village: 1664, grid: 4589 });
      const a = rows.find((r) => r.code === TOWNSHIP_A);
      assert.equal(a.name, '航埠镇');
      assert.equal(a.parent_code, COUNTY_A);
      assert.ok(['经济型', '生态型', '复合型', '城区型', '城郊型'].includes(a.township_class));
      const grid = rows.find((r) => r.level === 'grid');
      assert.ok(Number(grid.households) > 0 && Number(grid.population) > 0 && Number(grid.lng) > 118);
      const villages = parseCsv((await get('admin', '/api/v1/territory/export?format=csv&kind=village')).text);
      assert.equal(villages.length, 1664);
      assert.ok(villages.every((r) => r.level === 'village'));
    });

    test('CSV as a county centre (柯城区): only that county; township command rooms may not export', async () => {
      const all = parseCsv((await get('admin', '/api/v1/territory/export?format=csv')).text);
      const res = await get('center', '/api/v1/territory/export?format=csv');
      expectStatus(res, 200);
      const rows = parseCsv(res.text);
      assert.ok(rows.length > 100);
      assert.ok(rows.every((r) => r.code.startsWith(COUNTY_A)));
      assert.equal(rows.length, all.filter((r) => r.code.startsWith(COUNTY_A)).length);
      assert.equal(rows.filter((r) => r.level === 'county').length, 1);
      expectProblem(await get('command', '/api/v1/territory/export?format=csv'), 403, 'forbidden');
    });

    test('GeoJSON of grids as admin, and of outlines when asked', async () => {
      const res = await get('admin', '/api/v1/territory/export?format=geojson');
      expectStatus(res, 200);
      assert.match(res.headers.get('content-type'), /^application\/geo\+json/);
      assert.match(res.headers.get('content-disposition'), /filename="territory\.geojson"/);
      const fc = JSON.parse(res.text);
      assert.equal(fc.type, 'FeatureCollection');
      assert.equal(fc.features.length, 4589);
      const f = fc.features[0];
      assert.deepEqual(Object.keys(f.properties).sort(), ['code', 'households', 'level', 'name', 'parent_code', 'population']);
      assert.equal(f.properties.level, 'grid');
      assert.match(f.geometry.type, /^(Multi)?Polygon$/);
      const outlines = JSON.parse((await get('admin', '/api/v1/territory/export?format=geojson&kind=county,township')).text);
      assert.equal(outlines.features.length, 106);
      expectProblem(await get('admin', '/api/v1/territory/export?format=geojson&kind=department'), 422, 'invalid_field', 'kind');
      expectProblem(await get('admin', '/api/v1/territory/export?format=xlsx'), 422, 'invalid_field', 'format');
    });

    test('round trip: importing the exports changes nothing', async () => {
      const csv = (await get('admin', '/api/v1/territory/export?format=csv')).text;
      let res = await importFile('admin', 'csv', csv);
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 0, changed: 0, unchanged: 6359, rejected: 0, errors: [] });
      const geo = (await get('admin', '/api/v1/territory/export?format=geojson&kind=county,township,grid')).text;
      res = await importFile('admin', 'geojson', geo);
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 0, changed: 0, unchanged: 4695, rejected: 0, errors: [] });
      // The center's own export imports unchanged too.
      const own = (await get('center', '/api/v1/territory/export?format=csv')).text;
      res = await importFile('admin', 'csv', own, { dryRun: true });
      expectStatus(res, 200);
      assert.equal(res.body.changed + res.body.added + res.body.rejected, 0);
    });
  });

  describe('import', () => {
    async function auditAfter(seq) {
      const res = await get('admin', '/api/v1/audit?limit=50');
      expectStatus(res, 200);
      return res.body.items.filter((a) => a.seq > seq);
    }

    async function lastSeq() {
      const res = await get('admin', '/api/v1/audit?limit=1');
      return res.body.items[0].seq;
    }

    async function snapshot() {
      const csv = (await get('admin', '/api/v1/territory/export?format=csv')).text;
      const geo = (await get('admin', '/api/v1/territory/export?format=geojson')).text;
      return { csv, geo, seq: await lastSeq() };
    }

    const goodCsv = [
      'code,name,level,parent_code,households,population',
      `${TOWNSHIP_A}950,测试新村,village,${TOWNSHIP_A},,`,
      `${TOWNSHIP_A}950001,测试新村第1网格,grid,${TOWNSHIP_A}950,120,360`,
      `${TOWNSHIP_A}950002,"测试新村第2网格, ""东片""",grid,${TOWNSHIP_A}950,80,`,
    ].join('\n');

    test('a dry run reports what would change and writes nothing', async () => {
      const before = await snapshot();
      const res = await importFile('admin', 'csv', goodCsv, { dryRun: true });
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: true, added: 3, changed: 0, unchanged: 0, rejected: 0, errors: [] });
      const after = await snapshot();
      assert.equal(after.csv, before.csv);
      assert.equal(after.seq, before.seq, 'a dry run is not audited');
    });

    test('a CSV adds a village and two grids, audited; the same file again changes nothing', async () => {
      const seq = await lastSeq();
      let res = await importFile('admin', 'csv', goodCsv);
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 3, changed: 0, unchanged: 0, rejected: 0, errors: [] });
      const audit = await auditAfter(seq);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].action, 'territory.import');
      assert.equal(audit[0].outcome, 'ok');
      assert.equal(audit[0].target_type, 'territory');
      assert.equal(audit[0].detail.added, 3);
      const summary = await get('admin', '/api/v1/territory/summary');
      assert.deepEqual(summary.body, { counties: 6, townships: 100, villages: 1665, grids: 4591 });
      // Visible to the township's own command room, under the right parent.
      const v = (await get('command', `/api/v1/units?q=${TOWNSHIP_A}950&kind=village`)).body.items;
      assert.equal(v.length, 1);
      assert.equal(v[0].name, '测试新村');
      const kids = (await get('command', `/api/v1/units/${v[0].id}/children`)).body.items;
      assert.deepEqual(kids.map((k) => k.name).sort(), ['测试新村第1网格', '测试新村第2网格, "东片"']);
      assert.equal(kids.find((k) => k.code.endsWith('001')).households, 120);
      res = await importFile('admin', 'csv', goodCsv);
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 0, changed: 0, unchanged: 3, rejected: 0, errors: [] });
      // A changed name counts as changed, and only that row.
      res = await importFile('admin', 'csv', goodCsv.replace('测试新村,village', '测试新村（改）,village'));
      assert.deepEqual([res.body.added, res.body.changed, res.body.unchanged], [0, 1, 2]);
    });

    test('a CSV with bad lines is refused whole, naming each bad line', async () => {
      const before = await snapshot();
      const csv = [
        'code,name,level,parent_code,township_class,households', // 1
        `${TOWNSHIP_A}960,好的村,village,${TOWNSHIP_A},,`, // 2: fine on its own
        `${TOWNSHIP_A}961,无上级村,village,${TOWNSHIP_A.slice(0, 6)}199,,`, // 3: unknown parent
        `${TOWNSHIP_A}960,重复的村,village,${TOWNSHIP_A},,`, // 4: duplicate code
        `${TOWNSHIP_A}962,"引号不成对,village,${TOWNSHIP_A},,`, // 5: unbalanced quote
        `${TOWNSHIP_A}963,列数不对,village`, // 6: wrong column count
        `${COUNTY_A}190,新镇,township,${COUNTY_A},农业型,`, // 7: bad township class
        `${TOWNSHIP_A}964,挂错层级的村,village,${COUNTY_A},,`, // 8: village under a county
        `${TOWNSHIP_A}001,兴航社区,township,${COUNTY_A},,`, // 9: moves an existing unit
        '', // blank lines are skipped
        `${TOWNSHIP_A}965,户数错的村,village,${TOWNSHIP_A},,很多`, // 11: bad number
      ].join('\r\n');
      const res = await importFile('admin', 'csv', csv);
      expectProblem(res, 422, 'import_rejected');
      const lines = res.body.errors.map((e) => e.line);
      assert.deepEqual(lines, [3, 4, 5, 6, 7, 8, 9, 11]);
      assert.equal(res.body.rejected, 8);
      assert.equal(res.body.added, 1);
      assert.equal(res.body.dry_run, false);
      const reason = (line) => res.body.errors.find((e) => e.line === line).reason;
      for (const e of res.body.errors) assert.match(e.reason, new RegExp(`^第 ${e.line} 行`));
      assert.match(reason(3), /上级单位 330802199 不存在/);
      assert.match(reason(4), /与第 2 行重复/);
      assert.match(reason(5), /引号不成对/);
      assert.match(reason(6), /有 3 列，表头有 6 列/);
      assert.match(reason(7), /乡镇类型「农业型」无效/);
      assert.match(reason(8), /村（社区）的上级应为乡镇（街道）/);
      assert.match(reason(9), /不能通过导入移动单位/);
      assert.match(reason(11), /户数「很多」不是非负整数/);
      assert.equal(res.body.errors.find((e) => e.line === 4).code, `${TOWNSHIP_A}960`);
      // Nothing written; the refusal itself is audited.
      const after = await snapshot();
      assert.equal(after.csv, before.csv);
      const audit = await auditAfter(before.seq);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].action, 'territory.import');
      assert.equal(audit[0].outcome, 'failed');
      assert.equal(audit[0].detail.code, 'import_rejected');
      assert.equal(audit[0].detail.rejected, 8);
      // A dry run of it says the same.
      const dry = await importFile('admin', 'csv', csv, { dryRun: true });
      expectProblem(dry, 422, 'import_rejected');
      assert.deepEqual(dry.body.errors, res.body.errors);
      assert.equal(dry.body.dry_run, true);
    });

    test('a CSV header with an unknown column, or a missing one, is refused', async () => {
      let res = await importFile('admin', 'csv', 'code,name,level,parent_code,colour\n1,a,village,2,red\n');
      expectProblem(res, 422, 'import_rejected');
      assert.equal(res.body.errors[0].line, 1);
      assert.match(res.body.errors[0].reason, /未知的列「colour」/);
      res = await importFile('admin', 'csv', 'code,name,level\n1,a,village\n');
      expectProblem(res, 422, 'import_rejected');
      assert.match(res.body.errors[0].reason, /缺少必需的列「parent_code」/);
    });

    test('GeoJSON with bad features is refused whole, naming each feature', async () => {
      const before = await snapshot();
      const g = interiorGrid;
      const centre = interiorPoint(g.geometry);
      const [cx, cy] = centre;
      const village = g.code.slice(0, 12);
      const fc = {
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { code: `${village}901`, name: '自相交', parent_code: village },
            geometry: { type: 'Polygon', coordinates: [[[cx, cy], [cx + 0.001, cy + 0.001], [cx + 0.001, cy], [cx, cy + 0.001], [cx, cy]]] } },
          { type: 'Feature', properties: { code: `${village}902`, name: '压在别的网格上', parent_code: village },
            geometry: scaled(g.geometry, 0.5, centre) },
          { type: 'Feature', properties: { code: `${village}903`, name: '县外', parent_code: village },
            geometry: { type: 'Polygon', coordinates: [[[121.5, 29.5], [121.51, 29.5], [121.51, 29.51], [121.5, 29.5]]] } },
          { type: 'Feature', properties: { code: `${village}904`, name: '无上级', parent_code: '330802101999' },
            geometry: { type: 'Polygon', coordinates: [[[121.6, 29.5], [121.61, 29.5], [121.61, 29.51], [121.6, 29.5]]] } },
        ],
      };
      const res = await importFile('admin', 'geojson', JSON.stringify(fc));
      expectProblem(res, 422, 'import_rejected');
      assert.deepEqual(res.body.errors.map((e) => e.line), [1, 2, 3, 4]);
      const reason = (n) => res.body.errors[n - 1].reason;
      assert.match(reason(1), new RegExp(`^第 1 个要素（${village}901）：多边形无效：自相交`));
      assert.match(reason(2), new RegExp(`^第 2 个要素（${village}902）：与网格 ${g.code} 重叠约 \\d+ 平方米（允许 100 平方米）$`));
      assert.match(reason(3), /^第 3 个要素.*超出所属县（市、区）「柯城区」（330802）的边界约 \d+ 平方米（允许 1000 平方米）$/);
      assert.match(reason(4), /^第 4 个要素.*上级单位 330802101999 不存在$/);
      assert.deepEqual(res.body.errors.map((e) => e.code), [901, 902, 903, 904].map((n) => `${village}${n}`));
      const after = await snapshot();
      assert.equal(after.csv, before.csv);
      assert.equal(after.geo, before.geo);
      // The tolerance is a parameter: with a big enough one the overlap passes (dry run).
      const one = { type: 'FeatureCollection', features: [fc.features[1]] };
      const tolerant = await importFile('admin', 'geojson', JSON.stringify(one), { dryRun: true, query: '&overlap_tolerance=1e8' });
      expectStatus(tolerant, 200);
      assert.equal(tolerant.body.added, 1);
    });

    test('GeoJSON replacing a grid by itself changes nothing; by a shrunk copy changes it', async () => {
      const g = interiorGrid;
      const centre = interiorPoint(g.geometry);
      const feature = (geometry) => ({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', properties: { code: g.code, name: g.name, parent_code: g.code.slice(0, 12) }, geometry }],
      });
      let res = await importFile('admin', 'geojson', JSON.stringify(feature(g.geometry)));
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 0, changed: 0, unchanged: 1, rejected: 0, errors: [] });
      const shrunk = scaled(g.geometry, 0.9, centre);
      res = await importFile('admin', 'geojson', JSON.stringify(feature(shrunk)), { dryRun: true });
      assert.deepEqual([res.status, res.body.changed], [200, 1]);
      res = await importFile('admin', 'geojson', JSON.stringify(feature(shrunk)));
      expectStatus(res, 200);
      assert.deepEqual(res.body, { dry_run: false, added: 0, changed: 1, unchanged: 0, rejected: 0, errors: [] });
      const stored = await get('admin', `/api/v1/units/${g.id}?geometry=1`);
      assert.ok(stored.body.area_m2 < g.area_m2 * 0.85, `${stored.body.area_m2} < ${g.area_m2}`);
      // The locator was rebuilt: the centre is still this grid, the old rim is no grid's.
      const here = await get('admin', `/api/v1/locate?lng=${centre[0]}&lat=${centre[1]}`);
      assert.equal(here.body.grid.id, g.id);
      const v = g.geometry.coordinates[0][0];
      const rim = [centre[0] + (v[0] - centre[0]) * 0.97, centre[1] + (v[1] - centre[1]) * 0.97];
      expectProblem(await get('admin', `/api/v1/locate?lng=${rim[0]}&lat=${rim[1]}`), 404, 'outside_territory');
    });

    test('all 4,589 grids moved 1 m east together: checked against each other in seconds', async () => {
      // Every polygon is new, so every one is checked for overlaps (against the others,
      // since the file replaces them all) and against its county; a sweep over boxes
      // keeps that to real neighbours. Moving all together overlaps nothing.
      const fc = JSON.parse((await get('admin', '/api/v1/territory/export?format=geojson')).text);
      const move = (r) => r.map(([x, y]) => [x + 0.00001, y]);
      for (const f of fc.features) {
        const g = f.geometry;
        g.coordinates = g.type === 'Polygon' ? g.coordinates.map(move) : g.coordinates.map((p) => p.map(move));
      }
      const t0 = Date.now();
      const res = await importFile('admin', 'geojson', JSON.stringify(fc), { dryRun: true, query: '&outside_tolerance=1e9' });
      const ms = Date.now() - t0;
      expectStatus(res, 200);
      assert.deepEqual([res.body.changed, res.body.rejected], [4589, 0]);
      // About 0.7 s on the normal build; n x n GEOS checks would take many minutes, so
      // this bound only catches that (it leaves room for the sanitizer build on a busy machine).
      assert.ok(ms < 60000, `${ms} ms`);
      // Moving one grid alone onto its neighbours is caught.
      const one = fc.features.find((f) => f.properties.code === interiorGrid.code);
      const alone = { type: 'FeatureCollection', features: [{ ...one, geometry: {
        type: 'Polygon', coordinates: one.geometry.coordinates.map((r) => r.map(([x, y]) => [x + 0.001, y])) } }] };
      const moved = await importFile('admin', 'geojson', JSON.stringify(alone), { dryRun: true });
      expectProblem(moved, 422, 'import_rejected');
      assert.match(moved.body.errors[0].reason, /与网格 \d+ 重叠约 \d+ 平方米/);
    });

    test('bad requests: content type, format, empty body, not a FeatureCollection', async () => {
      expectProblem(await call('admin', 'POST', '/api/v1/territory/import?format=csv', { body: 'x', type: 'application/json' }), 415, 'unsupported_media_type');
      expectProblem(await call('admin', 'POST', '/api/v1/territory/import?format=shp', { body: 'x', type: 'text/csv' }), 422, 'invalid_field', 'format');
      expectProblem(await call('admin', 'POST', '/api/v1/territory/import?format=csv', { body: '', type: 'text/csv' }), 400, 'empty_file');
      const res = await importFile('admin', 'geojson', '{"type":"Feature"}');
      expectProblem(res, 422, 'import_rejected');
      assert.equal(res.body.errors[0].line, 0);
      const broken = await importFile('admin', 'geojson', '{"type":');
      expectProblem(broken, 422, 'import_rejected');
      assert.match(broken.body.errors[0].reason, /GeoJSON 无法解析/);
    });

    test('a township command room may not import', async () => {
      const seq = await lastSeq();
      expectProblem(await importFile('command', 'csv', goodCsv), 403, 'forbidden');
      expectProblem(await importFile('command2', 'geojson', '{}'), 403, 'forbidden');
      const audit = await auditAfter(seq);
      assert.deepEqual(audit.map((a) => [a.action, a.outcome]), [['territory.import', 'denied'], ['territory.import', 'denied']]);
    });
  });
});

describe('territory CLI', () => {
  test('import and export on the database file, with the same report', async () => {
    const dir = tempDir('tk-territory-cli-');
    try {
      const db = path.join(dir, 'demo.db');
      const { writeFileSync } = await import('node:fs');
      // A small tree of its own: a fresh database has only the city.
      const init = await runCli(['init', '--db', db]);
      assert.equal(init.code, 0, init.stderr);
      const csv = path.join(dir, 'in.csv');
      writeFileSync(csv, [
        'code,name,level,parent_code,township_class,lng,lat',
        '330899101001,试验村,village,330899101,,118.9,28.95',
        '330899101,试验镇,township,330899,生态型,118.9,28.95',
        '330899,试验区,county,330800,,,',
      ].join('\n'));
      let r = await runCli(['import', '--db', db, '--format', 'csv', '--dry-run', csv]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /试运行通过（未写入任何数据）：新增 3，修改 0，不变 0/);
      r = await runCli(['import', '--db', db, '--format', 'csv', csv]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /导入完成：新增 3/);
      r = await runCli(['export', '--db', db, '--format', 'csv']);
      assert.equal(r.code, 0, r.stderr);
      const rows = parseCsv(r.stdout);
      assert.deepEqual(rows.map((x) => x.code), ['330899', '330899101', '330899101001']);
      assert.equal(rows[1].township_class, '生态型');
      const out = path.join(dir, 'out.csv');
      writeFileSync(out, r.stdout);
      r = await runCli(['import', '--db', db, '--format', 'csv', out]);
      assert.match(r.stdout, /新增 0，修改 0，不变 3/);
      writeFileSync(csv, 'code,name,level,parent_code\n330899101002,坏村,village,330899999\n');
      r = await runCli(['import', '--db', db, '--format', 'csv', csv]);
      assert.equal(r.code, 65);
      assert.match(r.stderr, /第 2 行（330899101002）：上级单位 330899999 不存在/);
      assert.match(r.stderr, /导入被拒绝：1 处错误，未写入任何数据/);
      r = await runCli(['import', '--db', db, '--format', 'kml', csv]);
      assert.equal(r.code, 64);
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
