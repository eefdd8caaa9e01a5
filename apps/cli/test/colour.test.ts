// Colour end to end: RGB data (data.gray false), a colour FoE (filters across the channels)
// trained by `bilevel train`, RGB pictures, the vectorial TV baseline, and `eval --model` on RGB
// images.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anyOf, maxIterations, run, tolerance } from '@bilevel/core';
import { centerCrop, type Image } from '@bilevel/imaging';
import { loadPhotograph, readImage } from '@bilevel/imaging/node';
import { modelFromJson } from '@bilevel/models';
import { Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Pdhg } from '@bilevel/solvers';
import { describe, expect, it } from 'vitest';
import { TV_BASELINE_HUBER, reconstructTvBaseline } from '../src/wiring/problem.js';
import { cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

/** Gray Huber-TV `½‖x − y‖² + α Σ Huber_ε(|∇x|)` solved directly by PDHG to high accuracy. */
function grayHuberTv(y: Image, alpha: number, epsilon: number): Float64Array {
  const K = new Gradient2D({ channels: 1, height: y.height, width: y.width });
  const fStar = new HuberConjugate({ shape: K.range, groupSize: 2, alpha, epsilon });
  const g = new QuadraticFidelity({ shape: K.domain, data: y.data });
  const solver = new Pdhg();
  const state = solver.init({ K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() }, { x: y.data });
  run(solver, state, { stop: anyOf(tolerance(1e-10), maxIterations(20000)), certificateEvery: 10 });
  return Float64Array.from(state.x);
}

describe('colour', () => {
  it('the colour TV baseline is vectorial: on a gray image copied to three channels it is gray TV with α/√3, ε/√3', () => {
    // Huber_ε(√3 t) = √3 Huber_{ε/√3}(t): with equal channels, ½‖x − y‖² + α Σ Huber_ε(|∇x|) over
    // all channels of a pixel is three copies of the gray problem with weight α/√3 and ε/√3.
    const gray = centerCrop(loadPhotograph('march-pastoral', { gray: true, maxSide: 96 }), 20, 24);
    const noisy = { ...gray, data: gray.data.map((v, i) => v + 0.1 * Math.sin(1.7 * i)) };
    const rgb: Image = { channels: 3, height: gray.height, width: gray.width, data: Float64Array.from({ length: 3 * gray.data.length }, (_, i) => noisy.data[i % gray.data.length]!) };
    const alpha = 0.08;
    const colour = reconstructTvBaseline({ degradation: { kind: 'noise', sigma: 0.1, clamp: false }, ridge: 0 }, alpha, rgb, { epsilon: 1e-10, maxIterations: 20000 }).image;
    const expected = grayHuberTv(noisy, alpha / Math.sqrt(3), TV_BASELINE_HUBER / Math.sqrt(3));
    const perChannel = grayHuberTv(noisy, alpha, TV_BASELINE_HUBER);
    const n = gray.data.length;
    let err = 0;
    let differs = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < n; i++) {
        err = Math.max(err, Math.abs(colour.data[c * n + i]! - expected[i]!));
        differs = Math.max(differs, Math.abs(colour.data[c * n + i]! - perChannel[i]!));
      }
    }
    expect(err).toBeLessThan(1e-6);
    expect(differs, 'not channel-by-channel isotropic TV').toBeGreaterThan(1e-3);
  });

  it('trains a colour FoE (filters 3×3×3) on RGB crops and writes RGB pictures; eval --model reads RGB images', async () => {
    const dir = tempDir();
    const config = tinyConfig({
      name: 'colour',
      data: { ...(tinyConfig().data as object), gray: false },
      model: { kind: 'foe', filters: 2, filterSize: 3, channels: 3, potential: 'smooth', init: { derivativeWeight: 1, logWeight: -2 } },
      budget: { iterations: 3 },
    });
    const out = join(dir, 'run');
    const r = await cli('train', writeConfig(dir, config), '--out', out, '--progress', 'none');
    expect(r.code, r.err).toBe(0);
    for (const f of ['test-grid.png', 'train-grid.png', 'filters.png']) expect(readImage(join(out, f)).channels, f).toBe(3);
    const spec = modelFromJson(readFileSync(join(out, 'model.json'), 'utf8'));
    expect((spec.options as { channels: number }).channels).toBe(3);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(', RGB, longer side');
    const e = await cli('eval', '--model', out, '--images', 'stdlib:test', '--crops', '1', '--crop-size', '24', '--max-side', '64', '--json');
    expect(e.code, e.err).toBe(0);
    const res = JSON.parse(e.out) as { images: number; tv_psnr: number; input_psnr: number };
    expect(res.images).toBe(3);
    expect(res.tv_psnr).toBeGreaterThan(res.input_psnr);
    // a gray model refuses nothing, a colour model reads colour: the crops were RGB
    const gray = await cli('train', writeConfig(dir, { ...config, name: 'gray-on-rgb', model: { kind: 'smooth-tv' } }, 'g.json'), '--out', join(dir, 'g'), '--progress', 'none', '--no-report');
    expect(gray.code, gray.err).toBe(0);
  }, 300_000);
});
