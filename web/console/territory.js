// territory.js - #/territory (territory.read): 区划与组织. A tree of the units in
// the caller's scope, starting at its top unit (the city for the administrator,
// the county for a county centre, the township for a township desk), loaded one
// level at a time (GET /units/{id}/children, paged); a search over the units
// (GET /units with q, kind and class); the chosen unit's detail: code, kind,
// parent path, state, households and population and the grid worker of a grid,
// the enforcement team's coverage of a central township, its posts (岗位), its
// people (masked as the server masks them) and, with staffing.read, the staffing
// quotas (编制) of the scope and the quotas moved down (下沉) to a township.
// Above the tree, the counts of counties, townships, villages and grids.
// With territory.write: rename, disable and enable a unit; with org.write: add
// a post; with territory.export: download the territory as CSV or GeoJSON.

import { api } from './api.js';
import {
  h, icon, field, formValues, clearErrors, setFieldError, showFormError, busy, toast, toastError,
  pageHeader, card, dataTable, tag, openDialog, confirmDialog, emptyState, spinnerBlock,
} from './ui.js';

const PAGE = 100; // children per request; a county has about 40, a township about 40
const SEARCH_PAGE = 50;

// kind → [short label, tag kind]
const KINDS = {
  city: ['市', 'primary'],
  county: ['县区', 'primary'],
  township: ['乡镇', 'primary'],
  village: ['村社区', 'default'],
  grid: ['网格', 'success'],
  microgrid: ['微网格', 'success'],
  department: ['部门', 'warning'],
  command: ['指挥室', 'warning'],
  module: ['模块', 'warning'],
  institution: ['内设机构', 'default'],
  team: ['执法队', 'warning'],
};
const SEARCH_KINDS = [
  ['', '全部类型'], ['county', '县（市、区）'], ['township', '乡镇（街道）'], ['village', '村（社区）'],
  ['grid', '网格'], ['microgrid', '微网格'], ['department', '县级部门'], ['command', '综合信息指挥室'],
  ['module', '模块'], ['institution', '内设机构'], ['team', '执法队'],
];
const CLASSES = ['经济型', '生态型', '复合型', '城区型', '城郊型'];
// Kinds that hold posts (岗位): the bodies (command room, modules, departments, teams).
const POST_KINDS = new Set(['department', 'command', 'module', 'institution', 'team']);
// Units whose staffing (编制) is summed on their own: the levels that hold quotas below them.
const STAFFING_KINDS = new Set(['county', 'township']);
const SUMMARY = [
  ['counties', '县（市、区）', 1],
  ['townships', '乡镇（街道）', 2],
  ['villages', '村（社区）', 3],
  ['grids', '网格', 4],
];
const EXPORT_LEVELS = [['county', '县（市、区）'], ['township', '乡镇（街道）'], ['village', '村（社区）'], ['grid', '网格'], ['microgrid', '微网格']];
const QUOTA_KIND = { administrative: '行政编制', institutional: '事业编制' };

const fmt = (n) => (n === undefined || n === null ? '—' : Number(n).toLocaleString('zh-CN'));
// 双锁定 of a dispatched cadre: the quota and the person locked to the township.
const lockTag = (p) => {
  if (p.kind !== 'dispatched_cadre') return null;
  if (p.quota_locked && p.person_locked) return tag('双锁定', 'primary');
  if (p.quota_locked) return tag('编制锁定', 'default');
  if (p.person_locked) return tag('人员锁定', 'default');
  return null;
};
const kindTag = (u) => {
  const [label, kind] = KINDS[u.kind] || [u.kind_label || u.kind, 'default'];
  return tag(label, kind);
};

export async function render(root, ctx) {
  const canEdit = ctx.can('territory.write');
  const canPost = ctx.can('org.write');
  const canOrg = ctx.can('org.read');
  const canStaffing = ctx.can('staffing.read');
  const canExport = ctx.can('territory.export');
  const inactive = canEdit ? 1 : undefined; // editors see disabled units too, to enable them again

  const nodes = new Map(); // unit id → tree node
  let top = null; // the top unit of the caller's scope
  let current = null; // the unit shown in the detail panel
  let selSeq = 0;
  let teams = null; // GET /teams, once
  let transfers = null; // every quota transfer in scope, once

  // ---- page frame
  const kpis = h('div', { class: 'kpis', 'data-testid': 'territory-summary' });
  const treeBox = h('div', { class: 'terr-tree', role: 'tree', 'aria-label': '区划树', 'data-testid': 'tree' }, spinnerBlock());
  const resultBox = h('div', { class: 'terr-results', hidden: true, 'data-testid': 'search-results' });
  const detail = h('div', { class: 'col terr-detail', 'data-testid': 'unit-detail' });

  const qInput = h('input', { class: 'input', name: 'q', type: 'search', placeholder: '名称或编码', maxlength: 32, 'aria-label': '名称或编码' });
  const kindSel = h('select', { class: 'input', name: 'kind', 'aria-label': '单位类型', onchange: syncClass },
    SEARCH_KINDS.map(([v, label]) => h('option', { value: v }, label)));
  const classSel = h('select', { class: 'input', name: 'class', 'aria-label': '乡镇类型' },
    h('option', { value: '' }, '全部乡镇类型'), CLASSES.map((c) => h('option', { value: c }, c)));
  const searchForm = h('form', { class: 'terr-search', role: 'search' },
    h('div', { class: 'terr-search-line' }, qInput,
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, icon('search'), '查询')),
    h('div', { class: 'terr-search-line' }, kindSel, classSel));
  searchForm.addEventListener('submit', (e) => { e.preventDefault(); search(); });

  function syncClass() {
    classSel.disabled = !(kindSel.value === '' || kindSel.value === 'township');
    if (classSel.disabled) classSel.value = '';
  }

  const exportBtn = canExport
    ? h('button', { type: 'button', class: 'btn', 'data-action': 'export', onclick: openExport }, icon('download'), '导出区划')
    : null;
  const desc = h('span', null, '区划、机构、岗位与人员。');
  const header = pageHeader({ title: '区划与组织', crumbs: ['基础数据', '区划与组织'], desc, actions: exportBtn });
  root.append(header, kpis,
    h('div', { class: 'terr-layout' },
      h('section', { class: 'card terr-side' },
        h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, '区划与机构')),
        h('div', { class: 'terr-search-box' }, searchForm),
        h('div', { class: 'terr-scroll' }, treeBox, resultBox)),
      detail));

  // ---- the top of the scope, the counts, the tree
  try {
    top = await findTop();
  } catch (e) {
    treeBox.replaceChildren(h('div', { class: 'table-error' }, icon('error'), h('span', null, e.detail || '区划加载失败')));
    detail.replaceChildren(card({ body: emptyState('区划加载失败', e.detail || '请稍后重试') }));
    return;
  }
  desc.textContent = `「${top.name}」及下辖的区划、机构、岗位与人员。区划树逐级展开，点击单位查看详情。`;
  loadSummary();
  const rootNode = makeNode(top, 0);
  treeBox.replaceChildren(rootNode.li);
  // The first level and the detail load side by side: the detail does not wait for the tree.
  const opening = toggle(rootNode, true);
  const wanted = Number(ctx.query.get('unit')) || 0;
  await select(wanted || top.id, { reveal: !!wanted });
  await opening;

  // The scope's top unit, as the session names it (a desk's township, not its room).
  function findTop() {
    return api.get(`/units/${ctx.user.scope_unit_id || ctx.user.unit.id}`);
  }

  async function loadSummary() {
    const levels = SUMMARY.filter(([, , depth]) => depth > top.depth);
    kpis.style.gridTemplateColumns = `repeat(${Math.max(levels.length, 1)}, minmax(0, 1fr))`;
    const tiles = levels.map(([key, label]) => {
      const value = h('div', { class: 'kpi-value', 'data-testid': `count-${key}` }, '…');
      return { key, value, el: h('div', { class: 'kpi', 'data-kpi': key }, h('div', { class: 'kpi-label' }, icon('unit', 'icon icon-xs'), label), value, h('div', { class: 'kpi-sub' }, `${top.name}范围内，启用中`)) };
    });
    kpis.replaceChildren(...tiles.map((t) => t.el));
    try {
      const s = await api.get('/territory/summary');
      for (const t of tiles) t.value.textContent = fmt(s[t.key]);
    } catch (e) {
      for (const t of tiles) t.value.textContent = '—';
      toastError(e, '区划统计加载失败');
    }
  }

  // ---- tree
  function unitRow(u, { depth = 0, caret = null, onClick }) {
    const row = h('div', {
      class: ['terr-row', !u.active && 'is-inactive', current && current.id === u.id && 'is-current'],
      style: { paddingLeft: `${6 + depth * 14}px` },
      tabindex: 0,
      title: `${u.name}（${u.code}）`,
      dataset: { unitId: u.id, code: u.code, kind: u.kind },
      onclick: onClick,
      onkeydown: (e) => {
        if (e.target !== row) return;
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onClick(e); }
      },
    },
    caret || h('span', { class: 'terr-caret terr-caret-none', 'aria-hidden': 'true' }),
    kindTag(u),
    h('span', { class: 'terr-name' }, u.name),
    u.township_class ? tag(u.township_class, 'default') : null,
    u.active ? null : tag('停用', 'default'),
    h('code', { class: 'terr-code' }, u.code));
    return row;
  }

  function makeNode(u, depth) {
    const node = { unit: u, depth, expanded: false, loaded: false, next: null, loading: false };
    node.kids = h('div', { role: 'group', hidden: true });
    node.li = h('div', { class: 'terr-node' });
    drawNode(node);
    nodes.set(u.id, node);
    return node;
  }

  function drawNode(node) {
    const u = node.unit;
    const hasKids = u.children > 0 || node.loaded && node.kids.childElementCount > 0;
    node.caret = hasKids
      ? h('button', { type: 'button', class: 'terr-caret', 'aria-label': node.expanded ? '收起' : '展开', 'aria-expanded': String(node.expanded), 'data-action': 'toggle', onclick: (e) => { e.stopPropagation(); toggle(node); } }, icon('right', 'icon icon-xs'))
      : null;
    const row = unitRow(u, { depth: node.depth, caret: node.caret, onClick: () => { select(u.id); if (hasKids && !node.expanded) toggle(node, true); } });
    row.setAttribute('role', 'treeitem');
    if (hasKids) row.setAttribute('aria-expanded', String(node.expanded));
    row.addEventListener('keydown', (e) => {
      if (e.target !== row) return;
      if (e.key === 'ArrowRight' && hasKids && !node.expanded) toggle(node, true);
      if (e.key === 'ArrowLeft' && node.expanded) toggle(node, false);
    });
    if (node.row) node.row.replaceWith(row);
    else node.li.append(row, node.kids);
    node.row = row;
  }

  async function toggle(node, open = !node.expanded) {
    node.expanded = open;
    node.kids.hidden = !open;
    if (node.caret) {
      node.caret.setAttribute('aria-expanded', String(open));
      node.caret.setAttribute('aria-label', open ? '收起' : '展开');
      node.row.setAttribute('aria-expanded', String(open));
    }
    if (open && !node.loaded) await loadKids(node);
  }

  async function loadKids(node, cursor = null) {
    if (node.loading) return node.loading;
    const note = h('div', { class: 'terr-note', style: { paddingLeft: `${30 + (node.depth + 1) * 14}px` } }, h('span', { class: 'spinner' }), '加载中…');
    node.kids.querySelector(':scope > .terr-more')?.remove();
    node.kids.append(note);
    node.loading = (async () => {
      try {
        const res = await api.get(`/units/${node.unit.id}/children`, { limit: PAGE, cursor, include_inactive: inactive });
        note.remove();
        for (const u of res.items) {
          const old = nodes.get(u.id);
          if (old && old.li.isConnected) continue;
          node.kids.append(makeNode(u, node.depth + 1).li);
        }
        node.loaded = true;
        node.next = res.next_cursor;
        if (!node.kids.childElementCount) {
          node.kids.append(h('div', { class: 'terr-note muted', style: { paddingLeft: `${30 + (node.depth + 1) * 14}px` } }, '暂无下级单位'));
        }
        if (node.next) {
          node.kids.append(h('div', { class: 'terr-more', style: { paddingLeft: `${30 + (node.depth + 1) * 14}px` } },
            h('button', { type: 'button', class: 'link', 'data-action': 'more-children', onclick: () => loadKids(node, node.next) },
              `已显示 ${node.kids.querySelectorAll(':scope > .terr-node').length} 个，加载更多`)));
        }
      } catch (e) {
        note.replaceChildren(h('span', { class: 'text-danger' }, e.detail || '加载失败'),
          h('button', { type: 'button', class: 'link', onclick: () => { note.remove(); loadKids(node, cursor); } }, '重试'));
      } finally {
        node.loading = false;
      }
    })();
    return node.loading;
  }

  // Opens the tree down to a unit: its ancestors within the scope, one level at a time.
  async function reveal(u, ancestors) {
    const line = ancestors.filter((a) => a.depth >= top.depth).concat([u]);
    if (line[0].id !== top.id) return;
    for (let i = 0; i < line.length - 1; i++) {
      const node = nodes.get(line[i].id);
      if (!node) return;
      await toggle(node, true);
      while (!nodes.has(line[i + 1].id) && node.next) await loadKids(node, node.next);
    }
    const target = nodes.get(u.id);
    if (target) {
      markCurrent();
      target.row.scrollIntoView({ block: 'nearest' });
    }
  }

  function markCurrent() {
    for (const el of root.querySelectorAll('.terr-row.is-current')) el.classList.remove('is-current');
    if (!current) return;
    for (const el of root.querySelectorAll(`.terr-row[data-unit-id="${current.id}"]`)) el.classList.add('is-current');
  }

  // ---- search
  const found = { q: '', kind: '', cls: '', next: null, list: null };

  async function search(cursor = null) {
    const q = qInput.value.trim();
    const kind = kindSel.value;
    const cls = classSel.value;
    if (!cursor && !q && !kind && !cls) { closeSearch(); return; }
    if (!cursor) {
      Object.assign(found, { q, kind, cls, next: null });
      found.list = h('div');
      const summary = h('span', { class: 'muted', 'data-testid': 'search-count' });
      resultBox.replaceChildren(
        h('div', { class: 'terr-results-head' }, summary,
          h('button', { type: 'button', class: 'link', 'data-action': 'close-search', onclick: () => { searchForm.reset(); syncClass(); closeSearch(); } }, '返回区划树')),
        found.list);
      found.summary = summary;
      treeBox.hidden = true;
      resultBox.hidden = false;
    }
    const more = found.list.querySelector('.terr-more');
    if (more) more.remove();
    const note = h('div', { class: 'terr-note' }, h('span', { class: 'spinner' }), '查询中…');
    found.list.append(note);
    try {
      const res = await api.get('/units', { q: found.q, kind: found.kind, class: found.cls, cursor, limit: SEARCH_PAGE, include_inactive: inactive });
      note.remove();
      for (const u of res.items) found.list.append(unitRow(u, { onClick: () => select(u.id, { reveal: true }) }));
      found.next = res.next_cursor;
      const n = found.list.querySelectorAll('.terr-row').length;
      found.summary.textContent = n ? `找到 ${n} 个单位${found.next ? '，还有更多' : ''}` : '';
      if (!n) found.list.append(emptyState('没有符合条件的单位', '换个名称或编码试试'));
      if (found.next) {
        found.list.append(h('div', { class: 'terr-more' },
          h('button', { type: 'button', class: 'link', 'data-action': 'more-results', onclick: () => search(found.next) }, '加载更多')));
      }
    } catch (e) {
      note.replaceChildren(h('span', { class: 'text-danger' }, e.detail || '查询失败'));
    }
    markCurrent();
  }

  function closeSearch() {
    resultBox.hidden = true;
    resultBox.replaceChildren();
    treeBox.hidden = false;
    if (current) {
      const node = nodes.get(current.id);
      if (node && node.li.isConnected) node.row.scrollIntoView({ block: 'nearest' });
    }
  }

  // ---- detail
  async function select(id, { reveal: open = false } = {}) {
    const seq = ++selSeq;
    current = { id };
    markCurrent();
    detail.replaceChildren(card({ body: spinnerBlock() }));
    let u;
    let ancestors;
    try {
      [u, ancestors] = await Promise.all([api.get(`/units/${id}`), api.get(`/units/${id}/ancestors`).then((r) => r.items)]);
    } catch (e) {
      if (seq !== selSeq) return;
      detail.replaceChildren(card({ body: emptyState(e.status === 404 ? '没有找到该单位' : '单位信息加载失败', e.detail || '') }));
      if (id !== top.id && e.status === 404) history.replaceState(null, '', '#/territory');
      return;
    }
    if (seq !== selSeq) return;
    current = u;
    history.replaceState(null, '', id === top.id ? '#/territory' : `#/territory?unit=${id}`);
    showDetail(u, ancestors);
    markCurrent();
    if (open) await reveal(u, ancestors);
  }

  function showDetail(u, ancestors) {
    const cards = [infoCard(u, ancestors)];
    if (canStaffing && (u.id === top.id || STAFFING_KINDS.has(u.kind))) cards.push(staffingCard(u));
    if (canStaffing && u.kind === 'township') cards.push(transfersCard(u));
    if (canOrg && POST_KINDS.has(u.kind)) cards.push(postsCard(u));
    if (canOrg) cards.push(peopleCard(u));
    detail.replaceChildren(...cards);
  }

  function infoCard(u, ancestors) {
    const actions = canEdit ? h('div', { class: 'card-extra-row' },
      h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'rename', onclick: () => rename(u) }, '重命名'),
      u.active
        ? h('button', { type: 'button', class: 'btn btn-sm btn-ghost-danger', 'data-action': 'disable', onclick: (e) => setActive(u, false, e.currentTarget) }, '停用')
        : h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'enable', onclick: (e) => setActive(u, true, e.currentTarget) }, '启用')) : null;

    const path = ancestors.length
      ? h('span', { class: 'terr-path', 'data-testid': 'unit-path' }, ancestors.map((a, i) => [
        i ? h('span', { class: 'crumb-sep' }, '/') : null,
        a.depth >= top.depth
          ? h('button', { type: 'button', class: 'link', 'data-unit-id': a.id, onclick: () => select(a.id, { reveal: true }) }, a.name)
          : h('span', null, a.name)]))
      : h('span', { class: 'muted' }, '无（最高一级）');

    const rows = [
      ['单位名称', h('span', { 'data-testid': 'unit-name' }, u.name)],
      ['编码', h('code', { 'data-testid': 'unit-code' }, u.code)],
      ['类型', h('span', { 'data-testid': 'unit-kind' }, u.kind_label)],
      ['上级单位', path],
      ['状态', u.active ? tag('启用', 'success') : tag('停用', 'default')],
      ['下级单位', u.children ? `${fmt(u.children)} 个` : h('span', { class: 'muted' }, '无')],
    ];
    if (u.kind === 'township') {
      rows.push(['乡镇类型', u.township_class ? tag(u.township_class, 'primary') : h('span', { class: 'muted' }, '未分类')]);
      rows.push(['中心镇', u.is_central ? '是（综合行政执法队辐射周边乡镇）' : '否']);
    }
    const coverage = h('span', { class: 'muted' }, '加载中…');
    if (canOrg && ((u.kind === 'township' && u.is_central) || u.kind === 'team')) rows.push(['执法覆盖', coverage]);
    if (u.households !== undefined) rows.push(['户数', `${fmt(u.households)} 户`]);
    if (u.population !== undefined) rows.push(['人口', `${fmt(u.population)} 人`]);
    if (u.area_m2 !== undefined) rows.push(['面积', `${(u.area_m2 / 1e6).toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 平方千米`]);
    const worker = h('span', { class: 'muted', 'data-testid': 'grid-worker' }, '加载中…');
    if (u.kind === 'grid' && canOrg) rows.push(['网格员', worker]);

    const body = h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    const el = h('section', { class: 'card', 'data-testid': 'unit-info' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title terr-title' }, h('span', { class: 'ellipsis' }, u.name), kindTag(u)),
        actions ? h('div', { class: 'card-extra' }, actions) : null),
      h('div', { class: 'card-body' }, body));

    if (u.kind === 'grid' && canOrg) {
      api.get('/people', { unit_id: u.id, kind: 'grid_worker', limit: 10 }).then((res) => {
        worker.className = '';
        if (!res.items.length) {
          worker.replaceChildren(h('span', { class: 'text-danger' }, '未配备专职网格员'));
          return;
        }
        worker.replaceChildren(...res.items.map((p, i) => h('span', null, i ? '、' : '',
          h('span', { class: 'cell-strong', 'data-person': p.id }, p.name), p.phone ? h('span', { class: 'muted' }, `（${p.phone}）`) : null)));
      }).catch((e) => { worker.textContent = e.detail || '加载失败'; });
    }
    if (canOrg && ((u.kind === 'township' && u.is_central) || u.kind === 'team')) {
      loadTeams().then((list) => {
        const t = list.find((x) => x.team.id === u.id || x.township.id === u.id);
        coverage.className = '';
        coverage.replaceChildren(t
          ? `${t.team.name}，覆盖${t.covers.length ? t.covers.map((c) => c.name).join('、') : '本乡镇'}`
          : '暂无执法队');
      }).catch((e) => { coverage.textContent = e.detail || '加载失败'; });
    }
    return el;
  }

  function loadTeams() {
    if (!teams) teams = api.get('/teams').then((r) => r.items).catch((e) => { teams = null; throw e; });
    return teams;
  }

  // The quotas of the scope, or of one county or township of it (GET /staffing?unit_id=).
  function staffingCard(u) {
    const table = dataTable({
      pager: false,
      minWidth: 640,
      columns: [
        { title: '编制类型', width: 96, render: (l) => h('span', { class: 'cell-strong' }, l.kind_label) },
        { title: '乡镇核定', align: 'right', render: (l) => h('span', { class: 'num' }, fmt(l.township_approved)) },
        { title: '乡镇实有', align: 'right', render: (l) => h('span', { class: 'num' }, fmt(l.township_used)) },
        { title: '县级核定', align: 'right', render: (l) => h('span', { class: 'num' }, fmt(l.county_approved)) },
        { title: '县级实有', align: 'right', render: (l) => h('span', { class: 'num' }, fmt(l.county_used)) },
        { title: '下沉乡镇', align: 'right', render: (l) => h('span', { class: 'num' }, fmt(l.moved_down)) },
        { title: '乡镇占比', align: 'right', render: (l) => `${(l.township_share * 100).toFixed(1)}%` },
      ],
      empty: '暂无编制数据',
      load: async () => ({ items: (await api.get('/staffing', u.id === top.id ? {} : { unit_id: u.id })).items, next_cursor: null }),
    });
    table.reload();
    return card({ title: '编制与下沉', className: 'card-table', extra: h('span', { class: 'muted' }, `${u.name}范围内，单位：名`), body: table.el });
  }

  async function allTransfers() {
    if (!transfers) {
      transfers = (async () => {
        const out = [];
        let cursor = null;
        do {
          const res = await api.get('/quota-transfers', { limit: 500, cursor });
          out.push(...res.items);
          cursor = res.next_cursor;
        } while (cursor);
        return out;
      })().catch((e) => { transfers = null; throw e; });
    }
    return transfers;
  }

  function transfersCard(u) {
    const total = h('span', { class: 'muted', 'data-testid': 'transfer-total' });
    const table = dataTable({
      pager: false,
      minWidth: 640,
      columns: [
        { title: '来源部门', render: (t) => t.from.name },
        { title: '编制类型', width: 96, render: (t) => QUOTA_KIND[t.kind] || t.kind },
        { title: '数量', width: 72, align: 'right', render: (t) => h('span', { class: 'num' }, `${fmt(t.count)} 名`) },
        { title: '生效日期', width: 110, className: 'nowrap', render: (t) => t.effective_on },
        { title: '文号', width: 160, render: (t) => t.document },
      ],
      empty: '暂无下沉编制记录',
      load: async () => ({ items: (await allTransfers()).filter((t) => t.to.id === u.id), next_cursor: null }),
      onLoad: (items) => {
        const by = {};
        for (const t of items) by[t.kind] = (by[t.kind] || 0) + t.count;
        total.textContent = items.length ? `合计 ${Object.entries(by).map(([k, n]) => `${QUOTA_KIND[k] || k} ${n} 名`).join('、')}` : '';
      },
    });
    table.reload();
    return card({ title: '下沉编制', className: 'card-table', extra: total, body: table.el });
  }

  function postsCard(u) {
    const table = dataTable({
      pager: false,
      minWidth: 600,
      rowClass: (p) => (p.active ? null : 'row-muted'),
      columns: [
        { title: '岗位名称', width: 140, render: (p) => h('span', { class: 'cell-strong', 'data-post': p.name }, p.name) },
        { title: '岗位职责', render: (p) => (p.duty ? h('span', { class: 'detail-cell', title: p.duty }, p.duty) : '') },
        { title: '定员', width: 70, align: 'right', render: (p) => h('span', { class: 'num' }, fmt(p.headcount)) },
        { title: '在岗', width: 70, align: 'right', render: (p) => h('span', { class: 'num' }, fmt(p.filled)) },
        { title: '状态', width: 80, render: (p) => (p.active ? tag('启用', 'success') : tag('停用', 'default')) },
      ],
      empty: '暂无岗位',
      load: async () => ({ items: (await api.get(`/units/${u.id}/posts`)).items, next_cursor: null }),
    });
    table.reload();
    const add = canPost && u.active
      ? h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'new-post', onclick: () => addPost(u, table) }, icon('plus'), '新增岗位')
      : null;
    return h('section', { class: 'card card-table', 'data-testid': 'unit-posts' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, '岗位'), add ? h('div', { class: 'card-extra' }, add) : null),
      h('div', { class: 'card-body' }, table.el));
  }

  function peopleCard(u) {
    const note = h('span', { class: 'muted' });
    const table = dataTable({
      pageSize: 20,
      sizes: [20, 50, 100],
      minWidth: 640,
      columns: [
        { title: '姓名', width: 96, render: (p) => h('span', { class: 'cell-strong', 'data-person': p.id }, h('span', { class: 'ellipsis' }, p.name)) },
        { title: '类别', render: (p) => h('div', { class: 'cell-2' },
          h('span', { class: 'terr-kind-line' }, p.kind_label, lockTag(p)),
          p.home_unit || p.post ? h('span', { class: 'sub', title: [p.post && `岗位：${p.post.name}`, p.home_unit && `派出单位：${p.home_unit.name}`].filter(Boolean).join('，') },
            [p.post && `岗位：${p.post.name}`, p.home_unit && `派出：${p.home_unit.name}`].filter(Boolean).join(' · ')) : null) },
        { title: '手机号', width: 116, className: 'nowrap', render: (p) => p.phone },
        { title: '身份证号', width: 164, className: 'nowrap', render: (p) => (p.id_number ? h('span', { class: 'mono' }, p.id_number) : '') },
        { title: '到岗时间', width: 100, className: 'nowrap', render: (p) => p.since },
      ],
      empty: () => (u.children ? '本单位暂无直属人员，可在下级单位中查看' : '本单位暂无人员'),
      load: (cursor, limit) => api.get('/people', { unit_id: u.id, cursor, limit }),
      onLoad: (items) => {
        const masked = items.some((p) => /\*/.test(`${p.name}${p.phone || ''}${p.id_number || ''}`));
        note.textContent = masked ? '按权限脱敏显示个人信息' : '';
      },
    });
    table.reload();
    return h('section', { class: 'card card-table', 'data-testid': 'unit-people' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, '人员'), h('div', { class: 'card-extra' }, note)),
      h('div', { class: 'card-body' }, table.el));
  }

  // ---- writes
  function refreshNode(u) {
    const node = nodes.get(u.id);
    if (node) {
      node.unit = { ...node.unit, ...u };
      drawNode(node);
    }
    for (const el of resultBox.querySelectorAll(`.terr-row[data-unit-id="${u.id}"]`)) {
      el.replaceWith(unitRow(u, { onClick: () => select(u.id, { reveal: true }) }));
    }
    markCurrent();
  }

  function rename(u) {
    const form = h('form', { novalidate: true, id: 'unit-rename-form' },
      field({ label: '单位名称', name: 'name', required: true, value: u.name, hint: `编码 ${u.code} 与上级单位不变`, attrs: { maxlength: 64 } }));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'unit-rename-form', 'data-action': 'save-name' }, '保存');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({ title: `重命名「${u.name}」`, width: 460, body: form, footer: [cancel, submit] });
    cancel.addEventListener('click', () => d.close(false));
    const input = form.querySelector('[name="name"]');
    input.focus();
    input.select();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const { name } = formValues(form);
      if (!name) { setFieldError(form, 'name', '请输入单位名称'); input.focus(); return; }
      if (name === u.name) { d.close(false); return; }
      const restore = busy(submit, '正在保存…');
      try {
        const changed = await api.patch(`/units/${u.id}`, { name });
        restore();
        d.close(true);
        toast(`已更名为「${changed.name}」`);
        refreshNode(changed);
        if (current && current.id === changed.id) select(changed.id);
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  async function setActive(u, active, button) {
    const ok = await confirmDialog(active
      ? { title: '启用单位', message: `启用后，「${u.name}」（${u.code}）重新计入区划统计，可以再选用。确定启用吗？`, okText: '启用' }
      : { title: '停用单位', message: `停用后，「${u.name}」（${u.code}）不再计入区划统计，也不能再选用。有启用的下级单位或用户时不能停用。确定停用吗？`, okText: '停用', danger: true });
    if (!ok) return;
    const restore = busy(button, active ? '正在启用…' : '正在停用…');
    try {
      const changed = await api.post(`/units/${u.id}/${active ? 'enable' : 'disable'}`);
      toast(active ? `已启用「${changed.name}」` : `已停用「${changed.name}」`);
      refreshNode(changed);
      loadSummary();
      if (current && current.id === changed.id) select(changed.id);
    } catch (e) {
      restore();
      toastError(e, active ? '启用失败' : '停用失败');
    }
  }

  function addPost(u, table) {
    const form = h('form', { novalidate: true, id: 'post-create-form' },
      field({ label: '岗位名称', name: 'name', required: true, placeholder: '如 值班员', hint: '同一单位内不能重名', attrs: { maxlength: 32 } }),
      field({ label: '岗位职责', name: 'duty', type: 'textarea', placeholder: '选填', attrs: { maxlength: 500, rows: 3 } }),
      field({ label: '定员', name: 'headcount', type: 'number', value: '1', hint: '计划配备的人数，1 至 1000', attrs: { min: 1, max: 1000, step: 1 } }));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'post-create-form', 'data-action': 'create-post' }, '新增岗位');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({ title: `新增岗位 · ${u.name}`, width: 520, body: form, footer: [cancel, submit] });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="name"]').focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      const headcount = Number(v.headcount);
      let ok = true;
      if (!v.name) { setFieldError(form, 'name', '请输入岗位名称'); ok = false; }
      if (!Number.isInteger(headcount) || headcount < 1 || headcount > 1000) { setFieldError(form, 'headcount', '定员须为 1 至 1000 的整数'); ok = false; }
      if (!ok) { form.querySelector('.has-error .input').focus(); return; }
      const body = { name: v.name, headcount };
      if (v.duty) body.duty = v.duty;
      const restore = busy(submit, '正在保存…');
      try {
        const post = await api.post(`/units/${u.id}/posts`, body);
        restore();
        d.close(true);
        toast(`已新增岗位「${post.name}」`);
        table.reload();
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  function openExport() {
    const fmtGroup = h('div', { class: 'radio-group', role: 'radiogroup', 'aria-label': '文件格式' },
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'format', value: 'csv', checked: true }), 'CSV 表格（可再导入）'),
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'format', value: 'geojson' }), 'GeoJSON 边界（有边界的单位）'));
    const levels = EXPORT_LEVELS.filter(([k]) => (KINDS_DEPTH[k] ?? 9) > top.depth);
    const levelGroup = h('div', { class: 'radio-group' }, levels.map(([k, label]) =>
      h('label', { class: 'radio' }, h('input', { type: 'checkbox', name: 'level', value: k, checked: true }), label)));
    const form = h('form', { novalidate: true, id: 'territory-export-form', class: 'action-form' },
      h('div', { class: 'form-item' }, h('div', { class: 'form-label' }, '文件格式'), fmtGroup),
      h('div', { class: 'form-item' }, h('div', { class: 'form-label' }, '包含层级'), levelGroup,
        h('div', { class: 'form-error', role: 'alert' })));
    const syncLevels = () => {
      const geo = form.querySelector('[name="format"]:checked').value === 'geojson';
      for (const c of levelGroup.querySelectorAll('input')) c.checked = geo ? c.value === 'grid' : true;
    };
    fmtGroup.addEventListener('change', syncLevels);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'territory-export-form', 'data-action': 'download' }, icon('download'), '导出');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: '导出区划',
      width: 560,
      body: [h('p', { class: 'dialog-lead' }, `导出「${top.name}」范围内启用中的区划单位，按层级排序。`), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = form.querySelector('.form-error');
      err.textContent = '';
      const format = form.querySelector('[name="format"]:checked').value;
      const kind = [...levelGroup.querySelectorAll('input:checked')].map((c) => c.value).join(',');
      if (!kind) { err.textContent = '请至少选择一个层级'; return; }
      const restore = busy(submit, '正在导出…');
      try {
        const name = await api.download('/territory/export', { format, kind });
        restore();
        d.close(true);
        toast(`已导出 ${name}`);
      } catch (ex) {
        restore();
        err.textContent = ex.detail || '导出失败';
      }
    });
  }
}

const KINDS_DEPTH = { county: 1, township: 2, village: 3, grid: 4, microgrid: 5 };
