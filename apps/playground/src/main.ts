/**
 * The page: reads the form, talks to the training worker, and shows what it reports (images,
 * numbers, curves, filters). It never computes anything heavy itself, so it stays responsive.
 * @module
 */
import { PHOTOGRAPHS } from '@bilevel/imaging';
import type { BackendChoice, FromWorker, ToWorker } from './protocol.js';
import { drawFilters, drawImage } from './ui/canvas.js';
import { drawChart } from './ui/chart.js';
import type { ModelJson } from './worker/model.js';
import type { ExperimentJson, TrainingSettings } from './worker/experiment.js';
import type { StepReport } from './worker/session.js';

const $ = <T extends Element = HTMLElement>(sel: string): T => document.querySelector<T>(sel)!;
const form = $<HTMLFormElement>('#controls');
const field = (name: string): HTMLInputElement & HTMLSelectElement => form.elements.namedItem(name) as HTMLInputElement & HTMLSelectElement;
const num = (name: string): number => Number(field(name).value);
const text = (id: string, v: string): void => {
  $(`[data-testid="${id}"]`).textContent = v;
};
const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toPrecision(digits)) : String(v));

/** What the tests read: the reports so far, the model, the run's experiment config, and when the first step arrived. */
const record: {
  steps: StepReport[];
  model: ModelJson | null;
  experiment: ExperimentJson | null;
  startedAt: number;
  firstStepMs: number | null;
  pageToFirstStepMs: number | null;
} = {
  steps: [],
  model: null,
  experiment: null,
  startedAt: 0,
  firstStepMs: null,
  pageToFirstStepMs: null,
};
(window as unknown as { __playground: typeof record }).__playground = record;

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);

for (const p of PHOTOGRAPHS) {
  const o = document.createElement('option');
  o.value = p.name;
  o.textContent = `${p.title} (${p.split})`;
  field('photo').appendChild(o);
}
field('photo').value = 'nagasaki-boats';

let dropped: { bytes: ArrayBuffer; name: string } | null = null;
async function takeFile(file: File): Promise<void> {
  dropped = { bytes: await file.arrayBuffer(), name: file.name };
  $('#drop').firstChild!.textContent = `using ${file.name} (drop another, or pick a photograph to go back) `;
}
field('upload').addEventListener('change', () => {
  const f = field('upload').files?.[0];
  if (f) void takeFile(f);
});
field('photo').addEventListener('change', () => {
  dropped = null;
  $('#drop').firstChild!.textContent = '…or drop a PNG/JPEG here ';
});
const drop = $('#drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = (e as DragEvent).dataTransfer?.files[0];
  if (f) void takeFile(f);
});

function showDegradationFields(): void {
  const kind = field('degradation').value;
  for (const el of document.querySelectorAll<HTMLElement>('.blur')) el.hidden = kind !== 'blur';
  for (const el of document.querySelectorAll<HTMLElement>('.inpainting')) el.hidden = kind !== 'inpainting';
}
field('degradation').addEventListener('change', showDegradationFields);
showDegradationFields();

function settings(): TrainingSettings {
  const kind = field('degradation').value;
  const sigma = num('sigma');
  const degradation: TrainingSettings['degradation'] =
    kind === 'blur'
      ? { kind: 'blur', size: num('blurSize'), sigma: num('blurSigma'), noise: sigma }
      : kind === 'inpainting'
        ? { kind: 'inpainting', fraction: num('fraction'), noise: sigma }
        : { kind: 'noise', sigma };
  return {
    cropSize: num('cropSize'),
    crops: num('crops'),
    degradation,
    model: { kind: field('model').value as TrainingSettings['model']['kind'], options: {} },
    method: field('method').value as 'maid' | 'adaptive' | 'adam',
    seed: num('seed'),
  };
}

const buttons = {
  train: $<HTMLButtonElement>('#train'),
  pause: $<HTMLButtonElement>('#pause'),
  resume: $<HTMLButtonElement>('#resume'),
  download: $<HTMLButtonElement>('#download'),
  downloadConfig: $<HTMLButtonElement>('#download-config'),
};
function setRunning(running: boolean): void {
  buttons.pause.disabled = !running;
  buttons.resume.disabled = running || record.model === null;
}
function status(message: string, error = false): void {
  const el = $('[data-testid="status"]');
  el.textContent = message;
  el.classList.toggle('error', error);
}

function redrawCharts(): void {
  const s = record.steps;
  drawChart($<SVGSVGElement>('#chart-loss'), [{ color: '#333', points: s.map((r) => [r.work, r.loss]) }], true);
  drawChart($<SVGSVGElement>('#chart-psnr'), [
    { color: '#333', points: s.map((r) => [r.time / 1000, r.psnr]) },
    { color: '#c80', points: s.map((r) => [r.time / 1000, r.reconstructionPsnr]) },
  ]);
  drawChart(
    $<SVGSVGElement>('#chart-bound'),
    [
      { color: '#c00', points: s.map((r) => [r.iteration, r.bound]) },
      { color: '#00c', points: s.map((r) => [r.iteration, r.epsilon]) },
      { color: '#080', points: s.map((r) => [r.iteration, r.delta]) },
    ],
    true,
  );
}

function showFilters(f: Extract<FromWorker, { type: 'step' }>['filters']): void {
  $('#filters-figure').hidden = f === null;
  if (f) drawFilters($<HTMLCanvasElement>('#filters'), f);
}

buttons.train.addEventListener('click', () => {
  record.steps = [];
  record.model = null;
  record.experiment = null;
  record.firstStepMs = null;
  record.startedAt = performance.now();
  redrawCharts();
  const photo = field('photo').value;
  const source = dropped ? { bytes: dropped.bytes.slice(0), name: dropped.name } : { url: new URL(`photos/${photo}.jpg`, document.baseURI).href, name: photo };
  status('loading the image and building the model …');
  send({ type: 'start', source, maxSide: num('maxSide'), settings: settings(), backend: field('backend').value as BackendChoice, iterations: num('iterations') });
  setRunning(true);
});
buttons.pause.addEventListener('click', () => send({ type: 'pause' }));
buttons.resume.addEventListener('click', () => {
  send({ type: 'resume', iterations: num('iterations') });
  status('training …');
  setRunning(true);
});
$('#reset').addEventListener('click', () => {
  send({ type: 'reset' });
  record.steps = [];
  record.model = null;
  record.experiment = null;
  redrawCharts();
  buttons.download.disabled = true;
  buttons.downloadConfig.disabled = true;
  setRunning(false);
  for (const id of ['clean', 'degraded', 'recon']) $<HTMLCanvasElement>(`#${id}`).getContext('2d')!.reset();
  $('#applied').hidden = true;
  $('#filters-figure').hidden = true;
  status('reset: pick an image and press Train.');
});
/** Offer `value` as a JSON file download. */
function downloadJson(value: unknown, name: string): void {
  const blob = new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
buttons.download.addEventListener('click', () => {
  if (record.model) downloadJson(record.model, `${record.model.kind}-model.json`);
});
// The run as `bilevel train` reads it, with the iterations done so far as its budget.
buttons.downloadConfig.addEventListener('click', () => {
  if (!record.experiment) return;
  const iterations = record.steps.at(-1)?.iteration ?? record.experiment.budget.iterations;
  downloadJson({ ...record.experiment, budget: { ...record.experiment.budget, iterations } }, `${record.experiment.name}.json`);
});
$('#apply').addEventListener('click', async () => {
  const modelFile = field('modelFile').files?.[0];
  const imageFile = field('applyImage').files?.[0];
  let model: unknown = record.model;
  try {
    if (modelFile) model = JSON.parse(await modelFile.text());
  } catch (e) {
    status(`the model file is not JSON: ${(e as Error).message}`, true);
    return;
  }
  if (!model) {
    status('load a model JSON (or train one) first', true);
    return;
  }
  const bytes = imageFile ? await imageFile.arrayBuffer() : null;
  status('applying the model …');
  send({ type: 'apply', model, bytes, name: imageFile?.name ?? 'current crop' }, bytes ? [bytes] : []);
});

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'probed':
      text('gpu', m.info.gpuMode ? `gpu.js ${m.info.gpuMode} available (float32)` : 'none (WebGL not available here)');
      (field('backend').querySelector('option[value="webgl"]') as HTMLOptionElement).disabled = m.info.gpuMode === null;
      return;
    case 'started':
      drawImage($<HTMLCanvasElement>('#clean'), m.clean);
      drawImage($<HTMLCanvasElement>('#degraded'), m.degraded);
      drawImage($<HTMLCanvasElement>('#recon'), m.reconstruction);
      showFilters(m.filters);
      text('backend', m.backend);
      text('precision', m.precision);
      text('iteration', '0');
      text('recon-psnr', `${fmt(m.initialPsnr)} dB`);
      text('theta', m.model.theta.length <= 4 ? m.model.theta.map((t, i) => `${m.names[i]} = ${fmt(t, 6)}`).join(', ') : `${m.model.theta.length} filter taps`);
      record.model = m.model;
      record.experiment = m.experiment;
      buttons.download.disabled = false;
      buttons.downloadConfig.disabled = false;
      status(`training (set-up ${fmt(m.setupMs, 3)} ms) …`);
      return;
    case 'step': {
      const r = m.report;
      if (record.firstStepMs === null) {
        record.firstStepMs = performance.now() - record.startedAt;
        record.pageToFirstStepMs = performance.now();
      }
      record.steps.push(r);
      record.model = m.model;
      drawImage($<HTMLCanvasElement>('#recon'), m.reconstruction);
      showFilters(m.filters);
      text('iteration', String(r.iteration));
      text('loss', fmt(r.loss));
      text('psnr', `${fmt(r.psnr)} dB`);
      text('recon-psnr', `${fmt(r.reconstructionPsnr)} dB`);
      text('bound', fmt(r.bound));
      text('grad', fmt(r.gradNorm));
      text('tolerances', `${fmt(r.epsilon, 3)} / ${fmt(r.delta, 3)}`);
      text('step', `${fmt(r.stepSize, 3)}${r.accepted ? '' : ' (rejected)'}`);
      text('work', String(r.work));
      text('time', `${(r.time / 1000).toFixed(2)} s`);
      text('theta', r.theta.length <= 4 ? r.theta.map((t) => fmt(t, 6)).join(', ') : `${r.theta.length} filter taps`);
      redrawCharts();
      return;
    }
    case 'paused':
      setRunning(false);
      status(m.reason === 'budget' ? `done: ${m.iteration} iterations (Resume continues)` : `paused at iteration ${m.iteration}`);
      return;
    case 'applied':
      $('#applied').hidden = false;
      drawImage($<HTMLCanvasElement>('#apply-in'), m.input);
      drawImage($<HTMLCanvasElement>('#apply-out'), m.output);
      text('apply-caption', `output: ${m.solver}, ${m.iterations} iterations, certified distance ≤ ${fmt(m.distance, 3)}, ${fmt(m.ms, 3)} ms`);
      status('model applied');
      return;
    case 'error':
      setRunning(false);
      status(`error: ${m.message}`, true);
      return;
  }
};
send({ type: 'probe' });
