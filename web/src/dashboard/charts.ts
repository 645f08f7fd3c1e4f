/**
 * Hand-rolled SVG charts: a few dozen shapes each, so no chart library (and its 100+ KB) is
 * needed. Each chart is drawn at its container's pixel width (`width`), so text keeps its size
 * whatever the layout; the viewBox then only scales on later resizes.
 */
const NS = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(width: number, height: number, label: string): SVGSVGElement {
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' }) as SVGSVGElement;
}

/** A round axis maximum (1, 2, 5 × 10^n) at or above `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 10;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p);
}

export interface Series {
  id: string;
  label: string;
  color: string;
  values: number[];
}

/** Grouped bars: one group per x label, one bar per series. */
export function groupedBars(labels: string[], series: Series[], title: string, W: number): SVGSVGElement {
  const H = 220;
  const pad = { l: 44, r: 10, t: 12, b: 28 };
  const root = frame(W, H, title);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const y = (v: number) => pad.t + plotH - (Math.max(0, v) / max) * plotH;
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    root.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, Math.round(v).toLocaleString()));
  }
  const group = plotW / Math.max(1, labels.length);
  const bar = Math.max(2, Math.min(18, (group * 0.8) / Math.max(1, series.length)));
  labels.forEach((label, i) => {
    const x0 = pad.l + group * i + (group - bar * series.length) / 2;
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const rect = svg('rect', { x: x0 + j * bar, y: y(v), width: bar - 1, height: pad.t + plotH - y(v), fill: s.color, rx: 2 });
      rect.append(svg('title', {}, `${s.label}, ${label}: ${v.toLocaleString()} words`));
      root.append(rect);
    });
    if (labels.length <= 16 || i % 2 === 0) {
      root.append(svg('text', { x: pad.l + group * i + group / 2, y: H - 8, 'text-anchor': 'middle', class: 'tick' }, label));
    }
  });
  return root;
}

export interface Span {
  from: number;
  to: number;
  label: string;
}
export interface Lane {
  id: string;
  label: string;
  color: string;
  spans: Span[];
}

/** Horizontal lanes (one per writer) with a bar per session between `from` and `to`. */
export function timeline(lanes: Lane[], from: number, to: number, title: string, W: number): SVGSVGElement {
  const laneH = 30;
  const pad = { l: 90, r: 12, t: 8, b: 24 };
  const H = pad.t + pad.b + Math.max(1, lanes.length) * laneH;
  const root = frame(W, H, title);
  const span = Math.max(60_000, to - from);
  const x = (t: number) => pad.l + ((Math.min(Math.max(t, from), to) - from) / span) * (W - pad.l - pad.r);
  for (let i = 0; i <= 4; i++) {
    const t = from + (span / 4) * i;
    root.append(svg('line', { x1: x(t), x2: x(t), y1: pad.t, y2: H - pad.b, class: 'grid' }));
    const time = new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    root.append(svg('text', { x: x(t), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, time));
  }
  lanes.forEach((lane, i) => {
    const top = pad.t + i * laneH;
    root.append(svg('text', { x: pad.l - 8, y: top + laneH / 2 + 4, 'text-anchor': 'end', class: 'lane', fill: lane.color }, lane.label));
    for (const s of lane.spans) {
      const rect = svg('rect', { x: x(s.from), y: top + 6, width: Math.max(3, x(s.to) - x(s.from)), height: laneH - 12, fill: lane.color, rx: 4, opacity: 0.85 });
      rect.append(svg('title', {}, `${lane.label}: ${s.label}`));
      root.append(rect);
    }
  });
  return root;
}

export interface HBar {
  id: string;
  label: string;
  color: string;
  value: number;
  note: string;
}

/** Horizontal bars with the value and a note at the end of each. */
export function horizontalBars(rows: HBar[], title: string, W: number): SVGSVGElement {
  const rowH = 34;
  const pad = { l: 90, r: 8, t: 4, b: 4 };
  const H = pad.t + pad.b + Math.max(1, rows.length) * rowH;
  const root = frame(W, H, title);
  const max = Math.max(1, ...rows.map((r) => r.value));
  rows.forEach((r, i) => {
    const top = pad.t + i * rowH;
    // The bar on top, its note in small type under it: notes never collide with long bars.
    const width = (Math.max(0, r.value) / max) * (W - pad.l - pad.r);
    root.append(svg('text', { x: pad.l - 8, y: top + 14, 'text-anchor': 'end', class: 'lane', fill: r.color }, r.label));
    root.append(svg('rect', { x: pad.l, y: top + 4, width: Math.max(2, width), height: 12, fill: r.color, rx: 3 }));
    root.append(svg('text', { x: pad.l, y: top + 29, class: 'value' }, r.note));
  });
  return root;
}
