import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { encodeEntry } from '../../src/codec/entry-codec.js';
import {
  decodeMessage,
  encodeMessage,
  MESSAGE_TYPE_TAGS,
  WIRE_VERSION,
} from '../../src/codec/message-codec.js';
import { DEFAULT_MESSAGE_LIMITS, resolveMessageLimits } from '../../src/codec/message-limits.js';
import { validateMessage } from '../../src/codec/validate-message.js';
import { isBatonError } from '../../src/errors.js';
import { KEEP_ALIVE_LEASES_MAX, type PeerMessage } from '../../src/peer-message.js';
import { MESSAGE_TYPES, type Message } from '../../src/raft/types.js';
import { comparable } from './comparable.js';
import { sampleMessages } from './message-samples.js';

function protocolError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isBatonError(e, 'BATON_PROTOCOL');
  }
  return false;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A frame header written by hand, for frames the encoder would never produce. */
function header(type: Message['type'], term = 5): ByteWriter {
  return new ByteWriter()
    .uint8(WIRE_VERSION)
    .uint8(MESSAGE_TYPE_TAGS[type])
    .string('n1')
    .string('n2')
    .varUint(term);
}

describe('encodeMessage / decodeMessage', () => {
  it('has a sample of every message type', () => {
    expect(new Set(sampleMessages.map((m) => m.type))).toEqual(new Set(MESSAGE_TYPES));
  });

  it.each(sampleMessages.map((m) => [m.type, m] as const))('round-trips %s', (_, msg) => {
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it('pins the frame layout of a heartbeat', () => {
    const msg: Message = { type: 'heartbeat', from: 'n1', to: 'n2', term: 3, commit: 5, round: 300 };
    expect(hex(encodeMessage(msg))).toBe('01 07 02 6e 31 02 6e 32 03 05 ac 02');
  });

  it('round-trips the largest terms and indexes', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const msg: Message = {
      type: 'appendResp',
      from: 'a',
      to: 'b',
      term: max,
      reject: true,
      index: max,
      hintIndex: max,
      hintTerm: max,
    };
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it('round-trips an append of entriesMax entries with large payloads', () => {
    const entries = Array.from({ length: DEFAULT_MESSAGE_LIMITS.entriesMax }, (_, i) => ({
      type: 'command' as const,
      term: 3,
      index: 1 + i,
      data: new Uint8Array(4096).fill(i % 256),
    }));
    const msg: Message = {
      type: 'append',
      from: 'n1',
      to: 'n2',
      term: 3,
      prevLogIndex: 0,
      prevLogTerm: 0,
      commit: 0,
      entries,
    };
    expect(comparable(decodeMessage(encodeMessage(msg)))).toEqual(comparable(msg));
  });

  it('round-trips a 4 MiB snapshot', () => {
    const data = new Uint8Array(4 << 20).map((_, i) => (i * 7) % 256);
    const snapshot = {
      meta: { index: 9, term: 2, config: { voters: ['n1'], learners: [], addresses: {} } },
      data,
    };
    const msg: Message = { type: 'snapshot', from: 'n1', to: 'n2', term: 2, snapshot };
    expect(comparable(decodeMessage(encodeMessage(msg)))).toEqual(comparable(msg));
  });

  it('returns byte fields that do not alias the frame', () => {
    const frame = encodeMessage(sampleMessages.find((m) => m.type === 'snapshot')!);
    const decoded = decodeMessage(frame);
    frame.fill(0);
    expect(decoded).toEqual(sampleMessages.find((m) => m.type === 'snapshot'));
  });

  it.each(sampleMessages.map((m) => [m.type, m] as const))('refuses %s truncated at every byte', (_, msg) => {
    const frame = encodeMessage(msg);
    for (let cut = 0; cut < frame.length; cut++) {
      expect(
        protocolError(() => decodeMessage(frame.subarray(0, cut))),
        `cut at ${cut}`,
      ).toBe(true);
    }
  });

  it.each(sampleMessages.map((m) => [m.type, m] as const))('refuses %s with trailing bytes', (_, msg) => {
    const frame = encodeMessage(msg);
    for (const extra of [[0], [1, 2, 3]]) {
      expect(protocolError(() => decodeMessage(new Uint8Array([...frame, ...extra])))).toBe(true);
    }
  });

  it('refuses any other version', () => {
    const frame = encodeMessage(sampleMessages[0]!);
    for (const version of [0, 2, 0xff]) {
      const bad = frame.slice();
      bad[0] = version;
      expect(protocolError(() => decodeMessage(bad))).toBe(true);
    }
  });

  it('refuses an unknown type tag', () => {
    const frame = encodeMessage(sampleMessages[0]!);
    for (const tag of [0, 13, 0x80, 0xff]) {
      const bad = frame.slice();
      bad[1] = tag;
      expect(protocolError(() => decodeMessage(bad))).toBe(true);
    }
  });

  it('refuses to encode an unknown type', () => {
    const bogus = { type: 'bogus', from: 'a', to: 'b', term: 1 } as unknown as Message;
    expect(protocolError(() => encodeMessage(bogus))).toBe(true);
  });

  it('refuses a frame over bytesMax, and refuses to encode one', () => {
    const msg = sampleMessages.find((m) => m.type === 'snapshot')!;
    const frame = encodeMessage(msg);
    const limits = resolveMessageLimits({ bytesMax: frame.length - 1 });
    expect(protocolError(() => decodeMessage(frame, limits))).toBe(true);
    expect(protocolError(() => encodeMessage(msg, limits))).toBe(true);
    expect(decodeMessage(frame, resolveMessageLimits({ bytesMax: frame.length }))).toEqual(msg);
  });

  it('refuses an entry count over entriesMax before decoding the entries', () => {
    const msg = sampleMessages.find((m) => m.type === 'append' && m.entries.length > 0)!;
    const frame = encodeMessage(msg);
    expect(protocolError(() => decodeMessage(frame, resolveMessageLimits({ entriesMax: 5 })))).toBe(true);
    expect(decodeMessage(frame, resolveMessageLimits({ entriesMax: 6 }))).toEqual(msg);
    const huge = header('append')
      .varUint(0)
      .varUint(0)
      .varUint(0)
      .varUint(2 ** 40)
      .finish();
    expect(protocolError(() => decodeMessage(huge))).toBe(true);
  });

  it('refuses an entry count larger than the bytes left', () => {
    const frame = header('append').varUint(0).varUint(0).varUint(0).varUint(10).uint8(1).finish();
    expect(protocolError(() => decodeMessage(frame))).toBe(true);
  });

  it('refuses ids over idBytesMax, empty ids and invalid UTF-8', () => {
    const msg: Message = { type: 'timeoutNow', from: 'x'.repeat(257), to: 'n2', term: 1 };
    expect(protocolError(() => decodeMessage(encodeMessage(msg)))).toBe(true);
    expect(decodeMessage(encodeMessage({ ...msg, from: 'x'.repeat(256) }))).toEqual({
      ...msg,
      from: 'x'.repeat(256),
    });
    expect(protocolError(() => decodeMessage(encodeMessage({ ...msg, to: '' })))).toBe(true);
    const badUtf8 = new ByteWriter().uint8(WIRE_VERSION).uint8(MESSAGE_TYPE_TAGS.timeoutNow);
    badUtf8
      .varUint(2)
      .raw(new Uint8Array([0xc3, 0x28]))
      .string('n2')
      .varUint(1);
    expect(protocolError(() => decodeMessage(badUtf8.finish()))).toBe(true);
  });

  it('refuses numbers above 2^53-1 and non-minimal encodings', () => {
    const tooLarge = new ByteWriter()
      .uint8(WIRE_VERSION)
      .uint8(MESSAGE_TYPE_TAGS.timeoutNow)
      .string('n1')
      .string('n2');
    tooLarge.raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10]));
    expect(protocolError(() => decodeMessage(tooLarge.finish()))).toBe(true);
    const padded = new ByteWriter()
      .uint8(WIRE_VERSION)
      .uint8(MESSAGE_TYPE_TAGS.timeoutNow)
      .string('n1')
      .string('n2');
    padded.raw(new Uint8Array([0x81, 0x00]));
    expect(protocolError(() => decodeMessage(padded.finish()))).toBe(true);
  });

  it('refuses to encode negative, fractional or unsafe numbers', () => {
    for (const term of [-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(protocolError(() => encodeMessage({ type: 'timeoutNow', from: 'a', to: 'b', term }))).toBe(true);
      const resp: Message = { type: 'heartbeatResp', from: 'a', to: 'b', term: 1, round: term };
      expect(protocolError(() => encodeMessage(resp))).toBe(true);
    }
  });

  it('refuses booleans other than 0 and 1', () => {
    const frame = header('voteResp').uint8(2).finish();
    expect(protocolError(() => decodeMessage(frame))).toBe(true);
  });

  it('refuses non-consecutive entry indexes', () => {
    const w = header('append', 5).varUint(10).varUint(5).varUint(10).varUint(2);
    encodeEntry(w, { type: 'noop', term: 5, index: 11 });
    encodeEntry(w, { type: 'noop', term: 5, index: 13 });
    expect(protocolError(() => decodeMessage(w.finish()))).toBe(true);
  });

  it('refuses a first entry that does not follow prevLogIndex', () => {
    const w = header('append', 5).varUint(10).varUint(5).varUint(10).varUint(1);
    encodeEntry(w, { type: 'noop', term: 5, index: 10 });
    expect(protocolError(() => decodeMessage(w.finish()))).toBe(true);
  });

  it('refuses an entry term above the message term', () => {
    const w = header('append', 5).varUint(10).varUint(5).varUint(10).varUint(1);
    encodeEntry(w, { type: 'noop', term: 6, index: 11 });
    expect(protocolError(() => decodeMessage(w.finish()))).toBe(true);
  });
});

/** xorshift32: a tiny deterministic PRNG, so every run flips the same bytes. */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

describe('decodeMessage under random corruption', () => {
  it('throws only BATON_PROTOCOL, and whatever it accepts re-encodes to the same message', () => {
    const seed = 0x5eed_c0de;
    const next = xorshift32(seed);
    const frames = sampleMessages.map((m) => encodeMessage(m));
    let accepted = 0;
    let rejected = 0;
    for (let iteration = 0; iteration < 20_000; iteration++) {
      const frame = frames[next() % frames.length]!.slice();
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) {
        const at = next() % frame.length;
        // Half the time flip one bit (subtle damage), otherwise write a random byte.
        frame[at] = next() % 2 === 0 ? frame[at]! ^ (1 << (next() % 8)) : next() % 256;
      }
      let decoded: PeerMessage;
      try {
        decoded = decodeMessage(frame);
      } catch (e) {
        if (!isBatonError(e, 'BATON_PROTOCOL')) {
          throw new Error(`seed=0x${seed.toString(16)} iteration ${iteration}: ${hex(frame)}`, { cause: e });
        }
        rejected++;
        continue;
      }
      accepted++;
      expect(
        decodeMessage(encodeMessage(decoded)),
        `seed=0x${seed.toString(16)} iteration ${iteration}`,
      ).toEqual(decoded);
    }
    // Both outcomes must occur, or the fuzz is not exercising anything.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});

describe('forwarding messages', () => {
  it('round-trip forward and forwardResp, and refuse an unknown error code', () => {
    const forward = {
      type: 'forward',
      from: 'n2',
      to: 'n1',
      term: 3,
      requestId: 'r1',
      data: new Uint8Array([1, 2, 3]),
    } as const;
    expect(decodeMessage(encodeMessage(forward))).toEqual(forward);
    const answer = {
      type: 'forwardResp',
      from: 'n1',
      to: 'n2',
      term: 3,
      requestId: 'r1',
      index: 42,
      entryTerm: 3,
      errorCode: '',
    } as const;
    expect(decodeMessage(encodeMessage(answer))).toEqual(answer);
    const refused = { ...answer, index: 0, entryTerm: 0, errorCode: 'BATON_NOT_LEADER' } as const;
    expect(decodeMessage(encodeMessage(refused))).toEqual(refused);
    const bogus = encodeMessage({ ...answer, errorCode: 'BATON_STOPPED' });
    // Rewrite the error code in place to an unknown one of the same length.
    const text = new TextDecoder().decode(bogus).replace('BATON_STOPPED', 'BATON_XXXXXXX');
    expect(() => decodeMessage(new TextEncoder().encode(text))).toThrow(
      expect.objectContaining({ code: 'BATON_PROTOCOL' }),
    );
  });
});

describe('keep-alive messages', () => {
  const request = {
    type: 'keepAlive',
    from: 'n2',
    to: 'n1',
    term: 3,
    requestId: 'k1',
    leaseIds: [5, 2 ** 40, 17],
  } as const;
  const answer = {
    type: 'keepAliveResp',
    from: 'n1',
    to: 'n2',
    term: 3,
    requestId: 'k1',
    errorCode: '',
    ttlsMs: [10_000, 0, 3000],
  } as const;

  it('round-trip keepAlive and keepAliveResp, with and without an error code', () => {
    expect(decodeMessage(encodeMessage(request))).toEqual(request);
    expect(decodeMessage(encodeMessage(answer))).toEqual(answer);
    const refused = { ...answer, errorCode: 'BATON_NOT_LEADER', ttlsMs: [] } as const;
    expect(decodeMessage(encodeMessage(refused))).toEqual(refused);
  });

  it('refuse more leases than KEEP_ALIVE_LEASES_MAX, a negative id, and every truncation', () => {
    const many = { ...request, leaseIds: Array.from({ length: KEEP_ALIVE_LEASES_MAX + 1 }, (_, i) => i) };
    expect(() => decodeMessage(encodeMessage(many))).toThrow(
      expect.objectContaining({ code: 'BATON_PROTOCOL' }),
    );
    expect(() => validateMessage({ ...request, leaseIds: [-1] })).toThrow(
      expect.objectContaining({ code: 'BATON_PROTOCOL' }),
    );
    const frame = encodeMessage(answer);
    for (let cut = 0; cut < frame.length; cut++) {
      expect(() => decodeMessage(frame.subarray(0, cut))).toThrow(
        expect.objectContaining({ code: 'BATON_PROTOCOL' }),
      );
    }
  });
});
