import { type BatonError, Cluster, type CoordinationEffect, isBatonError } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** The default timing (heartbeat 50 ms, election timeout [300, 600) ms): short ones elect spuriously on a loaded machine. */
const TIMING = {} as const;

async function startThree(): Promise<Cluster[]> {
  const members = await memberUrls(['n1', 'n2', 'n3']);
  const logger = pino({ level: 'silent' });
  const started = await Promise.all(
    Object.keys(members).map((id) =>
      Cluster.start({ id, members, dataDir: ':memory:', secret: 'leases-test-secret-01', logger, ...TIMING }),
    ),
  );
  running.push(...started);
  await Promise.race(started.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
  return started;
}

function causeOf(signal: AbortSignal): { code: string; cause: unknown } | undefined {
  const reason = signal.reason as BatonError | undefined;
  return reason && { code: reason.code, cause: reason.cause };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leases on an in-process cluster over real sockets', () => {
  it('a call made before the cluster has a leader waits for one within its own timeout', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    const start = (id: string) =>
      Cluster.start({
        id,
        members,
        dataDir: ':memory:',
        secret: 'leases-test-secret-01',
        logger,
        ...TIMING,
      }).then((c) => {
        running.push(c);
        return c;
      });
    const first = await start('n1');
    const startedAt = performance.now();
    // Asked while the other members are not up yet; they come well after the member's own
    // answer timeout (2 × the maximum election timeout), within the call's 5 s.
    const granting = first.grantLease({ ttlMs: 3000, timeoutMs: 5000 }).catch((e: BatonError) => e);
    await sleep(1000);
    await Promise.all([start('n2'), start('n3')]);
    const lease = await granting;
    expect(isBatonError(lease) ? lease.code : lease.valid).toBe(true);
    expect(performance.now() - startedAt).toBeLessThan(5000);
  });

  it('a lease granted on a follower stays valid through many TTLs of keep-alives, and revoke() ends it everywhere', async () => {
    const members = await startThree();
    const follower = members.find((c) => c.role !== 'leader')!;
    const lease = await follower.grantLease({ ttlMs: 700 });
    expect(lease.valid).toBe(true);
    await sleep(2100); // three TTLs: only keep-alives keep it
    expect(lease.valid).toBe(true);
    expect(lease.signal.aborted).toBe(false);
    const ended = new Promise<CoordinationEffect>((resolve) =>
      members[0]!.coordination.onEffect((e) => e.type === 'leaseEnded' && resolve(e)),
    );
    await lease.revoke();
    expect(causeOf(lease.signal)).toEqual({ code: 'BATON_LEASE_EXPIRED', cause: 'revoked' });
    expect(await ended).toMatchObject({ leaseId: lease.id, reason: 'revoked' });
  });

  it('the leader expires the lease of a member that stopped keeping it alive, after its TTL and not before', async () => {
    const members = await startThree();
    const leader = members.find((c) => c.role === 'leader')!;
    const owner = members.find((c) => c !== leader)!;
    const lease = await owner.grantLease({ ttlMs: 800 });
    const ended = new Promise<number>((resolve) =>
      leader.coordination.onEffect((e) => {
        if (e.type === 'leaseEnded' && e.leaseId === lease.id) resolve(performance.now());
      }),
    );
    const stoppedAt = performance.now();
    await owner.stop(); // its keep-alives stop; the lease's signal aborts with 'stopped'
    expect(causeOf(lease.signal)).toEqual({ code: 'BATON_LEASE_EXPIRED', cause: 'stopped' });
    const endedAt = await ended;
    expect(endedAt - stoppedAt).toBeGreaterThanOrEqual(800 * 0.95);
    expect(leader.coordination.view.lease(lease.id)).toBeUndefined();
  });

  it('a lease outlives a leader change: the new leader restarts its full TTL', async () => {
    const members = await startThree();
    const leader = members.find((c) => c.role === 'leader')!;
    const owner = members.find((c) => c !== leader)!;
    const lease = await owner.grantLease({ ttlMs: 2000 });
    await leader.stop();
    await Promise.race(
      members.filter((c) => c !== leader).map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })),
    );
    await sleep(2500);
    expect(lease.valid).toBe(true);
    expect(owner.coordination.view.lease(lease.id)).toMatchObject({ ttlMs: 2000, owner: owner.id });
  });

  it('refuses a TTL below the maximum election timeout with BATON_CONFIG naming ttlMs', async () => {
    const [member] = await startThree();
    const error = await member!.grantLease({ ttlMs: 50 }).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG') && error.field).toBe('ttlMs');
  });
});
