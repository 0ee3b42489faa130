// events.js - #/events (event.read): the workbench. Inbox tabs (待受理 for the
// desks, 待办, 本单位, 待核查, 即将超期 (yellow), 超期督办, 督办件 for the desks and
// readers, 全部;
// the modules and departments that receive tasks open on 本单位)
// over GET /api/v1/events?box=…, filters (状态, 类别, 来源, 日期 with 今天, 关键词, 仅清单外,
// 仅督办件: supervised ever, finished or not), a table with the traffic
// light and the stage deadline, refreshed live from /api/v1/stream or by polling.
// The chosen tab stays in the hash (#/events?box=unit) so 返回 comes back to it.
// Each inbox tab shows how many events it holds (GET /api/v1/events/boxes), kept
// current with the table. 导出台账 saves the tab's events under the filters as an
// Excel workbook (GET /api/v1/events/export?format=xlsx). A desk ticks events waiting
// for 立案 or 交办 and handles them together (batch.js).

import { api } from './api.js';
import { h, icon, pageHeader, card, dataTable, formatTime, formatDate, nextDay, tag, toast, toastError, clearErrors, setFieldError } from './ui.js';
import { STATES, SOURCES, loadCategories, subscribe, onLiveMode, liveText, boxCount } from './evlib.js';
import { stateTag, urgencyTag, deadlineCell, categorySelect, tickCountdowns } from './evui.js';
import { selectable, runBatch, BATCHES } from './batch.js';

const DESK_ROLES = new Set(['township_command', 'county_center']);
const ASSIGNEE_ROLES = new Set(['township_module', 'county_dept']);

const SUPERVISED = { box: 'supervised', label: '督办件', hint: '领导、县级社会治理中心或指挥室人工督办、尚未办结的事件' };
const DUE_SOON = { box: 'due_soon', label: '即将超期', hint: '已亮黄灯（本环节时限已用去八成）、尚未办结的事件' };
const OVERDUE = { box: 'overdue', label: '超期督办', hint: '已亮红灯、尚未办结的事件' };

// The inbox tabs a role sees, in order (the home page shows their counts too).
// Who reads without handling (leaders, observers) has no tasks of their own:
// they watch the desks' backlog and what is overdue.
export function tabsFor(role, canAct = true) {
  const tabs = [];
  if (!canAct) {
    return [
      { box: 'reported', label: '待受理', hint: '管辖范围内等待指挥室立案、交办或结案的事件' },
      DUE_SOON,
      OVERDUE,
      SUPERVISED,
      { box: 'all', label: '全部', hint: '管辖范围内的全部事件' }];
  }
  const mine = { box: 'mine', label: '待办', hint: '交办给我本人、正在等我办理的事件' };
  const unit = { box: 'unit', label: '本单位', hint: '交办或呼叫到本单位、待签收或正在办理的事件' };
  if (DESK_ROLES.has(role)) tabs.push({ box: 'reported', label: '待受理', hint: '待立案、待交办和已反馈待结案的事件' });
  // The bodies that receive tasks (modules, county departments) open on 本单位: a
  // task dispatched or a call made to the body waits there for 签收, and is in
  // 待办 only once someone has signed it. They verify nothing, so 待核查 (the
  // scope's events waiting for a grid worker or the desk) is not theirs.
  const assignee = ASSIGNEE_ROLES.has(role);
  tabs.push(...(assignee ? [unit, mine] : [mine, unit]));
  if (!assignee) tabs.push({ box: 'verify', label: '待核查', hint: '待现场核实或处置后待核查的事件' });
  tabs.push(DUE_SOON, OVERDUE);
  if (DESK_ROLES.has(role)) tabs.push(SUPERVISED);
  tabs.push({ box: 'all', label: '全部', hint: '管辖范围内的全部事件' });
  return tabs;
}

export async function render(root, ctx) {
  const me = ctx.user;
  const tabs = tabsFor(me.role, ctx.can('event.act'));
  const wanted = ctx.query.get('box');
  let box = tabs.some((t) => t.box === wanted) ? wanted : tabs[0].box;
  sessionStorage.setItem('tk.events.box', box);
  const filters = {};

  let tree = [];
  try {
    tree = await loadCategories();
  } catch (e) {
    toastError(e, '事件类别加载失败');
  }

  // ---- filters
  const stateSel = h('select', { class: 'input', name: 'state' }, h('option', { value: '' }, '全部状态'),
    Object.entries(STATES).map(([v, [l]]) => h('option', { value: v }, l)));
  const catSel = categorySelect(tree, { classOption: true });
  const sourceSel = h('select', { class: 'input', name: 'source' }, h('option', { value: '' }, '全部来源'),
    Object.entries(SOURCES).map(([v, l]) => h('option', { value: v }, l)));
  const from = h('input', { class: 'input', name: 'from', type: 'date' });
  const to = h('input', { class: 'input', name: 'to', type: 'date' });
  const q = h('input', { class: 'input', name: 'q', type: 'search', placeholder: '编号、工单号或关键词', title: '按事件编号、工单号、标题、描述或地址查找', maxlength: 64 });
  const outOfList = h('input', { type: 'checkbox', name: 'out_of_list', value: '1' });
  // 督办件: a leader's link from the home page opens the list filtered to them.
  const supervised = h('input', { type: 'checkbox', name: 'supervised', value: '1', checked: ctx.query.get('supervised') === '1' });
  if (supervised.checked) filters.supervised = 1;
  const item = (label, control, cls = '') => h('div', { class: `filter form-item ${cls}` }, h('span', { class: 'filter-label' }, label),
    h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' })));
  const form = h('form', { class: 'filters', role: 'search', novalidate: true },
    item('状态', stateSel), item('类别', catSel, 'filter-wide'), item('来源', sourceSel),
    item('日期', h('div', { class: 'range' }, from, h('span', { class: 'range-sep' }, '至'), to,
      h('button', { type: 'button', class: 'link range-today', 'data-action': 'today', title: '只看今天上报的事件', onclick: () => {
        from.value = formatDate();
        to.value = from.value;
        apply();
      } }, '今天')), 'filter-range'),
    item('关键词', q, 'filter-wide'),
    h('label', { class: 'filter check' }, outOfList, h('span', null, '仅清单外')),
    h('label', { class: 'filter check' }, supervised, h('span', null, '仅督办件')),
    h('div', { class: 'filter-btns' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, icon('search'), '查询'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: () => { form.reset(); apply(); } }, '重置')));
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });

  function apply() {
    clearErrors(form);
    if (from.value && to.value && from.value > to.value) {
      setFieldError(form, 'to', '截止日期不能早于起始日期');
      return;
    }
    filters.state = stateSel.value;
    filters.category = catSel.value;
    filters.source = sourceSel.value;
    filters.from = from.value;
    filters.to = to.value ? nextDay(to.value) : '';
    filters.q = q.value.trim();
    filters.out_of_list = outOfList.checked ? 1 : '';
    filters.supervised = supervised.checked ? 1 : '';
    table.reload();
  }

  // ---- tabs
  const tabBar = h('div', { class: 'tabs', role: 'tablist' }, tabs.map((t) =>
    h('button', { type: 'button', role: 'tab', class: 'tab', 'data-box': t.box, title: t.hint, onclick: () => selectTab(t.box) }, t.label,
      t.box === 'all' ? null : h('span', { class: `tab-count${t.box === 'overdue' || t.box === 'supervised' ? ' tab-count-alert' : ''}`, 'data-count-for': t.box, hidden: true }))));
  async function loadCounts() {
    let res;
    try {
      res = await api.get('/events/boxes');
    } catch {
      return; // the counts stay as they were; the table says what went wrong
    }
    for (const el of tabBar.querySelectorAll('[data-count-for]')) {
      const n = res.boxes[el.dataset.countFor] || 0;
      el.textContent = boxCount(n, res.cap);
      el.hidden = n === 0;
    }
  }
  const tabHint = h('span', { class: 'tab-hint muted' });
  function paintTabs() {
    for (const b of tabBar.children) {
      const on = b.dataset.box === box;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    tabHint.textContent = (tabs.find((t) => t.box === box) || {}).hint || '';
  }
  function selectTab(b) {
    if (b === box) return;
    box = b;
    // Keep the tab in the address without re-rendering the page.
    history.replaceState(null, '', `#/events?box=${b}`);
    sessionStorage.setItem('tk.events.box', b);
    paintTabs();
    table.reload();
  }

  // ---- 批量处理: the desk ticks events of the page waiting for 立案 or 交办
  const batchable = DESK_ROLES.has(me.role) && ctx.can('event.act');
  const selected = new Map(); // id → the event as listed
  const allBox = h('input', { type: 'checkbox', 'aria-label': '全选本页可批量处理的事件', 'data-action': 'select-all', onchange: () => {
    for (const ev of table.items.filter(selectable)) {
      if (allBox.checked) selected.set(ev.id, ev);
      else selected.delete(ev.id);
    }
    paintSelection();
  } });
  const picked = h('span', { class: 'batch-count' });
  const batchBar = h('div', { class: 'batch-bar', hidden: true, 'data-testid': 'batch-bar' }, picked,
    Object.entries(BATCHES).map(([kind, b]) => h('button', { type: 'button', class: 'btn btn-sm btn-primary', 'data-batch': kind, onclick: () => batch(kind) }, b.label)),
    h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'clear-selection', onclick: () => { selected.clear(); paintSelection(); } }, '取消选择'));
  function paintSelection() {
    for (const el of table.el.querySelectorAll('[data-select]')) el.checked = selected.has(Number(el.dataset.select));
    const can = table.items.filter(selectable);
    allBox.checked = can.length > 0 && can.every((ev) => selected.has(ev.id));
    allBox.indeterminate = !allBox.checked && can.some((ev) => selected.has(ev.id));
    picked.textContent = `已选 ${selected.size} 件`;
    batchBar.hidden = selected.size === 0;
  }
  async function batch(kind) {
    const res = await runBatch(kind, [...selected.values()]);
    if (!res) return;
    // Done: the result named what was not done and why; the next batch starts afresh.
    selected.clear();
    table.refresh({ quiet: true });
    loadCounts();
  }
  const selectColumn = { title: allBox, width: 40, className: 'cell-select', render: (ev) => (selectable(ev)
    ? h('input', { type: 'checkbox', 'data-select': ev.id, 'aria-label': `选择 ${ev.number}`, checked: selected.has(ev.id), onchange: (e) => {
      if (e.target.checked) selected.set(ev.id, ev);
      else selected.delete(ev.id);
      paintSelection();
    } })
    : h('span')) };

  // ---- table
  const link = (ev, child) => h('a', { href: `#/events/${ev.id}`, class: 'ev-link' }, child);
  const table = dataTable({
    pageSize: 20,
    minWidth: 1090,
    rowClass: (ev) => ['ev-row', ev.alert === 'red' && !['closed', 'archived', 'rejected', 'void'].includes(ev.state) ? 'row-red' : null].filter(Boolean).join(' '),
    // A reload keeps only the ticked events still listed and still waiting, as they now are.
    onLoad: (items) => {
      const now = new Map(items.filter(selectable).map((ev) => [ev.id, ev]));
      for (const id of [...selected.keys()]) {
        if (now.has(id)) selected.set(id, now.get(id));
        else selected.delete(id);
      }
      paintSelection();
    },
    columns: [
      ...(batchable ? [selectColumn] : []),
      { title: '事件编号', width: 200, render: (ev) => h('div', { class: 'cell-2', 'data-event-id': ev.id, 'data-number': ev.number },
        link(ev, h('span', { class: 'mono' }, ev.number)),
        h('span', { class: 'sub' }, ev.source_label || SOURCES[ev.source] || ev.source)) },
      { title: '标题', render: (ev) => h('div', { class: 'cell-2' },
        h('span', { class: 'ev-title' }, ev.urgency !== 'normal' ? urgencyTag(ev) : null, ev.out_of_list ? tag('清单外', 'warning') : null,
          ev.supervised_at ? tag('督办', 'danger') : null,
          ev.duplicate_of && (ev.state === 'reported' || ev.state === 'verifying' || ev.state === 'accepted') ? tag('疑似重复', 'warning') : null,
          link(ev, ev.title)),
        h('span', { class: 'sub', title: ev.description }, ev.description)) },
      { title: '类别', width: 118, render: (ev) => h('div', { class: 'cell-2' }, h('span', null, ev.category.name || ev.category.code), h('span', { class: 'sub' }, ev.category.code)) },
      { title: '乡镇 / 网格', width: 148, render: (ev) => h('div', { class: 'cell-2' }, h('span', null, ev.township ? ev.township.name : '—'), h('span', { class: 'sub', title: ev.grid ? ev.grid.name : '' }, ev.grid ? ev.grid.name : '')) },
      { title: '状态', width: 104, render: (ev) => h('div', { class: 'cell-2 cell-state' }, stateTag(ev), ev.pending ? h('span', { class: 'sub warn' }, '有待审批申请') : (ev.assignee_unit ? h('span', { class: 'sub', title: ev.assignee_unit.name }, ev.assignee_unit.name) : null)) },
      { title: '环节 / 时限', width: 208, render: (ev) => deadlineCell(ev) },
      { title: '上报时间', width: 128, className: 'nowrap', render: (ev) => formatTime(ev.created_at) },
    ],
    empty: () => (Object.values(filters).some(Boolean) ? '没有符合条件的事件' : {
      reported: '暂无待受理的事件', mine: '暂无待办事件', unit: '本单位暂无在办事件', verify: '暂无待核查的事件', overdue: '暂无超期事件', supervised: '暂无在办的督办件', all: '暂无事件',
    }[box]),
    load: (cursor, limit) => api.get('/events', { ...filters, box: box === 'all' ? '' : box, cursor, limit }),
  });

  const exportButton = h('button', { type: 'button', class: 'btn', 'data-action': 'export', title: '按当前标签页和筛选条件导出 Excel 台账', onclick: exportLedger }, icon('download'), '导出台账');
  async function exportLedger() {
    const text = exportButton.textContent;
    exportButton.disabled = true;
    exportButton.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), '正在导出…');
    try {
      const name = await api.download('/events/export', { ...filters, box: box === 'all' ? '' : box, format: 'xlsx' });
      toast(`已导出 ${name}`, 'success');
    } catch (e) {
      toastError(e, '导出失败');
    } finally {
      exportButton.disabled = false;
      exportButton.replaceChildren(icon('download'), text);
    }
  }

  const liveBadge = h('span', { class: 'live-badge', 'data-testid': 'live-mode' });
  const stopMode = onLiveMode((m) => {
    liveBadge.className = `live-badge live-${m}`;
    liveBadge.replaceChildren(h('span', { class: 'live-dot' }), liveText(m));
  });
  const stopLive = subscribe(() => {
    table.refresh({ quiet: true });
    loadCounts();
  });
  const stopTick = tickCountdowns(root);

  const canCreate = ctx.can('event.create') && ctx.isDesk();
  root.append(
    pageHeader({
      title: '事件工作台',
      crumbs: ['事件办理', '事件工作台'],
      desc: `「${me.unit.name}」管辖范围内的事件：受理交办、处置反馈、督办考核。时限按工作日历计算，用时 80% 亮黄灯，超时亮红灯并自动督办。`,
      actions: [
        h('button', { type: 'button', class: 'btn', 'data-action': 'refresh', onclick: () => { table.refresh(); loadCounts(); } }, icon('refresh'), '刷新'),
        exportButton,
        canCreate ? h('a', { class: 'btn btn-primary', href: '#/events/new', 'data-action': 'new-event' }, icon('plus'), '新建事件') : null,
      ],
    }),
    card({ className: 'card-filters', body: form }),
    h('section', { class: 'card card-table' },
      h('div', { class: 'tabs-head' }, tabBar, h('div', { class: 'tabs-extra' }, tabHint, liveBadge)),
      batchable ? batchBar : null,
      h('div', { class: 'card-body' }, table.el)));
  paintTabs();
  table.reload();
  loadCounts();

  return () => {
    stopLive();
    stopMode();
    stopTick();
  };
}
