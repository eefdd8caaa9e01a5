/**
 * The `bilevel` command line (commander): `train`, `eval`, `denoise`, `deblur`, `inpaint`, `experiments`,
 * `schema`. {@link runCli} runs it in-process and returns the exit code, so tests need no
 * subprocess; `main.ts` is the executable.
 * @module
 */
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BilevelError, NumericalError, ValidationError, asFileSystemError, stringifyJson } from '@bilevel/core';
import { PHOTOGRAPHS } from '@bilevel/imaging';
import { applyModel } from './apply.js';
import { loadExperimentConfig } from './config/experiment-file.js';
import { experimentJsonSchema } from './config/schema.js';
import { compareRuns, runComparison, writeComparison, type ComparisonResult } from './compare.js';
import { configDirOf } from './data.js';
import { evaluateRun } from './eval.js';
import { evaluateModelOnFolder } from './eval-folder.js';
import { describeResults, loadLearnedModel, shippedModelNames } from './model-source.js';
import { listExperiments, resolveComparisonPath, resolveConfigPath } from './experiments.js';
import { runFile, writeFileAtomic } from './run/files.js';
import { watchInterrupts } from './run/interrupts.js';
import { processIo, type CliIo } from './run/output.js';
import type { ProgressMode } from './run/progress.js';
import { runExperiment } from './run/train.js';
import { runWorker } from './run/worker.js';

export type { CliIo } from './run/output.js';

/** Exit codes of `bilevel`. */
export const EXIT = {
  /** Success (also: help shown, with or without arguments). */
  ok: 0,
  /** A clear error: bad config, missing file, diverged run, … (the message says what to fix). */
  error: 1,
  /** Wrong command-line usage (unknown command or option, missing argument). */
  usage: 2,
  /** Training interrupted by Ctrl-C or SIGTERM (a checkpoint was written; continue with --resume). */
  interrupted: 130,
  /** Training stopped because its output pipe was closed (128 + SIGPIPE; a checkpoint was written). */
  brokenPipe: 141,
} as const;

/** A commander parser of a numeric option value: the number, if `accept` takes it; else "must be `what`". */
const numberOption =
  (accept: (n: number) => boolean, what: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!accept(n)) throw new InvalidArgumentError(`must be ${what}`);
    return n;
  };

const positiveNumber = numberOption((n) => Number.isFinite(n) && n > 0, 'a number > 0');
const nonNegativeNumber = numberOption((n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
const integer = numberOption(Number.isInteger, 'an integer');
const positiveInteger = numberOption((n) => Number.isInteger(n) && n > 0, 'an integer ≥ 1');

/** Options of `bilevel eval`. */
interface EvalCliOptions {
  compare?: string[];
  model?: string;
  images?: string;
  sigma?: number;
  crops?: number;
  cropSize?: number;
  seed?: number;
  maxSide?: number;
  tvWeight?: number;
  includeTraining?: boolean;
  limit?: number;
  json?: boolean;
}

function redisUrl(v: string): string {
  if (!/^rediss?:\/\/./.test(v)) throw new InvalidArgumentError('must be a redis:// URL, e.g. redis://127.0.0.1:6379');
  return v;
}

/** `--json`: the machine-readable result on stdout, every other line on stderr. */
const jsonOption = (): Option => new Option('--json', 'print the result as one JSON object on stdout (messages go to stderr)');

/** The writer of a command's messages: stdout, or stderr when stdout carries `--json`. */
const messages = (io: CliIo, json: boolean | undefined): ((line: string) => void) => (json ? io.err : io.out);

/** Print a result as JSON (`stringifyJson`: non-finite numbers as "NaN"/"Infinity" strings). */
const printJson = (io: CliIo, value: unknown): void => io.out(stringifyJson(value, 2));

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
    .option('-o, --out <dir>', 'run directory (default: runs/<name>); a new or empty folder, or a run of bilevel')
    .option('--resume', 'continue from the last checkpoint in the run directory')
    .option('--force', 'replace an unfinished run, or a completed run of another experiment, in the run directory')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'none']).default('auto'))
    .option('--no-report', 'skip the final pictures and report')
    .option('--redis <url>', 'solve the samples on `bilevel worker` processes through this Redis server (compute.engine "redis")', redisUrl)
    .addOption(jsonOption())
    .action(
      async (
        configArg: string,
        opts: { out?: string; resume?: boolean; force?: boolean; progress: ProgressMode; report: boolean; json?: boolean; redis?: string },
      ) => {
        const path = resolveConfigPath(configArg);
        const config = loadExperimentConfig(path);
        const interrupts = watchInterrupts(io, EXIT.interrupted);
        try {
          const r = await runExperiment(config, {
            outDir: opts.out ?? `runs/${config.name}`,
            resume: opts.resume ?? false,
            force: opts.force ?? false,
            // with --json, stdout carries the result only: progress lines go to stderr, never a bar
            progress: opts.json ? (opts.progress === 'none' ? 'none' : 'plain') : opts.progress,
            write: messages(io, opts.json),
            signal: interrupts.signal,
            configDir: configDirOf(path),
            artifacts: opts.report,
            ...(opts.redis ? { compute: { engine: 'redis' as const, redis: opts.redis } } : {}),
          });
          if (opts.json) {
            printJson(io, {
              command: 'train',
              status: r.status,
              stopCause: r.stopCause,
              outDir: r.outDir,
              iterations: r.iterations,
              initialLoss: r.initialLoss,
              finalLoss: r.finalLoss,
              parameters: Object.fromEntries(r.paramNames.map((n, i) => [n, r.theta[i]!])),
              report: r.artifacts ? runFile(r.outDir, 'report') : null,
            });
          }
          setExit(r.status !== 'interrupted' ? EXIT.ok : interrupts.reason() === 'pipe' ? EXIT.brokenPipe : EXIT.interrupted);
        } finally {
          interrupts.dispose();
        }
      },
    );

  program
    .command('worker')
    .description('solve training samples for trainers that use this Redis server (`bilevel train --redis URL`, or compute.engine "redis"); runs until Ctrl-C')
    .requiredOption('--redis <url>', 'the Redis server, e.g. redis://10.0.0.5:6379', redisUrl)
    .option('--threads <n>', 'solver threads, each a worker (default: one per core)', positiveInteger)
    .option('--prefix <name>', 'key prefix shared with the trainers (default bilevel)')
    .action(async (opts: { redis: string; threads?: number; prefix?: string }) => {
      await runWorker({ url: opts.redis, threads: opts.threads ?? availableParallelism(), ...(opts.prefix ? { prefix: opts.prefix } : {}), write: io.out });
    });

  program
    .command('eval')
    .description(
      'test-set PSNR/SSIM of a trained run against the degraded input, a tuned TV baseline and optionally other runs; ' +
        'or, with --model and --images, of any model on a folder of images against the TV baseline stored with it',
    )
    .argument('[run-dir]', 'run directory of `bilevel train` (not with --model)')
    .option('--compare <run-dir...>', 'also evaluate these runs’ models on the same test crops (same degradation)')
    .option('-m, --model <name|model.json|run-dir>', 'evaluate this model on --images (a pretrained model name, a model JSON file or a run directory)')
    .option('--images <dir>', 'folder of PNG/JPEG images to evaluate --model on, or the bundled photographs: stdlib, stdlib:train, stdlib:test')
    .option('--sigma <s>', 'noise level of the degradation (default: the model’s)', nonNegativeNumber)
    .option('--crops <n>', 'random crops per image (default: whole images)', positiveInteger)
    .option('--crop-size <px>', 'side of the crops (default 64)', positiveInteger)
    .option('--seed <n>', 'seed of the crops and the degradation (default 0)', integer)
    .option('--max-side <px>', 'shrink each image so its longer side is at most this first', positiveInteger)
    .option('--tv-weight <w>', 'TV weight of the baseline (default: the one stored with the model)', positiveNumber)
    .option('--include-training', 'with --model: keep images the model was trained on (left out by default, so the numbers are held out)')
    .option('--limit <n>', 'with --model: evaluate only the first n images (or crops) of the full list, each with the same crop and noise as in the full evaluation', positiveInteger)
    .addOption(jsonOption())
    .action(async (runDir: string | undefined, opts: EvalCliOptions) => {
      const write = messages(io, opts.json);
      if (opts.model !== undefined || opts.images !== undefined) {
        const { json, compare, model, images, ...rest } = opts;
        if (runDir !== undefined || compare) throw new ValidationError('bilevel eval: give either a run directory or --model with --images, not both');
        if (model === undefined || images === undefined) throw new ValidationError('bilevel eval: --model and --images go together (the model to evaluate and the folder of images)');
        const r = evaluateModelOnFolder({ model, images, ...rest, write });
        if (json) printJson(io, r);
        return;
      }
      if (runDir === undefined) throw new ValidationError('bilevel eval: give a run directory, or --model <model> --images <dir>');
      if (opts.limit !== undefined) throw new ValidationError('bilevel eval: --limit goes with --model and --images (a run directory is evaluated on all its test crops)');
      const result = await evaluateRun(runDir, { write, ...(opts.compare ? { compare: opts.compare } : {}) });
      if (opts.json) printJson(io, { command: 'eval', runDir, ...result });
    });

  const applies = {
    denoise: 'denoise an image with a learned denoising model',
    deblur: 'deblur an image with a learned deblurring model',
    inpaint: 'inpaint an image with a learned inpainting model: fill in the pixels its mask marks missing',
  } as const;
  for (const task of ['denoise', 'deblur', 'inpaint'] as const) {
    const command = program
      .command(task)
      .description(applies[task])
      .requiredOption('-m, --model <name|run-dir|model.json>', 'a pretrained model (`bilevel experiments --models`), a run directory of `bilevel train`, or a model JSON file (the registry’s model data, e.g. downloaded from the playground)')
      .argument('<in>', 'input image (PNG or JPEG)');
    if (task === 'inpaint') {
      command
        .argument('<mask>', 'mask image of the input’s size (PNG or JPEG): white (≥ 0.5) = known pixels, black = missing; colour masks by their luma, alpha composited over black')
        .option('--invert-mask', 'black marks the known pixels, white the missing ones');
    }
    command
      .argument('<out>', 'output image: .png (keeps 16 bits and alpha) or .jpg/.jpeg (8 bits, gray or RGB)')
      .option('--epsilon <eps>', 'lower-level accuracy (default: the run config’s eval.epsilon)', positiveNumber)
      .option('--max-iterations <n>', 'lower-level iteration cap (default: eval.maxIterations)', positiveInteger)
      .option('--max-side <px>', 'shrink the input so its longer side is at most this', positiveInteger)
      .option('--force', `allow the output to be the input${task === 'inpaint' ? ' or mask' : ''} file (it is overwritten)`)
      .addOption(jsonOption())
      .action((...args: unknown[]) => {
        // commander passes the files (<in> [<mask>] <out>), then the options
        const files = args.slice(0, task === 'inpaint' ? 3 : 2) as string[];
        const [input, mask, output] = task === 'inpaint' ? files : [files[0], undefined, files[1]];
        const { json, ...rest } = args[files.length] as { model: string; epsilon?: number; maxIterations?: number; maxSide?: number; force?: boolean; invertMask?: boolean; json?: boolean };
        const r = applyModel({ task, input: input!, output: output!, ...(mask !== undefined ? { mask } : {}), ...rest, write: messages(io, json) });
        if (json) {
          const { image, ...fields } = r;
          printJson(io, { command: task, input, ...(mask !== undefined ? { mask } : {}), output, channels: image.channels, height: image.height, width: image.width, ...fields });
        }
      });
  }

  program
    .command('compare')
    .description(
      'upper-level methods side by side: test PSNR against work of completed runs (trained with eval.testEvery), ' +
        'or of a comparison file whose experiments are trained first (those not yet completed)',
    )
    .argument('<runs...>', 'run directories (the first is the reference), or one comparison file or bundled comparison name (e.g. isgd-vs-maid-denoising)')
    .option('-o, --out <dir>', 'where compare.json, compare.md and the chart go (default: runs/<comparison name>, or runs/comparison for run directories)')
    .addOption(jsonOption())
    .action(async (args: string[], opts: { out?: string; json?: boolean }) => {
      const write = messages(io, opts.json);
      let result: ComparisonResult | undefined;
      if (args.length === 1) {
        const interrupts = watchInterrupts(io, EXIT.interrupted);
        try {
          result = await runComparison(resolveComparisonPath(args[0]!), { write, signal: interrupts.signal, ...(opts.out ? { out: opts.out } : {}) });
        } finally {
          interrupts.dispose();
        }
        if (!result) {
          setExit(EXIT.interrupted);
          return;
        }
      } else {
        const out = opts.out ?? 'runs/comparison';
        result = compareRuns(args);
        await writeComparison(result, out, result.runs.map((r) => r.name).join(' vs '));
        write(`compared ${args.length} runs: ${out}/compare.md`);
      }
      if (opts.json) printJson(io, result);
    });

  program
    .command('experiments')
    .description('list the bundled experiment configs')
    .option('--photographs', 'list the bundled photographs instead (names for data.train.images / data.test.images)')
    .option('--models', 'list the pretrained models instead (names for --model), with their measured results')
    .addOption(jsonOption())
    .action((opts: { photographs?: boolean; models?: boolean; json?: boolean }) => {
      if (opts.models) {
        const list = shippedModelNames().map((name) => ({ name, model: loadLearnedModel(name) }));
        if (opts.json) {
          printJson(io, list.map(({ name, model: m }) => ({ name, kind: m.spec.kind, task: m.task, degradation: m.degradation, provenance: m.provenance })));
        } else for (const { name, model } of list) io.out(`${name.padEnd(26)} ${model.spec.kind.padEnd(6)} ${describeResults(model)}`);
        return;
      }
      if (opts.photographs) {
        if (opts.json) printJson(io, PHOTOGRAPHS);
        else for (const p of PHOTOGRAPHS) io.out(`${p.name.padEnd(26)} ${p.split.padEnd(5)} ${p.width}×${p.height}  ${p.title}`);
        return;
      }
      const list = listExperiments();
      if (opts.json) {
        printJson(
          io,
          list.map((e) => ({ id: e.id, path: e.path, description: e.config.description, model: e.config.model.kind, hypergradient: e.config.hypergradient.kind, optimizer: e.config.optimizer.kind })),
        );
        return;
      }
      const w = Math.max(...list.map((e) => e.id.length));
      for (const e of list) io.out(`${e.id.padEnd(w)}  ${e.config.description}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of experiment configs')
    .option('-o, --out <file>', 'write it to a file instead (the folder must exist)')
    .action((opts: { out?: string }) => {
      const text = stringifyJson(experimentJsonSchema(), 2);
      if (opts.out) writeFileAtomic(opts.out, `${text}\n`);
      else io.out(text);
    });

  return program;
}

/**
 * Run `bilevel` with `argv` (the arguments after the program name) and return the exit code:
 * 0 success (no arguments: the help, on stdout), 1 a clear error (message on `io.err`, no stack
 * trace unless `BILEVEL_DEBUG` is set; a raw file-system error is reported as a
 * `FileSystemError` with its path and a fix), 2 usage error, 130 interrupted training, 141
 * training stopped by a closed output pipe.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    io.out(program.helpInformation().replace(/\n$/, ''));
    return EXIT.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const err = asFileSystemError(e) ?? (e as Error);
    const kind = err instanceof NumericalError ? 'numerical error' : 'error';
    io.err(`${kind}: ${err.message}`);
    if (process.env.BILEVEL_DEBUG) io.err((e as Error).stack ?? '');
    else if (!(err instanceof BilevelError)) io.err('(unexpected error; set BILEVEL_DEBUG=1 for the stack trace)');
    return EXIT.error;
  }
}
