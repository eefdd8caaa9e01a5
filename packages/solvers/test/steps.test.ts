import { describe, expect, it } from 'vitest';
import { pdhgSteps } from '@bilevel/solvers';

describe('step options accept an explicit infinite cap', () => {
  it('nuMax: Infinity validates (zod numbers reject Infinity unless allowed)', () => {
    const s = pdhgSteps({ normK: 2, muG: 1, muFStar: 0.5 }, { nuMax: Infinity });
    expect(s.kind).toBe('linear');
    expect(() => pdhgSteps({ normK: 2, muG: 1, muFStar: 0.5 }, { nuMax: -1 })).toThrow(/nuMax/);
  });
});
