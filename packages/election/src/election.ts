import {
  BatonError,
  type Cluster,
  type Coordination,
  type CoordinationEffect,
  isBatonError,
  type LockHolderInfo,
  SharedLease,
} from '@baton/core';
import { ElectionLeadership } from './election-leadership.js';

/** Who leads a named election, as leader() and observe() report it. */
export interface ElectionLeader {
  /** The member whose lease holds the win. */
  readonly memberId: string;
  /** The index of the entry that made it the winner: larger than every earlier winner's. */
  readonly fencingToken: number;
  /** What the winner announced with `campaign({ value })`, if anything. */
  readonly value: string | undefined;
}

/** Options of `new Election(cluster, name, options)`. */
export interface ElectionOptions {
  /** TTL of the lease this candidate campaigns on (default 10,000 ms): a winner cut off loses after it. */
  readonly ttlMs?: number;
}

/**
 * A named election any member can win, independently of who leads Raft
 * (DESIGN.md §1), after etcd's concurrency.Election: candidates queue FIFO
 * behind the winner on their own lease. A winner whose member dies or is cut
 * off loses after the TTL — its signal aborts before the next winner's is
 * valid. Different names can be led by different members.
 */
export class Election {
  private readonly lease: SharedLease;
  private current: ElectionLeadership | undefined;

  constructor(
    private readonly cluster: Cluster,
    /** The election's name: 1 to 256 UTF-8 bytes, no control characters (`campaign` fails with BATON_CONFIG otherwise). */
    readonly name: string,
    options: ElectionOptions = {},
  ) {
    const ttlMs = options.ttlMs ?? 10_000;
    if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1) {
      throw new BatonError(
        'BATON_CONFIG',
        `ttlMs must be a whole number of milliseconds, got ${String(ttlMs)}`,
        {
          field: 'ttlMs',
          value: ttlMs,
        },
      );
    }
    this.lease = new SharedLease(cluster, ttlMs);
  }

  private get coordination(): Coordination {
    return this.cluster.coordination;
  }

  /**
   * Campaigns until this candidate wins (or `signal` aborts: BATON_ABORTED,
   * and the candidacy is withdrawn from the cluster). `value` is announced
   * with the win.
   */
  async campaign(options: { signal?: AbortSignal; value?: string } = {}): Promise<ElectionLeadership> {
    const { signal, value } = options;
    for (let attempt = 0; ; attempt++) {
      const lease = await this.lease.get(signal);
      try {
        const outcome = await this.coordination.acquire(
          { space: 'election', name: this.name, leaseId: lease.id, value },
          { signal },
        );
        if (outcome.type !== 'granted') throw new BatonError('BATON_UNAVAILABLE', 'campaign was not queued');
        const { fencingToken } = outcome;
        const won = new ElectionLeadership(this.name, fencingToken, value, lease, () =>
          this.coordination.release({ space: 'election', name: this.name, leaseId: lease.id }, fencingToken),
        );
        this.current = won;
        return won;
      } catch (error) {
        // The lease ended just as we asked: take a new one, once.
        if (attempt > 0 || !isBatonError(error, 'BATON_LOCK_LOST') || !lease.signal.aborted) throw error;
      }
    }
  }

  /** Steps down, if this candidate leads: the next candidate wins at once. */
  async resign(): Promise<void> {
    await this.current?.resign();
  }

  /** Who leads now, linearizably; `undefined` when nobody does. */
  async leader(options: { signal?: AbortSignal } = {}): Promise<ElectionLeader | undefined> {
    return await this.coordination.read((view) => leaderOf(view.holder('election', this.name)), options);
  }

  /**
   * The leader now, then every change, as this member applies them: a new
   * winner, or `undefined` for "no leader". A consumer slower than the
   * changes sees the newest state, not every intermediate one: nothing
   * queues up, whatever the consumer's pace. Ends when `signal` aborts.
   */
  async *observe(options: { signal?: AbortSignal } = {}): AsyncGenerator<ElectionLeader | undefined> {
    const { signal } = options;
    const coordination = this.coordination;
    let latest: ElectionLeader | undefined;
    let fresh = false;
    let wake: (() => void) | undefined;
    const look = () => {
      const next = leaderOf(coordination.view.holder('election', this.name));
      if (sameLeader(next, latest) && !fresh) return;
      latest = next;
      fresh = true;
      wake?.();
    };
    const unsubscribe = [
      coordination.onEffect((e: CoordinationEffect) => {
        if ((e.type === 'granted' || e.type === 'released') && e.space === 'election' && e.name === this.name)
          look();
      }),
      coordination.onRestore(look),
    ];
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      latest = await coordination.read((view) => leaderOf(view.holder('election', this.name)), { signal });
      fresh = true;
      while (!signal?.aborted) {
        if (!fresh) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        fresh = false;
        yield latest;
      }
    } catch (error) {
      if (!isBatonError(error, 'BATON_ABORTED')) throw error;
    } finally {
      for (const u of unsubscribe) u();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Resigns and revokes this candidate's lease (withdrawing any campaign). Idempotent. */
  async close(): Promise<void> {
    await this.resign().catch(() => {});
    await this.lease.close();
  }

  /** `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function leaderOf(holder: LockHolderInfo | undefined): ElectionLeader | undefined {
  return holder && { memberId: holder.owner, fencingToken: holder.fencingToken, value: holder.value };
}

function sameLeader(a: ElectionLeader | undefined, b: ElectionLeader | undefined): boolean {
  return a?.fencingToken === b?.fencingToken;
}
