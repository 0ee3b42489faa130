// 三张清单, event categories, routing and the work calendar on the 衢州 demo:
// deadlines on the statutory calendar (weekends, the lunch break, 春节 and its
// 调休 Saturday, a summer schedule, a holiday added by hand), routing of every
// leaf category in every township to the right module, team or department,
// dated versions of list items (change, retire, history, as_of), all-or-nothing
// imports that name every bad line, exports, and category limits.
//
// The demo is built once into a temporary directory (`tiaokuai demo`, ~4 s) and one
// server runs on it. Tests run in order: reads and the routing sweep first, then
// the tests that write (calendar changes are undone; list changes are dated some
// weeks ahead of the server's today, so that routing "today" is not affected).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, BIN, demoDatabase } from './lib/server.mjs';
import { csvRecords } from './lib/csv.mjs';

// Under the sanitizer build the routing sweep samples townships.
const SANITIZER = /asan/i.test(process.env.TIAOKUAI_BIN || BIN);
const SAMPLE_TOWNSHIPS = 20;
// UBSan reports do not change the exit status: look for them in the output.
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;

// ---- HTTP ----

let srv;
const tokens = {};

// One keep-alive agent: the routing sweep makes some 15,000 requests.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(who, method, urlPath, { json, body, type } = {}) {
  const headers = {};
  if (who) headers.authorization = `Bearer ${tokens[who]}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers['content-type'] = 'application/json';
  }
  if (type) headers['content-type'] = type;
  if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method, path: urlPath, headers, agent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(parts);
        const text = buf.toString('utf8');
        const ct = res.headers['content-type'] || '';
        let parsed = text;
        if (ct.includes('json') && text) parsed = JSON.parse(text);
        // headers.get() as with fetch.
        const h = { get: (name) => res.headers[name.toLowerCase()] ?? null };
        resolve({ status: res.statusCode, headers: h, body: parsed, text, buf });
      });
    });
    req.setTimeout(120000, () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const get = (who, p) => call(who, 'GET', p);
const put = (who, p, json) => call(who, 'PUT', p, { json });
const post = (who, p, json) => call(who, 'POST', p, { json });

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 2000)}`);
}

function expectProblem(res, status, code, field) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  if (code) assert.equal(res.body.code, code, JSON.stringify(res.body));
  if (field) assert.equal(res.body.field, field, JSON.stringify(res.body));
}

// Every page of a list.
async function listAll(who, p) {
  const items = [];
  let cursor = null;
  for (;;) {
    const sep = p.includes('?') ? '&' : '?';
    const res = await get(who, `${p}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expectStatus(res, 200, p);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (!cursor) return items;
  }
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

// ---- dates and CSV ----

// "2027-01-10" +/- n days.
function addDays(date, n) {
  const t = Date.parse(`${date}T00:00:00Z`) + n * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}


function readCsv(name) {
  const [header, ...rows] = csvRecords(readFileSync(path.join(ROOT, 'data', name), 'utf8').replace(/^\uFEFF/, ''));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

const deadline = (start, amount, unit) =>
  get('admin', `/api/v1/calendar/deadline?start=${encodeURIComponent(start)}&amount=${amount}&unit=${unit}`);

async function expectDeadline(start, amount, unit, want) {
  const res = await deadline(start, amount, unit);
  expectStatus(res, 200, `${start} + ${amount} ${unit}`);
  assert.equal(res.body.deadline, want, `${start} + ${amount} ${unit}`);
  assert.equal(res.body.start, start);
  assert.equal(res.body.amount, amount);
  assert.equal(res.body.unit, unit);
  return res.body;
}

async function calendarDay(date) {
  const res = await get('admin', `/api/v1/calendar?from=${date}&to=${date}`);
  expectStatus(res, 200);
  assert.equal(res.body.items.length, 1);
  assert.equal(res.body.items[0].date, date);
  return res.body.items[0];
}

const WEEKDAY_HOURS = '08:30-12:00,14:00-17:30';
const SUMMER_HOURS = '08:30-12:00,14:30-18:00';

// ---- the suite ----

describe('lists, categories, routing and the work calendar on the 衢州 demo', () => {
  let dir;
  let today; // the server's date (Asia/Shanghai)

  before(async () => {
    dir = tempDir('tk-lists-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    assert.doesNotMatch(demo.stderr, SANITIZER_REPORT, 'the demo build is clean');
    srv = await new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] }).start();
    const users = {
      admin: 'Demo-Admin-2026', command: 'Demo-Command-2026', grid: 'Demo-Grid-2026',
      resident: 'Demo-Resident-2026',
    };
    for (const [username, password] of Object.entries(users)) {
      const res = await call(null, 'POST', '/api/v1/session', { json: { username, password, bearer: true } });
      expectStatus(res, 201, `login ${username}`);
      tokens[username] = res.body.token;
    }
    const summary = await get('admin', '/api/v1/lists/summary');
    expectStatus(summary, 200);
    today = summary.body.as_of;
    assert.match(today, /^\d{4}-\d{2}-\d{2}$/);
  });

  after(async () => {
    agent.destroy();
    if (!srv) {
      if (dir) rmSync(dir, { recursive: true, force: true });
      return;
    }
    const st = await srv.stop();
    srv.cleanup();
    assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
    assert.doesNotMatch(srv.log, SANITIZER_REPORT, 'no sanitizer report in the server log');
  });

  describe('deadlines on the work calendar', () => {
    test('Friday 17:00 + 4 work hours is Monday 12:00 with the default hours', async () => {
      const day = await calendarDay('2026-03-06');
      assert.equal(day.weekday, 5);
      assert.equal(day.hours, WEEKDAY_HOURS);
      const d = await expectDeadline('2026-03-06T17:00:00+08:00', 4, 'work_hours', '2026-03-09T12:00:00+08:00');
      assert.equal(d.work_minutes, 240);
    });

    test('a summer schedule (05-01..09-30, 14:30-18:00) moves it to Monday 11:30; restored after', async () => {
      const before = await get('admin', '/api/v1/calendar/schedules');
      expectStatus(before, 200);
      assert.equal(before.body.items.length, 1, 'the demo has one all-year schedule');
      const year = before.body.items[0];
      assert.deepEqual([year.from, year.to, year.hours.mon, year.hours.fri, year.hours.sat, year.hours.sun],
        ['01-01', '12-31', WEEKDAY_HOURS, WEEKDAY_HOURS, '', '']);
      // The default hours in June first: Friday 17:00-17:30 then 3.5 h on Monday.
      await expectDeadline('2026-06-05T17:00:00+08:00', 4, 'work_hours', '2026-06-08T12:00:00+08:00');
      const summer = {
        from: '05-01', to: '09-30', note: '夏季作息',
        hours: { mon: SUMMER_HOURS, tue: SUMMER_HOURS, wed: SUMMER_HOURS, thu: SUMMER_HOURS, fri: SUMMER_HOURS },
      };
      try {
        const res = await put('admin', '/api/v1/calendar/schedules', { items: [year, summer] });
        expectStatus(res, 200, 'PUT schedules');
        assert.equal(res.body.items.length, 2);
        assert.equal(res.body.items[1].hours.fri, SUMMER_HOURS);
        assert.equal(res.body.items[1].hours.sat, '');
        assert.equal((await calendarDay('2026-06-05')).hours, SUMMER_HOURS);
        assert.equal((await calendarDay('2026-04-30')).hours, WEEKDAY_HOURS, 'outside the summer span');
        // Friday 17:00-18:00 is one hour, then Monday 08:30 + 3 h.
        await expectDeadline('2026-06-05T17:00:00+08:00', 4, 'work_hours', '2026-06-08T11:30:00+08:00');
        // The same Friday-to-Monday in March keeps the default hours.
        await expectDeadline('2026-03-06T17:00:00+08:00', 4, 'work_hours', '2026-03-09T12:00:00+08:00');
      } finally {
        const res = await put('admin', '/api/v1/calendar/schedules', { items: before.body.items });
        expectStatus(res, 200, 'restore schedules');
      }
      const after = await get('admin', '/api/v1/calendar/schedules');
      assert.deepEqual(after.body, before.body);
      await expectDeadline('2026-06-05T17:00:00+08:00', 4, 'work_hours', '2026-06-08T12:00:00+08:00');
    });

    test('unless Monday is off: a holiday on 2026-03-09 moves the deadline to Tuesday', async () => {
      const set = await put('admin', '/api/v1/calendar/days/2026-03-09', { kind: 'holiday', name: '测试假日' });
      expectStatus(set, 200);
      assert.deepEqual([set.body.kind, set.body.name, set.body.is_workday, set.body.work_minutes],
        ['holiday', '测试假日', false, 0]);
      try {
        await expectDeadline('2026-03-06T17:00:00+08:00', 4, 'work_hours', '2026-03-10T12:00:00+08:00');
      } finally {
        const del = await call('admin', 'DELETE', '/api/v1/calendar/days/2026-03-09');
        expectStatus(del, 200);
        assert.equal(del.body.kind, 'normal');
        assert.equal(del.body.is_workday, true);
      }
      await expectDeadline('2026-03-06T17:00:00+08:00', 4, 'work_hours', '2026-03-09T12:00:00+08:00');
    });

    test('2 work days from Friday 2026-02-13 16:00 skip 春节 but count the 调休 Saturday', async () => {
      // Preconditions from the statutory calendar file.
      const rows = new Map(readCsv('cn-work-calendar-2025-2026.csv').map((r) => [r.date, r]));
      assert.equal(rows.get('2026-02-13'), undefined, '02-13 is an ordinary Friday');
      assert.equal(rows.get('2026-02-14').kind, 'workday', '02-14 is a make-up working Saturday');
      assert.match(rows.get('2026-02-14').name, /调休/);
      for (let d = '2026-02-15'; d <= '2026-02-23'; d = addDays(d, 1)) assert.equal(rows.get(d)?.kind, 'holiday', d);
      assert.equal(rows.get('2026-02-24'), undefined, '02-24 is an ordinary Tuesday');
      assert.equal(new Date('2026-02-24T12:00:00+08:00').getUTCDay(), 2);
      // The start day does not count: 02-14 is day 1, 02-24 day 2, ending at 17:30.
      await expectDeadline('2026-02-13T16:00:00+08:00', 2, 'work_days', '2026-02-24T17:30:00+08:00');
      await expectDeadline('2026-02-13T16:00:00+08:00', 1, 'work_days', '2026-02-14T17:30:00+08:00');
    });

    test('work hours run across the lunch break', async () => {
      await expectDeadline('2026-03-03T11:00:00+08:00', 2, 'work_hours', '2026-03-03T15:00:00+08:00');
      await expectDeadline('2026-03-03T11:30:00+08:00', 1, 'work_hours', '2026-03-03T14:30:00+08:00');
      // Minutes that run out exactly at noon end at 12:00, not 14:00.
      await expectDeadline('2026-03-03T11:30:00+08:00', 30, 'work_minutes', '2026-03-03T12:00:00+08:00');
    });

    test('natural days ignore the calendar', async () => {
      await expectDeadline('2026-02-13T16:00:00+08:00', 3, 'natural_days', '2026-02-16T16:00:00+08:00');
    });

    test('bad inputs are 422 with the field', async () => {
      expectProblem(await deadline('2026-03-03T11:00:00+08:00', 2, 'hours'), 422, 'invalid_field', 'unit');
      expectProblem(await deadline('garbage', 2, 'work_hours'), 422, 'invalid_field', 'start');
      expectProblem(await deadline('2026-03-03T11:00:00+08:00', -1, 'work_hours'), 422, 'invalid_field', 'amount');
      expectProblem(await get('admin', '/api/v1/calendar/deadline?start=2026-03-03T11:00:00%2B08:00&amount=2'),
        422, 'invalid_field', 'unit');
    });

    test('GET /calendar shows the 调休 Saturday as a workday and 春节 as holidays', async () => {
      const res = await get('resident', '/api/v1/calendar?from=2026-02-13&to=2026-02-24');
      expectStatus(res, 200);
      const days = new Map(res.body.items.map((d) => [d.date, d]));
      assert.equal(res.body.items.length, 12);
      assert.deepEqual(res.body.years, [2025, 2026], 'the years whose holiday notices are on record');
      const sat = days.get('2026-02-14');
      assert.equal(sat.weekday, 6);
      assert.equal(sat.kind, 'workday');
      assert.match(sat.name, /调休/);
      assert.equal(sat.is_workday, true);
      assert.equal(sat.hours, WEEKDAY_HOURS);
      const mon = days.get('2026-02-16');
      assert.deepEqual([mon.weekday, mon.kind, mon.name, mon.is_workday, mon.hours], [1, 'holiday', '春节', false, '']);
      for (let d = '2026-02-15'; d <= '2026-02-23'; d = addDays(d, 1)) assert.equal(days.get(d).is_workday, false, d);
      assert.deepEqual([days.get('2026-02-24').kind, days.get('2026-02-24').is_workday], ['normal', true]);
    });
  });

  describe('routing', () => {
    test('a top class is 422, an unknown code 404, a point outside 衢州 404 outside_territory', async () => {
      const grids = await get('admin', '/api/v1/units?kind=grid&limit=1');
      const grid = grids.body.items[0].id;
      expectProblem(await get('grid', `/api/v1/route?category=01&unit_id=${grid}`), 422, 'invalid_field', 'category');
      expectProblem(await get('grid', `/api/v1/route?category=9999&unit_id=${grid}`), 404, 'category_not_found');
      expectProblem(await get('grid', '/api/v1/route?category=0101&lng=116.40&lat=39.90'), 404, 'outside_territory');
      expectProblem(await get('resident', `/api/v1/route?category=0101&unit_id=${grid}`), 403);
    });

    test('every leaf category in every township goes to a body of that place', { timeout: 600000 }, async (ctx) => {
      // The leaves that are 清单外 by design, from the data file.
      const rows = readCsv('categories.csv');
      const parents = new Set(rows.map((r) => r.parent_code).filter(Boolean));
      const fileLeaves = rows.filter((r) => !parents.has(r.code));
      assert.equal(fileLeaves.length, 146);
      const outByDesign = fileLeaves.filter((r) => !r.list_item_code).map((r) => r.code).sort();
      assert.deepEqual(outByDesign, ['0699', '1099', '1199', '1899']);

      const flat = await get('grid', '/api/v1/categories?flat=1');
      expectStatus(flat, 200);
      const leaves = flat.body.items;
      assert.equal(leaves.length, 146);
      assert.ok(leaves.every((c) => c.leaf));
      assert.deepEqual(leaves.filter((c) => c.list_item_code === null).map((c) => c.code).sort(), outByDesign);
      for (const c of leaves) {
        const fromFile = fileLeaves.find((r) => r.code === c.code);
        assert.ok(fromFile, c.code);
        assert.equal(c.list_item_code, fromFile.list_item_code || null, c.code);
      }

      const items = new Map((await listAll('admin', '/api/v1/list-items')).map((it) => [it.code, it]));
      assert.equal(items.size, 174);

      // Townships with their bodies; the counties' departments; the teams.
      const townships = await listAll('admin', '/api/v1/units?kind=township');
      assert.equal(townships.length, 100);
      const counties = await listAll('admin', '/api/v1/units?kind=county');
      assert.equal(counties.length, 6);
      const departments = new Map(); // county id -> department units
      for (const c of counties) {
        const kids = await listAll('admin', `/api/v1/units/${c.id}/children`);
        departments.set(c.id, kids.filter((u) => u.kind === 'department'));
        assert.equal(departments.get(c.id).length, 12, `departments of ${c.name}`);
      }
      const teams = (await get('admin', '/api/v1/teams')).body.items;
      assert.equal(teams.length, 35);
      const townshipById = new Map(townships.map((t) => [t.id, t]));

      let chosen = townships;
      if (SANITIZER) chosen = townships.filter((_, i) => i % Math.ceil(townships.length / SAMPLE_TOWNSHIPS) === 0);
      const places = [];
      await pool(chosen, 16, async (t) => {
        const kids = await listAll('admin', `/api/v1/units/${t.id}/children`);
        const modules = kids.filter((u) => u.kind === 'module');
        assert.equal(modules.length, 4, `modules of ${t.name}`);
        const ownTeam = kids.find((u) => u.kind === 'team') || null;
        assert.equal(Boolean(ownTeam), t.is_central, `${t.name}: a team iff central`);
        const covering = teams.filter((x) => x.covers.some((c) => c.id === t.id)).map((x) => x.team.id);
        const village = kids.find((u) => u.kind === 'village');
        assert.ok(village, `${t.name} has a village`);
        const grids = await get('admin', `/api/v1/units?kind=grid&parent_id=${village.id}&limit=1`);
        expectStatus(grids, 200);
        const grid = grids.body.items[0];
        assert.ok(grid, `${village.name} has a grid`);
        places.push({ township: t, grid, modules, ownTeam, covering });
      });
      // The grid lies in its township (checked once per township through the ancestors).
      await pool(places, 16, async (p) => {
        const anc = await get('admin', `/api/v1/units/${p.grid.id}/ancestors`);
        expectStatus(anc, 200);
        assert.deepEqual(anc.body.items.map((u) => u.kind), ['city', 'county', 'township', 'village']);
        assert.equal(anc.body.items[2].id, p.township.id);
      });
      // Delegated items go to a team somewhere, and to a pingan module somewhere else.
      assert.ok(places.some((p) => p.ownTeam), 'a central township is routed');
      assert.ok(places.some((p) => !p.ownTeam && p.covering.length), 'a covered township is routed');

      const calls = [];
      for (const p of places) for (const c of leaves) calls.push({ p, c });
      const seen = { out: 0, module: 0, team: 0, pingan: 0, department: 0 };
      const assignees = new Map(); // subject unit id -> the suggested person id (or null)
      const started = Date.now();
      await pool(calls, 32, async ({ p, c }) => {
        const what = `${c.code} ${c.name} in ${p.township.name}`;
        const res = await get('grid', `/api/v1/route?category=${c.code}&unit_id=${p.grid.id}`);
        expectStatus(res, 200, what);
        const r = res.body;
        assert.equal(r.township_id, p.township.id, what);
        assert.equal(r.county_id, p.township.parent_id, what);
        if (r.out_of_list) {
          assert.ok(outByDesign.includes(c.code), `${what} is out of the lists`);
          assert.equal(r.subject, undefined);
          seen.out++;
          return;
        }
        assert.ok(c.list_item_code, what);
        assert.equal(r.list_item.code, c.list_item_code, what);
        const item = items.get(c.list_item_code);
        assert.ok(item, `${what}: item ${c.list_item_code}`);
        assert.equal(r.list_item.delegated, item.delegated, what);
        assert.ok(r.subject && Number.isInteger(r.subject.unit_id), `${what}: a subject ${JSON.stringify(r)}`);
        const s = r.subject;
        const person = r.assignee ? r.assignee.person_id : null;
        if (assignees.has(s.unit_id)) assert.equal(person, assignees.get(s.unit_id), `${what}: the same person for ${s.name}`);
        assignees.set(s.unit_id, person);
        if (item.subject.kind === 'module') {
          assert.equal(s.kind, 'module', what);
          const m = p.modules.find((u) => u.id === s.unit_id);
          assert.ok(m, `${what}: ${s.name} is a module of ${p.township.name}`);
          assert.ok(m.name.includes(item.subject.name) && s.name === m.name, `${what}: ${s.name} is ${item.subject.name}`);
          seen.module++;
        } else if (item.delegated) {
          assert.equal(item.enforcement, true, what);
          if (p.ownTeam) {
            assert.deepEqual([s.kind, s.unit_id], ['team', p.ownTeam.id], `${what}: the township's own team`);
            seen.team++;
          } else if (p.covering.length) {
            assert.equal(s.kind, 'team', what);
            assert.ok(p.covering.includes(s.unit_id), `${what}: ${s.name} covers ${p.township.name}`);
            const home = teams.find((x) => x.team.id === s.unit_id).township;
            assert.equal(townshipById.get(home.id).parent_id, p.township.parent_id, `${what}: a team of the same county`);
            seen.team++;
          } else {
            const pingan = p.modules.find((u) => u.name.includes('平安法治'));
            assert.deepEqual([s.kind, s.unit_id], ['module', pingan.id], `${what}: the pingan module`);
            seen.pingan++;
          }
        } else {
          assert.equal(item.subject.kind, 'department', what);
          assert.equal(s.kind, 'department', what);
          const d = departments.get(p.township.parent_id).find((u) => u.id === s.unit_id);
          assert.ok(d, `${what}: ${s.name} is a department of the township's county`);
          assert.ok(d.name.includes(item.subject.name), `${what}: ${d.name} is a ${item.subject.name}`);
          seen.department++;
        }
      });
      assert.ok([...assignees.values()].some((x) => x !== null), 'some bodies have a suggested person');
      const n = places.length;
      assert.equal(seen.out, 4 * n);
      assert.equal(seen.out + seen.module + seen.team + seen.pingan + seen.department, 146 * n);
      assert.ok(seen.module > 0 && seen.team > 0 && seen.department > 0, JSON.stringify(seen));
      // The pace, in the test output.
      ctx.diagnostic(`routing: ${calls.length} calls over ${n} townships in ${Date.now() - started} ms ${JSON.stringify(seen)}`);
    });
  });

  describe('the suggested person of a body', () => {
    // Writes people into one module of one township: the rule is someone with an
    // account first, then the holder of the post with the fewest holders, then
    // the earliest. The sweep above runs before and is not affected.
    test('an account holder first; without one, the post with the fewest holders', async () => {
      // 航埠镇's 平安法治 module: the demo gives one of its cadres an account.
      const t = (await listAll('admin', '/api/v1/units?kind=township')).find((u) => u.name === '航埠镇');
      const village = (await listAll('admin', `/api/v1/units/${t.id}/children`)).find((u) => u.kind === 'village');
      const grid = (await get('admin', `/api/v1/units?kind=grid&parent_id=${village.id}&limit=1`)).body.items[0];
      let category = null;
      const route = async () => {
        const res = await get('admin', `/api/v1/route?category=${category}&unit_id=${grid.id}`);
        expectStatus(res, 200);
        return res.body;
      };
      let first = null;
      for (const c of (await get('admin', '/api/v1/categories?flat=1')).body.items) {
        category = c.code;
        first = await route();
        if (first.subject && first.subject.name === '航埠镇平安法治模块') break;
      }
      assert.equal(first.subject.name, '航埠镇平安法治模块', 'a category for the module');
      const unit = first.subject.unit_id;
      const staff = (await listAll('admin', `/api/v1/people?unit_id=${unit}`)).filter((x) => x.active);
      const holders = staff.filter((x) => x.user_id);
      assert.ok(holders.length > 0, `${first.subject.name} has someone with an account`);
      assert.ok(holders.some((x) => x.id === first.assignee.person_id), 'the suggestion has an account');
      assert.ok(first.assignee.user_id, 'and the reply names it');

      // Two posts and two people without accounts: still the account holder.
      const mkPost = async (name, headcount) => {
        const res = await post('admin', `/api/v1/units/${unit}/posts`, { name, headcount });
        expectStatus(res, 201, name);
        return res.body.id;
      };
      const mkPerson = async (name, postId) => {
        const res = await post('admin', '/api/v1/people', { name, kind: 'township_cadre', unit_id: unit, post_id: postId });
        expectStatus(res, 201, name);
        assert.equal(res.headers.get('location'), `/api/v1/people/${res.body.id}`);
        return res.body.id;
      };
      const many = await mkPost('测试岗位甲', 5);
      const few = await mkPost('测试岗位乙', 1);
      const inMany = await mkPerson('测试甲', many);
      const inFew = await mkPerson('测试乙', few);
      assert.equal((await route()).assignee.person_id, first.assignee.person_id);

      // Without the account holders: the holder of the post with fewer holders,
      // though created later; the reply has no account to name.
      for (const x of staff) expectStatus(await post('admin', `/api/v1/people/${x.id}/disable`), 200, x.name);
      const second = await route();
      assert.equal(second.assignee.person_id, inFew, JSON.stringify(second.assignee));
      assert.equal(second.assignee.user_id, null);
      // Equal posts: the earlier person.
      const same = await mkPerson('测试丙', many);
      expectStatus(await post('admin', `/api/v1/people/${inFew}/disable`), 200);
      assert.equal((await route()).assignee.person_id, inMany, `not ${same}, created later`);
    });
  });

  describe('versions of list items', () => {
    // Dated ahead of the server's today, so that "today" and routing keep the demo lists.
    let D; // a change from D
    let R; // a retirement from R
    const CODE = 'QZ-SD-003';
    before(() => {
      D = addDays(today, 60);
      R = addDays(today, 90);
    });

    // The JSON body of a PUT that keeps everything of `it` but what `change` says.
    function bodyOf(it, change) {
      return {
        list: it.list, name: it.name, subject: it.subject.key, cooperating: it.cooperating,
        legal_basis: it.legal_basis,
        time_limit: it.time_limit ? { amount: it.time_limit.amount, unit: it.time_limit.unit } : null,
        process: it.process, delegated: it.delegated, enforcement: it.enforcement, ...change,
      };
    }

    test('a change from day D: the old name on D-1, the new on D, two versions in the history', async () => {
      const asOfBefore = await listAll('admin', `/api/v1/list-items?as_of=${addDays(D, -1)}`);
      assert.equal(asOfBefore.length, 174);
      const old = await get('admin', `/api/v1/list-items/${CODE}?as_of=${addDays(D, -1)}`);
      expectStatus(old, 200);
      const res = await put('admin', `/api/v1/list-items/${CODE}`,
        bodyOf(old.body, { name: '矛盾纠纷调解（新版）', effective_on: D, note: '测试改版' }));
      expectStatus(res, 200, 'PUT a change');
      assert.equal(res.body.name, '矛盾纠纷调解（新版）');
      assert.equal(res.body.valid_from, D);
      assert.equal(res.body.valid_to, null);
      assert.equal(res.body.changed_by, 'admin');

      const before = await get('admin', `/api/v1/list-items/${CODE}?as_of=${addDays(D, -1)}`);
      expectStatus(before, 200);
      assert.equal(before.body.name, '矛盾纠纷调解');
      assert.equal(before.body.valid_to, D);
      const onD = await get('admin', `/api/v1/list-items/${CODE}?as_of=${D}`);
      expectStatus(onD, 200);
      assert.equal(onD.body.name, '矛盾纠纷调解（新版）');
      assert.equal((await get('admin', `/api/v1/list-items/${CODE}`)).body.name, '矛盾纠纷调解', 'today: the old name');

      const hist = await get('admin', `/api/v1/list-items/${CODE}/history`);
      expectStatus(hist, 200);
      assert.equal(hist.body.items.length, 2);
      const [v1, v2] = hist.body.items;
      assert.deepEqual([v1.name, v1.valid_to, v2.name, v2.valid_from, v2.valid_to],
        ['矛盾纠纷调解', D, '矛盾纠纷调解（新版）', D, null]);
      assert.equal(v1.valid_from, old.body.valid_from);

      // The list as of D-1 is what it was; only the closing date of the changed version is new.
      const asOfAfter = await listAll('admin', `/api/v1/list-items?as_of=${addDays(D, -1)}`);
      const strip = (list) => list.map(({ valid_to, ...rest }) => rest);
      assert.deepEqual(strip(asOfAfter), strip(asOfBefore));
      for (const it of asOfAfter) assert.equal(it.valid_to, it.code === CODE ? D : asOfBefore.find((x) => x.code === it.code).valid_to, it.code);
      // And as of D, only the name of that one item differs.
      const asOfD = await listAll('admin', `/api/v1/list-items?as_of=${D}`);
      assert.equal(asOfD.length, 174);
      assert.deepEqual(asOfD.filter((it) => it.name !== asOfBefore.find((x) => x.code === it.code).name).map((it) => it.code), [CODE]);
    });

    test('a change dated before the current version starts is 422 effective_on', async () => {
      const it = (await get('admin', `/api/v1/list-items/${CODE}?as_of=${D}`)).body;
      const res = await put('admin', `/api/v1/list-items/${CODE}`, bodyOf(it, { name: '更早的改版', effective_on: addDays(D, -5) }));
      expectProblem(res, 422, 'invalid_field', 'effective_on');
      const hist = await get('admin', `/api/v1/list-items/${CODE}/history`);
      assert.equal(hist.body.items.length, 2, 'nothing changed');
      expectProblem(await put('admin', `/api/v1/list-items/${CODE}`, bodyOf(it, { effective_on: '2027-02-30' })), 422, 'invalid_field', 'effective_on');
    });

    test('a retired item is gone from date R on; the summary counts follow', async () => {
      // A delegated enforcement item, so that all three counts move.
      const delegated = await listAll('admin', `/api/v1/list-items?delegated=1&as_of=${R}`);
      assert.equal(delegated.length, 21);
      const victim = delegated[0];
      assert.equal(victim.list, 'power');
      const sumBefore = (await get('admin', `/api/v1/lists/summary?as_of=${R}`)).body;
      const sumEve = (await get('admin', `/api/v1/lists/summary?as_of=${addDays(R, -1)}`)).body;
      const res = await post('admin', `/api/v1/list-items/${victim.code}/retire`, { effective_on: R, note: '测试废止' });
      expectStatus(res, 200);
      assert.deepEqual(res.body, { code: victim.code, retired_from: R, retired: true });

      expectProblem(await get('admin', `/api/v1/list-items/${victim.code}?as_of=${R}`), 404, 'list_item_not_found');
      expectProblem(await get('admin', `/api/v1/list-items/${victim.code}?as_of=${addDays(R, 30)}`), 404, 'list_item_not_found');
      const eve = await get('admin', `/api/v1/list-items/${victim.code}?as_of=${addDays(R, -1)}`);
      expectStatus(eve, 200);
      assert.equal(eve.body.valid_to, R);
      const hist = (await get('admin', `/api/v1/list-items/${victim.code}/history`)).body.items;
      assert.deepEqual(hist.map((v) => [v.retired, v.valid_from]), [[false, victim.valid_from], [true, R]]);

      const sumAfter = (await get('admin', `/api/v1/lists/summary?as_of=${R}`)).body;
      const power = (s) => s.lists.find((l) => l.list === 'power');
      assert.equal(power(sumAfter).items, power(sumBefore).items - 1);
      assert.equal(power(sumAfter).enforcement, power(sumBefore).enforcement - 1);
      assert.equal(power(sumAfter).delegated, power(sumBefore).delegated - 1);
      assert.equal(sumAfter.enforcement_items, 49);
      assert.equal(sumAfter.delegated_items, 20);
      assert.ok(Math.abs(sumAfter.delegated_share - 20 / 49) < 1e-9, String(sumAfter.delegated_share));
      assert.deepEqual(sumAfter.lists.filter((l) => l.list !== 'power'), sumBefore.lists.filter((l) => l.list !== 'power'));
      assert.deepEqual((await get('admin', `/api/v1/lists/summary?as_of=${addDays(R, -1)}`)).body, sumEve, 'the day before: unchanged');
      assert.equal(sumEve.delegated_share, 0.42);
      // Retiring again from R: not in force any more.
      expectProblem(await post('admin', `/api/v1/list-items/${victim.code}/retire`, { effective_on: R, note: '再次废止' }), 404, 'list_item_not_found');
      expectProblem(await post('admin', `/api/v1/list-items/${victim.code}/retire`, { effective_on: 'soon', note: 'x' }), 422, 'invalid_field', 'effective_on');
    });

    test('a new item is 201; the same code again 409; an unknown subject 422; command may not write', async () => {
      const item = {
        code: 'QZ-SD-T01', list: 'territorial', name: '测试新增事项', subject: 'gonggong',
        cooperating: ['weijian'], legal_basis: '测试依据', time_limit: { amount: 5, unit: 'work_days' },
        process: ['受理', '办结'], delegated: false, enforcement: false, effective_on: D,
      };
      const created = await post('admin', '/api/v1/list-items', item);
      expectStatus(created, 201, 'POST a new item');
      assert.equal(created.body.code, 'QZ-SD-T01');
      assert.deepEqual(created.body.subject, { key: 'gonggong', name: '公共服务', kind: 'module' });
      assert.deepEqual(created.body.time_limit, { amount: 5, unit: 'work_days', label: '工作日' });
      assert.deepEqual(created.body.process, ['受理', '办结']);
      assert.equal(created.body.valid_from, D);
      expectStatus(await get('admin', `/api/v1/list-items/QZ-SD-T01?as_of=${D}`), 200);
      expectProblem(await get('admin', `/api/v1/list-items/QZ-SD-T01?as_of=${addDays(D, -1)}`), 404, 'list_item_not_found');

      expectProblem(await post('admin', '/api/v1/list-items', item), 409, 'list_item_exists');
      // A code is part of a URL and of a CSV row: letters, digits and . _ - only.
      for (const code of ['QZ SD T04', 'QZ/SD/T04', '清单T04'])
        expectProblem(await post('admin', '/api/v1/list-items', { ...item, code }), 422, 'invalid_field', 'code');
      expectProblem(await post('admin', '/api/v1/list-items', { ...item, code: 'QZ-SD-T02', subject: 'nosuch' }),
        422, 'invalid_field', 'subject');
      expectProblem(await get('admin', '/api/v1/list-items/QZ-SD-T02/history'), 404, 'list_item_not_found');
      expectProblem(await post('admin', '/api/v1/list-items', { ...item, code: 'QZ-SD-T03', delegated: true }),
        422, 'invalid_field', 'delegated');
      expectProblem(await put('admin', '/api/v1/list-items/QZ-NO-SUCH', { list: 'power', name: 'x', subject: 'zhifa' }),
        404, 'list_item_not_found');

      const it = (await get('admin', `/api/v1/list-items/${CODE}`)).body;
      expectProblem(await put('command', `/api/v1/list-items/${CODE}`, bodyOf(it, { name: '越权修改', effective_on: addDays(today, 200) })), 403);
      expectProblem(await post('command', '/api/v1/list-items', { ...item, code: 'QZ-SD-T04' }), 403);
      expectProblem(await post('command', `/api/v1/list-items/${CODE}/retire`, { effective_on: addDays(today, 200), note: 'x' }), 403);
      assert.equal((await get('admin', `/api/v1/list-items/${CODE}/history`)).body.items.length, 2);
      // Reading is allowed to the command room.
      expectStatus(await get('command', `/api/v1/list-items/${CODE}`), 200);
    });
  });

  describe('imports are all or nothing', () => {
    const HEADER = 'code,list,name,subject_kind,subject,cooperating,legal_basis,time_limit,process,delegated,enforcement';
    const GOOD = 'QZ-SD-I01,territorial,测试导入事项,module,gonggong,weijian,测试依据,5 work_days,受理|办结,0,0';
    const BAD = [
      GOOD, // line 2
      'QZ-SD-I02,territorial,未知主体,department,nosuch,,测试依据,5 work_days,受理,0,0', // 3
      'QZ-SD-I03,territorial,时限格式错误,module,pingan,,测试依据,five days,受理,0,0', // 4
      'QZ-QZ-I04,power,赋权但非执法,department,zhifa,,测试依据,90 natural_days,立案,1,0', // 5
      'QZ-SD-I05,territorial,列数不对,module,pingan,,测试依据', // 6
      'QZ-SD-I06,territorial,"引号没有闭合,module,pingan,,测试依据,5 work_days,受理,0,0', // 7
    ];
    const importList = (body, q = '') => call('admin', 'POST', `/api/v1/list-items/import${q}`, { body, type: 'text/csv' });

    test('a file with bad lines is refused with every line number and reason, and changes nothing', async () => {
      const summary = (await get('admin', '/api/v1/lists/summary')).body;
      const res = await importList(`${HEADER}\n${BAD.join('\n')}\n`);
      expectProblem(res, 422, 'import_rejected');
      const errors = res.body.errors;
      assert.ok(Array.isArray(errors), JSON.stringify(res.body));
      assert.deepEqual([...new Set(errors.map((e) => e.line))].sort((a, b) => a - b), [3, 4, 5, 6, 7], JSON.stringify(errors));
      for (const e of errors) {
        assert.ok(typeof e.reason === 'string' && /[\u4e00-\u9fff]/.test(e.reason), `a zh-CN reason: ${JSON.stringify(e)}`);
        assert.ok(e.reason.startsWith(`第 ${e.line} 行`), `the reason names its own line: ${JSON.stringify(e)}`);
      }
      const byLine = new Map(errors.map((e) => [e.line, e]));
      assert.match(byLine.get(3).reason, /nosuch/);
      assert.match(byLine.get(4).reason, /five days/);
      assert.match(byLine.get(5).reason, /执法/);
      assert.match(byLine.get(6).reason, /11 列/);
      assert.match(byLine.get(7).reason, /引号/);
      expectProblem(await get('admin', '/api/v1/list-items/QZ-SD-I01'), 404, 'list_item_not_found');
      assert.deepEqual((await get('admin', '/api/v1/lists/summary')).body, summary);
    });

    test('the good row alone: a dry run reports and writes nothing, then the import adds it', async () => {
      const summary = (await get('admin', '/api/v1/lists/summary')).body;
      const dry = await importList(`${HEADER}\n${GOOD}\n`, '?dry_run=1');
      expectStatus(dry, 200, 'dry run');
      assert.deepEqual(dry.body, { dry_run: true, effective_on: today, added: 1, changed: 0, errors: [] });
      expectProblem(await get('admin', '/api/v1/list-items/QZ-SD-I01'), 404, 'list_item_not_found');
      assert.deepEqual((await get('admin', '/api/v1/lists/summary')).body, summary);

      const res = await importList(`${HEADER}\n${GOOD}\n`);
      expectStatus(res, 200, 'import');
      assert.deepEqual(res.body, { dry_run: false, effective_on: today, added: 1, changed: 0, errors: [] });
      const it = await get('admin', '/api/v1/list-items/QZ-SD-I01');
      expectStatus(it, 200);
      assert.equal(it.body.name, '测试导入事项');
      assert.deepEqual(it.body.time_limit, { amount: 5, unit: 'work_days', label: '工作日' });
      assert.deepEqual(it.body.cooperating, ['weijian']);
      const after = (await get('admin', '/api/v1/lists/summary')).body;
      const territorial = (s) => s.lists.find((l) => l.list === 'territorial').items;
      assert.equal(territorial(after), territorial(summary) + 1);
      // The same file again changes nothing.
      const again = await importList(`${HEADER}\n${GOOD}\n`);
      expectStatus(again, 200);
      assert.deepEqual([again.body.added, again.body.changed], [0, 0]);
    });

    test('a calendar file with 3 bad lines is refused with all 3, and the good line is not marked', async () => {
      const body = 'date,kind,name\n2026-02-30,holiday,坏日期\n2026-07-01,holiday,好日子\n2026-07-02,vacation,未知类型\n2026-07-03,holiday\n';
      const res = await call('admin', 'POST', '/api/v1/calendar/import', { body, type: 'text/csv' });
      expectProblem(res, 422);
      assert.deepEqual(res.body.errors.map((e) => e.line), [2, 4, 5]);
      for (const e of res.body.errors) assert.ok(e.reason.startsWith(`第 ${e.line} 行`) && /[\u4e00-\u9fff]/.test(e.reason), e.reason);
      assert.match(res.body.errors[0].reason, /2026-02-30/);
      assert.match(res.body.errors[1].reason, /vacation/);
      const day = await calendarDay('2026-07-01');
      assert.deepEqual([day.kind, day.name, day.is_workday], ['normal', '', true]);
      // A dry run lists the same lines; a good file checked is counted and not written.
      const checked = await call('admin', 'POST', '/api/v1/calendar/import?dry_run=1', { body, type: 'text/csv' });
      expectProblem(checked, 422);
      assert.deepEqual(checked.body.errors.map((e) => e.line), [2, 4, 5]);
      const good = 'date,kind,name\n2026-07-01,holiday,好日子\n2026-07-04,workday,调休上班\n';
      const dry = await call('admin', 'POST', '/api/v1/calendar/import?dry_run=1', { body: good, type: 'text/csv' });
      expectStatus(dry, 200);
      assert.deepEqual(dry.body, { dry_run: true, imported: 2 });
      assert.equal((await calendarDay('2026-07-01')).kind, 'normal', 'a dry run writes nothing');
      expectProblem(await call('admin', 'POST', '/api/v1/calendar/import?dry_run=2', { body: good, type: 'text/csv' }), 422);
    });

    test('a wrong header is refused naming line 1', async () => {
      const list = await importList(`code,list,name\n${GOOD}\n`);
      expectProblem(list, 422, 'import_rejected');
      assert.deepEqual(list.body.errors.map((e) => e.line), [1]);
      assert.match(list.body.errors[0].reason, /表头/);
      const cal = await call('admin', 'POST', '/api/v1/calendar/import', { body: 'day,kind,name\n2026-07-01,holiday,好日子\n', type: 'text/csv' });
      expectProblem(cal, 422);
      assert.deepEqual(cal.body.errors.map((e) => e.line), [1]);
      assert.match(cal.body.errors[0].reason, /表头/);
      assert.equal((await calendarDay('2026-07-01')).kind, 'normal');
    });

    test('command may not import', async () => {
      expectProblem(await call('command', 'POST', '/api/v1/list-items/import', { body: `${HEADER}\n${GOOD}\n`, type: 'text/csv' }), 403);
    });
  });

  describe('export', () => {
    test('CSV: a header and one row per item in force', async () => {
      const inForce = await listAll('admin', '/api/v1/list-items');
      const res = await get('admin', '/api/v1/list-items/export?format=csv');
      expectStatus(res, 200);
      assert.match(res.headers.get('content-type'), /^text\/csv/);
      assert.match(res.headers.get('content-disposition'), new RegExp(`attachment; filename="export-${today}\\.csv"; filename\\*=UTF-8''`));
      assert.ok(res.headers.get('content-disposition').endsWith(`filename*=UTF-8''${encodeURIComponent(`三张清单-${today}.csv`)}`));
      const rows = csvRecords(res.text);
      assert.equal(rows[0].join(','), 'code,list,name,subject_kind,subject,cooperating,legal_basis,time_limit,process,delegated,enforcement');
      assert.equal(rows.length - 1, inForce.length);
      assert.ok(rows.slice(1).every((r) => r.length === 11));
      assert.deepEqual(rows.slice(1).map((r) => r[0]), inForce.map((it) => it.code));
      const imported = rows.find((r) => r[0] === 'QZ-SD-I01');
      assert.deepEqual(imported, 'QZ-SD-I01,territorial,测试导入事项,module,gonggong,weijian,测试依据,5 work_days,受理|办结,0,0'.split(','));
    });

    test('XLSX: a zip of the spreadsheet type; PDF is 422', async () => {
      const res = await get('admin', '/api/v1/list-items/export?format=xlsx');
      expectStatus(res, 200);
      assert.equal(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      assert.equal(res.buf.subarray(0, 2).toString('latin1'), 'PK');
      assert.ok(res.buf.length > 10000, `size ${res.buf.length}`);
      expectProblem(await get('admin', '/api/v1/list-items/export?format=pdf'), 422, 'invalid_field');
      expectProblem(await get('command', '/api/v1/list-items/export?format=csv'), 403);
    });
  });

  describe('categories', () => {
    test('the tree: 01 市容环境 with 0101 私搭乱建 and 0102 暴露垃圾 (4 work hours to handle)', async () => {
      const limits = readCsv('category-limits.csv');
      const handle = limits.find((r) => r.category_code === '0102' && r.urgency === 'normal' && r.stage === 'handle');
      assert.deepEqual([handle.amount, handle.unit], ['4', 'work_hours']);
      const res = await get('resident', '/api/v1/categories');
      expectStatus(res, 200);
      assert.equal(res.body.items.length, 21);
      const top = res.body.items.find((c) => c.code === '01');
      assert.ok(top, 'class 01');
      assert.deepEqual([top.name, top.parent_code, top.leaf], ['市容环境', null, false]);
      const kids = new Map(top.children.map((c) => [c.code, c]));
      assert.equal(kids.get('0101').name, '私搭乱建');
      const c0102 = kids.get('0102');
      assert.deepEqual([c0102.name, c0102.parent_code, c0102.leaf], ['暴露垃圾', '01', true]);
      assert.deepEqual(c0102.limits.normal.handle, { amount: 4, unit: 'work_hours', label: '工作小时' });
      assert.equal(res.body.items.reduce((n, c) => n + c.children.length, 0), 146);
      // Every limit row of the file is served.
      const flat = new Map((await get('admin', '/api/v1/categories?flat=1')).body.items.map((c) => [c.code, c]));
      assert.equal(limits.length, 1505);
      for (const r of limits) {
        const l = flat.get(r.category_code)?.limits?.[r.urgency]?.[r.stage];
        assert.deepEqual(l && [l.amount, l.unit], [Number(r.amount), r.unit], JSON.stringify(r));
      }
    });

    test('admin changes a limit; command may not; a missing parent is 422 parent_code', async () => {
      const res = await put('admin', '/api/v1/categories/0102/limits',
        { limits: [{ urgency: 'normal', stage: 'handle', amount: 3, unit: 'work_hours' }] });
      expectStatus(res, 200, 'PUT limits');
      assert.deepEqual(res.body.limits.normal.handle, { amount: 3, unit: 'work_hours', label: '工作小时' });
      assert.deepEqual(res.body.limits.normal.sign, { amount: 1, unit: 'work_hours', label: '工作小时' }, 'other limits kept');
      const back = await get('grid', '/api/v1/categories/0102');
      expectStatus(back, 200);
      assert.deepEqual(back.body.limits.normal.handle, { amount: 3, unit: 'work_hours', label: '工作小时' });

      expectProblem(await put('command', '/api/v1/categories/0102/limits',
        { limits: [{ urgency: 'normal', stage: 'handle', amount: 1, unit: 'work_hours' }] }), 403);
      expectProblem(await put('command', '/api/v1/categories/0102', { name: '暴露垃圾', parent_code: '01', active: true }), 403);
      expectProblem(await put('admin', '/api/v1/categories/0102/limits',
        { limits: [{ urgency: 'normal', stage: 'handle', amount: 3, unit: 'hours' }] }), 422, 'invalid_field', 'unit');
      assert.deepEqual((await get('admin', '/api/v1/categories/0102')).body.limits.normal.handle.amount, 3);

      expectProblem(await put('admin', '/api/v1/categories/9901', { name: '测试小类', parent_code: '99', active: true }),
        422, 'invalid_field', 'parent_code');
      expectProblem(await get('admin', '/api/v1/categories/9901'), 404);

      const restore = await put('admin', '/api/v1/categories/0102/limits',
        { limits: [{ urgency: 'normal', stage: 'handle', amount: 4, unit: 'work_hours' }] });
      expectStatus(restore, 200);
      assert.deepEqual(restore.body.limits.normal.handle, { amount: 4, unit: 'work_hours', label: '工作小时' });
    });
  });
});
