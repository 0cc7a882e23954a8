import type { RaftStatus } from './raw-node.js';
import type { Ready } from './ready.js';
import type { Term } from './types.js';

/**
 * The longest safe lease for a timing: (electionTicks − 1) × tickMs × (1 − δ) / (1 + δ),
 * δ the clock drift bound (see LeaderLeaseOptions.leaseMs for why).
 */
export function safeLeaseMs(electionTicks: number, tickMs: number, driftBound: number): number {
  return ((electionTicks - 1) * tickMs * (1 - driftBound)) / (1 + driftBound);
}

export interface LeaderLeaseOptions {
  /**
   * How long after sending a heartbeat round that a quorum acknowledges this
   * member may consider itself the only leader, in its own clock's ms. Must
   * be at most (electionTicks − 1) × tickMs × (1 − δ) / (1 + δ), δ the drift
   * bound: a follower that acknowledged the round refuses votes for
   * electionTicks of its own ticks after receiving it, the first of those
   * ticks may come at once, and its clock may run at 1 + δ while the
   * leader's runs at 1 − δ.
   */
  readonly leaseMs: number;
}

/**
 * The leader lease of DESIGN.md §2.1, kept by the driver with its own
 * monotonic clock (pure: the time is passed in).
 *
 * The core numbers heartbeat rounds; the driver notes its clock when it takes
 * the Ready that broadcasts a round — no later than the round is sent — and
 * the core reports the newest round a quorum acknowledged. Leadership is
 * guaranteed until that round's time plus leaseMs.
 */
export class LeaderLease {
  private readonly leaseMs: number;
  private term: Term = -1;
  /** Local time at which each not-yet-superseded round of `term` was taken for sending. */
  private readonly roundTakenAt = new Map<number, number>();

  constructor(options: LeaderLeaseOptions) {
    if (!(options.leaseMs >= 0)) throw new RangeError('leaseMs must be >= 0');
    this.leaseMs = options.leaseMs;
  }

  /** Call when taking each Ready, before sending its messages, with the member's monotonic clock. */
  onReady(ready: Ready, status: RaftStatus, nowMs: number): void {
    this.onRoundTaken(ready.heartbeatRound, status, nowMs);
  }

  /**
   * The same for a batch of messages taken out of the core some other way
   * (RawNode.takeLeaderMessages): `round` is the newest round in it, if any.
   */
  onRoundTaken(round: number | undefined, status: RaftStatus, nowMs: number): void {
    if (status.role !== 'leader' || status.term !== this.term) {
      this.roundTakenAt.clear();
      this.term = status.role === 'leader' ? status.term : -1;
    }
    if (this.term >= 0 && round !== undefined) {
      this.roundTakenAt.set(round, nowMs);
    }
    // Rounds older than the acknowledged one can never matter again.
    for (const round of this.roundTakenAt.keys()) {
      if (round < status.leaseRound) this.roundTakenAt.delete(round);
    }
  }

  /** Local-clock ms until which this member is guaranteed to be the only leader; -Infinity if it is not. */
  validUntil(status: RaftStatus): number {
    if (status.role !== 'leader' || status.term !== this.term || status.leaseRound === 0) return -Infinity;
    // A Ready reports only its newest round; an earlier round that left in
    // the same Ready was taken at the same time. Rounds only grow, so that
    // Ready is the one with the smallest recorded round at or above it.
    for (const [round, takenAt] of this.roundTakenAt) {
      if (round >= status.leaseRound) return takenAt + this.leaseMs;
    }
    return -Infinity;
  }
}
