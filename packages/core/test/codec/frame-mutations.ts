import { encodeMessage, WIRE_VERSION } from '../../src/codec/message-codec.js';
import { DEFAULT_MESSAGE_LIMITS } from '../../src/codec/message-limits.js';
import { isBatonError } from '../../src/errors.js';
import type { PeerMessage } from '../../src/peer-message.js';
import type { Rng } from '../../src/sim/rng.js';
import { sampleMessages } from './message-samples.js';

/** Valid messages of every peer message type: the Raft samples plus the runtime's own. */
export const peerSamples: readonly PeerMessage[] = [
  ...sampleMessages,
  { type: 'forward', from: 'n2', to: 'n1', term: 3, requestId: 'r1', data: new Uint8Array([1, 2, 3]) },
  {
    type: 'forwardResp',
    from: 'n1',
    to: 'n2',
    term: 3,
    requestId: 'r1',
    index: 42,
    entryTerm: 3,
    errorCode: '',
  },
  { type: 'keepAlive', from: 'n2', to: 'n1', term: 3, requestId: 'k1', leaseIds: [7, 9, 12] },
  {
    type: 'keepAliveResp',
    from: 'n1',
    to: 'n2',
    term: 3,
    requestId: 'k1',
    errorCode: '',
    ttlsMs: [2000, 0, 5000],
  },
];

/** How a frame was damaged; each kind is one way hostile or broken input looks. */
export const MUTATION_KINDS = [
  /** A valid message with one field set to another value, then encoded properly. */
  'field',
  /** A few bits or bytes overwritten. */
  'bytes',
  /** Cut short at a random point. */
  'truncated',
  /** Random bytes appended. */
  'trailing',
  /** A run of 0xff bytes inserted: lengths and counts become huge. */
  'oversized',
  /** The version byte changed. */
  'version',
  /** The type tag changed (unknown tags, and known tags over another type's body). */
  'type',
  /** Random bytes, not derived from any frame. */
  'random',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** A damaged frame and how it was made. */
export interface Mutation {
  readonly kind: MutationKind;
  readonly bytes: Uint8Array;
  /** The message it started from, when one. */
  readonly from?: PeerMessage;
}

/**
 * One damaged frame of `kind`, from the seeded `rng` (so a failure replays),
 * derived from a random sample (addressed `from` → `to` when given, so a
 * live member receives frames that pass its sender and recipient checks).
 */
export function mutateFrame(rng: Rng, kind: MutationKind, address?: { from: string; to: string }): Mutation {
  const base = { ...rng.pick(peerSamples), ...address } as PeerMessage;
  if (kind === 'field') return { kind, bytes: changeOneField(rng, base), from: base };
  if (kind === 'random') return { kind, bytes: randomBytes(rng, rng.int(0, 600)) };
  const frame = encodeMessage(base);
  const bytes = frame.slice();
  switch (kind) {
    case 'bytes': {
      for (let i = rng.int(1, 4); i > 0; i--) {
        const at = rng.int(0, bytes.length - 1);
        bytes[at] = rng.chance(0.5) ? bytes[at]! ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
      }
      return { kind, bytes, from: base };
    }
    case 'truncated':
      return { kind, bytes: frame.slice(0, rng.int(0, frame.length - 1)), from: base };
    case 'trailing':
      return { kind, bytes: concat(frame, randomBytes(rng, rng.int(1, 64))), from: base };
    case 'oversized': {
      const at = rng.int(2, frame.length);
      const run = new Uint8Array(rng.int(4, 12)).fill(0xff);
      return { kind, bytes: concat(frame.slice(0, at), run, frame.slice(at)), from: base };
    }
    case 'version':
      bytes[0] = (WIRE_VERSION + rng.int(1, 255)) % 256;
      return { kind, bytes, from: base };
    case 'type':
      bytes[1] = rng.chance(0.5) ? rng.int(0, 255) : rng.int(1, 16);
      return { kind, bytes, from: base };
  }
}

/** Values a hostile peer would try in a numeric field: edges, near-overflow, and noise. */
function hostileNumber(rng: Rng, current: number): number {
  return rng.pick([
    0,
    1,
    current + 1,
    Math.max(0, current - 1),
    2 ** 31,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER - 1,
    rng.int(0, 2 ** 31),
  ]);
}

function hostileString(rng: Rng): string {
  return rng.pick([
    '',
    'x'.repeat(rng.int(256, 2000)),
    'n\u0000',
    '\u202e',
    'é'.repeat(rng.int(1, 300)),
    'n1',
    'n4',
  ]);
}

/** Sets one field of `msg` (chosen at random, nested entries included) and encodes the result. */
function changeOneField(rng: Rng, msg: PeerMessage): Uint8Array {
  const copy = structuredClone(msg) as unknown as Record<string, unknown>;
  let target = copy;
  const entries = copy.entries;
  if (Array.isArray(entries) && entries.length > 0 && rng.chance(0.4)) {
    if (rng.chance(0.3)) {
      // Whole-entry damage: one dropped, duplicated or moved.
      const i = rng.int(0, entries.length - 1);
      if (rng.chance(0.5)) entries.splice(i, 1);
      else entries.splice(rng.int(0, entries.length), 0, entries[i]);
      return encodeOrBytes(rng, copy);
    }
    target = rng.pick(entries) as Record<string, unknown>;
  }
  const key = rng.pick(Object.keys(target).filter((k) => k !== 'type'));
  const value = target[key];
  if (typeof value === 'number') target[key] = hostileNumber(rng, value);
  else if (typeof value === 'string') target[key] = hostileString(rng);
  else if (typeof value === 'boolean') target[key] = !value;
  else if (value instanceof Uint8Array) target[key] = randomBytes(rng, rng.int(0, 300));
  else if (Array.isArray(value))
    target[key] = value.map((v) => (typeof v === 'number' ? hostileNumber(rng, v) : v));
  return encodeOrBytes(rng, copy);
}

/** The encoder refuses what it cannot represent (a negative number, say): then the damage goes in as bytes. */
function encodeOrBytes(rng: Rng, msg: Record<string, unknown>): Uint8Array {
  try {
    return encodeMessage(msg as unknown as PeerMessage, {
      ...DEFAULT_MESSAGE_LIMITS,
      bytesMax: 64 * 1024 * 1024,
    });
  } catch (error) {
    if (!isBatonError(error, 'BATON_PROTOCOL')) throw error;
    return randomBytes(rng, rng.int(0, 64));
  }
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => rng.int(0, 255));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
