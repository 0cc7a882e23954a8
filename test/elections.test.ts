import { getEventListeners } from 'node:events';
import { type BatonError, Cluster } from '@baton/core';
import { Election, type ElectionLeader } from '@baton/election';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { waitUntil } from './support/in-process.js';
import { captureLeases } from './support/lease-capture.js';

const running: Cluster[] = [];
const elections: Election[] = [];
afterEach(async () => {
  await Promise.all(elections.splice(0).map((e) => e.close()));
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** The default timing (heartbeat 50 ms, election timeout [300, 600) ms): short ones elect spuriously on a loaded machine. */
const TIMING = {} as const;

async function startThree(): Promise<Cluster[]> {
  const members = await memberUrls(['n1', 'n2', 'n3']);
  const logger = pino({ level: 'silent' });
  const started = await Promise.all(
    Object.keys(members).map((id) =>
      Cluster.start({ id, members, dataDir: ':memory:', secret: 'election-test-secret', logger, ...TIMING }),
    ),
  );
  running.push(...started);
  await Promise.race(started.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
  return started;
}

function election(cluster: Cluster, name: string, ttlMs = 2000): Election {
  const e = new Election(cluster, name, { ttlMs });
  elections.push(e);
  return e;
}

describe('named elections on an in-process cluster over real sockets', () => {
  it('any member can win; different names lead on different members; resign hands over at once', async () => {
    const [a, b, c] = await startThree();
    const aWinsA = await election(a!, 'a').campaign({ value: 'http://a' });
    const bWinsB = await election(b!, 'b').campaign({ value: 'http://b' });
    const cForA = election(c!, 'a').campaign({ value: 'http://c' });
    expect(await election(c!, 'b').leader()).toEqual({
      memberId: b!.id,
      fencingToken: bWinsB.fencingToken,
      value: 'http://b',
    });
    expect(await election(b!, 'a').leader()).toMatchObject({ memberId: a!.id, value: 'http://a' });
    const resignedAt = performance.now();
    const resigning = aWinsA.resign();
    // Invalid from the call on: the next candidate may win before the answer is back.
    expect(aWinsA.valid).toBe(false);
    expect((aWinsA.signal.reason as BatonError).cause).toBe('resigned');
    await resigning;
    const next = await cForA;
    expect(performance.now() - resignedAt).toBeLessThan(1000);
    expect(next.fencingToken).toBeGreaterThan(aWinsA.fencingToken);
    expect((aWinsA.signal.reason as BatonError).code).toBe('BATON_LEADERSHIP_LOST');
    expect(await election(b!, 'a').leader()).toMatchObject({ memberId: c!.id, value: 'http://c' });
  });

  it('the lease outlives its wins without collecting a listener per win (15 campaign / resign rounds)', async () => {
    const [a] = await startThree();
    const leases = captureLeases(a!);
    const e = election(a!, 'rounds');
    for (let i = 0; i < 15; i++) {
      await e.campaign();
      await e.resign();
    }
    expect(leases).toHaveLength(1);
    expect(getEventListeners(leases[0]!.signal, 'abort')).toHaveLength(0);
  });

  it('a winner whose member stops loses it; the next candidate wins after the TTL, not before', async () => {
    const [a, b] = await startThree();
    const won = await election(a!, 'cron', 800).campaign();
    const next = election(b!, 'cron').campaign();
    const stoppedAt = performance.now();
    await a!.stop();
    expect(won.valid).toBe(false);
    const nextWon = await next;
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(800 * 0.9);
    expect(nextWon.fencingToken).toBeGreaterThan(won.fencingToken);
  });

  it('observe() on a third member starts with the current state and sees each change in order', async () => {
    const [a, b, c] = await startThree();
    const seen: (ElectionLeader | undefined)[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const who of election(c!, 'obs').observe({ signal: controller.signal })) seen.push(who);
    })();
    await waitUntil(() => seen.length === 1, 'the current state');
    expect(seen[0]).toBeUndefined();
    const first = await election(a!, 'obs').campaign({ value: 'A' });
    await waitUntil(() => seen.length === 2, 'the first winner');
    const second = election(b!, 'obs').campaign({ value: 'B' });
    await first.resign();
    await second;
    await waitUntil(() => seen.at(-1)?.value === 'B', 'the second winner');
    controller.abort();
    await watching;
    expect(seen.filter((s) => s !== undefined).map((s) => s!.value)).toEqual(['A', 'B']);
  });

  it('an aborted campaign leaves nothing behind', async () => {
    const [a, b] = await startThree();
    await election(a!, 'x').campaign();
    const controller = new AbortController();
    const campaign = election(b!, 'x').campaign({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(campaign).rejects.toMatchObject({ code: 'BATON_ABORTED' });
    await waitUntil(
      () => b!.coordination.view.waiters('election', 'x').length === 0,
      'the withdrawn candidacy',
    );
  });
});
