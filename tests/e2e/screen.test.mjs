// End-to-end test of the big screen (web/screen/) in a real browser against the
// real server on a fresh 衢州 demo database: the login form (as the leader), the
// map with every county and township outline and its data layers, the KPI
// cards, the township index ranking, the boards, an event reported through the
// API arriving in the live feed over the stream, a change to an older event
// coming to the top of the feed (the feed is the latest changes, newest first),
// a failed 核查 named as such, a fresh 乡呼县应 call pinned on its board with the
// department's short name, and the 15-second polling fallback when the stream is
// not there.
//
// Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, runCli, demoPassword } from '../api/lib/server.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';
import { request } from '../api/lib/auth.mjs';



describe('big screen (browser)', () => {
  let srv;
  let browser;
  let context;
  let page;
  const shots = new Shots('tk-e2e-screen-');
  let hotline; // { cookie, csrf }
  let desk; // the demo township desk (航埠镇): { cookie, csrf }
  let old; // the oldest report waiting at the desk, accepted during the test
  const pageErrors = [];

  const shot = (name, p = page) => shots.take(p, name);
  const step = (name, fn) => shots.step(name, fn, () => page);

  // Reports an event as the 12345 hotline integration, through the API.
  const report = async (lng, lat, description) => {
    const res = await request(srv, 'POST', '/api/v1/events', {
      json: { category: '0102', description, lng, lat, source: 'hotline' },
      cookie: hotline.cookie,
      headers: { 'x-csrf-token': hotline.csrf, origin: srv.base },
    });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };

  const asDesk = (method, url, json) => request(srv, method, url, {
    json, cookie: desk.cookie, headers: { 'x-csrf-token': desk.csrf, origin: srv.base },
  });

  // The feed's rows, top to bottom: id, the time of the change (ms), the action tag.
  const feedRows = (p = page) => p.$$eval('#feed .feed-row', (els) => els.map((e) => ({
    id: Number(e.dataset.id), at: Number(e.dataset.at), tag: e.querySelector('.tag').textContent,
  })));
  const assertNewestFirst = (rows) => {
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i - 1].at >= rows[i].at, `feed row ${i} (${rows[i].id}) is newer than the row above it`);
    }
  };

  before(async () => {
    srv = new Server();
    const demo = await runCli(['demo', '--db', srv.db], { timeout: 300000 });
    assert.equal(demo.code, 0, demo.stderr);
    await srv.start();
    const login = await request(srv, 'POST', '/api/v1/session', {
      json: { username: 'hotline', password: demoPassword('hotline') },
    });
    assert.equal(login.status, 201, `hotline login: ${login.status}`);
    hotline = { cookie: String(login.headers['set-cookie']).split(';')[0], csrf: login.body.csrf_token };
    const deskLogin = await request(srv, 'POST', '/api/v1/session', {
      json: { username: 'command', password: demoPassword('command') },
    });
    assert.equal(deskLogin.status, 201, `desk login: ${deskLogin.status}`);
    desk = { cookie: String(deskLogin.headers['set-cookie']).split(';')[0], csrf: deskLogin.body.csrf_token };

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(() => finishSuite({ browser, srv, shots }));

  step('a visitor gets the login form; the leader logs in through it', async () => {
    await page.goto(`${srv.base}/screen/`);
    const form = page.locator('#login-form');
    await form.waitFor();
    assert.equal(await page.title(), '衢州市基层治理大脑 · 治理大屏');
    assert.equal(await form.locator('[name="username"]').inputValue(), 'leader', 'the leader is the default user');
    assert.match(await form.locator('.login-note').innerText(), /leader/);
    await shot('01-login');

    await form.locator('[name="password"]').fill('not-the-password');
    await page.click('#login-submit');
    await page.locator('#login-error').filter({ hasText: /\S/ }).waitFor();
    assert.match(await page.locator('#login-error').innerText(), /用户名或密码错误/);

    await form.locator('[name="password"]').fill(demoPassword('leader'));
    await page.click('#login-submit');
    await page.locator('#login').waitFor({ state: 'hidden' });
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 60000 });
    assert.equal(await page.locator('#scope-name').innerText(), '衢州市');
  });

  step('the map draws all 6 counties and every township with heat and overdue layers', async () => {
    await page.waitForFunction(() => {
      const s = window.__screen;
      if (!s || !s.map) return false;
      const series = s.map.chart.getOption().series;
      const towns = series.find((x) => x.id === 'towns');
      const heat = series.find((x) => x.id === 'heat');
      return towns.data.length > 0 && heat.data.length > 0;
    });
    const info = await page.evaluate(async () => {
      const s = window.__screen;
      const opt = s.map.chart.getOption();
      const count = async (kind) => (await (await fetch(`/api/v1/units?kind=${kind}&limit=500`)).json()).items.length;
      return {
        counties: s.geo.countyCount,
        townships: s.geo.townshipCount,
        apiCounties: await count('county'),
        apiTownships: await count('township'),
        towns: opt.series.find((x) => x.id === 'towns').data.length,
        heat: opt.series.find((x) => x.id === 'heat').data.length,
        borders: opt.series.find((x) => x.id === 'borders').data.length,
        labels: opt.series.find((x) => x.id === 'county-labels').data.map((d) => d.name),
        overdue: opt.series.find((x) => x.id === 'overdue').data.length,
        overdueRows: document.querySelectorAll('#overdue .board-row').length,
      };
    });
    assert.equal(info.counties, 6, '衢州 has 6 counties (县、市、区)');
    assert.equal(info.apiCounties, 6);
    assert.equal(info.townships, info.apiTownships, 'every township has an outline');
    assert.ok(info.townships >= 90, `townships: ${info.townships}`);
    assert.equal(info.towns, info.townships);
    assert.ok(info.heat > info.townships / 2, `heat points: ${info.heat}`);
    assert.ok(info.borders >= 6);
    assert.deepEqual([...info.labels].sort(), ['常山县', '开化县', '柯城区', '江山市', '衢江区', '龙游县'].sort());
    // The overdue ripples are the overdue board's events.
    assert.equal(info.overdue, info.overdueRows);
    // The map fills its panel: its drawn box is most of the panel's height.
    const ratio = await page.evaluate(() => {
      const geo = window.__screen.map.chart.getModel().getComponent('geo', 1).coordinateSystem;
      const rect = geo.getViewRect();
      return { h: rect.height / document.querySelector('#map').clientHeight };
    });
    assert.ok(ratio.h > 0.85, `map height / panel height = ${ratio.h}`);
    await shot('02-screen');
  });

  step('the KPI cards show numbers', async () => {
    await page.waitForFunction(() => [...document.querySelectorAll('#kpis .kpi .num')].every((n) => n.dataset.value));
    await page.waitForTimeout(1200); // the count-up animation
    const kpis = await page.$$eval('#kpis .kpi', (els) => els.map((k) => ({
      key: k.dataset.kpi, label: k.querySelector('.kpi-label').innerText, value: k.querySelector('.num').innerText,
    })));
    assert.deepEqual(kpis.map((k) => k.label), ['上报数', '立案数', '结案率', '按期结案率', '超期数', '满意率']);
    for (const k of kpis) assert.match(k.value, /^\d{1,3}(,\d{3})*(\.\d)?$/, `${k.label}: ${k.value}`);
    const reported = Number(kpis[0].value.replace(/,/g, ''));
    assert.ok(reported > 100, `上报数 ${reported}`);
    for (const k of kpis.filter((x) => ['closure', 'on_time', 'satisfaction'].includes(x.key))) {
      assert.ok(Number(k.value) > 0 && Number(k.value) <= 100, `${k.label} ${k.value}`);
    }
    // 结案率 is accepted-and-closed ÷ accepted: its sub-line names those two counts,
    // and they give the rate shown.
    const sub = await page.locator('.kpi[data-kpi="closure"] .kpi-sub').innerText();
    const m = sub.match(/^立案 (\d+) 件中已结 (\d+) 件$/);
    assert.ok(m, `结案率 sub-line: ${sub}`);
    assert.equal(Number(m[1]), Number(kpis[1].value.replace(/,/g, '')), '结案率 counts the accepted events of 立案数');
    const rate = (Number(m[2]) / Number(m[1])) * 100;
    assert.ok(Math.abs(rate - Number(kpis[2].value)) <= 0.051, `结案率 ${kpis[2].value}% but ${sub} is ${rate.toFixed(2)}%`);
    // Today's figures and the trend too.
    assert.match(await page.locator('[data-today="reported"]').innerText(), /^\d[\d,]*$/);
    const trendDays = await page.evaluate(() => window.__screen.trend.getOption().xAxis[0].data.length);
    assert.ok(trendDays >= 28, `trend days: ${trendDays}`);
  });

  step('the ranking lists townships by index, and the county table lists the counties', async () => {
    await page.waitForFunction(() => Number(document.querySelector('#rank').dataset.count) > 0);
    const names = (await page.locator('#rank').getAttribute('data-names')).split(',');
    assert.equal(names.length, 10);
    const townships = await page.evaluate(() => window.__screen.townships.map((t) => t.name));
    for (const n of names) assert.ok(townships.includes(n), `${n} is a township`);
    const scores = await page.evaluate(() => window.__screen.rank.getOption().series[0].data);
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1] >= scores[i], 'best first');
    for (const s of scores) assert.ok(s >= 0 && s <= 100);
    // The weights are explained on hover.
    await page.hover('#rank-help');
    await page.locator('#rank-tip').waitFor();
    assert.match(await page.locator('#rank-tip').innerText(), /按期结案率 30%/);
    await page.mouse.move(10, 10);
    const counties = await page.$$eval('#counties .ct-row:not(.ct-head) .ct-name', (els) => els.map((e) => e.textContent));
    assert.equal(counties.length, 6);
    // The 乡呼县应 board lists departments.
    assert.ok(await page.locator('#calls .board-row').count() > 0, '乡呼县应 rows');
  });

  step('an event reported through the API slides into the live feed', async () => {
    await page.locator('#live[data-mode="live"]').waitFor({ timeout: 30000 });
    const before = await page.locator('#feed .feed-row').count();
    assert.ok(before > 0, 'the feed starts with the latest events');
    const ev = await report(118.87, 28.94, '大屏测试：小区门口垃圾桶满溢，异味明显。');
    const row = page.locator(`#feed .feed-row[data-id="${ev.id}"]`);
    await row.waitFor({ timeout: 30000 });
    const text = await row.innerText();
    assert.match(text, new RegExp(ev.number));
    assert.match(text, /上报/);
    assert.match(text, /柯城区/);
    assert.equal(await page.locator('#feed .feed-row').first().getAttribute('data-id'), String(ev.id), 'newest on top');
    // And it ripples on the map.
    const flashed = await page.evaluate((id) => window.__screen.map.chart.getOption().series
      .find((x) => x.id === 'flash').data.some((d) => d.event.id === id), ev.id);
    assert.ok(flashed, 'a ripple at the new event');
    assertNewestFirst(await feedRows());
    await shot('03-live');
  });

  step('a change to an older event comes to the top of the feed', async () => {
    // The oldest report waiting at the desk (the demo leaves some in every township),
    // accepted only now: the events list (creation order) would not bring it back
    // above the newer ones, the feed does.
    const waiting = await asDesk('GET', '/api/v1/events?state=reported&limit=100');
    assert.equal(waiting.status, 200, waiting.text);
    old = waiting.body.items.at(-1);
    assert.ok(old, 'the demo desk has reports waiting');
    assert.notEqual(String(old.id), await page.locator('#feed .feed-row').first().getAttribute('data-id'), 'not on top before');
    const res = await asDesk('POST', `/api/v1/events/${old.id}/accept`, { note: '大屏测试：立案' });
    assert.equal(res.status, 200, res.text);
    await page.waitForFunction((id) => {
      const top = document.querySelector('#feed .feed-row');
      return top && top.dataset.id === String(id);
    }, old.id, { timeout: 30000 });
    const rows = await feedRows();
    assert.equal(rows[0].tag, '立案');
    assert.equal(rows.filter((r) => r.id === old.id).length, 1, 'one row per event');
    assertNewestFirst(rows);
    assert.match(await page.locator('#feed .feed-row').first().innerText(), new RegExp(old.number));
    await shot('03b-old-event');
  });

  step('without the stream the feed polls and still shows new events', async () => {
    const p2 = await context.newPage();
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    await p2.route('**/api/v1/stream', (route) => route.fulfill({
      status: 404, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: '未找到', status: 404, code: 'not_found' }),
    }));
    await p2.goto(`${srv.base}/screen/`); // the session cookie is shared: no login
    await p2.locator('body[data-ready="1"]').waitFor({ timeout: 60000 });
    await p2.locator('#live[data-mode="poll"]').waitFor({ timeout: 20000 });
    assert.match(await p2.locator('#live-text').innerText(), /轮询/);
    // Opened after the old event's change, the feed still has it (the latest changes,
    // not the latest reports), once, as 立案 or what came after.
    const atLoad = await feedRows(p2);
    assert.equal(atLoad.filter((r) => r.id === old.id).length, 1, 'the change to the old event, from before the page opened');
    assertNewestFirst(atLoad);
    const ev = await report(118.60, 28.75, '大屏测试：村道旁有人私自搭建棚屋。');
    await p2.locator(`#feed .feed-row[data-id="${ev.id}"]`).waitFor({ timeout: 40000 });
    assertNewestFirst(await feedRows(p2));
    await shot('04-poll', p2);
    await p2.close();
  });

  step('a failed check on site reads 核查返工 in the feed', async () => {
    // A report at a place of the desk's township, taken through to 反馈 by the desk
    // and the township's module, then checked on site and sent back.
    const mod = await request(srv, 'POST', '/api/v1/session', { json: { username: 'module', password: demoPassword('module') } });
    assert.equal(mod.status, 201, mod.text);
    const asModule = (url, json) => request(srv, 'POST', url, {
      json, cookie: String(mod.headers['set-cookie']).split(';')[0], headers: { 'x-csrf-token': mod.body.csrf_token, origin: srv.base },
    });
    const listed = await asDesk('GET', '/api/v1/events?limit=20');
    assert.equal(listed.status, 200, listed.text);
    const near = listed.body.items.find((e) => e.lng && e.lat);
    assert.ok(near, 'an event of the desk\'s township with a point');
    const ev = await report(near.lng, near.lat, '大屏测试：路灯不亮，夜间通行不便。');
    const steps = [
      () => asDesk('POST', `/api/v1/events/${ev.id}/accept`, {}),
      () => asDesk('POST', `/api/v1/events/${ev.id}/dispatch`, { unit_id: mod.body.user.unit.id, note: '请处置' }),
      () => asModule(`/api/v1/events/${ev.id}/sign`, {}),
      () => asModule(`/api/v1/events/${ev.id}/feedback`, { note: '已更换灯泡' }),
      () => asDesk('POST', `/api/v1/events/${ev.id}/verify`, { passed: false, note: '大屏测试：现场仍未整改' }),
    ];
    for (const run of steps) {
      const res = await run();
      assert.equal(res.status, 200, res.text);
    }
    await page.waitForFunction((id) => {
      const top = document.querySelector('#feed .feed-row');
      return top && top.dataset.id === String(id) && top.querySelector('.tag').textContent === '核查返工';
    }, ev.id, { timeout: 30000 });
    assert.equal((await feedRows())[0].tag, '核查返工');
  });

  step('a call to the county is pinned on the 乡呼县应 board, in short department names', async () => {
    const dept = await request(srv, 'POST', '/api/v1/session', { json: { username: 'dept', password: demoPassword('dept') } });
    assert.equal(dept.status, 201);
    const waiting = await asDesk('GET', '/api/v1/events?state=reported&limit=100');
    const ev = waiting.body.items.find((e) => e.id !== old.id);
    assert.ok(ev, 'a report waiting at the desk');
    assert.equal((await asDesk('POST', `/api/v1/events/${ev.id}/accept`, {})).status, 200);
    const call = await asDesk('POST', `/api/v1/events/${ev.id}/call-county`, { unit_id: dept.body.user.unit.id, note: '大屏测试：请县执法局协助' });
    assert.equal(call.status, 200, call.text);
    const pinned = page.locator(`#calls-pending .cb-pend[data-id="${ev.id}"]`);
    await pinned.waitFor({ timeout: 30000 });
    const text = await pinned.innerText();
    assert.match(text, /柯城区\s*综合执法局/);
    assert.match(text, /待签收 不足1分钟/, `a call just made: ${text}`);
    // Every department name fits its column: long names go by their usual short form.
    const cut = await page.$$eval('#calls .cb-dept, #calls-pending .cb-dept', (els) => els
      .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    assert.deepEqual(cut, [], 'no department name cut off');
    assert.equal(await page.locator('#calls .cb-dept', { hasText: '人力资源和社会保障局' }).count(), 0);
    await shot('05-called');
  });

  step('no uncaught errors in the page', async () => {
    assert.deepEqual(pageErrors, []);
  });
});
