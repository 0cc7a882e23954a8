import { describe, expect, it } from 'vitest';
import { decodeStateSnapshot, encodeStateSnapshot } from '../../src/state/state-snapshot.js';

describe('state snapshots', () => {
  it('round-trip the session table and the state machine bytes', () => {
    const state = {
      sessions: {
        sessions: [{ id: 3, floor: 2, lastIndex: 9, results: [[2, { ok: true }]] as [number, unknown][] }],
      },
      machine: Uint8Array.of(1, 2, 3),
    };
    expect(decodeStateSnapshot(encodeStateSnapshot(state))).toEqual(state);
  });

  it('refuses data it did not write with BATON_STORAGE_CORRUPT', () => {
    for (const data of [new Uint8Array(), Uint8Array.of(2, 0, 0), Uint8Array.of(1, 2, 0x7b, 0x7d)]) {
      expect(() => decodeStateSnapshot(data)).toThrow(
        expect.objectContaining({ code: 'BATON_STORAGE_CORRUPT' }),
      );
    }
  });
});
