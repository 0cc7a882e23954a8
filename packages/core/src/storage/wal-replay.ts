import { BatonError } from '../errors.js';
import type { Entry, HardState, LogIndex } from '../raft/types.js';
import { LogWindow } from './log-window.js';
import { decodeWalPayload, type WalPayload } from './record-payloads.js';
import type { RecordType } from './wal-record.js';

/** One valid record as the WAL scan found it. */
export interface ScannedRecord {
  readonly type: RecordType;
  readonly payload: Uint8Array;
  /** Byte offset of the record in its segment file. */
  readonly offset: number;
}

/** One segment file's valid records, in order. */
export interface ScannedSegment {
  /** The segment file's path, for error messages. */
  readonly file: string;
  /** The log's last index when the segment was created, plus one. */
  readonly firstIndex: LogIndex;
  readonly records: readonly ScannedRecord[];
}

/** The log state the WAL's records describe. */
export interface WalReplay {
  /**
   * The entries the surviving segments hold. When older segments were
   * compacted away, `baseIndex` is where the first surviving segment's
   * knowledge starts; the snapshot must cover everything up to it.
   */
  readonly window: LogWindow;
  readonly hardState: HardState | undefined;
  /**
   * Per segment, the highest log index it mentions (entries, resets, and its
   * own firstIndex - 1): a segment may be deleted once a durable snapshot
   * reaches it.
   */
  readonly segmentMaxIndexes: readonly LogIndex[];
}

/**
 * Rebuilds the log from segments in creation order. Pure. Every segment
 * after the first must start where the log before it ended (a segment is
 * named after the log's end when it was created), and every entry must
 * follow the log's end or overwrite a suffix; anything else throws
 * `BatonError('BATON_STORAGE_CORRUPT')` naming the file and byte offset.
 */
export function replayWal(segments: readonly ScannedSegment[]): WalReplay {
  const firstSegment = segments[0];
  const start = firstSegment === undefined ? 0 : firstSegment.firstIndex - 1;
  const window = new LogWindow(start, start === 0 ? 0 : undefined);
  let hardState: HardState | undefined;
  const segmentMaxIndexes: LogIndex[] = [];
  for (const segment of segments) {
    if (segment !== firstSegment && window.lastIndex !== segment.firstIndex - 1) {
      throw corruptAt(
        segment.file,
        0,
        `the segment starts after index ${segment.firstIndex - 1} but the log before it ends at ${window.lastIndex}`,
      );
    }
    let maxIndex = segment.firstIndex - 1;
    for (const record of segment.records) {
      const payload = decodeRecord(segment.file, record);
      if (payload.type === 'hardState') {
        hardState = payload.hardState;
      } else if (payload.type === 'logReset') {
        window.resetTo(payload.index, payload.term);
        maxIndex = Math.max(maxIndex, payload.index);
      } else {
        replayEntry(window, segment.file, record.offset, payload.entry);
        maxIndex = Math.max(maxIndex, payload.entry.index);
      }
    }
    segmentMaxIndexes.push(maxIndex);
  }
  return { window, hardState, segmentMaxIndexes };
}

function replayEntry(window: LogWindow, file: string, offset: number, entry: Entry): void {
  if (entry.index < 1 || entry.index > window.lastIndex + 1) {
    throw corruptAt(
      file,
      offset,
      `entry ${entry.index} does not follow the log's last index ${window.lastIndex}`,
    );
  }
  // An overwrite reaching below what the surviving segments know: the entries before it lived in
  // compacted segments, all covered by the snapshot, so knowledge now starts just before it.
  if (entry.index <= window.baseIndex) window.resetTo(entry.index - 1, entry.index === 1 ? 0 : undefined);
  window.append([entry]);
}

function decodeRecord(file: string, record: ScannedRecord): WalPayload {
  try {
    return decodeWalPayload(record.type, record.payload);
  } catch (error) {
    throw corruptAt(file, record.offset, 'the record does not decode', error);
  }
}

/** The error for damaged storage, naming the file and the byte offset. */
export function corruptAt(file: string, offset: number, problem: string, cause?: unknown): BatonError {
  return new BatonError('BATON_STORAGE_CORRUPT', `${file}: byte offset ${offset}: ${problem}`, { cause });
}
