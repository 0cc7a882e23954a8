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
    for (let i = 0; i < 50; i++) await new HeldLock('x', i + 1, lease, async () => {}).release();
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
});
