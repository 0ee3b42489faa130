// End-to-end test of the resident's phone (web/mobile/, role resident) against the
// real server on a fresh 衢州 demo database, on the real clock (the demo's reports
// are of the last 45 days): the resident finds their own reports, reports a new one
// located by GPS, which then leads their list, presses it (催办, once a day), and
// rates another once the township has finished it (driven through the API by the
// desk and the module), and reports on a weak signal: the answer lost, the report
// sent again with its key, made once; reporting it a third time, the phone names
// the open report first, and the report being written is kept while the resident
// looks at that one and at other tabs.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, tempDir, ROOT, demoDatabase } from '../api/lib/server.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';

const DATA = path.join(ROOT, 'data');
const PASSWORDS = { resident: 'Demo-Resident-2026', command: 'Demo-Command-2026', module: 'Demo-Module-2026' };
// 万川村第1网格 (航埠镇), in the demo resident's village.
const HERE = { longitude: 118.793879477911, latitude: 29.0486368231794 };

describe('resident (mobile)', () => {
  let srv;
  let browser;
  let page;
  const shots = new Shots('tk-e2e-resident-shots-');
  const pageErrors = [];
  const failedRequests = []; // answers of 400 and above, but the signed-out check of the session
  const shot = (name) => shots.take(page, name);
  const step = (name, fn) => shots.step(name, fn, () => page);
  const apiGet = (p) => page.evaluate((u) => fetch(u).then((r) => r.json()), p);
  const logins = {}; // who -> { token, user }

  // The API as another demo account (bearer token), for what the township does.
  async function as(who, method, urlPath, body) {
    if (!logins[who]) {
      const res = await fetch(`${srv.base}/api/v1/session`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: who, password: PASSWORDS[who], bearer: true }),
      });
      assert.equal(res.status, 201, `login ${who}`);
      logins[who] = await res.json();
    }
    const res = await fetch(srv.base + urlPath, {
      method, headers: { authorization: `Bearer ${logins[who].token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    assert.ok(res.status < 300, `${who} ${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  before(async () => {
    const dir = tempDir('tk-e2e-resident-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    srv = new Server({ dir, db, args: ['--data', DATA] });
    await srv.start();
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      locale: 'zh-CN', timezoneId: 'Asia/Shanghai', geolocation: HERE, permissions: ['geolocation'],
    });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('response', (r) => {
      const signedOut = r.status() === 401 && r.url().endsWith('/api/v1/session') && r.request().method() === 'GET';
      if (r.status() >= 400 && !signedOut) failedRequests.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
  });

  after(() => finishSuite({ browser, srv, shots }));

  const reports = () => page.locator('[data-testid="my-reports"] .m-ev');
  const card = (number) => page.locator(`[data-testid="my-reports"] [data-number="${number}"]`);
  let number = null;

  step('the resident signs in and lands on their own reports', async () => {
    await page.goto(`${srv.base}/mobile/`);
    await page.locator('[name="username"]').fill('resident');
    await page.locator('[name="password"]').fill(PASSWORDS.resident);
    await page.locator('[data-action="login"]').click();
    await reports().first().waitFor();
    assert.deepEqual(await page.locator('.tabbar .tab-label').allInnerTexts(), ['上报', '我的上报', '通知', '我的']);
    const mine = (await apiGet('/api/v1/events?limit=100')).items;
    assert.ok(mine.length >= 3, `the demo resident has reports: ${mine.length}`);
    assert.equal(await reports().count(), Math.min(mine.length, 20));
    await shot('01-my-reports');
    // A resident may not read the stream (stream.read): the live feed polls, asking for nothing refused.
    await page.waitForTimeout(500);
    assert.deepEqual(failedRequests, [], 'no failed requests');
  });

  step('the resident reports a new event where they stand; it leads their list', async () => {
    await page.locator('.tab-item[data-tab="report"]').click();
    await page.locator('[data-testid="place"][data-state="ok"]').waitFor();
    assert.match(await page.locator('[data-testid="place"]').innerText(), /万川村第1网格/);
    await page.locator('[data-action="pick-category"]').click();
    await page.locator('dialog[open] .m-chip[data-class="01"]').click();
    await page.locator('dialog[open] [data-leaf="0102"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('textarea[name="description"]').fill(`e2e-${process.pid}：村口垃圾桶满了没人清运`);
    await page.locator('[data-action="submit-report"]').click();
    await page.locator('[data-testid="report-result"]').waitFor();
    number = (await page.locator('[data-testid="created-number"]').innerText()).trim();
    assert.match(number, /^330802101-\d{8}-\d{4}$/);
    await shot('02-reported');
    await page.locator('.tab-item[data-tab="mine"]').click();
    await reports().first().waitFor();
    assert.equal(await reports().first().getAttribute('data-number'), number);
    assert.match(await reports().first().innerText(), /已上报/);
    // Where it stands in the resident's words, not the desk's stage clock.
    assert.match(await reports().first().innerText(), /等待乡镇受理/);
    assert.doesNotMatch(await reports().first().innerText(), /派遣|剩/);
  });

  step('催办: the resident presses the report, once a day', async () => {
    await card(number).click();
    await page.locator('[data-testid="timeline"]').waitFor();
    // The back button with the sheet open: the sheet goes with its page, unsent.
    await page.locator('[data-act="urge"]').click();
    await page.locator('dialog[open] textarea[name="note"]').waitFor();
    await page.goBack();
    await card(number).waitFor();
    assert.equal(await page.locator('dialog').count(), 0, 'no sheet left over the list');
    await card(number).click();
    await page.locator('[data-testid="timeline"]').waitFor();
    assert.equal(await page.locator('[data-testid="timeline"] li[data-action="urge"]').count(), 0, 'the cancelled sheet sent nothing');
    await page.locator('[data-act="urge"]').click();
    await page.locator('dialog[open] textarea[name="note"]').fill('问题还在，麻烦尽快处理');
    await shot('03-urge');
    await page.locator('dialog[open] [data-action="submit-action"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    const row = page.locator('[data-testid="timeline"] li[data-action="urge"]');
    await row.waitFor();
    assert.match(await row.innerText(), /催办[\s\S]*问题还在，麻烦尽快处理/);
    assert.match(await row.innerText(), /万川村居民/, 'one\'s own name, in clear');
    // Once a day: the button gives way to a word on waiting.
    await page.locator('[data-testid="urge-wait"]').waitFor();
    assert.equal(await page.locator('[data-act="urge"]').count(), 0);
    assert.match(await page.locator('[data-testid="urge-wait"]').innerText(), /24 小时内已催办/);
    // The township's desk, which holds it, hears of it and sees it on the event.
    const id = Number(page.url().split('/').pop());
    const notices = await as('command', 'GET', '/api/v1/notifications?limit=100');
    assert.ok(notices.items.some((n) => n.event_id === id && n.kind === 'urged'), 'the desk has a 催办 notice');
    await shot('04-urged');
    const desk = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    await desk.goto(`${srv.base}/console/#/login`);
    await desk.locator('form.login-form [name="username"]').fill('command');
    await desk.locator('form.login-form [name="password"]').fill(PASSWORDS.command);
    await desk.locator('[data-action="login"]').click();
    await desk.locator('[data-testid="welcome"]').waitFor();
    await desk.goto(`${srv.base}/console/#/events/${id}`);
    await desk.locator('.ev-head .tag', { hasText: '群众催办 1 次' }).waitFor();
    await shots.take(desk, '04a-desk-sees-urge');
    await desk.context().close();
  });

  step('the township finishes the report; the resident rates it', async () => {
    const id = Number(page.url().split('/').pop());
    const moduleUnit = (await as('module', 'GET', '/api/v1/session')).user.unit.id;
    await as('command', 'POST', `/api/v1/events/${id}/accept`, {});
    await as('command', 'POST', `/api/v1/events/${id}/dispatch`, { unit_id: moduleUnit });
    await as('module', 'POST', `/api/v1/events/${id}/sign`, {});
    await as('module', 'POST', `/api/v1/events/${id}/feedback`, { note: '已清运，垃圾桶已清空' });
    await as('command', 'POST', `/api/v1/events/${id}/verify`, { passed: true, note: '电话回访核实' });
    await as('command', 'POST', `/api/v1/events/${id}/close`, {});
    await page.locator('.tab-item[data-tab="mine"]').click();
    await card(number).locator('.m-ev-cta', { hasText: '已办结，欢迎评价' }).waitFor();
    await card(number).click();
    await page.locator('[data-act="revisit"]').click();
    await page.locator('dialog[open] [data-action="submit-action"]').click();
    await page.locator('dialog[open] .m-alert', { hasText: '请点击星星评分' }).waitFor();
    await page.locator('dialog[open] [data-star="5"]').click();
    await page.locator('dialog[open] textarea[name="note"]').fill('处理很及时，满意');
    await page.locator('dialog[open] [data-action="submit-action"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('.m-status .m-stars-ro').waitFor();
    const ev = await apiGet(`/api/v1/events/${id}`);
    assert.deepEqual([ev.state, ev.satisfaction], ['archived', 5]);
    assert.equal(await page.locator('[data-act="revisit"]').count(), 0, 'rated once');
    assert.match(await page.locator('[data-testid="timeline"] li[data-action="revisit"]').innerText(), /评价 ★★★★★ 非常满意[\s\S]*处理很及时，满意/);
    assert.equal(await page.locator('[data-act="urge"]').count(), 0, 'nothing to press once finished');
    await shot('05-rated');
  });

  step('on a weak signal a report is sent again and made once', async () => {
    const text = `e2e-${process.pid}：村口有人私搭乱建（信号不好时上报）`;
    const keys = [];
    let tries = 0;
    // The first try reaches the server, but its answer is lost; the next three do
    // not get through at all. Then the signal comes back.
    await page.route('**/api/v1/events', async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      keys.push(route.request().headers()['idempotency-key']);
      tries += 1;
      if (tries === 1) await route.fetch();
      return route.abort('internetdisconnected');
    });
    await page.locator('.tab-item[data-tab="report"]').click();
    await page.locator('[data-testid="place"][data-state="ok"]').waitFor();
    await page.locator('[data-action="pick-category"]').click();
    await page.locator('dialog[open] .m-chip[data-class="01"]').click();
    await page.locator('dialog[open] [data-leaf="0101"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('textarea[name="description"]').fill(text);
    await page.locator('[data-action="submit-report"]').click();
    const failed = page.locator('[data-testid="send-failed"]');
    await failed.waitFor({ timeout: 20000 });
    assert.match(await failed.innerText(), /网络不佳，上报未完成[\s\S]*不会重复上报/);
    assert.equal(tries, 4, 'sent four times before giving up');
    assert.equal(await page.locator('textarea[name="description"]').inputValue(), text, 'the form is kept');
    await shot('06-send-failed');
    await page.unroute('**/api/v1/events');
    const again = page.waitForResponse((r) => r.url().endsWith('/api/v1/events') && r.request().method() === 'POST');
    await page.locator('[data-action="submit-report"]').click();
    const answer = await again;
    keys.push(answer.request().headers()['idempotency-key']);
    assert.equal(answer.status(), 200, 'answered with the event the first try made');
    await page.locator('[data-testid="report-result"]').waitFor();
    assert.equal(new Set(keys).size, 1, `one key for every try: ${keys.join(', ')}`);
    assert.match(keys[0], /^[0-9a-f]{32}$/);
    const mine = (await apiGet('/api/v1/events?limit=100')).items.filter((e) => e.description === text);
    assert.equal(mine.length, 1, 'one event');
    assert.equal((await page.locator('[data-testid="created-number"]').innerText()).trim(), mine[0].number);
    await shot('07-sent-once');
  });

  step('reporting the same problem again, the phone names the open report first', async () => {
    const open = (await apiGet('/api/v1/events?limit=100')).items.find((e) => e.description.includes('私搭乱建（信号不好时上报）'));
    assert.ok(open && open.state === 'reported', 'the report sent on the weak signal is open');
    await page.locator('[data-testid="report-result"] button', { hasText: '继续上报' }).click();
    await page.locator('[data-testid="place"][data-state="ok"]').waitFor();
    assert.ok(await page.locator('[data-testid="similar"]').isHidden(), 'nothing to say before the type is chosen');
    await page.locator('[data-action="pick-category"]').click();
    await page.locator('dialog[open] .m-chip[data-class="01"]').click();
    await page.locator('dialog[open] [data-leaf="0101"]').click();
    const similar = page.locator('[data-testid="similar"]:not([hidden])');
    await similar.waitFor();
    assert.match(await similar.innerText(), new RegExp(`您近 7 天在这里上报过 1 件同类问题[\\s\\S]*${open.number}[\\s\\S]*催办`));
    await similar.scrollIntoViewIfNeeded();
    await shot('08-similar');
    await similar.locator(`a[data-id="${open.id}"]`).click();
    await page.locator(`[data-testid="event-number"]:text("${open.number}")`).waitFor();
    assert.deepEqual(pageErrors, [], 'no script errors');
    assert.deepEqual(failedRequests, [], 'no failed requests');
  });

  step('the report being written is kept while the resident looks elsewhere', async () => {
    // Back from the similar report: the form as it was left, the type still chosen.
    await page.locator('[data-action="back"]').click();
    await page.locator('[data-action="submit-report"]').waitFor();
    assert.match(await page.locator('[data-action="pick-category"]').innerText(), /市容环境 · 私搭乱建/);
    const text = `e2e-${process.pid}：写到一半去看了通知`;
    await page.locator('textarea[name="description"]').fill(text);
    await page.locator('.tab-item[data-tab="notices"]').click();
    await page.locator('[data-testid="notices"]').waitFor();
    await page.locator('.tab-item[data-tab="report"]').click();
    assert.equal(await page.locator('textarea[name="description"]').inputValue(), text, 'the description is kept');
    assert.match(await page.locator('[data-action="pick-category"]').innerText(), /私搭乱建/);
    // A message fixed goes away: no 请填写 left under a filled field.
    await page.locator('textarea[name="description"]').fill('');
    await page.locator('[data-action="submit-report"]').click();
    await page.locator('.m-field.has-error .m-error', { hasText: '请填写问题描述' }).waitFor();
    await page.locator('textarea[name="description"]').fill(text);
    assert.equal(await page.locator('.m-error', { hasText: '请填写问题描述' }).count(), 0);
    // Choosing the place by hand: a resident has no list of grids, and is not refused one.
    await page.locator('[data-action="manual-place"]').click();
    assert.match(await page.locator('dialog[open] .m-hint').innerText(), /重新定位/);
    await page.locator('dialog[open] .m-sheet-x').click();
    await shot('09-kept');
    assert.deepEqual(pageErrors, [], 'no script errors');
    assert.deepEqual(failedRequests, [], 'no failed requests');
  });
});
