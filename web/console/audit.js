// audit.js - #/audit (audit.read): the audit chain, newest first, filtered by
// actor, action (exact or "prefix."), outcome and a date range (Beijing days).
// Each row: detail as compact JSON, the chain hash truncated; 查看 shows all.

import { api } from './api.js';
import {
  h, icon, pageHeader, card, dataTable, formatTime, nextDay, compactJson, tag, openDialog,
  toastError, setFieldError, clearErrors, copyText, toast,
} from './ui.js';
import { stateLabel } from './evlib.js';

// Audit actions that are not entries of the permission table (event.create is one,
// with the same label, listed here with the other actions on events).
const EXTRA_ACTIONS = {
  'session.create': '登录',
  'session.delete': '退出登录 / 注销会话',
  'password.change': '修改本人密码',
  'event.export': '导出事件台账',
  // Written by the command line (tiaokuai user …).
  'user.create': '新建用户',
  'user.disable': '停用用户',
  'user.enable': '启用用户',
  'user.password_reset': '重置密码',
  // 接口对接 (integrations.js).
  'callback.create': '新增回调',
  'callback.update': '修改回调（地址或启停）',
  'callback.secret': '更换回调签名密钥',
  'callback.delete': '删除回调',
  'callback.retry': '重新推送',
  // The event loop: event.{action} as the server labels the action (tk_event_action_label).
  'event.create': '上报事件',
  'event.accept': '立案',
  'event.verify-request': '派发核实',
  'event.verify': '核实/核查',
  'event.dispatch': '交办',
  'event.reassign': '改派',
  'event.sign': '签收',
  'event.return': '退回',
  'event.call-county': '乡呼县应',
  'event.request-extension': '申请延期/挂账',
  'event.decide-extension': '审批延期/挂账',
  'event.suspend': '挂账',
  'event.resume': '恢复办理',
  'event.feedback': '反馈',
  'event.close': '结案',
  'event.revisit': '回访',
  'event.reject': '不予立案',
  'event.void': '作废',
  'event.merge': '合并重复件',
  'event.self-close': '自行处置',
  'event.urge': '催办',
  'event.supervise': '督办',
  'event.comment': '备注',
  'event.attach': '上传照片',
};
const OUTCOMES = {
  ok: ['成功', 'success'],
  denied: ['拒绝', 'warning'],
  failed: ['失败', 'danger'],
};
const TARGETS = { user: '用户', session: '会话', api_key: '接口密钥', callback: '回调', event: '事件' };

/** The record's object: "用户 #3"; an event by its number (or id) as a link to it. */
function targetText(a) {
  if (!a.target_type) return '';
  const name = TARGETS[a.target_type] || a.target_type;
  if (a.target_type === 'event' && a.target_id) {
    const number = a.detail && typeof a.detail.number === 'string' ? a.detail.number : null;
    return h('a', { href: `#/events/${encodeURIComponent(a.target_id)}`, class: number ? 'mono audit-number' : null, title: `事件 #${a.target_id}` }, number || `${name} #${a.target_id}`);
  }
  return `${name}${a.target_id ? ' #' + a.target_id : ''}`;
}

/** The detail in a line; an event's state change (from, to) by the states' labels: 已上报 → 已立案. */
function detailText(a) {
  const d = a.detail;
  if (!d || typeof d !== 'object' || Array.isArray(d) || a.target_type !== 'event') return compactJson(d);
  const { from, to, number, ...rest } = d; // the number shows as the object
  const label = (st) => (st ? stateLabel({ state: st }) : '—');
  const moved = from === undefined && to === undefined ? '' : from === to ? `${label(to)}（状态不变）` : `${label(from)} → ${label(to)}`;
  return [moved, compactJson(rest)].filter(Boolean).join(' · ');
}

export async function render(root, ctx) {
  let actionLabels = { ...EXTRA_ACTIONS };
  let roleLabels = {};
  try {
    const m = await ctx.meta();
    for (const a of m.actions) if (!actionLabels[a.action]) actionLabels[a.action] = a.label;
    roleLabels = Object.fromEntries(m.roles.map((r) => [r.code, r.label]));
  } catch (e) {
    toastError(e, '权限表加载失败');
  }
  const filters = {};

  // ---- filter bar
  const datalist = h('datalist', { id: 'audit-actions' },
    Object.entries(actionLabels).map(([code, label]) => h('option', { value: code }, label)));
  const actor = h('input', { class: 'input', name: 'actor', placeholder: '用户名', maxlength: 64 });
  const action = h('input', { class: 'input', name: 'action', placeholder: '如 user.write 或前缀 user.', list: 'audit-actions', maxlength: 64 });
  const outcome = h('select', { class: 'input', name: 'outcome' },
    h('option', { value: '' }, '全部结果'), Object.entries(OUTCOMES).map(([v, [l]]) => h('option', { value: v }, l)));
  const from = h('input', { class: 'input', name: 'from', type: 'date' });
  const to = h('input', { class: 'input', name: 'to', type: 'date' });
  const item = (label, control, cls = '') => h('div', { class: `filter form-item ${cls}` }, h('span', { class: 'filter-label' }, label),
    h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' })));
  const form = h('form', { class: 'filters', role: 'search', novalidate: true },
    item('操作人', actor), item('操作', action, 'filter-wide'), item('结果', outcome),
    item('日期', h('div', { class: 'range' }, from, h('span', { class: 'range-sep' }, '至'), to), 'filter-range'),
    h('div', { class: 'filter-btns' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, icon('search'), '查询'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: () => { form.reset(); apply(); } }, '重置')),
    datalist);
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });

  function apply() {
    clearErrors(form);
    if (from.value && to.value && from.value > to.value) {
      setFieldError(form, 'to', '截止日期不能早于起始日期');
      return;
    }
    filters.actor = actor.value.trim();
    filters.action = action.value.trim();
    filters.outcome = outcome.value;
    filters.from = from.value;
    // The server's "to" is exclusive: include the whole chosen day.
    filters.to = to.value ? nextDay(to.value) : '';
    table.reload();
  }

  const table = dataTable({
    pageSize: 20,
    minWidth: 1100,
    columns: [
      { title: '序号', width: 56, align: 'right', render: (a) => h('span', { class: 'num' }, String(a.seq)) },
      { title: '时间', width: 150, className: 'nowrap', render: (a) => formatTime(a.at, { seconds: true }) },
      { title: '操作人', width: 116, render: (a) => h('div', { class: 'cell-2' }, h('span', null, a.actor || '—'), a.role ? h('span', { class: 'sub' }, roleLabels[a.role] || a.role) : null) },
      { title: '操作', width: 140, render: (a) => h('div', { class: 'cell-2', 'data-action-code': a.action }, h('span', null, actionLabels[a.action] || a.action), h('code', { class: 'sub' }, a.action)) },
      { title: '对象', width: 206, className: 'nowrap', render: (a) => targetText(a) },
      { title: '结果', width: 72, render: (a) => { const [l, k] = OUTCOMES[a.outcome] || [a.outcome, 'default']; return tag(l, k); } },
      { title: '来源 IP', width: 96, render: (a) => h('span', { class: 'mono', title: a.ip }, a.ip) },
      { title: '详情', render: (a) => { const s = detailText(a); return s ? h('span', { class: 'detail-cell mono', title: JSON.stringify(a.detail, null, 2) }, s) : ''; } },
      { title: '哈希', width: 96, render: (a) => h('span', { class: 'mono hash', title: a.hash }, a.hash ? a.hash.slice(0, 8) + '…' : '') },
      { title: '', width: 52, className: 'col-actions', render: (a) => h('button', { type: 'button', class: 'link', 'data-action': 'view', onclick: () => show(a) }, '查看') },
    ],
    empty: () => (Object.values(filters).some(Boolean) ? '没有符合条件的记录' : '暂无审计记录'),
    load: (cursor, limit) => api.get('/audit', { ...filters, cursor, limit }),
  });

  function show(a) {
    const [l, k] = OUTCOMES[a.outcome] || [a.outcome, 'default'];
    const copy = h('button', { type: 'button', class: 'link', onclick: async () => { if (await copyText(a.hash)) toast('哈希已复制'); } }, '复制');
    const rows = [
      ['序号', String(a.seq)],
      ['时间', formatTime(a.at, { seconds: true })],
      ['操作人', `${a.actor || '—'}${a.actor_id ? `（用户 #${a.actor_id}）` : ''}${a.role ? ' · ' + (roleLabels[a.role] || a.role) : ''}`],
      ['来源 IP', a.ip],
      ['操作', `${actionLabels[a.action] || a.action}（${a.action}）`],
      ['对象', targetText(a) || '—'],
      ['结果', tag(l, k)],
      ['详情', h('pre', { class: 'json' }, JSON.stringify(a.detail, null, 2))],
      ['链哈希', h('div', { class: 'hash-full' }, h('code', null, a.hash), copy)],
    ];
    openDialog({
      title: `审计记录 #${a.seq}`,
      width: 600,
      body: h('dl', { class: 'kv kv-wide' }, rows.map(([k2, v]) => [h('dt', null, k2), h('dd', null, v)])),
    });
  }

  root.append(
    pageHeader({ title: '审计日志', crumbs: ['系统管理', '审计日志'], desc: '所有写操作与被拒绝的请求逐条记入防篡改审计链（每条记录含前一条的哈希），按时间倒序排列。' }),
    card({ className: 'card-filters', body: form }),
    card({ className: 'card-table', body: table.el }));
  table.reload();
}
