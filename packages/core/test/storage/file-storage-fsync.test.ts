import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileStorage } from '../../src/storage/file-storage.js';
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
const journal = vi.hoisted(() => ({ events: [] as string[], root: '' }));

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
            const result = await value.apply(target, callArgs);
            journal.events.push(`${prop}${dsync && prop.startsWith('write') ? '(dsync)' : ''} ${file}`);
            return result;
          };
        },
      });
    },
    rename: async (from: Parameters<typeof real.rename>[0], to: Parameters<typeof real.rename>[1]) => {
      await real.rename(from, to);
      journal.events.push(`rename ${label(from)} ${label(to)}`);
    },
  };
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
  journal.root = dir;
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
