import { formatSeed } from '../rng.js';
import { type RuntimeScenarioOutcome, runRuntimeScenario } from './runtime-scenario.js';

/** A long sweep prints a progress line this often (wall clock), so a slow seed is never silent. */
const PROGRESS_EVERY_MS = 10_000;

/** The command that replays one runtime scenario exactly (`locks`: the lock workload forced on or off). */
export function runtimeReplayCommand(seed: number, members: number, locks?: boolean): string {
  const forced = locks === undefined ? '' : ` --locks ${locks ? 'on' : 'off'}`;
  return `pnpm sim --runtime --seed ${formatSeed(seed)} --members ${members}${forced}`;
}

/**
 * `pnpm sim --runtime`: runs `seeds` through runRuntimeScenario one after
 * another, prints every failing seed with its replay command, a progress
 * line every 10 s, and the last steps of the first failure; returns the
 * process exit code. Every seed ends: a run past its caps fails.
 */
export async function runtimeSweep(
  seeds: readonly number[],
  members: 3 | 5,
  options: { readonly locks?: boolean } = {},
): Promise<number> {
  const started = performance.now();
  let lastProgress = started;
  let failed = 0;
  let firstReport: string | undefined;
  for (const [i, seed] of seeds.entries()) {
    const outcome = await runRuntimeScenario(seed, members, options);
    const now = performance.now();
    if (now - lastProgress > PROGRESS_EVERY_MS) {
      lastProgress = now;
      console.log(
        `… ${i + 1}/${seeds.length} seeds (last ${formatSeed(seed)}), ${failed} failed, ` +
          `${((i + 1) / ((now - started) / 1000)).toFixed(1)} seeds/s`,
      );
    }
    if (outcome.failure === undefined) {
      if (seeds.length === 1) console.log(`seed=${formatSeed(seed)} ok: ${summary(outcome)}`);
      continue;
    }
    failed++;
    console.log(
      `seed=${formatSeed(seed)} FAILED${outcome.capHit ? ' (run cap)' : ''}: ${runtimeReplayCommand(seed, members, options.locks)}`,
    );
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

function summary(o: RuntimeScenarioOutcome): string {
  const w = o.writePath;
  const writes = w
    ? `, ${w.operations} operations (${w.ackedWrites} writes acked, ${w.okReads} reads, ${w.unknown} unknown), ` +
      `linearizable in ${w.searchSteps} search steps, history ${w.historyHash}`
    : '';
  const l = o.locks;
  const locks = l
    ? `; locks: ${l.granted} granted, ${l.won} elections won, ${l.released} released, ${l.timedOut} timed out, ` +
      `${l.aborted} aborted, ${l.tryHeld} tryAcquire found taken, ${l.staleReleases} stale releases refused, ` +
      `${l.expiries} expiries (${l.expiryComparisons} re-applications compared), ${l.restores} snapshot restores, ` +
      `${l.grantsChecked} grants checked, free everywhere ${l.quietAfterMs.toFixed(0)} ms after the clients stopped`
    : '';
  return `${o.steps.length - 1} steps, ${o.events} events, ${(o.virtualMs / 1000).toFixed(1)} s simulated${writes}${locks}`;
}
