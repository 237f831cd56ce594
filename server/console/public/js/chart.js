// Tiny SVG charts: a sparkline for an observation trend, a timeline of dated events.
const NS = 'http://www.w3.org/2000/svg';
const s = (tag, attrs = {}, text) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};

/** points: [{ t: epoch ms, v: number }] oldest first. */
export function sparkline(points, { width = 140, height = 32, label = '' } = {}) {
  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'sparkline',
    role: 'img',
    'aria-label': label,
  });
  if (points.length === 0) return svg;
  const ts = points.map((p) => p.t);
  const vs = points.map((p) => p.v);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const [v0, v1] = [Math.min(...vs), Math.max(...vs)];
  const x = (t) => (t1 === t0 ? width / 2 : 3 + ((t - t0) / (t1 - t0)) * (width - 6));
  const y = (v) => (v1 === v0 ? height / 2 : height - 3 - ((v - v0) / (v1 - v0)) * (height - 6));
  if (points.length > 1)
    svg.append(
      s('polyline', {
        points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '),
        fill: 'none',
        class: 'line',
      }),
    );
  const last = points[points.length - 1];
  svg.append(s('circle', { cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 2.5, class: 'dot' }));
  svg.append(s('title', {}, `${label} ${points.length} value${points.length === 1 ? '' : 's'}, ${v0}–${v1}`));
  return svg;
}

/** events: [{ t: epoch ms, label: string }]; one tick per event on a horizontal axis with year marks. */
export function timeline(events, { width = 720, height = 56 } = {}) {
  const svg = s('svg', {
    width: '100%',
    height,
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: 'none',
    class: 'timeline',
    role: 'img',
    'aria-label': `${events.length} encounters`,
  });
  if (events.length === 0) return svg;
  const ts = events.map((e) => e.t);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const x = (t) => (t1 === t0 ? width / 2 : 10 + ((t - t0) / (t1 - t0)) * (width - 20));
  svg.append(s('line', { x1: 0, x2: width, y1: 30, y2: 30, class: 'axis' }));
  const y0 = new Date(t0).getUTCFullYear();
  const y1 = new Date(t1).getUTCFullYear();
  const step = Math.max(1, Math.ceil((y1 - y0 + 1) / 10));
  for (let y = y0; y <= y1; y += step) {
    const t = Date.UTC(y, 0, 1);
    if (t < t0) continue;
    svg.append(s('text', { x: x(t), y: 52, class: 'year' }, String(y)));
  }
  for (const e of events) {
    const tick = s('rect', { x: x(e.t) - 1.5, y: 18, width: 3, height: 24, class: 'event' });
    tick.append(s('title', {}, e.label));
    svg.append(tick);
  }
  return svg;
}
