import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { segmentFileName } from '../../src/storage/wal-segments.js';
import {
  commands,
  hardState,
  makeTempDir,
  removeTempDir,
  snapshotAt,
  withFileStorage,
} from './storage-test-kit.js';

/**
 * SIGKILL keeps the page cache, so no crash test can tell a missing fsync.
 * Here every file operation FileStorage makes is journaled (after it
 * completed), and the tests check that what DESIGN.md §2.4 needs on disk was
 * fsynced before the call that depends on it resolved.
 */
const journal = vi.hoisted(() => ({
  events: [] as string[],
  root: '',
  /** When set, an operation (`rename`, `datasync`, ...) on a file for which it returns true fails with EIO instead. */
  fails: undefined as ((op: string, file: string) => boolean) | undefined,
}));

function eio(op: string): Error {
  return Object.assign(new Error(`EIO: i/o error, ${op}`), { code: 'EIO' });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const label = (path: unknown) => String(path).replace(journal.root, '');
  const recorded = new Set(['write', 'writev', 'writeFile', 'datasync', 'sync']);
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const file = label(args[0]);
      // A write through a handle opened with O_DSYNC is durable when it returns: journaled as `write(dsync)`.
      const flags = args[1];
      const dsync = typeof flags === 'number' && (flags & real.constants.O_DSYNC) !== 0;
      return new Proxy(handle, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          if (typeof prop !== 'string' || !recorded.has(prop)) return value.bind(target);
          return async (...callArgs: unknown[]) => {
            if (journal.fails?.(prop, file)) throw eio(prop);
            const result = await value.apply(target, callArgs);
            journal.events.push(`${prop}${dsync && prop.startsWith('write') ? '(dsync)' : ''} ${file}`);
            return result;
          };
        },
      });
    },
    rename: async (from: Parameters<typeof real.rename>[0], to: Parameters<typeof real.rename>[1]) => {
      if (journal.fails?.('rename', label(from))) throw eio('rename');
      await real.rename(from, to);
      journal.events.push(`rename ${label(from)} ${label(to)}`);
    },
  };
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
  journal.root = dir;
  journal.fails = undefined;
});

afterEach(async () => {
  await removeTempDir(dir);
});

describe('FileStorage fsyncs before it reports', () => {
  it('a synced persist (a vote, acknowledged entries) resolves only once its write is durable', async () => {
    await withFileStorage(dir, async (storage) => {
      journal.events.length = 0;
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      expectLastWalWriteDurable([...journal.events]);
    });
  });

  it('a synced persist after an unsynced one flushes both with a datasync, never leaving the earlier bytes unsynced', async () => {
    await withFileStorage(dir, async (storage) => {
      journal.events.length = 0;
      await storage.persist({ entries: commands(1, 3, 1), sync: false });
      await storage.persist({ entries: commands(4, 5, 1), hardState: hardState(1, 0), sync: true });
      expectLastWalWriteDatasynced([...journal.events]);
    });
  });

  it('the first synced persist after a reopen flushes with a datasync: the last process may have left unsynced bytes', async () => {
    const first = await FileStorage.open(dir);
    await first.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
    await first.persist({ entries: commands(4, 4, 1), sync: false });
    await first.close(); // as after a SIGKILL: the last write was never synced
    await withFileStorage(dir, async (storage) => {
      journal.events.length = 0;
      await storage.persist({ entries: commands(5, 5, 1), sync: true });
      expectLastWalWriteDatasynced([...journal.events]);
    });
  });

  it('a batch that only moves the commit index writes nothing: it goes out with the next write', async () => {
    await withFileStorage(dir, async (storage) => {
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      journal.events.length = 0;
      await storage.persist({ entries: [], hardState: hardState(1, 2), sync: false });
      expect(journal.events).toEqual([]);
      await storage.persist({ entries: commands(4, 4, 1), sync: true });
      expectLastWalWriteDurable([...journal.events]);
    });
  });

  it('a synced persist that starts a new segment first datasyncs the unsynced end of the full one', async () => {
    await withFileStorage(
      dir,
      async (storage) => {
        await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
        journal.events.length = 0;
        await storage.persist({ entries: commands(4, 4, 1), sync: false });
        await storage.persist({ entries: commands(5, 12, 1), sync: true });
        const events = [...journal.events];
        expect(new Set(walWrites(events).map((w) => w.file)).size, events.join('\n')).toBe(2);
        expectEveryWalFileDurable(events);
      },
      { segmentBytesMax: 200 },
    );
  });

  it('the names of a new dataDir’s log and snapshot directories are made durable before anything is written in them', async () => {
    journal.events.length = 0;
    await withFileStorage(dir, async (storage) => {
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      const events = [...journal.events];
      const firstWrite = walWrites(events)[0]!.at;
      // The dataDir itself (journaled by its path inside the test's root: the empty string).
      expect(events.slice(0, firstWrite), events.join('\n')).toContain('sync ');
    });
  });

  it("a new segment's name is made durable by a directory fsync before anything is written to it", async () => {
    await withFileStorage(
      dir,
      async (storage) => {
        await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
        journal.events.length = 0;
        await storage.persist({ entries: commands(4, 12, 1), sync: true });
        const events = [...journal.events];
        const files = [...new Set(walWrites(events).map((w) => w.file))];
        expect(files, events.join('\n')).toEqual([`/wal/${segmentFileName(2, 4)}`]);
        const firstWrite = walWrites(events)[0]!.at;
        expect(events.slice(0, firstWrite), events.join('\n')).toContain('sync /wal');
        expectEveryWalFileDurable(events);
      },
      { segmentBytesMax: 200 },
    );
  });

  it("a leader's snapshot is durable (renamed, directory fsynced) before the log records that follow it are written", async () => {
    await withFileStorage(dir, async (storage) => {
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      journal.events.length = 0;
      await storage.persist({ snapshot: snapshotAt(10, 2), entries: commands(11, 12, 2), sync: true });
      const events = [...journal.events];
      const firstWalWrite = walWrites(events)[0]!.at;
      expect(events.slice(0, firstWalWrite), events.join('\n')).toContain('sync /snap');
    });
  });

  it("a leader's snapshot that cannot be saved fails its persist, and nothing after it reaches the log", async () => {
    await withFileStorage(dir, async (storage) => {
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      journal.events.length = 0;
      journal.fails = (op) => op === 'rename';
      const failed = await storage
        .persist({ snapshot: snapshotAt(10, 2), entries: commands(11, 12, 2), sync: true })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect((failed as { code?: string } | undefined)?.code).toBe('EIO');
      expect(walWrites([...journal.events])).toEqual([]);
      const next = await storage.persist({ entries: commands(4, 4, 1), sync: true }).catch((e: unknown) => e);
      expect(isBatonError(next, 'BATON_STOPPED')).toBe(true);
    });
  });

  it('after a failed fsync nothing more is written, not even the deferred commit index at close', async () => {
    const storage = await FileStorage.open(dir);
    try {
      await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      await storage.persist({ entries: commands(4, 4, 1), sync: false });
      journal.fails = (op, file) => op === 'datasync' && file.startsWith('/wal/');
      const failed = await storage
        .persist({ entries: commands(5, 5, 1), sync: true })
        .catch((e: unknown) => e);
      expect((failed as { code?: string }).code).toBe('EIO');
      journal.fails = undefined;
      await storage.persist({ entries: [], hardState: hardState(1, 3), sync: false });
      journal.events.length = 0;
      const next = await storage.persist({ entries: commands(5, 5, 1), sync: true }).catch((e: unknown) => e);
      expect(isBatonError(next, 'BATON_STOPPED')).toBe(true);
    } finally {
      await storage.close();
    }
    expect(walWrites([...journal.events])).toEqual([]);
  });

  it('a snapshot is written to a temp file, fsynced, renamed into place, and then its directory fsynced', async () => {
    await withFileStorage(dir, async (storage) => {
      await storage.persist({ entries: commands(1, 5, 1), hardState: hardState(1, 5), sync: true });
      journal.events.length = 0;
      await storage.saveSnapshot(snapshotAt(3, 1));
      const events = journal.events.filter((e) => e.includes('/snap'));
      const rename = events.findIndex((e) => e.startsWith('rename '));
      expect(rename, events.join('\n')).toBeGreaterThan(0);
      const [, temp, final] = events[rename]!.split(' ');
      const before = events.slice(0, rename);
      expect(before.indexOf(`writeFile ${temp}`)).toBeGreaterThanOrEqual(0);
      expect(before.indexOf(`sync ${temp}`)).toBeGreaterThan(before.indexOf(`writeFile ${temp}`));
      expect(final).toMatch(/^\/snap\//);
      expect(events.slice(rename + 1)).toContain(`sync ${join('/snap')}`);
    });
  });
});

/** Every write to the WAL in `events`: its index, operation and file. */
function walWrites(events: readonly string[]): Array<{ at: number; op: string; file: string }> {
  const writes: Array<{ at: number; op: string; file: string }> = [];
  events.forEach((e, at) => {
    if (!/^write(v)?(\(dsync\))? \/wal\//.test(e)) return;
    const [op, file] = e.split(' ');
    writes.push({ at, op: op!, file: file! });
  });
  return writes;
}

/** For each WAL file written in `events`, its last write was durable when it returned or a datasync of it follows. */
function expectEveryWalFileDurable(events: readonly string[]): void {
  const lastByFile = new Map<string, { at: number; op: string }>();
  for (const write of walWrites(events)) lastByFile.set(write.file, write);
  for (const [file, { at, op }] of lastByFile) {
    if (op.endsWith('(dsync)')) continue;
    expect(events.slice(at + 1), `${file}\n${events.join('\n')}`).toContain(`datasync ${file}`);
  }
}

/** The last write to the WAL in `events`: its index, operation and file. */
function lastWalWrite(events: readonly string[]): { at: number; op: string; file: string } {
  const at = events.findLastIndex((e) => /^write(v)?(\(dsync\))? \/wal\//.test(e));
  expect(at, events.join('\n')).toBeGreaterThanOrEqual(0);
  const [op, file] = events[at]!.split(' ');
  return { at, op: op!, file: file! };
}

/** The last write to the WAL in `events` was durable when it returned, or a datasync of its file follows it. */
function expectLastWalWriteDurable(events: readonly string[]): void {
  const { at, op, file } = lastWalWrite(events);
  if (op.endsWith('(dsync)')) return;
  expect(events.slice(at + 1), events.join('\n')).toContain(`datasync ${file}`);
}

/** The last write to the WAL in `events` went through the plain handle, and a datasync of its file follows it. */
function expectLastWalWriteDatasynced(events: readonly string[]): void {
  const { at, op, file } = lastWalWrite(events);
  expect(op, events.join('\n')).not.toContain('(dsync)');
  expect(events.slice(at + 1), events.join('\n')).toContain(`datasync ${file}`);
}
