import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { LocalClock, pickLocalClock, SimClock } from '../../src/sim/sim-clock.js';

describe('SimClock', () => {
  it('only moves forward', () => {
    const clock = new SimClock();
    clock.advanceTo(10);
    clock.advanceTo(10);
    expect(clock.nowUs).toBe(10);
    expect(() => clock.advanceTo(9)).toThrow(RangeError);
  });
});

describe('LocalClock', () => {
  it('runs at its rate from its offset and converts back to global time', () => {
    const clock = new LocalClock(1.05, 100);
    expect(clock.localMs(0)).toBe(100);
    expect(clock.localMs(10_000)).toBeCloseTo(110.5, 9);
    expect(clock.globalUs(110.5)).toBeCloseTo(10_000, 6);
    expect(clock.globalUsCeil(110.5)).toBeGreaterThanOrEqual(10_000);
    expect(clock.globalUs(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('maps a local reading to a whole microsecond that reads at least that much, at most one late', () => {
    // At rate 0.95, 133 local ms are exactly 140,000 global µs: the round trip lands on a microsecond
    // whose reading, in floating point, is a hair below the one asked for.
    const edge = new LocalClock(0.95, 8775.654172059149);
    const target = edge.localMs(8_612_597) + 133;
    expect(Math.ceil(edge.globalUs(target))).toBe(8_752_597);
    expect(edge.localMs(8_752_597)).toBeLessThan(target);
    expect(edge.globalUsCeil(target)).toBe(8_752_598);

    const rng = Rng.fromSeed(3);
    for (let i = 0; i < 5_000; i++) {
      const clock = new LocalClock(rng.pick([0.95, 1.05, rng.real(0.95, 1.05)]), rng.real(0, 10_000));
      const localMs = clock.localMs(rng.int(0, 10_000_000)) + rng.pick([rng.int(1, 2000), rng.real(0, 2000)]);
      const us = clock.globalUsCeil(localMs);
      expect(clock.localMs(us)).toBeGreaterThanOrEqual(localMs);
      expect(us - clock.globalUs(localMs)).toBeLessThan(2);
    }
  });

  it('picks rates within the drift bound from the seed, extremes included', () => {
    const rng = Rng.fromSeed(1);
    const rates = Array.from({ length: 300 }, () => pickLocalClock(rng, 0.05).rate);
    expect(Math.min(...rates)).toBeCloseTo(0.95, 12);
    expect(Math.max(...rates)).toBeCloseTo(1.05, 12);
    expect(rates.every((r) => r >= 0.95 - 1e-12 && r <= 1.05 + 1e-12)).toBe(true);
    const again = Rng.fromSeed(1);
    expect(pickLocalClock(again, 0.05).rate).toBe(rates[0]);
  });
});
