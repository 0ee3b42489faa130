// End-to-end test of the PC console (web/console/) in a real browser against the
// real server: login, the forced password change, creating a user through the
// form, finding them in the table, the audit entry, and logging out; then the
// new user's first login and their permission-filtered navigation.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, runCli } from '../api/lib/server.mjs';
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
    assert.deepEqual(await inboxes.locator('.inbox-label').allInnerTexts(), ['待受理', '超期督办', '督办件']);
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
