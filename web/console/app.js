// app.js - the console shell: session state, hash router, top bar and sidebar.
//
// Routes: #/login #/home #/events #/events/new #/events/{id} #/notifications
// #/stats #/lists #/categories #/calendar #/territory #/users #/integrations
// #/audit #/sessions #/password #/permissions.
// A page module exports render(root, ctx) and may return a cleanup function;
// ctx.params holds the route's parameters ({id}) and ctx.query the hash query.
// The sidebar lists only the pages the user's permissions allow; a user who
// must change the password sees nothing but the password form until they do.
// The top bar carries the unread-notification badge, kept fresh by the live feed.

import { api, ApiError, setCsrfToken } from './api.js';
import { h, icon, toast, spinnerBlock, emptyState, closeDialogs } from './ui.js';
import * as loginPage from './login.js';
import * as homePage from './home.js';
import * as listsPage from './lists.js';
import * as categoriesPage from './categories.js';
import * as calendarPage from './calendar.js';
import * as territoryPage from './territory.js';
import * as usersPage from './users.js';
import * as auditPage from './audit.js';
import * as sessionsPage from './sessions.js';
import * as passwordPage from './password.js';
import * as permissionsPage from './permissions.js';
import * as eventsPage from './events.js';
import * as eventDetailPage from './event-detail.js';
import * as eventNewPage from './event-new.js';
import * as notificationsPage from './notifications.js';
import * as statsPage from './stats.js';
import * as integrationsPage from './integrations.js';
import { subscribe, stopLive, unreadCount, allowStream } from './evlib.js';

const APP_NAME = '条块工作台';

// nav: false keeps a route out of the sidebar; navPath marks its menu entry;
// pattern matches paths with parameters (named groups become ctx.params).
const ROUTES = [
  { path: '/home', title: '首页', group: '工作台', icon: 'home', perm: null, page: homePage },
  { path: '/events', title: '事件工作台', group: '事件办理', icon: 'events', perm: 'event.read', page: eventsPage },
  { path: '/events/new', title: '新建事件', group: '事件办理', icon: 'newEvent', perm: 'event.create', page: eventNewPage, hide: (c) => !c.isDesk() },
  { path: '/events/:id', pattern: /^\/events\/(?<id>\d+)$/, title: '事件详情', nav: false, navPath: '/events', perm: 'event.read', page: eventDetailPage },
  { path: '/notifications', title: '消息通知', group: '事件办理', icon: 'bell', perm: 'notification.read', page: notificationsPage },
  { path: '/stats', title: '统计分析', group: '事件办理', icon: 'stats', perm: 'stats.read', page: statsPage },
  { path: '/lists', title: '三张清单', group: '基础数据', icon: 'audit', perm: 'list.read', page: listsPage },
  { path: '/categories', title: '事件分类与时限', group: '基础数据', icon: 'flag', perm: 'category.read', page: categoriesPage },
  { path: '/calendar', title: '工作日历', group: '基础数据', icon: 'clock', perm: 'calendar.read', page: calendarPage },
  { path: '/territory', title: '区划与组织', group: '基础数据', icon: 'unit', perm: 'territory.read', page: territoryPage },
  { path: '/users', title: '用户管理', group: '系统管理', icon: 'users', perm: 'user.read', page: usersPage },
  { path: '/integrations', title: '接口对接', group: '系统管理', icon: 'link', perm: 'callback.manage', page: integrationsPage },
  { path: '/audit', title: '审计日志', group: '系统管理', icon: 'audit', perm: 'audit.read', page: auditPage },
  { path: '/permissions', title: '权限表', group: '系统管理', icon: 'permissions', perm: 'permission.read', page: permissionsPage },
  { path: '/sessions', title: '我的会话', group: '个人中心', icon: 'sessions', perm: 'session.manage', page: sessionsPage },
  { path: '/password', title: '修改密码', group: '个人中心', icon: 'password', perm: 'password.change', page: passwordPage },
];
const LOGIN = { path: '/login', title: '登录', page: loginPage };
const NEXT_KEY = 'tk.console.next';

const root = document.getElementById('app');
let session = null; // {user, permissions, must_change_password}
let metaCache = null;
let shell = null; // {el, nav, main, userBox}
let cleanup = null;
let renderSeq = 0;

// ---------------------------------------------------------------- context for pages

const ctx = {
  get session() { return session; },
  get user() { return session && session.user; },
  can(perm) { return !perm || !!(session && session.permissions.includes(perm)); },
  // The desks that register events on behalf of callers (command room, center, hotline).
  isDesk() {
    const r = session && session.user.role;
    return r === 'township_command' || r === 'county_center' || r === 'admin' || r === 'integration';
  },
  params: {},
  query: new URLSearchParams(),
  // Tells the top bar that the unread count may have changed.
  refreshUnread() { refreshBadge(); },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  // The permission table (roles with labels, actions with labels); cached.
  meta() {
    if (!metaCache) metaCache = api.get('/permissions').catch((e) => { metaCache = null; throw e; });
    return metaCache;
  },
  async refreshSession() {
    const body = await api.get('/session');
    setSession(body);
    return session;
  },
  onLogin(body) {
    setSession(body);
    const next = sessionStorage.getItem(NEXT_KEY);
    sessionStorage.removeItem(NEXT_KEY);
    ctx.navigate(session.must_change_password ? '#/password' : (next && next !== '#/login' ? next : '#/home'));
  },
  async logout() {
    try {
      await api.del('/session', { noAuthRedirect: true });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) console.warn('logout failed', e);
    }
    endSession();
    toast('已安全退出');
    ctx.navigate('#/login');
  },
  // The pages this user may open, in menu order.
  routes() {
    return ROUTES.filter(inNav).map(({ path, title, group, icon: i }) => ({ path, title, group, icon: i }));
  },
};

function setSession(body) {
  session = {
    user: body.user,
    permissions: body.permissions || [],
    must_change_password: !!body.must_change_password,
    expires_at: body.expires_at || (session && session.expires_at) || null,
  };
  if (body.csrf_token) setCsrfToken(body.csrf_token);
  allowStream(session.permissions.includes('stream.read'));
  if (shell) renderUserBox();
}

function endSession() {
  session = null;
  metaCache = null;
  setCsrfToken(null);
  stopLive();
  destroyShell();
}

function inNav(r) {
  return r.nav !== false && ctx.can(r.perm) && !(r.hide && r.hide(ctx));
}

// ---------------------------------------------------------------- events from api.js

window.addEventListener('tk:unauthorized', () => {
  const had = !!session;
  const here = location.hash;
  endSession();
  if (had) toast('登录已失效，请重新登录', 'warning');
  if (here && here !== '#/login') sessionStorage.setItem(NEXT_KEY, here);
  ctx.navigate('#/login');
});

window.addEventListener('tk:password-required', () => {
  if (session) {
    session.must_change_password = true;
    ctx.navigate('#/password');
  }
});

// ---------------------------------------------------------------- shell

function destroyShell() {
  if (shell) {
    shell.el.remove();
    if (shell.unsubscribe) shell.unsubscribe();
  }
  shell = null;
}

function buildShell() {
  const nav = h('nav', { class: 'nav', 'aria-label': '主导航' });
  const userBox = h('div', { class: 'topbar-user' });
  const badge = h('span', { class: 'bell-badge', hidden: true, 'data-testid': 'unread-badge' });
  const bell = h('a', { class: 'topbar-bell', href: '#/notifications', title: '消息通知', 'aria-label': '消息通知' }, icon('bell'), badge);
  const main = h('main', { class: 'main', id: 'main' });
  const el = h('div', { class: 'layout' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/home' },
        h('img', { class: 'brand-logo', src: '/assets/logo.svg', alt: '' }),
        h('span', { class: 'brand-name' }, '条块'),
        h('span', { class: 'brand-sep' }),
        h('span', { class: 'brand-sub' }, '衢州市基层治理综合信息平台 · 工作台')),
      h('div', { class: 'topbar-right' }, bell, userBox)),
    h('aside', { class: 'sidebar' }, nav,
      h('div', { class: 'sidebar-foot' }, h('a', { href: '/', class: 'muted' }, '返回平台门户'))),
    main);
  root.replaceChildren(el);
  shell = { el, nav, main, userBox, bell, badge };
  renderUserBox();
  renderNav();
  if (ctx.can('notification.read')) {
    refreshBadge();
    shell.unsubscribe = subscribe(() => refreshBadge());
  } else {
    bell.hidden = true;
  }
}

let badgeSeq = 0;
async function refreshBadge() {
  if (!shell || !ctx.can('notification.read')) return;
  const seq = ++badgeSeq;
  try {
    const n = await unreadCount();
    if (!shell || seq !== badgeSeq) return;
    shell.badge.hidden = n === 0;
    shell.badge.textContent = n > 99 ? '99+' : String(n);
    shell.bell.title = n ? `消息通知（${n} 条未读）` : '消息通知';
  } catch { /* the badge is best effort */ }
}

function renderUserBox() {
  if (!shell || !session) return;
  const u = session.user;
  const first = (u.display_name || u.username || '?').trim().charAt(0);
  shell.userBox.replaceChildren(
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, first),
    h('div', { class: 'who' },
      h('div', { class: 'who-line' }, h('span', { class: 'who-name', 'data-testid': 'user-name' }, u.display_name || u.username),
        h('span', { class: 'role-chip', 'data-testid': 'role-label' }, u.role_label)),
      h('div', { class: 'who-unit', title: `单位编码 ${u.unit.code}` }, icon('unit', 'icon icon-xs'), u.unit.name)),
    h('button', { type: 'button', class: 'topbar-btn', 'data-action': 'logout', onclick: () => ctx.logout() }, icon('logout'), '退出登录'));
}

function renderNav() {
  if (!shell || !session) return;
  const groups = new Map();
  for (const r of ROUTES) {
    if (!inNav(r)) continue;
    if (!groups.has(r.group)) groups.set(r.group, []);
    groups.get(r.group).push(r);
  }
  shell.nav.replaceChildren(...Array.from(groups, ([group, routes]) =>
    h('div', { class: 'nav-group' },
      h('div', { class: 'nav-group-title' }, group),
      routes.map((r) => h('a', { class: 'nav-item', href: '#' + r.path, 'data-path': r.path }, icon(r.icon), h('span', null, r.title))))));
  markNav();
}

function markNav() {
  if (!shell) return;
  const r = findRoute(currentPath());
  const path = r ? (r.navPath || r.path) : currentPath();
  for (const a of shell.nav.querySelectorAll('.nav-item')) {
    const on = a.dataset.path === path;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// ---------------------------------------------------------------- router

function currentPath() {
  const raw = location.hash.replace(/^#/, '') || '';
  return raw.split('?')[0] || '';
}

function currentQuery() {
  const raw = location.hash.replace(/^#/, '') || '';
  const i = raw.indexOf('?');
  return new URLSearchParams(i >= 0 ? raw.slice(i + 1) : '');
}

// The route of a path and its parameters (exact paths win over patterns).
function findRoute(path) {
  const exact = ROUTES.find((x) => !x.pattern && x.path === path);
  if (exact) return exact;
  return ROUTES.find((x) => x.pattern && x.pattern.test(path)) || null;
}

async function runCleanup() {
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (e) { console.warn(e); }
  }
  cleanup = null;
}

// Each page renders into a host of its own (display: contents, so the layout
// is the container's). A page that awaits before drawing (the categories, the
// permission table) and is overtaken by a newer route (two quick clicks, two
// hash changes at once) then draws into its detached host, never beside the
// page now shown.
async function mount(container, route) {
  const seq = ++renderSeq;
  closeDialogs(); // the last page's dialogs close as cancelled, not over this one
  await runCleanup();
  if (seq !== renderSeq) return;
  document.title = `${route.title} · ${APP_NAME}`;
  const host = h('div', { class: 'page-host' });
  container.replaceChildren(host);
  try {
    const c = await route.page.render(host, ctx);
    if (seq === renderSeq) cleanup = c || null;
    else if (typeof c === 'function') c();
  } catch (e) {
    console.error(e);
    if (seq === renderSeq && !(e instanceof ApiError && e.status === 401)) {
      host.replaceChildren(h('div', { class: 'card' }, emptyState('页面加载失败', e.detail || e.message)));
    }
  }
}

function route() {
  const path = currentPath();
  if (!session) {
    if (path !== '/login') {
      if (location.hash && path) sessionStorage.setItem(NEXT_KEY, location.hash);
      location.replace('#/login');
      return;
    }
    destroyShell();
    const bare = h('div', { class: 'bare' });
    root.replaceChildren(bare);
    mount(bare, LOGIN);
    return;
  }
  if (path === '/login' || path === '' || path === '/') {
    location.replace(session.must_change_password ? '#/password' : '#/home');
    return;
  }
  if (session.must_change_password) {
    if (path !== '/password') {
      location.replace('#/password');
      return;
    }
    // The forced change is a gate of its own, outside the shell.
    destroyShell();
    const bare = h('div', { class: 'bare' });
    root.replaceChildren(bare);
    mount(bare, { title: '修改初始密码', page: { render: (el, c) => passwordPage.render(el, c, { forced: true }) } });
    return;
  }
  if (!shell) buildShell();
  else renderNav();
  markNav();
  const r = findRoute(path);
  const m = r && r.pattern ? r.pattern.exec(path) : null;
  ctx.params = (m && m.groups) ? { ...m.groups } : {};
  ctx.query = currentQuery();
  shell.main.scrollTop = 0;
  if (!r) {
    mount(shell.main, { title: '页面不存在', page: { render: (el) => el.append(h('div', { class: 'card' }, emptyState('页面不存在', '请从左侧菜单选择功能'))) } });
    return;
  }
  if (!ctx.can(r.perm)) {
    mount(shell.main, { title: '无权访问', page: { render: (el) => el.append(h('div', { class: 'card' }, emptyState('您没有访问该页面的权限', `「${session.user.role_label}」无权使用「${r.title}」，如有需要请联系系统管理员`))) } });
    return;
  }
  mount(shell.main, r);
}

// ---------------------------------------------------------------- boot

async function boot() {
  root.replaceChildren(h('div', { class: 'boot' }, spinnerBlock('正在加载工作台…')));
  try {
    const body = await api.get('/session', undefined, { noAuthRedirect: true });
    setSession(body);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) {
      root.replaceChildren(h('div', { class: 'boot' }, h('div', { class: 'boot-error' },
        icon('error', 'icon icon-lg'), h('p', null, e.detail || '无法连接服务器'),
        h('button', { type: 'button', class: 'btn btn-primary', onclick: boot }, '重试'))));
      return;
    }
    session = null;
  }
  route();
}

window.addEventListener('hashchange', route);
boot();

export { ctx };
