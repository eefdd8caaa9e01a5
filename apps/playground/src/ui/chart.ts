/**
 * A small SVG line chart (no library): series of points on linear or log-10 axes, redrawn whole.
 * @module
 */

/** One line of a chart. */
export interface Series {
  /** Stroke colour. */
  readonly color: string;
  /** Points `[x, y]`; non-finite or (on a log axis) non-positive values are skipped. */
  readonly points: readonly (readonly [number, number])[];
}

const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/** Draw `series` into `svg` (its children are replaced); `logY` plots log₁₀ y. */
export function drawChart(svg: SVGSVGElement, series: readonly Series[], logY = false): void {
  svg.replaceChildren();
  const ty = (y: number): number => (logY ? Math.log10(y) : y);
  const ok = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0);
  const pts = series.flatMap((s) => s.points.filter(ok));
  if (pts.length === 0) return;
  const x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let [y0, y1] = [Math.min(...pts.map((p) => ty(p[1]))), Math.max(...pts.map((p) => ty(p[1])))];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number): number => H - PAD.bottom - ((ty(y) - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const el = (name: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  el('line', { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, stroke: '#999' });
  el('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, stroke: '#999' });
  const yLabel = (v: number): string => fmt(logY ? 10 ** v : v);
  el('text', { x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end', 'font-size': 9 }, yLabel(y1));
  el('text', { x: PAD.left - 4, y: H - PAD.bottom, 'text-anchor': 'end', 'font-size': 9 }, yLabel(y0));
  el('text', { x: PAD.left, y: H - 6, 'font-size': 9 }, fmt(x0));
  el('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end', 'font-size': 9 }, fmt(x1));
  for (const s of series) {
    const d = s.points.filter(ok).map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    if (d) el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.5 });
  }
}
