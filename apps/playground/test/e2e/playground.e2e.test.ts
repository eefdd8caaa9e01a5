/**
 * The playground in a real browser (Debian's Chromium, headless, through playwright-core): a
 * 2-parameter smoothed-TV model trained on a 64² crop of a bundled photograph, the displayed PSNR
 * rising and the bound finite, pause/resume, the model downloaded as JSON and applied again, the
 * run downloaded as a CLI config that `bilevel train` trains to the page's θ (to 1e-8), the same θ
 * as the same code path in Node, FoE training on gpu.js WebGL in the worker, and the kernels
 * package's WebGL kernels against the float64 engine within the float32 tiers. Screenshots and
 * measurements go to test-artifacts/.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { addGaussianNoise, centerCrop, psnr } from '@bilevel/imaging';
import { loadPhotograph, readPng, writePng } from '@bilevel/imaging/node';
import { readParams, runCli } from '@bilevel/cli';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST } from '../../scripts/serve.mjs';
import type { TrainingSettings } from '../../src/worker/experiment.js';
import { TrainingSession, type StepReport } from '../../src/worker/session.js';
import { ARTIFACTS, openBrowser } from './browser.js';

type Browser = Awaited<ReturnType<typeof openBrowser>>;
let browser: Browser;
let page: Page;
const metrics: Record<string, unknown> = {};

/** The settings the test sets on the page (and gives the Node run). */
const SETTINGS: TrainingSettings = {
  cropSize: 64,
  crops: 1,
  degradation: { kind: 'noise', sigma: 0.1 },
  model: { kind: 'smooth-tv', options: {} },
  method: 'maid',
  seed: 0,
};
const PHOTO = 'nagasaki-boats';
const MAX_SIDE = 256;
const ITERATIONS = 6;

const shown = async (id: string): Promise<string> => (await page.textContent(`[data-testid="${id}"]`)) ?? '';
const shownNumber = async (id: string): Promise<number> => Number.parseFloat(await shown(id));
/**
 * Chooses the model kind, the upper-level method and the backend in their selects, then fills
 * the given text fields (test id → value) in order.
 */
async function chooseTraining(choice: { model: string; method: string; backend: string }, fields: Readonly<Record<string, string>>): Promise<void> {
  await page.selectOption('[data-testid="model"]', choice.model);
  await page.selectOption('[data-testid="method"]', choice.method);
  await page.selectOption('[data-testid="backend-choice"]', choice.backend);
  for (const [id, value] of Object.entries(fields)) await page.fill(`[data-testid="${id}"]`, value);
}
const waitStatus = (re: RegExp): Promise<unknown> =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), re.source, { timeout: 60_000 });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await openBrowser();
  page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  metrics.pageErrors = errors;
}, 600_000);

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await browser?.close();
});

describe('playground in Chromium', () => {
  let downloaded: { kind: string; options: Record<string, unknown>; theta: number[] };

  it('trains a 2-parameter smoothed-TV model: the displayed PSNR rises, the bound is finite', async () => {
    await page.goto(`${browser.url}index.html`);
    await page.waitForFunction(() => !/probing/.test(document.querySelector('[data-testid="gpu"]')?.textContent ?? 'probing'));
    metrics.pageLoadMs = await page.evaluate(() => performance.getEntriesByType('navigation')[0]!.duration);
    await page.screenshot({ path: join(ARTIFACTS, 'start.png'), fullPage: true });
    await page.selectOption('[data-testid="photo"]', PHOTO);
    await page.fill('input[name="maxSide"]', String(MAX_SIDE));
    await page.fill('[data-testid="crop-size"]', '64');
    await chooseTraining({ model: 'smooth-tv', method: 'maid', backend: 'float64' }, { sigma: '0.1', iterations: '1' });
    await page.click('[data-testid="train"]');
    await waitStatus(/^done: 1 iterations/);
    expect(await shown('backend')).toMatch(/float64/);
    expect(await shown('precision')).toBe('float64');
    const psnr1 = await shownNumber('psnr');
    const bound1 = await shownNumber('bound');
    metrics.firstIterationMs = await page.evaluate(() => (window as unknown as { __playground: { firstStepMs: number } }).__playground.firstStepMs);

    // resume for the remaining iterations
    await page.fill('[data-testid="iterations"]', String(ITERATIONS - 1));
    await page.click('[data-testid="resume"]');
    await waitStatus(new RegExp(`^done: ${ITERATIONS} iterations`));
    const psnrN = await shownNumber('psnr');
    const bound = await shownNumber('bound');
    expect(Number.isFinite(psnr1)).toBe(true);
    expect(psnrN).toBeGreaterThan(psnr1);
    expect(Number.isFinite(bound1) && Number.isFinite(bound)).toBe(true);
    expect(await shown('iteration')).toBe(String(ITERATIONS));
    const steps = await page.evaluate(() => (window as unknown as { __playground: { steps: StepReport[] } }).__playground.steps);
    expect(steps.map((s) => s.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    await page.screenshot({ path: join(ARTIFACTS, 'trained.png'), fullPage: true });
    metrics.smoothedTv = { psnrShown: [psnr1, psnrN], bounds: steps.map((s) => s.bound), theta: steps.at(-1)!.theta, wallMs: steps.at(-1)!.time };
  });

  it('downloads the model as { kind, options, theta }', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download"]')]);
    const path = join(ARTIFACTS, 'smooth-tv-model.json');
    await download.saveAs(path);
    downloaded = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(downloaded).sort()).toEqual(['kind', 'options', 'theta']);
    expect(downloaded.kind).toBe('smooth-tv');
    expect(downloaded.options).toEqual({ mode: 'anisotropic', boundary: 'neumann' });
    expect(downloaded.theta).toHaveLength(2);
    expect(downloaded.theta.every(Number.isFinite)).toBe(true);
    // The CLI reads the same file: `bilevel denoise --model smooth-tv-model.json noisy.png out.png`.
    const clean = centerCrop(loadPhotograph(PHOTO, { gray: true, maxSide: MAX_SIDE }), 48, 48);
    const noisy = addGaussianNoise(clean, { sigma: 0.1, seed: 9, clamp: true });
    writePng(join(ARTIFACTS, 'cli-noisy.png'), noisy);
    const lines: string[] = [];
    const code = await runCli(['denoise', '--model', path, join(ARTIFACTS, 'cli-noisy.png'), join(ARTIFACTS, 'cli-denoised.png')], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const denoised = readPng(join(ARTIFACTS, 'cli-denoised.png'));
    expect(psnr(denoised, clean, { dataRange: 1 })).toBeGreaterThan(psnr(noisy, clean, { dataRange: 1 }));
  });

  it('the run downloaded as a CLI config: `bilevel train` on it reaches the page\'s θ to 1e-8', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-config"]')]);
    const path = join(ARTIFACTS, 'experiment.json');
    await download.saveAs(path);
    const config = JSON.parse(readFileSync(path, 'utf8'));
    expect(config.budget.iterations).toBe(ITERATIONS);
    expect(config.data.train).toEqual({ images: [PHOTO], cropSize: 64, cropsPerImage: 1, minStd: 0.03 });
    const out = join(ARTIFACTS, 'cli-run');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const lines: string[] = [];
    const t0 = performance.now();
    const code = await runCli(['train', path, '--out', out, '--no-report', '--progress', 'none'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const cli = [...readParams(out).theta];
    const diff = Math.max(...cli.map((t, i) => Math.abs(t - downloaded.theta[i]!)));
    metrics.cliVsBrowser = { config: 'experiment.json', cli, browser: downloaded.theta, maxAbsDifference: diff, cliMs: performance.now() - t0 };
    expect(diff).toBeLessThanOrEqual(1e-8);
  });

  it('reaches the θ of the same code path in Node to 1e-8 (same seed, same photograph)', async () => {
    const clean = { name: PHOTO, image: loadPhotograph(PHOTO, { gray: true, maxSide: MAX_SIDE }) };
    const node = new TrainingSession(clean, SETTINGS, { maxSide: MAX_SIDE });
    for (let k = 0; k < ITERATIONS; k++) await node.step();
    const theta = node.model().theta;
    const diff = Math.max(...theta.map((t, i) => Math.abs(t - downloaded.theta[i]!)));
    metrics.nodeVsBrowser = { node: theta, browser: downloaded.theta, maxAbsDifference: diff };
    expect(diff).toBeLessThanOrEqual(1e-8);
  });

  it('applies the downloaded model (loaded from its file) to the current crop', async () => {
    await page.setInputFiles('[data-testid="model-file"]', join(ARTIFACTS, 'smooth-tv-model.json'));
    await page.click('[data-testid="apply"]');
    await waitStatus(/^model applied/);
    expect(await shown('apply-caption')).toMatch(/FISTA, \d+ iterations, certified distance ≤/);
  });

  it('trains a small FoE on gpu.js WebGL in the worker (float32, shown as such)', async () => {
    expect(await shown('gpu')).toMatch(/webgl/);
    await page.click('#reset');
    await chooseTraining({ model: 'foe', method: 'adam', backend: 'webgl' }, { 'crop-size': '32', iterations: '2' });
    await page.click('[data-testid="train"]');
    await waitStatus(/^done: 2 iterations|^error/);
    expect(await shown('status')).toMatch(/^done/);
    expect(await shown('backend')).toMatch(/^gpu\.js webgl/);
    expect(await shown('precision')).toBe('float32');
    expect(Number.isFinite(await shownNumber('loss'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'foe-webgl.png'), fullPage: true });
  });

  it('the kernels WebGL kernels run Huber-TV PDHG and piggyback within the float32 tiers (engine steps and resident pipelines)', async () => {
    await page.goto(`${browser.url}kernels.html`);
    await page.waitForFunction(() => (window as unknown as { __kernels?: unknown }).__kernels !== undefined, null, { timeout: 90_000 });
    const r = await page.evaluate(() => (window as unknown as { __kernels: unknown }).__kernels);
    metrics.kernels = r;
    await page.screenshot({ path: join(ARTIFACTS, 'kernels.png'), fullPage: true });
    const k = r as { mode: string; cases: { mode: string; iterateError: number; hypergradientError: number | null; pipelineHypergradientError: number | null }[] };
    expect(k.mode).toMatch(/^webgl/);
    expect(k.cases).toHaveLength(4);
    for (const c of k.cases) {
      expect(c.mode).toBe(k.mode);
      expect(c.iterateError).toBeLessThan(1e-5);
      expect(c.iterateError).toBeGreaterThan(0); // float32 really ran
    }
    // the PDHG-only cases have no hypergradient (NaN)
    const grads = k.cases.flatMap((c) => [c.hypergradientError, c.pipelineHypergradientError]).filter((v): v is number => v !== null && !Number.isNaN(v));
    expect(grads).toHaveLength(4);
    for (const g of grads) expect(g).toBeLessThan(1e-4);
  });

  it('page weight: gzipped JavaScript (the WebAssembly kernels are inlined) of the build', () => {
    const assets = join(DIST, 'assets');
    const sizes = Object.fromEntries(
      readdirSync(assets)
        .filter((f) => /\.(js|wasm)$/.test(f))
        .map((f) => [f, { bytes: readFileSync(join(assets, f)).length, gzip: gzipSync(readFileSync(join(assets, f))).length }]),
    );
    metrics.pageWeight = sizes;
    const total = Object.values(sizes).reduce((s, v) => s + v.gzip, 0);
    metrics.pageWeightGzipTotal = total;
    expect(total).toBeGreaterThan(0);
    expect(metrics.pageErrors).toEqual([]);
  });
});
