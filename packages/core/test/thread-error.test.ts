import { describe, expect, it } from 'vitest';
import { BilevelError, threadErrorData, threadFailure } from '@bilevel/core';

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

  it('threadErrorData keeps an error’s name, message and stack, and turns any other value into an Error of its string', () => {
    const e = new TypeError('f is not a function');
    expect(threadErrorData(e)).toEqual({ name: 'TypeError', message: 'f is not a function', stack: e.stack });
    expect(threadErrorData(42)).toEqual({ name: 'Error', message: '42' });
    const back = threadFailure('a team', 'a worker thread failed', 'use threads 1', threadErrorData(e));
    expect((back.cause as Error).stack).toBe(e.stack);
  });
});
