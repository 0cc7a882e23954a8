import { getEventListeners } from 'node:events';
import { BatonError, Lease } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { HeldLock } from '../src/index.js';

const clock = { now: () => 0 };

describe('HeldLock', () => {
  it('aborts with BATON_LOCK_LOST and the lease’s cause when its lease is lost', () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const held = new HeldLock('x', 5, lease, async () => {});
    expect(held.valid).toBe(true);
    lease.abort('keepalive-timeout');
    expect(held.valid).toBe(false);
    expect(held.signal.reason).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'keepalive-timeout' });
  });

  it('is invalid once its lease’s deadline has passed, before the lease’s signal has aborted (a stalled event loop)', () => {
    let now = 0;
    const lease = new Lease(1, 1000, 500, { now: () => now }, async () => {});
    const held = new HeldLock('x', 5, lease, async () => {});
    now = 499;
    expect(held.valid).toBe(true);
    // The lease's expiry timer has not run yet: only the clock says the lease is over.
    now = 500;
    expect(lease.signal.aborted).toBe(false);
    expect(held.valid).toBe(false);
  });

  it('is invalid from the call to release() on, before the release is answered', async () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    let answer: (() => void) | undefined;
    const held = new HeldLock('x', 5, lease, () => new Promise<void>((resolve) => (answer = resolve)));
    const releasing = held.release();
    // The next waiter may be granted as soon as the release commits.
    expect(held.valid).toBe(false);
    expect(held.signal.reason).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'released' });
    answer!();
    await releasing;
  });

  it('a released handle stops listening on the lease that all locks of a Locks instance share', async () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    for (let i = 0; i < 50; i++) {
      const held = new HeldLock('x', i + 1, lease, async () => {});
      expect(held.signal.aborted).toBe(false); // reading it makes it listen
      await held.release();
    }
    expect(getEventListeners(lease.signal, 'abort')).toHaveLength(0);
  });

  it('release is idempotent, and dispose is quiet about a lock already reported lost', async () => {
    let releases = 0;
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const held = new HeldLock('x', 5, lease, async () => {
      releases++;
    });
    expect(held.release()).toBe(held.release());
    await held.release();
    expect(releases).toBe(1);
    const lost = new HeldLock('y', 6, lease, async () => {
      throw new BatonError('BATON_NOT_HELD', 'not held');
    });
    lease.abort('expired');
    await expect(lost[Symbol.asyncDispose]()).resolves.toBeUndefined();
    await expect(lost.release()).rejects.toMatchObject({ code: 'BATON_NOT_HELD' });
  });

  it('a signal read before its lease ends fires its abort event when the lease ends', () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const held = new HeldLock('x', 5, lease, async () => {});
    const reasons: unknown[] = [];
    held.signal.addEventListener('abort', () => reasons.push(held.signal.reason));
    lease.abort('expired');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'expired' });
  });

  it('keeps the lease’s cause when release() comes after the lease ended, whenever the signal is read', async () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const held = new HeldLock('x', 5, lease, async () => {});
    lease.abort('keepalive-timeout');
    await held.release();
    expect(held.signal.reason).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'keepalive-timeout' });
  });

  it('listens on the lease only for handles whose signal was read, and warns of no leak past ten', async () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const unread = Array.from({ length: 20 }, (_, i) => new HeldLock('x', i + 1, lease, async () => {}));
    expect(getEventListeners(lease.signal, 'abort')).toHaveLength(0);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const read = Array.from({ length: 20 }, (_, i) => new HeldLock('y', i + 1, lease, async () => {}));
      for (const held of read) expect(held.signal.aborted).toBe(false);
      expect(getEventListeners(lease.signal, 'abort')).toHaveLength(20);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      lease.abort('expired');
      for (const held of [...unread, ...read]) {
        expect(held.valid).toBe(false);
        expect(held.signal.reason).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'expired' });
      }
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a read signal aborts when its lease ends even if another listener on the lease looked at it first', () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const a = new HeldLock('a', 1, lease, async () => {});
    const b = new HeldLock('b', 2, lease, async () => {});
    let validSeen: boolean | undefined;
    a.signal.addEventListener('abort', () => (validSeen = b.valid));
    const bSignal = b.signal;
    lease.abort('keepalive-timeout');
    expect(validSeen).toBe(false);
    expect(bSignal.aborted).toBe(true);
    expect(bSignal.reason).toMatchObject({ code: 'BATON_LOCK_LOST', cause: 'keepalive-timeout' });
    expect(b.lostReason()).toBe(bSignal.reason);
  });

  it('a signal read again inside an earlier listener on the lease is already aborted', () => {
    const lease = new Lease(1, 1000, Number.POSITIVE_INFINITY, clock, async () => {});
    const b = new HeldLock('b', 1, lease, async () => {});
    const a = new HeldLock('a', 2, lease, async () => {});
    let seen: boolean | undefined;
    a.signal.addEventListener('abort', () => (seen = b.signal.aborted)); // a listens on the lease first
    expect(b.signal.aborted).toBe(false);
    lease.abort('expired');
    expect(seen).toBe(true);
  });
});
