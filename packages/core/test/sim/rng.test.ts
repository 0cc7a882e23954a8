import { describe, expect, it } from 'vitest';
import { formatSeed, parseSeed, Rng } from '../../src/sim/rng.js';

function draw(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('replays the same stream from the same seed', () => {
    expect(draw(Rng.fromSeed(0x1f), 50)).toEqual(draw(Rng.fromSeed(0x1f), 50));
  });

  it('gives different streams for neighbouring seeds, including seeds above 2^32', () => {
    const streams = [0, 1, 2, 2 ** 32, 2 ** 32 + 1].map((s) => draw(Rng.fromSeed(s), 8).join(','));
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('forks streams that depend on the label and the seed, not on what the parent drew', () => {
    const fresh = Rng.fromSeed(7);
    const used = Rng.fromSeed(7);
    draw(used, 100);
    expect(draw(used.fork('network'), 20)).toEqual(draw(fresh.fork('network'), 20));
    expect(draw(fresh.fork('network'), 20)).not.toEqual(draw(fresh.fork('disk'), 20));
    expect(draw(Rng.fromSeed(8).fork('network'), 20)).not.toEqual(draw(fresh.fork('network'), 20));
  });

  it('does not shift the parent stream when a fork is taken', () => {
    const a = Rng.fromSeed(99);
    const b = Rng.fromSeed(99);
    a.fork('extra-fault').nextUint32();
    expect(draw(a, 10)).toEqual(draw(b, 10));
  });

  it('int() stays within both inclusive bounds and reaches each of them', () => {
    const rng = Rng.fromSeed(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(-2, 2);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(2);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
    expect(() => rng.int(3, 2)).toThrow(RangeError);
  });

  it('chance() honours 0 and 1 and is roughly fair at 0.5', () => {
    const rng = Rng.fromSeed(11);
    let hits = 0;
    for (let i = 0; i < 4000; i++) {
      expect(rng.chance(0)).toBe(false);
      expect(rng.chance(1)).toBe(true);
      if (rng.chance(0.5)) hits++;
    }
    expect(hits).toBeGreaterThan(1800);
    expect(hits).toBeLessThan(2200);
  });

  it('pick() and shuffle() use every element and leave the input untouched', () => {
    const rng = Rng.fromSeed(5);
    const items = ['a', 'b', 'c', 'd'] as const;
    const picked = new Set(Array.from({ length: 200 }, () => rng.pick(items)));
    expect(picked.size).toBe(4);
    const shuffled = rng.shuffle(items);
    expect([...shuffled].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(items).toEqual(['a', 'b', 'c', 'd']);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('formats and parses seeds as 0x… hex or decimal', () => {
    expect(formatSeed(31)).toBe('0x1f');
    expect(parseSeed('0x1F')).toBe(31);
    expect(parseSeed('42')).toBe(42);
    expect(() => parseSeed('0xzz')).toThrow(RangeError);
    expect(() => Rng.fromSeed(-1)).toThrow(RangeError);
  });
});
