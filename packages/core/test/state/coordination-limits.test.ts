import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import {
  type CoordinationLimits,
  DEFAULT_COORDINATION_LIMITS,
  LEASE_COST_BYTES,
  NAME_BYTES_MAX,
  OWNER_BYTES_MAX,
  TTL_MS_MAX,
  VALUE_BYTES_MAX,
  WAITERS_PER_LOCK_MAX,
} from '../../src/state/coordination-limits.js';
import { Driver } from './coordination-driver.js';

const small: CoordinationLimits = { leasesMax: 3, locksMax: 2, waitersPerLockMax: 2, stateBytesMax: 1 << 20 };

/** Raw command bytes as the codec lays them out, with nothing checked (what a buggy or foreign member might log). */
function acquireBytes(name: string, leaseId: number, flags = 0b010): Uint8Array {
  return new ByteWriter().uint8(1).uint8(4).uint8(flags).string(name).varUint(leaseId).finish();
}

function grantBytes(ttlMs: number, owner: string): Uint8Array {
  return new ByteWriter().uint8(1).uint8(1).varUint(ttlMs).string(owner).finish();
}

describe('bounds on the tables: a full table is a refusal that changes nothing', () => {
  it('leasesMax', () => {
    const d = new Driver(small);
    for (let i = 0; i < 3; i++) d.grantLease();
    const step = d.run({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' });
    expect(step.result).toMatchObject({ type: 'error', code: 'leases-full' });
    expect(step.effects).toEqual([]);
    d.revoke(1);
    expect(d.run({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' }).result).toMatchObject({
      type: 'leaseGranted',
    });
  });

  it('locksMax counts held names; waiting on a held one needs no new lock', () => {
    const d = new Driver(small);
    const a = d.grantLease();
    const b = d.grantLease();
    d.acquire('x', a);
    d.acquire('y', a);
    const step = d.acquire('z', a);
    expect(step.result).toMatchObject({ type: 'error', code: 'locks-full' });
    expect(step.effects).toEqual([]);
    expect(d.acquire('x', b).result).toMatchObject({ type: 'queued' });
    expect(d.state.summary().locks).toBe(2);
  });

  it('waitersPerLockMax', () => {
    const d = new Driver(small);
    const a = d.grantLease();
    const b = d.grantLease();
    d.acquire('x', a);
    d.acquire('x', b);
    d.acquire('x', b);
    expect(d.acquire('x', b).result).toMatchObject({ type: 'error', code: 'waiters-full' });
    expect(d.queue('x')).toEqual([b, b]);
    // A try does not queue, so a full queue does not refuse it.
    expect(d.acquire('x', b, false).result).toMatchObject({ type: 'held' });
  });

  it('the default waitersPerLockMax holds at its bound', () => {
    const d = new Driver();
    const lease = d.grantLease();
    d.acquire('x', lease);
    for (let i = 0; i < WAITERS_PER_LOCK_MAX; i++) d.acquire('x', lease);
    expect(d.acquire('x', lease).result).toMatchObject({ code: 'waiters-full' });
    expect(d.state.summary().waiters).toBe(WAITERS_PER_LOCK_MAX);
  });

  it('stateBytesMax: bytes are charged on grant and given back on release and expiry', () => {
    const limits = { ...DEFAULT_COORDINATION_LIMITS, stateBytesMax: 4_000 };
    const d = new Driver(limits);
    const lease = d.grantLease(1_000, 'n1');
    expect(d.state.summary().stateBytes).toBe(LEASE_COST_BYTES + 2);
    const big = 'v'.repeat(VALUE_BYTES_MAX);
    let granted = 0;
    for (let i = 0; ; i++) {
      const { result } = d.acquire(`lock-${i}`, lease, true, big);
      if (result?.type === 'error') {
        expect(result.code).toBe('state-full');
        break;
      }
      granted++;
    }
    expect(granted).toBe(3);
    const full = d.state.summary().stateBytes;
    expect(full).toBeLessThanOrEqual(4_000);
    expect(d.state.snapshot().byteLength).toBeLessThanOrEqual(full);
    d.expire(lease);
    expect(d.state.summary().stateBytes).toBe(0);
  });

  it('a state filled to the default budget snapshots within it (it fits a 16 MiB frame)', () => {
    const d = new Driver();
    const name = (i: number) => `${i}-`.padEnd(NAME_BYTES_MAX, 'n');
    const leases = Array.from({ length: 64 }, (_, i) =>
      d.grantLease(TTL_MS_MAX, `${i}`.padEnd(OWNER_BYTES_MAX)),
    );
    const value = 'v'.repeat(VALUE_BYTES_MAX);
    let refused = 0;
    for (let i = 0; refused === 0; i++) {
      const step = d.acquire(name(i % 2000), leases[i % leases.length]!, true, value);
      if (step.result?.type === 'error') refused++;
    }
    const { stateBytes } = d.state.summary();
    expect(stateBytes).toBeGreaterThan(DEFAULT_COORDINATION_LIMITS.stateBytesMax - 2_000);
    expect(d.state.snapshot().byteLength).toBeLessThanOrEqual(stateBytes + 16);
  });
});

describe('invalid commands are refusals, never exceptions', () => {
  const cases: [string, Uint8Array, string][] = [
    ['an empty name', acquireBytes('', 1), 'invalid-name'],
    ['a name with a control character', acquireBytes('a\nb', 1), 'invalid-name'],
    ['a name over NAME_BYTES_MAX', acquireBytes('é'.repeat(NAME_BYTES_MAX / 2 + 1), 1), 'invalid-name'],
    ['leaseId 0', acquireBytes('x', 0), 'malformed-command'],
    ['unknown flag bits', acquireBytes('x', 1, 0b1000), 'malformed-command'],
    ['a ttl of 0', grantBytes(0, 'n1'), 'invalid-ttl'],
    ['a ttl over TTL_MS_MAX', grantBytes(TTL_MS_MAX + 1, 'n1'), 'invalid-ttl'],
    ['an empty owner', grantBytes(1_000, ''), 'invalid-owner'],
    [
      'invalid UTF-8',
      new ByteWriter().uint8(1).uint8(4).uint8(2).bytes(Uint8Array.of(0xc3, 0x28)).varUint(1).finish(),
      'malformed-command',
    ],
    ['an unknown command type', Uint8Array.of(1, 99), 'malformed-command'],
    ['an unknown version', Uint8Array.of(2, 1), 'malformed-command'],
    ['trailing bytes', Uint8Array.of(...grantBytes(1_000, 'n1'), 0), 'malformed-command'],
    ['nothing', new Uint8Array(0), 'malformed-command'],
  ];

  it.each(cases)('%s', (_, bytes, code) => {
    const d = new Driver();
    d.grantLease();
    const before = d.state.snapshot();
    const step = d.raw(bytes);
    expect(step.result).toMatchObject({ type: 'error', code });
    expect(step.effects).toEqual([]);
    expect(d.state.snapshot()).toEqual(before);
  });

  it('a command built in code is held to the same bounds (applyCommand)', () => {
    const d = new Driver();
    const lease = d.grantLease();
    const tooLong = 'v'.repeat(VALUE_BYTES_MAX + 1);
    const acquire = { type: 'acquire', space: 'lock', name: 'x', leaseId: lease, wait: true } as const;
    expect(d.state.applyCommand({ ...acquire, value: tooLong }, 10)).toMatchObject({ code: 'invalid-value' });
    expect(d.state.applyCommand({ ...acquire, name: 'a\uD800' }, 10)).toMatchObject({ code: 'invalid-name' });
    expect(d.state.applyCommand({ ...acquire, leaseId: 1.5 }, 10)).toMatchObject({
      code: 'malformed-command',
    });
    const badSpace = { ...acquire, space: 'queue' } as unknown as typeof acquire;
    expect(d.state.applyCommand(badSpace, 10)).toMatchObject({ code: 'malformed-command' });
    const badType = { type: 'format-disk' } as unknown as typeof acquire;
    expect(d.state.applyCommand(badType, 10)).toMatchObject({ code: 'malformed-command' });
    expect(d.state.holder('lock', 'x')).toBeUndefined();
  });
});
