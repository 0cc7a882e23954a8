import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { BatonError } from '../errors.js';

/** The first byte of every command entry: lets a later format be told apart. */
const ENVELOPE_VERSION = 1;
const KIND_REGISTER = 1;
const KIND_SESSION = 2;
const KIND_PLAIN = 3;
const KIND_ABANDON = 4;

/**
 * What a command entry's data holds. A client opens a session once
 * (`register`; the session's id is the index of that entry, so ids are never
 * reused) and numbers its commands in it (`seq` from 1): a retry carries the
 * same session and seq, and the state machine applies it at most once
 * (Raft dissertation §6.3). `floor` is the client's lowest seq still waiting
 * for an answer: results below it are never asked for again and may be
 * forgotten. `plain` commands carry no session: for commands nobody retries
 * (the leader's own housekeeping, tests).
 */
export type CommandEnvelope =
  | { readonly kind: 'register' }
  | {
      readonly kind: 'session';
      readonly session: number;
      readonly seq: number;
      readonly floor: number;
      readonly payload: Uint8Array;
    }
  | { readonly kind: 'plain'; readonly payload: Uint8Array }
  /** The client gave up on its command (session, seq) in doubt: see ClientSessions.abandon. */
  | { readonly kind: 'abandon'; readonly session: number; readonly seq: number };

/** Bytes an envelope adds to its payload at most (version, kind, three varUints, the payload's length). */
export const ENVELOPE_OVERHEAD_BYTES_MAX = 2 + 3 * 8 + 8;

/** Encodes an envelope as a command entry's data, in a buffer of its own (see the end). */
export function encodeEnvelope(envelope: CommandEnvelope): Uint8Array {
  const payloadBytes =
    envelope.kind === 'register' || envelope.kind === 'abandon' ? 0 : envelope.payload.byteLength;
  const w = new ByteWriter({ initialBytes: payloadBytes + ENVELOPE_OVERHEAD_BYTES_MAX });
  w.uint8(ENVELOPE_VERSION);
  switch (envelope.kind) {
    case 'register':
      w.uint8(KIND_REGISTER);
      break;
    case 'session':
      w.uint8(KIND_SESSION).varUint(envelope.session).varUint(envelope.seq).varUint(envelope.floor);
      w.raw(envelope.payload);
      break;
    case 'plain':
      w.uint8(KIND_PLAIN).raw(envelope.payload);
      break;
    case 'abandon':
      w.uint8(KIND_ABANDON).varUint(envelope.session).varUint(envelope.seq);
      break;
  }
  // The bytes become an entry the leader keeps in memory until compaction: a buffer of their own,
  // where a slice of the writer's slab would keep the whole slab (and every frame in it) alive.
  return w.finish().slice();
}

/**
 * Decodes a command entry's data. Throws `BatonError('BATON_PROTOCOL')` for
 * anything encodeEnvelope could not have written: a leader checks every
 * command before appending it, since one that no member can apply would stop
 * them all. The payload is a view into `data`, not a copy.
 */
export function decodeEnvelope(data: Uint8Array): CommandEnvelope {
  const r = new ByteReader(data);
  const version = r.uint8('envelope version');
  if (version !== ENVELOPE_VERSION) throw unexpected('envelope version', version);
  const kind = r.uint8('envelope kind');
  switch (kind) {
    case KIND_REGISTER:
      r.end('register envelope');
      return { kind: 'register' };
    case KIND_SESSION: {
      const session = r.varUint('session');
      const seq = r.varUint('seq');
      const floor = r.varUint('floor');
      if (seq < 1 || floor < 1 || floor > seq) throw unexpected('seq/floor', `${seq}/${floor}`);
      return { kind: 'session', session, seq, floor, payload: r.raw(r.remaining, 'payload') };
    }
    case KIND_PLAIN:
      return { kind: 'plain', payload: r.raw(r.remaining, 'payload') };
    case KIND_ABANDON: {
      const session = r.varUint('session');
      const seq = r.varUint('seq');
      r.end('abandon envelope');
      if (seq < 1) throw unexpected('seq', seq);
      return { kind: 'abandon', session, seq };
    }
    default:
      throw unexpected('envelope kind', kind);
  }
}

function unexpected(what: string, value: unknown): BatonError {
  return new BatonError('BATON_PROTOCOL', `command envelope: unexpected ${what} ${String(value)}`);
}
