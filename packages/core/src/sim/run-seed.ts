import { type InvariantName, InvariantViolation } from './invariant-violation.js';
import { formatSeed } from './rng.js';
import type { SimulatorOptions } from './sim-options.js';
import { type SimResult, Simulator } from './simulator.js';

/** The outcome of running one seed through the full simulator. */
export type SeedOutcome =
  | { readonly ok: true; readonly seed: number; readonly result: SimResult; readonly ms: number }
  | {
      readonly ok: false;
      readonly seed: number;
      readonly error: unknown;
      /** The invariant broken, or undefined when the run threw something else (a crash in the core). */
      readonly invariant: InvariantName | undefined;
      /** `seed=0x…`, the replay command, the error and the trace tail, ready to print. */
      readonly report: string;
      readonly ms: number;
    };

/** The one-line command that replays a seed exactly. */
export function replayCommand(seed: number, members: number): string {
  return `pnpm sim --seed ${formatSeed(seed)} --members ${members}`;
}

/**
 * Runs `options.seed` through `Simulator.run()` and never throws: a failure
 * comes back with a report naming the seed, the command that replays it and
 * the last trace lines.
 */
export function runSeed(options: SimulatorOptions, traceTailLines = 200): SeedOutcome {
  const started = performance.now();
  let sim: Simulator | undefined;
  try {
    sim = new Simulator(options);
    const result = sim.run();
    return { ok: true, seed: options.seed, result, ms: performance.now() - started };
  } catch (error) {
    const members = sim?.options.members ?? options.members ?? 3;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const tail = sim ? sim.trace.tail(traceTailLines) : [];
    const report = [
      `seed=${formatSeed(options.seed)} members=${members} FAILED`,
      `replay: ${replayCommand(options.seed, members)}`,
      message,
      `--- last ${tail.length} trace lines ---`,
      ...tail,
    ].join('\n');
    return {
      ok: false,
      seed: options.seed,
      error,
      invariant: error instanceof InvariantViolation ? error.invariant : undefined,
      report,
      ms: performance.now() - started,
    };
  }
}
