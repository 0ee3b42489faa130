// gindex.js - the 基层治理指数 (grassroots-governance index), 0-100, per unit.
//
// This mirrors DESIGN §5: "A 基层治理指数 per township is a configurable weighted
// composite of these [indicators], 0–100, with bands", with the assessment bands
// A ≥ 90, B ≥ 75, C ≥ 60, D. It is computed here from /api/v1/stats/children
// only until the server offers it: the weights are configuration and the index
// belongs server-side, next to the rollups, so that the screen, the console and
// the assessment all rank units the same way. Move it there and delete this file.

export const INDEX_WEIGHTS = [
  { key: 'on_time_closure_rate', label: '按期结案率', weight: 0.30 },
  { key: 'closure_rate', label: '结案率', weight: 0.20 },
  { key: 'satisfaction_rate', label: '满意率', weight: 0.20 },
  { key: 'rework_rate', label: '未返工率（1 − 返工率）', weight: 0.15, invert: true },
  { key: 'timely_dispatch_rate', label: '及时派遣率', weight: 0.15 },
];

// Units with fewer cases than this in the period are not ranked (too noisy).
export const MIN_ACCEPTED = 5;

export const BANDS = [
  { min: 90, band: 'A', label: '优秀' },
  { min: 75, band: 'B', label: '良好' },
  { min: 60, band: 'C', label: '一般' },
  { min: -Infinity, band: 'D', label: '较差' },
];

const clamp01 = (x) => Math.max(0, Math.min(1, x));

// stats: one item of /stats/summary or /stats/children ({counts, rates}).
// Returns {score, band, bandLabel, parts} or null when there is too little data.
// A missing rate (nothing to measure, e.g. no ratings yet) drops out and the
// remaining weights are scaled up to 100%.
export function governanceIndex(stats) {
  if (!stats || !stats.rates || (stats.counts && stats.counts.accepted < MIN_ACCEPTED)) return null;
  let sum = 0;
  let wsum = 0;
  const parts = [];
  for (const w of INDEX_WEIGHTS) {
    const r = stats.rates[w.key];
    if (r === null || r === undefined || Number.isNaN(r)) continue;
    const v = clamp01(w.invert ? 1 - r : r);
    sum += v * w.weight;
    wsum += w.weight;
    parts.push({ ...w, value: v });
  }
  if (wsum === 0) return null;
  const score = Math.round((sum / wsum) * 1000) / 10;
  const b = BANDS.find((x) => score >= x.min);
  return { score, band: b.band, bandLabel: b.label, parts };
}

// Items of /stats/children with their index, best first; unranked ones dropped.
export function rankUnits(items) {
  return items
    .map((it) => ({ ...it, index: governanceIndex(it) }))
    .filter((it) => it.index)
    .sort((a, b) => b.index.score - a.index.score || b.counts.reported - a.counts.reported)
    .map((it, i) => ({ ...it, rank: i + 1 }));
}

export function weightsText() {
  return INDEX_WEIGHTS.map((w) => `${w.label} ${Math.round(w.weight * 100)}%`).join('，');
}
