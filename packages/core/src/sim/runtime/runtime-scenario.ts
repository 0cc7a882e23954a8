import type { MemberId } from '../../raft/types.js';
import { formatSeed, Rng } from '../rng.js';
import { KvWorkload } from './kv-workload.js';
import { type LockStats, settleAndCheckLocks } from './lock-check.js';
import { runLockProbe } from './lock-probes.js';
import { LockWorkload, type LockWorkloadOptions } from './lock-workload.js';
import { injectFaults, type ProbeHook } from './runtime-faults.js';
import { RunCapExceeded } from './runtime-invariants.js';
import { RuntimeSim } from './runtime-sim.js';
import { settleAndCheckWritePath, type WritePathStats } from './write-path-check.js';
import { runProbe } from './write-path-probes.js';

/** Cluster timings a scenario draws from: the defaults, a fast one, and a narrow election range. */
const TIMINGS: readonly { heartbeatMs: number; electionTimeoutMs: readonly [number, number] }[] = [
  { heartbeatMs: 50, electionTimeoutMs: [300, 600] },
  { heartbeatMs: 20, electionTimeoutMs: [100, 200] },
  { heartbeatMs: 50, electionTimeoutMs: [300, 310] },
];

/** Caps of one runtime scenario: far above what a passing seed takes (~10k events, ~40 s virtual). */
export const RUNTIME_SCENARIO_CAPS = { eventsMax: 300_000, virtualMsMax: 200_000 } as const;

/** Share of seeds (with a workload) that also run the lock workload. */
export const LOCK_WORKLOAD_SHARE = 0.5;

/** Variations of a runtime scenario (the fault schedule is always drawn from the seed). */
export interface RuntimeScenarioOptions {
  /**
   * Clients during the faults (default true): writing and reading registers
   * through the members' Forwarders, and — in a share of seeds
   * (LOCK_WORKLOAD_SHARE) — taking locks, campaigning in named elections and
   * granting leases (lock-workload.ts).
   */
  readonly workload?: boolean;
  /** Run the lock workload whatever the seed draws (true) or never (false). */
  readonly locks?: boolean;
  /** Overrides RUNTIME_SCENARIO_CAPS (tests of the caps themselves). */
  readonly caps?: { readonly eventsMax: number; readonly virtualMsMax: number };
}

/** How one runtime scenario ended, and what it did. */
export interface RuntimeScenarioOutcome {
  readonly seed: number;
  readonly members: number;
  /** The checker's error (it names the seed), or undefined when every check held. */
  readonly failure: string | undefined;
  /** A run cap was hit (see RUNTIME_SCENARIO_CAPS). */
  readonly capHit: boolean;
  /** What was done, with simulated times: the tail explains a failure. */
  readonly steps: readonly string[];
  /** The write-path workload's figures, when it ran and passed. */
  readonly writePath: WritePathStats | undefined;
  /** The lock workload's figures, when it ran and passed. */
  readonly locks: LockStats | undefined;
  readonly events: number;
  /** Virtual time the run took, ms. */
  readonly virtualMs: number;
}

/**
 * One random fault schedule against the production runtime (RuntimeSim),
 * derived only from `seed` (runtime-faults.ts: pauses, cuts, transfers,
 * partitions, crashes and restarts of a minority, slow disks; plus message
 * loss and delays, one of three timings, sometimes frequent snapshots), with
 * clients writing and reading registers on random members meanwhile
 * (kv-workload.ts). The RuntimeSim checks after every event that at most one
 * token is valid, that no term has two leaders, that nothing is applied
 * before it is durable, that no value is applied twice and that members
 * agree on what they applied. After the faults are healed and every member
 * restarted, a member must hold a valid token within ten election timeouts,
 * and the write path must pass settleAndCheckWritePath (no acknowledged write
 * lost, the history linearizable). The same seed replays the same run exactly.
 */
export async function runRuntimeScenario(
  seed: number,
  members: 3 | 5,
  options: RuntimeScenarioOptions = {},
): Promise<RuntimeScenarioOutcome> {
  const ids: MemberId[] = Array.from({ length: members }, (_, i) => `n${i + 1}`);
  const rng = Rng.fromSeed(seed).fork('runtime-scenario');
  const timing = rng.pick(TIMINGS);
  const dropRate = rng.chance(0.3) ? 0.02 : 0;
  const delayMs = rng.chance(0.5) ? ([0.1, 2] as const) : ([0.1, 15] as const);
  const draws = rng.fork('write-path');
  const withWorkload = options.workload !== false;
  const lockDraws = rng.fork('locks');
  const withLocks = withWorkload && (options.locks ?? lockDraws.chance(LOCK_WORKLOAD_SHARE));
  // Frequent snapshots put snapshot installs and restores under the workload (not in the fault-only replay).
  const snapshotEntries =
    withWorkload && draws.chance(0.3)
      ? draws.int(5, 40)
      : withLocks && lockDraws.chance(0.3)
        ? lockDraws.int(5, 40)
        : undefined;
  const sim = new RuntimeSim({
    seed,
    members: ids,
    afterPause: 'random',
    dropRate,
    delayMs,
    snapshotEntries,
    extremeClocks: withWorkload && draws.chance(0.7),
    ...(options.caps ?? RUNTIME_SCENARIO_CAPS),
    ...timing,
  });
  const steps = [
    `timing ${JSON.stringify(timing)}, drop ${dropRate}, delay ${delayMs.join('–')} ms` +
      (snapshotEntries !== undefined ? `, snapshot every ${snapshotEntries} entries` : ''),
  ];
  const note = (what: string) => steps.push(`${sim.nowMs.toFixed(3)} ms: ${what}`);
  const electionMs = timing.electionTimeoutMs[0];
  const down = new Set<MemberId>();
  const workload = !withWorkload
    ? undefined
    : new KvWorkload(sim, draws.fork('clients'), {
        members: ids,
        clients: draws.int(2, 4),
        keys: draws.int(1, 3),
        timeoutMs: draws.pick([0.5, 1, 3]) * timing.electionTimeoutMs[1],
        thinkMs: [1, draws.pick([20, 60, 150])],
        readShare: draws.real(0.3, 0.7),
      });
  const locks = !withLocks
    ? undefined
    : new LockWorkload(sim, lockDraws.fork('clients'), lockOptions(ids, timing, lockDraws));
  let capHit = false;
  const outcome = (
    failure: string | undefined,
    writePath?: WritePathStats,
    lockStats?: LockStats,
  ): RuntimeScenarioOutcome => ({
    seed,
    members,
    failure,
    capHit: failure !== undefined && capHit,
    steps,
    writePath,
    locks: lockStats,
    events: sim.eventCount,
    virtualMs: sim.nowMs,
  });
  // A promise of the runtime rejected with nobody listening would end a real process: a failure of the seed.
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  sim.addCheck(() => {
    if (unhandled.length > 0) throw new Error(`unhandled rejection: ${String(unhandled[0])}`);
  });
  try {
    for (const id of ids) await sim.start(id);
    workload?.start();
    locks?.start();
    await sim.runUntil(sim.nowMs + electionMs * rng.real(2, 3));
    const probeRng = draws.fork('probes');
    const probe: ProbeHook | undefined = workload && {
      rng: probeRng,
      share: 0.25,
      // With the lock workload, a third of the probes are lock probes (lock-probes.ts).
      run: (leader) =>
        locks && probeRng.chance(1 / 3)
          ? runLockProbe(
              { sim, locks, ids, down, electionTimeoutMs: timing.electionTimeoutMs, note },
              probeRng,
              leader,
            )
          : runProbe(
              { sim, workload, ids, down, electionTimeoutMs: timing.electionTimeoutMs, note },
              probeRng,
              leader,
            ),
    };
    await injectFaults(sim, rng, ids, electionMs, down, note, probe);
    sim.heal();
    for (const id of ids) sim.slowDisk(id, 0);
    // Everyone back: the write-path checks want every member to hold every acknowledged write.
    if (withWorkload) for (const id of down) await sim.start(id);
    // Liveness (§2.5): healed, with a majority up, some member holds a valid token again.
    const budgetMs = 10 * electionMs;
    if (!(await sim.runUntilTrue(() => sim.validHolders().length === 1, budgetMs))) {
      return outcome(
        `seed=${formatSeed(seed)}: no valid leadership token within ${budgetMs} ms after healing`,
      );
    }
    if (!workload) return outcome(undefined);
    note('healed; write path settles');
    const settleFromMs = sim.nowMs;
    const checked = await settleAndCheckWritePath(sim, workload, ids, 2 * budgetMs + 2 * workload.timeoutMs);
    note(`write path settled in ${(sim.nowMs - settleFromMs).toFixed(0)} ms`);
    if ('failure' in checked) return outcome(checked.failure);
    if (!locks) return outcome(undefined, checked.stats);
    const lockChecked = await settleAndCheckLocks(sim, locks, ids, budgetMs, lockDraws.fork('final'));
    note('locks settled');
    return 'failure' in lockChecked
      ? outcome(lockChecked.failure)
      : outcome(undefined, checked.stats, lockChecked.stats);
  } catch (error) {
    capHit = error instanceof RunCapExceeded;
    return outcome(error instanceof Error ? error.message : String(error));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

/** The lock workload's shape, drawn from `rng`: TTLs of one to three maximum election timeouts, a few contended names. */
function lockOptions(
  ids: readonly MemberId[],
  timing: { readonly electionTimeoutMs: readonly [number, number] },
  rng: Rng,
): LockWorkloadOptions {
  const electionMaxMs = timing.electionTimeoutMs[1];
  const ttlMs = Math.ceil(rng.pick([1, 1.5, 3]) * electionMaxMs);
  return {
    members: ids,
    ttlMs,
    lockNames: rng.chance(0.5) ? ['a'] : ['a', 'b'],
    electionNames: rng.chance(0.7) ? ['e'] : ['e', 'f'],
    lockWorkers: rng.int(2, 4),
    candidates: rng.int(1, 2),
    leaseWorkers: rng.int(0, 1),
    instancesPerMember: rng.int(1, 2),
    thinkMs: [1, rng.pick([40, 100, 250])],
    waitMs: [0.2 * electionMaxMs, 3 * electionMaxMs],
    holdMs: [1, rng.pick([0.1, 0.5]) * ttlMs],
  };
}
