// End-to-end test of the console's 工作日历 page (web/console/calendar.js) in a real
// browser against the real server on a copy of the 衢州 demo: the 2026 year view
// shows a statutory holiday and a make-up working day the server has on record;
// the deadline calculator answers what the API answers; the administrator marks
// an ordinary working day as 法定节假日 and the calculator's deadline moves past
// it, then clears the mark and the deadline comes back; a holiday notice with bad
// lines is refused with every bad line listed, the real notice is imported; the
// county center (calendar.read only) sees the calendar and the calculator and no
// edit controls. No page errors and no failed requests along the way.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Server, ROOT, demoDatabase, demoPassword } from '../api/lib/server.mjs';
import { request } from '../api/lib/auth.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';

const YEAR = 2026; // the demo's work calendar covers 2025 and 2026 (data/cn-work-calendar-2025-2026.csv)


describe('work calendar (browser)', () => {
  let srv;
  let browser;
  let page; // the page of the step running, for the failure screenshot
  const shots = new Shots('tk-e2e-calendar-');
  const sessions = {}; // username → { cookie, csrf }
  const pageErrors = [];
  const failed = []; // requests that failed or were answered 4xx/5xx, unless expected
  const expected = new Set(); // "METHOD path" answers a step expects to fail
  let days; // the 2026 calendar as the API gives it

  const step = (name, fn) => shots.step(name, fn, () => page);
  const shot = (name) => shots.take(page, name);

  const login = async (username) => {
    const res = await request(srv, 'POST', '/api/v1/session', { json: { username, password: demoPassword(username) } });
    assert.equal(res.status, 201, `${username} login: ${res.status} ${res.text}`);
    sessions[username] = { cookie: String(res.headers['set-cookie']).split(';')[0], csrf: res.body.csrf_token };
  };
  const apiGet = async (url) => {
    const res = await request(srv, 'GET', url, { cookie: sessions.center.cookie });
    assert.equal(res.status, 200, `${url}: ${res.text}`);
    return res.body;
  };
  const apiDeadline = (start, amount, unit) =>
    apiGet(`/api/v1/calendar/deadline?start=${encodeURIComponent(start)}&amount=${amount}&unit=${unit}`);

  // A browser page signed in as username (the session cookie of an API login), on the calendar.
  const openAs = async (username, viewport) => {
    const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const [name, value] = sessions[username].cookie.split('=');
    await context.addCookies([{ name, value, url: srv.base }]);
    const p = await context.newPage();
    p.setDefaultTimeout(15000);
    p.on('pageerror', (e) => pageErrors.push(`${username}: ${e.message}`));
    p.on('requestfailed', (r) => failed.push(`${username}: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    p.on('response', (r) => {
      const key = `${r.request().method()} ${new URL(r.url()).pathname}`;
      if (r.status() >= 400 && !expected.has(key)) failed.push(`${username}: ${key} → ${r.status()}`);
    });
    await p.goto(`${srv.base}/console/#/calendar?year=${YEAR}`);
    await p.locator(`[data-testid="year-view"] .cal-day[data-date="${YEAR}-12-31"]`).waitFor();
    return p;
  };

  const day = (p, date) => p.locator(`.cal-day[data-date="${date}"]`);
  const compute = async (p, date, time, amount, unit) => {
    const form = p.locator('[data-testid="deadline-form"]');
    await form.locator('[name="start_date"]').fill(date);
    await form.locator('[name="start_time"]').fill(time);
    await form.locator('[name="amount"]').fill(String(amount));
    await form.locator('[name="unit"]').selectOption(unit);
    const box = p.locator('[data-testid="deadline-result"]');
    const before = (await box.count()) ? await box.getAttribute('data-deadline') : null;
    await form.locator('[data-action="compute"]').click();
    await box.waitFor();
    // The answer of this request (the box may show an earlier one for a moment).
    await p.waitForFunction(([b, s]) => {
      const el = document.querySelector('[data-testid="deadline-result"]');
      return el && !document.querySelector('[data-action="compute"]').disabled && (el.dataset.deadline !== b || el.textContent.includes(s));
    }, [before, `${date} ${time}`]);
    return box.getAttribute('data-deadline');
  };

  // Days of the 2026 calendar: an ordinary working day D whose previous day is one too.
  const ordinaryPair = () => {
    for (let i = 1; i < days.length; i++) {
      const a = days[i - 1];
      const b = days[i];
      if (a.kind === 'normal' && a.is_workday && b.kind === 'normal' && b.is_workday && b.date.slice(5, 7) === '03') return [a, b];
    }
    throw new Error('no two ordinary working days in a row in March');
  };

  before(async () => {
    srv = new Server();
    const demo = await demoDatabase(srv.db);
    assert.equal(demo.code, 0, demo.stderr);
    await srv.start();
    await login('admin');
    await login('center');
    days = (await apiGet(`/api/v1/calendar?from=${YEAR}-01-01&to=${YEAR}-12-31`)).items;
    browser = await launchChromium();
  });

  after(() => finishSuite({ browser, srv, shots }));

  step('the 2026 year view shows a statutory holiday and a make-up working day from the server', async () => {
    const holiday = days.find((d) => d.kind === 'holiday');
    const makeup = days.find((d) => d.kind === 'workday');
    assert.ok(holiday && makeup, 'the demo calendar has a holiday and a 调休 workday in 2026');
    page = await openAs('admin', { width: 1366, height: 768 });
    assert.equal(await page.locator('[data-testid="year-switch"] .seg-btn.active').innerText(), `${YEAR} 年`);
    // The years whose notices are on record, and the year after the last (to import next).
    const onRecord = (await apiGet(`/api/v1/calendar?from=${YEAR}-01-01&to=${YEAR}-01-01`)).years;
    const offered = [...new Set([...onRecord, new Date().getFullYear(), onRecord.at(-1) + 1])].sort((a, b) => a - b);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="year-switch"] .seg-btn').length === n, offered.length);
    assert.deepEqual(await page.locator('[data-testid="year-switch"] .seg-btn').allInnerTexts(), offered.map((y) => `${y} 年`));
    assert.equal(await page.locator('.cal-month').count(), 12);
    assert.equal(await page.locator(`.cal-day[data-date^="${YEAR}-"]`).count(), days.length);

    assert.equal(await day(page, holiday.date).getAttribute('data-type'), 'holiday');
    assert.match(await day(page, holiday.date).getAttribute('title'), new RegExp(`法定节假日（${holiday.name}）`));
    const hMonth = page.locator(`.cal-month[data-month="${Number(holiday.date.slice(5, 7))}"] .cal-notes`);
    assert.match(await hMonth.innerText(), new RegExp(holiday.name));
    assert.equal(await day(page, makeup.date).getAttribute('data-type'), 'makeup');
    assert.match(await day(page, makeup.date).getAttribute('title'), new RegExp(`调休上班（${makeup.name}）`));
    const mMonth = page.locator(`.cal-month[data-month="${Number(makeup.date.slice(5, 7))}"] .cal-notes`);
    assert.match(await mMonth.innerText(), new RegExp(makeup.name));

    // The legend names the four kinds of day; the summary counts the server's days.
    const legend = await page.locator('[data-testid="legend"]').innerText();
    for (const want of ['工作日', '休息日', '法定节假日', '调休上班', '今天']) assert.match(legend, new RegExp(want));
    const holidays = days.filter((d) => d.kind === 'holiday').length;
    assert.match(await page.locator('[data-testid="year-summary"]').innerText(), new RegExp(`法定节假日 ${holidays} 天`));
    // The working hours as the server has them.
    const sched = (await apiGet('/api/v1/calendar/schedules')).items[0];
    assert.match(await page.locator('[data-testid="schedules"]').innerText(), new RegExp(sched.hours.mon.split(',')[0].replace('-', '–')));
    await shot('01-admin-1366');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('02-admin-1920');
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  step('the deadline calculator answers what the API answers', async () => {
    // 3 个工作日 from the Wednesday before 国庆 at 16:00, across the holiday.
    const start = `${YEAR}-09-30`;
    const shown = await compute(page, start, '16:00', 3, 'work_days');
    const api = await apiDeadline(`${start}T16:00:00+08:00`, 3, 'work_days');
    assert.equal(shown, api.deadline);
    const text = await page.locator('[data-testid="deadline-value"]').innerText();
    assert.ok(text.startsWith(api.deadline.slice(0, 16).replace('T', ' ')), text);
    assert.equal(await day(page, api.deadline.slice(0, 10)).evaluate((el) => el.classList.contains('is-deadline')), true);
    await shot('03-deadline');
  });

  step('the admin marks a working day as 法定节假日 and the deadline moves past it; clearing restores it', async () => {
    const [prev, target] = ordinaryPair();
    const start = `${prev.date}T16:00:00+08:00`;
    const plain = await apiDeadline(start, 1, 'work_days');
    assert.equal(plain.deadline.slice(0, 10), target.date, 'one working day after prev ends on the target day');
    assert.equal(await compute(page, prev.date, '16:00', 1, 'work_days'), plain.deadline);

    await day(page, target.date).click();
    const dlg = page.locator('dialog.dialog-calendar-day');
    await dlg.locator('form').waitFor();
    await dlg.locator('[data-kind="holiday"] input').check();
    await dlg.locator('[name="name"]').fill('测试假日');
    await shot('04-mark-dialog');
    await dlg.locator('[data-action="save-day"]').click();
    const confirm = page.locator('dialog.dialog-confirm');
    assert.match(await confirm.innerText(), /设为法定节假日「测试假日」/);
    await confirm.locator('.dialog-foot .btn').last().click();
    await dlg.waitFor({ state: 'detached' });
    await page.locator(`.cal-day[data-date="${target.date}"][data-type="holiday"]`).waitFor();

    // The calculator asked again: the deadline is past the new holiday, as the API says.
    const moved = await apiDeadline(start, 1, 'work_days');
    assert.ok(moved.deadline.slice(0, 10) > target.date, `${moved.deadline} after ${target.date}`);
    await page.locator(`[data-testid="deadline-result"][data-deadline="${moved.deadline}"]`).waitFor();
    assert.match(await page.locator(`.cal-month[data-month="3"] .cal-notes`).innerText(), /测试假日/);
    await shot('05-marked');

    await day(page, target.date).click();
    await dlg.locator('form').waitFor();
    await dlg.locator('[data-kind="clear"] input').check();
    assert.equal(await dlg.locator('[name="name"]').isVisible(), false);
    await dlg.locator('[data-action="save-day"]').click();
    assert.match(await confirm.innerText(), /恢复为工作日/);
    await confirm.locator('.dialog-foot .btn').last().click();
    await dlg.waitFor({ state: 'detached' });
    await page.locator(`.cal-day[data-date="${target.date}"][data-type="work"]`).waitFor();
    await page.locator(`[data-testid="deadline-result"][data-deadline="${plain.deadline}"]`).waitFor();
    assert.deepEqual(await apiDeadline(start, 1, 'work_days'), plain);
  });

  step('a holiday notice with bad lines is refused line by line; the real notice imports', async () => {
    const dir = path.dirname(srv.db);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, `date,kind,name\n${YEAR}-02-30,holiday,春节\n${YEAR}-03-02,vacation,春节\n`);
    await page.locator('[data-action="import"]').click();
    const dlg = page.locator('dialog.dialog-calendar-import');
    await dlg.locator('form').waitFor();
    await page.setInputFiles('#calendar-import-file', bad);
    // The line of an unknown type is counted apart: the numbers add up before importing.
    const preview = dlg.locator('[data-testid="import-preview"]');
    await preview.filter({ hasText: '共 2 行' }).waitFor();
    assert.match(await preview.innerText(), /法定节假日 1 天、调休上班 0 天、类型无法识别 1 行/);
    expected.add('POST /api/v1/calendar/import');
    // The server checks the file first: its bad lines are listed, with nothing to confirm.
    await dlg.locator('[data-action="import-submit"]').click();
    const errors = dlg.locator('[data-testid="import-errors"] li');
    await errors.first().waitFor();
    assert.equal(await page.locator('dialog.dialog-confirm').count(), 0, 'a refused file asks nothing');
    assert.deepEqual(await errors.evaluateAll((els) => els.map((e) => e.dataset.line)), ['2', '3']);
    assert.match(await errors.nth(0).innerText(), /^第 2 行/);
    await shot('06-import-errors');
    expected.delete('POST /api/v1/calendar/import');

    // The notice the demo was built from: every line of the year imports again.
    const rows = readFileSync(path.join(ROOT, 'data/cn-work-calendar-2025-2026.csv'), 'utf8').trim().split('\n');
    const mine = [rows[0], ...rows.filter((l) => l.startsWith(`${YEAR}-`))];
    const good = path.join(dir, 'notice.csv');
    writeFileSync(good, mine.join('\n') + '\n');
    await page.setInputFiles('#calendar-import-file', good);
    await dlg.locator('[data-action="import-submit"]').click();
    assert.match(await page.locator('dialog.dialog-confirm').innerText(), /文件已检查无误。将导入/);
    await page.locator('dialog.dialog-confirm .dialog-foot .btn').last().click();
    await dlg.waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: `已导入 ${mine.length - 1} 个日期` }).waitFor();
    let after = (await apiGet(`/api/v1/calendar?from=${YEAR}-01-01&to=${YEAR}-12-31`)).items;
    assert.deepEqual(after, days, 'the calendar is as it was');

    // A notice saved by Excel in GBK: its names arrive as written, not garbled.
    const national = days.find((d) => d.kind === 'holiday' && d.name === '国庆节');
    assert.ok(national, 'a 国庆节 day in the demo calendar');
    const gbk = path.join(dir, 'notice-gbk.csv');
    writeFileSync(gbk, Buffer.concat([Buffer.from(`date,kind,name\r\n${national.date},holiday,`), Buffer.from('b9fac7ecbdda', 'hex'), Buffer.from('\r\n')]));
    await page.locator('[data-action="import"]').click();
    await dlg.locator('form').waitFor();
    await page.setInputFiles('#calendar-import-file', gbk);
    await dlg.locator('[data-testid="import-preview"]').filter({ hasText: '共 1 行' }).waitFor();
    await dlg.locator('[data-action="import-submit"]').click();
    await page.locator('dialog.dialog-confirm .dialog-foot .btn').last().click();
    await dlg.waitFor({ state: 'detached' });
    after = (await apiGet(`/api/v1/calendar?from=${YEAR}-01-01&to=${YEAR}-12-31`)).items;
    assert.deepEqual(after, days, 'the GBK notice kept the name 国庆节');
    await page.close();
  });

  step('the county center sees the calendar and the calculator, and no edit controls', async () => {
    page = await openAs('center', { width: 1366, height: 768 });
    const holiday = days.find((d) => d.kind === 'holiday');
    assert.equal(await day(page, holiday.date).getAttribute('data-type'), 'holiday');
    await page.locator('[data-testid="schedules"] .cal-sched').first().waitFor();
    assert.equal(await page.locator('button.cal-day').count(), 0);
    for (const action of ['import', 'edit-day', 'edit-schedules']) {
      assert.equal(await page.locator(`[data-action="${action}"]`).count(), 0, `no ${action} for a reader`);
    }
    const shown = await compute(page, `${YEAR}-09-30`, '16:00', 10, 'work_hours');
    assert.equal(shown, (await apiDeadline(`${YEAR}-09-30T16:00:00+08:00`, 10, 'work_hours')).deadline);
    await day(page, holiday.date).click();
    assert.equal(await page.locator('dialog[open]').count(), 0);
    await shot('07-reader-1366');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('08-reader-1920');
  });

  step('no page errors, no failed requests, no overflow', async () => {
    const overflow = await page.evaluate(() => {
      const main = document.querySelector('.main');
      return main.scrollWidth - main.clientWidth;
    });
    assert.equal(overflow, 0, 'nothing wider than the page');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(failed, []);
  });
});
