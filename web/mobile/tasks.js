// tasks.js - #/tasks: a grid worker's or cadre's work. Segments: 待核查
// (box=verify: on-site verification and checking others' work), 待办 (box=mine),
// 我的上报 (box=own, a grid worker's own reports, finished or not) and 全部
// (every event in my grid or scope); for those
// who read without handling, 超期督办, 督办件 (box=supervised) and 全部. Each
// inbox segment shows how many it holds (GET /api/v1/events/boxes).

import { api } from '../console/api.js';
import { subscribe, boxCount } from '../console/evlib.js';
import { h, header, eventCard, empty, loading } from './m-ui.js';

const SEGMENTS = [
  { key: 'verify', label: '待核查', empty: '暂无待核查的事件', sub: '事件处置反馈后，会在这里提醒您到现场核查' },
  { key: 'mine', label: '待办', empty: '暂无待办任务' },
  { key: 'own', label: '我的上报', empty: '您还没有上报过事件', sub: '巡查中发现问题，点下方“上报”随手拍' },
  { key: 'all', label: '全部', empty: '暂无事件' },
];
// Who checks on site besides the grid workers: the desks (modules and departments do not).
const VERIFIERS = new Set(['township_command', 'county_center']);
// Segments whose count is work waiting (one's own reports and everything are not).
const UNCOUNTED = new Set(['own', 'all']);

export function render(root, ctx) {
  // Who reads without handling (a leader) has no tasks: the overdue, the supervised
  // and everything.
  const all = SEGMENTS.at(-1);
  const segs = !ctx.can('event.act') ? [{ key: 'overdue', label: '超期督办', empty: '暂无超期事件' }, { key: 'supervised', label: '督办件', empty: '暂无在办的督办件' }, all]
    : ctx.user.role === 'grid_worker' ? SEGMENTS
      : [SEGMENTS[1], { key: 'unit', label: '本单位', empty: '本单位暂无在办事件' }, ...(VERIFIERS.has(ctx.user.role) ? [SEGMENTS[0]] : []), all];
  let current = segs.some((s) => s.key === ctx.query.get('box')) ? ctx.query.get('box') : segs[0].key;
  const bar = h('div', { class: 'm-seg', role: 'tablist' }, segs.map((s) =>
    h('button', { type: 'button', class: 'm-seg-btn', 'data-box': s.key, onclick: () => select(s.key) }, s.label, h('span', { class: 'm-seg-count' }))));
  const list = h('div', { class: 'm-list-cards', 'data-testid': 'task-list' }, loading());
  const more = h('button', { type: 'button', class: 'm-btn m-btn-block m-more', hidden: true, onclick: () => load(true) }, '加载更多');
  let cursor = null;
  let seq = 0;

  root.append(header('我的任务'), h('div', { class: 'm-sticky' }, bar), h('div', { class: 'm-page' }, list, more));

  function paintBar() {
    for (const b of bar.children) {
      b.classList.toggle('active', b.dataset.box === current);
      b.setAttribute('aria-selected', b.dataset.box === current ? 'true' : 'false');
    }
  }

  function select(key) {
    current = key;
    history.replaceState(null, '', `#/tasks?box=${key}`);
    paintBar();
    list.replaceChildren(loading());
    load(false);
  }

  async function load(append, quiet = false) {
    const my = ++seq;
    try {
      const b = await api.get('/events', { box: current === 'all' ? '' : current, cursor: append ? cursor : '', limit: 20 });
      if (my !== seq) return;
      cursor = b.next_cursor;
      more.hidden = !cursor;
      const seg = segs.find((s) => s.key === current);
      if (!append) list.replaceChildren();
      if (!b.items.length && !append) list.append(empty(seg.empty, seg.sub));
      for (const ev of b.items) list.append(eventCard(ev));
    } catch (e) {
      if (my !== seq || quiet) return;
      list.replaceChildren(empty('加载失败', e.detail || e.message));
    }
  }

  async function loadCounts() {
    let res;
    try {
      res = await api.get('/events/boxes');
    } catch {
      return; // the badges stay as they were
    }
    for (const s of segs) {
      const c = bar.querySelector(`[data-box="${s.key}"] .m-seg-count`);
      const n = res.boxes[s.key] || 0;
      if (c && !UNCOUNTED.has(s.key)) c.textContent = n ? ` ${boxCount(n, res.cap)}` : '';
    }
  }

  paintBar();
  load(false);
  loadCounts();
  return subscribe(() => {
    load(false, true);
    loadCounts();
  });
}
