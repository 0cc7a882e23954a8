import {
  BatonError,
  type Cluster,
  type Coordination,
  isBatonError,
  type Lease,
  SharedLease,
} from '@baton/core';
import { HeldLock } from './held-lock.js';
import { type LocksOptions, type ResolvedLocksOptions, resolveLocksOptions } from './locks-options.js';

/** Options of a waiting call. */
export interface AcquireOptions {
  /** Give up with BATON_LOCK_TIMEOUT after this long (default: wait until `signal` aborts). */
  readonly waitMs?: number;
  /** Give up with BATON_ABORTED (its reason as `cause`). */
  readonly signal?: AbortSignal;
}

/** Who holds a lock, as `holder()` reports it. */
export interface LockHolder {
  /** The member whose lease holds the lock. */
  readonly memberId: string;
  /** The grant's fencing token. */
  readonly fencingToken: number;
}

/** setTimeout's ceiling. */
const TIMER_MS_MAX = 0x7fff_ffff;

/**
 * Fencing-token locks (DESIGN.md §1, §2.2) over one member's coordination
 * surface: every lock this instance takes is held on one lease of `ttlMs`,
 * granted on first use (and again after it ended) and kept alive by the
 * member. Waiters are served in FIFO order; a wait that times out or is
 * aborted leaves nothing behind in the cluster (Coordination.acquire). Locks
 * are not reentrant: a second acquire of a name this instance holds waits
 * for the first to be released.
 */
export class Locks {
  private readonly options: ResolvedLocksOptions;
  private readonly lease: SharedLease;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    options: LocksOptions = {},
  ) {
    this.options = resolveLocksOptions(options);
    this.lease = new SharedLease(cluster, this.options.ttlMs);
  }

  private get coordination(): Coordination {
    return this.cluster.coordination;
  }

  /**
   * Waits for the lock `name` (FIFO behind earlier requests); resolves with
   * the held lock. Rejects BATON_LOCK_TIMEOUT after `waitMs`, BATON_ABORTED
   * when `signal` aborts (in both cases the request is withdrawn from the
   * cluster), BATON_UNAVAILABLE when the cluster cannot be reached in time,
   * BATON_STOPPED after `close()` or when the member stops, and BATON_CONFIG
   * for a bad name.
   */
  async acquire(name: string, options: AcquireOptions = {}): Promise<HeldLock> {
    return (await this.take(name, true, options))!;
  }

  /** Takes the lock if it is free now; `undefined` when another grant holds it. Never waits in the queue. */
  async tryAcquire(name: string, options: { signal?: AbortSignal } = {}): Promise<HeldLock | undefined> {
    return await this.take(name, false, options);
  }

  /**
   * Runs `fn` holding the lock `name` and releases it afterwards, whatever
   * `fn` did; resolves with `fn`'s value. If the lock was lost while `fn` ran
   * (its signal aborted), rejects BATON_LOCK_LOST even when `fn` succeeded:
   * another member may have held it meanwhile.
   */
  async withLock<T>(
    name: string,
    fn: (held: HeldLock) => Promise<T> | T,
    options: AcquireOptions = {},
  ): Promise<T> {
    const held = await this.acquire(name, options);
    let value: T;
    try {
      value = await fn(held);
    } catch (error) {
      await held[Symbol.asyncDispose]().catch(() => {});
      throw error;
    }
    const lostWhileRunning = held.lostReason();
    await held[Symbol.asyncDispose]();
    if (lostWhileRunning) throw lostWhileRunning;
    return value;
  }

  /** Who holds the lock now, linearizably; `undefined` when nobody does. */
  async holder(name: string, options: { signal?: AbortSignal } = {}): Promise<LockHolder | undefined> {
    const holder = await this.coordination.read((view) => view.holder('lock', name), options);
    return holder && { memberId: holder.owner, fencingToken: holder.fencingToken };
  }

  /** Revokes this instance's lease: every lock it holds is released at once. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.lease.close();
  }

  /** `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * This instance's lease, granted within what is left of `waitMs`: with no
   * leader to grant it (a failover, no quorum) the caller still hears
   * BATON_LOCK_TIMEOUT in time. The grant itself goes on for the next caller.
   */
  private async leaseWithin(name: string, options: AcquireOptions, startedAt: number): Promise<Lease> {
    const { signal, waitMs } = options;
    // An invalid waitMs is refused by the recipe, with BATON_CONFIG naming it.
    if (typeof waitMs !== 'number' || !(waitMs >= 0)) return await this.lease.get(signal);
    const remainingMs = Math.max(0, waitMs - (performance.now() - startedAt));
    const timeout = AbortSignal.timeout(Math.min(Math.ceil(remainingMs), TIMER_MS_MAX));
    try {
      return await this.lease.get(signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (error) {
      if (isBatonError(error, 'BATON_ABORTED') && timeout.aborted && !signal?.aborted) {
        throw new BatonError(
          'BATON_LOCK_TIMEOUT',
          `lock ${JSON.stringify(name)} was not granted within waitMs`,
        );
      }
      throw error;
    }
  }

  private async take(name: string, wait: boolean, options: AcquireOptions): Promise<HeldLock | undefined> {
    if (this.closed) throw new BatonError('BATON_STOPPED', 'this Locks instance was closed');
    const startedAt = performance.now();
    const { signal } = options;
    for (let attempt = 0; ; attempt++) {
      const lease = this.lease.live ?? (await this.leaseWithin(name, options, startedAt));
      const waitMs =
        options.waitMs === undefined
          ? undefined
          : Math.max(0, options.waitMs - (performance.now() - startedAt));
      try {
        const outcome = await this.coordination.acquire(
          { space: 'lock', name, leaseId: lease.id },
          { wait, signal, ...(waitMs === undefined ? {} : { waitMs }) },
        );
        if (outcome.type === 'held') return undefined;
        // close() revoked the lease while this request was out: the grant ended with it.
        if (this.closed) throw new BatonError('BATON_STOPPED', 'this Locks instance was closed');
        const { fencingToken } = outcome;
        return new HeldLock(name, fencingToken, lease, () =>
          this.coordination.release({ space: 'lock', name, leaseId: lease.id }, fencingToken),
        );
      } catch (error) {
        // The lease ended just as we asked: take a new one, once.
        if (attempt > 0 || !isBatonError(error, 'BATON_LOCK_LOST') || !lease.signal.aborted) throw error;
      }
    }
  }
}
