import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitAllFollow,
  awaitCaughtUp,
  awaitLeader,
  expectOneLeaderPerTerm,
  expectSameAppliedCommands,
  memberIds,
  REPLICATION_WAIT_MS,
  tags,
} from '../support/cluster-checks.js';
import { ProcessCluster } from '../support/process-cluster.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

describe.each([3, 5])('a cluster of %i member processes with dataDirs', (size) => {
  it('has one leader; SIGKILL of it elects another in a higher term; the restarted member catches up', async () => {
    const cluster = await ProcessCluster.start({ ids: memberIds(size) });
    pc = cluster;
    const first = await awaitLeader(cluster);
    // Wait until every member follows that leader, then ask them all: exactly one says it leads.
    await awaitAllFollow(cluster, first);
    const before = await Promise.all(cluster.ids.map((id) => cluster.status(id, REPLICATION_WAIT_MS)));
    expect(before.filter((s) => s.role === 'leader').map((s) => s.id)).toEqual([first.id]);
    expect(before.find((s) => s.id === first.id)?.term).toBe(first.term);

    const acks = await cluster.propose(first.id, tags('before', 20), REPLICATION_WAIT_MS);
    expect(acks).toHaveLength(20);

    const mark = cluster.mark();
    await cluster.crash(first.id);
    const next = await awaitLeader(cluster, { after: mark, aboveTerm: first.term });
    expect(next.id).not.toBe(first.id);
    expect(next.term).toBeGreaterThan(first.term);

    acks.push(...(await cluster.propose(next.id, tags('after', 20), REPLICATION_WAIT_MS)));
    expect(acks).toHaveLength(40);

    const restarted = await cluster.restart(first.id);
    // It comes back with at least the term it had led in: the hard state was on disk.
    expect(restarted.term).toBeGreaterThanOrEqual(first.term);
    const statuses = await awaitCaughtUp(cluster, next.id, cluster.ids);
    const leaderStatus = statuses.at(-1)!;
    const restartedStatus = statuses.find((s) => s.id === first.id)!;
    expect(restartedStatus.appliedIndex).toBeGreaterThanOrEqual(leaderStatus.commitIndex);
    expect(restartedStatus.applied).toEqual(leaderStatus.applied);
    expectSameAppliedCommands(statuses, acks);
    expectOneLeaderPerTerm(cluster.events());
  });
});
