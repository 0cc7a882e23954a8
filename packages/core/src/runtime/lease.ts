import { setMaxListeners } from 'node:events';
import type { MonotonicClock } from '../env.js';
import { BatonError } from '../errors.js';

/** Why a lease stopped being valid; the `cause` of its signal's BATON_LEASE_EXPIRED reason. */
export type LeaseLostCause =
  /** No keep-alive was acknowledged in time: the leader may have expired it. */
  | 'keepalive-timeout'
  /** The leader expired it (its holder was cut off, paused, or dead for a TTL). */
  | 'expired'
  /** Revoked, by this handle or by another holder of its id. */
  | 'revoked'
  /** The member stopped. */
  | 'stopped';

/**
 * A lease granted by the cluster (DESIGN.md §1, §2.3), kept alive
 * automatically from this member. `signal` aborts — with a
 * BATON_LEASE_EXPIRED reason whose `cause` says why — no later than the
 * moment the leader could expire it: the deadline is the send time of the
 * newest acknowledged keep-alive plus the TTL shortened by the clock drift
 * bound. `valid` checks that deadline against the clock now.
 */
export class Lease {
  /** The lease's id: the log index of the entry that granted it (never reused). */
  readonly id: number;
  /** The time-to-live asked for, in ms: the leader expires the lease this long after the last keep-alive it heard. */
  readonly ttlMs: number;
  /**
   * Aborts when the lease may have expired or has ended, with a
   * BATON_LEASE_EXPIRED `BatonError` whose `cause` is a {@link LeaseLostCause}.
   */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #clock: MonotonicClock;
  readonly #revoke: () => Promise<void>;
  #deadline: number;
  #revoking: Promise<void> | undefined;

  /** @internal Created by LeaseClient only. */
  constructor(
    id: number,
    ttlMs: number,
    deadline: number,
    clock: MonotonicClock,
    revoke: () => Promise<void>,
  ) {
    this.id = id;
    this.ttlMs = ttlMs;
    this.#deadline = deadline;
    this.#clock = clock;
    this.#revoke = revoke;
    this.signal = this.#controller.signal;
    // Each lock or campaign held on this lease may listen to it until it ends: more than ten at once
    // is normal here, so Node's leak warning would only alarm.
    setMaxListeners(0, this.signal);
  }

  /** True while the signal has not aborted and the deadline has not passed, checked now. */
  get valid(): boolean {
    return !this.signal.aborted && this.#clock.now() < this.#deadline;
  }

  /** @internal The deadline on the runtime's monotonic clock. */
  get deadline(): number {
    return this.#deadline;
  }

  /** @internal A keep-alive was acknowledged. */
  extendTo(deadline: number): void {
    if (deadline > this.#deadline) this.#deadline = deadline;
  }

  /** @internal */
  abort(cause: LeaseLostCause): void {
    if (this.signal.aborted) return;
    this.#deadline = Number.NEGATIVE_INFINITY;
    this.#controller.abort(
      new BatonError('BATON_LEASE_EXPIRED', `lease ${this.id} lost: ${cause}`, { cause }),
    );
  }

  /**
   * Revokes the lease in the cluster (every lock it holds is released at
   * once, not after its TTL). The lease is invalid (signal aborted, cause
   * 'revoked') from the call on: the revocation may grant its locks to
   * other members as soon as it commits, before its answer is back here.
   * Idempotent: every call returns the same promise.
   */
  revoke(): Promise<void> {
    this.#revoking ??= this.#revoke();
    return this.#revoking;
  }

  /** `revoke()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.revoke();
  }
}
