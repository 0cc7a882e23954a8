import { Rng } from '../../packages/core/src/sim/rng.js';

/**
 * Whom a process fault hits: a member id, whoever leads when the step
 * starts, or (pauses only) the next member to read the fenced counter while
 * holding a lock — frozen between its read and its write, as a GC pause
 * would, so its write comes late and must be refused for its stale token.
 * Every second such step isolates the holder instead ('isolate').
 */
export type Target = string | 'leader' | 'holder';

/** One fault; links are named by the member that dials (and sends on) them. */
export type Fault =
  /** `a` and `b` stop hearing each other (`both`), or `b` stops hearing `a` (`one`). */
  | {
      readonly kind: 'cut';
      readonly a: string;
      readonly b: string;
      readonly way: 'both' | 'one';
      readonly mode: CutMode;
    }
  /** `side` and the rest stop hearing each other; 'leader' isolates the leader of the moment. */
  | { readonly kind: 'partition'; readonly side: readonly Target[]; readonly mode: CutMode }
  /** Both directions between `a` and `b` gain `delayMs` per chunk and are limited to `bytesPerSec` (0: unlimited). */
  | {
      readonly kind: 'slow';
      readonly a: string;
      readonly b: string;
      readonly delayMs: number;
      readonly bytesPerSec: number;
    }
  /** SIGKILL, then a restart from the member's dataDir when the step ends. */
  | { readonly kind: 'kill'; readonly target: Target }
  /** SIGSTOP, then SIGCONT when the step ends. */
  | { readonly kind: 'pause'; readonly target: Target }
  /**
   * The next careless lock holder to read the fenced counter is cut off from
   * every peer (its connections held) and its read answered only when the
   * step ends: unlike a SIGSTOP it runs on, checking `valid`, while the
   * leader expires its lease and grants the lock to another member — so a
   * holder whose deadline outlasts the leader's expiry shows as an overlap.
   */
  | { readonly kind: 'isolate'; readonly target: 'holder' };

/** `hold`: connections stall (bytes arrive late if they survive); `reset`: connections are refused. */
export type CutMode = 'hold' | 'reset';

export interface Step {
  /** Milliseconds after the faults phase began. */
  readonly atMs: number;
  readonly durationMs: number;
  readonly fault: Fault;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly ids: readonly string[];
  /** Length of the faults phase; no step starts or ends after it. */
  readonly seconds: number;
}

/** Calm time before the first episode, so the cluster has formed and the workloads run. */
const LEAD_IN_MS = 1500;
const EPISODE_MS: readonly [number, number] = [800, 6000];
const GAP_MS: readonly [number, number] = [200, 2500];

/**
 * The faults of a run, from the seed alone (printed, and replayed by the
 * same seed). Time is cut into episodes of 1–3 overlapping faults, each
 * followed by a healthy gap; no episode takes more than a minority of the
 * members down (killed or paused), so the cluster is expected to keep
 * serving in between, but links may fail in any pattern, including ones
 * that leave no working quorum for a while.
 */
export function makeSchedule(options: ScheduleOptions): Step[] {
  const rng = Rng.fromSeed(options.seed).fork('chaos-schedule');
  const endMs = options.seconds * 1000;
  const downMax = Math.floor((options.ids.length - 1) / 2);
  const steps: Step[] = [];
  let t = LEAD_IN_MS;
  /** Every second holder step isolates its holder instead of freezing it (no draw, so schedules stay put). */
  let holderSteps = 0;
  while (t + EPISODE_MS[0] <= endMs) {
    const length = Math.min(rng.int(EPISODE_MS[0], EPISODE_MS[1]), endMs - t);
    const faults = rng.int(1, 3);
    const down = new Set<Target>();
    for (let i = 0; i < faults; i++) {
      const drawn = drawFault(rng, options.ids, down, downMax);
      const start = rng.int(0, Math.floor(length / 2));
      const holderStep = drawn.kind === 'pause' && drawn.target === 'holder';
      const durationMs = holderStep
        ? rng.int(3500, 6000)
        : drawn.kind === 'pause' && rng.chance(0.5)
          ? rng.int(50, 400)
          : rng.int(150, length - start);
      const endsBy = holderStep ? endMs - t - start : length - start;
      const fault: Fault =
        holderStep && holderSteps++ % 2 === 1 ? { kind: 'isolate', target: 'holder' } : drawn;
      steps.push({ atMs: t + start, durationMs: Math.max(1, Math.min(durationMs, endsBy)), fault });
    }
    t += length + rng.int(GAP_MS[0], GAP_MS[1]);
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

function drawFault(rng: Rng, ids: readonly string[], down: Set<Target>, downMax: number): Fault {
  const roll = rng.float();
  const canDown = down.size < downMax;
  if (canDown && roll < 0.3) {
    // Leaders are where the interesting bugs are: a quarter of process faults hit whoever leads.
    const free = ids.filter((id) => !down.has(id));
    const holder = !down.has('holder') && rng.chance(0.25);
    const target: Target = holder
      ? 'holder'
      : !down.has('leader') && rng.chance(0.35)
        ? 'leader'
        : rng.pick(free);
    down.add(target);
    if (holder) return { kind: 'pause', target };
    return rng.chance(0.45) ? { kind: 'kill', target } : { kind: 'pause', target };
  }
  const [a, b] = rng.shuffle(ids) as [string, string];
  const mode: CutMode = rng.chance(0.5) ? 'hold' : 'reset';
  if (roll < 0.55) return { kind: 'cut', a, b, way: rng.chance(0.5) ? 'both' : 'one', mode };
  if (roll < 0.8) {
    const sideSize = rng.int(1, Math.floor(ids.length / 2));
    const side: Target[] = rng.chance(0.4) ? ['leader'] : rng.shuffle(ids).slice(0, sideSize);
    return { kind: 'partition', side, mode };
  }
  const bytesPerSec = rng.chance(0.5) ? rng.pick([2_000, 20_000, 200_000]) : 0;
  return { kind: 'slow', a, b, delayMs: rng.int(0, 150), bytesPerSec };
}

/** One line per step, for the run's printout. */
export function describeStep(step: Step): string {
  const at = `+${(step.atMs / 1000).toFixed(3)}s`.padStart(9);
  return `${at} ${describeFault(step.fault)} for ${step.durationMs} ms`;
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'cut':
      return `cut ${fault.a}${fault.way === 'both' ? '<->' : '->'}${fault.b} (${fault.mode})`;
    case 'partition':
      return `partition [${fault.side.join(',')}] from the rest (${fault.mode})`;
    case 'slow':
      return `slow ${fault.a}<->${fault.b} +${fault.delayMs} ms${fault.bytesPerSec > 0 ? ` ${fault.bytesPerSec} B/s` : ''}`;
    case 'kill':
      return `SIGKILL ${fault.target}, restart after`;
    case 'pause':
      return fault.target === 'holder'
        ? 'SIGSTOP the next careless lock holder between its read and its write, SIGCONT after'
        : `SIGSTOP ${fault.target}, SIGCONT after`;
    case 'isolate':
      return 'cut the next careless lock holder off between its read and its write, its read answered after';
  }
}
