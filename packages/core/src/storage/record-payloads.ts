/**
 * What goes inside storage records: log entries, hard state and log resets in
 * the WAL, and whole snapshots in snapshot files. Pure; the byte layout of
 * entries, hard state and snapshot metadata is the shared codec's.
 *
 *   entry     encodeEntry
 *   hardState encodeHardState
 *   logReset  index:uint53 term:uint53
 *   snapshot  meta:encodeSnapshotMeta data:bytes
 */
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshotMeta,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
} from '../codec/entry-codec.js';
import type { Entry, HardState, LogIndex, Snapshot, Term } from '../raft/types.js';
import { encodeRecord, RECORD_PAYLOAD_BYTES_LIMIT, RECORD_TYPES, type RecordType } from './wal-record.js';

/** A decoded WAL record. */
export type WalPayload =
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  | { readonly type: 'logReset'; readonly index: LogIndex; readonly term: Term };

/** The framed WAL record of one entry. */
export function entryRecord(entry: Entry): Uint8Array {
  return framed(RECORD_TYPES.entry, (w) => encodeEntry(w, entry));
}

/** The framed WAL record of a hard state. */
export function hardStateRecord(hardState: HardState): Uint8Array {
  return framed(RECORD_TYPES.hardState, (w) => encodeHardState(w, hardState));
}

/** The framed WAL record saying the log is empty after `index`, whose term is `term`. */
export function logResetRecord(index: LogIndex, term: Term): Uint8Array {
  return framed(RECORD_TYPES.logReset, (w) => w.uint53(index).uint53(term));
}

/** The framed record that is a snapshot file's whole content. */
export function snapshotRecord(snapshot: Snapshot): Uint8Array {
  return framed(RECORD_TYPES.snapshot, (w) => {
    encodeSnapshotMeta(w, snapshot.meta);
    w.bytes(snapshot.data);
  });
}

/**
 * Decodes the payload of a WAL record. Throws `BatonError('BATON_PROTOCOL')`
 * when the bytes do not decode completely, and RangeError for a type the WAL
 * never holds (a snapshot).
 */
export function decodeWalPayload(type: RecordType, payload: Uint8Array): WalPayload {
  const r = new ByteReader(payload);
  let decoded: WalPayload;
  switch (type) {
    case RECORD_TYPES.entry:
      decoded = { type: 'entry', entry: decodeEntry(r) };
      break;
    case RECORD_TYPES.hardState:
      decoded = { type: 'hardState', hardState: decodeHardState(r) };
      break;
    case RECORD_TYPES.logReset:
      decoded = { type: 'logReset', index: r.uint53('logReset.index'), term: r.uint53('logReset.term') };
      break;
    default:
      throw new RangeError(`record type ${type} does not belong in the WAL`);
  }
  r.end('record');
  return decoded;
}

/** Decodes a snapshot record's payload. Throws `BatonError('BATON_PROTOCOL')` if it does not decode completely. */
export function decodeSnapshotPayload(payload: Uint8Array): Snapshot {
  const r = new ByteReader(payload);
  const meta = decodeSnapshotMeta(r);
  const data = r.bytes('snapshot.data');
  r.end('snapshot');
  return { meta, data };
}

function framed(type: RecordType, write: (w: ByteWriter) => void): Uint8Array {
  // The writer's default ceiling (64 MiB) suits entries; a snapshot may be as large as the length field allows.
  const w = new ByteWriter({ bytesMax: RECORD_PAYLOAD_BYTES_LIMIT });
  write(w);
  return encodeRecord(type, w.finish());
}
