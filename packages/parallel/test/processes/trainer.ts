/**
 * A trainer process for the fault tests: `trainer.ts <url> <problem: foe|tv> <steps>` runs MAID on
 * the redis engine and prints one JSON line per step (`{ step, theta }`, θ as hex of its bits),
 * then `{ stats }` and exits.
 */
import { ParallelOracle } from '@bilevel/parallel';
import { foeProblem, smoothTvProblem } from '../fixtures.js';
import { OPTIMIZERS } from '../trajectories.js';

/** One line on stdout. */
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const [url, which, steps] = process.argv.slice(2);
const problem = which === 'foe' ? foeProblem(4, 8) : smoothTvProblem(4, 10);
const oracle = new ParallelOracle(problem, { engine: 'redis', redis: { url: url!, waitForWorkersMs: 60_000 } }, { log: (l) => out(JSON.stringify({ log: l })) });
const optimizer = OPTIMIZERS.maid!.make();
const state = optimizer.init(Float64Array.from(problem.model.theta));
for (let k = 0; k < Number(steps); k++) {
  optimizer.step(oracle, state);
  out(JSON.stringify({ step: k, theta: Buffer.from(state.theta.buffer).toString('hex') }));
}
out(JSON.stringify({ stats: oracle.stats.totals() }));
oracle.close();
