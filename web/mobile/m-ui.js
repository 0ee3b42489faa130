// m-ui.js - the mobile kit: page header, bottom sheets, photo pickers, event
// cards, the state badge and traffic light, star rating and a busy overlay.
// Big touch targets (≥ 44 px); every text set as text, never parsed as HTML.

import { h, icon, formatTime, trackModal } from '../console/ui.js';
import { STATES, ALERTS, STAGES, countdown, stateLabel, isOpen } from '../console/evlib.js';

export { h, icon, formatTime };

/** The top bar of a page: optional back link, title, optional right-hand button. */
export function header(title, { back, right } = {}) {
  return h('header', { class: 'm-head' },
    back ? h('a', { class: 'm-head-btn', href: back, 'aria-label': '返回', 'data-action': 'back' }, icon('left')) : h('span', { class: 'm-head-btn' }),
    h('h1', { class: 'm-title' }, title),
    right || h('span', { class: 'm-head-btn' }));
}

export function stateBadge(ev) {
  const kind = (STATES[ev.state] || [null, 'default'])[1];
  return h('span', { class: `m-badge m-badge-${kind}`, 'data-state': ev.state }, stateLabel(ev));
}

/** The stage in words: a report waiting for its on-site check (核实) is not a 核查. */
export function stageName(ev) {
  return ev.state === 'verifying' ? '核实' : STAGES[ev.stage] || '';
}

/**
 * Where a report stands, in a resident's words (the desk's stages and deadlines
 * are the township's business); null once it is finished.
 */
export function residentPhase(ev) {
  if (!isOpen(ev.state)) return null;
  if (ev.state === 'reported' || ev.state === 'verifying') return '等待乡镇受理';
  if (ev.state === 'feedback') return '已处置，正在核查办理结果';
  if (ev.state === 'suspended') return '已受理，暂缓办理';
  return '已受理，正在办理';
}

export function lightDot(alert) {
  const [label, cls] = ALERTS[alert] || ALERTS.green;
  return h('span', { class: `m-light m-light-${cls}`, title: label, 'aria-label': `时限${label}` });
}

/**
 * One event in a list: state, light and time left; title; place; time.
 * `plain`: for the reporter (a resident), where it stands in words instead of the stage clock.
 */
export function eventCard(ev, { href, plain = false } = {}) {
  const open = isOpen(ev.state);
  const cd = !plain && open && ev.stage_deadline && ev.state !== 'suspended' ? countdown(ev.stage_deadline) : null;
  const phase = plain ? residentPhase(ev) : null;
  return h('a', { class: 'm-card m-ev', href: href || `#/events/${ev.id}`, 'data-event-id': ev.id, 'data-number': ev.number },
    h('div', { class: 'm-ev-top' },
      stateBadge(ev),
      ev.urgency && ev.urgency !== 'normal' ? h('span', { class: 'm-badge m-badge-danger' }, ev.urgency_label) : null,
      open && ev.supervised_at ? h('span', { class: 'm-badge m-badge-danger', 'data-testid': 'supervised-badge' }, '督办') : null,
      h('span', { class: 'm-ev-deadline' }, phase || (!plain && open && ev.stage ? [lightDot(ev.alert), stageName(ev), cd ? h('span', { class: cd.overdue ? 'over' : '' }, ` ${cd.text}`) : null] : null))),
    h('div', { class: 'm-ev-title' }, ev.title),
    h('div', { class: 'm-ev-desc' }, ev.description),
    h('div', { class: 'm-ev-meta' }, icon('pin', 'icon icon-xs'), h('span', null, ev.grid ? ev.grid.name : ''), h('span', { class: 'm-ev-time' }, formatTime(ev.created_at))));
}

export function empty(text, sub) {
  return h('div', { class: 'm-empty' }, h('div', { class: 'm-empty-art', 'aria-hidden': 'true' }), h('p', null, text), sub ? h('p', { class: 'sub' }, sub) : null);
}

export function loading(text = '加载中…') {
  return h('div', { class: 'm-loading' }, h('span', { class: 'spinner' }), text);
}

/**
 * sheet({title, body, footer}) → {el, body, close(v), closed}: a bottom sheet
 * on a native modal <dialog> (Esc, the backdrop and a route change close it).
 */
export function sheet({ title, body, footer, tall = false }) {
  const dlg = h('dialog', { class: ['m-sheet', tall && 'm-sheet-tall'] });
  let resolve;
  const closed = new Promise((r) => (resolve = r));
  const close = (v) => {
    untrack();
    if (dlg.open) dlg.close();
    dlg.remove();
    resolve(v);
  };
  const untrack = trackModal(close);
  const bodyEl = h('div', { class: 'm-sheet-body' }, body);
  dlg.append(
    h('div', { class: 'm-sheet-head' }, h('span', { class: 'm-sheet-grip', 'aria-hidden': 'true' }), h('h2', null, title),
      h('button', { type: 'button', class: 'm-sheet-x', 'aria-label': '关闭', onclick: () => close(undefined) }, icon('close'))),
    bodyEl);
  if (footer) dlg.append(h('div', { class: 'm-sheet-foot' }, footer));
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(undefined); });
  dlg.addEventListener('click', (e) => { if (e.target === dlg) close(undefined); });
  document.body.append(dlg);
  dlg.showModal();
  return { el: dlg, body: bodyEl, close, closed };
}

/** Two-level category choice in a sheet; resolves with the leaf (with .parent) or undefined. */
export function pickCategory(tree) {
  const list = h('div', { class: 'm-pick' });
  const s = sheet({ title: '选择事件类型', body: list, tall: true });
  function showClasses() {
    s.el.querySelector('h2').textContent = '选择事件类型';
    list.replaceChildren(h('div', { class: 'm-chips' }, tree.map((c) =>
      h('button', { type: 'button', class: 'm-chip', 'data-class': c.code, onclick: () => showLeaves(c) }, c.name))));
  }
  function showLeaves(c) {
    s.el.querySelector('h2').textContent = c.name;
    list.replaceChildren(
      h('button', { type: 'button', class: 'm-pick-back', onclick: showClasses }, icon('left'), '全部类型'),
      h('ul', { class: 'm-list' }, (c.children || []).filter((l) => l.active !== false).map((l) =>
        h('li', null, h('button', { type: 'button', class: 'm-list-btn', 'data-leaf': l.code, onclick: () => s.close({ ...l, parent: c }) },
          h('span', null, l.name), icon('right'))))));
  }
  showClasses();
  return s.closed;
}

/**
 * A row of photo tiles with a camera tile: {el, files(), clear()}; `files` are the
 * photos it starts with (a kept draft), `onChange(files)` hears of every change.
 * capture=environment opens the back camera on phones; a desktop gets a file chooser.
 */
export function photoPicker({ label, max = 6, name = 'photo', onChange, files: initial = [] } = {}) {
  const files = initial.slice(0, max);
  const tiles = h('div', { class: 'm-photos' });
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'm-file', name, 'aria-label': label || '拍照' });
  const add = h('label', { class: 'm-photo-add' }, input, icon('camera'), h('span', null, '拍照'));
  input.addEventListener('change', () => {
    for (const f of input.files) if (files.length < max) files.push(f);
    input.value = '';
    paint();
    if (onChange) onChange(files);
  });
  function paint() {
    tiles.replaceChildren(...files.map((f, i) => {
      const url = URL.createObjectURL(f);
      return h('div', { class: 'm-photo' }, h('img', { src: url, alt: '', onload: () => URL.revokeObjectURL(url) }),
        h('button', { type: 'button', class: 'm-photo-x', 'aria-label': '删除照片', onclick: () => { files.splice(i, 1); paint(); if (onChange) onChange(files); } }, '×'));
    }));
    if (files.length < max) tiles.append(add);
  }
  paint();
  const el = h('div', { class: 'm-photo-field' }, label ? h('div', { class: 'm-label' }, label, h('span', { class: 'm-label-sub' }, `最多 ${max} 张`)) : null, tiles);
  return { el, files: () => files.slice(), clear: () => { files.length = 0; paint(); } };
}

/** 1–5 big stars: {el, value()} */
export function starInput(onChange) {
  let v = 0;
  const words = ['', '很不满意', '不满意', '基本满意', '满意', '非常满意'];
  const label = h('div', { class: 'm-star-label' }, '请点击星星评分');
  const stars = [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'm-star', 'data-star': n, 'aria-label': `${n} 星`, onclick: () => set(n) }, '★'));
  function set(n) {
    v = n;
    stars.forEach((b, i) => b.classList.toggle('on', i < n));
    label.textContent = `${n} 星 · ${words[n]}`;
    if (onChange) onChange(n);
  }
  return { el: h('div', { class: 'm-stars' }, h('div', { class: 'm-star-row' }, stars), label), value: () => v };
}

/** A full-screen busy layer with a changing line of text. */
export function busyLayer(text) {
  const line = h('p', null, text);
  const el = h('div', { class: 'm-busy', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'spinner spinner-lg' }), line);
  document.body.append(el);
  return { set: (t) => { line.textContent = t; }, close: () => el.remove() };
}

/** A labelled textarea with a counter. */
export function textArea({ name, label, placeholder, required = false, max = 1000, rows = 4 }) {
  const ta = h('textarea', { class: 'm-input', name, placeholder, maxlength: max, rows });
  const count = h('span', { class: 'm-count' }, `0/${max}`);
  const err = h('div', { class: 'm-error', role: 'alert' });
  ta.addEventListener('input', () => { count.textContent = `${ta.value.length}/${max}`; el.classList.remove('has-error'); err.textContent = ''; });
  const el = h('div', { class: 'm-field' },
    h('label', { class: 'm-label' }, required ? h('span', { class: 'req' }, '*') : null, label), ta, h('div', { class: 'm-field-foot' }, err, count));
  return { el, input: ta, error: (m) => { err.textContent = m; el.classList.toggle('has-error', !!m); if (m) ta.focus(); } };
}
