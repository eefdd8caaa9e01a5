/**
 * Images and filter banks onto canvases.
 * @module
 */
import type { Image } from '@bilevel/imaging';
import type { Filters } from '../protocol.js';

/** Draw a gray or RGB image (values clipped to [0, 1]) at its own size; CSS scales it. */
export function drawImage(canvas: HTMLCanvasElement, img: Image): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d')!;
  const out = ctx.createImageData(img.width, img.height);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[(img.channels >= 3 ? c : 0) * n + p]!;
      out.data[4 * p + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
    out.data[4 * p + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

/** Draw each filter scaled to its own [−max|k|, max|k|] (gray = 0), side by side, 8 px per tap. */
export function drawFilters(canvas: HTMLCanvasElement, f: Filters): void {
  const s = 8;
  const gap = 4;
  canvas.width = f.count * (f.size * s + gap);
  canvas.height = f.size * s;
  const ctx = canvas.getContext('2d')!;
  const per = f.size * f.size;
  for (let i = 0; i < f.count; i++) {
    let m = 1e-12;
    for (let t = 0; t < per; t++) m = Math.max(m, Math.abs(f.data[i * per + t]!));
    for (let t = 0; t < per; t++) {
      const v = Math.round(127.5 + (127.5 * f.data[i * per + t]!) / m);
      ctx.fillStyle = `rgb(${v},${v},${v})`;
      ctx.fillRect(i * (f.size * s + gap) + (t % f.size) * s, Math.floor(t / f.size) * s, s, s);
    }
  }
}
