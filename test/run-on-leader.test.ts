import { Cluster } from '@baton/core';
import { runOnLeader } from '@baton/election';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { waitUntil } from './support/in-process.js';

const running: Cluster[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('runOnLeader on an in-process cluster over real sockets', () => {
  it('runs on exactly one member at a time; when that member stops, the job runs on the next leader', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    for (const id of Object.keys(members)) {
      running.push(
        await Cluster.start({ id, members, dataDir: ':memory:', secret: 'run-on-leader-secret', logger }),
      );
    }
    // Each run's interval on the shared monotonic clock, with the member and the term it ran under.
    const intervals: { member: string; term: number; start: number; end: number | undefined }[] = [];
    for (const cluster of running) {
      const job = runOnLeader(cluster, async (token) => {
        const interval = {
          member: cluster.id,
          term: token.term,
          start: performance.now(),
          end: undefined as number | undefined,
        };
        intervals.push(interval);
        await new Promise((resolve) => token.signal.addEventListener('abort', resolve, { once: true }));
        interval.end = performance.now();
      });
      stops.push(() => job.stop());
    }
    await waitUntil(() => intervals.length === 1, 'a job runs');
    const first = intervals[0]!;
    const leader = running.find((c) => c.id === first.member)!;
    expect(leader.role).toBe('leader');
    await leader.stop();
    await waitUntil(() => intervals.length === 2, 'the job runs on the next leader');
    const [a, b] = intervals as [(typeof intervals)[0], (typeof intervals)[0]];
    expect(b.member).not.toBe(a.member);
    expect(b.term).toBeGreaterThan(a.term);
    // The first run ended (its token aborted) before the second began.
    expect(a.end).toBeDefined();
    expect(a.end!).toBeLessThanOrEqual(b.start);
  });
});
