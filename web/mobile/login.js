// login.js - #/login on the phone: the same cookie session as the console.

import { api } from '../console/api.js';
import { h, icon } from './m-ui.js';

export function render(root, ctx) {
  let timer = null;
  const err = h('div', { class: 'm-alert', role: 'alert', hidden: true });
  const user = h('input', { class: 'm-input', name: 'username', autocomplete: 'username', placeholder: '请输入用户名', maxlength: 64, autocapitalize: 'off', spellcheck: 'false' });
  const pw = h('input', { class: 'm-input', name: 'password', type: 'password', autocomplete: 'current-password', placeholder: '请输入密码' });
  const submit = h('button', { type: 'submit', class: 'm-btn m-btn-primary m-btn-block', 'data-action': 'login' }, '登 录');
  const form = h('form', { class: 'm-login-form', novalidate: true },
    err,
    h('label', { class: 'm-field' }, h('span', { class: 'm-label' }, '用户名'), user),
    h('label', { class: 'm-field' }, h('span', { class: 'm-label' }, '密码'), pw),
    submit);
  const show = (m) => { err.hidden = !m; err.replaceChildren(icon('error', 'icon icon-xs'), h('span', null, m || '')); };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show('');
    if (!user.value.trim()) { show('请输入用户名'); user.focus(); return; }
    if (!pw.value) { show('请输入密码'); pw.focus(); return; }
    submit.disabled = true;
    submit.textContent = '正在登录…';
    try {
      const body = await api.post('/session', { username: user.value.trim(), password: pw.value }, { noAuthRedirect: true });
      ctx.onLogin(body);
    } catch (ex) {
      submit.disabled = false;
      submit.textContent = '登 录';
      if (ex.code === 'too_many_attempts' && ex.retryAfter) {
        let left = ex.retryAfter;
        submit.disabled = true;
        clearInterval(timer);
        const tick = () => {
          if (left <= 0 || !root.isConnected) { clearInterval(timer); submit.disabled = false; submit.textContent = '登 录'; show(''); return; }
          show(`登录失败次数过多，请 ${left} 秒后再试`);
          submit.textContent = `${left} 秒后可重试`;
          left -= 1;
        };
        tick();
        timer = setInterval(tick, 1000);
        return;
      }
      show(ex.detail || ex.title || '登录失败');
      if (ex.code === 'bad_credentials') { pw.value = ''; pw.focus(); }
    }
  });

  root.append(h('div', { class: 'm-login' },
    h('div', { class: 'm-login-hero' },
      h('img', { src: '/assets/logo.svg', alt: '' }),
      h('h1', null, '条块 · 基层治理'),
      h('p', null, '网格巡查上报 · 任务核查 · 诉求跟踪')),
    h('div', { class: 'm-login-card' }, form,
      h('p', { class: 'm-login-help' }, '网格员和居民使用本人账号登录；忘记密码请联系所在乡镇（街道）。'))));
  return () => clearInterval(timer);
}
