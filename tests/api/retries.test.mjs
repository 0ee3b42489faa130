// Reports sent again, on the 衢州 demo: a phone on a weak signal or a hotline system
// whose call timed out cannot tell whether its report arrived, and sends it again
// with the same Idempotency-Key. The server answers a repeat with the event the
// first request made (200, Idempotent-Replayed), never writes a second one, refuses
// a different report under a used key (422), keeps keys per account, and keeps the
// key with the event across kill -9. An action (a transition, a comment) sent again
// under its key is done once. Also the resident's daily allowance of reports
// (--resident-daily-reports): 429 with Retry-After until midnight, audited, a repeat
// still answered, the next day open again.
//
// The demo is built once and copied for each server; the servers run on a manual
// clock in March 2026, so "today" holds only the reports of the tests.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Server, tempDir, ROOT, demoDatabase } from './lib/server.mjs';

const DATA = path.join(ROOT, 'data');
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;
const START = '2026-03-02T10:00:00+08:00'; // a Monday
const PASSWORDS = {
  admin: 'Demo-Admin-2026', command: 'Demo-Command-2026', grid: 'Demo-Grid-2026',
  resident: 'Demo-Resident-2026', hotline: 'Demo-Hotline-2026',
};
const POINT = {}; // the label point of the `grid` user's grid in 航埠镇, read at start

let dir;
let template;

async function http(srv, method, urlPath, { json, token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(srv.base + urlPath, { method, headers: h, body });
  const text = await res.text();
  const ct = res.headers.get('content-type') || '';
  return { status: res.status, headers: res.headers, body: ct.includes('json') && text ? JSON.parse(text) : text, text };
}

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 1000)}`);
}

function expectProblem(res, status, code) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/);
  assert.equal(res.body.code, code, res.text);
  assert.ok(res.body.detail && /[\u4e00-\u9fff]/.test(res.body.detail), `a reason in Chinese: ${res.text}`);
}

// A server on a copy of the demo, logged in as every account of PASSWORDS.
async function startServer(name, args = []) {
  const db = path.join(dir, `${name}.db`);
  copyFileSync(template, db);
  const srv = await new Server({ dir, db, args: ['--data', DATA, '--manual-clock', START, ...args] }).start();
  const tokens = {};
  const login = async (who) => {
    const res = await http(srv, 'POST', '/api/v1/session', { json: { username: who, password: PASSWORDS[who], bearer: true } });
    expectStatus(res, 201, `login ${who}`);
    tokens[who] = res.body.token;
  };
  for (const who of Object.keys(PASSWORDS)) await login(who);
  const me = await http(srv, 'GET', '/api/v1/session', { token: tokens.grid });
  const grid = await http(srv, 'GET', `/api/v1/units/${me.body.user.unit.id}`, { token: tokens.admin });
  expectStatus(grid, 200, 'the grid');
  Object.assign(POINT, { lng: grid.body.lng, lat: grid.body.lat });
  const t = {
    srv,
    db,
    login,
    call: (who, method, p, json, headers) => http(srv, method, p, { json, token: tokens[who], headers }),
    report: (who, fields, key) => t.call(who, 'POST', '/api/v1/events', fields, key === undefined ? {} : { 'idempotency-key': key }),
    // The events whose description is exactly text, as the admin finds them.
    async find(text) {
      const res = await t.call('admin', 'GET', `/api/v1/events?q=${encodeURIComponent(text)}&limit=100`);
      expectStatus(res, 200, 'search');
      return res.body.items.filter((e) => e.description === text);
    },
    async audit(id) {
      const res = await t.call('admin', 'GET', `/api/v1/audit?action=event.create&target_id=${id}&limit=50`);
      expectStatus(res, 200, 'audit');
      return res.body.items;
    },
    async stop() {
      const st = await srv.stop();
      assert.doesNotMatch(srv.log, SANITIZER_REPORT, 'no sanitizer report in the server log');
      assert.equal(st.code, 0, `server exit ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
    },
  };
  return t;
}

const hotlineReport = (description) => ({ category: '0101', source: 'hotline', description, ...POINT, reporter_name: '王五', reporter_phone: '13800000000' });

describe('a report sent again', () => {
  let t;
  before(async () => {
    dir = tempDir('tk-retries-');
    template = path.join(dir, 'demo-template.db');
    const demo = await demoDatabase(template);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    t = await startServer('keys');
  });
  after(async () => {
    if (t) await t.stop();
  });

  test('1. the same key again: 200 with the same event, one event, one timeline row, the repeat audited', async () => {
    const body = hotlineReport('12345 工单 A-0001：路灯不亮');
    const first = await t.report('hotline', body, '12345-A-0001');
    expectStatus(first, 201, 'first');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await t.report('hotline', body, '12345-A-0001');
    expectStatus(again, 200, 'again');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('location'), `/api/v1/events/${first.body.id}`);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.number, first.body.number);
    assert.equal(again.body.township.name, first.body.township.name);
    assert.deepEqual(await t.find(body.description).then((l) => l.map((e) => e.id)), [first.body.id], 'one event');
    const ev = await t.call('admin', 'GET', `/api/v1/events/${first.body.id}`);
    assert.deepEqual(ev.body.timeline.map((r) => r.action), ['report'], 'one report on its timeline');
    const audit = await t.audit(first.body.id);
    assert.equal(audit.length, 2, JSON.stringify(audit));
    assert.deepEqual(audit.map((a) => a.outcome), ['ok', 'ok']);
    assert.equal(audit.filter((a) => a.detail.replayed === true).length, 1, 'the repeat is marked');
  });

  test('2. the repeat shows the event as it is now', async () => {
    const body = hotlineReport('12345 工单 A-0002：井盖缺失');
    const first = await t.report('hotline', body, '12345-A-0002');
    expectStatus(first, 201);
    expectStatus(await t.call('command', 'POST', `/api/v1/events/${first.body.id}/accept`, { note: '受理' }), 200, 'accept');
    const again = await t.report('hotline', body, '12345-A-0002');
    expectStatus(again, 200);
    assert.equal(again.body.state, 'accepted');
  });

  test('3. another report under a used key is refused (422) and writes nothing', async () => {
    const first = await t.report('hotline', hotlineReport('12345 工单 A-0003：占道经营'), 'A-0003');
    expectStatus(first, 201);
    const other = hotlineReport('12345 工单 A-0004：噪声扰民');
    expectProblem(await t.report('hotline', other, 'A-0003'), 422, 'idempotency_key_reused');
    expectProblem(await t.report('hotline', { ...hotlineReport('12345 工单 A-0003：占道经营'), urgency: 'urgent' }, 'A-0003'),
      422, 'idempotency_key_reused');
    assert.deepEqual(await t.find(other.description), [], 'nothing written');
    const refused = await t.call('admin', 'GET', '/api/v1/audit?action=event.create&outcome=failed&limit=50');
    assert.ok(refused.body.items.some((a) => a.detail.code === 'idempotency_key_reused'), 'the refusal is audited');
  });

  test('4. a key belongs to its account: the same key from another account is its own report', async () => {
    const hot = await t.report('hotline', hotlineReport('同一个键：热线'), 'shared-key-1');
    const grid = await t.report('grid', { category: '0101', source: 'grid_patrol', description: '同一个键：网格员', ...POINT }, 'shared-key-1');
    expectStatus(hot, 201);
    expectStatus(grid, 201);
    assert.notEqual(hot.body.id, grid.body.id);
  });

  test('5. ten copies sent at once make one event', async () => {
    const body = hotlineReport('12345 工单 A-0005：同时重发十次');
    const all = await Promise.all(Array.from({ length: 10 }, () => t.report('hotline', body, 'A-0005')));
    assert.deepEqual(all.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
      all.map((r) => r.text.slice(0, 200)).join('\n'));
    assert.equal(new Set(all.map((r) => r.body.id)).size, 1);
    assert.equal((await t.find(body.description)).length, 1);
  });

  test('6. without a key, the same report twice is two events (linked as possible duplicates)', async () => {
    const body = { ...hotlineReport('没有幂等键的两次上报'), category: '0102' }; // its own category: no earlier candidates
    const a = await t.report('hotline', body);
    const b = await t.report('hotline', body);
    expectStatus(a, 201);
    expectStatus(b, 201);
    assert.notEqual(a.body.id, b.body.id);
    assert.ok(b.body.possible_duplicates.includes(a.body.id), 'the second names the first');
  });

  test('7. a malformed key is 400 and nothing is written', async () => {
    for (const key of ['x'.repeat(65), 'has space', 'caf\u00e9', 'a/b', 'semi;colon']) {
      const text = `坏的幂等键 ${key.length}`;
      const res = await t.report('hotline', hotlineReport(text), key);
      expectProblem(res, 400, 'bad_idempotency_key');
      assert.deepEqual(await t.find(text), [], `nothing written for ${JSON.stringify(key)}`);
    }
    expectStatus(await t.report('hotline', hotlineReport('最长的键'), 'k'.repeat(64)), 201, '64 characters');
  });

  test('8. the key is kept with the event across kill -9', async () => {
    const body = hotlineReport('12345 工单 A-0008：断电前上报');
    const first = await t.report('hotline', body, 'A-0008');
    expectStatus(first, 201);
    await t.srv.kill9();
    const srv = await new Server({ dir, db: t.db, args: ['--data', DATA, '--manual-clock', START] }).start();
    try {
      const login = await http(srv, 'POST', '/api/v1/session', { json: { username: 'hotline', password: PASSWORDS.hotline, bearer: true } });
      expectStatus(login, 201);
      const again = await http(srv, 'POST', '/api/v1/events', { json: body, token: login.body.token, headers: { 'idempotency-key': 'A-0008' } });
      expectStatus(again, 200, 'after restart');
      assert.equal(again.body.id, first.body.id);
    } finally {
      const st = await srv.stop();
      assert.equal(st.code, 0, srv.log.slice(-2000));
      t = null;
    }
  });
});

describe('an action sent again', () => {
  let t;
  before(async () => {
    t = await startServer('actions');
  });
  after(async () => {
    if (t) await t.stop();
  });

  const act = (who, id, action, body, key) => t.call(who, 'POST', `/api/v1/events/${id}/${action}`, body,
    key === undefined ? {} : { 'idempotency-key': key });
  async function reported(text) {
    const res = await t.report('hotline', hotlineReport(text));
    expectStatus(res, 201);
    return res.body;
  }

  test('1. the same key again: done once, answered 200 with the event as it is, the repeat audited', async () => {
    const ev = await reported('动作重发：立案');
    const first = await act('command', ev.id, 'accept', { note: '立案' }, 'act-1');
    expectStatus(first, 200);
    assert.equal(first.body.state, 'accepted');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await act('command', ev.id, 'accept', { note: '立案' }, 'act-1');
    expectStatus(again, 200, 'the repeat');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.state, 'accepted');
    assert.deepEqual(again.body.timeline.map((r) => r.action), ['report', 'accept'], 'accepted once');
    const audit = await t.call('admin', 'GET', `/api/v1/audit?action=event.accept&target_id=${ev.id}&limit=10`);
    assert.deepEqual(audit.body.items.map((a) => [a.outcome, !!a.detail.replayed]).sort(), [['ok', false], ['ok', true]]);
    // Without a key the same press is refused: the state has moved on.
    const bare = await act('command', ev.id, 'accept', { note: '立案' });
    expectProblem(bare, 409, 'illegal_transition');
  });

  test('2. a comment sent three times is one comment', async () => {
    const ev = await reported('动作重发：备注');
    for (let i = 0; i < 3; i++) expectStatus(await act('command', ev.id, 'comment', { note: '已电话联系反映人' }, 'note-1'), 200);
    const now = await t.call('admin', 'GET', `/api/v1/events/${ev.id}`);
    assert.equal(now.body.timeline.filter((r) => r.action === 'comment').length, 1);
  });

  test('3. a key used for another action, another event or a report is refused (422); nothing changes', async () => {
    const a = await reported('动作重发：键已用过 A');
    const b = await reported('动作重发：键已用过 B');
    expectStatus(await act('command', a.id, 'comment', { note: '第一次' }, 'used-1'), 200);
    expectProblem(await act('command', a.id, 'comment', { note: '另一条备注' }, 'used-1'), 422, 'idempotency_key_reused');
    expectProblem(await act('command', b.id, 'comment', { note: '第一次' }, 'used-1'), 422, 'idempotency_key_reused');
    expectProblem(await act('command', a.id, 'accept', {}, 'used-1'), 422, 'idempotency_key_reused');
    const report = await t.report('command', hotlineReport('动作重发：上报用过的键'), 'used-2');
    expectStatus(report, 201);
    expectProblem(await act('command', a.id, 'comment', { note: 'x' }, 'used-2'), 422, 'idempotency_key_reused');
    for (const ev of [a, b]) {
      const now = await t.call('admin', 'GET', `/api/v1/events/${ev.id}`);
      assert.equal(now.body.state, 'reported');
      assert.equal(now.body.timeline.filter((r) => r.action === 'comment').length, ev === a ? 1 : 0);
    }
    expectProblem(await act('command', a.id, 'comment', { note: 'x' }, 'bad key'), 400, 'bad_idempotency_key');
  });

  test('4. a refused action leaves its key free: after the reason is fixed it goes through', async () => {
    const ev = await reported('动作重发：被拒后再试');
    expectProblem(await act('command', ev.id, 'reject', {}, 'rej-1'), 422, 'invalid_field');
    const ok = await act('command', ev.id, 'reject', { note: '已由物业处理' }, 'rej-2');
    expectStatus(ok, 200);
    assert.equal(ok.body.state, 'rejected');
  });
  test('5. a key is kept for a day: after it the same key is a new request, and old keys are let go', async () => {
    const body = hotlineReport('一天后用同一个键再报');
    const first = await t.report('command', body, 'day-1');
    expectStatus(first, 201);
    const res = await http(t.srv, 'POST', '/api/v1/_clock', { json: { advance_minutes: 25 * 60 } });
    expectStatus(res, 200, 'clock');
    const dayAgo = Date.parse(res.body.now) - 24 * 3600 * 1000;
    const sql = (q) => Number(execFileSync('sqlite3', [t.db, q], { encoding: 'utf8' }).trim());
    const old = () => sql(`SELECT count(*) FROM request_keys WHERE created_at <= ${dayAgo}`);
    const before = old();
    assert.ok(before >= 3, `the keys of the tests before are a day old: ${before}`);
    await t.login('command'); // the day ended the session
    const again = await t.report('command', body, 'day-1');
    expectStatus(again, 201, 'a new report a day later');
    assert.notEqual(again.body.id, first.body.id);
    // Two expired keys went with the new one, and day-1 is the new request's now.
    assert.ok(old() <= before - 2, `${before} expired keys before, ${old()} after`);
    assert.equal(sql(`SELECT count(*) FROM request_keys WHERE key = 'day-1' AND created_at <= ${dayAgo}`), 0);
    assert.equal(sql(`SELECT event_id FROM request_keys WHERE key = 'day-1'`), again.body.id);
  });
});

describe("a resident's reports of a day", () => {
  let t;
  before(async () => {
    t = await startServer('daily', ['--resident-daily-reports', '3']);
  });
  after(async () => {
    if (t) await t.stop();
  });

  const mine = (n) => ({ category: '0101', source: 'resident', description: `居民随手拍 第 ${n} 件`, ...POINT });

  test('1. the fourth report of the day is 429 until midnight, audited; a repeat and other roles pass', async () => {
    for (let n = 1; n <= 3; n++) expectStatus(await t.report('resident', mine(n), `r-${n}`), 201, `report ${n}`);
    const fourth = await t.report('resident', mine(4), 'r-4');
    expectProblem(fourth, 429, 'daily_report_limit');
    assert.match(fourth.body.detail, /3 件/);
    // 10:00 on the manual clock: 14 hours to midnight.
    assert.equal(fourth.headers.get('retry-after'), String(14 * 3600));
    assert.deepEqual(await t.find(mine(4).description), [], 'nothing written');
    const denied = await t.call('admin', 'GET', '/api/v1/audit?action=event.create&outcome=denied&limit=20');
    assert.ok(denied.body.items.some((a) => a.detail.code === 'daily_report_limit' && a.actor === 'resident'), denied.text);
    // The third sent again is a repeat, not a fourth report.
    expectStatus(await t.report('resident', mine(3), 'r-3'), 200, 'a repeat');
    // Grid workers and the hotline report on.
    expectStatus(await t.report('grid', { category: '0101', source: 'grid_patrol', description: '网格员不受限制', ...POINT }), 201);
    expectStatus(await t.report('hotline', hotlineReport('热线不受限制')), 201);
  });

  test('2. the next day the resident may report again', async () => {
    const res = await http(t.srv, 'POST', '/api/v1/_clock', { json: { now: '2026-03-03T00:00:01+08:00' } });
    expectStatus(res, 200, 'clock');
    await t.login('resident'); // the night ended the session
    expectStatus(await t.report('resident', mine(5), 'r-5'), 201, 'a new day');
  });
});
