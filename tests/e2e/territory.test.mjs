// End-to-end test of 区划与组织 (web/console/territory.js) in a real browser against
// the real server on a copy of the 衢州 demo: the counts of the summary against the
// API's, the administrator expanding 衢州市 → 柯城区 → 航埠镇 level by level and
// finding the villages and bodies the API names, a grid's detail with its grid
// worker, a search, renaming a village (the tree and the API both show the new
// name), a refused disable showing the server's reason; then the township desk,
// whose tree starts at its own township and who sees no edit controls. No page
// errors and no failed requests along the way.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, tempDir, ROOT, demoDatabase } from '../api/lib/server.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';

const ADMIN = ['admin', 'Demo-Admin-2026'];
const DESK = ['command', 'Demo-Command-2026'];

describe('区划与组织 (browser)', () => {
  let srv;
  let browser;
  let page; // the page of whoever is logged in now
  const shots = new Shots('tk-e2e-territory-');
  const pageErrors = [];
  const failures = []; // requests that failed, and answers that were errors nobody expected
  const tokens = {};

  const shot = (name) => shots.take(page, name);
  const step = (name, fn) => shots.step(name, fn, () => page);

  // The API as a user sees it (a bearer session of the same account).
  const api = async (who, urlPath) => {
    if (!tokens[who[0]]) {
      const res = await srv.post('/api/v1/session', { username: who[0], password: who[1], bearer: true });
      assert.equal(res.status, 201, `login ${who[0]}: ${res.text}`);
      tokens[who[0]] = res.body.token;
    }
    const res = await srv.request('GET', urlPath, { headers: { authorization: `Bearer ${tokens[who[0]]}` } });
    assert.equal(res.status, 200, `${urlPath}: ${res.text}`);
    return res.body;
  };
  const unitByCode = async (code) => {
    const res = await api(ADMIN, `/api/v1/units?q=${code}&limit=5`);
    const u = res.items.find((x) => x.code === code);
    assert.ok(u, `unit ${code}`);
    return u;
  };

  // A fresh browser context, logged in through the form, on 区划与组织.
  const openAs = async ([username, password], viewport = { width: 1366, height: 768 }) => {
    if (page) await page.context().close();
    const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('requestfailed', (r) => failures.push(`${r.method()} ${r.url()}: ${r.failure() && r.failure().errorText}`));
    page.on('response', (r) => {
      const url = new URL(r.url());
      const expected = (r.status() === 401 && url.pathname === '/api/v1/session') // the login page asks first
        || (r.status() === 409 && /^\/api\/v1\/units\/\d+\/disable$/.test(url.pathname)); // the refusal under test
      if (r.status() >= 400 && !expected) failures.push(`${r.request().method()} ${url.pathname}${url.search}: ${r.status()}`);
    });
    await page.goto(`${srv.base}/console/#/login`);
    await page.locator('form.login-form [name="username"]').fill(username);
    await page.locator('form.login-form [name="password"]').fill(password);
    await page.locator('[data-action="login"]').click();
    await page.locator('[data-testid="welcome"]').waitFor();
    await page.locator('nav.nav a[href="#/territory"]').click();
    await page.waitForURL(/#\/territory/);
    await page.locator('[data-testid="unit-info"]').waitFor();
  };

  const row = (code) => page.locator(`[data-testid="tree"] .terr-row[data-code="${code}"]`);
  // The names shown under a unit of the tree, in order, once they are there.
  const childNames = async (code, count) => {
    const names = page.locator(`[data-testid="tree"] .terr-node:has(> .terr-row[data-code="${code}"]) > [role="group"] > .terr-node > .terr-row .terr-name`);
    await names.nth(count - 1).waitFor();
    return names.allInnerTexts();
  };
  const infoName = () => page.locator('[data-testid="unit-info"] [data-testid="unit-name"]');
  // The parent path in the detail panel, as "衢州市/柯城区".
  const pathText = async () => (await page.locator('[data-testid="unit-path"] > :not(.crumb-sep)').allInnerTexts()).join('/');
  // Waits for the detail panel to show the unit named name.
  const shows = (name) => infoName().filter({ hasText: new RegExp(`^${name}$`) }).waitFor();

  before(async () => {
    const dir = tempDir('tk-e2e-territory-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    srv = new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] });
    await srv.start();
    browser = await launchChromium();
  });

  after(() => finishSuite({ browser, srv, shots }));

  step('the administrator sees the city at the root and the counts the API gives', async () => {
    await openAs(ADMIN);
    assert.equal(await page.title(), '区划与组织 · 条块工作台');
    const summary = await api(ADMIN, '/api/v1/territory/summary');
    for (const key of ['counties', 'townships', 'villages', 'grids']) {
      const text = await page.locator(`[data-testid="count-${key}"]`).filter({ hasText: /\d/ }).innerText();
      assert.equal(Number(text.replace(/,/g, '')), summary[key], `${key}: ${text}`);
    }
    const top = page.locator('[data-testid="tree"] > .terr-node > .terr-row');
    assert.equal(await top.count(), 1);
    assert.equal(await top.locator('.terr-name').innerText(), '衢州市');
    await shows('衢州市');
    const counties = await api(ADMIN, '/api/v1/units/1/children?limit=100');
    assert.deepEqual(await childNames('330800', counties.items.length), counties.items.map((u) => u.name));
    await shot('t01-admin-city');
  });

  step('衢州市 → 柯城区 → 航埠镇 opens level by level with the names the API gives', async () => {
    const county = await unitByCode('330802');
    const town = await unitByCode('330802101');
    await row('330802').click();
    const towns = await api(ADMIN, `/api/v1/units/${county.id}/children?limit=100`);
    assert.deepEqual(await childNames('330802', towns.items.length), towns.items.map((u) => u.name));
    await shows('柯城区');
    assert.match(await row('330802101').innerText(), /乡镇[\s\S]*航埠镇[\s\S]*复合型[\s\S]*330802101/);

    await row('330802101').click();
    const kids = await api(ADMIN, `/api/v1/units/${town.id}/children?limit=100`);
    assert.ok(kids.items.some((u) => u.kind === 'village') && kids.items.some((u) => u.kind === 'command'));
    assert.deepEqual(await childNames('330802101', kids.items.length), kids.items.map((u) => u.name));
    assert.match(await row('330802101C').innerText(), /指挥室[\s\S]*航埠镇综合信息指挥室/);
    assert.match(await row('330802101M3').innerText(), /模块[\s\S]*航埠镇平安法治模块/);
    const info = page.locator('[data-testid="unit-info"]');
    await shows('航埠镇');
    assert.equal(await pathText(), '衢州市/柯城区');
    assert.match(await info.innerText(), /乡镇类型\s*复合型/);
    // The township's own 编制, as the API sums them for it.
    const staffing = await api(ADMIN, `/api/v1/staffing?unit_id=${town.id}`);
    const quotas = page.locator('.card', { has: page.locator('.card-title', { hasText: '编制与下沉' }) });
    await quotas.locator('tbody tr').first().waitFor();
    assert.match(await quotas.locator('.card-extra').innerText(), /航埠镇范围内/);
    const admin = await quotas.locator('tbody tr').first().locator('td').allInnerTexts();
    assert.deepEqual(admin.slice(0, 3), [staffing.items[0].kind_label, staffing.items[0].township_approved.toLocaleString('en-US'), staffing.items[0].township_used.toLocaleString('en-US')]);
    // The grids of the city stay unloaded: only the levels opened were asked for.
    assert.equal(await page.locator('[data-testid="tree"] .terr-row[data-kind="grid"]').count(), 0);
    await row('330802101').scrollIntoViewIfNeeded();
    await shot('t02-admin-hangbu');
  });

  step("a grid's detail names its grid worker, households and population", async () => {
    const grid = await unitByCode('330802101001001');
    const workers = await api(ADMIN, `/api/v1/people?unit_id=${grid.id}&kind=grid_worker`);
    assert.ok(workers.items.length >= 1);
    await row('330802101001').locator('[data-action="toggle"]').click();
    await row('330802101001001').click();
    await page.locator('[data-testid="grid-worker"] [data-person]').first().waitFor();
    assert.match(await page.locator('[data-testid="grid-worker"]').innerText(), new RegExp(workers.items[0].name));
    const info = await page.locator('[data-testid="unit-info"]').innerText();
    assert.match(info, new RegExp(`户数\\s*${grid.households.toLocaleString('zh-CN')} 户`));
    assert.match(info, new RegExp(`人口\\s*${grid.population.toLocaleString('zh-CN')} 人`));
    assert.equal(await pathText(), '衢州市/柯城区/航埠镇/兴航社区');
    const people = page.locator('[data-testid="unit-people"] tbody tr');
    await people.first().locator('[data-person]').waitFor();
    assert.match(await people.first().innerText(), /专职网格员/);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('t03-admin-grid-1920');
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  step('the search finds a township by name and shows it', async () => {
    await page.locator('.terr-search [name="q"]').fill('航埠');
    await page.locator('.terr-search [name="kind"]').selectOption('township');
    await page.locator('[data-action="search"]').click();
    const results = page.locator('[data-testid="search-results"] .terr-row');
    await results.first().waitFor();
    const api1 = await api(ADMIN, `/api/v1/units?q=${encodeURIComponent('航埠')}&kind=township`);
    assert.deepEqual(await results.locator('.terr-name').allInnerTexts(), api1.items.map((u) => u.name));
    await results.first().click();
    await shows('航埠镇');
    await page.locator('[data-action="close-search"]').click();
    await row('330802101').waitFor();
  });

  step('renaming a village shows the new name in the tree and in the API', async () => {
    const village = await unitByCode('330802101206');
    const name = `航埠村${process.pid % 1000}`;
    await row(village.code).click();
    await shows(village.name);
    await page.locator('[data-testid="unit-info"] [data-action="rename"]').click();
    const dlg = page.locator('dialog[open]');
    await dlg.locator('[name="name"]').fill('');
    await dlg.locator('[data-action="save-name"]').click();
    assert.match(await dlg.locator('.form-error').innerText(), /请输入单位名称/);
    await dlg.locator('[name="name"]').fill(name);
    await shot('t04-rename');
    await dlg.locator('[data-action="save-name"]').click();
    await dlg.waitFor({ state: 'detached' });
    await row(village.code).locator('.terr-name', { hasText: name }).waitFor();
    await shows(name);
    assert.equal((await api(ADMIN, `/api/v1/units/${village.id}`)).name, name);
  });

  step('a refused disable shows the server\'s reason and changes nothing', async () => {
    const town = await unitByCode('330802101');
    await row('330802101').click();
    await shows('航埠镇');
    await page.locator('[data-testid="unit-info"] [data-action="disable"]').click();
    const confirm = page.locator('dialog[open]');
    assert.match(await confirm.innerText(), /停用单位[\s\S]*航埠镇/);
    await confirm.locator('.btn-danger').click();
    const toast = page.locator('.toast-error', { hasText: '停用失败' });
    await toast.waitFor();
    assert.match(await toast.innerText(), new RegExp(`停用失败：该单位下还有 ${town.children} 个启用的下级单位，请先停用它们`));
    await shot('t05-disable-refused');
    assert.equal((await api(ADMIN, `/api/v1/units/${town.id}`)).active, true);
    assert.equal(await row('330802101').locator('.tag', { hasText: '停用' }).count(), 0, 'not marked 停用');
  });

  step('a disabled grid is marked 停用 as a stopped category or post is, and enabled again', async () => {
    await row('330802101001').click();
    await shows('兴航社区');
    await row('330802101001002').click();
    await shows('兴航社区第2网格');
    await page.locator('[data-testid="unit-info"] [data-action="disable"]').click();
    await page.locator('dialog.dialog-confirm .btn-danger').click();
    await page.locator('.toast', { hasText: '已停用「兴航社区第2网格」' }).waitFor();
    const mark = row('330802101001002').locator('.tag', { hasText: /^停用$/ });
    await mark.waitFor();
    assert.match(await mark.getAttribute('class'), /tag-default/);
    await page.locator('[data-testid="unit-info"] [data-action="enable"]').waitFor();
    assert.match(await page.locator('[data-testid="unit-info"]').innerText(), /状态\s*停用/);
    await shot('t05b-grid-disabled');
    await page.locator('[data-testid="unit-info"] [data-action="enable"]').click();
    await page.locator('dialog.dialog-confirm .btn-primary').click();
    await page.locator('[data-testid="unit-info"] [data-action="disable"]').waitFor();
    assert.equal(await row('330802101001002').locator('.tag', { hasText: /^停用$/ }).count(), 0);
    const grid = await unitByCode('330802101001002');
    assert.equal(grid.active, true);
  });

  step('the township desk sees its own township at the root, and no edit controls', async () => {
    await openAs(DESK);
    const top = page.locator('[data-testid="tree"] > .terr-node > .terr-row');
    assert.equal(await top.count(), 1);
    assert.equal(await top.locator('.terr-name').innerText(), '航埠镇');
    await shows('航埠镇');
    assert.equal(await page.locator('.terr-row[data-code="330800"], .terr-row[data-code="330802"]').count(), 0);
    const summary = await api(DESK, '/api/v1/territory/summary');
    for (const key of ['villages', 'grids']) {
      const text = await page.locator(`[data-testid="count-${key}"]`).filter({ hasText: /\d/ }).innerText();
      assert.equal(Number(text.replace(/,/g, '')), summary[key], `${key}: ${text}`);
    }
    assert.equal(await page.locator('[data-testid="count-counties"]').count(), 0, 'no county count under a township');
    const kids = await api(DESK, '/api/v1/units/' + (await top.getAttribute('data-unit-id')) + '/children?limit=100');
    assert.deepEqual(await childNames('330802101', kids.items.length), kids.items.map((u) => u.name));

    await row('330802101C').click();
    await page.locator('[data-testid="unit-posts"] [data-post="值班员"]').waitFor();
    await page.locator('[data-testid="unit-people"] tbody [data-person]').first().waitFor();
    const controls = '[data-action="rename"], [data-action="disable"], [data-action="enable"], [data-action="new-post"], [data-action="export"]';
    assert.equal(await page.locator(controls).count(), 0, 'no edit controls for the desk');
    await shot('t06-desk-command-room');
  });

  step('no page errors and no failed requests', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(failures, []);
  });
});
