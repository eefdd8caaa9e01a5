/**
 * The `bilevel` command line (commander): `train`, `eval`, `denoise`, `deblur`, `experiments`,
 * `schema`. {@link runCli} runs it in-process and returns the exit code, so tests need no
 * subprocess; `main.ts` is the executable.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BilevelError, NumericalError } from '@bilevel/core';
import { PHOTOGRAPHS } from '@bilevel/imaging';
import { applyModel } from './apply.js';
import { loadExperimentConfig } from './config/load.js';
import { experimentJsonSchema } from './config/schema.js';
import { configDirOf } from './data.js';
import { evaluateRun } from './eval.js';
import { listExperiments, resolveConfigPath } from './experiments.js';
import type { ProgressMode } from './run/progress.js';
import { runExperiment } from './run/train.js';

/** Where the CLI writes (defaults: process stdout/stderr). */
export interface CliIo {
  /** Normal output (one call per line, without the newline). */
  readonly out: (line: string) => void;
  /** Errors and warnings. */
  readonly err: (line: string) => void;
}

/** Exit codes of `bilevel`. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A clear error: bad config, missing file, diverged run, … (the message says what to fix). */
  error: 1,
  /** Wrong command-line usage (unknown option, missing argument). */
  usage: 2,
  /** Training interrupted by Ctrl-C (a checkpoint was written; continue with --resume). */
  interrupted: 130,
} as const;

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be an integer ≥ 1');
  return n;
}

/** Build the commander program; `setExit` receives the exit code of the command that ran. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('bilevel')
    .description(
      'Bilevel learning of variational image-reconstruction models: learn regularizer parameters from clean/degraded image pairs.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride();

  program
    .command('train')
    .description('learn a model from an experiment config (a file, or the name of a bundled experiment)')
    .argument('<config>', 'experiment config (.json), or a bundled experiment name such as smooth-tv-denoising')
    .option('-o, --out <dir>', 'run directory (default: runs/<name>)')
    .option('--resume', 'continue from the last checkpoint in the run directory')
    .option('--force', 'replace an unfinished (interrupted) run in the run directory')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'none']).default('auto'))
    .option('--no-report', 'skip the final pictures and report')
    .action(async (configArg: string, opts: { out?: string; resume?: boolean; force?: boolean; progress: ProgressMode; report: boolean }) => {
      const path = resolveConfigPath(configArg);
      const config = loadExperimentConfig(path);
      const controller = new AbortController();
      const onSignal = (): void => {
        if (controller.signal.aborted) {
          io.err('second interrupt: quitting without a new checkpoint (the last periodic checkpoint is intact)');
          process.exit(EXIT.interrupted);
        }
        controller.abort();
        io.err('\ninterrupt: stopping after the current iteration and writing a checkpoint (Ctrl-C again to quit at once)');
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const r = await runExperiment(config, {
          outDir: opts.out ?? `runs/${config.name}`,
          resume: opts.resume ?? false,
          force: opts.force ?? false,
          progress: opts.progress,
          write: io.out,
          signal: controller.signal,
          configDir: configDirOf(path),
          artifacts: opts.report,
        });
        setExit(r.status === 'interrupted' ? EXIT.interrupted : EXIT.ok);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  program
    .command('eval')
    .description('test-set PSNR/SSIM of a trained model against the degraded input, a tuned TV baseline and optionally other runs')
    .argument('<run-dir>', 'run directory of `bilevel train`')
    .option('--compare <run-dir...>', 'also evaluate these runs’ models on the same test crops (same degradation)')
    .action(async (runDir: string, opts: { compare?: string[] }) => {
      await evaluateRun(runDir, { write: io.out, ...(opts.compare ? { compare: opts.compare } : {}) });
    });

  for (const task of ['denoise', 'deblur'] as const) {
    program
      .command(task)
      .description(task === 'denoise' ? 'denoise an image with a learned denoising model' : 'deblur an image with a learned deblurring model')
      .requiredOption('-m, --model <run-dir>', 'run directory of `bilevel train`')
      .argument('<in>', 'input image (PNG; JPEG also read)')
      .argument('<out>', 'output PNG')
      .option('--epsilon <eps>', 'lower-level accuracy (default: the run config’s eval.epsilon)', positiveNumber)
      .option('--max-iterations <n>', 'lower-level iteration cap (default: eval.maxIterations)', positiveInteger)
      .option('--max-side <px>', 'shrink the input so its longer side is at most this', positiveInteger)
      .action((input: string, output: string, opts: { model: string; epsilon?: number; maxIterations?: number; maxSide?: number }) => {
        applyModel({ task, input, output, write: io.out, ...opts });
      });
  }

  program
    .command('experiments')
    .description('list the bundled experiment configs')
    .option('--photographs', 'list the bundled photographs instead (names for data.train.images / data.test.images)')
    .action((opts: { photographs?: boolean }) => {
      if (opts.photographs) {
        for (const p of PHOTOGRAPHS) io.out(`${p.name.padEnd(26)} ${p.split.padEnd(5)} ${p.width}×${p.height}  ${p.title}`);
        return;
      }
      const list = listExperiments();
      const w = Math.max(...list.map((e) => e.id.length));
      for (const e of list) io.out(`${e.id.padEnd(w)}  ${e.config.description}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of experiment configs')
    .option('-o, --out <file>', 'write it to a file instead')
    .action((opts: { out?: string }) => {
      const text = JSON.stringify(experimentJsonSchema(), null, 2);
      if (opts.out) writeFileSync(opts.out, `${text}\n`);
      else io.out(text);
    });

  return program;
}

/**
 * Run `bilevel` with `argv` (the arguments after the program name) and return the exit code:
 * 0 success, 1 a clear error (message on `io.err`, no stack trace unless `BILEVEL_DEBUG` is
 * set), 2 usage error, 130 interrupted training.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const err = e as Error;
    const kind = e instanceof NumericalError ? 'numerical error' : 'error';
    io.err(`${kind}: ${err.message}`);
    if (process.env.BILEVEL_DEBUG) io.err(err.stack ?? '');
    else if (!(e instanceof BilevelError)) io.err('(unexpected error; set BILEVEL_DEBUG=1 for the stack trace)');
    return EXIT.error;
  }
}
