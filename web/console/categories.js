// categories.js - #/categories (category.read): 事件分类与时限. The category tree
// (大类 → 小类), searchable by name or code, inactive ones marked 停用; beside it
// the chosen category: its code, name, 立案条件 / 结案条件, default list item,
// default urgency, state, and its time limits as a table of stages against
// urgencies. With category.write: 编辑类别 (PUT /categories/{code}) and 编辑时限
// (PUT /categories/{code}/limits), checked here first, confirmed, and a refusal
// shown under the field the server names. The chosen category is in the address
// (#/categories?code=0101).

import { api } from './api.js';
import {
  h, icon, field, formValues, clearErrors, setFieldError, setFormAlert, showFormError, busy, toast,
  toastError, pageHeader, card, dataTable, emptyState, tag, openDialog, confirmDialog,
} from './ui.js';
import { URGENCIES, STAGES, LIMIT_UNITS, loadCategories } from './evlib.js';
import { urgencyTag, listAll } from './evui.js';

// What each stage's clock runs over (src/gov/transitions.c starts them).
const STAGE_SPANS = {
  dispatch: '上报（或退回）后至交办',
  sign: '交办后至承办单位签收',
  handle: '签收后至反馈处置结果',
  verify: '现场核实，或反馈后至核查',
  total: '立案后至结案',
};

// The server's generic input errors name the JSON key ("字段 name 最多 32 个字符"):
// said here with the form's own words.
const FIELD_LABELS = {
  name: '名称', parent_code: '上级类别', accept_condition: '立案条件', close_condition: '结案条件',
  list_item_code: '默认清单事项', default_urgency: '默认紧急程度', active: '状态',
  limits: '时限', urgency: '紧急程度', stage: '环节', amount: '时限', unit: '时限单位',
};
const reason = (err) => (err.detail || err.title || '保存失败')
  .replace(/字段\s*([a-z_]+)\s*/g, (m, key) => FIELD_LABELS[key] || m);

const NAME_MAX = 32;
const TEXT_MAX = 300;
const chars = (s) => [...s].length;
const urgencyLabel = (u) => (URGENCIES[u] || [u])[0];
const limitText = (l) => `${l.amount} ${l.label || LIMIT_UNITS[l.unit] || l.unit}`;

// A stage's limit at an urgency; the server falls back to 一般 when an urgency has none.
function limitOf(cat, urgency, stage) {
  const own = cat.limits && cat.limits[urgency] && cat.limits[urgency][stage];
  if (own) return { ...own, own: true };
  const base = urgency !== 'normal' && cat.limits && cat.limits.normal && cat.limits.normal[stage];
  return base ? { ...base, own: false } : null;
}

export async function render(root, ctx) {
  const canWrite = ctx.can('category.write');
  const canLists = ctx.can('list.read');
  // The list items in force today give the default item its name; without them the code shows.
  const [tree, listItems] = await Promise.all([
    loadCategories(),
    canLists ? listAll('/list-items').catch((e) => { toastError(e, '清单事项加载失败'); return []; }) : [],
  ]);
  const items = new Map(listItems.map((it) => [it.code, it]));
  const leaves = () => tree.flatMap((g) => g.children || []);
  const find = (code) => {
    for (const g of tree) {
      if (g.code === code) return g;
      for (const l of g.children || []) if (l.code === code) return l;
    }
    return null;
  };
  const parentOf = (cat) => tree.find((g) => g.code === cat.parent_code) || null;
  const isClass = (cat) => !cat.parent_code;

  let selected = find(ctx.query.get('code') || '') || (tree[0] && (tree[0].children || [])[0]) || tree[0] || null;
  const expanded = new Set(selected ? [selected.parent_code || selected.code] : []);

  // ---- the tree
  const search = h('input', {
    class: 'input', type: 'search', name: 'q', placeholder: '名称或编码，如 私搭乱建、0101', maxlength: 32,
    'aria-label': '查找类别', oninput: () => renderTree(),
  });
  const found = h('div', { class: 'cat-found', 'data-testid': 'cat-found', 'aria-live': 'polite' });
  const treeBox = h('div', { class: 'cat-tree', role: 'tree', 'aria-label': '事件类别' });
  const expandBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'expand-all', onclick: toggleAll });
  const counts = h('span', { class: 'muted', 'data-testid': 'cat-counts' });

  function toggleAll() {
    const all = expanded.size < tree.length;
    expanded.clear();
    if (all) for (const g of tree) expanded.add(g.code);
    renderTree();
  }

  function renderTree() {
    const q = search.value.trim().toLowerCase();
    const hit = (c) => c.name.toLowerCase().includes(q) || c.code.startsWith(q);
    const groups = [];
    let shownLeaves = 0;
    for (const g of tree) {
      const kids = g.children || [];
      const classHit = q && hit(g);
      const shown = !q || classHit ? kids : kids.filter(hit);
      if (q && !classHit && !shown.length) continue;
      const open = q ? true : expanded.has(g.code);
      shownLeaves += shown.length;
      groups.push(h('div', { class: 'cat-group', role: 'treeitem', 'aria-expanded': open ? 'true' : 'false', 'data-class': g.code },
        h('div', { class: 'cat-group-row' },
          h('button', {
            type: 'button', class: 'cat-toggle', 'aria-expanded': open ? 'true' : 'false', 'aria-label': open ? `收起${g.name}` : `展开${g.name}`,
            disabled: !!q, onclick: () => { if (expanded.has(g.code)) expanded.delete(g.code); else expanded.add(g.code); renderTree(); },
          }, icon('right', 'icon icon-xs')),
          node(g, kids.length)),
        h('div', { class: 'cat-children', role: 'group', hidden: !open }, shown.map((l) => node(l)))));
    }
    treeBox.replaceChildren(...(groups.length ? groups : [emptyState('没有找到匹配的类别', '可按名称或编码查找')]));
    found.textContent = q ? (shownLeaves ? `找到 ${shownLeaves} 个小类` : '') : '';
    found.hidden = !q;
    expandBtn.replaceChildren(expanded.size < tree.length ? '全部展开' : '全部收起');
    expandBtn.disabled = !!q;
    const all = leaves();
    const off = tree.filter((g) => !g.active).length + all.filter((l) => !l.active).length;
    counts.textContent = `${tree.length} 个大类 · ${all.length} 个小类${off ? ` · 停用 ${off} 个` : ''}`;
  }

  function node(cat, count) {
    const on = selected && selected.code === cat.code;
    return h('button', {
      type: 'button', class: ['cat-node', isClass(cat) ? 'cat-node-class' : 'cat-leaf', on && 'active', !cat.active && 'is-off'],
      'data-code': cat.code, 'data-leaf': isClass(cat) ? null : '', 'aria-current': on ? 'true' : null,
      title: `${cat.code} ${cat.name}${cat.active ? '' : '（已停用）'}`, onclick: () => choose(cat),
    },
    h('span', { class: 'cat-code' }, cat.code),
    h('span', { class: 'cat-name' }, cat.name),
    cat.active ? null : tag('停用', 'default'),
    count === undefined ? null : h('span', { class: 'cat-count', title: `${count} 个小类` }, String(count)));
  }

  function choose(cat) {
    selected = cat;
    if (isClass(cat)) expanded.add(cat.code);
    history.replaceState(null, '', `#/categories?code=${encodeURIComponent(cat.code)}`);
    renderTree();
    renderDetail();
  }

  // ---- the chosen category
  const detail = h('div', { class: 'col cat-detail', 'data-testid': 'cat-detail' });

  function renderDetail() {
    if (!selected) {
      detail.replaceChildren(h('section', { class: 'card' }, emptyState('暂无事件类别', '请先导入事件类别')));
      return;
    }
    detail.replaceChildren(...(isClass(selected) ? classView(selected) : leafView(selected)));
  }

  const kv = (rows) => h('dl', { class: 'kv kv-detail' }, rows.filter(Boolean).map(([k, v, key]) => [h('dt', null, k), h('dd', { 'data-field': key || null }, v)]));
  const stateTag = (cat) => (cat.active ? tag('启用', 'success') : tag('停用', 'default'));
  const editBtn = (text, action, fn) => (canWrite
    ? h('button', { type: 'button', class: 'btn btn-sm', 'data-action': action, onclick: fn }, text)
    : null);
  const textBox = (s) => (s ? h('div', { class: 'ev-desc' }, s) : h('span', { class: 'muted' }, '未填写'));

  function listItemView(code) {
    if (!code) {
      return h('div', { class: 'cell-2 wrap' }, h('span', null, tag('清单外', 'warning')),
        h('span', { class: 'sub' }, '未关联清单事项：此类事件按清单外处理，由县级社会治理中心研判'));
    }
    const it = items.get(code);
    if (!it) {
      return h('div', { class: 'cell-2 wrap' }, h('span', { class: 'mono' }, code),
        canLists ? h('span', { class: 'sub text-danger' }, '该清单事项不在现行清单中（已废止或尚未生效）') : null);
    }
    return h('div', { class: 'cell-2 wrap' },
      h('a', { href: `#/lists?code=${encodeURIComponent(code)}`, 'data-list-item': code }, it.name),
      h('span', { class: 'sub' }, [it.list_label, it.subject && it.subject.name, code].filter(Boolean).join(' · ')));
  }

  function leafView(l) {
    const parent = parentOf(l);
    const info = card({
      title: l.name,
      extra: editBtn('编辑类别', 'edit-category', () => editCategory(l)),
      body: kv([
        ['编码', h('span', { class: 'mono' }, l.code), 'code'],
        ['所属大类', parent ? h('button', { type: 'button', class: 'link', onclick: () => choose(parent) }, parent.name) : '—', 'parent'],
        ['状态', [stateTag(l), l.active ? null : h('span', { class: 'muted' }, '新上报的事件不能选择该小类')], 'active'],
        ['默认紧急程度', urgencyTag({ urgency: l.default_urgency, urgency_label: l.default_urgency_label }), 'default_urgency'],
        ['默认清单事项', listItemView(l.list_item_code), 'list_item'],
        ['立案条件', textBox(l.accept_condition), 'accept_condition'],
        ['结案条件', textBox(l.close_condition), 'close_condition'],
      ]),
    });
    return [info, limitsCard(l)];
  }

  function limitsCard(l) {
    const columns = [
      { title: '环节', width: 96, render: (s) => h('span', { class: 'cell-strong', 'data-stage': s }, STAGES[s]) },
      { title: '计时区间', render: (s) => h('span', { class: 'muted' }, STAGE_SPANS[s]) },
      ...Object.keys(URGENCIES).map((u) => ({
        title: h('span', { class: 'cat-urgency-head' }, urgencyLabel(u), u === l.default_urgency ? tag('默认', 'primary') : null),
        width: 150,
        render: (s) => limitCell(l, u, s),
      })),
    ];
    const table = dataTable({
      columns, pager: false, minWidth: 640, empty: '暂无时限',
      load: async () => ({ items: Object.keys(STAGES), next_cursor: null }),
    });
    table.reload();
    return h('section', { class: 'card card-table', 'data-testid': 'limits' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, '办理时限'),
        h('div', { class: 'card-extra' }, editBtn('编辑时限', 'edit-limits', () => editLimits(l)))),
      table.el,
      h('p', { class: 'cat-note' }, icon('info', 'icon icon-xs'),
        h('span', null, '工作分钟、工作小时和工作日只计工作日历中的上班时间，自然日连续计算；到时限的 80% 亮黄灯，到期亮红灯并生成督办。某一紧急程度未单独设置的环节沿用“一般”的时限。')));
  }

  function limitCell(cat, u, s) {
    const lim = limitOf(cat, u, s);
    const data = { urgency: u, stage: s };
    if (!lim) return h('span', { class: 'muted', dataset: data, title: '未设置：该环节不计时限' }, '未设置');
    data.amount = lim.amount;
    data.unit = lim.unit;
    data.own = lim.own ? '1' : '0';
    return lim.own
      ? h('span', { class: 'num cat-limit', dataset: data }, limitText(lim))
      : h('div', { class: 'cell-2 cat-limit is-fallback', dataset: data, title: '未单独设置，沿用“一般”的时限' }, h('span', null, limitText(lim)), h('span', { class: 'sub' }, '沿用一般'));
  }

  function classView(g) {
    const kids = g.children || [];
    const off = kids.filter((l) => !l.active).length;
    const info = card({
      title: g.name,
      extra: editBtn('编辑类别', 'edit-category', () => editCategory(g)),
      body: kv([
        ['编码', h('span', { class: 'mono' }, g.code), 'code'],
        ['层级', '大类'],
        ['状态', [stateTag(g), g.active ? null : h('span', { class: 'muted' }, '已停用的大类仍保留其下小类')], 'active'],
        ['小类', `${kids.length} 个${off ? `，其中停用 ${off} 个` : ''}`, 'children'],
      ]),
    });
    const table = dataTable({
      pager: false,
      minWidth: 720,
      rowClass: (l) => (l.active ? null : 'row-muted'),
      empty: '该大类下暂无小类',
      columns: [
        { title: '编码', width: 72, render: (l) => h('span', { class: 'mono' }, l.code) },
        { title: '名称', width: 200, render: (l) => h('button', { type: 'button', class: 'link cat-link', 'data-code': l.code, onclick: () => choose(l) }, l.name) },
        { title: '默认紧急程度', width: 104, render: (l) => urgencyTag({ urgency: l.default_urgency, urgency_label: l.default_urgency_label }) },
        {
          title: '默认清单事项',
          // As in a small class's own view: the item in force opens in 三张清单.
          render: (l) => {
            if (!l.list_item_code) return tag('清单外', 'warning');
            const it = items.get(l.list_item_code);
            return it
              ? h('a', { class: 'detail-cell', href: `#/lists?code=${encodeURIComponent(it.code)}`, title: it.name, 'data-list-item': it.code }, it.name)
              : h('span', { class: 'mono', title: canLists ? '该清单事项不在现行清单中（已废止或尚未生效）' : null }, l.list_item_code);
          },
        },
        { title: '总时限（一般）', width: 120, render: (l) => { const t = limitOf(l, 'normal', 'total'); return t ? limitText(t) : ''; } },
        { title: '状态', width: 72, render: stateTag },
      ],
      load: async () => ({ items: kids, next_cursor: null }),
    });
    table.reload();
    return [info, card({ title: `${g.name}的小类`, className: 'card-table', body: table.el })];
  }

  // ---- 编辑类别
  function editCategory(cat) {
    const leaf = !isClass(cat);
    const urgencyOptions = Object.entries(URGENCIES).map(([value, [label]]) => ({ value, label }));
    const itemOptions = [{ value: '', label: '不关联（按清单外处理）' },
      ...listItems.map((it) => ({ value: it.code, label: `${it.name}（${it.code}）` }))];
    if (leaf && cat.list_item_code && !items.has(cat.list_item_code)) {
      itemOptions.push({ value: cat.list_item_code, label: `${cat.list_item_code}（不在现行清单中）` });
    }
    const form = h('form', { class: 'form-grid', novalidate: true, id: 'category-form' },
      field({ label: '名称', name: 'name', required: true, value: cat.name, attrs: { maxlength: NAME_MAX }, hint: `最多 ${NAME_MAX} 个字` }),
      leaf ? field({ label: '默认紧急程度', name: 'default_urgency', type: 'select', value: cat.default_urgency, options: urgencyOptions, hint: '上报时未选紧急程度即按此计时' }) : null,
      field({
        label: '状态', name: 'active', type: 'select', value: cat.active ? '1' : '0',
        options: [{ value: '1', label: '启用' }, { value: '0', label: '停用' }],
        hint: leaf ? '停用后新上报的事件不能选择该小类，已有事件不受影响' : '停用大类不影响其下小类',
      }),
      leaf ? field({ label: '默认清单事项', name: 'list_item_code', type: 'select', value: cat.list_item_code || '', options: itemOptions, wide: true, hint: '事件按此事项确定责任主体和承办单位' }) : null,
      leaf ? field({ label: '立案条件', name: 'accept_condition', type: 'textarea', value: cat.accept_condition, wide: true, attrs: { maxlength: TEXT_MAX, rows: 3 }, hint: `受理时据此判断是否立案，最多 ${TEXT_MAX} 字` }) : null,
      leaf ? field({ label: '结案条件', name: 'close_condition', type: 'textarea', value: cat.close_condition, wide: true, attrs: { maxlength: TEXT_MAX, rows: 3 }, hint: `核查、结案时据此判断，最多 ${TEXT_MAX} 字` }) : null);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'category-form', 'data-action': 'save-category' }, '保存');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: `编辑${leaf ? '小类' : '大类'}：${cat.name}`,
      width: 680,
      body: [h('p', { class: 'dialog-lead' }, `编码 ${cat.code}${leaf && parentOf(cat) ? ` · 所属大类：${parentOf(cat).name}` : ''}。编码和所属大类不在此修改。`), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));
    form.querySelector('[name="name"]').focus();

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      let ok = true;
      const fail = (n, m) => { setFieldError(form, n, m); ok = false; };
      if (!v.name) fail('name', '请输入名称');
      else if (chars(v.name) > NAME_MAX) fail('name', `名称最多 ${NAME_MAX} 个字`);
      if (leaf) {
        if (chars(v.accept_condition) > TEXT_MAX) fail('accept_condition', `立案条件最多 ${TEXT_MAX} 字`);
        if (chars(v.close_condition) > TEXT_MAX) fail('close_condition', `结案条件最多 ${TEXT_MAX} 字`);
      }
      if (!ok) {
        const first = form.querySelector('.has-error .input');
        if (first) first.focus();
        return;
      }
      const body = { name: v.name, active: v.active === '1' };
      if (leaf) {
        Object.assign(body, {
          parent_code: cat.parent_code,
          accept_condition: v.accept_condition,
          close_condition: v.close_condition,
          list_item_code: v.list_item_code || null,
          default_urgency: v.default_urgency,
        });
      }
      const before = {
        name: cat.name, active: cat.active, accept_condition: cat.accept_condition, close_condition: cat.close_condition,
        list_item_code: cat.list_item_code || null, default_urgency: cat.default_urgency,
      };
      const changed = Object.keys(body).filter((k) => k !== 'parent_code' && body[k] !== before[k]).map((k) => FIELD_LABELS[k]);
      if (!changed.length) {
        setFormAlert(form, '没有修改任何内容', 'info');
        return;
      }
      const stopping = cat.active && !body.active;
      const confirmed = await confirmDialog({
        title: '保存类别',
        message: `将修改「${cat.name}」的${changed.join('、')}。${stopping ? (leaf ? '停用后，新上报的事件不能再选择该小类。' : '') : ''}确定保存吗？`,
        okText: '保存',
        danger: stopping,
      });
      if (!confirmed) return;
      const restore = busy(submit, '正在保存…');
      try {
        const res = await api.put(`/categories/${encodeURIComponent(cat.code)}`, body);
        restore();
        Object.assign(cat, res); // the tree evlib caches for the other pages follows
        d.close(true);
        toast(`已保存「${cat.name}」：${changed.join('、')}`);
        renderTree();
        renderDetail();
      } catch (err) {
        restore();
        showFormError(form, { field: err.field, code: err.code, detail: reason(err) });
      }
    });
  }

  // ---- 编辑时限
  function editLimits(cat) {
    const urgencies = Object.keys(URGENCIES);
    const stages = Object.keys(STAGES);
    const unitOptions = Object.entries(LIMIT_UNITS);
    const cell = (u, s) => {
      const own = cat.limits && cat.limits[u] && cat.limits[u][s];
      const base = limitOf(cat, u, s);
      const amount = h('input', {
        class: 'input', type: 'text', inputmode: 'numeric', name: `${u}.${s}.amount`, autocomplete: 'off', maxlength: 7,
        value: own ? String(own.amount) : '', placeholder: own ? '' : base ? '沿用一般' : '未设置',
        'aria-label': `${urgencyLabel(u)}·${STAGES[s]}时限`,
      });
      const unit = h('select', { class: 'input', name: `${u}.${s}.unit`, 'aria-label': `${urgencyLabel(u)}·${STAGES[s]}时限单位` },
        unitOptions.map(([value, label]) => h('option', { value }, label)));
      unit.value = (own || base || { unit: 'work_hours' }).unit;
      const item = h('div', { class: 'form-item', dataset: { urgency: u, stage: s } },
        h('div', { class: 'form-control' }, h('div', { class: 'inline-fields' }, amount, unit), h('div', { class: 'form-error', role: 'alert' })));
      const clear = () => {
        item.classList.remove('has-error');
        for (const c of [amount, unit]) c.removeAttribute('aria-invalid');
        item.querySelector('.form-error').textContent = '';
      };
      amount.addEventListener('input', clear);
      unit.addEventListener('change', clear);
      return item;
    };
    const form = h('form', { class: 'cat-limits-form', novalidate: true, id: 'limits-form' },
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table cat-limits-edit' },
          h('colgroup', null, h('col', { style: { width: '150px' } }), urgencies.map(() => h('col'))),
          h('thead', null, h('tr', null, h('th', null, '环节'), urgencies.map((u) => h('th', null, h('span', { class: 'cat-urgency-head' }, urgencyLabel(u), u === cat.default_urgency ? tag('默认', 'primary') : null))))),
          h('tbody', null, stages.map((s) => h('tr', null,
            h('td', null, h('div', { class: 'cell-2 wrap' }, h('span', { class: 'cell-strong' }, STAGES[s]), h('span', { class: 'sub' }, STAGE_SPANS[s]))),
            urgencies.map((u) => h('td', null, cell(u, s)))))))));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'limits-form', 'data-action': 'save-limits' }, '保存时限');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const d = openDialog({
      title: `编辑时限：${cat.name}`,
      width: 860,
      body: [h('p', { class: 'dialog-lead' }, '填写正整数并选择单位。“紧急”“特急”留空的环节沿用“一般”的时限；修改只影响此后开始计时的环节，办理中事件已开始的环节期限不变。'), form],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => d.close(false));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      const changes = [];
      let ok = true;
      for (const s of stages) {
        for (const u of urgencies) {
          const own = cat.limits && cat.limits[u] && cat.limits[u][s];
          const amount = v[`${u}.${s}.amount`];
          const unit = v[`${u}.${s}.unit`];
          const name = `${u}.${s}.amount`;
          if (!amount) {
            if (own) { setFieldError(form, name, '已设置的时限不能清空'); ok = false; }
            continue;
          }
          if (!/^\d+$/.test(amount) || Number(amount) < 1) {
            setFieldError(form, name, '请填写正整数');
            ok = false;
            continue;
          }
          if (own && own.amount === Number(amount) && own.unit === unit) continue;
          const after = { amount: Number(amount), unit, label: LIMIT_UNITS[unit] };
          const was = limitOf(cat, u, s);
          changes.push({
            limit: { urgency: u, stage: s, amount: Number(amount), unit },
            text: `${urgencyLabel(u)}·${STAGES[s]}：${was ? `${limitText(was)}${was.own ? '' : '（沿用一般）'}` : '未设置'} → ${limitText(after)}`,
          });
        }
      }
      if (!ok) {
        const first = form.querySelector('.has-error .input');
        if (first) first.focus();
        return;
      }
      if (!changes.length) {
        setFormAlert(form, '没有修改任何时限', 'info');
        return;
      }
      const confirmed = await confirmDialog({
        title: '保存时限',
        message: h('div', null,
          `将修改「${cat.name}」的 ${changes.length} 项时限：`,
          h('ul', { class: 'cat-changes' }, changes.map((c) => h('li', null, c.text))),
          '此后开始计时的环节按新时限计算。确定保存吗？'),
        okText: '保存',
      });
      if (!confirmed) return;
      const restore = busy(submit, '正在保存…');
      try {
        const res = await api.put(`/categories/${encodeURIComponent(cat.code)}/limits`, { limits: changes.map((c) => c.limit) });
        restore();
        Object.assign(cat, res);
        d.close(true);
        toast(changes.length === 1 ? `已更新「${cat.name}」的时限：${changes[0].text}` : `已更新「${cat.name}」的 ${changes.length} 项时限`);
        renderDetail();
      } catch (err) {
        restore();
        // One limit sent: the field the server names is that cell's.
        const one = changes.length === 1 ? changes[0].limit : null;
        const at = one ? `${one.urgency}.${one.stage}.${err.field === 'unit' ? 'unit' : 'amount'}` : null;
        const fieldAlias = one ? { amount: at, unit: at, urgency: at, stage: at } : {};
        const detail = one ? reason(err) : `${reason(err)}（本次修改的 ${changes.length} 项均未保存）`;
        showFormError(form, { field: one ? err.field : null, code: err.code, detail }, { fieldAlias });
      }
    });
  }

  // ---- the page
  const side = h('section', { class: 'card cat-side', 'data-testid': 'cat-tree' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, '类别目录'), h('div', { class: 'card-extra' }, expandBtn)),
    h('div', { class: 'cat-search' }, search, h('div', { class: 'cat-summary' }, counts)),
    found,
    treeBox);
  root.append(
    pageHeader({
      title: '事件分类与时限',
      crumbs: ['基础数据', '事件分类与时限'],
      desc: '事件大类、小类按 GB/T 30428.2 编码并扩充基层治理类别；每个小类规定立案、结案条件和各环节办理时限，事件各环节的期限据此在工作日历上计算。',
    }),
    h('div', { class: 'cat-layout' }, side, detail));
  renderTree();
  renderDetail();
  const current = treeBox.querySelector('.cat-node.active');
  if (current) current.scrollIntoView({ block: 'nearest' });
}
