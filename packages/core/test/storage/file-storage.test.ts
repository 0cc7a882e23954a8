import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { entryRecord, hardStateRecord } from '../../src/storage/record-payloads.js';
import { SnapshotStore } from '../../src/storage/snapshot-store.js';
import { RECORD_TYPES, readRecord } from '../../src/storage/wal-record.js';
import { segmentFileName } from '../../src/storage/wal-segments.js';
import {
  commands,
  hardState,
  makeTempDir,
  recordingLogger,
  removeTempDir,
  shape,
  snapshotAt,
  walSegments,
  withFileStorage,
} from './storage-test-kit.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

async function withStorage<T>(
  run: (storage: FileStorage) => Promise<T>,
  logger = recordingLogger(),
): Promise<T> {
  return withFileStorage(dir, run, { logger });
}

async function indexesAfterOpen(logger = recordingLogger()): Promise<number[]> {
  return withStorage(async (s) => (await s.load()).entries.map((e) => e.index), logger);
}

async function openError(): Promise<unknown> {
  return FileStorage.open(dir).then(
    async (storage) => {
      await storage.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

/** Persists entries `from..to` of term 1 one batch each, then closes. */
async function persistOneByOne(
  from: number,
  to: number,
  options: { segmentBytesMax: number },
): Promise<void> {
  const storage = await FileStorage.open(dir, options);
  for (let i = from; i <= to; i++) await storage.persist({ entries: commands(i, i, 1), sync: true });
  await storage.close();
}

/** Byte ranges [start, end) of the records in a segment file. */
function recordRanges(bytes: Uint8Array): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let offset = 0; offset < bytes.length; ) {
    const read = readRecord(bytes, offset, 1 << 26);
    if (!read.ok) throw new Error(`unexpected damage at ${offset}`);
    ranges.push([offset, read.end]);
    offset = read.end;
  }
  return ranges;
}

async function onlySegmentPath(): Promise<string> {
  const segments = await walSegments(dir);
  expect(segments).toHaveLength(1);
  return join(dir, 'wal', segments[0]!);
}

describe('FileStorage recovery', () => {
  it('a torn last record, cut at every byte offset, recovers everything before it', async () => {
    await withStorage((s) =>
      s.persist({ entries: commands(1, 4, 1), hardState: hardState(1, 2), sync: true }),
    );
    const path = await onlySegmentPath();
    const before = (await stat(path)).size;
    await withStorage((s) => s.persist({ entries: commands(5, 5, 1), sync: true }));
    const full = await readFile(path);
    expect(full.length).toBeGreaterThan(before);
    for (let cut = before; cut < full.length; cut++) {
      await writeFile(path, full.subarray(0, cut));
      const logger = recordingLogger();
      expect(await indexesAfterOpen(logger)).toEqual([1, 2, 3, 4]);
      expect(logger.warnings.length).toBe(cut > before ? 1 : 0);
      expect((await stat(path)).size).toBe(before);
    }
    await writeFile(path, full);
    expect(await indexesAfterOpen()).toEqual([1, 2, 3, 4, 5]);
  });

  it('after cutting a torn tail, appends continue where the good records end', async () => {
    await withStorage((s) => s.persist({ entries: commands(1, 3, 1), sync: true }));
    const path = await onlySegmentPath();
    const full = await readFile(path);
    await writeFile(path, full.subarray(0, full.length - 2));
    await withStorage((s) => s.persist({ entries: commands(3, 4, 2), sync: true }));
    expect(await withStorage(async (s) => shape((await s.load()).entries))).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
  });

  it('zeros after the last good record are cut off and logged', async () => {
    await withStorage((s) => s.persist({ entries: commands(1, 5, 1), sync: true }));
    const path = await onlySegmentPath();
    const size = (await stat(path)).size;
    await writeFile(path, new Uint8Array(4096), { flag: 'a' });
    const logger = recordingLogger();
    expect(await indexesAfterOpen(logger)).toEqual([1, 2, 3, 4, 5]);
    expect(logger.warnings).toHaveLength(1);
    expect((await stat(path)).size).toBe(size);
  });

  it('a bad checksum in the last record of the last segment is a torn tail', async () => {
    await withStorage((s) => s.persist({ entries: commands(1, 5, 1), sync: true }));
    const path = await onlySegmentPath();
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    expect(await indexesAfterOpen()).toEqual([1, 2, 3, 4]);
  });

  it('a byte flipped anywhere in a record before the last is BATON_STORAGE_CORRUPT naming the file', async () => {
    await withStorage((s) => s.persist({ entries: commands(1, 5, 1), sync: true }));
    const path = await onlySegmentPath();
    const full = await readFile(path);
    const [start, end] = recordRanges(full)[1]!;
    for (let at = start; at < end; at++) {
      const damaged = Buffer.from(full);
      damaged[at] = (damaged[at] ?? 0) ^ 0x41;
      await writeFile(path, damaged);
      const error = await openError();
      expect(isBatonError(error, 'BATON_STORAGE_CORRUPT'), `flip at byte ${at}`).toBe(true);
      expect((error as Error).message).toContain(path);
    }
    await writeFile(path, full);
    expect(await indexesAfterOpen()).toEqual([1, 2, 3, 4, 5]);
  });

  it('damage followed only by a valid hard-state record (a vote) is corruption, not a torn tail', async () => {
    await withStorage(async (s) => {
      await s.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
      await s.persist({ entries: [], hardState: hardState(2, 0, 'n2'), sync: true });
    });
    const path = await onlySegmentPath();
    const full = await readFile(path);
    const ranges = recordRanges(full);
    const last = readRecord(full, ranges.at(-1)![0], 1 << 20);
    expect(last.ok && last.type).toBe(RECORD_TYPES.hardState);
    const [start, end] = ranges.at(-2)!;
    for (const at of [start, start + 4, start + 8, end - 1]) {
      const damaged = Buffer.from(full);
      damaged[at] = (damaged[at] ?? 0) ^ 0x41;
      await writeFile(path, damaged);
      expect(isBatonError(await openError(), 'BATON_STORAGE_CORRUPT'), `flip at byte ${at}`).toBe(true);
    }
  });

  it('damage at the end of a segment that is not the last is corruption, not a torn tail', async () => {
    await persistOneByOne(1, 40, { segmentBytesMax: 128 });
    const segments = await walSegments(dir);
    expect(segments.length).toBeGreaterThan(2);
    const first = join(dir, 'wal', segments[0]!);
    const bytes = await readFile(first);
    await writeFile(first, bytes.subarray(0, bytes.length - 1));
    const error = await openError();
    expect(isBatonError(error, 'BATON_STORAGE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(first);
  });

  it('a missing segment is corruption', async () => {
    await persistOneByOne(1, 40, { segmentBytesMax: 128 });
    const segments = await walSegments(dir);
    expect(segments.length).toBeGreaterThan(2);
    await rm(join(dir, 'wal', segments[1]!));
    expect(isBatonError(await openError(), 'BATON_STORAGE_CORRUPT')).toBe(true);
  });

  it('a missing segment is corruption even when the segments around it meet at the same index', async () => {
    // Segment 2 overwrote entries 3..4 with term 2, leaving the log's end at 4, so segment 3 starts at 5
    // just as if segment 2 had never existed: only the segment numbers tell that it is gone.
    await mkdir(join(dir, 'wal'), { recursive: true });
    const segment = (seq: number, firstIndex: number, frames: Uint8Array[]) =>
      writeFile(join(dir, 'wal', segmentFileName(seq, firstIndex)), Buffer.concat(frames));
    await segment(1, 1, [...commands(1, 4, 1).map(entryRecord), hardStateRecord(hardState(1, 2))]);
    await segment(2, 5, [hardStateRecord(hardState(2, 2)), ...commands(3, 4, 2).map(entryRecord)]);
    await segment(3, 5, [hardStateRecord(hardState(2, 4)), ...commands(5, 5, 2).map(entryRecord)]);
    expect(await withStorage(async (s) => shape((await s.load()).entries))).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 2],
    ]);
    await rm(join(dir, 'wal', segmentFileName(2, 5)));
    expect(isBatonError(await openError(), 'BATON_STORAGE_CORRUPT')).toBe(true);
  });

  it('a snapshot without any WAL segment is corruption: the hard state (the vote) would be lost', async () => {
    await withStorage(async (s) => {
      await s.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 3), sync: true });
      await s.saveSnapshot(snapshotAt(2, 1));
    });
    await rm(join(dir, 'wal'), { recursive: true });
    expect(isBatonError(await openError(), 'BATON_STORAGE_CORRUPT')).toBe(true);
  });

  it('a hard state committing past the end of the log is corruption: committed entries are missing', async () => {
    await mkdir(join(dir, 'wal'), { recursive: true });
    const frames = [...commands(1, 3, 1).map(entryRecord), hardStateRecord(hardState(1, 5))];
    await writeFile(join(dir, 'wal', segmentFileName(1, 1)), Buffer.concat(frames));
    expect(isBatonError(await openError(), 'BATON_STORAGE_CORRUPT')).toBe(true);
  });
});

describe('FileStorage segments, snapshots and compaction', () => {
  it('every new segment starts with the current hard state, so compaction never loses it', async () => {
    const storage = await FileStorage.open(dir, { segmentBytesMax: 200 });
    await storage.persist({ entries: commands(1, 1, 1), hardState: hardState(1, 0), sync: true });
    for (let i = 2; i <= 60; i++) await storage.persist({ entries: commands(i, i, 1), sync: true });
    const segments = await walSegments(dir);
    expect(segments.length).toBeGreaterThan(3);
    for (const file of segments.slice(1)) {
      const read = readRecord(await readFile(join(dir, 'wal', file)), 0, 1 << 20);
      expect(read.ok && read.type).toBe(RECORD_TYPES.hardState);
    }
    await storage.saveSnapshot(snapshotAt(45, 1));
    const left = await walSegments(dir);
    expect(left.length).toBeLessThan(segments.length);
    expect(left).toEqual(segments.slice(segments.length - left.length));
    await storage.close();

    const reopened = await FileStorage.open(dir);
    const state = await reopened.load();
    await reopened.close();
    expect(state.snapshot).toEqual(snapshotAt(45, 1));
    expect(state.hardState).toEqual(hardState(1, 0));
    expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: 15 }, (_, k) => 46 + k));
  });

  it("a leader's snapshot past the log deletes every segment but the active one", async () => {
    const storage = await FileStorage.open(dir, { segmentBytesMax: 200 });
    for (let i = 1; i <= 40; i++) await storage.persist({ entries: commands(i, i, 1), sync: true });
    expect((await walSegments(dir)).length).toBeGreaterThan(2);
    await storage.persist({ snapshot: snapshotAt(100, 2), entries: commands(101, 102, 2), sync: true });
    expect(await walSegments(dir)).toHaveLength(1);
    await storage.close();
    const state = await withStorage((s) => s.load());
    expect(state.snapshot?.meta.index).toBe(100);
    expect(shape(state.entries)).toEqual([
      [101, 2],
      [102, 2],
    ]);
  });

  it('keeps the newest two snapshots', async () => {
    await withStorage(async (s) => {
      await s.persist({ entries: commands(1, 10, 1), sync: true });
      for (const index of [2, 4, 6, 8]) await s.saveSnapshot(snapshotAt(index, 1));
    });
    expect((await readdir(join(dir, 'snap'))).sort()).toEqual([
      'snap-0000000000000006.snap',
      'snap-0000000000000008.snap',
    ]);
  });

  it('a temp file left by a crash during a snapshot save is ignored and deleted', async () => {
    await withStorage(async (s) => {
      await s.persist({ entries: commands(1, 10, 1), sync: true });
      await s.saveSnapshot(snapshotAt(4, 1));
    });
    const temp = join(dir, 'snap', 'snap-0000000000000009.snap.tmp');
    await writeFile(temp, Uint8Array.of(1, 2, 3));
    const state = await withStorage((s) => s.load());
    expect(state.snapshot?.meta.index).toBe(4);
    expect(state.entries[0]?.index).toBe(5);
    expect(await readdir(join(dir, 'snap'))).toEqual(['snap-0000000000000004.snap']);
  });

  it('a damaged snapshot is BATON_STORAGE_CORRUPT naming the file', async () => {
    await withStorage(async (s) => {
      await s.persist({ entries: commands(1, 10, 1), sync: true });
      await s.saveSnapshot(snapshotAt(4, 1));
    });
    const path = join(dir, 'snap', 'snap-0000000000000004.snap');
    const bytes = await readFile(path);
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const error = await openError();
    expect(isBatonError(error, 'BATON_STORAGE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(path);
  });

  it("a crash after a leader's snapshot is durable but before its log reset still discards the old log", async () => {
    await withStorage((s) => s.persist({ entries: commands(1, 10, 1), sync: true }));
    // What the crash leaves: the snapshot (another term at index 5) is on disk, the WAL knows nothing of it.
    const store = await SnapshotStore.open(join(dir, 'snap'), recordingLogger());
    await store.save(snapshotAt(5, 2));
    const logger = recordingLogger();
    await withStorage(async (s) => {
      expect((await s.load()).entries).toEqual([]);
      await s.persist({ entries: commands(6, 7, 2), sync: true });
    }, logger);
    expect(logger.warnings).toHaveLength(1);
    const state = await withStorage((s) => s.load());
    expect(state.snapshot).toEqual(snapshotAt(5, 2));
    expect(shape(state.entries)).toEqual([
      [6, 2],
      [7, 2],
    ]);
  });
});

describe('FileStorage group commit', () => {
  it('16 concurrent synced persists cost far fewer than 16 fsyncs, all resolve, all are durable', async () => {
    const storage = await FileStorage.open(dir);
    const before = storage.stats();
    await Promise.all(
      commands(1, 16, 1).map((entry) =>
        storage.persist({ entries: [entry], hardState: hardState(1, 0), sync: true }),
      ),
    );
    const after = storage.stats();
    expect(after.records - before.records).toBe(32);
    expect(after.fsyncs - before.fsyncs).toBeLessThanOrEqual(2);
    await storage.close();
    expect(await indexesAfterOpen()).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
  });
});

describe('FileStorage commit-only hard states', () => {
  /** Whether the active segment's last record is `frame`. */
  async function endsWith(frame: Uint8Array): Promise<boolean> {
    const bytes = await readFile(await onlySegmentPath());
    return Buffer.from(bytes.subarray(bytes.length - frame.length)).equals(Buffer.from(frame));
  }

  it('are not written on their own, go out with the next batch, and reach the disk by close', async () => {
    const storage = await FileStorage.open(dir);
    await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 0), sync: true });
    await storage.persist({ entries: [], hardState: hardState(1, 2), sync: false });
    expect(await endsWith(hardStateRecord(hardState(1, 2)))).toBe(false);
    expect((await storage.load()).hardState).toEqual(hardState(1, 2));
    await storage.persist({ entries: commands(4, 4, 1), sync: true });
    expect(await endsWith(hardStateRecord(hardState(1, 2)))).toBe(true);
    await storage.persist({ entries: [], hardState: hardState(1, 4), sync: false });
    await storage.close();
    expect(await endsWith(hardStateRecord(hardState(1, 4)))).toBe(true);
    expect(await withStorage(async (s) => (await s.load()).hardState)).toEqual(hardState(1, 4));
  });

  it('are written at once when the commit index passes a configuration entry', async () => {
    const storage = await FileStorage.open(dir);
    const config = { type: 'config', term: 1, index: 3, change: { op: 'removeMember', id: 'n3' } } as const;
    await storage.persist({
      entries: [...commands(1, 2, 1), config],
      hardState: hardState(1, 0),
      sync: true,
    });
    await storage.persist({ entries: [], hardState: hardState(1, 2), sync: false });
    expect(await endsWith(hardStateRecord(hardState(1, 2)))).toBe(false);
    await storage.persist({ entries: [], hardState: hardState(1, 3), sync: false });
    expect(await endsWith(hardStateRecord(hardState(1, 3)))).toBe(true);
    await storage.close();
  });

  it('a commit-only hard state the caller asks to sync is written at once', async () => {
    const storage = await FileStorage.open(dir);
    await storage.persist({ entries: commands(1, 2, 1), hardState: hardState(1, 0), sync: true });
    await storage.persist({ entries: [], hardState: hardState(1, 2), sync: true });
    expect(await endsWith(hardStateRecord(hardState(1, 2)))).toBe(true);
    await storage.close();
  });

  it('a term or vote change is never deferred', async () => {
    const storage = await FileStorage.open(dir);
    await storage.persist({ entries: commands(1, 2, 1), hardState: hardState(1, 0), sync: true });
    await storage.persist({ entries: [], hardState: hardState(2, 2, undefined), sync: false });
    expect(await endsWith(hardStateRecord(hardState(2, 2, undefined)))).toBe(true);
    await storage.close();
  });

  it('a vote cast in the term already stored is never deferred', async () => {
    const storage = await FileStorage.open(dir);
    await storage.persist({ entries: commands(1, 2, 1), hardState: hardState(2, 2, undefined), sync: true });
    await storage.persist({ entries: [], hardState: hardState(2, 2, 'n2'), sync: false });
    expect(await endsWith(hardStateRecord(hardState(2, 2, 'n2')))).toBe(true);
    await storage.close();
  });
});
