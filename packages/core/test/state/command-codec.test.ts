import { describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { Rng } from '../../src/sim/rng.js';
import { COMMAND_BYTES_MAX, decodeCommand, encodeCommand } from '../../src/state/command-codec.js';
import type { CoordinationCommand } from '../../src/state/coordination-commands.js';
import {
  NAME_BYTES_MAX,
  OWNER_BYTES_MAX,
  TTL_MS_MAX,
  VALUE_BYTES_MAX,
} from '../../src/state/coordination-limits.js';
import { CoordinationState } from '../../src/state/coordination-state.js';

const maxName = 'ü'.repeat(NAME_BYTES_MAX / 2);
const maxValue = '€'.repeat(Math.floor(VALUE_BYTES_MAX / 3));

const commands: CoordinationCommand[] = [
  { type: 'grantLease', ttlMs: 10_000, owner: 'n1' },
  { type: 'grantLease', ttlMs: TTL_MS_MAX, owner: 'm'.repeat(OWNER_BYTES_MAX) },
  { type: 'revokeLease', leaseId: 1 },
  { type: 'expireLease', leaseId: Number.MAX_SAFE_INTEGER },
  { type: 'acquire', space: 'lock', name: 'invoice-42', leaseId: 7, wait: true },
  { type: 'acquire', space: 'lock', name: 'invoice-42', leaseId: 7, wait: false },
  { type: 'acquire', space: 'election', name: maxName, leaseId: 7, value: maxValue, wait: true },
  { type: 'acquire', space: 'election', name: 'e', leaseId: 7, value: '', wait: false },
  { type: 'release', space: 'lock', name: '🔒 a lock', leaseId: 7, fencingToken: 2 ** 40 },
  { type: 'release', space: 'election', name: 'e', leaseId: 7, fencingToken: 9 },
  { type: 'cancel', space: 'lock', name: 'x', leaseId: 7, waiterId: 8 },
  { type: 'cancel', space: 'election', name: 'x', leaseId: 7, waiterId: 8 },
];

describe('command codec', () => {
  it.each(commands.map((c) => [c.type, c] as const))('%s round-trips', (_, command) => {
    const bytes = encodeCommand(command);
    expect(bytes.byteLength).toBeLessThanOrEqual(COMMAND_BYTES_MAX);
    expect(decodeCommand(bytes)).toEqual(command);
  });

  it('an acquire, the hot path, takes a handful of bytes', () => {
    expect(encodeCommand(commands[4]!).byteLength).toBe(15);
  });

  it('refuses to encode what apply would refuse, naming the field', () => {
    const acquire = { type: 'acquire', space: 'lock', name: 'x', leaseId: 1, wait: true } as const;
    const bad: [CoordinationCommand, string | undefined][] = [
      [{ ...acquire, name: '' }, 'name'],
      [{ ...acquire, name: 'n'.repeat(NAME_BYTES_MAX + 1) }, 'name'],
      [{ ...acquire, name: 'lone \uDC00 surrogate' }, 'name'],
      [{ ...acquire, value: 'v'.repeat(VALUE_BYTES_MAX + 1) }, 'value'],
      [{ ...acquire, leaseId: 0 }, undefined],
      [{ type: 'grantLease', ttlMs: 0.5, owner: 'n1' }, 'ttlMs'],
      [{ type: 'grantLease', ttlMs: 1_000, owner: 'tab\tbed' }, 'owner'],
    ];
    for (const [command, field] of bad) {
      let thrown: unknown;
      try {
        encodeCommand(command);
      } catch (error) {
        thrown = error;
      }
      expect(isBatonError(thrown, 'BATON_CONFIG')).toBe(true);
      expect((thrown as { field?: string }).field).toBe(field);
    }
  });
});

describe('decoding garbage never throws, and applying it changes nothing', () => {
  /**
   * Decodes `bytes` and applies them to a state holding one lease; returns
   * what went wrong, if anything. (Plain checks, not expect(): this runs
   * tens of thousands of times.)
   */
  function problem(state: CoordinationState, bytes: Uint8Array): string | undefined {
    try {
      const decoded = decodeCommand(bytes);
      // Whatever decodes is a command the encoder writes the same way: one encoding per command.
      if (decoded.type !== 'error' && !sameBytes(encodeCommand(decoded), bytes)) return 'two encodings';
      state.apply({ type: 'command', index: 1_000, data: bytes });
      return undefined;
    } catch (error) {
      return `threw ${String(error)}`;
    }
  }

  function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }

  function check(state: CoordinationState, bytes: Uint8Array): void {
    const found = problem(state, bytes);
    if (found) expect.fail(`${found} for ${Buffer.from(bytes).toString('hex')}`);
  }

  it('every truncation and single-bit flips of every valid encoding', () => {
    const state = new CoordinationState();
    state.applyCommand({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' }, 7);
    for (const command of commands) {
      const bytes = encodeCommand(command);
      for (let length = 0; length < bytes.length; length++) {
        const cut = bytes.slice(0, length);
        const decoded = decodeCommand(cut);
        if (decoded.type !== 'error' || decoded.code !== 'malformed-command')
          expect.fail(`${length} decoded`);
        check(state, cut);
      }
      // Every bit of the first 64 bytes and the last 16 (a long value's middle is just text).
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        if (bit >= 64 * 8 && bit < (bytes.length - 16) * 8) continue;
        const flipped = bytes.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        check(state, flipped);
      }
    }
  });

  it('random bytes (seeded)', () => {
    const seed = 0x5eed;
    const rng = Rng.fromSeed(seed);
    const state = new CoordinationState();
    state.applyCommand({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' }, 7);
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(rng.int(0, 40));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rng.int(0, 255);
      // Mostly a plausible prefix, so the fuzz reaches past the version and type bytes.
      if (bytes.length > 2 && rng.chance(0.8)) {
        bytes[0] = 1;
        bytes[1] = rng.int(1, 7);
      }
      check(state, bytes);
    }
  });
});
