// 结果回传 on the 衢州 demo: the admin gives the 12345 hotline's integration account a
// callback URL; every change of an event the hotline reported is posted to it, signed
// with the callback's secret, in order, once the change is committed. A receiver that
// fails is tried again after a growing pause (the server runs on a manual clock, moved
// through POST /api/v1/_clock, which answers once what it made due has been tried);
// after ten attempts the delivery is failed, the queue goes on, and the admin can send
// it again. The queue survives kill -9. The receiver here is a Node HTTP server in the
// test that records what it gets and answers as told.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { Server, tempDir, ROOT, demoDatabase } from './lib/server.mjs';

const DATA = path.join(ROOT, 'data');
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;
const START = '2026-03-02T10:00:00+08:00'; // a Monday
const PASSWORDS = {
  admin: 'Demo-Admin-2026', command: 'Demo-Command-2026', grid: 'Demo-Grid-2026',
  hotline: 'Demo-Hotline-2026', module: 'Demo-Module-2026',
};

let dir;
let template;

async function http(base, method, urlPath, { json, token } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + urlPath, { method, headers, body });
  const text = await res.text();
  const ct = res.headers.get('content-type') || '';
  return { status: res.status, headers: res.headers, body: ct.includes('json') && text ? JSON.parse(text) : text, text };
}

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 1000)}`);
}

function expectProblem(res, status, code, field) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/);
  assert.equal(res.body.code, code, res.text);
  if (field) assert.equal(res.body.field, field, res.text);
  assert.ok(res.body.detail && /[\u4e00-\u9fff]/.test(res.body.detail), `a reason in Chinese: ${res.text}`);
}

// The hotline system's end: records every POST; answers with the next status of
// `answers` (then 200). close() stops it, so that connections are refused.
async function startReceiver(port = 0) {
  const r = { got: [], answers: [] };
  r.server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      r.got.push({ headers: req.headers, body, json: JSON.parse(body), url: req.url });
      const status = r.answers.length ? r.answers.shift() : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise((ok) => r.server.listen(port, '127.0.0.1', ok));
  r.port = r.server.address().port;
  r.url = `http://127.0.0.1:${r.port}/12345/callback`;
  r.close = () => new Promise((ok) => r.server.close(ok));
  return r;
}

async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

function verifySignature(got, secret) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got.headers['x-tiaokuai-signature'] || '');
  assert.ok(m, `a signature header: ${got.headers['x-tiaokuai-signature']}`);
  const mac = createHmac('sha256', secret).update(`${m[1]}.${got.body}`).digest('hex');
  return mac === m[2];
}

async function startServer(name) {
  const db = path.join(dir, `${name}.db`);
  copyFileSync(template, db);
  const t = { db };
  t.open = async (at = START) => {
    t.srv = await new Server({ dir, db, args: ['--data', DATA, '--manual-clock', at] }).start();
    await t.login();
  };
  // Sessions end after 30 idle minutes of the manual clock: log in again after moving it.
  t.login = async () => {
    t.tokens = {};
    for (const who of Object.keys(PASSWORDS)) {
      const res = await http(t.srv.base, 'POST', '/api/v1/session', { json: { username: who, password: PASSWORDS[who], bearer: true } });
      expectStatus(res, 201, `login ${who}`);
      t.tokens[who] = res.body.token;
    }
  };
  await t.open();
  t.call = (who, method, p, json) => http(t.srv.base, method, p, { json, token: t.tokens[who] });
  t.advance = async (minutes) => expectStatus(await t.call('admin', 'POST', '/api/v1/_clock', { advance_minutes: minutes }), 200, 'clock');
  t.userId = async (username) => {
    const res = await t.call('admin', 'GET', `/api/v1/users?q=${username}&limit=50`);
    expectStatus(res, 200, 'users');
    return res.body.items.find((u) => u.username === username).id;
  };
  t.point = async () => {
    const me = await t.call('grid', 'GET', '/api/v1/session');
    const grid = await t.call('admin', 'GET', `/api/v1/units/${me.body.user.unit.id}`);
    return { lng: grid.body.lng, lat: grid.body.lat };
  };
  t.deliveries = async (cb, query = '') => {
    const res = await t.call('admin', 'GET', `/api/v1/callbacks/${cb}/deliveries${query}`);
    expectStatus(res, 200, 'deliveries');
    return res.body.items;
  };
  t.callback = async (cb) => (await t.call('admin', 'GET', '/api/v1/callbacks')).body.items.find((c) => c.id === cb);
  t.stop = async () => {
    const st = await t.srv.stop();
    assert.doesNotMatch(t.srv.log, SANITIZER_REPORT, 'no sanitizer report in the server log');
    assert.equal(st.code, 0, `server exit ${JSON.stringify(st)}\n${t.srv.log.slice(-3000)}`);
  };
  return t;
}

describe('结果回传', () => {
  let t;
  let rx;
  let cb; // the hotline's callback, as created
  let point;
  let hotline;
  const report = async (text, extra = {}) => {
    const res = await t.call('hotline', 'POST', '/api/v1/events', {
      category: '0101', source: 'hotline', description: text, ...point, reporter_name: '王五', reporter_phone: '13800000000', ...extra,
    });
    expectStatus(res, 201, 'report');
    return res.body;
  };
  const act = async (who, id, action, body) => {
    const res = await t.call(who, 'POST', `/api/v1/events/${id}/${action}`, body);
    expectStatus(res, 200, action);
    return res.body;
  };
  const of = (ev) => rx.got.filter((g) => g.json.event_id === ev.id);

  before(async () => {
    dir = tempDir('tk-callbacks-');
    template = path.join(dir, 'demo-template.db');
    const demo = await demoDatabase(template);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    t = await startServer('callbacks');
    rx = await startReceiver();
    point = await t.point();
    hotline = await t.userId('hotline');
  });
  after(async () => {
    if (rx) await rx.close();
    if (t) await t.stop();
  });

  test('1. the admin gives the hotline account a callback: the secret is shown once, never audited', async () => {
    const res = await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: hotline, url: rx.url });
    expectStatus(res, 201, 'create');
    cb = res.body;
    assert.match(cb.secret, /^[0-9a-f]{64}$/);
    assert.equal(cb.secret_hint, `…${cb.secret.slice(-4)}`);
    assert.equal(cb.username, 'hotline');
    assert.equal(cb.active, true);
    assert.deepEqual([cb.pending, cb.delivered, cb.failed], [0, 0, 0]);
    const list = await t.call('admin', 'GET', '/api/v1/callbacks');
    expectStatus(list, 200);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].secret, undefined, 'the list never shows the secret');
    const audit = await t.call('admin', 'GET', '/api/v1/audit?action=callback.create&limit=10');
    assert.equal(audit.body.items.length, 1, audit.text);
    assert.equal(audit.body.items[0].detail.url, rx.url);
    assert.ok(!audit.text.includes(cb.secret), 'the audit log does not hold the secret');
  });

  test('2. refusals: not an integration account, a second callback, bad addresses, wrong role, unknown ids', async () => {
    const command = await t.userId('command');
    expectProblem(await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: command, url: rx.url }), 422, 'invalid_field', 'user_id');
    expectProblem(await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: 999999, url: rx.url }), 422, 'invalid_field', 'user_id');
    expectProblem(await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: hotline, url: rx.url }), 409, 'callback_exists');
    for (const url of ['ftp://example.com/x', 'example.com/hook', 'http://', 'javascript:alert(1)', 'http://a b/c', 'file:///etc/passwd']) {
      expectProblem(await t.call('admin', 'PATCH', `/api/v1/callbacks/${cb.id}`, { url }), 422, 'invalid_field', 'url');
    }
    expectStatus(await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: hotline, url: rx.url, secret: 'mine' }), 422, 'unknown field');
    expectStatus(await t.call('command', 'GET', '/api/v1/callbacks'), 403, 'a desk');
    expectStatus(await t.call('hotline', 'POST', `/api/v1/callbacks/${cb.id}/secret`), 403, 'the account itself');
    expectProblem(await t.call('admin', 'GET', '/api/v1/callbacks/9999/deliveries'), 404, 'callback_not_found');
    expectProblem(await t.call('admin', 'PATCH', '/api/v1/callbacks/9999', { active: false }), 404, 'callback_not_found');
    expectStatus(await t.call('admin', 'GET', `/api/v1/callbacks/${cb.id}/deliveries?status=lost`), 400, 'status');
    const after = await t.callback(cb.id);
    assert.equal(after.url, rx.url, 'nothing changed');
  });

  test('3. each change of a hotline event is posted in order, signed, with the ticket number; the report itself is not', async () => {
    const ev = await report('12345 工单：路灯不亮（回传）', { external_ref: 'QZ12345-20260302-0001' });
    assert.equal(ev.external_ref, 'QZ12345-20260302-0001');
    const found = await t.call('command', 'GET', '/api/v1/events?q=QZ12345-20260302-0001');
    expectStatus(found, 200, 'search by the ticket number');
    assert.deepEqual(found.body.items.map((e) => e.id), [ev.id], 'the desk finds the ticket by its number');
    const part = await t.call('command', 'GET', '/api/v1/events?q=QZ12345-20260302');
    assert.ok(!part.body.items.some((e) => e.id === ev.id), 'a ticket number is matched whole');
    await act('command', ev.id, 'accept', { note: '受理' });
    const commented = await act('command', ev.id, 'comment', { note: '已联系报告人核实位置' });
    await until('two posts', () => of(ev).length === 2);
    const [a, b] = of(ev);
    for (const g of [a, b]) {
      assert.ok(verifySignature(g, cb.secret), 'the signature verifies with the secret');
      assert.equal(g.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(g.headers['x-tiaokuai-delivery'], String(g.json.delivery_id));
      assert.equal(g.url, '/12345/callback');
      assert.equal(g.json.number, ev.number);
      assert.equal(g.json.external_ref, 'QZ12345-20260302-0001');
    }
    assert.deepEqual([a.json.action, a.json.action_label, a.json.from_state, a.json.to_state, a.json.state_label, a.json.note],
      ['accept', '立案', 'reported', 'accepted', '已立案', '受理']);
    assert.equal(b.json.action, 'comment');
    assert.equal(b.json.note, '已联系报告人核实位置');
    assert.equal(b.json.to_state, commented.state);
    assert.ok(a.json.delivery_id < b.json.delivery_id);
    assert.ok(!verifySignature(a, 'f'.repeat(64)), 'another secret does not verify');
    await t.advance(0); // the receiver's answer is recorded by the end of the sender's pass
    const list = await t.deliveries(cb.id);
    assert.deepEqual(list.slice(0, 2).map((d) => [d.action, d.status, d.status_label, d.attempts, d.last_status]),
      [['comment', 'delivered', '已送达', 1, 200], ['accept', 'delivered', '已送达', 1, 200]]);
    const row = await t.callback(cb.id);
    assert.equal(row.delivered, 2);
    assert.ok(row.last_delivered_at);
  });

  test('4. events other accounts reported are not posted', async () => {
    const before = rx.got.length;
    const res = await t.call('grid', 'POST', '/api/v1/events', { category: '0101', source: 'grid_patrol', description: '网格员上报（不回传）', ...point });
    expectStatus(res, 201);
    await act('command', res.body.id, 'accept', { note: '受理' });
    await t.advance(0); // the sender's pass is over
    assert.equal(rx.got.length, before);
    assert.equal((await t.callback(cb.id)).pending, 0);
  });

  test('5. a failing receiver: tried again after 30 s, then 1 min; the deliveries behind it wait their turn', async () => {
    const ev = await report('12345 工单：对方系统故障');
    rx.answers.push(500, 503);
    await act('command', ev.id, 'accept', { note: '受理' });
    await until('the first attempt', () => of(ev).length === 1);
    await act('command', ev.id, 'comment', { note: '第二条变化' });
    await t.advance(0);
    let list = await t.deliveries(cb.id, '?status=pending');
    assert.deepEqual(list.map((d) => [d.action, d.attempts]), [['comment', 0], ['accept', 1]], 'the second waits behind the first');
    assert.equal(list[1].last_status, 500);
    assert.equal(list[1].last_error, '对方返回 HTTP 500');
    const clock = (await t.call('admin', 'GET', '/api/v1/_clock')).body.now;
    assert.equal(Date.parse(list[1].next_at) - Date.parse(clock), 30000, 'the first pause is 30 s');
    assert.equal(of(ev).length, 1);
    await t.advance(1); // the second attempt: 503
    assert.equal(of(ev).length, 2);
    list = await t.deliveries(cb.id, '?status=pending');
    assert.deepEqual(list.map((d) => [d.action, d.attempts]), [['comment', 0], ['accept', 2]]);
    await t.advance(1); // 60 s after the second: delivered, and the one behind it
    await until('both delivered', () => of(ev).length === 4);
    assert.deepEqual(of(ev).map((g) => g.json.action), ['accept', 'accept', 'accept', 'comment'], 'in order');
    assert.equal(new Set(of(ev).slice(0, 3).map((g) => g.json.delivery_id)).size, 1, 'one delivery id on every attempt');
    assert.deepEqual((await t.deliveries(cb.id)).slice(0, 2).map((d) => [d.action, d.status, d.attempts]),
      [['comment', 'delivered', 1], ['accept', 'delivered', 3]]);
  });

  test('6. after ten attempts a delivery fails, the queue goes on, and the admin sends it again', async () => {
    const ev = await report('12345 工单：十次失败');
    rx.answers.push(...Array(10).fill(502));
    await act('command', ev.id, 'accept', { note: '受理' });
    await until('the first attempt', () => of(ev).length === 1);
    await act('command', ev.id, 'comment', { note: '排在失败之后' });
    for (let i = 0; i < 9; i++) await t.advance(61);
    await until('ten attempts, then the next one', () => of(ev).length === 11);
    await t.advance(0);
    await t.login();
    const all = await t.deliveries(cb.id, '?limit=2');
    const failed = all.find((d) => d.action === 'accept');
    assert.deepEqual([failed.status, failed.status_label, failed.attempts, failed.last_status], ['failed', '推送失败', 10, 502]);
    assert.equal(all.find((d) => d.action === 'comment').status, 'delivered', 'the queue went on');
    assert.equal((await t.callback(cb.id)).failed, 1);
    // What an operator alerts on: /metrics counts the failed one and the refused attempts.
    const metric = async (name) => {
      const text = (await http(t.srv.base, 'GET', '/metrics')).text;
      const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `${name} in /metrics`);
      return Number(m[1]);
    };
    assert.equal(await metric('tiaokuai_callback_failed'), 1);
    assert.equal(await metric('tiaokuai_callback_pending'), 0);
    assert.ok(await metric('tiaokuai_callback_attempts_total{outcome="refused"}') >= 10 + 2, 'the 500, 503 and ten 502s');
    assert.ok(await metric('tiaokuai_callback_attempts_total{outcome="delivered"}') >= 5);
    expectProblem(await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/deliveries/${all[0].id}/retry`), 409, 'delivery_not_failed');
    const again = await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/deliveries/${failed.id}/retry`);
    expectStatus(again, 200, 'retry');
    assert.equal(again.body.id, failed.id);
    await until('sent again', () => of(ev).length === 12);
    await t.advance(0); // the receiver's answer is recorded by the end of the sender's pass
    const done = (await t.deliveries(cb.id)).find((d) => d.id === failed.id);
    assert.equal(done.status, 'delivered');
    const audit = await t.call('admin', 'GET', '/api/v1/audit?action=callback.retry&limit=10');
    assert.equal(audit.body.items[0].detail.delivery_id, failed.id);
  });

  test('7. paused, the changes queue; resumed, they are sent', async () => {
    expectStatus(await t.call('admin', 'PATCH', `/api/v1/callbacks/${cb.id}`, { active: false }), 200, 'pause');
    const ev = await report('12345 工单：暂停期间');
    await act('command', ev.id, 'accept', { note: '受理' });
    await t.advance(0);
    assert.equal(of(ev).length, 0);
    assert.equal((await t.callback(cb.id)).pending, 1);
    const on = await t.call('admin', 'PATCH', `/api/v1/callbacks/${cb.id}`, { active: true });
    expectStatus(on, 200, 'resume');
    await until('sent after resuming', () => of(ev).length === 1);
  });

  test('8. a new secret signs what follows; the old one no longer verifies', async () => {
    const res = await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/secret`);
    expectStatus(res, 200, 'new secret');
    assert.notEqual(res.body.secret, cb.secret);
    const ev = await report('12345 工单：换密钥之后');
    await act('command', ev.id, 'accept', { note: '受理' });
    await until('posted', () => of(ev).length === 1);
    assert.ok(verifySignature(of(ev)[0], res.body.secret));
    assert.ok(!verifySignature(of(ev)[0], cb.secret));
    cb = res.body;
  });

  test('8b. 测试推送: a signed ping, answered with what the receiver said; nothing queued', async () => {
    await t.advance(0); // the answer to the last push is recorded
    const before = await t.callback(cb.id);
    const ok = await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/test`);
    expectStatus(ok, 200, 'ping');
    assert.deepEqual([ok.body.ok, ok.body.status, ok.body.error], [true, 200, null]);
    assert.ok(Number.isInteger(ok.body.elapsed_ms) && ok.body.elapsed_ms >= 0);
    const ping = rx.got.at(-1);
    assert.equal(ping.headers['x-tiaokuai-delivery'], 'ping');
    assert.deepEqual([ping.json.action, ping.json.action_label, ping.json.callback_id], ['ping', '测试推送', cb.id]);
    assert.ok(verifySignature(ping, cb.secret), 'signed with the current secret');
    rx.answers.push(500);
    const refused = await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/test`);
    expectStatus(refused, 200, 'ping refused');
    assert.deepEqual([refused.body.ok, refused.body.status, refused.body.error], [false, 500, '对方返回 HTTP 500']);
    const after = await t.callback(cb.id);
    assert.deepEqual([after.pending, after.delivered, after.failed], [before.pending, before.delivered, before.failed], 'nothing queued');
    expectProblem(await t.call('admin', 'POST', '/api/v1/callbacks/9999/test'), 404, 'callback_not_found');
    expectStatus(await t.call('command', 'POST', `/api/v1/callbacks/${cb.id}/test`), 403, 'a desk');
  });

  test('9. a merged hotline report is posted as 已合并 with the event it went into', async () => {
    const main = await report('12345 工单：主件');
    await act('command', main.id, 'accept', { note: '受理' });
    const dup = await report('12345 工单：重复来电', { external_ref: 'QZ12345-DUP' });
    await act('command', dup.id, 'merge', { into: main.id, note: '同一问题' });
    await until('the merge posted', () => of(dup).length === 1);
    const g = of(dup)[0].json;
    assert.deepEqual([g.action, g.to_state, g.state_label, g.merged_into, g.external_ref], ['merge', 'void', '已合并', main.number, 'QZ12345-DUP']);
  });

  test('9b. the hotline presses (催办) and calls back (回访) for the citizen, on its own tickets only', async () => {
    const ev = await report('12345 工单：来电催促', { external_ref: 'QZ12345-URGE' });
    await act('command', ev.id, 'accept', { note: '受理' });
    const urged = await act('hotline', ev.id, 'urge', { note: '市民再次来电催促' });
    const row = urged.timeline.at(-1);
    assert.deepEqual([row.action, row.role, row.note], ['urge', 'integration', '市民再次来电催促']);
    const grid = await t.call('grid', 'POST', '/api/v1/events', { category: '0101', source: 'grid_patrol', description: '网格员自己的事件', ...point });
    expectProblem(await t.call('hotline', 'POST', `/api/v1/events/${grid.body.id}/urge`, {}), 403, 'not_reporter');
    expectProblem(await t.call('hotline', 'POST', `/api/v1/events/${ev.id}/comment`, { note: '对接系统不能备注' }), 403, 'forbidden');
    // Through to 结案, then the hotline's 回访 with the citizen's satisfaction.
    const me = (await t.call('module', 'GET', '/api/v1/session')).body.user;
    const close = async (id) => {
      await act('command', id, 'dispatch', { unit_id: me.unit.id, user_id: me.id });
      await act('module', id, 'sign');
      await act('module', id, 'feedback', { note: '已处理' });
      await act('grid', id, 'verify', { passed: true, note: '现场已处理' });
      await act('command', id, 'close', { note: '办结' });
    };
    await close(ev.id);
    const rated = await act('hotline', ev.id, 'revisit', { satisfaction: 4, note: '市民表示满意' });
    assert.deepEqual([rated.state, rated.satisfaction], ['archived', 4]);
    await until('the 回访 posted back', () => of(ev).some((g) => g.json.action === 'revisit'));
    const back = of(ev).find((g) => g.json.action === 'revisit').json;
    assert.deepEqual([back.to_state, back.satisfaction, back.external_ref], ['archived', 4, 'QZ12345-URGE']);
    assert.deepEqual(of(ev).map((g) => g.json.action), ['accept', 'urge', 'dispatch', 'sign', 'feedback', 'verify', 'close', 'revisit']);
    // Another's closed event: the hotline may not call back, and nothing changes.
    await act('command', grid.body.id, 'accept', { note: '受理' });
    await close(grid.body.id);
    expectProblem(await t.call('hotline', 'POST', `/api/v1/events/${grid.body.id}/revisit`, { satisfaction: 5 }), 403, 'not_reporter');
    const still = await t.call('admin', 'GET', `/api/v1/events/${grid.body.id}`);
    assert.deepEqual([still.body.state, still.body.satisfaction], ['closed', null]);
  });

  test('10. the queue survives kill -9: what was committed while the receiver was down is sent after the restart', async () => {
    const port = rx.port;
    await rx.close();
    const ev = await report('12345 工单：断电前');
    await act('command', ev.id, 'accept', { note: '受理' });
    await t.advance(0);
    const pending = await t.deliveries(cb.id, '?status=pending');
    assert.equal(pending.length, 1);
    assert.equal(pending[0].last_status, null);
    assert.match(pending[0].last_error, /^无法连接对方服务器（.*connect/i);
    const ping = await t.call('admin', 'POST', `/api/v1/callbacks/${cb.id}/test`);
    assert.deepEqual([ping.body.ok, ping.body.status], [false, null], ping.text);
    assert.match(ping.body.error, /^无法连接对方服务器/);
    const now = (await t.call('admin', 'GET', '/api/v1/_clock')).body.now;
    await t.srv.kill9();
    rx = await startReceiver(port);
    await t.open(now); // the clock goes on where it was
    await t.advance(1);
    await until('sent after the restart', () => of(ev).length === 1);
    assert.equal(of(ev)[0].json.action, 'accept');
    assert.ok(verifySignature(of(ev)[0], cb.secret));
  });

  test('11. deleting the callback deletes its queue; the account may be given a new one', async () => {
    expectStatus(await t.call('admin', 'DELETE', `/api/v1/callbacks/${cb.id}`), 204, 'delete');
    expectProblem(await t.call('admin', 'GET', `/api/v1/callbacks/${cb.id}/deliveries`), 404, 'callback_not_found');
    const ev = await report('12345 工单：删除之后');
    await act('command', ev.id, 'accept', { note: '受理' });
    await t.advance(0);
    assert.equal(of(ev).length, 0);
    const again = await t.call('admin', 'POST', '/api/v1/callbacks', { user_id: hotline, url: rx.url, active: false });
    expectStatus(again, 201, 'a new one');
    assert.equal(again.body.active, false);
  });
});
