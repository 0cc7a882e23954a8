import type { Logger, MonotonicClock, TimerHandle, Timers } from '../env.js';
import { Lease, type LeaseLostCause } from './lease.js';
import type { KeepAliveAnswer } from './lease-keeper.js';

export interface LeaseClientOptions {
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /** Bound on clock-rate error between members (DESIGN.md §2.1). */
  readonly driftBound: number;
  /** Asks the leader to restart the TTLs of `leaseIds`; never rejects ({ ok: false } when no sole leader answered). */
  readonly keepAlive: (leaseIds: readonly number[]) => Promise<KeepAliveAnswer>;
  /** Proposes the revocation of a lease (a logged command). */
  readonly revoke: (leaseId: number) => Promise<void>;
  readonly logger: Logger;
}

/** After a keep-alive no sole leader answered, try again this much sooner than the regular round. */
const RETRY_DIVISOR = 10;
/** Keep-alive rounds never come closer together than this. */
const ROUND_MIN_MS = 5;

interface Tracked {
  readonly lease: Lease;
  timer: TimerHandle | undefined;
}

/**
 * This member's side of its leases: one keep-alive round to the leader for
 * all of them every third of the shortest TTL (or sooner after a round no
 * sole leader answered), and each lease's deadline: the send time of its
 * newest acknowledged keep-alive plus its TTL × (1 − δ)/(1 + δ). The leader
 * restarted the TTL no earlier than that send time, on a clock that runs at
 * most 1 + δ times real time, while ours runs at least 1 − δ times: so our
 * deadline passes, in real time, before the leader's expiry can — and a new
 * leader restarts every TTL when it is elected, later still.
 */
export class LeaseClient {
  private readonly tracked = new Map<number, Tracked>();
  private round: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: LeaseClientOptions) {}

  /** How long after sending an acknowledged keep-alive a lease of `ttlMs` may be counted on. */
  safeTtlMs(ttlMs: number): number {
    const d = this.opts.driftBound;
    return (ttlMs * (1 - d)) / (1 + d);
  }

  /**
   * A lease the cluster granted for a request sent at `sentAt` (the grant is
   * its first keep-alive). Its signal aborts at once if that deadline passed already.
   */
  track(leaseId: number, ttlMs: number, sentAt: number): Lease {
    const lease = new Lease(leaseId, ttlMs, sentAt + this.safeTtlMs(ttlMs), this.opts.clock, () =>
      this.revoke(leaseId),
    );
    if (this.stopped) {
      lease.abort('stopped');
      return lease;
    }
    this.opts.logger.debug({ lease: leaseId, sentAt, deadline: lease.deadline }, 'lease tracked');
    const t: Tracked = { lease, timer: undefined };
    this.tracked.set(leaseId, t);
    this.armExpiry(t);
    this.scheduleRound(0);
    return lease;
  }

  /** An applied entry removed the lease (expired by the leader, or revoked). */
  removed(leaseId: number, cause: Extract<LeaseLostCause, 'expired' | 'revoked'>): void {
    this.drop(leaseId, cause);
  }

  /** The lease with this id, if this member keeps it alive. */
  get(leaseId: number): Lease | undefined {
    return this.tracked.get(leaseId)?.lease;
  }

  /** Aborts every lease with cause 'stopped' and sends no more keep-alives. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.round?.cancel();
    for (const id of [...this.tracked.keys()]) this.drop(id, 'stopped');
  }

  /**
   * Ends the lease here at the call, then proposes its revocation: the
   * revocation may grant its locks to other members as soon as it commits,
   * before its answer is back, so the lease (and every lock on it) must be
   * invalid before it is sent. Even if the revocation fails, nobody keeps the
   * lease alive any more: it expires after its TTL.
   */
  private async revoke(leaseId: number): Promise<void> {
    this.drop(leaseId, 'revoked');
    await this.opts.revoke(leaseId);
  }

  private drop(leaseId: number, cause: LeaseLostCause): void {
    const t = this.tracked.get(leaseId);
    if (!t) return;
    this.tracked.delete(leaseId);
    this.opts.logger.debug({ lease: leaseId, cause, deadline: t.lease.deadline }, 'lease dropped');
    t.timer?.cancel();
    t.lease.abort(cause);
    if (this.tracked.size === 0) {
      this.round?.cancel();
      this.round = undefined;
    }
  }

  private armExpiry(t: Tracked): void {
    t.timer?.cancel();
    const waitMs = Math.max(0, t.lease.deadline - this.opts.clock.now());
    t.timer = this.opts.timers.setTimeout(() => {
      t.timer = undefined;
      if (this.opts.clock.now() < t.lease.deadline) this.armExpiry(t);
      else this.drop(t.lease.id, 'keepalive-timeout');
    }, waitMs);
  }

  /** Every third of the shortest TTL; `afterMs` overrides it (sooner only). */
  private scheduleRound(afterMs?: number): void {
    if (this.stopped || this.tracked.size === 0) return;
    let shortest = Number.POSITIVE_INFINITY;
    for (const t of this.tracked.values()) shortest = Math.min(shortest, t.lease.ttlMs);
    const regularMs = Math.max(ROUND_MIN_MS, shortest / 3);
    const waitMs = afterMs === undefined ? regularMs : Math.min(afterMs, regularMs);
    if (this.round && afterMs === undefined) return;
    this.round?.cancel();
    this.round = this.opts.timers.setTimeout(() => {
      this.round = undefined;
      void this.sendRound(regularMs);
    }, waitMs);
  }

  private async sendRound(regularMs: number): Promise<void> {
    const sentAt = this.opts.clock.now();
    // A lease whose deadline has passed is over, even if its timer has not run yet (a stalled event
    // loop): the leader may have proposed its expiry, and an answer from a later leader must not revive it.
    for (const [id, t] of this.tracked) if (t.lease.deadline <= sentAt) this.drop(id, 'keepalive-timeout');
    const ids = [...this.tracked.keys()];
    if (ids.length === 0 || this.stopped) return;
    this.scheduleRound();
    const answer = await this.opts.keepAlive(ids);
    if (!answer.ok) {
      this.opts.logger.debug(
        { leases: ids.length },
        'keep-alive not answered by a sole leader; trying again soon',
      );
      this.scheduleRound(Math.max(ROUND_MIN_MS, regularMs / RETRY_DIVISOR));
      return;
    }
    this.opts.logger.debug({ leases: ids, ttls: answer.ttlsMs, sentAt }, 'keep-alive acknowledged');
    const answeredAt = this.opts.clock.now();
    ids.forEach((id, i) => {
      const t = this.tracked.get(id);
      const ttlMs = answer.ttlsMs[i] ?? 0;
      if (!t) return;
      // Past its deadline the lease is over, even if its timer has not run yet (the answer was stepped
      // first after a stall): once it may have ended, no answer revives it.
      if (t.lease.deadline <= answeredAt) {
        this.drop(id, 'keepalive-timeout');
        return;
      }
      if (ttlMs === 0) {
        this.drop(id, 'expired');
        return;
      }
      t.lease.extendTo(sentAt + this.safeTtlMs(ttlMs));
    });
  }
}
