// End-to-end test of the console's 三张清单 page (web/console/lists.js) in a real
// browser against the real server on a copy of the 衢州 demo: the summary agrees
// with the API, filtering by a list and by text finds an item read from the API,
// its detail shows its versions; the admin is refused a code in use (the reason
// at 事项编码) and an effective date before the version in force (the server's
// reason at the date), creates an item, changes it (the history gains a version)
// and retires it, all seen in the table; imports a CSV (a bad file lists its bad
// lines, a good one is written) and exports the lists; a read-only township desk
// sees all of it without a single edit control. No page errors, no failed requests.
//
// Every date is relative to today in Asia/Shanghai, so the hour the demo is built
// does not matter. Needs Debian chromium; screenshots as tests/e2e/lib/browser.mjs says.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, demoDatabase, demoPassword } from '../api/lib/server.mjs';
import { launchChromium, Shots, finishSuite } from './lib/browser.mjs';
import { request } from '../api/lib/auth.mjs';


// YYYY-MM-DD in Beijing, `days` from today.
function shanghaiDay(days = 0) {
  const d = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

const CODE = `E2E-${process.pid % 10000}`;
const NAME = '城区流动摊贩占道经营劝导';
const NAME2 = '城区流动摊贩占道经营劝导与疏导';
const CSV_HEADER = 'code,list,name,subject_kind,subject,cooperating,legal_basis,time_limit,process,delegated,enforcement';

describe('三张清单 (browser)', () => {
  let srv;
  let browser;
  let page;
  const shots = new Shots('tk-e2e-lists-');
  const sessions = {}; // username → { name, value, csrf }
  const problems = []; // page errors and failed requests
  const expected = new Set(); // "STATUS METHOD path" the test provokes on purpose

  const shot = (name) => shots.take(page, name);
  const step = (name, fn) => shots.step(name, fn, () => page);
  const api = async (username, method, url, json) => {
    const s = sessions[username];
    const res = await request(srv, method, url, {
      json, cookie: `${s.name}=${s.value}`, headers: method === 'GET' ? {} : { 'x-csrf-token': s.csrf, origin: srv.base },
    });
    return res;
  };
  const get = async (url) => {
    const res = await api('admin', 'GET', url);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };

  async function openAs(username, viewport) {
    const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    const s = sessions[username];
    await context.addCookies([{ name: s.name, value: s.value, url: srv.base }]);
    const p = await context.newPage();
    p.setDefaultTimeout(15000);
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('requestfailed', (r) => problems.push(`failed: ${r.method()} ${r.url()} ${r.failure() && r.failure().errorText}`));
    p.on('response', (r) => {
      if (r.status() < 400) return;
      const key = `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`;
      if (!expected.has(key)) problems.push(`HTTP ${key}`);
    });
    await p.goto(`${srv.base}/console/#/lists`);
    await p.locator('.table tbody tr [data-code]').first().waitFor();
    await p.locator('[data-testid="kpi-power"]').waitFor();
    return p;
  }

  const rowOf = (code) => page.locator('.table tbody tr', { has: page.locator(`[data-code="${code}"]`) });
  const dialog = () => page.locator('dialog[open]').last();
  const search = async ({ list = '', q = '' } = {}) => {
    await page.locator('form.filters [name="list"]').selectOption(list);
    await page.locator('form.filters [name="q"]').fill(q);
    await page.locator('[data-action="search"]').click();
    await page.locator('.table-mask').waitFor({ state: 'hidden' });
  };
  const codes = () => page.locator('.table tbody [data-code]').evaluateAll((els) => els.map((e) => e.dataset.code));
  const confirm = () => page.locator('dialog.dialog-confirm .btn-primary, dialog.dialog-confirm .btn-danger').click();

  before(async () => {
    srv = new Server();
    const demo = await demoDatabase(srv.db);
    assert.equal(demo.code, 0, demo.stderr);
    await srv.start();
    for (const username of ['admin', 'command']) {
      const login = await request(srv, 'POST', '/api/v1/session', { json: { username, password: demoPassword(username) } });
      assert.equal(login.status, 201, `${username} login: ${login.status}`);
      const [name, value] = String(login.headers['set-cookie']).split(';')[0].split('=');
      sessions[username] = { name, value, csrf: login.body.csrf_token };
    }
    browser = await launchChromium();
    page = await openAs('admin', { width: 1366, height: 768 });
  });

  after(() => finishSuite({ browser, srv, shots }));

  step('the summary shows the counts the API gives, per list and per subject', async () => {
    const sum = await get('/api/v1/lists/summary');
    for (const l of sum.lists) {
      await page.locator(`[data-testid="kpi-${l.list}"]`).filter({ hasText: new RegExp(`^${l.items}$`) }).waitFor();
      assert.equal(await page.locator(`[data-kpi="${l.list}"] .kpi-label`).innerText(), l.label);
    }
    assert.equal(await page.locator('[data-testid="kpi-enforcement"]').innerText(), String(sum.enforcement_items));
    assert.match(await page.locator('[data-kpi="enforcement"] .kpi-sub').innerText(), new RegExp(`赋权乡镇 ${sum.delegated_items} 项`));
    // The subjects' counts add up to the lists' total.
    const total = sum.lists.reduce((n, l) => n + l.items, 0);
    const perSubject = await page.locator('[data-testid="subject-counts"] [data-subject] .num').allInnerTexts();
    assert.equal(perSubject.map(Number).reduce((a, b) => a + b, 0), total);
    const zhifa = await get('/api/v1/list-items?subject=zhifa&limit=500');
    assert.equal(await page.locator('[data-subject="zhifa"] .num').innerText(), String(zhifa.items.length));
    await shot('01-lists-1366');
  });

  step('filtering by a list and by text finds a known item; its detail shows its history', async () => {
    const known = (await get('/api/v1/list-items?list=territorial&limit=5')).items[2];
    await search({ list: 'territorial', q: known.name });
    assert.ok((await codes()).includes(known.code), `found ${known.code}`);
    for (const t of await page.locator('.table tbody tr td:nth-child(3)').allInnerTexts()) assert.equal(t.trim(), '属地管理事项责任清单');
    const api = await get(`/api/v1/list-items?list=territorial&q=${encodeURIComponent(known.name)}&limit=50`);
    assert.deepEqual(await codes(), api.items.map((i) => i.code));
    // Filtering by a subject: the rows are the API's.
    await search();
    await page.locator('form.filters [name="subject"]').selectOption('xinfang');
    await page.locator('.table-mask').waitFor({ state: 'hidden' });
    const xinfang = await get('/api/v1/list-items?subject=xinfang&limit=50');
    await page.waitForFunction((n) => document.querySelectorAll('.table tbody [data-code]').length === n, xinfang.items.length);
    assert.deepEqual(await codes(), xinfang.items.map((i) => i.code));
    await page.locator('[data-action="reset"]').click();

    await search({ list: 'territorial', q: known.name });
    await rowOf(known.code).locator('[data-action="view"]').click();
    const d = dialog();
    await d.locator('[data-testid="history"] > li').first().waitFor();
    assert.equal(await d.locator('.dialog-title').innerText(), known.name);
    const history = await get(`/api/v1/list-items/${encodeURIComponent(known.code)}/history`);
    assert.equal(await d.locator('[data-testid="history"] > li').count(), history.items.length);
    const text = await d.innerText();
    assert.match(text, new RegExp(known.subject.name));
    if (known.legal_basis) assert.ok(text.includes(known.legal_basis), 'legal basis shown');
    for (const s of known.process) assert.ok(text.includes(s), `step ${s} shown`);
    await shot('02-detail');
    await d.locator('.dialog-x').click();
  });

  step('a refused create shows the reason at its field; the admin creates an item', async () => {
    const taken = (await get('/api/v1/list-items?limit=1')).items[0].code;
    await page.click('[data-action="new-item"]');
    const d = dialog();
    await d.locator('[name="code"]').fill(taken);
    await d.locator('[name="list"]').selectOption('territorial');
    await d.locator('[name="name"]').fill(NAME);
    await d.locator('[name="subject"]').selectOption('pingan');
    await d.locator('[name="time_limit"]').fill('3');
    await d.locator('label.radio', { hasText: '综合行政执法局' }).locator('input').check();
    await d.locator('[name="legal_basis"]').fill('《城市市容和环境卫生管理条例》第十四条');
    await d.locator('[name="process"]').fill('发现\n劝导\n反馈');
    await d.locator('[name="effective_on"]').fill(shanghaiDay(-10));
    expected.add('409 POST /api/v1/list-items');
    await d.locator('[data-action="create-item"]').click();
    await confirm();
    const codeError = d.locator('.form-item:has([name="code"]) .form-error');
    await codeError.filter({ hasText: /\S/ }).waitFor();
    assert.match(await codeError.innerText(), new RegExp(`事项编码 ${taken} 已被使用`));
    await shot('03-create-refused');

    await d.locator('[name="code"]').fill(CODE);
    await d.locator('[data-action="create-item"]').click();
    await confirm();
    await d.waitFor({ state: 'detached' });
    await search({ q: CODE });
    assert.deepEqual(await codes(), [CODE]);
    const row = await rowOf(CODE).innerText();
    assert.match(row, new RegExp(NAME));
    assert.match(row, /属地管理事项责任清单/);
    assert.match(row, /平安法治/);
    assert.match(row, /3 工作日/);
    assert.match(row, new RegExp(shanghaiDay(-10)));
  });

  step('the admin changes the item from an earlier day: the history gains a version', async () => {
    await rowOf(CODE).locator('[data-action="edit"]').click();
    const d = dialog();
    await d.locator('[name="name"]').waitFor();
    assert.equal(await d.locator('[name="name"]').inputValue(), NAME);
    await d.locator('[name="name"]').fill(NAME2);
    await d.locator('[name="time_limit"]').fill('5');
    await d.locator('[name="note"]').fill('按新规调整时限');
    // A day before the version in force: the server's reason at the date.
    await d.locator('[name="effective_on"]').fill(shanghaiDay(-20));
    expected.add(`422 PUT /api/v1/list-items/${CODE}`);
    await d.locator('[data-action="save-item"]').click();
    await confirm();
    const dateError = d.locator('.form-item:has([name="effective_on"]) .form-error');
    await dateError.filter({ hasText: /\S/ }).waitFor();
    assert.match(await dateError.innerText(), new RegExp(`早于现行版本的生效日期 ${shanghaiDay(-10)}`));

    await d.locator('[name="effective_on"]').fill(shanghaiDay(-5));
    await d.locator('[data-action="save-item"]').click();
    const sure = page.locator('dialog.dialog-confirm');
    assert.match(await sure.innerText(), /事项名称：.* → .*/);
    await confirm();
    await d.waitFor({ state: 'detached' });
    await rowOf(CODE).filter({ hasText: NAME2 }).waitFor();
    assert.match(await rowOf(CODE).innerText(), /5 工作日/);

    await rowOf(CODE).locator('[data-action="view"]').click();
    const v = dialog();
    await v.locator('[data-testid="history"] > li').first().waitFor();
    const history = await get(`/api/v1/list-items/${CODE}/history`);
    assert.equal(history.items.length, 2, JSON.stringify(history.items.map((x) => [x.valid_from, x.valid_to, x.name, x.retired])));
    assert.equal(await v.locator('[data-testid="history"] > li').count(), 2);
    const latest = await v.locator('[data-testid="history"] > li[data-version="2"]').innerText();
    assert.match(latest, /变更/);
    assert.match(latest, /现行/);
    assert.ok(latest.includes(`事项名称：${NAME} → ${NAME2}`), latest);
    assert.match(latest, /办理时限：3 工作日 → 5 工作日/);
    assert.match(latest, /按新规调整时限/);
    await shot('04-history');
    await v.locator('.dialog-x').click();
  });

  step('the admin retires the item with a reason: it leaves the table, its history stays', async () => {
    await rowOf(CODE).locator('[data-action="retire"]').click();
    const d = dialog();
    await d.locator('[name="note"]').waitFor();
    await d.locator('[data-action="retire-item"]').click();
    assert.match(await d.locator('.form-item:has([name="note"]) .form-error').innerText(), /请填写废止原因/);
    await d.locator('[name="note"]').fill('职责调整，并入市容秩序事项');
    await d.locator('[data-action="retire-item"]').click();
    await confirm();
    await d.waitFor({ state: 'detached' });
    await page.locator('[data-testid="not-listed"]').filter({ hasText: /已于/ }).waitFor();
    assert.deepEqual(await codes(), []);
    assert.match(await page.locator('[data-testid="not-listed"]').innerText(), new RegExp(`已于 ${shanghaiDay(0)} 废止，原因：职责调整`));
    await page.locator('[data-testid="not-listed"] [data-action="history"]').click();
    const v = dialog();
    await v.locator('[data-testid="history"] > li').first().waitFor();
    assert.equal(await v.locator('[data-testid="history"] > li').count(), 3);
    assert.match(await v.locator('li[data-version="3"]').innerText(), /废止[\s\S]*职责调整/);
    assert.equal(await v.locator('[data-action="edit"]').count(), 0, 'a retired item cannot be changed');
    await v.locator('.dialog-x').click();
    // Yesterday it was still in the lists.
    await page.locator('form.filters [name="as_of"]').fill(shanghaiDay(-1));
    await page.locator('[data-action="search"]').click();
    await rowOf(CODE).filter({ hasText: NAME }).waitFor();
    await page.locator('[data-action="reset"]').click();
    await page.locator('.table-mask').waitFor({ state: 'hidden' });
  });

  step('import: a bad file lists its bad lines and writes nothing; a good one is written', async () => {
    await page.click('[data-action="import"]');
    const d = dialog();
    const bad = [CSV_HEADER,
      'E2E-I01,territorial,导入测试事项,module,gonggong,weijian,测试依据,5 work_days,受理|办结,0,0',
      'E2E-I02,nolist,坏行,module,gonggong,,,,,0,0',
      'E2E-I03,territorial,坏时限,module,gonggong,,,3 days,,0,0'].join('\n') + '\n';
    expected.add('422 POST /api/v1/list-items/import');
    await d.locator('[name="file"]').setInputFiles({ name: '清单.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await d.locator('[data-action="do-import"]').click();
    await d.locator('[data-testid="import-report"] li').first().waitFor();
    const lines = await d.locator('[data-testid="import-report"] li').allInnerTexts();
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^第 3 行/);
    assert.match(lines[1], /^第 4 行/);
    await shot('05-import-errors');
    assert.equal((await api('admin', 'GET', '/api/v1/list-items/E2E-I01/history')).status, 404, 'nothing written');

    const good = bad.split('\n').slice(0, 2).join('\n') + '\n';
    await d.locator('[name="file"]').setInputFiles({ name: '清单.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await d.locator('[data-action="do-import"]').click();
    assert.match(await page.locator('dialog.dialog-confirm').innerText(), /新增 1 项、变更 0 项/);
    await confirm();
    await d.waitFor({ state: 'detached' });
    await search({ q: 'E2E-I01' });
    assert.deepEqual(await codes(), ['E2E-I01']);
    await search();
  });

  step('export downloads the lists as a file', async () => {
    await page.click('[data-action="export"]');
    const d = dialog();
    await d.locator('input[name="format"][value="csv"]').check();
    const [download] = await Promise.all([page.waitForEvent('download'), d.locator('[data-action="do-export"]').click()]);
    assert.equal(download.suggestedFilename(), `三张清单-${shanghaiDay(0)}.csv`);
    await d.waitFor({ state: 'detached' });
  });

  step('a read-only township desk sees the lists, the detail and the history, and no edit control', async () => {
    await page.context().close();
    page = await openAs('command', { width: 1920, height: 1080 });
    const sum = await get('/api/v1/lists/summary');
    await page.locator('[data-testid="kpi-territorial"]').filter({ hasText: String(sum.lists[2].items) }).waitFor();
    for (const a of ['new-item', 'import', 'export', 'edit', 'retire']) {
      assert.equal(await page.locator(`[data-action="${a}"]`).count(), 0, `no ${a} control`);
    }
    await shot('06-readonly-1920');
    await page.locator('.table tbody tr [data-action="view"]').first().click();
    const d = dialog();
    await d.locator('[data-testid="history"] > li').first().waitFor();
    assert.equal(await d.locator('[data-action="edit"], [data-action="retire"]').count(), 0);
    // The version line names who made it, as the history does.
    assert.match(await d.locator('.kv-detail').innerText(), /起施行 · 操作人：/);
    await shot('07-readonly-detail');
    await d.locator('.dialog-x').click();

    // Who answers for 违建 in the township: the short word finds nothing, and the page says
    // to search the full name's words; 违法建设 finds the items the API names.
    await search({ q: '违建' });
    const hint = page.locator('[data-testid="search-hint"]');
    await hint.waitFor();
    assert.match(await hint.innerText(), /没有找到名称含「违建」的事项[\s\S]*违法建设/);
    await search({ q: '违法建设' });
    await hint.waitFor({ state: 'hidden' });
    const found = await get(`/api/v1/list-items?q=${encodeURIComponent('违法建设')}&limit=50`);
    assert.ok(found.items.length > 0);
    assert.deepEqual(await codes(), found.items.map((i) => i.code));
    assert.ok(await page.locator('[data-testid="not-listed"]').isHidden(), 'no hint once found');
  });

  step('no page errors and no failed requests', async () => {
    assert.deepEqual(problems, []);
  });
});
