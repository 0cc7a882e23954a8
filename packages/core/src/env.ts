/**
 * Every source of nondeterminism the runtime uses, injected: the simulator
 * passes virtual ones, production passes realEnv(). Safety decisions (the
 * leader lease, token validity) use `clock.now()`, a monotonic clock — never
 * Date.now().
 */

/** A monotonic clock in milliseconds (fractions allowed). */
export interface MonotonicClock {
  /** Milliseconds since an arbitrary origin; never decreases. `performance.now()` fits. */
  now(): number;
}

/** A timer that can be cancelled. */
export interface TimerHandle {
  /** Cancels the timer; a no-op once it has fired or been cancelled. */
  cancel(): void;
}

/** One-shot timers on the same clock. */
export interface Timers {
  /** Calls `fn` once after `delayMs` on this clock, unless cancelled first. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
}

/** The logging surface the runtime uses; a pino logger fits it. */
export interface Logger {
  /** Detail for debugging: retries, dropped messages, snapshots taken. */
  debug(obj: object, msg: string): void;
  /** Routine events: role changes, links coming up, a member starting or stopping. */
  info(obj: object, msg: string): void;
  /** What an operator should look at: a peer unreachable or refusing the secret, storage trouble. */
  warn(obj: object, msg: string): void;
  /** Failures: a member stopping because its storage failed, a listener or leader job that threw. */
  error(obj: object, msg: string): void;
  /** pino's `child`; accepted so a pino logger fits, not called by Baton today. */
  child?(bindings: object): Logger;
}

/**
 * The runtime's sources of time, randomness and ids. Production uses the
 * real ones; tests and the simulator pass virtual ones (through
 * `Cluster.start`'s test hooks).
 */
export interface Env {
  /** The monotonic clock every safety decision (leases, token validity) is made on. */
  readonly clock: MonotonicClock;
  /** Timers on `clock`. */
  readonly timers: Timers;
  /** Uniform in [0, 1): election timeouts and reconnect jitter. */
  readonly random: () => number;
  /** Unique ids for requests (forwarded proposals, reads). */
  readonly newId: () => string;
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
