import type { MonotonicClock } from '../env.js';
import { BatonError } from '../errors.js';

/** Why a leadership token stopped being valid; the `cause` of its signal's BATON_LEADERSHIP_LOST reason. */
export type LeadershipLostCause =
  | 'higher-term'
  | 'quorum-lost'
  | 'lease-expired'
  | 'transferred'
  | 'stopped'
  | 'released';

/**
 * Proof that this member leads the cluster (DESIGN.md §2.1), like DotNext's
 * LeadershipToken. `signal` aborts the moment leadership can no longer be
 * guaranteed; `valid` also checks the lease deadline against the clock now,
 * so code about to act as leader after a long pause sees the truth even
 * before the abort has run. `term` is a fencing token for work done as
 * leader: it grows with every new leader.
 */
export class LeadershipToken {
  /**
   * The Raft term this token was granted in: a fencing token for work done
   * as leader. Each later leader's term is larger; a resource that refuses a
   * term lower than the highest it has seen refuses a deposed leader.
   */
  readonly term: number;
  /**
   * Aborts the moment leadership can no longer be guaranteed, at the lease
   * deadline at the latest (as far as the event loop lets the timer run).
   * Its reason is a BATON_LEADERSHIP_LOST `BatonError` whose `cause` is a
   * {@link LeadershipLostCause}.
   */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #clock: MonotonicClock;
  #deadline: number;

  /** @internal Created by the runtime only. */
  constructor(term: number, deadline: number, clock: MonotonicClock) {
    this.term = term;
    this.#deadline = deadline;
    this.#clock = clock;
    this.signal = this.#controller.signal;
  }

  /** True while the signal has not aborted and the leader lease has not run out, checked now. */
  get valid(): boolean {
    return !this.signal.aborted && this.#clock.now() < this.#deadline;
  }

  /** @internal The lease deadline on the runtime's monotonic clock. */
  get deadline(): number {
    return this.#deadline;
  }

  /** @internal The lease was renewed. */
  extendTo(deadline: number): void {
    if (deadline > this.#deadline) this.#deadline = deadline;
  }

  /** @internal */
  abort(cause: LeadershipLostCause): void {
    if (this.signal.aborted) return;
    this.#deadline = Number.NEGATIVE_INFINITY;
    this.#controller.abort(
      new BatonError('BATON_LEADERSHIP_LOST', `leadership of term ${this.term} lost: ${cause}`, { cause }),
    );
  }

  /**
   * Lets go of the token: its signal aborts with cause 'released'; leadership
   * itself is kept, and the next `cluster.leadership()` call gets a new token
   * once the next heartbeat round renews the lease. Idempotent. Every caller
   * of `leadership()` in one term shares one token object, so disposing it
   * aborts it for all of them (including `runOnLeader` jobs).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.abort('released');
  }
}
