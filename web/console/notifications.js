// notifications.js - #/notifications (notification.read): my inbox of new tasks,
// yellow/red alerts, supervision, returns, county calls and approvals. Opening
// one marks it read and goes to its event; 全部标为已读 (confirmed when more than
// one is unread) clears the badge.

import { api } from './api.js';
import { h, icon, pageHeader, card, dataTable, formatTime, tag, toast, toastError, confirmDialog } from './ui.js';
import { subscribe, markRead } from './evlib.js';

// kind → [label, tag kind]
export const KINDS = {
  new_event: ['新事件', 'primary'],
  new_task: ['新任务', 'primary'],
  verify_task: ['现场核实/核查', 'warning'],
  rework: ['返工', 'danger'],
  returned: ['退回', 'warning'],
  withdrawn: ['已改派', 'default'],
  called: ['乡呼县应', 'warning'],
  approval: ['待审批', 'warning'],
  out_of_list: ['清单外', 'warning'],
  closed: ['已办结', 'success'],
  rejected: ['不予立案', 'default'],
  void: ['已作废', 'default'],
  merged: ['合并办理', 'primary'],
  yellow: ['黄灯预警', 'warning'],
  red: ['红灯督办', 'danger'],
  supervision: ['督办', 'danger'],
  urged: ['群众催办', 'warning'],
  escalated: ['超期上报', 'danger'],
};

export function kindTag(kind) {
  const [label, k] = KINDS[kind] || ['通知', 'default'];
  return tag(label, k);
}

export async function render(root, ctx) {
  let unreadOnly = ctx.query.get('unread') === '1';
  const count = h('span', { class: 'muted', 'data-testid': 'unread-count' });

  const table = dataTable({
    pageSize: 20,
    minWidth: 900,
    rowClass: (n) => (n.read ? 'row-read' : 'row-unread'),
    columns: [
      // Wider than the cell's padding and the dot, or the table's ellipsis rule adds a "…".
      { title: '', width: 36, align: 'center', render: (n) => (n.read ? '' : h('span', { class: 'unread-dot', title: '未读' })) },
      { title: '类型', width: 104, render: (n) => kindTag(n.kind) },
      { title: '内容', render: (n) => h('div', { class: 'cell-2' },
        h('button', { type: 'button', class: 'link note-title', 'data-notification': n.id, onclick: () => open(n) }, n.title),
        n.body ? h('span', { class: 'sub', title: n.body }, n.body) : null) },
      { title: '事件编号', width: 210, render: (n) => (n.event_id ? h('a', { href: `#/events/${n.event_id}`, class: 'mono', onclick: () => read(n) }, n.event_number || `#${n.event_id}`) : '') },
      { title: '时间', width: 140, className: 'nowrap', render: (n) => formatTime(n.created_at) },
      { title: '', width: 84, className: 'col-actions', render: (n) => (n.read ? h('span', { class: 'muted' }, '已读') : h('button', { type: 'button', class: 'link', 'data-action': 'read', onclick: () => read(n, true) }, '标为已读')) },
    ],
    empty: () => (unreadOnly ? '没有未读通知' : '暂无通知'),
    load: async (cursor, limit) => {
      const b = await api.get('/notifications', { unread: unreadOnly ? 1 : '', cursor, limit });
      unread = b.unread || 0;
      count.textContent = b.unread ? `${b.unread} 条未读` : '全部已读';
      readAll.disabled = !b.unread;
      return b;
    },
  });

  async function read(n, reload = false) {
    if (n.read) return;
    try {
      await markRead(n.id);
      n.read = true;
      ctx.refreshUnread();
      if (reload) table.refresh({ quiet: true });
    } catch (e) {
      toastError(e, '操作失败');
    }
  }

  async function open(n) {
    await read(n);
    if (n.event_id) ctx.navigate(`#/events/${n.event_id}`);
    else table.refresh({ quiet: true });
  }

  let unread = 0;
  const readAll = h('button', { type: 'button', class: 'btn', 'data-action': 'read-all', onclick: async () => {
    // Many unread at once cannot be told apart again afterwards: ask first.
    if (unread > 1 && !(await confirmDialog({
      title: '全部标为已读',
      message: `共有 ${unread} 条未读通知，标为已读后将不再提示，也无法恢复为未读。确定全部标为已读吗？`,
      okText: '全部标为已读',
    }))) return;
    try {
      await markRead(null);
      toast('已全部标为已读');
      ctx.refreshUnread();
      table.refresh();
    } catch (e) {
      toastError(e, '操作失败');
    }
  } }, icon('check'), '全部标为已读');

  const seg = h('div', { class: 'seg' },
    h('button', { type: 'button', class: ['seg-btn', !unreadOnly && 'active'], 'data-filter': 'all', onclick: () => setFilter(false) }, '全部'),
    h('button', { type: 'button', class: ['seg-btn', unreadOnly && 'active'], 'data-filter': 'unread', onclick: () => setFilter(true) }, '未读'));
  function setFilter(u) {
    unreadOnly = u;
    for (const b of seg.children) b.classList.toggle('active', (b.dataset.filter === 'unread') === u);
    history.replaceState(null, '', u ? '#/notifications?unread=1' : '#/notifications');
    table.reload();
  }

  root.append(
    pageHeader({ title: '消息通知', crumbs: ['事件办理', '消息通知'], desc: '新任务、核查任务、黄灯预警与红灯督办、退回与返工、乡呼县应和审批提醒。', actions: [readAll] }),
    h('section', { class: 'card card-table' },
      h('div', { class: 'tabs-head' }, seg, h('div', { class: 'tabs-extra' }, count)),
      h('div', { class: 'card-body' }, table.el)));
  table.reload();
  const stop = subscribe(() => table.refresh({ quiet: true }));
  return stop;
}
