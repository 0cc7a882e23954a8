import type { Env, TimerHandle } from '../../env.js';
import type { Rng } from '../rng.js';
import type { LocalClock, SimClock } from '../sim-clock.js';

/** Something RuntimeSim runs at a scheduled time; `dead` says it would do nothing now, so it is skipped. */
export interface SimJob {
  run(): void;
  dead?(): boolean;
  /** What it is, for a report of the events before a run cap: whose, which kind, which function. */
  label?(): string;
}

/** A one-shot timer as a job: cancelling it makes it dead, and the simulation skips it unrun. */
export class SimTimer implements SimJob, TimerHandle {
  private cancelled = false;

  constructor(private readonly fn: () => void) {}

  run(): void {
    if (!this.cancelled) this.fn();
  }

  dead(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    this.cancelled = true;
  }

  label(): string {
    return functionLabel(this.fn);
  }
}

/** A function as a run-cap report names it: its name, else the start of its source (arrow functions). */
export function functionLabel(fn: () => void): string {
  if (fn.name !== '' && fn.name !== 'run') return fn.name;
  const source = String(fn).replace(/\s+/g, ' ');
  return source.length > 70 ? `${source.slice(0, 69)}…` : source;
}

/**
 * The Env one member incarnation of RuntimeSim runs on: its own drifting
 * clock over the simulation's global time, timers that are simulation events
 * (`schedule` drops them once the incarnation is gone), and seeded randomness.
 */
export function memberEnv(
  clock: LocalClock,
  global: SimClock,
  random: Rng,
  schedule: (atUs: number, job: SimJob) => void,
  newId: () => string,
): Env {
  return {
    clock: { now: () => clock.localMs(global.nowUs) },
    timers: {
      setTimeout(fn, delayMs): TimerHandle {
        const atUs = clock.globalUsCeil(clock.localMs(global.nowUs) + Math.max(0, delayMs));
        const timer = new SimTimer(fn);
        schedule(Math.max(atUs, global.nowUs), timer);
        return timer;
      },
    },
    random: () => random.float(),
    newId,
  };
}
