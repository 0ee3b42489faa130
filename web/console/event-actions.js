// event-actions.js - the small form behind each action button of the event
// detail: exactly the fields the action needs (see ACTIONS in evlib.js and
// src/gov/transitions.c), the server's refusal shown in the form.

import { api, requestKeys } from './api.js';
import { h, icon, openDialog, busy, clearErrors, setFieldError, setFormAlert, toast, field, formatTime } from './ui.js';
import { actionSpec, act, refusalText, URGENCIES, LIMIT_UNITS, uploadSupported, uploadPhoto, loadCategories, isOpen } from './evlib.js';
import { categorySelect } from './evui.js';

/** Dispatch targets from the event itself: the server lists, for the desk, the
 * township's bodies, the teams covering it and the county's departments. */
async function dispatchTargets(ev) {
  const targets = (ev.targets || []).filter((u) => u.kind !== 'department');
  return { local: targets, departments: await departments(ev) };
}

async function departments(ev) {
  return (ev.targets || []).filter((u) => u.kind === 'department');
}

/** Open events a report may repeat: the intake's possible duplicate first, then
 * the open events of the same category in the same village, newest first. */
async function mergeCandidates(ev) {
  const res = await api.get('/events', { category: ev.category.code, unit_id: ev.village.id, limit: 30 });
  const list = res.items.filter((e) => e.id !== ev.id && isOpen(e.state));
  if (ev.duplicate_of && !list.some((e) => e.id === ev.duplicate_of)) {
    try {
      const linked = await api.get(`/events/${ev.duplicate_of}`);
      if (isOpen(linked.state)) list.unshift(linked);
    } catch { /* not visible or gone: no suggestion */ }
  }
  list.sort((a, b) => (b.id === ev.duplicate_of) - (a.id === ev.duplicate_of));
  return list.slice(0, 8);
}

/** The event a typed number or id names, or null. */
async function findEvent(text) {
  if (/^\d+$/.test(text)) return Number(text);
  const res = await api.get('/events', { q: text, limit: 5 });
  const hit = res.items.find((e) => e.number === text);
  return hit ? hit.id : null;
}

function radios(name, options, value) {
  return h('div', { class: 'radio-group', role: 'radiogroup' }, options.map((o) =>
    h('label', { class: 'radio' }, h('input', { type: 'radio', name, value: o.value, checked: o.value === value }), h('span', null, o.label))));
}

function item(label, control, { required = false, hint, name } = {}) {
  return h('div', { class: 'form-item form-item-wide', 'data-field': name || '' },
    h('div', { class: 'form-label' }, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null, label),
    h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' }), hint ? h('div', { class: 'form-hint' }, hint) : null));
}

function starPicker(name) {
  const input = h('input', { type: 'hidden', name, value: '' });
  const label = h('span', { class: 'star-label muted' }, '请点击星星评分');
  const words = ['', '很不满意', '不满意', '基本满意', '满意', '非常满意'];
  const btns = [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'star-btn', 'data-star': n, 'aria-label': `${n} 分`, onclick: () => set(n) }, '★'));
  function set(n) {
    input.value = String(n);
    btns.forEach((b, i) => b.classList.toggle('on', i < n));
    label.textContent = `${n} 分 · ${words[n]}`;
    label.classList.remove('muted');
    const it = input.closest('.form-item');
    if (it) { it.classList.remove('has-error'); it.querySelector('.form-error').textContent = ''; }
  }
  return h('div', { class: 'star-picker' }, input, btns, label);
}

/** The pending request (延期/挂账/作废) in words, from the event and its timeline. */
export function pendingText(ev) {
  if (!ev.pending) return '';
  const row = [...(ev.timeline || [])].reverse().find((t) => t.detail && t.detail.kind === ev.pending && (t.detail.requested || t.action === 'request-extension'));
  if (ev.pending === 'extension') {
    const d = row && row.detail;
    const len = d && d.amount ? `延长 ${d.amount} ${LIMIT_UNITS[d.unit] || d.unit}` : '';
    return `延期申请${len ? `（${len}）` : ''}${row && row.note ? `：${row.note}` : ''}`;
  }
  if (ev.pending === 'suspend') return `挂账申请${row && row.note ? `：${row.note}` : ''}`;
  if (ev.pending === 'void') return `作废申请${row && row.note ? `：${row.note}` : ''}`;
  return ev.pending;
}

/**
 * What the toast says after an action went through: what was done and what
 * happens next, in the desk's words. ctx: {ev (before), updated, body, unit
 * (the chosen unit's name), person}.
 */
const DONE = {
  accept: () => '已立案，请及时交办',
  'verify-request': () => '已派发网格员现场核实',
  verify: ({ ev, body }) => (ev.state === 'verifying'
    ? (body.passed ? '核实属实，事件回到待受理' : '核实不属实，事件回到待受理')
    : (body.passed ? '核查通过，可以结案' : '核查不通过，已退回承办单位返工')),
  dispatch: ({ unit, person }) => `已交办给${unit}${person ? `（承办人：${person}）` : ''}`,
  reassign: ({ unit, person }) => `已改派给${unit}${person ? `（承办人：${person}）` : ''}`,
  'call-county': ({ unit }) => `已呼叫${unit}，等待部门签收`,
  sign: () => '已签收，请及时处置并反馈',
  return: () => '已退回指挥室',
  'request-extension': ({ body }) => `${body.kind === 'suspend' ? '挂账' : '延期'}申请已提交，等待指挥室审批`,
  'decide-extension': ({ body }) => (body.approve ? '已同意该申请' : '已驳回该申请'),
  suspend: () => '已挂账，暂停计时',
  resume: () => '已恢复办理，继续计时',
  feedback: () => '已反馈，等待核查',
  close: () => '已结案',
  revisit: () => '回访结果已记录',
  reject: () => '已不予立案',
  void: ({ updated }) => (updated && updated.state === 'void' ? '已作废' : '作废申请已提交，等待县级社会治理中心审批'),
  merge: () => '已合并到所选事件',
  comment: () => '备注已添加',
  urge: () => '已催办，承办单位会收到提醒',
  supervise: () => '已督办，承办单位和指挥室会收到督办通知',
};

/**
 * openAction(ev, {action, label}, ctx) → Promise<event|null>: the form for one
 * action; resolves with the updated event after success, null when cancelled.
 */
export async function openAction(ev, a, ctx) {
  const spec = actionSpec(a.action);
  const fields = spec.fields || [];
  const { label } = a;
  const form = h('form', { class: 'action-form', novalidate: true, id: `act-${a.action}` });
  const submit = h('button', { type: 'submit', class: `btn ${spec.kind === 'danger' ? 'btn-danger' : 'btn-primary'}`, form: form.id, 'data-action': 'submit-action' }, `确定${label}`);
  const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
  const d = openDialog({ title: `${label} · ${ev.number}`, width: 560, body: form, footer: [cancel, submit], className: 'dialog-action' });
  cancel.addEventListener('click', () => d.close(null));
  if (spec.hint) form.append(h('p', { class: 'dialog-lead' }, spec.hint));

  const isCenter = ctx.user.role === 'county_center';
  let noteRequired = spec.note === 'required';
  let photoInput = null;

  // ---- fields
  if (fields.includes('urgency')) {
    form.append(item('紧急程度', h('select', { class: 'input', name: 'urgency' },
      Object.entries(URGENCIES).map(([v, [l]]) => h('option', { value: v, selected: v === ev.urgency }, l))), { hint: '研判后可调整，时限随之变化', name: 'urgency' }));
  }
  if (fields.includes('category')) {
    const slot = h('div', null, h('span', { class: 'muted' }, '正在加载类别…'));
    form.append(item('事件类别', slot, { hint: '类别有误时可在立案时改正', name: 'category' }));
    loadCategories().then((tree) => slot.replaceChildren(categorySelect(tree, { value: ev.category.code, placeholder: '不修改' }))).catch(() => slot.replaceChildren(h('span', { class: 'muted' }, '类别加载失败，不修改')));
  }
  if (fields.includes('passed')) {
    const verifying = ev.state === 'verifying';
    form.append(item(verifying ? '核实结果' : '核查结果', radios('passed', [
      { value: 'true', label: verifying ? '属实' : '通过' },
      { value: 'false', label: verifying ? '不属实' : '不通过（返工）' },
    ], 'true'), { required: true, name: 'passed' }));
  }
  let unitSel = null;
  let personSel = null;
  let personItem = null;
  let peopleSeq = 0;
  // The enabled accounts of the chosen body, for the 承办人 picker; hidden when none.
  async function loadPeople(unitId) {
    const my = ++peopleSeq;
    personItem.hidden = true;
    personSel.replaceChildren(h('option', { value: '' }, '不指定，由单位签收'));
    if (!unitId) return;
    let people = [];
    try {
      const res = await api.get('/users', { unit_id: unitId, limit: 100 });
      people = (res.items || []).filter((u) => !u.disabled);
    } catch { /* no list: the event goes to the body */ }
    if (my !== peopleSeq || !people.length) return;
    const current = a.action === 'reassign' && ev.assignee_user ? ev.assignee_user.id : null;
    personSel.append(...people.map((u) => h('option', { value: u.id }, `${u.display_name || u.username}${u.id === current ? '（当前）' : ''}`)));
    personItem.hidden = false;
  }
  if (fields.includes('unit') || fields.includes('department')) {
    const dept = fields.includes('department');
    unitSel = h('select', { class: 'input', name: 'unit_id', disabled: true }, h('option', { value: '' }, '正在加载单位…'));
    const hint = h('div', { class: 'form-hint' });
    form.append(h('div', { class: 'form-item form-item-wide', 'data-field': 'unit_id' },
      h('label', { class: 'form-label', for: 'unit-pick' }, h('span', { class: 'req' }, '*'), dept ? '呼叫部门' : '交办单位'),
      h('div', { class: 'form-control' }, unitSel, h('div', { class: 'form-error', role: 'alert' }), hint)));
    unitSel.id = 'unit-pick';
    // 交办/改派 to a person of the chosen body (optional): the township's own
    // people, as far as the desk may read the users.
    if (!dept && ctx.can('user.read')) {
      personSel = h('select', { class: 'input', name: 'user_id', id: 'person-pick' });
      personItem = h('div', { class: 'form-item form-item-wide', 'data-field': 'user_id', hidden: true },
        h('label', { class: 'form-label', for: 'person-pick' }, '承办人'),
        h('div', { class: 'form-control' }, personSel, h('div', { class: 'form-error', role: 'alert' }),
          h('div', { class: 'form-hint' }, '选填。指定承办人后，事件直接进入其本人的「待办」；不指定则由单位签收。')));
      form.append(personItem);
      unitSel.addEventListener('change', () => loadPeople(unitSel.value));
    }
    (dept ? departments(ev).then((departments) => ({ local: [], departments })) : dispatchTargets(ev)).then(({ local, departments: depts }) => {
      unitSel.replaceChildren(h('option', { value: '' }, dept ? '请选择县级部门' : '请选择交办单位'));
      const suggested = a.action === 'reassign' ? null : ev.suggested_unit && ev.suggested_unit.id;
      const current = a.action === 'reassign' && ev.assignee_unit ? ev.assignee_unit.id : null;
      const mark = (u) => (u.id === suggested ? `${u.name}（建议）` : u.id === current ? `${u.name}（当前）` : u.name);
      if (local.length) unitSel.append(h('optgroup', { label: `${ev.township.name}` }, local.map((u) => h('option', { value: u.id }, mark(u)))));
      if (depts.length) unitSel.append(h('optgroup', { label: `${ev.county.name}职能部门` }, depts.map((u) => h('option', { value: u.id }, mark(u)))));
      const all = [...local, ...depts];
      if (!dept && suggested && !all.some((u) => u.id === suggested)) {
        unitSel.append(h('optgroup', { label: '清单建议' }, h('option', { value: suggested }, `${ev.suggested_unit.name}（建议）`)));
      }
      if (!dept && suggested) unitSel.value = String(suggested);
      unitSel.disabled = false;
      if (personSel) loadPeople(unitSel.value);
      if (dept && !depts.length) {
        hint.textContent = '无法获取县级部门名单，请联系县级社会治理中心';
        submit.disabled = true;
      } else if (!dept && suggested) {
        hint.textContent = `按清单「${ev.list_item_code || ''}」建议交办给${ev.suggested_unit.name}`;
      } else if (!dept && !depts.length) {
        hint.textContent = '可交办给本乡镇的指挥室、模块和执法队；县级部门名单不在您的查看范围内';
      }
    });
  }
  if (fields.includes('extension')) {
    const amount = h('input', { class: 'input', type: 'number', name: 'amount', min: 1, max: 10000, step: 1, value: '1', inputmode: 'numeric' });
    const unit = h('select', { class: 'input', name: 'unit' }, Object.entries(LIMIT_UNITS).map(([v, l]) => h('option', { value: v, selected: v === 'work_days' }, l)));
    const lenItem = item('延长时长', h('div', { class: 'inline-fields' }, amount, unit), { required: true, name: 'amount' });
    form.append(item('申请类型', radios('kind', [{ value: 'extension', label: '延期' }, { value: 'suspend', label: '挂账（暂停计时）' }], 'extension'), { name: 'kind' }), lenItem);
    const kindText = (k) => (k === 'suspend' ? '提交挂账申请' : '提交延期申请');
    submit.textContent = kindText('extension');
    form.addEventListener('change', (e) => {
      if (e.target.name !== 'kind') return;
      lenItem.hidden = e.target.value === 'suspend';
      submit.textContent = kindText(e.target.value);
    });
  }
  const approveNeeded = fields.includes('approve') || (a.action === 'void' && isCenter && ev.pending === 'void');
  if (approveNeeded) {
    if (ev.pending) form.append(h('div', { class: 'alert alert-info' }, icon('info'), h('div', null, `待审批：${pendingText(ev)}`)));
    form.append(item('审批结果', radios('approve', [{ value: 'true', label: '同意' }, { value: 'false', label: '不同意' }], 'true'), { required: true, name: 'approve' }));
  } else if (a.action === 'void' && !isCenter) {
    form.append(h('div', { class: 'alert alert-info' }, icon('info'), h('div', null, '作废需要县级社会治理中心审批，提交后等待审批。')));
  }
  if (fields.includes('satisfaction')) {
    form.append(item('满意度', starPicker('satisfaction'), { required: true, name: 'satisfaction' }));
  }
  if (fields.includes('into')) {
    const list = h('div', { class: 'merge-list', 'data-testid': 'merge-candidates' }, h('span', { class: 'muted' }, '正在查找同村同类的未办结事件…'));
    const typed = h('input', { class: 'input', name: 'into_other', placeholder: '或输入事件编号 / ID', maxlength: 40, autocomplete: 'off' });
    form.append(item('合并到', h('div', { class: 'merge-pick' }, list, typed), { required: true, name: 'into' }));
    mergeCandidates(ev).then((cands) => {
      if (!cands.length) {
        list.replaceChildren(h('span', { class: 'muted' }, '同村没有同类的未办结事件，请输入要合并到的事件编号'));
        return;
      }
      list.replaceChildren(...cands.map((c, i) => h('label', { class: 'radio merge-option', 'data-id': c.id },
        h('input', { type: 'radio', name: 'into', value: c.id, checked: i === 0 }),
        h('span', { class: 'merge-text' },
          h('b', null, c.number), ` ${c.title}`,
          h('small', null, `${c.state_label} · ${formatTime(c.created_at)}${c.id === ev.duplicate_of ? ' · 系统判断疑似重复' : ''}`)))));
    }).catch(() => list.replaceChildren(h('span', { class: 'muted' }, '候选事件加载失败，请输入事件编号')));
  }
  if (fields.includes('photos') && uploadSupported()) {
    photoInput = h('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true, class: 'input-file' });
    form.append(item('现场照片', h('div', { class: 'photo-pick' }, photoInput), { hint: '可选多张，提交时一并上传', name: 'photos' }));
  }
  const noteItem = field({
    label: spec.noteLabel || '说明', name: 'note', type: 'textarea', required: noteRequired, wide: true,
    placeholder: noteRequired ? `请填写${spec.noteLabel || '说明'}` : '选填', attrs: { maxlength: 1000, rows: 3 },
  });
  form.append(noteItem);
  if (spec.noteRequiredWhenNo) {
    form.addEventListener('change', (e) => {
      if (e.target.name !== 'approve') return;
      noteRequired = e.target.value === 'false';
      noteItem.querySelector('.req')?.remove();
      if (noteRequired) noteItem.querySelector('.form-label').prepend(h('span', { class: 'req', 'aria-hidden': 'true' }, '*'));
    });
  }
  const first = form.querySelector('textarea, select, input');
  if (first) first.focus();

  // ---- submit
  const keyOf = requestKeys(); // pressing again after a lost answer does not act twice
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const val = (n) => {
      const els = form.querySelectorAll(`[name="${n}"]`);
      for (const el of els) {
        if (el.type === 'radio') { if (el.checked) return el.value; } else return el.value.trim();
      }
      return '';
    };
    const body = {};
    let ok = true;
    const fail = (n, m) => { setFieldError(form, n, m); ok = false; };
    const note = val('note');
    if (note) body.note = note;
    if (fields.includes('urgency') && val('urgency') && val('urgency') !== ev.urgency) body.urgency = val('urgency');
    if (fields.includes('category') && val('category') && val('category') !== ev.category.code) body.category = val('category');
    if (fields.includes('passed')) body.passed = val('passed') === 'true';
    if (unitSel) {
      if (!val('unit_id')) fail('unit_id', fields.includes('department') ? '请选择县级部门' : '请选择交办单位');
      else body.unit_id = Number(val('unit_id'));
      if (personSel && !personItem.hidden && val('user_id')) body.user_id = Number(val('user_id'));
    }
    if (fields.includes('extension')) {
      body.kind = val('kind') || 'extension';
      if (body.kind === 'extension') {
        const n = Number(val('amount'));
        if (!Number.isInteger(n) || n < 1 || n > 10000) fail('amount', '请输入 1 到 10000 的整数');
        body.amount = n;
        body.unit = val('unit');
      }
    }
    if (approveNeeded) body.approve = val('approve') === 'true';
    if (fields.includes('into')) {
      const typed = val('into_other');
      if (typed) {
        const id = await findEvent(typed).catch(() => null);
        if (id) body.into = id;
        else fail('into', `没有找到编号为 ${typed} 的事件`);
      } else if (val('into')) body.into = Number(val('into'));
      else fail('into', '请选择或输入要合并到的事件');
    }
    if (fields.includes('satisfaction')) {
      const s = Number(val('satisfaction'));
      if (!s) fail('satisfaction', '请选择 1 到 5 星');
      else body.satisfaction = s;
    }
    if (noteRequired && !note) fail('note', `请填写${spec.noteLabel || '说明'}`);
    if (!ok) return;

    const restore = busy(submit, '正在提交…');
    try {
      const files = photoInput ? [...photoInput.files] : [];
      for (const [i, f] of files.entries()) {
        submit.lastChild.textContent = `正在上传照片 ${i + 1}/${files.length}…`;
        await uploadPhoto(ev.id, f, spec.photoKind || 'after');
      }
      const updated = await act(ev.id, a.action, body, keyOf(body));
      restore();
      d.close(updated);
      const picked = (sel) => (sel && sel.value ? sel.options[sel.selectedIndex].textContent.replace(/（(建议|当前)）$/, '') : '');
      const done = DONE[a.action];
      toast(done ? done({ ev, updated, body, unit: picked(unitSel), person: body.user_id ? picked(personSel) : '' }) : `${label}成功`);
    } catch (err) {
      restore();
      const name = err.field === 'unit_id' ? 'unit_id' : err.field;
      if (name && setFieldError(form, name, err.detail)) return;
      setFormAlert(form, refusalText(err));
    }
  });
  return d.closed.then((v) => v || null);
}
