import { BatonError, type Cluster, type Coordination, isBatonError, type Lease } from '@baton/core';
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
  readonly memberId: string;
  readonly fencingToken: number;
}

/** How long a lease grant may take; shared by the callers that wait for it. */
const LEASE_GRANT_TIMEOUT_MS = 10_000;

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
  private leasing: Promise<Lease> | undefined;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    options: LocksOptions = {},
  ) {
    this.options = resolveLocksOptions(options);
  }

  private get coordination(): Coordination {
    return this.cluster.coordination;
  }

  /** Waits for the lock `name`; resolves with the held lock. */
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
    const lostWhileRunning = held.signal.aborted;
    await held[Symbol.asyncDispose]();
    if (lostWhileRunning) throw held.signal.reason;
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
    const leasing = this.leasing;
    this.leasing = undefined;
    const lease = await leasing?.catch(() => undefined);
    await lease?.revoke().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async take(name: string, wait: boolean, options: AcquireOptions): Promise<HeldLock | undefined> {
    if (this.closed) throw new BatonError('BATON_STOPPED', 'this Locks instance was closed');
    const startedAt = performance.now();
    const { signal } = options;
    for (let attempt = 0; ; attempt++) {
      const lease = await this.lease(signal);
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

  /** The lease this instance holds its locks on, granted on first use and again once it ended. */
  private async lease(signal: AbortSignal | undefined): Promise<Lease> {
    const current = this.leasing;
    if (current) {
      const lease = await current.catch(() => undefined);
      if (lease && !lease.signal.aborted) return lease;
      if (this.leasing === current) this.leasing = undefined;
    }
    this.leasing ??= this.cluster.grantLease({
      ttlMs: this.options.ttlMs,
      timeoutMs: LEASE_GRANT_TIMEOUT_MS,
    });
    const leasing = this.leasing;
    try {
      return await abortable(leasing, signal);
    } catch (error) {
      if (this.leasing === leasing && !isBatonError(error, 'BATON_ABORTED')) this.leasing = undefined;
      throw error;
    }
  }
}

/** `p`, or BATON_ABORTED as soon as `signal` aborts (p goes on, shared). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted)
    return Promise.reject(new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const onAbort = () =>
      reject(new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
