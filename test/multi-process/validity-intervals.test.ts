import { describe, expect, it } from 'vitest';
import type { MemberEvent } from '../support/member-protocol.js';
import { overlappingIntervals, validityIntervals } from '../support/validity-intervals.js';

function ev(id: string, at: number, body: Record<string, unknown>, life = 1): MemberEvent {
  return { id, at, life, ...body } as MemberEvent;
}

describe('validityIntervals', () => {
  it('spans each run from its first true check to its last, across reports', () => {
    const intervals = validityIntervals([
      ev('n1', 10, { ev: 'valid', term: 2 }),
      ev('n1', 20, { ev: 'valid-seen', term: 2 }),
      ev('n1', 40, { ev: 'valid-end', term: 2, lastTrueAt: 27 }),
      ev('n2', 50, { ev: 'valid', term: 3 }),
      ev('n2', 60, { ev: 'valid-seen', term: 3 }),
    ]);
    expect(intervals).toEqual([
      { id: 'n1', life: 1, term: 2, from: 10, to: 27 },
      { id: 'n2', life: 1, term: 3, from: 50, to: 60 },
    ]);
    expect(overlappingIntervals(intervals)).toEqual([]);
  });

  it('ends a run at the last report when the member exits while valid, and keeps lives apart', () => {
    const intervals = validityIntervals([
      ev('n1', 10, { ev: 'valid', term: 2 }),
      ev('n1', 30, { ev: 'valid-seen', term: 2 }),
      ev('n1', 90, { ev: 'exit', code: null, signal: 'SIGKILL' }),
      ev('n1', 95, { ev: 'valid-seen', term: 2 }, 2),
    ]);
    expect(intervals).toEqual([{ id: 'n1', life: 1, term: 2, from: 10, to: 30 }]);
  });

  it('finds overlaps between members, also when one interval contains the other, but not within a member', () => {
    const intervals = validityIntervals([
      ev('n1', 10, { ev: 'valid', term: 2 }),
      ev('n2', 12, { ev: 'valid', term: 3 }),
      ev('n2', 13, { ev: 'valid-end', term: 3, lastTrueAt: 13 }),
      ev('n1', 20, { ev: 'valid-end', term: 2, lastTrueAt: 19 }),
      ev('n1', 21, { ev: 'valid', term: 2 }),
      ev('n1', 22, { ev: 'valid-end', term: 2, lastTrueAt: 22 }),
    ]);
    const pairs = overlappingIntervals(intervals);
    expect(pairs.map(([a, b]) => [a.id, a.from, b.id, b.from])).toEqual([['n1', 10, 'n2', 12]]);
  });
});
