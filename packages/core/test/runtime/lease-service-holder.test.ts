import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/env.js';
import type { KeepAliveRequest, PeerMessage } from '../../src/peer-message.js';
import type { CoordinationMachine, EffectListener } from '../../src/runtime/coordination-machine.js';
import type { LeadershipToken } from '../../src/runtime/leadership-token.js';
import { LeaseService } from '../../src/runtime/lease-service.js';
import type { NodeLoop } from '../../src/runtime/node-loop.js';
import { manualTime } from '../support/manual-time.js';

const TTL_MS = 1050;
const DRIFT = 0.05;
/** TTL × (1 − δ)/(1 + δ): how long after an acknowledged send the holder may count on its lease. */
const SAFE_TTL_MS = (TTL_MS * (1 - DRIFT)) / (1 + DRIFT);
const ANSWER_TIMEOUT_MS = 100;

/**
 * LeaseService on a follower (n1) whose leader is n2: keep-alives travel as
 * messages this test answers (or not), grants are answered when it says so,
 * and applied entries' effects are handed in by the test.
 */
function setUp() {
  const time = manualTime(1000);
  const sent: PeerMessage[] = [];
  const submits: { resolve(v: { index: number; result: unknown }): void }[] = [];
  const listeners: EffectListener[] = [];
  let ids = 0;
  const loop = {
    leadership: {
      wait: () => new Promise<LeadershipToken>(() => {}), // this member never leads here
      current: () => undefined,
    },
    status: () => ({ leaderId: 'n2', term: 1, appliedIndex: 100 }),
  } as unknown as NodeLoop;
  const machine = {
    onEffect: (listener: EffectListener) => {
      listeners.push(listener);
      return () => {};
    },
    state: { leases: () => [] },
  } as unknown as CoordinationMachine;
  const service = new LeaseService({
    memberId: 'n1',
    env: { clock: time.clock, timers: time.timers, random: () => 0.5, newId: () => `req-${++ids}` },
    driftBound: DRIFT,
    logger: silentLogger,
    machine,
    loop,
    submit: () => new Promise((resolve) => submits.push({ resolve })),
    send: (m) => {
      sent.push(m);
      return true;
    },
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    requestTimeoutMs: 1000,
  });
  const rounds = () => sent.filter((m): m is KeepAliveRequest => m.type === 'keepAlive');
  const answer = (round: KeepAliveRequest, ttlsMs: number[]) =>
    service.onMessage({
      type: 'keepAliveResp',
      from: 'n2',
      to: 'n1',
      term: 1,
      requestId: round.requestId,
      errorCode: '',
      ttlsMs,
    });
  const granted = (leaseId: number) =>
    submits.shift()!.resolve({ index: leaseId, result: { type: 'leaseGranted', leaseId, ttlMs: TTL_MS } });
  const effect = (e: Parameters<EffectListener>[0]) => {
    for (const l of listeners) l(e);
  };
  return { time, service, rounds, answer, granted, effect };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const causeOf = (signal: AbortSignal) => signal.reason as { code: string; cause: string } | undefined;

describe('LeaseService: the holder’s side of a lease', () => {
  it('a lease’s deadline counts from when its grant was sent, not from when the answer came back', async () => {
    const { time, service, granted } = setUp();
    const granting = service.grant(TTL_MS, { timeoutMs: 10_000 });
    // The answer comes late (lost once and retried): the leader's TTL has run since it applied the grant.
    time.advance(400);
    granted(7);
    const lease = await granting;
    expect(lease.deadline).toBeLessThanOrEqual(1000 + SAFE_TTL_MS);
    // No keep-alive is answered: at the grant's send time plus the safe TTL the lease is over.
    time.advance(1000 + SAFE_TTL_MS - time.now);
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ code: 'BATON_LEASE_EXPIRED', cause: 'keepalive-timeout' });
    service.stop();
  });

  it('an answer to a keep-alive round that timed out extends nothing beyond its own round’s send time', async () => {
    const { time, service, rounds, answer, granted } = setUp();
    const granting = service.grant(TTL_MS, { timeoutMs: 10_000 });
    granted(7);
    const lease = await granting;
    time.advance(0);
    answer(rounds()[0]!, [TTL_MS]); // sent at 1000
    await flush();
    expect(lease.deadline).toBeCloseTo(1000 + SAFE_TTL_MS, 9);
    time.advance(TTL_MS / 3); // the next regular round, at 1350
    const late = rounds()[1]!;
    expect(late.leaseIds).toEqual([7]);
    time.advance(ANSWER_TIMEOUT_MS); // unanswered in time: retried soon after
    await flush();
    time.advance(50);
    expect(rounds()).toHaveLength(3);
    // The round sent at 1350 is answered only now, while the retry is still out.
    answer(late, [TTL_MS]);
    await flush();
    expect(lease.deadline).toBeLessThanOrEqual(1350 + SAFE_TTL_MS);
    time.advance(1350 + SAFE_TTL_MS - time.now);
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ code: 'BATON_LEASE_EXPIRED', cause: 'keepalive-timeout' });
    service.stop();
  });

  it('an applied entry that ends the lease aborts its signal at once, with the entry’s reason', async () => {
    const { time, service, granted, effect } = setUp();
    const granting = service.grant(TTL_MS, { timeoutMs: 10_000 });
    granted(7);
    const lease = await granting;
    time.advance(10);
    expect(lease.valid).toBe(true);
    effect({ type: 'leaseEnded', index: 20, leaseId: 7, reason: 'revoked' });
    expect(lease.valid).toBe(false);
    expect(causeOf(lease.signal)).toMatchObject({ code: 'BATON_LEASE_EXPIRED', cause: 'revoked' });
    service.stop();
  });
});
