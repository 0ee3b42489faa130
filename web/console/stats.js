// stats.js - #/stats (stats.read): indicators for the caller's scope from the
// rollups: KPI cards (上报, 立案, 结案率, 按期结案率, 返工率, 超期数, 平均处置时长,
// 满意率) for a period (default: this month), the daily trend, the ranking of
// townships (or villages, grids) and 乡呼县应 per county department. The ranking
// saves as a CSV table for the monthly assessment (导出).

import { api } from './api.js';
import { h, icon, pageHeader, card, dataTable, formatDate, toastError, emptyState, spinnerBlock, saveFile, csvBlob } from './ui.js';
import { percent, workHours, subscribe } from './evlib.js';

const RANK_KINDS = { township: '乡镇（街道）', village: '村（社区）', grid: '网格' };

// today: "YYYY-MM-DD" on the server's clock (from the first summary), else the browser's.
function monthRange(offset = 0, today = formatDate()) {
  let [y, m] = today.split('-').map(Number);
  m += offset;
  while (m < 1) { m += 12; y -= 1; }
  const first = `${y}-${String(m).padStart(2, '0')}-01`;
  if (offset === 0) return [first, today];
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return [first, last];
}

function kpi({ key, label, value, sub, tone = '', icon: ic }) {
  return h('div', { class: `kpi ${tone}`, 'data-kpi': key },
    h('div', { class: 'kpi-label' }, ic ? icon(ic, 'icon icon-xs') : null, label),
    h('div', { class: 'kpi-value', 'data-testid': `kpi-${key}` }, value),
    h('div', { class: 'kpi-sub' }, sub || ''));
}

export async function render(root, ctx) {
  // The first load sends no period: the server answers for its current month
  // (its clock is the reference) and the inputs take the dates it used.
  let from = '';
  let to = '';
  let today = '';
  // A township's own staff rank its villages; the county and above rank townships.
  let rankKind = ['township_command', 'township_module', 'grid_worker'].includes(ctx.user.role) ? 'village' : 'township';
  let scopeName = ctx.user.unit.name;

  const fromIn = h('input', { class: 'input', type: 'date', name: 'from' });
  const toIn = h('input', { class: 'input', type: 'date', name: 'to' });
  const quick = h('div', { class: 'seg' },
    [['本月', 0], ['上月', -1]].map(([label, off]) => h('button', { type: 'button', class: ['seg-btn', off === 0 && 'active'], 'data-range': off, onclick: (e) => {
      [from, to] = monthRange(off, today || undefined);
      fromIn.value = from;
      toIn.value = to;
      for (const b of quick.children) b.classList.toggle('active', b === e.currentTarget);
      loadAll();
    } }, label)),
    h('button', { type: 'button', class: 'seg-btn', 'data-range': 'year', onclick: (e) => {
      to = today || formatDate();
      from = `${to.slice(0, 4)}-01-01`;
      fromIn.value = from;
      toIn.value = to;
      for (const b of quick.children) b.classList.toggle('active', b === e.currentTarget);
      loadAll();
    } }, '本年'));
  const bar = h('form', { class: 'stats-bar', onsubmit: (e) => {
    e.preventDefault();
    if (!fromIn.value || !toIn.value || fromIn.value > toIn.value) {
      toastError({ detail: '请选择正确的起止日期' });
      return;
    }
    from = fromIn.value;
    to = toIn.value;
    for (const b of quick.children) b.classList.remove('active');
    loadAll();
  } },
    h('span', { class: 'filter-label' }, '统计周期'), quick,
    h('div', { class: 'range' }, fromIn, h('span', { class: 'range-sep' }, '至'), toIn),
    h('button', { type: 'submit', class: 'btn btn-primary' }, icon('search'), '查询'),
    h('span', { class: 'stats-scope muted', 'data-testid': 'stats-scope' }));

  const kpis = h('div', { class: 'kpis', 'data-testid': 'kpis' }, spinnerBlock());
  const trend = h('div', { class: 'trend' }, spinnerBlock());

  const rankSel = h('select', { class: 'input input-sm', 'aria-label': '排名层级', onchange: () => { rankKind = rankSel.value; rankTable.reload(); } },
    Object.entries(RANK_KINDS).map(([v, l]) => h('option', { value: v, selected: v === rankKind }, `${l}排名`)));
  let ranked = []; // the rows on screen, for 导出
  const rankExport = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'export-ranking', onclick: () => {
    const rows = ranked.map((r) => [r._rank || '', r.name, r.code, r.counts.reported, r.counts.accepted, r.counts.accepted_closed,
      percent(r.rates.closure_rate), percent(r.rates.on_time_closure_rate), percent(r.rates.rework_rate), r.counts.overdue,
      percent(r.rates.satisfaction_rate), workHours(r.rates.average_handle_minutes)]);
    saveFile(csvBlob([['排名', '名称', '代码', '上报', '立案', '其中已结', '结案率', '按期结案率', '返工率', '超期', '满意率', '平均处置时长'], ...rows]),
      `${RANK_KINDS[rankKind]}排名-${from}-${to}.csv`);
  } }, icon('download'), '导出');
  const rankTable = dataTable({
    pager: false,
    minWidth: 980,
    columns: [
      { title: '排名', width: 60, align: 'center', render: (r) => (r._rank ? h('span', { class: `rank rank-${r._rank <= 3 ? r._rank : 'n'}` }, String(r._rank)) : h('span', { class: 'muted', title: '该周期内无事件，不参与排名' }, '—')) },
      { title: '名称', render: (r) => h('div', { class: 'cell-2' }, h('span', { class: 'cell-strong' }, r.name), h('span', { class: 'sub' }, r.code)) },
      { title: '上报', width: 70, align: 'right', render: (r) => num(r.counts.reported) },
      { title: '立案', width: 70, align: 'right', render: (r) => num(r.counts.accepted) },
      // 结案率 is of the events accepted in the period: 已结 is its numerator, so
      // the row reads 立案 → 已结 → 结案率 (closed in the period counts others too).
      { title: h('span', { title: '本期立案的事件中已结案的件数' }, '其中已结'), width: 84, align: 'right', render: (r) => num(r.counts.accepted_closed) },
      { title: h('span', { title: '结案率 = 其中已结 ÷ 立案' }, '结案率'), width: 84, align: 'right', render: (r) => percent(r.rates.closure_rate) },
      { title: '按期结案率', width: 100, align: 'right', render: (r) => h('b', null, percent(r.rates.on_time_closure_rate)) },
      { title: '返工率', width: 76, align: 'right', render: (r) => percent(r.rates.rework_rate) },
      { title: '超期', width: 64, align: 'right', render: (r) => (r.counts.overdue ? h('span', { class: 'text-danger' }, String(r.counts.overdue)) : num(0)) },
      { title: '满意率', width: 76, align: 'right', render: (r) => percent(r.rates.satisfaction_rate) },
      { title: '平均处置时长', width: 112, align: 'right', render: (r) => workHours(r.rates.average_handle_minutes) },
    ],
    empty: '该周期内没有数据',
    load: async () => {
      const b = await api.get('/stats/children', { kind: rankKind, from, to });
      const items = (b.items || []).slice().sort(rankOrder);
      // Units without any event in the period are listed last, unranked.
      const active = (r) => r.counts.reported || r.counts.accepted || r.counts.due || r.counts.closed;
      let n = 0;
      for (const r of items) r._rank = active(r) ? ++n : 0;
      ranked = items;
      return { items, next_cursor: null };
    },
  });

  const deptTable = dataTable({
    pager: false,
    minWidth: 760,
    columns: [
      { title: '县级部门', render: (d) => h('span', { class: 'cell-strong' }, d.name) },
      { title: '被呼叫', width: 80, align: 'right', render: (d) => num(d.calls) },
      { title: '已签收', width: 80, align: 'right', render: (d) => num(d.signed) },
      { title: '按时签收率', width: 104, align: 'right', render: (d) => percent(d.signed ? d.signed_on_time / d.signed : null) },
      { title: '已反馈', width: 80, align: 'right', render: (d) => num(d.responded) },
      { title: '平均签收用时', width: 120, align: 'right', render: (d) => workHours(d.average_sign_minutes) },
      { title: '平均反馈用时', width: 120, align: 'right', render: (d) => workHours(d.average_response_minutes) },
    ],
    empty: () => '该周期内没有乡呼县应（按统计范围内的县级部门汇总）',
    load: async () => {
      const b = await api.get('/stats/departments', { from, to });
      const items = (b.items || []).slice().sort((a, c) => c.calls - a.calls || a.name.localeCompare(c.name, 'zh'));
      return { items, next_cursor: null };
    },
  });

  root.append(
    pageHeader({ title: '统计分析', crumbs: ['事件办理', '统计分析'], desc: '指标来自随事件变化实时更新的汇总表。时长按工作日历计算工作时间；按期结案率 = 按期结案数 ÷ 到期应结数。' }),
    card({ className: 'card-filters', body: bar }),
    kpis,
    card({ title: '每日事件量', extra: h('span', { class: 'legend' }, h('span', { class: 'legend-item' }, h('i', { class: 'lg lg-rep' }), '上报'), h('span', { class: 'legend-item' }, h('i', { class: 'lg lg-closed' }), '结案')), body: trend }),
    card({ title: '排名', extra: h('div', { class: 'card-tools' }, rankSel, rankExport), className: 'card-table', body: rankTable.el }),
    card({ title: '乡呼县应 · 县级部门响应', extra: h('span', { class: 'muted' }, '统计范围内县级部门被乡镇呼叫后的签收与反馈'), className: 'card-table', body: deptTable.el }));

  async function loadSummary() {
    try {
      const s = await api.get('/stats/summary', { from, to });
      if (!from) {
        from = s.from;
        to = s.to;
        today = s.to;
        fromIn.value = from;
        toIn.value = to;
      }
      const c = s.counts;
      const r = s.rates;
      kpis.replaceChildren(
        kpi({ key: 'reported', label: '上报', value: num(c.reported), sub: `其中立案 ${c.accepted} 件`, icon: 'events' }),
        kpi({ key: 'accepted', label: '立案', value: num(c.accepted), sub: `已交办 ${c.dispatched} 件`, icon: 'flag' }),
        kpi({ key: 'closure_rate', label: '结案率', value: percent(r.closure_rate), sub: `立案 ${c.accepted} 件中已结 ${c.accepted_closed} 件`, icon: 'check' }),
        kpi({ key: 'on_time_closure_rate', label: '按期结案率', value: percent(r.on_time_closure_rate), sub: `按期 ${c.closed_on_time} / 到期 ${c.due}`, icon: 'clock', tone: r.on_time_closure_rate !== null && r.on_time_closure_rate < 0.9 ? 'warn' : '' }),
        kpi({ key: 'rework_rate', label: '返工率', value: percent(r.rework_rate), sub: `返工 ${c.reworks} / 反馈 ${c.feedbacks}`, icon: 'refresh', tone: c.reworks ? 'warn' : '' }),
        kpi({ key: 'overdue', label: '超期数', value: num(c.overdue), sub: '环节超时限、亮红灯的件数', icon: 'warn', tone: c.overdue ? 'bad' : '' }),
        kpi({ key: 'average_handle', label: '平均处置时长', value: workHours(r.average_handle_minutes), sub: '立案至结案，工作时间', icon: 'timer' }),
        kpi({ key: 'satisfaction_rate', label: '满意率', value: percent(r.satisfaction_rate), sub: c.rated ? `满意 ${c.satisfied} / 评价 ${c.rated}` : '暂无评价', icon: 'star' }));
      if (s.unit_id && s.unit_id !== ctx.user.unit.id) {
        api.get(`/units/${s.unit_id}`).then((u) => { scopeName = u.name; paintScope(s); }).catch(() => paintScope(s));
      }
      paintScope(s);
    } catch (e) {
      kpis.replaceChildren(h('div', { class: 'card' }, emptyState('指标加载失败', e.detail || e.message)));
    }
  }

  function paintScope(s) {
    bar.querySelector('.stats-scope').textContent = `统计范围：${scopeName} · ${s.from} 至 ${s.to}`;
  }

  async function loadTrend() {
    try {
      const b = await api.get('/stats/daily', { from, to });
      paintTrend(b.items || []);
    } catch (e) {
      trend.replaceChildren(emptyState('趋势加载失败', e.detail || e.message));
    }
  }

  function paintTrend(items) {
    // Every day of the period, zero where the rollup has no row.
    const byDay = new Map(items.map((d) => [d.day, d.counts]));
    const days = [];
    for (let d = from; d <= to && days.length < 400; d = next(d)) days.push(d);
    const max = Math.max(1, ...days.map((d) => Math.max(byDay.get(d)?.reported || 0, byDay.get(d)?.closed || 0)));
    const total = days.reduce((n, d) => n + (byDay.get(d)?.reported || 0), 0);
    if (!total && !items.length) {
      trend.replaceChildren(emptyState('该周期内没有事件'));
      return;
    }
    const step = days.length > 45 ? 7 : days.length > 16 ? 3 : 1;
    trend.replaceChildren(h('div', { class: 'bars', style: { gridTemplateColumns: `repeat(${days.length}, minmax(0, 1fr))` } }, days.map((d, i) => {
      const c = byDay.get(d) || {};
      return h('div', { class: 'bar-col', title: `${d}：上报 ${c.reported || 0}，结案 ${c.closed || 0}` },
        h('div', { class: 'bar-pair' },
          h('span', { class: 'bar bar-rep', style: { height: `${((c.reported || 0) / max) * 100}%` } }),
          h('span', { class: 'bar bar-closed', style: { height: `${((c.closed || 0) / max) * 100}%` } })),
        h('span', { class: 'bar-label' }, i % step === 0 ? d.slice(5) : ''));
    })), h('div', { class: 'bars-axis muted' }, `最高 ${max} 件/日`));
  }

  async function loadAll() {
    await loadSummary();
    loadTrend();
    rankTable.reload();
    deptTable.reload();
  }

  loadAll();
  const stop = subscribe(() => {
    loadSummary();
    rankTable.refresh({ quiet: true });
  });
  return stop;
}

function num(n) {
  return h('span', { class: 'num' }, String(n ?? 0));
}

function next(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// Best first: on-time closure, then closure, then fewer overdue, then more reports.
function rankOrder(a, b) {
  const v = (x) => (x === null || x === undefined ? -1 : x);
  const act = (r) => (r.counts.reported || r.counts.accepted || r.counts.due || r.counts.closed ? 1 : 0);
  return act(b) - act(a)
    || v(b.rates.on_time_closure_rate) - v(a.rates.on_time_closure_rate)
    || v(b.rates.closure_rate) - v(a.rates.closure_rate)
    || a.counts.overdue - b.counts.overdue
    || b.counts.reported - a.counts.reported
    || a.code.localeCompare(b.code);
}
