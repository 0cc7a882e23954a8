import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { BatonError } from '../errors.js';
import type { ClientSessionsSnapshot } from './client-sessions.js';

const SNAPSHOT_VERSION = 1;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A snapshot's data: the session table and the state machine's own bytes. */
export interface StateSnapshot {
  readonly sessions: ClientSessionsSnapshot;
  readonly machine: Uint8Array;
}

/** Encodes the replicated state for a Raft snapshot. Session results travel as JSON (plain data). */
export function encodeStateSnapshot(state: StateSnapshot): Uint8Array {
  const sessions = encoder.encode(JSON.stringify(state.sessions));
  const w = new ByteWriter({ initialBytes: sessions.byteLength + state.machine.byteLength + 32 });
  return w.uint8(SNAPSHOT_VERSION).bytes(sessions).bytes(state.machine).finish();
}

/** Decodes a snapshot's data; `BATON_STORAGE_CORRUPT` when it is not one encodeStateSnapshot wrote. */
export function decodeStateSnapshot(data: Uint8Array): StateSnapshot {
  try {
    const r = new ByteReader(data);
    const version = r.uint8('snapshot version');
    if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`);
    const sessions = JSON.parse(decoder.decode(r.bytes('sessions'))) as ClientSessionsSnapshot;
    if (!Array.isArray(sessions?.sessions)) throw new Error('no session table');
    const machine = r.bytes('state machine');
    r.end('snapshot');
    return { sessions, machine };
  } catch (error) {
    throw new BatonError(
      'BATON_STORAGE_CORRUPT',
      'snapshot data cannot be decoded (damaged, or written by a Baton version before client sessions: such a dataDir is not readable by this one)',
      { cause: error },
    );
  }
}
