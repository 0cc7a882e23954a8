import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitAllFollow,
  awaitCaughtUp,
  awaitLeader,
  expectOneLeaderPerTerm,
  expectSameAppliedCommands,
  REPLICATION_WAIT_MS,
  tags,
} from '../support/cluster-checks.js';
import { type EventOf, ProcessCluster } from '../support/process-cluster.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

const COMMANDS = 200;
const KILL_AFTER_ACKS = 100;

describe('a whole-cluster SIGKILL and restart from disk', () => {
  it('keeps terms and every acknowledged command, at its index, on every member', async () => {
    const cluster = await ProcessCluster.start();
    pc = cluster;
    const first = await awaitLeader(cluster);
    await awaitAllFollow(cluster, first);
    // Terms every member has had long enough to have made durable.
    const before = await Promise.all(cluster.ids.map((id) => cluster.status(id, REPLICATION_WAIT_MS)));

    const mark = cluster.mark();
    const req = cluster.send(first.id, { cmd: 'propose', tags: tags('cmd', COMMANDS) });
    let acked = 0;
    await cluster.waitForEvent(
      first.id,
      'ack',
      (e) => e.req === req && ++acked === KILL_AFTER_ACKS,
      REPLICATION_WAIT_MS,
      {
        after: mark,
      },
    );
    const exits = cluster.ids.map((id) =>
      cluster.waitFor(id, (e) => e.ev === 'exit', 10_000, { after: cluster.mark() }),
    );
    for (const id of cluster.ids) cluster.kill(id, 'SIGKILL');
    await Promise.all(exits);
    const answers = cluster
      .events(first.id)
      .filter((e) => (e.ev === 'ack' || e.ev === 'nack') && e.req === req);
    const acks = answers.filter((e): e is EventOf<'ack'> => e.ev === 'ack');
    expect(acks.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(answers.length, 'some proposals were still in flight at the kill').toBeLessThan(COMMANDS);

    const restartMark = cluster.mark();
    const restarted = await Promise.all(cluster.ids.map((id) => cluster.restart(id)));
    for (const started of restarted) {
      const termBefore = before.find((s) => s.id === started.id)!.term;
      expect(started.term, `${started.id} recovers its term`).toBeGreaterThanOrEqual(termBefore);
    }
    const next = await awaitLeader(cluster, { after: restartMark });
    expect(next.term).toBeGreaterThan(first.term);
    const statuses = await awaitCaughtUp(cluster, next.id, cluster.ids);
    expectSameAppliedCommands(statuses, acks);
    expectOneLeaderPerTerm(cluster.events());
  });
});
