import { BatonError, type Lease } from '@baton/core';

/**
 * Winning a named election (DESIGN.md §1): this member leads `name` until
 * it resigns or its lease is lost. `fencingToken` is the index of the entry
 * that made it the winner — larger than every earlier winner's. `signal`
 * aborts (BATON_LEADERSHIP_LOST, with a cause) before any other candidate
 * can win: the lease's own deadline passes before the leader can expire it.
 * `valid` checks that deadline against the clock now. `value` is what this
 * winner announces (its URL, say).
 */
export class ElectionLeadership {
  /** The election's name. */
  readonly name: string;
  /** The index of the entry that made this candidate the winner: larger than every earlier winner's. */
  readonly fencingToken: number;
  /** What this winner announces (the `value` given to `campaign`). */
  readonly value: string | undefined;
  /**
   * Aborts when the win is lost or given up, with a BATON_LEADERSHIP_LOST
   * `BatonError` whose `cause` is the lease's cause (`'keepalive-timeout'`,
   * `'expired'`, `'revoked'`, `'stopped'`) or `'resigned'`.
   */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #lease: Lease;
  /** Listens on the lease's signal until this handle is lost: the lease outlives many handles. */
  readonly #onLeaseLost: () => void;
  readonly #resign: () => Promise<void>;
  #resigning: Promise<void> | undefined;

  /** @internal Created by Election. */
  constructor(
    name: string,
    fencingToken: number,
    value: string | undefined,
    lease: Lease,
    resign: () => Promise<void>,
  ) {
    this.name = name;
    this.fencingToken = fencingToken;
    this.value = value;
    this.#lease = lease;
    this.#resign = resign;
    this.signal = this.#controller.signal;
    this.#onLeaseLost = () => {
      const cause = (lease.signal.reason as { cause?: unknown } | undefined)?.cause;
      this.lost(typeof cause === 'string' ? cause : 'expired');
    };
    if (lease.signal.aborted) this.#onLeaseLost();
    else lease.signal.addEventListener('abort', this.#onLeaseLost, { once: true });
  }

  /** True while the signal has not aborted and the lease's deadline has not passed, checked now. */
  get valid(): boolean {
    return !this.signal.aborted && this.#lease.valid;
  }

  /** @internal */
  lost(cause: string): void {
    if (this.signal.aborted) return;
    this.#lease.signal.removeEventListener('abort', this.#onLeaseLost);
    this.#controller.abort(
      new BatonError('BATON_LEADERSHIP_LOST', `leadership of ${JSON.stringify(this.name)} lost: ${cause}`, {
        cause,
      }),
    );
  }

  /**
   * Steps down at once: the next candidate wins in the same entry. This
   * leadership is invalid (signal aborted, cause 'resigned') from the call
   * on: the next candidate may win as soon as the resignation commits,
   * before its answer is back here. Idempotent.
   */
  resign(): Promise<void> {
    if (this.#resigning === undefined) {
      this.lost('resigned');
      this.#resigning = this.#resign().catch((error: unknown) => {
        // Already lost (its lease ended): there is nothing left to give up.
        if ((error as { code?: string }).code !== 'BATON_NOT_HELD') throw error;
      });
    }
    return this.#resigning;
  }

  /** `resign()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }
}
