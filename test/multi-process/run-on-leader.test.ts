import { afterEach, describe, expect, it } from 'vitest';
import { ELECTION_WAIT_MS } from '../support/cluster-checks.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { overlappingIntervals, validityIntervals } from '../support/validity-intervals.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

/** The bound: after each kill of the leader, the job runs again within this. */
const JOB_AGAIN_WITHIN_MS = 2000;
/** How long a SIGSTOPped leader stays stopped: well past the maximum election timeout (600 ms). */
const STOPPED_FOR_MS = 1000;

describe('runOnLeader on three member processes, each running the job', () => {
  it('never runs on two members at once across SIGKILL and SIGSTOP of the leader, and runs again within 2 s', async () => {
    const cluster = await ProcessCluster.start({ tuning: { leaderJob: true } });
    pc = cluster;
    const gaps: number[] = [];
    let mark = cluster.mark();
    let current = await cluster.waitForEvent(undefined, 'job-valid', () => true, ELECTION_WAIT_MS, {
      after: mark,
    });
    for (const signal of ['SIGKILL', 'SIGSTOP', 'SIGKILL', 'SIGSTOP'] as const) {
      const victim = current.id;
      mark = cluster.mark();
      const killedAt = cluster.kill(victim, signal);
      const next = await cluster.waitForEvent(
        undefined,
        'job-valid',
        (e) => e.id !== victim,
        ELECTION_WAIT_MS,
        {
          after: mark,
        },
      );
      gaps.push(next.at - killedAt);
      if (signal === 'SIGKILL') {
        await cluster.waitFor(victim, (e) => e.ev === 'exit', 10_000, { after: mark });
        await cluster.restart(victim);
      } else {
        const resumeAt = killedAt + STOPPED_FOR_MS;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, resumeAt - next.at)));
        cluster.kill(victim, 'SIGCONT');
        // The resumed member's job sees its token invalid and ends that run before doing anything else.
        await cluster.waitForEvent(victim, 'job-end', () => true, ELECTION_WAIT_MS, { after: mark });
      }
      current = next;
    }
    const intervals = validityIntervals(cluster.events(), 'job');
    expect(intervals.length).toBeGreaterThanOrEqual(5);
    expect(overlappingIntervals(intervals)).toEqual([]);
    for (const gap of gaps) expect(gap).toBeLessThan(JOB_AGAIN_WITHIN_MS);
  });
});
