import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../src/runtime/lease-keeper.js';
import { manualTime } from '../support/manual-time.js';

function setUp() {
  const time = manualTime(1000);
  const expiries: { leaseId: number; at: number; done: (ok: boolean) => void }[] = [];
  const sole = { value: true };
  const applied = { index: 1000 };
  const keeper = new LeaseKeeper({
    clock: time.clock,
    timers: time.timers,
    isSoleLeader: () => sole.value,
    appliedIndex: () => applied.index,
    expire: (leaseId, done) => expiries.push({ leaseId, at: time.now, done }),
  });
  return { time, expiries, sole, applied, keeper };
}

describe('LeaseKeeper: the leader side of leases (DESIGN.md §2.3)', () => {
  it('a new leader restarts every lease’s full TTL, and proposes each expiry once, at its deadline', () => {
    const { time, expiries, keeper } = setUp();
    time.advance(500);
    keeper.startLeading([
      { leaseId: 3, ttlMs: 1000 },
      { leaseId: 7, ttlMs: 300 },
    ]);
    expect(keeper.deadlineOf(3)).toBe(2500);
    time.advance(299);
    expect(expiries).toEqual([]);
    time.advance(1);
    expect(expiries.map((e) => [e.leaseId, e.at])).toEqual([[7, 1800]]);
    time.advance(699);
    expect(expiries).toHaveLength(1);
    time.advance(1);
    expect(expiries.map((e) => [e.leaseId, e.at])).toEqual([
      [7, 1800],
      [3, 2500],
    ]);
  });

  it('a keep-alive restarts the TTL; once expiry was proposed it answers 0 and revives nothing', () => {
    const { time, expiries, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 1000 }]);
    time.advance(900);
    expect(keeper.keepAlive([3, 99])).toEqual({ ok: true, ttlsMs: [1000, 0] });
    time.advance(900);
    expect(expiries).toEqual([]);
    time.advance(100);
    expect(expiries.map((e) => e.leaseId)).toEqual([3]);
    expect(keeper.keepAlive([3])).toEqual({ ok: true, ttlsMs: [0] });
  });

  it('does not answer a keep-alive naming a lease whose grant it has not applied yet (never 0 for it)', () => {
    const { time, applied, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 1000 }]);
    applied.index = 5; // a follower applied index 6, granting lease 6, before this leader did
    time.advance(100);
    expect(keeper.keepAlive([3, 6])).toEqual({ ok: false });
    expect(keeper.deadlineOf(3)).toBe(2000);
    applied.index = 6;
    keeper.granted({ leaseId: 6, ttlMs: 1000 });
    expect(keeper.keepAlive([3, 6])).toEqual({ ok: true, ttlsMs: [1000, 1000] });
  });

  it('refuses keep-alives, restarting nothing, unless it may act as the only leader', () => {
    const { time, sole, keeper } = setUp();
    expect(keeper.keepAlive([3])).toEqual({ ok: false });
    keeper.startLeading([{ leaseId: 3, ttlMs: 1000 }]);
    sole.value = false;
    time.advance(500);
    expect(keeper.keepAlive([3])).toEqual({ ok: false });
    expect(keeper.deadlineOf(3)).toBe(2000);
  });

  it('proposes no expiry while it cannot act as the only leader, and does once it can again', () => {
    const { time, expiries, sole, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 100 }]);
    sole.value = false;
    time.advance(200);
    expect(expiries).toEqual([]);
    sole.value = true;
    time.advance(50);
    expect(expiries.map((e) => e.leaseId)).toEqual([3]);
  });

  it('tries an expiry again when its proposal was not carried out', () => {
    const { time, expiries, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 100 }]);
    time.advance(100);
    expiries[0]!.done(false);
    time.advance(50);
    expect(expiries.map((e) => e.leaseId)).toEqual([3, 3]);
    keeper.removed(3); // the expiry was applied
    time.advance(1000);
    expect(expiries).toHaveLength(2);
  });

  it('a lease whose expiry it proposed stays expiring when it leads again in that term, until the entry is applied or replaced', () => {
    const { time, expiries, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 100 }]);
    time.advance(100);
    expect(expiries.map((e) => e.leaseId)).toEqual([3]);
    // Its token lapses and comes back before the expiry commits: the lease is still in the state.
    keeper.stopLeading();
    time.advance(10);
    keeper.startLeading([{ leaseId: 3, ttlMs: 100 }]);
    expect(keeper.keepAlive([3])).toEqual({ ok: true, ttlsMs: [0] });
    time.advance(1000);
    expect(expiries).toHaveLength(1); // not proposed again meanwhile
    // Another entry took its index: that expiry can no longer happen, and the lease is timed again.
    expiries[0]!.done(false);
    expect(keeper.keepAlive([3])).toEqual({ ok: true, ttlsMs: [100] });
    // Once applied, a proposed expiry is forgotten with the lease.
    time.advance(100);
    expect(expiries).toHaveLength(2);
    keeper.removed(3);
    expiries[1]!.done(true);
    keeper.stopLeading();
    keeper.startLeading([]);
    expect(keeper.keepAlive([3])).toEqual({ ok: true, ttlsMs: [0] });
  });

  it('a member that stops leading keeps no deadline and proposes nothing', () => {
    const { time, expiries, keeper } = setUp();
    keeper.startLeading([{ leaseId: 3, ttlMs: 100 }]);
    keeper.stopLeading();
    keeper.granted({ leaseId: 4, ttlMs: 100 });
    time.advance(1000);
    expect(expiries).toEqual([]);
    expect(keeper.deadlineOf(3)).toBeUndefined();
  });

  it('a lease granted while leading runs its TTL from the grant', () => {
    const { time, expiries, keeper } = setUp();
    keeper.startLeading([]);
    time.advance(250);
    keeper.granted({ leaseId: 9, ttlMs: 400 });
    time.advance(399);
    expect(expiries).toEqual([]);
    time.advance(1);
    expect(expiries.map((e) => [e.leaseId, e.at])).toEqual([[9, 1650]]);
  });
});
