import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { isBatonError } from '../../src/errors.js';
import { Rng } from '../../src/sim/rng.js';
import { CoordinationState } from '../../src/state/coordination-state.js';
import { Driver } from './coordination-driver.js';

/** A state with leases, locks in both spaces, values, and FIFO waiters; locks created out of name order. */
function busy(): Driver {
  const d = new Driver();
  const a = d.grantLease(10_000, 'n1');
  const b = d.grantLease(20_000, 'n2');
  const c = d.grantLease(30_000, 'n3');
  d.acquire('zeta', a, true, 'a-value');
  d.acquire('alpha', b);
  d.acquire('zeta', b, true, 'b-value');
  d.acquire('zeta', c);
  d.acquire('leader', c, true, 'ws://n3', 'election');
  d.acquire('leader', a, true, 'ws://n1', 'election');
  d.acquire('alpha', a);
  return d;
}

/** Restores `d`'s snapshot into a fresh driver that continues at d's next index. */
function restoredCopy(d: Driver): Driver {
  const copy = new Driver(undefined, d.index + 1);
  copy.state.restore(d.state.snapshot());
  return copy;
}

function corruptCode(data: Uint8Array): string | undefined {
  try {
    new CoordinationState().restore(data);
    return undefined;
  } catch (error) {
    return isBatonError(error) ? error.code : `not a BatonError: ${String(error)}`;
  }
}

describe('coordination snapshots', () => {
  it('round-trip the whole state byte-identically: leases, holders, FIFO waiters, values', () => {
    const d = busy();
    const copy = restoredCopy(d);
    expect(copy.state.snapshot()).toEqual(d.state.snapshot());
    expect(copy.state.leases()).toEqual(d.state.leases());
    for (const [space, name] of [
      ['lock', 'zeta'],
      ['lock', 'alpha'],
      ['election', 'leader'],
    ] as const) {
      expect(copy.state.holder(space, name)).toEqual(d.state.holder(space, name));
      expect(copy.state.waiters(space, name)).toEqual(d.state.waiters(space, name));
    }
    expect(copy.state.summary()).toEqual(d.state.summary());
  });

  it('a restored member gives the same future results, effects and bytes as one that applied the entries', () => {
    const d = busy();
    const copy = restoredCopy(d);
    // Revoking a lease touches several locks: their order must not depend on how the maps were filled.
    const script = (x: Driver) => [
      x.expire(1),
      x.acquire('alpha', 3),
      x.release('zeta', 2, x.token('zeta') ?? 0),
      x.revoke(2),
      x.grantLease(5_000, 'n4'),
    ];
    expect(script(copy)).toEqual(script(d));
    expect(copy.state.snapshot()).toEqual(d.state.snapshot());
  });

  it('bytes depend on the state, not on the order its maps were filled', () => {
    const acquire = (name: string) =>
      ({ type: 'acquire', space: 'lock', name, leaseId: 1, wait: true }) as const;
    const one = new CoordinationState();
    const two = new CoordinationState();
    for (const state of [one, two]) state.applyCommand({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' }, 1);
    // The same holders and tokens, inserted a-then-b in one and b-then-a in the other.
    one.applyCommand(acquire('a'), 2);
    one.applyCommand(acquire('b'), 3);
    two.applyCommand(acquire('b'), 3);
    two.applyCommand(acquire('a'), 2);
    expect(one.snapshot()).toEqual(two.snapshot());
  });

  it('restore drops effects not taken: they belong to entries the snapshot covers', () => {
    const d = busy();
    const state = new CoordinationState();
    state.applyCommand({ type: 'grantLease', ttlMs: 1_000, owner: 'n1' }, 1);
    state.restore(d.state.snapshot());
    expect(state.takeEffects()).toEqual([]);
  });

  it('an empty state round-trips', () => {
    const empty = new CoordinationState();
    const copy = new CoordinationState();
    copy.restore(empty.snapshot());
    expect(copy.snapshot()).toEqual(empty.snapshot());
    expect(copy.leases()).toEqual([]);
  });
});

describe('a corrupt snapshot is BATON_STORAGE_CORRUPT, and leaves the state as it was', () => {
  const lease = (w: ByteWriter, id: number) => w.varUint(id).varUint(1_000).string('n1');
  /** A snapshot with lease 1 and lock 'x' held by it, with the waiters given as [waiterId, leaseId]. */
  function withLock(waiters: [number, number][], holder: [number, number, number] = [2, 1, 2]): Uint8Array {
    const w = new ByteWriter().uint8(1).varUint(2);
    lease(w, 1);
    lease(w, 3);
    w.varUint(1).uint8(0).string('x');
    w.varUint(holder[0]).varUint(holder[1]).uint8(0).varUint(holder[2]).varUint(waiters.length);
    for (const [waiterId, leaseId] of waiters) w.varUint(waiterId).varUint(leaseId).uint8(0);
    return w.finish();
  }

  it('the hand-made layout is what encode writes (so the cases below differ in one thing)', () => {
    const d = new Driver();
    d.grantLease(1_000, 'n1');
    d.acquire('x', 1);
    d.grantLease(1_000, 'n1');
    d.acquire('x', 3);
    expect(withLock([[4, 3]])).toEqual(d.state.snapshot());
    expect(corruptCode(withLock([[4, 3]]))).toBeUndefined();
  });

  it.each([
    ['an unknown version', Uint8Array.of(9, 0, 0)],
    ['nothing', new Uint8Array(0)],
    ['trailing bytes', Uint8Array.of(1, 0, 0, 0)],
    ['a waiter of an unknown lease', withLock([[4, 7]])],
    [
      'waiters out of acquire order',
      withLock([
        [5, 3],
        [4, 3],
      ]),
    ],
    ['a waiter older than the holder', withLock([[2, 3]], [3, 1, 3])],
    ['a grant older than its request', withLock([], [2, 1, 1])],
    ['a request older than its lease', withLock([[3, 3]])],
    [
      'leases out of order',
      (() => {
        const w = new ByteWriter().uint8(1).varUint(2);
        lease(w, 3);
        lease(w, 1);
        return w.varUint(0).finish();
      })(),
    ],
    [
      'an empty lock name',
      new ByteWriter()
        .uint8(1)
        .varUint(1)
        .varUint(1)
        .varUint(1_000)
        .string('n1')
        .varUint(1)
        .uint8(0)
        .string('')
        .varUint(2)
        .varUint(1)
        .uint8(0)
        .varUint(2)
        .varUint(0)
        .finish(),
    ],
    ['a count larger than the bytes', Uint8Array.of(1, 0x7f)],
  ])('%s', (_, data) => {
    const d = busy();
    const before = d.state.snapshot();
    expect(corruptCode(data)).toBe('BATON_STORAGE_CORRUPT');
    expect(() => d.state.restore(data)).toThrow();
    expect(d.state.snapshot()).toEqual(before);
  });

  it('flipped bits and random bytes never throw anything else (seeded)', () => {
    const good = busy().state.snapshot();
    const rng = Rng.fromSeed(0xc0de);
    const codes = new Set<string | undefined>();
    for (let i = 0; i < 5_000; i++) {
      const data = good.slice(0, rng.chance(0.2) ? rng.int(0, good.length) : good.length);
      for (let flips = rng.int(1, 3); flips > 0 && data.length > 0; flips--) {
        data[rng.int(0, data.length - 1)]! ^= 1 << rng.int(0, 7);
      }
      codes.add(corruptCode(data));
    }
    codes.delete(undefined); // a flip inside a ttl or a name can still be a valid snapshot
    expect([...codes]).toEqual(['BATON_STORAGE_CORRUPT']);
  });
});
