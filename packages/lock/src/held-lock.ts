import { BatonError, isBatonError, type Lease } from '@baton/core';

/** Why a held lock stopped being valid; the `cause` of its signal's BATON_LOCK_LOST reason. */
export type LockLostCause =
  /** Its lease's keep-alives were not acknowledged in time: another member may be granted it after the TTL. */
  | 'keepalive-timeout'
  /** The leader expired its lease. */
  | 'expired'
  /** Its lease was revoked (Locks.close(), or by another holder of the lease id). */
  | 'revoked'
  /** The member stopped. */
  | 'stopped'
  /** This handle released it. */
  | 'released';

/**
 * A lock this member holds (DESIGN.md §1, §2.2). `fencingToken` is the index
 * of the entry that granted it: strictly larger than every earlier grant of
 * this lock, so a resource that refuses lower tokens never accepts a write
 * from a holder that lost it. `signal` aborts (BATON_LOCK_LOST, with a cause)
 * before any other member can be granted the lock — the lease's own
 * deadline passes before the leader can expire it; `valid` checks that
 * deadline against the clock now, so code about to use the lock after a
 * long pause sees the truth even before the abort has run.
 */
export class HeldLock {
  /** The lock's name. */
  readonly name: string;
  /**
   * The index of the entry that granted this lock: strictly larger than the
   * token of every earlier grant of this name. Hand it to the resource the
   * lock protects, which refuses any token lower than the highest it has seen.
   */
  readonly fencingToken: number;
  readonly #lease: Lease;
  readonly #release: () => Promise<void>;
  #releasing: Promise<void> | undefined;
  /** Why this handle stopped holding the lock, once it has. */
  #lostCause: LockLostCause | undefined;
  /**
   * Made on the first read of `signal`: most handles (withLock around code
   * that never looks) end without anyone listening, and an AbortController,
   * a listener on the lease and an error with its stack for every lock cost
   * more than the rest of the client's work for it.
   */
  #controller: AbortController | undefined;
  #onLeaseLost: (() => void) | undefined;

  /** @internal Created by Locks. */
  constructor(name: string, fencingToken: number, lease: Lease, release: () => Promise<void>) {
    this.name = name;
    this.fencingToken = fencingToken;
    this.#lease = lease;
    this.#release = release;
  }

  /**
   * Aborts when the lock is lost or released, with a BATON_LOCK_LOST
   * `BatonError` whose `cause` is a {@link LockLostCause}; already aborted
   * when read after that happened.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const cause = this.#cause();
      if (cause !== undefined) controller.abort(this.#reason(cause));
      else {
        this.#onLeaseLost = () => this.lost(leaseCause(this.#lease));
        this.#lease.signal.addEventListener('abort', this.#onLeaseLost, { once: true });
      }
    } else {
      // Up to date inside another listener on the lease that runs before this handle's own.
      this.#cause();
    }
    return this.#controller.signal;
  }

  /** True while the lock has not been lost or released and the lease's deadline has not passed, checked now. */
  get valid(): boolean {
    return this.#cause() === undefined && this.#lease.valid;
  }

  /** @internal The lock is no longer this handle's. */
  lost(cause: LockLostCause): void {
    if (this.#lostCause !== undefined) return;
    // A lease that ended before this call ended the hold first, as a listener on it would have said.
    this.#lostCause = this.#lease.signal.aborted ? leaseCause(this.#lease) : cause;
    if (this.#controller === undefined) return;
    if (this.#onLeaseLost) this.#lease.signal.removeEventListener('abort', this.#onLeaseLost);
    this.#controller.abort(this.#reason(this.#lostCause));
  }

  /** @internal The reason `signal` aborts with (or would), once the lock is lost; else undefined. */
  lostReason(): BatonError | undefined {
    return this.#cause() === undefined ? undefined : (this.signal.reason as BatonError);
  }

  /** The recorded cause, or the lease's if it ended before anything was recorded (recording it). */
  #cause(): LockLostCause | undefined {
    // Through lost(): a read signal whose lease listener has not run yet (another listener on the
    // lease came first and looked here) must still abort.
    if (this.#lostCause === undefined && this.#lease.signal.aborted) this.lost(leaseCause(this.#lease));
    return this.#lostCause;
  }

  #reason(cause: LockLostCause): BatonError {
    return new BatonError(
      'BATON_LOCK_LOST',
      `lock ${JSON.stringify(this.name)} (token ${this.fencingToken}) lost: ${cause}`,
      { cause },
    );
  }

  /**
   * Releases the lock: the next waiter is granted it in the same entry. The
   * handle is invalid (signal aborted, cause 'released') from the call on:
   * the next waiter may be granted as soon as the release commits, before
   * its answer is back here. Rejects BATON_NOT_HELD when the grant had ended
   * already (its lease expired: the signal said so). A release whose answer
   * was lost is retried with the same request, so it never reports NOT_HELD
   * for a lock it did release. Idempotent: every call returns the same promise.
   */
  release(): Promise<void> {
    if (this.#releasing === undefined) {
      this.lost('released');
      this.#releasing = this.#release();
    }
    return this.#releasing;
  }

  /** Releases the lock; a lock already lost (its signal aborted earlier) disposes quietly. */
  async [Symbol.asyncDispose](): Promise<void> {
    const lostBefore = this.#cause() !== undefined;
    try {
      await this.release();
    } catch (error) {
      if (!(lostBefore && isBatonError(error, 'BATON_NOT_HELD'))) throw error;
    }
  }
}

/** Why the lease ended, as a lock's cause: the lease's reason carries it ('expired' if it says nothing). */
function leaseCause(lease: Lease): LockLostCause {
  const cause = (lease.signal.reason as { cause?: unknown } | undefined)?.cause;
  return typeof cause === 'string' ? (cause as LockLostCause) : 'expired';
}
