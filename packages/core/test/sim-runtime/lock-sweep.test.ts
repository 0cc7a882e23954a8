import { describe, expect, it } from 'vitest';
import { runRuntimeScenario } from '../../src/sim/runtime/runtime-scenario.js';
import { runtimeReplayCommand } from '../../src/sim/runtime/runtime-sweep.js';

/**
 * Seeds on which the lock workload found a bug in production code (3 members, lock workload on):
 * 0x60 a Forwarder call waiting for a leader change it was never told of; 0x64 a shared session
 * registration failing callers with time left; 0x9f an aborted SharedLease caller leaving a grant
 * that failed unhandled.
 */
const REGRESSION_SEEDS = [0x60, 0x64, 0x9f];

async function failuresOf(seeds: readonly number[], members: 3 | 5): Promise<string[]> {
  const failures: string[] = [];
  for (const seed of seeds) {
    const outcome = await runRuntimeScenario(seed, members, { locks: true });
    if (outcome.failure !== undefined) {
      failures.push(`${outcome.failure} — replay: ${runtimeReplayCommand(seed, members, true)}`);
    }
  }
  return failures;
}

// The lock workload also runs in half the seeds of runtime-sweep.test.ts; `pnpm sim --runtime --locks on`
// runs it in every seed.
describe('locks, leases and named elections against the production runtime under faults', () => {
  it('the seeds that found bugs in production code', async () => {
    expect(await failuresOf(REGRESSION_SEEDS, 3)).toEqual([]);
  });

  it('replays a seed exactly (the same steps, events, grants and releases), exercising what the checks are about', async () => {
    const [a, b] = [
      await runRuntimeScenario(0x2a, 3, { locks: true }),
      await runRuntimeScenario(0x2a, 3, { locks: true }),
    ];
    expect(a.failure).toBeUndefined();
    expect(a.steps).toEqual(b.steps);
    expect(a.events).toBe(b.events);
    expect(a.locks).toEqual(b.locks);
    const l = a.locks!;
    expect(l.grantsChecked).toBeGreaterThan(20);
    expect(l.won).toBeGreaterThan(0);
    expect(l.expiryComparisons).toBeGreaterThan(0); // expiries applied again elsewhere, effects compared
    expect(l.restores).toBeGreaterThan(0); // snapshots installed or recovered
    expect(l.staleReleases).toBeGreaterThan(0); // refused, or the run had failed
    expect(l.timedOut + l.aborted).toBeGreaterThan(0); // waits given up, nothing left behind
  });
});
