import { describe, expect, it } from 'vitest';
import { type CommandEnvelope, decodeEnvelope, encodeEnvelope } from '../../src/state/command-envelope.js';

const payload = Uint8Array.of(1, 2, 3);

describe('command envelopes', () => {
  const samples: CommandEnvelope[] = [
    { kind: 'register' },
    { kind: 'session', session: 7, seq: 3, floor: 2, payload },
    { kind: 'session', session: 2 ** 40, seq: 2 ** 30, floor: 2 ** 30, payload: new Uint8Array() },
    { kind: 'plain', payload },
  ];
  for (const sample of samples) {
    it(`round-trips a ${sample.kind} envelope`, () => {
      expect(decodeEnvelope(encodeEnvelope(sample))).toEqual(sample);
    });
  }

  it('gives each envelope a buffer of its own: the leader keeps it as an entry until compaction', () => {
    for (const sample of samples) {
      const data = encodeEnvelope(sample);
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.byteLength);
    }
  });

  const bad: [string, Uint8Array][] = [
    ['empty data', new Uint8Array()],
    ['an unknown version', Uint8Array.of(9, 1)],
    ['an unknown kind', Uint8Array.of(1, 9)],
    ['a register envelope with trailing bytes', Uint8Array.of(1, 1, 0)],
    ['a session envelope cut short', Uint8Array.of(1, 2, 7)],
    ['seq 0', Uint8Array.of(1, 2, 7, 0, 0)],
    ['a floor above the seq', Uint8Array.of(1, 2, 7, 2, 3)],
  ];
  for (const [name, data] of bad) {
    it(`refuses ${name} with BATON_PROTOCOL`, () => {
      expect(() => decodeEnvelope(data)).toThrow(expect.objectContaining({ code: 'BATON_PROTOCOL' }));
    });
  }
});

describe('abandon envelopes', () => {
  it('round-trip, and refuse seq 0 and trailing bytes', () => {
    const e = { kind: 'abandon', session: 12, seq: 7 } as const;
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    expect(() => decodeEnvelope(Uint8Array.of(1, 4, 12, 0))).toThrow(
      expect.objectContaining({ code: 'BATON_PROTOCOL' }),
    );
    expect(() => decodeEnvelope(Uint8Array.of(1, 4, 12, 7, 0))).toThrow(
      expect.objectContaining({ code: 'BATON_PROTOCOL' }),
    );
  });
});
