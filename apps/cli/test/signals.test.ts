/**
 * Bad-input suite, part 4: signals, pipes and concurrent commands, with `bilevel` as a child
 * process (as a user runs it). A closed output pipe, SIGTERM and a double Ctrl-C stop the run
 * quietly and leave it resumable; `kill -9` before the first checkpoint gets advice that is not
 * circular; two trainings on one folder do not both run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_FILES, RUN_LOCK_FILE, readJsonLines, type LogRow, type RunStatus } from '@bilevel/cli';
import { QUIET, cli, spawnCli, tempDir, tinyConfig, writeConfig } from './helpers.js';

const dir = tempDir('bilevel-signals-');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
/** A budget no test waits for: the run only ends when it is stopped. */
const endless = { budget: { iterations: 100_000 } };
const noStackTrace = (err: string): void => expect(err).not.toMatch(/\n\s+at |unexpected error|EPIPE/);

/** Resume `out` in-process up to `iterations` and check the log is complete and in order. */
async function resumeTo(out: string, name: string, iterations: number): Promise<void> {
  const config = writeConfig(dir, tinyConfig({ budget: { iterations }, checkpointEvery: 5 }), `${name}-resume.json`);
  const r = await cli('train', config, '--out', out, '--resume', ...QUIET);
  expect(r.code, r.err).toBe(0);
  expect(readJsonLines<LogRow>(join(out, RUN_FILES.log)).map((row) => row.iteration)).toEqual(Array.from({ length: iterations }, (_, i) => i));
  expect(readJson<RunStatus>(join(out, RUN_FILES.status)).status).toBe('completed');
}

describe.concurrent('stopping a run', () => {
  it('`bilevel train … | head -2`: the closed pipe ends it quietly (exit 141) and it resumes', async () => {
    const out = join(dir, 'pipe');
    const run = spawnCli(['train', writeConfig(dir, tinyConfig({ ...endless, checkpointEvery: 5 }), 'pipe.json'), '--out', out, '--progress', 'plain']);
    await run.waitFor(/it 1\/100000/);
    run.child.stdout!.destroy(); // the reader goes away, like `head` after two lines
    const r = await run.exit;
    expect(r.code).toBe(141);
    noStackTrace(r.err);
    expect(r.err).toMatch(/stdout was closed by its reader: stopping after the current iteration and writing a checkpoint/);
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect(status.status).toBe('interrupted');
    expect(existsSync(join(out, RUN_LOCK_FILE))).toBe(false);
    await resumeTo(out, 'pipe', status.checkpointIteration! + 2);
  });

  it('a closed stderr (`--json`, progress on stderr) also ends it quietly, with the JSON result on stdout', async () => {
    const out = join(dir, 'pipe-err');
    const run = spawnCli(['train', writeConfig(dir, tinyConfig({ ...endless, checkpointEvery: 5 }), 'pipe-err.json'), '--out', out, '--json']);
    await run.waitFor(/it 1\/100000/);
    run.child.stderr!.destroy();
    const r = await run.exit;
    expect(r.code).toBe(141);
    expect(JSON.parse(r.out)).toMatchObject({ command: 'train', status: 'interrupted', stopCause: 'aborted' });
    expect(readJson<RunStatus>(join(out, RUN_FILES.status)).status).toBe('interrupted');
  });

  it('a second command on the running folder is refused; SIGTERM stops the run with a checkpoint (exit 130)', async () => {
    const out = join(dir, 'term');
    const config = writeConfig(dir, tinyConfig({ ...endless, checkpointEvery: 1000 }), 'term.json');
    const run = spawnCli(['train', config, '--out', out, '--progress', 'plain']);
    await run.waitFor(/it 1\/100000/);
    const busy = new RegExp(`is in use by \`bilevel train\` \\(process ${run.child.pid} on this computer`);
    const resumed = await cli('train', config, '--out', out, '--resume', ...QUIET);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toMatch(busy);
    const evaluated = await cli('eval', out);
    expect(evaluated.code).toBe(1);
    expect(evaluated.err).toMatch(busy);
    run.child.kill('SIGTERM');
    const r = await run.exit;
    expect(r.code).toBe(130);
    noStackTrace(r.err);
    expect(r.out).toMatch(/interrupted: checkpoint of iteration \d+ written/);
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect(status.status).toBe('interrupted');
    expect(status.checkpointIteration).toBe(status.iteration);
    await resumeTo(out, 'term', status.iteration + 1);
  });

  it('a second Ctrl-C quits at once and still marks the run interrupted at its last checkpoint', async () => {
    const out = join(dir, 'double');
    // iterations of a few tenths of a second, so that both signals arrive during one
    const train = { images: ['airplane-from-above'], cropSize: 64, cropsPerImage: 4 };
    const slow = tinyConfig({ ...endless, checkpointEvery: 1, data: { ...(tinyConfig().data as object), train } });
    const run = spawnCli(['train', writeConfig(dir, slow, 'double.json'), '--out', out, '--progress', 'plain']);
    await run.waitFor(/it 1\/100000/);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 10));
    run.child.kill('SIGINT');
    const r = await run.exit;
    // The exit status a shell sees is 130 either way: exit(130) from the second-signal handler, or
    // — when the first interrupt already finished the run and the second signal lands while Node
    // tears down (signal watchers closed, default action restored) — death by SIGINT (128 + 2).
    expect(r.code ?? (r.signal === 'SIGINT' ? 130 : r.signal)).toBe(130);
    noStackTrace(r.err);
    const status = readJson<RunStatus>(join(out, RUN_FILES.status));
    expect(status.status).toBe('interrupted');
    expect(status.checkpointIteration).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(out, RUN_LOCK_FILE))).toBe(false);
    const again = await cli('train', join(dir, 'double.json'), '--out', out, ...QUIET);
    expect(again.err).toMatch(/holds an interrupted run of "tiny" \(checkpoint at iteration \d+\); continue it with --resume/);
  });

  it('kill -9 before the first checkpoint: the advice is --force from both sides, and --force works', async () => {
    const out = join(dir, 'killed');
    const config = writeConfig(dir, tinyConfig({ ...endless, checkpointEvery: 100_000 }), 'killed.json');
    const run = spawnCli(['train', config, '--out', out, '--progress', 'plain']);
    await run.waitFor(/it 1\/100000/);
    run.child.kill('SIGKILL');
    await run.exit;
    expect(readJson<RunStatus>(join(out, RUN_FILES.status)).status).toBe('running');
    expect(existsSync(join(out, RUN_FILES.checkpoint))).toBe(false);
    const plain = await cli('train', config, '--out', out, ...QUIET);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/stopped before its first checkpoint .*nothing to resume; start it again with --force/);
    expect(plain.err).not.toMatch(/--resume/);
    const resumed = await cli('train', config, '--out', out, '--resume', ...QUIET);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toMatch(/--resume: .*stopped before its first checkpoint .*start it again with --force \(without --resume\)/);
    const short = writeConfig(dir, tinyConfig({ budget: { iterations: 2 } }), 'killed-short.json');
    const forced = await cli('train', short, '--out', out, '--force', ...QUIET);
    expect(forced.code, forced.err).toBe(0);
    expect(readJsonLines<LogRow>(join(out, RUN_FILES.log))).toHaveLength(2);
  });
});

describe.concurrent('two commands on one folder', () => {
  it('two trainings started together: one runs, the other is refused; the log is whole and in order', async () => {
    const out = join(dir, 'race');
    const config = writeConfig(dir, tinyConfig({ budget: { iterations: 30 } }), 'race.json');
    const a = spawnCli(['train', config, '--out', out, ...QUIET]);
    const b = spawnCli(['train', config, '--out', out, ...QUIET]);
    const results = await Promise.all([a.exit, b.exit]);
    const codes = results.map((r) => r.code).sort();
    if (codes[1] === 1) {
      expect(codes).toEqual([0, 1]);
      expect(results.find((r) => r.code === 1)!.err).toMatch(/is in use by `bilevel train` \(process \d+ on this computer/);
    } else {
      // on a slow machine one may finish before the other starts: then the second replaces the first
      expect(codes).toEqual([0, 0]);
      expect(results.map((r) => r.out).join('\n')).toMatch(/replacing the completed run of tiny/);
    }
    expect(readJsonLines<LogRow>(join(out, RUN_FILES.log)).map((r) => r.iteration)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
