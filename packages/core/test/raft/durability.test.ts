import { describe, expect, it } from 'vitest';
import { durableCommittedCount } from '../../src/raft/durability.js';
import type { Entry, Snapshot } from '../../src/raft/types.js';

/** Entries `from`..`to` (inclusive) of `term`. */
function range(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let index = from; index <= to; index++) out.push({ type: 'noop', term, index });
  return out;
}

const snapshot: Snapshot = {
  meta: { index: 10, term: 2, config: { voters: ['n1'], learners: [], addresses: {} } },
  data: new Uint8Array(),
};

interface Case {
  readonly name: string;
  readonly snapshot?: Snapshot;
  /** The entries this Ready writes. */
  readonly entries: Entry[];
  readonly committed: Entry[];
  readonly expected: number;
}

const cases: Case[] = [
  { name: 'nothing committed', entries: range(5, 7), committed: [], expected: 0 },
  {
    name: 'nothing written: every committed entry is durable',
    entries: [],
    committed: range(3, 6),
    expected: 4,
  },
  {
    name: 'all committed entries below the first new one',
    entries: range(7, 9),
    committed: range(3, 6),
    expected: 4,
  },
  {
    name: 'a gap between committed and new entries',
    entries: range(20, 21),
    committed: range(3, 4),
    expected: 2,
  },
  {
    name: 'committed entries overlap the write: only those below its first index',
    entries: range(5, 8),
    committed: range(3, 6),
    expected: 2,
  },
  {
    name: 'a follower receives entries already committed: none of them is durable yet',
    entries: range(3, 6),
    committed: range(3, 6),
    expected: 0,
  },
  {
    name: "a new leader's entries replace stored uncommitted ones and are committed at once",
    entries: range(4, 5, 3),
    committed: [...range(3, 3, 1), ...range(4, 5, 3)],
    expected: 1,
  },
  {
    name: 'the write starts before the first committed entry',
    entries: range(2, 9),
    committed: range(3, 5),
    expected: 0,
  },
  {
    name: 'a snapshot is applied first: nothing early',
    snapshot,
    entries: [],
    committed: range(11, 12),
    expected: 0,
  },
  {
    name: 'a snapshot with entries after it: nothing early',
    snapshot,
    entries: range(11, 12),
    committed: range(11, 11),
    expected: 0,
  },
];

describe('durableCommittedCount: committed entries applied before a Ready is written', () => {
  for (const c of cases) {
    it(c.name, () => {
      const count = durableCommittedCount({
        snapshot: c.snapshot,
        entries: c.entries,
        committedEntries: c.committed,
      });
      expect(count).toBe(c.expected);
    });
  }

  it('never counts an entry the Ready itself writes (the rule the runtime relies on)', () => {
    for (let firstNew = 1; firstNew <= 8; firstNew++) {
      for (let lo = 1; lo <= 6; lo++) {
        for (let hi = lo - 1; hi <= 7; hi++) {
          const committed = range(lo, hi);
          const count = durableCommittedCount({
            snapshot: undefined,
            entries: range(firstNew, 9),
            committedEntries: committed,
          });
          const early = committed.slice(0, count);
          const expected = committed.filter((e) => e.index < firstNew).length;
          expect(
            early.every((e) => e.index < firstNew),
            `first new ${firstNew}, committed ${lo}..${hi}`,
          ).toBe(true);
          expect(count, `first new ${firstNew}, committed ${lo}..${hi}`).toBe(expected);
        }
      }
    }
  });
});
