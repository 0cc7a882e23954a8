import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../src/cluster-options.js';
import { isBatonError } from '../src/errors.js';

const base = { id: 'n1', members: { n1: 'ws://127.0.0.1:7401' }, insecure: true } as const;

/** A plain number (a likely mistake: `electionTimeoutMs: 500`) is BATON_CONFIG naming the field, not a TypeError (DESIGN.md §4). */
describe('electionTimeoutMs of the wrong shape', () => {
  for (const value of [500, { min: 300, max: 600 }]) {
    it(`${JSON.stringify(value)} is BATON_CONFIG naming electionTimeoutMs`, () => {
      let error: unknown;
      try {
        resolveClusterOptions({ ...base, electionTimeoutMs: value as never });
      } catch (e) {
        error = e;
      }
      expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
      expect((error as { field?: string }).field).toMatch(/^electionTimeoutMs/);
    });
  }
});
