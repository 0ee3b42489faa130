// app.js - the mobile shell (375 px phones): session, hash router and the
// bottom tab bar. Grid workers: 上报 · 任务 · 通知 · 我的; residents: 上报 ·
// 我的上报 · 通知 · 我的; other staff: 任务 · 通知 · 我的.
// A page module exports render(root, ctx) and may return a cleanup function.

import { api, ApiError, setCsrfToken } from '../console/api.js';
import { h, icon, toast, closeDialogs } from '../console/ui.js';
import { subscribe, stopLive, unreadCount, allowStream } from '../console/evlib.js';
import * as loginPage from './login.js';
import * as reportPage from './report.js';
import * as tasksPage from './tasks.js';
import * as minePage from './mine.js';
import * as detailPage from './detail.js';
import * as noticesPage from './notices.js';
import * as mePage from './me.js';

const TABS = {
  report: { path: '/report', label: '上报', icon: 'camera', page: reportPage, title: '事件上报' },
  tasks: { path: '/tasks', label: '任务', icon: 'events', page: tasksPage, title: '我的任务' },
  mine: { path: '/mine', label: '我的上报', icon: 'newEvent', page: minePage, title: '我的上报' },
  notices: { path: '/notices', label: '通知', icon: 'bell', page: noticesPage, title: '通知' },
  me: { path: '/me', label: '我的', icon: 'user', page: mePage, title: '我的' },
};
const NEXT_KEY = 'tk.mobile.next';

const root = document.getElementById('app');
let session = null;
let cleanup = null;
let seq = 0;
let tabbar = null;
let unsub = null;

const ctx = {
  get session() { return session; },
  get user() { return session && session.user; },
  can(perm) { return !perm || !!(session && session.permissions.includes(perm)); },
  params: {},
  query: new URLSearchParams(),
  from: '', // the hash of the page left for this one (a detail's back link returns there)
  navigate(hash, { replace = false } = {}) {
    if (location.hash === hash) route();
    else if (replace) location.replace(hash);
    else location.hash = hash;
  },
  tabs() { return tabsFor(session); },
  home() { return homeFor(session); },
  onLogin(body) {
    setSession(body);
    const next = sessionStorage.getItem(NEXT_KEY);
    sessionStorage.removeItem(NEXT_KEY);
    ctx.navigate(next && next !== '#/login' ? next : homeFor(session), { replace: true });
  },
  async logout() {
    try {
      await api.del('/session', { noAuthRedirect: true });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) console.warn('logout failed', e);
    }
    endSession();
    toast('已退出登录');
    ctx.navigate('#/login', { replace: true });
  },
  refreshUnread() { refreshBadge(); },
};

function tabsFor(s) {
  if (!s) return [];
  const role = s.user.role;
  const keys = role === 'resident' ? ['report', 'mine', 'notices', 'me']
    : role === 'grid_worker' ? ['report', 'tasks', 'notices', 'me']
      : ['tasks', 'notices', 'me'];
  return keys.filter((k) => k !== 'report' || s.permissions.includes('event.create'))
    .filter((k) => k !== 'notices' || s.permissions.includes('notification.read'))
    .map((k) => ({ key: k, ...TABS[k] }));
}

function homeFor(s) {
  if (!s) return '#/login';
  return s.user.role === 'resident' ? '#/mine' : '#/tasks';
}

function setSession(body) {
  session = { user: body.user, permissions: body.permissions || [], must_change_password: !!body.must_change_password };
  if (body.csrf_token) setCsrfToken(body.csrf_token);
  allowStream(session.permissions.includes('stream.read'));
}

function endSession() {
  session = null;
  setCsrfToken(null);
  stopLive();
  if (unsub) unsub();
  unsub = null;
  tabbar = null;
}

window.addEventListener('tk:unauthorized', () => {
  const had = !!session;
  const here = location.hash;
  endSession();
  if (had) toast('登录已失效，请重新登录', 'warning');
  if (here && here !== '#/login') sessionStorage.setItem(NEXT_KEY, here);
  ctx.navigate('#/login', { replace: true });
});

// ---------------------------------------------------------------- tab bar

function buildTabbar() {
  const tabs = tabsFor(session);
  tabbar = h('nav', { class: 'tabbar', 'aria-label': '主导航' }, tabs.map((t) =>
    h('a', { class: 'tab-item', href: '#' + t.path, 'data-tab': t.key },
      h('span', { class: 'tab-icon' }, icon(t.icon), t.key === 'notices' ? h('span', { class: 'tab-badge', hidden: true, 'data-testid': 'unread-badge' }) : null),
      h('span', { class: 'tab-label' }, t.label))));
  if (ctx.can('notification.read') && !unsub) {
    unsub = subscribe(() => refreshBadge());
  }
  refreshBadge();
  return tabbar;
}

async function refreshBadge() {
  if (!tabbar || !ctx.can('notification.read')) return;
  try {
    const n = await unreadCount();
    const b = tabbar && tabbar.querySelector('.tab-badge');
    if (!b) return;
    b.hidden = n === 0;
    b.textContent = n > 99 ? '99+' : String(n);
  } catch { /* best effort */ }
}

function markTab(path) {
  if (!tabbar) return;
  for (const a of tabbar.querySelectorAll('.tab-item')) {
    const on = path === a.getAttribute('href').slice(1) || (a.dataset.tab === 'tasks' && path.startsWith('/events/') && session.user.role !== 'resident')
      || (a.dataset.tab === 'mine' && path.startsWith('/events/') && session.user.role === 'resident');
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// ---------------------------------------------------------------- router

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '';
  const i = raw.indexOf('?');
  return { path: (i >= 0 ? raw.slice(0, i) : raw) || '', query: new URLSearchParams(i >= 0 ? raw.slice(i + 1) : '') };
}

async function mount(page, { withTabs, title }) {
  const my = ++seq;
  closeDialogs(); // the last page's sheets close as cancelled, not over this one
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (e) { console.warn(e); }
  }
  cleanup = null;
  document.title = `${title} · 条块`;
  const view = h('main', { class: ['m-view', withTabs && 'with-tabs'] });
  const nodes = [view];
  if (withTabs) nodes.push(tabbar || buildTabbar());
  root.replaceChildren(...nodes);
  window.scrollTo(0, 0);
  try {
    const c = await page.render(view, ctx);
    if (my === seq) cleanup = c || null;
    else if (typeof c === 'function') c();
  } catch (e) {
    console.error(e);
    if (my === seq && !(e instanceof ApiError && e.status === 401)) {
      view.replaceChildren(h('div', { class: 'm-empty' }, h('p', null, '页面加载失败'), h('p', { class: 'sub' }, e.detail || e.message)));
    }
  }
}

function route() {
  const { path, query } = parseHash();
  ctx.query = query;
  ctx.params = {};
  if (!session) {
    if (path !== '/login') {
      if (path) sessionStorage.setItem(NEXT_KEY, location.hash);
      location.replace('#/login');
      return;
    }
    mount(loginPage, { withTabs: false, title: '登录' });
    return;
  }
  if (path === '/login' || path === '') {
    location.replace(homeFor(session));
    return;
  }
  if (session.must_change_password) {
    mount({ render: (el) => el.append(h('div', { class: 'm-gate' },
      h('img', { src: '/assets/logo.svg', alt: '' }),
      h('h2', null, '请先修改初始密码'),
      h('p', null, '为了账号安全，首次登录须修改密码。请在电脑端工作台修改后再使用移动端。'),
      h('a', { class: 'm-btn m-btn-primary m-btn-block', href: '/console/#/password' }, '去修改密码'),
      h('button', { type: 'button', class: 'm-btn m-btn-block', onclick: () => ctx.logout() }, '退出登录'))) }, { withTabs: false, title: '修改密码' });
    return;
  }
  if (!tabbar) buildTabbar();
  const m = /^\/events\/(\d+)$/.exec(path);
  if (m) {
    ctx.params = { id: m[1] };
    markTab(path);
    mount(detailPage, { withTabs: true, title: '事件详情' });
    return;
  }
  const tab = tabsFor(session).find((t) => t.path === path);
  if (!tab) {
    location.replace(homeFor(session));
    return;
  }
  markTab(path);
  mount(tab.page, { withTabs: true, title: tab.title });
}

async function boot() {
  root.replaceChildren(h('div', { class: 'm-boot' }, h('img', { src: '/assets/logo.svg', alt: '' }), h('span', { class: 'spinner' })));
  try {
    setSession(await api.get('/session', undefined, { noAuthRedirect: true }));
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) {
      root.replaceChildren(h('div', { class: 'm-boot' }, h('p', null, e.detail || '无法连接服务器'),
        h('button', { type: 'button', class: 'm-btn m-btn-primary', onclick: boot }, '重试')));
      return;
    }
    session = null;
  }
  route();
}

window.addEventListener('hashchange', (e) => {
  ctx.from = new URL(e.oldURL).hash;
  route();
});
boot();
