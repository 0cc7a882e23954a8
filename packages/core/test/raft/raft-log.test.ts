import { describe, expect, it } from 'vitest';
import { entryBytes, RaftLog } from '../../src/raft/raft-log.js';
import type { Entry, Snapshot } from '../../src/raft/types.js';

/** Entries for indexes 1.. with the given terms. */
function entries(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ type: 'noop', term, index: from + i }));
}

function logOf(terms: number[], commit = 0): RaftLog {
  return RaftLog.restore(undefined, entries(terms), commit);
}

const termsOf = (log: RaftLog) => log.allEntries().map((e) => e.term);

function snapshotAt(index: number, term: number): Snapshot {
  return {
    meta: { index, term, config: { voters: ['n1'], learners: [], addresses: {} } },
    data: new Uint8Array(),
  };
}

describe('RaftLog', () => {
  it('§5.3 AppendEntries is refused when the log has no entry matching prevLogIndex/prevLogTerm', () => {
    const log = logOf([1, 1, 2]);
    expect(log.maybeAppend(3, 1, entries([3], 4))).toBeUndefined();
    expect(log.maybeAppend(4, 2, entries([3], 5))).toBeUndefined();
    expect(termsOf(log)).toEqual([1, 1, 2]);
    expect(log.maybeAppend(3, 2, entries([3], 4))).toBe(4);
    expect(termsOf(log)).toEqual([1, 1, 2, 3]);
  });

  it('§5.3 a conflicting entry is deleted with all that follow it, and becomes unstable again', () => {
    const log = logOf([1, 1, 2, 2, 2]);
    expect(log.stableIndex).toBe(5);
    expect(log.maybeAppend(2, 1, entries([3, 3], 3))).toBe(4);
    expect(termsOf(log)).toEqual([1, 1, 3, 3]);
    expect(log.stableIndex).toBe(2);
    expect(log.unstableEntries().map((e) => [e.index, e.term])).toEqual([
      [3, 3],
      [4, 3],
    ]);
  });

  it('§5.3 entries already present are kept: a delayed shorter append never truncates the log', () => {
    const log = logOf([1, 1, 2, 2]);
    expect(log.maybeAppend(1, 1, entries([1], 2))).toBe(2);
    expect(termsOf(log)).toEqual([1, 1, 2, 2]);
    expect(log.stableIndex).toBe(4);
  });

  it('§5.4 a committed entry is never overwritten: a conflict there is a broken invariant', () => {
    const log = logOf([1, 1, 2], 3);
    expect(() => log.maybeAppend(2, 1, entries([3], 3))).toThrow();
  });

  it('§5.4.1 a log is more up-to-date by a later last term, or the same last term and a greater length', () => {
    const log = logOf([1, 2, 2]);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(4, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(9, 1)).toBe(false);
    expect(logOf([]).isUpToDate(0, 0)).toBe(true);
  });

  it('§5.3 the backtracking hint skips every entry whose term is above the rejected term', () => {
    const log = logOf([1, 1, 4, 4, 5, 5, 5]);
    expect(log.findConflictByTerm(7, 3)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(7, 4)).toEqual({ index: 4, term: 4 });
    expect(log.findConflictByTerm(9, 6)).toEqual({ index: 7, term: 5 });
    expect(log.findConflictByTerm(5, 0)).toEqual({ index: 0, term: 0 });
  });

  it('§5.3 slices respect the entry and byte limits but always carry at least one entry', () => {
    const data = (n: number) => new Uint8Array(n);
    const log = RaftLog.restore(
      undefined,
      [100, 100, 100, 100].map((n, i) => ({ type: 'command', term: 1, index: i + 1, data: data(n) })),
      0,
    );
    const size = entryBytes(log.entry(1)!);
    expect(log.slice(1, 4, 3, 1e9).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(log.slice(1, 4, 10, 2 * size).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(2, 4, 10, 1).map((e) => e.index)).toEqual([2]);
    expect(log.slice(5, 9, 10, 1e9)).toEqual([]);
  });

  it('§5.3 the commit index only grows and never passes the last entry', () => {
    const log = logOf([1, 1, 1]);
    expect(log.commitTo(2)).toBe(true);
    expect(log.commitTo(1)).toBe(false);
    expect(log.committed).toBe(2);
    expect(() => log.commitTo(4)).toThrow();
  });

  it('§5.3 only committed entries are handed out to apply, each once', () => {
    const log = logOf([1, 1, 1]);
    log.commitTo(2);
    expect(log.entriesToApply().map((e) => e.index)).toEqual([1, 2]);
    log.applying = 2;
    expect(log.entriesToApply()).toEqual([]);
    log.commitTo(3);
    expect(log.entriesToApply().map((e) => e.index)).toEqual([3]);
  });

  it('§5.3 persistence acknowledgements for replaced entries are ignored', () => {
    const log = logOf([1]);
    log.append(entries([2, 2], 2));
    expect(log.unstableEntries().map((e) => e.index)).toEqual([2, 3]);
    // Entries 2..3 of term 2 are replaced by a leader of term 3 before they are durable.
    log.maybeAppend(1, 1, entries([3], 2));
    log.stableTo(3, 2);
    expect(log.stableIndex).toBe(1);
    log.stableTo(2, 3);
    expect(log.stableIndex).toBe(2);
  });

  it('§7 compaction drops applied entries but remembers the last one’s index and term', () => {
    const log = logOf([1, 2, 2, 3], 4);
    log.applied = 3;
    expect(() => log.compact(4)).toThrow();
    log.compact(3);
    expect([log.snapshotIndex, log.snapshotTerm, log.firstIndex(), log.lastIndex()]).toEqual([3, 2, 4, 4]);
    expect(log.term(3)).toBe(2);
    expect(log.term(2)).toBeUndefined();
    expect(log.entry(3)).toBeUndefined();
    expect(log.matchTerm(3, 2)).toBe(true);
  });

  it('compaction never reaches entries not yet durable, even applied ones', () => {
    const log = logOf([1, 1], 2);
    log.append(entries([1, 1], 3));
    log.applied = 4;
    expect(log.stableIndex).toBe(2);
    expect(() => log.compact(3)).toThrow();
    log.compact(2);
    expect(log.snapshotIndex).toBe(2);
  });

  it('§7 installing a snapshot replaces the whole log and commits up to it', () => {
    const log = logOf([1, 1, 1], 1);
    const snap = snapshotAt(10, 4);
    log.restoreSnapshot(snap);
    expect([log.snapshotIndex, log.lastIndex(), log.lastTerm(), log.committed, log.stableIndex]).toEqual([
      10, 10, 4, 10, 10,
    ]);
    expect(log.pendingSnapshot).toBe(snap);
    expect(log.entriesToApply()).toEqual([]);
  });

  it('§5.1 restoring from storage skips entries the snapshot covers, clips the commit index, and finds gaps', () => {
    const log = RaftLog.restore(snapshotAt(2, 1), entries([1, 1, 2, 2]), 9);
    expect([log.firstIndex(), log.lastIndex(), log.committed, log.applied, log.stableIndex]).toEqual([
      3, 4, 4, 2, 4,
    ]);
    expect(() => RaftLog.restore(undefined, [...entries([1]), ...entries([1], 3)], 0)).toThrow();
  });
});
