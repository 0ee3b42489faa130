// lists.js - #/lists (list.read): 三张清单 (权责清单, 政务服务清单, 属地管理事项责任清单).
//
// The counts of the three lists on a day (GET /lists/summary) and, from the items
// themselves, how many each responsible subject carries; the items in force that
// day, filtered by list, subject, kind and text, one page at a time as the API
// pages them; an item's detail with every version (what changed, from when, by
// whom, why). With list.write: 新增事项, 修改 (a new version from a chosen day),
// 废止 (from a day, with the reason), each confirmed, and 导入 from CSV (checked
// first, every bad line listed, then written all or nothing). With list.export:
// 导出 as Excel or as CSV (the import's columns). #/lists?code=X opens an item.
// The API lists only the items in force on a day: a retired item is found by its
// exact code (its history), and earlier days by 查看日期.

import { api, ApiError } from './api.js';
import {
  h, icon, field, clearErrors, setFieldError, setFormAlert, showFormError, busy, toast, toastError, readCsv,
  pageHeader, card, dataTable, formatTime, formatDate, tag, openDialog, confirmDialog, spinnerBlock, emptyState,
} from './ui.js';

const LISTS = [
  { value: 'power', label: '权责清单', kind: 'primary' },
  { value: 'service', label: '政务服务清单', kind: 'success' },
  { value: 'territorial', label: '属地管理事项责任清单', kind: 'warning' },
];
const LIST_LABEL = Object.fromEntries(LISTS.map((l) => [l.value, l.label]));
const KINDS = { module: '乡镇模块', department: '县级部门' };
const UNITS = [
  { value: 'work_days', label: '工作日' },
  { value: 'work_hours', label: '工作小时' },
  { value: 'work_minutes', label: '工作分钟' },
  { value: 'natural_days', label: '自然日' },
];
const UNIT_LABEL = Object.fromEntries(UNITS.map((u) => [u.value, u.label]));
// 事项性质 filter → the API's enforcement / delegated parameters.
const NATURES = [
  { value: '', label: '全部性质' },
  { value: 'enforcement', label: '执法事项', query: { enforcement: 1 } },
  { value: 'delegated', label: '赋权乡镇的执法事项', query: { delegated: 1 } },
  { value: 'other', label: '非执法事项', query: { enforcement: 0 } },
];
const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const CSV_HEADER = 'code,list,name,subject_kind,subject,cooperating,legal_basis,time_limit,process,delegated,enforcement';

const listTag = (list) => tag(LIST_LABEL[list] || list, (LISTS.find((l) => l.value === list) || {}).kind || 'default');
const limitText = (t) => (t ? `${t.amount} ${t.label || UNIT_LABEL[t.unit] || ''}` : '不设时限');

export async function render(root, ctx) {
  const canWrite = ctx.can('list.write');
  const canExport = ctx.can('list.export');
  let subjects = [];
  try {
    subjects = (await api.get('/subject-types')).items;
  } catch (e) {
    toastError(e, '责任主体加载失败');
  }
  const subjectName = (key) => (subjects.find((s) => s.key === key) || {}).name || key;
  const filters = { list: '', subject: '', q: '', nature: '', as_of: '' };
  const today = () => formatDate();
  const viewDate = () => filters.as_of || today();

  // ---- summary: the three lists, the enforcement items, and the subjects
  const kpis = h('div', { class: 'kpis', 'data-testid': 'list-summary' }, spinnerBlock());
  const bySubject = h('div', { 'data-testid': 'subject-counts' });
  const summaryNote = h('span', { class: 'muted' });
  const summaryCard = card({ title: '按责任主体', extra: summaryNote, body: bySubject });

  const kpi = (key, label, value, sub, ic) => h('div', { class: 'kpi', 'data-kpi': key },
    h('div', { class: 'kpi-label' }, icon(ic, 'icon icon-xs'), label),
    h('div', { class: 'kpi-value', 'data-testid': `kpi-${key}` }, String(value)),
    h('div', { class: 'kpi-sub', title: sub }, sub));

  let summarySeq = 0;
  async function loadSummary() {
    const seq = ++summarySeq;
    const asOf = viewDate();
    try {
      const [sum, items] = await Promise.all([api.get('/lists/summary', { as_of: asOf }), allItems(asOf)]);
      if (seq !== summarySeq) return;
      const split = (list) => {
        const mine = items.filter((it) => it.list === list);
        const modules = mine.filter((it) => it.subject.kind === 'module').length;
        return `乡镇模块 ${modules} 项 · 县级部门 ${mine.length - modules} 项`;
      };
      const pct = Math.round(sum.delegated_share * 1000) / 10;
      kpis.replaceChildren(
        ...sum.lists.map((l) => kpi(l.list, l.label, l.items, split(l.list), l.list === 'service' ? 'users' : l.list === 'power' ? 'permissions' : 'unit')),
        kpi('enforcement', '执法事项', sum.enforcement_items, `赋权乡镇 ${sum.delegated_items} 项，占 ${pct}%`, 'flag'));
      summaryNote.textContent = `${asOf === today() ? '现行有效' : `${asOf} 有效`}，共 ${sum.lists.reduce((n, l) => n + l.items, 0)} 项`;
      const count = new Map();
      for (const it of items) count.set(it.subject.key, (count.get(it.subject.key) || 0) + 1);
      bySubject.replaceChildren(h('dl', { class: 'kv' }, Object.entries(KINDS).map(([kind, label]) => [
        h('dt', null, label),
        h('dd', null, subjects.filter((s) => s.kind === kind).map((s) => h('button', {
          type: 'button', class: 'link', 'data-subject': s.key, title: `只看责任主体为「${s.name}」的事项`,
          onclick: () => { subjectSel.value = s.key; apply(); },
        }, `${s.name} `, h('span', { class: 'num' }, String(count.get(s.key) || 0))))),
      ])));
    } catch (e) {
      if (seq !== summarySeq) return;
      kpis.replaceChildren(h('div', { class: 'card' }, emptyState('清单统计加载失败', e.detail || e.message)));
      bySubject.replaceChildren(h('div', { class: 'muted' }, '加载失败'));
    }
  }

  // Every item in force on a day (the summary counts no subjects).
  async function allItems(asOf) {
    const out = [];
    let cursor = null;
    do {
      const page = await api.get('/list-items', { as_of: asOf, limit: 500, cursor });
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  // ---- filter bar
  const subjectOptions = (first) => [h('option', { value: '' }, first),
    ...Object.entries(KINDS).map(([kind, label]) => h('optgroup', { label },
      subjects.filter((s) => s.kind === kind).map((s) => h('option', { value: s.key }, s.name))))];
  const listSel = h('select', { class: 'input', name: 'list', 'aria-label': '所属清单' },
    h('option', { value: '' }, '全部清单'), LISTS.map((l) => h('option', { value: l.value }, l.label)));
  const subjectSel = h('select', { class: 'input', name: 'subject', 'aria-label': '责任主体' }, subjectOptions('全部责任主体'));
  const natureSel = h('select', { class: 'input', name: 'nature', 'aria-label': '事项性质' },
    NATURES.map((n) => h('option', { value: n.value }, n.label)));
  const qInput = h('input', { class: 'input', name: 'q', type: 'search', placeholder: '事项名称或完整编码', maxlength: 32, 'aria-label': '关键词' });
  const dateInput = h('input', { class: 'input', name: 'as_of', type: 'date', 'aria-label': '查看日期', title: '查看某一天有效的清单，默认今天' });
  const item = (label, control, cls = '') => h('div', { class: `filter form-item ${cls}` }, h('span', { class: 'filter-label' }, label),
    h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' })));
  const filterForm = h('form', { class: 'filters', role: 'search', novalidate: true },
    item('清单', listSel, 'filter-wide'), item('责任主体', subjectSel), item('性质', natureSel),
    item('关键词', qInput), item('查看日期', dateInput),
    h('div', { class: 'filter-btns' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, icon('search'), '查询'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: () => { filterForm.reset(); apply(); } }, '重置')));
  filterForm.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  for (const s of [listSel, subjectSel, natureSel]) s.addEventListener('change', () => apply());

  function apply() {
    clearErrors(filterForm);
    const asOf = dateInput.value;
    if (asOf && !DATE_RE.test(asOf)) {
      setFieldError(filterForm, 'as_of', '请选择日期');
      return;
    }
    const dateChanged = asOf !== filters.as_of;
    Object.assign(filters, { list: listSel.value, subject: subjectSel.value, q: qInput.value.trim(), nature: natureSel.value, as_of: asOf });
    table.reload();
    if (dateChanged) loadSummary();
  }

  // ---- the items
  const retiredBox = h('div', { hidden: true, 'data-testid': 'not-listed' });
  const columns = [
    { title: '事项编码', width: 112, render: (it) => h('span', { class: 'mono', 'data-code': it.code }, it.code) },
    {
      title: '事项名称',
      render: (it) => h('div', { class: 'cell-2 wrap' },
        h('button', { type: 'button', class: 'link', style: { textAlign: 'left' }, 'data-action': 'detail', onclick: () => openDetail(it.code) }, it.name),
        it.enforcement || it.valid_to ? h('span', { class: 'tags' },
          it.enforcement ? tag('执法事项', 'default') : null,
          it.delegated ? tag('赋权乡镇', 'primary') : null,
          it.valid_to ? tag(`本版有效至 ${it.valid_to}`, 'warning') : null) : null),
    },
    { title: '所属清单', width: 168, render: (it) => listTag(it.list) },
    { title: '责任主体', width: 150, render: (it) => h('div', { class: 'cell-2' }, h('span', { title: it.subject.name }, it.subject.name), h('span', { class: 'sub' }, KINDS[it.subject.kind] || '')) },
    { title: '办理时限', width: 96, className: 'nowrap', render: (it) => (it.time_limit ? limitText(it.time_limit) : h('span', { class: 'muted' }, '不设时限')) },
    { title: '本版生效', width: 96, className: 'nowrap', render: (it) => it.valid_from },
    {
      title: '操作', width: canWrite ? 132 : 60, className: 'col-actions',
      render: (it) => h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'link', 'data-action': 'view', onclick: () => openDetail(it.code) }, '详情'),
        canWrite ? h('button', { type: 'button', class: 'link', 'data-action': 'edit', onclick: () => openChange(it.code) }, '修改') : null,
        canWrite ? h('button', { type: 'button', class: 'link link-danger', 'data-action': 'retire', onclick: () => openRetire(it.code) }, '废止') : null),
    },
  ];
  const table = dataTable({
    columns,
    minWidth: 1020,
    pageSize: 20,
    empty: () => (filters.list || filters.subject || filters.q || filters.nature ? '没有符合条件的清单事项' : '该日没有有效的清单事项'),
    load: (cursor, limit) => {
      const nature = NATURES.find((n) => n.value === filters.nature) || {};
      return api.get('/list-items', { list: filters.list, subject: filters.subject, q: filters.q, as_of: filters.as_of, ...(nature.query || {}), cursor, limit });
    },
    onLoad: (items) => explainMissing(items),
  });

  // A code typed in full that the day's lists lack: retired, or not yet in force.
  let missSeq = 0;
  async function explainMissing(items) {
    const seq = ++missSeq;
    retiredBox.hidden = true;
    const code = filters.q;
    if (items.length || !code) return;
    // Words are matched as written in the items' full names: a short form (违建) finds nothing.
    const hint = () => {
      if (seq !== missSeq) return;
      retiredBox.replaceChildren(h('div', { class: 'alert alert-info', 'data-testid': 'search-hint' }, icon('info'), h('div', null,
        `没有找到名称含「${code}」的事项${filters.list || filters.subject || filters.nature ? '（已按所选清单、责任主体或性质筛选）' : ''}。关键词按事项名称中连续的字查找，简称可能查不到，请换用全称中的字词，如「违建」请输入「违法建设」；按编码查找须输入完整编码。`)));
      retiredBox.hidden = false;
    };
    if (!CODE_RE.test(code)) return hint();
    let versions;
    try {
      versions = (await api.get(`/list-items/${encodeURIComponent(code)}/history`)).items;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) console.warn('history lookup failed', e);
      return hint();
    }
    if (seq !== missSeq) return;
    if (!versions.length) return hint();
    const last = versions[versions.length - 1];
    const named = versions.filter((v) => !v.retired).pop() || last;
    const text = last.retired && last.valid_from <= viewDate()
      ? `事项 ${last.code}「${named.name}」已于 ${last.valid_from} 废止${last.note ? `，原因：${last.note}` : ''}。`
      : `事项 ${last.code}「${named.name}」在 ${viewDate()} 不在清单内（${versions[0].valid_from} 起施行${last.retired ? `，${last.valid_from} 废止` : ''}）。`;
    retiredBox.replaceChildren(h('div', { class: 'alert alert-info' }, icon('info'), h('div', null, text, ' ',
      h('button', { type: 'button', class: 'link', 'data-action': 'history', onclick: () => openDetail(last.code) }, '查看版本记录'))));
    retiredBox.hidden = false;
  }

  // ---- page
  const actions = [
    canWrite ? h('button', { type: 'button', class: 'btn', 'data-action': 'import', onclick: openImport }, icon('upload'), '导入') : null,
    canExport ? h('button', { type: 'button', class: 'btn', 'data-action': 'export', onclick: openExport }, icon('download'), '导出') : null,
    canWrite ? h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'new-item', onclick: openCreate }, icon('plus'), '新增事项') : null,
  ].filter(Boolean);
  root.append(
    pageHeader({
      title: '三张清单',
      crumbs: ['基础数据', '三张清单'],
      desc: '权责清单、政务服务清单、属地管理事项责任清单明确每个事项的责任主体、配合主体、法律依据和办理时限。清单之外无事项：事件按清单事项流转，与清单不符的报县级社会治理中心研判。每次变更均注明生效日期并保留版本记录。',
      actions: actions.length ? actions : null,
    }),
    kpis,
    summaryCard,
    card({ className: 'card-filters', body: filterForm }),
    retiredBox,
    card({ className: 'card-table', body: table.el }));
  loadSummary();
  table.reload();
  const wanted = ctx.query.get('code');
  if (wanted) openDetail(wanted);

  function refreshAll() {
    table.refresh();
    loadSummary();
  }

  // ---- detail and history
  async function openDetail(code) {
    const body = h('div', null, spinnerBlock());
    const close = h('button', { type: 'button', class: 'btn' }, '关闭');
    const d = openDialog({ title: '清单事项', width: 820, body, footer: [close] });
    d.el.dataset.code = code;
    close.addEventListener('click', () => d.close());
    let versions;
    try {
      versions = (await api.get(`/list-items/${encodeURIComponent(code)}/history`)).items;
    } catch (e) {
      body.replaceChildren(emptyState(e.status === 404 ? '没有这个清单事项' : '加载失败', e.detail || e.message));
      return;
    }
    const day = viewDate();
    // The version in force on the day viewed, else the latest that is not the retirement.
    const inForce = versions.find((v) => !v.retired && v.valid_from <= day && (!v.valid_to || day < v.valid_to));
    const last = versions[versions.length - 1];
    const shown = inForce || versions.filter((v) => !v.retired).pop() || last;
    const retired = last.retired ? last : null;
    d.el.querySelector('.dialog-title').textContent = shown.name;
    const state = retired && retired.valid_from <= today()
      ? tag(`已于 ${retired.valid_from} 废止`, 'danger')
      : retired ? tag(`将于 ${retired.valid_from} 废止`, 'warning')
        : inForce ? tag('现行有效', 'success') : tag(`${shown.valid_from} 起施行`, 'warning');
    const steps = shown.process.length
      ? h('ol', { style: { margin: 0, paddingLeft: '20px' } }, shown.process.map((s) => h('li', null, s)))
      : h('span', { class: 'muted' }, '未填写');
    const rows = [
      ['事项编码', h('span', null, h('span', { class: 'mono' }, shown.code), ' ', state)],
      ['所属清单', listTag(shown.list)],
      ['责任主体', `${shown.subject.name}（${KINDS[shown.subject.kind] || ''}）`],
      ['配合主体', shown.cooperating.length ? shown.cooperating.map(subjectName).join('、') : h('span', { class: 'muted' }, '无')],
      ['办理时限', limitText(shown.time_limit)],
      ['事项性质', shown.enforcement ? h('span', { class: 'tags' }, tag('执法事项', 'default'), shown.delegated ? tag('赋权乡镇', 'primary') : null) : '非执法事项'],
      ['法律依据', shown.legal_basis ? h('div', { class: 'ev-desc' }, shown.legal_basis) : h('span', { class: 'muted' }, '未填写')],
      ['办理流程', steps],
      ['本版', `${shown.valid_from} 起施行${shown.valid_to ? `，至 ${shown.valid_to} 止` : ''} · 操作人：${shown.changed_by || '—'}`],
    ];
    const history = h('ol', { class: 'timeline', 'data-testid': 'history' },
      versions.map((v, i) => versionItem(v, i ? versions[i - 1] : null, i + 1, v === inForce)).reverse());
    body.replaceChildren(
      h('dl', { class: 'kv kv-detail' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      h('h3', { class: 'card-title', style: { margin: '22px 0 14px' } }, `版本记录（${versions.length}）`),
      history);
    if (canWrite && !(retired && retired.valid_from <= today())) {
      close.before(
        h('button', { type: 'button', class: 'btn btn-ghost-danger', 'data-action': 'retire', onclick: () => { d.close(); openRetire(code); } }, '废止'),
        h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'edit', onclick: () => { d.close(); openChange(code); } }, '修改'));
    }
  }

  function versionItem(v, prev, n, current) {
    const kind = v.retired ? ['废止', 'danger'] : prev ? ['变更', 'primary'] : ['新增', 'success'];
    const upcoming = v.valid_from > today();
    const changes = v.retired || !prev ? [] : diff(prev, v);
    return h('li', { class: ['tl-item', current && 'tl-current', v.retired && 'tl-red'], 'data-version': n },
      h('span', { class: 'tl-dot' }),
      h('div', { class: 'tl-body' },
        h('div', { class: 'tl-line' },
          h('span', { class: 'tl-action' }, `第 ${n} 版`), tag(kind[0], kind[1]),
          current ? tag('现行', 'success') : upcoming ? tag('待施行', 'warning') : null,
          h('span', { class: 'tl-time' }, v.retired ? `${v.valid_from} 起废止` : `${v.valid_from} 起施行${v.valid_to ? ` · 至 ${v.valid_to}` : ''}`)),
        h('div', { class: 'tl-actor' }, `操作人：${v.changed_by || '—'}`),
        !v.retired && !prev ? h('div', { class: 'tl-actor' }, `${v.name} · ${LIST_LABEL[v.list] || v.list} · ${v.subject.name} · ${limitText(v.time_limit)}`) : null,
        prev && !v.retired ? (changes.length
          ? h('ul', { class: 'tl-actor', style: { margin: '4px 0 0', paddingLeft: '18px' } }, changes.map((c) => h('li', null, c)))
          : h('div', { class: 'tl-actor muted' }, '内容未变')) : null,
        v.note ? h('div', { class: 'tl-note' }, `${v.retired ? '废止原因' : '说明'}：${v.note}`) : null));
  }

  // What a version changed from the one before, in words.
  function diff(a, b) {
    const out = [];
    const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
    const pair = (label, x, y) => out.push(`${label}：${x || '（空）'} → ${y || '（空）'}`);
    if (a.name !== b.name) pair('事项名称', a.name, b.name);
    if (a.list !== b.list) pair('所属清单', LIST_LABEL[a.list], LIST_LABEL[b.list]);
    if (a.subject.key !== b.subject.key) pair('责任主体', a.subject.name, b.subject.name);
    if (!same(a.cooperating, b.cooperating)) pair('配合主体', a.cooperating.map(subjectName).join('、'), b.cooperating.map(subjectName).join('、'));
    if (!same(a.time_limit && [a.time_limit.amount, a.time_limit.unit], b.time_limit && [b.time_limit.amount, b.time_limit.unit])) pair('办理时限', limitText(a.time_limit), limitText(b.time_limit));
    if (a.enforcement !== b.enforcement) pair('执法事项', a.enforcement ? '是' : '否', b.enforcement ? '是' : '否');
    if (a.delegated !== b.delegated) pair('赋权乡镇', a.delegated ? '是' : '否', b.delegated ? '是' : '否');
    if (a.legal_basis !== b.legal_basis) out.push(`法律依据改为：${b.legal_basis || '（空）'}`);
    if (!same(a.process, b.process)) out.push(`办理流程改为：${b.process.join(' → ') || '（空）'}`);
    return out;
  }

  // ---- create and change
  function itemForm(id, it) {
    const choice = (name, value, label, checked) => h('label', { class: 'radio' },
      h('input', { type: 'checkbox', name, value, checked: !!checked }), label);
    const group = (label, name, control, { hint, wide = true } = {}) => h('div', { class: ['form-item', wide && 'form-item-wide'] },
      h('label', { class: 'form-label' }, label),
      h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' }), hint ? h('div', { class: 'form-hint' }, hint) : null));
    const subjectField = field({ label: '责任主体', name: 'subject', type: 'select', required: true, value: it ? it.subject.key : '', options: [] });
    subjectField.querySelector('select').replaceChildren(...subjectOptions('请选择责任主体'));
    subjectField.querySelector('select').value = it ? it.subject.key : '';
    const limit = it && it.time_limit;
    const limitItem = h('div', { class: 'form-item' },
      h('label', { class: 'form-label' }, '办理时限'),
      h('div', { class: 'form-control' },
        h('div', { class: 'inline-fields' },
          h('input', { class: 'input', name: 'time_limit', type: 'number', min: 1, max: 100000, step: 1, placeholder: '不填则不设时限', value: limit ? String(limit.amount) : '', 'aria-label': '时限数值' }),
          h('select', { class: 'input', name: 'time_limit_unit', 'aria-label': '时限单位' }, UNITS.map((u) => h('option', { value: u.value, selected: limit ? limit.unit === u.value : u.value === 'work_days' }, u.label)))),
        h('div', { class: 'form-error', role: 'alert' }),
        h('div', { class: 'form-hint' }, '工作日、工作小时按工作日历计算')));
    const coop = new Set(it ? it.cooperating : []);
    const form = h('form', { class: 'form-grid', novalidate: true, id },
      it
        ? field({ label: '事项编码', name: 'code', value: it.code, hint: '编码不能修改', attrs: { readonly: true, disabled: true } })
        : field({ label: '事项编码', name: 'code', required: true, placeholder: '如 QZ-SD-101', hint: '字母、数字、点、下划线和连字符，创建后不能修改', attrs: { maxlength: 32 } }),
      field({ label: '所属清单', name: 'list', type: 'select', required: true, value: it ? it.list : '', options: [{ value: '', label: '请选择清单' }, ...LISTS] }),
      field({ label: '事项名称', name: 'name', required: true, wide: true, value: it ? it.name : '', attrs: { maxlength: 100 } }),
      subjectField,
      limitItem,
      group('配合主体', 'cooperating', h('div', { class: 'radio-group' }, subjects.map((s) => choice('cooperating', s.key, s.name, coop.has(s.key)))),
        { hint: '可多选；先列乡镇模块，后列县级部门' }),
      field({ label: '法律依据', name: 'legal_basis', type: 'textarea', wide: true, value: it ? it.legal_basis : '', placeholder: '法律、法规、规章及条款', attrs: { maxlength: 500, rows: 3 } }),
      field({ label: '办理流程', name: 'process', type: 'textarea', wide: true, value: it ? it.process.join('\n') : '', placeholder: '每行一个步骤，如：\n受理\n调查核实\n办结', attrs: { rows: 4 } }),
      group('事项性质', 'enforcement', h('div', { class: 'radio-group' },
        choice('enforcement', '1', '执法事项', it && it.enforcement), choice('delegated', '1', '赋权乡镇（仅执法事项）', it && it.delegated))),
      field({ label: it ? '新版本生效日期' : '生效日期', name: 'effective_on', type: 'date', required: true, value: today(),
        hint: it ? `不早于现行版本的生效日期 ${it.valid_from}；同一天再次修改会替换当天的版本` : '默认今天',
        attrs: it ? { min: it.valid_from } : {} }),
      field({ label: it ? '变更说明' : '说明', name: 'note', placeholder: it ? '如：依据新修订的条例调整时限' : '选填', attrs: { maxlength: 200 } }));
    return form;
  }

  // The body of a create or change, checked here first; null when a field is wrong.
  function readItem(form, creating) {
    clearErrors(form);
    const el = form.elements;
    const v = (n) => (el[n] && el[n].value !== undefined ? el[n].value.trim() : '');
    const checked = (n) => Array.from(form.querySelectorAll(`[name="${n}"]`)).filter((c) => c.checked).map((c) => c.value);
    let ok = true;
    const fail = (n, m) => { setFieldError(form, n, m); ok = false; };
    const body = {
      list: v('list'), name: v('name'), subject: v('subject'),
      cooperating: checked('cooperating'),
      legal_basis: v('legal_basis'),
      process: v('process').split('\n').map((s) => s.trim()).filter(Boolean),
      enforcement: checked('enforcement').length > 0,
      delegated: checked('delegated').length > 0,
      effective_on: v('effective_on'),
    };
    if (creating) {
      body.code = v('code');
      if (!body.code) fail('code', '请输入事项编码');
      else if (!CODE_RE.test(body.code)) fail('code', '编码只能包含字母、数字、点、下划线和连字符');
    }
    if (!body.list) fail('list', '请选择所属清单');
    if (!body.name) fail('name', '请输入事项名称');
    if (!body.subject) fail('subject', '请选择责任主体');
    const amount = v('time_limit');
    if (amount) {
      const n = Number(amount);
      if (!Number.isInteger(n) || n < 1 || n > 100000) fail('time_limit', '时限须为 1 到 100000 的整数');
      else body.time_limit = { amount: n, unit: v('time_limit_unit') };
    } else {
      body.time_limit = null;
    }
    if (body.cooperating.includes(body.subject)) fail('cooperating', '配合主体不能与责任主体相同');
    if (body.process.some((s) => s.includes('|'))) fail('process', '步骤中不能含有竖线 |');
    if (body.delegated && !body.enforcement) fail('enforcement', '只有执法事项可以赋权乡镇');
    if (!DATE_RE.test(body.effective_on)) fail('effective_on', '请选择生效日期');
    const note = v('note');
    if (note) body.note = note;
    if (!ok) {
      const first = form.querySelector('.has-error .input, .has-error input');
      if (first) first.focus();
      return null;
    }
    return body;
  }

  const formErrorOptions = { fieldForCode: { list_item_exists: 'code' } };

  function openCreate() {
    const form = itemForm('list-item-create', null);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'list-item-create', 'data-action': 'create-item' }, '创建');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({ title: '新增清单事项', width: 760, body: form, footer: [cancel, submit] });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="code"]').focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = readItem(form, true);
      if (!body) return;
      const ok = await confirmDialog({
        title: '新增清单事项',
        message: `将在「${LIST_LABEL[body.list]}」中新增事项 ${body.code}「${body.name}」，责任主体为${subjectName(body.subject)}，自 ${body.effective_on} 起施行。确定新增吗？`,
        okText: '新增',
      });
      if (!ok) return;
      const restore = busy(submit, '正在创建…');
      try {
        const created = await api.post('/list-items', body);
        restore();
        d.close(true);
        toast(`已新增清单事项 ${created.code}`);
        refreshAll();
      } catch (err) {
        restore();
        showFormError(form, err, formErrorOptions);
      }
    });
  }

  // The item as it is in force today, or null (said in a toast) when it is not.
  async function currentItem(code, cannot) {
    try {
      return await api.get(`/list-items/${encodeURIComponent(code)}`);
    } catch (e) {
      toastError(e, `该事项今天不在清单内，无法${cannot}`);
      return null;
    }
  }

  async function openChange(code) {
    const it = await currentItem(code, '修改');
    if (!it) return;
    const form = itemForm('list-item-change', it);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'list-item-change', 'data-action': 'save-item' }, '保存为新版本');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: `修改清单事项 ${it.code}`,
      width: 760,
      body: [h('p', { class: 'dialog-lead' }, '修改会生成新版本，自所选日期起施行；此前的版本保留在版本记录中，按当时的清单办理的事件不受影响。'), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="name"]').focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = readItem(form, false);
      if (!body) return;
      const { effective_on: on, note, ...content } = body;
      const changes = diff(it, { ...it, ...content, subject: { key: content.subject, name: subjectName(content.subject) }, time_limit: content.time_limit && { ...content.time_limit, label: UNIT_LABEL[content.time_limit.unit] } });
      if (!changes.length) {
        setFormAlert(form, '内容没有变化，无需保存新版本', 'warning');
        return;
      }
      const ok = await confirmDialog({
        title: '保存新版本',
        message: h('div', null, h('p', { style: { margin: '0 0 6px' } }, `事项 ${it.code} 自 ${on} 起按新版本施行：`),
          h('ul', { style: { margin: 0, paddingLeft: '18px' } }, changes.map((c) => h('li', null, c)))),
        okText: '保存',
      });
      if (!ok) return;
      const restore = busy(submit, '正在保存…');
      try {
        await api.put(`/list-items/${encodeURIComponent(it.code)}`, { ...content, effective_on: on, ...(note ? { note } : {}) });
        restore();
        d.close(true);
        toast(`已保存 ${it.code} 的新版本，自 ${on} 起施行`);
        refreshAll();
      } catch (err) {
        restore();
        showFormError(form, err, formErrorOptions);
      }
    });
  }

  // ---- retire
  async function openRetire(code) {
    const it = await currentItem(code, '废止');
    if (!it) return;
    const form = h('form', { novalidate: true, id: 'list-item-retire' },
      field({ label: '废止日期', name: 'effective_on', type: 'date', required: true, value: today(), hint: `自该日起不再列入清单，不早于现行版本的生效日期 ${it.valid_from}${it.valid_from === today() ? '；现行版本今天才生效，今天废止将以废止记录取代该版本' : ''}`, attrs: { min: it.valid_from } }),
      field({ label: '废止原因', name: 'note', type: 'textarea', required: true, placeholder: '如：职责已调整至××，依据××文件', attrs: { maxlength: 200, rows: 3 } }));
    const submit = h('button', { type: 'submit', class: 'btn btn-danger', form: 'list-item-retire', 'data-action': 'retire-item' }, '废止');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '废止清单事项',
      width: 560,
      body: [h('p', { class: 'dialog-lead' }, `${it.code}「${it.name}」（${it.list_label}，责任主体 ${it.subject.name}）`), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="note"]').focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const on = form.elements.effective_on.value;
      const note = form.elements.note.value.trim();
      if (!DATE_RE.test(on)) setFieldError(form, 'effective_on', '请选择废止日期');
      if (!note) setFieldError(form, 'note', '请填写废止原因');
      if (!DATE_RE.test(on) || !note) return;
      const sure = await confirmDialog({
        title: '确认废止',
        message: `自 ${on} 起，「${it.name}」不再列入${it.list_label}，此后的事件不能再按该事项流转；版本记录保留。确定废止吗？`,
        okText: '废止',
        danger: true,
      });
      if (!sure) return;
      const restore = busy(submit, '正在废止…');
      try {
        await api.post(`/list-items/${encodeURIComponent(it.code)}/retire`, { effective_on: on, note });
        restore();
        d.close(true);
        toast(`已废止 ${it.code}，自 ${on} 起不再列入清单`);
        refreshAll();
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  // ---- export
  function openExport() {
    const form = h('form', { novalidate: true, id: 'list-export' },
      field({ label: '清单日期', name: 'as_of', type: 'date', required: true, value: viewDate(), hint: '导出该日有效的全部事项' }),
      h('div', { class: 'form-item' }, h('label', { class: 'form-label' }, '文件格式'),
        h('div', { class: 'form-control' }, h('div', { class: 'radio-group' },
          h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'format', value: 'xlsx', checked: true }), 'Excel 表格'),
          h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'format', value: 'csv' }), 'CSV（可修改后再导入）')),
        h('div', { class: 'form-error', role: 'alert' }))));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'list-export', 'data-action': 'do-export' }, icon('download'), '导出');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({ title: '导出三张清单', width: 480, body: [h('p', { class: 'dialog-lead' }, '导出会记入审计日志。'), form], footer: [cancel, submit] });
    cancel.addEventListener('click', () => d.close(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const asOf = form.elements.as_of.value;
      if (!DATE_RE.test(asOf)) {
        setFieldError(form, 'as_of', '请选择日期');
        return;
      }
      const restore = busy(submit, '正在导出…');
      try {
        const name = await api.download('/list-items/export', { as_of: asOf, format: form.elements.format.value });
        restore();
        d.close(true);
        toast(`已导出 ${name}`);
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  // ---- import
  function openImport() {
    const file = h('input', { type: 'file', name: 'file', class: 'sr-only', accept: '.csv,text/csv' });
    const fileName = h('span', { class: 'muted' }, '未选择文件');
    const picker = h('div', { class: 'inline-alert', style: { display: 'flex', alignItems: 'center', gap: '10px' } },
      h('label', { class: 'btn' }, icon('upload'), '选择文件', file), fileName);
    const report = h('div', { 'data-testid': 'import-report' });
    const form = h('form', { novalidate: true, id: 'list-import' },
      h('div', { class: 'form-item' }, h('label', { class: 'form-label' }, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'), 'CSV 文件'),
        h('div', { class: 'form-control' }, picker, h('div', { class: 'form-error', role: 'alert' }),
          h('div', { class: 'form-hint' }, '列与「导出」的 CSV 相同，可先导出、修改后再导入；UTF-8 或 GBK 编码均可。'))),
      field({ label: '生效日期', name: 'effective_on', type: 'date', required: true, value: today(), hint: '新事项和有变化的事项自该日起施行，与现行版本相同的行不变' }),
      formatHelp(),
      report);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'list-import', 'data-action': 'do-import' }, icon('upload'), '检查并导入');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '导入清单事项',
      width: 680,
      body: [h('p', { class: 'dialog-lead' }, '先检查整个文件：有错误的行全部列出，一行也不写入；没有错误时确认后一次导入。'), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    file.addEventListener('change', () => {
      clearErrors(form);
      report.replaceChildren();
      fileName.textContent = file.files[0] ? file.files[0].name : '未选择文件';
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      report.replaceChildren();
      const on = form.elements.effective_on.value;
      const f = file.files[0];
      if (!f) setFieldError(form, 'file', '请选择 CSV 文件');
      if (!DATE_RE.test(on)) setFieldError(form, 'effective_on', '请选择生效日期');
      if (!f || !DATE_RE.test(on)) return;
      let restore = busy(submit, '正在检查…');
      try {
        const text = await readCsv(f);
        const check = await api.postCsv('/list-items/import', text, { effective_on: on, dry_run: 1 });
        restore();
        restore = () => {};
        if (!check.added && !check.changed) {
          setFormAlert(form, '文件中的事项与现行清单完全相同，无需导入', 'info');
          return;
        }
        const ok = await confirmDialog({
          title: '确认导入',
          message: `检查通过：将新增 ${check.added} 项、变更 ${check.changed} 项，自 ${check.effective_on} 起施行。确定导入吗？`,
          okText: '导入',
        });
        if (!ok) return;
        restore = busy(submit, '正在导入…');
        const done = await api.postCsv('/list-items/import', text, { effective_on: on, dry_run: 0 });
        restore();
        d.close(true);
        toast(`已导入：新增 ${done.added} 项，变更 ${done.changed} 项`);
        refreshAll();
      } catch (err) {
        restore();
        const errors = err.body && Array.isArray(err.body.errors) ? err.body.errors : [];
        if (errors.length) {
          report.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert' }, icon('error'),
            h('div', null, h('div', null, `${err.detail}：`),
              h('ul', { style: { margin: '6px 0 0', paddingLeft: '18px', maxHeight: '220px', overflowY: 'auto' } },
                errors.map((x) => h('li', { 'data-line': x.line }, x.reason))))));
        } else {
          showFormError(form, err);
        }
      }
    });
  }

  // The codes a CSV row uses, with their names.
  function formatHelp() {
    return h('details', { class: 'form-item' },
      h('summary', { class: 'link' }, '填写说明'),
      h('dl', { class: 'kv', style: { marginTop: '10px' } },
        h('dt', null, '表头'), h('dd', null, h('code', { class: 'mono', style: { wordBreak: 'break-all' } }, CSV_HEADER)),
        h('dt', null, '清单'), h('dd', null, LISTS.map((l) => `${l.value} ${l.label}`).join('；')),
        h('dt', null, '责任主体'), h('dd', null, subjects.map((s) => `${s.key} ${s.name}`).join('；')),
        h('dt', null, '主体类型'), h('dd', null, 'module 乡镇模块；department 县级部门'),
        h('dt', null, '时限'), h('dd', null, `数值与单位，如 20 work_days；单位 ${UNITS.map((u) => `${u.value} ${u.label}`).join('；')}；留空为不设时限`),
        h('dt', null, '其他'), h('dd', null, '配合主体、办理流程多项用 | 分隔；执法事项、赋权乡镇填 1 或 0')));
  }
}


