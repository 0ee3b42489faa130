// home.js - #/home: welcome card (name, role, unit), shortcuts to the pages this
// user may open, and what they may do (session permissions, labelled from
// GET /api/v1/permissions), plus the service status. Whoever handles events sees
// first how many wait in each of their inboxes (GET /api/v1/events/boxes), each a
// way into that inbox of the workbench.

import { api } from './api.js';
import { h, icon, card, formatTime, longDate, spinnerBlock, tag } from './ui.js';
import { tabsFor } from './events.js';
import { boxCount } from './evlib.js';

function greeting() {
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
  if (hour < 6) return '夜深了';
  if (hour < 12) return '上午好';
  if (hour < 14) return '中午好';
  if (hour < 18) return '下午好';
  return '晚上好';
}

function duration(seconds) {
  const s = Number(seconds) || 0;
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (d) return `${d} 天 ${hh} 小时`;
  if (hh) return `${hh} 小时 ${mm} 分钟`;
  return `${mm} 分钟`;
}

export function render(root, ctx) {
  const u = ctx.user;
  const perms = ctx.session.permissions;
  const shortcuts = ctx.routes().filter((r) => r.path !== '/home');

  const welcome = h('section', { class: 'welcome' },
    h('div', { class: 'welcome-avatar', 'aria-hidden': 'true' }, (u.display_name || u.username).charAt(0)),
    h('div', { class: 'welcome-main' },
      h('h1', { class: 'welcome-title', 'data-testid': 'welcome' }, `${greeting()}，${u.display_name}`),
      h('div', { class: 'welcome-meta' },
        tag(u.role_label, 'primary'),
        h('span', { class: 'meta-item' }, icon('unit', 'icon icon-xs'), `${u.unit.name}（${u.unit.code}）`),
        h('span', { class: 'meta-item' }, icon('user', 'icon icon-xs'), `账号 ${u.username}`),
        h('span', { class: 'meta-item' }, icon('clock', 'icon icon-xs'), longDate()))),
    h('div', { class: 'welcome-stats' },
      h('div', { class: 'stat' }, h('div', { class: 'stat-num' }, String(perms.length)), h('div', { class: 'stat-label' }, '项可用权限')),
      h('div', { class: 'stat' }, h('div', { class: 'stat-num' }, String(shortcuts.length + 1)), h('div', { class: 'stat-label' }, '个可用功能页')),
      ctx.session.expires_at ? h('div', { class: 'stat' }, h('div', { class: 'stat-num stat-num-sm' }, formatTime(ctx.session.expires_at).slice(5)), h('div', { class: 'stat-label' }, '本次登录有效至')) : null));

  const tiles = h('div', { class: 'tiles' }, shortcuts.map((r) =>
    h('a', { class: 'tile', href: '#' + r.path },
      h('span', { class: 'tile-icon' }, icon(r.icon)),
      h('span', { class: 'tile-text' }, h('span', { class: 'tile-title' }, r.title), h('span', { class: 'tile-sub' }, r.group)))));

  const permList = h('ul', { class: 'perm-list', 'data-testid': 'perm-list' }, spinnerBlock());
  const status = h('dl', { class: 'kv' }, spinnerBlock());

  const acts = ctx.can('event.act');
  const inboxes = ctx.can('event.read') ? inboxCard(tabsFor(u.role, acts), acts ? '待办事项' : '事件概况') : null;

  root.append(
    welcome,
    inboxes,
    h('div', { class: 'grid-2' },
      h('div', { class: 'col' },
        card({ title: '常用功能', body: tiles }),
        card({ title: '系统状态', body: status })),
      card({ title: '我可以做什么', extra: h('span', { class: 'muted' }, `「${u.role_label}」角色的权限`), body: permList })));

  ctx.meta().then((m) => {
    const labels = Object.fromEntries(m.actions.map((a) => [a.action, a.label]));
    permList.replaceChildren(...perms.map((p) =>
      h('li', { title: p }, icon('check', 'icon perm-ok'), h('span', { class: 'perm-text' }, h('span', { class: 'perm-label' }, labels[p] || p), h('code', { class: 'perm-code' }, p)))));
  }).catch(() => {
    permList.replaceChildren(...perms.map((p) => h('li', null, icon('check', 'icon perm-ok'), h('code', null, p))));
  });

  api.get('/healthz').then((hz) => {
    const ok = hz.database === 'ok';
    status.replaceChildren(
      h('dt', null, '服务状态'), h('dd', null, h('span', { class: `dot ${ok ? 'dot-ok' : 'dot-bad'}` }), ok ? '运行正常' : '数据库异常，请联系管理员'),
      h('dt', null, '服务版本'), h('dd', null, hz.version),
      h('dt', null, '已连续运行'), h('dd', null, duration(hz.uptime_s)),
      h('dt', null, '数据时区'), h('dd', null, '北京时间（UTC+8）'));
  }).catch(() => {
    status.replaceChildren(h('dt', null, '服务状态'), h('dd', null, h('span', { class: 'dot dot-bad' }), '无法获取'));
  });
}

function inboxCard(tabs, title) {
  tabs = tabs.filter((t) => t.box !== 'all');
  const counts = h('div', { class: 'inbox-counts', 'data-testid': 'inbox-counts' }, tabs.map((t) =>
    h('a', { class: `inbox-count${t.box === 'overdue' || t.box === 'supervised' ? ' inbox-count-alert' : ''}`, href: `#/events?box=${t.box}`, title: t.hint, 'data-box': t.box },
      h('span', { class: 'inbox-num' }, '—'),
      h('span', { class: 'inbox-label' }, t.label))));
  api.get('/events/boxes').then((res) => {
    for (const a of counts.children) {
      const n = res.boxes[a.dataset.box] || 0;
      a.querySelector('.inbox-num').textContent = boxCount(n, res.cap);
      a.classList.toggle('inbox-count-zero', n === 0);
    }
  }).catch(() => {
    for (const a of counts.children) a.querySelector('.inbox-num').textContent = '?';
  });
  return card({ title, extra: h('a', { href: '#/events' }, '进入事件工作台'), body: counts });
}
