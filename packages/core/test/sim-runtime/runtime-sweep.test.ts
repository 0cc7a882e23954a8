import { describe, expect, it } from 'vitest';
import { runRuntimeScenario } from '../../src/sim/runtime/runtime-scenario.js';
import { runtimeReplayCommand } from '../../src/sim/runtime/runtime-sweep.js';

/** Seeds that once found a bug: 0xda and 0x318 gave two valid tokens before NodeLoop caught up ticks before stepping. */
const REGRESSION_SEEDS = [0xda, 0x318];

async function failuresOf(seeds: readonly number[], members: 3 | 5): Promise<string[]> {
  const failures: string[] = [];
  for (const seed of seeds) {
    const outcome = await runRuntimeScenario(seed, members);
    if (outcome.failure !== undefined) {
      failures.push(`${outcome.failure} — replay: ${runtimeReplayCommand(seed, members)}`);
    }
  }
  return failures;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

// A short slice of `pnpm sim --runtime --seeds N`; longer sweeps run behind that script.
describe('random fault schedules against the production runtime', () => {
  it('the seeds that once found a bug', async () => {
    expect(await failuresOf(REGRESSION_SEEDS, 3)).toEqual([]);
  });

  it('3 members, seeds 1–400', async () => {
    expect(await failuresOf(range(1, 400), 3)).toEqual([]);
  });

  it('5 members, seeds 1–200', async () => {
    expect(await failuresOf(range(1, 200), 5)).toEqual([]);
  });

  it('replays a seed exactly', async () => {
    const [a, b] = [await runRuntimeScenario(0x2a, 3), await runRuntimeScenario(0x2a, 3)];
    expect(a.steps).toEqual(b.steps);
    expect(a.steps.length).toBeGreaterThan(10);
  });
});
