// The foundation: health, metrics, routing errors, strict JSON, body limits,
// static files, idle connections, durability of acknowledged writes, shutdown.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import http from 'node:http';
import { Server, rawRequest, parseRawResponse, runCli } from './lib/server.mjs';

function assertProblem(res, status, code) {
  assert.equal(res.status, status, `status of ${JSON.stringify(res.body)}`);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  if (code) assert.equal(res.body.code, code);
}

function postRaw(port, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST',
      headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('foundation', () => {
  let srv;
  before(async () => { srv = await new Server({ args: ['--probe', '1', '--per-ip-connections', '200'] }).start(); });
  after(async () => {
    const st = await srv.stop();
    srv.cleanup();
    assert.equal(st.code, 0, `server exit status ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
  });

  test('GET /healthz reports version, database and uptime', async () => {
    const res = await srv.get('/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.database, 'ok');
    assert.match(res.body.version, /^\d+\.\d+\.\d+$/);
    assert.ok(Number.isInteger(res.body.uptime_s) && res.body.uptime_s >= 0);
  });

  test('GET /metrics counts requests by route and status and shows the writer', async () => {
    await srv.get('/healthz');
    await srv.get('/api/v1/no-such-thing');
    await srv.post('/api/v1/_probe/writes', { key: 'metrics-probe' });
    const res = await srv.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    const m = /tiaokuai_http_requests_total\{route="GET \/healthz",status="200"\} (\d+)/.exec(res.text);
    assert.ok(m && Number(m[1]) >= 1, 'healthz counted');
    assert.match(res.text, /tiaokuai_http_requests_total\{route="GET \/\{\*path\}",status="404"\} \d+/);
    assert.match(res.text, /tiaokuai_http_request_duration_seconds_bucket\{route="GET \/healthz",le="\+Inf"\} \d+/);
    assert.match(res.text, /tiaokuai_write_queue_depth \d+/);
    const jobs = /tiaokuai_write_jobs_total (\d+)/.exec(res.text);
    assert.ok(jobs && Number(jobs[1]) >= 1, 'write jobs counted');
    assert.match(res.text, /tiaokuai_write_batch_size_bucket\{le="1"\} \d+/);
  });

  test('unknown API path is a 404 problem; wrong method is a 405 with Allow', async () => {
    assertProblem(await srv.get('/api/v1/nothing/here'), 404, 'not_found');
    const res = await srv.request('DELETE', '/healthz');
    assertProblem(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET');
  });

  test('an acknowledged write can be read back; a duplicate is a 409', async () => {
    const res = await srv.post('/api/v1/_probe/writes', { key: 'k-1' });
    assert.equal(res.status, 201);
    assert.equal(res.body.key, 'k-1');
    const back = await srv.get('/api/v1/_probe/writes/k-1');
    assert.equal(back.status, 200);
    assert.equal(back.body.id, res.body.id);
    assertProblem(await srv.post('/api/v1/_probe/writes', { key: 'k-1' }), 409, 'duplicate_key');
    assertProblem(await srv.get('/api/v1/_probe/writes/k-unknown'), 404);
  });

  describe('bad input gets a 4xx problem and the server keeps serving', () => {
    const cases = [
      ['malformed JSON', '{"key": ', 400, 'invalid_json'],
      ['trailing garbage', '{"key":"a"} x', 400, 'invalid_json'],
      ['duplicate keys', '{"key":"a","key":"b"}', 400, 'invalid_json'],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 400, 'invalid_json'],
      ['a NUL byte', Buffer.from('{"key":"a\u0000b"}'), 400, 'invalid_json'],
      ['an escaped NUL', '{"key":"a\\u0000b"}', 400, 'invalid_json'],
      ['2,000-deep nesting', '['.repeat(2000) + ']'.repeat(2000), 400, 'json_too_deep'],
      ['an empty body', '', 400, 'invalid_json'],
      ['a JSON array instead of an object', '[1,2]', 400, 'invalid_json'],
      ['a missing field', '{}', 422, 'invalid_field'],
    ];
    for (const [name, body, status, code] of cases) {
      test(name, async () => {
        const res = await postRaw(srv.port, '/api/v1/_probe/writes', body);
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.headers['content-type'], /^application\/problem\+json/);
        assert.equal(res.body.code, code);
        assert.equal((await srv.get('/healthz')).status, 200);
      });
    }

    test('a wrong content type is a 415', async () => {
      const res = await srv.request('POST', '/api/v1/_probe/writes', { body: 'key=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assertProblem(res, 415, 'unsupported_media_type');
    });

    test('a 10 MB body announced by Content-Length is refused with 413', async () => {
      // The refusal comes from the headers alone: send them and the first bytes only.
      const head = `POST /api/v1/_probe/writes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`;
      const raw = parseRawResponse(await rawRequest(srv.port, Buffer.concat([Buffer.from(head), Buffer.alloc(65536, 0x20)])));
      assert.equal(raw.status, 413);
      assert.match(raw.headers['content-type'], /problem\+json/);
      assert.equal(JSON.parse(raw.body).code, 'body_too_large');
      assert.equal((await srv.get('/healthz')).status, 200);
    });

    test('a 10 MB chunked body is refused with 413', async () => {
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let data = Buffer.from('POST /api/v1/_probe/writes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
      for (let i = 0; i < 10; i++) data = Buffer.concat([data, Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]);
      data = Buffer.concat([data, Buffer.from('0\r\n\r\n')]);
      const raw = parseRawResponse(await rawRequest(srv.port, data));
      assert.equal(raw.status, 413);
      assert.equal(JSON.parse(raw.body).code, 'body_too_large');
      assert.equal((await srv.get('/healthz')).status, 200);
    });

    test('a request line of garbage does not take the server down', async () => {
      await rawRequest(srv.port, 'NOT HTTP AT ALL\r\n\r\n', { timeout: 2000 }).catch(() => {});
      assert.equal((await srv.get('/healthz')).status, 200);
    });
  });

  describe('static files', () => {
    test('index is served as UTF-8 HTML with an ETag, and 304 when unchanged', async () => {
      const res = await srv.get('/');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8/);
      assert.match(res.text, /条块/);
      const etag = res.headers.get('etag');
      assert.match(etag, /^"[0-9a-f]{32}"$/);
      const again = await srv.request('GET', '/', { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal(again.text, '');
    });

    test('gzip when the client accepts it', async () => {
      const raw = await new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: srv.port, path: '/', headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const parts = [];
          res.on('data', (d) => parts.push(d));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        }).on('error', reject);
      });
      assert.equal(raw.headers['content-encoding'], 'gzip');
      assert.match(gunzipSync(raw.body).toString('utf8'), /条块/);
    });

    test('CSS has its type; paths that climb out or hide are refused', async () => {
      const css = await srv.get('/assets/base.css');
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type'), /^text\/css/);
      for (const p of ['/../meson.build', '/assets/../../meson.build', '/%2e%2e/meson.build', '/.git/config']) {
        const raw = parseRawResponse(await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        assert.equal(raw.status, 404, p);
      }
    });
  });

  test('1,000 idle connections do not keep a new client from /healthz', async () => {
    const sockets = [];
    // 5 source addresses x 200 connections stay under the per-address limit.
    for (let i = 0; i < 1000; i++) {
      sockets.push(await new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: srv.port, localAddress: `127.0.0.${10 + (i % 5)}` });
        s.on('connect', () => resolve(s));
        s.on('error', reject);
      }));
    }
    try {
      const t0 = performance.now();
      const res = await srv.get('/healthz');
      const ms = performance.now() - t0;
      assert.equal(res.status, 200);
      assert.ok(ms < 1000, `healthz took ${ms.toFixed(0)} ms with 1,000 idle connections`);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('durability and shutdown', () => {
  test('every acknowledged write survives kill -9', async () => {
    const srv = await new Server({ args: ['--probe', '1'] }).start();
    const acked = [];
    let stop = false;
    const worker = async (w) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}-${i}`;
        try {
          const res = await srv.post('/api/v1/_probe/writes', { key });
          if (res.status === 201) acked.push(key);
        } catch { return; }
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 20));
    await srv.kill9();
    stop = true;
    await Promise.all(workers);
    const again = await new Server({ dir: srv.dir, db: srv.db, args: ['--probe', '1'] }).start();
    try {
      let missing = 0;
      for (const key of acked) {
        const res = await again.get(`/api/v1/_probe/writes/${key}`);
        if (res.status !== 200) missing++;
      }
      assert.ok(acked.length >= 300);
      assert.equal(missing, 0, `${missing} of ${acked.length} acknowledged writes lost`);
    } finally {
      await again.stop();
      again.cleanup();
    }
  });

  test('SIGTERM lets in-flight writes finish and exits cleanly', async () => {
    const srv = await new Server({ args: ['--probe', '1'] }).start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const send = (method, path, body) => new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: srv.port, path, method, agent,
        headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', (e) => resolve(e.code));
      req.end(body);
    });
    // Open the connections first, so the writes arrive on accepted connections.
    await Promise.all(Array.from({ length: 16 }, () => send('GET', '/healthz')));
    const pending = Array.from({ length: 64 }, (_, i) => send('POST', '/api/v1/_probe/writes', JSON.stringify({ key: `t${i}` })));
    // SIGTERM once the writes are arriving (the first is answered), with the rest in flight:
    // on a loaded machine, a fixed moment could come before any of them reached the server.
    const first = await Promise.race(pending);
    assert.equal(first, 201, 'the first write is acknowledged');
    const st = await srv.stop();
    const results = await Promise.all(pending);
    agent.destroy();
    assert.equal(st.code, 0, srv.log.slice(-2000));
    assert.match(srv.log, /msg="stopped"/);
    // Acknowledged (201), refused because the server is stopping (503), or cut off.
    assert.ok(results.every((r) => r === 201 || r === 503 || typeof r === 'string'), results.join(' '));
    // Whatever was answered 201 is in the database.
    const again = await new Server({ dir: srv.dir, db: srv.db, args: ['--probe', '1'] }).start();
    try {
      for (let i = 0; i < results.length; i++) {
        if (results[i] === 201) assert.equal((await again.get(`/api/v1/_probe/writes/t${i}`)).status, 200);
      }
    } finally {
      await again.stop();
      again.cleanup();
    }
  });

  test('the probe is off unless enabled', async () => {
    const srv = await new Server().start();
    try {
      const res = await srv.post('/api/v1/_probe/writes', { key: 'x' });
      assert.equal(res.status, 404);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });
});

describe('command line', () => {
  test('version, help and an unknown command', async () => {
    const v = await runCli(['version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^tiaokuai \d+\.\d+\.\d+/);
    const h = await runCli(['serve', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--listen/);
    assert.match(h.stdout, /--db/);
    const u = await runCli(['frobnicate']);
    assert.equal(u.code, 64);
    assert.match(u.stderr, /没有命令/);
  });

  test('init creates and then keeps a database; a bad flag is a usage error', async () => {
    const srv = new Server();
    const first = await runCli(['init', '--db', srv.db]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /数据库已就绪/);
    const second = await runCli(['init', '--db', srv.db]);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /本次升级 0 项/);
    const bad = await runCli(['init', '--db', srv.db, '--write-batch', 'lots']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /write_batch/);
    srv.cleanup();
  });

  test('serve on a port in use fails with a clear message', async () => {
    const a = await new Server().start();
    try {
      const b = await runCli(['serve', '--db', a.db + '-2', '--listen', `127.0.0.1:${a.port}`]);
      assert.notEqual(b.code, 0);
      assert.match(b.stderr, /无法在 .* 上监听/);
    } finally {
      await a.stop();
      a.cleanup();
    }
  });
});
