// The demo's chart: published ImageNet top-1 against multiply-adds (log scale) for the 16 α×ρ
// configurations, as in the paper's Figure 4, the running one ringed, latencies measured here
// beside the points.
import { ZOO, zooAlphaName } from '/pkg/index.js';
import { published } from './accuracy.js';

const millions = (n) => `${(n / 1e6).toFixed(1)} M`;

/**
 * Draws into `svg`. `costs`: `${α}_${ρ}` → { macs }; `measured(α, ρ)`: ms measured here or
 * undefined; `current`: { alpha, resolution, dtype }.
 */
export function drawChart(svg, { costs, measured, current }) {
  const ns = 'http://www.w3.org/2000/svg';
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const c = current;
  const [W, H, L, B] = [420, 260, 36, 28];
  const x = (macs) => L + ((Math.log10(macs) - Math.log10(10e6)) / (Math.log10(700e6) - Math.log10(10e6))) * (W - L - 10);
  const y = (acc) => H - B - ((acc - 35) / (75 - 35)) * (H - B - 10);
  const nodes = [el('line', { class: 'axis', x1: L, y1: H - B, x2: W - 5, y2: H - B }),
    el('line', { class: 'axis', x1: L, y1: 5, x2: L, y2: H - B })];
  for (const m of [10e6, 30e6, 100e6, 300e6]) nodes.push(el('text', { x: x(m) - 10, y: H - B + 12 }, `${m / 1e6}M`));
  for (const a of [40, 50, 60, 70]) nodes.push(el('text', { x: 4, y: y(a) + 3 }, `${a}%`));
  nodes.push(el('text', { x: W / 2 - 40, y: H - 4 }, 'multiply-adds (log)'));
  for (const alpha of ZOO.alphas) {
    for (const resolution of ZOO.resolutions) {
      const cc = costs.get(`${alpha}_${resolution}`);
      const acc = published(alpha, resolution, c.dtype);
      if (!cc || !acc) continue;
      const [px, py] = [x(cc.macs), y(acc.top1)];
      const ms = measured(alpha, resolution);
      const point = el('circle', { class: `point ${c.dtype}`, cx: px, cy: py, r: 4,
        'data-config': `${alpha}_${resolution}`, ...(ms ? { 'data-ms': ms.toFixed(3) } : {}) });
      point.append(el('title', {}, `α ${zooAlphaName(alpha)} × ${resolution}: ${acc.top1}% top-1, ${millions(cc.macs)} `
        + `multiply-adds${ms ? `, ${ms.toFixed(1)} ms here` : ''}`));
      nodes.push(point);
      if (ms) {
        const right = px > W - 50; // keep labels inside the chart
        nodes.push(el('text', { x: right ? px - 36 : px + 5, y: py - 4, class: 'latency' }, `${ms.toFixed(1)}ms`));
      }
      if (alpha === c.alpha && resolution === c.resolution) {
        nodes.push(el('circle', { class: 'current', cx: px, cy: py, r: 8, 'data-current': `${alpha}_${resolution}` }));
      }
    }
  }
  svg.replaceChildren(...nodes);
}
