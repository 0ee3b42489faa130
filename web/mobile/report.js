// report.js - #/report: a grid worker or a resident reports an event: type
// (two-level category sheet), description, place (GPS → /locate, or a manual
// choice of grid, or coordinates), photos taken with the camera (uploaded once
// the event exists, kind "before"). A grid worker who fixed it on the spot
// adds "after" photos and closes it at once (自行处置). Open events of the same
// type in the grid are named before anything is sent, so a problem is not
// reported twice. What was filled in is kept while the reporter looks elsewhere
// (another tab, a similar report) and comes back; a report sent clears it.

import { api, requestKeys, sendAgain } from '../console/api.js';
import { toast } from '../console/ui.js';
import { loadCategories, uploadSupported, uploadPhoto, act, refusalText, openSimilar } from '../console/evlib.js';
import { h, icon, header, sheet, pickCategory, photoPicker, busyLayer, textArea, loading, formatTime } from './m-ui.js';

// The report being written, per account, in memory only (photos are files):
// { user, leaf, description, address, place (chosen by hand only), before, after, selfClose, selfNote }.
let draft = null;

function sourceFor(role) {
  return role === 'grid_worker' ? 'grid_patrol' : role === 'resident' ? 'resident' : 'department';
}

export async function render(root, ctx) {
  const role = ctx.user.role;
  const isGrid = role === 'grid_worker';
  root.append(header('事件上报'));
  const body = h('div', { class: 'm-page' }, loading());
  root.append(body);

  let tree = [];
  try {
    tree = await loadCategories();
  } catch (e) {
    body.replaceChildren(h('div', { class: 'm-alert' }, e.detail || '事件类型加载失败'));
    return;
  }
  const canUpload = uploadSupported();
  const kept = draft && draft.user === ctx.user.id ? draft : null;
  draft = null;
  let leaf = null;
  let place = null; // {grid, village, township, lng, lat, how}
  let alive = true;
  let sent = false;

  // ---- type
  const catValue = h('span', { class: 'm-row-value placeholder' }, '请选择');
  const catRow = h('button', { type: 'button', class: 'm-row', 'data-action': 'pick-category', onclick: async () => {
    const l = await pickCategory(tree);
    if (!l) return;
    leaf = l;
    catValue.textContent = `${l.parent.name} · ${l.name}`;
    catValue.classList.remove('placeholder');
    similar();
    catErr.textContent = '';
    catField.classList.remove('has-error');
  } }, h('span', { class: 'm-row-label' }, h('span', { class: 'req' }, '*'), '事件类型'), catValue, icon('right'));
  const catErr = h('div', { class: 'm-error', role: 'alert' });
  const catField = h('div', { class: 'm-field' }, catRow, catErr);

  // ---- description
  const desc = textArea({ name: 'description', label: '问题描述', required: true, placeholder: '发生了什么、在哪里、涉及哪些人，尽量具体', max: 2000, rows: 4 });

  // ---- place
  const placeText = h('div', { class: 'm-place-text' });
  const placeSub = h('div', { class: 'm-place-sub' });
  const placeErr = h('div', { class: 'm-error', role: 'alert' });
  const placeCard = h('div', { class: 'm-place', 'data-testid': 'place' },
    h('div', { class: 'm-place-icon' }, icon('pin')),
    h('div', { class: 'm-place-main' }, placeText, placeSub),
  );
  const placeField = h('div', { class: 'm-field' },
    h('div', { class: 'm-label' }, h('span', { class: 'req' }, '*'), '事发位置'),
    placeCard,
    h('div', { class: 'm-btn-row' },
      h('button', { type: 'button', class: 'm-btn m-btn-sm', 'data-action': 'gps', onclick: () => gps() }, icon('refresh'), '重新定位'),
      h('button', { type: 'button', class: 'm-btn m-btn-sm', 'data-action': 'manual-place', onclick: () => choosePlace() }, icon('unit'), '手动选择')),
    placeErr);
  const address = h('input', { class: 'm-input', name: 'address', maxlength: 200, placeholder: '选填：门牌号、标志物等' });

  function paintPlace(state, text, sub) {
    placeCard.dataset.state = state;
    placeText.textContent = text;
    placeSub.textContent = sub || '';
    if (state === 'ok' && place) place.shown = [text, sub || ''];
  }

  async function resolvePoint(lng, lat, how) {
    const r = await api.get('/locate', { lng, lat });
    place = { grid: r.grid, village: r.village, township: r.township, lng, lat, how };
    paintPlace('ok', r.grid.name, `${[r.township, r.village].filter(Boolean).map((u) => u.name).join(' · ')}　${lng.toFixed(5)}, ${lat.toFixed(5)}`);
    placeErr.textContent = '';
    placeField.classList.remove('has-error');
    similar();
  }

  function gps() {
    if (!('geolocation' in navigator)) {
      paintPlace('error', '无法获取定位', '此浏览器不支持定位，请手动选择网格');
      return;
    }
    paintPlace('busy', '正在定位…', '请允许浏览器获取您的位置');
    navigator.geolocation.getCurrentPosition(async (pos) => {
      if (!alive) return;
      const { longitude, latitude, accuracy } = pos.coords;
      try {
        await resolvePoint(longitude, latitude, 'gps');
        if (accuracy) placeSub.textContent += `　精度约 ${Math.round(accuracy)} 米`;
      } catch (e) {
        place = null;
        paintPlace('error', e.code === 'outside_territory' ? '当前位置不在本市网格范围内' : '定位解析失败', e.code === 'outside_territory' ? '请手动选择事发网格' : (e.detail || '请手动选择'));
      }
    }, (err) => {
      if (!alive) return;
      const why = err.code === 1 ? '未获得定位权限' : err.code === 3 ? '定位超时' : '无法获取定位';
      paintPlace('error', why, '请点“手动选择”指定事发网格');
    }, { enableHighAccuracy: true, timeout: 12000, maximumAge: 30000 });
  }

  // Manual choice: the grids I may see (a grid worker sees their own), a
  // township → village → grid walk for larger scopes, or coordinates.
  async function choosePlace() {
    const list = h('div', { class: 'm-pick' }, loading());
    const s = sheet({ title: '选择事发网格', body: list, tall: true });
    const pickGrid = (g, trail = '') => {
      place = { grid: g, how: 'manual' };
      paintPlace('ok', g.name, trail || '手动选择');
      placeErr.textContent = '';
      placeField.classList.remove('has-error');
      s.close(true);
      similar();
    };
    const listOf = (items, onPick, back) => [
      back ? h('button', { type: 'button', class: 'm-pick-back', onclick: back }, icon('left'), '上一级') : h('span'),
      h('ul', { class: 'm-list' }, items.map((u) => h('li', null, h('button', { type: 'button', class: 'm-list-btn', 'data-unit': u.id, onclick: () => onPick(u) }, h('span', null, u.name), icon('right')))))];
    const coords = () => {
      const lng = h('input', { class: 'm-input', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '经度，如 118.8594' });
      const lat = h('input', { class: 'm-input', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '纬度，如 28.9700' });
      const msg = h('div', { class: 'm-error' });
      const hint = ctx.can('territory.read') ? '无法列出网格时，可输入事发地经纬度（地图应用中长按位置可查看）：'
        : '在事发现场时，点“重新定位”即可；不在现场时，可输入事发地经纬度（地图应用中长按位置可查看）：';
      list.replaceChildren(h('p', { class: 'm-hint' }, hint),
        h('div', { class: 'm-field' }, h('span', { class: 'm-label' }, '经度'), lng), h('div', { class: 'm-field' }, h('span', { class: 'm-label' }, '纬度'), lat), msg,
        h('button', { type: 'button', class: 'm-btn m-btn-primary m-btn-block', onclick: async () => {
          const x = Number(lng.value);
          const y = Number(lat.value);
          if (!lng.value || !lat.value || !Number.isFinite(x) || !Number.isFinite(y)) { msg.textContent = '请输入经度和纬度'; return; }
          try {
            await resolvePoint(x, y, 'coords');
            s.close(true);
          } catch (e) {
            msg.textContent = e.detail || '该位置无法定位到网格';
          }
        } }, '确定'));
    };
    if (!ctx.can('territory.read')) { coords(); return; } // residents: no list of grids to choose from
    try {
      const b = await api.get('/units', { kind: 'grid', limit: 100 });
      if (!b.next_cursor && b.items.length) {
        list.replaceChildren(h('p', { class: 'm-hint' }, '您管辖的网格：'), ...listOf(b.items, (g) => pickGrid(g, '手动选择')),
          h('button', { type: 'button', class: 'm-link', onclick: coords }, '按经纬度定位'));
        return;
      }
      const towns = await api.get('/units', { kind: 'township', limit: 500 });
      if (!towns.items.length) { coords(); return; }
      const showTowns = () => list.replaceChildren(h('p', { class: 'm-hint' }, '选择乡镇（街道）'), ...listOf(towns.items, showVillages), h('button', { type: 'button', class: 'm-link', onclick: coords }, '按经纬度定位'));
      async function showVillages(t) {
        list.replaceChildren(loading());
        const v = await api.get(`/units/${t.id}/children`, { kind: 'village', limit: 500 });
        list.replaceChildren(h('p', { class: 'm-hint' }, `${t.name} · 选择村（社区）`), ...listOf(v.items, (vi) => showGrids(t, vi), showTowns));
      }
      async function showGrids(t, v) {
        list.replaceChildren(loading());
        const g = await api.get(`/units/${v.id}/children`, { kind: 'grid', limit: 500 });
        list.replaceChildren(h('p', { class: 'm-hint' }, `${t.name} · ${v.name} · 选择网格`), ...listOf(g.items, (gi) => pickGrid(gi, `${t.name} · ${v.name}`), () => showVillages(t)));
      }
      showTowns();
    } catch {
      coords();
    }
  }

  // ---- the same problem reported already: open events of the type in the grid this
  // week (a resident's list holds only their own reports), so that the reporter
  // adds to that one instead of reporting it again
  const similarBox = h('div', { class: 'm-alert m-alert-warn', hidden: true, 'data-testid': 'similar' });
  let similarSeq = 0;
  async function similar() {
    similarBox.hidden = true;
    if (!leaf || !place || !place.grid) return;
    const my = ++similarSeq;
    let open;
    try {
      open = await openSimilar(leaf.code, place.grid.id);
    } catch {
      return; // only a hint: the report goes on without it
    }
    if (my !== similarSeq || !alive || !open.length) return;
    const mine = role === 'resident';
    similarBox.replaceChildren(icon('warn', 'icon icon-xs'), h('div', null,
      h('b', null, mine ? `您近 7 天在这里上报过 ${open.length} 件同类问题，还在办理：` : `本网格近 7 天已有 ${open.length} 件同类事件在办：`),
      h('ul', { class: 'm-similar' }, open.slice(0, 3).map((e) => h('li', null,
        h('a', { href: `#/events/${e.id}`, 'data-id': e.id }, e.number), ` · ${e.state_label} · ${formatTime(e.created_at)}`,
        h('div', { class: 'sub' }, e.description)))),
      h('p', null, mine ? '如是同一问题，打开它催办即可，无需重复上报。' : '如是同一问题，打开它补充情况即可，无需重复上报。')));
    similarBox.hidden = false;
  }

  // ---- photos and 自行处置
  const before = photoPicker({ label: '现场照片', name: 'photo_before', files: kept ? kept.before : [] });
  const after = photoPicker({ label: '处置后照片', name: 'photo_after', files: kept ? kept.after : [] });
  const selfNote = textArea({ name: 'self_note', label: '处置情况', required: true, placeholder: '如：已现场劝导，摊位已撤离', max: 1000, rows: 3 });
  const selfBox = h('div', { class: 'm-self', hidden: true }, after.el, selfNote.el);
  const selfToggle = h('input', { type: 'checkbox', class: 'm-switch-input', name: 'self_close', onchange: () => { selfBox.hidden = !selfToggle.checked; } });
  const photoSection = canUpload
    ? h('div', { class: 'm-section' }, before.el,
      isGrid ? h('label', { class: 'm-switch' }, h('span', { class: 'm-switch-text' }, h('b', null, '已现场处置（自行处置）'), h('small', null, '小事当场办结：需处置前、处置后照片各至少一张')), selfToggle, h('span', { class: 'm-switch-ui', 'aria-hidden': 'true' })) : null,
      isGrid ? selfBox : null)
    : h('div', { class: 'm-note' }, icon('info', 'icon icon-xs'), '照片上传功能暂未开放，请在描述中写清现场情况。');

  const submit = h('button', { type: 'submit', class: 'm-btn m-btn-primary m-btn-block m-btn-lg', 'data-action': 'submit-report' }, '提交上报');
  const sendNote = h('span');
  const sendFailed = h('div', { class: 'm-alert m-alert-warn', role: 'alert', hidden: true, 'data-testid': 'send-failed' }, icon('warn', 'icon icon-xs'), sendNote);
  const form = h('form', { class: 'm-form', novalidate: true },
    h('div', { class: 'm-section' }, catField, desc.el),
    h('div', { class: 'm-section' }, placeField, h('div', { class: 'm-field' }, h('span', { class: 'm-label' }, '补充地址'), address), similarBox),
    photoSection,
    h('div', { class: 'm-submit' }, sendFailed, submit));
  body.replaceChildren(form);
  if (kept) restore(kept);
  if (!place) gps();

  function restore(d) {
    if (d.leaf) {
      leaf = d.leaf;
      catValue.textContent = `${leaf.parent.name} · ${leaf.name}`;
      catValue.classList.remove('placeholder');
    }
    desc.input.value = d.description;
    desc.input.dispatchEvent(new Event('input'));
    address.value = d.address;
    selfToggle.checked = d.selfClose;
    selfBox.hidden = !d.selfClose;
    selfNote.input.value = d.selfNote;
    selfNote.input.dispatchEvent(new Event('input'));
    if (d.place) { // chosen by hand: kept; a GPS fix is taken again
      place = d.place;
      paintPlace('ok', ...place.shown);
      similar();
    }
  }

  function keep() {
    const d = {
      user: ctx.user.id, leaf, description: desc.input.value, address: address.value,
      place: place && place.how !== 'gps' ? place : null, before: before.files(), after: after.files(),
      selfClose: selfToggle.checked, selfNote: selfNote.input.value,
    };
    const blank = !d.leaf && !d.description.trim() && !d.address.trim() && !d.place && !d.before.length && !d.after.length && !d.selfNote.trim();
    draft = blank ? null : d;
  }

  const keyOf = requestKeys();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let ok = true;
    catErr.textContent = '';
    placeErr.textContent = '';
    desc.error('');
    if (!leaf) { catErr.textContent = '请选择事件类型'; catField.classList.add('has-error'); ok = false; }
    const text = desc.input.value.trim();
    if (!text) { desc.error('请填写问题描述'); ok = false; }
    if (!place) { placeErr.textContent = '请确定事发位置（定位或手动选择）'; placeField.classList.add('has-error'); ok = false; }
    const selfClose = canUpload && isGrid && selfToggle.checked;
    if (selfClose) {
      if (!before.files().length || !after.files().length) { toast('自行处置需要处置前和处置后照片各至少一张', 'warning'); ok = false; }
      if (!selfNote.input.value.trim()) { selfNote.error('请填写处置情况'); ok = false; }
    }
    if (!ok) {
      const bad = form.querySelector('.has-error');
      if (bad) bad.scrollIntoView({ block: 'center', behavior: 'smooth' });
      return;
    }
    const req = { category: leaf.code, description: text, source: sourceFor(role) };
    if (place.how === 'manual') req.grid_id = place.grid.id;
    else { req.lng = place.lng; req.lat = place.lat; }
    if (address.value.trim()) req.address = address.value.trim();

    const layer = busyLayer('正在上报…');
    let created;
    try {
      // On a weak signal the report is sent again with the same key: the server
      // answers with the event the first try made, never a second one.
      created = await sendAgain(() => api.post('/events', req, { idempotencyKey: keyOf(req) }),
        { onRetry: (n) => layer.set(`网络不稳定，正在重新提交（第 ${n} 次）…`) });
    } catch (ex) {
      layer.close();
      if (ex.status === 0 || ex.status >= 502) {
        sendNote.textContent = '网络不佳，上报未完成。已填写的内容都保留着，网络恢复后再点“提交上报”即可，不会重复上报。';
        sendFailed.hidden = false;
        sendFailed.scrollIntoView({ block: 'center', behavior: 'smooth' });
      } else {
        toast(ex.detail || '上报失败', 'error');
      }
      return;
    }
    sendFailed.hidden = true;
    sent = true;
    // The event exists: photos and 自行处置 are best effort from here on.
    const problems = [];
    const shots = [...before.files().map((f) => [f, 'before']), ...(selfClose ? after.files().map((f) => [f, 'after']) : [])];
    let uploaded = 0;
    for (const [i, [f, kind]] of shots.entries()) {
      layer.set(`正在上传照片 ${i + 1}/${shots.length}…`);
      try {
        await uploadPhoto(created.id, f, kind, place.how === 'manual' ? null : { lng: place.lng, lat: place.lat });
        uploaded++;
      } catch (ex) {
        problems.push(`照片 ${i + 1} 上传失败：${ex.detail || ex.message}`);
      }
    }
    let closed = false;
    if (selfClose) {
      layer.set('正在办结…');
      try {
        await act(created.id, 'self-close', { note: selfNote.input.value.trim() });
        closed = true;
      } catch (ex) {
        problems.push(`自行处置未完成：${refusalText(ex)}`);
      }
    }
    layer.close();
    showResult(created, { uploaded, closed, problems });
  });

  function showResult(ev, { uploaded, closed, problems }) {
    const dupes = ev.possible_duplicates || [];
    body.replaceChildren(h('div', { class: 'm-result', 'data-testid': 'report-result' },
      h('div', { class: 'm-result-icon' }, icon('success')),
      h('h2', null, closed ? '已自行处置办结' : '上报成功'),
      h('p', { class: 'm-result-no' }, '事件编号 ', h('b', { 'data-testid': 'created-number' }, ev.number)),
      h('p', { class: 'm-result-sub' }, closed ? '感谢您的及时处置。' : ev.out_of_list ? '该事项不在清单内，将由县级社会治理中心研判处理。' : `已推送至${ev.township ? ev.township.name : ''}指挥室受理${ev.suggested_unit ? `，建议由${ev.suggested_unit.name}办理` : ''}。`),
      uploaded ? h('p', { class: 'm-result-sub' }, `已上传 ${uploaded} 张照片`) : null,
      dupes.length ? h('div', { class: 'm-alert m-alert-warn' }, icon('warn', 'icon icon-xs'), h('span', null, `附近 24 小时内已有 ${dupes.length} 件同类事件，指挥室会合并研判。`)) : null,
      problems.map((p) => h('div', { class: 'm-alert' }, icon('error', 'icon icon-xs'), h('span', null, p))),
      h('div', { class: 'm-result-btns' },
        h('a', { class: 'm-btn m-btn-primary m-btn-block', href: `#/events/${ev.id}`, 'data-action': 'view-created' }, '查看详情'),
        h('button', { type: 'button', class: 'm-btn m-btn-block', onclick: () => ctx.navigate('#/report') }, '继续上报'))));
    window.scrollTo(0, 0);
  }

  return () => {
    alive = false;
    if (!sent) keep();
  };
}
