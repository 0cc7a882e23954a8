import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/errors.js';
import type { Lease } from '../../src/runtime/lease.js';
import { SharedLease } from '../../src/runtime/shared-lease.js';

/** A granter whose grants the test settles by hand. */
function granter() {
  const grants: { resolve(lease: Lease): void; reject(error: unknown): void }[] = [];
  return {
    grants,
    grantLease: () =>
      new Promise<Lease>((resolve, reject) => {
        grants.push({ resolve, reject });
      }),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function outcomeOf(p: Promise<unknown>): { value: string } {
  const o = { value: 'pending' };
  p.then(
    () => (o.value = 'resolved'),
    (e: { code?: string }) => (o.value = e.code ?? 'rejected'),
  );
  return o;
}

const liveLease = { id: 7, signal: new AbortController().signal } as Lease;

describe('SharedLease', () => {
  it('an already aborted signal fails at once and starts no grant', async () => {
    const g = granter();
    const shared = new SharedLease(g, 1000);
    await expect(shared.get(AbortSignal.abort('no'))).rejects.toMatchObject({ code: 'BATON_ABORTED' });
    expect(g.grants).toHaveLength(0);
  });

  it('a caller waiting for a grant another caller started gives up when its signal aborts', async () => {
    const g = granter();
    const shared = new SharedLease(g, 1000);
    const first = outcomeOf(shared.get());
    const controller = new AbortController();
    const second = outcomeOf(shared.get(controller.signal));
    await settle();
    controller.abort('gave up');
    await settle();
    expect([first.value, second.value]).toEqual(['pending', 'BATON_ABORTED']);
    g.grants[0]!.resolve(liveLease);
    await settle();
    expect(first.value).toBe('resolved');
    expect(g.grants).toHaveLength(1);
  });

  it('a grant whose every caller gave up fails without an unhandled rejection, and the next call grants anew', async () => {
    const g = granter();
    const shared = new SharedLease(g, 1000);
    const controller = new AbortController();
    const call = outcomeOf(shared.get(controller.signal));
    await settle();
    controller.abort('gave up');
    g.grants[0]!.reject(new BatonError('BATON_UNAVAILABLE', 'no leader'));
    await settle();
    expect(call.value).toBe('BATON_ABORTED');
    const next = outcomeOf(shared.get());
    await settle();
    expect(g.grants).toHaveLength(2);
    g.grants[1]!.resolve(liveLease);
    await settle();
    expect(next.value).toBe('resolved');
  });
  it('close() revokes a lease granted already at the call, before it returns to the event loop', async () => {
    const g = granter();
    const shared = new SharedLease(g, 1000);
    let revoked = 0;
    const lease = {
      id: 9,
      signal: new AbortController().signal,
      revoke: async () => void revoked++,
    } as Lease;
    const getting = shared.get();
    g.grants[0]!.resolve(lease);
    expect(await getting).toBe(lease);
    const closing = shared.close();
    expect(revoked).toBe(1);
    await closing;
    await expect(shared.get()).rejects.toMatchObject({ code: 'BATON_STOPPED' });
  });

  it('live is the granted lease only while it has not ended and close() was not called', async () => {
    const g = granter();
    const shared = new SharedLease(g, 1000);
    expect(shared.live).toBeUndefined();
    const getting = shared.get();
    expect(shared.live).toBeUndefined(); // still being granted
    const controller = new AbortController();
    const lease = { id: 3, signal: controller.signal, revoke: async () => {} } as Lease;
    g.grants[0]!.resolve(lease);
    await getting;
    expect(shared.live).toBe(lease);
    controller.abort();
    expect(shared.live).toBeUndefined();

    const regranting = shared.get();
    await settle();
    const next = { id: 4, signal: new AbortController().signal, revoke: async () => {} } as Lease;
    g.grants[1]!.resolve(next);
    expect(await regranting).toBe(next);
    expect(shared.live).toBe(next);
    const closing = shared.close();
    expect(shared.live).toBeUndefined();
    await closing;
  });
});
