// `tiaokuai backup` against a live server on the 衢州 demo: taken while reports
// stream in, the copy holds every report acknowledged before it began and its
// photo, serves them from a server of its own, passes verify-audit, and is one
// snapshot (reports acknowledged after it finished are not in it). It never
// overwrites a file, and says how it is used.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Server, runCli, tempDir, ROOT, demoDatabase } from './lib/server.mjs';
import { loginClient, assertStatus } from './lib/auth.mjs';

const DATA = path.join(ROOT, 'data');
// The demo grid worker's grid (兴航社区第1网格) and a point inside it.
const POINT = { lng: 118.737409981, lat: 29.0773997419 };
// The smallest JPEG the server takes (its type is read from the bytes).
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

describe('backup of a live database', () => {
  let dir;
  let live;
  let grid;
  let copy; // a server on the backup

  before(async () => {
    dir = tempDir('tk-backup-');
    const db = path.join(dir, 'live.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    live = new Server({ dir, db, args: ['--data', DATA] });
    await live.start();
    grid = await loginClient(live, 'grid', 'Demo-Grid-2026');
  });

  after(async () => {
    if (copy) await copy.stop();
    if (live) {
      const st = await live.stop();
      assert.equal(st.code, 0, live.log.slice(-2000));
      live.cleanup();
    }
  });

  const report = async (n) => {
    const res = await grid.post('/api/v1/events', {
      category: '0102', description: `备份测试：第 ${n} 件`, source: 'grid_patrol', ...POINT,
    });
    assertStatus(res, 201, `report ${n}`);
    return res.body;
  };

  test('taken under a stream of reports, it holds what came before it, photos too, and nothing after', async () => {
    const first = await report(0);
    const form = new FormData();
    form.append('kind', 'before');
    form.append('file', new Blob([JPEG], { type: 'image/jpeg' }), 'scene.jpg');
    const up = await fetch(`${live.base}/api/v1/events/${first.id}/attachments`, {
      method: 'POST', headers: { authorization: `Bearer ${grid.token}` }, body: form,
    });
    assert.ok(up.status === 200 || up.status === 201, `upload: ${up.status}`);
    const sha = (await (await fetch(`${live.base}/api/v1/events/${first.id}`, {
      headers: { authorization: `Bearer ${grid.token}` },
    })).json()).attachments[0].sha256;

    // Four writers report until told to stop; each acknowledgement is timed.
    const acked = []; // { id, at }
    let stop = false;
    let n = 1;
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const ev = await report(n++);
        acked.push({ id: ev.id, at: Date.now() });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const began = Date.now();
    const dest = path.join(dir, 'backup.db');
    const out = await runCli(['backup', '--db', live.db, '--out', dest]);
    const finished = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    stop = true;
    await Promise.all(writers);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /备份完成：.*照片 1 张/);
    assert.ok(existsSync(dest) && !existsSync(`${dest}.partial`));

    const verified = await runCli(['verify-audit', '--db', dest]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    copy = new Server({ dir: tempDir('tk-backup-copy-'), db: dest, args: ['--data', DATA] });
    await copy.start();
    const reader = await loginClient(copy, 'grid', 'Demo-Grid-2026');
    const before = [first, ...acked.filter((a) => a.at < began)];
    // Acknowledged well after it finished (a reply follows its commit within
    // milliseconds; the margin covers a slow machine).
    const afterwards = acked.filter((a) => a.at > finished + 200);
    assert.ok(before.length > 1 && afterwards.length > 0, `${before.length} before, ${afterwards.length} after`);
    for (const ev of before) assertStatus(await reader.get(`/api/v1/events/${ev.id}`), 200, `#${ev.id} in the backup`);
    const photo = await fetch(`${copy.base}/api/v1/attachments/${sha}`, { headers: { authorization: `Bearer ${reader.token}` } });
    assert.equal(photo.status, 200);
    assert.deepEqual(Buffer.from(await photo.arrayBuffer()), JPEG, 'the photo, byte for byte');
    const missing = [];
    for (const ev of afterwards) if ((await reader.get(`/api/v1/events/${ev.id}`)).status === 404) missing.push(ev.id);
    assert.deepEqual(missing, afterwards.map((a) => a.id), 'a snapshot: nothing acknowledged after it finished');
  });

  test('it never overwrites a file, and says how it is used', async () => {
    const taken = path.join(dir, 'taken.db');
    writeFileSync(taken, 'not a backup');
    const res = await runCli(['backup', '--db', live.db, '--out', taken]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /已存在/);
    assert.equal(readFileSync(taken, 'utf8'), 'not a backup', 'the file is untouched');
    const usage = await runCli(['backup', '--db', live.db]);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /用法：tiaokuai backup/);
    const none = path.join(dir, 'none.db');
    const missing = await runCli(['backup', '--db', none, '--out', path.join(dir, 'none-backup.db')]);
    assert.equal(missing.code, 74);
    assert.match(missing.stderr, /不存在/);
    assert.ok(!existsSync(none) && !existsSync(path.join(dir, 'none-backup.db')), 'nothing created');
  });

  test('it copies the database as it is: an older schema is not upgraded first', async () => {
    // A database one migration behind (the record of the last one taken away): a
    // backup taken before an upgrade must be of the old schema, and must not upgrade
    // the live one under its server.
    const old = path.join(dir, 'old.db');
    assert.equal((await demoDatabase(old)).code, 0);
    const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
    const latest = Number(sql(old, 'SELECT max(version) FROM schema_migrations'));
    sql(old, `DELETE FROM schema_migrations WHERE version = ${latest}`);
    const dest = path.join(dir, 'old-backup.db');
    const res = await runCli(['backup', '--db', old, '--out', dest]);
    assert.equal(res.code, 0, res.stderr);
    for (const db of [old, dest])
      assert.equal(Number(sql(db, 'SELECT max(version) FROM schema_migrations')), latest - 1, db);
  });
});
