// ui.js - small UI kit for the console: element builder, icons, toasts, dialogs,
// form helpers with inline field errors, a cursor-paginated table, and
// formatting of the server's ISO times. No framework; every text node is set
// with textContent, never parsed as HTML.

// ---------------------------------------------------------------- elements

/**
 * h('div', {class: 'x', onclick: fn, dataset: {id: 1}}, 'text', child, [more])
 * Props: class, style (object|string), dataset, on<event> (function), value,
 * checked, disabled, … anything else becomes an attribute (false/null skip it).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = null;
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'htmlFor') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// ---------------------------------------------------------------- icons

const ICONS = {
  home: '<path d="M3 10.5 12 3l9 7.5"/><path d="M5 9v11h5v-6h4v6h5V9"/>',
  users: '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.6-3.6 3.2-5.5 6.5-5.5s5.9 1.9 6.5 5.5"/><path d="M16 4.8a3.5 3.5 0 0 1 0 6.4M18 14.8c1.9.7 3.1 2.4 3.5 5.2"/>',
  audit: '<path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M8.5 12.5h7M8.5 16.5h5"/>',
  sessions: '<rect x="3" y="4" width="18" height="12" rx="1.5"/><path d="M8 20h8M12 16v4"/>',
  password: '<rect x="4.5" y="10.5" width="15" height="10" rx="1.5"/><path d="M8 10.5V7.5a4 4 0 0 1 8 0v3M12 14.5v2.5"/>',
  permissions: '<path d="M12 3 4.5 6v5.5c0 4.6 3.1 8.2 7.5 9.5 4.4-1.3 7.5-4.9 7.5-9.5V6z"/><path d="m8.8 12 2.2 2.2 4.2-4.4"/>',
  logout: '<path d="M15 4h3a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-3"/><path d="M10 16l4-4-4-4M14 12H4"/>',
  plus: '<path d="M12 5v14M5 12h14"/>',
  search: '<circle cx="11" cy="11" r="6.5"/><path d="m20 20-4.2-4.2"/>',
  refresh: '<path d="M20 11a8 8 0 1 0-2.3 5.7"/><path d="M20 4v7h-7"/>',
  copy: '<rect x="8.5" y="8.5" width="11" height="11" rx="1.5"/><path d="M15.5 8.5V5.5a1 1 0 0 0-1-1h-9a1 1 0 0 0-1 1v9a1 1 0 0 0 1 1h3"/>',
  check: '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
  close: '<path d="M6 6l12 12M18 6 6 18"/>',
  info: '<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.6v.4"/>',
  warn: '<path d="M12 3.5 2.8 19.5h18.4z"/><path d="M12 10v4.5M12 17.2v.3"/>',
  error: '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6M15 9l-6 6"/>',
  success: '<circle cx="12" cy="12" r="9"/><path d="m8 12.3 2.8 2.8L16.2 9.6"/>',
  left: '<path d="m14.5 6-6 6 6 6"/>',
  right: '<path d="m9.5 6 6 6-6 6"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4.5 20.5c.8-4 3.8-6 7.5-6s6.7 2 7.5 6"/>',
  unit: '<path d="M4 20.5h16M6 20.5V8l6-4 6 4v12.5"/><path d="M10 20.5v-5h4v5M9.5 10.5h.01M14.5 10.5h.01"/>',
  clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3.2 2"/>',
  lock: '<rect x="4.5" y="10.5" width="15" height="10" rx="1.5"/><path d="M8 10.5V7.5a4 4 0 0 1 8 0v3"/>',
  eye: '<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z"/><circle cx="12" cy="12" r="3"/>',
  screen: '<rect x="2" y="3" width="20" height="14" rx="1.5"/><path d="M7 13l3-3 3 2 4-5M7 21h10"/>',
  events: '<path d="M4 13.5 6.5 5h11l2.5 8.5V19a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1z"/><path d="M4 13.5h4.5l1.5 2.5h4l1.5-2.5H20"/>',
  newEvent: '<path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M12 11v6M9 14h6"/>',
  bell: '<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2H4.5z"/><path d="M10 20.5a2 2 0 0 0 4 0"/>',
  stats: '<path d="M4 20.5h16"/><rect x="5.5" y="11" width="3" height="7" rx=".5"/><rect x="10.5" y="6" width="3" height="12" rx=".5"/><rect x="15.5" y="13.5" width="3" height="4.5" rx=".5"/>',
  pin: '<path d="M12 21s-6.5-6-6.5-11a6.5 6.5 0 0 1 13 0c0 5-6.5 11-6.5 11z"/><circle cx="12" cy="10" r="2.3"/>',
  camera: '<path d="M4 8h3l1.5-2.5h7L17 8h3a1 1 0 0 1 1 1v9.5a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1z"/><circle cx="12" cy="13.5" r="3.5"/>',
  star: '<path d="m12 3.5 2.6 5.4 5.9.8-4.3 4.1 1 5.8-5.2-2.8-5.2 2.8 1-5.8-4.3-4.1 5.9-.8z"/>',
  flag: '<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>',
  route: '<circle cx="6" cy="18" r="2.2"/><circle cx="18" cy="6" r="2.2"/><path d="M8.2 18H15a3 3 0 0 0 0-6H9a3 3 0 0 1 0-6h6.8"/>',
  phone: '<path d="M6.5 3.5h3l1.5 4-2 1.5a11 11 0 0 0 6 6l1.5-2 4 1.5v3a2 2 0 0 1-2 2A16 16 0 0 1 4.5 5.5a2 2 0 0 1 2-2z"/>',
  image: '<rect x="3" y="4.5" width="18" height="15" rx="1.5"/><circle cx="8.5" cy="9.5" r="1.8"/><path d="m21 16-5-5-9 8.5"/>',
  upload: '<path d="M12 16V4M7 9l5-5 5 5"/><path d="M4 15v4a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-4"/>',
  download: '<path d="M12 4v12M7 11l5 5 5-5"/><path d="M4 15v4a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-4"/>',
  timer: '<circle cx="12" cy="13" r="8"/><path d="M12 9v4l2.5 1.5M9.5 2.5h5"/>',
  link: '<path d="M10.2 13.8a4 4 0 0 0 5.7 0l3.3-3.3a4 4 0 0 0-5.7-5.7l-1.3 1.3"/><path d="M13.8 10.2a4 4 0 0 0-5.7 0l-3.3 3.3a4 4 0 0 0 5.7 5.7l1.3-1.3"/>',
};

export function icon(name, cls = 'icon') {
  const span = document.createElement('span');
  span.className = cls;
  span.setAttribute('aria-hidden', 'true');
  // Static, trusted markup from the table above.
  span.innerHTML = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${ICONS[name] || ''}</svg>`;
  return span;
}

// ---------------------------------------------------------------- formatting

const TZ = 'Asia/Shanghai';
const partsFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function parts(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const { type, value: v } of partsFmt.formatToParts(d)) p[type] = v;
  return p;
}

/** "2026-03-02T09:00:00+08:00" → "2026-03-02 09:00" (Beijing time); empty → "—". */
export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return '—';
  const p = parts(iso);
  if (!p) return String(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? ':' + p.second : ''}`;
}

/** "2026-03-02" in Beijing time. */
export function formatDate(value = new Date()) {
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day}` : '';
}

/** The day after a "YYYY-MM-DD" date, for exclusive upper bounds. */
export function nextDay(date) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return t.toISOString().slice(0, 10);
}

/** "2026年3月2日 星期一" */
export function longDate(value = new Date()) {
  return new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }).format(value);
}

/** Compact JSON for table cells: {"a":1} → a=1 · b="x". */
export function compactJson(v) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return JSON.stringify(v);
  return Object.entries(v)
    .map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? JSON.stringify(x) : x}`)
    .join(' · ');
}

// ---------------------------------------------------------------- toasts

let toastBox = null;

/** toast('已保存') / toast('失败原因', 'error'); types: success, error, warning, info. */
export function toast(message, type = 'success', { timeout } = {}) {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastBox);
  }
  const iconName = { success: 'success', error: 'error', warning: 'warn', info: 'info' }[type] || 'info';
  const el = h('div', { class: `toast toast-${type}` }, icon(iconName, 'icon toast-icon'), h('span', { class: 'toast-text' }, message));
  toastBox.append(el);
  const ms = timeout ?? (type === 'error' ? 5000 : 3000);
  setTimeout(() => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 250);
  }, ms);
  return el;
}

/** Toast for a failed request: the server's detail, else its title. */
export function toastError(err, prefix = '') {
  const text = err && (err.detail || err.title || err.message) || '操作失败';
  return toast(prefix ? `${prefix}：${text}` : text, 'error');
}

// ---------------------------------------------------------------- dialogs

// The close functions of the dialogs and sheets now open (closeDialogs()).
const openModals = new Set();

/**
 * trackModal(close) → untrack: registers a modal's close function so that
 * closeDialogs() can close it; call untrack when it closes.
 */
export function trackModal(close) {
  openModals.add(close);
  return () => openModals.delete(close);
}

/**
 * Closes every open dialog and sheet as cancelled (their `closed` resolves
 * with undefined): a page about to be replaced (the route changed, e.g. by the
 * browser's back button) leaves none of its dialogs over the next page.
 */
export function closeDialogs() {
  for (const close of [...openModals]) {
    try { close(undefined); } catch (e) { console.warn(e); }
  }
}

/**
 * openDialog({title, body, footer, width, closable}) → {el, body, close(), closed}
 * A native modal <dialog>: focus stays inside, Esc closes it; so does a route change.
 */
export function openDialog({ title, body, footer, width = 520, closable = true, className = '' }) {
  const dlg = h('dialog', { class: ['dialog', className].filter(Boolean).join(' '), style: { width: `${width}px` } });
  let resolveClosed;
  const closed = new Promise((r) => (resolveClosed = r));
  const close = (value) => {
    untrack();
    if (dlg.open) dlg.close();
    dlg.remove();
    resolveClosed(value);
  };
  const untrack = trackModal(close);
  const head = h('div', { class: 'dialog-head' }, h('h3', { class: 'dialog-title' }, title),
    closable ? h('button', { type: 'button', class: 'dialog-x', 'aria-label': '关闭', onclick: () => close(undefined) }, icon('close')) : null);
  const bodyEl = h('div', { class: 'dialog-body' }, body);
  dlg.append(head, bodyEl);
  if (footer) dlg.append(h('div', { class: 'dialog-foot' }, footer));
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    if (closable) close(undefined);
  });
  document.body.append(dlg);
  dlg.showModal();
  return { el: dlg, body: bodyEl, close, closed };
}

/** confirmDialog({title, message, okText, danger}) → Promise<boolean> */
export function confirmDialog({ title = '请确认', message, okText = '确定', cancelText = '取消', danger = false }) {
  const ok = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary' }, okText);
  const cancel = h('button', { type: 'button', class: 'btn' }, cancelText);
  const d = openDialog({
    title,
    width: 420,
    className: 'dialog-confirm',
    body: h('div', { class: 'confirm-body' }, icon(danger ? 'warn' : 'info', `icon confirm-icon ${danger ? 'is-danger' : ''}`), h('div', { class: 'confirm-text' }, message)),
    footer: [cancel, ok],
  });
  ok.addEventListener('click', () => d.close(true));
  cancel.addEventListener('click', () => d.close(false));
  ok.focus();
  return d.closed.then((v) => v === true);
}

/** Copies text; falls back to execCommand where the Clipboard API is missing (plain-HTTP intranets). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through */ }
  const ta = h('textarea', { style: { position: 'fixed', top: '-1000px', opacity: '0' }, readonly: true });
  ta.value = text;
  (document.querySelector('dialog[open]') || document.body).append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

/**
 * secretDialog({title, lead, secret, note, extra, what, width, className}): shows a
 * one-time secret (a temporary password, a signing key) with a copy button; extra
 * goes under the note, what names the secret in the copy fallback. Resolves when closed.
 */
export function secretDialog({ title, lead, secret, note, extra, what = '密码', width = 480, className = '' }) {
  const copyBtn = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-action': 'copy' }, icon('copy'), '复制');
  const value = h('code', { class: 'secret-value', 'data-secret': '' }, secret);
  copyBtn.addEventListener('click', async () => {
    if (await copyText(secret)) {
      copyBtn.replaceChildren(icon('check'), '已复制');
      toast('已复制到剪贴板');
    } else {
      const range = document.createRange();
      range.selectNodeContents(value);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      toast(`浏览器不允许自动复制，已选中${what}，请按 Ctrl+C 复制`, 'warning');
    }
  });
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, '我已记下');
  const d = openDialog({
    title,
    width,
    className: ['dialog-secret', className].filter(Boolean).join(' '),
    body: [
      h('p', { class: 'secret-lead' }, lead),
      h('div', { class: 'secret-box' }, value, copyBtn),
      h('div', { class: 'alert alert-warning' }, icon('warn'), h('div', null, note || '临时密码只显示这一次，关闭后无法再次查看。请通过安全渠道告知本人，首次登录时须修改密码。')),
      extra || null,
    ],
    footer: [done],
  });
  done.addEventListener('click', () => d.close(true));
  return d.closed;
}

// ---------------------------------------------------------------- forms

let fieldSeq = 0;

/**
 * A labelled form item with a slot for its inline error.
 * field({label, name, type, required, placeholder, hint, value, options: [{value,label}], attrs})
 */
export function field({ label, name, type = 'text', required = false, placeholder, hint, value, options, attrs = {}, wide = false }) {
  const id = `f-${name}-${++fieldSeq}`;
  let control;
  if (type === 'select') {
    control = h('select', { id, name, class: 'input', required, ...attrs },
      (options || []).map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
  } else if (type === 'textarea') {
    control = h('textarea', { id, name, class: 'input', required, placeholder, ...attrs });
    if (value != null) control.value = value;
  } else {
    control = h('input', { id, name, type, class: 'input', required, placeholder, autocomplete: 'off', ...attrs });
    if (value != null) control.value = value;
  }
  control.addEventListener('input', () => clearFieldError(control));
  control.addEventListener('change', () => clearFieldError(control));
  return h('div', { class: ['form-item', wide && 'form-item-wide'] },
    h('label', { class: 'form-label', for: id }, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null, label),
    h('div', { class: 'form-control' }, control,
      h('div', { class: 'form-error', role: 'alert' }),
      hint ? h('div', { class: 'form-hint' }, hint) : null));
}

/** Trimmed string values of a form's named controls (passwords untrimmed). */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    out[el.name] = el.type === 'password' ? el.value : el.value.trim();
  }
  return out;
}

function clearFieldError(control) {
  const item = control.closest('.form-item');
  if (!item) return;
  item.classList.remove('has-error');
  control.removeAttribute('aria-invalid');
  const slot = item.querySelector('.form-error');
  if (slot) slot.textContent = '';
}

export function clearErrors(form) {
  for (const item of form.querySelectorAll('.form-item.has-error')) {
    item.classList.remove('has-error');
    item.querySelector('.form-error').textContent = '';
    for (const c of item.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  }
  const alert = form.querySelector('.form-alert');
  if (alert) alert.remove();
}

/** Puts a message under the control named `name`; returns false when the form has no such control. */
export function setFieldError(form, name, message) {
  const control = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  const item = control && control.closest('.form-item');
  if (!item) return false;
  item.classList.add('has-error');
  control.setAttribute('aria-invalid', 'true');
  item.querySelector('.form-error').textContent = message;
  return true;
}

/** A form-level error box at the top of the form (or before `before`). */
export function setFormAlert(form, message, type = 'error') {
  let alert = form.querySelector('.form-alert');
  if (!alert) {
    alert = h('div', { class: `form-alert alert alert-${type}`, role: 'alert' });
    form.prepend(alert);
  }
  alert.className = `form-alert alert alert-${type}`;
  alert.replaceChildren(icon(type === 'error' ? 'error' : type === 'warning' ? 'warn' : 'info'), h('div', { class: 'alert-text' }, message));
  return alert;
}

/**
 * Shows an ApiError on a form: next to the input named by err.field (or by
 * fieldForCode[err.code]); otherwise as a form-level alert.
 */
export function showFormError(form, err, { fieldForCode = {}, fieldAlias = {} } = {}) {
  clearErrors(form);
  const msg = err.detail || err.title || String(err.message || err);
  let name = err.field || fieldForCode[err.code] || null;
  if (name && fieldAlias[name]) name = fieldAlias[name];
  if (name && setFieldError(form, name, msg)) {
    const c = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (c) c.focus();
    return;
  }
  setFormAlert(form, msg);
}

/** Marks a submit button busy (disabled, spinner, optional text) and returns a restore function. */
export function busy(button, text) {
  const saved = Array.from(button.childNodes);
  button.disabled = true;
  button.classList.add('is-loading');
  button.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), text || button.textContent);
  return () => {
    button.disabled = false;
    button.classList.remove('is-loading');
    button.replaceChildren(...saved);
  };
}

// ---------------------------------------------------------------- small pieces

export function tag(text, kind = 'default') {
  return h('span', { class: `tag tag-${kind}` }, text);
}

export function pageHeader({ title, crumbs = [], desc, actions }) {
  return h('div', { class: 'page-head' },
    h('div', { class: 'page-head-main' },
      crumbs.length ? h('div', { class: 'crumbs' }, crumbs.map((c, i) => [i ? h('span', { class: 'crumb-sep' }, '/') : null, h('span', null, c)])) : null,
      h('h1', { class: 'page-title' }, title),
      desc ? h('p', { class: 'page-desc' }, desc) : null),
    actions ? h('div', { class: 'page-actions' }, actions) : null);
}

export function card({ title, extra, body, className = '' }) {
  return h('section', { class: ['card', className].filter(Boolean).join(' ') },
    title ? h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, title), extra ? h('div', { class: 'card-extra' }, extra) : null) : null,
    h('div', { class: 'card-body' }, body));
}

export function emptyState(text = '暂无数据', sub) {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-art', 'aria-hidden': 'true' }),
    h('div', { class: 'empty-text' }, text),
    sub ? h('div', { class: 'empty-sub' }, sub) : null);
}

export function spinnerBlock(text = '加载中…') {
  return h('div', { class: 'loading-block' }, h('span', { class: 'spinner spinner-lg' }), h('span', null, text));
}

// ---------------------------------------------------------------- tables

/**
 * dataTable({columns, load, pageSize, rowClass, empty, mode})
 *   columns: [{title, width, align, className, render(row) → Node|string}]
 *   load(cursor, limit) → Promise<{items, next_cursor}>
 *   mode: 'pages' (上一页/下一页 over cursors) or 'more' (加载更多 appends)
 *   pager: false hides the pager (unpaginated lists); onLoad(items) after each load
 * Returns {el, reload() (back to page 1), refresh({quiet}) (same page), rows}.
 */
export function dataTable({ columns, load, pageSize = 20, rowClass, empty = '暂无数据', mode = 'pages', sizes = [10, 20, 50, 100], minWidth, pager: showPager = true, onLoad }) {
  const state = { cursors: [null], page: 0, next: null, items: [], limit: pageSize, loading: false, seq: 0 };
  const colgroup = h('colgroup', null, columns.map((c) => h('col', { style: c.width ? { width: typeof c.width === 'number' ? `${c.width}px` : c.width } : null })));
  const thead = h('thead', null, h('tr', null, columns.map((c) => h('th', { class: [c.align && `al-${c.align}`, c.className] }, c.title))));
  const tbody = h('tbody');
  const table = h('table', { class: 'table', style: minWidth ? { minWidth: `${minWidth}px` } : null }, colgroup, thead, tbody);
  const mask = h('div', { class: 'table-mask', hidden: true }, h('span', { class: 'spinner spinner-lg' }), h('span', null, '加载中…'));
  const scroller = h('div', { class: 'table-scroll' }, table);
  const info = h('span', { class: 'pager-info' });
  const prev = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'prev', onclick: () => go(state.page - 1) }, icon('left'), '上一页');
  const next = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'next', onclick: () => go(state.page + 1) }, '下一页', icon('right'));
  const more = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'more', onclick: () => loadMore() }, '加载更多');
  const sizeSel = h('select', { class: 'input input-sm', 'aria-label': '每页条数', onchange: (e) => { state.limit = Number(e.target.value); reload(); } },
    sizes.map((n) => h('option', { value: n, selected: n === pageSize }, `${n} 条/页`)));
  const pager = h('div', { class: 'pager' }, info, h('div', { class: 'pager-ctrl' },
    mode === 'pages' ? [sizeSel, prev, h('span', { class: 'pager-page' }), next] : [more]));
  const el = h('div', { class: 'table-wrap' }, h('div', { class: 'table-box' }, scroller, mask), showPager ? pager : null);

  function renderRows(items, appendRows = false) {
    if (!appendRows) tbody.replaceChildren();
    if (!items.length && !appendRows) {
      tbody.append(h('tr', { class: 'row-empty' }, h('td', { colspan: columns.length }, emptyState(typeof empty === 'function' ? empty() : empty))));
      return;
    }
    for (const row of items) {
      tbody.append(h('tr', { class: rowClass ? rowClass(row) : null },
        columns.map((c) => {
          let v;
          try { v = c.render ? c.render(row) : row[c.key]; } catch { v = '—'; }
          return h('td', { class: [c.align && `al-${c.align}`, c.className] }, v === undefined || v === null || v === '' ? h('span', { class: 'muted' }, '—') : v);
        })));
    }
  }

  function renderPager() {
    if (mode === 'pages') {
      pager.querySelector('.pager-page').textContent = `第 ${state.page + 1} 页`;
      prev.disabled = state.loading || state.page === 0;
      next.disabled = state.loading || !state.next;
      info.textContent = state.items.length ? `本页 ${state.items.length} 条${state.next ? '' : '，已到最后一页'}` : '';
    } else {
      more.hidden = !state.next;
      more.disabled = state.loading;
      info.textContent = state.items.length ? `已加载 ${state.items.length} 条${state.next ? '' : '，已全部加载'}` : '';
    }
  }

  async function fetchPage(cursor, appendRows, quiet = false) {
    const seq = ++state.seq;
    state.loading = true;
    mask.hidden = quiet;
    renderPager();
    try {
      const res = await load(cursor, state.limit);
      if (seq !== state.seq) return;
      const items = res.items || [];
      state.next = res.next_cursor || null;
      state.items = appendRows ? state.items.concat(items) : items;
      renderRows(items, appendRows);
      if (onLoad) onLoad(state.items);
    } catch (err) {
      if (seq !== state.seq) return;
      if (quiet) {
        console.warn('background refresh failed', err);
      } else if (!appendRows) {
        tbody.replaceChildren(h('tr', { class: 'row-empty' }, h('td', { colspan: columns.length },
          h('div', { class: 'table-error' }, icon('error'), h('span', null, err.detail || err.message || '加载失败'),
            h('button', { type: 'button', class: 'btn btn-sm', onclick: () => fetchPage(cursor, false) }, '重试')))));
        state.items = [];
        state.next = null;
      } else {
        toastError(err, '加载失败');
      }
    } finally {
      if (seq === state.seq) {
        state.loading = false;
        mask.hidden = true;
        renderPager();
      }
    }
  }

  function go(page) {
    if (page < 0) return;
    if (page > state.page) {
      if (!state.next) return;
      state.cursors[page] = state.next;
    }
    state.page = page;
    state.cursors.length = page + 1;
    scroller.scrollTop = 0;
    return fetchPage(state.cursors[page], false);
  }

  function loadMore() {
    if (state.next) return fetchPage(state.next, true);
  }

  function reload() {
    state.cursors = [null];
    state.page = 0;
    return fetchPage(null, false);
  }

  // quiet: no loading mask (background refresh by the live feed).
  function refresh({ quiet = false } = {}) {
    if (mode === 'more') return quiet ? fetchPage(null, false, true) : reload();
    return fetchPage(state.cursors[state.page], false, quiet);
  }

  return { el, reload, refresh, get items() { return state.items; } };
}

// ---------------------------------------------------------------- files

/** saveFile(blob, name): the browser saves blob as a download named name. */
/** A CSV file chosen for an import, as text: UTF-8 (with or without a BOM), else GBK as Excel saves it. */
export async function readCsv(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

export function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** csvBlob(rows): rows of cells as CSV that Excel opens in UTF-8 (with a BOM). */
export function csvBlob(rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return new Blob(['\uFEFF', rows.map((r) => r.map(cell).join(',')).join('\r\n'), '\r\n'], { type: 'text/csv;charset=utf-8' });
}
