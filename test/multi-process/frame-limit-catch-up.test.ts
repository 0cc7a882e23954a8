import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitCaughtUp,
  awaitLeader,
  ELECTION_WAIT_MS,
  expectSameAppliedCommands,
  REPLICATION_WAIT_MS,
} from '../support/cluster-checks.js';
import { ProcessCluster } from '../support/process-cluster.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

const MAX_FRAME_BYTES = 64 * 1024;
/** 100 commands of ~2 KB: together three times the frame limit, each far below it. */
const COMMANDS = Array.from({ length: 100 }, (_, i) => `${i}-${'x'.repeat(2000)}`);

describe('a member catching up under a small maxFrameBytes', () => {
  it('receives the entries it missed in frames within the limit', async () => {
    const cluster = await ProcessCluster.start({ tuning: { maxFrameBytes: MAX_FRAME_BYTES } });
    pc = cluster;
    const first = await awaitLeader(cluster);
    const follower = cluster.ids.find((id) => id !== first.id)!;
    await cluster.waitForEvent(follower, 'leader', (e) => e.leaderId === first.id, ELECTION_WAIT_MS);
    await cluster.stop(follower, REPLICATION_WAIT_MS);
    const acks = await cluster.propose(first.id, COMMANDS, REPLICATION_WAIT_MS);
    expect(acks).toHaveLength(COMMANDS.length);

    await cluster.restart(follower);
    const statuses = await awaitCaughtUp(cluster, first.id, cluster.ids);
    expectSameAppliedCommands(statuses, acks);
  });
});
