// password.js - #/password: PUT /api/v1/session/password.
// Also the gate a user with must_change_password sees right after login
// (render(..., {forced: true})): nothing else works until the password changes.

import { api } from './api.js';
import { h, icon, field, formValues, clearErrors, setFieldError, showFormError, busy, toast, pageHeader, card } from './ui.js';

const MIN_CHARS = 10;

function policy() {
  return h('div', { class: 'policy' },
    h('div', { class: 'policy-title' }, icon('lock', 'icon icon-xs'), '密码要求'),
    h('ul', null,
      h('li', null, `至少 ${MIN_CHARS} 个字符，建议组合大小写字母、数字和符号`),
      h('li', null, '不能是常见密码（如 12345678、password 等容易被猜中的密码）'),
      h('li', null, '不能与用户名相同'),
      h('li', null, '不能与当前密码相同')));
}

/** Client-side checks that mirror the server's policy; returns true when all pass. */
function check(form, v, username) {
  let ok = true;
  const fail = (name, msg) => { setFieldError(form, name, msg); ok = false; };
  if (!v.current_password) fail('current_password', '请输入当前密码');
  if (!v.new_password) fail('new_password', '请输入新密码');
  else if ([...v.new_password].length < MIN_CHARS) fail('new_password', `新密码至少需要 ${MIN_CHARS} 个字符`);
  else if (v.new_password.toLowerCase() === String(username).toLowerCase()) fail('new_password', '新密码不能与用户名相同');
  else if (v.new_password === v.current_password) fail('new_password', '新密码不能与当前密码相同');
  if (!v.confirm_password) fail('confirm_password', '请再次输入新密码');
  else if (v.new_password && v.confirm_password !== v.new_password) fail('confirm_password', '两次输入的新密码不一致');
  return ok;
}

function buildForm(ctx, { forced, onDone }) {
  const submit = h('button', { type: 'submit', class: forced ? 'btn btn-primary btn-block btn-lg' : 'btn btn-primary', 'data-action': 'change-password' }, '确认修改');
  const form = h('form', { class: forced ? 'pw-form' : 'pw-form form-narrow', novalidate: true },
    // Hidden username helps password managers file the new password under the right account.
    h('input', { type: 'text', name: 'username_hint', autocomplete: 'username', value: ctx.user.username, hidden: true, readonly: true, tabindex: '-1', disabled: true }),
    field({ label: forced ? '当前密码（初始密码）' : '当前密码', name: 'current_password', type: 'password', required: true, placeholder: forced ? '管理员提供的初始或临时密码' : '请输入当前密码', attrs: { autocomplete: 'current-password' } }),
    field({ label: '新密码', name: 'new_password', type: 'password', required: true, placeholder: `至少 ${MIN_CHARS} 个字符`, attrs: { autocomplete: 'new-password' } }),
    field({ label: '确认新密码', name: 'confirm_password', type: 'password', required: true, placeholder: '请再次输入新密码', attrs: { autocomplete: 'new-password' } }),
    h('div', { class: forced ? 'form-actions-block' : 'form-actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    if (!check(form, v, ctx.user.username)) {
      const first = form.querySelector('.has-error .input');
      if (first) first.focus();
      return;
    }
    const restore = busy(submit, '正在提交…');
    try {
      await api.put('/session/password', { current_password: v.current_password, new_password: v.new_password });
      restore();
      form.reset();
      await onDone();
    } catch (err) {
      restore();
      // "新密码不能与当前密码相同" comes without a field: it belongs to the new password.
      const fieldForCode = err.code === 'invalid_field' && /新密码/.test(err.detail || '') ? { invalid_field: 'new_password' } : {};
      showFormError(form, err, { fieldForCode });
    }
  });
  return form;
}

export function render(root, ctx, { forced = false } = {}) {
  if (forced) {
    const form = buildForm(ctx, {
      forced,
      onDone: async () => {
        await ctx.refreshSession();
        toast('密码修改成功，欢迎使用条块工作台');
        ctx.navigate('#/home');
      },
    });
    root.append(h('div', { class: 'gate' },
      h('div', { class: 'gate-card' },
        h('div', { class: 'gate-head' },
          h('img', { src: '/assets/logo.svg', alt: '' }),
          h('div', null, h('h2', null, '修改初始密码'), h('p', { class: 'muted' }, `${ctx.user.display_name}（${ctx.user.username}）· ${ctx.user.role_label} · ${ctx.user.unit.name}`))),
        h('div', { class: 'alert alert-warning' }, icon('warn'),
          h('div', null, '您正在使用管理员设置的初始密码或临时密码。为保障账号安全，请先修改密码，修改后才能使用其他功能。')),
        policy(),
        form,
        h('div', { class: 'gate-foot' }, h('a', { href: '#/login', 'data-action': 'logout', onclick: (e) => { e.preventDefault(); ctx.logout(); } }, '退出登录')))));
    return;
  }

  const form = buildForm(ctx, {
    forced,
    onDone: async () => {
      toast('密码修改成功，其他设备上的登录已全部退出');
      await ctx.refreshSession().catch(() => {});
    },
  });
  root.append(
    pageHeader({ title: '修改密码', crumbs: ['个人中心', '修改密码'], desc: '修改后，本账号在其他设备上的登录会话将全部失效，当前会话保持登录。' }),
    card({ title: '设置新密码', body: h('div', { class: 'pw-layout' }, form, policy()) }));
}
