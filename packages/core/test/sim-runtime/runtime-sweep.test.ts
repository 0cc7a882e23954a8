import { describe, expect, it } from 'vitest';
import { runRuntimeScenario } from '../../src/sim/runtime/runtime-scenario.js';
import { runtimeReplayCommand } from '../../src/sim/runtime/runtime-sweep.js';

/** Seeds that once found a bug: 0xda and 0x318 gave two valid tokens before NodeLoop caught up ticks before stepping. */
const REGRESSION_SEEDS = [0xda, 0x318];

async function failuresOf(seeds: readonly number[], members: 3 | 5, workload = true): Promise<string[]> {
  const failures: string[] = [];
  for (const seed of seeds) {
    const outcome = await runRuntimeScenario(seed, members, { workload });
    if (outcome.failure !== undefined) {
      failures.push(`${outcome.failure} — replay: ${runtimeReplayCommand(seed, members)}`);
    }
  }
  return failures;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

// A short slice of `pnpm sim --runtime --seeds N`; longer sweeps run behind that script. Every seed runs
// its fault schedule with clients writing and reading through the Forwarders (kv-workload.ts).
describe('random fault schedules and a write-path workload against the production runtime', () => {
  it('the seeds that once found a bug, as they first ran (faults only) and with the workload', async () => {
    expect(await failuresOf(REGRESSION_SEEDS, 3, false)).toEqual([]);
    expect(await failuresOf(REGRESSION_SEEDS, 3)).toEqual([]);
  });

  // About 30 s each on an idle 2-core machine; the bound allows for a loaded one.
  it('3 members, seeds 1–400', { timeout: 240_000 }, async () => {
    expect(await failuresOf(range(1, 400), 3)).toEqual([]);
  });

  it('5 members, seeds 1–150', { timeout: 240_000 }, async () => {
    expect(await failuresOf(range(1, 150), 5)).toEqual([]);
  });

  it('replays a seed exactly: the same steps, events and history', async () => {
    const [a, b] = [await runRuntimeScenario(0x2a, 3), await runRuntimeScenario(0x2a, 3)];
    expect(a.steps).toEqual(b.steps);
    expect(a.steps.length).toBeGreaterThan(10);
    expect(a.events).toBe(b.events);
    expect(a.writePath?.operations).toBeGreaterThan(20);
    expect(a.writePath).toEqual(b.writePath);
  });

  it('a run over its caps fails with its seed instead of running on', async () => {
    const outcome = await runRuntimeScenario(0x2a, 3, { caps: { eventsMax: 500, virtualMsMax: 100_000 } });
    expect(outcome.capHit).toBe(true);
    expect(outcome.failure).toMatch(/^seed=0x2a: run cap hit: over 500 events/);
    // What ran last, by member, kind and function or message: a loop that fills the cap shows there.
    expect(outcome.failure).toMatch(/the last 501 events, over [\d.]+ ms: \d+ × n\d (io|timer) /);
    expect(outcome.failure).toMatch(/× n\d io append(Resp)? from n\d/);
    const late = await runRuntimeScenario(0x2a, 3, { caps: { eventsMax: 100_000, virtualMsMax: 500 } });
    expect(late.failure).toMatch(/^seed=0x2a: run cap hit: past 500 ms of virtual time/);
  });
});
