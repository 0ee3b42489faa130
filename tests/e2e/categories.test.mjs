// End-to-end test of 事件分类与时限 (web/console/categories.js) in a real browser
// against the real server on a copy of the 衢州 demo: the tree holds the API's
// categories, search finds 私搭乱建 by name and by code, a leaf's limits table
// shows what the API returns, the admin changes one limit (and the API then
// returns it), an out-of-range limit is refused with the server's reason under
// its cell and nothing changes, and a read-only desk sees no edit controls.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, tempDir, ROOT, demoDatabase, demoPassword } from '../api/lib/server.mjs';
import { request } from '../api/lib/auth.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';


const UNITS = { work_minutes: '工作分钟', work_hours: '工作小时', work_days: '工作日', natural_days: '自然日' };

describe('事件分类与时限 (browser)', () => {
  let srv;
  let browser;
  let page;
  let admin; // { cookie, csrf } for reading what the API says
  const shots = new Shots('tk-e2e-categories-');
  const pageErrors = [];
  const failed = []; // requests that failed or answered 4xx/5xx once logged in
  const expectedFailures = []; // the refusals a step provokes on purpose
  const loggedIn = new Set(); // the pages past their login (the boot's 401 on the session comes before)

  const shot = (name) => shots.take(page, name);
  const step = (name, fn) => shots.step(name, fn, () => page);

  const asAdmin = (method, url, json) => request(srv, method, url, {
    json, cookie: admin.cookie, headers: { 'x-csrf-token': admin.csrf, origin: srv.base },
  });
  const category = async (code) => {
    const res = await asAdmin('GET', `/api/v1/categories/${code}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };

  const watch = (p) => {
    p.on('pageerror', (e) => pageErrors.push(e.message));
    p.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()} ${r.failure() && r.failure().errorText}`));
    p.on('response', (r) => {
      if (!loggedIn.has(p) || r.status() < 400) return;
      const i = expectedFailures.findIndex((x) => x.status === r.status() && r.url().endsWith(x.path));
      if (i >= 0) expectedFailures.splice(i, 1);
      else failed.push(`${r.request().method()} ${r.url()} ${r.status()}`);
    });
  };

  const login = async (p, username) => {
    await p.goto(`${srv.base}/console/#/login`);
    await p.locator('form.login-form [name="username"]').fill(username);
    await p.locator('form.login-form [name="password"]').fill(demoPassword(username));
    await p.locator('[data-action="login"]').click();
    await p.locator('[data-testid="welcome"]').waitFor();
    loggedIn.add(p);
  };

  before(async () => {
    const dir = tempDir('tk-e2e-categories-db-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    srv = new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] });
    await srv.start();
    const res = await request(srv, 'POST', '/api/v1/session', { json: { username: 'admin', password: demoPassword('admin') } });
    assert.equal(res.status, 201, res.text);
    admin = { cookie: String(res.headers['set-cookie']).split(';')[0], csrf: res.body.csrf_token };
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page);
  });

  after(() => finishSuite({ browser, srv, shots }));

  const tree = () => page.locator('[data-testid="cat-tree"]');
  const visibleLeaves = () => tree().locator('.cat-children:not([hidden]) [data-leaf]');
  const detail = () => page.locator('[data-testid="cat-detail"]');
  const limitCell = (u, s) => detail().locator(`[data-testid="limits"] [data-urgency="${u}"][data-stage="${s}"]`);

  step('the admin opens 事件分类与时限 from 基础数据: the tree holds every category of the API', async () => {
    await login(page, 'admin');
    const group = page.locator('nav.nav .nav-group', { has: page.locator('.nav-group-title', { hasText: '基础数据' }) });
    await group.locator('a[href="#/categories"]').click();
    await page.waitForURL(/#\/categories/);
    await tree().locator('.cat-node').first().waitFor();
    assert.equal(await page.title(), '事件分类与时限 · 条块工作台');

    const all = (await asAdmin('GET', '/api/v1/categories')).body.items;
    const flat = (await asAdmin('GET', '/api/v1/categories?flat=1')).body.items;
    assert.ok(flat.length > 100, `the demo has its leaves: ${flat.length}`);
    await page.click('[data-action="expand-all"]');
    assert.equal(await visibleLeaves().count(), flat.length, 'one node per leaf');
    assert.equal(await tree().locator('.cat-node-class').count(), all.length, 'one node per top class');
    const codes = await visibleLeaves().evaluateAll((els) => els.map((e) => e.dataset.code));
    assert.deepEqual(codes, flat.map((l) => l.code), 'the leaves in the API order');
    assert.match(await page.locator('[data-testid="cat-counts"]').innerText(), new RegExp(`${all.length} 个大类 · ${flat.length} 个小类`));
    await page.click('[data-action="expand-all"]');
    assert.equal(await visibleLeaves().count(), 0, '全部收起 folds every class');
    await shot('01-categories-1366');
  });

  step('search finds 私搭乱建 by name and by code; its detail names the list item', async () => {
    const q = tree().locator('input[name="q"]');
    await q.fill('私搭乱建');
    assert.deepEqual(await visibleLeaves().evaluateAll((els) => els.map((e) => e.dataset.code)), ['0101']);
    await q.fill('0101');
    assert.deepEqual(await visibleLeaves().evaluateAll((els) => els.map((e) => e.dataset.code)), ['0101']);
    assert.match(await page.locator('[data-testid="cat-found"]').innerText(), /找到 1 个小类/);
    await q.fill('没有这个类别');
    assert.equal(await visibleLeaves().count(), 0);
    assert.match(await tree().innerText(), /没有找到匹配的类别/);
    await q.fill('0101');
    await visibleLeaves().first().click();
    await page.waitForURL(/#\/categories\?code=0101$/);
    const cat = await category('0101');
    assert.match(await detail().locator('.card-title').first().innerText(), /私搭乱建/);
    const item = await asAdmin('GET', `/api/v1/list-items/${cat.list_item_code}`);
    assert.equal(item.status, 200, item.text);
    const link = detail().locator(`[data-field="list_item"] a[data-list-item="${cat.list_item_code}"]`);
    assert.equal(await link.innerText(), item.body.name, 'the default list item by its name');
    assert.equal(await link.getAttribute('href'), `#/lists?code=${cat.list_item_code}`);
    assert.match(await detail().locator('[data-field="accept_condition"]').innerText(), new RegExp(cat.accept_condition.slice(0, 10)));
    assert.equal(await detail().locator('[data-field="default_urgency"]').innerText(), cat.default_urgency_label);
    // Its class's table links the same item to 三张清单, as the small class's own view does.
    await detail().locator('[data-field="parent"] button').click();
    const inClass = detail().locator(`.table a[data-list-item="${cat.list_item_code}"]`).first();
    await inClass.waitFor();
    assert.equal(await inClass.innerText(), item.body.name);
    assert.equal(await inClass.getAttribute('href'), `#/lists?code=${cat.list_item_code}`);
    await q.fill('0101');
    await visibleLeaves().first().click();
    await page.waitForURL(/#\/categories\?code=0101$/);
    await q.fill('');
  });

  step('the limits table shows what the API returns, 特急 falling back to 一般', async () => {
    const cat = await category('0101');
    let checked = 0;
    for (const u of ['normal', 'urgent', 'critical']) {
      for (const s of ['dispatch', 'sign', 'handle', 'verify', 'total']) {
        const own = cat.limits[u] && cat.limits[u][s];
        const want = own || cat.limits.normal[s];
        const cell = limitCell(u, s);
        assert.equal(await cell.getAttribute('data-amount'), String(want.amount), `${u}/${s} amount`);
        assert.equal(await cell.getAttribute('data-unit'), want.unit, `${u}/${s} unit`);
        const text = await cell.innerText();
        assert.ok(text.includes(`${want.amount} ${UNITS[want.unit]}`), `${u}/${s}: ${text}`);
        assert.equal(text.includes('沿用一般'), !own, `${u}/${s} marks a fallback`);
        checked++;
      }
    }
    assert.equal(checked, 15);
    const heads = await detail().locator('[data-testid="limits"] thead th').allInnerTexts();
    assert.deepEqual(heads.map((t) => t.replace(/\s+/g, '')), ['环节', '计时区间', '一般默认', '紧急', '特急']);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('02-leaf-1920');
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  step('an out-of-range limit is refused with the server reason under its cell; nothing changes', async () => {
    const before = await category('0101');
    await detail().locator('[data-action="edit-limits"]').click();
    const dlg = page.locator('dialog[open]');
    const amount = dlg.locator('[name="normal.handle.amount"]');
    const error = dlg.locator('.form-item[data-urgency="normal"][data-stage="handle"] .form-error');
    // Checked here first: not a positive whole number.
    await amount.fill('0');
    await dlg.locator('[data-action="save-limits"]').click();
    assert.equal(await error.innerText(), '请填写正整数');
    assert.equal(await page.locator('dialog.dialog-confirm').count(), 0, 'nothing to confirm');
    // The server's bound: refused there, said in words under the cell.
    await amount.fill('200000');
    await dlg.locator('[data-action="save-limits"]').click();
    const confirm = page.locator('dialog.dialog-confirm');
    const was = before.limits.normal.handle;
    assert.match(await confirm.innerText(), new RegExp(`一般·处置：${was.amount} ${UNITS[was.unit]} → 200000 ${UNITS[was.unit]}`));
    expectedFailures.push({ status: 422, path: '/api/v1/categories/0101/limits' });
    await confirm.locator('.btn-primary').click();
    await error.filter({ hasText: /\S/ }).waitFor();
    const text = await error.innerText();
    assert.match(text, /1 到 100000/, text);
    assert.doesNotMatch(text, /[A-Za-z]/, 'no field key in the reason');
    assert.equal(expectedFailures.length, 0, 'the server was asked');
    await shot('03-limit-refused');
    await dlg.locator('.dialog-foot .btn:not(.btn-primary)').click();
    assert.deepEqual((await category('0101')).limits, before.limits, 'nothing changed');
  });

  step('the admin changes one limit: confirmed, told, shown, and the API returns it', async () => {
    const before = await category('0101');
    const was = before.limits.normal.handle;
    const next = was.unit === 'work_hours' ? was.amount + 2 : 6;
    await detail().locator('[data-action="edit-limits"]').click();
    const dlg = page.locator('dialog[open]');
    await dlg.locator('[name="normal.handle.amount"]').fill(String(next));
    await dlg.locator('[name="normal.handle.unit"]').selectOption('work_hours');
    await dlg.locator('[data-action="save-limits"]').click();
    const confirm = page.locator('dialog.dialog-confirm');
    assert.match(await confirm.innerText(), new RegExp(`一般·处置：${was.amount} ${UNITS[was.unit]} → ${next} 工作小时`));
    await confirm.locator('.btn-primary').click();
    const t = page.locator('.toast-success', { hasText: '已更新「私搭乱建」的时限' });
    await t.waitFor();
    assert.match(await t.innerText(), new RegExp(`→ ${next} 工作小时`));
    assert.equal(await page.locator('dialog[open]').count(), 0, 'the dialog closed');
    await detail().locator(`[data-testid="limits"] [data-urgency="normal"][data-stage="handle"][data-amount="${next}"]`).waitFor();
    // 特急 follows 一般 where it has no limit of its own.
    assert.equal(await limitCell('critical', 'handle').getAttribute('data-amount'), String(next));
    const after = await category('0101');
    assert.deepEqual(after.limits.normal.handle, { amount: next, unit: 'work_hours', label: '工作小时' });
    assert.deepEqual(after.limits.urgent, before.limits.urgent, 'the others kept');
    await shot('04-limit-changed');
  });

  step('a read-only desk sees everything and no edit control', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const desk = await context.newPage();
    desk.setDefaultTimeout(15000);
    watch(desk);
    try {
      await login(desk, 'command');
      await desk.evaluate(() => { location.hash = '#/categories?code=0101'; });
      const d = desk.locator('[data-testid="cat-detail"]');
      await d.locator('[data-testid="limits"] [data-urgency="normal"][data-stage="handle"][data-amount]').waitFor();
      assert.match(await d.innerText(), /私搭乱建/);
      assert.equal(await desk.locator('[data-action="edit-category"], [data-action="edit-limits"]').count(), 0);
      await desk.locator('.cat-node-class[data-code="01"]').click();
      await d.locator('.cat-link[data-code="0101"]').waitFor();
      assert.equal(await desk.locator('[data-action^="edit"]').count(), 0);
      await shots.take(desk, '05-read-only');
    } finally {
      await context.close();
    }
  });

  step('no page errors and no failed requests', async () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(failed, []);
  });
});
