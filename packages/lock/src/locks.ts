import {
  BatonError,
  type Cluster,
  type Coordination,
  type CoordinationResult,
  isBatonError,
  type Lease,
} from '@baton/core';
import { GrantWatch } from './grant-watch.js';
import { HeldLock } from './held-lock.js';
import { refusal, unexpected } from './lock-errors.js';
import { type LocksOptions, type ResolvedLocksOptions, resolveLocksOptions } from './locks-options.js';
import { OrphanGrants } from './orphan-grants.js';

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
/** How long housekeeping calls (release, cancel, revoke) may take. */
const HOUSEKEEPING_TIMEOUT_MS = 5000;
/** setTimeout's ceiling; "wait forever" waits this long, again and again. */
const TIMER_MS_MAX = 0x7fff_ffff;

/**
 * Fencing-token locks (DESIGN.md §1, §2.2) over one member's coordination
 * surface: every lock this instance takes is held on one lease of `ttlMs`,
 * granted on first use and kept alive by the member. Waiters are served in
 * FIFO order. A wait that times out or is aborted is cancelled in the
 * cluster; if the outcome of a request is in doubt when its caller gives up,
 * a grant that turns up later is released at once — a lock is never left
 * held by nobody. Locks are not reentrant: a second acquire of a name this
 * instance holds waits for the first to be released.
 */
export class Locks {
  private readonly options: ResolvedLocksOptions;
  private leasing: Promise<Lease> | undefined;
  private readonly orphans: OrphanGrants;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    options: LocksOptions = {},
  ) {
    this.options = resolveLocksOptions(options);
    this.orphans = new OrphanGrants(cluster.coordination, (name, leaseId, fencingToken) =>
      this.releaseQuietly(name, leaseId, fencingToken),
    );
  }

  private get coordination(): Coordination {
    return this.cluster.coordination;
  }

  /** Waits for the lock `name`; resolves with the held lock. */
  async acquire(name: string, options: AcquireOptions = {}): Promise<HeldLock> {
    const { signal } = options;
    const deadline = deadlineOf(options.waitMs);
    this.throwIfClosed();
    if (signal?.aborted) throw aborted(signal);
    for (let attempt = 0; ; attempt++) {
      let watch: GrantWatch | undefined;
      try {
        const lease = await this.lease(signal, deadline);
        watch = new GrantWatch(this.coordination, lease.id, name);
        const result = await this.coordination.execute(
          { type: 'acquire', space: 'lock', name, leaseId: lease.id, wait: true },
          {
            signal,
            timeoutMs: remainingMs(deadline),
            onLateResult: (late) => this.undo(name, lease.id, late),
          },
        );
        if (result.type === 'granted') return this.held(name, result.fencingToken, lease);
        if (result.type === 'queued')
          return await this.awaitGrant(watch, name, lease, result.waiterId, deadline, signal);
        if (result.type === 'error' && result.code === 'unknown-lease' && attempt === 0) {
          this.forgetLease(lease); // it ended just now: take a new one once
          continue;
        }
        throw result.type === 'error' ? refusal(name, result) : unexpected(name, result);
      } catch (error) {
        throw asWaitError(error, name, deadline);
      } finally {
        watch?.dispose();
      }
    }
  }

  /** Takes the lock if it is free now; `undefined` when another grant holds it. Never waits in the queue. */
  async tryAcquire(name: string, options: { signal?: AbortSignal } = {}): Promise<HeldLock | undefined> {
    this.throwIfClosed();
    const lease = await this.lease(options.signal, Number.POSITIVE_INFINITY);
    const result = await this.coordination.execute(
      { type: 'acquire', space: 'lock', name, leaseId: lease.id, wait: false },
      { signal: options.signal, onLateResult: (late) => this.undo(name, lease.id, late) },
    );
    if (result.type === 'granted') return this.held(name, result.fencingToken, lease);
    if (result.type === 'held') return undefined;
    throw result.type === 'error' ? refusal(name, result) : unexpected(name, result);
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
    this.orphans.dispose();
    const leasing = this.leasing;
    this.leasing = undefined;
    const lease = await leasing?.catch(() => undefined);
    await lease?.revoke().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The lease this instance holds its locks on, granted on first use and again once it ended. */
  private async lease(signal: AbortSignal | undefined, deadline: number): Promise<Lease> {
    const current = this.leasing;
    if (current) {
      const lease = await current.catch(() => undefined);
      if (lease && !lease.signal.aborted) return lease;
      if (this.leasing === current) this.leasing = undefined;
    }
    this.throwIfClosed();
    // Shared by concurrent callers: its own timeout, and each caller waits with its own deadline and signal.
    this.leasing ??= this.cluster.grantLease({
      ttlMs: this.options.ttlMs,
      timeoutMs: LEASE_GRANT_TIMEOUT_MS,
    });
    const leasing = this.leasing;
    try {
      const lease = await raceDeadline(abortable(leasing, signal), deadline, undefined);
      if (lease === undefined) throw new BatonError('BATON_UNAVAILABLE', 'no lease was granted in time');
      return lease;
    } catch (error) {
      if (this.leasing === leasing && !isBatonError(error, 'BATON_ABORTED')) this.leasing = undefined;
      throw error;
    }
  }

  private forgetLease(lease: Lease): void {
    void this.leasing?.then((current) => {
      if (current === lease) this.leasing = undefined;
    });
  }

  private held(name: string, fencingToken: number, lease: Lease): HeldLock {
    return new HeldLock(name, fencingToken, lease, () => this.release(name, lease.id, fencingToken));
  }

  /** Waits for a queued request; a wait given up is cancelled, and a grant that beat the cancel released. */
  private async awaitGrant(
    watch: GrantWatch,
    name: string,
    lease: Lease,
    waiterId: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<HeldLock> {
    const outcome = await raceDeadline(watch.outcome(waiterId), deadline, signal);
    if (outcome === undefined) {
      await this.cancel(name, lease.id, waiterId);
      throw signal?.aborted ? aborted(signal) : timedOut(name);
    }
    if (outcome.kind === 'granted') return this.held(name, outcome.fencingToken, lease);
    throw new BatonError(
      'BATON_LOCK_LOST',
      `the wait for lock ${JSON.stringify(name)} ended: ${outcome.reason}`,
      {
        cause: outcome.reason,
      },
    );
  }

  private async release(name: string, leaseId: number, fencingToken: number): Promise<void> {
    const result = await this.coordination.execute(
      { type: 'release', space: 'lock', name, leaseId, fencingToken },
      { timeoutMs: HOUSEKEEPING_TIMEOUT_MS },
    );
    if (result.type === 'released') return;
    throw result.type === 'error' ? refusal(name, result) : unexpected(name, result);
  }

  /** Withdraws a request its caller gave up on; a grant that beat the cancel is released. */
  private async cancel(name: string, leaseId: number, waiterId: number): Promise<void> {
    this.orphans.watch(name, leaseId, waiterId);
    try {
      const result = await this.coordination.execute(
        { type: 'cancel', space: 'lock', name, leaseId, waiterId },
        { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, onLateResult: (late) => this.undo(name, leaseId, late) },
      );
      this.undo(name, leaseId, result);
    } catch {
      // Still watched as an orphan: a grant that turns up is released when it does.
    }
  }

  /** Undoes the result of a request its caller no longer waits for (given up on, or answered late). */
  private undo(name: string, leaseId: number, result: CoordinationResult): void {
    if (result.type === 'granted' || result.type === 'alreadyGranted') {
      void this.releaseQuietly(name, leaseId, result.fencingToken);
    } else if (result.type === 'queued') {
      this.orphans.watch(name, leaseId, result.waiterId);
      void this.cancel(name, leaseId, result.waiterId);
    }
  }

  private async releaseQuietly(name: string, leaseId: number, fencingToken: number): Promise<void> {
    await this.release(name, leaseId, fencingToken).catch(() => {
      // Not held any more, or unreachable: the grant ends with its lease at the latest.
    });
  }

  private throwIfClosed(): void {
    if (this.closed) throw new BatonError('BATON_STOPPED', 'this Locks instance was closed');
  }
}

function deadlineOf(waitMs: number | undefined): number {
  if (waitMs === undefined) return Number.POSITIVE_INFINITY;
  if (typeof waitMs !== 'number' || !(waitMs >= 0)) {
    throw new BatonError(
      'BATON_CONFIG',
      `waitMs must be a number of milliseconds, 0 or more, got ${String(waitMs)}`,
      {
        field: 'waitMs',
        value: waitMs,
      },
    );
  }
  return performance.now() + waitMs;
}

function remainingMs(deadline: number): number {
  return Math.min(TIMER_MS_MAX, Math.max(0, deadline - performance.now()));
}

function aborted(signal: AbortSignal): BatonError {
  return new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason });
}

function timedOut(name: string): BatonError {
  return new BatonError('BATON_LOCK_TIMEOUT', `lock ${JSON.stringify(name)} was not granted within waitMs`);
}

/** The errors of a wait, as the lock API names them. */
function asWaitError(error: unknown, name: string, deadline: number): unknown {
  if (isBatonError(error, 'BATON_UNAVAILABLE') && performance.now() >= deadline) return timedOut(name);
  return error;
}

/** Resolves with `p`'s value, or undefined once the deadline passes or `signal` aborts. */
function raceDeadline<T>(
  p: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (value: T | undefined) => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => done(undefined);
    const arm = () => {
      const ms = deadline - performance.now();
      if (ms <= 0) return done(undefined);
      timer = setTimeout(arm, Math.min(ms, TIMER_MS_MAX));
    };
    if (signal?.aborted) return done(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== Number.POSITIVE_INFINITY) arm();
    p.then(done, () => done(undefined));
  });
}

/** `p`, or BATON_ABORTED as soon as `signal` aborts (p goes on). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
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
