/**
 * Progress reporting of `bilevel train`: a cli-progress bar with loss, error bound, PSNR and ETA
 * when stdout is a terminal, plain lines (at most one per second) otherwise, or nothing.
 * @module
 */
import cliProgress from 'cli-progress';
import { stdoutLine } from './output.js';

/** How progress is shown: `auto` picks `bar` on a TTY and `plain` otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

/** The numbers shown after each upper-level iteration. */
export interface ProgressFields {
  /** Upper-level iterations completed. */
  readonly iteration: number;
  /** Inexact loss of the iteration. */
  readonly loss: number;
  /** A-posteriori bound on the hypergradient error. */
  readonly bound: number;
  /** Per-sample solves of the iteration stopped by their iteration cap (shown when > 0). */
  readonly capped?: number;
  /** PSNR of the training reconstructions implied by the loss (dB). */
  readonly psnr: number;
  /** Cumulative lower-level + adjoint + CG iterations. */
  readonly cost: number;
  /** Fraction of the budget used, in `[0, 1]` (the largest over iterations, work and time). */
  readonly fraction: number;
  /** The parallel engine's use in the iteration, e.g. `2 workers 97%/95% queue 1.2 ms` (empty inline). */
  readonly compute?: string;
}

/** Receives progress events. */
export interface ProgressReporter {
  /** Training starts (or resumes) at `iteration` of `total`. */
  start(total: number, iteration: number): void;
  /** One upper-level iteration finished. */
  update(fields: ProgressFields): void;
  /** A message that must not garble the bar. */
  log(message: string): void;
  /** Training stopped. */
  stop(): void;
}

function fmt(v: number, digits = 4): string {
  if (v === Infinity) return '∞';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toPrecision(digits);
}

/** ` (N capped)` when solves of the iteration hit their iteration cap, else nothing. */
function capNote(f: ProgressFields): string {
  return f.capped ? ` (${f.capped} capped)` : '';
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Seconds left if work continues at the average rate so far. */
function eta(startMs: number, startFraction: number, fraction: number): number {
  const done = fraction - startFraction;
  if (done <= 0) return NaN;
  const elapsed = (Date.now() - startMs) / 1000;
  return (elapsed * (1 - fraction)) / done;
}

class BarReporter implements ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;
  private t0 = 0;
  private f0 = 0;

  start(total: number, iteration: number): void {
    this.total = total;
    this.t0 = Date.now();
    this.f0 = iteration / total;
    this.bar = new cliProgress.SingleBar(
      {
        format: ' {bar} {value}/{total} | loss {loss} | bound {bound} | PSNR {psnr} dB | cost {cost}{compute} | ETA {etaText}',
        stream: process.stdout,
        hideCursor: true,
        barsize: 24,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, iteration, { loss: '-', bound: '-', psnr: '-', cost: 0, compute: '', etaText: '?' });
  }

  update(f: ProgressFields): void {
    this.bar?.update(Math.min(f.iteration, this.total), {
      loss: fmt(f.loss),
      bound: fmt(f.bound, 2),
      psnr: Number.isFinite(f.psnr) ? f.psnr.toFixed(2) : '-',
      cost: f.cost,
      compute: f.compute ? ` | ${f.compute}` : '',
      etaText: formatSeconds(eta(this.t0, this.f0, f.fraction)),
    });
  }

  log(message: string): void {
    if (this.bar) {
      // cli-progress has no log API for a single bar: clear the line, print, redraw.
      process.stdout.write(`\r\x1b[K${message}\n`);
      this.bar.render();
    } else {
      stdoutLine(message);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

class PlainReporter implements ProgressReporter {
  private total = 0;
  private t0 = 0;
  private f0 = 0;
  private lastPrint = 0;
  private pending: ProgressFields | undefined;

  constructor(private readonly write: (line: string) => void) {}

  start(total: number, iteration: number): void {
    this.total = total;
    this.t0 = Date.now();
    this.f0 = iteration / total;
    this.lastPrint = 0;
    this.write(iteration > 0 ? `resuming at iteration ${iteration}/${total}` : `training: ${total} iterations`);
  }

  private line(f: ProgressFields): string {
    return (
      `it ${f.iteration}/${this.total}  loss ${fmt(f.loss)}  bound ${fmt(f.bound, 2)}${capNote(f)}  ` +
      `PSNR ${Number.isFinite(f.psnr) ? f.psnr.toFixed(2) : '-'} dB  cost ${f.cost}${f.compute ? `  ${f.compute}` : ''}  ETA ${formatSeconds(eta(this.t0, this.f0, f.fraction))}`
    );
  }

  update(f: ProgressFields): void {
    const now = Date.now();
    if (now - this.lastPrint >= 1000 || f.iteration === 1) {
      this.write(this.line(f));
      this.lastPrint = now;
      this.pending = undefined;
    } else {
      this.pending = f;
    }
  }

  log(message: string): void {
    this.write(message);
  }

  stop(): void {
    if (this.pending) this.write(this.line(this.pending));
    this.pending = undefined;
  }
}

class SilentReporter implements ProgressReporter {
  start(): void {}
  update(): void {}
  log(): void {}
  stop(): void {}
}

/**
 * A progress reporter: `bar` (cli-progress on stdout), `plain` (lines on stdout, at most one per
 * second), `none`, or `auto` (bar when stdout is a TTY, plain lines otherwise).
 */
export function createProgress(mode: ProgressMode = 'auto', write: (line: string) => void = stdoutLine): ProgressReporter {
  const m = mode === 'auto' ? (process.stdout.isTTY ? 'bar' : 'plain') : mode;
  if (m === 'bar') return new BarReporter();
  if (m === 'plain') return new PlainReporter(write);
  return new SilentReporter();
}
