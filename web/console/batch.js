// batch.js - 批量处理 on the workbench: the desk ticks events in the list and
// accepts them (批量立案), or accepts and hands them to the body the lists suggest
// (批量交办). Each event is its own transition through POST /events/{id}/{action},
// checked and audited as one by hand would be; the result names what was done
// and, for the rest, why not (the server's refusal, in its words).

import { h, icon, openDialog, confirmDialog } from './ui.js';
import { act, refusalText } from './evlib.js';

/** Whether the desk may tick an event for a batch: it waits for 立案 or 交办. */
export function selectable(ev) {
  return ev.state === 'reported' || ev.state === 'accepted';
}

export const BATCHES = {
  accept: {
    label: '批量立案',
    verb: '立案',
    applies: (ev) => ev.state === 'reported',
    skip: '不是待立案状态',
  },
  dispatch: {
    label: '批量交办',
    verb: '交办',
    applies: (ev) => selectable(ev) && !ev.out_of_list && !!ev.suggested_unit,
    skip: '没有清单建议的责任主体，请逐件研判交办',
  },
};

// One event; throws the refusal, said of the step that failed.
async function runOne(kind, ev) {
  if (ev.state === 'reported') await act(ev.id, 'accept', { note: '批量立案' });
  if (kind !== 'dispatch') return;
  try {
    await act(ev.id, 'dispatch', { unit_id: ev.suggested_unit.id, note: '按清单建议批量交办' });
  } catch (err) {
    throw new Error(`${ev.state === 'reported' ? '已立案，' : ''}交办未成功：${refusalText(err)}`);
  }
}

function resultDialog(b, done, failed) {
  const ok = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'batch-ok' }, '知道了');
  const d = openDialog({
    title: `${b.label}结果`,
    width: 560,
    className: 'dialog-batch',
    body: h('div', { 'data-testid': 'batch-result' },
      h('p', { class: 'batch-sum' }, icon(failed.length ? 'warn' : 'success', `icon ${failed.length ? 'is-warn' : 'is-ok'}`),
        `已${b.verb} ${done.length} 件`, failed.length ? `，${failed.length} 件未办理：` : '。'),
      failed.length ? h('ul', { class: 'batch-fails' }, failed.map(({ ev, why }) =>
        h('li', { 'data-number': ev.number }, h('a', { href: `#/events/${ev.id}`, class: 'mono' }, ev.number), h('span', null, why)))) : null),
    footer: [ok],
  });
  ok.addEventListener('click', () => d.close());
  return d.closed;
}

/**
 * runBatch(kind, events) → Promise<{done, failed} | null>: asks, runs one event
 * after another with the progress shown, then shows the result. null: cancelled.
 */
export async function runBatch(kind, events) {
  const b = BATCHES[kind];
  const applicable = events.filter(b.applies);
  const failed = events.filter((ev) => !b.applies(ev)).map((ev) => ({ ev, why: b.skip }));
  const done = [];
  if (applicable.length) {
    const what = kind === 'dispatch' ? '（未立案的先立案），交办给各自清单建议的责任主体' : '';
    const rest = failed.length ? `另有 ${failed.length} 件不适用，将跳过。` : '';
    const yes = await confirmDialog({
      title: b.label,
      message: `将对选中的 ${applicable.length} 件事件${b.verb}${what}。${rest}`,
      okText: `确定${b.verb} ${applicable.length} 件`,
    });
    if (!yes) return null;
    const line = h('p', { class: 'batch-progress' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span'));
    const progress = openDialog({ title: b.label, width: 420, closable: false, body: line });
    for (const [i, ev] of applicable.entries()) {
      line.lastChild.textContent = `正在${b.verb}第 ${i + 1}/${applicable.length} 件：${ev.number}`;
      try {
        await runOne(kind, ev);
        done.push(ev);
      } catch (err) {
        failed.push({ ev, why: err.detail ? refusalText(err) : err.message });
      }
    }
    progress.close();
  }
  await resultDialog(b, done, failed);
  return { done, failed };
}
