import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Test-side knowledge of the on-disk WAL (packages/core/src/storage): segment
 * files `<dataDir>/wal/*.log` holding records framed as
 * [length u32 LE][crc32 u32 LE][type u8][payload: length bytes].
 */
const RECORD_HEADER_BYTES = 9;
/** The record type of a log entry (wal-record.ts RECORD_TYPES.entry). */
export const ENTRY_RECORD_TYPE = 1;
/** The record type of a hard state (RECORD_TYPES.hardState). */
export const HARD_STATE_RECORD_TYPE = 2;

/** The path of the newest WAL segment of a data directory (names sort in creation order). */
export async function newestSegment(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'wal');
  const segments = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const newest = segments.at(-1);
  if (newest === undefined) throw new Error(`no WAL segment in ${dir}`);
  return join(dir, newest);
}

/** A record's place in its segment. */
export interface RecordPlace {
  readonly offset: number;
  readonly type: number;
  /** Offset just past the record. */
  readonly end: number;
}

/** Offset and type of each record of a segment, read by the framing alone (no checksum check). */
export async function recordOffsets(file: string): Promise<RecordPlace[]> {
  const bytes = await readFile(file);
  const records: RecordPlace[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) break;
    records.push({ offset, type: bytes[offset + 8]!, end });
    offset = end;
  }
  return records;
}
