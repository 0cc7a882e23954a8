import { Cluster } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('an in-process cluster over real sockets', () => {
  it('elects exactly one leader whose token is valid, and hands over on stop', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    for (const id of Object.keys(members)) {
      running.push(
        await Cluster.start({ id, members, dataDir: ':memory:', secret: 'in-process-secret-01', logger }),
      );
    }
    const token = await Promise.race(
      running.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })),
    );
    expect(token.valid).toBe(true);
    const leaders = running.filter((c) => c.role === 'leader');
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    expect(token.term).toBe(leader.term);
    const { index } = await leader.propose(new TextEncoder().encode('hello'));
    expect(index).toBeGreaterThan(0);

    await leader.stop();
    expect(token.signal.aborted).toBe(true);
    expect((token.signal.reason as { code: string }).code).toBe('BATON_LEADERSHIP_LOST');
    const rest = running.filter((c) => c !== leader);
    const next = await Promise.race(rest.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
    expect(next.term).toBeGreaterThan(token.term);
  });

  it('forwards a command proposed on a follower and resolves after the follower applied it', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    for (const id of Object.keys(members)) {
      running.push(
        await Cluster.start({ id, members, dataDir: ':memory:', secret: 'in-process-secret-01', logger }),
      );
    }
    await Promise.race(running.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
    const follower = running.find((c) => c.role !== 'leader')!;
    const leader = running.find((c) => c.role === 'leader')!;
    const { index } = await follower.propose(new TextEncoder().encode('via a follower'));
    expect(follower.status().appliedIndex).toBeGreaterThanOrEqual(index);
    expect(leader.status().commitIndex).toBeGreaterThanOrEqual(index);
    // A linearizable read on the follower observes it too.
    expect(await follower.readIndex()).toBeGreaterThanOrEqual(index);
  });

  it('an aborted proposal rejects with BATON_ABORTED', async () => {
    const members = await memberUrls(['n1']);
    const logger = pino({ level: 'silent' });
    const solo = await Cluster.start({ id: 'n1', members, dataDir: ':memory:', insecure: true, logger });
    running.push(solo);
    const controller = new AbortController();
    controller.abort(new Error('changed my mind'));
    await expect(solo.propose(new Uint8Array(1), { signal: controller.signal })).rejects.toMatchObject({
      code: 'BATON_ABORTED',
    });
  });
});
