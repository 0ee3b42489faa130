// mine.js - #/mine: a resident's own reports (the server shows residents only
// what they reported), with their progress; closed ones invite a rating.

import { api } from '../console/api.js';
import { subscribe } from '../console/evlib.js';
import { h, icon, header, eventCard, empty, loading } from './m-ui.js';

export function render(root, ctx) {
  const list = h('div', { class: 'm-list-cards', 'data-testid': 'my-reports' }, loading());
  const more = h('button', { type: 'button', class: 'm-btn m-btn-block m-more', hidden: true, onclick: () => load(true) }, '加载更多');
  let cursor = null;
  root.append(header('我的上报', { right: ctx.can('event.create') ? h('a', { class: 'm-head-btn', href: '#/report', 'aria-label': '我要上报' }, icon('plus')) : null }),
    h('div', { class: 'm-page' }, list, more));

  async function load(append, quiet = false) {
    try {
      const b = await api.get('/events', { cursor: append ? cursor : '', limit: 20 });
      cursor = b.next_cursor;
      more.hidden = !cursor;
      if (!append) list.replaceChildren();
      if (!b.items.length && !append) {
        list.append(empty('您还没有上报过事件', '发现问题，随手拍一拍'), h('a', { class: 'm-btn m-btn-primary m-btn-block', href: '#/report' }, '我要上报'));
      }
      for (const ev of b.items) {
        const card = eventCard(ev, { plain: true });
        if (ev.state === 'closed' && !ev.satisfaction) card.append(h('div', { class: 'm-ev-cta' }, icon('star', 'icon icon-xs'), '已办结，欢迎评价'));
        list.append(card);
      }
    } catch (e) {
      if (!quiet) list.replaceChildren(empty('加载失败', e.detail || e.message));
    }
  }
  load(false);
  return subscribe(() => load(false, true));
}
