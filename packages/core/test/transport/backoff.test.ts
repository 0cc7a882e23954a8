import { describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { Backoff, backoffDelayMs, validateBackoffOptions } from '../../src/transport/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt and keeps half of it fixed', () => {
    const low = { baseMs: 100, maxMs: 10_000, random: () => 0 };
    const high = { baseMs: 100, maxMs: 10_000, random: () => 0.999999 };
    expect([0, 1, 2, 3].map((a) => backoffDelayMs(a, low))).toEqual([50, 100, 200, 400]);
    expect(backoffDelayMs(0, high)).toBeCloseTo(100, 3);
    expect(backoffDelayMs(3, high)).toBeCloseTo(800, 3);
  });

  it('never exceeds maxMs, even after very many attempts', () => {
    const options = { baseMs: 100, maxMs: 1000, random: () => 0.999999 };
    for (const attempt of [4, 10, 31, 1000, Number.MAX_SAFE_INTEGER]) {
      const delayMs = backoffDelayMs(attempt, options);
      expect(delayMs).toBeLessThanOrEqual(1000);
      expect(delayMs).toBeGreaterThanOrEqual(500);
    }
  });

  it('stays in range when the random source misbehaves', () => {
    for (const r of [-1, 1, 7, Number.NaN]) {
      const delayMs = backoffDelayMs(2, { baseMs: 10, maxMs: 1000, random: () => r });
      expect(delayMs).toBeGreaterThanOrEqual(20);
      expect(delayMs).toBeLessThanOrEqual(40);
    }
  });
});

describe('Backoff', () => {
  it('grows with each failure and starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 10, maxMs: 1000, random: () => 0 });
    expect([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([5, 10, 20]);
    backoff.reset();
    expect(backoff.nextDelayMs()).toBe(5);
  });

  it('spreads members that failed at the same instant', () => {
    const values = [0.1, 0.9];
    const a = new Backoff({ baseMs: 100, maxMs: 1000, random: () => values[0]! });
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => values[1]! });
    expect(a.nextDelayMs()).not.toBe(b.nextDelayMs());
  });
});

describe('validateBackoffOptions', () => {
  it('names the wrong field', () => {
    const random = () => 0;
    const attempts = [
      [{ baseMs: 0, maxMs: 10, random }, 'reconnect.baseMs'],
      [{ baseMs: 10, maxMs: 5, random }, 'reconnect.maxMs'],
      [{ baseMs: Number.NaN, maxMs: 5, random }, 'reconnect.baseMs'],
    ] as const;
    for (const [options, field] of attempts) {
      let caught: unknown;
      try {
        validateBackoffOptions(options, 'reconnect');
      } catch (error) {
        caught = error;
      }
      expect(isBatonError(caught, 'BATON_CONFIG')).toBe(true);
      expect((caught as { field: string }).field).toBe(field);
    }
  });
});
