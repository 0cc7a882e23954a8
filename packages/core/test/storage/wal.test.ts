import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { entryRecord } from '../../src/storage/record-payloads.js';
import { Wal, type WalWrite } from '../../src/storage/wal.js';
import { replayWal } from '../../src/storage/wal-replay.js';
import { commands, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

function writeOf(index: number): WalWrite {
  return {
    frames: [entryRecord(commands(index, index, 1)[0]!)],
    lastIndex: index,
    maxIndex: index,
    hardStateFrame: undefined,
  };
}

async function freshWal(options: { segmentBytesMax?: number; roundBytesMax?: number } = {}): Promise<Wal> {
  const { wal } = await Wal.open(dir, { logger: recordingLogger(), ...options });
  await wal.resume({ segmentMaxIndexes: [], lastIndex: 0, hardStateFrame: undefined });
  return wal;
}

async function replayedIndexes(): Promise<number[]> {
  const { wal, segments } = await Wal.open(dir, { logger: recordingLogger() });
  await wal.close();
  return replayWal(segments)
    .window.entries()
    .map((e) => e.index);
}

describe('Wal group commit', () => {
  it('appends made while a round is in flight share the next round: one write and one fsync', async () => {
    const wal = await freshWal();
    const before = wal.stats();
    await Promise.all(Array.from({ length: 16 }, (_, k) => wal.append(writeOf(k + 1), true)));
    const after = wal.stats();
    // The first append starts a round alone; the other 15 queue behind it and go in the second round.
    expect(after.fsyncs - before.fsyncs).toBe(2);
    expect(after.records - before.records).toBe(16);
    await wal.close();
    expect(await replayedIndexes()).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
  });

  it('a round holds at most roundBytesMax (but always at least one append)', async () => {
    const frameBytes = writeOf(1).frames[0]!.length;
    const wal = await freshWal({ roundBytesMax: frameBytes * 2 });
    const before = wal.stats();
    await Promise.all(Array.from({ length: 9 }, (_, k) => wal.append(writeOf(k + 1), true)));
    // Round 1 takes one append, then four rounds of two.
    expect(wal.stats().fsyncs - before.fsyncs).toBe(5);
    await wal.close();
  });

  it('a shared round is fsynced when any of its appends asked for it, wherever it stands in the round', async () => {
    const wal = await freshWal();
    const before = wal.stats();
    // The first append starts a round alone; the next three share the second round.
    const appended = [wal.append(writeOf(1), false)];
    appended.push(wal.append(writeOf(2), false), wal.append(writeOf(3), true), wal.append(writeOf(4), false));
    await Promise.all(appended);
    expect(wal.stats().records - before.records).toBe(4);
    expect(wal.stats().fsyncs - before.fsyncs).toBe(1);
    await wal.close();
  });

  it('unsynced appends are written without an fsync', async () => {
    const wal = await freshWal();
    const before = wal.stats();
    await wal.append(writeOf(1), false);
    expect(wal.stats().fsyncs).toBe(before.fsyncs);
    await wal.close();
    expect(await replayedIndexes()).toEqual([1]);
  });

  it('rolls over to a new segment past segmentBytesMax, fsyncing the full one first', async () => {
    const wal = await freshWal({ segmentBytesMax: 64 });
    for (let i = 1; i <= 20; i++) await wal.append(writeOf(i), false);
    await wal.close();
    const { wal: reopened, segments } = await Wal.open(dir, { logger: recordingLogger() });
    await reopened.close();
    expect(segments.length).toBeGreaterThan(3);
    expect(segments.map((s) => s.firstIndex)[1]).toBeGreaterThan(1);
    expect(await replayedIndexes()).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
  });

  it('after close, appends and compactions are refused with BATON_STOPPED', async () => {
    const wal = await freshWal();
    const pending = wal.append(writeOf(1), true);
    await wal.close();
    await pending;
    const error = await wal.append(writeOf(2), true).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_STOPPED')).toBe(true);
    expect(isBatonError(await wal.compact(1).catch((e: unknown) => e), 'BATON_STOPPED')).toBe(true);
  });
});
