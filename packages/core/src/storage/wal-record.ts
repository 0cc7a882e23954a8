/**
 * Framing of one storage record, pure apart from the CRC function:
 *
 *   [length u32 LE][crc32 u32 LE][type u8][payload: length bytes]
 *
 * `length` counts the payload only; the CRC covers type and payload, so a
 * record whose type byte or payload changed fails its check. The length field
 * is not covered: a damaged length shows up as a record running past the end
 * of the file or as a CRC mismatch of the bytes it then frames.
 */
import { crc32 } from 'node:zlib';

/** Record types. Stable: stored on disk, so never renumber, only add. */
export const RECORD_TYPES = {
  /** One log entry (entry codec). */
  entry: 1,
  /** The hard state from now on (hard-state codec). */
  hardState: 2,
  /** The log is empty after this index: a leader's snapshot replaced it (index, term). */
  logReset: 3,
  /** A whole snapshot: the only record of a snapshot file. */
  snapshot: 4,
} as const;

export type RecordType = (typeof RECORD_TYPES)[keyof typeof RECORD_TYPES];

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(RECORD_TYPES));

/** Bytes before the payload: length, crc32, type. */
export const RECORD_HEADER_BYTES = 9;

/** The largest payload the u32 length field can describe. */
export const RECORD_PAYLOAD_BYTES_LIMIT = 0xffff_ffff;

/** True when `type` is one of {@link RECORD_TYPES}. */
export function isRecordType(type: number): type is RecordType {
  return KNOWN_TYPES.has(type);
}

/** Frames `payload` as one record of `type`. */
export function encodeRecord(type: RecordType, payload: Uint8Array): Uint8Array {
  if (payload.length > RECORD_PAYLOAD_BYTES_LIMIT) {
    throw new RangeError(`record payload of ${payload.length} bytes exceeds the u32 length field`);
  }
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(record.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, recordChecksum(type, payload), true);
  record[8] = type;
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

/** Why the bytes at an offset are not a valid record. */
export type RecordProblem =
  /** Fewer bytes left than a header, or than the header's length promises. */
  | 'truncated'
  /** The length field exceeds the reader's payloadBytesMax. */
  | 'oversized'
  /** The checksum does not match type and payload. */
  | 'checksum'
  /** The checksum matches but the type is unknown (a newer version wrote it). */
  | 'unknown-type';

export type RecordRead =
  | {
      readonly ok: true;
      readonly type: RecordType;
      /** A view into the input, valid as long as the input is. */
      readonly payload: Uint8Array;
      /** Offset just past this record: where the next one starts. */
      readonly end: number;
    }
  | { readonly ok: false; readonly problem: RecordProblem };

/** Reads the record at `offset` of `bytes` (offset < bytes.length). Never throws on bad input. */
export function readRecord(bytes: Uint8Array, offset: number, payloadBytesMax: number): RecordRead {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { ok: false, problem: 'truncated' };
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  const length = view.getUint32(0, true);
  if (length > payloadBytesMax) return { ok: false, problem: 'oversized' };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > bytes.length) return { ok: false, problem: 'truncated' };
  const type = bytes[offset + 8] ?? 0;
  const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, end);
  if (view.getUint32(4, true) !== recordChecksum(type, payload)) return { ok: false, problem: 'checksum' };
  if (!isRecordType(type)) return { ok: false, problem: 'unknown-type' };
  return { ok: true, type, payload, end };
}

/**
 * The offset of the first valid record starting after `offset`, if any.
 * A damaged record followed by a valid one is corruption, not a torn tail:
 * a torn write only ever loses the end of a file. Cheap on zeros and random
 * bytes, since the CRC is only computed where the type byte is a known type
 * and the length fits in what is left.
 */
export function findValidRecordAfter(
  bytes: Uint8Array,
  offset: number,
  payloadBytesMax: number,
): number | undefined {
  for (let at = offset + 1; at + RECORD_HEADER_BYTES <= bytes.length; at++) {
    if (!isRecordType(bytes[at + 8] ?? 0)) continue;
    if (readRecord(bytes, at, payloadBytesMax).ok) return at;
  }
  return undefined;
}

function recordChecksum(type: number, payload: Uint8Array): number {
  return crc32(payload, crc32(Uint8Array.of(type)));
}
