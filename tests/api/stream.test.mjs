// The live stream, GET /api/v1/stream (server-sent events), on the 衢州 demo:
// who gets which change (the reporting township's desk, the county centre and
// the city leader, not another township's desk), transitions as they happen,
// Last-Event-ID, refusals (401, 403), clients that hang up (200 of them), and a
// graceful stop with 20 streams open.
//
// The demo is built once; one server runs on it with a 1 s heartbeat so that a
// client that went away is noticed quickly. Tests run in order; the last one
// stops the server.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, BIN, demoDatabase } from './lib/server.mjs';
import { request, loginClient, assertProblem, assertStatus } from './lib/auth.mjs';

const DATA = path.join(ROOT, 'data');
const SANITIZER = /asan/i.test(process.env.TIAOKUAI_BIN || BIN);
// UBSan reports do not change the exit status: look for them in the output.
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;
// Generous: delivery is immediate, but CI machines and sanitizers are slow.
const WAIT_MS = SANITIZER ? 30000 : 15000;

// ---- an SSE client on node:http, read as it arrives ----

class Stream {
  constructor(req, res) {
    this.req = req;
    this.res = res;
    this.status = res.statusCode;
    this.headers = res.headers;
    this.messages = [];
    this.waiters = [];
    this.buf = '';
    this.done = false;
    res.setEncoding('utf8');
    this.ended = new Promise((resolve) => {
      const finish = (complete) => {
        if (this.done) return;
        this.done = true;
        this.complete = complete;
        resolve({ complete });
        this.notify();
      };
      res.on('end', () => finish(true));
      res.on('error', () => finish(false));
      res.on('close', () => finish(res.complete));
    });
    res.on('data', (d) => {
      this.buf += d;
      this.parse();
    });
  }

  // Messages end with a blank line; fields as in the HTML spec (enough of it).
  parse() {
    let i;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const m = { event: 'message', id: null, retry: null, comment: null, data: null };
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          m.comment = line.slice(1).trim();
          continue;
        }
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let value = c < 0 ? '' : line.slice(c + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'id') m.id = value;
        else if (field === 'event') m.event = value;
        else if (field === 'retry') m.retry = Number(value);
      }
      if (data.length) {
        m.data = data.join('\n');
        m.json = JSON.parse(m.data);
      }
      this.messages.push(m);
    }
    this.notify();
  }

  // The change notices: { seq, id, number, action, state }.
  events() {
    return this.messages.filter((m) => m.event === 'event').map((m) => ({ seq: Number(m.id), ...m.json }));
  }

  notify() {
    for (const w of [...this.waiters]) {
      const found = w.find();
      if (found || this.done) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        if (found) w.resolve(found);
        else w.reject(new Error(`${this.name}: stream ended before ${w.what}; got ${this.describe()}`));
      }
    }
  }

  describe() {
    return JSON.stringify(this.messages.filter((m) => !m.comment));
  }

  // The first message that satisfies pred, waiting for it if needed.
  waitMessage(pred, what, timeout = WAIT_MS) {
    return new Promise((resolve, reject) => {
      const w = { find: () => this.messages.find(pred), resolve, reject, what };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no ${what} within ${timeout} ms; got ${this.describe()}`));
      }, timeout);
      this.waiters.push(w);
      this.notify();
    });
  }

  // The first change notice about event id (and action, if given).
  async waitEvent(id, action, timeout) {
    const m = await this.waitMessage((x) => x.event === 'event' && x.json.id === id && (!action || x.json.action === action),
      `${action || 'a notice'} of event ${id}`, timeout);
    return { seq: Number(m.id), ...m.json };
  }

  saw(id) {
    return this.events().some((e) => e.id === id);
  }

  close() {
    this.req.destroy();
  }
}

// Opens GET /api/v1/stream. A 200 resolves once the headers are in; a refusal
// is read whole and resolved as { status, body }.
function openStream(srv, token, { name = 'stream', headers = {} } = {}) {
  const h = { accept: 'text/event-stream', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path: '/api/v1/stream', headers: h, agent: false });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: res.statusCode, headers: res.headers, text, body: text ? JSON.parse(text) : null });
        });
        return;
      }
      const s = new Stream(req, res);
      s.name = name;
      resolve(s);
    });
    req.on('error', reject);
    req.end();
  });
}

// ---- the suite ----

describe('the live stream on the 衢州 demo', () => {
  let dir;
  let srv;
  const who = {}; // username -> Client
  let gridUnit; // the grid worker's own grid (航埠镇)
  let duzeGrid; // a grid of 杜泽镇, command2's township
  const open = []; // streams to close after each test

  async function stream(username, opts = {}) {
    const s = await openStream(srv, who[username].token, { name: username, ...opts });
    assert.equal(s.status, 200, `${username} opens the stream: ${JSON.stringify(s.body)}`);
    open.push(s);
    return s;
  }

  // Reports an event; returns { id, number }.
  async function report(username, grid, what) {
    const source = username === 'grid' ? 'grid_patrol' : 'hotline';
    const res = await who[username].post('/api/v1/events', {
      category: '0102', description: `实时推送测试：${what}`, grid_id: grid, source,
    });
    assertStatus(res, 201, `${username} reports ${what}`);
    return { id: res.body.id, number: res.body.number };
  }

  async function metric(name) {
    const res = await srv.get('/metrics');
    assert.equal(res.status, 200);
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(res.text);
    assert.ok(m, `${name} in /metrics`);
    return Number(m[1]);
  }

  // Polls until the number of open streams is n (closed clients are noticed
  // at the next heartbeat, 1 s here).
  async function expectSubscribers(n, timeout = WAIT_MS) {
    const until = Date.now() + timeout;
    let now;
    while ((now = await metric('tiaokuai_stream_subscribers')) !== n && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(now, n, 'open streams as counted by the server');
  }

  before(async () => {
    dir = tempDir('tk-stream-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    srv = await new Server({ dir, db, args: ['--data', DATA, '--stream-heartbeat', '1'] }).start();
    const users = readFileSync(path.join(DATA, 'demo-users.csv'), 'utf8').trim().split('\n').slice(1)
      .map((l) => l.split(','));
    for (const [username, , , , password] of users) {
      if (['command', 'command2', 'grid', 'center', 'leader', 'resident'].includes(username))
        who[username] = await loginClient(srv, username, password.trim());
    }
    const me = await who.grid.get('/api/v1/session');
    assertStatus(me, 200);
    gridUnit = me.body.user.unit.id;
    const grids = await who.command2.get('/api/v1/units?kind=grid&limit=1');
    assertStatus(grids, 200);
    duzeGrid = grids.body.items[0].id;
    assert.match(grids.body.items[0].code, /^330803115/, 'a grid of 杜泽镇');
  });

  after(async () => {
    for (const s of open) s.close();
    if (!srv) return;
    if (srv.proc.exitCode === null) {
      const st = await srv.stop();
      assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
    }
    assert.doesNotMatch(srv.log, SANITIZER_REPORT, 'no sanitizer report in the server log');
    srv.cleanup();
  });

  function closeAll() {
    for (const s of open.splice(0)) s.close();
  }
  afterEach(closeAll); // also when a test fails half-way

  test('401 without a session, 403 for a resident', async () => {
    const anon = await request(srv, 'GET', '/api/v1/stream');
    assertProblem(anon, 401, 'unauthenticated');
    const resident = await openStream(srv, who.resident.token);
    assert.equal(resident.status, 403);
    assert.equal(resident.body.code, 'forbidden');
    assert.match(resident.headers['content-type'], /^application\/problem\+json/);
  });

  test('headers, the retry line first, then heartbeats', async () => {
    const s = await stream('command');
    assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(s.headers['cache-control'], 'no-store');
    assert.equal(s.headers['x-accel-buffering'], 'no');
    const first = await s.waitMessage(() => true, 'a first message');
    assert.equal(first.retry, 3000, 'the first message sets the reconnection delay');
    await s.waitMessage((m) => m.comment === 'ping', 'a heartbeat comment');
  });

  test('a report reaches its township desk, the county centre and the leader; not another township', async () => {
    const cmd = await stream('command');
    const c2 = await stream('command2');
    const center = await stream('center');
    const leader = await stream('leader');
    for (const s of [cmd, c2, center, leader]) await s.waitMessage((m) => m.retry === 3000, 'the retry line');

    const a = await report('grid', gridUnit, '航埠镇 A');
    for (const s of [cmd, center, leader]) {
      const e = await s.waitEvent(a.id, 'report');
      assert.deepEqual({ id: e.id, number: e.number, action: e.action, state: e.state },
        { id: a.id, number: a.number, action: 'report', state: 'reported' }, `${s.name} gets the report`);
      assert.ok(Number.isSafeInteger(e.seq) && e.seq > 0, 'the message has a numeric id');
    }

    // A later event in 杜泽镇 is the fence: command2 sees its own, never A.
    const b = await report('command2', duzeGrid, '杜泽镇 B');
    await c2.waitEvent(b.id, 'report');
    await leader.waitEvent(b.id, 'report');
    assert.ok(!c2.saw(a.id), '杜泽镇 desk does not get 航埠镇 changes');

    // And the other way round: with C (航埠镇) in, B has not reached 航埠镇 or 柯城区.
    const c = await report('grid', gridUnit, '航埠镇 C');
    await cmd.waitEvent(c.id, 'report');
    await center.waitEvent(c.id, 'report');
    assert.ok(!cmd.saw(b.id), '航埠镇 desk does not get 杜泽镇 changes');
    assert.ok(!center.saw(b.id), '柯城区 centre does not get 衢江区 changes');
    assert.ok(!c2.saw(c.id));

    // Each stream's ids only grow.
    for (const s of [cmd, c2, center, leader]) {
      const seqs = s.events().map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${s.name}: ids in order`);
      assert.equal(new Set(seqs).size, seqs.length, `${s.name}: no duplicates`);
    }
  });

  test('an accept by the desk arrives as action accept, state accepted', async () => {
    const cmd = await stream('command');
    const leader = await stream('leader');
    const a = await report('grid', gridUnit, '待立案');
    await cmd.waitEvent(a.id, 'report');
    const res = await who.command.post(`/api/v1/events/${a.id}/accept`, { note: '立案' });
    assertStatus(res, 200, 'accept');
    for (const s of [cmd, leader]) {
      const e = await s.waitEvent(a.id, 'accept');
      assert.equal(e.state, 'accepted');
      assert.equal(e.number, a.number);
    }
    const [r1, r2] = [cmd.events().find((e) => e.id === a.id && e.action === 'report'),
      cmd.events().find((e) => e.id === a.id && e.action === 'accept')];
    assert.ok(r1.seq < r2.seq, 'the accept comes after the report');
  });

  test('GET /events/changes: the latest changes, newest first, older events too; notes left out; each sees its own', async () => {
    const changes = async (username, limit = 30) => {
      const res = await who[username].get(`/api/v1/events/changes?limit=${limit}`);
      assertStatus(res, 200, `${username} changes`);
      return res.body.items;
    };
    // The oldest report waiting at the desk, accepted now, then a note on it.
    const waiting = await who.command.get('/api/v1/events?state=reported&limit=100');
    assertStatus(waiting, 200);
    const old = waiting.body.items.at(-1);
    assertStatus(await who.command.post(`/api/v1/events/${old.id}/accept`, { note: '立案' }), 200, 'accept');
    assertStatus(await who.command.post(`/api/v1/events/${old.id}/comment`, { note: '备注不进入动态' }), 200, 'comment');
    const seen = await changes('leader');
    assert.equal(seen.length, 30);
    assert.deepEqual([seen[0].event.id, seen[0].action, seen[0].action_label, seen[0].event.state], [old.id, 'accept', '立案', 'accepted']);
    assert.deepEqual([seen[0].from_state, seen[0].to_state], ['reported', 'accepted'], 'the change says what it changed');
    const detail = (await who.command.get(`/api/v1/events/${old.id}`)).body.timeline.find((t) => t.action === 'accept').detail;
    assert.deepEqual(seen[0].detail, detail, 'with the timeline row\'s detail');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].id > seen[i].id, 'newest first');
    assert.ok(seen.every((c) => !['comment', 'attach', 'merged'].includes(c.action)), 'no notes, photos or merged rows');
    assert.ok(seen.every((c) => c.at && c.event.number), 'each with its time and event');
    // A township desk sees its township's changes only; another township's desk not this one.
    const mine = await changes('command2');
    assert.ok(mine.length > 0);
    assert.ok(mine.every((c) => c.event.township.id === mine[0].event.township.id), 'one township');
    assert.ok(!mine.some((c) => c.event.id === old.id), 'not another township\'s');
    assertProblem(await who.resident.get('/api/v1/events/changes'), 403, 'forbidden');
    for (const bad of ['0', '101', 'x']) assertProblem(await who.leader.get(`/api/v1/events/changes?limit=${bad}`), 422, 'invalid_field');
  });

  test('a stream ends when its session is logged out; the other sessions stream on', async () => {
    const users = readFileSync(path.join(DATA, 'demo-users.csv'), 'utf8').trim().split('\n');
    const password = users.find((l) => l.startsWith('command,')).split(',')[4].trim();
    const second = await loginClient(srv, 'command', password); // a second session of the same user
    const leaving = await openStream(srv, second.token, { name: 'command (logging out)' });
    assert.equal(leaving.status, 200);
    open.push(leaving);
    const staying = await stream('command');
    await leaving.waitMessage((m) => m.comment === 'ping', 'a heartbeat before the logout');
    assertStatus(await second.delete('/api/v1/session'), 204, 'logout');
    // The next heartbeat (1 s) notices; the stream ends cleanly.
    const end = await Promise.race([leaving.ended,
      new Promise((r) => setTimeout(() => r('still open'), WAIT_MS))]);
    assert.notEqual(end, 'still open', 'the logged-out stream ended');
    assert.equal(staying.done, false, 'the session still logged in keeps its stream');
    const ev = await report('grid', gridUnit, '登出后的推送');
    await staying.waitEvent(ev.id, 'report');
    // And the session is refused everywhere else.
    const again = await openStream(srv, second.token);
    assert.equal(again.status, 401);
  });

  test('Last-Event-ID: what was missed is replayed; an unknown id gets a reset', async () => {
    const first = await stream('leader');
    const a = await report('grid', gridUnit, '断线前');
    const seen = await first.waitEvent(a.id, 'report');
    first.close();

    const b = await report('grid', gridUnit, '断线期间');
    const again = await stream('leader', { headers: { 'last-event-id': String(seen.seq) } });
    const replayed = await again.waitEvent(b.id, 'report');
    assert.ok(replayed.seq > seen.seq);
    assert.ok(!again.saw(a.id), 'what the client had is not sent again');

    // command2 reconnecting from the same point gets nothing of 航埠镇.
    const c2 = await stream('command2', { headers: { 'last-event-id': String(seen.seq) } });
    const fence = await report('command2', duzeGrid, '重连后');
    await c2.waitEvent(fence.id, 'report');
    assert.ok(!c2.saw(b.id), 'replay is filtered by scope too');

    const stale = await stream('leader', { headers: { 'last-event-id': '1' } });
    const reset = await stale.waitMessage((m) => m.event === 'reset', 'a reset');
    assert.ok(Number(reset.id) >= Number(replayed.seq), 'the reset carries the current id');
  });

  test('200 clients that hang up are removed; the server stays healthy', async () => {
    await expectSubscribers(0);
    const token = who.leader.token;
    const BATCH = 20;
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: BATCH }, () => openStream(srv, token, { name: 'churn' })));
      for (const s of batch) assert.equal(s.status, 200);
      await Promise.all(batch.map((s) => s.waitMessage((m) => m.retry === 3000, 'the retry line')));
      for (const s of batch) s.close();
      // A hang-up is noticed when the stream is next written to: at the next
      // heartbeat, or (every other round) at once, by a change they may see.
      if (round % 2) await report('grid', gridUnit, `断开 ${round}`);
      await expectSubscribers(0);
    }
    assert.equal(await metric('tiaokuai_stream_dropped_total'), 0, 'nobody was dropped for a full queue');
    const health = await srv.get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    // Still delivering.
    const s = await stream('leader');
    const e = await report('grid', gridUnit, '之后');
    await s.waitEvent(e.id, 'report');
    closeAll();
    await expectSubscribers(0);
  });

  test('SIGTERM with 20 streams open: the streams end cleanly and the server exits 0 promptly', async () => {
    const names = ['command', 'command2', 'center', 'leader'];
    const streams = [];
    for (let i = 0; i < 20; i++) streams.push(await stream(names[i % names.length]));
    await Promise.all(streams.map((s) => s.waitMessage((m) => m.retry === 3000, 'the retry line')));
    await expectSubscribers(20);
    const started = Date.now();
    const st = await srv.stop();
    const took = Date.now() - started;
    assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
    // Within the default shutdown grace of 10 s; in practice well under a second.
    assert.ok(took < 10000, `stopped in ${took} ms`);
    const ends = await Promise.all(streams.map((s) => s.ended));
    assert.deepEqual(ends.map((x) => x.complete), streams.map(() => true), 'every stream ended with the closing chunk');
    const m = /msg="ending streams" count=(\d+)/.exec(srv.log);
    assert.ok(m && Number(m[1]) >= 20, 'the shutdown hook ended the streams');
    assert.doesNotMatch(srv.log, /stopping with requests in flight/);
    open.splice(0);
  });
});
