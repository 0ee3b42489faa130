// event-new.js - #/events/new (event.create): the command room or the hotline
// registers an event: category (tree), description, place (乡镇 → 村（社区） → 网格,
// or longitude/latitude resolved by /locate), urgency, source, reporter. The
// routing suggestion (GET /api/v1/route) and the grid's open events of the same type
// show before submitting; after 201 the page opens the event and hands over any
// possible duplicates.

import { api, requestKeys, sendAgain } from './api.js';
import { h, icon, pageHeader, card, field, busy, clearErrors, setFieldError, showFormError, toast, tag, toastError, formatTime } from './ui.js';
import { SOURCES, URGENCIES, LIMIT_UNITS, STAGES, loadCategories, findLeaf, openSimilar } from './evlib.js';
import { listAll } from './evui.js';

const LISTS = { power: '权责清单', service: '政务服务清单', territorial: '属地管理事项责任清单' };
const SUBJECT_KINDS = { module: '乡镇模块', department: '县级部门', team: '执法队', command: '指挥室', institution: '乡镇站所' };

function select(name, options, { placeholder, value = '', disabled = false } = {}) {
  const el = h('select', { class: 'input', name, disabled },
    placeholder !== undefined ? h('option', { value: '' }, placeholder) : null,
    options.map((o) => h('option', { value: o.value }, o.label)));
  el.value = value;
  return el;
}

function item(label, control, { required = false, hint, wide = false } = {}) {
  return h('div', { class: ['form-item', wide && 'form-item-wide'] },
    h('div', { class: 'form-label' }, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null, label),
    h('div', { class: 'form-control' }, control, h('div', { class: 'form-error', role: 'alert' }), hint ? h('div', { class: 'form-hint' }, hint) : null));
}

export async function render(root, ctx) {
  let tree = [];
  try {
    tree = await loadCategories();
  } catch (e) {
    toastError(e, '事件类别加载失败');
  }

  // ---- category: class → leaf
  const classSel = select('category_class', tree.map((c) => ({ value: c.code, label: `${c.code} ${c.name}` })), { placeholder: '请选择大类' });
  const leafSel = select('category', [], { placeholder: '请选择小类', disabled: true });
  const catHint = h('div', { class: 'form-hint cat-hint' });
  classSel.addEventListener('change', () => {
    const c = tree.find((x) => x.code === classSel.value);
    leafSel.replaceChildren(h('option', { value: '' }, '请选择小类'),
      ...(c ? c.children : []).filter((l) => l.active !== false).map((l) => h('option', { value: l.code }, `${l.code} ${l.name}`)));
    leafSel.disabled = !c;
    onCategory();
  });
  leafSel.addEventListener('change', onCategory);

  // ---- place: township → village → grid, or coordinates
  const township = select('township', [], { placeholder: '正在加载…', disabled: true });
  const village = select('village', [], { placeholder: '请先选择乡镇', disabled: true });
  const grid = select('grid_id', [], { placeholder: '请先选择村（社区）', disabled: true });
  const lng = h('input', { class: 'input', name: 'lng', type: 'number', step: 'any', placeholder: '经度，如 118.8594', inputmode: 'decimal' });
  const lat = h('input', { class: 'input', name: 'lat', type: 'number', step: 'any', placeholder: '纬度，如 28.9700', inputmode: 'decimal' });
  const locateBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'locate', onclick: () => locate() }, icon('pin'), '定位网格');
  const located = h('div', { class: 'form-hint located' });
  let mode = 'grid';
  let located_grid = null; // {id, name, path}
  const modeBtns = h('div', { class: 'seg', role: 'tablist' },
    h('button', { type: 'button', class: 'seg-btn active', 'data-mode': 'grid', onclick: () => setMode('grid') }, '按网格选择'),
    h('button', { type: 'button', class: 'seg-btn', 'data-mode': 'point', onclick: () => setMode('point') }, '按经纬度'));
  const gridPane = h('div', { class: 'place-pane' }, h('div', { class: 'place-row' }, township, village, grid));
  const pointPane = h('div', { class: 'place-pane', hidden: true }, h('div', { class: 'place-row' }, lng, lat, locateBtn), located);
  function setMode(m) {
    mode = m;
    for (const b of modeBtns.children) b.classList.toggle('active', b.dataset.mode === m);
    gridPane.hidden = m !== 'grid';
    pointPane.hidden = m !== 'point';
    onPlace();
  }

  listAll('/units', { kind: 'township' }).then((items) => {
    township.replaceChildren(h('option', { value: '' }, '请选择乡镇（街道）'), ...items.map((u) => h('option', { value: u.id }, u.name)));
    township.disabled = false;
    if (items.length === 1) {
      township.value = String(items[0].id);
      loadVillages();
    }
    if (!items.length) {
      township.replaceChildren(h('option', { value: '' }, '无可选乡镇，请按经纬度'));
      setMode('point');
    }
  }).catch((e) => {
    township.replaceChildren(h('option', { value: '' }, '乡镇加载失败'));
    toastError(e, '乡镇列表加载失败');
  });
  township.addEventListener('change', loadVillages);
  village.addEventListener('change', loadGrids);
  grid.addEventListener('change', onPlace);

  async function loadVillages() {
    village.replaceChildren(h('option', { value: '' }, township.value ? '正在加载…' : '请先选择乡镇'));
    village.disabled = true;
    grid.replaceChildren(h('option', { value: '' }, '请先选择村（社区）'));
    grid.disabled = true;
    onPlace();
    if (!township.value) return;
    try {
      const items = await listAll(`/units/${township.value}/children`, { kind: 'village' });
      village.replaceChildren(h('option', { value: '' }, '请选择村（社区）'), ...items.map((u) => h('option', { value: u.id }, u.name)));
      village.disabled = false;
    } catch (e) {
      toastError(e, '村（社区）列表加载失败');
    }
  }

  async function loadGrids() {
    grid.replaceChildren(h('option', { value: '' }, village.value ? '正在加载…' : '请先选择村（社区）'));
    grid.disabled = true;
    onPlace();
    if (!village.value) return;
    try {
      const items = await listAll(`/units/${village.value}/children`, { kind: 'grid' });
      grid.replaceChildren(h('option', { value: '' }, '请选择网格'), ...items.map((u) => h('option', { value: u.id }, u.name)));
      grid.disabled = false;
      if (items.length === 1) {
        grid.value = String(items[0].id);
        onPlace();
      }
    } catch (e) {
      toastError(e, '网格列表加载失败');
    }
  }

  async function locate() {
    clearErrors(form);
    const x = Number(lng.value);
    const y = Number(lat.value);
    located_grid = null;
    if (!lng.value || !Number.isFinite(x)) { setFieldError(form, 'lng', '请输入经度'); return; }
    if (!lat.value || !Number.isFinite(y)) { setFieldError(form, 'lat', '请输入纬度'); return; }
    const restore = busy(locateBtn, '定位中…');
    try {
      const r = await api.get('/locate', { lng: x, lat: y });
      located_grid = r.grid;
      located.replaceChildren(icon('pin', 'icon icon-xs'), ` ${[r.county, r.township, r.village].filter(Boolean).map((u) => u.name).join(' › ')} › `, h('b', null, r.grid.name));
      located.classList.remove('is-error');
    } catch (e) {
      located.textContent = e.detail || '定位失败';
      located.classList.add('is-error');
    } finally {
      restore();
      onPlace();
    }
  }
  lng.addEventListener('change', () => { located_grid = null; located.textContent = ''; onPlace(); });
  lat.addEventListener('change', () => { located_grid = null; located.textContent = ''; onPlace(); });

  // ---- the rest of the form
  const urgency = select('urgency', Object.entries(URGENCIES).map(([v, [l]]) => ({ value: v, label: l })), { placeholder: '按类别默认' });
  const source = select('source', Object.entries(SOURCES).map(([v, l]) => ({ value: v, label: l })), { value: ctx.user.role === 'integration' ? 'hotline' : 'hotline' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg', 'data-action': 'create-event' }, icon('check'), '提交登记');
  const form = h('form', { class: 'form-grid ev-form', novalidate: true },
    item('事件类别', h('div', { class: 'inline-fields' }, classSel, leafSel), { required: true, wide: true }),
    h('div', { class: 'form-item-wide' }, catHint),
    field({ label: '事件描述', name: 'description', type: 'textarea', required: true, wide: true, placeholder: '时间、地点、人物、经过，尽量具体', attrs: { maxlength: 2000, rows: 4 } }),
    field({ label: '事件标题', name: 'title', wide: true, placeholder: '选填，留空则按“类别（网格）”自动生成', attrs: { maxlength: 60 } }),
    item('发生地点', h('div', null, modeBtns, gridPane, pointPane), { required: true, wide: true }),
    field({ label: '详细地址', name: 'address', wide: true, placeholder: '选填，如 航埠镇兴航路 12 号门口', attrs: { maxlength: 200 } }),
    item('紧急程度', urgency, { hint: '留空按类别的默认紧急程度' }),
    item('事件来源', source, { required: true }),
    field({ label: '反映人姓名', name: 'reporter_name', placeholder: '选填', attrs: { maxlength: 32 } }),
    field({ label: '联系电话', name: 'reporter_phone', type: 'tel', placeholder: '选填', attrs: { maxlength: 20, inputmode: 'tel' } }),
    h('div', { class: 'form-actions form-item-wide' }, submit,
      h('a', { class: 'btn btn-lg', href: '#/events' }, '取消')));

  // ---- routing suggestion
  const suggestion = h('div', { class: 'route-box', 'data-testid': 'route-suggestion' });
  let routeSeq = 0;
  function placeQuery() {
    if (mode === 'grid') return grid.value ? { unit_id: grid.value } : null;
    if (located_grid) return { unit_id: located_grid.id };
    return null;
  }
  function onCategory() {
    const leaf = findLeaf(tree, leafSel.value);
    if (leaf) {
      const lim = leaf.limits && (leaf.limits[urgency.value || leaf.default_urgency] || leaf.limits.normal);
      const parts = lim ? ['dispatch', 'sign', 'handle', 'total'].filter((s) => lim[s]).map((s) => `${STAGES[s]} ${lim[s].amount} ${lim[s].label || LIMIT_UNITS[lim[s].unit]}`) : [];
      catHint.replaceChildren(...[
        leaf.accept_condition ? h('div', null, h('b', null, '立案条件：'), leaf.accept_condition) : null,
        leaf.close_condition ? h('div', null, h('b', null, '结案条件：'), leaf.close_condition) : null,
        parts.length ? h('div', null, h('b', null, '时限：'), parts.join(' · ')) : null,
        h('div', null, h('b', null, '默认紧急程度：'), leaf.default_urgency_label || '')].filter(Boolean));
    } else {
      catHint.replaceChildren();
    }
    updateRoute();
  }
  urgency.addEventListener('change', onCategory);
  function onPlace() { updateRoute(); }

  // ---- the same problem registered already: the grid's open events of the type this week
  const similarBox = h('div', { 'data-testid': 'similar' });
  let similarSeq = 0;
  async function updateSimilar(place) {
    const my = ++similarSeq;
    similarBox.replaceChildren();
    if (!leafSel.value || !place) return;
    let open;
    try {
      open = await openSimilar(leafSel.value, place.unit_id);
    } catch {
      return; // only a hint
    }
    if (my !== similarSeq || !open.length) return;
    similarBox.replaceChildren(h('div', { class: 'alert alert-warning similar' }, icon('warn'), h('div', null,
      h('b', null, `该网格近 7 天已有 ${open.length} 件同类事件在办：`),
      h('ul', { class: 'similar-list' }, open.slice(0, 5).map((e) => h('li', null,
        h('a', { href: `#/events/${e.id}`, class: 'mono', 'data-id': e.id }, e.number), ` ${e.state_label} · ${formatTime(e.created_at)}`,
        h('div', { class: 'sub' }, e.description)))),
      h('div', null, '如是同一问题，请在该事件上备注来电情况，无需重复登记。'))));
  }

  async function updateRoute() {
    const my = ++routeSeq;
    const place = placeQuery();
    updateSimilar(place);
    if (!leafSel.value || !place) {
      suggestion.replaceChildren(h('div', { class: 'route-empty muted' }, icon('route', 'icon icon-lg'), h('p', null, '选择事件小类和发生地点后，这里显示按三张清单匹配的责任主体')));
      return;
    }
    if (!ctx.can('route.read')) {
      suggestion.replaceChildren(h('p', { class: 'muted' }, '您无权查询分派建议'));
      return;
    }
    suggestion.replaceChildren(h('p', { class: 'muted' }, '正在匹配清单…'));
    try {
      const r = await api.get('/route', { category: leafSel.value, ...place });
      if (my !== routeSeq) return;
      if (r.out_of_list) {
        suggestion.replaceChildren(h('div', { class: 'alert alert-warning' }, icon('warn'), h('div', null,
          h('b', null, '清单外事项'), h('div', null, r.reason || '未匹配到清单事项'),
          h('div', null, '提交后将通知县级社会治理中心研判，决定是否纳入清单。'))));
        return;
      }
      suggestion.replaceChildren(
        h('div', { class: 'route-tag' }, tag('清单内', 'success'), r.list_item && r.list_item.delegated ? tag('赋权事项', 'primary') : null),
        h('dl', { class: 'kv kv-route' },
          h('dt', null, '清单事项'), h('dd', null, h('div', { class: 'cell-2 wrap' }, h('span', null, r.list_item.name), h('span', { class: 'sub' }, `${r.list_item.code} · ${LISTS[r.list_item.list] || r.list_item.list}`))),
          h('dt', null, '责任主体'), h('dd', { 'data-testid': 'route-subject' }, r.subject ? h('div', { class: 'cell-2 wrap' }, h('b', null, r.subject.name), h('span', { class: 'sub' }, SUBJECT_KINDS[r.subject.kind] || r.subject.kind)) : '—'),
          h('dt', null, '建议承办人'), h('dd', null, r.assignee ? r.assignee.name : h('span', { class: 'muted' }, '未指定')),
          h('dt', null, '依据'), h('dd', null, r.reason || '—')));
    } catch (e) {
      if (my !== routeSeq) return;
      suggestion.replaceChildren(h('div', { class: 'alert alert-error' }, icon('error'), h('div', null, e.detail || '匹配失败')));
    }
  }

  // ---- submit
  const keyOf = requestKeys(); // a retry of the same registration makes no second event
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = (n) => (form.querySelector(`[name="${n}"]`) || {}).value?.trim() || '';
    let ok = true;
    const fail = (n, m) => { if (!setFieldError(form, n, m)) toast(m, 'error'); ok = false; };
    if (!leafSel.value) fail('category', classSel.value ? '请选择小类' : '请选择事件类别');
    if (!v('description')) fail('description', '请填写事件描述');
    const body = { category: leafSel.value, description: v('description'), source: source.value };
    if (mode === 'grid') {
      if (!grid.value) fail('grid_id', '请选择网格');
      else body.grid_id = Number(grid.value);
    } else {
      const x = Number(lng.value);
      const y = Number(lat.value);
      if (!lng.value || !Number.isFinite(x)) fail('lng', '请输入经度');
      if (!lat.value || !Number.isFinite(y)) fail('lat', '请输入纬度');
      body.lng = x;
      body.lat = y;
    }
    for (const n of ['title', 'address', 'reporter_name', 'reporter_phone']) if (v(n)) body[n] = v(n);
    if (urgency.value) body.urgency = urgency.value;
    if (body.reporter_phone && !/^[0-9+\- ]{5,20}$/.test(body.reporter_phone)) fail('reporter_phone', '电话号码格式不正确');
    if (!ok) return;
    const restore = busy(submit, '正在提交…');
    try {
      const created = await sendAgain(() => api.post('/events', body, { idempotencyKey: keyOf(body) }));
      restore();
      const dupes = created.possible_duplicates || [];
      if (dupes.length) sessionStorage.setItem(`tk.dupes.${created.id}`, JSON.stringify(dupes));
      toast(`事件已登记：${created.number}`);
      ctx.navigate(`#/events/${created.id}`);
    } catch (err) {
      restore();
      showFormError(form, err, { fieldAlias: { grid_id: mode === 'grid' ? 'grid_id' : 'lng' } });
    }
  });

  root.append(
    pageHeader({ title: '新建事件', crumbs: ['事件办理', '新建事件'], desc: '登记群众来电、部门移交或上级交办的事件。提交前可查看按三张清单匹配的责任主体；提交后进入待受理。' }),
    h('div', { class: 'new-grid' },
      card({ title: '事件登记', body: form }),
      card({ title: '分派建议', className: 'route-card', body: [suggestion, similarBox] })));
  updateRoute();
}
