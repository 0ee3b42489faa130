// map.js - the city map of the big screen: township outlines (thin) under county
// outlines (bold), the event heat per township, red ripples at overdue events
// and a short-lived cyan ripple wherever a new event is reported.
//
// The outlines come from /api/v1/units?kind=...&geometry=1 and are registered
// with ECharts as two offline maps. Two geo components share one bounding box so
// that they line up exactly: geo 0 is a slightly lowered plate (the "3D" edge),
// geo 1 the township map that every series draws on. County outlines are a
// lines series over geo 1 rather than a third geo, so they are never hidden
// under the township fills.

/* global echarts */

const COUNTY_MAP = 'tk-quzhou-county';
const TOWNSHIP_MAP = 'tk-quzhou-township';
const FLASH_MS = 30000;

// Area-weighted centroid of the largest outer ring of a Polygon/MultiPolygon.
function labelPoint(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  let bestArea = -1;
  for (const poly of polys) {
    const ring = poly[0];
    let a = 0; let cx = 0; let cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f;
      cx += (ring[j][0] + ring[i][0]) * f;
      cy += (ring[j][1] + ring[i][1]) * f;
    }
    if (Math.abs(a) > bestArea && a !== 0) {
      bestArea = Math.abs(a);
      best = [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best;
}

function rings(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polys.flatMap((p) => p);
}

function bboxOf(features) {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const f of features) {
    for (const ring of rings(f.geometry)) {
      for (const [x, y] of ring) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  return { minX, minY, maxX, maxY };
}

const feature = (u, name) => ({ type: 'Feature', properties: { name, id: u.id }, geometry: u.geometry });

// counties, townships: unit items with geometry. Registers the two maps.
export function registerMaps(counties, townships) {
  const countyById = new Map(counties.map((c) => [c.id, c]));
  const countyFeatures = counties.filter((c) => c.geometry).map((c) => feature(c, c.name));
  // A township's map name is its own name, or "县·乡" when two share a name.
  const seen = new Map();
  for (const t of townships) seen.set(t.name, (seen.get(t.name) || 0) + 1);
  const townshipName = new Map();
  for (const t of townships) {
    const county = countyById.get(t.parent_id);
    townshipName.set(t.id, seen.get(t.name) > 1 && county ? `${county.name}·${t.name}` : t.name);
  }
  const townshipFeatures = townships.filter((t) => t.geometry).map((t) => feature(t, townshipName.get(t.id)));
  echarts.registerMap(COUNTY_MAP, { type: 'FeatureCollection', features: countyFeatures });
  echarts.registerMap(TOWNSHIP_MAP, { type: 'FeatureCollection', features: townshipFeatures });
  const bbox = bboxOf(countyFeatures.length ? countyFeatures : townshipFeatures);
  return {
    bbox,
    countyBorders: countyFeatures.flatMap((f) => rings(f.geometry).map((r) => ({ name: f.properties.name, coords: r }))),
    countyLabels: countyFeatures.map((f) => ({ name: f.properties.name, value: labelPoint(f.geometry) })),
    townshipName,
    countyById,
    townshipCount: townshipFeatures.length,
    countyCount: countyFeatures.length,
  };
}

const pct = (x) => (x === null || x === undefined ? '—' : `${(Math.min(1, x) * 100).toFixed(1)}%`);

export class CityMap {
  constructor(el, geo, { dpr = 1 } = {}) {
    this.el = el;
    this.geo = geo;
    this.chart = echarts.init(el, null, { devicePixelRatio: dpr });
    this.towns = new Map(); // map name -> {unit, stats, index}
    this.overdue = [];
    this.flashes = [];
    this.heatMax = 1;
    this.chart.setOption(this.baseOption());
    this.layout();
  }

  // Map aspect: longitude degrees shrink with the latitude.
  aspect() {
    const b = this.geo.bbox;
    const k = Math.cos(((b.minY + b.maxY) / 2) * Math.PI / 180);
    return ((b.maxX - b.minX) * k) / (b.maxY - b.minY);
  }

  layout() {
    const w = this.el.clientWidth;
    const h = this.el.clientHeight;
    const a = this.aspect();
    // layoutSize is the larger side of the map; fit it in the panel with a margin.
    const fitH = (h - 36) * (a < 1 ? 1 : a);
    const fitW = (w - 36) * (a < 1 ? 1 / a : 1);
    const size = Math.floor(Math.min(fitH, fitW));
    const b = this.geo.bbox;
    const common = {
      boundingCoords: [[b.minX, b.maxY], [b.maxX, b.minY]],
      aspectScale: Math.cos(((b.minY + b.maxY) / 2) * Math.PI / 180),
      layoutSize: size,
    };
    this.chart.setOption({
      geo: [
        // The plate sits 10 px lower than the map: the edge of a raised slab.
        { ...common, layoutCenter: ['50%', `${50 + (1000 / h)}%`] },
        { ...common, layoutCenter: ['50%', '50%'] },
      ],
    });
    this.chart.resize();
  }

  baseOption() {
    return {
      backgroundColor: 'transparent',
      animationDurationUpdate: 600,
      tooltip: {
        trigger: 'item',
        confine: true,
        backgroundColor: 'rgba(3, 20, 44, 0.94)',
        borderColor: 'rgba(38, 214, 255, 0.8)',
        borderWidth: 1,
        padding: [10, 14],
        textStyle: { color: '#d8f6ff', fontSize: 14 },
        extraCssText: 'box-shadow: 0 0 18px rgba(0, 200, 255, .35); border-radius: 2px;',
        formatter: (p) => this.tooltip(p),
      },
      visualMap: [{
        type: 'continuous',
        seriesIndex: 1,
        min: 0,
        max: 1,
        calculable: false,
        show: true,
        right: 20,
        bottom: 20,
        itemWidth: 12,
        itemHeight: 120,
        text: ['多', '少'],
        textGap: 8,
        textStyle: { color: '#8fd3f4', fontSize: 13 },
        inRange: { color: ['rgba(0, 120, 255, 0)', 'rgba(0, 200, 255, 0.55)', '#3cf2d0', '#ffd93b', '#ff7a2f', '#ff2d3a'] },
      }],
      geo: [
        {
          map: COUNTY_MAP,
          silent: true,
          zlevel: 0,
          itemStyle: {
            areaColor: '#07345a',
            borderColor: '#0a6aa8',
            borderWidth: 2,
            shadowColor: 'rgba(0, 190, 255, 0.55)',
            shadowBlur: 28,
          },
          emphasis: { disabled: true },
          tooltip: { show: false },
        },
        {
          map: TOWNSHIP_MAP,
          zlevel: 1,
          roam: false,
          selectedMode: false,
          itemStyle: {
            areaColor: {
              type: 'linear', x: 0, y: 0, x2: 1, y2: 1,
              colorStops: [{ offset: 0, color: '#0c3d6e' }, { offset: 1, color: '#072a50' }],
            },
            borderColor: 'rgba(96, 196, 255, 0.38)',
            borderWidth: 0.6,
          },
          label: { show: false },
          emphasis: {
            itemStyle: { areaColor: '#1570a8', borderColor: '#9ff4ff', borderWidth: 1 },
            label: { show: true, color: '#ffffff', fontSize: 14, fontWeight: 600, textBorderColor: '#02152c', textBorderWidth: 3 },
          },
          tooltip: { show: true },
        },
      ],
      series: [
        { id: 'towns', type: 'map', geoIndex: 1, data: [] },
        {
          id: 'heat', type: 'heatmap', coordinateSystem: 'geo', geoIndex: 1, zlevel: 2,
          pointSize: 20, blurSize: 26, data: [], silent: true,
        },
        {
          id: 'borders', type: 'lines', coordinateSystem: 'geo', geoIndex: 1, polyline: true, zlevel: 3, silent: true,
          lineStyle: { color: '#47eaff', width: 2, opacity: 0.95, shadowColor: '#00d0ff', shadowBlur: 8 },
          data: this.geo.countyBorders,
        },
        {
          id: 'county-labels', type: 'scatter', coordinateSystem: 'geo', geoIndex: 1, zlevel: 4, silent: true,
          symbolSize: 0,
          label: {
            show: true, formatter: '{b}', color: '#f0fdff', fontSize: 17, fontWeight: 700,
            textBorderColor: 'rgba(2, 18, 40, 0.95)', textBorderWidth: 4, letterSpacing: 2,
          },
          data: this.geo.countyLabels,
        },
        {
          id: 'overdue', type: 'effectScatter', coordinateSystem: 'geo', geoIndex: 1, zlevel: 5,
          symbolSize: 9,
          rippleEffect: { scale: 4.5, brushType: 'stroke', period: 3 },
          itemStyle: { color: '#ff3d3d' }, // no shadowBlur: it is costly on every ripple frame
          data: [],
        },
        {
          id: 'flash', type: 'effectScatter', coordinateSystem: 'geo', geoIndex: 1, zlevel: 6,
          symbolSize: 12,
          rippleEffect: { scale: 6, brushType: 'fill', period: 2 },
          itemStyle: { color: '#5ff6ff' },
          label: { show: true, position: 'right', formatter: '{b}', color: '#bff9ff', fontSize: 13, textBorderColor: '#02152c', textBorderWidth: 3 },
          data: [],
        },
      ],
    };
  }

  tooltip(p) {
    if (p.seriesId === 'towns' || p.componentType === 'geo') {
      const t = this.towns.get(p.name);
      if (!t) return `<b>${p.name}</b>`;
      const c = this.geo.countyById.get(t.unit.parent_id);
      const s = t.stats;
      const head = `<div class="tt-title">${p.name}<span class="tt-sub">${c ? c.name : ''}${t.unit.township_class ? ' · ' + t.unit.township_class : ''}</span></div>`;
      if (!s) return `${head}<div class="tt-row">近 30 日暂无统计</div>`;
      const n = s.counts;
      const idx = t.index ? `<div class="tt-index">治理指数 <b>${t.index.score.toFixed(1)}</b> · ${t.index.band} ${t.index.bandLabel}${t.rank ? ` · 第 ${t.rank} 名` : ''}</div>`
        : '<div class="tt-index muted">样本不足，暂不计算治理指数</div>';
      return `${head}
        <table class="tt-grid">
          <tr><td>上报</td><td>${n.reported} 件</td><td>立案</td><td>${n.accepted} 件</td></tr>
          <tr><td>结案率</td><td>${pct(s.rates.closure_rate)}</td><td>按期结案</td><td>${pct(s.rates.on_time_closure_rate)}</td></tr>
          <tr><td>满意率</td><td>${pct(s.rates.satisfaction_rate)}</td><td>超期</td><td class="${n.overdue ? 'tt-red' : ''}">${n.overdue} 件</td></tr>
        </table>${idx}`;
    }
    if (p.seriesId === 'overdue') {
      const e = p.data.event;
      return `<div class="tt-title tt-red">超期 · ${e.number}</div>
        <div class="tt-row">${e.county ? e.county.name : ''} ${e.township ? e.township.name : ''}</div>
        <div class="tt-row">${e.category ? e.category.name : ''} · ${e.state_label}</div>
        <div class="tt-row tt-red">${p.data.late}</div>`;
    }
    if (p.seriesId === 'flash') {
      const e = p.data.event;
      return `<div class="tt-title">新事件 · ${e.number}</div><div class="tt-row">${e.township ? e.township.name : ''} · ${e.category ? e.category.name : ''}</div>`;
    }
    return '';
  }

  // townships: unit items (with lng/lat); stats: items of /stats/children keyed
  // by unit id; ranked: rankUnits() output.
  setTownStats(townships, statsById, ranked) {
    const rankById = new Map(ranked.map((r) => [r.unit_id, r]));
    this.towns.clear();
    const data = [];
    const heat = [];
    let max = 1;
    for (const t of townships) {
      const name = this.geo.townshipName.get(t.id);
      const s = statsById.get(t.id) || null;
      const r = rankById.get(t.id);
      this.towns.set(name, { unit: t, stats: s, index: r ? r.index : null, rank: r ? r.rank : null });
      const reported = s ? s.counts.reported : 0;
      data.push({ name, value: reported });
      if (t.lng !== undefined && reported > 0) {
        heat.push([t.lng, t.lat, reported]);
        if (reported > max) max = reported;
      }
    }
    this.heatMax = max;
    this.chart.setOption({
      visualMap: [{ max: Math.max(1, Math.round(max * 0.8)) }],
      series: [{ id: 'towns', data }, { id: 'heat', data: heat }],
    });
  }

  // events: the overdue box; late(e) -> text.
  setOverdue(events, late) {
    this.chart.setOption({
      series: [{
        id: 'overdue',
        data: events.filter((e) => e.lng !== undefined).map((e) => ({ name: e.number, value: [e.lng, e.lat], event: e, late: late(e) })),
      }],
    });
  }

  // A ripple at a newly reported event for FLASH_MS.
  flash(e) {
    if (e.lng === undefined) return;
    const now = Date.now();
    this.flashes = this.flashes.filter((f) => now - f.at < FLASH_MS && f.event.id !== e.id);
    this.flashes.push({ at: now, event: e });
    this.renderFlashes();
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      this.flashes = this.flashes.filter((f) => Date.now() - f.at < FLASH_MS);
      this.renderFlashes();
    }, FLASH_MS + 100);
  }

  renderFlashes() {
    this.chart.setOption({
      series: [{
        id: 'flash',
        data: this.flashes.map((f) => ({
          name: f.event.category ? f.event.category.name : f.event.number,
          value: [f.event.lng, f.event.lat],
          event: f.event,
        })),
      }],
    });
  }
}
