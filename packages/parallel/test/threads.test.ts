import { describe, expect, it } from 'vitest';
import { threadPool } from '../src/threads.js';

describe('threads engine', () => {
  it('loads a worker module as an ES module, like the trainer (not compiled to CommonJS by piscina’s require)', async () => {
    const pool = threadPool('module-format', {}, import.meta.url);
    try {
      expect(await pool.run(null)).toBe('module');
    } finally {
      await pool.destroy();
    }
  });
});
