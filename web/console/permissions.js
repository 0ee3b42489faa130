// permissions.js - #/permissions (permission.read): the permission table as a
// matrix of actions × roles, from GET /api/v1/permissions. The caller's own role
// column is highlighted.

import { h, icon, pageHeader, card, spinnerBlock, emptyState } from './ui.js';

export async function render(root, ctx) {
  const body = h('div', null, spinnerBlock());
  root.append(
    pageHeader({ title: '权限表', crumbs: ['系统管理', '权限表'], desc: '各角色可以执行的操作。权限由系统统一配置，接口与界面按同一张表校验；数据范围另受所属单位限制（只能看到本单位及下级单位）。' }),
    card({
      title: '角色权限矩阵',
      extra: h('span', { class: 'legend' }, h('span', { class: 'legend-item' }, h('span', { class: 'legend-mine' }), '您的角色'), h('span', { class: 'legend-item' }, icon('check', 'icon icon-xs yes'), '有此权限')),
      className: 'card-table',
      body,
    }));

  let m;
  try {
    m = await ctx.meta();
  } catch (e) {
    body.replaceChildren(emptyState('权限表加载失败', e.detail));
    return;
  }
  const mine = ctx.user.role;
  const counts = Object.fromEntries(m.roles.map((r) => [r.code, m.actions.filter((a) => a.roles.includes(r.code)).length]));
  const table = h('table', { class: 'table matrix', 'data-testid': 'matrix' },
    h('thead', null, h('tr', null,
      h('th', { class: 'matrix-action' }, '操作'),
      m.roles.map((r) => h('th', { class: ['matrix-role', r.code === mine && 'is-mine'], title: r.code, 'data-role': r.code },
        h('span', { class: 'matrix-role-label' }, r.label), h('span', { class: 'matrix-count' }, `${counts[r.code]} 项`))))),
    h('tbody', null, m.actions.map((a) => h('tr', null,
      h('th', { class: 'matrix-action', scope: 'row' }, h('div', { class: 'cell-2' }, h('span', null, a.label), h('code', { class: 'sub' }, a.action))),
      m.roles.map((r) => {
        const yes = a.roles.includes(r.code);
        return h('td', { class: ['matrix-cell', r.code === mine && 'is-mine', yes ? 'yes' : 'no'], title: `${r.label}：${yes ? '可以' : '不可以'}${a.label}` },
          yes ? h('span', { class: 'tick', 'aria-label': '有' }, '✓') : h('span', { class: 'dash', 'aria-label': '无' }, '·'));
      })))));
  body.replaceChildren(h('div', { class: 'table-scroll' }, table));
}
