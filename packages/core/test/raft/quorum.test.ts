import { describe, expect, it } from 'vitest';
import { majority, quorumIndex, voteOutcome } from '../../src/raft/quorum.js';

describe('quorum arithmetic', () => {
  it('§5.2 a majority is more than half of the voters', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(majority)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  it('§5.3 the commit candidate is the highest index a majority of voters holds', () => {
    const match: Record<string, number> = { a: 9, b: 4, c: 7, d: 2, e: 4 };
    const of = (id: string) => match[id] ?? 0;
    expect(quorumIndex(['a', 'b', 'c', 'd', 'e'], of)).toBe(4);
    expect(quorumIndex(['a', 'b', 'c'], of)).toBe(7);
    expect(quorumIndex(['a', 'b', 'c', 'd'], of)).toBe(4);
    expect(quorumIndex(['a'], of)).toBe(9);
    // A voter never heard from counts as holding nothing.
    expect(quorumIndex(['a', 'x', 'y'], of)).toBe(0);
    expect(quorumIndex([], of)).toBe(0);
  });

  it('§5.2 a candidate wins with a majority of voters, loses once a majority is out of reach', () => {
    const voters = ['a', 'b', 'c', 'd', 'e'];
    const tally = (votes: Record<string, boolean>) => voteOutcome(voters, new Map(Object.entries(votes)));
    expect(tally({ a: true })).toBe('pending');
    expect(tally({ a: true, b: true })).toBe('pending');
    expect(tally({ a: true, b: true, c: true })).toBe('won');
    expect(tally({ a: true, b: false, c: false })).toBe('pending');
    expect(tally({ a: true, b: false, c: false, d: false })).toBe('lost');
    // Votes of members outside the voter set (learners, removed members) never count.
    expect(tally({ a: true, b: true, x: true, y: true })).toBe('pending');
    expect(
      voteOutcome(
        ['a', 'b', 'c', 'd'],
        new Map([
          ['a', true],
          ['b', true],
          ['c', false],
          ['d', false],
        ]),
      ),
    ).toBe('lost');
  });
});
