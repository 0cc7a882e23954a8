import { rename } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { awaitCaughtUp, awaitLeader, REPLICATION_WAIT_MS, tags } from '../support/cluster-checks.js';
import { type EventOf, ProcessCluster } from '../support/process-cluster.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

/** Swaps two directories' contents by renaming, as swapped volume mounts would. */
async function swap(a: string, b: string): Promise<void> {
  await rename(a, `${a}.swap`);
  await rename(b, a);
  await rename(`${a}.swap`, b);
}

describe('member processes restarted on each other’s dataDirs', () => {
  it('refuse to start, naming dataDir, and start again once each has its own', async () => {
    const cluster = await ProcessCluster.start();
    pc = cluster;
    const leader = (await awaitLeader(cluster)).id;
    await cluster.propose(leader, tags('before', 10), REPLICATION_WAIT_MS);
    const [a, b] = cluster.ids.filter((id) => id !== leader) as [string, string];
    await awaitCaughtUp(cluster, leader, [a, b]);
    await cluster.stop(a, REPLICATION_WAIT_MS);
    await cluster.stop(b, REPLICATION_WAIT_MS);
    await swap(cluster.dataDir(a), cluster.dataDir(b));

    for (const id of [a, b]) {
      const mark = cluster.mark();
      await expect(cluster.restart(id)).rejects.toThrow(/did not start/);
      const refused = cluster.events(id).slice(-5);
      const error = refused.find((e): e is EventOf<'error'> => e.ev === 'error');
      expect(error, JSON.stringify(refused)).toMatchObject({ code: 'BATON_CONFIG', field: 'dataDir' });
      expect(
        cluster
          .events()
          .slice(mark)
          .some((e) => e.ev === 'started'),
      ).toBe(false);
    }

    await swap(cluster.dataDir(a), cluster.dataDir(b));
    await cluster.restart(a);
    await cluster.restart(b);
    await cluster.propose(leader, tags('after', 10), REPLICATION_WAIT_MS);
    await awaitCaughtUp(cluster, leader, cluster.ids);
  });
});
