import { describe, expect, it } from 'vitest';
import type { CoordinationEffect } from '../../src/state/coordination-commands.js';
import { Driver } from './coordination-driver.js';

describe('grantLease', () => {
  it('grants a lease whose id is the entry’s index, listed with its ttl for the leader to time', () => {
    const d = new Driver(undefined, 7);
    const step = d.run({ type: 'grantLease', ttlMs: 5_000, owner: 'n2' });
    expect(step.result).toEqual({ type: 'leaseGranted', leaseId: 7, ttlMs: 5_000 });
    expect(step.effects).toEqual([{ type: 'leaseGranted', index: 7, leaseId: 7, ttlMs: 5_000, owner: 'n2' }]);
    d.grantLease(2_000, 'n3');
    expect(d.state.leases()).toEqual([
      { leaseId: 7, ttlMs: 5_000, owner: 'n2', requests: 0 },
      { leaseId: 8, ttlMs: 2_000, owner: 'n3', requests: 0 },
    ]);
    expect(d.state.lease(7)).toEqual({ leaseId: 7, ttlMs: 5_000, owner: 'n2', requests: 0 });
    expect(d.state.lease(99)).toBeUndefined();
  });
});

describe.each(['revokeLease', 'expireLease'] as const)('%s', (type) => {
  const reason = type === 'revokeLease' ? 'revoked' : 'expired';
  const end = (d: Driver, leaseId: number) => d.run({ type, leaseId });

  it('releases every lock of the lease and grants each next waiter in this same entry', () => {
    const d = new Driver();
    const dead = d.grantLease(10_000, 'n1');
    const b = d.grantLease(10_000, 'n2');
    const c = d.grantLease(10_000, 'n3');
    const heldY = d.acquire('y', dead);
    const heldX = d.acquire('x', dead);
    d.acquire('z', dead);
    const bx = d.acquire('x', b);
    const cx = d.acquire('x', c);
    const cy = d.acquire('y', c);
    const step = end(d, dead);
    expect(step.result).toEqual({ type: 'leaseEnded', leaseId: dead, released: 3, withdrawn: 0 });
    const at = step.index;
    // Locks in name order; each release followed by its next waiter's grant, all at this index.
    expect(step.effects).toEqual<CoordinationEffect[]>([
      { type: 'leaseEnded', index: at, leaseId: dead, reason },
      {
        type: 'released',
        index: at,
        space: 'lock',
        name: 'x',
        leaseId: dead,
        fencingToken: heldX.index,
        reason,
      },
      {
        type: 'granted',
        index: at,
        space: 'lock',
        name: 'x',
        leaseId: b,
        owner: 'n2',
        waiterId: bx.index,
        fencingToken: at,
      },
      {
        type: 'released',
        index: at,
        space: 'lock',
        name: 'y',
        leaseId: dead,
        fencingToken: heldY.index,
        reason,
      },
      {
        type: 'granted',
        index: at,
        space: 'lock',
        name: 'y',
        leaseId: c,
        owner: 'n3',
        waiterId: cy.index,
        fencingToken: at,
      },
      { type: 'released', index: at, space: 'lock', name: 'z', leaseId: dead, fencingToken: 6, reason },
    ]);
    expect(d.token('x')).toBe(at);
    expect(d.state.waiters('lock', 'x')).toMatchObject([{ leaseId: c, waiterId: cx.index }]);
    expect(d.token('y')).toBe(at);
    expect(d.state.holder('lock', 'z')).toBeUndefined();
    expect(d.state.lease(dead)).toBeUndefined();
    expect(d.state.leases().map((l) => l.leaseId)).toEqual([b, c]);
  });

  it('withdraws every wait of the lease: none is granted later, and its own grant never passes to itself', () => {
    const d = new Driver();
    const a = d.grantLease(10_000, 'n1');
    const dead = d.grantLease(10_000, 'n2');
    const c = d.grantLease(10_000, 'n3');
    const heldX = d.acquire('x', a);
    const deadX = d.acquire('x', dead);
    const cx = d.acquire('x', c);
    d.acquire('y', dead);
    const deadY2 = d.acquire('y', dead); // its second request on y, behind its own grant
    d.acquire('y', c);
    const step = end(d, dead);
    expect(step.result).toEqual({ type: 'leaseEnded', leaseId: dead, released: 1, withdrawn: 2 });
    const waitEnded = step.effects.filter((e) => e.type === 'waitEnded');
    expect(waitEnded).toEqual([
      {
        type: 'waitEnded',
        index: step.index,
        space: 'lock',
        name: 'x',
        leaseId: dead,
        waiterId: deadX.index,
        reason,
      },
      {
        type: 'waitEnded',
        index: step.index,
        space: 'lock',
        name: 'y',
        leaseId: dead,
        waiterId: deadY2.index,
        reason,
      },
    ]);
    expect(d.state.holder('lock', 'y')).toMatchObject({ leaseId: c, fencingToken: step.index });
    expect(d.queue('x')).toEqual([c]);
    // The holder of x releases: the dead lease's old wait must not come back.
    const handOff = d.release('x', a, heldX.index);
    expect(d.state.holder('lock', 'x')).toMatchObject({ leaseId: c, waiterId: cx.index });
    expect(handOff.effects.filter((e) => e.type === 'granted')).toHaveLength(1);
  });

  it('ends a lease once: a second end, or a lock call on it, is unknown-lease with no effects', () => {
    const d = new Driver();
    const lease = d.grantLease();
    d.acquire('x', lease);
    end(d, lease);
    for (const step of [end(d, lease), d.revoke(lease), d.acquire('x', lease)]) {
      expect(step.result).toMatchObject({ type: 'error', code: 'unknown-lease' });
      expect(step.effects).toEqual([]);
    }
    expect(end(d, 12345).result).toMatchObject({ type: 'error', code: 'unknown-lease' });
  });

  it('a lease without locks ends with only its own effect', () => {
    const d = new Driver();
    const lease = d.grantLease();
    const step = end(d, lease);
    expect(step.result).toEqual({ type: 'leaseEnded', leaseId: lease, released: 0, withdrawn: 0 });
    expect(step.effects).toEqual([{ type: 'leaseEnded', index: step.index, leaseId: lease, reason }]);
  });
});

describe('fencing tokens', () => {
  it('strictly increase per lock across grants, hand-offs, expiries and a snapshot restore', () => {
    const d = new Driver();
    const tokens: number[] = [];
    const note = (effects: readonly CoordinationEffect[]) => {
      for (const e of effects) if (e.type === 'granted' && e.name === 'x') tokens.push(e.fencingToken);
    };
    const a = d.grantLease();
    const b = d.grantLease();
    note(d.acquire('x', a).effects);
    note(d.acquire('x', b).effects);
    note(d.expire(a).effects); // b granted at the expiry's index
    const restored = new Driver(undefined, d.index + 1);
    restored.state.restore(d.state.snapshot());
    const c = restored.grantLease();
    note(restored.acquire('x', c).effects); // queued behind b
    note(restored.revoke(b).effects); // c granted
    note(restored.release('x', c, restored.token('x')!).effects);
    note(restored.acquire('x', c).effects);
    // Each grant's token is the index of the entry that granted it.
    expect(tokens).toEqual([3, 5, 8, 10]);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  });
});
