// event-detail.js - #/events/{id} (event.read): one event. The header (number,
// state, urgency, light, deadlines with countdowns, assignee) with the action
// buttons the server lists in `actions`; the facts (category, place, reporter
// as masked by the server, routing and 清单外); the timeline; where it is (the
// grid's outline and the point, for those who may read the territory); photos;
// supervision records and county calls. Refreshes itself on live changes.
// 打印交办单 prints the event as a form to hand over and sign (evprint.js).

import { api } from './api.js';
import { h, icon, pageHeader, card, formatTime, tag, emptyState, openDialog, toast, spinnerBlock, busy } from './ui.js';
import {
  SOURCES, STAGES, PHOTO_KINDS, ROLE_LABELS, stateLabel, usableActions, actionSpec, isOpen, subscribe,
  attachmentUrl, uploadSupported, uploadPhoto, refusalText, placeText, LIMIT_UNITS,
} from './evlib.js';
import { stateTag, urgencyTag, light, countdownEl, tickCountdowns, stars, closeResult } from './evui.js';
import { openAction, pendingText } from './event-actions.js';
import { placeMap } from './evmap.js';
import { mountPrintSheet, sheetName } from './evprint.js';

export async function render(root, ctx) {
  const id = Number(ctx.params.id);
  let ev = null;
  let seq = 0;
  const body = h('div', { class: 'ev-detail' }, spinnerBlock('正在加载事件…'));
  const header = pageHeader({
    title: '事件详情',
    crumbs: ['事件办理', '事件工作台', '事件详情'],
    actions: [
      h('a', { class: 'btn', href: backHref(), 'data-action': 'back' }, icon('left'), '返回列表'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'refresh', onclick: () => load() }, icon('refresh'), '刷新'),
      h('button', { type: 'button', class: 'btn', 'data-action': 'print', onclick: () => window.print() }, icon('audit'), h('span', null, '打印')),
    ],
  });
  root.append(header, body);

  // Possible duplicates handed over by the 新建事件 page.
  let dupes = [];
  try {
    dupes = JSON.parse(sessionStorage.getItem(`tk.dupes.${id}`) || '[]');
    sessionStorage.removeItem(`tk.dupes.${id}`);
  } catch { dupes = []; }

  async function load({ quiet = false } = {}) {
    const my = ++seq;
    try {
      const next = await api.get(`/events/${id}`);
      if (my !== seq || !root.isConnected) return;
      ev = next;
      paint();
    } catch (e) {
      if (my !== seq || quiet) return;
      body.replaceChildren(h('div', { class: 'card' }, emptyState(e.status === 404 ? '没有找到该事件' : '事件加载失败', e.detail || e.message)));
    }
  }

  let unmountSheet = () => {};
  function paint() {
    document.title = `${ev.number} · 条块工作台`;
    unmountSheet = mountPrintSheet(ev, ctx.user);
    const print = header.querySelector('[data-action="print"]');
    print.title = `打印事件${sheetName(ev)}`;
    print.lastChild.textContent = `打印${sheetName(ev)}`;
    header.querySelector('.page-title').textContent = ev.title;
    const crumbs = header.querySelectorAll('.crumbs > span:not(.crumb-sep)');
    if (crumbs.length) crumbs[crumbs.length - 1].textContent = ev.number;
    body.replaceChildren(headCard(), h('div', { class: 'detail-grid' },
      h('div', { class: 'col' }, infoCard(), timelineCard()),
      h('div', { class: 'col' }, placeCard(), photosCard(), supervisionCard(), callsCard())));
  }

  // ---- where: the village's grids, fetched once per village
  const outlines = new Map(); // village id -> Promise of its grids with their geometry
  function placeCard() {
    if (!ev.grid || !ev.village || !ctx.can('territory.read')) return null;
    const box = h('div', { class: 'place-box' }, spinnerBlock());
    if (!outlines.has(ev.village.id)) {
      outlines.set(ev.village.id, api.get('/units', { parent_id: ev.village.id, kind: 'grid', geometry: 1, limit: 100 })
        .then((page) => page.items, () => []));
    }
    const point = ev.lng !== undefined ? [Number(ev.lng), Number(ev.lat)] : null;
    outlines.get(ev.village.id).then((grids) => {
      const map = placeMap(grids, ev.grid.id, point);
      box.replaceChildren(map || h('div', { class: 'empty-line muted' }, icon('pin'), '暂无网格边界'));
    });
    const legend = h('div', { class: 'place-legend muted' },
      h('span', null, h('i', { class: 'place-swatch place-swatch-own' }), ev.grid.name),
      h('span', null, h('i', { class: 'place-swatch' }), `${ev.village.name}其他网格`),
      point ? h('span', null, h('i', { class: 'place-dot' }), '上报位置') : h('span', null, '未提供坐标'));
    return card({ title: '事发位置', extra: h('span', { class: 'muted' }, ev.township ? ev.township.name : ''), body: [box, legend] });
  }

  // ---- header card: identity, deadlines, actions
  function headCard() {
    const open = isOpen(ev.state);
    const boxes = [];
    if (open && ev.state !== 'suspended') {
      boxes.push(deadlineBox(`${ev.stage_label || STAGES[ev.stage] || ''}环节时限`, ev.stage_deadline, ev.alert, ev.stage_started_at ? `开始于 ${formatTime(ev.stage_started_at)}` : ''));
    } else if (ev.state === 'suspended') {
      boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, '当前环节'), h('div', { class: 'dl-value' }, '挂账中'), h('div', { class: 'dl-sub' }, '暂停计时，恢复办理后继续')));
    }
    if (open && ev.due_at) boxes.push(deadlineBox('总时限（结案期限）', ev.due_at, null, ''));
    else if (open) boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, '总时限（结案期限）'), h('div', { class: 'dl-value muted' }, '立案后开始计算'), h('div', { class: 'dl-sub' }, '')));
    else if (ev.closed_at) {
      const end = closeResult(ev);
      boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, light(end.alert), '办理结果'),
        h('div', { class: 'dl-value', 'data-testid': 'close-result' }, end.label),
        h('div', { class: 'dl-sub' }, `结案 ${formatTime(ev.closed_at)}${ev.due_at ? ` · 期限 ${formatTime(ev.due_at)}` : ''}`)));
    } else {
      boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, '办理结果'), h('div', { class: 'dl-value' }, stateLabel(ev)), h('div', { class: 'dl-sub' }, formatTime(ev.updated_at))));
    }
    const assignee = ev.state === 'county_called' && ev.called_unit ? ev.called_unit : ev.assignee_unit;
    boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, ev.state === 'county_called' ? '被呼叫部门' : '承办单位 / 承办人'),
      h('div', { class: 'dl-value', 'data-testid': 'assignee' }, assignee ? assignee.name : h('span', { class: 'muted' }, open ? '未交办' : '—')),
      h('div', { class: 'dl-sub' }, ev.assignee_user ? `承办人：${ev.assignee_user.name}` : '')));
    if (!open && (ev.state === 'closed' || ev.state === 'archived')) {
      boxes.push(h('div', { class: 'dl-box' }, h('div', { class: 'dl-label' }, '回访评价'),
        h('div', { class: 'dl-value' }, ev.satisfaction ? stars(ev.satisfaction) : h('span', { class: 'muted' }, '待回访')),
        h('div', { class: 'dl-sub' }, ev.satisfaction ? `${ev.satisfaction} 分` : '')));
    }

    // Blocked actions: 结案 stays visible (disabled, with the reason); others hide.
    const acts = usableActions(ev, ctx.user).filter((a) => !a.blocked || a.action === 'close');
    const blockedNote = acts.find((a) => a.blocked);
    const bar = h('div', { class: 'action-bar', 'data-testid': 'actions' },
      acts.length ? acts.map((a) => {
        const spec = actionSpec(a.action);
        const cls = a.action === 'comment' ? 'btn' : spec.kind === 'danger' ? 'btn btn-ghost-danger' : spec.kind === 'primary' ? 'btn btn-primary' : 'btn';
        return h('button', { type: 'button', class: cls, 'data-act': a.action, disabled: !!a.blocked, title: a.blocked || null, onclick: () => run(a) }, a.label);
      }) : h('span', { class: 'muted' }, ctx.can('event.act') ? '当前状态下您没有可执行的操作' : '您只能查看该事件'),
      blockedNote ? h('span', { class: 'action-note muted' }, icon('info', 'icon icon-xs'), blockedNote.blocked) : null);

    return h('section', { class: 'card ev-head' },
      h('div', { class: 'ev-head-top' },
        h('div', { class: 'ev-head-id' },
          h('span', { class: 'ev-number mono', 'data-testid': 'event-number' }, ev.number),
          stateTag(ev), urgencyTag(ev), open ? light(ev.alert, { text: true }) : null,
          ev.out_of_list ? tag('清单外', 'warning') : null,
          open && ev.supervised_at ? tag('督办', 'danger') : null,
          urges(ev) ? tag(`群众催办 ${urges(ev)} 次`, 'warning') : null,
          ev.pending ? tag('有待审批申请', 'warning') : null,
          ev.returns ? tag(`退回 ${ev.returns} 次`, 'default') : null,
          ev.reworks ? tag(`返工 ${ev.reworks} 次`, 'danger') : null,
          ev.extensions ? tag(`延期 ${ev.extensions} 次`, 'default') : null),
        h('div', { class: 'ev-head-meta muted' }, `${ev.source_label || SOURCES[ev.source] || ev.source}${ev.external_ref ? `（工单号 ${ev.external_ref}）` : ''} · 上报于 ${formatTime(ev.created_at)}`)),
      h('div', { class: 'dl-row' }, boxes),
      ev.pending ? h('div', { class: 'alert alert-warning ev-pending' }, icon('warn'), h('div', null, `待审批：${pendingText(ev)}`)) : null,
      bar);
  }

  function deadlineBox(label, iso, alert, sub, doneText) {
    return h('div', { class: 'dl-box' },
      h('div', { class: 'dl-label' }, alert ? light(alert) : null, label),
      h('div', { class: 'dl-value' }, doneText || (iso ? countdownEl(iso, 'cd-big') : h('span', { class: 'muted' }, '—'))),
      h('div', { class: 'dl-sub' }, sub || (iso ? `截止 ${formatTime(iso)}` : '')));
  }

  async function run(a) {
    const updated = await openAction(ev, a, ctx);
    if (updated) {
      if (updated.id) {
        ev = updated;
        paint();
      } else {
        load();
      }
      ctx.refreshUnread();
    }
  }

  // ---- facts
  function infoCard() {
    const place = placeText(ev);
    const rows = [
      ['事件类别', h('span', null, `${ev.category.name}`, h('code', { class: 'code-sub' }, ev.category.code))],
      ['事件描述', h('div', { class: 'ev-desc' }, ev.description)],
      ['发生地点', h('div', { class: 'cell-2 wrap' }, h('span', null, place), ev.address ? h('span', null, ev.address) : null,
        ev.lng !== undefined ? h('span', { class: 'sub mono' }, `经度 ${Number(ev.lng).toFixed(6)}，纬度 ${Number(ev.lat).toFixed(6)}`) : null)],
      ['反映人', h('span', { 'data-testid': 'reporter' }, ev.reporter && ev.reporter.name ? ev.reporter.name : '—',
        ev.reporter && ev.reporter.phone ? h('span', { class: 'muted' }, ` · ${ev.reporter.phone}`) : null)],
      ['清单事项', ev.out_of_list
        ? h('div', { class: 'alert alert-warning inline-alert' }, icon('warn'), h('div', null, h('b', null, '清单外事项'), `：${ev.routing_note || '未匹配到清单事项，由县级社会治理中心研判是否纳入清单'}`))
        : h('div', { class: 'cell-2 wrap' }, h('span', null, ev.list_item_code || '—'), ev.routing_note ? h('span', { class: 'sub' }, ev.routing_note) : null)],
      ['建议责任主体', ev.suggested_unit ? h('span', null, icon('route', 'icon icon-xs'), ' ', ev.suggested_unit.name) : h('span', { class: 'muted' }, '无')],
    ];
    if (ev.called_unit) rows.push(['乡呼县应', ev.called_unit.name]);
    if (ev.duplicate_of && !ev.merged_into) rows.push(['疑似重复', h('a', { href: `#/events/${ev.duplicate_of}` }, `与事件 #${ev.duplicate_of} 同位置同类别`)]);
    if (ev.merged && ev.merged.length) {
      rows.push(['重复上报', h('div', { class: 'cell-2 wrap', 'data-testid': 'merged' },
        h('span', null, `已合并 ${ev.merged.length} 件：`, ev.merged.map((m, i) => [i ? '、' : '', h('a', { href: `#/events/${m.id}` }, m.number)])),
        h('span', { class: 'sub' }, '办结时会一并通知这些事件的上报人'))]);
    }
    if (ev.state === 'feedback' || ev.verified) rows.push(['核查', ev.verified ? tag('核查通过', 'success') : tag('待网格员核查', 'warning')]);
    if (ev.satisfaction) rows.push(['满意度', stars(ev.satisfaction)]);
    if (ev.closed_at) rows.push(['结案时间', formatTime(ev.closed_at)]);
    const extra = [];
    if (ev.merged_into) {
      const m = ev.merged_into;
      extra.push(h('div', { class: 'alert alert-info', 'data-testid': 'merged-into' }, icon('info'), h('div', null,
        '本事件为重复上报，已合并到 ', h('a', { href: `#/events/${m.id}` }, m.number), `（${m.state_label}）一并办理。`)));
    }
    if (dupes.length) {
      extra.push(h('div', { class: 'alert alert-warning', 'data-testid': 'duplicates' }, icon('warn'), h('div', null,
        '发现可能重复的事件（100 米内、24 小时内同类别）：',
        dupes.map((d, i) => [i ? '、' : '', h('a', { href: `#/events/${d}` }, `#${d}`)]),
        '。核对为同一问题的，可用「合并重复件」合并办理。')));
    }
    return card({ title: '事件信息', body: [extra, h('dl', { class: 'kv kv-detail' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))] });
  }

  // ---- timeline
  function timelineCard() {
    const items = [...(ev.timeline || [])].reverse();
    const list = h('ol', { class: 'timeline', 'data-testid': 'timeline' }, items.map((t, i) => {
      const to = t.to_state && t.to_state !== t.from_state ? t.to_state : null;
      const d = t.detail || {};
      const extras = [];
      // An extension request's `unit` is a unit of time (work_days), not a body.
      if (t.action === 'request-extension') extras.push(d.kind === 'suspend' ? '申请挂账（暂停计时）' : `申请延长 ${d.amount} ${LIMIT_UNITS[d.unit] || d.unit}`);
      else if (d.unit) extras.push(`交办至 ${d.unit}`);
      if (d.department) extras.push(`呼叫 ${d.department}`);
      if (d.passed === true) extras.push('核查通过');
      if (d.passed === false) extras.push('核查不通过');
      if (d.approved === true) extras.push('审批同意');
      if (d.approved === false) extras.push('审批不同意');
      if (d.satisfaction) extras.push(`满意度 ${d.satisfaction} 分`);
      if (d.self_handled) extras.push('网格员自行处置');
      if (d.on_time === false) extras.push('超时');
      // Said once: a note that only repeats the action's name (立案), and what the
      // note already says (the server's note 交办至… names the unit).
      const label = t.action_label || t.action;
      const note = t.note && t.note !== label ? t.note : null;
      const said = (note || '').replace(/\s+/g, '');
      const more = extras.filter((x) => !said.includes(x.replace(/\s+/g, '')));
      const tone = t.action === 'red' ? 'red' : t.action === 'yellow' ? 'yellow' : i === 0 ? 'current' : '';
      return h('li', { class: ['tl-item', tone && `tl-${tone}`], 'data-action': t.action },
        h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-body' },
          h('div', { class: 'tl-line' },
            h('span', { class: 'tl-action' }, label),
            to ? h('span', { class: 'tl-to' }, '→ ', stateTag({ state: to })) : null,
            h('span', { class: 'tl-time', title: formatTime(t.at, { seconds: true }) }, formatTime(t.at))),
          h('div', { class: 'tl-actor' }, t.actor || '系统', t.role && ROLE_LABELS[t.role] && ROLE_LABELS[t.role] !== t.actor ? h('span', { class: 'muted' }, ` · ${ROLE_LABELS[t.role]}`) : null),
          note ? h('div', { class: 'tl-note' }, note) : null,
          more.length ? h('div', { class: 'tl-extra' }, more.join(' · ')) : null));
    }));
    return card({ title: '办理过程', extra: h('span', { class: 'muted' }, `${items.length} 条记录`), body: items.length ? list : emptyState('暂无记录') });
  }

  // ---- photos
  function photosCard() {
    const photos = ev.attachments || [];
    const grid = h('div', { class: 'thumbs', 'data-testid': 'photos' }, photos.map((p) =>
      h('button', { type: 'button', class: 'thumb', title: `${PHOTO_KINDS[p.kind] || p.kind} · ${formatTime(p.created_at)}`, onclick: () => viewPhoto(p) },
        h('img', { src: attachmentUrl(p), alt: PHOTO_KINDS[p.kind] || '现场照片', loading: 'lazy' }),
        h('span', { class: 'thumb-kind' }, PHOTO_KINDS[p.kind] || p.kind))));
    const extra = h('span', null, ctx.can('event.act') && isOpen(ev.state) && uploadSupported() ? uploadButton() : null);
    return card({ title: '现场照片', extra, body: photos.length ? grid : h('div', { class: 'empty-line muted' }, icon('image'), '暂无照片') });
  }

  function uploadButton() {
    const kind = h('select', { class: 'input input-sm', 'aria-label': '照片类型' }, Object.entries(PHOTO_KINDS).map(([v, l]) => h('option', { value: v }, l)));
    kind.value = ['handling', 'feedback'].includes(ev.state) ? 'after' : 'before';
    const input = h('input', { type: 'file', accept: 'image/*', multiple: true, hidden: true });
    const btn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'upload', onclick: () => input.click() }, icon('upload'), '上传照片');
    input.addEventListener('change', async () => {
      const files = [...input.files];
      if (!files.length) return;
      const restore = busy(btn, '上传中…');
      try {
        for (const f of files) await uploadPhoto(ev.id, f, kind.value);
        toast(`已上传 ${files.length} 张照片`);
        await load();
      } catch (e) {
        toast(refusalText(e), 'error');
      } finally {
        restore();
        input.value = '';
      }
    });
    return h('span', { class: 'card-extra-row' }, kind, btn, input);
  }

  function viewPhoto(p) {
    openDialog({
      title: `${PHOTO_KINDS[p.kind] || '现场照片'} · ${formatTime(p.created_at)}`,
      width: 820,
      className: 'dialog-photo',
      body: h('img', { class: 'photo-full', src: attachmentUrl(p), alt: PHOTO_KINDS[p.kind] || '现场照片' }),
    });
  }

  // ---- supervision and county calls
  function supervisionCard() {
    const rows = ev.supervisions || [];
    return card({
      title: '督办记录',
      extra: rows.length ? tag(`${rows.length} 次`, 'danger') : null,
      body: rows.length ? h('ul', { class: 'rec-list', 'data-testid': 'supervisions' }, rows.map((s) => h('li', { class: `rec${s.level === 'manual' ? ' rec-manual' : ''}`, 'data-level': s.level },
        h('div', { class: 'rec-line' }, s.level === 'manual' ? h('span', { class: 'rec-stamp' }, '督') : light(s.level === 'red' || !s.level ? 'red' : s.level),
          h('b', null, supervisionTitle(s)), h('span', { class: 'rec-time' }, formatTime(s.at))),
        h('div', { class: 'rec-sub' }, [
          s.level === 'manual' && s.by_unit ? `督办单位：${s.by_unit}` : null,
          s.unit ? `督办对象：${s.unit}` : null,
          s.deadline ? `${s.level === 'manual' ? '环节时限' : '原时限'} ${formatTime(s.deadline)}` : null,
          s.escalated_to ? `已上报 ${s.escalated_to}` : null].filter(Boolean).join(' · ')),
        s.note ? h('div', { class: 'rec-note' }, s.level === 'manual' ? `督办意见：${s.note}` : s.note) : null)))
        : h('div', { class: 'empty-line muted' }, icon('check'), '无督办记录'),
    });
  }

  function supervisionTitle(s) {
    if (s.level !== 'manual') return `${STAGES[s.stage] || s.stage || ''}环节超时督办`;
    return `${ROLE_LABELS[s.by_role] || ''}督办`;
  }

  function callsCard() {
    const rows = ev.county_calls || [];
    if (!rows.length && ev.state !== 'county_called') return h('span', { hidden: true });
    return card({
      title: '乡呼县应',
      body: rows.length ? h('ul', { class: 'rec-list', 'data-testid': 'county-calls' }, rows.map((c) => h('li', { class: 'rec' },
        h('div', { class: 'rec-line' }, h('b', null, c.department), h('span', { class: 'rec-time' }, `呼叫于 ${formatTime(c.called_at)}`)),
        c.reason ? h('div', { class: 'rec-note' }, c.reason) : null,
        h('div', { class: 'rec-sub' },
          c.signed_at ? `已签收 ${formatTime(c.signed_at)}` : c.deadline ? ['签收时限 ', formatTime(c.deadline), ' ', countdownEl(c.deadline)] : '待签收',
          c.responded_at ? ` · 已反馈 ${formatTime(c.responded_at)}` : '')))) : emptyState('暂无呼叫记录'),
    });
  }

  await load();
  const stopLive = subscribe((m) => {
    // A stream message names its event; a poll tick or unknown message reloads.
    if (m && m.ids && !m.ids.includes(id)) return;
    load({ quiet: true });
  });
  const stopTick = tickCountdowns(root);
  return () => {
    stopLive();
    stopTick();
    unmountSheet();
  };
}

/** How many times the reporter pressed the event (催办). */
function urges(ev) {
  return (ev.timeline || []).filter((t) => t.action === 'urge').length;
}

function backHref() {
  const box = sessionStorage.getItem('tk.events.box');
  return box ? `#/events?box=${box}` : '#/events';
}
