// evlib.js - the event loop's vocabulary for the browser, shared by the PC
// console and the mobile app: state/source/urgency labels, the traffic light
// and countdowns, the category tree, which fields each action needs, photo
// upload (hidden where the browser cannot send files) and the live feed
// (/api/v1/stream for those who may read it, or polling every 20 s).

import { api, sendAgain, newRequestKey } from './api.js';

// ---------------------------------------------------------------- labels

// state → [label, tag kind]
export const STATES = {
  reported: ['已上报', 'primary'],
  verifying: ['核实中', 'warning'],
  accepted: ['已立案', 'primary'],
  dispatched: ['已交办', 'primary'],
  county_called: ['乡呼县应', 'warning'],
  handling: ['处置中', 'primary'],
  suspended: ['已挂账', 'default'],
  feedback: ['已反馈', 'warning'],
  closed: ['已结案', 'success'],
  archived: ['已归档', 'success'],
  rejected: ['不予立案', 'default'],
  void: ['已作废', 'default'],
};

export const SOURCES = {
  grid_patrol: '网格巡查',
  resident: '群众上报',
  hotline: '12345 热线',
  department: '部门移交',
  higher_level: '上级交办',
  sensor: '物联感知',
};

export const URGENCIES = {
  normal: ['一般', 'default'],
  urgent: ['紧急', 'warning'],
  critical: ['特急', 'danger'],
};

/** Who acted, in words (timeline rows, supervisions, the printed sheet). */
export const ROLE_LABELS = {
  grid_worker: '网格员', resident: '居民', township_command: '乡镇指挥室', township_module: '模块干部',
  county_dept: '县级部门', county_center: '县级社会治理中心', leader: '领导', observer: '改革观察员',
  admin: '系统管理员', integration: '接口对接', system: '系统',
};
export const STAGES = { dispatch: '派遣', sign: '签收', handle: '处置', verify: '核查', total: '总时限' };

export const ALERTS = {
  green: ['正常', 'green'],
  yellow: ['预警', 'yellow'],
  red: ['超时', 'red'],
};

export const LIMIT_UNITS = {
  work_minutes: '工作分钟',
  work_hours: '工作小时',
  work_days: '工作日',
  natural_days: '自然日',
};

export const PHOTO_KINDS = { before: '处置前', after: '处置后', near: '近景', far: '远景' };

export function stateLabel(ev) {
  return ev.state_label || (STATES[ev.state] || [ev.state])[0];
}

/**
 * Where the event is, in words: 柯城区 › 航埠镇 › 兴航社区 › 第1网格. A grid
 * named after its village (兴航社区第1网格) already says the village, which is
 * then left out. county: false starts at the township.
 */
export function placeText(ev, { sep = ' › ', county = true } = {}) {
  const village = ev.village && !(ev.grid && ev.grid.name && ev.grid.name.startsWith(ev.village.name)) ? ev.village : null;
  return [county ? ev.county : null, ev.township, village, ev.grid].filter(Boolean).map((u) => u.name).join(sep);
}

export function stateKind(state) {
  return (STATES[state] || [null, 'default'])[1];
}

export function isOpen(state) {
  return !['closed', 'archived', 'rejected', 'void'].includes(state);
}

// ---------------------------------------------------------------- time

/** Milliseconds → "2 天 3 小时" / "3 小时 20 分" / "25 分钟". */
export function span(ms) {
  const m = Math.max(0, Math.floor(Math.abs(ms) / 60000));
  const d = Math.floor(m / 1440);
  const hh = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  if (d >= 3 || (d && !hh)) return `${d} 天`;
  if (d) return `${d} 天 ${hh} 小时`;
  if (hh) return mm ? `${hh} 小时 ${mm} 分` : `${hh} 小时`;
  return `${mm} 分钟`;
}

/** A deadline relative to now: {text: "剩 3 小时" | "超时 20 分钟", overdue}. */
export function countdown(iso, now = Date.now()) {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  const left = t - now;
  return left >= 0 ? { text: `剩 ${span(left)}`, overdue: false } : { text: `超时 ${span(left)}`, overdue: true };
}

/** Work minutes → "3.5 小时" (the indicators count work time). */
export function workHours(minutes) {
  if (minutes === null || minutes === undefined) return '—';
  if (minutes < 60) return `${Math.round(minutes)} 分钟`;
  const hrs = minutes / 60;
  return `${hrs >= 10 ? Math.round(hrs) : hrs.toFixed(1)} 小时`;
}

// An inbox count as GET /api/v1/events/boxes gives it: counted up to cap, "999+" beyond.
export function boxCount(n, cap) {
  return n >= cap ? `${cap - 1}+` : String(n);
}

export function percent(v) {
  if (v === null || v === undefined) return '—';
  const p = v * 100;
  return `${p >= 99.95 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

// ---------------------------------------------------------------- categories

let categoryTree = null;

/** The category tree [{code, name, children: [leaf…]}]; cached for the page's life. */
export function loadCategories() {
  if (!categoryTree) {
    categoryTree = api.get('/categories').then((b) => b.items || []).catch((e) => {
      categoryTree = null;
      throw e;
    });
  }
  return categoryTree;
}

export function findLeaf(tree, code) {
  for (const c of tree) for (const l of c.children || []) if (l.code === code) return { ...l, parent: c };
  return null;
}

// ---------------------------------------------------------------- actions

// Who is the assignee (mirrors the server's check): the server lists actions by
// role and state only, so the assignee's own actions are hidden from others.
export function isAssignee(ev, user) {
  if (!user) return false;
  if (ev.state === 'county_called') return !!ev.called_unit && ev.called_unit.id === user.unit.id;
  if (ev.assignee_user) return ev.assignee_user.id === user.id;
  return !!ev.assignee_unit && ev.assignee_unit.id === user.unit.id;
}

const ASSIGNEE_ONLY = new Set(['sign', 'return', 'request-extension', 'feedback']);

/** Whether the event was urged (催办) within the last 24 hours: once a day. */
function urgedToday(ev) {
  const last = (ev.timeline || []).filter((t) => t.action === 'urge').at(-1);
  return !!last && Date.now() - Date.parse(last.at) < 24 * 3600 * 1000;
}

/**
 * Why an action listed by the server would still be refused now (the list
 * looks at role and state only), or null: the UI disables or hides it.
 */
export function actionBlock(ev, action) {
  switch (action) {
    case 'verify': return ev.state === 'feedback' && ev.verified ? '已核查通过，等待结案' : null;
    case 'close': return ev.verified ? null : '需先由网格员核查通过，才能结案';
    case 'decide-extension': return ev.pending && ev.pending !== 'void' ? null : '没有待审批的延期或挂账申请';
    case 'request-extension': return ev.pending ? '已有待审批的申请' : null;
    case 'urge': return urgedToday(ev) ? '24 小时内已催办过，请耐心等待' : null;
    default: return null;
  }
}

/**
 * The event's `actions`, less those only the assignee may take when I am not
 * it; each with `blocked` (a reason) when the server would refuse it now.
 */
export function usableActions(ev, user) {
  return (ev.actions || [])
    .filter((a) => !ASSIGNEE_ONLY.has(a.action) || isAssignee(ev, user))
    .map((a) => ({ ...a, blocked: actionBlock(ev, a.action) }));
}

/**
 * What each action asks for. note: 'required' | 'optional' | null; noteLabel;
 * extra fields are drawn by the page (unit pickers, yes/no, stars …).
 * kind: the button style (primary = moves the event forward, danger = stops it).
 */
export const ACTIONS = {
  accept: { note: 'optional', noteLabel: '立案意见', fields: ['urgency', 'category'], kind: 'primary', hint: '立案后按类别时限开始计算总时限。' },
  'verify-request': { note: 'optional', noteLabel: '核实要求', kind: 'default', hint: '派给该网格的专职网格员到现场核实，核实后回到待受理。' },
  verify: { note: 'required', noteLabel: '核查意见', fields: ['passed'], kind: 'primary' },
  dispatch: { note: 'optional', noteLabel: '交办意见', fields: ['unit'], kind: 'primary' },
  reassign: { note: 'required', noteLabel: '改派理由', fields: ['unit'], kind: 'default', hint: '承办单位签收前可改派：新的承办单位重新计算签收时限，原承办单位会收到改派通知。改派不计入交办次数。' },
  sign: { note: 'optional', noteLabel: '签收意见', kind: 'primary' },
  return: { note: 'required', noteLabel: '退回理由', kind: 'danger', hint: '退回将计入退件次数。' },
  'call-county': { note: 'required', noteLabel: '呼叫事由', fields: ['department'], kind: 'default', hint: '乡镇呼叫县级部门，部门须在签收时限内签收。' },
  'request-extension': { note: 'required', noteLabel: '申请理由', fields: ['extension'], kind: 'default' },
  'decide-extension': { note: 'optional', noteLabel: '审批意见', fields: ['approve'], kind: 'primary', noteRequiredWhenNo: true },
  suspend: { note: 'required', noteLabel: '挂账理由', kind: 'default' },
  resume: { note: 'optional', noteLabel: '说明', kind: 'primary' },
  feedback: { note: 'required', noteLabel: '处置结果', fields: ['photos'], kind: 'primary', photoKind: 'after' },
  close: { note: 'optional', noteLabel: '结案意见', kind: 'primary' },
  revisit: { note: 'optional', noteLabel: '回访意见', fields: ['satisfaction'], kind: 'primary' },
  reject: { note: 'required', noteLabel: '不予立案理由', kind: 'danger' },
  void: { note: 'required', noteLabel: '作废理由', kind: 'danger' },
  merge: { note: 'optional', noteLabel: '合并说明', fields: ['into'], kind: 'default', hint: '同一问题被重复上报时，把本事件合并到正在办理的那一件：本事件作废并关联过去，上报人会收到通知，那件事件办结时也会通知他。' },
  'self-close': { note: 'required', noteLabel: '处置情况', fields: ['photos'], kind: 'primary', hint: '自行处置需要处置前和处置后的照片各至少一张。' },
  comment: { note: 'required', noteLabel: '备注内容', kind: 'default' },
  urge: { note: 'optional', noteLabel: '催办说明', kind: 'default', hint: '同一事件 24 小时内可催办一次，正在办理的单位会收到提醒。' },
  supervise: { note: 'required', noteLabel: '督办意见', kind: 'danger', hint: '督办不改变事件的状态和时限。承办人（单位）和乡镇指挥室会收到督办通知，事件在列表中标为「督办」。' },
};

export function actionSpec(action) {
  return ACTIONS[action] || { note: 'optional', noteLabel: '说明', kind: 'default' };
}

/**
 * Runs an action; resolves with the updated event (the server answers with the
 * detail). It carries an Idempotency-Key, so a try whose answer was lost is sent
 * again and not done twice; a form passes its own key (requestKeys) so that
 * pressing again after a failure keeps it.
 */
export function act(id, action, body = {}, key = newRequestKey()) {
  return sendAgain(() => api.post(`/events/${id}/${action}`, body, { idempotencyKey: key }));
}

/**
 * The open events of a leaf category in a unit (a grid) reported in the last
 * `days` days, newest first: what a new report may repeat. The list is the
 * caller's: a resident's holds only their own reports.
 */
export async function openSimilar(category, unitId, days = 7) {
  const res = await api.get('/events', { category, unit_id: unitId, limit: 20 });
  const since = Date.now() - days * 86400000;
  return res.items.filter((e) => isOpen(e.state) && Date.parse(e.created_at) >= since);
}

/** A 409's allowed actions as text, for the refusal message. */
export function refusalText(err) {
  const base = err.detail || err.title || '操作失败';
  if (err.status === 409 && err.body && Array.isArray(err.body.allowed) && !base.includes('可执行')) {
    const list = err.body.allowed.map((a) => a.label).join('、') || '无';
    return `${base}（当前可执行：${list}）`;
  }
  return base;
}

// ---------------------------------------------------------------- photos

/**
 * Whether this browser can send photos: the server takes them as a multipart
 * form (POST /events/{id}/attachments), so FormData and File are needed;
 * createImageBitmap is not (shrinkPhoto sends a photo as it is without it).
 * Asks the server nothing.
 */
export function uploadSupported() {
  return typeof FormData === 'function' && typeof File === 'function';
}

/** Shrinks a camera photo to at most `max` px on its long side as JPEG; keeps small files. */
export async function shrinkPhoto(file, max = 1600, quality = 0.82) {
  if (!file || !/^image\/(jpeg|png|webp|heic|heif)/.test(file.type || '') || typeof createImageBitmap !== 'function') return file;
  try {
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, max / Math.max(bmp.width, bmp.height));
    if (scale === 1 && file.size <= 1.5e6) {
      bmp.close();
      return file;
    }
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bmp.width * scale);
    canvas.height = Math.round(bmp.height * scale);
    canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
    bmp.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (!blob || blob.size >= file.size) return file;
    return new File([blob], (file.name || 'photo').replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' });
  } catch {
    return file;
  }
}

/** Uploads one photo of the event; kind is before|after|near|far; where: {lng, lat} if known. */
export async function uploadPhoto(eventId, file, kind, where = null) {
  const form = new FormData();
  form.append('kind', kind);
  if (where && Number.isFinite(where.lng) && Number.isFinite(where.lat)) {
    form.append('lng', String(where.lng));
    form.append('lat', String(where.lat));
  }
  const small = await shrinkPhoto(file);
  form.append('file', small, small.name || 'photo.jpg');
  // The same photo as the same kind again adds nothing: safe to send again.
  return sendAgain(() => api.upload(`/events/${eventId}/attachments`, form));
}

export function attachmentUrl(a) {
  return `/api/v1/attachments/${encodeURIComponent(a.sha256)}`;
}

// ---------------------------------------------------------------- live feed

const POLL_MS = 20000;
// GET /api/v1/stream sends `event: event` with {"id","number","action","state"}
// for each change in my scope, and `event: reset` when I must reload.
const STREAM_NAMES = ['event', 'reset'];
const subscribers = new Set();
const modeListeners = new Set();
let source = null;
let pollTimer = null;
let openTimer = null;
let mode = 'off'; // off | connecting | live | poll
let debounce = null;
let streamAllowed = true;

/**
 * Whether the session may read the stream (the permission stream.read; a
 * resident may not): without it the live feed polls and never asks for the
 * stream, which would only be refused. The apps tell it when the session is known.
 */
export function allowStream(yes) {
  streamAllowed = !!yes;
  if (!streamAllowed && source) startPolling();
}

function setMode(m) {
  if (mode === m) return;
  mode = m;
  for (const fn of modeListeners) {
    try { fn(mode); } catch (e) { console.warn(e); }
  }
}

// Bursts are folded into one call: {type, ids} where ids are the events that
// changed (type 'event'), or type is 'reset' / 'reconnect' / 'poll' (reload all).
let pending = null;
function emit(msg) {
  if (!pending) pending = { full: false, type: 'event', ids: new Set() };
  if (msg.type === 'event' && msg.data && typeof msg.data === 'object' && msg.data.id) pending.ids.add(Number(msg.data.id));
  else {
    pending.full = true;
    pending.type = msg.type;
  }
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    const p = pending;
    pending = null;
    const out = p.full ? { type: p.type, ids: null } : { type: 'event', ids: [...p.ids] };
    for (const fn of subscribers) {
      try { fn(out); } catch (e) { console.warn(e); }
    }
  }, msg.type === 'poll' ? 0 : 400);
}

function startPolling() {
  if (source) {
    source.close();
    source = null;
  }
  clearTimeout(openTimer);
  if (pollTimer) return;
  setMode('poll');
  pollTimer = setInterval(() => {
    if (!document.hidden) emit({ type: 'poll' });
  }, POLL_MS);
}

function startStream() {
  if (!streamAllowed || typeof EventSource !== 'function') {
    startPolling();
    return;
  }
  setMode('connecting');
  let opened = false;
  source = new EventSource('/api/v1/stream');
  // No answer in time: poll instead (the stream may not exist on this server).
  openTimer = setTimeout(() => { if (!opened) startPolling(); }, 8000);
  source.onopen = () => {
    const again = opened;
    opened = true;
    clearTimeout(openTimer);
    setMode('live');
    if (again) emit({ type: 'reconnect' }); // we may have missed changes
  };
  source.onerror = () => {
    // CLOSED: refused for good (404, 401, wrong type); otherwise the browser retries.
    if (source && source.readyState === EventSource.CLOSED) startPolling();
  };
  const fire = (e) => {
    let data = null;
    try { data = e.data ? JSON.parse(e.data) : null; } catch { data = e.data; }
    emit({ type: e.type, data });
  };
  source.onmessage = fire;
  for (const n of STREAM_NAMES) source.addEventListener(n, fire);
}

function onVisible() {
  if (!document.hidden && mode === 'poll') emit({ type: 'poll' });
}

/**
 * subscribe(fn) → unsubscribe. fn({type, ids}) runs after something changed:
 * type 'event' with ids = the events that changed (from the stream), or
 * 'reset' / 'reconnect' / 'poll' with ids = null (reload everything). The connection opens with
 * the first subscriber and stays up until stopLive() (logout).
 */
export function subscribe(fn) {
  subscribers.add(fn);
  if (mode === 'off') {
    document.addEventListener('visibilitychange', onVisible);
    startStream();
  }
  return () => subscribers.delete(fn);
}

/** onLiveMode(fn) → unsubscribe; fn(mode) now and on each change. */
export function onLiveMode(fn) {
  modeListeners.add(fn);
  fn(mode);
  return () => modeListeners.delete(fn);
}

export function liveMode() {
  return mode;
}

export function stopLive() {
  if (source) source.close();
  source = null;
  clearInterval(pollTimer);
  pollTimer = null;
  clearTimeout(openTimer);
  clearTimeout(debounce);
  subscribers.clear();
  document.removeEventListener('visibilitychange', onVisible);
  setMode('off');
}

/** Text of the live mode, for a small status line. */
export function liveText(m = mode) {
  return { live: '实时更新', poll: '每 20 秒自动刷新', connecting: '正在连接…', off: '' }[m] || '';
}

// ---------------------------------------------------------------- notifications

let unreadCache = null;

/** The unread count (GET /notifications?unread=1&limit=1 → unread). */
export async function unreadCount() {
  const b = await api.get('/notifications', { unread: 1, limit: 1 });
  unreadCache = b.unread || 0;
  return unreadCache;
}

export function markRead(id) {
  return api.post(id ? `/notifications/${id}/read` : '/notifications/read-all');
}
