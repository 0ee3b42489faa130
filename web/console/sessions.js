// sessions.js - #/sessions (session.manage): my live login sessions; the current
// one is marked 当前, any other can be ended (DELETE /api/v1/sessions/{id}).

import { api } from './api.js';
import { h, icon, pageHeader, card, dataTable, formatTime, tag, confirmDialog, toast, toastError } from './ui.js';

/** "Mozilla/5.0 (X11; Linux x86_64) … Chrome/120.0 …" → "Chrome 120 · Linux" */
export function describeAgent(ua) {
  if (!ua) return '未知设备';
  const pick = (re, name) => { const m = re.exec(ua); return m ? `${name}${m[1] ? ' ' + m[1] : ''}` : null; };
  const browser = pick(/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge') || pick(/(?:OPR|Opera)\/(\d+)/, 'Opera')
    || pick(/QQBrowser\/(\d+)/, 'QQ 浏览器') || pick(/360SE|360EE()/, '360 浏览器')
    || pick(/MicroMessenger\/(\d+)/, '微信') || pick(/Firefox\/(\d+)/, 'Firefox')
    || pick(/HeadlessChrome\/(\d+)/, 'Chrome（无界面）') || pick(/Chrome\/(\d+)/, 'Chrome')
    || pick(/Version\/(\d+).*Safari/, 'Safari') || pick(/^curl\/([\d.]+)/, 'curl')
    || pick(/^node()/i, 'Node.js') || ua.split(/[ /]/)[0];
  const os = /Windows NT 10/.test(ua) ? 'Windows 10/11' : /Windows/.test(ua) ? 'Windows'
    : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS'
      : /HarmonyOS/.test(ua) ? '鸿蒙' : /UOS|Deepin/i.test(ua) ? '统信 UOS' : /Kylin/i.test(ua) ? '麒麟' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} · ${os}` : browser;
}

export function render(root, ctx) {
  const count = h('span', { class: 'muted' });
  const endOthers = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'revoke-others', hidden: true, onclick: revokeOthers }, '注销其他全部会话');

  const table = dataTable({
    pager: false,
    minWidth: 900,
    columns: [
      { title: '设备 / 浏览器', render: (s) => h('div', { class: 'cell-2', title: s.user_agent }, h('span', { class: 'cell-strong' }, icon('sessions', 'icon icon-xs'), describeAgent(s.user_agent)), h('span', { class: 'sub ua' }, s.user_agent || '')) },
      { title: '登录 IP', width: 130, render: (s) => h('span', { class: 'mono' }, s.ip) },
      { title: '登录时间', width: 140, render: (s) => formatTime(s.created_at) },
      { title: '最近活动', width: 140, render: (s) => formatTime(s.last_seen_at) },
      { title: '到期时间', width: 140, render: (s) => formatTime(s.expires_at) },
      { title: '状态', width: 90, render: (s) => (s.current ? tag('当前', 'primary') : tag('在线', 'success')) },
      { title: '操作', width: 90, className: 'col-actions', render: (s) => (s.current
        ? h('span', { class: 'muted' }, '本机')
        : h('button', { type: 'button', class: 'link link-danger', 'data-action': 'revoke', onclick: () => revoke(s) }, '注销')) },
    ],
    rowClass: (s) => (s.current ? 'row-current' : null),
    empty: '没有登录会话',
    load: async () => ({ items: (await api.get('/sessions')).items, next_cursor: null }),
    onLoad: (items) => {
      const others = items.filter((s) => !s.current).length;
      count.textContent = `共 ${items.length} 个会话`;
      endOthers.hidden = others === 0;
    },
  });

  async function revoke(s) {
    const ok = await confirmDialog({
      title: '注销会话',
      message: `注销后，${describeAgent(s.user_agent)}（${s.ip}，${formatTime(s.created_at)} 登录）需要重新登录。确定注销吗？`,
      okText: '注销', danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/sessions/${s.id}`);
      toast('会话已注销');
      table.reload();
    } catch (e) {
      toastError(e, '注销失败');
    }
  }

  async function revokeOthers() {
    const others = table.items.filter((s) => !s.current);
    const ok = await confirmDialog({
      title: '注销其他全部会话',
      message: `将注销除本机以外的 ${others.length} 个会话，这些设备需要重新登录。确定继续吗？`,
      okText: '全部注销', danger: true,
    });
    if (!ok) return;
    const results = await Promise.allSettled(others.map((s) => api.del(`/sessions/${s.id}`)));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) toastError(failed[0].reason, `${failed.length} 个会话注销失败`);
    else toast(`已注销 ${others.length} 个会话`);
    table.reload();
  }

  root.append(
    pageHeader({
      title: '我的会话',
      crumbs: ['个人中心', '我的会话'],
      desc: '本账号当前有效的登录。发现不认识的设备或地点，请立即注销该会话并修改密码。',
      actions: h('a', { class: 'btn', href: '#/password' }, icon('password'), '修改密码'),
    }),
    card({ title: '登录会话', extra: h('div', { class: 'card-extra-row' }, count, endOthers), className: 'card-table', body: table.el }));
  table.reload();
}
