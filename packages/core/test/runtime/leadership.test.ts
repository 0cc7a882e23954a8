import { describe, expect, it } from 'vitest';
import type { RaftStatus } from '../../src/raft/raw-node.js';
import { Leadership, type LeadershipView } from '../../src/runtime/leadership.js';
import type { LeadershipToken } from '../../src/runtime/leadership-token.js';
import { type ManualTime, manualTime } from '../support/manual-time.js';

const leading: RaftStatus = {
  id: 'n1',
  role: 'leader',
  term: 4,
  vote: 'n1',
  leaderId: 'n1',
  commitIndex: 10,
  appliedIndex: 10,
  lastIndex: 10,
  snapshotIndex: 0,
  config: { voters: ['n1', 'n2', 'n3'], learners: [], addresses: {} },
  leaseRound: 7,
  leadTransferee: undefined,
  lostEntries: undefined,
};

function setUp() {
  const time = manualTime(1000);
  const leadership = new Leadership(time.clock, time.timers);
  const view = (status: Partial<RaftStatus> = {}, extra: Partial<LeadershipView> = {}): LeadershipView => ({
    status: { ...leading, ...status },
    leaseUntil: time.now + 200,
    appliedOwnTerm: true,
    ...extra,
  });
  return { time, leadership, view };
}

function causeOf(signal: AbortSignal): unknown {
  return (signal.reason as { code: string; cause: unknown }).cause;
}

/** The token is still valid 1 ms before `ms` from now, and its signal aborts with lease-expired at it. */
function expectExpiresIn(time: ManualTime, token: LeadershipToken, ms: number): void {
  time.advance(ms - 1);
  expect(token.signal.aborted).toBe(false);
  expect(token.valid).toBe(true);
  time.advance(1);
  expect(causeOf(token.signal)).toBe('lease-expired');
}

describe('Leadership', () => {
  it('issues no token before the own-term entry is applied, nor without a lease, nor during a transfer', async () => {
    const { leadership, view } = setUp();
    const waiting = leadership.wait();
    leadership.update(view({}, { appliedOwnTerm: false }));
    leadership.update(view({}, { leaseUntil: Number.NEGATIVE_INFINITY }));
    leadership.update(view({ leadTransferee: 'n2' }));
    leadership.update(view({ role: 'follower', leaderId: 'n2' }));
    expect(leadership.current()).toBeUndefined();
    leadership.update(view());
    const token = await waiting;
    expect(token.valid).toBe(true);
    expect(token.term).toBe(4);
  });

  it.each([
    ['higher-term', { term: 5, role: 'follower', leaderId: 'n2' }],
    ['quorum-lost', { role: 'follower', leaderId: undefined }],
    ['transferred', { leadTransferee: 'n3' }],
  ] as const)('aborts with cause %s', async (cause, change) => {
    const { leadership, view } = setUp();
    leadership.update(view());
    const token = await leadership.wait();
    leadership.update(view(change));
    expect(token.signal.aborted).toBe(true);
    expect(causeOf(token.signal)).toBe(cause);
  });

  it('aborts with lease-expired at the deadline even when nothing else happens, and is invalid by then', async () => {
    const { time, leadership, view } = setUp();
    leadership.update(view());
    const token = await leadership.wait();
    time.advance(199);
    expect(token.valid).toBe(true);
    time.advance(1);
    expect(token.valid).toBe(false);
    expect(causeOf(token.signal)).toBe('lease-expired');
  });

  it('a renewed lease extends the same token', async () => {
    const { time, leadership, view } = setUp();
    leadership.update(view());
    const token = await leadership.wait();
    time.advance(150);
    leadership.update(view()); // a heartbeat round acknowledged: lease until now + 200
    time.advance(150);
    expect(token.valid).toBe(true);
    expect(await leadership.wait()).toBe(token);
  });

  it('keeps one expiry timer while renewals only move the deadline later, and still aborts at the last deadline', async () => {
    const { time, view } = setUp();
    let timersSet = 0;
    const timers = time.timers;
    const counting = new Leadership(time.clock, {
      setTimeout: (fn, ms) => {
        timersSet++;
        return timers.setTimeout(fn, ms);
      },
    });
    counting.update(view());
    const token = await counting.wait();
    for (let i = 0; i < 50; i++) {
      time.advance(2);
      counting.update(view()); // each renewal: lease until now + 200
    }
    expect(timersSet).toBe(1);
    expectExpiresIn(time, token, 200);
    expect(timersSet).toBeLessThanOrEqual(3);
  });

  it('sets an earlier timer when a new token ends before the kept one would fire', async () => {
    const { time, leadership, view } = setUp();
    leadership.update(view({}, { leaseUntil: time.now + 500 }));
    const first = await leadership.wait();
    // A new term in one update: the first token goes, a second comes with a shorter lease.
    leadership.update(view({ term: 5 }, { leaseUntil: time.now + 100 }));
    expect(causeOf(first.signal)).toBe('higher-term');
    const second = await leadership.wait();
    expect(second.term).toBe(5);
    expectExpiresIn(time, second, 100);
  });

  it('after the kept timer fired early and was set again, a new token with a shorter lease still aborts at its deadline', async () => {
    const { time, leadership, view } = setUp(); // starts at 1000
    leadership.update(view()); // lease until 1200: the timer is due at 1200
    const first = await leadership.wait();
    time.advance(100);
    leadership.update(view()); // renewed until 1300: the timer due at 1200 is kept
    time.advance(100); // it fires at 1200, early, and is set again for 1300
    expect(first.valid).toBe(true);
    leadership.update(view({ term: 5 }, { leaseUntil: 1250 })); // a new term's token, until 1250
    const second = await leadership.wait();
    expect(second.term).toBe(5);
    expectExpiresIn(time, second, 50);
  });

  it('a new token whose deadline is a millisecond before the kept timer aborts at its own deadline', async () => {
    const { time, leadership, view } = setUp();
    leadership.update(view({}, { leaseUntil: 1200 }));
    await leadership.wait();
    leadership.update(view({ term: 5 }, { leaseUntil: 1199 }));
    const second = await leadership.wait();
    expectExpiresIn(time, second, 199);
  });

  it('stop aborts the token with cause stopped, rejects waiters and later waits with BATON_STOPPED', async () => {
    const { leadership, view } = setUp();
    leadership.update(view());
    const token = await leadership.wait();
    const other = setUp();
    const pending = other.leadership.wait();
    leadership.stop();
    other.leadership.stop();
    expect(causeOf(token.signal)).toBe('stopped');
    await expect(pending).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    await expect(leadership.wait()).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    leadership.update(view()); // ignored once stopped
    expect(leadership.current()).toBeUndefined();
  });

  it('an aborted wait rejects with BATON_ABORTED carrying the signal reason, and is forgotten', async () => {
    const { leadership, view } = setUp();
    const controller = new AbortController();
    const waiting = leadership.wait(controller.signal);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    await expect(waiting).rejects.toMatchObject({ code: 'BATON_ABORTED', cause: reason });
    leadership.update(view()); // resolving the forgotten waiter would be a bug, not a crash: nothing happens
    await expect(leadership.wait(AbortSignal.abort())).rejects.toMatchObject({ code: 'BATON_ABORTED' });
  });
});
