/**
 * A Redis worker process for the fault tests: `worker.ts <url> [--threads n] [--version v]
 * [--die-after n] [--heartbeat ms]`. Prints `ready <ids>` when registered and `start <sample>`
 * per task; with `--die-after n` it kills itself with SIGKILL when it starts its n-th task.
 */
import { startRedisWorker } from '@bilevel/parallel';

/** One line on stdout. */
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const [url, ...rest] = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const dieAfter = Number(flag('--die-after') ?? 0);
let started = 0;
const version = flag('--version');
const handle = await startRedisWorker({
  url: url!,
  threads: Number(flag('--threads') ?? 1),
  heartbeatMs: Number(flag('--heartbeat') ?? 300),
  ...(version ? { version } : {}),
  log: (line) => out(line),
  onTask: (_id, task) => {
    started++;
    out(`start ${task.sample}`);
    if (started === dieAfter) process.kill(process.pid, 'SIGKILL');
  },
});
out(`ready ${handle.ids.join(',')}`);
process.on('SIGTERM', () => {
  void handle.close().then(() => process.exit(0));
});
