// The deprecated runSync adapter (kept for the app until it moves to the run loop of @bilevel/core).
import { describe, expect, it } from 'vitest';
import { run, untilIteration } from '@bilevel/core';
import { maid, optimizerCheckpoints, optimizerMachine, runSync, withoutWallTime, type Checkpoint, type StepRecord } from '@bilevel/optimizers';
import { QuadraticBilevel } from './problems.js';

describe('runSync (deprecated): an adapter over the core run loop', () => {
  it('wall-time budget stops between steps', () => {
    const opt = maid();
    const s = opt.init(new Float64Array(5));
    const res = runSync(opt, new QuadraticBilevel(), s, { budget: { maxWallTime: 0 } });
    expect(res.stopReason).toBe('time-limit');
    expect(res.steps).toBe(0);
  });

  it('gives the trajectory, records and checkpoints of run(optimizerMachine(…))', () => {
    const q = new QuadraticBilevel();
    const a = maid();
    const sa = a.init(new Float64Array(5));
    const ra: StepRecord[] = [];
    const ca: Checkpoint[] = [];
    const res = runSync(a, q, sa, { budget: { maxIterations: 25 }, onStep: (r) => ra.push(r), checkpoint: { every: 10, save: (c) => void ca.push(c) } });
    const b = maid();
    const sb = b.init(new Float64Array(5));
    const rb: StepRecord[] = [];
    const cb: Checkpoint[] = [];
    const r = run(optimizerMachine(b, q), sb, {
      stop: untilIteration(25),
      callbacks: [{ onStep: (e) => void rb.push(e.record) }, optimizerCheckpoints(b, 10, (c) => void cb.push(c))],
    });
    expect([res.stopReason, res.steps]).toEqual([r.reason, r.iterations]);
    expect(res.lastRecord && withoutWallTime(res.lastRecord)).toEqual(r.record && withoutWallTime(r.record));
    expect(ra.map(withoutWallTime)).toEqual(rb.map(withoutWallTime));
    expect(Array.from(sa.theta)).toEqual(Array.from(sb.theta));
    expect(ca.map((c) => (c.state as { iteration: number }).iteration)).toEqual([10, 20, 25]);
    expect(cb.map((c) => (c.state as { iteration: number }).iteration)).toEqual([10, 20, 25]);
  });
});
