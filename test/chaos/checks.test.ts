import { describe, expect, it } from 'vitest';
import { checkCounters } from './checks.js';
import { FencedStore } from './fenced-store.js';

const n1 = { id: 'n1', life: 1 };
const n2 = { id: 'n2', life: 1 };

describe('chaos checks: the fenced counters', () => {
  it('a clean history of increments under growing tokens has no anomaly', () => {
    const store = new FencedStore();
    expect(store.increment('c', 5, 0, n1)).toMatchObject({ ok: true });
    expect(store.increment('c', 9, 1, n2)).toMatchObject({ ok: true });
    expect(checkCounters(store, new Map([['c', 2]]))).toEqual([]);
  });

  it('two holders that read the same value under one token: a failed compare-and-set is lock exclusion', () => {
    const store = new FencedStore();
    store.increment('c', 5, 0, n1);
    expect(store.increment('c', 5, 0, n1)).toMatchObject({ ok: false, refusal: 'conflict' });
    expect(checkCounters(store, new Map()).map((a) => a.check)).toEqual(['lock exclusion']);
  });

  it('one token used by two members is lock exclusion', () => {
    const store = new FencedStore();
    store.increment('c', 5, 0, n1);
    store.increment('c', 5, 1, n2);
    expect(checkCounters(store, new Map()).map((a) => a.check)).toEqual(['lock exclusion']);
  });

  it('a worker that reports an increment the store refused is a lost increment', () => {
    const store = new FencedStore();
    store.increment('c', 9, 0, n1);
    expect(store.increment('c', 5, 1, n2)).toMatchObject({ ok: false, refusal: 'stale' });
    expect(checkCounters(store, new Map([['c', 2]])).map((a) => a.check)).toEqual(['lost increment']);
  });
});
