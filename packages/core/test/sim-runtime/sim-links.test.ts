import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { SimLinks } from '../../src/sim/runtime/sim-links.js';

const links = (dropRate = 0) => new SimLinks(Rng.fromSeed(1), Rng.fromSeed(2), [1, 2], dropRate);

describe('SimLinks', () => {
  it('delivers after a delay in range, or loses a message at the drop rate', () => {
    const l = links();
    const r = l.route('n1', 'n2');
    expect(r.kind).toBe('delivered');
    if (r.kind === 'delivered') expect(r.delayUs).toBeGreaterThanOrEqual(1000);
    expect(links(1).route('n1', 'n2').kind).toBe('lost');
  });

  it('a cut link refuses or swallows sends, one way only, until healed', () => {
    const kinds = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const l = new SimLinks(Rng.fromSeed(1), Rng.fromSeed(i), [1, 2], 0);
      l.cutOneWay('n1', 'n2');
      kinds.add(l.route('n1', 'n2').kind);
      expect(l.route('n2', 'n1').kind).toBe('delivered');
      l.heal();
      expect(l.route('n1', 'n2').kind).toBe('delivered');
    }
    expect([...kinds].sort()).toEqual(['lost', 'refused']);
  });

  it('a held link keeps what is sent on it until released, in order', () => {
    const l = links();
    l.hold('n1', 'n2');
    expect(l.route('n1', 'n2').kind).toBe('held');
    const order: number[] = [];
    l.holdBack('n1', 'n2', () => order.push(1));
    l.holdBack('n1', 'n2', () => order.push(2));
    for (const deliver of l.release('n1', 'n2')) deliver();
    expect(order).toEqual([1, 2]);
    expect(l.route('n1', 'n2').kind).toBe('delivered');
  });

  it('counts what each link delivered', () => {
    const l = links();
    l.noteStepped('n1', 'n2', 5);
    l.noteStepped('n1', 'n2', 7);
    expect(l.deliveredCount('n1', 'n2')).toBe(2);
    expect(l.lastSteppedMs('n1', 'n2')).toBe(7);
    expect(l.lastSteppedMs('n2', 'n1')).toBe(Number.NEGATIVE_INFINITY);
  });
});
