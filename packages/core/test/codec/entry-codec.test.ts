import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/codec/byte-reader.js';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import {
  decodeClusterConfig,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMeta,
  encodeClusterConfig,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
} from '../../src/codec/entry-codec.js';
import { isBatonError } from '../../src/errors.js';
import type { ClusterConfig, Entry, HardState, SnapshotMeta } from '../../src/raft/types.js';
import { comparable } from './comparable.js';

function expectProtocolError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isBatonError(thrown, 'BATON_PROTOCOL')).toBe(true);
}

function roundTrip<T>(value: T, encode: (w: ByteWriter, v: T) => void, decode: (r: ByteReader) => T): T {
  const w = new ByteWriter();
  encode(w, value);
  const r = new ByteReader(w.finish());
  const decoded = decode(r);
  r.end();
  return decoded;
}

function encoded<T>(value: T, encode: (w: ByteWriter, v: T) => void): Uint8Array {
  const w = new ByteWriter();
  encode(w, value);
  return w.finish().slice();
}

const big = Number.MAX_SAFE_INTEGER;

const entries: [string, Entry][] = [
  ['a command', { type: 'command', term: 3, index: 7, data: new Uint8Array([1, 2, 3]) }],
  ['an empty command', { type: 'command', term: 1, index: 1, data: new Uint8Array(0) }],
  ['a 1 MiB command', { type: 'command', term: 2, index: 9, data: new Uint8Array(1 << 20).map((_, i) => i) }],
  ['a noop', { type: 'noop', term: 5, index: 10 }],
  ['the largest term and index', { type: 'noop', term: big, index: big }],
  ['term and index 0', { type: 'noop', term: 0, index: 0 }],
  ['addVoter', { type: 'config', term: 2, index: 4, change: { op: 'addVoter', id: 'n4' } }],
  [
    'addVoter with address',
    {
      type: 'config',
      term: 2,
      index: 4,
      change: { op: 'addVoter', id: 'n4', address: 'ws://10.0.0.4:7401' },
    },
  ],
  ['addLearner', { type: 'config', term: 2, index: 5, change: { op: 'addLearner', id: 'l1' } }],
  [
    'addLearner with address',
    { type: 'config', term: 2, index: 5, change: { op: 'addLearner', id: 'l1', address: 'wss://h:1' } },
  ],
  ['removeMember', { type: 'config', term: 2, index: 6, change: { op: 'removeMember', id: 'n2' } }],
  [
    'a non-ASCII member id',
    { type: 'config', term: 1, index: 2, change: { op: 'removeMember', id: 'nœud-😀' } },
  ],
];

describe('encodeEntry / decodeEntry', () => {
  it.each(entries)('round-trips %s', (_, entry) => {
    expect(comparable(roundTrip(entry, encodeEntry, decodeEntry))).toEqual(comparable(entry));
  });

  it('does not invent an address key for an add without address', () => {
    const decoded = roundTrip(entries[6]![1], encodeEntry, decodeEntry);
    expect(decoded.type === 'config' && 'address' in decoded.change).toBe(false);
  });

  it('reads several entries back to back', () => {
    const w = new ByteWriter();
    for (const [, entry] of entries) encodeEntry(w, entry);
    const r = new ByteReader(w.finish());
    for (const [, entry] of entries) expect(comparable(decodeEntry(r))).toEqual(comparable(entry));
    r.end();
  });

  it('writes a small noop in 3 bytes', () => {
    expect(encoded({ type: 'noop', term: 1, index: 2 } as Entry, encodeEntry)).toEqual(
      new Uint8Array([1, 1, 2]),
    );
  });

  it('refuses an unknown entry type tag', () => {
    expectProtocolError(() => decodeEntry(new ByteReader(new Uint8Array([3, 1, 1]))));
  });

  it('refuses an unknown config op tag', () => {
    expectProtocolError(() => decodeEntry(new ByteReader(new Uint8Array([2, 1, 1, 3, 1, 0x61]))));
  });

  it('refuses to encode a negative, fractional or unsafe term or index', () => {
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) {
      expectProtocolError(() => encodeEntry(new ByteWriter(), { type: 'noop', term: bad, index: 1 }));
      expectProtocolError(() => encodeEntry(new ByteWriter(), { type: 'noop', term: 1, index: bad }));
    }
  });

  it('refuses to encode an unknown entry type', () => {
    const bogus = { type: 'bogus', term: 1, index: 1 } as unknown as Entry;
    expectProtocolError(() => encodeEntry(new ByteWriter(), bogus));
  });

  it.each(entries.filter(([name]) => !name.includes('MiB')))(
    'refuses %s truncated at every byte',
    (_, entry) => {
      const bytes = encoded(entry, encodeEntry);
      for (let cut = 0; cut < bytes.length; cut++) {
        expectProtocolError(() => decodeEntry(new ByteReader(bytes.subarray(0, cut))));
      }
    },
  );
});

const hardStates: [string, HardState][] = [
  ['the initial state', { term: 0, vote: undefined, commit: 0 }],
  ['a vote', { term: 7, vote: 'n2', commit: 41 }],
  ['the largest values', { term: big, vote: 'n'.repeat(256), commit: big }],
];

describe('encodeHardState / decodeHardState', () => {
  it.each(hardStates)('round-trips %s', (_, state) => {
    expect(roundTrip(state, encodeHardState, decodeHardState)).toEqual(state);
  });

  it.each(hardStates)('refuses %s truncated at every byte', (_, state) => {
    const bytes = encoded(state, encodeHardState);
    for (let cut = 0; cut < bytes.length; cut++) {
      expectProtocolError(() => decodeHardState(new ByteReader(bytes.subarray(0, cut))));
    }
  });

  it('refuses a vote flag other than 0 or 1', () => {
    expectProtocolError(() => decodeHardState(new ByteReader(new Uint8Array([1, 2, 0]))));
  });
});

const metas: [string, SnapshotMeta][] = [
  ['an empty config', { index: 0, term: 0, config: { voters: [], learners: [], addresses: {} } }],
  [
    'a full config',
    {
      index: 1000,
      term: 12,
      config: {
        voters: ['n1', 'n2', 'n3'],
        learners: ['l1'],
        addresses: { n3: 'ws://10.0.0.3:7401', l1: 'wss://learner.example:443' },
      },
    },
  ],
];

describe('encodeSnapshotMeta / decodeSnapshotMeta', () => {
  it.each(metas)('round-trips %s', (_, meta) => {
    expect(roundTrip(meta, encodeSnapshotMeta, decodeSnapshotMeta)).toEqual(meta);
  });

  it.each(metas)('refuses %s truncated at every byte', (_, meta) => {
    const bytes = encoded(meta, encodeSnapshotMeta);
    for (let cut = 0; cut < bytes.length; cut++) {
      expectProtocolError(() => decodeSnapshotMeta(new ByteReader(bytes.subarray(0, cut))));
    }
  });
});

describe('encodeClusterConfig / decodeClusterConfig', () => {
  it('keeps an address keyed "__proto__" as plain data', () => {
    const addresses: Record<string, string> = Object.fromEntries([['__proto__', 'ws://x:1']]);
    const config: ClusterConfig = { voters: ['__proto__'], learners: [], addresses };
    const decoded = roundTrip(config, encodeClusterConfig, decodeClusterConfig);
    expect(Object.keys(decoded.addresses)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded.addresses)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded.addresses, '__proto__')?.value).toBe('ws://x:1');
  });

  it('refuses a repeated address key', () => {
    const w = new ByteWriter()
      .varUint(0)
      .varUint(0)
      .varUint(2)
      .string('a')
      .string('x')
      .string('a')
      .string('y');
    expectProtocolError(() => decodeClusterConfig(new ByteReader(w.finish())));
  });

  it('refuses a member count larger than the bytes left', () => {
    const w = new ByteWriter().varUint(1_000_000).string('n1');
    expectProtocolError(() => decodeClusterConfig(new ByteReader(w.finish())));
  });
});
