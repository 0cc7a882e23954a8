import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import type { LogStorage } from '../../src/storage/log-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { commands, hardState, makeTempDir, removeTempDir, shape, snapshotAt } from './storage-test-kit.js';

/** How a contract case opens a storage and simulates a restart of its member. */
interface Harness {
  open(): Promise<LogStorage>;
  /** Closes `storage` and opens what a restarted member would find. */
  reopen(storage: LogStorage): Promise<LogStorage>;
}

const implementations: Array<[string, () => Promise<Harness & { dispose(): Promise<void> }>]> = [
  [
    'MemoryStorage',
    async () => ({
      open: async () => new MemoryStorage(),
      reopen: (storage) => (storage as MemoryStorage).reopen(),
      dispose: async () => {},
    }),
  ],
  [
    'FileStorage',
    async () => {
      const dir = await makeTempDir();
      return {
        open: () => FileStorage.open(dir),
        reopen: async (storage) => {
          await storage.close();
          return FileStorage.open(dir);
        },
        dispose: () => removeTempDir(dir),
      };
    },
  ],
];

describe.each(implementations)('LogStorage contract: %s', (_name, makeHarness) => {
  let harness: Harness & { dispose(): Promise<void> };
  let storage: LogStorage;

  beforeEach(async () => {
    harness = await makeHarness();
    storage = await harness.open();
  });

  afterEach(async () => {
    await storage.close();
    await harness.dispose();
  });

  /** Checks `check` against the open storage and again after a restart. */
  async function bothNowAndAfterRestart(check: (s: LogStorage) => Promise<void>): Promise<void> {
    await check(storage);
    storage = await harness.reopen(storage);
    await check(storage);
  }

  it('a fresh storage holds nothing', async () => {
    expect(await storage.load()).toEqual({ hardState: undefined, snapshot: undefined, entries: [] });
  });

  it('round-trips entries of every type and the hard state', async () => {
    const entries = [
      ...commands(1, 2, 1),
      { type: 'noop', term: 2, index: 3 } as const,
      {
        type: 'config',
        term: 2,
        index: 4,
        change: { op: 'addVoter', id: 'n4', address: 'ws://h:1' },
      } as const,
      { type: 'config', term: 2, index: 5, change: { op: 'removeMember', id: 'n2' } } as const,
    ];
    await storage.persist({ entries, hardState: hardState(2, 3), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      expect(await s.load()).toEqual({ hardState: hardState(2, 3), snapshot: undefined, entries });
    });
  });

  it('keeps the newest hard state, including one without a vote', async () => {
    await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 1), sync: true });
    await storage.persist({ entries: [], hardState: hardState(4, 2, undefined), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      expect((await s.load()).hardState).toEqual(hardState(4, 2, undefined));
    });
  });

  it('an entry at a stored index replaces it and discards every later one', async () => {
    await storage.persist({ entries: commands(1, 5, 1), sync: true });
    await storage.persist({ entries: commands(3, 4, 2), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      expect(shape((await s.load()).entries)).toEqual([
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 2],
      ]);
    });
  });

  it('a batch that leaves a gap is refused with a RangeError and changes nothing', async () => {
    await storage.persist({ entries: commands(1, 2, 1), sync: true });
    await expect(
      storage.persist({ entries: commands(4, 4, 1), hardState: hardState(9, 9), sync: true }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      storage.persist({ entries: [...commands(3, 3, 1), ...commands(5, 5, 1)], sync: true }),
    ).rejects.toBeInstanceOf(RangeError);
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(shape(state.entries)).toEqual([
        [1, 1],
        [2, 1],
      ]);
      expect(state.hardState).toBeUndefined();
    });
  });

  it('a local snapshot compacts the entries it covers; later entries and the hard state stay', async () => {
    await storage.persist({ entries: commands(1, 10, 1), hardState: hardState(1, 8), sync: true });
    await storage.saveSnapshot(snapshotAt(6, 1));
    await storage.persist({ entries: commands(11, 12, 2), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(state.snapshot).toEqual(snapshotAt(6, 1));
      expect(state.hardState).toEqual(hardState(1, 8));
      expect(shape(state.entries).map(([index]) => index)).toEqual([7, 8, 9, 10, 11, 12]);
    });
  });

  it('a local snapshot no newer than the stored one is ignored', async () => {
    await storage.persist({ entries: commands(1, 10, 1), sync: true });
    await storage.saveSnapshot(snapshotAt(6, 1));
    await storage.saveSnapshot(snapshotAt(4, 1, Uint8Array.of(9)));
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(state.snapshot).toEqual(snapshotAt(6, 1));
      expect(state.entries[0]?.index).toBe(7);
    });
  });

  it('a local snapshot that contradicts the log is refused with a RangeError', async () => {
    await storage.persist({ entries: commands(1, 5, 2), sync: true });
    await expect(storage.saveSnapshot(snapshotAt(4, 1))).rejects.toBeInstanceOf(RangeError);
    await expect(storage.saveSnapshot(snapshotAt(6, 2))).rejects.toBeInstanceOf(RangeError);
    expect((await storage.load()).snapshot).toBeUndefined();
  });

  it("a leader's snapshot whose term differs from the stored entry discards the whole log (§7)", async () => {
    await storage.persist({ entries: commands(1, 10, 1), sync: true });
    await storage.persist({ snapshot: snapshotAt(5, 2), entries: commands(6, 7, 2), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(state.snapshot).toEqual(snapshotAt(5, 2));
      expect(shape(state.entries)).toEqual([
        [6, 2],
        [7, 2],
      ]);
    });
  });

  it("a leader's snapshot matching a stored entry keeps the entries after it (§7)", async () => {
    await storage.persist({ entries: commands(1, 10, 1), sync: true });
    await storage.persist({ snapshot: snapshotAt(5, 1), entries: [], sync: true });
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(state.snapshot?.meta.index).toBe(5);
      expect(shape(state.entries).map(([index]) => index)).toEqual([6, 7, 8, 9, 10]);
    });
  });

  it("a leader's snapshot past the end of the log replaces it; appends continue after it", async () => {
    await storage.persist({ entries: commands(1, 3, 1), sync: true });
    await storage.persist({
      snapshot: snapshotAt(50, 3),
      entries: [],
      hardState: hardState(3, 50),
      sync: true,
    });
    await storage.persist({ entries: commands(51, 52, 3), sync: true });
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(state.snapshot?.meta.index).toBe(50);
      expect(state.hardState).toEqual(hardState(3, 50));
      expect(shape(state.entries).map(([index]) => index)).toEqual([51, 52]);
    });
  });

  it("a leader's snapshot not above the stored one, or entries at or below it, are refused", async () => {
    await storage.persist({ entries: commands(1, 10, 1), sync: true });
    await storage.saveSnapshot(snapshotAt(6, 1));
    await expect(
      storage.persist({ snapshot: snapshotAt(6, 1), entries: [], sync: true }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(storage.persist({ entries: commands(5, 5, 3), sync: true })).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(shape((await storage.load()).entries).map(([index]) => index)).toEqual([7, 8, 9, 10]);
  });

  it('persists called without awaiting take effect in call order', async () => {
    const calls = [
      storage.persist({ entries: commands(1, 4, 1), sync: false }),
      storage.persist({ entries: commands(3, 3, 2), sync: true }),
      storage.persist({ entries: commands(4, 5, 2), hardState: hardState(2, 1), sync: true }),
    ];
    await Promise.all(calls);
    await bothNowAndAfterRestart(async (s) => {
      const state = await s.load();
      expect(shape(state.entries)).toEqual([
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 2],
        [5, 2],
      ]);
      expect(state.hardState).toEqual(hardState(2, 1));
    });
  });

  it('every call after close is refused with BATON_STOPPED; close is idempotent', async () => {
    await storage.close();
    await storage.close();
    for (const call of [
      () => storage.load(),
      () => storage.persist({ entries: commands(1, 1, 1), sync: true }),
      () => storage.saveSnapshot(snapshotAt(1, 1)),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(isBatonError(error, 'BATON_STOPPED')).toBe(true);
    }
  });
});
