import type { LogIndex } from '../raft/types.js';

/**
 * Segment file names: `wal-<seq>-<firstIndex>.log`, both 16 zero-padded
 * decimal digits (enough for any safe integer), so that names sort in
 * creation order. `firstIndex` is the log's last index when the segment was
 * created, plus one. It alone cannot order segments: an overwrite of a suffix
 * moves the log's end backwards, so a later segment can start at a lower
 * index than an earlier one; `seq` counts segments and orders them.
 */
export interface SegmentName {
  readonly file: string;
  readonly seq: number;
  readonly firstIndex: LogIndex;
}

const DIGITS = 16;
const SEGMENT_NAME = /^wal-(\d{16})-(\d{16})\.log$/;

/** The file name of segment number `seq` starting after index `firstIndex - 1`. */
export function segmentFileName(seq: number, firstIndex: LogIndex): string {
  return `wal-${pad(seq)}-${pad(firstIndex)}.log`;
}

/** The parts of a segment file name, or undefined if `file` is not one. */
export function parseSegmentFileName(file: string): SegmentName | undefined {
  const match = SEGMENT_NAME.exec(file);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  const firstIndex = Number(match[2]);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex) || firstIndex < 1) return undefined;
  return { file, seq, firstIndex };
}

/** Segment names among `files`, in creation order; other files are left out. */
export function listSegments(files: readonly string[]): SegmentName[] {
  const segments: SegmentName[] = [];
  for (const file of files) {
    const name = parseSegmentFileName(file);
    if (name !== undefined) segments.push(name);
  }
  return segments.sort((a, b) => a.seq - b.seq);
}

function pad(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot name a segment with ${value}`);
  return String(value).padStart(DIGITS, '0');
}
