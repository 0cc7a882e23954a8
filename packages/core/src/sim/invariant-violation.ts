/** The properties the simulator checks; each violation names one. */
export const INVARIANTS = [
  /** At most one leader per term, ever (Raft paper §5.2). */
  'election-safety',
  /** Entries with the same index and term have identical prefixes (§5.3). */
  'log-matching',
  /** A committed entry is never changed or lost from a member's log, and commit stays within the log. */
  'committed-entry-stable',
  /** Every committed entry is in the log of every later leader when it becomes leader (§5.4). */
  'leader-completeness',
  /** No two members apply different entries at the same index; applies are in index order (§5.4.3). */
  'state-machine-safety',
  /** At most one member is inside a valid leader lease at any global instant. */
  'lease-exclusion',
  /** A proposal the client saw committed and applied is at that index on every member that applies it. */
  'acked-proposal-lost',
  /** A read index is never below a write acknowledged before the read was asked for. */
  'read-linearizability',
  /** The core asked the disk for something impossible (a gap in the log, a snapshot going back). */
  'storage',
  /**
   * No member finds it lost entries it acknowledged (a heartbeat's commit
   * index past its log): the simulated disks lose only unsynced writes.
   */
  'acked-entries-kept',
  /** After healing, a leader is elected and a fresh proposal is applied everywhere within the tick budget. */
  'liveness',
] as const;

export type InvariantName = (typeof INVARIANTS)[number];

/**
 * Thrown by the simulator when a run breaks a property. `invariant` names it
 * (tests branch on it, never on the message); the message says what was seen.
 */
export class InvariantViolation extends Error {
  readonly invariant: InvariantName;

  constructor(invariant: InvariantName, detail: string) {
    super(`invariant ${invariant} violated: ${detail}`);
    this.name = 'InvariantViolation';
    this.invariant = invariant;
  }
}
