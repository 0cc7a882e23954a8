import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../../src/raft/types.js';
import { InvariantViolation } from '../../src/sim/invariant-violation.js';
import { SimDisk } from '../../src/sim/sim-disk.js';

function noop(index: number, term = 1): Entry {
  return { type: 'noop', index, term };
}

function snapshot(index: number, term = 1): Snapshot {
  return {
    meta: { index, term, config: { voters: ['n1'], learners: [], addresses: {} } },
    data: new Uint8Array(),
  };
}

const indexes = (disk: SimDisk): number[] => disk.recover().entries.map((e) => e.index);

describe('SimDisk', () => {
  it('makes writes durable only when a sync that covers them completes', () => {
    const disk = new SimDisk();
    disk.write({ kind: 'entries', entries: [noop(1), noop(2)] });
    disk.write({ kind: 'hardState', hardState: { term: 1, vote: 'n1', commit: 0 } });
    expect(disk.unsyncedCount).toBe(2);
    expect(disk.recover()).toEqual({ hardState: undefined, snapshot: undefined, entries: [] });
    const sync = disk.beginSync();
    disk.write({ kind: 'entries', entries: [noop(3)] });
    disk.completeSync(sync);
    expect(indexes(disk)).toEqual([1, 2]);
    expect(disk.recover().hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
    expect(disk.unsyncedCount).toBe(1);
  });

  it('loses every unsynced write, and writes whose fsync was running, on a crash', () => {
    const disk = new SimDisk();
    disk.write({ kind: 'entries', entries: [noop(1)] });
    disk.completeSync(disk.beginSync());
    disk.write({ kind: 'entries', entries: [noop(2)] });
    const running = disk.beginSync();
    disk.write({ kind: 'hardState', hardState: { term: 2, vote: 'n2', commit: 1 } });
    expect(disk.isSyncing(running)).toBe(true);
    disk.crash();
    expect(disk.isSyncing(running)).toBe(false);
    disk.completeSync(running); // the fsync "finishing" after the crash changes nothing
    expect(indexes(disk)).toEqual([1]);
    expect(disk.recover().hardState).toBeUndefined();
    expect(disk.unsyncedCount).toBe(0);
  });

  it('completes syncs in order: a later sync also covers earlier ones', () => {
    const disk = new SimDisk();
    disk.write({ kind: 'entries', entries: [noop(1)] });
    disk.beginSync();
    disk.write({ kind: 'entries', entries: [noop(2)] });
    const second = disk.beginSync();
    disk.completeSync(second);
    expect(indexes(disk)).toEqual([1, 2]);
  });

  it('replaces a conflicting suffix when entries overwrite stored ones', () => {
    const disk = new SimDisk({ entries: [noop(1), noop(2), noop(3), noop(4)] });
    disk.write({ kind: 'entries', entries: [noop(3, 2)] });
    disk.completeSync(disk.beginSync());
    expect(disk.recover().entries).toEqual([noop(1), noop(2), noop(3, 2)]);
  });

  it('compacts the log behind its own snapshot and installs a leader snapshot in place of the log', () => {
    const disk = new SimDisk({ entries: [noop(1), noop(2), noop(3)] });
    disk.write({ kind: 'compact', snapshot: snapshot(2) });
    disk.completeSync(disk.beginSync());
    expect(disk.recover().snapshot?.meta.index).toBe(2);
    expect(indexes(disk)).toEqual([3]);
    disk.write({ kind: 'snapshot', snapshot: snapshot(10, 3) });
    disk.write({ kind: 'entries', entries: [noop(11, 3)] });
    disk.completeSync(disk.beginSync());
    expect(disk.recover().snapshot?.meta.index).toBe(10);
    expect(indexes(disk)).toEqual([11]);
  });

  it('reports a gap in the log or a snapshot going back as a storage invariant violation', () => {
    const gap = new SimDisk({ entries: [noop(1)] });
    gap.write({ kind: 'entries', entries: [noop(3)] });
    expect(() => gap.completeSync(gap.beginSync())).toThrow(
      expect.objectContaining({ invariant: 'storage' }) as unknown as InvariantViolation,
    );
    const back = new SimDisk({ snapshot: snapshot(5) });
    back.write({ kind: 'snapshot', snapshot: snapshot(4) });
    expect(() => back.completeSync(back.beginSync())).toThrow(InvariantViolation);
  });

  it('hands out copies: changing what recover() returned does not change the disk', () => {
    const disk = new SimDisk({ entries: [noop(1)] });
    (disk.recover().entries as Entry[]).push(noop(2));
    expect(indexes(disk)).toEqual([1]);
  });

  it('refuses writes beyond pendingWritesMax', () => {
    const disk = new SimDisk(undefined, 1);
    disk.write({ kind: 'entries', entries: [noop(1)] });
    expect(() => disk.write({ kind: 'entries', entries: [noop(2)] })).toThrow(RangeError);
  });
});
