/**
 * Every source of nondeterminism the runtime uses, injected: the simulator
 * passes virtual ones, production passes realEnv(). Safety decisions (the
 * leader lease, token validity) use `clock.now()`, a monotonic clock — never
 * Date.now().
 */

/** A monotonic clock in milliseconds (fractions allowed). */
export interface MonotonicClock {
  now(): number;
}

export interface TimerHandle {
  cancel(): void;
}

/** One-shot timers on the same clock. */
export interface Timers {
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
}

/** The logging surface the runtime uses; a pino logger fits it. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child?(bindings: object): Logger;
}

export interface Env {
  readonly clock: MonotonicClock;
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
