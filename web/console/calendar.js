// calendar.js - #/calendar (calendar.read): 工作日历. The year at a glance (12
// month grids, Monday first), each day a working day, a rest day, a statutory
// holiday (with its name) or a make-up working day (调休上班); the working
// hours (作息时间); and a deadline calculator (时限计算) that asks the server
// for the deadline of "start + n units" on the calendar as it stands.
// With calendar.write: click a day to mark it or clear its mark, import a
// year's holiday notice from CSV (all or nothing, every bad line listed), and
// edit the working hours. Every change is confirmed first and is audited by
// the server; deadlines computed after it follow the new calendar.
// #/calendar?year=2027 opens that year.

import { api } from './api.js';
import {
  h, icon, field, formValues, clearErrors, setFieldError, setFormAlert, showFormError, busy, toast, readCsv,
  pageHeader, card, formatTime, formatDate, tag, openDialog, confirmDialog, spinnerBlock,
} from './ui.js';

const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const DAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
// The four things a day can be, in legend order: label, day-cell class, corner mark.
const TYPES = {
  work: { label: '工作日', cls: 'cal-work' },
  rest: { label: '休息日', cls: 'cal-rest' },
  holiday: { label: '法定节假日', cls: 'cal-holiday', mark: '休' },
  makeup: { label: '调休上班', cls: 'cal-makeup', mark: '班' },
};
const UNITS = [
  { value: 'work_days', label: '工作日' },
  { value: 'work_hours', label: '工作小时' },
  { value: 'natural_days', label: '自然日' },
  { value: 'work_minutes', label: '工作分钟' },
];
const HOLIDAY_NAMES = ['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', '国庆节', '国庆节、中秋节'];
const CSV_MAX = 1024 * 1024;
const HOURS_HINT = '如 08:30-12:00,14:00-17:30，最多 4 段，按先后顺序且不重叠；留空表示休息';
const AFTER_CHANGE = '此后计算的办理期限将按修改后的日历执行。';

const typeOf = (d) => (d.kind === 'holiday' ? 'holiday' : d.kind === 'workday' ? 'makeup' : d.is_workday ? 'work' : 'rest');
const ymd = (date) => date.split('-').map(Number);
const weekdayOf = (date) => {
  const [y, m, d] = ymd(date);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // 0 = Monday
};
const longDay = (date) => {
  const [y, m, d] = ymd(date);
  return `${y}年${m}月${d}日（星期${WEEKDAYS[weekdayOf(date)]}）`;
};
const addDays = (date, n) => {
  const [y, m, d] = ymd(date);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};
// "08:30-12:00,14:00-17:30" → "08:30–12:00、14:00–17:30"
const hoursText = (spec) => (spec ? spec.split(',').map((s) => s.replace('-', '–')).join('、') : '休息');
const minutesText = (m) => {
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  if (!hours) return `${rest} 分钟`;
  return rest ? `${hours} 小时 ${rest} 分钟` : `${hours} 小时`;
};
const specMinutes = (spec) => (spec ? spec.split(',').reduce((sum, iv) => {
  const [a, b] = iv.split('-').map((t) => { const [hh, mm] = t.split(':').map(Number); return hh * 60 + mm; });
  return sum + (b - a);
}, 0) : 0);
// The lines of a holiday notice by type: "法定节假日 2 天、调休上班 0 天、类型无法识别 1 行".
const countText = ({ holidays, workdays, unknown }) => `法定节假日 ${holidays} 天、调休上班 ${workdays} 天${unknown ? `、类型无法识别 ${unknown} 行` : ''}`;
// "05-01" → "5月1日"
const monthDay = (md) => { const [m, d] = md.split('-').map(Number); return `${m}月${d}日`; };

export function render(root, ctx) {
  const canWrite = ctx.can('calendar.write');
  const today = formatDate();
  const thisYear = Number(today.slice(0, 4));
  const cache = new Map(); // year → Promise<days>
  // #/calendar?year=2027 opens that year (1970–2200, as the server takes).
  const asked = Number(ctx.query.get('year'));
  let year = Number.isInteger(asked) && asked >= 1970 && asked <= 2200 ? asked : thisYear;
  let years = [year];
  let schedules = [];
  let lastQuery = null; // the deadline last asked for, asked again after a change
  let result = null; // and its answer
  let alive = true;

  const yearDays = (y) => {
    if (!cache.has(y)) {
      const p = api.get('/calendar', { from: `${y}-01-01`, to: `${y}-12-31` }).then((r) => r.items);
      p.catch(() => cache.delete(y));
      cache.set(y, p);
    }
    return cache.get(y);
  };

  // The years with holidays on record (GET /calendar names them), this year, and the
  // year after the last on record (its notice to be imported).
  async function discoverYears() {
    const { years: onRecord } = await api.get('/calendar', { from: `${thisYear}-01-01`, to: `${thisYear}-01-01` });
    const next = (onRecord.length ? onRecord[onRecord.length - 1] : thisYear) + 1;
    return [...new Set([...onRecord, thisYear, next])].sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- the year view
  const yearTitle = h('span');
  const seg = h('div', { class: 'seg', role: 'tablist', 'aria-label': '年份', 'data-testid': 'year-switch' });
  const yearBody = h('div', { 'data-testid': 'year-view' }, spinnerBlock('正在加载日历…'));
  const yearCard = card({ title: yearTitle, extra: seg, body: yearBody, className: 'cal-year-card' });

  function renderSeg() {
    seg.replaceChildren(...years.map((y) => h('button', {
      type: 'button', role: 'tab', class: ['seg-btn', y === year && 'active'], 'data-year': y,
      'aria-selected': y === year ? 'true' : 'false', onclick: () => showYear(y),
    }, `${y} 年`)));
  }

  async function showYear(y) {
    year = y;
    yearTitle.textContent = `${y} 年工作日历`;
    renderSeg();
    yearBody.replaceChildren(spinnerBlock('正在加载日历…'));
    try {
      const days = await yearDays(y);
      if (alive && y === year) yearBody.replaceChildren(...yearView(y, days));
    } catch (err) {
      if (!alive || y !== year) return;
      yearBody.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert' }, icon('error'),
        h('div', { class: 'alert-text' }, `${y} 年日历加载失败：${err.detail || err.message}`,
          ' ', h('button', { type: 'button', class: 'link', onclick: () => showYear(y) }, '重试'))));
    }
  }

  function legend() {
    return h('div', { class: 'legend cal-legend', 'data-testid': 'legend' },
      Object.entries(TYPES).map(([k, t]) => h('span', { class: 'legend-item', 'data-type': k },
        h('span', { class: ['cal-swatch', t.cls] }), t.label)),
      h('span', { class: 'legend-item' }, h('span', { class: 'cal-swatch is-today' }), '今天'),
      result ? h('span', { class: 'legend-item' }, h('span', { class: 'cal-swatch is-deadline' }), '计算所得期限') : null);
  }

  function yearView(y, days) {
    const count = { work: 0, rest: 0, holiday: 0, makeup: 0 };
    let minutes = 0;
    for (const d of days) {
      count[typeOf(d)]++;
      minutes += d.work_minutes;
    }
    const workdays = count.work + count.makeup;
    const out = [];
    if (!count.holiday && !count.makeup) {
      out.push(h('div', { class: 'alert alert-warning', 'data-testid': 'year-unmarked' }, icon('warn'),
        h('div', { class: 'alert-text' }, `${y} 年尚未录入法定节假日和调休安排，目前按作息时间计算（周六、周日休息），期限可能不准确。`,
          canWrite ? '国务院办公厅发布节假日安排通知后，请点击「导入节假日安排」或逐日设置。' : '国务院办公厅发布节假日安排通知后，将由系统管理员录入。')));
    }
    out.push(h('div', { class: 'cal-bar' },
      legend(),
      h('div', { class: 'cal-sum', 'data-testid': 'year-summary' },
        h('span', null, '工作日 ', h('b', null, workdays), ' 天'),
        h('span', null, '法定节假日 ', h('b', null, count.holiday), ' 天'),
        h('span', null, '调休上班 ', h('b', null, count.makeup), ' 天'),
        h('span', null, '全年工作时间 ', h('b', null, Math.round(minutes / 60)), ' 小时'))));
    if (canWrite) out.push(h('p', { class: 'cal-tip' }, icon('info', 'icon icon-xs'), '点击日期可设为法定节假日、调休上班，或恢复默认。'));
    const months = [];
    for (let m = 1; m <= 12; m++) {
      const prefix = `${y}-${String(m).padStart(2, '0')}-`;
      months.push(monthView(m, days.filter((d) => d.date.startsWith(prefix))));
    }
    out.push(h('div', { class: 'cal-year' }, months));
    return out;
  }

  function monthView(m, days) {
    const cells = WEEKDAYS.map((w, i) => h('span', { class: ['cal-wd', i >= 5 && 'is-weekend'] }, w));
    if (days.length) for (let i = 0; i < days[0].weekday - 1; i++) cells.push(h('span', { class: 'cal-blank' }));
    const deadlineDate = result ? result.deadline.slice(0, 10) : null;
    for (const d of days) {
      const t = typeOf(d);
      const info = TYPES[t];
      const title = `${longDay(d.date)} · ${info.label}${d.name ? `（${d.name}）` : ''} · ${d.is_workday ? `工作时间 ${hoursText(d.hours)}` : '全天休息'}${d.date === today ? ' · 今天' : ''}`;
      const props = {
        class: ['cal-day', info.cls, d.date === today && 'is-today', d.date === deadlineDate && 'is-deadline'],
        title, 'aria-label': title, 'data-date': d.date, 'data-type': t, 'data-mark': info.mark || null,
      };
      const num = String(Number(d.date.slice(8)));
      cells.push(canWrite
        ? h('button', { type: 'button', ...props, 'data-action': 'edit-day', onclick: () => editDay(d) }, num)
        : h('span', props, num));
    }
    // The month's special days, consecutive days of one name on one line.
    const runs = [];
    for (const d of days) {
      if (d.kind === 'normal') continue;
      const last = runs[runs.length - 1];
      if (last && last.kind === d.kind && last.name === d.name && addDays(last.to, 1) === d.date) last.to = d.date;
      else runs.push({ kind: d.kind, name: d.name, from: d.date, to: d.date });
    }
    const dayNum = (date) => Number(date.slice(8));
    return h('div', { class: 'cal-month', 'data-month': m },
      h('div', { class: 'cal-month-title' }, `${m}月`),
      h('div', { class: 'cal-grid' }, cells),
      h('ul', { class: 'cal-notes' }, runs.map((r) => h('li', { 'data-kind': r.kind },
        h('span', { class: ['cal-swatch', r.kind === 'holiday' ? 'cal-holiday' : 'cal-makeup'] }),
        h('span', { class: 'cal-note-days' }, r.from === r.to ? `${dayNum(r.from)}日` : `${dayNum(r.from)}–${dayNum(r.to)}日`),
        h('span', { class: 'cal-note-name', title: r.name }, r.kind === 'holiday' ? r.name : `${r.name}`)))));
  }

  // After a change: drop what is cached, show the year again, ask the calculator again.
  async function changed({ rediscover = false } = {}) {
    cache.clear();
    if (rediscover) {
      try {
        years = await discoverYears();
      } catch { /* keep the years shown */ }
      if (!years.includes(year)) years = [...years, year].sort((a, b) => a - b);
    }
    if (lastQuery) await compute(lastQuery, { quiet: true });
    await showYear(year);
  }

  // ---------------------------------------------------------------- one day
  function scheduleFor(date) {
    const md = date.slice(5);
    let found = null;
    for (const s of schedules) {
      const inside = s.from <= s.to ? md >= s.from && md <= s.to : md >= s.from || md <= s.to;
      if (inside) found = s; // a later schedule wins
    }
    return found;
  }

  // What the day is without a mark: its weekday's hours in the schedule in force.
  function plainDay(d) {
    const s = scheduleFor(d.date);
    const spec = s ? s.hours[DAY_KEYS[d.weekday - 1]] : '';
    return spec ? { label: '工作日', spec } : { label: '休息日', spec: '' };
  }

  // A name for a new mark, taken from the nearest holiday within ten days.
  async function nearbyHoliday(date) {
    let days = [];
    try { days = await yearDays(Number(date.slice(0, 4))); } catch { return ''; }
    let best = null;
    for (const d of days) {
      if (d.kind !== 'holiday' || d.date === date) continue;
      const gap = Math.abs(Date.parse(d.date) - Date.parse(date)) / 86400000;
      if (gap <= 10 && (!best || gap < best.gap)) best = { gap, name: d.name };
    }
    return best ? best.name : '';
  }

  async function editDay(d) {
    const plain = plainDay(d);
    const t = typeOf(d);
    const near = await nearbyHoliday(d.date);
    const suggest = {
      holiday: d.kind === 'holiday' ? d.name : near,
      workday: d.kind === 'workday' ? d.name : near ? `${near}调休上班` : '调休上班',
    };
    const initial = d.kind !== 'normal' ? d.kind : plain.spec ? 'holiday' : 'workday';
    const options = [
      { value: 'holiday', label: '法定节假日' },
      { value: 'workday', label: '调休上班' },
      d.kind !== 'normal' ? { value: 'clear', label: `恢复默认（${plain.label}）` } : null,
    ].filter(Boolean);
    const kindItem = h('div', { class: 'form-item form-item-wide' },
      h('span', { class: 'form-label' }, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'), '设为'),
      h('div', { class: 'form-control' },
        h('div', { class: 'radio-group', role: 'radiogroup', 'aria-label': '设为' }, options.map((o) =>
          h('label', { class: 'radio', 'data-kind': o.value }, h('input', { type: 'radio', name: 'kind', value: o.value, checked: o.value === initial }), h('span', null, o.label)))),
        h('div', { class: 'form-error', role: 'alert' })));
    const listId = `cal-names-${d.date}`;
    const nameItem = field({
      label: '名称', name: 'name', required: true, value: suggest[initial] || '', placeholder: '如 春节、国庆节调休上班', wide: true,
      attrs: { maxlength: 32, list: listId },
    });
    nameItem.append(h('datalist', { id: listId }, HOLIDAY_NAMES.flatMap((n) => [h('option', { value: n }), h('option', { value: `${n}调休上班` })])));
    const effect = h('div', { class: 'form-hint cal-effect', 'data-testid': 'day-effect' });
    const form = h('form', { novalidate: true, id: 'calendar-day-form' }, kindItem, nameItem, effect);
    const nameInput = form.querySelector('[name="name"]');
    let nameTouched = false;
    nameInput.addEventListener('input', () => { nameTouched = true; });
    const kindNow = () => (form.querySelector('[name="kind"]:checked') || {}).value;
    const mondayHours = () => { const s = scheduleFor(d.date); return s ? s.hours.mon : ''; };
    function showEffect() {
      const k = kindNow();
      nameItem.hidden = k === 'clear';
      if (!nameTouched && suggest[k] !== undefined) nameInput.value = suggest[k];
      effect.textContent = k === 'holiday' ? '当天全天休息，不计工作时间。'
        : k === 'workday' ? `当天按星期一的作息上班：${hoursText(mondayHours())}。`
          : `取消「${d.name}」标记，恢复为${plain.label}${plain.spec ? `（${hoursText(plain.spec)}）` : '（全天休息）'}。`;
    }
    form.addEventListener('change', (e) => {
      if (e.target.name === 'kind') {
        clearErrors(form);
        showEffect();
      }
    });
    showEffect();

    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'calendar-day-form', 'data-action': 'save-day' }, '保存');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const dlg = openDialog({
      title: '设置日期',
      width: 520,
      className: 'dialog-calendar-day',
      body: [
        h('p', { class: 'dialog-lead' }, h('b', null, longDay(d.date)), '　当前：',
          tag(TYPES[t].label + (d.name ? `（${d.name}）` : ''), { holiday: 'danger', makeup: 'warning', work: 'primary', rest: 'default' }[t]),
          d.is_workday ? `　${hoursText(d.hours)}` : ''),
        form,
      ],
      footer: [cancel, submit],
    });
    cancel.addEventListener('click', () => dlg.close(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const k = kindNow();
      const name = formValues(form).name;
      if (k !== 'clear' && !name) {
        setFieldError(form, 'name', '请输入名称，如 春节、国庆节调休上班');
        nameInput.focus();
        return;
      }
      if (k === 'holiday' && d.kind === 'holiday' && name === d.name) return void dlg.close(false);
      if (k === 'workday' && d.kind === 'workday' && name === d.name) return void dlg.close(false);
      const message = k === 'holiday' ? `将 ${longDay(d.date)} 设为法定节假日「${name}」，当天不计工作时间。${AFTER_CHANGE}确定吗？`
        : k === 'workday' ? `将 ${longDay(d.date)} 设为调休上班「${name}」，当天按星期一的作息上班（${hoursText(mondayHours())}）。${AFTER_CHANGE}确定吗？`
          : `将取消 ${longDay(d.date)} 的「${d.name}」标记，恢复为${plain.label}。${AFTER_CHANGE}确定吗？`;
      const ok = await confirmDialog({ title: k === 'clear' ? '恢复默认' : '修改工作日历', message, okText: '确定修改', danger: k === 'clear' });
      if (!ok) return;
      const restore = busy(submit, '正在保存…');
      try {
        const day = k === 'clear'
          ? await api.del(`/calendar/days/${d.date}`)
          : await api.put(`/calendar/days/${d.date}`, { kind: k, name });
        restore();
        dlg.close(true);
        const now = day ? typeOf(day) : 'work';
        toast(k === 'clear' ? `${longDay(d.date)} 已恢复为${TYPES[now].label}` : `${longDay(d.date)} 已设为${TYPES[now].label}「${day ? day.name : name}」`);
        await changed();
      } catch (err) {
        restore();
        showFormError(form, err, { fieldForCode: {} });
      }
    });
  }

  // ---------------------------------------------------------------- import
  function openImport() {
    // The browser's own file button speaks the browser's language: a button of ours opens it.
    const fileInput = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv,text/plain', hidden: true, id: 'calendar-import-file' });
    const fileName = h('span', { class: 'muted' }, '未选择文件');
    const fileItem = h('div', { class: 'form-item form-item-wide' },
      h('span', { class: 'form-label' }, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'), 'CSV 文件'),
      h('div', { class: 'form-control' },
        h('div', { class: 'card-tools' },
          h('button', { type: 'button', class: 'btn', 'data-action': 'pick-file', onclick: () => fileInput.click() }, icon('upload'), '选择文件'),
          fileName, fileInput),
        h('div', { class: 'form-error', role: 'alert' }),
        h('div', { class: 'form-hint', 'data-testid': 'import-preview' }, '不超过 1 MB，UTF-8 或 GBK 编码均可')));
    const preview = fileItem.querySelector('[data-testid="import-preview"]');
    const form = h('form', { novalidate: true, id: 'calendar-import-form' },
      h('div', { class: 'cal-format' },
        h('p', null, '每年国务院办公厅发布节假日安排通知后，将放假日期和调休上班日期整理成 CSV 文件导入。文件格式：第一行为表头 ',
          h('code', null, 'date,kind,name'), '，此后每行一个日期：日期（年-月-日，如 2026-10-01）、类型（', h('code', null, 'holiday'), ' 为法定节假日，',
          h('code', null, 'workday'), ' 为调休上班）、名称。空行和以 # 开头的行不读取。'),
        h('pre', { class: 'json' }, 'date,kind,name\n2026-02-14,workday,春节调休上班\n2026-02-15,holiday,春节\n2026-02-16,holiday,春节'),
        h('p', { class: 'muted' }, '整份文件全部无误才会导入；有任何一行出错则不导入，并列出每一处错误。文件中已设置过的日期将被覆盖。')),
      fileItem);
    let text = null;
    let summary = null;
    fileInput.addEventListener('change', async () => {
      clearErrors(form);
      text = null;
      summary = null;
      const file = fileInput.files[0];
      fileName.textContent = file ? file.name : '未选择文件';
      if (!file) {
        preview.textContent = '不超过 1 MB，UTF-8 或 GBK 编码均可';
        return;
      }
      if (file.size > CSV_MAX) {
        setFieldError(form, 'file', `文件 ${file.name} 超过 1 MB，请只保留节假日安排后重试`);
        return;
      }
      text = await readCsv(file);
      // A count for the confirmation; the server checks every line. A line of another
      // type is counted apart, so that the numbers add up and the slip shows before importing.
      const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).slice(1);
      const kindOf = (l) => (l.split(',')[1] || '').trim();
      const holidays = lines.filter((l) => kindOf(l) === 'holiday').length;
      const workdays = lines.filter((l) => kindOf(l) === 'workday').length;
      const unknown = lines.length - holidays - workdays;
      const ys = [...new Set(lines.map((l) => l.slice(0, 4)).filter((s) => /^\d{4}$/.test(s)))].sort();
      summary = { rows: lines.length, holidays, workdays, unknown, years: ys };
      preview.textContent = `共 ${lines.length} 行：${countText(summary)}${ys.length ? `（${ys.join('、')} 年）` : ''}`;
      preview.classList.toggle('text-danger', unknown > 0);
    });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'calendar-import-form', 'data-action': 'import-submit' }, icon('upload'), '导入');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const dlg = openDialog({ title: '导入节假日安排', width: 620, className: 'dialog-calendar-import', body: form, footer: [cancel, submit] });
    cancel.addEventListener('click', () => dlg.close(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!fileInput.files[0]) {
        setFieldError(form, 'file', '请选择要导入的 CSV 文件');
        return;
      }
      if (text === null) return; // too big, already said so
      if (!summary.rows) {
        setFieldError(form, 'file', '文件中没有日期行，请检查文件内容');
        return;
      }
      // The server checks every line first (a dry run): a bad file is listed, not confirmed.
      const showErrors = (err) => {
        const errors = err.body && Array.isArray(err.body.errors) ? err.body.errors : [];
        if (errors.length) {
          setFormAlert(form, [
            `文件有 ${errors.length} 处错误，未导入任何日期。请修改后重新选择文件：`,
            h('ul', { class: 'batch-fails cal-import-errors', 'data-testid': 'import-errors' }, errors.map((x) => h('li', { 'data-line': x.line }, x.reason))),
          ]);
        } else if (err.code === 'calendar_csv_too_big' || err.status === 413) {
          setFieldError(form, 'file', err.detail);
        } else {
          setFormAlert(form, err.detail || err.title);
        }
      };
      let restore = busy(submit, '正在检查…');
      try {
        await api.postCsv('/calendar/import', text, { dry_run: 1 });
      } catch (err) {
        restore();
        showErrors(err);
        return;
      }
      restore();
      const ok = await confirmDialog({
        title: '导入节假日安排',
        message: `文件已检查无误。将导入 ${summary.rows} 个日期（${countText(summary)}），文件中已设置过的日期将被覆盖。${AFTER_CHANGE}确定导入吗？`,
        okText: '确定导入',
      });
      if (!ok) return;
      restore = busy(submit, '正在导入…');
      try {
        const res = await api.postCsv('/calendar/import', text);
        restore();
        dlg.close(true);
        toast(`已导入 ${res.imported} 个日期`);
        const y = Number(summary.years[summary.years.length - 1]);
        if (y && !Number.isNaN(y)) year = y;
        await changed({ rediscover: true });
      } catch (err) {
        restore();
        showErrors(err);
      }
    });
  }

  // ---------------------------------------------------------------- working hours
  const schedBody = h('div', { 'data-testid': 'schedules' }, spinnerBlock());
  const schedCard = card({
    title: '作息时间',
    extra: canWrite ? h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'edit-schedules', onclick: editSchedules, disabled: true }, '修改') : null,
    body: schedBody,
  });

  async function loadSchedules() {
    try {
      schedules = (await api.get('/calendar/schedules')).items;
      renderSchedules();
      const btn = schedCard.querySelector('[data-action="edit-schedules"]');
      if (btn) btn.disabled = false;
    } catch (err) {
      schedBody.replaceChildren(h('div', { class: 'alert alert-error' }, icon('error'),
        h('div', { class: 'alert-text' }, `作息时间加载失败：${err.detail || err.message}`, ' ',
          h('button', { type: 'button', class: 'link', onclick: loadSchedules }, '重试'))));
    }
  }

  // Mon..Sun grouped into runs of equal hours: [{label: '周一至周五', spec}].
  function weekRuns(hours) {
    const runs = [];
    DAY_KEYS.forEach((k, i) => {
      const last = runs[runs.length - 1];
      if (last && last.spec === hours[k]) last.to = i;
      else runs.push({ from: i, to: i, spec: hours[k] });
    });
    return runs.map((r) => ({
      label: r.from === r.to ? `周${WEEKDAYS[r.from]}` : r.to === r.from + 1 ? `周${WEEKDAYS[r.from]}、周${WEEKDAYS[r.to]}` : `周${WEEKDAYS[r.from]}至周${WEEKDAYS[r.to]}`,
      spec: r.spec,
    }));
  }

  function renderSchedules() {
    const blocks = schedules.map((s, i) => h('div', { class: 'cal-sched', 'data-schedule': i },
      h('div', { class: 'cal-sched-head' },
        h('b', null, `${monthDay(s.from)}至${monthDay(s.to)}`),
        s.note ? tag(s.note, 'primary') : null),
      h('dl', { class: 'kv cal-kv' }, weekRuns(s.hours).map((r) => [
        h('dt', null, r.label),
        h('dd', null, r.spec ? `${hoursText(r.spec)}（${minutesText(specMinutes(r.spec))}）` : h('span', { class: 'muted' }, '休息')),
      ]))));
    schedBody.replaceChildren(
      ...(blocks.length ? blocks : [h('p', { class: 'muted' }, '尚未设置作息时间')]),
      h('p', { class: 'cal-foot' }, '法定节假日全天休息；调休上班日按星期一的作息上班。', schedules.length > 1 ? '日期重叠时，以排在后面的作息为准。' : ''));
  }

  const MD_RE = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
  const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const validMd = (s) => MD_RE.test(s) && Number(s.slice(3)) <= MONTH_DAYS[Number(s.slice(0, 2)) - 1];
  // Tidies what people type (全角标点, 至, spaces) into "HH:MM-HH:MM,…"; null when it is not hours.
  function normHours(raw) {
    const s = raw.replace(/[\s]/g, '').replace(/[：]/g, ':').replace(/[，、；;]/g, ',').replace(/[–—~～至到]/g, '-');
    if (!s) return '';
    const parts = s.split(',');
    if (parts.length > 4) return null;
    let prev = -1;
    const out = [];
    for (const p of parts) {
      const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(p);
      if (!m) return null;
      const a = Number(m[1]) * 60 + Number(m[2]);
      const b = Number(m[3]) * 60 + Number(m[4]);
      if (Number(m[2]) > 59 || Number(m[4]) > 59 || b > 24 * 60 || a >= b || a < prev) return null;
      prev = b;
      const t = (x) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
      out.push(`${t(a)}-${t(b)}`);
    }
    return out.join(',');
  }

  function editSchedules() {
    let rows = schedules.map((s) => ({ from: s.from, to: s.to, note: s.note, hours: { ...s.hours } }));
    if (!rows.length) rows = [{ from: '01-01', to: '12-31', note: '全年作息', hours: { mon: '08:30-12:00,14:00-17:30', tue: '08:30-12:00,14:00-17:30', wed: '08:30-12:00,14:00-17:30', thu: '08:30-12:00,14:00-17:30', fri: '08:30-12:00,14:00-17:30', sat: '', sun: '' } }];
    const form = h('form', { novalidate: true, id: 'calendar-schedules-form' });
    const addBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'add-schedule' }, icon('plus'), '添加时段');

    // What the form holds now, so that adding or removing a block keeps the typing.
    function read() {
      const v = formValues(form);
      return rows.map((r, i) => ({
        from: v[`from-${i}`] ?? r.from, to: v[`to-${i}`] ?? r.to, note: v[`note-${i}`] ?? r.note,
        hours: Object.fromEntries(DAY_KEYS.map((k) => [k, v[`${k}-${i}`] ?? r.hours[k]])),
      }));
    }
    function draw() {
      form.replaceChildren(...rows.map((r, i) => h('fieldset', { class: 'cal-sched-edit', 'data-schedule': i },
        h('legend', null, `作息时段 ${i + 1}`,
          rows.length > 1 ? h('button', { type: 'button', class: 'link link-danger', 'data-action': 'remove-schedule', onclick: () => { rows = read(); rows.splice(i, 1); draw(); } }, '删除') : null),
        h('div', { class: 'form-grid cal-sched-grid' },
          field({ label: '开始日期', name: `from-${i}`, required: true, value: r.from, placeholder: '月-日，如 05-01', attrs: { maxlength: 5 } }),
          field({ label: '结束日期', name: `to-${i}`, required: true, value: r.to, placeholder: '月-日，如 09-30', attrs: { maxlength: 5 } }),
          field({ label: '说明', name: `note-${i}`, value: r.note, placeholder: '如 夏季作息', wide: true, attrs: { maxlength: 30 } }),
          DAY_KEYS.map((k, j) => field({ label: `星期${WEEKDAYS[j]}`, name: `${k}-${i}`, value: r.hours[k], placeholder: '休息', attrs: { maxlength: 60 } }))))));
      addBtn.disabled = rows.length >= 16;
    }
    addBtn.addEventListener('click', () => {
      rows = read();
      rows.push({ from: '05-01', to: '09-30', note: '夏季作息', hours: { ...rows[rows.length - 1].hours } });
      draw();
      form.lastElementChild.scrollIntoView({ block: 'nearest' });
    });
    draw();

    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'calendar-schedules-form', 'data-action': 'save-schedules' }, '保存');
    const cancel = h('button', { type: 'button', class: 'btn' }, '取消');
    const dlg = openDialog({
      title: '修改作息时间',
      width: 720,
      className: 'dialog-calendar-schedules',
      body: [h('p', { class: 'dialog-lead' }, `日期按“月-日”填写，如 05-01（结束日期早于开始日期时跨年）。每天的工作时间${HOURS_HINT}。日期重叠时，以排在后面的时段为准。`), form],
      footer: [h('div', { class: 'cal-foot-left' }, addBtn), cancel, submit],
    });
    cancel.addEventListener('click', () => dlg.close(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      rows = read();
      let ok = true;
      const items = rows.map((r, i) => {
        if (!validMd(r.from)) { setFieldError(form, `from-${i}`, '请按“月-日”填写有效日期，如 05-01'); ok = false; }
        if (!validMd(r.to)) { setFieldError(form, `to-${i}`, '请按“月-日”填写有效日期，如 09-30'); ok = false; }
        const hours = {};
        for (const k of DAY_KEYS) {
          const n = normHours(r.hours[k]);
          if (n === null) { setFieldError(form, `${k}-${i}`, HOURS_HINT); ok = false; }
          hours[k] = n ?? '';
        }
        const item = { from: r.from, to: r.to, hours };
        if (r.note) item.note = r.note;
        return item;
      });
      if (!ok) {
        const first = form.querySelector('.has-error .input');
        if (first) first.focus();
        return;
      }
      if (!items.some((it) => DAY_KEYS.some((k) => it.hours[k]))) {
        setFormAlert(form, '至少需要一天有工作时间，否则无法计算期限。');
        return;
      }
      const confirmed = await confirmDialog({ title: '修改作息时间', message: `将以 ${items.length} 个作息时段替换现有的作息时间。${AFTER_CHANGE}确定吗？`, okText: '确定修改' });
      if (!confirmed) return;
      const restore = busy(submit, '正在保存…');
      try {
        schedules = (await api.put('/calendar/schedules', { items })).items;
        restore();
        dlg.close(true);
        toast('作息时间已修改');
        renderSchedules();
        await changed();
      } catch (err) {
        restore();
        showFormError(form, err);
      }
    });
  }

  // ---------------------------------------------------------------- 时限计算
  // The start as a date and a time of day: a browser's date-time picker speaks its own
  // language and clock (上午/下午 or AM/PM); 24-hour HH:MM is what officials write.
  const nowText = formatTime(new Date());
  const calcForm = h('form', { class: 'cal-calc', novalidate: true, 'data-testid': 'deadline-form' },
    h('div', { class: 'form-item' },
      h('label', { class: 'form-label', for: 'cal-start-date' }, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'), '起算时间'),
      h('div', { class: 'form-control' },
        h('div', { class: 'inline-fields' },
          h('input', { id: 'cal-start-date', name: 'start_date', type: 'date', class: 'input', value: nowText.slice(0, 10), min: '1970-01-01', max: '2200-12-31', 'aria-label': '起算日期' }),
          h('input', { name: 'start_time', type: 'text', class: 'input', value: nowText.slice(11), maxlength: 5, placeholder: '时:分', inputmode: 'numeric', list: 'cal-times', autocomplete: 'off', 'aria-label': '起算时刻' }),
          h('datalist', { id: 'cal-times' }, ['08:30', '12:00', '14:00', '16:00', '17:30'].map((t) => h('option', { value: t })))),
        h('div', { class: 'form-error', role: 'alert' }),
        h('div', { class: 'form-hint' }, '北京时间，24 小时制，如事件受理、交办的时间'))),
    h('div', { class: 'form-item' },
      h('label', { class: 'form-label', for: 'cal-amount' }, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'), '时限'),
      h('div', { class: 'form-control' },
        h('div', { class: 'inline-fields' },
          h('input', { id: 'cal-amount', name: 'amount', type: 'number', class: 'input', min: 0, max: 100000, step: 1, value: '3', inputmode: 'numeric', 'aria-label': '数量' }),
          h('select', { name: 'unit', class: 'input', 'aria-label': '单位' }, UNITS.map((u) => h('option', { value: u.value, selected: u.value === 'work_days' }, u.label)))),
        h('div', { class: 'form-error', role: 'alert' }))),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-action': 'compute' }, icon('timer'), '计算期限'));
  const calcOut = h('div', { class: 'cal-result', 'aria-live': 'polite' },
    h('p', { class: 'muted cal-result-empty' }, '填写起算时间和时限，按当前工作日历算出办理期限。'));
  for (const el of calcForm.querySelectorAll('.input')) {
    el.addEventListener('input', () => {
      const item = el.closest('.form-item');
      item.classList.remove('has-error');
      item.querySelector('.form-error').textContent = '';
    });
  }
  calcForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(calcForm);
    const v = formValues(calcForm);
    const time = /^(\d{1,2})[:：](\d{2})$/.exec(v.start_time);
    let ok = true;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.start_date)) {
      setFieldError(calcForm, 'start_date', '请选择起算日期');
      ok = false;
    } else if (!time || Number(time[1]) > 23 || Number(time[2]) > 59) {
      setFieldError(calcForm, 'start_time', '请按 24 小时制填写时刻，如 16:00');
      ok = false;
    }
    if (!/^\d+$/.test(v.amount) || Number(v.amount) > 100000) {
      setFieldError(calcForm, 'amount', '请输入 0 到 100000 的整数');
      ok = false;
    }
    if (!ok) return;
    const hhmm = `${time[1].padStart(2, '0')}:${time[2]}`;
    compute({ start: `${v.start_date}T${hhmm}:00+08:00`, amount: Number(v.amount), unit: v.unit });
  });

  const RULES = {
    work_days: (n) => `起算当日不计，期限为其后第 ${n} 个工作日的下班时间；休息日、法定节假日不计，调休上班日照常计算。`,
    work_hours: () => '只计作息时间内的工作时间，休息日、法定节假日不计，调休上班日照常计算。',
    work_minutes: () => '只计作息时间内的工作时间，休息日、法定节假日不计，调休上班日照常计算。',
    natural_days: (n) => `按自然日连续计算 ${n} 天，休息日、法定节假日照常计入。`,
  };

  async function compute(q, { quiet = false } = {}) {
    lastQuery = q;
    const btn = calcForm.querySelector('[data-action="compute"]');
    const restore = quiet ? () => {} : busy(btn, '正在计算…');
    try {
      const res = await api.get('/calendar/deadline', q);
      restore();
      result = res;
      let dayNote = '';
      try {
        const days = await yearDays(Number(res.deadline.slice(0, 4)));
        const d = days.find((x) => x.date === formatTime(res.deadline).slice(0, 10));
        if (d && d.kind !== 'normal') dayNote = ` · ${TYPES[typeOf(d)].label}（${d.name}）`;
      } catch { /* the note is a nicety */ }
      const unit = UNITS.find((u) => u.value === res.unit);
      const dDate = formatTime(res.deadline).slice(0, 10);
      calcOut.replaceChildren(
        h('div', { class: 'dl-box', 'data-testid': 'deadline-result', 'data-deadline': res.deadline },
          h('div', { class: 'dl-label' }, icon('timer'), `${formatTime(res.start)} 起 ${res.amount} 个${unit ? unit.label : ''}`),
          h('div', { class: 'dl-value', 'data-testid': 'deadline-value' }, `${formatTime(res.deadline)} 星期${WEEKDAYS[weekdayOf(dDate)]}`),
          h('div', { class: 'dl-sub', title: dayNote }, res.work_minutes >= 0 ? `其间工作时间 ${minutesText(res.work_minutes)}${dayNote}` : `超出日历范围${dayNote}`)),
        h('p', { class: 'cal-foot' }, RULES[res.unit](res.amount)),
        ...(Number(dDate.slice(0, 4)) !== year && years.includes(Number(dDate.slice(0, 4)))
          ? [h('button', { type: 'button', class: 'link', onclick: () => showYear(Number(dDate.slice(0, 4))) }, `在日历中查看 ${dDate.slice(0, 4)} 年`)]
          : []));
      if (!quiet) await showYear(year);
    } catch (err) {
      restore();
      result = null;
      calcOut.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert', 'data-testid': 'deadline-error' }, icon('error'),
        h('div', { class: 'alert-text' }, err.detail || err.title)));
      if (!quiet) await showYear(year);
    }
  }

  // ---------------------------------------------------------------- the page
  root.append(
    pageHeader({
      title: '工作日历',
      crumbs: ['基础数据', '工作日历'],
      desc: canWrite
        ? '事件各环节的办理期限按工作日历计算：作息时间内计工作时间，周末和法定节假日休息，调休上班日照常上班。'
        : '事件各环节的办理期限按工作日历计算：作息时间内计工作时间，周末和法定节假日休息，调休上班日照常上班。日历由系统管理员维护。',
      actions: canWrite ? h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'import', onclick: openImport }, icon('upload'), '导入节假日安排') : null,
    }),
    h('div', { class: 'cal-layout' },
      yearCard,
      h('div', { class: 'col' },
        card({ title: '时限计算', body: [calcForm, calcOut], className: 'cal-calc-card' }),
        schedCard)));

  loadSchedules();
  yearTitle.textContent = `${year} 年工作日历`;
  renderSeg();
  showYear(year);
  discoverYears().then((ys) => {
    if (!alive) return;
    years = ys.includes(year) ? ys : [...ys, year].sort((a, b) => a - b);
    renderSeg();
  }).catch(() => {});
  return () => { alive = false; };
}
