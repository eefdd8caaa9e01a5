/**
 * The training worker: owns the {@link TrainingSession}, steps it while the page lets it run, and
 * posts every step (report, reconstruction, θ) back. Between steps it yields to its event loop,
 * so pause, reset and apply messages are handled at once; the page itself never computes.
 * @module
 */
import { decodeImage, prepareImage, psnr, type Image, type NamedImage } from '@bilevel/imaging';
import { detectGpuMode, GpuJsBackend } from '@bilevel/kernels';
import type { BackendInfo, FromWorker, ToWorker } from '../protocol.js';
import { filtersOf, reconstruct, thetaNames, parseModelJson } from './model.js';
import { TrainingSession } from './session.js';

/** The worker's global scope (typed locally: the page's tsconfig has the DOM lib, not WebWorker). */
const scope = globalThis as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((e: { data: ToWorker }) => void) | null;
};

let session: TrainingSession | undefined;
let running = false;
let budget = 0;
let generation = 0;
let gpu: GpuJsBackend | undefined;
let lastImage: Image | undefined;

const post = (m: FromWorker): void => scope.postMessage(m);
const fail = (err: unknown): void => {
  running = false;
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
};
const nextTask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function probe(): Promise<BackendInfo> {
  let gpuMode: string | null = null;
  try {
    gpuMode = await detectGpuMode();
  } catch {
    gpuMode = null;
  }
  return { gpuMode, wasm: typeof WebAssembly === 'object' };
}

async function imageFrom(source: Extract<ToWorker, { type: 'start' }>['source'], maxSide: number): Promise<NamedImage> {
  const bytes = 'url' in source ? await (await fetch(source.url)).arrayBuffer() : source.bytes;
  return { name: source.name, image: prepareImage(decodeImage(bytes, { source: 'url' in source ? source.url : source.name }), { gray: true, maxSide }) };
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const t0 = performance.now();
  running = false;
  const gen = ++generation;
  const clean = await imageFrom(m.source, m.maxSide);
  lastImage = clean.image;
  let backend: GpuJsBackend | undefined;
  if (m.backend === 'webgl') {
    const mode = await detectGpuMode();
    if (mode === null) throw new Error('no WebGL/WebGPU here: choose float64');
    gpu ??= await GpuJsBackend.create({ mode });
    backend = gpu;
  }
  const s = new TrainingSession(clean, m.settings, { maxSide: m.maxSide, iterations: m.iterations, ...(backend ? { backend } : {}) });
  if (gen !== generation) return;
  session = s;
  const sample = s.samples[0]!;
  post({
    type: 'started',
    clean: sample.clean,
    degraded: sample.degraded.data.length === sample.clean.data.length ? sample.degraded : sample.clean,
    reconstruction: s.reconstruction(),
    model: s.initial,
    experiment: s.experiment,
    filters: filtersOf(s.initial) ?? null,
    names: thetaNames(s.initial),
    backend: s.onBackend ? `gpu.js ${backend!.mode}` : 'float64 JS + WebAssembly (host)',
    precision: s.onBackend ? 'float32' : 'float64',
    initialPsnr: psnr(s.reconstruction(), sample.clean, { dataRange: 1, clip: [0, 1] }),
    setupMs: performance.now() - t0,
  });
  budget = m.iterations;
  void loop(gen).catch(fail);
}

async function loop(gen: number): Promise<void> {
  running = true;
  while (running && gen === generation && session) {
    if (session.iteration >= budget) {
      running = false;
      post({ type: 'paused', iteration: session.iteration, reason: 'budget' });
      return;
    }
    const report = await session.step();
    if (gen !== generation) return;
    const model = session.model();
    post({ type: 'step', report, reconstruction: session.reconstruction(), model, filters: filtersOf(model) ?? null });
    await nextTask();
  }
}

async function apply(m: Extract<ToWorker, { type: 'apply' }>): Promise<void> {
  const model = parseModelJson(m.model);
  const input = m.bytes ? prepareImage(decodeImage(m.bytes, { source: m.name }), { gray: true, maxSide: 512 }) : (session?.samples[0]?.degraded ?? lastImage);
  if (!input) throw new Error('no image to apply the model to: upload one, or start a training first');
  const t0 = performance.now();
  const r = reconstruct(model, input);
  post({ type: 'applied', input, output: r.image, solver: r.solver, iterations: r.iterations, distance: r.distance, ms: performance.now() - t0 });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'probe':
      post({ type: 'probed', info: await probe() });
      return;
    case 'start':
      return start(m);
    case 'pause':
      if (running) {
        running = false;
        post({ type: 'paused', iteration: session?.iteration ?? 0, reason: 'pause' });
      }
      return;
    case 'resume':
      if (session && !running) {
        budget = session.iteration + m.iterations;
        void loop(generation).catch(fail);
      }
      return;
    case 'reset':
      running = false;
      generation++;
      session = undefined;
      return;
    case 'apply':
      return apply(m);
  }
}

scope.onmessage = (e) => {
  handle(e.data).catch(fail);
};

