/**
 * Pictures of a run: grids of clean / degraded / reconstructed crops with PSNR captions, and the
 * learned filters of filter models, built with the grid and caption helpers of `@bilevel/imaging`.
 * @module
 */
import { clampImage, psnr, tileImages, type Image } from '@bilevel/imaging';
import type { FilterBank } from '@bilevel/models';

/** Nearest-neighbour enlargement by an integer factor. */
export function upscale(img: Image, factor: number): Image {
  if (factor <= 1) return img;
  const { channels, height: H, width: W, data } = img;
  const h = H * factor;
  const w = W * factor;
  const out = new Float64Array(channels * h * w);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < h; i++) {
      const src = c * H * W + Math.floor(i / factor) * W;
      const dst = c * h * w + i * w;
      for (let j = 0; j < w; j++) out[dst + j] = data[src + Math.floor(j / factor)]!;
    }
  }
  return { channels, height: h, width: w, data: out };
}

/** PSNR in dB against `reference` for images in `[0, 1]` (the estimate is clipped to `[0, 1]`). */
export function psnrOf(estimate: Image, reference: Image): number {
  return psnr(estimate, reference, { dataRange: 1, clip: [0, 1] });
}

/** One row of a comparison grid: the clean crop and any number of labelled estimates. */
export interface GridRow {
  /** The ground truth. */
  readonly clean: Image;
  /** Estimates with their labels, e.g. `[['noisy', y], ['learned', x]]`. */
  readonly columns: readonly (readonly [string, Image])[];
}

/**
 * A grid with one row per crop: clean, then each estimate with the caption `LABEL 27.31 dB`
 * (PSNR against the clean crop). Small crops are enlarged (nearest neighbour) to about 128 px
 * so the pictures and captions stay readable.
 */
export function comparisonGrid(rows: readonly GridRow[]): Image {
  const size = Math.max(...rows.map((r) => Math.max(r.clean.height, r.clean.width)));
  const factor = Math.max(1, Math.floor(128 / size));
  const images: Image[] = [];
  const captions: string[] = [];
  for (const r of rows) {
    images.push(upscale(clampImage(r.clean), factor));
    captions.push('CLEAN');
    for (const [label, img] of r.columns) {
      images.push(upscale(clampImage(img), factor));
      captions.push(`${label.toUpperCase()} ${psnrOf(img, r.clean).toFixed(2)} dB`);
    }
  }
  return tileImages(images, { columns: 1 + (rows[0]?.columns.length ?? 0), padding: 4, captions, background: 1 });
}

/**
 * The learned filters as one picture: each filter min–max normalised to `[0, 1]` (mid-gray is
 * not zero; a colour filter over all its channels, shown in RGB), enlarged, sorted by decreasing effective weight when known, captioned with its index.
 */
export function filterPicture(bank: FilterBank, columns = 8): Image {
  const { count, size, data } = bank;
  const C = bank.channels ?? 1; // colour filters (7×7×3) are shown as RGB patches
  const n = C * size * size;
  const order = Array.from({ length: count }, (_, i) => i);
  if (bank.weights) order.sort((a, b) => bank.weights![b]! - bank.weights![a]!);
  const factor = Math.max(2, Math.floor(56 / size));
  const images: Image[] = [];
  const captions: string[] = [];
  for (const j of order) {
    const f = data.subarray(j * n, (j + 1) * n);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of f) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo || 1;
    const img: Image = { channels: C, height: size, width: size, data: Float64Array.from(f, (v) => (v - lo) / span) };
    images.push(upscale(img, factor));
    captions.push(String(j));
  }
  return tileImages(images, { columns: Math.min(columns, count), padding: 3, captions, background: 1 });
}
