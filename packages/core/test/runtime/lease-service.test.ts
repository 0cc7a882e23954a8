import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/env.js';
import type { CoordinationMachine } from '../../src/runtime/coordination-machine.js';
import { LeadershipToken } from '../../src/runtime/leadership-token.js';
import { LeaseService } from '../../src/runtime/lease-service.js';
import type { NodeLoop } from '../../src/runtime/node-loop.js';
import { manualTime } from '../support/manual-time.js';

/**
 * LeaseService over a stand-in NodeLoop whose leadership this test hands
 * out: only the keeper's timing under leadership is under test here.
 */
function setUp() {
  const time = manualTime(1000);
  const tokens: LeadershipToken[] = [];
  const waits: ((token: LeadershipToken) => void)[] = [];
  let current: LeadershipToken | undefined;
  const appended: Uint8Array[] = [];
  const loop = {
    leadership: {
      wait: () =>
        new Promise<LeadershipToken>((resolve) => {
          const next = tokens.shift();
          if (next) resolve(next);
          else waits.push(resolve);
        }),
      current: () => (current?.valid ? current : undefined),
    },
    status: () => ({ leaderId: 'n1', term: 1, appliedIndex: 100 }),
    append: (data: Uint8Array) => {
      appended.push(data);
      return { index: 100 + appended.length, term: 1 };
    },
    awaitApplied: () => ({ promise: new Promise(() => {}), cancel: () => {} }),
  } as unknown as NodeLoop;
  const machine = {
    onEffect: () => () => {},
    state: { leases: () => [{ leaseId: 7, ttlMs: 1000 }] },
  } as unknown as CoordinationMachine;
  const service = new LeaseService({
    memberId: 'n1',
    env: { clock: time.clock, timers: time.timers, random: () => 0.5, newId: () => 'id' },
    driftBound: 0.05,
    logger: silentLogger,
    machine,
    loop,
    submit: () => new Promise(() => {}),
    send: () => true,
    answerTimeoutMs: 100,
    requestTimeoutMs: 1000,
  });
  const lead = (token: LeadershipToken) => {
    current = token;
    const waiting = waits.shift();
    if (waiting) waiting(token);
    else tokens.push(token);
  };
  return { time, service, appended, lead, flush: () => new Promise((r) => setImmediate(r)) };
}

describe('LeaseService: the lease keeper follows this member’s leadership', () => {
  it('a leadership lost before the keeper saw it stops the keeper, and the next one restarts every TTL', async () => {
    const { time, service, appended, lead, flush } = setUp();
    // Issued and lost in one turn of the event loop: aborted before the keeper listens.
    const lost = new LeadershipToken(1, time.now + 10_000, time.clock);
    lead(lost);
    lost.abort('higher-term');
    await flush();
    expect(service.keeper.isLeading).toBe(false);

    time.advance(4000);
    const next = new LeadershipToken(2, time.now + 10_000, time.clock);
    lead(next);
    await flush();
    expect(service.keeper.isLeading).toBe(true);
    // The full TTL from the new leadership: a holder kept alive by leaders in between is not cut short.
    expect(service.keeper.deadlineOf(7)).toBe(time.now + 1000);
    time.advance(999);
    expect(appended).toEqual([]);
    service.stop();
  });

  it('the keeper answers and expires only under the leadership it restarted the deadlines for', async () => {
    const { time, service, appended, lead, flush } = setUp();
    const first = new LeadershipToken(1, time.now + 10_000, time.clock);
    lead(first);
    await flush();
    expect(service.keeper.keepAlive([7])).toEqual({ ok: true, ttlsMs: [1000] });
    // A later leadership that the keeper has not restarted its deadlines for (yet).
    const later = new LeadershipToken(2, time.now + 10_000, time.clock);
    lead(later);
    expect(service.keeper.keepAlive([7])).toEqual({ ok: false });
    time.advance(1500);
    expect(appended).toEqual([]);
    service.stop();
  });
});
