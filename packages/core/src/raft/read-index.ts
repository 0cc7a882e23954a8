import type { LogIndex, MemberId } from './types.js';

/** A linearizable read waiting for a quorum to confirm the leader (dissertation §6.4). */
export interface PendingRead {
  readonly requestId: string;
  /** Who asked: this member, or a follower that forwarded the read. */
  readonly from: MemberId;
  /** The commit index when the read arrived: the read must observe at least this. */
  readonly index: LogIndex;
  /** The heartbeat round whose quorum acknowledgement confirms the leadership. */
  readonly round: number;
}

/**
 * The leader's queue of reads. A read is confirmed once a quorum has
 * acknowledged a heartbeat round sent after the read arrived; rounds only
 * grow, so reads are released in arrival order.
 */
export class ReadIndexQueue {
  private readonly pending: PendingRead[] = [];

  add(read: PendingRead): void {
    this.pending.push(read);
  }

  /** Removes and returns every read confirmed by a quorum acknowledgement of `round`. */
  confirm(round: number): PendingRead[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.round <= round) n++;
    return this.pending.splice(0, n);
  }

  /** Removes every pending read (the member is no longer leader). */
  drain(): PendingRead[] {
    return this.pending.splice(0, this.pending.length);
  }

  get size(): number {
    return this.pending.length;
  }
}
