import { describe, expect, it } from 'vitest';
import { FencedStore, StaleFenceError } from '../examples/fenced-store/fenced-store.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as StaleFenceError).code;
  }
};

describe('the fenced-store example’s store', () => {
  it('refuses a write, and a read, with a token lower than the highest it has seen', () => {
    const store = new FencedStore();
    const stale = store.read('balance', 5); // holder 5 reads 0, then pauses
    store.write('balance', store.read('balance', 6) + 1, 6); // holder 6 moves on
    expect(codeOf(() => store.write('balance', stale + 1, 5))).toBe('STALE_FENCE');
    expect(codeOf(() => store.read('balance', 5))).toBe('STALE_FENCE');
    expect(store.peek('balance')).toBe(1);
    expect(codeOf(() => store.read('balance', 6))).toBe('ok'); // the same token again is fine
    expect(new StaleFenceError('balance', 5, 6).code).toBe('STALE_FENCE');
  });

  it('unfenced, the same late write lands and undoes the newer holder’s increment', () => {
    const late: number[] = [];
    const store = new FencedStore({ fenced: false, onWrite: (w) => w.stale && late.push(w.fence) });
    const stale = store.read('balance', 5);
    store.write('balance', store.read('balance', 6) + 1, 6);
    store.write('balance', stale + 1, 5);
    expect(store.peek('balance')).toBe(1); // two increments made, one left
    expect(late).toEqual([5]);
  });
});
