import { BatonError } from '../errors.js';

/** How reconnect delays grow. */
export interface BackoffOptions {
  /** The ceiling of the first delay. */
  readonly baseMs: number;
  /** No delay is ever longer than this. */
  readonly maxMs: number;
  /** Uniform random number in [0, 1); injected so tests and the simulator replay exactly. */
  readonly random: () => number;
}

/** Attempts past this no longer double the ceiling; it keeps `2 ** attempt` finite. */
const DOUBLINGS_MAX = 30;

/**
 * The delay before retry number `attempt` (0 for the first retry): a ceiling
 * of `min(maxMs, baseMs * 2^attempt)`, of which half is fixed and half is
 * random ("equal jitter"). The fixed half keeps a peer that is down from
 * being hammered; the random half keeps members that lost the same peer at
 * the same instant from redialling in lock-step. Always in [ceiling/2, ceiling].
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const doublings = Math.min(Math.max(0, Math.floor(attempt)), DOUBLINGS_MAX);
  const ceilingMs = Math.min(options.maxMs, options.baseMs * 2 ** doublings);
  const r = options.random();
  // A random source that strays outside [0, 1) must not produce a delay outside the promised range.
  const jitter = r >= 0 && r < 1 ? r : 0;
  return ceilingMs / 2 + (jitter * ceilingMs) / 2;
}

/** Checks backoff options, naming the field that is wrong. */
export function validateBackoffOptions(options: BackoffOptions, fieldPrefix: string): void {
  if (!(Number.isFinite(options.baseMs) && options.baseMs > 0)) {
    throw new BatonError('BATON_CONFIG', `${fieldPrefix}.baseMs must be a positive number`, {
      field: `${fieldPrefix}.baseMs`,
      value: options.baseMs,
    });
  }
  if (!(Number.isFinite(options.maxMs) && options.maxMs >= options.baseMs)) {
    throw new BatonError('BATON_CONFIG', `${fieldPrefix}.maxMs must be a number >= baseMs`, {
      field: `${fieldPrefix}.maxMs`,
      value: options.maxMs,
    });
  }
}

/** A retry counter: each `nextDelayMs()` grows the ceiling until `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next retry; each call counts one more failed attempt. */
  nextDelayMs(): number {
    const delayMs = backoffDelayMs(this.attempt, this.options);
    if (this.attempt < DOUBLINGS_MAX) this.attempt += 1;
    return delayMs;
  }

  /** Call after a success: the next failure starts again from `baseMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
