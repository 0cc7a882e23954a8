import type { Rng } from './rng.js';

/** Microseconds per millisecond: global simulated time is kept in integer microseconds. */
export const US_PER_MS = 1000;

/**
 * The one global, virtual time of a simulation, in integer microseconds. It
 * only moves forward, and only when the simulator takes the next event.
 */
export class SimClock {
  private current = 0;

  /** Global simulated time now, in microseconds. */
  get nowUs(): number {
    return this.current;
  }

  /** Moves time forward to `atUs`; time never goes back. */
  advanceTo(atUs: number): void {
    if (!(atUs >= this.current)) throw new RangeError(`time cannot go back: ${atUs} < ${this.current}`);
    this.current = atUs;
  }
}

/**
 * One member's own clock: it runs at `rate` times global time from a member
 * specific offset, as a quartz oscillator would. Members measure timeouts and
 * leases on this clock only; the checkers convert back to global time.
 */
export class LocalClock {
  /** Local milliseconds per global millisecond (1 ± drift). */
  readonly rate: number;
  /** Local reading, in ms, at global time 0. */
  readonly offsetMs: number;

  constructor(rate: number, offsetMs: number) {
    if (!(rate > 0)) throw new RangeError(`clock rate must be > 0: ${rate}`);
    this.rate = rate;
    this.offsetMs = offsetMs;
  }

  /** The member's local reading, in ms, at global time `globalUs`. */
  localMs(globalUs: number): number {
    return this.offsetMs + (this.rate * globalUs) / US_PER_MS;
  }

  /**
   * The global time (µs, fractional) at which the local clock reads `localMs`.
   * Infinite inputs map to the same infinity, so "no lease" (-Infinity) survives.
   */
  globalUs(localMs: number): number {
    if (!Number.isFinite(localMs)) return localMs;
    return ((localMs - this.offsetMs) * US_PER_MS) / this.rate;
  }

  /**
   * The first whole global microsecond at or after the local reading
   * `localMs` (within a microsecond: rounding may pick the next one), and
   * never one at which the local clock reads less than `localMs`. The round
   * trip through floating point can land on a microsecond that reads a hair
   * below it; a timer fired there would find its deadline not reached and
   * ask again for that same instant, forever, so it is skipped.
   */
  globalUsCeil(localMs: number): number {
    let us = Math.ceil(this.globalUs(localMs));
    while (this.localMs(us) < localMs) us++;
    return us;
  }
}

/**
 * Picks a member's clock from the seed: the rate differs from 1 by at most
 * `driftMax`. A third of members sit exactly at one of the two extremes,
 * where lease bugs live, the rest are spread uniformly in between. A
 * `fixedRate` overrides the drawn rate (the draws happen anyway, so the
 * offset stays the same).
 */
export function pickLocalClock(rng: Rng, driftMax: number, fixedRate?: number): LocalClock {
  if (!(driftMax >= 0 && driftMax < 1)) throw new RangeError(`driftMax must be in [0, 1): ${driftMax}`);
  const shape = rng.int(0, 5);
  const drawn =
    shape === 0 ? 1 - driftMax : shape === 1 ? 1 + driftMax : rng.real(1 - driftMax, 1 + driftMax);
  const rate = fixedRate ?? drawn;
  const offsetMs = rng.int(0, 1_000_000) / 7;
  return new LocalClock(rate, offsetMs);
}
