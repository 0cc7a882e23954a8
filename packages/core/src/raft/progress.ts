import type { LogIndex } from './types.js';

/**
 * How the leader replicates to one follower (after etcd-io/raft's Progress):
 * - `probe`: the follower's log position is unknown; send one append at a
 *   time and wait for its answer before the next.
 * - `replicate`: the position is known; stream appends optimistically, up to
 *   `inflightMessagesMax` unacknowledged messages.
 * - `snapshot`: a snapshot is on its way; send nothing else until it lands.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: LogIndex = 0;
  /** Next index to send. */
  next: LogIndex;
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding, wait for an answer or a heartbeat response. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent, and the tick it was sent at (for retry). */
  pendingSnapshot: LogIndex = 0;
  snapshotSentAtTick = 0;
  /** The leader's tick count when this follower last answered (CheckQuorum). */
  lastHeardTick = 0;
  /** Last index of each unacknowledged append, oldest first. */
  private readonly inflight: LogIndex[] = [];

  constructor(next: LogIndex) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot's index.
    const from =
      this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.reset('probe');
    this.next = from;
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: LogIndex, tick: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
    this.snapshotSentAtTick = tick;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight.length = 0;
  }

  /** Records an acknowledged index; false when it tells nothing new (a stale or duplicate answer). */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Handles a rejected append of `rejected` (the prevLogIndex the follower
   * refused) with a backtracking hint. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: LogIndex, hint: LogIndex): boolean {
    if (this.state === 'replicate') {
      // Stale unless it rejects something past what we know matches.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe: only the answer to the last probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Notes an append sent with entries up to `lastIndex`. */
  sentEntries(lastIndex: LogIndex, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** The last index of the newest unacknowledged append (replicate state), or undefined. */
  lastInflight(): LogIndex | undefined {
    return this.inflight[this.inflight.length - 1];
  }

  /**
   * The newest unacknowledged append, which ends at `from`, now carries
   * entries up to `to` (it was extended before it left): it keeps its one
   * slot, now freed by `to`. Returns false, changing nothing, unless this
   * follower is replicating and that append is the newest in flight — an
   * append without a slot (a probe) must not grow, or `next` would fall
   * behind what was sent.
   */
  extendLastInflight(from: LogIndex, to: LogIndex): boolean {
    if (this.state !== 'replicate' || this.lastInflight() !== from) return false;
    this.inflight[this.inflight.length - 1] = to;
    this.next = to + 1;
    return true;
  }

  /** Frees in-flight slots for appends acknowledged up to `index`. */
  freeTo(index: LogIndex): void {
    let n = 0;
    while (n < this.inflight.length && (this.inflight[n] ?? 0) <= index) n++;
    this.inflight.splice(0, n);
  }

  /** Frees the oldest in-flight slot: its append was probably lost (see the leader's heartbeat handling). */
  freeFirstOne(): void {
    this.inflight.shift();
  }

  inflightCount(): number {
    return this.inflight.length;
  }

  /** Whether the leader must hold back appends to this follower for now. */
  isPaused(inflightMax: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= inflightMax;
      case 'snapshot':
        return true;
    }
  }
}
