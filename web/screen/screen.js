// screen.js - the big screen (治理大屏) of the governance brain, DESIGN §6.
//
// A 1920×1080 stage scaled to the window. Left: KPI cards, the 30-day trend and
// the county index table. Centre: the city map (map.js) with today's figures,
// and the live event feed under it. Right: the township index ranking, the
// overdue (超期督办) board and the 乡呼县应 board.
//
// Data: the stats rollups (/stats/summary, /daily, /children, /departments),
// the event lists (box=overdue, state=county_called, the latest 30) and the
// live stream /api/v1/stream (server-sent events). The feed lists the latest
// change of each event, newest first. When the stream is not available the feed
// polls every 15 s. Figures refresh every minute and a few seconds after a burst
// of changes.

/* global echarts */

import * as api from './api.js';
import { registerMaps, CityMap } from './map.js';
import { rankUnits, governanceIndex, weightsText, INDEX_WEIGHTS, MIN_ACCEPTED } from './gindex.js';

const TZ = 'Asia/Shanghai';
const DAYS = 30;
const POLL_MS = 15000;
const REFRESH_MS = 60000;
const FEED_MAX = 30;
const STREAM_RETRY_MS = 5 * 60000;

const ACTIONS = {
  report: ['上报', 'new'], accept: ['立案', 'flow'], 'verify-request': ['派发核实', 'flow'],
  dispatch: ['交办', 'flow'], reassign: ['改派', 'warn'], sign: ['签收', 'flow'], return: ['退回', 'warn'], 'call-county': ['乡呼县应', 'warn'],
  'request-extension': ['申请延期', 'warn'], 'decide-extension': ['延期审批', 'flow'], suspend: ['挂账', 'warn'],
  resume: ['恢复办理', 'flow'], feedback: ['反馈', 'flow'], close: ['结案', 'done'], revisit: ['回访', 'done'],
  reject: ['不予立案', 'flow'], void: ['作废', 'flow'], merge: ['合并重复件', 'flow'], 'self-close': ['自行处置', 'done'],
  yellow: ['黄灯预警', 'warn'], red: ['红灯督办', 'red'], supervise: ['督办', 'red'], urge: ['群众催办', 'warn'],
};
// A check on site says which it was and how it came out, from its timeline row:
// 核实 (a report verified before it is accepted) or 核查 (the handling checked).
function verifyTag(row) {
  const passed = !!(row && row.detail && row.detail.passed);
  if (row && row.from_state === 'verifying') return passed ? ['核实属实', 'flow'] : ['核实不属实', 'warn'];
  return passed ? ['核查通过', 'done'] : ['核查返工', 'warn'];
}

// Changes the feed does not show (they still refresh the figures); a merge shows once,
// on the report merged, not again on the event it went into.
const QUIET_ACTIONS = new Set(['comment', 'attach', 'merged']);

const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// ---- time in Asia/Shanghai, whatever the machine's zone ----
const fmtDay = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const fmtTime = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const fmtDate = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
const dayOf = (ms) => fmtDay.format(new Date(ms)); // YYYY-MM-DD

function period() {
  const now = Date.now();
  return { from: dayOf(now - (DAYS - 1) * 86400000), to: dayOf(now), today: dayOf(now) };
}

const pctText = (x) => (x === null || x === undefined ? '—' : (Math.min(1, x) * 100).toFixed(1));
function minutesText(m) {
  if (m === null || m === undefined) return '—';
  if (m < 60) return `${Math.round(m)}分钟`;
  if (m < 1440) return `${(m / 60).toFixed(1)}小时`;
  return `${(m / 1440).toFixed(1)}天`;
}
function durationText(ms) {
  const m = Math.max(0, Math.floor(ms / 60000));
  if (m === 0) return '不足1分钟';
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (d > 0) return `${d}天${h}小时`;
  if (h > 0) return `${h}小时${m % 60}分`;
  return `${m}分钟`;
}
// How long an overdue event is past its earliest passed deadline (natural time).
function lateMs(e, now = Date.now()) {
  const passed = [e.stage_deadline, e.due_at].filter(Boolean).map((t) => Date.parse(t)).filter((t) => t < now);
  return passed.length ? now - Math.min(...passed) : 0;
}
const lateText = (e) => `已超期 ${durationText(lateMs(e))}`;
const placeOf = (e) => [e.county && e.county.name, e.township && e.township.name].filter(Boolean).join(' · ');
// The usual short names of county departments, for the narrow boards (the full
// name stays in the row's tooltip).
const DEPT_SHORT = [
  ['人力资源和社会保障局', '人社局'], ['住房和城乡建设局', '住建局'], ['自然资源和规划局', '资规局'],
  ['市场监督管理局', '市场监管局'], ['综合行政执法局', '综合执法局'],
];
const shortDept = (name) => DEPT_SHORT.reduce((n, [long, short]) => (n.endsWith(long) ? n.slice(0, -long.length) + short : n), name);
// "柯城区综合行政执法局" -> ["柯城区", "综合执法局"] when it starts with a county name.
function splitDept(name, countyNames) {
  for (const c of countyNames) if (name.startsWith(c) && name.length > c.length) return [c, shortDept(name.slice(c.length))];
  return ['', shortDept(name)];
}

// ---- the stage scale ----
let scale = 1;
function fit() {
  scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
  $('#stage').style.transform = `translate(-50%, -50%) scale(${scale})`;
}

function tickClock() {
  const now = new Date();
  $('#clock-date').textContent = fmtDate.format(now);
  $('#clock-time').textContent = fmtTime.format(now);
  redrawFeedOnNewDay();
}

// A number that counts up to its new value.
function setNumber(el, value, decimals = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    el.textContent = '—';
    el.dataset.value = '';
    return;
  }
  const from = el.dataset.value ? Number(el.dataset.value) : 0;
  el.dataset.value = String(value);
  const t0 = performance.now();
  const dur = 900;
  const step = (t) => {
    const k = Math.min(1, (t - t0) / dur);
    const v = from + (value - from) * (1 - (1 - k) ** 3);
    el.textContent = v.toLocaleString('zh-CN', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    if (k < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

// ---- state ----
const S = {
  session: null,
  unit: null, // the caller's territorial anchor
  counties: [],
  townships: [],
  countyNames: [],
  geo: null,
  map: null,
  trend: null,
  rank: null,
  ranked: [],
  overdue: [],
  called: [],
  feed: new Map(), // event id -> { e, action, at }: the feed's entries (see the live feed)
  feedSeen: new Set(), // event ids met, so that polling ripples only new reports
  feedDay: '', // the day the feed's times were written on
  mode: 'connecting',
  es: null,
  pollTimer: 0,
  refreshTimer: 0,
  refreshing: false,
  lastRefresh: 0,
};
const dpr = () => Math.max(1, (window.devicePixelRatio || 1) * scale);

// ---- login ----
function showLogin(message = '') {
  const box = $('#login');
  const form = $('#login-form');
  box.hidden = false;
  $('#login-error').textContent = message;
  $('#logout').hidden = true;
  form.password.value = '';
  (form.username.value ? form.password : form.username).focus();
  return new Promise((resolve) => {
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const btn = $('#login-submit');
      btn.disabled = true;
      btn.textContent = '正在登录…';
      $('#login-error').textContent = '';
      try {
        const s = await api.login(form.username.value.trim(), form.password.value);
        if (s.must_change_password) {
          $('#login-error').textContent = '该账号需要先在工作台修改初始密码，再登录大屏。';
          return;
        }
        form.password.value = '';
        box.hidden = true;
        resolve(s);
      } catch (e) {
        $('#login-error').textContent = e.detail || '登录失败';
        form.password.value = '';
        form.password.focus();
      } finally {
        btn.disabled = false;
        btn.textContent = '登录并打开大屏';
      }
    };
  });
}

let reauth = null;
api.onUnauthorized(() => {
  if (reauth) return;
  stopLive();
  reauth = showLogin('会话已过期，请重新登录。').then((s) => {
    // Another account sees another territory: start over.
    if (!S.unit || s.user.unit.id !== S.unit.id) {
      location.reload();
      return;
    }
    S.session = s;
    reauth = null;
    $('#logout').hidden = false;
    refreshAll();
    reloadFeed();
    startLive();
  });
});

// ---- the map ----
async function loadGeometry() {
  const u = S.unit;
  const townships = await api.getAll('units', { kind: 'township', geometry: 1, limit: 500 });
  let counties;
  if (u.kind === 'county') counties = [await api.get(`units/${u.id}`, { geometry: 1 })];
  else if (u.kind === 'township') counties = [];
  else counties = await api.getAll('units', { kind: 'county', geometry: 1, limit: 500 });
  S.counties = counties;
  S.townships = u.kind === 'township' ? townships.filter((t) => t.id === u.id) : townships;
  S.countyNames = counties.map((c) => c.name).sort((a, b) => b.length - a.length);
  S.geo = registerMaps(counties.length ? counties : S.townships, S.townships);
  S.map = new CityMap($('#map'), S.geo, { dpr: dpr() });
  window.__screen = S; // for tests and debugging in the browser console
  $('#map-loading').hidden = true;
}

// ---- panels ----
function renderKpis(sum, overdueOpen) {
  const c = sum.counts;
  const r = sum.rates;
  const set = (key, value, decimals, sub) => {
    const card = $(`.kpi[data-kpi="${key}"]`);
    setNumber($('.num', card), value, decimals);
    $('.kpi-sub', card).innerHTML = sub;
  };
  const pctNum = (x) => (x === null || x === undefined ? null : Math.min(1, x) * 100);
  set('reported', c.reported, 0, `日均 <em>${(c.reported / DAYS).toFixed(1)}</em> 件`);
  set('accepted', c.accepted, 0, `立案率 <em>${c.reported ? ((c.accepted / c.reported) * 100).toFixed(1) : '—'}%</em>`);
  // The rate is accepted-and-closed ÷ accepted: the sub-line names those two counts
  // (not every closure in the window), so that the figures agree with each other.
  set('closure', pctNum(r.closure_rate), 1, `立案 <em>${c.accepted}</em> 件中已结 <em>${c.accepted_closed ?? '—'}</em> 件`);
  set('on_time', pctNum(r.on_time_closure_rate), 1, `应结 <em>${c.due}</em> 件，按期 <em>${c.closed_on_time}</em> 件`);
  set('overdue', c.overdue, 0, `当前在办超期 <em>${overdueOpen ?? '—'}</em> 件`);
  set('satisfaction', pctNum(r.satisfaction_rate), 1, `评价 <em>${c.rated}</em> 件，均分 <em>${c.rated ? (c.rating_sum / c.rated).toFixed(2) : '—'}</em>`);
}

function renderToday(sum) {
  const c = sum.counts;
  setNumber($('[data-today="reported"]'), c.reported);
  setNumber($('[data-today="accepted"]'), c.accepted);
  setNumber($('[data-today="closed"]'), c.closed);
}

function axisStyle() {
  return {
    axisLine: { lineStyle: { color: 'rgba(80, 170, 255, 0.35)' } },
    axisTick: { show: false },
    axisLabel: { color: '#7fb6dc', fontSize: 13 },
    splitLine: { lineStyle: { color: 'rgba(80, 170, 255, 0.1)', type: 'dashed' } },
  };
}

function renderTrend(items) {
  if (!S.trend) S.trend = echarts.init($('#trend'), null, { devicePixelRatio: dpr() });
  const days = items.map((d) => d.day.slice(5));
  const area = (color) => ({
    type: 'linear', x: 0, y: 0, x2: 0, y2: 1,
    colorStops: [{ offset: 0, color }, { offset: 1, color: 'rgba(0, 0, 0, 0)' }],
  });
  S.trend.setOption({
    grid: { left: 46, right: 18, top: 40, bottom: 28 },
    legend: {
      top: 8, right: 14, itemWidth: 16, itemHeight: 8, itemGap: 16,
      textStyle: { color: '#9fd0ef', fontSize: 13 },
    },
    tooltip: {
      trigger: 'axis', backgroundColor: 'rgba(3, 20, 44, 0.94)', borderColor: 'rgba(38, 214, 255, 0.8)',
      textStyle: { color: '#d8f6ff', fontSize: 13 }, axisPointer: { lineStyle: { color: 'rgba(46, 230, 255, 0.5)' } },
    },
    xAxis: { type: 'category', data: days, boundaryGap: true, ...axisStyle(), axisLabel: { color: '#7fb6dc', fontSize: 12, interval: 4 }, splitLine: { show: false } },
    yAxis: { type: 'value', minInterval: 1, ...axisStyle(), axisLine: { show: false } },
    series: [
      {
        name: '上报', type: 'line', smooth: true, symbol: 'none', data: items.map((d) => d.counts.reported),
        lineStyle: { width: 2.5, color: '#2ee6ff', shadowColor: 'rgba(46, 230, 255, 0.6)', shadowBlur: 8 },
        itemStyle: { color: '#2ee6ff' }, areaStyle: { color: area('rgba(46, 230, 255, 0.35)') },
      },
      {
        name: '结案', type: 'line', smooth: true, symbol: 'none', data: items.map((d) => d.counts.closed),
        lineStyle: { width: 2, color: '#22e3b4' }, itemStyle: { color: '#22e3b4' }, areaStyle: { color: area('rgba(34, 227, 180, 0.18)') },
      },
      {
        name: '超期', type: 'bar', barWidth: 6, data: items.map((d) => d.counts.overdue),
        itemStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: '#ff5a5c' }, { offset: 1, color: 'rgba(255, 77, 79, 0.2)' }] } },
      },
    ],
  });
}

function renderCounties(items) {
  const box = $('#counties');
  const rows = items
    .map((it) => ({ ...it, index: governanceIndex(it) }))
    .sort((a, b) => (b.index ? b.index.score : -1) - (a.index ? a.index.score : -1));
  const bandClass = (b) => (b === 'A' ? 'good' : b === 'B' ? '' : b === 'C' ? 'warn' : 'bad');
  // Bars from 60 (band C) to 100, so that close scores still look different.
  const barPct = (x) => Math.max(2, Math.min(100, ((x - 60) / 40) * 100));
  box.innerHTML = '<div class="ct-row ct-head"><span>县（市、区）</span><span>治理指数</span><span></span><span>上报</span><span>结案率</span><span>满意率</span></div>'
    + (rows.length ? rows.map((r) => `
      <div class="ct-row" data-unit="${r.unit_id}" title="${esc(weightsText())}">
        <span class="ct-name">${esc(r.name)}</span>
        <span class="ct-bar">${r.index ? `<i style="width:${barPct(r.index.score)}%"></i>` : ''}</span>
        <span class="ct-score">${r.index ? `${r.index.score.toFixed(1)}<span class="ct-band ${bandClass(r.index.band)}">${r.index.band}</span>` : '<span class="muted">—</span>'}</span>
        <span>${r.counts.reported}</span>
        <span>${pctText(r.rates.closure_rate)}%</span>
        <span>${pctText(r.rates.satisfaction_rate)}%</span>
      </div>`).join('') : '<div class="empty">暂无数据</div>');
}

function indexTooltip(r) {
  const parts = r.index.parts.map((p) => `<tr><td>${esc(p.label)}</td><td>${(p.value * 100).toFixed(1)}%</td><td>× ${Math.round(p.weight * 100)}%</td></tr>`).join('');
  return `<div class="tt-title">第 ${r.rank} 名 · ${esc(r.name)}<span class="tt-sub">${esc(countyOf(r))}</span></div>
    <div class="tt-index" style="border:0;margin:0;padding:0">治理指数 <b>${r.index.score.toFixed(1)}</b> · ${r.index.band} ${r.index.bandLabel}</div>
    <table class="tt-grid" style="margin-top:6px">${parts}</table>
    <div class="tt-weights">权重：${esc(weightsText())}。近 30 日立案不足 ${MIN_ACCEPTED} 件的乡镇不参与排名。</div>`;
}

function countyOf(r) {
  const t = S.townships.find((x) => x.id === r.unit_id);
  const c = t && S.geo ? S.geo.countyById.get(t.parent_id) : null;
  return c ? c.name : '';
}

function renderRank(ranked) {
  if (!S.rank) S.rank = echarts.init($('#rank'), null, { devicePixelRatio: dpr() });
  const top = ranked.slice(0, 10);
  const medal = ['#ffd24a', '#d6e4f0', '#f0a35e'];
  S.rank.setOption({
    grid: { left: 196, right: 60, top: 12, bottom: 8 },
    tooltip: {
      trigger: 'item', confine: true, backgroundColor: 'rgba(3, 20, 44, 0.96)', borderColor: 'rgba(38, 214, 255, 0.8)',
      padding: [10, 14], textStyle: { color: '#d8f6ff', fontSize: 13 },
      formatter: (p) => indexTooltip(top[p.dataIndex]),
    },
    xAxis: { type: 'value', min: (v) => Math.max(0, Math.floor(v.min / 10) * 10 - 10), max: 100, show: false },
    yAxis: {
      type: 'category', inverse: true, data: top.map((r) => r.name),
      axisLine: { show: false }, axisTick: { show: false },
      axisLabel: {
        interval: 0, margin: 12, align: 'left', padding: [0, 0, 0, -184],
        formatter: (name, i) => `{r${i < 3 ? i : 'n'}|${i + 1}}  {name|${name}}{county|${countyOf(top[i])}}`,
        rich: {
          r0: { width: 22, height: 22, align: 'center', color: '#1b1300', backgroundColor: medal[0], fontWeight: 700, borderRadius: 2 },
          r1: { width: 22, height: 22, align: 'center', color: '#0e1a26', backgroundColor: medal[1], fontWeight: 700, borderRadius: 2 },
          r2: { width: 22, height: 22, align: 'center', color: '#2a1400', backgroundColor: medal[2], fontWeight: 700, borderRadius: 2 },
          rn: { width: 22, height: 22, align: 'center', color: '#9fd0ef', backgroundColor: 'rgba(46, 150, 255, 0.22)', borderRadius: 2 },
          name: { color: '#e6f6ff', fontSize: 15, padding: [0, 0, 0, 4] },
          county: { color: '#6f9cc0', fontSize: 12, padding: [0, 0, 0, 6] },
        },
      },
    },
    series: [{
      type: 'bar', barWidth: 12, data: top.map((r) => r.index.score),
      showBackground: true, backgroundStyle: { color: 'rgba(46, 150, 255, 0.1)' },
      itemStyle: {
        color: { type: 'linear', x: 0, y: 0, x2: 1, y2: 0, colorStops: [{ offset: 0, color: 'rgba(10, 108, 255, 0.6)' }, { offset: 1, color: '#2ee6ff' }] },
        shadowColor: 'rgba(46, 230, 255, 0.5)', shadowBlur: 6,
      },
      label: { show: true, position: 'right', distance: 8, color: '#ffffff', fontSize: 15, fontWeight: 600, formatter: (p) => p.value.toFixed(1) },
    }],
  });
  $('#rank').dataset.count = String(top.length);
  $('#rank').dataset.names = top.map((r) => r.name).join(',');
}

function renderRankHelp(total, ranked) {
  $('#rank-tip').innerHTML = `<b>基层治理指数（0–100）</b><br>按期结案率、结案率、满意率、未返工率、及时派遣率的加权综合，指标口径与四维考评一致。<br>
    权重：${INDEX_WEIGHTS.map((w) => `${esc(w.label)} <b>${Math.round(w.weight * 100)}%</b>`).join('，')}。<br>
    分档：A ≥ 90 优秀，B ≥ 75 良好，C ≥ 60 一般，D 较差。<br>
    近 30 日立案不足 ${MIN_ACCEPTED} 件的乡镇不参与排名（本期参与 ${ranked} / ${total} 个）。`;
}

// A board that scrolls one row at a time when its rows do not fit.
function board(el, rowsHtml, emptyText, rowH = 38) {
  const list = $('.board-list', el);
  clearInterval(el._timer);
  list.classList.remove('scrolling');
  list.style.transform = '';
  list.innerHTML = rowsHtml.length ? rowsHtml.join('') : `<div class="empty">${emptyText}</div>`;
  if (rowsHtml.length * rowH <= el.clientHeight) return;
  el._timer = setInterval(() => {
    list.classList.add('scrolling');
    list.style.transform = `translateY(-${rowH}px)`;
    setTimeout(() => {
      list.classList.remove('scrolling');
      list.appendChild(list.firstElementChild);
      list.style.transform = '';
    }, 850);
  }, 3000);
}

function renderOverdue(events) {
  const sorted = [...events].sort((a, b) => lateMs(b) - lateMs(a));
  const escalated = sorted.filter((e) => e.escalated_at).length;
  $('#overdue-note').innerHTML = `在办超期 <b class="bad">${sorted.length}</b> 件 · 已提级 <b class="warn">${escalated}</b> 件`;
  board($('#overdue'), sorted.map((e) => `
    <div class="board-row ob-grid ob-row" data-id="${e.id}">
      <span class="ob-main">
        <span class="ob-no">${esc(e.number)}</span>
        <span class="ob-what" title="${esc(e.title)}">${esc(placeOf(e))} · ${esc(e.category ? e.category.name : '')}</span>
      </span>
      <span class="ob-late"><b>${durationText(lateMs(e))}</b>${e.escalated_at ? '<span class="ob-esc">已提级</span>' : `<span class="ob-stage">${esc(e.stage_label || e.state_label)}</span>`}</span>
    </div>`), '暂无超期事件', 54);
  setNumber($('[data-today="overdue"]'), sorted.length);
}

function renderCalls(depts, pending) {
  const calls = depts.reduce((n, d) => n + d.calls, 0);
  const signed = depts.reduce((n, d) => n + d.signed, 0);
  const onTime = depts.reduce((n, d) => n + d.signed_on_time, 0);
  const signMin = depts.reduce((n, d) => n + (d.average_sign_minutes || 0) * d.signed, 0);
  $('#call-note').innerHTML = `呼叫 <b>${calls}</b> 次 · 按时签收 <b class="good">${signed ? ((onTime / signed) * 100).toFixed(1) : '—'}%</b> · 均 <b>${signed ? minutesText(signMin / signed) : '—'}</b>`;
  // Calls still waiting for the department to sign stay pinned above the list.
  const now = Date.now();
  const PIN = 2;
  const waiting = [...pending].sort((a, b) => Date.parse(a.stage_started_at || a.updated_at) - Date.parse(b.stage_started_at || b.updated_at));
  $('#calls-pending').innerHTML = waiting.slice(0, PIN).map((e) => {
    const [county, dept] = splitDept(e.called_unit ? e.called_unit.name : '', S.countyNames);
    const since = Date.parse(e.stage_started_at || e.updated_at);
    const late = e.stage_deadline && Date.parse(e.stage_deadline) < now;
    return `<div class="board-row cb-pend" data-id="${e.id}" title="${esc(e.number)} ${esc(e.title)} · ${esc(e.called_unit ? e.called_unit.name : '')}">
      <span class="cb-dept">${county ? `<small>${esc(county)}</small>` : ''}${esc(dept || '县级部门')}</span>
      <span class="cb-from">${esc(e.township ? e.township.name : '')} 呼叫</span>
      <span class="${late ? 'bad' : 'warn'}">${late ? '超时未签收' : '待签收'} ${durationText(now - since)}</span>
    </div>`;
  }).join('') + (waiting.length > PIN ? `<div class="cb-more">另有 ${waiting.length - PIN} 件待签收</div>` : '');
  const rows = [...depts].sort((a, b) => b.calls - a.calls || (a.average_sign_minutes ?? 1e9) - (b.average_sign_minutes ?? 1e9)).map((d) => {
    const [county, dept] = splitDept(d.name, S.countyNames);
    const rate = d.signed ? d.signed_on_time / d.signed : null;
    return `<div class="board-row cb-grid cb-row" data-dept="${d.department_id}">
      <span class="cb-dept" title="${esc(d.name)}">${county ? `<small>${esc(county)}</small>` : ''}${esc(dept)}</span>
      <span>${d.calls}</span>
      <span class="${rate === null ? '' : rate >= 0.95 ? 'good' : rate >= 0.8 ? 'warn' : 'bad'}">${rate === null ? '—' : `${(rate * 100).toFixed(0)}%`}</span>
      <span>${minutesText(d.average_sign_minutes)}</span>
      <span>${minutesText(d.average_response_minutes)}</span>
    </div>`;
  });
  board($('#calls'), rows, '近 30 日暂无乡呼县应');
  setNumber($('[data-today="called"]'), pending.length);
}

function panelError(sel, e) {
  console.warn('screen: load failed', sel, e);
}

// Every figure, in parallel; each panel renders what it got.
async function refreshAll() {
  if (S.refreshing || !S.unit) return;
  S.refreshing = true;
  S.lastRefresh = Date.now();
  const p = period();
  const unit = S.unit.id;
  const q = { unit_id: unit, from: p.from, to: p.to };
  $('#period').textContent = `统计周期 ${p.from.slice(5).replace('-', '/')}–${p.to.slice(5).replace('-', '/')}`;
  const jobs = {
    sum: api.get('stats/summary', q),
    today: api.get('stats/summary', { unit_id: unit, from: p.today, to: p.today }),
    daily: api.get('stats/daily', q),
    towns: api.get('stats/children', { ...q, kind: 'township' }),
    counties: S.unit.kind === 'city' ? api.get('stats/children', { ...q, kind: 'county' }) : Promise.resolve(null),
    depts: api.get('stats/departments', q),
    overdue: api.getAll('events', { box: 'overdue', limit: 200 }, 5),
    called: api.getAll('events', { state: 'county_called', limit: 200 }, 5),
  };
  const keys = Object.keys(jobs);
  const settled = await Promise.allSettled(Object.values(jobs));
  const R = {};
  keys.forEach((k, i) => {
    if (settled[i].status === 'fulfilled') R[k] = settled[i].value;
    else panelError(k, settled[i].reason);
  });
  S.refreshing = false;
  if (R.overdue) S.overdue = R.overdue;
  if (R.called) S.called = R.called;
  if (R.sum) renderKpis(R.sum, R.overdue ? R.overdue.length : null);
  if (R.today) renderToday(R.today);
  if (R.daily) renderTrend(R.daily.items);
  if (R.counties) renderCounties(R.counties.items);
  else if (S.unit.kind !== 'city' && R.sum) renderCounties([{ ...R.sum, unit_id: S.unit.id, name: S.unit.name }]);
  if (R.towns) {
    S.ranked = rankUnits(R.towns.items);
    renderRank(S.ranked);
    renderRankHelp(R.towns.items.length, S.ranked.length);
    const byId = new Map(R.towns.items.map((t) => [t.unit_id, t]));
    S.map.setTownStats(S.townships, byId, S.ranked);
  }
  if (R.overdue) {
    renderOverdue(R.overdue);
    S.map.setOverdue(R.overdue, lateText);
  }
  if (R.depts && R.called) renderCalls(R.depts.items, R.called);
}

// A refresh a few seconds after a burst of changes, at most every 10 s.
function scheduleRefresh() {
  clearTimeout(S.refreshTimer);
  const wait = Math.max(4000, 10000 - (Date.now() - S.lastRefresh));
  S.refreshTimer = setTimeout(refreshAll, wait);
}

// ---- the live feed ----
// The feed shows the latest change of each event, newest first: one entry per
// event (S.feed: id -> { e, action, at }), ordered by the time of the change and
// capped at FEED_MAX. Two sources merge into it by event id, the later change
// winning:
//  - the stream: each change names its event and action; the event is fetched and
//    the change timed by its timeline row (an alert does not move updated_at);
//  - the events list, at start, after a reset and at every poll when the stream is
//    not there: the newest events, timed by updated_at. The list comes in creation
//    order and cannot be ordered by change time, so changes to older events arrive
//    by the stream only.

// Today's changes by the second; an earlier day's with its date above the minute
// (the feed runs across midnight, and "21:47:05" under "02:27:04" reads as disorder).
function feedTime(ms) {
  if (!Number.isFinite(ms)) return { html: '—', day: false };
  const time = fmtTime.format(new Date(ms));
  if (dayOf(ms) === dayOf(Date.now())) return { html: time, day: false };
  return { html: `<small>${dayOf(ms).slice(5)}</small>${time.slice(0, 5)}`, day: true };
}

function feedRow({ e, action, at, row: change }, animate) {
  const [label, tone] = action === 'verify' ? verifyTag(change) : action && ACTIONS[action] ? ACTIONS[action] : [e.state_label, e.overdue ? 'red' : 'flow'];
  const when = feedTime(at);
  const row = document.createElement('div');
  row.className = `feed-row${animate ? ' enter' : ''}`;
  row.dataset.id = String(e.id);
  row.dataset.at = String(at);
  row.innerHTML = `
    <span class="f-time${when.day ? ' f-day' : ''}" title="${esc(Number.isFinite(at) ? new Date(at).toLocaleString('zh-CN', { timeZone: TZ, hour12: false }) : '')}">${when.html}</span>
    <span><i class="tag tag-${tone}">${esc(label)}</i></span>
    <span class="f-no" title="${esc(e.title)}">${esc(e.number)}</span>
    <span class="f-where" title="${esc(e.address)}">${esc(placeOf(e))}</span>
    <span class="f-cat">${esc(e.category ? e.category.name : '')}</span>
    <span class="f-src">${esc(e.source_label)}</span>
    <span class="state state-${esc(e.state)}${e.overdue ? ' state-late' : ''}">${esc(e.state_label)}${e.overdue ? ' · 超期' : ''}</span>`;
  // Once it has played, the entrance must not play again when rows around it move.
  if (animate) row.addEventListener('animationend', (ev) => { if (ev.animationName === 'feed-glow') row.classList.remove('enter'); });
  return row;
}

// A change from the stream: its row in the event's timeline (the last of that
// action), else the event's last change, for its time and what it did.
function changeOf(e, action) {
  const tl = e.timeline || [];
  const row = tl.filter((t) => t.action === action).at(-1) || tl.at(-1);
  return { e, action, at: Date.parse((row && row.at) || e.updated_at), row };
}

// A change from GET /events/changes: the event as it is now, the change's action,
// time, states and detail.
const changed = (c) => ({ e: c.event, action: c.action, at: Date.parse(c.at), row: c });
// The changes oldest first, so that of two changes of an event in the same instant
// the later one stays.
const inOrder = (page) => page.items.slice().reverse().map(changed);

// The entries newest first (the same instant: the later event first).
const feedOrder = () => [...S.feed.values()].sort((x, y) => y.at - x.at || y.e.id - x.e.id);

// Merges changes into the feed and redraws it; returns the ids whose rows are
// new or changed (animated when `animate`).
function feedMerge(items, animate) {
  const touched = new Set();
  for (const it of items) {
    S.feedSeen.add(it.e.id);
    const old = S.feed.get(it.e.id);
    // An older change, or the one shown already (the stream names its action, the list does not).
    if (old && (old.at > it.at || (old.at === it.at && (!it.action || it.action === old.action)))) continue;
    S.feed.set(it.e.id, it);
    touched.add(it.e.id);
  }
  const sorted = feedOrder();
  for (const it of sorted.splice(FEED_MAX)) {
    S.feed.delete(it.e.id);
    touched.delete(it.e.id);
  }
  renderFeed(sorted, touched, animate);
  return touched;
}

// After midnight yesterday's rows show their date: redraw them all, without a fetch.
function redrawFeedOnNewDay() {
  if (!S.feedDay || S.feedDay === dayOf(Date.now())) return;
  renderFeed(feedOrder(), new Set(S.feed.keys()), false);
}

// Puts the rows in the feed's order, reusing the rows that did not change (so that
// only new rows slide in).
function renderFeed(sorted, touched, animate) {
  const feed = $('#feed');
  S.feedDay = dayOf(Date.now());
  if (!sorted.length) {
    feed.innerHTML = '<div class="empty">暂无事件</div>';
    return;
  }
  const empty = $('.empty', feed);
  if (empty) empty.remove();
  const rows = new Map([...feed.querySelectorAll('.feed-row')].map((r) => [Number(r.dataset.id), r]));
  const want = sorted.map((it) => {
    const row = rows.get(it.e.id);
    rows.delete(it.e.id);
    if (row && !touched.has(it.e.id)) return row;
    if (row) row.remove();
    return feedRow(it, animate);
  });
  for (const r of rows.values()) r.remove(); // fell off the end
  want.forEach((row, i) => {
    if (feed.children[i] !== row) feed.insertBefore(row, feed.children[i] || null);
  });
}

async function reloadFeed() {
  try {
    // The latest changes, of old events too; after a reset the entries from the
    // stream stay, merged by event.
    const page = await api.get('events/changes', { limit: FEED_MAX });
    feedMerge(inOrder(page), false);
  } catch (e) {
    panelError('feed', e);
  }
}

// One change from the stream: fetch the event, show it, ripple new reports.
let changeChain = Promise.resolve();
let changeQueued = 0;
function onChange(msg) {
  scheduleRefresh();
  if (QUIET_ACTIONS.has(msg.action)) return;
  if (changeQueued > 20) return; // a flood: the refresh and the next poll catch up
  changeQueued++;
  changeChain = changeChain.then(async () => {
    try {
      const e = await api.get(`events/${msg.id}`);
      feedMerge([changeOf(e, msg.action)], true);
      if (msg.action === 'report') S.map.flash(e);
    } catch (err) {
      panelError('change', err);
    } finally {
      changeQueued--;
    }
  });
}

function setMode(mode) {
  S.mode = mode;
  const el = $('#live');
  el.dataset.mode = mode;
  $('#live-text').textContent = {
    connecting: '正在连接实时推送…', live: '实时推送', poll: `轮询更新（每 ${POLL_MS / 1000} 秒）`, down: '连接中断，正在重试…',
  }[mode];
  $('#feed-note').textContent = mode === 'live' ? '实时推送 · 新事件自动滚入' : mode === 'poll' ? `每 ${POLL_MS / 1000} 秒刷新` : '最新事件动态';
}

async function poll() {
  try {
    const page = await api.get('events/changes', { limit: FEED_MAX });
    const fresh = page.items.filter((c) => c.action === 'report' && !S.feedSeen.has(c.event.id)).map((c) => c.event);
    const touched = feedMerge(inOrder(page), true);
    for (const e of fresh) S.map.flash(e);
    if (touched.size) scheduleRefresh();
    if (S.mode === 'down') setMode('poll');
  } catch (e) {
    if (e.status !== 401) setMode('down');
  }
}

function startPolling() {
  setMode('poll');
  clearInterval(S.pollTimer);
  S.pollTimer = setInterval(poll, POLL_MS);
  // Try the stream again now and then: it may have been switched on.
  clearTimeout(S.streamRetry);
  S.streamRetry = setTimeout(startStream, STREAM_RETRY_MS);
}

function startStream() {
  if (S.es) S.es.close();
  setMode(S.mode === 'poll' ? 'poll' : 'connecting');
  const es = new EventSource('/api/v1/stream');
  S.es = es;
  es.addEventListener('open', () => {
    clearInterval(S.pollTimer);
    setMode('live');
  });
  es.addEventListener('event', (m) => {
    try { onChange(JSON.parse(m.data)); } catch (e) { panelError('stream', e); }
  });
  // The server lost track of what we saw (restart, too far behind): reload.
  es.addEventListener('reset', () => {
    reloadFeed();
    refreshAll();
  });
  es.addEventListener('error', async () => {
    if (es.readyState !== EventSource.CLOSED) {
      if (S.mode === 'live') setMode('down'); // the browser reconnects by itself
      return;
    }
    // Closed for good: a non-200 answer. Find out which.
    es.close();
    S.es = null;
    let status = 0;
    const ac = new AbortController();
    try {
      const res = await fetch('/api/v1/stream', { credentials: 'same-origin', signal: ac.signal });
      status = res.status;
      ac.abort();
    } catch { status = 0; }
    if (status === 401) { api.get('session').catch(() => {}); return; } // onUnauthorized shows the login
    if (status === 200 || status === 0 || status >= 500) {
      // Transient: poll meanwhile and retry the stream soon.
      startPolling();
      clearTimeout(S.streamRetry);
      S.streamRetry = setTimeout(startStream, 10000);
      return;
    }
    startPolling(); // 404 and the like: no stream on this server
  });
}

function startLive() {
  startStream();
  clearInterval(S.refreshInterval);
  S.refreshInterval = setInterval(refreshAll, REFRESH_MS);
}

function stopLive() {
  if (S.es) S.es.close();
  S.es = null;
  clearInterval(S.pollTimer);
  clearInterval(S.refreshInterval);
  clearTimeout(S.streamRetry);
  clearTimeout(S.refreshTimer);
}

// ---- boot ----
async function main() {
  fit();
  window.addEventListener('resize', () => {
    fit();
    if (S.map) S.map.layout();
    if (S.trend) S.trend.resize();
    if (S.rank) S.rank.resize();
  });
  tickClock();
  setInterval(tickClock, 1000);

  let session = await api.currentSession().catch(() => null);
  if (!session) session = await showLogin('');
  S.session = session;
  $('#logout').hidden = false;
  $('#logout').onclick = async () => {
    stopLive();
    await api.logout().catch(() => {});
    location.reload();
  };
  S.unit = session.user.unit;
  $('#scope-name').textContent = S.unit.name;
  try {
    await loadGeometry();
  } catch (e) {
    $('#map-loading').textContent = `地图加载失败：${e.detail || e.message}`;
    console.error(e);
    return;
  }
  await Promise.all([refreshAll(), reloadFeed()]);
  startLive();
  // Overdue durations grow: redraw them every minute without a fetch.
  setInterval(() => { if (S.overdue.length) renderOverdue(S.overdue); }, 60000);
  document.body.dataset.ready = '1';
}

main().catch((e) => console.error('screen: start failed', e));
