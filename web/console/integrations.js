// integrations.js - #/integrations (callback.manage): 接口对接. An admin gives an
// integration account (the 12345 hotline) one callback URL; every change of an
// event that account reported is pushed to it, signed with the callback's secret.
// The table lists the callbacks with their queue counts; 新增回调 and 更换密钥
// show the secret once; 推送记录 lists one callback's deliveries, filtered by
// status, with 重新推送 on the failed ones.

import { api } from './api.js';
import {
  h, icon, field, formValues, clearErrors, setFieldError, showFormError, busy, toast, toastError,
  pageHeader, card, dataTable, formatTime, tag, openDialog, confirmDialog, secretDialog, emptyState,
} from './ui.js';
import { stateKind } from './evlib.js';

const URL_RE = /^https?:\/\/[^\s/?#]+\S*$/i;
const PURPOSE = '为 12345 热线等对接系统配置回调地址，事件办理进展将自动推送。';
// delivery status → [label, tag kind]
const STATUSES = {
  pending: ['待推送', 'primary'],
  delivered: ['已送达', 'success'],
  failed: ['推送失败', 'danger'],
};
const FILTERS = [['', '全部'], ['pending', '待推送'], ['delivered', '已送达'], ['failed', '推送失败']];
const REFRESH_MS = 10000;

const who = (c) => `${c.display_name}（${c.username}）`;
const count = (n, cls) => h('span', { class: ['num', n > 0 && cls] }, String(n ?? 0));

export function render(root, ctx) {
  let callbacks = [];
  let chosen = null; // the callback whose deliveries are shown
  let status = '';

  // ---- the callbacks
  const table = dataTable({
    pager: false,
    minWidth: 1080,
    rowClass: (c) => [!c.active && 'row-muted', chosen && c.id === chosen.id && 'row-current'].filter(Boolean).join(' ') || null,
    columns: [
      { title: '对接账号', width: 136, render: (c) => h('div', { class: 'cell-2', 'data-callback': c.id, 'data-username': c.username },
        h('span', { class: 'cell-strong', title: c.display_name }, h('span', { class: 'ellipsis' }, c.display_name)), h('span', { class: 'sub' }, c.username)) },
      { title: '回调地址', render: (c) => h('div', { class: 'cell-2' },
        h('span', { class: 'mono', title: c.url }, c.url), h('span', { class: 'sub' }, `签名密钥 ${c.secret_hint || '—'}`)) },
      { title: '状态', width: 68, render: (c) => (c.active ? tag('启用', 'success') : tag('停用', 'default')) },
      { title: '待推送', width: 64, align: 'right', render: (c) => h('span', { title: c.pending && c.next_attempt_at ? `下次推送 ${formatTime(c.next_attempt_at)}` : null }, count(c.pending)) },
      { title: '已送达', width: 64, align: 'right', render: (c) => count(c.delivered) },
      { title: '推送失败', width: 76, align: 'right', render: (c) => (c.failed > 0
        ? h('button', { type: 'button', class: 'link link-danger text-danger', 'data-failed': c.failed, title: '查看推送失败的记录', onclick: () => showDeliveries(c, 'failed') }, String(c.failed))
        : count(c.failed)) },
      { title: '最近送达', width: 134, className: 'nowrap', render: (c) => (c.last_delivered_at ? formatTime(c.last_delivered_at) : h('span', { class: 'muted' }, '尚未送达')) },
      { title: '最近错误', width: 160, render: (c) => (c.last_error ? h('span', { class: 'detail-cell text-danger', title: c.last_error }, c.last_error) : '') },
      {
        title: '操作', width: 170, className: 'col-actions',
        render: (c) => h('div', { class: 'row-actions row-actions-wrap' },
          h('button', { type: 'button', class: 'link', 'data-action': 'deliveries', title: '查看推送记录', onclick: () => showDeliveries(c) }, '推送记录'),
          h('button', { type: 'button', class: 'link', 'data-action': 'test', title: '向回调地址发送一条签名的测试消息', onclick: (e) => ping(c, e.currentTarget) }, '测试推送'),
          h('button', { type: 'button', class: 'link', 'data-action': 'edit-url', onclick: () => editUrl(c) }, '修改地址'),
          h('button', { type: 'button', class: 'link', 'data-action': 'rotate-secret', onclick: () => rotateSecret(c) }, '更换密钥'),
          c.active
            ? h('button', { type: 'button', class: 'link link-danger', 'data-action': 'disable', onclick: () => setActive(c, false) }, '停用')
            : h('button', { type: 'button', class: 'link', 'data-action': 'enable', onclick: () => setActive(c, true) }, '启用'),
          h('button', { type: 'button', class: 'link link-danger', 'data-action': 'delete', onclick: () => remove(c) }, '删除')),
      },
    ],
    empty: '尚未配置回调地址',
    load: async () => ({ items: (await api.get('/callbacks')).items, next_cursor: null }),
    onLoad: (items) => {
      callbacks = items;
      const none = items.length === 0;
      listCard.hidden = none;
      emptyCard.hidden = !none;
      if (chosen) {
        const still = items.find((c) => c.id === chosen.id);
        if (still) {
          chosen = still;
          deliveriesTitle.textContent = `推送记录 · ${who(still)}`;
        } else {
          hideDeliveries();
        }
      }
    },
  });

  const newBtn = () => h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'new-callback', onclick: openCreate }, icon('plus'), '新增回调');
  const listCard = card({ title: '回调地址', className: 'card-table', body: table.el });
  const emptyCard = h('section', { class: 'card', hidden: true, 'data-testid': 'callbacks-empty' },
    emptyState('尚未配置回调地址', PURPOSE),
    h('div', { class: 'empty-action' }, newBtn()));

  // ---- one callback's deliveries
  const deliveriesTitle = h('span');
  const seg = h('div', { class: 'seg', role: 'tablist', 'aria-label': '推送状态' }, FILTERS.map(([v, label]) =>
    h('button', { type: 'button', role: 'tab', class: ['seg-btn', v === status && 'active'], 'data-status': v || 'all', onclick: () => setStatus(v) }, label)));
  const loaded = h('span', { class: 'muted', 'data-testid': 'deliveries-note' });
  const deliveries = dataTable({
    mode: 'more',
    pageSize: 50,
    minWidth: 1000,
    columns: [
      { title: '编号', width: 214, render: (d) => h('a', { class: 'mono', href: `#/events/${d.event_id}`, 'data-event-id': d.event_id, 'data-number': d.number }, d.number) },
      { title: '动作', width: 96, render: (d) => d.action_label },
      { title: '状态', width: 96, render: (d) => (d.state_label ? tag(d.state_label, stateKind(d.to_state)) : '') },
      { title: '生成时间', width: 150, className: 'nowrap', render: (d) => formatTime(d.created_at, { seconds: true }) },
      { title: '推送结果', render: resultCell },
      { title: '送达时间 / 下次重试', width: 164, className: 'nowrap', render: whenCell },
      { title: '操作', width: 84, className: 'col-actions', render: (d) => (d.status === 'failed'
        ? h('button', { type: 'button', class: 'link', 'data-action': 'retry', onclick: (e) => retry(d, e.currentTarget) }, '重新推送')
        : '') },
    ],
    rowClass: (d) => `delivery-${d.status}`,
    empty: () => (status ? `没有${STATUSES[status][0]}的记录` : '还没有推送记录：该账号上报的事件有办理进展时，将在这里列出每一次推送'),
    load: (cursor, limit) => api.get(`/callbacks/${chosen.id}/deliveries`, { status, cursor, limit }),
  });
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'refresh-deliveries', onclick: () => refreshAll() }, icon('refresh'), '刷新');
  const closeBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'close-deliveries', onclick: () => hideDeliveries() }, '收起');
  const deliveriesCard = h('section', { class: 'card card-table', hidden: true, 'data-testid': 'deliveries' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, deliveriesTitle), h('div', { class: 'card-extra card-extra-row' }, refreshBtn, closeBtn)),
    h('div', { class: 'tabs-head' }, seg, h('div', { class: 'tabs-extra' }, loaded)),
    deliveries.el);

  function resultCell(d) {
    const [label, kind] = STATUSES[d.status] || [d.status_label || d.status, 'default'];
    const n = d.attempts || 0;
    const tried = d.status === 'delivered' ? (n > 1 ? `尝试 ${n} 次后送达` : '') : n > 0 ? `已尝试 ${n} 次` : '尚未推送';
    // The receiver's answer: its HTTP status, and what went wrong (unless that names the status already).
    const code = d.last_status ? `HTTP ${d.last_status}` : null;
    const error = d.last_error || '';
    const answer = error ? (code && !error.includes(String(d.last_status)) ? `${code} · ${error}` : error) : code;
    return h('div', { class: 'cell-2' },
      h('span', { class: 'delivery-line' }, tag(d.status_label || label, kind), tried ? h('span', { class: 'muted' }, tried) : null),
      answer ? h('span', { class: ['sub', d.status !== 'delivered' && error && 'text-danger'], title: d.last_error || answer }, answer) : null);
  }

  function whenCell(d) {
    if (d.status === 'delivered') return formatTime(d.delivered_at, { seconds: true });
    if (d.status === 'pending') {
      if (!d.next_at) return h('span', { class: 'muted' }, '排队中');
      return h('div', { class: 'cell-2' }, h('span', null, formatTime(d.next_at, { seconds: true })), h('span', { class: 'sub' }, d.attempts > 0 ? '下次重试' : '计划推送'));
    }
    return h('span', { class: 'muted' }, '已停止重试');
  }

  function showDeliveries(c, filter = '') {
    const same = chosen && chosen.id === c.id;
    chosen = c;
    deliveriesTitle.textContent = `推送记录 · ${who(c)}`;
    deliveriesCard.hidden = false;
    table.refresh({ quiet: true }); // marks the chosen row
    if (!same || filter !== status) setStatus(filter);
    else deliveries.reload();
    deliveriesCard.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  function hideDeliveries() {
    chosen = null;
    deliveriesCard.hidden = true;
    table.refresh({ quiet: true });
  }

  function setStatus(v) {
    status = v;
    for (const b of seg.children) {
      const on = (b.dataset.status === 'all' ? '' : b.dataset.status) === v;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    deliveries.reload();
  }

  // The queue moves on its own: both tables follow it quietly, the deliveries
  // only while no further page has been loaded (a refresh starts from the top).
  function refreshAll({ quiet = false } = {}) {
    table.refresh({ quiet });
    if (chosen && !(quiet && deliveries.items.length > 50)) deliveries.refresh({ quiet });
  }
  const timer = setInterval(() => {
    if (!document.hidden && !document.querySelector('dialog[open]')) refreshAll({ quiet: true });
  }, REFRESH_MS);

  // ---- actions
  async function retry(d, button) {
    const restore = busy(button, '正在提交…');
    try {
      await api.post(`/callbacks/${chosen.id}/deliveries/${d.id}/retry`);
      toast(`${d.number}（${d.action_label}）已重新加入推送队列`);
    } catch (e) {
      restore();
      toastError(e, '重新推送失败');
    }
    refreshAll();
  }

  // 测试推送: a signed {"action":"ping"} to the address; nothing is queued.
  async function ping(c, button) {
    const restore = busy(button, '正在推送…');
    try {
      const res = await api.post(`/callbacks/${c.id}/test`);
      if (res.ok) toast(`测试推送成功：对方返回 HTTP ${res.status}，用时 ${res.elapsed_ms} 毫秒`);
      else toast(`测试推送失败：${res.error}`, 'error', { timeout: 8000 });
    } catch (e) {
      toastError(e, '测试推送失败');
    }
    restore();
  }

  async function setActive(c, active) {
    if (!active) {
      const ok = await confirmDialog({
        title: '停用回调',
        message: `停用后将暂停向 ${who(c)}的回调地址推送事件办理进展；停用期间的进展仍会排队，重新启用后按顺序补推。确定停用吗？`,
        okText: '停用',
        danger: true,
      });
      if (!ok) return;
    }
    try {
      await api.patch(`/callbacks/${c.id}`, { active });
      toast(active ? `已启用 ${c.username} 的回调` : `已停用 ${c.username} 的回调`);
      refreshAll();
    } catch (e) {
      toastError(e, active ? '启用失败' : '停用失败');
    }
  }

  async function remove(c) {
    const ok = await confirmDialog({
      title: '删除回调',
      message: `删除后不再向 ${who(c)}推送事件办理进展，该回调的推送记录一并删除，且无法恢复。确定删除吗？`,
      okText: '删除',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/callbacks/${c.id}`);
      toast(`已删除 ${c.username} 的回调`);
      if (chosen && chosen.id === c.id) hideDeliveries();
      table.reload();
    } catch (e) {
      toastError(e, '删除失败');
    }
  }

  async function rotateSecret(c) {
    const ok = await confirmDialog({
      title: '更换签名密钥',
      message: `将为 ${who(c)}生成新的签名密钥，原密钥立即失效。对接系统须改用新密钥验签，否则会把推送当作伪造请求拒收。确定更换吗？`,
      okText: '更换密钥',
      danger: true,
    });
    if (!ok) return;
    try {
      const res = await api.post(`/callbacks/${c.id}/secret`);
      table.refresh();
      await showSecret({ title: '签名密钥已更换', lead: `${who(c)}的新签名密钥：`, secret: res.secret });
    } catch (e) {
      toastError(e, '更换密钥失败');
    }
  }

  function editUrl(c) {
    const form = h('form', { novalidate: true, id: 'callback-url-form' },
      field({ label: '回调地址', name: 'url', required: true, value: c.url, placeholder: 'https://12345.example.gov.cn/tiaokuai/callback', hint: '以 http:// 或 https:// 开头，对接系统须在此地址接收 POST 请求', attrs: { maxlength: 2048 } }));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'callback-url-form', 'data-action': 'save-url' }, '保存');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '修改回调地址',
      width: 560,
      body: [h('p', { class: 'dialog-lead' }, `对接账号：${who(c)}`), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    const input = form.querySelector('[name="url"]');
    input.focus();
    input.select();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const { url } = formValues(form);
      if (!checkUrl(form, url)) return;
      if (url === c.url) {
        d.close(false);
        return;
      }
      const restore = busy(submit, '正在保存…');
      try {
        await api.patch(`/callbacks/${c.id}`, { url });
        restore();
        d.close(true);
        toast('回调地址已修改');
        refreshAll();
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  async function openCreate() {
    let accounts = [];
    try {
      accounts = (await api.get('/users', { role: 'integration', limit: 500 })).items;
    } catch (e) {
      toastError(e, '对接账号加载失败');
      return;
    }
    const taken = new Set(callbacks.map((c) => c.user_id));
    const usable = accounts.filter((u) => !u.disabled && !taken.has(u.id));
    const options = [{ value: '', label: usable.length ? '请选择对接账号' : '没有可选的对接账号' },
      ...accounts.map((u) => ({ value: String(u.id), label: `${u.display_name}（${u.username}）${taken.has(u.id) ? ' · 已配置' : u.disabled ? ' · 已停用' : ''}` }))];
    const form = h('form', { novalidate: true, id: 'callback-create-form' },
      usable.length ? null : h('div', { class: 'alert alert-info' }, icon('info'),
        h('div', null, accounts.length
          ? '现有的对接账号都已配置回调地址（或已停用）。如需接入新的系统，请先在「用户管理」中新建角色为「接口对接」的账号。'
          : '还没有对接账号。请先在「用户管理」中新建角色为「接口对接」的账号。')),
      field({ label: '对接账号', name: 'user_id', type: 'select', required: true, options, value: usable.length === 1 ? String(usable[0].id) : '', hint: '角色为「接口对接」的账号，每个账号可配置一个回调地址' }),
      field({ label: '回调地址', name: 'url', required: true, placeholder: 'https://12345.example.gov.cn/tiaokuai/callback', hint: '以 http:// 或 https:// 开头，对接系统须在此地址接收 POST 请求', attrs: { maxlength: 2048 } }));
    for (const opt of form.querySelectorAll('[name="user_id"] option')) {
      const u = accounts.find((x) => String(x.id) === opt.value);
      if (u && (u.disabled || taken.has(u.id))) opt.disabled = true;
    }
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'callback-create-form', 'data-action': 'create-callback', disabled: !usable.length }, '创建');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '新增回调',
      width: 560,
      body: [h('p', { class: 'dialog-lead' }, '该账号上报的事件每有办理进展（受理、交办、签收、反馈、结案等），都会以 JSON 推送到回调地址。签名密钥在创建成功后只显示一次。'), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector(usable.length === 1 ? '[name="url"]' : '[name="user_id"]').focus();

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      let ok = true;
      if (!v.user_id) {
        setFieldError(form, 'user_id', '请选择对接账号');
        ok = false;
      }
      if (!checkUrl(form, v.url)) ok = false;
      if (!ok) {
        const first = form.querySelector('.has-error .input');
        if (first) first.focus();
        return;
      }
      const restore = busy(submit, '正在创建…');
      try {
        const created = await api.post('/callbacks', { user_id: Number(v.user_id), url: v.url });
        restore();
        d.close(true);
        toast(`已为 ${created.username} 配置回调`);
        table.reload();
        await showSecret({ title: '回调已创建', lead: `${who(created)}的签名密钥：`, secret: created.secret });
      } catch (err) {
        restore();
        showFormError(form, err, { fieldForCode: { callback_exists: 'user_id' } });
      }
    });
  }

  function checkUrl(form, url) {
    if (!url) return !setFieldError(form, 'url', '请输入回调地址');
    if (!URL_RE.test(url)) return !setFieldError(form, 'url', '回调地址须以 http:// 或 https:// 开头，如 https://12345.example.gov.cn/callback');
    return true;
  }

  root.append(
    pageHeader({
      title: '接口对接',
      crumbs: ['系统管理', '接口对接'],
      desc: `${PURPOSE}推送失败会自动重试，重试 10 次仍未成功的可在推送记录中重新推送。`,
      actions: newBtn(),
    }),
    listCard,
    emptyCard,
    deliveriesCard);
  table.reload();
  return () => clearInterval(timer);
}

// The secret of a callback, shown once, with how the receiver checks a push.
function showSecret({ title, lead, secret }) {
  return secretDialog({
    title,
    lead,
    secret,
    what: '密钥',
    width: 600,
    className: 'dialog-key',
    note: '签名密钥只显示这一次，关闭后无法再次查看。请通过安全渠道交给对接系统的技术人员；如遗失，可在列表中「更换密钥」。',
    extra: h('div', { class: 'sign-help' },
      h('div', { class: 'sign-help-title' }, icon('info'), '对接系统如何验签'),
      h('p', null, '每次推送都是一条 JSON 的 POST 请求，请求头带有：'),
      h('pre', { class: 'json' }, 'X-Tiaokuai-Signature: t=<时间戳>,v1=<签名>\nX-Tiaokuai-Delivery: <推送编号>'),
      h('p', null, '签名 = ', h('code', null, 'HMAC-SHA256(密钥, "t.body")'),
        ' 的十六进制值，其中 t 为请求头中的时间戳（秒），body 为原始请求体。签名不符的请求应拒收；同一条推送重试时推送编号不变，可据此去重。')),
  });
}
