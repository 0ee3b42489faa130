// End-to-end test of the PC console (web/console/) in a real browser against the
// real server: login, the forced password change, creating a user through the
// form, finding them in the table, the audit entry, and logging out; then the
// new user's first login and their permission-filtered navigation. Then, on the
// 衢州 demo, 接口对接: the admin gives the 12345 hotline a callback URL (a small
// receiver in this process), the hotline reports an event with its ticket number,
// the township desk accepts it, and the signed push arrives and shows as 已送达.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Server, runCli, tempDir, ROOT, demoDatabase } from '../api/lib/server.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';

const ADMIN_PW = 'Quzhou-Admin-2026!';
const ADMIN_NEW_PW = 'Qz-Console-E2E-2026#';
const USER_NEW_PW = 'Kecheng-Center-2026$';
const NEW_USER = `e2e_${process.pid}_${Date.now() % 100000}`;

describe('console (browser)', () => {
  let srv;
  let browser;
  let context;
  let page;
  const shots = new Shots('tk-e2e-shots-');
  let tempPassword;
  const pageErrors = [];

  const shot = (name) => shots.take(page, name);
  // A step whose failure keeps the screenshots and records one more.
  const step = (name, fn) => shots.step(name, fn, () => page);

  before(async () => {
    srv = new Server();
    const init = await runCli(['init', '--db', srv.db]);
    assert.equal(init.code, 0, init.stderr);
    const add = await runCli(['user', 'add', '--db', srv.db, '--role', 'admin', '--unit', '330800',
      '--name', '系统管理员', 'admin', '--password-stdin'], { input: `${ADMIN_PW}\n` });
    assert.equal(add.code, 0, add.stderr);
    await srv.start();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(() => finishSuite({ browser, srv, shots }));

  const nav = () => page.locator('nav.nav');
  const login = async (username, password) => {
    await page.locator('form.login-form [name="username"]').fill(username);
    await page.locator('form.login-form [name="password"]').fill(password);
    await page.locator('[data-action="login"]').click();
  };

  step('an unknown visitor lands on the login page; a wrong password shows the server reason', async () => {
    await page.goto(`${srv.base}/console/`);
    await page.waitForURL(/#\/login$/);
    await page.locator('form.login-form').waitFor();
    assert.equal(await page.title(), '登录 · 条块工作台');
    await shot('01-login');
    await login('admin', 'not-the-password');
    const alert = page.locator('form.login-form .form-alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /用户名或密码错误/);
    assert.equal(await page.locator('form.login-form [name="password"]').inputValue(), '', 'password cleared');
    await shot('02-login-error');
  });

  step('the first login is forced to change the password', async () => {
    await login('admin', ADMIN_PW);
    await page.locator('.gate-card').waitFor();
    await page.waitForURL(/#\/password$/);
    assert.match(await page.locator('.gate-card h2').innerText(), /修改初始密码/);
    assert.match(await page.locator('.gate-card .policy').innerText(), /至少 10 个字符/);
    await shot('03-forced-change');

    // Nothing else opens until the password is changed.
    await page.evaluate(() => { location.hash = '#/users'; });
    await page.waitForURL(/#\/password$/);
    await page.locator('.gate-card').waitFor();

    // Inline field errors: client-side checks …
    await page.fill('[name="current_password"]', ADMIN_PW);
    await page.fill('[name="new_password"]', ADMIN_NEW_PW);
    await page.fill('[name="confirm_password"]', ADMIN_NEW_PW + 'x');
    await page.click('[data-action="change-password"]');
    assert.match(await page.locator('.form-item:has([name="confirm_password"]) .form-error').innerText(), /两次输入的新密码不一致/);
    // … and the server's answer next to the field it names.
    await page.fill('[name="current_password"]', 'Wrong-Current-1');
    await page.fill('[name="confirm_password"]', ADMIN_NEW_PW);
    await page.click('[data-action="change-password"]');
    const curErr = page.locator('.form-item:has([name="current_password"]) .form-error');
    await curErr.filter({ hasText: '当前密码不正确' }).waitFor();
    await shot('04-forced-change-errors');

    await page.fill('[name="current_password"]', ADMIN_PW);
    await page.click('[data-action="change-password"]');
    await page.locator('[data-testid="welcome"]').waitFor();
    await page.waitForURL(/#\/home$/);
  });

  step('home shows who I am and what I may do; the nav lists the admin pages', async () => {
    assert.match(await page.locator('[data-testid="welcome"]').innerText(), /系统管理员/);
    assert.equal(await page.locator('[data-testid="role-label"]').innerText(), '系统管理员');
    assert.match(await page.locator('.topbar-user').innerText(), /衢州市/);
    await page.locator('[data-testid="perm-list"] li').first().waitFor();
    assert.match(await page.locator('[data-testid="perm-list"]').innerText(), /查看审计日志/);
    const items = await nav().locator('.nav-item').allInnerTexts();
    for (const want of ['首页', '用户管理', '审计日志', '权限表', '我的会话', '修改密码']) {
      assert.ok(items.some((x) => x.includes(want)), `nav has ${want}: ${items.join(',')}`);
    }
    // The admin reads events without handling them: an overview, not tasks.
    const inboxes = page.locator('.card', { has: page.locator('[data-testid="inbox-counts"]') });
    assert.match(await inboxes.locator('.card-title').innerText(), /事件概况/);
    assert.deepEqual(await inboxes.locator('.inbox-label').allInnerTexts(), ['待受理', '即将超期', '超期督办', '督办件']);
    await shot('05-home');
  });

  step('creates a user through the form and sees the temporary password once', async () => {
    await nav().locator('a[href="#/users"]').click();
    await page.locator('.table tbody tr [data-username="admin"]').waitFor();
    await page.click('[data-action="new-user"]');
    const dlg = page.locator('dialog[open]');
    await dlg.locator('form').waitFor();

    // A bad username: inline error under the username field.
    await dlg.locator('[name="username"]').fill('bad name');
    await dlg.locator('[name="display_name"]').fill('李四');
    await dlg.locator('[name="role"]').selectOption('county_center');
    await dlg.locator('[data-action="create-user"]').click();
    assert.match(await dlg.locator('.form-item:has([name="username"]) .form-error').innerText(), /只能包含字母、数字/);
    // A role that does not fit the unit: the server's error lands under 角色.
    await dlg.locator('[name="username"]').fill(NEW_USER);
    await dlg.locator('[name="role"]').selectOption('grid_worker');
    await dlg.locator('[data-action="create-user"]').click();
    await dlg.locator('.form-item:has([name="role"]) .form-error').filter({ hasText: '不能隶属于' }).waitFor();
    await shot('06-create-user-errors');

    await dlg.locator('[name="role"]').selectOption('county_center');
    await dlg.locator('[name="phone"]').fill('13800001111');
    await dlg.locator('[data-action="create-user"]').click();
    const secret = page.locator('dialog[open] [data-secret]');
    await secret.waitFor();
    tempPassword = (await secret.innerText()).trim();
    assert.match(tempPassword, /^[A-Za-z0-9]{12}$/);
    assert.match(await page.locator('dialog[open]').innerText(), /只显示这一次/);
    await page.click('dialog[open] [data-action="copy"]');
    await page.locator('dialog[open] [data-action="copy"]').filter({ hasText: '已复制' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), tempPassword);
    await shot('07-temporary-password');
    await page.locator('dialog[open] .dialog-foot .btn-primary').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    // The same username again: the 409 is shown under the username field.
    await page.click('[data-action="new-user"]');
    const again = page.locator('dialog[open]');
    await again.locator('[name="username"]').fill(NEW_USER);
    await again.locator('[name="display_name"]').fill('李四');
    await again.locator('[name="role"]').selectOption('county_center');
    await again.locator('[data-action="create-user"]').click();
    await again.locator('.form-item:has([name="username"]) .form-error').filter({ hasText: '已被使用' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
  });

  step('finds the new user in the table', async () => {
    await page.fill('form.filters [name="q"]', NEW_USER);
    await page.click('form.filters [data-action="search"]');
    const row = page.locator(`.table tbody tr:has([data-username="${NEW_USER}"])`);
    await row.waitFor();
    // The unfiltered table already holds the new user: wait for the search to land.
    await page.waitForFunction(() => document.querySelectorAll('.table tbody tr').length === 1, null, { timeout: 5000 }).catch(() => {});
    assert.equal(await page.locator('.table tbody tr').count(), 1, 'search narrows the table');
    const text = await row.innerText();
    assert.match(text, /李四/);
    assert.match(text, /县级社会治理中心/);
    assert.match(text, /待改密/);
    assert.match(text, /13800001111/);
    await shot('08-users-search');
  });

  step('the audit page shows the user creation', async () => {
    await nav().locator('a[href="#/audit"]').click();
    await page.locator('[data-action-code]').first().waitFor();
    // The creation is audited as user.create, with the username in detail.
    const row = page.locator('.table tbody tr').filter({ has: page.locator('[data-action-code="user.create"]') }).filter({ hasText: `username=${NEW_USER}` });
    await row.first().waitFor();
    assert.match(await row.first().innerText(), /成功/);
    assert.match(await row.first().innerText(), /role=county_center/);
    await shot('09-audit');

    // Filters: actor + action prefix narrow the list; the detail dialog shows the full hash.
    await page.fill('form.filters [name="actor"]', 'admin');
    await page.fill('form.filters [name="action"]', 'user.');
    await page.click('form.filters [data-action="search"]');
    await page.waitForFunction(() => {
      const codes = [...document.querySelectorAll('[data-action-code]')].map((e) => e.dataset.actionCode);
      return codes.length > 0 && codes.every((c) => c.startsWith('user.'));
    });
    await row.first().locator('[data-action="view"]').click();
    const dlg = page.locator('dialog[open]');
    await dlg.waitFor();
    assert.match(await dlg.locator('.hash-full code').innerText(), /^[0-9a-f]{64}$/);
    assert.match(await dlg.locator('pre.json').innerText(), new RegExp(NEW_USER));
    await page.keyboard.press('Escape');
  });

  step('my sessions marks the current one', async () => {
    await nav().locator('a[href="#/sessions"]').click();
    const current = page.locator('.table tbody tr.row-current');
    await current.waitFor();
    assert.match(await current.innerText(), /当前/);
  });

  step('two route changes at once show one page, not the page twice', async () => {
    // The workbench waits for the category tree before drawing; slow it down so
    // that both changes are still waiting when the second arrives.
    const slow = async (route) => {
      await new Promise((r) => setTimeout(r, 500));
      await route.fallback();
    };
    await page.route('**/api/v1/categories', slow);
    await page.evaluate(() => {
      location.hash = '#/events?box=all';
      location.hash = '#/events';
    });
    await page.locator('main .tabs').first().waitFor();
    await page.locator('main .table tbody tr').first().waitFor();
    await page.waitForTimeout(300);
    assert.equal(await page.locator('main .page-head').count(), 1, 'one page header');
    assert.equal(await page.locator('main .tabs').count(), 1, 'one tab bar');
    await page.unroute('**/api/v1/categories', slow);
  });

  step('logs out', async () => {
    await page.click('[data-action="logout"]');
    await page.locator('form.login-form').waitFor();
    await page.waitForURL(/#\/login$/);
    const status = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
    assert.equal(status, 401, 'session is gone after logout');
    await shot('10-logged-out');
  });

  step('the new user logs in with the temporary password, changes it and sees only permitted pages', async () => {
    await login(NEW_USER, tempPassword);
    await page.locator('.gate-card').waitFor();
    await page.fill('[name="current_password"]', tempPassword);
    await page.fill('[name="new_password"]', USER_NEW_PW);
    await page.fill('[name="confirm_password"]', USER_NEW_PW);
    await page.click('[data-action="change-password"]');
    await page.locator('[data-testid="welcome"]').waitFor();
    assert.equal(await page.locator('[data-testid="role-label"]').innerText(), '县级社会治理中心');
    const items = await nav().locator('.nav-item').allInnerTexts();
    assert.ok(items.some((x) => x.includes('用户管理')), 'county center may read users');
    assert.ok(!items.some((x) => x.includes('审计日志')), 'county center has no audit page');
    await shot('11-county-center-home');

    await page.evaluate(() => { location.hash = '#/audit'; });
    await page.locator('.empty-text').filter({ hasText: '您没有访问该页面的权限' }).waitFor();

    // Read-only user list: no create button, no row actions.
    await nav().locator('a[href="#/users"]').click();
    await page.locator('.table tbody tr [data-username]').first().waitFor();
    assert.equal(await page.locator('[data-action="new-user"]').count(), 0);
    assert.equal(await page.locator('[data-action="reset-password"]').count(), 0);

    await page.click('[data-action="logout"]');
    await page.locator('form.login-form').waitFor();
  });

  step('no uncaught errors in the page', async () => {
    assert.deepEqual(pageErrors, []);
  });
});

describe('console: 接口对接 pushes the progress of a 12345 report back to the hotline (browser)', () => {
  let srv;
  let browser;
  let page;
  let receiver; // the hotline's side: an HTTP server that keeps what it is sent
  const received = []; // { method, url, headers, body }
  const shots = new Shots('tk-e2e-integrations-');
  const pageErrors = [];
  // A point in 兴航社区第1网格 (航埠镇), the township of the demo's `command` desk.
  const HERE = { lng: 118.737409981, lat: 29.0773997419 };
  const TICKET = `GD${process.pid}${Date.now() % 1000000}`; // the 12345 ticket number
  let callbackUrl;
  let secret;
  let event; // the reported event as the API gave it

  const shot = (name) => shots.take(page, name);
  const step = (name, fn) => shots.step(name, fn, () => page);

  // A bearer token of a demo account, and a JSON call with it.
  const tokenOf = async (username, password) => {
    const res = await srv.post('/api/v1/session', { username, password, bearer: true });
    assert.equal(res.status, 201, `login ${username}: ${res.text}`);
    return res.body.token;
  };
  const call = (token, method, urlPath, json) =>
    srv.request(method, urlPath, { json, headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    const dir = tempDir('tk-e2e-integrations-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    srv = new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] });
    await srv.start();
    receiver = http.createServer((req, res) => {
      const parts = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${receiver.address().port}/12345/tiaokuai-callback`;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    if (receiver) await new Promise((resolve) => receiver.close(resolve));
    await finishSuite({ browser, srv, shots });
  });

  const hotlineRow = () => page.locator('.table tbody tr:has([data-username="hotline"])');

  step('the admin opens 接口对接 from 系统管理: no callback yet, and what the page is for', async () => {
    await page.goto(`${srv.base}/console/#/login`);
    await page.locator('form.login-form [name="username"]').fill('admin');
    await page.locator('form.login-form [name="password"]').fill('Demo-Admin-2026');
    await page.locator('[data-action="login"]').click();
    await page.locator('[data-testid="welcome"]').waitFor();
    const group = page.locator('nav.nav .nav-group', { has: page.locator('.nav-group-title', { hasText: '系统管理' }) });
    const items = await group.locator('.nav-item').allInnerTexts();
    assert.equal(items[items.indexOf('用户管理') + 1], '接口对接', `接口对接 follows 用户管理: ${items}`);
    await group.locator('a[href="#/integrations"]').click();
    await page.waitForURL(/#\/integrations$/);
    const empty = page.locator('[data-testid="callbacks-empty"]:not([hidden])');
    await empty.waitFor();
    assert.match(await empty.innerText(), /为 12345 热线等对接系统配置回调地址，事件办理进展将自动推送。/);
    assert.equal(await page.title(), '接口对接 · 条块工作台');
    await shot('i01-integrations-empty');
  });

  step('新增回调 for the hotline account shows the signing key once, then the row', async () => {
    await page.locator('[data-action="new-callback"]').first().click();
    const dlg = page.locator('dialog[open]');
    await dlg.locator('form').waitFor();
    // The account list holds the integration accounts only.
    const options = await dlg.locator('[name="user_id"] option:not([value=""])').allInnerTexts();
    assert.ok(options.length >= 1 && options.every((o) => /（.+）/.test(o)), `accounts: ${options}`);
    const hotline = dlg.locator('[name="user_id"] option', { hasText: '（hotline）' });
    const hotlineId = await hotline.getAttribute('value');
    assert.ok(hotlineId, `the hotline account is offered: ${options}`);
    // A URL that is not http(s) is refused before it is sent.
    await dlg.locator('[name="user_id"]').selectOption(hotlineId);
    await dlg.locator('[name="url"]').fill('ftp://12345.example.gov.cn/callback');
    await dlg.locator('[data-action="create-callback"]').click();
    assert.match(await dlg.locator('.form-item:has([name="url"]) .form-error').innerText(), /http:\/\/ 或 https:\/\//);
    await dlg.locator('[name="url"]').fill(callbackUrl);
    await shot('i02-new-callback');
    await dlg.locator('[data-action="create-callback"]').click();

    const value = page.locator('dialog[open] [data-secret]');
    await value.waitFor();
    secret = (await value.innerText()).trim();
    assert.match(secret, /^[0-9a-f]{64}$/);
    const text = await page.locator('dialog[open]').innerText();
    assert.match(text, /只显示这一次/);
    assert.match(text, /X-Tiaokuai-Signature: t=<时间戳>,v1=<签名>/);
    assert.match(text, /HMAC-SHA256\(密钥, "t\.body"\)/);
    await page.click('dialog[open] [data-action="copy"]');
    await page.locator('dialog[open] [data-action="copy"]').filter({ hasText: '已复制' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await shot('i03-callback-secret');
    await page.locator('dialog[open] .dialog-foot .btn-primary').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    const row = hotlineRow();
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.match(cells[0], /hotline/);
    assert.equal(cells[1].split('\n')[0].trim(), callbackUrl);
    assert.match(cells[1], new RegExp(`…${secret.slice(-4)}`), 'the key is hinted by its last four characters');
    assert.equal(cells[2].trim(), '启用');
    assert.deepEqual(cells.slice(3, 6).map((c) => c.trim()), ['0', '0', '0'], '待推送, 已送达, 推送失败');
    assert.equal(await page.locator('[data-testid="callbacks-empty"]').isHidden(), true);
  });

  step('测试推送 sends a signed ping and says what the receiver answered', async () => {
    const before = received.length;
    await hotlineRow().locator('[data-action="test"]').click();
    const done = page.locator('.toast', { hasText: '测试推送成功' });
    await done.waitFor();
    assert.match(await done.innerText(), /对方返回 HTTP 200，用时 \d+ 毫秒/);
    assert.equal(received.length, before + 1, 'one ping');
    const ping = received.at(-1);
    assert.equal(ping.headers['x-tiaokuai-delivery'], 'ping');
    assert.equal(JSON.parse(ping.body).action, 'ping');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(ping.headers['x-tiaokuai-signature']);
    assert.equal(createHmac('sha256', secret).update(`${t}.${ping.body}`).digest('hex'), v1);
    await done.waitFor({ state: 'detached' });
  });

  step('the hotline reports an event with its ticket number; the township desk accepts it', async () => {
    const hotline = await tokenOf('hotline', 'Demo-Hotline-2026');
    const reported = await call(hotline, 'POST', '/api/v1/events', {
      category: '1001', description: `e2e-${process.pid}：12345 来电，兴航社区邻居楼道堆物纠纷`, lng: HERE.lng, lat: HERE.lat,
      source: 'hotline', external_ref: TICKET,
    });
    assert.equal(reported.status, 201, reported.text);
    event = reported.body;
    assert.equal(event.external_ref, TICKET);
    const command = await tokenOf('command', 'Demo-Command-2026');
    const accepted = await call(command, 'POST', `/api/v1/events/${event.id}/accept`, {});
    assert.equal(accepted.status, 200, accepted.text);
  });

  step('the receiver gets the accept as a POST signed with the key shown once', async () => {
    const deadline = Date.now() + 30000;
    const mine = () => received.filter((r) => { try { return JSON.parse(r.body).event_id === event.id; } catch { return false; } });
    while (!mine().some((r) => JSON.parse(r.body).action === 'accept') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const pushes = mine();
    assert.ok(pushes.length > 0, `a push arrived for the event (all received: ${JSON.stringify(received.map((r) => r.body))})`);
    assert.ok(pushes.every((r) => JSON.parse(r.body).action !== 'report'), 'the report itself is not pushed back');
    const push = pushes.find((r) => JSON.parse(r.body).action === 'accept');
    assert.ok(push, `the accept was pushed: ${pushes.map((r) => r.body)}`);
    assert.equal(push.method, 'POST');
    assert.equal(push.url, '/12345/tiaokuai-callback');
    assert.match(push.headers['content-type'] || '', /^application\/json/);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(push.headers['x-tiaokuai-signature'] || '');
    assert.ok(m, `X-Tiaokuai-Signature: ${push.headers['x-tiaokuai-signature']}`);
    const [, t, v1] = m;
    const expected = createHmac('sha256', secret).update(`${t}.${push.body}`).digest('hex');
    assert.ok(timingSafeEqual(Buffer.from(v1), Buffer.from(expected)), 'the signature verifies with the key the page showed');
    assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 300, `t is the send time in unix seconds: ${t}`);
    const body = JSON.parse(push.body);
    assert.equal(String(body.delivery_id), push.headers['x-tiaokuai-delivery']);
    assert.equal(body.event_id, event.id);
    assert.equal(body.number, event.number);
    assert.equal(body.external_ref, TICKET);
    assert.equal(body.from_state, 'reported');
    assert.equal(body.to_state, 'accepted');
    assert.equal(body.state_label, '已立案');
    assert.ok(body.action_label, 'the action is named in Chinese');
    assert.match(body.at, /\+08:00$/);
    event.push = body;
  });

  step('推送记录 shows the push as 已送达, linked to the event', async () => {
    const row = hotlineRow();
    await row.locator('[data-action="deliveries"]').click();
    const card = page.locator('[data-testid="deliveries"]:not([hidden])');
    await card.waitFor();
    assert.match(await card.locator('.card-title').innerText(), /推送记录 · .*（hotline）/);
    const delivered = card.locator(`.table tbody tr:has(a[data-number="${event.number}"])`).filter({ hasText: event.push.action_label }).filter({ hasText: '已送达' });
    // The send happens after the accept: 刷新 until the table shows it (the page also refreshes itself).
    const deadline = Date.now() + 20000;
    while (!(await delivered.count()) && Date.now() < deadline) {
      await card.locator('[data-action="refresh-deliveries"]').click();
      await page.waitForTimeout(500);
    }
    await delivered.first().waitFor({ timeout: 1000 });
    const cells = await delivered.first().locator('td').allInnerTexts();
    assert.equal(cells[0].trim(), event.number);
    assert.equal(cells[1].trim(), event.push.action_label);
    assert.equal(cells[2].trim(), '已立案');
    assert.match(cells[4], /已送达/);
    assert.match(cells[4], /HTTP 200/);
    assert.match(cells[5].trim(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, `送达时间: ${cells[5]}`);
    assert.equal(await delivered.first().locator('a[data-number]').getAttribute('href'), `#/events/${event.id}`);
    assert.equal(await delivered.first().locator('[data-action="retry"]').count(), 0, 'nothing to send again');

    // The filters: 已送达 keeps it, 推送失败 has none.
    await card.locator('.seg-btn[data-status="delivered"]').click();
    await card.locator('.seg-btn.active[data-status="delivered"]').waitFor();
    await delivered.first().waitFor();
    await card.locator('.seg-btn[data-status="failed"]').click();
    await card.locator('.table tbody .empty-text', { hasText: '没有推送失败的记录' }).waitFor();
    await card.locator('.seg-btn[data-status="all"]').click();
    await delivered.first().waitFor();

    // The list counts it too.
    await page.waitForFunction(() => {
      const tr = document.querySelector('.table tbody tr:has([data-username="hotline"])');
      return tr && tr.children[4].textContent.trim() !== '0';
    });
    const cb = await row.locator('td').allInnerTexts();
    assert.ok(Number(cb[4]) >= 1, `已送达 ${cb[4]}`);
    assert.equal(cb[5].trim(), '0', '推送失败');
    assert.match(cb[6], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, `最近送达 ${cb[6]}`);
    // The photographs without the toasts of the creation over them.
    await page.waitForFunction(() => !document.querySelector('.toast'), null, { timeout: 10000 });
    await page.locator('.main').evaluate((el) => { el.scrollTop = 0; });
    await shot('i04-integrations');
    await card.locator('.seg-btn[data-status="delivered"]').click();
    await card.locator('.seg-btn.active[data-status="delivered"]').waitFor();
    await delivered.first().waitFor();
    await card.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shot('i05-deliveries');
  });

  step('审计日志 names the report and the accept in words, the event linked', async () => {
    await page.evaluate(() => { location.hash = '#/audit'; });
    await page.fill('form.filters [name="action"]', 'event.');
    await page.click('form.filters [data-action="search"]');
    const rowOf = (code) => page.locator('.table tbody tr').filter({ has: page.locator(`[data-action-code="${code}"]`) })
      .filter({ has: page.locator(`a[href="#/events/${event.id}"]`) });
    const created = rowOf('event.create');
    await created.first().waitFor();
    assert.match(await created.first().innerText(), /上报事件/);
    assert.equal((await created.first().locator(`a[href="#/events/${event.id}"]`).innerText()).trim(), event.number);
    const accepted = rowOf('event.accept');
    await accepted.first().waitFor();
    const text = await accepted.first().innerText();
    assert.match(text, /立案/);
    assert.match(text, /事件 #\d+/);
    assert.match(text, /已上报 → 已立案/);
    assert.doesNotMatch(text, /from=|to=/);
    await shot('i06-audit-events');
  });

  step('no uncaught errors in the page', async () => {
    assert.deepEqual(pageErrors, []);
  });
});
