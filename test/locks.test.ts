import { getEventListeners } from 'node:events';
import { type BatonError, Cluster, isBatonError } from '@baton/core';
import { type HeldLock, Locks } from '@baton/lock';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { waitUntil } from './support/in-process.js';
import { captureLeases } from './support/lease-capture.js';

const running: Cluster[] = [];
const lockSets: Locks[] = [];
afterEach(async () => {
  await Promise.all(lockSets.splice(0).map((l) => l.close()));
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const TIMING = { heartbeatMs: 20, electionTimeoutMs: [100, 200] } as const;

async function startThree(): Promise<Cluster[]> {
  const members = await memberUrls(['n1', 'n2', 'n3']);
  const logger = pino({ level: 'silent' });
  const started = await Promise.all(
    Object.keys(members).map((id) =>
      Cluster.start({
        id,
        members,
        dataDir: ':memory:',
        secret: 'locks-test-secret-0001',
        logger,
        ...TIMING,
      }),
    ),
  );
  running.push(...started);
  await Promise.race(started.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
  return started;
}

function locksOn(cluster: Cluster, ttlMs = 2000): Locks {
  const locks = new Locks(cluster, { ttlMs });
  lockSets.push(locks);
  return locks;
}

const codeOf = async (p: Promise<unknown>) =>
  (await p.then(
    () => 'resolved',
    (e: BatonError) => e.code,
  )) as string;

describe('@baton/lock on an in-process cluster over real sockets', () => {
  it('withLock excludes: 3 members × 4 workers on one name never overlap, no increment is lost, tokens only grow', async () => {
    const members = await startThree();
    let counter = 0;
    let inside = 0;
    let overlaps = 0;
    const tokens: number[] = [];
    await Promise.all(
      members.flatMap((m) => {
        const locks = locksOn(m);
        return Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 5; i++) {
            await locks.withLock('counter', async (held) => {
              if (++inside > 1) overlaps++;
              tokens.push(held.fencingToken);
              const read = counter;
              await new Promise((resolve) => setTimeout(resolve, 1));
              counter = read + 1;
              inside--;
            });
          }
        });
      }),
    );
    expect(overlaps).toBe(0);
    expect(counter).toBe(60);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  });

  it('waiters are granted in the order they asked (FIFO), each with a larger token', async () => {
    const [a, b, c] = await startThree();
    const first = await locksOn(a!).acquire('fifo');
    const order: string[] = [];
    const waits: Promise<void>[] = [];
    for (const [i, locks] of [locksOn(b!), locksOn(c!), locksOn(a!)].entries()) {
      waits.push(
        (async () => {
          const held = await locks.acquire('fifo');
          order.push(`w${i}:${held.fencingToken}`);
          await held.release();
        })(),
      );
      // The next one asks once this one is queued (a lease grant first can take a while under load).
      await waitUntil(
        () => a!.coordination.view.waiters('lock', 'fifo').length === i + 1,
        `waiter ${i} queued`,
      );
    }
    await first.release();
    await Promise.all(waits);
    expect(order.map((o) => o.split(':')[0])).toEqual(['w0', 'w1', 'w2']);
    const tokens = order.map((o) => Number(o.split(':')[1]));
    expect(tokens[0]!).toBeGreaterThan(first.fencingToken);
    expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
  });

  it('holder() of a lock granted to a waiter names that grant’s token, not its request’s', async () => {
    const [a, b, c] = await startThree();
    const first = await locksOn(a!).acquire('handed');
    const waiting = locksOn(b!).acquire('handed');
    await waitUntil(() => a!.coordination.view.waiters('lock', 'handed').length === 1, 'waiter queued');
    await first.release();
    const next = await waiting;
    // Granted by the release's entry (applied on b before its acquire resolved): the token is that
    // entry's index, above the index of the request that queued.
    const granted = b!.coordination.view.holder('lock', 'handed');
    expect(granted?.fencingToken).toBe(next.fencingToken);
    expect(granted!.waiterId).toBeLessThan(next.fencingToken);
    expect(await locksOn(c!).holder('handed')).toEqual({ memberId: b!.id, fencingToken: next.fencingToken });
  });

  it('tryAcquire does not wait; holder() names the member and token', async () => {
    const [a, b] = await startThree();
    const held = await locksOn(a!).acquire('job');
    const other = locksOn(b!);
    expect(await other.tryAcquire('job')).toBeUndefined();
    expect(await other.holder('job')).toEqual({ memberId: a!.id, fencingToken: held.fencingToken });
    await held.release();
    expect(await other.holder('job')).toBeUndefined();
    const mine = await other.tryAcquire('job');
    expect(mine?.fencingToken).toBeGreaterThan(held.fencingToken);
  });

  it('a wait that times out or is aborted leaves nothing behind in the cluster', async () => {
    const [a, b] = await startThree();
    const held = await locksOn(a!).acquire('busy');
    const other = locksOn(b!);
    expect(await codeOf(other.acquire('busy', { waitMs: 100 }))).toBe('BATON_LOCK_TIMEOUT');
    const controller = new AbortController();
    const aborted = other.acquire('busy', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    const error = await aborted.catch((e: BatonError) => e);
    expect(isBatonError(error, 'BATON_ABORTED') && (error.cause as Error).message).toBe('user gave up');
    await b!.coordination.read(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the cancels are applied
    expect(b!.coordination.view.waiters('lock', 'busy')).toEqual([]);
    await held.release();
    expect(await other.holder('busy')).toBeUndefined();
  });

  it('waitMs bounds the whole call, the grant of the instance’s lease included (no quorum: BATON_LOCK_TIMEOUT in time)', async () => {
    const [a, b, c] = await startThree();
    await Promise.all([b!.stop(), c!.stop()]);
    const locks = locksOn(a!);
    const startedAt = performance.now();
    expect(await codeOf(locks.acquire('alone', { waitMs: 200 }))).toBe('BATON_LOCK_TIMEOUT');
    expect(performance.now() - startedAt).toBeLessThan(2000);
    const controller = new AbortController();
    const aborted = locks.acquire('alone', { waitMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    expect(await codeOf(aborted)).toBe('BATON_ABORTED');
  });

  it('the lease outlives its locks without collecting a listener per lock (30 withLock calls on one Locks)', async () => {
    const [a] = await startThree();
    const leases = captureLeases(a!);
    const locks = locksOn(a!);
    // Each fn reads its signal, which is what makes a held lock listen on the lease.
    for (let i = 0; i < 30; i++) await locks.withLock('cycle', (held) => held.signal.aborted);
    expect(leases).toHaveLength(1);
    expect(getEventListeners(leases[0]!.signal, 'abort')).toHaveLength(0);
  });

  it('release is idempotent; a lock whose lease ended reports BATON_LOCK_LOST on its signal and BATON_NOT_HELD on release', async () => {
    const [a, b] = await startThree();
    const locks = locksOn(a!);
    const held = await locks.acquire('x');
    const r1 = held.release();
    // Invalid from the call on: the next waiter may be granted before the answer is back.
    expect(held.valid).toBe(false);
    expect((held.signal.reason as BatonError).cause).toBe('released');
    expect(held.release()).toBe(r1);
    await r1;
    const again: HeldLock = await locks.acquire('x');
    await locks.close(); // revokes the lease: every lock it holds is released at once
    expect((again.signal.reason as BatonError).code).toBe('BATON_LOCK_LOST');
    expect(again.valid).toBe(false);
    expect(await codeOf(again.release())).toBe('BATON_NOT_HELD');
    expect(await locksOn(b!).holder('x')).toBeUndefined();
  });

  it('an acquire still out when close() is called rejects BATON_STOPPED and leaves the lock free', async () => {
    const [a, b] = await startThree();
    const locks = locksOn(a!);
    await (await locks.acquire('warm')).release(); // the lease is granted and live
    const late = locks.acquire('late');
    const closing = locks.close();
    expect(await codeOf(late)).toBe('BATON_STOPPED');
    await closing;
    expect(await locksOn(b!).holder('late')).toBeUndefined();
  });

  it('close() makes every lock it holds invalid at the call: a waiter on the leader is never granted while the holder on a follower is still valid', async () => {
    const started = await startThree();
    const leader = started.find((c) => c.role === 'leader')!;
    const follower = started.find((c) => c !== leader)!;
    const holding = locksOn(follower);
    const held = await holding.acquire('closing');
    const waiting = locksOn(leader).acquire('closing');
    await waitUntil(() => leader.coordination.view.waiters('lock', 'closing').length === 1, 'waiter queued');
    const closing = holding.close();
    expect(held.valid).toBe(false);
    expect((held.signal.reason as BatonError).cause).toBe('revoked');
    // The leader applies the revocation, and grants the waiter, before the follower hears of it.
    const next = await waiting;
    expect(held.valid).toBe(false);
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    await closing;
  });

  it('the holder’s member stopping loses the lock; another member is granted it after the lease TTL', async () => {
    const [a, b] = await startThree();
    const held = await locksOn(a!, 400).acquire('owned');
    const next = locksOn(b!).acquire('owned');
    const stoppedAt = performance.now();
    await a!.stop();
    expect((held.signal.reason as BatonError).code).toBe('BATON_LOCK_LOST');
    const granted = await next;
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(400 * 0.9);
    expect(granted.fencingToken).toBeGreaterThan(held.fencingToken);
  });

  it('withLock releases the lock when fn throws, and rejects with fn’s error', async () => {
    const [a, b] = await startThree();
    const locks = locksOn(a!);
    const thrown = new Error('fn failed');
    const result = await locks
      .withLock('thrown', () => {
        throw thrown;
      })
      .catch((e: unknown) => e);
    expect(result).toBe(thrown);
    expect(await locksOn(b!).holder('thrown')).toBeUndefined();
  });

  it('withLock rejects BATON_LOCK_LOST when the lock was lost while fn ran', async () => {
    const [a] = await startThree();
    const locks = locksOn(a!);
    const result = locks.withLock('y', async (held) => {
      held.lost('expired'); // as the lease's loss would
      return 42;
    });
    expect(await codeOf(result)).toBe('BATON_LOCK_LOST');
  });

  it('refuses a bad name with BATON_CONFIG naming it', async () => {
    const [a] = await startThree();
    const error = await locksOn(a!)
      .acquire('')
      .catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG') && error.field).toBe('name');
  });
});
