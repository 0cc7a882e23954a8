import type { Env, TimerHandle } from '../../env.js';
import type { Rng } from '../rng.js';
import type { LocalClock, SimClock } from '../sim-clock.js';

/**
 * The Env one member incarnation of RuntimeSim runs on: its own drifting
 * clock over the simulation's global time, timers that are simulation events
 * (`schedule` drops them once the incarnation is gone), and seeded randomness.
 */
export function memberEnv(
  clock: LocalClock,
  global: SimClock,
  random: Rng,
  schedule: (atUs: number, job: (() => void) & { dead?: () => boolean }) => void,
  newId: () => string,
): Env {
  return {
    clock: { now: () => clock.localMs(global.nowUs) },
    timers: {
      setTimeout: (fn, delayMs): TimerHandle => {
        let cancelled = false;
        const atUs = clock.globalUsCeil(clock.localMs(global.nowUs) + Math.max(0, delayMs));
        const job = () => {
          if (!cancelled) fn();
        };
        // A cancelled timer is skipped by the simulation without running anything.
        schedule(Math.max(atUs, global.nowUs), Object.assign(job, { dead: () => cancelled }));
        return { cancel: () => (cancelled = true) };
      },
    },
    random: () => random.float(),
    newId,
  };
}
