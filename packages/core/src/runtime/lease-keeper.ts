import type { MonotonicClock, TimerHandle, Timers } from '../env.js';

/** A lease as the replicated state holds it. */
export interface LeaseRecord {
  readonly leaseId: number;
  readonly ttlMs: number;
}

export interface LeaseKeeperOptions {
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /**
   * True while this member may act as the only leader (a valid leadership
   * token). Keep-alives are restarted only then: a deposed leader that still
   * answered them could promise a client time that the new leader, which
   * restarted every TTL when it was elected, does not give.
   */
  readonly isSoleLeader: () => boolean;
  /**
   * The index of the last entry this member applied. A lease's id is the
   * index of the entry that granted it, so a keep-alive naming a larger id
   * comes from a member that applied the grant before this leader did.
   */
  readonly appliedIndex: () => number;
  /**
   * Proposes the expiry of `leaseId` (a logged command, so every member
   * releases its locks at the same index). `done(false)` when the proposal
   * was not carried out; the keeper tries again while it leads.
   */
  readonly expire: (leaseId: number, done: (ok: boolean) => void) => void;
}

/** What the leader answers to one keep-alive: per lease, the TTL it restarted, or 0 if the lease is gone. */
export type KeepAliveAnswer =
  | { readonly ok: true; readonly ttlsMs: readonly number[] }
  | { readonly ok: false };

interface Tracked {
  readonly ttlMs: number;
  deadline: number;
  /** Its expiry was proposed (and may still commit): no keep-alive may revive it. */
  expiring: boolean;
}

/** After a failed expiry proposal (or while this member cannot act as sole leader), look again this much later. */
const EXPIRY_RETRY_MS = 50;

/**
 * The leader's side of leases (DESIGN.md §2.3): deadlines on the leader's own
 * monotonic clock, restarted by keep-alives (which are not logged), and an
 * expiry proposed as a logged command once a deadline passes. A member that
 * starts leading restarts every lease's full TTL — it cannot know when the
 * previous leader last heard a keep-alive, and a shorter deadline could
 * expire a lease whose holder still believes it valid. Deadlines exist only
 * while leading.
 */
export class LeaseKeeper {
  private readonly tracked = new Map<number, Tracked>();
  /**
   * Leases whose expiry this member proposed and whose entry has been
   * neither applied nor replaced yet. Kept across stopLeading/startLeading:
   * a leader whose token lapsed and came back in the same term still has
   * that entry in its log, and it may commit at any moment — a keep-alive
   * answered in between would promise the holder time the lease no longer has.
   */
  private readonly expiryInLog = new Set<number>();
  private leading = false;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: LeaseKeeperOptions) {}

  /**
   * This member now leads (its own-term entry applied): every lease gets its
   * full TTL from now — except one whose expiry it proposed earlier in this
   * term, still in its log: that one stays expiring.
   */
  startLeading(leases: Iterable<LeaseRecord>): void {
    this.leading = true;
    this.tracked.clear();
    const now = this.opts.clock.now();
    for (const l of leases) {
      const expiring = this.expiryInLog.has(l.leaseId);
      this.tracked.set(l.leaseId, { ttlMs: l.ttlMs, deadline: now + l.ttlMs, expiring });
    }
    this.arm();
  }

  /** This member no longer leads: it keeps no deadline and proposes no expiry. */
  stopLeading(): void {
    this.leading = false;
    this.tracked.clear();
    this.cancelTimer();
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** A lease granted by an entry applied while this member leads: its TTL runs from now. */
  granted(lease: LeaseRecord): void {
    if (!this.leading) return;
    this.tracked.set(lease.leaseId, {
      ttlMs: lease.ttlMs,
      deadline: this.opts.clock.now() + lease.ttlMs,
      expiring: false,
    });
    this.arm();
  }

  /** A lease revoked or expired by an applied entry. */
  removed(leaseId: number): void {
    this.tracked.delete(leaseId);
    this.expiryInLog.delete(leaseId);
  }

  /**
   * Restarts the TTL of each named lease this leader knows and has not
   * started expiring; `{ ok: false }` when it cannot answer as sole leader.
   */
  keepAlive(leaseIds: readonly number[]): KeepAliveAnswer {
    if (!this.leading || !this.opts.isSoleLeader()) return { ok: false };
    // A follower may apply an entry before its leader does, and a new lease sends its first
    // keep-alive at once: a grant this leader has not applied yet is not a lease that ended.
    // Answer nothing (the client asks again soon; its deadline does not move) rather than 0.
    const appliedIndex = this.opts.appliedIndex();
    if (leaseIds.some((id) => id > appliedIndex)) return { ok: false };
    const now = this.opts.clock.now();
    const ttlsMs = leaseIds.map((id) => {
      const t = this.tracked.get(id);
      if (t === undefined || t.expiring) return 0;
      t.deadline = Math.max(t.deadline, now + t.ttlMs);
      return t.ttlMs;
    });
    return { ok: true, ttlsMs };
  }

  /** The deadline of a lease on this leader's clock (tests, status). */
  deadlineOf(leaseId: number): number | undefined {
    return this.tracked.get(leaseId)?.deadline;
  }

  private expireDue(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (!this.leading) return;
    const now = this.opts.clock.now();
    const sole = this.opts.isSoleLeader();
    for (const [leaseId, t] of this.tracked) {
      if (t.expiring || t.deadline > now || !sole) continue;
      t.expiring = true;
      this.expiryInLog.add(leaseId);
      this.opts.expire(leaseId, (ok) => {
        this.expiryInLog.delete(leaseId);
        if (ok) return;
        // The entry was not appended, or another one took its index: the expiry can no longer
        // happen, so the lease is timed again (by whatever record this member now keeps of it).
        const current = this.tracked.get(leaseId);
        if (current === undefined || !current.expiring) return;
        current.expiring = false;
        this.arm(this.opts.clock.now() + EXPIRY_RETRY_MS);
      });
    }
    if (!sole) this.arm(now + EXPIRY_RETRY_MS);
    else this.arm();
  }

  /** Keeps one timer, at the earliest deadline still to act on (or at `at`, if earlier). */
  private arm(at = Number.POSITIVE_INFINITY): void {
    if (!this.leading) return;
    let next = at;
    for (const t of this.tracked.values()) if (!t.expiring && t.deadline < next) next = t.deadline;
    if (next >= this.timerAt || next === Number.POSITIVE_INFINITY) return;
    this.cancelTimer();
    this.timerAt = next;
    this.timer = this.opts.timers.setTimeout(
      () => this.expireDue(),
      Math.max(0, next - this.opts.clock.now()),
    );
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
