import { formatSeed } from '../rng.js';
import { runRuntimeScenario } from './runtime-scenario.js';

/** The command that replays one runtime scenario exactly. */
export function runtimeReplayCommand(seed: number, members: number): string {
  return `pnpm sim --runtime --seed ${formatSeed(seed)} --members ${members}`;
}

/**
 * `pnpm sim --runtime`: runs `seeds` through runRuntimeScenario one after
 * another, prints every failing seed with its replay command and the last
 * steps of the first failure, and returns the process exit code.
 */
export async function runtimeSweep(seeds: readonly number[], members: 3 | 5): Promise<number> {
  const started = performance.now();
  let failed = 0;
  let firstReport: string | undefined;
  for (const seed of seeds) {
    const outcome = await runRuntimeScenario(seed, members);
    if (outcome.failure === undefined) {
      if (seeds.length === 1) console.log(`seed=${formatSeed(seed)} ok (${outcome.steps.length - 1} steps)`);
      continue;
    }
    failed++;
    console.log(`seed=${formatSeed(seed)} FAILED: ${runtimeReplayCommand(seed, members)}`);
    firstReport ??= [
      outcome.failure,
      ...outcome.steps.slice(0, 1),
      ...outcome.steps.slice(1).slice(-12),
    ].join('\n  ');
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `runtime seeds=${seeds.length} passed=${seeds.length - failed} failed=${failed} members=${members} ` +
      `time=${seconds.toFixed(1)}s seeds/s=${(seeds.length / seconds).toFixed(2)}`,
  );
  if (firstReport !== undefined) console.log(firstReport);
  return failed > 0 ? 1 : 0;
}
