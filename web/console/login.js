// login.js - #/login: username + password against POST /api/v1/session (cookie session).
// Shows the server's reason on failure; a throttled login counts down Retry-After.

import { api } from './api.js';
import { h, icon, field, formValues, clearErrors, setFieldError, setFormAlert, busy } from './ui.js';

export function render(root, ctx) {
  let timer = null;

  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg', 'data-action': 'login' }, '登 录');
  const form = h('form', { class: 'login-form', novalidate: true, autocomplete: 'on' },
    field({ label: '用户名', name: 'username', required: true, placeholder: '请输入用户名', attrs: { autocomplete: 'username', maxlength: 64, autofocus: true } }),
    field({ label: '密码', name: 'password', type: 'password', required: true, placeholder: '请输入密码', attrs: { autocomplete: 'current-password' } }),
    submit,
    h('p', { class: 'login-help' }, icon('info', 'icon icon-xs'), '忘记密码或账号被停用，请联系本单位系统管理员'));

  const version = h('span');
  root.append(h('div', { class: 'login' },
    h('section', { class: 'login-brand' },
      h('div', { class: 'login-brand-top' }, h('img', { src: '/assets/logo.svg', alt: '' }), h('span', null, '条块')),
      h('div', { class: 'login-brand-main' },
        h('h1', null, '衢州市基层治理综合信息平台'),
        h('p', { class: 'login-slogan' }, '县乡一体 · 条抓块统'),
        h('ul', { class: 'login-points' },
          h('li', null, h('b', null, '受理交办'), '网格上报、群众诉求、12345 热线一口受理，按清单精准派单'),
          h('li', null, h('b', null, '处置反馈'), '乡镇呼叫、县级响应，部门与属地同一事件闭环处置'),
          h('li', null, h('b', null, '督办考核'), '按工作日历计时，超期自动督办，四维考评量化实绩'))),
      h('div', { class: 'login-brand-foot' }, '仅限授权工作人员使用 · 所有操作全程留痕')),
    h('section', { class: 'login-side' },
      h('div', { class: 'login-card' },
        h('h2', null, '工作台登录'),
        h('p', { class: 'login-sub' }, '请使用本人账号登录，操作将记入审计日志'),
        form),
      h('div', { class: 'login-foot' }, version))));

  api.get('/healthz', undefined, { noAuthRedirect: true })
    .then((hz) => { version.textContent = `服务版本 ${hz.version}`; })
    .catch(() => { version.textContent = ''; });

  function countdown(seconds) {
    clearInterval(timer);
    let left = seconds;
    submit.disabled = true;
    const tick = () => {
      if (!root.isConnected) return clearInterval(timer);
      if (left <= 0) {
        clearInterval(timer);
        submit.disabled = false;
        submit.textContent = '登 录';
        setFormAlert(form, '现在可以重新登录了', 'info');
        return;
      }
      setFormAlert(form, `登录失败次数过多，请 ${left} 秒后再试`, 'error');
      submit.textContent = `${left} 秒后可重试`;
      left -= 1;
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    let bad = false;
    if (!v.username) bad = setFieldError(form, 'username', '请输入用户名');
    if (!v.password) bad = setFieldError(form, 'password', '请输入密码') || bad;
    if (bad) return;
    const restore = busy(submit, '正在登录…');
    try {
      const body = await api.post('/session', { username: v.username, password: v.password }, { noAuthRedirect: true });
      restore();
      ctx.onLogin(body);
    } catch (err) {
      restore();
      if (err.code === 'too_many_attempts' && err.retryAfter) {
        countdown(err.retryAfter);
        return;
      }
      if (err.field && setFieldError(form, err.field, err.detail)) return;
      setFormAlert(form, err.detail || err.title);
      const pw = form.querySelector('[name="password"]');
      if (err.code === 'bad_credentials') {
        pw.value = '';
        pw.focus();
      }
    }
  });

  return () => clearInterval(timer);
}
