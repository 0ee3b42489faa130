// users.js - #/users (user.read): the users in the caller's unit subtree, filtered
// by keyword (q) and role; with user.write: 新建用户, 停用/启用, 重置密码.
// A generated temporary password is shown once, with a copy button.

import { api } from './api.js';
import {
  h, icon, field, formValues, clearErrors, setFieldError, showFormError, busy, toast, toastError,
  pageHeader, card, dataTable, formatTime, tag, openDialog, confirmDialog, secretDialog,
} from './ui.js';

const USERNAME_RE = /^[A-Za-z0-9_.-]+$/;

export async function render(root, ctx) {
  const canWrite = ctx.can('user.write');
  const me = ctx.user;
  let roles = [];
  try {
    roles = (await ctx.meta()).roles;
  } catch (e) {
    toastError(e, '角色列表加载失败');
  }
  const filters = { q: '', role: '' };

  // ---- filter bar
  const qInput = h('input', { class: 'input', name: 'q', type: 'search', placeholder: '用户名或姓名', maxlength: 64, 'aria-label': '关键词' });
  const roleSel = h('select', { class: 'input', name: 'role', 'aria-label': '角色' },
    h('option', { value: '' }, '全部角色'), roles.map((r) => h('option', { value: r.code }, r.label)));
  const filterForm = h('form', { class: 'filters', role: 'search' },
    h('label', { class: 'filter' }, h('span', { class: 'filter-label' }, '关键词'), qInput),
    h('label', { class: 'filter' }, h('span', { class: 'filter-label' }, '角色'), roleSel),
    h('div', { class: 'filter-btns' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, icon('search'), '查询'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: () => { filterForm.reset(); apply(); } }, '重置')));
  filterForm.addEventListener('submit', (e) => { e.preventDefault(); apply(); });

  function apply() {
    filters.q = qInput.value.trim();
    filters.role = roleSel.value;
    table.reload();
  }

  // ---- table
  const columns = [
    // 姓名 and 所属单位 share what the fixed columns leave and wrap (a unit's name is long:
    // 航埠镇综合信息指挥室); the role tag fits 乡镇综合信息指挥室.
    { title: '用户名', width: 120, render: (u) => h('span', { class: 'cell-strong', 'data-username': u.username, title: u.username }, h('span', { class: 'ellipsis' }, u.username), u.id === me.id ? tag('本人', 'primary') : null) },
    { title: '姓名', render: (u) => u.display_name },
    { title: '角色', width: 150, render: (u) => tag(u.role_label, 'default') },
    { title: '所属单位', render: (u) => h('div', { class: 'cell-2 wrap', title: `${u.unit.name}（${u.unit.code}）` }, h('span', null, u.unit.name), h('span', { class: 'sub' }, u.unit.code)) },
    { title: '手机号', width: 112, render: (u) => u.phone },
    { title: '状态', width: 108, render: (u) => h('span', { class: 'tags' }, u.disabled ? tag('已停用', 'danger') : tag('正常', 'success'), u.must_change_password && !u.disabled ? tag('待改密', 'warning') : null) },
    { title: '最近登录', width: 134, className: 'nowrap', render: (u) => (u.last_login_at ? formatTime(u.last_login_at) : h('span', { class: 'muted' }, '从未登录')) },
    { title: '创建时间', width: 134, className: 'nowrap', render: (u) => formatTime(u.created_at) },
  ];
  if (canWrite) {
    columns.push({
      title: '操作', width: 120, className: 'col-actions',
      render: (u) => h('div', { class: 'row-actions' },
        u.disabled
          ? h('button', { type: 'button', class: 'link', 'data-action': 'enable', onclick: () => setDisabled(u, false) }, '启用')
          : h('button', { type: 'button', class: 'link link-danger', 'data-action': 'disable', disabled: u.id === me.id, title: u.id === me.id ? '不能停用自己的账号' : null, onclick: () => setDisabled(u, true) }, '停用'),
        h('button', { type: 'button', class: 'link', 'data-action': 'reset-password', onclick: () => resetPassword(u) }, '重置密码')),
    });
  }
  const table = dataTable({
    columns,
    minWidth: canWrite ? 1100 : 980,
    rowClass: (u) => (u.disabled ? 'row-muted' : null),
    empty: () => (filters.q || filters.role ? '没有符合条件的用户' : '暂无用户'),
    load: (cursor, limit) => api.get('/users', { q: filters.q, role: filters.role, cursor, limit }),
  });

  root.append(
    pageHeader({
      title: '用户管理',
      crumbs: ['系统管理', '用户管理'],
      desc: `管理「${me.unit.name}」及下级单位的账号。新建或重置密码后，用户首次登录须修改密码。`,
      actions: canWrite ? h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'new-user', onclick: openCreate }, icon('plus'), '新建用户') : null,
    }),
    card({ className: 'card-filters', body: filterForm }),
    card({ body: table.el, className: 'card-table' }));
  table.reload();

  // ---- actions
  async function setDisabled(u, disabled) {
    const who = `${u.display_name}（${u.username}）`;
    const ok = await confirmDialog(disabled
      ? { title: '停用账号', message: `停用后，${who} 将无法登录，其所有登录会话和接口密钥立即失效。确定停用吗？`, okText: '停用', danger: true }
      : { title: '启用账号', message: `启用后，${who} 可以重新登录。确定启用吗？`, okText: '启用' });
    if (!ok) return;
    try {
      await api.post(`/users/${u.id}/${disabled ? 'disable' : 'enable'}`);
      toast(disabled ? `已停用 ${u.username}` : `已启用 ${u.username}`);
      table.refresh();
    } catch (e) {
      toastError(e, disabled ? '停用失败' : '启用失败');
    }
  }

  async function resetPassword(u) {
    const ok = await confirmDialog({
      title: '重置密码',
      message: `将为 ${u.display_name}（${u.username}）生成新的临时密码，原密码立即失效，其所有登录会话将被注销。确定重置吗？`,
      okText: '重置密码',
      danger: true,
    });
    if (!ok) return;
    try {
      const res = await api.post(`/users/${u.id}/password-reset`);
      table.refresh();
      await secretDialog({
        title: '密码已重置',
        lead: `${u.display_name}（${u.username}）的临时密码：`,
        secret: res.temporary_password,
      });
    } catch (e) {
      toastError(e, '重置密码失败');
    }
  }

  function openCreate() {
    const roleOptions = [{ value: '', label: '请选择角色' }, ...roles.map((r) => ({ value: r.code, label: r.label }))];
    const form = h('form', { class: 'form-grid', novalidate: true, id: 'user-create-form' },
      field({ label: '用户名', name: 'username', required: true, placeholder: '登录用，如 zhangsan', hint: '字母、数字、下划线、点和连字符，创建后不可修改', attrs: { maxlength: 64 } }),
      field({ label: '姓名', name: 'display_name', required: true, placeholder: '真实姓名', attrs: { maxlength: 64 } }),
      field({ label: '角色', name: 'role', type: 'select', required: true, options: roleOptions, value: '', hint: '角色须与所属单位类型相符' }),
      field({ label: '单位编码', name: 'unit_code', required: true, value: me.unit.code, placeholder: '如 330802', hint: `区划或单位编码，须在「${me.unit.name}」管辖范围内`, attrs: { maxlength: 32 } }),
      field({ label: '手机号', name: 'phone', type: 'tel', placeholder: '选填，11 位手机号', attrs: { maxlength: 20, inputmode: 'tel' } }));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'user-create-form', 'data-action': 'create-user' }, '创建用户');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '新建用户',
      width: 640,
      body: [h('p', { class: 'dialog-lead' }, '系统将生成临时密码，仅在创建成功后显示一次。'), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="username"]').focus();

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      let ok = true;
      const fail = (n, m) => { setFieldError(form, n, m); ok = false; };
      if (!v.username) fail('username', '请输入用户名');
      else if (!USERNAME_RE.test(v.username)) fail('username', '用户名只能包含字母、数字、下划线、点和连字符');
      if (!v.display_name) fail('display_name', '请输入姓名');
      if (!v.role) fail('role', '请选择角色');
      if (!v.unit_code) fail('unit_code', '请输入单位编码');
      if (v.phone && !/^[0-9+\- ]{5,20}$/.test(v.phone)) fail('phone', '手机号格式不正确');
      if (!ok) {
        const first = form.querySelector('.has-error .input');
        if (first) first.focus();
        return;
      }
      const body = { username: v.username, display_name: v.display_name, role: v.role, unit_code: v.unit_code };
      if (v.phone) body.phone = v.phone;
      const restore = busy(submit, '正在创建…');
      try {
        const created = await api.post('/users', body);
        restore();
        d.close(true);
        toast(`用户 ${created.username} 已创建`);
        table.reload();
        await secretDialog({
          title: '用户已创建',
          lead: `${created.display_name}（${created.username}）· ${created.role_label} · ${created.unit.name}，临时密码：`,
          secret: created.temporary_password,
        });
      } catch (err) {
        restore();
        showFormError(form, err, { fieldForCode: { username_taken: 'username', unit_not_found: 'unit_code' }, fieldAlias: { unit_id: 'unit_code' } });
      }
    });
  }
}
