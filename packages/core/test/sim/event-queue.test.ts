import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Rng } from '../../src/sim/rng.js';

function drain<T>(queue: EventQueue<T>): T[] {
  const out: T[] = [];
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) out.push(e.item);
  return out;
}

describe('EventQueue', () => {
  it('pops events in time order', () => {
    const q = new EventQueue<string>();
    q.push(30, 'c');
    q.push(10, 'a');
    q.push(20, 'b');
    expect(q.peek()?.item).toBe('a');
    expect(drain(q)).toEqual(['a', 'b', 'c']);
    expect(q.pop()).toBeUndefined();
  });

  it('breaks ties by insertion order', () => {
    const q = new EventQueue<number>();
    for (let i = 0; i < 50; i++) q.push(5, i);
    q.push(1, -1);
    expect(drain(q)).toEqual([-1, ...Array.from({ length: 50 }, (_, i) => i)]);
  });

  it('matches a stable sort on random input, pushes interleaved with pops', () => {
    const rng = Rng.fromSeed(1);
    const q = new EventQueue<number>();
    const reference: { at: number; n: number }[] = [];
    const popped: number[] = [];
    let n = 0;
    for (let round = 0; round < 300; round++) {
      const at = rng.int(0, 40) + round;
      q.push(at, n);
      reference.push({ at, n });
      n++;
      if (rng.chance(0.3)) {
        reference.sort((x, y) => x.at - y.at || x.n - y.n);
        const expected = reference.shift();
        const got = q.pop();
        expect(got?.item).toBe(expected?.n);
        popped.push(got?.item ?? -1);
      }
    }
    reference.sort((x, y) => x.at - y.at || x.n - y.n);
    expect(drain(q)).toEqual(reference.map((r) => r.n));
    expect(q.size).toBe(0);
  });

  it('refuses to grow past sizeMax and refuses non-finite times', () => {
    const q = new EventQueue<number>(2);
    q.push(1, 1);
    q.push(2, 2);
    expect(() => q.push(3, 3)).toThrow(RangeError);
    expect(() => new EventQueue<number>().push(Number.NaN, 1)).toThrow(RangeError);
  });
});
