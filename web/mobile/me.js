// me.js - #/me: who I am, where I belong, and 退出登录.

import { api } from '../console/api.js';
import { h, icon, header } from './m-ui.js';

export function render(root, ctx) {
  const u = ctx.user;
  const version = h('span');
  api.get('/healthz', undefined, { noAuthRedirect: true }).then((hz) => { version.textContent = `服务版本 ${hz.version}`; }).catch(() => {});
  root.append(header('我的'), h('div', { class: 'm-page' },
    h('div', { class: 'm-card m-me' },
      h('div', { class: 'm-avatar' }, (u.display_name || u.username).charAt(0)),
      h('div', { class: 'm-me-main' },
        h('div', { class: 'm-me-name', 'data-testid': 'user-name' }, u.display_name || u.username),
        h('div', { class: 'm-me-role' }, h('span', { class: 'm-badge m-badge-primary' }, u.role_label), h('span', null, `账号 ${u.username}`)),
        h('div', { class: 'm-me-unit' }, icon('unit', 'icon icon-xs'), u.unit.name))),
    h('ul', { class: 'm-menu' },
      ctx.user.role !== 'resident' ? h('li', null, h('a', { href: '/console/' }, icon('screen'), h('span', null, '电脑端工作台'), icon('right'))) : null,
      h('li', null, h('a', { href: '/' }, icon('home'), h('span', null, '平台门户'), icon('right')))),
    h('button', { type: 'button', class: 'm-btn m-btn-block m-btn-danger-ghost', 'data-action': 'logout', onclick: () => ctx.logout() }, icon('logout'), '退出登录'),
    h('p', { class: 'm-foot' }, '衢州市基层治理综合信息平台 · 条块', h('br'), version)));
}
