// notices.js - #/notices: my notifications; tapping one marks it read and opens its event.

import { api } from '../console/api.js';
import { subscribe, markRead } from '../console/evlib.js';
import { toast } from '../console/ui.js';
import { h, header, empty, loading, formatTime } from './m-ui.js';

const KINDS = {
  new_event: '新事件', new_task: '新任务', verify_task: '现场核实/核查', rework: '返工', returned: '退回', called: '乡呼县应',
  approval: '待审批', out_of_list: '清单外', closed: '已办结', rejected: '不予立案', yellow: '黄灯预警', red: '红灯督办',
  supervision: '督办', escalated: '超期上报', urged: '群众催办', void: '已作废', merged: '合并办理', withdrawn: '已改派',
};
const HOT = new Set(['rework', 'red', 'supervision', 'escalated']);

export function render(root, ctx) {
  const list = h('div', { class: 'm-notes', 'data-testid': 'notices' }, loading());
  const more = h('button', { type: 'button', class: 'm-btn m-btn-block m-more', hidden: true, onclick: () => load(true) }, '加载更多');
  const readAll = h('button', { type: 'button', class: 'm-head-btn m-head-text', 'data-action': 'read-all', onclick: async () => {
    try {
      await markRead(null);
      ctx.refreshUnread();
      load(false);
      toast('已全部标为已读');
    } catch (e) {
      toast(e.detail || '操作失败', 'error');
    }
  } }, '全部已读');
  let cursor = null;
  root.append(header('通知', { right: readAll }), h('div', { class: 'm-page' }, list, more));

  async function open(n) {
    if (!n.read) {
      try { await markRead(n.id); } catch { /* still open it */ }
      ctx.refreshUnread();
    }
    if (n.event_id) ctx.navigate(`#/events/${n.event_id}`);
    else load(false);
  }

  async function load(append, quiet = false) {
    try {
      const b = await api.get('/notifications', { cursor: append ? cursor : '', limit: 30 });
      cursor = b.next_cursor;
      more.hidden = !cursor;
      readAll.disabled = !b.unread;
      if (!append) list.replaceChildren();
      if (!b.items.length && !append) list.append(empty('暂无通知'));
      for (const n of b.items) {
        list.append(h('button', { type: 'button', class: ['m-note', !n.read && 'unread', HOT.has(n.kind) && 'hot'], 'data-notification': n.id, onclick: () => open(n) },
          h('div', { class: 'm-note-top' }, h('span', { class: 'm-note-kind' }, KINDS[n.kind] || '通知'), h('span', { class: 'm-note-time' }, formatTime(n.created_at))),
          h('div', { class: 'm-note-title' }, n.title),
          n.body ? h('div', { class: 'm-note-body' }, n.body) : null));
      }
    } catch (e) {
      if (!quiet) list.replaceChildren(empty('加载失败', e.detail || e.message));
    }
  }
  load(false);
  return subscribe(() => load(false, true));
}
