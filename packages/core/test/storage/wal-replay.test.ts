import { describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { entryRecord, hardStateRecord, logResetRecord } from '../../src/storage/record-payloads.js';
import { RECORD_HEADER_BYTES, RECORD_TYPES, readRecord } from '../../src/storage/wal-record.js';
import { replayWal, type ScannedRecord, type ScannedSegment } from '../../src/storage/wal-replay.js';
import { commands, hardState, shape } from './storage-test-kit.js';

/** Scans framed records as the WAL would, giving each the offset it would have in its file. */
function segment(file: string, firstIndex: number, frames: Uint8Array[]): ScannedSegment {
  const records: ScannedRecord[] = [];
  let offset = 0;
  for (const frame of frames) {
    const read = readRecord(frame, 0, 1 << 20);
    if (!read.ok) throw new Error('bad test frame');
    records.push({ type: read.type, payload: read.payload, offset });
    offset += frame.length;
  }
  return { file, firstIndex, records };
}

function corruption(run: () => unknown): { code?: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isBatonError(error, 'BATON_STORAGE_CORRUPT')) return error;
    throw error;
  }
  throw new Error('expected BATON_STORAGE_CORRUPT');
}

describe('replayWal', () => {
  it('rebuilds entries, overwrites and the newest hard state across segments', () => {
    const replay = replayWal([
      segment('a', 1, [...commands(1, 4, 1).map(entryRecord), hardStateRecord(hardState(1, 2))]),
      segment('b', 5, [
        hardStateRecord(hardState(1, 2)),
        ...commands(3, 3, 2).map(entryRecord),
        hardStateRecord(hardState(2, 3)),
      ]),
    ]);
    expect(shape(replay.window.entries())).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(replay.hardState).toEqual(hardState(2, 3));
    expect(replay.segmentMaxIndexes).toEqual([4, 4]);
  });

  it('applies a log reset: the log is empty after its index, and the next entry follows it', () => {
    const replay = replayWal([
      segment('a', 1, [
        ...commands(1, 4, 1).map(entryRecord),
        logResetRecord(20, 3),
        entryRecord(commands(21, 21, 3)[0]!),
      ]),
    ]);
    expect(replay.window.baseIndex).toBe(20);
    expect(replay.window.baseTerm).toBe(3);
    expect(shape(replay.window.entries())).toEqual([[21, 3]]);
    expect(replay.segmentMaxIndexes).toEqual([21]);
  });

  it('starts from the first surviving segment after compaction, even when it overwrites below its start', () => {
    const replay = replayWal([segment('b', 101, [...commands(95, 102, 2).map(entryRecord)])]);
    expect(replay.window.baseIndex).toBe(94);
    expect(replay.window.lastIndex).toBe(102);
    expect(replay.segmentMaxIndexes).toEqual([102]);
  });

  it('an entry that skips an index is corruption naming the file and the byte offset', () => {
    const frames = [entryRecord(commands(1, 1, 1)[0]!), entryRecord(commands(3, 3, 1)[0]!)];
    const error = corruption(() => replayWal([segment('/data/wal/seg-a.log', 1, frames)]));
    expect(error.message).toContain('/data/wal/seg-a.log');
    expect(error.message).toContain(`offset ${frames[0]!.length}`);
  });

  it('a segment that does not start where the previous one ended is corruption naming it', () => {
    const error = corruption(() =>
      replayWal([segment('a', 1, commands(1, 3, 1).map(entryRecord)), segment('seg-b', 5, [])]),
    );
    expect(error.message).toContain('seg-b');
  });

  it('a record whose checksum holds but whose payload does not decode is corruption', () => {
    const bad = { type: RECORD_TYPES.entry, payload: Uint8Array.of(9, 9), offset: RECORD_HEADER_BYTES };
    expect(() => replayWal([{ file: 'a', firstIndex: 1, records: [bad] }])).toThrow(
      expect.objectContaining({ code: 'BATON_STORAGE_CORRUPT' }),
    );
  });

  it('no segments: an empty log from index 0', () => {
    const replay = replayWal([]);
    expect(replay.window.lastIndex).toBe(0);
    expect(replay.hardState).toBeUndefined();
  });
});
