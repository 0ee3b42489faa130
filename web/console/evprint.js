// evprint.js - the event as a printed 事件交办单: the paper a command room hands
// over, files or has signed. One sheet mounted beside the app (a child of
// <body>), hidden on screen; in print only the sheet shows (console.css, @media
// print). It holds what the detail page shows the caller, masked as the server
// masked it, with a receipt block for the assignee's signature and stamp. An
// event never handed over (waiting, rejected, void, closed on the spot) prints
// as a 事件登记单, without the receipt: there is nobody to sign for it.

import { h, formatTime } from './ui.js';
import { STAGES, ROLE_LABELS, isOpen, placeText } from './evlib.js';
import { closeResult } from './evui.js';

let sheet = null;

/** The sheet's name: 交办单 once the event went to a body (交办 or 乡呼县应), else 登记单. */
export function sheetName(ev) {
  return ev.dispatched_at || ev.called_unit ? '交办单' : '登记单';
}

/** Mounts (or replaces) the sheet for ev; returns a function that removes it. */
export function mountPrintSheet(ev, user) {
  const next = buildSheet(ev, user);
  if (sheet) sheet.replaceWith(next);
  else document.body.append(next);
  sheet = next;
  return () => {
    if (sheet === next) {
      next.remove();
      sheet = null;
    }
  };
}

function row(...cells) {
  // cells: [label, value, span] — span is the number of value columns (1 or 3)
  return h('tr', null, cells.map(([label, value, span = 1]) => [
    h('th', null, label), h('td', { colspan: span }, value === null || value === undefined || value === '' ? '—' : value)]));
}

function buildSheet(ev, user) {
  const place = placeText(ev);
  const open = isOpen(ev.state);
  const holder = ev.state === 'county_called' && ev.called_unit ? ev.called_unit : ev.assignee_unit;
  const stage = open && ev.stage ? `${STAGES[ev.stage] || ev.stage_label || ''}环节，时限 ${formatTime(ev.stage_deadline)}` : null;
  const reporter = ev.reporter && ev.reporter.name ? `${ev.reporter.name}${ev.reporter.phone ? `（${ev.reporter.phone}）` : ''}` : null;
  const pressed = (ev.supervisions || []).filter((s) => s.level === 'manual');
  const timeline = ev.timeline || [];
  const name = sheetName(ev);
  return h('section', { class: 'print-sheet', 'data-testid': 'print-sheet', 'aria-hidden': 'true' },
    h('h1', { class: 'ps-title' }, `${ev.township ? ev.township.name : ''}基层治理事件${name}`),
    h('div', { class: 'ps-meta' },
      h('span', null, `编号：${ev.number}`),
      h('span', null, `打印：${user.display_name || user.username} · ${formatTime(new Date().toISOString())}`)),
    h('table', { class: 'ps-table' },
      h('colgroup', null, h('col', { class: 'ps-col-label' }), h('col'), h('col', { class: 'ps-col-label' }), h('col')),
      h('tbody', null,
        row(['事件标题', ev.title, 3]),
        row(['事件类别', `${ev.category.name}（${ev.category.code}）`], ['紧急程度', ev.urgency_label]),
        row(['事件来源', `${ev.source_label}${ev.external_ref ? `（工单号 ${ev.external_ref}）` : ''}`], ['上报时间', formatTime(ev.created_at)]),
        row(['发生地点', `${place}${ev.address ? `，${ev.address}` : ''}`, 3]),
        row(['反映人', reporter, 3]),
        row(['问题描述', h('div', { class: 'ps-text' }, ev.description), 3]),
        row(['清单事项', ev.out_of_list ? `清单外：${ev.routing_note || ''}` : `${ev.list_item_code || '—'}${ev.routing_note ? `（${ev.routing_note}）` : ''}`, 3]),
        row(['当前状态', ev.state_label], ['结案期限', ev.due_at ? formatTime(ev.due_at) : (open ? '立案后计算' : null)]),
        row(['承办单位', holder ? `${holder.name}${ev.assignee_user ? ` · ${ev.assignee_user.name}` : ''}` : null], ['当前环节', stage]),
        pressed.length ? row(['督办意见', h('div', null, pressed.map((s) =>
          h('div', { class: 'ps-line' }, `${formatTime(s.at)} ${s.by_unit || ''}${ROLE_LABELS[s.by_role] || ''}：${s.note}`))), 3]) : null,
        ev.merged && ev.merged.length ? row(['重复上报', `已合并 ${ev.merged.length} 件：${ev.merged.map((m) => m.number).join('、')}`, 3]) : null,
        ev.merged_into ? row(['合并办理', `本件为重复上报，已合并到 ${ev.merged_into.number}（${ev.merged_into.state_label}）`, 3]) : null,
        ev.closed_at ? row(['结案时间', formatTime(ev.closed_at)], ['办理结果', closeResult(ev).label]) : null)),
    h('h2', { class: 'ps-sub' }, '办理过程'),
    h('table', { class: 'ps-table ps-log' },
      h('thead', null, h('tr', null, h('th', null, '时间'), h('th', null, '环节'), h('th', null, '办理人'), h('th', null, '意见'))),
      h('tbody', null, timeline.map((t) => h('tr', null,
        h('td', { class: 'ps-nowrap' }, formatTime(t.at)),
        h('td', { class: 'ps-nowrap' }, t.action_label || t.action),
        h('td', null, `${t.actor || '系统'}${ROLE_LABELS[t.role] && ROLE_LABELS[t.role] !== (t.actor || '系统') ? `（${ROLE_LABELS[t.role]}）` : ''}`),
        h('td', null, t.note || ''))))),
    name === '交办单' ? h('div', { class: 'ps-receipt' },
      h('div', null, '承办单位（盖章）：'),
      h('div', null, '签收人：'),
      h('div', null, '签收日期：　　年　　月　　日')) : null);
}
