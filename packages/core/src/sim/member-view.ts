import type { Entry, LogIndex, MemberId, Role, Term } from '../raft/types.js';

/**
 * What the checkers see of one member after an event. The simulator builds
 * it from the member's RawNode status, log and lease; tests build it by hand.
 */
export interface MemberView {
  readonly id: MemberId;
  /** False while the member is crashed; a down member holds no lease and leads nothing. */
  readonly up: boolean;
  readonly role: Role;
  readonly term: Term;
  readonly commitIndex: LogIndex;
  /** The index and term the log was compacted to (0, 0 when it was never compacted). */
  readonly snapshotIndex: LogIndex;
  /** Undefined when the driver cannot tell; checks that need it are then skipped for the first entry. */
  readonly snapshotTerm: Term | undefined;
  /** The log after the snapshot: entries[i] has index snapshotIndex + 1 + i. */
  readonly entries: readonly Entry[];
  /** Global µs until which the member holds a valid leader lease; -Infinity when it holds none. */
  readonly leaseUntilUs: number;
}
