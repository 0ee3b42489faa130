// Photo attachments of events on the 衢州 demo: multipart upload of JPEG, PNG and
// WebP (type decided by the bytes, not the client), size and count limits,
// metadata checks, content-addressed storage beside the database (stored once,
// at <db>.files/<2 hex>/<sha256>), download only for callers who may see an
// event using the photo (404 otherwise), ETag / 304, the audit record and the
// timeline entry, an upload retried that adds nothing, the grid worker's self-close that needs a before and an after
// photo, and durability: kill -9 right after an acknowledged upload, restart,
// and the photo is still served.
//
// The demo is built once into a temporary directory and one server runs on it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, demoDatabase } from './lib/server.mjs';

const DATA = path.join(ROOT, 'data');
// UBSan reports do not change the exit status: look for them in the output.
const SANITIZER_REPORT = /runtime error:|AddressSanitizer|LeakSanitizer/;
const PASSWORDS = { grid: 'Demo-Grid-2026', command: 'Demo-Command-2026', command2: 'Demo-Command-2026', admin: 'Demo-Admin-2026', resident: 'Demo-Resident-2026', module: 'Demo-Module-2026', leader: 'Demo-Leader-2026' };

// ---- tiny valid images ----

// A 1x1 grey baseline JFIF and a 1x1 lossless WebP (the usual minimal files).
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=', 'base64');
const WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
// A 1x1 RGB PNG of the given colour: different colours, different bytes.
function png(r, g, b) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.from([0, r, g, b]))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// ---- HTTP ----

let srv;
let dir;
let db;
const tokens = {};

async function call(who, method, urlPath, { json, body, headers = {} } = {}) {
  const h = { ...headers };
  if (who) h.authorization = `Bearer ${tokens[who]}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(srv.base + urlPath, { method, headers: h, body: payload });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  const ct = res.headers.get('content-type') || '';
  let parsed = text;
  if (ct.includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text, buf };
}

const get = (who, p, headers) => call(who, 'GET', p, { headers });
const post = (who, p, json) => call(who, 'POST', p, { json });

// multipart/form-data as a browser sends it (undici's FormData encoder).
function upload(who, eventId, bytes, { type = 'image/jpeg', filename = 'photo.jpg', fields = {} } = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (bytes) form.append('file', new Blob([bytes], { type }), filename);
  return call(who, 'POST', `/api/v1/events/${eventId}/attachments`, { body: form });
}

// A hand-built multipart body, to send what a browser would not.
function rawForm(parts, boundary = 'tkBoundary7') {
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text.slice(0, 1000)}`);
}

function expectProblem(res, status, code, field) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  if (code) assert.equal(res.body.code, code, JSON.stringify(res.body));
  if (field) assert.equal(res.body.field, field, JSON.stringify(res.body));
}

async function login(who) {
  const res = await post(null, '/api/v1/session', { username: who, password: PASSWORDS[who], bearer: true });
  expectStatus(res, 201, `login ${who}`);
  tokens[who] = res.body.token;
  return res.body.user;
}

let gridUnitId;
async function newEvent(description) {
  const res = await post('grid', '/api/v1/events', { category: '0101', description, source: 'grid_patrol', grid_id: gridUnitId });
  expectStatus(res, 201, 'report an event');
  assert.equal(res.body.state, 'reported');
  return res.body.id;
}

const filesDir = () => `${db}.files`;
const blobPath = (sha) => path.join(filesDir(), sha.slice(0, 2), sha);

describe('photo attachments of events', () => {
  before(async () => {
    dir = tempDir('tk-attach-');
    db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, `demo failed: ${demo.stderr}`);
    assert.doesNotMatch(demo.stderr, SANITIZER_REPORT, 'the demo build is clean');
    srv = await new Server({ dir, db, args: ['--data', DATA] }).start();
    for (const who of Object.keys(PASSWORDS)) await login(who);
    const me = await get('grid', '/api/v1/session');
    expectStatus(me, 200);
    assert.equal(me.body.user.unit.code, '330802101001001');
    gridUnitId = me.body.user.unit.id;
  });

  after(async () => {
    if (srv) {
      const st = await srv.stop();
      assert.doesNotMatch(srv.log, SANITIZER_REPORT, 'no sanitizer report in the server log');
      assert.equal(st.code, 0, `server exit ${JSON.stringify(st)}\n${srv.log.slice(-3000)}`);
      srv.cleanup();
    }
  });

  test('1. the folder beside the database exists from the start', () => {
    assert.ok(existsSync(filesDir()), `${filesDir()} was made at start`);
  });

  test('2. JPEG, PNG and WebP upload (201) and come back byte-identical with their type', async () => {
    const id = await newEvent('路边违章搭建彩钢棚');
    const samples = [
      { bytes: JPEG, mime: 'image/jpeg', name: 'a.jpg', kind: 'near' },
      { bytes: png(200, 30, 30), mime: 'image/png', name: 'b.png', kind: 'far' },
      { bytes: WEBP, mime: 'image/webp', name: 'c.webp', kind: undefined },
    ];
    for (const s of samples) {
      const fields = s.kind ? { kind: s.kind, lng: '118.8021', lat: '28.9335', taken_at: '2026-03-02T09:30:00+08:00' } : {};
      // The client's claimed type is ignored: send them all as application/octet-stream.
      const res = await upload('grid', id, s.bytes, { type: 'application/octet-stream', filename: s.name, fields });
      expectStatus(res, 201, `upload ${s.name}`);
      const sha = sha256(s.bytes);
      assert.equal(res.body.sha256, sha);
      assert.equal(res.body.size, s.bytes.length);
      assert.equal(res.body.mime, s.mime);
      assert.equal(res.body.kind, s.kind || 'other', 'kind defaults to other');
      assert.equal(res.body.url, `/api/v1/attachments/${sha}`);
      assert.equal(res.headers.get('location'), res.body.url);
      assert.ok(Number.isInteger(res.body.id));
      if (s.kind) {
        assert.equal(res.body.lng, 118.8021);
        assert.equal(res.body.lat, 28.9335);
        assert.equal(res.body.taken_at, '2026-03-02T09:30:00+08:00');
      } else {
        assert.equal(res.body.lng, null);
        assert.equal(res.body.taken_at, null);
      }
      // Stored at its content address, before the reply.
      assert.ok(existsSync(blobPath(sha)), `blob at ${blobPath(sha)}`);
      assert.deepEqual(readFileSync(blobPath(sha)), s.bytes);

      const back = await get('grid', res.body.url);
      expectStatus(back, 200, `download ${s.name}`);
      assert.equal(back.headers.get('content-type'), s.mime);
      assert.deepEqual(back.buf, s.bytes, 'byte-identical');
      assert.equal(back.headers.get('etag'), `"${sha}"`);
      assert.match(back.headers.get('cache-control'), /\bprivate\b/);
      assert.equal(back.headers.get('x-content-type-options'), 'nosniff');

      const again = await get('grid', res.body.url, { 'if-none-match': `"${sha}"` });
      expectStatus(again, 304, 'revalidation');
      assert.equal(again.buf.length, 0);
      assert.equal(again.headers.get('etag'), `"${sha}"`);
    }

    // The event lists them, and its timeline says who uploaded what.
    const detail = await get('grid', `/api/v1/events/${id}`);
    expectStatus(detail, 200);
    assert.deepEqual(detail.body.attachments.map((a) => a.sha256), samples.map((s) => sha256(s.bytes)));
    const attach = detail.body.timeline.filter((t) => t.action === 'attach');
    assert.deepEqual(attach.map((t) => t.note), ['上传照片（近景）', '上传照片（远景）', '上传照片（其他）']);
    assert.equal(attach[0].action_label, '上传照片');
    assert.equal(attach[0].from_state, 'reported');
    assert.equal(attach[0].to_state, 'reported');

    // Audited: event.attach, target the event.
    const audit = await get('admin', `/api/v1/audit?action=event.attach&target_id=${id}`);
    expectStatus(audit, 200);
    const ok = audit.body.items.filter((a) => a.outcome === 'ok');
    assert.equal(ok.length, 3, audit.text);
    assert.equal(ok[0].target_type, 'event');
    assert.equal(ok[0].target_id, String(id));
    assert.ok(ok.some((a) => a.detail.sha256 === sha256(WEBP)), audit.text);
  });

  test('3. the type comes from the bytes: text named .jpg and sent as image/jpeg is 415', async () => {
    const id = await newEvent('垃圾乱堆放');
    const text = Buffer.from('这不是照片，只是一段文字。\n');
    const res = await upload('grid', id, text, { type: 'image/jpeg', filename: 'fake.jpg' });
    expectProblem(res, 415, 'unsupported_media_type');
    for (const bytes of [Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), Buffer.alloc(0), Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1')]) {
      expectProblem(await upload('grid', id, bytes, { type: 'image/png', filename: 'x.png' }), 415, 'unsupported_media_type');
    }
    // Not multipart at all.
    const raw = await call('grid', 'POST', `/api/v1/events/${id}/attachments`, { body: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expectProblem(raw, 415, 'unsupported_media_type');
    const detail = await get('grid', `/api/v1/events/${id}`);
    assert.equal(detail.body.attachments.length, 0, 'nothing was recorded');
  });

  test('4. size: a 6 MB photo is 413', async () => {
    const id = await newEvent('广告牌破损');
    const big = Buffer.alloc(6 * 1000 * 1000, 0x20);
    JPEG.copy(big, 0, 0, 4);
    const res = await upload('grid', id, big, { filename: 'big.jpg' });
    expectProblem(res, 413, 'photo_too_large');
    assert.ok(!existsSync(blobPath(sha256(big))), 'a refused photo is not stored');
    // Just under the limit is fine.
    const fits = Buffer.alloc(5 * 1024 * 1024, 0x20);
    JPEG.copy(fits, 0, 0, 4);
    expectStatus(await upload('grid', id, fits, { filename: 'fits.jpg' }), 201, '5 MiB exactly');
  });

  test('5. metadata: bad kind, half a point, bad time, unknown or repeated fields are 422 with the field', async () => {
    const id = await newEvent('井盖缺失');
    expectProblem(await upload('grid', id, JPEG, { fields: { kind: 'upper' } }), 422, 'invalid_field', 'kind');
    expectProblem(await upload('grid', id, JPEG, { fields: { lng: '118.8' } }), 422, 'invalid_field', 'lat');
    expectProblem(await upload('grid', id, JPEG, { fields: { lng: 'east', lat: '28.9' } }), 422, 'invalid_field', 'lng');
    expectProblem(await upload('grid', id, JPEG, { fields: { lng: '118.8', lat: '95' } }), 422, 'invalid_field', 'lat');
    expectProblem(await upload('grid', id, JPEG, { fields: { taken_at: '昨天下午' } }), 422, 'invalid_field', 'taken_at');
    expectProblem(await upload('grid', id, JPEG, { fields: { taken_at: '2099-01-01T00:00:00+08:00' } }), 422, 'invalid_field', 'taken_at');
    expectProblem(await upload('grid', id, JPEG, { fields: { colour: 'red' } }), 422, 'invalid_field', 'colour');
    expectProblem(await upload('grid', id, null, { fields: { kind: 'before' } }), 422, 'invalid_field', 'file');

    const two = rawForm([
      { name: 'file', filename: 'a.jpg', type: 'image/jpeg', data: JPEG },
      { name: 'file', filename: 'b.png', type: 'image/png', data: png(1, 2, 3) },
    ]);
    const res = await call('grid', 'POST', `/api/v1/events/${id}/attachments`, { body: two.body, headers: { 'content-type': two.type } });
    expectProblem(res, 422, 'invalid_field', 'file');

    const truncated = rawForm([{ name: 'file', filename: 'a.jpg', data: JPEG }]);
    const cut = await call('grid', 'POST', `/api/v1/events/${id}/attachments`, { body: truncated.body.subarray(0, truncated.body.length - 12), headers: { 'content-type': truncated.type } });
    expectProblem(cut, 400, 'bad_multipart');

    // A hand-built form with a quoted boundary works like the browser's.
    const ok = rawForm([{ name: 'kind', data: 'before' }, { name: 'file', filename: 'a.jpg', type: 'image/jpeg', data: JPEG }], 'b:1');
    const good = await call('grid', 'POST', `/api/v1/events/${id}/attachments`, { body: ok.body, headers: { 'content-type': 'multipart/form-data; boundary="b:1"' } });
    expectStatus(good, 201, 'hand-built form');
    assert.equal(good.body.kind, 'before');
    const detail = await get('grid', `/api/v1/events/${id}`);
    assert.equal(detail.body.attachments.length, 1, 'only the good upload was recorded');
  });

  test('6. at most 9 photos per event: the 10th is 409', async () => {
    const id = await newEvent('占道经营');
    for (let i = 0; i < 9; i++) {
      expectStatus(await upload('grid', id, png(i, 100, 200), { type: 'image/png', filename: `${i}.png` }), 201, `photo ${i + 1}`);
    }
    const tenth = png(255, 255, 255);
    expectProblem(await upload('grid', id, tenth, { type: 'image/png' }), 409, 'too_many_photos');
    assert.ok(!existsSync(blobPath(sha256(tenth))), 'the refused 10th photo was not stored');
    const detail = await get('grid', `/api/v1/events/${id}`);
    assert.equal(detail.body.attachments.length, 9);
    const denied = await get('admin', `/api/v1/audit?action=event.attach&target_id=${id}&outcome=failed`);
    expectStatus(denied, 200);
    assert.ok(denied.body.items.some((a) => a.detail.code === 'too_many_photos'), 'the refusal is audited');
  });

  test('7. who: the township desk may upload and download; another township sees nothing (404)', async () => {
    const id = await newEvent('乱倒建筑垃圾');
    const mine = png(10, 20, 30);
    const up = await upload('grid', id, mine, { type: 'image/png', fields: { kind: 'before' } });
    expectStatus(up, 201);

    const desk = await upload('command', id, png(11, 21, 31), { type: 'image/png', fields: { kind: 'near' } });
    expectStatus(desk, 201, 'the township desk of the event');
    expectStatus(await get('command', up.body.url), 200, 'the desk downloads the grid worker\'s photo');

    // command2 is another township's desk: the event is not visible to it, so the
    // upload is 404 (not 403), and so is the download.
    expectProblem(await upload('command2', id, png(12, 22, 32), { type: 'image/png' }), 404, 'event_not_found');
    expectProblem(await get('command2', up.body.url), 404, 'attachment_not_found');
    expectProblem(await get('command2', up.body.url, { 'if-none-match': `"${up.body.sha256}"` }), 404, 'attachment_not_found');
    // The township's module cadre sees the event but is neither its assignee nor
    // the desk: 403, audited as denied against the event. A leader may not upload at all.
    expectStatus(await get('module', `/api/v1/events/${id}`), 200, 'the module sees the event');
    expectStatus(await get('module', up.body.url), 200, 'and its photos');
    expectProblem(await upload('module', id, png(13, 23, 33), { type: 'image/png' }), 403, 'attach_forbidden');
    expectProblem(await upload('leader', id, png(14, 24, 34), { type: 'image/png' }), 403, 'forbidden');
    const denied = await get('admin', `/api/v1/audit?action=event.attach&target_id=${id}&outcome=denied`);
    expectStatus(denied, 200);
    assert.ok(denied.body.items.some((a) => a.detail.code === 'attach_forbidden' && a.target_type === 'event'), denied.text);
    // A resident who did not report it cannot see it either.
    expectProblem(await get('resident', up.body.url), 404, 'attachment_not_found');
    // Unknown and malformed addresses look the same.
    expectProblem(await get('grid', `/api/v1/attachments/${'0'.repeat(64)}`), 404, 'attachment_not_found');
    expectProblem(await get('grid', '/api/v1/attachments/not-a-hash'), 404, 'attachment_not_found');
    expectStatus(await get('grid', '/api/v1/attachments/..%2F..%2Fdemo.db'), 404, 'no way out of the folder');
    expectProblem(await get('grid', `/api/v1/attachments/${up.body.sha256.toUpperCase()}`), 404, 'attachment_not_found');
    // No session at all.
    expectProblem(await get(null, up.body.url), 401, 'unauthenticated');
  });

  test('8. identical bytes are stored once on disk', async () => {
    const a = await newEvent('河道漂浮物');
    const b = await newEvent('河道漂浮物（另一处）');
    const bytes = png(77, 88, 99);
    const sha = sha256(bytes);
    const one = await upload('grid', a, bytes, { type: 'image/png' });
    const two = await upload('grid', b, bytes, { type: 'image/png', fields: { kind: 'far' } });
    expectStatus(one, 201);
    expectStatus(two, 201);
    assert.equal(one.body.sha256, sha);
    assert.equal(two.body.sha256, sha);
    assert.notEqual(one.body.id, two.body.id, 'two rows');
    const entries = readdirSync(path.join(filesDir(), sha.slice(0, 2)));
    assert.deepEqual(entries.filter((e) => e === sha), [sha], 'one file');
    assert.deepEqual(entries.filter((e) => e.startsWith('.tmp')), [], 'no temporary files left');
    // Total files under the folder: one per distinct content uploaded so far.
    const all = readdirSync(filesDir()).flatMap((d) => readdirSync(path.join(filesDir(), d)));
    assert.equal(all.length, new Set(all).size);
  });

  test('8b. the same photo sent again (an upload retried) adds nothing: 200 with the row there', async () => {
    const id = await newEvent('垃圾满溢（重传照片）');
    const bytes = png(31, 41, 59);
    const first = await upload('grid', id, bytes, { type: 'image/png', fields: { kind: 'before' } });
    expectStatus(first, 201);
    const again = await upload('grid', id, bytes, { type: 'image/png', fields: { kind: 'before' } });
    expectStatus(again, 200, 'the retry');
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.sha256, first.body.sha256);
    assert.equal(again.body.kind, 'before');
    assert.equal(again.body.created_at, first.body.created_at);
    // As another kind it is another photo of the event (a near view kept as the far one).
    const far = await upload('grid', id, bytes, { type: 'image/png', fields: { kind: 'far' } });
    expectStatus(far, 201, 'another kind');
    const detail = await get('grid', `/api/v1/events/${id}`);
    assert.deepEqual(detail.body.attachments.map((a) => a.kind), ['before', 'far']);
    assert.equal(detail.body.timeline.filter((t) => t.action === 'attach').length, 2, 'no timeline row for the retry');
    const audit = await get('admin', `/api/v1/audit?action=event.attach&target_id=${id}&outcome=ok`);
    assert.equal(audit.body.items.filter((a) => a.detail.repeated === true).length, 1, 'the retry is audited as one');
  });

  test('9. self-close needs a before and an after photo', async () => {
    const id = await newEvent('绿化带垃圾');
    expectProblem(await post('grid', `/api/v1/events/${id}/self-close`, { note: '已清理' }), 422, 'photos_required');
    expectStatus(await upload('grid', id, png(1, 1, 1), { type: 'image/png', fields: { kind: 'before' } }), 201);
    expectProblem(await post('grid', `/api/v1/events/${id}/self-close`, { note: '已清理' }), 422, 'photos_required');
    expectStatus(await upload('grid', id, png(2, 2, 2), { type: 'image/png', fields: { kind: 'after' } }), 201);
    const closed = await post('grid', `/api/v1/events/${id}/self-close`, { note: '已清理' });
    expectStatus(closed, 200, 'self-close');
    assert.equal(closed.body.state, 'closed');
    const notes = closed.body.timeline.filter((t) => t.action === 'attach').map((t) => t.note);
    assert.deepEqual(notes, ['上传照片（处置前）', '上传照片（处置后）']);
    // A closed event takes no more photos, but its photos are still served.
    expectProblem(await upload('grid', id, png(3, 3, 3), { type: 'image/png' }), 409, 'event_finished');
    expectStatus(await get('grid', `/api/v1/attachments/${sha256(png(2, 2, 2))}`), 200);
  });

  test('10. kill -9 right after an acknowledged upload: after restart the photo is served', async () => {
    const id = await newEvent('路灯损坏');
    const bytes = png(123, 45, 67);
    const res = await upload('grid', id, bytes, { type: 'image/png', fields: { kind: 'before' } });
    expectStatus(res, 201);
    await srv.kill9();
    srv = await new Server({ dir, db, args: ['--data', DATA] }).start();
    await login('grid');
    const back = await get('grid', res.body.url);
    expectStatus(back, 200, 'served after kill -9 and restart');
    assert.deepEqual(back.buf, bytes);
    assert.equal(back.headers.get('content-type'), 'image/png');
    const detail = await get('grid', `/api/v1/events/${id}`);
    assert.deepEqual(detail.body.attachments.map((a) => a.sha256), [sha256(bytes)]);
  });
});
