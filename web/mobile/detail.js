// detail.js - #/events/{id} on the phone: status and deadline, the facts,
// photos, the progress timeline, and big buttons for what can be done on a
// phone: 核实/核查 (pass or fail, note, photos), 自行处置 (before/after photos),
// 回访 (1–5 stars), 签收, 反馈, 退回, 备注, 催办 (the reporter, once a day), 督办 (a
// leader on the road). Other actions point to the PC workbench. An open event
// pressed by a person shows the latest instruction at the top, where its holder
// sees it first.

import { api, requestKeys } from '../console/api.js';
import { toast } from '../console/ui.js';
import {
  PHOTO_KINDS, usableActions, isOpen, countdown, subscribe, attachmentUrl, uploadSupported,
  uploadPhoto, act, refusalText, actionSpec, placeText,
} from '../console/evlib.js';
import { closeResult } from '../console/evui.js';
import {
  h, icon, header, stateBadge, lightDot, stageName, residentPhase, empty, loading, sheet, photoPicker, starInput, textArea, busyLayer, formatTime,
} from './m-ui.js';

const MOBILE = ['verify', 'self-close', 'feedback', 'sign', 'revisit', 'return', 'comment', 'supervise', 'urge'];
// Timeline rows a resident does not see: the desk's own time alerts.
const DESK_ONLY = new Set(['yellow', 'red']);
const SATISFACTION = ['', '很不满意', '不满意', '基本满意', '满意', '非常满意'];

/** A timeline row's heading: a check says how it came out, a rating its stars. */
function rowTitle(t) {
  const d = t.detail || {};
  if (t.action === 'verify' && typeof d.passed === 'boolean') {
    return t.from_state === 'verifying' ? `现场核实 · ${d.passed ? '情况属实' : '情况不属实'}` : `现场核查 · ${d.passed ? '通过' : '不通过，返工'}`;
  }
  if (t.action === 'revisit' && d.satisfaction) return `评价 ${'★'.repeat(d.satisfaction)}${'☆'.repeat(5 - d.satisfaction)} ${SATISFACTION[d.satisfaction] || ''}`;
  return t.action_label || t.action;
}

export async function render(root, ctx) {
  const id = Number(ctx.params.id);
  const resident = ctx.user.role === 'resident';
  // Back to the list it was opened from (its segment too), else the home list.
  const back = ctx.from && /^#\/(tasks|mine|notices|report)\b/.test(ctx.from) ? ctx.from : resident ? '#/mine' : '#/tasks';
  root.append(header('事件详情', { back }));
  const body = h('div', { class: 'm-page m-detail' }, loading());
  root.append(body);
  const canUpload = uploadSupported();
  let ev = null;
  let seq = 0;

  async function load(quiet = false) {
    const my = ++seq;
    try {
      const next = await api.get(`/events/${id}`);
      if (my !== seq || !root.isConnected) return;
      ev = next;
      paint();
    } catch (e) {
      if (!quiet && my === seq) body.replaceChildren(empty(e.status === 404 ? '没有找到该事件' : '加载失败', e.detail || e.message));
    }
  }

  function paint() {
    const open = isOpen(ev.state);
    const cd = open && ev.stage_deadline && ev.state !== 'suspended' ? countdown(ev.stage_deadline) : null;
    const listed = usableActions(ev, ctx.user);
    const acts = listed.filter((a) => !a.blocked);
    const urgeWait = listed.find((a) => a.action === 'urge' && a.blocked);
    // 自行处置 needs photos: without uploads it cannot succeed, so it is not offered.
    const mobileActs = acts.filter((a) => MOBILE.includes(a.action) && (a.action !== 'self-close' || canUpload));
    const others = acts.filter((a) => !MOBILE.includes(a.action));
    const photos = ev.attachments || [];
    const timeline = [...(ev.timeline || [])].filter((t) => !resident || !DESK_ONLY.has(t.action)).reverse();
    const phase = resident ? residentPhase(ev) : null;
    const pressed = open ? (ev.supervisions || []).filter((x) => x.level === 'manual').at(-1) : null;
    const end = !open && ev.closed_at ? closeResult(ev) : null; // 按期 / 超期办结

    const parts = [
      h('section', { class: 'm-card m-status' },
        h('div', { class: 'm-status-top' }, stateBadge(ev), ev.urgency !== 'normal' ? h('span', { class: 'm-badge m-badge-danger' }, ev.urgency_label) : null,
          h('span', { class: 'm-status-no', 'data-testid': 'event-number' }, ev.number)),
        h('h2', { class: 'm-status-title' }, ev.title),
        phase ? h('div', { class: 'm-status-dl', 'data-testid': 'phase' }, phase) : null,
        !resident && open && ev.stage && ev.state !== 'suspended' ? h('div', { class: 'm-status-dl' }, lightDot(ev.alert), `${stageName(ev)}环节`,
          cd ? h('b', { class: cd.overdue ? 'over' : '' }, cd.text) : null, h('span', { class: 'sub' }, `时限 ${formatTime(ev.stage_deadline)}`)) : null,
        end ? h('div', { class: 'm-status-dl', 'data-testid': 'close-result' }, lightDot(end.alert), end.label, h('span', { class: 'sub' }, formatTime(ev.closed_at))) : null,
        !resident && ev.state === 'feedback' ? h('div', { class: 'm-status-dl' }, ev.verified ? '✓ 核查通过，等待指挥室结案' : '处置已反馈，等待网格员现场核查') : null,
        ev.merged_into ? h('div', { class: 'm-status-dl', 'data-testid': 'merged-into' },
          `与事件 ${ev.merged_into.number} 为同一问题，已合并办理`, h('span', { class: 'sub' }, `该事件${ev.merged_into.state_label}${isOpen(ev.merged_into.state) ? '，办结后会通知您' : ''}`)) : null,
        pressed ? h('div', { class: 'm-pressed', 'data-testid': 'supervised' }, h('b', null, '督办'),
          h('span', null, pressed.note), h('span', { class: 'sub' }, `${pressed.by_unit || ''} · ${formatTime(pressed.at)}`)) : null,
        ev.satisfaction ? h('div', { class: 'm-status-dl' }, '评价 ', h('span', { class: 'm-stars-ro' }, '★'.repeat(ev.satisfaction), h('span', { class: 'off' }, '★'.repeat(5 - ev.satisfaction)))) : null),

      mobileActs.length || others.length || urgeWait ? h('section', { class: 'm-actions', 'data-testid': 'actions' },
        mobileActs.map((a) => h('button', { type: 'button', class: ['m-btn', 'm-btn-lg', a.action === 'comment' || a.action === 'return' || a.action === 'urge' ? '' : a.action === 'supervise' ? 'm-btn-danger' : 'm-btn-primary'], 'data-act': a.action, onclick: () => run(a) }, label(a))),
        others.length ? h('p', { class: 'm-hint' }, `${others.map((a) => a.label).join('、')}请在电脑端工作台办理`) : null,
        urgeWait ? h('p', { class: 'm-hint', 'data-testid': 'urge-wait' }, urgeWait.blocked) : null) : null,

      h('section', { class: 'm-card' },
        h('dl', { class: 'm-kv' },
          h('dt', null, '事件类型'), h('dd', null, ev.category.name),
          h('dt', null, '问题描述'), h('dd', { class: 'pre' }, ev.description),
          h('dt', null, '事发位置'), h('dd', null, placeText(ev, { sep: ' · ', county: false }), ev.address ? h('div', { class: 'sub' }, ev.address) : null),
          h('dt', null, '上报'), h('dd', null, `${ev.reporter && ev.reporter.name ? ev.reporter.name + ' · ' : ''}${formatTime(ev.created_at)}`),
          ev.assignee_unit && ctx.user.role !== 'resident' ? [h('dt', null, '承办'), h('dd', null, ev.assignee_unit.name, ev.assignee_user ? ` · ${ev.assignee_user.name}` : '')] : null)),

      h('section', { class: 'm-card' }, h('h3', { class: 'm-card-title' }, '现场照片', h('span', { class: 'sub' }, photos.length ? `${photos.length} 张` : '')),
        photos.length ? h('div', { class: 'm-thumbs', 'data-testid': 'photos' }, photos.map((p) => h('button', { type: 'button', class: 'm-thumb', onclick: () => viewPhoto(p) },
          h('img', { src: attachmentUrl(p), alt: PHOTO_KINDS[p.kind] || '照片', loading: 'lazy' }), h('span', null, PHOTO_KINDS[p.kind] || p.kind))))
          : h('p', { class: 'm-hint' }, '暂无照片')),

      h('section', { class: 'm-card' }, h('h3', { class: 'm-card-title' }, '办理进度'),
        h('ol', { class: 'm-timeline', 'data-testid': 'timeline' }, timeline.map((t, i) => h('li', { class: ['m-tl', i === 0 && 'current', t.action === 'red' && 'red'], 'data-action': t.action },
          h('div', { class: 'm-tl-head' }, h('b', null, rowTitle(t)), h('span', null, formatTime(t.at))),
          !resident || t.role === 'resident' ? h('div', { class: 'm-tl-actor' }, t.actor || '系统') : null,
          t.note && !(t.action === 'revisit' && t.note === '回访') ? h('div', { class: 'm-tl-note' }, t.note) : null))))];
    body.replaceChildren(...parts.filter(Boolean));
  }

  function label(a) {
    if (a.action === 'verify') return ev.state === 'verifying' ? '现场核实' : '现场核查';
    if (a.action === 'revisit') return resident ? '评价办理结果' : '回访评价';
    return a.label;
  }

  function viewPhoto(p) {
    sheet({ title: `${PHOTO_KINDS[p.kind] || '照片'} · ${formatTime(p.created_at)}`, body: h('img', { class: 'm-photo-full', src: attachmentUrl(p), alt: '' }), tall: true });
  }

  // ---- action sheets
  function run(a) {
    const spec = actionSpec(a.action);
    const parts = [];
    const verifying = ev.state === 'verifying';
    const submitText = { verify: verifying ? '提交核实结果' : '提交核查结果', revisit: '提交评价', sign: '确认签收', 'self-close': '提交并办结', urge: '确认催办' }[a.action] || `提交${label(a)}`;
    const submit = h('button', { type: 'button', class: 'm-btn m-btn-primary m-btn-block m-btn-lg', 'data-action': 'submit-action' }, submitText);
    let passed = true;
    let pickers = [];
    let stars = null;

    if (a.action === 'verify') {
      const seg = h('div', { class: 'm-choice' },
        h('button', { type: 'button', class: 'm-choice-btn on ok', 'data-passed': 'true', onclick: () => setPassed(true) }, icon('success'), verifying ? '情况属实' : '核查通过'),
        h('button', { type: 'button', class: 'm-choice-btn bad', 'data-passed': 'false', onclick: () => setPassed(false) }, icon('error'), verifying ? '情况不属实' : '不通过，返工'));
      function setPassed(v) {
        passed = v;
        for (const b of seg.children) b.classList.toggle('on', (b.dataset.passed === 'true') === v);
      }
      parts.push(h('div', { class: 'm-field' }, h('div', { class: 'm-label' }, verifying ? '核实结果' : '核查结果'), seg));
      if (canUpload) pickers.push(['near', photoPicker({ label: verifying ? '现场照片' : '核查照片', name: 'photo_verify' })]);
    }
    if (a.action === 'self-close' && canUpload) {
      pickers.push(['before', photoPicker({ label: '处置前照片', name: 'photo_before' })], ['after', photoPicker({ label: '处置后照片', name: 'photo_after' })]);
    }
    if (a.action === 'feedback' && canUpload) pickers.push(['after', photoPicker({ label: '处置后照片', name: 'photo_after' })]);
    if (a.action === 'revisit') {
      stars = starInput();
      parts.push(h('div', { class: 'm-field' }, h('div', { class: 'm-label' }, '您对办理结果满意吗？'), stars.el));
    }
    parts.push(...pickers.map(([, p]) => p.el));
    if (a.action === 'self-close' && !canUpload) parts.push(h('div', { class: 'm-note' }, icon('info', 'icon icon-xs'), '照片上传暂不可用；自行处置需要处置前后照片。'));
    const noteReq = spec.note === 'required';
    const noteLabel = a.action === 'verify' && verifying ? '核实情况' : a.action === 'revisit' && resident ? '意见建议' : spec.noteLabel || '说明';
    const note = textArea({ name: 'note', label: noteLabel, required: noteReq, placeholder: noteReq ? `请填写${noteLabel}` : '选填', rows: 3 });
    parts.push(note.el);
    const err = h('div', { class: 'm-alert', hidden: true, role: 'alert' });
    parts.unshift(err);
    const s = sheet({ title: label(a), body: parts, footer: submit, tall: true });

    const keyOf = requestKeys(); // pressing again after a lost answer does not act twice
    const uploaded = new Set(); // nor upload a photo twice
    submit.addEventListener('click', async () => {
      err.hidden = true;
      note.error('');
      const text = note.input.value.trim();
      if (noteReq && !text) { note.error(`请填写${noteLabel}`); return; }
      if (stars && !stars.value()) { showErr('请点击星星评分'); return; }
      if (a.action === 'self-close') {
        const have = (k) => (ev.attachments || []).filter((x) => x.kind === k).length + (pickers.find(([pk]) => pk === k)?.[1].files().length || 0);
        if (!have('before') || !have('after')) { showErr('自行处置需要处置前和处置后照片各至少一张'); return; }
      }
      const req = {};
      if (text) req.note = text;
      if (a.action === 'verify') req.passed = passed;
      if (stars) req.satisfaction = stars.value();
      const layer = busyLayer('正在提交…');
      try {
        const files = pickers.flatMap(([k, p]) => p.files().map((f) => [f, k])).filter(([f]) => !uploaded.has(f));
        for (const [i, [f, k]] of files.entries()) {
          layer.set(`正在上传照片 ${i + 1}/${files.length}…`);
          await uploadPhoto(ev.id, f, k);
          uploaded.add(f);
        }
        layer.set('正在提交…');
        const updated = await act(ev.id, a.action, req, keyOf(req));
        layer.close();
        s.close(true);
        toast(a.action === 'revisit' && resident ? '评价已提交，感谢您的反馈' : `${label(a)}已提交`);
        if (updated && updated.id) { ev = updated; paint(); } else load();
        ctx.refreshUnread();
      } catch (ex) {
        layer.close();
        showErr(ex.status === 0 || ex.status >= 502 ? '网络不佳，提交未完成。填写的内容都保留着，网络恢复后再点提交即可，不会重复办理。' : refusalText(ex));
      }
    });
    function showErr(m) {
      err.hidden = false;
      err.replaceChildren(icon('error', 'icon icon-xs'), h('span', null, m));
      err.scrollIntoView({ block: 'nearest' });
    }
  }

  await load();
  return subscribe((m) => {
    if (m && m.ids && !m.ids.includes(id)) return;
    if (!document.querySelector('dialog[open]')) load(true);
  });
}
