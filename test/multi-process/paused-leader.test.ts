import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitLeader,
  ELECTION_WAIT_MS,
  expectOneLeaderPerTerm,
  REPLICATION_WAIT_MS,
  tags,
} from '../support/cluster-checks.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { overlappingIntervals, validityIntervals } from '../support/validity-intervals.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

/** The default maximum election timeout (cluster-options.ts). */
const ELECTION_TIMEOUT_MAX_MS = 600;
/** How much longer than that the leader stays stopped. */
const PAUSE_BEYOND_ELECTION_MS = 300;

describe('a leader stopped (SIGSTOP) longer than the election timeout, then continued', () => {
  it('never shares validity with the new leader, and its token aborts once it runs again', async () => {
    const cluster = await ProcessCluster.start();
    pc = cluster;
    const first = await awaitLeader(cluster);
    const old = first.id;
    await Promise.all(
      cluster.ids.map((id) =>
        cluster.waitForEvent(
          id,
          'leader',
          (e) => e.leaderId === old && e.term === first.term,
          ELECTION_WAIT_MS,
        ),
      ),
    );
    // Stop it in the middle of a valid run.
    const mark = cluster.mark();
    await cluster.waitForEvent(old, 'valid-seen', (e) => e.term === first.term, ELECTION_WAIT_MS, {
      after: mark,
    });
    const stoppedAt = cluster.kill(old, 'SIGSTOP');

    const next = await awaitLeader(cluster, { after: mark, aboveTerm: first.term });
    expect(next.id).not.toBe(old);
    // Let the new leader hold a valid token until well past the maximum election timeout.
    await cluster.waitForEvent(
      next.id,
      'valid-seen',
      (e) => e.term === next.term && e.at >= stoppedAt + ELECTION_TIMEOUT_MAX_MS + PAUSE_BEYOND_ELECTION_MS,
      ELECTION_WAIT_MS,
      { after: mark },
    );
    const continuedAt = cluster.kill(old, 'SIGCONT');
    expect(next.at).toBeGreaterThan(stoppedAt);
    expect(next.at).toBeLessThan(continuedAt);

    const lost = await cluster.waitForEvent(old, 'lost', (e) => e.term === first.term, ELECTION_WAIT_MS, {
      after: mark,
    });
    expect(lost.at).toBeGreaterThan(continuedAt);
    expect(lost.code).toBe('BATON_LEADERSHIP_LOST');
    expect(['higher-term', 'lease-expired']).toContain(lost.cause);
    const end = await cluster.waitForEvent(old, 'valid-end', (e) => e.term === first.term, ELECTION_WAIT_MS, {
      after: mark,
    });
    // Right after the pause, `valid` already said false: the clock, not the abort, decided.
    expect(end.lastTrueAt).toBeLessThan(continuedAt);

    // The old leader rejoins as a follower of the new one, and the cluster still commits.
    await cluster.waitForEvent(old, 'leader', (e) => e.leaderId === next.id, ELECTION_WAIT_MS, {
      after: mark,
    });
    expect(await cluster.propose(next.id, tags('after-pause', 5), REPLICATION_WAIT_MS)).toHaveLength(5);

    const intervals = validityIntervals(cluster.events());
    expect(intervals.some((i) => i.id === old && i.term === first.term)).toBe(true);
    expect(intervals.some((i) => i.id === next.id && i.term === next.term)).toBe(true);
    expect(overlappingIntervals(intervals)).toEqual([]);
    expectOneLeaderPerTerm(cluster.events());
  });
});
