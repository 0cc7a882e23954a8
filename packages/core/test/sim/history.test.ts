import { describe, expect, it } from 'vitest';
import { History } from '../../src/sim/history.js';

describe('History', () => {
  it('orders events by when they were recorded, leaves failed operations out and keeps pending ones as unknown', () => {
    let nowUs = 1000;
    const h = new History<string, number>(() => nowUs);
    const a = h.invoke('k', 'a', 'c1@n1');
    const b = h.invoke('k', 'b', 'c2@n2');
    const c = h.invoke('k', 'c', 'c3@n3');
    nowUs = 2500;
    h.ok(b, 7);
    h.failed(c);
    expect(h.pendingCount).toBe(1);
    expect(h.settled(a)).toBe(false);
    expect(h.settled(b)).toBe(true);
    expect(h.operations()).toEqual([
      { key: 'k', input: 'a', invokeAt: 1, label: 'c1@n1 1.000–? ms' },
      { key: 'k', input: 'b', invokeAt: 2, label: 'c2@n2 1.000–2.500 ms', completed: { at: 4, output: 7 } },
    ]);
    expect(h.completed()).toEqual([{ key: 'k', input: 'b', output: 7 }]);
  });

  it('refuses to settle an operation twice', () => {
    const h = new History<string, number>(() => 0);
    const a = h.invoke('k', 'a', 'c1');
    h.ok(a, 1);
    expect(() => h.ok(a, 2)).toThrow();
    expect(() => h.failed(a)).toThrow();
  });
});
