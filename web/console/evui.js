// evui.js - console pieces for events: state/urgency tags, the traffic light,
// live countdowns, category and place pickers.

import { api } from './api.js';
import { h, tag, formatTime } from './ui.js';
import { STATES, URGENCIES, ALERTS, STAGES, countdown, stateLabel, isOpen } from './evlib.js';

export function stateTag(ev) {
  const kind = (STATES[ev.state] || [null, 'default'])[1];
  return h('span', { class: `tag tag-${kind} state-tag`, 'data-state': ev.state }, stateLabel(ev));
}

export function urgencyTag(ev) {
  const [label, kind] = URGENCIES[ev.urgency] || [ev.urgency_label || ev.urgency, 'default'];
  return tag(ev.urgency_label || label, kind);
}

/** A dot in the alert colour (green / yellow / red) with an accessible label. */
export function light(alert, { text = false } = {}) {
  const [label, cls] = ALERTS[alert] || ALERTS.green;
  return h('span', { class: `light light-${cls}`, title: `时限状态：${label}`, 'data-alert': alert || 'green' },
    h('span', { class: 'light-dot', 'aria-hidden': 'true' }), text ? h('span', { class: 'light-text' }, label) : h('span', { class: 'sr-only' }, label));
}

/** A countdown to `iso` that tickCountdowns() keeps current. */
export function countdownEl(iso, cls = '') {
  const el = h('span', { class: ['countdown', cls], 'data-deadline': iso || '' });
  paintCountdown(el);
  return el;
}

function paintCountdown(el) {
  const c = countdown(el.dataset.deadline);
  el.textContent = c ? c.text : '';
  el.classList.toggle('is-over', !!(c && c.overdue));
}

/** Repaints every countdown under root; returns a stop function. */
export function tickCountdowns(root, every = 30000) {
  const t = setInterval(() => {
    for (const el of root.querySelectorAll('[data-deadline]')) paintCountdown(el);
  }, every);
  return () => clearInterval(t);
}

/**
 * How a closed (or archived) event ended: late when it was closed after its
 * 结案期限 (due_at). Not `overdue`, which is set once any stage went red.
 * {late, label: 超期办结 | 按期办结, alert: red | green}.
 */
export function closeResult(ev) {
  const late = !!(ev.due_at && ev.closed_at && Date.parse(ev.closed_at) > Date.parse(ev.due_at));
  return { late, label: late ? '超期办结' : '按期办结', alert: late ? 'red' : 'green' };
}

/** The 环节/时限 cell of the workbench: light, stage and time left; or how it ended. */
export function deadlineCell(ev) {
  if (!isOpen(ev.state)) {
    if (ev.state === 'closed' || ev.state === 'archived') {
      const end = closeResult(ev);
      return h('div', { class: 'cell-2' }, h('span', { class: 'deadline-line' }, light(end.alert), end.label),
        h('span', { class: 'sub' }, ev.closed_at ? `结案 ${formatTime(ev.closed_at)}` : ''));
    }
    return h('span', { class: 'muted' }, '—');
  }
  if (ev.state === 'suspended') return h('div', { class: 'cell-2' }, h('span', { class: 'deadline-line' }, light('green'), '挂账中'), h('span', { class: 'sub' }, '暂停计时'));
  const stage = ev.stage_label || STAGES[ev.stage] || '';
  return h('div', { class: 'cell-2' },
    h('span', { class: 'deadline-line' }, light(ev.alert), stage ? `${stage}环节` : '—', ev.stage_deadline ? countdownEl(ev.stage_deadline, 'cd-inline') : null),
    h('span', { class: 'sub' }, ev.stage_deadline ? `时限 ${formatTime(ev.stage_deadline)}` : ''));
}

/**
 * A <select> of the category tree: optgroups per class; classOption adds the
 * class itself ("全部市容环境") for filters.
 */
export function categorySelect(tree, { name = 'category', value = '', placeholder = '全部类别', classOption = false, attrs = {} } = {}) {
  const sel = h('select', { class: 'input', name, ...attrs }, h('option', { value: '' }, placeholder));
  for (const c of tree) {
    const group = h('optgroup', { label: `${c.code} ${c.name}` });
    if (classOption) group.append(h('option', { value: c.code }, `${c.name}（全部小类）`));
    for (const l of c.children || []) {
      if (l.active === false) continue;
      group.append(h('option', { value: l.code }, `${l.code} ${l.name}`));
    }
    sel.append(group);
  }
  sel.value = value;
  return sel;
}

/** All pages of a unit listing (the lists are small: a township's villages, a village's grids). */
export async function listAll(path, query = {}) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 20; i++) {
    const b = await api.get(path, { ...query, limit: 500, cursor });
    out.push(...(b.items || []));
    if (!b.next_cursor) break;
    cursor = b.next_cursor;
  }
  return out;
}

/** A small SVG pie-less star row (satisfaction 1–5), read-only. */
export function stars(n) {
  const el = h('span', { class: 'stars', title: `${n} 分`, 'aria-label': `满意度 ${n} 分` });
  for (let i = 1; i <= 5; i++) el.append(h('span', { class: i <= n ? 'star on' : 'star' }, '★'));
  return el;
}
