/**
 * Bad-input suite, part 3: run folders. `--out` a file, a read-only place, a folder of the
 * user's files; replacing runs; unfinished runs and their advice (never circular); damaged
 * checkpoints and status files; locks held by live, dead and foreign processes. Each case asserts
 * the exit code, the key words, and that nothing was lost (a snapshot of the folder).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '@bilevel/optimizers/node';
import { RUN_FILES, RUN_LOCK_FILE, type RunStatus } from '@bilevel/cli';
import { QUIET, cli, snapshot, tempDir, tinyConfig, trainTiny, writeConfig } from './helpers.js';

const dir = tempDir('bilevel-bad-runs-');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
let completed = '';
let interrupted = '';
let configPath = '';
let k = 0;

/** A fresh copy of a fixture run. */
function copy(run: string): string {
  const to = join(dir, `copy-${++k}`);
  cpSync(run, to, { recursive: true });
  return to;
}

/** Exit code 1, the key words, no stack trace, and `folder` exactly as before. */
function refusedKeeping(r: { code: number; err: string }, folder: string, before: Record<string, string>, ...patterns: RegExp[]): void {
  expect(r.code, r.err).toBe(1);
  for (const p of patterns) expect(r.err).toMatch(p);
  expect(r.err).not.toMatch(/unexpected error|at .*\.ts:\d+/);
  expect(snapshot(folder)).toEqual(before);
}

const train = (out: string, ...extra: string[]) => cli('train', configPath, '--out', out, ...QUIET, ...extra);

beforeAll(async () => {
  configPath = writeConfig(dir, tinyConfig({ budget: { iterations: 2 }, checkpointEvery: 1 }), 'tiny.json');
  completed = join(dir, 'completed');
  expect((await train(completed)).code).toBe(0);
  // a run marked interrupted after 1 iteration (checkpoint at iteration 1)
  interrupted = await trainTiny(dir, 'interrupted', { budget: { iterations: 1 }, checkpointEvery: 1 });
  const status = readJson<RunStatus>(join(interrupted, RUN_FILES.status));
  writeFileSync(join(interrupted, RUN_FILES.status), JSON.stringify({ ...status, status: 'interrupted', stopCause: 'aborted' }));
});

describe('--out that cannot hold a run', () => {
  it('an existing file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine');
    const r = await train(file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out .*a-file is a file, not a folder; choose a new or empty folder/);
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });

  it('a path below a file', async () => {
    writeFileSync(join(dir, 'b-file'), 'mine');
    const r = await train(join(dir, 'b-file', 'run'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create the folder .*b-file\/run: .*b-file is a file, not a folder/);
    expect(readFileSync(join(dir, 'b-file'), 'utf8')).toBe('mine');
  });

  it.runIf(process.platform === 'linux')('a folder under /proc ends at once (no endless mkdir loop)', async () => {
    const r = await train('/proc/bilevel-x');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create the folder \/proc\/bilevel-x: no such file or folder \(ENOENT\); the file system of \/proc does not allow new folders/);
  });

  it.runIf(process.platform === 'linux')('a place that cannot be written', async () => {
    const r = await train('/sys/bilevel-run');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create the folder \/sys\/bilevel-run: (operation not permitted \(EPERM\)|permission denied \(EACCES\)|the file system is read-only \(EROFS\))/);
  });

  it('a folder of the user’s files holding a config.json is never written into', async () => {
    const mine = join(dir, 'my-files');
    mkdirSync(mine);
    writeFileSync(join(mine, 'config.json'), '{"my": "settings"}');
    writeFileSync(join(mine, 'notes.txt'), 'precious');
    const before = snapshot(mine);
    refusedKeeping(await train(mine), mine, before, /my-files is not empty and holds no bilevel run \(no run\.json\)/, /choose a new or empty folder/);
    refusedKeeping(await train(mine, '--force'), mine, before, /not even with --force/);
  });

  it('schema --out into a missing folder', async () => {
    const r = await cli('schema', '--out', join(dir, 'missing', 'schema.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot write .*missing\/schema\.json: no such file or folder \(ENOENT\)/);
    expect(r.err).not.toMatch(/unexpected error/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('schema --out onto a folder', async () => {
    mkdirSync(join(dir, 'schema-folder'));
    const r = await cli('schema', '--out', join(dir, 'schema-folder'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot write .*schema-folder: it is a folder, not a file \(EISDIR\)/);
  });
});

describe('replacing runs', () => {
  it('a completed run of another experiment needs --force', async () => {
    const run = copy(completed);
    const before = snapshot(run);
    const other = writeConfig(dir, tinyConfig({ name: 'other', budget: { iterations: 1 } }), 'other.json');
    const r = await cli('train', other, '--out', run, ...QUIET);
    refusedKeeping(r, run, before, /holds a completed run of another experiment \("tiny"\); replace it with --force, or choose another --out/);
  });

  it('--force replaces it: the old run’s files go (eval charts included), the user’s own file stays', async () => {
    const run = copy(completed);
    expect((await cli('eval', run)).code).toBe(0);
    expect(existsSync(join(run, 'eval-psnr.png'))).toBe(true);
    writeFileSync(join(run, 'my-notes.md'), 'keep me');
    const other = writeConfig(dir, tinyConfig({ name: 'other', budget: { iterations: 1 } }), 'other2.json');
    const r = await cli('train', other, '--out', run, ...QUIET, '--force');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/replacing the completed run of tiny/);
    for (const gone of ['eval-psnr.png', 'eval-psnr.svg', RUN_FILES.eval, RUN_FILES.evalGrid]) expect(existsSync(join(run, gone)), gone).toBe(false);
    expect(readFileSync(join(run, 'my-notes.md'), 'utf8')).toBe('keep me');
    expect(readJson<RunStatus>(join(run, RUN_FILES.status)).name).toBe('other');
    expect(existsSync(join(run, RUN_LOCK_FILE))).toBe(false);
  });

  it('an interrupted run: continue with --resume or replace with --force', async () => {
    const run = copy(interrupted);
    const before = snapshot(run);
    refusedKeeping(await train(run), run, before, /holds an interrupted run of "tiny" \(checkpoint at iteration 1\); continue it with --resume, replace it with --force/);
  });

  it('a run killed before its first checkpoint: train advises --force, and so does --resume (never each other)', async () => {
    const run = copy(interrupted);
    rmSync(join(run, RUN_FILES.checkpoint));
    const status = readJson<RunStatus>(join(run, RUN_FILES.status));
    writeFileSync(join(run, RUN_FILES.status), JSON.stringify({ ...status, status: 'running', checkpointIteration: undefined }));
    const before = snapshot(run);
    const plain = await train(run);
    refusedKeeping(plain, run, before, /stopped before its first checkpoint \(its process ended without stopping cleanly\), so there is nothing to resume; start it again with --force/);
    expect(plain.err).not.toMatch(/--resume/);
    const resumed = await train(run, '--resume');
    refusedKeeping(resumed, run, before, /--resume: the run of "tiny" .* stopped before its first checkpoint .*; start it again with --force \(without --resume\)/);
    const forced = await train(run, '--force');
    expect(forced.code, forced.err).toBe(0);
  });

  it('an unreadable run.json: --force replaces it', async () => {
    const run = copy(completed);
    writeFileSync(join(run, RUN_FILES.status), '{"format": "bilevel-run", "sta');
    const before = snapshot(run);
    refusedKeeping(await train(run), run, before, /run\.json is not valid JSON.*; replace the run with --force/);
    expect((await train(run, '--force')).code).toBe(0);
  });
});

describe('diverging runs', () => {
  it('a run that diverges (huge step, plain GD): clear message, the earlier checkpoint and θ intact', async () => {
    const out = join(dir, 'diverge');
    const config = tinyConfig({ optimizer: { kind: 'gd', stepSize: 1e6 }, checkpointEvery: 1, budget: { iterations: 5 } });
    const r = await cli('train', writeConfig(dir, config, 'diverge.json'), '--out', out, ...QUIET);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training failed at iteration 2: .* the run diverged: lower optimizer\.stepSize/);
    expect(r.err).toMatch(/the last checkpoint \(iteration 1\) in .*checkpoint\.json is intact/);
    expect(readCheckpoint(join(out, RUN_FILES.checkpoint)).method).toBe('gd');
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect([status.status, status.checkpointIteration]).toEqual(['failed', 1]);
    const params = readJson<{ theta: number[]; iteration: number }>(join(out, RUN_FILES.params));
    expect(params.iteration).toBe(1);
    expect(params.theta.every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, RUN_LOCK_FILE))).toBe(false);
  });
});

describe('--resume of damaged runs', () => {
  it('a checkpoint whose θ is NaN is refused; the run is not marked failed, so nothing is deleted later', async () => {
    const run = copy(interrupted);
    const ckpt = readFileSync(join(run, RUN_FILES.checkpoint), 'utf8');
    const parsed = JSON.parse(ckpt) as { state: { theta: { $float64: string } } };
    const nan = Buffer.alloc(16);
    nan.writeDoubleLE(NaN, 0);
    nan.writeDoubleLE(NaN, 8);
    parsed.state.theta = { $float64: nan.toString('base64') };
    writeFileSync(join(run, RUN_FILES.checkpoint), JSON.stringify(parsed));
    const before = snapshot(run);
    refusedKeeping(
      await train(run, '--resume'),
      run,
      before,
      /--resume: the checkpoint .*checkpoint\.json holds a non-finite parameter \(log_weight = NaN\), so the run cannot be resumed/,
      /start afresh with --force \(without --resume\)/,
    );
    expect(readJson<RunStatus>(join(run, RUN_FILES.status)).status).toBe('interrupted');
    refusedKeeping(await train(run), run, before, /holds an interrupted run/);
  });

  it('a checkpoint that is not JSON', async () => {
    const run = copy(interrupted);
    writeFileSync(join(run, RUN_FILES.checkpoint), '{"format": "bilevel-optimizer-checkpoint", ');
    const before = snapshot(run);
    refusedKeeping(await train(run, '--resume'), run, before, /--resume: the checkpoint .* is damaged \(checkpoint .*not readable JSON/);
  });

  it('a checkpoint of another format', async () => {
    const run = copy(interrupted);
    writeFileSync(join(run, RUN_FILES.checkpoint), '{"format": "something-else"}');
    const before = snapshot(run);
    refusedKeeping(await train(run, '--resume'), run, before, /--resume: the checkpoint .* is damaged \(invalid checkpoint: format: must be/);
  });

  it('--resume into a folder without a run', async () => {
    const empty = join(dir, 'empty-for-resume');
    mkdirSync(empty);
    refusedKeeping(await train(empty, '--resume'), empty, {}, /--resume: .*empty-for-resume holds no bilevel run \(no run\.json\); start the run without --resume/);
  });

  it('--resume with a changed seed', async () => {
    const run = copy(interrupted);
    const before = snapshot(run);
    const changed = writeConfig(dir, tinyConfig({ seed: 7, budget: { iterations: 3 } }), 'seed7.json');
    refusedKeeping(await cli('train', changed, '--out', run, '--resume', ...QUIET), run, before, /--resume: the config differs .* at: seed/);
  });
});

describe('locks', () => {
  const sleepers: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const s of sleepers) s.kill('SIGKILL');
  });

  const lockOf = (pid: number, host = hostname()) =>
    JSON.stringify({ format: 'bilevel-lock', pid, host, command: 'train', startedAt: '2026-01-01T00:00:00.000Z' });

  it('a live owner: train, --resume and eval are refused, naming the owner', async () => {
    const run = copy(completed);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    writeFileSync(join(run, RUN_LOCK_FILE), lockOf(sleeper.pid!));
    const before = snapshot(run);
    const owner = new RegExp(`is in use by \`bilevel train\` \\(process ${sleeper.pid} on this computer, since .*\\); wait for it to finish, stop it \\(kill ${sleeper.pid}\\)`);
    refusedKeeping(await train(run), run, before, owner);
    refusedKeeping(await train(run, '--resume'), run, before, owner);
    refusedKeeping(await cli('eval', run), run, before, owner);
  });

  it('a stale lock (its process is gone) is taken over', async () => {
    const run = copy(completed);
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => gone.on('exit', r));
    writeFileSync(join(run, RUN_LOCK_FILE), lockOf(gone.pid!));
    const r = await train(run);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(run, RUN_LOCK_FILE))).toBe(false);
  });

  it('a lock of another computer is reported, with the file to delete', async () => {
    const run = copy(completed);
    writeFileSync(join(run, RUN_LOCK_FILE), lockOf(12345, 'elsewhere.example'));
    const before = snapshot(run);
    refusedKeeping(await train(run), run, before, /in use by `bilevel train` on the computer elsewhere\.example .*; if no bilevel command runs there on this folder any more, delete .*run\.lock/);
  });

  it('eval of a folder that is not a run', async () => {
    const r = await cli('eval', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a run directory \(no config\.json\)/);
  });
});
