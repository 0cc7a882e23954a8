import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/env.js';
import { LeaseClient } from '../../src/runtime/lease-client.js';
import type { KeepAliveAnswer } from '../../src/runtime/lease-keeper.js';
import { manualTime } from '../support/manual-time.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setUp(driftBound = 0.05) {
  const time = manualTime(1000);
  const rounds: { ids: readonly number[]; at: number; answer(a: KeepAliveAnswer): void }[] = [];
  const revoked: number[] = [];
  const client = new LeaseClient({
    clock: time.clock,
    timers: time.timers,
    driftBound,
    keepAlive: (ids) => new Promise((answer) => rounds.push({ ids, at: time.now, answer })),
    revoke: async (id) => {
      revoked.push(id);
    },
    logger: silentLogger,
  });
  return { time, rounds, revoked, client };
}

const causeOf = (signal: AbortSignal) => signal.reason as { code: string; cause: string } | undefined;

describe('LeaseClient: this member’s side of its leases (DESIGN.md §2.3)', () => {
  it('a lease is valid until its grant’s send time plus TTL × (1 − δ)/(1 + δ), then aborts if nothing was acknowledged', async () => {
    const { time, client } = setUp(0.05);
    const lease = client.track(7, 1050, 1000);
    const deadline = 1000 + (1050 * 0.95) / 1.05;
    expect(lease.deadline).toBeCloseTo(deadline, 9);
    time.advance(deadline - 1000 - 0.001);
    expect(lease.valid).toBe(true);
    time.advance(0.001);
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ code: 'BATON_LEASE_EXPIRED', cause: 'keepalive-timeout' });
  });

  it('keeps every lease alive with one round every third of the shortest TTL; an acknowledged round extends from its send time', async () => {
    const { time, rounds, client } = setUp(0);
    const a = client.track(1, 900, 1000);
    client.track(2, 3000, 1000);
    time.advance(0);
    expect(rounds.map((r) => [r.ids, r.at])).toEqual([[[1, 2], 1000]]);
    time.advance(300);
    expect(rounds.map((r) => r.at)).toEqual([1000, 1300]);
    time.advance(100);
    rounds[1]!.answer({ ok: true, ttlsMs: [900, 3000] }); // sent at 1300, answered at 1400
    await settle();
    expect(a.deadline).toBe(2200);
  });

  it('a lease the leader no longer knows aborts with cause expired; the others live on', async () => {
    const { time, rounds, client } = setUp();
    const a = client.track(1, 900, 1000);
    const b = client.track(2, 900, 1000);
    time.advance(0);
    rounds[0]!.answer({ ok: true, ttlsMs: [0, 900] });
    await settle();
    expect(causeOf(a.signal)).toMatchObject({ cause: 'expired' });
    expect(b.valid).toBe(true);
  });

  it('applies each TTL of an answer to the lease at its position in the round, whatever was dropped or tracked meanwhile', async () => {
    const { time, rounds, client } = setUp(0);
    const a = client.track(1, 900, 1000);
    const b = client.track(2, 900, 1000);
    time.advance(0);
    expect(rounds.map((r) => r.ids)).toEqual([[1, 2]]);
    time.advance(100);
    // While the round is out: lease 1 is revoked here, lease 3 is granted.
    await a.revoke();
    const c = client.track(3, 900, 1100);
    // The leader restarted lease 1 and has started expiring lease 2.
    rounds[0]!.answer({ ok: true, ttlsMs: [900, 0] });
    await settle();
    expect(b.valid).toBe(false);
    expect(causeOf(b.signal)).toMatchObject({ code: 'BATON_LEASE_EXPIRED', cause: 'expired' });
    // Lease 3 was not in that round: the answer says nothing about it.
    expect(c.valid).toBe(true);
    expect(c.deadline).toBe(2000);
  });

  it('after a round no sole leader answered, it asks again sooner; the deadline does not move meanwhile', async () => {
    const { time, rounds, client } = setUp(0);
    const lease = client.track(1, 900, 1000);
    time.advance(0);
    rounds[0]!.answer({ ok: false });
    await settle();
    time.advance(30);
    expect(rounds.map((r) => r.at)).toEqual([1000, 1030]);
    expect(lease.deadline).toBe(1900);
  });

  it('revoke() proposes the revocation, aborts with cause revoked and stops the keep-alives', async () => {
    const { time, rounds, revoked, client } = setUp();
    const lease = client.track(4, 900, 1000);
    time.advance(0);
    await lease.revoke();
    await lease[Symbol.asyncDispose]();
    expect(revoked).toEqual([4]);
    expect(causeOf(lease.signal)).toMatchObject({ cause: 'revoked' });
    time.advance(5000);
    expect(rounds).toHaveLength(1);
  });

  it('revoke() makes the lease invalid at the call, before the revocation is answered', async () => {
    const time = manualTime(1000);
    let answer: (() => void) | undefined;
    const client = new LeaseClient({
      clock: time.clock,
      timers: time.timers,
      driftBound: 0.05,
      keepAlive: () => new Promise(() => {}),
      revoke: () => new Promise<void>((resolve) => (answer = resolve)),
      logger: silentLogger,
    });
    const lease = client.track(4, 900, 1000);
    const revoking = lease.revoke();
    // The revocation may grant this lease's locks elsewhere as soon as it commits.
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ cause: 'revoked' });
    answer!();
    await revoking;
  });

  it('stop() aborts every lease with cause stopped', () => {
    const { client } = setUp();
    const lease = client.track(4, 900, 1000);
    client.stop();
    expect(causeOf(lease.signal)).toMatchObject({ cause: 'stopped' });
    expect(causeOf(client.track(5, 900, 1000).signal)).toMatchObject({ cause: 'stopped' });
  });
});

describe('the client deadline never outlasts the leader’s expiry, within the drift bound', () => {
  it('holds for clock rates at the bound and any delivery delay (seeded)', () => {
    const driftBound = 0.05;
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const client = new LeaseClient({
      clock: { now: () => 0 },
      timers: { setTimeout: () => ({ cancel: () => {} }) },
      driftBound,
      keepAlive: async () => ({ ok: false }),
      revoke: async () => {},
      logger: silentLogger,
    });
    for (let i = 0; i < 10_000; i++) {
      const ttlMs = 10 + random() * 20_000;
      // Rates of the client's and the leader's clocks against real time, anywhere within the bound.
      const clientRate = 1 - driftBound + random() * 2 * driftBound;
      const leaderRate = 1 - driftBound + random() * 2 * driftBound;
      const sentReal = random() * 1000;
      const receivedReal = sentReal + random() * 50;
      // Each side's deadline, converted to real time.
      const clientDeadlineReal = sentReal + client.safeTtlMs(ttlMs) / clientRate;
      const leaderExpiryReal = receivedReal + ttlMs / leaderRate;
      expect(clientDeadlineReal).toBeLessThanOrEqual(leaderExpiryReal);
    }
  });
});

describe('a lease whose deadline passed while its timer had not run (a stalled event loop)', () => {
  it('is dropped by the next keep-alive round, never revived by a later answer', async () => {
    let now = 1000;
    const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
    const rounds: { answer(a: KeepAliveAnswer): void }[] = [];
    const client = new LeaseClient({
      clock: { now: () => now },
      timers: {
        setTimeout(fn, ms) {
          const t = { at: now + ms, fn, cancelled: false };
          timers.push(t);
          return { cancel: () => (t.cancelled = true) };
        },
      },
      driftBound: 0,
      keepAlive: () => new Promise((answer) => rounds.push({ answer })),
      revoke: async () => {},
      logger: silentLogger,
    });
    const lease = client.track(1, 900, 1000); // deadline 1900
    // The event loop stalls past the deadline; then the round timer runs before the expiry timer.
    now = 2500;
    const round = timers.find((t) => !t.cancelled && t.at === 1000)!;
    round.fn();
    await settle();
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ cause: 'keepalive-timeout' });
    expect(rounds).toHaveLength(0); // nothing left to keep alive
  });

  it('is dropped by the answer to a round sent before the deadline and stepped after it, never revived', async () => {
    let now = 1000;
    let timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
    const rounds: { at: number; answer(a: KeepAliveAnswer): void }[] = [];
    const client = new LeaseClient({
      clock: { now: () => now },
      timers: {
        setTimeout(fn, ms) {
          const t = { at: now + ms, fn, cancelled: false };
          timers.push(t);
          return { cancel: () => (t.cancelled = true) };
        },
      },
      driftBound: 0,
      keepAlive: () => new Promise((answer) => rounds.push({ at: now, answer })),
      revoke: async () => {},
      logger: silentLogger,
    });
    const runTimersTo = (at: number) => {
      for (;;) {
        const due = timers.filter((t) => !t.cancelled && t.at <= at).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = at;
    };
    const lease = client.track(1, 900, 1000);
    runTimersTo(1000);
    rounds[0]!.answer({ ok: true, ttlsMs: [900] }); // sent at 1000: deadline 1900
    await settle();
    runTimersTo(1800);
    const lastRound = rounds.at(-1)!; // a round every third of the TTL, unanswered
    expect(lastRound.at).toBe(1600);
    // The event loop stalls past the deadline; when it resumes, the answer to that round (answered
    // by a leader after this member's deadline) is stepped before the expiry timer runs.
    now = 2000;
    lastRound.answer({ ok: true, ttlsMs: [900] });
    await settle();
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ cause: 'keepalive-timeout' });
  });
});
