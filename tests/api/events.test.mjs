// The event loop on the 衢州 demo (DESIGN.md §3, §5): every path of the state
// machine with the roles that take it (立案、交办、签收、退回、延期、挂账、乡呼县应、核实、
// 核查、返工、结案、回访、不予立案、作废、自行处置); refusals of illegal transitions,
// wrong roles, non-assignees, other townships and missing reasons, each of which
// changes nothing and leaves a failed/denied audit record; time limits on the work
// calendar with a manual clock (yellow at 80%, red at 100% with 督办 and escalation,
// 春节 and its 调休 Saturday); durability of acknowledged transitions across kill -9;
// rollups equal to indicators recomputed from the raw events after a seeded random
// run; lists, inboxes, search, paging and masking; intake validation.
//
// The demo is built once into a temporary directory and copied for each server.
// Every server but the durability one runs with --manual-clock: time only moves
// through POST /api/v1/_clock, which answers after the alerts it made due are done.
// The demo carries ~3,000 simulated events of the 45 days before it was built
// (real time); the tests live in February and March 2026, so statistics periods
// hold only their own events, and lists are compared against lists.
// TK_EVENTS_SEED=n repeats the random run of section 5 with another seed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, BIN, demoDatabase } from './lib/server.mjs';
import { csvRecords } from './lib/csv.mjs';

const SANITIZER = /asan/i.test(process.env.TIAOKUAI_BIN || BIN);
// UBSan reports do not change the exit status: look for them in the output.
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;
const SERVER_TROUBLE = /level=error|timer (read|write) failed/;
const DATA = path.join(ROOT, 'data');

const PASSWORDS = {
  admin: 'Demo-Admin-2026', center: 'Demo-Center-2026', leader: 'Demo-Leader-2026',
  observer: 'Demo-Observer-2026', command: 'Demo-Command-2026', command2: 'Demo-Command-2026',
  module: 'Demo-Module-2026', dept: 'Demo-Dept-2026', grid: 'Demo-Grid-2026',
  resident: 'Demo-Resident-2026', hotline: 'Demo-Hotline-2026',
};

const GRID_CODE = '330802101001001'; // the `grid` user's grid in 航埠镇
const MODULE_CODE = '330802101M3'; // 航埠镇平安法治模块, the `module` user's
const DEPT_CODE = '330802D07'; // 柯城区综合行政执法局, the `dept` user's

// ---- the transition table, kept here on purpose (src/gov/transitions.c) ----

const STATES = ['reported', 'verifying', 'accepted', 'dispatched', 'county_called', 'handling',
  'suspended', 'feedback', 'closed', 'archived', 'rejected', 'void'];
const DESK = ['township_command', 'county_center'];
const OPEN = STATES.filter((s) => !['closed', 'archived', 'rejected', 'void'].includes(s));
const HELD = ['verifying', 'dispatched', 'county_called', 'handling', 'suspended'];
const WORKERS = ['grid_worker', 'township_command', 'township_module', 'county_dept', 'county_center'];
// The preconditions beside state and role (what the server checks before it
// offers an action): me = { role, unit, id } of the caller.
const assignee = (ev, me) => (ev.state === 'county_called'
  ? ev.called_unit && ev.called_unit.id === me.unit
  : (ev.assignee_user ? ev.assignee_user.id === me.id : !!ev.assignee_unit && ev.assignee_unit.id === me.unit));
const TABLE = [
  ['accept', ['reported'], DESK],
  ['verify-request', ['reported'], DESK],
  ['verify', ['verifying', 'feedback'], ['grid_worker', ...DESK], (ev) => ev.state !== 'feedback' || !ev.verified],
  ['dispatch', ['accepted'], DESK],
  ['reassign', ['dispatched'], DESK],
  ['sign', ['dispatched', 'county_called'], WORKERS, assignee],
  ['return', ['dispatched', 'county_called'], WORKERS, assignee],
  ['call-county', ['accepted', 'dispatched'], ['township_command']],
  ['request-extension', ['handling'], WORKERS, (ev, me) => assignee(ev, me) && !ev.pending],
  ['decide-extension', ['handling'], DESK, (ev) => !!ev.pending && ev.pending !== 'void'],
  ['suspend', ['handling'], DESK],
  ['resume', ['suspended'], DESK],
  ['feedback', ['handling'], WORKERS, assignee],
  ['close', ['feedback'], DESK, (ev) => ev.verified],
  // The reporter, or the system that reported for them (the 12345 hotline's 回访).
  ['revisit', ['closed'], [...DESK, 'resident', 'grid_worker', 'integration']],
  ['reject', ['reported', 'verifying'], DESK],
  ['void', ['reported', 'accepted'], DESK, (ev, me) => me.role === 'county_center' || !ev.pending],
  ['merge', ['reported', 'verifying', 'accepted'], DESK],
  ['self-close', ['reported'], ['grid_worker']],
  // 催办: the reporter of an open event, or the system that reported it (the server
  // checks it is theirs), once a day.
  ['urge', OPEN, ['resident', 'grid_worker', 'integration']],
  // 人工督办 (its own permission, event.supervise): open events; the desk presses only
  // those held by someone it handed them to.
  ['supervise', OPEN, [...DESK, 'leader'], (ev, me) => me.role !== 'township_command' || HELD.includes(ev.state)],
  // Anyone who may act at all (event.act) may comment, in any state; residents may not.
  ['comment', STATES, WORKERS],
];

// Without ev, by state and role alone; with the event and the caller, as the server offers.
function allowedFor(role, state, ev, me) {
  return TABLE.filter(([, states, roles, may]) => states.includes(state) && roles.includes(role) &&
      (!ev || !may || may(ev, { ...me, role })))
    .map(([action]) => action).sort();
}

// ---- HTTP ----

async function http(srv, method, urlPath, { json, token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(srv.base + urlPath, { method, headers: h, body: payload });
  const text = await res.text();
  const ct = res.headers.get('content-type') || '';
  let parsed = text;
  if (ct.includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 1500)}`);
}

// The name a browser saves a download under: filename* (RFC 6266), UTF-8.
function savedName(res) {
  const m = /filename\*=UTF-8''([^;]+)/.exec(res.headers.get('content-disposition') || '');
  return m ? decodeURIComponent(m[1]) : null;
}

function expectProblem(res, status, code, field) {
  const what = `${res.status} ${res.text.slice(0, 1500)}`;
  assert.equal(res.status, status, `expected ${status} ${code}, got ${what}`);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/, what);
  assert.equal(res.body.status, status, what);
  if (code) assert.equal(res.body.code, code, what);
  if (field !== undefined) assert.equal(res.body.field, field, what);
}

// One server and its callers. Sessions expire when the manual clock jumps over
// days: a 401 logs the caller in again and repeats the request once.
// Logins are slow on purpose (argon2id): each caller logs in once, on first use,
// and concurrent callers share one login.
class Tk {
  constructor(srv) {
    this.srv = srv;
    this.tokens = {};
    this.logins = {};
    this.me = {}; // who -> { id, unit }
  }

  login(who) {
    if (!this.logins[who]) {
      this.logins[who] = (async () => {
        const res = await http(this.srv, 'POST', '/api/v1/session',
          { json: { username: who, password: PASSWORDS[who], bearer: true } });
        expectStatus(res, 201, `login ${who}`);
        this.tokens[who] = res.body.token;
        this.me[who] = { id: res.body.user.id, unit: res.body.user.unit.id };
      })().finally(() => delete this.logins[who]);
    }
    return this.logins[who];
  }

  async call(who, method, urlPath, json) {
    if (who && !this.tokens[who]) await this.login(who);
    const token = who && this.tokens[who];
    let res = await http(this.srv, method, urlPath, { json, token });
    if (res.status === 401 && who) {
      if (this.tokens[who] === token) await this.login(who);
      res = await http(this.srv, method, urlPath, { json, token: this.tokens[who] });
    }
    return res;
  }

  get(who, p) { return this.call(who, 'GET', p); }
  post(who, p, json) { return this.call(who, 'POST', p, json); }

  async clock(change) {
    const res = await http(this.srv, 'POST', '/api/v1/_clock', { json: change });
    expectStatus(res, 200, `clock ${JSON.stringify(change)}`);
    return res.body.now;
  }

  async report(who, fields) {
    const res = await this.post(who, '/api/v1/events', fields);
    expectStatus(res, 201, `report by ${who}`);
    return res.body;
  }

  act(who, id, action, body = {}) {
    return this.post(who, `/api/v1/events/${id}/${action}`, body);
  }

  async ok(who, id, action, body = {}) {
    const res = await this.act(who, id, action, body);
    expectStatus(res, 200, `${who} ${action} #${id}`);
    return res.body;
  }

  async event(id, who = 'admin') {
    const res = await this.get(who, `/api/v1/events/${id}`);
    expectStatus(res, 200, `event ${id} for ${who}`);
    return res.body;
  }

  async notices(who, eventId) {
    const res = await this.get(who, '/api/v1/notifications?limit=500');
    expectStatus(res, 200, `notifications of ${who}`);
    return res.body.items.filter((n) => eventId === undefined || n.event_id === eventId);
  }

  async expectNotice(who, eventId, kind) {
    const list = await this.notices(who, eventId);
    const n = list.find((x) => x.kind === kind);
    assert.ok(n, `${who} has a ${kind} notification for #${eventId}: ${JSON.stringify(list.map((x) => x.kind))}`);
    return n;
  }

  async counts(unitId, from, to, source) {
    const res = await this.get('admin',
      `/api/v1/stats/summary?unit_id=${unitId}&from=${from}&to=${to}${source ? `&source=${source}` : ''}`);
    expectStatus(res, 200, `summary of ${unitId}`);
    return res.body.counts;
  }

  async deadline(start, amount, unit) {
    const res = await this.get('admin',
      `/api/v1/calendar/deadline?start=${encodeURIComponent(start)}&amount=${amount}&unit=${unit}`);
    expectStatus(res, 200, `deadline ${start} + ${amount} ${unit}`);
    return res.body.deadline;
  }

  async unitByCode(code, who = 'admin') {
    const res = await this.get(who, `/api/v1/units?q=${encodeURIComponent(code)}&limit=50`);
    expectStatus(res, 200);
    const u = res.body.items.find((x) => x.code === code);
    assert.ok(u, `unit ${code}: ${res.text.slice(0, 500)}`);
    return u;
  }

  async children(id) {
    const res = await this.get('admin', `/api/v1/units/${id}/children?limit=500`);
    expectStatus(res, 200);
    return res.body.items;
  }

  // The newest audit record (admin view).
  async lastAudit() {
    const res = await this.get('admin', '/api/v1/audit?limit=1');
    expectStatus(res, 200);
    return res.body.items[0];
  }
}

const actionsOf = (ev) => ev.actions.map((a) => a.action).sort();
const timelineActions = (ev) => ev.timeline.map((t) => t.action);
const delta = (after, before) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
const ZERO = {
  reported: 0, accepted: 0, dispatched: 0, dispatched_on_time: 0, closed: 0, due: 0, closed_on_time: 0,
  feedbacks: 0, reworks: 0, returns: 0, overdue: 0, handle_minutes: 0, rated: 0, satisfied: 0, rating_sum: 0,
  accepted_closed: 0,
};

// Runs fn over items, n at a time.
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

// Seeded PRNG (mulberry32), so a failing random run can be repeated.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

// ---- the demo, built once ----

let demoDir;
let demoDb;

async function startServer(tag, args = []) {
  const dir = tempDir(`tk-ev-${tag}-`);
  const db = path.join(dir, 'events.db');
  copyFileSync(demoDb, db);
  const srv = new Server({
    dir, db, args: ['--data', DATA, '--session-idle', '1440', '--session-max', '168', ...args],
  });
  try {
    return await srv.start();
  } catch (e) {
    if (srv.proc && srv.proc.exitCode === null) await srv.kill9();
    srv.cleanup();
    throw e;
  }
}

async function stopServer(srv) {
  if (!srv) return;
  const st = await srv.stop();
  const log = srv.log;
  srv.cleanup();
  assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${log.slice(-3000)}`);
  assert.doesNotMatch(log, SANITIZER_REPORT, 'no sanitizer report in the server log');
  assert.doesNotMatch(log, SERVER_TROUBLE, 'no 5xx, failed prepare or failed timer pass');
}

before(async () => {
  demoDir = tempDir('tk-ev-demo-');
  demoDb = path.join(demoDir, 'demo.db');
  const demo = await demoDatabase(demoDb);
  assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
  assert.doesNotMatch(demo.stderr, SANITIZER_REPORT, 'the demo build is clean');
});

after(async () => {
  if (demoDir) rmSync(demoDir, { recursive: true, force: true });
});

// Fixtures every server shares: unit ids and who is who (from the admin's user list).
async function fixtures(tk) {
  const f = {};
  const list = await tk.get('admin', '/api/v1/users?limit=500');
  expectStatus(list, 200, 'users');
  const users = Object.fromEntries(list.body.items.map((u) => [u.username, u]));
  for (const who of Object.keys(PASSWORDS)) assert.ok(users[who], `demo user ${who}`);
  f.gridUser = users.grid;
  f.moduleUser = users.module;
  f.deptUser = users.dept;
  f.residentUser = users.resident;
  f.grid = users.grid.unit.id;
  f.moduleUnit = users.module.unit.id;
  f.commandUnit = users.command.unit.id;
  f.command2Unit = users.command2.unit.id;
  f.dept = users.dept.unit.id;
  assert.equal(users.grid.unit.code, GRID_CODE);
  assert.equal(users.module.unit.code, MODULE_CODE);
  assert.equal(users.dept.unit.code, DEPT_CODE);
  const where = await tk.get('admin', `/api/v1/units/${f.grid}`);
  expectStatus(where, 200);
  f.point = { lng: where.body.lng, lat: where.body.lat };
  const loc = await tk.get('admin', `/api/v1/locate?lng=${f.point.lng}&lat=${f.point.lat}`);
  expectStatus(loc, 200);
  assert.equal(loc.body.grid.id, f.grid, 'the grid label point lies in the grid');
  f.village = loc.body.village.id;
  f.township = loc.body.township.id; // 航埠镇
  f.county = loc.body.county.id; // 柯城区
  f.city = loc.body.city.id;
  assert.equal(loc.body.township.name, '航埠镇');
  assert.equal(loc.body.county.name, '柯城区');
  const c2 = await tk.get('admin', `/api/v1/units/${f.command2Unit}`);
  f.township2 = c2.body.parent_id; // 杜泽镇
  const t2 = await tk.get('admin', `/api/v1/units/${f.township2}`);
  assert.equal(t2.body.name, '杜泽镇');
  f.county2 = t2.body.parent_id; // 衢江区
  return f;
}

// The first n grids under a township.
async function gridsOf(tk, township, n) {
  const grids = [];
  for (const v of await tk.children(township)) {
    if (v.kind !== 'village') continue;
    for (const g of await tk.children(v.id)) if (g.kind === 'grid') grids.push(g.id);
    if (grids.length >= n) break;
  }
  return grids.slice(0, n);
}

// ===========================================================================
// 0. The demo as a visitor finds it: the townships of the demo accounts are
// busy, so their queues hold open work in several stages.
// ===========================================================================

describe('0. the demo leaves work waiting for the demo accounts', () => {
  test('航埠镇 and 杜泽镇 have open events in several states, in the command queues; the grid worker\'s grid and the resident too', async () => {
    const srv = await startServer('demo');
    try {
      const tk = new Tk(srv);
      let queued = 0; // events to accept, dispatch or check, in both command rooms
      for (const who of ['command', 'command2']) {
        const box = await tk.get(who, '/api/v1/events?box=reported&limit=100');
        expectStatus(box, 200, `${who} queue`);
        queued += box.body.items.length;
        const all = await tk.get(who, '/api/v1/events?limit=500');
        expectStatus(all, 200);
        const open = all.body.items.filter((e) => !['closed', 'archived', 'rejected', 'void'].includes(e.state));
        const states = new Set(open.map((e) => e.state));
        assert.ok(open.length >= 10, `${who}: ${open.length} open events`);
        assert.ok(states.size >= 3, `${who}: open events in ${[...states].join(', ')}`);
        for (const state of ['reported', 'dispatched', 'handling'])
          assert.ok(states.has(state), `${who}: an open event ${state}, among ${[...states].join(', ')}`);
      }
      // Whenever the demo is built (work hours, nights, weekends), the simulation ends with
      // fresh work in each: two reports to accept and one dispatched, waiting to be signed.
      assert.ok(queued >= 4, `${queued} events waiting in the command rooms' queues`);
      // The grid worker's own grid is busier still: open events there to follow.
      const me = await tk.get('grid', '/api/v1/session');
      expectStatus(me, 200);
      const mine = await tk.get('grid', `/api/v1/events?unit_id=${me.body.user.unit.id}&limit=500`);
      expectStatus(mine, 200);
      const openHere = mine.body.items.filter((e) => !['closed', 'archived', 'rejected', 'void'].includes(e.state));
      assert.ok(mine.body.items.length >= 40, `${mine.body.items.length} events in the grid worker's grid`);
      assert.ok(openHere.length >= 3, `${openHere.length} open in the grid worker's grid`);
      // And, whatever the hour, a 12345 report waits for the grid worker's check on site.
      const tasks = await tk.get('grid', '/api/v1/events?box=mine&limit=100');
      expectStatus(tasks, 200);
      assert.ok(tasks.body.items.some((e) => e.state === 'verifying' && e.source === 'hotline'),
        `a report to verify among the grid worker's tasks: ${tasks.body.items.map((e) => e.state)}`);
      // The resident finds reports of their own, in their village, some finished.
      const theirs = await tk.get('resident', '/api/v1/events?limit=100');
      expectStatus(theirs, 200);
      const village = (await tk.get('resident', '/api/v1/session')).body.user.unit.id;
      assert.ok(theirs.body.items.length >= 3, `${theirs.body.items.length} reports of the resident`);
      for (const e of theirs.body.items) {
        assert.equal(e.source, 'resident');
        assert.equal(e.village.id, village, `#${e.id} in the resident's village`);
      }
      assert.ok(theirs.body.items.some((e) => ['closed', 'archived'].includes(e.state)), 'a finished report');
      // 结案率 is the share of a period's accepted events closed so far: in the last two
      // weeks some villages closed more than they accepted (work from before), yet no
      // rate passes 100%.
      const day = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 10);
      const [from, to] = [day(Date.now() - 13 * 86400000), day(Date.now())];
      const villages = await tk.get('command', `/api/v1/stats/children?kind=village&from=${from}&to=${to}`);
      expectStatus(villages, 200);
      const rated = villages.body.items.filter((v) => v.counts.accepted > 0);
      assert.ok(rated.length >= 5, `${rated.length} villages with accepted events`);
      assert.ok(villages.body.items.some((v) => v.counts.closed > v.counts.accepted), 'closures of earlier work');
      for (const v of villages.body.items) // 返工率: a feedback is sent back at most once
        assert.ok(v.counts.reworks <= v.counts.feedbacks, `${v.name}: ${JSON.stringify(v.counts)}`);
      for (const v of rated) {
        assert.ok(v.counts.accepted_closed <= v.counts.accepted, `${v.name}: ${JSON.stringify(v.counts)}`);
        assert.ok(Math.abs(v.rates.closure_rate - v.counts.accepted_closed / v.counts.accepted) < 1e-9, v.name);
      }
    } finally {
      await stopServer(srv);
    }
  });
});

// ===========================================================================
// 1, 2, 6, 7: paths, refusals, lists, intake — one manual-clock server.
// ===========================================================================

describe('the event loop with a manual clock', () => {
  let srv;
  let tk;
  let f;
  const START = '2026-03-02T09:00:00+08:00'; // a Monday
  const FROM = '2026-03-01';
  const TO = '2026-03-31';

  before(async () => {
    // Exports stop at 2,000 events here, fewer than the demo holds.
    srv = await startServer('loop', ['--manual-clock', START, '--export-rows', '2000']);
    tk = new Tk(srv);
    f = await fixtures(tk);
  });

  after(async () => {
    await stopServer(srv);
  });

  // A grid-patrol report in the grid worker's grid (no point: no duplicate links).
  const patrol = (description, category = '0102', extra = {}) =>
    tk.report('grid', { category, description, grid_id: f.grid, source: 'grid_patrol', ...extra });

  // report -> accept -> dispatch to the 平安法治 module (its cadre signs).
  async function dispatched(description, extra = {}) {
    const ev = await patrol(description);
    await tk.ok('command', ev.id, 'accept');
    const d = await tk.ok('command', ev.id, 'dispatch', { unit_id: f.moduleUnit, note: '请平安法治模块处置', ...extra });
    assert.equal(d.state, 'dispatched');
    return d;
  }

  async function handling(description) {
    const d = await dispatched(description);
    const h = await tk.ok('module', d.id, 'sign');
    assert.equal(h.state, 'handling');
    return h;
  }

  describe('1. every path with the right roles', () => {
    test('(a) report -> accept -> dispatch -> sign -> feedback -> verify -> close -> revisit', async () => {
      const before = await tk.counts(f.grid, FROM, TO);
      const ev = await patrol('兴航社区路口暴露垃圾堆放，影响通行');
      assert.equal(ev.state, 'reported');
      assert.equal(ev.source, 'grid_patrol');
      assert.equal(ev.grid.id, f.grid);
      assert.equal(ev.township.id, f.township);
      assert.equal(ev.county.id, f.county);
      assert.equal(ev.category.code, '0102');
      assert.equal(ev.out_of_list, false);
      assert.equal(ev.suggested_unit.name, '航埠镇经济生态模块', 'a territorial item goes to the 经济生态 module');
      assert.equal(ev.stage, 'dispatch');
      assert.equal(ev.stage_deadline, '2026-03-02T09:30:00+08:00', '0102 dispatch: 30 work minutes');
      assert.match(ev.number, /^330802101-20260302-\d{4}$/);
      await tk.expectNotice('command', ev.id, 'new_event');

      // The desk sees what it may do.
      const seen = await tk.event(ev.id, 'command');
      assert.deepEqual(actionsOf(seen), allowedFor('township_command', 'reported', seen, tk.me.command));

      const acc = await tk.ok('command', ev.id, 'accept', { note: '符合立案条件' });
      assert.equal(acc.state, 'accepted');
      assert.equal(acc.due_at, await tk.deadline(START, 8, 'work_hours'), 'total: 8 work hours from acceptance');
      const dis = await tk.ok('command', ev.id, 'dispatch', { unit_id: f.moduleUnit, user_id: f.moduleUser.id });
      assert.equal(dis.state, 'dispatched');
      assert.equal(dis.assignee_unit.id, f.moduleUnit);
      assert.equal(dis.assignee_user.id, f.moduleUser.id);
      assert.equal(dis.stage, 'sign');
      assert.equal(dis.stage_deadline, await tk.deadline(START, 1, 'work_hours'));
      await tk.expectNotice('module', ev.id, 'new_task');
      const sign = await tk.ok('module', ev.id, 'sign');
      assert.equal(sign.state, 'handling');
      assert.equal(sign.stage, 'handle');
      assert.equal(sign.stage_deadline, await tk.deadline(START, 4, 'work_hours'));
      const fb = await tk.ok('module', ev.id, 'feedback', { note: '垃圾已清运' });
      assert.equal(fb.state, 'feedback');
      assert.equal(fb.verified, false);
      const task = await tk.expectNotice('grid', ev.id, 'verify_task');
      assert.deepEqual([task.title, task.body], [`待核查：${ev.number} ${ev.title}`, '处置反馈：垃圾已清运']);
      const ver = await tk.ok('grid', ev.id, 'verify', { passed: true, note: '现场已清理干净' });
      assert.equal(ver.state, 'feedback');
      assert.equal(ver.verified, true);
      const closed = await tk.ok('command', ev.id, 'close', { note: '办结' });
      assert.equal(closed.state, 'closed');
      assert.equal(closed.closed_at, START);
      assert.equal(closed.stage, null);
      await tk.expectNotice('grid', ev.id, 'closed');
      const arch = await tk.ok('grid', ev.id, 'revisit', { satisfaction: 5, note: '满意' });
      assert.equal(arch.state, 'archived');
      assert.equal(arch.satisfaction, 5);

      assert.deepEqual(timelineActions(arch),
        ['report', 'accept', 'dispatch', 'sign', 'feedback', 'verify', 'close', 'revisit']);
      assert.deepEqual(arch.timeline.map((t) => t.to_state),
        ['reported', 'accepted', 'dispatched', 'handling', 'feedback', 'feedback', 'closed', 'archived']);
      assert.deepEqual(arch.timeline.map((t) => t.role),
        ['grid_worker', 'township_command', 'township_command', 'township_module', 'township_module',
          'grid_worker', 'township_command', 'grid_worker']);
      assert.equal(arch.timeline[1].note, '符合立案条件');
      assert.equal(arch.timeline[4].note, '垃圾已清运');
      assert.equal(arch.timeline[0].from_state, null);
      assert.equal(arch.timeline[2].from_state, 'accepted');
      assert.deepEqual(actionsOf(await tk.event(ev.id, 'command')), allowedFor('township_command', 'archived'));

      const d = delta(await tk.counts(f.grid, FROM, TO), before);
      assert.deepEqual(d, {
        ...ZERO, reported: 1, accepted: 1, dispatched: 1, dispatched_on_time: 1, closed: 1, due: 1,
        closed_on_time: 1, feedbacks: 1, rated: 1, satisfied: 1, rating_sum: 5, accepted_closed: 1,
      });
      for (const unit of [f.grid, f.village, f.township, f.county, f.city])
        assert.deepEqual(await tk.counts(unit, FROM, TO, 'raw'), await tk.counts(unit, FROM, TO), `unit ${unit}`);
    });

    test('(b) verification fails -> rework -> feedback -> verified -> closed, reworks = 1', async () => {
      const before = await tk.counts(f.township, FROM, TO);
      const h = await handling('村道旁垃圾桶满溢');
      await tk.ok('module', h.id, 'feedback', { note: '已清理' });
      const offered = (await tk.event(h.id, 'grid')).actions.find((a) => a.action === 'verify');
      assert.equal(offered.label, '核查', 'the handling is checked (核查)');
      const rework = await tk.ok('grid', h.id, 'verify', { passed: false, note: '桶边仍有散落垃圾' });
      assert.equal(rework.state, 'handling');
      assert.equal(rework.reworks, 1);
      assert.equal(rework.stage, 'handle');
      assert.equal(rework.verified, false);
      const row = rework.timeline.at(-1);
      assert.deepEqual([row.action, row.action_label, row.from_state, row.to_state, row.note, row.detail.passed],
        ['verify', '核查', 'feedback', 'handling', '桶边仍有散落垃圾', false]);
      await tk.expectNotice('module', h.id, 'rework');
      // Closing before a passed verification is refused.
      const early = await tk.act('command', h.id, 'close');
      expectProblem(early, 409, 'illegal_transition');
      await tk.ok('module', h.id, 'feedback', { note: '已全部清理' });
      expectProblem(await tk.act('command', h.id, 'close'), 409, 'not_verified');
      await tk.ok('grid', h.id, 'verify', { passed: true });
      const closed = await tk.ok('command', h.id, 'close');
      assert.equal(closed.state, 'closed');
      assert.equal(closed.reworks, 1);
      assert.deepEqual(timelineActions(closed),
        ['report', 'accept', 'dispatch', 'sign', 'feedback', 'verify', 'feedback', 'verify', 'close']);
      const d = delta(await tk.counts(f.township, FROM, TO), before);
      assert.equal(d.reworks, 1);
      assert.equal(d.feedbacks, 2);
      assert.equal(d.closed, 1);
    });

    test('(c) the assignee returns it with a reason -> accepted (returns = 1) -> dispatched again -> signed', async () => {
      const d = await dispatched('广场边暴露垃圾');
      expectProblem(await tk.act('module', d.id, 'return'), 422, 'invalid_field', 'note');
      const back = await tk.ok('module', d.id, 'return', { note: '不属于平安法治模块职责' });
      assert.equal(back.state, 'accepted');
      assert.equal(back.returns, 1);
      assert.equal(back.assignee_unit, null);
      assert.equal(back.stage, 'dispatch');
      const row = back.timeline.at(-1);
      assert.deepEqual([row.action, row.from_state, row.to_state, row.note],
        ['return', 'dispatched', 'accepted', '不属于平安法治模块职责']);
      await tk.expectNotice('command', d.id, 'returned');
      // Signing what came back is no longer possible.
      expectProblem(await tk.act('module', d.id, 'sign'), 409, 'illegal_transition');
      const again = await tk.ok('command', d.id, 'dispatch', { unit_id: f.moduleUnit, note: '经研判仍由平安法治模块处置' });
      assert.equal(again.state, 'dispatched');
      const signed = await tk.ok('module', d.id, 'sign');
      assert.equal(signed.state, 'handling');
      assert.equal(signed.returns, 1);
      assert.equal(signed.assignee_user.id, f.moduleUser.id, 'the signer becomes the assignee');
      assert.deepEqual(timelineActions(signed), ['report', 'accept', 'dispatch', 'return', 'dispatch', 'sign']);
    });

    test('(c2) a unit whose name holds a quote and a backslash is named whole in the dispatch\'s detail', async () => {
      const unit = (await tk.call('admin', 'GET', `/api/v1/units/${f.moduleUnit}`)).body;
      const odd = '平安法治模块"测试\\组';
      expectStatus(await tk.call('admin', 'PATCH', `/api/v1/units/${f.moduleUnit}`, { name: odd }), 200, 'rename');
      try {
        const d = await dispatched('名称含引号的承办单位');
        const row = d.timeline.find((t) => t.action === 'dispatch');
        assert.deepEqual([row.detail.unit, row.detail.unit_id], [odd, f.moduleUnit]);
      } finally {
        expectStatus(await tk.call('admin', 'PATCH', `/api/v1/units/${f.moduleUnit}`, { name: unit.name }), 200, 'rename back');
      }
    });

    test('(d) an extension approved moves the deadline; a second one refused leaves it', async () => {
      const h = await handling('商铺门前垃圾需协调清运');
      expectProblem(await tk.act('module', h.id, 'request-extension', { kind: 'extension', note: '需协调' }),
        422, 'invalid_field', 'amount');
      expectProblem(await tk.act('command', h.id, 'decide-extension', { approve: true }), 409, 'nothing_pending');
      const req = await tk.ok('module', h.id, 'request-extension',
        { kind: 'extension', amount: 2, unit: 'work_hours', note: '需等待环卫车辆' });
      assert.equal(req.state, 'handling');
      assert.equal(req.pending, 'extension');
      assert.equal(req.stage_deadline, h.stage_deadline, 'a request alone changes no deadline');
      await tk.expectNotice('command', h.id, 'approval');
      expectProblem(await tk.act('module', h.id, 'request-extension',
        { kind: 'extension', amount: 1, unit: 'work_hours', note: '再次申请' }), 409, 'request_pending');
      const yes = await tk.ok('command', h.id, 'decide-extension', { approve: true, note: '同意延期两小时' });
      assert.equal(yes.pending, null);
      assert.equal(yes.extensions, 1);
      assert.equal(yes.stage_deadline, await tk.deadline(h.stage_deadline, 2, 'work_hours'));
      assert.ok(Date.parse(yes.stage_deadline) > Date.parse(h.stage_deadline));
      assert.deepEqual(yes.timeline.at(-1).detail, { kind: 'extension', approved: true });

      await tk.ok('module', h.id, 'request-extension', { kind: 'extension', amount: 1, unit: 'work_days', note: '再延一天' });
      expectProblem(await tk.act('command', h.id, 'decide-extension', { approve: false }), 422, 'invalid_field', 'note');
      const no = await tk.ok('command', h.id, 'decide-extension', { approve: false, note: '时限内应能完成' });
      assert.equal(no.pending, null);
      assert.equal(no.extensions, 1);
      assert.equal(no.stage_deadline, yes.stage_deadline);
      assert.equal(no.state, 'handling');
      assert.deepEqual(no.timeline.at(-1).detail, { kind: 'extension', approved: false });
      assert.deepEqual(timelineActions(no).slice(-4),
        ['request-extension', 'decide-extension', 'request-extension', 'decide-extension']);
      await tk.ok('module', h.id, 'feedback', { note: '已清运' });
    });

    test('(e) suspended: no alerts past the deadline; resumed with the time left; suspension by request', async () => {
      await tk.clock({ now: '2026-03-02T09:00:00+08:00' });
      const h = await handling('违章搭建的棚屋待权属认定');
      assert.equal(h.stage_deadline, '2026-03-02T15:00:00+08:00', '4 work hours from 09:00 over the lunch break');
      await tk.clock({ now: '2026-03-02T10:00:00+08:00' });
      expectProblem(await tk.act('command', h.id, 'suspend'), 422, 'invalid_field', 'note');
      expectProblem(await tk.act('module', h.id, 'suspend', { note: '挂账' }), 403, 'forbidden');
      const s = await tk.ok('command', h.id, 'suspend', { note: '等待权属认定结果' });
      assert.equal(s.state, 'suspended');
      assert.deepEqual(actionsOf(await tk.event(h.id, 'command')), allowedFor('township_command', 'suspended'));
      // Well past the deadline (and past 80% of it): nothing happens while suspended.
      await tk.clock({ now: '2026-03-03T09:00:00+08:00' });
      const still = await tk.event(h.id);
      assert.equal(still.state, 'suspended');
      assert.equal(still.alert, 'green');
      assert.equal(still.supervisions.length, 0);
      assert.deepEqual(timelineActions(still).filter((a) => a === 'yellow' || a === 'red'), []);
      assert.equal((await tk.notices('module', h.id)).filter((n) => ['yellow', 'red'].includes(n.kind)).length, 0);
      // 3 working hours were left (10:00-12:00, 14:00-15:00): they run again from now.
      const r = await tk.ok('command', h.id, 'resume', { note: '权属已认定' });
      assert.equal(r.state, 'handling');
      assert.equal(r.stage, 'handle');
      assert.equal(r.alert, 'green');
      assert.equal(r.stage_deadline, await tk.deadline('2026-03-03T09:00:00+08:00', 180, 'work_minutes'));
      assert.equal(r.stage_deadline, '2026-03-03T12:00:00+08:00');
      assert.deepEqual(timelineActions(r).slice(-2), ['suspend', 'resume']);

      // Suspension through a request of the assignee and the desk's approval.
      const req = await tk.ok('module', h.id, 'request-extension', { kind: 'suspend', note: '当事人外出，需挂账' });
      assert.equal(req.pending, 'suspend');
      const ok = await tk.ok('command', h.id, 'decide-extension', { approve: true, note: '同意挂账' });
      assert.equal(ok.state, 'suspended');
      assert.equal(ok.pending, null);
      assert.deepEqual(ok.timeline.at(-1).detail, { kind: 'suspend', approved: true });
      const back = await tk.ok('command', h.id, 'resume');
      assert.equal(back.state, 'handling');
      await tk.ok('module', h.id, 'feedback', { note: '已拆除' });
    });

    test('(f) 乡呼县应: the department signs, handles and answers; its response is measured', async () => {
      const start = '2026-03-03T14:00:00+08:00';
      await tk.clock({ now: start });
      const dayFrom = '2026-03-01';
      const statsBefore = await tk.get('center', `/api/v1/stats/departments?unit_id=${f.county}&from=${dayFrom}&to=${TO}`);
      expectStatus(statsBefore, 200);
      const prior = statsBefore.body.items.find((x) => x.department_id === f.dept);
      assert.equal(prior, undefined, 'no call to the department yet');

      const ev = await patrol('沿街商户占道经营，屡劝不改', '0102');
      await tk.ok('command', ev.id, 'accept');
      expectProblem(await tk.act('command', ev.id, 'call-county', { unit_id: f.dept }), 422, 'invalid_field', 'note');
      expectProblem(await tk.act('command', ev.id, 'call-county', { unit_id: f.moduleUnit, note: '呼叫' }),
        422, 'invalid_field', 'unit_id');
      // Before the call the department (which sees its county) has nothing to sign.
      expectProblem(await tk.act('dept', ev.id, 'sign'), 409, 'illegal_transition');
      const called = await tk.ok('command', ev.id, 'call-county', { unit_id: f.dept, note: '需执法局联合执法' });
      assert.equal(called.state, 'county_called');
      assert.equal(called.called_unit.id, f.dept);
      assert.equal(called.called_unit.name, '柯城区综合行政执法局');
      assert.equal(called.stage, 'sign');
      assert.equal(called.county_calls.length, 1);
      assert.equal(called.county_calls[0].department, '柯城区综合行政执法局');
      assert.equal(called.county_calls[0].signed_at, null);
      await tk.expectNotice('dept', ev.id, 'called');
      const inbox = await tk.get('dept', '/api/v1/events?box=unit');
      expectStatus(inbox, 200);
      assert.ok(inbox.body.items.some((x) => x.id === ev.id), 'the call is in the department inbox');
      // The module is not the one called.
      expectProblem(await tk.act('module', ev.id, 'sign'), 403, 'not_assignee');

      await tk.clock({ advance_minutes: 20 });
      const signed = await tk.ok('dept', ev.id, 'sign', { note: '执法局签收' });
      assert.equal(signed.state, 'handling');
      assert.equal(signed.assignee_unit.id, f.dept, 'the department becomes the assignee');
      assert.equal(signed.assignee_user.id, f.deptUser.id);
      assert.equal(signed.county_calls[0].signed_at, '2026-03-03T14:20:00+08:00');
      await tk.clock({ advance_minutes: 30 });
      const fb = await tk.ok('dept', ev.id, 'feedback', { note: '已联合执法，责令整改' });
      assert.equal(fb.state, 'feedback');
      assert.equal(fb.county_calls[0].responded_at, '2026-03-03T14:50:00+08:00');
      assert.deepEqual(timelineActions(fb), ['report', 'accept', 'call-county', 'sign', 'feedback']);
      assert.equal(fb.timeline[2].detail.department_id, f.dept);

      const stats = await tk.get('center', `/api/v1/stats/departments?unit_id=${f.county}&from=${dayFrom}&to=${TO}`);
      expectStatus(stats, 200);
      const mine = stats.body.items.find((x) => x.department_id === f.dept);
      assert.ok(mine, JSON.stringify(stats.body));
      assert.equal(mine.name, '柯城区综合行政执法局');
      assert.equal(mine.calls, 1);
      assert.equal(mine.signed, 1);
      assert.equal(mine.signed_on_time, 1);
      assert.equal(mine.responded, 1);
      assert.equal(mine.average_sign_minutes, 20);
      assert.equal(mine.average_response_minutes, 50);
      // Close it through the grid worker's check and the desk.
      await tk.ok('grid', ev.id, 'verify', { passed: true });
      assert.equal((await tk.ok('command', ev.id, 'close')).state, 'closed');
    });

    test('(g) verification on site: verify-request -> verifying (the grid worker) -> reported', async () => {
      const ev = await tk.report('hotline', {
        category: '0102', description: '12345 来电：小区门口垃圾无人清理', grid_id: f.grid, source: 'hotline',
        reporter_name: '张三丰', reporter_phone: '13812345678',
      });
      assert.equal(ev.source, 'hotline');
      expectProblem(await tk.act('grid', ev.id, 'verify-request'), 403, 'forbidden');
      const v = await tk.ok('command', ev.id, 'verify-request', { note: '请核实' });
      assert.equal(v.state, 'verifying');
      assert.equal(v.assignee_unit.id, f.grid);
      assert.equal(v.assignee_user.id, f.gridUser.id);
      assert.equal(v.stage, 'verify');
      await tk.expectNotice('grid', ev.id, 'verify_task');
      const box = await tk.get('grid', '/api/v1/events?box=verify');
      assert.ok(box.body.items.some((x) => x.id === ev.id), 'in the grid worker verify box');
      const mine = await tk.get('grid', '/api/v1/events?box=mine');
      assert.ok(mine.body.items.some((x) => x.id === ev.id), 'in the grid worker own box');
      expectProblem(await tk.act('grid', ev.id, 'verify', { passed: true }), 422, 'invalid_field', 'note');
      const offered = (await tk.event(ev.id, 'grid')).actions.find((a) => a.action === 'verify');
      assert.equal(offered.label, '核实', 'a report is verified (核实)');
      const back = await tk.ok('grid', ev.id, 'verify', { passed: true, note: '现场属实' });
      assert.equal(back.timeline.at(-1).action_label, '核实');
      assert.equal(back.state, 'reported');
      assert.equal(back.assignee_unit, null);
      assert.equal(back.stage, 'dispatch');
      assert.deepEqual(back.timeline.at(-1).detail, { passed: true });
      assert.deepEqual(timelineActions(back), ['report', 'verify-request', 'verify']);
      const acc = await tk.ok('command', ev.id, 'accept');
      assert.equal(acc.state, 'accepted');
    });

    test('(h) rejected with a reason; void asked by the desk, decided by the center', async () => {
      const r = await tk.report('resident', {
        category: '0102', description: '楼下有人乱扔垃圾', grid_id: f.grid, source: 'resident',
      });
      expectProblem(await tk.act('command', r.id, 'reject'), 422, 'invalid_field', 'note');
      const rej = await tk.ok('command', r.id, 'reject', { note: '已由物业处理，不予立案' });
      assert.equal(rej.state, 'rejected');
      assert.equal(rej.stage, null);
      assert.equal(rej.timeline.at(-1).note, '已由物业处理，不予立案');
      await tk.expectNotice('resident', r.id, 'rejected');
      assert.deepEqual(actionsOf(await tk.event(r.id, 'command')), allowedFor('township_command', 'rejected'));

      const v = await patrol('重复上报的垃圾点位');
      expectProblem(await tk.act('command', v.id, 'void'), 422, 'invalid_field', 'note');
      const asked = await tk.ok('command', v.id, 'void', { note: '与已办事件重复' });
      assert.equal(asked.state, 'reported', 'the desk only asks');
      assert.equal(asked.pending, 'void');
      assert.deepEqual(asked.timeline.at(-1).detail, { kind: 'void', requested: true });
      await tk.expectNotice('center', v.id, 'approval');
      expectProblem(await tk.act('command', v.id, 'void', { note: '再次申请' }), 409, 'request_pending');
      const done = await tk.ok('center', v.id, 'void', { approve: true, note: '同意作废' });
      assert.equal(done.state, 'void');
      assert.equal(done.pending, null);

      // The center may refuse a request, and void on its own authority.
      const w = await patrol('误报的垃圾点位');
      await tk.ok('command', w.id, 'accept');
      await tk.ok('command', w.id, 'void', { note: '误报' });
      const kept = await tk.ok('center', w.id, 'void', { approve: false, note: '请核实后再办' });
      assert.equal(kept.state, 'accepted');
      assert.equal(kept.pending, null);
      const own = await tk.ok('center', w.id, 'void', { approve: true, note: '经核实为误报' });
      assert.equal(own.state, 'void');
      assert.deepEqual(timelineActions(own), ['report', 'accept', 'void', 'void', 'void']);

      // A void request the desk overtakes by dispatching is dropped: it must not
      // block the assignee's requests later with nothing left to decide.
      const x = await patrol('申请作废后又交办的事件');
      await tk.ok('command', x.id, 'accept');
      assert.equal((await tk.ok('command', x.id, 'void', { note: '疑似重复' })).pending, 'void');
      const sent = await tk.ok('command', x.id, 'dispatch', { unit_id: f.moduleUnit });
      assert.equal(sent.pending, null);
      await tk.ok('module', x.id, 'sign');
      const ask = await tk.ok('module', x.id, 'request-extension', { kind: 'extension', amount: 1, unit: 'work_hours', note: '需协调' });
      assert.equal(ask.pending, 'extension');
      assert.equal((await tk.ok('command', x.id, 'decide-extension', { approve: true })).extensions, 1);
    });

    test('(l) 合并重复件: a repeated report goes into the open event; its reporter hears then and at closure', async () => {
      const main = await tk.report('resident', {
        category: '0102', description: '合并测试：村口垃圾堆放多日', grid_id: f.grid, source: 'resident',
      });
      await tk.ok('command', main.id, 'accept');
      const dup = await patrol('合并测试：村口垃圾又有人反映');
      const third = await patrol('合并测试：第三次反映村口垃圾');
      // The third goes into the second first; it follows it when that goes into the first.
      const t1 = await tk.ok('command', third.id, 'merge', { into: dup.id });
      assert.equal(t1.state, 'void');
      assert.deepEqual(t1.merged_into, { id: dup.id, number: dup.number, state: 'reported', state_label: '已上报' });
      assert.equal(t1.timeline.at(-1).note, `与事件 ${dup.number} 为同一问题，合并办理`);
      const d1 = await tk.ok('command', dup.id, 'merge', { into: main.id, note: '同一垃圾点，并案办理' });
      assert.equal(d1.state, 'void');
      assert.equal(d1.state_label, '已合并', 'void, but not thrown away');
      assert.equal(d1.stage, null);
      assert.equal(d1.merged_into.id, main.id);
      assert.equal(d1.merged_into.state, 'accepted');
      assert.deepEqual(d1.timeline.at(-1).detail, { into: main.id, into_number: main.number });
      assert.equal(d1.timeline.at(-1).action_label, '合并重复件');
      let m = await tk.event(main.id);
      assert.equal(m.state, 'accepted', 'the event merged into keeps its state');
      assert.deepEqual(m.merged.map((e) => e.id), [dup.id, third.id]);
      assert.equal(m.merged[0].number, dup.number);
      const row = m.timeline.at(-1);
      assert.deepEqual([row.action, row.action_label, row.note], ['merged', '并入重复上报', `并入重复上报 ${dup.number}`]);
      assert.equal((await tk.event(third.id)).merged_into.id, main.id);
      assert.deepEqual(actionsOf(await tk.event(dup.id, 'command')), allowedFor('township_command', 'void'));
      await tk.expectNotice('grid', dup.id, 'merged');
      await tk.expectNotice('grid', third.id, 'merged');
      // The resident who reported the first sees the reports merged into it.
      m = await tk.event(main.id, 'resident');
      assert.equal(m.merged.length, 2);

      // The first is finished: the reporters of the merged ones hear of it too.
      await tk.ok('command', main.id, 'dispatch', { unit_id: f.moduleUnit });
      await tk.ok('module', main.id, 'sign');
      await tk.ok('module', main.id, 'feedback', { note: '垃圾已清运' });
      await tk.ok('grid', main.id, 'verify', { passed: true });
      await tk.ok('command', main.id, 'close');
      await tk.expectNotice('resident', main.id, 'closed');
      const heard = (await tk.notices('grid')).filter((n) => n.kind === 'closed' && [dup.id, third.id].includes(n.event_id));
      assert.equal(heard.length, 2, JSON.stringify(heard));
      assert.match(heard[0].title, new RegExp(`已随 ${main.number} 办结`));
    });

    test('(l2) seventy repeats merged into one event: each reporter hears of its closure', async () => {
      const main = await patrol('合并测试：七十次重复反映的主事件');
      await tk.ok('command', main.id, 'accept');
      const repeats = [];
      for (let i = 0; i < 70; i++) repeats.push(await patrol(`合并测试：重复反映 ${i + 1}`));
      for (const r of repeats) await tk.ok('command', r.id, 'merge', { into: main.id });
      assert.equal((await tk.event(main.id)).merged.length, 70);
      await tk.ok('command', main.id, 'dispatch', { unit_id: f.moduleUnit });
      await tk.ok('module', main.id, 'sign');
      await tk.ok('module', main.id, 'feedback', { note: '已处置' });
      await tk.ok('grid', main.id, 'verify', { passed: true });
      await tk.ok('command', main.id, 'close');
      const ids = new Set(repeats.map((r) => r.id));
      const heard = (await tk.notices('grid')).filter((n) => n.kind === 'closed' && ids.has(n.event_id));
      assert.equal(new Set(heard.map((n) => n.event_id)).size, 70, 'every merged report, past the first page of 64');
    });

    test('(m) 改派: before signing, the desk sends the event to another body; the sign time starts again', async () => {
      const d = await dispatched('改派测试：交办错了单位');
      assert.deepEqual(d.targets.some((u) => u.id === f.moduleUnit), true);
      const other = d.targets.find((u) => u.kind !== 'department' && u.id !== f.moduleUnit);
      assert.ok(other, 'the township has another body to send it to');
      expectProblem(await tk.act('command', d.id, 'reassign', { unit_id: other.id }), 422, 'invalid_field', 'note');
      expectProblem(await tk.act('command', d.id, 'reassign', { note: '派错了' }), 422, 'invalid_field', 'unit_id');
      expectProblem(await tk.act('command', d.id, 'reassign', { unit_id: f.moduleUnit, note: '派错了' }), 422, 'invalid_field', 'unit_id');
      expectProblem(await tk.act('module', d.id, 'reassign', { unit_id: other.id, note: '派错了' }), 403, 'forbidden');
      const before = await tk.counts(f.grid, FROM, TO);
      await tk.clock({ advance_minutes: 20 });
      const r = await tk.ok('command', d.id, 'reassign', { unit_id: other.id, note: '属执法事项，改派执法队' });
      assert.equal(r.state, 'dispatched');
      assert.equal(r.assignee_unit.id, other.id);
      assert.equal(r.stage, 'sign');
      assert.ok(Date.parse(r.stage_started_at) > Date.parse(d.stage_started_at), 'the time to sign starts again');
      assert.deepEqual(r.timeline.at(-1).detail, { from_unit: d.assignee_unit.name, unit_id: other.id, unit: other.name });
      assert.equal(r.timeline.at(-1).action_label, '改派');
      const after = delta(await tk.counts(f.grid, FROM, TO), before);
      assert.equal(after.dispatched || 0, 0, 'not a second dispatch');
      await tk.expectNotice('module', d.id, 'withdrawn');
      // The old body may no longer sign it.
      expectProblem(await tk.act('module', d.id, 'sign'), 403, 'not_assignee');
    });

    test('(i) self-close needs before and after photos', async () => {
      const ev = await patrol('路边少量垃圾，现场自行清理');
      expectProblem(await tk.act('grid', ev.id, 'self-close', { note: '已自行清理' }), 422, 'photos_required');
      expectProblem(await tk.act('grid', ev.id, 'self-close'), 422, 'invalid_field', 'note');
      expectProblem(await tk.act('command', ev.id, 'self-close', { note: '自行处置' }), 403, 'forbidden');
      const still = await tk.event(ev.id);
      assert.equal(still.state, 'reported');
      assert.deepEqual(timelineActions(still), ['report']);

      // The positive case: a before and an after photo, then self-close.
      const jpeg = (n) => Buffer.from(`ffd8ffe000104a4649460001010000010001000${n}ffd9`, 'hex');
      const upload = async (kind) => {
        const form = new FormData();
        form.append('kind', kind);
        form.append('file', new Blob([jpeg(kind === 'before' ? 1 : 2)], { type: 'image/jpeg' }), `${kind}.jpg`);
        return http(srv, 'POST', `/api/v1/events/${ev.id}/attachments`,
          { token: tk.tokens.grid, body: form });
      };
      const first = await upload('before');
      assert.ok(first.status === 200 || first.status === 201, `upload before: ${first.status} ${first.text}`);
      const second = await upload('after');
      assert.ok(second.status === 200 || second.status === 201, `upload after: ${second.status} ${second.text}`);
      const before = await tk.counts(f.grid, FROM, TO);
      const closed = await tk.ok('grid', ev.id, 'self-close', { note: '已自行清理' });
      assert.equal(closed.state, 'closed');
      assert.equal(closed.self_handled, true);
      assert.equal(closed.timeline.at(-1).detail.self_handled, true);
      const d = delta(await tk.counts(f.grid, FROM, TO), before);
      assert.equal(d.accepted, 1);
      assert.equal(d.closed, 1);
      assert.equal(d.closed_on_time, 1);

      // Its reporter was its handler: rating it would count a self-rating in 满意率.
      // The desk records its 回访 instead.
      assert.ok(!actionsOf(closed).includes('revisit'), 'the grid worker is not offered 回访');
      expectProblem(await tk.act('grid', ev.id, 'revisit', { satisfaction: 5 }), 403, 'own_handling');
      const unrated = await tk.event(ev.id);
      assert.equal(unrated.state, 'closed');
      assert.equal(unrated.satisfaction, null);
      assert.equal(delta(await tk.counts(f.grid, FROM, TO), before).rated, 0);
      assert.ok(actionsOf(await tk.event(ev.id, 'command')).includes('revisit'), 'the desk is offered 回访');
      const archived = await tk.ok('command', ev.id, 'revisit', { satisfaction: 4, note: '电话回访周边住户' });
      assert.equal(archived.state, 'archived');
      assert.equal(archived.self_handled, true);
    });

    test('(j) 人工督办: the leader, the center and the desk press an event; its holder and the desk are told', async () => {
      const h = await handling('人工督办测试：主干道井盖缺失');
      const before = await tk.counts(f.township, FROM, TO);
      const leaderView = await tk.event(h.id, 'leader');
      assert.deepEqual(actionsOf(leaderView), ['supervise'], 'a leader may supervise, nothing else');
      const sup = await tk.ok('leader', h.id, 'supervise', { note: '请今天下班前处置到位并反馈' });
      assert.equal(sup.state, 'handling', 'supervising keeps the state');
      assert.deepEqual([sup.stage, sup.stage_deadline, sup.due_at], [h.stage, h.stage_deadline, h.due_at],
        'and the time limits');
      const row = sup.timeline.at(-1);
      assert.equal(sup.supervised_at, row.at);
      assert.deepEqual([row.action, row.action_label, row.role, row.from_state, row.to_state, row.note],
        ['supervise', '督办', 'leader', 'handling', 'handling', '请今天下班前处置到位并反馈']);
      const rec = sup.supervisions.at(-1);
      assert.deepEqual([rec.level, rec.by_role, rec.unit, rec.stage, rec.note, rec.deadline],
        ['manual', 'leader', '航埠镇平安法治模块', 'handle', '请今天下班前处置到位并反馈', h.stage_deadline]);
      assert.equal(rec.id, row.detail.supervision_id);
      assert.match((await tk.expectNotice('module', h.id, 'supervision')).title, /^领导督办：/);
      assert.match((await tk.expectNotice('command', h.id, 'supervision')).title, /^领导督办：/);
      const audit = await tk.get('admin', `/api/v1/audit?target_type=event&target_id=${h.id}&limit=1`);
      assert.deepEqual([audit.body.items[0].action, audit.body.items[0].actor, audit.body.items[0].outcome],
        ['event.supervise', 'leader', 'ok']);
      assert.deepEqual(delta(await tk.counts(f.township, FROM, TO), before), ZERO, 'no indicator moves');

      // The desk presses the cadre it dispatched to; the center a township's event.
      const noticesBefore = (await tk.notices('command', h.id)).length;
      await tk.ok('command', h.id, 'supervise', { note: '指挥室催办' });
      assert.equal((await tk.notices('command', h.id)).length, noticesBefore, 'the desk is not told of its own');
      const reported = await patrol('人工督办测试：待受理事件');
      assert.ok(!actionsOf(await tk.event(reported.id, 'command')).includes('supervise'), 'not what the desk holds');
      const byCenter = await tk.ok('center', reported.id, 'supervise', { note: '请指挥室尽快受理' });
      assert.equal(byCenter.supervisions.at(-1).unit, '航埠镇', 'an event the desk holds presses the township');
      await tk.expectNotice('command', reported.id, 'supervision');

      // The lists mark and filter the supervised.
      for (const who of ['leader', 'command', 'center']) {
        const list = await tk.get(who, '/api/v1/events?supervised=1&limit=100');
        expectStatus(list, 200);
        const ids = list.body.items.map((x) => x.id);
        assert.ok(ids.includes(h.id) && ids.includes(reported.id), `${who} lists both supervised events`);
        assert.ok(list.body.items.every((x) => x.supervised_at), `${who}: only supervised events`);
      }
      const all = await tk.get('leader', '/api/v1/events?limit=100');
      assert.ok(all.body.items.some((x) => !x.supervised_at), 'without the filter, others too');
      // 督办件: the open ones; a finished event leaves the inbox but not the filter.
      const inbox = async () => (await tk.get('leader', '/api/v1/events?box=supervised&limit=100')).body.items.map((x) => x.id);
      const count = async () => (await tk.get('leader', '/api/v1/events/boxes')).body.boxes.supervised;
      assert.ok((await inbox()).includes(reported.id));
      const n = await count();
      assert.equal(n, (await inbox()).length);
      await tk.ok('command', reported.id, 'reject', { note: '不属于受理范围' });
      assert.ok(!(await inbox()).includes(reported.id), 'a rejected event is no longer in 督办件');
      assert.equal(await count(), n - 1);
      const filtered = await tk.get('leader', '/api/v1/events?supervised=1&limit=100');
      assert.ok(filtered.body.items.some((x) => x.id === reported.id), 'the filter still finds it');
      expectProblem(await tk.get('leader', '/api/v1/events?supervised=2'), 422, 'invalid_field');
    });

    test('(k) 催办: the reporter presses an open report, once a day; whoever holds it is told', async () => {
      const mine = await tk.report('resident', { category: '0102', description: '催办测试：小区门口垃圾两天无人清运', grid_id: f.grid, source: 'resident' });
      assert.ok(actionsOf(await tk.event(mine.id, 'resident')).includes('urge'), 'the reporter may urge');
      const before = await tk.counts(f.township, FROM, TO);
      const u = await tk.ok('resident', mine.id, 'urge', { note: '已经两天了，请尽快处理' });
      assert.equal(u.state, 'reported');
      const row = u.timeline.at(-1);
      assert.deepEqual([row.action, row.action_label, row.role, row.from_state, row.to_state, row.note],
        ['urge', '催办', 'resident', 'reported', 'reported', '已经两天了，请尽快处理']);
      assert.match((await tk.expectNotice('command', mine.id, 'urged')).title, /^群众催办：/);
      // One's own name and phone are in clear to oneself, masked to those without need.
      const own = await tk.event(mine.id, 'resident');
      assert.equal(own.reporter.name, '万川村居民');
      assert.equal(own.timeline.at(-1).actor, '万川村居民');
      assert.notEqual((await tk.event(mine.id, 'observer')).reporter.name, '万川村居民');
      assert.deepEqual(delta(await tk.counts(f.township, FROM, TO), before), ZERO, 'no indicator moves');
      // Once a day: a second press is refused and says when it may come.
      const again = await tk.act('resident', mine.id, 'urge', {});
      expectProblem(again, 409, 'urged_recently');
      assert.match(again.body.detail, /24 小时内只能催办一次/);
      assert.equal((await tk.event(mine.id)).timeline.filter((t) => t.action === 'urge').length, 1);
      // Only the reporter: not the desk (no such action), not the grid worker who sees it.
      expectProblem(await tk.act('command', mine.id, 'urge', {}), 403, 'forbidden');
      expectProblem(await tk.act('grid', mine.id, 'urge', {}), 403, 'not_reporter');
      // A day later, dispatched: the module that holds it hears the press.
      await tk.ok('command', mine.id, 'accept');
      await tk.ok('command', mine.id, 'dispatch', { unit_id: f.moduleUnit });
      await tk.clock({ advance_minutes: 24 * 60 });
      await tk.ok('resident', mine.id, 'urge');
      const n = await tk.expectNotice('module', mine.id, 'urged');
      assert.equal(n.body, '请尽快处理', 'without a note, the default');
      const closedOne = await handling('催办测试：已办结的事件不能催办');
      await tk.ok('module', closedOne.id, 'feedback', { note: '已处置' });
      await tk.ok('grid', closedOne.id, 'verify', { passed: true });
      await tk.ok('command', closedOne.id, 'close');
      expectProblem(await tk.act('grid', closedOne.id, 'urge', {}), 409, 'illegal_transition');
    });
  });

  describe('2. refusals change nothing and are audited', () => {
    const events = {};

    // Fires the request and checks: the problem, nothing changed, one audit record.
    async function refused(who, id, action, body, status, code, field) {
      const before = await tk.event(id);
      const last = await tk.lastAudit();
      const res = await tk.act(who, id, action, body);
      expectProblem(res, status, code, field);
      const after = await tk.event(id);
      assert.deepEqual(after, before, `${who} ${action} on ${before.state} changed the event`);
      const audit = await tk.get('admin', `/api/v1/audit?target_type=event&target_id=${id}&limit=5`);
      expectStatus(audit, 200);
      const rec = audit.body.items.find((a) => a.seq > last.seq);
      assert.ok(rec, `an audit record of ${who} ${action} on #${id}`);
      assert.equal(rec.action, `event.${action}`);
      assert.equal(rec.actor, who);
      assert.equal(rec.outcome, status === 403 ? 'denied' : 'failed');
      assert.equal(rec.detail.code, code);
      return res;
    }

    before(async () => {
      await tk.clock({ now: '2026-03-04T09:00:00+08:00' });
      events.reported = await patrol('拒绝测试：已上报');
      events.verifying = await patrol('拒绝测试：核实中');
      await tk.ok('command', events.verifying.id, 'verify-request');
      events.accepted = await patrol('拒绝测试：已立案');
      await tk.ok('command', events.accepted.id, 'accept');
      events.dispatched = await dispatched('拒绝测试：已交办');
      events.county_called = await patrol('拒绝测试：乡呼县应');
      await tk.ok('command', events.county_called.id, 'accept');
      await tk.ok('command', events.county_called.id, 'call-county', { unit_id: f.dept, note: '呼叫执法局' });
      events.handling = await handling('拒绝测试：处置中');
      events.suspended = await handling('拒绝测试：已挂账');
      await tk.ok('command', events.suspended.id, 'suspend', { note: '挂账' });
      events.feedback = await handling('拒绝测试：已反馈');
      await tk.ok('module', events.feedback.id, 'feedback', { note: '已处置' });
      events.closed = await handling('拒绝测试：已结案');
      await tk.ok('module', events.closed.id, 'feedback', { note: '已处置' });
      await tk.ok('grid', events.closed.id, 'verify', { passed: true });
      await tk.ok('command', events.closed.id, 'close');
      events.archived = await handling('拒绝测试：已归档');
      await tk.ok('module', events.archived.id, 'feedback', { note: '已处置' });
      await tk.ok('grid', events.archived.id, 'verify', { passed: true });
      await tk.ok('command', events.archived.id, 'close');
      await tk.ok('command', events.archived.id, 'revisit', { satisfaction: 4 });
      events.rejected = await patrol('拒绝测试：不予立案');
      await tk.ok('command', events.rejected.id, 'reject', { note: '不符合立案条件' });
      events.void = await patrol('拒绝测试：已作废');
      await tk.ok('center', events.void.id, 'void', { approve: true, note: '作废' });
      for (const s of STATES) assert.equal((await tk.event(events[s].id)).state, s, `fixture in ${s}`);
    });

    test('illegal transitions: 409 with the allowed actions, for every state', async () => {
      const tries = {
        reported: ['dispatch', 'sign', 'feedback', 'close', 'resume', 'revisit', 'decide-extension'],
        verifying: ['accept', 'dispatch', 'close', 'void'],
        accepted: ['accept', 'close', 'reject', 'verify', 'resume'],
        dispatched: ['dispatch', 'accept', 'close', 'suspend', 'void'],
        county_called: ['dispatch', 'close', 'call-county', 'suspend'],
        handling: ['accept', 'dispatch', 'close', 'resume', 'call-county', 'void'],
        suspended: ['suspend', 'close', 'dispatch', 'decide-extension'],
        feedback: ['dispatch', 'revisit', 'suspend', 'accept'],
        closed: ['close', 'accept', 'void', 'verify', 'resume'],
        archived: ['revisit', 'close', 'accept', 'dispatch'],
        rejected: ['accept', 'void', 'dispatch'],
        void: ['accept', 'dispatch', 'void'],
      };
      for (const [state, actions] of Object.entries(tries)) {
        const ev = await tk.event(events[state].id, 'command');
        const want = allowedFor('township_command', state, ev, tk.me.command);
        for (const action of actions) {
          assert.ok(!want.includes(action), `${action} is legal in ${state}: fix the sample`);
          const res = await refused('command', events[state].id, action,
            { note: '试一试', unit_id: f.moduleUnit, approve: true, passed: true, satisfaction: 3 },
            409, 'illegal_transition');
          assert.equal(res.body.state, state);
          assert.deepEqual(res.body.allowed.map((a) => a.action).sort(), want, `allowed in ${state}`);
          for (const a of res.body.allowed) assert.ok(a.label, 'each allowed action has a label');
        }
      }
      // What a role may do is what the detail lists.
      for (const state of STATES) {
        const ev = await tk.event(events[state].id, 'command');
        assert.deepEqual(actionsOf(ev), allowedFor('township_command', state, ev, tk.me.command), state);
        const evc = await tk.event(events[state].id, 'center');
        assert.deepEqual(actionsOf(evc), allowedFor('county_center', state, evc, tk.me.center), state);
        assert.deepEqual(actionsOf(await tk.event(events[state].id, 'observer')), [], `observer in ${state}`);
        assert.deepEqual(actionsOf(await tk.event(events[state].id, 'admin')), [], `admin in ${state}`);
      }
    });

    test('an unknown action is 404 unknown_action', async () => {
      const before = await tk.event(events.reported.id);
      expectProblem(await tk.act('command', events.reported.id, 'reopen', {}), 404, 'unknown_action');
      assert.deepEqual(await tk.event(events.reported.id), before);
    });

    test('wrong roles: 403 forbidden', async () => {
      await refused('grid', events.reported.id, 'accept', {}, 403, 'forbidden');
      await refused('grid', events.accepted.id, 'dispatch', { unit_id: f.moduleUnit }, 403, 'forbidden');
      await refused('grid', events.accepted.id, 'call-county', { unit_id: f.dept, note: '呼叫' }, 403, 'forbidden');
      await refused('center', events.accepted.id, 'call-county', { unit_id: f.dept, note: '呼叫' }, 403, 'forbidden');
      await refused('module', events.feedback.id, 'close', {}, 403, 'forbidden');
      await refused('module', events.handling.id, 'suspend', { note: '挂账' }, 403, 'forbidden');
      await refused('module', events.handling.id, 'decide-extension', { approve: true }, 403, 'forbidden');
      await refused('module', events.feedback.id, 'verify', { passed: true }, 403, 'forbidden');
      await refused('command', events.reported.id, 'self-close', { note: '自行处置' }, 403, 'forbidden');
      // A resident may only report, follow and rate.
      const mine = await tk.report('resident', { category: '0102', description: '居民上报：垃圾', grid_id: f.grid, source: 'resident' });
      await refused('resident', mine.id, 'accept', {}, 403, 'forbidden');
      await refused('resident', mine.id, 'comment', { note: '催办' }, 403, 'forbidden');
      // Roles without event.act are stopped by the permission guard.
      for (const who of ['leader', 'observer', 'admin']) {
        const before = await tk.event(events.reported.id);
        const last = await tk.lastAudit();
        expectProblem(await tk.act(who, events.reported.id, 'comment', { note: '批示' }), 403, 'forbidden');
        assert.deepEqual(await tk.event(events.reported.id), before);
        const rec = await tk.lastAudit();
        assert.ok(rec.seq > last.seq && rec.outcome === 'denied' && rec.actor === who, JSON.stringify(rec));
      }
    });

    test('not the assignee: 403 not_assignee', async () => {
      // Dispatched to the 经济生态 module (the suggestion): the 平安法治 cadre is not it.
      const other = await patrol('拒绝测试：交给经济生态模块');
      await tk.ok('command', other.id, 'accept');
      await tk.ok('command', other.id, 'dispatch', {});
      const d = await tk.event(other.id);
      assert.equal(d.assignee_unit.name, '航埠镇经济生态模块');
      await refused('module', other.id, 'sign', {}, 403, 'not_assignee');
      await refused('module', other.id, 'return', { note: '不归我' }, 403, 'not_assignee');
      await refused('command', events.dispatched.id, 'sign', {}, 403, 'not_assignee');
      await refused('grid', events.handling.id, 'feedback', { note: '已处置' }, 403, 'not_assignee');
      await refused('command', events.handling.id, 'request-extension',
        { kind: 'extension', amount: 1, unit: 'work_hours', note: '延期' }, 403, 'not_assignee');
      await refused('module', events.county_called.id, 'sign', {}, 403, 'not_assignee');
    });

    test("township B's desk on township A's event: 404", async () => {
      for (const [state, action, body] of [['reported', 'accept', {}], ['accepted', 'dispatch', { unit_id: f.command2Unit }],
        ['handling', 'suspend', { note: '挂账' }], ['feedback', 'close', {}], ['reported', 'comment', { note: '看看' }]]) {
        await refused('command2', events[state].id, action, body, 404, 'event_not_found');
      }
      expectProblem(await tk.get('command2', `/api/v1/events/${events.reported.id}`), 404, 'event_not_found');
      const list = await tk.get('command2', '/api/v1/events?limit=500');
      assert.ok(!list.body.items.some((x) => x.township.id === f.township), 'no 航埠镇 event in 杜泽镇 lists');
    });

    test('督办: who may not, what is finished, an empty instruction', async () => {
      for (const who of ['observer', 'admin', 'module', 'grid', 'dept']) {
        const before = await tk.event(events.handling.id);
        const last = await tk.lastAudit();
        expectProblem(await tk.act(who, events.handling.id, 'supervise', { note: '督办' }), 403, 'forbidden');
        assert.deepEqual(await tk.event(events.handling.id), before, `${who} changed nothing`);
        const rec = await tk.lastAudit();
        assert.ok(rec.seq > last.seq && rec.outcome === 'denied' && rec.actor === who, JSON.stringify(rec));
      }
      for (const state of ['closed', 'archived', 'rejected', 'void'])
        await refused('leader', events[state].id, 'supervise', { note: '督办' }, 409, 'illegal_transition');
      await refused('command', events.reported.id, 'supervise', { note: '督办' }, 409, 'own_event');
      await refused('leader', events.handling.id, 'supervise', {}, 422, 'invalid_field', 'note');
      await refused('command2', events.handling.id, 'supervise', { note: '督办' }, 404, 'event_not_found');
    });

    test('催办: only the reporter, only while open, once a day', async () => {
      await refused('command', events.reported.id, 'urge', {}, 403, 'forbidden');
      await refused('module', events.handling.id, 'urge', {}, 403, 'forbidden');
      await refused('resident', events.handling.id, 'urge', {}, 404, 'event_not_found');
      for (const state of ['closed', 'archived', 'rejected', 'void'])
        await refused('grid', events[state].id, 'urge', {}, 409, 'illegal_transition');
      await tk.ok('grid', events.suspended.id, 'urge', { note: '挂账太久了' });
      const again = await refused('grid', events.suspended.id, 'urge', {}, 409, 'urged_recently');
      assert.match(again.body.detail, /后可再次催办/);
    });

    test('a required reason missing: 422 field note', async () => {
      const cases = [
        ['command', 'reported', 'reject', {}],
        ['command', 'reported', 'void', {}],
        ['command', 'verifying', 'reject', {}],
        ['grid', 'verifying', 'verify', { passed: false }],
        ['command', 'accepted', 'call-county', { unit_id: f.dept }],
        ['module', 'dispatched', 'return', {}],
        ['module', 'dispatched', 'return', { note: '' }],
        ['dept', 'county_called', 'return', {}],
        ['module', 'handling', 'feedback', {}],
        ['module', 'handling', 'request-extension', { kind: 'suspend' }],
        ['command', 'handling', 'suspend', {}],
        ['grid', 'feedback', 'verify', { passed: false }],
        ['command', 'closed', 'comment', {}],
      ];
      for (const [who, state, action, body] of cases)
        await refused(who, events[state].id, action, body, 422, 'invalid_field', 'note');
    });

    test('other refusals: bad targets, nothing pending, already verified', async () => {
      const b = await tk.get('admin', `/api/v1/units/${f.command2Unit}`);
      await refused('command', events.accepted.id, 'dispatch', { unit_id: b.body.id }, 422, 'invalid_field', 'unit_id');
      await refused('command', events.accepted.id, 'dispatch', { unit_id: f.moduleUnit, user_id: f.gridUser.id },
        422, 'invalid_field', 'user_id');
      await refused('command', events.handling.id, 'decide-extension', { approve: true }, 409, 'nothing_pending');
      await refused('command', events.feedback.id, 'close', {}, 409, 'not_verified');
      await tk.ok('grid', events.feedback.id, 'verify', { passed: true });
      await refused('grid', events.feedback.id, 'verify', { passed: true }, 409, 'already_verified');
      // 合并重复件: a target is needed, and an open one the desk sees, other than itself.
      await refused('command', events.reported.id, 'merge', {}, 422, 'invalid_field', 'into');
      await refused('command', events.reported.id, 'merge', { into: events.reported.id }, 422, 'invalid_field', 'into');
      await refused('command', events.reported.id, 'merge', { into: events.closed.id }, 409, 'merge_target_finished');
      await refused('command', events.reported.id, 'merge', { into: 999999999 }, 422, 'invalid_field', 'into');
      const elsewhere = await tk.get('command2', '/api/v1/events?box=reported&limit=1'); // 杜泽镇's queue
      expectStatus(elsewhere, 200);
      await refused('command', events.reported.id, 'merge', { into: elsewhere.body.items[0].id }, 422, 'invalid_field', 'into');
      // Bad input is refused before it reaches the event.
      const before = await tk.event(events.closed.id);
      expectProblem(await tk.act('command', events.closed.id, 'revisit', { satisfaction: 9 }), 422, 'invalid_field', 'satisfaction');
      expectProblem(await tk.act('command', events.closed.id, 'revisit', { stars: 5 }), 422);
      assert.deepEqual(await tk.event(events.closed.id), before);
    });
  });

  describe('6. lists, inboxes, search and masking', () => {
    const made = {};

    before(async () => {
      await tk.clock({ now: '2026-03-05T09:00:00+08:00' });
      made.fts = await patrol('樟树底下的石凳被人砸坏了，碎石散落一地', '0102');
      made.short = await patrol('鳌头巷口有一堆建筑垃圾', '0103');
      made.resident = await tk.report('resident', {
        category: '1001', description: '楼上邻居深夜噪音扰民，多次协商未果', grid_id: f.grid, source: 'resident',
      });
      made.mine = await dispatched('派给模块干部本人的事件', { user_id: f.moduleUser.id });
      made.red = await dispatched('将要超时的事件');
      // The sign stage (1 work hour) runs out.
      await tk.clock({ advance_minutes: 61 });
      assert.equal((await tk.event(made.red.id)).alert, 'red');
      // Another, 50 minutes into its hour to sign: past 80%, yellow (即将超期).
      made.yellow = await dispatched('将要亮黄灯的事件');
      await tk.clock({ advance_minutes: 50 });
      assert.equal((await tk.event(made.yellow.id)).alert, 'yellow');
    });

    async function all(who, query) {
      const items = [];
      let cursor = null;
      for (;;) {
        const sep = query.includes('?') ? '&' : '?';
        const res = await tk.get(who, `${query}${sep}limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        expectStatus(res, 200, query);
        items.push(...res.body.items);
        cursor = res.body.next_cursor;
        if (!cursor) return items;
      }
    }

    const ids = (items) => items.map((x) => x.id);

    test('inboxes: mine, unit, verify, overdue, due_soon', async () => {
      const mine = await all('module', '/api/v1/events?box=mine');
      assert.ok(ids(mine).includes(made.mine.id));
      assert.ok(!ids(mine).includes(made.red.id), 'dispatched to the unit, not to the person');
      for (const e of mine) assert.ok(['dispatched', 'county_called', 'handling', 'verifying'].includes(e.state));
      const unit = await all('module', '/api/v1/events?box=unit');
      assert.ok(ids(unit).includes(made.red.id));
      assert.ok(ids(unit).includes(made.mine.id));
      for (const e of unit) assert.equal(e.assignee_unit.id, f.moduleUnit);
      const verify = await all('grid', '/api/v1/events?box=verify');
      for (const e of verify) assert.ok(e.state === 'verifying' || (e.state === 'feedback' && !e.verified), e.state);
      const overdue = await all('command', '/api/v1/events?box=overdue');
      assert.ok(ids(overdue).includes(made.red.id));
      // Exactly the red ones not finished, as the overdue filter and the states tell.
      const finished = ['closed', 'archived', 'rejected', 'void'];
      const red = await all('command', '/api/v1/events?overdue=1');
      assert.ok(red.some((e) => finished.includes(e.state)), 'some red events are finished');
      assert.deepEqual(ids(overdue), ids(red.filter((e) => !finished.includes(e.state))));
      // 即将超期: exactly the yellow ones not finished, of everything the desk sees.
      const soon = await all('command', '/api/v1/events?box=due_soon');
      const everything = await all('command', '/api/v1/events');
      const yellow = everything.filter((e) => e.alert === 'yellow' && !finished.includes(e.state));
      assert.ok(ids(soon).includes(made.yellow.id) && !ids(soon).includes(made.red.id));
      assert.deepEqual(ids(soon), ids(yellow));
      // 待核查 is the grid workers' and the desks': a module verifies nothing.
      assert.deepEqual(ids(await all('module', '/api/v1/events?box=verify')), []);
      expectProblem(await tk.get('command', '/api/v1/events?box=everything'), 422, 'invalid_field');
    });

    test('the inbox counts are the lengths of the inboxes, for every role, and follow a dispatch', async () => {
      const BOXES = ['mine', 'unit', 'verify', 'overdue', 'due_soon', 'reported', 'supervised', 'own'];
      const counts = async (who) => {
        const res = await tk.get(who, '/api/v1/events/boxes');
        expectStatus(res, 200, who);
        assert.deepEqual(Object.keys(res.body.boxes).sort(), [...BOXES].sort());
        assert.equal(res.body.cap, 1000);
        return res.body.boxes;
      };
      for (const who of ['command', 'command2', 'module', 'dept', 'grid', 'center', 'resident', 'admin', 'leader']) {
        const got = await counts(who);
        for (const box of BOXES) {
          const list = await all(who, `/api/v1/events?box=${box}`);
          assert.equal(got[box], Math.min(list.length, 1000), `${who}: ${box}`);
        }
      }
      const desk = await counts('command');
      assert.ok(desk.reported > 0 && desk.overdue > 0 && desk.verify > 0, JSON.stringify(desk));
      const module = await counts('module');
      assert.ok(module.mine > 0 && module.unit >= module.mine, JSON.stringify(module));
      assert.equal(module.verify, 0, 'a module verifies nothing');
      assert.equal((await counts('dept')).verify, 0, 'nor does a department');
      assert.ok((await counts('grid')).verify > 0, 'the grid worker has checks to make');
      // 我的上报: the grid worker's own reports, finished or not, and only those.
      const me = (await tk.get('grid', '/api/v1/session')).body.user;
      const own = await all('grid', '/api/v1/events?box=own');
      assert.ok(own.length > 0, 'the grid worker has reports of their own');
      for (const e of own) assert.deepEqual([e.source, e.reporter.name], ['grid_patrol', me.display_name], `#${e.id}`);
      assert.ok(own.some((e) => ['closed', 'archived'].includes(e.state)), 'finished ones too');
      const ownIds = new Set(own.map((e) => e.id));
      const others = (await all('grid', '/api/v1/events')).filter((e) => !ownIds.has(e.id));
      assert.ok(others.length > 0, 'the grid holds others\' reports too');
      assert.ok(others.every((e) => !(e.source === 'grid_patrol' && e.reporter.name === me.display_name)), 'none of them the grid worker\'s');
      // A report accepted and dispatched to the module leaves nothing in the desk's
      // queue and one more in the module's.
      const ev = await patrol('数量随交办变化的事件', '0103');
      assert.equal((await counts('command')).reported, desk.reported + 1);
      await tk.ok('command', ev.id, 'accept');
      await tk.ok('command', ev.id, 'dispatch', { unit_id: f.moduleUnit, note: '请平安法治模块处置' });
      assert.equal((await counts('command')).reported, desk.reported);
      assert.equal((await counts('module')).unit, module.unit + 1);
      expectStatus(await tk.get(null, '/api/v1/events/boxes'), 401);
    });

    test('the ledger export holds the list, row for row, masked as the list is', async () => {
      const HEADER = ['事件编号', '标题', '类别', '类别编码', '状态', '紧急程度', '来源', '县（市、区）',
        '乡镇（街道）', '村（社区）', '网格', '地址', '问题描述', '上报人', '联系电话', '承办单位', '当前环节',
        '环节时限', '预警', '上报时间', '结案时间', '清单外', '督办时间'];
      const col = (name) => HEADER.indexOf(name);
      const ledger = async (who, query) => {
        const res = await tk.get(who, `/api/v1/events/export?${query}`);
        expectStatus(res, 200, `${who} export ${query}`);
        assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
        assert.match(res.headers.get('content-disposition'), /^attachment; filename="export-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''/);
        assert.match(savedName(res), /^事件台账-\d{4}-\d{2}-\d{2}\.csv$/);
        const [header, ...rows] = csvRecords(res.text);
        assert.deepEqual(header, HEADER);
        return rows;
      };
      for (const [who, query] of [['command', 'box=overdue'], ['module', 'box=unit'], ['grid', ''],
        ['command', 'state=dispatched&source=grid_patrol'], ['admin', `unit_id=${f.township}`]]) {
        const list = await all(who, `/api/v1/events${query ? `?${query}` : ''}`);
        const rows = await ledger(who, query);
        assert.deepEqual(rows.map((r) => r[col('事件编号')]), list.map((e) => e.number), `${who} ${query}`);
        for (const [i, e] of list.entries()) {
          const r = rows[i];
          assert.equal(r[col('状态')], e.state_label);
          assert.equal(r[col('类别')], e.category.name);
          assert.equal(r[col('乡镇（街道）')], e.township.name);
          assert.equal(r[col('网格')], e.grid.name);
          assert.equal(r[col('问题描述')], e.description);
          assert.equal(r[col('上报人')], e.reporter.name || '');
          assert.equal(r[col('联系电话')], e.reporter.phone || '');
          assert.equal(r[col('上报时间')], e.created_at.slice(0, 16).replace('T', ' '));
          assert.equal(r[col('预警')], { green: '绿灯', yellow: '黄灯', red: '红灯' }[e.alert]);
          assert.equal(r[col('督办时间')], e.supervised_at ? e.supervised_at.slice(0, 16).replace('T', ' ') : '');
        }
      }
      // The 督办 ledger: every supervised event, with when.
      const supervised = await all('command', '/api/v1/events?supervised=1');
      assert.ok(supervised.length > 0, 'events supervised earlier in this run');
      const pressed = await ledger('command', 'supervised=1');
      assert.deepEqual(pressed.map((r) => r[col('事件编号')]), supervised.map((e) => e.number));
      assert.ok(pressed.every((r) => r[col('督办时间')] !== ''));
      // What a resident typed is not run by a spreadsheet: "=..." gets a leading '.
      const formula = await patrol('=HYPERLINK("http://example.com","点此查看"),路灯不亮');
      const mine = (await ledger('command', `unit_id=${f.grid}`)).find((r) => r[col('事件编号')] === formula.number);
      assert.equal(mine[col('问题描述')], `'${formula.description}`);
      assert.equal(formula.description, '=HYPERLINK("http://example.com","点此查看"),路灯不亮');
      // The observer's ledger masks the reporters, as the observer's list does.
      const seen = await ledger('observer', `unit_id=${f.grid}`);
      const clear = await ledger('admin', `unit_id=${f.grid}`);
      assert.equal(seen.length, clear.length);
      const phoned = clear.findIndex((r) => r[col('联系电话')]);
      assert.ok(phoned >= 0, 'a reporter with a phone in the grid');
      assert.match(seen[phoned][col('联系电话')], /^\d{3}\*{4}\d{4}$/);
      assert.notEqual(seen[phoned][col('联系电话')], clear[phoned][col('联系电话')]);
      // As a workbook, and on the record: who took which rows.
      const overdue = await all('command', '/api/v1/events?box=overdue');
      const xlsx = await tk.get('command', '/api/v1/events/export?box=overdue&format=xlsx');
      expectStatus(xlsx, 200);
      const rec = await tk.lastAudit();
      assert.equal(rec.action, 'event.export');
      assert.equal(rec.actor, 'command');
      assert.equal(rec.outcome, 'ok');
      assert.deepEqual(rec.detail, { box: 'overdue', rows: overdue.length, file: savedName(xlsx) });
      assert.equal(xlsx.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      assert.match(savedName(xlsx), /^事件台账-[\d-]+\.xlsx$/);
      assert.equal(xlsx.text.slice(0, 2), 'PK', 'a zip file');
      // A ledger cut short would pass for whole: past --export-rows it is refused.
      const everything = await all('admin', '/api/v1/events');
      assert.ok(everything.length > 2000, `events: ${everything.length}`);
      const big = await tk.get('admin', '/api/v1/events/export');
      expectProblem(big, 422, 'export_too_large');
      assert.match(big.body.detail, /超过 2000 件/);
      expectProblem(await tk.get('command', '/api/v1/events/export?format=pdf'), 422, 'invalid_field');
      expectProblem(await tk.get('command', '/api/v1/events/export?box=all'), 422, 'invalid_field');
      expectStatus(await tk.get(null, '/api/v1/events/export'), 401);
    });

    test('filters: state, category class, unit, source, overdue, out of list', async () => {
      const everything = await all('admin', '/api/v1/events');
      assert.ok(everything.length >= 30, `events so far: ${everything.length}`);
      const byState = await all('admin', '/api/v1/events?state=dispatched');
      assert.ok(byState.length > 0);
      for (const e of byState) assert.equal(e.state, 'dispatched');
      assert.deepEqual(ids(byState), ids(everything.filter((e) => e.state === 'dispatched')));
      // The command room sees its own township only (the demo's events cover the city).
      const desk = await all('command', '/api/v1/events?state=dispatched');
      assert.deepEqual(ids(desk), ids(byState.filter((e) => e.township.id === f.township
        || (e.assignee_unit && e.assignee_unit.id === f.commandUnit))));
      expectProblem(await tk.get('command', '/api/v1/events?state=lost'), 422, 'invalid_field');
      const cls = await all('admin', '/api/v1/events?category=01');
      assert.ok(cls.length > 0);
      for (const e of cls) assert.ok(e.category.code.startsWith('01'), e.category.code);
      assert.ok(ids(cls).includes(made.short.id) && !ids(cls).includes(made.resident.id));
      const leaf = await all('admin', '/api/v1/events?category=1001');
      assert.deepEqual(ids(leaf), ids(everything.filter((e) => e.category.code === '1001')));
      // Every category and class, the rare (read from their index) and the common (met
      // on the walk), for the city and for a desk.
      const codes = [...new Set(everything.map((e) => e.category.code))];
      const classes = [...new Set(codes.map((c) => c.slice(0, 2)))];
      const deskAll = await all('command', '/api/v1/events');
      for (const code of [...codes, ...classes]) {
        const of = (list) => ids(list.filter((e) => e.category.code.startsWith(code)));
        assert.deepEqual(ids(await all('admin', `/api/v1/events?category=${code}`)), of(everything), `city ${code}`);
        assert.deepEqual(ids(await all('command', `/api/v1/events?category=${code}`)), of(deskAll), `desk ${code}`);
      }
      const grid = await all('admin', `/api/v1/events?unit_id=${f.grid}`);
      assert.deepEqual(ids(grid), ids(everything.filter((e) => e.grid.id === f.grid)));
      const town = await all('admin', `/api/v1/events?unit_id=${f.township}`);
      assert.deepEqual(ids(town), ids(everything.filter((e) => e.township.id === f.township)));
      // Each level: a village and a grid by their paths, a county as a township, the city whole.
      const village = await all('command', `/api/v1/events?unit_id=${f.village}`);
      assert.ok(village.length > 0);
      assert.deepEqual(ids(village), ids(everything.filter((e) => e.village.id === f.village)));
      assert.deepEqual(ids(await all('admin', `/api/v1/events?unit_id=${f.county}`)),
        ids(everything.filter((e) => e.county.id === f.county)));
      assert.deepEqual(ids(await all('admin', `/api/v1/events?unit_id=${f.city}`)), ids(everything));
      assert.deepEqual(await all('admin', '/api/v1/events?unit_id=999999999'), []);
      const src = await all('admin', '/api/v1/events?source=resident');
      assert.ok(src.length > 0);
      assert.deepEqual(ids(src), ids(everything.filter((e) => e.source === 'resident')));
      const red = await all('admin', '/api/v1/events?overdue=1');
      assert.ok(ids(red).includes(made.red.id));
      assert.deepEqual(ids(red), ids(everything.filter((e) => e.alert === 'red')));
      const out = await all('admin', '/api/v1/events?out_of_list=1');
      assert.deepEqual(ids(out), ids(everything.filter((e) => e.out_of_list)));
      const combined = await all('admin', `/api/v1/events?unit_id=${f.grid}&category=01&state=dispatched`);
      assert.deepEqual(ids(combined), ids(everything.filter((e) => e.grid.id === f.grid
        && e.category.code.startsWith('01') && e.state === 'dispatched')));
    });

    test('periods: exactly the events reported in them, whatever order the clock gave them', async () => {
      const now = await tk.clock({ advance_minutes: 0 });
      // A report on the 8th, then the clock set back to the 7th: ids no longer follow time.
      await tk.clock({ now: '2026-03-08T10:00:00+08:00' });
      const later = await patrol('时段测试：8 日上报，先编号');
      await tk.clock({ now: '2026-03-07T10:00:00+08:00' });
      const earlier = await patrol('时段测试：7 日上报，后编号');
      assert.ok(earlier.id > later.id);
      await tk.clock({ now });
      const everything = await all('admin', '/api/v1/events');
      const at = (e) => Date.parse(e.created_at);
      const periods = [
        ['2026-03-07', '2026-03-08', '2026-03-07T00:00:00+08:00', '2026-03-08T00:00:00+08:00'],
        ['2026-03-08', '2026-03-09', '2026-03-08T00:00:00+08:00', '2026-03-09T00:00:00+08:00'],
        ['2026-03-07T09:59:00+08:00', '2026-03-08T10:00:01+08:00'],
        ['2026-03-07T10:00:01+08:00', '2026-03-08T09:00:00+08:00'],
        ['2026-01-01', '2026-02-01', '2026-01-01T00:00:00+08:00', '2026-02-01T00:00:00+08:00'],
        ['2026-03-08', null, '2026-03-08T00:00:00+08:00', null],
        [null, '2026-03-08', null, '2026-03-08T00:00:00+08:00'],
      ];
      for (const [from, to, fromAt = from, toAt = to] of periods) {
        const q = [from && `from=${encodeURIComponent(from)}`, to && `to=${encodeURIComponent(to)}`].filter(Boolean).join('&');
        const want = everything.filter((e) => (!fromAt || at(e) >= Date.parse(fromAt)) && (!toAt || at(e) < Date.parse(toAt)));
        assert.deepEqual(ids(await all('admin', `/api/v1/events?${q}`)), ids(want), q);
      }
      const day = async (d) => ids(await all('command', `/api/v1/events?from=${d}&to=${d}T23:59:59%2B08:00`));
      assert.ok((await day('2026-03-07')).includes(earlier.id) && !(await day('2026-03-07')).includes(later.id));
      assert.ok((await day('2026-03-08')).includes(later.id) && !(await day('2026-03-08')).includes(earlier.id));
    });

    test('text search: FTS for 3+ characters, substring for 1-2', async () => {
      // Finds the event, and only events whose text has the words.
      const search = async (q, want, other) => {
        const hit = await all('command', `/api/v1/events?q=${encodeURIComponent(q)}`);
        assert.ok(ids(hit).includes(want.id), `${q} finds #${want.id}`);
        assert.ok(!ids(hit).includes(other.id), `${q} does not find #${other.id}`);
        for (const e of hit) assert.ok([e.title, e.description, e.address, e.number].some((x) => x.includes(q)), `${q} in #${e.id}`);
      };
      for (const q of ['石凳被人砸坏', '碎石散落', '樟树底下']) await search(q, made.fts, made.short); // trigram index
      for (const q of ['鳌', '鳌头', '石凳']) await search(q, q === '石凳' ? made.fts : made.short, q === '石凳' ? made.short : made.fts); // substring
      const nothing = await all('command', `/api/v1/events?q=${encodeURIComponent('不存在的描述文字')}`);
      assert.deepEqual(nothing, []);
      // Search within other filters, and odd characters are text.
      assert.deepEqual(ids(await all('command', `/api/v1/events?q=${encodeURIComponent('石凳被人')}&state=closed`)), []);
      const odd = await tk.get('command', `/api/v1/events?q=${encodeURIComponent('"石凳" OR *')}`);
      expectStatus(odd, 200);
      // The number finds the event too.
      const byNumber = await all('command', `/api/v1/events?q=${encodeURIComponent(made.fts.number)}`);
      assert.deepEqual(ids(byNumber), [made.fts.id]);
    });

    test('text search finds every report of a burst once the burst is answered', async () => {
      // Reports arriving together share write batches; the index may wait while
      // more are queued, but the last batch of the burst brings it up to date.
      const N = 120;
      const made = [];
      await pool(Array.from({ length: N }, (_, i) => i), 32, async (i) => {
        made.push(await patrol(`突发检索第${i}号：河埠头栏杆松动`));
      });
      const hit = await all('command', `/api/v1/events?q=${encodeURIComponent('河埠头栏杆松动')}`);
      assert.deepEqual(ids(hit).sort((a, b) => a - b), made.map((e) => e.id).sort((a, b) => a - b));
      const one = await all('command', `/api/v1/events?q=${encodeURIComponent(`突发检索第${N - 1}号`)}`);
      assert.deepEqual(ids(one), [made.find((e) => e.description.includes(`第${N - 1}号`)).id]);
    });

    test('cursor paging returns every event exactly once', async () => {
      // The demo's own events are many: page through one grid's.
      const q = `/api/v1/events?unit_id=${f.grid}`;
      const whole = ids(await all('admin', q));
      assert.ok(whole.length > 20, `events in the grid: ${whole.length}`);
      const seen = [];
      let cursor = null;
      let pages = 0;
      for (;;) {
        const res = await tk.get('admin', `${q}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expectStatus(res, 200);
        assert.ok(res.body.items.length <= 7);
        seen.push(...ids(res.body.items));
        pages++;
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      assert.equal(new Set(seen).size, seen.length, 'no event twice');
      assert.deepEqual(seen, whole);
      assert.equal(pages, Math.ceil(whole.length / 7));
      const ordered = [...seen].sort((a, b) => b - a);
      assert.deepEqual(seen, ordered, 'newest first');
    });

    test("a grid worker's list is their grid's events, newest first, page by page", async () => {
      // A grid's list gathers its events from indexes (a grid is a sliver of the
      // city); it must hold what the same filter shows the city's admin, in order.
      const grid = ids(await all('admin', `/api/v1/events?unit_id=${f.grid}`));
      assert.ok(grid.length > 20, `events in the grid: ${grid.length}`);
      assert.deepEqual(ids(await all('grid', '/api/v1/events')), grid);
      const seen = [];
      let cursor = null;
      for (;;) {
        const res = await tk.get('grid', `/api/v1/events?limit=6${cursor ? `&cursor=${cursor}` : ''}`);
        expectStatus(res, 200);
        seen.push(...ids(res.body.items));
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, grid);
      const closed = ids(await all('admin', `/api/v1/events?unit_id=${f.grid}&state=closed`));
      assert.deepEqual(ids(await all('grid', '/api/v1/events?state=closed')), closed);
    });

    test('a resident sees only their own reports', async () => {
      const list = await all('resident', '/api/v1/events');
      assert.ok(list.length >= 1);
      assert.ok(ids(list).includes(made.resident.id));
      const everything = await all('admin', '/api/v1/events');
      const name = f.residentUser.display_name;
      assert.equal(name, '万川村居民');
      const theirs = everything.filter((e) => e.reporter.name === name).map((e) => e.id);
      for (const e of list) assert.ok(theirs.includes(e.id), `resident sees #${e.id}, reported by someone else`);
      // By state, from their own reports (not from the index of all events in that state).
      for (const state of new Set(list.map((e) => e.state)))
        assert.deepEqual(ids(await all('resident', `/api/v1/events?state=${state}`)), ids(list.filter((e) => e.state === state)), state);
      expectProblem(await tk.get('resident', `/api/v1/events/${made.fts.id}`), 404, 'event_not_found');
      assert.equal((await tk.event(made.resident.id, 'resident')).id, made.resident.id);
      const search = await all('resident', `/api/v1/events?q=${encodeURIComponent('石凳被人砸坏')}`);
      assert.deepEqual(search, []);
    });

    test('the observer sees reporters masked, everywhere', async () => {
      const ev = await tk.event(made.fts.id, 'observer');
      assert.equal(ev.reporter.name, '航*****');
      const full = f.gridUser.display_name;
      assert.equal(full, '航埠镇网格员');
      assert.equal((await tk.event(made.fts.id, 'command')).reporter.name, full);
      const list = await all('observer', `/api/v1/events?unit_id=${f.grid}`);
      assert.ok(list.length > 0);
      for (const e of list) assert.ok(!JSON.stringify(e).includes(full), `list item #${e.id} shows the reporter`);
      assert.ok(!JSON.stringify(ev).includes(full), 'the detail (timeline included) shows no reporter name');
      const hot = (await all('observer', '/api/v1/events?source=hotline'))[0];
      assert.equal(hot.reporter.name, '张**');
      assert.notEqual(hot.reporter.phone, '13812345678');
      assert.match(hot.reporter.phone, /\*/);
      const leader = await tk.event(made.fts.id, 'leader');
      assert.equal(leader.reporter.name, '航*****');
    });
  });

  describe('7. intake validation', () => {
    const base = () => ({ category: '0102', description: '校验测试', grid_id: f.grid, source: 'grid_patrol' });

    before(async () => {
      await tk.clock({ now: '2026-03-09T09:00:00+08:00' });
    });

    test('bad categories, places and sources are 422 with the field', async () => {
      const count = async () => (await tk.counts(f.city, FROM, TO)).reported;
      const n = await count();
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), category: '9999' }), 422, 'invalid_field', 'category');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), category: '01' }), 422, 'invalid_field', 'category');
      const { grid_id: _g, ...nowhere } = base();
      expectProblem(await tk.post('grid', '/api/v1/events', { ...nowhere, lng: 116.397, lat: 39.909 }), 422, 'invalid_field', 'lng');
      expectProblem(await tk.post('grid', '/api/v1/events', nowhere), 422, 'invalid_field');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...nowhere, lng: f.point.lng }), 422, 'invalid_field', 'lat');
      expectProblem(await tk.post('resident', '/api/v1/events', { ...base(), source: 'grid_patrol' }), 422, 'invalid_field', 'source');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), source: 'hotline' }), 422, 'invalid_field', 'source');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), source: 'rumour' }), 422, 'invalid_field', 'source');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), description: undefined }), 422, 'invalid_field', 'description');
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), urgency: 'whenever' }), 422, 'invalid_field', 'urgency');
      // A grid worker reports in their own grid only.
      const other = (await gridsOf(tk, f.township2, 1))[0];
      expectProblem(await tk.post('grid', '/api/v1/events', { ...base(), grid_id: other }), 403, 'outside_scope');
      assert.equal(await count(), n, 'nothing was recorded');
    });

    test('a second report within 100 m and 24 h links the first as a duplicate', async () => {
      const here = { ...f.point };
      const near = { lng: here.lng + 0.0003, lat: here.lat }; // ~30 m east
      const far = { lng: here.lng, lat: here.lat + 0.0027 }; // ~300 m north
      const loc = await tk.get('admin', `/api/v1/locate?lng=${far.lng}&lat=${far.lat}`);
      const farGrid = loc.body.grid.id;
      const first = await tk.report('grid', { category: '0105', description: '河道漂浮垃圾', source: 'grid_patrol', ...here });
      assert.equal(first.duplicate_of, null);
      assert.deepEqual(first.possible_duplicates, []);
      const second = await tk.report('grid', { category: '0105', description: '河道漂浮垃圾又有了', source: 'grid_patrol', ...near });
      assert.equal(second.duplicate_of, first.id);
      assert.deepEqual(second.possible_duplicates, [first.id]);
      assert.equal(second.state, 'reported', 'a duplicate is still an event');
      const timeline = (await tk.event(second.id)).timeline;
      assert.equal(timeline[0].detail.duplicate_of, first.id);
      // A third links the earliest and lists both, oldest first.
      const third = await tk.report('grid', { category: '0105', description: '漂浮垃圾第三次', source: 'grid_patrol', ...here });
      assert.equal(third.duplicate_of, first.id);
      assert.deepEqual(third.possible_duplicates, [first.id, second.id]);
      // Another category, or farther than 100 m, or a day later: no link.
      const otherCat = await tk.report('grid', { category: '0104', description: '道路不洁', source: 'grid_patrol', ...near });
      assert.equal(otherCat.duplicate_of, null);
      const farOne = await tk.report(farGrid === f.grid ? 'grid' : 'resident', {
        category: '0105', description: '远处的漂浮垃圾', source: farGrid === f.grid ? 'grid_patrol' : 'resident', ...far,
      });
      assert.equal(farOne.duplicate_of, null);
      await tk.clock({ advance_minutes: 24 * 60 + 1 });
      const later = await tk.report('grid', { category: '0105', description: '次日又见漂浮垃圾', source: 'grid_patrol', ...near });
      assert.equal(later.duplicate_of, null, 'outside the 24 h window');
    });

    test('the 201 reply is the event as GET /events/{id} then shows it to the same caller', async () => {
      const cases = [
        ['hotline', { category: '0102', description: '12345 来电：路灯不亮', source: 'hotline', reporter_name: '李四', reporter_phone: '13900001111', address: '府山街道某路口', ...f.point }],
        ['grid', { category: '0105', description: '巡查发现河面垃圾', source: 'grid_patrol', grid_id: f.grid, urgency: 'urgent', title: '河面垃圾' }],
        ['resident', { category: '0699', description: '清单外的问题', source: 'resident', grid_id: f.grid }],
      ];
      for (const [who, fields] of cases) {
        const res = await tk.post(who, '/api/v1/events', fields);
        expectStatus(res, 201, `report by ${who}`);
        assert.equal(res.headers.get('location'), `/api/v1/events/${res.body.id}`);
        const shown = (await tk.get(who, `/api/v1/events/${res.body.id}`)).body;
        const { possible_duplicates: _, ...created } = res.body;
        const same = Object.fromEntries(Object.keys(created).map((k) => [k, shown[k]]));
        assert.deepEqual(created, same, `${who}: the reply and the stored event differ`);
        assert.ok(Object.keys(created).length > 40, 'the whole event, not a summary');
      }
    });

    test('an out-of-list category is flagged and goes to the county center', async () => {
      const ev = await tk.report('grid', { ...base(), category: '0699', description: '无法归类的城市管理问题' });
      assert.equal(ev.out_of_list, true);
      assert.equal(ev.list_item_code, null);
      assert.equal(ev.suggested_unit, null);
      assert.ok(ev.routing_note.length > 0);
      const n = await tk.expectNotice('center', ev.id, 'out_of_list');
      assert.match(n.title, /清单外/);
      await tk.expectNotice('command', ev.id, 'new_event');
      const list = await tk.get('center', '/api/v1/events?out_of_list=1');
      assert.ok(list.body.items.some((x) => x.id === ev.id));
      // With no suggestion the desk must name the unit.
      await tk.ok('command', ev.id, 'accept');
      expectProblem(await tk.act('command', ev.id, 'dispatch', {}), 422, 'invalid_field', 'unit_id');
    });
  });
});

// ===========================================================================
// 3. Time limits on the work calendar.
// ===========================================================================

describe('3. time limits with the manual clock', () => {
  let srv;
  let tk;
  let f;

  before(async () => {
    srv = await startServer('time', ['--manual-clock', '2026-02-13T16:00:00+08:00']);
    tk = new Tk(srv);
    f = await fixtures(tk);
  });

  after(async () => {
    await stopServer(srv);
  });

  test('春节: deadlines skip the holiday and use the 调休 Saturday; no early red', async () => {
    const start = '2026-02-13T16:00:00+08:00'; // Friday
    // Dispatch limits in work hours: one fits into Friday + the make-up Saturday, one does not.
    for (const [code, hours] of [['0104', 4], ['0105', 12]]) {
      const res = await tk.call('admin', 'PUT', `/api/v1/categories/${code}/limits`,
        { limits: [{ urgency: 'normal', stage: 'dispatch', amount: hours, unit: 'work_hours' }] });
      expectStatus(res, 200, `limits of ${code}`);
    }
    const fits = await tk.deadline(start, 4, 'work_hours');
    const over = await tk.deadline(start, 12, 'work_hours');
    assert.match(fits, /^2026-02-14T/, 'the make-up Saturday');
    assert.match(over, /^2026-02-24T/, 'the first working day after 春节');
    const a = await tk.report('grid', { category: '0104', description: '节前道路不洁', grid_id: f.grid, source: 'grid_patrol' });
    const b = await tk.report('grid', { category: '0105', description: '节前水域不洁', grid_id: f.grid, source: 'grid_patrol' });
    assert.equal(a.stage_deadline, fits);
    assert.equal(b.stage_deadline, over);
    assert.equal(a.stage_started_at, start);

    // Saturday 10:00: 90 + 90 of 240 minutes used -> still green; 11:00 -> red.
    await tk.clock({ now: '2026-02-14T10:00:00+08:00' });
    assert.equal((await tk.event(a.id)).alert, 'green');
    await tk.clock({ now: '2026-02-14T10:30:00+08:00' });
    assert.equal((await tk.event(a.id)).alert, 'yellow');
    await tk.clock({ now: '2026-02-14T11:01:00+08:00' });
    assert.equal((await tk.event(a.id)).alert, 'red');
    // The long one sits through the holiday: 510 of 720 minutes are used by Saturday
    // night, yellow comes at 576 minutes (02-24 09:36), red at 02-24 12:00.
    for (const day of ['2026-02-14T17:30:00+08:00', '2026-02-16T12:00:00+08:00', '2026-02-20T12:00:00+08:00',
      '2026-02-23T23:59:00+08:00']) {
      await tk.clock({ now: day });
      const ev = await tk.event(b.id);
      assert.equal(ev.alert, 'green', `still green at ${day}`);
      assert.ok(!timelineActions(ev).includes('red'));
    }
    await tk.clock({ now: '2026-02-24T09:35:00+08:00' });
    assert.equal((await tk.event(b.id)).alert, 'green');
    await tk.clock({ now: '2026-02-24T09:37:00+08:00' });
    assert.equal((await tk.event(b.id)).alert, 'yellow');
    await tk.clock({ now: '2026-02-24T11:59:00+08:00' });
    assert.equal((await tk.event(b.id)).alert, 'yellow');
    await tk.clock({ now: '2026-02-24T12:00:00+08:00' });
    const red = await tk.event(b.id);
    assert.equal(red.alert, 'red');
    assert.deepEqual(timelineActions(red), ['report', 'yellow', 'red']);
    assert.equal(red.timeline[1].at, '2026-02-24T09:37:00+08:00');
  });

  test('yellow at 80%, red at 100%: supervision, notices, escalation, overdue counted', async () => {
    const start = '2026-03-02T09:00:00+08:00';
    await tk.clock({ now: start });
    const from = '2026-03-01';
    const to = '2026-03-31';
    const before = await tk.counts(f.township, from, to);
    const centerBefore = Math.max(0, ...(await tk.notices('center')).map((n) => n.id));
    const ev = await tk.report('grid', { category: '0102', description: '时限测试：暴露垃圾', grid_id: f.grid, source: 'grid_patrol' });
    await tk.ok('command', ev.id, 'accept');
    const d = await tk.ok('command', ev.id, 'dispatch', { unit_id: f.moduleUnit, user_id: f.moduleUser.id });
    // The sign stage: 1 work hour, yellow at 48 minutes.
    assert.equal(d.stage, 'sign');
    assert.equal(d.stage_deadline, '2026-03-02T10:00:00+08:00');
    assert.equal(d.alert, 'green');

    await tk.clock({ now: '2026-03-02T09:47:00+08:00' });
    let e = await tk.event(ev.id);
    assert.equal(e.alert, 'green', 'just before 80%');
    assert.ok(!timelineActions(e).includes('yellow'));

    await tk.clock({ now: '2026-03-02T09:49:00+08:00' });
    e = await tk.event(ev.id);
    assert.equal(e.alert, 'yellow', 'just past 80%');
    assert.equal(e.state, 'dispatched', 'alerts do not change the state');
    const y = e.timeline.at(-1);
    assert.deepEqual([y.action, y.from_state, y.to_state, y.role, y.at],
      ['yellow', 'dispatched', 'dispatched', 'system', '2026-03-02T09:49:00+08:00']);
    assert.equal(y.action_label, '黄灯预警');
    assert.equal(e.supervisions.length, 0);
    await tk.expectNotice('module', ev.id, 'yellow');
    assert.equal((await tk.notices('module', ev.id)).filter((n) => n.kind === 'red').length, 0);
    assert.equal(e.escalated_at, null);

    await tk.clock({ now: '2026-03-02T10:01:00+08:00' });
    e = await tk.event(ev.id);
    assert.equal(e.alert, 'red');
    assert.equal(e.overdue, true);
    const r = e.timeline.at(-1);
    assert.deepEqual([r.action, r.role, r.at], ['red', 'system', '2026-03-02T10:01:00+08:00']);
    assert.deepEqual(r.detail, { stage: 'sign', escalated: true });
    assert.equal(e.supervisions.length, 1);
    const sup = e.supervisions[0];
    assert.equal(sup.stage, 'sign');
    assert.equal(sup.level, 'red');
    assert.equal(sup.deadline, '2026-03-02T10:00:00+08:00');
    assert.equal(sup.unit, '航埠镇平安法治模块');
    assert.equal(sup.escalated_to, '柯城区');
    assert.equal(e.escalated_at, '2026-03-02T10:01:00+08:00');
    await tk.expectNotice('module', ev.id, 'red');
    await tk.expectNotice('command', ev.id, 'supervision');
    const esc = await tk.expectNotice('center', ev.id, 'escalated');
    assert.match(esc.title, /乡镇超期事件上报/);
    const centerNew = (await tk.notices('center')).filter((n) => n.id > centerBefore);
    assert.deepEqual(centerNew.map((n) => [n.event_id, n.kind]), [[ev.id, 'escalated']], 'the center hears of it once');
    assert.equal((await tk.notices('module', ev.id)).filter((n) => n.kind === 'yellow').length, 1, 'one yellow notice');
    const overdue = await tk.get('command', '/api/v1/events?box=overdue');
    assert.ok(overdue.body.items.some((x) => x.id === ev.id));

    const d1 = delta(await tk.counts(f.township, from, to), before);
    assert.equal(d1.overdue, 1);
    assert.deepEqual(await tk.counts(f.township, from, to, 'raw'), await tk.counts(f.township, from, to));

    // Signing late starts the next stage afresh (4 work hours from 10:01: 16:01);
    // running out again supervises again, but the event is escalated only once.
    const late = await tk.ok('module', ev.id, 'sign');
    assert.equal(late.alert, 'green');
    assert.equal(late.stage, 'handle');
    assert.equal(late.stage_deadline, '2026-03-02T16:01:00+08:00');
    await tk.clock({ now: '2026-03-02T16:00:00+08:00' });
    assert.equal((await tk.event(ev.id)).alert, 'yellow');
    await tk.clock({ now: '2026-03-02T16:02:00+08:00' });
    e = await tk.event(ev.id);
    assert.equal(e.alert, 'red');
    assert.equal(e.supervisions.length, 2);
    assert.equal(e.supervisions[1].escalated_to, null);
    assert.equal(e.escalated_at, '2026-03-02T10:01:00+08:00');
    assert.equal((await tk.notices('center', ev.id)).filter((n) => n.kind === 'escalated').length, 1);
    // The total (8 work hours from 09:00: Tuesday 10:00) passes: the event becomes due.
    assert.equal(e.due_at, '2026-03-03T10:00:00+08:00');
    const due0 = (await tk.counts(f.township, from, to)).due;
    await tk.clock({ now: '2026-03-03T09:59:00+08:00' });
    assert.equal((await tk.counts(f.township, from, to)).due, due0);
    await tk.clock({ now: '2026-03-03T10:01:00+08:00' });
    assert.equal((await tk.counts(f.township, from, to)).due, due0 + 1);
    await tk.ok('module', ev.id, 'feedback', { note: '已清运' });
    await tk.ok('grid', ev.id, 'verify', { passed: true });
    const closed = await tk.ok('command', ev.id, 'close');
    assert.equal(closed.timeline.at(-1).detail.on_time, false);
    const d2 = delta(await tk.counts(f.township, from, to), before);
    assert.equal(d2.overdue, 2);
    assert.equal(d2.due, 1, 'due once');
    assert.equal(d2.closed, 1);
    assert.equal(d2.closed_on_time, 0);
    assert.deepEqual(await tk.counts(f.township, from, to, 'raw'), await tk.counts(f.township, from, to));
  });

  test('a county call that is not signed in time is supervised but not escalated', async () => {
    await tk.clock({ now: '2026-03-04T09:00:00+08:00' });
    const ev = await tk.report('grid', { category: '0102', description: '时限测试：乡呼县应', grid_id: f.grid, source: 'grid_patrol' });
    await tk.ok('command', ev.id, 'accept');
    const c = await tk.ok('command', ev.id, 'call-county', { unit_id: f.dept, note: '呼叫执法局' });
    assert.equal(c.stage_deadline, '2026-03-04T10:00:00+08:00');
    await tk.clock({ now: '2026-03-04T09:50:00+08:00' });
    await tk.expectNotice('dept', ev.id, 'yellow');
    await tk.clock({ now: '2026-03-04T10:05:00+08:00' });
    const e = await tk.event(ev.id);
    assert.equal(e.alert, 'red');
    assert.equal(e.escalated_at, null, 'a department call is county level already');
    assert.equal(e.supervisions[0].unit, '柯城区综合行政执法局');
    await tk.expectNotice('dept', ev.id, 'red');
    await tk.expectNotice('command', ev.id, 'supervision');
    const signed = await tk.ok('dept', ev.id, 'sign');
    assert.equal(signed.county_calls[0].signed_at, '2026-03-04T10:05:00+08:00');
    const stats = await tk.get('center', `/api/v1/stats/departments?unit_id=${f.county}&from=2026-03-01&to=2026-03-31`);
    const mine = stats.body.items.find((x) => x.department_id === f.dept);
    assert.equal(mine.signed_on_time, 0, 'signed late');
    assert.equal(mine.average_sign_minutes, 65);
  });

  test('a suspended event still becomes due when its total deadline passes', async () => {
    await tk.clock({ now: '2026-03-05T09:00:00+08:00' });
    const from = '2026-03-01';
    const to = '2026-03-31';
    const ev = await tk.report('grid', { category: '0102', description: '时限测试：挂账跨过总时限', grid_id: f.grid, source: 'grid_patrol' });
    await tk.ok('command', ev.id, 'accept');
    await tk.ok('command', ev.id, 'dispatch', { unit_id: f.moduleUnit });
    const h = await tk.ok('module', ev.id, 'sign');
    assert.equal(h.due_at, '2026-03-06T10:00:00+08:00');
    await tk.clock({ now: '2026-03-05T10:00:00+08:00' });
    const s = await tk.ok('command', ev.id, 'suspend', { note: '等待上级答复' });
    assert.equal(s.state, 'suspended');
    const before = await tk.counts(f.township, from, to);
    await tk.clock({ now: '2026-03-06T10:01:00+08:00' });
    const after = await tk.counts(f.township, from, to);
    assert.equal(after.due - before.due, 1, 'due while suspended');
    assert.equal(after.overdue, before.overdue, 'no stage alert while suspended');
    assert.deepEqual(await tk.counts(f.township, from, to, 'raw'), after);
    const e = await tk.event(ev.id);
    assert.equal(e.state, 'suspended');
    assert.equal(e.alert, 'green');
    // 3 working hours of the handle stage were left (10:00-12:00, 14:00-15:00).
    const r = await tk.ok('command', ev.id, 'resume');
    assert.equal(r.stage_deadline, await tk.deadline('2026-03-06T10:01:00+08:00', 180, 'work_minutes'));
    assert.equal(r.stage_deadline, '2026-03-06T15:01:00+08:00');
    await tk.ok('module', ev.id, 'feedback', { note: '已处置' });
    await tk.ok('grid', ev.id, 'verify', { passed: true });
    const closed = await tk.ok('command', ev.id, 'close');
    assert.equal(closed.timeline.at(-1).detail.on_time, false);
    const end = await tk.counts(f.township, from, to);
    assert.equal(end.due - before.due, 1, 'due once');
    assert.deepEqual(await tk.counts(f.township, from, to, 'raw'), end);
  });
});

// ===========================================================================
// 4. Durability: every acknowledged transition survives kill -9.
// ===========================================================================

describe('4. acknowledged transitions survive kill -9', () => {
  test('10 workers drive events; kill -9; restart; every acknowledged step is there', async () => {
    const srv = await startServer('durable');
    let tk = new Tk(srv);
    const f = await fixtures(tk);
    const RANK = { reported: 0, accepted: 1, dispatched: 2, handling: 3, feedback: 4, closed: 6, archived: 7 };
    const steps = [
      ['command', 'accept', {}, 'accepted'],
      ['command', 'dispatch', { unit_id: f.moduleUnit }, 'dispatched'],
      ['module', 'sign', {}, 'handling'],
      ['module', 'feedback', { note: '已处置' }, 'feedback'],
      ['grid', 'verify', { passed: true }, 'feedback'],
      ['command', 'close', {}, 'closed'],
      ['command', 'revisit', { satisfaction: 4 }, 'archived'],
    ];
    const acked = [];
    let stop = false;
    let killed = null;
    const KILL_AFTER = SANITIZER ? 80 : 200;
    const worker = async (w) => {
      for (let n = 0; !stop; n++) {
        let res;
        try {
          res = await tk.post('grid', '/api/v1/events', {
            category: '0102', description: `持久性测试 ${w}-${n}`, grid_id: f.grid, source: 'grid_patrol',
          });
        } catch {
          return;
        }
        if (res.status !== 201) return;
        const id = res.body.id;
        acked.push({ id, action: 'report', state: 'reported' });
        for (const [who, action, body, state] of steps) {
          try {
            res = await tk.act(who, id, action, body);
          } catch {
            return;
          }
          if (res.status !== 200) {
            assert.ok(stop, `${action} #${id}: ${res.status} ${res.text}`);
            return;
          }
          acked.push({ id, action, state });
          if (acked.length >= KILL_AFTER && !killed) {
            stop = true;
            killed = srv.kill9();
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, w) => worker(w)));
    const st = await killed;
    assert.equal(st.signal, 'SIGKILL');
    assert.ok(acked.length >= KILL_AFTER, `acknowledged ${acked.length}`);

    const again = await new Server({ dir: srv.dir, db: srv.db, args: srv.args }).start();
    try {
      tk = new Tk(again);
      const events = new Map();
      for (const id of new Set(acked.map((a) => a.id))) events.set(id, await tk.event(id));
      for (const a of acked) {
        const ev = events.get(a.id);
        assert.ok(RANK[ev.state] >= RANK[a.state], `#${a.id} is ${ev.state}, acknowledged ${a.action} -> ${a.state}`);
        assert.ok(ev.timeline.some((t) => t.action === a.action && t.to_state === a.state),
          `#${a.id} has its ${a.action} row`);
        if (a.action === 'verify') assert.ok(ev.verified || RANK[ev.state] > RANK.feedback);
      }
      // Still a working server afterwards.
      const next = await tk.report('grid', { category: '0102', description: '重启后上报', grid_id: f.grid, source: 'grid_patrol' });
      assert.equal(next.state, 'reported');
    } finally {
      const st2 = await again.stop();
      assert.equal(st2.code, 0, `server exit status ${JSON.stringify(st2)}\n${again.log.slice(-3000)}`);
      assert.doesNotMatch(again.log, SANITIZER_REPORT);
      assert.doesNotMatch(again.log, SERVER_TROUBLE);
    }
    const audit = await runCli(['verify-audit', '--db', srv.db]);
    assert.equal(audit.code, 0, `verify-audit: ${audit.stdout}${audit.stderr}`);
    srv.cleanup();
  });
});

// ===========================================================================
// 5. Rollups equal raw after a seeded random run.
// ===========================================================================

describe('5. rollups equal the raw indicators after a random run', () => {
  let srv;
  let tk;
  let f;
  const SEED = Number(process.env.TK_EVENTS_SEED || 20260302);

  before(async () => {
    // Residents report as often as the run draws them: no daily allowance here.
    srv = await startServer('random', ['--manual-clock', '2026-03-02T08:30:00+08:00', '--resident-daily-reports', '0']);
    tk = new Tk(srv);
    f = await fixtures(tk);
  });

  after(async () => {
    await stopServer(srv);
  });

  test(`2,000+ transitions (seed ${SEED}), clock moves between batches; summary == raw`, async (t) => {
    const t0 = Date.now();
    // Where events happen and who takes them.
    const gridsA = await gridsOf(tk, f.township, 4); // 航埠镇: command, module, dept, grid
    assert.ok(gridsA.includes(f.grid));
    const gridsB = await gridsOf(tk, f.township2, 3); // 杜泽镇 (衢江区): command2 alone
    const kecheng = (await tk.children(f.county)).filter((u) => u.kind === 'township' && u.id !== f.township);
    const gridsC = await gridsOf(tk, kecheng[0].id, 2); // another 柯城区 township: the center
    const counties = (await tk.children(f.city)).filter((u) => u.kind === 'county');
    const farCounty = counties.find((c) => c.id !== f.county && c.id !== f.county2);
    const farTown = (await tk.children(farCounty.id)).find((u) => u.kind === 'township');
    const gridsD = await gridsOf(tk, farTown.id, 2); // only reported, never handled
    const CATS = ['0102', '0101', '0103', '1001', '0699', '1101'];

    const WORKERS_N = 8;
    const BATCHES = 10;
    const STEPS = 30; // per worker per batch
    let okCount = 0; // successful transitions: reports (-> reported) and actions
    let reports = 0;
    let failCount = 0;
    const statusSeen = {};

    // The desk of an event, and who holds it now.
    const deskOf = (ev) => (ev.area === 'A' ? 'command' : ev.area === 'B' ? 'command2' : 'center');
    const holderOf = (ev) => {
      if (ev.state === 'county_called' || ev.target === 'dept') return 'dept';
      if (ev.target === 'module') return 'module';
      return deskOf(ev); // dispatched to the desk's own room
    };
    const verifierOf = (ev) => (ev.grid === f.grid ? 'grid' : deskOf(ev));
    const note = (r) => r.pick(['已处理', '情况属实', '请尽快办理', '需要协调', '现场核查完毕']);

    // One planned request for an event in its known state.
    // pool: the worker's events still in play (a merge goes into one of them).
    function plan(r, ev, pool) {
      const desk = deskOf(ev);
      if (r.chance(0.1)) {
        // Anything by anyone: mostly refused, sometimes legal; 5xx never.
        const who = r.pick(['grid', 'command', 'command2', 'module', 'dept', 'center', 'resident']);
        const action = r.pick(TABLE.map((t) => t[0]));
        return [who, action, r.chance(0.5) ? {} : { note: note(r), passed: r.chance(0.5), approve: r.chance(0.5), satisfaction: r.int(1, 5) }, true];
      }
      switch (ev.state) {
        case 'reported': {
          const x = r.next();
          if (ev.area === 'D') return null;
          if (x < 0.6 || (ev.pending === 'void' && x < 0.86)) return [desk, 'accept', {}];
          if (x < 0.72) return [desk, 'verify-request', { note: note(r) }];
          if (x < 0.8) return [desk, 'reject', { note: '不予立案' }];
          if (x < 0.86) return [desk, 'void', { note: '重复', approve: true }];
          if (x < 0.89) {
            // 合并重复件: into an open event of the same desk.
            const into = pool.find((o) => o !== ev && o.area === ev.area && !['closed', 'archived', 'rejected', 'void'].includes(o.state));
            if (into) return [desk, 'merge', { into: into.id }];
          }
          if (x < 0.9 && ev.reporter === 'grid') return ['grid', 'self-close', { note: '已自行处置' }];
          return [desk, 'comment', { note: note(r) }];
        }
        case 'verifying':
          if (r.chance(0.15)) return [desk, 'reject', { note: '核实不属实' }];
          return [verifierOf(ev), 'verify', { passed: r.chance(0.8), note: '现场核实' }];
        case 'accepted': {
          const x = r.next();
          if (x < 0.05 && ev.pending !== 'void') return [desk, 'void', { note: '作废', approve: true }];
          if (ev.area === 'A' && x < 0.25) {
            ev.target = 'dept';
            return ['command', 'call-county', { unit_id: f.dept, note: '乡呼县应' }];
          }
          if (ev.area === 'A') {
            ev.target = r.pick(['module', 'module', 'desk', 'dept']);
            const unit = ev.target === 'module' ? f.moduleUnit : ev.target === 'dept' ? f.dept : f.commandUnit;
            return ['command', 'dispatch', { unit_id: unit }];
          }
          if (ev.area === 'B') {
            ev.target = 'desk';
            return ['command2', 'dispatch', { unit_id: f.command2Unit }];
          }
          ev.target = 'dept';
          return ['center', 'dispatch', { unit_id: f.dept }];
        }
        case 'dispatched':
        case 'county_called':
          if (ev.state === 'dispatched' && ev.area === 'A' && ev.target !== 'dept' && r.chance(0.06)) {
            // 改派 between the module and the desk's own room, before it is signed.
            ev.target = ev.target === 'module' ? 'desk' : 'module';
            return ['command', 'reassign', { unit_id: ev.target === 'module' ? f.moduleUnit : f.commandUnit, note: '改派' }];
          }
          if (r.chance(0.15)) return [holderOf(ev), 'return', { note: '不属于本单位' }];
          return [holderOf(ev), 'sign', {}];
        case 'handling': {
          const x = r.next();
          if (ev.pending === 'extension' || ev.pending === 'suspend') return [desk, 'decide-extension', { approve: r.chance(0.6), note: '审批意见' }];
          if (x < 0.08) return [holderOf(ev), 'request-extension', { kind: 'extension', amount: r.int(1, 3), unit: r.pick(['work_hours', 'work_days']), note: '申请延期' }];
          if (x < 0.12) return [holderOf(ev), 'request-extension', { kind: 'suspend', note: '申请挂账' }];
          if (x < 0.16) return [desk, 'suspend', { note: '挂账' }];
          return [holderOf(ev), 'feedback', { note: '已处置完毕' }];
        }
        case 'suspended':
          return [desk, 'resume', {}];
        case 'feedback':
          if (ev.verified) return [desk, 'close', {}];
          return [verifierOf(ev), 'verify', r.chance(0.8) ? { passed: true } : { passed: false, note: '需返工' }];
        case 'closed':
          if (ev.reporter === 'resident' && r.chance(0.5)) return ['resident', 'revisit', { satisfaction: r.int(1, 5) }];
          if (ev.reporter === 'hotline' && r.chance(0.5)) return ['hotline', 'revisit', { satisfaction: r.int(1, 5) }];
          return [desk, 'revisit', { satisfaction: r.int(1, 5) }];
        default:
          return null;
      }
    }

    async function newEvent(r, w) {
      const area = r.pick(['A', 'A', 'A', 'B', 'C', 'D']);
      const grid = area === 'A' ? r.pick(gridsA) : area === 'B' ? r.pick(gridsB) : area === 'C' ? r.pick(gridsC) : r.pick(gridsD);
      let reporter = r.pick(['resident', 'hotline']);
      if (area === 'A' && grid === f.grid && r.chance(0.6)) reporter = 'grid';
      else if (area === 'A' && r.chance(0.3)) reporter = 'command';
      else if (area === 'B' && r.chance(0.3)) reporter = 'command2';
      const source = { resident: 'resident', hotline: 'hotline', grid: 'grid_patrol', command: 'higher_level', command2: 'department' }[reporter];
      const res = await tk.post(reporter, '/api/v1/events', {
        category: r.pick(CATS), description: `随机事件 ${w}`, grid_id: grid, source,
        urgency: r.chance(0.2) ? 'urgent' : undefined,
      });
      expectStatus(res, 201, 'random report');
      okCount++;
      reports++;
      return { id: res.body.id, state: 'reported', area, grid, reporter, verified: false, pending: null, target: null };
    }

    const rngs = Array.from({ length: WORKERS_N }, (_, w) => prng(SEED * 31 + w));
    const owned = Array.from({ length: WORKERS_N }, () => []);
    const clockRng = prng(SEED);
    let now = '2026-03-02T08:30:00+08:00';
    for (let batch = 0; batch < BATCHES; batch++) {
      await Promise.all(rngs.map(async (r, w) => {
        for (let step = 0; step < STEPS; step++) {
          const open = owned[w].filter((e) => !['archived', 'rejected', 'void'].includes(e.state)
            && !(e.area === 'D' && e.state === 'reported') && e.target !== 'nobody');
          if (open.length < 5 || r.chance(0.1)) {
            owned[w].push(await newEvent(r, w));
            continue;
          }
          const ev = r.pick(open);
          const p = plan(r, ev, open);
          if (!p) continue;
          const [who, action, body, random] = p;
          const res = await tk.act(who, ev.id, action, body);
          statusSeen[res.status] = (statusSeen[res.status] || 0) + 1;
          assert.ok(res.status < 500, `${who} ${action} #${ev.id}: ${res.status} ${res.text}`);
          if (res.status === 200) {
            okCount++;
            Object.assign(ev, { state: res.body.state, verified: res.body.verified, pending: res.body.pending });
            // Sent by chance to a unit nobody of ours works in: out of play.
            if (random && ['dispatched', 'county_called'].includes(ev.state)) ev.target = 'nobody';
          } else {
            failCount++;
            assert.ok([403, 404, 409, 422].includes(res.status), `${who} ${action}: ${res.status} ${res.text}`);
            if (res.status === 409 && res.body.code === 'illegal_transition') {
              assert.equal(res.body.state, ev.state, `#${ev.id} is where we think`);
              assert.ok(Array.isArray(res.body.allowed));
            }
          }
        }
      }));
      // Move the clock: minutes, hours, sometimes to the next morning or over a weekend.
      const x = clockRng.next();
      const minutes = x < 0.5 ? clockRng.int(10, 90) : x < 0.8 ? clockRng.int(120, 400) : x < 0.95 ? clockRng.int(900, 1500) : 3 * 1440;
      now = await tk.clock({ advance_minutes: minutes });
    }
    t.diagnostic(`${okCount} transitions (${reports} reports, ${okCount - reports} actions), ${failCount} refused (${JSON.stringify(statusSeen)}) in ${Date.now() - t0} ms; clock at ${now}`);
    assert.ok(okCount >= 2000, `successful transitions: ${okCount} (refused ${failCount})`);
    assert.ok(failCount > 50, `refusals were exercised: ${failCount}`);

    // Every kind of thing happened.
    const all = [];
    const span = `from=${encodeURIComponent('2026-03-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-05-01T00:00:00+08:00')}`;
    for (let cursor = null; ;) {
      const res = await tk.get('admin', `/api/v1/events?${span}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...res.body.items);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    assert.equal(all.length, owned.flat().length, 'every event of the run, and only those');
    const states = new Set(all.map((e) => e.state));
    for (const s of ['reported', 'closed', 'archived', 'rejected', 'void', 'handling']) assert.ok(states.has(s), `some event is ${s}`);
    assert.ok(all.some((e) => e.alert === 'red'), 'some event went red');
    assert.ok(all.some((e) => e.due_at && Date.parse(e.due_at) < Date.parse(now) && e.state !== 'closed'), 'some went past the total');
    assert.ok(all.some((e) => e.reworks > 0) && all.some((e) => e.returns > 0) && all.some((e) => e.extensions > 0));
    assert.ok(all.some((e) => e.state_label === '已合并'), 'some report was merged');

    const t1 = Date.now();
    // The summary from the rollups equals the one recomputed from events and timelines.
    const from = '2026-03-01';
    const to = '2026-04-30';
    const units = [
      ['city', f.city], ['柯城区', f.county], ['衢江区', f.county2], [farCounty.name, farCounty.id],
      ['航埠镇', f.township], ['杜泽镇', f.township2], [kecheng[0].name, kecheng[0].id],
      ...gridsA.map((g) => [`grid ${g}`, g]), ...gridsB.slice(0, 1).map((g) => [`grid ${g}`, g]),
    ];
    for (const [name, id] of units) {
      const rollup = await tk.counts(id, from, to);
      const raw = await tk.counts(id, from, to, 'raw');
      assert.deepEqual(rollup, raw, `${name}: rollup vs raw`);
    }
    const city = await tk.counts(f.city, from, to);
    for (const k of ['reported', 'accepted', 'dispatched', 'closed', 'due', 'feedbacks', 'reworks', 'returns', 'overdue', 'rated'])
      assert.ok(city[k] > 0, `${k} counted: ${JSON.stringify(city)}`);
    // Day by day too: each day's counts are attributed the same way.
    const days = [];
    for (let t = Date.parse('2026-03-02T00:00:00+08:00'); t <= Date.parse(now); t += 86400000)
      days.push(new Date(t + 8 * 3600000).toISOString().slice(0, 10));
    for (const day of days)
      assert.deepEqual(await tk.counts(f.city, day, day), await tk.counts(f.city, day, day, 'raw'), `city on ${day}`);
    t.diagnostic(`${units.length} units and ${days.length} days compared in ${Date.now() - t1} ms`);
  });
});
