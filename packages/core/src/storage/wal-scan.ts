import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageLogger } from './log-storage.js';
import { findValidRecordAfter, readRecord } from './wal-record.js';
import { corruptAt, type ScannedRecord, type ScannedSegment } from './wal-replay.js';
import { listSegments, type SegmentName } from './wal-segments.js';

/**
 * Reads every segment in `dir`, in creation order. A torn tail of the last
 * segment — a partial or damaged last record, or zeros, with no valid record
 * after it — is cut off the file and logged. Damage anywhere else, or a
 * missing segment number, throws `BatonError('BATON_STORAGE_CORRUPT')`
 * naming the file and byte offset: a torn write only ever loses the end of
 * the last file, so anything else may hide acknowledged entries.
 */
export async function scanWal(
  dir: string,
  payloadBytesMax: number,
  logger: StorageLogger,
): Promise<{ names: SegmentName[]; segments: ScannedSegment[] }> {
  const names = listSegments(await readdir(dir));
  const segments: ScannedSegment[] = [];
  for (const [i, name] of names.entries()) {
    const previous = names[i - 1];
    if (previous !== undefined && name.seq !== previous.seq + 1) {
      throw corruptAt(join(dir, name.file), 0, `segment number ${previous.seq + 1} is missing`);
    }
    const isLast = i === names.length - 1;
    segments.push(await scanSegment(join(dir, name.file), name, isLast, payloadBytesMax, logger));
  }
  return { names, segments };
}

/** Reads one segment's valid records, cutting a torn tail off the last segment. */
async function scanSegment(
  path: string,
  name: SegmentName,
  isLast: boolean,
  payloadBytesMax: number,
  logger: StorageLogger,
): Promise<ScannedSegment> {
  const bytes = await readBytes(path);
  const records: ScannedRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const read = readRecord(bytes, offset, payloadBytesMax);
    if (read.ok) {
      records.push({ type: read.type, payload: read.payload, offset });
      offset = read.end;
      continue;
    }
    if (!isLast || findValidRecordAfter(bytes, offset, payloadBytesMax) !== undefined) {
      throw corruptAt(path, offset, `damaged record (${read.problem}) before the end of the log`);
    }
    await truncateFile(path, offset);
    logger.warn(
      { file: path, offset, bytesDropped: bytes.length - offset, problem: read.problem },
      'WAL torn tail truncated: the end of an interrupted write',
    );
    break;
  }
  return { file: path, firstIndex: name.firstIndex, records };
}

async function truncateFile(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** fsync of a directory, so that names created or renamed in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A file's content as a plain Uint8Array: decoders copy slices of it, and a
 * slice of a Buffer is a Buffer, which the rest of Baton does not expect.
 */
export async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
