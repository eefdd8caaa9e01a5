import { describe, expect, it } from 'vitest';
import { BilevelError, threadFailure } from '@bilevel/core';

describe('threadFailure', () => {
  it("carries a reported worker error as its cause and says what failed and what to do", () => {
    const e = threadFailure('a team', 'a worker thread failed', 'use threads 1', { name: 'TypeError', message: 'f is not a function', stack: 'TypeError: f is not a function\n    at worker' });
    expect(e).toBeInstanceOf(BilevelError);
    expect(e.message).toBe('a team: a worker thread failed: TypeError: f is not a function; use threads 1');
    const cause = e.cause as Error;
    expect(cause).toBeInstanceOf(Error);
    expect([cause.name, cause.message, cause.stack]).toEqual(['TypeError', 'f is not a function', 'TypeError: f is not a function\n    at worker']);
  });

  it('without a report points to the error printed where it happened, and has no cause', () => {
    const e = threadFailure('parallel engine', 'its thread stopped unexpectedly', 'the run cannot continue');
    expect(e.message).toBe('parallel engine: its thread stopped unexpectedly (see the error above); the run cannot continue');
    expect(e.cause).toBeUndefined();
  });
});
